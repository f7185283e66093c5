/* pipeline_impl: what the pipeline's jobs share (slate, retrain, backtest,
 * monitor): the feature frame of a date range, the progress log and choosing
 * training rows (frame.c, below every job), and fitting the gbdt system's models
 * and the stack (retrain.c, for retrain and backtest). */
#ifndef SW_PIPELINE_IMPL_H
#define SW_PIPELINE_IMPL_H

#include <stdio.h>

#include "config.h"
#include "core/clock.h"
#include "core/matrix.h"
#include "core/threads.h"
#include "features/features.h"
#include "gbdt/train.h"
#include "stack.h"
#include "systems.h"

/* The configuration's thread count resolved (0 = all usable CPUs, core/threads.h). */
#define SW__THREADS(cfg) sw_threads_resolve((cfg)->threads)
/* printf to a progress log (NULL: nothing), flushed. */
void sw__log(FILE *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Features for box-score rows with dates in [from, to] (slate_date < 0) or for
 * the players expected on slate_date, with the configuration's book order and
 * threads. */
int sw__build_frame(const sw_league *lg, const sw_config *cfg, int from, int to, int slate_date, sw_frame **out,
                    sw_error *err);

/* Frame rows fit to train on: played (minutes > 0, points known), quality >=
 * cfg->min_quality, not early season, date in [from, to].  rows must hold
 * sw_frame_rows(fr) entries; returns the count, the rows sorted by date (frame
 * order within a date), or -1 when out of memory. */
long sw__training_rows(const sw_frame *fr, const sw_config *cfg, int from, int to, long *rows);

/* The rows as a named matrix (every feature) and targets. */
int sw__rows_matrix(const sw_frame *fr, const long *rows, long n, sw_matrix **X, float **y);

/* The gbdt parameters of the configuration (V8-like, monotone minutes). */
int sw__gbdt_params(const sw_config *cfg, const sw_matrix *X, sw_train_params *p, sw_error *err);

typedef struct {
    int best_iteration, trees;
    long rows_train, rows_valid, valid_lines;
    double valid_mae, valid_rmse, valid_within3, valid_within5, interval_coverage, valid_mae_lined, line_mae;
} sw__gbdt_report;

/* Mean model early-stopped on the last 15% of the rows' dates, and 10%/90%
 * quantile models with the rounds found; with `refit` all three are then
 * trained on every row (the validation metrics come from the first fit).
 * The bundle's forests are the caller's. */
int sw__gbdt_fit(const sw_config *cfg, const sw_frame *fr, const long *rows, long n, int refit, sw_model_bundle *out,
                 sw__gbdt_report *rep, FILE *log, sw_error *err);

/* The stacked meta-model on out-of-fold predictions of the training rows:
 * the rows' dates cut into cfg->folds blocks, block k predicted by a gbdt
 * (`rounds` rounds) trained on the blocks before it and by the enabled rule
 * systems (and catboost when given); block 0 is left out.  Ridge fit, then the
 * calibration of P(over) on the same rows against their lines. */
int sw__stack_oof(const sw_config *cfg, const sw_league *lg, const sw_frame *fr, const long *rows, long n, int rounds,
                  const sw_system *catboost, sw_stack *st, FILE *log, sw_error *err);

#endif
