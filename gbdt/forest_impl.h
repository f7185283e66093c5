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
#define SW__CAT_BIT 0x40000000u /* a categorical split (binary trees) */
#define SW__FEAT_MASK 0x3fffffffu

/* XGBoost's largest category (categories are floats holding integers). */
#define SW__MAX_CAT 16777216.0f

/* A categorical split sends a value right when its category is in the node's
 * set (bits of w, nbits of them), left otherwise; a value that is no category
 * (negative, 2^24 or more) goes left; NaN takes the default child (tested by
 * the caller).  A fractional value counts as its integer part.  This is
 * XGBoost 1.7's Decision(). */
static inline int sw__cat_right(const uint32_t *w, uint32_t nbits, float v)
{
    if (!(v >= 0.0f) || v >= SW__MAX_CAT) return 0;
    uint32_t c = (uint32_t)v;
    return c < nbits && ((w[c >> 5] >> (c & 31)) & 1u);
}

struct sw_forest {
    sw_tree_kind kind;
    int n_features;
    char **feature_names;
    sw_objective objective;
    double objective_param;
    /* the objective's parameter section as read (survival:aft, rank:*): its
     * name and osec_n key/value strings, each in one allocation */
    char *osec, **osec_kv;
    int osec_n;
    float base_score, base_margin;
    /* one base score and margin per output group (XGBoost 3.1 writes one per
     * target); NULL: base_score and base_margin for every group */
    float *gbase_score, *gbase_margin;
    double scale, bias;
    int best_iteration;
    int unnamed; /* the file named no features: feature_names are f0, f1, ... */
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
    /* categorical splits: node i (global) tests the set cat_words[cat_off[i] ..]
     * of cat_nbits[i] bits when cat_off[i] >= 0; NULL until a tree has one */
    int64_t *cat_off;
    uint32_t *cat_nbits;
    uint32_t *cat_words;
    size_t n_cat_words, cap_cat_words;
    int n_cat_nodes;
    /* output groups (XGBoost's classes): tree t adds to group[t]; NULL when there is
     * one group.  gorder lists the trees group by group, in tree order within a group;
     * gstart[g] is group g's first entry. */
    int n_groups;
    int32_t *group, *gorder, *gstart;
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
