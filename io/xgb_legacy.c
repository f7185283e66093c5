/* xgb_legacy: XGBoost's legacy binary model format, what XGBoost 1.x writes
 * for save_model to a name not ending in .json or .ubj (and what its pickles
 * and save_raw() hold).  The file is rewritten as the UBJSON document XGBoost
 * itself would save for the same model, then read by the UBJSON reader, so
 * that every check and field is handled in one place; floats travel as
 * their float32 bytes.
 *
 * Layout (little-endian, as XGBoost 1.6 and 1.7 write it, "binf" first
 * (save_raw's lacks it); files of other versions are refused (before 1.0 the
 * version fields are zero):
 *   learner parameters, 136 bytes: base_score f32, num_feature u32, num_class
 *     i32, contain_extra_attrs i32, contain_eval_metrics i32, major and minor
 *     version u32, num_target u32 (0 before 1.6: one), 100 more bytes;
 *   the objective's and the booster's names (u64 length, bytes);
 *   gbtree or dart: 160 bytes of which num_trees i32 (0), num_parallel_tree
 *     i32 (4) and size_leaf_vector i32 (28);
 *   each tree: 148 bytes of which num_roots (0), num_nodes (4), num_deleted
 *     (8) and size_leaf_vector (20), all i32; then num_nodes nodes of 20
 *     bytes (parent i32, left i32 (-1: a leaf), right i32, split index u32
 *     whose bit 31 sends missing left, then the threshold or the leaf value
 *     f32) and num_nodes statistics of 16 bytes (loss change, hessian sum,
 *     base weight f32, leaf count i32);
 *   tree_info: num_trees i32, each tree's output group;
 *   dart with trees: the tree weights (u64 count, f32s);
 *   contain_extra_attrs: (u64 count) key and value strings: "objective" is
 *     the objective's JSON configuration, "best_iteration" the best round;
 *   contain_eval_metrics: (u64 count) metric names.
 * Nothing may follow.  Feature names are not in the format: f0, f1, ... */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "model.h"

#define LEARNER_BYTES 136
#define GBTREE_BYTES 160
#define TREE_BYTES 148
#define NODE_BYTES 20
#define STAT_BYTES 16

typedef struct {
    const char *name;
    const unsigned char *p;
    size_t len, at;
    sw_error *err;
    uint32_t major, minor; /* the version that wrote it */
} rd;

static int rd_err(rd *r, size_t at, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int rd_err(rd *r, size_t at, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_error_vset(r->err, code, r->name, 0, 0, (long long)at, fmt, ap);
    va_end(ap);
    return code;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float lef32(const unsigned char *p)
{
    uint32_t u = le32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* n bytes at the cursor, or an error naming what was cut short. */
static const unsigned char *take(rd *r, size_t n, const char *what)
{
    if (n > r->len - r->at) {
        rd_err(r, r->at, SW_FORMAT, "truncated legacy XGBoost model: %s needs %zu bytes, %zu left", what, n,
               r->len - r->at);
        return NULL;
    }
    const unsigned char *p = r->p + r->at;
    r->at += n;
    return p;
}

/* A u64-length string (at most max bytes) into a NUL-terminated copy. */
static char *take_str(rd *r, size_t max, const char *what)
{
    size_t at = r->at;
    const unsigned char *p = take(r, 8, what);
    if (!p) return NULL;
    uint64_t n = le64(p);
    if (n > max) {
        rd_err(r, at, SW_FORMAT, "legacy XGBoost model: %s of %" PRIu64 " bytes (at most %zu)", what, n, max);
        return NULL;
    }
    p = take(r, (size_t)n, what);
    if (!p) return NULL;
    char *s = sw_strndup((const char *)p, (size_t)n);
    if (!s) rd_err(r, at, SW_NOMEM, "out of memory");
    return s;
}

/* A u64 count, each element at least min_bytes long: checked against the bytes left. */
static int take_count(rd *r, size_t min_bytes, const char *what, uint64_t *n)
{
    size_t at = r->at;
    const unsigned char *p = take(r, 8, what);
    if (!p) return r->err->code;
    *n = le64(p);
    if (*n > (r->len - r->at) / min_bytes)
        return rd_err(r, at, SW_FORMAT, "legacy XGBoost model: %" PRIu64 " %s, more than the %zu bytes left hold", *n,
                      what, r->len - r->at);
    return SW_OK;
}

static int plausible_name(const unsigned char *p, uint64_t n, size_t left)
{
    if (n < 2 || n > 64 || n > left) return 0;
    for (uint64_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == ':' || p[i] == '_')) return 0;
    return 1;
}

int sw_xgb_legacy_detect(const unsigned char *data, size_t len)
{
    if (len >= 4 && memcmp(data, "binf", 4) == 0) return 1;
    /* no magic: the learner block, then an objective name and "gbtree", "dart" or "gblinear" */
    if (len < LEARNER_BYTES + 16) return 0;
    uint64_t n = le64(data + LEARNER_BYTES);
    if (!plausible_name(data + LEARNER_BYTES + 8, n, len - LEARNER_BYTES - 8)) return 0;
    size_t b = LEARNER_BYTES + 8 + (size_t)n;
    if (len - b < 8) return 0;
    uint64_t m = le64(data + b);
    const unsigned char *bn = data + b + 8;
    return plausible_name(bn, m, len - b - 8) &&
           ((m == 6 && !memcmp(bn, "gbtree", 6)) || (m == 4 && !memcmp(bn, "dart", 4)) ||
            (m == 8 && !memcmp(bn, "gblinear", 8)));
}

/* The objective's JSON configuration (objects and strings, a few levels)
 * copied into w; 0 when it nests deeper than XGBoost's ever do. */
static int copy_json(sw_jw *w, const sw_json *doc, sw_jnode n, int depth)
{
    if (depth > 16) return 0;
    int ok = 1;
    switch (sw_json_type_of(doc, n)) {
    case SW_JSON_OBJECT:
        sw_jw_obj_begin(w);
        for (sw_jnode c = sw_json_first(doc, n); c != SW_JNONE; c = sw_json_next(doc, c)) {
            size_t kl;
            const char *k = sw_json_key(doc, c, &kl);
            char key[128];
            snprintf(key, sizeof key, "%.*s", (int)(kl < 127 ? kl : 127), k);
            sw_jw_key(w, key);
            ok &= copy_json(w, doc, c, depth + 1);
        }
        sw_jw_obj_end(w);
        break;
    case SW_JSON_ARRAY:
        sw_jw_arr_begin(w);
        for (sw_jnode c = sw_json_first(doc, n); c != SW_JNONE; c = sw_json_next(doc, c))
            ok &= copy_json(w, doc, c, depth + 1);
        sw_jw_arr_end(w);
        break;
    case SW_JSON_STRING: {
        size_t l;
        const char *s = sw_json_str(doc, n, &l);
        sw_jw_strn(w, s, l);
        break;
    }
    case SW_JSON_NUMBER: {
        double v = 0;
        sw_json_f64(doc, n, 0, &v, NULL);
        sw_jw_f64(w, v);
        break;
    }
    case SW_JSON_TRUE: sw_jw_bool(w, 1); break;
    case SW_JSON_FALSE: sw_jw_bool(w, 0); break;
    default: sw_jw_null(w); break;
    }
    return ok;
}

static void str_int(sw_jw *w, long long v)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", v);
    sw_jw_str(w, b);
}

/* One tree: its parameters and nodes as XGBoost's JSON tree. */
static int write_tree(rd *r, sw_jw *w, int t, int32_t *ib, float *fb, uint8_t *ub)
{
    size_t at = r->at;
    const unsigned char *tp = take(r, TREE_BYTES, "a tree's parameters");
    if (!tp) return r->err->code;
    int32_t roots = (int32_t)le32(tp), nn = (int32_t)le32(tp + 4), ndel = (int32_t)le32(tp + 8),
            leafvec = (int32_t)le32(tp + 20);
    if (roots != 1) return rd_err(r, at, SW_FORMAT, "legacy XGBoost model: tree %d has %d roots (1 expected)", t, roots);
    if (nn < 1 || (size_t)nn > (r->len - r->at) / (NODE_BYTES + STAT_BYTES))
        return rd_err(r, at + 4, SW_FORMAT, "legacy XGBoost model: tree %d has %d nodes, more than the bytes left hold",
                      t, nn);
    const unsigned char *nd = take(r, (size_t)nn * NODE_BYTES, "a tree's nodes");
    const unsigned char *st = take(r, (size_t)nn * STAT_BYTES, "a tree's statistics");
    if (!nd || !st) return r->err->code;
    sw_jw_obj_begin(w);
    /* the node fields, one array each, as XGBoost's JSON writes them */
    static const char *const keys[] = {"base_weights", "default_left", "left_children", "loss_changes",
                                       "parents", "right_children", "split_conditions", "split_indices",
                                       "split_type", "sum_hessian"};
    for (int k = 0; k < 10; k++) {
        for (int32_t i = 0; i < nn; i++) {
            const unsigned char *n = nd + (size_t)i * NODE_BYTES, *s = st + (size_t)i * STAT_BYTES;
            uint32_t si = le32(n + 12);
            switch (k) {
            case 0: fb[i] = lef32(s + 8); break;
            case 1: ub[i] = (uint8_t)(si >> 31); break;
            case 2: ib[i] = (int32_t)le32(n + 4); break;
            case 3: fb[i] = lef32(s); break;
            case 4: ib[i] = (int32_t)(le32(n) & 0x7fffffffu); break; /* bit 31: a left child */
            case 5: ib[i] = (int32_t)le32(n + 8); break;
            case 6: fb[i] = lef32(n + 16); break;
            case 7: ib[i] = (int32_t)(si & 0x7fffffffu); break;
            case 8: ub[i] = 0; break;
            default: fb[i] = lef32(s + 4); break;
            }
        }
        sw_jw_key(w, keys[k]);
        if (k == 1 || k == 8) sw_jw_u8s(w, ub, (size_t)nn);
        else if (k == 0 || k == 3 || k == 6 || k == 9) sw_jw_f32s(w, fb, (size_t)nn);
        else sw_jw_i32s(w, ib, (size_t)nn);
        if (k == 0) { /* no categorical splits in this format */
            static const char *const ck[] = {"categories", "categories_nodes", "categories_segments",
                                             "categories_sizes"};
            for (int c = 0; c < 4; c++) {
                sw_jw_key(w, ck[c]);
                sw_jw_i32s(w, ib, 0);
            }
        }
    }
    sw_jw_kint(w, "id", t);
    sw_jw_key(w, "tree_param");
    sw_jw_obj_begin(w);
    sw_jw_key(w, "num_deleted");
    str_int(w, ndel);
    sw_jw_key(w, "num_nodes");
    str_int(w, nn);
    sw_jw_key(w, "size_leaf_vector");
    str_int(w, leafvec);
    sw_jw_obj_end(w);
    sw_jw_obj_end(w);
    return SW_OK;
}

static int convert(rd *r, sw_jw *w)
{
    if (r->len >= 4 && memcmp(r->p, "binf", 4) == 0) r->at = 4;
    const unsigned char *lp = take(r, LEARNER_BYTES, "the learner's parameters");
    if (!lp) return r->err->code;
    float base_score = lef32(lp);
    uint32_t num_feature = le32(lp + 4), num_target = le32(lp + 28);
    int32_t num_class = (int32_t)le32(lp + 8), extra_attrs = (int32_t)le32(lp + 12),
            eval_metrics = (int32_t)le32(lp + 16);
    uint32_t major = r->major = le32(lp + 20), minor = r->minor = le32(lp + 24);
    /* the layout of 1.6 and 1.7 (num_target; the booster block's num_parallel_tree).
     * Before 1.0 base_score was stored as a margin, which later versions convert
     * on load; 1.0-1.5 and 2.x are untested: none is read until checked */
    if (major != 1 || minor < 6)
        return rd_err(r, r->at - LEARNER_BYTES + 20, SW_UNSUPPORTED,
                      "legacy XGBoost model saved by version %u.%u: only 1.6's and 1.7's are read (load it in "
                      "that XGBoost and save it as .json)", major, minor);
    char *obj = take_str(r, 64, "the objective's name");
    if (!obj) return r->err->code;
    size_t bat = r->at;
    char *booster = take_str(r, 64, "the booster's name");
    int rc = booster ? SW_OK : r->err->code;
    int dart = booster && !strcmp(booster, "dart");
    if (rc == SW_OK && !dart && strcmp(booster, "gbtree"))
        rc = rd_err(r, bat, SW_UNSUPPORTED, "booster '%s' is not supported (only gbtree and dart)", booster);
    sw_free(booster);
    size_t gat = r->at;
    const unsigned char *gp = rc ? NULL : take(r, GBTREE_BYTES, "the booster's parameters");
    if (!rc && !gp) rc = r->err->code;
    int32_t ntrees = gp ? (int32_t)le32(gp) : 0, npt = gp ? (int32_t)le32(gp + 4) : 0;
    if (!rc && (ntrees < 0 || (size_t)ntrees > (r->len - r->at) / (TREE_BYTES + 4)))
        rc = rd_err(r, gat, SW_FORMAT, "legacy XGBoost model: %d trees, more than the bytes left hold", ntrees);
    /* the node arrays' buffers: as large as the largest tree the bytes left can hold */
    size_t cap = (r->len - r->at) / (NODE_BYTES + STAT_BYTES) + 1;
    int32_t *ib = rc ? NULL : sw_alloc_array(cap, sizeof *ib);
    float *fb = rc ? NULL : sw_alloc_array(cap, sizeof *fb);
    uint8_t *ub = rc ? NULL : sw_alloc_array(cap, 1);
    if (!rc && (!ib || !fb || !ub)) rc = rd_err(r, gat, SW_NOMEM, "out of memory");

    sw_jw_obj_begin(w);
    sw_jw_key(w, "learner");
    sw_jw_obj_begin(w);
    sw_jw_key(w, "gradient_booster");
    sw_jw_obj_begin(w);
    if (dart) {
        sw_jw_key(w, "gbtree");
        sw_jw_obj_begin(w);
    }
    sw_jw_key(w, "model");
    sw_jw_obj_begin(w);
    sw_jw_key(w, "gbtree_model_param");
    sw_jw_obj_begin(w);
    sw_jw_key(w, "num_parallel_tree");
    str_int(w, npt);
    sw_jw_key(w, "num_trees");
    str_int(w, ntrees);
    sw_jw_obj_end(w);
    sw_jw_key(w, "trees");
    sw_jw_arr_begin(w);
    for (int32_t t = 0; t < ntrees && rc == SW_OK; t++) rc = write_tree(r, w, t, ib, fb, ub);
    sw_jw_arr_end(w);
    if (rc == SW_OK) {
        const unsigned char *ti = take(r, (size_t)ntrees * 4, "tree_info");
        if (!ti) rc = r->err->code;
        for (int32_t t = 0; t < ntrees && rc == SW_OK; t++) ib[t] = (int32_t)le32(ti + 4 * (size_t)t);
        sw_jw_key(w, "tree_info");
        sw_jw_i32s(w, ib, rc ? 0 : (size_t)ntrees);
    }
    sw_jw_obj_end(w); /* model */
    if (dart) {
        sw_jw_kstr(w, "name", "gbtree");
        sw_jw_obj_end(w); /* gbtree */
        uint64_t nw = 0;
        size_t wat = r->at;
        if (rc == SW_OK && ntrees) rc = take_count(r, 4, "tree weights", &nw); /* none for no trees */
        if (rc == SW_OK && nw != (uint64_t)ntrees)
            rc = rd_err(r, wat, SW_FORMAT, "legacy XGBoost model: %" PRIu64 " DART weights for %d trees", nw, ntrees);
        const unsigned char *wp = rc || !ntrees ? NULL : take(r, (size_t)nw * 4, "tree weights");
        for (int32_t t = 0; wp && t < ntrees; t++) fb[t] = lef32(wp + 4 * (size_t)t);
        if (!rc && ntrees && !wp) rc = r->err->code;
        sw_jw_key(w, "weight_drop");
        sw_jw_f32s(w, fb, wp ? (size_t)ntrees : 0);
    }
    sw_jw_kstr(w, "name", dart ? "dart" : "gbtree");
    sw_jw_obj_end(w); /* gradient_booster */

    /* attributes: best_iteration and the others as they are; the objective's configuration apart */
    sw_json *objdoc = NULL;
    sw_jw_key(w, "attributes");
    sw_jw_obj_begin(w);
    uint64_t na = 0;
    if (rc == SW_OK && extra_attrs) rc = take_count(r, 16, "attributes", &na);
    for (uint64_t i = 0; i < na && rc == SW_OK; i++) {
        char *k = take_str(r, 1 << 20, "an attribute's name");
        size_t vat = r->at;
        char *v = k ? take_str(r, 1 << 24, "an attribute's value") : NULL;
        if (!k || !v) {
            rc = r->err->code;
        } else if (!strcmp(k, "objective")) {
            sw_error jerr;
            if (objdoc || sw_json_parse(r->name, v, strlen(v), &objdoc, &jerr) != SW_OK ||
                sw_json_type_of(objdoc, sw_json_root(objdoc)) != SW_JSON_OBJECT)
                rc = rd_err(r, vat, SW_FORMAT, "legacy XGBoost model: the objective attribute is not one JSON object");
        } else {
            sw_jw_kstr(w, k, v);
        }
        sw_free(k);
        sw_free(v);
    }
    sw_jw_obj_end(w);
    uint64_t nm = 0;
    if (rc == SW_OK && eval_metrics) rc = take_count(r, 8, "metric names", &nm);
    for (uint64_t i = 0; i < nm && rc == SW_OK; i++) {
        char *m = take_str(r, 1 << 16, "a metric's name");
        if (!m) rc = r->err->code;
        sw_free(m);
    }
    if (rc == SW_OK && r->at != r->len)
        rc = rd_err(r, r->at, SW_FORMAT, "legacy XGBoost model: %zu bytes after the model", r->len - r->at);

    sw_jw_key(w, "learner_model_param");
    sw_jw_obj_begin(w);
    char b[48];
    snprintf(b, sizeof b, "%.9g", (double)base_score);
    sw_jw_kstr(w, "base_score", b);
    sw_jw_key(w, "num_class");
    str_int(w, num_class);
    sw_jw_key(w, "num_feature");
    str_int(w, (long long)num_feature);
    sw_jw_key(w, "num_target");
    str_int(w, num_target ? (long long)num_target : 1);
    sw_jw_obj_end(w);
    sw_jw_key(w, "objective");
    if (objdoc && sw_json_get(objdoc, sw_json_root(objdoc), "name") != SW_JNONE &&
        sw_json_streq(objdoc, sw_json_get(objdoc, sw_json_root(objdoc), "name"), obj)) {
        if (!copy_json(w, objdoc, sw_json_root(objdoc), 0) && rc == SW_OK)
            rc = rd_err(r, 0, SW_FORMAT, "legacy XGBoost model: the objective attribute nests too deep");
    } else {
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "name", obj);
        sw_jw_obj_end(w);
    }
    sw_jw_obj_end(w); /* learner */
    sw_jw_key(w, "version");
    int32_t ver[3] = {(int32_t)major, (int32_t)minor, 0};
    sw_jw_i32s(w, ver, 3);
    sw_jw_obj_end(w);
    sw_json_free(objdoc);
    sw_free(obj);
    sw_free(ib);
    sw_free(fb);
    sw_free(ub);
    return rc;
}

int sw_xgb_read_legacy(const char *name, const unsigned char *data, size_t len, sw_forest **out, sw_error *err)
{
    *out = NULL;
    sw_error local;
    if (!err) err = &local;
    rd r = {name, data, len, 0, err, 0, 0};
    sw_jw *w = sw_jw_create(SW_JW_UBJSON);
    if (!w) return sw_fail(err, SW_NOMEM, "out of memory");
    int rc = convert(&r, w);
    const char *doc;
    size_t dlen;
    if (rc == SW_OK && sw_jw_finish(w, &doc, &dlen) != SW_OK) rc = sw_fail(err, SW_NOMEM, "out of memory");
    if (rc == SW_OK) {
        rc = sw_xgb_read_ubjson(name, (const unsigned char *)doc, dlen, out, err);
        if (rc) sw_error_prefix(err, "legacy XGBoost model, as XGBoost's UBJSON: ");
    }
    char ver[32];
    snprintf(ver, sizeof ver, "%u.%u", r.major, r.minor);
    if (rc == SW_OK && (rc = sw_forest_set_source(*out, "xgboost-legacy", ver))) {
        sw_forest_free(*out);
        *out = NULL;
        rc = sw_fail(err, SW_NOMEM, "out of memory");
    }
    sw_jw_free(w);
    return rc;
}
