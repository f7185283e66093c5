/* runcfg: what the pipeline commands (slate, retrain, models, demo) share:
 * the configuration with its command-line overrides, loading a data
 * directory with its warnings, and dates given as YYYY-MM-DD or "next". */
#ifndef SW_RUNCFG_H
#define SW_RUNCFG_H

#include "cli.h"
#include "features/league.h"
#include "pipeline/config.h"

/* Options every pipeline command accepts, for their option tables. */
#define RUNCFG_OPTS                                                                                        \
    {"--config", "FILE", "configuration file (default: $SWISH_CONFIG; see 'swish config')", 0},            \
        {"--data", "DIR", "data directory (overrides paths.data)", 0},                                     \
        {"--models", "DIR", "model store (overrides paths.models)", 0},                                    \
        {"--threads", "N", "threads (overrides slate.threads)", 0}

/* Defaults, the file, the environment, then --data/--db/--models/--threads.
 * Returns 0 or an exit code after printing the error. */
int runcfg_load(const cli_args *a, sw_config *c);
/* The configuration as text (stored with each run). */
char *runcfg_text(const sw_config *c);
/* Load the league, printing its warnings on stderr. */
int runcfg_league(const char *dir, int lenient, sw_league **lg);
/* "YYYY-MM-DD", or "next": the first date with games after the last played. */
int runcfg_date(const char *s, const sw_league *lg, int *day);

#endif
