/* cmd_grade: `swish grade` (stored predictions against the box scores) and
 * `swish metrics` (how good they were, per system). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "core/alloc.h"
#include "core/date.h"
#include "pipeline/grade.h"
#include "pipeline/metrics.h"
#include "pipeline/registry.h"
#include "pipeline/rollout.h"
#include "pipeline/store.h"
#include "runcfg.h"

static int parse_day(const cli_args *a, const char *opt, int *day)
{
    const char *s = cli_get(a, opt);
    *day = -1;
    if (!s) return 0;
    if (sw_date_parse(s, strlen(s), day)) return cli_failf(SW_ARG, "%s: '%s' is not a date (YYYY-MM-DD)", opt, s);
    return 0;
}

static int report(sw_store *st, int from, int to, int json, int detail)
{
    sw_error err;
    sw_error_clear(&err);
    sw_store_name *names; /* every system with rows in the range, "final" last */
    int ns;
    if (sw_store_systems(st, from, to, &names, &ns, &err)) return cli_fail(&err);
    sw_jw *w = NULL;
    if (json) {
        if (!(w = sw_jw_create(SW_JW_JSON))) {
            sw_free(names);
            return cli_failf(SW_NOMEM, "out of memory");
        }
        sw_jw_shortest(w, 1);
        sw_jw_arr_begin(w);
    } else {
        sw_metrics_print_header(stdout);
    }
    for (int i = 0; i < ns; i++) {
        sw_graded *rows;
        long n, excluded;
        char ex_to[11];
        if (sw_metrics_load(st, names[i], from, to, &rows, &n, &err) ||
            sw_store_lookahead(st, names[i], from, to, &excluded, ex_to, &err)) {
            sw_jw_free(w);
            sw_free(names);
            return cli_fail(&err);
        }
        sw_metrics m;
        sw_metrics_compute(rows, n, &m);
        m.excluded = excluded;
        sw_free(rows);
        if (excluded)
            fprintf(stderr,
                    "swish: warning: %s: %ld row%s excluded from every result: the model was trained on games "
                    "through %s, on or after the game date (kept in the table predictions_lookahead)\n",
                    names[i], excluded, excluded == 1 ? "" : "s", ex_to);
        if (json) sw_metrics_json(w, names[i], &m);
        else sw_metrics_print_row(names[i], &m, stdout);
        if (detail && !json) sw_metrics_print_detail(names[i], &m, stderr);
    }
    sw_free(names);
    if (!json) return 0;
    sw_jw_arr_end(w);
    return cli_print_json(w);
}

static const cli_opt grade_opts[] = {
    {"--date", "DATE", "grade one date", 0},
    {"--from", "DATE", "grade every stored date from this one", 0},
    {"--to", "DATE", "... to this one (inclusive)", 0},
    {"--db", "DB", "SQLite file or postgresql:// URL (overrides paths.db)", 0},
    RUNCFG_OPT_CONFIG,
    RUNCFG_OPT_DATA,
    {"--json", NULL, "print the metrics as JSON", 0},
    {"--detail", NULL, "print every breakdown (edge, confidence, tier, calibration, baselines) on stderr", 0},
    {"--lenient", NULL, "skip and count bad input rows instead of failing", 0},
    {"--no-gate", NULL, "do not evaluate the rollouts' gates after grading", 0},
};

/* The gates of the rollouts in progress (rollout.h), after grading: a model
 * store or gate that cannot be read is a warning, never a failed grade. */
static void gates(sw_store *st, const sw_config *cfg)
{
    sw_error err;
    sw_error_clear(&err);
    if (sw_registry_exists(cfg->models, &err)) return; /* no model store: no rollout */
    sw_gate g[SW_SYS_COUNT + 1];
    int n = 0;
    int rc = sw_rollout_gate_all(st, cfg, cfg->models, g, &n, stderr, &err);
    if (rc) {
        char m[900];
        sw_error_format(&err, m, sizeof m);
        fprintf(stderr, "swish: warning: rollout gates: %s\n", m);
    }
}

int cmd_grade(int argc, char **argv)
{
    cli_args a = {.usage = "swish grade",
                  .summary = "Join the stored predictions of the dates with the box scores: OVER/UNDER calls are HIT,\n"
                             "MISS or PUSH (actual = line), a player who did not play voids the row, units at the\n"
                             "stored American price and at -110.  Grades go to the database (re-grading replaces\n"
                             "them); then the metrics of the graded dates are printed per system.\n\n"
                             "Then, unless --no-gate, the gate of every rollout in progress in the model store\n"
                             "(paths.models) is evaluated, one line each on stderr ('swish models gate'): a clear loss\n"
                             "is rolled back when rollout.auto_rollback is set, a pass advances the stage only with\n"
                             "rollout.auto_promote.  A model store that cannot be read is a warning, not a failure.",
                  .opts = grade_opts,
                  .n_opts = sizeof grade_opts / sizeof grade_opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    int day, from, to;
    if ((rc = parse_day(&a, "--date", &day)) || (rc = parse_day(&a, "--from", &from)) || (rc = parse_day(&a, "--to", &to)))
        return rc;
    if (day >= 0) from = to = day;
    if (from < 0 || to < 0) return cli_failf(SW_ARG, "give --date, or --from and --to");
    if (to < from) return cli_failf(SW_ARG, "--to is before --from");
    sw_config cfg;
    if ((rc = runcfg_load(&a, &cfg))) return rc;
    sw_league *lg;
    if ((rc = runcfg_league(cfg.data, cli_has(&a, "--lenient"), &lg))) return rc;
    /* dates without games get the status they get everywhere (slate: no games on the date) */
    int with_games = 0;
    for (int g = 0; g < sw_league_n_games(lg) && !with_games; g++) {
        int d = sw_league_game_date(lg, g);
        with_games = d >= from && d <= to;
    }
    if (!with_games) {
        char fa[11], tb[11];
        sw_date_format(from, fa);
        sw_date_format(to, tb);
        sw_league_free(lg);
        if (from == to) return cli_failf(SW_NO_GAMES, "no games on %s in the schedule or box scores", fa);
        return cli_failf(SW_NO_GAMES, "no games from %s to %s in the schedule or box scores", fa, tb);
    }
    sw_store *st;
    sw_error err;
    sw_error_clear(&err);
    if (sw_store_open(cfg.db, cfg.busy_timeout_ms, 0, &st, &err)) {
        sw_league_free(lg);
        return cli_fail(&err);
    }
    long total = 0;
    for (int d = from; d <= to; d++) {
        sw_grade_result g;
        if (sw_grade_date(st, lg, d, &g, &err)) {
            sw_store_close(st);
            sw_league_free(lg);
            return cli_fail(&err);
        }
        char ds[11];
        sw_date_format(d, ds);
        if (g.excluded)
            fprintf(stderr, "swish: warning: %s: %ld row%s not graded: the model was trained on games through %s\n", ds,
                    g.excluded, g.excluded == 1 ? "" : "s", g.excluded_to);
        if (!g.predictions) continue;
        fprintf(stderr, "swish: %s: %ld predictions graded (%ld hit, %ld miss, %ld push, %ld void, %ld no bet), %ld pending\n",
                ds, g.graded, g.hit, g.miss, g.push, g.void_, g.no_bet, g.pending);
        if (g.no_box_scores)
            fprintf(stderr,
                    "swish: warning: %s: %ld rows left pending: the team logs have their games' results but %s/"
                    "player_game_logs.csv has no box scores for those games yet\n",
                    ds, g.no_box_scores, cfg.data);
        total += g.predictions;
    }
    if (!total) fprintf(stderr, "swish: no stored predictions in the range\n");
    if (total && !cli_has(&a, "--no-gate")) gates(st, &cfg);
    rc = report(st, from, to, cli_has(&a, "--json"), cli_has(&a, "--detail"));
    sw_store_close(st);
    sw_league_free(lg);
    return rc;
}

static const cli_opt metrics_opts[] = {
    {"--from", "DATE", "first date (default: all)", 0},
    {"--to", "DATE", "last date (default: all)", 0},
    {"--db", "DB", "SQLite file or postgresql:// URL (overrides paths.db)", 0},
    {"--config", "FILE", "configuration file", 0},
    {"--json", NULL, "JSON: every metric and breakdown", 0},
    {"--detail", NULL, "print every breakdown on stderr", 0},
};

int cmd_metrics(int argc, char **argv)
{
    cli_args a = {.usage = "swish metrics",
                  .summary = "Metrics of the graded predictions per system: MAE, RMSE, bias, within 3/5; hit rate of\n"
                             "the prediction's side against the line with a Wilson 95% interval, overall and at edge\n"
                             ">= 3; the OVER/UNDER calls' hit rate and ROI (actual prices and -110); with --detail or\n"
                             "--json the breakdowns by edge, confidence, tier and expected value, the calibration of\n"
                             "P(over) and the baselines (the line, season and last-10 averages, the market's P(over))\n"
                             "on the same player-games.",
                  .opts = metrics_opts,
                  .n_opts = sizeof metrics_opts / sizeof metrics_opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    int from, to;
    if ((rc = parse_day(&a, "--from", &from)) || (rc = parse_day(&a, "--to", &to))) return rc;
    sw_config cfg;
    if ((rc = runcfg_load(&a, &cfg))) return rc;
    sw_store *st;
    sw_error err;
    sw_error_clear(&err);
    if (sw_store_open(cfg.db, cfg.busy_timeout_ms, 0, &st, &err)) return cli_fail(&err);
    rc = report(st, from, to, cli_has(&a, "--json"), cli_has(&a, "--detail"));
    sw_store_close(st);
    return rc;
}
