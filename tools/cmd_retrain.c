/* cmd_retrain: `swish retrain`, the weekly training of the gbdt system and
 * the stacked meta-model. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/date.h"
#include "core/fileio.h"
#include "pipeline/models.h"
#include "pipeline/registry.h"
#include "pipeline/retrain.h"
#include "runcfg.h"

static const cli_opt opts[] = {
    {"--until", "DATE", "train on games strictly before this date (default: every played game)", 0},
    RUNCFG_OPTS,
    {"--promote", NULL, "make the new versions champions (automatic when a system has none)", 0},
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
                   "with their manifests (training window, features, metrics, sha256).",
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
    /* catboost_v8, when registered, is one of the stack's inputs */
    sw_config only_cb = cfg;
    for (int k = 0; k < SW_SYS_COUNT; k++) only_cb.systems[k] = k == SW_SYS_CATBOOST_V8 && cfg.systems[k];
    sw_models cb;
    sw_error err;
    sw_error_clear(&err);
    /* (a first retrain creates the store); catboost_v8 must be trained before the cut-off too */
    memset(&cb, 0, sizeof cb);
    int have = sw_registry_exists(cfg.models, &err); /* a directory or a bucket; SW_NET stops here */
    if ((have != SW_OK && have != SW_NOT_FOUND) ||
        (have == SW_OK && sw_models_load(&only_cb, cfg.models, until, &cb, &err))) {
        sw_league_free(lg);
        return cli_fail(&err);
    }
    sw_error_clear(&err);
    if (cb.degraded)
        for (int i = 0; i < cb.n_warnings; i++) fprintf(stderr, "swish: warning: %s\n", cb.warnings[i]);
    for (int i = 0; i < cb.n_notes; i++) fprintf(stderr, "swish: note: %s\n", cb.notes[i]);
    sw_retrain_opts o = {.until = until, .cfg = &cfg, .models_dir = cfg.models, .promote = cli_has(&a, "--promote"),
                         .catboost = cb.sys[SW_SYS_CATBOOST_V8], .log = stderr};
    sw_retrain_report rep;
    rc = sw_retrain(lg, &o, &rep, &err);
    sw_models_free(&cb);
    sw_league_free(lg);
    if (rc) return cli_fail(&err);
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
        for (int j = 0; j < rep.stack_k; j++) sw_jw_kf64(w, sw_system_name(rep.stack_sys[j]), rep.sys_mae[j]);
        sw_jw_obj_end(w);
        sw_jw_kf64(w, "seconds", round(rep.seconds * 1e3) / 1e3);
        sw_jw_obj_end(w);
        return cli_print_json(w);
    } else {
        printf("gbdt   %s  (%d trees; validation MAE %.3f on %ld rows; on the %ld with a line %.3f vs the line's "
               "own %.3f)\n",
               rep.gbdt_version, rep.trees, rep.valid_mae, rep.rows_valid, rep.valid_lines, rep.valid_mae_lined,
               rep.line_mae);
        printf("stack  %s  (out-of-fold MAE %.3f on %ld rows)\n", rep.stack_version, rep.stack_mae, rep.rows_stack);
        printf("models in %s; %.1f s\n", cfg.models, rep.seconds);
    }
    return 0;
}
