/* cmd_train: `swish train`: fit a gradient-boosted model on a CSV and save it
 * in the format its extension names (.json, .ubj, .cbm, .swm). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/alloc.h"
#include "core/csv.h"
#include "core/json.h"
#include "core/matrix.h"
#include "core/num.h"
#include "gbdt/train.h"
#include "io/model.h"
#include "core/clock.h"

static const cli_opt opts[] = {
    {"--train", "TRAIN.csv", "training rows with a header", CLI_REQUIRED},
    {"--target", "COL", "the column to predict", CLI_REQUIRED},
    {"--out", "MODEL", "output model: .json/.ubj (XGBoost), .cbm (CatBoost, oblivious), .swm", CLI_REQUIRED},
    {"--valid", "VALID.csv", "evaluation rows (early stopping watches the last one)", CLI_REPEAT},
    {"--weight", "COL", "sample weights column", 0},
    {"--drop", "COL,...", "columns that are not features (ids, dates, text); each must exist", CLI_REPEAT},
    {"--rounds", "N", "boosting rounds (default 100; = --param num_round=N)", 0},
    {"--early-stopping", "N", "stop after N rounds without improvement on the last eval set", 0},
    {"--param", "KEY=VALUE", "an XGBoost parameter (eta, max_depth, lambda, grow_policy, num_round, ...)", CLI_REPEAT},
    {"--threads", "N", "threads; " SW_THREADS_RULE " (default 0); the model does not depend on it", 0},
    {"--seed", "S", "random seed (default 0)", 0},
    {"--every", "N", "print metrics every N rounds (default 10; 0 = only the summary)", 0},
    {"--json", NULL, "print the summary as JSON", 0},
};

/* Options that are also parameters: given with any name of the parameter's
 * group (sw_train_param_group), a conflict (which one would win?). */
static const char *const option_params[][2] = {
    {"--rounds", "num_boost_round"},
    {"--early-stopping", "early_stopping_rounds"},
    {"--threads", "nthread"},
    {"--seed", "seed"},
};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* The model format must be known and the directory must take the file; once the
 * parameters are known (oblivious >= 0), the format must hold the kind of trees
 * trained.  All checked before any training. */
static int check_out(const char *path, int oblivious, int categorical, int classes)
{
    int xgb = ends_with(path, ".json") || ends_with(path, ".ubj");
    int cbm = ends_with(path, ".cbm"), swm = ends_with(path, ".swm");
    if (!xgb && !cbm && !swm)
        return cli_failf(SW_ARG, "--out %s: unknown model extension (use .json, .ubj, .cbm or .swm)", path);
    if (xgb && oblivious == 1)
        return cli_failf(SW_UNSUPPORTED,
                         "--out %s: XGBoost files hold binary trees; grow_policy=oblivious needs .cbm or .swm", path);
    if (cbm && oblivious == 0)
        return cli_failf(SW_UNSUPPORTED,
                         "--out %s: CatBoost .cbm holds oblivious trees; use --param grow_policy=oblivious, "
                         "or .json, .ubj or .swm",
                         path);
    if ((swm || cbm) && categorical)
        return cli_failf(SW_UNSUPPORTED, "--out %s: categorical_features need an XGBoost file (.json or .ubj)", path);
    if ((swm || cbm) && classes)
        return cli_failf(SW_UNSUPPORTED, "--out %s: a multi-class model needs an XGBoost file (.json or .ubj)", path);
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    else snprintf(dir, sizeof dir, ".");
    if (access(dir, W_OK) != 0) return cli_failf(SW_IO, "--out %s: cannot write in %s: %s", path, dir, strerror(errno));
    return 0;
}

/* Columns of t that are features: everything but target, weight and drops. */
/* The --drop names (each value a comma-separated list), pointing into buf;
 * -1 when they do not fit. */
static int drop_names(const cli_args *a, char *buf, size_t cap, const char **out, int max)
{
    int n = 0;
    size_t used = 0;
    int nd;
    const char *const *vals = cli_all(a, "--drop", &nd);
    for (int r = 0; r < nd; r++) {
        size_t l = strlen(vals[r]);
        if (used + l + 1 > cap) return -1;
        char *d = memcpy(buf + used, vals[r], l + 1);
        used += l + 1;
        for (char *sv, *tok = strtok_r(d, ",", &sv); tok; tok = strtok_r(NULL, ",", &sv)) {
            if (n == max) return -1;
            out[n++] = tok;
        }
    }
    return n;
}

/* X, y (and w) from a CSV in one pass: the matrix's columns are `feats` when
 * given, else every column but the target, the weight and the dropped ones. */
static int load(const char *path, const char *target, const char *weight, const char *const *feats, int nf,
                const cli_args *a, sw_matrix **X, float **y, float **w, sw_error *err)
{
    char buf[8192];
    const char *drops[512];
    const char *vecs[2] = {target, weight};
    float *v[2] = {NULL, NULL};
    sw_csv_matrix_opts o = {.columns = feats, .n_columns = nf, .vectors = vecs, .n_vectors = weight ? 2 : 1,
                            .finite_vectors = 1, .finite_matrix = 1};
    if (!feats) {
        o.drop = drops;
        o.n_drop = drop_names(a, buf, sizeof buf, drops, 512);
        if (o.n_drop < 0) return sw_fail(err, SW_ARG, "--drop: at most 512 names, 8 KiB in all");
    }
    int rc = sw_matrix_read_csv(path, &o, X, v, err);
    if (rc == SW_PARSE && strstr(err->msg, "not a number"))
        sw_error_prefix(err, "(non-numeric columns must be dropped with --drop) ");
    *y = v[0];
    *w = v[1];
    return rc;
}

/* The feature values, once binned (sw_train_params.binned): freed, shapes and
 * names kept. */
typedef struct {
    sw_matrix **m;
    int n;
} float_data;

static void free_float_data(void *ctx)
{
    const float_data *d = ctx;
    for (int i = 0; i < d->n; i++) {
        sw_aligned_free(d->m[i]->data);
        d->m[i]->data = NULL;
    }
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
    cli_args a = {.usage = "swish train",
                  .summary = "Train gradient-boosted trees with XGBoost's hist algorithm (grow_policy depthwise or\n"
                             "lossguide) or CatBoost-style oblivious trees (grow_policy=oblivious).  Parameters use\n"
                             "XGBoost's names and aliases (num_round as in XGBoost's CLI); one setting given twice\n"
                             "(--rounds and --param n_estimators, eta and learning_rate) is an error.  The same\n"
                             "data, parameters and seed give the same model, bit for bit, at any thread count.\n"
                             "The output name is checked first; then the training data: a missing or non-finite\n"
                             "target or weight (named by file:line:column), a feature equal to the target\n"
                             "(leakage) or too few rows stop training; constant or empty columns and duplicated\n"
                             "rows are reported.  --param categorical_features=COL,... treats those columns\n"
                             "(integers 0..254) as categories, as XGBoost's enable_categorical (max_cat_to_onehot,\n"
                             "max_cat_threshold); such a model is saved as XGBoost JSON/UBJSON.  --param\n"
                             "objective=multi:softprob (or multi:softmax) --param num_class=K trains one tree per\n"
                             "class a round on labels 0..K-1 (metrics mlogloss, merror; XGBoost files too).",
                  .opts = opts,
                  .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    const char *train_path = cli_get(&a, "--train"), *target = cli_get(&a, "--target");
    const char *out_path = cli_get(&a, "--out");
    const char *weight = cli_get(&a, "--weight");
    sw_train_params p = sw_train_params_default();
    long v;
    if ((rc = cli_int(&a, "--rounds", 100, 1, 10000000, &v))) return rc;
    p.rounds = (int)v;
    if ((rc = cli_int(&a, "--early-stopping", 0, 0, 10000000, &v))) return rc;
    p.early_stopping_rounds = (int)v;
    long threads;
    if ((rc = cli_int(&a, "--threads", 0, 0, SW_THREADS_MAX, &threads))) return rc;
    if ((rc = cli_int(&a, "--seed", 0, 0, 0x7fffffffffffffffL, &v))) return rc;
    p.seed = (unsigned long long)v;
    long every;
    if ((rc = cli_int(&a, "--every", 10, 0, 10000000, &every))) return rc;
    /* each setting once: by option or by parameter, under one of its names */
    int np;
    const char *const *params = cli_all(&a, "--param", &np);
    enum { NGROUPS = 64 };
    const char *given[NGROUPS] = {0};
    char given_text[NGROUPS][160];
    for (size_t o = 0; o < sizeof option_params / sizeof option_params[0]; o++)
        if (cli_has(&a, option_params[o][0])) {
            int g = sw_train_param_group(option_params[o][1]);
            given[g] = option_params[o][0];
            snprintf(given_text[g], sizeof given_text[g], "%s %s", option_params[o][0], cli_get(&a, option_params[o][0]));
        }
    for (int r = 0; r < np; r++) {
        const char *eq = strchr(params[r], '=');
        if (!eq || eq == params[r]) return cli_failf(SW_ARG, "--param expects KEY=VALUE, got '%s'", params[r]);
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - params[r]), params[r]);
        if (!strcmp(key, "nthread") || !strcmp(key, "n_jobs")) { /* the --threads rule, 0 included */
            long long t;
            if (sw_parse_i64(eq + 1, strlen(eq + 1), &t) || t < 0 || t > SW_THREADS_MAX)
                return cli_failf(SW_ARG, "parameter %s: expected an integer in 0..%d, got '%s'", key, SW_THREADS_MAX,
                                 eq + 1);
            threads = (long)t;
        }
        int g = sw_train_param_group(key);
        if (g < 0 || g >= NGROUPS) continue;
        if (given[g])
            return cli_failf(SW_ARG, "--param %s conflicts with %s: give the setting once", params[r], given_text[g]);
        given[g] = params[r];
        snprintf(given_text[g], sizeof given_text[g], "--param %s", params[r]);
    }
    if ((rc = check_out(out_path, -1, 0, 0))) return rc;
    p.nthread = sw_threads_resolve(threads);
    sw_threads_set_default(p.nthread); /* reading the CSVs too */

    sw_error err;
    sw_error_clear(&err);
    sw_matrix *X = NULL;
    float *y = NULL, *w = NULL;
    const char **feats = NULL;
    int nf = 0, nv = 0, ne = 0;
    const char *const *valid = cli_all(&a, "--valid", &nv);
    sw_train_data evals[CLI_MAX_REPEAT + 1];
    sw_matrix *VX[CLI_MAX_REPEAT] = {0};
    float *vy[CLI_MAX_REPEAT] = {0}, *vw[CLI_MAX_REPEAT] = {0};
    char vname[CLI_MAX_REPEAT][32];
    sw_forest *f = NULL;
    sw_train_report rep = {0};
    int json = cli_has(&a, "--json");
    double t_load = 0, t_save = 0;
    /* rc: an exit code from here on (0 = done) */
    double t0 = sw_clock_now();
    if (load(train_path, target, weight, NULL, 0, &a, &X, &y, &w, &err)) goto fail;
    feats = (const char **)X->names;
    nf = X->cols;
    if (nf == 0) {
        rc = cli_failf(SW_ARG, "%s: no feature columns left", train_path);
        goto done;
    }
    /* parameters need the feature names (monotone_constraints by name) */
    for (int r = 0; r < np; r++) {
        char kv[1024];
        snprintf(kv, sizeof kv, "%s", params[r]);
        char *eq = strchr(kv, '=');
        *eq = 0;
        if (!strcmp(kv, "nthread") || !strcmp(kv, "n_jobs")) continue; /* read above */
        if (sw_train_params_set(&p, kv, eq + 1, feats, nf, &err) != SW_OK) goto fail;
    }
    if ((rc = check_out(out_path, p.grow_policy == SW_GROW_OBLIVIOUS, p.n_categorical > 0, p.num_class > 1))) goto done;
    if (p.early_stopping_rounds && nv == 0) {
        rc = cli_failf(SW_ARG, "--early-stopping needs --valid");
        goto done;
    }

    evals[ne++] = (sw_train_data){X, y, w, "train"};
    for (int i = 0; i < nv; i++) {
        if (load(valid[i], target, weight, feats, nf, &a, &VX[i], &vy[i], &vw[i], &err)) goto fail;
        snprintf(vname[i], sizeof vname[i], nv == 1 ? "valid" : "valid%d", i);
        evals[ne++] = (sw_train_data){VX[i], vy[i], vw[i], vname[i]};
    }
    t_load = sw_clock_now() - t0;
    p.log = json ? stderr : stdout;
    p.verbose_every = (int)every;
    p.progress = !json && isatty(STDOUT_FILENO);
    sw_train_data tr = {X, y, w, "train"};
    sw_matrix *mats[CLI_MAX_REPEAT + 1];
    float_data fd = {mats, 0};
    mats[fd.n++] = X;
    for (int i = 0; i < nv; i++) mats[fd.n++] = VX[i];
    p.binned = free_float_data;
    p.binned_ctx = &fd;
    if (sw_train(&p, &tr, evals, ne, &f, &rep, &err)) goto fail;
    double ts = sw_clock_now();
    if (sw_model_save(f, out_path, &err)) goto fail;
    t_save = sw_clock_now() - ts;
    int last = rep.rounds_done - 1;
    int best = rep.best_iteration;
    if (json) {
        /* seconds to the millisecond, memory to 0.1 MiB, metrics as the shortest text */
#define MS(x) (round((x) * 1e3) / 1e3)
        sw_jw *jw = sw_jw_create(SW_JW_JSON_PRETTY);
        if (!jw) {
            rc = cli_failf(SW_NOMEM, "out of memory");
            goto done;
        }
        sw_jw_shortest(jw, 1);
        sw_jw_obj_begin(jw);
        sw_jw_kstr(jw, "model", out_path);
        sw_jw_kstr(jw, "tree_kind", sw_forest_kind(f) == SW_TREES_BINARY ? "binary" : "oblivious");
        sw_jw_kint(jw, "trees", rep.n_trees);
        if (best >= 0) sw_jw_kint(jw, "best_iteration", best);
        else sw_jw_knull(jw, "best_iteration");
        sw_jw_kint(jw, "rows", X->rows);
        sw_jw_kint(jw, "features", nf);
        sw_jw_kint(jw, "threads", p.nthread);
        sw_jw_key(jw, "seconds");
        sw_jw_obj_begin(jw);
        sw_jw_kf64(jw, "load", MS(t_load));
        sw_jw_kf64(jw, "binning", MS(rep.t_binning));
        sw_jw_kf64(jw, "histograms", MS(rep.t_hist));
        sw_jw_kf64(jw, "split_search", MS(rep.t_split));
        sw_jw_kf64(jw, "partition", MS(rep.t_partition));
        sw_jw_kf64(jw, "gradients", MS(rep.t_gradient));
        sw_jw_kf64(jw, "evaluation", MS(rep.t_eval));
        sw_jw_kf64(jw, "total", MS(rep.t_total));
        sw_jw_kf64(jw, "save", MS(t_save));
        sw_jw_obj_end(jw);
        sw_jw_key(jw, "metrics");
        sw_jw_obj_begin(jw);
        for (int e = 0; e < rep.n_evals; e++)
            for (int k = 0; k < rep.n_metrics; k++) {
                char key[96];
                snprintf(key, sizeof key, "%s-%s", evals[e].name, rep.metric_names[k]);
                int at = best >= 0 ? best : last;
                sw_jw_kf64(jw, key, rep.history[((size_t)at * rep.n_evals + e) * rep.n_metrics + k]);
            }
        sw_jw_obj_end(jw);
        sw_jw_kf64(jw, "peak_rss_mib", round(peak_rss_mib() * 10) / 10);
        sw_jw_obj_end(jw);
#undef MS
        const char *text;
        size_t len;
        int jrc = sw_jw_finish(jw, &text, &len);
        if (jrc == SW_OK) printf("%s\n", text);
        sw_jw_free(jw);
        if (jrc) rc = cli_failf(jrc, "out of memory");
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
    goto done;
fail:
    rc = cli_fail(&err);
done:
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
    return rc;
}
