/* test_serve: `swish serve` as a process on loopback, against oracles: the
 * calls `swish slate` stores for the same date, the database's rows after a
 * pushed job (one per prediction, a crash resumed), promtool and the
 * histogram invariants, JWTs signed here with a key made by openssl. */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "core/clock.h"

#define DATE "2025-03-01"

typedef struct {
    int pid, port;
    char log[600];
} sv;

/* ---- HTTP ------------------------------------------------------------------ */

typedef struct {
    char *buf;
    size_t len;
} sink;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    sink *s = ud;
    s->buf = realloc(s->buf, s->len + sz * n + 1);
    memcpy(s->buf + s->len, p, sz * n);
    s->len += sz * n;
    s->buf[s->len] = 0;
    return sz * n;
}

/* A request; the status (0: no answer), the body in *resp (malloc'd) when asked. */
static long http(const char *method, int port, const char *path, const char *body, const char *header, char **resp)
{
    CURL *c = curl_easy_init();
    ck_assert_ptr_nonnull(c);
    char url[1200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    sink s = {calloc(1, 1), 0};
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    if (header) h = curl_slist_append(h, header);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (resp) *resp = s.buf;
    else free(s.buf);
    return status;
}

/* ---- the service as a process ------------------------------------------------ */

static char g_db[600]; /* the test's store (tu_db), made by the first fixture */

/* A league simulated and a gbdt and stack trained before DATE, and a config
 * (extra: more lines for it). */
static const char *fixture(const char *extra)
{
    static char conf[600];
    const char *t = tu_tmpdir(), *bin = tu_swish_bin();
    if (!g_db[0]) tu_db(g_db, sizeof g_db, NULL, "swish");
    snprintf(conf, sizeof conf, "%s/serve.conf", t);
    FILE *fp = fopen(conf, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp,
            "[paths]\ndata = %s/data\nmodels = %s/models\ndb = %s\n[retrain]\nrounds = 30\nfolds = 3\n"
            "[serve]\npoll_s = 0\n%s%s",
            t, t, g_db, extra && strstr(extra, "token") ? "" : "insecure = 1\n", extra ? extra : "");
    fclose(fp);
    char data[600];
    snprintf(data, sizeof data, "%s/data", t);
    struct stat st;
    if (stat(data, &st) != 0) {
        ck_assert_int_eq(tu_sh(NULL, "%s simulate --seed 11 --seasons 1 --first-season 2024 --out %s/data", bin, t), 0);
        ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until " DATE " >/dev/null 2>&1", bin, conf), 0);
    }
    return conf;
}

static void sv_spawn(sv *s, const char *conf, const char *env, const char *const *extra)
{
    memset(s, 0, sizeof *s);
    s->port = tu_free_port();
    snprintf(s->log, sizeof s->log, "%s/serve-%d.log", tu_tmpdir(), s->port);
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    const char *argv[24] = {tu_swish_bin(), "serve", "--config", conf, "--listen", listen, "--threads", "2"};
    int n = 8;
    for (int i = 0; extra && extra[i] && n < 22; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        FILE *e = freopen(s->log, "a", stderr);
        (void)e;
        if (!freopen("/dev/null", "w", stdout)) _exit(1);
        if (env) putenv((char *)env);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    s->pid = pid;
}

/* Start and wait until /healthz answers (or the process exits: fail). */
static void sv_start(sv *s, const char *conf, const char *env, const char *const *extra)
{
    sv_spawn(s, conf, env, extra);
    for (double t0 = sw_clock_now(); sw_clock_now() - t0 < 30;) {
        if (http("GET", s->port, "/healthz", NULL, NULL, NULL) == 200) return;
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            char *log = tu_slurp(s->log, NULL);
            ck_abort_msg("swish serve exited (status %d) before answering:\n%s", st, log ? log : "");
        }
        usleep(20000);
    }
    ck_abort_msg("swish serve did not answer /healthz within 30 s");
}

/* Wait for the process; its exit code, 128 + signal when killed, -1 if still running after `secs`. */
static int sv_wait(sv *s, double secs)
{
    for (double t0 = sw_clock_now(); sw_clock_now() - t0 < secs; usleep(20000)) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
    }
    return -1;
}

static int sv_stop(sv *s)
{
    if (!s->pid) return -1;
    kill(s->pid, SIGTERM);
    int rc = sv_wait(s, 40);
    if (rc < 0) {
        kill(s->pid, SIGKILL);
        sv_wait(s, 5);
    }
    return rc;
}

static char *sv_log(const sv *s)
{
    char *t = tu_slurp(s->log, NULL);
    return t ? t : strdup("");
}

/* Poll a job until done or failed. */
static void wait_job(const sv *s, const char *id, const char *state)
{
    char path[300], *r = NULL;
    snprintf(path, sizeof path, "/v1/jobs/%s", id);
    for (double t0 = sw_clock_now(); sw_clock_now() - t0 < 60; usleep(50000)) {
        free(r);
        r = NULL;
        if (http("GET", s->port, path, NULL, NULL, &r) == 200 && (strstr(r, "\"done\"") || strstr(r, "\"failed\""))) {
            char want[40];
            snprintf(want, sizeof want, "\"state\":\"%s\"", state);
            ck_assert_msg(strstr(r, want), "job %s: %s", id, r);
            free(r);
            return;
        }
    }
    ck_abort_msg("job %s did not finish: %s", id, r ? r : "");
}

static char *envelope(const char *id, const char *data_json)
{
    char b64[512];
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)data_json, (int)strlen(data_json));
    char *out = malloc(1024);
    snprintf(out, 1024,
             "{\"message\":{\"attributes\":{\"k\":\"v\"},\"data\":\"%s\",\"messageId\":\"%s\",\"publishTime\":"
             "\"2025-03-01T12:00:00Z\"},\"subscription\":\"projects/p/subscriptions/swish\"}",
             b64, id);
    return out;
}

/* ---- /v1/predict against the stored slate ------------------------------------------ */

static double jnum(const sw_json *d, sw_jnode o, const char *key)
{
    sw_jnode n = sw_json_get(d, o, key);
    ck_assert_msg(n != SW_JNONE, "no %s", key);
    if (sw_json_type_of(d, n) == SW_JSON_NULL) return NAN;
    double v;
    ck_assert_int_eq(sw_json_f64(d, n, 0, &v, NULL), 0);
    return v;
}

static int same_num(double a, double b) { return (isnan(a) && isnan(b)) || (float)a == (float)b; }

/* Every player `swish slate` stored for the date, asked of /v1/predict in one
 * batch: the same predictions, P(over), edge, calls, reasons and versions. */
START_TEST(predict_matches_slate)
{
    const char *conf = fixture(NULL);
    char db[600];
    snprintf(db, sizeof db, "%s", g_db);
    ck_assert_int_eq(tu_sh(NULL, "%s slate --config %s --date " DATE " >/dev/null 2>&1", tu_swish_bin(), conf), 0);
    long stored = tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system = 'final' AND game_date = '" DATE "'");
    ck_assert_int_gt(stored, 50);
    sv s;
    sv_start(&s, conf, NULL, NULL);
    char *slate = NULL;
    ck_assert_int_eq(http("GET", s.port, "/v1/slate?date=" DATE "&system=all", NULL, NULL, &slate), 200);
    sw_json *sd = tu_json_parse("slate", slate);
    sw_jnode preds = sw_json_get(sd, sw_json_root(sd), "predictions");
    /* the batch: every player with a final row */
    size_t cap = 64 + 40 * (size_t)stored, len = 0;
    char *body = malloc(cap);
    len += (size_t)snprintf(body + len, cap - len, "{\"date\":\"" DATE "\",\"explain\":true,\"players\":[");
    long n = 0;
    for (sw_jnode p = sw_json_first(sd, preds); p != SW_JNONE; p = sw_json_next(sd, p)) {
        if (!sw_json_streq(sd, sw_json_get(sd, p, "system"), "final")) continue;
        char *id = sw_json_strdup(sd, sw_json_get(sd, p, "player_id"));
        len += (size_t)snprintf(body + len, cap - len, "%s\"%s\"", n++ ? "," : "", id);
        free(id);
    }
    snprintf(body + len, cap - len, "]}");
    ck_assert_int_eq(n, stored);
    char *resp = NULL;
    ck_assert_int_eq(http("POST", s.port, "/v1/predict", body, NULL, &resp), 200);
    sw_json *pd = tu_json_parse("predict", resp);
    sw_jnode arr = sw_json_get(pd, sw_json_root(pd), "predictions");
    ck_assert_int_eq(sw_json_len(pd, arr), stored);
    ck_assert_int_eq(sw_json_len(pd, sw_json_get(pd, sw_json_root(pd), "errors")), 0);
    long compared = 0, calls = 0;
    for (sw_jnode p = sw_json_first(sd, preds); p != SW_JNONE; p = sw_json_next(sd, p)) {
        char *id = sw_json_strdup(sd, sw_json_get(sd, p, "player_id"));
        char *sys = sw_json_strdup(sd, sw_json_get(sd, p, "system"));
        sw_jnode q = SW_JNONE;
        for (sw_jnode e = sw_json_first(pd, arr); e != SW_JNONE && q == SW_JNONE; e = sw_json_next(pd, e))
            if (sw_json_streq(pd, sw_json_get(pd, e, "player_id"), id)) q = e;
        ck_assert_msg(q != SW_JNONE, "player %s missing from the answer", id);
        sw_jnode f = !strcmp(sys, "final") ? sw_json_get(pd, q, "final")
                                           : sw_json_get(pd, sw_json_get(pd, q, "systems"), sys);
        ck_assert_msg(f != SW_JNONE, "%s %s missing", id, sys);
        ck_assert_msg(same_num(jnum(sd, p, "prediction"), jnum(pd, f, "prediction")), "%s %s: prediction %g vs %g", id,
                      sys, jnum(sd, p, "prediction"), jnum(pd, f, "prediction"));
        ck_assert(same_num(jnum(sd, p, "line"), jnum(pd, q, "line")));
        char *c1 = sw_json_strdup(sd, sw_json_get(sd, p, "call")), *c2 = sw_json_strdup(pd, sw_json_get(pd, f, "call"));
        ck_assert_msg(!strcmp(c1, c2), "%s %s: call %s vs %s", id, sys, c1, c2);
        char *v1 = sw_json_strdup(sd, sw_json_get(sd, p, "version")), *v2 = sw_json_strdup(pd, sw_json_get(pd, f, "version"));
        ck_assert_msg(!strcmp(v1, v2), "%s %s: version %s vs %s", id, sys, v1, v2);
        if (!strcmp(sys, "final")) {
            ck_assert(same_num(jnum(sd, p, "p_over"), jnum(pd, f, "p_over")));
            ck_assert(same_num(jnum(sd, p, "edge"), jnum(pd, f, "edge")));
            ck_assert(same_num(jnum(sd, p, "confidence"), jnum(pd, f, "confidence")));
            char *r1 = sw_json_strdup(sd, sw_json_get(sd, p, "reason")), *r2 = sw_json_strdup(pd, sw_json_get(pd, f, "reason"));
            ck_assert_msg(!strcmp(r1, r2), "%s: reason\n%s\n%s", id, r1, r2);
            free(r1);
            free(r2);
            /* calls carry their drivers; explain asked for them on every row */
            ck_assert_int_eq(sw_json_len(pd, sw_json_get(pd, q, "drivers")), 5);
            calls += !strcmp(c1, "OVER") || !strcmp(c1, "UNDER");
        }
        compared++;
        free(c1);
        free(c2);
        free(v1);
        free(v2);
        free(id);
        free(sys);
    }
    ck_assert_int_gt(compared, 5 * stored);
    ck_assert_int_gt(calls, 0);
    sw_json_free(pd);
    free(resp);
    free(body);
    sw_json_free(sd);
    free(slate);
    ck_assert_int_eq(sv_stop(&s), 0);
}
END_TEST

/* A line given in the request: the final is recombined against it (edge =
 * prediction - line, by hand), the row's own line gives the stored answer,
 * null means no line; one unknown player is 404, in a batch an error entry. */
START_TEST(predict_lines_and_errors)
{
    const char *conf = fixture(NULL);
    sv s;
    sv_start(&s, conf, NULL, NULL);
    char *r = NULL;
    /* the first expected player with a book line */
    ck_assert_int_eq(http("POST", s.port, "/v1/predict", "{\"date\":\"" DATE "\",\"players\":[]}", NULL, &r), 400);
    ck_assert_ptr_nonnull(strstr(r, "players"));
    free(r);
    char *slate = NULL;
    ck_assert_int_eq(tu_sh(&slate, "%s slate --config %s --date " DATE " --no-store --json 2>/dev/null", tu_swish_bin(), conf), 0);
    sw_json *sd = tu_json_parse("slate", slate);
    sw_jnode rows = sw_json_get(sd, sw_json_root(sd), "rows");
    char id[64] = "";
    double line = NAN;
    for (sw_jnode p = sw_json_first(sd, rows); p != SW_JNONE && !id[0]; p = sw_json_next(sd, p)) {
        double l = jnum(sd, p, "line");
        if (isfinite(l)) {
            char *x = sw_json_strdup(sd, sw_json_get(sd, p, "player_id"));
            snprintf(id, sizeof id, "%s", x);
            free(x);
            line = l;
        }
    }
    ck_assert(id[0]);
    char body[300];
    char *a = NULL, *b = NULL;
    snprintf(body, sizeof body, "{\"date\":\"" DATE "\",\"player_id\":\"%s\"}", id);
    ck_assert_int_eq(http("POST", s.port, "/v1/predict", body, NULL, &a), 200);
    snprintf(body, sizeof body, "{\"date\":\"" DATE "\",\"player_id\":\"%s\",\"line\":%.1f}", id, line);
    ck_assert_int_eq(http("POST", s.port, "/v1/predict", body, NULL, &b), 200);
    /* the same line: the same final (the line's source differs, and the book is unknown) */
    sw_json *da = tu_json_parse("a", a), *db = tu_json_parse("b", b);
    sw_jnode fa = sw_json_get(da, sw_json_first(da, sw_json_get(da, sw_json_root(da), "predictions")), "final");
    sw_jnode fb = sw_json_get(db, sw_json_first(db, sw_json_get(db, sw_json_root(db), "predictions")), "final");
    static const char *const keys[] = {"prediction", "p_over", "edge", "confidence"};
    for (int k = 0; k < 4; k++) ck_assert(same_num(jnum(da, fa, keys[k]), jnum(db, fb, keys[k])));
    double pred = jnum(da, fa, "prediction");
    sw_json_free(da);
    sw_json_free(db);
    free(a);
    free(b);
    /* a line 12 points lower: edge by hand, an OVER side */
    double low = floor(line) - 11.5;
    if (low < 0.5) low = 0.5;
    snprintf(body, sizeof body, "{\"date\":\"" DATE "\",\"player_id\":%s,\"line\":%.1f}", id, low);
    ck_assert_int_eq(http("POST", s.port, "/v1/predict", body, NULL, &a), 200);
    da = tu_json_parse("low", a);
    sw_jnode pa = sw_json_first(da, sw_json_get(da, sw_json_root(da), "predictions"));
    fa = sw_json_get(da, pa, "final");
    ck_assert(sw_json_streq(da, sw_json_get(da, pa, "line_source"), "request"));
    /* the market's median does not depend on the line asked about: the same prediction (to the
     * JSON's two decimals), the edge against the lower line */
    ck_assert_msg(fabs(jnum(da, fa, "prediction") - pred) <= 0.011, "prediction %g at line %g, %g at the market's line",
                  jnum(da, fa, "prediction"), low, pred);
    ck_assert_msg(fabs(jnum(da, fa, "edge") - (pred - low)) <= 0.021, "edge %g, by hand %g", jnum(da, fa, "edge"),
                  pred - low);
    ck_assert_msg(jnum(da, fa, "p_over") > 0.5, "P(over) %g for a line %g under the prediction %g",
                  jnum(da, fa, "p_over"), low, pred);
    sw_json_free(da);
    free(a);
    /* no line */
    snprintf(body, sizeof body, "{\"date\":\"" DATE "\",\"player_id\":\"%s\",\"line\":null}", id);
    ck_assert_int_eq(http("POST", s.port, "/v1/predict", body, NULL, &a), 200);
    ck_assert_ptr_nonnull(strstr(a, "\"call\":\"NO_LINE\""));
    free(a);
    /* unknown players */
    ck_assert_int_eq(http("POST", s.port, "/v1/predict", "{\"date\":\"" DATE "\",\"player_id\":\"nobody\"}", NULL, &a), 404);
    ck_assert_ptr_nonnull(strstr(a, "unknown player 'nobody'"));
    free(a);
    snprintf(body, sizeof body, "{\"date\":\"" DATE "\",\"players\":[\"nobody\",{\"player_id\":\"%s\",\"line\":20.5}]}", id);
    ck_assert_int_eq(http("POST", s.port, "/v1/predict", body, NULL, &a), 200);
    da = tu_json_parse("batch", a);
    ck_assert_int_eq(sw_json_len(da, sw_json_get(da, sw_json_root(da), "predictions")), 1);
    ck_assert_int_eq(sw_json_len(da, sw_json_get(da, sw_json_root(da), "errors")), 1);
    sw_json_free(da);
    free(a);
    /* a date without games, bad input */
    ck_assert_int_eq(http("POST", s.port, "/v1/predict", "{\"date\":\"2025-08-01\",\"player_id\":\"1\"}", NULL, &a), 404);
    ck_assert_ptr_nonnull(strstr(a, "no games"));
    free(a);
    static const char *const bad[] = {"{", "[]", "{\"date\":\"2025-13-01\",\"player_id\":\"1\"}",
                                      "{\"player_id\":\"1\"}", "{\"date\":\"" DATE "\"}",
                                      "{\"date\":\"" DATE "\",\"player_id\":\"1\",\"line\":-3}",
                                      "{\"date\":\"" DATE "\",\"player_id\":\"1\",\"line\":\"x\"}",
                                      "{\"date\":\"" DATE "\",\"player_id\":\"1\",\"players\":[\"1\"]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(http("POST", s.port, "/v1/predict", bad[i], NULL, &a) == 400, "%s: not 400: %s", bad[i], a);
        ck_assert_ptr_nonnull(strstr(a, "\"error\""));
        free(a);
    }
    sw_json_free(sd);
    free(slate);
    ck_assert_int_eq(sv_stop(&s), 0);
}
END_TEST

/* ---- pushes and jobs ---------------------------------------------------------------- */

/* A push is recorded, acknowledged and run through the slate's code path:
 * the stored rows are those `swish slate` stores; a redelivery is
 * acknowledged and not run; malformed envelopes are 400. */
START_TEST(push_runs_the_slate_once)
{
    const char *conf = fixture(NULL);
    char db[600], ref[600];
    snprintf(db, sizeof db, "%s", g_db);
    tu_db(ref, sizeof ref, NULL, "ref");
    ck_assert_int_eq(tu_sh(NULL, "%s slate --config %s --db %s --date " DATE " >/dev/null 2>&1", tu_swish_bin(), conf, ref), 0);
    sv s;
    sv_start(&s, conf, NULL, NULL);
    char *env = envelope("m-1", "{\"game_date\":\"" DATE "\"}"), *r = NULL;
    ck_assert_int_eq(http("POST", s.port, "/pubsub/push", env, NULL, &r), 202);
    ck_assert_ptr_nonnull(strstr(r, "\"duplicate\":false"));
    free(r);
    wait_job(&s, "m-1", "done");
    ck_assert_int_eq(http("POST", s.port, "/pubsub/push", env, NULL, &r), 200);
    ck_assert_ptr_nonnull(strstr(r, "\"duplicate\":true"));
    free(r);
    free(env);
    /* the message_id spelling */
    env = strdup("{\"message\":{\"data\":\"eyJnYW1lX2RhdGUiOiIyMDI1LTAzLTAxIn0=\",\"message_id\":\"m-2\"}}");
    ck_assert_int_eq(http("POST", s.port, "/pubsub/push", env, NULL, NULL), 202);
    free(env);
    wait_job(&s, "m-2", "done");
    /* the rows: one per prediction, the same as the CLI's */
    const char *q = "SELECT player_id || '|' || system || '|' || model_version || '|' || recommendation || '|' ||"
                    " CAST(round(prediction * 1000000) AS INTEGER) FROM predictions WHERE game_date = '" DATE "' ORDER BY 1";
    char *a = tu_sql_dump(db, q), *b = tu_sql_dump(ref, q);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM (SELECT 1 FROM predictions GROUP BY game_date, game_id,"
                                     " player_id, system HAVING count(*) > 1) AS d"),
                     0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM runs"), 2); /* m-1 and m-2, not the redelivery */
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'done' AND attempts = 1"), 2);
    /* bad envelopes */
    static const char *const bad[] = {
        "not json", "{}", "{\"message\":{\"data\":\"eyJnYW1lX2RhdGUiOiIyMDI1LTAzLTAxIn0=\"}}",
        "{\"message\":{\"data\":\"!!!\",\"messageId\":\"x1\"}}",
        "{\"message\":{\"data\":\"bm90IGpzb24=\",\"messageId\":\"x2\"}}",
        "{\"message\":{\"data\":\"e30=\",\"messageId\":\"x3\"}}",
        "{\"message\":{\"data\":\"eyJnYW1lX2RhdGUiOiIyMDI1LTAyLTMwIn0=\",\"messageId\":\"x4\"}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(http("POST", s.port, "/pubsub/push", bad[i], NULL, &r) == 400, "%s: not 400: %s", bad[i], r);
        ck_assert_ptr_nonnull(strstr(r, "\"error\""));
        free(r);
    }
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM jobs"), 2);
    /* a date without games is acknowledged (a redelivery would not help) and fails */
    env = envelope("m-3", "{\"game_date\":\"2025-08-01\"}");
    ck_assert_int_eq(http("POST", s.port, "/pubsub/push", env, NULL, NULL), 202);
    free(env);
    wait_job(&s, "m-3", "failed");
    ck_assert_int_eq(http("GET", s.port, "/v1/jobs/m-3", NULL, NULL, &r), 200);
    ck_assert_ptr_nonnull(strstr(r, "no games"));
    ck_assert_ptr_nonnull(strstr(r, "\"exit_code\":8"));
    free(r);
    ck_assert_int_eq(http("GET", s.port, "/v1/jobs/none", NULL, NULL, NULL), 404);
    ck_assert_int_eq(sv_stop(&s), 0);
}
END_TEST

/* A crash in the middle of a pushed slate's transaction: nothing of it is
 * stored, the job stays recorded, and the next start runs it to the end. */
START_TEST(push_resumes_after_a_crash)
{
    const char *conf = fixture(NULL);
    char db[600];
    snprintf(db, sizeof db, "%s", g_db);
    sv s;
    sv_start(&s, conf, "SWISH_FAULT_KILL_AFTER=40", NULL);
    char *env = envelope("crash-1", "{\"game_date\":\"" DATE "\"}");
    ck_assert_int_eq(http("POST", s.port, "/pubsub/push", env, NULL, NULL), 202);
    ck_assert_int_eq(sv_wait(&s, 30), 128 + SIGKILL);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM jobs WHERE id = 'crash-1' AND state = 'running'"), 1);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM predictions"), 0);
    sv_start(&s, conf, NULL, NULL);
    wait_job(&s, "crash-1", "done");
    ck_assert_int_eq(tu_sql_long(db, "SELECT attempts FROM jobs WHERE id = 'crash-1'"), 2);
    ck_assert_int_gt(tu_sql_long(db, "SELECT count(*) FROM predictions WHERE system = 'final'"), 50);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM runs"), 1);
    /* the redelivery of a job that crashed and resumed is not run again */
    ck_assert_int_eq(http("POST", s.port, "/pubsub/push", env, NULL, NULL), 200);
    free(env);
    char *log = NULL;
    ck_assert_int_eq(http("GET", s.port, "/metrics", NULL, NULL, &log), 200);
    ck_assert_ptr_nonnull(strstr(log, "swish_jobs_total{event=\"resumed\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(log, "swish_jobs_total{event=\"duplicate\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(log, "swish_slate_runs_total{result=\"ok\"} 1\n"));
    free(log);
    ck_assert_int_eq(sv_stop(&s), 0);
    ck_assert_int_eq(tu_sql_long(db, "SELECT count(*) FROM runs"), 1);
}
END_TEST

/* A database that cannot take the record: 503 (Pub/Sub redelivers), nothing acknowledged. */
START_TEST(push_unrecorded_is_5xx)
{
    const char *conf = fixture(NULL);
    char db[600];
    snprintf(db, sizeof db, "%s", g_db);
    sv s;
    sv_start(&s, conf, NULL, NULL);
    /* another process holds the write lock past the busy timeout */
    char *env = envelope("locked-1", "{\"game_date\":\"" DATE "\"}"), *r = NULL;
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t holder = fork();
    if (holder == 0) {
        close(fds[0]);
        tu_db_lock(db);
        if (write(fds[1], "x", 1) != 1) _exit(1);
        sleep(8);
        _exit(0);
    }
    close(fds[1]);
    char x;
    ck_assert_int_eq(read(fds[0], &x, 1), 1);
    double t0 = sw_clock_now();
    ck_assert_int_eq(http("POST", s.port, "/pubsub/push", env, NULL, &r), 503);
    ck_assert_ptr_nonnull(strstr(r, "retry"));
    ck_assert_double_lt(sw_clock_now() - t0, 7.5);
    free(r);
    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    /* the redelivery is recorded and runs */
    ck_assert_int_eq(http("POST", s.port, "/pubsub/push", env, NULL, NULL), 202);
    wait_job(&s, "locked-1", "done");
    free(env);
    ck_assert_int_eq(sv_stop(&s), 0);
}
END_TEST

/* ---- authentication ------------------------------------------------------------------ */

static void b64url(const unsigned char *d, size_t n, char *out)
{
    int len = EVP_EncodeBlock((unsigned char *)out, d, (int)n);
    while (len > 0 && out[len - 1] == '=') len--;
    out[len] = 0;
    for (int i = 0; i < len; i++) out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
}

static char *jwt(const char *key_pem, const char *payload)
{
    FILE *fp = fopen(key_pem, "r");
    ck_assert_ptr_nonnull(fp);
    EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    ck_assert_ptr_nonnull(k);
    const char *hdr = "{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}";
    char *out = malloc(4096);
    b64url((const unsigned char *)hdr, strlen(hdr), out);
    size_t n = strlen(out);
    out[n++] = '.';
    b64url((const unsigned char *)payload, strlen(payload), out + n);
    n = strlen(out);
    unsigned char sig[512];
    size_t slen = sizeof sig;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    ck_assert_int_eq(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k), 1);
    ck_assert_int_eq(EVP_DigestSign(m, sig, &slen, (const unsigned char *)out, n), 1);
    EVP_MD_CTX_free(m);
    EVP_PKEY_free(k);
    out[n++] = '.';
    b64url(sig, slen, out + n);
    return out;
}

/* The JWKS of a key file (kid k1), as Google publishes its keys. */
static void write_jwks(const char *key_pem, const char *out)
{
    FILE *fp = fopen(key_pem, "r");
    ck_assert_ptr_nonnull(fp);
    EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    ck_assert_ptr_nonnull(k);
    BIGNUM *n = NULL, *e = NULL;
    ck_assert_int_eq(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    ck_assert_int_eq(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e), 1);
    unsigned char nb[1024], eb[16];
    int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
    char ns[1400], es[32];
    b64url(nb, (size_t)nl, ns);
    b64url(eb, (size_t)el, es);
    fp = fopen(out, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":\"k1\",\"n\":\"%s\",\"e\":\"%s\"}]}",
            ns, es);
    fclose(fp);
    BN_free(n);
    BN_free(e);
    EVP_PKEY_free(k);
}

/* python3's http.server on loopback serving dir; its pid. */
static int static_server(const char *dir, int port)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(1);
        execlp("python3", "python3", "-m", "http.server", ps, "--bind", "127.0.0.1", "--directory", dir, (char *)NULL);
        _exit(127);
    }
    for (double t0 = sw_clock_now(); sw_clock_now() - t0 < 10; usleep(50000)) {
        char path[64];
        snprintf(path, sizeof path, "/jwks.json");
        if (http("GET", port, path, NULL, NULL, NULL) == 200) return pid;
    }
    ck_abort_msg("python3 -m http.server did not start");
    return -1;
}

#define AUD "https://swish.example/pubsub/push"
#define SA "push@proj.iam.gserviceaccount.com"

static char *claims(const char *iss, const char *aud, const char *email, int verified, long long exp_in)
{
    char *p = malloc(600);
    long long now = (long long)time(NULL);
    snprintf(p, 600, "{\"iss\":\"%s\",\"aud\":\"%s\",\"email\":\"%s\",\"email_verified\":%s,\"iat\":%lld,\"exp\":%lld,"
             "\"sub\":\"1\"}", iss, aud, email, verified ? "true" : "false", now - 10, now + exp_in);
    return p;
}

static long push_with(const sv *s, const char *id, const char *auth_header, const char *query)
{
    char *env = envelope(id, "{\"game_date\":\"" DATE "\"}");
    char path[300];
    snprintf(path, sizeof path, "/pubsub/push%s", query ? query : "");
    long st = http("POST", s->port, path, env, auth_header, NULL);
    free(env);
    return st;
}

/* Pushes need a JWT signed by the configured key with the right issuer,
 * audience, service account and times, or the shared token; the rest is
 * 401/403 and counted. */
START_TEST(push_auth)
{
    const char *t = tu_tmpdir();
    ck_assert_int_eq(tu_sh(NULL, "cd %s && openssl genrsa -out key.pem 2048 2>/dev/null && openssl rsa -in key.pem "
                                 "-pubout -out pub.pem 2>/dev/null && openssl genrsa -out other.pem 2048 2>/dev/null", t),
                     0);
    char extra[1200];
    snprintf(extra, sizeof extra, "jwks = %s/pub.pem\naudience = " AUD "\nemail = " SA "\ntoken = s3cret-token\n", t);
    const char *conf = fixture(extra);
    sv s;
    sv_start(&s, conf, NULL, NULL);
    char key[600], other[600], hdr[5000];
    snprintf(key, sizeof key, "%s/key.pem", t);
    snprintf(other, sizeof other, "%s/other.pem", t);
    struct {
        const char *keyfile;
        char *claims;
        long want;
    } cases[] = {
        {key, claims("https://accounts.google.com", AUD, SA, 1, 600), 202},
        {key, claims("accounts.google.com", AUD, SA, 1, 600), 202},
        {other, claims("https://accounts.google.com", AUD, SA, 1, 600), 401},        /* another key */
        {key, claims("https://accounts.google.com", "https://elsewhere", SA, 1, 600), 401}, /* audience */
        {key, claims("https://evil.example", AUD, SA, 1, 600), 401},                 /* issuer */
        {key, claims("https://accounts.google.com", AUD, "x@y.z", 1, 600), 403},      /* service account */
        {key, claims("https://accounts.google.com", AUD, SA, 0, 600), 403},           /* not verified */
        {key, claims("https://accounts.google.com", AUD, SA, 1, -120), 401},          /* expired beyond the skew */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *tok = jwt(cases[i].keyfile, cases[i].claims);
        snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", tok);
        char id[32];
        snprintf(id, sizeof id, "auth-%zu", i);
        ck_assert_msg(push_with(&s, id, hdr, NULL) == cases[i].want, "case %zu (%s): not %ld", i, cases[i].claims,
                      cases[i].want);
        free(tok);
        free(cases[i].claims);
    }
    ck_assert_int_eq(push_with(&s, "none-1", NULL, NULL), 401);
    ck_assert_int_eq(push_with(&s, "basic-1", "Authorization: Basic dTpw", NULL), 401);
    ck_assert_int_eq(push_with(&s, "garbage-1", "Authorization: Bearer a.b.c", NULL), 401);
    ck_assert_int_eq(push_with(&s, "tok-1", NULL, "?token=s3cret-token"), 202);
    ck_assert_int_eq(push_with(&s, "tok-2", NULL, "?token=Zq9-bad-token"), 403);
    char *m = NULL;
    ck_assert_int_eq(http("GET", s.port, "/metrics", NULL, NULL, &m), 200);
    ck_assert_ptr_nonnull(strstr(m, "swish_auth_failures_total{reason=\"invalid\"} 5\n"));
    ck_assert_ptr_nonnull(strstr(m, "swish_auth_failures_total{reason=\"denied\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(m, "swish_auth_failures_total{reason=\"missing\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(m, "swish_auth_failures_total{reason=\"malformed\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(m, "swish_auth_failures_total{reason=\"token\"} 1\n"));
    free(m);
    ck_assert_int_eq(tu_sql_long(g_db, "SELECT count(*) FROM jobs"), 3); /* auth-0, auth-1, tok-1 */
    /* the token never reaches the log */
    ck_assert_int_eq(sv_stop(&s), 0);
    char *log = sv_log(&s);
    ck_assert_ptr_null(strstr(log, "s3cret-token"));
    ck_assert_ptr_null(strstr(log, "Zq9-bad-token"));
    free(log);
    /* the keys as a JWKS fetched from a URL (Google's form) */
    char www[600], jwks[700];
    snprintf(www, sizeof www, "%s/www", t);
    mkdir(www, 0755);
    snprintf(jwks, sizeof jwks, "%s/jwks.json", www);
    write_jwks(key, jwks);
    int wport = tu_free_port();
    int wpid = static_server(www, wport);
    snprintf(extra, sizeof extra, "jwks = http://127.0.0.1:%d/jwks.json\naudience = " AUD "\nemail = " SA "\n", wport);
    const char *url_conf = fixture(extra);
    sv_start(&s, url_conf, NULL, NULL);
    char *good = claims("https://accounts.google.com", AUD, SA, 1, 600);
    char *tok = jwt(key, good);
    snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", tok);
    ck_assert_int_eq(push_with(&s, "url-1", hdr, NULL), 202);
    free(tok);
    tok = jwt(other, good);
    snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", tok);
    ck_assert_int_eq(push_with(&s, "url-2", hdr, NULL), 401);
    free(tok);
    free(good);
    ck_assert_int_eq(sv_stop(&s), 0);
    kill(wpid, SIGKILL);
    waitpid(wpid, NULL, 0);

    /* without credentials configured (and serve.insecure = 0), pushes are refused */
    const char *closed = fixture("token = \n");
    sv_start(&s, closed, NULL, NULL);
    char *r = NULL;
    char *env = envelope("open-1", "{\"game_date\":\"" DATE "\"}");
    ck_assert_int_eq(http("POST", s.port, "/pubsub/push", env, NULL, &r), 401);
    ck_assert_ptr_nonnull(strstr(r, "no credentials are configured"));
    free(r);
    free(env);
    ck_assert_int_eq(sv_stop(&s), 0);
}
END_TEST

/* ---- metrics ---------------------------------------------------------------------- */

/* promtool accepts /metrics; what it does not check holds: buckets
 * cumulative, +Inf equal to _count, counts equal to the requests made. */
START_TEST(metrics_promtool)
{
    const char *conf = fixture(NULL);
    sv s;
    sv_start(&s, conf, NULL, NULL);
    for (int i = 0; i < 25; i++)
        ck_assert_int_eq(http("POST", s.port, "/v1/predict", "{\"date\":\"" DATE "\",\"player_id\":\"nobody\"}", NULL, NULL), 404);
    for (int i = 0; i < 7; i++) ck_assert_int_eq(http("GET", s.port, "/nowhere", NULL, NULL, NULL), 404);
    ck_assert_int_eq(http("GET", s.port, "/readyz", NULL, NULL, NULL), 200);
    char *m = NULL;
    ck_assert_int_eq(http("GET", s.port, "/metrics", NULL, NULL, &m), 200);
    const char *path = tu_write("metrics.txt", m, strlen(m));
    char *out = NULL;
    int rc = tu_sh(&out, "promtool check metrics < %s 2>&1", path);
    ck_assert_msg(rc == 0, "promtool (Debian package prometheus; make deps): rc %d\n%s", rc, out);
    free(out);
    ck_assert_ptr_nonnull(strstr(m, "swish_http_requests_total{route=\"/v1/predict\",method=\"POST\",status=\"404\"} 25\n"));
    ck_assert_ptr_nonnull(strstr(m, "swish_http_requests_total{route=\"other\",method=\"GET\",status=\"404\"} 7\n"));
    ck_assert_ptr_nonnull(strstr(m, "swish_models_info{system=\"gbdt\""));
    ck_assert_ptr_nonnull(strstr(m, "swish_ready 1\n"));
    /* the monitor's figures (monitor.h) as gauges */
    ck_assert_ptr_nonnull(strstr(m, "\nswish_monitor_system_state{system=\"gbdt\"} "));
    ck_assert_ptr_nonnull(strstr(m, "\nswish_monitor_input_stale{input=\"box_scores\"} "));
    /* every histogram series: non-decreasing buckets, +Inf == _count */
    int series = 0;
    char prev_key[400] = "";
    double prev = -1;
    for (char *line = strtok(m, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        char *b = strstr(line, "_bucket{");
        if (b) {
            char *le = strstr(line, ",le=\"");
            if (!le) le = strstr(line, "{le=\"");
            ck_assert_ptr_nonnull(le);
            char key[400];
            snprintf(key, sizeof key, "%.*s", (int)(le - line), line);
            double v = atof(strrchr(line, ' ') + 1);
            if (strcmp(key, prev_key)) prev = -1;
            ck_assert_msg(v >= prev, "%s: buckets not cumulative", line);
            prev = v;
            snprintf(prev_key, sizeof prev_key, "%s", key);
            if (strstr(le, "le=\"+Inf\"")) {
                /* the matching _count line follows _sum */
                char *sum = strtok(NULL, "\n"), *cnt = strtok(NULL, "\n");
                ck_assert_ptr_nonnull(sum);
                ck_assert_ptr_nonnull(cnt);
                ck_assert_ptr_nonnull(strstr(sum, "_sum"));
                ck_assert_ptr_nonnull(strstr(cnt, "_count"));
                ck_assert_msg(atof(strrchr(cnt, ' ') + 1) == v, "%s: +Inf %g != count", cnt, v);
                series++;
                prev_key[0] = 0;
            }
        }
    }
    ck_assert_int_ge(series, 4);
    free(m);
    ck_assert_int_eq(sv_stop(&s), 0);
}
END_TEST

/* ---- reloads ------------------------------------------------------------------------ */

static char *gbdt_version(const sv *s, const char *player)
{
    char body[200], *r = NULL;
    snprintf(body, sizeof body, "{\"date\":\"" DATE "\",\"player_id\":\"%s\"}", player);
    ck_assert_int_eq(http("POST", s->port, "/v1/predict", body, NULL, &r), 200);
    sw_json *d = tu_json_parse("predict", r);
    sw_jnode p = sw_json_first(d, sw_json_get(d, sw_json_root(d), "predictions"));
    char *v = sw_json_strdup(d, sw_json_get(d, sw_json_get(d, sw_json_get(d, p, "systems"), "gbdt"), "version"));
    sw_json_free(d);
    free(r);
    return v;
}

/* The two gbdt versions of the fixture's store, in creation order. */
static void two_versions(char v1[80], char v2[80])
{
    char *list = NULL;
    ck_assert_int_eq(tu_sh(&list, "ls %s/models/gbdt | grep -v json | sort", tu_tmpdir()), 0);
    ck_assert_int_eq(sscanf(list, "%79s %79s", v1, v2), 2);
    free(list);
}

/* The first player of the date's slate (malloc'd). */
static char *first_player(const char *conf)
{
    char *slate = NULL;
    ck_assert_int_eq(tu_sh(&slate, "%s slate --config %s --date " DATE " --no-store --json 2>/dev/null", tu_swish_bin(), conf), 0);
    sw_json *sd = tu_json_parse("slate", slate);
    char *player = sw_json_strdup(sd, sw_json_get(sd, sw_json_first(sd, sw_json_get(sd, sw_json_root(sd), "rows")), "player_id"));
    sw_json_free(sd);
    free(slate);
    return player;
}

static int wait_log(const sv *s, const char *what, double secs)
{
    for (double t0 = sw_clock_now(); sw_clock_now() - t0 < secs; usleep(50000)) {
        char *log = sv_log(s);
        int found = strstr(log, what) != NULL;
        free(log);
        if (found) return 1;
    }
    return 0;
}

/* SIGHUP after a promotion serves the new version; a champion whose file is
 * corrupt fails to load and the old models keep serving; the poll sees a
 * promotion without a signal. */
START_TEST(reload_swaps_or_keeps)
{
    const char *t = tu_tmpdir();
    const char *conf = fixture(NULL);
    /* a second gbdt version, not promoted */
    ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until 2025-02-20 >/dev/null 2>&1", tu_swish_bin(), conf), 0);
    char v1[80], v2[80];
    two_versions(v1, v2);
    sv s;
    sv_start(&s, conf, NULL, NULL);
    char *player = first_player(conf);
    char *cur = gbdt_version(&s, player);
    const char *other = strcmp(cur, v1) ? v1 : v2;
    char *m = NULL;
    /* promote the other version; SIGHUP */
    ck_assert_int_eq(tu_sh(NULL, "%s models promote gbdt %s --models %s/models >/dev/null 2>&1", tu_swish_bin(), other, t), 0);
    kill(s.pid, SIGHUP);
    ck_assert(wait_log(&s, "SIGHUP: reloading", 10));
    ck_assert(wait_log(&s, "loaded models", 20));
    char *now = gbdt_version(&s, player);
    ck_assert_str_eq(now, other);
    free(now);
    ck_assert_int_eq(http("GET", s.port, "/metrics", NULL, NULL, &m), 200);
    char want[200];
    snprintf(want, sizeof want, "swish_models_info{system=\"gbdt\",version=\"%s\",role=\"champion\"} 1\n", other);
    ck_assert_ptr_nonnull(strstr(m, want));
    snprintf(want, sizeof want, "swish_models_info{system=\"gbdt\",version=\"%s\",role=\"champion\"} 1\n", cur);
    ck_assert_ptr_null(strstr(m, want));
    free(m);
    /* back to the first, then its file corrupted: the reload fails, `other` keeps serving */
    ck_assert_int_eq(tu_sh(NULL, "%s models promote gbdt %s --models %s/models >/dev/null 2>&1", tu_swish_bin(), cur, t), 0);
    ck_assert_int_eq(tu_sh(NULL, "f=%s/models/gbdt/%s/mean.swm && printf 'garbage' > \"$f\"", t, cur), 0);
    kill(s.pid, SIGHUP);
    ck_assert(wait_log(&s, "reload of models failed; the previous models keep serving", 20));
    now = gbdt_version(&s, player);
    ck_assert_str_eq(now, other);
    free(now);
    ck_assert_int_eq(http("GET", s.port, "/metrics", NULL, NULL, &m), 200);
    ck_assert_ptr_nonnull(strstr(m, "swish_models_reloads_total{result=\"failed\"} 1\n"));
    free(m);
    ck_assert_int_eq(http("GET", s.port, "/readyz", NULL, NULL, &m), 200);
    ck_assert_ptr_nonnull(strstr(m, "reload_error"));
    free(m);
    ck_assert_int_eq(sv_stop(&s), 0);
    free(cur);
    free(player);
}
END_TEST

/* serve.poll_s: a promotion is seen without a signal. */
START_TEST(reload_by_poll)
{
    const char *t = tu_tmpdir();
    const char *conf = fixture(NULL);
    ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until 2025-02-20 >/dev/null 2>&1", tu_swish_bin(), conf), 0);
    conf = fixture("poll_s = 0.3\n");
    sv s;
    sv_start(&s, conf, NULL, NULL);
    char *champ = NULL;
    ck_assert_int_eq(tu_sh(&champ, "%s models list --models %s/models --json 2>/dev/null", tu_swish_bin(), t), 0);
    char v1[80], v2[80];
    two_versions(v1, v2);
    free(champ);
    char *m = NULL;
    ck_assert_int_eq(http("GET", s.port, "/metrics", NULL, NULL, &m), 200);
    char want[200];
    const char *other = strstr(m, v1) ? v2 : v1;
    free(m);
    ck_assert_int_eq(tu_sh(NULL, "%s models promote gbdt %s --models %s/models >/dev/null 2>&1", tu_swish_bin(), other, t), 0);
    snprintf(want, sizeof want, "swish_models_info{system=\"gbdt\",version=\"%s\",role=\"champion\"} 1\n", other);
    int seen = 0;
    for (double t0 = sw_clock_now(); sw_clock_now() - t0 < 15 && !seen; usleep(100000)) {
        ck_assert_int_eq(http("GET", s.port, "/metrics", NULL, NULL, &m), 200);
        seen = strstr(m, want) != NULL;
        free(m);
    }
    ck_assert_msg(seen, "the promotion of %s was not seen by the poll", other);
    ck_assert_int_eq(sv_stop(&s), 0);
}
END_TEST

/* A model store in a bucket (the strict fake S3): served once the versions are
 * cached, a promotion in the bucket seen on SIGHUP. */
START_TEST(serve_from_a_bucket)
{
    const char *t = tu_tmpdir(), *bin = tu_swish_bin();
    const char *conf = fixture(NULL);
    ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until 2025-02-20 >/dev/null 2>&1", bin, conf), 0);
    tu_server s3;
    tu_s3_start("fake", NULL, "bkt", "SERVEKEY", "serve-secret-0123456789", &s3);
    setenv("AWS_ACCESS_KEY_ID", "SERVEKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "serve-secret-0123456789", 1);
    setenv("AWS_ENDPOINT_URL", s3.endpoint, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    char cache[600];
    snprintf(cache, sizeof cache, "SWISH_STORAGE_CACHE=%s/cache", t);
    setenv("SWISH_STORAGE_CACHE", cache + strlen("SWISH_STORAGE_CACHE="), 1);
    ck_assert_int_eq(tu_sh(NULL, "%s models sync %s/models s3://bkt/m >/dev/null 2>&1", bin, t), 0);
    const char *const extra[] = {"--models", "s3://bkt/m", NULL};
    sv s;
    sv_start(&s, conf, NULL, extra);
    char *player = first_player(conf);
    char *v = gbdt_version(&s, player);
    char v1[80], v2[80];
    two_versions(v1, v2);
    ck_assert(!strcmp(v, v1) || !strcmp(v, v2));
    const char *other = strcmp(v, v1) ? v1 : v2;
    ck_assert_int_eq(tu_sh(NULL, "%s models promote gbdt %s --models s3://bkt/m >/dev/null 2>&1", bin, other), 0);
    kill(s.pid, SIGHUP);
    char *now = NULL;
    for (double t0 = sw_clock_now(); sw_clock_now() - t0 < 15; usleep(100000)) {
        free(now);
        now = gbdt_version(&s, player);
        if (!strcmp(now, other)) break;
    }
    ck_assert_str_eq(now, other);
    free(now);
    free(v);
    free(player);
    ck_assert_int_eq(sv_stop(&s), 0);
    tu_s3_stop(&s3);
}
END_TEST

/* ---- hostile clients, stopping ---------------------------------------------------------- */

static int connect_raw(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Bodies over the cap (declared or chunked) are 413, unknown routes 404,
 * wrong methods 405; idle connections are closed after the timeout; more
 * connections than the limit are refused while the others are served. */
START_TEST(hostile_clients)
{
    const char *conf = fixture("max_body = 4096\nmax_connections = 4\ntimeout_s = 1\n");
    sv s;
    sv_start(&s, conf, NULL, NULL);
    char *big = malloc(10000);
    memset(big, ' ', 9999);
    big[0] = '{';
    big[9998] = '}';
    big[9999] = 0;
    char *r = NULL;
    ck_assert_int_eq(http("POST", s.port, "/v1/predict", big, NULL, &r), 413);
    ck_assert_ptr_nonnull(strstr(r, "max_body"));
    free(r);
    /* chunked: no length declared */
    int fd = connect_raw(s.port);
    const char *h = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    ck_assert_int_eq(write(fd, h, strlen(h)), (ssize_t)strlen(h));
    for (int i = 0; i < 3; i++) {
        char chunk[2100];
        int n = snprintf(chunk, sizeof chunk, "7d0\r\n%2000s\r\n", "");
        ck_assert_int_eq(write(fd, chunk, (size_t)n), n);
    }
    ck_assert_int_eq(write(fd, "0\r\n\r\n", 5), 5);
    char buf[4096];
    ssize_t got = read(fd, buf, sizeof buf - 1);
    ck_assert_int_gt(got, 12);
    buf[got] = 0;
    ck_assert_msg(!strncmp(buf, "HTTP/1.1 413", 12), "%s", buf);
    close(fd);
    ck_assert_int_eq(http("GET", s.port, "/v2/nothing", NULL, NULL, NULL), 404);
    ck_assert_int_eq(http("GET", s.port, "/v1/predict", NULL, NULL, NULL), 405);
    ck_assert_int_eq(http("POST", s.port, "/healthz", "{}", NULL, NULL), 405);
    ck_assert_int_eq(http("GET", s.port, "/v1/slate", NULL, NULL, NULL), 400);
    /* connections beyond the limit are closed at once; the idle ones after the timeout */
    int fds[8];
    for (int i = 0; i < 8; i++) fds[i] = connect_raw(s.port);
    usleep(300000);
    int closed_early = 0;
    for (int i = 0; i < 8; i++) {
        char c;
        struct timeval tv = {0, 100000};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        closed_early += read(fds[i], &c, 1) == 0;
    }
    ck_assert_int_ge(closed_early, 4);
    char *m = NULL;
    double t0 = sw_clock_now();
    for (int i = 0; i < 8; i++) {
        char c;
        struct timeval tv = {5, 0};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ck_assert_int_le(read(fds[i], &c, 1), 0);
        close(fds[i]);
    }
    ck_assert_double_lt(sw_clock_now() - t0, 4);
    ck_assert_int_eq(http("GET", s.port, "/healthz", NULL, NULL, NULL), 200);
    ck_assert_int_eq(http("GET", s.port, "/metrics", NULL, NULL, &m), 200);
    const char *rf = strstr(m, "\nswish_http_connections_refused_total ");
    ck_assert_ptr_nonnull(rf);
    ck_assert_int_eq(atoi(strchr(rf + 1, ' ') + 1), closed_early); /* every refusal counted */
    free(m);
    free(big);
    ck_assert_int_eq(sv_stop(&s), 0);
}
END_TEST

/* SIGTERM stops accepting, answers the request in flight, exits 0. */
START_TEST(sigterm_finishes_in_flight)
{
    const char *conf = fixture(NULL);
    sv s;
    sv_start(&s, conf, NULL, NULL);
    const char *body = "{\"date\":\"" DATE "\",\"player_id\":\"nobody\"}";
    int fd = connect_raw(s.port);
    char h[300];
    int n = snprintf(h, sizeof h, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%.10s",
                     strlen(body), body);
    ck_assert_int_eq(write(fd, h, (size_t)n), n);
    usleep(200000);
    kill(s.pid, SIGTERM);
    ck_assert(wait_log(&s, "SIGTERM: stopping", 5));
    /* no new connections */
    usleep(200000);
    ck_assert_int_eq(http("GET", s.port, "/healthz", NULL, NULL, NULL), 0);
    /* the rest of the body: answered */
    ck_assert_int_eq(write(fd, body + 10, strlen(body) - 10), (ssize_t)(strlen(body) - 10));
    char buf[2048];
    ssize_t got = read(fd, buf, sizeof buf - 1);
    ck_assert_int_gt(got, 12);
    buf[got] = 0;
    ck_assert_msg(!strncmp(buf, "HTTP/1.1 404", 12), "%s", buf);
    close(fd);
    ck_assert_int_eq(sv_wait(&s, 20), 0);
    ck_assert(wait_log(&s, "stopped", 1));
}
END_TEST

/* Logs: one JSON object per request with serve.log_json. */
START_TEST(json_logs)
{
    const char *conf = fixture("log_json = 1\n");
    sv s;
    sv_start(&s, conf, NULL, NULL);
    ck_assert_int_eq(http("GET", s.port, "/nowhere?token=abc", NULL, NULL, NULL), 404);
    ck_assert_int_eq(sv_stop(&s), 0);
    char *log = sv_log(&s);
    int lines = 0, requests = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        sw_json *d = tu_json_parse("log line", line);
        lines++;
        if (sw_json_get(d, sw_json_root(d), "status") != SW_JNONE) {
            requests++;
            ck_assert_int_eq(tu_jint(d, sw_json_root(d), "status") / 100, 2 + 2 * (strstr(line, "nowhere") != NULL));
        }
        sw_json_free(d);
    }
    ck_assert_int_ge(requests, 2); /* /healthz at start, /nowhere */
    ck_assert_int_gt(lines, requests);
    free(log);
    log = sv_log(&s);
    ck_assert_ptr_null(strstr(log, "abc")); /* queries (tokens) are never logged */
    free(log);
}
END_TEST

Suite *serve_suite(void)
{
    Suite *s = suite_create("serve");
    TCase *tc = tcase_create("serve");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, predict_matches_slate);
    tcase_add_test(tc, predict_lines_and_errors);
    tcase_add_test(tc, push_runs_the_slate_once);
    tcase_add_test(tc, push_resumes_after_a_crash);
    tcase_add_test(tc, push_unrecorded_is_5xx);
    tcase_add_test(tc, push_auth);
    tcase_add_test(tc, metrics_promtool);
    tcase_add_test(tc, reload_swaps_or_keeps);
    tcase_add_test(tc, reload_by_poll);
    tcase_add_test(tc, serve_from_a_bucket);
    tcase_add_test(tc, hostile_clients);
    tcase_add_test(tc, sigterm_finishes_in_flight);
    tcase_add_test(tc, json_logs);
    suite_add_tcase(s, tc);
    return s;
}
