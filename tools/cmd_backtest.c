/* cmd_backtest: `swish backtest`, walk-forward evaluation with scheduled
 * retraining. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/fileio.h"
#include "cmds.h"
#include "core/date.h"
#include "pipeline/backtest.h"
#include "pipeline/models.h"
#include "pipeline/registry.h"
#include "runcfg.h"

static const cli_opt opts[] = {
    {"--from", "DATE", "first date", CLI_REQUIRED},
    {"--to", "DATE", "last date (inclusive)", CLI_REQUIRED},
    {"--retrain-every", "DAYS", "retrain the gbdt system every DAYS days (\"7d\" or \"7\"; 0: once; default 7)", 0},
    {"--train-window", "DAYS", "train on the DAYS days before each date (default: everything before it)", 0},
    {"--systems", "LIST", "systems to run, comma-separated (default: the configuration's)", 0},
    {"--db", "DB", "also store every date's predictions and grades (for swish report)", 0},
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
        .usage = "swish backtest",
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
    /* trained before the first date, so that it may serve every date of the range */
    memset(&cb, 0, sizeof cb);
    int have = only.systems[SW_SYS_CATBOOST_V8] ? sw_registry_exists(cfg.models, &err) : SW_OK;
    if (have == SW_NOT_FOUND) {
        fprintf(stderr, "swish: warning: no model store at %s: catboost_v8 is left out\n", cfg.models);
    } else if (have != SW_OK) {
        sw_league_free(lg);
        return cli_fail(&err);
    } else if (sw_models_load(&only, cfg.models, from, &cb, &err)) {
        sw_league_free(lg);
        return cli_fail(&err);
    }
    for (int i = 0; i < cb.n_warnings; i++)
        if (cb.degraded) fprintf(stderr, "swish: warning: %s\n", cb.warnings[i]);
    for (int i = 0; i < cb.n_notes; i++) fprintf(stderr, "swish: note: %s\n", cb.notes[i]);
    if (cfg.systems[SW_SYS_CATBOOST_V8] && !cb.sys[SW_SYS_CATBOOST_V8] && !cb.degraded)
        fprintf(stderr, "swish: warning: no catboost_v8 model in %s: the system is left out\n", cfg.models);
    sw_store *st = NULL;
    if (cli_has(&a, "--db") && sw_store_open(cli_get(&a, "--db"), cfg.busy_timeout_ms, 1, &st, &err)) {
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
    sw_jw *w = NULL;
    if (json) {
        if (!(w = sw_jw_create(SW_JW_JSON))) {
            sw_backtest_free(&b);
            return cli_failf(SW_NOMEM, "out of memory");
        }
        sw_jw_shortest(w, 1);
        /* "seconds" stays ahead of the systems (tests/test_evaluate.c drops it to compare runs) */
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "from", fs);
        sw_jw_kstr(w, "to", ts);
        sw_jw_kint(w, "dates", b.dates);
        sw_jw_kint(w, "retrains", b.retrains);
        sw_jw_kf64(w, "seconds", round(b.seconds * 1e3) / 1e3);
        sw_jw_key(w, "systems");
        sw_jw_arr_begin(w);
    } else {
        sw_metrics_print_header(stdout);
    }
    for (int k = 0; k <= SW_SYS_COUNT; k++) {
        if (!b.n_rows[k]) continue;
        const char *name = k == SW_SYS_COUNT ? "final" : sw_system_name(k);
        sw_metrics m;
        sw_metrics_compute(b.rows[k], b.n_rows[k], &m);
        if (json) sw_metrics_json(w, name, &m);
        else sw_metrics_print_row(name, &m, stdout);
        if (cli_has(&a, "--detail")) sw_metrics_print_detail(name, &m, stderr);
    }
    if (json) {
        sw_jw_arr_end(w);
        sw_jw_key(w, "daily");
        sw_jw_arr_begin(w);
        double cum = 0;
        for (long i = 0; i < b.n_days; i++) {
            const sw_backtest_day *d = &b.days[i];
            char ds[11];
            sw_date_format(d->date, ds);
            cum += d->units;
            sw_jw_obj_begin(w);
            sw_jw_kstr(w, "date", ds);
            sw_jw_kint(w, "players", d->players);
            sw_jw_kint(w, "lined", d->lined);
            sw_jw_kint(w, "bets", d->bets);
            sw_jw_kint(w, "hits", d->hits);
            sw_jw_kint(w, "pushes", d->pushes);
            sw_jw_kf64(w, "units", d->units);
            sw_jw_kf64(w, "units_110", d->units_110);
            sw_jw_kf64(w, "cumulative_units", cum);
            sw_jw_kf64(w, "mae", d->n_err ? d->abs_err / d->n_err : NAN); /* null: no graded row that day */
            sw_jw_obj_end(w);
        }
        sw_jw_arr_end(w);
        sw_jw_obj_end(w);
        rc = cli_print_json(w);
    } else {
        printf("%ld dates, %ld retrains, %.1f s (features %.1f s, training %.1f s, slates %.1f s, storing %.1f s)\n",
               b.dates, b.retrains, b.seconds, b.t_features, b.t_train, b.t_slate, b.t_store);
    }
    sw_backtest_free(&b);
    return rc;
}
