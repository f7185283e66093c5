/* objective: the loss functions swish knows, their names in XGBoost and CatBoost,
 * and the link that turns a raw margin into a prediction.
 *
 * XGBoost links run in float32 exactly as XGBoost 1.7 computes them (so that
 * transformed predictions match to the bit); CatBoost links run in double.
 * The trainer's gradients live in gbdt/train (they need the data layout).
 * Thread-safety: everything here is pure.
 */
#ifndef SW_OBJECTIVE_H
#define SW_OBJECTIVE_H

typedef enum {
    SW_LINK_IDENTITY,
    SW_LINK_SIGMOID,
    SW_LINK_EXP,
    SW_LINK_SOFTMAX /* across a row's output groups: sw_softmax_f32 */
} sw_link;

#define SW_OBJECTIVE_LIST(X)                                                        \
    /* id,            name,                       family, link */                  \
    X(SQUAREDERROR,   "reg:squarederror",         0, SW_LINK_IDENTITY)              \
    X(ABSOLUTEERROR,  "reg:absoluteerror",        0, SW_LINK_IDENTITY)              \
    X(PSEUDOHUBER,    "reg:pseudohubererror",     0, SW_LINK_IDENTITY)              \
    X(QUANTILE,       "reg:quantileerror",        0, SW_LINK_IDENTITY)              \
    X(LOGISTIC,       "binary:logistic",          0, SW_LINK_SIGMOID)               \
    X(POISSON,        "count:poisson",            0, SW_LINK_EXP)                   \
    X(TWEEDIE,        "reg:tweedie",              0, SW_LINK_EXP)                   \
    X(GAMMA,          "reg:gamma",                0, SW_LINK_EXP)                   \
    X(MULTI_SOFTPROB, "multi:softprob",           2, SW_LINK_SOFTMAX)               \
    X(MULTI_SOFTMAX,  "multi:softmax",            2, SW_LINK_SOFTMAX)               \
    X(CB_RMSE,        "RMSE",                     1, SW_LINK_IDENTITY)              \
    X(CB_MAE,         "MAE",                      1, SW_LINK_IDENTITY)              \
    X(CB_QUANTILE,    "Quantile",                 1, SW_LINK_IDENTITY)              \
    X(CB_POISSON,     "Poisson",                  1, SW_LINK_EXP)                   \
    X(CB_LOGLOSS,     "Logloss",                  1, SW_LINK_SIGMOID)

typedef enum {
#define SW__OBJ_ENUM(id, name, fam, link) SW_OBJ_##id,
    SW_OBJECTIVE_LIST(SW__OBJ_ENUM)
#undef SW__OBJ_ENUM
    SW_OBJ_COUNT
} sw_objective;

/* XGBoost ("reg:squarederror") or CatBoost ("RMSE", also "Quantile:alpha=0.5")
 * name to id; -1 if unknown.  XGBoost's old alias "reg:linear" is accepted. */
int sw_objective_from_name(const char *name);
const char *sw_objective_name(sw_objective obj);
int sw_objective_is_catboost(sw_objective obj);
/* XGBoost's multi-class objectives: one output group (margin) per class. */
int sw_objective_is_multiclass(sw_objective obj);
sw_link sw_objective_link(sw_objective obj);
/* Comma-separated list of every known name, for error messages. */
const char *sw_objective_names(void);

/* Margin -> prediction, float32 as XGBoost computes it. */
float sw_link_apply_f32(sw_link link, float margin);
/* Class probabilities from k margins, in place, as XGBoost 1.7's Softmax:
 * the float32 maximum, expf(m - max) in float32, their sum in double, each
 * divided by that sum rounded to float32. */
void sw_softmax_f32(float *m, int k);
/* The first index of the largest of k margins (multi:softmax's class). */
int sw_argmax_f32(const float *m, int k);
/* Margin -> prediction in double, as CatBoost computes it. */
double sw_link_apply_f64(sw_link link, double margin);
/* Prediction-space base_score -> margin, as XGBoost's ProbToMargin (float32).
 * Returns 0 and sets *ok = 0 when the value is outside the link's domain. */
float sw_link_inverse_f32(sw_link link, float value, int *ok);

#endif
