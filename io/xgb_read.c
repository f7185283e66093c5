/* xgb_read: XGBoost models (JSON and UBJSON) into a binary-tree sw_forest.
 *
 * Both encodings parse into the same document model (core/json), so one
 * builder serves both.  Schema handled: XGBoost 1.x to 3.x "learner" documents
 * with a gbtree booster, or a dart booster (its gbtree inside, one weight per
 * tree in "weight_drop"): XGBoost predicts with DART as the base margin plus,
 * tree by tree in float32, leaf x weight, so each leaf is stored as its
 * float32 product with the tree's weight and every scorer sums the same
 * numbers in the same order.  base_score is read from either spelling, "1.07E1" or
 * "[1.07E1]" (XGBoost 3.x; XGBoost 1.7 silently reads the bracketed form as 0.5,
 * swish reads the number).  Thresholds and leaves are parsed straight to
 * float32; the margin start is ProbToMargin(base_score) in float32.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/num.h"
#include "model.h"
#include "xgb_impl.h"

typedef struct {
    const sw_json *doc;
    sw_error *err;
} ctx;

static int fmt_err(ctx *c, sw_jnode at, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fmt_err(ctx *c, sw_jnode at, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_error_vset(c->err, code, sw_json_name(c->doc), 0, 0, sw_json_offset(c->doc, at), fmt, ap);
    va_end(ap);
    return code;
}

static sw_jnode need(ctx *c, sw_jnode obj, const char *key, sw_json_type type, int *rc)
{
    sw_jnode n = sw_json_get(c->doc, obj, key);
    if (n == SW_JNONE) {
        *rc = fmt_err(c, obj, SW_FORMAT, "missing \"%s\"", key);
        return SW_JNONE;
    }
    sw_json_type t = sw_json_type_of(c->doc, n);
    int ok = t == type || (type == SW_JSON_ARRAY && t == SW_JSON_TYPED_ARRAY);
    if (!ok) {
        *rc = fmt_err(c, n, SW_FORMAT, "\"%s\" has the wrong type", key);
        return SW_JNONE;
    }
    *rc = SW_OK;
    return n;
}

/* An integer stored as a JSON number or as a string ("524"). */
static int int_field(ctx *c, sw_jnode obj, const char *key, long long def, long long *out)
{
    sw_jnode n = sw_json_get(c->doc, obj, key);
    if (n == SW_JNONE) {
        *out = def;
        return SW_OK;
    }
    return sw_json_i64(c->doc, n, 1, out, c->err);
}

/* base_score: "1.0682758E1", "[1.0682758E1]", a number, or one value per
 * output as XGBoost 3.1 writes for a multi-target model ("[2.1E1,7E0]"): up
 * to SW_MAX_GROUPS values into out, their count into *n. */
static int read_base_score(ctx *c, sw_jnode n, float *out, int *count)
{
    *count = 1;
    if (sw_json_type_of(c->doc, n) == SW_JSON_NUMBER) return sw_json_f32(c->doc, n, 0, out, c->err);
    size_t len;
    const char *s = sw_json_str(c->doc, n, &len);
    if (!s) return fmt_err(c, n, SW_FORMAT, "base_score is not a number or string");
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        s++;
        len -= 2;
    }
    const char *end = s + len;
    int k = 0;
    for (;;) {
        const char *e = memchr(s, ',', (size_t)(end - s));
        if (!e) e = end;
        if (k == SW_MAX_GROUPS)
            return fmt_err(c, n, SW_FORMAT, "base_score has more than %d values", SW_MAX_GROUPS);
        if (sw_parse_f32(s, (size_t)(e - s), &out[k]) != 0)
            return fmt_err(c, n, SW_PARSE, "invalid base_score '%.*s'", (int)(e - s > 40 ? 40 : e - s), s);
        k++;
        if (e == end) break;
        s = e + 1;
    }
    *count = k;
    return SW_OK;
}

/* The objective's parameter that swish keeps (so that a model written back
 * carries it as read): huber_slope, Poisson's max_delta_step,
 * tweedie_variance_power, one quantile_alpha ("[0.5]"), scale_pos_weight of
 * the reg_loss objectives; NaN when absent or several quantiles. */
static int read_objective_param(ctx *c, sw_jnode obj, sw_objective o, double *out)
{
    *out = NAN;
    const char *group, *key;
    switch (o) {
    case SW_OBJ_PSEUDOHUBER: group = "pseudo_huber_param", key = "huber_slope"; break;
    case SW_OBJ_POISSON: group = "poisson_regression_param", key = "max_delta_step"; break;
    case SW_OBJ_TWEEDIE: group = "tweedie_regression_param", key = "tweedie_variance_power"; break;
    case SW_OBJ_QUANTILE: group = "quantile_loss_param", key = "quantile_alpha"; break;
    case SW_OBJ_SQUAREDERROR:
    case SW_OBJ_LOGISTIC:
    case SW_OBJ_REG_LOGISTIC:
    case SW_OBJ_LOGITRAW:
    case SW_OBJ_SQUAREDLOG: group = "reg_loss_param", key = "scale_pos_weight"; break;
    default: return SW_OK;
    }
    sw_jnode g = sw_json_get(c->doc, obj, group);
    sw_jnode v = g == SW_JNONE ? SW_JNONE : sw_json_get(c->doc, g, key);
    if (v == SW_JNONE) return SW_OK;
    float x;
    if (sw_json_type_of(c->doc, v) == SW_JSON_NUMBER) {
        SW_TRY(sw_json_f32(c->doc, v, 0, &x, c->err));
    } else {
        size_t len;
        const char *t = sw_json_str(c->doc, v, &len);
        if (t && len >= 2 && t[0] == '[' && t[len - 1] == ']') t++, len -= 2;
        if (t && memchr(t, ',', len)) return SW_OK; /* several quantiles */
        if (!t || sw_parse_f32(t, len, &x) != 0)
            return fmt_err(c, v, SW_PARSE, "objective parameter %s is not a number", key);
    }
    if (!isfinite(x)) return fmt_err(c, v, SW_FORMAT, "objective parameter %s is not finite", key);
    *out = x;
    return SW_OK;
}

/* The parameter section of the objectives whose parameters swish does not
 * model (survival:aft, rank:*), kept as read so that the model is written
 * back with them: the objective's first member that is an object. */
static int read_objective_section(ctx *c, sw_jnode obj, sw_objective o, sw_forest *f)
{
    if (o != SW_OBJ_AFT && o != SW_OBJ_RANK_PAIRWISE && o != SW_OBJ_RANK_NDCG && o != SW_OBJ_RANK_MAP) return SW_OK;
    sw_jnode sec = sw_json_first(c->doc, obj);
    while (sec != SW_JNONE && sw_json_type_of(c->doc, sec) != SW_JSON_OBJECT) sec = sw_json_next(c->doc, sec);
    return sec == SW_JNONE ? SW_OK : sw__objective_section_read(c->doc, sec, f, c->err);
}

int sw__objective_section_read(const sw_json *doc, sw_jnode sec, sw_forest *f, sw_error *err)
{
    uint32_t n = sw_json_len(doc, sec);
    if (n > SW_MAX_OBJECTIVE_KEYS)
        return sw_error_set(err, SW_FORMAT, sw_json_name(doc), 0, 0, sw_json_offset(doc, sec),
                            "the objective's parameters: %u, at most %d", n, SW_MAX_OBJECTIVE_KEYS);
    char *kv[2 * SW_MAX_OBJECTIVE_KEYS + 1] = {0}, *name = NULL;
    size_t len;
    const char *k = sw_json_key(doc, sec, &len);
    int rc = SW_OK, i = 0;
    if (!k || memchr(k, 0, len))
        rc = sw_error_set(err, SW_FORMAT, sw_json_name(doc), 0, 0, sw_json_offset(doc, sec),
                          "the objective's parameter section has no name");
    else if (!(name = sw_strndup(k, len))) rc = sw_fail(err, SW_NOMEM, "out of memory");
    for (sw_jnode m = sw_json_first(doc, sec); m != SW_JNONE && rc == SW_OK; m = sw_json_next(doc, m), i++) {
        k = sw_json_key(doc, m, &len);
        if (!k || memchr(k, 0, len) || sw_json_type_of(doc, m) != SW_JSON_STRING)
            rc = sw_error_set(err, SW_FORMAT, sw_json_name(doc), 0, 0, sw_json_offset(doc, m),
                              "objective parameter %d of %s is not a named string", i, name);
        else if (!(kv[2 * i] = sw_strndup(k, len)) || !(kv[2 * i + 1] = sw_json_strdup(doc, m)))
            rc = sw_fail(err, SW_NOMEM, "out of memory");
    }
    if (rc == SW_OK) rc = sw_forest_set_objective_section(f, name, i, (const char *const *)kv, err);
    for (int j = 0; j < 2 * i; j++) sw_free(kv[j]);
    sw_free(name);
    return rc;
}

static int array_len_is(ctx *c, sw_jnode arr, const char *name, uint32_t n, int tree)
{
    if (sw_json_len(c->doc, arr) != n)
        return fmt_err(c, arr, SW_FORMAT, "tree %d: \"%s\" has %u entries, num_nodes is %u", tree, name,
                       sw_json_len(c->doc, arr), n);
    return SW_OK;
}

static int read_tree(ctx *c, sw_forest *f, sw_jnode tree, int t, float weight)
{
    int rc;
    if (sw_json_type_of(c->doc, tree) != SW_JSON_OBJECT)
        return fmt_err(c, tree, SW_FORMAT, "tree %d is not an object", t);
    sw_jnode tp = sw_json_get(c->doc, tree, "tree_param");
    sw_jnode jl = need(c, tree, "left_children", SW_JSON_ARRAY, &rc);
    if (rc) return rc;
    sw_jnode jr = need(c, tree, "right_children", SW_JSON_ARRAY, &rc);
    if (rc) return rc;
    sw_jnode ji = need(c, tree, "split_indices", SW_JSON_ARRAY, &rc);
    if (rc) return rc;
    sw_jnode jc = need(c, tree, "split_conditions", SW_JSON_ARRAY, &rc);
    if (rc) return rc;
    sw_jnode jd = need(c, tree, "default_left", SW_JSON_ARRAY, &rc);
    if (rc) return rc;
    uint32_t n = sw_json_len(c->doc, jl);
    if (tp != SW_JNONE) {
        long long nn, leafvec;
        SW_TRY(int_field(c, tp, "num_nodes", n, &nn));
        if (nn != (long long)n)
            return fmt_err(c, tp, SW_FORMAT, "tree %d: num_nodes %lld but %u children entries", t, nn, n);
        SW_TRY(int_field(c, tp, "size_leaf_vector", 1, &leafvec));
        if (leafvec > 1)
            return fmt_err(c, tp, SW_UNSUPPORTED,
                           "tree %d: vector leaves (multi-target trees) are not supported", t);
    }
    if (n == 0) return fmt_err(c, jl, SW_FORMAT, "tree %d has no nodes", t);
    if (n > INT32_MAX) return fmt_err(c, jl, SW_FORMAT, "tree %d: %u nodes, too many", t, n);
    SW_TRY(array_len_is(c, jr, "right_children", n, t));
    SW_TRY(array_len_is(c, ji, "split_indices", n, t));
    SW_TRY(array_len_is(c, jc, "split_conditions", n, t));
    SW_TRY(array_len_is(c, jd, "default_left", n, t));
    sw_jnode st = sw_json_get(c->doc, tree, "split_type");
    sw_jnode cats = sw_json_get(c->doc, tree, "categories");
    sw_jnode cnodes = sw_json_get(c->doc, tree, "categories_nodes");
    sw_jnode csegs = sw_json_get(c->doc, tree, "categories_segments");
    sw_jnode csizes = sw_json_get(c->doc, tree, "categories_sizes");
    uint32_t ncn = cnodes == SW_JNONE ? 0 : sw_json_len(c->doc, cnodes);
    uint32_t ncat = cats == SW_JNONE ? 0 : sw_json_len(c->doc, cats);
    if (ncn && (csegs == SW_JNONE || csizes == SW_JNONE || sw_json_len(c->doc, csegs) != ncn ||
                sw_json_len(c->doc, csizes) != ncn || cats == SW_JNONE))
        return fmt_err(c, cnodes, SW_FORMAT,
                       "tree %d: categories_nodes, categories_segments and categories_sizes differ in length", t);

    int32_t *l = sw_alloc_array(n, sizeof *l), *r = sw_alloc_array(n, sizeof *r);
    int32_t *fi = sw_alloc_array(n, sizeof *fi), *dl32 = sw_alloc_array(n, sizeof *dl32);
    int32_t *stype = sw_alloc_array(n, sizeof *stype);
    float *cond = sw_alloc_array(n, sizeof *cond);
    uint8_t *dl = sw_alloc_array(n, sizeof *dl);
    float *cover = sw_alloc_array(n, sizeof *cover), *gain = sw_alloc_array(n, sizeof *gain);
    int32_t *cstart = sw_calloc(n, sizeof *cstart), *ccount = sw_calloc(n, sizeof *ccount);
    int32_t *catv = sw_alloc_array((size_t)ncat + 1, sizeof *catv);
    int32_t *cn = sw_alloc_array((size_t)ncn + 1, sizeof *cn), *cs = sw_alloc_array((size_t)ncn + 1, sizeof *cs);
    int32_t *cz = sw_alloc_array((size_t)ncn + 1, sizeof *cz);
    if (!l || !r || !fi || !dl32 || !stype || !cond || !dl || !cover || !gain || !cstart || !ccount || !catv || !cn ||
        !cs || !cz) {
        rc = sw_fail(c->err, SW_NOMEM, "out of memory reading tree %d", t);
        goto out;
    }
    if ((rc = sw_json_read_i32s(c->doc, jl, l, n, c->err))) goto out;
    if ((rc = sw_json_read_i32s(c->doc, jr, r, n, c->err))) goto out;
    if ((rc = sw_json_read_i32s(c->doc, ji, fi, n, c->err))) goto out;
    if ((rc = sw_json_read_f32s(c->doc, jc, cond, n, c->err))) goto out;
    if ((rc = sw_json_read_i32s(c->doc, jd, dl32, n, c->err))) goto out;
    sw_jnode sh = sw_json_get(c->doc, tree, "sum_hessian");
    sw_jnode lc = sw_json_get(c->doc, tree, "loss_changes");
    int have_stats = sh != SW_JNONE && lc != SW_JNONE;
    if (have_stats) {
        if ((rc = array_len_is(c, sh, "sum_hessian", n, t))) goto out;
        if ((rc = array_len_is(c, lc, "loss_changes", n, t))) goto out;
        if ((rc = sw_json_read_f32s(c->doc, sh, cover, n, c->err))) goto out;
        if ((rc = sw_json_read_f32s(c->doc, lc, gain, n, c->err))) goto out;
    }
    if (st != SW_JNONE) {
        if ((rc = array_len_is(c, st, "split_type", n, t))) goto out;
        if ((rc = sw_json_read_i32s(c->doc, st, stype, n, c->err))) goto out;
    }
    /* categorical splits: node cn[k]'s categories are catv[cs[k] .. cs[k] + cz[k]) */
    if (ncn) {
        if ((rc = sw_json_read_i32s(c->doc, cnodes, cn, ncn, c->err))) goto out;
        if ((rc = sw_json_read_i32s(c->doc, csegs, cs, ncn, c->err))) goto out;
        if ((rc = sw_json_read_i32s(c->doc, csizes, cz, ncn, c->err))) goto out;
        if ((rc = sw_json_read_i32s(c->doc, cats, catv, ncat, c->err))) goto out;
        for (uint32_t k = 0; k < ncn; k++) {
            if (cn[k] < 0 || (uint32_t)cn[k] >= n || cs[k] < 0 || cz[k] <= 0 || (uint32_t)cs[k] > ncat ||
                (uint32_t)cz[k] > ncat - (uint32_t)cs[k]) {
                rc = fmt_err(c, cnodes, SW_FORMAT, "tree %d: categorical split %u (node %d, categories %d+%d) "
                             "outside the tree's %u nodes and %u categories", t, k, cn[k], cs[k], cz[k], n, ncat);
                goto out;
            }
            cstart[cn[k]] = cs[k];
            ccount[cn[k]] = cz[k];
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        int is_cat = st != SW_JNONE && stype[i] != 0 && l[i] >= 0;
        if (is_cat != (l[i] >= 0 && ccount[i] > 0)) {
            rc = fmt_err(c, is_cat ? st : cnodes, SW_FORMAT,
                         is_cat ? "tree %d node %u: categorical split without categories"
                                : "tree %d node %u: categories for a split that is not categorical",
                         t, i);
            goto out;
        }
        /* XGBoost marks leaves with left = -1; any negative id is a leaf here and
         * a right child of a leaf is ignored */
        dl[i] = dl32[i] != 0;
    }
    float *leafv = cond;
    if (weight != 1.0f) { /* DART: the leaves times the tree's weight (the split conditions stay) */
        leafv = sw_alloc_array(n, sizeof *leafv);
        if (!leafv) {
            rc = sw_fail(c->err, SW_NOMEM, "out of memory reading tree %d", t);
            goto out;
        }
        for (uint32_t i = 0; i < n; i++) leafv[i] = l[i] < 0 ? cond[i] * weight : cond[i];
    }
    sw_binary_tree_in in = {.n_nodes = (int)n, .left = l, .right = r, .feature = fi, .threshold = cond,
                            .default_left = dl, .leaf_value = leafv, .cover = have_stats ? cover : NULL,
                            .gain = have_stats ? gain : NULL, .cat_start = ncn ? cstart : NULL,
                            .cat_count = ncn ? ccount : NULL, .categories = ncn ? catv : NULL};
    rc = sw_forest_add_binary(f, &in, c->err);
    if (rc) sw_error_prefix(c->err, "%s: ", sw_json_name(c->doc));
    if (leafv != cond) sw_free(leafv);
out:
    sw_free(l);
    sw_free(r);
    sw_free(fi);
    sw_free(dl32);
    sw_free(stype);
    sw_free(cond);
    sw_free(dl);
    sw_free(cover);
    sw_free(gain);
    sw_free(cstart);
    sw_free(ccount);
    sw_free(catv);
    sw_free(cn);
    sw_free(cs);
    sw_free(cz);
    return rc;
}

static int build_model(ctx *c, const sw_json *doc, const char *format, const char *version, sw_jnode lmp,
                       sw_jnode learner, sw_jnode bs, const float *base_score, float *margin, int n_base,
                       long long num_feature, long long num_class, long long num_target, sw_forest **out);

static int build(const sw_json *doc, const char *format, sw_forest **out, sw_error *err)
{
    ctx cx = {doc, err};
    ctx *c = &cx;
    int rc;
    sw_jnode root = sw_json_root(doc);
    if (sw_json_type_of(doc, root) != SW_JSON_OBJECT)
        return fmt_err(c, root, SW_FORMAT, "not an XGBoost model (top level is not an object)");
    sw_jnode learner = need(c, root, "learner", SW_JSON_OBJECT, &rc);
    if (rc) {
        sw_error_prefix(err, "not an XGBoost model: ");
        return rc;
    }
    char version[64] = "";
    sw_jnode ver = sw_json_get(doc, root, "version");
    if (ver != SW_JNONE && sw_json_type_of(doc, ver) != SW_JSON_OBJECT && sw_json_len(doc, ver) == 3) {
        int32_t v[3];
        if (sw_json_read_i32s(doc, ver, v, 3, NULL) == SW_OK)
            snprintf(version, sizeof version, "%d.%d.%d", v[0], v[1], v[2]);
    }
    sw_jnode lmp = need(c, learner, "learner_model_param", SW_JSON_OBJECT, &rc);
    if (rc) return rc;
    long long num_feature, num_class, num_target;
    SW_TRY(int_field(c, lmp, "num_feature", -1, &num_feature));
    SW_TRY(int_field(c, lmp, "num_class", 0, &num_class));
    SW_TRY(int_field(c, lmp, "num_target", 1, &num_target));
    if (num_feature < 0 || num_feature > SW_MAX_FEATURES)
        return fmt_err(c, lmp, SW_FORMAT, "num_feature %lld outside 0..%d", num_feature, SW_MAX_FEATURES);
    if (num_class < 0 || num_class > SW_MAX_GROUPS)
        return fmt_err(c, lmp, SW_FORMAT, "num_class %lld outside 0..%d", num_class, SW_MAX_GROUPS);
    if (num_target < 1 || num_target > SW_MAX_GROUPS)
        return fmt_err(c, lmp, SW_FORMAT, "num_target %lld outside 1..%d", num_target, SW_MAX_GROUPS);
    if (num_target > 1 && num_class > 1)
        return fmt_err(c, lmp, SW_FORMAT, "num_class %lld and num_target %lld: one of them must be 1", num_class,
                       num_target);
    sw_jnode bs = need(c, lmp, "base_score", SW_JSON_STRING, &rc);
    if (rc) {
        bs = sw_json_get(doc, lmp, "base_score");
        if (bs == SW_JNONE || sw_json_type_of(doc, bs) != SW_JSON_NUMBER) return rc;
    }
    float *base_score = sw_alloc_array(SW_MAX_GROUPS, 2 * sizeof(float)), *margin = base_score + SW_MAX_GROUPS;
    int n_base;
    if (!base_score) return sw_fail(err, SW_NOMEM, "out of memory");
    if ((rc = read_base_score(c, bs, base_score, &n_base))) {
        sw_free(base_score);
        return rc;
    }
    rc = build_model(c, doc, format, version, lmp, learner, bs, base_score, margin, n_base, num_feature, num_class,
                     num_target, out);
    sw_free(base_score);
    return rc;
}

/* The rest of build, base_score read (n_base values). */
static int build_model(ctx *c, const sw_json *doc, const char *format, const char *version, sw_jnode lmp,
                       sw_jnode learner, sw_jnode bs, const float *base_score, float *margin, int n_base,
                       long long num_feature, long long num_class, long long num_target, sw_forest **out)
{
    sw_error *err = c->err;
    int rc;

    sw_jnode obj = need(c, learner, "objective", SW_JSON_OBJECT, &rc);
    if (rc) return rc;
    sw_jnode objname = need(c, obj, "name", SW_JSON_STRING, &rc);
    if (rc) return rc;
    char *oname = sw_json_strdup(doc, objname);
    if (!oname) return sw_fail(err, SW_NOMEM, "out of memory");
    int objective = sw_objective_from_name(oname);
    if (objective < 0 || sw_objective_is_catboost((sw_objective)objective)) {
        rc = fmt_err(c, objname, SW_UNSUPPORTED, "objective '%s' is not supported (supported: %s)", oname,
                     sw_objective_names());
        sw_free(oname);
        return rc;
    }
    sw_free(oname);
    for (int k = 0; k < n_base; k++) {
        int ok;
        margin[k] = sw_link_inverse_f32(sw_objective_base_link((sw_objective)objective), base_score[k], &ok);
        if (!ok)
            return fmt_err(c, bs, SW_FORMAT, "base_score %g is outside the domain of objective %s",
                           (double)base_score[k], sw_objective_name((sw_objective)objective));
    }

    sw_jnode gb = need(c, learner, "gradient_booster", SW_JSON_OBJECT, &rc);
    if (rc) return rc;
    sw_jnode gbname = sw_json_get(doc, gb, "name"), wdrop = SW_JNONE;
    if (gbname != SW_JNONE && sw_json_streq(doc, gbname, "dart")) {
        wdrop = sw_json_get(doc, gb, "weight_drop");
        sw_jnode inner = sw_json_get(doc, gb, "gbtree");
        if (wdrop == SW_JNONE ||
            (sw_json_type_of(doc, wdrop) != SW_JSON_ARRAY && sw_json_type_of(doc, wdrop) != SW_JSON_TYPED_ARRAY) ||
            inner == SW_JNONE ||
            sw_json_type_of(doc, inner) != SW_JSON_OBJECT)
            return fmt_err(c, gb, SW_FORMAT, "a dart booster needs an array \"weight_drop\" and an object \"gbtree\"");
        gb = inner;
    } else if (gbname != SW_JNONE && !sw_json_streq(doc, gbname, "gbtree")) {
        size_t l;
        const char *s = sw_json_str(doc, gbname, &l);
        return fmt_err(c, gbname, SW_UNSUPPORTED, "booster '%.*s' is not supported (only gbtree and dart)",
                       s ? (int)(l > 32 ? 32 : l) : 1, s ? s : "?");
    }
    sw_jnode model = need(c, gb, "model", SW_JSON_OBJECT, &rc);
    if (rc) return rc;
    sw_jnode trees = need(c, model, "trees", SW_JSON_ARRAY, &rc);
    if (rc) return rc;
    long long npt = 1;
    sw_jnode gmp = sw_json_get(doc, model, "gbtree_model_param");
    if (gmp != SW_JNONE) {
        long long num_trees;
        SW_TRY(int_field(c, gmp, "num_parallel_tree", 1, &npt));
        SW_TRY(int_field(c, gmp, "num_trees", sw_json_len(doc, trees), &num_trees));
        if (num_trees != (long long)sw_json_len(doc, trees))
            return fmt_err(c, gmp, SW_FORMAT, "num_trees %lld but %u trees present", num_trees,
                           sw_json_len(doc, trees));
    }
    sw_jnode cats = sw_json_get(doc, model, "cats");
    if (cats != SW_JNONE && sw_json_type_of(doc, cats) == SW_JSON_OBJECT) {
        sw_jnode enc = sw_json_get(doc, cats, "enc");
        if (enc != SW_JNONE && sw_json_len(doc, enc) > 0)
            return fmt_err(c, enc, SW_UNSUPPORTED, "categorical features are not supported");
    }
    /* tree_info: each tree's output group (class); checked once the trees are read */
    sw_jnode tinfo = sw_json_get(doc, model, "tree_info");
    /* classes, or targets (XGBoost's one tree per target a round: tree_info
     * gives the target) */
    int n_groups = num_class > 1 ? (int)num_class : (int)num_target;
    if (sw_objective_is_multiclass((sw_objective)objective) && n_groups < 2)
        return fmt_err(c, lmp, SW_FORMAT, "objective %s needs num_class >= 2", sw_objective_name((sw_objective)objective));
    if (n_base > 1 && n_base != n_groups)
        return fmt_err(c, bs, SW_FORMAT, "base_score has %d values for %d outputs (num_class %lld, num_target %lld)",
                       n_base, n_groups, num_class, num_target);
    /* XGBoost 3.1's per-class intercepts: not read until checked against it */
    if (n_base > 1 && sw_objective_is_multiclass((sw_objective)objective))
        return fmt_err(c, bs, SW_UNSUPPORTED, "base_score has %d values, one per class of %s: not supported", n_base,
                       sw_objective_name((sw_objective)objective));

    sw_forest *f = sw_forest_create(SW_TREES_BINARY, (int)num_feature);
    if (!f) return sw_fail(err, SW_NOMEM, "out of memory");
    sw_forest_set_objective(f, (sw_objective)objective);
    double oparam;
    if ((rc = read_objective_param(c, obj, (sw_objective)objective, &oparam))) {
        sw_forest_free(f);
        return rc;
    }
    sw_forest_set_objective_param(f, oparam);
    if ((rc = read_objective_section(c, obj, (sw_objective)objective, f))) {
        sw_forest_free(f);
        return rc;
    }
    sw_forest_set_base_score(f, base_score[0], margin[0]);
    /* out-of-range counts become 0 (refused) before the conversion to int */
    if ((rc = sw_forest_set_trees_per_iteration(f, npt < 1 || npt > 100000 / n_groups ? 0 : (int)npt * n_groups,
                                                err)))
        goto fail;
    if ((rc = sw_forest_set_source(f, format, version))) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto fail;
    }

    /* feature names: optional; unnamed features are f0, f1, ... as in XGBoost */
    sw_jnode fnames = sw_json_get(doc, learner, "feature_names");
    {
        uint32_t nn = fnames == SW_JNONE ? 0 : sw_json_len(doc, fnames);
        if (nn && nn != (uint32_t)num_feature) {
            rc = fmt_err(c, fnames, SW_FORMAT, "%u feature names for %lld features", nn, num_feature);
            goto fail;
        }
        char **names = sw_calloc((size_t)num_feature + 1, sizeof *names);
        if (!names) {
            rc = sw_fail(err, SW_NOMEM, "out of memory");
            goto fail;
        }
        sw_jnode e = nn ? sw_json_first(doc, fnames) : SW_JNONE;
        for (long long i = 0; i < num_feature && rc == SW_OK; i++) {
            if (e != SW_JNONE) {
                names[i] = sw_json_strdup(doc, e);
                if (!names[i] && sw_json_type_of(doc, e) != SW_JSON_STRING)
                    rc = fmt_err(c, e, SW_FORMAT, "feature name %lld is not a string", i);
                e = sw_json_next(doc, e);
            } else {
                char tmp[24];
                snprintf(tmp, sizeof tmp, "f%lld", i);
                names[i] = sw_strdup(tmp);
            }
            if (!names[i] && rc == SW_OK) rc = sw_fail(err, SW_NOMEM, "out of memory");
        }
        if (rc == SW_OK) rc = sw_forest_set_feature_names(f, (const char *const *)names, err);
        sw_forest_set_unnamed(f, nn == 0);
        for (long long i = 0; i < num_feature; i++) sw_free(names[i]);
        sw_free(names);
        if (rc) goto fail;
    }

    if (sw_json_type_of(doc, trees) != SW_JSON_ARRAY) {
        rc = fmt_err(c, trees, SW_FORMAT, "\"trees\" is not an array of objects");
        goto fail;
    }
    uint32_t ntr = sw_json_len(doc, trees);
    float *weights = NULL;
    if (wdrop != SW_JNONE) {
        if (sw_json_len(doc, wdrop) != ntr) {
            rc = fmt_err(c, wdrop, SW_FORMAT, "weight_drop has %u weights for %u trees", sw_json_len(doc, wdrop), ntr);
            goto fail;
        }
        weights = sw_alloc_array((size_t)ntr + 1, sizeof *weights);
        if (!weights) {
            rc = sw_fail(err, SW_NOMEM, "out of memory");
            goto fail;
        }
        if ((rc = sw_json_read_f32s(doc, wdrop, weights, ntr, err))) {
            sw_free(weights);
            goto fail;
        }
    }
    int t = 0;
    for (sw_jnode tr = sw_json_first(doc, trees); tr != SW_JNONE && rc == SW_OK; tr = sw_json_next(doc, tr), t++)
        rc = read_tree(c, f, tr, t, weights ? weights[t] : 1.0f);
    sw_free(weights);
    if (rc) goto fail;
    if (tinfo != SW_JNONE || n_groups > 1) {
        if (tinfo == SW_JNONE || sw_json_len(doc, tinfo) != ntr) {
            rc = fmt_err(c, tinfo == SW_JNONE ? model : tinfo, SW_FORMAT, "tree_info has %u entries for %u trees",
                         tinfo == SW_JNONE ? 0 : sw_json_len(doc, tinfo), ntr);
            goto fail;
        }
        int32_t *grp = sw_alloc_array((size_t)ntr + 1, sizeof *grp);
        if (!grp) {
            rc = sw_fail(err, SW_NOMEM, "out of memory");
            goto fail;
        }
        rc = sw_json_read_i32s(doc, tinfo, grp, ntr, err);
        for (uint32_t i = 0; i < ntr && rc == SW_OK; i++)
            if (grp[i] < 0 || grp[i] >= n_groups)
                rc = fmt_err(c, tinfo, SW_FORMAT, "tree %u: tree_info %d outside 0..%d (num_class %lld, num_target %lld)",
                             i, grp[i], n_groups - 1, num_class, num_target);
        if (rc == SW_OK) rc = sw_forest_set_groups(f, n_groups, grp, err);
        sw_free(grp);
        if (rc) goto fail;
    }
    if (n_base > 1 && (rc = sw_forest_set_group_base_scores(f, n_base, base_score, margin, err))) goto fail;

    sw_jnode attrs = sw_json_get(doc, learner, "attributes");
    sw_jnode bi = attrs == SW_JNONE ? SW_JNONE : sw_json_get(doc, attrs, "best_iteration");
    if (bi != SW_JNONE) {
        long long b;
        if ((rc = sw_json_i64(doc, bi, 1, &b, err))) goto fail;
        long long rounds = sw_forest_n_trees(f) / sw_forest_trees_per_iteration(f);
        if ((b < 0 || b >= rounds) && !(b == -1 && rounds == 0)) { /* XGBoost writes -1 for 0 rounds */
            rc = fmt_err(c, bi, SW_FORMAT, "best_iteration %lld outside the model's %lld rounds", b, rounds);
            goto fail;
        }
        if (b >= 0) sw_forest_set_best_iteration(f, (int)b);
    }
    *out = f;
    return SW_OK;
fail:
    sw_forest_free(f);
    return rc;
}

int sw_xgb_read_json(const char *name, const char *data, size_t len, sw_forest **out,
                     sw_error *err)
{
    *out = NULL;
    sw_json *doc;
    SW_TRY(sw_json_parse(name, data, len, &doc, err));
    int rc = build(doc, "xgboost-json", out, err);
    sw_json_free(doc);
    return rc;
}

int sw_xgb_read_json_owned(const char *name, char *data, size_t len, sw_forest **out,
                           sw_error *err)
{
    *out = NULL;
    sw_json *doc;
    SW_TRY(sw_json_parse_owned(name, data, len, &doc, err));
    int rc = build(doc, "xgboost-json", out, err);
    sw_json_free(doc);
    return rc;
}

int sw_xgb_read_ubjson(const char *name, const unsigned char *data, size_t len,
                       sw_forest **out, sw_error *err)
{
    *out = NULL;
    sw_json *doc;
    SW_TRY(sw_ubjson_parse(name, data, len, &doc, err));
    int rc = build(doc, "xgboost-ubj", out, err);
    sw_json_free(doc);
    return rc;
}
