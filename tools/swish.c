/* swish: the command-line entry point.  Each command lives in its own
 * tools/cmd_<name>.c and is a thin layer over the library. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/clock.h"
#include "runcfg.h"
#include "core/version.h"

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} command;

static const command commands[] = {
    {"model", cmd_model, "inspect or convert a model file (model info MODEL, model convert IN OUT)"},
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
    {"nightly", cmd_nightly, "the whole night: grade, gates, monitor, retrain if due, slate; alerts"},
    {"serve", cmd_serve, "the prediction service: Pub/Sub push, predict API, health and metrics"},
    {"monitor", cmd_monitor, "drift, performance states and data freshness of the unattended run"},
    {"alert", cmd_alert, "alerts to Slack or a webhook: alert test sends a test alert"},
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

/* libgomp reads its wait policy once, when it loads: a thread that waits (a worker
 * between parallel regions, any thread at a barrier) spins GOMP_SPINCOUNT times
 * before it sleeps; the default is 300000 spins, meant as 3 ms, but one spin is a
 * pause instruction of 30 to 140 ns on the 2-vCPU EPYC VM: 9 to 42 ms.  Sleeping at
 * once (passive) cost 70% of the training time on an idle VM (workers woken 35 times
 * per tree then; 24 now), while long spins on a shared machine take the CPU that the
 * thread with work needs (retrain beside two busy processes on two cores: 3.8 ->
 * 65 s).  So swish re-executes itself once with a policy chosen from the machine's
 * load when it starts: passive when other threads are runnable (at least one per
 * four CPUs), else a spin of about 50 us timed on this CPU (as fast as the long spin
 * alone, and little CPU lost if the load comes later).  OMP_WAIT_POLICY or
 * GOMP_SPINCOUNT set by the user wins (DESIGN.md, Threads). */
static int own_runnable(void) /* this process's running threads (OpenBLAS starts some) */
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *fp = e->d_name[0] != '.' ? fopen(path, "r") : NULL;
        if (!fp) continue;
        size_t len = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
        buf[len] = 0;
        const char *p = strrchr(buf, ')'); /* "tid (comm) S ..." */
        n += p && p[1] == ' ' && p[2] == 'R';
    }
    if (d) closedir(d);
    return n > 0 ? n : 1;
}

static int others_runnable(void)
{
    int least = 1 << 30;
    for (int k = 0; k < 3; k++) { /* the fewest of three looks, 2 ms apart: a busy */
        FILE *fp = fopen("/proc/loadavg", "r"); /* process is in every one, the shell */
        int running = 1, total = 0;               /* that started swish in one at most */
        if (!fp) return 0;
        if (fscanf(fp, "%*f %*f %*f %d/%d", &running, &total) != 2) running = 1;
        fclose(fp);
        int others = running - own_runnable();
        if (others < least) least = others;
        if (k < 2) usleep(2000);
    }
    return least > 0 ? least : 0;
}

static long spins_per(double seconds)
{
#if defined(__x86_64__) || defined(__i386__)
    double best = 1.0; /* seconds per pause: the fastest of three timings */
    for (int k = 0; k < 3; k++) {
        double a = sw_clock_now();
        for (int i = 0; i < 256; i++) __builtin_ia32_pause();
        double t = (sw_clock_now() - a) / 256;
        if (t > 0 && t < best) best = t;
    }
    long n = (long)(seconds / best);
    return n < 100 ? 100 : n > 100000 ? 100000 : n;
#else
    return (long)(seconds * 1e8); /* libgomp's estimate: 100000 spins per ms */
#endif
}

static void tune_openmp(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") || getenv("SWISH_OMP_TUNED")) return;
    char spins[32] = "0";
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (4 * others_runnable() < (cpus > 0 ? cpus : 1)) snprintf(spins, sizeof spins, "%ld", spins_per(50e-6));
    setenv("GOMP_SPINCOUNT", spins, 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 0); /* swish calls BLAS on one thread: no idle pool */
    setenv("SWISH_OMP_TUNED", "1", 1);
    execv("/proc/self/exe", argv); /* returns only on failure: carry on with libgomp's default */
}

int main(int argc, char **argv)
{
    if (argc >= 2) tune_openmp(argv); /* every command: all but a few run parallel regions */
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
    runcfg_command(argc, argv); /* for the model store's history */
    if (c) return c->fn(argc - 1, argv + 1);
    return cli_failf(SW_ARG, "unknown command '%s' (swish --help lists them)", argv[1]);
}
