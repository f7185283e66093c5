/* bench_store: the nightly slate with its model store on a local directory and
 * on an S3 server (the real @20minutes/s3rver 4.0.4 on loopback, started by
 * the bench): cold (empty cache: every model file downloaded and verified)
 * and warm (from the cache, the pointers and manifests fetched again).  Each
 * run is `swish slate --no-store --json` of the 450-player night; reported:
 * the wall time of the command and the "models" time it prints (loading and
 * verifying the versions), medians over interleaved runs, and the difference
 * to the directory.  Target: warm within 10 ms of the directory, judged on the
 * models time (what the store changes; the wall time's CSV loading varies by
 * tens of ms between runs).  Every run's
 * slate rows must be the same bytes. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "core/hash.h"
#include "core/clock.h"

static pid_t g_server;

static void stop_server(void)
{
    if (g_server > 0) {
        kill(g_server, SIGKILL);
        waitpid(g_server, NULL, 0);
        g_server = 0;
    }
}

/* node tests/s3/s3rver.js on a free port; its port, or -1. */
static int start_s3rver(const char *dir, const char *bucket)
{
    int fd[2];
    if (pipe(fd)) return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(0);
        dup2(fd[1], 1);
        close(fd[0]);
        execlp("node", "node", "--openssl-legacy-provider", "tests/s3/s3rver.js", "--port", "0", "--dir", dir, "--bucket", bucket, "--access-key",
               "BENCHKEY", "--secret", "benchsecret", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    g_server = pid;
    FILE *fp = fdopen(fd[0], "r");
    char line[128] = "";
    int port = -1;
    if (fp && fgets(line, sizeof line, fp) && sscanf(line, "PORT %d", &port) != 1) port = -1;
    if (fp) fclose(fp);
    return port;
}

typedef struct {
    double wall[5], models_ms[5];
    char sum[65];
} runs;

/* One slate: wall seconds and the "models N ms" it reports; the output's sha256. */
static int slate_once(const char *cmd, const char *errf, double *wall, double *models_ms, char sum[65])
{
    double t0 = sw_clock_now();
    char *out = bench_capture(cmd);
    *wall = sw_clock_now() - t0;
    if (!out) return 1;
    const char *rows = strstr(out, "\"rows\":"); /* all but the timings */
    if (!rows) rows = out;
    sw_sha256_hex(rows, strlen(rows), sum);
    free(out);
    FILE *fp = fopen(errf, "r");
    char buf[8192];
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp) fclose(fp);
    buf[n] = 0;
    const char *m = strstr(buf, ", models ");
    *models_ms = m ? atof(m + 9) : -1;
    return m ? 0 : 1;
}

int bench_store(const bench_ctx *c)
{
    char dir[512], data[1024], models[1024], nconf[1024], ds[11], cmd[8192];
    snprintf(dir, sizeof dir, "%s/store", c->tmp);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/s3 %s/cache", dir, dir);
    if (system(cmd) != 0) return 1;
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (bench_night_setup(c, dir, threads > 0 ? threads : 1, data, models, nconf, ds)) return 1;
    char s3dir[700];
    snprintf(s3dir, sizeof s3dir, "%s/s3", dir);
    int port = start_s3rver(s3dir, "bench");
    if (port <= 0) {
        fprintf(stderr, "bench store: could not start s3rver (make deps installs it under tests/s3)\n");
        stop_server();
        return 1;
    }
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", port);
    setenv("AWS_ACCESS_KEY_ID", "BENCHKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "benchsecret", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ENDPOINT_URL", endpoint, 1);
    const char *swish = bench_swish_bin();
    snprintf(cmd, sizeof cmd, "%s models sync %s s3://bench/models > %s/sync.log 2>&1", swish, models, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench store: models sync failed (%s/sync.log)\n", dir);
        stop_server();
        return 1;
    }
    char machine[512];
    bench_machine(machine, sizeof machine);
    int reps = c->quick ? 3 : 5;
    printf("== model store: the 450-player slate with its models on a directory and on S3 (s3rver 4.0.4 on "
           "loopback), median of %d interleaved runs; %s ==\n",
           reps, machine);
    static const char *const names[3] = {"directory", "s3, cold (download + verify)", "s3, warm (cache)"};
    runs r[3];
    memset(r, 0, sizeof r);
    int rc = 0;
    char first[65] = "";
    for (int rep = 0; rep < reps && !rc; rep++)
        for (int k = 0; k < 3 && !rc; k++) {
            char errf[700];
            snprintf(errf, sizeof errf, "%s/slate.%d.err", dir, k);
            const char *store = k == 0 ? models : "s3://bench/models";
            if (k == 1) {
                snprintf(cmd, sizeof cmd, "rm -rf %s/cache", dir);
                if (system(cmd) != 0) rc = 1;
            }
            snprintf(cmd, sizeof cmd,
                     "SWISH_STORAGE_CACHE=%s/cache %s slate --config %s --models %s --date %s --no-store --json "
                     "2> %s; s=$?; [ $s -le 1 ]",
                     dir, swish, nconf, store, ds, errf);
            char sum[65];
            if (slate_once(cmd, errf, &r[k].wall[rep], &r[k].models_ms[rep], sum)) {
                fprintf(stderr, "bench store: the %s slate failed (%s)\n", names[k], errf);
                rc = 1;
                break;
            }
            if (!first[0]) snprintf(first, sizeof first, "%s", sum);
            else if (strcmp(first, sum) != 0) {
                fprintf(stderr, "bench store: the %s slate differs from the directory's\n", names[k]);
                rc = 1;
            }
            if (r[k].wall[rep] > 180) {
                fprintf(stderr, "bench store: the %s slate took %.0f s, past the 3-minute budget\n", names[k],
                        r[k].wall[rep]);
                rc = 1;
            }
        }
    stop_server();
    if (rc) return rc;
    double wall[3], mod[3];
    for (int k = 0; k < 3; k++) {
        wall[k] = bench_median(r[k].wall, reps);
        mod[k] = bench_median(r[k].models_ms, reps);
    }
    printf("%-32s %10s %12s %14s %14s\n", "store", "slate ms", "models ms", "slate - dir", "models - dir");
    for (int k = 0; k < 3; k++)
        printf("%-32s %10.1f %12.1f %+14.1f %+14.1f\n", names[k], 1e3 * wall[k], mod[k], 1e3 * (wall[k] - wall[0]),
               mod[k] - mod[0]);
    printf("(slate ms: wall time of `swish slate`, loading the CSVs included; models ms: what the slate reports for\n"
           " loading the versions; every run's slate identical, sha256 %.16s...)\n",
           first);
    printf("warm - directory, loading the models: %+.1f ms (target: within 10 ms); the whole slate: %+.1f ms (its\n"
           " CSV loading alone varies by tens of ms between runs)\n\n",
           mod[2] - mod[0], 1e3 * (wall[2] - wall[0]));
    return 0;
}
