/* market: the forecast anchored on the line and P(over) blended with the
 * market (see market.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "market.h"

void sw_market_init(sw_market *mk)
{
    memset(mk, 0, sizeof *mk);
    mk->b = 1;
    mk->shrink_rows = 1000;
    mk->prior = 100;
    mk->hold_mae_model = mk->hold_mae_market = mk->hold_ll_model = mk->hold_ll_market = NAN;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[0..n) (sorts v). */
static double median(double *v, long n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_dbl);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double logit(double p)
{
    p = p < 1e-4 ? 1e-4 : p > 1 - 1e-4 ? 1 - 1e-4 : p;
    return log(p / (1 - p));
}

double sw_prob_over_decided(double med, double sigma, double line)
{
    if (!isfinite(med) || !isfinite(line) || !(sigma > 0)) return NAN;
    double t_over = line == floor(line) ? line + 0.5 : line, t_under = line == floor(line) ? line - 0.5 : line;
    double po = 0.5 * erfc((t_over - med) / (sigma * sqrt(2.0))), pu = 0.5 * erfc(-(t_under - med) / (sigma * sqrt(2.0)));
    return po + pu > 0 ? po / (po + pu) : 0.5;
}

/* The two inputs of the probability model of one row. */
static void prob_inputs(const sw_market *mk, double m, double sigma, double line, double p_mkt, double *x1, double *x2)
{
    *x1 = logit(isfinite(p_mkt) ? p_mkt : 0.5);
    *x2 = logit(sw_prob_over_decided(m - mk->shift, sigma, line));
}

/* A lined row usable by the anchor, and one decided (not a push) for P(over). */
static int lined(const double *m, const double *y, const double *line, long i)
{
    return isfinite(m[i]) && isfinite(y[i]) && isfinite(line[i]);
}
static int decided(const double *m, const double *sigma, const double *y, const double *line, long i)
{
    return lined(m, y, line, i) && sigma[i] > 0 && y[i] != line[i];
}

/* The anchor's share on lined rows [lo, hi) (e, r: the model's and the outcome's
 * distance from the market's median, bias subtracted): the grid point of the
 * lowest absolute error, before shrinkage. */
static double fit_share(const double *e, const double *r, long lo, long hi)
{
    double best = 0, best_g = 0;
    for (int gi = 0; gi <= 50; gi++) {
        double g = gi / 50.0, loss = 0;
        for (long i = lo; i < hi; i++) loss += fabs(r[i] - g * e[i]);
        if (gi == 0 || loss < best * (1 - 1e-12)) {
            best = loss;
            best_g = g;
        }
    }
    return best_g;
}

/* P(over)'s (a, b, c) on the decided rows among [0, end): Newton's method on
 * the penalised log-likelihood, the penalty pulling towards (0, 1, 0).  0 on
 * failure (th untouched). */
static int fit_prob(const sw_market *mk, const double *m, const double *sigma, const double *y, const double *line,
                    const double *p_mkt, long end, double prior, double th_out[3])
{
    double th[3] = {0, 1, 0};
    for (int it = 0; it < 50; it++) {
        double g[3] = {-prior * th[0], -prior * (th[1] - 1), -prior * th[2]};
        double H[9] = {prior, 0, 0, 0, prior, 0, 0, 0, prior};
        for (long i = 0; i < end; i++) {
            if (!decided(m, sigma, y, line, i)) continue;
            double x[3] = {1, 0, 0};
            prob_inputs(mk, m[i], sigma[i], line[i], p_mkt[i], &x[1], &x[2]);
            double p = 1 / (1 + exp(-(th[0] + th[1] * x[1] + th[2] * x[2]))), wt = p * (1 - p);
            double res = (y[i] > line[i]) - p;
            for (int a = 0; a < 3; a++) {
                g[a] += res * x[a];
                for (int b = 0; b < 3; b++) H[a * 3 + b] += wt * x[a] * x[b];
            }
        }
        /* solve H d = g (3 x 3, symmetric positive definite: Cramer's rule) */
        double det = H[0] * (H[4] * H[8] - H[5] * H[7]) - H[1] * (H[3] * H[8] - H[5] * H[6]) +
                     H[2] * (H[3] * H[7] - H[4] * H[6]);
        if (!(fabs(det) > 0)) return 0;
        double step = 0;
        for (int c = 0; c < 3; c++) {
            double M[9];
            memcpy(M, H, sizeof M);
            for (int a = 0; a < 3; a++) M[a * 3 + c] = g[a];
            double d = (M[0] * (M[4] * M[8] - M[5] * M[7]) - M[1] * (M[3] * M[8] - M[5] * M[6]) +
                        M[2] * (M[3] * M[7] - M[4] * M[6])) /
                       det;
            th[c] += d;
            step += fabs(d);
        }
        if (!(isfinite(th[0]) && isfinite(th[1]) && isfinite(th[2]))) return 0;
        if (step < 1e-10) break;
    }
    memcpy(th_out, th, sizeof th);
    return 1;
}

/* Log loss on the decided rows among [lo, hi) of the blend th. */
static double log_loss(const sw_market *mk, const double *m, const double *sigma, const double *y, const double *line,
                       const double *p_mkt, long lo, long hi, const double th[3])
{
    double ll = 0;
    for (long i = lo; i < hi; i++) {
        if (!decided(m, sigma, y, line, i)) continue;
        double x1, x2;
        prob_inputs(mk, m[i], sigma[i], line[i], p_mkt[i], &x1, &x2);
        double z = th[0] + th[1] * x1 + th[2] * x2, o = y[i] > line[i] ? z : -z;
        ll += o > 0 ? log1p(exp(-o)) : -o + log1p(exp(o)); /* -log(logistic(o)) */
    }
    return ll;
}

void sw_market_fit(sw_market *mk, const double *m, const double *sigma, const double *y, const double *line,
                   const double *p_mkt, long n, double shrink_rows, double prior)
{
    sw_market_init(mk);
    mk->shrink_rows = shrink_rows;
    mk->prior = prior;
    double *buf = sw_alloc_array((size_t)n * 3 + 1, sizeof *buf);
    if (!buf) return; /* out of memory: the defaults, the market alone */
    double *e = buf + n, *r = buf + 2 * n;
    long k = 0;
    for (long i = 0; i < n; i++)
        if (isfinite(m[i]) && isfinite(y[i])) buf[k++] = m[i] - y[i];
    mk->rows = k;
    if (k >= 100) mk->shift = median(buf, k);

    /* the rows are in time order: the last third of each kind is the holdout that
     * decides whether a fitted part beats the market there before it is refitted
     * on every row (a part that does not keeps its default) */
    long nl = 0;
    for (long i = 0; i < n; i++)
        if (lined(m, y, line, i)) {
            double med = sw_market_median(line[i], p_mkt[i], sigma[i]);
            e[nl] = m[i] - mk->shift - med;
            r[nl] = y[i] - med;
            buf[nl] = e[nl];
            nl++;
        }
    mk->rows_line = nl;
    if (nl >= 100) {
        long cut = nl - nl / 3;
        memcpy(buf, e, sizeof *buf * (size_t)cut);
        double bias = median(buf, cut);
        for (long i = 0; i < nl; i++) e[i] -= bias;
        double g = fit_share(e, r, 0, cut) * (double)cut / ((double)cut + shrink_rows);
        double lm = 0, l0 = 0;
        for (long i = cut; i < nl; i++) {
            lm += fabs(r[i] - g * e[i]);
            l0 += fabs(r[i]);
        }
        mk->hold_mae_model = lm / (double)(nl - cut);
        mk->hold_mae_market = l0 / (double)(nl - cut);
        mk->fitted_w = 1;
        if (lm < l0) { /* it paid on the later rows: every row's fit */
            for (long i = 0; i < nl; i++) e[i] += bias;
            memcpy(buf, e, sizeof *buf * (size_t)nl);
            mk->bias = median(buf, nl);
            for (long i = 0; i < nl; i++) e[i] -= mk->bias;
            mk->w = fit_share(e, r, 0, nl) * (double)nl / ((double)nl + shrink_rows);
        }
    }

    /* P(over): fitted on the earlier decided rows, kept if its log loss on the
     * later ones beats the market's own */
    long np = 0, cut_i = 0, seen = 0;
    for (long i = 0; i < n; i++) np += decided(m, sigma, y, line, i);
    mk->rows_prob = np;
    if (np >= 200) {
        for (cut_i = 0; cut_i < n && seen < np - np / 3; cut_i++) seen += decided(m, sigma, y, line, cut_i);
        double th[3], th0[3] = {0, 1, 0};
        if (fit_prob(mk, m, sigma, y, line, p_mkt, cut_i, prior, th)) {
            long nh = np - seen;
            mk->hold_ll_model = log_loss(mk, m, sigma, y, line, p_mkt, cut_i, n, th) / (double)nh;
            mk->hold_ll_market = log_loss(mk, m, sigma, y, line, p_mkt, cut_i, n, th0) / (double)nh;
            mk->fitted_p = 1;
            if (mk->hold_ll_model < mk->hold_ll_market && fit_prob(mk, m, sigma, y, line, p_mkt, n, prior, th)) {
                mk->a = th[0];
                mk->b = th[1];
                mk->c = th[2];
            }
        }
    }
    sw_free(buf);
}

double sw_market_median(double line, double p_mkt, double sigma)
{
    if (!isfinite(line)) return NAN;
    if (!isfinite(p_mkt) || !(sigma > 0)) return line;
    double lo = line - 6 * sigma, hi = line + 6 * sigma;
    for (int it = 0; it < 60; it++) { /* sw_prob_over_decided rises with the median */
        double mid = 0.5 * (lo + hi);
        if (sw_prob_over_decided(mid, sigma, line) < p_mkt) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

double sw_market_pred(const sw_market *mk, double m, double sigma, double line, double p_mkt)
{
    if (!isfinite(m)) return NAN;
    if (!isfinite(line)) return m - mk->shift;
    double med = sw_market_median(line, p_mkt, sigma);
    return med + mk->w * (m - mk->shift - med - mk->bias);
}

double sw_market_prob_over(const sw_market *mk, double m, double sigma, double line, double p_mkt)
{
    if (!isfinite(line) || !(sigma > 0)) return NAN;
    if (mk->a == 0 && mk->b == 1 && mk->c == 0) return isfinite(p_mkt) ? p_mkt : 0.5;
    double x1, x2;
    prob_inputs(mk, m, sigma, line, p_mkt, &x1, &x2);
    if (!isfinite(x2)) return isfinite(p_mkt) ? p_mkt : 0.5;
    return 1 / (1 + exp(-(mk->a + mk->b * x1 + mk->c * x2)));
}
