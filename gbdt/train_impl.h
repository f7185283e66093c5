/* train_impl: the trainer's internal types, shared by bin.c, hist.c, the grower
 * (grow.c and the files of grow_impl.h) and train.c (gbdt/ only). */
#ifndef SW_TRAIN_IMPL_H
#define SW_TRAIN_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/matrix.h"
#include "core/status.h"
#include "train.h"

#define SW__MISSING_BIN 255 /* bins 0..254 are values, 255 is missing */
#define SW__HB 256          /* histogram slots per feature */

/* Quantile cuts: value x of feature f falls in bin #{c in cuts[f] : c <= x}. */
typedef struct {
    int nf;
    int *ncuts;    /* per feature, at most 254 */
    float **cuts;  /* per feature, sorted, distinct, finite */
    uint32_t *seen; /* categorical features: 8 words each, bit c set when category c is in the
                     * training rows (XGBoost's cut values); NULL without categorical features */
} sw__cuts;

/* A matrix binned with some cuts: row-major uint8 bin ids. */
typedef struct {
    long n;
    int nf;
    uint8_t *bins;
} sw__binned;

typedef struct {
    float g, h;
} sw__gpair;

int sw__cuts_fit(const sw_matrix *X, const float *w, int max_bin, int nthread, sw__cuts *c,
                 sw_error *err);
void sw__cuts_free(sw__cuts *c);
/* Feature f as categories (integers 0..254, checked): cuts 1..max, so that a
 * value's bin is its category. */
int sw__cuts_categorical(const sw_matrix *X, int f, sw__cuts *c, sw_error *err);
int sw__bin_apply(const sw__cuts *c, const sw_matrix *X, int nthread, sw__binned *b, sw_error *err);
void sw__binned_free(sw__binned *b);
static inline uint8_t sw__bin_value(const float *cuts, int ncuts, float x)
{
    if (x != x) return SW__MISSING_BIN;
    if (ncuts == 0) return 0;
    /* #{c <= x}: a branchless upper bound (the answer stays in [b, b + n]) */
    const float *b = cuts;
    int n = ncuts;
    while (n > 1) {
        int half = n >> 1;
        b = b[half] <= x ? b + half : b;
        n -= half;
    }
    return (uint8_t)((b - cuts) + (*b <= x));
}

/* Histogram of one node over a feature list: hist[k * SW__HB + bin] += gh[row]
 * for the k-th listed feature, rows accumulated in the order given (each bin's
 * sum therefore does not depend on how work is split between threads). */
void sw__hist_build(const sw__binned *b, const uint32_t *rows, long n, const sw__gpair *gh,
                    const int *feats, int nfeat, sw__gpair *hist);

/* The same over packed rows: bins[r * stride + k] is the k-th feature's bin
 * (k < nfeat <= stride). */
void sw__hist_build_packed(const uint8_t *bins, int stride, const uint32_t *rows, long n, const sw__gpair *gh,
                           int nfeat, sw__gpair *hist);

/* The same over packed rows that carry their gradient pair in bytes 24..31
 * (32 bytes a row, nfeat <= 24): one cache line a row instead of two. */
void sw__hist_build_packed_gh(const uint8_t *bins, const uint32_t *rows, long n, int nfeat, sw__gpair *hist);

/* Packed rows (hist_avx2.c; AVX2 CPUs only): out[r * 32 + k] = the bin of
 * feats[k] for each listed row r (nfeat <= 32, b->nf <= 64; out 32-byte
 * aligned); with gh (nfeat <= 24), the row's gradient pair in bytes 24..31. */
void sw__pack_rows_avx2(const sw__binned *b, const int *feats, int nfeat, const uint32_t *rows, long n,
                        const sw__gpair *gh, uint8_t *out);

/* The partition loop, 16 rows at a time (part_avx512.c; AVX-512 CPUs only):
 * rows src[0..n) go in order to L[(*nl)++] when their bin in col is below
 * `bin` (missing: when dl), else to R[(*nr)++] (R[-(*nr)++] when rev).  Handles
 * whole groups of 16 and returns how many rows it handled; writes only those
 * slots, so L may be src itself (lefts compact in place).  col must allow
 * reading 3 bytes past its last row. */
long sw__part_avx512(const uint32_t *src, long n, const uint8_t *col, int bin, int dl, uint32_t *L, long *nl,
                     uint32_t *R, long *nr, int rev);

/* The same with AVX2, 8 rows at a time (part_avx2.c; AVX2 CPUs only).  Its
 * stores are whole vectors: up to 7 slots past L[*nl] and R[*nr] (before
 * R[-*nr] with rev) may be overwritten with other rows, which the callers'
 * layouts allow; with rev it stops 16 rows before the end. */
long sw__part_avx2(const uint32_t *src, long n, const uint8_t *col, int bin, int dl, uint32_t *L, long *nl,
                   uint32_t *R, long *nr, int rev);

/* The split scan of split.c with AVX2 (split_avx2.c; AVX2 CPUs only): the left
 * sums of cuts 1..ncuts into GLs/HLs (ncuts rounded up to 8 entries), and for
 * each of 16 lanes its best gain and key 2 * cut + (missing goes left). */
void sw__scan_cuts_avx2(const sw__gpair *h, int ncuts, double G, double H, double Gm, double Hm, int ndir,
                        double lambda, double alpha, double mcw, double *GLs, double *HLs, double *gains,
                        long long *keys);

/* Deterministic counter-based random numbers. */
static inline uint64_t sw__splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
static inline uint64_t sw__rand(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    return sw__splitmix(sw__splitmix(sw__splitmix(seed ^ 0x5157495348ULL) ^ a) ^ (b * 0x9E3779B97F4A7C15ULL + c));
}
static inline double sw__rand_unit(uint64_t r) { return (double)(r >> 11) * 0x1p-53; }

#endif
