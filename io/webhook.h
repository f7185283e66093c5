/* webhook: POST one body (JSON) to an http(s) URL, with bounded retries.
 *
 * What is retried: connection failures, timeouts, truncated exchanges, 408,
 * 429 and 5xx, with a wait of backoff_s doubling up to backoff_cap_s (a 429
 * or 503 that says Retry-After: N waits N seconds instead).  What is not:
 * 2xx is delivered; any other answer (4xx, a redirect) is a permanent
 * failure.  A call never takes longer than sw_webhook_budget_s(o): each
 * attempt's timeout and every wait are cut to what is left of it.
 *
 * The URL is a secret (Slack's carries its token in the path): no message
 * contains it.  Errors name the endpoint by `what` ("slack webhook") and its
 * host ("slack webhook (hooks.slack.com): HTTP 404 no_service").
 *
 * Ownership: the caller owns every argument; nothing is kept between calls.
 * Thread-safety: reentrant; each call has its own libcurl handle (libcurl's
 * global initialisation runs once, under pthread_once).
 */
#ifndef SW_WEBHOOK_H
#define SW_WEBHOOK_H

#include <stddef.h>

#include "core/status.h"

typedef struct {
    double timeout_s;         /* one attempt, connection to last byte (default 5) */
    double connect_timeout_s; /* the connection alone (default: timeout_s, at most 5) */
    int retries;              /* attempts after the first (default 3; 0: one attempt) */
    double backoff_s;         /* the first wait (default 0.5), doubling */
    double backoff_cap_s;     /* the longest wait (default 8) */
    const char *content_type; /* default "application/json" */
} sw_webhook_opts;

sw_webhook_opts sw_webhook_opts_default(void);

typedef struct {
    int attempts;  /* requests made */
    long status;   /* the last HTTP status; 0 when no answer came */
    double seconds; /* the whole call, waits included */
    int permanent; /* 1: refused for good (retrying later will not help either) */
} sw_webhook_result;

/* The longest a call with these options may take: timeout_s * (retries + 1)
 * plus the backoff waits (o NULL: the defaults). */
double sw_webhook_budget_s(const sw_webhook_opts *o);

/* POST body[len] to url.  `what` names the endpoint in messages ("webhook"
 * when NULL); o NULL: the defaults; res may be NULL.  SW_OK when a 2xx
 * answered; SW_NET when it was refused or could not be delivered within the
 * retries (the message says which, with the last HTTP status or transport
 * error); SW_ARG for a URL that is not http:// or https:// (the message does
 * not quote it); SW_NOMEM. */
int sw_webhook_post(const char *url, const char *what, const char *body, size_t len, const sw_webhook_opts *o,
                    sw_webhook_result *res, sw_error *err);

/* The host of a URL (no scheme, user, port or path) into buf[n], for
 * messages; "?" when there is none. */
void sw_webhook_host(const char *url, char *buf, size_t n);

#endif
