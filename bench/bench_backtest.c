/* bench_backtest: a walk-forward backtest of one full simulated season with
 * weekly retraining (the previous season as the initial history), every
 * system but catboost_v8 unless ../shared/models has it, stage by stage.
 * Target: under 60 s on 2 cores.  Quick mode backtests the last month. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/date.h"
#include "core/fileio.h"
#include "features/league.h"
#include "features/simulate.h"
#include "io/model.h"
#include "pipeline/backtest.h"
#include "pipeline/systems.h"
#include "core/clock.h"

int bench_backtest(const bench_ctx *c)
{
    printf("== backtest: one simulated season walk-forward, weekly retraining, 2 threads ==\n");
    sw_error err;
    sw_error_clear(&err);
    char data[600], cbm[1200];
    snprintf(data, sizeof data, "%s/backtest/data", c->tmp);
    sw_sim_params sp = sw_sim_params_default();
    sp.seed = 9;
    sp.seasons = 2;
    sw_sim_summary ss;
    if (sw_simulate(&sp, data, &ss, &err)) {
        fprintf(stderr, "bench backtest: %s\n", err.msg);
        return 1;
    }
    sw_league *lg;
    if (sw_league_load(data, NULL, &lg, NULL, &err)) {
        fprintf(stderr, "bench backtest: %s\n", err.msg);
        return 1;
    }
    sw_config cfg;
    sw_config_default(&cfg);
    cfg.threads = 2;
    sw_system *cb = NULL;
    snprintf(cbm, sizeof cbm, "%s/models/catboost_v8_33features_20260108_211817.cbm", c->shared);
    if (sw_file_exists(cbm)) {
        sw_model_bundle b = {0};
        if (sw_model_load(cbm, &b.mean, &err) == SW_OK) {
            snprintf(b.version, sizeof b.version, "v8");
            sw_system_create_model(SW_SYS_CATBOOST_V8, &b, &cb, &err);
        }
    }
    if (!cb) cfg.systems[SW_SYS_CATBOOST_V8] = 0;
    /* the second season: from its first game to the last played date */
    int first, last, last_sched, from = -1;
    sw_league_date_range(lg, &first, &last, &last_sched);
    for (int g = 0; g < sw_league_n_games(lg); g++) {
        int d = sw_league_game_date(lg, g);
        if (sw_date_season(d) == sp.first_season + 1 && (from < 0 || d < from)) from = d;
    }
    if (c->quick) from = last - 30;
    sw_backtest_opts o = {.from = from, .to = last, .retrain_every = 7, .train_window = 0, .cfg = &cfg, .catboost = cb};
    sw_backtest b;
    double t0 = sw_clock_now();
    int rc = sw_backtest_run(lg, &o, &b, &err);
    double secs = sw_clock_now() - t0;
    if (rc) {
        fprintf(stderr, "bench backtest: %s\n", err.msg);
        sw_system_free(cb);
        sw_league_free(lg);
        return 1;
    }
    char a[11], z[11];
    sw_date_format(from, a);
    sw_date_format(last, z);
    long graded = 0;
    double *fin = malloc(sizeof(double) * (size_t)(b.n_rows[SW_SYS_COUNT] + 1));
    for (long i = 0; i < b.n_rows[SW_SYS_COUNT]; i++) {
        fin[i] = b.rows[SW_SYS_COUNT][i].pred;
        graded += b.rows[SW_SYS_COUNT][i].actual == b.rows[SW_SYS_COUNT][i].actual;
    }
    sw_metrics m;
    sw_metrics_compute(b.rows[SW_SYS_COUNT], b.n_rows[SW_SYS_COUNT], &m);
    printf("%s to %s: %ld dates, %ld player-games (%ld graded), %ld retrains, %d systems%s\n", a, z, b.dates,
           b.n_rows[SW_SYS_COUNT], graded, b.retrains, cb ? 6 : 5, cb ? "" : " (no CatBoost V8 model)");
    printf("  %-28s %8.2f s\n", "features (every row, once)", b.t_features);
    printf("  %-28s %8.2f s   (%.2f s per retrain)\n", "gbdt retraining", b.t_train,
           b.retrains ? b.t_train / b.retrains : 0);
    printf("  %-28s %8.2f s   (%.1f ms per date)\n", "slates (6 systems, calls)", b.t_slate,
           b.dates ? 1e3 * b.t_slate / b.dates : 0);
    printf("  %-28s %8.2f s   (target 60 s)   checksum %016llx\n", "total", secs, bench_checksum(fin, b.n_rows[SW_SYS_COUNT]));
    printf("  final: MAE %.3f vs the line's %.3f; side hit rate %.1f%% [%.1f, %.1f] of %ld; calls %.1f%% of %ld, ROI %+.1f%%\n\n",
           m.mae, m.mae_line, 100 * m.side.rate, 100 * m.side.lo, 100 * m.side.hi, m.side.n, 100 * m.calls.rate,
           m.calls.n, 100 * m.roi_calls);
    free(fin);
    sw_backtest_free(&b);
    sw_system_free(cb);
    sw_league_free(lg);
    return 0;
}
