/* report: the HTML report (see report.h).  Queries the store, computes the
 * metrics with pipeline/metrics, draws every chart as inline SVG.  The rows
 * of versions in rollout (systems named with a dot: "gbdt.rollout",
 * "final.champion", "final.rollout") stay out of the systems' figures and get
 * a section of their own: each candidate against its champion on the same
 * graded player-games, as the gate measures them (rollout.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/num.h"
#include "core/date.h"
#include "core/fileio.h"
#include "core/version.h"
#include "features/features.h"
#include "config.h"
#include "metrics.h"
#include "report.h"

#define MAX_SYS 8

static const char *const palette[MAX_SYS] = {"#1b6ca8", "#d1495b", "#edae49", "#66a182",
                                              "#8d6a9f", "#00798c", "#30343f", "#e07a5f"};

static void esc(FILE *o, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '&': fputs("&amp;", o); break;
        case '"': fputs("&quot;", o); break;
        default: fputc(*s, o);
        }
    }
}

/* ---- data ---- */

typedef struct {
    char name[32];
    sw_metrics m;
    sw_store_day_units *days; /* dates with calls */
    double *cum;              /* cumulative units at those dates */
    long n_days;
    sw_store_month_mae *months;
    long n_months;
} sysdata;

static int load_series(sw_store *st, sysdata *s, sw_error *err)
{
    int rc = sw_store_report_units(st, s->name, &s->days, &s->n_days, err);
    if (rc) return rc;
    if (s->n_days && !(s->cum = sw_alloc_array((size_t)s->n_days, sizeof *s->cum)))
        return sw_fail(err, SW_NOMEM, "out of memory");
    double cum = 0;
    for (long k = 0; k < s->n_days; k++) s->cum[k] = cum += s->days[k].units;
    return sw_store_report_months(st, s->name, &s->months, &s->n_months, err);
}

/* ---- SVG ---- */

typedef struct {
    double x0, x1, y0, y1; /* data range */
    int w, h, l, r, t, b;  /* size and margins */
} frame_t;

static double fx(const frame_t *f, double x) { return f->l + (x - f->x0) / (f->x1 - f->x0) * (f->w - f->l - f->r); }
static double fy(const frame_t *f, double y) { return f->h - f->b - (y - f->y0) / (f->y1 - f->y0) * (f->h - f->t - f->b); }

/* A "nice" tick step for a range. */
static double nice_step(double span, int ticks)
{
    double raw = span / (ticks > 0 ? ticks : 1), mag = pow(10, floor(log10(raw > 0 ? raw : 1))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

static void svg_begin(FILE *o, const char *id, const frame_t *f, const char *label)
{
    fprintf(o, "<svg id=\"%s\" class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"",
            id, f->w, f->h, f->w, f->h);
    esc(o, label);
    fprintf(o, "\" xmlns=\"http://www.w3.org/2000/svg\">\n");
}

static void y_axis(FILE *o, const frame_t *f, const char *fmt, double scale)
{
    double step = nice_step(f->y1 - f->y0, 5);
    for (double v = ceil(f->y0 / step) * step; v <= f->y1 + 1e-9; v += step) {
        double y = fy(f, v);
        fprintf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", f->l, f->w - f->r, y, y);
        fprintf(o, "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">", f->l - 6, y + 4);
        fprintf(o, fmt, v * scale);
        fprintf(o, "</text>\n");
    }
    fprintf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" class=\"axis\"/>\n", f->l, f->w - f->r, f->h - f->b,
            f->h - f->b);
}

static void legend(FILE *o, const frame_t *f, char names[][32], const int *colors, int n)
{
    int x = f->l + 8;
    for (int i = 0; i < n; i++) {
        fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, 8, palette[colors[i] % MAX_SYS]);
        fprintf(o, "<text x=\"%d\" y=\"%d\" class=\"legend\">", x + 16, 18);
        esc(o, names[i]);
        fprintf(o, "</text>\n");
        x += 24 + 7 * (int)strlen(names[i]);
    }
}

static void chart_units(FILE *o, sysdata *sd, int ns)
{
    frame_t f = {1e9, -1e9, 0, 0, 900, 320, 60, 20, 34, 40};
    int any = 0;
    for (int i = 0; i < ns; i++)
        for (long k = 0; k < sd[i].n_days; k++) {
            any = 1;
            f.x0 = fmin(f.x0, sd[i].days[k].date);
            f.x1 = fmax(f.x1, sd[i].days[k].date);
            f.y0 = fmin(f.y0, sd[i].cum[k]);
            f.y1 = fmax(f.y1, sd[i].cum[k]);
        }
    if (!any) {
        fprintf(o, "<p class=\"note\">No graded calls yet: run <code>swish grade</code>.</p>\n");
        return;
    }
    if (f.x1 <= f.x0) f.x1 = f.x0 + 1;
    double pad = (f.y1 - f.y0) * 0.08 + 0.5;
    f.y0 -= pad;
    f.y1 += pad;
    svg_begin(o, "units", &f, "cumulative units per system");
    y_axis(o, &f, "%+.0f", 1);
    fprintf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"zero\"/>\n", f.l, f.w - f.r, fy(&f, 0),
            fy(&f, 0));
    /* x ticks: months */
    int y, m, d;
    sw_date_civil((int)f.x0, &y, &m, &d);
    for (int k = 0; k < 48; k++) {
        int day = sw_date_from_civil(y + (m - 1 + k) / 12, (m - 1 + k) % 12 + 1, 1);
        if (day < f.x0) continue;
        if (day > f.x1) break;
        char ds[11];
        sw_date_format(day, ds);
        ds[7] = 0;
        fprintf(o, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>", fx(&f, day),
                f.h - f.b + 16, ds);
    }
    char names[MAX_SYS][32];
    int colors[MAX_SYS], nl = 0;
    for (int i = 0; i < ns; i++) {
        if (!sd[i].n_days) continue;
        fprintf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" points=\"", palette[i % MAX_SYS],
                strcmp(sd[i].name, "final") ? "1.5" : "3");
        for (long k = 0; k < sd[i].n_days; k++) fprintf(o, "%.1f,%.1f ", fx(&f, sd[i].days[k].date), fy(&f, sd[i].cum[k]));
        fprintf(o, "\"/>\n");
        memcpy(names[nl], sd[i].name, 32);
        colors[nl++] = i;
    }
    legend(o, &f, names, colors, nl);
    fprintf(o, "<text x=\"14\" y=\"%d\" class=\"tick\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">units"
               " (1 per call, actual prices)</text>\n</svg>\n",
            f.h / 2, f.h / 2);
}

static void chart_calibration(FILE *o, const sw_metrics *m)
{
    frame_t f = {0, 1, 0, 1, 420, 380, 50, 20, 20, 44};
    if (!m->n_cal) {
        fprintf(o, "<p class=\"note\">No graded probabilities yet.</p>\n");
        return;
    }
    svg_begin(o, "calibration", &f, "calibration of P(over)");
    y_axis(o, &f, "%.1f", 1);
    for (int k = 0; k <= 10; k += 2)
        fprintf(o, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%.1f</text>", fx(&f, k / 10.0),
                f.h - f.b + 16, k / 10.0);
    fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"diag\"/>\n", fx(&f, 0), fy(&f, 0),
            fx(&f, 1), fy(&f, 1));
    long maxn = 1;
    for (int k = 0; k < SW_CAL_BINS; k++) maxn = m->cal_n[k] > maxn ? m->cal_n[k] : maxn;
    /* bins of fewer than 20 rows are drawn hollow and left off the line: too few to read */
    fprintf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", palette[0]);
    for (int k = 0; k < SW_CAL_BINS; k++)
        if (m->cal_n[k] >= 20) fprintf(o, "%.1f,%.1f ", fx(&f, m->cal_p[k]), fy(&f, m->cal_freq[k]));
    fprintf(o, "\"/>\n");
    for (int k = 0; k < SW_CAL_BINS; k++)
        if (m->cal_n[k])
            fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" stroke=\"%s\"><title>P %.2f: observed "
                       "%.3f of %ld</title></circle>\n",
                    fx(&f, m->cal_p[k]), fy(&f, m->cal_freq[k]), 3 + 7 * sqrt((double)m->cal_n[k] / maxn),
                    m->cal_n[k] >= 20 ? palette[0] : "none", palette[0], m->cal_p[k], m->cal_freq[k], m->cal_n[k]);
    fprintf(o, "<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">predicted P(over)</text>", (f.l + f.w - f.r) / 2,
            f.h - 6);
    fprintf(o, "<text x=\"14\" y=\"%d\" class=\"tick\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">observed"
               " share over</text>\n</svg>\n",
            f.h / 2, f.h / 2);
}

static void chart_months(FILE *o, sysdata *sd, int ns)
{
    /* the union of months */
    char months[64][8];
    int nm = 0;
    for (int i = 0; i < ns; i++)
        for (long k = 0; k < sd[i].n_months; k++) {
            int found = 0;
            for (int j = 0; j < nm; j++) found |= !strcmp(months[j], sd[i].months[k].month);
            if (!found && nm < 64) snprintf(months[nm++], 8, "%s", sd[i].months[k].month);
        }
    if (!nm) {
        fprintf(o, "<p class=\"note\">No graded predictions yet.</p>\n");
        return;
    }
    for (int a = 1; a < nm; a++) /* sort */
        for (int b = a; b > 0 && strcmp(months[b - 1], months[b]) > 0; b--) {
            char t[8];
            memcpy(t, months[b], 8);
            memcpy(months[b], months[b - 1], 8);
            memcpy(months[b - 1], t, 8);
        }
    frame_t f = {0, nm, 0, 1, 900, 320, 50, 20, 34, 40};
    double ymax = 0;
    for (int i = 0; i < ns; i++)
        for (long k = 0; k < sd[i].n_months; k++) {
            ymax = fmax(ymax, sd[i].months[k].mae);
            if (!strcmp(sd[i].name, "final") && isfinite(sd[i].months[k].line_mae))
                ymax = fmax(ymax, sd[i].months[k].line_mae);
        }
    f.y1 = ymax * 1.15 + 0.5;
    svg_begin(o, "mae_month", &f, "MAE by month");
    y_axis(o, &f, "%.0f", 1);
    int nb = ns + 1; /* systems and the line */
    double slot = (fx(&f, 1) - fx(&f, 0)) * 0.8 / nb;
    for (int j = 0; j < nm; j++) {
        fprintf(o, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>", fx(&f, j + 0.5),
                f.h - f.b + 16, months[j]);
        for (int i = 0; i <= ns; i++) {
            double v = NAN;
            const sysdata *src = NULL;
            for (int s = 0; s < ns; s++)
                if (!strcmp(sd[s].name, "final")) src = &sd[s];
            if (i < ns) src = &sd[i];
            if (!src) continue;
            for (long k = 0; k < src->n_months; k++)
                if (!strcmp(src->months[k].month, months[j])) v = i < ns ? src->months[k].mae : src->months[k].line_mae;
            if (!isfinite(v)) continue;
            double x = fx(&f, j + 0.1) + i * slot;
            fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %.3f</title></rect>",
                    x, fy(&f, v), slot * 0.9, fy(&f, 0) - fy(&f, v), i < ns ? palette[i % MAX_SYS] : "#9aa0a6",
                    i < ns ? sd[i].name : "the line", months[j], v);
        }
        fputc('\n', o);
    }
    char names[MAX_SYS + 1][32];
    int colors[MAX_SYS + 1];
    for (int i = 0; i < ns; i++) {
        memcpy(names[i], sd[i].name, 32);
        colors[i] = i;
    }
    legend(o, &f, names, colors, ns);
    fprintf(o, "<rect x=\"%d\" y=\"24\" width=\"12\" height=\"12\" fill=\"#9aa0a6\"/><text x=\"%d\" y=\"34\" "
               "class=\"legend\">the line (as a predictor)</text>\n</svg>\n",
            f.l + 8, f.l + 24);
}

/* Each system's calls by expected value at the price taken: n, hit rate with
 * its interval, ROI at the actual prices. */
static void ev_table(FILE *o, sysdata *sd, int ns)
{
    static const char *const vb[SW_EV_BUCKETS] = {"&lt; 0", "0-2%", "2-5%", "5-10%", "&ge; 10%"};
    fprintf(o, "<h2>Calls by expected value</h2>\n<table id=\"ev\"><tr><th>system</th>");
    for (int k = 0; k < SW_EV_BUCKETS; k++) fprintf(o, "<th>EV %s</th>", vb[k]);
    fprintf(o, "</tr>\n");
    for (int i = 0; i < ns; i++) {
        fprintf(o, "<tr><td>");
        esc(o, sd[i].name);
        fprintf(o, "</td>");
        for (int k = 0; k < SW_EV_BUCKETS; k++) {
            const sw_hits *h = &sd[i].m.ev[k];
            if (!h->n) fprintf(o, "<td>-</td>");
            else
                fprintf(o, "<td>%ld: %.1f%% [%.1f, %.1f], ROI %+.1f%%</td>", h->n, 100 * h->rate, 100 * h->lo,
                        100 * h->hi, 100 * h->units / h->n);
        }
        fprintf(o, "</tr>\n");
    }
    fprintf(o, "</table>\n<p class=\"note\">Each system's OVER/UNDER calls by P(side) x the decimal odds of the "
               "price the call was made at, minus 1: the number of calls, the hit rate with its Wilson 95%% "
               "interval and the return at those prices.</p>\n");
}

static void chart_edges(FILE *o, sysdata *sd, int ns)
{
    frame_t f = {0, SW_EDGE_BUCKETS, 0.3, 0.8, 900, 320, 50, 20, 34, 40};
    static const char *const lbl[SW_EDGE_BUCKETS] = {"edge < 1", "1 - 3", "3 - 5", ">= 5"};
    svg_begin(o, "edges", &f, "hit rate by edge bucket");
    y_axis(o, &f, "%.0f%%", 100);
    double be = 110.0 / 210.0;
    fprintf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"breakeven\"/><text x=\"%d\" y=\"%.1f\" "
               "class=\"tick\">break-even at -110 (52.4%%)</text>\n",
            f.l, f.w - f.r, fy(&f, be), fy(&f, be), f.w - f.r - 190, fy(&f, be) - 4);
    double slot = (fx(&f, 1) - fx(&f, 0)) * 0.8 / (ns ? ns : 1);
    for (int k = 0; k < SW_EDGE_BUCKETS; k++) {
        fprintf(o, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>", fx(&f, k + 0.5),
                f.h - f.b + 16, lbl[k]);
        for (int i = 0; i < ns; i++) {
            const sw_hits *h = &sd[i].m.edge[k];
            if (!h->n) continue;
            double x = fx(&f, k + 0.1) + i * slot, r = fmax(f.y0, fmin(f.y1, h->rate));
            fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" opacity=\"0.85\"><title>%s %s:"
                       " %.1f%% [%.1f, %.1f] of %ld</title></rect>",
                    x, fy(&f, r), slot * 0.8, fy(&f, f.y0) - fy(&f, r), palette[i % MAX_SYS], sd[i].name, lbl[k],
                    100 * h->rate, 100 * h->lo, 100 * h->hi, h->n);
            double cx = x + slot * 0.4;
            fprintf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"err\"/>", cx, cx,
                    fy(&f, fmax(f.y0, fmin(f.y1, h->lo))), fy(&f, fmax(f.y0, fmin(f.y1, h->hi))));
        }
        fputc('\n', o);
    }
    char names[MAX_SYS][32];
    int colors[MAX_SYS];
    for (int i = 0; i < ns; i++) {
        memcpy(names[i], sd[i].name, 32);
        colors[i] = i;
    }
    legend(o, &f, names, colors, ns);
    fprintf(o, "</svg>\n");
}

static void hbars(FILE *o, const char *id, const char *label, char (*names)[48], const double *v, int n,
                  const char *fmt, const char *color)
{
    frame_t f = {0, 1, 0, 1, 900, 26 + 22 * n, 260, 60, 10, 16};
    double vmax = 0;
    for (int i = 0; i < n; i++) vmax = fmax(vmax, fabs(v[i]));
    f.x1 = vmax > 0 ? vmax : 1;
    svg_begin(o, id, &f, label);
    for (int i = 0; i < n; i++) {
        double y = f.t + 22 * i;
        fprintf(o, "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">", f.l - 8, y + 14);
        esc(o, names[i]);
        fprintf(o, "</text><rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>", f.l, y + 2,
                fmax(1, fx(&f, fabs(v[i])) - f.l), color);
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">", fx(&f, fabs(v[i])) + 6, y + 14);
        fprintf(o, fmt, v[i]);
        fprintf(o, "</text>\n");
    }
    fprintf(o, "</svg>\n");
}

/* ---- sections ---- */

static void hits_cell(FILE *o, const sw_hits *h)
{
    if (!h->n) {
        fprintf(o, "<td>-</td>");
        return;
    }
    fprintf(o, "<td class=\"%s\">%.1f%% <span class=\"ci\">[%.1f, %.1f]</span> <span class=\"n\">n=%ld</span></td>",
            h->lo > 110.0 / 210.0 ? "good" : h->hi < 110.0 / 210.0 ? "bad" : "", 100 * h->rate, 100 * h->lo,
            100 * h->hi, h->n);
}

static void metrics_table(FILE *o, sysdata *sd, int ns)
{
    fprintf(o, "<table><tr><th>system</th><th>graded</th><th>MAE</th><th>line MAE</th><th>season avg MAE</th>"
               "<th>bias</th><th>within 5</th><th>side hit rate</th><th>side, edge &ge; 3</th><th>calls hit rate</th>"
               "<th>ROI (prices)</th><th>ROI (-110)</th><th>Brier</th></tr>\n");
    for (int i = 0; i < ns; i++) {
        const sw_metrics *m = &sd[i].m;
        fprintf(o, "<tr><td><span class=\"sw\" style=\"background:%s\"></span>", palette[i % MAX_SYS]);
        esc(o, sd[i].name);
        fprintf(o, "</td><td>%ld</td><td class=\"%s\">%.3f</td><td>%.3f</td><td>%.3f</td><td>%+.2f</td><td>%.1f%%</td>",
                m->n, m->mae_same < m->mae_line ? "good" : "", m->mae, m->mae_line, m->mae_season, m->bias,
                100 * m->within5);
        hits_cell(o, &m->side);
        hits_cell(o, &m->side_edge3);
        hits_cell(o, &m->calls);
        if (m->calls.n)
            fprintf(o, "<td>%+.1f%%</td><td>%+.1f%%</td>", 100 * m->roi_calls, 100 * m->roi_calls_110);
        else
            fprintf(o, "<td>-</td><td>-</td>");
        if (isfinite(m->brier)) fprintf(o, "<td>%.4f</td></tr>\n", m->brier);
        else fprintf(o, "<td>-</td></tr>\n");
    }
    fprintf(o, "</table>\n<p class=\"note\">MAE in points on graded player-games (DNPs void); the line, season "
               "average and last-10 average are measured on the same rows. Hit rates exclude pushes; brackets are "
               "Wilson 95%% intervals; green when the whole interval is above break-even at -110 (52.4%%), red when "
               "below. Side: betting the side of every prediction against the line; calls: the system's own "
               "OVER/UNDER recommendations, one unit each.</p>\n");
}

/* ---- the rollout ---- */

static void rate_cell(FILE *o, long hits, long n)
{
    if (!n) {
        fprintf(o, "<td>-</td>");
        return;
    }
    double lo, hi;
    sw_wilson(hits, n, &lo, &hi);
    fprintf(o, "<td>%.1f%% <span class=\"ci\">[%.1f, %.1f]</span> <span class=\"n\">n=%ld</span></td>",
            100.0 * hits / n, 100 * lo, 100 * hi, n);
}

/* Each version in rollout against its champion (sw_store_report_rollout),
 * with the gate's verdict (rollout.h). */
static void rollout_section(FILE *o, sw_store *st)
{
    long rows = 0, n_out = 0;
    sw_store_rollout_cmp *r = NULL;
    sw_error e, ce;
    int rc = sw_store_report_rollout(st, &rows, &r, &n_out, &e);
    if (!rc && !rows) return;
    /* the verdict as the gate gives it (rollout.h), at the configured minimum of the environment or the default */
    sw_config cfg;
    sw_config_default(&cfg);
    if (sw_config_apply_env(&cfg, &ce)) sw_config_default(&cfg);
    fprintf(o, "<h2 id=\"rollout\">Rollout</h2>\n");
    if (rc) {
        fprintf(o, "<p class=\"note\">The rollout's rows cannot be read: ");
        esc(o, e.msg);
        fprintf(o, "</p>\n");
        return;
    }
    for (long i = 0; i < n_out; i++) {
        if (!i)
            fprintf(o, "<table><tr><th>system</th><th>candidate</th><th>champion</th><th>dates</th><th>graded</th>"
                       "<th>MAE candidate</th><th>MAE champion</th><th>difference [95%%]</th><th>final calls, rollout"
                       "</th><th>final calls, champions</th><th>verdict</th></tr>\n");
        long n = r[i].n;
        double sc = r[i].err_cand, sh = r[i].err_champ, sd = r[i].diff, sd2 = r[i].diff2;
        long cc = r[i].calls_rollout, hc = r[i].hits_rollout, ch = r[i].calls_champion, hh = r[i].hits_champion;
        double mean = n ? sd / n : NAN, lo = NAN, hi = NAN;
        if (n >= 2) {
            double var = (sd2 - n * mean * mean) / (n - 1);
            double half = 1.96 * sqrt(var > 0 ? var : 0) / sqrt((double)n);
            lo = mean - half;
            hi = mean + half;
        }
        double rh = ch ? (double)hh / ch : NAN, clo, chi; /* the candidate's interval against the champions' rate */
        sw_wilson(hc, cc, &clo, &chi);
        const char *verdict = "undecided", *cls = "";
        if (n >= cfg.min_graded && isfinite(lo)) {
            if (lo > 0 || (cc && ch && chi < rh)) verdict = "clear loss", cls = "bad";
            else if (cc && ch) verdict = "pass", cls = "good";
        }
        fprintf(o, "<tr><td>");
        esc(o, r[i].system);
        fprintf(o, "</td><td><code>");
        esc(o, r[i].candidate);
        fprintf(o, "</code></td><td><code>");
        esc(o, r[i].champions);
        fprintf(o, "</code></td><td>%s to %s</td><td>%ld</td><td>%.3f</td><td>%.3f</td>", r[i].first, r[i].last, n,
                n ? sc / n : NAN, n ? sh / n : NAN);
        if (isfinite(lo))
            fprintf(o, "<td class=\"%s\">%+.3f <span class=\"ci\">[%+.3f, %+.3f]</span></td>",
                    lo > 0 ? "bad" : hi < 0 ? "good" : "", mean, lo, hi);
        else
            fprintf(o, "<td>%+.3f</td>", mean);
        rate_cell(o, hc, cc);
        rate_cell(o, hh, ch);
        fprintf(o, "<td class=\"%s\">%s</td></tr>\n", cls, verdict);
    }
    sw_store_rollout_cmp_free(r, n_out);
    if (!n_out) {
        fprintf(o, "<p class=\"note\">Versions in rollout were scored (%ld rows) but none of their player-games is "
                   "graded yet: run <code>swish grade</code>.</p>\n",
                rows);
        return;
    }
    fprintf(o, "</table>\n<p class=\"note\">Each version in rollout against the champion on the same graded "
               "player-games (both scored, not void), over every stored date; the stack's candidate through the "
               "combined call. Difference: the candidate's absolute error minus the champion's, paired, with its 95%% "
               "interval (green when below 0, red when above). Final calls: the OVER/UNDER hit rates of the combined "
               "call with the candidates (final.rollout) and with the champions alone (final.champion) on those "
               "player-games, Wilson 95%% intervals. Verdict by the gate's rules (at least %d player-games: "
               "rollout.min_graded); <code>swish models gate</code> judges only the games since the stage began.</p>\n",
            cfg.min_graded);
}

static int tonight(FILE *o, sw_store *st, sw_error *err)
{
    sw_store_call *c;
    long rows;
    int rc = sw_store_report_calls(st, 40, &c, &rows, err);
    if (rc) return rc;
    for (long i = 0; i < rows; i++) {
        if (!i)
            fprintf(o, "<h2>Calls of %s and what drove them</h2>\n<table><tr><th>player</th><th>team</th><th>line</th>"
                       "<th>prediction</th><th>P(over)</th><th>call</th><th>confidence</th><th>largest contributions "
                       "(TreeSHAP, points)</th></tr>\n",
                    c[i].date);
        fprintf(o, "<tr><td>");
        esc(o, c[i].player_name);
        fprintf(o, "</td><td>%s v %s</td><td>%.1f <span class=\"n\">", c[i].team, c[i].opp, c[i].line);
        esc(o, c[i].book);
        fprintf(o, "</span></td><td>%.1f</td><td>%.2f</td><td class=\"%s\">%s</td><td>%.0f</td><td>", c[i].pred,
                c[i].p_over, c[i].call == SW_CALL_OVER ? "over" : "under", sw_call_name(c[i].call), c[i].conf);
        for (int t = 0; t < c[i].n_top; t++) {
            const sw_store_contrib *k = &c[i].top[t];
            int wpx = (int)fmin(60, fabs(k->phi) * 12) + 1;
            fprintf(o, "<div class=\"contrib\"><span class=\"bar %s\" style=\"width:%dpx\"></span>",
                    k->phi >= 0 ? "pos" : "neg", wpx);
            esc(o, k->feature);
            fprintf(o, " = %.3g: <b>%+.2f</b></div>", k->value, k->phi);
        }
        fprintf(o, "</td></tr>\n");
    }
    if (rows) fprintf(o, "</table>\n");
    sw_free(c);
    return SW_OK;
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

double sw_psi(const float *ref, long n_ref, const float *cur, long n_cur)
{
    if (n_ref < 10 || n_cur < 1) return NAN;
    float *s = malloc(sizeof(float) * (size_t)n_ref);
    if (!s) return NAN;
    long m = 0;
    for (long i = 0; i < n_ref; i++)
        if (isfinite(ref[i])) s[m++] = ref[i];
    qsort(s, (size_t)m, sizeof *s, cmp_f);
    float cut[9];
    for (int k = 0; k < 9; k++) cut[k] = m ? s[(long)((k + 1) * (double)m / 10)] : 0;
    free(s);
    double a[11] = {0}, b[11] = {0};
    for (int pass = 0; pass < 2; pass++) {
        const float *v = pass ? cur : ref;
        long n = pass ? n_cur : n_ref;
        double *h = pass ? b : a;
        for (long i = 0; i < n; i++) {
            int bin = 10;
            if (isfinite(v[i])) {
                bin = 0;
                while (bin < 9 && v[i] > cut[bin]) bin++;
            }
            h[bin] += 1.0 / n;
        }
    }
    double psi = 0;
    for (int k = 0; k < 11; k++) {
        double x = a[k] < 1e-4 ? 1e-4 : a[k], y = b[k] < 1e-4 ? 1e-4 : b[k];
        if (a[k] == 0 && b[k] == 0) continue;
        psi += (y - x) * log(y / x);
    }
    return psi;
}

static int drift(FILE *o, sw_store *st, sw_error *err)
{
    int ld, fd, td;
    int rc = sw_store_report_window(st, &ld, &fd, &td, err);
    if (rc) return rc;
    char latest[11] = "", from[11] = "", to[11] = "";
    fprintf(o, "<h2>Feature drift</h2>\n");
    if (ld < 0) {
        fprintf(o, "<p class=\"note\">No stored features.</p>\n");
        return SW_OK;
    }
    sw_date_format(ld, latest);
    const char *basis = "the gbdt model's training window";
    if (fd < 0 || td < 0) {
        snprintf(from, sizeof from, "0000-00-00");
        fd = -1; /* open */
        td = ld - 1;
        basis = "every earlier stored date (the training window is unknown)";
    } else {
        sw_date_format(fd, from);
    }
    sw_date_format(td, to);
    int nf = sw_feature_count();
    long cap = 20000;
    float *ref = sw_alloc_array((size_t)cap * (size_t)nf, sizeof *ref), *cur = sw_alloc_array(2000 * (size_t)nf, sizeof *cur);
    /* the last seven days of stored features (one night has too few distinct team-level values) */
    int wd = ld - 6 > td ? ld - 6 : td + 1; /* keep the periods apart */
    char week[11];
    sw_date_format(wd, week);
    long nr = 0, nc = 0;
    if (ref) rc = sw_store_report_features(st, fd, td, cap, ref, &nr, err);
    if (!rc && cur) rc = sw_store_report_features(st, wd, ld, 2000, cur, &nc, err);
    if (rc) {
        sw_free(ref);
        sw_free(cur);
        return rc;
    }
    if (nr < 50 || nc < 10) {
        fprintf(o, "<p class=\"note\">Drift needs stored features of the reference period (%s, %s to %s: %ld rows) and "
                   "of the week to %s (%ld rows). A backtest database (<code>swish backtest --db</code>) or a few weeks of "
                   "nightly runs provide them.</p>\n",
                basis, from, to, nr, latest, nc);
        sw_free(ref);
        sw_free(cur);
        return SW_OK;
    }
    char names[64][48];
    double psi[64];
    int idx[64], n = 0;
    float *a = sw_alloc_array((size_t)nr, sizeof *a), *b = sw_alloc_array((size_t)nc, sizeof *b);
    for (int c = 0; c < nf && c < 64 && a && b; c++) {
        for (long i = 0; i < nr; i++) a[i] = ref[(size_t)i * nf + c];
        for (long i = 0; i < nc; i++) b[i] = cur[(size_t)i * nf + c];
        psi[c] = sw_psi(a, nr, b, nc);
        idx[n++] = c;
    }
    for (int i = 1; i < n; i++) /* by PSI, descending */
        for (int j = i; j > 0 && (isnan(psi[idx[j - 1]]) || psi[idx[j - 1]] < psi[idx[j]]); j--) {
            int t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    int show = n < 15 ? n : 15;
    double v[15];
    for (int i = 0; i < show; i++) {
        snprintf(names[i], 48, "%s", sw_feature_name(idx[i]));
        v[i] = isfinite(psi[idx[i]]) ? psi[idx[i]] : 0;
    }
    fprintf(o, "<p>Population stability index of the %ld player-games of %s to %s against %ld stored player-games of "
               "%s (%s to %s); above 0.1 deserves a look, above 0.25 is a shift.</p>\n",
            nc, week, latest, nr, basis, from, to);
    hbars(o, "drift", "feature drift (PSI)", names, v, show, "%.3f", "#d1495b");
    sw_free(a);
    sw_free(b);
    sw_free(ref);
    sw_free(cur);
    return SW_OK;
}

static int importance(FILE *o, sw_store *st, sw_error *err)
{
    char ver[256];
    sw_store_gain g[15];
    int n;
    double all;
    int rc = sw_store_report_importance(st, ver, g, 15, &n, &all, err);
    if (rc) return rc;
    fprintf(o, "<h2>Feature importance</h2>\n");
    if (!ver[0]) {
        fprintf(o, "<p class=\"note\">No gbdt model in these runs.</p>\n");
        return SW_OK;
    }
    if (!n) {
        fprintf(o, "<p class=\"note\">The gbdt model %s records no split gains.</p>\n", ver);
        return SW_OK;
    }
    char names[15][48];
    double v[15], total = 0;
    for (int i = 0; i < n; i++) {
        memcpy(names[i], g[i].feature, sizeof names[i]);
        total += v[i] = g[i].gain;
    }
    for (int i = 0; i < n; i++) v[i] = all > 0 ? 100 * v[i] / all : v[i];
    fprintf(o, "<p>Share of the total split gain of gbdt model <code>");
    esc(o, ver);
    fprintf(o, "</code> (the top %d features hold %.0f%%).</p>\n", n, all > 0 ? 100 * total / all : 100.0);
    hbars(o, "importance", "feature importance", names, v, n, "%.1f%%", "#1b6ca8");
    return SW_OK;
}

/* ---- monitoring: the monitor's states and the 14-day MAE ratio over time ---- */

#define ROLL_DAYS 14

static int monitoring(FILE *o, sw_store *st, sysdata *sd, int ns, sw_error *err)
{
    fprintf(o, "<h2>Monitoring</h2>\n");
    sw_store_state_row *sr;
    long nsr;
    int have;
    int rc = sw_store_report_states(st, &sr, &nsr, &have, err);
    if (rc) return rc;
    if (have) {
        fprintf(o, "<table id=\"states\"><tr><th>system</th><th>state</th><th>since</th><th>set by</th><th>why</th></tr>\n");
        for (long i = 0; i < nsr; i++) {
            fprintf(o, "<tr><td>");
            esc(o, sr[i].system);
            fprintf(o, "</td><td>");
            esc(o, sr[i].state);
            fprintf(o, "</td><td>");
            esc(o, sr[i].since);
            fprintf(o, "</td><td>%s</td><td>", sr[i].manual ? "a person" : "the monitor");
            esc(o, sr[i].reason);
            fprintf(o, "</td></tr>\n");
        }
        fprintf(o, "</table>\n");
    } else {
        fprintf(o, "<p class=\"note\">No monitor states yet ('swish monitor' or 'swish nightly' records them).</p>\n");
    }
    sw_free(sr);
    /* per system and date: absolute errors of the system and of the line on graded rows with a line */
    sw_store_day_errors *de;
    long nde;
    if ((rc = sw_store_report_errors(st, &de, &nde, err))) return rc;
    int d0 = INT32_MAX, d1 = INT32_MIN;
    typedef struct {
        int sys, day;
        double e, l;
        long n;
    } cell;
    cell *c = nde ? sw_alloc_array((size_t)nde, sizeof *c) : NULL;
    long nc = 0;
    if (nde && !c) {
        sw_free(de);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    for (long r = 0; r < nde; r++) {
        int k = -1;
        for (int i = 0; i < ns; i++)
            if (!strcmp(sd[i].name, de[r].system)) k = i;
        if (k < 0) continue;
        c[nc] = (cell){k, de[r].date, de[r].err, de[r].line_err, de[r].n};
        if (c[nc].day < d0) d0 = c[nc].day;
        if (c[nc].day > d1) d1 = c[nc].day;
        nc++;
    }
    sw_free(de);
    if (!nc) {
        fprintf(o, "<p class=\"note\">No graded predictions with a line yet.</p>\n");
        sw_free(c);
        return SW_OK;
    }
    int nd = d1 - d0 + 1;
    double *ratio = sw_alloc_array((size_t)ns * (size_t)nd, sizeof *ratio);
    if (!ratio) {
        sw_free(c);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    double ymax = 1.3, ymin = 0.9;
    for (int k = 0; k < ns; k++)
        for (int d = 0; d < nd; d++) {
            double e = 0, l = 0;
            long n = 0;
            for (long i = 0; i < nc; i++)
                if (c[i].sys == k && c[i].day <= d0 + d && c[i].day > d0 + d - ROLL_DAYS) e += c[i].e, l += c[i].l, n += c[i].n;
            ratio[(size_t)k * (size_t)nd + (size_t)d] = n >= 30 && l > 0 ? e / l : NAN;
            double r = ratio[(size_t)k * (size_t)nd + (size_t)d];
            if (isfinite(r)) ymax = fmax(ymax, r), ymin = fmin(ymin, r);
        }
    frame_t f = {0, nd > 1 ? nd - 1 : 1, floor(ymin * 10) / 10, ceil(ymax * 10) / 10, 900, 320, 50, 20, 34, 40};
    svg_begin(o, "mae_ratio", &f, "14-day MAE over the line's MAE, per system");
    y_axis(o, &f, "%.2f", 1);
    fprintf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#9aa0a6\" stroke-dasharray=\"4 3\"/>\n",
            f.l, f.w - f.r, fy(&f, 1), fy(&f, 1));
    for (int k = 0; k < ns; k++) {
        fprintf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" points=\"", palette[k % MAX_SYS]);
        for (int d = 0; d < nd; d++) {
            double r = ratio[(size_t)k * (size_t)nd + (size_t)d];
            if (isfinite(r)) fprintf(o, "%.1f,%.1f ", fx(&f, d), fy(&f, r));
        }
        fprintf(o, "\"><title>%s</title></polyline>\n", sd[k].name);
    }
    char d0s[11], d1s[11];
    sw_date_format(d0, d0s);
    sw_date_format(d1, d1s);
    fprintf(o, "<text x=\"%d\" y=\"%d\" class=\"tick\">%s</text><text x=\"%d\" y=\"%d\" class=\"tick\" "
               "text-anchor=\"end\">%s</text>\n",
            f.l, f.h - f.b + 16, d0s, f.w - f.r, f.h - f.b + 16, d1s);
    char names[MAX_SYS][32];
    int colors[MAX_SYS];
    for (int i = 0; i < ns; i++) {
        memcpy(names[i], sd[i].name, 32);
        colors[i] = i;
    }
    legend(o, &f, names, colors, ns);
    fprintf(o, "</svg>\n<p class=\"note\">Each system's MAE over the line's MAE on the same graded player-games of "
               "the %d days up to each date (30 rows at least); under 1 beats the line.  The monitor's states "
               "follow the 14- and 30-day ratios (monitor.h); the feature drift below is of the stored rows.</p>\n",
            ROLL_DAYS);
    sw_free(ratio);
    sw_free(c);
    return SW_OK;
}

static const char *css =
    "body{font:14px/1.45 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#222;max-width:1000px;"
    "margin:24px auto;padding:0 16px;background:#fafafa}h1{font-size:24px;margin-bottom:2px}h2{font-size:18px;"
    "margin-top:34px;border-bottom:1px solid #ddd;padding-bottom:4px}.sub{color:#666}table{border-collapse:collapse;"
    "width:100%;font-size:13px;background:#fff}th,td{border:1px solid #e2e2e2;padding:4px 6px;text-align:left;"
    "vertical-align:top}th{background:#f0f2f5}.ci,.n{color:#777;font-size:11px}.good{color:#137333;font-weight:600}"
    ".bad{color:#b3261e}.over{color:#137333;font-weight:600}.under{color:#b3261e;font-weight:600}.note{color:#666;"
    "font-size:12px}.sw{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}"
    "svg.chart{background:#fff;border:1px solid #e2e2e2;margin:6px 0;max-width:100%;height:auto}"
    ".grid{stroke:#eee}.axis{stroke:#999}.zero{stroke:#666;stroke-dasharray:4 3}.diag{stroke:#999;"
    "stroke-dasharray:4 3}.breakeven{stroke:#b3261e;stroke-dasharray:5 4}.err{stroke:#222;stroke-width:1.5}"
    "text.tick{font-size:11px;fill:#555}text.legend{font-size:12px;fill:#333}.contrib{font-size:12px;white-space:nowrap}"
    ".bar{display:inline-block;height:9px;margin-right:6px;vertical-align:middle}.pos{background:#66a182}"
    ".neg{background:#d1495b}code{background:#eef;padding:0 3px}.grid2{display:flex;gap:16px;flex-wrap:wrap}";

static const char *script =
    "window.addEventListener('load',function(){var bad=0;document.querySelectorAll('svg.chart').forEach(function(s){"
    "var b=s.getBBox();if(!(b.width>0&&b.height>0)){bad++;console.error('empty chart '+s.id);}});"
    "document.body.setAttribute('data-charts-ok',bad===0?'yes':'no');});";

static int report_write(sw_store *st, const sw_report_opts *o, const char *out_path, sw_error *err)
{
    sw_store_name names[MAX_SYS];
    int ns = 0;
    sysdata sd[MAX_SYS];
    memset(sd, 0, sizeof sd);
    int rc = sw_store_report_systems(st, names, MAX_SYS, &ns, err);
    for (int i = 0; i < ns && rc == SW_OK; i++) {
        memcpy(sd[i].name, names[i], sizeof sd[i].name);
        sw_graded *rows;
        long n;
        if ((rc = sw_metrics_load(st, names[i], -1, -1, &rows, &n, err))) break;
        sw_metrics_compute(rows, n, &sd[i].m);
        sw_free(rows);
        rc = load_series(st, &sd[i], err);
    }
    char *html = NULL;
    size_t len = 0;
    FILE *f = rc ? NULL : open_memstream(&html, &len);
    if (!rc && !f) rc = sw_fail(err, SW_NOMEM, "out of memory");
    if (f) {
        char now[32];
        sw_store_totals tot;
        rc = sw_store_report_totals(st, &tot, err);
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y-%m-%d %H:%M UTC", &tm);
        const char *title = o && o->title ? o->title : "swish report";
        fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
        esc(f, title);
        fprintf(f, "</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>%s</style>"
                   "</head>\n<body>\n<h1>",
                css);
        esc(f, title);
        fprintf(f, "</h1>\n<p class=\"sub\">");
        if (o && o->db_name) {
            esc(f, o->db_name);
            fprintf(f, " &middot; ");
        }
        fprintf(f, "%s to %s &middot; %ld predictions, %ld graded &middot; generated %s by swish %s</p>\n",
                tot.first[0] ? tot.first : "-", tot.first[0] ? tot.last : "-", tot.predictions, tot.graded, now,
                sw_version());
        long excluded = 0;
        char ex_to[11] = "";
        sw_error e;
        if (sw_store_lookahead(st, NULL, -1, -1, &excluded, ex_to, &e) == SW_OK && excluded)
            fprintf(f, "<p class=\"note\" id=\"excluded\">%ld rows are excluded from every figure: their model was "
                       "trained on games through %s, on or after their game dates.</p>\n",
                    excluded, ex_to);
        fprintf(f, "<h2>How the systems did</h2>\n");
        if (ns) metrics_table(f, sd, ns);
        else fprintf(f, "<p class=\"note\">The database holds no predictions.</p>\n");
        rollout_section(f, st);
        fprintf(f, "<h2>Cumulative units</h2>\n");
        chart_units(f, sd, ns);
        fprintf(f, "<div class=\"grid2\"><div><h2>Calibration of P(over)</h2>\n");
        int fin = -1;
        for (int i = 0; i < ns; i++)
            if (!strcmp(sd[i].name, "final")) fin = i;
        if (fin >= 0) {
            chart_calibration(f, &sd[fin].m);
            fprintf(f, "<p class=\"note\">The coordinator's P(over) in ten bins (dot area: rows); Brier score %.4f on "
                       "%ld rows (0.25 for a coin flip)",
                    sd[fin].m.brier, sd[fin].m.n_cal);
            if (sd[fin].m.n_market)
                fprintf(f, "; on the %ld rows with the market's probability %.4f, the market's own %.4f",
                        sd[fin].m.n_market, sd[fin].m.brier_same, sd[fin].m.brier_market);
            fprintf(f, ".</p>\n<table id=\"reliability\"><tr><th>decile of P(over)</th><th>rows</th>"
                       "<th>mean P(over)</th><th>observed over</th></tr>\n");
            for (int k = 0; k < SW_CAL_BINS; k++)
                if (sd[fin].m.rel_n[k])
                    fprintf(f, "<tr><td>%d</td><td>%ld</td><td>%.3f</td><td>%.3f</td></tr>\n", k + 1,
                            sd[fin].m.rel_n[k], sd[fin].m.rel_p[k], sd[fin].m.rel_freq[k]);
            fprintf(f, "</table>\n");
        } else {
            fprintf(f, "<p class=\"note\">No final calls in the database.</p>\n");
        }
        fprintf(f, "</div></div>\n<h2>MAE by month</h2>\n");
        chart_months(f, sd, ns);
        fprintf(f, "<h2>Hit rate by edge</h2>\n");
        if (ns) chart_edges(f, sd, ns);
        fprintf(f, "<p class=\"note\">Side bets of each system's prediction against the line by |prediction - line|; "
                   "bars are hit rates, whiskers Wilson 95%% intervals.</p>\n");
        if (ns) ev_table(f, sd, ns);
        if (!rc) rc = monitoring(f, st, sd, ns, err);
        if (!rc) rc = importance(f, st, err);
        if (!rc) rc = tonight(f, st, err);
        if (!rc) rc = drift(f, st, err);
        fprintf(f, "<script>%s</script>\n</body></html>\n", script);
        if (fclose(f) != 0) {
            if (!rc) rc = sw_fail(err, SW_NOMEM, "out of memory");
        } else if (!rc) {
            rc = sw_write_file_atomic(out_path, html, len, err);
        }
    }
    free(html);
    for (int i = 0; i < MAX_SYS; i++) {
        sw_free(sd[i].days);
        sw_free(sd[i].cum);
        sw_free(sd[i].months);
    }
    return rc;
}

/* The SVG coordinates and figures are printf text: written in the C locale. */
int sw_report_write(sw_store *st, const sw_report_opts *o, const char *out_path, sw_error *err)
{
    void *old = sw_locale_c_enter();
    int rc = report_write(st, o, out_path, err);
    sw_locale_c_leave(old);
    return rc;
}
