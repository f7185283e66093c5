/* bench_score: scoring speed of every model in ../shared/models beside
 * XGBoost 1.7.4 on the same rows, in the same run.
 *
 * Rows: the model's crosscheck inputs (realistic values, thresholds, NaN-heavy
 * and extreme blocks) repeated to N rows, written once to a CSV that both
 * sides read.  swish: median model load time, ns per row per tree at 1 and 2
 * threads for each ISA variant the CPU has, 450-row and single-row latency.
 * XGBoost: the same figures from bench/xgb_score.py (a fresh DMatrix per
 * repetition, so its prediction cache cannot answer).  CatBoost models are
 * timed in XGBoost through the same trees rewritten as binary trees
 * (sw_forest_to_binary).  Each swish figure carries a checksum of its outputs;
 * all ISA variants must agree on it.  Beside the ../shared models: models
 * swish and XGBoost train in the bench itself on the synthetic set (XGBoost's
 * default 256 bins, max_bin=1024, exact, depth 8 and 10, binary:logistic,
 * lossguide, a wide table). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/alloc.h"
#include "core/csv.h"
#include "core/matrix.h"
#include "gbdt/forest.h"
#include "gbdt/score.h"
#include "io/model.h"
#include "core/clock.h"

#define MAX_MODELS 32

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Repeat the rows of a CSV to n rows (leaving out the rows with infinities,
 * which XGBoost refuses); returns the new CSV's path. */
static int make_rows(const bench_ctx *c, const char *in, const char *name, long n, char *out, size_t size)
{
    FILE *fp = fopen(in, "r");
    if (!fp) return -1;
    snprintf(out, size, "%s/%s.rows.csv", c->tmp, name);
    FILE *w = fopen(out, "w");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, fp);
    fwrite(line, 1, (size_t)len, w);
    long pos = ftell(fp), written = 0;
    while (written < n) {
        len = getline(&line, &cap, fp);
        if (len <= 0) {
            fseek(fp, pos, SEEK_SET);
            continue;
        }
        if (strstr(line, "inf")) continue; /* XGBoost refuses infinities */
        fwrite(line, 1, (size_t)len, w);
        written++;
    }
    free(line);
    fclose(fp);
    fclose(w);
    return 0;
}

static double time_scorer(const sw_scorer *s, const sw_matrix *X, int threads, int reps, double *out)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = sw_clock_now();
        sw_scorer_predict(s, X->data, X->rows, X->cols, 0, threads, out);
        double t = sw_clock_now() - t0;
        if (t < best) best = t;
    }
    return best;
}

static double latency(const sw_scorer *s, const sw_matrix *X, long rows, int reps, double *out)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = sw_clock_now();
        if (rows == 1) {
            out[0] = sw_scorer_predict_row(s, X->data, 0);
        } else {
            sw_scorer_predict(s, X->data, rows, X->cols, 0, 1, out);
        }
        double t = sw_clock_now() - t0;
        if (t < best) best = t;
    }
    return best;
}

typedef struct {
    char name[256];  /* shown in the table */
    char path[1024]; /* model file */
    char rows[1024]; /* CSV whose rows are scored (repeated) */
} entry;

/* A 1000-tree depth-6 model of each kind, trained by swish on bench/gen_nba.c's
 * data, and XGBoost's own models of the kinds users bring, trained on the same. */
/* SW_BENCH_MODELS=a,b: only the models whose name contains one of the words */
static int picked(const char *name) { return bench_env_picks("SW_BENCH_MODELS", name, 1); }

static int train_models(const bench_ctx *c, entry *e, int *n)
{
    char tr[600], te[600], cmd[4096];
    snprintf(tr, sizeof tr, "%s/score_train.csv", c->tmp);
    snprintf(te, sizeof te, "%s/score_test.csv", c->tmp);
    if (bench_gen_nba(tr, te, c->quick ? 20000 : 60000, 20000, 7) != 0) return -1;
    for (int k = 0; k < 2; k++) {
        entry *x = &e[*n];
        snprintf(x->name, sizeof x->name, "swish-trained %s 1000x6", k ? "oblivious" : "binary");
        if (!picked(x->name)) continue;
        (*n)++;
        snprintf(x->path, sizeof x->path, "%s/swish_1000x6.%s", c->tmp, k ? "cbm" : "json");
        snprintf(x->rows, sizeof x->rows, "%s", te);
        snprintf(cmd, sizeof cmd,
                 "build/swish train --train %s --target PTS --out %s --rounds 1000 --every 0 --threads 2 "
                 "--param eta=0.1 --param max_depth=6 --param min_child_weight=1 --param subsample=0.8%s > /dev/null",
                 tr, x->path, k ? " --param grow_policy=oblivious" : "");
        if (system(cmd) != 0) return -1;
    }
    /* the models users bring: trained by XGBoost itself (hist's default 256 bins:
     * a byte per bin is not enough; max_bin=1024 and exact, the method XGBoost's
     * "auto" picks for data of this size: thousands of thresholds) */
    static const struct {
        const char *name, *params;
        int rounds;
    } xm[] = {
        {"xgboost hist, 256 bins %dx6", "{\"max_depth\": 6, \"tree_method\": \"hist\"}", 1000},
        {"xgboost hist max_bin=1024 %dx6", "{\"max_depth\": 6, \"tree_method\": \"hist\", \"max_bin\": 1024}", 300},
        {"xgboost exact %dx6", "{\"max_depth\": 6, \"tree_method\": \"exact\"}", 300},
        {"xgboost hist depth 8 %dx8", "{\"max_depth\": 8, \"tree_method\": \"hist\"}", 300},
        {"xgboost hist depth 10 %dx10", "{\"max_depth\": 10, \"tree_method\": \"hist\"}", 100},
        {"xgboost binary:logistic %dx6",
         "{\"max_depth\": 6, \"tree_method\": \"hist\", \"objective\": \"binary:logistic\", \"binarize\": true}",
         300},
        /* lossguide (LightGBM's shape): deep, sparse trees no complete record takes */
        {"xgboost lossguide %dx255 leaves",
         "{\"grow_policy\": \"lossguide\", \"max_leaves\": 255, \"max_depth\": 0, \"tree_method\": \"hist\"}", 100},
        /* a wide table (533 features, as with one-hot players): binning every
         * feature of a row costs more than 100 trees walk */
        {"xgboost wide 533 features %dx6",
         "{\"max_depth\": 6, \"tree_method\": \"hist\", \"colsample_bynode\": 0.5, \"widen\": 500}", 100},
    };
    for (size_t k = 0; k < sizeof xm / sizeof xm[0]; k++) {
        entry *x = &e[*n];
        int rounds = c->quick ? 100 : xm[k].rounds;
        snprintf(x->name, sizeof x->name, xm[k].name, rounds);
        if (!picked(x->name)) continue;
        (*n)++;
        snprintf(x->path, sizeof x->path, "%s/xgb_%zu.json", c->tmp, k);
        int wide_rows = strstr(xm[k].params, "widen") != NULL; /* its own rows, with the added columns */
        if (wide_rows) snprintf(x->rows, sizeof x->rows, "%s/xgb_%zu_rows.csv", c->tmp, k);
        else snprintf(x->rows, sizeof x->rows, "%s", te);
        snprintf(cmd, sizeof cmd, "%s bench/xgb_make.py %s PTS %d '%s' %s%s%s%s%s", bench_python(), tr, rounds,
                 xm[k].params, x->path, wide_rows ? " " : "", wide_rows ? te : "", wide_rows ? " " : "",
                 wide_rows ? x->rows : "");
        char *js = bench_capture(cmd);
        double wide = bench_json_num(js, "widest_feature_thresholds");
        free(js);
        if (!(wide > 0)) return -1;
        size_t len = strlen(x->name);
        snprintf(x->name + len, sizeof x->name - len, " [%.0f thr]", wide);
    }
    return 0;
}

int bench_score(const bench_ctx *c)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s/models", c->shared);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bench score: %s not found (set SWISH_SHARED)\n", dir);
        return 1;
    }
    static entry ents[MAX_MODELS + 8];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < MAX_MODELS) {
        int cbm = ends_with(de->d_name, ".cbm");
        if (!(ends_with(de->d_name, ".json") && !ends_with(de->d_name, "_metadata.json")) && !cbm) continue;
        entry *x = &ents[n++];
        snprintf(x->name, sizeof x->name, "%.*s", (int)(strlen(de->d_name) - (cbm ? 4 : 5)), de->d_name);
        if (!picked(x->name)) {
            n--;
            continue;
        }
        snprintf(x->path, sizeof x->path, "%s/%.250s", dir, de->d_name);
        snprintf(x->rows, sizeof x->rows, "%s/crosscheck/%s/%.200s/inputs.csv", c->shared, cbm ? "catboost" : "xgboost",
                 x->name);
    }
    closedir(d);
    qsort(ents, (size_t)n, sizeof *ents, (int (*)(const void *, const void *))strcmp);
    if (train_models(c, ents, &n) != 0) {
        fprintf(stderr, "bench score: training the swish models failed\n");
        return 1;
    }
    long nrows = c->quick ? 20000 : 100000;
    int reps = c->quick ? 2 : 5;
    printf("== score: ns per row per tree, %ld rows (a tenth for a table of over 200 features; best of %d), swish beside "
           "XGBoost 1.7.4 ==\n",
           nrows, reps);
    printf("%-42s %5s %3s %7s %7s | %-7s %7s %7s %6s | %7s %7s %6s | %8s %8s | %s\n", "model", "trees", "dep",
           "load", "xgbload", "isa", "1t", "xgb1t", "x", "2t", "xgb2t", "x", "450r us", "1r us", "checksum");
    int rc = 0;
    for (int i = 0; i < n; i++) {
        int cbm = ends_with(ents[i].path, ".cbm");
        const char *base = ents[i].name, *path = ents[i].path;
        char rows[1300];
        double loads[7];
        sw_forest *f = NULL;
        sw_error err;
        for (int k = 0; k < 7; k++) {
            sw_forest_free(f);
            double t0 = sw_clock_now();
            if (sw_model_load(path, &f, &err) != SW_OK) {
                fprintf(stderr, "%s: %s\n", path, err.msg);
                return 1;
            }
            loads[k] = sw_clock_now() - t0;
        }
        double load_ms = bench_median(loads, 7) * 1e3;
        char tag[64];
        snprintf(tag, sizeof tag, "m%d", i);
        /* a wide table's rows: a tenth as many (100,000 rows of 533 columns are 0.5 GB of CSV) */
        long nr_i = sw_forest_n_features(f) > 200 ? nrows / 10 : nrows;
        if (make_rows(c, ents[i].rows, tag, nr_i, rows, sizeof rows) != 0) {
            fprintf(stderr, "no rows for %s\n", base);
            sw_forest_free(f);
            continue;
        }
        int nf = sw_forest_n_features(f);
        const char **fn = calloc((size_t)nf, sizeof *fn);
        for (int k = 0; k < nf; k++) fn[k] = sw_forest_feature_name(f, k);
        sw_csv_opts o = {.columns = fn, .n_columns = nf};
        sw_table *t;
        sw_matrix *X;
        if (sw_table_read_csv(rows, &o, &t, &err) != SW_OK || sw_matrix_from_table(t, fn, nf, &X, &err) != SW_OK) {
            fprintf(stderr, "%s: %s\n", rows, err.msg);
            return 1;
        }
        sw_table_free(t);
        free(fn);
        int nt = sw_forest_n_trees(f);
        int maxd = 0;
        for (int k = 0; k < nt; k++)
            if (sw_forest_tree_depth(f, k) > maxd) maxd = sw_forest_tree_depth(f, k);
        /* XGBoost on the same trees */
        char xgb_model[1300];
        if (cbm) {
            sw_forest *b = sw_forest_to_binary(f);
            snprintf(xgb_model, sizeof xgb_model, "%s/%s.asxgb.json", c->tmp, tag);
            if (!b || sw_model_save(b, xgb_model, &err) != SW_OK) {
                fprintf(stderr, "%s: cannot convert for XGBoost\n", base);
                return 1;
            }
            sw_forest_free(b);
        } else {
            snprintf(xgb_model, sizeof xgb_model, "%s", path);
        }
        double xgb[2][4] = {{NAN, NAN, NAN, NAN}, {NAN, NAN, NAN, NAN}};
        double *out = malloc(sizeof(double) * (size_t)X->rows);
        unsigned long long ref_sum = 0;
        int first_isa = 1;
        for (int isa = SW_ISA_AVX512; isa >= SW_ISA_SCALAR; isa--) {
            if (!sw_isa_supported((sw_isa)isa)) continue;
            sw_scorer *s;
            if (sw_scorer_create(f, SW_TREES_ALL, (sw_isa)isa, &s, &err) != SW_OK) continue;
            double t1 = time_scorer(s, X, 1, reps, out);
            unsigned long long sum = bench_checksum(out, X->rows);
            double t2 = time_scorer(s, X, 2, reps, out);
            if (bench_checksum(out, X->rows) != sum) {
                printf("CHECKSUM MISMATCH between 1 and 2 threads (%s, %s)\n", base, sw_isa_name((sw_isa)isa));
                rc = 1;
            }
            double l450 = latency(s, X, 450 < X->rows ? 450 : X->rows, reps * 20, out);
            double l1 = latency(s, X, 1, reps * 200, out);
            if (first_isa) {
                ref_sum = sum;
                /* XGBoost runs interleaved with the first (fastest) variant */
                for (int th = 1; th <= 2; th++) {
                    char cmd[4096];
                    snprintf(cmd, sizeof cmd, "%s bench/xgb_score.py %s %s %d %d", bench_python(), xgb_model, rows, th,
                             reps);
                    char *js = bench_capture(cmd);
                    xgb[th - 1][0] = bench_json_num(js, "ns_row_tree");
                    xgb[th - 1][1] = bench_json_num(js, "load_ms");
                    xgb[th - 1][2] = bench_json_num(js, "latency_450_ms");
                    xgb[th - 1][3] = bench_json_num(js, "latency_1_ms");
                    free(js);
                }
            } else if (sum != ref_sum) {
                printf("CHECKSUM MISMATCH between ISA variants (%s, %s)\n", base, sw_isa_name((sw_isa)isa));
                rc = 1;
            }
            double ns1 = t1 * 1e9 / ((double)X->rows * nt), ns2 = t2 * 1e9 / ((double)X->rows * nt);
            printf("%-42.42s %5d %3d %7.2f %7.2f | %-7s %7.2f %7.2f %6.1f | %7.2f %7.2f %6.1f | %8.1f %8.2f | %016llx\n",
                   first_isa ? base : "", nt, maxd, load_ms, xgb[0][1], sw_isa_name((sw_isa)isa), ns1, xgb[0][0],
                   xgb[0][0] / ns1, ns2, xgb[1][0], xgb[1][0] / ns2, l450 * 1e6, l1 * 1e6, sum);
            first_isa = 0;
            sw_scorer_free(s);
        }
        printf("%-42s %5s %3s %7s %7s | %-7s %7s %7s %6s | %7s %7s %6s | %8.1f %8.1f |\n", "", "", "", "", "",
               "xgboost", "", "", "", "", "", "", xgb[0][2] * 1e3, xgb[0][3] * 1e3);
        free(out);
        sw_matrix_free(X);
        sw_forest_free(f);
    }
    printf("(load: ms, median of 7; x: XGBoost time / swish time; 450r/1r: latency of 450 rows / one row, 1 "
           "thread, microseconds; CatBoost models run in XGBoost as equivalent binary trees)\n\n");
    return rc;
}
