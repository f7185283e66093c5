/* grow_depthwise: the depthwise policy (XGBoost's default): the tree grows
 * level by level to max_depth, every node of a level split at once; the last
 * level may be split without a partition (the margin update routes its rows).
 */
#include "grow_impl.h"

#include "core/alloc.h"
#include "core/clock.h"

/* Depthwise children in two parallel regions instead of four: the smaller
 * child of each pair built by blocks, then one pass over (pair, feature) items
 * that reduces the built child's partials, subtracts it from the parent's
 * histogram (the sibling's) and evaluates both children on that feature when
 * the level draws it.  The same sums and candidates as sw__child_hists then
 * sw__eval_splits (each feature's bins are independent), so the same trees; every
 * region costs a wake-up of the workers, which matters once they sleep instead
 * of spinning (DESIGN.md, Threads).  The level's features must be drawn first.
 * The build is timed as histograms, the pass as split search. */
static int child_hists_eval(sw__grower *g, const int *parents, int cnt, const int *children, sw__grow_times *tm)
{
    const sw_train_params *p = g->p;
    int nl = g->nlevel, nc = 2 * cnt, rc = SW_NOMEM;
    int *built = sw_alloc_array((size_t)cnt + 1, sizeof *built), *sib = sw_alloc_array((size_t)cnt + 1, sizeof *sib);
    int *pidx = sw_alloc_array((size_t)cnt + 1, sizeof *pidx), *inv = sw_alloc_array((size_t)g->ntf + 1, sizeof *inv);
    int *tmp = sw_alloc_array((size_t)nl + 1, sizeof *tmp);
    uint8_t *use = sw_alloc_array((size_t)nc * (size_t)nl + 1, 1);
    sw__partials pt = {0};
    if (!built || !sib || !pidx || !inv || !tmp || !use || sw__ensure_cands(g, (size_t)nc * (size_t)nl + 1)) goto out;
    sw__smaller_children(g, children, cnt, built, sib);
    /* node feature subsets (colsample_bynode), as sw__eval_splits draws them */
    for (int i = 0; i < nc; i++) sw__node_features(g, p, children[i], nl, tmp, use + (size_t)i * nl);
    for (int k = 0; k < g->ntf; k++) inv[k] = -1;
    for (int j = 0; j < nl; j++) inv[g->level_pos[j]] = j;
    double t0 = sw_clock_now();
    if ((rc = sw__build_blocks(g, built, cnt, &pt))) goto out;
    double t1 = sw_clock_now();
    tm->t_hist += t1 - t0;
    for (int i = 0, j = 0; i < cnt; i++) /* pt lists the built children of several blocks, in order */
        pidx[i] = j < pt.n && pt.ids[j] == built[i] ? j++ : -1;
    sw__pass_to_siblings(g, parents, sib, cnt);
    int work = cnt * g->ntf;
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic, 1) if (g->nthread > 1 && work > 2)
    for (int wi = 0; wi < work; wi++) {
        int i = wi / g->ntf, k = g->korder[wi % g->ntf]; /* features by bins in use, most first */
        if (pidx[i] >= 0) sw__reduce_feature(g, &pt, pidx[i], k);
        sw__subtract_feature(g, built[i], sib[i], k);
        int j = inv[k];
        if (j < 0) continue;
        for (int c = 2 * i; c < 2 * i + 2; c++) {
            size_t ci = (size_t)c * nl + j;
            const sw__gnode *nd = &g->nodes[children[c]];
            if (!use[ci] || !sw__splittable(g, nd)) g->cands[ci].valid = 0;
            else sw__eval_feature(g, nd, k, &g->cands[ci]);
        }
    }
    sw__pick_splits(g, children, nc);
    tm->t_split += sw_clock_now() - t1;
    rc = SW_OK;
out:
    for (int i = 0; i < cnt; i++) {
        sw__hist_put(g, g->nodes[parents[i]].hist);
        g->nodes[parents[i]].hist = -1;
    }
    sw__partials_free(&pt);
    sw_free(built);
    sw_free(sib);
    sw_free(pidx);
    sw_free(inv);
    sw_free(tmp);
    sw_free(use);
    return rc;
}

int sw__grow_depthwise(sw__grower *g, sw__grow_times *tm)
{
    int max_depth = g->p->max_depth > 0 ? g->p->max_depth : 64;
    int cap = 1;
    int *level = sw_alloc_array(2, sizeof *level);
    if (!level) return SW_NOMEM;
    level[0] = 0;
    int cnt = 1, rc = SW_OK;
    double t0 = sw_clock_now();
    if ((rc = sw__build_hists(g, level, 1))) goto out;
    double t1 = sw_clock_now();
    tm->t_hist += t1 - t0;
    sw__level_features(g, 0);
    if ((rc = sw__eval_splits(g, level, 1))) goto out;
    tm->t_split += sw_clock_now() - t1;
    for (int depth = 0; depth < max_depth && cnt > 0; depth++) {
        int ne = 0;
        for (int i = 0; i < cnt; i++)
            if (g->nodes[level[i]].has_split) level[ne++] = level[i];
            else {
                sw__hist_put(g, g->nodes[level[i]].hist);
                g->nodes[level[i]].hist = -1;
            }
        if (!ne) break;
        if (2 * ne > cap) {
            cap = 2 * ne;
        }
        int *children = sw_alloc_array((size_t)2 * ne + 2, sizeof *children);
        if (!children) {
            rc = SW_NOMEM;
            goto out;
        }
        int last = depth + 1 >= max_depth;
        double a = sw_clock_now();
        if ((rc = sw__split_nodes(g, level, ne, children, last && g->fuse_last))) {
            sw_free(children);
            goto out;
        }
        double b = sw_clock_now();
        tm->t_partition += b - a;
        if (!last) {
            sw__level_features(g, depth + 1);
            if ((rc = child_hists_eval(g, level, ne, children, tm))) {
                sw_free(children);
                goto out;
            }
        } else {
            for (int i = 0; i < ne; i++) {
                sw__hist_put(g, g->nodes[level[i]].hist);
                g->nodes[level[i]].hist = -1;
            }
        }
        sw_free(level);
        level = children;
        cnt = last ? 0 : 2 * ne;
    }
out:
    for (int i = 0; i < g->nn; i++) {
        sw__hist_put(g, g->nodes[i].hist);
        g->nodes[i].hist = -1;
    }
    sw_free(level);
    return rc;
}
