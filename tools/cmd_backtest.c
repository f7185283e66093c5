/* cmd_backtest: `swish backtest`, walk-forward evaluation with scheduled
 * retraining. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "core/date.h"
#include "pipeline/backtest.h"
#include "pipeline/models.h"
#include "runcfg.h"

static const cli_opt opts[] = {
    {"--from", "DATE", "first date", 0},
    {"--to", "DATE", "last date (inclusive)", 0},
    {"--retrain-every", "DAYS", "retrain the gbdt system every DAYS days (\"7d\" or \"7\"; 0: once; default 7)", 0},
    {"--train-window", "DAYS", "train on the DAYS days before each date (default: everything before it)", 0},
    {"--systems", "LIST", "systems to run, comma-separated (default: the configuration's)", 0},
    {"--db", "FILE", "also store every date's predictions and grades (for swish report)", 0},
    RUNCFG_OPTS,
    {"--json", NULL, "print the metrics and the daily series as JSON", 0},
    {"--detail", NULL, "print every breakdown on stderr", 0},
    {"--quiet", NULL, "no progress lines", 0},
    {"--lenient", NULL, "skip and count bad input rows instead of failing", 0},
};

static int days_opt(const cli_args *a, const char *name, long def, long *out)
{
    const char *s = cli_get(a, name);
    *out = def;
    if (!s) return 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || (*end && strcmp(end, "d")) || v < 0 || v > 100000)
        return cli_failf(SW_ARG, "%s: expected a number of days (\"7\" or \"7d\"), got '%s'", name, s);
    *out = v;
    return 0;
}

int cmd_backtest(int argc, char **argv)
{
    cli_args a = {
        .usage = "swish backtest --data DIR --from D1 --to D2 [--retrain-every 7d] [--train-window DAYS]\n"
                 "                      [--systems LIST] [--db FILE] [--json]",
        .summary =
            "Walk forward over the dates: each date's slate is built exactly as the nightly run builds it, with\n"
            "features, lines and models that only see games before the date (lines from snapshots before tip-off),\n"
            "then graded against the box scores.  Prints per system: MAE against the line's own MAE, the side\n"
            "hit rate with its Wilson 95% interval (overall and at edge >= 3), the calls' hit rate and ROI.",
        .opts = opts,
        .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    const char *fs = cli_need(&a, "--from"), *ts = cli_need(&a, "--to");
    if (!fs || !ts) return 2;
    sw_config cfg;
    if ((rc = runcfg_load(&a, &cfg))) return rc;
    const char *sl = cli_get(&a, "--systems");
    sw_error err;
    sw_error_clear(&err);
    if (sl && sw_config_set(&cfg, "slate.systems", sl, &err)) return cli_fail(&err);
    long every, window;
    if ((rc = days_opt(&a, "--retrain-every", 7, &every)) || (rc = days_opt(&a, "--train-window", 0, &window))) return rc;
    sw_league *lg;
    if ((rc = runcfg_league(cfg.data, cli_has(&a, "--lenient"), &lg))) return rc;
    int from, to;
    if ((rc = runcfg_date(fs, lg, &from)) || (rc = runcfg_date(ts, lg, &to))) {
        sw_league_free(lg);
        return rc;
    }
    /* catboost_v8 from the model store, when registered and enabled */
    sw_config only = cfg;
    for (int k = 0; k < SW_SYS_COUNT; k++) only.systems[k] = k == SW_SYS_CATBOOST_V8 && cfg.systems[k];
    sw_models cb;
    if (sw_models_load(&only, cfg.models, &cb, &err)) {
        sw_league_free(lg);
        return cli_fail(&err);
    }
    if (cfg.systems[SW_SYS_CATBOOST_V8] && !cb.sys[SW_SYS_CATBOOST_V8])
        fprintf(stderr, "swish: warning: no catboost_v8 model in %s: the system is left out\n", cfg.models);
    sw_store *st = NULL;
    if (cli_has(&a, "--db") && sw_store_open(cli_get(&a, "--db"), cfg.busy_timeout_ms, &st, &err)) {
        sw_models_free(&cb);
        sw_league_free(lg);
        return cli_fail(&err);
    }
    sw_backtest_opts o = {.from = from, .to = to, .retrain_every = (int)every, .train_window = (int)window, .cfg = &cfg,
                          .catboost = cb.sys[SW_SYS_CATBOOST_V8], .store = st,
                          .log = cli_has(&a, "--quiet") ? NULL : stderr};
    sw_backtest b;
    rc = sw_backtest_run(lg, &o, &b, &err);
    sw_store_close(st);
    sw_models_free(&cb);
    sw_league_free(lg);
    if (rc) return cli_fail(&err);
    int json = cli_has(&a, "--json");
    if (json) printf("{\"from\":\"%s\",\"to\":\"%s\",\"dates\":%ld,\"retrains\":%ld,\"seconds\":%.3f,\"systems\":[", fs, ts,
                     b.dates, b.retrains, b.seconds);
    else sw_metrics_print_header(stdout);
    int first = 1;
    for (int k = 0; k <= SW_SYS_COUNT; k++) {
        if (!b.n_rows[k]) continue;
        const char *name = k == SW_SYS_COUNT ? "final" : sw_system_name(k);
        sw_metrics m;
        sw_metrics_compute(b.rows[k], b.n_rows[k], &m);
        if (json) {
            if (!first) printf(",\n");
            sw_metrics_json(name, &m, stdout);
        } else {
            sw_metrics_print_row(name, &m, stdout);
        }
        if (cli_has(&a, "--detail")) sw_metrics_print_detail(name, &m, stderr);
        first = 0;
    }
    if (json) {
        printf("],\"daily\":[");
        double cum = 0;
        for (long i = 0; i < b.n_days; i++) {
            const sw_backtest_day *d = &b.days[i];
            char ds[11];
            sw_date_format(d->date, ds);
            cum += d->units;
            printf("%s\n{\"date\":\"%s\",\"players\":%ld,\"lined\":%ld,\"bets\":%ld,\"hits\":%ld,\"pushes\":%ld,"
                   "\"units\":%.4f,\"units_110\":%.4f,\"cumulative_units\":%.4f,\"mae\":%.4f}",
                   i ? "," : "", ds, d->players, d->lined, d->bets, d->hits, d->pushes, d->units, d->units_110, cum,
                   d->n_err ? d->abs_err / d->n_err : 0.0);
        }
        printf("]}\n");
    } else {
        printf("%ld dates, %ld retrains, %.1f s (features %.1f s, training %.1f s, slates %.1f s, storing %.1f s)\n",
               b.dates, b.retrains, b.seconds, b.t_features, b.t_train, b.t_slate, b.t_store);
    }
    sw_backtest_free(&b);
    return 0;
}
