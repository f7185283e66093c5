/* objective: name tables and link functions.
 *
 * The float32 links copy XGBoost 1.7's arithmetic: the sigmoid is
 * 1 / (expf(min(-x, 88.7)) + 1), the log links expf (survival:aft: exp in
 * double, then rounded), binary:hinge x > 0 ? 1 : 0; ProbToMargin is
 * -logf(1/p - 1) for the logistic link and logf(p) for the log links.  Tests
 * compare them with the real library's output. */
#include "objective.h"

#include <math.h>
#include <string.h>

static const char *const obj_names[] = {
#define SW__OBJ_NAME(id, name, fam, link, base) name,
    SW_OBJECTIVE_LIST(SW__OBJ_NAME)
#undef SW__OBJ_NAME
};

static const int obj_family[] = {
#define SW__OBJ_FAM(id, name, fam, link, base) fam,
    SW_OBJECTIVE_LIST(SW__OBJ_FAM)
#undef SW__OBJ_FAM
};

static const sw_link obj_link[] = {
#define SW__OBJ_LINK(id, name, fam, link, base) link,
    SW_OBJECTIVE_LIST(SW__OBJ_LINK)
#undef SW__OBJ_LINK
};

int sw_objective_from_name(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "reg:linear") == 0) return SW_OBJ_SQUAREDERROR;
    size_t n = strcspn(name, ":"); /* CatBoost "Quantile:alpha=0.5" */
    for (int i = 0; i < SW_OBJ_COUNT; i++) {
        if (strcmp(name, obj_names[i]) == 0) return i;
        if (obj_family[i] == 1 && strlen(obj_names[i]) == n && strncmp(name, obj_names[i], n) == 0)
            return i;
    }
    return -1;
}

const char *sw_objective_name(sw_objective obj)
{
    if ((int)obj < 0 || obj >= SW_OBJ_COUNT) return "?";
    return obj_names[obj];
}

int sw_objective_is_catboost(sw_objective obj)
{
    return (int)obj >= 0 && obj < SW_OBJ_COUNT && obj_family[obj] == 1;
}

int sw_objective_is_multiclass(sw_objective obj)
{
    return (int)obj >= 0 && obj < SW_OBJ_COUNT && obj_family[obj] == 2;
}

static const sw_link obj_base[] = {
#define SW__OBJ_BASE(id, name, fam, link, base) base,
    SW_OBJECTIVE_LIST(SW__OBJ_BASE)
#undef SW__OBJ_BASE
};

sw_link sw_objective_link(sw_objective obj)
{
    if ((int)obj < 0 || obj >= SW_OBJ_COUNT) return SW_LINK_IDENTITY;
    return obj_link[obj];
}

sw_link sw_objective_base_link(sw_objective obj)
{
    if ((int)obj < 0 || obj >= SW_OBJ_COUNT) return SW_LINK_IDENTITY;
    return obj_base[obj];
}

int sw_objective_trainable(sw_objective obj)
{
    return (int)obj >= 0 && obj < SW_OBJ_COUNT && (obj_family[obj] == 0 || obj_family[obj] == 2);
}

const char *sw_objective_names(void)
{
    return "reg:squarederror, reg:absoluteerror, reg:pseudohubererror, reg:quantileerror, "
           "binary:logistic, count:poisson, reg:tweedie, reg:gamma, multi:softprob, multi:softmax, "
           "and for scoring only reg:logistic, binary:logitraw, binary:hinge, reg:squaredlogerror, survival:cox, "
           "survival:aft, rank:pairwise, rank:ndcg, rank:map (XGBoost); "
           "RMSE, MAE, "
           "Quantile, Poisson, Logloss (CatBoost)";
}

float sw_link_apply_f32(sw_link link, float x)
{
    switch (link) {
    case SW_LINK_SIGMOID: {
        float t = fminf(-x, 88.7f);
        return 1.0f / (expf(t) + 1.0f);
    }
    case SW_LINK_EXP: return expf(x);
    case SW_LINK_HINGE: return x > 0.0f ? 1.0f : 0.0f;
    case SW_LINK_EXP64: return (float)exp((double)x);
    default: return x;
    }
}

void sw_softmax_f32(float *m, int k)
{
    if (k <= 0) return;
    float mx = m[0];
    for (int i = 1; i < k; i++) mx = fmaxf(m[i], mx);
    double sum = 0.0;
    for (int i = 0; i < k; i++) {
        m[i] = expf(m[i] - mx);
        sum += m[i];
    }
    for (int i = 0; i < k; i++) m[i] /= (float)sum;
}

int sw_argmax_f32(const float *m, int k)
{
    int best = 0;
    for (int i = 1; i < k; i++)
        if (m[i] > m[best]) best = i;
    return best;
}

double sw_link_apply_f64(sw_link link, double x)
{
    switch (link) {
    case SW_LINK_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case SW_LINK_EXP:
    case SW_LINK_EXP64: return exp(x);
    case SW_LINK_HINGE: return x > 0.0 ? 1.0 : 0.0;
    default: return x;
    }
}

float sw_link_inverse_f32(sw_link link, float v, int *ok)
{
    *ok = 1;
    switch (link) {
    case SW_LINK_SIGMOID:
        if (!(v > 0.0f && v < 1.0f)) {
            *ok = 0;
            return 0.0f;
        }
        return -logf(1.0f / v - 1.0f);
    case SW_LINK_EXP:
        if (!(v > 0.0f) || !isfinite(v)) {
            *ok = 0;
            return 0.0f;
        }
        return logf(v);
    default:
        if (!isfinite(v)) *ok = 0;
        return v;
    }
}
