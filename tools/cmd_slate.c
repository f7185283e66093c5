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
#include "slatejob.h"
#include "core/clock.h"

static void say(void *ctx, const char *kind, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "swish: %s: %s\n", kind, msg);
}

static const cli_opt opts[] = {
    {"--date", "DATE", "game date (YYYY-MM-DD, or 'next': the first date after the last played)", CLI_REQUIRED},
    {"--db", "DB", "SQLite file or postgresql:// URL (overrides paths.db)", 0},
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
    double t0 = sw_clock_now();
    sw_league *lg = NULL;
    if ((rc = runcfg_league(cfg.data, cli_has(&a, "--lenient"), &lg))) return rc;
    double t_load = sw_clock_now() - t0;
    int day;
    if ((rc = runcfg_date(ds, lg, &day))) {
        sw_league_free(lg);
        return rc;
    }
    sw_error err;
    sw_error_clear(&err);
    char *text = cli_has(&a, "--no-store") ? NULL : runcfg_text(&cfg);
    slatejob j;
    rc = slatejob_run(&cfg, lg, day, !cli_has(&a, "--no-store"), text, say, NULL, &j, &err);
    free(text);
    if (rc) {
        sw_league_free(lg);
        return cli_fail(&err);
    }
    const sw_slate *s = j.slate;
    const sw_store_result res = j.res;
    const sw_grade_result regraded = j.regraded;
    double t_models = j.t_models;
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
    if (res.run_id)
        fprintf(stderr, "; stored run %ld in %s: %ld predictions, %ld replaced (%.1f ms)\n", res.run_id, cfg.db,
                res.predictions, res.replaced, 1e3 * res.seconds);
    else
        fprintf(stderr, "; not stored\n");
    if (res.grades_cleared)
        fprintf(stderr, "swish: %s: the replaced rows had %ld grades; the new rows were graded: %ld graded, %ld pending\n",
                ds, res.grades_cleared, regraded.graded, regraded.pending);
    rc = slatejob_exit(&j);
    slatejob_free(&j);
    sw_league_free(lg);
    return rc;
}
