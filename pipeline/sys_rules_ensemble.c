/* rules_ensemble: the rule systems combined by confidence (ORIGINAL-SYSTEM.md
 * 7.6) over four components: moving_average, zone_matchup, similarity and the
 * rule set the original used as its XGBoost stand-in (7.4).  Fixed: that rule
 * set is deterministic (no random noise), reads its inputs by name with shot
 * shares converted to percent in one place, and the ensemble never counts a
 * component that made no prediction. */
#include <math.h>
#include <stdio.h>

#include "systems_impl.h"

void sw__rule_heuristic(const sw__fx *fx, const sw__row *r, sw_pred *out)
{
    const float *v = r->v;
    if (r->src[fx->season] == SW_SRC_DEFAULT || r->src[fx->season] == SW_SRC_MISSING) {
        sw__no_pred(out, "no played games this season");
        return;
    }
    double p = 0.35 * v[fx->l5] + 0.40 * v[fx->l10] + 0.25 * v[fx->season];
    double fat = v[fx->fatigue];
    p += fat < 40 ? -3.0 : fat < 55 ? -2.0 : fat < 70 ? -1.2 : fat < 80 ? -0.5 : fat > 90 ? 0.8 : 0.0;
    if (isfinite(v[fx->mismatch])) p += 0.35 * v[fx->mismatch];
    double usage = v[fx->usage10];
    if (isfinite(v[fx->pace])) p += v[fx->pace] * (isfinite(usage) && usage > 28 ? 0.12 : 0.08);
    double spike = v[fx->usage_spike];
    if (isfinite(spike)) p += spike * (fabs(spike) > 5 ? 0.45 : 0.30);
    double rating = v[fx->opp_def];
    p += rating < 106 ? -2.0 : rating < 110 ? -1.2 : rating < 113 ? -0.5 : rating > 120 ? 1.5 : rating > 116 ? 0.8 : 0.0;
    if (v[fx->b2b] > 0.5) p -= 2.5;
    p += v[fx->home] > 0.5 ? 1.3 : -0.6;
    double mins = v[fx->min10];
    p += mins > 36 ? 0.8 : mins >= 30 ? 0.4 : mins < 25 ? -1.2 : 0.0;
    double paint = 100.0 * v[fx->paint], three = 100.0 * v[fx->three]; /* shares to percent */
    if (isfinite(paint) && paint > 40 && rating > 110) {
        double t = ((paint - 40) / 10) * ((rating - 110) / 5) * 0.4;
        p += t < 1.5 ? t : 1.5;
    } else if (isfinite(three) && three > 40 && rating < 110) {
        p -= 0.5;
    }
    out->pred = sw__clamp_pts(p);
    float q = r->meta->quality, std = v[fx->std10];
    out->conf = 70.0f + (q >= 90 ? 10 : q >= 80 ? 7 : q >= 70 ? 5 : q >= 60 ? 2 : 0) +
                (std < 4 ? 10 : std < 6 ? 7 : std < 8 ? 5 : 2);
    sw__set_interval(out, std > 3 ? std : 3);
    snprintf(out->note, sizeof out->note, "rules %.1f", out->pred);
}

void sw__rule_ensemble(const sw__fx *fx, const sw__row *r, sw_pred *out)
{
    sw_pred c[4];
    void (*rules[4])(const sw__fx *, const sw__row *, sw_pred *) = {
        sw__rule_moving_average, sw__rule_zone_matchup, sw__rule_similarity, sw__rule_heuristic};
    static const char *const tag[4] = {"ma", "zone", "sim", "rules"};
    double wp = 0, wc = 0, csum = 0, s2 = 0;
    int k = 0;
    for (int i = 0; i < 4; i++) {
        rules[i](fx, r, &c[i]);
        if (!isfinite(c[i].pred)) continue;
        wp += (double)c[i].pred * c[i].conf;
        wc += c[i].conf;
        csum += c[i].conf;
        s2 += c[i].sigma;
        k++;
    }
    if (k < 2 || wc <= 0) {
        sw__no_pred(out, "fewer than 2 rule components predicted");
        return;
    }
    double pred = wp / wc, mean = 0, var = 0;
    for (int i = 0; i < 4; i++)
        if (isfinite(c[i].pred)) mean += c[i].pred / k;
    for (int i = 0; i < 4; i++)
        if (isfinite(c[i].pred)) var += (c[i].pred - mean) * (c[i].pred - mean) / k;
    double sd = sqrt(var), conf = csum / k;
    conf += sd < 2 ? 10 : sd < 3 ? 5 : sd < 6 ? -5 : -10;
    if (k == 4) conf += 5;
    out->pred = sw__clamp_pts(pred);
    out->conf = (float)(conf < 20 ? 20 : conf > 95 ? 95 : conf);
    sw__set_interval(out, s2 / k);
    int len = snprintf(out->note, sizeof out->note, "%d components, spread %.1f:", k, sd);
    for (int i = 0; i < 4 && len < (int)sizeof out->note; i++)
        if (isfinite(c[i].pred))
            len += snprintf(out->note + len, sizeof out->note - (size_t)len, " %s %.1f", tag[i], c[i].pred);
}

static int predict(const sw_system *s, const sw_batch *b, sw_pred *out, sw_error *err)
{
    if (!b->lg) return sw_fail(err, SW_ARG, "rules_ensemble needs the league's history");
    return sw__predict_rows(s, b, out, sw__rule_ensemble, err);
}

const sw__sys_ops sw__ops_rules_ensemble = {SW_SYS_RULES_ENSEMBLE, {65, 1.5f, 0, 0}, predict};
