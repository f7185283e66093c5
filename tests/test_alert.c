/* test_alert: webhooks (io/webhook.h), the alerter (pipeline/alert.h), its
 * state in the store and `swish alert test`.
 *
 * Oracle: a loopback tu_receiver (tests/tools/webhook_receiver.py) that records
 * every request it gets (path, headers, body, the status it answered, when)
 * and answers as the path asks: ok, 500 N times, 429 with Retry-After, 400,
 * a hang longer than the client's timeout, a slow answer within it.  Each
 * test counts the requests exactly, reads the bodies back as JSON, times the
 * calls that must be bounded, and checks that the secret part of every URL
 * appears in no log line, error or command output. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/date.h"
#include "core/version.h"
#include "io/webhook.h"
#include "pipeline/alert.h"
#include "pipeline/store.h"
#include "testutil.h"
#include "core/clock.h"

/* the secret parts of the URLs: none may appear in any output */
#define SLACK_TOKEN "T0SWISH/B0ALERTS/xoxbSeCrEtToKeN1234"
#define HOOK_TOKEN "hookSeCrEt5678"

/* ---- helpers ---- */

/* "<base><path>" into a static slot. */
static const char *url_of(const tu_receiver *r, const char *path)
{
    static char slot[8][1024];
    static int k;
    char *u = slot[k++ % 8];
    snprintf(u, 1024, "%s%s", r->base, path);
    return u;
}

static void cfg_for(sw_config *c, const char *slack, const char *hook)
{
    sw_config_default(c);
    tu_db(c->db, sizeof c->db, NULL, "alerts");
    if (slack) snprintf(c->slack_url, sizeof c->slack_url, "%s", slack);
    if (hook) snprintf(c->webhook_url, sizeof c->webhook_url, "%s", hook);
    c->alert_timeout_s = 2;
    c->alert_retries = 3;
    c->dedup_s = 3600;
    c->max_per_hour = 30;
}

/* A log file whose text can be read back. */
typedef struct {
    char path[512];
    FILE *fp;
} logfile;

static void log_open(logfile *l)
{
    static int k;
    snprintf(l->path, sizeof l->path, "%s/alert-%d.log", tu_tmpdir(), k++);
    l->fp = fopen(l->path, "w+");
    ck_assert_ptr_nonnull(l->fp);
}

static char *log_text(logfile *l)
{
    fflush(l->fp);
    char *t = tu_slurp(l->path, NULL);
    ck_assert_ptr_nonnull(t);
    return t;
}

/* No secret in text: neither token, nor a whole URL path with one. */
static void no_secret(const char *what, const char *text)
{
    ck_assert_msg(!strstr(text, "SeCrEt"), "%s shows a secret: %s", what, text);
    ck_assert_msg(!strstr(text, "xoxb"), "%s shows a secret: %s", what, text);
    ck_assert_msg(!strstr(text, "B0ALERTS"), "%s shows a URL path: %s", what, text);
}

static void log_close(logfile *l)
{
    char *t = log_text(l);
    no_secret("the log", t);
    free(t);
    fclose(l->fp);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* ---- webhook ---- */

START_TEST(test_webhook_host_and_args)
{
    char h[64];
    sw_webhook_host("https://hooks.slack.com/services/" SLACK_TOKEN, h, sizeof h);
    ck_assert_str_eq(h, "hooks.slack.com");
    sw_webhook_host("http://user:pa" "SeCrEt@example.com:8443/x?token=1", h, sizeof h);
    ck_assert_str_eq(h, "example.com");
    sw_webhook_host("http://[::1]:8080/a", h, sizeof h);
    ck_assert_str_eq(h, "[::1]");
    sw_webhook_host("not a url", h, sizeof h);
    ck_assert_str_eq(h, "?");

    sw_webhook_opts o = sw_webhook_opts_default();
    ck_assert(o.timeout_s == 5 && o.retries == 3 && o.backoff_s == 0.5);
    o.timeout_s = 1;
    o.retries = 2;
    ck_assert_double_eq_tol(sw_webhook_budget_s(&o), 1 * 3 + 0.5 + 1.0, 1e-12);
    o.retries = 6; /* 0.5 1 2 4 8 8 (capped) */
    ck_assert_double_eq_tol(sw_webhook_budget_s(&o), 7 + 0.5 + 1 + 2 + 4 + 8 + 8, 1e-12);

    sw_error err;
    sw_webhook_result res;
    ck_assert_int_eq(sw_webhook_post("ftp://x/" HOOK_TOKEN, "webhook", "{}", 2, NULL, &res, &err), SW_ARG);
    no_secret("the error", err.msg);
    ck_assert_int_eq(res.attempts, 0);
    ck_assert_int_eq(sw_webhook_post("hooks.slack.com/" HOOK_TOKEN, NULL, "{}", 2, NULL, &res, &err), SW_ARG);
    no_secret("the error", err.msg);
}
END_TEST

START_TEST(test_webhook_outcomes)
{
    tu_receiver r;
    tu_recv_start(&r);
    sw_webhook_opts o = sw_webhook_opts_default();
    o.timeout_s = 2;
    o.retries = 3;
    sw_error err;
    sw_webhook_result res;
    const char *body = "{\"text\":\"hello\"}";

    /* delivered at once; the body and its content type arrive as sent */
    ck_assert_int_eq(sw_webhook_post(url_of(&r, "/ok/" HOOK_TOKEN), "webhook", body, strlen(body), &o, &res, &err),
                     SW_OK);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_int_eq(res.status, 200);
    ck_assert_int_eq(tu_recv_count(&r, "/ok/" HOOK_TOKEN), 1);
    char *b = tu_recv_body(&r, "/ok/" HOOK_TOKEN, 0);
    ck_assert_str_eq(b, body);
    free(b);
    sw_json *doc = tu_recv_log(&r, "/ok/" HOOK_TOKEN);
    sw_jnode q = sw_json_first(doc, tu_recv_requests(doc));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, sw_json_get(doc, q, "headers"), "content-type"), "application/json"));
    sw_json_free(doc);

    /* 500 twice: three POSTs, delivered, after 0.5 + 1 s of backoff */
    double t0 = sw_clock_now();
    ck_assert_int_eq(sw_webhook_post(url_of(&r, "/fail500-2/" HOOK_TOKEN), "webhook", body, strlen(body), &o, &res,
                                     &err),
                     SW_OK);
    ck_assert_int_eq(res.attempts, 3);
    ck_assert_int_eq(tu_recv_count(&r, "/fail500-2/" HOOK_TOKEN), 3);
    ck_assert_msg(sw_clock_now() - t0 >= 1.4, "backoff 0.5 + 1 s, took %.2f s", sw_clock_now() - t0);

    /* 400: one POST, a permanent failure naming the status and the host only */
    ck_assert_int_eq(sw_webhook_post(url_of(&r, "/bad400/" HOOK_TOKEN), "slack webhook", body, strlen(body), &o, &res,
                                     &err),
                     SW_NET);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_int_eq(res.permanent, 1);
    ck_assert_int_eq(res.status, 400);
    ck_assert_int_eq(tu_recv_count(&r, "/bad400/" HOOK_TOKEN), 1);
    ck_assert_msg(strstr(err.msg, "slack webhook (127.0.0.1)") && strstr(err.msg, "HTTP 400 invalid_payload") &&
                      strstr(err.msg, "not retried"),
                  "%s", err.msg);
    no_secret("the error", err.msg);

    /* 429 with Retry-After: 1 waits that second (the backoff would be 0.5) */
    ck_assert_int_eq(sw_webhook_post(url_of(&r, "/r429-1/" HOOK_TOKEN), "webhook", body, strlen(body), &o, &res, &err),
                     SW_OK);
    ck_assert_int_eq(res.attempts, 2);
    double t[4];
    ck_assert_int_eq(tu_recv_times(&r, "/r429-1/" HOOK_TOKEN, t, 4), 2);
    ck_assert_msg(t[1] - t[0] >= 0.95, "Retry-After 1 s, waited %.2f s", t[1] - t[0]);

    /* a redirect is not followed (the body would go where the answer says) */
    ck_assert_int_eq(sw_webhook_post(url_of(&r, "/redirect/" HOOK_TOKEN), "webhook", body, strlen(body), &o, &res,
                                     &err),
                     SW_NET);
    ck_assert_int_eq(res.permanent, 1);
    ck_assert_int_eq(tu_recv_count(&r, "/ok/" HOOK_TOKEN), 1);
    no_secret("the error", err.msg);

    /* slow but within the timeout: one attempt */
    ck_assert_int_eq(sw_webhook_post(url_of(&r, "/slow-0.7/" HOOK_TOKEN), "webhook", body, strlen(body), &o, &res,
                                     &err),
                     SW_OK);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_int_eq(tu_recv_count(&r, "/slow-0.7/" HOOK_TOKEN), 1);

    /* nothing listening: connection refused is retried, then SW_NET */
    char dead[256];
    snprintf(dead, sizeof dead, "http://u:pw" HOOK_TOKEN "@127.0.0.1:%d/services/" SLACK_TOKEN, tu_free_port());
    o.retries = 2;
    ck_assert_int_eq(sw_webhook_post(dead, "webhook", body, strlen(body), &o, &res, &err), SW_NET);
    ck_assert_int_eq(res.attempts, 3);
    ck_assert_int_eq(res.status, 0);
    ck_assert_msg(strstr(err.msg, "not delivered after 3 attempts"), "%s", err.msg);
    no_secret("the error", err.msg);
    tu_recv_stop(&r);
}
END_TEST

START_TEST(test_webhook_hang_is_bounded)
{
    tu_receiver r;
    tu_recv_start(&r);
    sw_webhook_opts o = sw_webhook_opts_default();
    o.timeout_s = 1;
    o.retries = 2;
    double budget = sw_webhook_budget_s(&o); /* 1 * 3 + 0.5 + 1 = 4.5 */
    sw_error err;
    sw_webhook_result res;
    double t0 = sw_clock_now();
    int rc = sw_webhook_post(url_of(&r, "/hang-30/" HOOK_TOKEN), "webhook", "{}", 2, &o, &res, &err);
    double took = sw_clock_now() - t0;
    ck_assert_int_eq(rc, SW_NET);
    ck_assert_int_eq(res.attempts, 3);
    ck_assert_msg(took >= 3 * 1.0 + 1.5 - 0.1 && took <= budget + 0.5, "budget %.2f s, took %.2f s", budget, took);
    ck_assert_int_eq(tu_recv_count(&r, "/hang-30/" HOOK_TOKEN), 3);
    ck_assert_msg(strstr(err.msg, "not delivered after 3 attempts") && strstr(err.msg, "imed out"), "%s", err.msg);
    no_secret("the error", err.msg);

    /* Retry-After longer than the budget is cut to it */
    t0 = sw_clock_now();
    o.retries = 1; /* budget 2 + 0.5 */
    rc = sw_webhook_post(url_of(&r, "/r429-60/" HOOK_TOKEN), "webhook", "{}", 2, &o, &res, &err);
    took = sw_clock_now() - t0;
    ck_assert_int_eq(rc, SW_OK); /* the second attempt, after the capped wait, is answered */
    ck_assert_msg(took <= sw_webhook_budget_s(&o) + 0.5, "took %.2f s", took);
    tu_recv_stop(&r);
}
END_TEST

typedef struct {
    const tu_receiver *r;
    int i, rc;
} thread_arg;

static void *post_thread(void *p)
{
    thread_arg *a = p;
    char url[256], body[64]; /* not url_of: its slots are shared */
    snprintf(url, sizeof url, "%s/fail500-1/thread%d/" HOOK_TOKEN, a->r->base, a->i);
    snprintf(body, sizeof body, "{\"thread\":%d}", a->i);
    sw_webhook_opts o = sw_webhook_opts_default();
    o.timeout_s = 5;
    a->rc = sw_webhook_post(url, "webhook", body, strlen(body), &o, NULL, NULL);
    return NULL;
}

START_TEST(test_webhook_threads)
{
    tu_receiver r;
    tu_recv_start(&r);
    enum { T = 6 };
    pthread_t th[T];
    thread_arg args[T];
    for (int i = 0; i < T; i++) {
        args[i] = (thread_arg){&r, i, -1};
        ck_assert_int_eq(pthread_create(&th[i], NULL, post_thread, &args[i]), 0);
    }
    for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < T; i++) {
        ck_assert_int_eq(args[i].rc, SW_OK);
        char path[128], want[64];
        snprintf(path, sizeof path, "/fail500-1/thread%d/" HOOK_TOKEN, i);
        snprintf(want, sizeof want, "{\"thread\":%d}", i);
        ck_assert_int_eq(tu_recv_count(&r, path), 2);
        char *b = tu_recv_body(&r, path, 1);
        ck_assert_str_eq(b, want);
        free(b);
    }
    tu_recv_stop(&r);
}
END_TEST

/* ---- the alerter ---- */

#define SLACK_PATH "/ok/services/" SLACK_TOKEN
#define HOOK_PATH "/ok/generic/" HOOK_TOKEN

START_TEST(test_alert_complete)
{
    tu_receiver r;
    tu_recv_start(&r);
    sw_config c;
    cfg_for(&c, url_of(&r, SLACK_PATH), url_of(&r, HOOK_PATH));
    logfile l;
    log_open(&l);
    sw_alerter *a;
    ck_assert_int_eq(sw_alerter_open(&c, l.fp, &a, NULL), SW_OK);
    ck_assert_int_eq(sw_alerter_endpoints(a), 2);
    sw_alert al = {.event = "retrain_failed",
                   .severity = SW_ALERT_CRITICAL,
                   .system = "gbdt",
                   .text = "gbdt retrain failed: test MAE 5.31 is over the champion's 4.87 <by 9%>",
                   .figures_json = "{\"mae\": 5.31, \"champion_mae\": 4.87, \"rows\": 120000, \"ok\": false,"
                                   " \"note\": \"a&b\", \"window\": [\"2023-10-24\", \"2025-11-09\"]}",
                   .run_id = "run-2025-11-10"};
    sw_alert_stats st = {0};
    time_t before = time(NULL);
    ck_assert_int_eq(sw_alert_send(a, &al, &st), SW_OK);
    sw_alerter_close(a);
    ck_assert_int_eq(st.sent, 1);
    ck_assert_int_eq(st.failed + st.deduplicated + st.rate_limited + st.no_endpoint, 0);
    ck_assert_int_eq(tu_recv_count(&r, SLACK_PATH), 1);
    ck_assert_int_eq(tu_recv_count(&r, HOOK_PATH), 1);
    ck_assert_int_eq(tu_recv_count(&r, NULL), 2);

    /* the generic body: every field */
    char *b = tu_recv_body(&r, HOOK_PATH, 0);
    sw_json *doc = tu_json_parse("generic body", b);
    sw_jnode o = sw_json_root(doc);
    ck_assert(sw_json_streq(doc, sw_json_get(doc, o, "event"), "retrain_failed"));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, o, "severity"), "critical"));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, o, "system"), "gbdt"));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, o, "text"), al.text));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, o, "run_id"), "run-2025-11-10"));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, o, "key"), "retrain_failed/gbdt"));
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    ck_assert(sw_json_streq(doc, sw_json_get(doc, o, "host"), host));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, o, "swish_version"), sw_version()));
    size_t atl;
    const char *at = sw_json_str(doc, sw_json_get(doc, o, "at"), &atl);
    int64_t secs;
    ck_assert_int_eq(sw_datetime_parse(at, atl, &secs), 0);
    ck_assert_msg(secs >= before - 1 && secs <= time(NULL) + 1, "at %.*s", (int)atl, at);
    sw_jnode f = sw_json_get(doc, o, "figures");
    ck_assert_int_eq(sw_json_type_of(doc, f), SW_JSON_OBJECT);
    ck_assert_double_eq(tu_jf64(doc, f, "mae"), 5.31);
    ck_assert_double_eq(tu_jf64(doc, f, "champion_mae"), 4.87);
    ck_assert_int_eq(tu_jint(doc, f, "rows"), 120000);
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, f, "ok")), SW_JSON_FALSE);
    ck_assert(sw_json_streq(doc, sw_json_get(doc, f, "note"), "a&b"));
    ck_assert_int_eq(sw_json_len(doc, sw_json_get(doc, f, "window")), 2);
    int members = 0;
    for (sw_jnode m = sw_json_first(doc, o); m != SW_JNONE; m = sw_json_next(doc, m)) members++;
    ck_assert_int_eq(members, 10);
    ck_assert_ptr_null(strstr(b, "\"rows\":120000.0")); /* integers stay integers */
    sw_json_free(doc);
    free(b);

    /* the Slack body: one text with the event, the system, the figures */
    b = tu_recv_body(&r, SLACK_PATH, 0);
    doc = tu_json_parse("slack body", b);
    o = sw_json_root(doc);
    int n = 0;
    for (sw_jnode m = sw_json_first(doc, o); m != SW_JNONE; m = sw_json_next(doc, m)) n++;
    ck_assert_int_eq(n, 1);
    char *text = sw_json_strdup(doc, sw_json_get(doc, o, "text"));
    ck_assert_ptr_nonnull(text);
    static const char *const want[] = {"CRITICAL", "retrain_failed", "(gbdt)", "MAE 5.31", "&lt;by 9%&gt;",
                                       "mae = 5.31", "champion_mae = 4.87", "rows = 120000", "ok = false",
                                       "note = a&amp;b", "window = [\"2023-10-24\",\"2025-11-09\"]",
                                       "run run-2025-11-10"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(text, want[i]), "slack text lacks '%s': %s", want[i], text);
    ck_assert_ptr_null(strstr(text, "<by"));
    sw_free(text);
    sw_json_free(doc);
    free(b);

    /* recorded per endpoint; one log line */
    long rows = tu_sql_long(c.db, "SELECT count(*) FROM alerts WHERE key = 'retrain_failed/gbdt' AND delivered = 1"
                                  " AND failures = 0 AND count = 1 AND sent_at IS NOT NULL AND claimed_at IS NULL");
    ck_assert_int_eq(rows, 2);
    ck_assert_int_eq(tu_sql_long(c.db, "SELECT count(*) FROM alert_sends"), 2);
    char *lt = log_text(&l);
    ck_assert_int_eq(count_lines(lt), 1);
    ck_assert_msg(strstr(lt, "retrain_failed/gbdt (critical)") && strstr(lt, "slack webhook: delivered") &&
                      strstr(lt, "; webhook: delivered"),
                  "%s", lt);
    free(lt);
    log_close(&l);

    /* no system, no figures, no run: nulls and an empty object */
    cfg_for(&c, NULL, url_of(&r, "/ok/second/" HOOK_TOKEN));
    ck_assert_int_eq(sw_alerter_open(&c, NULL, &a, NULL), SW_OK);
    sw_alert al2 = {.event = "stale_input", .severity = SW_ALERT_WARNING, .text = "box scores 3 days old"};
    ck_assert_int_eq(sw_alert_send(a, &al2, NULL), SW_OK);
    sw_alerter_close(a);
    b = tu_recv_body(&r, "/ok/second/" HOOK_TOKEN, 0);
    doc = tu_json_parse("generic body", b);
    o = sw_json_root(doc);
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, o, "system")), SW_JSON_NULL);
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, o, "run_id")), SW_JSON_NULL);
    ck_assert_int_eq(sw_json_len(doc, sw_json_get(doc, o, "figures")), 0);
    ck_assert(sw_json_streq(doc, sw_json_get(doc, o, "key"), "stale_input"));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, o, "severity"), "warning"));
    sw_json_free(doc);
    free(b);
    tu_recv_stop(&r);
}
END_TEST

START_TEST(test_alert_retry_and_failure)
{
    tu_receiver r;
    tu_recv_start(&r);
    sw_config c;
    const char *p500 = "/fail500-2/services/" SLACK_TOKEN, *p400 = "/bad400/generic/" HOOK_TOKEN;
    cfg_for(&c, url_of(&r, p500), url_of(&r, p400));
    logfile l;
    log_open(&l);
    sw_alerter *a;
    ck_assert_int_eq(sw_alerter_open(&c, l.fp, &a, NULL), SW_OK);
    sw_alert al = {.event = "slate_failed", .severity = SW_ALERT_CRITICAL, .text = "the slate of 2025-11-10 failed"};
    sw_alert_stats st = {0};
    sw_alert_delivery d[SW_ALERT_ENDPOINTS];
    int n = 0;
    ck_assert_int_eq(sw_alert_send_detail(a, &al, &st, d, &n), SW_OK);
    ck_assert_int_eq(n, 2);
    /* the 500-twice endpoint: three POSTs, delivered */
    ck_assert_str_eq(d[0].endpoint, "slack webhook");
    ck_assert_int_eq(d[0].outcome, SW_ALERT_DELIVERED);
    ck_assert_int_eq(d[0].attempts, 3);
    ck_assert_int_eq(tu_recv_count(&r, p500), 3);
    /* the 400 endpoint: one POST, failed, not retried */
    ck_assert_str_eq(d[1].endpoint, "webhook");
    ck_assert_int_eq(d[1].outcome, SW_ALERT_FAILED);
    ck_assert_int_eq(d[1].attempts, 1);
    ck_assert_int_eq(d[1].status, 400);
    ck_assert_int_eq(tu_recv_count(&r, p400), 1);
    ck_assert_msg(strstr(d[1].error, "webhook (127.0.0.1): HTTP 400"), "%s", d[1].error);
    no_secret("the error", d[1].error);
    ck_assert_int_eq(st.failed, 1);
    ck_assert_int_eq(st.sent, 0);
    ck_assert_int_eq(tu_sql_long(c.db, "SELECT failures FROM alerts WHERE endpoint = 'webhook'"), 1);
    ck_assert_int_eq(tu_sql_long(c.db, "SELECT count(*) FROM alerts WHERE endpoint = 'webhook' AND sent_at IS NULL"), 1);

    /* again (the next night): the failed endpoint is tried again, the delivered one is not */
    ck_assert_int_eq(sw_alert_send_detail(a, &al, &st, d, &n), SW_OK);
    ck_assert_int_eq(d[0].outcome, SW_ALERT_DEDUPLICATED);
    ck_assert_int_eq(d[1].outcome, SW_ALERT_FAILED);
    ck_assert_int_eq(tu_recv_count(&r, p500), 3);
    ck_assert_int_eq(tu_recv_count(&r, p400), 2);
    ck_assert_int_eq(st.failed, 2);
    ck_assert_int_eq(tu_sql_long(c.db, "SELECT failures FROM alerts WHERE endpoint = 'webhook'"), 2);
    ck_assert_int_eq(tu_sql_long(c.db, "SELECT count FROM alerts WHERE endpoint = 'webhook'"), 2);
    char *lt = log_text(&l);
    ck_assert_int_eq(count_lines(lt), 2);
    ck_assert_msg(strstr(lt, "FAILED: webhook (127.0.0.1): HTTP 400 invalid_payload; refused, not retried"), "%s", lt);
    free(lt);
    sw_alerter_close(a);
    log_close(&l);
    tu_recv_stop(&r);
}
END_TEST

START_TEST(test_alert_hang_bounded)
{
    tu_receiver r;
    tu_recv_start(&r);
    sw_config c;
    cfg_for(&c, url_of(&r, "/hang-30/services/" SLACK_TOKEN), NULL);
    c.alert_timeout_s = 1;
    c.alert_retries = 1; /* budget 1 * 2 + 0.5 */
    logfile l;
    log_open(&l);
    sw_alerter *a;
    ck_assert_int_eq(sw_alerter_open(&c, l.fp, &a, NULL), SW_OK);
    sw_alert al = {.event = "slate_late", .severity = SW_ALERT_WARNING, .text = "not stored by 22:00"};
    sw_alert_stats st = {0};
    double t0 = sw_clock_now();
    ck_assert_int_eq(sw_alert_send(a, &al, &st), SW_OK);
    double took = sw_clock_now() - t0;
    ck_assert_msg(took <= 2.5 + 0.5, "took %.2f s", took);
    ck_assert_int_eq(st.failed, 1);
    ck_assert_int_eq(tu_recv_count(&r, "/hang-30/services/" SLACK_TOKEN), 2);
    sw_alerter_close(a);
    log_close(&l);
    tu_recv_stop(&r);
}
END_TEST

START_TEST(test_alert_dedup_across_processes)
{
    tu_receiver r;
    tu_recv_start(&r);
    sw_config c;
    cfg_for(&c, url_of(&r, SLACK_PATH), url_of(&r, HOOK_PATH));
    c.dedup_s = 1.5;
    logfile l;
    log_open(&l);
    sw_alert al = {.event = "drift", .severity = SW_ALERT_WARNING, .system = "gbdt", .text = "PSI 0.31 on minutes",
                   .figures_json = "{\"psi\": 0.31}"};
    sw_alert_stats st = {0};
    sw_alerter *a, *b;
    /* two alerters, one after the other, as two nightly processes */
    ck_assert_int_eq(sw_alerter_open(&c, l.fp, &a, NULL), SW_OK);
    ck_assert_int_eq(sw_alert_send(a, &al, &st), SW_OK);
    sw_alerter_close(a);
    ck_assert_int_eq(sw_alerter_open(&c, l.fp, &b, NULL), SW_OK);
    ck_assert_int_eq(sw_alert_send(b, &al, &st), SW_OK);
    ck_assert_int_eq(st.sent, 1);
    ck_assert_int_eq(st.deduplicated, 1);
    ck_assert_int_eq(tu_recv_count(&r, SLACK_PATH), 1);
    ck_assert_int_eq(tu_recv_count(&r, HOOK_PATH), 1);
    /* another key is not held back */
    sw_alert other = al;
    other.system = "stack";
    ck_assert_int_eq(sw_alert_send(b, &other, &st), SW_OK);
    ck_assert_int_eq(st.sent, 2);
    ck_assert_int_eq(tu_recv_count(&r, SLACK_PATH), 2);
    /* after dedup_s it goes out again */
    usleep(1700 * 1000);
    ck_assert_int_eq(sw_alert_send(b, &al, &st), SW_OK);
    ck_assert_int_eq(st.sent, 3);
    ck_assert_int_eq(tu_recv_count(&r, SLACK_PATH), 3);
    ck_assert_int_eq(tu_recv_count(&r, HOOK_PATH), 3);
    sw_alerter_close(b);
    ck_assert_int_eq(tu_sql_long(c.db, "SELECT count FROM alerts WHERE key = 'drift/gbdt' AND endpoint = 'slack'"), 3);
    ck_assert_int_eq(tu_sql_long(c.db, "SELECT delivered FROM alerts WHERE key = 'drift/gbdt' AND endpoint = 'slack'"),
                     2);
    char *lt = log_text(&l);
    ck_assert_msg(strstr(lt, "already sent within alerts.dedup_s"), "%s", lt);
    free(lt);
    log_close(&l);
    tu_recv_stop(&r);
}
END_TEST

START_TEST(test_alert_claims)
{
    /* the state alone: a claim holds another process off until recorded */
    char db[512];
    tu_db(db, sizeof db, NULL, "claims");
    sw_store *s1, *s2;
    ck_assert_int_eq(sw_store_open(db, 1000, 1, &s1, NULL), SW_OK);
    ck_assert_int_eq(sw_store_open(db, 1000, 1, &s2, NULL), SW_OK);
    sw_store_alert sa = {.key = "demotion/gbdt", .endpoint = "webhook", .event = "demotion", .severity = "critical",
                         .system = "gbdt", .text = "t"};
    int d;
    ck_assert_int_eq(sw_store_alert_should_send(s1, &sa, 3600, 30, 60, &d, NULL), SW_OK);
    ck_assert_int_eq(d, SW_STORE_ALERT_SEND);
    ck_assert_int_eq(sw_store_alert_should_send(s2, &sa, 3600, 30, 60, &d, NULL), SW_OK);
    ck_assert_int_eq(d, SW_STORE_ALERT_DEDUP); /* claimed by s1 */
    ck_assert_int_eq(sw_store_alert_record(s1, &sa, 0, "webhook (x): HTTP 503", NULL), SW_OK);
    ck_assert_int_eq(sw_store_alert_should_send(s2, &sa, 3600, 30, 60, &d, NULL), SW_OK);
    ck_assert_int_eq(d, SW_STORE_ALERT_SEND); /* the failure released it */
    /* a claim expires (a process that died while sending) */
    ck_assert_int_eq(sw_store_alert_should_send(s1, &sa, 3600, 30, 0.2, &d, NULL), SW_OK);
    ck_assert_int_eq(d, SW_STORE_ALERT_DEDUP);
    usleep(300 * 1000);
    ck_assert_int_eq(sw_store_alert_should_send(s1, &sa, 3600, 30, 0.2, &d, NULL), SW_OK);
    ck_assert_int_eq(d, SW_STORE_ALERT_SEND);
    ck_assert_int_eq(sw_store_alert_record(s1, &sa, 1, NULL, NULL), SW_OK);
    ck_assert_int_eq(sw_store_alert_should_send(s2, &sa, 3600, 30, 60, &d, NULL), SW_OK);
    ck_assert_int_eq(d, SW_STORE_ALERT_DEDUP); /* delivered */
    sw_store_close(s1);
    sw_store_close(s2);
    char *dump = tu_sql_dump(db, "SELECT key, endpoint, event, severity, system, count, delivered, failures,"
                                 " last_error IS NULL, claimed_at IS NULL, first_at <= last_at FROM alerts");
    ck_assert_str_eq(dump, "demotion/gbdt|webhook|demotion|critical|gbdt|6|1|1|1|1|1\n");
    free(dump);
}
END_TEST

START_TEST(test_alert_rate_limit)
{
    tu_receiver r;
    tu_recv_start(&r);
    sw_config c;
    cfg_for(&c, url_of(&r, SLACK_PATH), NULL);
    c.max_per_hour = 3;
    logfile l;
    log_open(&l);
    sw_alerter *a;
    ck_assert_int_eq(sw_alerter_open(&c, l.fp, &a, NULL), SW_OK);
    sw_alert_stats st = {0};
    const char *systems[] = {"gbdt", "stack", "catboost_v8", "similarity", "zone_matchup"};
    for (int i = 0; i < 5; i++) {
        sw_alert al = {.event = "system_state", .severity = SW_ALERT_WARNING, .system = systems[i],
                       .text = "MAE over the line's"};
        ck_assert_int_eq(sw_alert_send(a, &al, &st), SW_OK);
    }
    ck_assert_int_eq(st.sent, 3);
    ck_assert_int_eq(st.rate_limited, 2);
    ck_assert_int_eq(tu_recv_count(&r, SLACK_PATH), 3);
    /* across processes too */
    sw_alerter_close(a);
    ck_assert_int_eq(sw_alerter_open(&c, l.fp, &a, NULL), SW_OK);
    sw_alert more = {.event = "demotion", .severity = SW_ALERT_CRITICAL, .system = "gbdt", .text = "rolled back"};
    ck_assert_int_eq(sw_alert_send(a, &more, &st), SW_OK);
    ck_assert_int_eq(st.rate_limited, 3);
    ck_assert_int_eq(tu_recv_count(&r, SLACK_PATH), 3);
    /* a rate-limited alert is not "sent": no sent_at, tried again later */
    ck_assert_int_eq(tu_sql_long(c.db, "SELECT count(*) FROM alerts WHERE sent_at IS NULL"), 3);
    /* a person's test alert is never held back */
    sw_alert t = {.event = "test", .severity = SW_ALERT_INFO, .key = "test", .text = "test"};
    ck_assert_int_eq(sw_alert_send(a, &t, &st), SW_OK);
    ck_assert_int_eq(sw_alert_send(a, &t, &st), SW_OK);
    ck_assert_int_eq(st.sent, 5);
    ck_assert_int_eq(tu_recv_count(&r, SLACK_PATH), 5);
    sw_alerter_close(a);
    char *lt = log_text(&l);
    ck_assert_msg(strstr(lt, "alerts.max_per_hour (3) reached"), "%s", lt);
    free(lt);
    log_close(&l);
    tu_recv_stop(&r);
}
END_TEST

START_TEST(test_alert_no_endpoint_and_bad_alerts)
{
    sw_config c;
    cfg_for(&c, NULL, NULL);
    logfile l;
    log_open(&l);
    sw_alerter *a;
    ck_assert_int_eq(sw_alerter_open(&c, l.fp, &a, NULL), SW_OK);
    ck_assert_int_eq(sw_alerter_endpoints(a), 0);
    sw_alert_stats st = {0};
    sw_alert al = {.event = "drift", .severity = SW_ALERT_WARNING, .text = "x"};
    ck_assert_int_eq(sw_alert_send(a, &al, &st), SW_OK);
    ck_assert_int_eq(st.no_endpoint, 1);
    struct stat sb;
    if (!tu_db_pg()) ck_assert_int_ne(stat(c.db, &sb), 0); /* no database made for nothing */
    /* bad alerts are the caller's error */
    sw_alert bad[] = {
        {.event = NULL, .text = "x"},
        {.event = "", .text = "x"},
        {.event = "Drift", .text = "x"},
        {.event = "drift; rm", .text = "x"},
        {.event = "drift", .text = NULL},
        {.event = "drift", .text = "x", .severity = (sw_alert_severity)7},
        {.event = "drift", .text = "x", .figures_json = "[1, 2]"},
        {.event = "drift", .text = "x", .figures_json = "{\"a\": }"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(sw_alert_send(a, &bad[i], &st) == SW_ARG, "bad alert %zu accepted", i);
    ck_assert_int_eq(sw_alert_send(a, NULL, &st), SW_ARG);
    ck_assert_int_eq(st.no_endpoint, 1);
    ck_assert_int_eq(st.sent + st.failed, 0);
    sw_alerter_close(a);
    sw_alerter_close(NULL);
    ck_assert_str_eq(sw_alert_severity_name(SW_ALERT_INFO), "info");
    ck_assert_str_eq(sw_alert_severity_name(SW_ALERT_CRITICAL), "critical");
    char *lt = log_text(&l);
    ck_assert_msg(strstr(lt, "no endpoint configured"), "%s", lt);
    ck_assert_msg(strstr(lt, "not [a-z0-9_]") && strstr(lt, "not a JSON object"), "%s", lt);
    free(lt);
    log_close(&l);
}
END_TEST

START_TEST(test_alert_db_unusable)
{
    tu_receiver r;
    tu_recv_start(&r);
    sw_config c;
    cfg_for(&c, url_of(&r, SLACK_PATH), NULL);
    snprintf(c.db, sizeof c.db, "%s/no/such/dir/alerts.db", tu_tmpdir());
    logfile l;
    log_open(&l);
    sw_alerter *a;
    ck_assert_int_eq(sw_alerter_open(&c, l.fp, &a, NULL), SW_OK);
    sw_alert al = {.event = "retrain_refused", .severity = SW_ALERT_WARNING, .system = "gbdt", .text = "refused"};
    sw_alert_stats st = {0};
    ck_assert_int_eq(sw_alert_send(a, &al, &st), SW_OK);
    ck_assert_int_eq(sw_alert_send(a, &al, &st), SW_OK); /* no state: no de-duplication */
    ck_assert_int_eq(st.sent, 2);
    ck_assert_int_eq(tu_recv_count(&r, SLACK_PATH), 2);
    sw_alerter_close(a);
    char *lt = log_text(&l);
    ck_assert_msg(strstr(lt, "the alert state cannot be kept") && strstr(lt, "without de-duplication"), "%s", lt);
    free(lt);
    log_close(&l);

    /* a database locked by another process: sent anyway, said so */
    cfg_for(&c, url_of(&r, "/ok/locked/" HOOK_TOKEN), NULL);
    c.busy_timeout_ms = 100;
    sw_store *st0;
    ck_assert_int_eq(sw_store_open(c.db, 100, 1, &st0, NULL), SW_OK);
    log_open(&l);
    ck_assert_int_eq(sw_alerter_open(&c, l.fp, &a, NULL), SW_OK);
    void *h = tu_db_lock(c.db); /* another connection, as another process would hold it */
    memset(&st, 0, sizeof st);
    ck_assert_int_eq(sw_alert_send(a, &al, &st), SW_OK);
    ck_assert_int_eq(st.sent, 1);
    ck_assert_int_eq(tu_recv_count(&r, "/ok/locked/" HOOK_TOKEN), 1);
    tu_db_unlock(c.db, h);
    sw_store_close(st0);
    sw_alerter_close(a);
    lt = log_text(&l);
    ck_assert_msg(strstr(lt, "delivered") && strstr(lt, "the alert state could not be used"), "%s", lt);
    free(lt);
    log_close(&l);
    tu_recv_stop(&r);
}
END_TEST

START_TEST(test_alert_alloc_failures)
{
    tu_receiver r;
    tu_recv_start(&r);
    sw_config c;
    cfg_for(&c, url_of(&r, SLACK_PATH), url_of(&r, HOOK_PATH));
    c.dedup_s = 0;
    sw_alert al = {.event = "drift", .severity = SW_ALERT_WARNING, .system = "gbdt", .text = "PSI 0.3",
                   .figures_json = "{\"psi\": 0.3, \"features\": [\"minutes\", \"usage\"], \"by\": {\"a\": 1}}"};
    int done = 0;
    for (long n = 0; !done && n < 400; n++) {
        sw_alerter *a = NULL;
        sw_alert_stats st = {0};
        /* a fresh state each time: a send that failed after its claim leaves
         * the claim (by design), which would deduplicate the next try */
        snprintf(c.db, sizeof c.db, "%s/alloc%ld.db", tu_tmpdir(), n);
        sw_alloc_fail_after(n);
        int rc = sw_alerter_open(&c, NULL, &a, NULL);
        if (rc == SW_OK) {
            rc = sw_alert_send(a, &al, &st);
            done = rc == SW_OK;
        }
        sw_alloc_fail_after(-1);
        ck_assert_msg(rc == SW_OK || rc == SW_NOMEM, "failing allocation %ld: %s", n, sw_status_name(rc));
        if (done) ck_assert_int_eq(st.sent, 1);
        sw_alerter_close(a);
    }
    ck_assert(done);
    tu_recv_stop(&r);
}
END_TEST

/* ---- the command ---- */

START_TEST(test_cli_alert_test)
{
    tu_receiver r;
    tu_recv_start(&r);
    char conf[2048];
    snprintf(conf, sizeof conf,
             "[paths]\ndb = %s/cli.db\n\n[alerts]\nslack_url = %s\nwebhook_url = %s\ntimeout_s = 2\nretries = 1\n",
             tu_tmpdir(), url_of(&r, SLACK_PATH), url_of(&r, HOOK_PATH));
    const char *cf = tu_write("alerts.conf", conf, strlen(conf));
    char *out = NULL;
    int ex = tu_sh(&out, "%s alert test --config %s", tu_swish_bin(), cf);
    ck_assert_msg(ex == 0, "exit %d: %s", ex, out);
    ck_assert_msg(strstr(out, "slack webhook: delivered (HTTP 200, 1 attempt") && strstr(out, "\nwebhook: delivered"),
                  "%s", out);
    no_secret("swish alert test", out);
    free(out);
    ck_assert_int_eq(tu_recv_count(&r, SLACK_PATH), 1);
    ck_assert_int_eq(tu_recv_count(&r, HOOK_PATH), 1);
    char *b = tu_recv_body(&r, HOOK_PATH, 0);
    sw_json *doc = tu_json_parse("test alert", b);
    ck_assert(sw_json_streq(doc, sw_json_get(doc, sw_json_root(doc), "event"), "test"));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, sw_json_root(doc), "severity"), "info"));
    ck_assert_int_eq(tu_jint(doc, sw_json_get(doc, sw_json_root(doc), "figures"), "endpoints"), 2);
    sw_json_free(doc);
    free(b);

    /* again, as JSON: a test is never de-duplicated */
    ex = tu_sh(&out, "%s alert test --config %s --json 2>/dev/null", tu_swish_bin(), cf);
    ck_assert_msg(ex == 0, "exit %d: %s", ex, out);
    doc = tu_json_parse("alert test --json", out);
    ck_assert_int_eq(tu_jint(doc, sw_json_root(doc), "delivered"), 2);
    ck_assert_int_eq(tu_jint(doc, sw_json_root(doc), "failed"), 0);
    sw_jnode e = sw_json_first(doc, sw_json_get(doc, sw_json_root(doc), "endpoints"));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, e, "endpoint"), "slack webhook"));
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, e, "delivered")), SW_JSON_TRUE);
    ck_assert_int_eq(tu_jint(doc, e, "status"), 200);
    sw_json_free(doc);
    free(out);
    ck_assert_int_eq(tu_recv_count(&r, SLACK_PATH), 2);

    /* one endpoint refusing: exit 14, the reason, no secret (the environment overrides the file) */
    ex = tu_sh(&out, "SWISH_ALERTS_WEBHOOK_URL='%s' %s alert test --config %s", url_of(&r, "/bad400/x/" HOOK_TOKEN),
               tu_swish_bin(), cf);
    ck_assert_msg(ex == 14, "exit %d: %s", ex, out);
    ck_assert_msg(strstr(out, "slack webhook: delivered") &&
                      strstr(out, "webhook: FAILED: webhook (127.0.0.1): HTTP 400 invalid_payload"),
                  "%s", out);
    no_secret("swish alert test", out);
    free(out);

    /* nothing configured: exit 2 */
    const char *none = tu_write("none.conf", "[paths]\ndb = x.db\n", 18);
    char abs_bin[4096];
    ck_assert_ptr_nonnull(realpath(tu_swish_bin(), abs_bin)); /* SWISH_BIN may be relative to the repository */
    ex = tu_sh(&out, "cd %s && %s alert test --config %s", tu_tmpdir(), abs_bin, none);
    ck_assert_msg(ex == 2 && strstr(out, "no alert endpoint is configured"), "exit %d: %s", ex, out);
    free(out);
    ex = tu_sh(&out, "%s alert bogus --config %s", tu_swish_bin(), cf);
    ck_assert_msg(ex == 2 && strstr(out, "unknown alert command 'bogus'"), "exit %d: %s", ex, out);
    free(out);

    /* swish config shows that the URLs are set, never what they are */
    ex = tu_sh(&out, "SWISH_ALERTS_SLACK_URL='https://hooks.slack.com/services/" SLACK_TOKEN "' %s config --config %s",
               tu_swish_bin(), cf);
    ck_assert_msg(ex == 0, "exit %d: %s", ex, out);
    ck_assert_msg(strstr(out, "# slack_url = (set, not shown)") && strstr(out, "# webhook_url = (set, not shown)"),
                  "%s", out);
    no_secret("swish config", out);
    ck_assert_ptr_null(strstr(out, "hooks.slack.com"));
    free(out);
    ex = tu_sh(&out, "%s alert --help", tu_swish_bin());
    ck_assert_msg(ex == 0 && strstr(out, "usage: swish alert test [--config FILE] [--db DB] [--json]"), "%s", out);
    free(out);
    tu_recv_stop(&r);
}
END_TEST

Suite *alert_suite(void)
{
    Suite *s = suite_create("alert");
    TCase *t = tcase_create("webhook");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_webhook_host_and_args);
    tcase_add_test(t, test_webhook_outcomes);
    tcase_add_test(t, test_webhook_hang_is_bounded);
    tcase_add_test(t, test_webhook_threads);
    suite_add_tcase(s, t);

    t = tcase_create("alerter");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_alert_complete);
    tcase_add_test(t, test_alert_retry_and_failure);
    tcase_add_test(t, test_alert_hang_bounded);
    tcase_add_test(t, test_alert_dedup_across_processes);
    tcase_add_test(t, test_alert_claims);
    tcase_add_test(t, test_alert_rate_limit);
    tcase_add_test(t, test_alert_no_endpoint_and_bad_alerts);
    tcase_add_test(t, test_alert_db_unusable);
    tcase_add_test(t, test_alert_alloc_failures);
    suite_add_tcase(s, t);

    t = tcase_create("cli");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_cli_alert_test);
    suite_add_tcase(s, t);
    return s;
}
