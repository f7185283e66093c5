/* zone_matchup: season average adjusted by how the opponent defends, weighted
 * by where the player shoots (ORIGINAL-SYSTEM.md 7.2).  Fixed: the free-throw
 * share is read on its own scale (a share of points, 0-0.5; the original's
 * default was 12.0), a missing zone share contributes nothing, and fatigue
 * reads tiredness as 100 - fatigue_score. */
#include <math.h>
#include <stdio.h>

#include "systems_impl.h"

void sw__rule_zone_matchup(const sw__fx *fx, const sw__row *r, sw_pred *out)
{
    const float *v = r->v;
    if (r->src[fx->season] == SW_SRC_DEFAULT || r->src[fx->season] == SW_SRC_MISSING) {
        sw__no_pred(out, "no played games this season");
        return;
    }
    static const double mult[4] = {1.2, 1.0, 1.1, 0.8};
    const int share_f[4] = {fx->paint, fx->mid, fx->three, fx->ft};
    double rating = v[fx->opp_def], zones = 0;
    for (int z = 0; z < 4; z++) {
        float share = v[share_f[z]];
        if (!isfinite(share) || !isfinite(rating)) continue;
        double w = share >= 0.40 ? 1.0 : share >= 0.20 ? 0.7 : 0.4;
        double t = (rating - 110.0) * 0.3 * mult[z];
        zones += w * (t < -3 ? -3 : t > 3 ? 3 : t);
    }
    double pace = isfinite(v[fx->pace]) ? 0.4 * v[fx->pace] : 0.0;
    double venue = v[fx->home] > 0.5 ? 0.8 : -0.8;
    double tired = 100.0 - v[fx->fatigue];
    double fat = tired > 70 ? -1.5 : tired > 50 ? -0.8 : 0.0;
    double season = v[fx->season];
    out->pred = sw__clamp_pts(season + zones + pace + venue + fat);

    double std = v[fx->std10];
    out->conf = sw__avg_confidence(fx, v);
    sw__set_interval(out, std > 3 ? std : 3);
    snprintf(out->note, sizeof out->note, "season %.1f zones %+.1f (opp def %.1f) pace %+.1f venue %+.1f fatigue %+.1f",
             season, zones, rating, pace, venue, fat);
}

static int predict(const sw_system *s, const sw_batch *b, sw_pred *out, sw_error *err)
{
    return sw__predict_rows(s, b, out, sw__rule_zone_matchup, err);
}

const sw__sys_ops sw__ops_zone_matchup = {SW_SYS_ZONE_MATCHUP, {45, 2.0f, 1, 1}, predict};
