/* Internal to io/: what the XGBoost reader shares with the .swm reader. */
#ifndef SW_XGB_IMPL_H
#define SW_XGB_IMPL_H

#include "core/json.h"
#include "gbdt/forest.h"

/* The objective's parameter section sec (an object of strings, its key the
 * section's name, as XGBoost writes "aft_loss_param") into f
 * (sw_forest_set_objective_section); SW_FORMAT at its byte offset otherwise. */
int sw__objective_section_read(const sw_json *doc, sw_jnode sec, sw_forest *f, sw_error *err);

#endif
