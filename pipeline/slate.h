/* slate: the coordinator of the nightly run.  For a date it builds the
 * features of the players expected to play (the same code path as training
 * rows), keeps those with a line or enough minutes, runs every enabled system
 * over them, and combines the systems into one call per player:
 *
 *   prediction   a median anchored on the market's line (market.h): the
 *                line moved by the shrunk share of the stacked meta-model's
 *                disagreement with it (without a stack, the confidence-weighted
 *                mean of the systems and the market's defaults); without a
 *                line, the stack's median
 *   P(over)      the market's de-vigged probability blended with the model's
 *                own (market.h), given the line is not pushed
 *   consensus    how many predicting systems are on the called side
 *   call         by expected value: the side whose P(side) x decimal odds of
 *                the best price at the line (-110 without prices) is higher;
 *                NO_LINE without a real line; PASS below the quality tier,
 *                with too few systems, an expected value under min_ev (or
 *                the optional minimums of edge, probability and agreement;
 *                the reason names which); else OVER/UNDER with a suggested
 *                stake of kelly x the Kelly fraction
 *   confidence   100 P(side): the calibrated probability of the called side,
 *                as a percentage; only OVER/UNDER calls carry one (NaN for
 *                PASS and NO_LINE)
 *   no look-ahead  a model system or stack whose model may have seen games of
 *                the date or later (models.h picks versions that did not) is
 *                refused with a warning, never served
 *   drivers      for OVER/UNDER calls, the gbdt model's (else catboost_v8's)
 *                five largest TreeSHAP contributions, named in the reason
 *   blocked      a system the monitor BLOCKED (monitor.h) still predicts and is
 *                stored, but is left out of every final
 *   rollout      versions in rollout (rollout.h) are scored on every row
 *                beside the champions (refused like them when trained on the
 *                date or later); each row then has two finals: the champions'
 *                alone and the rollout's (the candidates' predictions in place
 *                of their champions', the candidate stack if any).  The row's
 *                served fields are the rollout's for the canary's share of
 *                player-games (sw_rollout_arm of player id and date, at the
 *                smallest share among the rollouts scored: a version in shadow
 *                counts as 0, so nothing is served while any is in shadow),
 *                the champions' elsewhere.  The drivers stay the champion
 *                model's.  Without a rollout nothing changes.
 *
 * Ownership: a slate owns its rows and frame; the league, systems, stack and
 * config are borrowed for the call.  Thread-safety: one slate per call.
 */
#ifndef SW_SLATE_H
#define SW_SLATE_H

#include <stdio.h>

#include "config.h"
#include "features/features.h"
#include "stack.h"
#include "systems.h"

typedef struct {
    int date;                         /* day number */
    const sw_config *cfg;
    sw_system *systems[SW_SYS_COUNT]; /* NULL: disabled or absent */
    const sw_stack *stack;            /* NULL: confidence-weighted mean */
    const char *stack_version;
    const char *stack_trained_to;     /* the last date the stack may have seen (YYYY-MM-DD) */
    /* versions in rollout (models.h); NULL: none */
    sw_system *cand[SW_SYS_COUNT];
    int cand_share[SW_SYS_COUNT];     /* canary share in percent, 0 in shadow */
    const sw_stack *cand_stack;
    const char *cand_stack_version;
    const char *cand_stack_trained_to;
    int cand_stack_share;
    int keep_all;                     /* 1: every expected player, no minutes filter or cap (the service's predict) */
    int blocked[SW_SYS_COUNT];        /* 1: BLOCKED by the monitor: scored and stored, left out of final */
    int final_blocked;                /* 1: final itself BLOCKED: every call is a PASS saying so */
} sw_slate_opts;


/* One combined call: the served one lives in the row's own fields. */
typedef struct {
    float pred, lo, hi, sigma, p_over, edge, conf;
    int n_pred, n_agree;
    sw_call call;
    char reason[384];
    float ev, stake; /* the called side's expected value per unit at its best price; suggested stake (units); NaN none */
} sw_slate_final;

typedef struct {
    long frame_row;
    int player, game, team, opp, home;
    float line;
    int book;                         /* league book index, -1 none (features.h: the market's line) */
    float over_price, under_price;    /* the best prices at the line */
    int over_book, under_book;        /* their books, -1 none */
    float p_market;                   /* the books' de-vigged P(over) at the line, NaN none */
    float quality;
    sw_tier tier;
    sw_pred sys[SW_SYS_COUNT];        /* NaN pred for disabled systems */
    sw_call sys_call[SW_SYS_COUNT];
    double sys_p_over[SW_SYS_COUNT];  /* each system's own P(over) at the line, and its edge (prediction */
    double sys_edge[SW_SYS_COUNT];    /* minus line): NaN without a line or a prediction */
    float pred, lo, hi, sigma, p_over, edge, conf;
    int n_pred, n_agree;
    sw_call call;
    char reason[384];
    float ev, stake;
    char feature_hash[17];
    int n_top, top_system;            /* the model's largest contributions behind a call */
    sw_contrib top[5];
    /* with a rollout (s->rollout): */
    sw_pred cand[SW_SYS_COUNT];       /* the candidates' predictions (NaN where none) */
    sw_call cand_call[SW_SYS_COUNT];
    double cand_p_over[SW_SYS_COUNT], cand_edge[SW_SYS_COUNT];
    sw_slate_final champ, roll;       /* the champions' final and the rollout's */
    int arm;                          /* 1: served by the rollout (canary), 0: by the champions */
} sw_slate_row;

typedef struct {
    int date;
    long n;
    sw_slate_row *rows;
    sw_frame *frame;                  /* the features of the rows (frame_row) */
    int enabled[SW_SYS_COUNT];        /* systems that ran */
    char version[SW_SYS_COUNT][64];   /* their model versions */
    char final_version[64];           /* "stack-<version>" or "mean-of-systems" */
    char trained_to[SW_SYS_COUNT][11]; /* model systems: the last date their model may have seen */
    char final_trained_to[11];        /* the latest of those and the stack's ("" none) */
    int refused;                      /* model systems or stack refused (trained on the date or later) */
    char train_from[11], train_to[11]; /* the gbdt model's training window ("" unknown) */
    long candidates;                  /* players expected before the minutes filter */
    double *importance[SW_SYS_COUNT]; /* model systems: total split gain per feature, or NULL */
    /* the rollout: versions scored beside the champions */
    int rollout;                      /* 1: some candidate scored (rows carry champ and roll) */
    int cand_enabled[SW_SYS_COUNT];
    int cand_share[SW_SYS_COUNT];
    char cand_version[SW_SYS_COUNT][64];
    char cand_trained_to[SW_SYS_COUNT][11];
    int stack_used;                   /* the champion stack combined the systems (not refused) */
    int blocked[SW_SYS_COUNT];        /* ran, but left out of final (BLOCKED by the monitor) */
    int cand_stack, cand_stack_share; /* the candidate stack was used */
    char cand_stack_version[64];
    int share;                        /* the share served by the rollout (0: none) */
    char rollout_version[256];        /* final.rollout's version: "stack-V" or "mean-of-systems", "+gbdt=V"... */
    char rollout_trained_to[11];      /* the latest date final.rollout's models may have seen */
    long served_rollout;              /* rows whose arm is the rollout's */
    double t_features, t_select, t_system[SW_SYS_COUNT], t_combine, t_explain, t_total;
    int n_warnings;
    char warnings[8][256];
} sw_slate;

/* Run the slate.  A system that fails is reported in the warnings and its
 * predictions left out; the rest of the slate still runs.  Errors: SW_NO_GAMES
 * (no game on the date), SW_NOMEM. */
int sw_slate_run(const sw_league *lg, const sw_slate_opts *o, sw_slate **out, sw_error *err);
void sw_slate_free(sw_slate *s);

/* The served final of a row (its own fields) as one value. */
void sw_slate_row_final(const sw_slate_row *r, sw_slate_final *f);

/* Row i of a slate against another line (`line` NaN: none), as the run would
 * have combined it: every system's call, the final (champions' and rollout's,
 * the served one by the row's arm), P(over), edge and reason; book and prices
 * unknown (-1, NaN).  `o` must be the options of the run, its systems and
 * stacks still alive.  Calls carry their drivers. */
void sw_slate_reline(const sw_slate *s, const sw_slate_opts *o, long i, float line, sw_slate_row *out);

/* The model's largest TreeSHAP contributions (at most 5) behind a row, of the
 * gbdt model, else catboost_v8's; *system names it.  0 when neither ran. */
int sw_slate_drivers(const sw_slate *s, const sw_slate_opts *o, const sw_slate_row *r, sw_contrib top[5], int *system);

/* The slate as a table (calls first, by expected value; names padded by display
 * width) or as JSON (every row in frame order). */
void sw_slate_print(const sw_slate *s, const sw_league *lg, FILE *out);
void sw_slate_print_json(const sw_slate *s, const sw_league *lg, FILE *out);

#endif
