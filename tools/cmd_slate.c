/* cmd_slate: `swish slate`, the nightly run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/date.h"
#include "pipeline/grade.h"
#include "pipeline/models.h"
#include "pipeline/slate.h"
#include "pipeline/store.h"
#include "runcfg.h"

static const cli_opt opts[] = {
    {"--date", "DATE", "game date (YYYY-MM-DD, or 'next': the first date after the last played)", CLI_REQUIRED},
    {"--db", "FILE", "SQLite database (overrides paths.db)", 0},
    RUNCFG_OPTS,
    {"--json", NULL, "print the slate as JSON instead of a table", 0},
    {"--no-store", NULL, "do not write the database", 0},
    {"--lenient", NULL, "skip and count bad input rows instead of failing", 0},
};

int cmd_slate(int argc, char **argv)
{
    cli_args a = {
        .usage = "swish slate",
        .summary =
            "Score every player expected on the date with the enabled systems (moving_average, zone_matchup,\n"
            "similarity, rules_ensemble, gbdt, catboost_v8), combine them into one call per player\n"
            "(OVER, UNDER, PASS or NO_LINE, confidence 0-100, the reason), print the slate and store it\n"
            "in the database as one run: re-running a date replaces its rows (one prediction per player\n"
            "and system; the replaced rows are kept for audit) and re-grades them; an interrupted run\n"
            "leaves the previous results intact.\n\n"
            "No look-ahead: each model system serves its champion when it was trained only on games\n"
            "before the date, else the newest registered version that was ('swish retrain --until D'\n"
            "makes one); a system without such a version is refused with a warning (exit 1, as for a\n"
            "missing or corrupt model file) and the others still score the slate.\n\n"
            "Rollout: a version in shadow or canary ('swish models rollout') is scored on every player\n"
            "beside its champion and stored apart (<system>.rollout, final.champion, final.rollout);\n"
            "the served call (final) is the rollout's for the canary's share of player-games, chosen by a\n"
            "stable hash of player and date, and the champions' elsewhere; a shadow version is never served.\n\n"
            "A remote model store that cannot be reached is served from the verified local cache with a\n"
            "warning and exit 16 (which takes precedence over exit 1).",
        .opts = opts,
        .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    const char *ds = cli_need(&a, "--date");
    if (!ds) return 2;
    sw_config cfg;
    if ((rc = runcfg_load(&a, &cfg))) return rc;
    double t0 = cli_now();
    sw_league *lg = NULL;
    if ((rc = runcfg_league(cfg.data, cli_has(&a, "--lenient"), &lg))) return rc;
    double t_load = cli_now() - t0;
    int day;
    if ((rc = runcfg_date(ds, lg, &day))) {
        sw_league_free(lg);
        return rc;
    }
    sw_error err;
    sw_error_clear(&err);
    /* the models first: a store that does not exist stops the run before anything is stored */
    double t1 = cli_now();
    sw_models models;
    if (sw_models_load(&cfg, cfg.models, day, &models, &err)) {
        sw_league_free(lg);
        return cli_fail(&err);
    }
    for (int i = 0; i < models.n_warnings; i++) fprintf(stderr, "swish: warning: %s\n", models.warnings[i]);
    for (int i = 0; i < models.n_notes; i++) fprintf(stderr, "swish: note: %s\n", models.notes[i]);
    double t_models = cli_now() - t1;
    sw_store *st = NULL;
    if (!cli_has(&a, "--no-store") && sw_store_open(cfg.db, cfg.busy_timeout_ms, 1, &st, &err)) {
        sw_models_free(&models);
        sw_league_free(lg);
        return cli_fail(&err);
    }
    sw_slate_opts so = {.date = day, .cfg = &cfg, .stack = models.has_stack ? &models.stack : NULL,
                        .stack_version = models.stack_version, .stack_trained_to = models.stack_trained_to};
    memcpy(so.systems, models.sys, sizeof so.systems);
    memcpy(so.cand, models.cand, sizeof so.cand);
    memcpy(so.cand_share, models.cand_share, sizeof so.cand_share);
    if (models.has_cand_stack) {
        so.cand_stack = &models.cand_stack;
        so.cand_stack_version = models.cand_stack_version;
        so.cand_stack_trained_to = models.cand_stack_trained_to;
        so.cand_stack_share = models.cand_stack_share;
    }
    sw_slate *s = NULL;
    if (sw_slate_run(lg, &so, &s, &err)) {
        sw_models_free(&models);
        sw_store_close(st);
        sw_league_free(lg);
        return cli_fail(&err);
    }
    for (int i = 0; i < s->n_warnings; i++) fprintf(stderr, "swish: warning: %s\n", s->warnings[i]);
    sw_store_result res = {0};
    sw_grade_result regraded = {0};
    if (st) {
        char *text = runcfg_text(&cfg);
        rc = sw_store_write_slate(st, s, lg, text, &res, &err);
        free(text);
        /* the replaced rows' grades went with them: grade the new rows the same way */
        if (rc == SW_OK && res.grades_cleared) rc = sw_grade_date(st, lg, day, &regraded, &err);
        if (rc) {
            sw_slate_free(s);
            sw_models_free(&models);
            sw_store_close(st);
            sw_league_free(lg);
            return cli_fail(&err);
        }
    }
    if (cli_has(&a, "--json")) sw_slate_print_json(s, lg, stdout);
    else sw_slate_print(s, lg, stdout);
    long calls[4] = {0};
    for (long i = 0; i < s->n; i++) calls[s->rows[i].call]++;
    fprintf(stderr,
            "swish: %s: %ld players (%ld OVER, %ld UNDER, %ld PASS, %ld NO_LINE); load %.0f ms, models %.1f ms, "
            "features %.1f ms, systems %.1f ms, combine %.1f ms, drivers %.1f ms",
            ds, s->n, calls[0], calls[1], calls[2], calls[3], 1e3 * t_load, 1e3 * t_models, 1e3 * s->t_features,
            1e3 * (s->t_total - s->t_features - s->t_select - s->t_combine - s->t_explain), 1e3 * s->t_combine,
            1e3 * s->t_explain);
    if (st)
        fprintf(stderr, "; stored run %ld in %s: %ld predictions, %ld replaced (%.1f ms)\n", res.run_id, cfg.db,
                res.predictions, res.replaced, 1e3 * res.seconds);
    else
        fprintf(stderr, "; not stored\n");
    if (res.grades_cleared)
        fprintf(stderr, "swish: %s: the replaced rows had %ld grades; the new rows were graded: %ld graded, %ld pending\n",
                ds, res.grades_cleared, regraded.graded, regraded.pending);
    int degraded = models.degraded || s->refused, offline = models.offline;
    sw_slate_free(s);
    sw_models_free(&models);
    sw_store_close(st);
    sw_league_free(lg);
    /* served from the cache: said by the loader's warning above; it outranks a partial run */
    if (offline) return sw_status_exit_code(SW_OFFLINE);
    return degraded ? sw_status_exit_code(SW_DEGRADED) : 0;
}
