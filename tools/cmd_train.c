/* cmd_train: `swish train`: fit a gradient-boosted model on a CSV and save it
 * in the format its extension names (.json, .ubj, .cbm, .swm). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/alloc.h"
#include "core/csv.h"
#include "core/matrix.h"
#include "gbdt/train.h"
#include "io/model.h"

static const cli_opt opts[] = {
    {"--train", "TRAIN.csv", "training rows with a header", 0},
    {"--target", "COL", "the column to predict", 0},
    {"--valid", "VALID.csv", "evaluation rows (early stopping watches the last one)", 1},
    {"--weight", "COL", "sample weights column", 0},
    {"--drop", "COL,...", "columns that are not features (ids, dates, text)", 1},
    {"--rounds", "N", "boosting rounds (default 100)", 0},
    {"--early-stopping", "N", "stop after N rounds without improvement on the last eval set", 0},
    {"--param", "KEY=VALUE", "an XGBoost parameter (eta, max_depth, lambda, grow_policy, ...)", 1},
    {"--threads", "N", "threads (default: all cores); the model does not depend on it", 0},
    {"--seed", "S", "random seed (default 0)", 0},
    {"--every", "N", "print metrics every N rounds (default 10; 0 = only the summary)", 0},
    {"--out", "MODEL", "output model: .json/.ubj (XGBoost), .cbm (CatBoost, oblivious), .swm", 0},
    {"--json", NULL, "print the summary as JSON", 0},
};

/* Columns of t that are features: everything but target, weight and drops. */
static int feature_columns(const sw_table *t, const char *target, const char *weight, const cli_args *a,
                           const char ***out, int *n)
{
    int nc = sw_table_cols(t);
    const char **names = sw_calloc((size_t)nc + 1, sizeof *names);
    int k = 0;
    int di = -1;
    for (int i = 0; i < a->n_opts; i++)
        if (strcmp(a->opts[i].name, "--drop") == 0) di = i;
    for (int c = 0; c < nc; c++) {
        const char *nm = sw_table_colname(t, c);
        if (strcmp(nm, target) == 0 || (weight && strcmp(nm, weight) == 0)) continue;
        int dropped = 0;
        for (int r = 0; di >= 0 && r < a->count[di]; r++) {
            char buf[4096];
            snprintf(buf, sizeof buf, "%s", a->values[di][r]);
            for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
                if (strcmp(tok, nm) == 0) dropped = 1;
        }
        if (!dropped) names[k++] = sw_strdup(nm);
    }
    *out = names;
    *n = k;
    return 0;
}

static int load(const char *path, const char *target, const char *weight, const char *const *feats, int nf,
                const cli_args *a, sw_table **tab, sw_matrix **X, float **y, float **w, sw_error *err)
{
    int rc = sw_table_read_csv(path, NULL, tab, err);
    if (rc) return rc;
    int tc = sw_table_find(*tab, target);
    if (tc < 0) return sw_error_set(err, SW_MISMATCH, path, 1, 0, -1, "no target column '%s'", target);
    int wc = weight ? sw_table_find(*tab, weight) : -1;
    if (weight && wc < 0) return sw_error_set(err, SW_MISMATCH, path, 1, 0, -1, "no weight column '%s'", weight);
    rc = sw_matrix_from_table(*tab, feats, nf, X, err);
    if (rc == SW_PARSE) sw_error_prefix(err, "(non-numeric columns must be dropped with --drop) ");
    if (rc) return rc;
    long n = sw_table_rows(*tab);
    *y = sw_alloc_array((size_t)n + 1, sizeof **y);
    *w = weight ? sw_alloc_array((size_t)n + 1, sizeof **w) : NULL;
    if (!*y || (weight && !*w)) return sw_fail(err, SW_NOMEM, "out of memory");
    for (long r = 0; r < n; r++) {
        if ((rc = sw_table_f32(*tab, r, tc, &(*y)[r], err))) return rc;
        if (weight && (rc = sw_table_f32(*tab, r, wc, &(*w)[r], err))) return rc;
    }
    (void)a;
    return SW_OK;
}

/* Peak resident memory of this process image (VmHWM): ru_maxrss would carry
 * the peak of a parent that forked us across exec. */
static double peak_rss_mib(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    double kib = 0;
    while (fp && fgets(line, sizeof line, fp))
        if (!strncmp(line, "VmHWM:", 6)) kib = atof(line + 6);
    if (fp) fclose(fp);
    return kib / 1024.0;
}

int cmd_train(int argc, char **argv)
{
    cli_args a = {.usage = "swish train --train TRAIN.csv --target COL --out MODEL [--valid VALID.csv] [--weight COL]\n"
                           "                   [--drop COL,...] [--rounds N] [--early-stopping N] [--param KEY=VALUE ...]\n"
                           "                   [--threads N] [--seed S] [--every N] [--json]",
                  .summary = "Train gradient-boosted trees with XGBoost's hist algorithm (grow_policy depthwise or\n"
                             "lossguide) or CatBoost-style oblivious trees (grow_policy=oblivious).  Parameters use\n"
                             "XGBoost's names and aliases; the same data, parameters and seed give the same model,\n"
                             "bit for bit, at any thread count.  Training data are checked first: non-finite\n"
                             "targets, a feature equal to the target (leakage) or too few rows stop training;\n"
                             "constant or empty columns and duplicated rows are reported.",
                  .opts = opts,
                  .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    const char *train_path = cli_need(&a, "--train"), *target = cli_need(&a, "--target");
    const char *out_path = cli_need(&a, "--out");
    if (!train_path || !target || !out_path) return 2;
    const char *weight = cli_get(&a, "--weight");
    sw_train_params p = sw_train_params_default();
    long v;
    if ((rc = cli_int(&a, "--rounds", 100, 1, 10000000, &v))) return rc;
    p.rounds = (int)v;
    if ((rc = cli_int(&a, "--early-stopping", 0, 0, 10000000, &v))) return rc;
    p.early_stopping_rounds = (int)v;
    if ((rc = cli_int(&a, "--threads", sysconf(_SC_NPROCESSORS_ONLN), 1, 1024, &v))) return rc;
    p.nthread = (int)v;
    if ((rc = cli_int(&a, "--seed", 0, 0, 0x7fffffffffffffffL, &v))) return rc;
    p.seed = (unsigned long long)v;
    long every;
    if ((rc = cli_int(&a, "--every", 10, 0, 10000000, &every))) return rc;

    sw_error err;
    sw_error_clear(&err);
    sw_table *tt = NULL;
    sw_matrix *X = NULL;
    float *y = NULL, *w = NULL;
    const char **feats = NULL;
    int nf = 0;
    rc = sw_table_read_csv(train_path, NULL, &tt, &err);
    if (rc) return cli_fail(&err);
    feature_columns(tt, target, weight, &a, &feats, &nf);
    sw_table_free(tt);
    tt = NULL;
    if (nf == 0) return cli_failf(SW_ARG, "%s: no feature columns left", train_path);
    /* parameters need the feature names (monotone_constraints by name) */
    int pi = -1;
    for (int i = 0; i < a.n_opts; i++)
        if (strcmp(a.opts[i].name, "--param") == 0) pi = i;
    for (int r = 0; r < a.count[pi]; r++) {
        char kv[1024];
        snprintf(kv, sizeof kv, "%s", a.values[pi][r]);
        char *eq = strchr(kv, '=');
        if (!eq) return cli_failf(SW_ARG, "--param expects KEY=VALUE, got '%s'", kv);
        *eq = 0;
        if (strcmp(kv, "nthread") == 0 || strcmp(kv, "n_jobs") == 0 || strcmp(kv, "seed") == 0) {
            /* accepted, but --threads/--seed win when given */
        }
        if (sw_train_params_set(&p, kv, eq + 1, feats, nf, &err) != SW_OK) return cli_fail(&err);
    }
    if (cli_has(&a, "--threads")) p.nthread = (int)strtol(cli_get(&a, "--threads"), NULL, 10);
    if (cli_has(&a, "--seed")) p.seed = (unsigned long long)strtoll(cli_get(&a, "--seed"), NULL, 10);
    if (cli_has(&a, "--rounds")) p.rounds = (int)strtol(cli_get(&a, "--rounds"), NULL, 10);

    double t0 = cli_now();
    if ((rc = load(train_path, target, weight, feats, nf, &a, &tt, &X, &y, &w, &err))) {
        sw_table_free(tt);
        return cli_fail(&err);
    }
    sw_table_free(tt);
    int vi = -1;
    for (int i = 0; i < a.n_opts; i++)
        if (strcmp(a.opts[i].name, "--valid") == 0) vi = i;
    int nv = a.count[vi];
    sw_train_data evals[CLI_MAX_REPEAT + 1];
    sw_matrix *VX[CLI_MAX_REPEAT];
    float *vy[CLI_MAX_REPEAT], *vw[CLI_MAX_REPEAT];
    char vname[CLI_MAX_REPEAT][32];
    int ne = 0;
    evals[ne++] = (sw_train_data){X, y, w, "train"};
    for (int i = 0; i < nv; i++) {
        sw_table *vt = NULL;
        if ((rc = load(a.values[vi][i], target, weight, feats, nf, &a, &vt, &VX[i], &vy[i], &vw[i], &err))) {
            sw_table_free(vt);
            return cli_fail(&err);
        }
        sw_table_free(vt);
        snprintf(vname[i], sizeof vname[i], nv == 1 ? "valid" : "valid%d", i);
        evals[ne++] = (sw_train_data){VX[i], vy[i], vw[i], vname[i]};
    }
    double t_load = cli_now() - t0;
    if (p.early_stopping_rounds && nv == 0) return cli_failf(SW_ARG, "--early-stopping needs --valid");
    int json = cli_has(&a, "--json");
    p.log = json ? stderr : stdout;
    p.verbose_every = (int)every;
    p.progress = !json && isatty(STDOUT_FILENO);
    sw_train_data tr = {X, y, w, "train"};
    sw_forest *f = NULL;
    sw_train_report rep;
    rc = sw_train(&p, &tr, evals, ne, &f, &rep, &err);
    if (rc) return cli_fail(&err);
    double ts = cli_now();
    rc = sw_model_save(f, out_path, &err);
    double t_save = cli_now() - ts;
    if (rc) {
        sw_forest_free(f);
        return cli_fail(&err);
    }
    int last = rep.rounds_done - 1;
    int best = rep.best_iteration;
    if (json) {
        printf("{\"model\": \"%s\", \"trees\": %d, \"best_iteration\": %d, \"rows\": %ld, \"features\": %d,\n"
               " \"seconds\": {\"load\": %.3f, \"binning\": %.3f, \"histograms\": %.3f, \"split_search\": %.3f, "
               "\"partition\": %.3f, \"gradients\": %.3f, \"evaluation\": %.3f, \"total\": %.3f, \"save\": %.3f},\n"
               " \"metrics\": {",
               out_path, rep.n_trees, best, X->rows, nf, t_load, rep.t_binning, rep.t_hist, rep.t_split,
               rep.t_partition, rep.t_gradient, rep.t_eval, rep.t_total, t_save);
        for (int e = 0; e < rep.n_evals; e++)
            for (int k = 0; k < rep.n_metrics; k++) {
                int at = best >= 0 ? best : last;
                printf("%s\"%s-%s\": %.9g", e || k ? ", " : "", evals[e].name, rep.metric_names[k],
                       rep.history[((size_t)at * rep.n_evals + e) * rep.n_metrics + k]);
            }
        printf("}, \"peak_rss_mib\": %.1f}\n", peak_rss_mib());
    } else {
        printf("model      %s (%d trees, %s)\n", out_path, rep.n_trees,
               sw_forest_kind(f) == SW_TREES_BINARY ? "binary trees" : "oblivious trees");
        if (best >= 0) printf("best       iteration %d (%s %.5f)\n", best, rep.metric_names[0], rep.best_score);
        printf("data       %ld rows x %d features, %d eval set%s\n", X->rows, nf, ne, ne == 1 ? "" : "s");
        printf("time       load %.2fs, binning %.2fs, histograms %.2fs, split search %.2fs, partition %.2fs,\n"
               "           gradients %.2fs, evaluation %.2fs, total training %.2fs, save %.2fs (%d threads)\n",
               t_load, rep.t_binning, rep.t_hist, rep.t_split, rep.t_partition, rep.t_gradient, rep.t_eval,
               rep.t_total, t_save, p.nthread);
        for (int e = 0; e < rep.n_evals; e++) {
            printf("%-10s", evals[e].name);
            for (int k = 0; k < rep.n_metrics; k++) {
                int at = best >= 0 ? best : last;
                printf(" %s %.5f", rep.metric_names[k], rep.history[((size_t)at * rep.n_evals + e) * rep.n_metrics + k]);
            }
            printf("%s\n", best >= 0 ? " (at the best iteration)" : "");
        }
    }
    sw_train_report_free(&rep);
    sw_forest_free(f);
    sw_matrix_free(X);
    sw_free(y);
    sw_free(w);
    for (int i = 0; i < nv; i++) {
        sw_matrix_free(VX[i]);
        sw_free(vy[i]);
        sw_free(vw[i]);
    }
    for (int i = 0; i < nf; i++) sw_free((char *)feats[i]);
    sw_free(feats);
    return 0;
}
