/* score: the scorer object, ISA selection and the OpenMP driver over row
 * blocks.  Kernels take a block of rows and never see threads. */
#include "score.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

struct sw_scorer {
    const sw_forest *forest;
    int n_trees;
    sw_isa isa;
};

int sw_scorer_create(const sw_forest *f, int n_trees, sw_isa isa, sw_scorer **out, sw_error *err)
{
    *out = NULL;
    if (isa == SW_ISA_AUTO) {
        int k = sw_isa_best();
        if (k < 0)
            return sw_fail(err, SW_ARG, "SW_FORCE_ISA=%s: expected scalar, avx2 or avx512 supported by this CPU",
                           getenv("SW_FORCE_ISA"));
        isa = (sw_isa)k;
    }
    isa = SW_ISA_SCALAR; /* only the scalar scorer exists so far */
    if (!sw_isa_supported(isa))
        return sw_fail(err, SW_UNSUPPORTED, "the %s scorer is not available on this CPU", sw_isa_name(isa));
    sw_scorer *s = sw_calloc(1, sizeof *s);
    if (!s) return sw_fail(err, SW_NOMEM, "out of memory");
    s->forest = f;
    s->n_trees = sw_forest_tree_limit(f, n_trees <= 0 ? SW_TREES_ALL : n_trees);
    s->isa = isa;
    *out = s;
    return SW_OK;
}

void sw_scorer_free(sw_scorer *s) { sw_free(s); }
sw_isa sw_scorer_isa(const sw_scorer *s) { return s->isa; }
int sw_scorer_n_trees(const sw_scorer *s) { return s->n_trees; }

#define BLOCK 256

void sw_scorer_predict(const sw_scorer *s, const float *X, long n_rows, long stride, int margin,
                       int threads, double *out)
{
    long nb = (n_rows + BLOCK - 1) / BLOCK;
    if (threads < 1) threads = 1;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && nb > 1)
    for (long b = 0; b < nb; b++) {
        long r0 = b * BLOCK, n = n_rows - r0 < BLOCK ? n_rows - r0 : BLOCK;
        sw_forest_predict_ref(s->forest, X + (size_t)r0 * (size_t)stride, n, stride, s->n_trees, margin,
                              out + r0);
    }
}

double sw_scorer_predict_row(const sw_scorer *s, const float *x, int margin)
{
    return sw_forest_predict_row_ref(s->forest, x, s->n_trees, margin);
}
