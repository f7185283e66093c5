/* store: the database of runs, predictions and features: a SQLite file (WAL
 * mode; the embedded default) or a PostgreSQL database (paths.db =
 * postgresql://user@host/db, libpq's URL: several machines, or a service
 * without a durable disk, share one store), with the same schema, rules and
 * results on both.
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
 * The boundary: every statement of swish runs behind the typed calls below
 * (store.c: schema, slates, grading, jobs, alerts; store_rollout.c,
 * store_monitor.c, store_report.c: one consumer each; store_impl.h holds
 * what they share, the one error mapping among it; store_db.c and
 * store_pg.c the two backends under one statement layer).  No database
 * handle leaves the store.
 *
 * Ownership: the store owns its connection.  Thread-safety: one thread per
 * store; processes coordinate through the database's locks (SQLite's; on
 * PostgreSQL an advisory lock for each write transaction): a busy database
 * waits up to busy_timeout_ms, then SW_BUSY.
 */
#ifndef SW_STORE_H
#define SW_STORE_H

#include "slate.h"

typedef struct sw_store sw_store;

/* Open (and with `create`, create) a database; an older schema is upgraded
 * in place.  SW_NOT_FOUND for a missing file without `create`, SW_DB for a
 * file that is not a database or cannot be written, or a server that cannot
 * be reached (the message names the URL, never its password), SW_BUSY when
 * locked.  A PostgreSQL database must exist; its tables are made on first use. */
int sw_store_open(const char *path, int busy_timeout_ms, int create, sw_store **out, sw_error *err);
/* The database may hold a store: a SQLite file that exists, or any
 * PostgreSQL URL (only opening it tells).  For readers that skip a missing store. */
int sw_store_exists(const char *path);
/* The database's name for messages and reports: the path, or the URL with
 * its password (if any) replaced by "***".  Passwords belong in PGPASSWORD
 * or ~/.pgpass rather than in paths.db. */
void sw_store_redact(const char *path, char *out, size_t cap);
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

/* A graded pair of a rollout gate: the candidate's and the champion's absolute
 * errors on one player-game, and the two finals' outcomes there
 * (final.rollout, final.champion; PENDING when not graded). */
typedef struct {
    double err_cand, err_champ;
    sw_store_outcome final_cand, final_champ;
} sw_store_pair;

/* The player-games where system `cand` (model version `version`; with
 * `prefix`, also `version+...` and `version ...`) and system `champ` were both
 * graded, not void, with an actual and an error, on or after `first`
 * (YYYY-MM-DD); by date, game and player.  *pairs sw_free'd by the caller. */
int sw_store_rollout_pairs(sw_store *st, const char *cand, const char *champ, const char *version, int prefix,
                           const char *first, sw_store_pair **pairs, long *n, sw_error *err);

/* ---- monitor (store_monitor.c) ---- */

/* The monitor's states (monitor.h has the rules), in two tables created by
 * the first write:
 *   system_states        one row per system: state, since, reason, figures
 *                        (JSON), manual, updated_at, evidence_from
 *   system_state_events  one row per change: at, run_date, system,
 *                        from_state, to_state, manual, reason
 * A stored state, as read back. */
typedef struct {
    sw_store_name system;
    char state[16];                   /* "OK", "WATCH", "DEGRADING", "BLOCKED" */
    char since[11];                   /* the run date the state began */
    char evidence_from[11];           /* rows before it do not count ("" all) */
    int manual;                       /* a person set it */
    char reason[384];
} sw_store_sys_state;

/* The stored states (none before the first write); *states sw_free'd by the caller. */
int sw_store_monitor_states(sw_store *st, sw_store_sys_state **states, int *n, sw_error *err);

/* A graded row as the monitor measures it (texts valid during the visitor's call). */
typedef struct {
    int date;                         /* -1 when the stored date does not parse */
    const char *system, *version;     /* version "" for NULL */
    double pred, actual, line, p_over; /* line, p_over NaN for NULL */
    sw_call call;                     /* PASS when the stored text is none of the four */
} sw_store_perf_row;
typedef int (*sw_store_perf_visitor)(void *ctx, const sw_store_perf_row *row, sw_error *err);

/* The current predictions of the given systems between two dates
 * (inclusive) with a prediction and a graded actual, every model version, by
 * date, game, player and system, to `fn` one by one (a status other than
 * SW_OK stops and is returned). */
int sw_store_monitor_rows(sw_store *st, const char *const *systems, int n_systems, int from, int to,
                          sw_store_perf_visitor fn, void *ctx, sw_error *err);

/* A state to write after a run (the texts live until the run's call returns). */
typedef struct {
    sw_store_sys_state s;             /* its evidence_from is written for a new row only */
    const char *figures;              /* JSON of the windows */
    size_t figures_len;
    const char *from;                 /* the state it moved from; NULL: unchanged, no event */
} sw_store_sys_update;

/* Reads (with the calls above, inside the run's transaction) and decides;
 * sets *ups to its n updates, valid until sw_store_monitor_persist returns. */
typedef int (*sw_store_sys_decider)(void *ctx, const sw_store_sys_update **ups, int *n, sw_error *err);

/* One persisted run of the monitor on run date `date`, in one transaction
 * (BEGIN IMMEDIATE): the tables created when missing, `fn` called, and each
 * update written (manual from it, stamped now; an event with manual 0 for
 * each with `from`); any failure rolls all of it back. */
int sw_store_monitor_persist(sw_store *st, int date, sw_store_sys_decider fn, void *ctx, sw_error *err);

/* A person sets a system's state in one transaction: manual 1, since = the
 * run date, figures '{}' for a new row; with `vouch`, evidence_from = the run
 * date too (else the stored one is kept); an event with manual 1 from the
 * stored state (NULL when none). */
int sw_store_monitor_set(sw_store *st, const char *system, const char *state, int date, const char *reason,
                         int vouch, sw_error *err);

/* Slate runs stored for a date (0 when the database has no runs table). */
int sw_store_monitor_runs(sw_store *st, int date, long *n, sw_error *err);

/* ---- report (store_report.c) ---- */

/* What the HTML report (report.h) shows, one query a call (no snapshot
 * across the calls); NaN for NULL numbers, "" for NULL texts, dates
 * -1 when the stored text does not parse; arrays sw_free'd by the caller. */

/* The systems with current predictions, without the versions in rollout
 * (names with a dot), "final" first and then by name; at most `max`. */
int sw_store_report_systems(sw_store *st, sw_store_name *names, int max, int *n, sw_error *err);

/* The first and last dates of the current predictions ("" when none), their
 * number, and the grades other than VOID. */
typedef struct {
    char first[11], last[11];
    long predictions, graded;
} sw_store_totals;
int sw_store_report_totals(sw_store *st, sw_store_totals *t, sw_error *err);

/* A system's units per date on its graded calls (HIT, MISS, PUSH), by date. */
typedef struct {
    int date;
    double units;
} sw_store_day_units;
int sw_store_report_units(sw_store *st, const char *system, sw_store_day_units **rows, long *n, sw_error *err);

/* A system's mean absolute error per month ("YYYY-MM") on its graded rows
 * with an error, and the line's on the same rows (NaN: none had a line). */
typedef struct {
    char month[8];
    double mae, line_mae;
} sw_store_month_mae;
int sw_store_report_months(sw_store *st, const char *system, sw_store_month_mae **rows, long *n, sw_error *err);

/* Per system and date, on the graded rows with a prediction, a line and an
 * actual: the sums of the absolute errors of the prediction and of the line,
 * and the rows; by system, then date. */
typedef struct {
    sw_store_name system;
    int date;
    double err, line_err;
    long n;
} sw_store_day_errors;
int sw_store_report_errors(sw_store *st, sw_store_day_errors **rows, long *n, sw_error *err);

/* Each version in rollout against its champion on the graded player-games
 * of every stored date (both scored, not void): a model system's "S.rollout"
 * rows against "S", a candidate stack ("final.rollout" rows whose stack
 * differs from the champion's) against "final.champion"; by system, first
 * date and candidate.  *rows_in_rollout counts every "%.rollout" row, graded
 * or not (none: no query of the pairs).  Free with sw_store_rollout_cmp_free. */
typedef struct {
    sw_store_name system;             /* the model system, or "stack" */
    char candidate[256];              /* its version (a stack's without "stack-") */
    char *champions;                  /* the champions' versions, comma-separated */
    char first[11], last[11];
    long n;                           /* graded player-games */
    double err_cand, err_champ, diff, diff2; /* sums of the errors, of the differences and their squares */
    long calls_rollout, hits_rollout; /* final.rollout's OVER/UNDER calls graded HIT or MISS there, and hits */
    long calls_champion, hits_champion; /* final.champion's */
} sw_store_rollout_cmp;
int sw_store_report_rollout(sw_store *st, long *rows_in_rollout, sw_store_rollout_cmp **rows, long *n,
                            sw_error *err);
void sw_store_rollout_cmp_free(sw_store_rollout_cmp *rows, long n);

/* The OVER/UNDER calls of "final" on the latest date with predictions, by
 * confidence (descending), at most `max`, with the largest contributions
 * stored with them (none when absent or unreadable). */
#define SW_STORE_TOP_CONTRIBS 16
typedef struct {
    char feature[48];
    double value, phi;                /* 0 when absent */
} sw_store_contrib;
typedef struct {
    char date[11], player_name[96], team[8], opp[8], book[48];
    double line, pred, p_over, conf;
    sw_call call;
    int n_top;
    sw_store_contrib top[SW_STORE_TOP_CONTRIBS];
} sw_store_call;
int sw_store_report_calls(sw_store *st, int max, sw_store_call **rows, long *n, sw_error *err);

/* The monitor's states (monitor.h) by severity (BLOCKED, DEGRADING, WATCH,
 * the rest), then system; *recorded 0 when the monitor never wrote one. */
typedef struct {
    sw_store_name system;
    char state[16], since[24];
    int manual;
    char reason[512];
} sw_store_state_row;
int sw_store_report_states(sw_store *st, sw_store_state_row **rows, long *n, int *recorded, sw_error *err);

/* The latest gbdt model version with predictions ("" none: *n 0), its `max`
 * largest split gains, largest first, and the sum of all of its gains. */
typedef struct {
    char feature[48];
    double gain;
} sw_store_gain;
int sw_store_report_importance(sw_store *st, char version[256], sw_store_gain *top, int max, int *n, double *total,
                               sw_error *err);

/* The latest run of the latest date with stored features: that date (-1:
 * no features) and its gbdt training window (-1 when NULL). */
int sw_store_report_window(sw_store *st, int *date, int *train_from, int *train_to, sw_error *err);

/* The stored feature vectors of the current feature set (SW_FEATURE_SET) of
 * dates in [from, to] (-1: open), latest dates first: of the `cap` first
 * rows, those that parse, as sw_feature_count() floats each in
 * sw_feature_name order into out (NaN: null, absent or not a number). */
int sw_store_report_features(sw_store *st, int from, int to, long cap, float *out, long *n, sw_error *err);

#endif
