/* bench_features: the feature pipeline on the real data (../shared/data/nba):
 * loading and validating the CSVs, features for every player-game, the slate of
 * one date, and the quality-tier distribution; and the 450-player slate of a
 * simulated league.  One thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/date.h"
#include "features/features.h"
#include "features/league.h"
#include "features/simulate.h"
#include "core/clock.h"

static int tiers_line(const sw_frame *f, char *buf, size_t n)
{
    long t[5] = {0};
    for (long r = 0; r < sw_frame_rows(f); r++) t[sw_frame_meta_of(f, r)->tier]++;
    double tot = (double)(sw_frame_rows(f) ? sw_frame_rows(f) : 1);
    return snprintf(buf, n, "gold %ld (%.1f%%), silver %ld (%.1f%%), bronze %ld (%.1f%%), poor %ld (%.1f%%), critical %ld (%.1f%%)",
                    t[4], 100 * t[4] / tot, t[3], 100 * t[3] / tot, t[2], 100 * t[2] / tot, t[1], 100 * t[1] / tot, t[0],
                    100 * t[0] / tot);
}

static double best_slate(const sw_league *lg, int day, int reps, long *rows)
{
    double best = 1e30;
    for (int i = 0; i < reps; i++) {
        sw_feature_request r;
        sw_feature_request_init(&r);
        r.slate_date = day;
        sw_frame *f;
        sw_error err;
        double t0 = sw_clock_now();
        if (sw_features_build(lg, &r, &f, &err) != SW_OK) return -1;
        double t = sw_clock_now() - t0;
        *rows = sw_frame_rows(f);
        sw_frame_free(f);
        if (t < best) best = t;
    }
    return best;
}

int bench_features(const bench_ctx *c)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/nba", c->shared);
    printf("== features: raw CSVs to the %d features of %s, 1 thread ==\n", sw_feature_count(), SW_FEATURE_SET);
    double loads[3], builds[3];
    long rows = 0;
    sw_league *lg = NULL;
    sw_frame *all = NULL;
    for (int i = 0; i < 3; i++) {
        sw_error err;
        sw_league_free(lg);
        sw_frame_free(all);
        double t0 = sw_clock_now();
        if (sw_league_load(dir, NULL, &lg, NULL, &err) != SW_OK) {
            fprintf(stderr, "bench features: %s\n", err.msg);
            return 1;
        }
        double t1 = sw_clock_now();
        if (sw_features_build(lg, NULL, &all, &err) != SW_OK) return 1;
        loads[i] = t1 - t0;
        builds[i] = sw_clock_now() - t1;
        rows = sw_frame_rows(all);
    }
    char tl[512];
    tiers_line(all, tl, sizeof tl);
    printf("real data: %ld player-games; load + validate %.3f s, features %.3f s, total %.3f s (median of 3)\n", rows,
           bench_median(loads, 3), bench_median(builds, 3), bench_median(loads, 3) + bench_median(builds, 3));
    printf("real data quality tiers: %s\n", tl);
    int day;
    sw_date_parse("2025-11-10", 10, &day);
    long srows;
    double st = best_slate(lg, day, 20, &srows);
    printf("real slate 2025-11-10: %ld players in %.3f ms (best of 20)\n", srows, st * 1e3);
    sw_frame_free(all);
    sw_league_free(lg);

    /* a full simulated slate */
    char sim[600];
    snprintf(sim, sizeof sim, "%s/sim_features", c->tmp);
    sw_sim_params sp = sw_sim_params_default();
    sp.seed = 11;
    sp.seasons = 1;
    sw_sim_summary ss;
    sw_error err;
    if (sw_simulate(&sp, sim, &ss, &err) != SW_OK) {
        fprintf(stderr, "bench features: simulate: %s\n", err.msg);
        return 1;
    }
    if (sw_league_load(sim, NULL, &lg, NULL, &err) != SW_OK) {
        fprintf(stderr, "bench features: %s\n", err.msg);
        return 1;
    }
    /* the busiest scheduled future date */
    int first, last_played, last_sched, busiest = -1, most = 0;
    sw_league_date_range(lg, &first, &last_played, &last_sched);
    for (int d = last_played + 1; d <= last_sched; d++) {
        int n = 0;
        for (int g = 0; g < sw_league_n_games(lg); g++) n += sw_league_game_date(lg, g) == d;
        if (n > most) {
            most = n;
            busiest = d;
        }
    }
    if (busiest >= 0) {
        st = best_slate(lg, busiest, 20, &srows);
        char ds[11];
        sw_date_format(busiest, ds);
        printf("simulated slate %s: %d games, %ld players in %.3f ms (best of 20)\n", ds, most, srows, st * 1e3);
    }
    sw_league_free(lg);
    printf("\n");
    return 0;
}
