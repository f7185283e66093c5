/* retrainjob: the scheduled retrain, shared by `swish retrain` and `swish
 * nightly`: whether one is due (retrain.every_days after the newest gbdt
 * version, not before retrain.at), the retrain itself (catboost_v8 from the
 * store as a stack input), and where its versions go (retrain.new_versions):
 *
 *   shadow     the new gbdt and stack enter a rollout as shadow: scored beside
 *              the champions on every player-game and compared with them out
 *              of sample, on the same graded games, by the rollout gates
 *              (rollout.h); only a passed gate may promote them
 *   champion   promoted at once (a person's choice in the configuration)
 *   none       registered only
 *
 * A rollout already in progress is not replaced: the new versions stay
 * registered and the refusal says why. */
#ifndef SW_RETRAINJOB_H
#define SW_RETRAINJOB_H

#include <stdint.h>
#include <stdio.h>

#include "pipeline/config.h"
#include "pipeline/retrain.h"

typedef struct {
    int due;                   /* 1: a retrain is due now */
    char why[320];             /* why (not) due: the newest version and when the next is due */
    int64_t next_due;          /* seconds since the epoch; 0 unknown or never */
    int ran;                   /* retrained (rep valid) */
    sw_retrain_report rep;
    char placed[16];           /* shadow, champion or registered */
    char refused[384];         /* the placement asked for and why it did not happen ("" none) */
} retrainjob;

/* Is a retrain due at `now` (seconds since the epoch)? */
int retrainjob_due(const sw_config *cfg, int64_t now, retrainjob *j, sw_error *err);

/* Retrain on games before `until`; place the versions by `mode` ("shadow",
 * "champion", "none"; NULL: cfg->new_versions). */
int retrainjob_run(const sw_config *cfg, const sw_league *lg, int until, const char *mode, FILE *log, retrainjob *j,
                   sw_error *err);

#endif
