/* swish: the command-line entry point.  Each command lives in its own
 * tools/cmd_<name>.c and is a thin layer over the library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"

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
    fprintf(fp, "swish: NBA player-points prediction engine\n\nusage: swish COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(fp, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\n'swish COMMAND --help' describes each command.\n");
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
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "swish: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
