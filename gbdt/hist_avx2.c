/* hist_avx2: this tree's columns of the binned rows, packed (AVX2).
 *
 * colsample_bytree leaves the histogram kernel reading a feature list; packed
 * rows of just the tree's features (32 bytes a row, never across a cache
 * line) let it read bins at fixed offsets instead.  Each row is four 16-byte
 * loads (the binned matrix has 64 bytes of padding) and, per 16 output bytes,
 * one byte shuffle per load, OR-ed.  With at most 24 features the row's
 * gradient pair fills bytes 24..31, so the histogram kernel reads one cache
 * line a row.  Only the given rows are written. */
#include <immintrin.h>
#include <string.h>

#include "train_impl.h"

void sw__pack_rows_avx2(const sw__binned *b, const int *feats, int nfeat, const uint32_t *rows, long n,
                        const sw__gpair *gh, uint8_t *out)
{
    int nch = (b->nf + 15) / 16; /* at most 4 */
    SW_ASSERT(b->nf <= 64 && nfeat <= 32, "packing reads four 16-byte loads of a row and writes 32 bytes");
    uint8_t m[2][4][16];
    memset(m, 0x80, sizeof m); /* 0x80: the shuffle writes zero */
    for (int j = 0; j < nfeat; j++) m[j / 16][feats[j] / 16][j % 16] = (uint8_t)(feats[j] % 16);
    __m128i lo[4], hi[4];
    for (int c = 0; c < 4; c++) {
        lo[c] = _mm_loadu_si128((const __m128i *)m[0][c]);
        hi[c] = _mm_loadu_si128((const __m128i *)m[1][c]);
    }
    for (long i = 0; i < n; i++) {
        uint32_t r = rows[i];
        const uint8_t *row = b->bins + (size_t)r * (size_t)b->nf;
        __m128i x0 = _mm_loadu_si128((const __m128i *)row), x1 = _mm_loadu_si128((const __m128i *)(row + 16));
        __m128i l = _mm_or_si128(_mm_shuffle_epi8(x0, lo[0]), _mm_shuffle_epi8(x1, lo[1]));
        __m128i h = _mm_or_si128(_mm_shuffle_epi8(x0, hi[0]), _mm_shuffle_epi8(x1, hi[1]));
        if (nch > 2) {
            __m128i x2 = _mm_loadu_si128((const __m128i *)(row + 32));
            l = _mm_or_si128(l, _mm_shuffle_epi8(x2, lo[2]));
            h = _mm_or_si128(h, _mm_shuffle_epi8(x2, hi[2]));
        }
        if (nch > 3) {
            __m128i x3 = _mm_loadu_si128((const __m128i *)(row + 48));
            l = _mm_or_si128(l, _mm_shuffle_epi8(x3, lo[3]));
            h = _mm_or_si128(h, _mm_shuffle_epi8(x3, hi[3]));
        }
        if (gh) { /* bytes 24..31: the shuffles left them zero */
            long long ghb;
            memcpy(&ghb, &gh[r], sizeof ghb);
            h = _mm_insert_epi64(h, ghb, 1);
        }
        _mm256_store_si256((__m256i *)(out + (size_t)r * 32), _mm256_set_m128i(h, l));
    }
}
