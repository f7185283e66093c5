/* models: the systems of a nightly run, built from the configuration and the
 * model store's champions.
 *
 * The rule systems always load.  A model system without a champion is left
 * out with a warning (catboost_v8 is optional by design); a champion that
 * cannot be used (a file missing, a checksum that does not match, a model that
 * does not parse or asks for features swish does not compute) is refused,
 * never served, and marks the set `degraded` so the CLI can say so in its exit
 * code while the other systems still score the slate.
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
    sw_stack stack;
    int has_stack;
    char stack_version[64];
    int degraded;
    int n_warnings;
    char warnings[8][384];
} sw_models;

/* Only SW_NOMEM fails; model problems become warnings. */
int sw_models_load(const sw_config *cfg, const char *models_dir, sw_models *m, sw_error *err);
void sw_models_free(sw_models *m);

#endif
