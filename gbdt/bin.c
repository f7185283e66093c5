/* bin: quantile cuts computed once per dataset, and binning of any matrix with
 * them.
 *
 * For each feature the non-missing values are sorted (an LSD radix sort on the
 * float bits: unweighted, the keys alone in 11-bit passes and the runs of equal
 * values read as weights of 1; weighted, 8-bit passes with the row indices
 * alongside).  A feature with few distinct values gets one bin per value;
 * otherwise cuts are placed at equal steps of cumulative weight.  Cut values
 * are data values, so a split "bin < s" is exactly the float test
 * "x < cuts[s-1]" a binary tree stores: binned and float traversal agree.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "train_impl.h"

/* Keys sort as the floats do; a missing value's key sorts past every number's. */
#define MISSING_KEY 0xffffffffu
/* Features keyed together in one pass over the rows (at least the threads). */
#define FIT_GROUP 8
/* Rows binned together, a feature at a time. */
#define BIN_BLOCK 256

static inline uint32_t float_key(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* Sort keys (with an index payload) ascending: four 8-bit passes. */
static void radix_sort(uint32_t *key, uint32_t *idx, uint32_t *tk, uint32_t *ti, long n)
{
    for (int pass = 0; pass < 4; pass++) {
        long count[256] = {0};
        int sh = pass * 8;
        for (long i = 0; i < n; i++) count[(key[i] >> sh) & 255]++;
        long pos = 0;
        for (int b = 0; b < 256; b++) {
            long c = count[b];
            count[b] = pos;
            pos += c;
        }
        for (long i = 0; i < n; i++) {
            long p = count[(key[i] >> sh) & 255]++;
            tk[p] = key[i];
            ti[p] = idx[i];
        }
        uint32_t *t = key;
        key = tk;
        tk = t;
        t = idx;
        idx = ti;
        ti = t;
    }
    /* four passes: the result is back in the original arrays */
}

static inline float key_float(uint32_t k)
{
    uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float x;
    memcpy(&x, &u, 4);
    return x;
}

/* Sort keys alone ascending (unweighted rows): three passes of 11, 11 and 10
 * bits counted in one read, a pass skipped when every key has the same digit
 * there.  Returns the array holding the result (key or tk). */
static uint32_t *radix_sort_keys(uint32_t *key, uint32_t *tk, long n)
{
    static const int sh[3] = {0, 11, 22};
    uint32_t count[3][2048]; /* n < 2^32 (the trainer's row limit) */
    memset(count, 0, sizeof count);
    for (long i = 0; i < n; i++) {
        uint32_t k = key[i];
        count[0][k & 2047]++;
        count[1][(k >> 11) & 2047]++;
        count[2][k >> 22]++;
    }
    for (int pass = 0; pass < 3; pass++) {
        uint32_t *cnt = count[pass], s = (uint32_t)sh[pass];
        if (n == 0 || cnt[(key[0] >> s) & 2047] == (uint32_t)n) continue;
        uint32_t pos = 0;
        for (int b = 0; b < 2048; b++) {
            uint32_t c = cnt[b];
            cnt[b] = pos;
            pos += c;
        }
        for (long i = 0; i < n; i++) tk[cnt[(key[i] >> s) & 2047]++] = key[i];
        uint32_t *t = key;
        key = tk;
        tk = t;
    }
    return key;
}

/* Unweighted rows: the cuts of fit_feature from the sorted keys' runs of equal
 * values (-0 and +0 one value, as there), with the same arithmetic: every
 * weight is 1, so the cumulative sums are exact integers either way. */
static void cuts_unweighted(const uint32_t *key, long n, int max_cuts, float *cuts, int *ncuts)
{
    long nd = 0;
    for (long i = 0; i < n && nd <= max_cuts + 1; i++)
        if (i == 0 || key_float(key[i]) != key_float(key[i - 1])) nd++;
    int k = 0;
    if (nd <= max_cuts + 1) {
        for (long i = 1; i < n; i++)
            if (key_float(key[i]) != key_float(key[i - 1])) cuts[k++] = key_float(key[i]);
        *ncuts = k;
        return;
    }
    double total = (double)n, acc = 0;
    long pos = 0, run = -1; /* the run starting at pos (its length once known) */
    for (int j = 1; j <= max_cuts; j++) {
        double target = total * (double)j / (double)(max_cuts + 1);
        for (;;) {
            if (pos >= n) break;
            if (run < 0) {
                float v = key_float(key[pos]);
                run = 1;
                while (pos + run < n && key_float(key[pos + run]) == v) run++;
            }
            if (!(acc + (double)run <= target)) break;
            acc += (double)run;
            pos += run;
            run = -1;
        }
        if (pos < n && pos > 0 && (k == 0 || key_float(key[pos]) > cuts[k - 1])) cuts[k++] = key_float(key[pos]);
    }
    *ncuts = k;
}

/* Cuts of one feature from its n keys (missing values keyed past every
 * number, so sorted last and left out). */
static void fit_feature(uint32_t *key, long n, const float *w, int max_cuts, uint32_t *idx, uint32_t *tk,
                        uint32_t *ti, float *vals, double *cw, float *cuts, int *ncuts)
{
    if (!w) {
        key = radix_sort_keys(key, tk, n);
        while (n > 0 && key[n - 1] == MISSING_KEY) n--;
        cuts_unweighted(key, n, max_cuts, cuts, ncuts);
        return;
    }
    for (long i = 0; i < n; i++) idx[i] = (uint32_t)i;
    radix_sort(key, idx, tk, ti, n);
    while (n > 0 && key[n - 1] == MISSING_KEY) n--;
    /* distinct values and their cumulative weights */
    long nd = 0;
    double total = 0;
    for (long i = 0; i < n; i++) {
        float x = key_float(key[i]);
        double wi = (double)w[idx[i]];
        if (nd == 0 || vals[nd - 1] != x) {
            vals[nd] = x;
            cw[nd] = 0;
            nd++;
        }
        cw[nd - 1] += wi;
        total += wi;
    }
    int k = 0;
    if (nd <= max_cuts + 1) {
        /* one bin per distinct value: cuts at every value but the smallest */
        for (long i = 1; i < nd; i++) cuts[k++] = vals[i];
    } else {
        double acc = 0;
        long i = 0;
        for (int j = 1; j <= max_cuts; j++) {
            double target = total * (double)j / (double)(max_cuts + 1);
            while (i < nd && acc + cw[i] <= target) acc += cw[i++];
            /* the first value past the target starts a new bin */
            if (i < nd && i > 0 && (k == 0 || vals[i] > cuts[k - 1])) cuts[k++] = vals[i];
        }
    }
    *ncuts = k;
}

/* The features are taken in groups: the rows' values of a group are keyed in
 * one pass over the matrix, split between the threads (reading every feature's
 * column on its own would fetch each row's cache lines once per feature), then
 * the group's features are sorted in parallel. */
int sw__cuts_fit(const sw_matrix *X, const float *w, int max_bin, int nthread, sw__cuts *c,
                 sw_error *err)
{
    int nf = X->cols, nt = nthread > 0 ? nthread : 1;
    long n = X->rows;
    memset(c, 0, sizeof *c);
    c->nf = nf;
    c->ncuts = sw_calloc((size_t)nf + 1, sizeof *c->ncuts);
    c->cuts = sw_calloc((size_t)nf + 1, sizeof *c->cuts);
    if (!c->ncuts || !c->cuts) goto oom;
    int max_cuts = (max_bin > 255 ? 255 : max_bin) - 1;
    if (max_cuts < 1) max_cuts = 1;
    for (int f = 0; f < nf; f++) {
        c->cuts[f] = sw_alloc_array((size_t)max_cuts + 1, sizeof(float));
        if (!c->cuts[f]) goto oom;
    }
    int G = nt > FIT_GROUP ? nt : FIT_GROUP;
    if (G > nf) G = nf;
    uint32_t *keys = sw_alloc_array((size_t)(G ? G : 1) * (size_t)(n + 1), 4);
    if (!keys) goto oom;
    int failed = 0;
#pragma omp parallel num_threads(nt)
    {
        /* a thread's buffers: unweighted rows need one (4 bytes a row), weighted
         * rows the row indices and the distinct values' weights too */
        uint32_t *tk = sw_alloc_array((size_t)n + 1, 4);
        uint32_t *idx = w ? sw_alloc_array((size_t)n + 1, 4) : NULL, *ti = w ? sw_alloc_array((size_t)n + 1, 4) : NULL;
        float *vals = w ? sw_alloc_array((size_t)n + 1, sizeof(float)) : NULL;
        double *cw = w ? sw_alloc_array((size_t)n + 1, sizeof(double)) : NULL;
        int ok = tk && (!w || (idx && ti && vals && cw));
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
        for (int f0 = 0; f0 < nf; f0 += G) {
            int gn = nf - f0 < G ? nf - f0 : G;
#pragma omp for schedule(static)
            for (long r = 0; r < n; r++) {
                const float *x = sw_matrix_row(X, r) + f0;
                for (int k = 0; k < gn; k++) {
                    float v = x[k];
                    if (isinf(v)) v = v > 0 ? FLT_MAX : -FLT_MAX; /* infinities share the extreme bins */
                    keys[(size_t)k * (size_t)(n + 1) + (size_t)r] = isnan(v) ? MISSING_KEY : float_key(v);
                }
            }
#pragma omp for schedule(dynamic)
            for (int k = 0; k < gn; k++)
                if (ok)
                    fit_feature(keys + (size_t)k * (size_t)(n + 1), n, w, max_cuts, idx, tk, ti, vals, cw,
                                c->cuts[f0 + k], &c->ncuts[f0 + k]);
        }
        sw_free(idx);
        sw_free(tk);
        sw_free(ti);
        sw_free(vals);
        sw_free(cw);
    }
    sw_free(keys);
    if (failed) goto oom;
    return SW_OK;
oom:
    sw__cuts_free(c);
    return sw_fail(err, SW_NOMEM, "out of memory computing bins");
}

void sw__cuts_free(sw__cuts *c)
{
    if (c->cuts)
        for (int f = 0; f < c->nf; f++) sw_free(c->cuts[f]);
    sw_free(c->cuts);
    sw_free(c->ncuts);
    sw_free(c->seen);
    memset(c, 0, sizeof *c);
}

int sw__bin_apply(const sw__cuts *c, const sw_matrix *X, int nthread, sw__binned *b, sw_error *err)
{
    b->n = X->rows;
    b->nf = X->cols;
    /* 64 bytes of padding: vector kernels load a whole row */
    b->bins = sw_aligned_alloc((size_t)(X->rows ? X->rows : 1) * (size_t)(X->cols ? X->cols : 1) + 64);
    if (!b->bins) return sw_fail(err, SW_NOMEM, "out of memory binning %ld rows", X->rows);
    /* blocks of rows, a feature at a time: the searches of one feature's values
     * are independent and share its cuts */
    long nb = (X->rows + BIN_BLOCK - 1) / BIN_BLOCK;
    int nf = X->cols;
#pragma omp parallel for num_threads(nthread > 0 ? nthread : 1) schedule(static)
    for (long blk = 0; blk < nb; blk++) {
        long r0 = blk * BIN_BLOCK, r1 = r0 + BIN_BLOCK < X->rows ? r0 + BIN_BLOCK : X->rows;
        for (int f = 0; f < nf; f++) {
            const float *cu = c->cuts[f];
            int nc = c->ncuts[f];
            const float *x = X->data + (size_t)r0 * (size_t)nf + f;
            uint8_t *o = b->bins + (size_t)r0 * (size_t)nf + f;
            for (long r = r0; r < r1; r++, x += nf, o += nf) *o = sw__bin_value(cu, nc, *x);
        }
    }
    memset(b->bins + (size_t)X->rows * (size_t)X->cols, 0, 64);
    return SW_OK;
}

void sw__binned_free(sw__binned *b)
{
    sw_aligned_free(b->bins);
    b->bins = NULL;
}

int sw__cuts_categorical(const sw_matrix *X, int f, sw__cuts *c, sw_error *err)
{
    if (!c->seen && !(c->seen = sw_calloc((size_t)c->nf * 8, sizeof *c->seen)))
        return sw_fail(err, SW_NOMEM, "out of memory");
    uint32_t *seen = c->seen + (size_t)f * 8;
    memset(seen, 0, 8 * sizeof *seen);
    int mx = 0;
    for (long r = 0; r < X->rows; r++) {
        float x = sw_matrix_get(X, r, f);
        if (isnan(x)) continue;
        int v = (int)x; /* checked before: an integer 0..254 */
        seen[v >> 5] |= 1u << (v & 31);
        if (v > mx) mx = v;
    }
    float *cuts = sw_alloc_array((size_t)mx + 1, sizeof *cuts);
    if (!cuts) return sw_fail(err, SW_NOMEM, "out of memory");
    for (int i = 0; i < mx; i++) cuts[i] = (float)(i + 1);
    sw_free(c->cuts[f]);
    c->cuts[f] = cuts;
    c->ncuts[f] = mx;
    return SW_OK;
}
