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
    SW_LINK_SOFTMAX, /* across a row's output groups: sw_softmax_f32 */
    SW_LINK_HINGE,   /* 1 when the margin is above 0, else 0 (binary:hinge) */
    SW_LINK_EXP64    /* exp in double, rounded to float (survival:aft's, where the others use expf) */
} sw_link;

/* Family 0: XGBoost, trained and read; 1: CatBoost; 2: XGBoost multi-class;
 * 3: XGBoost, read and scored but not trained by swish.  link turns the margin
 * into the prediction; base is the link whose inverse turns base_score into
 * the margin, as XGBoost 1.7's ProbToMargin (binary:hinge's is the identity,
 * and so is binary:logitraw's). */
#define SW_OBJECTIVE_LIST(X)                                                                     \
    /* id,            name,                       family, link,            base */              \
    X(SQUAREDERROR,   "reg:squarederror",         0, SW_LINK_IDENTITY, SW_LINK_IDENTITY)         \
    X(ABSOLUTEERROR,  "reg:absoluteerror",        0, SW_LINK_IDENTITY, SW_LINK_IDENTITY)         \
    X(PSEUDOHUBER,    "reg:pseudohubererror",     0, SW_LINK_IDENTITY, SW_LINK_IDENTITY)         \
    X(QUANTILE,       "reg:quantileerror",        0, SW_LINK_IDENTITY, SW_LINK_IDENTITY)         \
    X(LOGISTIC,       "binary:logistic",          0, SW_LINK_SIGMOID,  SW_LINK_SIGMOID)          \
    X(POISSON,        "count:poisson",            0, SW_LINK_EXP,      SW_LINK_EXP)              \
    X(TWEEDIE,        "reg:tweedie",              0, SW_LINK_EXP,      SW_LINK_EXP)              \
    X(GAMMA,          "reg:gamma",                0, SW_LINK_EXP,      SW_LINK_EXP)              \
    X(MULTI_SOFTPROB, "multi:softprob",           2, SW_LINK_SOFTMAX,  SW_LINK_IDENTITY)         \
    X(MULTI_SOFTMAX,  "multi:softmax",            2, SW_LINK_SOFTMAX,  SW_LINK_IDENTITY)         \
    X(CB_RMSE,        "RMSE",                     1, SW_LINK_IDENTITY, SW_LINK_IDENTITY)         \
    X(CB_MAE,         "MAE",                      1, SW_LINK_IDENTITY, SW_LINK_IDENTITY)         \
    X(CB_QUANTILE,    "Quantile",                 1, SW_LINK_IDENTITY, SW_LINK_IDENTITY)         \
    X(CB_POISSON,     "Poisson",                  1, SW_LINK_EXP,      SW_LINK_EXP)              \
    X(CB_LOGLOSS,     "Logloss",                  1, SW_LINK_SIGMOID,  SW_LINK_SIGMOID)          \
    X(REG_LOGISTIC,   "reg:logistic",             3, SW_LINK_SIGMOID,  SW_LINK_SIGMOID)          \
    X(LOGITRAW,       "binary:logitraw",          3, SW_LINK_IDENTITY, SW_LINK_IDENTITY)         \
    X(HINGE,          "binary:hinge",             3, SW_LINK_HINGE,    SW_LINK_IDENTITY)         \
    X(SQUAREDLOG,     "reg:squaredlogerror",      3, SW_LINK_IDENTITY, SW_LINK_IDENTITY)         \
    X(COX,            "survival:cox",             3, SW_LINK_EXP,      SW_LINK_EXP)              \
    X(AFT,            "survival:aft",             3, SW_LINK_EXP64,    SW_LINK_EXP)              \
    X(RANK_PAIRWISE,  "rank:pairwise",            3, SW_LINK_IDENTITY, SW_LINK_IDENTITY)         \
    X(RANK_NDCG,      "rank:ndcg",                3, SW_LINK_IDENTITY, SW_LINK_IDENTITY)         \
    X(RANK_MAP,       "rank:map",                 3, SW_LINK_IDENTITY, SW_LINK_IDENTITY)

typedef enum {
#define SW__OBJ_ENUM(id, name, fam, link, base) SW_OBJ_##id,
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
/* The link whose inverse maps the model's base_score to its base margin. */
sw_link sw_objective_base_link(sw_objective obj);
/* Whether swish's trainer takes the objective (families 0 and 2 of the list);
 * the others are read and scored only. */
int sw_objective_trainable(sw_objective obj);
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
