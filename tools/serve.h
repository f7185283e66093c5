/* serve: `swish serve`, the prediction worker as a long-running HTTP service
 * (libmicrohttpd, its internal thread pool on epoll).
 *
 *   POST /pubsub/push   a Pub/Sub push envelope naming a date to score; the
 *                       job is recorded in the database (jobs, keyed by the
 *                       message id) before the 2xx that acknowledges it, then
 *                       the slate runs on the worker thread through the code
 *                       path of `swish slate` (slatejob.h); a known message id
 *                       is acknowledged and not run again; jobs interrupted
 *                       by a crash resume at start-up.  Authenticated by an
 *                       RS256 JWT (io/jwt.h) or a shared ?token= secret.
 *   POST /v1/predict    one player-game or a batch: every system, the final
 *                       call, P(over), versions, optionally the drivers; the
 *                       same features and models as `swish slate`
 *   GET  /v1/slate      the stored calls of a date;  GET /v1/jobs/ID a job
 *   GET  /healthz       alive;  GET /readyz: models verified, database writable
 *   GET  /metrics       Prometheus text format (core/prom.h)
 *
 * Models and data form a generation: the league, and per date (a few dates
 * cached) the models that may serve it and a slate of every expected player.
 * SIGHUP, or a change of the store's champions or of the data seen by the
 * poll, builds a new generation in the background and swaps it in when its
 * models load and verify; a failed load keeps the old one.  SIGTERM: stop
 * accepting, finish the requests and the running job, exit 0.
 */
#ifndef SW_SERVE_H
#define SW_SERVE_H

#include "pipeline/config.h"

/* Run the service until SIGTERM or SIGINT; returns the exit code. */
int serve_main(const sw_config *cfg, const char *config_text);

#endif
