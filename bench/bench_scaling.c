/* bench_scaling: training and scoring from one thread to every CPU, swish
 * beside XGBoost 1.7.4 at each count.
 *
 * Training: the synthetic NBA-shaped set (1,000,000 rows, 300 rounds; quick:
 * 30,000 and 50), swish as a whole process (wall time, reading the CSV
 * included, and its training time) beside XGBoost's train call.  Scoring: the
 * first count's model on the test rows, in process, beside xgb_score.py.  Every
 * count must give the same model bytes and the same scores as the first:
 * otherwise the table says so and the benchmark fails.  The thread counts are
 * 1, 2, 4, ... up to the CPUs online (and their number), or SW_BENCH_THREADS.
 * SW_BENCH_PYTHON=none runs swish alone (a machine without XGBoost): the
 * XGBoost columns read nan. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "core/csv.h"
#include "core/matrix.h"
#include "gbdt/forest.h"
#include "gbdt/score.h"
#include "io/model.h"

/* FNV-1a of a file's bytes; 0 when unreadable. */
static unsigned long long file_hash(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    unsigned long long h = 1469598103934665603ULL;
    int ch;
    while ((ch = fgetc(fp)) != EOF) h = (h ^ (unsigned char)ch) * 1099511628211ULL;
    fclose(fp);
    return h;
}

int bench_scaling(const bench_ctx *c)
{
    int th[16];
    int nth = bench_thread_counts(th, 16);
    if (nth == 0) {
        fprintf(stderr, "bench scaling: SW_BENCH_THREADS is not a list of thread counts\n");
        return 1;
    }
    long ntr = c->quick ? 30000 : 1000000, nte = c->quick ? 20000 : 200000;
    int rounds = c->quick ? 50 : 300, reps = c->quick ? 2 : 5;
    char tr[512], te[512], trz[512], tez[512], cmd[4096], model[600], first[600];
    snprintf(tr, sizeof tr, "%s/scale_train.csv", c->tmp);
    snprintf(te, sizeof te, "%s/scale_test.csv", c->tmp);
    snprintf(trz, sizeof trz, "%s/scale_train.npz", c->tmp);
    snprintf(tez, sizeof tez, "%s/scale_test.npz", c->tmp);
    int xgb = strcmp(bench_python(), "none") != 0;
    if (bench_gen_nba(tr, te, ntr, nte, 42) != 0 || (xgb && (bench_make_npz(tr, trz) || bench_make_npz(te, tez))))
        return 1;
    printf("== scaling: training %ld x 33 synthetic rows, %d rounds (the parameters of bench train), and scoring "
           "%ld rows with the model, 1 to %d threads, swish beside XGBoost 1.7.4 ==\n",
           ntr, rounds, nte, th[nth - 1]);
    printf("%4s | %8s %8s %6s %5s | %8s %6s %6s | %9s %6s %5s | %9s %6s %6s | %s\n", "thr", "whole s", "train s", "speedup",
           "eff", "xgb s", "speedup", "xgb/x", "score ns", "speedup", "eff", "xgb ns", "speedup", "xgb/x", "same as the first");
    int rc = 0;
    double base[4] = {0};
    unsigned long long h1 = 0, sum1 = 0;
    sw_matrix *X = NULL;
    double *out = NULL;
    for (int i = 0; i < nth; i++) {
        int t = th[i];
        double rss;
        /* XGBoost's train call */
        snprintf(cmd, sizeof cmd, "%s bench/xgb_train.py %s %s PTS %d %d '%s'", bench_python(), trz, tez, t, rounds,
                 bench_params_json);
        double xs = NAN;
        char *js = NULL;
        if (xgb) {
            js = bench_run_rss(cmd, &rss);
            if (!js) return 1;
            xs = bench_json_num(js, "train_seconds");
            free(js);
        }
        /* swish as a whole process */
        snprintf(model, sizeof model, "%s/scale_%d.json", c->tmp, t);
        snprintf(cmd, sizeof cmd,
                 "%s train --train %s --target PTS --out %s --rounds %d --threads %d --every 0 --json %s",
                 bench_swish_bin(), tr, model, rounds, t, bench_params_cli);
        double whole;
        js = bench_run_timed(cmd, &rss, &whole);
        if (!js) return 1;
        double strain = bench_json_num(js, "total");
        free(js);
        unsigned long long h = file_hash(model);
        if (i == 0) {
            h1 = h;
            snprintf(first, sizeof first, "%s", model);
            /* the rows scored at every count */
            sw_error err;
            sw_table *tb;
            sw_forest *f;
            if (sw_model_load(first, &f, &err) != SW_OK) {
                fprintf(stderr, "bench scaling: %s\n", err.msg);
                return 1;
            }
            int nf = sw_forest_n_features(f);
            const char **fn = calloc((size_t)nf, sizeof *fn);
            for (int k = 0; k < nf; k++) fn[k] = sw_forest_feature_name(f, k);
            sw_csv_opts o = {.columns = fn, .n_columns = nf};
            if (sw_table_read_csv(te, &o, &tb, &err) != SW_OK || sw_matrix_from_table(tb, fn, nf, &X, &err) != SW_OK) {
                fprintf(stderr, "bench scaling: %s: %s\n", te, err.msg);
                return 1;
            }
            sw_table_free(tb);
            free(fn);
            sw_forest_free(f);
            out = malloc(sizeof(double) * (size_t)X->rows);
        }
        /* scoring the one-thread model, in process */
        sw_forest *f;
        sw_scorer *s;
        sw_error err;
        if (sw_model_load(first, &f, &err) != SW_OK || sw_scorer_create(f, SW_TREES_ALL, SW_ISA_AUTO, &s, &err) != SW_OK) {
            fprintf(stderr, "bench scaling: %s\n", err.msg);
            return 1;
        }
        double best = INFINITY;
        for (int r = 0; r < reps; r++) {
            double a = sw_clock_now();
            sw_scorer_predict(s, X->data, X->rows, X->cols, 0, t, out);
            double b = sw_clock_now() - a;
            if (b < best) best = b;
        }
        unsigned long long sum = bench_checksum(out, X->rows);
        double sns = best * 1e9 / ((double)X->rows * sw_forest_n_trees(f));
        sw_scorer_free(s);
        sw_forest_free(f);
        if (i == 0) sum1 = sum;
        snprintf(cmd, sizeof cmd, "%s bench/xgb_score.py %s %s %d %d", bench_python(), first, te, t, reps);
        double xns = NAN;
        if (xgb) {
            js = bench_capture(cmd);
            xns = bench_json_num(js, "ns_row_tree");
            free(js);
        }
        if (i == 0) {
            base[0] = whole;
            base[1] = xs;
            base[2] = sns;
            base[3] = xns;
        }
        int same = h == h1 && sum == sum1;
        if (!same) rc = 1;
        printf("%4d | %8.2f %8.2f %6.2fx %4.0f%% | %8.2f %6.2fx %6.2f | %9.3f %6.2fx %4.0f%% | %9.3f %6.2fx %6.1f | %s\n", t,
               whole, strain, base[0] / whole, 100 * base[0] / whole / t, xs, base[1] / xs, xs / whole, sns,
               base[2] / sns, 100 * base[2] / sns / t, xns, base[3] / xns, xns / sns,
               same ? "yes" : h != h1 ? "NO: the model bytes differ" : "NO: the scores differ");
        fflush(stdout);
    }
    printf("(whole: swish train as a process, reading the CSV included; speedup and eff(iciency) against this column at\n"
           " the first count; xgb/x: XGBoost's time / swish's; score: ns per row per tree, best of %d)\n\n", reps);
    free(out);
    sw_matrix_free(X);
    return rc;
}
