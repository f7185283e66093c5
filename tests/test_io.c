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
#include "core/hash.h"
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
    char path[1100];
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
    ck_assert_int_eq(sw_xgb_read_json("b.json", json, strlen(json), &f, &err), SW_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "2 values for 1 outputs"));
    tm_xgb_json(json, sizeof json, "\"[]\"", "reg:squarederror", TM_TREE_SIMPLE);
    ck_assert_int_eq(sw_xgb_read_json("b.json", json, strlen(json), &f, &err), SW_PARSE);
    tm_xgb_json(json, sizeof json, "\"abc\"", "reg:squarederror", TM_TREE_SIMPLE);
    ck_assert_int_eq(sw_xgb_read_json("b.json", json, strlen(json), &f, &err), SW_PARSE);
    tm_xgb_json(json, sizeof json, "\"0\"", "binary:logistic", TM_TREE_SIMPLE);
    ck_assert_int_eq(sw_xgb_read_json("b.json", json, strlen(json), &f, &err), SW_FORMAT);
}
END_TEST

/* A model of several quantiles (XGBoost 2's reg:quantileerror with several
 * alphas, one target each) is not written: swish keeps one quantile_alpha, and
 * writing the default would change the objective XGBoost trains on with. */
START_TEST(several_quantiles_not_written)
{
    sw_forest *f = tm_binary_forest(SW_OBJ_QUANTILE);
    int32_t grp[3] = {0, 1, 0};
    sw_error err;
    ck_assert_int_eq(sw_forest_n_trees(f), 3);
    ck_assert_int_eq(sw_forest_set_groups(f, 2, grp, &err), SW_OK);
    unsigned char *data;
    size_t len;
    ck_assert_int_eq(sw_xgb_write(f, 0, &data, &len, &err), SW_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.msg, "2 quantiles"));
    int32_t one[3] = {0, 0, 0};
    ck_assert_int_eq(sw_forest_set_groups(f, 1, one, &err), SW_OK); /* one quantile: written */
    sw_forest_set_objective_param(f, 0.75);
    ck_assert_int_eq(sw_xgb_write(f, 0, &data, &len, &err), SW_OK);
    const char *want = "\"quantile_alpha\":\"[0.75]\"";
    ck_assert_ptr_nonnull(memmem(data, len, want, strlen(want)));
    sw_forest *g;
    ck_assert_int_eq(sw_xgb_read_json("q.json", (const char *)data, len, &g, &err), SW_OK);
    ck_assert(sw_forest_objective_param(g) == 0.75);
    sw_forest_free(g);
    sw_free(data);
    sw_forest_free(f);
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
        {TM_TREE_CATEGORICAL, SW_FORMAT, "categorical split without categories"},
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
        {"\"num_class\":\"0\"", "\"num_class\":\"99999\"", "num_class 99999 outside"},
        {"\"num_target\":\"1\"", "\"num_target\":\"99999\"", "num_target 99999 outside"},
        {"\"num_target\":\"1\"", "\"num_target\":\"0\"", "num_target 0 outside"},
        {"\"num_class\":\"0\",\"num_feature\":\"2\",\"num_target\":\"1\"",
         "\"num_class\":\"3\",\"num_feature\":\"2\",\"num_target\":\"2\"", "one of them must be 1"},
        {"\"name\":\"gbtree\"", "\"name\":\"dart\"", "a dart booster needs"},
        {"\"name\":\"gbtree\"", "\"name\":\"gblinear\"", "'gblinear' is not supported"},
        {"reg:squarederror", "multi:softprob", "needs num_class >= 2"},
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
        ck_assert_msg(rc != SW_OK, "kind %zu: read", i);
        ck_assert_msg(strstr(err.msg, kinds[i].msg), "kind %zu: %s", i, err.msg);
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

/* ------------------------------------------- overflows on values read from files */

/* A forward-only flatbuffer builder for hand-made .cbm files: tables with
 * 4-byte fields (a scalar or an offset to a later object), vectors, strings. */
typedef struct {
    unsigned char *b;
    size_t n, cap;
} tfb;

static size_t tfb_put(tfb *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2;
        w->b = realloc(w->b, w->cap);
        ck_assert_ptr_nonnull(w->b);
    }
    size_t at = w->n;
    memcpy(w->b + at, p, n);
    w->n += n;
    return at;
}

static size_t tfb_u32(tfb *w, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    return tfb_put(w, b, 4);
}

static void tfb_set(tfb *w, size_t at, uint32_t v)
{
    for (int k = 0; k < 4; k++) w->b[at + (size_t)k] = (unsigned char)(v >> (8 * k));
}

/* Point the offset field at `at` to `target` (which must lie after it). */
static void tfb_link(tfb *w, size_t at, size_t target)
{
    ck_assert(target > at);
    tfb_set(w, at, (uint32_t)(target - at));
}

/* A table of n 4-byte fields, present[i] = field i is there; returns the
 * table position, field i's position in slot[i]. */
static size_t tfb_table(tfb *w, int n, const int *present, size_t *slot)
{
    uint16_t vt[2 + 32];
    int pos = 4;
    for (int i = 0; i < n; i++) {
        vt[2 + i] = present[i] ? (uint16_t)pos : 0;
        if (present[i]) pos += 4;
    }
    vt[0] = (uint16_t)(4 + 2 * n);
    vt[1] = (uint16_t)pos;
    size_t vpos = w->n;
    for (int i = 0; i < 2 + n; i++) {
        unsigned char b[2] = {(unsigned char)vt[i], (unsigned char)(vt[i] >> 8)};
        tfb_put(w, b, 2);
    }
    size_t t = tfb_u32(w, (uint32_t)(w->n - vpos)); /* soffset to the vtable */
    for (int i = 0; i < n; i++) {
        slot[i] = 0;
        if (present[i]) slot[i] = tfb_u32(w, 0);
    }
    return t;
}

static size_t tfb_vec32(tfb *w, const uint32_t *v, uint32_t n)
{
    size_t at = tfb_u32(w, n);
    for (uint32_t i = 0; i < n; i++) tfb_u32(w, v[i]);
    return at;
}

/* A .cbm: float features (feature i has flat index i and borders nb[i] from a
 * shared vector of max(nb) borders), one tree per entry of sizes/starts,
 * the given splits and leaves. */
static unsigned char *make_cbm(uint32_t nff, const uint32_t *nb, uint32_t nt, const uint32_t *sizes,
                               const uint32_t *starts, uint32_t nsplits, const uint32_t *splits,
                               uint32_t nleaves, size_t *len)
{
    tfb w = {0};
    size_t root_at = tfb_u32(&w, 0);
    size_t rs[2], ms[9];
    size_t root = tfb_table(&w, 2, (int[]){1, 1}, rs);
    tfb_link(&w, root_at, root);
    size_t mt = tfb_table(&w, 9, (int[]){0, 1, 1, 1, 0, 1, 0, 0, 1}, ms);
    tfb_link(&w, rs[1], mt);
    size_t fv = tfb_u32(&w, 18);
    tfb_put(&w, "FlabuffersModel_v1\0\0", 20);
    tfb_link(&w, rs[0], fv);
    tfb_link(&w, ms[1], tfb_vec32(&w, splits, nsplits));
    tfb_link(&w, ms[2], tfb_vec32(&w, sizes, nt));
    tfb_link(&w, ms[3], tfb_vec32(&w, starts, nt));
    size_t lv = tfb_u32(&w, nleaves);
    for (uint32_t i = 0; i < nleaves; i++) {
        double d = 0.25 * i;
        tfb_put(&w, &d, 8);
    }
    tfb_link(&w, ms[8], lv);
    size_t ffv = tfb_u32(&w, nff);
    for (uint32_t i = 0; i < nff; i++) tfb_u32(&w, 0);
    tfb_link(&w, ms[5], ffv);
    size_t *bslot = malloc(sizeof *bslot * (nff + 1));
    uint32_t maxb = 0;
    for (uint32_t i = 0; i < nff; i++) {
        size_t fs[4];
        size_t ft = tfb_table(&w, 4, (int[]){0, 1, 0, nb[i] > 0}, fs);
        tfb_link(&w, ffv + 4 + 4 * (size_t)i, ft);
        tfb_set(&w, fs[1], i);
        bslot[i] = nb[i] ? fs[3] : 0;
        if (nb[i] > maxb) maxb = nb[i];
    }
    /* every feature's borders: a prefix of one shared vector */
    size_t bv = tfb_u32(&w, maxb);
    for (uint32_t k = 0; k < maxb; k++) {
        float x = (float)k;
        tfb_put(&w, &x, 4);
    }
    for (uint32_t i = 0; i < nff; i++) {
        if (!bslot[i]) continue;
        tfb_link(&w, bslot[i], bv);
    }
    free(bslot);
    unsigned char *out = malloc(w.n + 8);
    memcpy(out, "CBM1", 4);
    for (int k = 0; k < 4; k++) out[4 + k] = (unsigned char)(w.n >> (8 * k));
    memcpy(out + 8, w.b, w.n);
    *len = w.n + 8;
    free(w.b);
    return out;
}

START_TEST(catboost_overflows)
{
    sw_error err;
    sw_forest *f;
    size_t len;
    /* sanity: the builder makes a model that loads (2 features, a depth-2 tree) */
    uint32_t nb2[] = {2, 3}, sz[] = {2}, st0[] = {0}, sp[] = {1, 3};
    unsigned char *m = make_cbm(2, nb2, 1, sz, st0, 2, sp, 4, &len);
    ck_assert_msg(sw_cbm_read("ok.cbm", m, len, &f, &err) == SW_OK, "%s", err.msg);
    float x[2] = {1.5f, 1.5f};
    /* split 1 = feature 0's border 1 (1.0), split 3 = feature 1's border 1 (1.0):
     * both passed, leaf 3 */
    ck_assert(sw_forest_predict_row_ref(f, x, -1, 1) == 0.75);
    sw_forest_free(f);
    free(m);

    /* a tree starting at split INT32_MAX: start + depth overflowed int in the
     * error message (UBSan, found by make fuzz) */
    uint32_t sz3[] = {3}, big[] = {0x7fffffffu};
    m = make_cbm(2, nb2, 1, sz3, big, 2, sp, 8, &len);
    ck_assert_int_eq(sw_cbm_read("start.cbm", m, len, &f, &err), SW_FORMAT);
    ck_assert_msg(strstr(err.msg, "2147483647..2147483650"), "%s", err.msg);
    free(m);

    /* trees of depth 0 only: the forest has no splits at all (the scorer took
     * `NULL + 0`, found by make fuzz under clang's UBSan) */
    uint32_t sz0[] = {0, 0}, st00[] = {0, 0};
    m = make_cbm(2, nb2, 2, sz0, st00, 0, NULL, 2, &len);
    ck_assert_msg(sw_cbm_read("flat.cbm", m, len, &f, &err) == SW_OK, "%s", err.msg);
    ck_assert(sw_forest_predict_row_ref(f, x, -1, 1) == 0.25);
    sw_forest_free(f);
    free(m);

    /* features sharing one border vector: the border count summed over
     * features passed 2^32 and wrapped in the uint32 bookkeeping, so a split
     * was looked up in the wrong feature, gigabytes past its borders (read
     * out of bounds; the model loaded or crashed).  32769 features x 131072
     * borders = 2^32 + 2^17, then 32769 without. */
    uint32_t nff = 65538;
    uint32_t *nb = calloc(nff, sizeof *nb);
    for (uint32_t i = 0; i < 32769; i++) nb[i] = 131072;
    uint32_t sz1[] = {1}, s1[] = {2000000000};
    m = make_cbm(nff, nb, 1, sz1, st0, 1, s1, 2, &len);
    ck_assert_int_eq(sw_cbm_read("borders.cbm", m, len, &f, &err), SW_FORMAT);
    ck_assert_msg(strstr(err.msg, "borders in all"), "%s", err.msg);
    free(m);
    free(nb);
}
END_TEST

/* A .swm from a JSON header and a payload, with a valid checksum. */
static unsigned char *make_swm(const char *hdr, const unsigned char *pl, size_t plen, size_t *len)
{
    size_t hl = strlen(hdr), n = 12 + hl + 8 + plen + 4;
    unsigned char *b = malloc(n);
    memcpy(b, "SWM1", 4);
    uint32_t v[2] = {1, (uint32_t)hl};
    for (int k = 0; k < 8; k++) b[4 + k] = (unsigned char)(v[k / 4] >> (8 * (k % 4)));
    memcpy(b + 12, hdr, hl);
    for (int k = 0; k < 8; k++) b[12 + hl + (size_t)k] = (unsigned char)((uint64_t)plen >> (8 * k));
    memcpy(b + 20 + hl, pl, plen);
    uint32_t c = sw_crc32(0, b, n - 4);
    for (int k = 0; k < 4; k++) b[n - 4 + (size_t)k] = (unsigned char)(c >> (8 * k));
    *len = n;
    return b;
}

START_TEST(swm_hostile_header)
{
    /* one binary tree, a single leaf 0.25 */
    unsigned char pl[4 + 17] = {1, 0, 0, 0};
    int32_t minus1 = -1;
    float leaf = 0.25f;
    for (int k = 0; k < 3; k++) memcpy(pl + 4 + 4 * k, &minus1, 4);
    memcpy(pl + 16, &leaf, 4);
    const char *fmt = "{\"kind\":%s,\"objective\":\"reg:squarederror\",\"objective_param\":null,"
                      "\"base_score\":0.5,\"base_margin\":0.5,\"scale\":1.0,\"bias\":0.0,"
                      "\"best_iteration\":%s,\"trees_per_iteration\":%s,\"n_trees\":%s,\"stats\":false,"
                      "\"source\":\"swish\",\"source_version\":\"1\",\"features\":[\"a\",\"b\"],"
                      "\"nan_modes\":[%s,0]}";
    const struct {
        const char *kind, *best, *tpi, *nt, *nan, *msg;
    } cases[] = {
        {"\"binary\"", "-1", "1", "1", "0", NULL}, /* the valid model */
        /* doubles converted to integers before their range check (undefined) */
        {"\"binary\"", "-1", "1", "null", "0", "invalid model header"},
        {"\"binary\"", "-1", "1", "1e300", "0", "invalid model header"},
        {"\"binary\"", "null", "1", "1", "0", "invalid model header"},
        {"\"binary\"", "-1", "1e20", "1", "0", "invalid model header"},
        /* best_iteration * trees_per_iteration overflowed int (and passed) */
        {"\"binary\"", "1000000", "4096", "1", "0", "best_iteration"},
        /* 2^32 became NaN mode 0 in the conversion to the enum (accepted) */
        {"\"binary\"", "-1", "1", "1", "4294967296", "NaN treatment"},
        /* an unknown kind was read as oblivious */
        {"\"forest\"", "-1", "1", "1", "0", "invalid model header"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hdr[1024];
        snprintf(hdr, sizeof hdr, fmt, cases[i].kind, cases[i].best, cases[i].tpi, cases[i].nt, cases[i].nan);
        size_t len;
        unsigned char *m = make_swm(hdr, pl, sizeof pl, &len);
        sw_forest *f = NULL;
        sw_error err;
        sw_error_clear(&err);
        int rc = sw_swm_read("h.swm", m, len, &f, &err);
        if (!cases[i].msg) {
            ck_assert_msg(rc == SW_OK, "case %zu: %s", i, err.msg);
            float x[2] = {0, 0};
            ck_assert(sw_forest_predict_row_ref(f, x, -1, 1) == 0.75);
            sw_forest_free(f);
        } else {
            ck_assert_msg(rc == SW_FORMAT && strstr(err.msg, cases[i].msg), "case %zu: %s (%s)", i,
                          sw_status_name(rc), err.msg);
            ck_assert_ptr_null(f);
        }
        free(m);
    }
}
END_TEST

START_TEST(ubjson_zero_size_elements)
{
    /* [$Z#L n]: null elements take no bytes, so a 20-byte file could declare
     * 2^28 of them (4 GiB of nodes, seconds of work; make fuzz's slowest
     * input).  Now each counts as one byte against the rest of the file. */
    const unsigned char doc[] = {'{', 'U', 5, 'n', 'o', 'd', 'e', 's', '[', '$', 'Z', '#', 'l', 0, 0x10, 0, 0, '}'};
    sw_forest *f;
    sw_error err;
    ck_assert_int_eq(sw_xgb_read_ubjson("z.ubj", doc, sizeof doc, &f, &err), SW_PARSE);
    ck_assert_msg(strstr(err.msg, "declared count 1048576"), "%s", err.msg);
    /* up to the bytes that follow is still read: {"a": [null, null], "b": 5}
     * parses (and is no model) */
    const unsigned char ok[] = {'{', 'U', 1, 'a', '[', '$', 'Z', '#', 'U', 2, 'U', 1, 'b', 'U', 5, '}'};
    ck_assert_int_eq(sw_xgb_read_ubjson("z.ubj", ok, sizeof ok, &f, &err), SW_FORMAT);
    ck_assert_msg(strstr(err.msg, "learner"), "%s", err.msg);
}
END_TEST

START_TEST(crc32_table)
{
    /* the constant table against the polynomial, bit by bit, and the check value */
    for (unsigned i = 0; i < 256; i++) {
        unsigned char byte = (unsigned char)i;
        uint32_t c = ~0u ^ i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        ck_assert_uint_eq(sw_crc32(0, &byte, 1), ~c);
    }
    ck_assert_uint_eq(sw_crc32(0, "123456789", 9), 0xCBF43926u);
    ck_assert_uint_eq(sw_crc32(sw_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
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
    tcase_add_test(th, several_quantiles_not_written);
    tcase_add_test(th, truncated_everywhere);
    tcase_add_test(th, hostile_xgboost);
    tcase_add_test(th, hostile_catboost);
    tcase_add_test(th, save_by_extension);
    tcase_add_test(th, catboost_overflows);
    tcase_add_test(th, swm_hostile_header);
    tcase_add_test(th, crc32_table);
    tcase_add_test(th, ubjson_zero_size_elements);
    suite_add_tcase(s, th);
    return s;
}
