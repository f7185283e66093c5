/* cli: the small option parser and output helpers shared by swish's commands.
 *
 * Each command declares a table of options; the usage line and `--help` are
 * built from it (required options bare, the others in brackets, repeatable
 * ones followed by "..."), so the usage can never drift from what is parsed.
 * An unknown option, a missing value or a missing required option is an error
 * that points to --help.  Errors go to stderr as one line; the exit code comes
 * from the status (core/status.h), whose table ends every --help. */
#ifndef SW_CLI_H
#define SW_CLI_H

#include <stdio.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/status.h"
#include "core/threads.h"

/* cli_opt.flags */
#define CLI_REPEAT 1   /* may be given several times */
#define CLI_REQUIRED 2 /* the command cannot run without it (cli_parse checks) */

typedef struct {
    const char *name;    /* "--model" */
    const char *metavar; /* "FILE"; NULL for a flag */
    const char *help;
    int flags;           /* CLI_REPEAT | CLI_REQUIRED */
} cli_opt;

/* The --threads option, documented the same way by every command. */
#define CLI_THREADS_HELP "threads; " SW_THREADS_RULE " (default 0)"
#define CLI_OPT_THREADS {"--threads", "N", CLI_THREADS_HELP, 0}

#define CLI_MAX_OPTS 40
#define CLI_MAX_REPEAT 64

typedef struct {
    const char *usage;   /* the command and its positional arguments: "swish predict",
                          * "swish model info MODEL"; the options are appended */
    const char *summary; /* one paragraph */
    const cli_opt *opts;
    int n_opts;
    /* results */
    const char *value[CLI_MAX_OPTS];        /* last value (flags: "1") */
    const char *values[CLI_MAX_OPTS][CLI_MAX_REPEAT];
    int count[CLI_MAX_OPTS];
    const char *pos[16];
    int n_pos;
} cli_args;

/* Parse argv (argv[0] is the command name).  Returns 0 to go on, 1 when --help
 * was printed, or an exit code > 1 after printing the error. */
int cli_parse(cli_args *a, int argc, char **argv);
/* The generated usage line(s), "usage: swish predict --model MODEL ...\n". */
void cli_usage_line(const cli_args *a, FILE *fp);
/* The whole --help text: usage, summary, options, exit codes. */
void cli_help(const cli_args *a, FILE *fp);
/* "exit codes:" and the table generated from core/status.h. */
void cli_print_exit_codes(FILE *fp);
const char *cli_get(const cli_args *a, const char *name);
int cli_has(const cli_args *a, const char *name);
/* Every value of a repeatable option (count in *n); NULL when not in the table. */
const char *const *cli_all(const cli_args *a, const char *name, int *n);
/* Required option: prints "missing --x" and returns NULL when absent. */
const char *cli_need(const cli_args *a, const char *name);
/* Integer / float options with range; print an error naming the option. */
int cli_int(const cli_args *a, const char *name, long def, long lo, long hi, long *out);
int cli_double(const cli_args *a, const char *name, double def, double *out);
/* --threads N (0..SW_THREADS_MAX), `def` when absent, resolved by the one rule
 * of core/threads.h: *out is always >= 1. */
int cli_threads(const cli_args *a, long def, int *out);

/* Print "swish: <formatted error>" on stderr and return the exit code. */
int cli_fail(const sw_error *err);
int cli_failf(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Finish a JSON writer, print its text and a newline on stdout and free it
 * (NULL: out of memory).  0, or the exit code of the error it printed. */
int cli_print_json(sw_jw *w);

#endif
