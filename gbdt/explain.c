/* explain: TreeSHAP over one node layout for both tree kinds.  Oblivious trees
 * are unrolled into complete binary trees in CatBoost's split order (the root
 * tests level 0, the lowest bit of the leaf index), with covers summed from
 * the leaf weights.  Path-dependent expectations follow the tree's order, so
 * the order is part of the definition; this one is CatBoost's. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/alloc.h"
#include "explain.h"
#include "forest_impl.h"

typedef struct {
    int32_t left, right, feature; /* left < 0: leaf */
    float thr;
    uint8_t le;          /* oblivious: x <= thr goes left; binary: x < thr */
    uint8_t default_left;
    double value;        /* leaf value (scaled) */
    double cover;
    const uint32_t *cw;  /* categorical split: the set going right (NULL: numeric) */
    uint32_t cbits;
} enode;

/* The leaf paths of a tree (see leaf_paths): per leaf its value, its path's
 * distinct features (slots: feature, zero fraction) and its nodes (node, the
 * side taken, the node's slot). */
typedef struct {
    double v;
    int d, ns;          /* slots (distinct features), path nodes */
    long slot, st, tab; /* offsets into the explainer's slot, step and table arrays (tab -1: none) */
} lrec;
typedef struct {
    int32_t node;
    uint8_t left, slot;
} lstep;

#define LP_MAX 24 /* path nodes, at most, for leaf paths */
#define LT_MAX 6  /* distinct features on a path, at most, for a leaf's table */
#define LT_CAP (1L << 24) /* the tables' doubles, at most (128 MiB): later leaves go without */

struct sw_explainer {
    const sw_forest *f;
    int n_trees, n_features, max_depth, max_nodes;
    enode *nodes;
    long *start; /* n_trees + 1 */
    double expected;
    /* leaf paths, built by the first row explained (paths_ready; lock), so
     * that an explainer never used costs neither their time nor their
     * memory: tree t's leaves lrec[lstart[t] .. lstart[t + 1]) (none, or
     * lstart NULL: the recursive algorithm) */
    pthread_mutex_t lock;
    atomic_int paths_ready;
    long *lstart;
    lrec *leaves;
    int *sfeat;
    double *sz;
    lstep *steps;
    double *tab; /* the leaves' tables (see leaf_table) */
    double w[LP_MAX + 1][LP_MAX]; /* w[d][k] = k! (d - 1 - k)! / d! */
};

typedef struct {
    int feature;
    double zero_fraction, one_fraction, pweight;
} pelem;

static double subtree_mean(const enode *t, int n)
{
    if (t[n].left < 0) return t[n].value;
    double cl = t[t[n].left].cover, cr = t[t[n].right].cover;
    double ml = subtree_mean(t, t[n].left), mr = subtree_mean(t, t[n].right);
    return cl + cr > 0 ? (ml * cl + mr * cr) / (cl + cr) : 0.5 * (ml + mr);
}

static int depth_of(const enode *t, int n)
{
    if (t[n].left < 0) return 0;
    int a = depth_of(t, t[n].left), b = depth_of(t, t[n].right);
    return 1 + (a > b ? a : b);
}

/* A leaf's table over the 2^d patterns m of the features x follows (bit s:
 * slot s): T[m] = sum_k w(k, d) e_{q-k}, e the elementary symmetric
 * polynomials of the fractions z_s of m's q slots (see leaf_shap); 0 for the
 * full pattern (not used).  Each pattern's polynomial is its pattern without
 * the highest bit times (1 + z t). */
static void leaf_table(const double *w, const double *z, int d, double *T)
{
    double E[1 << LT_MAX][LT_MAX + 1];
    E[0][0] = 1;
    T[0] = w[0];
    for (unsigned m = 1; m < 1u << d; m++) {
        int hb = 31 - __builtin_clz(m), q = __builtin_popcount(m);
        const double *pe = E[m ^ (1u << hb)];
        double *pm = E[m];
        pm[0] = 1;
        for (int j = 1; j < q; j++) pm[j] = pe[j] + z[hb] * pe[j - 1];
        pm[q] = z[hb] * pe[q - 1];
        double s = 0;
        for (int k = 0; k <= q && q < d; k++) s += w[k] * pm[q - k];
        T[m] = s;
    }
}

/* Tree t's leaves with their paths, into e's arrays from *nl, *ns, *np on:
 * the recursion keeps the path's nodes (node, side) in nodes[0..depth). */
typedef struct {
    int32_t node;
    uint8_t left;
} pstep;

static int count_leaves(const enode *t, int n, int depth, int *maxd)
{
    if (t[n].left < 0) {
        if (depth > *maxd) *maxd = depth;
        return 1;
    }
    return count_leaves(t, t[n].left, depth + 1, maxd) + count_leaves(t, t[n].right, depth + 1, maxd);
}

static void walk_leaves(sw_explainer *e, const enode *t, int n, pstep *path, int depth, long *nl, long *ns, long *np)
{
    if (t[n].left >= 0) {
        path[depth] = (pstep){n, 1};
        walk_leaves(e, t, t[n].left, path, depth + 1, nl, ns, np);
        path[depth] = (pstep){n, 0};
        walk_leaves(e, t, t[n].right, path, depth + 1, nl, ns, np);
        return;
    }
    lrec *L = &e->leaves[(*nl)++];
    L->v = t[n].value;
    L->slot = *ns;
    L->st = *np;
    L->tab = -1;
    L->d = 0;
    L->ns = depth;
    for (int k = 0; k < depth; k++) {
        const enode *nd = &t[path[k].node];
        int child = path[k].left ? nd->left : nd->right;
        double z = nd->cover > 0 ? t[child].cover / nd->cover : 0;
        int s = 0;
        while (s < L->d && e->sfeat[L->slot + s] != nd->feature) s++;
        if (s == L->d) {
            e->sfeat[L->slot + s] = nd->feature;
            e->sz[L->slot + s] = 1;
            L->d++;
        }
        e->sz[L->slot + s] *= z; /* a feature tested again: the fractions multiply */
        e->steps[*np + k] = (lstep){path[k].node, path[k].left, (uint8_t)s};
    }
    *ns += L->d;
    *np += depth;
}

/* Leaf paths for every tree whose paths are at most LP_MAX nodes deep (the
 * others keep the recursive algorithm): per row, each leaf's contribution
 * from its path's distinct features alone (see leaf_shap). */
static int leaf_paths(sw_explainer *e)
{
    e->lstart = sw_alloc_array((size_t)e->n_trees + 1, sizeof *e->lstart);
    uint8_t *use = sw_calloc((size_t)e->n_trees + 1, 1); /* the tree's paths are at most LP_MAX deep */
    if (!e->lstart || !use) {
        sw_free(use);
        return SW_NOMEM;
    }
    long nl = 0, nsteps = 0;
    for (int t = 0; t < e->n_trees; t++) {
        const enode *nd = e->nodes + e->start[t];
        int maxd = 0, c = count_leaves(nd, 0, 0, &maxd);
        use[t] = maxd <= LP_MAX;
        if (use[t]) {
            nl += c;
            nsteps += (long)c * maxd;
        }
        long n = e->start[t + 1] - e->start[t];
        if (n > e->max_nodes) e->max_nodes = (int)n;
    }
    e->leaves = sw_alloc_array((size_t)nl + 1, sizeof *e->leaves);
    e->sfeat = sw_alloc_array((size_t)nsteps + 1, sizeof *e->sfeat);
    e->sz = sw_alloc_array((size_t)nsteps + 1, sizeof *e->sz);
    e->steps = sw_alloc_array((size_t)nsteps + 1, sizeof *e->steps);
    pstep *path = sw_alloc_array(LP_MAX + 1, sizeof *path);
    if (!e->leaves || !e->sfeat || !e->sz || !e->steps || !path) {
        sw_free(path);
        sw_free(use);
        return SW_NOMEM;
    }
    long at = 0, ns = 0, np = 0;
    for (int t = 0; t < e->n_trees; t++) {
        e->lstart[t] = at; /* none (lstart[t + 1] == lstart[t]): the recursive algorithm */
        if (use[t]) walk_leaves(e, e->nodes + e->start[t], 0, path, 0, &at, &ns, &np);
    }
    e->lstart[e->n_trees] = at;
    sw_free(path);
    sw_free(use);
    double fact[LP_MAX + 1];
    fact[0] = 1;
    for (int k = 1; k <= LP_MAX; k++) fact[k] = fact[k - 1] * k;
    for (int d = 1; d <= LP_MAX; d++)
        for (int k = 0; k < d; k++) e->w[d][k] = fact[k] * fact[d - 1 - k] / fact[d];
    /* tables for the leaves of at most LT_MAX distinct features */
    long ntab = 0;
    for (long l = 0; l < at; l++)
        if (e->leaves[l].d <= LT_MAX && ntab + (1L << e->leaves[l].d) <= LT_CAP) ntab += 1L << e->leaves[l].d;
    e->tab = sw_alloc_array((size_t)ntab + 1, sizeof *e->tab);
    if (!e->tab) return SW_NOMEM;
    ntab = 0;
    for (long l = 0; l < at; l++) {
        lrec *L = &e->leaves[l];
        if (L->d > LT_MAX || ntab + (1L << L->d) > LT_CAP) continue;
        L->tab = ntab;
        leaf_table(e->w[L->d], e->sz + L->slot, L->d, e->tab + ntab);
        ntab += 1L << L->d;
    }
    return SW_OK;
}

int sw_explainer_create(const sw_forest *f, int n_trees, sw_explainer **out, sw_error *err)
{
    if (f->n_groups > 1) {
        *out = NULL;
        return sw_fail(err, SW_ARG, "the model has %d output groups: explain one (sw_explainer_create_group)",
                       f->n_groups);
    }
    return sw_explainer_create_group(f, n_trees, 0, out, err);
}

int sw_explainer_create_group(const sw_forest *f, int n_trees, int group, sw_explainer **out, sw_error *err)
{
    *out = NULL;
    if (n_trees < 0 || n_trees > f->n_trees) n_trees = f->n_trees;
    if (group < 0 || group >= f->n_groups)
        return sw_fail(err, SW_ARG, "output group %d outside 0..%d", group, f->n_groups - 1);
    /* the group's trees among the first n_trees */
    int nt = 0;
    for (int t = 0; t < n_trees; t++) nt += sw_forest_tree_group(f, t) == group;
    sw_explainer *e = sw_calloc(1, sizeof *e);
    if (!e) return sw_fail(err, SW_NOMEM, "out of memory");
    if (pthread_mutex_init(&e->lock, NULL) != 0) {
        sw_free(e);
        return sw_fail(err, SW_NOMEM, "cannot create a mutex");
    }
    atomic_init(&e->paths_ready, 0);
    e->f = f;
    e->n_trees = nt;
    e->n_features = f->n_features;
    e->start = sw_alloc_array((size_t)nt + 1, sizeof *e->start);
    int *tl = sw_alloc_array((size_t)nt + 1, sizeof *tl);
    if (!e->start || !tl) {
        sw_free(tl);
        sw_explainer_free(e);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    for (int t = 0, k = 0; t < n_trees; t++)
        if (sw_forest_tree_group(f, t) == group) tl[k++] = t;
    long total = 0;
    for (int q = 0; q < nt; q++) {
        int t = tl[q];
        if (f->kind == SW_TREES_BINARY) {
            sw_binary_tree_view v;
            sw_forest_binary_tree(f, t, &v);
            if (!v.cover) {
                sw_free(tl);
                sw_explainer_free(e);
                return sw_fail(err, SW_UNSUPPORTED, "the model has no node covers (sum_hessian): TreeSHAP needs them");
            }
            total += v.n_nodes;
        } else {
            sw_oblivious_tree_view v;
            sw_forest_oblivious_tree(f, t, &v);
            if (!v.leaf_weights) {
                sw_free(tl);
                sw_explainer_free(e);
                return sw_fail(err, SW_UNSUPPORTED, "the model has no leaf weights: TreeSHAP needs them");
            }
            total += (2L << v.depth) - 1;
        }
    }
    e->nodes = sw_alloc_array((size_t)total + 1, sizeof *e->nodes);
    if (!e->nodes) {
        sw_free(tl);
        sw_explainer_free(e);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    long at = 0;
    double expected = f->kind == SW_TREES_BINARY ? (double)sw_forest_group_base_margin(f, group) : f->bias;
    for (int q = 0; q < nt; q++) {
        int t = tl[q];
        e->start[q] = at;
        enode *nd = e->nodes + at;
        if (f->kind == SW_TREES_BINARY) {
            sw_binary_tree_view v;
            sw_forest_binary_tree(f, t, &v);
            for (int i = 0; i < v.n_nodes; i++) {
                nd[i].left = v.left[i];
                nd[i].right = v.right[i];
                nd[i].feature = v.feature[i];
                nd[i].thr = v.value[i];
                nd[i].le = 0;
                nd[i].default_left = v.default_left[i];
                nd[i].value = v.left[i] < 0 ? (double)v.value[i] : 0.0;
                nd[i].cover = v.cover[i];
                nd[i].cw = NULL;
                nd[i].cbits = 0;
                if (v.left[i] >= 0) sw_forest_node_categories(f, t, i, &nd[i].cw, &nd[i].cbits);
            }
            at += v.n_nodes;
        } else {
            sw_oblivious_tree_view v;
            sw_forest_oblivious_tree(f, t, &v);
            int D = v.depth, inner = (1 << D) - 1, n = 2 * inner + 1;
            for (int i = n - 1; i >= 0; i--) {
                if (i >= inner) {
                    /* heap position p spells the path root first: bit d of the leaf index is
                     * the choice at level d, so the leaf index is p with its bits reversed */
                    unsigned p = (unsigned)(i - inner), leaf = 0;
                    for (int d = 0; d < D; d++) leaf |= ((p >> (D - 1 - d)) & 1u) << d;
                    nd[i] = (enode){-1, -1, -1, 0, 0, 0, v.leaves[leaf] * f->scale, v.leaf_weights[leaf], NULL, 0};
                    continue;
                }
                int level = 0; /* depth of node i in the heap = the level it tests */
                for (int k = i + 1; k > 1; k >>= 1) level++;
                int feat = v.feature[level];
                nd[i].left = 2 * i + 1;
                nd[i].right = 2 * i + 2;
                nd[i].feature = feat;
                nd[i].thr = v.border[level];
                nd[i].le = 1;
                nd[i].default_left = f->nan_mode[feat] != SW_NAN_ASTRUE;
                nd[i].value = 0;
                nd[i].cover = nd[2 * i + 1].cover + nd[2 * i + 2].cover;
                nd[i].cw = NULL;
                nd[i].cbits = 0;
            }
            at += n;
        }
        int d = depth_of(nd, 0);
        if (d > e->max_depth) e->max_depth = d;
        expected += subtree_mean(nd, 0);
    }
    e->start[nt] = at;
    e->expected = expected;
    sw_free(tl);
    *out = e;
    return SW_OK;
}

static void free_paths(sw_explainer *e)
{
    sw_free(e->lstart);
    sw_free(e->leaves);
    sw_free(e->sfeat);
    sw_free(e->sz);
    sw_free(e->steps);
    sw_free(e->tab);
    e->lstart = NULL;
    e->leaves = NULL;
    e->sfeat = NULL;
    e->sz = NULL;
    e->steps = NULL;
    e->tab = NULL;
}

void sw_explainer_free(sw_explainer *e)
{
    if (!e) return;
    pthread_mutex_destroy(&e->lock);
    free_paths(e);
    sw_free(e->nodes);
    sw_free(e->start);
    sw_free(e);
}

double sw_explainer_expected(const sw_explainer *e) { return e->expected; }

/* The path algebra of TreeSHAP (Lundberg et al., Algorithm 2), its divisions
 * by small integers taken as multiplications by rcp[k] = 1 / k and those by a
 * fraction as one reciprocal a call: divisions were most of its time. */
static void extend(pelem *p, int d, double zf, double of, int feature, const double *rcp)
{
    p[d].feature = feature;
    p[d].zero_fraction = zf;
    p[d].one_fraction = of;
    p[d].pweight = d == 0 ? 1.0 : 0.0;
    double r = rcp[d + 1];
    for (int i = d - 1; i >= 0; i--) {
        p[i + 1].pweight += of * p[i].pweight * (i + 1) * r;
        p[i].pweight = zf * p[i].pweight * (d - i) * r;
    }
}

static void unwind(pelem *p, int d, int k, const double *rcp)
{
    double of = p[k].one_fraction, zf = p[k].zero_fraction, next = p[d].pweight, r = rcp[d + 1];
    if (of != 0) {
        double iof = (d + 1) / of;
        for (int i = d - 1; i >= 0; i--) {
            double tmp = p[i].pweight;
            p[i].pweight = next * iof * rcp[i + 1];
            next = tmp - p[i].pweight * zf * (d - i) * r;
        }
    } else {
        double izf = (d + 1) / zf;
        for (int i = d - 1; i >= 0; i--) p[i].pweight = p[i].pweight * izf * rcp[d - i];
    }
    for (int i = k; i < d; i++) {
        p[i].feature = p[i + 1].feature;
        p[i].zero_fraction = p[i + 1].zero_fraction;
        p[i].one_fraction = p[i + 1].one_fraction;
    }
}

static double unwound_sum(const pelem *p, int d, int k, const double *rcp)
{
    double of = p[k].one_fraction, zf = p[k].zero_fraction, next = p[d].pweight, total = 0, r = rcp[d + 1];
    if (of != 0) {
        double iof = (d + 1) / of;
        for (int i = d - 1; i >= 0; i--) {
            double tmp = next * iof * rcp[i + 1];
            total += tmp;
            next = p[i].pweight - tmp * zf * ((d - i) * r);
        }
    } else if (zf != 0) {
        double izf = (d + 1) / zf;
        for (int i = d - 1; i >= 0; i--) total += p[i].pweight * izf * rcp[d - i];
    }
    return total;
}

/* The side x takes at an internal node. */
static inline int goes_left(const enode *nd, const float *x)
{
    float v = x[nd->feature];
    return isnan(v) ? nd->default_left : nd->cw ? !sw__cat_right(nd->cw, nd->cbits, v) : nd->le ? v <= nd->thr : v < nd->thr;
}

static void shap(const enode *t, const float *x, double *phi, int n, int d, pelem *parent, double pz, double po,
                 int pfeat, const double *rcp)
{
    pelem *p = parent + d + 1;
    memcpy(p, parent, sizeof *p * (size_t)(d + 1));
    extend(p, d, pz, po, pfeat, rcp);
    const enode *nd = &t[n];
    if (nd->left < 0) {
        for (int i = 1; i <= d; i++) {
            double w = unwound_sum(p, d, i, rcp);
            phi[p[i].feature] += w * (p[i].one_fraction - p[i].zero_fraction) * nd->value;
        }
        return;
    }
    int go_left = goes_left(nd, x);
    int hot = go_left ? nd->left : nd->right, cold = go_left ? nd->right : nd->left;
    double w = nd->cover;
    double hz = w > 0 ? t[hot].cover / w : 0, cz = w > 0 ? t[cold].cover / w : 0;
    double iz = 1, io = 1;
    int k = 0;
    for (; k <= d; k++)
        if (p[k].feature == nd->feature) break;
    if (k != d + 1) {
        iz = p[k].zero_fraction;
        io = p[k].one_fraction;
        unwind(p, d, k, rcp);
        d -= 1;
    }
    /* a branch with zero weight on both fractions contributes nothing (and would
     * divide by zero when the path is unwound below it) */
    if (hz * iz > 0 || io > 0) shap(t, x, phi, hot, d + 1, p, hz * iz, io, nd->feature, rcp);
    if (cz * iz > 0) shap(t, x, phi, cold, d + 1, p, cz * iz, 0, nd->feature, rcp);
}

/* Tree t's contributions from its leaf paths.  For a leaf of value v whose
 * path tests d distinct features, feature i with zero fraction z_i (the
 * product of its nodes' cover fractions) and one fraction o_i (1 when x takes
 * the path's side at each of its nodes, else 0), the path-dependent Shapley
 * value is
 *
 *     phi_j += v (o_j - z_j) sum_{S of the others} w(|S|, d) prod_{i in S} o_i prod_{i not in S} z_i,
 *
 * w(s, d) = s! (d - 1 - s)! / d!.  With O the features x follows and Z the
 * others, the sum is prod_Z z times sum_k w(k, d) e_{q-k}: e the elementary
 * symmetric polynomials of O's fractions (q = |O|), taken without j when j is
 * in O (its polynomial divided by (1 + z_j t)); for j in Z, z_j cancels and
 * every such j gets the same -v prod_Z z sum_k w(k, d) e_{q-k}(O).  O(d^2) a
 * leaf, no division: the recursive algorithm's values, up to rounding. */
static void leaf_shap(const sw_explainer *e, int t, const float *x, double *phi, uint8_t *left)
{
    const enode *nd = e->nodes + e->start[t];
    int n = (int)(e->start[t + 1] - e->start[t]);
    for (int i = 0; i < n; i++)
        if (nd[i].left >= 0) left[i] = (uint8_t)goes_left(&nd[i], x);
    for (long l = e->lstart[t]; l < e->lstart[t + 1]; l++) {
        const lrec *L = &e->leaves[l];
        int d = L->d;
        if (d == 0) continue;
        uint32_t on = (1u << d) - 1;
        const lstep *st = e->steps + L->st;
        for (int k = 0; k < L->ns; k++) /* no branch: x's sides are data */
            on &= ~((uint32_t)(left[st[k].node] != st[k].left) << st[k].slot);
        const int *f = e->sfeat + L->slot;
        const double *z = e->sz + L->slot;
        if (L->tab >= 0) { /* from the leaf's table, without a branch on the pattern */
            const double *T = e->tab + L->tab;
            double zp = 1;
            for (int s = 0; s < d; s++) { /* times z_s where x leaves the path, chosen by bits */
                uint64_t zb, m = (uint64_t)0 - (on >> s & 1);
                memcpy(&zb, &z[s], sizeof zb);
                zb = (zb & ~m) | (0x3ff0000000000000ULL & m); /* 1.0 */
                double zs;
                memcpy(&zs, &zb, sizeof zs);
                zp *= zs;
            }
            double vz = L->v * zp, pick[2];
            pick[0] = -vz * T[on];
            for (int s = 0; s < d; s++) {
                pick[1] = vz * (1 - z[s]) * T[on ^ (1u << s)];
                phi[f[s]] += pick[on >> s & 1];
            }
            continue;
        }
        double zp = 1, zo[LP_MAX], ep[LP_MAX + 1];
        int q = 0;
        for (int s = 0; s < d; s++) {
            if (on >> s & 1) zo[q++] = z[s];
            else zp *= z[s];
        }
        if (zp == 0) continue;
        double E[LP_MAX + 1];
        E[0] = 1;
        for (int a = 0; a < q; a++) {
            E[a + 1] = zo[a] * E[a];
            for (int j = a; j > 0; j--) E[j] += zo[a] * E[j - 1];
        }
        const double *w = e->w[d];
        double vz = L->v * zp;
        if (q < d) { /* the features x does not follow: one value for all */
            double s0 = 0;
            for (int k = 0; k <= q; k++) s0 += w[k] * E[q - k];
            for (int s = 0; s < d; s++)
                if (!(on >> s & 1)) phi[f[s]] -= vz * s0;
        }
        for (int s = 0, a = 0; s < d; s++) {
            if (!(on >> s & 1)) continue;
            double za = zo[a++];
            ep[0] = 1; /* E without this feature's factor */
            for (int j = 1; j < q; j++) ep[j] = E[j] - za * ep[j - 1];
            double s1 = 0;
            for (int k = 0; k < q; k++) s1 += w[k] * ep[q - 1 - k];
            phi[f[s]] += vz * (1 - za) * s1;
        }
    }
}

/* One thread's scratch: the recursive algorithm's path and reciprocals, the
 * sides x takes at a tree's nodes. */
typedef struct {
    pelem *path;
    double *rcp;
    uint8_t *left;
} scratch;

static void scratch_free(scratch *sc)
{
    sw_free(sc->path);
    sw_free(sc->rcp);
    sw_free(sc->left);
}

/* The leaf paths (built once, under the lock, by the first caller), then the
 * scratch. */
static int prepare(const sw_explainer *ce, scratch *sc)
{
    sw_explainer *e = (sw_explainer *)ce;
    if (!atomic_load_explicit(&e->paths_ready, memory_order_acquire)) {
        pthread_mutex_lock(&e->lock);
        if (!atomic_load_explicit(&e->paths_ready, memory_order_relaxed)) {
            if (leaf_paths(e) != SW_OK) free_paths(e); /* out of memory: the recursive algorithm */
            atomic_store_explicit(&e->paths_ready, 1, memory_order_release);
        }
        pthread_mutex_unlock(&e->lock);
    }
    int md = e->max_depth + 2;
    sc->path = sw_alloc_array((size_t)(md * (md + 1)) / 2 + 1, sizeof *sc->path);
    sc->rcp = sw_alloc_array((size_t)md + 2, sizeof *sc->rcp);
    sc->left = sw_malloc((size_t)e->max_nodes + 1);
    if (!sc->path || !sc->rcp || !sc->left) {
        scratch_free(sc);
        return SW_NOMEM;
    }
    sc->rcp[0] = 0;
    for (int k = 1; k < md + 2; k++) sc->rcp[k] = 1.0 / k;
    return SW_OK;
}

static inline void explain_tree(const sw_explainer *e, int t, const float *x, double *phi, const scratch *sc)
{
    if (e->lstart && e->lstart[t + 1] > e->lstart[t]) leaf_shap(e, t, x, phi, sc->left);
    else shap(e->nodes + e->start[t], x, phi, 0, 0, sc->path, 1, 1, -1, sc->rcp);
}

int sw_explain_row(const sw_explainer *e, const float *x, double *phi)
{
    scratch sc;
    if (prepare(e, &sc) != SW_OK) return SW_NOMEM;
    memset(phi, 0, sizeof *phi * (size_t)e->n_features);
    for (int t = 0; t < e->n_trees; t++) explain_tree(e, t, x, phi, &sc);
    scratch_free(&sc);
    return SW_OK;
}

/* Rows by blocks, each block tree by tree: a tree's leaf tables stay in cache
 * for the block's rows (a 1000-tree model's tables are tens of MB).  Each
 * row still adds its trees in order: the one-row function's sums. */
#define EX_BLOCK 32

int sw_explain_rows(const sw_explainer *e, const float *X, long n, long stride, int threads, double *phi,
                    long phi_stride)
{
    int failed = 0;
    long nb = (n + EX_BLOCK - 1) / EX_BLOCK;
#pragma omp parallel num_threads(threads > 0 ? threads : 1) if (threads > 1 && nb > 1) reduction(| : failed)
    {
        scratch sc;
        int ok = prepare(e, &sc) == SW_OK;
        failed |= !ok;
#pragma omp for schedule(dynamic, 1)
        for (long b = 0; b < nb; b++) {
            if (!ok) continue;
            long r0 = b * EX_BLOCK, r1 = r0 + EX_BLOCK < n ? r0 + EX_BLOCK : n;
            for (long r = r0; r < r1; r++) memset(phi + (size_t)r * (size_t)phi_stride, 0, sizeof *phi * (size_t)e->n_features);
            for (int t = 0; t < e->n_trees; t++)
                for (long r = r0; r < r1; r++)
                    explain_tree(e, t, X + (size_t)r * (size_t)stride, phi + (size_t)r * (size_t)phi_stride, &sc);
        }
        if (ok) scratch_free(&sc);
    }
    return failed ? SW_NOMEM : SW_OK;
}

int sw_explain_importance(const sw_explainer *e, const float *X, long n, long stride, double *imp)
{
    memset(imp, 0, sizeof *imp * (size_t)e->n_features);
    double *phi = sw_alloc_array((size_t)e->n_features + 1, sizeof *phi);
    if (!phi) return SW_NOMEM;
    for (long r = 0; r < n; r++) {
        if (sw_explain_row(e, X + (size_t)r * (size_t)stride, phi)) {
            sw_free(phi);
            return SW_NOMEM;
        }
        for (int j = 0; j < e->n_features; j++) imp[j] += fabs(phi[j]);
    }
    for (int j = 0; j < e->n_features && n > 0; j++) imp[j] /= (double)n;
    sw_free(phi);
    return SW_OK;
}
