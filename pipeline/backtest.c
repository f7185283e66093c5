/* backtest: the walk-forward loop (see backtest.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backtest.h"
#include "core/alloc.h"
#include "core/date.h"
#include "grade.h"
#include "pipeline_impl.h"
#include "slate.h"
#include "stack.h"
#include "core/clock.h"



static int push_graded(sw_backtest *b, int k, const sw_graded *g)
{
    if (b->n_rows[k] == b->cap_rows[k]) {
        long cap = b->cap_rows[k] ? 2 * b->cap_rows[k] : 1024;
        sw_graded *nr = sw_realloc(b->rows[k], sizeof *nr * (size_t)cap);
        if (!nr) return SW_NOMEM;
        b->rows[k] = nr;
        b->cap_rows[k] = cap;
    }
    b->rows[k][b->n_rows[k]++] = *g;
    return SW_OK;
}

/* The walk-forward's own earlier predictions, the stack's training rows. */
typedef struct {
    double *pred; /* n x SW_SYS_COUNT */
    double *y, *line, *p_mkt;
    float *std10;
    long n, cap;
} history;

static int hist_push(history *h, const double pred[SW_SYS_COUNT], double y, float std10, double line, double p_mkt)
{
    if (h->n == h->cap) {
        long cap = h->cap ? 2 * h->cap : 4096;
        double *p = sw_realloc(h->pred, sizeof *p * (size_t)cap * SW_SYS_COUNT);
        if (!p) return SW_NOMEM;
        h->pred = p;
        double *yy = sw_realloc(h->y, sizeof *yy * (size_t)cap);
        if (!yy) return SW_NOMEM;
        h->y = yy;
        float *s = sw_realloc(h->std10, sizeof *s * (size_t)cap);
        if (!s) return SW_NOMEM;
        h->std10 = s;
        double *l = sw_realloc(h->line, sizeof *l * (size_t)cap);
        if (!l) return SW_NOMEM;
        h->line = l;
        double *pm = sw_realloc(h->p_mkt, sizeof *pm * (size_t)cap);
        if (!pm) return SW_NOMEM;
        h->p_mkt = pm;
        h->cap = cap;
    }
    memcpy(h->pred + (size_t)h->n * SW_SYS_COUNT, pred, sizeof(double) * SW_SYS_COUNT);
    h->y[h->n] = y;
    h->std10[h->n] = std10;
    h->line[h->n] = line;
    h->p_mkt[h->n] = p_mkt;
    h->n++;
    return SW_OK;
}

/* Fit the stack over the systems present now on the history's complete rows. */
static int fit_stack(const history *h, sw_system *const sys[SW_SYS_COUNT], double lambda, sw_stack *st, int *ok)
{
    *ok = 0;
    int ids[SW_SYS_COUNT], k = 0;
    for (int s = 0; s < SW_SYS_COUNT; s++)
        if (sys[s]) ids[k++] = s;
    if (k < 2) return SW_OK;
    double *P = sw_alloc_array((size_t)h->n * (size_t)k + 1, sizeof *P);
    if (!P) return SW_NOMEM;
    for (long i = 0; i < h->n; i++)
        for (int j = 0; j < k; j++) P[i * k + j] = h->pred[(size_t)i * SW_SYS_COUNT + (size_t)ids[j]];
    sw_error e;
    int rc = sw_stack_fit(P, h->y, h->std10, h->n, k, ids, lambda, st, &e);
    sw_free(P);
    if (rc == SW_NOMEM) return rc;
    *ok = rc == SW_OK;
    return SW_OK;
}

/* Fit the stack's market part on the history: the walk-forward's own
 * predictions of earlier dates, combined by the stack in use. */
static int fit_market(const history *h, const sw_config *cfg, sw_stack *st)
{
    double *sp = sw_alloc_array((size_t)h->n * 2 + 1, sizeof *sp);
    if (!sp) return SW_NOMEM;
    for (long i = 0; i < h->n; i++) {
        int present = 0;
        sp[i] = sw_stack_predict(st, h->pred + (size_t)i * SW_SYS_COUNT, h->std10[i], &sp[h->n + i], &present);
    }
    sw_market_fit(&st->mk, sp, sp + h->n, h->y, h->line, h->p_mkt, h->n, cfg->market_shrink_rows, cfg->market_prior);
    sw_free(sp);
    return SW_OK;
}

int sw_backtest_run(const sw_league *lg, const sw_backtest_opts *o, sw_backtest *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    const sw_config *cfg = o->cfg;
    double t0 = sw_clock_now();
    int first, last, last_sched;
    sw_league_date_range(lg, &first, &last, &last_sched);
    if (first < 0) return sw_fail(err, SW_INVALID_DATA, "the data has no played games");
    int to = o->to < last ? o->to : last;
    if (o->from > to) return sw_fail(err, SW_ARG, "no played dates between --from and --to");

    /* every played row's features, each as of its own date: built once */
    sw_frame *fr = NULL;
    int rc = sw__build_frame(lg, cfg, first, to, -1, &fr, err);
    if (rc) return rc;
    out->t_features = sw_clock_now() - t0;

    /* the played dates of the range */
    int n_days = to - o->from + 1, *played = sw_calloc((size_t)n_days + 1, sizeof *played);
    long *rows = sw_alloc_array((size_t)sw_frame_rows(fr) + 1, sizeof *rows);
    out->days = sw_calloc((size_t)n_days + 1, sizeof *out->days);
    sw_system *sys[SW_SYS_COUNT] = {NULL};
    history hist = {0};
    sw_stack stack;
    int have_stack = 0;
    if (!played || !rows || !out->days) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    for (int g = 0; g < sw_league_n_games(lg); g++) {
        int d = sw_league_game_date(lg, g);
        if (d >= o->from && d <= to && sw_league_game_played(lg, g)) played[d - o->from] = 1;
    }
    for (int s = 0; s < SW_SYS_COUNT; s++)
        if (cfg->systems[s] && !sw_system_is_model((sw_system_id)s) &&
            (rc = sw_system_create_rule((sw_system_id)s, &sys[s], err)))
            goto done;
    int season_col = sw_feature_find("points_avg_season"), l10_col = sw_feature_find("points_avg_last_10");
    int std_col = sw_feature_find("points_std_last_10");
    int last_train = -1;
    for (int D = o->from; D <= to; D++) {
        if (!played[D - o->from]) continue;
        char ds[11];
        sw_date_format(D, ds);
        /* retrain on the schedule: rows strictly before D */
        int due = last_train < 0 || (o->retrain_every > 0 && D - last_train >= o->retrain_every);
        if (due && cfg->systems[SW_SYS_GBDT]) {
            double tt = sw_clock_now();
            int lo = o->train_window > 0 ? D - o->train_window : first;
            long n = sw__training_rows(fr, cfg, lo, D - 1, rows);
            if (n < 0) {
                rc = sw_fail(err, SW_NOMEM, "out of memory");
                goto done;
            }
            if (n >= 2000) {
                sw_model_bundle mb;
                sw__gbdt_report gr;
                if ((rc = sw__gbdt_fit(cfg, fr, rows, n, 0, &mb, &gr, NULL, err))) goto done;
                snprintf(mb.version, sizeof mb.version, "bt-%s", ds);
                sw_date_format(sw_frame_meta_of(fr, rows[0])->date, mb.train_from);
                sw_date_format(sw_frame_meta_of(fr, rows[n - 1])->date, mb.train_to);
                sw_system_free(sys[SW_SYS_GBDT]);
                sys[SW_SYS_GBDT] = NULL;
                if ((rc = sw_system_create_model(SW_SYS_GBDT, &mb, &sys[SW_SYS_GBDT], err))) goto done;
                snprintf(out->last_gbdt, sizeof out->last_gbdt, "%s", mb.version);
                out->retrains++;
                /* until the walk-forward has its own history, the stack comes from folds of the
                 * training rows, as the production retrain makes it */
                if (hist.n < 2000) {
                    sw_error e2;
                    int r2 = sw__stack_oof(cfg, lg, fr, rows, n, gr.best_iteration + 1, o->catboost, &stack, NULL, &e2);
                    if (r2 == SW_NOMEM) {
                        rc = sw_fail(err, SW_NOMEM, "out of memory");
                        goto done;
                    }
                    have_stack = r2 == SW_OK;
                }
                sw__log(o->log, "backtest %s: gbdt retrained on %ld rows (%d trees, validation MAE %.3f)\n", ds, n,
                      gr.trees, gr.valid_mae);
            } else {
                sw__log(o->log, "backtest %s: %ld training rows before the date, too few for gbdt\n", ds, n);
            }
            last_train = D;
            out->t_train += sw_clock_now() - tt;
        }
        if (due && hist.n >= 2000) {
            sw_system *avail[SW_SYS_COUNT];
            for (int s = 0; s < SW_SYS_COUNT; s++)
                avail[s] = s == SW_SYS_CATBOOST_V8 ? (cfg->systems[s] ? (sw_system *)o->catboost : NULL) : sys[s];
            if ((rc = fit_stack(&hist, avail, cfg->ridge_lambda, &stack, &have_stack))) {
                rc = sw_fail(err, SW_NOMEM, "out of memory");
                goto done;
            }
        }
        /* the market anchor on the walk-forward's earlier dates, whichever rows the stack came from */
        if (due && have_stack && hist.n > 0) {
            if ((rc = fit_market(&hist, cfg, &stack))) {
                rc = sw_fail(err, SW_NOMEM, "out of memory");
                goto done;
            }
            sw__log(o->log,
                    "backtest %s: market anchor on %ld earlier rows (%ld with a line): w %.3f (holdout MAE %.4f, the "
                    "market's %.4f), P(over) = logistic(%.3f + %.3f logit(market) + %.3f logit(model)) (holdout log "
                    "loss %.5f, the market's %.5f)\n",
                    ds, stack.mk.rows, stack.mk.rows_line, stack.mk.w, stack.mk.hold_mae_model,
                    stack.mk.hold_mae_market, stack.mk.a, stack.mk.b, stack.mk.c, stack.mk.hold_ll_model,
                    stack.mk.hold_ll_market);
        }
        /* the slate of D, as the nightly run builds it */
        double ts = sw_clock_now();
        sw_slate_opts so = {.date = D, .cfg = cfg, .stack = have_stack ? &stack : NULL, .stack_version = NULL};
        char sv[64];
        snprintf(sv, sizeof sv, "bt-%s", ds);
        so.stack_version = sv;
        char prev[11]; /* the stack is fitted on rows and predictions of earlier dates */
        sw_date_format(D - 1, prev);
        so.stack_trained_to = prev;
        for (int s = 0; s < SW_SYS_COUNT; s++)
            so.systems[s] = s == SW_SYS_CATBOOST_V8 ? (sw_system *)o->catboost : sys[s];
        sw_slate *sl = NULL;
        if ((rc = sw_slate_run(lg, &so, &sl, err))) goto done;
        out->t_slate += sw_clock_now() - ts;
        if (o->store) {
            double tw = sw_clock_now();
            sw_grade_result gr;
            if ((rc = sw_store_write_slate(o->store, sl, lg, NULL, NULL, err)) ||
                (rc = sw_grade_date(o->store, lg, D, &gr, err))) {
                sw_slate_free(sl);
                goto done;
            }
            out->t_store += sw_clock_now() - tw;
        }
        /* grade in memory */
        sw_backtest_day *day = &out->days[out->n_days++];
        day->date = D;
        day->players = sl->n;
        for (long i = 0; i < sl->n && rc == SW_OK; i++) {
            const sw_slate_row *r = &sl->rows[i];
            double pts = NAN, min = NAN;
            int ok = sw_league_result(lg, r->player, r->game, &pts, &min) && min > 0;
            const float *v = sw_frame_values(sl->frame, r->frame_row);
            sw_graded g = {D, NAN, ok ? (float)pts : NAN, r->line, NAN, 0, r->quality, r->over_price, r->under_price,
                           v[season_col], v[l10_col], r->tier, SW_CALL_PASS, r->p_market};
            double preds[SW_SYS_COUNT];
            for (int s = 0; s < SW_SYS_COUNT; s++) {
                preds[s] = sl->enabled[s] ? r->sys[s].pred : NAN;
                if (!sl->enabled[s]) continue;
                g.pred = r->sys[s].pred;
                g.conf = r->sys[s].conf;
                g.call = r->sys_call[s];
                g.p_over = isfinite(r->line) ? (float)sw_prob_over(r->sys[s].pred, r->sys[s].sigma, r->line) : NAN;
                if (push_graded(out, s, &g)) rc = SW_NOMEM;
            }
            g.pred = r->pred;
            g.conf = r->conf;
            g.call = r->call;
            g.p_over = r->p_over;
            if (push_graded(out, SW_SYS_COUNT, &g)) rc = SW_NOMEM;
            if (ok && hist_push(&hist, preds, pts, v[std_col], r->line, r->p_market)) rc = SW_NOMEM;
            if (isfinite(r->line)) day->lined++;
            if (ok && isfinite(r->pred)) {
                day->abs_err += fabs(r->pred - pts);
                day->n_err++;
            }
            if (ok && sw_call_is_bet(r->call)) {
                if (pts == r->line) {
                    day->pushes++;
                } else {
                    int over = r->call == SW_CALL_OVER, hit = over ? pts > r->line : pts < r->line;
                    day->bets++;
                    day->hits += hit;
                    day->units += hit ? sw_units_won(over ? r->over_price : r->under_price) : -1.0;
                    day->units_110 += hit ? 100.0 / 110.0 : -1.0;
                }
            }
        }
        sw_slate_free(sl);
        if (rc) {
            rc = sw_fail(err, SW_NOMEM, "out of memory");
            goto done;
        }
        out->dates++;
        sw__log(o->log, "backtest %s: %ld players, %ld bets, %ld hits\n", ds, day->players, day->bets, day->hits);
    }
    out->seconds = sw_clock_now() - t0;
done:
    for (int s = 0; s < SW_SYS_COUNT; s++) sw_system_free(sys[s]);
    sw_free(hist.pred);
    sw_free(hist.y);
    sw_free(hist.std10);
    sw_free(hist.line);
    sw_free(hist.p_mkt);
    sw_free(played);
    sw_free(rows);
    sw_frame_free(fr);
    if (rc) sw_backtest_free(out);
    return rc;
}

void sw_backtest_free(sw_backtest *b)
{
    for (int k = 0; k <= SW_SYS_COUNT; k++) sw_free(b->rows[k]);
    sw_free(b->days);
    memset(b, 0, sizeof *b);
}
