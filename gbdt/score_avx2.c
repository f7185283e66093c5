/* score_avx2: the binned block kernels with AVX2.
 *
 * The block's bins carry a bias of 0x80 (the binner XORs it in), so that one
 * signed compare tells bin <= k: ckb > bin, ckb holding k + 1 with the same
 * bias (the bins are the compare's memory operand).
 * Binary trees of depth <= 6: each node's right-going rows come from that
 * compare, and a blend per node builds the leaf positions bottom-up (see
 * score_impl.h); depth 7-8 trees full enough the same for their top six
 * levels, then level by level by each row's node (deep_level); depth 9-10
 * trees with enough nodes the same way over up to 512 nodes a level
 * (deep10_tree); bushy deeper trees the same six levels, then one level a
 * step with gathers (walk_tree).
 * Other trees of at most 256 leaves: a program (run_program, sw__prog), a
 * compare and a blend per node, children first.  Past 256 leaves: the rows
 * reaching each node are a 64-bit mask (compares and movemask); leaves write
 * their index into their rows bit by bit.  Complete depth-6 trees' values
 * come from byte planes by shuffles (add_planes), other trees' are gathered
 * 8 rows at a time; all are added in float32.  Oblivious trees: signed
 * compares build the leaf indices of 32 rows per register; values are
 * gathered 4 rows at a time and added in double.
 * Loops over small arrays of vectors carry `#pragma GCC unroll`: at -O2 GCC
 * leaves some of them rolled, and the arrays then live on the stack. */
#include <immintrin.h>
#include <string.h>

#include "score_impl.h"

/* Rows going left: bin <= kk on the node's bins (bins + 1 for missing-left
 * nodes, see sw__vnode), bias-shifted bins compared signed. */
static inline uint64_t le_mask(const uint8_t *b, uint8_t kk)
{
    __m256i K = _mm256_set1_epi8((char)(kk ^ 0x80));
    uint32_t m0 = (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(_mm256_load_si256((const __m256i *)b), K));
    uint32_t m1 = (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(_mm256_load_si256((const __m256i *)(b + 32)), K));
    return ~((uint64_t)m0 | (uint64_t)m1 << 32);
}

/* Complete trees (score_impl.h): the leaf position of each row, bottom-up:
 * a node's value is its left child's where the row goes left, else its right
 * child's plus the number of leaves left of it; 32 rows per register, the
 * recursion unrolled at compile time.  The bins carry a bias of 0x80 and ckb
 * holds k + 1 with the same bias, so that one signed compare tells left,
 * ckb > bin, with the bins read by the compare itself. */
typedef struct {
    __m256i a, b;
} v2;

#define AI static inline __attribute__((always_inline))

AI void left_of(const uint8_t *bins, const uint16_t *cb, const uint8_t *ckb, int i, __m256i *m0, __m256i *m1)
{
    __m256i K = _mm256_set1_epi8((char)ckb[i]);
    *m0 = _mm256_cmpgt_epi8(K, _mm256_load_si256((const __m256i *)(bins + cb[i])));
    *m1 = _mm256_cmpgt_epi8(K, _mm256_load_si256((const __m256i *)(bins + cb[i] + 32)));
}

AI v2 ct1(const uint8_t *bins, const uint16_t *cb, const uint8_t *ckb, int i)
{
    __m256i m0, m1, one = _mm256_set1_epi8(1);
    left_of(bins, cb, ckb, i, &m0, &m1);
    return (v2){_mm256_andnot_si256(m0, one), _mm256_andnot_si256(m1, one)};
}
#define CT(n, m)                                                                        \
    AI v2 ct##n(const uint8_t *bins, const uint16_t *cb, const uint8_t *ckb, int i)     \
    {                                                                                   \
        v2 l = ct##m(bins, cb, ckb, 2 * i + 1), r = ct##m(bins, cb, ckb, 2 * i + 2);    \
        __m256i m0, m1, bit = _mm256_set1_epi8((char)(1 << (n - 1)));                   \
        left_of(bins, cb, ckb, i, &m0, &m1);                                            \
        return (v2){_mm256_blendv_epi8(_mm256_add_epi8(r.a, bit), l.a, m0),            \
                    _mm256_blendv_epi8(_mm256_add_epi8(r.b, bit), l.b, m1)};            \
    }
CT(2, 1)
CT(3, 2)
CT(4, 3)
CT(5, 4)
CT(6, 5)
CT(7, 6)
CT(8, 7)

static inline v2 complete_leaves(const uint8_t *bins, const uint16_t *cb, const uint8_t *ckb, int D)
{
    switch (D) {
    case 1: return ct1(bins, cb, ckb, 0);
    case 2: return ct2(bins, cb, ckb, 0);
    case 3: return ct3(bins, cb, ckb, 0);
    case 4: return ct4(bins, cb, ckb, 0);
    case 5: return ct5(bins, cb, ckb, 0);
    case 6: return ct6(bins, cb, ckb, 0);
    case 7: return ct7(bins, cb, ckb, 0);
    case 8: return ct8(bins, cb, ckb, 0);
    default: return (v2){_mm256_setzero_si256(), _mm256_setzero_si256()};
    }
}

/* Byte tables of 64 and 128 entries looked up by each row's position
 * (0..63 or 0..127; 32 rows per register): a 16-entry shuffle per quarter,
 * then blends on the position's bits 4-6 (moved to each byte's sign bit). */
AI __m256i look64(const uint8_t *tab, __m256i p, __m256i s4, __m256i s5)
{
    __m256i q0 = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)tab)), p);
    __m256i q1 = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(tab + 16))), p);
    __m256i q2 = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(tab + 32))), p);
    __m256i q3 = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(tab + 48))), p);
    return _mm256_blendv_epi8(_mm256_blendv_epi8(q0, q1, s4), _mm256_blendv_epi8(q2, q3, s4), s5);
}

AI __m256i lookup(const uint8_t *tab, int n, __m256i p)
{
    __m256i p4 = _mm256_and_si256(p, _mm256_set1_epi8(15)); /* pshufb zeroes where bit 7 is set */
    __m256i s4 = _mm256_slli_epi16(p, 3), s5 = _mm256_slli_epi16(p, 2);
    __m256i lo = look64(tab, p4, s4, s5);
    if (n == 64) return lo;
    return _mm256_blendv_epi8(lo, look64(tab + 64, p4, s4, s5), _mm256_slli_epi16(p, 1));
}

/* Adds complete tree leaf values to 32 rows' accumulators a[0..4) (rows 8q
 * to 8q + 7 in a[q]) from their leaf positions (0..63): each byte of the
 * value from its plane (pl + 64 q, score_impl.h) by look64, then the four
 * planes interleaved into floats.  The unpacks interleave within 16-byte
 * lanes, so the positions are first reordered by 4-row dwords (rows 0-3,
 * 8-11, 16-19, 24-27 in the low lane) for the floats to come out in row order.
 * Gathers cost about 19 cycles per 8 rows here; this, about 2. */
AI void add_planes(__m256 *a, __m256i pos, const uint8_t *pl)
{
    __m256i p = _mm256_permutevar8x32_epi32(pos, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
    __m256i s4 = _mm256_slli_epi16(p, 3), s5 = _mm256_slli_epi16(p, 2), b[4];
#pragma GCC unroll 16
    for (int q = 0; q < 4; q++) b[q] = look64(pl + 64 * q, p, s4, s5);
    __m256i lo01 = _mm256_unpacklo_epi8(b[0], b[1]), hi01 = _mm256_unpackhi_epi8(b[0], b[1]);
    __m256i lo23 = _mm256_unpacklo_epi8(b[2], b[3]), hi23 = _mm256_unpackhi_epi8(b[2], b[3]);
    a[0] = _mm256_add_ps(a[0], _mm256_castsi256_ps(_mm256_unpacklo_epi16(lo01, lo23)));
    a[1] = _mm256_add_ps(a[1], _mm256_castsi256_ps(_mm256_unpackhi_epi16(lo01, lo23)));
    a[2] = _mm256_add_ps(a[2], _mm256_castsi256_ps(_mm256_unpacklo_epi16(hi01, hi23)));
    a[3] = _mm256_add_ps(a[3], _mm256_castsi256_ps(_mm256_unpackhi_epi16(hi01, hi23)));
}

/* Depth 7-8 (score_impl.h, sw__crec8): the top six levels bottom-up, then
 * each level by the row's node: feature, NaN side and threshold looked up by
 * position (feature and side in one byte when merged: L->d8fd), the row's bin
 * blended from the level's distinct features. */
AI void deep_side(const sw__crec8 *c, int off, int n, __m256i p, int merged, __m256i *fv, __m256i *dv)
{
    if (merged) {
        __m256i fd = lookup(c->cfd + off, n, p);
        *fv = _mm256_and_si256(fd, _mm256_set1_epi8(0x7f));
        *dv = _mm256_cmpgt_epi8(_mm256_setzero_si256(), fd); /* -1 where missing goes left */
    } else {
        *fv = lookup(c->cf + off, n, p);
        *dv = _mm256_sub_epi8(_mm256_setzero_si256(), lookup(c->cdl + off, n, p));
    }
}

/* Each row's bin of its node's feature (fa, fb: the block's halves) among
 * the nu distinct features u of a level: a compare and a blend each, both
 * halves in one pass (each feature's broadcast and bins' address serve both). */
AI void pick_bins(const uint8_t *bins, const uint8_t *u, int nu, __m256i fa, __m256i fb, __m256i *ba, __m256i *bb)
{
    __m256i a = _mm256_setzero_si256(), b = a;
#pragma GCC unroll 2
    for (int j = 0; j < nu; j++) {
        const uint8_t *src = bins + (size_t)u[j] * SW__BLOCK;
        __m256i f = _mm256_set1_epi8((char)u[j]);
        a = _mm256_blendv_epi8(a, _mm256_load_si256((const __m256i *)src), _mm256_cmpeq_epi8(fa, f));
        b = _mm256_blendv_epi8(b, _mm256_load_si256((const __m256i *)(src + 32)), _mm256_cmpeq_epi8(fb, f));
    }
    *ba = a;
    *bb = b;
}

/* One level below the top six for both halves of the block. */
AI v2 deep_level(const uint8_t *bins, const sw__crec8 *c, int lev, v2 p, int merged)
{
    int off = (1 << lev) - 1, n = 1 << lev;
    __m256i fa, da, fb, db;
    deep_side(c, off, n, p.a, merged, &fa, &da);
    deep_side(c, off, n, p.b, merged, &fb, &db);
    __m256i ba, bb;
    pick_bins(bins, c->u + off, c->un[lev], fa, fb, &ba, &bb);
    /* left when k > bin + dl (k holds k + dl + 1; NaN's 255 wraps to 0 where
     * missing goes left), on biased bytes; padding picks no bin, and either
     * side of it repeats one leaf */
    __m256i la = _mm256_cmpgt_epi8(lookup(c->ckb + off, n, p.a), _mm256_sub_epi8(ba, da));
    __m256i lb = _mm256_cmpgt_epi8(lookup(c->ckb + off, n, p.b), _mm256_sub_epi8(bb, db));
    __m256i one = _mm256_set1_epi8(1);
    return (v2){_mm256_add_epi8(_mm256_add_epi8(_mm256_add_epi8(p.a, p.a), one), la),
                _mm256_add_epi8(_mm256_add_epi8(_mm256_add_epi8(p.b, p.b), one), lb)};
}

AI v2 deep_leaves(const uint8_t *bins, const sw__crec8 *c, int D, int merged)
{
    v2 p = ct6(bins, c->cb, c->ckb, 0);
    for (int lev = 6; lev < D; lev++) p = deep_level(bins, c, lev, p, merged);
    return p;
}

/* Depth 9-10 (sw__crec10): as deep_leaves over up to 512 nodes a level.
 * Tables of 256 entries take two 128-entry lookups and a blend on the
 * position's bit 7, of 512 two of those and a blend on its bit 8.  Past
 * level 8 a position's low byte is in p and its bits 8 and 9 are the sign
 * bits of h8 and h9 (the low bytes they were shifted out of). */
typedef struct {
    __m256i p4, s4, s5, s6;
} lkey;

AI lkey lkey_of(__m256i p)
{
    return (lkey){_mm256_and_si256(p, _mm256_set1_epi8(15)), _mm256_slli_epi16(p, 3), _mm256_slli_epi16(p, 2),
                  _mm256_slli_epi16(p, 1)};
}

AI __m256i look128k(const uint8_t *tab, lkey k)
{
    return _mm256_blendv_epi8(look64(tab, k.p4, k.s4, k.s5), look64(tab + 64, k.p4, k.s4, k.s5), k.s6);
}

AI __m256i look_lev(const uint8_t *tab, int lev, __m256i p, lkey k, __m256i h8)
{
    if (lev == 6) return look64(tab, k.p4, k.s4, k.s5);
    if (lev == 7) return look128k(tab, k);
    __m256i v = _mm256_blendv_epi8(look128k(tab, k), look128k(tab + 128, k), p);
    if (lev == 8) return v;
    return _mm256_blendv_epi8(v, _mm256_blendv_epi8(look128k(tab + 256, k), look128k(tab + 384, k), p), h8);
}

static inline void deep10_tree(const sw__crec10 *c, const float *lv, int D, const uint8_t *bins, __m256 *acc)
{
    v2 p = ct6(bins, c->cb, c->ckb, 0), h8 = {_mm256_setzero_si256(), _mm256_setzero_si256()}, h9 = h8;
    const __m256i one = _mm256_set1_epi8(1), m7 = _mm256_set1_epi8(0x7f), bias = _mm256_set1_epi8((char)0x80);
    for (int lev = 6; lev < D; lev++) {
        int off = (1 << lev) - 1;
        lkey ka = lkey_of(p.a), kb = lkey_of(p.b);
        __m256i fda = look_lev(c->fd + off, lev, p.a, ka, h8.a), fdb = look_lev(c->fd + off, lev, p.b, kb, h8.b);
        __m256i fa = _mm256_and_si256(fda, m7), fb = _mm256_and_si256(fdb, m7);
        __m256i ba, bb;
        pick_bins(bins, c->u + off, c->un[lev], fa, fb, &ba, &bb);
        /* left when k + 1 > bin + dl on biased bytes (deep_level); NaN's 255
         * wraps to 0 where missing goes left; padding picks no bin */
        __m256i kba = _mm256_xor_si256(_mm256_add_epi8(look_lev(c->ck + off, lev, p.a, ka, h8.a), one), bias);
        __m256i kbb = _mm256_xor_si256(_mm256_add_epi8(look_lev(c->ck + off, lev, p.b, kb, h8.b), one), bias);
        __m256i la = _mm256_cmpgt_epi8(kba, _mm256_sub_epi8(ba, _mm256_cmpgt_epi8(_mm256_setzero_si256(), fda)));
        __m256i lb = _mm256_cmpgt_epi8(kbb, _mm256_sub_epi8(bb, _mm256_cmpgt_epi8(_mm256_setzero_si256(), fdb)));
        if (lev >= 8) { /* the position's bit 8 leaves the byte */
            h9 = h8;
            h8 = p;
        }
        p = (v2){_mm256_add_epi8(_mm256_add_epi8(_mm256_add_epi8(p.a, p.a), one), la),
                 _mm256_add_epi8(_mm256_add_epi8(_mm256_add_epi8(p.b, p.b), one), lb)};
    }
    uint8_t pos[SW__BLOCK] __attribute__((aligned(32))), hi8[SW__BLOCK] __attribute__((aligned(32))),
        hi9[SW__BLOCK] __attribute__((aligned(32)));
    _mm256_store_si256((__m256i *)pos, p.a);
    _mm256_store_si256((__m256i *)(pos + 32), p.b);
    _mm256_store_si256((__m256i *)hi8, h8.a);
    _mm256_store_si256((__m256i *)(hi8 + 32), h8.b);
    _mm256_store_si256((__m256i *)hi9, h9.a);
    _mm256_store_si256((__m256i *)(hi9 + 32), h9.b);
    const __m256i z = _mm256_setzero_si256(), b8 = _mm256_set1_epi32(256), b9 = _mm256_set1_epi32(512);
#pragma GCC unroll 16
    for (int g = 0; g < 8; g++) {
        __m256i i = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(pos + 8 * g)));
        __m256i x8 = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(hi8 + 8 * g)));
        __m256i x9 = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(hi9 + 8 * g)));
        i = _mm256_add_epi32(i, _mm256_and_si256(_mm256_cmpgt_epi32(z, x8), b8));
        i = _mm256_add_epi32(i, _mm256_and_si256(_mm256_cmpgt_epi32(z, x9), b9));
        acc[g] = _mm256_add_ps(acc[g], _mm256_i32gather_ps(lv, i, 4));
    }
}

/* A walked tree (sw__wtree): the top six levels bottom-up, then per 8 rows
 * one level a step (the node's record and the row's bin gathered), the leaf
 * values gathered by id. */
static inline void walk_tree(const sw__layout *L, const sw__wtree *w, const uint8_t *bins, __m256 *a)
{
    uint8_t pos[SW__BLOCK] __attribute__((aligned(32)));
    v2 p = ct6(bins, w->cb, w->ckb, 0);
    _mm256_store_si256((__m256i *)pos, p.a);
    _mm256_store_si256((__m256i *)(pos + 32), p.b);
    const int *rec = (const int *)(L->wrec + w->off);
    const float *val = L->wval + w->off;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m9 = _mm256_set1_epi32(511), m8 = _mm256_set1_epi32(255);
    __m256i id[8];
#pragma GCC unroll 16
    for (int g = 0; g < 8; g++)
        id[g] = _mm256_i32gather_epi32((const int *)w->id6, _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(pos + 8 * g))), 4);
    for (int lev = 6; lev < w->depth; lev++) {
#pragma GCC unroll 16
        for (int g = 0; g < 8; g++) {
            __m256i r = _mm256_i32gather_epi32(rec, id[g], 4);
            __m256i at = _mm256_add_epi32(_mm256_slli_epi32(_mm256_and_si256(r, m9), 6),
                                          _mm256_add_epi32(lane, _mm256_set1_epi32(8 * g)));
            __m256i b = _mm256_and_si256(_mm256_xor_si256(_mm256_i32gather_epi32((const int *)bins, at, 1),
                                                          _mm256_set1_epi32(0x80)), m8);
            /* bin (its bias removed) and k are 0..255: a signed compare is exact */
            __m256i right = _mm256_cmpgt_epi32(b, _mm256_and_si256(_mm256_srli_epi32(r, 9), m8));
            id[g] = _mm256_sub_epi32(_mm256_srli_epi32(r, 17), right);
        }
    }
#pragma GCC unroll 16
    for (int g = 0; g < 8; g++) a[g] = _mm256_add_ps(a[g], _mm256_i32gather_ps(val, id[g], 4));
}

/* A tree's program (sw__prog) over the block: each node's 64 leaf positions
 * from its children's, by the bins' compare; returns the root's (its slot,
 * the first after the splats).  Its loads bound it (seven a node: the word,
 * the bins, the children's values), not the compares. */
static inline const uint8_t *run_program(const sw__prog *pn, const sw__prog *pll, const sw__prog *pe,
                                         const uint8_t *bins, uint8_t *pb)
{
    /* node r of n writes slot n - 1 - r */
    uint8_t *o = pb + (SW__PSPLAT + (pe - pn) - 1) * 64;
    for (; pn < pll; pn++, o -= 64) { /* both children leaves: their splats from registers */
        uint64_t w = *pn;
        /* k (and here the leaves) broadcast from the register, not read again
         * from memory: the loads bound these loops */
        __asm__("" : "+r"(w));
        const uint8_t *b = bins + (w & 0xffffff);
        __m256i K = _mm256_set1_epi8((char)(((w >> 24 & 0xff) + 1) ^ 0x80));
        __m256i l = _mm256_set1_epi8((char)(w >> 38)), r = _mm256_set1_epi8((char)(w >> 54));
        _mm256_store_si256((__m256i *)o, _mm256_blendv_epi8(r, l, _mm256_cmpgt_epi8(K, _mm256_load_si256((const __m256i *)b))));
        _mm256_store_si256((__m256i *)(o + 32),
                           _mm256_blendv_epi8(r, l, _mm256_cmpgt_epi8(K, _mm256_load_si256((const __m256i *)(b + 32)))));
    }
    for (; pn < pe; pn++, o -= 64) {
        uint64_t w = *pn;
        __asm__("" : "+r"(w));
        const uint8_t *b = bins + (w & 0xffffff), *l = pb + (uint16_t)(w >> 32), *r = pb + (w >> 48);
        __m256i K = _mm256_set1_epi8((char)(((w >> 24 & 0xff) + 1) ^ 0x80)); /* left when k + 1 > bin */
        __m256i m0 = _mm256_cmpgt_epi8(K, _mm256_load_si256((const __m256i *)b));
        __m256i m1 = _mm256_cmpgt_epi8(K, _mm256_load_si256((const __m256i *)(b + 32)));
        __m256i v0 = _mm256_blendv_epi8(_mm256_load_si256((const __m256i *)r), _mm256_load_si256((const __m256i *)l), m0);
        __m256i v1 = _mm256_blendv_epi8(_mm256_load_si256((const __m256i *)(r + 32)),
                                        _mm256_load_si256((const __m256i *)(l + 32)), m1);
        _mm256_store_si256((__m256i *)o, v0);
        _mm256_store_si256((__m256i *)(o + 32), v1);
    }
    return pb + SW__PSPLAT * 64;
}

static void binary_block(const sw__layout *L, const uint8_t *bins, int nr, int t0, int t1, float base, float *acc,
                         uint64_t *scratch, uint8_t *pbuf)
{
    uint64_t valid = nr == 64 ? ~0ULL : ((1ULL << nr) - 1);
    __m256 a[8];
#pragma GCC unroll 16
    for (int g = 0; g < 8; g++) a[g] = _mm256_set1_ps(base);
    uint64_t rm[512];
    uint8_t idx[SW__BLOCK] __attribute__((aligned(32)));
    for (int t = t0; t < t1; t++) {
        const float *lv;
        const uint8_t *ix = idx;
        if (L->cd[t] >= 0) {
            v2 c = complete_leaves(bins, L->crec[t].cb, L->crec[t].ckb, L->cd[t]);
            add_planes(a, c.a, L->clp + (size_t)t * 256);
            add_planes(a + 4, c.b, L->clp + (size_t)t * 256);
            continue;
        } else if (L->cd10[t]) {
            deep10_tree(&L->d10[L->d10ix[t]], L->cl10 + (size_t)L->d10ix[t] * 1024, L->cd10[t], bins, a);
            continue;
        } else if (L->wix && L->wix[t] >= 0) {
            walk_tree(L, &L->wt[L->wix[t]], bins, a);
            continue;
        } else if (L->cd8[t]) {
            const sw__crec8 *c8 = &L->d8[L->d8ix[t]];
            v2 c = !L->d8top ? complete_leaves(bins, c8->cb, c8->ckb, L->cd8[t])
                   : L->d8fd ? deep_leaves(bins, c8, L->cd8[t], 1)
                             : deep_leaves(bins, c8, L->cd8[t], 0);
            _mm256_store_si256((__m256i *)idx, c.a);
            _mm256_store_si256((__m256i *)(idx + 32), c.b);
            lv = L->cl8 + (size_t)L->d8ix[t] * 256;
        } else if (L->poff[t + 1] > L->poff[t]) {
            ix = run_program(L->pg + L->poff[t], L->pg + L->poff[t] + L->pll[t], L->pg + L->poff[t + 1], bins, pbuf);
            lv = L->leaves + L->bt[t].leaf_off;
        } else { /* past 256 leaves: node masks, 16-bit leaf positions written row by row */
            const sw__stree *st = &L->bt[t];
            const sw__vnode *nd = L->vnodes + st->node_off;
            int ni = st->n_int, nl = st->n_leaf;
            lv = L->leaves + st->leaf_off;
            uint64_t *rmp = ni + nl > 512 ? scratch : rm;
            rmp[0] = valid;
            for (int i = 0; i < ni; i++) {
                uint64_t left = le_mask(bins + nd[i].boff, nd[i].kk);
                uint64_t m = rmp[i];
                rmp[nd[i].l] = m & left;
                rmp[nd[i].r] = m & ~left;
            }
            uint16_t i16[SW__BLOCK] __attribute__((aligned(32)));
            memset(i16, 0, sizeof i16);
            for (int j = 1; j < nl; j++)
                for (uint64_t m = rmp[ni + j]; m; m &= m - 1) i16[__builtin_ctzll(m)] = (uint16_t)j;
#pragma GCC unroll 16
            for (int g = 0; g < 8; g++) {
                __m256i i32 = _mm256_cvtepu16_epi32(_mm_load_si128((const __m128i *)(i16 + 8 * g)));
                a[g] = _mm256_add_ps(a[g], _mm256_i32gather_ps(lv, i32, 4));
            }
            continue;
        }
#pragma GCC unroll 16
        for (int g = 0; g < 8; g++) {
            __m256i i32 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(ix + 8 * g)));
            a[g] = _mm256_add_ps(a[g], _mm256_i32gather_ps(lv, i32, 4));
        }
    }
#pragma GCC unroll 16
    for (int g = 0; g < 8; g++) _mm256_store_ps(acc + 8 * g, a[g]);
}

static void oblivious_block(const sw__layout *L, const uint8_t *bins, int t0, int t1, double *acc)
{
    __m256d a[16];
#pragma GCC unroll 16
    for (int g = 0; g < 16; g++) a[g] = _mm256_setzero_pd();
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    uint8_t idx[SW__BLOCK] __attribute__((aligned(32)));
    for (int t = t0; t < t1; t++) {
        const sw__otree *ot = &L->ot[t];
        const uint16_t *of = L->of + ot->split_off;
        const uint8_t *ok = L->ok + ot->split_off;
        __m256i i0 = _mm256_setzero_si256(), i1 = _mm256_setzero_si256();
        for (int d = 0; d < ot->depth; d++) {
            const uint8_t *b = bins + (size_t)of[d] * SW__BLOCK;
            __m256i K = _mm256_xor_si256(_mm256_set1_epi8((char)ok[d]), bias);
            __m256i bit = _mm256_set1_epi8((char)(1 << d));
            __m256i v0 = _mm256_load_si256((const __m256i *)b); /* the bins carry the bias */
            __m256i v1 = _mm256_load_si256((const __m256i *)(b + 32));
            i0 = _mm256_or_si256(i0, _mm256_and_si256(_mm256_cmpgt_epi8(v0, K), bit));
            i1 = _mm256_or_si256(i1, _mm256_and_si256(_mm256_cmpgt_epi8(v1, K), bit));
        }
        _mm256_store_si256((__m256i *)idx, i0);
        _mm256_store_si256((__m256i *)(idx + 32), i1);
        const double *lv = L->oleaves + ot->leaf_off;
#pragma GCC unroll 16
        for (int g = 0; g < 16; g++) {
            int32_t w;
            __builtin_memcpy(&w, idx + 4 * g, 4);
            __m128i i32 = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(w));
            a[g] = _mm256_add_pd(a[g], _mm256_i32gather_pd(lv, i32, 8));
        }
    }
#pragma GCC unroll 16
    for (int g = 0; g < 16; g++) _mm256_store_pd(acc + 4 * g, a[g]);
}

/* 16 rows' 32-bit values (at most 32767) as 16-bit lanes in row order, and two
 * such (32 rows, values 0..255) as bytes in row order: packs work within
 * 128-bit lanes, so each is followed by a 64-bit permute. */
AI __m256i rows16(const int32_t *p)
{
    __m256i v = _mm256_packs_epi32(_mm256_loadu_si256((const __m256i *)p), _mm256_loadu_si256((const __m256i *)(p + 8)));
    return _mm256_permute4x64_epi64(v, 0xD8);
}

AI __m256i bytes32(__m256i lo, __m256i hi)
{
    return _mm256_permute4x64_epi64(_mm256_packus_epi16(lo, hi), 0xD8);
}

/* sw__wide_chunks on 16-bit lanes, 32 rows a step: the positions packed once,
 * then per chunk a subtract, clamp, NaN blend and a pack to bytes (the GCC
 * vector version converts 32-bit lanes to bytes chunk by chunk).  Positions
 * up to 32000 (beyond, the generic version). */
static void wide_chunks16(const sw__layout *L, int f, const int32_t *pos, uint8_t *bins)
{
    int nch = (L->wide_n[f] + SW__CHUNK - 1) / SW__CHUNK;
    __m256i p16[4]; /* rows 16q..16q+15 */
#pragma GCC unroll 16
    for (int q = 0; q < 4; q++) p16[q] = rows16(pos + 16 * q);
    const __m256i zero = _mm256_setzero_si256(), bias = _mm256_set1_epi8((char)0x80), one = _mm256_set1_epi8(1);
    for (int c = 0; c < nch; c++) {
        int s = c ? L->wide_slot[f] + c - 1 : f;
        uint8_t *o = bins + (size_t)s * SW__BLOCK, *o1 = bins + ((size_t)L->nf + (size_t)s) * SW__BLOCK;
        __m256i off = _mm256_set1_epi16((short)(c * SW__CHUNK)), n = _mm256_set1_epi16((short)L->nthr[s]);
        __m256i nb = _mm256_set1_epi16((short)L->nan_bin[s]);
        __m256i v[4];
#pragma GCC unroll 16
        for (int q = 0; q < 4; q++) {
            v[q] = _mm256_min_epi16(_mm256_max_epi16(_mm256_sub_epi16(p16[q], off), zero), n);
            v[q] = _mm256_blendv_epi8(v[q], nb, _mm256_cmpgt_epi16(zero, p16[q]));
        }
        for (int h = 0; h < 2; h++) {
            __m256i b = _mm256_xor_si256(bytes32(v[2 * h], v[2 * h + 1]), bias);
            _mm256_store_si256((__m256i *)(o + 32 * h), b);
            if (L->kind == SW_TREES_BINARY) _mm256_store_si256((__m256i *)(o1 + 32 * h), _mm256_add_epi8(b, one));
        }
    }
}

/* Binning 8 rows at a time: the feature's column copied out, then a
 * branchless binary search over its thresholds: the first five steps permute
 * the step's candidates from registers (L->lvl), the later ones gather. */
void sw__bin_block_avx2(const sw__layout *L, const float *X, long stride, int nr, uint8_t *bins)
{
    int binary = L->kind == SW_TREES_BINARY;
    __m256i lanes[8];
    float xc[SW__BLOCK] __attribute__((aligned(32)));
#pragma GCC unroll 16
    for (int g = 0; g < 8; g++) {
        lanes[g] = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), _mm256_add_epi32(_mm256_set1_epi32(8 * g),
                                                                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
    }
    int32_t wpos[SW__BLOCK];
    float xt[SW__TCOLS * SW__BLOCK] __attribute__((aligned(32)));
    int trans = L->nsrc <= SW__TCOLS;
    if (trans) sw__block_transpose(X, stride, nr, L->nsrc, xt);
    sw__tblock tb = {trans, 0, 0, 0};
    for (int u = 0; u < L->nused; u++) {
        int f = L->used[u];
        if (L->src[f] != f) continue; /* a wide feature's later chunk: binned with its first */
        /* a wide feature: one search over all its thresholds, each chunk's bin from it */
        int wide = L->wide_n && L->wide_n[f] > SW__CHUNK, n = wide ? L->wide_n[f] : L->nthr[f];
        const float *t = L->thr[f];
        const float *xcol = sw__block_src(L, X, stride, nr, u, &tb, xt, xc, sw__block_transpose);
        int top = 1;
        while (top * 2 <= n) top *= 2;
        __m256i vn1 = _mm256_set1_epi32(n + 1), nanb = _mm256_set1_epi32(L->nan_bin[f]);
        uint8_t *o = bins + (size_t)f * SW__BLOCK;
        for (int g0 = 0; g0 < 8; g0 += 4) { /* four groups' searches interleaved: independent gather chains */
            __m256 x[4];
            __m256i pos[4];
#pragma GCC unroll 16
            for (int g = 0; g < 4; g++) {
                x[g] = _mm256_load_ps(xcol + 8 * (g0 + g));
                pos[g] = _mm256_setzero_si256();
            }
            /* the first five steps from registers (L->lvl: a step's candidates
             * are few; NaN past n never compares true), then gathers */
            const float *lv = L->lvl + (size_t)f * SW__LVL;
            int l = 0, sh = 1;
            while ((2 << (sh - 1)) <= top) sh++; /* pos >> sh: the candidate's entry */
            for (int st = top; st > 0; st >>= 1, l++, sh--) {
                __m256 tl = _mm256_load_ps(lv + sw__lvl_off(l < 4 ? l : 4)), th = _mm256_load_ps(lv + sw__lvl_off(4) + 8);
#pragma GCC unroll 16
                for (int g = 0; g < 4; g++) {
                    __m256i cand = _mm256_add_epi32(pos[g], _mm256_set1_epi32(st));
                    __m256 tv, go;
                    if (l < 5) {
                        __m256i j = _mm256_srli_epi32(pos[g], sh);
                        tv = _mm256_permutevar8x32_ps(tl, j);
                        if (l == 4)
                            tv = _mm256_blendv_ps(tv, _mm256_permutevar8x32_ps(th, j),
                                                  _mm256_castsi256_ps(_mm256_slli_epi32(j, 28)));
                        go = binary ? _mm256_cmp_ps(tv, x[g], _CMP_LE_OQ) : _mm256_cmp_ps(tv, x[g], _CMP_LT_OQ);
                    } else {
                        __m256i ok = _mm256_cmpgt_epi32(vn1, cand); /* cand <= n */
                        tv = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), t, _mm256_sub_epi32(cand, _mm256_set1_epi32(1)),
                                                      _mm256_castsi256_ps(ok), 4);
                        go = binary ? _mm256_cmp_ps(tv, x[g], _CMP_LE_OQ) : _mm256_cmp_ps(tv, x[g], _CMP_LT_OQ);
                        go = _mm256_and_ps(go, _mm256_castsi256_ps(ok));
                    }
                    pos[g] = _mm256_blendv_epi8(pos[g], cand, _mm256_castps_si256(go));
                }
            }
#pragma GCC unroll 16
            for (int g = 0; g < 4; g++) {
                __m256i nanm = _mm256_castps_si256(_mm256_cmp_ps(x[g], x[g], _CMP_UNORD_Q));
                if (wide) { /* the position among all thresholds; -1 for NaN */
                    __m256i b = _mm256_blendv_epi8(pos[g], _mm256_set1_epi32(-1), nanm);
                    _mm256_storeu_si256((__m256i *)(wpos + 8 * (g0 + g)), b);
                    continue;
                }
                __m256i b = _mm256_blendv_epi8(pos[g], nanb, nanm);
                _mm256_storeu_si256((__m256i *)(wpos + 8 * (g0 + g)), _mm256_and_si256(b, lanes[g0 + g]));
            }
        }
        if (!wide) /* 64 bins (0..255) packed to bytes, biased */
            for (int h = 0; h < 2; h++) {
                __m256i b = bytes32(rows16(wpos + 32 * h), rows16(wpos + 32 * h + 16));
                _mm256_store_si256((__m256i *)(o + 32 * h), _mm256_xor_si256(b, _mm256_set1_epi8((char)0x80)));
            }
        if (wide) {
            for (int r = nr; r < SW__BLOCK; r++) wpos[r] = 0; /* rows past the block: bin 0 */
            if (L->wide_n[f] <= 32000) wide_chunks16(L, f, wpos, bins);
            else sw__wide_chunks(L, f, wpos, bins, 0x80);
            continue;
        }
        if (binary) {
            uint8_t *p1 = bins + ((size_t)L->nf + (size_t)f) * SW__BLOCK;
            for (int h = 0; h < 2; h++)
                _mm256_store_si256((__m256i *)(p1 + 32 * h), _mm256_add_epi8(_mm256_load_si256((const __m256i *)(o + 32 * h)),
                                                                             _mm256_set1_epi8(1)));
        }
    }
}

void sw__score_block_avx2(const sw__layout *L, const uint8_t *bins, int nr, int t0, int t1, float base, float *accf,
                          double *accd, uint64_t *scratch, uint8_t *pbuf)
{
    if (L->kind == SW_TREES_BINARY) {
        binary_block(L, bins, nr, t0, t1, base, accf, scratch, pbuf);
    } else {
        oblivious_block(L, bins, t0, t1, accd);
    }
}

/* 32 bytes of the row's bins picked by idx (below 16 T, T <= 8) from T
 * 16-byte tables: one shuffle per table, bits 4, 5 and 6 of idx choose among
 * them (the blends read each byte's bit 7, where a 16-bit shift by 3, 2 or 1
 * puts them). */
AI __m256i pick(const __m256i *tab, __m256i idx, int T)
{
#define SH(j) _mm256_shuffle_epi8(tab[j], idx)
    if (T == 1) return SH(0);
    __m256i s4 = _mm256_slli_epi16(idx, 3);
    __m256i a = _mm256_blendv_epi8(SH(0), SH(1), s4);
    if (T == 2) return a;
    __m256i s5 = _mm256_slli_epi16(idx, 2);
    a = _mm256_blendv_epi8(a, T == 3 ? SH(2) : _mm256_blendv_epi8(SH(2), SH(3), s4), s5);
    if (T <= 4) return a;
    __m256i b = T == 5 ? SH(4) : _mm256_blendv_epi8(SH(4), SH(5), s4);
    if (T >= 7) b = _mm256_blendv_epi8(b, T == 7 ? SH(6) : _mm256_blendv_epi8(SH(6), SH(7), s4), s5);
    return _mm256_blendv_epi8(a, b, _mm256_slli_epi16(idx, 1));
#undef SH
}

/* Bit i set: node i (single-row order) goes right: bin + dl > k' (the add
 * wraps, so NaN's 255 goes left where dl = 1), one signed compare on
 * bias-shifted bytes (the tables and k' carry the bias). */
AI uint64_t right_mask(const __m256i *tab, const uint8_t *r, int T)
{
    uint64_t m = 0;
    for (int h = 0; h < 2; h++) {
        __m256i v = _mm256_add_epi8(pick(tab, _mm256_load_si256((const __m256i *)(r + 32 * h)), T),
                                    _mm256_load_si256((const __m256i *)(r + 128 + 32 * h)));
        __m256i k = _mm256_load_si256((const __m256i *)(r + 64 + 32 * h));
        m |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(v, k)) << (32 * h);
    }
    return m;
}

AI float score_row(const sw__layout *L, const uint8_t *rb, int t0, int t1, float base, int T)
{
    __m256i tab[8];
    for (int q = 0; q < T; q++)
        tab[q] = _mm256_xor_si256(_mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(rb + 16 * q))),
                                  _mm256_set1_epi8((char)0x80));
    float acc = base;
#define ROW_MASK(t) right_mask(tab, L->r2 + (size_t)(t) * 192, T)
    SW__ROW_TREES(L, rb, t0, t1, acc, ROW_MASK);
#undef ROW_MASK
    return acc;
}

float sw__score_row_avx2(const sw__layout *L, const uint8_t *rb, int t0, int t1, float base)
{
    switch (L->r2_tabs) { /* one kernel per table count: the picks unroll */
    case 0:
    case 1: return score_row(L, rb, t0, t1, base, 1);
    case 2: return score_row(L, rb, t0, t1, base, 2);
    case 3: return score_row(L, rb, t0, t1, base, 3);
    case 4: return score_row(L, rb, t0, t1, base, 4);
    case 5: return score_row(L, rb, t0, t1, base, 5);
    case 6: return score_row(L, rb, t0, t1, base, 6);
    case 7: return score_row(L, rb, t0, t1, base, 7);
    default: return score_row(L, rb, t0, t1, base, 8);
    }
}

/* One row of an oblivious forest: bin it (NaN by its treatment), then per
 * four trees one set of byte shuffles fetches each (tree, level)'s bin and
 * one compare gives the 32 level outcomes: byte j of the mask is tree j's leaf
 * index (levels past a tree's depth compare with 255: never right).  The
 * leaves are added in tree order, in double, as the reference does. */
AI double orow(const sw__layout *L, const uint8_t *rb, int T)
{
    __m256i tab[8];
    for (int q = 0; q < T; q++) tab[q] = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(rb + 16 * q)));
    double sum = 0.0;
    for (int t0 = 0; t0 < L->n_trees; t0 += 4) {
        __m256i v = pick(tab, _mm256_loadu_si256((const __m256i *)(L->of8 + (size_t)t0 * 8)), T);
        __m256i k = _mm256_loadu_si256((const __m256i *)(L->ok8 + (size_t)t0 * 8));
        uint32_t m = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(v, k), v));
        int end = L->n_trees - t0 < 4 ? L->n_trees - t0 : 4;
        for (int j = 0; j < end; j++) sum += L->oleaves[L->ot[t0 + j].leaf_off + ((m >> (8 * j)) & 0xff)];
    }
    return sum;
}

double sw__score_orow_avx2(const sw__layout *L, const float *x)
{
    uint8_t rb[256] __attribute__((aligned(64)));
    sw__bin_row(L, x, rb);
    switch (L->orow_tabs) { /* one kernel per table count: the picks unroll */
    case 1: return orow(L, rb, 1);
    case 2: return orow(L, rb, 2);
    case 3: return orow(L, rb, 3);
    case 4: return orow(L, rb, 4);
    case 5: return orow(L, rb, 5);
    case 6: return orow(L, rb, 6);
    case 7: return orow(L, rb, 7);
    default: return orow(L, rb, 8);
    }
}
