/* explain: exact TreeSHAP (Lundberg, Erion and Lee, "Consistent individualized
 * feature attribution for tree ensembles", 2018, algorithm 2) for both tree
 * kinds.  Each prediction's margin splits into a base value (the cover-weighted
 * expected margin) and one contribution per feature:
 *
 *     margin(x) = expected + sum_i phi_i(x)
 *
 * The conditional expectations are the path-dependent ones (a feature outside
 * the coalition follows both children, weighted by their covers), as in
 * XGBoost's pred_contribs and CatBoost's ShapValues.  Binary trees need node
 * covers (XGBoost's sum_hessian; swish's trainer records them); oblivious trees
 * need leaf weights (CatBoost's and swish's .cbm carry them).  Contributions are
 * in margin space (before the objective's link), scaled like the model.
 *
 * Ownership: an explainer borrows the forest, which must outlive it.
 * Thread-safety: sw_explain_row may run on many threads at once (it allocates
 * its own scratch).
 */
#ifndef SW_EXPLAIN_H
#define SW_EXPLAIN_H

#include "core/status.h"
#include "forest.h"

typedef struct sw_explainer sw_explainer;

/* The first n_trees trees (sw_forest_tree_limit).  SW_UNSUPPORTED when the
 * model lacks covers or leaf weights. */
int sw_explainer_create(const sw_forest *f, int n_trees, sw_explainer **out, sw_error *err);
/* Output group `group` (a class of a multi-class model): its trees among the
 * first n_trees; the base value and contributions of that group's margin.
 * sw_explainer_create is group 0 of a one-group forest (SW_ARG otherwise). */
int sw_explainer_create_group(const sw_forest *f, int n_trees, int group, sw_explainer **out, sw_error *err);
void sw_explainer_free(sw_explainer *e);
/* The base value: the expected margin over the training data's covers. */
double sw_explainer_expected(const sw_explainer *e);
/* phi[0..n_features) for one row (model feature order); returns SW_NOMEM or SW_OK. */
int sw_explain_row(const sw_explainer *e, const float *x, double *phi);

/* n rows of X (`stride` floats apart) on `threads` OpenMP threads: row r's
 * contributions at phi + r * phi_stride (n_features values each).  The same
 * values as sw_explain_row at any thread count.  SW_NOMEM or SW_OK. */
int sw_explain_rows(const sw_explainer *e, const float *X, long n, long stride, int threads, double *phi,
                    long phi_stride);

/* Mean |phi| per feature over n rows: a global importance. */
int sw_explain_importance(const sw_explainer *e, const float *X, long n, long stride, double *imp);

#endif
