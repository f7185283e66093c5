/* cli: the small option parser and output helpers shared by swish's commands.
 *
 * Each command declares a table of options; `--help` prints the usage built
 * from it; an unknown option or a missing value is an error that lists the
 * valid options.  Errors go to stderr as one line; the exit code comes from
 * the status (core/status.h). */
#ifndef SW_CLI_H
#define SW_CLI_H

#include <stdio.h>

#include "core/status.h"

typedef struct {
    const char *name;    /* "--model" */
    const char *metavar; /* "FILE"; NULL for a flag */
    const char *help;
    int repeat;          /* may be given several times */
} cli_opt;

#define CLI_MAX_OPTS 40
#define CLI_MAX_REPEAT 64

typedef struct {
    const char *usage;   /* "swish predict --model MODEL --input IN.csv [options]" */
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
const char *cli_get(const cli_args *a, const char *name);
int cli_has(const cli_args *a, const char *name);
/* Required option: prints "missing --x" and returns NULL when absent. */
const char *cli_need(const cli_args *a, const char *name);
/* Integer / float options with range; print an error naming the option. */
int cli_int(const cli_args *a, const char *name, long def, long lo, long hi, long *out);
int cli_double(const cli_args *a, const char *name, double def, double *out);

/* Print "swish: <formatted error>" on stderr and return the exit code. */
int cli_fail(const sw_error *err);
int cli_failf(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Monotonic seconds. */
double cli_now(void);

#endif
