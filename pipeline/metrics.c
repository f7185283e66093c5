/* metrics: the measurements of metrics.h from graded rows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "grade.h"
#include "metrics.h"

void sw_wilson(long k, long n, double *lo, double *hi)
{
    if (n <= 0) {
        *lo = *hi = NAN;
        return;
    }
    double z = 1.959964, p = (double)k / n, z2 = z * z, d = 1 + z2 / n;
    double c = (p + z2 / (2.0 * n)) / d, h = z * sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / d;
    *lo = c - h;
    *hi = c + h;
}

static void bet(sw_hits *h, int hit, double price)
{
    h->n++;
    h->hits += hit;
    h->units += hit ? sw_units_won(price) : -1.0;
    h->units_110 += hit ? 100.0 / 110.0 : -1.0;
}

static void finish(sw_hits *h)
{
    h->rate = h->n ? (double)h->hits / h->n : NAN;
    sw_wilson(h->hits, h->n, &h->lo, &h->hi);
}

/* A side bet of `pred` against the line: 1 hit, 0 miss, -1 none (no edge or a push). */
static int side_outcome(double pred, double line, double actual, int *over)
{
    if (!isfinite(pred) || !isfinite(line) || pred == line || actual == line) return -1;
    *over = pred > line;
    return *over ? actual > line : actual < line;
}

static int cmp_pair(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Deciles of P(over) over the calibration rows (pairs of P and outcome). */
static void deciles(const sw_graded *g, long n, sw_metrics *m)
{
    double *pr = sw_alloc_array((size_t)m->n_cal * 2 + 2, sizeof *pr);
    if (!pr) return; /* out of memory: no deciles */
    long k = 0;
    for (long i = 0; i < n; i++) {
        const sw_graded *r = &g[i];
        if (!isfinite(r->actual) || !isfinite(r->p_over) || !isfinite(r->line) || r->actual == r->line) continue;
        pr[2 * k] = r->p_over;
        pr[2 * k + 1] = r->actual > r->line;
        k++;
    }
    qsort(pr, (size_t)k, 2 * sizeof *pr, cmp_pair);
    for (int d = 0; d < SW_CAL_BINS; d++) {
        long a = k * d / SW_CAL_BINS, b = k * (d + 1) / SW_CAL_BINS;
        double sp = 0, sy = 0;
        for (long i = a; i < b; i++) {
            sp += pr[2 * i];
            sy += pr[2 * i + 1];
        }
        m->rel_n[d] = b - a;
        m->rel_p[d] = b > a ? sp / (double)(b - a) : NAN;
        m->rel_freq[d] = b > a ? sy / (double)(b - a) : NAN;
    }
    sw_free(pr);
}

void sw_metrics_compute(const sw_graded *g, long n, sw_metrics *m)
{
    memset(m, 0, sizeof *m);
    double ae = 0, se = 0, b = 0, w3 = 0, w5 = 0, brier = 0;
    double bl = 0, bs = 0, b10 = 0, bsame = 0, bm = 0, bsm = 0;
    for (long i = 0; i < n; i++) {
        const sw_graded *r = &g[i];
        if (!isfinite(r->actual)) continue; /* voided */
        if (isfinite(r->pred)) {
            double e = r->pred - r->actual;
            m->n++;
            ae += fabs(e);
            se += e * e;
            b += e;
            w3 += fabs(e) <= 3;
            w5 += fabs(e) <= 5;
        }
        int over, o = side_outcome(r->pred, r->line, r->actual, &over);
        if (o >= 0) {
            double price = over ? r->over_price : r->under_price, edge = fabs(r->pred - r->line);
            bet(&m->side, o, price);
            if (edge >= 3) bet(&m->side_edge3, o, price);
            bet(&m->edge[edge < 1 ? 0 : edge < 3 ? 1 : edge < 5 ? 2 : 3], o, price);
        }
        if (sw_call_is_bet(r->call) && isfinite(r->line) && r->actual != r->line) {
            int ov = r->call == SW_CALL_OVER, hit = ov ? r->actual > r->line : r->actual < r->line;
            double price = ov ? r->over_price : r->under_price;
            bet(&m->calls, hit, price);
            bet(&m->conf[r->conf < 55 ? 0 : r->conf < 60 ? 1 : r->conf < 65 ? 2 : 3], hit, price);
            if ((unsigned)r->tier < 5) bet(&m->tier[r->tier], hit, price);
            if (isfinite(r->p_over)) {
                double ev = (ov ? r->p_over : 1 - r->p_over) * sw_decimal_odds(price) - 1;
                bet(&m->ev[ev < 0 ? 0 : ev < 0.02 ? 1 : ev < 0.05 ? 2 : ev < 0.10 ? 3 : 4], hit, price);
            }
        }
        if (isfinite(r->p_over) && isfinite(r->line) && r->actual != r->line) {
            int y = r->actual > r->line, bin = (int)(r->p_over * SW_CAL_BINS);
            bin = bin < 0 ? 0 : bin >= SW_CAL_BINS ? SW_CAL_BINS - 1 : bin;
            m->cal_n[bin]++;
            m->cal_p[bin] += r->p_over;
            m->cal_freq[bin] += y;
            brier += (r->p_over - y) * (r->p_over - y);
            m->n_cal++;
            double pm = r->p_market > 0 && r->p_market < 1 ? r->p_market : sw_devig_over(r->over_price, r->under_price);
            if (isfinite(pm)) {
                m->n_market++;
                bm += (pm - y) * (pm - y);
                bsm += (r->p_over - y) * (r->p_over - y);
            }
        }
        if (isfinite(r->line) && isfinite(r->pred) && isfinite(r->season_avg) && isfinite(r->last10_avg)) {
            m->n_base++;
            bl += fabs(r->line - r->actual);
            bs += fabs(r->season_avg - r->actual);
            b10 += fabs(r->last10_avg - r->actual);
            bsame += fabs(r->pred - r->actual);
            int ov;
            int os = side_outcome(r->season_avg, r->line, r->actual, &ov);
            if (os >= 0) bet(&m->side_season, os, ov ? r->over_price : r->under_price);
            int ol = side_outcome(r->last10_avg, r->line, r->actual, &ov);
            if (ol >= 0) bet(&m->side_last10, ol, ov ? r->over_price : r->under_price);
        }
    }
    if (m->n) {
        m->mae = ae / m->n;
        m->rmse = sqrt(se / m->n);
        m->bias = b / m->n;
        m->within3 = w3 / m->n;
        m->within5 = w5 / m->n;
    } else {
        m->mae = m->rmse = m->bias = m->within3 = m->within5 = NAN;
    }
    finish(&m->side);
    finish(&m->side_edge3);
    finish(&m->calls);
    for (int k = 0; k < SW_EDGE_BUCKETS; k++) finish(&m->edge[k]);
    for (int k = 0; k < SW_CONF_BUCKETS; k++) finish(&m->conf[k]);
    for (int k = 0; k < 5; k++) finish(&m->tier[k]);
    for (int k = 0; k < SW_EV_BUCKETS; k++) finish(&m->ev[k]);
    finish(&m->side_season);
    finish(&m->side_last10);
    m->roi_calls = m->calls.n ? m->calls.units / m->calls.n : NAN;
    m->roi_calls_110 = m->calls.n ? m->calls.units_110 / m->calls.n : NAN;
    m->roi_side_110 = m->side.n ? m->side.units_110 / m->side.n : NAN;
    for (int k = 0; k < SW_CAL_BINS; k++)
        if (m->cal_n[k]) {
            m->cal_p[k] /= m->cal_n[k];
            m->cal_freq[k] /= m->cal_n[k];
        }
    m->brier = m->n_cal ? brier / m->n_cal : NAN;
    for (int d = 0; d < SW_CAL_BINS; d++) m->rel_p[d] = m->rel_freq[d] = NAN;
    if (m->n_cal) deciles(g, n, m);
    m->brier_market = m->n_market ? bm / m->n_market : NAN;
    m->brier_same = m->n_market ? bsm / m->n_market : NAN;
    if (m->n_base) {
        m->mae_line = bl / m->n_base;
        m->mae_season = bs / m->n_base;
        m->mae_last10 = b10 / m->n_base;
        m->mae_same = bsame / m->n_base;
    } else {
        m->mae_line = m->mae_season = m->mae_last10 = m->mae_same = NAN;
    }
}

int sw_metrics_load(sw_store *st, const char *system, int from, int to, sw_graded **rows, long *n, sw_error *err)
{
    return sw_store_graded(st, system, from, to, rows, n, err);
}

static void hits_txt(const sw_hits *h, char *buf, size_t cap)
{
    if (!h->n) snprintf(buf, cap, "-");
    else snprintf(buf, cap, "%.1f%% [%.1f, %.1f] n=%ld", 100 * h->rate, 100 * h->lo, 100 * h->hi, h->n);
}

void sw_metrics_print_header(FILE *out)
{
    fprintf(out, "%-15s %6s %6s %6s %6s %6s %6s | %-27s | %-27s | %-27s %7s %7s\n", "SYSTEM", "N", "MAE", "LINE",
            "BIAS", "BRIER", "MARKET", "SIDE HIT RATE [95%]", "EDGE >= 3", "CALLS", "ROI", "ROI-110");
}

void sw_metrics_print_row(const char *name, const sw_metrics *m, FILE *out)
{
    char a[64], b[64], c[64], roi[16] = "-", roi2[16] = "-";
    hits_txt(&m->side, a, sizeof a);
    hits_txt(&m->side_edge3, b, sizeof b);
    hits_txt(&m->calls, c, sizeof c);
    if (m->calls.n) {
        snprintf(roi, sizeof roi, "%+.1f%%", 100 * m->roi_calls);
        snprintf(roi2, sizeof roi2, "%+.1f%%", 100 * m->roi_calls_110);
    }
    char br[16] = "-", bm[16] = "-";
    if (m->n_cal) snprintf(br, sizeof br, "%.4f", m->brier);
    if (m->n_market) snprintf(bm, sizeof bm, "%.4f", m->brier_market);
    fprintf(out, "%-15s %6ld %6.3f %6.3f %+6.2f %6s %6s | %-27s | %-27s | %-27s %7s %7s\n", name, m->n, m->mae,
            m->mae_line, m->bias, br, bm, a, b, c, roi, roi2);
}

void sw_metrics_print_detail(const char *name, const sw_metrics *m, FILE *out)
{
    char t[64];
    fprintf(out, "%s: MAE %.3f, RMSE %.3f, bias %+.3f, within 3 %.1f%%, within 5 %.1f%% (%ld graded)\n", name, m->mae,
            m->rmse, m->bias, 100 * m->within3, 100 * m->within5, m->n);
    fprintf(out, "  baselines on the same %ld player-games: this system %.3f, the line %.3f, season average %.3f, "
                 "last-10 %.3f\n",
            m->n_base, m->mae_same, m->mae_line, m->mae_season, m->mae_last10);
    hits_txt(&m->side_season, t, sizeof t);
    fprintf(out, "  side bets of the season average vs the line: %s;", t);
    hits_txt(&m->side_last10, t, sizeof t);
    fprintf(out, " of the last-10 average: %s\n", t);
    static const char *const eb[SW_EDGE_BUCKETS] = {"<1", "1-3", "3-5", ">=5"};
    fprintf(out, "  side bets by edge:");
    for (int k = 0; k < SW_EDGE_BUCKETS; k++) {
        hits_txt(&m->edge[k], t, sizeof t);
        fprintf(out, "  %s: %s", eb[k], t);
    }
    static const char *const cb[SW_CONF_BUCKETS] = {"<55", "55-60", "60-65", ">=65"};
    fprintf(out, "\n  calls by confidence:");
    for (int k = 0; k < SW_CONF_BUCKETS; k++) {
        hits_txt(&m->conf[k], t, sizeof t);
        fprintf(out, "  %s: %s", cb[k], t);
    }
    static const char *const vb[SW_EV_BUCKETS] = {"<0", "0-2%", "2-5%", "5-10%", ">=10%"};
    fprintf(out, "\n  calls by expected value:");
    for (int k = 0; k < SW_EV_BUCKETS; k++) {
        hits_txt(&m->ev[k], t, sizeof t);
        fprintf(out, "  %s: %s", vb[k], t);
    }
    fprintf(out, "\n  calls by tier:");
    for (int k = 4; k >= 0; k--) {
        if (!m->tier[k].n) continue;
        hits_txt(&m->tier[k], t, sizeof t);
        fprintf(out, "  %s: %s", sw_tier_name((sw_tier)k), t);
    }
    fprintf(out, "\n  calibration of P(over) (%ld rows, Brier %.4f):", m->n_cal, m->brier);
    for (int k = 0; k < SW_CAL_BINS; k++)
        if (m->cal_n[k]) fprintf(out, " %.2f->%.2f (%ld)", m->cal_p[k], m->cal_freq[k], m->cal_n[k]);
    fprintf(out, "\n  reliability by decile of P(over):");
    for (int k = 0; k < SW_CAL_BINS; k++)
        if (m->rel_n[k]) fprintf(out, " %.3f->%.3f (%ld)", m->rel_p[k], m->rel_freq[k], m->rel_n[k]);
    fprintf(out, "\n");
    if (m->n_market)
        fprintf(out, "  P(over) against the market on the %ld rows with its probability: Brier %.4f, the market's "
                     "de-vigged %.4f\n",
                m->n_market, m->brier_same, m->brier_market);
}

static void jhits(sw_jw *w, const char *key, const sw_hits *h)
{
    sw_jw_key(w, key);
    sw_jw_obj_begin(w);
    sw_jw_kint(w, "n", h->n);
    sw_jw_kint(w, "hits", h->hits);
    sw_jw_kf64(w, "rate", h->rate);
    sw_jw_kf64(w, "lo", h->lo);
    sw_jw_kf64(w, "hi", h->hi);
    sw_jw_kf64(w, "units", h->units);
    sw_jw_kf64(w, "units_110", h->units_110);
    sw_jw_obj_end(w);
}

void sw_metrics_json(sw_jw *w, const char *name, const sw_metrics *m)
{
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "system", name);
    sw_jw_kint(w, "n", m->n);
    sw_jw_kint(w, "excluded_lookahead", m->excluded);
    sw_jw_kf64(w, "mae", m->mae);
    sw_jw_kf64(w, "rmse", m->rmse);
    sw_jw_kf64(w, "bias", m->bias);
    sw_jw_kf64(w, "within_3", m->within3);
    sw_jw_kf64(w, "within_5", m->within5);
    jhits(w, "side", &m->side);
    jhits(w, "side_edge3", &m->side_edge3);
    jhits(w, "calls", &m->calls);
    sw_jw_kf64(w, "roi_calls", m->roi_calls);
    sw_jw_kf64(w, "roi_calls_110", m->roi_calls_110);
    static const char *const eb[SW_EDGE_BUCKETS] = {"edge_lt1", "edge_1_3", "edge_3_5", "edge_ge5"};
    for (int k = 0; k < SW_EDGE_BUCKETS; k++) jhits(w, eb[k], &m->edge[k]);
    static const char *const cb[SW_CONF_BUCKETS] = {"conf_lt55", "conf_55_60", "conf_60_65", "conf_ge65"};
    for (int k = 0; k < SW_CONF_BUCKETS; k++) jhits(w, cb[k], &m->conf[k]);
    static const char *const vb[SW_EV_BUCKETS] = {"ev_lt0", "ev_0_2", "ev_2_5", "ev_5_10", "ev_ge10"};
    for (int k = 0; k < SW_EV_BUCKETS; k++) jhits(w, vb[k], &m->ev[k]);
    for (int k = 0; k < 5; k++) {
        char key[32];
        snprintf(key, sizeof key, "tier_%s", sw_tier_name((sw_tier)k));
        jhits(w, key, &m->tier[k]);
    }
    sw_jw_key(w, "calibration");
    sw_jw_arr_begin(w);
    for (int k = 0; k < SW_CAL_BINS; k++) {
        sw_jw_obj_begin(w);
        sw_jw_kint(w, "n", m->cal_n[k]);
        sw_jw_kf64(w, "p", m->cal_n[k] ? m->cal_p[k] : NAN);
        sw_jw_kf64(w, "freq", m->cal_n[k] ? m->cal_freq[k] : NAN);
        sw_jw_obj_end(w);
    }
    sw_jw_arr_end(w);
    sw_jw_key(w, "reliability");
    sw_jw_arr_begin(w);
    for (int k = 0; k < SW_CAL_BINS; k++) {
        sw_jw_obj_begin(w);
        sw_jw_kint(w, "n", m->rel_n[k]);
        sw_jw_kf64(w, "p", m->rel_p[k]);
        sw_jw_kf64(w, "freq", m->rel_freq[k]);
        sw_jw_obj_end(w);
    }
    sw_jw_arr_end(w);
    sw_jw_kf64(w, "brier", m->brier);
    sw_jw_key(w, "baselines");
    sw_jw_obj_begin(w);
    sw_jw_kint(w, "n", m->n_base);
    sw_jw_kf64(w, "mae_system", m->mae_same);
    sw_jw_kf64(w, "mae_line", m->mae_line);
    sw_jw_kf64(w, "mae_season_avg", m->mae_season);
    sw_jw_kf64(w, "mae_last10_avg", m->mae_last10);
    sw_jw_kint(w, "n_market", m->n_market);
    sw_jw_kf64(w, "brier_system", m->brier_same);
    sw_jw_kf64(w, "brier_market", m->brier_market);
    jhits(w, "side_season_avg", &m->side_season);
    jhits(w, "side_last10_avg", &m->side_last10);
    sw_jw_obj_end(w);
    sw_jw_obj_end(w);
}
