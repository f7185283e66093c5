/* stack: the stacked meta-model, a Ridge regression of actual points on the
 * systems' out-of-fold predictions (intercept fitted and saved, unlike the
 * original's V8 stack), plus a model of the predictive spread that grows with
 * the player's volatility and the expected points:
 * sigma = sqrt(pi/2) * (a + b * points_std_last_10 + c * prediction), fitted on
 * the absolute residuals, which P(over) uses; and the market anchor of market.h.
 *
 * Ownership: plain values.  Thread-safety: reentrant.
 */
#ifndef SW_STACK_H
#define SW_STACK_H

#include <stddef.h>

#include "core/status.h"
#include "market.h"
#include "systems.h"

typedef struct {
    int k;                       /* stacked systems */
    int sys[SW_SYS_COUNT];       /* their ids, in coefficient order */
    double coef[SW_SYS_COUNT];
    double intercept;
    double lambda;               /* Ridge penalty (on centred inputs; the intercept is free) */
    double sigma_a, sigma_b, sigma_c; /* spread model (sigma_c: 0 in stacks written before it) */
    long rows;                   /* rows fitted */
    double mae, mae_sys[SW_SYS_COUNT]; /* on the fitted rows: the stack's and each system's */
    /* the forecast anchored on the market and P(over) (market.h); sw_market_init's
     * defaults until sw_market_fit runs on out-of-fold rows */
    sw_market mk;
} sw_stack;

/* Fit on n rows: P is n x k (row-major) predictions of systems sys[0..k);
 * rows where any prediction, y or std10 is not finite are left out.  Needs at
 * least 10 * (k + 1) complete rows (SW_INVALID_DATA otherwise). */
int sw_stack_fit(const double *P, const double *y, const float *std10, long n, int k, const int *sys, double lambda,
                 sw_stack *out, sw_error *err);

/* Combine one row's predictions, indexed by system id (NaN = none).  A stacked
 * system without a prediction is replaced by the mean of those present; with
 * fewer than two present the result is NaN.  *sigma gets the spread. */
double sw_stack_predict(const sw_stack *s, const double pred_by_sys[SW_SYS_COUNT], float std10, double *sigma,
                        int *n_present);

/* JSON (the model store's stack.json). */
int sw_stack_to_json(const sw_stack *s, char **data, size_t *len, sw_error *err);
int sw_stack_from_json(const char *name, const char *data, size_t len, sw_stack *out, sw_error *err);

#endif
