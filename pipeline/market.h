/* market: the coordinator's forecast anchored on the sportsbook market.
 *
 * The line is a median set by an efficient market: a model that ignores it
 * loses to it (measured: every system's MAE 5.2-5.5 against the line's 4.9 on
 * the real lines).  So the line is the forecast's anchor and the systems only
 * move it, by what out-of-sample rows say they are worth:
 *
 *   median       m - shift, where m is the stack's (mean) prediction and shift
 *                the median of (m - actual) on the fitted rows: the mean of a
 *                right-skewed count to its median
 *   market       the market's own median: the line moved by what the books'
 *                prices say (a line of 20.5 at -140 over means a median above
 *                20.5): the median of a normal with the row's spread whose
 *                P(over | not a push) at the line is the de-vigged p_market;
 *                the line itself without prices
 *   anchored     market + w (m - shift - market - bias) on a row with a line:
 *                bias is the median lean of the model against the market, w
 *                the share of the rest that lowered the absolute error on the
 *                fitted rows (a grid over [0, 1]), shrunk by n / (n + shrink_rows)
 *   P(over)      logistic(a + b logit(p_market) + c logit(p_model)): p_market
 *                the books' de-vigged probability at the line, p_model the
 *                model's own (a normal around its median with the stack's
 *                spread, pushes left out), fitted by penalised logistic
 *                regression pulled towards (0, 1, 0), the market alone
 *
 * The rows come in time order.  Each part is first fitted on the earlier two
 * thirds of its rows and kept only if it beats the market on the later third
 * (absolute error for the anchor, log loss for P(over)); then it is refitted on
 * every row.  A part that does not beat the market there, or has too few rows
 * (100 lined, 200 decided), keeps its default: w = 0 (the market's median),
 * P(over) = p_market.  Every figure is fitted on rows before the dates it
 * serves (retrain's out-of-fold rows, the walk-forward's earlier dates), never
 * on the dates evaluated.
 *
 * Ownership: plain values.  Thread-safety: reentrant.
 */
#ifndef SW_MARKET_H
#define SW_MARKET_H

typedef struct {
    int fitted_w, fitted_p; /* which parts had rows enough to be tried (the holdout decides use) */
    long rows, rows_line, rows_prob;
    double shift;           /* median of (prediction - actual) */
    double bias, w;         /* the anchor: market + w (m - shift - market - bias) */
    double a, b, c;         /* P(over) = logistic(a + b logit(p_market) + c logit(p_model)) */
    double shrink_rows, prior; /* the fit's settings, recorded */
    /* the holdout (the later third of the rows) that decided whether each part is
     * used: absolute error per row and log loss per decided row, fitted vs market */
    double hold_mae_model, hold_mae_market, hold_ll_model, hold_ll_market;
} sw_market;

/* The defaults: shift, bias, w, a, c = 0, b = 1. */
void sw_market_init(sw_market *mk);

/* Fit on n rows: m the stack's predictions, sigma its spreads, y the actual
 * points, line the market line (NaN: none), p_mkt the de-vigged P(over) (NaN:
 * no prices).  Rows with a non-finite m or y are left out. */
void sw_market_fit(sw_market *mk, const double *m, const double *sigma, const double *y, const double *line,
                   const double *p_mkt, long n, double shrink_rows, double prior);

/* The market's median at a line (market above; the line when p_mkt is NaN). */
double sw_market_median(double line, double p_mkt, double sigma);

/* The forecast (a median): anchored on the market when the line is finite. */
double sw_market_pred(const sw_market *mk, double m, double sigma, double line, double p_mkt);

/* P(over | not a push) at the line: NaN without a finite line or spread.
 * p_mkt NaN: the market is taken as a fair coin at its line. */
double sw_market_prob_over(const sw_market *mk, double m, double sigma, double line, double p_mkt);

/* The model's own P(over | not a push): a normal with median `med` and spread
 * `sigma`, an integer line counting a push (half-point continuity). */
double sw_prob_over_decided(double med, double sigma, double line);

#endif
