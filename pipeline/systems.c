/* systems: the common part of the six prediction systems: names, creation,
 * the per-row driver, call rules and the predictive distribution.  Each
 * system's own logic lives in pipeline/sys_<name>.c. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "systems_impl.h"

static const char *const names[SW_SYS_COUNT] = {"moving_average", "zone_matchup", "similarity",
                                                "rules_ensemble", "gbdt",         "catboost_v8"};

static const sw__sys_ops *const all_ops[SW_SYS_COUNT] = {
    &sw__ops_moving_average, &sw__ops_zone_matchup, &sw__ops_similarity,
    &sw__ops_rules_ensemble, &sw__ops_gbdt,         &sw__ops_catboost_v8};

const char *sw_system_name(sw_system_id id) { return (unsigned)id < SW_SYS_COUNT ? names[id] : "?"; }

int sw_system_find(const char *name)
{
    for (int i = 0; i < SW_SYS_COUNT; i++)
        if (name && strcmp(name, names[i]) == 0) return i;
    return -1;
}

int sw_system_is_model(sw_system_id id) { return id == SW_SYS_GBDT || id == SW_SYS_CATBOOST_V8; }

int sw__fx_resolve(sw__fx *fx, sw_error *err)
{
    static const char *const want[] = {
        "points_avg_last_5", "points_avg_last_10", "points_avg_season", "points_std_last_10",
        "games_in_last_7_days", "fatigue_score", "shot_zone_mismatch_score", "pace_score",
        "usage_spike_score", "opponent_def_rating", "home_away", "back_to_back", "pct_paint",
        "pct_mid_range", "pct_three", "pct_free_throw", "minutes_avg_last_10", "usage_rate_last_10"};
    int *slot[] = {&fx->l5,      &fx->l10,  &fx->season, &fx->std10,   &fx->g7,     &fx->fatigue,
                   &fx->mismatch, &fx->pace, &fx->usage_spike, &fx->opp_def, &fx->home, &fx->b2b,
                   &fx->paint,   &fx->mid,  &fx->three,  &fx->ft,      &fx->min10,  &fx->usage10};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        *slot[i] = sw_feature_find(want[i]);
        if (*slot[i] < 0) return sw_fail(err, SW_MISMATCH, "feature set %s lacks '%s'", SW_FEATURE_SET, want[i]);
    }
    return SW_OK;
}

float sw__clamp_pts(double v) { return (float)(v < 0 ? 0 : v > 60 ? 60 : v); }

void sw__set_interval(sw_pred *p, double sigma)
{
    if (!(sigma > 0.5)) sigma = 0.5;
    p->sigma = (float)sigma;
    p->lo = sw__clamp_pts(p->pred - 1.2815516 * sigma);
    p->hi = sw__clamp_pts(p->pred + 1.2815516 * sigma);
}

void sw__no_pred(sw_pred *p, const char *why)
{
    p->pred = p->lo = p->hi = p->sigma = NAN;
    p->conf = 0;
    snprintf(p->note, sizeof p->note, "%s", why);
}

float sw__avg_confidence(const sw__fx *fx, const float *v)
{
    double std = v[fx->std10], c = 0.5, g7 = v[fx->g7];
    c -= std > 6 ? 0.15 : std > 4 ? 0.08 : 0.0;
    c += g7 >= 3 ? 0.10 : g7 == 2 ? 0.05 : -0.10;
    c = c < 0.2 ? 0.2 : c > 0.8 ? 0.8 : c;
    return (float)(100.0 * c);
}

float sw__model_conf(float quality, float std10)
{
    float c = 75;
    c += quality >= 90 ? 10 : quality >= 80 ? 7 : quality >= 70 ? 5 : 2;
    c += std10 < 4 ? 10 : std10 < 6 ? 7 : std10 < 8 ? 5 : 2;
    return c;
}

int sw_system_create_rule(sw_system_id id, sw_system **out, sw_error *err)
{
    *out = NULL;
    if ((unsigned)id >= SW_SYS_COUNT || sw_system_is_model(id))
        return sw_fail(err, SW_ARG, "'%s' is not a rule system", sw_system_name(id));
    sw_system *s = sw_calloc(1, sizeof *s);
    if (!s) return sw_fail(err, SW_NOMEM, "out of memory");
    s->ops = all_ops[id];
    snprintf(s->version, sizeof s->version, "rules-1");
    int rc = sw__fx_resolve(&s->fx, err);
    if (rc) {
        sw_free(s);
        return rc;
    }
    *out = s;
    return SW_OK;
}

static void bundle_free(sw_model_bundle *m)
{
    sw_forest_free(m->mean);
    sw_forest_free(m->q_lo);
    sw_forest_free(m->q_hi);
    m->mean = m->q_lo = m->q_hi = NULL;
}

/* Frame column of each model feature; every missing name listed. */
static int map_columns(const sw_forest *f, const char *what, int **cols, sw_error *err)
{
    int n = sw_forest_n_features(f);
    *cols = sw_calloc((size_t)(n ? n : 1), sizeof **cols);
    if (!*cols) return sw_fail(err, SW_NOMEM, "out of memory");
    char missing[512] = "";
    int n_missing = 0;
    for (int i = 0; i < n; i++) {
        const char *name = sw_forest_feature_name(f, i);
        (*cols)[i] = name ? sw_feature_find(name) : -1;
        if ((*cols)[i] < 0) {
            size_t len = strlen(missing);
            if (len < sizeof missing - 40)
                snprintf(missing + len, sizeof missing - len, "%s%s", n_missing ? ", " : "",
                         name ? name : "(unnamed feature)");
            n_missing++;
        }
    }
    if (n_missing) {
        sw_free(*cols);
        *cols = NULL;
        return sw_fail(err, SW_MISMATCH, "%s model asks for %d feature%s the v2 feature set (%s) lacks: %s", what,
                       n_missing, n_missing > 1 ? "s" : "", SW_FEATURE_SET, missing);
    }
    return SW_OK;
}

static int same_features(const sw_forest *a, const sw_forest *b)
{
    if (sw_forest_n_features(a) != sw_forest_n_features(b)) return 0;
    for (int i = 0; i < sw_forest_n_features(a); i++) {
        const char *x = sw_forest_feature_name(a, i), *y = sw_forest_feature_name(b, i);
        if (!x || !y || strcmp(x, y) != 0) return 0;
    }
    return 1;
}

int sw_system_create_model(sw_system_id id, sw_model_bundle *models, sw_system **out, sw_error *err)
{
    *out = NULL;
    int rc = SW_OK;
    if (!sw_system_is_model(id) || !models || !models->mean) {
        if (models) bundle_free(models);
        return sw_fail(err, SW_ARG, "'%s' needs a model", sw_system_name(id));
    }
    sw_system *s = sw_calloc(1, sizeof *s);
    if (!s) {
        bundle_free(models);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    s->ops = all_ops[id];
    s->models = *models;
    memset(models, 0, sizeof *models);
    snprintf(s->version, sizeof s->version, "%s", s->models.version[0] ? s->models.version : "unversioned");
    if ((rc = sw__fx_resolve(&s->fx, err))) goto fail;
    if ((rc = map_columns(s->models.mean, sw_system_name(id), &s->cols, err))) goto fail;
    s->n_cols = sw_forest_n_features(s->models.mean);
    for (int q = 0; q < 3; q++) { /* the systems score one value a row (points, or a quantile) */
        const sw_forest *f = q == 2 ? s->models.q_hi : q ? s->models.q_lo : s->models.mean;
        if (f && sw_forest_n_outputs(f, 0) != 1) {
            rc = sw_fail(err, SW_MISMATCH, "%s: a model of %d output groups (classes or targets); a system needs one",
                         sw_system_name(id), sw_forest_n_groups(f));
            goto fail;
        }
    }
    for (int q = 0; q < 2; q++) {
        const sw_forest *f = q ? s->models.q_hi : s->models.q_lo;
        if (f && !same_features(f, s->models.mean)) {
            rc = sw_fail(err, SW_MISMATCH, "%s: the quantile models' features differ from the mean model's",
                         sw_system_name(id));
            goto fail;
        }
    }
    if ((rc = sw_scorer_create(s->models.mean, sw_forest_tree_limit(s->models.mean, SW_TREES_BEST), SW_ISA_AUTO,
                               &s->sc_mean, err)))
        goto fail;
    if (s->models.q_lo && (rc = sw_scorer_create(s->models.q_lo, sw_forest_tree_limit(s->models.q_lo, SW_TREES_BEST),
                                                 SW_ISA_AUTO, &s->sc_lo, err)))
        goto fail;
    if (s->models.q_hi && (rc = sw_scorer_create(s->models.q_hi, sw_forest_tree_limit(s->models.q_hi, SW_TREES_BEST),
                                                 SW_ISA_AUTO, &s->sc_hi, err)))
        goto fail;
    {
        sw_error ignore; /* a model without covers simply cannot be explained */
        if (sw_explainer_create(s->models.mean, sw_forest_tree_limit(s->models.mean, SW_TREES_BEST), &s->explain,
                                &ignore) == SW_NOMEM) {
            rc = sw_fail(err, SW_NOMEM, "out of memory");
            goto fail;
        }
    }
    if (id == SW_SYS_CATBOOST_V8) {
        /* section 7.5: shot zones and Vegas values may be missing (NaN) */
        static const char *const optional[] = {"pct_paint",          "pct_mid_range",      "pct_three",
                                               "vegas_points_line",  "vegas_opening_line", "vegas_line_move"};
        s->nan_ok = sw_calloc((size_t)s->n_cols + 1, sizeof *s->nan_ok);
        if (!s->nan_ok) {
            rc = sw_fail(err, SW_NOMEM, "out of memory");
            goto fail;
        }
        for (int i = 0; i < s->n_cols; i++)
            for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++)
                if (strcmp(sw_feature_name(s->cols[i]), optional[k]) == 0) s->nan_ok[i] = 1;
    }
    *out = s;
    return SW_OK;
fail:
    sw_system_free(s);
    return rc;
}

void sw_system_free(sw_system *s)
{
    if (!s) return;
    sw_explainer_free(s->explain);
    sw_scorer_free(s->sc_mean);
    sw_scorer_free(s->sc_lo);
    sw_scorer_free(s->sc_hi);
    bundle_free(&s->models);
    sw_free(s->cols);
    sw_free(s->nan_ok);
    sw_free(s);
}

sw_system_id sw_system_id_of(const sw_system *s) { return s->ops->id; }
const char *sw_system_version(const sw_system *s) { return s->version; }

void sw_system_train_window(const sw_system *s, char from[11], char to[11])
{
    snprintf(from, 11, "%s", s->models.train_from);
    snprintf(to, 11, "%s", s->models.train_to);
}

int sw_system_predict(const sw_system *s, const sw_batch *b, sw_pred *out, sw_error *err)
{
    if (!b || !b->fr || (b->n > 0 && !b->rows)) return sw_fail(err, SW_ARG, "empty batch");
    for (long i = 0; i < b->n; i++)
        if (b->rows[i] < 0 || b->rows[i] >= sw_frame_rows(b->fr))
            return sw_fail(err, SW_ARG, "batch row %ld outside the frame", b->rows[i]);
    return s->ops->predict(s, b, out, err);
}

int sw__predict_rows(const sw_system *s, const sw_batch *b, sw_pred *out,
                     void (*rule)(const sw__fx *, const sw__row *, sw_pred *), sw_error *err)
{
    int nt = b->nthread > 0 ? b->nthread : 1;
    openblas_set_num_threads(1); /* rules may call BLAS inside the OpenMP loop over players */
#pragma omp parallel for num_threads(nt) schedule(static) if (b->n > 64 && nt > 1)
    for (long i = 0; i < b->n; i++) {
        sw__row r = {sw_frame_values(b->fr, b->rows[i]), sw_frame_sources(b->fr, b->rows[i]),
                     sw_frame_meta_of(b->fr, b->rows[i]), b->lg};
        memset(&out[i], 0, sizeof out[i]);
        rule(&s->fx, &r, &out[i]);
    }
    return SW_OK;
}

const char *sw_call_name(sw_call c)
{
    static const char *const n[] = {"OVER", "UNDER", "PASS", "NO_LINE"};
    return (unsigned)c <= SW_CALL_NO_LINE ? n[c] : "?";
}

int sw_call_parse(const char *s, sw_call *out)
{
    for (int c = SW_CALL_OVER; s && c <= SW_CALL_NO_LINE; c++)
        if (!strcmp(s, sw_call_name((sw_call)c))) {
            *out = (sw_call)c;
            return 0;
        }
    return -1;
}

sw_call sw_system_call(const sw_system *s, const sw_pred *p, float line)
{
    if (!isfinite(line)) return SW_CALL_NO_LINE;
    if (!isfinite(p->pred)) return SW_CALL_PASS;
    const sw__call_rule *r = &s->ops->rule;
    double edge = (double)p->pred - line, ae = fabs(edge);
    int conf_ok = r->conf_strict ? p->conf > r->min_conf : p->conf >= r->min_conf;
    int edge_ok = r->edge_strict ? ae > r->min_edge : ae >= r->min_edge;
    if (!conf_ok || !edge_ok || edge == 0) return SW_CALL_PASS;
    return edge > 0 ? SW_CALL_OVER : SW_CALL_UNDER;
}

double sw_prob_over(double mean, double sigma, double line)
{
    if (!isfinite(mean) || !isfinite(line)) return NAN;
    if (!(sigma > 1e-6)) sigma = 1e-6;
    double t = line == floor(line) ? line + 0.5 : line;
    return 0.5 * erfc((t - mean) / (sigma * sqrt(2.0)));
}

int sw__gather(const sw_system *s, const sw_batch *b, float **X)
{
    size_t nc = (size_t)s->n_cols;
    *X = sw_malloc(sizeof(float) * nc * (size_t)(b->n ? b->n : 1));
    if (!*X) return SW_NOMEM;
    for (long i = 0; i < b->n; i++) {
        const float *v = sw_frame_values(b->fr, b->rows[i]);
        float *x = *X + (size_t)i * nc;
        for (size_t c = 0; c < nc; c++) x[c] = v[s->cols[c]];
    }
    return SW_OK;
}

int sw_system_contributions(const sw_system *s, const sw_frame *fr, long row, int k, sw_contrib *out)
{
    if (!s->explain || k <= 0) return 0;
    int nc = s->n_cols;
    float *x = sw_malloc(sizeof(float) * (size_t)nc);
    double *phi = sw_malloc(sizeof(double) * (size_t)nc);
    int n = 0;
    if (x && phi) {
        const float *v = sw_frame_values(fr, row);
        for (int c = 0; c < nc; c++) x[c] = v[s->cols[c]];
        if (sw_explain_row(s->explain, x, phi) == SW_OK) {
            /* the k largest |phi|, ties by feature order */
            for (int c = 0; c < nc; c++) {
                double a = fabs(phi[c]);
                if (a == 0) continue;
                int at = n < k ? n : k;
                while (at > 0 && fabs(out[at - 1].phi) < a) at--;
                if (at >= k) continue;
                int last = n < k ? n : k - 1;
                for (int j = last; j > at; j--) out[j] = out[j - 1];
                out[at] = (sw_contrib){s->cols[c], x[c], (float)phi[c]};
                if (n < k) n++;
            }
        }
    }
    sw_free(x);
    sw_free(phi);
    return n;
}

int sw_system_gain_importance(const sw_system *s, double *by_feature)
{
    const sw_forest *f = s->models.mean;
    for (int i = 0; i < sw_feature_count(); i++) by_feature[i] = 0;
    if (!f || sw_forest_kind(f) != SW_TREES_BINARY) return 0;
    int nt = sw_forest_tree_limit(f, SW_TREES_BEST);
    for (int t = 0; t < nt; t++) {
        sw_binary_tree_view v;
        sw_forest_binary_tree(f, t, &v);
        if (!v.gain) return 0;
        for (int i = 0; i < v.n_nodes; i++)
            if (v.left[i] >= 0) by_feature[s->cols[v.feature[i]]] += v.gain[i];
    }
    return 1;
}
