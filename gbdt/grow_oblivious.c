/* grow_oblivious: oblivious trees, as CatBoost grows them: one split (feature,
 * cut) shared by every node of a level, chosen by the sum of the level's gains
 * (split.c scores them); missing values go left, to bit 0 of the leaf index.
 */
#include "grow_impl.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"

/* The children's histograms and the next level's scores (as sw__score_level, the
 * children in pair order) in one parallel pass, without monotone constraints
 * or max_delta_step: the smaller child of each pair built by blocks, then per
 * feature position its partials reduced, its sibling subtracted and both
 * scanned while in cache.  One barrier fewer per step than build, reduce,
 * subtract and score apart, and the scan reads no cold histogram.  The
 * parents' histograms become the siblings'.  The build is timed as histograms, the pass as split
 * search (its scan outweighs the subtraction). */
static int obl_children(sw__grower *g, const int *parents, int cnt, const int *children, double *score,
                        sw__grow_times *tm)
{
    const sw_train_params *p = g->p;
    int *built = sw_alloc_array((size_t)cnt + 1, sizeof *built), *sib = sw_alloc_array((size_t)cnt + 1, sizeof *sib);
    int *bl = sw_alloc_array((size_t)cnt + 1, sizeof *bl), *sp = sw_alloc_array((size_t)cnt + 1, sizeof *sp);
    int *sb = sw_alloc_array((size_t)cnt + 1, sizeof *sb), *ss = sw_alloc_array((size_t)cnt + 1, sizeof *ss);
    uint8_t *use = sw_alloc_array((size_t)g->ntf + 1, 1);
    sw__partials pt = {0};
    int rc = SW_NOMEM;
    if (!built || !sib || !bl || !sp || !sb || !ss || !use) goto out;
    sw__smaller_children(g, children, cnt, built, sib);
    /* a child that cannot split adds nothing to any later score, nor do its
     * descendants (their hessians are no larger): it gets a histogram only to
     * give its sibling one.  bl: the children to build; (sp, sb, ss): the
     * (parent, built, sibling) triples to subtract */
    int nbl = 0, nsub = 0;
    for (int i = 0; i < cnt; i++) {
        if (g->nodes[parents[i]].hist < 0) continue; /* itself unsplittable */
        int nb = sw__splittable(g, &g->nodes[built[i]]), ns = sw__splittable(g, &g->nodes[sib[i]]);
        if (nb || ns) bl[nbl++] = built[i];
        if (ns) {
            sp[nsub] = parents[i];
            sb[nsub] = built[i];
            ss[nsub++] = sib[i];
        }
    }
    double t0 = sw_clock_now();
    if ((rc = sw__build_blocks(g, bl, nbl, &pt))) goto out;
    double t1 = sw_clock_now();
    tm->t_hist += t1 - t0;
    sw__pass_to_siblings(g, sp, ss, nsub);
    memset(use, 0, (size_t)g->ntf);
    for (int j = 0; j < g->nlevel; j++) use[g->level_pos[j]] = 1;
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic) if (g->nthread > 1)
    for (int q = 0; q < g->ntf; q++) {
        int k = g->korder[q];
        for (int j = 0; j < pt.n; j++) sw__reduce_feature(g, &pt, j, k);
        for (int i = 0; i < nsub; i++) sw__subtract_feature(g, sb[i], ss[i], k);
        if (!use[k]) continue;
        int ncuts = g->c->ncuts[g->tree_feats[k]];
        double acc[SW__HB + 8];
        for (int s = 0; s < SW__HB + 8; s++) acc[s] = 0.0;
        for (int i = 0; i < 2 * cnt; i++) {
            const sw__gnode *nd = &g->nodes[children[i]];
            if (nd->hist < 0 || !sw__splittable(g, nd)) continue; /* would add 0 to every cut */
            sw__scan_level(g->hbuf[nd->hist] + (size_t)k * SW__HB, NULL, ncuts, nd->G, nd->H, nd->root_gain,
                           p->lambda, p->alpha, p->min_child_weight, acc);
        }
        double *sc = score + (size_t)k * SW__HB;
        sc[0] = 0.0;
        for (int s = 1; s <= ncuts; s++) sc[s] = acc[s];
    }
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
    sw_free(bl);
    sw_free(sp);
    sw_free(sb);
    sw_free(ss);
    sw_free(use);
    return rc;
}

/* Oblivious: nodes of a level are kept in leaf-index order: node p's children
 * are p (bit 0) and p | 1 << depth (bit 1). */
int sw__grow_oblivious(sw__grower *g, sw__tree_out *out, sw__grow_times *tm)
{
    const sw_train_params *p = g->p;
    int max_depth = p->max_depth > 0 ? p->max_depth : 6;
    if (max_depth > SW_MAX_OBLIVIOUS_DEPTH) max_depth = SW_MAX_OBLIVIOUS_DEPTH;
    int simple = !g->has_constraint && p->max_delta_step == 0.0;
    int *level = sw_alloc_array((size_t)1 << max_depth, sizeof *level);
    int *next = sw_alloc_array((size_t)1 << max_depth, sizeof *next);
    double *score = sw_alloc_array((size_t)g->ntf * SW__HB + 1, sizeof *score);
    int rc = SW_OK;
    if (!level || !next || !score) {
        rc = SW_NOMEM;
        goto out;
    }
    level[0] = 0;
    int cnt = 1;
    double t0 = sw_clock_now();
    if ((rc = sw__build_hists(g, level, 1))) goto out;
    double t1 = sw_clock_now();
    tm->t_hist += t1 - t0;
    out->depth = 0;
    sw__level_features(g, 0);
    sw__score_level(g, level, 1, score);
    tm->t_split += sw_clock_now() - t1;
    for (int depth = 0; depth < max_depth; depth++) {
        /* score holds this level's cut scores (level_pos: its features) */
        double a = sw_clock_now();
        int bk = -1, bs = 0;
        double bestsc = -INFINITY;
        for (int j = 0; j < g->nlevel; j++) {
            int k = g->level_pos[j], f = g->tree_feats[k];
            for (int s = 1; s <= g->c->ncuts[f]; s++) {
                double v = score[(size_t)k * SW__HB + s];
                if (v > bestsc) {
                    bestsc = v;
                    bk = k;
                    bs = s;
                }
            }
        }
        tm->t_split += sw_clock_now() - a;
        if (bk < 0 || !(bestsc > SW__RT_EPS) || bestsc < p->gamma) break;
        int f = g->tree_feats[bk];
        double b = sw_clock_now();
        /* split every node of the level the same way */
        for (int i = 0; i < cnt; i++) {
            sw__gnode *nd = &g->nodes[level[i]];
            nd->feat = f;
            nd->bin = bs;
            nd->dl = 1;
            double GL = 0, HL = 0;
            if (nd->hist >= 0) {
                const sw__gpair *h = g->hbuf[nd->hist] + (size_t)bk * SW__HB;
                GL = h[SW__MISSING_BIN].g;
                HL = h[SW__MISSING_BIN].h;
                for (int s = 1; s <= bs; s++) {
                    GL += h[s - 1].g;
                    HL += h[s - 1].h;
                }
            } else { /* an unsplittable node without histogram: its few rows */
                const uint8_t *col = g->bins_col + (size_t)f * (size_t)g->n;
                for (long j = 0; j < nd->ns; j++) {
                    uint32_t r = g->rows[nd->start + j];
                    if (col[r] == SW__MISSING_BIN || col[r] < bs) {
                        GL += g->gh[r].g;
                        HL += g->gh[r].h;
                    }
                }
            }
            nd->GL = GL;
            nd->HL = HL;
        }
        int *children = sw_alloc_array((size_t)2 * cnt, sizeof *children);
        if (!children) {
            rc = SW_NOMEM;
            goto out;
        }
        if ((rc = sw__split_nodes(g, level, cnt, children, depth + 1 >= max_depth && g->fuse_last))) {
            sw_free(children);
            goto out;
        }
        double c = sw_clock_now();
        tm->t_partition += c - b;
        out->ofeat[depth] = f;
        out->obin[depth] = bs;
        out->oborder[depth] = nextafterf(g->c->cuts[f][bs - 1], -INFINITY);
        out->depth = depth + 1;
        for (int i = 0; i < cnt; i++) {
            next[i] = children[2 * i];
            next[i + cnt] = children[2 * i + 1];
        }
        if (depth + 1 < max_depth) {
            sw__level_features(g, depth + 1);
            if (simple) {
                if ((rc = obl_children(g, level, cnt, children, score, tm))) {
                    sw_free(children);
                    goto out;
                }
            } else {
                if ((rc = sw__child_hists(g, level, cnt, children))) {
                    sw_free(children);
                    goto out;
                }
                double d = sw_clock_now();
                tm->t_hist += d - c;
                sw__score_level(g, next, 2 * cnt, score);
                tm->t_split += sw_clock_now() - d;
            }
        } else {
            for (int i = 0; i < cnt; i++) {
                sw__hist_put(g, g->nodes[level[i]].hist);
                g->nodes[level[i]].hist = -1;
            }
        }
        sw_free(children);
        cnt *= 2;
        int *t = level;
        level = next;
        next = t;
    }
    /* leaves in leaf-index order */
    size_t nleaf = (size_t)1 << out->depth;
    out->oleaf = sw_alloc_array(nleaf, sizeof *out->oleaf);
    out->oweight = sw_alloc_array(nleaf, sizeof *out->oweight);
    out->leaf_nodes = sw_alloc_array(nleaf, sizeof *out->leaf_nodes);
    if (!out->oleaf || !out->oweight || !out->leaf_nodes) {
        rc = SW_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nleaf; i++) {
        const sw__gnode *nd = &g->nodes[level[i]];
        out->oleaf[i] = sw__bounded_weight(p, nd->G, nd->H, -INFINITY, INFINITY) * p->eta;
        out->oweight[i] = nd->H;
        out->leaf_nodes[i] = level[i];
    }
out:
    for (int i = 0; i < g->nn; i++) {
        sw__hist_put(g, g->nodes[i].hist);
        g->nodes[i].hist = -1;
    }
    sw_free(level);
    sw_free(next);
    sw_free(score);
    return rc;
}
