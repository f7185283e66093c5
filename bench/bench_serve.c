/* bench_serve: a running `swish serve` on loopback, the 450-player night's
 * data and models (bench_night_setup) and a fresh database.  The bench starts
 * the swish binary as a child (--listen 127.0.0.1:PORT on a free port, its
 * per-request log on stderr redirected to a file), waits for GET /healthz, and
 * measures, with bounded request counts:
 *   - pushes: POST /pubsub/push of the night's date (distinct messageIds, one
 *     after the other finishes): the time to the acknowledgement (median;
 *     target < 10 ms) and until GET /v1/jobs/ID says done (the user's budget:
 *     3 minutes for 450 players; the only figure that fails the bench), and the
 *     rows GET /v1/slate stores;
 *   - memory: VmRSS after a warm-up of 5,000 single-player predicts, then after
 *     100,000 more (quick: 20,000) (target: growth under 1 MiB);
 *   - single-player POST /v1/predict with wrk (a Lua script for the body) and
 *     hey at 4, 8 and 16 connections: requests/s, p50/p99, non-2xx and socket
 *     errors, the server's CPU per request and the client's CPU share (the
 *     client runs on the same cores) (targets: p99 < 2 ms and 10,000
 *     requests/s with no error).
 * Then SIGTERM: the server must exit 0.  The exact command lines are printed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "core/clock.h"

#define BUDGET_S 180.0

static pid_t g_srv;

/* ---- a minimal HTTP/1.1 client (one request per connection, timed in-process) ---- */

typedef struct {
    int status;
    char *text; /* the whole response, NUL-terminated */
    const char *body;
} hresp;

static void hresp_free(hresp *r)
{
    free(r->text);
    memset(r, 0, sizeof *r);
}

static int http(int port, const char *method, const char *path, const char *body, hresp *out)
{
    memset(out, 0, sizeof *out);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return -1;
    }
    size_t blen = body ? strlen(body) : 0;
    char *req = malloc(blen + 512);
    int n = snprintf(req, 512,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s", method, path, port,
                     body ? "Content-Type: application/json\r\n" : "");
    if (body) n += snprintf(req + n, 128, "Content-Length: %zu\r\n", blen);
    n += snprintf(req + n, 8, "\r\n");
    if (body) memcpy(req + n, body, blen);
    size_t len = (size_t)n + blen, off = 0;
    while (off < len) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) {
            free(req);
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    free(req);
    size_t cap = 8192, got = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (cap - got < 4096) buf = realloc(buf, cap *= 2);
        ssize_t r = recv(fd, buf + got, cap - got - 1, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &out->status) != 1) {
        free(buf);
        return -1;
    }
    out->text = buf;
    char *b = strstr(buf, "\r\n\r\n");
    out->body = b ? b + 4 : buf + got;
    return 0;
}

/* The string value of "key" in compact JSON (copied into v); 0 if found. */
static int json_str(const char *json, const char *key, char *v, size_t size)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p) return -1;
    p += strlen(pat);
    size_t i = 0;
    while (*p && *p != '"' && i + 1 < size) v[i++] = *p++;
    v[i] = 0;
    return 0;
}

static double json_num(const char *json, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}

static void b64(const char *in, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), o = 0;
    const unsigned char *s = (const unsigned char *)in;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        out[o++] = t[v >> 18 & 63];
        out[o++] = t[v >> 12 & 63];
        out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[o] = 0;
}

/* ---- the server process ---- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    int port = -1;
    if (!bind(fd, (struct sockaddr *)&sa, sizeof sa) && !getsockname(fd, (struct sockaddr *)&sa, &sl))
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static pid_t start_serve(const char *swish, const char *nconf, const char *db, const char *listen, const char *logf)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    int fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) _exit(127);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    setenv("SWISH_SERVE_TOKEN", "bench-token", 1); /* pushes carry ?token=bench-token */
    execl(swish, "swish", "serve", "--config", nconf, "--db", db, "--listen", listen, (char *)NULL);
    _exit(127);
}

static void stop_kill(void)
{
    if (g_srv > 0) {
        kill(g_srv, SIGKILL);
        waitpid(g_srv, NULL, 0);
        g_srv = 0;
    }
}

/* "Key:   N kB" of /proc/PID/status. */
static long proc_status(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *fp = fopen(path, "r");
    long v = -1;
    size_t kl = strlen(key);
    while (fp && fgets(line, sizeof line, fp))
        if (!strncmp(line, key, kl) && line[kl] == ':') {
            v = atol(line + kl + 1);
            break;
        }
    if (fp) fclose(fp);
    return v;
}

/* utime + stime of the process, seconds. */
static double proc_cpu(pid_t pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "r");
    if (!fp) return NAN;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return NAN;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void log_tail(const char *logf)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "tail -n 5 %s >&2", logf);
    if (system(cmd) != 0) fprintf(stderr, "(no log at %s)\n", logf);
}

/* ---- load generators ---- */

/* Run a shell command, its stdout captured; the command's CPU seconds (wait4). */
static char *run_capture(const char *cmd, double *cpu_s, int *status)
{
    int fd[2];
    if (pipe(fd)) return NULL;
    pid_t pid = fork();
    if (pid < 0) return NULL;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (cap - len < 1024) buf = realloc(buf, cap *= 2);
        ssize_t r = read(fd[0], buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        len += (size_t)r;
    }
    close(fd[0]);
    buf[len] = 0;
    struct rusage ru;
    int st = 0;
    while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR) {
    }
    *cpu_s = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
             1e-6 * (double)ru.ru_stime.tv_usec;
    *status = st;
    return buf;
}

typedef struct {
    const char *phase, *tool;
    int conc;
    long requests;
    double rps, p50_ms, p99_ms, wall_s;
    long non2xx, errors;
    double srv_cpu_us, cli_cpu_pct, oth_cpu_pct;
} lrun;

/* Busy CPU seconds of the whole machine (/proc/stat: all but idle and iowait). */
static double machine_busy(void)
{
    FILE *fp = fopen("/proc/stat", "r");
    unsigned long long v[8] = {0};
    int n = fp ? fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                        &v[6], &v[7])
               : 0;
    if (fp) fclose(fp);
    if (n < 5) return NAN;
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

/* "310.00us", "1.20ms", "2.00s", "1.00m" -> ms */
static double wrk_ms(const char *s)
{
    char *e;
    double v = strtod(s, &e);
    if (!strncmp(e, "us", 2)) return v / 1e3;
    if (!strncmp(e, "ms", 2)) return v;
    if (!strncmp(e, "s", 1)) return v * 1e3;
    if (!strncmp(e, "m", 1)) return v * 60e3;
    return NAN;
}

static int parse_wrk(const char *out, lrun *r)
{
    const char *p;
    r->p50_ms = r->p99_ms = r->rps = NAN;
    if ((p = strstr(out, "\n     50%"))) r->p50_ms = wrk_ms(p + 10 + strspn(p + 10, " "));
    if ((p = strstr(out, "\n     99%"))) r->p99_ms = wrk_ms(p + 10 + strspn(p + 10, " "));
    if ((p = strstr(out, "Requests/sec:"))) r->rps = strtod(p + 13, NULL);
    if ((p = strstr(out, " requests in "))) {
        const char *q = p;
        while (q > out && q[-1] != ' ' && q[-1] != '\n') q--;
        r->requests = atol(q);
        r->wall_s = wrk_ms(p + 13) / 1e3;
    }
    if ((p = strstr(out, "Non-2xx or 3xx responses:"))) r->non2xx = atol(p + 26);
    if ((p = strstr(out, "Socket errors:"))) {
        long a = 0, b = 0, c = 0, d = 0;
        sscanf(p, "Socket errors: connect %ld, read %ld, write %ld, timeout %ld", &a, &b, &c, &d);
        r->errors = a + b + c + d;
    }
    return isnan(r->rps) || isnan(r->p99_ms);
}

static int parse_hey(const char *out, lrun *r)
{
    const char *p;
    r->p50_ms = r->p99_ms = r->rps = NAN;
    if ((p = strstr(out, "Requests/sec:"))) r->rps = strtod(p + 13, NULL);
    if ((p = strstr(out, "Total:"))) r->wall_s = strtod(p + 6, NULL);
    if ((p = strstr(out, "50% in"))) r->p50_ms = 1e3 * strtod(p + 6, NULL);
    if ((p = strstr(out, "99% in"))) r->p99_ms = 1e3 * strtod(p + 6, NULL);
    r->requests = 0;
    if ((p = strstr(out, "Status code distribution:"))) {
        const char *q = p;
        int code;
        long cnt;
        while ((q = strchr(q, '\n')) && sscanf(q + 1, " [%d] %ld responses", &code, &cnt) == 2) {
            r->requests += cnt;
            if (code < 200 || code > 299) r->non2xx += cnt;
            q++;
        }
    }
    if ((p = strstr(out, "Error distribution:"))) {
        const char *q = p;
        long cnt;
        while ((q = strchr(q, '\n')) && sscanf(q + 1, " [%ld]", &cnt) == 1) {
            r->errors += cnt;
            q++;
        }
    }
    return isnan(r->rps) || isnan(r->p99_ms);
}

/* One load run; the server's CPU meanwhile. */
static int load(const char *phase, const char *tool, const char *cmd, int conc, pid_t srv, lrun *r)
{
    memset(r, 0, sizeof *r);
    r->phase = phase;
    r->tool = tool;
    r->conc = conc;
    double c0 = proc_cpu(srv), m0 = machine_busy(), t0 = sw_clock_now(), cli = 0;
    int st = 0;
    char *out = run_capture(cmd, &cli, &st);
    double wall = sw_clock_now() - t0, c1 = proc_cpu(srv), m1 = machine_busy();
    if (!out || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench serve: failed: %s\n%s", cmd, out ? out : "");
        free(out);
        return 1;
    }
    int bad = strcmp(tool, "wrk") ? parse_hey(out, r) : parse_wrk(out, r);
    if (bad) fprintf(stderr, "bench serve: could not read the output of: %s\n%s", cmd, out);
    free(out);
    if (r->requests > 0) r->srv_cpu_us = 1e6 * (c1 - c0) / (double)r->requests;
    r->cli_cpu_pct = 100 * cli / wall;
    r->oth_cpu_pct = 100 * ((m1 - m0) - (c1 - c0) - cli) / wall;
    if (r->oth_cpu_pct < 0) r->oth_cpu_pct = 0;
    return bad;
}

static int met(const lrun *r)
{
    return r->p99_ms < 2.0 && r->rps >= 10000 && r->non2xx + r->errors == 0;
}

static void print_run(const lrun *r)
{
    printf("%-8s %-4s %5d %9ld %8.0f %8.3f %8.3f %7ld %8ld %9.1f %7.0f %7.0f  %s\n", r->phase, r->tool, r->conc,
           r->requests, r->rps, r->p50_ms, r->p99_ms, r->non2xx, r->errors, r->srv_cpu_us, r->cli_cpu_pct,
           r->oth_cpu_pct, met(r) ? "met" : "missed");
}

int bench_serve(const bench_ctx *c)
{
    char dir[512], data[1024], models[1024], nconf[1024], ds[11], cmd[8192];
    snprintf(dir, sizeof dir, "%s/serve", c->tmp);
    if (mkdir(dir, 0755) != 0) {
        perror(dir);
        return 1;
    }
    snprintf(cmd, sizeof cmd, "command -v wrk >/dev/null && command -v hey >/dev/null");
    if (system(cmd) != 0) {
        fprintf(stderr, "bench serve: needs wrk and hey (Debian packages; make deps installs them)\n");
        return 1;
    }
    int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1) ncpu = 1;
    if (bench_night_setup(c, dir, ncpu, data, models, nconf, ds)) return 1;
    const char *swish = bench_swish_bin();
    char db[700], logf[700], listen[64], lua[700];
    snprintf(db, sizeof db, "%s/serve.db", dir);
    snprintf(logf, sizeof logf, "%s/serve.log", dir);
    snprintf(lua, sizeof lua, "%s/predict.lua", dir);
    int port = free_port();
    if (port <= 0) return 1;
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    char machine[512];
    bench_machine(machine, sizeof machine);

    /* start, wait for /healthz */
    double t_start = sw_clock_now();
    g_srv = start_serve(swish, nconf, db, listen, logf);
    if (g_srv < 0) return 1;
    int up = 0;
    while (sw_clock_now() - t_start < 300) {
        int st;
        if (waitpid(g_srv, &st, WNOHANG) == g_srv) {
            g_srv = 0;
            fprintf(stderr, "bench serve: swish serve exited (status %d) before answering /healthz:\n", st);
            log_tail(logf);
            return 1;
        }
        hresp h;
        if (http(port, "GET", "/healthz", NULL, &h) == 0) {
            up = h.status == 200;
            hresp_free(&h);
            if (up) break;
        }
        usleep(50000);
    }
    double t_up = sw_clock_now() - t_start;
    if (!up) {
        fprintf(stderr, "bench serve: no answer from /healthz in 300 s\n");
        log_tail(logf);
        stop_kill();
        return 1;
    }
    int req_threads = -1;
    {
        FILE *fp = fopen(logf, "r");
        char line[1024];
        while (fp && fgets(line, sizeof line, fp)) {
            const char *p = strstr(line, "serving on http://");
            if (p && (p = strstr(p, " ("))) req_threads = atoi(p + 2);
        }
        if (fp) fclose(fp);
    }
    long os_threads = proc_status(g_srv, "Threads");

    printf("== serve: `swish serve` on loopback, the 450-player night, %d request threads (%ld OS threads); the load "
           "generator shares the %d cores; %s ==\n",
           req_threads, os_threads, ncpu, machine);
    printf("server: %s serve --config %s --db %s --listen %s 2> %s\n(up and answering /healthz in %.2f s)\n", swish,
           nconf, db, listen, logf, t_up);

    /* pushes: the date's slate, one after the other */
    int rc = 0, npush = c->quick ? 3 : 5;
    double ack[8], done_s[8];
    char payload[64], b64buf[128], body[512], url[128];
    snprintf(payload, sizeof payload, "{\"game_date\":\"%s\"}", ds);
    b64(payload, b64buf);
    int exit_code = -1;
    for (int i = 0; i < npush && !rc; i++) {
        snprintf(body, sizeof body,
                 "{\"message\":{\"data\":\"%s\",\"messageId\":\"bench-%d\"},\"subscription\":\"bench\"}", b64buf, i + 1);
        hresp h;
        double t0 = sw_clock_now();
        int e = http(port, "POST", "/pubsub/push?token=bench-token", body, &h);
        ack[i] = sw_clock_now() - t0;
        if (e || h.status != 202) {
            fprintf(stderr, "bench serve: push %d: %s %d\n%s\n", i + 1, e ? "no answer" : "HTTP", h.status,
                    h.body ? h.body : "");
            hresp_free(&h);
            rc = 1;
            break;
        }
        hresp_free(&h);
        snprintf(url, sizeof url, "/v1/jobs/bench-%d", i + 1);
        for (;;) {
            usleep(20000);
            char state[32] = "";
            if (http(port, "GET", url, NULL, &h) == 0) {
                json_str(h.body, "state", state, sizeof state);
                exit_code = (int)json_num(h.body, "exit_code");
            }
            double el = sw_clock_now() - t0;
            if (!strcmp(state, "failed")) {
                fprintf(stderr, "bench serve: job bench-%d failed: %s\n", i + 1, h.body ? h.body : "");
                rc = 1;
            }
            hresp_free(&h);
            if (rc) break;
            if (!strcmp(state, "done")) {
                done_s[i] = el;
                break;
            }
            if (el > BUDGET_S) {
                fprintf(stderr, "bench serve: job bench-%d not done after %.0f s: past the 3-minute budget\n", i + 1,
                        el);
                rc = 1;
                break;
            }
        }
    }
    if (rc) {
        stop_kill();
        return 1;
    }
    /* the stored slate: its count and a player to predict */
    long stored = -1;
    char player[64] = "";
    {
        hresp h;
        snprintf(url, sizeof url, "/v1/slate?date=%s", ds);
        if (http(port, "GET", url, NULL, &h) == 0 && h.status == 200) {
            stored = (long)json_num(h.body, "count");
            json_str(h.body, "player_id", player, sizeof player);
        }
        hresp_free(&h);
    }
    if (!player[0]) {
        fprintf(stderr, "bench serve: GET /v1/slate?date=%s: no stored player\n", ds);
        stop_kill();
        return 1;
    }
    double ack_ms[8], done_cp[8];
    for (int i = 0; i < npush; i++) ack_ms[i] = 1e3 * ack[i], done_cp[i] = done_s[i];
    double ack_min = ack_ms[0], ack_max = ack_ms[0];
    for (int i = 1; i < npush; i++) {
        if (ack_ms[i] < ack_min) ack_min = ack_ms[i];
        if (ack_ms[i] > ack_max) ack_max = ack_ms[i];
    }
    double ack_med = bench_median(ack_ms, npush), done_med = bench_median(done_cp, npush);
    double done_max = 0;
    for (int i = 0; i < npush; i++)
        if (done_s[i] > done_max) done_max = done_s[i];
    printf("\n%-44s %12s %12s %12s\n", "push of the night (median of pushes)", "median", "min", "max");
    printf("%-44s %9.2f ms %9.2f ms %9.2f ms   (target < 10 ms)\n", "acknowledgement (202, job recorded)", ack_med,
           ack_min, ack_max);
    printf("%-44s %10.2f s %10s   %10.2f s   (budget 180 s)\n", "until GET /v1/jobs/ID says done", done_med, "",
           done_max);
    printf("players stored (GET /v1/slate?date=%s): %ld; last job's exit code %d; %d pushes (bench-1..%d), one at a "
           "time, each after the previous was done, polled every 20 ms\n",
           ds, stored, exit_code, npush, npush);
    {
        FILE *lf = fopen(logf, "r");
        char line[1024], last[1024] = "";
        while (lf && fgets(line, sizeof line, lf))
            if (strstr(line, "job bench-") && strstr(line, " stored in ")) snprintf(last, sizeof last, "%s", line);
        if (lf) fclose(lf);
        const char *m = strstr(last, "job bench-");
        if (m) printf("the server's log: %s", m);
    }

    /* the load: a single-player predict */
    char pbody[256], purl[128];
    snprintf(pbody, sizeof pbody, "{\"date\":\"%s\",\"player_id\":\"%s\"}", ds, player);
    snprintf(purl, sizeof purl, "http://%s/v1/predict", listen);
    {
        hresp h;
        int e = http(port, "POST", "/v1/predict", pbody, &h);
        if (e || h.status != 200) {
            fprintf(stderr, "bench serve: POST /v1/predict %s: %d %s\n", pbody, h.status, h.body ? h.body : "");
            hresp_free(&h);
            stop_kill();
            return 1;
        }
        hresp_free(&h);
    }
    FILE *fp = fopen(lua, "w");
    if (!fp) {
        perror(lua);
        stop_kill();
        return 1;
    }
    fprintf(fp, "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = '%s'\n",
            pbody);
    fclose(fp);

    /* memory: warm-up, then N more */
    long more = c->quick ? 20000 : 100000;
    char hey_warm[1024], hey_more[1024];
    snprintf(hey_warm, sizeof hey_warm, "hey -n 5000 -c 8 -m POST -T application/json -d '%s' %s", pbody, purl);
    snprintf(hey_more, sizeof hey_more, "hey -n %ld -c 8 -m POST -T application/json -d '%s' %s", more, pbody, purl);
    lrun warm, mrun;
    if (load("warm-up", "hey", hey_warm, 8, g_srv, &warm)) rc = 1;
    long rss0 = proc_status(g_srv, "VmRSS");
    if (!rc && load("memory", "hey", hey_more, 8, g_srv, &mrun)) rc = 1;
    long rss1 = proc_status(g_srv, "VmRSS");
    if (rc) {
        stop_kill();
        return 1;
    }

    /* throughput and latency at 4, 8, 16 connections */
    static const int concs[3] = {4, 8, 16};
    int wdur = c->quick ? 3 : 10;
    lrun runs[6];
    char wcmd[3][1024], hcmd[3][1024];
    for (int k = 0; k < 3 && !rc; k++) {
        snprintf(wcmd[k], sizeof wcmd[k], "wrk -t 1 -c %d -d %ds --latency -s %s %s", concs[k], wdur, lua, purl);
        snprintf(hcmd[k], sizeof hcmd[k], "hey -n 20000 -c %d -m POST -T application/json -d '%s' %s", concs[k], pbody,
                 purl);
        if (load("load", "wrk", wcmd[k], concs[k], g_srv, &runs[2 * k]) ||
            load("load", "hey", hcmd[k], concs[k], g_srv, &runs[2 * k + 1]))
            rc = 1;
    }
    long rss2 = proc_status(g_srv, "VmRSS");
    long threads_end = proc_status(g_srv, "Threads");
    if (rc) {
        stop_kill();
        return 1;
    }
    printf("\nsingle-player POST /v1/predict, body %s\n", pbody);
    printf("%-8s %-4s %5s %9s %8s %8s %8s %7s %8s %9s %7s %7s  %s\n", "phase", "tool", "conns", "requests", "req/s",
           "p50 ms", "p99 ms", "non-2xx", "sock err", "srv us/rq", "client%", "others%", "targets");
    print_run(&warm);
    print_run(&mrun);
    for (int k = 0; k < 6; k++) print_run(&runs[k]);
    printf("(warm-up and memory: the memory phase, 5,000 then %ld requests; load: wrk %d s per run with one client "
           "thread, hey 20,000 requests per run; srv us/rq: the server's CPU time per request; client%%: the load "
           "generator's CPU (%% of one core) and others%%: other processes' (the machine is shared), both on the "
           "same %d cores as the server; targets: p99 < 2 ms, >= 10,000 req/s and no error, all three)\n",
           more, wdur, ncpu);
    int n_met = 0;
    long errs = warm.non2xx + warm.errors + mrun.non2xx + mrun.errors;
    for (int k = 0; k < 6; k++) {
        errs += runs[k].non2xx + runs[k].errors;
        n_met += met(&runs[k]);
    }
    printf("load runs meeting all three targets: %d of 6", n_met);
    for (int k = 0, first = 1; k < 6; k++)
        if (met(&runs[k])) printf("%s%s at %d", first ? " (" : ", ", runs[k].tool, runs[k].conc), first = 0;
    printf("%s; non-2xx + socket errors over every run: %ld\n", n_met ? ")" : "", errs);
    printf("memory (VmRSS): %.1f MiB after the 5,000-request warm-up, %.1f MiB after %ld more: %+ld KiB (target: "
           "under 1 MiB); %.1f MiB after the throughput runs; %ld OS threads\n",
           rss0 / 1024.0, rss1 / 1024.0, more, rss1 - rss0, rss2 / 1024.0, threads_end);

    /* SIGTERM: exit 0 */
    double t_term = sw_clock_now();
    kill(g_srv, SIGTERM);
    int st = 0, exited = 0;
    while (sw_clock_now() - t_term < 60) {
        if (waitpid(g_srv, &st, WNOHANG) == g_srv) {
            exited = 1;
            break;
        }
        usleep(10000);
    }
    if (!exited) {
        fprintf(stderr, "bench serve: swish serve still running 60 s after SIGTERM; killed\n");
        stop_kill();
        rc = 1;
    } else {
        g_srv = 0;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "bench serve: swish serve did not exit 0 after SIGTERM (status %d)\n", st);
            log_tail(logf);
            rc = 1;
        }
    }
    struct stat sb;
    long lines = 0, total = warm.requests + mrun.requests + npush * 2 + 3;
    for (int k = 0; k < 6; k++) total += runs[k].requests;
    fp = fopen(logf, "r");
    for (int ch; fp && (ch = getc(fp)) != EOF;) lines += ch == '\n';
    if (fp) fclose(fp);
    printf("SIGTERM: exited %s in %.2f s; the request log (stderr, one line per request; writing it costs time): "
           "%.1f MiB, %ld lines for ~%ld requests\n",
           exited && WIFEXITED(st) ? (WEXITSTATUS(st) == 0 ? "0" : "non-zero") : "abnormally", sw_clock_now() - t_term,
           stat(logf, &sb) == 0 ? sb.st_size / 1048576.0 : -1.0, lines, total);
    printf("commands (%s: the wrk script, %s):\n", lua, "wrk.method = \"POST\"; wrk.headers[\"Content-Type\"] = "
                                                        "\"application/json\"; wrk.body = BODY");
    printf("  %s\n  %s\n", hey_warm, hey_more);
    for (int k = 0; k < 3; k++) printf("  %s\n  %s\n", wcmd[k], hcmd[k]);
    printf("  pushes: POST http://%s/pubsub/push?token=bench-token {\"message\":{\"data\":\"%s\",\"messageId\":\"bench-N\"},"
           "\"subscription\":\"bench\"} (data: base64 of %s)\n\n",
           listen, b64buf, payload);
    return rc;
}
