/* swm: swish's native model format, compact, versioned and checksummed.
 *
 *   "SWM1"  u32 format version (1)  u32 header length  header (JSON)
 *   u64 payload length  payload (little-endian arrays)  u32 CRC-32 of all before
 *
 * The header holds the scalars (kind, objective, base score, scale/bias, best
 * iteration, names and whether the source named them, NaN modes, tree count,
 * whether statistics follow, XGBoost's objective parameters where swish does
 * not model them).  The payload: binary forests write per-tree node
 * counts then, per node, left, right, feature (i32), value (f32), default-left
 * (u8) and, with statistics, cover and gain (f32); oblivious forests write
 * per-tree depths, split features (i32), borders (f32), leaves (f64) and
 * optional leaf weights (f64).
 * The reader checks magic, version and checksum before anything else and
 * rebuilds the forest through the validating sw_forest_add_* calls.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "core/json.h"
#include "model.h"
#include "xgb_impl.h"

#define SWM_VERSION 1

typedef struct {
    unsigned char *b;
    size_t len, cap;
    int failed;
} buf;

static void put(buf *w, const void *p, size_t n)
{
    if (w->failed) return;
    if (sw_grow((void **)&w->b, &w->cap, w->len + n, 1)) {
        w->failed = 1;
        return;
    }
    memcpy(w->b + w->len, p, n);
    w->len += n;
}

static void put_u32(buf *w, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    put(w, b, 4);
}

static void put_u64(buf *w, uint64_t v)
{
    put_u32(w, (uint32_t)v);
    put_u32(w, (uint32_t)(v >> 32));
}

int sw_swm_write(const sw_forest *f, unsigned char **data, size_t *len, sw_error *err)
{
    *data = NULL;
    *len = 0;
    if (sw_forest_n_groups(f) > 1 || sw_forest_has_categorical(f))
        return sw_fail(err, SW_UNSUPPORTED, "a model with %s cannot be saved as .swm yet: save it as XGBoost JSON",
                       sw_forest_n_groups(f) > 1 ? "several output groups (classes or targets)" : "categorical splits");
    int bin = sw_forest_kind(f) == SW_TREES_BINARY;
    int nt = sw_forest_n_trees(f), nf = sw_forest_n_features(f);
    int stats = 0;
    if (nt) {
        if (bin) {
            sw_binary_tree_view v;
            sw_forest_binary_tree(f, 0, &v);
            stats = v.cover != NULL;
        } else {
            sw_oblivious_tree_view v;
            sw_forest_oblivious_tree(f, 0, &v);
            stats = v.leaf_weights != NULL;
        }
    }
    sw_jw *j = sw_jw_create(SW_JW_JSON);
    if (!j) return sw_fail(err, SW_NOMEM, "out of memory");
    sw_jw_obj_begin(j);
    sw_jw_kstr(j, "kind", bin ? "binary" : "oblivious");
    sw_jw_kstr(j, "objective", sw_objective_name(sw_forest_objective(f)));
    sw_jw_kf64(j, "objective_param", sw_forest_objective_param(f));
    sw_jw_key(j, "base_score");
    sw_jw_f32(j, sw_forest_base_score(f));
    sw_jw_key(j, "base_margin");
    sw_jw_f32(j, sw_forest_base_margin(f));
    sw_jw_kf64(j, "scale", sw_forest_scale(f));
    sw_jw_kf64(j, "bias", sw_forest_bias(f));
    sw_jw_kint(j, "best_iteration", sw_forest_best_iteration(f));
    sw_jw_kint(j, "trees_per_iteration", sw_forest_trees_per_iteration(f));
    sw_jw_kint(j, "n_trees", nt);
    sw_jw_key(j, "stats");
    sw_jw_bool(j, stats);
    sw_jw_kstr(j, "source", sw_forest_source_format(f));
    sw_jw_kstr(j, "source_version", sw_forest_source_version(f));
    const char *sec, *sk, *sv;
    int nsec = sw_forest_objective_section(f, &sec, -1, NULL, NULL);
    if (nsec >= 0) { /* XGBoost's objective parameters as read: {"aft_loss_param": {...}} */
        sw_jw_key(j, "objective_section");
        sw_jw_obj_begin(j);
        sw_jw_key(j, sec);
        sw_jw_obj_begin(j);
        for (int i = 0; i < nsec; i++) {
            sw_forest_objective_section(f, NULL, i, &sk, &sv);
            sw_jw_kstr(j, sk, sv);
        }
        sw_jw_obj_end(j);
        sw_jw_obj_end(j);
    }
    if (sw_forest_unnamed(f)) { /* the names were made up when read (f0, f1, ...) */
        sw_jw_key(j, "unnamed");
        sw_jw_bool(j, 1);
    }
    sw_jw_key(j, "features");
    sw_jw_arr_begin(j);
    for (int i = 0; i < nf; i++) {
        const char *nm = sw_forest_feature_name(f, i);
        if (nm) sw_jw_str(j, nm);
        else sw_jw_null(j);
    }
    sw_jw_arr_end(j);
    sw_jw_key(j, "nan_modes");
    sw_jw_arr_begin(j);
    for (int i = 0; i < nf; i++) sw_jw_int(j, sw_forest_nan_mode(f, i));
    sw_jw_arr_end(j);
    sw_jw_obj_end(j);
    const char *hdr;
    size_t hlen;
    if (sw_jw_finish(j, &hdr, &hlen) != SW_OK) {
        sw_jw_free(j);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    buf w = {0};
    put(&w, "SWM1", 4);
    put_u32(&w, SWM_VERSION);
    put_u32(&w, (uint32_t)hlen);
    put(&w, hdr, hlen);
    sw_jw_free(j);
    buf pl = {0};
    for (int t = 0; t < nt; t++) {
        if (bin) {
            sw_binary_tree_view v;
            sw_forest_binary_tree(f, t, &v);
            put_u32(&pl, (uint32_t)v.n_nodes);
        } else {
            put_u32(&pl, (uint32_t)sw_forest_tree_depth(f, t));
        }
    }
    for (int t = 0; t < nt; t++) {
        if (bin) {
            sw_binary_tree_view v;
            sw_forest_binary_tree(f, t, &v);
            size_t n = (size_t)v.n_nodes;
            put(&pl, v.left, n * 4);
            put(&pl, v.right, n * 4);
            put(&pl, v.feature, n * 4);
            put(&pl, v.value, n * 4);
            put(&pl, v.default_left, n);
            if (stats) {
                put(&pl, v.cover, n * 4);
                put(&pl, v.gain, n * 4);
            }
        } else {
            sw_oblivious_tree_view v;
            sw_forest_oblivious_tree(f, t, &v);
            size_t d = (size_t)v.depth, nl = (size_t)1 << v.depth;
            put(&pl, v.feature, d * 4);
            put(&pl, v.border, d * 4);
            put(&pl, v.leaves, nl * 8);
            if (stats) put(&pl, v.leaf_weights, nl * 8);
        }
    }
    put_u64(&w, pl.len);
    if (pl.len) put(&w, pl.b, pl.len);
    sw_free(pl.b);
    if (!w.failed) put_u32(&w, sw_crc32(0, w.b, w.len));
    if (w.failed || pl.failed) {
        sw_free(w.b);
        return sw_fail(err, SW_NOMEM, "out of memory writing the model");
    }
    *data = w.b;
    *len = w.len;
    return SW_OK;
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int field_num(const sw_json *doc, sw_jnode root, const char *key, double *out, sw_error *err)
{
    sw_jnode n = sw_json_get(doc, root, key);
    if (n == SW_JNONE) return sw_fail(err, SW_FORMAT, "model header has no \"%s\"", key);
    if (sw_json_type_of(doc, n) == SW_JSON_NULL) {
        *out = NAN;
        return SW_OK;
    }
    return sw_json_f64(doc, n, 0, out, err);
}

int sw_swm_read(const char *name, const unsigned char *data, size_t len, sw_forest **out, sw_error *err)
{
    *out = NULL;
    if (!name) name = "<memory>";
    if (len < 4 || memcmp(data, "SWM1", 4) != 0)
        return sw_error_set(err, SW_FORMAT, name, 0, 0, 0, "not a swish model (no SWM1 magic)");
    if (len < 12 + 8 + 4) return sw_error_set(err, SW_FORMAT, name, 0, 0, (long long)len, "truncated swish model");
    uint32_t version = rd32(data + 4);
    if (version != SWM_VERSION)
        return sw_error_set(err, SW_UNSUPPORTED, name, 0, 0, 4,
                            "swish model format version %u; this build reads version %d", version, SWM_VERSION);
    uint32_t crc = rd32(data + len - 4);
    if (sw_crc32(0, data, len - 4) != crc)
        return sw_error_set(err, SW_CORRUPT, name, 0, 0, (long long)len - 4,
                            "checksum mismatch: the file is damaged or truncated");
    uint32_t hlen = rd32(data + 8);
    if ((size_t)hlen > len - 12 - 8 - 4) return sw_error_set(err, SW_FORMAT, name, 0, 0, 8, "header length beyond the file");
    uint64_t plen = (uint64_t)rd32(data + 12 + hlen) | (uint64_t)rd32(data + 16 + hlen) << 32;
    if (plen != len - 12 - hlen - 8 - 4)
        return sw_error_set(err, SW_FORMAT, name, 0, 0, 12 + (long long)hlen, "payload length does not match the file");
    const unsigned char *pl = data + 20 + hlen, *pe = pl + plen;
    sw_json *doc;
    SW_TRY(sw_json_parse(name, (const char *)data + 12, hlen, &doc, err));
    sw_jnode root = sw_json_root(doc);
    int rc = SW_OK;
    sw_forest *f = NULL;
    char **names = NULL;
    double nt_d, obj_param, base_score, base_margin, scale, bias, best, tpi;
    sw_jnode kind = sw_json_get(doc, root, "kind"), feats = sw_json_get(doc, root, "features");
    sw_jnode nans = sw_json_get(doc, root, "nan_modes"), objn = sw_json_get(doc, root, "objective");
    sw_jnode st = sw_json_get(doc, root, "stats"), unn = sw_json_get(doc, root, "unnamed");
    sw_jnode osec = sw_json_get(doc, root, "objective_section");
    if ((rc = field_num(doc, root, "n_trees", &nt_d, err)) || (rc = field_num(doc, root, "objective_param", &obj_param, err)) ||
        (rc = field_num(doc, root, "base_score", &base_score, err)) ||
        (rc = field_num(doc, root, "base_margin", &base_margin, err)) || (rc = field_num(doc, root, "scale", &scale, err)) ||
        (rc = field_num(doc, root, "bias", &bias, err)) || (rc = field_num(doc, root, "best_iteration", &best, err)) ||
        (rc = field_num(doc, root, "trees_per_iteration", &tpi, err)))
        goto out;
    if (kind == SW_JNONE || feats == SW_JNONE || nans == SW_JNONE || objn == SW_JNONE ||
        sw_json_type_of(doc, feats) != SW_JSON_ARRAY || sw_json_len(doc, nans) != sw_json_len(doc, feats)) {
        rc = sw_error_set(err, SW_FORMAT, name, 0, 0, 12, "incomplete model header");
        goto out;
    }
    int bin = sw_json_streq(doc, kind, "binary");
    int stats = sw_json_type_of(doc, st) == SW_JSON_TRUE;
    char *oname = sw_json_strdup(doc, objn);
    if (!oname && sw_json_type_of(doc, objn) == SW_JSON_STRING) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto out;
    }
    int obj = oname ? sw_objective_from_name(oname) : -1;
    sw_free(oname);
    /* ranges checked on the doubles and lengths before any conversion to int
     * (a NaN or an out-of-range double converted to an integer is undefined) */
    if (obj < 0 || (!bin && !sw_json_streq(doc, kind, "oblivious")) || sw_json_len(doc, feats) > SW_MAX_FEATURES ||
        !(nt_d >= 0 && nt_d <= SW_MAX_TREES) || !(best >= -1 && best <= SW_MAX_TREES) ||
        !(tpi >= 1 && tpi <= 100000)) {
        rc = sw_error_set(err, SW_FORMAT, name, 0, 0, 12, "invalid model header");
        goto out;
    }
    /* the header's JSON may spell NaN and Infinity: every prediction uses these */
    if (!isfinite((float)base_margin) || !isfinite(scale) || !isfinite(bias)) {
        rc = sw_error_set(err, SW_FORMAT, name, 0, 0, 12, "invalid model header: base_margin, scale and bias must be finite");
        goto out;
    }
    int nf = (int)sw_json_len(doc, feats);
    long long nt = (long long)nt_d;
    if (nt > 0 && (uint64_t)nt * 4 > plen) {
        rc = sw_error_set(err, SW_FORMAT, name, 0, 0, 12, "invalid model header");
        goto out;
    }
    f = sw_forest_create(bin ? SW_TREES_BINARY : SW_TREES_OBLIVIOUS, nf);
    names = sw_calloc((size_t)nf + 1, sizeof *names);
    if (!f || !names) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto out;
    }
    {
        int i = 0;
        for (sw_jnode e = sw_json_first(doc, feats); e != SW_JNONE; e = sw_json_next(doc, e), i++)
            names[i] = sw_json_strdup(doc, e);
        i = 0;
        for (sw_jnode e = sw_json_first(doc, nans); e != SW_JNONE; e = sw_json_next(doc, e), i++) {
            long long m;
            if ((rc = sw_json_i64(doc, e, 0, &m, err))) goto out;
            if (m < SW_NAN_ASIS || m > SW_NAN_ASTRUE) {
                rc = sw_error_set(err, SW_FORMAT, name, 0, 0, 12, "feature %d: invalid NaN treatment %lld", i, m);
                goto out;
            }
            if ((rc = sw_forest_set_nan_mode(f, i, (sw_nan_mode)m, err))) goto out;
        }
    }
    if ((rc = sw_forest_set_feature_names(f, (const char *const *)names, err))) goto out;
    sw_forest_set_unnamed(f, unn != SW_JNONE && sw_json_type_of(doc, unn) == SW_JSON_TRUE);
    if (osec != SW_JNONE) {
        sw_jnode sec = sw_json_type_of(doc, osec) == SW_JSON_OBJECT ? sw_json_first(doc, osec) : SW_JNONE;
        if (sec == SW_JNONE || sw_json_type_of(doc, sec) != SW_JSON_OBJECT) {
            rc = sw_error_set(err, SW_FORMAT, name, 0, 0, 12, "invalid model header: objective_section");
            goto out;
        }
        if ((rc = sw__objective_section_read(doc, sec, f, err))) goto out;
    }
    sw_forest_set_objective(f, (sw_objective)obj);
    sw_forest_set_objective_param(f, obj_param);
    sw_forest_set_base_score(f, (float)base_score, (float)base_margin);
    sw_forest_set_scale_bias(f, scale, bias);
    sw_forest_set_best_iteration(f, (int)best);
    if ((rc = sw_forest_set_trees_per_iteration(f, (int)tpi, err))) goto out;
    sw_forest_set_source(f, "swish", "1");
    const unsigned char *sizes = pl, *p = pl + 4 * (size_t)nt;
    for (long long t = 0; t < nt; t++) {
        uint32_t n = rd32(sizes + 4 * t);
        if (bin) {
            size_t need = (size_t)n * (17 + (stats ? 8 : 0));
            if (n == 0 || n > 0x7fffffff || need > (size_t)(pe - p)) {
                rc = sw_error_set(err, SW_FORMAT, name, 0, 0, (long long)(p - data), "tree %lld: bad node count", t);
                goto out;
            }
            int32_t *l = sw_alloc_array(n, 4), *r = sw_alloc_array(n, 4), *ft = sw_alloc_array(n, 4);
            float *v = sw_alloc_array(n, 4), *cv = stats ? sw_alloc_array(n, 4) : NULL, *gn = stats ? sw_alloc_array(n, 4) : NULL;
            uint8_t *dl = sw_alloc_array(n, 1);
            if (!l || !r || !ft || !v || !dl || (stats && (!cv || !gn))) {
                rc = sw_fail(err, SW_NOMEM, "out of memory");
            } else {
                memcpy(l, p, (size_t)n * 4);
                memcpy(r, p + (size_t)n * 4, (size_t)n * 4);
                memcpy(ft, p + (size_t)n * 8, (size_t)n * 4);
                memcpy(v, p + (size_t)n * 12, (size_t)n * 4);
                memcpy(dl, p + (size_t)n * 16, n);
                if (stats) {
                    memcpy(cv, p + (size_t)n * 17, (size_t)n * 4);
                    memcpy(gn, p + (size_t)n * 21, (size_t)n * 4);
                }
                p += need;
                sw_binary_tree_in in = {(int)n, l, r, ft, v, dl, v, cv, gn, NULL, NULL, NULL};
                rc = sw_forest_add_binary(f, &in, err);
            }
            sw_free(l);
            sw_free(r);
            sw_free(ft);
            sw_free(v);
            sw_free(cv);
            sw_free(gn);
            sw_free(dl);
            if (rc) goto out;
        } else {
            if (n > SW_MAX_OBLIVIOUS_DEPTH) {
                rc = sw_error_set(err, SW_FORMAT, name, 0, 0, (long long)(sizes - data) + 4 * t, "tree %lld: depth %u", t, n);
                goto out;
            }
            size_t nl = (size_t)1 << n, need = (size_t)n * 8 + nl * 8 * (stats ? 2 : 1);
            if (need > (size_t)(pe - p)) {
                rc = sw_error_set(err, SW_FORMAT, name, 0, 0, (long long)(p - data), "tree %lld: truncated", t);
                goto out;
            }
            int32_t ft[SW_MAX_OBLIVIOUS_DEPTH];
            float bd[SW_MAX_OBLIVIOUS_DEPTH];
            double *lv = sw_alloc_array(nl * 2, sizeof *lv);
            if (!lv) {
                rc = sw_fail(err, SW_NOMEM, "out of memory");
                goto out;
            }
            memcpy(ft, p, (size_t)n * 4);
            memcpy(bd, p + (size_t)n * 4, (size_t)n * 4);
            memcpy(lv, p + (size_t)n * 8, nl * 8);
            if (stats) memcpy(lv + nl, p + (size_t)n * 8 + nl * 8, nl * 8);
            p += need;
            rc = sw_forest_add_oblivious(f, (int)n, ft, bd, lv, stats ? lv + nl : NULL, err);
            sw_free(lv);
            if (rc) goto out;
        }
    }
    if (p != pe) {
        rc = sw_error_set(err, SW_FORMAT, name, 0, 0, (long long)(p - data), "unexpected bytes after the trees");
        goto out;
    }
    if (sw_forest_best_iteration(f) >= 0 &&
        (long long)sw_forest_best_iteration(f) * sw_forest_trees_per_iteration(f) >= nt) {
        rc = sw_error_set(err, SW_FORMAT, name, 0, 0, 12, "best_iteration beyond the trees");
        goto out;
    }
    *out = f;
    f = NULL;
out:
    if (rc && err && err->file[0] == 0) sw_error_prefix(err, "%s: ", name);
    if (names)
        for (int i = 0; i < (int)sw_json_len(doc, feats); i++) sw_free(names[i]);
    sw_free(names);
    sw_forest_free(f);
    sw_json_free(doc);
    return rc;
}
