/* forest: construction with validation, accessors and the scalar reference
 * scorer.  Everything a scorer relies on (indices in range, an acyclic tree,
 * features within the model, finite thresholds and leaves) is checked here,
 * once, when a tree is added. */
#include "forest_impl.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"

sw_forest *sw_forest_create(sw_tree_kind kind, int n_features)
{
    if ((kind != SW_TREES_BINARY && kind != SW_TREES_OBLIVIOUS) || n_features < 0 ||
        n_features > SW_MAX_FEATURES)
        return NULL;
    sw_forest *f = sw_calloc(1, sizeof *f);
    if (!f) return NULL;
    f->kind = kind;
    f->n_features = n_features;
    f->objective = kind == SW_TREES_BINARY ? SW_OBJ_SQUAREDERROR : SW_OBJ_CB_RMSE;
    f->scale = 1.0;
    f->objective_param = NAN;
    f->best_iteration = -1;
    f->trees_per_iteration = 1;
    f->n_groups = 1;
    f->feature_names = sw_calloc((size_t)n_features + 1, sizeof(char *));
    f->nan_mode = sw_calloc((size_t)n_features + 1, 1);
    f->node_start = sw_calloc(1, sizeof(int64_t));
    f->split_start = sw_calloc(1, sizeof(int64_t));
    f->leaf_start = sw_calloc(1, sizeof(int64_t));
    if (!f->feature_names || !f->nan_mode || !f->node_start || !f->split_start || !f->leaf_start) {
        sw_forest_free(f);
        return NULL;
    }
    return f;
}

void sw_forest_free(sw_forest *f)
{
    if (!f) return;
    if (f->feature_names) {
        for (int i = 0; i < f->n_features; i++) sw_free(f->feature_names[i]);
    }
    sw_free(f->feature_names);
    sw_forest_set_objective_section(f, NULL, 0, NULL, NULL);
    sw_free(f->nan_mode);
    sw_free(f->source_format);
    sw_free(f->source_version);
    sw_free(f->depth);
    sw_free(f->node_start);
    sw_free(f->left);
    sw_free(f->right);
    sw_free(f->feat);
    sw_free(f->value);
    sw_free(f->default_left);
    sw_free(f->cover);
    sw_free(f->packed);
    sw_free(f->gain);
    sw_free(f->leaf_weight);
    sw_free(f->split_start);
    sw_free(f->split_feat);
    sw_free(f->split_border);
    sw_free(f->leaf_start);
    sw_free(f->leaf);
    sw_free(f->cat_off);
    sw_free(f->cat_nbits);
    sw_free(f->cat_words);
    sw_free(f->group);
    sw_free(f->gorder);
    sw_free(f->gstart);
    sw_free(f->gbase_score);
    sw_free(f->gbase_margin);
    sw_free(f);
}

/* Room for one more tree in the per-tree arrays. */
static int grow_trees(sw_forest *f, sw_error *err)
{
    if (f->n_trees >= SW_MAX_TREES) return sw_fail(err, SW_RANGE, "more than %d trees", SW_MAX_TREES);
    size_t need = (size_t)f->n_trees + 2;
    if (need > f->cap_trees) {
        size_t nc = f->cap_trees ? f->cap_trees * 2 : 64;
        while (nc < need) nc *= 2;
        int32_t *d = sw_realloc_array(f->depth, nc, sizeof *d);
        if (d) f->depth = d;
        int64_t *a = sw_realloc_array(f->node_start, nc, sizeof *a);
        if (a) f->node_start = a;
        int64_t *b = sw_realloc_array(f->split_start, nc, sizeof *b);
        if (b) f->split_start = b;
        int64_t *c = sw_realloc_array(f->leaf_start, nc, sizeof *c);
        if (c) f->leaf_start = c;
        if (!d || !a || !b || !c) return sw_fail(err, SW_NOMEM, "out of memory adding a tree");
        f->cap_trees = nc;
    }
    return SW_OK;
}

int sw_forest_add_binary(sw_forest *f, const sw_binary_tree_in *in, sw_error *err)
{
    int t = f->n_trees;
    int n_nodes = in->n_nodes;
    const int32_t *left = in->left, *right = in->right, *feature = in->feature;
    const float *threshold = in->threshold, *leaf_value = in->leaf_value;
    const uint8_t *default_left = in->default_left;
    if (f->kind != SW_TREES_BINARY) return sw_fail(err, SW_ARG, "not a binary-tree forest");
    if (n_nodes < 1) return sw_fail(err, SW_FORMAT, "tree %d has no nodes", t);
    SW_TRY(grow_trees(f, err));
    size_t base = f->n_nodes;
    if (base + (size_t)n_nodes > (size_t)INT32_MAX * 4)
        return sw_fail(err, SW_RANGE, "too many nodes");
    if (base + (size_t)n_nodes > f->cap_nodes) {
        size_t nc = f->cap_nodes ? f->cap_nodes : 1024;
        while (nc < base + (size_t)n_nodes) nc *= 2;
        int32_t *l = sw_realloc_array(f->left, nc, sizeof *l);
        if (l) f->left = l;
        int32_t *r = sw_realloc_array(f->right, nc, sizeof *r);
        if (r) f->right = r;
        int32_t *ft = sw_realloc_array(f->feat, nc, sizeof *ft);
        if (ft) f->feat = ft;
        float *v = sw_realloc_array(f->value, nc, sizeof *v);
        if (v) f->value = v;
        uint8_t *dl = sw_realloc_array(f->default_left, nc, sizeof *dl);
        if (dl) f->default_left = dl;
        float *cv = sw_realloc_array(f->cover, nc, sizeof *cv);
        if (cv) f->cover = cv;
        float *gn = sw_realloc_array(f->gain, nc, sizeof *gn);
        if (gn) f->gain = gn;
        sw__pnode *pk = sw_realloc_array(f->packed, nc, sizeof *pk);
        if (pk) f->packed = pk;
        if (!l || !r || !ft || !v || !dl || !cv || !gn || !pk)
            return sw_fail(err, SW_NOMEM, "out of memory adding tree %d", t);
        if (f->cat_off) {
            int64_t *co = sw_realloc_array(f->cat_off, nc, sizeof *co);
            if (co) f->cat_off = co;
            uint32_t *cn = co ? sw_realloc_array(f->cat_nbits, nc, sizeof *cn) : NULL;
            if (cn) f->cat_nbits = cn;
            if (!cn) return sw_fail(err, SW_NOMEM, "out of memory adding tree %d", t);
        }
        f->cap_nodes = nc;
    }
    if (in->cat_count && !f->cat_off) { /* the first tree with categorical splits */
        int any = 0;
        for (int i = 0; i < n_nodes; i++) any |= in->cat_count[i] > 0 && left[i] >= 0;
        if (any) {
            f->cat_off = sw_alloc_array(f->cap_nodes, sizeof *f->cat_off);
            f->cat_nbits = sw_alloc_array(f->cap_nodes, sizeof *f->cat_nbits);
            if (!f->cat_off || !f->cat_nbits) {
                sw_free(f->cat_off);
                sw_free(f->cat_nbits);
                f->cat_off = NULL;
                f->cat_nbits = NULL;
                return sw_fail(err, SW_NOMEM, "out of memory adding tree %d", t);
            }
            for (size_t i = 0; i < base; i++) {
                f->cat_off[i] = -1;
                f->cat_nbits[i] = 0;
            }
        }
    }
    /* the categorical sets' words, checked before anything is written */
    size_t cat_need = 0;
    if (in->cat_count && f->cat_off) {
        for (int i = 0; i < n_nodes; i++) {
            if (left[i] < 0 || in->cat_count[i] <= 0) continue;
            int32_t mx = -1;
            for (int32_t j = 0; j < in->cat_count[i]; j++) {
                int32_t c = in->categories[in->cat_start[i] + j];
                if (c < 0 || (float)c >= SW__MAX_CAT)
                    return sw_fail(err, SW_FORMAT, "tree %d node %d: category %d outside 0..%d", t, i, c,
                                   (int)SW__MAX_CAT - 1);
                if (c > mx) mx = c;
            }
            cat_need += ((size_t)mx + 32) / 32;
        }
        if (f->n_cat_words + cat_need > f->cap_cat_words) {
            size_t nc = f->cap_cat_words ? f->cap_cat_words : 256;
            while (nc < f->n_cat_words + cat_need) nc *= 2;
            uint32_t *w = sw_realloc_array(f->cat_words, nc, sizeof *w);
            if (!w) return sw_fail(err, SW_NOMEM, "out of memory adding tree %d", t);
            f->cat_words = w;
            f->cap_cat_words = nc;
        }
    }
    /* Breadth-first walk from the root: queue[] holds old ids in new order and
     * newid[] maps old -> new (-1 = not reached yet). */
    int32_t *newid = sw_alloc_array((size_t)n_nodes, sizeof *newid);
    int32_t *queue = sw_alloc_array((size_t)n_nodes, sizeof *queue);
    int32_t *ndepth = sw_alloc_array((size_t)n_nodes, sizeof *ndepth);
    if (!newid || !queue || !ndepth) {
        sw_free(newid);
        sw_free(queue);
        sw_free(ndepth);
        return sw_fail(err, SW_NOMEM, "out of memory adding tree %d", t);
    }
    for (int i = 0; i < n_nodes; i++) newid[i] = -1;
    int rc = SW_OK;
    int head = 0, tail = 0, maxdepth = 0;
    newid[0] = 0;
    queue[tail] = 0;
    ndepth[tail++] = 0;
    while (head < tail) {
        int old = queue[head];
        int d = ndepth[head];
        head++;
        if (d > maxdepth) maxdepth = d;
        if (left[old] < 0) {
            if (!isfinite(leaf_value[old])) {
                rc = sw_fail(err, SW_FORMAT, "tree %d node %d: leaf value is not finite", t, old);
                goto out;
            }
            continue;
        }
        int kids[2] = {left[old], right[old]};
        if (feature[old] < 0 || feature[old] >= f->n_features) {
            rc = sw_fail(err, SW_FORMAT, "tree %d node %d: split feature %d outside 0..%d", t, old,
                         feature[old], f->n_features - 1);
            goto out;
        }
        int is_cat = in->cat_count && in->cat_count[old] > 0;
        if (is_cat && !f->cat_off) {
            rc = sw_fail(err, SW_FORMAT, "tree %d node %d: categorical split in a forest without them", t, old);
            goto out;
        }
        if (!is_cat && !isfinite(threshold[old])) {
            rc = sw_fail(err, SW_FORMAT, "tree %d node %d: split threshold is not finite", t, old);
            goto out;
        }
        if (d + 1 > SW_MAX_BINARY_DEPTH) {
            rc = sw_fail(err, SW_FORMAT, "tree %d: deeper than %d levels", t, SW_MAX_BINARY_DEPTH);
            goto out;
        }
        for (int k = 0; k < 2; k++) {
            int c = kids[k];
            if (c < 0 || c >= n_nodes) {
                rc = sw_fail(err, SW_FORMAT, "tree %d node %d: child index %d outside 0..%d", t, old,
                             c, n_nodes - 1);
                goto out;
            }
            if (newid[c] >= 0 || c == 0) {
                rc = sw_fail(err, SW_FORMAT,
                             "tree %d node %d: child %d is reached twice (a cycle or shared subtree)",
                             t, old, c);
                goto out;
            }
            newid[c] = tail;
            queue[tail] = c;
            ndepth[tail++] = d + 1;
        }
    }
    for (int i = 0; i < tail; i++) {
        int old = queue[i];
        size_t p = base + (size_t)i;
        if (left[old] < 0) {
            f->left[p] = -1;
            f->right[p] = -1;
            f->feat[p] = -1;
            f->value[p] = leaf_value[old];
            f->default_left[p] = 0;
        } else {
            f->left[p] = newid[left[old]];
            f->right[p] = newid[right[old]];
            f->feat[p] = feature[old];
            f->value[p] = threshold[old];
            f->default_left[p] = default_left[old] ? 1 : 0;
        }
        if (f->cat_off) {
            f->cat_off[p] = -1;
            f->cat_nbits[p] = 0;
            if (left[old] >= 0 && in->cat_count && in->cat_count[old] > 0) {
                int32_t mx = -1;
                for (int32_t j = 0; j < in->cat_count[old]; j++)
                    if (in->categories[in->cat_start[old] + j] > mx) mx = in->categories[in->cat_start[old] + j];
                size_t nw = ((size_t)mx + 32) / 32;
                uint32_t *w = f->cat_words + f->n_cat_words;
                memset(w, 0, nw * sizeof *w);
                for (int32_t j = 0; j < in->cat_count[old]; j++) {
                    uint32_t c = (uint32_t)in->categories[in->cat_start[old] + j];
                    w[c >> 5] |= 1u << (c & 31);
                }
                f->cat_off[p] = (int64_t)f->n_cat_words;
                f->cat_nbits[p] = (uint32_t)mx + 1;
                f->n_cat_words += nw;
                f->value[p] = 0.0f; /* unused */
                f->n_cat_nodes++;
            }
        }
        f->packed[p].value = f->value[p];
        f->packed[p].left = f->left[p];
        f->packed[p].feat_dl = f->left[p] < 0 ? 0u
                               : (uint32_t)f->feat[p] | (f->default_left[p] ? SW__DL_BIT : 0u) |
                                     (f->cat_off && f->cat_off[p] >= 0 ? SW__CAT_BIT : 0u);
        f->cover[p] = in->cover ? in->cover[old] : 0.0f;
        f->gain[p] = in->gain && left[old] >= 0 ? in->gain[old] : 0.0f;
    }
    if (t == 0) f->has_stats = 1;
    if (!in->cover || !in->gain) f->has_stats = 0;
    f->n_nodes = base + (size_t)tail;
    f->node_start[t] = (int64_t)base;
    f->node_start[t + 1] = (int64_t)f->n_nodes;
    f->depth[t] = maxdepth;
    f->split_start[t + 1] = f->split_start[t];
    f->leaf_start[t + 1] = f->leaf_start[t];
    f->n_trees++;
out:
    sw_free(newid);
    sw_free(queue);
    sw_free(ndepth);
    return rc;
}

int sw_forest_add_oblivious(sw_forest *f, int depth, const int32_t *feature,
                            const float *border, const double *leaf_values,
                            const double *leaf_weights, sw_error *err)
{
    int t = f->n_trees;
    if (f->kind != SW_TREES_OBLIVIOUS) return sw_fail(err, SW_ARG, "not an oblivious-tree forest");
    if (depth < 0 || depth > SW_MAX_OBLIVIOUS_DEPTH)
        return sw_fail(err, SW_FORMAT, "tree %d: depth %d outside 0..%d", t, depth,
                       SW_MAX_OBLIVIOUS_DEPTH);
    for (int d = 0; d < depth; d++) {
        if (feature[d] < 0 || feature[d] >= f->n_features)
            return sw_fail(err, SW_FORMAT, "tree %d level %d: split feature %d outside 0..%d", t, d,
                           feature[d], f->n_features - 1);
        if (!isfinite(border[d]))
            return sw_fail(err, SW_FORMAT, "tree %d level %d: border is not finite", t, d);
    }
    size_t nl = (size_t)1 << depth;
    for (size_t i = 0; i < nl; i++) {
        if (!isfinite(leaf_values[i]))
            return sw_fail(err, SW_FORMAT, "tree %d: leaf %zu is not finite", t, i);
    }
    SW_TRY(grow_trees(f, err));
    /* allocated on the first tree even at depth 0: `split_feat + start` on NULL is UB */
    if (f->n_splits + (size_t)depth > f->cap_splits || !f->split_feat) {
        size_t nc = f->cap_splits ? f->cap_splits * 2 : 1024;
        while (nc < f->n_splits + (size_t)depth) nc *= 2;
        int32_t *sf = sw_realloc_array(f->split_feat, nc, sizeof *sf);
        if (sf) f->split_feat = sf;
        float *sb = sw_realloc_array(f->split_border, nc, sizeof *sb);
        if (sb) f->split_border = sb;
        if (!sf || !sb) return sw_fail(err, SW_NOMEM, "out of memory adding tree %d", t);
        f->cap_splits = nc;
    }
    if (f->n_leaves + nl > f->cap_leaves) {
        size_t nc = f->cap_leaves ? f->cap_leaves * 2 : 4096;
        while (nc < f->n_leaves + nl) nc *= 2;
        double *lv = sw_realloc_array(f->leaf, nc, sizeof *lv);
        if (lv) f->leaf = lv;
        double *lw = sw_realloc_array(f->leaf_weight, nc, sizeof *lw);
        if (lw) f->leaf_weight = lw;
        if (!lv || !lw) return sw_fail(err, SW_NOMEM, "out of memory adding tree %d", t);
        f->cap_leaves = nc;
    }
    if (depth > 0) {
        memcpy(f->split_feat + f->n_splits, feature, (size_t)depth * sizeof *feature);
        memcpy(f->split_border + f->n_splits, border, (size_t)depth * sizeof *border);
    }
    memcpy(f->leaf + f->n_leaves, leaf_values, nl * sizeof *leaf_values);
    for (size_t i = 0; i < nl; i++) f->leaf_weight[f->n_leaves + i] = leaf_weights ? leaf_weights[i] : 0.0;
    if (t == 0) f->has_leaf_weights = 1;
    if (!leaf_weights) f->has_leaf_weights = 0;
    f->split_start[t] = (int64_t)f->n_splits;
    f->leaf_start[t] = (int64_t)f->n_leaves;
    f->n_splits += (size_t)depth;
    f->n_leaves += nl;
    f->split_start[t + 1] = (int64_t)f->n_splits;
    f->leaf_start[t + 1] = (int64_t)f->n_leaves;
    f->node_start[t + 1] = f->node_start[t];
    f->depth[t] = depth;
    f->n_trees++;
    return SW_OK;
}

int sw_forest_set_feature_names(sw_forest *f, const char *const *names, sw_error *err)
{
    for (int i = 0; i < f->n_features; i++) {
        char *d = names[i] ? sw_strdup(names[i]) : NULL;
        if (names[i] && !d) return sw_fail(err, SW_NOMEM, "out of memory");
        sw_free(f->feature_names[i]);
        f->feature_names[i] = d;
    }
    return SW_OK;
}

int sw_forest_set_objective_section(sw_forest *f, const char *name, int n, const char *const *kv, sw_error *err)
{
    for (int i = 0; i < 2 * f->osec_n; i++) sw_free(f->osec_kv[i]);
    sw_free(f->osec_kv);
    sw_free(f->osec);
    f->osec = NULL;
    f->osec_kv = NULL;
    f->osec_n = 0;
    if (!name) return SW_OK;
    if (n < 0 || n > SW_MAX_OBJECTIVE_KEYS) return sw_fail(err, SW_ARG, "%d objective parameters: at most %d", n, SW_MAX_OBJECTIVE_KEYS);
    if (!(f->osec = sw_strdup(name)) || !(f->osec_kv = sw_calloc((size_t)(2 * n + 1), sizeof *f->osec_kv))) goto nomem;
    for (int i = 0; i < n; i++) {
        f->osec_kv[2 * i] = sw_strdup(kv[2 * i]);
        f->osec_kv[2 * i + 1] = sw_strdup(kv[2 * i + 1]);
        f->osec_n = i + 1;
        if (!f->osec_kv[2 * i] || !f->osec_kv[2 * i + 1]) goto nomem;
    }
    return SW_OK;
nomem:
    sw_forest_set_objective_section(f, NULL, 0, NULL, NULL);
    return sw_fail(err, SW_NOMEM, "out of memory");
}

int sw_forest_objective_section(const sw_forest *f, const char **name, int i, const char **key, const char **value)
{
    if (!f->osec) return -1;
    if (name) *name = f->osec;
    if (i >= 0 && i < f->osec_n) {
        *key = f->osec_kv[2 * i];
        *value = f->osec_kv[2 * i + 1];
    }
    return f->osec_n;
}

void sw_forest_set_unnamed(sw_forest *f, int unnamed) { f->unnamed = unnamed != 0; }
int sw_forest_unnamed(const sw_forest *f) { return f->unnamed; }

void sw_forest_set_objective(sw_forest *f, sw_objective obj) { f->objective = obj; }
void sw_forest_set_objective_param(sw_forest *f, double v) { f->objective_param = v; }
double sw_forest_objective_param(const sw_forest *f) { return f->objective_param; }

void sw_forest_set_base_score(sw_forest *f, float base_score, float base_margin)
{
    f->base_score = base_score;
    f->base_margin = base_margin;
}

int sw_forest_set_group_base_scores(sw_forest *f, int n, const float *base_score, const float *base_margin,
                                    sw_error *err)
{
    if (n != f->n_groups)
        return sw_fail(err, SW_FORMAT, "%d base scores for %d output groups", n, f->n_groups);
    float *s = sw_alloc_array((size_t)n, sizeof *s), *m = sw_alloc_array((size_t)n, sizeof *m);
    if (!s || !m) {
        sw_free(s);
        sw_free(m);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    memcpy(s, base_score, (size_t)n * sizeof *s);
    memcpy(m, base_margin, (size_t)n * sizeof *m);
    sw_free(f->gbase_score);
    sw_free(f->gbase_margin);
    f->gbase_score = s;
    f->gbase_margin = m;
    f->base_score = s[0];
    f->base_margin = m[0];
    return SW_OK;
}

void sw_forest_set_scale_bias(sw_forest *f, double scale, double bias)
{
    f->scale = scale;
    f->bias = bias;
}

void sw_forest_set_best_iteration(sw_forest *f, int best_iteration)
{
    f->best_iteration = best_iteration < 0 ? -1 : best_iteration;
}

int sw_forest_set_trees_per_iteration(sw_forest *f, int n, sw_error *err)
{
    if (n < 1 || n > 100000) return sw_fail(err, SW_FORMAT, "invalid trees per iteration %d", n);
    f->trees_per_iteration = n;
    return SW_OK;
}

int sw_forest_set_groups(sw_forest *f, int n_groups, const int32_t *group, sw_error *err)
{
    if (n_groups < 1 || n_groups > SW_MAX_GROUPS)
        return sw_fail(err, SW_FORMAT, "%d output groups: expected 1..%d", n_groups, SW_MAX_GROUPS);
    for (int t = 0; t < f->n_trees; t++)
        if (group[t] < 0 || group[t] >= n_groups)
            return sw_fail(err, SW_FORMAT, "tree %d: output group %d outside 0..%d", t, group[t], n_groups - 1);
    sw_free(f->group);
    sw_free(f->gorder);
    sw_free(f->gstart);
    sw_free(f->gbase_score);
    sw_free(f->gbase_margin);
    f->group = f->gorder = f->gstart = NULL;
    f->gbase_score = f->gbase_margin = NULL;
    f->n_groups = 1;
    if (n_groups == 1) return SW_OK;
    f->group = sw_alloc_array((size_t)f->n_trees + 1, sizeof *f->group);
    f->gorder = sw_alloc_array((size_t)f->n_trees + 1, sizeof *f->gorder);
    f->gstart = sw_calloc((size_t)n_groups + 1, sizeof *f->gstart);
    if (!f->group || !f->gorder || !f->gstart) {
        sw_free(f->group);
        sw_free(f->gorder);
        sw_free(f->gstart);
        f->group = f->gorder = f->gstart = NULL;
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    for (int t = 0; t < f->n_trees; t++) {
        f->group[t] = group[t];
        f->gstart[group[t] + 1]++;
    }
    for (int g = 0; g < n_groups; g++) f->gstart[g + 1] += f->gstart[g];
    int *fill = sw_calloc((size_t)n_groups, sizeof *fill);
    if (!fill) {
        sw_free(f->group);
        sw_free(f->gorder);
        sw_free(f->gstart);
        f->group = f->gorder = f->gstart = NULL;
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    for (int t = 0; t < f->n_trees; t++) f->gorder[f->gstart[group[t]] + fill[group[t]]++] = t;
    sw_free(fill);
    f->n_groups = n_groups;
    return SW_OK;
}

int sw_forest_set_nan_mode(sw_forest *f, int feature, sw_nan_mode mode, sw_error *err)
{
    if (feature < 0 || feature >= f->n_features)
        return sw_fail(err, SW_FORMAT, "NaN treatment for feature %d outside 0..%d", feature,
                       f->n_features - 1);
    if (mode != SW_NAN_ASIS && mode != SW_NAN_ASFALSE && mode != SW_NAN_ASTRUE)
        return sw_fail(err, SW_FORMAT, "invalid NaN treatment %d", (int)mode);
    f->nan_mode[feature] = (uint8_t)mode;
    return SW_OK;
}

int sw_forest_set_source(sw_forest *f, const char *format, const char *version)
{
    char *a = format ? sw_strdup(format) : NULL;
    char *b = version ? sw_strdup(version) : NULL;
    if ((format && !a) || (version && !b)) {
        sw_free(a);
        sw_free(b);
        return SW_NOMEM;
    }
    sw_free(f->source_format);
    sw_free(f->source_version);
    f->source_format = a;
    f->source_version = b;
    return SW_OK;
}

sw_tree_kind sw_forest_kind(const sw_forest *f) { return f->kind; }
int sw_forest_n_features(const sw_forest *f) { return f->n_features; }
int sw_forest_n_trees(const sw_forest *f) { return f->n_trees; }
sw_objective sw_forest_objective(const sw_forest *f) { return f->objective; }
float sw_forest_base_score(const sw_forest *f) { return f->base_score; }
float sw_forest_base_margin(const sw_forest *f) { return f->base_margin; }
float sw_forest_group_base_score(const sw_forest *f, int g) { return f->gbase_score ? f->gbase_score[g] : f->base_score; }
float sw_forest_group_base_margin(const sw_forest *f, int g)
{
    return f->gbase_margin ? f->gbase_margin[g] : f->base_margin;
}

int sw_forest_has_group_base_scores(const sw_forest *f)
{
    if (!f->gbase_score) return 0;
    for (int g = 1; g < f->n_groups; g++)
        if (memcmp(&f->gbase_score[g], &f->gbase_score[0], sizeof(float)) ||
            memcmp(&f->gbase_margin[g], &f->gbase_margin[0], sizeof(float)))
            return 1;
    return 0;
}
double sw_forest_scale(const sw_forest *f) { return f->scale; }
double sw_forest_bias(const sw_forest *f) { return f->bias; }
int sw_forest_best_iteration(const sw_forest *f) { return f->best_iteration; }
int sw_forest_trees_per_iteration(const sw_forest *f) { return f->trees_per_iteration; }
const char *sw_forest_source_format(const sw_forest *f) { return f->source_format ? f->source_format : ""; }
const char *sw_forest_source_version(const sw_forest *f) { return f->source_version ? f->source_version : ""; }
int sw_forest_output_is_f32(const sw_forest *f) { return f->kind == SW_TREES_BINARY; }
int sw_forest_n_groups(const sw_forest *f) { return f->n_groups; }
int sw_forest_has_categorical(const sw_forest *f) { return f->n_cat_nodes > 0; }

int sw_forest_tree_group(const sw_forest *f, int tree)
{
    if (!f->group || tree < 0 || tree >= f->n_trees) return 0;
    return f->group[tree];
}

int sw_forest_n_outputs(const sw_forest *f, int margin)
{
    if (f->n_groups > 1 && !margin && f->objective == SW_OBJ_MULTI_SOFTMAX) return 1;
    return f->n_groups;
}

void sw_forest_finish_groups(const sw_forest *f, const float *m, int margin, double *out)
{
    int G = f->n_groups;
    if (margin || G == 1) {
        for (int g = 0; g < G; g++)
            out[g] = margin ? (double)m[g] : (double)sw_link_apply_f32(sw_objective_link(f->objective), m[g]);
        return;
    }
    if (f->objective == SW_OBJ_MULTI_SOFTMAX) {
        out[0] = (double)sw_argmax_f32(m, G);
        return;
    }
    float p[SW_MAX_GROUPS];
    memcpy(p, m, (size_t)G * sizeof *p);
    if (f->objective == SW_OBJ_MULTI_SOFTPROB) sw_softmax_f32(p, G);
    else
        for (int g = 0; g < G; g++) p[g] = sw_link_apply_f32(sw_objective_link(f->objective), p[g]);
    for (int g = 0; g < G; g++) out[g] = (double)p[g];
}

int sw_forest_node_categories(const sw_forest *f, int tree, int node, const uint32_t **words, uint32_t *nbits)
{
    if (!f->cat_off || tree < 0 || tree >= f->n_trees) return 0;
    int64_t i = f->node_start[tree] + node;
    if (node < 0 || i >= f->node_start[tree + 1] || f->cat_off[i] < 0) return 0;
    *words = f->cat_words + f->cat_off[i];
    *nbits = f->cat_nbits[i];
    return 1;
}

const char *sw_forest_feature_name(const sw_forest *f, int i)
{
    if (i < 0 || i >= f->n_features) return NULL;
    return f->feature_names[i];
}

sw_nan_mode sw_forest_nan_mode(const sw_forest *f, int feature)
{
    if (feature < 0 || feature >= f->n_features) return SW_NAN_ASIS;
    return (sw_nan_mode)f->nan_mode[feature];
}

int sw_forest_tree_depth(const sw_forest *f, int tree)
{
    if (tree < 0 || tree >= f->n_trees) return -1;
    return f->depth[tree];
}

int sw_forest_tree_nodes(const sw_forest *f, int tree)
{
    if (tree < 0 || tree >= f->n_trees) return 0;
    if (f->kind == SW_TREES_BINARY) return (int)(f->node_start[tree + 1] - f->node_start[tree]);
    return f->depth[tree];
}

int sw_forest_tree_limit(const sw_forest *f, int choice)
{
    if (choice == SW_TREES_BEST) {
        if (f->best_iteration < 0) return f->n_trees;
        long n = ((long)f->best_iteration + 1) * f->trees_per_iteration;
        return n < f->n_trees ? (int)n : f->n_trees;
    }
    if (choice <= 0) return f->n_trees;
    return choice < f->n_trees ? choice : f->n_trees;
}

void sw_forest_binary_tree(const sw_forest *f, int tree, sw_binary_tree_view *v)
{
    int64_t s = f->node_start[tree];
    v->n_nodes = (int)(f->node_start[tree + 1] - s);
    v->left = f->left + s;
    v->right = f->right + s;
    v->feature = f->feat + s;
    v->value = f->value + s;
    v->default_left = f->default_left + s;
    v->cover = f->has_stats ? f->cover + s : NULL;
    v->gain = f->has_stats ? f->gain + s : NULL;
}

void sw_forest_oblivious_tree(const sw_forest *f, int tree, sw_oblivious_tree_view *v)
{
    v->depth = f->depth[tree];
    v->feature = f->split_feat + f->split_start[tree];
    v->border = f->split_border + f->split_start[tree];
    v->leaves = f->leaf + f->leaf_start[tree];
    v->leaf_weights = f->has_leaf_weights ? f->leaf_weight + f->leaf_start[tree] : NULL;
}

/* ------------------------------------------------------ reference scorer */

/* Rows in blocks, trees in order within a block: each tree stays in cache for
 * the whole block (as XGBoost's CPU predictor does) while every row still sums
 * its leaves in tree order, in float32, from the base margin. */
#define REF_BLOCK 64

/* Right child of packed node n of a tree whose nodes start at global index s. */
static inline int goes_right(const sw_forest *f, const sw__pnode *nd, int64_t gi, float v)
{
    uint32_t fd = nd->feat_dl;
    if (isnan(v)) return !(fd & SW__DL_BIT);
    if (fd & SW__CAT_BIT) return sw__cat_right(f->cat_words + f->cat_off[gi], f->cat_nbits[gi], v);
    return !(v < nd->value);
}

/* acc[r] = base + the leaves of trees tl[0..nt) (tl NULL: trees 0..nt). */
static void binary_block(const sw_forest *f, const float *X, long stride, int nrows, const int32_t *tl, int nt,
                         float base, float *acc)
{
    for (int r = 0; r < nrows; r++) acc[r] = base;
    for (int i = 0; i < nt; i++) {
        int t = tl ? tl[i] : i;
        const sw__pnode *nodes = f->packed + f->node_start[t];
        int r = 0;
        if (f->cat_off) { /* categorical splits: one row at a time */
            for (; r < nrows; r++) {
                const float *x = X + (size_t)r * (size_t)stride;
                int n = 0;
                while (nodes[n].left >= 0)
                    n = nodes[n].left +
                        goes_right(f, &nodes[n], f->node_start[t] + n, x[nodes[n].feat_dl & SW__FEAT_MASK]);
                acc[r] += nodes[n].value;
            }
            continue;
        }
        /* four rows walk together: independent chains of loads overlap */
        for (; r + 4 <= nrows; r += 4) {
            const float *x0 = X + (size_t)r * (size_t)stride;
            const float *xs[4] = {x0, x0 + stride, x0 + 2 * stride, x0 + 3 * stride};
            int n[4] = {0, 0, 0, 0};
            for (;;) {
                int internal = 0;
                for (int k = 0; k < 4; k++) {
                    const sw__pnode *nd = &nodes[n[k]];
                    int leaf = nd->left < 0;
                    uint32_t fd = nd->feat_dl;
                    float v = xs[k][fd & SW__FEAT_MASK];
                    int right = isnan(v) ? !(fd & SW__DL_BIT) : !(v < nd->value);
                    n[k] = leaf ? n[k] : nd->left + right;
                    internal |= !leaf;
                }
                if (!internal) break;
            }
            for (int k = 0; k < 4; k++) acc[r + k] += nodes[n[k]].value;
        }
        for (; r < nrows; r++) {
            const float *x = X + (size_t)r * (size_t)stride;
            int n = 0;
            while (nodes[n].left >= 0) {
                uint32_t fd = nodes[n].feat_dl;
                float v = x[fd & SW__FEAT_MASK];
                int right = isnan(v) ? !(fd & SW__DL_BIT) : !(v < nodes[n].value);
                n = nodes[n].left + right;
            }
            acc[r] += nodes[n].value;
        }
    }
}

static double oblivious_row(const sw_forest *f, const float *x, int n_trees)
{
    double sum = 0.0;
    for (int t = 0; t < n_trees; t++) {
        const int32_t *ft = f->split_feat + f->split_start[t];
        const float *b = f->split_border + f->split_start[t];
        int depth = f->depth[t];
        unsigned idx = 0;
        for (int d = 0; d < depth; d++) {
            float xv = x[ft[d]];
            if (isnan(xv)) {
                uint8_t m = f->nan_mode[ft[d]];
                if (m == SW_NAN_ASTRUE) xv = INFINITY;
                else if (m == SW_NAN_ASFALSE) xv = -INFINITY;
            }
            idx |= (unsigned)(xv > b[d]) << d;
        }
        sum += f->leaf[f->leaf_start[t] + idx];
    }
    return sum;
}

/* Several output groups: each group's trees (those below n_trees) into its
 * margins, rows in chunks whose margins fit 4096 floats. */
static void groups_block(const sw_forest *f, const float *X, long stride, int nrows, int n_trees, int margin,
                         double *out)
{
    int G = f->n_groups, no = sw_forest_n_outputs(f, margin);
    int chunk = 4096 / G < 1 ? 1 : 4096 / G > REF_BLOCK ? REF_BLOCK : 4096 / G;
    float m[4096], acc[REF_BLOCK];
    for (int r0 = 0; r0 < nrows; r0 += chunk) {
        int nr = nrows - r0 < chunk ? nrows - r0 : chunk;
        for (int g = 0; g < G; g++) {
            int a = f->gstart[g], b = f->gstart[g + 1];
            while (b > a && f->gorder[b - 1] >= n_trees) b--;
            binary_block(f, X + (size_t)r0 * (size_t)stride, stride, nr, f->gorder + a, b - a,
                         sw_forest_group_base_margin(f, g), acc);
            for (int r = 0; r < nr; r++) m[(size_t)r * (size_t)G + (size_t)g] = acc[r];
        }
        for (int r = 0; r < nr; r++)
            sw_forest_finish_groups(f, m + (size_t)r * (size_t)G, margin, out + (size_t)(r0 + r) * (size_t)no);
    }
}

static void predict_block(const sw_forest *f, const float *X, long stride, int nrows, int n_trees,
                          int margin, double *out)
{
    sw_link link = sw_objective_link(f->objective);
    if (f->n_groups > 1) {
        groups_block(f, X, stride, nrows, n_trees, margin, out);
        return;
    }
    if (f->kind == SW_TREES_BINARY) {
        float acc[REF_BLOCK];
        binary_block(f, X, stride, nrows, NULL, n_trees, f->base_margin, acc);
        for (int r = 0; r < nrows; r++)
            out[r] = margin ? (double)acc[r] : (double)sw_link_apply_f32(link, acc[r]);
        return;
    }
    for (int r = 0; r < nrows; r++) {
        double raw = oblivious_row(f, X + (size_t)r * (size_t)stride, n_trees) * f->scale + f->bias;
        out[r] = margin ? raw : sw_link_apply_f64(link, raw);
    }
}

double sw_forest_predict_row_ref(const sw_forest *f, const float *x, int n_trees, int margin)
{
    if (n_trees < 0 || n_trees > f->n_trees) n_trees = f->n_trees;
    if (sw_forest_n_outputs(f, margin) != 1) return NAN; /* several outputs: sw_forest_predict_ref */
    double out;
    predict_block(f, x, 0, 1, n_trees, margin, &out);
    return out;
}

void sw_forest_predict_ref(const sw_forest *f, const float *X, long n_rows, long stride,
                           int n_trees, int margin, double *out)
{
    if (n_trees < 0 || n_trees > f->n_trees) n_trees = f->n_trees;
    for (long i = 0; i < n_rows; i += REF_BLOCK) {
        int nr = n_rows - i < REF_BLOCK ? (int)(n_rows - i) : REF_BLOCK;
        predict_block(f, X + (size_t)i * (size_t)stride, stride, nr, n_trees, margin,
                      out + (size_t)i * (size_t)sw_forest_n_outputs(f, margin));
    }
}

sw_forest *sw_forest_to_binary(const sw_forest *f)
{
    if (f->kind != SW_TREES_OBLIVIOUS) return NULL;
    sw_forest *b = sw_forest_create(SW_TREES_BINARY, f->n_features);
    if (!b) return NULL;
    if (sw_forest_set_feature_names(b, (const char *const *)f->feature_names, NULL) != SW_OK) goto fail;
    b->unnamed = f->unnamed;
    sw_forest_set_objective(b, sw_objective_link(f->objective) == SW_LINK_EXP ? SW_OBJ_POISSON
                               : sw_objective_link(f->objective) == SW_LINK_SIGMOID ? SW_OBJ_LOGISTIC
                                                                                    : SW_OBJ_SQUAREDERROR);
    int ok;
    float bm = (float)f->bias;
    sw_forest_set_base_score(b, sw_link_apply_f32(sw_objective_link(b->objective), bm), bm);
    (void)ok;
    size_t maxn = ((size_t)2 << SW_MAX_OBLIVIOUS_DEPTH);
    int32_t *l = sw_alloc_array(maxn, 4), *r = sw_alloc_array(maxn, 4), *ft = sw_alloc_array(maxn, 4);
    float *v = sw_alloc_array(maxn, 4);
    uint8_t *dl = sw_alloc_array(maxn, 1);
    int rc = (!l || !r || !ft || !v || !dl) ? SW_NOMEM : SW_OK;
    for (int t = 0; t < f->n_trees && rc == SW_OK; t++) {
        sw_oblivious_tree_view o;
        sw_forest_oblivious_tree(f, t, &o);
        int inner = (1 << o.depth) - 1, n = 2 * inner + 1;
        for (int i = 0; i < n; i++) {
            int level = 0;
            while ((2 << level) - 1 <= i) level++;
            if (i < inner) {
                int fe = o.feature[level];
                l[i] = 2 * i + 1;
                r[i] = 2 * i + 2;
                ft[i] = fe;
                v[i] = nextafterf(o.border[level], INFINITY);
                dl[i] = f->nan_mode[fe] != SW_NAN_ASTRUE;
            } else {
                int pos = i - inner, idx = 0;
                for (int k = 0; k < o.depth; k++) idx |= ((pos >> (o.depth - 1 - k)) & 1) << k;
                l[i] = r[i] = -1;
                ft[i] = 0;
                dl[i] = 0;
                v[i] = (float)(o.leaves[idx] * f->scale);
            }
        }
        sw_binary_tree_in in = {n, l, r, ft, v, dl, v, NULL, NULL, NULL, NULL, NULL};
        rc = sw_forest_add_binary(b, &in, NULL);
    }
    sw_free(l);
    sw_free(r);
    sw_free(ft);
    sw_free(v);
    sw_free(dl);
    if (rc == SW_OK) return b;
fail:
    sw_forest_free(b);
    return NULL;
}
