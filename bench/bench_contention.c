/* bench_contention: swish on a shared machine.  Each case runs alone, then beside
 * N busy processes (N = cores: one `for (;;)` loop per core, started and killed
 * by the bench), the two interleaved, REPS pairs, medians reported with the
 * slowdown (beside / alone):
 *   retrain  `swish retrain --until 2025-11-10` on $SWISH_SHARED/data/nba (wall time);
 *   train    bench/gen_nba.c's synthetic set, 1000 rounds, bench_train's parameters:
 *            `swish train` beside XGBoost 1.7.4 (bench/xgb_train.py on the same rows),
 *            training time as each reports it;
 *   slate    `swish slate` of bench_nightly's 450-player night (wall time, loading
 *            the CSVs and models included: the nightly command as users run it).
 * Every run is a process of its own, so each one's OpenMP runtime starts as a
 * user's would.  Busy processes die with the bench (killed on return, on
 * SIGINT/SIGTERM/SIGHUP, and by PR_SET_PDEATHSIG if the bench itself is killed).
 * A run that passes its limit (10 times the median alone, at least 30 s) is
 * killed and counted at the limit: its ratio is printed as a lower bound.  The
 * CPU share that other processes on the machine took during the runs is printed
 * beside each case (the VM is shared).  Outputs must not depend on timing: the
 * checksum of every run's model (or slate) must equal the first one's. */
#include <glob.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "core/date.h"
#include "core/fileio.h"
#include "pipeline/registry.h"
#include "core/clock.h"

#define MAX_BUSY 256
#define MAX_REPS 5

static pid_t busy_pid[MAX_BUSY];
static volatile int n_busy;
static volatile pid_t run_pid; /* the measured command's process group */

static void stop_all(void)
{
    for (int i = 0; i < n_busy; i++)
        if (busy_pid[i] > 0) kill(busy_pid[i], SIGKILL);
    if (run_pid > 0) kill(-run_pid, SIGKILL);
}

static void on_signal(int sig)
{
    stop_all(); /* kill() is async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Kill and reap the busy processes; their CPU seconds. */
static double busy_stop(void)
{
    double cpu = 0;
    for (int i = 0; i < n_busy; i++) {
        kill(busy_pid[i], SIGKILL);
        int st;
        struct rusage ru;
        if (wait4(busy_pid[i], &st, 0, &ru) > 0)
            cpu += (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
                   1e-6 * (double)ru.ru_stime.tv_usec;
    }
    n_busy = 0;
    return cpu;
}

static int busy_start(int n)
{
    pid_t parent = getpid();
    for (int i = 0; i < n && i < MAX_BUSY; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) return -1;
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent) _exit(0);
            volatile unsigned long x = 0;
            for (;;) x++;
        }
        busy_pid[i] = pid;
        n_busy = i + 1;
    }
    return 0;
}

/* Non-idle CPU time of the whole machine, seconds (/proc/stat). */
static double machine_busy_s(void)
{
    FILE *fp = fopen("/proc/stat", "r");
    if (!fp) return NAN;
    unsigned long long v[10] = {0};
    int n = fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6], &v[7], &v[8], &v[9]);
    fclose(fp);
    if (n < 8) return NAN;
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]; /* not idle, iowait; guest is in user */
    return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

typedef struct {
    double wall;   /* seconds */
    double others; /* share of the machine's CPUs used by other processes meanwhile */
    int killed;    /* passed its limit */
} run_res;

/* Run CMD (a shell command line, stdout and stderr to OUT) beside NBUSY busy
 * processes; kill it after LIMIT seconds.  Returns 0 when it exited with 0 or
 * was killed at the limit. */
static int run_case(const char *cmd, const char *out, int nbusy, double limit, run_res *r)
{
    memset(r, 0, sizeof *r);
    if (nbusy && busy_start(nbusy)) {
        busy_stop();
        fprintf(stderr, "bench contention: cannot start busy processes\n");
        return -1;
    }
    if (nbusy) {
        struct timespec ts = {0, 100 * 1000 * 1000}; /* let them take their CPUs */
        nanosleep(&ts, NULL);
    }
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    double m0 = machine_busy_s(), t0 = sw_clock_now();
    pid_t pid = fork();
    if (pid < 0) {
        busy_stop();
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        if (!freopen(out, "w", stdout) || dup2(fileno(stdout), 2) < 0) _exit(127);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    run_pid = pid;
    int st = 0;
    struct rusage ru;
    for (;;) {
        pid_t w = wait4(pid, &st, WNOHANG, &ru);
        if (w == pid) break;
        if (w < 0) {
            run_pid = 0;
            busy_stop();
            return -1;
        }
        if (sw_clock_now() - t0 > limit && !r->killed) {
            kill(-pid, SIGKILL);
            r->killed = 1;
        }
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    r->wall = sw_clock_now() - t0;
    run_pid = 0;
    double bcpu = busy_stop();
    double m1 = machine_busy_s();
    double own = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
                 1e-6 * (double)ru.ru_stime.tv_usec;
    double ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN);
    r->others = (m1 - m0 - own - bcpu) / (r->wall * ncpu);
    if (r->others < 0) r->others = 0;
    if (r->killed) {
        r->wall = limit;
        return 0;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench contention: command failed (%d): %s\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1, cmd);
        char tail[4096];
        FILE *fp = fopen(out, "r");
        if (fp) {
            size_t n = fread(tail, 1, sizeof tail - 1, fp);
            tail[n] = 0;
            fprintf(stderr, "%s\n", tail);
            fclose(fp);
        }
        return -1;
    }
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) buf = realloc(buf, (cap *= 2) + 1);
    }
    fclose(fp);
    if (buf) buf[n] = 0;
    if (len) *len = n;
    return buf;
}

/* FNV-1a of a file's bytes (0 if unreadable). */
static unsigned long long file_sum(const char *path)
{
    size_t n;
    char *b = slurp(path, &n);
    if (!b) return 0;
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)b[i];
        h *= 1099511628211ULL;
    }
    free(b);
    return h;
}

typedef struct {
    const char *label, *system;
    double limit_floor;
    /* filled */
    double alone[MAX_REPS], busy[MAX_REPS], oth_a[MAX_REPS], oth_b[MAX_REPS];
    int killed, n;
    unsigned long long sum;
    int sum_differs;
} bcase;

/* One measurement of case K: runs the command, reads the time (json key, or
 * wall when NULL) and the checksum. */
typedef struct {
    char cmd[16384];
    char out[1024];
    const char *json_key; /* seconds from the output, else wall */
    char sum_glob[1100];   /* file(s) whose bytes are the result; "" = the output itself */
} bcmd;

static int measure(const bcmd *m, int nbusy, double limit, double *secs, double *others, int *killed,
                   unsigned long long *sum)
{
    run_res r;
    if (run_case(m->cmd, m->out, nbusy, limit, &r)) return -1;
    *others = r.others;
    *killed = r.killed;
    *sum = 0;
    if (r.killed) {
        *secs = limit;
        return 0;
    }
    *secs = r.wall;
    char *text = slurp(m->out, NULL);
    if (m->json_key) {
        double v = bench_json_num(text, m->json_key);
        if (!isfinite(v)) {
            fprintf(stderr, "bench contention: no \"%s\" in the output of %s\n", m->json_key, m->cmd);
            free(text);
            return -1;
        }
        *secs = v;
    }
    if (m->sum_glob[0]) {
        glob_t g;
        if (glob(m->sum_glob, 0, NULL, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc; i++) *sum = *sum * 31 + file_sum(g.gl_pathv[i]);
            globfree(&g);
        }
    } else if (text) { /* the output, less its "seconds": {...} */
        char *p = strstr(text, "\"seconds\":");
        if (p) {
            char *q = strchr(p, '{');
            int depth = 0;
            for (; q && *q; q++) {
                if (*q == '{') depth++;
                if (*q == '}' && --depth == 0) break;
            }
            if (q && *q) memmove(p, q + 1, strlen(q + 1) + 1);
        }
        *sum = 1469598103934665603ULL;
        for (const char *t = text; *t; t++) *sum = (*sum ^ (unsigned char)*t) * 1099511628211ULL;
    }
    free(text);
    return 0;
}

static double med(const double *v, int n)
{
    double t[MAX_REPS];
    memcpy(t, v, sizeof(double) * (size_t)n);
    return bench_median(t, n);
}

/* The 450-player night with its models (untimed): bench_nightly's league in
 * DIR/night/data, CatBoost V8 (with its training window, so that it may serve
 * the night; the stack is trained over it) then gbdt and the stack trained by
 * `swish retrain` into DIR/night/models, the configuration in DIR/night.conf. */
int bench_night_setup(const bench_ctx *c, const char *dir, int threads, char data[1024], char models[1024],
                      char nconf[1024], char ds[11])
{
    const char *swish = bench_swish_bin();
    char cmd[8192], conf[1024];
    snprintf(conf, sizeof conf, "%s/night.base.conf", dir);
    snprintf(cmd, sizeof cmd, "%s config > %s", swish, conf);
    if (system(cmd) != 0) return 1;
    /* the night: bench_nightly's league, models trained by the CLI (untimed) */
    snprintf(data, 1024, "%s/night/data", dir);
    snprintf(models, 1024, "%s/night/models", dir);
    snprintf(nconf, 1024, "%s/night.conf", dir);
    sw_sim_summary ss;
    int night, last;
    if (bench_nightly_league(data, &ss, &night, &last)) return 1;
    sw_date_format(night, ds);
    /* CatBoost V8 first (as bench_nightly: with its training window, so that it may
     * serve the night; the stack is trained over it), then gbdt and the stack */
    snprintf(cmd, sizeof cmd, "%s/models/catboost_v8_33features_20260108_211817.cbm", c->shared);
    if (sw_file_exists(cmd)) {
        sw_error err;
        sw_error_clear(&err);
        unsigned char *buf;
        size_t len;
        int rc = sw_read_file(cmd, 0, &buf, &len, &err);
        if (!rc) {
            sw_manifest m;
            sw_manifest_init(&m, "catboost_v8");
            snprintf(m.version, sizeof m.version, "v8");
            snprintf(m.train_from, sizeof m.train_from, "2021-11-01");
            snprintf(m.train_to, sizeof m.train_to, "2024-05-31");
            sw_reg_blob b = {"mean", "mean.cbm", buf, len};
            rc = sw_registry_add(models, &m, &b, 1, 1, &err);
            free(buf);
        }
        if (rc) {
            char msg[1200];
            sw_error_format(&err, msg, sizeof msg);
            fprintf(stderr, "bench: catboost_v8: %s\n", msg);
            return 1;
        }
    } else {
        printf("(no %s: catboost_v8 disabled, five systems)\n", cmd);
    }
    snprintf(cmd, sizeof cmd,
             "sed -e 's/^min_minutes = .*/min_minutes = 0/' -e 's/^max_players = .*/max_players = 450/' "
             "-e 's/^rounds = .*/rounds = %d/' -e 's/^folds = .*/folds = 3/' "
             "-e 's|^data = .*|data = %s|' -e 's|^models = .*|models = %s|' -e 's|^db = .*|db = %s/night/swish.db|' "
             "%s > %s && %s retrain --config %s --until %s --promote --threads %d > %s/night/retrain.log 2>&1",
             c->quick ? 60 : 400, data, models, dir, conf, nconf, swish, nconf, ds, threads, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench: could not train the night's models (%s/night/retrain.log)\n", dir);
        return 1;
    }

    return 0;
}

int bench_contention(const bench_ctx *c)
{
    int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1) ncpu = 1;
    int nbusy = ncpu > MAX_BUSY ? MAX_BUSY : ncpu, threads = ncpu;
    int reps = c->quick ? 1 : 3;
    const char *swish = bench_swish_bin();
    char dir[512], cmd[16384];
    snprintf(dir, sizeof dir, "%s/contention", c->tmp);
    if (mkdir(dir, 0755) != 0) {
        perror(dir);
        return 1;
    }
    /* inputs: the synthetic set (and its .npz), the nightly league with its models */
    long ntr = c->quick ? 20000 : 120000, nte = c->quick ? 5000 : 30000;
    int rounds = c->quick ? 200 : 1000;
    char tr[1024], te[1024], trz[1024], tez[1024], conf[1024], data[1024], models[1024], nconf[1024];
    snprintf(tr, sizeof tr, "%s/train.csv", dir);
    snprintf(te, sizeof te, "%s/test.csv", dir);
    snprintf(trz, sizeof trz, "%s/train.npz", dir);
    snprintf(tez, sizeof tez, "%s/test.npz", dir);
    if (bench_gen_nba(tr, te, ntr, nte, 42) != 0) return 1;
    snprintf(cmd, sizeof cmd,
             "%s bench/xgb_train.py --npz %s %s PTS && %s bench/xgb_train.py --npz %s %s PTS", bench_python(),
             tr, trz, bench_python(), te, tez);
    if (system(cmd) != 0) return 1;
    snprintf(conf, sizeof conf, "%s/retrain.conf", dir);
    snprintf(cmd, sizeof cmd, "%s config > %s", swish, conf);
    if (system(cmd) != 0) return 1;
    char ds[11];
    if (bench_night_setup(c, dir, threads, data, models, nconf, ds)) return 1;

    char machine[512];
    bench_machine(machine, sizeof machine);
    printf("== contention: each run alone, then beside %d busy processes (one per core), interleaved, median of %d "
           "pair%s; %d threads; %s ==\n",
           nbusy, reps, reps > 1 ? "s" : "", threads, machine);
    printf("(swish: %s)\n", swish);

    enum { RETRAIN, TRAIN, XGB, SLATE, NCASE };
    bcase cs[NCASE] = {
        {"retrain: real data to 2025-11-10", "swish", 30, {0}, {0}, {0}, {0}, 0, 0, 0, 0},
        {"train: synthetic rows", "swish depthwise", 30, {0}, {0}, {0}, {0}, 0, 0, 0, 0},
        {"", "xgboost 1.7.4 hist", 30, {0}, {0}, {0}, {0}, 0, 0, 0, 0},
        {"slate: the 450-player night", "swish (swish slate)", 30, {0}, {0}, {0}, {0}, 0, 0, 0, 0},
    };
    static char train_label[128];
    snprintf(train_label, sizeof train_label, "train: %ld x 33, %d rounds", ntr, rounds);
    cs[TRAIN].label = train_label;

    struct sigaction sa, old_int, old_term, old_hup;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    int rc = 0;
    for (int rep = 0; rep < reps && !rc; rep++) {
        for (int k = 0; k < NCASE && !rc; k++) {
            bcmd m;
            memset(&m, 0, sizeof m);
            snprintf(m.out, sizeof m.out, "%s/out.%d", dir, k);
            char mdir[1024];
            snprintf(mdir, sizeof mdir, "%s/models.%d", dir, rep);
            switch (k) {
            case RETRAIN:
                snprintf(m.cmd, sizeof m.cmd,
                         "rm -rf %s && exec %s retrain --config %s --data %s/data/nba --models %s --until 2025-11-10 "
                         "--threads %d",
                         mdir, swish, conf, c->shared, mdir, threads);
                snprintf(m.sum_glob, sizeof m.sum_glob, "%s/gbdt/*/*.swm", mdir);
                break;
            case TRAIN:
                snprintf(m.cmd, sizeof m.cmd,
                         "exec %s train --train %s --target PTS --out %s/m.swm --rounds %d --threads %d --every 0 --json %s",
                         swish, tr, dir, rounds, threads, bench_params_cli);
                m.json_key = "total";
                snprintf(m.sum_glob, sizeof m.sum_glob, "%s/m.swm", dir);
                break;
            case XGB:
                snprintf(m.cmd, sizeof m.cmd, "exec %s bench/xgb_train.py %s %s PTS %d %d '%s'", bench_python(), trz, tez,
                         threads, rounds, bench_params_json);
                m.json_key = "train_seconds";
                break;
            case SLATE:
                snprintf(m.cmd, sizeof m.cmd, "exec %s slate --config %s --date %s --threads %d --json 2> %s.err", swish,
                         nconf, ds, threads, m.out);
                break;
            }
            bcase *b = &cs[k];
            for (int contended = 0; contended < 2 && !rc; contended++) {
                /* alone: no limit to speak of; beside: 10 times the median alone so far */
                double limit = 600;
                if (contended) {
                    limit = 10 * med(b->alone, rep + 1);
                    if (limit < b->limit_floor) limit = b->limit_floor;
                }
                double secs, oth;
                int killed;
                unsigned long long sum;
                if (measure(&m, contended ? nbusy : 0, limit, &secs, &oth, &killed, &sum)) {
                    rc = 1;
                    break;
                }
                if (k == XGB && !killed) { /* its result: the test MAE */
                    char *text = slurp(m.out, NULL);
                    double mae = bench_json_num(text, "test_mae");
                    free(text);
                    sum = bench_checksum(&mae, 1);
                }
                if (contended) {
                    b->busy[rep] = secs;
                    b->oth_b[rep] = oth;
                    b->killed |= killed;
                } else {
                    b->alone[rep] = secs;
                    b->oth_a[rep] = oth;
                }
                if (!killed) {
                    if (!b->sum) b->sum = sum;
                    else if (sum != b->sum) b->sum_differs = 1;
                }
            }
            if (!rc) cs[k].n = rep + 1;
        }
    }
    stop_all();
    busy_stop();
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    if (rc) return 1;

    printf("%-34s %-20s %9s %11s %7s %10s  %s\n", "case", "system", "alone s", "beside s", "ratio", "others %",
           "checksum");
    double worst = 0, xgb_ratio = NAN;
    for (int k = 0; k < NCASE; k++) {
        bcase *b = &cs[k];
        double a = med(b->alone, b->n), z = med(b->busy, b->n), ratio = z / a;
        char rs[32];
        snprintf(rs, sizeof rs, "%s%.2f", b->killed ? ">" : "", ratio);
        printf("%-34s %-20s %9.2f %10.2f%s %7s %4.0f /%4.0f  %016llx%s\n", b->label, b->system, a, z,
               b->killed ? "+" : " ", rs, 100 * med(b->oth_a, b->n), 100 * med(b->oth_b, b->n), b->sum,
               b->sum_differs ? " DIFFERS between runs" : "");
        if (k == XGB) xgb_ratio = ratio;
        else if (ratio > worst) worst = ratio;
        if (b->sum_differs) rc = 1;
    }
    printf("(ratio: beside / alone, medians; '+' and '>': a run passed its limit of 10 times the median alone and was\n"
           " killed, the ratio is a lower bound; others %%: CPU share of the machine taken by processes outside the\n"
           " bench, alone / beside; retrain and slate are wall times of the command, train the time each reports)\n");
    printf("swish's worst ratio %.2f (target: at most 2.5, and at most XGBoost's %.2f)\n\n", worst, xgb_ratio);
    /* quick mode guards against threads that spin: retrain (the real case; quick's small
     * training runs are all overhead) took 5.6 to 6.5 times longer with 300000 spins,
     * 1.6 to 2.6 with the wait policy of DESIGN.md (Threads) */
    double rt = med(cs[RETRAIN].busy, cs[RETRAIN].n) / med(cs[RETRAIN].alone, cs[RETRAIN].n);
    if (c->quick && rt > 4.0) {
        printf("FAIL: retrain runs %.1f times slower beside %d busy processes (threads that spin?)\n", rt, nbusy);
        rc = 1;
    }
    return rc;
}
