/* part_avx2: the trainer's row partition, 8 rows at a time (AVX2).
 *
 * The same stable split as the scalar loop in partition.c: one gather brings the 8
 * rows' bins, one compare gives the rows that go left, and a permute from a
 * 256-entry table moves them (and the rights) to the front of a vector that is
 * stored whole.  AVX2 has no masked store that is fast on every CPU, so a
 * whole store writes up to 7 slots past the ones it owns; the callers' layouts
 * make that safe: lefts compacting in place never pass the read position, and
 * with `rev` (rights written backward towards the lefts) the loop stops while
 * 16 slots are left, so the two never meet.  The rest goes to the scalar
 * loop; the result is identical. */
#include <immintrin.h>

#include "train_impl.h"

#define PF 128 /* rows ahead */

/* lane indices of the set bits of m, in order (then zeros) */
static int32_t lut[256][8];
__attribute__((constructor)) static void init_lut(void)
{
    for (int m = 0; m < 256; m++) {
        int k = 0;
        for (int j = 0; j < 8; j++)
            if (m >> j & 1) lut[m][k++] = j;
        while (k < 8) lut[m][k++] = 0;
    }
}

long sw__part_avx2(const uint32_t *src, long n, const uint8_t *col, int bin, int dl, uint32_t *L, long *nl,
                   uint32_t *R, long *nr, int rev)
{
    const __m256i lo8 = _mm256_set1_epi32(0xff), vbinm1 = _mm256_set1_epi32(bin - 1);
    const __m256i miss = _mm256_set1_epi32(SW__MISSING_BIN);
    const __m256i rev_idx = _mm256_set_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    SW_ASSERT(bin >= 1 && bin <= SW__MISSING_BIN, "a split bin is above bin 0 and at most the missing bin");
    SW_ASSERT(rev || L + *nl <= src || L >= src + n, "in place, lefts never pass the read position (whole-vector stores)");
    SW_ASSERT(!rev || (R - *nr) - (L + *nl) + 1 >= n, "lefts and reversed rights have room for every row");
    long a = *nl, b = *nr, i = 0, stop = rev ? n - 16 : n - 8;
    for (; i <= stop; i += 8) {
        if (i + PF + 8 <= n) /* the bins PF rows ahead: the node's rows are sparse in the column */
            for (int j = 0; j < 8; j++) _mm_prefetch((const char *)col + src[i + PF + j], _MM_HINT_T0);
        __m256i rows = _mm256_loadu_si256((const __m256i *)(src + i));
        __m256i v = _mm256_and_si256(_mm256_i32gather_epi32((const int *)col, rows, 1), lo8);
        /* right: bin >= split (missing is 255, above every split), unless missing goes left */
        __m256i right = _mm256_cmpgt_epi32(v, vbinm1);
        if (dl) right = _mm256_andnot_si256(_mm256_cmpeq_epi32(v, miss), right);
        int mr = _mm256_movemask_ps(_mm256_castsi256_ps(right)), ml = ~mr & 0xff;
        int cl = __builtin_popcount((unsigned)ml), cr = 8 - cl;
        __m256i lv = _mm256_permutevar8x32_epi32(rows, _mm256_loadu_si256((const __m256i *)lut[ml]));
        __m256i rv = _mm256_permutevar8x32_epi32(rows, _mm256_loadu_si256((const __m256i *)lut[mr]));
        _mm256_storeu_si256((__m256i *)(L + a), lv);
        if (rev) {
            /* the j-th right goes to R[-(b + j)]: reversed, the first cr lanes end at R - b */
            __m256i rr = _mm256_permutevar8x32_epi32(rv, rev_idx);
            _mm256_storeu_si256((__m256i *)(R - b - 7), rr);
        } else {
            _mm256_storeu_si256((__m256i *)(R + b), rv);
        }
        a += cl;
        b += cr;
    }
    *nl = a;
    *nr = b;
    return i;
}
