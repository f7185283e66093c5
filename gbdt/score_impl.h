/* score_impl: the scorer's layout and kernels (gbdt/ only).
 *
 * Vector kernels score blocks of 64 rows.  A block is first binned: for each
 * feature the forest splits on (or each chunk of 254 thresholds of a wider
 * one), a value becomes the number of the feature's
 * distinct thresholds it passes (uint8; binary trees: #{t <= x}, NaN = 255;
 * oblivious trees: #{b < x}, NaN by the feature's NaN treatment), so that
 * `x < t_k` is exactly `bin <= k` and `x > b_k` is exactly `bin > k`.
 * Binary trees of depth <= 6 (and full enough trees of depth 7-8) are scored
 * as complete trees, bottom-up (each row's leaf position from one compare and
 * one masked add per node; past level 6 by each row's node; depth 9-10
 * trees with enough nodes too, sw__crec10); bushy deeper trees are walked a
 * level a step after their top six levels (sw__wtree);
 * other ones of at most 256 leaves run as programs (sw__prog: children first,
 * a node's leaf positions blended from its children's); past 256 leaves, node
 * by node in breadth-first order, the 64-bit mask of the block's rows that
 * reach each node, each leaf writing its 16-bit index into the rows it
 * receives; oblivious trees add one bit per level.  Leaf
 * values are added to per-row accumulators tree by tree: the same float32
 * (binary) or double (oblivious) additions, in the same order, as the
 * reference scorer, hence bit-identical results.
 */
#ifndef SW_SCORE_IMPL_H
#define SW_SCORE_IMPL_H

#include <stdint.h>

#include "forest_impl.h"
#include "score.h"

#define SW__BLOCK 64
#define SW__CHUNK 254 /* thresholds per byte-binned layout feature */
#define SW__CDEPTH 6 /* deepest tree scored as a complete tree */
#define SW__NLVL 7   /* binary-search steps from registers (L->lvl) */
#define SW__LVL 144  /* floats per feature in L->lvl */

/* Offset of search step l's candidates in a feature's L->lvl: steps 0-3 in 8
 * floats each, then 16, 32 and 64 (whole registers, aligned). */
static inline int sw__lvl_off(int l) { return l < 4 ? 8 * l : 16 + (16 << (l - 4)); }

/* Internal node of a binary tree in the scorer.  A tree's nodes are slots:
 * internal nodes 0..n_int-1 (breadth-first, root 0), then leaves
 * n_int..n_int+n_leaf-1; l and r are the children's slots. */
typedef struct {
    uint16_t f;
    uint8_t k;   /* left when bin <= k */
    uint8_t dl;  /* missing goes left */
    uint16_t l, r;
} sw__snode;

/* The same node prepared for the kernels: the byte offset of its feature's
 * bins in the block buffer (the second half of the buffer holds bins + 1,
 * used by missing-left nodes so that NaN's 255 wraps to 0 and passes), the
 * threshold to compare with (k, or k + 1 for missing-left) and the children's
 * slots. */
typedef struct {
    uint32_t boff;
    uint16_t l, r;
    uint8_t kk, pad[3];
} sw__vnode;

/* A complete tree's nodes, 2^D - 1 used of each array. */
typedef struct {
    uint16_t cb[64]; /* byte offset of the node's bins in the block buffer (vnode.boff) */
    uint8_t ck[64];  /* right when bin > ck (vnode.kk); 255 for padding */
    uint8_t ckb[64]; /* (ck + 1) ^ 0x80: AVX2 goes left when ckb > bin, bias-shifted bins compared signed */
    /* Single rows: the tree padded to depth 6 and its nodes in blocks of
     * depth-3 subtrees (the top one, then the 8 below it, each in
     * breadth-first order), so that each block's 7 outcomes are 7 adjacent
     * bits and one table lookup resolves 3 levels. */
    uint8_t ri[64]; /* the node's byte in [bins | bins + 1] (f, or roff + f) */
    uint8_t rk[64]; /* right when that byte > rk; 255 for padding */
} sw__crec;

/* A tree of depth 7 or 8 (block kernels only), complete: 2^D - 1 nodes in
 * breadth-first order, leaf positions up to 255 in a byte.  The kernels
 * score its top L->d8top (6) levels bottom-up (cb, ck) and each level below
 * by the row's node (cf, cdl, ck, and the level's distinct features u). */
typedef struct {
    uint16_t cb[256];
    uint8_t ck[256];
    uint8_t ckb[256]; /* (ck + 1) ^ 0x80 (AVX2, sw__crec) */
    uint8_t cf[256];  /* the node's layout feature */
    uint8_t cdl[256]; /* 1 where missing goes left */
    uint8_t cfd[256]; /* cf | cdl << 7 (AVX2, when L->d8fd) */
    uint8_t u[256];   /* level l's distinct features (padding left out) at u + 2^l - 1, un[l] of them */
    uint8_t un[8];
} sw__crec8;

/* A tree of depth 9 or 10 (block kernels, at most 128 layout features),
 * complete: its top six levels bottom-up (cb, and ck's first 63), then each
 * level by the row's node as for sw__crec8: the node's feature and NaN side
 * (fd: feature | dl << 7) and threshold (ck) by byte permutes over the
 * level's nodes, the row's bin picked from the bins of the level's distinct
 * features (u, un).  Positions past 255 keep their bits 8 and 9 in masks;
 * 1024 leaf values at cl10 + 1024 d10ix[t], gathered. */
typedef struct {
    uint16_t cb[64];
    uint8_t ckb[64]; /* the top six levels' (ck + 1) ^ 0x80 (AVX2, sw__crec) */
    uint8_t ck[1024];
    uint8_t fd[1024];
    uint8_t u[1024];
    uint16_t un[10];
    uint8_t pad[44]; /* 3328 bytes: records stay aligned */
} sw__crec10;
_Static_assert(sizeof(sw__crec10) % 64 == 0, "depth-10 records stay 64-byte aligned");

/* A deeper tree walked level by level (AVX-512 blocks): its top six levels
 * as a complete record (cb, ck) whose 64 positions give the node each
 * reaches (id6: a node at depth 6, or the leaf above it), then one level a
 * step from per-node records (L->wrec + off, breadth-first with the two
 * children adjacent): bits 0-8 the slot (the node's bins at bins + 64 slot),
 * 9-16 k (right when bin > k), 17-31 the left child's id (a leaf: its own
 * id, k 255); L->wval + off holds the leaves' values by id. */
typedef struct {
    uint32_t id6[64];
    uint16_t cb[64];
    uint8_t ck[64];
    uint8_t ckb[64]; /* (ck + 1) ^ 0x80 (AVX2, sw__crec) */
    uint32_t off;
    int32_t depth;
    uint8_t pad[56]; /* 576 bytes: records stay aligned */
} sw__wtree;
_Static_assert(sizeof(sw__wtree) % 64 == 0, "walked-tree records stay 64-byte aligned");

typedef struct {
    uint32_t node_off, leaf_off;
    uint16_t n_int, n_leaf;
} sw__stree;

/* A tree of at most 256 leaves that no complete record takes, as a program:
 * its internal nodes children first (those with two leaf children, then the
 * others in reverse breadth-first order: prog_emit), each
 * giving the leaf positions of the block's rows in its subtree (a leaf's: its
 * index j) from its children's, the left one's where the row goes left, else
 * the right one's: one compare and one blend per node, no mask per node and
 * no loop over rows.  The operands are byte offsets into a per-thread buffer
 * (score.c: pbuf_new): 256 splats of 64 bytes (splat j: 64 bytes j, a leaf
 * child's value), then a slot of 64 bytes per internal node (the root's
 * first). */
#define SW__PSPLAT 256
/* A program node in 64 bits: bits 0-23 its bins' offset (vnode.boff, < 2^24
 * with at most 65535 layout features), 24-31 k (vnode.kk: right when bin >
 * k), 32-47 and 48-63 its left and right children's values (offsets in the
 * buffer; leaf j's splat: 64 j); the node of rank r of n writes slot
 * n - 1 - r. */
typedef uint64_t sw__prog;

typedef struct {
    uint32_t split_off, leaf_off;
    int depth;
} sw__otree;

typedef struct {
    int kind;
    int nf, n_trees; /* nf: layout features (the model's, then the extra chunks of wide ones) */
    int nsrc;        /* the model's features */
    /* layout features with thresholds, and their sorted distinct thresholds; a
     * feature with more than SW__CHUNK thresholds (wide) keeps the first
     * SW__CHUNK in its own slot and gives each further SW__CHUNK to an extra
     * layout feature (wide_slot[f] onwards) that reads the same input column
     * src[]: a value's bin in chunk c counts the chunk's thresholds it passes,
     * so `x < t_i` is `bin_c <= i - c SW__CHUNK` exactly, NaN keeping its bin */
    int *used, nused;
    int *nthr;
    float **thr;
    int *src;                /* input column of each layout feature */
    int roff;                /* single rows: rb[roff + f] = rb[f] + 1 (64 up to 64 layout features, else 128) */
    int *wide_n, *wide_slot; /* per model feature: all its thresholds (wide: > SW__CHUNK) and its first extra slot */
    uint8_t *nan_bin;
    /* categorical splits: each distinct (feature, category set) is a layout
     * feature of its own (after the chunks) whose bin is 1 when the value's
     * category is in the set, 0 when not (or no category), 255 for NaN, so that
     * the node is `bin <= 0` goes left like any other */
    const uint32_t **cw; /* per layout feature: the set's words (NULL: thresholds) */
    uint32_t *cbits;
    int *cused, ncused;
    int32_t *node_slot; /* while building: per forest node, its set's layout feature */
    /* trees: layout tree t is forest tree tmap[t]; output group g's trees are
     * gstart[g] .. gstart[g + 1] (one group: all) */
    int32_t *tmap;
    int ngroups;
    int *gstart;
    /* binning: per layout feature, SW__LVL floats: the candidates of the
     * first SW__NLVL steps of its binary search over all its thresholds (n,
     * top the largest power of two <= n): step l (stride top >> l) has 2^l,
     * at lvl + sw__lvl_off(l), entry j the threshold t[(2j + 1)(top >> l) - 1]
     * (NaN past n, which never compares true); such a step permutes registers
     * instead of gathering (AVX2: the first five steps, AVX-512: seven) */
    float *lvl;
    /* binary */
    sw__stree *bt;
    sw__snode *nodes;
    sw__vnode *vnodes;
    float *leaves;
    int max_int;
    int max_slots; /* the most slots (nodes) of a tree: past 512 the block kernels take
                    * their node masks from the caller's scratch (max_slots masks) */
    float base_margin;
    /* complete trees: a tree of depth D <= 6 padded to the complete tree of
     * depth D (a leaf above depth D becomes padding nodes that always go left,
     * its value copied to every leaf below it).  Nodes in breadth-first order;
     * a row's leaf is its left-to-right position among the 2^D leaves.  One
     * 64-byte aligned record per tree (cache lines never split, consecutive
     * trees adjacent): cd[t] = D, or -1 for a deeper tree (node masks). */
    int8_t *cd;
    sw__crec *crec; /* per tree */
    float *cl;      /* 64 leaf values per tree, 2^D used */
    uint8_t *clp;   /* AVX2 blocks: the same as four byte planes (byte q of leaf j at clp + 256 t + 64 q + j),
                     * looked up by byte shuffles instead of gathered */
    /* trees of depth 7-8 full enough that every padded node costs less than
     * the node-mask walk: cd8[t] = D and records d8[d8ix[t]] with 256 leaf
     * values at cl8 + 256 d8ix[t]; 0 for the others */
    int8_t *cd8;
    int d8top; /* levels scored bottom-up above those by node (6); 0 past 255 layout features (all bottom-up) */
    int d8fd;  /* up to 128 layout features: sw__crec8.cfd holds feature and NaN side in a byte */
    uint32_t *d8ix;
    sw__crec8 *d8;
    float *cl8;
    /* trees of depth 9-10 of more than deep10 (D - 5) nodes (the kernel's
     * threshold: a complete record costs less than a walk or a program):
     * cd10[t] = D and records d10[d10ix[t]], 0 for the others */
    int deep10;
    int8_t *cd10;
    uint32_t *d10ix;
    sw__crec10 *d10;
    float *cl10;
    /* binary trees past the complete records (depth 9 and more, at most
     * 32767 nodes, at most 256 layout features): wix[t] >= 0 indexes wt */
    int32_t *wix;
    sw__wtree *wt;
    uint32_t *wrec;
    float *wval;
    /* programs (sw__prog): tree t's are pg[poff[t]] .. pg[poff[t + 1]] (none:
     * equal offsets; its leaves are those of bt[t]), the first pll[t] of them
     * nodes whose children are both leaves; pslots: the most internal nodes
     * of a program's tree, 0 when no tree has a program */
    uint32_t *poff;
    uint16_t *pll;
    sw__prog *pg;
    int pslots;
    /* oblivious */
    sw__otree *ot;
    uint16_t *of;
    uint8_t *ok;  /* level test: bin > k */
    double *oleaves;
    /* single rows of oblivious forests (AVX-512 VBMI; at most 128 features, depth
     * <= 8): trees in groups of 8, a byte per (tree, level): the feature's bin
     * index and the level's k (255 pads a level, and a group past the last tree) */
    int orow_ok;
    int orow_tabs;           /* AVX2 single rows: 16-byte tables of the row's bins the splits read (1..8) */
    uint8_t *of8, *ok8;
    /* single rows with AVX2 only (at most 128 layout features): per complete tree,
     * in the single-row node order, the node's feature (a byte of the row's bins),
     * its k' ^ 0x80 (right when bin + dl > k', wrapping; stored with the
     * bias of a signed compare) and dl (1 where NaN goes left): 192 bytes */
    uint8_t *r2;
    int r2_tabs;             /* 16-byte tables the AVX2 single-row pick needs: 1..8 (bins used / 16) */
    double scale, bias;
    sw_link link;
} sw__layout;

/* exit leaf (0-7) of a complete depth-3 tree from its 7 outcomes (bit i: node
 * i in breadth-first order goes right) */
extern const uint8_t sw__exit3[128];

/* Single rows: the leaf value of complete tree t from its nodes' outcomes in
 * the single-row order (bit i: node i goes right; sw__crec ri/rk): the top
 * block's exit j picks the block below it. */
static inline float sw__row_leaf(const sw__layout *L, int t, uint64_t right)
{
    unsigned j = sw__exit3[right & 127], k = sw__exit3[(right >> (7 + 7 * j)) & 127];
    return L->cl[(size_t)t * 64 + ((8 * j + k) >> (6 - L->cd[t]))];
}

/* The vector kernels' single-row loop over trees t0..t1, adding to acc;
 * RIGHT(t) is a kernel's outcome mask of complete tree t.  Complete trees go
 * two at a time, software-pipelined: the next pair's masks are computed
 * before this pair's leaves are looked up, so that the lookups' load chains
 * overlap vector work; the leaves are still added in tree order.  A deeper
 * tree is walked node by node on the row's bins rb. */
#define SW__ROW_TREES(L, rb, t0, t1, acc, RIGHT)                                          \
    do {                                                                                  \
        int t_ = (t0);                                                                    \
        uint64_t a_ = 0, b_ = 0;                                                          \
        for (int pending_ = 0;; t_ += 2) {                                                \
            int more_ = t_ + 2 <= (t1) && ((L)->cd[t_] | (L)->cd[t_ + 1]) >= 0;           \
            uint64_t na_ = 0, nb_ = 0;                                                    \
            if (more_) {                                                                  \
                na_ = RIGHT(t_);                                                          \
                nb_ = RIGHT(t_ + 1);                                                      \
            }                                                                             \
            if (pending_) {                                                               \
                (acc) += sw__row_leaf((L), t_ - 2, a_);                                   \
                (acc) += sw__row_leaf((L), t_ - 1, b_);                                   \
            }                                                                             \
            if (!more_) break;                                                            \
            a_ = na_;                                                                     \
            b_ = nb_;                                                                     \
            pending_ = 1;                                                                 \
        }                                                                                 \
        for (; t_ < (t1); t_++)                                                           \
            (acc) += (L)->cd[t_] >= 0 ? sw__row_leaf((L), t_, RIGHT(t_)) : sw__walk_binned((L), t_, (rb)); \
    } while (0)

/* #{t <= v} (binary trees) or #{t < v} (oblivious) over sorted thresholds
 * t[0..n), by branchless halving; v is not NaN. */
static inline int sw__bin_value(const float *t, int n, float v, int binary)
{
    int lo = 0, len = n;
    while (len > 0) {
        int half = len >> 1;
        int go = binary ? (t[lo + half] <= v) : (t[lo + half] < v);
        lo = go ? lo + half + 1 : lo;
        len = go ? len - half - 1 : half;
    }
    return lo;
}

/* Leaf value of binary tree t for a binned row (rb as sw__bin_row fills it),
 * node by node: the single-row path of trees too deep for the complete layout. */
static inline float sw__walk_binned(const sw__layout *L, int t, const uint8_t *rb)
{
    const sw__stree *st = &L->bt[t];
    const sw__snode *sn = L->nodes + st->node_off;
    int i = 0, ni = st->n_int;
    while (i < ni) {
        uint8_t v = (uint8_t)(rb[sn[i].f] + sn[i].dl);
        i = v <= (uint8_t)(sn[i].k + sn[i].dl) ? sn[i].l : sn[i].r;
    }
    return L->leaves[st->leaf_off + (size_t)(i - ni)];
}

/* A wide feature f's chunks from each row's position among all its
 * thresholds (pos[0..64), -1 for NaN, 0 past the block's rows): chunk c's bin
 * is the position less 254 c, clamped to the chunk, NaN the chunk's NaN bin;
 * binary forests also get bins + 1; every bin XORed with bias (the kernel's).
 * Sixteen rows per step in GCC vector types (the including kernel's ISA). */
typedef int32_t sw__v16i __attribute__((vector_size(64)));
typedef uint8_t sw__v16b __attribute__((vector_size(16)));
static inline void sw__wide_chunks(const sw__layout *L, int f, const int32_t *pos, uint8_t *bins, uint8_t bias)
{
    int nch = (L->wide_n[f] + SW__CHUNK - 1) / SW__CHUNK;
    for (int c = 0; c < nch; c++) {
        int s = c ? L->wide_slot[f] + c - 1 : f;
        uint8_t *o = bins + (size_t)s * SW__BLOCK, *o1 = bins + ((size_t)L->nf + (size_t)s) * SW__BLOCK;
        sw__v16i n = (sw__v16i){0} + L->nthr[s], nb = (sw__v16i){0} + L->nan_bin[s];
        for (int q = 0; q < SW__BLOCK / 16; q++) {
            sw__v16i p;
            __builtin_memcpy(&p, pos + 16 * q, sizeof p);
            sw__v16i v = p - c * SW__CHUNK;
            v &= v > 0;
            sw__v16i over = v > n, nan = p < 0;
            v = (v & ~over) | (n & over);
            v = (v & ~nan) | (nb & nan);
            sw__v16b b = __builtin_convertvector(v, sw__v16b) ^ bias;
            __builtin_memcpy(o + 16 * q, &b, sizeof b);
            if (L->kind == SW_TREES_BINARY) {
                b += 1;
                __builtin_memcpy(o1 + 16 * q, &b, sizeof b);
            }
        }
    }
}

/* Column c of a block's rows (row-major, stride floats) into out[0..64):
 * rows past nr are 0.  Scalar loads: cheaper than gathering from rows that
 * each lie in their own cache line. */
static inline void sw__block_column(const float *X, long stride, int nr, int c, float *out)
{
    const float *p = X + c;
    for (int r = 0; r < nr; r++, p += stride) out[r] = *p;
    for (int r = nr; r < SW__BLOCK; r++) out[r] = 0.0f;
}

/* Columns 0..nc of a block's rows into out[c * 64 + r] in one pass along
 * the rows (sequential loads; the stores stay in L1), rows past nr 0: the
 * binners read each feature's column from it when nc <= SW__TCOLS.  AVX-512
 * transposes 16 x 16 tiles in registers instead (transpose16); 8 x 8 tiles
 * gained nothing with AVX2. */
#define SW__TCOLS 128
static inline void sw__block_transpose(const float *X, long stride, int nr, int nc, float *out)
{
    for (int r = 0; r < nr; r++) {
        const float *p = X + (size_t)r * (size_t)stride;
        for (int c = 0; c < nc; c += 16) /* the next block's row: a hint, never a fault */
            __builtin_prefetch(p + (size_t)SW__BLOCK * (size_t)stride + c);
        for (int c = 0; c < nc; c++) out[c * SW__BLOCK + r] = p[c];
    }
    for (int c = 0; c < nc && nr < SW__BLOCK; c++)
        for (int r = nr; r < SW__BLOCK; r++) out[c * SW__BLOCK + r] = 0.0f;
}

/* Where the binners read a used feature's column (used[u], source column s;
 * the sources ascend with u): from the whole block transposed (all: at most
 * SW__TCOLS columns), else from a chunk of up to SW__TCOLS columns from s on,
 * transposed when it holds at least SW__TCOLS / 8 used features (wide
 * tables: the rows are read along, not one cache line per row and feature),
 * else from a column copy into xc. */
typedef struct {
    int all, c0, c1, on; /* xt holds columns [c0, c1) when on */
} sw__tblock;

typedef void (*sw__transpose_fn)(const float *X, long stride, int nr, int nc, float *out);

static inline const float *sw__block_src(const sw__layout *L, const float *X, long stride, int nr, int u,
                                         sw__tblock *tb, float *xt, float *xc, sw__transpose_fn transpose)
{
    int s = L->src[L->used[u]];
    if (tb->all) return xt + (size_t)s * SW__BLOCK;
    if (s >= tb->c1) {
        tb->c0 = s;
        tb->c1 = s + SW__TCOLS < L->nsrc ? s + SW__TCOLS : L->nsrc;
        int cnt = 0;
        for (int v = u; v < L->nused && L->used[v] < tb->c1; v++) cnt += L->src[L->used[v]] == L->used[v];
        tb->on = cnt >= SW__TCOLS / 8;
        if (tb->on) transpose(X + tb->c0, stride, nr, tb->c1 - tb->c0, xt);
    }
    if (tb->on) return xt + (size_t)(s - tb->c0) * SW__BLOCK;
    sw__block_column(X, stride, nr, s, xc);
    return xc;
}

/* Bin one row into rb[0..256): rb[f] for each used layout feature (NaN: the
 * feature's NaN bin); binary forests (at most 128 layout features) also get
 * rb[roff + f] = rb[f] + 1 (mod 256) for missing-left nodes. */
void sw__bin_row(const sw__layout *L, const float *x, uint8_t *rb);

/* The vector binners: rows [0, nr) of a block (row-major, stride floats) into
 * bins[f * 64 + r] for the used features, rows nr..63 bin 0, and for binary
 * forests bins[(nf + f) * 64 + r] = bins[f * 64 + r] + 1 (mod 256); the block
 * buffer holds 2 * nf * 64 bytes.  AVX2 stores every bin XORed with 0x80 (its
 * kernels compare bytes signed); AVX-512 stores them as they are. */

/* The categorical layout features of a block (after the vector binners),
 * XORed with bias. */
void sw__bin_cats_block(const sw__layout *L, const float *X, long stride, int nr, uint8_t *bins, uint8_t bias);

void sw__bin_block_avx2(const sw__layout *L, const float *X, long stride, int nr, uint8_t *bins);
void sw__bin_block_avx512(const sw__layout *L, const float *X, long stride, int nr, uint8_t *bins);

/* One binned row (sw__bin_row) of a binary forest with at most 128 layout
 * features: base (the group's base margin) plus layout trees t0..t1. */
float sw__score_row_avx512(const sw__layout *L, const uint8_t *rb, int t0, int t1, float base);
/* The same with AVX2 (L->r2, at most 128 layout features): 64 nodes a tree
 * fetched from the row's bins with a byte shuffle per 16 bins used. */
float sw__score_row_avx2(const sw__layout *L, const uint8_t *rb, int t0, int t1, float base);
/* One row of an oblivious forest (L->orow_ok); the raw sum before scale and bias. */
double sw__score_orow_avx512(const sw__layout *L, const float *x);
/* The same with AVX2 (L->orow_tabs > 0): four trees' 32 levels a step, their
 * bins fetched with byte shuffles from the row's first 16 * orow_tabs bins. */
double sw__score_orow_avx2(const sw__layout *L, const float *x);

/* Margins of layout trees t0..t1 over a binned block: float32 acc from base
 * (binary: the group's base margin) or double acc from 0 (oblivious). */
void sw__score_block_avx2(const sw__layout *L, const uint8_t *bins, int nr, int t0, int t1, float base, float *accf,
                          double *accd, uint64_t *scratch, uint8_t *pbuf);
void sw__score_block_avx512(const sw__layout *L, const uint8_t *bins, int nr, int t0, int t1, float base, float *accf,
                            double *accd, uint64_t *scratch, uint8_t *pbuf);

#endif
