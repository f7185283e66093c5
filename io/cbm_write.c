/* cbm_write: an oblivious-tree sw_forest as a CatBoost .cbm model.
 *
 * A small front-to-back flatbuffers builder: each table is written as its
 * vtable followed by the table, with offset fields patched once their targets
 * (always written later, as flatbuffers' unsigned offsets require) are placed.
 * Scalars are aligned to their size and vectors' elements to theirs, as the
 * flatbuffers verifier demands.  The layout mirrors CatBoost 1.2's own files:
 * float features with their sorted borders, TreeSplits into the flattened
 * border list, TreeSizes/TreeStartOffsets, LeafValues/LeafWeights, MultiBias,
 * Scale when not 1, RepackedBins, and an InfoMap with the loss function.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "cbm_impl.h"
#include "model.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cbm_write copies arrays as little-endian bytes"
#endif

typedef struct {
    unsigned char *b;
    size_t len, cap;
    int failed;
} fbb;

static void ensure(fbb *w, size_t n)
{
    if (w->failed) return;
    if (sw_grow((void **)&w->b, &w->cap, w->len + n, 1)) w->failed = 1;
}

static void put(fbb *w, const void *p, size_t n)
{
    ensure(w, n);
    if (w->failed) return;
    memcpy(w->b + w->len, p, n);
    w->len += n;
}

static void pad_to(fbb *w, size_t pos)
{
    while (w->len < pos && !w->failed) {
        unsigned char z = 0;
        put(w, &z, 1);
    }
}

static size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

static void le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void patch(fbb *w, size_t slot, size_t target)
{
    if (w->failed) return;
    le(w->b + slot, (uint64_t)(target - slot), 4);
}

/* Write a table whose field i has size sizes[i] (0 = absent) and value bytes
 * vals[i] (NULL = zeros, e.g. an offset patched later).  pos[i] receives the
 * absolute position of each present field.  Returns the table position. */
static size_t table(fbb *w, int n, const int *sizes, const void *const *vals, size_t *pos)
{
    size_t vpos = align_up(w->len, 2);
    pad_to(w, vpos);
    size_t vlen = 4 + 2 * (size_t)n;
    size_t t = align_up(vpos + vlen, 8);
    size_t cur = t + 4;
    size_t off[32];
    for (int i = 0; i < n; i++) {
        if (!sizes[i]) {
            off[i] = 0;
            continue;
        }
        cur = align_up(cur, (size_t)sizes[i]);
        off[i] = cur - t;
        cur += (size_t)sizes[i];
    }
    size_t tlen = cur - t;
    unsigned char vt[4 + 64];
    le(vt, vlen, 2);
    le(vt + 2, tlen, 2);
    for (int i = 0; i < n; i++) le(vt + 4 + 2 * i, off[i], 2);
    put(w, vt, vlen);
    pad_to(w, t);
    unsigned char so[4];
    le(so, (uint64_t)(uint32_t)(int32_t)(t - vpos), 4);
    put(w, so, 4);
    for (int i = 0; i < n; i++) {
        if (!sizes[i]) continue;
        pad_to(w, t + off[i]);
        if (vals[i]) {
            put(w, vals[i], (size_t)sizes[i]);
        } else {
            unsigned char z[8] = {0};
            put(w, z, (size_t)sizes[i]);
        }
        pos[i] = t + off[i];
    }
    pad_to(w, t + tlen);
    return t;
}

/* Vector of `count` little-endian elements of `elem` bytes; returns its position. */
static size_t vector(fbb *w, size_t elem, size_t count, const void *data)
{
    size_t a = elem > 4 ? elem : 4;
    size_t start = align_up(w->len + 4, a) - 4;
    pad_to(w, start);
    unsigned char c[4];
    le(c, count, 4);
    put(w, c, 4);
    if (count && data) {
        put(w, data, elem * count);
    } else {
        pad_to(w, w->len + elem * count); /* zeros: offsets patched later */
    }
    return start;
}

static size_t string(fbb *w, const char *s)
{
    size_t n = strlen(s);
    size_t p = vector(w, 1, n, s);
    unsigned char z = 0;
    put(w, &z, 1);
    return p;
}

/* A vector of n tables with no fields. */
static size_t empty_tables(fbb *w, int n)
{
    size_t v = vector(w, 4, (size_t)n, NULL);
    pad_to(w, v + 4 + 4 * (size_t)n);
    for (int i = 0; i < n; i++) {
        size_t pos[1];
        int sz[1] = {0};
        const void *val[1] = {NULL};
        patch(w, v + 4 + 4 * (size_t)i, table(w, 1, sz, val, pos));
    }
    return v;
}

static const char *loss_name(sw_objective o)
{
    switch (o) {
    case SW_OBJ_CB_MAE: return "MAE";
    case SW_OBJ_CB_QUANTILE: return "Quantile";
    case SW_OBJ_CB_POISSON: return "Poisson";
    case SW_OBJ_CB_LOGLOSS: return "Logloss";
    default: return "RMSE";
    }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

int sw_cbm_write(const sw_forest *f, unsigned char **data, size_t *len, sw_error *err)
{
    return sw__cbm_write_ex(f, NULL, data, len, err);
}

int sw__cbm_write_ex(const sw_forest *f, const sw__cbm_write_opts *o, unsigned char **data,
                     size_t *len, sw_error *err)
{
    static const sw__cbm_write_opts none;
    if (!o) o = &none;
    *data = NULL;
    *len = 0;
    if (sw_forest_kind(f) != SW_TREES_OBLIVIOUS)
        return sw_fail(err, SW_UNSUPPORTED,
                       "a binary-tree model cannot be saved as CatBoost .cbm (use .json, .ubj or .swm)");
    sw_objective obj = sw_forest_objective(f);
    if (!sw_objective_is_catboost(obj))
        return sw_fail(err, SW_UNSUPPORTED, "objective %s has no CatBoost equivalent", sw_objective_name(obj));
    int nf = sw_forest_n_features(f), nt = sw_forest_n_trees(f);
    int rc = SW_OK;
    /* borders per feature: the sorted distinct borders used by the trees */
    int *nb = sw_calloc((size_t)nf + 1, sizeof *nb);
    float **borders = sw_calloc((size_t)nf + 1, sizeof *borders);
    size_t total_splits = 0, total_leaves = 0;
    for (int t = 0; t < nt; t++) {
        total_splits += (size_t)sw_forest_tree_depth(f, t);
        total_leaves += (size_t)1 << sw_forest_tree_depth(f, t);
    }
    int32_t *splits = sw_alloc_array(total_splits + 1, sizeof *splits);
    int32_t *sizes = sw_alloc_array((size_t)nt + 1, sizeof *sizes);
    int32_t *starts = sw_alloc_array((size_t)nt + 1, sizeof *starts);
    double *leaves = sw_alloc_array(total_leaves + 1, sizeof *leaves);
    double *weights = sw_alloc_array(total_leaves + 1, sizeof *weights);
    unsigned char *repacked = sw_alloc_array(total_splits + 1, 4);
    int *bstart = sw_alloc_array((size_t)nf + 1, sizeof *bstart);
    int *bucket = sw_alloc_array((size_t)nf + 1, sizeof *bucket);
    fbb W = {0};
    fbb *w = &W;
    if (!nb || !borders || !splits || !sizes || !starts || !leaves || !weights || !repacked || !bstart ||
        !bucket) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto out;
    }
    for (int t = 0; t < nt; t++) {
        sw_oblivious_tree_view v;
        sw_forest_oblivious_tree(f, t, &v);
        for (int d = 0; d < v.depth; d++) nb[v.feature[d]]++;
    }
    for (int i = 0; i < nf; i++) {
        borders[i] = sw_alloc_array((size_t)nb[i] + 1, sizeof(float));
        if (!borders[i]) {
            rc = sw_fail(err, SW_NOMEM, "out of memory");
            goto out;
        }
        nb[i] = 0;
    }
    for (int t = 0; t < nt; t++) {
        sw_oblivious_tree_view v;
        sw_forest_oblivious_tree(f, t, &v);
        for (int d = 0; d < v.depth; d++) borders[v.feature[d]][nb[v.feature[d]]++] = v.border[d];
    }
    int total_borders = 0, nbuckets = 0;
    for (int i = 0; i < nf; i++) {
        qsort(borders[i], (size_t)nb[i], sizeof(float), cmp_float);
        int u = 0;
        for (int k = 0; k < nb[i]; k++)
            if (u == 0 || borders[i][k] != borders[i][u - 1]) borders[i][u++] = borders[i][k];
        nb[i] = u;
        if (u > 255) {
            rc = sw_fail(err, SW_UNSUPPORTED, "feature %d has %d distinct borders; .cbm holds at most 255", i, u);
            goto out;
        }
        bstart[i] = total_borders;
        total_borders += u;
        bucket[i] = u ? nbuckets++ : -1;
    }
    {
        size_t sp = 0, lp = 0;
        for (int t = 0; t < nt; t++) {
            sw_oblivious_tree_view v;
            sw_forest_oblivious_tree(f, t, &v);
            sizes[t] = v.depth;
            starts[t] = (int32_t)sp;
            for (int d = 0; d < v.depth; d++) {
                int fi = v.feature[d];
                int k = 0;
                while (borders[fi][k] != v.border[d]) k++;
                splits[sp] = bstart[fi] + k;
                le(repacked + 4 * sp, (uint64_t)bucket[fi], 2);
                repacked[4 * sp + 2] = 0;
                repacked[4 * sp + 3] = (unsigned char)(k + 1);
                sp++;
            }
            size_t nl = (size_t)1 << v.depth;
            for (size_t k = 0; k < nl; k++) {
                leaves[lp + k] = v.leaves[k];
                weights[lp + k] = v.leaf_weights ? v.leaf_weights[k] : 0.0;
            }
            lp += nl;
        }
    }

    /* ---- serialise: CBM1, length, flatbuffer ---- */
    put(w, "CBM1\0\0\0\0", 8);
    size_t fb0 = w->len; /* flatbuffer offsets are relative to here */
    unsigned char zero4[4] = {0};
    put(w, zero4, 4); /* root offset */
    /* TModelCore */
    size_t core_pos[4];
    int core_sz[4] = {4, 4, 4, o->n_parts ? 4 : 0};
    const void *core_val[4] = {NULL, NULL, NULL, NULL};
    size_t root = table(w, 4, core_sz, core_val, core_pos);
    patch(w, fb0, root);
    size_t fv = string(w, "FlabuffersModel_v1");
    patch(w, core_pos[0], fv);
    /* TModelTrees */
    int32_t one = o->approx_dimension ? o->approx_dimension : 1;
    if (total_splits && o->bad_split) splits[0] += o->bad_split;
    if (nt && o->depth_override > 0) sizes[0] = o->depth_override;
    double scale = sw_forest_scale(f), bias = sw_forest_bias(f);
    int mt_sz[19] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, scale != 1.0 ? 8 : 0, 0, 4, 4, 4};
    const void *mt_val[19] = {&one, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                              NULL, NULL, NULL, NULL, &scale, NULL, NULL, NULL, NULL};
    size_t mt_pos[19];
    size_t mt = table(w, 19, mt_sz, mt_val, mt_pos);
    patch(w, core_pos[1], mt);
    /* little-endian hosts only (x86-64, aarch64): raw arrays are already LE */
    patch(w, mt_pos[1], vector(w, 4, total_splits, splits));
    patch(w, mt_pos[2], vector(w, 4, (size_t)nt, sizes));
    patch(w, mt_pos[3], vector(w, 4, (size_t)nt, starts));
    patch(w, mt_pos[4], empty_tables(w, o->n_cat));
    size_t ffvec = vector(w, 4, (size_t)nf, NULL);
    pad_to(w, ffvec + 4 + 4 * (size_t)nf);
    patch(w, mt_pos[5], ffvec);
    patch(w, mt_pos[6], vector(w, 4, 0, NULL));
    patch(w, mt_pos[7], empty_tables(w, o->n_ctr));
    patch(w, mt_pos[8], vector(w, 8, total_leaves, leaves));
    patch(w, mt_pos[9], vector(w, 8, total_leaves, weights));
    {
        uint32_t nodes[4] = {0};
        patch(w, mt_pos[10], vector(w, 4, (size_t)(o->n_nonsym > 4 ? 4 : o->n_nonsym), nodes));
    }
    patch(w, mt_pos[11], vector(w, 4, 0, NULL));
    patch(w, mt_pos[12], vector(w, 4, 0, NULL));
    patch(w, mt_pos[13], vector(w, 4, 0, NULL));
    patch(w, mt_pos[16], vector(w, 8, 1, &bias));
    patch(w, mt_pos[17], vector(w, 4, total_splits, repacked));
    patch(w, mt_pos[18], vector(w, 4, 0, NULL));
    for (int i = 0; i < nf; i++) {
        uint8_t has_nans = sw_forest_nan_mode(f, i) != SW_NAN_ASIS;
        uint8_t nt8 = (uint8_t)sw_forest_nan_mode(f, i);
        int32_t idx = i;
        int fsz[6] = {has_nans ? 1 : 0, 4, 4, 4, 4, nt8 ? 1 : 0};
        const void *fval[6] = {&has_nans, &idx, &idx, NULL, NULL, &nt8};
        size_t fpos[6];
        size_t tpos = table(w, 6, fsz, fval, fpos);
        patch(w, ffvec + 4 + 4 * (size_t)i, tpos);
        patch(w, fpos[3], vector(w, 4, (size_t)nb[i], borders[i]));
        char tmp[24];
        const char *name = sw_forest_feature_name(f, i);
        if (!name) {
            snprintf(tmp, sizeof tmp, "%d", i);
            name = tmp;
        }
        patch(w, fpos[4], string(w, name));
    }
    /* InfoMap (sorted by key) */
    {
        char params[160];
        snprintf(params, sizeof params,
                 "{\"loss_function\":{\"type\":\"%s\",\"params\":{}},\"boosting_options\":{\"iterations\":%d}}",
                 loss_name(obj), nt);
        const char *keys[2] = {"params", "training"};
        const char *vals[2] = {params, "{\"trained_by\":\"swish\"}"};
        size_t im = vector(w, 4, 2, NULL);
        pad_to(w, im + 4 + 8);
        patch(w, core_pos[2], im);
        for (int i = 0; i < 2; i++) {
            int ksz[2] = {4, 4};
            const void *kval[2] = {NULL, NULL};
            size_t kpos[2];
            size_t kt = table(w, 2, ksz, kval, kpos);
            patch(w, im + 4 + 4 * (size_t)i, kt);
            patch(w, kpos[0], string(w, keys[i]));
            patch(w, kpos[1], string(w, vals[i]));
        }
    }
    if (o->n_parts) {
        size_t pv = vector(w, 4, (size_t)o->n_parts, NULL);
        pad_to(w, pv + 4 + 4 * (size_t)o->n_parts);
        patch(w, core_pos[3], pv);
        for (int i = 0; i < o->n_parts; i++) patch(w, pv + 4 + 4 * (size_t)i, string(w, "part"));
    }
    pad_to(w, align_up(w->len, 8));
    if (w->failed) {
        rc = sw_fail(err, SW_NOMEM, "out of memory writing the model");
        goto out;
    }
    le(w->b + 4, w->len - 8, 4);
    *data = w->b;
    *len = w->len;
    w->b = NULL;
out:
    sw_free(w->b);
    if (borders)
        for (int i = 0; i < nf; i++) sw_free(borders[i]);
    sw_free(borders);
    sw_free(nb);
    sw_free(splits);
    sw_free(sizes);
    sw_free(starts);
    sw_free(leaves);
    sw_free(weights);
    sw_free(repacked);
    sw_free(bstart);
    sw_free(bucket);
    return rc;
}
