/* score: the scorer object: the binned layout built once per (forest, trees,
 * ISA), the OpenMP driver over blocks of 64 rows, and the single-row path.
 *
 * Variants: scalar is the reference walker (sw_forest_predict_ref, itself
 * blocked by rows); avx2 and avx512 are the binned mask kernels of
 * score_avx2.c / score_avx512.c.  A feature with more than 254 distinct
 * thresholds (XGBoost's default 256 bins on large data, `exact` models) is
 * split into chunks of 254 consecutive thresholds, each a byte-binned layout
 * feature of its own reading the same input column (score_impl.h), so the
 * byte kernels serve it exactly.  A forest the binned layout cannot hold (a
 * tree with more than 65535 nodes, more than 65535 layout
 * features) is scored by the scalar variant whatever the ISA asked for;
 * sw_scorer_isa reports it.
 */
#include "score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "score_impl.h"

struct sw_scorer {
    const sw_forest *forest;
    int n_trees;
    sw_isa isa;
    sw__layout L;
};

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static void layout_free(sw__layout *L)
{
    if (L->thr)
        for (int f = 0; f < L->nsrc; f++) sw_free(L->thr[f]); /* chunks point into their feature's array */
    sw_free(L->thr);
    sw_free(L->src);
    sw_free(L->wide_n);
    sw_free(L->wide_slot);
    sw_free(L->nthr);
    sw_free(L->used);
    sw_free(L->nan_bin);
    sw_aligned_free(L->lvl);
    sw_free(L->bt);
    sw_free(L->nodes);
    sw_free(L->vnodes);
    sw_free(L->cd);
    sw_aligned_free(L->crec);
    sw_aligned_free(L->cl);
    sw_aligned_free(L->clp);
    sw_free(L->cd8);
    sw_free(L->d8ix);
    sw_free(L->wix);
    sw_aligned_free(L->wt);
    sw_free(L->wrec);
    sw_free(L->wval);
    sw_free(L->poff);
    sw_free(L->pll);
    sw_free(L->pg);
    sw_aligned_free(L->d8);
    sw_aligned_free(L->cl8);
    sw_free(L->cd10);
    sw_free(L->d10ix);
    sw_aligned_free(L->d10);
    sw_aligned_free(L->cl10);
    sw_free(L->leaves);
    sw_free(L->ot);
    sw_free(L->of);
    sw_free(L->ok);
    sw_free(L->oleaves);
    sw_aligned_free(L->of8);
    sw_aligned_free(L->ok8);
    sw_aligned_free(L->r2);
    sw_free(L->cw);
    sw_free(L->cbits);
    sw_free(L->cused);
    sw_free(L->node_slot);
    sw_free(L->tmap);
    sw_free(L->gstart);
    memset(L, 0, sizeof *L);
}

/* Index of v in the sorted distinct thresholds t[0..n). */
static int thr_index(const float *t, int n, float v)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (t[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The layout feature and bin index of a split of source feature fe at value
 * v: a wide feature's threshold i lives in chunk i / 254 (chunk 0 in the
 * feature's own slot, chunk c >= 1 in wide_slot[fe] + c - 1) as index i % 254. */
static void split_at(const sw__layout *L, int fe, float v, int *lf, int *k)
{
    if (L->wide_n && L->wide_n[fe] > SW__CHUNK) {
        int i = thr_index(L->thr[fe], L->wide_n[fe], v), c = i / SW__CHUNK;
        *lf = c ? L->wide_slot[fe] + c - 1 : fe;
        *k = i % SW__CHUNK;
    } else {
        *lf = fe;
        *k = thr_index(L->thr[fe], L->nthr[fe], v);
    }
}

/* The layout feature and bin index of forest node gi's split: a categorical
 * split tests its set's layout feature (left when bin <= 0). */
static void node_split(const sw__layout *L, const sw_forest *f, int64_t gi, int *lf, int *k)
{
    if (f->cat_off && f->cat_off[gi] >= 0) {
        *lf = L->node_slot[gi];
        *k = 0;
        return;
    }
    split_at(L, f->feat[gi], f->value[gi], lf, k);
}

/* A complete node's threshold for the AVX2 kernels, which tell left by one
 * signed compare, kb > bin, with the bins' bias of 0x80 (the compare's
 * register operand is kb, so the bins can be its memory operand): kb = (ck +
 * 1) ^ 0x80.  A real node's ck is at most 254 (k <= 253: a byte-binned
 * feature or chunk has at most SW__CHUNK thresholds); padding's 255 wraps to
 * "always right", which is as good as left, since padding repeats one leaf
 * below it. */
static uint8_t avx2_kb(uint8_t ck) { return (uint8_t)((ck + 1) ^ 0x80); }

/* Pad the subtree of original node i (tree-local; a leaf repeats itself as
 * padding) into slot p of the complete tree of depth D, d levels down. */
static void complete_fill(const sw_forest *f, int64_t s, int i, int p, int d, int D, const sw__layout *L,
                          uint16_t *cb, uint8_t *ck, uint8_t *ci, float *cl)
/* ci: the single-row byte of each node, in the same breadth-first order */
{
    if (d == D) { /* leaf slot: the original is a leaf here (depth <= D) */
        cl[p - ((1 << D) - 1)] = f->value[s + i];
        return;
    }
    if (f->left[s + i] < 0) { /* a leaf above depth D: padding that goes left */
        cb[p] = 0;
        ck[p] = 255;
        ci[p] = 0;
        complete_fill(f, s, i, 2 * p + 1, d + 1, D, L, cb, ck, ci, cl);
        complete_fill(f, s, i, 2 * p + 2, d + 1, D, L, cb, ck, ci, cl);
        return;
    }
    int fe, k, dl = f->default_left[s + i];
    node_split(L, f, s + i, &fe, &k);
    SW_ASSERT(p < (1 << D) - 1 && k + dl <= 254 && (size_t)((dl ? L->nf : 0) + fe) * SW__BLOCK < 65536,
              "a complete node's slot, byte threshold and 16-bit bin offset fit its record");
    cb[p] = (uint16_t)(((dl ? L->nf : 0) + fe) * SW__BLOCK);
    ck[p] = (uint8_t)(k + dl);
    ci[p] = (uint8_t)((fe + (dl ? L->roff : 0)) & 0xff);
    complete_fill(f, s, f->left[s + i], 2 * p + 1, d + 1, D, L, cb, ck, ci, cl);
    complete_fill(f, s, f->right[s + i], 2 * p + 2, d + 1, D, L, cb, ck, ci, cl);
}

/* The top six levels of a walked tree (sw__wtree): the complete record and,
 * at depth 6, the id of the node reached (a leaf above repeats its id). */
static void walk_top(const sw_forest *f, int64_t s, int i, int p, int d, const sw__layout *L, sw__wtree *w,
                     const int32_t *id)
{
    if (d == 6) {
        w->id6[p - 63] = (uint32_t)id[i];
        return;
    }
    int leaf = f->left[s + i] < 0;
    if (leaf) {
        w->cb[p] = 0;
        w->ck[p] = 255;
    } else {
        int fe, k, dl = f->default_left[s + i];
        node_split(L, f, s + i, &fe, &k);
        SW_ASSERT(k + dl <= 254, "a walked tree's top node has a byte threshold below padding's");
        w->cb[p] = (uint16_t)(((dl ? L->nf : 0) + fe) * SW__BLOCK);
        w->ck[p] = (uint8_t)(k + dl);
    }
    walk_top(f, s, leaf ? i : f->left[s + i], 2 * p + 1, d + 1, L, w, id);
    walk_top(f, s, leaf ? i : f->right[s + i], 2 * p + 2, d + 1, L, w, id);
}

/* Tree nodes nd (ni internal, breadth-first) as a program (sw__prog) at out
 * + *n: first the nodes whose children are both leaves (they depend on no
 * other node, and the kernels take their values from registers), then the
 * others in reverse breadth-first order, so that a level's nodes, which
 * depend only on those below, are independent of each other.  The node of
 * rank r writes slot ni - 1 - r (the root, last, slot 0).  Returns the
 * number of the first kind. */
static int prog_emit(const sw__vnode *nd, int ni, sw__prog *out, uint32_t *n)
{
    int order[256], slot[256], r = 0, nll = 0;
    SW_ASSERT(ni <= 255, "a program's tree has at most 256 leaves");
    for (int pass = 0; pass < 2; pass++)
        for (int i = ni - 1; i >= 0; i--)
            if ((nd[i].l >= ni && nd[i].r >= ni) == !pass) order[r++] = i;
    for (r = 0; r < ni; r++) {
        slot[order[r]] = ni - 1 - r;
        nll += nd[order[r]].l >= ni && nd[order[r]].r >= ni;
    }
#define OPERAND(c) (uint64_t)(((c) < ni ? SW__PSPLAT + slot[c] : (c) - ni) * 64) /* a leaf: its index's splat */
    for (r = 0; r < ni; r++) {
        int i = order[r];
        SW_ASSERT(nd[i].kk <= 254 && nd[i].boff < (1u << 24) && (SW__PSPLAT + ni) * 64 <= 65536,
                  "a program node's byte threshold and offsets");
        out[(*n)++] = nd[i].boff | (uint64_t)nd[i].kk << 24 | OPERAND(nd[i].l) << 32 | OPERAND(nd[i].r) << 48;
    }
#undef OPERAND
    return nll;
}

static int programmed(const sw__layout *L, int t)
{
    return L->cd[t] < 0 && !L->cd8[t] && !L->cd10[t] && !(L->wix && L->wix[t] >= 0) && L->bt[t].n_leaf <= 256;
}

/* Programs for the trees of at most 256 leaves that neither a complete record
 * nor a walk takes; 0 when out of memory. */
static int prog_trees(int n_trees, sw__layout *L)
{
    size_t total = 0;
    L->poff = sw_calloc((size_t)n_trees + 1, sizeof *L->poff);
    L->pll = sw_calloc((size_t)n_trees + 1, sizeof *L->pll);
    if (!L->poff || !L->pll) return 0;
    for (int t = 0; t < n_trees; t++)
        if (programmed(L, t)) total += L->bt[t].n_int;
    if (!total) return 1;
    SW_ASSERT(total <= UINT32_MAX, "32-bit program offsets");
    L->pg = sw_alloc_array(total, sizeof *L->pg);
    if (!L->pg) return 0;
    uint32_t n = 0;
    for (int t = 0; t < n_trees; t++) {
        const sw__stree *st = &L->bt[t];
        if (programmed(L, t)) {
            L->pll[t] = (uint16_t)prog_emit(L->vnodes + st->node_off, st->n_int, L->pg, &n);
            if (st->n_int > L->pslots) L->pslots = st->n_int;
        }
        L->poff[t + 1] = n;
    }
    return 1;
}

/* A thread's program buffer (sw__prog), its splats set; NULL when out of
 * memory.  For layouts with programs (pslots > 0). */
static uint8_t *pbuf_new(const sw__layout *L)
{
    uint8_t *b = sw_aligned_alloc((size_t)(SW__PSPLAT + L->pslots) * 64);
    if (b)
        for (int j = 0; j < SW__PSPLAT; j++) memset(b + 64 * j, j, 64);
    return b;
}

/* Walk records (sw__wtree) for the trees no complete record takes when the
 * walk costs less than going node by node: about 0.5 + 1.9 (D - 6) ns per
 * row against 0.02 ns per node (measured on XGBoost depthwise depth-10 and
 * lossguide trees, node masks; programs cost the same), so for bushy deep
 * trees only; 0 when out of memory. */
static int walk_trees(const sw_forest *f, int n_trees, sw__layout *L)
{
    if (2 * L->nf > 512) return 1;
    size_t nw = 0, nodes = 0;
    L->wix = sw_alloc_array((size_t)n_trees + 1, sizeof *L->wix);
    if (!L->wix) return 0;
    for (int t = 0; t < n_trees; t++) {
        int ft = L->tmap[t];
        int64_t nn = f->node_start[ft + 1] - f->node_start[ft];
        L->wix[t] = -1;
        if (L->cd[t] >= 0 || L->cd8[t] || L->cd10[t] || nn > 32767 || nn <= 32 + 96 * (int64_t)(f->depth[ft] - 6))
            continue;
        L->wix[t] = (int32_t)nw++;
        nodes += (size_t)nn;
    }
    if (!nw) return 1;
    L->wt = sw_aligned_alloc(nw * sizeof *L->wt);
    L->wrec = sw_alloc_array(nodes + 1, sizeof *L->wrec);
    L->wval = sw_alloc_array(nodes + 1, sizeof *L->wval);
    int32_t *id = sw_alloc_array(32768 * 2, sizeof *id), *order = id + 32768;
    if (!L->wt || !L->wrec || !L->wval || !id) {
        sw_free(id);
        return 0;
    }
    size_t off = 0;
    for (int t = 0; t < n_trees; t++) {
        if (L->wix[t] < 0) continue;
        int ft = L->tmap[t];
        int64_t s = f->node_start[ft];
        int nn = (int)(f->node_start[ft + 1] - s);
        /* breadth-first ids, each node's children given consecutive ids */
        int next = 1, head = 0;
        id[0] = 0;
        order[0] = 0;
        while (head < next) {
            int i = order[head++];
            if (f->left[s + i] < 0) continue;
            id[f->left[s + i]] = next;
            order[next++] = f->left[s + i];
            id[f->right[s + i]] = next;
            order[next++] = f->right[s + i];
        }
        SW_ASSERT(next == nn, "every node of a tree reached once");
        for (int i = 0; i < nn; i++) {
            uint32_t *r = &L->wrec[off + (size_t)id[i]];
            if (f->left[s + i] < 0) {
                *r = (uint32_t)id[i] << 17 | 255u << 9;
                L->wval[off + (size_t)id[i]] = f->value[s + i];
            } else {
                int fe, k, dl = f->default_left[s + i];
                node_split(L, f, s + i, &fe, &k);
                int slot = (dl ? L->nf : 0) + fe;
                SW_ASSERT(slot < 512 && k + dl <= 255, "a walked node's 9-bit slot and byte threshold");
                *r = (uint32_t)id[f->left[s + i]] << 17 | (uint32_t)(k + dl) << 9 | (uint32_t)slot;
                L->wval[off + (size_t)id[i]] = 0;
            }
        }
        sw__wtree *w = &L->wt[L->wix[t]];
        memset(w, 0, sizeof *w);
        walk_top(f, s, 0, 0, 0, L, w, id);
        for (int q = 0; q < 64; q++) w->ckb[q] = avx2_kb(w->ck[q]);
        w->off = (uint32_t)off;
        w->depth = f->depth[ft];
        off += (size_t)nn;
    }
    sw_free(id);
    return 1;
}

#define DEEP_MIN_FILL_NUM 1
#define DEEP_MIN_FILL_DEN 3

/* The complete-tree records (score_impl.h) for the trees of depth <= 6, when
 * block buffer offsets fit 16 bits; 0 when out of memory. */
static int complete_trees(const sw_forest *f, int n_trees, sw__layout *L)
{
    int fits = 2 * (size_t)L->nf * SW__BLOCK <= 65536;
    L->cd = sw_alloc_array((size_t)n_trees + 1, 1);
    L->crec = sw_aligned_alloc(((size_t)n_trees + 1) * sizeof *L->crec);
    L->cl = sw_aligned_alloc(((size_t)n_trees + 1) * 64 * sizeof *L->cl);
    L->clp = sw_aligned_alloc(((size_t)n_trees + 1) * 256);
    if (!L->cd || !L->crec || !L->cl || !L->clp) return 0;
    memset(L->crec, 0, ((size_t)n_trees + 1) * sizeof *L->crec);
    memset(L->cl, 0, ((size_t)n_trees + 1) * 64 * sizeof *L->cl);
    memset(L->clp, 0, ((size_t)n_trees + 1) * 256);
    for (int t = 0; t < n_trees; t++) {
        int D = f->depth[L->tmap[t]];
        L->cd[t] = (int8_t)(fits && D <= SW__CDEPTH ? D : -1);
        if (L->cd[t] < 0) continue;
        sw__crec *c = &L->crec[t];
        uint8_t ci[64];
        complete_fill(f, f->node_start[L->tmap[t]], 0, 0, 0, D, L, c->cb, c->ck, ci, L->cl + (size_t)t * 64);
        for (int q = 0; q < 64; q++) c->ckb[q] = avx2_kb(c->ck[q]);
        for (int j = 0; j < 64; j++) {
            uint32_t u;
            memcpy(&u, L->cl + (size_t)t * 64 + j, sizeof u);
            for (int q = 0; q < 4; q++) L->clp[(size_t)t * 256 + (size_t)(64 * q + j)] = (uint8_t)(u >> (8 * q));
        }
        /* single rows: pad to depth 6, nodes in blocks of depth-3 subtrees */
        for (int lev = 0; lev < 6; lev++)
            for (int q = 0; q < (1 << lev); q++) {
                int pos = lev < 3 ? (1 << lev) - 1 + q
                                  : 7 + 7 * (q >> (lev - 3)) + (1 << (lev - 3)) - 1 + (q & ((1 << (lev - 3)) - 1));
                int bfs = (1 << lev) - 1 + q;
                c->ri[pos] = lev < D ? ci[bfs] : 0;
                c->rk[pos] = lev < D ? c->ck[bfs] : 255;
            }
    }
    if (L->nf <= 128) { /* AVX2 single rows: the bins themselves, NaN-left as a mask */
        L->r2 = sw_aligned_alloc(((size_t)n_trees + 1) * 192);
        if (!L->r2) return 0;
        memset(L->r2, 0, ((size_t)n_trees + 1) * 192);
        for (int t = 0; t < n_trees; t++) {
            if (L->cd[t] < 0) continue;
            const sw__crec *c = &L->crec[t];
            uint8_t *fi = L->r2 + (size_t)t * 192, *kk = fi + 64, *dm = fi + 128;
            for (int q = 0; q < 64; q++) {
                /* a missing-left node compares bin + 1 (wrapping: NaN's 255 becomes 0) with k + 1 */
                int dl = c->ri[q] >= L->roff;
                fi[q] = (uint8_t)(dl ? c->ri[q] - L->roff : c->ri[q]);
                SW_ASSERT(fi[q] < 128, "the AVX2 pick reads one of the row's first 128 bins");
                kk[q] = (uint8_t)(c->rk[q] ^ 0x80); /* compared signed, with the bins' bias */
                dm[q] = (uint8_t)dl;
                if (fi[q] / 16 + 1 > L->r2_tabs) L->r2_tabs = fi[q] / 16 + 1;
            }
        }
    }
    /* depth 7-8: a complete record when the tree has at least DEEP_MIN_FILL of
     * its 2^D - 1 nodes (padding costs a compare per node; going node by node
     * costs about twice that per real node) */
    L->cd8 = sw_calloc((size_t)n_trees + 1, 1);
    L->d8ix = sw_calloc((size_t)n_trees + 1, sizeof *L->d8ix);
    if (!L->cd8 || !L->d8ix) return 0;
    size_t nd8 = 0;
    L->d8top = L->nf <= 255 ? 6 : 0; /* features by byte below the top levels (ct6 measured faster than ct5) */
    L->d8fd = L->nf <= 128;
    for (int t = 0; t < n_trees; t++) {
        int ft = L->tmap[t], D = f->depth[ft];
        int nn = (int)(f->node_start[ft + 1] - f->node_start[ft]), ni = nn / 2;
        if (fits && D >= 7 && D <= 8 && ni * DEEP_MIN_FILL_DEN >= ((1 << D) - 1) * DEEP_MIN_FILL_NUM) {
            L->cd8[t] = (int8_t)D;
            L->d8ix[t] = (uint32_t)nd8++;
        }
    }
    if (nd8) {
        L->d8 = sw_aligned_alloc(nd8 * sizeof *L->d8);
        L->cl8 = sw_aligned_alloc(nd8 * 256 * sizeof *L->cl8);
        if (!L->d8 || !L->cl8) return 0;
        memset(L->d8, 0, nd8 * sizeof *L->d8);
        memset(L->cl8, 0, nd8 * 256 * sizeof *L->cl8);
        uint8_t ci[256];
        for (int t = 0; t < n_trees; t++) {
            if (!L->cd8[t]) continue;
            sw__crec8 *c = &L->d8[L->d8ix[t]];
            complete_fill(f, f->node_start[L->tmap[t]], 0, 0, 0, L->cd8[t], L, c->cb, c->ck, ci,
                          L->cl8 + (size_t)L->d8ix[t] * 256);
            for (int q = 0; q < 256; q++) c->ckb[q] = avx2_kb(c->ck[q]);
            if (L->d8top) {
                for (int q = 0; q < 255; q++) {
                    int slot = c->cb[q] / SW__BLOCK, dl = slot >= L->nf;
                    c->cf[q] = (uint8_t)(dl ? slot - L->nf : slot);
                    c->cdl[q] = (uint8_t)dl;
                    c->cfd[q] = (uint8_t)(c->cf[q] | dl << 7);
                }
                for (int lev = L->d8top; lev < L->cd8[t]; lev++) {
                    uint8_t seen[256] = {0}, *u = c->u + (1 << lev) - 1;
                    for (int q = (1 << lev) - 1; q < (2 << lev) - 1; q++)
                        if (c->ck[q] != 255 && !seen[c->cf[q]]) { /* padding (always left) reads no bin */
                            seen[c->cf[q]] = 1;
                            u[c->un[lev]++] = c->cf[q];
                        }
                }
            }
        }
    }
    return 1;
}

/* Depth 9-10 records (sw__crec10), when the layout has at most 128
 * features, for the trees of more than L->deep10 (D - 5) nodes.  Measured on
 * XGBoost lossguide and depthwise models (Zen 4), a record costs about
 * 1.9-2.3 ns per row however sparse the tree with AVX-512 (a bushy one
 * 2.6-3.0), a program about 0.027 ns per internal node, a walk 5-6 ns: 32;
 * with AVX2 3.0-3.6 (4.3), 0.032 per node, 4.4-5.5 walked: 48.  0 when out
 * of memory. */
static int deep10_trees(const sw_forest *f, int n_trees, sw__layout *L)
{
    L->cd10 = sw_calloc((size_t)n_trees + 1, 1);
    L->d10ix = sw_calloc((size_t)n_trees + 1, sizeof *L->d10ix);
    if (!L->cd10 || !L->d10ix) return 0;
    if (!L->deep10 || L->nf > 128 || 2 * (size_t)L->nf * SW__BLOCK > 65536) return 1;
    size_t n10 = 0;
    for (int t = 0; t < n_trees; t++) {
        int ft = L->tmap[t], D = f->depth[ft];
        int64_t nn = f->node_start[ft + 1] - f->node_start[ft];
        if (D >= 9 && D <= 10 && nn > L->deep10 * (int64_t)(D - 5)) {
            L->cd10[t] = (int8_t)D;
            L->d10ix[t] = (uint32_t)n10++;
        }
    }
    if (!n10) return 1;
    L->d10 = sw_aligned_alloc(n10 * sizeof *L->d10);
    L->cl10 = sw_aligned_alloc(n10 * 1024 * sizeof *L->cl10);
    uint16_t *cb = sw_alloc_array(1024, sizeof *cb);
    uint8_t *ci = sw_alloc_array(1024, 1);
    if (!L->d10 || !L->cl10 || !cb || !ci) {
        sw_free(cb);
        sw_free(ci);
        return 0;
    }
    memset(L->d10, 0, n10 * sizeof *L->d10);
    memset(L->cl10, 0, n10 * 1024 * sizeof *L->cl10);
    for (int t = 0; t < n_trees; t++) {
        int D = L->cd10[t];
        if (!D) continue;
        sw__crec10 *c = &L->d10[L->d10ix[t]];
        complete_fill(f, f->node_start[L->tmap[t]], 0, 0, 0, D, L, cb, c->ck, ci, L->cl10 + (size_t)L->d10ix[t] * 1024);
        memcpy(c->cb, cb, 63 * sizeof *cb);
        for (int q = 0; q < 63; q++) c->ckb[q] = avx2_kb(c->ck[q]);
        for (int q = 0; q < (1 << D) - 1; q++) {
            int slot = cb[q] / SW__BLOCK, dl = slot >= L->nf;
            c->fd[q] = (uint8_t)((dl ? slot - L->nf : slot) | dl << 7);
        }
        for (int lev = 6; lev < D; lev++) {
            uint8_t seen[128] = {0}, *u = c->u + (1 << lev) - 1;
            for (int q = (1 << lev) - 1; q < (2 << lev) - 1; q++) {
                int fe = c->fd[q] & 0x7f;
                if (c->ck[q] != 255 && !seen[fe]) { /* padding (always left) reads no bin */
                    seen[fe] = 1;
                    u[c->un[lev]++] = (uint8_t)fe;
                }
            }
        }
    }
    sw_free(cb);
    sw_free(ci);
    return 1;
}

/* Build the binned layout (deep10: the kernel's threshold for depth 9-10
 * complete records, deep10_trees); returns 0 when the forest does not fit it. */
static int layout_build(const sw_forest *f, int n_trees, sw__layout *L, int deep10, int *nomem)
{
    memset(L, 0, sizeof *L);
    L->deep10 = deep10;
    *nomem = 0;
    int nf = f->n_features;
    if (nf > 65535) return 0;
    L->kind = f->kind;
    L->nf = L->nsrc = nf;
    L->n_trees = n_trees;
    L->base_margin = f->base_margin;
    L->scale = f->scale;
    L->bias = f->bias;
    L->link = sw_objective_link(f->objective);
    L->nthr = sw_calloc((size_t)nf + 1, sizeof *L->nthr);
    L->thr = sw_calloc((size_t)nf + 1, sizeof *L->thr);
    L->used = sw_calloc((size_t)nf + 1, sizeof *L->used);
    L->nan_bin = sw_calloc((size_t)nf + 1, 1);
    if (!L->nthr || !L->thr || !L->used || !L->nan_bin) goto oom;
    /* the trees in output-group order */
    L->ngroups = f->n_groups;
    L->tmap = sw_alloc_array((size_t)n_trees + 1, sizeof *L->tmap);
    L->gstart = sw_calloc((size_t)f->n_groups + 1, sizeof *L->gstart);
    if (!L->tmap || !L->gstart) goto oom;
    if (f->n_groups == 1) {
        for (int t = 0; t < n_trees; t++) L->tmap[t] = t;
    } else {
        int k = 0;
        for (int g = 0; g < f->n_groups; g++) {
            L->gstart[g] = k;
            for (int i = f->gstart[g]; i < f->gstart[g + 1]; i++)
                if (f->gorder[i] < n_trees) L->tmap[k++] = f->gorder[i];
        }
    }
    L->gstart[f->n_groups] = n_trees;
    /* count, collect, sort, dedupe thresholds per feature */
    int bin = f->kind == SW_TREES_BINARY;
#define NUMERIC_SPLIT(i) (f->left[i] >= 0 && !(f->cat_off && f->cat_off[i] >= 0))
    for (int t = 0; t < n_trees; t++) {
        if (bin) {
            for (int64_t i = f->node_start[t]; i < f->node_start[t + 1]; i++)
                if (NUMERIC_SPLIT(i)) L->nthr[f->feat[i]]++;
        } else {
            for (int64_t i = f->split_start[t]; i < f->split_start[t + 1]; i++) L->nthr[f->split_feat[i]]++;
        }
    }
    for (int k = 0; k < nf; k++) {
        L->thr[k] = sw_alloc_array((size_t)L->nthr[k] + 1, sizeof(float));
        if (!L->thr[k]) goto oom;
        L->nthr[k] = 0;
    }
    for (int t = 0; t < n_trees; t++) {
        if (bin) {
            for (int64_t i = f->node_start[t]; i < f->node_start[t + 1]; i++)
                if (NUMERIC_SPLIT(i)) L->thr[f->feat[i]][L->nthr[f->feat[i]]++] = f->value[i];
        } else {
            for (int64_t i = f->split_start[t]; i < f->split_start[t + 1]; i++)
                L->thr[f->split_feat[i]][L->nthr[f->split_feat[i]]++] = f->split_border[i];
        }
    }
    for (int k = 0; k < nf; k++) {
        int n = L->nthr[k];
        qsort(L->thr[k], (size_t)n, sizeof(float), cmp_float);
        int u = 0;
        for (int i = 0; i < n; i++)
            if (u == 0 || L->thr[k][i] != L->thr[k][u - 1]) L->thr[k][u++] = L->thr[k][i];
        L->nthr[k] = u;
    }
    /* wide features: chunks of SW__CHUNK thresholds, the first in the feature's
     * own slot, the others in slots nf, nf + 1, ... */
    int n_lay = nf;
    for (int k = 0; k < nf; k++)
        if (L->nthr[k] > SW__CHUNK) n_lay += (L->nthr[k] - 1) / SW__CHUNK;
    if (n_lay > 65535) return 0;
    /* categorical splits: one layout feature per distinct (feature, set), after
     * the chunks; node_slot maps each categorical node to it */
    int ncs = 0;
    int64_t *reps = NULL;
    if (bin && f->cat_off) {
        size_t ncat = 0, cap = 16;
        for (int t = 0; t < n_trees; t++)
            for (int64_t i = f->node_start[t]; i < f->node_start[t + 1]; i++) ncat += f->cat_off[i] >= 0;
        while (cap < 2 * ncat) cap *= 2;
        L->node_slot = sw_alloc_array(f->n_nodes + 1, sizeof *L->node_slot);
        int64_t *tab = sw_alloc_array(cap, sizeof *tab);
        reps = sw_alloc_array(ncat + 1, sizeof *reps);
        if (!L->node_slot || !tab || !reps) {
            sw_free(tab);
            sw_free(reps);
            goto oom;
        }
        for (size_t j = 0; j < cap; j++) tab[j] = -1;
        for (int t = 0; t < n_trees; t++)
            for (int64_t i = f->node_start[t]; i < f->node_start[t + 1]; i++) {
                if (f->cat_off[i] < 0) continue;
                const uint32_t *w = f->cat_words + f->cat_off[i];
                size_t nw = (f->cat_nbits[i] + 31) / 32;
                uint64_t h = 1469598103934665603ull ^ (uint64_t)f->feat[i] ^ ((uint64_t)f->cat_nbits[i] << 32);
                for (size_t q = 0; q < nw; q++) h = (h ^ w[q]) * 1099511628211ull;
                size_t j = (size_t)(h ^ (h >> 29)) & (cap - 1);
                for (;; j = (j + 1) & (cap - 1)) {
                    int64_t r = tab[j];
                    if (r < 0) {
                        tab[j] = i;
                        reps[ncs] = i;
                        L->node_slot[i] = n_lay + ncs++;
                        break;
                    }
                    if (f->feat[r] == f->feat[i] && f->cat_nbits[r] == f->cat_nbits[i] &&
                        !memcmp(f->cat_words + f->cat_off[r], w, nw * sizeof *w)) {
                        L->node_slot[i] = L->node_slot[r];
                        break;
                    }
                }
            }
        sw_free(tab);
    }
    int n_tot = n_lay + ncs;
    if (n_tot > 65535) {
        sw_free(reps);
        return 0;
    }
    L->src = sw_alloc_array((size_t)n_tot + 1, sizeof *L->src);
    L->cw = sw_calloc((size_t)n_tot + 1, sizeof *L->cw);
    L->cbits = sw_calloc((size_t)n_tot + 1, sizeof *L->cbits);
    L->cused = sw_calloc((size_t)ncs + 1, sizeof *L->cused);
    if (!L->src || !L->cw || !L->cbits || !L->cused) {
        sw_free(reps);
        goto oom;
    }
    for (int k = 0; k < nf; k++) L->src[k] = k;
    if (n_tot > nf) {
        int *nthr = sw_realloc(L->nthr, sizeof *nthr * ((size_t)n_tot + 1));
        if (nthr) L->nthr = nthr;
        float **thr = nthr ? sw_realloc(L->thr, sizeof *thr * ((size_t)n_tot + 1)) : NULL;
        if (thr) L->thr = thr;
        int *used = thr ? sw_realloc(L->used, sizeof *used * ((size_t)n_tot + 1)) : NULL;
        if (used) L->used = used;
        uint8_t *nb = used ? sw_realloc(L->nan_bin, (size_t)n_tot + 1) : NULL;
        if (nb) L->nan_bin = nb;
        L->wide_n = nb ? sw_calloc((size_t)nf + 1, sizeof *L->wide_n) : NULL;
        L->wide_slot = L->wide_n ? sw_calloc((size_t)nf + 1, sizeof *L->wide_slot) : NULL;
        if (!L->wide_slot) {
            sw_free(reps);
            goto oom;
        }
        int next = nf;
        for (int k = 0; k < nf; k++) {
            int n = L->nthr[k];
            if (n <= SW__CHUNK) continue;
            L->wide_n[k] = n;
            L->wide_slot[k] = next;
            L->nthr[k] = SW__CHUNK;
            for (int c = 1; c * SW__CHUNK < n; c++, next++) {
                L->thr[next] = L->thr[k] + (size_t)c * SW__CHUNK;
                L->nthr[next] = n - c * SW__CHUNK < SW__CHUNK ? n - c * SW__CHUNK : SW__CHUNK;
                L->src[next] = k;
            }
        }
    }
    for (int c = 0; c < ncs; c++) {
        int k = n_lay + c;
        int64_t r = reps[c];
        L->thr[k] = NULL;
        L->nthr[k] = 0;
        L->src[k] = f->feat[r];
        L->cw[k] = f->cat_words + f->cat_off[r];
        L->cbits[k] = f->cat_nbits[r];
        L->cused[L->ncused++] = k;
    }
    sw_free(reps);
    n_lay = n_tot;
    L->nf = n_lay;
    for (int k = 0; k < n_lay; k++) {
        int u = L->nthr[k];
        if (u) L->used[L->nused++] = k;
        if (bin) {
            L->nan_bin[k] = 255;
        } else {
            sw_nan_mode m = (sw_nan_mode)f->nan_mode[L->src[k]];
            L->nan_bin[k] = m == SW_NAN_ASTRUE ? (uint8_t)u : 0; /* NaN as +inf passes every border */
        }
    }
    nf = n_lay;
    L->roff = nf <= 64 ? 64 : 128; /* single rows: where bins + 1 start in the row's bins */
    L->lvl = sw_aligned_alloc(((size_t)nf + 1) * SW__LVL * sizeof *L->lvl);
    if (!L->lvl) goto oom;
    for (int k = 0; k < nf; k++) {
        int n = k < L->nsrc && L->wide_n && L->wide_n[k] > SW__CHUNK ? L->wide_n[k] : L->nthr[k], top = 1;
        while (top * 2 <= n) top *= 2;
        for (int l = 0; l < SW__NLVL; l++)
            for (int j = 0; j < sw__lvl_off(l + 1) - sw__lvl_off(l); j++) {
                long i = (2L * j + 1) * (top >> l); /* the candidate position; its threshold t[i - 1] */
                L->lvl[(size_t)k * SW__LVL + (size_t)(sw__lvl_off(l) + j)] =
                    j < (1 << l) && (top >> l) > 0 && i <= n ? L->thr[k][i - 1] : NAN;
            }
    }
    if (bin) {
        size_t n_int = 0, n_leaf = 0;
        for (int t = 0; t < n_trees; t++) {
            int nn = (int)(f->node_start[t + 1] - f->node_start[t]);
            int leaves = 0;
            for (int i = 0; i < nn; i++) leaves += f->left[f->node_start[t] + i] < 0;
            if (nn > 65535) return 0; /* slots are 16-bit */
            if (nn > L->max_slots) L->max_slots = nn;
            n_int += (size_t)(nn - leaves);
            n_leaf += (size_t)leaves;
        }
        L->bt = sw_alloc_array((size_t)n_trees + 1, sizeof *L->bt);
        L->nodes = sw_alloc_array(n_int + 1, sizeof *L->nodes);
        L->vnodes = sw_alloc_array(n_int + 1, sizeof *L->vnodes);
        L->leaves = sw_alloc_array(n_leaf + 1, sizeof *L->leaves);
        int32_t *map = sw_alloc_array(65536 + 512, sizeof *map);
        if (!L->bt || !L->nodes || !L->vnodes || !L->leaves || !map) {
            sw_free(map);
            goto oom;
        }
        size_t io = 0, lo = 0;
        for (int t = 0; t < n_trees; t++) {
            int64_t s = f->node_start[L->tmap[t]];
            int nn = (int)(f->node_start[L->tmap[t] + 1] - s);
            /* breadth-first order is kept: internal nodes and leaves numbered in order */
            int ni = 0, nl = 0;
            for (int i = 0; i < nn; i++) ni += f->left[s + i] >= 0;
            for (int i = 0, a = 0; i < nn; i++) {
                if (f->left[s + i] >= 0) {
                    map[i] = a++;
                } else {
                    map[i] = ni + nl;
                    L->leaves[lo + (size_t)nl] = f->value[s + i];
                    nl++;
                }
            }
            L->bt[t].node_off = (uint32_t)io;
            L->bt[t].leaf_off = (uint32_t)lo;
            SW_ASSERT(ni <= UINT16_MAX && nl <= UINT16_MAX && io + (size_t)ni <= UINT32_MAX,
                      "16-bit node and leaf indices, 32-bit offsets");
            L->bt[t].n_int = (uint16_t)ni;
            L->bt[t].n_leaf = (uint16_t)nl;
            if (ni > L->max_int) L->max_int = ni;
            for (int i = 0; i < nn; i++) {
                if (f->left[s + i] < 0) continue;
                sw__snode *sn = &L->nodes[io + (size_t)map[i]];
                int fe, k;
                node_split(L, f, s + i, &fe, &k);
                SW_ASSERT(fe < nf && nf <= UINT16_MAX && k <= 255, "a node's layout feature and byte threshold");
                sn->f = (uint16_t)fe;
                sn->k = (uint8_t)k;
                sn->dl = f->default_left[s + i];
                sn->l = (uint16_t)map[f->left[s + i]];
                sn->r = (uint16_t)map[f->right[s + i]];
                sw__vnode *vn = &L->vnodes[io + (size_t)map[i]];
                memset(vn, 0, sizeof *vn);
                vn->boff = (uint32_t)(((size_t)(sn->dl ? nf : 0) + (size_t)fe) * SW__BLOCK);
                vn->kk = (uint8_t)(sn->k + sn->dl);
                vn->l = sn->l;
                vn->r = sn->r;
            }
            io += (size_t)ni;
            lo += (size_t)nl;
        }
        sw_free(map);
        if (!complete_trees(f, n_trees, L) || !deep10_trees(f, n_trees, L) || !walk_trees(f, n_trees, L) ||
            !prog_trees(n_trees, L))
            goto oom;
        sw_free(L->node_slot);
        L->node_slot = NULL;
    } else {
        L->ot = sw_alloc_array((size_t)n_trees + 1, sizeof *L->ot);
        L->of = sw_alloc_array(f->n_splits + 1, sizeof *L->of);
        L->ok = sw_alloc_array(f->n_splits + 1, 1);
        L->oleaves = sw_alloc_array(f->n_leaves + 1, sizeof *L->oleaves);
        if (!L->ot || !L->of || !L->ok || !L->oleaves) goto oom;
        for (int t = 0; t < n_trees; t++) {
            L->ot[t].split_off = (uint32_t)f->split_start[t];
            L->ot[t].leaf_off = (uint32_t)f->leaf_start[t];
            L->ot[t].depth = f->depth[t];
            for (int64_t i = f->split_start[t]; i < f->split_start[t + 1]; i++) {
                int fe, k;
                split_at(L, f->split_feat[i], f->split_border[i], &fe, &k);
                SW_ASSERT(fe <= UINT16_MAX && k <= 255, "an oblivious split's layout feature and byte threshold");
                L->of[i] = (uint16_t)fe;
                /* x > b_k  <=>  #{b < x} > k (within a chunk too: its borders are consecutive) */
                L->ok[i] = (uint8_t)k;
            }
        }
        if (f->n_leaves) memcpy(L->oleaves, f->leaf, f->n_leaves * sizeof *L->oleaves); /* none: f->leaf is NULL */
        L->orow_tabs = 0;
        L->orow_ok = nf <= 128;
        for (int t = 0; t < n_trees && L->orow_ok; t++) L->orow_ok = f->depth[t] <= 8;
        if (L->orow_ok) {
            size_t ng = ((size_t)n_trees + 7) / 8;
            L->of8 = sw_aligned_alloc(ng * 64 + 64);
            L->ok8 = sw_aligned_alloc(ng * 64 + 64);
            if (!L->of8 || !L->ok8) goto oom;
            memset(L->of8, 0, ng * 64 + 64);
            memset(L->ok8, 255, ng * 64 + 64);
            for (int t = 0; t < n_trees; t++)
                for (int d = 0; d < f->depth[t]; d++) {
                    size_t i = L->ot[t].split_off + (size_t)d;
                    L->of8[(size_t)t * 8 + (size_t)d] = (uint8_t)L->of[i];
                    L->ok8[(size_t)t * 8 + (size_t)d] = L->ok[i];
                    if (L->of[i] / 16 + 1 > L->orow_tabs) L->orow_tabs = L->of[i] / 16 + 1;
                }
        }
    }
#undef NUMERIC_SPLIT
    return 1;
oom:
    *nomem = 1;
    return 0;
}

/* A categorical layout feature's bin: 1 when x's category is in the set. */
static inline uint8_t cat_bin(const sw__layout *L, int f, float x)
{
    return isnan(x) ? L->nan_bin[f] : (uint8_t)sw__cat_right(L->cw[f], L->cbits[f], x);
}

void sw__bin_cats_block(const sw__layout *L, const float *X, long stride, int nr, uint8_t *bins, uint8_t bias)
{
    for (int u = 0; u < L->ncused; u++) {
        int f = L->cused[u];
        uint8_t *o = bins + (size_t)f * SW__BLOCK, *o1 = bins + ((size_t)L->nf + (size_t)f) * SW__BLOCK;
        for (int r = 0; r < nr; r++) o[r] = cat_bin(L, f, X[(size_t)r * (size_t)stride + (size_t)L->src[f]]) ^ bias;
        for (int r = nr; r < SW__BLOCK; r++) o[r] = bias;
        for (int r = 0; r < SW__BLOCK; r++) o1[r] = (uint8_t)(o[r] + 1);
    }
}

int sw_scorer_create(const sw_forest *f, int n_trees, sw_isa isa, sw_scorer **out, sw_error *err)
{
    *out = NULL;
    if (isa == SW_ISA_AUTO) {
        int k = sw_isa_best();
        if (k < 0)
            return sw_fail(err, SW_ARG, "SW_FORCE_ISA=%s: expected scalar, avx2 or avx512 supported by this CPU",
                           getenv("SW_FORCE_ISA"));
        isa = (sw_isa)k;
    }
    if (!sw_isa_supported(isa))
        return sw_fail(err, SW_UNSUPPORTED, "the %s scorer is not available on this CPU", sw_isa_name(isa));
    sw_scorer *s = sw_calloc(1, sizeof *s);
    if (!s) return sw_fail(err, SW_NOMEM, "out of memory");
    s->forest = f;
    s->n_trees = sw_forest_tree_limit(f, n_trees <= 0 ? SW_TREES_ALL : n_trees);
    s->isa = isa;
    if (isa != SW_ISA_SCALAR) {
        int nomem;
        if (!layout_build(f, s->n_trees, &s->L, isa == SW_ISA_AVX512 ? 32 : 48, &nomem)) {
            layout_free(&s->L);
            if (nomem) {
                sw_free(s);
                return sw_fail(err, SW_NOMEM, "out of memory building the scorer");
            }
            s->isa = SW_ISA_SCALAR; /* the forest does not fit the binned layout */
        }
    }
    *out = s;
    return SW_OK;
}

void sw_scorer_free(sw_scorer *s)
{
    if (!s) return;
    layout_free(&s->L);
    sw_free(s);
}

sw_isa sw_scorer_isa(const sw_scorer *s) { return s->isa; }
int sw_scorer_n_trees(const sw_scorer *s) { return s->n_trees; }

int sw_scorer_n_outputs(const sw_scorer *s, int margin) { return sw_forest_n_outputs(s->forest, margin); }

#define REF_CHUNK 256

/* One block: bin it, then each output group's trees into its margins. */
static void score_block(const sw_scorer *s, const float *Xb, long stride, int nr, int margin, uint8_t *bins,
                        float *accf, double *accd, float *m, uint64_t *scratch, uint8_t *pbuf, double *out)
{
    const sw__layout *L = &s->L;
    if (s->isa == SW_ISA_AVX512) {
        sw__bin_block_avx512(L, Xb, stride, nr, bins);
    } else {
        sw__bin_block_avx2(L, Xb, stride, nr, bins);
    }
    if (L->ncused) sw__bin_cats_block(L, Xb, stride, nr, bins, s->isa == SW_ISA_AVX2 ? 0x80 : 0);
    if (L->ngroups == 1) {
        if (s->isa == SW_ISA_AVX512)
            sw__score_block_avx512(L, bins, nr, 0, L->n_trees, L->base_margin, accf, accd, scratch, pbuf);
        else sw__score_block_avx2(L, bins, nr, 0, L->n_trees, L->base_margin, accf, accd, scratch, pbuf);
        for (int r = 0; r < nr; r++) {
            if (L->kind == SW_TREES_BINARY) {
                out[r] = margin ? (double)accf[r] : (double)sw_link_apply_f32(L->link, accf[r]);
            } else {
                double raw = accd[r] * L->scale + L->bias;
                out[r] = margin ? raw : sw_link_apply_f64(L->link, raw);
            }
        }
        return;
    }
    /* several groups: each group's trees into m[r * G + g], then each row finished */
    int G = L->ngroups, no = sw_forest_n_outputs(s->forest, margin);
    for (int g = 0; g < G; g++) {
        float base = sw_forest_group_base_margin(s->forest, g);
        if (s->isa == SW_ISA_AVX512)
            sw__score_block_avx512(L, bins, nr, L->gstart[g], L->gstart[g + 1], base, accf, accd, scratch, pbuf);
        else sw__score_block_avx2(L, bins, nr, L->gstart[g], L->gstart[g + 1], base, accf, accd, scratch, pbuf);
        for (int r = 0; r < nr; r++) m[(size_t)r * (size_t)G + (size_t)g] = accf[r];
    }
    for (int r = 0; r < nr; r++)
        sw_forest_finish_groups(s->forest, m + (size_t)r * (size_t)G, margin, out + (size_t)r * (size_t)no);
}

void sw_scorer_predict(const sw_scorer *s, const float *X, long n_rows, long stride, int margin, int threads,
                       double *out)
{
    if (threads < 1) threads = 1;
    size_t no = (size_t)sw_forest_n_outputs(s->forest, margin);
    if (s->isa == SW_ISA_SCALAR) {
        long nb = (n_rows + REF_CHUNK - 1) / REF_CHUNK;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && nb > 1)
        for (long b = 0; b < nb; b++) {
            long r0 = b * REF_CHUNK, n = n_rows - r0 < REF_CHUNK ? n_rows - r0 : REF_CHUNK;
            sw_forest_predict_ref(s->forest, X + (size_t)r0 * (size_t)stride, n, stride, s->n_trees, margin,
                                  out + (size_t)r0 * no);
        }
        return;
    }
    const sw__layout *L = &s->L;
    long nb = (n_rows + SW__BLOCK - 1) / SW__BLOCK;
#pragma omp parallel num_threads(threads) if (threads > 1 && nb > 1)
    {
        uint8_t *bins = sw_aligned_alloc(2 * (size_t)L->nf * SW__BLOCK + 64);
        float *m = L->ngroups > 1 ? sw_alloc_array((size_t)L->ngroups * SW__BLOCK, sizeof *m) : NULL;
        uint64_t *scratch = L->max_slots > 512 ? sw_aligned_alloc((size_t)L->max_slots * sizeof *scratch) : NULL;
        uint8_t *pbuf = NULL; /* made for the first whole block */
        float accf[SW__BLOCK] __attribute__((aligned(64)));
        double accd[SW__BLOCK] __attribute__((aligned(64)));
#pragma omp for schedule(static)
        for (long b = 0; b < nb; b++) {
            long r0 = b * SW__BLOCK;
            int nr = n_rows - r0 < SW__BLOCK ? (int)(n_rows - r0) : SW__BLOCK;
            const float *Xb = X + (size_t)r0 * (size_t)stride;
            if (nr <= 4) { /* a short tail: single rows cost less than a whole block */
                for (int r = 0; r < nr; r++)
                    sw_scorer_predict_rowv(s, Xb + (size_t)r * (size_t)stride, margin, out + (size_t)(r0 + r) * no);
                continue;
            }
            if (L->pslots && !pbuf) pbuf = pbuf_new(L);
            if (!bins || (L->ngroups > 1 && !m) || (L->max_slots > 512 && !scratch) || (L->pslots && !pbuf)) {
                /* no scratch memory: the reference path needs none */
                sw_forest_predict_ref(s->forest, Xb, nr, stride, s->n_trees, margin, out + (size_t)r0 * no);
                continue;
            }
            score_block(s, Xb, stride, nr, margin, bins, accf, accd, m, scratch, pbuf, out + (size_t)r0 * no);
        }
        sw_aligned_free(bins);
        sw_aligned_free(scratch);
        sw_aligned_free(pbuf);
        sw_free(m);
    }
}

/* One row, no allocation.  Binary trees: a branch-free walk of fixed length
 * (the tree's depth; a leaf stays where it is), so that the walks of
 * consecutive trees overlap in the out-of-order core instead of waiting on
 * mispredicted loop exits.  Oblivious trees: NaN replaced once per feature by
 * its treatment's infinity, then one compare per level.  The sums are the
 * reference scorer's, in the same order. */
#define ROW_STACK 1024

const uint8_t sw__exit3[128] = {
#define E3(b) (uint8_t)((((b) & 1) ? 4 : 0) + ((((b) >> (((b) & 1) ? 2 : 1)) & 1) ? 2 : 0) + \
                    (((b) >> (3 + (((b) & 1) ? 2 : 0) + ((((b) >> (((b) & 1) ? 2 : 1)) & 1) ? 1 : 0))) & 1))
#define E8(b) E3(b), E3(b + 1), E3(b + 2), E3(b + 3), E3(b + 4), E3(b + 5), E3(b + 6), E3(b + 7)
    E8(0), E8(8), E8(16), E8(24), E8(32), E8(40), E8(48), E8(56),
    E8(64), E8(72), E8(80), E8(88), E8(96), E8(104), E8(112), E8(120)
#undef E8
#undef E3
};

/* One row of a binary forest with the binned layout but without AVX-512's
 * path (at most 128 layout features): the row binned once, then complete trees walked on the
 * bins in their single-row order (three levels per depth-3 block), deeper
 * trees node by node. */
void sw__bin_row(const sw__layout *L, const float *x, uint8_t *rb)
{
    int binary = L->kind == SW_TREES_BINARY;
    SW_ASSERT(L->roff + L->nf <= 256, "a row's bins and its bins + 1 fit 256 bytes");
    memset(rb, 0, 256);
    for (int u = 0; u < L->nused; u++) {
        int f = L->used[u];
        float v = x[L->src[f]];
        rb[f] = isnan(v) ? L->nan_bin[f] : (uint8_t)sw__bin_value(L->thr[f], L->nthr[f], v, binary);
        if (binary) rb[L->roff + f] = (uint8_t)(rb[f] + 1);
    }
    for (int u = 0; u < L->ncused; u++) {
        int f = L->cused[u];
        rb[f] = cat_bin(L, f, x[L->src[f]]);
        rb[L->roff + f] = (uint8_t)(rb[f] + 1);
    }
}

static float row_binned(const sw__layout *L, const uint8_t *rb, int t0, int t1, float base)
{
    float acc = base;
    int t = t0;
    /* four complete trees at a time: their load chains are independent, so the
     * core overlaps them; the leaves are added in tree order */
    for (; t + 4 <= t1 && (L->cd[t] | L->cd[t + 1] | L->cd[t + 2] | L->cd[t + 3]) >= 0; t += 4) {
        unsigned b[4] = {0, 0, 0, 0}, b2[4] = {0, 0, 0, 0}, j[4];
        for (int q = 0; q < 4; q++) {
            const sw__crec *c = &L->crec[t + q];
            for (int k = 0; k < 7; k++) b[q] |= (unsigned)(rb[c->ri[k]] > c->rk[k]) << k;
        }
        for (int q = 0; q < 4; q++) {
            const sw__crec *c = &L->crec[t + q];
            j[q] = sw__exit3[b[q]];
            const uint8_t *bi = c->ri + 7 + 7 * j[q], *bk = c->rk + 7 + 7 * j[q];
            for (int k = 0; k < 7; k++) b2[q] |= (unsigned)(rb[bi[k]] > bk[k]) << k;
        }
        for (int q = 0; q < 4; q++)
            acc += L->cl[(size_t)(t + q) * 64 + ((8 * j[q] + sw__exit3[b2[q]]) >> (6 - L->cd[t + q]))];
    }
    for (; t < t1; t++) {
        int D = L->cd[t];
        if (D >= 0) {
            /* each block's 7 outcomes are independent loads; a table gives its exit */
            const sw__crec *c = &L->crec[t];
            unsigned b = 0, b2 = 0;
            for (int k = 0; k < 7; k++) b |= (unsigned)(rb[c->ri[k]] > c->rk[k]) << k;
            unsigned j = sw__exit3[b];
            const uint8_t *bi = c->ri + 7 + 7 * j, *bk = c->rk + 7 + 7 * j;
            for (int k = 0; k < 7; k++) b2 |= (unsigned)(rb[bi[k]] > bk[k]) << k;
            acc += L->cl[(size_t)t * 64 + ((8 * j + sw__exit3[b2]) >> (6 - D))];
        } else {
            acc += sw__walk_binned(L, t, rb);
        }
    }
    return acc;
}

/* The packed walk of one binary tree (no binned layout): fixed length, a
 * leaf stays where it is. */
static inline float packed_leaf(const sw_forest *f, int t, const float *x)
{
    const sw__pnode *nd = f->packed + f->node_start[t];
    int n = 0;
    for (int d = f->depth[t]; d > 0; d--) {
        const sw__pnode *p = &nd[n];
        uint32_t fd = p->feat_dl;
        float v = x[fd & SW__FEAT_MASK];
        int nan = v != v, right;
        if (nan) right = !(fd & SW__DL_BIT);
        else if (fd & SW__CAT_BIT) {
            int64_t gi = f->node_start[t] + n;
            right = sw__cat_right(f->cat_words + f->cat_off[gi], f->cat_nbits[gi], v);
        } else right = !(v < p->value);
        n = p->left < 0 ? n : p->left + right;
    }
    return nd[n].value;
}

void sw_scorer_predict_rowv(const sw_scorer *s, const float *x, int margin, double *out)
{
    const sw_forest *f = s->forest;
    sw_link link = sw_objective_link(f->objective);
    const sw__layout *L = &s->L;
    if (f->kind == SW_TREES_BINARY) {
        int G = f->n_groups;
        float m[SW_MAX_GROUPS];
        if (s->isa != SW_ISA_SCALAR && L->nf <= 128) {
            uint8_t rb[256] __attribute__((aligned(64)));
            sw__bin_row(L, x, rb);
            for (int g = 0; g < G; g++) {
                float base = sw_forest_group_base_margin(f, g);
                m[g] = s->isa == SW_ISA_AVX512 ? sw__score_row_avx512(L, rb, L->gstart[g], L->gstart[g + 1], base)
                       : L->r2                 ? sw__score_row_avx2(L, rb, L->gstart[g], L->gstart[g + 1], base)
                                               : row_binned(L, rb, L->gstart[g], L->gstart[g + 1], base);
            }
        } else if (G == 1) {
            float acc = f->base_margin;
            for (int t = 0; t < s->n_trees; t++) acc += packed_leaf(f, t, x);
            m[0] = acc;
        } else {
            for (int g = 0; g < G; g++) {
                float acc = sw_forest_group_base_margin(f, g);
                for (int i = f->gstart[g]; i < f->gstart[g + 1] && f->gorder[i] < s->n_trees; i++)
                    acc += packed_leaf(f, f->gorder[i], x);
                m[g] = acc;
            }
        }
        if (G == 1) *out = margin ? (double)m[0] : (double)sw_link_apply_f32(link, m[0]);
        else sw_forest_finish_groups(f, m, margin, out);
        return;
    }
    *out = sw_scorer_predict_row(s, x, margin);
}

double sw_scorer_predict_row(const sw_scorer *s, const float *x, int margin)
{
    const sw_forest *f = s->forest;
    sw_link link = sw_objective_link(f->objective);
    if (f->kind == SW_TREES_BINARY) {
        if (sw_forest_n_outputs(f, margin) != 1) return NAN;
        double out;
        sw_scorer_predict_rowv(s, x, margin, &out);
        return out;
    }
    if (s->isa == SW_ISA_AVX512 && s->L.orow_ok) {
        double raw = sw__score_orow_avx512(&s->L, x) * f->scale + f->bias;
        return margin ? raw : sw_link_apply_f64(link, raw);
    }
    if (s->isa == SW_ISA_AVX2 && s->L.orow_ok && s->L.orow_tabs > 0 && s->L.orow_tabs <= 8) {
        double raw = sw__score_orow_avx2(&s->L, x) * f->scale + f->bias;
        return margin ? raw : sw_link_apply_f64(link, raw);
    }
    float xs[ROW_STACK];
    if (f->n_features > ROW_STACK) return sw_forest_predict_row_ref(f, x, s->n_trees, margin);
    for (int k = 0; k < f->n_features; k++) {
        float v = x[k];
        xs[k] = v == v ? v : f->nan_mode[k] == SW_NAN_ASTRUE ? INFINITY : -INFINITY;
    }
    double sum = 0.0;
    for (int t = 0; t < s->n_trees; t++) {
        const int32_t *ft = f->split_feat + f->split_start[t];
        const float *b = f->split_border + f->split_start[t];
        unsigned idx = 0;
        for (int d = 0; d < f->depth[t]; d++) idx |= (unsigned)(xs[ft[d]] > b[d]) << d;
        sum += f->leaf[f->leaf_start[t] + idx];
    }
    double raw = sum * f->scale + f->bias;
    return margin ? raw : sw_link_apply_f64(link, raw);
}
