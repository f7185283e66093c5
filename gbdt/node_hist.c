/* node_hist: the grower's node histograms (the kernel is hist.c).
 *
 * A node's histogram is built from its sampled rows in fixed blocks of rows
 * (partial histograms summed in block order, so the thread count never
 * changes a bit); of two siblings only the smaller is built, the other is its
 * parent minus it.  Histogram buffers come from a pool kept by the grower.
 */
#include "grow_impl.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* A buffer of hsize pairs from the pool: its index, -1 when out of memory. */
static int hist_get(sw__grower *g)
{
    if (g->nhfree) return g->hfree[--g->nhfree];
    if (g->nhbuf >= g->cap_hbuf) {
        int nc = g->cap_hbuf ? g->cap_hbuf * 2 : 32;
        sw__gpair **nb = sw_realloc_array(g->hbuf, (size_t)nc, sizeof *nb);
        int *nf = sw_realloc_array(g->hfree, (size_t)nc, sizeof *nf);
        if (nb) g->hbuf = nb;
        if (nf) g->hfree = nf;
        if (!nb || !nf) return -1;
        g->cap_hbuf = nc;
    }
    sw__gpair *h = sw_aligned_alloc(g->hsize * sizeof(sw__gpair));
    if (!h) return -1;
    g->hbuf[g->nhbuf] = h;
    return g->nhbuf++;
}

void sw__hist_put(sw__grower *g, int h)
{
    if (h >= 0) g->hfree[g->nhfree++] = h;
}

void sw__partials_free(sw__partials *pt)
{
    sw_free(pt->ids);
    sw_free(pt->first);
    sw_free(pt->nb);
    memset(pt, 0, sizeof *pt);
}

/* Bins [b0, b1) of feature position f of partials j (and its missing bin when
 * `miss`) summed in block order into the node's histogram. */
static void reduce_bins(const sw__grower *g, const sw__partials *pt, int j, int f, int b0, int b1, int miss)
{
    sw__gpair *dst = g->hbuf[g->nodes[pt->ids[j]].hist] + (size_t)f * SW__HB;
    const sw__gpair *src0 = pt->first[j] + (size_t)f * SW__HB;
    for (int bin = b0; bin < b1; bin++) dst[bin] = src0[bin];
    if (miss) dst[SW__MISSING_BIN] = src0[SW__MISSING_BIN];
    for (long bk = 1; bk < pt->nb[j]; bk++) {
        const sw__gpair *src = pt->first[j] + (size_t)bk * g->hsize + (size_t)f * SW__HB;
        for (int bin = b0; bin < b1; bin++) {
            dst[bin].g += src[bin].g;
            dst[bin].h += src[bin].h;
        }
        if (miss) {
            dst[SW__MISSING_BIN].g += src[SW__MISSING_BIN].g;
            dst[SW__MISSING_BIN].h += src[SW__MISSING_BIN].h;
        }
    }
}

/* Feature position f of partials j summed in block order into the node's histogram. */
void sw__reduce_feature(const sw__grower *g, const sw__partials *pt, int j, int f)
{
    reduce_bins(g, pt, j, f, 0, g->hspan[f], 1);
}

struct item {
    long from, len;
    sw__gpair *dst;
};

/* longer first; ties by position, so the order is the same everywhere */
static int cmp_item_len(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->from < y->from ? -1 : x->from > y->from;
}

/* Build the histograms of nodes ids[0..cnt) by (node, block of SW__ROW_BLOCK rows)
 * items; nodes of several blocks are left in partial histograms, listed in pt
 * for the caller to reduce. */
int sw__build_blocks(sw__grower *g, const int *ids, int cnt, sw__partials *pt)
{
    memset(pt, 0, sizeof *pt);
    /* work items: (node, block) */
    int nitems = 0, nred = 0;
    size_t npartial = 0;
    for (int i = 0; i < cnt; i++) {
        long ns = g->nodes[ids[i]].ns;
        long nb = ns > 0 ? (ns + SW__ROW_BLOCK - 1) / SW__ROW_BLOCK : 1;
        nitems += (int)nb;
        if (nb > 1) {
            npartial += (size_t)nb;
            nred++;
        }
    }
    struct item *items = sw_alloc_array((size_t)nitems + 1, sizeof *items);
    pt->ids = sw_alloc_array((size_t)nred + 1, sizeof *pt->ids);
    pt->first = sw_alloc_array((size_t)nred + 1, sizeof *pt->first);
    pt->nb = sw_alloc_array((size_t)nred + 1, sizeof *pt->nb);
    if (!items || !pt->ids || !pt->first || !pt->nb) goto nomem;
    if (npartial * g->hsize > g->cap_partial) {
        sw_aligned_free(g->partial);
        g->partial = sw_aligned_alloc(npartial * g->hsize * sizeof(sw__gpair));
        g->cap_partial = g->partial ? npartial * g->hsize : 0;
        if (!g->partial) goto nomem;
    }
    int k = 0;
    size_t pused = 0;
    for (int i = 0; i < cnt; i++) {
        sw__gnode *nd = &g->nodes[ids[i]];
        if (nd->hist < 0 && (nd->hist = hist_get(g)) < 0) goto nomem;
        long nb = nd->ns > 0 ? (nd->ns + SW__ROW_BLOCK - 1) / SW__ROW_BLOCK : 1;
        if (nb > 1) {
            pt->ids[pt->n] = ids[i];
            pt->first[pt->n] = g->partial + pused * g->hsize;
            pt->nb[pt->n++] = nb;
        }
        for (long bk = 0; bk < nb; bk++) {
            items[k].from = nd->start + bk * SW__ROW_BLOCK;
            items[k].len = nd->ns - bk * SW__ROW_BLOCK < SW__ROW_BLOCK ? nd->ns - bk * SW__ROW_BLOCK : SW__ROW_BLOCK;
            if (items[k].len < 0) items[k].len = 0;
            items[k].dst = nb > 1 ? g->partial + (pused++) * g->hsize : g->hbuf[nd->hist];
            k++;
        }
    }
    /* largest first, so that the threads finish together (each item has its
     * own output: the order changes no sum) */
    if (g->nthread > 1) qsort(items, (size_t)nitems, sizeof *items, cmp_item_len);
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic) if (g->nthread > 1 && nitems > 1)
    for (int i = 0; i < nitems; i++) {
        for (int f = 0; f < g->ntf; f++) { /* the bins in use */
            sw__gpair *d = items[i].dst + (size_t)f * SW__HB;
            memset(d, 0, (size_t)g->hspan[f] * sizeof *d);
            d[SW__MISSING_BIN].g = d[SW__MISSING_BIN].h = 0.0f;
        }
        if (g->pack_gh)
            sw__hist_build_packed_gh(g->packed, g->rows + items[i].from, items[i].len, g->ntf, items[i].dst);
        else if (g->pack)
            sw__hist_build_packed(g->packed, 32, g->rows + items[i].from, items[i].len, g->gh, g->ntf, items[i].dst);
        else
            sw__hist_build(g->b, g->rows + items[i].from, items[i].len, g->gh, g->tree_feats, g->ntf, items[i].dst);
    }
    sw_free(items);
    return SW_OK;
nomem:
    sw_free(items);
    sw__partials_free(pt);
    return SW_NOMEM;
}

/* Build the histograms of nodes ids[0..cnt), partials reduced per (node, feature). */
int sw__build_hists(sw__grower *g, const int *ids, int cnt)
{
    sw__partials pt;
    SW_TRY(sw__build_blocks(g, ids, cnt, &pt));
    /* by (node, feature, quarter of its bins) when (node, feature) items are
     * too few to keep the threads busy (the root: one node); each bin's sum
     * is the same either way */
    int parts = pt.n * g->ntf < 4 * g->nthread ? 4 : 1, work = pt.n * g->ntf * parts;
#pragma omp parallel for num_threads(g->nthread) schedule(static) if (g->nthread > 1 && work > 1)
    for (int wi = 0; wi < work; wi++) {
        int q = wi % parts, f = wi / parts % g->ntf, j = wi / parts / g->ntf, nb = g->hspan[f];
        reduce_bins(g, &pt, j, f, nb * q / parts, nb * (q + 1) / parts, q == parts - 1);
    }
    sw__partials_free(&pt);
    return SW_OK;
}

/* The parent's histogram becomes the sibling's (sw__subtract_feature makes it
 * parent - built in place): two memory streams instead of three, and one
 * buffer fewer in use. */
void sw__pass_to_siblings(sw__grower *g, const int *par, const int *sib, int cnt)
{
    for (int i = 0; i < cnt; i++) {
        g->nodes[sib[i]].hist = g->nodes[par[i]].hist;
        g->nodes[par[i]].hist = -1;
    }
}

/* Feature position f of the sibling's histogram (the parent's) minus the built one's. */
void sw__subtract_feature(const sw__grower *g, int built, int sib, int f)
{
    const sw__gpair *hb = g->hbuf[g->nodes[built].hist] + (size_t)f * SW__HB;
    sw__gpair *hs = g->hbuf[g->nodes[sib].hist] + (size_t)f * SW__HB;
    int nb = g->hspan[f];
    for (int bin = 0; bin < nb; bin++) {
        hs[bin].g -= hb[bin].g;
        hs[bin].h -= hb[bin].h;
    }
    hs[SW__MISSING_BIN].g -= hb[SW__MISSING_BIN].g;
    hs[SW__MISSING_BIN].h -= hb[SW__MISSING_BIN].h;
}

/* sibling = parent - built, for each (parent, built, sibling) triple, in the
 * parent's buffer. */
static void subtract_hists(sw__grower *g, const int *par, const int *built, const int *sib, int cnt)
{
    sw__pass_to_siblings(g, par, sib, cnt);
    int work = cnt * g->ntf;
#pragma omp parallel for num_threads(g->nthread) schedule(static) if (g->nthread > 1 && work > 8)
    for (int wi = 0; wi < work; wi++) {
        int i = wi / g->ntf;
        sw__subtract_feature(g, built[i], sib[i], wi % g->ntf);
    }
}

/* Of each pair of children, the one with fewer sampled rows is built, its
 * sibling subtracted from the parent. */
void sw__smaller_children(const sw__grower *g, const int *children, int cnt, int *built, int *sib)
{
    for (int i = 0; i < cnt; i++) {
        int l = children[2 * i], r = children[2 * i + 1];
        int small = g->nodes[l].ns <= g->nodes[r].ns ? l : r;
        built[i] = small;
        sib[i] = small == l ? r : l;
    }
}

/* Histograms of children (smaller built, other subtracted in the parent's buffer). */
int sw__child_hists(sw__grower *g, const int *parents, int cnt, const int *children)
{
    int *built = sw_alloc_array((size_t)cnt + 1, sizeof *built), *sib = sw_alloc_array((size_t)cnt + 1, sizeof *sib);
    if (!built || !sib) {
        sw_free(built);
        sw_free(sib);
        return SW_NOMEM;
    }
    sw__smaller_children(g, children, cnt, built, sib);
    int rc = sw__build_hists(g, built, cnt);
    if (rc == SW_OK) subtract_hists(g, parents, built, sib, cnt);
    for (int i = 0; i < cnt; i++) {
        sw__hist_put(g, g->nodes[parents[i]].hist);
        g->nodes[parents[i]].hist = -1;
    }
    sw_free(built);
    sw_free(sib);
    return rc;
}
