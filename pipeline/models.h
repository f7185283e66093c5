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
    int degraded;                      /* a registered version was refused */
    int n_warnings;                    /* refusals and absences */
    char warnings[8][384];
    int n_notes;                       /* a version other than the champion serves the date */
    char notes[8][384];
} sw_models;

/* The store must be an existing directory (SW_NOT_FOUND naming it otherwise,
 * before anything else happens); `date` is the day number scored (versions
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
