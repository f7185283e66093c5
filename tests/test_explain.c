/* test_explain: TreeSHAP.
 *
 * Oracles: brute-force Shapley values (every coalition, the same
 * path-dependent conditional expectation) on random small forests of both
 * kinds, with NaNs, repeated features on a path and zero-weight leaves;
 * additivity (expected + sum of contributions = the margin) on the real
 * XGBoost and CatBoost models; XGBoost 1.7.4's own pred_contribs on a real
 * XGBoost model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/csv.h"
#include "core/matrix.h"
#include "gbdt/explain.h"
#include "io/model.h"
#include "testutil.h"

static unsigned g_seed;
static double urand(void)
{
    g_seed = g_seed * 1664525u + 1013904223u;
    return (g_seed >> 8) / 16777216.0;
}

/* ---- brute force: v(S) = E[f(x) | x_S] by cover-weighted descent ---- */

static double cond_binary(const sw_binary_tree_view *v, int n, const float *x, unsigned S)
{
    if (v->left[n] < 0) return v->value[n];
    int f = v->feature[n];
    if (S >> f & 1) {
        float xv = x[f];
        int left = isnan(xv) ? v->default_left[n] : xv < v->value[n];
        return cond_binary(v, left ? v->left[n] : v->right[n], x, S);
    }
    double cl = v->cover[v->left[n]], cr = v->cover[v->right[n]];
    return (cl * cond_binary(v, v->left[n], x, S) + cr * cond_binary(v, v->right[n], x, S)) / (cl + cr);
}

/* Oblivious: descent level by level in CatBoost's split order (level 0 first);
 * a node's cover is the weight of the leaves under its prefix. */
static double obl_cover(const sw_oblivious_tree_view *v, int level, unsigned prefix)
{
    double c = 0;
    for (int leaf = 0; leaf < 1 << v->depth; leaf++)
        if ((leaf & ((1u << level) - 1)) == prefix) c += v->leaf_weights[leaf];
    return c;
}

static double cond_oblivious(const sw_oblivious_tree_view *v, const sw_forest *f, const float *x, unsigned S,
                             int level, unsigned prefix)
{
    if (level == v->depth) return v->leaves[prefix];
    int feat = v->feature[level];
    if (S >> feat & 1) {
        float xv = x[feat];
        if (isnan(xv)) {
            sw_nan_mode m = sw_forest_nan_mode(f, feat);
            xv = m == SW_NAN_ASTRUE ? INFINITY : m == SW_NAN_ASFALSE ? -INFINITY : xv;
        }
        unsigned bit = xv > v->border[level];
        return cond_oblivious(v, f, x, S, level + 1, prefix | bit << level);
    }
    double c0 = obl_cover(v, level + 1, prefix), c1 = obl_cover(v, level + 1, prefix | 1u << level);
    if (c0 + c1 <= 0) return 0;
    double a = c0 > 0 ? cond_oblivious(v, f, x, S, level + 1, prefix) : 0;
    double b = c1 > 0 ? cond_oblivious(v, f, x, S, level + 1, prefix | 1u << level) : 0;
    return (c0 * a + c1 * b) / (c0 + c1);
}

static double value_of(const sw_forest *f, const float *x, unsigned S)
{
    double s = sw_forest_kind(f) == SW_TREES_BINARY ? sw_forest_base_margin(f) : sw_forest_bias(f);
    for (int t = 0; t < sw_forest_n_trees(f); t++) {
        if (sw_forest_kind(f) == SW_TREES_BINARY) {
            sw_binary_tree_view v;
            sw_forest_binary_tree(f, t, &v);
            s += cond_binary(&v, 0, x, S);
        } else {
            sw_oblivious_tree_view v;
            sw_forest_oblivious_tree(f, t, &v);
            s += sw_forest_scale(f) * cond_oblivious(&v, f, x, S, 0, 0);
        }
    }
    return s;
}

static void brute_shap(const sw_forest *f, const float *x, int M, double *phi)
{
    double fact[16] = {1};
    for (int i = 1; i < 16; i++) fact[i] = fact[i - 1] * i;
    for (int i = 0; i < M; i++) {
        phi[i] = 0;
        for (unsigned S = 0; S < 1u << M; S++) {
            if (S >> i & 1) continue;
            int s = __builtin_popcount(S);
            double w = fact[s] * fact[M - s - 1] / fact[M];
            phi[i] += w * (value_of(f, x, S | 1u << i) - value_of(f, x, S));
        }
    }
}

/* A random binary tree of the given depth over M features (features may repeat on a path). */
static int gen_binary(int depth, int M, int32_t *l, int32_t *r, int32_t *ft, float *thr, uint8_t *dl, float *leaf,
                      float *cover, int *n, float c)
{
    int me = (*n)++;
    cover[me] = c;
    if (depth == 0 || urand() < 0.15) {
        l[me] = r[me] = -1;
        ft[me] = 0;
        thr[me] = 0;
        dl[me] = 0;
        leaf[me] = (float)(urand() * 4 - 2);
        return me;
    }
    ft[me] = (int32_t)(urand() * M);
    thr[me] = (float)(urand() * 2 - 1);
    dl[me] = urand() < 0.5;
    leaf[me] = 0;
    /* integer covers, so a node's cover is exactly the sum of its children's */
    float cl = c >= 2 ? floorf(c * (float)(0.1 + 0.8 * urand())) : 0;
    if (c >= 2 && cl < 1) cl = 1;
    l[me] = gen_binary(depth - 1, M, l, r, ft, thr, dl, leaf, cover, n, cl);
    r[me] = gen_binary(depth - 1, M, l, r, ft, thr, dl, leaf, cover, n, c - cl);
    return me;
}

static void check_rows(const sw_forest *f, int M)
{
    sw_explainer *e;
    sw_error err;
    ck_assert_int_eq(sw_explainer_create(f, -1, &e, &err), SW_OK);
    double phi[16], want[16];
    float x[16];
    for (int row = 0; row < 40; row++) {
        for (int j = 0; j < M; j++) x[j] = urand() < 0.15 ? NAN : (float)(urand() * 2.4 - 1.2);
        ck_assert_int_eq(sw_explain_row(e, x, phi), SW_OK);
        brute_shap(f, x, M, want);
        double sum = sw_explainer_expected(e);
        for (int j = 0; j < M; j++) {
            ck_assert_msg(fabs(phi[j] - want[j]) < 1e-9 * (1 + fabs(want[j])), "row %d feature %d: %.12g vs %.12g", row,
                          j, phi[j], want[j]);
            sum += phi[j];
        }
        ck_assert_double_eq_tol(value_of(f, x, 0), sw_explainer_expected(e), 1e-9);
        ck_assert_double_eq_tol(sum, sw_forest_predict_row_ref(f, x, -1, 1), 1e-5);
    }
    sw_explainer_free(e);
}

START_TEST(shap_binary_brute_force)
{
    g_seed = 7;
    for (int rep = 0; rep < 12; rep++) {
        int M = 2 + rep % 5;
        sw_forest *f = sw_forest_create(SW_TREES_BINARY, M);
        sw_forest_set_base_score(f, 0.5f, 0.5f);
        for (int t = 0; t < 3; t++) {
            int32_t l[256], r[256], ft[256];
            float thr[256], leaf[256], cover[256], gain[256] = {0};
            uint8_t dl[256];
            int n = 0;
            gen_binary(2 + rep % 4, M, l, r, ft, thr, dl, leaf, cover, &n, 1000);
            sw_binary_tree_in in = {n, l, r, ft, thr, dl, leaf, cover, gain, NULL, NULL, NULL};
            sw_error err;
            ck_assert_int_eq(sw_forest_add_binary(f, &in, &err), SW_OK);
        }
        check_rows(f, M);
        sw_forest_free(f);
    }
}
END_TEST

/* A chain of the given depth: at each node one child is a leaf (covers as gen_binary's). */
static int gen_chain(int depth, int M, int32_t *l, int32_t *r, int32_t *ft, float *thr, uint8_t *dl, float *leaf,
                     float *cover, int *n, float c)
{
    if (depth == 0 || c < 2) return gen_binary(0, M, l, r, ft, thr, dl, leaf, cover, n, c);
    int me = (*n)++;
    cover[me] = c;
    ft[me] = (int32_t)(urand() * M);
    thr[me] = (float)(urand() * 2 - 1);
    dl[me] = urand() < 0.5;
    leaf[me] = 0;
    float cl = floorf(c * (float)(0.05 + 0.2 * urand()));
    if (cl < 1) cl = 1;
    int go_left = urand() < 0.5;
    l[me] = go_left ? gen_chain(depth - 1, M, l, r, ft, thr, dl, leaf, cover, n, c - cl)
                    : gen_binary(0, M, l, r, ft, thr, dl, leaf, cover, n, cl);
    r[me] = go_left ? gen_binary(0, M, l, r, ft, thr, dl, leaf, cover, n, cl)
                    : gen_chain(depth - 1, M, l, r, ft, thr, dl, leaf, cover, n, c - cl);
    return me;
}

/* Deeper paths than shap_binary_brute_force's take the explainer's other two
 * ways: depth-8 trees over 10 features (paths of 7 to 8 distinct features: the
 * leaf polynomials, not the tables) and a chain 30 nodes deep (past the leaf
 * paths' 24: the recursive algorithm), beside a depth-4 tree (a table), all
 * against brute force. */
START_TEST(shap_deep_paths_brute_force)
{
    g_seed = 23;
    for (int rep = 0; rep < 3; rep++) {
        int M = 10;
        sw_forest *f = sw_forest_create(SW_TREES_BINARY, M);
        sw_forest_set_base_score(f, 0.5f, 0.5f);
        for (int t = 0; t < 4; t++) {
            enum { CAP = 1024 };
            int32_t l[CAP], r[CAP], ft[CAP];
            float thr[CAP], leaf[CAP], cover[CAP], gain[CAP] = {0};
            uint8_t dl[CAP];
            int n = 0;
            if (t == 3) gen_chain(30, M, l, r, ft, thr, dl, leaf, cover, &n, 1e6f);
            else gen_binary(t == 2 ? 4 : 8, M, l, r, ft, thr, dl, leaf, cover, &n, 1e6f);
            ck_assert_int_le(n, CAP);
            sw_binary_tree_in in = {n, l, r, ft, thr, dl, leaf, cover, gain, NULL, NULL, NULL};
            sw_error err;
            ck_assert_int_eq(sw_forest_add_binary(f, &in, &err), SW_OK);
            if (t == 3) ck_assert_int_ge(sw_forest_tree_depth(f, 3), 25);
            if (t == 0) ck_assert_int_ge(sw_forest_tree_depth(f, 0), 7);
        }
        check_rows(f, M);
        sw_forest_free(f);
    }
}
END_TEST

START_TEST(shap_oblivious_brute_force)
{
    g_seed = 11;
    for (int rep = 0; rep < 10; rep++) {
        int M = 2 + rep % 5;
        sw_forest *f = sw_forest_create(SW_TREES_OBLIVIOUS, M);
        sw_error err;
        ck_assert_int_eq(sw_forest_set_nan_mode(f, 0, SW_NAN_ASTRUE, &err), SW_OK);
        if (M > 1) ck_assert_int_eq(sw_forest_set_nan_mode(f, 1, SW_NAN_ASFALSE, &err), SW_OK);
        sw_forest_set_scale_bias(f, rep % 2 ? 1.5 : 1.0, 0.25);
        for (int t = 0; t < 3; t++) {
            int depth = 1 + (rep + t) % 4;
            int32_t ft[8];
            float border[8];
            double leaves[16], weights[16];
            for (int d = 0; d < depth; d++) {
                ft[d] = (int32_t)(urand() * M);
                border[d] = (float)(urand() * 2 - 1);
            }
            for (int k = 0; k < 1 << depth; k++) {
                leaves[k] = urand() * 4 - 2;
                weights[k] = urand() < 0.2 ? 0 : 1 + floor(urand() * 50); /* some empty leaves */
            }
            weights[0] = 3;
            ck_assert_int_eq(sw_forest_add_oblivious(f, depth, ft, border, leaves, weights, &err), SW_OK);
        }
        check_rows(f, M);
        sw_forest_free(f);
    }
}
END_TEST

static sw_matrix *crosscheck_inputs(const char *kind, const char *name, const sw_forest *f)
{
    char path[512], rel[300];
    snprintf(rel, sizeof rel, "crosscheck/%s/%s/inputs.csv", kind, name);
    tu_shared_path(path, sizeof path, rel);
    sw_table *t;
    sw_error err;
    ck_assert_msg(sw_table_read_csv(path, NULL, &t, &err) == SW_OK, "%s", err.msg);
    const char *names[128];
    for (int i = 0; i < sw_forest_n_features(f); i++) names[i] = sw_forest_feature_name(f, i);
    sw_matrix *X;
    ck_assert_msg(sw_matrix_from_table(t, names, sw_forest_n_features(f), &X, &err) == SW_OK, "%s", err.msg);
    sw_table_free(t);
    return X;
}

START_TEST(shap_real_models_additive)
{
    static const struct {
        const char *kind, *name, *file;
    } m[] = {{"xgboost", "xgboost_v7_31features_20260108_204724", "models/xgboost_v7_31features_20260108_204724.json"},
             {"catboost", "catboost_v8_33features_20260108_211817", "models/catboost_v8_33features_20260108_211817.cbm"}};
    for (int k = 0; k < 2; k++) {
        char path[512];
        tu_shared_path(path, sizeof path, m[k].file);
        sw_forest *f;
        sw_error err;
        ck_assert_int_eq(sw_model_load(path, &f, &err), SW_OK);
        sw_matrix *X = crosscheck_inputs(m[k].kind, m[k].name, f);
        sw_explainer *e;
        ck_assert_msg(sw_explainer_create(f, -1, &e, &err) == SW_OK, "%s", err.msg);
        double *phi = malloc(sizeof(double) * (size_t)X->cols);
        long rows = X->rows < 200 ? X->rows : 200;
        double *all = malloc(sizeof(double) * (size_t)rows * (size_t)X->cols);
        for (long r = 0; r < rows; r++) {
            ck_assert_int_eq(sw_explain_row(e, sw_matrix_row(X, r), phi), SW_OK);
            memcpy(all + (size_t)r * (size_t)X->cols, phi, sizeof(double) * (size_t)X->cols);
            double s = sw_explainer_expected(e);
            for (int j = 0; j < X->cols; j++) s += phi[j];
            double want = sw_forest_predict_row_ref(f, sw_matrix_row(X, r), -1, 1);
            ck_assert_msg(fabs(s - want) < 1e-4 * (1 + fabs(want)), "%s row %ld: %.9g vs %.9g", m[k].name, r, s, want);
        }
        /* many rows at once (by blocks of rows, tree by tree, on 1 to 3 threads): each row's bits as alone */
        double *many = malloc(sizeof(double) * (size_t)rows * (size_t)X->cols);
        for (int th = 1; th <= 3; th++) {
            long n = rows - 13; /* not a whole number of blocks */
            memset(many, 0xff, sizeof(double) * (size_t)rows * (size_t)X->cols);
            ck_assert_int_eq(sw_explain_rows(e, X->data, n, X->cols, th, many, X->cols), SW_OK);
            ck_assert_msg(memcmp(many, all, sizeof(double) * (size_t)n * (size_t)X->cols) == 0, "%s, %d threads",
                          m[k].name, th);
        }
        free(many);
        free(all);
        free(phi);
        sw_explainer_free(e);
        sw_matrix_free(X);
        sw_forest_free(f);
    }
}
END_TEST

START_TEST(shap_matches_xgboost)
{
    char model[512];
    tu_shared_path(model, sizeof model, "models/xgboost_v7_31features_20260108_204724.json");
    sw_forest *f;
    sw_error err;
    ck_assert_int_eq(sw_model_load(model, &f, &err), SW_OK);
    sw_matrix *X = crosscheck_inputs("xgboost", "xgboost_v7_31features_20260108_204724", f);
    long rows = X->rows < 50 ? X->rows : 50;
    /* the rows in model order, for XGBoost */
    char in[600], out[600];
    snprintf(in, sizeof in, "%s/shap_in.csv", tu_tmpdir());
    snprintf(out, sizeof out, "%s/shap_out.csv", tu_tmpdir());
    FILE *fp = fopen(in, "w");
    for (int j = 0; j < X->cols; j++) fprintf(fp, "%s%s", j ? "," : "", sw_forest_feature_name(f, j));
    fputc('\n', fp);
    for (long r = 0; r < rows; r++)
        for (int j = 0; j < X->cols; j++) {
            float v = sw_matrix_get(X, r, j);
            if (isnan(v)) fprintf(fp, "%s", j ? "," : "");
            else fprintf(fp, "%s%.9g", j ? "," : "", v);
            if (j == X->cols - 1) fputc('\n', fp);
        }
    fclose(fp);
    char *o = NULL, cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/tools/xgb_contribs.py %s %s %s", model, in, out);
    int rc = tu_run(cmd, &o);
    ck_assert_msg(rc == 0, "%s", o);
    free(o);
    sw_table *t;
    ck_assert_int_eq(sw_table_read_csv(out, NULL, &t, &err), SW_OK);
    sw_explainer *e;
    ck_assert_int_eq(sw_explainer_create(f, -1, &e, &err), SW_OK);
    double *phi = malloc(sizeof(double) * (size_t)X->cols);
    const char *cols[129];
    for (int j = 0; j < X->cols; j++) cols[j] = sw_forest_feature_name(f, j);
    cols[X->cols] = "bias";
    sw_matrix *want;
    ck_assert_msg(sw_matrix_from_table(t, cols, X->cols + 1, &want, &err) == SW_OK, "%s", err.msg);
    for (long r = 0; r < rows; r++) {
        ck_assert_int_eq(sw_explain_row(e, sw_matrix_row(X, r), phi), SW_OK);
        for (int j = 0; j < X->cols; j++)
            ck_assert_msg(fabs(phi[j] - sw_matrix_get(want, r, j)) < 2e-4, "row %ld %s: swish %.7g, XGBoost %.7g", r,
                          cols[j], phi[j], sw_matrix_get(want, r, j));
        /* XGBoost 1.7.4 reads this model's "[1.0682758E1]" base_score as 0.5 (crosscheck/README.md);
         * the rest of the bias, the trees' expected value, must agree */
        double ours = sw_explainer_expected(e) - sw_forest_base_margin(f), theirs = sw_matrix_get(want, r, X->cols) - 0.5;
        ck_assert_msg(fabs(ours - theirs) < 2e-4, "expected value of the trees %.7g vs XGBoost %.7g", ours, theirs);
    }
    free(phi);
    sw_matrix_free(want);
    sw_table_free(t);
    sw_explainer_free(e);
    sw_matrix_free(X);
    sw_forest_free(f);
}
END_TEST

Suite *explain_suite(void)
{
    Suite *s = suite_create("explain");
    TCase *tc = tcase_create("treeshap");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shap_binary_brute_force);
    tcase_add_test(tc, shap_oblivious_brute_force);
    tcase_add_test(tc, shap_deep_paths_brute_force);
    tcase_add_test(tc, shap_real_models_additive);
    tcase_add_test(tc, shap_matches_xgboost);
    suite_add_tcase(s, tc);
    return s;
}
