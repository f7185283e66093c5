/* score_avx512: the binned block kernels with AVX-512 (F, BW, VL, DQ, VBMI).
 *
 * Binary trees of depth <= 6: complete trees, bottom-up (score_impl.h).
 * Depth 7-8 trees full enough: complete, the top six levels bottom-up, the
 * others level by level by each row's node (deep_level); their 256 leaf
 * values from registers.  Depth 9-10 trees with enough nodes the same way
 * (deep10_tree), over up to 512 nodes a level, their leaf values gathered.
 * Bushy deeper trees: the top six levels the same, then one level a step
 * with gathers (walk_tree).  Other trees of at most
 * 256 leaves: a program (run_program, sw__prog), a compare and a blend per
 * node, children first.  Past 256 leaves: for each internal node, one byte
 * compare over the block's 64 bins gives the rows that go left; the rows
 * reaching each node are a 64-bit mask; a leaf writes its 16-bit index into
 * its rows one by one.
 * Leaf values are then looked up 16 rows at a time (a permute for trees of up
 * to 32 leaves, a gather beyond) and added in float32.  Oblivious trees: one
 * compare and one masked add per level build the 64 leaf indices; values are
 * looked up 8 rows at a time and added in double.  Loops over small arrays of
 * vectors carry `#pragma GCC unroll` (see score_avx2.c). */
#include <immintrin.h>

#include <string.h>

#include "score_impl.h"

/* Leaf values of 16 rows: permutes from registers up to 64 leaves, a gather beyond. */
static inline __m512 leaf_values(const float *lv, int n_leaf, __m512i i32, const __m512 *tab)
{
    if (n_leaf <= 16) return _mm512_permutexvar_ps(i32, tab[0]);
    if (n_leaf <= 32) return _mm512_permutex2var_ps(tab[0], i32, tab[1]);
    if (n_leaf <= 64) {
        __m512 lo = _mm512_permutex2var_ps(tab[0], i32, tab[1]);
        __m512 hi = _mm512_permutex2var_ps(tab[2], i32, tab[3]);
        return _mm512_mask_blend_ps(_mm512_test_epi32_mask(i32, _mm512_set1_epi32(32)), lo, hi);
    }
    return _mm512_i32gather_ps(i32, lv, 4);
}

/* Complete trees: the leaf position of each of the 64 rows, bottom-up.  A
 * node's value is its left child's where the row goes left, else its right
 * child's plus the number of leaves left of it: one compare and one masked
 * byte add per node, in registers (the recursion unrolls at compile time). */
#define AI static inline __attribute__((always_inline))
/* written k < bins so that the compare takes the bins from memory */
#define RIGHT(i) _mm512_cmplt_epu8_mask(_mm512_set1_epi8((char)ck[i]), _mm512_load_si512((const void *)(bins + cb[i])))

AI __m512i ct1(const uint8_t *bins, const uint16_t *cb, const uint8_t *ck, int i)
{
    return _mm512_maskz_mov_epi8(RIGHT(i), _mm512_set1_epi8(1));
}
#define CT(n, m)                                                                            \
    AI __m512i ct##n(const uint8_t *bins, const uint16_t *cb, const uint8_t *ck, int i)     \
    {                                                                                       \
        __m512i l = ct##m(bins, cb, ck, 2 * i + 1), r = ct##m(bins, cb, ck, 2 * i + 2);     \
        return _mm512_mask_add_epi8(l, RIGHT(i), r, _mm512_set1_epi8((char)(1 << (n - 1)))); \
    }
CT(2, 1)
CT(3, 2)
CT(4, 3)
CT(5, 4)
CT(6, 5)
CT(7, 6)
CT(8, 7)

static inline __m512i complete_leaves(const uint8_t *bins, const uint16_t *cb, const uint8_t *ck, int D)
{
    switch (D) {
    case 1: return ct1(bins, cb, ck, 0);
    case 2: return ct2(bins, cb, ck, 0);
    case 3: return ct3(bins, cb, ck, 0);
    case 4: return ct4(bins, cb, ck, 0);
    case 5: return ct5(bins, cb, ck, 0);
    case 6: return ct6(bins, cb, ck, 0);
    case 7: return ct7(bins, cb, ck, 0);
    case 8: return ct8(bins, cb, ck, 0);
    default: return _mm512_setzero_si512();
    }
}

/* Each row's bin of its node's feature (fv) among the n distinct features u
 * of a level: one compare and one masked move each (a gather of the bins
 * costs more); each row matches one feature (padding none: bin 0, never
 * right), so two chains can be ORed. */
AI __m512i pick_bins(const uint8_t *bins, const uint8_t *u, int n, __m512i fv)
{
    __m512i b0 = _mm512_setzero_si512(), b1 = b0;
    int j = 0;
#define PICK(b, j) b = _mm512_mask_mov_epi8(b, _mm512_cmpeq_epi8_mask(fv, _mm512_set1_epi8((char)u[j])), \
                                            _mm512_load_si512((const void *)(bins + (size_t)u[j] * SW__BLOCK)))
    for (; j + 1 < n; j += 2) {
        PICK(b0, j);
        PICK(b1, j + 1);
    }
    if (j < n) PICK(b0, j);
#undef PICK
    return _mm512_or_si512(b0, b1);
}

/* Depth 7-8: the top six levels bottom-up (ct6), then level by level by the
 * row's node: its feature, NaN side and threshold by byte permutes over the
 * level's 64 or 128 nodes, the row's bin picked from the bins of the level's
 * distinct features (one compare and one masked move each: a gather of the
 * bins costs more). */
AI __m512i deep_level(const uint8_t *bins, const sw__crec8 *c, int lev, __m512i p)
{
    int off = (1 << lev) - 1;
    __m512i fv, dv, k;
    if (lev <= 6) {
        fv = _mm512_permutexvar_epi8(p, _mm512_loadu_si512((const void *)(c->cf + off)));
        dv = _mm512_permutexvar_epi8(p, _mm512_loadu_si512((const void *)(c->cdl + off)));
        k = _mm512_permutexvar_epi8(p, _mm512_loadu_si512((const void *)(c->ck + off)));
    } else {
        fv = _mm512_permutex2var_epi8(_mm512_loadu_si512((const void *)(c->cf + off)), p,
                                      _mm512_loadu_si512((const void *)(c->cf + off + 64)));
        dv = _mm512_permutex2var_epi8(_mm512_loadu_si512((const void *)(c->cdl + off)), p,
                                      _mm512_loadu_si512((const void *)(c->cdl + off + 64)));
        k = _mm512_permutex2var_epi8(_mm512_loadu_si512((const void *)(c->ck + off)), p,
                                     _mm512_loadu_si512((const void *)(c->ck + off + 64)));
    }
    __m512i bv = pick_bins(bins, c->u + off, c->un[lev], fv);
    /* right when bin + dl > k (k holds k + dl): NaN's 255 wraps to 0 where missing goes left */
    __mmask64 right = _mm512_cmpgt_epu8_mask(_mm512_add_epi8(bv, dv), k);
    __m512i pp = _mm512_add_epi8(p, p);
    return _mm512_mask_add_epi8(pp, right, pp, _mm512_set1_epi8(1));
}

static inline __m512i deep_leaves(const uint8_t *bins, const sw__crec8 *c, int D)
{
    __m512i p = ct6(bins, c->cb, c->ck, 0);
    for (int lev = 6; lev < D; lev++) p = deep_level(bins, c, lev, p);
    return p;
}

/* Byte i of the 256-entry table t at each position's byte (two 128-entry
 * permutes, bit 7 picks between them). */
AI __m512i look256(const uint8_t *t, __m512i p)
{
    __m512i lo = _mm512_permutex2var_epi8(_mm512_loadu_si512((const void *)t), p, _mm512_loadu_si512((const void *)(t + 64)));
    __m512i hi = _mm512_permutex2var_epi8(_mm512_loadu_si512((const void *)(t + 128)), p,
                                          _mm512_loadu_si512((const void *)(t + 192)));
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(p), lo, hi);
}

/* Depth 9-10 (sw__crec10): the top six levels bottom-up, then each level by
 * the row's node as deep_level, over 64 to 512 nodes.  A position's low byte
 * is in p; past level 8 its bit 8 is in h8 and bit 9 in h9.  The 1024 (512)
 * leaf values are gathered. */
static inline void deep10_tree(const sw__crec10 *c, const float *lv, int D, const uint8_t *bins, __m512 *a)
{
    __m512i p = ct6(bins, c->cb, c->ck, 0);
    __mmask64 h8 = 0, h9 = 0;
    const __m512i one = _mm512_set1_epi8(1), m7 = _mm512_set1_epi8(0x7f);
    for (int lev = 6; lev < D; lev++) {
        int off = (1 << lev) - 1;
        const uint8_t *fd = c->fd + off, *ck = c->ck + off;
        __m512i fdv, k;
        if (lev == 6) {
            fdv = _mm512_permutexvar_epi8(p, _mm512_loadu_si512((const void *)fd));
            k = _mm512_permutexvar_epi8(p, _mm512_loadu_si512((const void *)ck));
        } else if (lev == 7) {
            fdv = _mm512_permutex2var_epi8(_mm512_loadu_si512((const void *)fd), p, _mm512_loadu_si512((const void *)(fd + 64)));
            k = _mm512_permutex2var_epi8(_mm512_loadu_si512((const void *)ck), p, _mm512_loadu_si512((const void *)(ck + 64)));
        } else if (lev == 8) {
            fdv = look256(fd, p);
            k = look256(ck, p);
        } else {
            fdv = _mm512_mask_blend_epi8(h8, look256(fd, p), look256(fd + 256, p));
            k = _mm512_mask_blend_epi8(h8, look256(ck, p), look256(ck + 256, p));
        }
        __m512i fv = _mm512_and_si512(fdv, m7);
        __m512i bv = pick_bins(bins, c->u + off, c->un[lev], fv);
        /* right when bin + dl > k (k holds k + dl): NaN's 255 wraps to 0 where missing goes left */
        bv = _mm512_mask_add_epi8(bv, _mm512_movepi8_mask(fdv), bv, one);
        __mmask64 right = _mm512_cmpgt_epu8_mask(bv, k);
        if (lev >= 8) { /* the position's bit 8 leaves the byte */
            h9 = h8;
            h8 = _mm512_movepi8_mask(p);
        }
        __m512i pp = _mm512_add_epi8(p, p);
        p = _mm512_mask_add_epi8(pp, right, pp, one);
    }
    const __m512i b8 = _mm512_set1_epi32(256), b9 = _mm512_set1_epi32(512);
    /* the extract's lane must be a constant, also where -O1 leaves a loop rolled */
#define LEAVES(q)                                                                  \
    do {                                                                           \
        __m512i i = _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(p, q));         \
        i = _mm512_mask_add_epi32(i, (__mmask16)(h8 >> (16 * q)), i, b8);          \
        i = _mm512_mask_add_epi32(i, (__mmask16)(h9 >> (16 * q)), i, b9);          \
        a[q] = _mm512_add_ps(a[q], _mm512_i32gather_ps(i, lv, 4));                \
    } while (0)
    LEAVES(0);
    LEAVES(1);
    LEAVES(2);
    LEAVES(3);
#undef LEAVES
}

/* 256 leaf values of 16 rows from 16 registers: 8 two-table permutes, blends on bits 5-7 */
static inline __m512 leaf256(const __m512 *T, __m512i i)
{
    __m512 v0 = _mm512_permutex2var_ps(T[0], i, T[1]), v1 = _mm512_permutex2var_ps(T[2], i, T[3]);
    __m512 v2 = _mm512_permutex2var_ps(T[4], i, T[5]), v3 = _mm512_permutex2var_ps(T[6], i, T[7]);
    __m512 v4 = _mm512_permutex2var_ps(T[8], i, T[9]), v5 = _mm512_permutex2var_ps(T[10], i, T[11]);
    __m512 v6 = _mm512_permutex2var_ps(T[12], i, T[13]), v7 = _mm512_permutex2var_ps(T[14], i, T[15]);
    __mmask16 b5 = _mm512_test_epi32_mask(i, _mm512_set1_epi32(32)), b6 = _mm512_test_epi32_mask(i, _mm512_set1_epi32(64)),
              b7 = _mm512_test_epi32_mask(i, _mm512_set1_epi32(128));
    __m512 w0 = _mm512_mask_blend_ps(b5, v0, v1), w1 = _mm512_mask_blend_ps(b5, v2, v3);
    __m512 w2 = _mm512_mask_blend_ps(b5, v4, v5), w3 = _mm512_mask_blend_ps(b5, v6, v7);
    return _mm512_mask_blend_ps(b7, _mm512_mask_blend_ps(b6, w0, w1), _mm512_mask_blend_ps(b6, w2, w3));
}

static inline void add_leaves256(const float *lv, __m512i idx, __m512 *a0, __m512 *a1, __m512 *a2, __m512 *a3)
{
    __m512 T[16];
#pragma GCC unroll 16
    for (int q = 0; q < 16; q++) T[q] = _mm512_load_ps(lv + 16 * q);
    *a0 = _mm512_add_ps(*a0, leaf256(T, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 0))));
    *a1 = _mm512_add_ps(*a1, leaf256(T, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 1))));
    *a2 = _mm512_add_ps(*a2, leaf256(T, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 2))));
    *a3 = _mm512_add_ps(*a3, leaf256(T, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 3))));
}

static inline void add_leaves(const float *lv, int nl, __m512i idx, __m512 *a0, __m512 *a1, __m512 *a2, __m512 *a3)
{
    __m512 tab[4];
    if (nl <= 64) {
#pragma GCC unroll 16
        for (int q = 0; q < 4; q++) {
            int cnt = nl - 16 * q;
            tab[q] = cnt <= 0 ? _mm512_setzero_ps()
                              : _mm512_maskz_loadu_ps((__mmask16)(cnt >= 16 ? 0xffff : (1u << cnt) - 1), lv + 16 * q);
        }
    }
    *a0 = _mm512_add_ps(*a0, leaf_values(lv, nl, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 0)), tab));
    *a1 = _mm512_add_ps(*a1, leaf_values(lv, nl, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 1)), tab));
    *a2 = _mm512_add_ps(*a2, leaf_values(lv, nl, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 2)), tab));
    *a3 = _mm512_add_ps(*a3, leaf_values(lv, nl, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 3)), tab));
}

/* A walked tree (sw__wtree): the top six levels bottom-up, then per 16 rows
 * one level a step (the node's record and the row's bin gathered), the leaf
 * values gathered by id. */
static inline void walk_tree(const sw__layout *L, const sw__wtree *w, const uint8_t *bins, __m512 *a)
{
    __m512i p = ct6(bins, w->cb, w->ck, 0);
    const uint32_t *rec = L->wrec + w->off;
    const float *val = L->wval + w->off;
    __m512i t0 = _mm512_load_si512((const void *)w->id6), t1 = _mm512_load_si512((const void *)(w->id6 + 16));
    __m512i t2 = _mm512_load_si512((const void *)(w->id6 + 32)), t3 = _mm512_load_si512((const void *)(w->id6 + 48));
    __m512i id[4];
#define ID(q)                                                                                                  \
    do {                                                                                                       \
        __m512i i32 = _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(p, q));                                   \
        id[q] = _mm512_mask_blend_epi32(_mm512_test_epi32_mask(i32, _mm512_set1_epi32(32)),                    \
                                        _mm512_permutex2var_epi32(t0, i32, t1), _mm512_permutex2var_epi32(t2, i32, t3)); \
    } while (0)
    ID(0);
    ID(1);
    ID(2);
    ID(3);
#undef ID
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i m9 = _mm512_set1_epi32(511), m8 = _mm512_set1_epi32(255), one = _mm512_set1_epi32(1);
    for (int lev = 6; lev < w->depth; lev++)
#pragma GCC unroll 16
        for (int q = 0; q < 4; q++) {
            __m512i r = _mm512_i32gather_epi32(id[q], (const void *)rec, 4);
            __m512i at = _mm512_add_epi32(_mm512_slli_epi32(_mm512_and_si512(r, m9), 6),
                                          _mm512_add_epi32(lane, _mm512_set1_epi32(16 * q)));
            __m512i b = _mm512_and_si512(_mm512_i32gather_epi32(at, (const void *)bins, 1), m8);
            __mmask16 right = _mm512_cmpgt_epu32_mask(b, _mm512_and_si512(_mm512_srli_epi32(r, 9), m8));
            __m512i lc = _mm512_srli_epi32(r, 17);
            id[q] = _mm512_mask_add_epi32(lc, right, lc, one);
        }
#pragma GCC unroll 16
    for (int q = 0; q < 4; q++) a[q] = _mm512_add_ps(a[q], _mm512_i32gather_ps(id[q], val, 4));
}

/* A tree's program (sw__prog) over the block: each node's 64 leaf positions
 * from its children's by one compare; the root's. */
static inline __m512i run_program(const sw__prog *pn, const sw__prog *pll, const sw__prog *pe, const uint8_t *bins,
                                  uint8_t *pb)
{
    /* node r of n writes slot n - 1 - r */
    uint8_t *o = pb + (SW__PSPLAT + (pe - pn) - 1) * 64;
    for (; pn < pll; pn++, o -= 64) { /* both children leaves: their splats from registers */
        uint64_t w = *pn;
        /* k (and here the leaves) broadcast from the register, not read again
         * from memory: the loads bound these loops */
        __asm__("" : "+r"(w));
        __mmask64 right = _mm512_cmplt_epu8_mask(_mm512_set1_epi8((char)(w >> 24)),
                                                 _mm512_load_si512((const void *)(bins + (w & 0xffffff))));
        _mm512_store_si512((void *)o, _mm512_mask_blend_epi8(right, _mm512_set1_epi8((char)(w >> 38)),
                                                             _mm512_set1_epi8((char)(w >> 54))));
    }
    for (; pn < pe; pn++, o -= 64) {
        uint64_t w = *pn;
        __asm__("" : "+r"(w));
        __mmask64 right = _mm512_cmplt_epu8_mask(_mm512_set1_epi8((char)(w >> 24)),
                                                 _mm512_load_si512((const void *)(bins + (w & 0xffffff))));
        __m512i l = _mm512_load_si512((const void *)(pb + (uint16_t)(w >> 32)));
        __m512i r = _mm512_load_si512((const void *)(pb + (w >> 48)));
        _mm512_store_si512((void *)o, _mm512_mask_blend_epi8(right, l, r));
    }
    return _mm512_load_si512((const void *)(pb + SW__PSPLAT * 64));
}

static void binary_block(const sw__layout *L, const uint8_t *bins, int nr, int t0, int t1, float base, float *acc,
                         __mmask64 *scratch, uint8_t *pbuf)
{
    __m512 a0 = _mm512_set1_ps(base), a1 = a0, a2 = a0, a3 = a0;
    __mmask64 rm[512];
    __mmask64 valid = nr == 64 ? ~0ULL : (~0ULL >> (64 - nr));
    for (int t = t0; t < t1; t++) {
        __m512i idx;
        const float *lv;
        int nl;
        int D = L->cd[t];
        if (D >= 0) {
            idx = complete_leaves(bins, L->crec[t].cb, L->crec[t].ck, D);
            lv = L->cl + (size_t)t * 64;
            nl = 1 << D;
        } else if (L->cd10[t]) {
            __m512 a[4] = {a0, a1, a2, a3};
            deep10_tree(&L->d10[L->d10ix[t]], L->cl10 + (size_t)L->d10ix[t] * 1024, L->cd10[t], bins, a);
            a0 = a[0];
            a1 = a[1];
            a2 = a[2];
            a3 = a[3];
            continue;
        } else if (L->wix && L->wix[t] >= 0) {
            __m512 a[4] = {a0, a1, a2, a3};
            walk_tree(L, &L->wt[L->wix[t]], bins, a);
            a0 = a[0];
            a1 = a[1];
            a2 = a[2];
            a3 = a[3];
            continue;
        } else if (L->cd8[t]) {
            const sw__crec8 *c = &L->d8[L->d8ix[t]];
            idx = L->d8top ? deep_leaves(bins, c, L->cd8[t]) : complete_leaves(bins, c->cb, c->ck, L->cd8[t]);
            add_leaves256(L->cl8 + (size_t)L->d8ix[t] * 256, idx, &a0, &a1, &a2, &a3);
            continue;
        } else if (L->poff[t + 1] > L->poff[t]) {
            idx = run_program(L->pg + L->poff[t], L->pg + L->poff[t] + L->pll[t], L->pg + L->poff[t + 1], bins, pbuf);
            lv = L->leaves + L->bt[t].leaf_off;
            nl = L->bt[t].n_leaf;
        } else { /* past 256 leaves: node masks, 16-bit leaf positions written row by row */
            const sw__stree *st = &L->bt[t];
            const sw__vnode *nd = L->vnodes + st->node_off;
            lv = L->leaves + st->leaf_off;
            int ni = st->n_int;
            nl = st->n_leaf;
            __mmask64 *rmp = ni + nl > 512 ? scratch : rm;
            rmp[0] = valid;
            for (int i = 0; i < ni; i++) {
                __m512i v = _mm512_load_si512((const void *)(bins + nd[i].boff));
                __mmask64 m = rmp[i];
                __mmask64 left = _mm512_mask_cmple_epu8_mask(m, v, _mm512_set1_epi8((char)nd[i].kk));
                rmp[nd[i].l] = left;
                rmp[nd[i].r] = _kandn_mask64(left, m);
            }
            uint16_t i16[SW__BLOCK] __attribute__((aligned(64)));
            memset(i16, 0, sizeof i16);
            for (int j = 1; j < nl; j++)
                for (uint64_t m = rmp[ni + j]; m; m &= m - 1) i16[__builtin_ctzll(m)] = (uint16_t)j;
            a0 = _mm512_add_ps(a0, _mm512_i32gather_ps(_mm512_cvtepu16_epi32(_mm256_load_si256((const __m256i *)i16)), lv, 4));
            a1 = _mm512_add_ps(a1, _mm512_i32gather_ps(_mm512_cvtepu16_epi32(_mm256_load_si256((const __m256i *)(i16 + 16))), lv, 4));
            a2 = _mm512_add_ps(a2, _mm512_i32gather_ps(_mm512_cvtepu16_epi32(_mm256_load_si256((const __m256i *)(i16 + 32))), lv, 4));
            a3 = _mm512_add_ps(a3, _mm512_i32gather_ps(_mm512_cvtepu16_epi32(_mm256_load_si256((const __m256i *)(i16 + 48))), lv, 4));
            continue;
        }
        add_leaves(lv, nl, idx, &a0, &a1, &a2, &a3);
    }
    _mm512_store_ps(acc, a0);
    _mm512_store_ps(acc + 16, a1);
    _mm512_store_ps(acc + 32, a2);
    _mm512_store_ps(acc + 48, a3);
}

static void oblivious_block(const sw__layout *L, const uint8_t *bins, int t0, int t1, double *acc)
{
    __m512d a[8];
#pragma GCC unroll 16
    for (int g = 0; g < 8; g++) a[g] = _mm512_setzero_pd();
    for (int t = t0; t < t1; t++) {
        const sw__otree *ot = &L->ot[t];
        const uint16_t *of = L->of + ot->split_off;
        const uint8_t *ok = L->ok + ot->split_off;
        __m512i idx = _mm512_setzero_si512();
        for (int d = 0; d < ot->depth; d++) {
            __m512i v = _mm512_load_si512((const void *)(bins + (size_t)of[d] * SW__BLOCK));
            __mmask64 m = _mm512_cmpgt_epu8_mask(v, _mm512_set1_epi8((char)ok[d]));
            idx = _mm512_mask_add_epi8(idx, m, idx, _mm512_set1_epi8((char)(1 << d)));
        }
        const double *lv = L->oleaves + ot->leaf_off;
        __m128i i0 = _mm512_extracti32x4_epi32(idx, 0), i1 = _mm512_extracti32x4_epi32(idx, 1);
        __m128i i2 = _mm512_extracti32x4_epi32(idx, 2), i3 = _mm512_extracti32x4_epi32(idx, 3);
        __m128i parts[8] = {i0, _mm_srli_si128(i0, 8), i1, _mm_srli_si128(i1, 8),
                            i2, _mm_srli_si128(i2, 8), i3, _mm_srli_si128(i3, 8)};
        if (ot->depth <= 3) {
            __m512d tab = _mm512_maskz_loadu_pd((__mmask8)((1u << (1 << ot->depth)) - 1), lv);
#pragma GCC unroll 16
            for (int g = 0; g < 8; g++)
                a[g] = _mm512_add_pd(a[g], _mm512_permutexvar_pd(_mm512_cvtepu8_epi64(parts[g]), tab));
        } else if (ot->depth == 4) {
            __m512d lo = _mm512_loadu_pd(lv), hi = _mm512_loadu_pd(lv + 8);
#pragma GCC unroll 16
            for (int g = 0; g < 8; g++)
                a[g] = _mm512_add_pd(a[g], _mm512_permutex2var_pd(lo, _mm512_cvtepu8_epi64(parts[g]), hi));
        } else if (ot->depth <= 6) { /* up to 64 leaves: permutes from registers, blends on bits 4 and 5 */
            __m512d tb[8];
            int nl = 1 << ot->depth;
#pragma GCC unroll 16
            for (int q = 0; q < 8; q++) tb[q] = 8 * q < nl ? _mm512_loadu_pd(lv + 8 * q) : _mm512_setzero_pd();
#pragma GCC unroll 16
            for (int g = 0; g < 8; g++) {
                __m512i i = _mm512_cvtepu8_epi64(parts[g]);
                __mmask8 b4 = _mm512_test_epi64_mask(i, _mm512_set1_epi64(16));
                __m512d v = _mm512_mask_blend_pd(b4, _mm512_permutex2var_pd(tb[0], i, tb[1]), _mm512_permutex2var_pd(tb[2], i, tb[3]));
                if (nl > 32) {
                    __m512d w = _mm512_mask_blend_pd(b4, _mm512_permutex2var_pd(tb[4], i, tb[5]),
                                                     _mm512_permutex2var_pd(tb[6], i, tb[7]));
                    v = _mm512_mask_blend_pd(_mm512_test_epi64_mask(i, _mm512_set1_epi64(32)), v, w);
                }
                a[g] = _mm512_add_pd(a[g], v);
            }
        } else {
#pragma GCC unroll 16
            for (int g = 0; g < 8; g++)
                a[g] = _mm512_add_pd(a[g], _mm512_i64gather_pd(_mm512_cvtepu8_epi64(parts[g]), lv, 8));
        }
    }
#pragma GCC unroll 16
    for (int g = 0; g < 8; g++) _mm512_store_pd(acc + 8 * g, a[g]);
}

/* Binning 16 rows at a time: the feature's column copied out, then a
 * branchless binary search over its thresholds: the first seven steps permute
 * the step's candidates from registers (L->lvl), the later ones gather. */
/* sw__block_transpose in 16 x 16 tiles: sixteen rows' 16 floats loaded
 * (masked past nc: no fault), transposed in registers, stored as 16 column
 * pieces; the next block's rows prefetched.  The loops over the tile's
 * registers must unroll (else the tile lives on the stack). */
static void transpose16(const float *X, long stride, int nr, int nc, float *out)
{
    for (int r0 = 0; r0 < SW__BLOCK; r0 += 16) {
        int rows = nr - r0;
        for (int i = 0; i < 16 && i < rows; i++) {
            const float *p = X + (size_t)(r0 + i) * (size_t)stride + (size_t)SW__BLOCK * (size_t)stride;
            for (int c = 0; c < nc; c += 16) __builtin_prefetch(p + c);
        }
        for (int c0 = 0; c0 < nc; c0 += 16) {
            int w = nc - c0 < 16 ? nc - c0 : 16;
            __mmask16 cm = (__mmask16)(w == 16 ? 0xffff : (1u << w) - 1);
            __m512 r[16], t[16];
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++)
                r[i] = i < rows ? _mm512_maskz_loadu_ps(cm, X + (size_t)(r0 + i) * (size_t)stride + c0) : _mm512_setzero_ps();
#pragma GCC unroll 16
            for (int i = 0; i < 16; i += 2) {
                t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
                t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
            }
#pragma GCC unroll 16
            for (int i = 0; i < 16; i += 4) {
                r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
                r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
                r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
                r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
            }
#pragma GCC unroll 16
            for (int i = 0; i < 4; i++) {
                t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
                t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
                t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
                t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
            }
#pragma GCC unroll 16
            for (int i = 0; i < 8; i++) {
                r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
                r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
            }
            if (w == 16) {
#pragma GCC unroll 16
                for (int j = 0; j < 16; j++) _mm512_store_ps(out + (size_t)(c0 + j) * SW__BLOCK + r0, r[j]);
            } else {
#pragma GCC unroll 16
                for (int j = 0; j < 16; j++)
                    if (j < w) _mm512_store_ps(out + (size_t)(c0 + j) * SW__BLOCK + r0, r[j]);
            }
        }
    }
}

void sw__bin_block_avx512(const sw__layout *L, const float *X, long stride, int nr, uint8_t *bins)
{
    int binary = L->kind == SW_TREES_BINARY;
    __mmask16 lanes[4];
    float xc[SW__BLOCK] __attribute__((aligned(64)));
#pragma GCC unroll 16
    for (int g = 0; g < 4; g++) {
        int cnt = nr - 16 * g;
        lanes[g] = (__mmask16)(cnt >= 16 ? 0xffff : cnt <= 0 ? 0 : (1u << cnt) - 1);
    }
    int32_t wpos[SW__BLOCK] __attribute__((aligned(64)));
    float xt[SW__TCOLS * SW__BLOCK] __attribute__((aligned(64)));
    int trans = L->nsrc <= SW__TCOLS;
    if (trans) transpose16(X, stride, nr, L->nsrc, xt);
    sw__tblock tb = {trans, 0, 0, 0};
    for (int u = 0; u < L->nused; u++) {
        int f = L->used[u];
        if (L->src[f] != f) continue; /* a wide feature's later chunk: binned with its first */
        /* a wide feature: one search over all its thresholds, each chunk's bin from it */
        int wide = L->wide_n && L->wide_n[f] > SW__CHUNK, n = wide ? L->wide_n[f] : L->nthr[f];
        const float *t = L->thr[f];
        const float *xcol = sw__block_src(L, X, stride, nr, u, &tb, xt, xc, transpose16);
        int top = 1;
        while (top * 2 <= n) top *= 2;
        __m512i vn = _mm512_set1_epi32(n), nanb = _mm512_set1_epi32(L->nan_bin[f]);
        /* the four groups' searches interleaved: four independent gather chains */
        __m512 x[4];
        __m512i pos[4];
#pragma GCC unroll 16
        for (int g = 0; g < 4; g++) {
            x[g] = _mm512_load_ps(xcol + 16 * g);
            pos[g] = _mm512_setzero_si512();
        }
        /* the first SW__NLVL steps permute their candidates from registers
         * (L->lvl; NaN past n never compares true), the later ones gather */
        const float *lv = L->lvl + (size_t)f * SW__LVL;
        int l = 0, sh = 1;
        while ((2 << (sh - 1)) <= top) sh++; /* pos >> sh: the candidate's entry */
        for (int st = top; st > 0; st >>= 1, l++, sh--) {
            const float *q = lv + sw__lvl_off(l < SW__NLVL ? l : 0);
            __m512 q0 = _mm512_loadu_ps(q), q1 = _mm512_setzero_ps(), q2 = q1, q3 = q1;
            if (l >= 5 && l < SW__NLVL) q1 = _mm512_load_ps(q + 16);
            if (l == 6) {
                q2 = _mm512_load_ps(q + 32);
                q3 = _mm512_load_ps(q + 48);
            }
#pragma GCC unroll 16
            for (int g = 0; g < 4; g++) {
                __m512i cand = _mm512_add_epi32(pos[g], _mm512_set1_epi32(st));
                __mmask16 ok = 0xffff;
                __m512 tv;
                if (l < SW__NLVL) {
                    __m512i j = _mm512_srli_epi32(pos[g], (unsigned)sh);
                    tv = l < 5 ? _mm512_permutexvar_ps(j, q0) : _mm512_permutex2var_ps(q0, j, q1);
                    if (l == 6)
                        tv = _mm512_mask_blend_ps(_mm512_test_epi32_mask(j, _mm512_set1_epi32(32)), tv,
                                                  _mm512_permutex2var_ps(q2, j, q3));
                } else {
                    ok = _mm512_cmple_epi32_mask(cand, vn);
                    tv = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), ok, _mm512_sub_epi32(cand, _mm512_set1_epi32(1)), t, 4);
                }
                __mmask16 go = binary ? _mm512_mask_cmp_ps_mask(ok, tv, x[g], _CMP_LE_OQ)
                                      : _mm512_mask_cmp_ps_mask(ok, tv, x[g], _CMP_LT_OQ);
                pos[g] = _mm512_mask_mov_epi32(pos[g], go, cand);
            }
        }
        if (wide) { /* positions among all thresholds, -1 for NaN */
#pragma GCC unroll 16
            for (int g = 0; g < 4; g++)
                _mm512_store_si512((void *)(wpos + 16 * g),
                                   _mm512_mask_mov_epi32(pos[g], _mm512_cmp_ps_mask(x[g], x[g], _CMP_UNORD_Q),
                                                         _mm512_set1_epi32(-1)));
            for (int r = nr; r < SW__BLOCK; r++) wpos[r] = 0; /* rows past the block: bin 0 */
            sw__wide_chunks(L, f, wpos, bins, 0);
            continue;
        }
#pragma GCC unroll 16
        for (int g = 0; g < 4; g++) {
            __m512i b = _mm512_mask_mov_epi32(pos[g], _mm512_cmp_ps_mask(x[g], x[g], _CMP_UNORD_Q), nanb);
            b = _mm512_maskz_mov_epi32(lanes[g], b);
            _mm_store_si128((__m128i *)(bins + (size_t)f * SW__BLOCK + 16 * g), _mm512_cvtepi32_epi8(b));
        }
        if (binary) {
            __m512i v = _mm512_load_si512((const void *)(bins + (size_t)f * SW__BLOCK));
            _mm512_store_si512((void *)(bins + ((size_t)L->nf + (size_t)f) * SW__BLOCK),
                               _mm512_add_epi8(v, _mm512_set1_epi8(1)));
        }
    }
}

void sw__score_block_avx512(const sw__layout *L, const uint8_t *bins, int nr, int t0, int t1, float base, float *accf,
                            double *accd, uint64_t *scratch, uint8_t *pbuf)
{
    if (L->kind == SW_TREES_BINARY) {
        binary_block(L, bins, nr, t0, t1, base, accf, (__mmask64 *)scratch, pbuf);
    } else {
        oblivious_block(L, bins, t0, t1, accd);
    }
}

/* A single row (at most 128 layout features), binned (scalar binary search)
 * into b0, with b1 = b0 + 1 for missing-left nodes (past 64 features, two
 * registers each).  A complete tree then takes one byte permute to fetch
 * every node's bin and one compare for every node's outcome (a 64-bit mask,
 * bit i = node i goes right); two table lookups on the mask give the leaf
 * (SW__ROW_TREES: two trees at a time, software-pipelined).  A deeper tree is
 * walked node by node on the same bins. */
static inline __attribute__((always_inline)) uint64_t row_right(const sw__layout *L, int t, __m512i b0, __m512i b1,
                                                                __m512i b2, __m512i b3, int wide)
{
    const sw__crec *c = &L->crec[t];
    __m512i ix = _mm512_load_si512((const void *)c->ri);
    __m512i kk = _mm512_load_si512((const void *)c->rk);
    __m512i v = _mm512_permutex2var_epi8(b0, ix, b1);
    /* more than 64 layout features: bins in rb[0..128), bins + 1 in rb[128..256);
     * each half is one two-table permute, bit 7 of the index picks the half */
    if (wide) v = _mm512_mask_blend_epi8(_mm512_movepi8_mask(ix), v, _mm512_permutex2var_epi8(b2, ix, b3));
    return (uint64_t)_mm512_cmpgt_epu8_mask(v, kk);
}

static inline __attribute__((always_inline)) float score_row(const sw__layout *L, const uint8_t *rb, int t0, int t1,
                                                             float base, int wide)
{
    __m512i b0 = _mm512_load_si512((const void *)rb);
    __m512i b1 = _mm512_load_si512((const void *)(rb + 64));
    __m512i b2 = _mm512_load_si512((const void *)(rb + 128));
    __m512i b3 = _mm512_load_si512((const void *)(rb + 192));
    float acc = base;
#define ROW_MASK(t) row_right(L, (t), b0, b1, b2, b3, wide)
    SW__ROW_TREES(L, rb, t0, t1, acc, ROW_MASK);
#undef ROW_MASK
    return acc;
}

float sw__score_row_avx512(const sw__layout *L, const uint8_t *rb, int t0, int t1, float base)
{
    return L->roff == 128 ? score_row(L, rb, t0, t1, base, 1) : score_row(L, rb, t0, t1, base, 0);
}

/* A single row of an oblivious forest: bin it (#{b < x}, NaN by its
 * treatment), then per group of 8 trees one two-table byte permute fetches
 * each (tree, level)'s bin and one compare gives all 64 level outcomes: byte j
 * of the mask is tree j's leaf index. */
double sw__score_orow_avx512(const sw__layout *L, const float *x)
{
    uint8_t rb[256] __attribute__((aligned(64)));
    sw__bin_row(L, x, rb);
    __m512i b0 = _mm512_load_si512((const void *)rb);
    __m512i b1 = _mm512_load_si512((const void *)(rb + 64));
    double sum = 0.0;
    for (int t0 = 0; t0 < L->n_trees; t0 += 8) {
        __m512i ix = _mm512_load_si512((const void *)(L->of8 + (size_t)t0 * 8));
        __m512i kk = _mm512_load_si512((const void *)(L->ok8 + (size_t)t0 * 8));
        uint64_t m = (uint64_t)_mm512_cmpgt_epu8_mask(_mm512_permutex2var_epi8(b0, ix, b1), kk);
        int end = L->n_trees - t0 < 8 ? L->n_trees - t0 : 8;
        for (int j = 0; j < end; j++) sum += L->oleaves[L->ot[t0 + j].leaf_off + ((m >> (8 * j)) & 0xff)];
    }
    return sum;
}
