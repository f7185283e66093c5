/* models: the systems of a run on one date, built from the configuration and
 * the model store.
 *
 * No look-ahead: a run for date D serves, per model system and for the stack,
 * a version trained only on games before D: the champion when it qualifies,
 * else the newest version that does (scoring a past date "as the system would
 * have said then"); a version whose training window is unknown is taken to
 * have seen everything up to the day it was registered.  When no version
 * qualifies, the system is refused with a warning naming the newest one and
 * its window.
 *
 * The rule systems always load.  A model system with nothing registered is
 * left out with a warning (catboost_v8 is optional by design); a version that
 * cannot be used (trained on D or later, a file missing, a checksum that does
 * not match, a model that does not parse or asks for features swish does not
 * compute) is refused, never served, and marks the set `degraded` so the CLI
 * can say so in its exit code while the other systems still score the slate.
 * Versions rolled back or archived are never picked for a past date.  A
 * version in rollout is loaded as the candidate when it, too, was trained
 * before D.  An unreachable remote store is served from the verified cache
 * and marks the set `offline`.
 *
 * Ownership: the set owns its systems.  Thread-safety: read-only after load.
 */
#ifndef SW_MODELS_H
#define SW_MODELS_H

#include "config.h"
#include "stack.h"
#include "systems.h"

typedef struct {
    sw_system *sys[SW_SYS_COUNT];
    char trained_to[SW_SYS_COUNT][11]; /* model systems: the last date the served version may have seen */
    sw_stack stack;
    int has_stack;
    char stack_version[64];
    char stack_trained_to[11];
    /* versions in rollout (shadow or canary) that may score the date: scored on
     * every player-game beside the champion and stored apart; a canary serves
     * its share of the final calls (slate.h) */
    sw_system *cand[SW_SYS_COUNT];
    char cand_version[SW_SYS_COUNT][64];
    char cand_trained_to[SW_SYS_COUNT][11];
    int cand_share[SW_SYS_COUNT];      /* canary share in percent, 0 in shadow */
    sw_stack cand_stack;
    int has_cand_stack, cand_stack_share;
    char cand_stack_version[64];
    char cand_stack_trained_to[11];
    int offline;                       /* the store was unreachable: cached copies served */
    char offline_why[512];
    int degraded;                      /* a registered version was refused */
    int n_warnings;                    /* refusals and absences */
    char warnings[8][384];
    int n_notes;                       /* a version other than the champion serves the date */
    char notes[8][384];
} sw_models;

/* The store must exist (a directory, or a bucket that answers or has cached
 * copies; SW_NOT_FOUND naming it otherwise, before anything else happens); `date` is the day number scored (versions
 * must be trained strictly before it).  Only SW_NOT_FOUND for the store and
 * SW_NOMEM fail; model problems become warnings. */
int sw_models_load(const sw_config *cfg, const char *models_dir, int date, sw_models *m, sw_error *err);
void sw_models_free(sw_models *m);

/* The version of `system` that may serve `date`: the champion when it was
 * trained before the date, else the newest version that was.  Fills version
 * and trained_to; *is_champion says which.  SW_NOT_FOUND when nothing is
 * registered (why = ""), or when no version qualifies (why says which newest
 * version was refused and its window). */
int sw_models_pick(const char *models_dir, const char *system, int date, char version[64], char trained_to[11],
                   int *is_champion, char *why, size_t why_cap, sw_error *err);

#endif
