/* gbdt: the swish-trained model of the model store (pipeline/retrain), the
 * mean model for the prediction and its 10% and 90% quantile models for the
 * interval, so the predictive distribution's spread is learned per player
 * rather than assumed. */
#include <math.h>
#include <stdio.h>

#include "core/alloc.h"
#include "systems_impl.h"

static int predict(const sw_system *s, const sw_batch *b, sw_pred *out, sw_error *err)
{
    float *X = NULL;
    double *m = sw_malloc(sizeof(double) * 3 * (size_t)(b->n ? b->n : 1));
    if (!m || sw__gather(s, b, &X)) {
        sw_free(m);
        sw_free(X);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    double *lo = m + b->n, *hi = m + 2 * b->n;
    int nt = b->nthread > 0 ? b->nthread : 1;
    sw_scorer_predict(s->sc_mean, X, b->n, s->n_cols, 0, nt, m);
    if (s->sc_lo) sw_scorer_predict(s->sc_lo, X, b->n, s->n_cols, 0, nt, lo);
    if (s->sc_hi) sw_scorer_predict(s->sc_hi, X, b->n, s->n_cols, 0, nt, hi);
    for (long i = 0; i < b->n; i++) {
        const float *v = sw_frame_values(b->fr, b->rows[i]);
        const sw_frame_meta *meta = sw_frame_meta_of(b->fr, b->rows[i]);
        sw_pred *p = &out[i];
        if (!isfinite(m[i])) {
            sw__no_pred(p, "model output not finite");
            continue;
        }
        p->pred = sw__clamp_pts(m[i]);
        float std = v[s->fx.std10];
        p->conf = sw__model_conf(meta->quality, std);
        if (s->sc_lo && s->sc_hi && isfinite(lo[i]) && isfinite(hi[i])) {
            double l = lo[i] < p->pred ? lo[i] : p->pred, h = hi[i] > p->pred ? hi[i] : p->pred;
            p->sigma = (float)((h - l) / 2.5631031 > 1.0 ? (h - l) / 2.5631031 : 1.0);
            p->lo = sw__clamp_pts(l);
            p->hi = sw__clamp_pts(h);
        } else {
            sw__set_interval(p, std > 3 ? std : 3);
        }
        snprintf(p->note, sizeof p->note, "gbdt %d trees, 80%% interval %.1f-%.1f", sw_scorer_n_trees(s->sc_mean),
                 p->lo, p->hi);
    }
    sw_free(X);
    sw_free(m);
    return SW_OK;
}

const sw__sys_ops sw__ops_gbdt = {SW_SYS_GBDT, {60, 1.5f, 0, 0}, predict};
