/* gen_nba: a fixed, seeded synthetic training set shaped like the points task:
 * 33 float features named as the v2 feature set, about 2% missing at random,
 * and an integer points target.  A latent scoring rate per row drives the
 * averages, minutes, line and target; context features move the target a
 * little, the rest is noise, so the learnable signal resembles the real one. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

static const char *const names[33] = {
    "points_avg_last_5", "points_avg_last_10", "points_avg_season", "points_std_last_10", "games_in_last_7_days",
    "fatigue_score", "shot_zone_mismatch_score", "pace_score", "usage_spike_score", "rest_advantage",
    "injury_risk", "recent_trend", "minutes_change", "opponent_def_rating", "opponent_pace", "home_away",
    "back_to_back", "playoff_game", "pct_paint", "pct_mid_range", "pct_three", "pct_free_throw", "team_pace",
    "team_off_rating", "team_win_pct", "vegas_points_line", "vegas_opening_line", "vegas_line_move",
    "has_vegas_line", "avg_points_vs_opponent", "games_vs_opponent", "minutes_avg_last_10", "ppm_avg_last_10"};

typedef struct {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double unif(rng *r) { return (double)(next(r) >> 11) * 0x1p-53; }
static double normal(rng *r)
{
    double u = unif(r), v = unif(r);
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}
static int poisson(rng *r, double lam)
{
    if (lam > 30) {
        int k = (int)lround(lam + sqrt(lam) * normal(r));
        return k < 0 ? 0 : k;
    }
    double L = exp(-lam), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= unif(r);
    } while (p > L);
    return k - 1;
}

static void write_rows(FILE *fp, rng *r, long n)
{
    for (int j = 0; j < 33; j++) fprintf(fp, "%s,", names[j]);
    fprintf(fp, "PTS\n");
    for (long i = 0; i < n; i++) {
        double rate = 2.0 + 22.0 * pow(unif(r), 1.6); /* points per game, skewed */
        double mins = 12 + 1.0 * rate + 3 * normal(r);
        if (mins > 40) mins = 40;
        double x[33];
        x[0] = rate + 3.2 * normal(r);
        x[1] = rate + 2.3 * normal(r);
        x[2] = rate + 1.5 * normal(r);
        x[3] = 2.5 + 0.28 * rate + fabs(normal(r));
        x[4] = (double)(int)(unif(r) * 5);
        x[5] = 100 - 50 * unif(r) * unif(r);
        x[6] = 10 * (2 * unif(r) - 1);
        x[7] = 3 * (2 * unif(r) - 1);
        x[8] = 3 * (2 * unif(r) - 1) * (unif(r) < 0.2);
        x[9] = (double)((int)(unif(r) * 5) - 2);
        x[10] = unif(r) < 0.9 ? 0 : (double)(1 + (int)(unif(r) * 3));
        x[11] = (double)((int)(unif(r) * 5) - 2);
        x[12] = (double)((int)(unif(r) * 5) - 2);
        x[13] = 112 + 4 * normal(r);
        x[14] = 99 + 3 * normal(r);
        x[15] = unif(r) < 0.5;
        x[16] = unif(r) < 0.15;
        x[17] = unif(r) < 0.05;
        double a = unif(r), b = unif(r) * (1 - a);
        x[18] = a;
        x[19] = b;
        x[20] = 1 - a - b;
        x[21] = 0.05 + 0.2 * unif(r);
        x[22] = 99 + 3 * normal(r);
        x[23] = 112 + 4 * normal(r);
        x[24] = unif(r);
        int has_line = unif(r) < 0.5;
        double line = floor(rate + 1.1 * normal(r)) + 0.5;
        x[25] = has_line ? line : NAN;
        x[26] = has_line ? line + (unif(r) < 0.3 ? (unif(r) < 0.5 ? -1 : 1) : 0) : NAN;
        x[27] = has_line ? x[25] - x[26] : NAN;
        x[28] = has_line;
        x[29] = rate + 4 * normal(r);
        x[30] = (double)(int)(unif(r) * 12);
        x[31] = mins + 1.5 * normal(r);
        x[32] = rate / (mins > 1 ? mins : 1) + 0.05 * normal(r);
        double lam = rate * (1 + 0.025 * (x[13] - 112) / 4) * (1 + 0.04 * (x[15] - 0.5)) *
                     (1 - 0.05 * x[16]) * (1 + 0.03 * x[11]) * (x[10] >= 3 ? 0.6 : 1.0);
        int pts = poisson(r, lam > 0.2 ? lam : 0.2);
        for (int j = 0; j < 33; j++) {
            if (unif(r) < 0.02) x[j] = NAN;
            if (isnan(x[j])) fprintf(fp, ",");
            else fprintf(fp, "%.6g,", x[j]);
        }
        fprintf(fp, "%d\n", pts);
    }
}

int bench_gen_nba(const char *train_path, const char *test_path, long n_train, long n_test,
                  unsigned long long seed)
{
    rng r = {seed};
    FILE *a = fopen(train_path, "w"), *b = fopen(test_path, "w");
    if (!a || !b) {
        if (a) fclose(a);
        if (b) fclose(b);
        return -1;
    }
    write_rows(a, &r, n_train);
    write_rows(b, &r, n_test);
    fclose(a);
    fclose(b);
    return 0;
}
