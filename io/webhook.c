/* webhook: one JSON POST with bounded retries (see webhook.h).
 *
 * Why the URL never reaches a message: an incoming-webhook URL is a bearer
 * credential (Slack's /services/T../B../TOKEN), so messages are built only
 * from the endpoint's name, its host, HTTP statuses, libcurl's error text and
 * a sanitised snippet of the answer, and every one is scrubbed of the URL,
 * its path and any user:password part before it is stored.
 *
 * The time budget is enforced here rather than trusted to the server: every
 * attempt's CURLOPT_TIMEOUT is the smaller of timeout_s and what is left of
 * timeout_s * (retries + 1) + the backoff waits, and a Retry-After longer
 * than what is left is cut to it, so a hanging or throttling endpoint costs
 * the nightly run a known, configured number of seconds at most.
 */
#include "webhook.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/version.h"
#include "curl_impl.h"
#include "core/clock.h"

#define SNIPPET_MAX 200   /* bytes of an answer kept for the message */
#define RETRY_AFTER_MAX 86400.0

sw_webhook_opts sw_webhook_opts_default(void)
{
    sw_webhook_opts o = {.timeout_s = 5, .connect_timeout_s = 0, .retries = 3, .backoff_s = 0.5, .backoff_cap_s = 8,
                         .content_type = NULL};
    return o;
}

/* The options with every default filled in. */
static sw_webhook_opts resolved(const sw_webhook_opts *o)
{
    sw_webhook_opts r = o ? *o : sw_webhook_opts_default();
    if (!(r.timeout_s > 0)) r.timeout_s = 5;
    if (!(r.connect_timeout_s > 0)) r.connect_timeout_s = r.timeout_s < 5 ? r.timeout_s : 5;
    if (r.connect_timeout_s > r.timeout_s) r.connect_timeout_s = r.timeout_s;
    if (r.retries < 0) r.retries = 0;
    if (!(r.backoff_s > 0)) r.backoff_s = 0.5;
    if (!(r.backoff_cap_s > 0)) r.backoff_cap_s = 8;
    if (!r.content_type || !*r.content_type) r.content_type = "application/json";
    return r;
}

static double backoff(const sw_webhook_opts *o, int retry) /* the wait before retry 1, 2, ... */
{
    double w = o->backoff_s;
    for (int i = 1; i < retry && w < o->backoff_cap_s; i++) w *= 2;
    return w < o->backoff_cap_s ? w : o->backoff_cap_s;
}

double sw_webhook_budget_s(const sw_webhook_opts *o)
{
    sw_webhook_opts r = resolved(o);
    double b = r.timeout_s * (r.retries + 1);
    for (int i = 1; i <= r.retries; i++) b += backoff(&r, i);
    return b;
}

static void sleep_s(double sec)
{
    if (!(sec > 0)) return;
    struct timespec ts = {(time_t)sec, (long)((sec - (double)(time_t)sec) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- the URL's parts, for messages and for scrubbing them ---- */

typedef struct {
    const char *host; /* after "scheme://" and any "user@" */
    size_t host_len;  /* up to ':' port, '/', '?', '#' */
    const char *userinfo; /* "user:pass" or NULL */
    size_t userinfo_len;
    const char *path; /* from the first '/', '?' or '#' after the authority, or "" */
} url_parts;

static int url_split(const char *url, url_parts *u)
{
    memset(u, 0, sizeof *u);
    u->path = "";
    const char *p = strstr(url, "://");
    if (!p) return -1;
    const char *auth = p + 3;
    size_t alen = strcspn(auth, "/?#");
    u->path = auth + alen;
    const char *at = NULL;
    for (const char *q = auth; q < auth + alen; q++)
        if (*q == '@') at = q;
    if (at) {
        u->userinfo = auth;
        u->userinfo_len = (size_t)(at - auth);
        auth = at + 1;
        alen = (size_t)(u->path - auth);
    }
    u->host = auth;
    if (alen && auth[0] == '[') { /* [v6]:port */
        const char *e = memchr(auth, ']', alen);
        u->host_len = e ? (size_t)(e - auth) + 1 : alen;
    } else {
        const char *c = memchr(auth, ':', alen);
        u->host_len = c ? (size_t)(c - auth) : alen;
    }
    return u->host_len ? 0 : -1;
}

void sw_webhook_host(const char *url, char *buf, size_t n)
{
    if (!n) return;
    url_parts u;
    if (!url || url_split(url, &u) != 0) {
        snprintf(buf, n, "?");
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < u.host_len && k + 1 < n && k < 253; i++) {
        unsigned char c = (unsigned char)u.host[i];
        buf[k++] = isalnum(c) || c == '.' || c == '-' || c == '_' || c == '[' || c == ']' || c == ':' ? (char)c : '?';
    }
    buf[k] = '\0';
}

/* Replace every occurrence of s[0..n) in msg by "***". */
static void scrub_one(char *msg, size_t cap, const char *s, size_t n)
{
    if (!s || n < 2) return; /* a one-character path ("/") hides nothing */
    char out[sizeof(((sw_error *)0)->msg)];
    if (cap > sizeof out) cap = sizeof out;
    size_t o = 0;
    int hit = 0;
    for (const char *p = msg; *p && o + 1 < cap;) {
        if (strncmp(p, s, n) == 0) {
            for (int i = 0; i < 3 && o + 1 < cap; i++) out[o++] = '*';
            p += n;
            hit = 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    if (hit) memcpy(msg, out, o + 1);
}

static void scrub(char *msg, size_t cap, const char *url)
{
    if (!url) return;
    scrub_one(msg, cap, url, strlen(url));
    url_parts u;
    if (url_split(url, &u) == 0) {
        scrub_one(msg, cap, u.path, strlen(u.path));
        scrub_one(msg, cap, u.userinfo, u.userinfo_len);
    }
}

__attribute__((format(printf, 4, 5))) static int hook_fail(sw_error *err, int code, const char *url, const char *fmt,
                                                           ...)
{
    char msg[sizeof(((sw_error *)0)->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    scrub(msg, sizeof msg, url);
    return sw_error_set(err, code, NULL, 0, 0, -1, "%s", msg);
}

/* ---- one exchange ---- */

typedef struct {
    char snippet[SNIPPET_MAX + 1];
    size_t len;
    double retry_after; /* seconds; 0 when none */
} answer;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    answer *a = ud;
    size_t k = size * n;
    size_t take = SNIPPET_MAX - a->len < k ? SNIPPET_MAX - a->len : k;
    memcpy(a->snippet + a->len, p, take);
    a->len += take;
    a->snippet[a->len] = '\0';
    return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    answer *a = ud;
    size_t k = size * n;
    if (k >= 5 && strncmp(p, "HTTP/", 5) == 0) { /* a new answer (after 100 Continue) */
        a->retry_after = 0;
        a->len = 0;
        a->snippet[0] = '\0';
    } else if (k > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
        /* delta-seconds only; an HTTP-date falls back to the backoff */
        char v[32];
        size_t i = 12, j = 0;
        while (i < k && (p[i] == ' ' || p[i] == '\t')) i++;
        while (i < k && j + 1 < sizeof v && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.')) v[j++] = p[i++];
        v[j] = '\0';
        if (j && (i == k || p[i] == '\r' || p[i] == '\n' || p[i] == ' ')) {
            double s = strtod(v, NULL);
            if (isfinite(s) && s > 0) a->retry_after = s < RETRY_AFTER_MAX ? s : RETRY_AFTER_MAX;
        }
    }
    return k;
}

/* The answer's text for a message: printable ASCII, spaces collapsed. */
static void snippet_text(const answer *a, char *out, size_t n)
{
    size_t k = 0;
    int space = 0;
    for (size_t i = 0; i < a->len && k + 4 < n && k < 100; i++) {
        unsigned char c = (unsigned char)a->snippet[i];
        if (c <= ' ' || c >= 127) {
            space = k > 0;
            continue;
        }
        if (space) out[k++] = ' ';
        space = 0;
        out[k++] = (char)c;
    }
    out[k] = '\0';
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

int sw_webhook_post(const char *url, const char *what, const char *body, size_t len, const sw_webhook_opts *opts,
                    sw_webhook_result *res, sw_error *err)
{
    sw_webhook_result dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    if (!what || !*what) what = "webhook";
    url_parts u;
    if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) ||
        url_split(url, &u) != 0)
        return sw_error_set(err, SW_ARG, NULL, 0, 0, -1, "%s: the URL is not an http:// or https:// URL", what);
    char host[256];
    sw_webhook_host(url, host, sizeof host);
    const sw_webhook_opts o = resolved(opts);
    const double t0 = sw_clock_now(), deadline = t0 + sw_webhook_budget_s(&o);

    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) return sw_error_set(err, SW_NET, NULL, 0, 0, -1, "%s: libcurl failed to initialise", what);
    CURL *c = curl_easy_init();
    if (!c) return sw_error_set(err, SW_NOMEM, NULL, 0, 0, -1, "%s: libcurl could not make a handle", what);
    struct curl_slist *h = NULL, *t;
    char ctype[160], agent[64];
    snprintf(ctype, sizeof ctype, "Content-Type: %s", o.content_type);
    snprintf(agent, sizeof agent, "swish/%s", sw_version());
    int ok = 1;
    /* "Expect:" drops the 100-continue round trip curl adds to bodies over 1 KiB */
    const char *hdrs[] = {ctype, "Expect:", "Accept: */*"};
    for (size_t i = 0; ok && i < sizeof hdrs / sizeof hdrs[0]; i++) ok = (t = curl_slist_append(h, hdrs[i])) && (h = t);
    if (!ok) {
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        return sw_error_set(err, SW_NOMEM, NULL, 0, 0, -1, "out of memory");
    }

    char cause[512] = "no attempt was made", ebuf[CURL_ERROR_SIZE];
    answer a = {0};
    int rc = SW_NET, delivered = 0;
    for (int k = 0; k <= o.retries; k++) {
        if (k > 0) {
            double wait = a.retry_after > 0 ? a.retry_after : backoff(&o, k);
            double left = deadline - sw_clock_now(), keep = o.timeout_s < 0.25 ? o.timeout_s : 0.25;
            if (wait > left - keep) wait = left - keep; /* Retry-After is honoured within the budget */
            if (wait < 0) break;
            sleep_s(wait);
        }
        double left = deadline - sw_clock_now();
        if (left < 0.01) break;
        double tmo = o.timeout_s < left ? o.timeout_s : left;
        memset(&a, 0, sizeof a);
        ebuf[0] = '\0';
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, agent);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, len ? body : "");
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ceil(tmo * 1000) > 0 ? (long)ceil(tmo * 1000) : 1L);
        double ctmo = o.connect_timeout_s < tmo ? o.connect_timeout_s : tmo;
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)ceil(ctmo * 1000) > 0 ? (long)ceil(ctmo * 1000) : 1L);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
        CURLcode cc = curl_easy_perform(c);
        res->attempts++;
        if (cc != CURLE_OK) {
            snprintf(cause, sizeof cause, "%s", ebuf[0] ? ebuf : curl_easy_strerror(cc));
            if (sw__curl_retryable(cc)) continue;
            res->permanent = 1;
            break;
        }
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        res->status = status;
        char said[128];
        snippet_text(&a, said, sizeof said);
        snprintf(cause, sizeof cause, "HTTP %ld%s%s", status, said[0] ? " " : "", said);
        if (status >= 200 && status <= 299) {
            delivered = 1;
            break;
        }
        if (status == 408 || status == 429 || status >= 500) continue;
        res->permanent = 1; /* 4xx (the URL or the body is wrong), a redirect, anything else */
        break;
    }
    res->seconds = sw_clock_now() - t0;
    if (delivered) {
        rc = SW_OK;
    } else if (res->permanent) {
        rc = hook_fail(err, SW_NET, url, "%s (%s): %s; refused, not retried", what, host, cause);
    } else {
        rc = hook_fail(err, SW_NET, url, "%s (%s): not delivered after %d attempt%s in %.1f s: %s", what, host,
                       res->attempts, res->attempts == 1 ? "" : "s", res->seconds, cause);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}
