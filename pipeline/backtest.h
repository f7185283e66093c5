/* backtest: walk-forward evaluation.  For each date with games in [from, to]
 * the slate is built exactly as the nightly run builds it (features as of the
 * date, lines from snapshots before tip-off, the enabled systems, the
 * coordinator), scored with models trained only on games before the date,
 * and graded against the box scores.  Nothing on or after a date can reach
 * its predictions: features and lines come through the as-of cursors, the
 * gbdt models are trained on rows strictly before the date (retrained every
 * `retrain_every` days on the `train_window` days before it), and the stack is
 * fitted on the walk-forward's own earlier predictions, each made before its
 * game.  Deterministic: the same inputs give the same results at any thread
 * count.
 *
 * Differences from the production retrain, for speed: the gbdt models are not
 * refitted on the validation tail after early stopping, and the stack's
 * inputs are the backtest's earlier out-of-sample predictions rather than
 * folds.
 *
 * Ownership: the result owns its arrays (sw_backtest_free).
 */
#ifndef SW_BACKTEST_H
#define SW_BACKTEST_H

#include <stdio.h>

#include "config.h"
#include "metrics.h"
#include "store.h"

typedef struct {
    int from, to;              /* day numbers, inclusive */
    int retrain_every;         /* days between retrains (0: train once, before `from`) */
    int train_window;          /* days of history to train on (0: everything before the date) */
    const sw_config *cfg;      /* enabled systems, thresholds, training parameters, threads */
    const sw_system *catboost; /* optional: catboost_v8 (a fixed model) */
    sw_store *store;           /* optional: predictions and grades of every date */
    FILE *log;                 /* progress; NULL: silent */
} sw_backtest_opts;

typedef struct {
    int date;
    long players, lined, bets, hits, pushes;
    double units, units_110;
    double abs_err;            /* sum of |final prediction - actual| */
    long n_err;
} sw_backtest_day;

typedef struct {
    long dates, retrains;
    double seconds, t_features, t_train, t_slate, t_store;
    sw_graded *rows[SW_SYS_COUNT + 1]; /* graded rows per system; [SW_SYS_COUNT] = final */
    long n_rows[SW_SYS_COUNT + 1], cap_rows[SW_SYS_COUNT + 1];
    sw_backtest_day *days;
    long n_days;
    char last_gbdt[64];
} sw_backtest;

int sw_backtest_run(const sw_league *lg, const sw_backtest_opts *o, sw_backtest *out, sw_error *err);
void sw_backtest_free(sw_backtest *b);

#endif
