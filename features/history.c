/* history: a player's past games with the context of each game as it stood
 * on that game's date, for systems that compare tonight with similar nights
 * (pipeline's similarity system).  Everything about a past game g is computed
 * from data before g's own date, so no game informs its own context and
 * nothing at or after the query date is reachable. */
#include <math.h>

#include "features.h"
#include "league_impl.h"

int sw_features_history(const sw_league *lg, int player, int date, int days, sw_hist_game *out, int cap)
{
    if (!lg || player < 0 || player >= lg->n_players || cap <= 0) return 0;
    const sw__prows *P = &lg->P;
    long start = P->start[player], end = sw__player_asof(lg, player, date);
    int n = 0;
    for (long r = end - 1; r >= start && n < cap; r--) {
        if (P->date[r] < date - days) break;
        if (!P->played[r]) continue;
        sw_hist_game *h = &out[n++];
        h->game = P->game[r];
        h->date = P->date[r];
        h->pts = P->pts[r];
        h->min = P->min[r];
        h->home = P->home[r];
        /* the previous played game, the season's average and the last five, all before r */
        int prev = -1, prev_season = -1, ns = 0, n5 = 0;
        double ssum = 0, l5 = 0;
        for (long k = r - 1; k >= start; k--) {
            if (!P->played[k]) continue;
            if (prev < 0) {
                prev = P->date[k];
                prev_season = P->season[k];
            }
            if (P->season[k] != P->season[r]) break;
            ssum += P->pts[k];
            ns++;
            if (n5 < 5) {
                l5 += P->pts[k];
                n5++;
            }
        }
        int rest = prev >= 0 && prev_season == P->season[r] ? P->date[r] - prev : 4;
        h->rest = (uint8_t)(rest < 1 ? 1 : rest > 4 ? 4 : rest);
        h->form = ns >= 3 ? (float)(l5 / n5 - ssum / ns) : NAN;
        sw__team_sum ts;
        sw__team_summary(lg, P->opp[r], P->date[r], P->season[r], &ts);
        h->opp_def = ts.n15 ? (float)ts.def15 : NAN;
    }
    return n;
}
