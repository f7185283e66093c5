/* forest: one in-memory model for both tree kinds swish scores.
 *
 * (a) Binary trees as XGBoost builds them: node test `x < threshold` (float32)
 *     goes left, otherwise right; a missing value (NaN) goes to the node's
 *     default child; leaves hold float32 values.  Prediction = base margin +
 *     leaves, accumulated in float32 tree by tree, then the objective's link.
 * (b) Oblivious trees as CatBoost builds them: one test `x > border` per level,
 *     shared by every node of the level; leaf index = sum of (test_d << d);
 *     leaves hold doubles.  Prediction = Scale * (sum of leaves, double, tree
 *     by tree from 0) + bias, then the link.  NaN handling is per feature.
 *
 * A forest is built by a reader or the trainer through the sw_forest_add_*
 * functions, which validate every tree (indices, cycles, sharing, feature
 * range, finite thresholds and leaves) so that scorers never see a bad tree.
 *
 * Ownership: sw_forest_create returns a forest the caller frees with
 * sw_forest_free; the add/set functions copy their inputs; getters return
 * borrowed pointers valid until the forest is freed.  A finished forest is
 * immutable and may be shared by any number of threads.
 */
#ifndef SW_FOREST_H
#define SW_FOREST_H

#include <stdint.h>

#include "core/status.h"
#include "objective.h"

typedef enum { SW_TREES_BINARY = 1, SW_TREES_OBLIVIOUS = 2 } sw_tree_kind;

/* CatBoost's per-feature treatment of NaN. */
typedef enum {
    SW_NAN_ASIS = 0,    /* NaN fails every `x > border` test */
    SW_NAN_ASFALSE = 1, /* NaN is -inf */
    SW_NAN_ASTRUE = 2   /* NaN is +inf */
} sw_nan_mode;

#define SW_MAX_FEATURES 100000
#define SW_MAX_TREES 1000000
#define SW_MAX_BINARY_DEPTH 256
#define SW_MAX_OBLIVIOUS_DEPTH 16

typedef struct sw_forest sw_forest;

sw_forest *sw_forest_create(sw_tree_kind kind, int n_features);
void sw_forest_free(sw_forest *f);

/* A binary tree as given to sw_forest_add_binary: n_nodes nodes, node 0 the
 * root.  Node i is a leaf when left[i] < 0 (right[i] is then ignored) and holds
 * leaf_value[i]; otherwise it tests feature[i] against threshold[i] with
 * children left[i]/right[i] and default_left[i] for missing values.
 * cover (sum of hessians reaching each node) and gain (loss change of each
 * split) are optional statistics used by TreeSHAP and by writers; NULL when
 * unknown.  Nodes not reachable from the root are dropped (XGBoost keeps
 * deleted nodes in its arrays). */
typedef struct {
    int n_nodes;
    const int32_t *left, *right, *feature;
    const float *threshold;
    const uint8_t *default_left;
    const float *leaf_value;
    const float *cover; /* optional */
    const float *gain;  /* optional */
    /* optional categorical splits (XGBoost's enable_categorical): node i with
     * cat_count[i] > 0 sends a value right when its category (integer part,
     * 0 <= x < 2^24) is one of categories[cat_start[i] .. + cat_count[i]), left
     * otherwise, NaN to its default child; its threshold is ignored */
    const int32_t *cat_start, *cat_count, *categories;
} sw_binary_tree_in;

/* Validate and append a tree.  Errors: SW_FORMAT with a message naming the tree
 * and node (child out of range, a node reached twice, feature out of range,
 * non-finite threshold or leaf, too deep). */
int sw_forest_add_binary(sw_forest *f, const sw_binary_tree_in *tree, sw_error *err);

/* Oblivious tree: depth levels (0..16), feature[d]/border[d] for level d (level 0
 * is bit 0 of the leaf index), 2^depth leaf values and optional leaf weights
 * (training-sample weight per leaf; NULL when unknown). */
int sw_forest_add_oblivious(sw_forest *f, int depth, const int32_t *feature,
                            const float *border, const double *leaf_values,
                            const double *leaf_weights, sw_error *err);

/* Output groups (XGBoost's num_class): tree t adds to output group[t]
 * (0..n_groups-1), one entry per tree added so far.  Errors: SW_FORMAT for a
 * group out of range or a count above SW_MAX_GROUPS. */
#define SW_MAX_GROUPS 4096
int sw_forest_set_groups(sw_forest *f, int n_groups, const int32_t *group, sw_error *err);

/* Names for all n_features columns (copied). */
int sw_forest_set_feature_names(sw_forest *f, const char *const *names, sw_error *err);
/* The objective's parameter section as an XGBoost file wrote it, for the
 * objectives whose parameters swish does not model (survival:aft's
 * "aft_loss_param", rank:*'s "lambda_rank_param"): its name and n string
 * pairs kv[2i] (key), kv[2i + 1] (value), copied (at most
 * SW_MAX_OBJECTIVE_KEYS), written back as read.  name NULL removes it. */
#define SW_MAX_OBJECTIVE_KEYS 64
int sw_forest_set_objective_section(sw_forest *f, const char *name, int n, const char *const *kv, sw_error *err);
/* Its key/value count (-1 when there is none) and name; pair i in *key and
 * *value when 0 <= i < count. */
int sw_forest_objective_section(const sw_forest *f, const char **name, int i, const char **key, const char **value);
/* Set: the model's file named no features, and the names are XGBoost's f0,
 * f1, ..., made up on reading; writers leave them out again, so that XGBoost
 * still takes unnamed data with the file. */
void sw_forest_set_unnamed(sw_forest *f, int unnamed);
int sw_forest_unnamed(const sw_forest *f);
void sw_forest_set_objective(sw_forest *f, sw_objective obj);
/* The objective's parameter where it has one (tweedie_variance_power,
 * huber_slope, quantile_alpha, Poisson max_delta_step); NaN when unset. */
void sw_forest_set_objective_param(sw_forest *f, double v);
double sw_forest_objective_param(const sw_forest *f);
/* XGBoost: base_score as written in the model (prediction space) and the
 * float32 margin scoring starts from. */
void sw_forest_set_base_score(sw_forest *f, float base_score, float base_margin);
/* One base score and margin per output group (XGBoost 3.1 writes one per
 * target of a multi-target model): n is the forest's group count, so set the
 * groups first (sw_forest_set_groups drops these).  They override the common
 * pair for scoring and explanation. */
int sw_forest_set_group_base_scores(sw_forest *f, int n, const float *base_score, const float *base_margin,
                                    sw_error *err);
/* CatBoost: prediction = scale * sum + bias. */
void sw_forest_set_scale_bias(sw_forest *f, double scale, double bias);
/* Index of the best boosting round (-1 = none) and trees per round. */
void sw_forest_set_best_iteration(sw_forest *f, int best_iteration);
int sw_forest_set_trees_per_iteration(sw_forest *f, int n, sw_error *err);
int sw_forest_set_nan_mode(sw_forest *f, int feature, sw_nan_mode mode, sw_error *err);
/* Where the model came from, e.g. ("xgboost-json", "3.1.2"). */
int sw_forest_set_source(sw_forest *f, const char *format, const char *version);

sw_tree_kind sw_forest_kind(const sw_forest *f);
int sw_forest_n_features(const sw_forest *f);
int sw_forest_n_trees(const sw_forest *f);
const char *sw_forest_feature_name(const sw_forest *f, int i); /* NULL when unnamed */
sw_objective sw_forest_objective(const sw_forest *f);
float sw_forest_base_score(const sw_forest *f);
float sw_forest_base_margin(const sw_forest *f);
/* Output group g's base score and margin: its own where set per group, else
 * the common ones. */
float sw_forest_group_base_score(const sw_forest *f, int g);
float sw_forest_group_base_margin(const sw_forest *f, int g);
/* 1 when the groups have base scores of their own (not all equal). */
int sw_forest_has_group_base_scores(const sw_forest *f);
double sw_forest_scale(const sw_forest *f);
double sw_forest_bias(const sw_forest *f);
int sw_forest_best_iteration(const sw_forest *f);
int sw_forest_trees_per_iteration(const sw_forest *f);
sw_nan_mode sw_forest_nan_mode(const sw_forest *f, int feature);
const char *sw_forest_source_format(const sw_forest *f);
const char *sw_forest_source_version(const sw_forest *f);
int sw_forest_n_groups(const sw_forest *f);
int sw_forest_tree_group(const sw_forest *f, int tree);
/* Values per row a prediction has: the groups (margins, or multi:softprob's
 * class probabilities), except multi:softmax's class index (margin == 0): 1. */
int sw_forest_n_outputs(const sw_forest *f, int margin);
/* A row's group margins (float32, n_groups of them) -> its n_outputs values. */
void sw_forest_finish_groups(const sw_forest *f, const float *m, int margin, double *out);
/* Categorical splits: whether the forest has any, and node i of a tree's set
 * (bits of *words, *nbits of them; returns 0 for a numeric split). */
int sw_forest_has_categorical(const sw_forest *f);
int sw_forest_node_categories(const sw_forest *f, int tree, int node, const uint32_t **words, uint32_t *nbits);
/* True when predictions are float32 values (XGBoost kind). */
int sw_forest_output_is_f32(const sw_forest *f);
int sw_forest_tree_depth(const sw_forest *f, int tree);
int sw_forest_tree_nodes(const sw_forest *f, int tree); /* nodes (binary) or levels */

/* Number of trees for a --trees choice: SW_TREES_ALL, SW_TREES_BEST (all when
 * the model has no best iteration) or a count n > 0 (capped at the total). */
#define SW_TREES_ALL (-1)
#define SW_TREES_BEST (-2)
int sw_forest_tree_limit(const sw_forest *f, int choice);

/* Read-only views for writers and explainers. */
typedef struct {
    int n_nodes;
    const int32_t *left, *right, *feature; /* left < 0: leaf; children tree-local */
    const float *value;                    /* threshold, or leaf value at leaves */
    const uint8_t *default_left;
    const float *cover, *gain;             /* NULL unless every tree had them */
} sw_binary_tree_view;

typedef struct {
    int depth;
    const int32_t *feature;
    const float *border;
    const double *leaves;        /* 2^depth */
    const double *leaf_weights;  /* NULL unless every tree had them */
} sw_oblivious_tree_view;

void sw_forest_binary_tree(const sw_forest *f, int tree, sw_binary_tree_view *v);
void sw_forest_oblivious_tree(const sw_forest *f, int tree, sw_oblivious_tree_view *v);

/* An oblivious forest rewritten as complete binary trees with the same splits
 * (x > b becomes !(x < nextafter(b, +inf)), NaN rules become default
 * directions).  Leaves and bias are rounded to float32 and summed in float32,
 * so predictions are close to, not equal to, the original: for benchmarks
 * that run XGBoost on a CatBoost model's trees.  NULL on allocation failure. */
sw_forest *sw_forest_to_binary(const sw_forest *f);

/* Scalar reference scorer: the oracle every fast scorer is tested against.
 * X is row-major with `stride` floats per row, columns in the model's feature
 * order; n_trees from sw_forest_tree_limit; margin != 0 skips the link.
 * Output in double (a float32 value for the XGBoost kind), n_outputs values
 * per row (sw_forest_n_outputs; row-major).  sw_forest_predict_row_ref serves
 * one-output forests only.  Thread-safe. */
void sw_forest_predict_ref(const sw_forest *f, const float *X, long n_rows, long stride,
                           int n_trees, int margin, double *out);
double sw_forest_predict_row_ref(const sw_forest *f, const float *x, int n_trees, int margin);

#endif
