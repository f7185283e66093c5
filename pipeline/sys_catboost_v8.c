/* catboost_v8: the earlier system's production model (CatBoost V8 on the 33
 * v2 features), or any model registered under this system (ORIGINAL-SYSTEM.md
 * 7.5).  Shot-zone and Vegas inputs may be missing (NaN, which the model
 * handles); any other missing input gives the documented fallback at
 * confidence 50, which the call rule turns into PASS, with the feature named. */
#include <math.h>
#include <stdio.h>

#include "core/alloc.h"
#include "systems_impl.h"

static int predict(const sw_system *s, const sw_batch *b, sw_pred *out, sw_error *err)
{
    float *X = NULL;
    double *m = sw_malloc(sizeof(double) * (size_t)(b->n ? b->n : 1));
    if (!m || sw__gather(s, b, &X)) {
        sw_free(m);
        sw_free(X);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    sw_scorer_predict(s->sc_mean, X, b->n, s->n_cols, 0, b->nthread > 0 ? b->nthread : 1, m);
    for (long i = 0; i < b->n; i++) {
        const float *v = sw_frame_values(b->fr, b->rows[i]);
        const float *x = X + (size_t)i * (size_t)s->n_cols;
        const sw_frame_meta *meta = sw_frame_meta_of(b->fr, b->rows[i]);
        sw_pred *p = &out[i];
        float std = v[s->fx.std10];
        int bad = -1;
        for (int c = 0; c < s->n_cols && bad < 0; c++)
            if (!s->nan_ok[c] && !isfinite(x[c])) bad = c;
        if (bad >= 0 || !isfinite(m[i])) {
            p->pred = sw__clamp_pts(0.4 * v[s->fx.l5] + 0.35 * v[s->fx.l10] + 0.25 * v[s->fx.season]);
            p->conf = 50;
            sw__set_interval(p, std > 3 ? std : 3);
            snprintf(p->note, sizeof p->note, "fallback average: %s missing",
                     bad >= 0 ? sw_feature_name(s->cols[bad]) : "model output");
            continue;
        }
        p->pred = sw__clamp_pts(m[i]);
        p->conf = sw__model_conf(meta->quality, std);
        sw__set_interval(p, std > 3 ? std : 3);
        snprintf(p->note, sizeof p->note, "catboost %d trees%s%s%s", sw_scorer_n_trees(s->sc_mean),
                 m[i] >= 55 || m[i] <= 5 ? "; extreme prediction" : "", meta->quality < 70 ? "; quality < 70" : "",
                 std > 8 ? "; volatile scorer (std > 8)" : "");
    }
    sw_free(X);
    sw_free(m);
    return SW_OK;
}

const sw__sys_ops sw__ops_catboost_v8 = {SW_SYS_CATBOOST_V8, {60, 1.0f, 0, 0}, predict};
