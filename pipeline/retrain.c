/* retrain: training the gbdt system and the stack (see retrain.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/date.h"
#include "gbdt/score.h"
#include "gbdt/train.h"
#include "io/model.h"
#include "registry.h"
#include "retrain.h"
#include "stack.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    sw_matrix *X;
    float *y;
    long *frow; /* frame row of each matrix row */
    int *date;
    long n;
} rowset;

static void rowset_free(rowset *r)
{
    sw_matrix_free(r->X);
    sw_free(r->y);
    sw_free(r->frow);
    sw_free(r->date);
    memset(r, 0, sizeof *r);
}

/* Rows [a, b) of `all` as a new set (matrix rows copied). */
static int rowset_slice(const rowset *all, long a, long b, rowset *out)
{
    memset(out, 0, sizeof *out);
    long n = b - a;
    int cols = all->X->cols;
    out->X = sw_matrix_create(n, cols);
    out->y = sw_alloc_array((size_t)n + 1, sizeof *out->y);
    if (!out->X || !out->y) return SW_NOMEM;
    for (int c = 0; c < cols; c++)
        if (all->X->names[c] && sw_matrix_set_name(out->X, c, all->X->names[c])) return SW_NOMEM;
    memcpy(out->X->data, all->X->data + (size_t)a * (size_t)cols, sizeof(float) * (size_t)n * (size_t)cols);
    memcpy(out->y, all->y + a, sizeof(float) * (size_t)n);
    out->n = n;
    return SW_OK;
}

static sw_train_params base_params(const sw_config *cfg, const sw_matrix *X, sw_error *err, int *rc)
{
    sw_train_params p = sw_train_params_default();
    p.rounds = cfg->rounds;
    p.eta = cfg->eta;
    p.max_depth = cfg->max_depth;
    p.min_child_weight = 10;
    p.subsample = 0.7;
    p.colsample_bytree = 0.7;
    p.lambda = 5;
    p.alpha = 0.5;
    p.gamma = 0.1;
    p.seed = cfg->seed;
    p.nthread = cfg->threads;
    *rc = SW_OK;
    if (cfg->monotone_minutes) {
        const char *names[256];
        for (int c = 0; c < X->cols && c < 256; c++) names[c] = X->names[c];
        *rc = sw_train_params_set(&p, "monotone_constraints", "{\"minutes_avg_last_10\": 1}", names, X->cols, err);
    }
    return p;
}

static int train_one(const sw_train_params *p, const rowset *tr, const rowset *va, sw_forest **out,
                     sw_train_report *rep, sw_error *err)
{
    sw_train_data d = {tr->X, tr->y, NULL, "train"};
    sw_train_data v = {va ? va->X : NULL, va ? va->y : NULL, NULL, "valid"};
    return sw_train(p, &d, va ? &v : NULL, va ? 1 : 0, out, rep, err);
}

static void predict_forest(const sw_forest *f, const sw_matrix *X, int threads, double *out)
{
    sw_scorer *sc = NULL;
    if (sw_scorer_create(f, sw_forest_tree_limit(f, SW_TREES_BEST), SW_ISA_AUTO, &sc, NULL)) {
        sw_forest_predict_ref(f, X->data, X->rows, X->cols, sw_forest_tree_limit(f, SW_TREES_BEST), 0, out);
        return;
    }
    sw_scorer_predict(sc, X->data, X->rows, X->cols, 0, threads, out);
    sw_scorer_free(sc);
}

static void logf_(FILE *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(FILE *log, const char *fmt, ...)
{
    if (!log) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log, fmt, ap);
    va_end(ap);
    fflush(log);
}

static int blob_of(const sw_forest *f, unsigned char **data, size_t *len, sw_error *err)
{
    return sw_swm_write(f, data, len, err);
}

int sw_retrain(const sw_league *lg, const sw_retrain_opts *o, sw_retrain_report *rep, sw_error *err)
{
    sw_retrain_report local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    const sw_config *cfg = o->cfg;
    double t0 = now_s();
    int first, last, last_sched;
    sw_league_date_range(lg, &first, &last, &last_sched);
    if (first < 0) return sw_fail(err, SW_INVALID_DATA, "the data has no played games");
    int from = cfg->window_days > 0 && o->until - cfg->window_days > first ? o->until - cfg->window_days : first;
    int to = o->until - 1;
    if (to < from) {
        char ds[11];
        sw_date_format(o->until, ds);
        return sw_fail(err, SW_INVALID_DATA, "no played games before %s", ds);
    }
    sw_date_format(from, rep->from);
    sw_date_format(to, rep->to);

    sw_frame *fr = NULL;
    sw_feature_request req;
    sw_feature_request_init(&req);
    req.from = from;
    req.to = to;
    const char *books[SW_CONFIG_MAX_BOOKS];
    for (int b = 0; b < cfg->n_books; b++) books[b] = cfg->books[b];
    req.books = books;
    req.n_books = cfg->n_books;
    req.nthread = cfg->threads;
    int rc = sw_features_build(lg, &req, &fr, err);
    if (rc) return rc;

    rowset all = {0}, tr = {0}, va = {0};
    sw_forest *mean = NULL, *qlo = NULL, *qhi = NULL, *fold = NULL;
    sw_system *rules[4] = {NULL, NULL, NULL, NULL};
    double *P = NULL, *Y = NULL, *buf = NULL;
    float *S = NULL;
    sw_pred *pb = NULL;
    long *brow = NULL;
    unsigned char *blob[3] = {NULL, NULL, NULL};
    size_t blen[3] = {0, 0, 0};
    char *stack_js = NULL;

    /* training rows, chronological (frames are in date order) */
    int nf = sw_feature_count(), early = sw_feature_find("early_season");
    long n = 0, nfr = sw_frame_rows(fr);
    all.X = sw_matrix_create(nfr ? nfr : 1, nf);
    all.y = sw_alloc_array((size_t)nfr + 1, sizeof *all.y);
    all.frow = sw_alloc_array((size_t)nfr + 1, sizeof *all.frow);
    all.date = sw_alloc_array((size_t)nfr + 1, sizeof *all.date);
    if (!all.X || !all.y || !all.frow || !all.date) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    for (int c = 0; c < nf; c++)
        if (sw_matrix_set_name(all.X, c, sw_feature_name(c))) {
            rc = sw_fail(err, SW_NOMEM, "out of memory");
            goto done;
        }
    for (long i = 0; i < nfr; i++) {
        const sw_frame_meta *m = sw_frame_meta_of(fr, i);
        const float *v = sw_frame_values(fr, i);
        if (!isfinite(m->pts) || !(m->min > 0) || m->quality < cfg->min_quality || v[early] > 0.5) continue;
        memcpy(sw_matrix_row(all.X, n), v, sizeof(float) * (size_t)nf);
        all.y[n] = m->pts;
        all.frow[n] = i;
        all.date[n] = m->date;
        n++;
    }
    all.X->rows = n;
    all.n = n;
    rep->rows = n;
    rep->t_features = now_s() - t0;
    logf_(o->log, "retrain: %ld training rows from %s to %s (%ld player-games built in %.2f s)\n", n, rep->from,
          rep->to, nfr, rep->t_features);
    if (n < 2000) {
        rc = sw_fail(err, SW_INVALID_DATA,
                     "only %ld usable training rows before the cut-off (need 2000): simulate or load more seasons", n);
        goto done;
    }

    /* chronological validation: the last 15% of rows, cut at a date boundary */
    long cut = (long)(0.85 * (double)n);
    while (cut < n && cut > 0 && all.date[cut] == all.date[cut - 1]) cut++;
    if (cut >= n - 100) {
        rc = sw_fail(err, SW_INVALID_DATA, "too few dates for a validation split");
        goto done;
    }
    if ((rc = rowset_slice(&all, 0, cut, &tr)) || (rc = rowset_slice(&all, cut, n, &va))) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    rep->rows_train = tr.n;
    rep->rows_valid = va.n;
    double tt = now_s();
    sw_train_params p = base_params(cfg, all.X, err, &rc);
    if (rc) goto done;
    p.early_stopping_rounds = cfg->early_stopping;
    p.metrics[0] = SW_METRIC_MAE;
    p.n_metrics = 1;
    sw_train_report trep;
    memset(&trep, 0, sizeof trep);
    logf_(o->log, "retrain: mean model on %ld rows, early stopping on %ld later rows\n", tr.n, va.n);
    if ((rc = train_one(&p, &tr, &va, &mean, &trep, err))) goto done;
    int best = sw_forest_best_iteration(mean) >= 0 ? sw_forest_best_iteration(mean) : sw_forest_n_trees(mean) - 1;
    int rounds = best + 1;
    sw_train_report_free(&trep);

    /* validation metrics of the mean and quantile models trained before the cut */
    buf = sw_alloc_array((size_t)va.n * 3 + 1, sizeof *buf);
    if (!buf) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    predict_forest(mean, va.X, cfg->threads, buf);
    sw_train_params pq = p;
    pq.early_stopping_rounds = 0;
    pq.rounds = rounds;
    pq.objective = SW_OBJ_QUANTILE;
    pq.n_metrics = 0;
    pq.quantile_alpha = 0.1;
    if ((rc = train_one(&pq, &tr, NULL, &qlo, NULL, err))) goto done;
    pq.quantile_alpha = 0.9;
    if ((rc = train_one(&pq, &tr, NULL, &qhi, NULL, err))) goto done;
    predict_forest(qlo, va.X, cfg->threads, buf + va.n);
    predict_forest(qhi, va.X, cfg->threads, buf + 2 * va.n);
    double ae = 0, se = 0, w3 = 0, w5 = 0, cover = 0, ae_l = 0, ae_line = 0;
    int line_col = sw_feature_find("vegas_points_line");
    for (long i = 0; i < va.n; i++) {
        double e = buf[i] - va.y[i];
        ae += fabs(e);
        se += e * e;
        w3 += fabs(e) <= 3;
        w5 += fabs(e) <= 5;
        cover += va.y[i] >= buf[va.n + i] && va.y[i] <= buf[2 * va.n + i];
        float line = sw_matrix_get(va.X, i, line_col);
        if (isfinite(line)) {
            rep->valid_lines++;
            ae_l += fabs(e);
            ae_line += fabs(line - va.y[i]);
        }
    }
    rep->valid_mae = ae / va.n;
    rep->valid_rmse = sqrt(se / va.n);
    rep->valid_within3 = w3 / va.n;
    rep->valid_within5 = w5 / va.n;
    rep->interval_coverage = cover / va.n;
    rep->valid_mae_lined = rep->valid_lines ? ae_l / rep->valid_lines : NAN;
    rep->line_mae = rep->valid_lines ? ae_line / rep->valid_lines : NAN;
    rep->best_iteration = best;
    logf_(o->log,
          "retrain: validation MAE %.3f RMSE %.3f within 3 %.1f%% within 5 %.1f%%, 80%% interval covers %.1f%%; "
          "%ld rows with a line: model MAE %.3f vs the line's %.3f (best iteration %d)\n",
          rep->valid_mae, rep->valid_rmse, 100 * rep->valid_within3, 100 * rep->valid_within5,
          100 * rep->interval_coverage, rep->valid_lines, rep->valid_mae_lined, rep->line_mae, best);
    sw_forest_free(mean);
    sw_forest_free(qlo);
    sw_forest_free(qhi);
    mean = qlo = qhi = NULL;

    /* final models on every row with the rounds found */
    sw_train_params pf = p;
    pf.early_stopping_rounds = 0;
    pf.rounds = rounds;
    pf.n_metrics = 0;
    logf_(o->log, "retrain: final mean and quantile models on all %ld rows, %d rounds\n", n, rounds);
    if ((rc = train_one(&pf, &all, NULL, &mean, NULL, err))) goto done;
    pq.quantile_alpha = 0.1;
    if ((rc = train_one(&pq, &all, NULL, &qlo, NULL, err))) goto done;
    pq.quantile_alpha = 0.9;
    if ((rc = train_one(&pq, &all, NULL, &qhi, NULL, err))) goto done;
    rep->trees = sw_forest_n_trees(mean);
    rep->t_train = now_s() - tt;

    /* out-of-fold predictions for the stack */
    double to0 = now_s();
    int K = cfg->folds;
    long b0 = n / K; /* block boundaries at date changes */
    while (b0 < n && b0 > 0 && all.date[b0] == all.date[b0 - 1]) b0++;
    long m = n - b0;
    int ids[SW_SYS_COUNT], k = 0;
    for (int s = 0; s < SW_SYS_COUNT; s++) {
        if (!cfg->systems[s]) continue;
        if (s == SW_SYS_CATBOOST_V8 && !o->catboost) continue;
        ids[k++] = s;
    }
    P = sw_alloc_array((size_t)m * (size_t)k + 1, sizeof *P);
    Y = sw_alloc_array((size_t)m + 1, sizeof *Y);
    S = sw_alloc_array((size_t)m + 1, sizeof *S);
    pb = sw_alloc_array((size_t)m + 1, sizeof *pb);
    brow = sw_alloc_array((size_t)m + 1, sizeof *brow);
    double *fo = sw_realloc(buf, sizeof *buf * ((size_t)m + 1));
    if (!P || !Y || !S || !pb || !brow || !fo) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    buf = fo;
    int std_col = sw_feature_find("points_std_last_10");
    for (long i = 0; i < m; i++) {
        brow[i] = all.frow[b0 + i];
        Y[i] = all.y[b0 + i];
        S[i] = sw_matrix_get(all.X, b0 + i, std_col);
    }
    for (int j = 0; j < k; j++) {
        int s = ids[j];
        if (s == SW_SYS_GBDT) {
            long start = b0;
            for (int f = 1; f < K; f++) {
                long end = f == K - 1 ? n : (long)((double)n * (f + 1) / K);
                while (end < n && end > start && all.date[end] == all.date[end - 1]) end++;
                if (end <= start) continue;
                rowset past = {0}, blk = {0};
                if (rowset_slice(&all, 0, start, &past) || rowset_slice(&all, start, end, &blk)) {
                    rowset_free(&past);
                    rowset_free(&blk);
                    rc = sw_fail(err, SW_NOMEM, "out of memory");
                    goto done;
                }
                logf_(o->log, "retrain: out-of-fold gbdt %d/%d: %ld rows predict %ld later rows\n", f, K - 1, past.n,
                      blk.n);
                rc = train_one(&pf, &past, NULL, &fold, NULL, err);
                if (rc == SW_OK) predict_forest(fold, blk.X, cfg->threads, buf + (start - b0));
                sw_forest_free(fold);
                fold = NULL;
                rowset_free(&past);
                rowset_free(&blk);
                if (rc) goto done;
                start = end;
                if (start >= n) break;
            }
            for (long i = 0; i < m; i++) P[i * k + j] = buf[i];
            continue;
        }
        const sw_system *sys = o->catboost;
        if (s != SW_SYS_CATBOOST_V8) {
            if ((rc = sw_system_create_rule((sw_system_id)s, &rules[s < 4 ? s : 0], err))) goto done;
            sys = rules[s];
        }
        sw_batch b = {lg, fr, brow, m, cfg->threads};
        if ((rc = sw_system_predict(sys, &b, pb, err))) goto done;
        for (long i = 0; i < m; i++) P[i * k + j] = pb[i].pred;
    }
    sw_stack st;
    if ((rc = sw_stack_fit(P, Y, S, m, k, ids, cfg->ridge_lambda, &st, err))) goto done;
    rep->t_oof = now_s() - to0;
    rep->rows_stack = st.rows;
    rep->stack_mae = st.mae;
    rep->stack_k = k;
    for (int j = 0; j < k; j++) {
        rep->stack_sys[j] = ids[j];
        rep->sys_mae[j] = st.mae_sys[j];
    }
    logf_(o->log, "retrain: stack on %ld out-of-fold rows: MAE %.3f;", st.rows, st.mae);
    for (int j = 0; j < k; j++) logf_(o->log, " %s %.3f (coef %.3f)", sw_system_name(ids[j]), st.mae_sys[j], st.coef[j]);
    logf_(o->log, "; intercept %.3f\n", st.intercept);

    /* register: gbdt first, then the stack that names it */
    sw_manifest mg;
    sw_manifest_init(&mg, "gbdt");
    snprintf(mg.train_from, sizeof mg.train_from, "%s", rep->from);
    snprintf(mg.train_to, sizeof mg.train_to, "%s", rep->to);
    mg.train_rows = n;
    snprintf(mg.feature_set, sizeof mg.feature_set, "%s", SW_FEATURE_SET);
    mg.n_features = nf < SW_MANIFEST_MAX_FEATURES ? nf : SW_MANIFEST_MAX_FEATURES;
    for (int c = 0; c < mg.n_features; c++) snprintf(mg.features[c], sizeof mg.features[c], "%s", sw_feature_name(c));
    sw_manifest_add_metric(&mg, "valid_mae", rep->valid_mae);
    sw_manifest_add_metric(&mg, "valid_rmse", rep->valid_rmse);
    sw_manifest_add_metric(&mg, "valid_within_3", rep->valid_within3);
    sw_manifest_add_metric(&mg, "valid_within_5", rep->valid_within5);
    sw_manifest_add_metric(&mg, "valid_interval_coverage", rep->interval_coverage);
    sw_manifest_add_metric(&mg, "valid_rows", (double)va.n);
    sw_manifest_add_metric(&mg, "valid_lined_rows", (double)rep->valid_lines);
    sw_manifest_add_metric(&mg, "valid_mae_lined", rep->valid_mae_lined);
    sw_manifest_add_metric(&mg, "valid_line_mae", rep->line_mae);
    sw_manifest_add_metric(&mg, "best_iteration", best);
    snprintf(mg.params, sizeof mg.params,
             "objective reg:squarederror (q10/q90 reg:quantileerror), rounds %d, eta %g, max_depth %d, "
             "min_child_weight 10, subsample 0.7, colsample_bytree 0.7, lambda 5, alpha 0.5, gamma 0.1, seed %llu%s",
             rounds, cfg->eta, cfg->max_depth, cfg->seed, cfg->monotone_minutes ? ", monotone minutes_avg_last_10" : "");
    sw_forest *fs[3] = {mean, qlo, qhi};
    for (int i = 0; i < 3; i++)
        if ((rc = blob_of(fs[i], &blob[i], &blen[i], err))) goto done;
    sw_reg_blob gb[3] = {{"mean", "mean.swm", blob[0], blen[0]},
                         {"q10", "q10.swm", blob[1], blen[1]},
                         {"q90", "q90.swm", blob[2], blen[2]}};
    if ((rc = sw_registry_add(o->models_dir, &mg, gb, 3, o->promote, err))) goto done;
    snprintf(rep->gbdt_version, sizeof rep->gbdt_version, "%s", mg.version);

    size_t slen = 0;
    if ((rc = sw_stack_to_json(&st, &stack_js, &slen, err))) goto done;
    sw_manifest ms;
    sw_manifest_init(&ms, "stack");
    snprintf(ms.train_from, sizeof ms.train_from, "%s", rep->from);
    snprintf(ms.train_to, sizeof ms.train_to, "%s", rep->to);
    ms.train_rows = st.rows;
    snprintf(ms.feature_set, sizeof ms.feature_set, "systems");
    ms.n_features = k;
    for (int j = 0; j < k; j++) snprintf(ms.features[j], sizeof ms.features[j], "%s", sw_system_name(ids[j]));
    sw_manifest_add_metric(&ms, "oof_mae", st.mae);
    for (int j = 0; j < k; j++) {
        char nm[32];
        snprintf(nm, sizeof nm, "oof_mae_%s", sw_system_name(ids[j]));
        sw_manifest_add_metric(&ms, nm, st.mae_sys[j]);
    }
    snprintf(ms.params, sizeof ms.params, "ridge lambda %g, %d chronological folds, gbdt %s%s%s", cfg->ridge_lambda, K,
             mg.version, o->catboost ? ", catboost_v8 " : "", o->catboost ? sw_system_version(o->catboost) : "");
    sw_reg_blob sb = {"stack", "stack.json", (const unsigned char *)stack_js, slen};
    if ((rc = sw_registry_add(o->models_dir, &ms, &sb, 1, o->promote, err))) goto done;
    snprintf(rep->stack_version, sizeof rep->stack_version, "%s", ms.version);
    rep->seconds = now_s() - t0;
    logf_(o->log, "retrain: registered gbdt %s and stack %s in %s (%.1f s)\n", rep->gbdt_version, rep->stack_version,
          o->models_dir, rep->seconds);
done:
    for (int i = 0; i < 3; i++) sw_free(blob[i]);
    sw_free(stack_js);
    for (int i = 0; i < 4; i++) sw_system_free(rules[i]);
    sw_forest_free(mean);
    sw_forest_free(qlo);
    sw_forest_free(qhi);
    sw_forest_free(fold);
    sw_free(P);
    sw_free(Y);
    sw_free(S);
    sw_free(pb);
    sw_free(brow);
    sw_free(buf);
    rowset_free(&all);
    rowset_free(&tr);
    rowset_free(&va);
    sw_frame_free(fr);
    return rc;
}
