/* test_nightly: the unattended night.  `swish nightly` end to end on a
 * simulated league with a webhook receiver (what each alert carries, once,
 * never blocking the night), `retrain --if-due` and its placement, and a
 * BLOCKED system left out of final (the oracle: the slate without it). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/date.h"
#include "testutil.h"
#include "core/clock.h"

#define BIN tu_swish_bin()

/* A simulated league, gbdt and stack trained before 2025-03-01, a config
 * (extra: more lines, e.g. an [alerts] section). */
static char g_db[600]; /* the test's store (tu_db), made by the first fixture */

static const char *night_fixture(const char *extra)
{
    static char conf[600];
    const char *t = tu_tmpdir();
    if (!g_db[0]) tu_db(g_db, sizeof g_db, NULL, "night");
    snprintf(conf, sizeof conf, "%s/night.conf", t);
    FILE *fp = fopen(conf, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "[paths]\ndata = %s/data\nmodels = %s/models\ndb = %s\n%s", t, t, g_db, extra ? extra : "");
    fclose(fp);
    char data[600];
    snprintf(data, sizeof data, "%s/data", t);
    struct stat st;
    if (stat(data, &st) != 0) {
        ck_assert_int_eq(tu_sh(NULL, "%s simulate --seed 11 --seasons 1 --first-season 2024 --out %s/data", BIN, t), 0);
        ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until 2025-03-01 >/dev/null 2>&1", BIN, conf), 0);
    }
    return conf;
}

static sw_jnode step_of(const sw_json *d, const char *name)
{
    sw_jnode steps = sw_json_get(d, sw_json_root(d), "steps");
    for (sw_jnode s = sw_json_first(d, steps); s != SW_JNONE; s = sw_json_next(d, s))
        if (sw_json_streq(d, sw_json_get(d, s, "step"), name)) return s;
    ck_abort_msg("no step %s", name);
    return SW_JNONE;
}

static int step_is(const sw_json *d, const char *name, const char *status)
{
    return sw_json_streq(d, sw_json_get(d, step_of(d, name), "status"), status);
}

/* Two nights: the first stores the slate, the second grades it first; the
 * steps report what they did. */
START_TEST(nightly_two_nights)
{
    const char *conf = night_fixture("[retrain]\nrounds = 30\nfolds = 3\nevery_days = 0\n");
    char db[600], *out = NULL;
    snprintf(db, sizeof db, "%s", g_db);
    int rc = tu_sh(&out, "%s nightly --config %s --date 2025-03-01 --json 2>/dev/null", BIN, conf);
    ck_assert_msg(rc == 0 || rc == 1, "exit %d: %s", rc, out);
    sw_json *d = tu_json_parse("night 1", out);
    ck_assert(step_is(d, "grade", "skipped"));
    ck_assert(step_is(d, "retrain", "skipped"));
    ck_assert(step_is(d, "slate", "ok"));
    ck_assert_int_eq(tu_jint(d, sw_json_root(d), "exit_code"), rc);
    sw_json_free(d);
    free(out);
    long stored = tu_sql_long(db, "SELECT count(*) FROM predictions WHERE game_date = '2025-03-01'");
    ck_assert_int_gt(stored, 100);
    rc = tu_sh(&out, "%s nightly --config %s --date 2025-03-02 --json 2>/dev/null", BIN, conf);
    ck_assert_msg(rc == 0 || rc == 1, "exit %d: %s", rc, out);
    d = tu_json_parse("night 2", out);
    ck_assert(step_is(d, "grade", "ok"));
    ck_assert(step_is(d, "monitor", "ok") || step_is(d, "monitor", "warning"));
    ck_assert(step_is(d, "slate", "ok"));
    sw_json_free(d);
    free(out);
    /* every stored prediction of the first night graded (the league has its box scores) */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM grades WHERE game_date = '2025-03-01'"), stored);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM runs"), 2);
    /* the text summary: one line per step */
    ck_assert_int_eq(tu_sh(&out, "%s nightly --config %s --date 2025-03-02 2>/dev/null | grep -c '^  [a-z]'", BIN, conf),
                     0);
    ck_assert_int_eq(atoi(out), 6);
    free(out);
}
END_TEST

/* A failing retrain (due early in the season: too few rows before the date)
 * is alerted once, with its error, to both endpoints; the slate still runs;
 * the next night the same alert is de-duplicated; an endpoint that hangs
 * costs its timeout and nothing else. */
START_TEST(nightly_alerts)
{
    tu_receiver rv;
    tu_recv_start(&rv);
    char extra[1200];
    snprintf(extra, sizeof extra,
             "[retrain]\nrounds = 30\nfolds = 3\nevery_days = 1\n"
             "[alerts]\nslack_url = %s/ok/slack/T000/B000/secretpart\nwebhook_url = %s/ok/hook\ntimeout_s = 2\n"
             "retries = 1\n",
             rv.base, rv.base);
    const char *conf = night_fixture(extra);
    char db[600], *out = NULL, *err = NULL;
    snprintf(db, sizeof db, "%s", g_db);
    int rc = tu_sh(&out, "%s nightly --config %s --date 2024-10-24 --now 2030-01-01T12:00:00Z --json 2>%s/e1.log", BIN,
                   conf, tu_tmpdir());
    ck_assert_int_eq(rc, 1);
    sw_json *d = tu_json_parse("night", out);
    ck_assert(step_is(d, "retrain", "failed"));
    /* scored by the rule systems: the models were trained after the date and are refused */
    ck_assert(step_is(d, "slate", "warning"));
    sw_json_free(d);
    free(out);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE game_date = '2024-10-24'"), 50);
    /* exactly one retrain_failed at each endpoint, complete */
    sw_json *log = tu_recv_log(&rv, "/ok/hook");
    int retrain = 0;
    for (sw_jnode r = sw_json_first(log, tu_recv_requests(log)); r != SW_JNONE; r = sw_json_next(log, r)) {
        char *body = sw_json_strdup(log, sw_json_get(log, r, "body"));
        sw_json *b = tu_json_parse("alert", body);
        sw_jnode root = sw_json_root(b);
        if (sw_json_streq(b, sw_json_get(b, root, "event"), "retrain_failed")) {
            retrain++;
            ck_assert(sw_json_streq(b, sw_json_get(b, root, "severity"), "critical"));
            ck_assert(sw_json_streq(b, sw_json_get(b, root, "system"), "gbdt"));
            char *text = sw_json_strdup(b, sw_json_get(b, root, "text"));
            ck_assert_msg(strstr(text, "usable training rows"), "the error is not in the alert: %s", text);
            free(text);
            char *run = sw_json_strdup(b, sw_json_get(b, root, "run_id"));
            ck_assert_msg(!strncmp(run, "nightly-", 8), "run id %s", run);
            free(run);
        }
        sw_json_free(b);
        free(body);
    }
    sw_json_free(log);
    ck_assert_int_eq(retrain, 1);
    char *slack = NULL;
    int ns = tu_recv_count(&rv, "/ok/slack/T000/B000/secretpart");
    ck_assert_int_ge(ns, 1);
    int found = 0;
    for (int i = 0; i < ns; i++) {
        slack = tu_recv_body(&rv, "/ok/slack/T000/B000/secretpart", i);
        found += strstr(slack, "retrain_failed") != NULL;
        free(slack);
    }
    ck_assert_int_eq(found, 1);
    /* the secret never in the night's output */
    char path[700];
    snprintf(path, sizeof path, "%s/e1.log", tu_tmpdir());
    err = tu_slurp(path, NULL);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_null(strstr(err, "secretpart"));
    ck_assert_ptr_nonnull(strstr(err, "alert retrain_failed"));
    free(err);
    /* the next night: the same failure, not sent again */
    int before = tu_recv_count(&rv, "/ok/hook");
    rc = tu_sh(&out, "%s nightly --config %s --date 2024-10-25 --now 2030-01-02T12:00:00Z --json 2>/dev/null", BIN, conf);
    ck_assert_int_eq(rc, 1);
    d = tu_json_parse("night 2", out);
    sw_jnode al = sw_json_get(d, sw_json_root(d), "alerts");
    ck_assert_int_ge(tu_jint(d, al, "deduplicated"), 1);
    sw_json_free(d);
    free(out);
    log = tu_recv_log(&rv, "/ok/hook");
    retrain = 0;
    for (sw_jnode r = sw_json_first(log, tu_recv_requests(log)); r != SW_JNONE; r = sw_json_next(log, r)) {
        char *body = sw_json_strdup(log, sw_json_get(log, r, "body"));
        retrain += strstr(body, "\"retrain_failed\"") != NULL;
        free(body);
    }
    sw_json_free(log);
    ck_assert_int_eq(retrain, 1);
    ck_assert_int_ge(tu_recv_count(&rv, "/ok/hook"), before);
    /* an endpoint that hangs: the night ends within its budget, with the same exit */
    snprintf(extra, sizeof extra,
             "[retrain]\nrounds = 30\nfolds = 3\nevery_days = 1\n"
             "[alerts]\nwebhook_url = %s/hang-30/hook\ntimeout_s = 1\nretries = 0\n",
             rv.base);
    conf = night_fixture(extra);
    double t0 = sw_clock_now();
    rc = tu_sh(&out, "%s nightly --config %s --date 2024-10-26 --now 2030-01-03T12:00:00Z --json 2>/dev/null", BIN, conf);
    double secs = sw_clock_now() - t0;
    ck_assert_int_eq(rc, 1);
    d = tu_json_parse("night 3", out);
    ck_assert(step_is(d, "slate", "warning"));
    al = sw_json_get(d, sw_json_root(d), "alerts");
    ck_assert_int_ge(tu_jint(d, al, "failed"), 1);
    sw_json_free(d);
    free(out);
    ck_assert_msg(secs < 15, "the night took %.1f s beside a hanging endpoint", secs);
    tu_recv_stop(&rv);
}
END_TEST

/* The final of every row of a slate JSON, by player. */
static char *finals(const char *json)
{
    sw_json *d = tu_json_parse("slate", json);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    out[0] = 0;
    sw_jnode rows = sw_json_get(d, sw_json_root(d), "rows");
    for (sw_jnode r = sw_json_first(d, rows); r != SW_JNONE; r = sw_json_next(d, r)) {
        char *id = sw_json_strdup(d, sw_json_get(d, r, "player_id"));
        char *call = sw_json_strdup(d, sw_json_get(d, r, "call"));
        double p = tu_jf64(d, r, "prediction");
        if (len + 200 > cap) out = realloc(out, cap *= 2);
        len += (size_t)snprintf(out + len, cap - len, "%s %.2f %s\n", id, p, call);
        free(id);
        free(call);
    }
    sw_json_free(d);
    return out;
}

/* A system BLOCKED by a person is scored but left out of final: the final is
 * the one of a slate without that system; --enable brings it back. */
START_TEST(blocked_system_leaves_final)
{
    const char *conf = night_fixture("[retrain]\nrounds = 30\nfolds = 3\n");
    char *plain = NULL, *blocked = NULL, *without = NULL, *after = NULL;
    ck_assert_int_eq(tu_sh(&plain, "%s slate --config %s --date 2025-03-01 --no-store --json 2>/dev/null", BIN, conf), 0);
    ck_assert_int_eq(tu_sh(NULL, "%s monitor --config %s --date 2025-03-01 --block similarity >/dev/null 2>&1", BIN, conf),
                     0);
    char *err = NULL;
    ck_assert_int_eq(tu_sh(&blocked, "%s slate --config %s --date 2025-03-01 --no-store --json 2>%s/b.log", BIN, conf,
                           tu_tmpdir()),
                     0);
    char path[700];
    snprintf(path, sizeof path, "%s/b.log", tu_tmpdir());
    err = tu_slurp(path, NULL);
    ck_assert_ptr_nonnull(strstr(err, "similarity is BLOCKED by the monitor"));
    free(err);
    ck_assert_int_eq(tu_sh(&without,
                           "SWISH_SLATE_SYSTEMS=moving_average,zone_matchup,rules_ensemble,gbdt,catboost_v8 %s slate "
                           "--config %s --date 2025-03-01 --no-store --json 2>/dev/null",
                           BIN, conf),
                     0);
    char *fb = finals(blocked), *fw = finals(without), *fp = finals(plain);
    ck_assert_str_eq(fb, fw);
    ck_assert_str_ne(fb, fp);
    /* still scored: its own column is there */
    ck_assert_ptr_nonnull(strstr(blocked, "\"similarity\":{\"prediction\""));
    ck_assert_int_eq(tu_sh(NULL, "%s monitor --config %s --date 2025-03-01 --enable similarity >/dev/null 2>&1", BIN, conf),
                     0);
    ck_assert_int_eq(tu_sh(&after, "%s slate --config %s --date 2025-03-01 --no-store --json 2>/dev/null", BIN, conf), 0);
    char *fa = finals(after);
    ck_assert_str_eq(fa, fp);
    free(fa);
    free(fb);
    free(fw);
    free(fp);
    free(plain);
    free(blocked);
    free(without);
    free(after);
}
END_TEST

/* retrain --if-due: nothing before the schedule; when due, the versions enter
 * as shadow; a rollout in progress is not replaced; every_days = 0 is off. */
START_TEST(retrain_if_due)
{
    const char *conf = night_fixture("[retrain]\nrounds = 30\nfolds = 3\nevery_days = 7\nat = 06:00\n");
    const char *t = tu_tmpdir();
    char *out = NULL;
    ck_assert_int_eq(tu_sh(&out, "ls %s/models/gbdt | grep -vc json", t), 0);
    int before = atoi(out);
    free(out);
    /* created just now: due in 7 days at 06:00 */
    ck_assert_int_eq(tu_sh(&out, "%s retrain --config %s --if-due --json 2>/dev/null", BIN, conf), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"due\":false"));
    char *nd = strstr(out, "\"next_due\":\"");
    ck_assert_ptr_nonnull(nd);
    char due[32], before_due[32];
    snprintf(due, sizeof due, "%.20s", nd + 12);
    ck_assert_msg(!strcmp(due + 10, "T06:00:00Z"), "next due %s", due);
    snprintf(before_due, sizeof before_due, "%.10sT05:59:59Z", due);
    time_t tt = time(NULL);
    struct tm tm;
    gmtime_r(&tt, &tm);
    char in7[16];
    tt += 7 * 86400;
    gmtime_r(&tt, &tm);
    strftime(in7, sizeof in7, "%Y-%m-%d", &tm);
    ck_assert_msg(!strncmp(due, in7, 10), "next due %s, not 7 days from today (%s)", due, in7);
    free(out);
    ck_assert_int_eq(tu_sh(&out, "%s retrain --config %s --if-due --now %s 2>&1 >/dev/null", BIN, conf, before_due), 0);
    ck_assert_ptr_nonnull(strstr(out, "not due"));
    free(out);
    ck_assert_int_eq(tu_sh(&out, "%s retrain --config %s --if-due --now %s --json 2>/dev/null", BIN, conf, due), 0);
    ck_assert_msg(strstr(out, "\"placed\":\"shadow\""), "%s", strstr(out, "placed") ? strstr(out, "placed") : out);
    free(out);
    ck_assert_int_eq(tu_sh(&out, "%s models status --config %s --json 2>/dev/null", BIN, conf), 0);
    ck_assert_ptr_nonnull(strstr(out, "shadow"));
    free(out);
    /* due again: the rollout in progress stays, the new versions are only registered */
    ck_assert_int_eq(tu_sh(&out, "%s retrain --config %s --if-due --now 2040-01-01T06:00:00Z --json 2>/dev/null", BIN,
                           conf),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "\"placed\":\"registered\""));
    ck_assert_ptr_nonnull(strstr(out, "is in rollout"));
    free(out);
    ck_assert_int_eq(tu_sh(&out, "ls %s/models/gbdt | grep -vc json", t), 0);
    ck_assert_int_eq(atoi(out), before + 2);
    free(out);
    /* the slate deadline is HH:MM UTC on the run date: the evening before is on time, after it late */
    ck_assert_int_eq(tu_sh(&out,
                           "SWISH_MONITOR_SLATE_DEADLINE=20:00 %s nightly --config %s --no-retrain --date 2025-03-02 "
                           "--now 2025-03-01T21:00:00Z 2>&1 >/dev/null",
                           BIN, conf),
                     0);
    ck_assert_ptr_null(strstr(out, "alert slate_late"));
    free(out);
    tu_sh(&out, "SWISH_MONITOR_SLATE_DEADLINE=20:00 %s nightly --config %s --no-retrain --date 2025-03-02 "
                "--now 2025-03-02T20:01:00Z 2>&1 >/dev/null",
          BIN, conf);
    ck_assert_ptr_nonnull(strstr(out, "alert slate_late"));
    free(out);
    /* mistyped times and choices are refused, never ignored */
    ck_assert_int_eq(tu_sh(&out, "SWISH_RETRAIN_AT=6h %s config --config %s 2>&1 >/dev/null", BIN, conf), 2);
    ck_assert_ptr_nonnull(strstr(out, "HH:MM"));
    free(out);
    ck_assert_int_eq(tu_sh(NULL, "SWISH_MONITOR_SLATE_DEADLINE=24:00 %s config --config %s >/dev/null 2>&1", BIN, conf), 2);
    ck_assert_int_eq(tu_sh(NULL, "SWISH_RETRAIN_NEW_VERSIONS=promote %s config --config %s >/dev/null 2>&1", BIN, conf), 2);
    /* off */
    ck_assert_int_eq(tu_sh(&out,
                           "SWISH_RETRAIN_EVERY_DAYS=0 %s retrain --config %s --if-due --now 2050-01-01T06:00:00Z "
                           "2>&1 >/dev/null",
                           BIN, conf),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "off"));
    free(out);
}
END_TEST

/* A gbdt that barely learned (one round at the smallest rate) serves night
 * after night: the monitor demotes it to BLOCKED once both windows say so,
 * alerts the demotion, and from then on final is the slate without it. */
START_TEST(bad_model_blocked_by_the_monitor)
{
    tu_receiver rv;
    tu_recv_start(&rv);
    char extra[1200];
    snprintf(extra, sizeof extra,
             "[retrain]\nrounds = 1\neta = 0.0001\nfolds = 3\nevery_days = 0\n[monitor]\nmin_graded = 300\n"
             "[alerts]\nwebhook_url = %s/ok/hook\nmax_per_hour = 1000\n",
             rv.base);
    const char *conf = night_fixture(extra);
    char db[600], *out = NULL;
    snprintf(db, sizeof db, "%s", g_db);
    int first = sw_date_from_civil(2025, 3, 1), blocked_on = -1;
    for (int d = first; d < first + 45 && blocked_on < 0; d++) {
        char ds[11];
        sw_date_format(d, ds);
        int rc = tu_sh(NULL, "%s nightly --config %s --date %s --no-retrain >/dev/null 2>&1", BIN, conf, ds);
        if (rc == 8) continue; /* no games that day */
        ck_assert_msg(rc == 0 || rc == 1, "%s: exit %d", ds, rc);
        if (tu_sql_long(db, "SELECT count(*) FROM system_states WHERE system = 'gbdt' AND state = 'BLOCKED'")) blocked_on = d;
    }
    ck_assert_msg(blocked_on >= 0, "gbdt was never BLOCKED");
    ck_assert_int_ge(blocked_on - first, 15); /* two periods of evidence */
    /* the demotion was alerted once */
    sw_json *log = tu_recv_log(&rv, "/ok/hook");
    int demotions = 0;
    for (sw_jnode r = sw_json_first(log, tu_recv_requests(log)); r != SW_JNONE; r = sw_json_next(log, r)) {
        char *body = sw_json_strdup(log, sw_json_get(log, r, "body"));
        demotions += strstr(body, "\"event\":\"demotion\"") && strstr(body, "\"system\":\"gbdt\"");
        free(body);
    }
    sw_json_free(log);
    ck_assert_int_eq(demotions, 1);
    /* the night after: final leaves out every BLOCKED system */
    char ds[11];
    int night = blocked_on + 1;
    sw_date_format(night, ds);
    char *with = NULL, *without = NULL, *sys = NULL;
    sys = tu_sql_dump(db, "SELECT group_concat(system) FROM (SELECT system FROM system_states WHERE state != 'BLOCKED'"
                          " AND system != 'final' ORDER BY system) AS s");
    ck_assert_ptr_nonnull(sys);
    sys[strcspn(sys, "\n")] = 0;
    ck_assert_ptr_null(strstr(sys, "gbdt"));
    ck_assert_int_eq(tu_sh(&with, "%s slate --config %s --date %s --no-store --json 2>/dev/null", BIN, conf, ds), 0);
    ck_assert_int_eq(tu_sh(&without, "SWISH_SLATE_SYSTEMS=%s %s slate --config %s --date %s --no-store --json 2>/dev/null",
                           sys, BIN, conf, ds),
                     0);
    char *fa = finals(with), *fb = finals(without);
    ck_assert_str_eq(fa, fb);
    ck_assert_ptr_nonnull(strstr(with, "\"gbdt\":{\"prediction\"")); /* still scored */
    /* the report's monitoring section: the states and the ratio over time */
    char *html = NULL;
    ck_assert_int_eq(tu_sh(NULL, "%s report --db %s --out %s/r.html >/dev/null 2>&1", BIN, db, tu_tmpdir()), 0);
    char rp[700];
    snprintf(rp, sizeof rp, "%s/r.html", tu_tmpdir());
    html = tu_slurp(rp, NULL);
    ck_assert_ptr_nonnull(html);
    ck_assert_ptr_nonnull(strstr(html, "<h2>Monitoring</h2>"));
    ck_assert_ptr_nonnull(strstr(html, "<tr><td>gbdt</td><td>BLOCKED</td>"));
    ck_assert_ptr_nonnull(strstr(html, "id=\"mae_ratio\""));
    ck_assert_ptr_nonnull(strstr(html, "<title>gbdt</title></polyline>"));
    free(html);
    free(fa);
    free(fb);
    free(with);
    free(without);
    free(sys);
    free(out);
    tu_recv_stop(&rv);
}
END_TEST

/* The events that come from the monitor reach the webhook: inputs drifted
 * (every player's minutes x0.6 after the model's window) and a night without
 * lines while the days before had them. */
START_TEST(nightly_alerts_drift_and_stale_lines)
{
    tu_receiver rv;
    tu_recv_start(&rv);
    night_fixture(NULL); /* the league */
    const char *t = tu_tmpdir();
    ck_assert_int_eq(tu_sh(NULL,
                           "rm -rf %s/shifted && cp -r %s/data %s/shifted && cd %s/shifted && awk -F, 'BEGIN{OFS=\",\"}"
                           " NR==1{for(i=1;i<=NF;i++){if($i==\"MIN\")m=i;if($i==\"GAME_DATE\")g=i}} NR>1 &&"
                           " $g>=\"2025-02-01\"{$m=sprintf(\"%%.1f\",$m*0.6)} {print}' player_game_logs.csv > p.tmp &&"
                           " mv p.tmp player_game_logs.csv && awk -F, '$1 != \"2025-03-01\"' prop_lines.csv > q.tmp &&"
                           " mv q.tmp prop_lines.csv",
                           t, t, t, t),
                     0);
    char conf[700], sdb[600];
    snprintf(conf, sizeof conf, "%s/shifted.conf", t);
    tu_db(sdb, sizeof sdb, NULL, "shifted");
    FILE *fp = fopen(conf, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp,
            "[paths]\ndata = %s/shifted\nmodels = %s/shifted-models\ndb = %s\n[retrain]\nrounds = 30\n"
            "folds = 3\nevery_days = 0\n[alerts]\nwebhook_url = %s/ok/hook\n",
            t, t, sdb, rv.base);
    fclose(fp);
    ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until 2025-02-01 >/dev/null 2>&1", BIN, conf), 0);
    char *out = NULL;
    int rc = tu_sh(&out, "%s nightly --config %s --date 2025-03-01 --json 2>/dev/null", BIN, conf);
    ck_assert_int_eq(rc, 1);
    sw_json *d = tu_json_parse("night", out);
    ck_assert(step_is(d, "monitor", "warning"));
    sw_json_free(d);
    free(out);
    sw_json *log = tu_recv_log(&rv, "/ok/hook");
    int drift = 0, stale = 0;
    for (sw_jnode r = sw_json_first(log, tu_recv_requests(log)); r != SW_JNONE; r = sw_json_next(log, r)) {
        char *body = sw_json_strdup(log, sw_json_get(log, r, "body"));
        if (strstr(body, "\"event\":\"drift\"")) {
            drift++;
            ck_assert_msg(strstr(body, "minutes_avg_last_10"), "%s", body);
            ck_assert_ptr_nonnull(strstr(body, "\"psi\":"));
        }
        if (strstr(body, "\"event\":\"stale_input\"")) {
            stale++;
            ck_assert_msg(strstr(body, "no lines"), "%s", body);
        }
        free(body);
    }
    sw_json_free(log);
    ck_assert_int_eq(drift, 1);
    ck_assert_int_eq(stale, 1);
    tu_recv_stop(&rv);
}
END_TEST

Suite *nightly_suite(void)
{
    Suite *s = suite_create("nightly");
    TCase *tc = tcase_create("nightly");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, nightly_two_nights);
    tcase_add_test(tc, nightly_alerts);
    tcase_add_test(tc, nightly_alerts_drift_and_stale_lines);
    tcase_add_test(tc, blocked_system_leaves_final);
    tcase_add_test(tc, retrain_if_due);
    tcase_add_test(tc, bad_model_blocked_by_the_monitor);
    suite_add_tcase(s, tc);
    return s;
}
