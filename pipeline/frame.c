/* frame: what the nightly slate, the weekly retrain, the backtest and the monitor
 * share below them: the feature frame of a date range or a slate date, the rows of
 * it fit to train on, those rows as a matrix, and the progress log
 * (pipeline_impl.h). */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "pipeline_impl.h"

void sw__log(FILE *log, const char *fmt, ...)
{
    if (!log) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log, fmt, ap);
    va_end(ap);
    fflush(log);
}

int sw__build_frame(const sw_league *lg, const sw_config *cfg, int from, int to, int slate_date, sw_frame **out,
                    sw_error *err)
{
    sw_feature_request req;
    sw_feature_request_init(&req);
    req.from = from;
    req.to = to;
    req.slate_date = slate_date;
    const char *books[SW_CONFIG_MAX_BOOKS];
    for (int b = 0; b < cfg->n_books; b++) books[b] = cfg->books[b];
    req.books = books;
    req.n_books = cfg->n_books;
    req.nthread = SW__THREADS(cfg);
    int rc = sw_features_build(lg, &req, out, err);
    if (rc == SW_ARG) sw_error_prefix(err, "slate.books: ");
    return rc;
}

long sw__training_rows(const sw_frame *fr, const sw_config *cfg, int from, int to, long *rows)
{
    int early = sw_feature_find("early_season");
    long n = 0;
    int lo = INT_MAX, hi = INT_MIN;
    for (long i = 0; i < sw_frame_rows(fr); i++) {
        const sw_frame_meta *m = sw_frame_meta_of(fr, i);
        if (m->date < from || m->date > to) continue;
        if (!isfinite(m->pts) || !(m->min > 0) || m->quality < cfg->min_quality) continue;
        if (sw_frame_values(fr, i)[early] > 0.5) continue;
        rows[n++] = i;
        if (m->date < lo) lo = m->date;
        if (m->date > hi) hi = m->date;
    }
    if (n < 2) return n;
    /* chronological (the frame is by player): a stable counting sort by date, so that
     * validation tails and out-of-fold blocks are later dates, never other players */
    long span = (long)hi - lo + 2, *start = sw_calloc((size_t)span, sizeof *start), *tmp = sw_alloc_array((size_t)n, sizeof *tmp);
    if (!start || !tmp) {
        sw_free(start);
        sw_free(tmp);
        return -1;
    }
    for (long i = 0; i < n; i++) start[sw_frame_meta_of(fr, rows[i])->date - lo + 1]++;
    for (long d = 1; d < span; d++) start[d] += start[d - 1];
    for (long i = 0; i < n; i++) tmp[start[sw_frame_meta_of(fr, rows[i])->date - lo]++] = rows[i];
    memcpy(rows, tmp, sizeof *rows * (size_t)n);
    sw_free(start);
    sw_free(tmp);
    return n;
}

int sw__rows_matrix(const sw_frame *fr, const long *rows, long n, sw_matrix **X, float **y)
{
    int nf = sw_feature_count();
    *X = sw_matrix_create(n ? n : 1, nf);
    *y = sw_alloc_array((size_t)n + 1, sizeof **y);
    if (!*X || !*y) goto nomem;
    (*X)->rows = n;
    for (int c = 0; c < nf; c++)
        if (sw_matrix_set_name(*X, c, sw_feature_name(c))) goto nomem;
    for (long i = 0; i < n; i++) {
        memcpy(sw_matrix_row(*X, i), sw_frame_values(fr, rows[i]), sizeof(float) * (size_t)nf);
        (*y)[i] = sw_frame_meta_of(fr, rows[i])->pts;
    }
    return SW_OK;
nomem:
    sw_matrix_free(*X);
    sw_free(*y);
    *X = NULL;
    *y = NULL;
    return SW_NOMEM;
}
