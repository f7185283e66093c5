/* explain: TreeSHAP over one node layout for both tree kinds.  Oblivious trees
 * are unrolled into complete binary trees in CatBoost's split order (the root
 * tests level 0, the lowest bit of the leaf index), with covers summed from
 * the leaf weights.  Path-dependent expectations follow the tree's order, so
 * the order is part of the definition; this one is CatBoost's. */
#include <math.h>
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

struct sw_explainer {
    const sw_forest *f;
    int n_trees, n_features, max_depth;
    enode *nodes;
    long *start; /* n_trees + 1 */
    double expected;
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

void sw_explainer_free(sw_explainer *e)
{
    if (!e) return;
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
    float v = x[nd->feature];
    int go_left = isnan(v) ? nd->default_left
                  : nd->cw  ? !sw__cat_right(nd->cw, nd->cbits, v)
                  : nd->le  ? v <= nd->thr
                            : v < nd->thr;
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

int sw_explain_row(const sw_explainer *e, const float *x, double *phi)
{
    memset(phi, 0, sizeof *phi * (size_t)e->n_features);
    int md = e->max_depth + 2;
    pelem *path = sw_alloc_array((size_t)(md * (md + 1)) / 2 + 1, sizeof *path);
    double *rcp = sw_alloc_array((size_t)md + 2, sizeof *rcp);
    if (!path || !rcp) {
        sw_free(path);
        sw_free(rcp);
        return SW_NOMEM;
    }
    rcp[0] = 0;
    for (int k = 1; k < md + 2; k++) rcp[k] = 1.0 / k;
    for (int t = 0; t < e->n_trees; t++) shap(e->nodes + e->start[t], x, phi, 0, 0, path, 1, 1, -1, rcp);
    sw_free(path);
    sw_free(rcp);
    return SW_OK;
}

int sw_explain_rows(const sw_explainer *e, const float *X, long n, long stride, int threads, double *phi,
                    long phi_stride)
{
    int failed = 0;
#pragma omp parallel for num_threads(threads > 0 ? threads : 1) schedule(dynamic, 8) if (threads > 1)
    for (long r = 0; r < n; r++)
        if (sw_explain_row(e, X + (size_t)r * (size_t)stride, phi + (size_t)r * (size_t)phi_stride)) failed = 1;
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
