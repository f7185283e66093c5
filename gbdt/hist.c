/* hist: the gradient/hessian histogram kernel, the trainer's hot loop.
 *
 * One pass over a node's rows (ascending row ids, so the binned rows stream
 * from memory in order); for each row, every listed feature's bin gets the
 * row's (g, h).  Consecutive updates go to different features' histograms, so
 * they overlap in the out-of-order core.
 *
 * A node's rows are sparse in the binned matrix (4 MB at 120k x 33, beyond L2):
 * the row and gradient 16 rows ahead are prefetched (histograms 4.5 -> 3.6 s
 * in bench/train at one thread).
 *
 * Measured and rejected (bench/train, 120k x 33): feature chunks sized for the
 * L1 cache, four interleaved copies for low-cardinality features, and AVX2 /
 * AVX-512 offset computation were all equal or slower than this plain loop
 * (the vector variants lose on store-to-load forwarding of the offsets). */
#include <string.h>

#include "train_impl.h"

#define PREFETCH 16 /* rows ahead */

typedef float v2f __attribute__((vector_size(8)));

static inline void hadd(sw__gpair *e, v2f gv)
{
    v2f t;
    memcpy(&t, e, sizeof t);
    t += gv;
    memcpy(e, &t, sizeof t);
}

static inline void body(const uint8_t *bins, int nf, const uint32_t *rows, long n, const sw__gpair *gh,
                        const int *feats, int nfeat, int all, sw__gpair *hist)
{
    for (long i = 0; i < n; i++) {
        if (i + PREFETCH < n) { /* a node's rows are sparse: hide the binned row's and gradient's misses */
            uint32_t q = rows[i + PREFETCH];
            __builtin_prefetch(bins + (size_t)q * (size_t)nf);
            __builtin_prefetch(&gh[q]);
        }
        uint32_t r = rows[i];
        const uint8_t *row = bins + (size_t)r * (size_t)nf;
        v2f gv;
        memcpy(&gv, &gh[r], sizeof gv);
        sw__gpair *hk = hist;
        int k = 0;
        /* four features per step: fixed displacements from one histogram pointer */
        for (; k + 4 <= nfeat; k += 4, hk += 4 * SW__HB) {
            unsigned b0 = row[all ? k : feats[k]], b1 = row[all ? k + 1 : feats[k + 1]];
            unsigned b2 = row[all ? k + 2 : feats[k + 2]], b3 = row[all ? k + 3 : feats[k + 3]];
            hadd(hk + b0, gv);
            hadd(hk + SW__HB + b1, gv);
            hadd(hk + 2 * SW__HB + b2, gv);
            hadd(hk + 3 * SW__HB + b3, gv);
        }
        for (; k < nfeat; k++, hk += SW__HB) hadd(hk + row[all ? k : feats[k]], gv);
    }
}

void sw__hist_build(const sw__binned *b, const uint32_t *rows, long n, const sw__gpair *gh,
                    const int *feats, int nfeat, sw__gpair *hist)
{
    int all = nfeat == b->nf;
    for (int k = 0; all && k < nfeat; k++) all = feats[k] == k;
    if (all) {
        body(b->bins, b->nf, rows, n, gh, feats, nfeat, 1, hist);
    } else {
        body(b->bins, b->nf, rows, n, gh, feats, nfeat, 0, hist);
    }
}

void sw__hist_build_packed(const uint8_t *bins, int stride, const uint32_t *rows, long n, const sw__gpair *gh,
                           int nfeat, sw__gpair *hist)
{
    body(bins, stride, rows, n, gh, NULL, nfeat, 1, hist);
}

void sw__hist_build_packed_gh(const uint8_t *bins, const uint32_t *rows, long n, int nfeat, sw__gpair *hist)
{
    SW_ASSERT(nfeat <= 24, "a packed row's gradient pair sits in bytes 24..31");
    for (long i = 0; i < n; i++) {
        if (i + PREFETCH < n) __builtin_prefetch(bins + (size_t)rows[i + PREFETCH] * 32);
        const uint8_t *row = bins + (size_t)rows[i] * 32;
        v2f gv;
        memcpy(&gv, row + 24, sizeof gv);
        sw__gpair *hk = hist;
        int k = 0;
        for (; k + 4 <= nfeat; k += 4, hk += 4 * SW__HB) {
            hadd(hk + row[k], gv);
            hadd(hk + SW__HB + row[k + 1], gv);
            hadd(hk + 2 * SW__HB + row[k + 2], gv);
            hadd(hk + 3 * SW__HB + row[k + 3], gv);
        }
        for (; k < nfeat; k++, hk += SW__HB) hadd(hk + row[k], gv);
    }
}
