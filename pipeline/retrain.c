/* retrain: training the gbdt system and the stack (see retrain.h). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/date.h"
#include "gbdt/score.h"
#include "gbdt/train.h"
#include "io/model.h"
#include "monitor.h"
#include "registry.h"
#include "retrain.h"
#include "pipeline_impl.h"
#include "stack.h"
#include "core/clock.h"


int sw__gbdt_params(const sw_config *cfg, const sw_matrix *X, sw_train_params *p, sw_error *err)
{
    *p = sw_train_params_default();
    p->rounds = cfg->rounds;
    p->eta = cfg->eta;
    p->max_depth = cfg->max_depth;
    p->min_child_weight = 10;
    p->subsample = 0.7;
    p->colsample_bytree = 0.7;
    p->lambda = 5;
    p->alpha = 0.5;
    p->gamma = 0.1;
    p->seed = cfg->seed;
    p->nthread = SW__THREADS(cfg);
    if (cfg->monotone_minutes) {
        const char *names[256];
        for (int c = 0; c < X->cols && c < 256; c++) names[c] = X->names[c];
        return sw_train_params_set(p, "monotone_constraints", "{\"minutes_avg_last_10\": 1}", names, X->cols, err);
    }
    return SW_OK;
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


static int train_on(const sw_train_params *p, const sw_matrix *X, const float *y, long a, long b, const sw_matrix *VX,
                    const float *vy, sw_forest **out, sw_error *err)
{
    /* rows [a, b) of X as a view: the matrix is row-major, so a slice is a pointer */
    sw_matrix view = *X;
    view.data = X->data + (size_t)a * (size_t)X->cols;
    view.rows = b - a;
    sw_train_data d = {&view, y + a, NULL, "train"};
    sw_train_data v = {VX, vy, NULL, "valid"};
    return sw_train(p, &d, VX ? &v : NULL, VX ? 1 : 0, out, NULL, err);
}

int sw__gbdt_fit(const sw_config *cfg, const sw_frame *fr, const long *rows, long n, int refit, sw_model_bundle *out,
                 sw__gbdt_report *rep, FILE *log, sw_error *err)
{
    memset(out, 0, sizeof *out);
    memset(rep, 0, sizeof *rep);
    sw_matrix *X = NULL;
    float *y = NULL;
    double *buf = NULL;
    int rc;
    if (sw__rows_matrix(fr, rows, n, &X, &y)) return sw_fail(err, SW_NOMEM, "out of memory");
    /* chronological validation: the last 15% of rows, cut at a date boundary */
    long cut = (long)(0.85 * (double)n);
    while (cut < n && cut > 0 && sw_frame_meta_of(fr, rows[cut])->date == sw_frame_meta_of(fr, rows[cut - 1])->date) cut++;
    if (cut >= n - 100 || cut < 100) {
        rc = sw_fail(err, SW_INVALID_DATA, "too few rows or dates for a chronological validation split (%ld rows)", n);
        goto done;
    }
    rep->rows_train = cut;
    rep->rows_valid = n - cut;
    sw_train_params p;
    if ((rc = sw__gbdt_params(cfg, X, &p, err))) goto done;
    p.early_stopping_rounds = cfg->early_stopping;
    p.metrics[0] = SW_METRIC_MAE;
    p.n_metrics = 1;
    sw_matrix va = *X;
    va.data = X->data + (size_t)cut * (size_t)X->cols;
    va.rows = n - cut;
    sw__log(log, "retrain: mean model on %ld rows, early stopping on %ld later rows\n", cut, n - cut);
    if ((rc = train_on(&p, X, y, 0, cut, &va, y + cut, &out->mean, err))) goto done;
    int best = sw_forest_best_iteration(out->mean) >= 0 ? sw_forest_best_iteration(out->mean)
                                                        : sw_forest_n_trees(out->mean) - 1;
    rep->best_iteration = best;
    sw_train_params pq = p;
    pq.early_stopping_rounds = 0;
    pq.rounds = best + 1;
    pq.n_metrics = 0;
    pq.objective = SW_OBJ_QUANTILE;
    pq.quantile_alpha = 0.1;
    if ((rc = train_on(&pq, X, y, 0, cut, NULL, NULL, &out->q_lo, err))) goto done;
    pq.quantile_alpha = 0.9;
    if ((rc = train_on(&pq, X, y, 0, cut, NULL, NULL, &out->q_hi, err))) goto done;
    long nv = n - cut;
    buf = sw_alloc_array((size_t)nv * 3 + 1, sizeof *buf);
    if (!buf) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    predict_forest(out->mean, &va, SW__THREADS(cfg), buf);
    predict_forest(out->q_lo, &va, SW__THREADS(cfg), buf + nv);
    predict_forest(out->q_hi, &va, SW__THREADS(cfg), buf + 2 * nv);
    double ae = 0, se = 0, w3 = 0, w5 = 0, cover = 0, ae_l = 0, ae_line = 0;
    int line_col = sw_feature_find("vegas_points_line");
    for (long i = 0; i < nv; i++) {
        float yt = y[cut + i];
        double e = buf[i] - yt;
        ae += fabs(e);
        se += e * e;
        w3 += fabs(e) <= 3;
        w5 += fabs(e) <= 5;
        cover += yt >= buf[nv + i] && yt <= buf[2 * nv + i];
        float line = sw_matrix_get(&va, i, line_col);
        if (isfinite(line)) {
            rep->valid_lines++;
            ae_l += fabs(e);
            ae_line += fabs(line - yt);
        }
    }
    rep->valid_mae = ae / nv;
    rep->valid_rmse = sqrt(se / nv);
    rep->valid_within3 = w3 / nv;
    rep->valid_within5 = w5 / nv;
    rep->interval_coverage = cover / nv;
    rep->valid_mae_lined = rep->valid_lines ? ae_l / rep->valid_lines : NAN;
    rep->line_mae = rep->valid_lines ? ae_line / rep->valid_lines : NAN;
    sw__log(log,
          "retrain: validation MAE %.3f RMSE %.3f within 3 %.1f%% within 5 %.1f%%, 80%% interval covers %.1f%%; "
          "%ld rows with a line: model MAE %.3f vs the line's %.3f (best iteration %d)\n",
          rep->valid_mae, rep->valid_rmse, 100 * rep->valid_within3, 100 * rep->valid_within5,
          100 * rep->interval_coverage, rep->valid_lines, rep->valid_mae_lined, rep->line_mae, best);
    if (refit) {
        sw_forest_free(out->mean);
        sw_forest_free(out->q_lo);
        sw_forest_free(out->q_hi);
        out->mean = out->q_lo = out->q_hi = NULL;
        sw_train_params pf = pq;
        pf.objective = p.objective;
        sw__log(log, "retrain: final mean and quantile models on all %ld rows, %d rounds\n", n, best + 1);
        if ((rc = train_on(&pf, X, y, 0, n, NULL, NULL, &out->mean, err))) goto done;
        pq.quantile_alpha = 0.1;
        if ((rc = train_on(&pq, X, y, 0, n, NULL, NULL, &out->q_lo, err))) goto done;
        pq.quantile_alpha = 0.9;
        if ((rc = train_on(&pq, X, y, 0, n, NULL, NULL, &out->q_hi, err))) goto done;
    }
    rep->trees = sw_forest_n_trees(out->mean);
done:
    if (rc) {
        sw_forest_free(out->mean);
        sw_forest_free(out->q_lo);
        sw_forest_free(out->q_hi);
        memset(out, 0, sizeof *out);
    }
    sw_free(buf);
    sw_matrix_free(X);
    sw_free(y);
    return rc;
}

int sw__stack_oof(const sw_config *cfg, const sw_league *lg, const sw_frame *fr, const long *rows, long n, int rounds,
                  const sw_system *catboost, sw_stack *st, FILE *log, sw_error *err)
{
    int rc = SW_OK;
    sw_matrix *X = NULL;
    float *y = NULL, *S = NULL;
    double *P = NULL, *Y = NULL, *buf = NULL;
    sw_pred *pb = NULL;
    long *brow = NULL;
    sw_forest *fold = NULL;
    sw_system *rules[4] = {NULL, NULL, NULL, NULL};
    /* out-of-fold predictions for the stack */
    if ((rc = sw__rows_matrix(fr, rows, n, &X, &y))) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    int K = cfg->folds;
    long b0 = n / K; /* block boundaries at date changes */
    while (b0 < n && b0 > 0 && sw_frame_meta_of(fr, rows[b0])->date == sw_frame_meta_of(fr, rows[b0 - 1])->date) b0++;
    long m = n - b0;
    int ids[SW_SYS_COUNT], k = 0;
    for (int s = 0; s < SW_SYS_COUNT; s++) {
        if (!cfg->systems[s]) continue;
        if (s == SW_SYS_CATBOOST_V8 && !catboost) continue;
        ids[k++] = s;
    }
    P = sw_alloc_array((size_t)m * (size_t)k + 1, sizeof *P);
    Y = sw_alloc_array((size_t)m + 1, sizeof *Y);
    S = sw_alloc_array((size_t)m + 1, sizeof *S);
    pb = sw_alloc_array((size_t)m + 1, sizeof *pb);
    brow = sw_alloc_array((size_t)m + 1, sizeof *brow);
    buf = sw_alloc_array((size_t)m + 1, sizeof *buf);
    if (!P || !Y || !S || !pb || !brow || !buf) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    int std_col = sw_feature_find("points_std_last_10");
    for (long i = 0; i < m; i++) {
        brow[i] = rows[b0 + i];
        Y[i] = y[b0 + i];
        S[i] = sw_matrix_get(X, b0 + i, std_col);
    }
    sw_train_params pf;
    if ((rc = sw__gbdt_params(cfg, X, &pf, err))) goto done;
    pf.rounds = rounds;
    for (int j = 0; j < k; j++) {
        int s = ids[j];
        if (s == SW_SYS_GBDT) {
            long start = b0;
            for (int f = 1; f < K && start < n; f++) {
                long end = f == K - 1 ? n : (long)((double)n * (f + 1) / K);
                while (end < n && end > start && sw_frame_meta_of(fr, rows[end])->date ==
                                                      sw_frame_meta_of(fr, rows[end - 1])->date)
                    end++;
                if (end <= start) continue;
                sw__log(log, "retrain: out-of-fold gbdt %d/%d: %ld rows predict %ld later rows\n", f, K - 1, start,
                      end - start);
                sw_matrix blk = *X;
                blk.data = X->data + (size_t)start * (size_t)X->cols;
                blk.rows = end - start;
                rc = train_on(&pf, X, y, 0, start, NULL, NULL, &fold, err);
                if (rc == SW_OK) predict_forest(fold, &blk, SW__THREADS(cfg), buf + (start - b0));
                sw_forest_free(fold);
                fold = NULL;
                if (rc) goto done;
                start = end;
            }
            for (long i = 0; i < m; i++) P[i * k + j] = buf[i];
            continue;
        }
        const sw_system *sys = catboost;
        if (s != SW_SYS_CATBOOST_V8) {
            if ((rc = sw_system_create_rule((sw_system_id)s, &rules[s], err))) goto done;
            sys = rules[s];
        }
        sw_batch b = {lg, fr, brow, m, SW__THREADS(cfg)};
        if ((rc = sw_system_predict(sys, &b, pb, err))) goto done;
        for (long i = 0; i < m; i++) P[i * k + j] = pb[i].pred;
    }
        if ((rc = sw_stack_fit(P, Y, S, m, k, ids, cfg->ridge_lambda, st, err))) goto done;
    /* the market anchor and P(over) on the same out-of-fold rows, against their lines */
    {
        double *sp = sw_alloc_array((size_t)m * 4 + 1, sizeof *sp);
        if (!sp) {
            rc = sw_fail(err, SW_NOMEM, "out of memory");
            goto done;
        }
        double *ss = sp + m, *sl = sp + 2 * m, *pm = sp + 3 * m;
        for (long i = 0; i < m; i++) {
            double by[SW_SYS_COUNT];
            for (int s = 0; s < SW_SYS_COUNT; s++) by[s] = NAN;
            for (int j = 0; j < k; j++) by[ids[j]] = P[i * k + j];
            sp[i] = sw_stack_predict(st, by, S[i], &ss[i], NULL);
            const sw_frame_meta *fm = sw_frame_meta_of(fr, brow[i]);
            sl[i] = fm->line;
            pm[i] = fm->p_market;
        }
        sw_market_fit(&st->mk, sp, ss, Y, sl, pm, m, cfg->market_shrink_rows, cfg->market_prior);
        sw_free(sp);
        sw__log(log,
                "retrain: market anchor on %ld rows (%ld with a line, %ld decided): shift %.3f, w %.3f%s, "
                "P(over) = logistic(%.3f + %.3f logit(market) + %.3f logit(model))%s\n",
                st->mk.rows, st->mk.rows_line, st->mk.rows_prob, st->mk.shift, st->mk.w,
                !st->mk.fitted_w ? " (too few lined rows: the market's median)"
                : st->mk.w == 0 ? " (no better than the market's median on the later rows)" : "",
                st->mk.a, st->mk.b, st->mk.c,
                !st->mk.fitted_p ? " (too few rows: the market alone)"
                : st->mk.c == 0 && st->mk.b == 1 && st->mk.a == 0 ? " (no better than the market on the later rows)"
                                                                   : "");
    }
done:
    for (int i = 0; i < 4; i++) sw_system_free(rules[i]);
    sw_forest_free(fold);
    sw_matrix_free(X);
    sw_free(y);
    sw_free(P);
    sw_free(Y);
    sw_free(S);
    sw_free(pb);
    sw_free(brow);
    sw_free(buf);
    return rc;
}

int sw_retrain(const sw_league *lg, const sw_retrain_opts *o, sw_retrain_report *rep, sw_error *err)
{
    sw_retrain_report local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    const sw_config *cfg = o->cfg;
    double t0 = sw_clock_now();
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
    int rc = sw__build_frame(lg, cfg, from, to, -1, &fr, err);
    if (rc) return rc;

    sw_model_bundle mb = {0};
    long *rows = NULL;
    unsigned char *blob[3] = {NULL, NULL, NULL};
    size_t blen[3] = {0, 0, 0};
    char *stack_js = NULL, *drift_js = NULL;
    size_t dlen = 0;

    rows = sw_alloc_array((size_t)sw_frame_rows(fr) + 1, sizeof *rows);
    if (!rows) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    long n = sw__training_rows(fr, cfg, from, to, rows);
    if (n < 0) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    rep->rows = n;
    rep->t_features = sw_clock_now() - t0;
    /* the window is the rows' own: the first and last game trained on */
    if (n > 0) {
        sw_date_format(sw_frame_meta_of(fr, rows[0])->date, rep->from);
        sw_date_format(sw_frame_meta_of(fr, rows[n - 1])->date, rep->to);
    }
    sw__log(o->log, "retrain: %ld training rows from %s to %s (%ld player-games built in %.2f s)\n", n, rep->from,
          rep->to, sw_frame_rows(fr), rep->t_features);
    if (n < 2000) {
        rc = sw_fail(err, SW_INVALID_DATA,
                     "only %ld usable training rows before the cut-off (need 2000): simulate or load more seasons", n);
        goto done;
    }
    double tt = sw_clock_now();
    sw__gbdt_report gr;
    if ((rc = sw__gbdt_fit(cfg, fr, rows, n, 1, &mb, &gr, o->log, err))) goto done;
    rep->rows_train = gr.rows_train;
    rep->rows_valid = gr.rows_valid;
    rep->best_iteration = gr.best_iteration;
    rep->trees = gr.trees;
    rep->valid_mae = gr.valid_mae;
    rep->valid_rmse = gr.valid_rmse;
    rep->valid_within3 = gr.valid_within3;
    rep->valid_within5 = gr.valid_within5;
    rep->interval_coverage = gr.interval_coverage;
    rep->valid_lines = gr.valid_lines;
    rep->valid_mae_lined = gr.valid_mae_lined;
    rep->line_mae = gr.line_mae;
    rep->t_train = sw_clock_now() - tt;
    int rounds = gr.best_iteration + 1;

    /* the stack on out-of-fold predictions */
    double to0 = sw_clock_now();
    sw_stack st;
    if ((rc = sw__stack_oof(cfg, lg, fr, rows, n, rounds, o->catboost, &st, o->log, err))) goto done;
    int k = st.k, K = cfg->folds, ids[SW_SYS_COUNT];
    for (int j = 0; j < k; j++) ids[j] = st.sys[j];
    rep->t_oof = sw_clock_now() - to0;
    rep->rows_stack = st.rows;
    rep->stack_mae = st.mae;
    rep->stack_k = k;
    for (int j = 0; j < k; j++) {
        rep->stack_sys[j] = ids[j];
        rep->sys_mae[j] = st.mae_sys[j];
    }
    sw__log(o->log, "retrain: stack on %ld out-of-fold rows: MAE %.3f;", st.rows, st.mae);
    for (int j = 0; j < k; j++) sw__log(o->log, " %s %.3f (coef %.3f)", sw_system_name(ids[j]), st.mae_sys[j], st.coef[j]);
    sw__log(o->log, "; intercept %.3f\n", st.intercept);

    /* register: gbdt first, then the stack that names it */
    int nf = sw_feature_count();
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
    sw_manifest_add_metric(&mg, "valid_rows", (double)rep->rows_valid);
    sw_manifest_add_metric(&mg, "valid_lined_rows", (double)rep->valid_lines);
    sw_manifest_add_metric(&mg, "valid_mae_lined", rep->valid_mae_lined);
    sw_manifest_add_metric(&mg, "valid_line_mae", rep->line_mae);
    sw_manifest_add_metric(&mg, "best_iteration", rep->best_iteration);
    snprintf(mg.params, sizeof mg.params,
             "objective reg:squarederror (q10/q90 reg:quantileerror), rounds %d, eta %g, max_depth %d, "
             "min_child_weight 10, subsample 0.7, colsample_bytree 0.7, lambda 5, alpha 0.5, gamma 0.1, seed %llu%s",
             rounds, cfg->eta, cfg->max_depth, cfg->seed, cfg->monotone_minutes ? ", monotone minutes_avg_last_10" : "");
    sw_forest *fs[3] = {mb.mean, mb.q_lo, mb.q_hi};
    for (int i = 0; i < 3; i++)
        if ((rc = sw_swm_write(fs[i], &blob[i], &blen[i], err))) goto done;
    /* the drift reference of the training rows (monitor.h), a file of the version */
    if ((rc = sw_drift_reference(cfg, fr, rows, n, sw_frame_meta_of(fr, rows[0])->date,
                                 sw_frame_meta_of(fr, rows[n - 1])->date, &drift_js, &dlen, err)))
        goto done;
    sw_reg_blob gb[4] = {{"mean", "mean.swm", blob[0], blen[0]},
                         {"q10", "q10.swm", blob[1], blen[1]},
                         {"q90", "q90.swm", blob[2], blen[2]},
                         {"drift", "drift.json", (const unsigned char *)drift_js, dlen}};
    if ((rc = sw_registry_add(o->models_dir, &mg, gb, 4, o->promote, err))) goto done;
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
    rep->seconds = sw_clock_now() - t0;
    sw__log(o->log, "retrain: registered gbdt %s and stack %s in %s (%.1f s)\n", rep->gbdt_version, rep->stack_version,
          o->models_dir, rep->seconds);
done:
    for (int i = 0; i < 3; i++) sw_free(blob[i]);
    sw_free(stack_js);
    sw_free(drift_js);
    sw_forest_free(mb.mean);
    sw_forest_free(mb.q_lo);
    sw_forest_free(mb.q_hi);
    sw_free(rows);
    sw_frame_free(fr);
    return rc;
}
