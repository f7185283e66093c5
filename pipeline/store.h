/* store: the SQLite database of runs, predictions and features (WAL mode).
 *
 *   runs         one row per slate run: date, times, swish version, config
 *                hash, systems and versions, counts
 *   predictions  one row per (date, game, player, system, model version): line,
 *                book, prediction, interval, P(over), edge, call, confidence,
 *                quality, reason, feature hash, run; the coordinator's call is
 *                the row of system "final"
 *   features     the feature vector behind each prediction (JSON by name), with
 *                its source labels, quality and hash
 *
 * A run is written in one transaction: re-running a date replaces that date's
 * rows of the same systems and model versions (the primary key forbids
 * duplicates), and a crash or kill before the commit leaves the previous
 * results as they were.  Confidence is checked to lie in [0, 100] and calls
 * in the four known values by the schema itself.
 *
 * Ownership: the store owns its connection.  Thread-safety: one thread per
 * store; processes coordinate through SQLite's locks (a busy database waits
 * up to busy_timeout_ms, then SW_BUSY).
 */
#ifndef SW_STORE_H
#define SW_STORE_H

#include "slate.h"

typedef struct sw_store sw_store;

/* Open or create; SW_DB for a file that is not a database or cannot be
 * written, SW_BUSY when locked. */
int sw_store_open(const char *path, int busy_timeout_ms, sw_store **out, sw_error *err);
void sw_store_close(sw_store *st);

typedef struct {
    long run_id;
    long predictions, features, replaced;
    double seconds;
} sw_store_result;

/* Write a slate as one run (config_text: the effective configuration). */
int sw_store_write_slate(sw_store *st, const sw_slate *s, const sw_league *lg, const char *config_text,
                         sw_store_result *res, sw_error *err);

/* The underlying connection, for queries by tests and reports (sqlite3 *). */
void *sw_store_db(sw_store *st);

#endif
