/* runcfg: what the pipeline commands (slate, retrain, nightly, serve, grade,
 * backtest, report, monitor, models, alert, config) share:
 * the configuration with its command-line overrides, loading a data
 * directory with its warnings, and dates given as YYYY-MM-DD or "next". */
#ifndef SW_RUNCFG_H
#define SW_RUNCFG_H

#include "cli.h"
#include "features/league.h"
#include "pipeline/config.h"

/* Options of the pipeline commands, for their option tables: each command
 * lists the ones it uses (RUNCFG_OPTS: all four). */
#define RUNCFG_OPT_CONFIG {"--config", "FILE", "configuration file (default: $SWISH_CONFIG; see 'swish config')", 0}
#define RUNCFG_OPT_DATA {"--data", "DIR", "data directory (overrides paths.data)", 0}
#define RUNCFG_OPT_MODELS {"--models", "STORE", "model store: DIR, file://DIR, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX (overrides paths.models)", 0}
#define RUNCFG_OPT_THREADS {"--threads", "N", "threads (overrides slate.threads); " SW_THREADS_RULE " (default 0)", 0}
#define RUNCFG_OPTS RUNCFG_OPT_CONFIG, RUNCFG_OPT_DATA, RUNCFG_OPT_MODELS, RUNCFG_OPT_THREADS

/* Defaults, the file, the environment, then --data/--db/--models/--threads;
 * threads resolved by the rule of core/threads.h (c->threads >= 1).
 * Returns 0 or an exit code after printing the error. */
/* Remember the command line (the model store's history names it). */
void runcfg_command(int argc, char **argv);
/* Load the configuration (--config, SWISH_CONFIG, the environment, the options)
 * and hand its [storage] settings to the model store. */
int runcfg_load(const cli_args *a, sw_config *c);
/* The same with slate.threads as configured (0 stays 0): for `swish config`. */
int runcfg_load_unresolved(const cli_args *a, sw_config *c);
/* The configuration as text (stored with each run). */
char *runcfg_text(const sw_config *c);
/* Load the league, printing its warnings on stderr. */
int runcfg_league(const char *dir, int lenient, sw_league **lg);
/* "YYYY-MM-DD", or "next": the first date with games after the last played
 * (SW_NO_GAMES when there is none). */
int runcfg_date(const char *s, const sw_league *lg, int *day);
/* The first date with games after the last played, or -1. */
int runcfg_next_day(const sw_league *lg);

#endif
