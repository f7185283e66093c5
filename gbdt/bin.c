/* bin: quantile cuts computed once per dataset, and binning of any matrix with
 * them.
 *
 * For each feature the non-missing values are sorted (an LSD radix sort on the
 * float bits, the row indices alongside when rows are weighted; unweighted,
 * the keys alone and the runs of equal values read as weights of 1).  A
 * feature with few distinct values
 * gets one bin per value; otherwise cuts are placed at equal steps of cumulative
 * weight.  Cut values are data values, so a split "bin < s" is exactly the float
 * test "x < cuts[s-1]" a binary tree stores: binned and float traversal agree.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "train_impl.h"

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

/* Sort keys alone ascending (unweighted rows): the four 8-bit passes counted in
 * one read, a pass skipped when every key has the same byte there.  Returns
 * the array holding the result (key or tk). */
static uint32_t *radix_sort_keys(uint32_t *key, uint32_t *tk, long n)
{
    long count[4][256];
    memset(count, 0, sizeof count);
    for (long i = 0; i < n; i++) {
        uint32_t k = key[i];
        count[0][k & 255]++;
        count[1][(k >> 8) & 255]++;
        count[2][(k >> 16) & 255]++;
        count[3][k >> 24]++;
    }
    for (int pass = 0; pass < 4; pass++) {
        int sh = pass * 8;
        if (n == 0 || count[pass][(key[0] >> sh) & 255] == n) continue;
        long pos = 0;
        for (int b = 0; b < 256; b++) {
            long c = count[pass][b];
            count[pass][b] = pos;
            pos += c;
        }
        for (long i = 0; i < n; i++) tk[count[pass][(key[i] >> sh) & 255]++] = key[i];
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

static int fit_feature(const sw_matrix *X, const float *w, int f, int max_cuts, uint32_t *key,
                       uint32_t *idx, uint32_t *tk, uint32_t *ti, float *vals, double *cw, sw__cuts *c)
{
    long n = 0;
    for (long r = 0; r < X->rows; r++) {
        float x = sw_matrix_get(X, r, f);
        if (isnan(x)) continue;
        if (isinf(x)) x = x > 0 ? FLT_MAX : -FLT_MAX; /* infinities share the extreme bins */
        key[n] = float_key(x);
        if (w) idx[n] = (uint32_t)r;
        n++;
    }
    if (!w) {
        cuts_unweighted(radix_sort_keys(key, tk, n), n, max_cuts, c->cuts[f], &c->ncuts[f]);
        return SW_OK;
    }
    radix_sort(key, idx, tk, ti, n);
    /* distinct values and their cumulative weights */
    long nd = 0;
    double total = 0;
    for (long i = 0; i < n; i++) {
        uint32_t k = key[i];
        uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
        float x;
        memcpy(&x, &u, 4);
        double wi = w ? (double)w[idx[i]] : 1.0;
        if (nd == 0 || vals[nd - 1] != x) {
            vals[nd] = x;
            cw[nd] = 0;
            nd++;
        }
        cw[nd - 1] += wi;
        total += wi;
    }
    int k = 0;
    float *cuts = c->cuts[f];
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
    c->ncuts[f] = k;
    return SW_OK;
}

int sw__cuts_fit(const sw_matrix *X, const float *w, int max_bin, int nthread, sw__cuts *c,
                 sw_error *err)
{
    int nf = X->cols;
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
    int failed = 0;
#pragma omp parallel num_threads(nthread > 0 ? nthread : 1)
    {
        /* unweighted rows need the keys and one buffer (8 bytes a row a
         * thread, not 28) */
        uint32_t *key = sw_alloc_array((size_t)n + 1, 4), *tk = sw_alloc_array((size_t)n + 1, 4);
        uint32_t *idx = w ? sw_alloc_array((size_t)n + 1, 4) : NULL, *ti = w ? sw_alloc_array((size_t)n + 1, 4) : NULL;
        float *vals = w ? sw_alloc_array((size_t)n + 1, sizeof(float)) : NULL;
        double *cw = w ? sw_alloc_array((size_t)n + 1, sizeof(double)) : NULL;
        int ok = key && tk && (!w || (idx && ti && vals && cw));
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic)
        for (int f = 0; f < nf; f++) {
            if (ok) fit_feature(X, w, f, max_cuts, key, idx, tk, ti, vals, cw, c);
        }
        sw_free(key);
        sw_free(idx);
        sw_free(tk);
        sw_free(ti);
        sw_free(vals);
        sw_free(cw);
    }
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
#pragma omp parallel for num_threads(nthread > 0 ? nthread : 1) schedule(static)
    for (long r = 0; r < X->rows; r++) {
        const float *x = sw_matrix_row(X, r);
        uint8_t *o = b->bins + (size_t)r * (size_t)X->cols;
        for (int f = 0; f < X->cols; f++) o[f] = sw__bin_value(c->cuts[f], c->ncuts[f], x[f]);
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
