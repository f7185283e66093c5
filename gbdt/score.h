/* score: batch and single-row scoring of a forest, with the vector ISA chosen
 * once when the scorer is built.
 *
 * Every variant gives bit-identical results to the reference scorer
 * (sw_forest_predict_ref): XGBoost-kind forests sum float32 leaves tree by tree
 * from the base margin; oblivious forests sum double leaves tree by tree and
 * apply scale and bias.  SW_FORCE_ISA=scalar|avx2|avx512 overrides the choice.
 *
 * Ownership: a scorer borrows the forest (which must outlive it) and owns its
 * own layout.  A built scorer is immutable: any number of threads may call
 * sw_scorer_predict / sw_scorer_predict_row on it at once.
 * sw_scorer_predict_row allocates nothing.
 */
#ifndef SW_SCORE_H
#define SW_SCORE_H

#include "core/simd.h"
#include "core/status.h"
#include "forest.h"

typedef struct sw_scorer sw_scorer;

/* n_trees from sw_forest_tree_limit.  isa AUTO picks the best the CPU has (or
 * SW_FORCE_ISA); asking for an ISA the CPU lacks is SW_UNSUPPORTED. */
int sw_scorer_create(const sw_forest *f, int n_trees, sw_isa isa, sw_scorer **out, sw_error *err);
void sw_scorer_free(sw_scorer *s);
sw_isa sw_scorer_isa(const sw_scorer *s);
int sw_scorer_n_trees(const sw_scorer *s);

/* Values per row of a prediction (sw_forest_n_outputs): 1, or one per class. */
int sw_scorer_n_outputs(const sw_scorer *s, int margin);
/* Score n_rows rows of X (row-major, `stride` floats per row, model feature
 * order) with `threads` OpenMP threads over row blocks into out (n_outputs
 * values per row, row-major).  Results do not depend on the thread count. */
void sw_scorer_predict(const sw_scorer *s, const float *X, long n_rows, long stride, int margin,
                       int threads, double *out);
/* One row, no allocation: a one-output forest's prediction (NaN for a forest
 * with several outputs); sw_scorer_predict_rowv writes all n_outputs. */
double sw_scorer_predict_row(const sw_scorer *s, const float *x, int margin);
void sw_scorer_predict_rowv(const sw_scorer *s, const float *x, int margin, double *out);

#endif
