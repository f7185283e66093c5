/* alert: tell the people who run swish unattended that something is wrong.
 *
 * An alert (an event such as retrain_failed, a severity, the system it is
 * about, one human line and its figures as JSON) goes to every endpoint of
 * [alerts]: slack_url gets Slack's {"text": ...}; webhook_url gets
 *   {"event", "severity", "system", "text", "figures": {...}, "run_id", "key",
 *    "host", "swish_version", "at"}
 * through io/webhook (timeout alerts.timeout_s, alerts.retries retries).
 *
 * Sending never fails the caller: a delivery that fails is one line on the
 * log and a count in the stats.  The same key is not sent again to an
 * endpoint within alerts.dedup_s of its last delivery, and no more than
 * alerts.max_per_hour deliveries go to an endpoint in an hour; both hold
 * across processes, kept in the database (paths.db, tables alerts and
 * alert_sends of pipeline/store.h).  A failed delivery does not count as
 * sent: the next occurrence tries again.  When the database cannot be used
 * the alert is sent anyway, without de-duplication, and the log says so.
 * Event "test" (swish alert test) is never de-duplicated or rate limited.
 *
 * The endpoints' URLs are secrets: they appear in no log line or error.
 *
 * Ownership: the alerter copies what it needs of the configuration; the
 * caller keeps `log` open until sw_alerter_close.  Thread-safety: one thread
 * per alerter (it holds a database connection); separate alerters, in one
 * process or many, coordinate through the database.
 */
#ifndef SW_ALERT_H
#define SW_ALERT_H

#include <stdio.h>

#include "config.h"

typedef enum { SW_ALERT_INFO, SW_ALERT_WARNING, SW_ALERT_CRITICAL } sw_alert_severity;

typedef struct {
    const char *event;        /* retrain_failed, retrain_refused, slate_failed, slate_late, drift, system_state,
                               * demotion, stale_input, test ([a-z0-9_], required) */
    sw_alert_severity severity;
    const char *system;       /* NULL when not about one system */
    const char *key;          /* de-duplication key; NULL: event + "/" + system (event alone without one) */
    const char *text;         /* one human line with the figures (required) */
    const char *figures_json; /* a JSON object with the figures, or NULL */
    const char *run_id;       /* the night's run id, or NULL */
} sw_alert;

/* Counts of alerts (not of endpoints): sent when every endpoint that was
 * tried took it; failed when one failed; deduplicated / rate_limited when no
 * endpoint was tried for that reason; no_endpoint when none is configured. */
typedef struct {
    int sent, deduplicated, rate_limited, failed, no_endpoint;
} sw_alert_stats;

/* What happened at one endpoint (sw_alert_send_detail). */
typedef enum {
    SW_ALERT_DELIVERED,
    SW_ALERT_FAILED,
    SW_ALERT_DEDUPLICATED,
    SW_ALERT_RATE_LIMITED
} sw_alert_outcome;

#define SW_ALERT_ENDPOINTS 2

typedef struct {
    const char *endpoint; /* "slack webhook" or "webhook" */
    sw_alert_outcome outcome;
    int attempts;
    long status;          /* last HTTP status, 0 none */
    double seconds;
    char error[512];      /* why it failed (no secret); "" otherwise */
} sw_alert_delivery;

typedef struct sw_alerter sw_alerter;

/* An alerter for cfg's [alerts] endpoints, its state in cfg->db (created if
 * absent, opened only when an endpoint is configured).  A database that
 * cannot be opened is a line on `log` (may be NULL: silent), not an error:
 * alerts then go out without de-duplication.  SW_NOMEM, SW_ARG (cfg NULL). */
int sw_alerter_open(const sw_config *cfg, FILE *log, sw_alerter **out, sw_error *err);
void sw_alerter_close(sw_alerter *a); /* NULL: no-op; the URLs are wiped */

/* Number of configured endpoints (0, 1 or 2). */
int sw_alerter_endpoints(const sw_alerter *a);

/* Deliver an alert to every configured endpoint; one log line per alert
 * (what went where, or why not; no secret).  Adds to *st (may be NULL).
 * Returns SW_OK whatever became of the delivery; SW_ARG for a bad alert
 * (no event, an event outside [a-z0-9_], no text, an unknown severity,
 * figures_json not a JSON object), SW_NOMEM. */
int sw_alert_send(sw_alerter *a, const sw_alert *al, sw_alert_stats *st);

/* The same, also telling what happened at each endpoint: d[0..*n) in the
 * order slack, webhook (configured ones only). */
int sw_alert_send_detail(sw_alerter *a, const sw_alert *al, sw_alert_stats *st, sw_alert_delivery d[SW_ALERT_ENDPOINTS],
                         int *n);

/* "info", "warning", "critical" ("?" for other values). */
const char *sw_alert_severity_name(sw_alert_severity s);

#endif
