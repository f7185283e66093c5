/* Tests of the store on its backend: SQLite, or PostgreSQL under
 * tests/pg/run.sh (SW_TEST_PG).  On PostgreSQL every command's results are
 * also compared with the same commands on a SQLite file: the backends must
 * agree (the rows, the metrics, the report).  The other store suites (alert,
 * monitor, rollout, pipeline, serve) run on PostgreSQL the same way. */
#include <libpq-fe.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "pipeline/store.h"
#include "testutil.h"

static char g_root[256], g_data[320], g_models[320], g_why[2100];
static int g_ready;

#define D1 "2025-01-15"
#define D2 "2025-01-16"

static void sim_setup(void)
{
    snprintf(g_root, sizeof g_root, "/tmp/swish-store-XXXXXX");
    if (!mkdtemp(g_root)) return;
    snprintf(g_data, sizeof g_data, "%s/data", g_root);
    snprintf(g_models, sizeof g_models, "%s/models", g_root);
    const char *bin = tu_swish_bin();
    char cmd[2000];
    snprintf(cmd, sizeof cmd,
             "%s simulate --seed 3 --seasons 1 --first-season 2024 --out %s > %s/setup.log 2>&1 &&"
             " SWISH_RETRAIN_ROUNDS=20 SWISH_RETRAIN_FOLDS=2 %s retrain --until 2025-01-10 --data %s --models %s"
             " >> %s/setup.log 2>&1",
             bin, g_data, g_root, bin, g_data, g_models, g_root);
    if (system(cmd) != 0) {
        snprintf(g_why, sizeof g_why, "setup failed: %s", cmd);
        return;
    }
    g_ready = 1;
}

static void sim_teardown(void)
{
    if (g_root[0] && !getenv("SW_KEEP_TMP")) tu_remove_tree(g_root);
}

static void need_sim(void)
{
    ck_assert_msg(g_ready, "%s", g_why);
}

/* Run a swish command on the database; its output (malloc'd) and status. */
static int swish(char **out, const char *db, const char *args)
{
    return tu_sh(out, "%s %s --db %s", tu_swish_bin(), args, db);
}

/* Two dumps agree: the same rows and texts, numbers equal to 1e-12 relative
 * (SQLite prints 15 digits, PostgreSQL the shortest exact text). */
static void same_rows(const char *a, const char *b, const char *what)
{
    const char *p = a, *q = b;
    int line = 1;
    while (*p || *q) {
        size_t la = strcspn(p, "|\n"), lb = strcspn(q, "|\n");
        char fa[256], fb[256];
        snprintf(fa, sizeof fa, "%.*s", (int)la, p);
        snprintf(fb, sizeof fb, "%.*s", (int)lb, q);
        char *ea, *eb;
        double x = strtod(fa, &ea), y = strtod(fb, &eb);
        int numbers = la && lb && !*ea && !*eb;
        ck_assert_msg(numbers ? fabs(x - y) <= 1e-12 * fmax(1, fabs(x)) : !strcmp(fa, fb),
                      "%s, line %d: '%s' against '%s'", what, line, fa, fb);
        ck_assert_msg(p[la] == q[lb], "%s, line %d: the rows differ in shape", what, line);
        if (p[la] == '\n') line++;
        p += la + (p[la] ? 1 : 0);
        q += lb + (q[lb] ? 1 : 0);
    }
}

static const char *const dumps[] = {
    "SELECT game_date, game_id, player_id, system, model_version, line, prediction, lo, hi, p_over, edge,"
    " recommendation, confidence, quality, tier, systems_predicting, systems_agreeing, reason, feature_hash,"
    " trained_to, p_market, contributions FROM predictions ORDER BY game_date, game_id, player_id, system",
    "SELECT game_date, game_id, player_id, system, model_version, actual, minutes, outcome, abs_error, units,"
    " units_110, season_avg, last10_avg FROM grades ORDER BY game_date, game_id, player_id, system",
    "SELECT game_date, game_id, player_id, system, model_version, replaced_by_run FROM predictions_superseded"
    " ORDER BY game_date, game_id, player_id, system",
    "SELECT game_date, game_id, player_id, feature_set, feature_hash, quality, tier, vals, sources FROM features"
    " ORDER BY game_date, game_id, player_id",
    "SELECT run_id, game_date, systems, players, predictions, train_from, train_to FROM runs ORDER BY run_id",
    "SELECT system, model_version, feature, gain FROM importance ORDER BY system, model_version, feature",
};

/* The nightly path on the backend: two slates of one date (the second
 * replaces the first), another date, grades, metrics, the report, the
 * monitor.  Invariants on the rows; on PostgreSQL the same as on SQLite. */
static void nightly(const char *db, char **metrics, char **report, char **monitor)
{
    char args[1400], *out = NULL;
    const char *dates[] = {D1, D1, D2};
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "slate --date %s --data %s --models %s", dates[i], g_data, g_models);
        int rc = swish(&out, db, args);
        ck_assert_msg(rc == 0, "slate %s: exit %d: %s", dates[i], rc, out);
        free(out);
    }
    for (int i = 1; i < 3; i++) {
        snprintf(args, sizeof args, "grade --date %s --data %s", dates[i], g_data);
        int rc = swish(&out, db, args);
        ck_assert_msg(rc == 0, "grade %s: exit %d: %s", dates[i], rc, out);
        free(out);
    }
    int rc = swish(metrics, db, "metrics --json");
    ck_assert_msg(rc == 0, "metrics: %s", *metrics);
    char html[600];
    snprintf(html, sizeof html, "%s/report-%d.html", tu_tmpdir(), (int)(strlen(db) % 1000));
    snprintf(args, sizeof args, "report --out %s", html);
    rc = swish(&out, db, args);
    ck_assert_msg(rc == 0, "report: %s", out);
    free(out);
    *report = tu_slurp(html, NULL);
    ck_assert_ptr_nonnull(*report);
    snprintf(args, sizeof args, "monitor --json --data %s --date 2025-01-17", g_data);
    rc = swish(monitor, db, args);
    ck_assert_msg(rc == 0 || rc == 1, "monitor: exit %d: %s", rc, *monitor);

    long players = tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system = 'final'");
    ck_assert_int_gt(players, 100);
    /* one current row per prediction; the replaced run's rows kept for audit */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM (SELECT 1 FROM predictions GROUP BY game_date, game_id,"
                                     " player_id, system HAVING count(*) > 1) AS d"),
                     0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM runs"), 3);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(DISTINCT run_id) FROM predictions"), 2);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions_superseded"),
                     tu_sql_long(db, "SELECT count(*) FROM predictions WHERE game_date = '" D1 "'"));
    /* every current row graded once, against itself; the run ids RETURNING gave */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM grades g JOIN predictions p USING (game_date, game_id,"
                                     " player_id, system, model_version)"),
                     tu_sql_long(db, "SELECT count(*) FROM predictions"));
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions p LEFT JOIN runs r USING (run_id)"
                                     " WHERE r.game_date IS NULL OR r.game_date <> p.game_date"),
                     0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM features"),
                     tu_sql_long(db, "SELECT count(DISTINCT game_date || game_id || player_id) FROM predictions"));
}

START_TEST(store_nightly_on_backend)
{
    need_sim();
    char db[600], *metrics, *report, *monitor;
    tu_db(db, sizeof db, NULL, "nightly");
    nightly(db, &metrics, &report, &monitor);
    if (tu_db_pg()) { /* the same on SQLite */
        char lite[600], *m2, *r2, *mon2;
        snprintf(lite, sizeof lite, "%s/nightly-lite.db", tu_tmpdir());
        nightly(lite, &m2, &r2, &mon2);
        for (size_t i = 0; i < sizeof dumps / sizeof dumps[0]; i++) {
            char *a = tu_sql_dump(db, dumps[i]), *b = tu_sql_dump(lite, dumps[i]);
            ck_assert_int_gt((long)strlen(a), 10);
            same_rows(a, b, dumps[i]);
            free(a);
            free(b);
        }
        ck_assert_str_eq(metrics, m2);
        /* the report names its database and the time it was made: the rest is the same */
        char *ga = strstr(report, "generated "), *gb = strstr(r2, "generated ");
        ck_assert(ga && gb);
        ck_assert_str_eq(strchr(ga, '\n'), strchr(gb, '\n'));
        char *ma = strstr(monitor, "\"systems\""), *mb = strstr(mon2, "\"systems\"");
        ck_assert_msg(ma && mb, "%s", monitor);
        ck_assert_str_eq(ma, mb);
        free(m2);
        free(r2);
        free(mon2);
    }
    free(metrics);
    free(report);
    free(monitor);
}
END_TEST

/* Another process holds the write transaction: a slate waits the busy
 * timeout, then fails naming the database, and nothing is written. */
START_TEST(store_busy)
{
    need_sim();
    char db[600], conf[700], args[1400], *out = NULL;
    tu_db(db, sizeof db, NULL, "busy");
    snprintf(args, sizeof args, "slate --date %s --data %s --models %s", D1, g_data, g_models);
    ck_assert_int_eq(swish(&out, db, args), 0);
    free(out);
    long before = tu_sql_long(db, "SELECT count(*) FROM runs");
    snprintf(conf, sizeof conf, "%s/busy.conf", tu_tmpdir());
    FILE *fp = fopen(conf, "w");
    fprintf(fp, "[paths]\ndb_busy_timeout_ms = 300\n");
    fclose(fp);
    void *lock = tu_db_lock(db);
    snprintf(args, sizeof args, "slate --date %s --data %s --models %s --config %s", D2, g_data, g_models, conf);
    int rc = swish(&out, db, args);
    ck_assert_msg(rc != 0, "%.600s", out);
    ck_assert_msg(strstr(out, "another process holds the database"), "%.600s", out);
    ck_assert_msg(strstr(out, tu_db_pg() ? strrchr(db, '/') : db), "%.600s", out);
    free(out);
    tu_db_unlock(db, lock);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM runs"), before);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE game_date = '" D2 "'"), 0);
    /* free again: the same command works */
    rc = swish(&out, db, args);
    ck_assert_msg(rc == 0, "%s", out);
    free(out);
}
END_TEST

/* A row the database refuses in the middle of a slate (a trigger planted
 * here, past the first batches PostgreSQL sends without waiting): the run
 * fails naming the database's reason, and the date's earlier rows stand. */
START_TEST(store_row_refused_mid_write)
{
    need_sim();
    char db[600], args[1400], *out = NULL;
    tu_db(db, sizeof db, NULL, "refused");
    snprintf(args, sizeof args, "slate --date %s --data %s --models %s", D1, g_data, g_models);
    ck_assert_int_eq(swish(&out, db, args), 0);
    free(out);
    const char *q = "SELECT game_id, player_id, system, model_version, prediction, recommendation FROM predictions"
                    " ORDER BY game_id, player_id, system";
    char *before = tu_sql_dump(db, q);
    long rows = tu_sql_long(db, "SELECT count(*) FROM predictions");
    ck_assert_int_gt(rows, 600); /* more than two batches before the last player */
    char *pid = tu_sql_dump(db, "SELECT max(player_id) FROM predictions");
    pid[strcspn(pid, "\n")] = 0;
    char sql[1200];
    if (tu_db_pg())
        snprintf(sql, sizeof sql,
                 "CREATE FUNCTION sw_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.player_id = '%s'"
                 " AND NEW.system = 'final' THEN RAISE EXCEPTION 'planted failure'; END IF; RETURN NEW; END $$;"
                 " CREATE TRIGGER sw_test_fail BEFORE INSERT ON predictions FOR EACH ROW EXECUTE FUNCTION sw_test_fail()",
                 pid);
    else
        snprintf(sql, sizeof sql,
                 "CREATE TRIGGER sw_test_fail BEFORE INSERT ON predictions WHEN NEW.player_id = '%s' AND NEW.system ="
                 " 'final' BEGIN SELECT RAISE(ABORT, 'planted failure'); END",
                 pid);
    ck_assert_int_eq(tu_sql_exec(db, sql), 0);
    int rc = swish(&out, db, args);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(out, "planted failure") && strstr(out, tu_db_pg() ? strrchr(db, '/') : db), "%.800s", out);
    free(out);
    char *after = tu_sql_dump(db, q);
    ck_assert_str_eq(before, after);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions_superseded"), 0);
    /* the store still works on that connection's successors */
    ck_assert_int_eq(
        tu_sql_exec(db, tu_db_pg() ? "DROP TRIGGER sw_test_fail ON predictions" : "DROP TRIGGER sw_test_fail"), 0);
    ck_assert_int_eq(swish(&out, db, args), 0);
    free(out);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions"), rows);
    free(before);
    free(after);
    free(pid);
}
END_TEST

/* Writers of several processes on one store: four slates of two dates at
 * once, each in one transaction; one current row per prediction after. */
START_TEST(store_concurrent_writers)
{
    need_sim();
    char db[600], cmd[3000];
    tu_db(db, sizeof db, NULL, "concurrent");
    pid_t kids[4];
    for (int i = 0; i < 4; i++) {
        snprintf(cmd, sizeof cmd, "%s slate --date %s --data %s --models %s --db %s > %s/w%d.log 2>&1",
                 tu_swish_bin(), i % 2 ? D2 : D1, g_data, g_models, db, tu_tmpdir(), i);
        kids[i] = fork();
        if (kids[i] == 0) _exit(system(cmd) == 0 ? 0 : 1);
    }
    for (int i = 0; i < 4; i++) {
        int st;
        ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer %d failed (see %s/w%d.log)", i, tu_tmpdir(), i);
    }
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM runs"), 4);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM (SELECT 1 FROM predictions GROUP BY game_date, game_id,"
                                     " player_id, system HAVING count(*) > 1) AS d"),
                     0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(DISTINCT run_id) FROM predictions"), 2);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions_superseded"),
                     tu_sql_long(db, "SELECT count(*) FROM predictions"));
}
END_TEST

/* The service's job records through the store's calls: idempotent by id, in
 * the order received, the states and their errors. */
START_TEST(store_jobs)
{
    char db[600];
    tu_db(db, sizeof db, NULL, "jobs");
    sw_store *st = NULL;
    sw_error err;
    ck_assert_msg(sw_store_open(db, 1000, 1, &st, &err) == SW_OK, "%s", err.msg);
    int fresh = -1;
    const char *ids[] = {"j-c", "j-a", "j-b"};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(sw_store_job_record(st, ids[i], D1, "test", &fresh, &err), SW_OK);
        ck_assert_int_eq(fresh, 1);
    }
    ck_assert_int_eq(sw_store_job_record(st, "j-a", D2, "again", &fresh, &err), SW_OK);
    ck_assert_int_eq(fresh, 0);
    ck_assert_int_eq(sw_store_job_start(st, "j-a", &err), SW_OK);
    ck_assert_int_eq(sw_store_job_finish(st, "j-c", 0, 0, 3, "it's \"broken\"; DROP TABLE jobs", &err), SW_OK);
    ck_assert_int_eq(sw_store_job_start(st, "nope", &err), SW_NOT_FOUND);
    sw_job j;
    ck_assert_int_eq(sw_store_job_get(st, "j-c", &j, &err), SW_OK);
    ck_assert_str_eq(j.state, "failed");
    ck_assert_str_eq(j.error, "it's \"broken\"; DROP TABLE jobs");
    ck_assert_int_eq(j.exit_code, 3);
    ck_assert_int_eq(sw_store_job_get(st, "j-a", &j, &err), SW_OK);
    ck_assert_str_eq(j.state, "running");
    ck_assert_str_eq(j.date, D1); /* the first record stands */
    ck_assert_int_eq(j.attempts, 1);
    ck_assert_int_eq(sw_store_job_finish(st, "j-a", 1, 42, 0, NULL, &err), SW_OK);
    ck_assert_int_eq(sw_store_job_get(st, "j-a", &j, &err), SW_OK);
    ck_assert_str_eq(j.state, "done");
    ck_assert_int_eq(j.run_id, 42);
    ck_assert_str_eq(j.error, "");
    sw_job *un = NULL;
    long n = 0;
    ck_assert_int_eq(sw_store_jobs_unfinished(st, &un, &n, &err), SW_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(un[0].id, "j-b");
    sw_free(un);
    ck_assert_int_eq(sw_store_job_get(st, "missing", &j, &err), SW_NOT_FOUND);
    sw_store_close(st);
}
END_TEST

/* A database that cannot be reached: a clear error naming it (the password
 * never printed), non-zero exit. */
START_TEST(store_unreachable)
{
    char *out = NULL;
    int rc = tu_sh(&out, "%s metrics --db 'postgresql://swish:s3cret@127.0.0.1:1/nodb?connect_timeout=2'",
                   tu_swish_bin());
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(out, "postgresql://swish:***@127.0.0.1:1/nodb") && strstr(out, "cannot connect"), "%s", out);
    ck_assert_msg(!strstr(out, "s3cret"), "%s", out);
    free(out);
    /* nor in the configuration shown, nor in a report's header */
    rc = tu_sh(&out, "%s config --db 'postgresql://swish:s3cret@127.0.0.1:1/nodb'", tu_swish_bin());
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(out, "\ndb = postgresql://swish:***@127.0.0.1:1/nodb\n") && !strstr(out, "s3cret"), "%s", out);
    free(out);
    char red[100];
    sw_store_redact("postgresql://a:b@h:5/d?sslmode=require", red, sizeof red);
    ck_assert_str_eq(red, "postgresql://a:***@h:5/d?sslmode=require");
    sw_store_redact("postgresql://a@h/d", red, sizeof red);
    ck_assert_str_eq(red, "postgresql://a@h/d");
    sw_store_redact("/var/lib/swish/a:b@c.db", red, sizeof red);
    ck_assert_str_eq(red, "/var/lib/swish/a:b@c.db");
    sw_store *st = NULL;
    sw_error err;
    ck_assert_int_eq(sw_store_open("postgres://127.0.0.1:1/x?connect_timeout=2", 100, 1, &st, &err), SW_DB);
    ck_assert_ptr_null(st);
}
END_TEST

Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tu = tcase_create("units");
    tcase_set_timeout(tu, 60);
    tcase_add_test(tu, store_jobs);
    tcase_add_test(tu, store_unreachable);
    suite_add_tcase(s, tu);
    TCase *ts = tcase_create("simulated");
    tcase_set_timeout(ts, 300);
    tcase_add_unchecked_fixture(ts, sim_setup, sim_teardown);
    tcase_add_test(ts, store_nightly_on_backend);
    tcase_add_test(ts, store_busy);
    tcase_add_test(ts, store_row_refused_mid_write);
    tcase_add_test(ts, store_concurrent_writers);
    suite_add_tcase(s, ts);
    return s;
}
