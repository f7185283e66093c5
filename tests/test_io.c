/* test_io: model readers and writers.
 *
 * Oracles: the real XGBoost 1.7.4 and CatBoost evaluators' outputs in
 * ../shared/crosscheck (every column, bit for bit), the same models converted
 * to UBJSON by XGBoost 1.7.4 itself and by an independent converter, round
 * trips through swish's writers, and hostile files (truncated at every byte,
 * bad magic, bad indices, cycles, huge sizes, non-finite values, unsupported
 * features) which must give an error and never a crash. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/csv.h"
#include "core/fileio.h"
#include "core/matrix.h"
#include "gbdt/forest.h"
#include "io/model.h"
#include "testutil.h"
#include "tests/models.h"

#define MAX_MODELS 32
static char xgb_models[MAX_MODELS][256];
static int n_xgb;
static char cb_models[MAX_MODELS][256];
static int n_cb;

static int list_dir(const char *dir, char names[][256])
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_MODELS) {
        if (e->d_name[0] == '.') continue;
        snprintf(names[n++], 256, "%.200s", e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
    return n;
}

/* Predictions of `f` on inputs.csv compared with expected.csv's column `col`.
 * XGBoost values are float32 printed as exact doubles; CatBoost's are doubles. */
static void check_column(const sw_forest *f, const sw_matrix *X, const sw_table *exp, const char *col,
                         int n_trees, int margin, const char *what)
{
    int c = sw_table_find(exp, col);
    ck_assert_msg(c >= 0, "%s: expected.csv has no column %s", what, col);
    ck_assert_int_eq(sw_table_rows(exp), X->rows);
    double *p = malloc(sizeof(double) * (size_t)X->rows);
    sw_forest_predict_ref(f, X->data, X->rows, X->cols, n_trees, margin, p);
    long bad = 0, first = -1;
    sw_error err;
    for (long r = 0; r < X->rows; r++) {
        double e;
        ck_assert_int_eq(sw_table_f64(exp, r, c, &e, &err), SW_OK);
        if (memcmp(&e, &p[r], 8) != 0 && !(isnan(e) && isnan(p[r]))) {
            if (first < 0) first = r;
            bad++;
        }
    }
    if (bad) {
        double e;
        sw_table_f64(exp, first, c, &e, &err);
        ck_abort_msg("%s %s: %ld of %ld rows differ; row %ld got %.17g expected %.17g", what, col, bad,
                     X->rows, first, p[first], e);
    }
    free(p);
}

static sw_matrix *load_inputs(const char *dir, const sw_forest *f)
{
    char path[512];
    snprintf(path, sizeof path, "%s/inputs.csv", dir);
    int nf = sw_forest_n_features(f);
    const char **names = calloc((size_t)nf, sizeof *names);
    for (int i = 0; i < nf; i++) names[i] = sw_forest_feature_name(f, i);
    sw_table *t;
    sw_error err;
    sw_csv_opts o = {.columns = names, .n_columns = nf};
    ck_assert_msg(sw_table_read_csv(path, &o, &t, &err) == SW_OK, "%s", err.msg);
    sw_matrix *X;
    ck_assert_msg(sw_matrix_from_table(t, names, nf, &X, &err) == SW_OK, "%s", err.msg);
    sw_table_free(t);
    free(names);
    return X;
}

static int first_k(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/model_info.json", dir);
    char *s = tu_slurp(path, NULL);
    ck_assert_ptr_nonnull(s);
    const char *k = strstr(s, "\"k_for_pred_first_k_trees\":");
    ck_assert_ptr_nonnull(k);
    int v = atoi(k + strlen("\"k_for_pred_first_k_trees\":"));
    free(s);
    return v;
}

static void check_xgb_model(const sw_forest *f, const char *name, const char *what)
{
    char dir[1024], path[1200];
    tu_shared_path(dir, sizeof dir, "crosscheck/xgboost");
    snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%s", name);
    sw_matrix *X = load_inputs(dir, f);
    snprintf(path, sizeof path, "%s/expected.csv", dir);
    sw_table *exp;
    sw_error err;
    ck_assert_int_eq(sw_table_read_csv(path, NULL, &exp, &err), SW_OK);
    check_column(f, X, exp, "prediction", SW_TREES_ALL, 0, what);
    check_column(f, X, exp, "margin", SW_TREES_ALL, 1, what);
    check_column(f, X, exp, "pred_first_k_trees", first_k(dir), 0, what);
    if (sw_forest_best_iteration(f) >= 0) {
        check_column(f, X, exp, "pred_best_iteration", sw_forest_tree_limit(f, SW_TREES_BEST), 0, what);
    } else {
        /* the column is NA throughout when the model has no best iteration */
        int c = sw_table_find(exp, "pred_best_iteration");
        for (long r = 0; r < sw_table_rows(exp); r++) ck_assert(sw_table_missing(exp, r, c));
    }
    sw_table_free(exp);
    sw_matrix_free(X);
}

START_TEST(xgboost_crosscheck)
{
    ck_assert_msg(n_xgb >= 10, "expected the 10 XGBoost crosscheck models, found %d", n_xgb);
    const char *name = xgb_models[_i];
    char path[1024], rel[512];
    snprintf(rel, sizeof rel, "models/%s.json", name);
    tu_shared_path(path, sizeof path, rel);
    sw_forest *f;
    sw_error err;
    ck_assert_msg(sw_model_load(path, &f, &err) == SW_OK, "%s: %s", name, err.msg);
    check_xgb_model(f, name, name);
    /* writer round trip: JSON and UBJSON written by swish predict identically */
    for (int ubj = 0; ubj < 2; ubj++) {
        unsigned char *data;
        size_t len;
        ck_assert_int_eq(sw_xgb_write(f, ubj, &data, &len, &err), SW_OK);
        sw_forest *g;
        ck_assert_msg(sw_model_read(ubj ? "rt.ubj" : "rt.json", data, len, &g, &err) == SW_OK, "%s", err.msg);
        ck_assert_int_eq(sw_forest_best_iteration(g), sw_forest_best_iteration(f));
        check_xgb_model(g, name, ubj ? "swish-written ubj" : "swish-written json");
        sw_forest_free(g);
        sw_free(data);
    }
    sw_forest_free(f);
}
END_TEST

START_TEST(catboost_crosscheck)
{
    ck_assert_msg(n_cb >= 5, "expected the 5 CatBoost crosscheck models, found %d", n_cb);
    const char *name = cb_models[_i];
    char path[1200], rel[512], dir[1024];
    snprintf(rel, sizeof rel, "models/%s.cbm", name);
    tu_shared_path(path, sizeof path, rel);
    snprintf(rel, sizeof rel, "crosscheck/catboost/%s", name);
    tu_shared_path(dir, sizeof dir, rel);
    sw_forest *f;
    sw_error err;
    ck_assert_msg(sw_model_load(path, &f, &err) == SW_OK, "%s: %s", name, err.msg);
    sw_matrix *X = load_inputs(dir, f);
    snprintf(path, sizeof path, "%s/expected.csv", dir);
    sw_table *exp;
    ck_assert_int_eq(sw_table_read_csv(path, NULL, &exp, &err), SW_OK);
    check_column(f, X, exp, "raw_formula_val", SW_TREES_ALL, 1, name);
    /* .cbm written by swish reads back to the same predictions */
    unsigned char *data;
    size_t len;
    ck_assert_int_eq(sw_cbm_write(f, &data, &len, &err), SW_OK);
    sw_forest *g;
    ck_assert_msg(sw_cbm_read("rt.cbm", data, len, &g, &err) == SW_OK, "%s", err.msg);
    check_column(g, X, exp, "raw_formula_val", SW_TREES_ALL, 1, "swish-written cbm");
    for (int i = 0; i < sw_forest_n_features(f); i++)
        ck_assert_str_eq(sw_forest_feature_name(f, i), sw_forest_feature_name(g, i));
    sw_forest_free(g);
    sw_free(data);
    sw_table_free(exp);
    sw_matrix_free(X);
    sw_forest_free(f);
}
END_TEST

START_TEST(ubjson_from_xgboost)
{
    /* XGBoost 1.7.4 itself saves each JSON model as UBJSON (after fixing the
     * bracketed base_score it cannot read), and an independent converter writes
     * XGBoost 3.x-style UBJSON with typed arrays; both must reproduce expected.csv */
    char out[512], cmd[2048], *log;
    snprintf(out, sizeof out, "%s/ubj", tu_tmpdir());
    char models[512];
    tu_shared_path(models, sizeof models, "models");
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/tools/make_ubj.py %s %s", models, out);
    int rc = tu_run(cmd, &log);
    ck_assert_msg(rc == 0, "make_ubj.py failed: %s", log);
    free(log);
    for (int i = 0; i < n_xgb; i++) {
        for (int k = 0; k < 2; k++) {
            char path[1024];
            snprintf(path, sizeof path, "%.500s/%.200s.%s.ubj", out, xgb_models[i], k ? "conv" : "xgb174");
            sw_forest *f;
            sw_error err;
            ck_assert_msg(sw_model_load(path, &f, &err) == SW_OK, "%s: %s", path, err.msg);
            ck_assert_str_eq(sw_forest_source_format(f), "xgboost-ubj");
            check_xgb_model(f, xgb_models[i], path);
            sw_forest_free(f);
        }
    }
}
END_TEST

/* ---------------------------------------------------------- base_score */

START_TEST(base_score_spellings)
{
    const char *spell[] = {"\"1.25E1\"", "\"[1.25E1]\"", "12.5"};
    for (int i = 0; i < 3; i++) {
        char json[4096];
        tm_xgb_json(json, sizeof json, spell[i], "reg:squarederror", TM_TREE_SIMPLE);
        sw_forest *f;
        sw_error err;
        ck_assert_msg(sw_xgb_read_json("b.json", json, strlen(json), &f, &err) == SW_OK, "%s", err.msg);
        ck_assert(sw_forest_base_score(f) == 12.5f);
        float x[2] = {0.0f, 0.0f};
        ck_assert(sw_forest_predict_row_ref(f, x, -1, 0) == (double)(12.5f + 1.5f));
        sw_forest_free(f);
    }
    char json[4096];
    sw_forest *f;
    sw_error err;
    tm_xgb_json(json, sizeof json, "\"[1.0,2.0]\"", "reg:squarederror", TM_TREE_SIMPLE);
    ck_assert_int_eq(sw_xgb_read_json("b.json", json, strlen(json), &f, &err), SW_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.msg, "multi-target"));
    tm_xgb_json(json, sizeof json, "\"abc\"", "reg:squarederror", TM_TREE_SIMPLE);
    ck_assert_int_eq(sw_xgb_read_json("b.json", json, strlen(json), &f, &err), SW_PARSE);
    tm_xgb_json(json, sizeof json, "\"0\"", "binary:logistic", TM_TREE_SIMPLE);
    ck_assert_int_eq(sw_xgb_read_json("b.json", json, strlen(json), &f, &err), SW_FORMAT);
}
END_TEST

/* ------------------------------------------------------------- hostile */

static void expect_error(const char *what, const unsigned char *data, size_t len, int code)
{
    sw_forest *f = (sw_forest *)1;
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_model_read(what, data, len, &f, &err);
    ck_assert_msg(rc != SW_OK, "%s: accepted", what);
    ck_assert_ptr_null(f);
    ck_assert_msg(err.msg[0] != 0, "%s: no message", what);
    if (code) ck_assert_msg(rc == code, "%s: status %s (%s)", what, sw_status_name(rc), err.msg);
}

START_TEST(truncated_everywhere)
{
    /* a small model of each format cut at every byte: always a clean error */
    unsigned char *m[3];
    size_t n[3];
    sw_error err;
    sw_forest *xf = tm_binary_forest(SW_OBJ_SQUAREDERROR);
    sw_forest *cf = tm_oblivious_forest(SW_OBJ_CB_RMSE);
    ck_assert_int_eq(sw_xgb_write(xf, 0, &m[0], &n[0], &err), SW_OK);
    ck_assert_int_eq(sw_xgb_write(xf, 1, &m[1], &n[1], &err), SW_OK);
    ck_assert_int_eq(sw_cbm_write(cf, &m[2], &n[2], &err), SW_OK);
    for (int k = 0; k < 3; k++) {
        sw_forest *ok;
        ck_assert_msg(sw_model_read(k == 1 ? "t.ubj" : "t", m[k], n[k], &ok, &err) == SW_OK, "%s", err.msg);
        sw_forest_free(ok);
        for (size_t cut = 0; cut < n[k]; cut++) {
            unsigned char *copy = malloc(cut + 1);
            memcpy(copy, m[k], cut);
            sw_forest *f = NULL;
            int rc = sw_model_read(k == 1 ? "t.ubj" : "t", copy, cut, &f, &err);
            ck_assert_msg(rc != SW_OK, "format %d truncated at %zu accepted", k, cut);
            ck_assert_ptr_null(f);
            free(copy);
        }
        sw_free(m[k]);
    }
    sw_forest_free(xf);
    sw_forest_free(cf);
}
END_TEST

START_TEST(hostile_xgboost)
{
    char json[4096];
    const struct {
        int tree;
        int code;
        const char *msg;
    } cases[] = {
        {TM_TREE_CHILD_OUT_OF_RANGE, SW_FORMAT, "child index"},
        {TM_TREE_CYCLE, SW_FORMAT, "reached twice"},
        {TM_TREE_BAD_FEATURE, SW_FORMAT, "split feature"},
        {TM_TREE_NAN_THRESHOLD, SW_FORMAT, "not finite"},
        {TM_TREE_INF_THRESHOLD, SW_FORMAT, "not finite"},
        {TM_TREE_HUGE_NODES, SW_FORMAT, "num_nodes"},
        {TM_TREE_NEGATIVE_NODES, SW_FORMAT, "num_nodes"},
        {TM_TREE_CATEGORICAL, SW_UNSUPPORTED, "categorical"},
        {TM_TREE_SHORT_ARRAY, SW_FORMAT, "entries"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tm_xgb_json(json, sizeof json, "\"1.0E0\"", "reg:squarederror", cases[i].tree);
        sw_forest *f;
        sw_error err;
        int rc = sw_xgb_read_json("h.json", json, strlen(json), &f, &err);
        ck_assert_msg(rc == cases[i].code, "case %zu: %s (%s)", i, sw_status_name(rc), err.msg);
        ck_assert_msg(strstr(err.msg, cases[i].msg), "case %zu: message '%s'", i, err.msg);
    }
    /* unsupported model kinds are named */
    const struct {
        const char *find, *replace, *msg;
    } kinds[] = {
        {"\"num_class\":\"0\"", "\"num_class\":\"3\"", "multi-class"},
        {"\"num_target\":\"1\"", "\"num_target\":\"2\"", "multi-target"},
        {"\"name\":\"gbtree\"", "\"name\":\"dart\"", "dart"},
        {"reg:squarederror", "multi:softprob", "objective"},
        {"\"num_feature\":\"2\",\"num_target", "\"num_feature\":\"999999999\",\"num_target", "num_feature"},
        {"\"num_feature\":\"2\",\"num_target", "\"num_feature\":\"-5\",\"num_target", "num_feature"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        tm_xgb_json(json, sizeof json, "\"1.0E0\"", "reg:squarederror", TM_TREE_SIMPLE);
        char *p = strstr(json, kinds[i].find);
        ck_assert_msg(p != NULL, "kind %zu: '%s' not in the template", i, kinds[i].find);
        char out[8400];
        snprintf(out, sizeof out, "%.*s%s%s", (int)(p - json), json, kinds[i].replace, p + strlen(kinds[i].find));
        sw_forest *f;
        sw_error err;
        int rc = sw_xgb_read_json("k.json", out, strlen(out), &f, &err);
        ck_assert_msg(rc != SW_OK && strstr(err.msg, kinds[i].msg), "kind %zu: %s", i, err.msg);
    }
    expect_error("junk", (const unsigned char *)"\x00\x01\x02junk", 7, SW_FORMAT);
    expect_error("empty", (const unsigned char *)"", 0, SW_FORMAT);
    expect_error("array.json", (const unsigned char *)"[1,2]", 5, SW_FORMAT);
}
END_TEST

START_TEST(hostile_catboost)
{
    sw_forest *cf = tm_oblivious_forest(SW_OBJ_CB_RMSE);
    unsigned char *m;
    size_t n;
    sw_error err;
    ck_assert_int_eq(sw_cbm_write(cf, &m, &n, &err), SW_OK);
    sw_forest_free(cf);
    unsigned char *c = malloc(n + 16);
    /* wrong magic */
    memcpy(c, m, n);
    c[0] = 'X';
    expect_error("magic.cbm", c, n, SW_FORMAT);
    /* declared core length beyond the file, and trailing model parts */
    memcpy(c, m, n);
    c[7] = 0x7f;
    expect_error("len.cbm", c, n, SW_FORMAT);
    memcpy(c, m, n);
    memset(c + n, 0, 16);
    expect_error("parts.cbm", c, n + 16, SW_UNSUPPORTED);
    /* random single-byte corruption anywhere: never a crash */
    unsigned long long s = 12345;
    for (int it = 0; it < 20000; it++) {
        memcpy(c, m, n);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t pos = 8 + (size_t)(s >> 33) % (n - 8);
        c[pos] = (unsigned char)(s >> 17);
        sw_forest *f = NULL;
        if (sw_cbm_read("fuzz.cbm", c, n, &f, &err) == SW_OK) {
            /* a model that loads must predict finite numbers */
            float x[3] = {0.5f, NAN, -1e30f};
            if (sw_forest_n_features(f) <= 3) ck_assert(isfinite(sw_forest_predict_row_ref(f, x, -1, 1)));
            sw_forest_free(f);
        }
    }
    free(c);
    sw_free(m);
    /* unsupported parts named */
    const struct {
        int what;
        const char *msg;
    } un[] = {{TM_CBM_CTR, "CTR"}, {TM_CBM_CAT, "categorical"}, {TM_CBM_NONSYM, "non-symmetric"},
              {TM_CBM_MULTICLASS, "approx dimension"}, {TM_CBM_PARTS, "model parts"},
              {TM_CBM_BAD_SPLIT, "split"}, {TM_CBM_DEEP, "depth"}, {TM_CBM_NAN_BORDER, "not finite"}};
    for (size_t i = 0; i < sizeof un / sizeof un[0]; i++) {
        size_t len;
        unsigned char *b = tm_cbm_variant(un[i].what, &len);
        sw_forest *f;
        int rc = sw_cbm_read("u.cbm", b, len, &f, &err);
        ck_assert_msg(rc != SW_OK && strstr(err.msg, un[i].msg), "variant %d: %s", un[i].what, err.msg);
        free(b);
    }
}
END_TEST

START_TEST(save_by_extension)
{
    sw_forest *xf = tm_binary_forest(SW_OBJ_POISSON);
    sw_forest *cf = tm_oblivious_forest(SW_OBJ_CB_LOGLOSS);
    const char *exts[] = {"json", "ubj", "cbm"};
    for (int k = 0; k < 3; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/m.%s", tu_tmpdir(), exts[k]);
        sw_forest *src = k == 2 ? cf : xf;
        sw_error err;
        ck_assert_msg(sw_model_save(src, path, &err) == SW_OK, "%s", err.msg);
        sw_forest *g;
        ck_assert_msg(sw_model_load(path, &g, &err) == SW_OK, "%s", err.msg);
        ck_assert_int_eq(sw_forest_objective(g), sw_forest_objective(src));
        float rows[4][3] = {{0, 0, 0}, {1, NAN, 2}, {-1, 5, NAN}, {NAN, NAN, NAN}};
        for (int r = 0; r < 4; r++) {
            for (int m = 0; m < 2; m++) {
                double a = sw_forest_predict_row_ref(src, rows[r], -1, m);
                double b = sw_forest_predict_row_ref(g, rows[r], -1, m);
                ck_assert_msg(memcmp(&a, &b, 8) == 0, "%s row %d: %.17g vs %.17g", exts[k], r, a, b);
            }
        }
        sw_forest_free(g);
        /* the wrong kind for the format is refused */
        ck_assert_int_eq(sw_model_save(k == 2 ? xf : cf, path, &err), SW_UNSUPPORTED);
    }
    sw_forest_free(xf);
    sw_forest_free(cf);
}
END_TEST

Suite *io_suite(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/crosscheck/xgboost", tu_shared());
    n_xgb = list_dir(dir, xgb_models);
    snprintf(dir, sizeof dir, "%s/crosscheck/catboost", tu_shared());
    n_cb = list_dir(dir, cb_models);
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("crosscheck");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, xgboost_crosscheck, 0, n_xgb ? n_xgb : 1);
    tcase_add_loop_test(tc, catboost_crosscheck, 0, n_cb ? n_cb : 1);
    tcase_add_test(tc, ubjson_from_xgboost);
    suite_add_tcase(s, tc);
    TCase *th = tcase_create("hostile");
    tcase_set_timeout(th, 120);
    tcase_add_test(th, base_score_spellings);
    tcase_add_test(th, truncated_everywhere);
    tcase_add_test(th, hostile_xgboost);
    tcase_add_test(th, hostile_catboost);
    tcase_add_test(th, save_by_extension);
    suite_add_tcase(s, th);
    return s;
}
