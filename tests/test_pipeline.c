/* test_pipeline: the nightly run and the weekly retrain.
 *
 * Oracles: hand-computed probabilities and regressions; independent scalar
 * re-implementations of the rule systems' definitions (ORIGINAL-SYSTEM.md 7.1,
 * 7.2, 7.3) on real rows, the similarity one without BLAS; the reference
 * scorer for the CatBoost V8 model; the model store's own history; SQLite
 * queries on what a run stored.  End to end on a simulated league (simulated,
 * registered and trained once, through the CLI, before the tests fork) and on
 * the real slate of 2025-11-10 with real lines; idempotent re-runs; a run
 * killed in the middle of its write; bad input of every kind named by the
 * issue. */
#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/date.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "features/features.h"
#include "features/league.h"
#include "io/model.h"
#include "pipeline/config.h"
#include "pipeline/registry.h"
#include "pipeline/stack.h"
#include "pipeline/systems.h"
#include "testutil.h"

#define V8 "models/catboost_v8_33features_20260108_211817.cbm"

/* ---- helpers ---- */

static int sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(char **out, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return tu_run(cmd, out);
}

static long q_long(const char *db, const char *sql)
{
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    long v = (long)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(h);
    return v;
}

/* Every stored prediction as text, one line each, in key order (run ids left out). */
static char *dump_predictions(const char *db)
{
    return tu_sql_dump(db, "SELECT game_date, game_id, player_id, system, model_version, line, prediction, p_over,"
                           " recommendation, confidence, feature_hash FROM predictions"
                           " ORDER BY game_date, game_id, player_id, system, model_version");
}

static int day_of(const char *s)
{
    int d;
    ck_assert_int_eq(sw_date_parse(s, strlen(s), &d), 0);
    return d;
}

static sw_league *load_real(void)
{
    char dir[512];
    tu_shared_path(dir, sizeof dir, "data/nba");
    sw_league *lg;
    sw_error err;
    ck_assert_msg(sw_league_load(dir, NULL, &lg, NULL, &err) == SW_OK, "%s", err.msg);
    return lg;
}

static sw_frame *slate_frame(const sw_league *lg, int day)
{
    sw_feature_request r;
    sw_feature_request_init(&r);
    r.slate_date = day;
    sw_frame *f;
    sw_error err;
    ck_assert_int_eq(sw_features_build(lg, &r, &f, &err), SW_OK);
    return f;
}

static float fv(const sw_frame *f, long row, const char *name)
{
    int c = sw_feature_find(name);
    ck_assert_int_ge(c, 0);
    return sw_frame_values(f, row)[c];
}


/* ---- the simulated league: simulated, registered and trained once ---- */

static char g_root[256], g_conf[320], g_data[320], g_models[320], g_db[320];
static int g_ready;
static char g_why[4600];

static void sim_setup(void)
{
    snprintf(g_root, sizeof g_root, "/tmp/swish-pipe-XXXXXX");
    if (!mkdtemp(g_root)) return;
    snprintf(g_data, sizeof g_data, "%s/data", g_root);
    snprintf(g_models, sizeof g_models, "%s/models", g_root);
    snprintf(g_db, sizeof g_db, "%s/swish.db", g_root);
    snprintf(g_conf, sizeof g_conf, "%s/test.conf", g_root);
    FILE *fp = fopen(g_conf, "w");
    if (!fp) return;
    fprintf(fp,
            "# test configuration\n[paths]\ndata = %s\ndb = %s\nmodels = %s\n\n[retrain]\nrounds = 80\n"
            "early_stopping = 10\nfolds = 3\n",
            g_data, g_db, g_models);
    fclose(fp);
    const char *bin = tu_swish_bin();
    char cmd[4000], v8[600];
    snprintf(v8, sizeof v8, "%s/" V8, tu_shared());
    const char *steps[3] = {"simulate --seed 11 --seasons 1 --out %s", "models add --system catboost_v8 --version v8 %s --config %s",
                            "retrain --config %s"};
    for (int i = 0; i < 3; i++) {
        char args[1200];
        if (i == 0) snprintf(args, sizeof args, steps[0], g_data);
        else if (i == 1) snprintf(args, sizeof args, steps[1], v8, g_conf);
        else snprintf(args, sizeof args, steps[2], g_conf);
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

/* A private copy of the simulated league's data (and models) to modify. */
static void copy_setup(const char *name, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/%s", tu_tmpdir(), name);
    ck_assert_int_eq(sh(NULL, "rm -rf %s && mkdir -p %s && cp -r %s %s/data && cp -r %s %s/models", dir, dir, g_data,
                        dir, g_models, dir),
                     0);
}

/* ---- units ---- */

START_TEST(prob_over_hand)
{
    /* Phi(0.1) = 0.5398278, Phi(0.9) = 0.8159399, Phi(0.5) = 0.6914625 */
    ck_assert_double_eq_tol(sw_prob_over(20, 5, 20.5), 1 - 0.5398278, 1e-6);
    ck_assert_double_eq_tol(sw_prob_over(20, 5, 20), 1 - 0.5398278, 1e-6); /* 20 is a push: over needs 21 */
    ck_assert_double_eq_tol(sw_prob_over(25, 5, 20), 0.8159399, 1e-6);
    ck_assert_double_eq_tol(sw_prob_over(20, 2, 18.5), 0.7733726, 1e-6);     /* Phi(0.75) */
    ck_assert(isnan(sw_prob_over(20, 5, NAN)));
}
END_TEST

START_TEST(stack_recovers_coefficients)
{
    enum { N = 400, K = 3 };
    static double P[N * K], y[N];
    static float s[N];
    int sys[K] = {SW_SYS_MOVING_AVERAGE, SW_SYS_GBDT, SW_SYS_SIMILARITY};
    unsigned u = 12345;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < K; j++) {
            u = u * 1103515245u + 12345u;
            P[i * K + j] = 5 + (u >> 16) % 300 / 10.0;
        }
        y[i] = 1.5 + 0.2 * P[i * K] + 0.5 * P[i * K + 1] + 0.3 * P[i * K + 2];
        s[i] = 4;
    }
    P[7 * K + 1] = NAN; /* incomplete rows are left out */
    sw_stack st;
    sw_error err;
    ck_assert_int_eq(sw_stack_fit(P, y, s, N, K, sys, 0.0, &st, &err), SW_OK);
    ck_assert_int_eq(st.rows, N - 1);
    ck_assert_double_eq_tol(st.intercept, 1.5, 1e-8);
    ck_assert_double_eq_tol(st.coef[0], 0.2, 1e-10);
    ck_assert_double_eq_tol(st.coef[1], 0.5, 1e-10);
    ck_assert_double_eq_tol(st.coef[2], 0.3, 1e-10);
    ck_assert_double_eq_tol(st.mae, 0, 1e-8);

    /* with a penalty: the 1-system case by hand, w = Sxy / (Sxx + lambda) on centred data */
    double P1[5] = {1, 2, 3, 4, 5}, y1[5] = {2, 4, 5, 4, 5};
    float s1[5] = {3, 3, 3, 3, 3};
    double P2[100], y2[100];
    float s2[100];
    for (int r = 0; r < 20; r++)
        for (int i = 0; i < 5; i++) {
            P2[r * 5 + i] = P1[i];
            y2[r * 5 + i] = y1[i];
            s2[r * 5 + i] = s1[i];
        }
    int one = SW_SYS_GBDT;
    ck_assert_int_eq(sw_stack_fit(P2, y2, s2, 100, 1, &one, 10.0, &st, &err), SW_OK);
    /* Sxx = 20 * 10 = 200, Sxy = 20 * 6 = 120: w = 120 / 210; intercept = 4 - 3 w */
    ck_assert_double_eq_tol(st.coef[0], 120.0 / 210.0, 1e-12);
    ck_assert_double_eq_tol(st.intercept, 4 - 3 * 120.0 / 210.0, 1e-12);

    /* prediction with a missing system: filled with the mean of the others */
    sw_stack t = {0};
    t.k = 2;
    t.sys[0] = SW_SYS_MOVING_AVERAGE;
    t.sys[1] = SW_SYS_GBDT;
    t.coef[0] = 0.25;
    t.coef[1] = 0.75;
    t.intercept = 1;
    t.sigma_a = 1;
    t.sigma_b = 0.5;
    double by[SW_SYS_COUNT];
    for (int i = 0; i < SW_SYS_COUNT; i++) by[i] = NAN;
    by[SW_SYS_MOVING_AVERAGE] = 10;
    by[SW_SYS_GBDT] = 20;
    double sig;
    int present;
    ck_assert_double_eq_tol(sw_stack_predict(&t, by, 4, &sig, &present), 1 + 2.5 + 15, 1e-12);
    ck_assert_double_eq_tol(sig, sqrt(M_PI / 2) * 3, 1e-12);
    by[SW_SYS_SIMILARITY] = 30; /* not stacked: ignored */
    ck_assert_double_eq_tol(sw_stack_predict(&t, by, 4, &sig, &present), 18.5, 1e-12);
    by[SW_SYS_GBDT] = NAN;
    ck_assert(isnan(sw_stack_predict(&t, by, 4, &sig, &present)));
    ck_assert_int_eq(present, 1);

    /* JSON round trip, and a broken file named */
    char *js;
    size_t len;
    ck_assert_int_eq(sw_stack_to_json(&t, &js, &len, &err), SW_OK);
    sw_stack back;
    ck_assert_int_eq(sw_stack_from_json("s.json", js, len, &back, &err), SW_OK);
    ck_assert_int_eq(back.k, 2);
    ck_assert(back.coef[0] == 0.25 && back.coef[1] == 0.75 && back.intercept == 1 && back.sigma_b == 0.5);
    ck_assert_int_eq(back.sys[1], SW_SYS_GBDT);
    sw_free(js);
    const char *bad = "{\"kind\":\"ridge-stack\",\"systems\":[\"nope\"],\"coefficients\":[1]}";
    ck_assert_int_eq(sw_stack_from_json("bad.json", bad, strlen(bad), &back, &err), SW_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "nope"));
}
END_TEST

START_TEST(config_file_env_errors)
{
    const char *text = "# comment\n[paths]\ndb = /tmp/x.db  # trailing\n\n[call]\nmin_edge = 2.5\nmin_tier = silver\n"
                       "[slate]\nsystems = gbdt, moving_average\nbooks = fanduel,draftkings\n";
    const char *path = tu_write("a.conf", text, strlen(text));
    sw_config c;
    sw_error err;
    unsetenv("SWISH_CALL_MIN_EDGE");
    ck_assert_int_eq(sw_config_load(&c, path, &err), SW_OK);
    ck_assert_str_eq(c.db, "/tmp/x.db");
    ck_assert(c.min_edge == 2.5);
    ck_assert_int_eq(c.min_tier, SW_TIER_SILVER);
    ck_assert(c.systems[SW_SYS_GBDT] && c.systems[SW_SYS_MOVING_AVERAGE] && !c.systems[SW_SYS_SIMILARITY]);
    ck_assert_int_eq(c.n_books, 2);
    ck_assert_str_eq(c.books[0], "fanduel");
    ck_assert(c.min_prob == 0.55); /* untouched default */

    setenv("SWISH_CALL_MIN_EDGE", "3.25", 1);
    ck_assert_int_eq(sw_config_load(&c, path, &err), SW_OK);
    ck_assert(c.min_edge == 3.25);
    setenv("SWISH_CALL_MIN_EDGE", "lots", 1);
    ck_assert_int_eq(sw_config_load(&c, path, &err), SW_ARG);
    ck_assert_ptr_nonnull(strstr(err.msg, "SWISH_CALL_MIN_EDGE"));
    unsetenv("SWISH_CALL_MIN_EDGE");

    /* the dump reads back to the same configuration */
    char *dump = NULL;
    size_t dl = 0;
    FILE *fp = open_memstream(&dump, &dl);
    sw_config_write(&c, fp);
    fclose(fp);
    const char *p2 = tu_write("b.conf", dump, dl);
    free(dump);
    sw_config d;
    ck_assert_int_eq(sw_config_load(&d, p2, &err), SW_OK);
    ck_assert(memcmp(&c, &d, sizeof c) == 0);

    const char *bad1 = "[call]\nmin_edge = 1\nmin_egde = 2\n";
    ck_assert_int_eq(sw_config_load(&c, tu_write("c.conf", bad1, strlen(bad1)), &err), SW_ARG);
    ck_assert_int_eq(err.line, 3);
    ck_assert_ptr_nonnull(strstr(err.msg, "min_egde"));
    ck_assert_ptr_nonnull(strstr(err.msg, "call.min_edge")); /* lists the valid keys */
    const char *bad2 = "[slate]\nsystems = gbdt,xgboost_v1\n";
    ck_assert_int_eq(sw_config_load(&c, tu_write("d.conf", bad2, strlen(bad2)), &err), SW_ARG);
    ck_assert_int_eq(err.line, 2);
    ck_assert_ptr_nonnull(strstr(err.msg, "xgboost_v1"));
    const char *bad3 = "[call]\nmin_prob = 0.3\n";
    ck_assert_int_eq(sw_config_load(&c, tu_write("e.conf", bad3, strlen(bad3)), &err), SW_ARG);
}
END_TEST

START_TEST(registry_lifecycle)
{
    char dir[512], v8[512];
    snprintf(dir, sizeof dir, "%s/store", tu_tmpdir());
    tu_shared_path(v8, sizeof v8, V8);
    unsigned char *model;
    size_t mlen;
    sw_error err;
    ck_assert_int_eq(sw_read_file(v8, 0, &model, &mlen, &err), SW_OK);
    sw_manifest m;
    sw_manifest_init(&m, "catboost_v8");
    sw_manifest_add_metric(&m, "valid_mae", 4.5);
    snprintf(m.version, sizeof m.version, "a1");
    sw_reg_blob b = {"mean", "mean.cbm", model, mlen};
    ck_assert_int_eq(sw_registry_add(dir, &m, &b, 1, 0, &err), SW_OK);
    char champ[64];
    ck_assert_int_eq(sw_registry_champion(dir, "catboost_v8", champ, &err), SW_OK);
    ck_assert_str_eq(champ, "a1"); /* the first version becomes champion */
    ck_assert_int_eq(sw_registry_add(dir, &m, &b, 1, 0, &err), SW_OK); /* the same files again: no-op */

    unsigned char other[3] = {1, 2, 3};
    sw_reg_blob ob = {"mean", "mean.cbm", other, 3};
    sw_manifest m2;
    sw_manifest_init(&m2, "catboost_v8");
    snprintf(m2.version, sizeof m2.version, "a1");
    ck_assert_int_eq(sw_registry_add(dir, &m2, &ob, 1, 0, &err), SW_ARG); /* other files, same version */
    snprintf(m2.version, sizeof m2.version, "a2");
    ck_assert_int_eq(sw_registry_add(dir, &m2, &b, 1, 0, &err), SW_OK);
    ck_assert_str_eq(m2.parent, "a1");
    ck_assert_int_eq(sw_registry_champion(dir, "catboost_v8", champ, &err), SW_OK);
    ck_assert_str_eq(champ, "a1"); /* not promoted */
    ck_assert_int_eq(sw_registry_promote(dir, "catboost_v8", "a2", &err), SW_OK);
    ck_assert_int_eq(sw_registry_champion(dir, "catboost_v8", champ, &err), SW_OK);
    ck_assert_str_eq(champ, "a2");
    ck_assert_int_eq(sw_registry_promote(dir, "catboost_v8", "zz", &err), SW_NOT_FOUND);

    sw_manifest back;
    ck_assert_int_eq(sw_registry_manifest(dir, "catboost_v8", "a1", &back, &err), SW_OK);
    ck_assert_int_eq(back.n_files, 1);
    char hex[65];
    sw_sha256_hex(model, mlen, hex);
    ck_assert_str_eq(back.files[0].sha256, hex);
    ck_assert_int_eq(back.files[0].bytes, (long long)mlen);
    ck_assert_int_eq(back.n_metrics, 1);
    ck_assert(back.metric[0] == 4.5);

    sw_model_bundle mb;
    ck_assert_int_eq(sw_registry_load_bundle(dir, "catboost_v8", NULL, &mb, NULL, &err), SW_OK);
    ck_assert_str_eq(mb.version, "a2");
    ck_assert_int_eq(sw_forest_n_trees(mb.mean), 1000);
    sw_forest_free(mb.mean);

    sw_manifest *all;
    int n;
    ck_assert_int_eq(sw_registry_list(dir, &all, &n, &err), SW_OK);
    ck_assert_int_eq(n, 2);
    sw_free(all);

    ck_assert_int_eq(sw_registry_rollback(dir, "catboost_v8", champ, &err), SW_OK);
    ck_assert_str_eq(champ, "a1");
    ck_assert_int_eq(sw_registry_rollback(dir, "catboost_v8", champ, &err), SW_NOT_FOUND);

    /* a changed byte: refused when loaded, promoted or rolled back to */
    char path[700];
    snprintf(path, sizeof path, "%s/catboost_v8/a2/mean.cbm", dir);
    model[mlen / 2] ^= 1;
    FILE *fp = fopen(path, "r+b");
    fseek(fp, (long)(mlen / 2), SEEK_SET);
    fputc(model[mlen / 2], fp);
    fclose(fp);
    ck_assert_int_eq(sw_registry_load_bundle(dir, "catboost_v8", "a2", &mb, NULL, &err), SW_CORRUPT);
    ck_assert_ptr_nonnull(strstr(err.file, "mean.cbm"));
    ck_assert_ptr_nonnull(strstr(err.msg, "checksum"));
    ck_assert_int_eq(sw_registry_promote(dir, "catboost_v8", "a2", &err), SW_CORRUPT);
    ck_assert_int_eq(sw_registry_champion(dir, "catboost_v8", champ, &err), SW_OK);
    ck_assert_str_eq(champ, "a1");
    sw_free(model);
}
END_TEST

START_TEST(model_features_by_name)
{
    char path[512];
    tu_shared_path(path, sizeof path, "models/xgboost_real_v1_20260102.json");
    sw_model_bundle b = {0};
    sw_error err;
    ck_assert_int_eq(sw_model_load(path, &b.mean, &err), SW_OK);
    sw_system *s;
    ck_assert_int_eq(sw_system_create_model(SW_SYS_GBDT, &b, &s, &err), SW_MISMATCH);
    ck_assert_ptr_nonnull(strstr(err.msg, "starter_rate_last_10"));
    ck_assert_ptr_null(b.mean); /* ownership taken, also on failure */
    ck_assert_int_eq(sw_system_create_rule(SW_SYS_GBDT, &s, &err), SW_ARG);
}
END_TEST

/* ---- rule systems against independent re-implementations, real rows ---- */

START_TEST(rules_by_hand_real)
{
    sw_league *lg = load_real();
    sw_frame *f = slate_frame(lg, day_of("2025-11-10"));
    long n = sw_frame_rows(f);
    ck_assert_int_gt(n, 100);
    long *rows = malloc(sizeof(long) * (size_t)n);
    for (long i = 0; i < n; i++) rows[i] = i;
    sw_pred *ma = calloc((size_t)n, sizeof *ma), *zm = calloc((size_t)n, sizeof *zm);
    sw_system *sma, *szm;
    sw_error err;
    ck_assert_int_eq(sw_system_create_rule(SW_SYS_MOVING_AVERAGE, &sma, &err), SW_OK);
    ck_assert_int_eq(sw_system_create_rule(SW_SYS_ZONE_MATCHUP, &szm, &err), SW_OK);
    sw_batch b = {lg, f, rows, n, 2};
    ck_assert_int_eq(sw_system_predict(sma, &b, ma, &err), SW_OK);
    ck_assert_int_eq(sw_system_predict(szm, &b, zm, &err), SW_OK);
    int checked = 0;
    int season_col = sw_feature_find("points_avg_season");
    for (long i = 0; i < n; i++) {
        if (sw_frame_sources(f, i)[season_col] == SW_SRC_DEFAULT) {
            ck_assert(isnan(ma[i].pred) && isnan(zm[i].pred));
            continue;
        }
        /* 7.1 with tiredness = 100 - fatigue_score */
        double l5 = fv(f, i, "points_avg_last_5"), l10 = fv(f, i, "points_avg_last_10"), s = fv(f, i, "points_avg_season");
        double fat = fv(f, i, "fatigue_score"), mm = fv(f, i, "shot_zone_mismatch_score"), pace = fv(f, i, "pace_score");
        double us = fv(f, i, "usage_spike_score"), home = fv(f, i, "home_away"), b2b = fv(f, i, "back_to_back");
        double e = 0.5 * l5 + 0.3 * l10 + 0.2 * s;
        if (100 - fat > 70) e -= 2.5;
        else if (100 - fat > 50) e -= 1.0;
        e += (isnan(mm) ? 0 : 0.3 * mm) - (b2b == 1 ? 1.5 : 0) + (isnan(pace) ? 0 : 0.3 * pace) + (home == 1 ? 0.5 : -0.5) +
             (isnan(us) ? 0 : 0.4 * us);
        e = e < 0 ? 0 : e > 60 ? 60 : e;
        ck_assert_msg(fabs(ma[i].pred - e) < 1e-4, "row %ld: moving_average %f, by hand %f", i, ma[i].pred, e);
        double c = 0.5, sd = fv(f, i, "points_std_last_10"), g7 = fv(f, i, "games_in_last_7_days");
        c -= sd > 6 ? 0.15 : sd > 4 ? 0.08 : 0;
        c += g7 >= 3 ? 0.1 : g7 == 2 ? 0.05 : -0.1;
        c = c < 0.2 ? 0.2 : c > 0.8 ? 0.8 : c;
        ck_assert_double_eq_tol(ma[i].conf, 100 * c, 1e-4);
        /* 7.2 */
        double r = fv(f, i, "opponent_def_rating"), z = 0;
        const char *zn[4] = {"pct_paint", "pct_mid_range", "pct_three", "pct_free_throw"};
        double mult[4] = {1.2, 1.0, 1.1, 0.8};
        for (int k = 0; k < 4; k++) {
            double sh_ = fv(f, i, zn[k]);
            if (isnan(sh_)) continue;
            double w = sh_ >= 0.4 ? 1.0 : sh_ >= 0.2 ? 0.7 : 0.4, t = (r - 110) * 0.3 * mult[k];
            z += w * (t > 3 ? 3 : t < -3 ? -3 : t);
        }
        double ez = s + z + (isnan(pace) ? 0 : 0.4 * pace) + (home == 1 ? 0.8 : -0.8) +
                    (100 - fat > 70 ? -1.5 : 100 - fat > 50 ? -0.8 : 0);
        ez = ez < 0 ? 0 : ez > 60 ? 60 : ez;
        ck_assert_msg(fabs(zm[i].pred - ez) < 1e-4, "row %ld: zone_matchup %f, by hand %f", i, zm[i].pred, ez);
        checked++;
    }
    ck_assert_int_gt(checked, 100);
    /* calls: section 7.1's rule against a line */
    sw_pred p = {.pred = 20, .conf = 60};
    ck_assert_str_eq(sw_system_call(sma, &p, 17.5), "OVER");
    ck_assert_str_eq(sw_system_call(sma, &p, 18.0), "PASS"); /* |edge| <= 2 */
    ck_assert_str_eq(sw_system_call(sma, &p, 22.5), "UNDER");
    p.conf = 45;
    ck_assert_str_eq(sw_system_call(sma, &p, 10.5), "PASS"); /* confidence <= 45 */
    ck_assert_str_eq(sw_system_call(sma, &p, NAN), "NO_LINE");
    sw_system_free(sma);
    sw_system_free(szm);
    free(ma);
    free(zm);
    free(rows);
    sw_frame_free(f);
    sw_league_free(lg);
}
END_TEST

/* Section 7.3 by direct categorical scoring (no BLAS). */
static int tier_of(double r) { return isnan(r) ? 1 : r < 110 ? 0 : r < 115 ? 1 : 2; }
static int form_of(double x) { return isnan(x) ? 1 : x >= 3 ? 2 : x <= -3 ? 0 : 1; }

START_TEST(similarity_scalar_reference)
{
    sw_league *lg = load_real();
    int D = day_of("2025-11-10");
    sw_frame *f = slate_frame(lg, D);
    long n = sw_frame_rows(f);
    long *rows = malloc(sizeof(long) * (size_t)n);
    for (long i = 0; i < n; i++) rows[i] = i;
    sw_pred *out = calloc((size_t)n, sizeof *out);
    sw_system *s;
    sw_error err;
    ck_assert_int_eq(sw_system_create_rule(SW_SYS_SIMILARITY, &s, &err), SW_OK);
    sw_batch b = {lg, f, rows, n, 2};
    ck_assert_int_eq(sw_system_predict(s, &b, out, &err), SW_OK);
    int predicted = 0, none = 0;
    for (long i = 0; i < n; i++) {
        const sw_frame_meta *m = sw_frame_meta_of(f, i);
        sw_hist_game h[30];
        int k = sw_features_history(lg, m->player, D, 90, h, 30);
        for (int j = 0; j < k; j++) {
            ck_assert_int_lt(h[j].date, D); /* strictly before the date */
            ck_assert_int_ge(h[j].date, D - 90);
            if (j) ck_assert_int_ge(h[j - 1].date, h[j].date);
        }
        if (k < 5) {
            ck_assert(isnan(out[i].pred));
            none++;
            continue;
        }
        int rest = sw_date_season(h[0].date) == sw_date_season(D) ? D - h[0].date : 4;
        rest = rest < 1 ? 1 : rest > 4 ? 4 : rest;
        int tier = tier_of(fv(f, i, "opponent_def_rating")), venue = fv(f, i, "home_away") == 1;
        int form = form_of((double)fv(f, i, "points_avg_last_5") - fv(f, i, "points_avg_season"));
        double sim[30];
        int idx[30], kept = 0;
        for (int j = 0; j < k; j++) {
            int t = tier_of(h[j].opp_def), dt = abs(t - tier), dr = abs(h[j].rest - rest);
            sim[j] = (dt == 0 ? 40 : dt == 1 ? 20 : 0) + (dr == 0 ? 30 : dr == 1 ? 15 : 0) +
                     (h[j].home == venue ? 15 : 0) + (form_of(h[j].form) == form ? 15 : 5);
        }
        /* the best first, the most recent first among equals */
        kept = 0;
        for (int level = 100; level >= 70; level--)
            for (int j = 0; j < k; j++)
                if ((int)sim[j] == level) idx[kept++] = j;
        if (kept > 20) kept = 20;
        if (kept < 5) {
            ck_assert_msg(isnan(out[i].pred), "row %ld: %d matches but a prediction", i, kept);
            none++;
            continue;
        }
        double ws = 0, wp = 0;
        for (int j = 0; j < kept; j++) {
            ws += sim[idx[j]];
            wp += sim[idx[j]] * h[idx[j]].pts;
        }
        double mm = fv(f, i, "shot_zone_mismatch_score"), pace = fv(f, i, "pace_score"),
               us = fv(f, i, "usage_spike_score");
        double e = wp / ws + (fv(f, i, "fatigue_score") - 70) * 0.015 + (isnan(mm) ? 0 : 0.4 * mm) +
                   (isnan(pace) ? 0 : 0.8 * pace) + (isnan(us) ? 0 : 0.8 * us) + (venue ? 0.8 : -0.5);
        e = e < 0 ? 0 : e > 60 ? 60 : e;
        ck_assert_msg(fabs(out[i].pred - e) < 1e-3, "row %ld: similarity %f, scalar %f", i, out[i].pred, e);
        predicted++;
    }
    ck_assert_int_gt(predicted, 50);
    ck_assert_int_gt(none, 0);
    sw_system_free(s);
    free(out);
    free(rows);
    sw_frame_free(f);
    sw_league_free(lg);
}
END_TEST

START_TEST(catboost_v8_matches_reference)
{
    sw_league *lg = load_real();
    sw_frame *f = slate_frame(lg, day_of("2025-11-10"));
    char path[512];
    tu_shared_path(path, sizeof path, V8);
    sw_model_bundle b = {0};
    sw_error err;
    ck_assert_int_eq(sw_model_load(path, &b.mean, &err), SW_OK);
    sw_forest *ref;
    ck_assert_int_eq(sw_model_load(path, &ref, &err), SW_OK);
    snprintf(b.version, sizeof b.version, "v8");
    sw_system *s;
    ck_assert_int_eq(sw_system_create_model(SW_SYS_CATBOOST_V8, &b, &s, &err), SW_OK);
    ck_assert_str_eq(sw_system_version(s), "v8");
    long n = sw_frame_rows(f);
    long *rows = malloc(sizeof(long) * (size_t)n);
    for (long i = 0; i < n; i++) rows[i] = i;
    sw_pred *out = calloc((size_t)n, sizeof *out);
    sw_batch bt = {lg, f, rows, n, 2};
    ck_assert_int_eq(sw_system_predict(s, &bt, out, &err), SW_OK);
    const char *names[64];
    for (int i = 0; i < sw_forest_n_features(ref); i++) names[i] = sw_forest_feature_name(ref, i);
    sw_matrix *X;
    ck_assert_int_eq(sw_frame_select(f, names, sw_forest_n_features(ref), &X, &err), SW_OK);
    double *want = malloc(sizeof(double) * (size_t)n);
    sw_forest_predict_ref(ref, X->data, n, X->cols, sw_forest_n_trees(ref), 0, want);
    for (long i = 0; i < n; i++) {
        double w = want[i] < 0 ? 0 : want[i] > 60 ? 60 : want[i];
        ck_assert_msg(out[i].pred == (float)w, "row %ld: %.9g vs reference %.9g (%s)", i, out[i].pred, w, out[i].note);
        ck_assert(out[i].conf >= 79 && out[i].conf <= 95);
    }
    sw_matrix_free(X);
    free(want);
    free(out);
    free(rows);
    sw_forest_free(ref);
    sw_system_free(s);
    sw_frame_free(f);
    sw_league_free(lg);
}
END_TEST

/* ---- end to end on the real slate of 2025-11-10 ---- */

START_TEST(real_slate_end_to_end)
{
    const char *bin = tu_swish_bin(), *t = tu_tmpdir();
    char data[512], v8[512], *out = NULL;
    tu_shared_path(data, sizeof data, "data/nba");
    tu_shared_path(v8, sizeof v8, V8);
    char conf[600];
    snprintf(conf, sizeof conf, "%s/real.conf", t);
    FILE *fp = fopen(conf, "w");
    fprintf(fp, "[paths]\ndata = %s\ndb = %s/real.db\nmodels = %s/real-models\n[retrain]\nrounds = 60\n"
                "early_stopping = 10\nfolds = 3\n", data, t, t);
    fclose(fp);
    ck_assert_int_eq(sh(&out, "%s models add --system catboost_v8 %s --config %s", bin, v8, conf), 0);
    free(out);
    int rc = sh(&out, "%s retrain --until 2025-11-10 --config %s --json", bin, conf);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "\"to\":\"2025-11-09\"")); /* nothing from the date itself */
    free(out);
    rc = sh(&out, "%s slate --date 2025-11-10 --config %s --json > %s/real.json", bin, conf, t);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    free(out);
    char db[600];
    snprintf(db, sizeof db, "%s/real.db", t);
    long lined = q_long(db, "SELECT count(*) FROM predictions WHERE system='final' AND line IS NOT NULL");
    ck_assert_int_gt(lined, 100);
    /* every player with a line: one row per system, six systems, and the final call */
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM (SELECT game_id, player_id FROM predictions WHERE line IS NOT NULL"
                                " GROUP BY 1, 2 HAVING count(DISTINCT system) <> 7)"),
                     0);
    ck_assert_int_eq(q_long(db, "SELECT count(DISTINCT system) FROM predictions"), 7);
    /* the calls obey the configured thresholds (defaults) */
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM predictions WHERE system='final' AND recommendation IN "
                                "('OVER','UNDER') AND (abs(edge) < 1.5 OR tier IN ('poor','critical')"
                                " OR (recommendation='OVER' AND (edge <= 0 OR p_over < 0.55))"
                                " OR (recommendation='UNDER' AND (edge >= 0 OR p_over > 0.45)))"),
                     0);
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM predictions WHERE (line IS NULL) <> (recommendation='NO_LINE')"),
                     0);
    ck_assert_int_gt(q_long(db, "SELECT count(*) FROM predictions WHERE system='final' AND recommendation IN ('OVER','UNDER')"), 0);
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM predictions WHERE reason IS NULL OR reason = ''"), 0);
    /* real lines only: every stored line is one of the book lines of that player and game */
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM predictions WHERE line IS NOT NULL AND (line <= 0 OR line > 80"
                                " OR book IS NULL)"),
                     0);
    /* the JSON names every enabled system's version */
    char path[700];
    snprintf(path, sizeof path, "%s/real.json", t);
    char *js = tu_slurp(path, NULL);
    ck_assert_ptr_nonnull(strstr(js, "\"catboost_v8\":\""));
    ck_assert_ptr_nonnull(strstr(js, "\"final_version\":\"stack-"));
    free(js);
}
END_TEST

/* ---- end to end on the simulated league ---- */

START_TEST(sim_slate_rows_and_idempotence)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char *out = NULL, db[600], conf[700];
    snprintf(db, sizeof db, "%s/idem.db", tu_tmpdir());
    snprintf(conf, sizeof conf, "%s", g_conf);
    int rc = sh(&out, "%s slate --date next --config %s --db %s", bin, conf, db);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "PLAYER"));
    free(out);
    long players = q_long(db, "SELECT count(*) FROM predictions WHERE system='final'");
    long total = q_long(db, "SELECT count(*) FROM predictions");
    ck_assert_int_gt(players, 50);
    ck_assert_int_eq(total, players * 7); /* six systems and the final call */
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM (SELECT game_id, player_id FROM predictions WHERE line IS NOT NULL"
                                " GROUP BY 1, 2 HAVING count(DISTINCT system) <> 7)"),
                     0);
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM features"), players);
    char *before = dump_predictions(db);
    rc = sh(&out, "%s slate --date next --config %s --db %s", bin, conf, db);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "replaced"));
    free(out);
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM predictions"), total);
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM runs"), 2);
    ck_assert_int_eq(q_long(db, "SELECT count(DISTINCT run_id) FROM predictions"), 1);
    char *after = dump_predictions(db);
    ck_assert_str_eq(before, after); /* the same run gives the same rows */
    free(before);
    free(after);
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM predictions WHERE confidence < 0 OR confidence > 100"), 0);
}
END_TEST

START_TEST(sim_kill_during_write)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char *out = NULL, db[600];
    snprintf(db, sizeof db, "%s/kill.db", tu_tmpdir());
    ck_assert_int_eq(sh(&out, "%s slate --date next --config %s --db %s", bin, g_conf, db), 0);
    free(out);
    char *before = dump_predictions(db);
    long total = q_long(db, "SELECT count(*) FROM predictions");
    /* killed (SIGKILL) after 100 rows of the second run's transaction */
    int rc = sh(&out, "SWISH_FAULT_KILL_AFTER=100 %s slate --date next --config %s --db %s", bin, g_conf, db);
    ck_assert_int_ne(rc, 0);
    free(out);
    char *mid = dump_predictions(db);
    ck_assert_str_eq(before, mid); /* the first run's rows, untouched */
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(sh(&out, "%s slate --date next --config %s --db %s", bin, g_conf, db), 0);
    free(out);
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM predictions"), total);
    char *after = dump_predictions(db);
    ck_assert_str_eq(before, after);
    free(before);
    free(mid);
    free(after);
    /* a kill on a fresh database leaves no rows at all */
    char db2[600];
    snprintf(db2, sizeof db2, "%s/kill2.db", tu_tmpdir());
    rc = sh(&out, "SWISH_FAULT_KILL_AFTER=1 %s slate --date next --config %s --db %s", bin, g_conf, db2);
    ck_assert_int_ne(rc, 0);
    free(out);
    ck_assert_int_eq(q_long(db2, "SELECT count(*) FROM predictions"), 0);
}
END_TEST

START_TEST(sim_bad_models)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char dir[600], *out = NULL;
    copy_setup("badmodels", dir, sizeof dir);
    /* the gbdt champion's mean model deleted, the stack's file corrupted */
    ck_assert_int_eq(sh(NULL, "rm %s/models/gbdt/*/mean.swm", dir), 0);
    int rc = sh(&out, "%s slate --date next --config %s --models %s/models --db %s/b.db", bin, g_conf, dir, dir);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "gbdt refused"));
    ck_assert_ptr_nonnull(strstr(out, "mean.swm"));
    free(out);
    char db[700];
    snprintf(db, sizeof db, "%s/b.db", dir);
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM predictions WHERE system='gbdt'"), 0);
    ck_assert_int_gt(q_long(db, "SELECT count(*) FROM predictions WHERE system='moving_average'"), 50);
    ck_assert_int_eq(sh(NULL, "printf 'x' | dd of=$(ls %s/models/stack/*/stack.json) bs=1 seek=20 conv=notrunc 2>/dev/null", dir), 0);
    rc = sh(&out, "%s slate --date next --config %s --models %s/models --db %s/b.db", bin, g_conf, dir, dir);
    ck_assert_int_eq(rc, 1);
    ck_assert_ptr_nonnull(strstr(out, "checksum mismatch"));
    free(out);
    ck_assert_int_eq(q_long(db, "SELECT count(DISTINCT model_version) FROM predictions WHERE system='final'"), 2);
    /* no catboost_v8 registered: disabled with a warning, not a failure */
    ck_assert_int_eq(sh(NULL, "rm -rf %s/models/catboost_v8", dir), 0);
    rc = sh(&out, "%s slate --date next --config %s --models %s/models --no-store", bin, g_conf, dir);
    ck_assert_int_eq(rc, 1); /* the gbdt file is still missing */
    ck_assert_ptr_nonnull(strstr(out, "catboost_v8: no model registered"));
    free(out);
}
END_TEST

START_TEST(sim_bad_database)
{
    need_sim();
    const char *bin = tu_swish_bin(), *t = tu_tmpdir();
    char *out = NULL;
    char junk[600];
    snprintf(junk, sizeof junk, "%s/junk.db", t);
    FILE *fp = fopen(junk, "wb");
    for (int i = 0; i < 4096; i++) fputc("not a database"[i % 14], fp);
    fclose(fp);
    int rc = sh(&out, "%s slate --date next --config %s --db %s", bin, g_conf, junk);
    ck_assert_msg(rc == 10, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, junk));
    free(out);
    /* locked: another connection holds the write lock */
    char db[600];
    snprintf(db, sizeof db, "%s/locked.db", t);
    ck_assert_int_eq(sh(&out, "%s slate --date next --config %s --db %s", bin, g_conf, db), 0);
    free(out);
    char *before = dump_predictions(db);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "BEGIN IMMEDIATE; DELETE FROM runs WHERE 0;", NULL, NULL, NULL), SQLITE_OK);
    rc = sh(&out, "SWISH_PATHS_DB_BUSY_TIMEOUT_MS=200 %s slate --date next --config %s --db %s", bin, g_conf, db);
    ck_assert_msg(rc == 11, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "locked"));
    free(out);
    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(h);
    char *after = dump_predictions(db);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

START_TEST(sim_bad_data)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char dir[600], *out = NULL;
    copy_setup("baddata", dir, sizeof dir);
    /* the next date's first game, from the schedule */
    char path[700];
    snprintf(path, sizeof path, "%s/data/schedule.csv", dir);
    char *sched = tu_slurp(path, NULL);
    char season[16], date[16], gid[16], home[8], away[8];
    char *l2 = strchr(sched, '\n') + 1;
    ck_assert_int_eq(sscanf(l2, "%15[^,],%15[^,],%15[^,],%7[^,],%7[^,]", season, date, gid, home, away), 5);
    free(sched);
    /* a schedule row with unknown teams; lines of 0 and 95; a player nobody has seen, with a line */
    ck_assert_int_eq(sh(NULL, "echo '%s,%s,0029999999,XXX,YYY,%sT23:00:00Z' >> %s/data/schedule.csv", season, date,
                        date, dir),
                     0);
    ck_assert_int_eq(sh(NULL,
                        "echo '%s,Nobody Known,9999999,draftkings,14.5,-110,-110,%sT15:00:00Z,%s,%s,%s,%s,%sT23:00:00Z'"
                        " >> %s/data/prop_lines.csv",
                        date, date, gid, home, away, home, date, dir),
                     0);
    char *props = NULL;
    snprintf(path, sizeof path, "%s/data/prop_lines.csv", dir);
    props = tu_slurp(path, NULL);
    /* two more lines for a real player of that game: 0 and 95 */
    char *hit = strstr(props, gid);
    ck_assert_ptr_nonnull(hit);
    char *ls = hit;
    while (ls > props && ls[-1] != '\n') ls--;
    char row[512];
    size_t rl = (size_t)(strchr(ls, '\n') - ls);
    memcpy(row, ls, rl);
    row[rl] = 0;
    free(props);
    char f[12][64];
    ck_assert_int_eq(sscanf(row, "%63[^,],%63[^,],%63[^,],%63[^,],%63[^,],%63[^,],%63[^,],%63[^,],%63[^,]", f[0], f[1],
                            f[2], f[3], f[4], f[5], f[6], f[7], f[8]),
                     9);
    ck_assert_int_eq(sh(NULL, "echo '%s,%s,%s,fanduel,0,-110,-110,%sT16:00:00Z,%s,%s,%s,%s,%sT23:00:00Z' >> %s/data/prop_lines.csv",
                        f[0], f[1], f[2], date, gid, home, away, home, date, dir),
                     0);
    ck_assert_int_eq(sh(NULL, "echo '%s,%s,%s,betmgm,95.5,-110,-110,%sT16:00:00Z,%s,%s,%s,%s,%sT23:00:00Z' >> %s/data/prop_lines.csv",
                        f[0], f[1], f[2], date, gid, home, away, home, date, dir),
                     0);
    char db[700];
    snprintf(db, sizeof db, "%s/d.db", dir);
    int rc = sh(&out, "%s slate --date %s --config %s --data %s/data --db %s", bin, date, g_conf, dir, db);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "XXX"));   /* the unknown teams, named */
    ck_assert_ptr_nonnull(strstr(out, "95.5"));  /* the impossible line, named */
    free(out);
    /* the unseen player is on the slate, with a PASS that says why; everyone else scored */
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM predictions WHERE player_id='9999999' AND system='final'"
                                " AND recommendation='PASS'"),
                     1);
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM predictions WHERE player_id='9999999' AND system='moving_average'"
                                " AND prediction IS NULL AND reason LIKE '%no played games%'"),
                     1);
    ck_assert_int_gt(q_long(db, "SELECT count(*) FROM predictions WHERE system='final' AND prediction IS NOT NULL"), 20);
    ck_assert_int_eq(q_long(db, "SELECT count(*) FROM predictions WHERE line <= 0 OR line > 80"), 0);
    /* a date without games, a malformed date */
    rc = sh(&out, "%s slate --date 2031-01-01 --config %s --no-store", bin, g_conf);
    ck_assert_int_eq(rc, 8);
    ck_assert_ptr_nonnull(strstr(out, "no games on 2031-01-01"));
    free(out);
    rc = sh(&out, "%s slate --date 2025-02-30 --config %s --no-store", bin, g_conf);
    ck_assert_int_eq(rc, 2);
    free(out);
}
END_TEST

START_TEST(sim_models_cli_and_retrain)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char dir[600], *out = NULL;
    copy_setup("cli", dir, sizeof dir);
    int rc = sh(&out, "%s models list --json --models %s/models", bin, dir);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "\"system\":\"gbdt\""));
    ck_assert_ptr_nonnull(strstr(out, "\"system\":\"stack\""));
    ck_assert_ptr_nonnull(strstr(out, "\"champion\":true"));
    ck_assert_ptr_nonnull(strstr(out, "\"valid_mae\""));
    free(out);
    /* a second retrain on the same data, promoted: the same model bytes (determinism) */
    char champ[800];
    snprintf(champ, sizeof champ, "%s/models/gbdt/champion.json", dir);
    char *c1 = tu_slurp(champ, NULL);
    sleep(1); /* a new version name */
    rc = sh(&out, "%s retrain --config %s --models %s/models --promote --json", bin, g_conf, dir);
    ck_assert_msg(rc == 0, "%s", out);
    free(out);
    ck_assert_int_eq(sh(&out, "ls -d %s/models/gbdt/*/ | wc -l", dir), 0);
    ck_assert_int_eq(atoi(out), 2);
    free(out);
    ck_assert_int_eq(sh(&out, "sha256sum %s/models/gbdt/*/mean.swm | cut -c1-64 | sort -u | wc -l", dir), 0);
    ck_assert_int_eq(atoi(out), 1);
    free(out);
    char *c2 = tu_slurp(champ, NULL);
    ck_assert_str_ne(c1, c2);
    rc = sh(&out, "%s models rollback gbdt --models %s/models", bin, dir);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "rolled back"));
    free(out);
    char *c3 = tu_slurp(champ, NULL);
    ck_assert_str_eq(c1, c3); /* the previous champion, an empty history again */
    free(c1);
    free(c2);
    free(c3);
    rc = sh(&out, "%s models rollback catboost_v8 --models %s/models", bin, dir);
    ck_assert_int_eq(rc, 8);
    ck_assert_ptr_nonnull(strstr(out, "no previous champion"));
    free(out);
    rc = sh(&out, "%s models promote gbdt nonexistent --models %s/models", bin, dir);
    ck_assert_int_eq(rc, 8);
    free(out);
    rc = sh(&out, "%s models add --system gbdt %s/models/../data/schedule.csv --models %s/models", bin, dir, dir);
    ck_assert_int_ne(rc, 0); /* not a model */
    free(out);
}
END_TEST

Suite *pipeline_suite(void)
{
    Suite *s = suite_create("pipeline");
    TCase *tu = tcase_create("units");
    tcase_set_timeout(tu, 60);
    tcase_add_test(tu, prob_over_hand);
    tcase_add_test(tu, stack_recovers_coefficients);
    tcase_add_test(tu, config_file_env_errors);
    tcase_add_test(tu, registry_lifecycle);
    tcase_add_test(tu, model_features_by_name);
    suite_add_tcase(s, tu);
    TCase *tr = tcase_create("real");
    tcase_set_timeout(tr, 300);
    tcase_add_test(tr, rules_by_hand_real);
    tcase_add_test(tr, similarity_scalar_reference);
    tcase_add_test(tr, catboost_v8_matches_reference);
    tcase_add_test(tr, real_slate_end_to_end);
    suite_add_tcase(s, tr);
    TCase *ts = tcase_create("simulated");
    tcase_set_timeout(ts, 300);
    tcase_add_unchecked_fixture(ts, sim_setup, sim_teardown);
    tcase_add_test(ts, sim_slate_rows_and_idempotence);
    tcase_add_test(ts, sim_kill_during_write);
    tcase_add_test(ts, sim_bad_models);
    tcase_add_test(ts, sim_bad_database);
    tcase_add_test(ts, sim_bad_data);
    tcase_add_test(ts, sim_models_cli_and_retrain);
    suite_add_tcase(s, ts);
    return s;
}
