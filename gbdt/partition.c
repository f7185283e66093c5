/* partition: a level's splits applied, and every row routed to its leaf.
 *
 * Each split node's rows are split stably into its children's ranges (the
 * scalar loop is the reference; part_avx2.c and part_avx512.c do the same 8
 * and 16 rows at a time, with the same result) and the children get their
 * sums and monotone bounds.  After the tree, the margin update adds each
 * training row's leaf value.
 */
#include "grow_impl.h"

#include <string.h>

#include "core/alloc.h"

/* ------------------------------------------------------------ partition */

/* Stable split of a node's rows: [left sampled, left unsampled | right sampled,
 * right unsampled].  Missing values follow dl.  Returns the left counts. */
static void partition_node(sw__grower *g, sw__gnode *nd, int feat, int bin, int dl, long *ls, long *lt)
{
    const uint8_t *col = g->bins_col + (size_t)feat * (size_t)g->n;
    uint32_t *r = g->rows + nd->start, *u = g->scratch + nd->start;
    /* lefts compact in place (never ahead of the read position), rights to u,
     * then u after the lefts; both segments (sampled, then unsampled) in turn */
    long nl = 0, nr = 0, lsamp = 0;
    int cat = nd->cat;
    SW_ASSERT(0 <= nd->ns && nd->ns <= nd->nt && nd->start + nd->nt <= g->n, "a node's rows lie in the permutation");
    for (int seg = 0; seg < 2; seg++) {
        long from = seg ? nd->ns : 0, to = seg ? nd->nt : nd->ns;
        if (g->part16 && !cat) from += sw__part_avx512(r + from, to - from, col, bin, dl, r, &nl, u, &nr, 0);
        else if (g->part8 && !cat) from += sw__part_avx2(r + from, to - from, col, bin, dl, r, &nl, u, &nr, 0);
        for (long i = from; i < to; i++) {
            /* branchless: the side is unpredictable, so write both and advance one */
            uint32_t row = r[i];
            uint8_t v = col[row];
            int left = sw__goes_left(cat, nd->cset, bin, dl, v);
            r[nl] = row;
            u[nr] = row;
            nl += left;
            nr += !left;
        }
        if (!seg) lsamp = nl;
    }
    SW_ASSERT(nl + nr == nd->nt && lsamp <= nl && nl - lsamp <= nd->nt - nd->ns, "every row goes to one side");
    /* layout: [left sampled, left unsampled | right sampled, right unsampled] */
    memcpy(r + nl, u, (size_t)nr * sizeof *r);
    *ls = lsamp;
    *lt = nl;
}

#define PART_BLOCK 16384

/* One block of a node's rows r[from..to) split into t: lefts forward from
 * t[from], rights backward from t[to - 1] (stable once reversed back).
 * Returns the number of lefts. */
static long split_block(const sw__grower *g, const uint32_t *r, uint32_t *t, long from, long to, const uint8_t *col,
                        const sw__gnode *nd)
{
    long t1 = to - 1, nl = 0, nr = 0, i0 = from;
    int bin = nd->bin, dl = nd->dl, cat = nd->cat;
    if (g->part16 && !cat) i0 += sw__part_avx512(r + i0, to - i0, col, bin, dl, t + from, &nl, t + t1, &nr, 1);
    else if (g->part8 && !cat) i0 += sw__part_avx2(r + i0, to - i0, col, bin, dl, t + from, &nl, t + t1, &nr, 1);
    for (long i = i0; i < to; i++) {
        /* branchless: both slots written, one advanced; they never cross */
        uint32_t row = r[i];
        uint8_t v = col[row];
        int left = sw__goes_left(cat, nd->cset, bin, dl, v);
        t[from + nl] = row;
        t[t1 - nr] = row;
        nl += left;
        nr += !left;
    }
    SW_ASSERT(nl + nr == to - from, "a block's lefts and rights are its rows");
    return nl;
}

/* With several threads, every node of a level at once, by blocks in two
 * passes over one list of (node, block) items, so that the threads share the
 * level's rows evenly whatever the node sizes: each block (within a node's
 * sampled or unsampled segment) splits its rows into the scratch array; then,
 * placed by prefix sums per node, each copies its lefts and (reversed back) its
 * rights into the row array.  Stable like partition_node, so the result is
 * identical; the bins are read once. */
static int partition_level(sw__grower *g, const int *ids, int cnt, long *ls, long *lt)
{
    long nb = 0;
    for (int i = 0; i < cnt; i++) {
        const sw__gnode *nd = &g->nodes[ids[i]];
        nb += (nd->ns + PART_BLOCK - 1) / PART_BLOCK + (nd->nt - nd->ns + PART_BLOCK - 1) / PART_BLOCK;
    }
    struct pblk {
        int node;
        long from, to, nleft, dl, dr;
    } *bl = sw_alloc_array((size_t)nb + 1, sizeof *bl);
    if (!bl) return SW_NOMEM;
    long k = 0;
    for (int i = 0; i < cnt; i++) {
        const sw__gnode *nd = &g->nodes[ids[i]];
        for (int seg = 0; seg < 2; seg++) {
            long base = seg ? nd->ns : 0, end = seg ? nd->nt : nd->ns;
            for (long f = base; f < end; f += PART_BLOCK, k++) {
                bl[k].node = i;
                bl[k].from = f;
                bl[k].to = f + PART_BLOCK < end ? f + PART_BLOCK : end;
            }
        }
    }
    SW_ASSERT(k == nb, "the blocks cover every node's two segments");
#pragma omp parallel num_threads(g->nthread)
    {
#pragma omp for schedule(dynamic, 1)
        for (long b = 0; b < nb; b++) {
            const sw__gnode *nd = &g->nodes[ids[bl[b].node]];
            const uint8_t *col = g->bins_col + (size_t)nd->feat * (size_t)g->n;
            bl[b].nleft = split_block(g, g->rows + nd->start, g->scratch + nd->start, bl[b].from, bl[b].to, col, nd);
        }
#pragma omp single
        {
            /* per node: [left sampled, left unsampled | right sampled, right unsampled] */
            long b = 0;
            for (int i = 0; i < cnt; i++) {
                const sw__gnode *nd = &g->nodes[ids[i]];
                long b0 = b, pos = 0;
                ls[i] = 0;
                for (; b < nb && bl[b].node == i; b++) {
                    bl[b].dl = pos;
                    pos += bl[b].nleft;
                    if (bl[b].to <= nd->ns) ls[i] = pos;
                }
                lt[i] = pos;
                for (long c = b0; c < b; c++) {
                    bl[c].dr = pos;
                    pos += bl[c].to - bl[c].from - bl[c].nleft;
                }
                SW_ASSERT(pos == nd->nt && ls[i] <= lt[i], "a node's blocks place each of its rows once");
            }
        }
#pragma omp for schedule(dynamic, 1)
        for (long b = 0; b < nb; b++) {
            const sw__gnode *nd = &g->nodes[ids[bl[b].node]];
            uint32_t *r = g->rows + nd->start, *t = g->scratch + nd->start;
            long nl = bl[b].nleft, nr = bl[b].to - bl[b].from - nl;
            memcpy(r + bl[b].dl, t + bl[b].from, (size_t)nl * sizeof *r);
            uint32_t *d = r + bl[b].dr;
            const uint32_t *src = t + bl[b].to - 1;
            for (long q = 0; q < nr; q++) d[q] = src[-q];
        }
    }
    sw_free(bl);
    return SW_OK;
}

/* Split nodes ids[0..cnt) (each with has_split); create their children.  With
 * `fuse`, the rows are not partitioned: the nodes are marked fused and the
 * margin update sends each row to its side (the last level of a tree whose
 * leaves need no rows). */
int sw__split_nodes(sw__grower *g, const int *ids, int cnt, int *children, int fuse)
{
    const sw_train_params *p = g->p;
    long *ls = sw_alloc_array((size_t)cnt + 1, sizeof *ls), *lt = sw_alloc_array((size_t)cnt + 1, sizeof *lt);
    if (!ls || !lt) {
        sw_free(ls);
        sw_free(lt);
        return SW_NOMEM;
    }
    long total = 0, biggest = 0;
    for (int i = 0; i < cnt; i++) {
        total += g->nodes[ids[i]].nt;
        if (g->nodes[ids[i]].nt > biggest) biggest = g->nodes[ids[i]].nt;
    }
    if (fuse) {
        /* no partition */
    } else if (g->nthread > 1 && total >= 2 * PART_BLOCK && 4 * biggest * g->nthread > 5 * total) {
        if (partition_level(g, ids, cnt, ls, lt) != SW_OK) {
            sw_free(ls);
            sw_free(lt);
            return SW_NOMEM;
        }
    } else {
        /* nodes largest first, so that the threads finish together */
        int *ord = sw_alloc_array((size_t)cnt + 1, sizeof *ord);
        if (!ord) {
            sw_free(ls);
            sw_free(lt);
            return SW_NOMEM;
        }
        for (int i = 0; i < cnt; i++) ord[i] = i;
        for (int i = 1; i < cnt && g->nthread > 1; i++) { /* insertion sort: a level's nodes */
            int v = ord[i], j = i - 1;
            while (j >= 0 && g->nodes[ids[ord[j]]].nt < g->nodes[ids[v]].nt) {
                ord[j + 1] = ord[j];
                j--;
            }
            ord[j + 1] = v;
        }
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic) if (g->nthread > 1 && cnt > 1)
        for (int q = 0; q < cnt; q++) {
            int i = ord[q];
            sw__gnode *nd = &g->nodes[ids[i]];
            partition_node(g, nd, nd->feat, nd->bin, nd->dl, &ls[i], &lt[i]);
        }
        sw_free(ord);
    }
    for (int i = 0; i < cnt; i++) {
        int id = ids[i];
        int l = sw__new_node(g, id, g->nodes[id].depth + 1);
        int r = sw__new_node(g, id, g->nodes[id].depth + 1);
        if (l < 0 || r < 0) {
            sw_free(ls);
            sw_free(lt);
            return SW_NOMEM;
        }
        sw__gnode *nd = &g->nodes[id], *L = &g->nodes[l], *R = &g->nodes[r];
        nd->left = l;
        nd->right = r;
        if (fuse) { /* children hold no rows: both empty at the parent's start */
            nd->fused = 1;
            ls[i] = lt[i] = 0;
        }
        L->start = nd->start;
        L->ns = ls[i];
        L->nt = lt[i];
        R->start = nd->start + lt[i];
        R->ns = fuse ? 0 : nd->ns - ls[i];
        R->nt = fuse ? 0 : nd->nt - lt[i];
        L->G = nd->GL;
        L->H = nd->HL;
        R->G = nd->G - nd->GL;
        R->H = nd->H - nd->HL;
        L->lower = R->lower = nd->lower;
        L->upper = R->upper = nd->upper;
        int c = nd->feat < p->n_monotone ? p->monotone[nd->feat] : 0;
        if (c) {
            double wl = sw__bounded_weight(p, L->G, L->H, nd->lower, nd->upper);
            double wr = sw__bounded_weight(p, R->G, R->H, nd->lower, nd->upper);
            double mid = (wl + wr) / 2;
            if (c > 0) {
                L->upper = mid;
                R->lower = mid;
            } else {
                L->lower = mid;
                R->upper = mid;
            }
        }
        L->root_gain = sw__node_gain(g, L->G, L->H, L->lower, L->upper);
        R->root_gain = sw__node_gain(g, R->G, R->H, R->lower, R->upper);
        children[2 * i] = l;
        children[2 * i + 1] = r;
    }
    sw_free(ls);
    sw_free(lt);
    return SW_OK;
}

/* -------------------------------------------------------- margin update */

/* margin[row] += v for the rows of one leaf, or for a fused node's rows the
 * value of the side each goes to (the partition test of partition_node) */
static void update_rows(const sw__grower *g, const sw__gnode *nd, long from, long to, double vl, double vr,
                        void *margin, int mdouble)
{
    const uint32_t *rows = g->rows + nd->start;
    if (!nd->fused) {
        if (mdouble)
            for (long j = from; j < to; j++) ((double *)margin)[rows[j]] += vl;
        else
            for (long j = from; j < to; j++) ((float *)margin)[rows[j]] += (float)vl;
        return;
    }
    const uint8_t *col = g->bins_col + (size_t)nd->feat * (size_t)g->n;
    int bin = nd->bin, dl = nd->dl, cat = nd->cat;
    if (mdouble) {
        double v2[2] = {vr, vl};
        for (long j = from; j < to; j++) {
            uint32_t r = rows[j];
            ((double *)margin)[r] += v2[sw__goes_left(cat, nd->cset, bin, dl, col[r])];
        }
    } else {
        float v2[2] = {(float)vr, (float)vl};
        for (long j = from; j < to; j++) {
            uint32_t r = rows[j];
            ((float *)margin)[r] += v2[sw__goes_left(cat, nd->cset, bin, dl, col[r])];
        }
    }
}

/* first position in rows[from..to) (ascending) holding a row id >= r */
static long lower_row(const uint32_t *rows, long from, long to, uint32_t r)
{
    while (from < to) {
        long mid = from + (to - from) / 2;
        if (rows[mid] < r) from = mid + 1;
        else to = mid;
    }
    return from;
}

/* Oblivious: each row's leaf index from its bins (bit d set when the level-d
 * feature's bin is not missing and reaches the level's split bin, as the
 * partition sends it), by row ranges of one thread each. */
static int update_margin_oblivious(const sw__grower *g, const sw__tree_out *t, void *margin, int mdouble)
{
    enum { CHUNK = 512 };
    int nth = g->nthread, depth = t->depth;
    float *fleaf = sw_alloc_array((size_t)1 << depth, sizeof *fleaf);
    if (!fleaf) return SW_NOMEM;
    for (int i = 0; i < (1 << depth); i++) fleaf[i] = (float)t->oleaf[i];
#pragma omp parallel for num_threads(nth) schedule(static, 1) if (nth > 1)
    for (int th = 0; th < nth; th++) {
        long lo = g->n * th / nth, hi = g->n * (th + 1) / nth;
        uint16_t idx[CHUNK];
        for (long r0 = lo; r0 < hi; r0 += CHUNK) {
            int m = hi - r0 < CHUNK ? (int)(hi - r0) : CHUNK, j0 = 0;
            if (depth <= 8) { /* 16 rows at a time in byte lanes */
                typedef uint8_t v16u __attribute__((vector_size(16)));
                for (; j0 + 16 <= m; j0 += 16) {
                    v16u acc = {0};
                    for (int d = 0; d < depth; d++) {
                        v16u c;
                        memcpy(&c, g->bins_col + (size_t)t->ofeat[d] * (size_t)g->n + r0 + j0, sizeof c);
                        v16u right = (v16u)((c != (uint8_t)SW__MISSING_BIN) & (c >= (uint8_t)t->obin[d]));
                        acc |= right & (uint8_t)(1u << d);
                    }
                    for (int j = 0; j < 16; j++) idx[j0 + j] = acc[j];
                }
            }
            for (int j = j0; j < m; j++) idx[j] = 0;
            for (int d = 0; d < depth; d++) {
                const uint8_t *col = g->bins_col + (size_t)t->ofeat[d] * (size_t)g->n + r0;
                uint8_t ob = (uint8_t)t->obin[d];
                uint16_t bit = (uint16_t)(1u << d);
                for (int j = j0; j < m; j++) idx[j] |= (col[j] != SW__MISSING_BIN && col[j] >= ob) ? bit : 0;
            }
            if (mdouble)
                for (int j = 0; j < m; j++) ((double *)margin)[r0 + j] += t->oleaf[idx[j]];
            else
                for (int j = 0; j < m; j++) ((float *)margin)[r0 + j] += fleaf[idx[j]];
        }
    }
    sw_free(fleaf);
    return SW_OK;
}

int sw__grow_update_margin(const sw__grower *g, const sw__tree_out *t, void *margin, int mdouble)
{
    if (g->p->grow_policy == SW_GROW_OBLIVIOUS) return update_margin_oblivious(g, t, margin, mdouble);
    /* every row is in exactly one leaf (or one fused node).  Each thread takes
     * one range of row ids and, in every leaf's two ascending segments
     * (sampled, unsampled), the rows that fall in it: the margins a thread
     * writes are its own (the leaves' rows interleave in memory, so splitting
     * by leaf would share cache lines), and no row depends on the threads */
    double *val = sw_alloc_array((size_t)g->nn + 1, sizeof *val);
    int *ids = sw_alloc_array((size_t)g->nn + 1, sizeof *ids);
    if (!val || !ids) {
        sw_free(val);
        sw_free(ids);
        return SW_NOMEM;
    }
    for (int i = 0; i < t->n_nodes; i++) val[i] = (double)t->value[i];
    int cnt = 0;
    for (int i = 0; i < g->nn; i++) {
        const sw__gnode *nd = &g->nodes[i];
        if (nd->fused || (nd->left < 0 && (nd->parent < 0 || !g->nodes[nd->parent].fused))) ids[cnt++] = i;
    }
    int nth = g->nthread;
#pragma omp parallel for num_threads(nth) schedule(static, 1) if (nth > 1)
    for (int th = 0; th < nth; th++) {
        uint32_t lo = (uint32_t)(g->n * th / nth), hi = (uint32_t)(g->n * (th + 1) / nth);
        for (int k = 0; k < cnt; k++) {
            const sw__gnode *nd = &g->nodes[ids[k]];
            const uint32_t *rows = g->rows + nd->start;
            double vl = nd->fused ? val[nd->left] : val[ids[k]], vr = nd->fused ? val[nd->right] : 0.0;
            for (int seg = 0; seg < 2; seg++) {
                long s0 = seg ? nd->ns : 0, s1 = seg ? nd->nt : nd->ns;
                long a = nth > 1 ? lower_row(rows, s0, s1, lo) : s0, b = nth > 1 ? lower_row(rows, s0, s1, hi) : s1;
                update_rows(g, nd, a, b, vl, vr, margin, mdouble);
            }
        }
    }
    sw_free(ids);
    sw_free(val);
    return SW_OK;
}

int sw__tree_leaf_binned(const sw__tree_out *t, const uint8_t *row, int oblivious)
{
    if (oblivious) {
        int idx = 0;
        for (int d = 0; d < t->depth; d++) {
            uint8_t v = row[t->ofeat[d]];
            if (v != SW__MISSING_BIN && v >= t->obin[d]) idx |= 1 << d;
        }
        return idx;
    }
    int n = 0;
    while (t->left[n] >= 0) {
        uint8_t v = row[t->feat[n]];
        int cat = t->cat && t->cat[n];
        int left = sw__goes_left(cat, cat ? t->cset + (size_t)n * 8 : NULL, t->sbin[n], t->dl[n], v);
        n = left ? t->left[n] : t->right[n];
    }
    return n;
}
