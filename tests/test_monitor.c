/* test_monitor: `swish monitor` (pipeline/monitor.h).
 *
 * Oracles: PSI and KS re-computed here by plain loops (KS by counting both
 * empirical CDFs at every value, ties included) on hand-made and random
 * samples; the drift reference checked against its own subsample and the
 * known shapes of constant and 0/1 features; a simulated league whose
 * minutes are scaled by 0.6 after a date must raise the drift alert on the
 * minutes features while the unchanged league raises none on dates across
 * the season (retrained at each); performance states on a database filled
 * by hand, with the ratios worked out below by hand; a person's block is
 * never lifted automatically; box scores five days old are stale, a date
 * whose lines vanished is stale. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/date.h"
#include "core/json.h"
#include "features/league.h"
#include "pipeline/config.h"
#include "pipeline/monitor.h"
#include "pipeline/store.h"
#include "testutil.h"

/* ---- statistics against plain re-computations ---- */

static double psi_ref(const double *r, const double *c, int n)
{
    double s = 0;
    for (int k = 0; k < n; k++) {
        double a = r[k] < 1e-4 ? 1e-4 : r[k], b = c[k] < 1e-4 ? 1e-4 : c[k];
        s += (b - a) * log(b / a);
    }
    return s;
}

/* sup |F_a - F_b| by counting, at every value of either sample */
static double ks_ref(const float *a, long na, const float *b, long nb)
{
    double d = 0;
    for (int side = 0; side < 2; side++)
        for (long i = 0; i < (side ? nb : na); i++) {
            float x = side ? b[i] : a[i];
            long ca = 0, cb = 0;
            for (long j = 0; j < na; j++) ca += a[j] <= x;
            for (long j = 0; j < nb; j++) cb += b[j] <= x;
            double v = fabs((double)ca / na - (double)cb / nb);
            if (v > d) d = v;
        }
    return d;
}

static int cmpf(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

static unsigned long long g_rng = 88172645463325252ULL;
static double unif(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}

START_TEST(psi_ks_by_hand)
{
    /* (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5) = 0.25 ln 2 + 0.25 ln 1.5 */
    double r[2] = {0.5, 0.5}, c[2] = {0.25, 0.75};
    ck_assert_double_eq_tol(sw_drift_psi(r, c, 2), 0.25 * log(2.0) + 0.25 * log(1.5), 1e-15);
    ck_assert_double_eq(sw_drift_psi(r, r, 2), 0);
    /* an empty reference bin counts as 1e-4: (0.5 - 1) ln 0.5 + (0.5 - 1e-4) ln(0.5 / 1e-4) */
    double r2[2] = {1, 0}, c2[2] = {0.5, 0.5};
    ck_assert_double_eq_tol(sw_drift_psi(r2, c2, 2), -0.5 * log(0.5) + (0.5 - 1e-4) * log(0.5 / 1e-4), 1e-12);
    /* KS: {1,2,3,4} vs {3,4,5,6}: at 2, 0.5 against 0 */
    float a[4] = {1, 2, 3, 4}, b[4] = {3, 4, 5, 6};
    ck_assert_double_eq_tol(sw_drift_ks(a, 4, b, 4), 0.5, 1e-15);
    /* ties: {1,1,2} vs {1,2,2}: at 1, 2/3 against 1/3 */
    float t1[3] = {1, 1, 2}, t2[3] = {1, 2, 2};
    ck_assert_double_eq_tol(sw_drift_ks(t1, 3, t2, 3), 1.0 / 3, 1e-15);
    ck_assert_double_eq(sw_drift_ks(a, 4, a, 4), 0);
    ck_assert(isnan(sw_drift_ks(a, 0, b, 4)));
    /* bins: the number of cuts <= x; NaN after the last */
    float cuts[3] = {1, 2, 3};
    ck_assert_int_eq(sw_drift_bin(cuts, 3, 0.5f), 0);
    ck_assert_int_eq(sw_drift_bin(cuts, 3, 1.0f), 1);
    ck_assert_int_eq(sw_drift_bin(cuts, 3, 2.5f), 2);
    ck_assert_int_eq(sw_drift_bin(cuts, 3, 3.0f), 3);
    ck_assert_int_eq(sw_drift_bin(cuts, 3, 99.0f), 3);
    ck_assert_int_eq(sw_drift_bin(cuts, 3, NAN), 4);
    ck_assert_int_eq(sw_drift_bin(cuts, 0, 5.0f), 0);
    /* random samples with many ties, and random proportions */
    for (int rep = 0; rep < 200; rep++) {
        long na = 1 + (long)(unif() * 60), nb = 1 + (long)(unif() * 60);
        int levels = 1 + (int)(unif() * 12);
        float x[64], y[64];
        for (long i = 0; i < na; i++) x[i] = (float)(int)(unif() * levels);
        for (long i = 0; i < nb; i++) y[i] = (float)(int)(unif() * levels) + (rep % 3 == 0 ? 0.5f : 0.0f);
        qsort(x, (size_t)na, sizeof *x, cmpf);
        qsort(y, (size_t)nb, sizeof *y, cmpf);
        ck_assert_double_eq_tol(sw_drift_ks(x, na, y, nb), ks_ref(x, na, y, nb), 1e-12);
        int n = 2 + (int)(unif() * 10);
        double p[12], q[12], sp = 0, sq = 0;
        for (int k = 0; k < n; k++) {
            p[k] = unif() < 0.2 ? 0 : unif();
            q[k] = unif() < 0.2 ? 0 : unif();
            sp += p[k];
            sq += q[k];
        }
        for (int k = 0; k < n; k++) {
            p[k] = sp > 0 ? p[k] / sp : 1.0 / n;
            q[k] = sq > 0 ? q[k] / sq : 1.0 / n;
        }
        ck_assert_double_eq_tol(sw_drift_psi(p, q, n), psi_ref(p, q, n), 1e-12);
    }
}
END_TEST

/* ---- a simulated league (once, before the tests fork) ---- */

static char g_dir[512], g_conf[600];

static void write_conf(const char *path, const char *data, const char *models, const char *db, const char *extra)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "[paths]\ndata = %s\nmodels = %s\ndb = %s\n[retrain]\nrounds = 30\nfolds = 3\n%s", data, models, db,
            extra ? extra : "");
    fclose(fp);
}

static void sim_setup(void)
{
    /* its own directory: tu_tmpdir() here, in the runner, would be every later test's too */
    snprintf(g_dir, sizeof g_dir, "/tmp/swish-mon-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
    char data[600];
    snprintf(data, sizeof data, "%s/data", g_dir);
    ck_assert_int_eq(tu_sh(NULL, "%s simulate --seed 11 --seasons 1 --first-season 2024 --out %s >/dev/null 2>&1",
                           tu_swish_bin(), data),
                     0);
    snprintf(g_conf, sizeof g_conf, "%s/monitor.conf", g_dir);
    char models[600], db[600];
    snprintf(models, sizeof models, "%s/models", g_dir);
    tu_db(db, sizeof db, g_dir, "swish");
    write_conf(g_conf, data, models, db, NULL);
}

static void sim_teardown(void)
{
    if (g_dir[0]) tu_remove_tree(g_dir);
}

/* A test's own configuration: the league `data` (NULL: the shared one),
 * models and database under the test's name. */
static const char *conf_for(const char *name, const char *data, char models[600], char db[600])
{
    static char conf[700];
    char dd[600];
    snprintf(dd, sizeof dd, "%s/data", g_dir);
    snprintf(models, 600, "%s/%s-models", g_dir, name);
    tu_db(db, 600, g_dir, name);
    snprintf(conf, sizeof conf, "%s/%s.conf", g_dir, name);
    write_conf(conf, data ? data : dd, models, db, NULL);
    return conf;
}

/* `swish monitor ... --json`: the exit status and the parsed document. */
static char g_last[1 << 16]; /* the last run's output, for failure messages */

static sw_json *monitor_json(const char *conf, const char *date, const char *extra, int *rc)
{
    char *out = NULL;
    *rc = tu_sh(&out, "%s monitor --config %s --date %s --json %s 2>/dev/null", tu_swish_bin(), conf, date,
                extra ? extra : "");
    snprintf(g_last, sizeof g_last, "%s", out);
    sw_json *doc = tu_json_parse("monitor --json", out);
    free(out);
    return doc;
}

#define ck_rc(rc, want) ck_assert_msg((rc) == (want), "exit %d, expected %d:\n%.4000s", (rc), (want), g_last)

static sw_jnode feature_of(const sw_json *d, const char *cmp, const char *name)
{
    sw_jnode drift = sw_json_get(d, sw_json_root(d), "drift");
    sw_jnode fs = sw_json_get(d, sw_json_get(d, drift, cmp), "features");
    for (sw_jnode f = sw_json_first(d, fs); f != SW_JNONE; f = sw_json_next(d, f))
        if (sw_json_streq(d, sw_json_get(d, f, "name"), name)) return f;
    return SW_JNONE;
}

/* A query's rows (tu_sql_dump) equal `want`. */
static void dump_eq(const char *db, const char *sql, const char *want)
{
    char *got = tu_sql_dump(db, sql);
    ck_assert_msg(!strcmp(got, want), "%s:\n%s\nexpected\n%s", sql, got, want);
    free(got);
}

static int streq_at(const sw_json *d, sw_jnode obj, const char *key, const char *s)
{
    return sw_json_streq(d, sw_json_get(d, obj, key), s);
}

static char *jstr(const sw_json *d, sw_jnode obj, const char *key)
{
    char *s = sw_json_strdup(d, sw_json_get(d, obj, key));
    return s ? s : strdup("(none)");
}

/* ---- the reference stored with each gbdt version ---- */

START_TEST(reference_stored_with_the_version)
{
    char models[600], db[600];
    const char *conf = conf_for("ref", NULL, models, db);
    ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until 2025-02-01 >/dev/null 2>&1", tu_swish_bin(), conf), 0);
    /* the manifest lists it with its checksum: the registry verifies it like the model files */
    char *out = NULL;
    ck_assert_int_eq(tu_sh(&out, "%s models list --json --models %s 2>/dev/null", tu_swish_bin(), models), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"role\":\"drift\""));
    ck_assert_ptr_nonnull(strstr(out, "\"name\":\"drift.json\""));
    free(out);
    char path[800];
    ck_assert_int_eq(tu_sh(&out, "ls %s/gbdt/*/drift.json", models), 0);
    out[strcspn(out, "\n")] = 0;
    snprintf(path, sizeof path, "%s", out);
    free(out);
    size_t len = 0;
    char *js = tu_slurp(path, &len);
    ck_assert_ptr_nonnull(js);
    sw_json *d = tu_json_parse("drift.json", js);
    sw_jnode root = sw_json_root(d);
    ck_assert(streq_at(d, root, "format", "swish-drift-1"));
    ck_assert_int_eq(sw_json_len(d, sw_json_get(d, root, "from")), 10);
    ck_assert(streq_at(d, root, "to", "2025-01-31"));
    long rows = tu_jint(d, root, "rows");
    ck_assert_int_gt(rows, 5000);
    ck_assert_int_le(rows, tu_jint(d, root, "training_rows"));
    double tiers = 0;
    sw_jnode tn = sw_json_get(d, root, "tiers");
    for (sw_jnode t = sw_json_first(d, tn); t != SW_JNONE; t = sw_json_next(d, t)) {
        double v;
        ck_assert_int_eq(sw_json_f64(d, t, 0, &v, NULL), SW_OK);
        tiers += v;
    }
    ck_assert_double_eq_tol(tiers, 1, 1e-9);
    sw_jnode fs = sw_json_get(d, root, "features");
    ck_assert_int_eq(sw_json_len(d, fs), 44);
    int seen_const = 0, seen_binary = 0;
    for (sw_jnode f = sw_json_first(d, fs); f != SW_JNONE; f = sw_json_next(d, f)) {
        char *name = jstr(d, f, "name");
        sw_jnode jc = sw_json_get(d, f, "cuts"), jp = sw_json_get(d, f, "props"), js2 = sw_json_get(d, f, "sample");
        uint32_t nc = sw_json_len(d, jc), np = sw_json_len(d, jp), ns = sw_json_len(d, js2);
        ck_assert_msg(nc <= 10 && np == nc + 2, "%s: %u cuts, %u proportions", name, nc, np);
        float cuts[12];
        double props[12];
        ck_assert_int_eq(sw_json_read_f32s(d, jc, cuts, nc, NULL), SW_OK);
        ck_assert_int_eq(sw_json_read_f64s(d, jp, props, np, NULL), SW_OK);
        double sum = 0;
        for (uint32_t k = 0; k < np; k++) sum += props[k];
        ck_assert_msg(fabs(sum - 1) < 1e-9, "%s: proportions sum to %g", name, sum);
        for (uint32_t k = 1; k < nc; k++) ck_assert_msg(cuts[k] > cuts[k - 1], "%s: cuts not increasing", name);
        long n = tu_jint(d, f, "n");
        ck_assert_int_eq(ns, n < 2000 ? n : 2000);
        float *smp = malloc(sizeof(float) * (ns + 1));
        ck_assert_int_eq(sw_json_read_f32s(d, js2, smp, ns, NULL), SW_OK);
        for (uint32_t i = 1; i < ns; i++) ck_assert(smp[i] >= smp[i - 1]);
        /* the bins' shares of the subsample (midpoints of equal slices of the
         * sorted values) are the proportions to within a slice or two */
        double nan_share = tu_jf64(d, f, "nan"), cnt[12] = {0};
        for (uint32_t i = 0; i < ns; i++) cnt[sw_drift_bin(cuts, (int)nc, smp[i])]++;
        for (uint32_t k = 0; ns && k <= nc; k++) {
            double expect = props[k] / (1 - nan_share);
            ck_assert_msg(fabs(cnt[k] / ns - expect) <= 2.0 / ns + 1e-9, "%s bin %u: sample share %g, proportion %g",
                          name, k, cnt[k] / ns, expect);
        }
        ck_assert_double_eq_tol(props[nc + 1], nan_share, 1e-12);
        /* non-constant: the decile cuts leave no bin below the minimum */
        if (nc && ns && smp[0] != smp[ns - 1]) ck_assert(cuts[0] >= smp[0]);
        if (!strcmp(name, "early_season") || !strcmp(name, "playoff_game")) {
            /* constant 0 in the training rows: below, at, above */
            seen_const++;
            ck_assert_int_eq(nc, 2);
            ck_assert(cuts[0] == 0.0f && cuts[1] == nextafterf(0.0f, 1.0f));
            ck_assert_double_eq_tol(props[1], 1, 1e-12);
        }
        if (!strcmp(name, "home_away") || !strcmp(name, "back_to_back")) {
            /* 0/1: one cut at 1, two bins */
            seen_binary++;
            ck_assert_int_eq(nc, 1);
            ck_assert(cuts[0] == 1.0f);
            ck_assert(props[0] > 0.05 && props[1] > 0.01);
        }
        free(smp);
        free(name);
    }
    ck_assert_int_eq(seen_const, 2);
    ck_assert_int_eq(seen_binary, 2);
    sw_json_free(d);
    free(js);
    /* deterministic: the same training again gives the same file */
    char models2[600], db2[600];
    const char *conf2 = conf_for("ref2", NULL, models2, db2);
    ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until 2025-02-01 >/dev/null 2>&1", tu_swish_bin(), conf2), 0);
    ck_assert_int_eq(tu_sh(NULL, "cmp %s $(ls %s/gbdt/*/drift.json)", path, models2), 0);
}
END_TEST

/* ---- drift ---- */

START_TEST(minutes_shift_raises_the_alert)
{
    /* the league with every player's minutes x0.6 from 2025-02-01: the model
     * trained before that date, the monitor four weeks later */
    char shifted[600];
    snprintf(shifted, sizeof shifted, "%s/shifted", g_dir);
    ck_assert_int_eq(tu_sh(NULL, "rm -rf %s && cp -r %s/data %s", shifted, g_dir, shifted), 0);
    ck_assert_int_eq(tu_sh(NULL,
                           "cd %s && awk -F, 'BEGIN{OFS=\",\"} NR==1{for(i=1;i<=NF;i++){if($i==\"MIN\")m=i;"
                           "if($i==\"GAME_DATE\")g=i}} NR>1 && $g>=\"2025-02-01\"{$m=sprintf(\"%%.1f\",$m*0.6)} {print}'"
                           " player_game_logs.csv > p.tmp && mv p.tmp player_game_logs.csv",
                           shifted),
                     0);
    char models[600], db[600];
    const char *conf = conf_for("shift", shifted, models, db);
    ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until 2025-02-01 >/dev/null 2>&1", tu_swish_bin(), conf), 0);
    int rc;
    sw_json *d = monitor_json(conf, "2025-03-01", NULL, &rc);
    ck_rc(rc, 1);
    sw_jnode drift = sw_json_get(d, sw_json_root(d), "drift");
    ck_assert(streq_at(d, drift, "state", "ALERT"));
    const char *minutes[] = {"minutes_avg_last_10", "ppm_avg_last_10", "usage_rate_last_10"};
    for (int i = 0; i < 3; i++) {
        sw_jnode f = feature_of(d, "recent", minutes[i]);
        ck_assert(f != SW_JNONE);
        ck_assert_msg(streq_at(d, f, "state", "ALERT"), "%s: psi %g ks %g", minutes[i], tu_jf64(d, f, "psi"),
                      tu_jf64(d, f, "ks"));
    }
    ck_assert_double_gt(tu_jf64(d, feature_of(d, "recent", "minutes_avg_last_10"), "psi"), 1.0);
    sw_json_free(d);
    /* the same model on the unchanged league: nothing on the minutes */
    char conf2[700];
    snprintf(conf2, sizeof conf2, "%s/shift-plain.conf", g_dir);
    char data[600];
    snprintf(data, sizeof data, "%s/data", g_dir);
    write_conf(conf2, data, models, db, NULL);
    d = monitor_json(conf2, "2025-03-01", NULL, &rc);
    ck_rc(rc, 0);
    drift = sw_json_get(d, sw_json_root(d), "drift");
    ck_assert(!streq_at(d, drift, "state", "ALERT"));
    for (int i = 0; i < 3; i++) ck_assert(streq_at(d, feature_of(d, "recent", minutes[i]), "state", "OK"));
    sw_json_free(d);
}
END_TEST

START_TEST(no_false_alarms_across_the_season)
{
    /* retrained on the games before each date and promoted, as the weekly job does */
    static const char *const dates[] = {"2024-12-05", "2024-12-20", "2025-01-05", "2025-01-20", "2025-02-05",
                                        "2025-02-25", "2025-03-10", "2025-03-25", "2025-04-05"};
    char models[600], db[600];
    const char *conf = conf_for("season", NULL, models, db);
    int watch = 0;
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until %s --promote >/dev/null 2>&1", tu_swish_bin(), conf,
                               dates[i]),
                         0);
        int rc;
        sw_json *d = monitor_json(conf, dates[i], NULL, &rc);
        sw_jnode drift = sw_json_get(d, sw_json_root(d), "drift");
        ck_assert(sw_json_type_of(d, sw_json_get(d, drift, "available")) == SW_JSON_TRUE);
        char *st = jstr(d, drift, "state");
        ck_assert_msg(rc == 0 && strcmp(st, "ALERT"), "%s: exit %d, drift %s", dates[i], rc, st);
        watch += !strcmp(st, "WATCH");
        /* the slate and the recent games were both judged on most dates */
        free(st);
        sw_json_free(d);
    }
    ck_assert_int_le(watch, 5);
}
END_TEST

START_TEST(no_reference_is_unavailable)
{
    char models[600], db[600];
    const char *conf = conf_for("noref", NULL, models, db);
    /* no model store at all */
    int rc;
    sw_json *d = monitor_json(conf, "2025-03-01", NULL, &rc);
    ck_rc(rc, 0);
    sw_jnode drift = sw_json_get(d, sw_json_root(d), "drift");
    ck_assert_int_eq(sw_json_type_of(d, sw_json_get(d, drift, "available")), SW_JSON_FALSE);
    sw_json_free(d);
    /* a gbdt version registered by hand (no drift.json) serves the date */
    ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until 2025-02-01 >/dev/null 2>&1", tu_swish_bin(), conf), 0);
    ck_assert_int_eq(tu_sh(NULL,
                           "%s models add --models %s --system gbdt --version byhand --train-to 2025-01-31 --promote"
                           " $(ls %s/gbdt/*/mean.swm | head -1) >/dev/null 2>&1",
                           tu_swish_bin(), models, models),
                     0);
    d = monitor_json(conf, "2025-03-01", NULL, &rc);
    ck_rc(rc, 0);
    drift = sw_json_get(d, sw_json_root(d), "drift");
    ck_assert_int_eq(sw_json_type_of(d, sw_json_get(d, drift, "available")), SW_JSON_FALSE);
    char *why = jstr(d, drift, "why");
    ck_assert_msg(strstr(why, "byhand") && strstr(why, "no drift reference"), "%s", why);
    ck_assert(sw_json_get(d, drift, "state") == SW_JNONE); /* not "OK" */
    free(why);
    sw_json_free(d);
}
END_TEST

/* ---- freshness ---- */

START_TEST(stale_inputs)
{
    char models[600], db[600], conf[700];
    snprintf(conf, sizeof conf, "%s", conf_for("fresh", NULL, models, db));
    /* the simulated season's last box scores are of 2025-04-06; games are scheduled after */
    int rc;
    sw_json *d = monitor_json(conf, "2025-04-07", NULL, &rc);
    sw_jnode f = sw_json_get(d, sw_json_root(d), "freshness");
    ck_rc(rc, 0);
    ck_assert_int_eq(sw_json_type_of(d, sw_json_get(d, f, "stale")), SW_JSON_FALSE);
    ck_assert_int_eq(tu_jint(d, f, "box_scores_lag_days"), 1);
    sw_json_free(d);
    d = monitor_json(conf, "2025-04-11", NULL, &rc);
    f = sw_json_get(d, sw_json_root(d), "freshness");
    ck_rc(rc, 1);
    ck_assert_int_eq(sw_json_type_of(d, sw_json_get(d, f, "box_scores_stale")), SW_JSON_TRUE);
    ck_assert(streq_at(d, f, "box_scores_newest", "2025-04-06"));
    ck_assert_int_eq(tu_jint(d, f, "box_scores_lag_days"), 5);
    ck_assert_int_gt(tu_jint(d, f, "games_without_box_scores"), 0);
    ck_assert_int_eq(sw_json_type_of(d, sw_json_get(d, f, "lines_stale")), SW_JSON_FALSE);
    sw_json_free(d);
    /* the lines of 2025-04-08 vanish: the date has games, the days before had lines */
    char nolines[600];
    snprintf(nolines, sizeof nolines, "%s/nolines", g_dir);
    ck_assert_int_eq(tu_sh(NULL,
                           "rm -rf %s && cp -r %s/data %s && cd %s && awk -F, '$1 != \"2025-04-08\"' prop_lines.csv"
                           " > p.tmp && mv p.tmp prop_lines.csv",
                           nolines, g_dir, nolines, nolines),
                     0);
    const char *conf2 = conf_for("fresh2", nolines, models, db);
    d = monitor_json(conf2, "2025-04-08", NULL, &rc);
    f = sw_json_get(d, sw_json_root(d), "freshness");
    ck_rc(rc, 1);
    ck_assert_int_eq(sw_json_type_of(d, sw_json_get(d, f, "lines_stale")), SW_JSON_TRUE);
    ck_assert_int_eq(sw_json_type_of(d, sw_json_get(d, f, "box_scores_stale")), SW_JSON_FALSE);
    ck_assert_int_eq(tu_jint(d, f, "slate_players_with_line"), 0);
    ck_assert_int_gt(tu_jint(d, f, "recent_rows_with_line"), 100);
    sw_json_free(d);
    /* the same date with its lines is fresh */
    d = monitor_json(conf, "2025-04-08", NULL, &rc);
    ck_rc(rc, 0);
    sw_json_free(d);
}
END_TEST

/* The slate deadline, through sw_monitor_run with a clock of our own. */
START_TEST(slate_deadline)
{
    char data[600], path[600];
    snprintf(data, sizeof data, "%s/data", g_dir);
    tu_db(path, sizeof path, g_dir, "deadline");
    sw_league *lg = NULL;
    sw_error err;
    sw_error_clear(&err);
    ck_assert_int_eq(sw_league_load(data, NULL, &lg, NULL, &err), SW_OK);
    sw_store *st;
    ck_assert_int_eq(sw_store_open(path, 1000, 1, &st, &err), SW_OK);
    sw_config cfg;
    sw_config_default(&cfg);
    snprintf(cfg.models, sizeof cfg.models, "%s/deadline-models", g_dir);
    int day;
    ck_assert_int_eq(sw_date_parse("2025-04-07", 10, &day), 0);
    sw_monitor_result *r = calloc(1, sizeof *r);
    sw_monitor_opts o = {.cfg = &cfg, .lg = lg, .store = st, .date = day, .persist = 0,
                         .now = (long long)day * 86400 + 20 * 3600}; /* 20:00 UTC on the date */
    /* no deadline: not checked */
    ck_assert_int_eq(sw_monitor_run(&o, r, &err), SW_OK);
    ck_assert(!r->fresh.slate_checked && !r->degraded);
    /* 18:00 passed without a stored run: late */
    snprintf(cfg.slate_deadline, sizeof cfg.slate_deadline, "18:00");
    ck_assert_int_eq(sw_monitor_run(&o, r, &err), SW_OK);
    ck_assert(r->fresh.slate_checked && r->fresh.slate_late && r->fresh.stale);
    ck_assert_int_eq(sw_monitor_status(r), SW_DEGRADED);
    /* 21:00 not yet */
    snprintf(cfg.slate_deadline, sizeof cfg.slate_deadline, "21:00");
    ck_assert_int_eq(sw_monitor_run(&o, r, &err), SW_OK);
    ck_assert(!r->fresh.slate_checked && !r->fresh.slate_late);
    /* a past date is never "late" (the deadline is tonight's) */
    snprintf(cfg.slate_deadline, sizeof cfg.slate_deadline, "18:00");
    o.now += 86400;
    ck_assert_int_eq(sw_monitor_run(&o, r, &err), SW_OK);
    ck_assert(!r->fresh.slate_checked);
    /* with the date's run stored: on time */
    o.now -= 86400;
    ck_assert_int_eq(tu_sql_exec(path, "INSERT INTO runs(game_date, started_at, finished_at, swish_version, feature_set,"
                                       " systems, players, predictions, seconds) VALUES('2025-04-07', 'x', 'x', 'v', 'f',"
                                       " 's', 1, 1, 1)"),
                     0);
    ck_assert_int_eq(sw_monitor_run(&o, r, &err), SW_OK);
    ck_assert(r->fresh.slate_checked && !r->fresh.slate_late && !r->degraded);
    ck_assert_int_eq(sw_monitor_status(r), SW_OK);
    free(r);
    sw_store_close(st);
    sw_league_free(lg);
}
END_TEST

/* ---- performance states on a database filled by hand ---- */

#define D0 "2025-01-01"
#define PER_DAY 20

/* Day d's absolute error of the bad system (the line always misses by 4):
 * days 0-9 4.3 (ratio 1.075), 10-19 4.6 (1.15), 20-44 6.0 (1.5), then 3.0 (0.75). */
static double err_of(int d) { return d < 10 ? 4.3 : d < 20 ? 4.6 : d < 45 ? 6.0 : 3.0; }

/* Day d's rows as SQL text (the same on either backend), appended to sql. */
static void fill_day(char **sql, size_t *len, int day0, int d, const char *system, const char *version, double err)
{
    char ds[11];
    sw_date_format(day0 + d, ds);
    const char *tables[2] = {"INSERT INTO predictions(game_date, game_id, player_id, system, model_version, line,"
                             " prediction, p_over, recommendation, quality, tier, feature_hash, run_id) VALUES",
                             "INSERT INTO grades(game_date, game_id, player_id, system, model_version, actual,"
                             " minutes, outcome, abs_error, graded_at) VALUES"};
    for (int t = 0; t < 2; t++) {
        *sql = realloc(*sql, *len + 400 + PER_DAY * 160);
        *len += (size_t)sprintf(*sql + *len, "%s", tables[t]);
        for (int i = 0; i < PER_DAY; i++) {
            if (t == 0)
                *len += (size_t)sprintf(*sql + *len, "%s('%s','G%04d','P%03d','%s','%s',24,%.17g,0.6,'OVER',100,'gold','h',1)",
                                        i ? "," : "", ds, d, i, system, version, 20 + err);
            else
                *len += (size_t)sprintf(*sql + *len, "%s('%s','G%04d','P%03d','%s','%s',20,30,'MISS',%.17g,'now')",
                                        i ? "," : "", ds, d, i, system, version, err);
        }
        *len += (size_t)sprintf(*sql + *len, ";");
    }
}

/* The bad gbdt over 90 days, and a good moving_average (ratio 0.9). */
static sw_store *fill_bad(const char *name, char path[600], int *day0)
{
    tu_db(path, 600, g_dir, name);
    sw_store *st;
    sw_error err;
    ck_assert_int_eq(sw_store_open(path, 1000, 1, &st, &err), SW_OK); /* the schema */
    ck_assert_int_eq(sw_date_parse(D0, 10, day0), 0);
    size_t len = 0;
    char *sql = malloc(16);
    len += (size_t)sprintf(sql, "BEGIN;");
    for (int d = 0; d < 90; d++) {
        fill_day(&sql, &len, *day0, d, "gbdt", d < 40 ? "bad-1" : "bad-2", err_of(d));
        fill_day(&sql, &len, *day0, d, "moving_average", "rules-1", 3.6);
    }
    sql = realloc(sql, len + 16);
    sprintf(sql + len, "COMMIT;");
    ck_assert_int_eq(tu_sql_exec(path, sql), 0);
    free(sql);
    return st;
}

static sw_config test_cfg(void)
{
    sw_config c;
    sw_config_default(&c);
    ck_assert_int_eq(c.perf_min_graded, 100);
    ck_assert(c.mae_watch == 1.05 && c.mae_degrading == 1.10 && c.mae_blocked == 1.25);
    return c;
}

static sw_sys_state run_day(sw_store *st, const sw_config *cfg, int day0, int t, sw_perf_report *p)
{
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_monitor_performance(st, cfg, day0 + t, 1, p, &err);
    ck_assert_msg(rc == SW_OK, "%s", err.msg);
    return p->sys[SW_SYS_GBDT].state;
}

START_TEST(states_follow_the_windows)
{
    char path[600];
    int day0;
    sw_store *st = fill_bad("perf", path, &day0);
    sw_config cfg = test_cfg();
    sw_perf_report *p = malloc(sizeof *p);
    const sw_perf_system *g = &p->sys[SW_SYS_GBDT];
    /* the run on day t sees the rows of days t-14..t-1 (14-day window) and
     * t-30..t-1 (30 days); the line's MAE is 4 on every row */
    for (int t = 1; t <= 4; t++) { /* 20-80 rows: too few */
        ck_assert_int_eq(run_day(st, &cfg, day0, t, p), SW_STATE_OK);
        ck_assert(g->insufficient);
    }
    /* t=5: days 0-4, 100 rows of 4.3: 1.075 >= 1.05 */
    ck_assert_int_eq(run_day(st, &cfg, day0, 5, p), SW_STATE_WATCH);
    ck_assert_int_eq(g->win[SW_PERF_14].n_lined, 100);
    ck_assert_double_eq_tol(g->win[SW_PERF_14].ratio, 4.3 / 4, 1e-12);
    ck_assert_double_eq_tol(g->win[SW_PERF_14].line_mae, 4, 1e-12);
    ck_assert_double_eq_tol(g->win[SW_PERF_14].bias, 4.3, 1e-12);
    ck_assert_int_eq(g->win[SW_PERF_14].calls, 100);
    ck_assert_int_eq(g->win[SW_PERF_14].hits, 0);
    ck_assert_double_eq_tol(g->win[SW_PERF_14].brier, 0.36, 1e-12);
    ck_assert(g->changed);
    for (int t = 6; t <= 14; t++) ck_assert_int_eq(run_day(st, &cfg, day0, t, p), SW_STATE_WATCH);
    /* t=14: days 0-13, (10 x 4.3 + 4 x 4.6) / 14 / 4 = 61.4 / 56 = 1.0964 < 1.10 */
    ck_assert_double_eq_tol(g->win[SW_PERF_14].ratio, 61.4 / 56, 1e-12);
    /* t=15: days 1-14, (9 x 4.3 + 5 x 4.6) / 56 = 61.7 / 56 = 1.1018 >= 1.10 */
    ck_assert_int_eq(run_day(st, &cfg, day0, 15, p), SW_STATE_DEGRADING);
    ck_assert_double_eq_tol(g->win[SW_PERF_14].ratio, 61.7 / 56, 1e-12);
    for (int t = 16; t <= 30; t++) ck_assert_int_eq(run_day(st, &cfg, day0, t, p), SW_STATE_DEGRADING);
    /* t=30: 30 days (43 + 46 + 60) / 120 = 1.2417 < 1.25: not yet */
    ck_assert_double_eq_tol(g->win[SW_PERF_30].ratio, 149.0 / 120, 1e-12);
    /* t=31: 30 days (38.7 + 46 + 66) / 120 = 1.2558, 14 days (13.8 + 66) / 56 = 1.425: both >= 1.25 */
    ck_assert_int_eq(run_day(st, &cfg, day0, 31, p), SW_STATE_BLOCKED);
    ck_assert_double_eq_tol(g->win[SW_PERF_30].ratio, 150.7 / 120, 1e-12);
    ck_assert_double_eq_tol(g->win[SW_PERF_14].ratio, 79.8 / 56, 1e-12);
    ck_assert_str_eq(g->since, "2025-02-01");
    int blocked[SW_SYS_COUNT + 1];
    sw_error err;
    ck_assert_int_eq(sw_monitor_blocked(st, blocked, &err), SW_OK);
    for (int k = 0; k <= SW_SYS_COUNT; k++) ck_assert_int_eq(blocked[k], k == SW_SYS_GBDT);
    /* from day 45 the errors are 3.0: on day t the 14-day ratio is
     * (6 (14 - g) + 3 g) / 56 with g = t - 45 good days.  The state moves up
     * one level at a time, each once the ratio is under the threshold of the
     * level above by 0.02: t=50: 69 / 56 = 1.232 holds BLOCKED (not < 1.23) */
    for (int t = 32; t <= 50; t++) ck_assert_int_eq(run_day(st, &cfg, day0, t, p), SW_STATE_BLOCKED);
    ck_assert_double_eq_tol(g->win[SW_PERF_14].ratio, 69.0 / 56, 1e-12);
    ck_assert_ptr_nonnull(strstr(g->reason, "held BLOCKED"));
    /* t=51: 66 / 56 = 1.179 < 1.23: DEGRADING again, back in final */
    ck_assert_int_eq(run_day(st, &cfg, day0, 51, p), SW_STATE_DEGRADING);
    ck_assert_ptr_nonnull(strstr(g->reason, "improved"));
    ck_assert_int_eq(sw_monitor_blocked(st, blocked, &err), SW_OK);
    ck_assert_int_eq(blocked[SW_SYS_GBDT], 0);
    /* t=52: 63 / 56 = 1.125; t=53: 60 / 56 = 1.071 < 1.08: WATCH */
    ck_assert_int_eq(run_day(st, &cfg, day0, 52, p), SW_STATE_DEGRADING);
    ck_assert_int_eq(run_day(st, &cfg, day0, 53, p), SW_STATE_WATCH);
    ck_assert_double_eq_tol(g->win[SW_PERF_14].ratio, 60.0 / 56, 1e-12);
    /* t=54: (5 x 6 + 9 x 3) / 56 = 57 / 56 = 1.018 < 1.03 */
    ck_assert_int_eq(run_day(st, &cfg, day0, 54, p), SW_STATE_OK);
    ck_assert(g->changed);
    ck_assert_ptr_nonnull(strstr(g->reason, "recovered"));
    for (int t = 55; t <= 60; t++) ck_assert_int_eq(run_day(st, &cfg, day0, t, p), SW_STATE_OK);
    /* the good system never left OK; the others have no rows */
    ck_assert_int_eq(p->sys[SW_SYS_MOVING_AVERAGE].state, SW_STATE_OK);
    ck_assert_double_eq_tol(p->sys[SW_SYS_MOVING_AVERAGE].win[SW_PERF_30].ratio, 0.9, 1e-12);
    ck_assert(p->sys[SW_SYS_COUNT].insufficient);
    /* the 30-day window by version: bad-1 through day 39, bad-2 after (t=60: days 30-59) */
    ck_assert_int_eq(g->n_versions, 2);
    ck_assert_str_eq(g->version[0], "bad-1");
    ck_assert_int_eq(g->by_version[0].n, 10 * PER_DAY);
    ck_assert_int_eq(g->by_version[1].n, 20 * PER_DAY);
    /* every change is on record */
    sw_store_close(st);
    dump_eq(path,
            "SELECT group_concat(to_state, ' ') FROM (SELECT to_state FROM system_state_events WHERE system = 'gbdt'"
            " ORDER BY id) AS e",
            "WATCH DEGRADING BLOCKED DEGRADING WATCH OK\n");
    ck_assert_int_eq(tu_sql_long(path, "SELECT count(*) FROM system_states"), SW_SYS_COUNT + 1);
    free(p);
}
END_TEST

START_TEST(a_person_blocks_and_enables)
{
    char path[600];
    int day0;
    sw_store *st = fill_bad("manual", path, &day0);
    sw_config cfg = test_cfg();
    sw_perf_report *p = malloc(sizeof *p);
    /* good figures (t=60..), blocked by a person: never lifted by the monitor */
    ck_assert_int_eq(run_day(st, &cfg, day0, 60, p), SW_STATE_OK);
    sw_error err;
    ck_assert_int_eq(sw_monitor_set_state(st, "gbdt", SW_STATE_BLOCKED, day0 + 60, "blocked by a person: test", &err),
                     SW_OK);
    for (int t = 61; t <= 75; t++) {
        ck_assert_int_eq(run_day(st, &cfg, day0, t, p), SW_STATE_BLOCKED);
        ck_assert(p->sys[SW_SYS_GBDT].manual);
        ck_assert(p->sys[SW_SYS_GBDT].win[SW_PERF_14].ratio < 1.0);
    }
    ck_assert_ptr_nonnull(strstr(p->sys[SW_SYS_GBDT].reason, "by a person"));
    int blocked[SW_SYS_COUNT + 1];
    ck_assert_int_eq(sw_monitor_blocked(st, blocked, &err), SW_OK);
    ck_assert_int_eq(blocked[SW_SYS_GBDT], 1);
    /* unknown systems are refused */
    ck_assert_int_eq(sw_monitor_set_state(st, "nope", SW_STATE_BLOCKED, day0, "x", &err), SW_ARG);
    sw_store_close(st);

    /* through the CLI: --enable lifts it; rows graded before the date stop counting */
    char conf[700], data[600];
    snprintf(conf, sizeof conf, "%s/manual.conf", g_dir);
    snprintf(data, sizeof data, "%s/data", g_dir);
    char models[600];
    snprintf(models, sizeof models, "%s/manual-models", g_dir);
    write_conf(conf, data, models, path, NULL);
    char *out = NULL, ds[11];
    sw_date_format(day0 + 76, ds);
    ck_assert_int_eq(tu_sh(&out, "%s monitor --config %s --enable gbdt --date %s --reason checked", tu_swish_bin(),
                           conf, ds),
                     0);
    free(out);
    dump_eq(path, "SELECT state, manual, since, evidence_from FROM system_states WHERE system = 'gbdt'",
            "OK|1|2025-03-18|2025-03-18\n");
    /* the next night: one day of rows since the person's decision: too few to judge */
    st = NULL;
    ck_assert_int_eq(sw_store_open(path, 1000, 0, &st, &err), SW_OK);
    ck_assert_int_eq(run_day(st, &cfg, day0, 77, p), SW_STATE_OK);
    ck_assert_int_eq(p->sys[SW_SYS_GBDT].win[SW_PERF_30].n, PER_DAY);
    ck_assert(p->sys[SW_SYS_GBDT].insufficient);
    ck_assert_int_eq(sw_monitor_blocked(st, blocked, &err), SW_OK);
    ck_assert_int_eq(blocked[SW_SYS_GBDT], 0);
    sw_store_close(st);
    /* --block from the CLI, then the monitor's exit status says so */
    ck_assert_int_eq(tu_sh(&out, "%s monitor --config %s --block gbdt --date %s", tu_swish_bin(), conf, ds), 0);
    free(out);
    int rc;
    sw_date_format(day0 + 78, ds);
    sw_json *d = monitor_json(conf, ds, NULL, &rc);
    ck_rc(rc, 1);
    sw_jnode systems = sw_json_get(d, sw_json_get(d, sw_json_root(d), "performance"), "systems");
    int found = 0;
    for (sw_jnode s = sw_json_first(d, systems); s != SW_JNONE; s = sw_json_next(d, s)) {
        if (!streq_at(d, s, "system", "gbdt")) continue;
        found = 1;
        ck_assert(streq_at(d, s, "state", "BLOCKED"));
        ck_assert_int_eq(sw_json_type_of(d, sw_json_get(d, s, "manual")), SW_JSON_TRUE);
    }
    ck_assert(found);
    sw_json_free(d);
    /* the three decisions of a person are on record */
    dump_eq(path, "SELECT count(*) FROM system_state_events WHERE manual = 1", "3\n");
    free(p);
}
END_TEST

/* ---- the /metrics triples ---- */

typedef struct {
    int n, states, psi;
    double gbdt_state;
} emitted;

static void emit(void *ctx, const char *family, const char *help, const char *labels, const char *const *values,
                 double v)
{
    emitted *e = ctx;
    ck_assert_ptr_nonnull(help);
    e->n++;
    if (!strcmp(family, "swish_monitor_system_state")) {
        ck_assert_str_eq(labels, "system");
        e->states++;
        if (!strcmp(values[0], "gbdt")) e->gbdt_state = v;
    }
    if (!strcmp(family, "swish_monitor_feature_psi")) {
        ck_assert_str_eq(labels, "feature,against");
        e->psi++;
    }
}

START_TEST(export_for_metrics)
{
    char path[600];
    int day0;
    sw_store *st = fill_bad("export", path, &day0);
    sw_monitor_result *r = calloc(1, sizeof *r);
    sw_config cfg = test_cfg();
    sw_error err;
    ck_assert_int_eq(sw_monitor_performance(st, &cfg, day0 + 31, 0, &r->perf, &err), SW_OK);
    ck_assert_int_eq(r->perf.sys[SW_SYS_GBDT].state, SW_STATE_BLOCKED); /* from OK at once: levels may be skipped */
    sw_store_close(st);
    if (tu_db_pg()) /* the table comes with the schema there */
        ck_assert_int_eq(tu_sql_long(path, "SELECT count(*) FROM system_states"), 0);
    else
        ck_assert_int_eq(tu_sql_long(path, "SELECT count(*) FROM sqlite_master WHERE name = 'system_states'"), 0);
    emitted e = {0, 0, 0, -1};
    sw_monitor_export(r, emit, &e);
    ck_assert_int_eq(e.states, SW_SYS_COUNT + 1);
    ck_assert_double_eq(e.gbdt_state, 3);
    ck_assert_int_eq(e.psi, 0); /* no drift reference in this result */
    free(r);
}
END_TEST

Suite *monitor_suite(void)
{
    Suite *s = suite_create("monitor");
    TCase *tu = tcase_create("units");
    tcase_add_test(tu, psi_ks_by_hand);
    suite_add_tcase(s, tu);
    TCase *tl = tcase_create("league");
    tcase_set_timeout(tl, 600);
    tcase_add_unchecked_fixture(tl, sim_setup, sim_teardown);
    tcase_add_test(tl, reference_stored_with_the_version);
    tcase_add_test(tl, minutes_shift_raises_the_alert);
    tcase_add_test(tl, no_false_alarms_across_the_season);
    tcase_add_test(tl, no_reference_is_unavailable);
    tcase_add_test(tl, stale_inputs);
    tcase_add_test(tl, slate_deadline);
    tcase_add_test(tl, states_follow_the_windows);
    tcase_add_test(tl, a_person_blocks_and_enables);
    tcase_add_test(tl, export_for_metrics);
    suite_add_tcase(s, tl);
    return s;
}
