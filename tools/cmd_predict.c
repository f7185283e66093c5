/* cmd_predict: `swish predict`: score a CSV with a model file.
 *
 * Input columns are matched to the model's feature names in any order; extra
 * columns are ignored; a missing one is an error naming it.  Output is a CSV
 * with the --keep columns copied from the input, then one `prediction` column
 * (a multi-class model: prediction_0 .. prediction_<k-1>, the class
 * probabilities or margins; multi:softmax without --margin: the class; a
 * multi-target model: one per target) printed
 * so that it round-trips (%.9g for XGBoost's float32 results, %.17g
 * for CatBoost's doubles). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cmds.h"
#include "core/alloc.h"
#include "core/csv.h"
#include "core/fileio.h"
#include "core/matrix.h"
#include "core/num.h"
#include "gbdt/explain.h"
#include "gbdt/forest.h"
#include "gbdt/score.h"
#include "io/model.h"
#include "core/clock.h"

static const cli_opt opts[] = {
    {"--model", "MODEL", "model file (XGBoost .json/.ubj or 1.6-1.7 legacy binary, CatBoost .cbm, swish .swm)", CLI_REQUIRED},
    {"--input", "IN.csv", "rows to score, with a header naming the model's features ('-': standard input)",
     CLI_REQUIRED},
    {"--output", "OUT.csv", "where to write predictions (default: stdout); never the input file", 0},
    {"--keep", "COL,...", "copy these input columns (ids) into the output, in front of prediction", CLI_REPEAT},
    {"--trees", "all|best|N", "trees to use (default: best when the model has a best iteration; N: the first N, in whole rounds where a round adds several: multi-class, multi-target, num_parallel_tree)", 0},
    {"--margin", NULL, "raw margin, before the objective's link", 0},
    CLI_OPT_THREADS,
    {"--timing", NULL, "print load, parse and scoring times on stderr", 0},
    {"--explain", NULL, "add TreeSHAP contributions: expected_value and shap_<feature> columns", 0},
};

static int parse_trees(const char *s, int *choice)
{
    if (!s || strcmp(s, "best") == 0) {
        *choice = SW_TREES_BEST;
        return 0;
    }
    if (strcmp(s, "all") == 0) {
        *choice = SW_TREES_ALL;
        return 0;
    }
    long long n;
    if (sw_parse_i64(s, strlen(s), &n) != 0 || n < 1 || n > 100000000)
        return cli_failf(SW_ARG, "--trees: expected all, best or a positive count, got '%s'", s);
    *choice = (int)n;
    return 0;
}

/* The same file (also through another path or a link): writing the output
 * would destroy the input. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int read_input(const char *path, const sw_csv_opts *o, sw_table **t, sw_error *err)
{
    if (strcmp(path, "-") != 0) return sw_table_read_csv(path, o, t, err);
    const size_t max = (size_t)1 << 31; /* sw_table_read_csv's default limit */
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (sw_grow((void **)&buf, &cap, len + 65536, 1)) {
            sw_free(buf);
            return sw_fail(err, SW_NOMEM, "out of memory reading standard input");
        }
        size_t k = fread(buf + len, 1, cap - len, stdin);
        len += k;
        if (len > max) {
            sw_free(buf);
            return sw_error_set(err, SW_RANGE, "<stdin>", 0, 0, -1, "more than %zu bytes", max);
        }
        if (k == 0) break;
    }
    if (ferror(stdin)) {
        sw_free(buf);
        return sw_error_set(err, SW_IO, "<stdin>", 0, 0, -1, "read failed: %s", strerror(errno));
    }
    int rc = sw_table_parse("<stdin>", buf, len, o, t, err);
    sw_free(buf);
    return rc;
}

/* A growable output buffer; `failed` is sticky. */
typedef struct {
    char *p;
    size_t len, cap;
    int failed;
} obuf;

static char *ob_room(obuf *b, size_t n)
{
    if (b->failed || sw_grow((void **)&b->p, &b->cap, b->len + n + 1, 1)) {
        b->failed = 1;
        return NULL;
    }
    return b->p + b->len;
}

static void ob_put(obuf *b, const char *s, size_t n)
{
    char *d = ob_room(b, n);
    if (!d) return;
    memcpy(d, s, n);
    b->len += n;
}

static void ob_ch(obuf *b, char c) { ob_put(b, &c, 1); }

/* The CSV field pre + s + sfx (pre and sfx plain names), quoted when s holds
 * a comma, a quote or a line break. */
static void ob_field_in(obuf *b, const char *pre, const char *s, size_t n, const char *sfx)
{
    int q = memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\n', n) || memchr(s, '\r', n);
    if (q) ob_ch(b, '"');
    ob_put(b, pre, strlen(pre));
    if (!q) ob_put(b, s, n);
    for (size_t i = 0; q && i < n; i++) {
        if (s[i] == '"') ob_ch(b, '"');
        ob_ch(b, s[i]);
    }
    ob_put(b, sfx, strlen(sfx));
    if (q) ob_ch(b, '"');
}

/* A CSV field, quoted when it holds a comma, a quote or a line break. */
static void ob_field(obuf *b, const char *s, size_t n) { ob_field_in(b, "", s, n, ""); }

static void ob_num(obuf *b, double v, int f32)
{
    char *d = ob_room(b, SW_NUM_BUF);
    if (d) b->len += (size_t)(f32 ? sw_format_f32(d, (float)v) : sw_format_f64(d, v));
}

/* --keep values: comma-separated column names, each once. */
static int keep_columns(const cli_args *a, char ***names, int *n)
{
    int nv;
    const char *const *v = cli_all(a, "--keep", &nv);
    size_t cap = 0;
    *names = NULL;
    *n = 0;
    for (int i = 0; i < nv; i++) {
        for (const char *s = v[i];; s++) {
            size_t l = strcspn(s, ",");
            if (l == 0) return cli_failf(SW_ARG, "--keep: empty column name in '%s'", v[i]);
            int dup = 0;
            for (int j = 0; j < *n; j++) dup |= strlen((*names)[j]) == l && !strncmp((*names)[j], s, l);
            if (!dup) {
                if (sw_grow((void **)names, &cap, (size_t)*n + 1, sizeof **names) ||
                    !((*names)[*n] = sw_strndup(s, l)))
                    return cli_failf(SW_NOMEM, "out of memory");
                (*n)++;
            }
            s += l;
            if (!*s) break;
        }
    }
    return 0;
}

int cmd_predict(int argc, char **argv)
{
    cli_args a = {.usage = "swish predict",
                  .summary = "Score every row of IN.csv.  Columns are matched to the model's feature names;\n"
                             "empty cells and nan/NaN/NA are missing values.  An infinite cell (inf, 1e39)\n"
                             "is refused, as XGBoost refuses it, unless the model is CatBoost's, which\n"
                             "reads it as a value.  --trees best (the default when\n"
                             "the model records a best iteration, as XGBoost's scikit-learn wrapper does)\n"
                             "uses trees 0..best_iteration; otherwise all trees are used; --trees N more than\n"
                             "the model holds is an error.  --keep copies id columns from the input so each\n"
                             "prediction can be joined back; the output is refused when it is the input file.\n"
                             "--explain adds the exact TreeSHAP decomposition of each row's margin (before the\n"
                             "link): expected_value + the sum of the shap_<feature> columns = the margin.\n"
                             "A multi-class model (multi:softprob) gives prediction_0 .. prediction_<k-1>, the\n"
                             "class probabilities (margins with --margin); multi:softmax gives the class;\n"
                             "--explain then gives expected_value_<c> and shap_<feature>_<c> per class.\n"
                             "A multi-target model (XGBoost's num_target) gives one column per target the same way.",
                  .opts = opts,
                  .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    const char *model_path = cli_get(&a, "--model");
    const char *in_path = cli_get(&a, "--input");
    const char *out_path = cli_get(&a, "--output");
    if (out_path && !strcmp(out_path, "-")) out_path = NULL;
    if (out_path && strcmp(in_path, "-") != 0 && same_file(in_path, out_path))
        return cli_failf(SW_ARG, "--output %s is the input file %s: refusing to overwrite it", out_path, in_path);
    int choice = SW_TREES_BEST;
    if ((rc = parse_trees(cli_get(&a, "--trees"), &choice))) return rc;
    int threads;
    if ((rc = cli_threads(&a, 0, &threads))) return rc;
    int margin = cli_has(&a, "--margin");
    char **keep = NULL;
    int nk = 0;
    if ((rc = keep_columns(&a, &keep, &nk))) {
        for (int i = 0; i < nk; i++) sw_free(keep[i]);
        sw_free(keep);
        return rc;
    }

    sw_error err;
    sw_error_clear(&err);
    double t0 = sw_clock_now();
    sw_forest *f = NULL;
    const char **names = NULL;
    sw_table *t = NULL;
    sw_matrix *X = NULL;
    double *pred = NULL, *all = NULL;
    sw_scorer *sc = NULL;
    sw_explainer **ex = NULL;
    int n_ex = 0;
    obuf ob = {0};
    int *kcol = NULL;
    double t1 = 0, t2 = 0, t2b = 0, t3 = 0;
    int n_trees = 0;
    long n = 0;
    if ((rc = sw_model_load(model_path, &f, &err)) != SW_OK) goto done;
    t1 = sw_clock_now();
    int nf = sw_forest_n_features(f);
    if (choice > 0 && choice > sw_forest_n_trees(f)) {
        rc = sw_error_set(&err, SW_ARG, model_path, 0, 0, -1, "--trees %d: the model has %d trees", choice,
                          sw_forest_n_trees(f));
        goto done;
    }
    if (choice > 0 && choice % sw_forest_trees_per_iteration(f) != 0) {
        /* a part of a round would score some classes with one tree more than
         * others, or take part of a random forest's round (XGBoost counts rounds) */
        int tpi = sw_forest_trees_per_iteration(f);
        if (sw_forest_n_groups(f) > 1)
            rc = sw_error_set(&err, SW_ARG, model_path, 0, 0, -1,
                              "--trees %d: this %d-%s model adds %d trees a round; give a multiple of %d", choice,
                              sw_forest_n_groups(f),
                              sw_objective_is_multiclass(sw_forest_objective(f)) ? "class" : "target", tpi, tpi);
        else
            rc = sw_error_set(&err, SW_ARG, model_path, 0, 0, -1,
                              "--trees %d: this model adds %d trees a round (num_parallel_tree); give a multiple of %d",
                              choice, tpi, tpi);
        goto done;
    }

    if (choice == SW_TREES_BEST && cli_get(&a, "--trees") && sw_forest_best_iteration(f) < 0)
        fprintf(stderr, "swish predict: note: %s has no best iteration (no early stopping): --trees best uses all %d trees\n",
                model_path, sw_forest_n_trees(f));

    /* the features, then the --keep columns that are not features */
    names = sw_calloc((size_t)nf + (size_t)nk + 1, sizeof *names);
    kcol = sw_calloc((size_t)nk + 1, sizeof *kcol);
    if (!names || !kcol) {
        rc = sw_fail(&err, SW_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < nf; i++) names[i] = sw_forest_feature_name(f, i);
    int ncols = nf;
    for (int k = 0; k < nk; k++) {
        int dup = 0;
        for (int i = 0; i < nf; i++) dup |= names[i] && !strcmp(names[i], keep[k]);
        if (!dup) names[ncols++] = keep[k];
    }
    /* XGBoost refuses infinite inputs; CatBoost compares them as values */
    int finite = strcmp(sw_forest_source_format(f), "catboost-cbm") != 0;
    if (nk == 0 && strcmp(in_path, "-") != 0) { /* features only: one pass, no table of cells */
        sw_csv_matrix_opts mo = {.columns = names, .n_columns = nf, .finite_matrix = finite};
        if ((rc = sw_matrix_read_csv(in_path, &mo, &X, NULL, &err)) != SW_OK) goto done;
    } else {
        sw_csv_opts copts = {.columns = names, .n_columns = ncols};
        if ((rc = read_input(in_path, &copts, &t, &err)) != SW_OK) goto done;
        if ((rc = sw_matrix_from_table(t, names, nf, &X, &err)) != SW_OK) goto done;
        for (long r = 0; finite && r < X->rows && rc == SW_OK; r++) /* the first in the file, as above */
            for (int j = 0; j < nf; j++) {
                if (!isinf(sw_matrix_row(X, r)[j])) continue;
                size_t len;
                int col = sw_table_find(t, names[j]);
                const char *s = sw_table_str(t, r, col, &len);
                rc = sw_table_error(t, r, col, &err, SW_INVALID_DATA, SW__INFINITE_CELL, names[j],
                                    (int)(len < 40 ? len : 40), s);
                break;
            }
        if (rc) goto done;
    }
    for (int k = 0; k < nk; k++) kcol[k] = sw_table_find(t, keep[k]);
    t2 = sw_clock_now();

    n_trees = sw_forest_tree_limit(f, choice);
    n = X->rows;
    int no = sw_forest_n_outputs(f, margin);
    pred = sw_alloc_array((size_t)(n ? n : 1) * (size_t)no, sizeof *pred);
    if (!pred) {
        rc = sw_fail(&err, SW_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = sw_scorer_create(f, n_trees, SW_ISA_AUTO, &sc, &err)) != SW_OK) goto done;
    t2b = sw_clock_now();
    sw_scorer_predict(sc, X->data, n, X->cols, margin, threads, pred);
    t3 = sw_clock_now();

    /* format */
    int f32 = sw_forest_output_is_f32(f);
    int explain = cli_has(&a, "--explain");
    for (int k = 0; k < nk; k++) {
        ob_field(&ob, keep[k], strlen(keep[k]));
        ob_ch(&ob, ',');
    }
    /* several outputs (classes): prediction_0, prediction_1, ...; their
     * explanations suffixed the same way */
    int G = sw_forest_n_groups(f);
    for (int o = 0; o < no; o++) {
        char col[32];
        int l = no == 1 ? snprintf(col, sizeof col, "prediction") : snprintf(col, sizeof col, "prediction_%d", o);
        if (o) ob_ch(&ob, ',');
        ob_put(&ob, col, (size_t)l);
    }
    if (explain) {
        ex = sw_calloc((size_t)G, sizeof *ex);
        if (!ex) {
            rc = sw_fail(&err, SW_NOMEM, "out of memory");
            goto done;
        }
        for (n_ex = 0; n_ex < G; n_ex++)
            if ((rc = sw_explainer_create_group(f, n_trees, n_ex, &ex[n_ex], &err)) != SW_OK) goto done;
        for (int g = 0; g < G; g++) {
            char sfx[16] = "";
            if (G > 1) snprintf(sfx, sizeof sfx, "_%d", g);
            ob_put(&ob, ",expected_value", 15);
            ob_put(&ob, sfx, strlen(sfx));
            for (int j = 0; j < nf; j++) {
                const char *fn = sw_forest_feature_name(f, j);
                ob_ch(&ob, ',');
                ob_field_in(&ob, "shap_", fn ? fn : "", fn ? strlen(fn) : 0, sfx);
            }
        }
        /* rows in parallel (each row's contributions are independent), then formatted in order */
        size_t per = (size_t)G * (size_t)(nf ? nf : 1);
        all = sw_alloc_array((size_t)(n ? n : 1) * per, sizeof *all);
        int failed = !all;
        for (int g = 0; g < G && !failed; g++)
            failed = sw_explain_rows(ex[g], X->data, n, X->cols, threads, all + (size_t)g * (size_t)nf, (long)per) != SW_OK;
        if (failed) {
            rc = sw_fail(&err, SW_NOMEM, "out of memory");
            goto done;
        }
    }
    ob_ch(&ob, '\n');
    for (long i = 0; i < n && !ob.failed; i++) {
        for (int k = 0; k < nk; k++) {
            size_t len = 0;
            const char *cell = sw_table_str(t, i, kcol[k], &len);
            ob_field(&ob, cell ? cell : "", cell ? len : 0);
            ob_ch(&ob, ',');
        }
        for (int o = 0; o < no; o++) {
            if (o) ob_ch(&ob, ',');
            ob_num(&ob, pred[(size_t)i * (size_t)no + (size_t)o], f32);
        }
        if (explain) {
            for (int g = 0; g < G; g++) {
                ob_ch(&ob, ',');
                ob_num(&ob, sw_explainer_expected(ex[g]), 0);
                for (int j = 0; j < nf; j++) {
                    ob_ch(&ob, ',');
                    ob_num(&ob, all[((size_t)i * (size_t)G + (size_t)g) * (size_t)nf + (size_t)j], 0);
                }
            }
        }
        ob_ch(&ob, '\n');
    }
    if (ob.failed) {
        rc = sw_fail(&err, SW_NOMEM, "out of memory");
        goto done;
    }
    if (out_path) {
        rc = sw_write_file_atomic(out_path, ob.p, ob.len, &err);
    } else {
        rc = fwrite(ob.p, 1, ob.len, stdout) == ob.len && fflush(stdout) == 0
                 ? SW_OK
                 : sw_error_set(&err, SW_IO, "<stdout>", 0, 0, -1, "write failed: %s", strerror(errno));
    }
    double t4 = sw_clock_now();
    if (rc == SW_OK && cli_has(&a, "--timing")) {
        double per = n && n_trees ? (t3 - t2b) * 1e9 / ((double)n * n_trees) : 0.0;
        fprintf(stderr,
                "timing: load %.3f ms, parse %.3f ms (%ld rows), scorer build %.3f ms (%s), score %.3f ms "
                "(%d trees, %d threads, %.2f ns/row/tree), write %.3f ms\n",
                (t1 - t0) * 1e3, (t2 - t1) * 1e3, n, (t2b - t2) * 1e3, sw_isa_name(sw_scorer_isa(sc)),
                (t3 - t2b) * 1e3, n_trees, threads, per, (t4 - t3) * 1e3);
    }
done:
    if (rc == SW_MISMATCH && f && sw_forest_unnamed(f)) { /* say where f0, f1, ... come from */
        size_t l = strlen(err.msg);
        snprintf(err.msg + l, sizeof err.msg - l, " (%s names no features: name the columns f0, f1, ... in its order)",
                 model_path);
    }
    sw_free(ob.p);
    sw_free(all);
    for (int g = 0; ex && g < n_ex; g++) sw_explainer_free(ex[g]);
    sw_free(ex);
    sw_scorer_free(sc);
    sw_free(pred);
    sw_matrix_free(X);
    sw_table_free(t);
    sw_free(kcol);
    sw_free(names);
    for (int i = 0; i < nk; i++) sw_free(keep[i]);
    sw_free(keep);
    sw_forest_free(f);
    return rc ? cli_fail(&err) : 0;
}
