/* test_pipeline: the nightly run and the weekly retrain.
 *
 * Oracles: hand-computed probabilities and regressions; independent scalar
 * re-implementations of the rule systems' definitions (ORIGINAL-SYSTEM.md 7.1,
 * 7.2, 7.3) on real rows, the similarity one without BLAS; the reference
 * scorer for the CatBoost V8 model; the model store's own history; SQLite
 * queries on what a run stored; the feature frame and the C library's reading
 * of the stored vector behind the averages a grade records (also graded under
 * a decimal-comma LC_NUMERIC when such a locale is installed).  End to end on a simulated league (simulated,
 * registered and trained once, through the CLI, before the tests fork) and on
 * the real slate of 2025-11-10 with real lines; idempotent re-runs; a run
 * killed in the middle of its write; bad input of every kind named by the
 * issue. */
#include <dirent.h>
#include <locale.h>
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
#include "core/json.h"
#include "features/features.h"
#include "features/league.h"
#include "io/model.h"
#include "pipeline/config.h"
#include "pipeline/grade.h"
#include "pipeline/registry.h"
#include "pipeline/stack.h"
#include "pipeline/store.h"
#include "pipeline/systems.h"
#include "core/num.h"
#include "testutil.h"

#define V8 "models/catboost_v8_33features_20260108_211817.cbm"

/* ---- helpers ---- */



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

/* The type of an object's member (JSON outputs are checked through the parser). */
static sw_json_type jtype(const sw_json *doc, sw_jnode n, const char *key)
{
    sw_jnode c = sw_json_get(doc, n, key);
    ck_assert_msg(c != SW_JNONE, "no \"%s\"", key);
    return sw_json_type_of(doc, c);
}

/* Replace every occurrence of `from` in a file with `to`; returns how many. */
static int file_replace(const char *path, const char *from, const char *to)
{
    size_t len;
    char *s = tu_slurp(path, &len);
    ck_assert_ptr_nonnull(s);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    int n = 0;
    const char *p = s, *hit;
    while ((hit = strstr(p, from))) {
        fwrite(p, 1, (size_t)(hit - p), fp);
        fputs(to, fp);
        p = hit + strlen(from);
        n++;
    }
    fputs(p, fp);
    fclose(fp);
    free(s);
    return n;
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
    /* the league plays 2024-25, after CatBoost V8's training window, so that V8 may serve its dates */
    const char *steps[3] = {"simulate --seed 11 --seasons 1 --first-season 2024 --out %s",
                            "models add --system catboost_v8 --version v8 --train-from 2021-11-01 --train-to 2024-05-31"
                            " %s --config %s",
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
    ck_assert_int_eq(tu_sh(NULL, "rm -rf %s && mkdir -p %s && cp -r %s %s/data && cp -r %s %s/models", dir, dir, g_data,
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
    ck_assert(c.min_prob == 0 && c.min_ev == 0.02 && c.kelly == 0.25); /* untouched defaults */

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
    const char *bad3 = "[call]\nmin_prob = 1.3\n";
    ck_assert_int_eq(sw_config_load(&c, tu_write("e.conf", bad3, strlen(bad3)), &err), SW_ARG);
    const char *bad4 = "[call]\nkelly = 2\n";
    ck_assert_int_eq(sw_config_load(&c, tu_write("f.conf", bad4, strlen(bad4)), &err), SW_ARG);
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
    /* a model of two targets (or classes) on v2 features: a system scores one
     * value a row, so it is refused rather than written past one per row */
    b.mean = sw_forest_create(SW_TREES_BINARY, 1);
    const char *names[] = {"points_avg_last_5"};
    ck_assert_int_eq(sw_forest_set_feature_names(b.mean, names, &err), SW_OK);
    int32_t l[3] = {1, -1, -1}, r[3] = {2, -1, -1}, fe[3] = {0, 0, 0};
    float v[3] = {20.0f, 15.0f, 25.0f};
    uint8_t dl[3] = {1, 0, 0};
    sw_binary_tree_in in = {3, l, r, fe, v, dl, v, NULL, NULL, NULL, NULL, NULL};
    for (int t = 0; t < 2; t++) ck_assert_int_eq(sw_forest_add_binary(b.mean, &in, &err), SW_OK);
    ck_assert_int_eq(sw_forest_set_groups(b.mean, 2, (const int32_t[]){0, 1}, &err), SW_OK);
    ck_assert_int_eq(sw_system_create_model(SW_SYS_GBDT, &b, &s, &err), SW_MISMATCH);
    ck_assert_msg(strstr(err.msg, "2 output groups"), "%s", err.msg);
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
    ck_assert_int_eq(sw_system_call(sma, &p, 17.5), SW_CALL_OVER);
    ck_assert_int_eq(sw_system_call(sma, &p, 18.0), SW_CALL_PASS); /* |edge| <= 2 */
    ck_assert_int_eq(sw_system_call(sma, &p, 22.5), SW_CALL_UNDER);
    p.conf = 45;
    ck_assert_int_eq(sw_system_call(sma, &p, 10.5), SW_CALL_PASS); /* confidence <= 45 */
    ck_assert_int_eq(sw_system_call(sma, &p, NAN), SW_CALL_NO_LINE);
    /* the stored text and back: exactly the four names */
    for (int c = SW_CALL_OVER; c <= SW_CALL_NO_LINE; c++) {
        sw_call back = SW_CALL_PASS;
        ck_assert_int_eq(sw_call_parse(sw_call_name((sw_call)c), &back), 0);
        ck_assert_int_eq(back, c);
    }
    sw_call back = SW_CALL_OVER;
    ck_assert_int_eq(sw_call_parse("over", &back), -1);
    ck_assert_int_eq(sw_call_parse(NULL, &back), -1);
    ck_assert_int_eq(back, SW_CALL_OVER);
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
    char db[600];
    tu_db(db, sizeof db, NULL, "real");
    FILE *fp = fopen(conf, "w");
    fprintf(fp, "[paths]\ndata = %s\ndb = %s\nmodels = %s/real-models\n[retrain]\nrounds = 60\n"
                "early_stopping = 10\nfolds = 3\n", data, db, t);
    fclose(fp);
    ck_assert_int_eq(tu_sh(&out, "%s models add --system catboost_v8 --train-from 2021-11-01 --train-to 2024-05-31 %s"
                        " --config %s", bin, v8, conf), 0);
    free(out);
    int rc = tu_sh(&out, "%s retrain --until 2025-11-10 --config %s --json", bin, conf);
    ck_assert_msg(rc == 0, "%s", out);
    /* the window is the rows' own: the last played date before the cut-off, nothing from the date itself */
    ck_assert_ptr_nonnull(strstr(out, "\"to\":\"2025-11-09\""));
    ck_assert_ptr_nonnull(strstr(out, "\"from\":\"2023-1"));
    free(out);
    rc = tu_sh(&out, "%s slate --date 2025-11-10 --config %s --json > %s/real.json", bin, conf, t);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    free(out);
    long lined = tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system='final' AND line IS NOT NULL");
    ck_assert_int_gt(lined, 100);
    /* every player with a line: one row per system, six systems, and the final call */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM (SELECT game_id, player_id FROM predictions WHERE line IS NOT NULL"
                                " GROUP BY 1, 2 HAVING count(DISTINCT system) <> 7) AS d"),
                     0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(DISTINCT system) FROM predictions"), 7);
    /* the calls obey the configured rule (defaults): the side of the higher expected value at the stored
     * best prices, called when it reaches 2%, confidence 100 P(side); PASS only below it (or for quality) */
#define DEC(p) "(CASE WHEN " p " IS NULL OR abs(" p ") < 100 THEN 1 + 100.0 / 110 WHEN " p " > 0 THEN 1 + " p \
               " / 100.0 ELSE 1 - 100.0 / " p " END)"
#define EV_O "(p_over * " DEC("over_price") " - 1)"
#define EV_U "((1 - p_over) * " DEC("under_price") " - 1)"
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system='final' AND recommendation IN "
                                "('OVER','UNDER') AND (tier IN ('poor','critical')"
                                " OR (recommendation='OVER' AND (" EV_O " < 0.02 OR " EV_O " < " EV_U
                                " OR abs(confidence - 100 * p_over) > 1e-3))"
                                " OR (recommendation='UNDER' AND (" EV_U " < 0.02 OR " EV_U " < " EV_O
                                " OR abs(confidence - 100 * (1 - p_over)) > 1e-3)))"),
                     0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system='final' AND recommendation = 'PASS'"
                                " AND tier NOT IN ('poor','critical') AND systems_predicting >= 2"
                                " AND (" EV_O " >= 0.0201 OR " EV_U " >= 0.0201)"),
                     0);
    /* the final is anchored on the market: within a few points of the line, unlike the systems */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system='final' AND line IS NOT NULL"
                                " AND abs(prediction - line) > 3"),
                     0);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system='final' AND p_market IS NOT NULL"),
                     100);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE (line IS NULL) <> (recommendation='NO_LINE')"),
                     0);
    ck_assert_int_ge(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system='final' AND recommendation IN ('OVER','UNDER')"), 0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE reason IS NULL OR reason = ''"), 0);
    /* real lines only: every stored line is one of the book lines of that player and game */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE line IS NOT NULL AND (line <= 0 OR line > 80"
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

/* The README's nightly commands in the README's order on the real data, then
 * the past date the issue scored with a model that had seen it: no stored
 * row may come from a model trained on its game date or later. */
START_TEST(real_nightly_never_looks_ahead)
{
    const char *bin = tu_swish_bin(), *t = tu_tmpdir();
    char data[512], v8[512], *out = NULL, conf[600], db[600];
    tu_shared_path(data, sizeof data, "data/nba");
    tu_shared_path(v8, sizeof v8, V8);
    snprintf(conf, sizeof conf, "%s/night.conf", t);
    tu_db(db, sizeof db, NULL, "night");
    FILE *fp = fopen(conf, "w");
    fprintf(fp, "[paths]\ndata = %s\ndb = %s\nmodels = %s/night-models\n[retrain]\nrounds = 60\n"
                "early_stopping = 10\nfolds = 3\n", data, db, t);
    fclose(fp);
    /* retrain (every game: through 2026-02-05), slate next, models list, models add */
    int rc = tu_sh(&out, "%s retrain --config %s --json", bin, conf);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "\"to\":\"2026-02-05\"")); /* the player logs' last date, not the team logs' */
    char full[64];
    const char *gv = strstr(out, "\"gbdt_version\":\"");
    ck_assert_ptr_nonnull(gv);
    snprintf(full, sizeof full, "%.*s", (int)strcspn(gv + 16, "\""), gv + 16);
    free(out);
    rc = tu_sh(&out, "%s slate --date next --config %s", bin, conf);
    ck_assert_int_eq(rc, sw_status_exit_code(SW_NO_GAMES)); /* no scheduled games after the last played date */
    free(out);
    ck_assert_int_eq(tu_sh(&out, "%s models list --config %s", bin, conf), 0);
    ck_assert_ptr_nonnull(strstr(out, "2026-02-05"));
    free(out);
    ck_assert_int_eq(tu_sh(&out, "%s models add --system catboost_v8 --train-from 2021-11-01 --train-to 2024-05-31 %s"
                        " --config %s", bin, v8, conf), 0);
    free(out);
    /* a past date: the champions saw it, so gbdt and the stack are refused, loudly */
    rc = tu_sh(&out, "%s slate --date 2025-11-10 --config %s", bin, conf);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "gbdt refused for 2025-11-10"));
    ck_assert_ptr_nonnull(strstr(out, "stack refused for 2025-11-10"));
    free(out);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system = 'gbdt'"), 0);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system = 'catboost_v8'"), 100);
    ck_assert_int_eq(tu_sh(&out, "%s grade --date 2025-11-10 --config %s", bin, conf), 0);
    free(out);
    /* a model as of the date: it serves the date, the champion stays */
    rc = tu_sh(&out, "%s retrain --until 2025-11-10 --config %s --json", bin, conf);
    ck_assert_msg(rc == 0, "%s", out);
    char asof[64];
    gv = strstr(out, "\"gbdt_version\":\"");
    snprintf(asof, sizeof asof, "%.*s", (int)strcspn(gv + 16, "\""), gv + 16);
    free(out);
    rc = tu_sh(&out, "%s slate --date 2025-11-10 --config %s", bin, conf);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "serving"));
    free(out);
    rc = tu_sh(&out, "%s grade --date 2025-11-10 --config %s --json", bin, conf);
    ck_assert_msg(rc == 0, "%s", out);
    free(out);
    /* a date the team logs have but the player logs do not: pending, and said why */
    rc = tu_sh(&out, "%s slate --date 2026-02-06 --config %s", bin, conf);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    free(out);
    rc = tu_sh(&out, "%s grade --date 2026-02-06 --config %s", bin, conf);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "no box scores"));
    free(out);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM grades WHERE game_date = '2026-02-06'"), 0);
    rc = tu_sh(&out, "%s metrics --config %s --json", bin, conf);
    ck_assert_msg(rc == 0, "%s", out);
    free(out);

    /* no stored row looks ahead: every model row carries its window, before its date */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE trained_to >= game_date"), 0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions_lookahead"), 0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE (trained_to IS NULL) <> (system IN"
                                " ('moving_average', 'zone_matchup', 'similarity', 'rules_ensemble'))"),
                     0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM runs WHERE train_to >= game_date"), 0);
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM predictions WHERE system = 'gbdt' AND model_version = '%s'", full);
    ck_assert_int_gt(tu_sql_long(db, sql), 20); /* 2026-02-06: the champion, trained through 02-05 */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM predictions WHERE game_date = '2025-11-10' AND system = 'gbdt'"
                              " AND (model_version <> '%s' OR trained_to <> '2025-11-09')", asof);
    ck_assert_int_eq(tu_sql_long(db, sql), 0);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE game_date = '2025-11-10' AND system = 'gbdt'"),
                     100);
    /* graded rows are the current rows only, one each */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM grades g LEFT JOIN predictions p USING (game_date, game_id,"
                                " player_id, system, model_version) WHERE p.run_id IS NULL"),
                     0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE game_date = '2025-11-10'"),
                     tu_sql_long(db, "SELECT count(*) FROM grades WHERE game_date = '2025-11-10'"));
    /* calls carry a confidence, PASS and NO_LINE none */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE (confidence IS NULL) = (recommendation IN"
                                " ('OVER', 'UNDER'))"),
                     0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE reason LIKE '%edge -0.0%'"), 0);
}
END_TEST

/* An older database (schema 1): two versions of one prediction and rows whose
 * model had seen the game.  Opening it keeps one current row per prediction,
 * and metrics and grading report the look-ahead rows as excluded. */
/* A database as schema 2 left it: without the market's P(over) column. */
static void to_schema_2(const char *db)
{
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h,
                                  "ALTER TABLE predictions DROP COLUMN p_market;"
                                  "ALTER TABLE predictions_superseded DROP COLUMN p_market;"
                                  "ALTER TABLE predictions_lookahead DROP COLUMN p_market;"
                                  "UPDATE meta SET value = '2' WHERE key = 'schema_version';",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
}

START_TEST(old_database_upgraded)
{
    const char *t = tu_tmpdir();
    char db[600], *out = NULL;
    snprintf(db, sizeof db, "%s/old.db", t);
    unlink(db);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    const char *v1 =
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES('schema_version', '1');"
        "CREATE TABLE runs(run_id INTEGER PRIMARY KEY AUTOINCREMENT, game_date TEXT NOT NULL, started_at TEXT NOT NULL,"
        " finished_at TEXT NOT NULL, swish_version TEXT NOT NULL, feature_set TEXT NOT NULL, config_sha256 TEXT,"
        " config TEXT, systems TEXT NOT NULL, players INTEGER NOT NULL, predictions INTEGER NOT NULL,"
        " seconds REAL NOT NULL, train_from TEXT, train_to TEXT);"
        "CREATE TABLE predictions(game_date TEXT NOT NULL, game_id TEXT NOT NULL, player_id TEXT NOT NULL,"
        " player_name TEXT, team TEXT, opp TEXT, home INTEGER, system TEXT NOT NULL, model_version TEXT NOT NULL,"
        " line REAL, book TEXT, over_price REAL, under_price REAL, prediction REAL, lo REAL, hi REAL, p_over REAL,"
        " edge REAL, recommendation TEXT NOT NULL, confidence REAL NOT NULL, quality REAL NOT NULL, tier TEXT NOT NULL,"
        " systems_predicting INTEGER, systems_agreeing INTEGER, reason TEXT, feature_hash TEXT NOT NULL,"
        " run_id INTEGER NOT NULL, contributions TEXT,"
        " PRIMARY KEY (game_date, game_id, player_id, system, model_version));"
        "CREATE TABLE features(game_date TEXT NOT NULL, game_id TEXT NOT NULL, player_id TEXT NOT NULL,"
        " feature_set TEXT NOT NULL, feature_hash TEXT NOT NULL, quality REAL NOT NULL, tier TEXT NOT NULL,"
        " vals TEXT NOT NULL, sources TEXT NOT NULL, run_id INTEGER NOT NULL,"
        " PRIMARY KEY (game_date, game_id, player_id, feature_set));"
        "CREATE TABLE importance(system TEXT NOT NULL, model_version TEXT NOT NULL, feature TEXT NOT NULL,"
        " gain REAL NOT NULL, PRIMARY KEY (system, model_version, feature));"
        "CREATE TABLE grades(game_date TEXT NOT NULL, game_id TEXT NOT NULL, player_id TEXT NOT NULL,"
        " system TEXT NOT NULL, model_version TEXT NOT NULL, actual REAL, minutes REAL, outcome TEXT NOT NULL,"
        " abs_error REAL, units REAL, units_110 REAL, season_avg REAL, last10_avg REAL, graded_at TEXT NOT NULL,"
        " PRIMARY KEY (game_date, game_id, player_id, system, model_version));"
        /* run 1 scored 2025-11-10 with a model trained through 2026-02-07; run 2 re-scored it as of the date;
         * run 3 scored 2025-11-11 with the later model only */
        "INSERT INTO runs VALUES(1, '2025-11-10', '2026-02-08T10:00:00Z', '2026-02-08T10:00:01Z', 'x', 'fs', NULL,"
        " NULL, 'moving_average=rules-1,gbdt=G1,final=stack-S1', 1, 3, 0, '2023-10-24', '2026-02-07');"
        "INSERT INTO runs VALUES(2, '2025-11-10', '2026-02-09T10:00:00Z', '2026-02-09T10:00:01Z', 'x', 'fs', NULL,"
        " NULL, 'moving_average=rules-1,gbdt=G2,final=stack-S2', 1, 3, 0, '2023-10-24', '2025-11-09');"
        "INSERT INTO runs VALUES(3, '2025-11-11', '2026-02-08T11:00:00Z', '2026-02-08T11:00:01Z', 'x', 'fs', NULL,"
        " NULL, 'moving_average=rules-1,gbdt=G1,final=stack-S1', 1, 3, 0, '2023-10-24', '2026-02-07');";
    ck_assert_int_eq(sqlite3_exec(h, v1, NULL, NULL, NULL), SQLITE_OK);
    /* (date, system, version, run, call, prediction, outcome) */
    static const struct {
        const char *date, *sys, *ver;
        int run;
        const char *call;
        double pred;
        const char *outcome;
    } rows[] = {
        {"2025-11-10", "moving_average", "rules-1", 2, "PASS", 20, "NO_BET"},
        {"2025-11-10", "gbdt", "G1", 1, "OVER", 25, "HIT"},
        {"2025-11-10", "gbdt", "G2", 2, "UNDER", 18, "MISS"},
        {"2025-11-10", "final", "stack-S1", 1, "OVER", 24, "HIT"},
        {"2025-11-10", "final", "stack-S2", 2, "PASS", 20, "NO_BET"},
        {"2025-11-11", "moving_average", "rules-1", 3, "PASS", 20, "NO_BET"},
        {"2025-11-11", "gbdt", "G1", 3, "OVER", 26, "HIT"},
        {"2025-11-11", "final", "stack-S1", 3, "OVER", 25, "HIT"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "INSERT INTO predictions VALUES('%s', 'G', 'P', 'Player', 'AAA', 'BBB', 1, '%s', '%s', 19.5, 'bk',"
                 " -110, -110, %g, NULL, NULL, 0.6, %g, '%s', 70, 90, 'silver', NULL, NULL, 'r', 'h', %d, NULL);"
                 "INSERT INTO grades VALUES('%s', 'G', 'P', '%s', '%s', 22, 30, '%s', 2, 0.9, 0.9, 20, 21, 'now');",
                 rows[i].date, rows[i].sys, rows[i].ver, rows[i].pred, rows[i].pred - 19.5, rows[i].call, rows[i].run,
                 rows[i].date, rows[i].sys, rows[i].ver, rows[i].outcome);
        ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    sqlite3_close(h);
    int rc = tu_sh(&out, "%s metrics --db %s --json", tu_swish_bin(), db);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    /* gbdt: G2's row counts; G1's of 2025-11-11 is excluded; G1's of 2025-11-10 was superseded */
    ck_assert_ptr_nonnull(strstr(out, "{\"system\":\"gbdt\",\"n\":1,\"excluded_lookahead\":1,"));
    ck_assert_ptr_nonnull(strstr(out, "{\"system\":\"final\",\"n\":1,\"excluded_lookahead\":1,"));
    ck_assert_ptr_nonnull(strstr(out, "{\"system\":\"moving_average\",\"n\":2,\"excluded_lookahead\":0,"));
    ck_assert_ptr_nonnull(strstr(out, "gbdt: 1 row excluded from every result"));
    free(out);
    /* the same as a parsed document: moving_average made no calls, so their hit rate is null */
    rc = tu_sh(&out, "%s metrics --db %s --json 2>/dev/null", tu_swish_bin(), db);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    sw_json *doc = tu_json_parse("metrics --json", out);
    sw_jnode root = sw_json_root(doc);
    ck_assert_int_eq(sw_json_len(doc, root), 3);
    int seen = 0;
    for (sw_jnode m = sw_json_first(doc, root); m != SW_JNONE; m = sw_json_next(doc, m)) {
        if (!sw_json_streq(doc, sw_json_get(doc, m, "system"), "moving_average")) continue;
        seen++;
        ck_assert_int_eq(tu_jint(doc, m, "n"), 2);
        sw_jnode calls = sw_json_get(doc, m, "calls");
        ck_assert_int_eq(tu_jint(doc, calls, "n"), 0);
        ck_assert_int_eq(jtype(doc, calls, "rate"), SW_JSON_NULL);
        ck_assert_int_eq(jtype(doc, m, "roi_calls"), SW_JSON_NULL);
        ck_assert_int_eq(jtype(doc, m, "mae"), SW_JSON_NUMBER);
    }
    ck_assert_int_eq(seen, 1);
    sw_json_free(doc);
    free(out);
    ck_assert_int_eq(tu_sql_long(db, "SELECT value FROM meta WHERE key = 'schema_version'"), 3);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions"), 4);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE model_version IN ('G1', 'stack-S1')"), 0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions_superseded"), 2);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions_lookahead"), 2);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM grades"), 4);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE recommendation = 'PASS' AND confidence IS NOT NULL"),
                     0);
    /* the schema refuses a row whose model saw its date */
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(h, "INSERT INTO predictions SELECT * FROM predictions_lookahead", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    /* opened again: already upgraded, nothing changes */
    char *before = dump_predictions(db);
    ck_assert_int_eq(tu_sh(&out, "%s metrics --db %s", tu_swish_bin(), db), 0);
    free(out);
    char *after = dump_predictions(db);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);

    /* a schema-2 database (before the market's P(over) was stored) gains the column in place */
    to_schema_2(db);
    ck_assert_int_eq(tu_sh(&out, "%s metrics --db %s", tu_swish_bin(), db), 0);
    free(out);
    ck_assert_int_eq(tu_sql_long(db, "SELECT value FROM meta WHERE key = 'schema_version'"), 3);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE p_market IS NULL"), 4);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(p_market) + count(*) FROM predictions_superseded"), 2);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(p_market) + count(*) FROM predictions_lookahead"), 2);
}
END_TEST

/* ---- end to end on the simulated league ---- */

START_TEST(sim_slate_rows_and_idempotence)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char *out = NULL, db[600], conf[700];
    tu_db(db, sizeof db, NULL, "idem");
    snprintf(conf, sizeof conf, "%s", g_conf);
    int rc = tu_sh(&out, "%s slate --date next --config %s --db %s", bin, conf, db);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "PLAYER"));
    free(out);
    long players = tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system='final'");
    long total = tu_sql_long(db, "SELECT count(*) FROM predictions");
    ck_assert_int_gt(players, 50);
    ck_assert_int_eq(total, players * 7); /* six systems and the final call */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM (SELECT game_id, player_id FROM predictions WHERE line IS NOT NULL"
                                " GROUP BY 1, 2 HAVING count(DISTINCT system) <> 7) AS d"),
                     0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM features"), players);
    char *before = dump_predictions(db);
    rc = tu_sh(&out, "%s slate --date next --config %s --db %s", bin, conf, db);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "replaced"));
    free(out);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions"), total);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM runs"), 2);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(DISTINCT run_id) FROM predictions"), 1);
    char *after = dump_predictions(db);
    ck_assert_str_eq(before, after); /* the same run gives the same rows */
    free(before);
    free(after);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE confidence < 0 OR confidence > 100"), 0);
    /* only OVER/UNDER calls carry a confidence */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE (confidence IS NULL) = (recommendation IN"
                                " ('OVER', 'UNDER'))"),
                     0);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system = 'final' AND recommendation = 'PASS'"), 0);
}
END_TEST

/* The last played date of a data directory (YYYY-MM-DD). */
static void last_played(const char *dir, char out[11])
{
    char *o = NULL;
    ck_assert_int_eq(tu_sh(&o, "awk -F, 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;next} $h[\"GAME_DATE\"]>m{m=$h[\"GAME_DATE\"]}"
                            " END{print m}' %s/player_game_logs.csv", dir),
                     0);
    snprintf(out, 11, "%.10s", o);
    free(o);
}

/* Slate, grade, another gbdt version promoted, slate again: one row per
 * prediction, graded once, against the new version. */
START_TEST(sim_rerun_after_model_change)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char dir[600], *out = NULL, D[11], prev[11], db[700], data[700];
    copy_setup("rerun", dir, sizeof dir);
    snprintf(data, sizeof data, "%s/data", dir);
    last_played(data, D);
    sw_date_format(day_of(D) - 1, prev);
    tu_db(db, sizeof db, dir, "r");
    char o[2400], mo[700], go[2400];
    snprintf(o, sizeof o, "--config %s --data %s/data --models %s/models --db %s", g_conf, dir, dir, db);
    snprintf(mo, sizeof mo, "--models %s/models", dir);
    snprintf(go, sizeof go, "--config %s --data %s/data --db %s", g_conf, dir, db);
    /* two gbdt versions trained before D (the mean and the 90% models of the champion, re-registered) */
    ck_assert_int_eq(tu_sh(&out, "%s models add --system gbdt --version alt1 --train-to %s $(ls %s/models/gbdt/*/mean.swm"
                        " | head -1) %s", bin, prev, dir, mo), 0);
    free(out);
    int rc = tu_sh(&out, "%s slate --date %s %s", bin, D, o);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out); /* the stack saw D: refused */
    ck_assert_ptr_nonnull(strstr(out, "stack refused"));
    free(out);
    rc = tu_sh(&out, "%s grade --date %s %s", bin, D, go);
    ck_assert_msg(rc == 0, "%s", out);
    free(out);
    long n = tu_sql_long(db, "SELECT count(*) FROM predictions");
    ck_assert_int_gt(n, 300);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM grades"), n);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system = 'gbdt' AND model_version <> 'alt1'"), 0);
    ck_assert_int_eq(tu_sh(&out, "%s models add --system gbdt --version alt2 --train-to %s --promote"
                        " $(ls %s/models/gbdt/*/q90.swm | head -1) %s", bin, prev, dir, mo), 0);
    free(out);
    rc = tu_sh(&out, "%s slate --date %s %s", bin, D, o);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "the new rows were graded"));
    free(out);
    /* one current row per (game, player, system): the new version's; the old ones kept for audit */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions"), n);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM (SELECT 1 FROM predictions GROUP BY game_date, game_id,"
                                " player_id, system HAVING count(*) > 1) AS d"), 0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system = 'gbdt' AND model_version <> 'alt2'"), 0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions_superseded"), n);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(DISTINCT run_id) FROM predictions"), 1);
    /* every current row graded once, against itself */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM grades"), n);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM grades g JOIN predictions p USING (game_date, game_id,"
                                " player_id, system, model_version)"), n);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions p JOIN grades g USING (game_date, game_id,"
                                " player_id, system) WHERE (g.outcome IN ('HIT', 'MISS', 'PUSH')) <> (p.recommendation IN"
                                " ('OVER', 'UNDER') AND g.outcome <> 'VOID')"
                                " OR (g.outcome = 'HIT' AND NOT ((p.recommendation = 'OVER' AND g.actual > p.line) OR"
                                " (p.recommendation = 'UNDER' AND g.actual < p.line)))"
                                " OR (g.outcome = 'MISS' AND NOT ((p.recommendation = 'OVER' AND g.actual < p.line) OR"
                                " (p.recommendation = 'UNDER' AND g.actual > p.line)))"),
                     0);
    /* metrics count each player-game once */
    rc = tu_sh(&out, "%s metrics --json --db %s", bin, db);
    ck_assert_msg(rc == 0, "%s", out);
    long fin = tu_sql_long(db, "SELECT count(*) FROM predictions p JOIN grades g USING (game_date, game_id, player_id,"
                          " system) WHERE p.system = 'final' AND g.outcome <> 'VOID' AND p.prediction IS NOT NULL");
    char want[96];
    snprintf(want, sizeof want, "{\"system\":\"final\",\"n\":%ld,", fin);
    ck_assert_msg(strstr(out, want), "%s not in %s", want, out);
    free(out);
}
END_TEST

/* A grade as stored (numbers NaN for NULL) with its row's stored feature vector. */
typedef struct {
    char game_id[32], player_id[32], system[32], outcome[8];
    double v[7]; /* actual, minutes, abs_error, units, units_110, season_avg, last10_avg */
    char *vals;
} stored_grade;

static long read_grades(const char *db, const char *date, stored_grade **out)
{
    if (tu_db_pg()) { /* PostgreSQL's text is the shortest exact: parsed back, the same doubles */
        char sql[600];
        snprintf(sql, sizeof sql,
                 "SELECT g.game_id, g.player_id, g.system, g.outcome, g.actual, g.minutes, g.abs_error, g.units,"
                 " g.units_110, g.season_avg, g.last10_avg, f.vals FROM grades g LEFT JOIN features f USING (game_date,"
                 " game_id, player_id) WHERE g.game_date = '%s' ORDER BY g.game_id, g.player_id, g.system", date);
        char *dump = tu_sql_dump(db, sql), *line = dump;
        long n = 0, cap = 64;
        stored_grade *g = calloc((size_t)cap, sizeof *g);
        while (*line) {
            char *end = strchr(line, '\n');
            *end = 0;
            if (n == cap) g = realloc(g, (size_t)(cap *= 2) * sizeof *g);
            stored_grade *r = &g[n++];
            char *f[12];
            for (int k = 0; k < 12; k++) {
                f[k] = line;
                line += k < 11 ? strcspn(line, "|") : strlen(line);
                if (k < 11) *line++ = 0;
            }
            snprintf(r->game_id, sizeof r->game_id, "%s", f[0]);
            snprintf(r->player_id, sizeof r->player_id, "%s", f[1]);
            snprintf(r->system, sizeof r->system, "%s", f[2]);
            snprintf(r->outcome, sizeof r->outcome, "%s", f[3]);
            for (int k = 0; k < 7; k++)
                if (!strcmp(f[4 + k], "NULL") || sw_parse_f64(f[4 + k], strlen(f[4 + k]), &r->v[k])) r->v[k] = NAN;
            r->vals = strcmp(f[11], "NULL") ? strdup(f[11]) : NULL;
            line = end + 1;
        }
        free(dump);
        *out = g;
        return n;
    }
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    ck_assert_int_eq(sqlite3_prepare_v2(h,
                                        "SELECT g.game_id, g.player_id, g.system, g.outcome, g.actual, g.minutes,"
                                        " g.abs_error, g.units, g.units_110, g.season_avg, g.last10_avg, f.vals"
                                        " FROM grades g LEFT JOIN features f USING (game_date, game_id, player_id)"
                                        " WHERE g.game_date = ?1 ORDER BY g.game_id, g.player_id, g.system",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(q, 1, date, -1, SQLITE_STATIC);
    long n = 0, cap = 64;
    stored_grade *g = calloc((size_t)cap, sizeof *g);
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (n == cap) g = realloc(g, (size_t)(cap *= 2) * sizeof *g);
        stored_grade *r = &g[n++];
        snprintf(r->game_id, sizeof r->game_id, "%s", sqlite3_column_text(q, 0));
        snprintf(r->player_id, sizeof r->player_id, "%s", sqlite3_column_text(q, 1));
        snprintf(r->system, sizeof r->system, "%s", sqlite3_column_text(q, 2));
        snprintf(r->outcome, sizeof r->outcome, "%s", sqlite3_column_text(q, 3));
        for (int k = 0; k < 7; k++)
            r->v[k] = sqlite3_column_type(q, 4 + k) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 4 + k);
        const char *v = (const char *)sqlite3_column_text(q, 11);
        r->vals = v ? strdup(v) : NULL;
    }
    sqlite3_finalize(q);
    sqlite3_close(h);
    *out = g;
    return n;
}

static void free_grades(stored_grade *g, long n)
{
    for (long i = 0; i < n; i++) free(g[i].vals);
    free(g);
}

/* A member of a stored feature vector read as the C library reads it in the C
 * locale (an oracle independent of the store's parser); NaN when null or absent. */
static double libc_member(const char *js, const char *name, locale_t c)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\":", name);
    const char *p = js ? strstr(js, pat) : NULL;
    if (!p || !strncmp(p + strlen(pat), "null", 4)) return NAN;
    return strtod_l(p + strlen(pat), NULL, c);
}

static int same_num(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* The two feature values every grade records (the metrics' season and last-10
 * baselines) are those of the row's feature vector: of the feature frame of
 * the date, built here, and of the stored JSON read by the C library.
 * Grading in a process whose LC_NUMERIC writes decimal commas (an embedding
 * application's locale) gives the same grades, number for number. */
START_TEST(sim_grade_feature_values)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char D[11], db[600], *out = NULL;
    last_played(g_data, D);
    tu_db(db, sizeof db, NULL, "gradefv");
    int rc = tu_sh(&out, "%s slate --date %s --config %s --db %s", bin, D, g_conf, db);
    ck_assert_msg(rc == 0 || rc == 1, "exit %d: %s", rc, out); /* 1: gbdt and the stack saw D, refused */
    free(out);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM features"), 50);
    sw_league *lg;
    sw_error err;
    ck_assert_msg(sw_league_load(g_data, NULL, &lg, NULL, &err) == SW_OK, "%s", err.msg);
    sw_store *st;
    ck_assert_msg(sw_store_open(db, 1000, 0, &st, &err) == SW_OK, "%s", err.msg);
    int day = day_of(D);
    ck_assert_ptr_nonnull(setlocale(LC_NUMERIC, "C"));
    sw_grade_result r1, r2;
    ck_assert_msg(sw_grade_date(st, lg, day, &r1, &err) == SW_OK, "%s", err.msg);
    ck_assert_int_gt(r1.graded, 50);
    stored_grade *a;
    long na = read_grades(db, D, &a);
    ck_assert_int_eq(na, r1.graded);

    /* the oracles: the frame's float32 values and the stored text */
    sw_feature_request req;
    sw_feature_request_init(&req);
    req.slate_date = day;
    sw_frame *f;
    ck_assert_int_eq(sw_features_build(lg, &req, &f, &err), SW_OK);
    int cs = sw_feature_find("points_avg_season"), cl = sw_feature_find("points_avg_last_10");
    ck_assert(cs >= 0 && cl >= 0);
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    ck_assert_ptr_nonnull(c);
    long with_season = 0, with_last10 = 0;
    for (long i = 0; i < na; i++) {
        long row = sw_frame_find(f, sw_league_find_player(lg, a[i].player_id), sw_league_find_game(lg, a[i].game_id));
        ck_assert_msg(row >= 0 && a[i].vals, "%s %s: no feature row", a[i].game_id, a[i].player_id);
        const float *fv_ = sw_frame_values(f, row);
        double want[2] = {libc_member(a[i].vals, "points_avg_season", c), libc_member(a[i].vals, "points_avg_last_10", c)};
        float frame[2] = {fv_[cs], fv_[cl]};
        for (int k = 0; k < 2; k++) {
            double got = a[i].v[5 + k];
            ck_assert_msg(same_num(got, want[k]), "%s %s %s: recorded %.17g, stored text %.17g", a[i].game_id,
                          a[i].player_id, a[i].system, got, want[k]);
            ck_assert_msg(isfinite(frame[k]) ? (float)got == frame[k] : isnan(got), "%s %s: recorded %.17g, frame %.9g",
                          a[i].game_id, a[i].player_id, got, (double)frame[k]);
        }
        with_season += isfinite(a[i].v[5]);
        with_last10 += isfinite(a[i].v[6]);
    }
    ck_assert_int_gt(with_season, na / 2);
    ck_assert_int_gt(with_last10, na / 2);
    /* decimals among them: a parser that stops at the '.' would differ */
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM grades WHERE season_avg <> round(season_avg)"), 0);

    /* a locale with decimal commas, where the C library's strtod stops at the '.' */
    const char *loc = tu_comma_locale();
    ck_assert_msg(loc != NULL, "no decimal-comma locale could be installed (Debian package locales)");
    {
        ck_assert(strtod("21.5", NULL) != 21.5); /* the locale is in force */
        ck_assert_msg(sw_grade_date(st, lg, day, &r2, &err) == SW_OK, "%s", err.msg);
        setlocale(LC_NUMERIC, "C");
        ck_assert_int_eq(r2.graded, r1.graded);
        ck_assert_int_eq(r2.hit, r1.hit);
        ck_assert_int_eq(r2.void_, r1.void_);
        stored_grade *b;
        long nb = read_grades(db, D, &b);
        ck_assert_int_eq(nb, na);
        for (long i = 0; i < na; i++) {
            ck_assert_str_eq(a[i].game_id, b[i].game_id);
            ck_assert_str_eq(a[i].player_id, b[i].player_id);
            ck_assert_str_eq(a[i].system, b[i].system);
            ck_assert_str_eq(a[i].outcome, b[i].outcome);
            for (int k = 0; k < 7; k++)
                ck_assert_msg(same_num(a[i].v[k], b[i].v[k]), "%s %s %s, number %d under %s: %.17g, not %.17g",
                              a[i].game_id, a[i].player_id, a[i].system, k, loc, b[i].v[k], a[i].v[k]);
        }
        free_grades(b, nb);
    }
    setlocale(LC_NUMERIC, "C");
    freelocale(c);
    free_grades(a, na);
    sw_frame_free(f);
    sw_store_close(st);
    sw_league_free(lg);
}
END_TEST

START_TEST(sim_kill_during_write)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char *out = NULL, db[600];
    tu_db(db, sizeof db, NULL, "kill");
    ck_assert_int_eq(tu_sh(&out, "%s slate --date next --config %s --db %s", bin, g_conf, db), 0);
    free(out);
    char *before = dump_predictions(db);
    long total = tu_sql_long(db, "SELECT count(*) FROM predictions");
    /* killed (SIGKILL) after 100 rows of the second run's transaction */
    int rc = tu_sh(&out, "SWISH_FAULT_KILL_AFTER=100 %s slate --date next --config %s --db %s", bin, g_conf, db);
    ck_assert_int_ne(rc, 0);
    free(out);
    char *mid = dump_predictions(db);
    ck_assert_str_eq(before, mid); /* the first run's rows, untouched */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(tu_sh(&out, "%s slate --date next --config %s --db %s", bin, g_conf, db), 0);
    free(out);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions"), total);
    char *after = dump_predictions(db);
    ck_assert_str_eq(before, after);
    free(before);
    free(mid);
    free(after);
    /* a kill on a fresh database leaves no rows at all */
    char db2[600];
    tu_db(db2, sizeof db2, NULL, "kill2");
    rc = tu_sh(&out, "SWISH_FAULT_KILL_AFTER=1 %s slate --date next --config %s --db %s", bin, g_conf, db2);
    ck_assert_int_ne(rc, 0);
    free(out);
    ck_assert_int_eq(tu_sql_long(db2, "SELECT count(*) FROM predictions"), 0);
}
END_TEST

START_TEST(sim_bad_models)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char dir[600], *out = NULL;
    copy_setup("badmodels", dir, sizeof dir);
    /* the gbdt champion's mean model deleted, the stack's file corrupted */
    ck_assert_int_eq(tu_sh(NULL, "rm %s/models/gbdt/*/mean.swm", dir), 0);
    char db[700];
    tu_db(db, sizeof db, dir, "b");
    int rc = tu_sh(&out, "%s slate --date next --config %s --models %s/models --db %s", bin, g_conf, dir, db);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "gbdt refused"));
    ck_assert_ptr_nonnull(strstr(out, "mean.swm"));
    free(out);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system='gbdt'"), 0);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system='moving_average'"), 50);
    ck_assert_int_eq(tu_sh(NULL, "printf 'x' | dd of=$(ls %s/models/stack/*/stack.json) bs=1 seek=20 conv=notrunc 2>/dev/null", dir), 0);
    rc = tu_sh(&out, "%s slate --date next --config %s --models %s/models --db %s", bin, g_conf, dir, db);
    ck_assert_int_eq(rc, 1);
    ck_assert_ptr_nonnull(strstr(out, "checksum mismatch"));
    free(out);
    /* one current final row per player; the first run's are kept for audit */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(DISTINCT model_version) FROM predictions WHERE system='final'"), 1);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM (SELECT 1 FROM predictions GROUP BY game_id, player_id, system"
                                " HAVING count(*) > 1) AS d"), 0);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions_superseded WHERE system='final'"), 50);
    /* no catboost_v8 registered: disabled with a warning, not a failure */
    ck_assert_int_eq(tu_sh(NULL, "rm -rf %s/models/catboost_v8", dir), 0);
    rc = tu_sh(&out, "%s slate --date next --config %s --models %s/models --no-store", bin, g_conf, dir);
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
    int rc = tu_sh(&out, "%s slate --date next --config %s --db %s", bin, g_conf, junk);
    ck_assert_msg(rc == 10, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, junk));
    free(out);
    /* locked: another connection holds the write lock */
    char db[600];
    snprintf(db, sizeof db, "%s/locked.db", t);
    ck_assert_int_eq(tu_sh(&out, "%s slate --date next --config %s --db %s", bin, g_conf, db), 0);
    free(out);
    char *before = dump_predictions(db);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "BEGIN IMMEDIATE; DELETE FROM runs WHERE 0;", NULL, NULL, NULL), SQLITE_OK);
    rc = tu_sh(&out, "SWISH_PATHS_DB_BUSY_TIMEOUT_MS=200 %s slate --date next --config %s --db %s", bin, g_conf, db);
    ck_assert_msg(rc == 11, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "locked"));
    free(out);
    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(h);
    char *after = dump_predictions(db);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);

    /* a database of schema 2 (before the market's P(over) was stored) gains the column in place; a
     * re-run then moves its rows to the audit table, whose columns are now in another order */
    long n = tu_sql_long(db, "SELECT count(*) FROM predictions");
    ck_assert_int_gt(n, 0);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(p_market) FROM predictions"), 0);
    to_schema_2(db);
    ck_assert_int_eq(tu_sh(&out, "%s slate --date next --config %s --db %s", bin, g_conf, db), 0);
    free(out);
    ck_assert_int_eq(tu_sql_long(db, "SELECT value FROM meta WHERE key = 'schema_version'"), 3);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions"), n);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(p_market) FROM predictions"), 0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions_superseded"), n);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions_superseded WHERE p_market IS NOT NULL OR"
                                     " replaced_at IS NULL OR replaced_by_run IS NULL OR trained_to > game_date"),
                     0);
}
END_TEST

/* The slate table: valid UTF-8, the TEAM column at display column 25 on every
 * row (names cut and padded by display width), calls first by confidence. */
static void check_table(const char *out)
{
    const char *p = strstr(out, "\nPLAYER");
    ck_assert_ptr_nonnull(p);
    p = strchr(p + 1, '\n') + 1;
    long rows = 0, last_conf = 101;
    int seen_pass = 0;
    while (*p && *p != '\n') {
        const char *e = strchr(p, '\n');
        if (!e) e = p + strlen(p);
        if (strncmp(p, "swish:", 6) != 0) {
            const unsigned char *u = (const unsigned char *)p;
            int col = 0;
            while ((const char *)u < e && col < 24) {
                int n = *u < 0x80 ? 1 : (*u >> 5) == 6 ? 2 : (*u >> 4) == 14 ? 3 : (*u >> 3) == 30 ? 4 : 0;
                ck_assert_msg(n > 0, "invalid UTF-8 in: %.*s", (int)(e - p), p);
                for (int i = 1; i < n; i++) ck_assert_msg((u[i] & 0xc0) == 0x80, "cut character in: %.*s", (int)(e - p), p);
                unsigned cp = n == 1 ? u[0] : u[0] & (0x7f >> n);
                for (int i = 1; i < n; i++) cp = cp << 6 | (u[i] & 0x3f);
                col += cp >= 0x300 && cp <= 0x36f ? 0 : 1;
                u += n;
            }
            ck_assert_msg(col == 24 && u[0] == ' ' && u[1] >= 'A' && u[1] <= 'Z', "misaligned: %.*s", (int)(e - p), p);
            char call[16] = "";
            long conf = -1;
            for (const char *k = (const char *)u; k < e; k++) {
                static const char *const calls[] = {" OVER ", " UNDER ", " PASS ", " NO_LINE "};
                for (int c = 0; c < 4 && !call[0]; c++)
                    if (!strncmp(k, calls[c], strlen(calls[c]))) {
                        snprintf(call, sizeof call, "%s", calls[c] + 1);
                        const char *v = k + strlen(calls[c]);
                        while (*v == ' ') v++;
                        conf = *v == '-' ? -1 : atol(v);
                    }
                if (call[0]) break;
            }
            ck_assert_msg(call[0], "no call in: %.*s", (int)(e - p), p);
            int is_call = !strncmp(call, "OVER", 4) || !strncmp(call, "UNDER", 5);
            if (is_call) {
                ck_assert_msg(!seen_pass && conf >= 0 && conf <= last_conf, "calls not first by confidence: %.*s",
                              (int)(e - p), p);
                last_conf = conf;
            } else {
                seen_pass = 1;
                ck_assert_msg(conf == -1, "a PASS with a confidence: %.*s", (int)(e - p), p);
            }
            rows++;
        }
        p = *e ? e + 1 : e;
    }
    ck_assert_int_gt(rows, 10);
    ck_assert_ptr_nonnull(strstr(p, "columns: "));
}

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
    ck_assert_int_eq(tu_sh(NULL, "echo '%s,%s,0029999999,XXX,YYY,%sT23:00:00Z' >> %s/data/schedule.csv", season, date,
                        date, dir),
                     0);
    ck_assert_int_eq(tu_sh(NULL,
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
    ck_assert_int_eq(tu_sh(NULL, "echo '%s,%s,%s,fanduel,0,-110,-110,%sT16:00:00Z,%s,%s,%s,%s,%sT23:00:00Z' >> %s/data/prop_lines.csv",
                        f[0], f[1], f[2], date, gid, home, away, home, date, dir),
                     0);
    ck_assert_int_eq(tu_sh(NULL, "echo '%s,%s,%s,betmgm,95.5,-110,-110,%sT16:00:00Z,%s,%s,%s,%s,%sT23:00:00Z' >> %s/data/prop_lines.csv",
                        f[0], f[1], f[2], date, gid, home, away, home, date, dir),
                     0);
    /* that player's name: 30 two-byte characters, cut by display width in the table */
    ck_assert_int_eq(tu_sh(NULL, "cd %s/data && for f in player_game_logs.csv prop_lines.csv; do awk -F, -v OFS=, -v id=%s"
                        " -v nm=$(printf '\\303\\251%%.0s' $(seq 30)) 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;print;next}"
                        " $h[\"PLAYER_ID\"]==id && h[\"PLAYER_NAME\"]{$h[\"PLAYER_NAME\"]=nm} {print}' $f > $f.t && mv $f.t $f; done",
                        dir, f[2]),
                     0);
    char db[700];
    tu_db(db, sizeof db, dir, "d");
    int rc = tu_sh(&out, "%s slate --date %s --config %s --data %s/data --db %s", bin, date, g_conf, dir, db);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "XXX"));   /* the unknown teams, named */
    ck_assert_ptr_nonnull(strstr(out, "95.5"));  /* the impossible line, named */
    free(out);
    /* the table alone (stderr interleaves with stdout's blocks) */
    rc = tu_sh(&out, "%s slate --date %s --config %s --data %s/data --no-store 2>/dev/null", bin, date, g_conf, dir);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "\xc3\xa9\xc3\xa9\xc3\xa9 "));
    check_table(out);
    free(out);
    /* the unseen player is on the slate, with a PASS that says why; everyone else scored */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE player_id='9999999' AND system='final'"
                                " AND recommendation='PASS'"),
                     1);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE player_id='9999999' AND system='moving_average'"
                                " AND prediction IS NULL AND reason LIKE '%no played games%'"),
                     1);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system='final' AND prediction IS NOT NULL"), 20);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE line <= 0 OR line > 80"), 0);
    /* a date without games, a malformed date */
    rc = tu_sh(&out, "%s slate --date 2031-01-01 --config %s --no-store", bin, g_conf);
    ck_assert_int_eq(rc, 8);
    ck_assert_ptr_nonnull(strstr(out, "no games on 2031-01-01"));
    free(out);
    rc = tu_sh(&out, "%s slate --date 2025-02-30 --config %s --no-store", bin, g_conf);
    ck_assert_int_eq(rc, 2);
    free(out);
    /* the same status for a date without games everywhere */
    rc = tu_sh(&out, "%s grade --date 2031-01-01 --config %s --db %s", bin, g_conf, db);
    ck_assert_int_eq(rc, 8);
    ck_assert_ptr_nonnull(strstr(out, "no games on 2031-01-01"));
    free(out);
    /* every setting honoured: a model store or a database that does not exist is an error, and nothing is made */
    char typo[800];
    snprintf(typo, sizeof typo, "%s/typo.db", dir);
    rc = tu_sh(&out, "%s slate --date %s --config %s --data %s/data --models %s/no/such/store --db %s", bin, date, g_conf,
            dir, dir, typo);
    ck_assert_msg(rc == sw_status_exit_code(SW_NOT_FOUND), "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "no/such/store"));
    ck_assert_int_eq(sw_file_exists(typo), 0);
    free(out);
    rc = tu_sh(&out, "%s metrics --db %s", bin, typo);
    ck_assert_msg(rc == sw_status_exit_code(SW_NOT_FOUND), "exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "does not exist"));
    free(out);
    rc = tu_sh(&out, "%s report --db %s --out %s/r.html", bin, typo, dir);
    ck_assert_msg(rc == sw_status_exit_code(SW_NOT_FOUND), "exit %d: %s", rc, out);
    free(out);
    rc = tu_sh(&out, "%s grade --date %s --config %s --data %s/data --db %s", bin, date, g_conf, dir, typo);
    ck_assert_msg(rc == sw_status_exit_code(SW_NOT_FOUND), "exit %d: %s", rc, out);
    free(out);
    ck_assert_int_eq(sw_file_exists(typo), 0);
}
END_TEST

/* slate --json through the writer: names escaped, missing values null, every key in place. */
START_TEST(sim_slate_json_escapes)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char dir[600], path[700], *out = NULL;
    copy_setup("json", dir, sizeof dir);
    /* the next date's first game, and a player with a line in it */
    snprintf(path, sizeof path, "%s/data/schedule.csv", dir);
    char *sched = tu_slurp(path, NULL);
    char season[16], date[16], gid[16];
    ck_assert_int_eq(sscanf(strchr(sched, '\n') + 1, "%15[^,],%15[^,],%15[^,]", season, date, gid), 3);
    free(sched);
    snprintf(path, sizeof path, "%s/data/prop_lines.csv", dir);
    char *props = tu_slurp(path, NULL), key[64], name[128], id[32];
    snprintf(key, sizeof key, ",%s,", gid);
    char *ls = strstr(props, key);
    ck_assert_ptr_nonnull(ls);
    while (ls > props && ls[-1] != '\n') ls--;
    ck_assert_int_eq(sscanf(ls, "%*[^,],%127[^,],%31[^,]", name, id), 2);
    free(props);
    /* renamed in every file: a double quote and a backslash (CSV-quoted) */
    const char *nm = "Q \"Quote\" \\ Back", *csv = "\"Q \"\"Quote\"\" \\ Back\"";
    char from[256], to[256];
    snprintf(from, sizeof from, ",%s,%s,", name, id);
    snprintf(to, sizeof to, ",%s,%s,", csv, id);
    ck_assert_int_gt(file_replace(path, from, to), 0);
    snprintf(path, sizeof path, "%s/data/player_game_logs.csv", dir);
    snprintf(from, sizeof from, ",%s,%s,", id, name);
    snprintf(to, sizeof to, ",%s,%s,", id, csv);
    ck_assert_int_gt(file_replace(path, from, to), 0);
    int rc = tu_sh(&out, "%s slate --date %s --config %s --data %s/data --models %s/models --no-store --json 2>%s/slate.log",
                bin, date, g_conf, dir, dir, dir);
    ck_assert_msg(rc == 0, "exit %d: %.300s (see %s/slate.log)", rc, out, dir);
    sw_json *doc = tu_json_parse("slate --json", out);
    sw_jnode root = sw_json_root(doc);
    ck_assert(sw_json_streq(doc, sw_json_get(doc, root, "date"), date));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, sw_json_get(doc, root, "systems"), "catboost_v8"), "v8"));
    ck_assert_int_eq(jtype(doc, root, "final_version"), SW_JSON_STRING);
    ck_assert_int_eq(jtype(doc, root, "warnings"), SW_JSON_ARRAY);
    ck_assert_int_eq(jtype(doc, sw_json_get(doc, root, "seconds"), "total"), SW_JSON_NUMBER);
    sw_jnode rows = sw_json_get(doc, root, "rows");
    ck_assert_int_eq(sw_json_len(doc, rows), tu_jint(doc, root, "players"));
    ck_assert_int_gt(sw_json_len(doc, rows), 50);
    int renamed = 0, lined = 0, unlined = 0;
    for (sw_jnode r = sw_json_first(doc, rows); r != SW_JNONE; r = sw_json_next(doc, r)) {
        int no_line = sw_json_streq(doc, sw_json_get(doc, r, "call"), "NO_LINE");
        ck_assert_int_eq(jtype(doc, r, "line"), no_line ? SW_JSON_NULL : SW_JSON_NUMBER);
        ck_assert_int_eq(jtype(doc, r, "book"), no_line ? SW_JSON_NULL : SW_JSON_STRING);
        ck_assert_int_eq(jtype(doc, r, "p_over"), no_line ? SW_JSON_NULL : SW_JSON_NUMBER);
        lined += !no_line;
        unlined += no_line;
        ck_assert_int_eq(jtype(doc, r, "reason"), SW_JSON_STRING);
        sw_jnode sys = sw_json_get(doc, r, "systems");
        ck_assert_int_ge(sw_json_len(doc, sys), 6);
        for (sw_jnode k = sw_json_first(doc, sys); k != SW_JNONE; k = sw_json_next(doc, k)) {
            sw_jnode call = sw_json_get(doc, k, "call");
            int called = sw_json_streq(doc, call, "OVER") || sw_json_streq(doc, call, "UNDER");
            if (!called) ck_assert_int_eq(jtype(doc, k, "confidence"), SW_JSON_NULL);
            ck_assert_int_eq(jtype(doc, k, "note"), SW_JSON_STRING);
        }
        if (!sw_json_streq(doc, sw_json_get(doc, r, "player_id"), id)) continue;
        renamed++;
        char *p = sw_json_strdup(doc, sw_json_get(doc, r, "player"));
        ck_assert_str_eq(p, nm);
        sw_free(p);
        ck_assert_int_eq(jtype(doc, r, "line"), SW_JSON_NUMBER);
    }
    ck_assert_int_eq(renamed, 1);
    ck_assert_int_gt(lined, 0);
    (void)unlined;
    sw_json_free(doc);
    free(out);
}
END_TEST

START_TEST(sim_models_cli_and_retrain)
{
    need_sim();
    const char *bin = tu_swish_bin();
    char dir[600], *out = NULL;
    copy_setup("cli", dir, sizeof dir);
    int rc = tu_sh(&out, "%s models list --json --models %s/models", bin, dir);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "\"system\":\"gbdt\""));
    ck_assert_ptr_nonnull(strstr(out, "\"system\":\"stack\""));
    ck_assert_ptr_nonnull(strstr(out, "\"champion\":true"));
    ck_assert_ptr_nonnull(strstr(out, "\"valid_mae\""));
    /* through the writer: a document, every version with its manifest */
    sw_json *doc = tu_json_parse("models list --json", out);
    sw_jnode root = sw_json_root(doc);
    ck_assert_int_eq(sw_json_type_of(doc, root), SW_JSON_ARRAY);
    int seen_v8 = 0, seen_gbdt = 0;
    for (sw_jnode m = sw_json_first(doc, root); m != SW_JNONE; m = sw_json_next(doc, m)) {
        ck_assert_int_eq(jtype(doc, m, "version"), SW_JSON_STRING);
        ck_assert_int_eq(jtype(doc, m, "champion"), SW_JSON_TRUE); /* one version of each system so far */
        ck_assert_int_eq(jtype(doc, m, "metrics"), SW_JSON_OBJECT);
        sw_jnode files = sw_json_get(doc, m, "files");
        ck_assert_int_ge(sw_json_len(doc, files), 1);
        for (sw_jnode f = sw_json_first(doc, files); f != SW_JNONE; f = sw_json_next(doc, f)) {
            ck_assert_int_eq(sw_json_len(doc, sw_json_get(doc, f, "sha256")), 64);
            ck_assert_int_gt(tu_jint(doc, f, "bytes"), 0);
        }
        if (sw_json_streq(doc, sw_json_get(doc, m, "system"), "catboost_v8")) {
            seen_v8++;
            ck_assert(sw_json_streq(doc, sw_json_get(doc, m, "version"), "v8"));
            ck_assert(sw_json_streq(doc, sw_json_get(doc, m, "from"), "2021-11-01"));
            ck_assert(sw_json_streq(doc, sw_json_get(doc, m, "to"), "2024-05-31"));
        } else if (sw_json_streq(doc, sw_json_get(doc, m, "system"), "gbdt")) {
            seen_gbdt++;
            sw_jnode mt = sw_json_get(doc, m, "metrics");
            ck_assert_int_eq(jtype(doc, mt, "valid_mae"), SW_JSON_NUMBER);
            double best = -1; /* a manifest metric: a float */
            ck_assert_int_eq(sw_json_f64(doc, sw_json_get(doc, mt, "best_iteration"), 0, &best, NULL), SW_OK);
            ck_assert(best >= 0 && best == floor(best));
            ck_assert_int_gt(tu_jint(doc, m, "rows"), 1000);
        }
    }
    ck_assert_int_eq(seen_v8, 1);
    ck_assert_int_eq(seen_gbdt, 1);
    sw_json_free(doc);
    free(out);
    /* a second retrain on the same data, promoted: the same model bytes (determinism) */
    char champ[800];
    snprintf(champ, sizeof champ, "%s/models/gbdt/champion.json", dir);
    char *c1 = tu_slurp(champ, NULL);
    sleep(1); /* a new version name */
    rc = tu_sh(&out, "%s retrain --config %s --models %s/models --promote --json 2>%s/retrain.log", bin, g_conf, dir, dir);
    ck_assert_msg(rc == 0, "%s (see %s/retrain.log)", out, dir);
    doc = tu_json_parse("retrain --json", out);
    root = sw_json_root(doc);
    ck_assert_int_gt(sw_json_len(doc, sw_json_get(doc, root, "gbdt_version")), 0);
    ck_assert_int_eq(sw_json_len(doc, sw_json_get(doc, root, "to")), 10);
    ck_assert_int_gt(tu_jint(doc, root, "trees"), 0);
    ck_assert_int_gt(tu_jint(doc, root, "rows_valid"), 0);
    ck_assert_int_ge(tu_jint(doc, root, "best_iteration"), 0); /* early stopping ran (null when it did not) */
    ck_assert_int_lt(tu_jint(doc, root, "best_iteration"), tu_jint(doc, root, "trees"));
    ck_assert_int_eq(jtype(doc, root, "valid_mae"), SW_JSON_NUMBER);
    sw_jnode ss = sw_json_get(doc, root, "stack_systems");
    ck_assert_int_eq(sw_json_type_of(doc, ss), SW_JSON_OBJECT);
    ck_assert_int_ge(sw_json_len(doc, ss), 2);
    for (sw_jnode c = sw_json_first(doc, ss); c != SW_JNONE; c = sw_json_next(doc, c))
        ck_assert(sw_json_type_of(doc, c) == SW_JSON_NUMBER || sw_json_type_of(doc, c) == SW_JSON_NULL);
    sw_json_free(doc);
    free(out);
    ck_assert_int_eq(tu_sh(&out, "ls -d %s/models/gbdt/*/ | wc -l", dir), 0);
    ck_assert_int_eq(atoi(out), 2);
    free(out);
    ck_assert_int_eq(tu_sh(&out, "sha256sum %s/models/gbdt/*/mean.swm | cut -c1-64 | sort -u | wc -l", dir), 0);
    ck_assert_int_eq(atoi(out), 1);
    free(out);
    char *c2 = tu_slurp(champ, NULL);
    ck_assert_str_ne(c1, c2);
    rc = tu_sh(&out, "%s models rollback gbdt --models %s/models", bin, dir);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "rolled back"));
    free(out);
    /* the previous champion, an empty champion history again; the event log keeps all three changes */
    sw_reg_state s3;
    sw_error rerr;
    char store[700];
    snprintf(store, sizeof store, "%s/models", dir);
    char *c3 = tu_slurp(champ, NULL);
    ck_assert_int_eq(sw_registry_state(store, "gbdt", &s3, &rerr), SW_OK);
    ck_assert_int_eq(s3.n_history, 0);
    ck_assert_int_eq(s3.n_events, 3); /* registered, promoted, rolled back */
    ck_assert_str_eq(s3.events[2].action, "rollback");
    char want[120];
    snprintf(want, sizeof want, "\"champion\": \"%s\"", s3.champion);
    ck_assert_ptr_nonnull(strstr(c1, want));
    ck_assert_ptr_null(strstr(c3, "\"rollout\""));
    sw_registry_state_free(&s3);
    free(c1);
    free(c2);
    free(c3);
    rc = tu_sh(&out, "%s models rollback catboost_v8 --models %s/models", bin, dir);
    ck_assert_int_eq(rc, sw_status_exit_code(SW_NOT_FOUND));
    ck_assert_ptr_nonnull(strstr(out, "no previous champion"));
    free(out);
    rc = tu_sh(&out, "%s models promote gbdt nonexistent --models %s/models", bin, dir);
    ck_assert_int_eq(rc, sw_status_exit_code(SW_NOT_FOUND));
    free(out);
    rc = tu_sh(&out, "%s models add --system gbdt %s/models/../data/schedule.csv --models %s/models", bin, dir, dir);
    ck_assert_int_ne(rc, 0); /* not a model */
    free(out);
    /* a model of several outputs (here three classes) on v2 features: refused, nothing stored */
    char csv[640], mc[640];
    snprintf(csv, sizeof csv, "%s/mc.csv", dir);
    snprintf(mc, sizeof mc, "%s/mc.json", dir);
    FILE *fp = fopen(csv, "w");
    fprintf(fp, "points_avg_last_5,points_avg_last_10,y\n");
    for (int i = 0; i < 90; i++) fprintf(fp, "%d,%d,%d\n", i % 30, (i * 7) % 30, (i % 30) / 10);
    fclose(fp);
    rc = tu_sh(&out, "%s train --train %s --target y --out %s --rounds 3 --param objective=multi:softprob "
                     "--param num_class=3 2>&1", bin, csv, mc);
    ck_assert_msg(rc == 0, "%s", out);
    free(out);
    rc = tu_sh(&out, "%s models add --system gbdt --version multi %s --models %s/models 2>&1", bin, mc, dir);
    ck_assert_int_eq(rc, sw_status_exit_code(SW_MISMATCH));
    ck_assert_msg(strstr(out, "gives 3 values a row (3 classes)"), "%s", out);
    free(out);
    rc = tu_sh(&out, "%s models list --models %s/models 2>&1", bin, dir);
    ck_assert_ptr_null(strstr(out, "multi"));
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
    tcase_add_test(tu, old_database_upgraded);
    suite_add_tcase(s, tu);
    TCase *tr = tcase_create("real");
    tcase_set_timeout(tr, 600);
    tcase_add_test(tr, rules_by_hand_real);
    tcase_add_test(tr, similarity_scalar_reference);
    tcase_add_test(tr, catboost_v8_matches_reference);
    tcase_add_test(tr, real_slate_end_to_end);
    tcase_add_test(tr, real_nightly_never_looks_ahead);
    suite_add_tcase(s, tr);
    TCase *ts = tcase_create("simulated");
    tcase_set_timeout(ts, 300);
    tcase_add_unchecked_fixture(ts, sim_setup, sim_teardown);
    tcase_add_test(ts, sim_slate_rows_and_idempotence);
    tcase_add_test(ts, sim_kill_during_write);
    tcase_add_test(ts, sim_rerun_after_model_change);
    tcase_add_test(ts, sim_grade_feature_values);
    tcase_add_test(ts, sim_bad_models);
    tcase_add_test(ts, sim_bad_database);
    tcase_add_test(ts, sim_bad_data);
    tcase_add_test(ts, sim_slate_json_escapes);
    tcase_add_test(ts, sim_models_cli_and_retrain);
    suite_add_tcase(s, ts);
    return s;
}
