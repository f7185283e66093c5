/* fuzz_common: the invariants every fuzz target checks on a model that
 * loaded: the reference never gives NaN, and every vector scorer the CPU has
 * equals it bit for bit on a block of rows and on single rows. */
#ifndef SW_FUZZ_COMMON_H
#define SW_FUZZ_COMMON_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gbdt/forest.h"
#include "gbdt/score.h"

/* 70 rows (a block and a tail): the probes, and values drawn from the
 * forest's own thresholds and one ulp around them where it has any. */
static inline void sw_fuzz_check_scorers(const sw_forest *f, int nf)
{
    enum { N = 70 };
    if (nf > 512 || sw_forest_n_outputs(f, 1) > SW_MAX_GROUPS) return;
    float *X = malloc(sizeof(float) * (size_t)N * (size_t)(nf ? nf : 1));
    int no = sw_forest_n_outputs(f, 1);
    double *ref = malloc(sizeof(double) * N * (size_t)no), *got = malloc(sizeof(double) * N * (size_t)no);
    float thr[64];
    int nt = 0;
    if (sw_forest_kind(f) == SW_TREES_BINARY)
        for (int t = 0; t < sw_forest_n_trees(f) && nt < 64; t++) {
            sw_binary_tree_view v;
            sw_forest_binary_tree(f, t, &v);
            for (int i = 0; i < v.n_nodes && nt < 64; i++)
                if (v.left[i] >= 0) thr[nt++] = v.value[i];
        }
    unsigned s = 12345;
    for (int r = 0; r < N; r++)
        for (int i = 0; i < nf; i++) {
            s = s * 1103515245u + 12345u;
            unsigned k = (s >> 16) % 8;
            float p = nt ? thr[(s >> 8) % (unsigned)nt] : 0.5f;
            X[(size_t)r * (size_t)nf + (size_t)i] = k == 0   ? NAN
                                                   : k == 1 ? p
                                                   : k == 2 ? nextafterf(p, INFINITY)
                                                   : k == 3 ? nextafterf(p, -INFINITY)
                                                   : k == 4 ? (float)((int)(s >> 20) % 2000) / 100.0f - 10.0f
                                                            : (float)(k - 5) * 3.0f - 1.5f;
        }
    sw_forest_predict_ref(f, X, N, nf, -1, 1, ref);
    static const sw_isa isas[] = {SW_ISA_AVX2, SW_ISA_AVX512};
    for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++) {
        sw_scorer *sc;
        sw_error err;
        if (!sw_isa_supported(isas[k]) || sw_scorer_create(f, -1, isas[k], &sc, &err) != SW_OK) continue;
        sw_scorer_predict(sc, X, N, nf, 1, 1, got);
        for (int j = 0; j < N * no; j++)
            if (memcmp(&ref[j], &got[j], sizeof got[j]) != 0 && !(isnan(ref[j]) && isnan(got[j]))) abort();
        for (int r = 0; r < N; r += 23) {
            sw_scorer_predict_rowv(sc, X + (size_t)r * (size_t)nf, 1, got);
            for (int o = 0; o < no; o++)
                if (memcmp(&ref[(size_t)r * (size_t)no + (size_t)o], &got[o], sizeof got[o]) != 0 &&
                    !(isnan(ref[(size_t)r * (size_t)no + (size_t)o]) && isnan(got[o])))
                    abort();
        }
        sw_scorer_free(sc);
    }
    free(X);
    free(ref);
    free(got);
}

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
    sw_fuzz_check_scorers(f, nf);
}

#endif
