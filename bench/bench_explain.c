/* bench_explain: TreeSHAP (sw_explain_rows, what `swish predict --explain` and
 * the slate's drivers run) beside XGBoost 1.7.4's pred_contribs.
 *
 * The real XGBoost v7 model of ../shared (524 trees) on its 2,000 crosscheck
 * rows (quick: 200), at 1 and 2 threads: swish best of 3 (a fresh explainer
 * each time, so the leaf tables' building counts), XGBoost best of 2 (one in
 * quick mode); the largest difference between the two sets of contributions
 * (XGBoost sums in float32) is printed and fails the benchmark past 2e-4 or
 * when swish's sums differ between thread counts.  Then the CatBoost v8 model
 * (1000 oblivious trees) for swish alone: CatBoost is not here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/clock.h"
#include "core/csv.h"
#include "core/matrix.h"
#include "gbdt/explain.h"
#include "io/model.h"

static const char *const V7 = "xgboost_v7_31features_20260108_204724", *const CB8 = "catboost_v8_33features_20260108_211817";

/* The model's crosscheck rows (the first n) in model feature order. */
static sw_matrix *rows_for(const bench_ctx *c, const sw_forest *f, const char *kind, const char *name, long n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/crosscheck/%s/%s/inputs.csv", c->shared, kind, name);
    int nf = sw_forest_n_features(f);
    const char **fn = calloc((size_t)nf, sizeof *fn);
    for (int k = 0; k < nf; k++) fn[k] = sw_forest_feature_name(f, k);
    sw_csv_opts o = {.columns = fn, .n_columns = nf};
    sw_table *t;
    sw_matrix *X = NULL;
    sw_error err;
    if (sw_table_read_csv(path, &o, &t, &err) != SW_OK || sw_matrix_from_table(t, fn, nf, &X, &err) != SW_OK)
        fprintf(stderr, "bench explain: %s: %s\n", path, err.msg);
    else sw_table_free(t);
    free(fn);
    if (X && X->rows > n) X->rows = n;
    return X;
}

/* swish's best time over reps fresh explainers, phi in out (rows x nf). */
static double swish_explain(const sw_forest *f, const sw_matrix *X, int threads, int reps, double *out)
{
    double best = INFINITY;
    for (int r = 0; r < reps; r++) {
        sw_explainer *e;
        sw_error err;
        double a = sw_clock_now();
        if (sw_explainer_create(f, -1, &e, &err) != SW_OK) {
            fprintf(stderr, "bench explain: %s\n", err.msg);
            return NAN;
        }
        int rc = sw_explain_rows(e, X->data, X->rows, X->cols, threads, out, X->cols);
        double s = sw_clock_now() - a;
        sw_explainer_free(e);
        if (rc != SW_OK) return NAN;
        if (s < best) best = s;
    }
    return best;
}

int bench_explain(const bench_ctx *c)
{
    long n = c->quick ? 200 : 2000;
    int xreps = c->quick ? 1 : 2, rc = 0;
    char mpath[1024], bin[600], cmd[4096];
    snprintf(mpath, sizeof mpath, "%s/models/%s.json", c->shared, V7);
    sw_forest *f;
    sw_error err;
    if (sw_model_load(mpath, &f, &err) != SW_OK) {
        fprintf(stderr, "bench explain: %s\n", err.msg);
        return 1;
    }
    sw_matrix *X = rows_for(c, f, "xgboost", V7, n);
    if (!X) return 1;
    int nf = X->cols, nt = sw_forest_n_trees(f);
    /* the rows as XGBoost's script reads them */
    char rows[600];
    snprintf(rows, sizeof rows, "%s/explain_rows.csv", c->tmp);
    snprintf(cmd, sizeof cmd, "head -n %ld %s/crosscheck/xgboost/%s/inputs.csv > %s", n + 1, c->shared, V7, rows);
    if (system(cmd) != 0) return 1;
    printf("== explain: TreeSHAP of %ld rows, the real XGBoost v7 model (%d trees, %d features), swish beside XGBoost "
           "1.7.4's pred_contribs ==\n",
           X->rows, nt, nf);
    printf("%4s | %9s %10s | %9s %10s | %7s | %s\n", "thr", "swish s", "us/row/tree", "xgb s", "us/row/tree", "xgb/x",
           "largest |swish - XGBoost|");
    double *phi = malloc(sizeof(double) * (size_t)X->rows * (size_t)nf), *phi1 = NULL;
    float *xp = malloc(sizeof(float) * (size_t)X->rows * (size_t)(nf + 1));
    for (int th = 1; th <= 2 && rc == 0; th++) {
        double s = swish_explain(f, X, th, 3, phi);
        if (!isfinite(s)) {
            rc = 1;
            break;
        }
        if (th == 1) {
            phi1 = malloc(sizeof(double) * (size_t)X->rows * (size_t)nf);
            memcpy(phi1, phi, sizeof(double) * (size_t)X->rows * (size_t)nf);
        } else if (memcmp(phi1, phi, sizeof(double) * (size_t)X->rows * (size_t)nf) != 0) {
            printf("swish's contributions differ between 1 and 2 threads\n");
            rc = 1;
        }
        snprintf(bin, sizeof bin, "%s/explain_xgb.bin", c->tmp);
        snprintf(cmd, sizeof cmd, "%s bench/xgb_explain.py %s %s %d %d %s", bench_python(), mpath, rows, th, xreps, bin);
        char *js = bench_capture(cmd);
        double xs = bench_json_num(js, "seconds");
        free(js);
        double worst = NAN;
        FILE *fp = fopen(bin, "rb");
        if (fp && fread(xp, sizeof(float) * (size_t)(nf + 1), (size_t)X->rows, fp) == (size_t)X->rows) {
            worst = 0;
            for (long r = 0; r < X->rows; r++)
                for (int j = 0; j < nf; j++) {
                    double d = fabs(phi[(size_t)r * (size_t)nf + (size_t)j] - xp[(size_t)r * (size_t)(nf + 1) + (size_t)j]);
                    if (d > worst) worst = d;
                }
        }
        if (fp) fclose(fp);
        if (!(worst <= 2e-4)) rc = 1;
        double per = 1e6 / ((double)X->rows * nt);
        printf("%4d | %9.3f %10.3f | %9.3f %10.3f | %6.2fx | %.3g%s\n", th, s, s * per, xs, xs * per, xs / s, worst,
               worst <= 2e-4 ? "" : "  FAIL (over 2e-4)");
        fflush(stdout);
    }
    free(phi);
    free(phi1);
    free(xp);
    sw_matrix_free(X);
    sw_forest_free(f);
    /* CatBoost v8, swish alone */
    snprintf(mpath, sizeof mpath, "%s/models/%s.cbm", c->shared, CB8);
    if (rc == 0 && sw_model_load(mpath, &f, &err) == SW_OK) {
        X = rows_for(c, f, "catboost", CB8, n);
        if (X) {
            phi = malloc(sizeof(double) * (size_t)X->rows * (size_t)X->cols);
            nt = sw_forest_n_trees(f);
            for (int th = 1; th <= 2; th++) {
                double s = swish_explain(f, X, th, 3, phi);
                printf("catboost v8 (%d oblivious trees), %d thread%s: %.3f s, %.3f us per row per tree\n", nt, th,
                       th > 1 ? "s" : "", s, s * 1e6 / ((double)X->rows * nt));
            }
            free(phi);
            sw_matrix_free(X);
        }
        sw_forest_free(f);
    }
    printf("(s: every row's contributions, a fresh explainer included; xgb/x: XGBoost's time / swish's)\n\n");
    return rc;
}
