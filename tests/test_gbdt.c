/* test_gbdt: the forest (validation, views, tree limits) and the reference
 * scorer on hand-built models whose predictions are computed by hand here,
 * for every objective's link and every NaN rule. */
#include <math.h>
#include <string.h>

#include "core/status.h"
#include "gbdt/forest.h"
#include "gbdt/objective.h"
#include "testutil.h"
#include "tests/models.h"

static int add_tree(sw_forest *f, int n, const int32_t *l, const int32_t *r, const int32_t *ft,
                    const float *thr, sw_error *err)
{
    uint8_t dl[16] = {0};
    sw_binary_tree_in t = {n, l, r, ft, thr, dl, thr, NULL, NULL, NULL, NULL, NULL};
    return sw_forest_add_binary(f, &t, err);
}

START_TEST(forest_validation)
{
    sw_forest *f = sw_forest_create(SW_TREES_BINARY, 2);
    sw_error err;
    int32_t l[] = {1, -1, -1}, r[] = {2, -1, -1}, ft[] = {1, 0, 0};
    float thr[] = {0.5f, 1.0f, 2.0f};
    ck_assert_int_eq(add_tree(f, 3, l, r, ft, thr, &err), SW_OK);
    int32_t lo[] = {3, -1, -1};
    ck_assert_int_eq(add_tree(f, 3, lo, r, ft, thr, &err), SW_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "tree 1 node 0: child index 3"));
    int32_t lc[] = {1, 0, -1}, rc[] = {2, 2, -1};
    ck_assert_int_eq(add_tree(f, 3, lc, rc, ft, thr, &err), SW_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "reached twice"));
    int32_t fb[] = {2, 0, 0};
    ck_assert_int_eq(add_tree(f, 3, l, r, fb, thr, &err), SW_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "split feature 2"));
    float tn[] = {NAN, 1.0f, 2.0f};
    ck_assert_int_eq(add_tree(f, 3, l, r, ft, tn, &err), SW_FORMAT);
    float ti[] = {0.5f, INFINITY, 2.0f};
    ck_assert_int_eq(add_tree(f, 3, l, r, ft, ti, &err), SW_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "leaf value is not finite"));
    ck_assert_int_eq(add_tree(f, 0, l, r, ft, thr, &err), SW_FORMAT);
    /* unreachable (deleted) nodes are dropped; a chain deeper than the limit is refused */
    int32_t l4[] = {1, -1, -1, -1}, r4[] = {2, -1, -1, -1}, f4[] = {0, 0, 0, 0};
    float t4[] = {0.5f, 1.0f, 2.0f, 9.0f};
    ck_assert_int_eq(add_tree(f, 4, l4, r4, f4, t4, &err), SW_OK);
    ck_assert_int_eq(sw_forest_tree_nodes(f, 1), 3);
    enum { N = 2 * (SW_MAX_BINARY_DEPTH + 2) + 1 };
    static int32_t cl[N], cr[N], cf[N];
    static float ct[N];
    for (int i = 0; i < N; i++) {
        int internal = i % 2 == 0 && i + 2 < N;
        cl[i] = internal ? i + 1 : -1;
        cr[i] = internal ? i + 2 : -1;
        cf[i] = 0;
        ct[i] = 1.0f;
    }
    ck_assert_int_eq(add_tree(f, N, cl, cr, cf, ct, &err), SW_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "deeper"));
    ck_assert_int_eq(sw_forest_n_trees(f), 2);
    sw_forest_free(f);

    sw_forest *o = sw_forest_create(SW_TREES_OBLIVIOUS, 2);
    int32_t of[] = {0, 3};
    float ob[] = {0.5f, 1.0f};
    double lv[4] = {1, 2, 3, 4};
    ck_assert_int_eq(sw_forest_add_oblivious(o, 2, of, ob, lv, NULL, &err), SW_FORMAT);
    of[1] = 1;
    ob[1] = NAN;
    ck_assert_int_eq(sw_forest_add_oblivious(o, 2, of, ob, lv, NULL, &err), SW_FORMAT);
    ob[1] = 1.0f;
    lv[3] = INFINITY;
    ck_assert_int_eq(sw_forest_add_oblivious(o, 2, of, ob, lv, NULL, &err), SW_FORMAT);
    ck_assert_int_eq(sw_forest_add_oblivious(o, 17, of, ob, lv, NULL, &err), SW_FORMAT);
    ck_assert_int_eq(sw_forest_set_nan_mode(o, 5, SW_NAN_ASTRUE, &err), SW_FORMAT);
    ck_assert_int_eq(sw_forest_n_trees(o), 0);
    sw_forest_free(o);
}
END_TEST

/* tm_binary_forest by hand: the leaves reached by a row, in tree order */
static float hand_binary_margin(float base_margin, const float *x)
{
    float t0, t1, t2 = 0.01f;
    if (isnan(x[0]) || x[0] < 0.5f) {
        t0 = (!isnan(x[1]) && x[1] < 3.0f) ? 0.1f : -0.2f;
    } else {
        t0 = 0.3f;
    }
    t1 = (!isnan(x[2]) && x[2] < -1.0f) ? -0.05f : 0.07f;
    float m = base_margin;
    m += t0;
    m += t1;
    m += t2;
    return m;
}

START_TEST(binary_objectives)
{
    const sw_objective objs[] = {SW_OBJ_SQUAREDERROR, SW_OBJ_ABSOLUTEERROR, SW_OBJ_PSEUDOHUBER,
                                 SW_OBJ_QUANTILE, SW_OBJ_LOGISTIC, SW_OBJ_POISSON,
                                 SW_OBJ_TWEEDIE, SW_OBJ_GAMMA};
    const float rows[][3] = {{0, 0, 0}, {0.5f, 3.0f, -1.0f}, {0.4999f, 2.9f, -1.5f}, {NAN, NAN, NAN},
                             {1.0f, NAN, -2.0f}, {NAN, 1.0f, 5.0f}, {-0.0f, -0.0f, -0.0f}};
    for (size_t o = 0; o < sizeof objs / sizeof objs[0]; o++) {
        sw_forest *f = tm_binary_forest(objs[o]);
        float base = sw_forest_base_score(f);
        float bm;
        switch (objs[o]) {
        case SW_OBJ_LOGISTIC: bm = -logf(1.0f / base - 1.0f); break;
        case SW_OBJ_POISSON:
        case SW_OBJ_TWEEDIE:
        case SW_OBJ_GAMMA: bm = logf(base); break;
        default: bm = base; break;
        }
        ck_assert(sw_forest_base_margin(f) == bm);
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            float m = hand_binary_margin(bm, rows[r]);
            float p;
            switch (objs[o]) {
            case SW_OBJ_LOGISTIC: p = 1.0f / (expf(-m) + 1.0f); break;
            case SW_OBJ_POISSON:
            case SW_OBJ_TWEEDIE:
            case SW_OBJ_GAMMA: p = expf(m); break;
            default: p = m; break;
            }
            double got_m = sw_forest_predict_row_ref(f, rows[r], SW_TREES_ALL, 1);
            double got_p = sw_forest_predict_row_ref(f, rows[r], SW_TREES_ALL, 0);
            ck_assert_msg(got_m == (double)m, "%s row %zu margin %.9g vs %.9g",
                          sw_objective_name(objs[o]), r, got_m, (double)m);
            ck_assert_msg(got_p == (double)p, "%s row %zu prediction %.9g vs %.9g",
                          sw_objective_name(objs[o]), r, got_p, (double)p);
        }
        /* first k trees */
        float x[3] = {0, 0, 0};
        float m1 = bm;
        m1 += 0.1f;
        ck_assert(sw_forest_predict_row_ref(f, x, 1, 1) == (double)m1);
        sw_forest_free(f);
    }
}
END_TEST

/* tm_oblivious_forest by hand */
static double hand_oblivious_raw(const float *x)
{
    double t0 = 0.5;
    int a = !isnan(x[0]) && x[0] > 0.5f;             /* AsIs: NaN fails */
    int b = isnan(x[1]) ? 1 : x[1] > -1.0f;          /* AsTrue: NaN is +inf */
    int c = isnan(x[2]) ? 0 : x[2] > 2.5f;           /* AsFalse: NaN is -inf */
    double t1 = a ? 1.0 : -1.0;
    const double lb[8] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
    double t2 = lb[b | c << 1 | a << 2];
    double s = 0.0;
    s += t0;
    s += t1;
    s += t2;
    return s * 1.0 + 0.125;
}

START_TEST(oblivious_objectives)
{
    const sw_objective objs[] = {SW_OBJ_CB_RMSE, SW_OBJ_CB_MAE, SW_OBJ_CB_QUANTILE, SW_OBJ_CB_POISSON,
                                 SW_OBJ_CB_LOGLOSS};
    const float rows[][3] = {{0, 0, 0},       {0.5f, -1.0f, 2.5f}, {0.50001f, -0.999f, 2.6f},
                             {NAN, NAN, NAN}, {1.0f, NAN, NAN},    {-INFINITY, INFINITY, INFINITY}};
    for (size_t o = 0; o < sizeof objs / sizeof objs[0]; o++) {
        sw_forest *f = tm_oblivious_forest(objs[o]);
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            double raw = hand_oblivious_raw(rows[r]);
            double p = objs[o] == SW_OBJ_CB_POISSON ? exp(raw)
                       : objs[o] == SW_OBJ_CB_LOGLOSS ? 1.0 / (1.0 + exp(-raw))
                                                      : raw;
            ck_assert_msg(sw_forest_predict_row_ref(f, rows[r], -1, 1) == raw, "row %zu raw", r);
            ck_assert_msg(sw_forest_predict_row_ref(f, rows[r], -1, 0) == p, "row %zu %s", r,
                          sw_objective_name(objs[o]));
        }
        sw_forest_free(f);
    }
}
END_TEST

START_TEST(tree_limits)
{
    sw_forest *f = tm_binary_forest(SW_OBJ_SQUAREDERROR);
    ck_assert_int_eq(sw_forest_tree_limit(f, SW_TREES_BEST), 3); /* no best iteration: all */
    sw_forest_set_best_iteration(f, 0);
    ck_assert_int_eq(sw_forest_tree_limit(f, SW_TREES_BEST), 1);
    ck_assert_int_eq(sw_forest_tree_limit(f, SW_TREES_ALL), 3);
    ck_assert_int_eq(sw_forest_tree_limit(f, 2), 2);
    ck_assert_int_eq(sw_forest_tree_limit(f, 99), 3);
    sw_binary_tree_view v;
    sw_forest_binary_tree(f, 0, &v);
    ck_assert_int_eq(v.n_nodes, 5);
    ck_assert_ptr_nonnull(v.cover);
    ck_assert(v.cover[0] == 10.0f);
    sw_forest_free(f);
    ck_assert_int_eq(sw_objective_from_name("reg:linear"), SW_OBJ_SQUAREDERROR);
    ck_assert_int_eq(sw_objective_from_name("Quantile:alpha=0.9"), SW_OBJ_CB_QUANTILE);
    ck_assert_int_eq(sw_objective_from_name("multi:softmax"), SW_OBJ_MULTI_SOFTMAX);
    ck_assert(sw_objective_is_multiclass(SW_OBJ_MULTI_SOFTPROB) && !sw_objective_is_multiclass(SW_OBJ_LOGISTIC));
    ck_assert_int_eq(sw_objective_from_name("multi:bogus"), -1);
}
END_TEST

Suite *gbdt_suite(void)
{
    Suite *s = suite_create("gbdt");
    TCase *tc = tcase_create("forest");
    tcase_add_test(tc, forest_validation);
    tcase_add_test(tc, binary_objectives);
    tcase_add_test(tc, oblivious_objectives);
    tcase_add_test(tc, tree_limits);
    suite_add_tcase(s, tc);
    return s;
}
