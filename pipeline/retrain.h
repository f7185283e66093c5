/* retrain: the weekly job.  Trains the gbdt system on every played game
 * before a cut-off date (features by the same code path as the slate) and
 * the stacked meta-model on the systems' out-of-fold predictions, then
 * registers both in the model store.
 *
 *   rows        played games (minutes > 0) before the cut-off, feature quality
 *               >= retrain.min_quality, not early season, within the window
 *   gbdt        mean model (squared error, early stopping on the last 15% of
 *               dates, chronological), refitted on all rows with the rounds
 *               found; 10% and 90% quantile models with the same rounds
 *   stack       the dates cut into retrain.folds chronological blocks; block k
 *               is predicted by a gbdt trained on blocks before it and by the
 *               rule systems (catboost_v8 too when given); Ridge on those
 *               predictions (block 0 has no out-of-fold gbdt and is left out)
 *
 * Nothing at or after the cut-off is read.  Ownership: borrows everything.
 */
#ifndef SW_RETRAIN_H
#define SW_RETRAIN_H

#include <stdio.h>

#include "config.h"
#include "features/features.h"
#include "systems.h"

typedef struct {
    int until;                 /* day number: rows strictly before it */
    const sw_config *cfg;
    const char *models_dir;
    int promote;               /* make the new versions champions (they are anyway when none exists) */
    const sw_system *catboost; /* optional: catboost_v8 as a stack input */
    FILE *log;                 /* progress and summary; NULL: silent */
} sw_retrain_opts;

typedef struct {
    char gbdt_version[64], stack_version[64];
    char from[11], to[11];     /* the first and last game date trained on */
    long rows, rows_train, rows_valid, rows_stack;
    int trees, best_iteration;
    double valid_mae, valid_rmse, valid_within3, valid_within5;
    long valid_lines;          /* validation rows with a line */
    double valid_mae_lined, line_mae; /* on those rows: the model's and the line's own MAE */
    double interval_coverage;  /* share of validation rows inside [q10, q90] */
    double stack_mae, sys_mae[SW_SYS_COUNT];
    int stack_sys[SW_SYS_COUNT], stack_k;
    double seconds, t_features, t_train, t_oof;
} sw_retrain_report;

int sw_retrain(const sw_league *lg, const sw_retrain_opts *o, sw_retrain_report *rep, sw_error *err);

#endif
