/* moving_average: weighted recent scoring averages with context adjustments
 * (ORIGINAL-SYSTEM.md 7.1).  Fixed: the fatigue penalty reads tiredness as
 * 100 - fatigue_score (fatigue_score is high when rested; the original
 * penalised rested players), and missing optional inputs add nothing rather
 * than a made-up value. */
#include <math.h>
#include <stdio.h>

#include "systems_impl.h"

static double opt(float v, double k) { return isfinite(v) ? k * v : 0.0; }

void sw__rule_moving_average(const sw__fx *fx, const sw__row *r, sw_pred *out)
{
    const float *v = r->v;
    if (r->src[fx->season] == SW_SRC_DEFAULT || r->src[fx->season] == SW_SRC_MISSING) {
        sw__no_pred(out, "no played games this season");
        return;
    }
    double base = 0.50 * v[fx->l5] + 0.30 * v[fx->l10] + 0.20 * v[fx->season];
    double tired = 100.0 - v[fx->fatigue];
    double fat = tired > 70 ? -2.5 : tired > 50 ? -1.0 : 0.0;
    double mm = opt(v[fx->mismatch], 0.3), b2b = v[fx->b2b] > 0.5 ? -1.5 : 0.0;
    double pace = opt(v[fx->pace], 0.3), venue = v[fx->home] > 0.5 ? 0.5 : -0.5;
    double usage = opt(v[fx->usage_spike], 0.4);
    out->pred = sw__clamp_pts(base + fat + mm + b2b + pace + venue + usage);

    double std = v[fx->std10];
    out->conf = sw__avg_confidence(fx, v);
    sw__set_interval(out, std > 3 ? std : 3);
    snprintf(out->note, sizeof out->note, "base %.1f fatigue %+.1f zones %+.1f b2b %+.1f pace %+.1f venue %+.1f usage %+.1f",
             base, fat, mm, b2b, pace, venue, usage);
}

static int predict(const sw_system *s, const sw_batch *b, sw_pred *out, sw_error *err)
{
    return sw__predict_rows(s, b, out, sw__rule_moving_average, err);
}

const sw__sys_ops sw__ops_moving_average = {SW_SYS_MOVING_AVERAGE, {45, 2.0f, 1, 1}, predict};
