/* xgb_write: a binary-tree sw_forest as an XGBoost model (JSON or UBJSON).
 *
 * The document follows XGBoost's own schema (1.7 to 3.x): a gbtree learner with
 * one tree per round.  base_score is written unbracketed ("1.0682758E1"), the
 * one spelling every XGBoost version reads correctly; base scores per target
 * are bracketed ("[2.1E1,7E0]"), as XGBoost 3.1 writes them (XGBoost 1.7
 * reads that spelling as 0.5).  Thresholds and leaves are written as float32
 * (%.9g in JSON, 'd' in UBJSON) so that XGBoost scores a swish-trained model
 * exactly as swish does.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/num.h"
#include "model.h"

static void str_num_f32(sw_jw *w, float v)
{
    char b[SW_NUM_BUF];
    sw_format_f32(b, v);
    sw_jw_str(w, b);
}

/* A base score as XGBoost spells it (%.8E-like; any text that reads back
 * exactly) into b (SW_NUM_BUF bytes); returns its length. */
static size_t base_score_text(char *b, float v)
{
    snprintf(b, SW_NUM_BUF, "%.8E", (double)v);
    float chk;
    if (sw_parse_f32(b, strlen(b), &chk) != 0 || chk != v) sw_format_f32(b, v);
    return strlen(b);
}

static void str_int(sw_jw *w, long long v)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", v);
    sw_jw_str(w, b);
}

static void objective(sw_jw *w, const sw_forest *f)
{
    sw_objective o = sw_forest_objective(f);
    double p = sw_forest_objective_param(f);
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "name", sw_objective_name(o));
    switch (o) {
    case SW_OBJ_SQUAREDERROR:
    case SW_OBJ_LOGISTIC:
    case SW_OBJ_REG_LOGISTIC:
    case SW_OBJ_LOGITRAW:
    case SW_OBJ_SQUAREDLOG:
        sw_jw_key(w, "reg_loss_param");
        sw_jw_obj_begin(w);
        sw_jw_key(w, "scale_pos_weight");
        str_num_f32(w, isnan(p) ? 1.0f : (float)p);
        sw_jw_obj_end(w);
        break;
    case SW_OBJ_PSEUDOHUBER:
        sw_jw_key(w, "pseudo_huber_param");
        sw_jw_obj_begin(w);
        sw_jw_key(w, "huber_slope");
        str_num_f32(w, isnan(p) ? 1.0f : (float)p);
        sw_jw_obj_end(w);
        break;
    case SW_OBJ_POISSON:
        sw_jw_key(w, "poisson_regression_param");
        sw_jw_obj_begin(w);
        sw_jw_key(w, "max_delta_step");
        str_num_f32(w, isnan(p) ? 0.7f : (float)p);
        sw_jw_obj_end(w);
        break;
    case SW_OBJ_TWEEDIE:
        sw_jw_key(w, "tweedie_regression_param");
        sw_jw_obj_begin(w);
        sw_jw_key(w, "tweedie_variance_power");
        str_num_f32(w, isnan(p) ? 1.5f : (float)p);
        sw_jw_obj_end(w);
        break;
    case SW_OBJ_QUANTILE:
        sw_jw_key(w, "quantile_loss_param");
        sw_jw_obj_begin(w);
        sw_jw_key(w, "quantile_alpha");
        {
            char b[SW_NUM_BUF + 2];
            char n[SW_NUM_BUF];
            sw_format_f32(n, isnan(p) ? 0.5f : (float)p);
            snprintf(b, sizeof b, "[%s]", n);
            sw_jw_str(w, b);
        }
        sw_jw_obj_end(w);
        break;
    case SW_OBJ_MULTI_SOFTPROB:
    case SW_OBJ_MULTI_SOFTMAX:
        sw_jw_key(w, "softmax_multiclass_param");
        sw_jw_obj_begin(w);
        sw_jw_key(w, "num_class");
        str_int(w, sw_forest_n_groups(f));
        sw_jw_obj_end(w);
        break;
    default: {
        const char *sec, *k, *v;
        int n = sw_forest_objective_section(f, &sec, -1, NULL, NULL);
        if (n < 0) break;
        sw_jw_key(w, sec);
        sw_jw_obj_begin(w);
        for (int i = 0; i < n; i++) {
            sw_forest_objective_section(f, NULL, i, &k, &v);
            sw_jw_kstr(w, k, v);
        }
        sw_jw_obj_end(w);
        break;
    }
    }
    sw_jw_obj_end(w);
}

static int write_tree(sw_jw *w, const sw_forest *f, int t, int32_t *buf_i, float *buf_f,
                      uint8_t *buf_u)
{
    sw_binary_tree_view v;
    sw_forest_binary_tree(f, t, &v);
    int n = v.n_nodes;
    int32_t *parents = buf_i, *left = buf_i + n, *right = buf_i + 2 * (size_t)n,
            *split = buf_i + 3 * (size_t)n, *stype = buf_i + 4 * (size_t)n;
    float *cond = buf_f, *bw = buf_f + n, *lc = buf_f + 2 * (size_t)n, *sh = buf_f + 3 * (size_t)n;
    uint8_t *dl = buf_u, *st8 = buf_u + n;
    parents[0] = 2147483647; /* XGBoost's root parent marker */
    for (int i = 0; i < n; i++) {
        int leaf = v.left[i] < 0;
        left[i] = leaf ? -1 : v.left[i];
        right[i] = leaf ? -1 : v.right[i];
        split[i] = leaf ? 0 : v.feature[i];
        cond[i] = v.value[i];
        bw[i] = leaf ? v.value[i] : 0.0f;
        lc[i] = v.gain ? v.gain[i] : 0.0f;
        sh[i] = v.cover ? v.cover[i] : 0.0f;
        dl[i] = leaf ? 0 : v.default_left[i];
        stype[i] = 0;
        st8[i] = 0;
        if (!leaf) {
            parents[v.left[i]] = i;
            parents[v.right[i]] = i;
        }
    }
    /* categorical splits: their nodes, and each one's categories in order */
    int ncn = 0;
    size_t ncat = 0;
    for (int i = 0; i < n; i++) {
        const uint32_t *cw;
        uint32_t nb;
        if (v.left[i] >= 0 && sw_forest_node_categories(f, t, i, &cw, &nb)) {
            ncn++;
            for (uint32_t c = 0; c < nb; c++) ncat += (cw[c >> 5] >> (c & 31)) & 1u;
            st8[i] = 1;
            cond[i] = 0.0f; /* unused (XGBoost writes NaN, which JSON cannot spell) */
        }
    }
    int32_t *cats = sw_alloc_array(ncat + 1, sizeof *cats), *cnodes = sw_alloc_array((size_t)ncn + 1, sizeof *cnodes);
    int64_t *segs = sw_alloc_array((size_t)ncn + 1, sizeof *segs), *sizes = sw_alloc_array((size_t)ncn + 1, sizeof *sizes);
    if (!cats || !cnodes || !segs || !sizes) {
        sw_free(cats);
        sw_free(cnodes);
        sw_free(segs);
        sw_free(sizes);
        return SW_NOMEM;
    }
    ncn = 0;
    ncat = 0;
    for (int i = 0; i < n; i++) {
        const uint32_t *cw;
        uint32_t nb;
        if (v.left[i] < 0 || !sw_forest_node_categories(f, t, i, &cw, &nb)) continue;
        cnodes[ncn] = i;
        segs[ncn] = (int64_t)ncat;
        for (uint32_t c = 0; c < nb; c++)
            if ((cw[c >> 5] >> (c & 31)) & 1u) cats[ncat++] = (int32_t)c;
        sizes[ncn] = (int64_t)ncat - segs[ncn];
        ncn++;
    }
    sw_jw_obj_begin(w);
    sw_jw_key(w, "base_weights");
    sw_jw_f32s(w, bw, (size_t)n);
    sw_jw_key(w, "categories");
    sw_jw_i32s(w, cats, ncat);
    sw_jw_key(w, "categories_nodes");
    sw_jw_i32s(w, cnodes, (size_t)ncn);
    sw_jw_key(w, "categories_segments");
    sw_jw_i64s(w, segs, (size_t)ncn);
    sw_jw_key(w, "categories_sizes");
    sw_jw_i64s(w, sizes, (size_t)ncn);
    sw_free(cats);
    sw_free(cnodes);
    sw_free(segs);
    sw_free(sizes);
    sw_jw_key(w, "default_left");
    sw_jw_u8s(w, dl, (size_t)n);
    sw_jw_kint(w, "id", t);
    sw_jw_key(w, "left_children");
    sw_jw_i32s(w, left, (size_t)n);
    sw_jw_key(w, "loss_changes");
    sw_jw_f32s(w, lc, (size_t)n);
    sw_jw_key(w, "parents");
    sw_jw_i32s(w, parents, (size_t)n);
    sw_jw_key(w, "right_children");
    sw_jw_i32s(w, right, (size_t)n);
    sw_jw_key(w, "split_conditions");
    sw_jw_f32s(w, cond, (size_t)n);
    sw_jw_key(w, "split_indices");
    sw_jw_i32s(w, split, (size_t)n);
    sw_jw_key(w, "split_type");
    sw_jw_u8s(w, st8, (size_t)n);
    sw_jw_key(w, "sum_hessian");
    sw_jw_f32s(w, sh, (size_t)n);
    sw_jw_key(w, "tree_param");
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "num_deleted", "0");
    sw_jw_key(w, "num_feature");
    str_int(w, sw_forest_n_features(f));
    sw_jw_key(w, "num_nodes");
    str_int(w, n);
    sw_jw_kstr(w, "size_leaf_vector", "1");
    sw_jw_obj_end(w);
    sw_jw_obj_end(w);
    return SW_OK;
}

int sw_xgb_write(const sw_forest *f, int ubjson, unsigned char **data, size_t *len, sw_error *err)
{
    *data = NULL;
    *len = 0;
    if (sw_forest_kind(f) != SW_TREES_BINARY)
        return sw_fail(err, SW_UNSUPPORTED,
                       "an oblivious-tree model cannot be saved in XGBoost format (use .cbm or .swm)");
    if (sw_objective_is_catboost(sw_forest_objective(f)))
        return sw_fail(err, SW_UNSUPPORTED, "objective %s has no XGBoost equivalent",
                       sw_objective_name(sw_forest_objective(f)));
    switch (sw_forest_objective(f)) { /* XGBoost needs their parameters: written back as read, if read */
    case SW_OBJ_AFT:
    case SW_OBJ_RANK_PAIRWISE:
    case SW_OBJ_RANK_NDCG:
    case SW_OBJ_RANK_MAP:
        if (sw_forest_objective_section(f, NULL, -1, NULL, NULL) < 0)
            return sw_fail(err, SW_UNSUPPORTED,
                           "a model with objective %s whose parameters were not read from an XGBoost file cannot be "
                           "written in XGBoost format (use .swm)",
                           sw_objective_name(sw_forest_objective(f)));
        break;
    default: break;
    }
    if (sw_forest_objective(f) == SW_OBJ_QUANTILE && sw_forest_n_groups(f) > 1)
        return sw_fail(err, SW_UNSUPPORTED, "a model of %d quantiles cannot be written: swish keeps one quantile_alpha",
                       sw_forest_n_groups(f));
    int nt = sw_forest_n_trees(f), nf = sw_forest_n_features(f);
    int maxn = 1;
    for (int t = 0; t < nt; t++)
        if (sw_forest_tree_nodes(f, t) > maxn) maxn = sw_forest_tree_nodes(f, t);
    int32_t *bi = sw_alloc_array((size_t)maxn * 5, sizeof *bi);
    float *bf = sw_alloc_array((size_t)maxn * 4, sizeof *bf);
    uint8_t *bu = sw_alloc_array((size_t)maxn * 2, 1);
    sw_jw *w = sw_jw_create(ubjson ? SW_JW_UBJSON : SW_JW_JSON);
    if (!bi || !bf || !bu || !w) {
        sw_free(bi);
        sw_free(bf);
        sw_free(bu);
        sw_jw_free(w);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    sw_jw_obj_begin(w);
    sw_jw_key(w, "learner");
    sw_jw_obj_begin(w);
    sw_jw_key(w, "attributes");
    sw_jw_obj_begin(w);
    if (sw_forest_best_iteration(f) >= 0) {
        sw_jw_key(w, "best_iteration");
        str_int(w, sw_forest_best_iteration(f));
    }
    sw_jw_obj_end(w);
    /* a model read without names is written without them (XGBoost then takes
     * unnamed data), its types only where some feature is categorical */
    int unnamed = sw_forest_unnamed(f);
    sw_jw_key(w, "feature_names");
    sw_jw_arr_begin(w);
    for (int i = 0; i < nf && !unnamed; i++) {
        const char *nm = sw_forest_feature_name(f, i);
        char tmp[24];
        if (!nm) {
            snprintf(tmp, sizeof tmp, "f%d", i);
            nm = tmp;
        }
        sw_jw_str(w, nm);
    }
    sw_jw_arr_end(w);
    /* a feature some split treats as categories is XGBoost's "c" */
    uint8_t *is_cat = sw_calloc((size_t)nf + 1, 1);
    if (!is_cat) {
        sw_free(bi);
        sw_free(bf);
        sw_free(bu);
        sw_jw_free(w);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    for (int t = 0; t < nt && sw_forest_has_categorical(f); t++) {
        sw_binary_tree_view v;
        sw_forest_binary_tree(f, t, &v);
        for (int i = 0; i < v.n_nodes; i++) {
            const uint32_t *cw;
            uint32_t nb;
            if (v.left[i] >= 0 && sw_forest_node_categories(f, t, i, &cw, &nb)) is_cat[v.feature[i]] = 1;
        }
    }
    sw_jw_key(w, "feature_types");
    sw_jw_arr_begin(w);
    for (int i = 0; i < nf && (!unnamed || sw_forest_has_categorical(f)); i++) sw_jw_str(w, is_cat[i] ? "c" : "float");
    sw_jw_arr_end(w);
    sw_free(is_cat);
    sw_jw_key(w, "gradient_booster");
    sw_jw_obj_begin(w);
    sw_jw_key(w, "model");
    sw_jw_obj_begin(w);
    sw_jw_key(w, "gbtree_model_param");
    sw_jw_obj_begin(w);
    int G = sw_forest_n_groups(f);
    sw_jw_key(w, "num_parallel_tree");
    str_int(w, sw_forest_trees_per_iteration(f) / G > 0 ? sw_forest_trees_per_iteration(f) / G : 1);
    sw_jw_key(w, "num_trees");
    str_int(w, nt);
    sw_jw_obj_end(w);
    sw_jw_key(w, "iteration_indptr");
    sw_jw_arr_begin(w);
    int tpi = sw_forest_trees_per_iteration(f);
    for (int i = 0; i <= nt / tpi; i++) sw_jw_int(w, (long long)i * tpi);
    sw_jw_arr_end(w);
    sw_jw_key(w, "tree_info");
    sw_jw_arr_begin(w);
    for (int t = 0; t < nt; t++) sw_jw_int(w, sw_forest_tree_group(f, t));
    sw_jw_arr_end(w);
    sw_jw_key(w, "trees");
    sw_jw_arr_begin(w);
    int wrc = SW_OK;
    for (int t = 0; t < nt && wrc == SW_OK; t++) wrc = write_tree(w, f, t, bi, bf, bu);
    sw_jw_arr_end(w);
    if (wrc) {
        sw_free(bi);
        sw_free(bf);
        sw_free(bu);
        sw_jw_free(w);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    sw_jw_obj_end(w);
    sw_jw_kstr(w, "name", "gbtree");
    sw_jw_obj_end(w);
    sw_jw_key(w, "learner_model_param");
    sw_jw_obj_begin(w);
    sw_jw_key(w, "base_score");
    {
        /* one value: unbracketed; one per group: bracketed, as XGBoost 3.1 writes */
        int nb = sw_forest_has_group_base_scores(f) ? G : 1;
        char *b = sw_alloc_array((size_t)nb, SW_NUM_BUF + 1);
        if (!b) {
            sw_jw_free(w);
            return sw_fail(err, SW_NOMEM, "out of memory");
        }
        size_t at = 0;
        if (nb > 1) b[at++] = '[';
        for (int g = 0; g < nb; g++) {
            float v = sw_forest_group_base_score(f, g);
            if (g) b[at++] = ',';
            at += base_score_text(b + at, v);
        }
        if (nb > 1) b[at++] = ']';
        b[at] = 0;
        sw_jw_str(w, b);
        sw_free(b);
    }
    sw_jw_kstr(w, "boost_from_average", "1");
    /* several groups: classes (multi:*) or targets (any other objective) */
    int multi = sw_objective_is_multiclass(sw_forest_objective(f));
    sw_jw_key(w, "num_class");
    str_int(w, multi ? G : 0);
    sw_jw_key(w, "num_feature");
    str_int(w, nf);
    sw_jw_key(w, "num_target");
    str_int(w, multi ? 1 : G);
    sw_jw_obj_end(w);
    sw_jw_key(w, "objective");
    objective(w, f);
    sw_jw_obj_end(w);
    sw_jw_key(w, "version");
    sw_jw_arr_begin(w);
    sw_jw_int(w, 1);
    sw_jw_int(w, 7);
    sw_jw_int(w, 4);
    sw_jw_arr_end(w);
    sw_jw_obj_end(w);
    sw_free(bi);
    sw_free(bf);
    sw_free(bu);
    const char *out;
    size_t n;
    int rc = sw_jw_finish(w, &out, &n);
    if (rc == SW_OK) {
        *data = sw_malloc(n + 1);
        if (*data) {
            memcpy(*data, out, n);
            (*data)[n] = 0;
            *len = n;
        } else {
            rc = SW_NOMEM;
        }
    }
    sw_jw_free(w);
    return rc ? sw_fail(err, rc, "out of memory writing the model") : SW_OK;
}
