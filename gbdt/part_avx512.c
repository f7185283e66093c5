/* part_avx512: the trainer's row partition, 16 rows at a time (AVX-512 F).
 *
 * The same stable split as the scalar loop in partition.c: one gather brings the 16
 * rows' bins, one compare gives the rows that go left, and two compresses with
 * masked stores append them to the left and right lists.  Masked stores write
 * exactly the slots the scalar loop writes, so in-place use and neighbouring
 * nodes on other threads are safe, and the result is identical. */
#include <immintrin.h>

#include "train_impl.h"

#define PF 128 /* rows ahead */

long sw__part_avx512(const uint32_t *src, long n, const uint8_t *col, int bin, int dl, uint32_t *L, long *nl,
                     uint32_t *R, long *nr, int rev)
{
    const __m512i lo8 = _mm512_set1_epi32(0xff), vbin = _mm512_set1_epi32(bin);
    const __m512i miss = _mm512_set1_epi32(SW__MISSING_BIN);
    const __m512i rev_idx = _mm512_set_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    SW_ASSERT(bin >= 1 && bin <= SW__MISSING_BIN, "a split bin is above bin 0 and at most the missing bin");
    SW_ASSERT(rev || L + *nl <= src || L >= src + n, "in place, lefts never pass the read position (whole-vector stores)");
    SW_ASSERT(!rev || (R - *nr) - (L + *nl) + 1 >= n, "lefts and reversed rights have room for every row");
    long a = *nl, b = *nr, i = 0;
    for (; i + 16 <= n; i += 16) {
        if (i + PF + 16 <= n) /* the bins PF rows ahead: the node's rows are sparse in the column */
            for (int j = 0; j < 16; j++) _mm_prefetch((const char *)col + src[i + PF + j], _MM_HINT_T0);
        __m512i rows = _mm512_loadu_si512((const void *)(src + i));
        __m512i v = _mm512_and_si512(_mm512_i32gather_epi32(rows, (const void *)col, 1), lo8);
        /* bins below the split go left; missing (never below it) follows dl */
        __mmask16 left = _mm512_cmplt_epu32_mask(v, vbin);
        if (dl) left |= _mm512_cmpeq_epu32_mask(v, miss);
        __mmask16 right = (__mmask16)~left;
        int cl = __builtin_popcount(left), cr = 16 - cl;
        _mm512_mask_storeu_epi32(L + a, (__mmask16)((1u << cl) - 1), _mm512_maskz_compress_epi32(left, rows));
        __m512i rr = _mm512_maskz_compress_epi32(right, rows);
        if (rev) {
            /* the j-th right goes to R[-(b + j)]: reversed, the top cr lanes end at R - b */
            _mm512_mask_storeu_epi32(R - b - 15, (__mmask16)(((1u << cr) - 1) << (16 - cr)),
                                     _mm512_permutexvar_epi32(rev_idx, rr));
        } else {
            _mm512_mask_storeu_epi32(R + b, (__mmask16)((1u << cr) - 1), rr);
        }
        a += cl;
        b += cr;
    }
    *nl = a;
    *nr = b;
    return i;
}
