/* cmd_predict: `swish predict`: score a CSV with a model file.
 *
 * Input columns are matched to the model's feature names in any order; extra
 * columns are ignored; a missing one is an error naming it.  Output is a CSV
 * with one `prediction` column printed so that it round-trips (%.9g for
 * XGBoost's float32 results, %.17g for CatBoost's doubles). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "core/alloc.h"
#include "core/csv.h"
#include "core/fileio.h"
#include "core/matrix.h"
#include "core/num.h"
#include "gbdt/forest.h"
#include "gbdt/explain.h"
#include "gbdt/score.h"
#include "io/model.h"

static const cli_opt opts[] = {
    {"--model", "MODEL", "model file (XGBoost .json/.ubj, CatBoost .cbm)", 0},
    {"--input", "IN.csv", "rows to score, with a header naming the model's features", 0},
    {"--output", "OUT.csv", "where to write predictions (default: stdout)", 0},
    {"--trees", "all|best|N", "trees to use (default: best when the model has a best iteration)", 0},
    {"--margin", NULL, "raw margin, before the objective's link", 0},
    {"--threads", "N", "scoring threads (default 1)", 0},
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

int cmd_predict(int argc, char **argv)
{
    cli_args a = {.usage = "swish predict --model MODEL --input IN.csv [--output OUT.csv] [--trees all|best|N]\n"
                           "                     [--margin] [--threads N] [--timing]",
                  .summary = "Score every row of IN.csv.  Columns are matched to the model's feature names;\n"
                             "empty cells and nan/NaN/NA are missing values.  --trees best (the default when\n"
                             "the model records a best iteration, as XGBoost's scikit-learn wrapper does)\n"
                             "uses trees 0..best_iteration; otherwise all trees are used.\n"
                             "--explain adds the exact TreeSHAP decomposition of each row's margin (before the\n"
                             "link): expected_value + the sum of the shap_<feature> columns = the margin.",
                  .opts = opts,
                  .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    const char *model_path = cli_need(&a, "--model");
    if (!model_path) return 2;
    const char *in_path = cli_need(&a, "--input");
    if (!in_path) return 2;
    const char *out_path = cli_get(&a, "--output");
    int choice = SW_TREES_BEST;
    if ((rc = parse_trees(cli_get(&a, "--trees"), &choice))) return rc;
    long threads;
    if ((rc = cli_int(&a, "--threads", 1, 1, 1024, &threads))) return rc;
    int margin = cli_has(&a, "--margin");

    sw_error err;
    sw_error_clear(&err);
    double t0 = cli_now();
    sw_forest *f;
    if (sw_model_load(model_path, &f, &err) != SW_OK) return cli_fail(&err);
    double t1 = cli_now();

    int nf = sw_forest_n_features(f);
    const char **names = sw_calloc((size_t)nf + 1, sizeof *names);
    if (!names) {
        sw_forest_free(f);
        return cli_failf(SW_NOMEM, "out of memory");
    }
    for (int i = 0; i < nf; i++) names[i] = sw_forest_feature_name(f, i);
    sw_csv_opts copts = {.columns = names, .n_columns = nf};
    sw_table *t = NULL;
    sw_matrix *X = NULL;
    rc = sw_table_read_csv(in_path, &copts, &t, &err);
    if (rc == SW_OK) rc = sw_matrix_from_table(t, names, nf, &X, &err);
    sw_table_free(t);
    sw_free(names);
    if (rc != SW_OK) {
        sw_forest_free(f);
        return cli_fail(&err);
    }
    double t2 = cli_now();

    int n_trees = sw_forest_tree_limit(f, choice);
    long n = X->rows;
    double *pred = sw_alloc_array((size_t)(n ? n : 1), sizeof *pred);
    sw_scorer *sc = NULL;
    if (!pred || sw_scorer_create(f, n_trees, SW_ISA_AUTO, &sc, &err) != SW_OK) {
        if (!pred) sw_error_set(&err, SW_NOMEM, NULL, 0, 0, -1, "out of memory");
        sw_free(pred);
        sw_matrix_free(X);
        sw_forest_free(f);
        return cli_fail(&err);
    }
    double t2b = cli_now();
    sw_scorer_predict(sc, X->data, n, X->cols, margin, (int)threads, pred);
    double t3 = cli_now();

    /* format and write */
    size_t cap = (size_t)n * 26 + 32, len = 0;
    char *buf = sw_malloc(cap);
    if (!buf) {
        sw_scorer_free(sc);
        sw_free(pred);
        sw_matrix_free(X);
        sw_forest_free(f);
        return cli_failf(SW_NOMEM, "out of memory");
    }
    int f32 = sw_forest_output_is_f32(f);
    if (cli_has(&a, "--explain")) {
        sw_explainer *ex = NULL;
        double *phi = sw_alloc_array((size_t)nf + 1, sizeof *phi);
        size_t cap2 = ((size_t)n + 1) * ((size_t)nf + 2) * 26 + 64 * (size_t)nf + 64;
        char *b2 = sw_malloc(cap2);
        if (!phi || !b2 || sw_explainer_create(f, n_trees, &ex, &err) != SW_OK) {
            if (!phi || !b2) sw_error_set(&err, SW_NOMEM, NULL, 0, 0, -1, "out of memory");
            sw_free(phi);
            sw_free(b2);
            sw_free(buf);
            sw_scorer_free(sc);
            sw_free(pred);
            sw_matrix_free(X);
            sw_forest_free(f);
            return cli_fail(&err);
        }
        sw_free(buf);
        buf = b2;
        cap = cap2;
        len = (size_t)snprintf(buf, cap, "prediction,expected_value");
        for (int j = 0; j < nf; j++) len += (size_t)snprintf(buf + len, cap - len, ",shap_%s", sw_forest_feature_name(f, j));
        buf[len++] = '\n';
        /* rows in parallel (each row's contributions are independent), then formatted in order */
        double *all = sw_alloc_array((size_t)(n ? n : 1) * (size_t)nf, sizeof *all);
        int failed = !all;
#pragma omp parallel for num_threads((int)threads) schedule(dynamic, 8) if (threads > 1)
        for (long i = 0; i < n; i++)
            if (all && sw_explain_row(ex, sw_matrix_row(X, i), all + (size_t)i * (size_t)nf)) failed = 1;
        if (failed) rc = sw_error_set(&err, SW_NOMEM, NULL, 0, 0, -1, "out of memory");
        for (long i = 0; i < n && rc == SW_OK; i++) {
            len += (size_t)(f32 ? sw_format_f32(buf + len, (float)pred[i]) : sw_format_f64(buf + len, pred[i]));
            buf[len++] = ',';
            len += (size_t)sw_format_f64(buf + len, sw_explainer_expected(ex));
            for (int j = 0; j < nf; j++) {
                buf[len++] = ',';
                len += (size_t)sw_format_f64(buf + len, all[(size_t)i * (size_t)nf + (size_t)j]);
            }
            buf[len++] = '\n';
        }
        sw_free(all);
        sw_free(phi);
        sw_explainer_free(ex);
    } else {
        len += (size_t)snprintf(buf, cap, "prediction\n");
        for (long i = 0; i < n; i++) {
            int k = f32 ? sw_format_f32(buf + len, (float)pred[i]) : sw_format_f64(buf + len, pred[i]);
            len += (size_t)k;
            buf[len++] = '\n';
        }
    }
    if (rc) {
    } else if (out_path) {
        rc = sw_write_file_atomic(out_path, buf, len, &err);
    } else {
        rc = fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0
                 ? SW_OK
                 : sw_error_set(&err, SW_IO, "<stdout>", 0, 0, -1, "write failed: %s", strerror(errno));
    }
    double t4 = cli_now();
    if (cli_has(&a, "--timing")) {
        double per = n && n_trees ? (t3 - t2b) * 1e9 / ((double)n * n_trees) : 0.0;
        fprintf(stderr,
                "timing: load %.3f ms, parse %.3f ms (%ld rows), scorer build %.3f ms (%s), score %.3f ms "
                "(%d trees, %d threads, %.2f ns/row/tree), write %.3f ms\n",
                (t1 - t0) * 1e3, (t2 - t1) * 1e3, n, (t2b - t2) * 1e3, sw_isa_name(sw_scorer_isa(sc)),
                (t3 - t2b) * 1e3, n_trees, (int)threads, per, (t4 - t3) * 1e3);
    }
    sw_free(buf);
    sw_scorer_free(sc);
    sw_free(pred);
    sw_matrix_free(X);
    sw_forest_free(f);
    return rc ? cli_fail(&err) : 0;
}
