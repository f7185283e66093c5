/* swish: the command-line entry point.  Each command lives in its own
 * tools/cmd_<name>.c and is a thin layer over the library. */
#include <stdio.h>
#include <string.h>

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
};

static void usage(FILE *fp)
{
    fprintf(fp, "swish: NBA player-points prediction engine\n\nusage: swish COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(fp, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\n'swish COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
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
