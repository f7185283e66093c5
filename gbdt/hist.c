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
#include "train_impl.h"

#define PREFETCH 16 /* rows ahead */

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
        float g = gh[r].g, h = gh[r].h;
        for (int k = 0; k < nfeat; k++) {
            sw__gpair *e = &hist[(size_t)k * SW__HB + row[all ? k : feats[k]]];
            e->g += g;
            e->h += h;
        }
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
