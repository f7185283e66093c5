/* models: small hand-built models for tests and fuzz seeds. */
#ifndef SW_TEST_MODELS_H
#define SW_TEST_MODELS_H

#include <stddef.h>

#include "gbdt/forest.h"

enum {
    TM_TREE_SIMPLE,
    TM_TREE_CHILD_OUT_OF_RANGE,
    TM_TREE_CYCLE,
    TM_TREE_BAD_FEATURE,
    TM_TREE_NAN_THRESHOLD,
    TM_TREE_INF_THRESHOLD,
    TM_TREE_HUGE_NODES,
    TM_TREE_NEGATIVE_NODES,
    TM_TREE_CATEGORICAL,
    TM_TREE_SHORT_ARRAY
};

/* An XGBoost JSON document with features x0, x1 and one tree:
 *   node 0: x0 < 1 (missing: left) -> node 1 (leaf 1.5) | node 2
 *   node 2: x1 < 2 (missing: right) -> node 3 (leaf -0.5) | node 4 (leaf 0.25)
 * base_score_json is inserted verbatim ("\"1.0E0\"" or "\"[1.0E0]\"" or 1.0). */
void tm_xgb_json(char *buf, size_t size, const char *base_score_json, const char *objective,
                 int variant);

/* Binary-tree forest: 3 features, 3 trees with both default directions. */
sw_forest *tm_binary_forest(sw_objective obj);
/* Oblivious forest: 3 features, trees of depth 0..3; feature 1 NaN as +inf,
 * feature 2 NaN as -inf. */
sw_forest *tm_oblivious_forest(sw_objective obj);

enum {
    TM_CBM_CTR,
    TM_CBM_CAT,
    TM_CBM_NONSYM,
    TM_CBM_MULTICLASS,
    TM_CBM_PARTS,
    TM_CBM_BAD_SPLIT,
    TM_CBM_DEEP,
    TM_CBM_NAN_BORDER
};
/* A .cbm of tm_oblivious_forest with one defect (malloc'd). */
unsigned char *tm_cbm_variant(int what, size_t *len);

#endif
