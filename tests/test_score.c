/* test_score: every scorer variant (scalar, AVX2, AVX-512, as this CPU allows)
 * at 1 and 2 threads reproduces the real XGBoost and CatBoost outputs of
 * ../shared/crosscheck bit for bit, agrees with the reference scorer on random
 * and adversarial rows (NaN, infinities, -0.0, values exactly on and one ulp
 * around thresholds, block tails), and the single-row path agrees too. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/csv.h"
#include "core/matrix.h"
#include "gbdt/explain.h"
#include "gbdt/forest.h"
#include "gbdt/score.h"
#include "gbdt/train.h"
#include "io/model.h"
#include "testutil.h"
#include "tests/models.h"

typedef struct {
    char name[200];
    int cbm;
} model_ref;

static model_ref models[32];
static int n_models;

static void list_models(void)
{
    const char *kinds[2] = {"xgboost", "catboost"};
    for (int k = 0; k < 2; k++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/crosscheck/%s", tu_shared(), kinds[k]);
        DIR *d = opendir(dir);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d)) && n_models < 32) {
            if (e->d_name[0] == '.') continue;
            snprintf(models[n_models].name, sizeof models[n_models].name, "%.199s", e->d_name);
            models[n_models].cbm = k;
            n_models++;
        }
        closedir(d);
    }
}

static const sw_isa isas[3] = {SW_ISA_SCALAR, SW_ISA_AVX2, SW_ISA_AVX512};

static void compare(const double *got, const sw_table *exp, const char *col, long rows, const char *what)
{
    int c = sw_table_find(exp, col);
    ck_assert_msg(c >= 0, "no column %s", col);
    sw_error err;
    for (long r = 0; r < rows; r++) {
        double e;
        ck_assert_int_eq(sw_table_f64(exp, r, c, &e, &err), SW_OK);
        ck_assert_msg(memcmp(&e, &got[r], 8) == 0, "%s %s row %ld: %.17g vs %.17g", what, col, r, got[r], e);
    }
}

START_TEST(variants_match_crosscheck)
{
    ck_assert_msg(n_models >= 15, "expected the 15 crosscheck models, found %d", n_models);
    const model_ref *m = &models[_i / 3];
    sw_isa isa = isas[_i % 3];
    if (!sw_isa_supported(isa)) return; /* this CPU cannot run the variant */
    char path[2048], rel[512], dir[1024];
    snprintf(rel, sizeof rel, "models/%s.%s", m->name, m->cbm ? "cbm" : "json");
    tu_shared_path(path, sizeof path, rel);
    snprintf(rel, sizeof rel, "crosscheck/%s/%s", m->cbm ? "catboost" : "xgboost", m->name);
    tu_shared_path(dir, sizeof dir, rel);
    sw_forest *f;
    sw_error err;
    ck_assert_int_eq(sw_model_load(path, &f, &err), SW_OK);
    int nf = sw_forest_n_features(f);
    const char **names = calloc((size_t)nf, sizeof *names);
    for (int i = 0; i < nf; i++) names[i] = sw_forest_feature_name(f, i);
    snprintf(path, sizeof path, "%s/inputs.csv", dir);
    sw_csv_opts o = {.columns = names, .n_columns = nf};
    sw_table *t;
    sw_matrix *X;
    ck_assert_int_eq(sw_table_read_csv(path, &o, &t, &err), SW_OK);
    ck_assert_int_eq(sw_matrix_from_table(t, names, nf, &X, &err), SW_OK);
    sw_table_free(t);
    snprintf(path, sizeof path, "%s/expected.csv", dir);
    sw_table *exp;
    ck_assert_int_eq(sw_table_read_csv(path, NULL, &exp, &err), SW_OK);
    double *out = malloc(sizeof(double) * (size_t)X->rows);
    char what[300];
    struct {
        const char *col;
        int trees, margin;
    } cols[4] = {{m->cbm ? "raw_formula_val" : "prediction", SW_TREES_ALL, m->cbm}, {"margin", SW_TREES_ALL, 1},
                 {"pred_first_k_trees", 0, 0}, {"pred_best_iteration", SW_TREES_BEST, 0}};
    int ncols = m->cbm ? 1 : 4;
    for (int c = 0; c < ncols; c++) {
        int trees = cols[c].trees;
        if (c == 2) {
            char info[1100];
            snprintf(info, sizeof info, "%s/model_info.json", dir);
            char *js = tu_slurp(info, NULL);
            trees = atoi(strstr(js, "\"k_for_pred_first_k_trees\":") + 27);
            free(js);
        }
        if (c == 3 && sw_forest_best_iteration(f) < 0) continue;
        sw_scorer *s;
        ck_assert_int_eq(sw_scorer_create(f, sw_forest_tree_limit(f, trees), isa, &s, &err), SW_OK);
        ck_assert_int_eq(sw_scorer_isa(s), isa);
        for (int threads = 1; threads <= 2; threads++) {
            memset(out, 0, sizeof(double) * (size_t)X->rows);
            sw_scorer_predict(s, X->data, X->rows, X->cols, cols[c].margin, threads, out);
            snprintf(what, sizeof what, "%s %s %dt", m->name, sw_isa_name(isa), threads);
            compare(out, exp, cols[c].col, X->rows, what);
        }
        for (long r = 0; r < X->rows; r += 13) out[r] = sw_scorer_predict_row(s, sw_matrix_row(X, r), cols[c].margin);
        sw_scorer_predict(s, X->data, 1, X->cols, cols[c].margin, 1, out + 1); /* a one-row block */
        ck_assert(memcmp(&out[0], &out[1], 8) == 0);
        sw_scorer_free(s);
    }
    free(out);
    free(names);
    sw_table_free(exp);
    sw_matrix_free(X);
    sw_forest_free(f);
}
END_TEST

/* Random and adversarial rows: every variant equals the reference scorer. */
static void check_against_reference(const sw_forest *f, const char *what)
{
    int nf = sw_forest_n_features(f);
    long n = 1000;
    sw_matrix *X = sw_matrix_create(n, nf);
    /* collect thresholds to probe exactly on them and one ulp around */
    float probes[4096];
    int np = 0;
    for (int t = 0; t < sw_forest_n_trees(f) && np < 4000; t++) {
        if (sw_forest_kind(f) == SW_TREES_BINARY) {
            sw_binary_tree_view v;
            sw_forest_binary_tree(f, t, &v);
            for (int i = 0; i < v.n_nodes && np < 4000; i++)
                if (v.left[i] >= 0) probes[np++] = v.value[i];
        } else {
            sw_oblivious_tree_view v;
            sw_forest_oblivious_tree(f, t, &v);
            for (int d = 0; d < v.depth && np < 4000; d++) probes[np++] = v.border[d];
        }
    }
    unsigned long long s = 77;
    for (long r = 0; r < n; r++)
        for (int c = 0; c < nf; c++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned k = (unsigned)(s >> 33) % 10;
            float x;
            float p = np ? probes[(s >> 13) % (unsigned long long)np] : 0.0f;
            switch (k) {
            case 0: x = NAN; break;
            case 1: x = p; break;
            case 2: x = nextafterf(p, INFINITY); break;
            case 3: x = nextafterf(p, -INFINITY); break;
            case 4: x = (s >> 20) & 1 ? INFINITY : -INFINITY; break;
            case 5: x = (s >> 20) & 1 ? 0.0f : -0.0f; break;
            case 6: x = (s >> 20) & 1 ? 3.4e38f : -3.4e38f; break;
            default: x = (float)((double)(s >> 11) * 0x1p-53 * 60 - 20); break;
            }
            sw_matrix_set(X, r, c, x);
        }
    double *ref = malloc(sizeof(double) * (size_t)n), *got = malloc(sizeof(double) * (size_t)n);
    for (int margin = 0; margin < 2; margin++) {
        sw_forest_predict_ref(f, X->data, n, nf, -1, margin, ref);
        for (int i = 0; i < 3; i++) {
            if (!sw_isa_supported(isas[i])) continue;
            sw_scorer *sc;
            sw_error err;
            ck_assert_int_eq(sw_scorer_create(f, -1, isas[i], &sc, &err), SW_OK);
            for (long r = 0; r < n; r++) { /* the single-row path */
                double v = sw_scorer_predict_row(sc, sw_matrix_row(X, r), margin);
                ck_assert_msg(memcmp(&ref[r], &v, 8) == 0 || (isnan(ref[r]) && isnan(v)), "%s %s row %ld alone: %.17g vs %.17g",
                              what, sw_isa_name(isas[i]), r, v, ref[r]);
            }
            /* odd sizes exercise block tails */
            for (long len = 1; len <= n; len = len * 3 + 7) {
                sw_scorer_predict(sc, X->data, len, nf, margin, 2, got);
                for (long r = 0; r < len; r++)
                    ck_assert_msg(memcmp(&ref[r], &got[r], 8) == 0 || (isnan(ref[r]) && isnan(got[r])),
                                  "%s %s row %ld: %.17g vs %.17g", what, sw_isa_name(isas[i]), r, got[r], ref[r]);
            }
            sw_scorer_free(sc);
        }
    }
    free(ref);
    free(got);
    sw_matrix_free(X);
}

START_TEST(variants_match_reference)
{
    sw_forest *a = tm_binary_forest(SW_OBJ_LOGISTIC), *b = tm_oblivious_forest(SW_OBJ_CB_POISSON);
    check_against_reference(a, "hand binary");
    check_against_reference(b, "hand oblivious");
    sw_forest_free(a);
    sw_forest_free(b);
    /* trained models of each policy, deeper and wider */
    long n = 4000;
    sw_matrix *X = sw_matrix_create(n, 5);
    float *y = malloc(sizeof(float) * (size_t)n);
    for (int c = 0; c < 5; c++) {
        char nm[16];
        snprintf(nm, sizeof nm, "c%d", c);
        sw_matrix_set_name(X, c, nm);
    }
    unsigned long long s = 5;
    for (long r = 0; r < n; r++) {
        double acc = 0;
        for (int c = 0; c < 5; c++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            float v = (float)((double)(s >> 11) * 0x1p-53 * 10 - 5);
            if ((s >> 50) % 17 == 0) v = NAN;
            sw_matrix_set(X, r, c, v);
            acc += isnan(v) ? 1 : sin(v * (c + 1));
        }
        y[r] = (float)(acc * 3 + 20);
    }
    /* lossguide without a depth limit: deep sparse trees, programs up to 256
     * leaves and node masks past them */
    static const struct {
        sw_grow_policy policy;
        int depth, leaves;
        const char *what;
    } runs[] = {{SW_GROW_DEPTHWISE, 8, 0, "depthwise"},
                {SW_GROW_LOSSGUIDE, 6, 200, "lossguide, depth 6"},
                {SW_GROW_LOSSGUIDE, 0, 256, "lossguide, 256 leaves"},
                {SW_GROW_LOSSGUIDE, 0, 300, "lossguide, 300 leaves"},
                {SW_GROW_OBLIVIOUS, 6, 0, "oblivious"}};
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        sw_train_params p = sw_train_params_default();
        p.grow_policy = runs[k].policy;
        p.rounds = 40;
        p.max_depth = runs[k].depth;
        p.max_leaves = runs[k].leaves;
        p.min_child_weight = 0;
        sw_train_data d = {X, y, NULL, "t"};
        sw_forest *f;
        sw_error err;
        ck_assert_msg(sw_train(&p, &d, NULL, 0, &f, NULL, &err) == SW_OK, "%s", err.msg);
        if (runs[k].leaves > 200) { /* the trees reach the size asked for */
            int most = 0;
            for (int t = 0; t < sw_forest_n_trees(f); t++)
                if ((sw_forest_tree_nodes(f, t) + 1) / 2 > most) most = (sw_forest_tree_nodes(f, t) + 1) / 2;
            ck_assert_int_eq(most, runs[k].leaves);
        }
        check_against_reference(f, runs[k].what);
        sw_forest_free(f);
    }
    sw_matrix_free(X);
    free(y);
}
END_TEST

/* A forest whose feature 0 splits at `T` distinct thresholds (feature 1 at
 * 300, the others at a few): complete trees of depth 6 (the complete-tree
 * kernels), depth-8 and lopsided trees (programs), NaN going
 * either way; every threshold used.  Oblivious: depth-6 trees drawing borders
 * the same way, with each NaN treatment. */
static sw_forest *wide_forest(int T, int oblivious, int nwide)
{
    enum { MAXF = 64 };
    int NF = nwide + 4;
    sw_forest *f = sw_forest_create(oblivious ? SW_TREES_OBLIVIOUS : SW_TREES_BINARY, NF);
    char nm[MAXF][16];
    const char *names[MAXF];
    for (int k = 0; k < NF; k++) {
        snprintf(nm[k], sizeof nm[k], "f%d", k);
        names[k] = nm[k];
    }
    sw_forest_set_feature_names(f, names, NULL);
    sw_forest_set_objective(f, SW_OBJ_SQUAREDERROR);
    int npool[MAXF], next[MAXF] = {0};
    static float pool[MAXF][4096];
    for (int k = 0; k < NF; k++) {
        npool[k] = k < nwide ? T : (int[]){300, 7, 3, 40}[k - nwide];
        for (int i = 0; i < npool[k]; i++) /* distinct, irregular, both signs, some a float ulp apart */
            pool[k][i] = i % 50 == 49 ? nextafterf(pool[k][i - 1], INFINITY) : (float)(i * 0.37 - 0.11 * T + 0.001 * (i % 7) + k);
    }
    unsigned long long s = 99;
#define RND() (s = s * 6364136223846793005ULL + 1442695040888963407ULL, (unsigned)(s >> 33))
    int n_trees = (oblivious ? T / 3 + 24 : T / 30 + 24) * nwide;
    for (int t = 0; t < n_trees; t++) {
        if (oblivious) {
            int32_t fe[6];
            float b[6];
            double lv[64];
            for (int d = 0; d < 6; d++) {
                int k = RND() % 10 < 6 ? (int)(RND() % (unsigned)nwide) : nwide + (int)(RND() % 4);
                fe[d] = k;
                b[d] = pool[k][next[k]++ % npool[k]];
            }
            for (int j = 0; j < 64; j++) lv[j] = (double)(RND() % 2001) / 1000.0 - 1;
            ck_assert_int_eq(sw_forest_add_oblivious(f, 6, fe, b, lv, NULL, NULL), SW_OK);
            continue;
        }
        /* depth 6 complete (most), 8 complete, or a lopsided chain of depth 9 */
        int kind = t % 7 == 3 ? 1 : t % 11 == 5 ? 2 : 0, D = kind == 1 ? 8 : 6;
        int32_t l[1024], r[1024], fe[1024];
        float v[1024];
        uint8_t dl[1024];
        int n = 0;
        if (kind == 2) { /* internal node 2j (j < 9): a leaf on the left, the next one on the right */
            n = 19;
            for (int i = 0; i < n; i++) l[i] = r[i] = -1;
            for (int j = 0; j < 9; j++) {
                l[2 * j] = 2 * j + 1;
                r[2 * j] = 2 * j + 2;
            }
        } else {
            n = (1 << (D + 1)) - 1;
            for (int i = 0; i < n; i++) {
                int internal = i < (1 << D) - 1;
                l[i] = internal ? 2 * i + 1 : -1;
                r[i] = internal ? 2 * i + 2 : -1;
            }
        }
        for (int i = 0; i < n; i++) {
            if (l[i] >= 0) {
                int k = RND() % 10 < 7 ? (int)(RND() % (unsigned)nwide) : nwide + (int)(RND() % 4);
                fe[i] = k;
                v[i] = pool[k][next[k]++ % npool[k]];
            } else {
                fe[i] = 0;
                v[i] = (float)((double)(RND() % 2001) / 1000.0 - 1);
            }
            dl[i] = (uint8_t)(RND() & 1);
        }
        sw_binary_tree_in in = {n, l, r, fe, v, dl, v, NULL, NULL, NULL, NULL, NULL};
        sw_error err;
        ck_assert_msg(sw_forest_add_binary(f, &in, &err) == SW_OK, "%s", err.msg);
    }
#undef RND
    if (oblivious) {
        sw_forest_set_nan_mode(f, 0, T % 2 ? SW_NAN_ASTRUE : SW_NAN_ASFALSE, NULL);
        sw_forest_set_nan_mode(f, 1, SW_NAN_ASTRUE, NULL);
        sw_forest_set_scale_bias(f, 1.0, 0.25);
    }
    /* every threshold of the wide features was used */
    for (int k = 0; k < nwide; k++) ck_assert_int_ge(next[k], T);
    return f;
}

/* Features with 254, 255, 256, 257 and 4000 distinct thresholds (XGBoost's
 * default 256 bins, `exact` models): the vector scorers take them (no scalar
 * fallback) and equal the reference on every probe, alone and in blocks. */
START_TEST(wide_features_match_reference)
{
    /* (18, 25, 32, 40, 50 and 60 features of 256: 41 to 125 layout features,
     * the AVX2 single rows' 3 to 8 byte tables; past 64, AVX-512's single rows
     * take two registers) */
    static const int Ts[] = {254, 255, 256, 257, 4000, 256, 256, 256, 256, 256, 256};
    static const int nw[] = {1, 1, 1, 1, 1, 18, 25, 32, 40, 50, 60};
    static const int obl[] = {1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0}; /* also as oblivious trees */
    for (size_t i = 0; i < sizeof Ts / sizeof Ts[0]; i++)
        for (int ob = 0; ob < 2; ob++) {
            if (ob && !obl[i]) continue;
            sw_forest *f = wide_forest(Ts[i], ob, nw[i]);
            char what[64];
            snprintf(what, sizeof what, "%s, %d x %d thresholds", ob ? "oblivious" : "binary", nw[i], Ts[i]);
            for (int k = 1; k < 3; k++) {
                if (!sw_isa_supported(isas[k])) continue;
                sw_scorer *sc;
                sw_error err;
                ck_assert_int_eq(sw_scorer_create(f, -1, isas[k], &sc, &err), SW_OK);
                ck_assert_msg(sw_scorer_isa(sc) == isas[k], "%s: %s fell back to %s", what, sw_isa_name(isas[k]),
                              sw_isa_name(sw_scorer_isa(sc)));
                sw_scorer_free(sc);
            }
            check_against_reference(f, what);
            sw_forest_free(f);
        }
}
END_TEST

/* A table of 700 features, past the 128 columns a block transposes whole:
 * columns 0-299 used densely (chunks transposed), 300-599 one in 25 (column
 * copies), 600-699 again densely after a gap; depth-6 and depth-8 trees, a few
 * features with 300 thresholds.  Every ISA equals the reference. */
START_TEST(many_features_match_reference)
{
    enum { NF = 700 };
    sw_forest *f = sw_forest_create(SW_TREES_BINARY, NF);
    static char nm[NF][16];
    static const char *names[NF];
    for (int k = 0; k < NF; k++) {
        snprintf(nm[k], sizeof nm[k], "c%d", k);
        names[k] = nm[k];
    }
    sw_forest_set_feature_names(f, names, NULL);
    sw_forest_set_objective(f, SW_OBJ_SQUAREDERROR);
    unsigned long long s = 41;
#define RND() (s = s * 6364136223846793005ULL + 1442695040888963407ULL, (unsigned)(s >> 33))
    for (int t = 0; t < 60; t++) {
        int D = t % 5 == 2 ? 8 : 6, n = (1 << (D + 1)) - 1;
        int32_t l[511], r[511], fe[511];
        float v[511];
        uint8_t dl[511];
        for (int i = 0; i < n; i++) {
            int internal = i < (1 << D) - 1;
            l[i] = internal ? 2 * i + 1 : -1;
            r[i] = internal ? 2 * i + 2 : -1;
            unsigned z = RND() % 10;
            int k = z < 5 ? (int)(RND() % 300) : z < 7 ? 300 + 25 * (int)(RND() % 12) : z < 9 ? 600 + (int)(RND() % 100)
                                                                                         : (int)(RND() % 4);
            fe[i] = internal ? k : 0;
            /* features 0-3 draw from 300 thresholds, the others from 8 */
            int m = k < 4 ? 300 : 8;
            v[i] = internal ? (float)((int)(RND() % (unsigned)m) * 0.37 - 1.1 + 0.01 * k)
                            : (float)((double)(RND() % 2001) / 1000.0 - 1);
            dl[i] = (uint8_t)(RND() & 1);
        }
        sw_binary_tree_in in = {n, l, r, fe, v, dl, v, NULL, NULL, NULL, NULL, NULL};
        sw_error err;
        ck_assert_msg(sw_forest_add_binary(f, &in, &err) == SW_OK, "%s", err.msg);
    }
#undef RND
    for (int k = 1; k < 3; k++) {
        if (!sw_isa_supported(isas[k])) continue;
        sw_scorer *sc;
        sw_error err;
        ck_assert_int_eq(sw_scorer_create(f, -1, isas[k], &sc, &err), SW_OK);
        ck_assert_int_eq(sw_scorer_isa(sc), isas[k]);
        sw_scorer_free(sc);
    }
    check_against_reference(f, "700 features");
    sw_forest_free(f);
}
END_TEST

/* Complete trees of depth 9 and 10 (512 and 1024 leaves: past a byte of leaf
 * position, and past 512 node masks) beside depth-6 ones: every ISA keeps its
 * kernels (no scalar fallback for the whole forest) and equals the reference. */
static sw_forest *deep_forest(int n_trees)
{
    enum { NF = 6 };
    sw_forest *f = sw_forest_create(SW_TREES_BINARY, NF);
    sw_forest_set_objective(f, SW_OBJ_SQUAREDERROR);
    unsigned long long s = 5;
    static int32_t l[2047], r[2047], fe[2047];
    static float v[2047];
    static uint8_t dl[2047];
    for (int t = 0; t < n_trees; t++) {
        int D = t % 3 == 0 ? 10 : t % 3 == 1 ? 9 : 6, n = (2 << D) - 1, inner = (1 << D) - 1;
        for (int i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            if (i < inner) {
                l[i] = 2 * i + 1;
                r[i] = 2 * i + 2;
                fe[i] = (int)((s >> 33) % NF);
                v[i] = (float)((int)((s >> 40) % 200) - 100) * 0.05f;
                dl[i] = (uint8_t)((s >> 20) & 1);
            } else {
                l[i] = r[i] = -1;
                fe[i] = 0;
                v[i] = (float)((int)((s >> 40) % 2001) - 1000) / 997.0f;
                dl[i] = 0;
            }
        }
        sw_binary_tree_in in = {n, l, r, fe, v, dl, v, NULL, NULL, NULL, NULL, NULL};
        sw_error err;
        ck_assert_int_eq(sw_forest_add_binary(f, &in, &err), SW_OK);
    }
    return f;
}

START_TEST(deep_trees_match_reference)
{
    sw_forest *f = deep_forest(40);
    for (int k = 1; k < 3; k++) {
        if (!sw_isa_supported(isas[k])) continue;
        sw_scorer *sc;
        sw_error err;
        ck_assert_int_eq(sw_scorer_create(f, -1, isas[k], &sc, &err), SW_OK);
        ck_assert_msg(sw_scorer_isa(sc) == isas[k], "deep trees: %s fell back to %s", sw_isa_name(isas[k]),
                      sw_isa_name(sw_scorer_isa(sc)));
        sw_scorer_free(sc);
    }
    check_against_reference(f, "depth 9 and 10 trees");
    sw_forest_free(f);
}
END_TEST

/* Trees of depth 7 to 11 as XGBoost grows them: full at the top, leaves from
 * depth 5 on (padding at every level of the complete records), missing going
 * either way, categorical splits (feature 0) at any level, a feature with 300
 * thresholds (two byte chunks) beside features with a few.  With 12 features
 * the kernels score depth 7-8 below level 6 by each row's node and walk the
 * deeper ones level by level (depth 9-10 by node too); with 140 the
 * same (walking depth 9-10), AVX2 looking up the NaN side
 * apart from the feature (past 128 layout features); with 300 (past a byte)
 * they keep the bottom-up record and programs (past 256 leaves, node masks).
 * Every ISA keeps its kernels and equals the reference on thresholds, one ulp
 * around them and NaN. */
static int deep_grow(unsigned long long *s, int d, int D, int force, int nf, int32_t *l, int32_t *r, int32_t *fe,
                     float *v, uint8_t *dl, int32_t *cs, int32_t *cc, int *n, int *ncat)
{
#define RND() (*s = *s * 6364136223846793005ULL + 1442695040888963407ULL, (unsigned)(*s >> 33))
    int i = (*n)++;
    cs[i] = cc[i] = 0;
    dl[i] = (uint8_t)(RND() & 1);
    if (d == D || (!force && d >= 5 && RND() % 10 < 3)) {
        l[i] = r[i] = -1;
        fe[i] = 0;
        v[i] = (float)((int)(RND() % 2001) - 1000) / 997.0f;
        return i;
    }
    int k = (int)(RND() % (unsigned)nf);
    fe[i] = k;
    if (k == 0) { /* categorical: three categories, drawn by the caller */
        cs[i] = *ncat;
        cc[i] = 3;
        *ncat += 3;
        v[i] = 0;
    } else if (k == 1) {
        v[i] = (float)(RND() % 300) * 0.173f - 25.0f;
    } else {
        v[i] = (float)(RND() % 9) * 1.5f - 6.0f + (float)k * 0.01f;
    }
    int a = deep_grow(s, d + 1, D, force, nf, l, r, fe, v, dl, cs, cc, n, ncat);
    int b = deep_grow(s, d + 1, D, 0, nf, l, r, fe, v, dl, cs, cc, n, ncat);
    l[i] = a;
    r[i] = b;
    return i;
#undef RND
}

START_TEST(deep_irregular_trees_match_reference)
{
    static const int nfs[] = {12, 140, 300};
    static int32_t l[4096], r[4096], fe[4096], cs[4096], cc[4096], cats[12288];
    static float v[4096];
    static uint8_t dl[4096];
    for (size_t z = 0; z < sizeof nfs / sizeof nfs[0]; z++) {
        int nf = nfs[z];
        sw_forest *f = sw_forest_create(SW_TREES_BINARY, nf);
        sw_forest_set_objective(f, SW_OBJ_SQUAREDERROR);
        unsigned long long s = 11 + z;
        for (int t = 0; t < 48; t++) {
            int D = t % 5 == 4 ? 6 : t % 3 == 2 ? 9 + (t / 3) % 3 : t % 2 ? 7 : 8, n = 0, ncat = 0;
            deep_grow(&s, 0, D, 1, nf, l, r, fe, v, dl, cs, cc, &n, &ncat);
            for (int q = 0; q < ncat; q += 3) { /* each categorical node's three categories */
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                int c0 = (int)((s >> 33) % 30);
                cats[q] = c0;
                cats[q + 1] = c0 + 3;
                cats[q + 2] = c0 + 7;
            }
            sw_binary_tree_in in = {n, l, r, fe, v, dl, v, NULL, NULL, cs, cc, cats};
            sw_error err;
            ck_assert_msg(sw_forest_add_binary(f, &in, &err) == SW_OK, "%s", err.msg);
            ck_assert_int_eq(sw_forest_tree_depth(f, t), D);
        }
        for (int k = 1; k < 3; k++) {
            if (!sw_isa_supported(isas[k])) continue;
            sw_scorer *sc;
            sw_error err;
            ck_assert_int_eq(sw_scorer_create(f, -1, isas[k], &sc, &err), SW_OK);
            ck_assert_msg(sw_scorer_isa(sc) == isas[k], "deep trees: %s fell back to %s",
                          sw_isa_name(isas[k]), sw_isa_name(sw_scorer_isa(sc)));
            sw_scorer_free(sc);
        }
        char what[64];
        snprintf(what, sizeof what, "depth 7 to 11 trees on %d features", nf);
        check_against_reference(f, what);
        sw_forest_free(f);
    }
}
END_TEST

/* Fail each allocation in turn while reading every model format (XGBoost JSON
 * and UBJSON with categorical splits and classes, CatBoost .cbm, .swm, one
 * with depth 9-10 trees) and
 * building the scorer for every ISA: each step is SW_OK or SW_NOMEM, never a
 * crash, and (under AddressSanitizer) frees what it had. */
START_TEST(readers_and_scorer_survive_allocation_failures)
{
    unsigned char *blob[7];
    size_t len[7];
    const char *names[7] = {"categorical.json", "multiclass.ubj", "t.cbm",          "t.swm",
                            "multiclass.json",  "categorical.ubj", "deep.swm"};
    char path[512];
    for (int i = 0; i < 6; i++) {
        if (i == 2 || i == 3) continue;
        snprintf(path, sizeof path, "tests/fuzz/corpus/%s/%s", strstr(names[i], "json") ? "xgb_json" : "xgb_ubj",
                 names[i]);
        blob[i] = (unsigned char *)tu_slurp(path, &len[i]);
        ck_assert_msg(blob[i] != NULL, "%s", path);
    }
    sw_error err;
    sw_forest *ob = tm_oblivious_forest(SW_OBJ_CB_RMSE), *bi = tm_binary_forest(SW_OBJ_SQUAREDERROR);
    ck_assert_int_eq(sw_cbm_write(ob, &blob[2], &len[2], &err), SW_OK);
    ck_assert_int_eq(sw_swm_write(bi, &blob[3], &len[3], &err), SW_OK);
    sw_forest_free(ob);
    sw_forest_free(bi);
    sw_forest *deep = deep_forest(3); /* depth 10, 9 and 6: records by node */
    ck_assert_int_eq(sw_swm_write(deep, &blob[6], &len[6], &err), SW_OK);
    sw_forest_free(deep);
    for (int i = 0; i < 7; i++) {
        int reached = 0;
        for (long k = 0; k < 5000 && !reached; k++) {
            sw_forest *f = NULL;
            sw_alloc_fail_after(k);
            int rc = sw_model_read(names[i], blob[i], len[i], &f, &err);
            sw_alloc_fail_after(-1);
            ck_assert_msg(rc == SW_OK || rc == SW_NOMEM, "%s, allocation %ld: %s", names[i], k, err.msg);
            if (rc == SW_OK) reached = 1;
            else ck_assert_ptr_null(f);
            sw_forest_free(f);
        }
        ck_assert_msg(reached, "%s never read", names[i]);
        sw_forest *f = NULL;
        ck_assert_int_eq(sw_model_read(names[i], blob[i], len[i], &f, &err), SW_OK);
        for (int q = 1; q < 3; q++) {
            if (!sw_isa_supported(isas[q])) continue;
            int built = 0;
            for (long k = 0; k < 5000 && !built; k++) {
                sw_scorer *sc = NULL;
                sw_alloc_fail_after(k);
                int rc = sw_scorer_create(f, -1, isas[q], &sc, &err);
                sw_alloc_fail_after(-1);
                ck_assert_msg(rc == SW_OK || rc == SW_NOMEM, "%s scorer, allocation %ld: %d", names[i], k, rc);
                if (rc == SW_OK) {
                    built = 1;
                    ck_assert_int_eq(sw_scorer_isa(sc), isas[q]);
                } else {
                    ck_assert_ptr_null(sc);
                }
                sw_scorer_free(sc);
            }
            ck_assert(built);
        }
        sw_forest_free(f);
        sw_free(blob[i]);
    }
}
END_TEST

/* tests/tools/SCRIPT run into DIR (made under the test's temporary
 * directory, named SUB); its rows.csv read (features f0..f5). */
static sw_matrix *xgb_rows(const char *script, const char *sub, char *dir, size_t dsize)
{
    snprintf(dir, dsize, "%s/%s", tu_tmpdir(), sub);
    char *out = NULL, path[800];
    int rc = tu_sh(&out, "mkdir -p %s && /usr/bin/python3 tests/tools/%s %s 2>&1", dir, script, dir);
    ck_assert_msg(rc == 0, "%s: %s", script, out);
    free(out);
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    sw_table *tb;
    sw_error err;
    ck_assert_int_eq(sw_table_read_csv(path, NULL, &tb, &err), SW_OK);
    const char *names[6] = {"f0", "f1", "f2", "f3", "f4", "f5"};
    sw_matrix *X;
    ck_assert_int_eq(sw_matrix_from_table(tb, names, 6, &X, &err), SW_OK);
    sw_table_free(tb);
    return X;
}

/* Every scorer of f on X's rows (each ISA, one row alone, the reference)
 * against XGBoost's own margins and predictions (DIR/KIND.margin, .pred, one
 * float a line), bit for bit; want ends holding the predictions. */
static void check_xgb_outputs(const sw_forest *f, const sw_matrix *X, const char *dir, const char *kind,
                              const char *what, float *want, double *got)
{
    long n = X->rows;
    char path[800];
    sw_error err;
    for (int margin = 1; margin >= 0; margin--) {
        snprintf(path, sizeof path, "%s/%s.%s", dir, kind, margin ? "margin" : "pred");
        FILE *fp = fopen(path, "r");
        ck_assert_ptr_nonnull(fp);
        for (long r = 0; r < n; r++) ck_assert_int_eq(fscanf(fp, "%f", &want[r]), 1);
        fclose(fp);
        for (int i = 0; i < 4; i++) {
            if (i < 3 && !sw_isa_supported(isas[i])) continue;
            if (i == 3) {
                sw_forest_predict_ref(f, X->data, n, X->cols, -1, margin, got);
            } else {
                sw_scorer *sc;
                ck_assert_int_eq(sw_scorer_create(f, -1, isas[i], &sc, &err), SW_OK);
                ck_assert_msg(sw_scorer_isa(sc) == isas[i], "%s: %s fell back to %s", what, sw_isa_name(isas[i]),
                              sw_isa_name(sw_scorer_isa(sc)));
                sw_scorer_predict(sc, X->data, n, X->cols, margin, 2, got);
                got[7] = sw_scorer_predict_row(sc, sw_matrix_row(X, 7), margin);
                sw_scorer_free(sc);
            }
            for (long r = 0; r < n; r++) {
                float g = (float)got[r];
                ck_assert_msg(memcmp(&g, &want[r], 4) == 0, "%s %s %s row %ld: %.9g, XGBoost %.9g", what,
                              margin ? "margin" : "prediction", i == 3 ? "reference" : sw_isa_name(isas[i]), r,
                              (double)g, (double)want[r]);
            }
        }
    }
}

/* The models KIND.json and KIND.ubj that a test script wrote, of `trees`
 * trees each, against XGBoost's own outputs beside them on every scorer;
 * shape(f, kind) checks what the model was meant to exercise. */
static void check_xgb_models(const char *script, const char *sub, long rows, const char *const *kinds, int nk,
                             int trees, void (*shape)(const sw_forest *, const char *))
{
    char dir[600], path[700];
    sw_matrix *X = xgb_rows(script, sub, dir, sizeof dir);
    long n = X->rows;
    ck_assert_int_eq(n, rows);
    float *want = malloc(sizeof(float) * (size_t)n);
    double *got = malloc(sizeof(double) * (size_t)n);
    static const char *const exts[] = {"json", "ubj"};
    for (int m = 0; m < nk; m++)
        for (int e = 0; e < 2; e++) {
            snprintf(path, sizeof path, "%s/%s.%s", dir, kinds[m], exts[e]);
            sw_forest *f;
            sw_error err;
            ck_assert_msg(sw_model_load(path, &f, &err) == SW_OK, "%s", err.msg);
            ck_assert_int_eq(sw_forest_n_trees(f), trees);
            if (shape) shape(f, kinds[m]);
            char what[64];
            snprintf(what, sizeof what, "%s.%s", kinds[m], exts[e]);
            check_xgb_outputs(f, X, dir, kinds[m], what, want, got);
            sw_forest_free(f);
        }
    free(want);
    free(got);
    sw_matrix_free(X);
}

/* DART models trained by XGBoost 1.7.4 itself (tests/tools/xgb_dart.py), JSON
 * and UBJSON, regression and binary:logistic, and the regression's UBJSON
 * with its weights as a typed array: every scorer equals XGBoost's own
 * predictions bit for bit, margins and outputs, on NaN-rich rows. */
START_TEST(dart_matches_xgboost)
{
    static const char *const kinds[] = {"reg", "bin", "regt"};
    check_xgb_models("xgb_dart.py", "dart", 3000, kinds, 3, 40, NULL);
}
END_TEST

static void shape_check(const sw_forest *f, const char *kind)
{
    int leaves = 0, depth = 0;
    for (int t = 0; t < sw_forest_n_trees(f); t++) {
        int l = (sw_forest_tree_nodes(f, t) + 1) / 2, d = sw_forest_tree_depth(f, t);
        if (l > leaves) leaves = l;
        if (d > depth) depth = d;
    }
    if (!strcmp(kind, "lossguide255")) ck_assert_int_eq(leaves, 255);
    if (!strcmp(kind, "lossguide300")) ck_assert_int_eq(leaves, 300);
    if (!strcmp(kind, "depth10")) ck_assert_int_eq(depth, 10);
    if (!strcmp(kind, "lossguide9_10")) { /* deep and sparse, yet past AVX-512's complete-record threshold */
        int d10 = 0;
        for (int t = 0; t < sw_forest_n_trees(f); t++)
            d10 += sw_forest_tree_depth(f, t) >= 9 && sw_forest_tree_nodes(f, t) > 32 * (sw_forest_tree_depth(f, t) - 5);
        ck_assert_msg(d10 >= 5 && leaves <= 90, "lossguide9_10: %d trees of depth 9-10 with enough nodes, %d leaves",
                      d10, leaves);
    }
    if (!strcmp(kind, "sparse8")) ck_assert_msg(depth >= 7 && leaves <= 32, "sparse8: depth %d, %d leaves", depth, leaves);
}

/* Tree shapes XGBoost 1.7.4 grows (tests/tools/xgb_shapes.py): lossguide of
 * 255 leaves with no depth limit (programs), of 300 leaves (node masks with
 * 16-bit positions), depthwise depth 10 (complete records scored by node),
 * lossguide of 90 leaves at depth 9-10 (AVX-512: complete records, mostly
 * padding; AVX2: programs) and sparse depth 8: every scorer equals XGBoost's own
 * predictions bit for bit, JSON and UBJSON. */
START_TEST(shapes_match_xgboost)
{
    static const char *const kinds[] = {"lossguide255", "lossguide300", "depth10", "lossguide9_10", "sparse8"};
    check_xgb_models("xgb_shapes.py", "shapes", 6000, kinds, 5, 20, shape_check);
}
END_TEST

/* The XGBoost objectives swish scores but does not train (reg:logistic,
 * binary:logitraw, binary:hinge, reg:squaredlogerror, survival:cox,
 * survival:aft, rank:*), trained by XGBoost 1.7.4 itself
 * (tests/tools/xgb_objectives.py), some with a base_score: every scorer and
 * the CLI equal XGBoost's margins and predictions bit for bit, JSON and UBJSON,
 * on NaN-rich rows.  The trainer refuses them; written back by swish, XGBoost
 * reads the same predictions (rank:* and survival:aft with their parameter
 * section as read, through .swm too; refused without it).  And a random forest
 * (num_parallel_tree 3): --trees counts whole rounds, as XGBoost does; a
 * model trained for no round scores its base_score. */
START_TEST(scored_objectives_match_xgboost)
{
    char dir[600], path[700], path2[800];
    char *out = NULL;
    int rc;
    sw_error err;
    sw_matrix *X = xgb_rows("xgb_objectives.py", "objectives", dir, sizeof dir);
    long n = X->rows;
    ck_assert_int_eq(n, 2000);
    float *want = malloc(sizeof(float) * (size_t)n), *back = malloc(sizeof(float) * (size_t)n);
    double *got = malloc(sizeof(double) * (size_t)n);
    snprintf(path, sizeof path, "%s/names", dir);
    FILE *lf = fopen(path, "r");
    ck_assert_ptr_nonnull(lf);
    char kind[64];
    int n_kinds = 0, hinge_ones = 0;
    while (fscanf(lf, "%63s", kind) == 1) {
        n_kinds++;
        for (int e = 0; e < 2; e++) {
            snprintf(path, sizeof path, "%s/%s.%s", dir, kind, e ? "ubj" : "json");
            sw_forest *f;
            ck_assert_msg(sw_model_load(path, &f, &err) == SW_OK, "%s: %s", path, err.msg);
            ck_assert_int_eq(sw_forest_n_trees(f), 25);
            sw_objective obj = sw_forest_objective(f);
            ck_assert_msg(!sw_objective_trainable(obj), "%s", kind);
            char what[96];
            snprintf(what, sizeof what, "%s.%s", kind, e ? "ubj" : "json");
            check_xgb_outputs(f, X, dir, kind, what, want, got);
            if (obj == SW_OBJ_HINGE)
                for (long r = 0; r < n; r++) hinge_ones += want[r] == 1.0f;
            if (e == 0) {
                /* the CLI's predictions, as XGBoost's */
                snprintf(path2, sizeof path2, "%s/%s.cli.csv", dir, kind);
                rc = tu_sh(&out, "%s predict --model %s/%s.json --input %s/rows.csv --output %s 2>&1", tu_swish_bin(), dir,
                           kind, dir, path2);
                ck_assert_msg(rc == 0, "%s", out);
                free(out);
                snprintf(path, sizeof path, "%s/%s.pred", dir, kind);
                rc = tu_sh(&out, "tail -n +2 %s | cmp - %s 2>&1 || (tail -n +2 %s | paste - %s | awk '$1 != $2' | head -3)",
                           path2, path, path2, path);
                ck_assert_msg(rc == 0 && out[0] == 0, "%s: swish predict differs from XGBoost: %s", kind, out);
                free(out);
                /* written back: XGBoost reads the same predictions, or a clear refusal */
                snprintf(path, sizeof path, "%s/%s.back.json", dir, kind);
                int unmodelled = obj == SW_OBJ_AFT || obj == SW_OBJ_RANK_PAIRWISE || obj == SW_OBJ_RANK_NDCG ||
                                 obj == SW_OBJ_RANK_MAP;
                if (unmodelled) {
                    /* their parameters (aft_loss_distribution "logistic", lambda_rank_param) are kept as
                     * read, through .swm too: the objective's section as XGBoost wrote it */
                    snprintf(path2, sizeof path2, "%s/%s.back.swm", dir, kind);
                    ck_assert_msg(sw_model_save(f, path2, &err) == SW_OK, "%s", err.msg);
                    sw_forest *b;
                    ck_assert_msg(sw_model_load(path2, &b, &err) == SW_OK, "%s", err.msg);
                    ck_assert_int_eq(sw_forest_objective(b), obj);
                    ck_assert_msg(sw_model_save(b, path, &err) == SW_OK, "%s", err.msg);
                    /* one read without the section (as from a file that had none) is refused */
                    ck_assert_int_eq(sw_forest_set_objective_section(b, NULL, 0, NULL, &err), SW_OK);
                    snprintf(path2, sizeof path2, "%s/%s.nosec.json", dir, kind);
                    ck_assert_int_eq(sw_model_save(b, path2, &err), SW_UNSUPPORTED);
                    ck_assert_msg(strstr(err.msg, "use .swm") != NULL, "%s", err.msg);
                    sw_forest_free(b);
                    rc = tu_sh(&out, "/usr/bin/python3 -c \"import json, sys; o = [json.load(open(p))['learner']['objective'] "
                                     "for p in sys.argv[1:]]; print(o); sys.exit(o[0] != o[1] or len(o[0]) != 2)\" %s/%s.json %s",
                               dir, kind, path);
                    ck_assert_msg(rc == 0, "%s: the objective written back differs: %s", kind, out);
                    if (obj == SW_OBJ_AFT) ck_assert_ptr_nonnull(strstr(out, "'aft_loss_distribution': 'logistic'"));
                    free(out);
                }
                {
                    int wr = unmodelled ? SW_OK : sw_model_save(f, path, &err);
                    ck_assert_msg(wr == SW_OK, "%s: %s", kind, err.msg);
                    snprintf(path2, sizeof path2, "%s/%s.back.pred", dir, kind);
                    rc = tu_sh(&out, "/usr/bin/python3 tests/tools/xgb_predict.py %s %s/rows.csv %s 2>&1", path, dir, path2);
                    ck_assert_msg(rc == 0, "xgb_predict.py: %s", out);
                    free(out);
                    FILE *fp = fopen(path2, "r");
                    ck_assert_ptr_nonnull(fp);
                    for (long r = 0; r < n; r++) ck_assert_int_eq(fscanf(fp, "%f", &back[r]), 1);
                    fclose(fp);
                }
                ck_assert_msg(memcmp(back, want, sizeof(float) * (size_t)n) == 0, "%s written back: predictions differ", kind);
                /* not trained by swish: a clear refusal naming the objective */
                sw_train_params p = sw_train_params_default();
                ck_assert_int_eq(sw_train_params_set(&p, "objective", sw_objective_name(obj), NULL, 0, &err), SW_ARG);
                ck_assert_msg(strstr(err.msg, sw_objective_name(obj)) && strstr(err.msg, "for training"), "%s", err.msg);
            }
            sw_forest_free(f);
        }
    }
    fclose(lf);
    ck_assert_int_eq(n_kinds, 9);
    /* a random forest stopped early: --trees counts whole rounds of num_parallel_tree trees */
    static const char *const rf_runs[][2] = {{"", "best"}, {"--trees 6", "r2"}};
    for (int k = 0; k < 2; k++) {
        snprintf(path2, sizeof path2, "%s/rf.%s.csv", dir, rf_runs[k][1]);
        rc = tu_sh(&out, "%s predict --model %s/rf.json --input %s/rows.csv %s --output %s 2>&1", tu_swish_bin(), dir,
                   dir, rf_runs[k][0], path2);
        ck_assert_msg(rc == 0, "%s", out);
        free(out);
        rc = tu_sh(&out, "tail -n +2 %s | cmp - %s/rf.%s 2>&1", path2, dir, rf_runs[k][1]);
        ck_assert_msg(rc == 0, "random forest, %s: %s", rf_runs[k][1], out);
        free(out);
    }
    rc = tu_sh(&out, "%s predict --model %s/rf.json --input %s/rows.csv --trees 4 2>&1", tu_swish_bin(), dir, dir);
    ck_assert_msg(rc == 2 && strstr(out, "adds 3 trees a round (num_parallel_tree); give a multiple of 3"), "%s", out);
    free(out);
    /* trained for no round: XGBoost's best_iteration -1 read as none, every row its base_score */
    for (int e = 0; e < 2; e++) {
        snprintf(path, sizeof path, "%s/zero.%s", dir, e ? "ubj" : "json");
        sw_forest *f;
        ck_assert_msg(sw_model_load(path, &f, &err) == SW_OK, "%s: %s", path, err.msg);
        ck_assert_int_eq(sw_forest_n_trees(f), 0);
        ck_assert_int_eq(sw_forest_best_iteration(f), -1);
        snprintf(path, sizeof path, "%s/zero.pred", dir);
        FILE *fp = fopen(path, "r");
        ck_assert_ptr_nonnull(fp);
        for (long r = 0; r < n; r++) ck_assert_int_eq(fscanf(fp, "%f", &want[r]), 1);
        fclose(fp);
        ck_assert(want[0] == 7.25f);
        for (int i = 0; i < 3; i++) {
            if (!sw_isa_supported(isas[i])) continue;
            sw_scorer *sc;
            ck_assert_int_eq(sw_scorer_create(f, -1, isas[i], &sc, &err), SW_OK);
            sw_scorer_predict(sc, X->data, n, 6, 0, 2, got);
            got[7] = sw_scorer_predict_row(sc, sw_matrix_row(X, 7), 0);
            sw_scorer_free(sc);
            for (long r = 0; r < n; r++) ck_assert_msg((float)got[r] == want[r], "zero rounds, %s row %ld: %g", sw_isa_name(isas[i]), r, got[r]);
        }
        sw_forest_free(f);
    }
    ck_assert_msg(hinge_ones > 0 && hinge_ones < 2 * n, "binary:hinge gave %d ones", hinge_ones);
    free(want);
    free(back);
    free(got);
    sw_matrix_free(X);
}
END_TEST

/* n rows of k comma-separated %.9g floats. */
static float *read_rows(const char *path, long n, int k)
{
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "%s", path);
    float *v = malloc(sizeof(float) * (size_t)n * (size_t)k);
    for (long i = 0; i < n * k; i++) ck_assert_msg(fscanf(fp, " %f ,", &v[i]) == 1, "%s value %ld", path, i);
    fclose(fp);
    return v;
}

/* Every path (the reference, each ISA's blocks and single rows) of a model
 * with one or several outputs equals XGBoost's DIR/KIND.margin or KIND.pred
 * (a row a line) bit for bit. */
static void check_group_outputs(const sw_forest *f, const sw_matrix *X, const char *dir, const char *kind,
                                const char *ext, int margin)
{
    char path[800];
    sw_error err;
    long n = X->rows;
    int no = sw_forest_n_outputs(f, margin), nf = X->cols;
    snprintf(path, sizeof path, "%s/%s.%s", dir, kind, margin ? "margin" : "pred");
    float *want = read_rows(path, n, no);
    double *got = malloc(sizeof(double) * (size_t)n * (size_t)no);
    for (int i = 0; i < 4; i++) {
        if (i < 3 && !sw_isa_supported(isas[i])) continue;
        if (i == 3) {
            sw_forest_predict_ref(f, X->data, n, nf, -1, margin, got);
        } else {
            sw_scorer *sc;
            ck_assert_int_eq(sw_scorer_create(f, -1, isas[i], &sc, &err), SW_OK);
            ck_assert_int_eq(sw_scorer_isa(sc), isas[i]);
            ck_assert_int_eq(sw_scorer_n_outputs(sc, margin), no);
            sw_scorer_predict(sc, X->data, n, nf, margin, 2, got);
            for (long r = 0; r < n; r += 97)
                sw_scorer_predict_rowv(sc, sw_matrix_row(X, r), margin, got + (size_t)r * (size_t)no);
            sw_scorer_free(sc);
        }
        for (long r = 0; r < n * no; r++) {
            float g = (float)got[r];
            ck_assert_msg(memcmp(&g, &want[r], 4) == 0, "%s.%s %s %s row %ld output %ld: %.9g, XGBoost %.9g", kind, ext,
                          margin ? "margin" : "prediction", i == 3 ? "reference" : sw_isa_name(isas[i]), r / no,
                          r % no, (double)g, (double)want[r]);
        }
    }
    free(want);
    free(got);
}

/* TreeSHAP per output group of the first ns rows: XGBoost's pred_contribs
 * (DIR/KIND.shap, float32) within rounding; the whole model's explainer is
 * refused when there are several groups. */
static void check_group_shap(const sw_forest *f, const sw_matrix *X, const char *dir, const char *kind, long ns)
{
    char path[800];
    sw_error err;
    int G = sw_forest_n_groups(f), nf = X->cols;
    snprintf(path, sizeof path, "%s/%s.shap", dir, kind);
    float *shap = read_rows(path, X->rows, G * (nf + 1));
    double phi[64];
    ck_assert(nf <= 64);
    for (int g = 0; g < G; g++) {
        sw_explainer *ex;
        ck_assert_int_eq(sw_explainer_create_group(f, -1, g, &ex, &err), SW_OK);
        for (long r = 0; r < ns; r++) {
            ck_assert_int_eq(sw_explain_row(ex, sw_matrix_row(X, r), phi), SW_OK);
            const float *w = shap + ((size_t)r * (size_t)G + (size_t)g) * (size_t)(nf + 1);
            for (int j = 0; j < nf; j++)
                ck_assert_msg(fabs(phi[j] - w[j]) <= 2e-5 * (1 + fabs(w[j])), "%s group %d row %ld phi %d: %g vs %g",
                              kind, g, r, j, phi[j], (double)w[j]);
            ck_assert(fabs(sw_explainer_expected(ex) - w[nf]) <= 2e-5 * (1 + fabs(w[nf])));
        }
        sw_explainer_free(ex);
    }
    free(shap);
    if (G > 1) {
        sw_explainer *ex;
        ck_assert_int_eq(sw_explainer_create(f, -1, &ex, &err), SW_ARG);
    }
}

/* Written back by swish (JSON and UBJSON), the model reads in XGBoost itself
 * (tests/tools/SCRIPT --predict) with the same margins, and in swish with the
 * same output groups. */
static void check_written_back(const sw_forest *f, const sw_matrix *X, const char *dir, const char *kind,
                               const char *script)
{
    char path[800], path2[800], *out = NULL;
    sw_error err;
    int G = sw_forest_n_groups(f);
    long n = X->rows;
    for (int ub = 0; ub < 2; ub++) {
        snprintf(path, sizeof path, "%s/%s.back.%s", dir, kind, ub ? "ubj" : "json");
        ck_assert_msg(sw_model_save(f, path, &err) == SW_OK, "%s", err.msg);
        snprintf(path2, sizeof path2, "%s/%s.back.margin", dir, kind);
        int rc = tu_sh(&out, "/usr/bin/python3 tests/tools/%s --predict %s %s/rows.csv %s 2>&1", script, path, dir,
                       path2);
        ck_assert_msg(rc == 0, "%s --predict: %s", script, out);
        free(out);
        float *back = read_rows(path2, n, G);
        snprintf(path2, sizeof path2, "%s/%s.margin", dir, kind);
        float *want = read_rows(path2, n, G);
        ck_assert_msg(memcmp(back, want, sizeof(float) * (size_t)n * (size_t)G) == 0,
                      "%s written by swish: XGBoost's margins differ", kind);
        sw_forest *b;
        ck_assert_msg(sw_model_load(path, &b, &err) == SW_OK, "%s", err.msg);
        ck_assert_int_eq(sw_forest_n_groups(b), G);
        ck_assert_int_eq(sw_forest_objective(b), sw_forest_objective(f));
        sw_forest_free(b);
        free(back);
        free(want);
    }
}

/* Categorical splits (partition and one-hot) and multi-class models trained
 * by XGBoost 1.7.4: every path bit-exact with XGBoost's predictions, on
 * NaN-rich rows whose categorical columns also hold fractions, negatives,
 * huge and unseen values; TreeSHAP per class; written back by swish and read
 * by XGBoost itself with the same margins. */
START_TEST(categorical_multiclass_match_xgboost)
{
    const char *t = tu_tmpdir();
    char dir[600], path[700], path2[800];
    snprintf(dir, sizeof dir, "%s/catmulti", t);
    char *out = NULL;
    int rc = tu_sh(&out, "mkdir -p %s && /usr/bin/python3 tests/tools/xgb_catmulti.py %s 2>&1", dir, dir);
    ck_assert_msg(rc == 0, "xgb_catmulti.py: %s", out);
    free(out);
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    sw_table *tb;
    sw_error err;
    ck_assert_int_eq(sw_table_read_csv(path, NULL, &tb, &err), SW_OK);
    const char *names[8] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"};
    sw_matrix *X;
    ck_assert_int_eq(sw_matrix_from_table(tb, names, 8, &X, &err), SW_OK);
    sw_table_free(tb);
    long n = X->rows;
    ck_assert_int_eq(n, 4000);
    static const char *const kinds[] = {"cat", "cat8", "multi", "soft"}, *const exts[] = {"json", "ubj"};
    static const int groups[] = {1, 1, 4, 4};
    for (int m = 0; m < 4; m++)
        for (int e = 0; e < 2; e++) {
            snprintf(path, sizeof path, "%s/%s.%s", dir, kinds[m], exts[e]);
            sw_forest *f;
            ck_assert_msg(sw_model_load(path, &f, &err) == SW_OK, "%s", err.msg);
            ck_assert_int_eq(sw_forest_n_groups(f), groups[m]);
            ck_assert_int_eq(sw_forest_has_categorical(f), 1);
            for (int margin = 0; margin < 2; margin++) {
                ck_assert_int_eq(sw_forest_n_outputs(f, margin), m == 3 && !margin ? 1 : groups[m]);
                /* single rows: invalid categories (first 600 rows) and plain ones */
                check_group_outputs(f, X, dir, kinds[m], exts[e], margin);
            }
            int G = groups[m];
            check_group_shap(f, X, dir, kinds[m], 400);
            /* written back by swish (JSON and UBJSON): XGBoost reads it and gives the same margins */
            if (e == 0 && (m == 0 || m == 2)) {
                check_written_back(f, X, dir, kinds[m], "xgb_catmulti.py");
                /* a part of a round is refused for a multi-class model */
                if (G > 1) {
                    rc = tu_sh(&out, "%s predict --model %s/%s.json --input %s/rows.csv --trees 6 2>&1", tu_swish_bin(),
                               dir, kinds[m], dir);
                    ck_assert_msg(rc != 0 && strstr(out, "give a multiple of 4"), "%s", out);
                    free(out);
                }
                /* the CLI: a column per class, explanations suffixed by class */
                rc = tu_sh(&out, "%s predict --model %s/%s.json --input %s/rows.csv --explain | head -2", tu_swish_bin(),
                           dir, kinds[m], dir);
                ck_assert_int_eq(rc, 0);
                if (G > 1) {
                    const char *hdr = "prediction_0,prediction_1,prediction_2,prediction_3,expected_value_0,shap_f0_0,";
                    ck_assert_msg(!strncmp(out, hdr, strlen(hdr)), "%s", out);
                    ck_assert_ptr_nonnull(strstr(out, ",expected_value_3,shap_f0_3,"));
                    float p[4];
                    snprintf(path2, sizeof path2, "%s/%s.pred", dir, kinds[m]);
                    float *want = read_rows(path2, 1, 4);
                    ck_assert_int_eq(sscanf(strchr(out, '\n') + 1, "%f,%f,%f,%f", &p[0], &p[1], &p[2], &p[3]), 4);
                    ck_assert_msg(!memcmp(p, want, sizeof p), "CLI row 0: %.9g vs %.9g", (double)p[0], (double)want[0]);
                    free(want);
                } else {
                    ck_assert_msg(!strncmp(out, "prediction,expected_value,shap_f0,", strlen("prediction,expected_value,shap_f0,")),
                                  "%s", out);
                }
                free(out);
                snprintf(path, sizeof path, "%s/%s.swm", dir, kinds[m]);
                ck_assert_int_eq(sw_model_save(f, path, &err), SW_UNSUPPORTED);
                ck_assert_ptr_nonnull(strstr(err.msg, "XGBoost JSON"));
            }
            sw_forest_free(f);
        }
    sw_matrix_free(X);
}
END_TEST

/* txt with the first occurrence of from replaced by to (malloc'd). */
static char *subst(const char *txt, const char *from, const char *to)
{
    const char *at = strstr(txt, from);
    ck_assert_msg(at != NULL, "'%s' not found", from);
    size_t a = (size_t)(at - txt), fl = strlen(from), tl = strlen(to), len = strlen(txt);
    char *out = malloc(len - fl + tl + 1);
    memcpy(out, txt, a);
    memcpy(out + a, to, tl);
    memcpy(out + a + tl, at + fl, len - a - fl + 1);
    return out;
}

/* Multi-target models trained by XGBoost 1.7.4 (tests/tools/xgb_multitarget.py:
 * three regression targets at depth 6, two binary:logistic labels, two
 * targets at depth 9, and two with one base score per target as XGBoost 3.1
 * writes them), JSON and UBJSON: every path bit-exact with XGBoost's margins
 * and predictions on NaN-rich rows, TreeSHAP per target, written back by swish
 * and read by XGBoost with the same margins; the CLI writes a column per
 * target and refuses part of a round; base score lists that do not fit are
 * refused. */
START_TEST(multitarget_matches_xgboost)
{
    char dir[600], path[700];
    sw_matrix *X = xgb_rows("xgb_multitarget.py", "multitarget", dir, sizeof dir);
    ck_assert_int_eq(X->rows, 3000);
    static const char *const kinds[] = {"reg3", "logit2", "reg2d9", "reg3v", "logit2v"}, *const exts[] = {"json", "ubj"};
    static const int targets[] = {3, 2, 2, 3, 2}, trees[] = {60, 40, 20, 60, 40};
    static const sw_objective objs[] = {SW_OBJ_SQUAREDERROR, SW_OBJ_LOGISTIC, SW_OBJ_SQUAREDERROR,
                                        SW_OBJ_SQUAREDERROR, SW_OBJ_LOGISTIC};
    for (int m = 0; m < 5; m++)
        for (int e = 0; e < 2; e++) {
            snprintf(path, sizeof path, "%s/%s.%s", dir, kinds[m], exts[e]);
            sw_forest *f;
            sw_error err;
            ck_assert_msg(sw_model_load(path, &f, &err) == SW_OK, "%s", err.msg);
            ck_assert_int_eq(sw_forest_n_groups(f), targets[m]);
            ck_assert_int_eq(sw_forest_n_trees(f), trees[m]);
            ck_assert_int_eq(sw_forest_objective(f), objs[m]);
            ck_assert_int_eq(sw_forest_has_group_base_scores(f), m >= 3);
            if (m == 4) /* 0.35 and 0.6 as probabilities; their logits as margins */
                ck_assert(sw_forest_group_base_score(f, 1) == 0.6f && sw_forest_group_base_margin(f, 1) > 0.4f &&
                          sw_forest_group_base_margin(f, 0) < -0.6f);
            for (int margin = 0; margin < 2; margin++) {
                ck_assert_int_eq(sw_forest_n_outputs(f, margin), targets[m]);
                check_group_outputs(f, X, dir, kinds[m], exts[e], margin);
            }
            check_group_shap(f, X, dir, kinds[m], 300);
            if (e == 0) {
                check_written_back(f, X, dir, kinds[m], "xgb_multitarget.py");
                char *out = NULL;
                int rc = tu_sh(&out, "%s predict --model %s --input %s/rows.csv | head -2", tu_swish_bin(), path, dir);
                ck_assert_int_eq(rc, 0);
                const char *hdr = targets[m] == 3 ? "prediction_0,prediction_1,prediction_2\n" : "prediction_0,prediction_1\n";
                ck_assert_msg(!strncmp(out, hdr, strlen(hdr)), "%s", out);
                free(out);
                rc = tu_sh(&out, "%s predict --model %s --input %s/rows.csv --trees %d 2>&1", tu_swish_bin(), path, dir,
                           targets[m] + 1);
                ck_assert_msg(rc != 0 && strstr(out, "-target model adds"), "%s", out);
                free(out);
                rc = tu_sh(&out, "%s model info %s --json", tu_swish_bin(), path);
                ck_assert_int_eq(rc, 0);
                char want[64];
                snprintf(want, sizeof want, "\"targets\": %d", targets[m]);
                ck_assert_msg(strstr(out, "\"classes\": 1") && strstr(out, want), "%s", out);
                ck_assert_msg(!strstr(out, "\"base_score\": null") == (m < 3), "%s", out);
                const char *bsv = strstr(out, "\"base_scores\": [");
                ck_assert_msg(bsv && (m != 4 || (strstr(bsv, "0.35,") && strstr(bsv, "0.6\n"))), "%s", out);
                free(out);
            }
            sw_forest_free(f);
        }
    /* base score lists that do not fit the model */
    snprintf(path, sizeof path, "%s/reg3v.json", dir);
    size_t len;
    char *txt = tu_slurp(path, &len);
    ck_assert_ptr_nonnull(txt);
    const char *bs = strstr(txt, "\"base_score\": \"[");
    ck_assert_ptr_nonnull(bs);
    const char *q = strchr(bs + 15, '"');
    char from[200];
    snprintf(from, sizeof from, "%.*s", (int)(q - bs + 1), bs);
    static const struct {
        const char *to, *want;
        int rc;
    } cases[] = {
        {"\"base_score\": \"[2E1,7E0]\"", "2 values for 3 outputs", SW_FORMAT},
        {"\"base_score\": \"[2E1,7E0,5E0,1E0]\"", "4 values for 3 outputs", SW_FORMAT},
        {"\"base_score\": \"[2E1,x,5E0]\"", "invalid base_score 'x'", SW_PARSE},
        {"\"base_score\": \"[2E1,,5E0]\"", "invalid base_score ''", SW_PARSE},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *bad = subst(txt, from, cases[k].to);
        sw_forest *f = NULL;
        sw_error err;
        int rc = sw_xgb_read_json("bad.json", bad, strlen(bad), &f, &err);
        ck_assert_msg(rc == cases[k].rc && strstr(err.msg, cases[k].want), "case %zu: %d %s", k, rc, err.msg);
        ck_assert_ptr_null(f);
        free(bad);
    }
    /* one base score per class: refused until checked against XGBoost 3.1 */
    char *a = subst(txt, "\"num_class\": \"0\"", "\"num_class\": \"3\""), *b = subst(a, "\"num_target\": \"3\"", "\"num_target\": \"1\""),
         *c = subst(b, "\"reg:squarederror\"", "\"multi:softprob\"");
    sw_forest *f = NULL;
    sw_error err;
    ck_assert_int_eq(sw_xgb_read_json("bad.json", c, strlen(c), &f, &err), SW_UNSUPPORTED);
    ck_assert_msg(strstr(err.msg, "3 values, one per class of multi:softprob"), "%s", err.msg);
    /* the same with one base score: read */
    char *d = subst(c, from, "\"base_score\": \"[5E-1]\"");
    ck_assert_int_eq(sw_xgb_read_json("ok.json", d, strlen(d), &f, &err), SW_OK);
    ck_assert_int_eq(sw_forest_n_groups(f), 3);
    sw_forest_free(f);
    free(a);
    free(b);
    free(c);
    free(d);
    free(txt);
    sw_matrix_free(X);
}
END_TEST

/* Models saved by XGBoost 1.7.4 in its legacy binary format
 * (tests/tools/xgb_legacy.py: regression with a best iteration and an eval
 * metric, logistic with pruned trees, multi-class, DART, tweedie, poisson, a
 * forest of parallel trees, two targets, DART of no round, and one without
 * the "binf" in front): every path bit-exact with XGBoost's margins and
 * predictions on NaN-rich rows, the same forest as the booster saved as JSON,
 * and written back (sw_model_save, and `swish model convert` from legacy to
 * JSON) read by XGBoost with the same margins.  gblinear, every truncation,
 * trailing bytes, a hostile node count and a file from before 1.0 are refused
 * with a message. */
START_TEST(legacy_binary_matches_xgboost)
{
    char dir[600], path[700];
    sw_matrix *X = xgb_rows("xgb_legacy.py", "legacy", dir, sizeof dir);
    ck_assert_int_eq(X->rows, 2500);
    static const char *const kinds[] = {"reg",    "logit",  "multi",   "dart",  "tweedie",
                                        "poisson", "forest", "targets", "dart0", "bare"};
    long n = X->rows;
    for (int m = 0; m < 10; m++) {
        snprintf(path, sizeof path, "%s/%s.model", dir, kinds[m]);
        sw_forest *f, *j;
        sw_error err;
        ck_assert_msg(sw_model_load(path, &f, &err) == SW_OK, "%s: %s", kinds[m], err.msg);
        ck_assert_str_eq(sw_forest_source_format(f), "xgboost-legacy");
        ck_assert_str_eq(sw_forest_source_version(f), "1.7");
        snprintf(path, sizeof path, "%s/%s.info", dir, kinds[m]);
        int classes, trees, best;
        FILE *fp = fopen(path, "r");
        ck_assert_int_eq(fscanf(fp, "%d %d %d", &classes, &trees, &best), 3);
        fclose(fp);
        ck_assert_int_eq(sw_forest_n_groups(f), classes);
        ck_assert_int_eq(sw_forest_n_trees(f), trees);
        ck_assert_int_eq(sw_forest_best_iteration(f), best);
        for (int margin = 0; margin < 2; margin++) check_group_outputs(f, X, dir, kinds[m], "model", margin);
        /* the booster saved as JSON: the same forest */
        snprintf(path, sizeof path, "%s/%s.json", dir, m == 9 ? "reg" : kinds[m]);
        ck_assert_msg(sw_model_load(path, &j, &err) == SW_OK, "%s", err.msg);
        ck_assert_int_eq(sw_forest_objective(j), sw_forest_objective(f));
        ck_assert(sw_forest_objective_param(j) == sw_forest_objective_param(f) ||
                  (isnan(sw_forest_objective_param(j)) && isnan(sw_forest_objective_param(f))));
        /* the objective's parameter as trained (written back as read): scale_pos_weight 2, tweedie 1.3,
         * Poisson's default 0.7 */
        if (m == 1 || m == 4 || m == 5)
            ck_assert_msg(sw_forest_objective_param(f) == (double)(m == 1 ? 2.0f : m == 4 ? 1.3f : 0.7f), "%s: %g",
                          kinds[m], sw_forest_objective_param(f));
        int no = sw_forest_n_outputs(f, 0);
        double *a = malloc(sizeof(double) * (size_t)n * (size_t)no), *b = malloc(sizeof(double) * (size_t)n * (size_t)no);
        sw_forest_predict_ref(f, X->data, n, X->cols, -1, 0, a);
        sw_forest_predict_ref(j, X->data, n, X->cols, -1, 0, b);
        ck_assert_msg(!memcmp(a, b, sizeof(double) * (size_t)n * (size_t)no), "%s: legacy and JSON differ", kinds[m]);
        free(a);
        free(b);
        sw_forest_free(j);
        /* written as XGBoost JSON and UBJSON: XGBoost reads the same margins */
        if (m <= 4 || m == 6 || m == 7) check_written_back(f, X, dir, kinds[m], "xgb_multitarget.py");
        if (m == 1 || m == 4) { /* as XGBoost writes them, not the defaults 1 and 1.5 */
            snprintf(path, sizeof path, "%s/%s.back.json", dir, kinds[m]);
            size_t bl;
            char *back = tu_slurp(path, &bl);
            const char *want = m == 1 ? "\"scale_pos_weight\":\"2\"" : "\"tweedie_variance_power\":\"1.29999995\"";
            ck_assert_msg(back && strstr(back, want), "%s: no %s", kinds[m], want);
            free(back);
        }
        sw_forest_free(f);
    }
    /* swish model convert: legacy to JSON, which XGBoost reads with the same margins */
    char *out = NULL;
    int rc = tu_sh(&out, "%s model convert %s/logit.model %s/logit.conv.json && /usr/bin/python3 "
                   "tests/tools/xgb_multitarget.py --predict %s/logit.conv.json %s/rows.csv %s/logit.conv.margin 2>&1",
                   tu_swish_bin(), dir, dir, dir, dir, dir);
    ck_assert_msg(rc == 0 && strstr(out, "(xgboost-legacy, 30 trees) ->"), "%s", out);
    free(out);
    snprintf(path, sizeof path, "%s/logit.conv.margin", dir);
    float *conv = read_rows(path, n, 1);
    snprintf(path, sizeof path, "%s/logit.margin", dir);
    float *orig = read_rows(path, n, 1);
    ck_assert_msg(!memcmp(conv, orig, sizeof(float) * (size_t)n), "converted model: XGBoost's margins differ");
    free(conv);
    free(orig);
    /* the legacy file names no features: neither does the converted one (XGBoost
     * then takes unnamed data), nor a .swm on the way */
    snprintf(path, sizeof path, "%s/logit.conv.json", dir);
    char *conv_text = tu_slurp(path, NULL);
    ck_assert_msg(strstr(conv_text, "\"feature_names\":[]") && strstr(conv_text, "\"feature_types\":[]"), "%.300s",
                  conv_text);
    free(conv_text);
    rc = tu_sh(&out, "%s model convert %s/logit.conv.json %s/logit.swm && %s model convert %s/logit.swm %s/logit.swm.json"
                     " && %s model info --json %s/logit.swm.json && %s model info %s/logit.model",
               tu_swish_bin(), dir, dir, tu_swish_bin(), dir, dir, tu_swish_bin(), dir, tu_swish_bin(), dir);
    ck_assert_msg(rc == 0 && strstr(out, "\"features_named\": false") && strstr(out, "not named in the file"), "%s", out);
    free(out);
    rc = tu_sh(&out, "%s model convert %s/multi.model %s/multi.cbm 2>&1", tu_swish_bin(), dir, dir);
    ck_assert_msg(rc == 6 && strstr(out, "multi.cbm"), "%d %s", rc, out);
    free(out);
    /* the file names no features: a CSV whose columns are named otherwise is refused, saying how to name them */
    rc = tu_sh(&out, "sed '1s/f/g/g' %s/rows.csv > %s/rows_g.csv && %s predict --model %s/logit.model --input %s/rows_g.csv 2>&1",
               dir, dir, tu_swish_bin(), dir, dir);
    ck_assert_msg(rc == 7 && strstr(out, "missing columns: f0") && strstr(out, "names no features: name the columns f0"), "%d %s",
                  rc, out);
    free(out);
    /* the CLI reads it by content, whatever the name */
    rc = tu_sh(&out, "%s model info %s/logit.model --json", tu_swish_bin(), dir);
    ck_assert_msg(rc == 0 && strstr(out, "\"format\": \"xgboost-legacy\""), "%s", out);
    free(out);
    rc = tu_sh(&out, "%s predict --model %s/logit.model --input %s/rows.csv | sed -n 2p", tu_swish_bin(), dir, dir);
    ck_assert_int_eq(rc, 0);
    snprintf(path, sizeof path, "%s/logit.pred", dir);
    float *want = read_rows(path, 1, 1), got;
    ck_assert_int_eq(sscanf(out, "%f", &got), 1);
    ck_assert_msg(got == want[0], "CLI row 0: %.9g vs %.9g", (double)got, (double)want[0]);
    free(want);
    free(out);
    /* refused: gblinear, every truncation, trailing bytes, a hostile node count */
    sw_forest *f = NULL;
    sw_error err;
    snprintf(path, sizeof path, "%s/linear.model", dir);
    ck_assert_int_eq(sw_model_load(path, &f, &err), SW_UNSUPPORTED);
    ck_assert_msg(strstr(err.msg, "gblinear"), "%s", err.msg);
    snprintf(path, sizeof path, "%s/logit.model", dir);
    size_t len;
    unsigned char *raw = (unsigned char *)tu_slurp(path, &len), *buf = malloc(len + 1);
    memcpy(buf, raw, len);
    for (size_t cut = 0; cut < len; cut += cut < 400 ? 1 : 37) {
        ck_assert_msg(sw_model_read("cut.model", buf, cut, &f, &err) != SW_OK, "cut at %zu accepted", cut);
        ck_assert_ptr_null(f);
        ck_assert(err.msg[0]);
    }
    buf[len] = 0;
    ck_assert_int_eq(sw_model_read("long.model", buf, len + 1, &f, &err), SW_FORMAT);
    ck_assert_msg(strstr(err.msg, "1 bytes after the model") && err.offset == (long long)len, "%s", err.msg);
    /* tree 0's node count: after "binf", the learner block, the two names and the booster block */
    size_t at = 4 + 136 + 8 + raw[4 + 136];
    at += 8 + raw[at] + 160 + 4;
    buf[at] = buf[at + 1] = buf[at + 2] = 0xff;
    buf[at + 3] = 0x7f;
    ck_assert_int_eq(sw_model_read("nodes.model", buf, len, &f, &err), SW_FORMAT);
    ck_assert_msg(strstr(err.msg, "tree 0 has 2147483647 nodes") && err.offset == (long long)at, "%s", err.msg);
    /* written before 1.0 (version fields zero): refused, not guessed */
    memcpy(buf, raw, len);
    memset(buf + 4 + 20, 0, 8);
    ck_assert_int_eq(sw_model_read("old.model", buf, len, &f, &err), SW_UNSUPPORTED);
    ck_assert_msg(strstr(err.msg, "saved by version 0.0: only 1.6's and 1.7's are read") && err.offset == 24, "%s",
                  err.msg);
    free(buf);
    free(raw);
    sw_matrix_free(X);
}
END_TEST

/* Hostile categorical and multi-class fields are refused with the tree named. */
START_TEST(categorical_multiclass_bad_input)
{
    const char *t = tu_tmpdir();
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/catmulti", t);
    char *out = NULL;
    snprintf(path, sizeof path, "%s/cat.json", dir);
    FILE *probe = fopen(path, "r");
    if (!probe) {
        int rc = tu_sh(&out, "mkdir -p %s && /usr/bin/python3 tests/tools/xgb_catmulti.py %s 2>&1", dir, dir);
        ck_assert_msg(rc == 0, "xgb_catmulti.py: %s", out);
        free(out);
    } else {
        fclose(probe);
    }
    static const struct {
        const char *model, *from, *to, *want;
    } cases[] = {
        /* a "from" ending in '[' replaces the number after it */
        {"cat", "\"categories_sizes\":[", "\"categories_sizes\":[99999", "outside the tree's"},
        {"cat", "\"categories_sizes\":[", "\"categories_sizes\":[0", "outside the tree's"},
        {"cat", "\"categories\":[", "\"categories\":[-3", "category -3"},
        {"cat", "\"split_type\":[1", "\"split_type\":[0", "categories for a split that is not categorical"},
        {"multi", "\"tree_info\":[0,1,2,3", "\"tree_info\":[0,1,2,7", "tree_info 7 outside 0..3"},
        {"multi", "\"num_class\":\"4\"", "\"num_class\":\"1\"", "needs num_class >= 2"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        snprintf(path, sizeof path, "%s/%s.json", dir, cases[k].model);
        size_t len;
        char *txt = tu_slurp(path, &len);
        ck_assert_ptr_nonnull(txt);
        char *at = strstr(txt, cases[k].from);
        ck_assert_msg(at != NULL, "case %zu: '%s' not in %s", k, cases[k].from, path);
        size_t fl = strlen(cases[k].from), tl = strlen(cases[k].to);
        if (cases[k].from[fl - 1] == '[')
            while (at[fl] >= '0' && at[fl] <= '9') fl++;
        char *bad = malloc(len + tl + 1);
        memcpy(bad, txt, (size_t)(at - txt));
        memcpy(bad + (at - txt), cases[k].to, tl);
        memcpy(bad + (at - txt) + tl, at + fl, len - (size_t)(at - txt) - fl);
        size_t bl = len - fl + tl;
        sw_forest *f = NULL;
        sw_error err;
        int rc = sw_xgb_read_json("bad.json", bad, bl, &f, &err);
        ck_assert_msg(rc == SW_FORMAT, "case %zu: rc %d (%s)", k, rc, rc ? err.msg : "");
        ck_assert_msg(strstr(err.msg, cases[k].want) != NULL, "case %zu: '%s'", k, err.msg);
        ck_assert_ptr_null(f);
        free(bad);
        free(txt);
    }
}
END_TEST

START_TEST(isa_selection)
{
    ck_assert(sw_isa_supported(SW_ISA_SCALAR));
    sw_forest *f = tm_binary_forest(SW_OBJ_SQUAREDERROR);
    sw_scorer *s;
    sw_error err;
    setenv("SW_FORCE_ISA", "scalar", 1);
    ck_assert_int_eq(sw_scorer_create(f, -1, SW_ISA_AUTO, &s, &err), SW_OK);
    ck_assert_int_eq(sw_scorer_isa(s), SW_ISA_SCALAR);
    sw_scorer_free(s);
    setenv("SW_FORCE_ISA", "bogus", 1);
    ck_assert_int_eq(sw_scorer_create(f, -1, SW_ISA_AUTO, &s, &err), SW_ARG);
    ck_assert_ptr_nonnull(strstr(err.msg, "SW_FORCE_ISA"));
    unsetenv("SW_FORCE_ISA");
    ck_assert_int_eq(sw_scorer_create(f, -1, SW_ISA_AUTO, &s, &err), SW_OK);
    ck_assert_int_eq(sw_scorer_isa(s), sw_isa_best());
    sw_scorer_free(s);
    sw_forest_free(f);
}
END_TEST

Suite *score_suite(void)
{
    list_models();
    Suite *s = suite_create("score");
    TCase *tc = tcase_create("score");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, variants_match_crosscheck, 0, (n_models ? n_models : 1) * 3);
    tcase_add_test(tc, variants_match_reference);
    tcase_add_test(tc, wide_features_match_reference);
    tcase_add_test(tc, dart_matches_xgboost);
    tcase_add_test(tc, shapes_match_xgboost);
    tcase_add_test(tc, scored_objectives_match_xgboost);
    tcase_add_test(tc, many_features_match_reference);
    tcase_add_test(tc, readers_and_scorer_survive_allocation_failures);
    tcase_add_test(tc, deep_trees_match_reference);
    tcase_add_test(tc, deep_irregular_trees_match_reference);
    tcase_add_test(tc, categorical_multiclass_match_xgboost);
    tcase_add_test(tc, multitarget_matches_xgboost);
    tcase_add_test(tc, legacy_binary_matches_xgboost);
    tcase_add_test(tc, categorical_multiclass_bad_input);
    tcase_add_test(tc, isa_selection);
    suite_add_tcase(s, tc);
    return s;
}
