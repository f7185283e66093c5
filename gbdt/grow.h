/* grow: one tree from histograms (gbdt/ internal).
 *
 * The grower keeps a permutation of all training rows; each node owns a range
 * of it, sampled rows first, so that histograms see only sampled rows while
 * every row still ends in a leaf (the margin update needs no tree walk).
 * Oblivious trees keep only the sampled rows in their nodes: the margin update
 * computes every row's leaf index from its bins.
 * Partitions are stable and every histogram bin is summed in row order by one
 * thread, so the tree does not depend on the thread count. */
#ifndef SW_GROW_H
#define SW_GROW_H

#include "train_impl.h"

typedef struct sw__grower sw__grower;

typedef struct {
    double t_hist, t_split, t_partition;
} sw__grow_times;

/* A grown tree, in the forest's input form. */
typedef struct {
    int n_nodes;
    int32_t *left, *right, *feat;
    float *thr, *value, *cover, *gain;
    uint8_t *dl;
    int32_t *sbin;  /* split bin s: left when bin < s (missing: dl) */
    uint8_t *cat;   /* NULL, or per node: a categorical split whose categories  */
    uint32_t *cset; /* cset[8 i .. 8 i + 8) (bins) go right */
    /* oblivious */
    int depth;
    int32_t ofeat[SW_MAX_OBLIVIOUS_DEPTH];
    float oborder[SW_MAX_OBLIVIOUS_DEPTH];
    int32_t obin[SW_MAX_OBLIVIOUS_DEPTH]; /* bit set when bin >= s (missing: 0) */
    double *oleaf, *oweight; /* 2^depth */
    int *leaf_nodes;         /* oblivious: the grower node of each leaf (margin update) */
} sw__tree_out;

sw__grower *sw__grower_create(const sw_train_params *p, const sw__binned *b, const sw__cuts *c,
                              sw_error *err);
void sw__grower_free(sw__grower *g);

/* Grow one tree for `round` from gradients gh (zero for unsampled rows is not
 * required: `sampled` marks the rows to use).  y/w/margin are used only by the
 * adaptive leaves of L1-type objectives (absolute error, quantile). */
int sw__grow(sw__grower *g, int round, const sw__gpair *gh, const uint8_t *sampled,
             const float *y, const float *w, const void *margin, int margin_is_double,
             sw__tree_out *out, sw__grow_times *times, sw_error *err);

/* Add the tree's leaf values to the margins of every training row (the rows
 * of a last level grown without a partition go to their side here).  Returns
 * SW_NOMEM when out of memory. */
int sw__grow_update_margin(const sw__grower *g, const sw__tree_out *t, void *margin,
                           int margin_is_double);

void sw__tree_out_free(sw__tree_out *t);

/* Leaf reached by a binned row: binary (node index) or oblivious (leaf index). */
int sw__tree_leaf_binned(const sw__tree_out *t, const uint8_t *row, int oblivious);

#endif
