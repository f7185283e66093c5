/* grow_impl: the tree grower's state, shared by its files (gbdt/ only):
 * grow.c (the driver), node_hist.c (histograms), split.c (gains and the split
 * search), partition.c (rows to children, the margin update) and the policies
 * grow_depthwise.c, grow_lossguide.c and grow_oblivious.c. */
#ifndef SW_GROW_IMPL_H
#define SW_GROW_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "grow.h"

#define SW__ROW_BLOCK 4096 /* rows per partial histogram: fixed, independent of threads (enough
                            * blocks at the root for 16 threads); it also bounds each float32
                            * accumulation chain to 4096 rows */
#define SW__RT_EPS 1e-6

typedef struct {
    int parent, left, right, depth;
    long start, ns, nt;       /* row range; the first ns rows are sampled */
    double G, H, root_gain;
    double lower, upper;      /* monotone bounds on the weight */
    int hist;                 /* histogram buffer, -1 none */
    /* best split */
    int feat, bin, dl;
    double loss_chg, GL, HL;
    int has_split;
    int fused;                /* split at the last level without a partition: its rows stay
                               * in place and the margin update routes them (children empty) */
    int cat;                  /* a categorical split: the categories (bins) in cset go right */
    uint32_t cset[8];
} sw__gnode;

/* Whether a row with bin v goes left at a split (numeric: bin < s; categorical:
 * not in the set; missing: dl). */
static inline int sw__goes_left(int cat, const uint32_t *cset, int bin, int dl, uint8_t v)
{
    if (v == SW__MISSING_BIN) return dl;
    return cat ? !((cset[v >> 5] >> (v & 31)) & 1u) : v < bin;
}

struct sw__grower {
    const sw_train_params *p;
    const sw__binned *b;
    const sw__cuts *c;
    int nf, nthread, has_constraint;
    int part16;                   /* the AVX-512 partition kernel (same result) */
    int part8;                    /* else the AVX2 one (same result) */
    int fuse_last;                /* last level: no partition, the margin update splits */
    int scan_avx2;                /* the AVX2 split scan (same result) */
    long n;
    uint32_t *rows, *scratch;
    uint8_t *bins_col;            /* column-major copy of the bins: partitions read one column */
    uint8_t *packed;              /* this tree's features of the sampled rows, 32 bytes a row */
    int pack_isa;                 /* the CPU can pack rows (AVX2) */
    int pack;                     /* this tree's histograms read `packed` (at most 32 of 64 features) */
    int pack_gh;                  /* ... with the gradient pairs inside (at most 24 features) */
    /* features for this tree (colsample_bytree), histogram positions */
    int *tree_feats, ntf;
    int *level_pos, nlevel;       /* colsample_bylevel: positions into tree_feats */
    sw__gnode *nodes;
    int nn, cap_nodes;
    /* histogram pool */
    sw__gpair **hbuf;
    int nhbuf, cap_hbuf;
    int *hfree, nhfree;
    size_t hsize;                 /* gpairs per histogram = ntf * SW__HB */
    int *korder;                  /* tree feature positions, most bins in use first */
    int *hspan;                   /* per tree feature position: bins 0..hspan-1 and the
                                   * missing bin are in use (ncuts + 1 value bins); the
                                   * slots between hold stale values that no scan uses */
    /* partial histograms for multi-block nodes */
    sw__gpair *partial;
    size_t cap_partial;
    /* per (node, feature) split candidates */
    struct sw__cand {
        double loss_chg, GL, HL;
        int bin, dl, valid, cat;
        uint32_t cset[8];
    } *cands;
    size_t cap_cands;
    int round;
    const sw__gpair *gh;
};

/* Partial histograms of the nodes built by blocks, left to reduce: node
 * nodes[ids[j]]'s nb[j] blocks start at first[j], hsize apart. */
typedef struct {
    int n;
    int *ids;
    sw__gpair **first;
    long *nb;
} sw__partials;

/* Whether some cut can give both sides min_child_weight: not when the node's
 * hessian is below twice it (with a margin far above the rounding of
 * H - HL, so that skipping such a node never drops a candidate the scan
 * would keep). */
static inline int sw__splittable(const sw__grower *g, const sw__gnode *nd)
{
    return !(nd->H < 2.0 * g->p->min_child_weight * (1.0 - 1e-12));
}

/* grow.c: node creation (-1 when out of memory) and feature sampling */
int sw__new_node(sw__grower *g, int parent, int depth);
int sw__sample_subset(int *set, int m, double frac, uint64_t seed, uint64_t a, uint64_t b);
void sw__level_features(sw__grower *g, int depth);

/* node_hist.c: the buffer pool (sw__hist_put takes back buffer h, none when
 * h < 0), node histograms and the sibling subtraction */
void sw__hist_put(sw__grower *g, int h);
void sw__partials_free(sw__partials *pt);
void sw__reduce_feature(const sw__grower *g, const sw__partials *pt, int j, int f);
int sw__build_blocks(sw__grower *g, const int *ids, int cnt, sw__partials *pt);
int sw__build_hists(sw__grower *g, const int *ids, int cnt);
void sw__pass_to_siblings(sw__grower *g, const int *par, const int *sib, int cnt);
void sw__subtract_feature(const sw__grower *g, int built, int sib, int f);
void sw__smaller_children(const sw__grower *g, const int *children, int cnt, int *built, int *sib);
int sw__child_hists(sw__grower *g, const int *parents, int cnt, const int *children);

/* split.c */
double sw__node_gain(const sw__grower *g, double G, double H, double lo, double hi);
double sw__bounded_weight(const sw_train_params *p, double G, double H, double lo, double hi);
void sw__eval_feature(const sw__grower *g, const sw__gnode *nd, int k, struct sw__cand *out);
int sw__ensure_cands(sw__grower *g, size_t n);
void sw__node_features(const sw__grower *g, const sw_train_params *p, int node, int nl, int *tmp, uint8_t *u);
int sw__eval_splits(sw__grower *g, const int *ids, int cnt);
void sw__pick_splits(sw__grower *g, const int *ids, int cnt);
void sw__scan_level(const sw__gpair *h, const sw__gpair *next, int ncuts, double G_, double H_, double root_gain,
                    double lambda_, double alpha_, double mcw_, double *acc);
void sw__score_level(sw__grower *g, const int *nodes, int cnt, double *score);

/* partition.c */
int sw__split_nodes(sw__grower *g, const int *ids, int cnt, int *children, int fuse);

/* the policies (grow_depthwise.c, grow_lossguide.c, grow_oblivious.c), from
 * the root node with its rows and sums; each builds the root's histogram */
int sw__grow_depthwise(sw__grower *g, sw__grow_times *tm);
int sw__grow_lossguide(sw__grower *g, sw__grow_times *tm);
int sw__grow_oblivious(sw__grower *g, sw__tree_out *out, sw__grow_times *tm);

#endif
