/* systems: the six prediction systems behind one interface.
 *
 * A system reads feature rows (a frame built as of the game date) and returns,
 * per row, predicted points, an 80% interval, a confidence on the 0-100 scale
 * and a note saying how the number came about.  Four systems are rules
 * (ORIGINAL-SYSTEM.md section 7, with the original's defects fixed):
 * moving_average, zone_matchup, similarity and rules_ensemble; two are
 * models: gbdt (a swish-trained mean model with 10% and 90% quantile models
 * for its interval) and catboost_v8 (the CatBoost V8 model or any model
 * registered under that name).  Every system reads its inputs by feature name,
 * resolved once when it is created, so a reordered or incomplete frame is an
 * error and never a silent default.
 *
 * Ownership: a system owns the forests handed to it (sw_system_free frees
 * them).  Thread-safety: a created system is immutable; predict may run on
 * many threads and over many batches at once.
 */
#ifndef SW_SYSTEMS_H
#define SW_SYSTEMS_H

#include "features/features.h"
#include "gbdt/forest.h"

typedef enum {
    SW_SYS_MOVING_AVERAGE,
    SW_SYS_ZONE_MATCHUP,
    SW_SYS_SIMILARITY,
    SW_SYS_RULES_ENSEMBLE,
    SW_SYS_GBDT,
    SW_SYS_CATBOOST_V8,
    SW_SYS_COUNT
} sw_system_id;

const char *sw_system_name(sw_system_id id);
int sw_system_find(const char *name); /* -1 if unknown */
int sw_system_is_model(sw_system_id id);

typedef struct {
    float pred;   /* points, clamped to [0, 60]; NaN: no prediction (note says why) */
    float lo, hi; /* 80% interval: 10th and 90th percentiles of the predictive distribution */
    float sigma;  /* spread of the predictive distribution (normal), points */
    float conf;   /* 0-100 */
    char note[112];
} sw_pred;

typedef struct {
    const sw_league *lg; /* for systems that look at past games (similarity) */
    const sw_frame *fr;
    const long *rows;    /* frame rows to score */
    long n;
    int nthread;
} sw_batch;

/* The models of a model-based system, as loaded from the model store. */
typedef struct {
    sw_forest *mean;   /* required */
    sw_forest *q_lo;   /* 10% quantile model (gbdt; optional) */
    sw_forest *q_hi;   /* 90% quantile model (gbdt; optional) */
    char version[64];
    char train_from[11], train_to[11]; /* training window ("" unknown) */
} sw_model_bundle;

typedef struct sw_system sw_system;

/* A rule system (moving_average, zone_matchup, similarity, rules_ensemble). */
int sw_system_create_rule(sw_system_id id, sw_system **out, sw_error *err);
/* A model system (gbdt, catboost_v8); takes ownership of the bundle's forests,
 * also on failure.  A model asking for a feature the frame does not have is
 * SW_MISMATCH naming every missing one. */
int sw_system_create_model(sw_system_id id, sw_model_bundle *models, sw_system **out, sw_error *err);
void sw_system_free(sw_system *s);

sw_system_id sw_system_id_of(const sw_system *s);
const char *sw_system_version(const sw_system *s); /* "rules-1" or the model version */
/* The model's training window (YYYY-MM-DD; "" when unknown or a rule system). */
void sw_system_train_window(const sw_system *s, char from[11], char to[11]);

/* Predict every row of the batch into out[0..n).  Rows a system cannot score
 * get pred = NaN and a note; only an invalid batch is an error. */
int sw_system_predict(const sw_system *s, const sw_batch *b, sw_pred *out, sw_error *err);

/* A call: the one representation from the systems through the store (which
 * keeps its name as text, checked by the schema) to grading and metrics. */
typedef enum { SW_CALL_OVER, SW_CALL_UNDER, SW_CALL_PASS, SW_CALL_NO_LINE } sw_call;

/* "OVER", "UNDER", "PASS", "NO_LINE" ("?" out of range). */
const char *sw_call_name(sw_call c);
/* The call named `s` (exactly as sw_call_name writes it): 0 and *out set, or
 * -1 (NULL or any other text) with *out unchanged. */
int sw_call_parse(const char *s, sw_call *out);
/* 1 for OVER and UNDER: a side taken (a bet), else 0. */
static inline int sw_call_is_bet(sw_call c) { return c == SW_CALL_OVER || c == SW_CALL_UNDER; }

/* The system's own call rule (section 7): OVER, UNDER or PASS for a
 * prediction against a real line; NO_LINE when line is NaN. */
sw_call sw_system_call(const sw_system *s, const sw_pred *p, float line);

/* One feature's part in a model system's prediction (TreeSHAP, points). */
typedef struct {
    int feature; /* index in the feature set */
    float value; /* the feature's value */
    float phi;   /* its contribution */
} sw_contrib;

/* The k largest contributions (by magnitude) to a model system's prediction of
 * one frame row, largest first; returns how many were written (0 for rule
 * systems and for models without covers or leaf weights).  Thread-safe. */
int sw_system_contributions(const sw_system *s, const sw_frame *fr, long row, int k, sw_contrib *out);

/* Total split gain per feature of the set (n = sw_feature_count()), for a
 * model system whose model records gains; returns 0 when it has none. */
int sw_system_gain_importance(const sw_system *s, double *by_feature);

/* P(points > line) under a normal predictive distribution with half-point
 * continuity: an integer line L counts L as a push (over needs L + 1). */
double sw_prob_over(double mean, double sigma, double line);

#endif
