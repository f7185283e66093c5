/* cbm_impl: the .cbm writer with knobs that produce deliberately unsupported or
 * corrupt models, for the reader's tests and fuzz seeds (io/ and tests/ only). */
#ifndef SW_CBM_IMPL_H
#define SW_CBM_IMPL_H

#include <stddef.h>

#include "gbdt/forest.h"

typedef struct {
    int approx_dimension;  /* 0 = 1 */
    int n_ctr, n_cat, n_nonsym, n_parts; /* empty entries in those vectors */
    int bad_split;         /* add this to the first split index */
    int depth_override;    /* > 0: TreeSizes[0] */
} sw__cbm_write_opts;

int sw__cbm_write_ex(const sw_forest *f, const sw__cbm_write_opts *o, unsigned char **data,
                     size_t *len, sw_error *err);

#endif
