/* cmd_demo: `swish demo`, the main job end to end from nothing: simulate a
 * league, register the CatBoost V8 model when the shared models are present,
 * retrain the gbdt system and the stack, and run the nightly slate for the
 * first scheduled date.  Each step is the corresponding command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "core/fileio.h"
#include "core/clock.h"

static const cli_opt opts[] = {
    {"--dir", "DIR", "working directory (default: demo): DIR/data, DIR/models, DIR/swish.db", 0},
    {"--seed", "S", "league seed (default 42)", 0},
    {"--seasons", "N", "simulated seasons (default 2)", 0},
    CLI_OPT_THREADS,
    {"--json", NULL, "print the slate as JSON", 0},
};

static int step(const char *title, int (*fn)(int, char **), char **argv)
{
    int argc = 0;
    while (argv[argc]) argc++;
    fprintf(stderr, "\n== %s: swish", title);
    for (int i = 0; i < argc; i++) fprintf(stderr, " %s", argv[i]);
    fprintf(stderr, "\n");
    fflush(stdout);
    return fn(argc, argv);
}

int cmd_demo(int argc, char **argv)
{
    cli_args a = {.usage = "swish demo",
                  .summary = "The main job end to end on a simulated league: simulate, register CatBoost V8 (when\n"
                             "$SWISH_SHARED/models has it), retrain gbdt and the stack, run the slate of the first\n"
                             "scheduled date and print the recommendations.",
                  .opts = opts,
                  .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    const char *dir = cli_get(&a, "--dir") ? cli_get(&a, "--dir") : "demo";
    const char *seed = cli_get(&a, "--seed") ? cli_get(&a, "--seed") : "42";
    const char *seasons = cli_get(&a, "--seasons") ? cli_get(&a, "--seasons") : "2";
    const char *threads = cli_get(&a, "--threads") ? cli_get(&a, "--threads") : "0"; /* the one rule: core/threads.h */
    char data[1100], models[1100], db[1100], cbm[1200];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(models, sizeof models, "%s/models", dir);
    snprintf(db, sizeof db, "%s/swish.db", dir);
    double t0 = sw_clock_now();

    char *sim[] = {"simulate", "--seed", (char *)seed, "--seasons", (char *)seasons, "--out", data, NULL};
    if ((rc = step("simulate a league", cmd_simulate, sim))) return rc;

    const char *shared = getenv("SWISH_SHARED") ? getenv("SWISH_SHARED") : "../shared";
    snprintf(cbm, sizeof cbm, "%s/models/catboost_v8_33features_20260108_211817.cbm", shared);
    if (sw_file_exists(cbm)) {
        /* trained on 2021-11-01 .. 2024-06-01 (ORIGINAL-SYSTEM.md 9.1) */
        char *add[] = {"models", "add", "--system", "catboost_v8", "--version", "v8-20260108-211817",
                       "--train-from", "2021-11-01", "--train-to", "2024-05-31", cbm, "--models", models, NULL};
        if ((rc = step("register the CatBoost V8 model", cmd_models, add))) return rc;
    } else {
        fprintf(stderr, "\n== no CatBoost V8 model at %s: catboost_v8 stays disabled\n", cbm);
    }

    char *re[] = {"retrain", "--data", data, "--models", models, "--threads", (char *)threads, "--promote", NULL};
    if ((rc = step("train the gbdt system and the stack", cmd_retrain, re))) return rc;

    char *sl[] = {"slate", "--date", "next", "--data", data, "--models", models, "--db", db,
                  "--threads", (char *)threads, cli_has(&a, "--json") ? "--json" : NULL, NULL};
    rc = step("the nightly slate", cmd_slate, sl);
    fprintf(stderr, "\n== demo finished in %.1f s (data %s, models %s, database %s)\n", sw_clock_now() - t0, data, models,
            db);
    return rc;
}
