/* grow_lossguide: the lossguide policy: the open leaf of the largest loss
 * change split first (the earliest node on ties), up to max_leaves leaves and
 * max_depth.
 */
#include "grow_impl.h"

#include "core/clock.h"

int sw__grow_lossguide(sw__grower *g, sw__grow_times *tm)
{
    const sw_train_params *p = g->p;
    int max_leaves = p->max_leaves > 0 ? p->max_leaves : 1 << 30;
    int max_depth = p->max_depth > 0 ? p->max_depth : 1 << 30;
    int rc = SW_OK;
    int root = 0;
    double t0 = sw_clock_now();
    if ((rc = sw__build_hists(g, &root, 1))) return rc;
    double t1 = sw_clock_now();
    tm->t_hist += t1 - t0;
    sw__level_features(g, 0);
    if ((rc = sw__eval_splits(g, &root, 1))) return rc;
    tm->t_split += sw_clock_now() - t1;
    int leaves = 1;
    for (;;) {
        /* best open leaf: largest loss change, earliest node on ties */
        int best = -1;
        for (int i = 0; i < g->nn; i++) {
            sw__gnode *nd = &g->nodes[i];
            if (nd->left >= 0 || !nd->has_split || nd->depth >= max_depth) continue;
            if (best < 0 || nd->loss_chg > g->nodes[best].loss_chg) best = i;
        }
        if (best < 0 || leaves >= max_leaves) break;
        int children[2];
        double a = sw_clock_now();
        if ((rc = sw__split_nodes(g, &best, 1, children, 0))) break;
        double b = sw_clock_now();
        tm->t_partition += b - a;
        leaves++;
        int d = g->nodes[children[0]].depth;
        if (d < max_depth) {
            if ((rc = sw__child_hists(g, &best, 1, children))) break;
            double c = sw_clock_now();
            tm->t_hist += c - b;
            sw__level_features(g, d);
            if ((rc = sw__eval_splits(g, children, 2))) break;
            tm->t_split += sw_clock_now() - c;
        }
    }
    for (int i = 0; i < g->nn; i++) {
        sw__hist_put(g, g->nodes[i].hist);
        g->nodes[i].hist = -1;
    }
    return rc;
}
