/* report: one self-contained HTML page about a database of runs and grades
 * (no network, no scripts from elsewhere; charts are SVG drawn here):
 *
 *   - the systems' metrics (MAE against the line's, hit rates with Wilson
 *     intervals, ROI) over the graded dates
 *   - cumulative units of each system's calls over time
 *   - calibration of the final P(over) (reliability diagram, Brier score)
 *   - MAE by month per system, with the line's own
 *   - hit rate by edge bucket with 95% intervals, against break-even at -110
 *   - the gbdt model's feature importance (total split gain)
 *   - the latest date's calls with their largest TreeSHAP contributions
 *   - feature drift of the latest date against the gbdt training window
 *     (population stability index per feature)
 *
 * A small inline script checks on load that every chart has a size and
 * records the result on <body data-charts-ok>; nothing else runs.
 * Ownership: borrows the store.  The file is written atomically.
 */
#ifndef SW_REPORT_H
#define SW_REPORT_H

#include "store.h"

typedef struct {
    const char *title;    /* NULL: "swish report" */
    const char *db_name;  /* shown in the header */
} sw_report_opts;

int sw_report_write(sw_store *st, const sw_report_opts *o, const char *out_path, sw_error *err);

/* Population stability index of `cur` against `ref` over ten bins at the
 * reference's deciles (missing values are an eleventh bin). */
double sw_psi(const float *ref, long n_ref, const float *cur, long n_cur);

#endif
