/* test_rollout: staged rollout of model versions (pipeline/rollout.h).
 *
 * Oracles: the stored rows of a slate run on a simulated league (simulated
 * and trained once, through the CLI, before the tests fork): a shadow version
 * leaves every served row byte for byte as a run without it, and its combined
 * calls are the stacks re-applied by hand to the stored system predictions; a
 * canary serves exactly the player-games an independent SHA-256 of
 * "player|date" assigns to it; the gate's figures against a two-pass mean,
 * standard deviation and the closed-form Wilson interval computed here on a
 * database filled by hand; the registry's state and history after every
 * automatic action. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/date.h"
#include "core/hash.h"
#include "features/league.h"
#include "pipeline/config.h"
#include "pipeline/registry.h"
#include "pipeline/rollout.h"
#include "pipeline/stack.h"
#include "pipeline/store.h"
#include "core/num.h"
#include "testutil.h"

/* ---- helpers ---- */



/* Every row `sql` gives on `small` is among those it gives on `big` (either backend). */
static long missing_rows(const char *small, const char *big, const char *sql)
{
    char *a = tu_sql_dump(small, sql), *b = tu_sql_dump(big, sql);
    size_t nb = strlen(b);
    char *hay = malloc(nb + 2);
    hay[0] = '\n';
    memcpy(hay + 1, b, nb + 1);
    long missing = 0;
    for (char *line = a; *line;) {
        char *end = strchr(line, '\n');
        char want[256];
        snprintf(want, sizeof want, "\n%.*s\n", (int)(end - line), line);
        missing += !strstr(hay, want);
        line = end + 1;
    }
    free(hay);
    free(a);
    free(b);
    return missing;
}

/* The served rows of a database, every column that a reader sees (run ids left out). */
static char *dump_system(const char *db, const char *system)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT game_date, game_id, player_id, model_version, line, book, prediction, lo, hi, p_over, edge,"
             " recommendation, confidence, quality, tier, systems_predicting, systems_agreeing, reason, feature_hash,"
             " contributions, trained_to FROM predictions WHERE system = '%s' ORDER BY game_date, game_id, player_id",
             system);
    return tu_sql_dump(db, sql);
}

/* The canary arm as rollout.h defines it, computed here: the first 8 bytes
 * of SHA-256("player_id|YYYY-MM-DD") as a big-endian integer, mod 100 < share. */
static int arm_of(const char *pid, const char *date, int share)
{
    char key[128];
    int n = snprintf(key, sizeof key, "%s|%s", pid, date);
    sw_sha256 h;
    unsigned char d[32];
    sw_sha256_init(&h);
    sw_sha256_update(&h, key, (size_t)n);
    sw_sha256_final(&h, d);
    unsigned long long v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | d[i];
    return (int)(v % 100) < share;
}

static int day_of(const char *s)
{
    int d;
    ck_assert_int_eq(sw_date_parse(s, strlen(s), &d), 0);
    return d;
}

/* ---- the simulated league: simulated, a champion and a candidate of each model, once ---- */

static char g_root[256], g_conf[320], g_data[320], g_models[320], g_db0[600];
static int g_ready;
static char g_why[4600];

#define D1 "2025-03-10"
static const char *const g_dates[] = {"2025-03-10", "2025-03-11", "2025-03-12", "2025-03-13"};

static void sim_setup(void)
{
    snprintf(g_root, sizeof g_root, "/tmp/swish-roll-XXXXXX");
    if (!mkdtemp(g_root)) return;
    snprintf(g_data, sizeof g_data, "%s/data", g_root);
    snprintf(g_models, sizeof g_models, "%s/models", g_root);
    tu_db(g_db0, sizeof g_db0, g_root, "base");
    char gdb[600];
    tu_db(gdb, sizeof gdb, g_root, "swish");
    snprintf(g_conf, sizeof g_conf, "%s/test.conf", g_root);
    char conf2[400];
    snprintf(conf2, sizeof conf2, "%s/cand.conf", g_root);
    /* the champions: 80 rounds; the candidates: 10 rounds, clearly worse; both trained before March */
    for (int i = 0; i < 2; i++) {
        FILE *fp = fopen(i ? conf2 : g_conf, "w");
        if (!fp) return;
        fprintf(fp, "[paths]\ndata = %s\ndb = %s\nmodels = %s\n\n[retrain]\nrounds = %d\nearly_stopping = %d\n"
                    "folds = 3\n",
                g_data, gdb, g_models, i ? 10 : 80, i ? 0 : 10);
        fclose(fp);
    }
    const char *bin = tu_swish_bin();
    char cmd[4000], args[1200];
    for (int i = 0; i < 4; i++) {
        if (i == 0) snprintf(args, sizeof args, "simulate --seed 11 --seasons 1 --first-season 2024 --out %s", g_data);
        else if (i == 1) snprintf(args, sizeof args, "retrain --until 2025-03-01 --config %s", g_conf);
        else if (i == 2) snprintf(args, sizeof args, "retrain --until 2025-03-01 --config %s", conf2);
        else snprintf(args, sizeof args, "slate --date " D1 " --config %s --db %s", g_conf, g_db0);
        snprintf(cmd, sizeof cmd, "%s %s > %s/setup%d.log 2>&1", bin, args, g_root, i);
        if (system(cmd) != 0) {
            snprintf(g_why, sizeof g_why, "setup step failed: %s (see %s/setup%d.log)", cmd, g_root, i);
            return;
        }
    }
    g_ready = 1;
}

static void sim_teardown(void)
{
    if (g_root[0]) tu_remove_tree(g_root);
}

static void need_sim(void) { ck_assert_msg(g_ready, "%s", g_why); }

/* A private copy of the model store (the tests move versions through stages). */
static void copy_models(const char *name, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/%s", tu_tmpdir(), name);
    ck_assert_int_eq(tu_sh(NULL, "rm -rf %s && mkdir -p %s && cp -r %s %s/models", dir, dir, g_models, dir), 0);
}

/* The champion and the other registered version of a system. */
static void versions(const char *store, const char *system, char champ[64], char cand[64])
{
    sw_error err;
    ck_assert_int_eq(sw_registry_champion(store, system, champ, &err), SW_OK);
    sw_manifest *ms = NULL;
    int n = 0, bad = 0;
    ck_assert_int_eq(sw_registry_versions(store, system, &ms, &n, &bad, &err), SW_OK);
    ck_assert_int_eq(n, 2);
    snprintf(cand, 64, "%s", strcmp(ms[0].version, champ) ? ms[0].version : ms[1].version);
    sw_free(ms);
}

static void load_stack(const char *store, const char *version, sw_stack *s)
{
    sw_manifest m;
    sw_error err;
    ck_assert_int_eq(sw_registry_manifest(store, "stack", version, &m, &err), SW_OK);
    unsigned char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(sw_registry_read(store, &m, "stack", &data, &len, &err), SW_OK);
    ck_assert_int_eq(sw_stack_from_json("stack.json", (const char *)data, len, s, &err), SW_OK);
    sw_free(data);
}

static int sys_id(const char *name)
{
    for (int k = 0; k < SW_SYS_COUNT; k++)
        if (!strcmp(sw_system_name(k), name)) return k;
    return -1;
}

/* A dumped cell as a number: NaN for NULL (the text is exact on PostgreSQL,
 * 15 digits on SQLite: within the tolerances below). */
static double num_or_nan(const char *t)
{
    double v;
    return !strcmp(t, "NULL") || sw_parse_f64(t, strlen(t), &v) ? NAN : v;
}

/* The stacks applied by hand to the stored predictions of one date: the
 * champion stack to the champions' rows must give final.champion, the
 * candidate stack to the same rows with gbdt.rollout in place of gbdt must
 * give final.rollout.  Returns the rows checked. */
static long check_combinations(const char *db, const char *date, const sw_stack *champ, const sw_stack *cand)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT p.game_id, p.player_id, p.system, p.prediction, f.vals, p.line, p.p_market FROM predictions p"
             " JOIN features f USING (game_date, game_id, player_id) WHERE p.game_date = '%s' ORDER BY p.game_id,"
             " p.player_id, p.system",
             date);
    char *dump = tu_sql_dump(db, sql), *line = dump, *col[7];
    long checked = 0;
    char key[128] = "";
    double by[SW_SYS_COUNT], cand_gbdt = NAN, fc = NAN, fr = NAN, ln = NAN, pm = NAN;
    float std10 = NAN;
    int more = 1;
    for (int k = 0; k < SW_SYS_COUNT; k++) by[k] = NAN;
    while (more) {
        more = *line != 0;
        if (more) { /* the row's seven columns (the features' JSON has no '|') */
            char *end = strchr(line, '\n');
            *end = 0;
            for (int c = 0; c < 7; c++) {
                col[c] = line;
                line += c < 6 ? strcspn(line, "|") : strlen(line);
                if (c < 6) *line++ = 0;
            }
            line = end + 1;
        }
        char k2[128] = "";
        if (more) snprintf(k2, sizeof k2, "%s|%s", col[0], col[1]);
        if (key[0] && strcmp(k2, key) != 0) {
            /* one player-game complete */
            double sig;
            int present;
            /* each stack's combination, then its market anchor (market.h) */
            double pc = sw_stack_predict(champ, by, std10, &sig, &present);
            pc = sw_market_pred(&champ->mk, pc, sig, ln, pm);
            double roll[SW_SYS_COUNT];
            memcpy(roll, by, sizeof roll);
            roll[sys_id("gbdt")] = cand_gbdt;
            double pr = sw_stack_predict(cand, roll, std10, &sig, &present);
            pr = sw_market_pred(&cand->mk, pr, sig, ln, pm);
            if (isfinite(pc) && isfinite(pr)) {
                pc = pc < 0 ? 0 : pc > 60 ? 60 : pc;
                pr = pr < 0 ? 0 : pr > 60 ? 60 : pr;
                ck_assert_msg(fabs((float)pc - fc) < 1e-4, "%s: final.champion %.6f, by hand %.6f", key, fc, pc);
                ck_assert_msg(fabs((float)pr - fr) < 1e-4, "%s: final.rollout %.6f, by hand %.6f", key, fr, pr);
                checked++;
            }
            for (int k = 0; k < SW_SYS_COUNT; k++) by[k] = NAN;
            cand_gbdt = fc = fr = NAN;
        }
        if (!more) break;
        snprintf(key, sizeof key, "%s", k2);
        const char *system = col[2];
        double v = num_or_nan(col[3]);
        const char *vals = col[4], *p = strstr(vals, "\"points_std_last_10\":");
        ck_assert_ptr_nonnull(p);
        p += strlen("\"points_std_last_10\":");
        std10 = strncmp(p, "null", 4) ? strtof(p, NULL) : NAN;
        ln = num_or_nan(col[5]);
        pm = num_or_nan(col[6]);
        int k = sys_id(system);
        if (k >= 0) by[k] = v;
        else if (!strcmp(system, "gbdt.rollout")) cand_gbdt = v;
        else if (!strcmp(system, "final.champion")) fc = v;
        else if (!strcmp(system, "final.rollout")) fr = v;
    }
    free(dump);
    return checked;
}

/* ---- (a) shadow: scored and stored on every player-game, never served ---- */

START_TEST(shadow_scored_never_served)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char dir[600], m[700], db[700], *out = NULL;
    copy_models("shadow", dir, sizeof dir);
    snprintf(m, sizeof m, "%s/models", dir);
    tu_db(db, sizeof db, dir, "s");
    char g1[64], g2[64], s1[64], s2[64];
    versions(m, "gbdt", g1, g2);
    versions(m, "stack", s1, s2);
    ck_assert_int_eq(tu_sh(&out, "%s models rollout gbdt %s --to shadow --models %s", bin, g2, m), 0);
    ck_assert_ptr_nonnull(strstr(out, "shadow"));
    free(out);
    ck_assert_int_eq(tu_sh(&out, "%s models rollout stack %s --to shadow --models %s", bin, s2, m), 0);
    free(out);
    int rc = tu_sh(&out, "%s slate --date " D1 " --config %s --models %s --db %s --json 2>/dev/null", bin, g_conf, m, db);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    /* the JSON: the rollout named, share 0, every row served by the champions */
    sw_json *doc = tu_json_parse("slate --json", out);
    sw_jnode root = sw_json_root(doc), ro = sw_json_get(doc, root, "rollout");
    ck_assert(ro != SW_JNONE);
    ck_assert_int_eq(tu_jint(doc, ro, "share"), 0);
    ck_assert_int_eq(tu_jint(doc, ro, "served"), 0);
    char want[200];
    snprintf(want, sizeof want, "stack-%s+gbdt=%s", s2, g2);
    ck_assert(sw_json_streq(doc, sw_json_get(doc, ro, "final_version"), want));
    sw_jnode rows = sw_json_get(doc, root, "rows");
    long nrows = 0;
    for (sw_jnode r = sw_json_first(doc, rows); r != SW_JNONE; r = sw_json_next(doc, r), nrows++) {
        ck_assert(sw_json_streq(doc, sw_json_get(doc, r, "arm"), "champion"));
        ck_assert(sw_json_get(doc, sw_json_get(doc, r, "rollout_systems"), "gbdt") != SW_JNONE);
    }
    sw_json_free(doc);
    free(out);
    /* every player-game has the candidate's row and both finals */
    long n = tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system = 'final'");
    ck_assert_int_eq(n, nrows);
    ck_assert_int_gt(n, 100);
    ck_assert_int_eq(n, tu_sql_long(g_db0, "SELECT count(*) FROM predictions WHERE system = 'final'"));
    static const char *const extra[] = {"gbdt.rollout", "final.champion", "final.rollout"};
    for (int i = 0; i < 3; i++) {
        char sql[300];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM predictions f JOIN predictions x USING (game_date, game_id,"
                                  " player_id) WHERE f.system = 'final' AND x.system = '%s'", extra[i]);
        ck_assert_int_eq(tu_sql_long(db, sql), n);
    }
    char sql[600];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM predictions WHERE system = 'gbdt.rollout' AND model_version = '%s'"
                              " AND trained_to = '2025-02-28'", g2);
    ck_assert_int_eq(tu_sql_long(db, sql), n);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM predictions WHERE system = 'final.rollout' AND model_version = '%s'",
             want);
    ck_assert_int_eq(tu_sql_long(db, sql), n);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM predictions WHERE system IN ('final', 'final.champion') AND"
                              " model_version = 'stack-%s'", s1);
    ck_assert_int_eq(tu_sql_long(db, sql), 2 * n);
    /* the candidate is another model: its predictions differ */
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions c JOIN predictions h USING (game_date, game_id,"
                                " player_id) WHERE c.system = 'gbdt.rollout' AND h.system = 'gbdt' AND"
                                " abs(c.prediction - h.prediction) > 0.01"),
                     n / 2);
    /* final = final.champion on every row, in everything a reader sees */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions f JOIN predictions c USING (game_date, game_id,"
                                " player_id) WHERE f.system = 'final' AND c.system = 'final.champion' AND NOT"
                                " (f.prediction IS NOT DISTINCT FROM c.prediction AND f.lo IS NOT DISTINCT FROM c.lo"
                                " AND f.hi IS NOT DISTINCT FROM c.hi AND f.p_over IS NOT DISTINCT FROM c.p_over"
                                " AND f.recommendation = c.recommendation AND f.confidence IS NOT DISTINCT FROM"
                                " c.confidence AND f.reason = c.reason AND f.contributions IS NOT DISTINCT FROM"
                                " c.contributions AND f.trained_to IS NOT DISTINCT FROM c.trained_to"
                                " AND f.model_version = c.model_version)"),
                     0);
    /* and every served and system row is the one a run without the rollout stores, byte for byte */
    static const char *const same[] = {"final", "gbdt", "moving_average", "zone_matchup", "similarity",
                                       "rules_ensemble"};
    for (int i = 0; i < 6; i++) {
        char *a = dump_system(g_db0, same[i]), *b = dump_system(db, same[i]);
        ck_assert_msg(!strcmp(a, b), "%s rows differ from the run without a rollout", same[i]);
        free(a);
        free(b);
    }
    /* the combinations, by hand: the champion stack on the champions, the candidate stack with the candidate */
    sw_stack st1, st2;
    load_stack(m, s1, &st1);
    load_stack(m, s2, &st2);
    long checked = check_combinations(db, D1, &st1, &st2);
    ck_assert_int_gt(checked, n * 9 / 10);
    /* the rollout's calls differ somewhere (or the test proves nothing) */
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions r JOIN predictions c USING (game_date, game_id,"
                                " player_id) WHERE r.system = 'final.rollout' AND c.system = 'final.champion' AND"
                                " abs(r.prediction - c.prediction) > 0.01"),
                     0);
    /* grading grades the rollout's rows like any other */
    rc = tu_sh(&out, "%s grade --date " D1 " --config %s --db %s 2>&1", bin, g_conf, db);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "gbdt.rollout"));
    ck_assert_ptr_nonnull(strstr(out, "final.rollout"));
    free(out);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM grades"), tu_sql_long(db, "SELECT count(*) FROM predictions"));
}
END_TEST

/* ---- (b) canary: the served call follows the stable split ---- */

/* The served rows of a database against both finals and the arms computed
 * here; returns the rows served by the canary (and *total the rows). */
static long check_served(const char *db, int share, long *total)
{
    /* the served row equals one final in every column a reader sees (IS NOT DISTINCT FROM: NULLs equal) */
    static const char *const cols[] = {"prediction", "lo", "hi", "p_over", "recommendation", "confidence", "reason",
                                       "trained_to", "systems_predicting", "systems_agreeing"};
    char sql[4096], same[2][1400];
    for (int w = 0; w < 2; w++) {
        size_t k = 0;
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
            k += (size_t)snprintf(same[w] + k, sizeof same[w] - k, "%sf.%s IS NOT DISTINCT FROM %c.%s", c ? " AND " : "",
                                  cols[c], w ? 'c' : 'r', cols[c]);
    }
    snprintf(sql, sizeof sql,
             "SELECT f.game_date, f.player_id, f.model_version, r.model_version, c.model_version, %s, %s"
             " FROM predictions f JOIN predictions r USING (game_date, game_id, player_id) JOIN predictions c USING"
             " (game_date, game_id, player_id) WHERE f.system = 'final' AND r.system = 'final.rollout' AND c.system ="
             " 'final.champion' ORDER BY 1, 2",
             same[0], same[1]);
    char *dump = tu_sql_dump(db, sql), *line = dump;
    long canary = 0, n = 0;
    while (*line) {
        char *end = strchr(line, '\n'), *col[7];
        *end = 0;
        for (int c = 0; c < 7; c++) { /* versions and reasons have no '|' */
            col[c] = line;
            line += strcspn(line, "|");
            if (*line) *line++ = 0;
        }
        line = end + 1;
        const char *date = col[0], *pid = col[1], *fv = col[2], *rv = col[3], *cv = col[4];
        int arm = arm_of(pid, date, share);
        ck_assert_int_eq(sw_rollout_arm(pid, day_of(date), share), arm);
        n++;
        if (arm) {
            canary++;
            char want[300];
            snprintf(want, sizeof want, "%s canary", rv);
            ck_assert_str_eq(fv, want);
            ck_assert_msg(!strcmp(col[5], "1"), "%s %s: served %s, not final.rollout", date, pid, fv);
        } else {
            ck_assert_str_eq(fv, cv);
            ck_assert_msg(!strcmp(col[6], "1"), "%s %s: served %s, not final.champion", date, pid, fv);
        }
    }
    free(dump);
    *total = n;
    return canary;
}

START_TEST(canary_follows_the_hash)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char dir[600], m[700], db10[700], db50[700], *out = NULL;
    copy_models("canary", dir, sizeof dir);
    snprintf(m, sizeof m, "%s/models", dir);
    tu_db(db10, sizeof db10, dir, "c10");
    tu_db(db50, sizeof db50, dir, "c50");
    char g1[64], g2[64];
    versions(m, "gbdt", g1, g2);
    sw_registry_configure(NULL, NULL, "test_rollout");
    sw_error err;
    ck_assert_int_eq(sw_registry_rollout(m, "gbdt", g2, SW_STAGE_CANARY, 10, "test", &err), SW_OK);
    for (int pass = 0; pass < 2; pass++) {
        const char *db = pass ? db50 : db10;
        int share = pass ? 50 : 10;
        if (pass) ck_assert_int_eq(sw_registry_rollout(m, "gbdt", g2, SW_STAGE_CANARY, 50, "test", &err), SW_OK);
        for (size_t d = 0; d < sizeof g_dates / sizeof g_dates[0]; d++) {
            int rc = tu_sh(&out, "%s slate --date %s --config %s --models %s --db %s", bin, g_dates[d], g_conf, m, db);
            ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
            char want[64];
            snprintf(want, sizeof want, "(canary %d%%); the rollout served", share);
            ck_assert_msg(strstr(out, want), "%s not in %s", want, out);
            free(out);
        }
        long total, canary = check_served(db, share, &total);
        ck_assert_int_gt(total, 400);
        /* the observed share: binomial, within four standard deviations */
        double p = share / 100.0, sd = sqrt(p * (1 - p) / total), seen = (double)canary / total;
        ck_assert_msg(fabs(seen - p) < 4 * sd, "share %d%%: %ld of %ld served by the canary", share, canary, total);
        /* the canary's calls differ from the champions' somewhere */
        ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions f JOIN predictions c USING (game_date, game_id,"
                                    " player_id) WHERE f.system = 'final' AND c.system = 'final.champion' AND"
                                    " f.model_version LIKE '% canary' AND abs(f.prediction - c.prediction) > 0.01"),
                         0);
        /* a re-run of a date: the same rows, the same assignment */
        char *before = dump_system(db, "final");
        int rc = tu_sh(&out, "%s slate --date " D1 " --config %s --models %s --db %s", bin, g_conf, m, db);
        ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
        free(out);
        char *after = dump_system(db, "final");
        ck_assert_str_eq(before, after);
        free(before);
        free(after);
    }
    /* raising the share only adds player-games: those served at 10% are served at 50% */
    long c10 = tu_sql_long(db10, "SELECT count(*) FROM predictions WHERE system = 'final' AND model_version LIKE '% canary'");
    ck_assert_int_gt(c10, 0);
    ck_assert_int_eq(missing_rows(db10, db50,
                                  "SELECT game_date, game_id, player_id FROM predictions WHERE system = 'final' AND"
                                  " model_version LIKE '% canary' ORDER BY 1, 2, 3"),
                     0);
    /* the JSON says which arm served each row */
    int rc = tu_sh(&out, "%s slate --date " D1 " --config %s --models %s --no-store --json 2>/dev/null", bin, g_conf, m);
    ck_assert_msg(rc == 0, "exit %d", rc);
    sw_json *doc = tu_json_parse("slate --json", out);
    sw_jnode root = sw_json_root(doc);
    ck_assert_int_eq(tu_jint(doc, sw_json_get(doc, root, "rollout"), "share"), 50);
    long arms = 0;
    for (sw_jnode r = sw_json_first(doc, sw_json_get(doc, root, "rows")); r != SW_JNONE; r = sw_json_next(doc, r)) {
        char *pid = sw_json_strdup(doc, sw_json_get(doc, r, "player_id"));
        int arm = arm_of(pid, D1, 50);
        ck_assert(sw_json_streq(doc, sw_json_get(doc, r, "arm"), arm ? "canary" : "champion"));
        sw_jnode fin = sw_json_get(doc, r, arm ? "rollout" : "champion");
        char *call = sw_json_strdup(doc, sw_json_get(doc, fin, "call"));
        ck_assert(sw_json_streq(doc, sw_json_get(doc, r, "call"), call));
        sw_free(call);
        sw_jnode pa = sw_json_get(doc, r, "prediction"), pb = sw_json_get(doc, fin, "prediction");
        ck_assert_int_eq(sw_json_type_of(doc, pa), sw_json_type_of(doc, pb));
        if (sw_json_type_of(doc, pa) == SW_JSON_NUMBER)
            ck_assert_double_eq(tu_jf64(doc, r, "prediction"), tu_jf64(doc, fin, "prediction"));
        arms += arm;
        sw_free(pid);
    }
    ck_assert_int_gt(arms, 0);
    sw_json_free(doc);
    free(out);
}
END_TEST

/* The split over every player and date of the season: the configured share
 * within a point, stable, and a share only adds player-games. */
START_TEST(arm_share_and_stability)
{
    need_sim();
    sw_league *lg;
    sw_error err;
    ck_assert_msg(sw_league_load(g_data, NULL, &lg, NULL, &err) == SW_OK, "%s", err.msg);
    int first = day_of("2024-10-22"), last = day_of("2025-04-06");
    long n = 0, in10 = 0, in50 = 0;
    for (int p = 0; p < sw_league_n_players(lg); p++) {
        const char *pid = sw_league_player_id(lg, p);
        for (int d = first; d <= last; d += 3) {
            char ds[11];
            sw_date_format(d, ds);
            int a10 = sw_rollout_arm(pid, d, 10), a50 = sw_rollout_arm(pid, d, 50);
            ck_assert_int_eq(a10, arm_of(pid, ds, 10));
            ck_assert_int_eq(a50, arm_of(pid, ds, 50));
            ck_assert_int_eq(sw_rollout_arm(pid, d, 10), a10); /* stable */
            ck_assert(!a10 || a50);
            ck_assert_int_eq(sw_rollout_arm(pid, d, 0), 0);
            ck_assert_int_eq(sw_rollout_arm(pid, d, 100), 1);
            n++;
            in10 += a10;
            in50 += a50;
        }
    }
    sw_league_free(lg);
    ck_assert_int_gt(n, 20000);
    ck_assert_msg(fabs((double)in10 / n - 0.10) < 0.01, "%ld of %ld at 10%%", in10, n);
    ck_assert_msg(fabs((double)in50 / n - 0.50) < 0.01, "%ld of %ld at 50%%", in50, n);
}
END_TEST

/* ---- (c) the gate, on a database filled by hand ---- */

static int add_version(const char *store, const char *system, const char *version, int promote)
{
    sw_manifest m;
    sw_manifest_init(&m, system);
    snprintf(m.version, sizeof m.version, "%s", version);
    snprintf(m.train_from, sizeof m.train_from, "2024-10-01");
    snprintf(m.train_to, sizeof m.train_to, "2025-01-31");
    char content[64];
    snprintf(content, sizeof content, "{\"%s\":1}", version);
    sw_reg_blob b = {"mean", "mean.json", (const unsigned char *)content, strlen(content)};
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_registry_add(store, &m, &b, 1, promote, &err);
    ck_assert_msg(rc == SW_OK, "add %s %s: %s", system, version, err.msg);
    return rc;
}

/* SQL text for a fresh database, run at once with tu_sql_exec (either backend). */
typedef struct {
    char *p;
    size_t len, cap;
} sqlbuf;

static void sql_add(sqlbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sql_add(sqlbuf *b, const char *fmt, ...)
{
    if (b->cap - b->len < 1024) b->p = realloc(b->p, b->cap = 2 * b->cap + 4096);
    va_list ap;
    va_start(ap, fmt);
    b->len += (size_t)vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
}

static void put_row(sqlbuf *db, const char *date, int i, const char *system, const char *version, double abs_err,
                    const char *outcome)
{
    sql_add(db,
            "INSERT INTO predictions(game_date, game_id, player_id, system, model_version, recommendation, quality,"
            " tier, feature_hash, run_id) VALUES('%s','G%04d','P%04d','%s','%s','PASS',100,'gold','h',1);",
            date, i, i, system, version);
    if (!outcome) return; /* not graded */
    int void_ = !strcmp(outcome, "VOID");
    char actual[32] = "NULL", err[32] = "NULL";
    if (!void_) {
        snprintf(actual, sizeof actual, "20");
        snprintf(err, sizeof err, "%.17g", abs_err);
    }
    sql_add(db,
            "INSERT INTO grades(game_date, game_id, player_id, system, model_version, actual, outcome, abs_error,"
            " graded_at) VALUES('%s','G%04d','P%04d','%s','%s',%s,'%s',%s,'now');",
            date, i, i, system, version, actual, outcome, err);
}

static unsigned long long g_lcg;
static double unif(void)
{
    g_lcg = g_lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(g_lcg >> 11) / 9007199254740992.0;
}

/* What the gate must find, computed here. */
typedef struct {
    long n, cc, hc, ch, hh;
    double mae_c, mae_h, diff, lo, hi, rc, rc_lo, rc_hi, rh, rh_lo, rh_hi;
} expect;

/* Wilson 95%, closed form (z = 1.959964, the 97.5% normal quantile). */
static void wilson(long k, long n, double *lo, double *hi)
{
    double z = 1.959964, p = (double)k / n;
    double centre = (p + z * z / (2.0 * n)) / (1 + z * z / n);
    double half = z / (1 + z * z / n) * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n));
    *lo = centre - half;
    *hi = centre + half;
}

enum { MODE_PASS, MODE_MAE_LOSS, MODE_HIT_LOSS };

/* Fill a fresh database: n player-games of `system` (a model system, or
 * "stack") from date `first` on, plus rows the gate must leave out.  The
 * candidate's errors are the champion's plus a shift (by mode) and noise; the
 * combined calls hit at rates by mode. */
static void fill(char path[600], const char *name, const char *system, const char *cand, const char *champ,
                 const char *first, long n, int mode, expect *e)
{
    sw_store *st;
    sw_error err;
    tu_db(path, 600, NULL, name);
    ck_assert_int_eq(sw_store_open(path, 1000, 1, &st, &err), SW_OK); /* the schema */
    sqlbuf b = {NULL, 0, 0}, *db = &b;
    sql_add(db, "BEGIN;");
    int stack = !strcmp(system, "stack"), d0 = day_of(first);
    char sys_c[48], sys_h[48], ver_c[96], ver_h[96], before[11];
    snprintf(sys_c, sizeof sys_c, stack ? "final.rollout" : "%s.rollout", system);
    snprintf(sys_h, sizeof sys_h, "%s", stack ? "final.champion" : system);
    snprintf(ver_c, sizeof ver_c, stack ? "stack-%s+gbdt=g9" : "%s", cand);
    snprintf(ver_h, sizeof ver_h, stack ? "stack-%s" : "%s", champ);
    sw_date_format(d0 - 1, before);
    double shift = mode == MODE_MAE_LOSS ? 0.8 : mode == MODE_PASS ? -0.3 : 0.0;
    double p_c = mode == MODE_HIT_LOSS ? 0.2 : 0.56, p_h = mode == MODE_HIT_LOSS ? 0.7 : 0.52;
    double *d = sw_alloc_array((size_t)n, sizeof *d);
    double sc = 0, sh_ = 0, sd = 0;
    memset(e, 0, sizeof *e);
    g_lcg = 12345 + (unsigned long long)mode;
    for (long i = 0; i < n; i++) {
        char ds[11];
        sw_date_format(d0 + (int)(i % 5), ds);
        double eh = 1 + 7 * unif(), ec = fmax(0, eh + shift + (unif() - 0.5) * 2.0);
        put_row(db, ds, (int)i, sys_c, ver_c, ec, "NO_BET");
        put_row(db, ds, (int)i, sys_h, ver_h, eh, "NO_BET");
        d[i] = ec - eh;
        sc += ec;
        sh_ += eh;
        sd += d[i];
        /* the combined calls (for the stack, the rows above are themselves the finals) */
        const char *oc, *oh;
        double u = unif(), v = unif();
        oc = u < 0.15 ? "NO_BET" : u < 0.2 ? "PUSH" : unif() < p_c ? "HIT" : "MISS";
        oh = v < 0.15 ? "NO_BET" : v < 0.2 ? "PUSH" : unif() < p_h ? "HIT" : "MISS";
        if (stack) {
            for (int k = 0; k < 2; k++)
                sql_add(db, "UPDATE grades SET outcome = '%s' WHERE game_id = 'G%04ld' AND system = '%s';", k ? oh : oc,
                        i, k ? sys_h : sys_c);
        } else {
            put_row(db, ds, (int)i, "final.rollout", "mean-of-systems+gbdt=x", 1, oc);
            put_row(db, ds, (int)i, "final.champion", "mean-of-systems", 1, oh);
        }
        int call_c = !strcmp(oc, "HIT") || !strcmp(oc, "MISS"), call_h = !strcmp(oh, "HIT") || !strcmp(oh, "MISS");
        e->cc += call_c;
        e->hc += !strcmp(oc, "HIT");
        e->ch += call_h;
        e->hh += !strcmp(oh, "HIT");
    }
    /* rows the gate leaves out: before the stage began, void, another candidate version, no champion row,
     * champion not graded */
    int j = (int)n;
    put_row(db, before, j, sys_c, ver_c, 50, "NO_BET");
    put_row(db, before, j++, sys_h, ver_h, 0, "NO_BET");
    put_row(db, first, j, sys_c, ver_c, 50, "VOID");
    put_row(db, first, j++, sys_h, ver_h, 0, "NO_BET");
    put_row(db, first, j, sys_c, ver_c, 50, "NO_BET");
    put_row(db, first, j++, sys_h, ver_h, 0, "VOID");
    put_row(db, first, j, sys_c, stack ? "stack-other+gbdt=g9" : "other", 50, "NO_BET");
    put_row(db, first, j++, sys_h, ver_h, 0, "NO_BET");
    if (stack) { /* a longer version with the candidate's as a prefix is another version */
        char longer[128];
        snprintf(longer, sizeof longer, "stack-%sX", cand);
        put_row(db, first, j, sys_c, longer, 50, "NO_BET");
        put_row(db, first, j++, sys_h, ver_h, 0, "NO_BET");
    }
    put_row(db, first, j++, sys_c, ver_c, 50, "NO_BET");
    put_row(db, first, j, sys_c, ver_c, 50, "NO_BET");
    put_row(db, first, j++, sys_h, ver_h, 0, NULL);
    sql_add(db, "COMMIT;");
    ck_assert_int_eq(tu_sql_exec(path, b.p), 0);
    free(b.p);
    sw_store_close(st);
    /* two passes: the mean, then the spread */
    e->n = n;
    e->mae_c = sc / n;
    e->mae_h = sh_ / n;
    e->diff = sd / n;
    double ss = 0;
    for (long i = 0; i < n; i++) ss += (d[i] - e->diff) * (d[i] - e->diff);
    double half = 1.96 * sqrt(ss / (n - 1)) / sqrt((double)n);
    e->lo = e->diff - half;
    e->hi = e->diff + half;
    e->rc = (double)e->hc / e->cc;
    e->rh = (double)e->hh / e->ch;
    wilson(e->hc, e->cc, &e->rc_lo, &e->rc_hi);
    wilson(e->hh, e->ch, &e->rh_lo, &e->rh_hi);
    sw_free(d);
}

static void check_figures(const sw_gate *g, const expect *e)
{
    ck_assert_int_eq(g->n, e->n);
    ck_assert_double_eq_tol(g->mae_cand, e->mae_c, 1e-9);
    ck_assert_double_eq_tol(g->mae_champ, e->mae_h, 1e-9);
    ck_assert_double_eq_tol(g->mae_diff, e->diff, 1e-9);
    ck_assert_double_eq_tol(g->mae_diff_lo, e->lo, 1e-9);
    ck_assert_double_eq_tol(g->mae_diff_hi, e->hi, 1e-9);
    ck_assert_int_eq(g->calls_cand, e->cc);
    ck_assert_int_eq(g->hits_cand, e->hc);
    ck_assert_int_eq(g->calls_champ, e->ch);
    ck_assert_int_eq(g->hits_champ, e->hh);
    ck_assert_double_eq_tol(g->hit_cand, e->rc, 1e-12);
    ck_assert_double_eq_tol(g->hit_champ, e->rh, 1e-12);
    ck_assert_double_eq_tol(g->hit_cand_lo, e->rc_lo, 1e-9);
    ck_assert_double_eq_tol(g->hit_cand_hi, e->rc_hi, 1e-9);
    ck_assert_double_eq_tol(g->hit_champ_lo, e->rh_lo, 1e-9);
    ck_assert_double_eq_tol(g->hit_champ_hi, e->rh_hi, 1e-9);
}

/* A gate's figures against those computed here; the verdict by the rules. */
START_TEST(gate_figures_by_hand)
{
    sw_registry_configure(NULL, NULL, "test_rollout");
    char store[600], path[600];
    snprintf(store, sizeof store, "%s/gstore", tu_tmpdir());
    tu_db(path, sizeof path, NULL, "g");
    add_version(store, "gbdt", "c1", 1);
    add_version(store, "gbdt", "c2", 0);
    add_version(store, "stack", "s1", 1);
    add_version(store, "stack", "s2", 0);
    sw_error err;
    sw_config cfg;
    sw_config_default(&cfg);
    cfg.min_graded = 100;
    sw_store *st;
    sw_gate g;
    /* no rollout: not found */
    ck_assert_int_eq(sw_store_open(path, 1000, 1, &st, &err), SW_OK);
    ck_assert_int_eq(sw_rollout_gate(st, &cfg, store, "gbdt", &g, &err), SW_NOT_FOUND);
    sw_store_close(st);
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "c2", SW_STAGE_SHADOW, 0, "test", &err), SW_OK);
    ck_assert_int_eq(sw_registry_rollout(store, "stack", "s2", SW_STAGE_CANARY, 10, "test", &err), SW_OK);
    sw_reg_state rs;
    ck_assert_int_eq(sw_registry_state(store, "gbdt", &rs, &err), SW_OK);
    char first[11];
    snprintf(first, sizeof first, "%.10s", rs.since);
    sw_registry_state_free(&rs);
    static const struct {
        const char *system;
        int mode;
        sw_gate_verdict want;
    } cases[] = {{"gbdt", MODE_PASS, SW_GATE_PASS},
                 {"gbdt", MODE_MAE_LOSS, SW_GATE_LOSS},
                 {"gbdt", MODE_HIT_LOSS, SW_GATE_LOSS},
                 {"stack", MODE_PASS, SW_GATE_PASS},
                 {"stack", MODE_MAE_LOSS, SW_GATE_LOSS}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        expect e;
        int stack = !strcmp(cases[c].system, "stack");
        fill(path, "gate", cases[c].system, stack ? "s2" : "c2", stack ? "s1" : "c1", first, 300, cases[c].mode, &e);
        ck_assert_int_eq(sw_store_open(path, 1000, 0, &st, &err), SW_OK);
        ck_assert_int_eq(sw_rollout_gate(st, &cfg, store, cases[c].system, &g, &err), SW_OK);
        check_figures(&g, &e);
        ck_assert_str_eq(g.candidate, stack ? "s2" : "c2");
        ck_assert_str_eq(g.champion, stack ? "s1" : "c1");
        ck_assert_int_eq(g.stage, stack ? SW_STAGE_CANARY : SW_STAGE_SHADOW);
        ck_assert_int_eq(g.share, stack ? 10 : 0);
        ck_assert_msg(g.verdict == cases[c].want, "case %zu: verdict %d (%s)", c, g.verdict, g.why);
        /* the figures are what the rules say they are */
        if (cases[c].mode == MODE_PASS) ck_assert(e.lo <= 0 && e.rc_hi >= e.rh);
        if (cases[c].mode == MODE_MAE_LOSS) ck_assert(e.lo > 0);
        if (cases[c].mode == MODE_HIT_LOSS) ck_assert(e.lo <= 0 && e.rc_hi < e.rh);
        /* too few player-games: undecided, whatever the figures */
        sw_config few = cfg;
        few.min_graded = 301;
        ck_assert_int_eq(sw_rollout_gate(st, &few, store, cases[c].system, &g, &err), SW_OK);
        ck_assert_int_eq(g.verdict, SW_GATE_UNDECIDED);
        ck_assert_ptr_nonnull(strstr(g.why, "300 graded player-games"));
        sw_store_close(st);
    }
    /* an empty database: nothing, undecided */
    unlink(path);
    ck_assert_int_eq(sw_store_open(path, 1000, 1, &st, &err), SW_OK);
    ck_assert_int_eq(sw_rollout_gate(st, &cfg, store, "gbdt", &g, &err), SW_OK);
    ck_assert_int_eq(g.n, 0);
    ck_assert_int_eq(g.verdict, SW_GATE_UNDECIDED);
    sw_store_close(st);
}
END_TEST

static int n_events(const char *store, const char *system, sw_reg_event *last)
{
    sw_reg_state rs;
    sw_error err;
    ck_assert_int_eq(sw_registry_state(store, system, &rs, &err), SW_OK);
    int n = rs.n_events;
    if (last && n) *last = rs.events[n - 1];
    sw_registry_state_free(&rs);
    return n;
}

static sw_stage stage_of(const char *store, const char *version, int *share)
{
    sw_reg_state rs;
    sw_error err;
    ck_assert_int_eq(sw_registry_state(store, "gbdt", &rs, &err), SW_OK);
    sw_stage s = sw_reg_stage_of(&rs, version, share);
    sw_registry_state_free(&rs);
    return s;
}

/* gate_all on one gbdt rollout; returns the gate. */
static sw_gate gate_all(const char *path, const sw_config *cfg, const char *store, char **log)
{
    sw_store *st;
    sw_error err;
    ck_assert_int_eq(sw_store_open(path, 1000, 0, &st, &err), SW_OK);
    sw_gate g[SW_SYS_COUNT + 1];
    int n = -1;
    size_t len;
    FILE *lf = open_memstream(log, &len);
    ck_assert_int_eq(sw_rollout_gate_all(st, cfg, store, g, &n, lf, &err), SW_OK);
    fclose(lf);
    sw_store_close(st);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(g[0].system, "gbdt");
    return g[0];
}

/* The automatic actions: only with enough games, a loss rolled back only
 * with auto_rollback, a pass advanced one step only with auto_promote; every
 * action in the history with its figures. */
START_TEST(gate_actions)
{
    sw_registry_configure(NULL, NULL, "test_rollout");
    char store[600], path[600], *log = NULL;
    snprintf(store, sizeof store, "%s/astore", tu_tmpdir());
    tu_db(path, sizeof path, NULL, "a");
    add_version(store, "gbdt", "c1", 1);
    add_version(store, "gbdt", "c2", 0);
    sw_error err;
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "c2", SW_STAGE_SHADOW, 0, "test", &err), SW_OK);
    sw_reg_state rs;
    ck_assert_int_eq(sw_registry_state(store, "gbdt", &rs, &err), SW_OK);
    char first[11];
    snprintf(first, sizeof first, "%.10s", rs.since);
    sw_registry_state_free(&rs);
    sw_config cfg;
    sw_config_default(&cfg);
    cfg.min_graded = 61;
    cfg.auto_rollback = 1;
    cfg.auto_promote = 1;
    expect e;
    fill(path, "actions", "gbdt", "c2", "c1", first, 60, MODE_MAE_LOSS, &e);
    int ev = n_events(store, "gbdt", NULL);
    /* too few: no action, even with every automatic action allowed */
    sw_gate g = gate_all(path, &cfg, store, &log);
    ck_assert_int_eq(g.verdict, SW_GATE_UNDECIDED);
    ck_assert_str_eq(g.action, "");
    ck_assert_int_eq(n_events(store, "gbdt", NULL), ev);
    ck_assert_int_eq(stage_of(store, "c2", NULL), SW_STAGE_SHADOW);
    ck_assert_ptr_nonnull(strstr(log, "gate: gbdt c2 (shadow)"));
    ck_assert_ptr_nonnull(strstr(log, "UNDECIDED"));
    free(log);
    /* a clear loss without auto_rollback: said, not acted on */
    cfg.min_graded = 50;
    cfg.auto_rollback = 0;
    g = gate_all(path, &cfg, store, &log);
    free(log);
    ck_assert_int_eq(g.verdict, SW_GATE_LOSS);
    ck_assert_str_eq(g.action, "");
    ck_assert_int_eq(n_events(store, "gbdt", NULL), ev);
    /* with it: rolled back, the figures in the history */
    cfg.auto_rollback = 1;
    g = gate_all(path, &cfg, store, &log);
    ck_assert_ptr_nonnull(strstr(log, "CLEAR LOSS"));
    ck_assert_ptr_nonnull(strstr(log, "rolled back"));
    free(log);
    check_figures(&g, &e);
    ck_assert_str_eq(g.action, "rolled back");
    ck_assert_int_eq(stage_of(store, "c2", NULL), SW_STAGE_ROLLED_BACK);
    char champ[64];
    ck_assert_int_eq(sw_registry_champion(store, "gbdt", champ, &err), SW_OK);
    ck_assert_str_eq(champ, "c1");
    sw_reg_event last;
    ck_assert_int_eq(n_events(store, "gbdt", &last), ev + 1);
    ck_assert_str_eq(last.action, "rollback");
    ck_assert_str_eq(last.version, "c2");
    char fig[128];
    snprintf(fig, sizeof fig, "difference %+.3f [%+.3f, %+.3f]", e.diff, e.lo, e.hi);
    ck_assert_msg(strstr(last.note, fig), "%s not in %s", fig, last.note);
    snprintf(fig, sizeof fig, "%ld player-games; MAE %.3f vs %.3f", e.n, e.mae_c, e.mae_h);
    ck_assert_msg(strstr(last.note, fig), "%s not in %s", fig, last.note);
    snprintf(fig, sizeof fig, "hit rate %.1f%% [%.1f, %.1f] of %ld", 100 * e.rc, 100 * e.rc_lo, 100 * e.rc_hi, e.cc);
    ck_assert_msg(strstr(last.note, fig), "%s not in %s", fig, last.note);
    /* no rollout left: gate_all finds none */
    sw_store *st;
    ck_assert_int_eq(sw_store_open(path, 1000, 0, &st, &err), SW_OK);
    sw_gate gs[SW_SYS_COUNT + 1];
    int n = -1;
    ck_assert_int_eq(sw_rollout_gate_all(st, &cfg, store, gs, &n, NULL, &err), SW_OK);
    ck_assert_int_eq(n, 0);
    sw_store_close(st);

    /* a pass: nothing without auto_promote, then one step at a time */
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "c2", SW_STAGE_SHADOW, 0, "again", &err), SW_OK);
    fill(path, "actions2", "gbdt", "c2", "c1", first, 60, MODE_PASS, &e);
    ck_assert(e.lo <= 0 && e.rc_hi >= e.rh);
    cfg.auto_promote = 0;
    ev = n_events(store, "gbdt", NULL);
    g = gate_all(path, &cfg, store, &log);
    free(log);
    ck_assert_int_eq(g.verdict, SW_GATE_PASS);
    ck_assert_str_eq(g.action, "");
    ck_assert_int_eq(n_events(store, "gbdt", NULL), ev);
    ck_assert_int_eq(stage_of(store, "c2", NULL), SW_STAGE_SHADOW);
    cfg.auto_promote = 1;
    cfg.canary_share = 10;
    static const struct {
        const char *action;
        sw_stage stage;
        int share;
    } steps[] = {{"advanced to canary 10%", SW_STAGE_CANARY, 10},
                 {"advanced to canary 50%", SW_STAGE_CANARY, 50},
                 {"promoted to champion", SW_STAGE_CHAMPION, 100}};
    for (int s = 0; s < 3; s++) {
        g = gate_all(path, &cfg, store, &log);
        free(log);
        ck_assert_int_eq(g.verdict, SW_GATE_PASS);
        ck_assert_str_eq(g.action, steps[s].action);
        int share;
        ck_assert_int_eq(stage_of(store, "c2", &share), steps[s].stage);
        ck_assert_int_eq(share, steps[s].share);
        ck_assert_int_eq(n_events(store, "gbdt", &last), ev + s + 1);
        ck_assert_str_eq(last.action, "rollout");
        snprintf(fig, sizeof fig, "difference %+.3f [%+.3f, %+.3f]", e.diff, e.lo, e.hi);
        ck_assert_msg(strstr(last.note, fig), "%s not in %s", fig, last.note);
        ck_assert_ptr_nonnull(strstr(last.note, "auto_promote"));
    }
    ck_assert_int_eq(sw_registry_champion(store, "gbdt", champ, &err), SW_OK);
    ck_assert_str_eq(champ, "c2");
}
END_TEST

/* ---- (d) rollback in one step restores serving ---- */

START_TEST(rollback_restores_serving)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char dir[600], m[700], db[700], *out = NULL;
    copy_models("rollback", dir, sizeof dir);
    snprintf(m, sizeof m, "%s/models", dir);
    tu_db(db, sizeof db, dir, "r");
    char g1[64], g2[64], s1[64], s2[64];
    versions(m, "gbdt", g1, g2);
    versions(m, "stack", s1, s2);
    sw_registry_configure(NULL, NULL, "test_rollout");
    sw_error err;
    ck_assert_int_eq(sw_registry_rollout(m, "gbdt", g2, SW_STAGE_CANARY, 50, "test", &err), SW_OK);
    ck_assert_int_eq(sw_registry_rollout(m, "stack", s2, SW_STAGE_CANARY, 50, "test", &err), SW_OK);
    int rc = tu_sh(&out, "%s slate --date " D1 " --config %s --models %s --db %s", bin, g_conf, m, db);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    free(out);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system = 'final' AND model_version LIKE"
                                " '% canary'"),
                     0);
    /* served rows differ from the run without a rollout while the canary serves */
    char *base = dump_system(g_db0, "final"), *now = dump_system(db, "final");
    ck_assert_str_ne(base, now);
    free(now);
    for (int i = 0; i < 2; i++) {
        rc = tu_sh(&out, "%s models rollback %s --models %s", bin, i ? "stack" : "gbdt", m);
        ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
        ck_assert_ptr_nonnull(strstr(out, "rolled back"));
        free(out);
    }
    char champ[64];
    ck_assert_int_eq(sw_registry_champion(m, "gbdt", champ, &err), SW_OK);
    ck_assert_str_eq(champ, g1);
    rc = tu_sh(&out, "%s slate --date " D1 " --config %s --models %s --db %s", bin, g_conf, m, db);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_ptr_null(strstr(out, "rollout:"));
    free(out);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system LIKE '%.%'"), 0);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions_superseded WHERE system = 'gbdt.rollout'"), 0);
    static const char *const same[] = {"final", "gbdt", "moving_average"};
    for (int i = 0; i < 3; i++) {
        char *a = dump_system(g_db0, same[i]), *b = dump_system(db, same[i]);
        ck_assert_msg(!strcmp(a, b), "%s rows differ from the run that never had a rollout", same[i]);
        free(a);
        free(b);
    }
    free(base);
    /* the JSON has no rollout either */
    rc = tu_sh(&out, "%s slate --date " D1 " --config %s --models %s --no-store --json 2>/dev/null", bin, g_conf, m);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_null(strstr(out, "\"arm\""));
    ck_assert_ptr_null(strstr(out, "\"rollout\""));
    free(out);
}
END_TEST

Suite *rollout_suite(void)
{
    Suite *s = suite_create("rollout");
    TCase *tu = tcase_create("gate");
    tcase_set_timeout(tu, 60);
    tcase_add_test(tu, gate_figures_by_hand);
    tcase_add_test(tu, gate_actions);
    suite_add_tcase(s, tu);
    TCase *ts = tcase_create("simulated");
    tcase_set_timeout(ts, 120);
    tcase_add_unchecked_fixture(ts, sim_setup, sim_teardown);
    tcase_add_test(ts, shadow_scored_never_served);
    tcase_add_test(ts, canary_follows_the_hash);
    tcase_add_test(ts, arm_share_and_stability);
    tcase_add_test(ts, rollback_restores_serving);
    suite_add_tcase(s, ts);
    return s;
}
