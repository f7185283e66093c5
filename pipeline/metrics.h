/* metrics: how good the predictions were, per system, on graded rows.
 *
 *   errors       MAE, RMSE, bias (prediction - actual), share within 3 and 5
 *   side bets    every row with a line, betting the side of the prediction:
 *                hit rate with a Wilson 95% interval, by edge bucket (<1, 1-3,
 *                3-5, >=5 points), ROI at -110
 *   calls        the system's OVER/UNDER calls: hit rate and interval, ROI at
 *                the actual American prices and at -110 (flat one-unit stakes),
 *                by confidence bucket, by quality tier and by expected value
 *                (P(side) x the decimal odds of the price taken - 1)
 *   calibration  P(over) in ten bins (mean predicted, observed share), the
 *                same by decile of P(over) (reliability), Brier
 *   baselines    on the same player-games: the line itself, the season
 *                average and the last-10 average as predictors (MAE, and the
 *                averages' side bets against the line); and the market's own
 *                P(over) (the books' mean de-vigged probability stored with
 *                the row; for older rows, de-vigged from the row's prices),
 *                whose Brier score the system's must beat on the same rows
 *
 * Pushes count in neither hits nor bets; voided rows (DNP) are left out, and
 * so are rows whose model may have seen the game (store.h: they are never
 * loaded; `excluded` carries their count for the reports).
 * Ownership: plain values; the loader's array is the caller's (sw_free).
 */
#ifndef SW_METRICS_H
#define SW_METRICS_H

#include <stdio.h>

#include "core/json.h"
#include "features/features.h"
#include "slate.h"
#include "store.h"

/* sw_graded, the row measured, is the store's (store.h). */

typedef struct {
    long n, hits;        /* bets decided (pushes excluded) and hits */
    double rate, lo, hi; /* hit rate and its Wilson 95% interval */
    double units, units_110;
} sw_hits;

enum { SW_EDGE_BUCKETS = 4, SW_CONF_BUCKETS = 4, SW_EV_BUCKETS = 5, SW_CAL_BINS = 10 };

typedef struct {
    long n;
    long excluded;       /* rows kept out: their model may have seen the game (set by the caller) */
    double mae, rmse, bias, within3, within5;
    sw_hits side, side_edge3, calls;
    sw_hits edge[SW_EDGE_BUCKETS];  /* side bets by |edge|: <1, 1-3, 3-5, >=5 */
    sw_hits conf[SW_CONF_BUCKETS];  /* calls by confidence: <55, 55-60, 60-65, >=65 */
    sw_hits tier[5];                /* calls by tier (sw_tier order) */
    sw_hits ev[SW_EV_BUCKETS];      /* calls by expected value at their price: <0, 0-2%, 2-5%, 5-10%, >=10% */
    double roi_calls, roi_calls_110, roi_side_110;
    long cal_n[SW_CAL_BINS];
    double cal_p[SW_CAL_BINS], cal_freq[SW_CAL_BINS], brier;
    /* the same rows in ten equal-count groups by P(over) (deciles): a forecast near 0.5
     * fills two of the fixed bins, the deciles still show whether it sorts the outcomes */
    long rel_n[SW_CAL_BINS];
    double rel_p[SW_CAL_BINS], rel_freq[SW_CAL_BINS];
    long n_cal;
    long n_base;
    double mae_line, mae_season, mae_last10, mae_same; /* mae_same: this system on those rows */
    long n_market;                  /* rows with P(over), a decided side and both prices */
    double brier_market, brier_same; /* the market's de-vigged P(over), and this system's, on them */
    sw_hits side_season, side_last10;
} sw_metrics;

/* Wilson 95% interval of k successes in n. */
void sw_wilson(long k, long n, double *lo, double *hi);
void sw_metrics_compute(const sw_graded *g, long n, sw_metrics *m);

/* Graded rows of one system ("final" for the coordinator's calls) between two
 * dates (inclusive; -1 = open), every model version (sw_store_graded). */
int sw_metrics_load(sw_store *st, const char *system, int from, int to, sw_graded **rows, long *n, sw_error *err);

void sw_metrics_print_header(FILE *out);
void sw_metrics_print_row(const char *name, const sw_metrics *m, FILE *out);
void sw_metrics_print_detail(const char *name, const sw_metrics *m, FILE *out);
/* One system's metrics as a JSON object (every breakdown; NaN as null) written
 * into `w` where a value may go (an array element, or after sw_jw_key). */
void sw_metrics_json(sw_jw *w, const char *name, const sw_metrics *m);

#endif
