/* alert: the alerter (see alert.h).
 *
 * Each (key, endpoint) pair is decided on its own: Slack and the generic
 * webhook may fail independently, and a night where one of them was down
 * must retry that one the next night without repeating the other.  The
 * decision and the occurrence are recorded in one transaction before the
 * delivery, which claims the pair, so two processes meeting the same problem
 * at once send it once; the outcome is recorded after.  No transaction is
 * held while the network is used (a slate must not wait on Slack).
 *
 * Bodies are built with the JSON writer; the figures are parsed (so a bad
 * object is the caller's SW_ARG, not the receiver's 400) and written again
 * compactly, integers as integers, other numbers as their shortest text.
 */
#include "alert.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/date.h"
#include "core/json.h"
#include "core/num.h"
#include "core/sbuf.h"
#include "core/version.h"
#include "io/webhook.h"
#include "store.h"

struct sw_alerter {
    char *url[SW_ALERT_ENDPOINTS]; /* slack, webhook; NULL when not configured */
    sw_webhook_opts wo;
    double dedup_s, claim_s;
    int max_per_hour;
    sw_store *st;       /* NULL: no state (no endpoint, or the database failed) */
    char state_error[600];
    FILE *log;
    char host[256];
};

static const char *const endpoint_name[SW_ALERT_ENDPOINTS] = {"slack webhook", "webhook"};
static const char *const endpoint_id[SW_ALERT_ENDPOINTS] = {"slack", "webhook"};

const char *sw_alert_severity_name(sw_alert_severity s)
{
    switch (s) {
    case SW_ALERT_INFO: return "info";
    case SW_ALERT_WARNING: return "warning";
    case SW_ALERT_CRITICAL: return "critical";
    }
    return "?";
}

__attribute__((format(printf, 2, 3))) static void logf_(const sw_alerter *a, const char *fmt, ...)
{
    if (!a->log) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(a->log, fmt, ap);
    va_end(ap);
    fflush(a->log);
}

int sw_alerter_open(const sw_config *cfg, FILE *log, sw_alerter **out, sw_error *err)
{
    *out = NULL;
    if (!cfg) return sw_fail(err, SW_ARG, "sw_alerter_open: no configuration");
    sw_alerter *a = sw_calloc(1, sizeof *a);
    if (!a) return sw_fail(err, SW_NOMEM, "out of memory");
    a->log = log;
    const char *urls[SW_ALERT_ENDPOINTS] = {cfg->slack_url, cfg->webhook_url};
    for (int i = 0; i < SW_ALERT_ENDPOINTS; i++) {
        if (!urls[i][0]) continue;
        if (!(a->url[i] = sw_strdup(urls[i]))) {
            sw_alerter_close(a);
            return sw_fail(err, SW_NOMEM, "out of memory");
        }
    }
    a->wo = sw_webhook_opts_default();
    a->wo.timeout_s = cfg->alert_timeout_s;
    a->wo.retries = cfg->alert_retries;
    a->dedup_s = cfg->dedup_s;
    a->max_per_hour = cfg->max_per_hour;
    /* a claim outlives any delivery in progress, and no more: a process that
     * died while sending leaves a claim that expires */
    a->claim_s = sw_webhook_budget_s(&a->wo) + 5;
    if (gethostname(a->host, sizeof a->host) != 0) snprintf(a->host, sizeof a->host, "unknown");
    a->host[sizeof a->host - 1] = '\0';
    if (sw_alerter_endpoints(a) > 0) {
        sw_error e;
        sw_error_clear(&e);
        int rc = sw_store_open(cfg->db, cfg->busy_timeout_ms, 1, &a->st, &e);
        if (rc == SW_NOMEM) {
            sw_alerter_close(a);
            return sw_fail(err, SW_NOMEM, "out of memory");
        }
        if (rc) {
            char m[700];
            sw_error_format(&e, m, sizeof m);
            snprintf(a->state_error, sizeof a->state_error, "%.590s", m);
            logf_(a, "swish: alert: the alert state cannot be kept (%s); alerts go out without de-duplication\n",
                  a->state_error);
        }
    }
    *out = a;
    return SW_OK;
}

void sw_alerter_close(sw_alerter *a)
{
    if (!a) return;
    for (int i = 0; i < SW_ALERT_ENDPOINTS; i++) {
        if (a->url[i]) memset(a->url[i], 0, strlen(a->url[i]));
        sw_free(a->url[i]);
    }
    sw_store_close(a->st);
    sw_free(a);
}

int sw_alerter_endpoints(const sw_alerter *a)
{
    int n = 0;
    for (int i = 0; i < SW_ALERT_ENDPOINTS; i++) n += a->url[i] != NULL;
    return n;
}

/* ---- bodies ---- */


/* Slack's text is mrkdwn: &, < and > must be escaped (and only those). */
static void sb_slack(sw_sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': sw_sbuf_puts(b, "&amp;"); break;
        case '<': sw_sbuf_puts(b, "&lt;"); break;
        case '>': sw_sbuf_puts(b, "&gt;"); break;
        default: sw_sbuf_putn(b, s + i, 1);
        }
    }
}

/* Write a parsed JSON value again (compact). */
static void emit(sw_jw *w, const sw_json *doc, sw_jnode n, int depth)
{
    switch (sw_json_type_of(doc, n)) {
    case SW_JSON_NULL: sw_jw_null(w); break;
    case SW_JSON_FALSE: sw_jw_bool(w, 0); break;
    case SW_JSON_TRUE: sw_jw_bool(w, 1); break;
    case SW_JSON_NUMBER: {
        long long i;
        double d = 0;
        if (sw_json_i64(doc, n, 0, &i, NULL) == SW_OK) sw_jw_int(w, i);
        else if (sw_json_f64(doc, n, 0, &d, NULL) == SW_OK) sw_jw_f64(w, d);
        else sw_jw_null(w);
        break;
    }
    case SW_JSON_STRING: {
        size_t len;
        const char *s = sw_json_str(doc, n, &len);
        sw_jw_strn(w, s ? s : "", s ? len : 0);
        break;
    }
    case SW_JSON_ARRAY:
        sw_jw_arr_begin(w);
        for (sw_jnode c = sw_json_first(doc, n); c != SW_JNONE; c = sw_json_next(doc, c)) emit(w, doc, c, depth + 1);
        sw_jw_arr_end(w);
        break;
    case SW_JSON_OBJECT:
        sw_jw_obj_begin(w);
        for (sw_jnode c = sw_json_first(doc, n); c != SW_JNONE; c = sw_json_next(doc, c)) {
            size_t kl;
            const char *k = sw_json_key(doc, c, &kl);
            char kb[256], *key = kl < sizeof kb ? kb : sw_malloc(kl + 1);
            if (!key) {
                sw_jw_key(w, ""); /* the writer's own failure is what is reported */
            } else {
                memcpy(key, k ? k : "", k ? kl : 0);
                key[k ? kl : 0] = '\0';
                sw_jw_key(w, key);
                if (key != kb) sw_free(key);
            }
            emit(w, doc, c, depth + 1);
        }
        sw_jw_obj_end(w);
        break;
    default: sw_jw_null(w); break;
    }
}

/* A value as Slack text: strings as they are, the rest as compact JSON. */
static void slack_value(sw_sbuf *b, const sw_json *doc, sw_jnode n)
{
    if (sw_json_type_of(doc, n) == SW_JSON_STRING) {
        size_t len;
        const char *s = sw_json_str(doc, n, &len);
        sb_slack(b, s ? s : "", s ? len : 0);
        return;
    }
    sw_jw *w = sw_jw_create(SW_JW_JSON);
    if (!w) {
        b->oom = 1;
        return;
    }
    sw_jw_shortest(w, 1);
    emit(w, doc, n, 0);
    const char *t;
    size_t len;
    if (sw_jw_finish(w, &t, &len) == SW_OK) sb_slack(b, t, len);
    else b->oom = 1;
    sw_jw_free(w);
}

typedef struct {
    char *key;
    sw_json *figures; /* NULL when none */
    char *slack, *generic;
    size_t slack_len, generic_len;
} bodies;

static void bodies_free(bodies *b)
{
    sw_free(b->key);
    sw_json_free(b->figures);
    sw_free(b->slack);
    sw_free(b->generic);
}

static int build_slack(const sw_alerter *a, const sw_alert *al, bodies *b)
{
    sw_sbuf t = {0};
    static const char *const sev[] = {"INFO", "WARNING", "CRITICAL"};
    sw_sbuf_puts(&t, "[swish] ");
    sw_sbuf_puts(&t, sev[al->severity]);
    sw_sbuf_puts(&t, " ");
    sb_slack(&t, al->event, strlen(al->event));
    if (al->system) {
        sw_sbuf_puts(&t, " (");
        sb_slack(&t, al->system, strlen(al->system));
        sw_sbuf_puts(&t, ")");
    }
    sw_sbuf_puts(&t, ": ");
    sb_slack(&t, al->text, strlen(al->text));
    if (b->figures) {
        sw_jnode root = sw_json_root(b->figures);
        int k = 0;
        for (sw_jnode c = sw_json_first(b->figures, root); c != SW_JNONE; c = sw_json_next(b->figures, c)) {
            size_t kl;
            const char *key = sw_json_key(b->figures, c, &kl);
            sw_sbuf_puts(&t, k++ ? ", " : "\nfigures: ");
            sb_slack(&t, key ? key : "", key ? kl : 0);
            sw_sbuf_puts(&t, " = ");
            slack_value(&t, b->figures, c);
        }
    }
    sw_sbuf_puts(&t, "\n");
    if (al->run_id) {
        sw_sbuf_puts(&t, "run ");
        sb_slack(&t, al->run_id, strlen(al->run_id));
        sw_sbuf_puts(&t, " on ");
    } else {
        sw_sbuf_puts(&t, "on ");
    }
    sb_slack(&t, a->host, strlen(a->host));
    sw_sbuf_puts(&t, ", swish ");
    sw_sbuf_puts(&t, sw_version());
    int rc = t.oom ? SW_NOMEM : SW_OK;
    sw_jw *w = rc ? NULL : sw_jw_create(SW_JW_JSON);
    if (!rc && !w) rc = SW_NOMEM;
    if (!rc) {
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "text", t.p);
        sw_jw_obj_end(w);
        const char *s;
        size_t len;
        if ((rc = sw_jw_finish(w, &s, &len)) == SW_OK && !(b->slack = sw_malloc(len + 1))) rc = SW_NOMEM;
        if (!rc) {
            memcpy(b->slack, s, len);
            b->slack[len] = '\0';
            b->slack_len = len;
        }
    }
    sw_jw_free(w);
    sw_free(t.p);
    return rc;
}

static int build_generic(const sw_alerter *a, const sw_alert *al, bodies *b)
{
    sw_jw *w = sw_jw_create(SW_JW_JSON);
    if (!w) return SW_NOMEM;
    sw_jw_shortest(w, 1);
    char at[24];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sw_datetime_format((int64_t)ts.tv_sec, at);
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "event", al->event);
    sw_jw_kstr(w, "severity", sw_alert_severity_name(al->severity));
    if (al->system) sw_jw_kstr(w, "system", al->system);
    else sw_jw_knull(w, "system");
    sw_jw_kstr(w, "text", al->text);
    sw_jw_key(w, "figures");
    if (b->figures) emit(w, b->figures, sw_json_root(b->figures), 0);
    else {
        sw_jw_obj_begin(w);
        sw_jw_obj_end(w);
    }
    if (al->run_id) sw_jw_kstr(w, "run_id", al->run_id);
    else sw_jw_knull(w, "run_id");
    sw_jw_kstr(w, "key", b->key);
    sw_jw_kstr(w, "host", a->host);
    sw_jw_kstr(w, "swish_version", sw_version());
    sw_jw_kstr(w, "at", at);
    sw_jw_obj_end(w);
    const char *s;
    size_t len;
    int rc = sw_jw_finish(w, &s, &len);
    if (!rc && !(b->generic = sw_malloc(len + 1))) rc = SW_NOMEM;
    if (!rc) {
        memcpy(b->generic, s, len);
        b->generic[len] = '\0';
        b->generic_len = len;
    }
    sw_jw_free(w);
    return rc;
}

/* SW_ARG (with the reason in why) for an alert that cannot be sent. */
static int check_alert(const sw_alert *al, char *why, size_t n)
{
    if (!al) return snprintf(why, n, "no alert"), SW_ARG;
    if (!al->event || !*al->event) return snprintf(why, n, "an alert without an event"), SW_ARG;
    for (const char *p = al->event; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return snprintf(why, n, "alert event '%.64s' is not [a-z0-9_]", al->event), SW_ARG;
    if (strlen(al->event) > 64) return snprintf(why, n, "alert event '%.64s...' is too long", al->event), SW_ARG;
    if (!al->text || !*al->text) return snprintf(why, n, "alert %s has no text", al->event), SW_ARG;
    if ((int)al->severity < SW_ALERT_INFO || (int)al->severity > SW_ALERT_CRITICAL)
        return snprintf(why, n, "alert %s has an unknown severity %d", al->event, (int)al->severity), SW_ARG;
    return SW_OK;
}

static int make_bodies(const sw_alerter *a, const sw_alert *al, bodies *b, char *why, size_t n)
{
    memset(b, 0, sizeof *b);
    sw_sbuf k = {0};
    if (al->key && *al->key) {
        sw_sbuf_puts(&k, al->key);
    } else {
        sw_sbuf_puts(&k, al->event);
        if (al->system) {
            sw_sbuf_puts(&k, "/");
            sw_sbuf_puts(&k, al->system);
        }
    }
    if (k.oom) return SW_NOMEM;
    b->key = k.p;
    if (al->figures_json) {
        sw_error e;
        sw_error_clear(&e);
        int rc = sw_json_parse("figures_json", al->figures_json, strlen(al->figures_json), &b->figures, &e);
        if (rc == SW_NOMEM) return rc;
        if (rc) return snprintf(why, n, "alert %s: figures_json: %.300s", al->event, e.msg), SW_ARG;
        if (sw_json_type_of(b->figures, sw_json_root(b->figures)) != SW_JSON_OBJECT)
            return snprintf(why, n, "alert %s: figures_json is not a JSON object", al->event), SW_ARG;
    }
    int rc;
    if (a->url[0] && (rc = build_slack(a, al, b))) return rc;
    if (a->url[1] && (rc = build_generic(a, al, b))) return rc;
    return SW_OK;
}

/* ---- sending ---- */

int sw_alert_send_detail(sw_alerter *a, const sw_alert *al, sw_alert_stats *st, sw_alert_delivery d[SW_ALERT_ENDPOINTS],
                         int *n)
{
    sw_alert_stats dummy;
    if (!st) st = &dummy;
    sw_alert_delivery dd[SW_ALERT_ENDPOINTS];
    int nd = 0;
    if (!d) d = dd;
    if (n) *n = 0;
    char why[512];
    if (!a || check_alert(al, why, sizeof why)) {
        if (a) logf_(a, "swish: alert: not sent: %s\n", why);
        return SW_ARG;
    }
    bodies b;
    int rc = make_bodies(a, al, &b, why, sizeof why);
    if (rc) {
        if (rc == SW_ARG) logf_(a, "swish: alert: not sent: %s\n", why);
        bodies_free(&b);
        return rc;
    }
    const char *sev = sw_alert_severity_name(al->severity);
    if (sw_alerter_endpoints(a) == 0) {
        st->no_endpoint++;
        logf_(a, "swish: alert %s (%s) not sent: no endpoint configured ([alerts] slack_url, webhook_url)\n", b.key,
              sev);
        bodies_free(&b);
        return SW_OK;
    }
    const int test = strcmp(al->event, "test") == 0;
    sw_sbuf line = {0};
    char state[600] = "";
    int any_failed = 0, any_sent = 0, any_rate = 0;
    for (int i = 0; i < SW_ALERT_ENDPOINTS; i++) {
        if (!a->url[i]) continue;
        sw_alert_delivery *x = &d[nd++];
        memset(x, 0, sizeof *x);
        x->endpoint = endpoint_name[i];
        sw_store_alert sa = {.key = b.key, .endpoint = endpoint_id[i], .event = al->event, .severity = sev,
                             .system = al->system, .text = al->text};
        int decision = SW_STORE_ALERT_SEND, stateful = a->st != NULL;
        sw_error e;
        sw_error_clear(&e);
        if (a->st && !test) {
            rc = sw_store_alert_should_send(a->st, &sa, a->dedup_s, a->max_per_hour, a->claim_s, &decision, &e);
            if (rc == SW_NOMEM) break;
            if (rc) {
                decision = SW_STORE_ALERT_SEND;
                if (!state[0]) snprintf(state, sizeof state, "%.500s", e.msg);
            }
        }
        char part[800];
        if (decision == SW_STORE_ALERT_DEDUP) {
            x->outcome = SW_ALERT_DEDUPLICATED;
            snprintf(part, sizeof part, "%s: already sent within alerts.dedup_s", x->endpoint);
        } else if (decision == SW_STORE_ALERT_RATE) {
            x->outcome = SW_ALERT_RATE_LIMITED;
            any_rate = 1;
            snprintf(part, sizeof part, "%s: not sent, alerts.max_per_hour (%d) reached", x->endpoint,
                     a->max_per_hour);
        } else {
            sw_webhook_result wr;
            sw_error_clear(&e);
            rc = sw_webhook_post(a->url[i], x->endpoint, i == 0 ? b.slack : b.generic, i == 0 ? b.slack_len : b.generic_len,
                                 &a->wo, &wr, &e);
            if (rc == SW_NOMEM) break;
            x->attempts = wr.attempts;
            x->status = wr.status;
            x->seconds = wr.seconds;
            if (rc == SW_OK) {
                x->outcome = SW_ALERT_DELIVERED;
                any_sent = 1;
                snprintf(part, sizeof part, "%s: delivered (%d attempt%s, %.1f s)", x->endpoint, wr.attempts,
                         wr.attempts == 1 ? "" : "s", wr.seconds);
            } else {
                x->outcome = SW_ALERT_FAILED;
                any_failed = 1;
                snprintf(x->error, sizeof x->error, "%.500s", e.msg);
                snprintf(part, sizeof part, "FAILED: %.700s", e.msg);
            }
            if (stateful) {
                sw_error_clear(&e);
                int r = sw_store_alert_record(a->st, &sa, rc == SW_OK, rc == SW_OK ? NULL : x->error, &e);
                if (r == SW_NOMEM) {
                    rc = r;
                    break;
                }
                if (r && !state[0]) snprintf(state, sizeof state, "%.500s", e.msg);
            }
            rc = SW_OK;
        }
        sw_sbuf_puts(&line, nd > 1 ? "; " : "");
        sw_sbuf_puts(&line, part);
    }
    if (rc == SW_NOMEM || line.oom) {
        sw_free(line.p);
        bodies_free(&b);
        return SW_NOMEM;
    }
    if (any_failed) st->failed++;
    else if (any_sent) st->sent++;
    else if (any_rate) st->rate_limited++;
    else st->deduplicated++;
    const char *whole = a->st ? state : a->state_error;
    logf_(a, "swish: alert %s (%s): %s%s%s%s\n", b.key, sev, line.p ? line.p : "",
          whole[0] ? "; the alert state could not be used, no de-duplication (" : "", whole, whole[0] ? ")" : "");
    if (n) *n = nd;
    sw_free(line.p);
    bodies_free(&b);
    return SW_OK;
}

int sw_alert_send(sw_alerter *a, const sw_alert *al, sw_alert_stats *st)
{
    return sw_alert_send_detail(a, al, st, NULL, NULL);
}
