/* models: hand-built test models (see models.h). */
#include "models.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "io/cbm_impl.h"
#include "io/model.h"

void tm_xgb_json(char *buf, size_t size, const char *bs, const char *objective, int v)
{
    const char *left = "[1,-1,3,-1,-1]";
    const char *right = "[2,-1,4,-1,-1]";
    const char *split = "[0,0,1,0,0]";
    const char *cond = "[1.0,1.5,2.0,-0.5,0.25]";
    const char *dl = "[1,0,0,0,0]";
    const char *stype = "[0,0,0,0,0]";
    const char *nodes = "\"5\"";
    switch (v) {
    case TM_TREE_CHILD_OUT_OF_RANGE: left = "[7,-1,3,-1,-1]"; break;
    case TM_TREE_CYCLE: left = "[1,-1,0,-1,-1]"; break;
    case TM_TREE_BAD_FEATURE: split = "[0,0,5,0,0]"; break;
    case TM_TREE_NAN_THRESHOLD: cond = "[NaN,1.5,2.0,-0.5,0.25]"; break;
    case TM_TREE_INF_THRESHOLD: cond = "[1.0,1.5,-Infinity,-0.5,0.25]"; break;
    case TM_TREE_HUGE_NODES: nodes = "\"999999999\""; break;
    case TM_TREE_NEGATIVE_NODES: nodes = "\"-5\""; break;
    case TM_TREE_CATEGORICAL: stype = "[0,0,1,0,0]"; break;
    case TM_TREE_SHORT_ARRAY: dl = "[1,0,0,0]"; break;
    default: break;
    }
    snprintf(buf, size,
             "{\"learner\":{\"attributes\":{},\"feature_names\":[\"x0\",\"x1\"],"
             "\"feature_types\":[\"float\",\"float\"],"
             "\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{\"num_parallel_tree\":\"1\","
             "\"num_trees\":\"1\"},\"iteration_indptr\":[0,1],\"tree_info\":[0],\"trees\":[{"
             "\"base_weights\":[0,0,0,0,0],\"categories\":[],\"categories_nodes\":[],"
             "\"categories_segments\":[],\"categories_sizes\":[],\"default_left\":%s,\"id\":0,"
             "\"left_children\":%s,\"loss_changes\":[0,0,0,0,0],\"parents\":[2147483647,0,0,2,2],"
             "\"right_children\":%s,\"split_conditions\":%s,\"split_indices\":%s,\"split_type\":%s,"
             "\"sum_hessian\":[4,1,3,1,2],\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"2\","
             "\"num_nodes\":%s,\"size_leaf_vector\":\"1\"}}]},\"name\":\"gbtree\"},"
             "\"learner_model_param\":{\"base_score\":%s,\"boost_from_average\":\"1\",\"num_class\":\"0\","
             "\"num_feature\":\"2\",\"num_target\":\"1\"},\"objective\":{\"name\":\"%s\"}},"
             "\"version\":[2,1,0]}",
             dl, left, right, cond, split, stype, nodes, bs, objective);
}

sw_forest *tm_binary_forest(sw_objective obj)
{
    sw_forest *f = sw_forest_create(SW_TREES_BINARY, 3);
    const char *names[] = {"a", "b", "c"};
    sw_forest_set_feature_names(f, names, NULL);
    sw_forest_set_objective(f, obj);
    float bs = obj == SW_OBJ_LOGISTIC ? 0.25f : obj == SW_OBJ_POISSON || obj == SW_OBJ_GAMMA || obj == SW_OBJ_TWEEDIE ? 2.0f : 0.5f;
    int ok;
    sw_forest_set_base_score(f, bs, sw_link_inverse_f32(sw_objective_link(obj), bs, &ok));
    /* tree 0: a < 0.5 (NaN left) ? [b < 3 (NaN right) ? 0.1 : -0.2] : 0.3 */
    int32_t l0[] = {1, 3, -1, -1, -1}, r0[] = {2, 4, -1, -1, -1}, f0[] = {0, 1, 0, 0, 0};
    float t0[] = {0.5f, 3.0f, 0.3f, 0.1f, -0.2f};
    uint8_t d0[] = {1, 0, 0, 0, 0};
    float c0[] = {10, 6, 4, 3, 3}, g0[] = {2, 1, 0, 0, 0};
    sw_binary_tree_in t = {5, l0, r0, f0, t0, d0, t0, c0, g0, NULL, NULL, NULL};
    sw_forest_add_binary(f, &t, NULL);
    /* tree 1: c < -1 (NaN right) ? -0.05 : 0.07 */
    int32_t l1[] = {1, -1, -1}, r1[] = {2, -1, -1}, f1[] = {2, 0, 0};
    float t1[] = {-1.0f, -0.05f, 0.07f};
    uint8_t d1[] = {0, 0, 0};
    float c1[] = {10, 5, 5}, g1[] = {1, 0, 0};
    sw_binary_tree_in u = {3, l1, r1, f1, t1, d1, t1, c1, g1, NULL, NULL, NULL};
    sw_forest_add_binary(f, &u, NULL);
    /* tree 2: a single leaf */
    int32_t l2[] = {-1}, r2[] = {-1}, f2[] = {0};
    float t2[] = {0.01f};
    uint8_t d2[] = {0};
    float c2[] = {10}, g2[] = {0};
    sw_binary_tree_in v = {1, l2, r2, f2, t2, d2, t2, c2, g2, NULL, NULL, NULL};
    sw_forest_add_binary(f, &v, NULL);
    return f;
}

sw_forest *tm_oblivious_forest(sw_objective obj)
{
    sw_forest *f = sw_forest_create(SW_TREES_OBLIVIOUS, 3);
    const char *names[] = {"a", "b", "c"};
    sw_forest_set_feature_names(f, names, NULL);
    sw_forest_set_objective(f, obj);
    sw_forest_set_scale_bias(f, 1.0, 0.125);
    sw_forest_set_nan_mode(f, 1, SW_NAN_ASTRUE, NULL);
    sw_forest_set_nan_mode(f, 2, SW_NAN_ASFALSE, NULL);
    double leaves0[1] = {0.5};
    sw_forest_add_oblivious(f, 0, NULL, NULL, leaves0, NULL, NULL);
    int32_t fa[] = {0};
    float ba[] = {0.5f};
    double la[] = {-1.0, 1.0};
    double wa[] = {4, 6};
    sw_forest_add_oblivious(f, 1, fa, ba, la, wa, NULL);
    int32_t fb[] = {1, 2, 0};
    float bb[] = {-1.0f, 2.5f, 0.5f};
    double lb[8] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
    sw_forest_add_oblivious(f, 3, fb, bb, lb, NULL, NULL);
    return f;
}

unsigned char *tm_cbm_variant(int what, size_t *len)
{
    sw_forest *f = tm_oblivious_forest(SW_OBJ_CB_RMSE);
    sw__cbm_write_opts o = {0};
    switch (what) {
    case TM_CBM_CTR: o.n_ctr = 1; break;
    case TM_CBM_CAT: o.n_cat = 1; break;
    case TM_CBM_NONSYM: o.n_nonsym = 2; break;
    case TM_CBM_MULTICLASS: o.approx_dimension = 3; break;
    case TM_CBM_PARTS: o.n_parts = 1; break;
    case TM_CBM_BAD_SPLIT: o.bad_split = 100; break;
    case TM_CBM_DEEP: o.depth_override = 17; break;
    default: break;
    }
    unsigned char *data = NULL;
    size_t n = 0;
    sw__cbm_write_ex(f, &o, &data, &n, NULL);
    if (what == TM_CBM_NAN_BORDER) {
        /* the first border written is feature 0's 0.5f: replace it by NaN */
        float half = 0.5f, nan = NAN;
        for (size_t i = 8; i + 4 <= n; i++) {
            if (memcmp(data + i, &half, 4) == 0) {
                memcpy(data + i, &nan, 4);
                break;
            }
        }
    }
    sw_forest_free(f);
    unsigned char *copy = malloc(n);
    memcpy(copy, data, n);
    sw_free(data);
    *len = n;
    return copy;
}
