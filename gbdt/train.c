/* train: the boosting loop, gradients, metrics, parameters and data checks.
 *
 * Margins follow the model kind exactly: a binary-tree model keeps float32
 * margins and adds float32 leaves tree by tree from the float32 base margin
 * (so training-time predictions equal the scorer's), an oblivious model keeps
 * doubles and a double bias.  Rows are sampled by a counter-based generator of
 * (seed, round, row), so the draw is the same at any thread count.
 */
#include "train.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/num.h"
#include "grow.h"
#include "train_impl.h"
#include "core/clock.h"

/* A categorical column holds NaN or integers 0..254 (a byte of bins, 255 missing). */
static int check_categories(const sw_train_data *d, int f, sw_error *err)
{
    for (long r = 0; r < d->X->rows; r++) {
        float x = sw_matrix_get(d->X, r, f);
        if (isnan(x) || (x >= 0 && x <= 254 && x == (float)(int)x)) continue;
        return sw_fail(err, SW_INVALID_DATA,
                       "%s row %ld: feature %s is categorical, %g is not a category (an integer 0..254 or missing)",
                       d->name ? d->name : "data", r + 1, d->X->names && d->X->names[f] ? d->X->names[f] : "?",
                       (double)x);
    }
    return SW_OK;
}

sw_train_params sw_train_params_default(void)
{
    sw_train_params p;
    memset(&p, 0, sizeof p);
    p.objective = SW_OBJ_SQUAREDERROR;
    p.grow_policy = SW_GROW_DEPTHWISE;
    p.rounds = 100;
    p.eta = 0.3;
    p.max_depth = 6;
    p.max_leaves = 0;
    p.max_bin = 256;
    p.lambda = 1.0;
    p.alpha = 0.0;
    p.gamma = 0.0;
    p.min_child_weight = 1.0;
    p.max_delta_step = 0.0;
    p.subsample = p.colsample_bytree = p.colsample_bylevel = p.colsample_bynode = 1.0;
    p.base_score = NAN;
    p.quantile_alpha = 0.5;
    p.huber_slope = 1.0;
    p.tweedie_variance_power = 1.5;
    p.max_cat_to_onehot = 4;
    p.max_cat_threshold = 64;
    p.seed = 0;
    p.nthread = 1;
    p.isa = SW_ISA_AUTO;
    return p;
}

sw_train_params *sw_train_params_new(void)
{
    sw_train_params *p = sw_malloc(sizeof *p);
    if (p) *p = sw_train_params_default();
    return p;
}

/* Parameters with several names (XGBoost's, scikit-learn's, LightGBM's, CatBoost's). */
static const char *const param_groups[][7] = {
    {"num_boost_round", "n_estimators", "rounds", "num_round", "num_iterations", "iterations", NULL},
    {"early_stopping_rounds", NULL},
    {"nthread", "n_jobs", NULL},
    {"seed", "random_state", NULL},
    {"eta", "learning_rate", NULL},
    {"lambda", "reg_lambda", NULL},
    {"alpha", "reg_alpha", NULL},
    {"gamma", "min_split_loss", NULL},
    {"categorical_features", "categorical_feature", NULL},
};

int sw_train_param_group(const char *name)
{
    for (size_t g = 0; g < sizeof param_groups / sizeof param_groups[0]; g++)
        for (int i = 0; param_groups[g][i]; i++)
            if (!strcmp(param_groups[g][i], name)) return (int)g;
    return -1;
}

static const char *const metric_names[SW_METRIC_COUNT] = {"rmse", "mae", "mape", "quantile",
                                                          "poisson-nloglik", "mlogloss", "merror"};

const char *sw_metric_name(sw_metric m)
{
    return (int)m >= 0 && m < SW_METRIC_COUNT ? metric_names[m] : "?";
}

const char *sw_train_param_names(void)
{
    return "objective, grow_policy (depthwise|lossguide|oblivious), eta|learning_rate, max_depth, "
           "max_leaves, max_bin, lambda|reg_lambda, alpha|reg_alpha, gamma|min_split_loss, "
           "min_child_weight, max_delta_step, subsample, colsample_bytree, colsample_bylevel, "
           "colsample_bynode, base_score, quantile_alpha, huber_slope, tweedie_variance_power, "
           "monotone_constraints, categorical_features, max_cat_to_onehot, max_cat_threshold, num_class, eval_metric, "
           "num_boost_round|n_estimators|num_round|num_iterations|iterations, "
           "early_stopping_rounds, "
           "seed|random_state, nthread|n_jobs, tree_method (hist), verbosity";
}

static int parse_double(const char *key, const char *v, double lo, double hi, int lo_open, double *out,
                        sw_error *err)
{
    double d;
    if (sw_parse_f64(v, strlen(v), &d) != 0 || isnan(d) || d < lo || d > hi || (lo_open && d == lo))
        return sw_fail(err, SW_ARG, "parameter %s: expected a number in %s%g, %g], got '%s'", key,
                       lo_open ? "(" : "[", lo, hi, v);
    *out = d;
    return SW_OK;
}

static int parse_int(const char *key, const char *v, long lo, long hi, int *out, sw_error *err)
{
    long long x;
    if (sw_parse_i64(v, strlen(v), &x) != 0 || x < lo || x > hi)
        return sw_fail(err, SW_ARG, "parameter %s: expected an integer in [%ld, %ld], got '%s'", key, lo, hi, v);
    *out = (int)x;
    return SW_OK;
}

/* monotone_constraints: "(1,0,-1)" by position or "{name:1,other:-1}" / "name:1,other:-1" by name. */
static int parse_monotone(sw_train_params *p, const char *v, const char *const *names, int nf, sw_error *err)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", v);
    char *s = buf;
    while (*s == ' ') s++;
    int by_name = *s == '{' || strchr(s, ':') != NULL;
    size_t len = strlen(s);
    if (len && (s[0] == '(' || s[0] == '[' || s[0] == '{')) {
        s++;
        len--;
        if (len && (s[len - 1] == ')' || s[len - 1] == ']' || s[len - 1] == '}')) s[--len] = 0;
    }
    memset(p->monotone, 0, sizeof p->monotone);
    p->n_monotone = 0;
    int pos = 0;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ","), pos++) {
        while (*tok == ' ' || *tok == '"' || *tok == '\'') tok++;
        int idx = pos;
        char *val = tok;
        if (by_name) {
            char *colon = strchr(tok, ':');
            if (!colon) return sw_fail(err, SW_ARG, "monotone_constraints: expected name:value, got '%s'", tok);
            *colon = 0;
            char *e = colon - 1;
            while (e >= tok && (*e == ' ' || *e == '"' || *e == '\'')) *e-- = 0;
            val = colon + 1;
            idx = -1;
            for (int f = 0; f < nf && names; f++)
                if (names[f] && strcmp(names[f], tok) == 0) idx = f;
            if (idx < 0) return sw_fail(err, SW_ARG, "monotone_constraints: unknown feature '%s'", tok);
        }
        while (*val == ' ' || *val == '"') val++;
        int c;
        char *end;
        long x = strtol(val, &end, 10);
        while (*end == ' ' || *end == '"') end++;
        if (*end || x < -1 || x > 1)
            return sw_fail(err, SW_ARG, "monotone_constraints: expected -1, 0 or 1, got '%s'", val);
        c = (int)x;
        if (idx >= 256) return sw_fail(err, SW_ARG, "monotone_constraints: at most 256 features");
        p->monotone[idx] = c;
        if (idx + 1 > p->n_monotone) p->n_monotone = idx + 1;
    }
    return SW_OK;
}

/* categorical_features: "team,opp" by name or "3,7" by position. */
static int parse_categorical(sw_train_params *p, const char *v, const char *const *names, int nf, sw_error *err)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", v);
    memset(p->categorical, 0, sizeof p->categorical);
    p->n_categorical = 0;
    for (char *tok = strtok(buf, ",[]() "); tok; tok = strtok(NULL, ",[]() ")) {
        int idx = -1;
        for (int f = 0; f < nf && names; f++)
            if (names[f] && strcmp(names[f], tok) == 0) idx = f;
        long long x;
        if (idx < 0 && sw_parse_i64(tok, strlen(tok), &x) == 0 && x >= 0 && x < (nf > 0 ? nf : 256)) idx = (int)x;
        if (idx < 0) return sw_fail(err, SW_ARG, "categorical_features: unknown feature '%s'", tok);
        if (idx >= 256) return sw_fail(err, SW_ARG, "categorical_features: only the first 256 features can be categorical");
        p->categorical[idx] = 1;
        if (idx + 1 > p->n_categorical) p->n_categorical = idx + 1;
    }
    return SW_OK;
}

static int parse_metric(const char *v, sw_metric *m)
{
    for (int i = 0; i < SW_METRIC_COUNT; i++) {
        if (strcmp(v, metric_names[i]) == 0) {
            *m = (sw_metric)i;
            return 0;
        }
    }
    if (strncmp(v, "quantile", 8) == 0 || strcmp(v, "pinball") == 0) {
        *m = SW_METRIC_QUANTILE;
        return 0;
    }
    return -1;
}

int sw_train_params_set(sw_train_params *p, const char *key, const char *v, const char *const *names,
                        int nf, sw_error *err)
{
#define IS(name) (strcmp(key, name) == 0)
    if (IS("objective")) {
        int o = sw_objective_from_name(v);
        if (o < 0 || !sw_objective_trainable((sw_objective)o))
            return sw_fail(err, SW_ARG,
                           "parameter objective: '%s' is not supported%s (reg:squarederror, reg:absoluteerror, "
                           "reg:pseudohubererror, reg:quantileerror, count:poisson, reg:tweedie, reg:gamma, "
                           "binary:logistic, multi:softprob, multi:softmax)",
                           v, o >= 0 && !sw_objective_is_catboost((sw_objective)o) ? " for training (swish scores such XGBoost models)" : "");
        p->objective = (sw_objective)o;
    } else if (IS("grow_policy")) {
        if (strcmp(v, "depthwise") == 0) p->grow_policy = SW_GROW_DEPTHWISE;
        else if (strcmp(v, "lossguide") == 0) p->grow_policy = SW_GROW_LOSSGUIDE;
        else if (strcmp(v, "oblivious") == 0 || strcmp(v, "SymmetricTree") == 0) p->grow_policy = SW_GROW_OBLIVIOUS;
        else return sw_fail(err, SW_ARG, "parameter grow_policy: expected depthwise, lossguide or oblivious, got '%s'", v);
    } else if (IS("eta") || IS("learning_rate")) {
        return parse_double(key, v, 0, 1, 1, &p->eta, err);
    } else if (IS("max_depth")) {
        return parse_int(key, v, 0, 64, &p->max_depth, err);
    } else if (IS("max_leaves")) {
        return parse_int(key, v, 0, 1 << 20, &p->max_leaves, err);
    } else if (IS("max_bin")) {
        return parse_int(key, v, 2, 256, &p->max_bin, err);
    } else if (IS("lambda") || IS("reg_lambda")) {
        return parse_double(key, v, 0, 1e30, 0, &p->lambda, err);
    } else if (IS("alpha") || IS("reg_alpha")) {
        return parse_double(key, v, 0, 1e30, 0, &p->alpha, err);
    } else if (IS("gamma") || IS("min_split_loss")) {
        return parse_double(key, v, 0, 1e30, 0, &p->gamma, err);
    } else if (IS("min_child_weight")) {
        return parse_double(key, v, 0, 1e30, 0, &p->min_child_weight, err);
    } else if (IS("max_delta_step")) {
        return parse_double(key, v, 0, 1e30, 0, &p->max_delta_step, err);
    } else if (IS("subsample")) {
        return parse_double(key, v, 0, 1, 1, &p->subsample, err);
    } else if (IS("colsample_bytree")) {
        return parse_double(key, v, 0, 1, 1, &p->colsample_bytree, err);
    } else if (IS("colsample_bylevel")) {
        return parse_double(key, v, 0, 1, 1, &p->colsample_bylevel, err);
    } else if (IS("colsample_bynode")) {
        return parse_double(key, v, 0, 1, 1, &p->colsample_bynode, err);
    } else if (IS("base_score")) {
        return parse_double(key, v, -1e30, 1e30, 0, &p->base_score, err);
    } else if (IS("quantile_alpha")) {
        return parse_double(key, v, 0, 1, 1, &p->quantile_alpha, err);
    } else if (IS("huber_slope")) {
        return parse_double(key, v, 0, 1e30, 1, &p->huber_slope, err);
    } else if (IS("tweedie_variance_power")) {
        double x;
        SW_TRY(parse_double(key, v, 1, 2, 1, &x, err));
        if (x >= 2) return sw_fail(err, SW_ARG, "parameter tweedie_variance_power: expected a number in (1, 2)");
        p->tweedie_variance_power = x;
    } else if (IS("monotone_constraints")) {
        return parse_monotone(p, v, names, nf, err);
    } else if (IS("categorical_features") || IS("categorical_feature")) {
        return parse_categorical(p, v, names, nf, err);
    } else if (IS("max_cat_to_onehot")) {
        return parse_int(key, v, 1, 256, &p->max_cat_to_onehot, err);
    } else if (IS("max_cat_threshold")) {
        return parse_int(key, v, 1, 256, &p->max_cat_threshold, err);
    } else if (IS("num_class")) {
        return parse_int(key, v, 2, SW_MAX_GROUPS, &p->num_class, err);
    } else if (IS("eval_metric")) {
        sw_metric m;
        if (parse_metric(v, &m) != 0)
            return sw_fail(err, SW_ARG, "parameter eval_metric: '%s' is not supported (rmse, mae, mape, quantile, "
                           "poisson-nloglik, mlogloss, merror)", v);
        if (p->n_metrics >= SW_MAX_METRICS) return sw_fail(err, SW_ARG, "at most %d eval metrics", SW_MAX_METRICS);
        p->metrics[p->n_metrics++] = m;
    } else if (IS("num_boost_round") || IS("n_estimators") || IS("rounds") || IS("num_round") ||
               IS("num_iterations") || IS("iterations")) { /* XGBoost CLI, LightGBM, CatBoost */
        return parse_int(key, v, 1, 10000000, &p->rounds, err);
    } else if (IS("early_stopping_rounds")) {
        return parse_int(key, v, 0, 10000000, &p->early_stopping_rounds, err);
    } else if (IS("seed") || IS("random_state")) {
        long long s;
        if (sw_parse_i64(v, strlen(v), &s) != 0) return sw_fail(err, SW_ARG, "parameter seed: expected an integer, got '%s'", v);
        p->seed = (unsigned long long)s;
    } else if (IS("nthread") || IS("n_jobs")) {
        return parse_int(key, v, 1, 1024, &p->nthread, err);
    } else if (IS("tree_method")) {
        if (strcmp(v, "hist") != 0 && strcmp(v, "auto") != 0)
            return sw_fail(err, SW_ARG, "parameter tree_method: swish implements hist only, got '%s'", v);
    } else if (IS("verbosity") || IS("booster") || IS("validate_parameters")) {
        if (IS("booster") && strcmp(v, "gbtree") != 0)
            return sw_fail(err, SW_ARG, "parameter booster: only gbtree is supported, got '%s'", v);
    } else {
        return sw_fail(err, SW_ARG, "unknown parameter '%s'; valid: %s", key, sw_train_param_names());
    }
    return SW_OK;
#undef IS
}

void sw_train_report_free(sw_train_report *r)
{
    if (!r) return;
    sw_free(r->history);
    r->history = NULL;
}

/* ------------------------------------------------------------ checking */

/* A row's bytes (features, then the target's) hashed for the duplicate count:
 * 8 bytes at a time, so byte-identical rows (NaN payloads and the sign of zero
 * included) and only those, up to 64-bit collisions, hash alike. */
static uint64_t row_hash(const float *x, int cols, float y)
{
    const unsigned char *b = (const unsigned char *)x;
    size_t len = (size_t)cols * sizeof(float), i = 0;
    uint64_t h = 0x5357495348ULL ^ len;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    uint64_t t = 0;
    memcpy(&t, b + i, len - i);
    uint32_t yb;
    memcpy(&yb, &y, 4);
    return sw__splitmix(h ^ t ^ ((uint64_t)yb << 32));
}

/* Per chunk of rows, per column: missing and target-equal counts, the first
 * value (when any) and whether all values equal it. */
typedef struct {
    long nmiss, ninf, eq;
    float first;
    int seen, constant;
} col_stat;

enum { CHECK_CHUNK = 16384, CHECK_BUCKETS = 256 };

int sw_train_check_data(const sw_train_params *p, const sw_train_data *d, sw_data_check *c, sw_error *err)
{
    memset(c, 0, sizeof *c);
    const sw_matrix *X = d->X;
    c->rows = X->rows;
    c->cols = X->cols;
    c->leakage_col = -1;
    size_t dl = 0;
#define NOTE(...)                                                                                  \
    do {                                                                                           \
        if (dl < sizeof c->detail - 1)                                                             \
            dl += (size_t)snprintf(c->detail + dl, sizeof c->detail - dl, __VA_ARGS__);            \
    } while (0)
    double wsum = 0;
    for (long r = 0; r < X->rows; r++) {
        if (!isfinite(d->y[r])) c->nonfinite_targets++;
        double w = d->w ? d->w[r] : 1.0;
        wsum += w;
    }
    if (c->nonfinite_targets) NOTE("error: %ld rows have a missing or non-finite target\n", c->nonfinite_targets);
    int bad_w = 0;
    for (long r = 0; d->w && r < X->rows; r++)
        if (!(d->w[r] >= 0) || !isfinite(d->w[r])) bad_w++;
    if (bad_w) NOTE("error: %d rows have a negative or non-finite weight\n", bad_w);
    /* The columns and the row hashes in one pass over the rows, by fixed chunks
     * in parallel (the figures do not depend on the threads): the row-major
     * matrix is read once, not once per column.  Duplicated rows: the row
     * hashes spread into buckets by their top byte, each bucket's repeats
     * counted in parallel. */
    int nc = X->cols, nth = p->nthread > 0 ? p->nthread : 1;
    long n = X->rows, nck = (n + CHECK_CHUNK - 1) / CHECK_CHUNK;
    col_stat *cs = sw_alloc_array((size_t)nck * (size_t)nc + 1, sizeof *cs);
    uint64_t *h = n > 1 ? sw_alloc_array((size_t)n, sizeof *h) : NULL;
    uint64_t *hb = n > 1 ? sw_alloc_array((size_t)n, sizeof *hb) : NULL;
    long *bc = n > 1 ? sw_calloc((size_t)nck * CHECK_BUCKETS + 1, sizeof *bc) : NULL;
    if (!cs || (n > 1 && (!h || !hb || !bc))) {
        sw_free(cs);
        sw_free(h);
        sw_free(hb);
        sw_free(bc);
        return sw_fail(err, SW_NOMEM, "out of memory checking the training data");
    }
#pragma omp parallel for num_threads(nth) schedule(dynamic, 1) if (nth > 1 && nck > 1)
    for (long k = 0; k < nck; k++) {
        col_stat *st = cs + (size_t)k * (size_t)nc;
        long r0 = k * CHECK_CHUNK, r1 = r0 + CHECK_CHUNK < n ? r0 + CHECK_CHUNK : n;
        for (int f = 0; f < nc; f++) st[f] = (col_stat){0, 0, 0, NAN, 0, 1};
        for (long r = r0; r < r1; r++) {
            const float *x = sw_matrix_row(X, r);
            float yr = d->y[r];
            for (int f = 0; f < nc; f++) {
                float v = x[f];
                if (isnan(v)) {
                    st[f].nmiss++;
                    continue;
                }
                st[f].ninf += isinf(v) != 0;
                if (!st[f].seen) {
                    st[f].seen = 1;
                    st[f].first = v;
                } else if (v != st[f].first) {
                    st[f].constant = 0;
                }
                st[f].eq += v == yr;
            }
            if (h) {
                h[r] = row_hash(x, nc, yr);
                bc[k * CHECK_BUCKETS + (long)(h[r] >> 56)]++;
            }
        }
    }
    for (int f = 0; f < nc; f++) {
        long nmiss = 0, ninf = 0, eq = 0;
        int seen = 0, constant = 1;
        float first = NAN;
        for (long k = 0; k < nck; k++) { /* chunk order: the first value is the first row's */
            const col_stat *st = cs + (size_t)k * (size_t)nc + f;
            nmiss += st->nmiss;
            ninf += st->ninf;
            eq += st->eq;
            if (!st->seen) continue;
            if (!st->constant || (seen && st->first != first)) constant = 0;
            if (!seen) {
                seen = 1;
                first = st->first;
            }
        }
        const char *nm = X->names[f] ? X->names[f] : "?";
        if (ninf) { /* XGBoost refuses them too; missing is NaN */
            c->infinite_cols++;
            NOTE("error: column %s has %ld infinite cell%s (a feature may be missing, not infinite)\n", nm, ninf,
                 ninf == 1 ? "" : "s");
        }
        if (nmiss == X->rows) {
            c->all_missing_cols++;
            NOTE("warning: column %s is missing on every row\n", nm);
        } else if (constant) {
            c->constant_cols++;
            NOTE("warning: column %s is constant\n", nm);
        }
        double share = X->rows ? (double)eq / (double)X->rows : 0;
        if (share >= 0.98 && X->rows >= 10 && share > c->leakage_share) {
            c->leakage_col = f;
            c->leakage_share = share;
        }
    }
    sw_free(cs);
    if (c->leakage_col >= 0)
        NOTE("error: column %s equals the target on %.1f%% of rows (leakage?); drop it\n",
             X->names[c->leakage_col] ? X->names[c->leakage_col] : "?", 100 * c->leakage_share);
    if (h) {
        long bstart[CHECK_BUCKETS + 1], pos = 0;
        for (int b = 0; b < CHECK_BUCKETS; b++) { /* bucket b's slots: chunk by chunk */
            bstart[b] = pos;
            for (long k = 0; k < nck; k++) {
                long v = bc[k * CHECK_BUCKETS + b];
                bc[k * CHECK_BUCKETS + b] = pos;
                pos += v;
            }
        }
        bstart[CHECK_BUCKETS] = pos;
        long most = 0;
        for (int b = 0; b < CHECK_BUCKETS; b++)
            if (bstart[b + 1] - bstart[b] > most) most = bstart[b + 1] - bstart[b];
        size_t tcap = 16;
        while (tcap < 2 * (size_t)most) tcap <<= 1;
        /* each thread's set of a bucket's hashes (open addressing; 0 marks a
         * free slot, so zero hashes are counted apart) */
        uint64_t *sets = sw_alloc_array(tcap * (size_t)nth, sizeof *sets);
        if (!sets) {
            sw_free(h);
            sw_free(hb);
            sw_free(bc);
            return sw_fail(err, SW_NOMEM, "out of memory checking the training data");
        }
#pragma omp parallel num_threads(nth) if (nth > 1 && nck > 1)
        {
#pragma omp for schedule(dynamic, 1)
            for (long k = 0; k < nck; k++) {
                long r0 = k * CHECK_CHUNK, r1 = r0 + CHECK_CHUNK < n ? r0 + CHECK_CHUNK : n;
                long *at = bc + k * CHECK_BUCKETS;
                for (long r = r0; r < r1; r++) hb[at[h[r] >> 56]++] = h[r];
            }
            uint64_t *set = sets + tcap * (size_t)omp_get_thread_num();
            long dup = 0;
#pragma omp for schedule(dynamic, 4)
            for (int b = 0; b < CHECK_BUCKETS; b++) {
                const uint64_t *q = hb + bstart[b];
                long m = bstart[b + 1] - bstart[b], zeros = 0;
                size_t cap = 16;
                while (cap < 2 * (size_t)m) cap <<= 1;
                memset(set, 0, cap * sizeof *set);
                for (long i = 0; i < m; i++) {
                    uint64_t v = q[i];
                    if (!v) {
                        dup += zeros++ > 0;
                        continue;
                    }
                    size_t j = (size_t)v & (cap - 1);
                    while (set[j] && set[j] != v) j = (j + 1) & (cap - 1);
                    dup += set[j] == v;
                    set[j] = v;
                }
            }
#pragma omp atomic
            c->duplicate_rows += dup;
        }
        sw_free(sets);
        if (c->duplicate_rows) NOTE("warning: %ld rows duplicate an earlier row\n", c->duplicate_rows);
    }
    sw_free(h);
    sw_free(hb);
    sw_free(bc);
    double need = 2.0 * p->min_child_weight;
    if (X->rows < 2 || wsum < need) {
        c->too_few_rows = 1;
        NOTE("error: %ld rows (total weight %g) cannot be split with min_child_weight %g\n", X->rows, wsum,
             p->min_child_weight);
    }
#undef NOTE
    if (c->nonfinite_targets || bad_w || c->infinite_cols || c->leakage_col >= 0 || c->too_few_rows) {
        char first[256];
        const char *e = strstr(c->detail, "error: ");
        snprintf(first, sizeof first, "%s", e ? e + 7 : "invalid training data");
        first[strcspn(first, "\n")] = 0;
        return sw_fail(err, SW_INVALID_DATA, "%s: %s", d->name ? d->name : "training data", first);
    }
    return SW_OK;
}

/* ---------------------------------------------------- objective pieces */

static sw_objective catboost_objective(sw_objective o)
{
    switch (o) {
    case SW_OBJ_SQUAREDERROR: return SW_OBJ_CB_RMSE;
    case SW_OBJ_ABSOLUTEERROR: return SW_OBJ_CB_MAE;
    case SW_OBJ_QUANTILE: return SW_OBJ_CB_QUANTILE;
    case SW_OBJ_POISSON: return SW_OBJ_CB_POISSON;
    case SW_OBJ_LOGISTIC: return SW_OBJ_CB_LOGLOSS;
    default: return SW_OBJ_COUNT;
    }
}

static int cmp_f_w(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Weighted quantile of the target (median for L1, alpha for quantile). */
static double target_quantile(const float *y, const float *w, long n, double alpha)
{
    double *v = sw_alloc_array((size_t)n * 2, sizeof *v);
    if (!v) return NAN;
    double total = 0;
    for (long i = 0; i < n; i++) {
        v[2 * i] = y[i];
        v[2 * i + 1] = w ? w[i] : 1.0;
        total += v[2 * i + 1];
    }
    qsort(v, (size_t)n, 2 * sizeof(double), cmp_f_w);
    double acc = 0, q = v[2 * (n - 1)];
    for (long i = 0; i < n; i++) {
        acc += v[2 * i + 1];
        if (acc >= alpha * total) {
            q = v[2 * i];
            break;
        }
    }
    sw_free(v);
    return q;
}

static int base_score_from_target(const sw_train_params *p, const sw_train_data *d, double *out, sw_error *err)
{
    long n = d->X->rows;
    if (p->objective == SW_OBJ_ABSOLUTEERROR || p->objective == SW_OBJ_QUANTILE) {
        *out = target_quantile(d->y, d->w, n, p->objective == SW_OBJ_QUANTILE ? p->quantile_alpha : 0.5);
        return isnan(*out) ? sw_fail(err, SW_NOMEM, "out of memory") : SW_OK;
    }
    double s = 0, ws = 0;
    for (long i = 0; i < n; i++) {
        double w = d->w ? d->w[i] : 1.0;
        s += w * d->y[i];
        ws += w;
    }
    double mean = ws > 0 ? s / ws : 0.0;
    sw_link link = sw_objective_link(p->objective);
    if (link == SW_LINK_EXP && !(mean > 0))
        return sw_fail(err, SW_INVALID_DATA, "objective %s needs a positive mean target (mean is %g)",
                       sw_objective_name(p->objective), mean);
    if (link == SW_LINK_SIGMOID) {
        if (mean <= 0) mean = 1e-6;
        if (mean >= 1) mean = 1 - 1e-6;
    }
    *out = mean;
    return SW_OK;
}

static int check_targets(const sw_train_params *p, const sw_train_data *d, sw_error *err)
{
    for (long i = 0; i < d->X->rows; i++) {
        float y = d->y[i];
        int bad = 0;
        switch (p->objective) {
        case SW_OBJ_POISSON:
        case SW_OBJ_TWEEDIE: bad = y < 0; break;
        case SW_OBJ_GAMMA: bad = !(y > 0); break;
        case SW_OBJ_LOGISTIC: bad = y < 0 || y > 1; break;
        case SW_OBJ_MULTI_SOFTPROB:
        case SW_OBJ_MULTI_SOFTMAX:
            if (!(y >= 0 && y < (float)p->num_class && y == floorf(y)))
                return sw_fail(err, SW_INVALID_DATA, "%s row %ld: label %g is not a class (an integer 0..%d)",
                               d->name ? d->name : "data", i + 1, (double)y, p->num_class - 1);
            break;
        default: break;
        }
        if (bad)
            return sw_fail(err, SW_INVALID_DATA, "%s row %ld: target %g is outside the domain of %s",
                           d->name ? d->name : "data", i + 1, (double)y, sw_objective_name(p->objective));
    }
    return SW_OK;
}

/* Gradient and hessian of one row, as XGBoost's objectives define them. */
/* This round's rows (subsample): row r is drawn when h(h(r ^ k0) ^ k1) < cut,
 * h being the 32-bit "lowbias32" mixer (two multiplies) and k0, k1 the halves of
 * the round's key: eight rows per step in 32-bit lanes, which every x86-64 CPU
 * multiplies in vectors (the clones compute the same integers). */
typedef uint32_t v8u32 __attribute__((vector_size(32)));
#define LOWBIAS32(x) ((x) ^= (x) >> 16, (x) *= 0x7feb352dU, (x) ^= (x) >> 15, (x) *= 0x846ca68bU, (x) ^= (x) >> 16)
static inline uint32_t draw_hash(uint32_t r, uint32_t k0, uint32_t k1)
{
    uint32_t x = r ^ k0;
    LOWBIAS32(x);
    x ^= k1;
    LOWBIAS32(x);
    return x;
}
__attribute__((target_clones("arch=x86-64-v3", "default"))) static void draw_chunk(uint8_t *sampled, long from,
                                                                                  long to, uint64_t key,
                                                                                  uint32_t cut)
{
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    long r = from;
    for (; r + 8 <= to; r += 8) {
        v8u32 x = ((v8u32){0, 1, 2, 3, 4, 5, 6, 7} + (uint32_t)r) ^ k0;
        LOWBIAS32(x);
        x ^= k1;
        LOWBIAS32(x);
        v8u32 take = (v8u32)(x < cut);
        for (int j = 0; j < 8; j++) sampled[r + j] = (uint8_t)(take[j] & 1);
    }
    for (; r < to; r++) sampled[r] = draw_hash((uint32_t)r, k0, k1) < cut;
}

/* Squared error: g = (margin - y) w, h = w, in double then rounded (the
 * generic path's arithmetic), in loops the compiler vectorizes; then the
 * round's row draws of the same range (draw_rows' values), in the same
 * parallel region: one wake-up of the workers fewer per round. */
static void sq_gradients(sw__gpair *gh, const void *margin, int mdouble, const float *y, const float *w, long n,
                         int nthread, uint8_t *sampled, uint64_t key, uint64_t cut)
{
    /* one range of rows per thread, the ranges the margin update writes (so
     * the margins are in this thread's cache, and no thread gets a larger share) */
    int nth = n >= 16384 ? nthread : 1;
#pragma omp parallel for num_threads(nth) schedule(static, 1) if (nth > 1)
    for (int th = 0; th < nth; th++) {
        long from = n * th / nth, to = n * (th + 1) / nth;
        if (mdouble) {
            const double *m = margin;
            if (w)
                for (long r = from; r < to; r++) {
                    gh[r].g = (float)((m[r] - y[r]) * (double)w[r]);
                    gh[r].h = (float)(1.0 * w[r]);
                }
            else
                for (long r = from; r < to; r++) {
                    gh[r].g = (float)(m[r] - y[r]);
                    gh[r].h = 1.0f;
                }
        } else {
            const float *m = margin;
            if (w)
                for (long r = from; r < to; r++) {
                    gh[r].g = (float)(((double)m[r] - y[r]) * (double)w[r]);
                    gh[r].h = (float)(1.0 * w[r]);
                }
            else
                for (long r = from; r < to; r++) {
                    gh[r].g = (float)((double)m[r] - y[r]);
                    gh[r].h = 1.0f;
                }
        }
        if (cut > UINT32_MAX) memset(sampled + from, 1, (size_t)(to - from));
        else draw_chunk(sampled, from, to, key, (uint32_t)cut);
    }
}

static void draw_rows(uint8_t *sampled, long n, uint64_t key, uint64_t cut, int nthread)
{
    if (cut > UINT32_MAX) {
        memset(sampled, 1, (size_t)n);
        return;
    }
    int nth = n >= 16384 ? nthread : 1; /* one range of rows per thread, as sq_gradients */
#pragma omp parallel for num_threads(nth) schedule(static, 1) if (nth > 1)
    for (int th = 0; th < nth; th++) draw_chunk(sampled, n * th / nth, n * (th + 1) / nth, key, (uint32_t)cut);
}

static inline void gradient(const sw_train_params *p, double poisson_mds, double m, double y, double w,
                            sw__gpair *out)
{
    double g, h;
    switch (p->objective) {
    case SW_OBJ_ABSOLUTEERROR: {
        double d = m - y;
        g = d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0;
        h = 1.0;
        break;
    }
    case SW_OBJ_QUANTILE: {
        double d = m - y;
        g = d >= 0 ? 1.0 - p->quantile_alpha : -p->quantile_alpha;
        h = 1.0;
        break;
    }
    case SW_OBJ_PSEUDOHUBER: {
        double z = m - y, s = 1.0 + (z / p->huber_slope) * (z / p->huber_slope);
        double sq = sqrt(s);
        g = z / sq;
        h = 1.0 / (s * sq);
        break;
    }
    case SW_OBJ_LOGISTIC: {
        double pr = 1.0 / (1.0 + exp(-m));
        g = pr - y;
        h = fmax(pr * (1.0 - pr), 1e-16);
        break;
    }
    case SW_OBJ_POISSON:
        g = exp(m) - y;
        h = exp(m + poisson_mds);
        break;
    case SW_OBJ_TWEEDIE: {
        double rho = p->tweedie_variance_power;
        double a = exp((1.0 - rho) * m), b = exp((2.0 - rho) * m);
        g = -y * a + b;
        h = -y * (1.0 - rho) * a + (2.0 - rho) * b;
        break;
    }
    case SW_OBJ_GAMMA: {
        double e = exp(-m);
        g = 1.0 - y * e;
        h = y * e;
        break;
    }
    default:
        g = m - y;
        h = 1.0;
        break;
    }
    out->g = (float)(g * w);
    out->h = (float)(h * w);
}

#define METRIC_CHUNK 4096 /* rows per partial sum: fixed, so the value does not depend on threads */

/* Room for two partial sums per chunk of n rows: stack (64 chunks) when they
 * fit, else the heap (freed by metric_finish); NULL when out of memory. */
static double *metric_parts(double *stack, long n, long *nchunk)
{
    *nchunk = (n + METRIC_CHUNK - 1) / METRIC_CHUNK;
    return *nchunk <= 64 ? stack : sw_alloc_array((size_t)*nchunk * 2, sizeof(double));
}

/* The metric from its chunks' (sum, weight) pairs, added in order (part
 * released when `owned`). */
static double metric_finish(sw_metric m, double *part, long nchunk, int owned)
{
    double s = 0, ws = 0;
    for (long c = 0; c < nchunk; c++) {
        s += part[2 * c];
        ws += part[2 * c + 1];
    }
    if (owned) sw_free(part);
    s = ws > 0 ? s / ws : 0.0;
    return m == SW_METRIC_RMSE ? sqrt(s) : s;
}

/* metric over predictions (transformed) */
static double metric(const sw_train_params *p, sw_metric m, const double *pred, const float *y, const float *w,
                     long n)
{
    double a = p->quantile_alpha;
    long nchunk;
    double stack_part[2 * 64], *part = metric_parts(stack_part, n, &nchunk);
    if (!part) return NAN;
    /* one loop per metric (the switch hoisted out of the row loop); four
     * accumulators per chunk so that the additions overlap, summed in a fixed
     * order */
#define METRIC_LOOP(V)                                                        \
    for (long i0 = from; i0 < to; i0 += 4)                                    \
        for (int l = 0; l < 4; l++) {                                         \
            long i = i0 + l;                                                  \
            if (i >= to) break;                                               \
            double wi = w ? w[i] : 1.0, e = pred[i] - y[i];                   \
            (void)e;                                                          \
            s4[l] += wi * (V);                                                \
            w4[l] += wi;                                                      \
        }
#pragma omp parallel for num_threads(p->nthread) schedule(static) if (p->nthread > 1 && nchunk > 1)
    for (long c = 0; c < nchunk; c++) {
        long from = c * METRIC_CHUNK, to = from + METRIC_CHUNK < n ? from + METRIC_CHUNK : n;
        double s4[4] = {0, 0, 0, 0}, w4[4] = {0, 0, 0, 0};
        switch (m) {
        case SW_METRIC_MAE: METRIC_LOOP(fabs(e)) break;
        case SW_METRIC_MAPE: METRIC_LOOP(y[i] != 0 ? fabs(e / y[i]) : fabs(e)) break;
        case SW_METRIC_QUANTILE:
            METRIC_LOOP((y[i] - pred[i]) >= 0 ? a * (y[i] - pred[i]) : (a - 1.0) * (y[i] - pred[i])) break;
        case SW_METRIC_POISSON_NLOGLIK:
            METRIC_LOOP(lgamma(y[i] + 1.0) + fmax(pred[i], 1e-16) - log(fmax(pred[i], 1e-16)) * y[i]) break;
        default: METRIC_LOOP(e * e) break;
        }
        part[2 * c] = (s4[0] + s4[1]) + (s4[2] + s4[3]);
        part[2 * c + 1] = (w4[0] + w4[1]) + (w4[2] + w4[3]);
    }
#undef METRIC_LOOP
    return metric_finish(m, part, nchunk, part != stack_part);
}

/* mlogloss or merror of k class margins per row (margin + c n: class c's),
 * from the probabilities XGBoost 1.7 evaluates (sw_softmax_f32): -log of the
 * label's, at least 1e-16 (float32), or whether the first most probable class
 * is not the label; weighted means summed by fixed chunks. */
static double metric_classes(const sw_train_params *p, sw_metric m, const void *margin, int k, const float *y,
                             const float *w, long n)
{
    long nchunk;
    double stack_part[2 * 64], *part = metric_parts(stack_part, n, &nchunk);
    if (!part) return NAN;
    const float *mf = margin;
#pragma omp parallel for num_threads(p->nthread) schedule(static) if (p->nthread > 1 && nchunk > 1)
    for (long c = 0; c < nchunk; c++) {
        long from = c * METRIC_CHUNK, to = from + METRIC_CHUNK < n ? from + METRIC_CHUNK : n;
        float pr[SW_MAX_GROUPS];
        double s = 0, ws = 0;
        for (long i = from; i < to; i++) {
            for (int j = 0; j < k; j++) pr[j] = mf[(size_t)j * (size_t)n + (size_t)i];
            sw_softmax_f32(pr, k);
            int label = (int)y[i];
            double wi = w ? w[i] : 1.0, v;
            if (m == SW_METRIC_MERROR) v = sw_argmax_f32(pr, k) != label;
            else v = -log((double)(pr[label] > 1e-16f ? pr[label] : 1e-16f));
            s += wi * v;
            ws += wi;
        }
        part[2 * c] = s;
        part[2 * c + 1] = ws;
    }
    return metric_finish(m, part, nchunk, part != stack_part);
}

/* multi:softprob / multi:softmax: each row's gradients of its k classes
 * (into gh + c n) from its margins (margin + c n), as XGBoost 1.7's softmax
 * objective computes them in float32: e = expf(m - max), their sum in double,
 * p = e / (float)sum, h = max(2 p (1 - p) w, 1e-16), g = (p - 1) w for the
 * label's class, p w for the others.  The maximum is the row's own (XGBoost
 * starts from FLT_MIN: margins all below -88 would give 0 / 0 there).  The
 * same p are sw_softmax_f32's, so the pass also sums, per chunk of
 * METRIC_CHUNK rows, the rows' w, w mlogloss and w merror (part + 3 chunk):
 * the training rows' metrics of these margins come with the next round's
 * gradients. */
static void softmax_pass(sw__gpair *gh, const void *margin, int k, const float *y, const float *w, long n,
                         int nthread, double *part)
{
    const float *mf = margin;
    long nchunk = (n + METRIC_CHUNK - 1) / METRIC_CHUNK;
#pragma omp parallel for num_threads(nthread) schedule(static) if (nthread > 1 && nchunk > 1)
    for (long ch = 0; ch < nchunk; ch++) {
        long from = ch * METRIC_CHUNK, to = from + METRIC_CHUNK < n ? from + METRIC_CHUNK : n;
        float e[SW_MAX_GROUPS];
        double sw = 0, sl = 0, se = 0;
        for (long r = from; r < to; r++) {
            float wmax = -INFINITY; /* margins are finite: a compare, not a call to fmaxf */
            for (int c = 0; c < k; c++) {
                float v = mf[(size_t)c * (size_t)n + (size_t)r];
                wmax = v > wmax ? v : wmax;
            }
            double wsum = 0;
            for (int c = 0; c < k; c++) {
                e[c] = expf(mf[(size_t)c * (size_t)n + (size_t)r] - wmax);
                wsum += e[c];
            }
            float wt = w ? w[r] : 1.0f, sum = (float)wsum;
            int label = (int)y[r], best = 0;
            for (int c = 0; c < k; c++) {
                float pc = e[c] / sum;
                e[c] = pc;
                if (pc > e[best]) best = c;
                float h = 2.0f * pc * (1.0f - pc) * wt;
                h = h > 1e-16f ? h : 1e-16f; /* fmaxf's value, without its call */
                gh[(size_t)c * (size_t)n + (size_t)r] = (sw__gpair){(c == label ? pc - 1.0f : pc) * wt, h};
            }
            double wi = w ? w[r] : 1.0;
            sw += wi;
            sl += wi * -log((double)(e[label] > 1e-16f ? e[label] : 1e-16f));
            se += wi * (best != label);
        }
        if (part) {
            part[3 * ch] = sw;
            part[3 * ch + 1] = sl;
            part[3 * ch + 2] = se;
        }
    }
}

/* RMSE or MAE straight from identity-link margins (float or double), the
 * values metric() gives on the predictions: four accumulators per chunk in
 * an explicit unrolling, chunks summed in order. */
static double metric_margin(const sw_train_params *p, sw_metric m, const void *margin, int mdouble, const float *y,
                            const float *w, long n)
{
    long nchunk;
    double stack_part[2 * 64], *part = metric_parts(stack_part, n, &nchunk);
    if (!part) return NAN;
    const float *mf = margin;
    const double *md = margin;
#define PRED(i) (mdouble ? md[i] : (double)mf[i])
#define TERM(i) (m == SW_METRIC_MAE ? fabs(PRED(i) - y[i]) : (PRED(i) - y[i]) * (PRED(i) - y[i]))
#pragma omp parallel for num_threads(p->nthread) schedule(static) if (p->nthread > 1 && nchunk > 1)
    for (long c = 0; c < nchunk; c++) {
        long from = c * METRIC_CHUNK, to = from + METRIC_CHUNK < n ? from + METRIC_CHUNK : n, i = from;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, w0 = 0, w1 = 0, w2 = 0, w3 = 0;
        if (w) {
            for (; i + 4 <= to; i += 4) {
                s0 += w[i] * TERM(i);
                s1 += w[i + 1] * TERM(i + 1);
                s2 += w[i + 2] * TERM(i + 2);
                s3 += w[i + 3] * TERM(i + 3);
                w0 += w[i];
                w1 += w[i + 1];
                w2 += w[i + 2];
                w3 += w[i + 3];
            }
            for (int l = 0; i < to; i++, l++) {
                if (l == 0) s0 += w[i] * TERM(i), w0 += w[i];
                if (l == 1) s1 += w[i] * TERM(i), w1 += w[i];
                if (l == 2) s2 += w[i] * TERM(i), w2 += w[i];
            }
        } else {
            for (; i + 4 <= to; i += 4) {
                s0 += 1.0 * TERM(i);
                s1 += 1.0 * TERM(i + 1);
                s2 += 1.0 * TERM(i + 2);
                s3 += 1.0 * TERM(i + 3);
            }
            for (int l = 0; i < to; i++, l++) {
                if (l == 0) s0 += 1.0 * TERM(i);
                if (l == 1) s1 += 1.0 * TERM(i);
                if (l == 2) s2 += 1.0 * TERM(i);
            }
            w0 = (double)((to - from + 3) / 4);
            w1 = (double)((to - from + 2) / 4);
            w2 = (double)((to - from + 1) / 4);
            w3 = (double)((to - from) / 4);
        }
        part[2 * c] = (s0 + s1) + (s2 + s3);
        part[2 * c + 1] = (w0 + w1) + (w2 + w3);
    }
#undef TERM
#undef PRED
    return metric_finish(m, part, nchunk, part != stack_part);
}

static sw_metric default_metric(sw_objective o)
{
    switch (o) {
    case SW_OBJ_ABSOLUTEERROR: return SW_METRIC_MAE;
    case SW_OBJ_QUANTILE: return SW_METRIC_QUANTILE;
    case SW_OBJ_POISSON: return SW_METRIC_POISSON_NLOGLIK;
    case SW_OBJ_MULTI_SOFTPROB:
    case SW_OBJ_MULTI_SOFTMAX: return SW_METRIC_MLOGLOSS;
    default: return SW_METRIC_RMSE;
    }
}

/* ---------------------------------------------------------- the loop */

typedef struct {
    sw__binned b;
    int is_train; /* the training data itself: shares its margins */
    long n;
    void *margin; /* float or double */
    double *pred;
} eval_state;

static void progress_bar(FILE *fp, int done, int total, const char *metric, double value, double elapsed)
{
    int width = 30, fill = total ? done * width / total : width;
    double eta = done ? elapsed / done * (total - done) : 0;
    fprintf(fp, "\r[%.*s%*s] %d/%d rounds", fill, "##############################", width - fill, "", done, total);
    if (metric) fprintf(fp, "  %s %.5f", metric, value);
    fprintf(fp, "  %.0fs left ", eta);
    fflush(fp);
}

int sw_train(const sw_train_params *pin, const sw_train_data *train, const sw_train_data *evals, int n_evals,
             sw_forest **out, sw_train_report *report, sw_error *err)
{
    *out = NULL;
    sw_train_params P = *pin;
    sw_train_params *p = &P;
    if (p->nthread < 1) p->nthread = 1;
    if (report) memset(report, 0, sizeof *report);
    if (p->isa == SW_ISA_AUTO) {
        int k = sw_isa_best();
        if (k < 0)
            return sw_fail(err, SW_ARG, "SW_FORCE_ISA=%s: expected scalar, avx2 or avx512 supported by this CPU",
                           getenv("SW_FORCE_ISA"));
        p->isa = (sw_isa)k;
    } else if (!sw_isa_supported(p->isa)) {
        return sw_fail(err, SW_UNSUPPORTED, "the %s training kernels are not available on this CPU", sw_isa_name(p->isa));
    }
    double t_start = sw_clock_now();
    const sw_matrix *X = train->X;
    long n = X->rows;
    int nf = X->cols;
    int obl = p->grow_policy == SW_GROW_OBLIVIOUS;
    if (!sw_objective_trainable(p->objective))
        return sw_fail(err, SW_ARG, "objective %s is not supported for training", sw_objective_name(p->objective));
    if (obl && catboost_objective(p->objective) == SW_OBJ_COUNT)
        return sw_fail(err, SW_ARG, "grow_policy=oblivious supports reg:squarederror, reg:absoluteerror, "
                       "reg:quantileerror, count:poisson and binary:logistic (not %s)", sw_objective_name(p->objective));
    if (obl && p->n_monotone) {
        for (int f = 0; f < p->n_monotone; f++)
            if (p->monotone[f]) return sw_fail(err, SW_ARG, "monotone_constraints are not supported with grow_policy=oblivious");
    }
    if (p->n_monotone > nf) return sw_fail(err, SW_ARG, "monotone_constraints has %d entries for %d features", p->n_monotone, nf);
    if (p->n_categorical > nf)
        return sw_fail(err, SW_ARG, "categorical_features names feature %d of %d", p->n_categorical - 1, nf);
    for (int f = 0; f < p->n_categorical; f++) {
        if (!p->categorical[f]) continue;
        if (obl) return sw_fail(err, SW_ARG, "categorical features are not supported with grow_policy=oblivious");
        if (f < p->n_monotone && p->monotone[f])
            return sw_fail(err, SW_ARG, "feature %s is categorical: it cannot have a monotone constraint",
                           X->names[f] ? X->names[f] : "?");
        SW_TRY(check_categories(train, f, err));
        for (int e = 0; e < n_evals; e++)
            if (evals[e].X != X && evals[e].X->cols == nf) SW_TRY(check_categories(&evals[e], f, err));
    }
    int multi = sw_objective_is_multiclass(p->objective), K = multi ? p->num_class : 1;
    if (multi && p->num_class < 2)
        return sw_fail(err, SW_ARG, "objective %s needs num_class (2 or more)", sw_objective_name(p->objective));
    if (!multi && p->num_class > 0)
        return sw_fail(err, SW_ARG, "num_class is for multi:softprob and multi:softmax, not %s",
                       sw_objective_name(p->objective));
    for (int k = 0; k < p->n_metrics; k++)
        if ((p->metrics[k] == SW_METRIC_MLOGLOSS || p->metrics[k] == SW_METRIC_MERROR) != multi)
            return sw_fail(err, SW_ARG, "eval_metric %s %s", sw_metric_name(p->metrics[k]),
                           multi ? "does not measure classes (mlogloss, merror)"
                                 : "needs multi:softprob or multi:softmax");
    if ((long long)n * K > 0xfffffff0LL) return sw_fail(err, SW_RANGE, "too many rows x classes");
    if (p->grow_policy == SW_GROW_DEPTHWISE && p->max_depth < 1)
        return sw_fail(err, SW_ARG, "grow_policy=depthwise needs max_depth >= 1");
    if (p->grow_policy == SW_GROW_LOSSGUIDE && p->max_depth == 0 && p->max_leaves == 0)
        return sw_fail(err, SW_ARG, "grow_policy=lossguide needs max_leaves or max_depth");
    if (n > 0xfffffff0L) return sw_fail(err, SW_RANGE, "too many rows");
    sw_data_check chk;
    SW_TRY(sw_train_check_data(p, train, &chk, err));
    if (chk.detail[0] && p->log) fprintf(p->log, "%s", chk.detail);
    SW_TRY(check_targets(p, train, err));
    for (int e = 0; e < n_evals && multi; e++) /* the metrics index the label's class */
        SW_TRY(check_targets(p, &evals[e], err));
    for (int e = 0; e < n_evals; e++) {
        if (evals[e].X->cols != nf)
            return sw_fail(err, SW_MISMATCH, "eval set %s has %d features, training has %d",
                           evals[e].name ? evals[e].name : "?", evals[e].X->cols, nf);
        for (int f = 0; f < nf; f++) {
            const char *a = X->names[f], *b = evals[e].X->names[f];
            if (a && b && strcmp(a, b) != 0)
                return sw_fail(err, SW_MISMATCH, "eval set %s: column %d is %s, training has %s",
                               evals[e].name ? evals[e].name : "?", f, b, a);
        }
        for (long r = 0; r < evals[e].X->rows; r++) {
            if (!isfinite(evals[e].y[r]))
                return sw_fail(err, SW_INVALID_DATA, "eval set %s row %ld: missing or non-finite target",
                               evals[e].name ? evals[e].name : "?", r + 1);
            const float *x = sw_matrix_row(evals[e].X, r);
            for (int f = 0; f < nf; f++)
                if (isinf(x[f]))
                    return sw_fail(err, SW_INVALID_DATA,
                                   "eval set %s row %ld: column %s is infinite (a feature may be missing, not infinite)",
                                   evals[e].name ? evals[e].name : "?", r + 1, X->names[f] ? X->names[f] : "?");
        }
    }
    if (p->n_metrics == 0) {
        p->metrics[0] = default_metric(p->objective);
        p->n_metrics = 1;
    }
    double poisson_mds = p->max_delta_step > 0 ? p->max_delta_step : 0.7;

    int rc = SW_OK;
    sw__cuts cuts;
    sw__binned bt = {0};
    eval_state *es = NULL;
    sw__grower *g = NULL;
    sw_forest *f = NULL;
    sw__gpair *gh = NULL;
    uint8_t *sampled = NULL;
    void *margin = NULL;
    double *history = NULL, *mparts = NULL;
    memset(&cuts, 0, sizeof cuts);

    double t0 = sw_clock_now();
    if ((rc = sw__cuts_fit(X, train->w, p->max_bin, p->nthread, &cuts, err))) goto done;
    for (int k = 0; k < p->n_categorical; k++) /* a categorical feature: bin = category (cuts 1..max) */
        if (p->categorical[k] && (rc = sw__cuts_categorical(X, k, &cuts, err))) goto done;
    if ((rc = sw__bin_apply(&cuts, X, p->nthread, &bt, err))) goto done;
    es = sw_calloc((size_t)n_evals + 1, sizeof *es);
    if (!es) goto oom;
    for (int e = 0; e < n_evals; e++) {
        es[e].n = evals[e].X->rows;
        es[e].is_train = evals[e].X == X && evals[e].y == train->y && evals[e].w == train->w;
        if (!es[e].is_train && (rc = sw__bin_apply(&cuts, evals[e].X, p->nthread, &es[e].b, err))) goto done;
    }
    double t_binning = sw_clock_now() - t0;
    if (p->binned) p->binned(p->binned_ctx);

    /* base score and the model */
    double base = p->base_score;
    if (isnan(base) && multi) base = 0.5; /* XGBoost's default margin of every class */
    else if (isnan(base) && (rc = base_score_from_target(p, train, &base, err))) goto done;
    sw_link link = sw_objective_link(p->objective);
    int ok = 1;
    float base_margin_f = sw_link_inverse_f32(link, (float)base, &ok);
    if (!ok) {
        rc = sw_fail(err, SW_ARG, "base_score %g is outside the domain of %s", base, sw_objective_name(p->objective));
        goto done;
    }
    double base_margin_d = link == SW_LINK_EXP ? log(base) : link == SW_LINK_SIGMOID ? -log(1.0 / base - 1.0) : base;
    f = sw_forest_create(obl ? SW_TREES_OBLIVIOUS : SW_TREES_BINARY, nf);
    if (!f) goto oom;
    if ((rc = sw_forest_set_feature_names(f, (const char *const *)X->names, err))) goto done;
    if (obl) {
        sw_forest_set_objective(f, catboost_objective(p->objective));
        sw_forest_set_scale_bias(f, 1.0, base_margin_d);
        for (int k = 0; k < nf; k++) sw_forest_set_nan_mode(f, k, SW_NAN_ASFALSE, NULL);
    } else {
        sw_forest_set_objective(f, p->objective);
        sw_forest_set_base_score(f, (float)base, base_margin_f);
    }
    double oparam = p->objective == SW_OBJ_QUANTILE ? p->quantile_alpha
                    : p->objective == SW_OBJ_PSEUDOHUBER ? p->huber_slope
                    : p->objective == SW_OBJ_TWEEDIE ? p->tweedie_variance_power
                    : p->objective == SW_OBJ_POISSON ? poisson_mds
                                                     : NAN;
    sw_forest_set_objective_param(f, oparam);
    sw_forest_set_source(f, "swish", "1");

    size_t msz = obl ? sizeof(double) : sizeof(float);
    /* margins and gradients: n per class, class after class */
    size_t nK = (size_t)n * (size_t)K;
    margin = sw_alloc_array(nK + 1, msz);
    gh = sw_alloc_array(nK + 1, sizeof *gh);
    sampled = sw_alloc_array((size_t)n + 1, 1);
    if (!margin || !gh || !sampled) goto oom;
    for (size_t r = 0; r < nK; r++) {
        if (obl) ((double *)margin)[r] = base_margin_d;
        else ((float *)margin)[r] = base_margin_f;
    }
    if (multi && (rc = sw_forest_set_trees_per_iteration(f, K, err))) goto done;
    long nmchunk = (n + METRIC_CHUNK - 1) / METRIC_CHUNK;
    if (multi) { /* the first round's gradients */
        mparts = sw_alloc_array((size_t)nmchunk * 3 + 1, sizeof *mparts);
        if (!mparts) goto oom;
        softmax_pass(gh, margin, K, train->y, train->w, n, p->nthread, NULL);
    }
    for (int e = 0; e < n_evals; e++) {
        es[e].margin = es[e].is_train ? NULL : sw_alloc_array((size_t)es[e].n * (size_t)K + 1, msz);
        es[e].pred = sw_alloc_array((size_t)es[e].n + 1, sizeof(double));
        if ((!es[e].margin && !es[e].is_train) || !es[e].pred) goto oom;
        for (long r = 0; r < es[e].n * K && !es[e].is_train; r++) {
            if (obl) ((double *)es[e].margin)[r] = base_margin_d;
            else ((float *)es[e].margin)[r] = base_margin_f;
        }
    }
    g = sw__grower_create(p, &bt, &cuts, err);
    if (!g) {
        rc = SW_NOMEM;
        goto done;
    }
    int nm = p->n_metrics;
    if (n_evals) {
        history = sw_alloc_array((size_t)p->rounds * (size_t)n_evals * (size_t)nm + 1, sizeof *history);
        if (!history) goto oom;
    }

    sw__grow_times tm = {0};
    double t_gradient = 0, t_eval = 0;
    int best_round = -1, rounds_done = 0;
    double best_score = INFINITY;
    for (int round = 0; round < p->rounds; round++) {
        double a = sw_clock_now();
        const float *y = train->y, *w = train->w;
        uint64_t key = sw__rand(p->seed, (uint64_t)round, 0x53554253ULL, 0); /* this round's row draws */
        uint64_t cut = p->subsample >= 1.0 ? UINT64_MAX : (uint64_t)(p->subsample * 0x1p32); /* < 2^32 */
        if (multi) { /* every class's gradients, from the margins before this round's trees: done */
        } else if (p->objective == SW_OBJ_SQUAREDERROR) { /* the common case, without the per-row switch */
            sq_gradients(gh, margin, obl, y, w, n, p->nthread, sampled, key, cut);
        } else {
#pragma omp parallel for num_threads(p->nthread) schedule(static) if (p->nthread > 1)
            for (long r = 0; r < n; r++) {
                double m = obl ? ((double *)margin)[r] : (double)((float *)margin)[r];
                gradient(p, poisson_mds, m, y[r], w ? w[r] : 1.0, &gh[r]);
            }
            draw_rows(sampled, n, key, cut, p->nthread);
        }
        t_gradient += sw_clock_now() - a;
        /* one tree per class (one in all but multi-class): tree number
         * round K + k draws its rows and features */
        for (int k = 0; k < K; k++) {
            int tree = round * K + k;
            if (multi) {
                double c = sw_clock_now();
                draw_rows(sampled, n, sw__rand(p->seed, (uint64_t)tree, 0x53554253ULL, 0), cut, p->nthread);
                t_gradient += sw_clock_now() - c;
            }
            void *mk = obl ? margin : (void *)((float *)margin + (size_t)k * (size_t)n);
            sw__tree_out t;
            if ((rc = sw__grow(g, tree, gh + (size_t)k * (size_t)n, sampled, y, w, mk, obl, &t, &tm, err))) goto done;
            if (obl) {
                rc = sw_forest_add_oblivious(f, t.depth, t.ofeat, t.oborder, t.oleaf, t.oweight, err);
            } else {
                sw_binary_tree_in in = {t.n_nodes, t.left, t.right, t.feat, t.thr, t.dl, t.value, t.cover, t.gain, NULL, NULL, NULL};
                int32_t *cs = NULL, *cc = NULL, *cv = NULL;
                if (t.cat) { /* categorical splits: each node's set as a list */
                    cs = sw_calloc((size_t)t.n_nodes, sizeof *cs);
                    cc = sw_calloc((size_t)t.n_nodes, sizeof *cc);
                    cv = sw_alloc_array((size_t)t.n_nodes * 256 + 1, sizeof *cv);
                    if (!cs || !cc || !cv) {
                        sw_free(cs);
                        sw_free(cc);
                        sw_free(cv);
                        sw__tree_out_free(&t);
                        goto oom;
                    }
                    int32_t at = 0;
                    for (int i = 0; i < t.n_nodes; i++) {
                        if (!t.cat[i] || t.left[i] < 0) continue;
                        cs[i] = at;
                        for (int c = 0; c < 256; c++)
                            if ((t.cset[(size_t)i * 8 + (size_t)(c >> 5)] >> (c & 31)) & 1u) cv[at++] = c;
                        cc[i] = at - cs[i];
                    }
                    in.cat_start = cs;
                    in.cat_count = cc;
                    in.categories = cv;
                }
                rc = sw_forest_add_binary(f, &in, err);
                sw_free(cs);
                sw_free(cc);
                sw_free(cv);
            }
            if (rc) {
                sw__tree_out_free(&t);
                goto done;
            }
            double b = sw_clock_now();
            if (sw__grow_update_margin(g, &t, mk, obl) != SW_OK) {
                sw__tree_out_free(&t);
                rc = sw_fail(err, SW_NOMEM, "out of memory updating the margins");
                goto done;
            }
            /* eval sets: the tree applied to their binned rows (the training
             * rows' margins are already up to date) */
            for (int e = 0; e < n_evals; e++) {
                if (es[e].is_train) continue;
                const uint8_t *bins = es[e].b.bins;
                long ne = es[e].n;
                void *em = obl ? es[e].margin : (void *)((float *)es[e].margin + (size_t)k * (size_t)ne);
#pragma omp parallel for num_threads(p->nthread) schedule(static) if (p->nthread > 1)
                for (long r = 0; r < ne; r++) {
                    int leaf = sw__tree_leaf_binned(&t, bins + (size_t)r * (size_t)nf, obl);
                    if (obl) ((double *)em)[r] += t.oleaf[leaf];
                    else ((float *)em)[r] += t.value[leaf];
                }
            }
            sw__tree_out_free(&t);
            t_eval += sw_clock_now() - b;
        }
        if (multi) { /* the next round's gradients and the training rows' metrics */
            double c = sw_clock_now();
            softmax_pass(gh, margin, K, train->y, train->w, n, p->nthread, mparts);
            t_gradient += sw_clock_now() - c;
        }
        double b = sw_clock_now();
        for (int e = 0; e < n_evals; e++) {
            long ne = es[e].n;
            void *em = es[e].is_train ? margin : es[e].margin;
            if (multi) {
                for (int k = 0; k < nm; k++) {
                    double v = 0;
                    if (es[e].is_train) { /* from the pass: chunk sums in order */
                        double sw = 0, sv = 0;
                        for (long ch = 0; ch < nmchunk; ch++) {
                            sw += mparts[3 * ch];
                            sv += mparts[3 * ch + (p->metrics[k] == SW_METRIC_MERROR ? 2 : 1)];
                        }
                        v = sw > 0 ? sv / sw : 0.0;
                    } else {
                        v = metric_classes(p, p->metrics[k], em, K, evals[e].y, evals[e].w, ne);
                    }
                    history[((size_t)round * n_evals + e) * nm + k] = v;
                }
                continue;
            }
            int direct = link == SW_LINK_IDENTITY;
            for (int k = 0; k < nm; k++)
                if (p->metrics[k] != SW_METRIC_RMSE && p->metrics[k] != SW_METRIC_MAE) direct = 0;
            if (direct) { /* the metrics straight from the margins */
                for (int k = 0; k < nm; k++)
                    history[((size_t)round * n_evals + e) * nm + k] =
                        metric_margin(p, p->metrics[k], em, obl, evals[e].y, evals[e].w, ne);
                continue;
            }
            if (link == SW_LINK_IDENTITY && !obl) {
                for (long r = 0; r < ne; r++) es[e].pred[r] = (double)((float *)em)[r];
            } else if (link == SW_LINK_IDENTITY) {
                memcpy(es[e].pred, em, (size_t)ne * sizeof(double));
            } else {
                for (long r = 0; r < ne; r++) {
                    if (obl) es[e].pred[r] = sw_link_apply_f64(link, ((double *)em)[r]);
                    else es[e].pred[r] = (double)sw_link_apply_f32(link, ((float *)em)[r]);
                }
            }
            for (int k = 0; k < nm; k++)
                history[((size_t)round * n_evals + e) * nm + k] =
                    metric(p, p->metrics[k], es[e].pred, evals[e].y, evals[e].w, ne);
        }
        t_eval += sw_clock_now() - b;
        rounds_done = round + 1;
        if (n_evals) {
            double v = history[((size_t)round * n_evals + (n_evals - 1)) * nm];
            if (v < best_score) {
                best_score = v;
                best_round = round;
            }
        }
        if (p->log && p->verbose_every > 0 && n_evals &&
            (round % p->verbose_every == 0 || round + 1 == p->rounds)) {
            if (p->progress) fprintf(p->log, "\r%*s\r", 78, "");
            fprintf(p->log, "[%d]", round);
            for (int e = 0; e < n_evals; e++)
                for (int k = 0; k < nm; k++)
                    fprintf(p->log, "\t%s-%s:%.5f", evals[e].name ? evals[e].name : "eval",
                            sw_metric_name(p->metrics[k]), history[((size_t)round * n_evals + e) * nm + k]);
            fprintf(p->log, "\n");
        }
        if (p->log && p->progress)
            progress_bar(p->log, round + 1, p->rounds, n_evals ? sw_metric_name(p->metrics[0]) : NULL,
                         n_evals ? history[((size_t)round * n_evals + (n_evals - 1)) * nm] : 0, sw_clock_now() - t_start);
        if (p->early_stopping_rounds > 0 && n_evals && round - best_round >= p->early_stopping_rounds) break;
    }
    if (p->log && p->progress) fprintf(p->log, "\n");
    if (p->early_stopping_rounds > 0 && best_round >= 0) sw_forest_set_best_iteration(f, best_round);
    if (multi) { /* tree t adds to class t mod K */
        int nt = sw_forest_n_trees(f);
        int32_t *grp = sw_alloc_array((size_t)nt + 1, sizeof *grp);
        if (!grp) goto oom;
        for (int t = 0; t < nt; t++) grp[t] = t % K;
        rc = sw_forest_set_groups(f, K, grp, err);
        sw_free(grp);
        if (rc) goto done;
    }
    if (report) {
        report->t_binning = t_binning;
        report->t_hist = tm.t_hist;
        report->t_split = tm.t_split;
        report->t_partition = tm.t_partition;
        report->t_gradient = t_gradient;
        report->t_eval = t_eval;
        report->t_total = sw_clock_now() - t_start;
        report->n_trees = sw_forest_n_trees(f);
        report->best_iteration = p->early_stopping_rounds > 0 ? best_round : -1;
        report->best_score = best_score;
        report->n_evals = n_evals;
        report->n_metrics = nm;
        report->history = history;
        report->rounds_done = rounds_done;
        history = NULL;
        for (int k = 0; k < nm; k++)
            snprintf(report->metric_names[k], sizeof report->metric_names[k], "%s", sw_metric_name(p->metrics[k]));
    }
    *out = f;
    f = NULL;
    goto done;
oom:
    rc = sw_fail(err, SW_NOMEM, "out of memory training");
done:
    sw_forest_free(f);
    sw__grower_free(g);
    sw__cuts_free(&cuts);
    sw__binned_free(&bt);
    if (es) {
        for (int e = 0; e < n_evals; e++) {
            sw__binned_free(&es[e].b);
            sw_free(es[e].margin);
            sw_free(es[e].pred);
        }
    }
    sw_free(es);
    sw_free(gh);
    sw_free(sampled);
    sw_free(margin);
    sw_free(history);
    sw_free(mparts);
    return rc;
}
