/* monitor: is the nightly run still fit to run unattended?  Three questions,
 * one result (`swish monitor`):
 *
 * DRIFT: do tonight's inputs look like what the serving gbdt version was
 * trained on?  `swish retrain` stores a reference of the training rows with
 * every gbdt version (role "drift", drift.json; sw_drift_reference).  The
 * monitor compares two populations with it: (a) tonight's slate (the players
 * expected on the run date) and (b) the played games of the last
 * monitor.drift_days days before it.  Like with like: every population is
 * the rows the model is meant for, filtered the same way: feature quality >=
 * retrain.min_quality, not early season, and minutes_avg_last_10 observed
 * (not a default) and >= slate.min_minutes, the value recorded in the
 * reference.  (The training rows are every played game, bench players
 * included, the slate mostly the rotation: compared unfiltered, the two
 * differ every night.)  Per feature:
 *
 *   PSI   sum over bins of (now - ref) * ln(now / ref), proportions of the
 *         reference's decile bins (below), plus one bin for missing values
 *         (NaN); a proportion under 1e-4 counts as 1e-4 (SW_PSI_EPS), so a bin
 *         empty on one side adds a finite term (1% of the rows in a bin the
 *         reference never filled adds 0.046).
 *   KS    two-sample Kolmogorov-Smirnov statistic, the largest distance
 *         between the empirical CDFs of the non-missing values now and of the
 *         reference's sorted subsample (ties handled: both CDFs step at once).
 *   miss  the share of rows whose source label is missing or default (the
 *         value did not come from the data), now and in the reference.
 *
 *   state ALERT when PSI >= monitor.psi_alert or KS >= monitor.ks_alert,
 *         WATCH when PSI >= monitor.psi_watch, else OK; each statistic only
 *         where it also passes its own 99.9% sampling point at the feature's
 *         effective sample size (below).  A comparison with fewer than
 *         SW_DRIFT_MIN_ROWS rows is not judged (reported as such, never as
 *         zero).
 *
 *   Rows are not independent: a night's slate is 8-12 teams, so a team-level
 *   value (team pace, the opponent's rating, the game total, "stars out") has
 *   about ten independent values, not 150 rows, and fixed thresholds
 *   false-alarm every night (measured on a simulated season: up to 20
 *   features ALERT a night with the league unchanged).  Each feature's
 *   effective sample is n / (1 + (n0 - 1) ICC) (Kish), the intraclass
 *   correlation by one-way ANOVA over the player's team, the opponent and
 *   the game (the smallest of the three; the reference's own ICC within a
 *   team's game and within a game is a floor, so a night that happens to be
 *   constant is not taken for independent rows).  PSI is judged with at
 *   least SW_DRIFT_MIN_EFF_PSI effective values (5 a decile) and beyond
 *   (1/n_eff + 1/m) chi2(bins - 1, 0.999); KS with SW_DRIFT_MIN_EFF_KS and
 *   beyond 1.95 sqrt(1/n_eff + 1/m) (m the reference's rows).  A feature gone
 *   all missing or constant is judged on every row, so gross failures alert.
 *   Features the calendar sets (games in the last 7 days after a break,
 *   games against the opponent late in the season, rest, fatigue, the
 *   z-score against a short season average) differ from any training window
 *   by construction: they are reported and stop at WATCH (calendar_feature
 *   in monitor.c lists them).
 *
 * and the quality-tier mix (the same population before the quality filter),
 * compared by PSI over the five tiers with the same thresholds.  The overall
 * drift state is the worst of them.  A gbdt version without a reference
 * (registered before swish stored one, or added with `models add`) makes
 * drift "unavailable", never OK by default.
 *
 * Decile bins: the cut points are the 10%, 20%, ..., 90% quantiles of the
 * reference's non-missing values, ties merged and cuts at the minimum dropped
 * (a bin below every training value would be empty), so a skewed feature has
 * fewer than ten; a point mass of 10% or more at the minimum gets its own
 * bin (a cut at the next larger value), so a 0/1 feature that is mostly 0
 * has two; bin k holds cut[k-1] <= x < cut[k].
 * A constant feature c gets the cuts c and the next float above c: the bins
 * "below c", "c" and "above c", so any change shows.
 *
 * PERFORMANCE: per system (the six and "final") from graded rows (predictions
 * joined with grades, rows with an actual result), rolling windows of 7, 14
 * and 30 days ending the day before the run date: n, MAE, bias (prediction -
 * actual), and on the rows with a line the system's MAE, the line's MAE
 * (line vs actual) and their ratio; the system's own OVER/UNDER calls' hit
 * rate (pushes excluded) with a Wilson 95% interval; the Brier score of
 * P(over) where stored.  The 30-day window is also broken down by model
 * version.  The state is the system's, over whichever versions served: a
 * bettor lives with the system, and a retrain that fixes it shows as recovery.
 *
 * Rules (W = monitor.mae_watch, D = mae_degrading, B = mae_blocked, N =
 * monitor.min_graded; r14, r30 the ratios of the 14- and 30-day windows,
 * "enough" = at least N rows with a line in that window):
 *
 *   BLOCKED    r14 >= B and r30 >= B, with enough rows in the 14-day window
 *              and enough in the 30-day window beyond it (graded 15-30 days
 *              before the run date): a block takes the system out of final,
 *              so it needs two periods of evidence, not the same days twice
 *              (a young database's 14- and 30-day windows are the same rows)
 *   DEGRADING  enough 14-day rows and r14 >= D, or enough rows in both and
 *              r30 >= W with r14 > r30 (over watch and getting worse)
 *   WATCH      enough 14-day rows and r14 >= W
 *   OK         otherwise; fewer than N rows in the 14-day window is OK with
 *              "insufficient data": thin data never demotes.
 *
 *   A system moves down (OK -> WATCH -> DEGRADING -> BLOCKED, levels may be
 *   skipped) as soon as the figures say so.  It moves back up, to the level
 *   the figures call for, only when the 14-day window has enough rows and
 *   r14 is under the threshold of the level above that one by SW_PERF_MARGIN
 *   (back to OK: r14 < W - 0.02; from BLOCKED to DEGRADING: r14 < B - 0.02):
 *   a ratio hovering at a threshold does not flap, and a system that settled
 *   at WATCH after a bad start is WATCH, not DEGRADING forever.  A blocked
 *   system rejoins final once it no longer meets the block with that margin.
 *   Without enough rows nothing is lifted.
 *   A BLOCKED state a person set (`swish monitor --block`) is never lifted
 *   automatically; `--enable` (a person) sets OK and the rows graded before
 *   that date no longer count against the system (the person vouched for it:
 *   otherwise the same old rows would block it again the next night).
 *
 * The states persist in the database (table system_states: system, state,
 * since (the run date it began), reason, figures (JSON), manual (1 when a
 * person set it), updated_at, evidence_from; every change is also appended to
 * system_state_events).  Run the monitor in date order: each run moves the
 * states from the stored ones.  The slate leaves BLOCKED systems out of
 * `final` through sw_monitor_blocked; they are still scored and stored, so
 * their recovery can be seen.
 *
 * FRESHNESS: the box scores are stale when games scheduled after the newest
 * box-score date and at least monitor.stale_days days before the run date
 * (never the run date's own) have none: the newest box score may be
 * stale_days old, and a break without games (the All-Star break) is not
 * staleness; the lines are stale when the run date has games
 * and none of its expected players has a line while the recent window had
 * lines; the slate is late when the run date is today (UTC), it is past
 * monitor.slate_deadline and no run of the date is stored.
 *
 * Ownership: results are plain values; JSON buffers are the caller's
 * (sw_free).  Thread-safety: reentrant; one store per thread (store.h).
 */
#ifndef SW_MONITOR_H
#define SW_MONITOR_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "core/json.h"
#include "features/features.h"
#include "store.h"
#include "systems.h"

#define SW_PSI_EPS 1e-4
#define SW_DRIFT_MIN_ROWS 100     /* rows a drift comparison needs to be judged */
#define SW_DRIFT_MIN_EFF_PSI 50   /* independent values a feature's PSI needs (5 a decile) */
#define SW_DRIFT_MIN_EFF_KS 20    /* ... its KS statistic */
#define SW_DRIFT_SAMPLE 2000      /* sorted subsample of each feature kept for KS */
#define SW_DRIFT_MAX_BINS 12      /* decile bins (at most 10; 3 for a constant) + missing */
#define SW_MONITOR_MAX_FEATURES 64
#define SW_MONITOR_SYSTEMS (SW_SYS_COUNT + 1) /* the six, then "final" */
#define SW_PERF_MARGIN 0.02       /* hysteresis of a state moving up (rules below) */
#define SW_MONITOR_VERSIONS 8     /* versions listed per system (the rest summed as "other") */

/* ---- the statistics (exposed for tests) ---- */

/* PSI of two proportion vectors of n bins (each floored at SW_PSI_EPS). */
double sw_drift_psi(const double *ref, const double *now, int n);
/* Two-sample KS statistic of two ascending arrays (no NaN); NaN when either is empty. */
double sw_drift_ks(const float *a, long na, const float *b, long nb);
/* Bin of x among ascending cuts: the number of cuts <= x (NaN: n_cuts + 1, the missing bin). */
int sw_drift_bin(const float *cuts, int n_cuts, float x);

/* The reference of a gbdt version's training rows (drift.json): `rows` (n)
 * are the training rows of `fr`, as sw__training_rows chose them; the tier
 * mix is taken over the frame's played rows in [from, to] (days) before the
 * quality filter.  *json (compact JSON, deterministic) is the caller's. */
int sw_drift_reference(const sw_config *cfg, const sw_frame *fr, const long *rows, long n, int from, int to,
                       char **json, size_t *len, sw_error *err);

/* ---- results ---- */

typedef enum { SW_LEVEL_OK, SW_LEVEL_WATCH, SW_LEVEL_ALERT } sw_level;
const char *sw_level_name(sw_level l); /* "OK", "WATCH", "ALERT" */

typedef enum { SW_STATE_OK, SW_STATE_WATCH, SW_STATE_DEGRADING, SW_STATE_BLOCKED } sw_sys_state;
const char *sw_sys_state_name(sw_sys_state s); /* "OK", "WATCH", "DEGRADING", "BLOCKED" */
int sw_sys_state_find(const char *name);      /* -1 if unknown */

typedef struct {
    char name[48];
    double psi, ks;                  /* NaN when not judged */
    double missing_ref, missing_now; /* source missing or default */
    double nan_ref, nan_now;         /* NaN values (the PSI's missing bin) */
    double n_eff;                    /* independent values now (rows clustered by team) */
    double psi_crit, ks_crit;        /* sampling noise: the 99.9% points at n_eff */
    int calendar;                    /* the calendar sets it: never more than WATCH */
    sw_level level;
} sw_drift_feature;

typedef struct {
    int judged;                      /* enough rows (SW_DRIFT_MIN_ROWS) */
    long rows;                       /* rows compared */
    long rows_all;                   /* rows before the filters */
    double tier_ref[5], tier_now[5]; /* sw_tier order */
    double tier_psi;
    sw_level tier_level;
    int n_features;
    sw_drift_feature f[SW_MONITOR_MAX_FEATURES];
    int n_watch, n_alert;
    sw_level level;
    char note[160];                  /* why not judged */
} sw_drift_cmp;

typedef struct {
    int available;                   /* 0: no reference (why says so) */
    char why[384];
    char version[64];                /* the gbdt version serving the run date */
    char ref_from[11], ref_to[11];
    long ref_rows;                   /* reference rows (after the filters) */
    double min_minutes;              /* the population's minutes floor, from the reference */
    char recent_from[11], recent_to[11];
    sw_drift_cmp slate, recent;
    sw_level level;                  /* worst of both comparisons */
} sw_drift_report;

typedef struct {
    long n;                          /* graded rows with a prediction */
    long n_lined;                    /* ... and a line: the ratio's rows */
    double mae, bias;
    double mae_lined, line_mae, ratio;
    long calls, hits;                /* OVER/UNDER calls decided (no push) */
    double hit_rate, hit_lo, hit_hi;
    long n_brier;
    double brier;
} sw_perf_window;

enum { SW_PERF_7, SW_PERF_14, SW_PERF_30, SW_PERF_WINDOWS };
extern const int sw_perf_days[SW_PERF_WINDOWS]; /* 7, 14, 30 */

typedef struct {
    char system[32];
    sw_perf_window win[SW_PERF_WINDOWS];
    int n_versions;                  /* 30-day window by model version */
    char version[SW_MONITOR_VERSIONS][160];
    sw_perf_window by_version[SW_MONITOR_VERSIONS];
    sw_sys_state prev, state;        /* stored before this run, and now */
    int manual;                      /* the state was set by a person */
    int changed;
    int insufficient;                /* fewer than min_graded rows in the 14-day window */
    char since[11];                  /* the run date the state began */
    char evidence_from[11];          /* rows before it do not count ("" all) */
    char reason[384];
} sw_perf_system;

typedef struct {
    int available;                   /* 0: no database (why) */
    char why[256];
    sw_perf_system sys[SW_MONITOR_SYSTEMS];
} sw_perf_report;

typedef struct {
    char box_newest[11];             /* "" none before the run date */
    int box_lag_days;                /* run date - newest box-score date (-1 none) */
    int games_without_box;           /* overdue: after the newest box scores, >= stale_days before the run date */
    int stale_days;                  /* monitor.stale_days */
    int box_stale;
    int run_games;                   /* games scheduled on the run date */
    char line_newest[11];            /* newest date with a line among the rows looked at ("" none) */
    long slate_rows, slate_lined;    /* expected players on the run date, with a line */
    long recent_lined;               /* rows with a line in the recent window */
    int lines_stale;
    int slate_checked;               /* the deadline applied (run date today, deadline set) */
    int slate_late;                  /* past the deadline without a stored run */
    int stale;                       /* any of the three */
    char note[384];
} sw_freshness;

typedef struct {
    char date[11];
    sw_drift_report drift;
    sw_perf_report perf;
    sw_freshness fresh;
    int degraded;                    /* DEGRADING/BLOCKED, a drift alert or stale input */
    double seconds, t_drift, t_perf; /* the whole run; drift and freshness (features, reference); performance */
} sw_monitor_result;

/* ---- running it ---- */

typedef struct {
    const sw_config *cfg;
    const sw_league *lg;     /* required */
    const char *models;      /* model store (NULL: cfg->models) */
    sw_store *store;         /* NULL: performance unavailable, nothing persisted */
    int date;                /* the run date (day number) */
    int persist;             /* write the performance states to the store */
    long long now;           /* wall clock (seconds since the epoch; 0: time()), for the slate deadline */
} sw_monitor_opts;

/* Drift, performance and freshness for one run date.  A missing reference
 * or database makes that part unavailable (not an error); errors are
 * SW_NOMEM, SW_DB/SW_BUSY from the store, and those of building features. */
int sw_monitor_run(const sw_monitor_opts *o, sw_monitor_result *r, sw_error *err);

/* The parts alone.  sw_monitor_drift builds the slate and recent frames; the
 * freshness (may be NULL) is filled from the same frames. */
int sw_monitor_drift(const sw_config *cfg, const sw_league *lg, const char *models, int date, sw_drift_report *d,
                     sw_freshness *fresh, sw_error *err);
/* The windows and states of every system on `date`; with `persist`, the
 * states move (rules above) and are written in one transaction. */
int sw_monitor_performance(sw_store *st, const sw_config *cfg, int date, int persist, sw_perf_report *p,
                           sw_error *err);

/* A person's decision: BLOCKED (--block) or OK (--enable, which also makes
 * the rows graded before `date` stop counting), manual = 1, since = `date`.
 * `system` is one of the six or "final" (SW_ARG otherwise). */
int sw_monitor_set_state(sw_store *st, const char *system, sw_sys_state state, int date, const char *reason,
                         sw_error *err);

/* The systems currently BLOCKED (automatically or by a person): blocked[id]
 * for the six (sw_system_id order), blocked[SW_SYS_COUNT] for "final".  A
 * database without the table has nothing blocked.  Reads only. */
int sw_monitor_blocked(sw_store *st, int blocked[SW_SYS_COUNT + 1], sw_error *err);

/* SW_OK when everything is OK or WATCH; SW_DEGRADED (exit 1) otherwise. */
int sw_monitor_status(const sw_monitor_result *r);

void sw_monitor_print(const sw_monitor_result *r, FILE *out);
/* The whole result as one JSON object, written where a value may go. */
void sw_monitor_json(sw_jw *w, const sw_monitor_result *r);

/* Every figure as (family, help, label names, label values, value): one call
 * per sample, for the service's /metrics (label names comma-separated, as
 * core/prom.h takes them; a family's names are the same on every call). */
typedef void (*sw_monitor_emit)(void *ctx, const char *family, const char *help, const char *label_names,
                                const char *const *label_values, double value);
void sw_monitor_export(const sw_monitor_result *r, sw_monitor_emit emit, void *ctx);

#endif
