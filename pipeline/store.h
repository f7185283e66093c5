/* store: the SQLite database of runs, predictions and features (WAL mode).
 *
 *   runs         one row per slate run: date, times, swish version, config
 *                hash, systems and versions, counts
 *   predictions  exactly one current row per (date, game, player, system):
 *                model version, line, book, prediction, interval, P(over),
 *                edge, call, confidence (OVER/UNDER calls only), quality,
 *                reason, feature hash, run, and trained_to, the last date
 *                the row's model may have seen (NULL for the rule systems);
 *                the coordinator's call is the row of system "final"; while
 *                a version is in rollout (rollout.h) its rows are
 *                "<system>.rollout" (the candidate's own, with its version
 *                and trained_to), "final.champion" and "final.rollout" (the
 *                two combined calls, versions naming the stack and the
 *                candidates), and "final" is the one served (its version
 *                ends in " canary" where the rollout served)
 *   predictions_superseded  rows a later run of their date replaced (audit;
 *                never counted)
 *   predictions_lookahead   rows of older databases whose model may have seen
 *                their game (never counted; reported as excluded)
 *   features     the feature vector behind each prediction (JSON by name), with
 *                its source labels, quality and hash
 *   grades       one per current prediction (grade.h)
 *
 * A run is written in one transaction: re-running a date replaces all of that
 * date's rows (the previous ones move to predictions_superseded) and clears
 * their grades; a crash or kill before the commit leaves the previous results
 * as they were.  A row whose model was trained on games of its date or later
 * is refused (by the writer, and by a CHECK of the schema).  Confidence in
 * [0, 100] and the four calls are checked by the schema too.
 *
 * Ownership: the store owns its connection.  Thread-safety: one thread per
 * store; processes coordinate through SQLite's locks (a busy database waits
 * up to busy_timeout_ms, then SW_BUSY).
 */
#ifndef SW_STORE_H
#define SW_STORE_H

#include "slate.h"

typedef struct sw_store sw_store;

/* Open (and with `create`, create) a database; an older schema is upgraded
 * in place.  SW_NOT_FOUND for a missing file without `create`, SW_DB for a
 * file that is not a database or cannot be written, SW_BUSY when locked. */
int sw_store_open(const char *path, int busy_timeout_ms, int create, sw_store **out, sw_error *err);
void sw_store_close(sw_store *st);

typedef struct {
    long run_id;
    long predictions, features, replaced;
    long grades_cleared;               /* grades of the replaced rows (re-grade the date) */
    double seconds;
} sw_store_result;

/* Write a slate as one run (config_text: the effective configuration). */
int sw_store_write_slate(sw_store *st, const sw_slate *s, const sw_league *lg, const char *config_text,
                         sw_store_result *res, sw_error *err);

/* Rows of `system` (NULL: every system) between two dates (inclusive, -1 =
 * open) kept out of every result because their model may have seen the game,
 * and the latest such model's training end. */
int sw_store_lookahead(sw_store *st, const char *system, int from, int to, long *n, char trained_to[11],
                       sw_error *err);

/* A stored prediction, as read back (NaN for NULL numbers, "" for NULL texts;
 * a stored call that is not one of the four names is SW_DB). */
typedef struct {
    char game_id[32], player_id[32], player_name[96], team[8], opp[8], system[32], version[256], book[48];
    char tier[16], trained_to[11];
    sw_call call;
    int home;
    double line, over_price, under_price, pred, lo, hi, p_over, edge, conf, quality;
    char reason[384];
    long run_id;
} sw_stored_pred;

/* The current predictions of a date (system NULL: every system), by game,
 * then player, then system.  *rows is sw_free'd by the caller. */
int sw_store_read_date(sw_store *st, int date, const char *system, sw_stored_pred **rows, long *n, sw_error *err);

/* Dates before `before` with predictions not graded yet (games not played,
 * box scores missing, or never graded), ascending; *dates sw_free'd by the caller. */
int sw_store_ungraded_dates(sw_store *st, int before, int **dates, long *n, sw_error *err);

/* Grading (grade.h decides the outcomes; the store reads and writes).  A
 * stored prediction to grade: its keys, line, prediction, call and prices
 * (NaN for NULL numbers), and two values of its stored feature vector that
 * the grade records (NaN when null or absent, or when the vector does not
 * parse).  The texts are valid during the grader's call only; a stored call
 * that is not one of the four names stops grading (SW_DB). */
typedef struct {
    const char *game_id, *player_id, *system, *version;
    sw_call call;
    double line, pred, over_price, under_price;
    double points_avg_season, points_avg_last_10;
} sw_store_gradable;

typedef enum {
    SW_STORE_GRADE_PENDING, /* no grade written (the game was not played, or has no box scores yet) */
    SW_STORE_GRADE_HIT,
    SW_STORE_GRADE_MISS,
    SW_STORE_GRADE_PUSH,
    SW_STORE_GRADE_VOID,
    SW_STORE_GRADE_NO_BET
} sw_store_outcome;

/* A row's grade, as the `grades` table keeps it (NaN: NULL). */
typedef struct {
    sw_store_outcome outcome;
    double actual, minutes;            /* the player's points and minutes; NaN when he did not play */
    double abs_error, units, units_110;
    double season_avg, last10_avg;     /* the baselines recorded with the grade */
} sw_store_grade;

/* Fills *g (given as PENDING, every number NaN) for one row; a status other
 * than SW_OK stops grading (nothing of the date changes). */
typedef int (*sw_store_grader)(void *ctx, const sw_store_gradable *row, sw_store_grade *g, sw_error *err);

/* Grade a date in one transaction: its earlier grades are deleted, its
 * current predictions (joined with their feature vectors) go to `fn` one by
 * one, by game, and every grade other than PENDING is written; any failure
 * rolls all of it back, so re-grading a date replaces its grades. */
int sw_store_grade_date(sw_store *st, int date, sw_store_grader fn, void *ctx, sw_error *err);

/* A system's name as stored ("gbdt", "final", "gbdt.rollout", ...). */
typedef char sw_store_name[32];

/* Every system with rows between two dates (inclusive, -1 = open), current
 * or kept out for lookahead, by name with "final" last; *names sw_free'd by
 * the caller. */
int sw_store_systems(sw_store *st, int from, int to, sw_store_name **names, int *n, sw_error *err);

/* A current prediction joined with its grade, as metrics.h measures it (NaN
 * for NULL numbers; tier CRITICAL when the stored one is unknown). */
typedef struct {
    int date;
    float pred, actual, line, p_over, conf, quality;
    float over_price, under_price, season_avg, last10_avg;
    sw_tier tier;
    sw_call call;
    float p_market; /* the books' de-vigged P(over) stored with the row; 0 or NaN: from the row's prices */
} sw_graded;

/* The graded rows of one system between two dates (inclusive, -1 = open),
 * every model version, by date, game and player; *rows sw_free'd by the
 * caller (NULL and *n 0 on failure). */
int sw_store_graded(sw_store *st, const char *system, int from, int to, sw_graded **rows, long *n, sw_error *err);

/* The database takes writes now (a write lock taken and released). */
int sw_store_ping(sw_store *st, sw_error *err);

/* Jobs: the service's durable record of the work it acknowledged (a Pub/Sub
 * message: one slate date), keyed by the message id.  States: queued,
 * running, done, failed. */
typedef struct {
    char id[256], date[11], state[8], source[256];
    int attempts, exit_code;
    long run_id;                       /* the slate run, 0 none */
    char received_at[24], started_at[24], finished_at[24];
    char error[512];
} sw_job;

/* Record a job unless its id is known; *fresh says which.  Durable when it
 * returns (the database syncs on commit), so the acknowledgement may follow. */
int sw_store_job_record(sw_store *st, const char *id, const char *date, const char *source, int *fresh, sw_error *err);
/* Mark a job running (attempts + 1). */
int sw_store_job_start(sw_store *st, const char *id, sw_error *err);
/* Mark a job done (ok) or failed, with the run, the exit code and the error. */
int sw_store_job_finish(sw_store *st, const char *id, int ok, long run_id, int exit_code, const char *error,
                        sw_error *err);
/* One job; SW_NOT_FOUND when the id is unknown. */
int sw_store_job_get(sw_store *st, const char *id, sw_job *job, sw_error *err);
/* Jobs queued or running (interrupted), oldest first; *jobs sw_free'd by the caller. */
int sw_store_jobs_unfinished(sw_store *st, sw_job **jobs, long *n, sw_error *err);

/* The underlying connection, for queries by tests and reports (sqlite3 *). */
void *sw_store_db(sw_store *st);

/* Alerts: the state behind pipeline/alert.h's de-duplication and hourly
 * limit, so that they hold across processes (the nightly run is one process
 * a night).  Tables, created with the first alert:
 *   alerts       one row per (key, endpoint): event, severity, system, text
 *                of the latest occurrence, first_at, last_at, sent_at (last
 *                delivered), claimed_at (a delivery in progress), count
 *                (occurrences), delivered, failures, last_error
 *   alert_sends  one row per delivery (at, key, endpoint), two days kept
 * Times are UTC "YYYY-MM-DDTHH:MM:SS.mmmZ".  Each call is one transaction. */
typedef struct {
    const char *key, *endpoint;               /* endpoint: "slack", "webhook" */
    const char *event, *severity, *system, *text; /* system may be NULL */
} sw_store_alert;

typedef enum { SW_STORE_ALERT_SEND, SW_STORE_ALERT_DEDUP, SW_STORE_ALERT_RATE } sw_store_alert_decision;

/* Record an occurrence of the alert (count + 1, last_at) and decide whether
 * it goes out to its endpoint now: DEDUP when it was delivered there within
 * dedup_s seconds or another process claimed it within claim_s seconds (a
 * delivery in progress); RATE when max_per_hour deliveries went to the
 * endpoint in the last hour; else SEND, and the row is claimed until
 * sw_store_alert_record (or claim_s passes, should the process die). */
int sw_store_alert_should_send(sw_store *st, const sw_store_alert *a, double dedup_s, int max_per_hour,
                               double claim_s, int *decision, sw_error *err);
/* The outcome of a delivery: delivered (sent_at, delivered + 1, a row in
 * alert_sends) or failed (failures + 1, last_error: a message without
 * secrets, may be NULL, and sent_at unchanged, so it is tried again); the
 * claim is released.  A row is created when there was none. */
int sw_store_alert_record(sw_store *st, const sw_store_alert *a, int delivered, const char *error, sw_error *err);

/* ---- rollout (store_rollout.c) ---- */

/* ---- monitor (store_monitor.c) ---- */

/* ---- report (store_report.c) ---- */

#endif
