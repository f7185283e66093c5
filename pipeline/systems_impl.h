/* systems_impl: what the files of pipeline/ share about systems: the system
 * object, the feature indices the rules read (resolved by name once) and the
 * rule bodies, so rules_ensemble composes the other rules without copies. */
#ifndef SW_SYSTEMS_IMPL_H
#define SW_SYSTEMS_IMPL_H

#include "gbdt/explain.h"
#include "gbdt/score.h"
#include "systems.h"

/* Feature indices read by the rules, resolved by name. */
typedef struct {
    int l5, l10, season, std10, g7, fatigue, mismatch, pace, usage_spike, opp_def, home, b2b;
    int paint, mid, three, ft, min10, usage10;
} sw__fx;

int sw__fx_resolve(sw__fx *fx, sw_error *err);

/* A call rule: OVER/UNDER needs conf >= min_conf and |edge| >= min_edge (or >
 * when the rule is strict, as the original's "PASS if <= x" rules are). */
typedef struct {
    float min_conf, min_edge;
    int conf_strict, edge_strict;
} sw__call_rule;

typedef struct {
    sw_system_id id;
    sw__call_rule rule;
    int (*predict)(const sw_system *s, const sw_batch *b, sw_pred *out, sw_error *err);
} sw__sys_ops;

struct sw_system {
    const sw__sys_ops *ops;
    char version[64];
    sw__fx fx;
    /* model systems */
    sw_model_bundle models;
    sw_scorer *sc_mean, *sc_lo, *sc_hi;
    int *cols;    /* frame column of each model feature */
    int n_cols;
    int *nan_ok;  /* catboost_v8: features allowed to be missing */
    sw_explainer *explain; /* NULL when the model cannot be explained */
};

/* Row context handed to the rule bodies. */
typedef struct {
    const float *v;
    const uint8_t *src;
    const sw_frame_meta *meta;
    const sw_league *lg;
} sw__row;

void sw__rule_moving_average(const sw__fx *fx, const sw__row *r, sw_pred *out);
void sw__rule_zone_matchup(const sw__fx *fx, const sw__row *r, sw_pred *out);
void sw__rule_similarity(const sw__fx *fx, const sw__row *r, sw_pred *out);
/* The rule set of the original's XGBoost stand-in (section 7.4), deterministic. */
void sw__rule_heuristic(const sw__fx *fx, const sw__row *r, sw_pred *out);
void sw__rule_ensemble(const sw__fx *fx, const sw__row *r, sw_pred *out);

/* Shared helpers. */
float sw__clamp_pts(double v);
void sw__set_interval(sw_pred *p, double sigma);
void sw__no_pred(sw_pred *p, const char *why);
/* The confidence of moving_average and zone_matchup (7.1), 0-100: 50, less for
 * a volatile scorer, more for a busy week, clamped to [20, 80]. */
float sw__avg_confidence(const sw__fx *fx, const float *v);
/* Quality and consistency bonuses of the model systems (section 7.5). */
float sw__model_conf(float quality, float std10);

extern const sw__sys_ops sw__ops_moving_average, sw__ops_zone_matchup, sw__ops_similarity,
    sw__ops_rules_ensemble, sw__ops_gbdt, sw__ops_catboost_v8;

/* Run a per-row rule over a batch with OpenMP. */
int sw__predict_rows(const sw_system *s, const sw_batch *b, sw_pred *out,
                     void (*rule)(const sw__fx *, const sw__row *, sw_pred *), sw_error *err);

/* The model's input columns for every batch row (row-major, n_cols per row);
 * *X is the caller's to sw_free.  SW_NOMEM. */
int sw__gather(const sw_system *s, const sw_batch *b, float **X);

#endif
