/* cmd_retrain: `swish retrain`, the weekly training of the gbdt system and
 * the stacked meta-model. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/date.h"
#include "core/fileio.h"
#include "pipeline/models.h"
#include "pipeline/registry.h"
#include "pipeline/retrain.h"
#include "retrainjob.h"
#include "runcfg.h"

static const cli_opt opts[] = {
    {"--until", "DATE", "train on games strictly before this date (default: every played game)", 0},
    RUNCFG_OPTS,
    {"--promote", NULL, "make the new versions champions (automatic when a system has none)", 0},
    {"--if-due", NULL,
     "only when the schedule says so (retrain.every_days after the newest gbdt version, from retrain.at); the new "
     "versions then go where retrain.new_versions says (shadow: a rollout, compared by its gates)",
     0},
    {"--now", "YYYY-MM-DDTHH:MM:SSZ", "the time --if-due judges the schedule at (default: the clock)", 0},
    {"--json", NULL, "print the summary as JSON", 0},
    {"--lenient", NULL, "skip and count bad input rows instead of failing", 0},
};

int cmd_retrain(int argc, char **argv)
{
    cli_args a = {
        .usage = "swish retrain",
        .summary = "Train the gbdt system (mean model and 10%/90% quantile models) on every played game before\n"
                   "the cut-off, with early stopping on the latest 15% of dates, then the stacked meta-model\n"
                   "(Ridge over the systems' out-of-fold predictions), and register both in the model store\n"
                   "with their manifests (training window, features, metrics, sha256).\n\n"
                   "With --if-due it does nothing when no retrain is due (exit 0, saying when the next one is),\n"
                   "else retrains as of the run date and places the versions by retrain.new_versions: shadow\n"
                   "(default; scored beside the champions, promoted only by a passed rollout gate), champion, or\n"
                   "none.  A rollout in progress is never replaced by a schedule.",
        .opts = opts,
        .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    sw_config cfg;
    if ((rc = runcfg_load(&a, &cfg))) return rc;
    sw_league *lg = NULL;
    if ((rc = runcfg_league(cfg.data, cli_has(&a, "--lenient"), &lg))) return rc;
    int first, last, last_sched, until;
    sw_league_date_range(lg, &first, &last, &last_sched);
    until = last + 1;
    const char *us = cli_get(&a, "--until");
    if (us && (rc = runcfg_date(us, lg, &until))) {
        sw_league_free(lg);
        return rc;
    }
    sw_error err;
    sw_error_clear(&err);
    retrainjob j;
    const char *mode = cli_has(&a, "--promote") ? "champion" : "none";
    if (cli_has(&a, "--if-due")) {
        int64_t now = (int64_t)time(NULL);
        const char *ns = cli_get(&a, "--now");
        if (ns && sw_datetime_parse(ns, strlen(ns), &now)) {
            sw_league_free(lg);
            return cli_failf(SW_ARG, "--now: '%s' is not YYYY-MM-DDTHH:MM:SSZ", ns);
        }
        if ((rc = retrainjob_due(&cfg, now, &j, &err))) {
            sw_league_free(lg);
            return cli_fail(&err);
        }
        if (!j.due) {
            sw_league_free(lg);
            fprintf(stderr, "swish: retrain: not due: %s\n", j.why);
            if (cli_has(&a, "--json")) {
                sw_jw *w = sw_jw_create(SW_JW_JSON);
                sw_jw_obj_begin(w);
                sw_jw_kbool(w, "due", 0);
                sw_jw_kstr(w, "why", j.why);
                if (j.next_due) {
                    char nd[21];
                    sw_datetime_format(j.next_due, nd);
                    sw_jw_kstr(w, "next_due", nd);
                }
                sw_jw_obj_end(w);
                return cli_print_json(w);
            }
            return 0;
        }
        fprintf(stderr, "swish: retrain: due: %s\n", j.why);
        if (!cli_has(&a, "--promote")) mode = NULL; /* retrain.new_versions */
    }
    rc = retrainjob_run(&cfg, lg, until, mode, stderr, &j, &err);
    sw_league_free(lg);
    if (rc) return cli_fail(&err);
    if (j.refused[0]) fprintf(stderr, "swish: warning: %s\n", j.refused);
    const sw_retrain_report rep = j.rep;
    if (cli_has(&a, "--json")) {
        sw_jw *w = sw_jw_create(SW_JW_JSON);
        if (!w) return cli_failf(SW_NOMEM, "out of memory");
        sw_jw_shortest(w, 1);
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "gbdt_version", rep.gbdt_version);
        sw_jw_kstr(w, "stack_version", rep.stack_version);
        sw_jw_kstr(w, "from", rep.from);
        sw_jw_kstr(w, "to", rep.to);
        sw_jw_kint(w, "rows", rep.rows);
        sw_jw_kint(w, "rows_train", rep.rows_train);
        sw_jw_kint(w, "rows_valid", rep.rows_valid);
        sw_jw_kint(w, "rows_stack", rep.rows_stack);
        sw_jw_kint(w, "trees", rep.trees);
        if (rep.best_iteration >= 0) sw_jw_kint(w, "best_iteration", rep.best_iteration);
        else sw_jw_knull(w, "best_iteration");
        sw_jw_kf64(w, "valid_mae", rep.valid_mae);
        sw_jw_kf64(w, "valid_rmse", rep.valid_rmse);
        sw_jw_kf64(w, "valid_within_3", rep.valid_within3);
        sw_jw_kf64(w, "valid_within_5", rep.valid_within5);
        sw_jw_kf64(w, "valid_interval_coverage", rep.interval_coverage);
        sw_jw_kint(w, "valid_lined_rows", rep.valid_lines);
        sw_jw_kf64(w, "valid_mae_lined", rep.valid_mae_lined);
        sw_jw_kf64(w, "valid_line_mae", rep.line_mae);
        sw_jw_kf64(w, "stack_mae", rep.stack_mae);
        sw_jw_key(w, "stack_systems");
        sw_jw_obj_begin(w);
        for (int q = 0; q < rep.stack_k; q++) sw_jw_kf64(w, sw_system_name(rep.stack_sys[q]), rep.sys_mae[q]);
        sw_jw_obj_end(w);
        sw_jw_kf64(w, "seconds", round(rep.seconds * 1e3) / 1e3);
        sw_jw_kstr(w, "placed", j.placed);
        if (j.refused[0]) sw_jw_kstr(w, "refused", j.refused);
        sw_jw_obj_end(w);
        return cli_print_json(w);
    } else {
        printf("gbdt   %s  (%d trees; validation MAE %.3f on %ld rows; on the %ld with a line %.3f vs the line's "
               "own %.3f)\n",
               rep.gbdt_version, rep.trees, rep.valid_mae, rep.rows_valid, rep.valid_lines, rep.valid_mae_lined,
               rep.line_mae);
        printf("stack  %s  (out-of-fold MAE %.3f on %ld rows)\n", rep.stack_version, rep.stack_mae, rep.rows_stack);
        printf("models in %s (%s); %.1f s\n", cfg.models, j.placed, rep.seconds);
    }
    return 0;
}
