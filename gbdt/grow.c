/* grow: growing one tree from gradient histograms, XGBoost's `hist` way, for the
 * three policies: depthwise (level by level to max_depth), lossguide (best
 * leaf first to max_leaves) and oblivious (one split shared by a whole level,
 * chosen by the sum of the level's gains, as CatBoost does).
 *
 * This file is the driver: the grower's setup, the tree's features
 * (colsample_bytree; colsample_bylevel per level), the root's rows, the policy
 * and the tree's output, with the adaptive leaves of L1-type objectives.  The
 * stages are apart, as in XGBoost's src/tree/hist: node_hist.c (histograms),
 * split.c (gains and the split search), partition.c (rows to children, and the
 * margin update) and grow_depthwise.c, grow_lossguide.c and grow_oblivious.c
 * (the policies); grow_impl.h holds the state they share.
 */
#include "grow_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/simd.h"
#include "core/clock.h"

/* ---------------------------------------------------------------- setup */

sw__grower *sw__grower_create(const sw_train_params *p, const sw__binned *b, const sw__cuts *c,
                              sw_error *err)
{
    sw__grower *g = sw_calloc(1, sizeof *g);
    if (!g) goto oom;
    g->p = p;
    g->b = b;
    g->c = c;
    g->nf = b->nf;
    g->n = b->n;
    g->nthread = p->nthread > 0 ? p->nthread : 1;
    for (int f = 0; f < p->n_monotone; f++)
        if (p->monotone[f]) g->has_constraint = 1;
    /* the ISA resolved by sw_train (never AUTO here) */
    g->part16 = p->isa == SW_ISA_AVX512;
    g->part8 = !g->part16 && p->isa >= SW_ISA_AVX2;
    g->pack_isa = p->isa >= SW_ISA_AVX2;
    /* leaves refitted from their rows (L1, quantile) need the last partition */
    g->fuse_last = p->objective != SW_OBJ_ABSOLUTEERROR && p->objective != SW_OBJ_QUANTILE;
    g->scan_avx2 = p->isa >= SW_ISA_AVX2;
    g->rows = sw_alloc_array((size_t)g->n + 1, sizeof *g->rows);
    g->scratch = sw_alloc_array((size_t)g->n + 1, sizeof *g->scratch);
    g->bins_col = sw_alloc_array((size_t)g->n * (size_t)g->nf + 4, 1); /* +3: 4-byte gathers */
    if (!g->rows || !g->scratch || !g->bins_col) goto oom;
    for (long r = 0; r < g->n; r++)
        for (int f = 0; f < g->nf; f++)
            g->bins_col[(size_t)f * (size_t)g->n + (size_t)r] = b->bins[(size_t)r * (size_t)g->nf + (size_t)f];
    g->tree_feats = sw_alloc_array((size_t)g->nf + 1, sizeof *g->tree_feats);
    g->hspan = sw_alloc_array((size_t)g->nf + 1, sizeof *g->hspan);
    g->korder = sw_alloc_array((size_t)g->nf + 1, sizeof *g->korder);
    g->level_pos = sw_alloc_array((size_t)g->nf + 1, sizeof *g->level_pos);
    if (!g->rows || !g->scratch || !g->tree_feats || !g->hspan || !g->korder || !g->level_pos) goto oom;
    return g;
oom:
    sw__grower_free(g);
    sw_fail(err, SW_NOMEM, "out of memory setting up the tree grower");
    return NULL;
}

void sw__grower_free(sw__grower *g)
{
    if (!g) return;
    for (int i = 0; i < g->nhbuf; i++) sw_aligned_free(g->hbuf[i]);
    sw_free(g->hbuf);
    sw_free(g->hfree);
    sw_aligned_free(g->partial);
    sw_free(g->cands);
    sw_free(g->nodes);
    sw_free(g->rows);
    sw_free(g->scratch);
    sw_free(g->bins_col);
    sw_aligned_free(g->packed);
    sw_free(g->tree_feats);
    sw_free(g->hspan);
    sw_free(g->korder);
    sw_free(g->level_pos);
    sw_free(g);
}

void sw__tree_out_free(sw__tree_out *t)
{
    sw_free(t->left);
    sw_free(t->right);
    sw_free(t->feat);
    sw_free(t->thr);
    sw_free(t->value);
    sw_free(t->cover);
    sw_free(t->gain);
    sw_free(t->dl);
    sw_free(t->sbin);
    sw_free(t->cat);
    sw_free(t->cset);
    sw_free(t->oleaf);
    sw_free(t->oweight);
    sw_free(t->leaf_nodes);
    memset(t, 0, sizeof *t);
}

int sw__new_node(sw__grower *g, int parent, int depth)
{
    if (g->nn >= g->cap_nodes) {
        int nc = g->cap_nodes ? g->cap_nodes * 2 : 256;
        sw__gnode *nn = sw_realloc_array(g->nodes, (size_t)nc, sizeof *nn);
        if (!nn) return -1;
        g->nodes = nn;
        g->cap_nodes = nc;
    }
    sw__gnode *nd = &g->nodes[g->nn];
    memset(nd, 0, sizeof *nd);
    nd->parent = parent;
    nd->left = nd->right = -1;
    nd->depth = depth;
    nd->hist = -1;
    nd->lower = -INFINITY;
    nd->upper = INFINITY;
    nd->feat = -1;
    return g->nn++;
}

/* Choose k of the m values in `set` (in place, then sorted) deterministically. */
int sw__sample_subset(int *set, int m, double frac, uint64_t seed, uint64_t a, uint64_t b)
{
    if (frac >= 1.0 || m <= 1) return m;
    int k = (int)lround(frac * m);
    if (k < 1) k = 1;
    for (int i = 0; i < k; i++) {
        int j = i + (int)(sw__rand(seed, a, b, (uint64_t)i) % (uint64_t)(m - i));
        int t = set[i];
        set[i] = set[j];
        set[j] = t;
    }
    /* ascending order keeps evaluation order (and ties) independent of the draw */
    for (int i = 1; i < k; i++) {
        int v = set[i], j = i - 1;
        while (j >= 0 && set[j] > v) {
            set[j + 1] = set[j];
            j--;
        }
        set[j + 1] = v;
    }
    return k;
}

void sw__level_features(sw__grower *g, int depth)
{
    for (int k = 0; k < g->ntf; k++) g->level_pos[k] = k;
    g->nlevel = sw__sample_subset(g->level_pos, g->ntf, g->p->colsample_bylevel, g->p->seed, (uint64_t)g->round,
                                  0x4C564CULL + (uint64_t)depth);
}

/* ------------------------------------------------- adaptive leaves (L1) */

static int cmp_resid(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* XGBoost's quantile of a leaf's residuals (linear interpolation unweighted,
 * first value past the weighted cdf otherwise). */
static double leaf_quantile(double *rw, long n, double alpha, int weighted)
{
    qsort(rw, (size_t)n, 2 * sizeof(double), cmp_resid);
    if (!weighted) {
        if (n == 1) return rw[0];
        double x = alpha * (double)(n + 1);
        if (alpha <= 1.0 / (double)(n + 1)) return rw[0];
        if (alpha >= (double)n / (double)(n + 1)) return rw[2 * (n - 1)];
        long k = (long)floor(x) - 1;
        double d = (x - 1) - (double)k;
        return rw[2 * k] + d * (rw[2 * (k + 1)] - rw[2 * k]);
    }
    double total = 0;
    for (long i = 0; i < n; i++) total += rw[2 * i + 1];
    double acc = 0, thr = alpha * total;
    for (long i = 0; i < n; i++) {
        acc += rw[2 * i + 1];
        if (acc >= thr) return rw[2 * i];
    }
    return rw[2 * (n - 1)];
}

static int adaptive_value(sw__grower *g, const sw__gnode *nd, const float *y, const float *w, const void *margin,
                          int mdouble, double alpha, double *value)
{
    if (nd->ns == 0) return 0;
    double *rw = sw_alloc_array((size_t)nd->ns * 2, sizeof *rw);
    if (!rw) return -1;
    for (long i = 0; i < nd->ns; i++) {
        uint32_t r = g->rows[nd->start + i];
        double m = mdouble ? ((const double *)margin)[r] : (double)((const float *)margin)[r];
        rw[2 * i] = (double)y[r] - m;
        rw[2 * i + 1] = w ? w[r] : 1.0;
    }
    *value = leaf_quantile(rw, nd->ns, alpha, w != NULL);
    sw_free(rw);
    return 1;
}

/* ----------------------------------------------------------- the driver */

int sw__grow(sw__grower *g, int round, const sw__gpair *gh, const uint8_t *sampled, const float *y,
             const float *w, const void *margin, int margin_is_double, sw__tree_out *out,
             sw__grow_times *tm, sw_error *err)
{
    const sw_train_params *p = g->p;
    memset(out, 0, sizeof *out);
    g->round = round;
    g->gh = gh;
    g->nn = 0;
    /* features of this tree */
    for (int f = 0; f < g->nf; f++) g->tree_feats[f] = f;
    g->ntf = sw__sample_subset(g->tree_feats, g->nf, p->colsample_bytree, p->seed, (uint64_t)round, 0x545245ULL);
    /* a feature with no cut (constant or all missing) can never split: drawn
     * like the others, then left out of the histograms and the search */
    int kept = 0;
    for (int k = 0; k < g->ntf; k++)
        if (g->c->ncuts[g->tree_feats[k]] > 0) g->tree_feats[kept++] = g->tree_feats[k];
    g->ntf = kept;
    for (int k = 0; k < g->ntf; k++) g->hspan[k] = g->c->ncuts[g->tree_feats[k]] + 1;
    /* feature positions by bins in use, most first: per-feature passes take
     * them in this order so that the threads finish together */
    for (int k = 0; k < g->ntf; k++) {
        int v = k, j = k - 1;
        while (j >= 0 && g->hspan[g->korder[j]] < g->hspan[v]) {
            g->korder[j + 1] = g->korder[j];
            j--;
        }
        g->korder[j + 1] = v;
    }
    size_t hs = (size_t)g->ntf * SW__HB;
    if (hs != g->hsize) {
        for (int i = 0; i < g->nhbuf; i++) sw_aligned_free(g->hbuf[i]);
        g->nhbuf = 0;
        g->nhfree = 0;
        g->hsize = hs;
    }
    /* rows: sampled first, each part ascending; by chunks of rows in parallel
     * (counts, offsets, then the writes), each chunk also summing its sampled
     * gradients; the root's sums add the chunks' in order */
    long nck = (g->n + SW__ROW_BLOCK - 1) / SW__ROW_BLOCK;
    long *cnt_s = sw_alloc_array((size_t)nck + 1, sizeof *cnt_s);
    double *cgh = sw_alloc_array((size_t)nck * 2 + 2, sizeof *cgh);
    if (!cnt_s || !cgh) {
        sw_free(cnt_s);
        sw_free(cgh);
        return sw_fail(err, SW_NOMEM, "out of memory growing a tree");
    }
#pragma omp parallel for num_threads(g->nthread) schedule(static) if (g->nthread > 1 && nck > 1)
    for (long c = 0; c < nck; c++) {
        long from = c * SW__ROW_BLOCK, to = from + SW__ROW_BLOCK < g->n ? from + SW__ROW_BLOCK : g->n, k = 0, r = from;
        /* four interleaved (g, h) sums, unsampled rows masked to +0.0 (no
         * branch to mispredict; a sum from +0.0 never becomes -0.0) */
        typedef double v2d __attribute__((vector_size(16)));
        typedef long long v2l __attribute__((vector_size(16)));
        v2d a0 = {0, 0}, a1 = {0, 0}, a2 = {0, 0}, a3 = {0, 0};
#define SUM_ROW(q, acc)                                                        \
    do {                                                                       \
        long long m_ = sampled[r + (q)] != 0;                                  \
        k += m_;                                                               \
        v2d x_ = {(double)gh[r + (q)].g, (double)gh[r + (q)].h};               \
        acc += (v2d)((v2l)x_ & -m_);                                           \
    } while (0)
        for (; r + 4 <= to; r += 4) {
            SUM_ROW(0, a0);
            SUM_ROW(1, a1);
            SUM_ROW(2, a2);
            SUM_ROW(3, a3);
        }
        for (; r < to; r++) SUM_ROW(0, a0);
#undef SUM_ROW
        v2d t = (a0 + a1) + (a2 + a3);
        cnt_s[c] = k;
        cgh[2 * c] = t[0];
        cgh[2 * c + 1] = t[1];
    }
    long ns = 0;
    double G = 0, H = 0;
    for (long c = 0; c < nck; c++) {
        long k = cnt_s[c];
        cnt_s[c] = ns;
        ns += k;
        G += cgh[2 * c];
        H += cgh[2 * c + 1];
    }
#pragma omp parallel for num_threads(g->nthread) schedule(static) if (g->nthread > 1 && nck > 1)
    for (long c = 0; c < nck; c++) {
        long from = c * SW__ROW_BLOCK, to = from + SW__ROW_BLOCK < g->n ? from + SW__ROW_BLOCK : g->n;
        uint32_t ls_[SW__ROW_BLOCK], lu_[SW__ROW_BLOCK]; /* branchless into buffers of the chunk's own */
        long a = 0, b = 0;
        for (long r = from; r < to; r++) {
            int sm = sampled[r] != 0;
            ls_[a] = (uint32_t)r;
            lu_[b] = (uint32_t)r;
            a += sm;
            b += !sm;
        }
        /* the unsampled rows before this chunk: from - (sampled rows before it) */
        memcpy(g->rows + cnt_s[c], ls_, (size_t)a * sizeof *ls_);
        memcpy(g->rows + ns + (from - cnt_s[c]), lu_, (size_t)b * sizeof *lu_);
    }
    sw_free(cnt_s);
    sw_free(cgh);
    /* packed rows for the histograms when the tree leaves features out (the
     * same sums as reading the feature list) */
    g->pack = g->ntf > 0 && g->ntf < g->nf && g->ntf <= 32 && g->nf <= 64 && g->pack_isa;
    if (g->pack && !g->packed) {
        g->packed = sw_aligned_alloc((size_t)g->n * 32 + 64);
        if (!g->packed) g->pack = 0;
    }
    g->pack_gh = g->pack && g->ntf <= 24;
    if (g->pack) {
        double t0 = sw_clock_now();
        enum { PACK_CHUNK = 2048 }; /* small enough to balance the threads */
        long npk = (ns + PACK_CHUNK - 1) / PACK_CHUNK;
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic, 2) if (g->nthread > 1 && npk > 1)
        for (long c = 0; c < npk; c++)
            sw__pack_rows_avx2(g->b, g->tree_feats, g->ntf, g->rows + c * PACK_CHUNK,
                               c * PACK_CHUNK + PACK_CHUNK < ns ? PACK_CHUNK : ns - c * PACK_CHUNK,
                               g->pack_gh ? gh : NULL, g->packed);
        tm->t_hist += sw_clock_now() - t0;
    }
    int root = sw__new_node(g, -1, 0);
    if (root < 0) return sw_fail(err, SW_NOMEM, "out of memory growing a tree");
    sw__gnode *rt = &g->nodes[root];
    rt->start = 0;
    rt->ns = ns;
    /* oblivious trees partition only the sampled rows: the margin update
     * finds every row's leaf from its bins */
    rt->nt = p->grow_policy == SW_GROW_OBLIVIOUS ? ns : g->n;
    rt->G = G;
    rt->H = H;
    rt->root_gain = sw__node_gain(g, G, H, rt->lower, rt->upper);
    int rc;
    if (p->grow_policy == SW_GROW_OBLIVIOUS) {
        rc = sw__grow_oblivious(g, out, tm);
    } else if (p->grow_policy == SW_GROW_LOSSGUIDE) {
        rc = sw__grow_lossguide(g, tm);
    } else {
        rc = sw__grow_depthwise(g, tm);
    }
    if (rc) return sw_fail(err, rc, "out of memory growing tree %d", round);

    int adaptive = p->objective == SW_OBJ_ABSOLUTEERROR || p->objective == SW_OBJ_QUANTILE;
    double qa = p->objective == SW_OBJ_QUANTILE ? p->quantile_alpha : 0.5;
    if (p->grow_policy == SW_GROW_OBLIVIOUS) {
        size_t nleaf = (size_t)1 << out->depth;
        for (size_t i = 0; i < nleaf && adaptive; i++) {
            double v;
            int a = adaptive_value(g, &g->nodes[out->leaf_nodes[i]], y, w, margin, margin_is_double, qa, &v);
            if (a < 0) return sw_fail(err, SW_NOMEM, "out of memory");
            if (a) out->oleaf[i] = v * p->eta;
        }
        return SW_OK;
    }
    /* binary tree arrays in grower order */
    int n = g->nn;
    out->n_nodes = n;
    out->left = sw_alloc_array((size_t)n, sizeof(int32_t));
    out->right = sw_alloc_array((size_t)n, sizeof(int32_t));
    out->feat = sw_alloc_array((size_t)n, sizeof(int32_t));
    out->sbin = sw_alloc_array((size_t)n, sizeof(int32_t));
    out->thr = sw_alloc_array((size_t)n, sizeof(float));
    out->value = sw_alloc_array((size_t)n, sizeof(float));
    out->cover = sw_alloc_array((size_t)n, sizeof(float));
    out->gain = sw_alloc_array((size_t)n, sizeof(float));
    out->dl = sw_alloc_array((size_t)n, 1);
    int any_cat = 0;
    for (int i = 0; i < n; i++) any_cat |= g->nodes[i].left >= 0 && g->nodes[i].cat;
    if (any_cat) {
        out->cat = sw_calloc((size_t)n, 1);
        out->cset = sw_calloc((size_t)n * 8, sizeof *out->cset);
    }
    if (!out->left || !out->right || !out->feat || !out->sbin || !out->thr || !out->value || !out->cover ||
        !out->gain || !out->dl || (any_cat && (!out->cat || !out->cset))) {
        sw__tree_out_free(out);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    float eta = (float)p->eta;
    for (int i = 0; i < n; i++) {
        const sw__gnode *nd = &g->nodes[i];
        out->left[i] = nd->left;
        out->right[i] = nd->right;
        out->cover[i] = (float)nd->H;
        float wt = (float)sw__bounded_weight(p, nd->G, nd->H, nd->lower, nd->upper);
        if (nd->left >= 0) {
            out->feat[i] = nd->feat;
            out->sbin[i] = nd->bin;
            out->thr[i] = nd->cat ? 0.0f : g->c->cuts[nd->feat][nd->bin - 1];
            if (nd->cat) {
                out->cat[i] = 1;
                memcpy(out->cset + (size_t)i * 8, nd->cset, sizeof nd->cset);
            }
            out->dl[i] = (uint8_t)nd->dl;
            out->gain[i] = (float)nd->loss_chg;
            out->value[i] = wt * eta;
        } else {
            out->feat[i] = 0;
            out->sbin[i] = 0;
            out->thr[i] = 0;
            out->dl[i] = 0;
            out->gain[i] = 0;
            double v;
            int a = adaptive ? adaptive_value(g, nd, y, w, margin, margin_is_double, qa, &v) : 0;
            if (a < 0) {
                sw__tree_out_free(out);
                return sw_fail(err, SW_NOMEM, "out of memory");
            }
            out->value[i] = a ? (float)v * eta : wt * eta;
        }
    }
    return SW_OK;
}
