/* swish: the command-line entry point.  Each command lives in its own
 * tools/cmd_<name>.c and is a thin layer over the library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/version.h"

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} command;

static const command commands[] = {
    {"model", cmd_model, "inspect a model file (model info MODEL)"},
    {"predict", cmd_predict, "score a CSV with an XGBoost, CatBoost or swish model"},
    {"train", cmd_train, "train gradient-boosted trees on a CSV"},
    {"features", cmd_features, "build or explain the v2 features from raw NBA data"},
    {"simulate", cmd_simulate, "write a synthetic league in the data schema"},
    {"slate", cmd_slate, "the nightly run: score a date's slate, store the calls"},
    {"retrain", cmd_retrain, "train the gbdt system and the stack, register them"},
    {"models", cmd_models, "the model store: list, add, promote, rollback"},
    {"config", cmd_config, "print the effective configuration, documented"},
    {"grade", cmd_grade, "grade stored predictions against the box scores"},
    {"metrics", cmd_metrics, "hit rates, errors, ROI and calibration of graded predictions"},
    {"backtest", cmd_backtest, "walk-forward backtest with scheduled retraining"},
    {"report", cmd_report, "a self-contained HTML report of a database"},
    {"demo", cmd_demo, "the main job end to end on a simulated league"},
};

static void usage(FILE *fp)
{
    fprintf(fp, "swish %s: NBA player-points prediction engine\n\nusage: swish COMMAND [options]\n\ncommands:\n",
            sw_version());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(fp, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "  %-12s %s\n", "help", "help CMD [SUB]: the same as swish CMD [SUB] --help");
    fprintf(fp, "  %-12s %s\n", "version", "print the version (also swish --version)");
    fprintf(fp, "\n'swish COMMAND --help' describes each command.\n");
    cli_print_exit_codes(fp);
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0) return &commands[i];
    return NULL;
}

static int cmd_version(int argc, char **argv)
{
    cli_args a = {.usage = "swish version", .summary = "Print swish's version: release+commit it was built from."};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    if (a.n_pos) return cli_failf(SW_ARG, "version takes no arguments");
    printf("swish %s\n", sw_version());
    return 0;
}

/* swish help [CMD [SUB]]: CMD [SUB] --help */
static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "version")) {
        char *v[] = {"version", "--help", NULL};
        return cmd_version(2, v);
    }
    if (!strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    const command *c = find_command(argv[1]);
    if (!c) return cli_failf(SW_ARG, "help: unknown command '%s' (swish --help lists them)", argv[1]);
    if (argc > 3) return cli_failf(SW_ARG, "usage: swish help COMMAND [SUBCOMMAND]");
    char *v[4] = {argv[1], NULL, NULL, NULL};
    int n = 1;
    if (argc == 3) v[n++] = argv[2];
    v[n++] = "--help";
    return c->fn(n, v);
}

/* libgomp decides how long idle workers spin before sleeping when it loads, from
 * OMP_WAIT_POLICY / GOMP_SPINCOUNT; its default on small VMs (1000 spins) puts
 * the workers to sleep between the short parallel phases of tree growth and
 * costs a third of the training time at 2 threads.  Commands that train
 * re-execute swish once with a spin count of 300000 unless the user chose a
 * policy. */
static void tune_openmp(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") || getenv("SWISH_OMP_TUNED")) return;
    setenv("GOMP_SPINCOUNT", "300000", 1);
    setenv("SWISH_OMP_TUNED", "1", 1);
    execv("/proc/self/exe", argv); /* returns only on failure: carry on untuned */
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "train") == 0 || strcmp(argv[1], "retrain") == 0 ||
                      strcmp(argv[1], "backtest") == 0 || strcmp(argv[1], "demo") == 0))
        tune_openmp(argv);
    if (argc < 2) {
        usage(stderr);
        return sw_status_exit_code(SW_ARG);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("swish %s\n", sw_version());
        return 0;
    }
    if (strcmp(argv[1], "version") == 0) return cmd_version(argc - 1, argv + 1);
    if (strcmp(argv[1], "help") == 0) return cmd_help(argc - 1, argv + 1);
    const command *c = find_command(argv[1]);
    if (c) return c->fn(argc - 1, argv + 1);
    return cli_failf(SW_ARG, "unknown command '%s' (swish --help lists them)", argv[1]);
}
