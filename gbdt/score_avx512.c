/* score_avx512: the binned block kernels with AVX-512 (F, BW, VL, DQ, VBMI).
 *
 * Binary trees: for each internal node, one byte compare over the block's 64
 * bins gives the rows that go left; the rows reaching each node are a 64-bit
 * mask; a leaf writes its index into its rows with one masked byte move.
 * Leaf values are then looked up 16 rows at a time (a permute for trees of up
 * to 32 leaves, a gather beyond) and added in float32.  Oblivious trees: one
 * compare and one masked add per level build the 64 leaf indices; values are
 * looked up 8 rows at a time and added in double. */
#include <immintrin.h>

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

/* Row masks live in vector registers as bytes (0x00 / 0xff per row): node
 * tests, reach propagation and leaf indices are then plain vector logic, with
 * no traffic between mask and general registers. */
/* Rows reaching each node are 64-bit masks kept in mask registers and a small
 * stack array; a leaf writes its index into its rows with one masked move. */
static void binary_block(const sw__layout *L, const uint8_t *bins, int nr, float *acc)
{
    __m512 a0 = _mm512_set1_ps(L->base_margin), a1 = a0, a2 = a0, a3 = a0;
    __mmask64 rm[512];
    __mmask64 valid = nr == 64 ? ~0ULL : (~0ULL >> (64 - nr));
    for (int t = 0; t < L->n_trees; t++) {
        const sw__stree *st = &L->bt[t];
        const sw__vnode *nd = L->vnodes + st->node_off;
        const float *lv = L->leaves + st->leaf_off;
        int ni = st->n_int, nl = st->n_leaf;
        rm[0] = valid;
        for (int i = 0; i < ni; i++) {
            __m512i v = _mm512_load_si512((const void *)(bins + nd[i].boff));
            __mmask64 m = rm[i];
            __mmask64 left = _mm512_mask_cmple_epu8_mask(m, v, _mm512_set1_epi8((char)nd[i].kk));
            rm[nd[i].l] = left;
            rm[nd[i].r] = _kandn_mask64(left, m);
        }
        __m512i idx = _mm512_setzero_si512(), idx2 = _mm512_setzero_si512();
        int j = 1;
        for (; j + 1 < nl; j += 2) {
            idx = _mm512_mask_mov_epi8(idx, rm[ni + j], _mm512_set1_epi8((char)j));
            idx2 = _mm512_mask_mov_epi8(idx2, rm[ni + j + 1], _mm512_set1_epi8((char)(j + 1)));
        }
        if (j < nl) idx = _mm512_mask_mov_epi8(idx, rm[ni + j], _mm512_set1_epi8((char)j));
        idx = _mm512_or_si512(idx, idx2);
        __m512 tab[4];
        if (nl <= 64) {
            for (int q = 0; q < 4; q++) {
                int cnt = nl - 16 * q;
                tab[q] = cnt <= 0 ? _mm512_setzero_ps()
                                  : _mm512_maskz_loadu_ps((__mmask16)(cnt >= 16 ? 0xffff : (1u << cnt) - 1), lv + 16 * q);
            }
        }
        a0 = _mm512_add_ps(a0, leaf_values(lv, nl, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 0)), tab));
        a1 = _mm512_add_ps(a1, leaf_values(lv, nl, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 1)), tab));
        a2 = _mm512_add_ps(a2, leaf_values(lv, nl, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 2)), tab));
        a3 = _mm512_add_ps(a3, leaf_values(lv, nl, _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 3)), tab));
    }
    _mm512_store_ps(acc, a0);
    _mm512_store_ps(acc + 16, a1);
    _mm512_store_ps(acc + 32, a2);
    _mm512_store_ps(acc + 48, a3);
}

static void oblivious_block(const sw__layout *L, const uint8_t *bins, double *acc)
{
    __m512d a[8];
    for (int g = 0; g < 8; g++) a[g] = _mm512_setzero_pd();
    for (int t = 0; t < L->n_trees; t++) {
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
            for (int g = 0; g < 8; g++)
                a[g] = _mm512_add_pd(a[g], _mm512_permutexvar_pd(_mm512_cvtepu8_epi64(parts[g]), tab));
        } else if (ot->depth == 4) {
            __m512d lo = _mm512_loadu_pd(lv), hi = _mm512_loadu_pd(lv + 8);
            for (int g = 0; g < 8; g++)
                a[g] = _mm512_add_pd(a[g], _mm512_permutex2var_pd(lo, _mm512_cvtepu8_epi64(parts[g]), hi));
        } else {
            for (int g = 0; g < 8; g++)
                a[g] = _mm512_add_pd(a[g], _mm512_i64gather_pd(_mm512_cvtepu8_epi64(parts[g]), lv, 8));
        }
    }
    for (int g = 0; g < 8; g++) _mm512_store_pd(acc + 8 * g, a[g]);
}

/* Binning 16 rows at a time: a gather of the feature's values, then a
 * branchless binary search over its thresholds, one gather per step. */
void sw__bin_block_avx512(const sw__layout *L, const float *X, long stride, int nr, uint8_t *bins)
{
    int binary = L->kind == SW_TREES_BINARY;
    __m512i rowoff[4];
    __mmask16 lanes[4];
    for (int g = 0; g < 4; g++) {
        rowoff[g] = _mm512_mullo_epi32(_mm512_add_epi32(_mm512_set1_epi32(16 * g),
                                                        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)),
                                       _mm512_set1_epi32((int)stride));
        int cnt = nr - 16 * g;
        lanes[g] = (__mmask16)(cnt >= 16 ? 0xffff : cnt <= 0 ? 0 : (1u << cnt) - 1);
    }
    for (int u = 0; u < L->nused; u++) {
        int f = L->used[u], n = L->nthr[f];
        const float *t = L->thr[f];
        int top = 1;
        while (top * 2 <= n) top *= 2;
        __m512i vn = _mm512_set1_epi32(n), nanb = _mm512_set1_epi32(L->nan_bin[f]);
        for (int g = 0; g < 4; g++) {
            __m512 x = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes[g], rowoff[g], X + f, 4);
            __m512i pos = _mm512_setzero_si512();
            for (int st = top; st > 0; st >>= 1) {
                __m512i cand = _mm512_add_epi32(pos, _mm512_set1_epi32(st));
                __mmask16 ok = _mm512_cmple_epi32_mask(cand, vn);
                __m512 tv = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), ok, _mm512_sub_epi32(cand, _mm512_set1_epi32(1)), t, 4);
                __mmask16 go = binary ? _mm512_mask_cmp_ps_mask(ok, tv, x, _CMP_LE_OQ)
                                      : _mm512_mask_cmp_ps_mask(ok, tv, x, _CMP_LT_OQ);
                pos = _mm512_mask_mov_epi32(pos, go, cand);
            }
            pos = _mm512_mask_mov_epi32(pos, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), nanb);
            pos = _mm512_maskz_mov_epi32(lanes[g], pos);
            _mm_store_si128((__m128i *)(bins + (size_t)f * SW__BLOCK + 16 * g), _mm512_cvtepi32_epi8(pos));
        }
        if (binary) {
            __m512i v = _mm512_load_si512((const void *)(bins + (size_t)f * SW__BLOCK));
            _mm512_store_si512((void *)(bins + ((size_t)L->nf + (size_t)f) * SW__BLOCK),
                               _mm512_add_epi8(v, _mm512_set1_epi8(1)));
        }
    }
}

void sw__score_block_avx512(const sw__layout *L, const uint8_t *bins, int nr, float *accf, double *accd)
{
    if (L->kind == SW_TREES_BINARY) {
        binary_block(L, bins, nr, accf);
    } else {
        oblivious_block(L, bins, accd);
    }
}

/* A single row: bin it (scalar binary search, at most 64 features), then per
 * tree one two-table byte permute fetches every node's bin, one compare gives
 * all node outcomes, and the failed nodes' leaf vectors are ANDed (eight at a
 * time); the first leaf left is the exit leaf (QuickScorer). */
double sw__score_row_avx512(const sw__layout *L, const float *x)
{
    uint8_t rb[64] __attribute__((aligned(64)));
    for (int k = 0; k < 64; k++) rb[k] = 0;
    for (int u = 0; u < L->nused; u++) {
        int f = L->used[u], n = L->nthr[f];
        const float *t = L->thr[f];
        float v = x[f];
        int lo = 0;
        if (v != v) {
            lo = 255;
        } else {
            int len = n;
            while (len > 0) {
                int half = len >> 1;
                int go = t[lo + half] <= v;
                lo = go ? lo + half + 1 : lo;
                len = go ? len - half - 1 : half;
            }
        }
        rb[f] = (uint8_t)lo;
    }
    __m512i b0 = _mm512_load_si512((const void *)rb);
    __m512i b1 = _mm512_add_epi8(b0, _mm512_set1_epi8(1));
    const __m512i ones = _mm512_set1_epi64(-1);
    float acc = L->base_margin;
    for (int t = 0; t < L->n_trees; t++) {
        __m512i ix = _mm512_loadu_si512((const void *)(L->rt_idx + (size_t)t * 64));
        __m512i kk = _mm512_loadu_si512((const void *)(L->rt_kk + (size_t)t * 64));
        uint64_t fail = ~(uint64_t)_mm512_cmple_epu8_mask(_mm512_permutex2var_epi8(b0, ix, b1), kk);
        const uint64_t *bv = L->rt_bv + (size_t)t * 64;
        __m512i r = ones;
        for (int j = 0; j < 8; j++)
            r = _mm512_and_si512(r, _mm512_mask_loadu_epi64(ones, (__mmask8)(fail >> (8 * j)), bv + 8 * j));
        uint64_t all = (uint64_t)_mm512_reduce_and_epi64(r);
        acc += L->rt_leaf[(size_t)t * 64 + (size_t)__builtin_ctzll(all)];
    }
    return (double)acc;
}
