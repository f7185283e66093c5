/* cmd_monitor: `swish monitor`, the unattended run's health: drift of the
 * inputs against the serving model's training rows, each system's rolling
 * performance and state, the freshness of the data (pipeline/monitor.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmds.h"
#include "core/alloc.h"
#include "core/date.h"
#include "pipeline/monitor.h"
#include "pipeline/store.h"
#include "runcfg.h"

static const cli_opt opts[] = {
    {"--date", "DATE", "run date (YYYY-MM-DD, or 'next': the first date after the last played; default: today, UTC)", 0},
    {"--db", "DB", "SQLite file or postgresql:// URL (overrides paths.db)", 0},
    RUNCFG_OPT_CONFIG,
    RUNCFG_OPT_DATA,
    RUNCFG_OPT_MODELS,
    {"--json", NULL, "print the result as JSON", 0},
    {"--block", "SYSTEM", "a person's decision: BLOCK the system (left out of final) until --enable", 0},
    {"--enable", "SYSTEM", "a person's decision: set the system OK; rows graded before the date stop counting", 0},
    {"--reason", "TEXT", "why (stored with --block/--enable)", 0},
    {"--dry-run", NULL, "compute the states without storing them", 0},
    {"--lenient", NULL, "skip and count bad input rows instead of failing", 0},
};

static int manual(const sw_config *cfg, const char *system, sw_sys_state state, int day, const char *reason)
{
    sw_store *st;
    sw_error err;
    sw_error_clear(&err);
    /* a person may decide before the first slate: the database is created */
    if (sw_store_open(cfg->db, cfg->busy_timeout_ms, 1, &st, &err)) return cli_fail(&err);
    char why[512];
    snprintf(why, sizeof why, "%s by a person%s%s", state == SW_STATE_BLOCKED ? "blocked" : "enabled",
             reason ? ": " : "", reason ? reason : "");
    int rc = sw_monitor_set_state(st, system, state, day, why, &err);
    sw_store_close(st);
    if (rc) return cli_fail(&err);
    char ds[11];
    sw_date_format(day, ds);
    printf("%s: %s from %s (manual)%s\n", system, sw_sys_state_name(state), ds,
           state == SW_STATE_BLOCKED ? ": left out of final until 'swish monitor --enable'"
                                     : ": graded rows before this date no longer count against it");
    return 0;
}

int cmd_monitor(int argc, char **argv)
{
    cli_args a = {
        .usage = "swish monitor",
        .summary =
            "Is the nightly run still fit to run unattended?\n\n"
            "Drift: tonight's expected players and the played games of the last monitor.drift_days days,\n"
            "against the training rows of the gbdt version serving the date (stored with it by retrain):\n"
            "per feature PSI over the training deciles, KS against a sample of the training values and\n"
            "the share of missing or default values, and the quality-tier mix (the same population on\n"
            "both sides: quality >= retrain.min_quality, not early season, minutes_avg_last_10 >=\n"
            "slate.min_minutes).  WATCH at monitor.psi_watch, ALERT at monitor.psi_alert or KS >=\n"
            "monitor.ks_alert, when the statistic is also beyond its sampling noise: rows of one team or\n"
            "game share team-level values, so each feature counts its independent values (too few: not\n"
            "judged); features the calendar sets (games in 7 days, rest, games against the opponent...)\n"
            "stop at WATCH.  Versions without a reference report drift as unavailable.\n\n"
            "Performance: per system and final, graded rows of the 7, 14 and 30 days before the date: n,\n"
            "MAE, bias, the line's MAE on the same rows and the ratio, hit rate of the calls (Wilson 95%),\n"
            "Brier.  States: WATCH when the 14-day ratio >= monitor.mae_watch, DEGRADING at\n"
            "mae_degrading (or the 30-day ratio over mae_watch and rising), BLOCKED when both the 14- and\n"
            "30-day ratios reach mae_blocked; each window needs monitor.min_graded rows with a line, and a\n"
            "block as many again in the 30 days beyond the 14 (thin data never demotes).  Automatic\n"
            "moves go down at once and back up one level when the 14-day ratio is 0.02 under the\n"
            "threshold of the level above the one it moves to.\n"
            "The states are stored (table system_states); the slate leaves BLOCKED systems out of\n"
            "final.  A person's --block is never lifted automatically; --enable sets OK and the rows\n"
            "graded before the date stop counting.\n\n"
            "Freshness: games scheduled after the newest box scores and at least monitor.stale_days\n"
            "before the date without box scores (a break is not staleness); no line for any expected\n"
            "player on a date with games while the recent days had lines; no slate stored by\n"
            "monitor.slate_deadline (checked when the date is today).\n\n"
            "Exit 0 when everything is OK or WATCH, 1 when a system is DEGRADING or BLOCKED, a drift\n"
            "alert is raised or an input is stale.",
        .opts = opts,
        .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    sw_config cfg;
    if ((rc = runcfg_load(&a, &cfg))) return rc;
    const char *block = cli_get(&a, "--block"), *enable = cli_get(&a, "--enable"), *ds = cli_get(&a, "--date");
    if (block && enable) return cli_failf(SW_ARG, "--block and --enable: one decision at a time");
    int day = (int)(time(NULL) / 86400);
    if ((block || enable) && ds && strcmp(ds, "next")) {
        if (sw_date_parse(ds, strlen(ds), &day)) return cli_failf(SW_ARG, "'%s' is not a date (YYYY-MM-DD)", ds);
        ds = NULL;
    }
    if ((block || enable) && !ds) return manual(&cfg, block ? block : enable, block ? SW_STATE_BLOCKED : SW_STATE_OK, day,
                                                cli_get(&a, "--reason"));
    sw_league *lg = NULL;
    if ((rc = runcfg_league(cfg.data, cli_has(&a, "--lenient"), &lg))) return rc;
    if (ds && (rc = runcfg_date(ds, lg, &day))) {
        sw_league_free(lg);
        return rc;
    }
    if (block || enable) { /* --date next with a decision */
        sw_league_free(lg);
        return manual(&cfg, block ? block : enable, block ? SW_STATE_BLOCKED : SW_STATE_OK, day, cli_get(&a, "--reason"));
    }
    sw_error err;
    sw_error_clear(&err);
    sw_store *st = NULL;
    if (sw_store_open(cfg.db, cfg.busy_timeout_ms, 0, &st, &err)) {
        if (err.code != SW_NOT_FOUND) {
            sw_league_free(lg);
            return cli_fail(&err);
        }
        char m[900];
        sw_error_format(&err, m, sizeof m);
        fprintf(stderr, "swish: warning: performance unavailable: %s\n", m);
        st = NULL;
    }
    sw_monitor_opts o = {.cfg = &cfg, .lg = lg, .models = cfg.models, .store = st, .date = day,
                         .persist = !cli_has(&a, "--dry-run")};
    sw_monitor_result *r = sw_calloc(1, sizeof *r);
    if (!r) {
        sw_store_close(st);
        sw_league_free(lg);
        return cli_failf(SW_NOMEM, "out of memory");
    }
    rc = sw_monitor_run(&o, r, &err);
    sw_store_close(st);
    sw_league_free(lg);
    if (rc) {
        sw_free(r);
        return cli_fail(&err);
    }
    if (!r->drift.available) fprintf(stderr, "swish: warning: drift unavailable: %s\n", r->drift.why);
    if (cli_has(&a, "--json")) {
        sw_jw *w = sw_jw_create(SW_JW_JSON);
        if (!w) {
            sw_free(r);
            return cli_failf(SW_NOMEM, "out of memory");
        }
        sw_jw_shortest(w, 1);
        sw_monitor_json(w, r);
        if ((rc = cli_print_json(w))) {
            sw_free(r);
            return rc;
        }
    } else {
        sw_monitor_print(r, stdout);
    }
    rc = sw_status_exit_code(sw_monitor_status(r));
    sw_free(r);
    return rc;
}
