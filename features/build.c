/* build: the feature registry and the one function that computes a row.
 *
 * compute_row() sees a player, a game, its date D, the player's team and
 * opponent, and the league; it reaches the player's and the teams' history
 * only through sw__player_asof / sw__team_asof (rows with date < D), lines only
 * through snapshots before tip-off, injuries only through D's report.  The
 * definitions are those ORIGINAL-SYSTEM.md recommends (section 4.1), with the
 * original's bugs fixed (strict < D windows, back_to_back = days_rest == 1,
 * recent_trend's sign, playoff flag from the GAME_ID); DESIGN.md lists them.
 */
#include "features.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/date.h"
#include "core/fileio.h"
#include "core/num.h"
#include "league_impl.h"

/* ------------------------------------------------------------ registry */

enum {
    F_L5, F_L10, F_SEASON, F_STD10, F_G7, F_FATIGUE, F_MISMATCH, F_PACE_SCORE, F_USAGE_SPIKE, F_REST_ADV,
    F_INJURY, F_TREND, F_MIN_CHANGE, F_OPP_DEF, F_OPP_PACE, F_HOME, F_B2B, F_PLAYOFF, F_PAINT, F_MID, F_THREE,
    F_FT_SHARE, F_TEAM_PACE, F_TEAM_OFF, F_WIN_PCT, F_LINE, F_OPEN, F_MOVE, F_HAS_LINE, F_VS_OPP, F_GAMES_VS_OPP,
    F_MIN10, F_PPM10,
    /* swish additions */
    F_HAS_ZONES, F_DNP_RATE, F_SLOPE, F_ZSCORE, F_USAGE10, F_CONSENSUS, F_N_BOOKS, F_LINE_SPREAD, F_EARLY,
    F_TOTAL, F_STARS_OUT,
    F_COUNT
};

typedef struct {
    const char *name, *unit;
    int required;
    float def; /* documented default (NaN: none) */
} fdef;

static const fdef fdefs[F_COUNT] = {
    {"points_avg_last_5", "points", 1, 10.0f},
    {"points_avg_last_10", "points", 1, 10.0f},
    {"points_avg_season", "points", 1, 10.0f},
    {"points_std_last_10", "points", 1, 5.0f},
    {"games_in_last_7_days", "games", 1, 3.0f},
    {"fatigue_score", "0-100, higher = more rested", 1, 50.0f},
    {"shot_zone_mismatch_score", "percentage points, +-10", 0, 0.0f},
    {"pace_score", "+-3", 1, 0.0f},
    {"usage_spike_score", "+-3", 0, 0.0f},
    {"rest_advantage", "days, +-2", 1, 0.0f},
    {"injury_risk", "0-3", 0, 0.0f},
    {"recent_trend", "-2..2", 1, 0.0f},
    {"minutes_change", "-2..2", 1, 0.0f},
    {"opponent_def_rating", "points per 100 possessions", 1, 112.0f},
    {"opponent_pace", "possessions", 1, 100.0f},
    {"home_away", "1 home, 0 away", 1, NAN},
    {"back_to_back", "0/1", 1, 0.0f},
    {"playoff_game", "0/1", 1, 0.0f},
    {"pct_paint", "share of FGA", 0, NAN},
    {"pct_mid_range", "share of FGA", 0, NAN},
    {"pct_three", "share of FGA", 0, NAN},
    {"pct_free_throw", "share of points", 1, 0.15f},
    {"team_pace", "possessions per 48 minutes", 1, 100.0f},
    {"team_off_rating", "points per 100 possessions", 1, 112.0f},
    {"team_win_pct", "0-1", 1, 0.5f},
    {"vegas_points_line", "points", 0, NAN},
    {"vegas_opening_line", "points", 0, NAN},
    {"vegas_line_move", "points", 0, NAN},
    {"has_vegas_line", "0/1", 1, 0.0f},
    {"avg_points_vs_opponent", "points", 1, 10.0f},
    {"games_vs_opponent", "games", 1, 0.0f},
    {"minutes_avg_last_10", "minutes", 1, 28.0f},
    {"ppm_avg_last_10", "points per minute", 1, 0.4f},
    {"has_shot_zone_data", "0/1", 0, 0.0f},
    {"dnp_rate", "share of last 10 box scores", 0, 0.0f},
    {"pts_slope_10g", "points per game", 0, 0.0f},
    {"pts_vs_season_zscore", "standard deviations, +-3", 0, 0.0f},
    {"usage_rate_last_10", "percent of team possessions", 0, NAN},
    {"line_consensus", "points (median of books)", 0, NAN},
    {"line_books", "books", 0, 0.0f},
    {"line_spread", "points (max - min across books)", 0, NAN},
    {"early_season", "0/1 (fewer than 5 games this season)", 0, 0.0f},
    {"game_total_line", "points", 0, NAN},
    {"star_teammates_out", "players", 0, 0.0f},
};

int sw_feature_count(void) { return F_COUNT; }
const char *sw_feature_name(int i) { return i >= 0 && i < F_COUNT ? fdefs[i].name : "?"; }
const char *sw_feature_unit(int i) { return i >= 0 && i < F_COUNT ? fdefs[i].unit : ""; }
int sw_feature_required(int i) { return i >= 0 && i < F_COUNT && fdefs[i].required; }

int sw_feature_find(const char *name)
{
    for (int i = 0; i < F_COUNT; i++)
        if (strcmp(fdefs[i].name, name) == 0) return i;
    return -1;
}

const char *sw_source_name(sw_source s)
{
    static const char *const n[] = {"missing", "default", "partial", "derived", "observed", "vegas"};
    return (int)s >= 0 && s <= SW_SRC_VEGAS ? n[s] : "?";
}

int sw_source_weight(sw_source s)
{
    switch (s) {
    case SW_SRC_OBSERVED:
    case SW_SRC_DERIVED:
    case SW_SRC_VEGAS: return 100;
    case SW_SRC_PARTIAL: return 87;
    case SW_SRC_DEFAULT: return 40;
    default: return 0;
    }
}

const char *sw_tier_name(sw_tier t)
{
    static const char *const n[] = {"critical", "poor", "bronze", "silver", "gold"};
    return (int)t >= 0 && t <= SW_TIER_GOLD ? n[t] : "?";
}

sw_tier sw_tier_of(double q)
{
    return q >= 95 ? SW_TIER_GOLD : q >= 85 ? SW_TIER_SILVER : q >= 70 ? SW_TIER_BRONZE : q >= 50 ? SW_TIER_POOR
                                                                                            : SW_TIER_CRITICAL;
}

float sw_quality_score(const uint8_t *src)
{
    int sum = 0, n = 0, defaults = 0;
    for (int i = 0; i < F_COUNT; i++) {
        if (!fdefs[i].required && src[i] == SW_SRC_MISSING) continue;
        sum += sw_source_weight((sw_source)src[i]);
        n++;
        if (fdefs[i].required && src[i] == SW_SRC_DEFAULT) defaults++;
    }
    double q = n ? (double)sum / n : 0.0;
    if (defaults >= 5 && q > 49) q = 49;
    else if (defaults >= 1 && q > 69) q = 69;
    return (float)(floor(q * 10 + 0.5) / 10);
}

/* ------------------------------------------------------------ context */

static const char *const default_books[] = {"draftkings", "fanduel", "betmgm", "williamhill_us",
                                            "fanatics",   "betrivers", "bovada", "betonlineag"};

#define MAX_BOOKS SW__MAX_BOOKS

typedef struct {
    const sw_league *lg;
    int book_order[MAX_BOOKS]; /* league book indices in preference order */
    int n_order;
    uint8_t used[MAX_BOOKS];   /* the books lines may come from: the ordered ones */
} bctx;

/* Trace of the games behind a row's features (explain only). */
typedef struct {
    char text[F_COUNT][512];
} trace;

static void tr_add(trace *t, int f, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tr_add(trace *t, int f, const char *fmt, ...)
{
    if (!t) return;
    size_t l = strlen(t->text[f]);
    if (l >= sizeof t->text[f] - 2) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->text[f] + l, sizeof t->text[f] - l, fmt, ap);
    va_end(ap);
}

typedef struct {
    int player, game, date, team, opp, home, type, season;
} req_row;

static double usage_of(const sw_league *lg, long r)
{
    const sw__prows *P = &lg->P;
    if (!(P->min[r] > 0)) return NAN;
    /* the team's totals in that game */
    const sw__trows *T = &lg->T;
    int t = P->team[r], g = P->game[r];
    long lo = T->start[t], hi = T->start[t + 1];
    int day = P->date[r];
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (T->date[mid] < day || (T->date[mid] == day && T->game[mid] < g)) lo = mid + 1;
        else hi = mid;
    }
    if (lo >= T->start[t + 1] || T->game[lo] != g) return NAN;
    double team = T->fga[lo] + 0.44 * T->fta[lo] + T->tov[lo];
    if (team <= 0) return NAN;
    double u = 100.0 * (P->fga[r] + 0.44 * P->fta[r] + P->tov[r]) * (T->min[lo] / 5.0) / (P->min[r] * team);
    return u > 50 || u < 0 ? NAN : u;
}

static float clampf(double v, double lo, double hi) { return (float)(v < lo ? lo : v > hi ? hi : v); }

#define SET(f, v, s)                                                                               \
    do {                                                                                           \
        val[f] = (float)(v);                                                                       \
        src[f] = (uint8_t)(s);                                                                     \
    } while (0)
#define DEF(f) SET(f, fdefs[f].def, SW_SRC_DEFAULT)

void sw__team_summary(const sw_league *lg, int t, int day, int season, sw__team_sum *s)
{
    memset(s, 0, sizeof *s);
    s->prev_date = -1;
    const sw__trows *T = &lg->T;
    long end = sw__team_asof(lg, t, day), start = T->start[t];
    if (end > start) s->prev_date = T->date[end - 1];
    double zfga[3] = {0, 0, 0}, zfgm[3] = {0, 0, 0};
    for (long i = end - 1; i >= start; i--) {
        if (T->season[i] != season) break;
        s->nseason++;
        s->wins += T->win[i];
        if (s->n10 < 10 && T->poss[i] > 0) {
            s->pace10 += T->poss[i] * 48.0 / (T->min[i] / 5.0);
            s->off10 += 100.0 * T->pts[i] / T->poss[i];
            s->n10++;
        }
        if (s->n15 < 15 && T->opp_poss[i] > 0) {
            s->def15 += 100.0 * T->opp_pts[i] / T->opp_poss[i];
            s->opp_pace15 += T->opp_poss[i];
            s->n15++;
            if (T->has_def[i]) {
                for (int z = 0; z < 3; z++) {
                    zfga[z] += T->def_fga[i][z];
                    zfgm[z] += T->def_fgm[i][z];
                }
                s->zone_n++;
            }
        }
    }
    if (s->n10) {
        s->pace10 /= s->n10;
        s->off10 /= s->n10;
    }
    if (s->n15) {
        s->def15 /= s->n15;
        s->opp_pace15 /= s->n15;
    }
    for (int z = 0; z < 3; z++) s->zone_pct[z] = zfga[z] > 0 ? zfgm[z] / zfga[z] : NAN;
}

/* League FG% allowed by zone: mean over teams with >= 10 games in the 30 days
 * before D (D itself excluded, unlike the original). */
static void league_zones(const sw_league *lg, int day, double out[3], int *ok)
{
    static const double defaults[3] = {0.580, 0.410, 0.355};
    double sum[3] = {0, 0, 0};
    int n = 0;
    for (int t = 0; t < lg->n_teams; t++) {
        long end = sw__team_asof(lg, t, day), c30 = 0;
        for (long i = end - 1; i >= lg->T.start[t] && lg->T.date[i] >= day - 30; i--) c30++;
        if (c30 < 10) continue;
        sw__team_sum s;
        sw__team_summary(lg, t, day, sw_date_season(day - 1), &s);
        if (!s.zone_n || isnan(s.zone_pct[0]) || isnan(s.zone_pct[1]) || isnan(s.zone_pct[2])) continue;
        for (int z = 0; z < 3; z++) sum[z] += s.zone_pct[z];
        n++;
    }
    *ok = n > 0;
    for (int z = 0; z < 3; z++) out[z] = n ? sum[z] / n : defaults[z];
}

/* The main line of one book's quotes at one snapshot [a, b): prices closest to even. */
static long main_line(const sw_league *lg, long a, long b)
{
    long best = a;
    double bestd = 2;
    for (long i = a; i < b; i++) {
        const sw__prop *q = &lg->props[i];
        double po = q->over > 0 ? 100.0 / (q->over + 100.0) : -q->over / (-q->over + 100.0);
        double pu = q->under > 0 ? 100.0 / (q->under + 100.0) : -q->under / (-q->under + 100.0);
        double d = fabs(po / (po + pu) - 0.5);
        if (d < bestd) {
            bestd = d;
            best = i;
        }
    }
    return best;
}

typedef struct {
    int n_books;
    float current[MAX_BOOKS], opening[MAX_BOOKS];
    long cur_row[MAX_BOOKS];
} book_lines;

/* Per book of `used`: the main line of the latest and earliest snapshots before
 * tip-off.  Other books are never looked at. */
static void lines_of(const sw_league *lg, const uint8_t *used, int game, int player, book_lines *bl)
{
    memset(bl, 0, sizeof *bl);
    for (int b = 0; b < MAX_BOOKS; b++) {
        bl->current[b] = bl->opening[b] = NAN;
        bl->cur_row[b] = -1;
    }
    long first, end;
    sw__props_of(lg, game, player, &first, &end);
    int64_t tip = lg->games[game].tipoff;
    /* no known tip-off: only snapshots taken before the game's calendar day ends (UTC+) */
    if (tip < 0) tip = (int64_t)lg->games[game].date * 86400 + 86400;
    for (long i = first; i < end;) {
        int book = lg->props[i].book;
        long j = i;
        while (j < end && lg->props[j].book == book) j++;
        if (book >= MAX_BOOKS || !used[book]) {
            i = j;
            continue;
        }
        /* quotes of this book, by snapshot */
        long open_a = -1, open_b = -1, cur_a = -1, cur_b = -1;
        for (long k = i; k < j;) {
            long m = k;
            while (m < j && lg->props[m].snap == lg->props[k].snap) m++;
            if (lg->props[k].snap < tip) {
                if (open_a < 0) {
                    open_a = k;
                    open_b = m;
                }
                cur_a = k;
                cur_b = m;
            }
            k = m;
        }
        if (cur_a >= 0) {
            long c = main_line(lg, cur_a, cur_b), o = main_line(lg, open_a, open_b);
            bl->current[book] = lg->props[c].line;
            bl->opening[book] = lg->props[o].line;
            bl->cur_row[book] = c;
            bl->n_books++;
        }
        i = j;
    }
}

double sw_decimal_odds(double american)
{
    if (!isfinite(american) || (american > -100 && american < 100)) american = -110;
    return american > 0 ? 1 + american / 100.0 : 1 + 100.0 / -american;
}

double sw_devig_over(double over_price, double under_price)
{
    if (!isfinite(over_price) || !isfinite(under_price) || fabs(over_price) < 100 || fabs(under_price) < 100)
        return NAN;
    double qo = 1 / sw_decimal_odds(over_price), qu = 1 / sw_decimal_odds(under_price);
    return qo / (qo + qu);
}

/* The market of a row (features.h, sw_frame_meta): the line most configured
 * books quote, the best prices at it and their mean de-vigged P(over). */
static void market_of(const sw_league *lg, const bctx *bc, const book_lines *bl, sw_frame_meta *meta)
{
    int best = -1, best_n = 0;
    for (int i = 0; i < bc->n_order; i++) {
        int b = bc->book_order[i], n = 0;
        if (isnan(bl->current[b])) continue;
        for (int j = 0; j < bc->n_order; j++) n += bl->current[bc->book_order[j]] == bl->current[b];
        if (n > best_n) {
            best_n = n;
            best = b;
        }
    }
    meta->line = bl->current[best];
    meta->line_book = best;
    meta->line_books = best_n;
    double po = 0, bo = 0, bu = 0;
    int np = 0;
    for (int i = 0; i < bc->n_order; i++) {
        int b = bc->book_order[i];
        if (bl->current[b] != meta->line) continue;
        const sw__prop *pr = &lg->props[bl->cur_row[b]];
        double o = sw_decimal_odds(pr->over), u = sw_decimal_odds(pr->under);
        if (o > bo) {
            bo = o;
            meta->over_price = (float)pr->over;
            meta->over_book = b;
        }
        if (u > bu) {
            bu = u;
            meta->under_price = (float)pr->under;
            meta->under_book = b;
        }
        double p = sw_devig_over(pr->over, pr->under);
        if (isfinite(p)) {
            po += p;
            np++;
        }
    }
    meta->p_market = np ? (float)(po / np) : NAN;
}

static int cmp_float_asc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Teammates listed out or doubtful on D who are stars (>= 18 points, >= 28 minutes
 * or >= 25% usage over their last 10 played games). */
static int stars_out(const sw_league *lg, int team, int day, int self)
{
    int n = 0;
    long lo = 0, hi = lg->n_inj;
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (lg->inj[mid].date < day) lo = mid + 1;
        else hi = mid;
    }
    for (long i = lo; i < lg->n_inj && lg->inj[i].date == day; i++) {
        int q = lg->inj[i].player;
        if (q == self || lg->inj[i].status < 3) continue;
        long end = sw__player_asof(lg, q, day), start = lg->P.start[q];
        if (end <= start || lg->P.team[end - 1] != team) continue;
        double pts = 0, min = 0, use = 0;
        int k = 0, ku = 0;
        for (long r = end - 1; r >= start && k < 10; r--) {
            if (!lg->P.played[r]) continue;
            pts += lg->P.pts[r];
            min += lg->P.min[r];
            double u = usage_of(lg, r);
            if (!isnan(u)) {
                use += u;
                ku++;
            }
            k++;
        }
        if (!k) continue;
        if (pts / k >= 18 || min / k >= 28 || (ku && use / ku >= 25)) n++;
    }
    return n;
}

static void compute_row(const bctx *bc, const req_row *q, const double lz[3], int lz_ok, float *val, uint8_t *src,
                        sw_frame_meta *meta, trace *tr)
{
    const sw_league *lg = bc->lg;
    const sw__prows *P = &lg->P;
    int p = q->player, D = q->date, season = q->season;
    long start = p >= 0 ? P->start[p] : 0, end = p >= 0 ? sw__player_asof(lg, p, D) : 0;
    int history = end > start;
    char ds[11];

    /* played games this season (most recent first), up to all of them */
    long season_rows[128];
    int ns = 0;
    double ssum = 0;
    for (long r = end - 1; r >= start && ns < 128; r--) {
        if (P->season[r] != season) break;
        if (!P->played[r]) continue;
        season_rows[ns++] = r;
        ssum += P->pts[r];
    }
    int n5 = ns < 5 ? ns : 5, n10 = ns < 10 ? ns : 10;
    double l5 = 0, l10 = 0;
    for (int i = 0; i < n10; i++) {
        if (i < 5) l5 += P->pts[season_rows[i]];
        l10 += P->pts[season_rows[i]];
        if (tr) {
            sw_date_format(P->date[season_rows[i]], ds);
            tr_add(tr, F_L10, "%s%s %s %d pts", i ? ", " : "", ds, lg->games[P->game[season_rows[i]]].id,
                   P->pts[season_rows[i]]);
            if (i < 5)
                tr_add(tr, F_L5, "%s%s %s %d pts", i ? ", " : "", ds, lg->games[P->game[season_rows[i]]].id,
                       P->pts[season_rows[i]]);
        }
    }
    if (n5) SET(F_L5, l5 / n5, n5 >= 5 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
    else DEF(F_L5);
    if (n10) SET(F_L10, l10 / n10, n10 >= 10 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
    else DEF(F_L10);
    if (ns) SET(F_SEASON, ssum / ns, ns >= 5 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
    else DEF(F_SEASON);
    if (tr && ns) tr_add(tr, F_SEASON, "%d played games this season", ns);
    if (n10 >= 2) {
        double m = l10 / n10, v = 0;
        for (int i = 0; i < n10; i++) v += (P->pts[season_rows[i]] - m) * (P->pts[season_rows[i]] - m);
        SET(F_STD10, sqrt(v / (n10 - 1)), n10 >= 10 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
    } else {
        DEF(F_STD10);
    }

    /* rest and load over 7 and 14 days, any season */
    int prev = -1, g7 = 0, g14dates[32], n14 = 0;
    double min7 = 0;
    for (long r = end - 1; r >= start; r--) {
        if (!P->played[r]) continue;
        if (prev < 0) prev = P->date[r];
        if (P->date[r] > D - 7) {
            g7++;
            min7 += P->min[r];
        }
        if (P->date[r] > D - 14) {
            if (n14 < 32) g14dates[n14++] = P->date[r];
        } else {
            break;
        }
    }
    int days_rest = prev >= 0 ? D - prev : 3;
    int b2b14 = 0;
    for (int i = 0; i + 1 < n14; i++) b2b14 += g14dates[i] - g14dates[i + 1] == 1;
    if (history) SET(F_G7, g7, SW_SRC_OBSERVED);
    else DEF(F_G7);
    SET(F_B2B, prev >= 0 && days_rest == 1, prev >= 0 ? SW_SRC_DERIVED : SW_SRC_DEFAULT);
    if (history) {
        int fat = 100;
        if (days_rest == 1) fat -= 15;
        else if (days_rest >= 3) fat += 5;
        if (g7 >= 4) fat -= 10;
        if (min7 > 240) fat -= 10;
        if (g7 && min7 / g7 > 35) fat -= 8;
        if (b2b14 >= 2) fat -= 12;
        else if (b2b14 == 1) fat -= 5;
        /* age: no birth dates in the inputs; the original's default (25) gives no penalty */
        SET(F_FATIGUE, fat < 0 ? 0 : fat > 100 ? 100 : fat, SW_SRC_DERIVED);
        if (tr)
            tr_add(tr, F_FATIGUE, "days rest %d, %d games and %.0f minutes in 7 days, %d back-to-backs in 14 days",
                   days_rest, g7, min7, b2b14);
    } else {
        DEF(F_FATIGUE);
    }

    /* teams */
    sw__team_sum ts, os;
    sw__team_summary(lg, q->team, D, season, &ts);
    sw__team_summary(lg, q->opp, D, season, &os);
    if (ts.n10 && os.n10)
        SET(F_PACE_SCORE, clampf((ts.pace10 - os.pace10) / 2, -3, 3), ts.n10 >= 10 && os.n10 >= 10 ? SW_SRC_DERIVED : SW_SRC_PARTIAL);
    else DEF(F_PACE_SCORE);
    if (ts.n10) {
        SET(F_TEAM_PACE, ts.pace10, ts.n10 >= 10 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
        SET(F_TEAM_OFF, ts.off10, ts.n10 >= 10 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
    } else {
        DEF(F_TEAM_PACE);
        DEF(F_TEAM_OFF);
    }
    if (ts.nseason >= 5) SET(F_WIN_PCT, (double)ts.wins / ts.nseason, SW_SRC_OBSERVED);
    else DEF(F_WIN_PCT);
    if (os.n15) {
        SET(F_OPP_DEF, os.def15, os.n15 >= 15 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
        SET(F_OPP_PACE, os.opp_pace15, os.n15 >= 15 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
        if (tr) tr_add(tr, F_OPP_DEF, "%s's last %d games this season", lg->tcode[q->opp], os.n15);
    } else {
        DEF(F_OPP_DEF);
        DEF(F_OPP_PACE);
    }
    int team_days = ts.prev_date >= 0 ? D - ts.prev_date : -1, opp_days = os.prev_date >= 0 ? D - os.prev_date : -1;
    (void)team_days;
    if (prev >= 0 && opp_days > 0) SET(F_REST_ADV, clampf(days_rest - opp_days, -2, 2), SW_SRC_DERIVED);
    else DEF(F_REST_ADV);

    /* injury report of D */
    int status = p >= 0 ? sw__injury_status(lg, D, p) : -1;
    int report = 0;
    {
        long lo = 0, hi = lg->n_inj;
        while (lo < hi) {
            long mid = (lo + hi) / 2;
            if (lg->inj[mid].date < D) lo = mid + 1;
            else hi = mid;
        }
        report = lo < lg->n_inj && lg->inj[lo].date == D;
    }
    if (status >= 0) SET(F_INJURY, status >= 3 ? 3 : status, SW_SRC_OBSERVED);
    else if (report) SET(F_INJURY, 0, SW_SRC_OBSERVED);
    else DEF(F_INJURY);
    int so = report ? stars_out(lg, q->team, D, p) : 0;
    if (report) SET(F_STARS_OUT, so, SW_SRC_OBSERVED);
    else DEF(F_STARS_OUT);

    /* trend (sign as intended: recent minus earlier) */
    if (ns >= 5) {
        double recent = (P->pts[season_rows[0]] + P->pts[season_rows[1]]) / 2.0;
        double before = (P->pts[season_rows[2]] + P->pts[season_rows[3]] + P->pts[season_rows[4]]) / 3.0;
        double d = recent - before;
        SET(F_TREND, d >= 5 ? 2 : d >= 2 ? 1 : d <= -5 ? -2 : d <= -2 ? -1 : 0, SW_SRC_DERIVED);
    } else {
        DEF(F_TREND);
    }
    /* minutes change: L10 vs season, this season */
    if (ns) {
        double m10 = 0, ms = 0;
        for (int i = 0; i < ns; i++) {
            ms += P->min[season_rows[i]];
            if (i < 10) m10 += P->min[season_rows[i]];
        }
        m10 /= n10;
        ms /= ns;
        if (m10 > 0 && ms > 0) {
            double pct = (m10 - ms) / ms;
            SET(F_MIN_CHANGE, pct >= 0.2 ? 2 : pct >= 0.1 ? 1 : pct <= -0.2 ? -2 : pct <= -0.1 ? -1 : 0,
                ns >= 10 ? SW_SRC_DERIVED : SW_SRC_PARTIAL);
        } else {
            DEF(F_MIN_CHANGE);
        }
    } else {
        DEF(F_MIN_CHANGE);
    }

    SET(F_HOME, q->home, SW_SRC_OBSERVED);
    SET(F_PLAYOFF, q->type == 4, SW_SRC_OBSERVED);

    /* shot zones over the last 10 played games this season */
    double zf[3] = {0, 0, 0}, fga_all = 0;
    int zg = 0, fga_games = 0;
    for (int i = 0; i < n10; i++) {
        long r = season_rows[i];
        if (P->fga[r] > 0) fga_games++;
        if (!P->has_zone[r]) continue;
        zg++;
        fga_all += P->fga[r];
        for (int z = 0; z < 3; z++) zf[z] += P->zfga[r][z];
    }
    double ztot = zf[0] + zf[1] + zf[2];
    int shares = zg > 0 && ztot > 0 && fabs(ztot - fga_all) <= 0.02 * fga_all;
    if (shares) {
        int s = zg >= fga_games && zg >= 3 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL;
        SET(F_PAINT, zf[0] / ztot, s);
        SET(F_MID, zf[1] / ztot, s);
        SET(F_THREE, zf[2] / ztot, s);
        if (tr) tr_add(tr, F_PAINT, "%d games with zone data", zg);
    } else {
        SET(F_PAINT, NAN, SW_SRC_MISSING);
        SET(F_MID, NAN, SW_SRC_MISSING);
        SET(F_THREE, NAN, SW_SRC_MISSING);
    }
    SET(F_HAS_ZONES, shares, SW_SRC_OBSERVED);
    if (shares && os.zone_n && !isnan(os.zone_pct[0]) && !isnan(os.zone_pct[1]) && !isnan(os.zone_pct[2])) {
        double pp = 100 * zf[0] / ztot, pm = 100 * zf[1] / ztot, pt = 100 * zf[2] / ztot;
        int zone = pp >= 40 ? 0 : pt >= 40 ? 2 : pm >= 35 ? 1 : 0;
        double share = zone == 0 ? pp : zone == 1 ? pm : pt;
        double def = (os.zone_pct[zone] - lz[zone]) * 100.0;
        double w = def * fmin(share / 50.0, 1.0);
        if (fabs(w) > 5) w *= 1.2;
        w = clampf(w, -10, 10);
        SET(F_MISMATCH, round(w * 10) / 10, lz_ok ? SW_SRC_DERIVED : SW_SRC_PARTIAL);
    } else {
        DEF(F_MISMATCH);
    }

    /* free-throw share over L10 */
    {
        double ftm = 0, pts = 0;
        for (int i = 0; i < n10; i++) {
            ftm += P->ftm[season_rows[i]];
            pts += P->pts[season_rows[i]];
        }
        if (n10 >= 5 && pts > 0) SET(F_FT_SHARE, clampf(ftm / pts, 0, 0.5), n10 >= 10 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
        else DEF(F_FT_SHARE);
    }

    /* last 10 played games across seasons: minutes, points per minute, usage */
    {
        double msum = 0, ppm = 0, use = 0, use7 = 0;
        int k = 0, kp = 0, ku = 0, ku7 = 0, box = 0, dnp = 0;
        for (long r = end - 1; r >= start; r--) {
            if (box < 10) {
                box++;
                dnp += !P->played[r];
            }
            if (!P->played[r] || k >= 10) continue;
            msum += P->min[r];
            if (P->min[r] > 0) {
                ppm += P->pts[r] / P->min[r];
                kp++;
            }
            double u = usage_of(lg, r);
            if (!isnan(u)) {
                use += u;
                ku++;
                if (P->date[r] > D - 7) {
                    use7 += u;
                    ku7++;
                }
            }
            k++;
        }
        if (k) SET(F_MIN10, msum / k, k >= 10 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
        else DEF(F_MIN10);
        if (kp) SET(F_PPM10, ppm / kp, kp >= 10 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
        else DEF(F_PPM10);
        if (ku) SET(F_USAGE10, use / ku, ku >= 10 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
        else SET(F_USAGE10, NAN, SW_SRC_MISSING);
        /* usage spike: projected usage (the 10-game norm) minus the last 7 days', stars out amplify */
        if (ku && ku7) {
            double spike = (use / ku - use7 / ku7) * 0.3;
            if (spike > 0) spike *= so >= 2 ? 1.30 : so == 1 ? 1.15 : 1.0;
            SET(F_USAGE_SPIKE, clampf(spike, -3, 3), SW_SRC_DERIVED);
        } else {
            DEF(F_USAGE_SPIKE);
        }
        if (box >= 3) SET(F_DNP_RATE, (double)dnp / box, SW_SRC_OBSERVED);
        else DEF(F_DNP_RATE);
    }

    /* against this opponent over three years */
    {
        double s = 0;
        int k = 0;
        for (long r = end - 1; r >= start && P->date[r] >= D - 1096; r--) {
            if (!P->played[r] || P->opp[r] != q->opp) continue;
            s += P->pts[r];
            k++;
            if (tr) {
                sw_date_format(P->date[r], ds);
                tr_add(tr, F_VS_OPP, "%s%s %d pts", k > 1 ? ", " : "", ds, P->pts[r]);
            }
        }
        if (k) SET(F_VS_OPP, s / k, k >= 3 ? SW_SRC_OBSERVED : SW_SRC_PARTIAL);
        else if (ns) SET(F_VS_OPP, ssum / ns, SW_SRC_PARTIAL); /* the season average stands in */
        else DEF(F_VS_OPP);
        if (history) SET(F_GAMES_VS_OPP, k, SW_SRC_OBSERVED);
        else DEF(F_GAMES_VS_OPP);
    }

    /* scoring slope over up to 10 games (oldest first) and z-score */
    if (n10 >= 5) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < n10; i++) {
            double x = n10 - 1 - i, y = P->pts[season_rows[i]];
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double den = n10 * sxx - sx * sx;
        SET(F_SLOPE, den > 0 ? (n10 * sxy - sx * sy) / den : 0, SW_SRC_DERIVED);
    } else {
        DEF(F_SLOPE);
    }
    if (src[F_L5] >= SW_SRC_PARTIAL && src[F_SEASON] >= SW_SRC_PARTIAL && src[F_STD10] >= SW_SRC_PARTIAL &&
        val[F_STD10] > 0)
        SET(F_ZSCORE, clampf((val[F_L5] - val[F_SEASON]) / val[F_STD10], -3, 3), SW_SRC_DERIVED);
    else DEF(F_ZSCORE);
    SET(F_EARLY, ns < 5, SW_SRC_DERIVED);

    /* lines: snapshots before tip-off only, the configured books only; the main line
     * of the first book in preference order that quotes one */
    meta->line = NAN;
    meta->line_book = -1;
    meta->over_price = meta->under_price = meta->p_market = NAN;
    meta->over_book = meta->under_book = -1;
    meta->line_books = 0;
    book_lines bl;
    if (p >= 0 && q->game >= 0) {
        lines_of(lg, bc->used, q->game, p, &bl);
    } else {
        memset(&bl, 0, sizeof bl);
        for (int b = 0; b < MAX_BOOKS; b++) bl.current[b] = bl.opening[b] = NAN;
    }
    int chosen = -1;
    for (int i = 0; i < bc->n_order && chosen < 0; i++)
        if (!isnan(bl.current[bc->book_order[i]])) chosen = bc->book_order[i];
    if (chosen >= 0) {
        SET(F_LINE, bl.current[chosen], SW_SRC_VEGAS);
        SET(F_OPEN, bl.opening[chosen], SW_SRC_VEGAS);
        SET(F_MOVE, bl.current[chosen] - bl.opening[chosen], SW_SRC_VEGAS);
        SET(F_HAS_LINE, 1, SW_SRC_VEGAS);
        market_of(lg, bc, &bl, meta);
        float ls[MAX_BOOKS];
        int nl = 0;
        for (int b = 0; b < MAX_BOOKS; b++)
            if (!isnan(bl.current[b])) ls[nl++] = bl.current[b];
        qsort(ls, (size_t)nl, sizeof *ls, cmp_float_asc);
        SET(F_CONSENSUS, nl % 2 ? ls[nl / 2] : 0.5 * (ls[nl / 2 - 1] + ls[nl / 2]), SW_SRC_VEGAS);
        SET(F_N_BOOKS, nl, SW_SRC_VEGAS);
        SET(F_LINE_SPREAD, ls[nl - 1] - ls[0], SW_SRC_VEGAS);
        if (tr) tr_add(tr, F_LINE, "%s, %d books", lg->books[chosen], nl);
    } else {
        SET(F_LINE, NAN, SW_SRC_MISSING);
        SET(F_OPEN, NAN, SW_SRC_MISSING);
        SET(F_MOVE, NAN, SW_SRC_MISSING);
        SET(F_HAS_LINE, 0, SW_SRC_OBSERVED);
        SET(F_CONSENSUS, NAN, SW_SRC_MISSING);
        SET(F_N_BOOKS, 0, SW_SRC_OBSERVED);
        SET(F_LINE_SPREAD, NAN, SW_SRC_MISSING);
    }
    float total = q->game >= 0 ? lg->games[q->game].total : NAN;
    if (!isnan(total)) SET(F_TOTAL, total, SW_SRC_VEGAS);
    else SET(F_TOTAL, NAN, SW_SRC_MISSING);

    meta->quality = sw_quality_score(src);
    meta->tier = sw_tier_of(meta->quality);
}

/* --------------------------------------------------------------- frame */

struct sw_frame {
    long n, cap;
    float *val;     /* n * F_COUNT */
    uint8_t *src;   /* n * F_COUNT */
    sw_frame_meta *meta;
};

void sw_feature_request_init(sw_feature_request *r)
{
    memset(r, 0, sizeof *r);
    r->from = 1;
    r->to = 0;
    r->slate_date = -1;
    r->nthread = 1;
}

void sw_frame_free(sw_frame *f)
{
    if (!f) return;
    sw_free(f->val);
    sw_free(f->src);
    sw_free(f->meta);
    sw_free(f);
}

long sw_frame_rows(const sw_frame *f) { return f->n; }
int sw_frame_cols(const sw_frame *f) { (void)f; return F_COUNT; }
const float *sw_frame_values(const sw_frame *f, long r) { return f->val + (size_t)r * F_COUNT; }
const uint8_t *sw_frame_sources(const sw_frame *f, long r) { return f->src + (size_t)r * F_COUNT; }
const sw_frame_meta *sw_frame_meta_of(const sw_frame *f, long r) { return &f->meta[r]; }

long sw_frame_find(const sw_frame *f, int player, int game)
{
    for (long r = 0; r < f->n; r++)
        if (f->meta[r].player == player && f->meta[r].game == game) return r;
    return -1;
}

/* The books lines come from, in preference order.  No books requested: every
 * book of the league, swish's default order first.  Requested books: those and
 * only those; a name that prop_lines.csv does not have is SW_ARG naming it and
 * listing the books it has. */
static int book_order(const sw_league *lg, const sw_feature_request *req, bctx *bc, sw_error *err)
{
    memset(bc, 0, sizeof *bc);
    bc->lg = lg;
    int explicit_books = req && req->books && req->n_books > 0;
    const char *const *names = explicit_books ? req->books : default_books;
    int n = explicit_books ? req->n_books : (int)(sizeof default_books / sizeof default_books[0]);
    for (int i = 0; i < n; i++) {
        int b = lg->bmap ? sw_strmap_get(lg->bmap, names[i], strlen(names[i])) : -1;
        if (b < 0) {
            if (!explicit_books) continue;
            char known[512] = "";
            size_t kl = 0;
            for (int k = 0; k < lg->n_books && kl < sizeof known - 64; k++)
                kl += (size_t)snprintf(known + kl, sizeof known - kl, "%s%s", k ? ", " : "", lg->books[k]);
            if (!lg->n_books) snprintf(known, sizeof known, "none: no lines were loaded");
            return sw_fail(err, SW_ARG, "unknown book '%s' (the books in %s/prop_lines.csv: %s)", names[i], lg->dir,
                           known);
        }
        if (b >= MAX_BOOKS) return sw_fail(err, SW_RANGE, "book '%s': more than %d books", names[i], MAX_BOOKS);
        if (bc->used[b]) continue; /* named twice: the first place counts */
        bc->used[b] = 1;
        bc->book_order[bc->n_order++] = b;
    }
    if (!explicit_books) /* then every other book, in the order of the file */
        for (int b = 0; b < lg->n_books && b < MAX_BOOKS; b++)
            if (!bc->used[b]) {
                bc->used[b] = 1;
                bc->book_order[bc->n_order++] = b;
            }
    return SW_OK;
}

/* Requests: box-score rows in [from, to], or the players expected on slate_date. */
static int collect(const sw_league *lg, const sw_feature_request *req, req_row **out, long *n)
{
    const sw__prows *P = &lg->P;
    *out = NULL;
    *n = 0;
    if (req->slate_date < 0) {
        long cnt = 0;
        for (long r = 0; r < P->n; r++) cnt += P->date[r] >= req->from && P->date[r] <= req->to;
        req_row *q = sw_alloc_array((size_t)cnt + 1, sizeof *q);
        if (!q) return SW_NOMEM;
        long k = 0;
        /* in (date, game, player) order */
        for (long r = 0; r < P->n; r++) {
            if (P->date[r] < req->from || P->date[r] > req->to) continue;
            const sw__game *g = &lg->games[P->game[r]];
            q[k++] = (req_row){P->player[r], P->game[r], P->date[r], P->team[r], P->opp[r], P->home[r], g->type, g->season};
        }
        *out = q;
        *n = k;
        return SW_OK;
    }
    /* slate: every game on D; players whose latest box score before D is with one of
     * the teams, who played in the 30 days before D and are not out or doubtful;
     * plus anyone with a line for one of the games */
    int D = req->slate_date;
    long cap = 1024, k = 0;
    req_row *q = sw_alloc_array((size_t)cap, sizeof *q);
    if (!q) return SW_NOMEM;
    for (int g = 0; g < lg->n_games; g++) {
        const sw__game *gm = &lg->games[g];
        if (gm->date != D || gm->home < 0 || gm->away < 0) continue;
        for (int p = 0; p < lg->n_players; p++) {
            long end = sw__player_asof(lg, p, D), start = P->start[p];
            int team = -1, recent = 0;
            if (end > start) {
                team = P->team[end - 1];
                for (long r = end - 1; r >= start && P->date[r] >= D - 30; r--) recent |= P->played[r];
            }
            long pf, pe;
            sw__props_of(lg, g, p, &pf, &pe);
            int has_line = pe > pf;
            if (team != gm->home && team != gm->away) {
                if (!has_line) continue;
                if (team < 0) team = gm->home; /* no history: the line's game; side unknown, home assumed */
                else continue;
            } else if (!recent && !has_line) {
                continue;
            }
            int st = sw__injury_status(lg, D, p);
            if (st >= 3 && !has_line) continue;
            if (k >= cap) {
                cap *= 2;
                req_row *nq = sw_realloc_array(q, (size_t)cap, sizeof *nq);
                if (!nq) {
                    sw_free(q);
                    return SW_NOMEM;
                }
                q = nq;
            }
            int home = team == gm->home;
            q[k++] = (req_row){p, g, D, team, home ? gm->away : gm->home, home, gm->type, gm->season};
        }
    }
    *out = q;
    *n = k;
    return SW_OK;
}

int sw_features_build(const sw_league *lg, const sw_feature_request *req, sw_frame **out, sw_error *err)
{
    *out = NULL;
    sw_feature_request dflt;
    if (!req) {
        sw_feature_request_init(&dflt);
        dflt.from = lg->first_played;
        dflt.to = lg->last_played;
        req = &dflt;
    }
    bctx bc;
    SW_TRY(book_order(lg, req, &bc, err));
    req_row *q;
    long n;
    if (collect(lg, req, &q, &n)) return sw_fail(err, SW_NOMEM, "out of memory");
    sw_frame *f = sw_calloc(1, sizeof *f);
    if (f) {
        f->val = sw_alloc_array((size_t)n * F_COUNT + 1, sizeof *f->val);
        f->src = sw_alloc_array((size_t)n * F_COUNT + 1, 1);
        f->meta = sw_calloc((size_t)n + 1, sizeof *f->meta);
    }
    if (!f || !f->val || !f->src || !f->meta) {
        sw_free(q);
        sw_frame_free(f);
        return sw_fail(err, SW_NOMEM, "out of memory for %ld feature rows", n);
    }
    f->n = n;
    /* league zone averages per date, computed once per distinct date */
    int lz_date = -1, lz_ok = 0;
    double lz[3];
    for (long i = 0; i < n; i++) {
        if (q[i].date != lz_date) {
            lz_date = q[i].date;
            league_zones(lg, lz_date, lz, &lz_ok);
        }
        sw_frame_meta *m = &f->meta[i];
        m->game = q[i].game;
        m->player = q[i].player;
        m->team = q[i].team;
        m->opp = q[i].opp;
        m->home = q[i].home;
        m->date = q[i].date;
        double pts, min;
        if (sw_league_result(lg, q[i].player, q[i].game, &pts, &min)) {
            m->pts = (float)pts;
            m->min = (float)min;
        } else {
            m->pts = m->min = NAN;
        }
        compute_row(&bc, &q[i], lz, lz_ok, f->val + (size_t)i * F_COUNT, f->src + (size_t)i * F_COUNT, m, NULL);
    }
    sw_free(q);
    *out = f;
    return SW_OK;
}

int sw_frame_select(const sw_frame *f, const char *const *names, int n, sw_matrix **out, sw_error *err)
{
    *out = NULL;
    int *col = sw_alloc_array((size_t)n + 1, sizeof *col);
    if (!col) return sw_fail(err, SW_NOMEM, "out of memory");
    char missing[512] = "";
    size_t ml = 0;
    int nmiss = 0;
    for (int j = 0; j < n; j++) {
        col[j] = sw_feature_find(names[j]);
        if (col[j] < 0) {
            nmiss++;
            if (ml < sizeof missing - 80)
                ml += (size_t)snprintf(missing + ml, sizeof missing - ml, "%s%s", nmiss > 1 ? ", " : "", names[j]);
        }
    }
    if (nmiss) {
        sw_free(col);
        return sw_fail(err, SW_MISMATCH, "the model needs feature%s that feature set %s does not have: %s",
                       nmiss > 1 ? "s" : "", SW_FEATURE_SET, missing);
    }
    sw_matrix *m = sw_matrix_create(f->n, n);
    if (!m) {
        sw_free(col);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    for (int j = 0; j < n; j++) sw_matrix_set_name(m, j, names[j]);
    for (long r = 0; r < f->n; r++)
        for (int j = 0; j < n; j++) sw_matrix_set(m, r, j, f->val[(size_t)r * F_COUNT + (size_t)col[j]]);
    sw_free(col);
    *out = m;
    return SW_OK;
}

static void put_csv_str(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', fp);
        for (; *s; s++) {
            if (*s == '"') fputc('"', fp);
            fputc(*s, fp);
        }
        fputc('"', fp);
    } else {
        fputs(s, fp);
    }
}

int sw_frame_write_csv(const sw_frame *f, const sw_league *lg, const char *path, sw_error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = fopen(tmp, "w");
    if (!fp) return sw_error_set(err, SW_IO, path, 0, 0, -1, "cannot write");
    fprintf(fp, "GAME_DATE,GAME_ID,PLAYER_ID,PLAYER_NAME,TEAM,OPP,HOME");
    for (int c = 0; c < F_COUNT; c++) fprintf(fp, ",%s", fdefs[c].name);
    fprintf(fp, ",QUALITY,TIER,PTS,LINE,BOOK\n");
    char num[SW_NUM_BUF], ds[11];
    for (long r = 0; r < f->n; r++) {
        const sw_frame_meta *m = &f->meta[r];
        sw_date_format(m->date, ds);
        fprintf(fp, "%s,%s,", ds, lg->games[m->game].id);
        put_csv_str(fp, lg->pid[m->player]);
        fputc(',', fp);
        put_csv_str(fp, sw_league_player_name(lg, m->player));
        fprintf(fp, ",%s,%s,%d", lg->tcode[m->team], lg->tcode[m->opp], m->home);
        for (int c = 0; c < F_COUNT; c++) {
            float v = f->val[(size_t)r * F_COUNT + (size_t)c];
            if (isnan(v)) {
                fputs(",", fp);
            } else {
                sw_format_f32(num, v);
                fprintf(fp, ",%s", num);
            }
        }
        sw_format_f32(num, m->quality);
        fprintf(fp, ",%s,%s,", num, sw_tier_name(m->tier));
        if (!isnan(m->pts)) fprintf(fp, "%d", (int)m->pts);
        fputc(',', fp);
        if (!isnan(m->line)) {
            sw_format_f32(num, m->line);
            fputs(num, fp);
        }
        fprintf(fp, ",%s\n", m->line_book >= 0 ? lg->books[m->line_book] : "");
    }
    if (fclose(fp) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        return sw_error_set(err, SW_IO, path, 0, 0, -1, "write failed");
    }
    return SW_OK;
}

int sw_features_explain(const sw_league *lg, int player, int date, FILE *out, sw_error *err)
{
    if (player < 0 || player >= lg->n_players) return sw_fail(err, SW_NOT_FOUND, "unknown player");
    /* the player's game on that date: a box score, else a scheduled game of his team */
    long end = sw__player_asof(lg, player, date + 1), start = lg->P.start[player];
    req_row q;
    if (end > start && lg->P.date[end - 1] == date) {
        long r = end - 1;
        const sw__game *g = &lg->games[lg->P.game[r]];
        q = (req_row){player, lg->P.game[r], date, lg->P.team[r], lg->P.opp[r], lg->P.home[r], g->type, g->season};
    } else {
        long e2 = sw__player_asof(lg, player, date);
        if (e2 <= start) return sw_fail(err, SW_NOT_FOUND, "player %s has no history before that date", lg->pid[player]);
        int team = lg->P.team[e2 - 1], game = -1;
        for (int g = 0; g < lg->n_games && game < 0; g++)
            if (lg->games[g].date == date && (lg->games[g].home == team || lg->games[g].away == team)) game = g;
        if (game < 0)
            return sw_fail(err, SW_NOT_FOUND, "player %s's team %s has no game on that date", lg->pid[player],
                           lg->tcode[team]);
        const sw__game *g = &lg->games[game];
        int home = g->home == team;
        q = (req_row){player, game, date, team, home ? g->away : g->home, home, g->type, g->season};
    }
    double lz[3];
    int lz_ok;
    league_zones(lg, date, lz, &lz_ok);
    bctx bc;
    SW_TRY(book_order(lg, NULL, &bc, err));
    float val[F_COUNT];
    uint8_t src[F_COUNT];
    sw_frame_meta m;
    trace *tr = sw_calloc(1, sizeof *tr);
    if (!tr) return sw_fail(err, SW_NOMEM, "out of memory");
    compute_row(&bc, &q, lz, lz_ok, val, src, &m, tr);
    char ds[11];
    sw_date_format(date, ds);
    fprintf(out, "%s (%s) on %s, game %s, %s %s %s; feature set %s\n", sw_league_player_name(lg, player),
            lg->pid[player], ds, lg->games[q.game].id, lg->tcode[q.team], q.home ? "vs" : "at", lg->tcode[q.opp],
            SW_FEATURE_SET);
    fprintf(out, "only data before %s is used; quality %.1f (%s)\n\n", ds, (double)m.quality, sw_tier_name(m.tier));
    fprintf(out, "%-26s %12s  %-9s %s\n", "feature", "value", "source", "from");
    char num[SW_NUM_BUF];
    for (int i = 0; i < F_COUNT; i++) {
        if (isnan(val[i])) snprintf(num, sizeof num, "NaN");
        else sw_format_f32_short(num, val[i]);
        fprintf(out, "%-26s %12s  %-9s %s\n", fdefs[i].name, num, sw_source_name((sw_source)src[i]), tr->text[i]);
    }
    sw_free(tr);
    return SW_OK;
}
