/* similarity: the player's own past games that resemble tonight (opponent
 * strength, rest, venue, form), their points weighted by resemblance
 * (ORIGINAL-SYSTEM.md 7.3).
 *
 * Each past game carries its own context as of its own date (opponent tier
 * from that opponent's defensive rating then, the days of rest before it, its
 * venue and the player's form then); the original gave every past game tier
 * "average" and home = true and measured rest to the next game.  Rest buckets
 * are 1 (back-to-back), 2, 3 and 4+.
 *
 * The similarity of tonight to each past game is a dot product: past games
 * are one-hot rows (tier 3, rest 4, venue 2, form 3), tonight is the vector
 * of points each category earns (same tier 40, adjacent 20; same rest 30,
 * adjacent 15; same venue 15; same form 15, other form 5), so one BLAS
 * matrix-vector product scores a player's whole history. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/date.h"
#include "systems_impl.h"

enum { HIST_MAX = 30, HIST_DAYS = 90, KEEP = 20, MIN_MATCH = 5, DIM = 12 };

static int tier_of(double rating) { return !isfinite(rating) ? 1 : rating < 110 ? 0 : rating < 115 ? 1 : 2; }
static int form_of(double f) { return !isfinite(f) ? 1 : f >= 3 ? 2 : f <= -3 ? 0 : 1; }

void sw__rule_similarity(const sw__fx *fx, const sw__row *r, sw_pred *out)
{
    const float *v = r->v;
    if (!r->lg || r->meta->player < 0) {
        sw__no_pred(out, "no league history available");
        return;
    }
    sw_hist_game h[HIST_MAX];
    int n = sw_features_history(r->lg, r->meta->player, r->meta->date, HIST_DAYS, h, HIST_MAX);
    if (n < MIN_MATCH) {
        char why[64];
        snprintf(why, sizeof why, "%d games in the last %d days, fewer than %d", n, HIST_DAYS, MIN_MATCH);
        sw__no_pred(out, why);
        return;
    }
    /* tonight's context */
    int D = r->meta->date;
    int rest = sw_date_season(h[0].date) == sw_date_season(D) ? D - h[0].date : 4;
    rest = rest < 1 ? 1 : rest > 4 ? 4 : rest;
    int tier = tier_of(v[fx->opp_def]), venue = v[fx->home] > 0.5;
    int form = form_of((double)v[fx->l5] - v[fx->season]);
    float q[DIM] = {0};
    for (int t = 0; t < 3; t++) q[t] = t == tier ? 40.0f : abs(t - tier) == 1 ? 20.0f : 0.0f;
    for (int k = 0; k < 4; k++) q[3 + k] = k == rest - 1 ? 30.0f : abs(k - (rest - 1)) == 1 ? 15.0f : 0.0f;
    q[7 + venue] = 15.0f;
    for (int f = 0; f < 3; f++) q[9 + f] = f == form ? 15.0f : 5.0f;

    float H[HIST_MAX * DIM], sim[HIST_MAX];
    memset(H, 0, sizeof(float) * (size_t)n * DIM);
    for (int i = 0; i < n; i++) {
        float *row = H + i * DIM;
        row[tier_of(h[i].opp_def)] = 1;
        row[3 + h[i].rest - 1] = 1;
        row[7 + (h[i].home ? 1 : 0)] = 1;
        row[9 + form_of(h[i].form)] = 1;
    }
    cblas_sgemv(CblasRowMajor, CblasNoTrans, n, DIM, 1.0f, H, DIM, q, 1, 0.0f, sim, 1);

    /* keep games scoring >= 70, the best 20 (most recent first among equals) */
    int idx[HIST_MAX], m = 0;
    for (int i = 0; i < n; i++)
        if (sim[i] >= 70) idx[m++] = i;
    for (int i = 1; i < m; i++) { /* insertion sort, stable: descending similarity */
        int x = idx[i], j = i;
        while (j > 0 && sim[idx[j - 1]] < sim[x]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = x;
    }
    if (m > KEEP) m = KEEP;
    if (m < MIN_MATCH) {
        char why[80];
        snprintf(why, sizeof why, "%d similar games (similarity >= 70) of %d, fewer than %d", m, n, MIN_MATCH);
        sw__no_pred(out, why);
        return;
    }
    double ws = 0, wp = 0, ssum = 0;
    for (int i = 0; i < m; i++) {
        ws += sim[idx[i]];
        wp += sim[idx[i]] * h[idx[i]].pts;
        ssum += sim[idx[i]];
    }
    double base = wp / ws, var = 0;
    for (int i = 0; i < m; i++) var += sim[idx[i]] * (h[idx[i]].pts - base) * (h[idx[i]].pts - base);
    double sd = sqrt(var / ws), mean_sim = ssum / m;

    double fat = ((double)v[fx->fatigue] - 70.0) * 0.015;
    double mm = isfinite(v[fx->mismatch]) ? 0.4 * v[fx->mismatch] : 0.0;
    double pace = isfinite(v[fx->pace]) ? 0.8 * v[fx->pace] : 0.0;
    double usage = isfinite(v[fx->usage_spike]) ? 0.8 * v[fx->usage_spike] : 0.0;
    double ven = venue ? 0.8 : -0.5;
    out->pred = sw__clamp_pts(base + fat + mm + pace + usage + ven);

    double c = 35;
    c += m >= 15 ? 12 : m >= 10 ? 9 : m >= 7 ? 6 : -10;
    c += mean_sim >= 85 ? 12 : mean_sim >= 75 ? 9 : mean_sim >= 70 ? 6 : 3;
    c += sd < 4 ? 10 : sd < 6 ? 6 : sd < 8 ? 2 : -5;
    out->conf = (float)(c < 0 ? 0 : c > 100 ? 100 : c);
    sw__set_interval(out, sd > 3 ? sd : 3);
    snprintf(out->note, sizeof out->note, "%d similar games of %d (mean similarity %.0f) avg %.1f; context %+.1f", m,
             n, mean_sim, base, fat + mm + pace + usage + ven);
}

static int predict(const sw_system *s, const sw_batch *b, sw_pred *out, sw_error *err)
{
    if (!b->lg) return sw_fail(err, SW_ARG, "similarity needs the league's history");
    return sw__predict_rows(s, b, out, sw__rule_similarity, err);
}

const sw__sys_ops sw__ops_similarity = {SW_SYS_SIMILARITY, {65, 2.0f, 0, 0}, predict};
