/* grow: growing one tree from gradient histograms, XGBoost's `hist` way, for the
 * three policies: depthwise (level by level to max_depth), lossguide (best
 * leaf first to max_leaves) and oblivious (one split shared by a whole level,
 * chosen by the sum of the level's gains, as CatBoost does).
 *
 * Histograms: a node's histogram is built from its sampled rows in fixed
 * blocks of rows (partial histograms summed in block order, so the thread
 * count never changes a bit); of two siblings only the smaller is built, the
 * other is its parent minus it.  Split gain, weights, L1/L2, min_child_weight,
 * max_delta_step and monotone bounds follow XGBoost's param.h and
 * TreeEvaluator; a split is made when its loss change exceeds both 1e-6 and
 * gamma (min_split_loss).
 */
#include "grow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/simd.h"
#include "core/clock.h"

#define ROW_BLOCK 4096 /* rows per partial histogram: fixed, independent of threads (enough
                        * blocks at the root for 16 threads); it also bounds each float32
                        * accumulation chain to 4096 rows */
#define RT_EPS 1e-6

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
} gnode;

/* Whether a row with bin v goes left at a split (numeric: bin < s; categorical:
 * not in the set; missing: dl). */
static inline int goes_left(int cat, const uint32_t *cset, int bin, int dl, uint8_t v)
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
    gnode *nodes;
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
    struct cand {
        double loss_chg, GL, HL;
        int bin, dl, valid, cat;
        uint32_t cset[8];
    } *cands;
    size_t cap_cands;
    int round;
    const sw__gpair *gh;
};

/* ------------------------------------------------------ XGBoost's formulas */

static inline double threshold_l1(double g, double alpha)
{
    if (g > alpha) return g - alpha;
    if (g < -alpha) return g + alpha;
    return 0.0;
}

static double calc_weight(const sw_train_params *p, double G, double H)
{
    if (H < p->min_child_weight || H <= 0.0) return 0.0;
    double dw = -threshold_l1(G, p->alpha) / (H + p->lambda);
    if (p->max_delta_step != 0.0 && fabs(dw) > p->max_delta_step) dw = copysign(p->max_delta_step, dw);
    return dw;
}

static inline double gain_given_weight(const sw_train_params *p, double G, double H, double w)
{
    return -(2.0 * G * w + (H + p->lambda) * w * w);
}

/* Gain of a node with sums (G, H) whose weight is bounded by [lo, hi]. */
static double node_gain(const sw__grower *g, double G, double H, double lo, double hi)
{
    const sw_train_params *p = g->p;
    if (H <= 0.0) return 0.0;
    if (p->max_delta_step == 0.0 && !g->has_constraint) {
        double t = threshold_l1(G, p->alpha);
        return t * t / (H + p->lambda);
    }
    double w = calc_weight(p, G, H);
    if (w < lo) w = lo;
    if (w > hi) w = hi;
    return gain_given_weight(p, G, H, w);
}

static double bounded_weight(const sw_train_params *p, double G, double H, double lo, double hi)
{
    double w = calc_weight(p, G, H);
    if (w < lo) w = lo;
    if (w > hi) w = hi;
    return w;
}

/* XGBoost's TreeEvaluator::CalcSplitGain. */
static double split_gain(const sw__grower *g, const gnode *nd, int feat, double GL, double HL, double GR,
                         double HR)
{
    const sw_train_params *p = g->p;
    if (!g->has_constraint && p->max_delta_step == 0.0) {
        double tl = threshold_l1(GL, p->alpha), tr = threshold_l1(GR, p->alpha);
        double a = HL > 0.0 ? tl * tl / (HL + p->lambda) : 0.0;
        double b = HR > 0.0 ? tr * tr / (HR + p->lambda) : 0.0;
        return a + b;
    }
    double wl = bounded_weight(p, GL, HL, nd->lower, nd->upper);
    double wr = bounded_weight(p, GR, HR, nd->lower, nd->upper);
    double gain = (HL > 0.0 ? gain_given_weight(p, GL, HL, wl) : 0.0) +
                  (HR > 0.0 ? gain_given_weight(p, GR, HR, wr) : 0.0);
    int c = feat < p->n_monotone ? p->monotone[feat] : 0;
    if (c > 0 && wl > wr) return -INFINITY;
    if (c < 0 && wl < wr) return -INFINITY;
    return gain;
}

/* ---------------------------------------------------------------- setup */

sw__grower *sw__grower_create(const sw_train_params *p, const sw__binned *b, const sw__cuts *c,
                              sw_error *err)
{
    sw__grower *g = sw_calloc(1, sizeof *g);
    if (!g) goto oom;
    g->p = p;
    g->b = b;
    g->c = c;
    g->nf = b->nf;
    g->n = b->n;
    g->nthread = p->nthread > 0 ? p->nthread : 1;
    for (int f = 0; f < p->n_monotone; f++)
        if (p->monotone[f]) g->has_constraint = 1;
    /* the ISA resolved by sw_train (never AUTO here) */
    g->part16 = p->isa == SW_ISA_AVX512;
    g->part8 = !g->part16 && p->isa >= SW_ISA_AVX2;
    g->pack_isa = p->isa >= SW_ISA_AVX2;
    /* leaves refitted from their rows (L1, quantile) need the last partition */
    g->fuse_last = p->objective != SW_OBJ_ABSOLUTEERROR && p->objective != SW_OBJ_QUANTILE;
    g->scan_avx2 = p->isa >= SW_ISA_AVX2;
    g->rows = sw_alloc_array((size_t)g->n + 1, sizeof *g->rows);
    g->scratch = sw_alloc_array((size_t)g->n + 1, sizeof *g->scratch);
    g->bins_col = sw_alloc_array((size_t)g->n * (size_t)g->nf + 4, 1); /* +3: 4-byte gathers */
    if (!g->rows || !g->scratch || !g->bins_col) goto oom;
    for (long r = 0; r < g->n; r++)
        for (int f = 0; f < g->nf; f++)
            g->bins_col[(size_t)f * (size_t)g->n + (size_t)r] = b->bins[(size_t)r * (size_t)g->nf + (size_t)f];
    g->tree_feats = sw_alloc_array((size_t)g->nf + 1, sizeof *g->tree_feats);
    g->hspan = sw_alloc_array((size_t)g->nf + 1, sizeof *g->hspan);
    g->korder = sw_alloc_array((size_t)g->nf + 1, sizeof *g->korder);
    g->level_pos = sw_alloc_array((size_t)g->nf + 1, sizeof *g->level_pos);
    if (!g->rows || !g->scratch || !g->tree_feats || !g->hspan || !g->korder || !g->level_pos) goto oom;
    return g;
oom:
    sw__grower_free(g);
    sw_fail(err, SW_NOMEM, "out of memory setting up the tree grower");
    return NULL;
}

void sw__grower_free(sw__grower *g)
{
    if (!g) return;
    for (int i = 0; i < g->nhbuf; i++) sw_aligned_free(g->hbuf[i]);
    sw_free(g->hbuf);
    sw_free(g->hfree);
    sw_aligned_free(g->partial);
    sw_free(g->cands);
    sw_free(g->nodes);
    sw_free(g->rows);
    sw_free(g->scratch);
    sw_free(g->bins_col);
    sw_aligned_free(g->packed);
    sw_free(g->tree_feats);
    sw_free(g->hspan);
    sw_free(g->korder);
    sw_free(g->level_pos);
    sw_free(g);
}

void sw__tree_out_free(sw__tree_out *t)
{
    sw_free(t->left);
    sw_free(t->right);
    sw_free(t->feat);
    sw_free(t->thr);
    sw_free(t->value);
    sw_free(t->cover);
    sw_free(t->gain);
    sw_free(t->dl);
    sw_free(t->sbin);
    sw_free(t->cat);
    sw_free(t->cset);
    sw_free(t->oleaf);
    sw_free(t->oweight);
    sw_free(t->leaf_nodes);
    memset(t, 0, sizeof *t);
}

static int new_node(sw__grower *g, int parent, int depth)
{
    if (g->nn >= g->cap_nodes) {
        int nc = g->cap_nodes ? g->cap_nodes * 2 : 256;
        gnode *nn = sw_realloc_array(g->nodes, (size_t)nc, sizeof *nn);
        if (!nn) return -1;
        g->nodes = nn;
        g->cap_nodes = nc;
    }
    gnode *nd = &g->nodes[g->nn];
    memset(nd, 0, sizeof *nd);
    nd->parent = parent;
    nd->left = nd->right = -1;
    nd->depth = depth;
    nd->hist = -1;
    nd->lower = -INFINITY;
    nd->upper = INFINITY;
    nd->feat = -1;
    return g->nn++;
}

static int hist_get(sw__grower *g)
{
    if (g->nhfree) return g->hfree[--g->nhfree];
    if (g->nhbuf >= g->cap_hbuf) {
        int nc = g->cap_hbuf ? g->cap_hbuf * 2 : 32;
        sw__gpair **nb = sw_realloc_array(g->hbuf, (size_t)nc, sizeof *nb);
        int *nf = sw_realloc_array(g->hfree, (size_t)nc, sizeof *nf);
        if (nb) g->hbuf = nb;
        if (nf) g->hfree = nf;
        if (!nb || !nf) return -1;
        g->cap_hbuf = nc;
    }
    sw__gpair *h = sw_aligned_alloc(g->hsize * sizeof(sw__gpair));
    if (!h) return -1;
    g->hbuf[g->nhbuf] = h;
    return g->nhbuf++;
}

static void hist_put(sw__grower *g, int h)
{
    if (h >= 0) g->hfree[g->nhfree++] = h;
}

/* Choose k of the m values in `set` (in place, then sorted) deterministically. */
static int sample_subset(int *set, int m, double frac, uint64_t seed, uint64_t a, uint64_t b)
{
    if (frac >= 1.0 || m <= 1) return m;
    int k = (int)lround(frac * m);
    if (k < 1) k = 1;
    for (int i = 0; i < k; i++) {
        int j = i + (int)(sw__rand(seed, a, b, (uint64_t)i) % (uint64_t)(m - i));
        int t = set[i];
        set[i] = set[j];
        set[j] = t;
    }
    /* ascending order keeps evaluation order (and ties) independent of the draw */
    for (int i = 1; i < k; i++) {
        int v = set[i], j = i - 1;
        while (j >= 0 && set[j] > v) {
            set[j + 1] = set[j];
            j--;
        }
        set[j + 1] = v;
    }
    return k;
}

/* ----------------------------------------------------------- histograms */

/* Partial histograms of the nodes built by blocks, left to reduce: node
 * nodes[ids[j]]'s nb[j] blocks start at first[j], hsize apart. */
typedef struct {
    int n;
    int *ids;
    sw__gpair **first;
    long *nb;
} partials;

static void partials_free(partials *pt)
{
    sw_free(pt->ids);
    sw_free(pt->first);
    sw_free(pt->nb);
    memset(pt, 0, sizeof *pt);
}

/* Feature position f of partials j summed in block order into the node's histogram. */
static void reduce_feature(const sw__grower *g, const partials *pt, int j, int f)
{
    sw__gpair *dst = g->hbuf[g->nodes[pt->ids[j]].hist] + (size_t)f * SW__HB;
    const sw__gpair *src0 = pt->first[j] + (size_t)f * SW__HB;
    int nb = g->hspan[f];
    for (int bin = 0; bin < nb; bin++) dst[bin] = src0[bin];
    dst[SW__MISSING_BIN] = src0[SW__MISSING_BIN];
    for (long bk = 1; bk < pt->nb[j]; bk++) {
        const sw__gpair *src = pt->first[j] + (size_t)bk * g->hsize + (size_t)f * SW__HB;
        for (int bin = 0; bin < nb; bin++) {
            dst[bin].g += src[bin].g;
            dst[bin].h += src[bin].h;
        }
        dst[SW__MISSING_BIN].g += src[SW__MISSING_BIN].g;
        dst[SW__MISSING_BIN].h += src[SW__MISSING_BIN].h;
    }
}

struct item {
    long from, len;
    sw__gpair *dst;
};

/* longer first; ties by position, so the order is the same everywhere */
static int cmp_item_len(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->from < y->from ? -1 : x->from > y->from;
}

/* Build the histograms of nodes ids[0..cnt) by (node, block of ROW_BLOCK rows)
 * items; nodes of several blocks are left in partial histograms, listed in pt
 * for the caller to reduce. */
static int build_blocks(sw__grower *g, const int *ids, int cnt, partials *pt)
{
    memset(pt, 0, sizeof *pt);
    /* work items: (node, block) */
    int nitems = 0, nred = 0;
    size_t npartial = 0;
    for (int i = 0; i < cnt; i++) {
        long ns = g->nodes[ids[i]].ns;
        long nb = ns > 0 ? (ns + ROW_BLOCK - 1) / ROW_BLOCK : 1;
        nitems += (int)nb;
        if (nb > 1) {
            npartial += (size_t)nb;
            nred++;
        }
    }
    struct item *items = sw_alloc_array((size_t)nitems + 1, sizeof *items);
    pt->ids = sw_alloc_array((size_t)nred + 1, sizeof *pt->ids);
    pt->first = sw_alloc_array((size_t)nred + 1, sizeof *pt->first);
    pt->nb = sw_alloc_array((size_t)nred + 1, sizeof *pt->nb);
    if (!items || !pt->ids || !pt->first || !pt->nb) goto nomem;
    if (npartial * g->hsize > g->cap_partial) {
        sw_aligned_free(g->partial);
        g->partial = sw_aligned_alloc(npartial * g->hsize * sizeof(sw__gpair));
        g->cap_partial = g->partial ? npartial * g->hsize : 0;
        if (!g->partial) goto nomem;
    }
    int k = 0;
    size_t pused = 0;
    for (int i = 0; i < cnt; i++) {
        gnode *nd = &g->nodes[ids[i]];
        if (nd->hist < 0 && (nd->hist = hist_get(g)) < 0) goto nomem;
        long nb = nd->ns > 0 ? (nd->ns + ROW_BLOCK - 1) / ROW_BLOCK : 1;
        if (nb > 1) {
            pt->ids[pt->n] = ids[i];
            pt->first[pt->n] = g->partial + pused * g->hsize;
            pt->nb[pt->n++] = nb;
        }
        for (long bk = 0; bk < nb; bk++) {
            items[k].from = nd->start + bk * ROW_BLOCK;
            items[k].len = nd->ns - bk * ROW_BLOCK < ROW_BLOCK ? nd->ns - bk * ROW_BLOCK : ROW_BLOCK;
            if (items[k].len < 0) items[k].len = 0;
            items[k].dst = nb > 1 ? g->partial + (pused++) * g->hsize : g->hbuf[nd->hist];
            k++;
        }
    }
    /* largest first, so that the threads finish together (each item has its
     * own output: the order changes no sum) */
    if (g->nthread > 1) qsort(items, (size_t)nitems, sizeof *items, cmp_item_len);
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic) if (g->nthread > 1 && nitems > 1)
    for (int i = 0; i < nitems; i++) {
        for (int f = 0; f < g->ntf; f++) { /* the bins in use */
            sw__gpair *d = items[i].dst + (size_t)f * SW__HB;
            memset(d, 0, (size_t)g->hspan[f] * sizeof *d);
            d[SW__MISSING_BIN].g = d[SW__MISSING_BIN].h = 0.0f;
        }
        if (g->pack_gh)
            sw__hist_build_packed_gh(g->packed, g->rows + items[i].from, items[i].len, g->ntf, items[i].dst);
        else if (g->pack)
            sw__hist_build_packed(g->packed, 32, g->rows + items[i].from, items[i].len, g->gh, g->ntf, items[i].dst);
        else
            sw__hist_build(g->b, g->rows + items[i].from, items[i].len, g->gh, g->tree_feats, g->ntf, items[i].dst);
    }
    sw_free(items);
    return SW_OK;
nomem:
    sw_free(items);
    partials_free(pt);
    return SW_NOMEM;
}

/* Build the histograms of nodes ids[0..cnt), partials reduced per (node, feature). */
static int build_hists(sw__grower *g, const int *ids, int cnt)
{
    partials pt;
    SW_TRY(build_blocks(g, ids, cnt, &pt));
    int work = pt.n * g->ntf;
#pragma omp parallel for num_threads(g->nthread) schedule(static) if (g->nthread > 1 && work > 1)
    for (int wi = 0; wi < work; wi++) reduce_feature(g, &pt, wi / g->ntf, wi % g->ntf);
    partials_free(&pt);
    return SW_OK;
}

/* The parent's histogram becomes the sibling's (subtract_feature makes it
 * parent - built in place): two memory streams instead of three, and one
 * buffer fewer in use. */
static void pass_to_siblings(sw__grower *g, const int *par, const int *sib, int cnt)
{
    for (int i = 0; i < cnt; i++) {
        g->nodes[sib[i]].hist = g->nodes[par[i]].hist;
        g->nodes[par[i]].hist = -1;
    }
}

/* Feature position f of the sibling's histogram (the parent's) minus the built one's. */
static void subtract_feature(const sw__grower *g, int built, int sib, int f)
{
    const sw__gpair *hb = g->hbuf[g->nodes[built].hist] + (size_t)f * SW__HB;
    sw__gpair *hs = g->hbuf[g->nodes[sib].hist] + (size_t)f * SW__HB;
    int nb = g->hspan[f];
    for (int bin = 0; bin < nb; bin++) {
        hs[bin].g -= hb[bin].g;
        hs[bin].h -= hb[bin].h;
    }
    hs[SW__MISSING_BIN].g -= hb[SW__MISSING_BIN].g;
    hs[SW__MISSING_BIN].h -= hb[SW__MISSING_BIN].h;
}

/* sibling = parent - built, for each (parent, built, sibling) triple, in the
 * parent's buffer. */
static void subtract_hists(sw__grower *g, const int *par, const int *built, const int *sib, int cnt)
{
    pass_to_siblings(g, par, sib, cnt);
    int work = cnt * g->ntf;
#pragma omp parallel for num_threads(g->nthread) schedule(static) if (g->nthread > 1 && work > 8)
    for (int wi = 0; wi < work; wi++) {
        int i = wi / g->ntf;
        subtract_feature(g, built[i], sib[i], wi % g->ntf);
    }
}

/* --------------------------------------------------------- split search */

/* The candidate scan of eval_feature without monotone constraints or
 * max_delta_step, four cut points at a time.  The left sums GL, HL of cuts
 * i+1..i+4 come from bins i..i+3: an in-register prefix sum (two shifted
 * adds) plus the running total, so the serial chain is one add per four bins.
 * For each cut s (1..ncuts) and missing-value direction, gain =
 * (T(GL)^2 (HR+lambda) + T(GR)^2 (HL+lambda)) / ((HL+lambda)(HR+lambda))
 * (T = L1 soft threshold), candidates below min_child_weight excluded; the
 * first maximum in (s, direction) order wins: each lane keeps its first
 * maximum (comparing fractions by cross multiplication), then the lanes' gains
 * are compared.  GCC vector types with one clone per ISA: the same IEEE
 * operations in every clone (no contraction in ISO C), so the model never
 * depends on the CPU.  GLs/HLs receive the left sums (the chosen cut's are
 * read back). */
typedef double v4d __attribute__((vector_size(32)));
typedef long long v4l __attribute__((vector_size(32)));
typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));

/* T(g)^2 = (|g| - alpha)^2 when positive, else 0 (the sign drops out) */
#define SOFT_SQ(g, t)                                  \
    ((t) = (v4d)((v4l)(g) & absm) - alpha,             \
     (t) = (v4d)((v4l)(t) & ((t) > 0.0)), (t) * (t))

/* one direction's candidates for four lanes into one accumulator (bn/bd: the
 * lane's best gain as a fraction, bk: its key 2s + dir) */
#define SCAN_DIR(gl, hl, sv, dirbit, in, bn, bd, bk)                                           \
    do {                                                                                      \
        v4d gr_ = G - (gl), hr_ = H - (hl);                                                   \
        v4l ok_ = (in) & ~((hl) < mcw) & ~(hr_ < mcw);                                        \
        v4d a_ = (hl) + lambda, b_ = hr_ + lambda;                                            \
        v4d tl_, tr_;                                                                         \
        v4d num_ = SOFT_SQ((gl), tl_) * b_ + SOFT_SQ(gr_, tr_) * a_;                          \
        v4d den_ = a_ * b_;                                                                   \
        /* num / den > bn / bd  <=>  num bd > bn den  (den, bd > 0): no division per cut */   \
        v4l take_ = ok_ & (num_ * bd > bn * den_);                                            \
        bn = (v4d)(((v4l)num_ & take_) | ((v4l)bn & ~take_));                                 \
        bd = (v4d)(((v4l)den_ & take_) | ((v4l)bd & ~take_));                                 \
        bk = (((sv) + (sv) + (dirbit)) & take_) | (bk & ~take_);                              \
    } while (0)

/* Eight cuts per step, in two vectors; each (vector, direction) has its own
 * accumulator so that the compare-and-keep chains run side by side.  Every
 * lane still meets its cuts in ascending order, so keeping each lane's first
 * maximum and breaking ties between lanes by the smaller key finds the first
 * maximum overall. */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) static void
scan_cuts(const sw__gpair *h, int ncuts, double G_, double H_, double Gm, double Hm, int ndir, double lambda_,
          double alpha_, double mcw_, double *GLs, double *HLs, double *gains, long long *keys)
{
    const long long none = 0x7fffffffffffffffLL;
    const v4l absm = (v4l){0} + 0x7fffffffffffffffLL;
    const v4d G = (v4d){0} + G_, H = (v4d){0} + H_, lambda = (v4d){0} + lambda_, alpha = (v4d){0} + alpha_;
    const v4d mcw = (v4d){0} + mcw_, vGm = (v4d){0} + Gm, vHm = (v4d){0} + Hm, zero = {0};
    const v4d ninf = (v4d){0} - INFINITY, one = (v4d){0} + 1.0;
    const v4l vnone = (v4l){0} + none;
    v4d bn0 = ninf, bn1 = ninf, bn2 = ninf, bn3 = ninf, bd0 = one, bd1 = one, bd2 = one, bd3 = one;
    v4l bk0 = vnone, bk1 = vnone, bk2 = vnone, bk3 = vnone;
    v4l sva = {1, 2, 3, 4}, svb = {5, 6, 7, 8};
    v4d sda = {1, 2, 3, 4}, sdb = {5, 6, 7, 8};
    const v4d nc = (v4d){0} + (double)ncuts;
    v4d cg = zero, ch = zero; /* running totals, broadcast */
    for (int i = 0; i < ncuts; i += 8, sva += 8, svb += 8, sda += 8.0, sdb += 8.0) {
        /* g, h of bins i..i+7 (lanes past ncuts are masked off below) */
        v4f x0, x1, x2, x3;
        memcpy(&x0, h + i, sizeof x0);
        memcpy(&x1, h + i + 2, sizeof x1);
        memcpy(&x2, h + i + 4, sizeof x2);
        memcpy(&x3, h + i + 6, sizeof x3);
        v4d d0 = __builtin_convertvector(x0, v4d), d1 = __builtin_convertvector(x1, v4d);
        v4d d2 = __builtin_convertvector(x2, v4d), d3 = __builtin_convertvector(x3, v4d);
        v4d pga = __builtin_shufflevector(d0, d1, 0, 2, 4, 6), pha = __builtin_shufflevector(d0, d1, 1, 3, 5, 7);
        v4d pgb = __builtin_shufflevector(d2, d3, 0, 2, 4, 6), phb = __builtin_shufflevector(d2, d3, 1, 3, 5, 7);
        /* in-register inclusive prefix sums of each four, then of the eight */
        pga += __builtin_shufflevector(zero, pga, 0, 4, 5, 6);
        pha += __builtin_shufflevector(zero, pha, 0, 4, 5, 6);
        pgb += __builtin_shufflevector(zero, pgb, 0, 4, 5, 6);
        phb += __builtin_shufflevector(zero, phb, 0, 4, 5, 6);
        pga += __builtin_shufflevector(zero, pga, 0, 1, 4, 5);
        pha += __builtin_shufflevector(zero, pha, 0, 1, 4, 5);
        pgb += __builtin_shufflevector(zero, pgb, 0, 1, 4, 5);
        phb += __builtin_shufflevector(zero, phb, 0, 1, 4, 5);
        pgb += __builtin_shufflevector(pga, pga, 3, 3, 3, 3);
        phb += __builtin_shufflevector(pha, pha, 3, 3, 3, 3);
        v4d gla = cg + pga, hla = ch + pha, glb = cg + pgb, hlb = ch + phb;
        cg = __builtin_shufflevector(glb, glb, 3, 3, 3, 3);
        ch = __builtin_shufflevector(hlb, hlb, 3, 3, 3, 3);
        memcpy(GLs + i, &gla, sizeof gla);
        memcpy(HLs + i, &hla, sizeof hla);
        memcpy(GLs + i + 4, &glb, sizeof glb);
        memcpy(HLs + i + 4, &hlb, sizeof hlb);
        v4l ina = sda <= nc, inb = sdb <= nc;
        /* dir 0: missing goes right (XGBoost's forward pass), 1: left */
        SCAN_DIR(gla, hla, sva, 0, ina, bn0, bd0, bk0);
        SCAN_DIR(glb, hlb, svb, 0, inb, bn1, bd1, bk1);
        if (ndir > 1) {
            v4d gla1 = gla + vGm, hla1 = hla + vHm, glb1 = glb + vGm, hlb1 = hlb + vHm;
            SCAN_DIR(gla1, hla1, sva, 1, ina, bn2, bd2, bk2);
            SCAN_DIR(glb1, hlb1, svb, 1, inb, bn3, bd3, bk3);
        }
    }
    v4d g4[4] = {bn0 / bd0, bn1 / bd1, bn2 / bd2, bn3 / bd3};
    v4l k4[4] = {bk0, bk1, bk2, bk3};
    memcpy(gains, g4, sizeof g4);
    memcpy(keys, k4, sizeof k4);
}

/* The best of the scan's 16 lanes: the largest gain, the smallest key on ties. */
static double scan_best(const double *gains, const long long *keys, long long *best_key)
{
    const long long none = 0x7fffffffffffffffLL;
    double best = -INFINITY;
    long long key = none;
    for (int l = 0; l < 16; l++) {
        if (keys[l] == none) continue;
        if (gains[l] > best || (gains[l] == best && keys[l] < key)) {
            best = gains[l];
            key = keys[l];
        }
    }
    *best_key = key;
    return best;
}

/* Best split of node nd on categorical feature position k (XGBoost's
 * enable_categorical).  Bins are categories.  Fewer than max_cat_to_onehot
 * categories: each category against the rest.  Otherwise the present
 * categories sorted by -G/H (ties by category), every cut of that order,
 * the smaller side as the set going right (at most max_cat_threshold
 * categories).  Missing values try both sides. */
static void eval_categorical(const sw__grower *g, const gnode *nd, int k, struct cand *out)
{
    const sw_train_params *p = g->p;
    int f = g->tree_feats[k];
    int nb = g->c->ncuts[f] + 1;
    const sw__gpair *h = g->hbuf[nd->hist] + (size_t)k * SW__HB;
    double Gm = h[SW__MISSING_BIN].g, Hm = h[SW__MISSING_BIN].h;
    int ndir = (Hm > 0.0 || Gm != 0.0) ? 2 : 1;
    double mcw = p->min_child_weight;
    int ord[256], m = 0;
    double wt[256];
    for (int c = 0; c < nb; c++)
        if (h[c].h > 0.0 || h[c].g != 0.0) {
            ord[m++] = c;
            wt[c] = h[c].h > 0.0 ? -h[c].g / h[c].h : 0.0; /* unregularised, as later XGBoost sorts */
        }
    out->valid = 0;
    out->cat = 1;
    double best = -INFINITY;
    int bi = -1, bmp = 0, bset_prefix = 0;
    if (nb < p->max_cat_to_onehot) {
        /* one category c right, the rest left; missing left (dir 1) or right (dir 0) */
        for (int q = 0; q < m; q++) {
            int c = ord[q];
            for (int dir = 0; dir < ndir; dir++) {
                double gr = h[c].g + (dir ? 0.0 : Gm), hr = h[c].h + (dir ? 0.0 : Hm);
                double gl = nd->G - gr, hl = nd->H - hr;
                if (hl < mcw || hr < mcw) continue;
                double gain = split_gain(g, nd, f, gl, hl, gr, hr);
                if (gain > best) {
                    best = gain;
                    bi = q;
                    bmp = dir;
                }
            }
        }
        if (bi < 0) return;
        int c = ord[bi];
        memset(out->cset, 0, sizeof out->cset);
        out->cset[c >> 5] |= 1u << (c & 31);
        out->dl = bmp;
        out->GL = nd->G - h[c].g - (bmp ? 0.0 : Gm);
        out->HL = nd->H - h[c].h - (bmp ? 0.0 : Hm);
    } else {
        /* insertion sort by (weight, category): at most 255 categories */
        for (int i = 1; i < m; i++) {
            int v = ord[i], j = i - 1;
            while (j >= 0 && wt[ord[j]] > wt[v]) {
                ord[j + 1] = ord[j];
                j--;
            }
            ord[j + 1] = v;
        }
        double pg = 0, ph = 0;
        for (int i = 1; i < m; i++) {
            pg += h[ord[i - 1]].g;
            ph += h[ord[i - 1]].h;
            int set_prefix = i <= m - i; /* the smaller side is the set */
            if ((set_prefix ? i : m - i) > p->max_cat_threshold) continue;
            /* mp: missing with the prefix */
            for (int mp = 0; mp < ndir; mp++) {
                double ga = pg + (mp ? Gm : 0.0), ha = ph + (mp ? Hm : 0.0);
                double gb = nd->G - ga, hb = nd->H - ha;
                if (ha < mcw || hb < mcw) continue;
                double gain = split_gain(g, nd, f, ga, ha, gb, hb);
                if (gain > best) {
                    best = gain;
                    bi = i;
                    bmp = mp;
                    bset_prefix = set_prefix;
                }
            }
        }
        if (bi < 0) return;
        memset(out->cset, 0, sizeof out->cset);
        double ga = 0, ha = 0;
        for (int q = 0; q < bi; q++) {
            ga += h[ord[q]].g;
            ha += h[ord[q]].h;
        }
        if (bmp) {
            ga += Gm;
            ha += Hm;
        }
        for (int q = bset_prefix ? 0 : bi; q < (bset_prefix ? bi : m); q++) out->cset[ord[q] >> 5] |= 1u << (ord[q] & 31);
        /* left is the side that is not the set */
        out->dl = bset_prefix ? !bmp : bmp;
        out->GL = bset_prefix ? nd->G - ga : ga;
        out->HL = bset_prefix ? nd->H - ha : ha;
    }
    out->valid = 1;
    out->loss_chg = best - nd->root_gain;
    out->bin = 0;
}

/* Best split of node nd on tree feature position k.  Without monotone
 * constraints or max_delta_step the gain is XGBoost's
 * T(GL)^2/(HL+lambda) + T(GR)^2/(HR+lambda) (T = L1 soft threshold), computed
 * over one division; bins that add nothing repeat the previous split and are
 * skipped. */
static void eval_feature(const sw__grower *g, const gnode *nd, int k, struct cand *out)
{
    const sw_train_params *p = g->p;
    int f = g->tree_feats[k];
    if (f < p->n_categorical && p->categorical[f]) {
        eval_categorical(g, nd, k, out);
        return;
    }
    out->cat = 0;
    int ncuts = g->c->ncuts[f];
    const sw__gpair *h = g->hbuf[nd->hist] + (size_t)k * SW__HB;
    double Gm = h[SW__MISSING_BIN].g, Hm = h[SW__MISSING_BIN].h;
    int ndir = (Hm > 0.0 || Gm != 0.0) ? 2 : 1;
    int simple = !g->has_constraint && p->max_delta_step == 0.0;
    double lambda = p->lambda, alpha = p->alpha, mcw = p->min_child_weight;
    double best = -INFINITY, bGL = 0, bHL = 0;
    int bbin = 0, bdl = 0;
    double GL = 0, HL = 0;
    if (simple) {
        double GLs[SW__HB + 8], HLs[SW__HB + 8];
        long long key;
        double lg[16];
        long long lk[16];
        if (g->scan_avx2)
            sw__scan_cuts_avx2(h, ncuts, nd->G, nd->H, Gm, Hm, ndir, lambda, alpha, mcw, GLs, HLs, lg, lk);
        else
            scan_cuts(h, ncuts, nd->G, nd->H, Gm, Hm, ndir, lambda, alpha, mcw, GLs, HLs, lg, lk);
        best = scan_best(lg, lk, &key);
        if (best > -INFINITY) {
            bbin = (int)(key / 2);
            bdl = (int)(key % 2);
            bGL = bdl ? GLs[bbin - 1] + Gm : GLs[bbin - 1];
            bHL = bdl ? HLs[bbin - 1] + Hm : HLs[bbin - 1];
        }
    }
    for (int s = 1; s <= ncuts && !simple; s++) {
        GL += h[s - 1].g;
        HL += h[s - 1].h;
        if (h[s - 1].h == 0.0 && h[s - 1].g == 0.0 && s > 1) continue; /* same split as s-1 */
        for (int dir = 0; dir < ndir; dir++) {
            /* dir 0: missing goes right (XGBoost's forward pass), 1: left */
            double gl = dir ? GL + Gm : GL, hl = dir ? HL + Hm : HL;
            double gr = nd->G - gl, hr = nd->H - hl;
            if (hl < mcw || hr < mcw) continue;
            double gain = split_gain(g, nd, f, gl, hl, gr, hr);
            if (gain > best) {
                best = gain;
                bGL = gl;
                bHL = hl;
                bbin = s;
                bdl = dir;
            }
        }
    }
    out->valid = best > -INFINITY;
    out->loss_chg = best - nd->root_gain;
    out->GL = bGL;
    out->HL = bHL;
    out->bin = bbin;
    out->dl = bdl;
}

static int ensure_cands(sw__grower *g, size_t n)
{
    if (n <= g->cap_cands) return SW_OK;
    struct cand *c = sw_realloc_array(g->cands, n, sizeof *c);
    if (!c) return SW_NOMEM;
    g->cands = c;
    g->cap_cands = n;
    return SW_OK;
}

/* Whether some cut can give both sides min_child_weight: not when the node's
 * hessian is below twice it (with a margin far above the rounding of
 * H - HL, so that skipping such a node never drops a candidate the scan
 * would keep). */
static inline int splittable(const sw__grower *g, const gnode *nd)
{
    return !(nd->H < 2.0 * g->p->min_child_weight * (1.0 - 1e-12));
}

static void pick_splits(sw__grower *g, const int *ids, int cnt);

/* Node `node`'s feature subset (colsample_bynode) as a mask over the nl level
 * positions; tmp holds nl ints. */
static void node_features(const sw__grower *g, const sw_train_params *p, int node, int nl, int *tmp, uint8_t *u)
{
    if (p->colsample_bynode >= 1.0) {
        memset(u, 1, (size_t)nl);
        return;
    }
    memset(u, 0, (size_t)nl);
    for (int j = 0; j < nl; j++) tmp[j] = j;
    int kk = sample_subset(tmp, nl, p->colsample_bynode, p->seed, (uint64_t)g->round, 0x4E4F4445ULL + (uint64_t)node);
    for (int j = 0; j < kk; j++) u[tmp[j]] = 1;
}

/* Evaluate the best split of each node in ids (feature subsets by level/node). */
static int eval_splits(sw__grower *g, const int *ids, int cnt)
{
    const sw_train_params *p = g->p;
    int nl = g->nlevel;
    SW_TRY(ensure_cands(g, (size_t)cnt * (size_t)nl + 1));
    /* node feature subsets (colsample_bynode) as masks over level positions */
    uint8_t *use = sw_alloc_array((size_t)cnt * (size_t)nl + 1, 1);
    int *tmp = sw_alloc_array((size_t)nl + 1, sizeof *tmp);
    if (!use || !tmp) {
        sw_free(use);
        sw_free(tmp);
        return SW_NOMEM;
    }
    for (int i = 0; i < cnt; i++) node_features(g, p, ids[i], nl, tmp, use + (size_t)i * nl);
    sw_free(tmp);
    int work = cnt * nl;
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic, 4) if (g->nthread > 1 && work > 4)
    for (int wi = 0; wi < work; wi++) {
        int i = wi / nl, j = wi % nl;
        if (!use[wi] || !splittable(g, &g->nodes[ids[i]])) {
            g->cands[wi].valid = 0;
            continue;
        }
        eval_feature(g, &g->nodes[ids[i]], g->level_pos[j], &g->cands[wi]);
    }
    pick_splits(g, ids, cnt);
    sw_free(use);
    return SW_OK;
}

/* Each node's best candidate (the first of the largest gain, in level order). */
static void pick_splits(sw__grower *g, const int *ids, int cnt)
{
    const sw_train_params *p = g->p;
    int nl = g->nlevel;
    for (int i = 0; i < cnt; i++) {
        gnode *nd = &g->nodes[ids[i]];
        nd->has_split = 0;
        nd->loss_chg = -INFINITY;
        for (int j = 0; j < nl; j++) {
            const struct cand *c = &g->cands[(size_t)i * nl + j];
            if (!c->valid || !(c->loss_chg > nd->loss_chg)) continue;
            nd->loss_chg = c->loss_chg;
            nd->feat = g->tree_feats[g->level_pos[j]];
            nd->bin = c->bin;
            nd->dl = c->dl;
            nd->GL = c->GL;
            nd->HL = c->HL;
            nd->cat = c->cat;
            if (c->cat) memcpy(nd->cset, c->cset, sizeof nd->cset);
            nd->has_split = 1;
        }
        /* XGBoost's ExpandEntry::IsValid: a real gain, not below gamma, both sides non-empty */
        if (nd->has_split && (!(nd->loss_chg > RT_EPS) || nd->loss_chg < p->gamma || nd->HL <= 0.0 ||
                              nd->H - nd->HL <= 0.0))
            nd->has_split = 0;
    }
}

/* ------------------------------------------------------------ partition */

/* Stable split of a node's rows: [left sampled, left unsampled | right sampled,
 * right unsampled].  Missing values follow dl.  Returns the left counts. */
static void partition_node(sw__grower *g, gnode *nd, int feat, int bin, int dl, long *ls, long *lt)
{
    const uint8_t *col = g->bins_col + (size_t)feat * (size_t)g->n;
    uint32_t *r = g->rows + nd->start, *u = g->scratch + nd->start;
    /* lefts compact in place (never ahead of the read position), rights to u,
     * then u after the lefts; both segments (sampled, then unsampled) in turn */
    long nl = 0, nr = 0, lsamp = 0;
    int cat = nd->cat;
    for (int seg = 0; seg < 2; seg++) {
        long from = seg ? nd->ns : 0, to = seg ? nd->nt : nd->ns;
        if (g->part16 && !cat) from += sw__part_avx512(r + from, to - from, col, bin, dl, r, &nl, u, &nr, 0);
        else if (g->part8 && !cat) from += sw__part_avx2(r + from, to - from, col, bin, dl, r, &nl, u, &nr, 0);
        for (long i = from; i < to; i++) {
            /* branchless: the side is unpredictable, so write both and advance one */
            uint32_t row = r[i];
            uint8_t v = col[row];
            int left = goes_left(cat, nd->cset, bin, dl, v);
            r[nl] = row;
            u[nr] = row;
            nl += left;
            nr += !left;
        }
        if (!seg) lsamp = nl;
    }
    /* layout: [left sampled, left unsampled | right sampled, right unsampled] */
    memcpy(r + nl, u, (size_t)nr * sizeof *r);
    *ls = lsamp;
    *lt = nl;
}

#define PART_BLOCK 16384

/* One block of a node's rows r[from..to) split into t: lefts forward from
 * t[from], rights backward from t[to - 1] (stable once reversed back).
 * Returns the number of lefts. */
static long split_block(const sw__grower *g, const uint32_t *r, uint32_t *t, long from, long to, const uint8_t *col,
                        const gnode *nd)
{
    long t1 = to - 1, nl = 0, nr = 0, i0 = from;
    int bin = nd->bin, dl = nd->dl, cat = nd->cat;
    if (g->part16 && !cat) i0 += sw__part_avx512(r + i0, to - i0, col, bin, dl, t + from, &nl, t + t1, &nr, 1);
    else if (g->part8 && !cat) i0 += sw__part_avx2(r + i0, to - i0, col, bin, dl, t + from, &nl, t + t1, &nr, 1);
    for (long i = i0; i < to; i++) {
        /* branchless: both slots written, one advanced; they never cross */
        uint32_t row = r[i];
        uint8_t v = col[row];
        int left = goes_left(cat, nd->cset, bin, dl, v);
        t[from + nl] = row;
        t[t1 - nr] = row;
        nl += left;
        nr += !left;
    }
    return nl;
}

/* With several threads, every node of a level at once, by blocks in two
 * passes over one list of (node, block) items, so that the threads share the
 * level's rows evenly whatever the node sizes: each block (within a node's
 * sampled or unsampled segment) splits its rows into the scratch array; then,
 * placed by prefix sums per node, each copies its lefts and (reversed back) its
 * rights into the row array.  Stable like partition_node, so the result is
 * identical; the bins are read once. */
static int partition_level(sw__grower *g, const int *ids, int cnt, long *ls, long *lt)
{
    long nb = 0;
    for (int i = 0; i < cnt; i++) {
        const gnode *nd = &g->nodes[ids[i]];
        nb += (nd->ns + PART_BLOCK - 1) / PART_BLOCK + (nd->nt - nd->ns + PART_BLOCK - 1) / PART_BLOCK;
    }
    struct pblk {
        int node;
        long from, to, nleft, dl, dr;
    } *bl = sw_alloc_array((size_t)nb + 1, sizeof *bl);
    if (!bl) return SW_NOMEM;
    long k = 0;
    for (int i = 0; i < cnt; i++) {
        const gnode *nd = &g->nodes[ids[i]];
        for (int seg = 0; seg < 2; seg++) {
            long base = seg ? nd->ns : 0, end = seg ? nd->nt : nd->ns;
            for (long f = base; f < end; f += PART_BLOCK, k++) {
                bl[k].node = i;
                bl[k].from = f;
                bl[k].to = f + PART_BLOCK < end ? f + PART_BLOCK : end;
            }
        }
    }
#pragma omp parallel num_threads(g->nthread)
    {
#pragma omp for schedule(dynamic, 1)
        for (long b = 0; b < nb; b++) {
            const gnode *nd = &g->nodes[ids[bl[b].node]];
            const uint8_t *col = g->bins_col + (size_t)nd->feat * (size_t)g->n;
            bl[b].nleft = split_block(g, g->rows + nd->start, g->scratch + nd->start, bl[b].from, bl[b].to, col, nd);
        }
#pragma omp single
        {
            /* per node: [left sampled, left unsampled | right sampled, right unsampled] */
            long b = 0;
            for (int i = 0; i < cnt; i++) {
                const gnode *nd = &g->nodes[ids[i]];
                long b0 = b, pos = 0;
                ls[i] = 0;
                for (; b < nb && bl[b].node == i; b++) {
                    bl[b].dl = pos;
                    pos += bl[b].nleft;
                    if (bl[b].to <= nd->ns) ls[i] = pos;
                }
                lt[i] = pos;
                for (long c = b0; c < b; c++) {
                    bl[c].dr = pos;
                    pos += bl[c].to - bl[c].from - bl[c].nleft;
                }
            }
        }
#pragma omp for schedule(dynamic, 1)
        for (long b = 0; b < nb; b++) {
            const gnode *nd = &g->nodes[ids[bl[b].node]];
            uint32_t *r = g->rows + nd->start, *t = g->scratch + nd->start;
            long nl = bl[b].nleft, nr = bl[b].to - bl[b].from - nl;
            memcpy(r + bl[b].dl, t + bl[b].from, (size_t)nl * sizeof *r);
            uint32_t *d = r + bl[b].dr;
            const uint32_t *src = t + bl[b].to - 1;
            for (long q = 0; q < nr; q++) d[q] = src[-q];
        }
    }
    sw_free(bl);
    return SW_OK;
}

/* Split nodes ids[0..cnt) (each with has_split); create their children.  With
 * `fuse`, the rows are not partitioned: the nodes are marked fused and the
 * margin update sends each row to its side (the last level of a tree whose
 * leaves need no rows). */
static int split_nodes(sw__grower *g, const int *ids, int cnt, int *children, int fuse)
{
    const sw_train_params *p = g->p;
    long *ls = sw_alloc_array((size_t)cnt + 1, sizeof *ls), *lt = sw_alloc_array((size_t)cnt + 1, sizeof *lt);
    if (!ls || !lt) {
        sw_free(ls);
        sw_free(lt);
        return SW_NOMEM;
    }
    long total = 0, biggest = 0;
    for (int i = 0; i < cnt; i++) {
        total += g->nodes[ids[i]].nt;
        if (g->nodes[ids[i]].nt > biggest) biggest = g->nodes[ids[i]].nt;
    }
    if (fuse) {
        /* no partition */
    } else if (g->nthread > 1 && total >= 2 * PART_BLOCK && 4 * biggest * g->nthread > 5 * total) {
        if (partition_level(g, ids, cnt, ls, lt) != SW_OK) {
            sw_free(ls);
            sw_free(lt);
            return SW_NOMEM;
        }
    } else {
        /* nodes largest first, so that the threads finish together */
        int *ord = sw_alloc_array((size_t)cnt + 1, sizeof *ord);
        if (!ord) {
            sw_free(ls);
            sw_free(lt);
            return SW_NOMEM;
        }
        for (int i = 0; i < cnt; i++) ord[i] = i;
        for (int i = 1; i < cnt && g->nthread > 1; i++) { /* insertion sort: a level's nodes */
            int v = ord[i], j = i - 1;
            while (j >= 0 && g->nodes[ids[ord[j]]].nt < g->nodes[ids[v]].nt) {
                ord[j + 1] = ord[j];
                j--;
            }
            ord[j + 1] = v;
        }
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic) if (g->nthread > 1 && cnt > 1)
        for (int q = 0; q < cnt; q++) {
            int i = ord[q];
            gnode *nd = &g->nodes[ids[i]];
            partition_node(g, nd, nd->feat, nd->bin, nd->dl, &ls[i], &lt[i]);
        }
        sw_free(ord);
    }
    for (int i = 0; i < cnt; i++) {
        int id = ids[i];
        int l = new_node(g, id, g->nodes[id].depth + 1);
        int r = new_node(g, id, g->nodes[id].depth + 1);
        if (l < 0 || r < 0) {
            sw_free(ls);
            sw_free(lt);
            return SW_NOMEM;
        }
        gnode *nd = &g->nodes[id], *L = &g->nodes[l], *R = &g->nodes[r];
        nd->left = l;
        nd->right = r;
        if (fuse) { /* children hold no rows: both empty at the parent's start */
            nd->fused = 1;
            ls[i] = lt[i] = 0;
        }
        L->start = nd->start;
        L->ns = ls[i];
        L->nt = lt[i];
        R->start = nd->start + lt[i];
        R->ns = fuse ? 0 : nd->ns - ls[i];
        R->nt = fuse ? 0 : nd->nt - lt[i];
        L->G = nd->GL;
        L->H = nd->HL;
        R->G = nd->G - nd->GL;
        R->H = nd->H - nd->HL;
        L->lower = R->lower = nd->lower;
        L->upper = R->upper = nd->upper;
        int c = nd->feat < p->n_monotone ? p->monotone[nd->feat] : 0;
        if (c) {
            double wl = bounded_weight(p, L->G, L->H, nd->lower, nd->upper);
            double wr = bounded_weight(p, R->G, R->H, nd->lower, nd->upper);
            double mid = (wl + wr) / 2;
            if (c > 0) {
                L->upper = mid;
                R->lower = mid;
            } else {
                L->lower = mid;
                R->upper = mid;
            }
        }
        L->root_gain = node_gain(g, L->G, L->H, L->lower, L->upper);
        R->root_gain = node_gain(g, R->G, R->H, R->lower, R->upper);
        children[2 * i] = l;
        children[2 * i + 1] = r;
    }
    sw_free(ls);
    sw_free(lt);
    return SW_OK;
}

/* Of each pair of children, the one with fewer sampled rows is built, its
 * sibling subtracted from the parent. */
static void smaller_children(const sw__grower *g, const int *children, int cnt, int *built, int *sib)
{
    for (int i = 0; i < cnt; i++) {
        int l = children[2 * i], r = children[2 * i + 1];
        int small = g->nodes[l].ns <= g->nodes[r].ns ? l : r;
        built[i] = small;
        sib[i] = small == l ? r : l;
    }
}

/* Histograms of children (smaller built, other subtracted in the parent's buffer). */
static int child_hists(sw__grower *g, const int *parents, int cnt, const int *children)
{
    int *built = sw_alloc_array((size_t)cnt + 1, sizeof *built), *sib = sw_alloc_array((size_t)cnt + 1, sizeof *sib);
    if (!built || !sib) {
        sw_free(built);
        sw_free(sib);
        return SW_NOMEM;
    }
    smaller_children(g, children, cnt, built, sib);
    int rc = build_hists(g, built, cnt);
    if (rc == SW_OK) subtract_hists(g, parents, built, sib, cnt);
    for (int i = 0; i < cnt; i++) {
        hist_put(g, g->nodes[parents[i]].hist);
        g->nodes[parents[i]].hist = -1;
    }
    sw_free(built);
    sw_free(sib);
    return rc;
}

static void level_features(sw__grower *g, int depth)
{
    for (int k = 0; k < g->ntf; k++) g->level_pos[k] = k;
    g->nlevel = sample_subset(g->level_pos, g->ntf, g->p->colsample_bylevel, g->p->seed, (uint64_t)g->round,
                              0x4C564CULL + (uint64_t)depth);
}

/* --------------------------------------------------------- the policies */

/* Depthwise children in two parallel regions instead of four: the smaller
 * child of each pair built by blocks, then one pass over (pair, feature) items
 * that reduces the built child's partials, subtracts it from the parent's
 * histogram (the sibling's) and evaluates both children on that feature when
 * the level draws it.  The same sums and candidates as child_hists then
 * eval_splits (each feature's bins are independent), so the same trees; every
 * region costs a wake-up of the workers, which matters once they sleep instead
 * of spinning (DESIGN.md, Threads).  The level's features must be drawn first.
 * The build is timed as histograms, the pass as split search. */
static int child_hists_eval(sw__grower *g, const int *parents, int cnt, const int *children, sw__grow_times *tm)
{
    const sw_train_params *p = g->p;
    int nl = g->nlevel, nc = 2 * cnt, rc = SW_NOMEM;
    int *built = sw_alloc_array((size_t)cnt + 1, sizeof *built), *sib = sw_alloc_array((size_t)cnt + 1, sizeof *sib);
    int *pidx = sw_alloc_array((size_t)cnt + 1, sizeof *pidx), *inv = sw_alloc_array((size_t)g->ntf + 1, sizeof *inv);
    int *tmp = sw_alloc_array((size_t)nl + 1, sizeof *tmp);
    uint8_t *use = sw_alloc_array((size_t)nc * (size_t)nl + 1, 1);
    partials pt = {0};
    if (!built || !sib || !pidx || !inv || !tmp || !use || ensure_cands(g, (size_t)nc * (size_t)nl + 1)) goto out;
    smaller_children(g, children, cnt, built, sib);
    /* node feature subsets (colsample_bynode), as eval_splits draws them */
    for (int i = 0; i < nc; i++) node_features(g, p, children[i], nl, tmp, use + (size_t)i * nl);
    for (int k = 0; k < g->ntf; k++) inv[k] = -1;
    for (int j = 0; j < nl; j++) inv[g->level_pos[j]] = j;
    double t0 = sw_clock_now();
    if ((rc = build_blocks(g, built, cnt, &pt))) goto out;
    double t1 = sw_clock_now();
    tm->t_hist += t1 - t0;
    for (int i = 0, j = 0; i < cnt; i++) /* pt lists the built children of several blocks, in order */
        pidx[i] = j < pt.n && pt.ids[j] == built[i] ? j++ : -1;
    pass_to_siblings(g, parents, sib, cnt);
    int work = cnt * g->ntf;
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic, 2) if (g->nthread > 1 && work > 2)
    for (int wi = 0; wi < work; wi++) {
        int i = wi / g->ntf, k = g->korder[wi % g->ntf]; /* features by bins in use, most first */
        if (pidx[i] >= 0) reduce_feature(g, &pt, pidx[i], k);
        subtract_feature(g, built[i], sib[i], k);
        int j = inv[k];
        if (j < 0) continue;
        for (int c = 2 * i; c < 2 * i + 2; c++) {
            size_t ci = (size_t)c * nl + j;
            const gnode *nd = &g->nodes[children[c]];
            if (!use[ci] || !splittable(g, nd)) g->cands[ci].valid = 0;
            else eval_feature(g, nd, k, &g->cands[ci]);
        }
    }
    pick_splits(g, children, nc);
    tm->t_split += sw_clock_now() - t1;
    rc = SW_OK;
out:
    for (int i = 0; i < cnt; i++) {
        hist_put(g, g->nodes[parents[i]].hist);
        g->nodes[parents[i]].hist = -1;
    }
    partials_free(&pt);
    sw_free(built);
    sw_free(sib);
    sw_free(pidx);
    sw_free(inv);
    sw_free(tmp);
    sw_free(use);
    return rc;
}

static int grow_depthwise(sw__grower *g, sw__grow_times *tm)
{
    int max_depth = g->p->max_depth > 0 ? g->p->max_depth : 64;
    int cap = 1;
    int *level = sw_alloc_array(2, sizeof *level);
    if (!level) return SW_NOMEM;
    level[0] = 0;
    int cnt = 1, rc = SW_OK;
    double t0 = sw_clock_now();
    if ((rc = build_hists(g, level, 1))) goto out;
    double t1 = sw_clock_now();
    tm->t_hist += t1 - t0;
    level_features(g, 0);
    if ((rc = eval_splits(g, level, 1))) goto out;
    tm->t_split += sw_clock_now() - t1;
    for (int depth = 0; depth < max_depth && cnt > 0; depth++) {
        int ne = 0;
        for (int i = 0; i < cnt; i++)
            if (g->nodes[level[i]].has_split) level[ne++] = level[i];
            else {
                hist_put(g, g->nodes[level[i]].hist);
                g->nodes[level[i]].hist = -1;
            }
        if (!ne) break;
        if (2 * ne > cap) {
            cap = 2 * ne;
        }
        int *children = sw_alloc_array((size_t)2 * ne + 2, sizeof *children);
        if (!children) {
            rc = SW_NOMEM;
            goto out;
        }
        int last = depth + 1 >= max_depth;
        double a = sw_clock_now();
        if ((rc = split_nodes(g, level, ne, children, last && g->fuse_last))) {
            sw_free(children);
            goto out;
        }
        double b = sw_clock_now();
        tm->t_partition += b - a;
        if (!last) {
            level_features(g, depth + 1);
            if ((rc = child_hists_eval(g, level, ne, children, tm))) {
                sw_free(children);
                goto out;
            }
        } else {
            for (int i = 0; i < ne; i++) {
                hist_put(g, g->nodes[level[i]].hist);
                g->nodes[level[i]].hist = -1;
            }
        }
        sw_free(level);
        level = children;
        cnt = last ? 0 : 2 * ne;
    }
out:
    for (int i = 0; i < g->nn; i++) {
        hist_put(g, g->nodes[i].hist);
        g->nodes[i].hist = -1;
    }
    sw_free(level);
    return rc;
}

static int grow_lossguide(sw__grower *g, sw__grow_times *tm)
{
    const sw_train_params *p = g->p;
    int max_leaves = p->max_leaves > 0 ? p->max_leaves : 1 << 30;
    int max_depth = p->max_depth > 0 ? p->max_depth : 1 << 30;
    int rc = SW_OK;
    int root = 0;
    double t0 = sw_clock_now();
    if ((rc = build_hists(g, &root, 1))) return rc;
    double t1 = sw_clock_now();
    tm->t_hist += t1 - t0;
    level_features(g, 0);
    if ((rc = eval_splits(g, &root, 1))) return rc;
    tm->t_split += sw_clock_now() - t1;
    int leaves = 1;
    for (;;) {
        /* best open leaf: largest loss change, earliest node on ties */
        int best = -1;
        for (int i = 0; i < g->nn; i++) {
            gnode *nd = &g->nodes[i];
            if (nd->left >= 0 || !nd->has_split || nd->depth >= max_depth) continue;
            if (best < 0 || nd->loss_chg > g->nodes[best].loss_chg) best = i;
        }
        if (best < 0 || leaves >= max_leaves) break;
        int children[2];
        double a = sw_clock_now();
        if ((rc = split_nodes(g, &best, 1, children, 0))) break;
        double b = sw_clock_now();
        tm->t_partition += b - a;
        leaves++;
        int d = g->nodes[children[0]].depth;
        if (d < max_depth) {
            if ((rc = child_hists(g, &best, 1, children))) break;
            double c = sw_clock_now();
            tm->t_hist += c - b;
            level_features(g, d);
            if ((rc = eval_splits(g, children, 2))) break;
            tm->t_split += sw_clock_now() - c;
        }
    }
    for (int i = 0; i < g->nn; i++) {
        hist_put(g, g->nodes[i].hist);
        g->nodes[i].hist = -1;
    }
    return rc;
}

/* One node's part of an oblivious level's scores, four cuts at a time:
 * acc[s] += gain(s) - root_gain for cuts s = 1..ncuts whose sides both reach
 * min_child_weight, missing values on the left (bit 0).  gain is XGBoost's
 * T(GL)^2/(HL+lambda) + T(GR)^2/(HR+lambda) (T = L1 soft threshold; a side
 * without hessian adds 0, which needs a test only when min_child_weight is 0).
 * The left sums: an in-register prefix sum of four bins plus the running total
 * (from the missing bin's sums).  acc[ncuts + 1 .. ncuts + 3] receive
 * don't-care values.  Generic vectors with one clone per ISA, the same IEEE
 * operations in each. */
static inline __attribute__((always_inline)) void
scan_level_body(const sw__gpair *h, const sw__gpair *next, int ncuts, double G_, double H_, double root_gain,
                double lambda_, double alpha_, double mcw_, double *acc, int empty_side_test)
{
    if (next) __builtin_prefetch(next + SW__MISSING_BIN);
    const v4l absm = (v4l){0} + 0x7fffffffffffffffLL;
    const v4d G = (v4d){0} + G_, H = (v4d){0} + H_, lambda = (v4d){0} + lambda_, alpha = (v4d){0} + alpha_;
    const v4d mcw = (v4d){0} + mcw_, rg = (v4d){0} + root_gain, zero = {0};
    v4d cg = (v4d){0} + (double)h[SW__MISSING_BIN].g, ch = (v4d){0} + (double)h[SW__MISSING_BIN].h;
    for (int i = 0; i < ncuts; i += 4) {
        v4f x0, x1;
        if (next) __builtin_prefetch(next + i);
        memcpy(&x0, h + i, sizeof x0);
        memcpy(&x1, h + i + 2, sizeof x1);
        v4d d0 = __builtin_convertvector(x0, v4d), d1 = __builtin_convertvector(x1, v4d);
        v4d pg = __builtin_shufflevector(d0, d1, 0, 2, 4, 6), ph = __builtin_shufflevector(d0, d1, 1, 3, 5, 7);
        pg += __builtin_shufflevector(zero, pg, 0, 4, 5, 6);
        ph += __builtin_shufflevector(zero, ph, 0, 4, 5, 6);
        pg += __builtin_shufflevector(zero, pg, 0, 1, 4, 5);
        ph += __builtin_shufflevector(zero, ph, 0, 1, 4, 5);
        v4d gl = cg + pg, hl = ch + ph;
        cg = __builtin_shufflevector(gl, gl, 3, 3, 3, 3);
        ch = __builtin_shufflevector(hl, hl, 3, 3, 3, 3);
        v4d gr = G - gl, hr = H - hl, tl, tr;
        v4l ok = ~(hl < mcw) & ~(hr < mcw);
        v4d a = SOFT_SQ(gl, tl) / (hl + lambda), b = SOFT_SQ(gr, tr) / (hr + lambda);
        if (empty_side_test) {
            a = (v4d)((v4l)a & (hl > 0.0));
            b = (v4d)((v4l)b & (hr > 0.0));
        }
        v4d add = (v4d)((v4l)((a + b) - rg) & ok);
        v4d cur;
        memcpy(&cur, acc + i + 1, sizeof cur);
        cur += add;
        memcpy(acc + i + 1, &cur, sizeof cur);
    }
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) static void
scan_level(const sw__gpair *h, const sw__gpair *next, int ncuts, double G_, double H_, double root_gain,
           double lambda_, double alpha_, double mcw_, double *acc)
{
    /* with min_child_weight > 0 a side that passes has hessian */
    if (mcw_ > 0.0) scan_level_body(h, next, ncuts, G_, H_, root_gain, lambda_, alpha_, mcw_, acc, 0);
    else scan_level_body(h, next, ncuts, G_, H_, root_gain, lambda_, alpha_, mcw_, acc, 1);
}

/* score[k][s] = the sum over nodes[0..cnt) (in list order) of cut s's gain on
 * the level's tree feature positions k, missing values on bit 0. */
static void score_level(sw__grower *g, const int *nodes, int cnt, double *score)
{
    const sw_train_params *p = g->p;
    int simple = !g->has_constraint && p->max_delta_step == 0.0;
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic) if (g->nthread > 1)
    for (int j = 0; j < g->nlevel; j++) {
        int k = g->level_pos[j], f = g->tree_feats[k], ncuts = g->c->ncuts[f];
        double *sc = score + (size_t)k * SW__HB;
        for (int s = 0; s <= ncuts; s++) sc[s] = 0.0;
        if (simple) {
            double acc[SW__HB + 8];
            for (int s = 0; s < SW__HB + 8; s++) acc[s] = 0.0;
            for (int i = 0; i < cnt; i++) {
                const gnode *nd = &g->nodes[nodes[i]];
                if (!splittable(g, nd)) continue; /* would add 0 to every cut */
                const sw__gpair *nx = i + 1 < cnt ? g->hbuf[g->nodes[nodes[i + 1]].hist] + (size_t)k * SW__HB : NULL;
                scan_level(g->hbuf[nd->hist] + (size_t)k * SW__HB, nx, ncuts, nd->G, nd->H, nd->root_gain, p->lambda,
                           p->alpha, p->min_child_weight, acc);
            }
            for (int s = 1; s <= ncuts; s++) sc[s] = acc[s];
            continue;
        }
        for (int i = 0; i < cnt; i++) {
            const gnode *nd = &g->nodes[nodes[i]];
            const sw__gpair *h = g->hbuf[nd->hist] + (size_t)k * SW__HB;
            double GL = h[SW__MISSING_BIN].g, HL = h[SW__MISSING_BIN].h;
            for (int s = 1; s <= ncuts; s++) {
                GL += h[s - 1].g;
                HL += h[s - 1].h;
                double GR = nd->G - GL, HR = nd->H - HL;
                if (HL < p->min_child_weight || HR < p->min_child_weight) continue;
                sc[s] += split_gain(g, nd, f, GL, HL, GR, HR) - nd->root_gain;
            }
        }
    }
}

/* The children's histograms and the next level's scores (as score_level, the
 * children in pair order) in one parallel pass, without monotone constraints
 * or max_delta_step: the smaller child of each pair built by blocks, then per
 * feature position its partials reduced, its sibling subtracted and both
 * scanned while in cache.  One barrier fewer per step than build, reduce,
 * subtract and score apart, and the scan reads no cold histogram.  The
 * parents' histograms become the siblings'.  The build is timed as histograms, the pass as split
 * search (its scan outweighs the subtraction). */
static int obl_children(sw__grower *g, const int *parents, int cnt, const int *children, double *score,
                        sw__grow_times *tm)
{
    const sw_train_params *p = g->p;
    int *built = sw_alloc_array((size_t)cnt + 1, sizeof *built), *sib = sw_alloc_array((size_t)cnt + 1, sizeof *sib);
    int *bl = sw_alloc_array((size_t)cnt + 1, sizeof *bl), *sp = sw_alloc_array((size_t)cnt + 1, sizeof *sp);
    int *sb = sw_alloc_array((size_t)cnt + 1, sizeof *sb), *ss = sw_alloc_array((size_t)cnt + 1, sizeof *ss);
    uint8_t *use = sw_alloc_array((size_t)g->ntf + 1, 1);
    partials pt = {0};
    int rc = SW_NOMEM;
    if (!built || !sib || !bl || !sp || !sb || !ss || !use) goto out;
    smaller_children(g, children, cnt, built, sib);
    /* a child that cannot split adds nothing to any later score, nor do its
     * descendants (their hessians are no larger): it gets a histogram only to
     * give its sibling one.  bl: the children to build; (sp, sb, ss): the
     * (parent, built, sibling) triples to subtract */
    int nbl = 0, nsub = 0;
    for (int i = 0; i < cnt; i++) {
        if (g->nodes[parents[i]].hist < 0) continue; /* itself unsplittable */
        int nb = splittable(g, &g->nodes[built[i]]), ns = splittable(g, &g->nodes[sib[i]]);
        if (nb || ns) bl[nbl++] = built[i];
        if (ns) {
            sp[nsub] = parents[i];
            sb[nsub] = built[i];
            ss[nsub++] = sib[i];
        }
    }
    double t0 = sw_clock_now();
    if ((rc = build_blocks(g, bl, nbl, &pt))) goto out;
    double t1 = sw_clock_now();
    tm->t_hist += t1 - t0;
    pass_to_siblings(g, sp, ss, nsub);
    memset(use, 0, (size_t)g->ntf);
    for (int j = 0; j < g->nlevel; j++) use[g->level_pos[j]] = 1;
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic) if (g->nthread > 1)
    for (int q = 0; q < g->ntf; q++) {
        int k = g->korder[q];
        for (int j = 0; j < pt.n; j++) reduce_feature(g, &pt, j, k);
        for (int i = 0; i < nsub; i++) subtract_feature(g, sb[i], ss[i], k);
        if (!use[k]) continue;
        int ncuts = g->c->ncuts[g->tree_feats[k]];
        double acc[SW__HB + 8];
        for (int s = 0; s < SW__HB + 8; s++) acc[s] = 0.0;
        for (int i = 0; i < 2 * cnt; i++) {
            const gnode *nd = &g->nodes[children[i]];
            if (nd->hist < 0 || !splittable(g, nd)) continue; /* would add 0 to every cut */
            scan_level(g->hbuf[nd->hist] + (size_t)k * SW__HB, NULL, ncuts, nd->G, nd->H, nd->root_gain, p->lambda,
                       p->alpha, p->min_child_weight, acc);
        }
        double *sc = score + (size_t)k * SW__HB;
        sc[0] = 0.0;
        for (int s = 1; s <= ncuts; s++) sc[s] = acc[s];
    }
    tm->t_split += sw_clock_now() - t1;
    rc = SW_OK;
out:
    for (int i = 0; i < cnt; i++) {
        hist_put(g, g->nodes[parents[i]].hist);
        g->nodes[parents[i]].hist = -1;
    }
    partials_free(&pt);
    sw_free(built);
    sw_free(sib);
    sw_free(bl);
    sw_free(sp);
    sw_free(sb);
    sw_free(ss);
    sw_free(use);
    return rc;
}

/* Oblivious: nodes of a level are kept in leaf-index order: node p's children
 * are p (bit 0) and p | 1 << depth (bit 1). */
static int grow_oblivious(sw__grower *g, sw__tree_out *out, sw__grow_times *tm)
{
    const sw_train_params *p = g->p;
    int max_depth = p->max_depth > 0 ? p->max_depth : 6;
    if (max_depth > SW_MAX_OBLIVIOUS_DEPTH) max_depth = SW_MAX_OBLIVIOUS_DEPTH;
    int simple = !g->has_constraint && p->max_delta_step == 0.0;
    int *level = sw_alloc_array((size_t)1 << max_depth, sizeof *level);
    int *next = sw_alloc_array((size_t)1 << max_depth, sizeof *next);
    double *score = sw_alloc_array((size_t)g->ntf * SW__HB + 1, sizeof *score);
    int rc = SW_OK;
    if (!level || !next || !score) {
        rc = SW_NOMEM;
        goto out;
    }
    level[0] = 0;
    int cnt = 1;
    double t0 = sw_clock_now();
    if ((rc = build_hists(g, level, 1))) goto out;
    double t1 = sw_clock_now();
    tm->t_hist += t1 - t0;
    out->depth = 0;
    level_features(g, 0);
    score_level(g, level, 1, score);
    tm->t_split += sw_clock_now() - t1;
    for (int depth = 0; depth < max_depth; depth++) {
        /* score holds this level's cut scores (level_pos: its features) */
        double a = sw_clock_now();
        int bk = -1, bs = 0;
        double bestsc = -INFINITY;
        for (int j = 0; j < g->nlevel; j++) {
            int k = g->level_pos[j], f = g->tree_feats[k];
            for (int s = 1; s <= g->c->ncuts[f]; s++) {
                double v = score[(size_t)k * SW__HB + s];
                if (v > bestsc) {
                    bestsc = v;
                    bk = k;
                    bs = s;
                }
            }
        }
        tm->t_split += sw_clock_now() - a;
        if (bk < 0 || !(bestsc > RT_EPS) || bestsc < p->gamma) break;
        int f = g->tree_feats[bk];
        double b = sw_clock_now();
        /* split every node of the level the same way */
        for (int i = 0; i < cnt; i++) {
            gnode *nd = &g->nodes[level[i]];
            nd->feat = f;
            nd->bin = bs;
            nd->dl = 1;
            double GL = 0, HL = 0;
            if (nd->hist >= 0) {
                const sw__gpair *h = g->hbuf[nd->hist] + (size_t)bk * SW__HB;
                GL = h[SW__MISSING_BIN].g;
                HL = h[SW__MISSING_BIN].h;
                for (int s = 1; s <= bs; s++) {
                    GL += h[s - 1].g;
                    HL += h[s - 1].h;
                }
            } else { /* an unsplittable node without histogram: its few rows */
                const uint8_t *col = g->bins_col + (size_t)f * (size_t)g->n;
                for (long j = 0; j < nd->ns; j++) {
                    uint32_t r = g->rows[nd->start + j];
                    if (col[r] == SW__MISSING_BIN || col[r] < bs) {
                        GL += g->gh[r].g;
                        HL += g->gh[r].h;
                    }
                }
            }
            nd->GL = GL;
            nd->HL = HL;
        }
        int *children = sw_alloc_array((size_t)2 * cnt, sizeof *children);
        if (!children) {
            rc = SW_NOMEM;
            goto out;
        }
        if ((rc = split_nodes(g, level, cnt, children, depth + 1 >= max_depth && g->fuse_last))) {
            sw_free(children);
            goto out;
        }
        double c = sw_clock_now();
        tm->t_partition += c - b;
        out->ofeat[depth] = f;
        out->obin[depth] = bs;
        out->oborder[depth] = nextafterf(g->c->cuts[f][bs - 1], -INFINITY);
        out->depth = depth + 1;
        for (int i = 0; i < cnt; i++) {
            next[i] = children[2 * i];
            next[i + cnt] = children[2 * i + 1];
        }
        if (depth + 1 < max_depth) {
            level_features(g, depth + 1);
            if (simple) {
                if ((rc = obl_children(g, level, cnt, children, score, tm))) {
                    sw_free(children);
                    goto out;
                }
            } else {
                if ((rc = child_hists(g, level, cnt, children))) {
                    sw_free(children);
                    goto out;
                }
                double d = sw_clock_now();
                tm->t_hist += d - c;
                score_level(g, next, 2 * cnt, score);
                tm->t_split += sw_clock_now() - d;
            }
        } else {
            for (int i = 0; i < cnt; i++) {
                hist_put(g, g->nodes[level[i]].hist);
                g->nodes[level[i]].hist = -1;
            }
        }
        sw_free(children);
        cnt *= 2;
        int *t = level;
        level = next;
        next = t;
    }
    /* leaves in leaf-index order */
    size_t nleaf = (size_t)1 << out->depth;
    out->oleaf = sw_alloc_array(nleaf, sizeof *out->oleaf);
    out->oweight = sw_alloc_array(nleaf, sizeof *out->oweight);
    out->leaf_nodes = sw_alloc_array(nleaf, sizeof *out->leaf_nodes);
    if (!out->oleaf || !out->oweight || !out->leaf_nodes) {
        rc = SW_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nleaf; i++) {
        const gnode *nd = &g->nodes[level[i]];
        out->oleaf[i] = bounded_weight(p, nd->G, nd->H, -INFINITY, INFINITY) * p->eta;
        out->oweight[i] = nd->H;
        out->leaf_nodes[i] = level[i];
    }
out:
    for (int i = 0; i < g->nn; i++) {
        hist_put(g, g->nodes[i].hist);
        g->nodes[i].hist = -1;
    }
    sw_free(level);
    sw_free(next);
    sw_free(score);
    return rc;
}

/* ------------------------------------------------- adaptive leaves (L1) */

static int cmp_resid(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* XGBoost's quantile of a leaf's residuals (linear interpolation unweighted,
 * first value past the weighted cdf otherwise). */
static double leaf_quantile(double *rw, long n, double alpha, int weighted)
{
    qsort(rw, (size_t)n, 2 * sizeof(double), cmp_resid);
    if (!weighted) {
        if (n == 1) return rw[0];
        double x = alpha * (double)(n + 1);
        if (alpha <= 1.0 / (double)(n + 1)) return rw[0];
        if (alpha >= (double)n / (double)(n + 1)) return rw[2 * (n - 1)];
        long k = (long)floor(x) - 1;
        double d = (x - 1) - (double)k;
        return rw[2 * k] + d * (rw[2 * (k + 1)] - rw[2 * k]);
    }
    double total = 0;
    for (long i = 0; i < n; i++) total += rw[2 * i + 1];
    double acc = 0, thr = alpha * total;
    for (long i = 0; i < n; i++) {
        acc += rw[2 * i + 1];
        if (acc >= thr) return rw[2 * i];
    }
    return rw[2 * (n - 1)];
}

static int adaptive_value(sw__grower *g, const gnode *nd, const float *y, const float *w, const void *margin,
                          int mdouble, double alpha, double *value)
{
    if (nd->ns == 0) return 0;
    double *rw = sw_alloc_array((size_t)nd->ns * 2, sizeof *rw);
    if (!rw) return -1;
    for (long i = 0; i < nd->ns; i++) {
        uint32_t r = g->rows[nd->start + i];
        double m = mdouble ? ((const double *)margin)[r] : (double)((const float *)margin)[r];
        rw[2 * i] = (double)y[r] - m;
        rw[2 * i + 1] = w ? w[r] : 1.0;
    }
    *value = leaf_quantile(rw, nd->ns, alpha, w != NULL);
    sw_free(rw);
    return 1;
}

/* ----------------------------------------------------------- the driver */

int sw__grow(sw__grower *g, int round, const sw__gpair *gh, const uint8_t *sampled, const float *y,
             const float *w, const void *margin, int margin_is_double, sw__tree_out *out,
             sw__grow_times *tm, sw_error *err)
{
    const sw_train_params *p = g->p;
    memset(out, 0, sizeof *out);
    g->round = round;
    g->gh = gh;
    g->nn = 0;
    /* features of this tree */
    for (int f = 0; f < g->nf; f++) g->tree_feats[f] = f;
    g->ntf = sample_subset(g->tree_feats, g->nf, p->colsample_bytree, p->seed, (uint64_t)round, 0x545245ULL);
    /* a feature with no cut (constant or all missing) can never split: drawn
     * like the others, then left out of the histograms and the search */
    int kept = 0;
    for (int k = 0; k < g->ntf; k++)
        if (g->c->ncuts[g->tree_feats[k]] > 0) g->tree_feats[kept++] = g->tree_feats[k];
    g->ntf = kept;
    for (int k = 0; k < g->ntf; k++) g->hspan[k] = g->c->ncuts[g->tree_feats[k]] + 1;
    /* feature positions by bins in use, most first: per-feature passes take
     * them in this order so that the threads finish together */
    for (int k = 0; k < g->ntf; k++) {
        int v = k, j = k - 1;
        while (j >= 0 && g->hspan[g->korder[j]] < g->hspan[v]) {
            g->korder[j + 1] = g->korder[j];
            j--;
        }
        g->korder[j + 1] = v;
    }
    size_t hs = (size_t)g->ntf * SW__HB;
    if (hs != g->hsize) {
        for (int i = 0; i < g->nhbuf; i++) sw_aligned_free(g->hbuf[i]);
        g->nhbuf = 0;
        g->nhfree = 0;
        g->hsize = hs;
    }
    /* rows: sampled first, each part ascending; by chunks of rows in parallel
     * (counts, offsets, then the writes), each chunk also summing its sampled
     * gradients; the root's sums add the chunks' in order */
    long nck = (g->n + ROW_BLOCK - 1) / ROW_BLOCK;
    long *cnt_s = sw_alloc_array((size_t)nck + 1, sizeof *cnt_s);
    double *cgh = sw_alloc_array((size_t)nck * 2 + 2, sizeof *cgh);
    if (!cnt_s || !cgh) {
        sw_free(cnt_s);
        sw_free(cgh);
        return sw_fail(err, SW_NOMEM, "out of memory growing a tree");
    }
#pragma omp parallel for num_threads(g->nthread) schedule(static) if (g->nthread > 1 && nck > 1)
    for (long c = 0; c < nck; c++) {
        long from = c * ROW_BLOCK, to = from + ROW_BLOCK < g->n ? from + ROW_BLOCK : g->n, k = 0, r = from;
        /* four interleaved (g, h) sums, unsampled rows masked to +0.0 (no
         * branch to mispredict; a sum from +0.0 never becomes -0.0) */
        typedef double v2d __attribute__((vector_size(16)));
        typedef long long v2l __attribute__((vector_size(16)));
        v2d a0 = {0, 0}, a1 = {0, 0}, a2 = {0, 0}, a3 = {0, 0};
#define SUM_ROW(q, acc)                                                        \
    do {                                                                       \
        long long m_ = sampled[r + (q)] != 0;                                  \
        k += m_;                                                               \
        v2d x_ = {(double)gh[r + (q)].g, (double)gh[r + (q)].h};               \
        acc += (v2d)((v2l)x_ & -m_);                                           \
    } while (0)
        for (; r + 4 <= to; r += 4) {
            SUM_ROW(0, a0);
            SUM_ROW(1, a1);
            SUM_ROW(2, a2);
            SUM_ROW(3, a3);
        }
        for (; r < to; r++) SUM_ROW(0, a0);
#undef SUM_ROW
        v2d t = (a0 + a1) + (a2 + a3);
        cnt_s[c] = k;
        cgh[2 * c] = t[0];
        cgh[2 * c + 1] = t[1];
    }
    long ns = 0;
    double G = 0, H = 0;
    for (long c = 0; c < nck; c++) {
        long k = cnt_s[c];
        cnt_s[c] = ns;
        ns += k;
        G += cgh[2 * c];
        H += cgh[2 * c + 1];
    }
#pragma omp parallel for num_threads(g->nthread) schedule(static) if (g->nthread > 1 && nck > 1)
    for (long c = 0; c < nck; c++) {
        long from = c * ROW_BLOCK, to = from + ROW_BLOCK < g->n ? from + ROW_BLOCK : g->n;
        uint32_t ls_[ROW_BLOCK], lu_[ROW_BLOCK]; /* branchless into buffers of the chunk's own */
        long a = 0, b = 0;
        for (long r = from; r < to; r++) {
            int sm = sampled[r] != 0;
            ls_[a] = (uint32_t)r;
            lu_[b] = (uint32_t)r;
            a += sm;
            b += !sm;
        }
        /* the unsampled rows before this chunk: from - (sampled rows before it) */
        memcpy(g->rows + cnt_s[c], ls_, (size_t)a * sizeof *ls_);
        memcpy(g->rows + ns + (from - cnt_s[c]), lu_, (size_t)b * sizeof *lu_);
    }
    sw_free(cnt_s);
    sw_free(cgh);
    /* packed rows for the histograms when the tree leaves features out (the
     * same sums as reading the feature list) */
    g->pack = g->ntf > 0 && g->ntf < g->nf && g->ntf <= 32 && g->nf <= 64 && g->pack_isa;
    if (g->pack && !g->packed) {
        g->packed = sw_aligned_alloc((size_t)g->n * 32 + 64);
        if (!g->packed) g->pack = 0;
    }
    g->pack_gh = g->pack && g->ntf <= 24;
    if (g->pack) {
        double t0 = sw_clock_now();
        enum { PACK_CHUNK = 2048 }; /* small enough to balance the threads */
        long npk = (ns + PACK_CHUNK - 1) / PACK_CHUNK;
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic, 2) if (g->nthread > 1 && npk > 1)
        for (long c = 0; c < npk; c++)
            sw__pack_rows_avx2(g->b, g->tree_feats, g->ntf, g->rows + c * PACK_CHUNK,
                               c * PACK_CHUNK + PACK_CHUNK < ns ? PACK_CHUNK : ns - c * PACK_CHUNK,
                               g->pack_gh ? gh : NULL, g->packed);
        tm->t_hist += sw_clock_now() - t0;
    }
    int root = new_node(g, -1, 0);
    if (root < 0) return sw_fail(err, SW_NOMEM, "out of memory growing a tree");
    gnode *rt = &g->nodes[root];
    rt->start = 0;
    rt->ns = ns;
    /* oblivious trees partition only the sampled rows: the margin update
     * finds every row's leaf from its bins */
    rt->nt = p->grow_policy == SW_GROW_OBLIVIOUS ? ns : g->n;
    rt->G = G;
    rt->H = H;
    rt->root_gain = node_gain(g, G, H, rt->lower, rt->upper);
    int rc;
    if (p->grow_policy == SW_GROW_OBLIVIOUS) {
        rc = grow_oblivious(g, out, tm);
    } else if (p->grow_policy == SW_GROW_LOSSGUIDE) {
        rc = grow_lossguide(g, tm);
    } else {
        rc = grow_depthwise(g, tm);
    }
    if (rc) return sw_fail(err, rc, "out of memory growing tree %d", round);

    int adaptive = p->objective == SW_OBJ_ABSOLUTEERROR || p->objective == SW_OBJ_QUANTILE;
    double qa = p->objective == SW_OBJ_QUANTILE ? p->quantile_alpha : 0.5;
    if (p->grow_policy == SW_GROW_OBLIVIOUS) {
        size_t nleaf = (size_t)1 << out->depth;
        for (size_t i = 0; i < nleaf && adaptive; i++) {
            double v;
            int a = adaptive_value(g, &g->nodes[out->leaf_nodes[i]], y, w, margin, margin_is_double, qa, &v);
            if (a < 0) return sw_fail(err, SW_NOMEM, "out of memory");
            if (a) out->oleaf[i] = v * p->eta;
        }
        return SW_OK;
    }
    /* binary tree arrays in grower order */
    int n = g->nn;
    out->n_nodes = n;
    out->left = sw_alloc_array((size_t)n, sizeof(int32_t));
    out->right = sw_alloc_array((size_t)n, sizeof(int32_t));
    out->feat = sw_alloc_array((size_t)n, sizeof(int32_t));
    out->sbin = sw_alloc_array((size_t)n, sizeof(int32_t));
    out->thr = sw_alloc_array((size_t)n, sizeof(float));
    out->value = sw_alloc_array((size_t)n, sizeof(float));
    out->cover = sw_alloc_array((size_t)n, sizeof(float));
    out->gain = sw_alloc_array((size_t)n, sizeof(float));
    out->dl = sw_alloc_array((size_t)n, 1);
    int any_cat = 0;
    for (int i = 0; i < n; i++) any_cat |= g->nodes[i].left >= 0 && g->nodes[i].cat;
    if (any_cat) {
        out->cat = sw_calloc((size_t)n, 1);
        out->cset = sw_calloc((size_t)n * 8, sizeof *out->cset);
    }
    if (!out->left || !out->right || !out->feat || !out->sbin || !out->thr || !out->value || !out->cover ||
        !out->gain || !out->dl || (any_cat && (!out->cat || !out->cset))) {
        sw__tree_out_free(out);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    float eta = (float)p->eta;
    for (int i = 0; i < n; i++) {
        const gnode *nd = &g->nodes[i];
        out->left[i] = nd->left;
        out->right[i] = nd->right;
        out->cover[i] = (float)nd->H;
        float wt = (float)bounded_weight(p, nd->G, nd->H, nd->lower, nd->upper);
        if (nd->left >= 0) {
            out->feat[i] = nd->feat;
            out->sbin[i] = nd->bin;
            out->thr[i] = nd->cat ? 0.0f : g->c->cuts[nd->feat][nd->bin - 1];
            if (nd->cat) {
                out->cat[i] = 1;
                memcpy(out->cset + (size_t)i * 8, nd->cset, sizeof nd->cset);
            }
            out->dl[i] = (uint8_t)nd->dl;
            out->gain[i] = (float)nd->loss_chg;
            out->value[i] = wt * eta;
        } else {
            out->feat[i] = 0;
            out->sbin[i] = 0;
            out->thr[i] = 0;
            out->dl[i] = 0;
            out->gain[i] = 0;
            double v;
            int a = adaptive ? adaptive_value(g, nd, y, w, margin, margin_is_double, qa, &v) : 0;
            if (a < 0) {
                sw__tree_out_free(out);
                return sw_fail(err, SW_NOMEM, "out of memory");
            }
            out->value[i] = a ? (float)v * eta : wt * eta;
        }
    }
    return SW_OK;
}

/* margin[row] += v for the rows of one leaf, or for a fused node's rows the
 * value of the side each goes to (the partition test of partition_node) */
static void update_rows(const sw__grower *g, const gnode *nd, long from, long to, double vl, double vr,
                        void *margin, int mdouble)
{
    const uint32_t *rows = g->rows + nd->start;
    if (!nd->fused) {
        if (mdouble)
            for (long j = from; j < to; j++) ((double *)margin)[rows[j]] += vl;
        else
            for (long j = from; j < to; j++) ((float *)margin)[rows[j]] += (float)vl;
        return;
    }
    const uint8_t *col = g->bins_col + (size_t)nd->feat * (size_t)g->n;
    int bin = nd->bin, dl = nd->dl, cat = nd->cat;
    if (mdouble) {
        double v2[2] = {vr, vl};
        for (long j = from; j < to; j++) {
            uint32_t r = rows[j];
            ((double *)margin)[r] += v2[goes_left(cat, nd->cset, bin, dl, col[r])];
        }
    } else {
        float v2[2] = {(float)vr, (float)vl};
        for (long j = from; j < to; j++) {
            uint32_t r = rows[j];
            ((float *)margin)[r] += v2[goes_left(cat, nd->cset, bin, dl, col[r])];
        }
    }
}

/* first position in rows[from..to) (ascending) holding a row id >= r */
static long lower_row(const uint32_t *rows, long from, long to, uint32_t r)
{
    while (from < to) {
        long mid = from + (to - from) / 2;
        if (rows[mid] < r) from = mid + 1;
        else to = mid;
    }
    return from;
}

/* Oblivious: each row's leaf index from its bins (bit d set when the level-d
 * feature's bin is not missing and reaches the level's split bin, as the
 * partition sends it), by row ranges of one thread each. */
static int update_margin_oblivious(const sw__grower *g, const sw__tree_out *t, void *margin, int mdouble)
{
    enum { CHUNK = 512 };
    int nth = g->nthread, depth = t->depth;
    float *fleaf = sw_alloc_array((size_t)1 << depth, sizeof *fleaf);
    if (!fleaf) return SW_NOMEM;
    for (int i = 0; i < (1 << depth); i++) fleaf[i] = (float)t->oleaf[i];
#pragma omp parallel for num_threads(nth) schedule(static, 1) if (nth > 1)
    for (int th = 0; th < nth; th++) {
        long lo = g->n * th / nth, hi = g->n * (th + 1) / nth;
        uint16_t idx[CHUNK];
        for (long r0 = lo; r0 < hi; r0 += CHUNK) {
            int m = hi - r0 < CHUNK ? (int)(hi - r0) : CHUNK, j0 = 0;
            if (depth <= 8) { /* 16 rows at a time in byte lanes */
                typedef uint8_t v16u __attribute__((vector_size(16)));
                for (; j0 + 16 <= m; j0 += 16) {
                    v16u acc = {0};
                    for (int d = 0; d < depth; d++) {
                        v16u c;
                        memcpy(&c, g->bins_col + (size_t)t->ofeat[d] * (size_t)g->n + r0 + j0, sizeof c);
                        v16u right = (v16u)((c != (uint8_t)SW__MISSING_BIN) & (c >= (uint8_t)t->obin[d]));
                        acc |= right & (uint8_t)(1u << d);
                    }
                    for (int j = 0; j < 16; j++) idx[j0 + j] = acc[j];
                }
            }
            for (int j = j0; j < m; j++) idx[j] = 0;
            for (int d = 0; d < depth; d++) {
                const uint8_t *col = g->bins_col + (size_t)t->ofeat[d] * (size_t)g->n + r0;
                uint8_t ob = (uint8_t)t->obin[d];
                uint16_t bit = (uint16_t)(1u << d);
                for (int j = j0; j < m; j++) idx[j] |= (col[j] != SW__MISSING_BIN && col[j] >= ob) ? bit : 0;
            }
            if (mdouble)
                for (int j = 0; j < m; j++) ((double *)margin)[r0 + j] += t->oleaf[idx[j]];
            else
                for (int j = 0; j < m; j++) ((float *)margin)[r0 + j] += fleaf[idx[j]];
        }
    }
    sw_free(fleaf);
    return SW_OK;
}

int sw__grow_update_margin(const sw__grower *g, const sw__tree_out *t, void *margin, int mdouble)
{
    if (g->p->grow_policy == SW_GROW_OBLIVIOUS) return update_margin_oblivious(g, t, margin, mdouble);
    /* every row is in exactly one leaf (or one fused node).  Each thread takes
     * one range of row ids and, in every leaf's two ascending segments
     * (sampled, unsampled), the rows that fall in it: the margins a thread
     * writes are its own (the leaves' rows interleave in memory, so splitting
     * by leaf would share cache lines), and no row depends on the threads */
    double *val = sw_alloc_array((size_t)g->nn + 1, sizeof *val);
    int *ids = sw_alloc_array((size_t)g->nn + 1, sizeof *ids);
    if (!val || !ids) {
        sw_free(val);
        sw_free(ids);
        return SW_NOMEM;
    }
    for (int i = 0; i < t->n_nodes; i++) val[i] = (double)t->value[i];
    int cnt = 0;
    for (int i = 0; i < g->nn; i++) {
        const gnode *nd = &g->nodes[i];
        if (nd->fused || (nd->left < 0 && (nd->parent < 0 || !g->nodes[nd->parent].fused))) ids[cnt++] = i;
    }
    int nth = g->nthread;
#pragma omp parallel for num_threads(nth) schedule(static, 1) if (nth > 1)
    for (int th = 0; th < nth; th++) {
        uint32_t lo = (uint32_t)(g->n * th / nth), hi = (uint32_t)(g->n * (th + 1) / nth);
        for (int k = 0; k < cnt; k++) {
            const gnode *nd = &g->nodes[ids[k]];
            const uint32_t *rows = g->rows + nd->start;
            double vl = nd->fused ? val[nd->left] : val[ids[k]], vr = nd->fused ? val[nd->right] : 0.0;
            for (int seg = 0; seg < 2; seg++) {
                long s0 = seg ? nd->ns : 0, s1 = seg ? nd->nt : nd->ns;
                long a = nth > 1 ? lower_row(rows, s0, s1, lo) : s0, b = nth > 1 ? lower_row(rows, s0, s1, hi) : s1;
                update_rows(g, nd, a, b, vl, vr, margin, mdouble);
            }
        }
    }
    sw_free(ids);
    sw_free(val);
    return SW_OK;
}

int sw__tree_leaf_binned(const sw__tree_out *t, const uint8_t *row, int oblivious)
{
    if (oblivious) {
        int idx = 0;
        for (int d = 0; d < t->depth; d++) {
            uint8_t v = row[t->ofeat[d]];
            if (v != SW__MISSING_BIN && v >= t->obin[d]) idx |= 1 << d;
        }
        return idx;
    }
    int n = 0;
    while (t->left[n] >= 0) {
        uint8_t v = row[t->feat[n]];
        int cat = t->cat && t->cat[n];
        int left = goes_left(cat, cat ? t->cset + (size_t)n * 8 : NULL, t->sbin[n], t->dl[n], v);
        n = left ? t->left[n] : t->right[n];
    }
    return n;
}
