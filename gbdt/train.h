/* train: gradient-boosted trees trained natively, XGBoost's `hist` algorithm and
 * parameters plus CatBoost-style oblivious trees.
 *
 * Data are binned once (quantile cuts per feature, up to max_bin bins plus one
 * for missing values); each tree grows from gradient/hessian histograms, the
 * smaller child built from rows and its sibling by subtraction from the parent.
 * Split gain, leaf weights, L1/L2, gamma, min_child_weight, max_delta_step,
 * learned default directions for missing values, sampling, monotone
 * constraints and early stopping follow XGBoost's definitions.
 *
 * Determinism: the same data, parameters and seed give a bit-identical model at
 * any thread count.  Random draws depend only on (seed, round, level, node);
 * each histogram bin is accumulated by one thread in row order; partitions are
 * stable.  Threads are passed in (`nthread`), never set globally.
 *
 * Ownership: sw_train returns a new forest the caller frees; inputs are only
 * read.  Thread-safety: independent calls may run concurrently.
 */
#ifndef SW_TRAIN_H
#define SW_TRAIN_H

#include <stdio.h>

#include "core/matrix.h"
#include "core/simd.h"
#include "core/status.h"
#include "forest.h"
#include "objective.h"

typedef enum { SW_GROW_DEPTHWISE, SW_GROW_LOSSGUIDE, SW_GROW_OBLIVIOUS } sw_grow_policy;

typedef enum {
    SW_METRIC_RMSE,
    SW_METRIC_MAE,
    SW_METRIC_MAPE,
    SW_METRIC_QUANTILE, /* pinball loss at quantile_alpha */
    SW_METRIC_POISSON_NLOGLIK,
    SW_METRIC_MLOGLOSS, /* multi-class: -log of the label's probability (at least 1e-16) */
    SW_METRIC_MERROR,   /* multi-class: share of rows whose most probable class is not the label */
    SW_METRIC_COUNT
} sw_metric;

#define SW_MAX_METRICS 4

typedef struct {
    sw_objective objective;     /* XGBoost objectives; oblivious trees map to CatBoost's */
    sw_grow_policy grow_policy;
    int rounds;                 /* boosting rounds (num_boost_round) */
    double eta;                 /* learning_rate */
    int max_depth;              /* 0 = unlimited (lossguide only) */
    int max_leaves;             /* lossguide; 0 = unlimited */
    int max_bin;                /* 2..256 */
    double lambda, alpha, gamma;
    double min_child_weight, max_delta_step;
    double subsample, colsample_bytree, colsample_bylevel, colsample_bynode;
    double base_score;          /* NaN = from the target (boost from average) */
    double quantile_alpha, huber_slope, tweedie_variance_power;
    int monotone[256];          /* per feature: -1, 0, +1 (first 256 features) */
    int n_monotone;
    /* categorical features (first 256): values are categories, integers 0..254
     * (NaN missing); splits send a set of categories right, as XGBoost's
     * enable_categorical: one category against the rest when the feature has
     * fewer than max_cat_to_onehot categories, else the best partition of the
     * categories sorted by their leaf weight, the set at most
     * max_cat_threshold categories */
    uint8_t categorical[256];
    int n_categorical;
    int max_cat_to_onehot, max_cat_threshold;
    sw_metric metrics[SW_MAX_METRICS];
    int n_metrics;              /* 0 = the objective's default */
    int early_stopping_rounds;  /* 0 = off; watches the last eval set's first metric */
    unsigned long long seed;
    int nthread;
    sw_isa isa;                 /* kernels (partition, histogram packing, split scan); AUTO = the best
                                 * the CPU has, or SW_FORCE_ISA (a bogus value is an error).  Every
                                 * ISA gives the same model. */
    int verbose_every;          /* print metrics every N rounds (0 = never) */
    FILE *log;                  /* where metrics and the summary go (NULL = silent) */
    int progress;               /* draw a progress bar on `log` (a terminal) */
    int num_class;              /* multi:softprob / multi:softmax: classes, labels 0..num_class-1; each
                                 * round grows one tree per class (binary trees only) */
    /* Called once when the training and evaluation rows are binned: from then on
     * sw_train reads no feature value of their matrices (only names and shapes;
     * targets and weights still), so the caller may free the values (swish
     * train does: its peak memory is then the binned rows, not the floats). */
    void (*binned)(void *ctx);
    void *binned_ctx;
} sw_train_params;

sw_train_params sw_train_params_default(void);

/* Set one parameter by XGBoost name or alias ("eta", "learning_rate", "lambda",
 * "reg_lambda", "monotone_constraints", ...).  `feature_names` resolves
 * monotone_constraints and categorical_features (a comma list of names or
 * positions) given by name.  An unknown name or invalid value is
 * SW_ARG with a message listing what is valid. */
int sw_train_params_set(sw_train_params *p, const char *key, const char *value,
                        const char *const *feature_names, int n_features, sw_error *err);
/* The defaults on the heap (sw_free it): for bindings that cannot mirror the
 * struct (swish's Python module sets every field by name). */
sw_train_params *sw_train_params_new(void);
/* Names of one setting ("eta" and "learning_rate") share a group number, other
 * names give -1: two names of one group given together are a conflict. */
int sw_train_param_group(const char *name);
/* Names accepted by sw_train_params_set, for help texts. */
const char *sw_train_param_names(void);
const char *sw_metric_name(sw_metric m);

typedef struct {
    const sw_matrix *X; /* features; NaN = missing */
    const float *y;     /* target */
    const float *w;     /* sample weights or NULL */
    const char *name;   /* "train", "valid", ... */
} sw_train_data;

/* What training did: per-phase seconds, metric history, best iteration. */
typedef struct {
    double t_binning, t_hist, t_split, t_partition, t_gradient, t_eval, t_total;
    int n_trees;
    int best_iteration;      /* -1 without early stopping / eval sets */
    double best_score;
    int n_evals, n_metrics;
    double *history;         /* [round][eval set][metric], rounds * n_evals * n_metrics */
    int rounds_done;
    char metric_names[SW_MAX_METRICS][32];
} sw_train_report;

void sw_train_report_free(sw_train_report *r);

/* Train on `train`, evaluating `evals` (may include train) after every round.
 * Fills *out with the model (best_iteration recorded when early stopping ran)
 * and *report (may be NULL). */
int sw_train(const sw_train_params *p, const sw_train_data *train, const sw_train_data *evals,
             int n_evals, sw_forest **out, sw_train_report *report, sw_error *err);

/* ---- validation of training data (run by sw_train, also callable alone) ---- */

typedef struct {
    long rows, cols;
    long nonfinite_targets;  /* fatal */
    int constant_cols, all_missing_cols;
    int infinite_cols;       /* columns with an infinite value (fatal: missing is NaN) */
    long duplicate_rows;
    int leakage_col;         /* feature equal to the target on >= 98% of rows; -1 none (fatal) */
    double leakage_share;
    int too_few_rows;        /* fatal */
    char detail[1024];       /* human-readable findings, one per line */
} sw_data_check;

/* Fills *c; returns SW_INVALID_DATA with a message when a finding is fatal. */
int sw_train_check_data(const sw_train_params *p, const sw_train_data *d, sw_data_check *c,
                        sw_error *err);

#endif
