/* forest_impl: the layout of sw_forest, shared by the files of gbdt/ only.
 *
 * Binary trees: nodes of all trees concatenated, each tree's nodes renumbered in
 * breadth-first order from its root; child indices are tree-local.  Oblivious
 * trees: per-tree level arrays and leaf arrays concatenated. */
#ifndef SW_FOREST_IMPL_H
#define SW_FOREST_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "forest.h"

/* A binary node packed for scoring: children are adjacent after breadth-first
 * renumbering (right = left + 1); left < 0 marks a leaf, whose value is `value`.
 * The top bit of feat_dl is the default-left flag. */
typedef struct {
    float value;
    int32_t left;
    uint32_t feat_dl;
} sw__pnode;

#define SW__DL_BIT 0x80000000u

struct sw_forest {
    sw_tree_kind kind;
    int n_features;
    char **feature_names;
    sw_objective objective;
    double objective_param;
    float base_score, base_margin;
    double scale, bias;
    int best_iteration;
    int trees_per_iteration;
    char *source_format, *source_version;
    uint8_t *nan_mode; /* per feature */
    int n_trees;
    size_t cap_trees;
    int32_t *depth;      /* per tree */
    /* binary */
    int64_t *node_start; /* n_trees + 1 */
    size_t n_nodes, cap_nodes;
    int32_t *left, *right, *feat;
    float *value;
    uint8_t *default_left;
    float *cover, *gain; /* per node; valid only when has_stats */
    sw__pnode *packed;   /* per node, for scoring */
    int has_stats;       /* every tree so far came with cover and gain */
    /* oblivious */
    int64_t *split_start; /* n_trees + 1 */
    size_t n_splits, cap_splits;
    int32_t *split_feat;
    float *split_border;
    int64_t *leaf_start;  /* n_trees + 1 */
    size_t n_leaves, cap_leaves;
    double *leaf;
    double *leaf_weight; /* per leaf; valid only when has_leaf_weights */
    int has_leaf_weights;
};

#endif
