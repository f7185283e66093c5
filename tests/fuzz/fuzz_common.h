/* fuzz_common: the invariant every fuzz target checks on a model that loaded. */
#ifndef SW_FUZZ_COMMON_H
#define SW_FUZZ_COMMON_H

#include <math.h>
#include <stdlib.h>

#include "gbdt/forest.h"

static inline void sw_fuzz_check_forest(const sw_forest *f)
{
    int nf = sw_forest_n_features(f);
    if (nf > 4096) return;
    float *x = malloc(sizeof(float) * (size_t)(nf ? nf : 1));
    const float probe[] = {0.0f, NAN, -1e30f, 1e30f, 0.5f, -0.0f};
    for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
        for (int i = 0; i < nf; i++) x[i] = probe[(k + (size_t)i) % (sizeof probe / sizeof probe[0])];
        /* every output (one per class of a multi-class model), margins */
        double m[SW_MAX_GROUPS];
        sw_forest_predict_ref(f, x, 1, nf, -1, 1, m);
        for (int o = 0; o < sw_forest_n_outputs(f, 1); o++) {
            if (!isfinite(m[o]) && sw_forest_kind(f) == SW_TREES_OBLIVIOUS) abort();
            /* float32 sums of finite leaves can overflow to inf; NaN never */
            if (isnan(m[o])) abort();
        }
    }
    free(x);
}

#endif
