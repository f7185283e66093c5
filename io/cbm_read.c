/* cbm_read: CatBoost .cbm models into an oblivious-tree sw_forest.
 *
 * Container: "CBM1", a little-endian uint32 length, then one flatbuffer whose
 * root table is NCatBoostFbs::TModelCore (FormatVersion, ModelTrees, InfoMap,
 * ModelPartIds).  The flatbuffer is read with every offset, vtable and vector
 * bounds-checked against the buffer: a hostile file can only produce an error.
 *
 * Field numbers (CatBoost's catboost/libs/model/flatbuffers/model.fbs):
 *   TModelCore:  0 FormatVersion, 1 ModelTrees, 2 InfoMap, 3 ModelPartIds
 *   TModelTrees: 0 ApproxDimension, 1 TreeSplits, 2 TreeSizes, 3 TreeStartOffsets,
 *                4 CatFeatures, 5 FloatFeatures, 6 OneHotFeatures, 7 CtrFeatures,
 *                8 LeafValues, 9 LeafWeights, 10 NonSymmetricStepNodes,
 *                11 NonSymmetricNodeIdToLeafId, 12 TextFeatures, 13 EstimatedFeatures,
 *                14 Scale, 15 Bias, 16 MultiBias, 17 RepackedBins, 18 EmbeddingFeatures
 *   TFloatFeature: 0 HasNans, 1 Index, 2 FlatIndex, 3 Borders, 4 FeatureId,
 *                  5 NanValueTreatment (AsIs, AsFalse, AsTrue)
 *   TKeyValue: 0 Key, 1 Value
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "model.h"

typedef struct {
    const unsigned char *b;
    size_t n;
    const char *name;
    sw_error *err;
} fb;

typedef struct {
    size_t pos;  /* table start */
    size_t vt;   /* vtable start */
    unsigned vlen, tlen;
} fbt;

#define FB_BASE 8 /* file offset of the flatbuffer */

static int fb_err(fb *f, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fb_err(fb *f, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_error_vset(f->err, SW_FORMAT, f->name, 0, 0, (long long)(pos + FB_BASE), fmt, ap);
    va_end(ap);
    return SW_FORMAT;
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int fb_table(fb *f, size_t pos, fbt *t)
{
    if (pos > f->n || f->n - pos < 4) return fb_err(f, pos, "table offset outside the model");
    int32_t so = (int32_t)rd32(f->b + pos);
    long long vt = (long long)pos - so;
    if (vt < 0 || (unsigned long long)vt + 4 > f->n) return fb_err(f, pos, "vtable outside the model");
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vlen = rd16(f->b + t->vt);
    t->tlen = rd16(f->b + t->vt + 2);
    if (t->vlen < 4 || (t->vlen & 1) || t->vt + t->vlen > f->n)
        return fb_err(f, t->vt, "invalid vtable");
    if (t->tlen < 4 || pos + t->tlen > f->n) return fb_err(f, pos, "table extends past the model");
    return SW_OK;
}

/* Position of field i with `size` bytes, 0 when absent; error if out of range. */
static int fb_field(fb *f, const fbt *t, int i, size_t size, size_t *at)
{
    *at = 0;
    size_t e = 4 + 2 * (size_t)i;
    if (e + 2 > t->vlen) return SW_OK;
    unsigned off = rd16(f->b + t->vt + e);
    if (!off) return SW_OK;
    if (off + size > t->tlen) return fb_err(f, t->pos, "field %d outside its table", i);
    *at = t->pos + off;
    return SW_OK;
}

static int fb_scalar(fb *f, const fbt *t, int i, size_t size, uint64_t def, uint64_t *out)
{
    size_t at;
    SW_TRY(fb_field(f, t, i, size, &at));
    if (!at) {
        *out = def;
        return SW_OK;
    }
    uint64_t v = 0;
    for (size_t k = 0; k < size; k++) v |= (uint64_t)f->b[at + k] << (8 * k);
    *out = v;
    return SW_OK;
}

static int fb_i32(fb *f, const fbt *t, int i, int32_t def, int32_t *out)
{
    uint64_t v;
    SW_TRY(fb_scalar(f, t, i, 4, (uint32_t)def, &v));
    *out = (int32_t)(uint32_t)v;
    return SW_OK;
}

static int fb_f64(fb *f, const fbt *t, int i, double def, double *out)
{
    uint64_t d, v;
    memcpy(&d, &def, 8);
    SW_TRY(fb_scalar(f, t, i, 8, d, &v));
    memcpy(out, &v, 8);
    return SW_OK;
}

/* Vector field: data position and element count (0 when absent). */
static int fb_vector(fb *f, const fbt *t, int i, size_t elem, size_t *data, uint32_t *count)
{
    size_t at;
    *data = 0;
    *count = 0;
    SW_TRY(fb_field(f, t, i, 4, &at));
    if (!at) return SW_OK;
    size_t v = at + rd32(f->b + at);
    if (v < at || v > f->n || f->n - v < 4) return fb_err(f, at, "vector %d outside the model", i);
    uint32_t n = rd32(f->b + v);
    if (elem && (size_t)n > (f->n - v - 4) / elem)
        return fb_err(f, v, "vector %d declares %u elements, more than the model holds", i, n);
    *data = v + 4;
    *count = n;
    return SW_OK;
}

static int fb_vec_table(fb *f, size_t data, uint32_t i, fbt *t)
{
    size_t at = data + 4 * (size_t)i;
    size_t pos = at + rd32(f->b + at);
    if (pos < at) return fb_err(f, at, "bad table offset");
    return fb_table(f, pos, t);
}

static int fb_string(fb *f, const fbt *t, int i, const char **s, uint32_t *len)
{
    size_t data;
    SW_TRY(fb_vector(f, t, i, 1, &data, len));
    *s = data ? (const char *)f->b + data : NULL;
    return SW_OK;
}

static double rd_f64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v |= (uint64_t)p[k] << (8 * k);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

static float rd_f32(const unsigned char *p)
{
    uint32_t v = rd32(p);
    float x;
    memcpy(&x, &v, 4);
    return x;
}

/* Loss function from InfoMap["params"] (a JSON document). */
static int read_objective(fb *f, const char *params, uint32_t plen, sw_objective *obj)
{
    *obj = SW_OBJ_CB_RMSE;
    if (!params) return SW_OK;
    sw_json *doc;
    sw_error jerr;
    if (sw_json_parse("params", params, plen, &doc, &jerr) != SW_OK) return SW_OK; /* informational */
    sw_jnode lf = sw_json_get(doc, sw_json_root(doc), "loss_function");
    sw_jnode type = lf == SW_JNONE ? SW_JNONE : sw_json_get(doc, lf, "type");
    int rc = SW_OK;
    if (type != SW_JNONE) {
        char *name = sw_json_strdup(doc, type);
        int o = name ? sw_objective_from_name(name) : -1;
        if (!name && sw_json_type_of(doc, type) == SW_JSON_STRING) {
            rc = sw_fail(f->err, SW_NOMEM, "out of memory");
        } else if (o < 0 || !sw_objective_is_catboost((sw_objective)o)) {
            rc = sw_error_set(f->err, SW_UNSUPPORTED, f->name, 0, 0, -1,
                              "loss function '%s' is not supported (supported: RMSE, MAE, Quantile, "
                              "Poisson, Logloss)",
                              name ? name : "?");
        } else {
            *obj = (sw_objective)o;
        }
        sw_free(name);
    }
    sw_json_free(doc);
    return rc;
}

static int refuse_if_present(fb *f, const fbt *mt, int field, const char *what)
{
    size_t data;
    uint32_t count;
    SW_TRY(fb_vector(f, mt, field, 0, &data, &count));
    if (count)
        return sw_error_set(f->err, SW_UNSUPPORTED, f->name, 0, 0, (long long)(data + FB_BASE),
                            "%s are not supported", what);
    return SW_OK;
}

int sw_cbm_read(const char *name, const unsigned char *data, size_t len, sw_forest **out,
                sw_error *err)
{
    *out = NULL;
    if (!name) name = "<memory>";
    if (len < 8 || memcmp(data, "CBM1", 4) != 0)
        return sw_error_set(err, SW_FORMAT, name, 0, 0, 0, "not a CatBoost model (no CBM1 magic)");
    uint32_t core = rd32(data + 4);
    if ((size_t)core > len - 8)
        return sw_error_set(err, SW_FORMAT, name, 0, 0, 4,
                            "model core of %u bytes is longer than the file (truncated?)", core);
    if ((size_t)core < len - 8)
        return sw_error_set(err, SW_UNSUPPORTED, name, 0, 0, (long long)core + 8,
                            "%zu bytes of model parts follow the model core: not supported",
                            len - 8 - (size_t)core);
    fb F = {data + 8, core, name, err};
    fb *f = &F;
    if (core < 8) return fb_err(f, 0, "model core too short");
    fbt root, mt;
    SW_TRY(fb_table(f, rd32(f->b), &root));

    const char *fv;
    uint32_t fvlen;
    SW_TRY(fb_string(f, &root, 0, &fv, &fvlen));
    if (!fv || fvlen != 18 || memcmp(fv, "FlabuffersModel_v1", 18) != 0)
        return sw_error_set(err, SW_UNSUPPORTED, name, 0, 0, -1,
                            "model format version '%.*s' is not supported (FlabuffersModel_v1)",
                            fv ? (int)(fvlen > 40 ? 40 : fvlen) : 0, fv ? fv : "");
    size_t parts;
    uint32_t nparts;
    SW_TRY(fb_vector(f, &root, 3, 4, &parts, &nparts));
    if (nparts)
        return sw_error_set(err, SW_UNSUPPORTED, name, 0, 0, (long long)(parts + FB_BASE),
                            "the model has %u model parts after the core (e.g. CTR data): not supported",
                            nparts);
    size_t mtpos;
    SW_TRY(fb_field(f, &root, 1, 4, &mtpos));
    if (!mtpos) return fb_err(f, root.pos, "the model has no trees (ModelTrees missing)");
    SW_TRY(fb_table(f, mtpos + rd32(f->b + mtpos), &mt));

    int32_t approx;
    SW_TRY(fb_i32(f, &mt, 0, 1, &approx));
    if (approx != 1)
        return sw_error_set(err, SW_UNSUPPORTED, name, 0, 0, -1,
                            "approx dimension %d (multi-class or multi-target model) is not supported",
                            approx);
    SW_TRY(refuse_if_present(f, &mt, 4, "categorical features"));
    SW_TRY(refuse_if_present(f, &mt, 6, "one-hot features"));
    SW_TRY(refuse_if_present(f, &mt, 7, "CTR features"));
    SW_TRY(refuse_if_present(f, &mt, 10, "non-symmetric trees"));
    SW_TRY(refuse_if_present(f, &mt, 11, "non-symmetric trees"));
    SW_TRY(refuse_if_present(f, &mt, 12, "text features"));
    SW_TRY(refuse_if_present(f, &mt, 13, "estimated features"));
    SW_TRY(refuse_if_present(f, &mt, 18, "embedding features"));

    /* float features: flat index, borders, NaN treatment, name */
    size_t ffd;
    uint32_t nff;
    SW_TRY(fb_vector(f, &mt, 5, 4, &ffd, &nff));
    if (nff > SW_MAX_FEATURES) return fb_err(f, ffd, "%u float features: too many", nff);
    int rc = SW_OK;
    int32_t *flat = sw_alloc_array(nff + 1, sizeof *flat);
    uint32_t *bstart = sw_alloc_array(nff + 2, sizeof *bstart); /* first border of feature i */
    size_t *bdata = sw_alloc_array(nff + 1, sizeof *bdata);
    uint8_t *nanmode = sw_alloc_array(nff + 1, 1);
    const char **fname = sw_calloc(nff + 1, sizeof *fname);
    uint32_t *fnlen = sw_calloc(nff + 1, sizeof *fnlen);
    uint8_t *seen = sw_calloc(SW_MAX_FEATURES / 8 + 1, 1); /* flat indices in use (bits) */
    int32_t *split_feat = NULL;
    float *split_border = NULL;
    double *leaves = NULL;
    sw_forest *fo = NULL;
    char **names = NULL;
    int n_features = 0;
    if (!flat || !bstart || !bdata || !nanmode || !fname || !fnlen || !seen) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto out;
    }
    uint64_t total_borders = 0;
    for (uint32_t i = 0; i < nff; i++) {
        fbt ft;
        if ((rc = fb_vec_table(f, ffd, i, &ft))) goto out;
        int32_t idx, fi;
        uint64_t has_nans, nt;
        if ((rc = fb_i32(f, &ft, 1, -1, &idx))) goto out;
        if ((rc = fb_i32(f, &ft, 2, -1, &fi))) goto out;
        if ((rc = fb_scalar(f, &ft, 0, 1, 0, &has_nans))) goto out;
        if ((rc = fb_scalar(f, &ft, 5, 1, 0, &nt))) goto out;
        if (fi < 0) fi = idx >= 0 ? idx : (int32_t)i;
        if (fi >= SW_MAX_FEATURES) {
            rc = fb_err(f, ft.pos, "float feature %u: flat index %d too large", i, fi);
            goto out;
        }
        if (nt > 2) {
            rc = fb_err(f, ft.pos, "float feature %u: invalid NaN treatment %u", i, (unsigned)nt);
            goto out;
        }
        if (seen[fi >> 3] & (1u << (fi & 7))) {
            uint32_t k = 0;
            while (flat[k] != fi) k++;
            rc = fb_err(f, ft.pos, "float features %u and %u share flat index %d", k, i, fi);
            goto out;
        }
        seen[fi >> 3] |= (uint8_t)(1u << (fi & 7));
        flat[i] = fi;
        nanmode[i] = (uint8_t)nt;
        if (fi + 1 > n_features) n_features = fi + 1;
        uint32_t nb;
        if ((rc = fb_vector(f, &ft, 3, 4, &bdata[i], &nb))) goto out;
        bstart[i] = (uint32_t)total_borders;
        total_borders += nb;
        /* splits index the borders with an int32; a larger sum (features sharing
         * one border vector) would also wrap bstart[] */
        if (total_borders > INT32_MAX) {
            rc = fb_err(f, ft.pos, "float feature %u: %llu borders in all, more than a split can index", i,
                        (unsigned long long)total_borders);
            goto out;
        }
        if ((rc = fb_string(f, &ft, 4, &fname[i], &fnlen[i]))) goto out;
    }
    bstart[nff] = (uint32_t)total_borders;

    /* trees */
    size_t sizes_d, offs_d, splits_d, leaves_d, mb_d, lw_d;
    uint32_t n_trees, n_offs, n_splits, n_leaves, n_mb, n_lw;
    if ((rc = fb_vector(f, &mt, 2, 4, &sizes_d, &n_trees))) goto out;
    if ((rc = fb_vector(f, &mt, 3, 4, &offs_d, &n_offs))) goto out;
    if ((rc = fb_vector(f, &mt, 1, 4, &splits_d, &n_splits))) goto out;
    if ((rc = fb_vector(f, &mt, 8, 8, &leaves_d, &n_leaves))) goto out;
    if ((rc = fb_vector(f, &mt, 16, 8, &mb_d, &n_mb))) goto out;
    if ((rc = fb_vector(f, &mt, 9, 8, &lw_d, &n_lw))) goto out;
    if (n_offs != n_trees) {
        rc = fb_err(f, offs_d, "%u tree offsets for %u trees", n_offs, n_trees);
        goto out;
    }
    double scale, bias;
    if ((rc = fb_f64(f, &mt, 14, 1.0, &scale))) goto out;
    if ((rc = fb_f64(f, &mt, 15, 0.0, &bias))) goto out;
    if (n_mb > 1) {
        rc = sw_error_set(err, SW_UNSUPPORTED, name, 0, 0, (long long)(mb_d + FB_BASE),
                          "%u biases (multi-dimensional model) are not supported", n_mb);
        goto out;
    }
    if (n_mb == 1) bias = rd_f64(f->b + mb_d);
    if (!isfinite(scale) || !isfinite(bias)) {
        rc = fb_err(f, mt.pos, "scale or bias is not finite");
        goto out;
    }

    fo = sw_forest_create(SW_TREES_OBLIVIOUS, n_features);
    if (!fo) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto out;
    }
    sw_forest_set_scale_bias(fo, scale, bias);
    for (uint32_t i = 0; i < nff; i++) {
        if ((rc = sw_forest_set_nan_mode(fo, flat[i], (sw_nan_mode)nanmode[i], err))) goto out;
    }

    /* names: FeatureId where given, else the flat index as CatBoost numbers features */
    names = sw_calloc((size_t)n_features + 1, sizeof *names);
    if (!names) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < nff; i++) {
        if (fname[i] && fnlen[i]) names[flat[i]] = sw_strndup(fname[i], fnlen[i]);
    }
    for (int i = 0; i < n_features; i++) {
        if (!names[i]) {
            char tmp[24];
            snprintf(tmp, sizeof tmp, "%d", i);
            names[i] = sw_strdup(tmp);
        }
        if (!names[i]) {
            rc = sw_fail(err, SW_NOMEM, "out of memory");
            goto out;
        }
    }
    if ((rc = sw_forest_set_feature_names(fo, (const char *const *)names, err))) goto out;

    split_feat = sw_alloc_array(SW_MAX_OBLIVIOUS_DEPTH, sizeof *split_feat);
    split_border = sw_alloc_array(SW_MAX_OBLIVIOUS_DEPTH, sizeof *split_border);
    leaves = sw_alloc_array((size_t)2 << SW_MAX_OBLIVIOUS_DEPTH, sizeof *leaves);
    if (!split_feat || !split_border || !leaves) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto out;
    }
    uint64_t leaf_pos = 0;
    for (uint32_t t = 0; t < n_trees; t++) {
        int32_t depth = (int32_t)rd32(f->b + sizes_d + 4 * (size_t)t);
        int32_t start = (int32_t)rd32(f->b + offs_d + 4 * (size_t)t);
        if (depth < 0 || depth > SW_MAX_OBLIVIOUS_DEPTH) {
            rc = fb_err(f, sizes_d + 4 * (size_t)t, "tree %u: depth %d outside 0..%d", t, depth,
                        SW_MAX_OBLIVIOUS_DEPTH);
            goto out;
        }
        if (start < 0 || (uint64_t)start + (uint64_t)depth > n_splits) {
            /* in 64 bits: start + depth can pass INT32_MAX */
            rc = fb_err(f, offs_d + 4 * (size_t)t, "tree %u: splits %d..%lld outside the %u splits", t, start,
                        (long long)start + depth, n_splits);
            goto out;
        }
        for (int d = 0; d < depth; d++) {
            int32_t s = (int32_t)rd32(f->b + splits_d + 4 * ((size_t)start + (size_t)d));
            if (s < 0 || (uint64_t)s >= total_borders) {
                rc = fb_err(f, splits_d + 4 * ((size_t)start + (size_t)d),
                            "tree %u level %d: split %d outside the %llu borders", t, d, s,
                            (unsigned long long)total_borders);
                goto out;
            }
            /* feature owning flattened border s: binary search over bstart */
            uint32_t lo = 0, hi = nff; /* bstart[lo] <= s < bstart[hi] */
            while (hi - lo > 1) {
                uint32_t mid = (lo + hi) / 2;
                if (bstart[mid] <= (uint32_t)s) lo = mid;
                else hi = mid;
            }
            while (lo + 1 < nff && bstart[lo + 1] <= (uint32_t)s) lo++;
            split_feat[d] = flat[lo];
            split_border[d] = rd_f32(f->b + bdata[lo] + 4 * ((size_t)s - bstart[lo]));
        }
        uint64_t nl = (uint64_t)1 << depth;
        if (leaf_pos + nl > n_leaves) {
            rc = fb_err(f, leaves_d, "tree %u: leaf values end past the %u given", t, n_leaves);
            goto out;
        }
        double *weights = leaves + nl;
        for (uint64_t k = 0; k < nl; k++) leaves[k] = rd_f64(f->b + leaves_d + 8 * (leaf_pos + k));
        if (n_lw == n_leaves)
            for (uint64_t k = 0; k < nl; k++) weights[k] = rd_f64(f->b + lw_d + 8 * (leaf_pos + k));
        leaf_pos += nl;
        if ((rc = sw_forest_add_oblivious(fo, depth, split_feat, split_border, leaves,
                                          n_lw == n_leaves ? weights : NULL, err))) {
            sw_error_prefix(err, "%s: ", name);
            goto out;
        }
    }
    if (leaf_pos != n_leaves) {
        rc = fb_err(f, leaves_d, "%u leaf values but the trees use %llu", n_leaves,
                    (unsigned long long)leaf_pos);
        goto out;
    }

    /* InfoMap: objective and CatBoost version */
    size_t im_d;
    uint32_t n_im;
    if ((rc = fb_vector(f, &root, 2, 4, &im_d, &n_im))) goto out;
    const char *params = NULL, *version = NULL;
    uint32_t plen = 0, vlen = 0;
    for (uint32_t i = 0; i < n_im; i++) {
        fbt kv;
        const char *k, *v;
        uint32_t kl, vl;
        if ((rc = fb_vec_table(f, im_d, i, &kv))) goto out;
        if ((rc = fb_string(f, &kv, 0, &k, &kl))) goto out;
        if ((rc = fb_string(f, &kv, 1, &v, &vl))) goto out;
        if (!k || !v) continue;
        if (kl == 6 && memcmp(k, "params", 6) == 0) {
            params = v;
            plen = vl;
        } else if (kl == 21 && memcmp(k, "catboost_version_info", 21) == 0) {
            version = v;
            vlen = vl;
        }
    }
    sw_objective obj;
    if ((rc = read_objective(f, params, plen, &obj))) goto out;
    sw_forest_set_objective(fo, obj);
    {
        char ver[64] = "";
        if (version) {
            /* "Git info:\n ... Branch: tags/v1.2.8 ..." -> "tags/v1.2.8" */
            const char *b = memmem(version, vlen, "Branch: ", 8);
            if (b) {
                b += 8;
                size_t m = 0;
                while (b + m < version + vlen && b[m] != '\n' && b[m] != ' ' && m < sizeof ver - 1) m++;
                memcpy(ver, b, m);
                ver[m] = 0;
            }
        }
        if (sw_forest_set_source(fo, "catboost-cbm", ver) != SW_OK) {
            rc = sw_fail(err, SW_NOMEM, "out of memory");
            goto out;
        }
    }
    *out = fo;
    fo = NULL;
out:
    sw_forest_free(fo);
    if (names) {
        for (int i = 0; i < n_features; i++) sw_free(names[i]);
    }
    sw_free(names);
    sw_free(flat);
    sw_free(bstart);
    sw_free(bdata);
    sw_free(nanmode);
    sw_free(fname);
    sw_free(fnlen);
    sw_free(seen);
    sw_free(split_feat);
    sw_free(split_border);
    sw_free(leaves);
    return rc;
}
