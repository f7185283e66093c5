/* slate: the nightly coordinator (see slate.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/date.h"
#include "core/hash.h"
#include "core/json.h"
#include "pipeline_impl.h"
#include "rollout.h"
#include "slate.h"
#include "core/clock.h"

static void warn(sw_slate *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(sw_slate *s, const char *fmt, ...)
{
    if (s->n_warnings >= 8) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->warnings[s->n_warnings++], sizeof s->warnings[0], fmt, ap);
    va_end(ap);
}

/* 1 when a model trained through `to` (YYYY-MM-DD) may serve `date`. */
static int before(const char *to, int date)
{
    int d;
    return to && to[0] && sw_date_parse(to, strlen(to), &d) == 0 && d < date;
}

/* "1.46" where "%.1f" would print the threshold itself ("1.5 below 1.5"). */
static void fmt_vs(char *out, size_t cap, double v, double limit)
{
    for (int p = 1; p <= 4; p++) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%.*f", p, v);
        snprintf(b, sizeof b, "%.*f", p, limit);
        if (strcmp(a, b) != 0 || p == 4) {
            snprintf(out, cap, "%s", a);
            return;
        }
    }
}

/* A signed edge to one decimal, never "-0.0". */
static void fmt_edge(char *out, size_t cap, double e)
{
    double r = round(e * 10) / 10;
    if (r == 0) snprintf(out, cap, "0.0");
    else snprintf(out, cap, "%+.1f", r);
}

typedef struct {
    long row;
    float min10;
} cand;

/* A system's own figures at the row's line, stored beside its prediction: its
 * edge (prediction minus line) and P(over) from its prediction and spread;
 * NaN without a line or a prediction.  In double, as stored. */
static void system_figures(const sw_pred *p, float line, double *p_over, double *edge)
{
    *edge = isfinite(line) && isfinite(p->pred) ? (double)p->pred - (double)line : NAN;
    *p_over = isfinite(*edge) ? sw_prob_over(p->pred, p->sigma, line) : NAN;
}

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->min10 != y->min10) return x->min10 < y->min10 ? 1 : -1;
    return x->row < y->row ? -1 : x->row > y->row;
}

void sw_slate_row_final(const sw_slate_row *r, sw_slate_final *f)
{
    f->pred = r->pred;
    f->lo = r->lo;
    f->hi = r->hi;
    f->sigma = r->sigma;
    f->p_over = r->p_over;
    f->edge = r->edge;
    f->conf = r->conf;
    f->n_pred = r->n_pred;
    f->n_agree = r->n_agree;
    f->call = r->call;
    memcpy(f->reason, r->reason, sizeof f->reason);
    f->ev = r->ev;
    f->stake = r->stake;
}

static void final_set(sw_slate_row *r, const sw_slate_final *f)
{
    r->pred = f->pred;
    r->lo = f->lo;
    r->hi = f->hi;
    r->sigma = f->sigma;
    r->p_over = f->p_over;
    r->edge = f->edge;
    r->conf = f->conf;
    r->n_pred = f->n_pred;
    r->n_agree = f->n_agree;
    r->call = f->call;
    memcpy(r->reason, f->reason, sizeof r->reason);
    r->ev = f->ev;
    r->stake = f->stake;
}

/* "; drivers: a 1.2 +0.5, ..." after a call's reason. */
static void append_drivers(char *reason, size_t cap, const sw_slate_row *r)
{
    size_t len = strlen(reason);
    for (int k = 0; k < r->n_top && k < 3 && len < cap; k++)
        len += (size_t)snprintf(reason + len, cap - len, "%s%s %.3g %+.1f", k ? ", " : "; drivers: ",
                                sw_feature_name(r->top[k].feature), r->top[k].value, r->top[k].phi);
}

/* The combination of the systems for one row (slate.h): the systems of
 * `enabled` with the row's predictions, through o->stack. */
static void combine(const sw_slate_opts *o, const sw_league *lg, const sw_frame *frame, const int *enabled,
                    sw_slate_row *r, int std_col)
{
    const sw_config *cfg = o->cfg;
    const float *v = sw_frame_values(frame, r->frame_row);
    double by_sys[SW_SYS_COUNT], wp = 0, wc = 0, sig = 0;
    r->n_pred = 0;
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        by_sys[k] = enabled[k] ? r->sys[k].pred : NAN;
        if (!isfinite(by_sys[k])) continue;
        r->n_pred++;
        double w = r->sys[k].conf > 1 ? r->sys[k].conf : 1;
        wp += w * by_sys[k];
        wc += w;
        sig += r->sys[k].sigma;
    }
    double m = NAN, sigma = NAN;
    int stacked = 0;
    if (o->stack) {
        int present = 0;
        m = sw_stack_predict(o->stack, by_sys, v[std_col], &sigma, &present);
        stacked = isfinite(m);
    }
    if (!stacked && r->n_pred) {
        m = wp / wc;
        sigma = sig / r->n_pred;
    }
    sw_market dflt;
    sw_market_init(&dflt);
    const sw_market *mk = stacked ? &o->stack->mk : &dflt;
    double pred = sw_market_pred(mk, m, sigma, r->line, r->p_market);
    r->pred = isfinite(pred) ? (float)(pred < 0 ? 0 : pred > 60 ? 60 : pred) : NAN;
    r->sigma = (float)sigma;
    r->lo = isfinite(pred) ? (float)fmax(0, r->pred - 1.2815516 * sigma) : NAN;
    r->hi = isfinite(pred) ? (float)fmin(60, r->pred + 1.2815516 * sigma) : NAN;
    r->edge = isfinite(r->line) && isfinite(pred) ? r->pred - r->line : NAN;
    r->p_over = isfinite(r->edge) ? (float)sw_market_prob_over(mk, m, sigma, r->line, r->p_market) : NAN;
    r->ev = r->stake = NAN;

    char q[48];
    snprintf(q, sizeof q, "quality %.0f %s", r->quality, sw_tier_name(r->tier));
    if (!isfinite(r->line)) {
        r->call = SW_CALL_NO_LINE;
        r->conf = NAN;
        snprintf(r->reason, sizeof r->reason, "no line from the configured books; %s", q);
        return;
    }
    if (r->n_pred == 0 || !isfinite(r->p_over)) {
        r->call = SW_CALL_PASS;
        r->conf = NAN;
        const char *why = "no system predicted";
        for (int k = 0; k < SW_SYS_COUNT; k++)
            if (enabled[k] && r->sys[k].note[0]) {
                why = r->sys[k].note;
                break;
            }
        snprintf(r->reason, sizeof r->reason, "no prediction: %s; %s", why, q);
        return;
    }
    /* the side of the higher expected value at the best prices */
    double d_over = sw_decimal_odds(r->over_price), d_under = sw_decimal_odds(r->under_price);
    double ev_over = r->p_over * d_over - 1, ev_under = (1 - r->p_over) * d_under - 1;
    int over = ev_over >= ev_under;
    double p_side = over ? r->p_over : 1 - r->p_over, ev = over ? ev_over : ev_under, dec = over ? d_over : d_under;
    r->n_agree = 0;
    for (int k = 0; k < SW_SYS_COUNT; k++)
        if (isfinite(by_sys[k]) && (over ? by_sys[k] > r->line : by_sys[k] < r->line)) r->n_agree++;
    double share = (double)r->n_agree / r->n_pred;
    r->conf = (float)(100 * p_side);

    char facts[200], es[16], pr[48];
    fmt_edge(es, sizeof es, r->edge);
    double price = over ? r->over_price : r->under_price;
    int pbook = over ? r->over_book : r->under_book;
    if (isfinite(price) && lg && pbook >= 0) snprintf(pr, sizeof pr, "%+.0f %s", price, sw_league_book(lg, pbook));
    else if (isfinite(price)) snprintf(pr, sizeof pr, "%+.0f", price);
    else snprintf(pr, sizeof pr, "-110 (no price)");
    if (isfinite(r->p_market))
        snprintf(facts, sizeof facts, "EV %+.1f%% at %s, P(%s) %.3f (market %.3f), edge %s, %d of %d systems %s",
                 100 * ev, pr, over ? "over" : "under", p_side, over ? r->p_market : 1 - r->p_market, es, r->n_agree,
                 r->n_pred, over ? "over" : "under");
    else
        snprintf(facts, sizeof facts, "EV %+.1f%% at %s, P(%s) %.3f, edge %s, %d of %d systems %s", 100 * ev, pr,
                 over ? "over" : "under", p_side, es, r->n_agree, r->n_pred, over ? "over" : "under");
    const char *block = NULL;
    char why[160], a[32], b[32];
    if (r->tier < cfg->min_tier) {
        snprintf(why, sizeof why, "%s below %s", q, sw_tier_name(cfg->min_tier));
        block = why;
    } else if (r->n_pred < cfg->min_systems) {
        snprintf(why, sizeof why, "%d systems predicted, %d needed", r->n_pred, cfg->min_systems);
        block = why;
    } else if (ev < cfg->min_ev) {
        fmt_vs(a, sizeof a, 100 * ev, 100 * cfg->min_ev);
        snprintf(b, sizeof b, "%g%%", 100 * cfg->min_ev);
        snprintf(why, sizeof why, "expected value %s%% is under the minimum %s", a, b);
        block = why;
    } else if (fabs(r->edge) < cfg->min_edge) {
        fmt_vs(a, sizeof a, fabs(r->edge), cfg->min_edge);
        snprintf(b, sizeof b, "%g", cfg->min_edge);
        snprintf(why, sizeof why, "edge %s is under the minimum %s", a, b);
        block = why;
    } else if (p_side < cfg->min_prob) {
        fmt_vs(a, sizeof a, p_side, cfg->min_prob);
        snprintf(b, sizeof b, "%g", cfg->min_prob);
        snprintf(why, sizeof why, "P(%s) %s is under the minimum %s", over ? "over" : "under", a, b);
        block = why;
    } else if (share < cfg->min_agreement) {
        fmt_vs(a, sizeof a, share, cfg->min_agreement);
        snprintf(b, sizeof b, "%g", cfg->min_agreement);
        snprintf(why, sizeof why, "agreement %s is under the minimum %s", a, b);
        block = why;
    }
    if (block) {
        r->conf = NAN;
        r->call = SW_CALL_PASS;
        snprintf(r->reason, sizeof r->reason, "%s: %s; %s", sw_call_name(r->call), block, facts);
    } else {
        r->call = over ? SW_CALL_OVER : SW_CALL_UNDER;
        r->ev = (float)ev;
        r->stake = cfg->kelly > 0 ? (float)(cfg->kelly * ev / (dec - 1)) : NAN;
        snprintf(r->reason, sizeof r->reason, "%s: %s; %s", sw_call_name(r->call), facts, q);
    }
}

/* final BLOCKED by the monitor: no OVER/UNDER is served. */
static void block_final(sw_slate_row *r)
{
    if (!sw_call_is_bet(r->call)) return;
    char why[sizeof r->reason];
    snprintf(why, sizeof why, "PASS: final is BLOCKED by the monitor ('swish monitor --enable final'); was %.300s",
             r->reason);
    memcpy(r->reason, why, sizeof r->reason);
    r->call = SW_CALL_PASS;
    r->conf = NAN;
}

/* The system whose model explains calls: gbdt, else catboost_v8, if it ran. */
static const sw_system *explainer(const sw_slate *s, const sw_slate_opts *o)
{
    return s->enabled[SW_SYS_GBDT] ? o->systems[SW_SYS_GBDT]
           : s->enabled[SW_SYS_CATBOOST_V8] ? o->systems[SW_SYS_CATBOOST_V8] : NULL;
}

int sw_slate_run(const sw_league *lg, const sw_slate_opts *o, sw_slate **out, sw_error *err)
{
    *out = NULL;
    const sw_config *cfg = o->cfg;
    double t0 = sw_clock_now();
    int games = 0;
    for (int g = 0; g < sw_league_n_games(lg); g++) games += sw_league_game_date(lg, g) == o->date;
    if (!games) {
        char ds[11];
        sw_date_format(o->date, ds);
        return sw_fail(err, SW_NO_GAMES, "no games on %s in the schedule or box scores", ds);
    }
    sw_slate *s = sw_calloc(1, sizeof *s);
    if (!s) return sw_fail(err, SW_NOMEM, "out of memory");
    s->date = o->date;
    int rc = SW_OK;

    /* features of every expected player, lines by the configured preference */
    if ((rc = sw__build_frame(lg, cfg, 0, -1, o->date, &s->frame, err))) goto fail;
    double t1 = sw_clock_now();
    s->t_features = t1 - t0;

    /* players with a line or enough minutes, by minutes, capped */
    int min_col = sw_feature_find("minutes_avg_last_10"), std_col = sw_feature_find("points_std_last_10");
    long nf = sw_frame_rows(s->frame);
    s->candidates = nf;
    cand *c = sw_alloc_array((size_t)nf + 1, sizeof *c);
    if (!c) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto fail;
    }
    long nc = 0;
    for (long i = 0; i < nf; i++) {
        const sw_frame_meta *m = sw_frame_meta_of(s->frame, i);
        const uint8_t *src = sw_frame_sources(s->frame, i);
        float min10 = src[min_col] == SW_SRC_DEFAULT ? 0 : sw_frame_values(s->frame, i)[min_col];
        if (o->keep_all || isfinite(m->line) || min10 >= cfg->min_minutes)
            c[nc++] = (cand){i, isfinite(m->line) ? 100 + min10 : min10};
    }
    qsort(c, (size_t)nc, sizeof *c, cmp_cand);
    if (!o->keep_all && nc > cfg->max_players) {
        warn(s, "%ld players expected, kept the %d with lines and most minutes", nc, cfg->max_players);
        nc = cfg->max_players;
    }
    s->n = nc;
    s->rows = sw_calloc((size_t)nc + 1, sizeof *s->rows);
    long *rows = sw_alloc_array((size_t)nc + 1, sizeof *rows);
    sw_pred *buf = sw_alloc_array((size_t)nc + 1, sizeof *buf);
    if (!s->rows || !rows || !buf) {
        sw_free(c);
        sw_free(rows);
        sw_free(buf);
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto fail;
    }
    /* rows in frame order (game, player) for a stable output */
    for (long i = 0; i < nc; i++) rows[i] = c[i].row;
    sw_free(c);
    for (long i = 1; i < nc; i++) {
        long x = rows[i], j = i;
        while (j > 0 && rows[j - 1] > x) {
            rows[j] = rows[j - 1];
            j--;
        }
        rows[j] = x;
    }
    for (long i = 0; i < nc; i++) {
        sw_slate_row *r = &s->rows[i];
        const sw_frame_meta *m = sw_frame_meta_of(s->frame, rows[i]);
        r->frame_row = rows[i];
        r->player = m->player;
        r->game = m->game;
        r->team = m->team;
        r->opp = m->opp;
        r->home = m->home;
        r->line = m->line;
        r->book = m->line_book;
        r->over_price = m->over_price;
        r->under_price = m->under_price;
        r->over_book = m->over_book;
        r->under_book = m->under_book;
        r->p_market = m->p_market;
        r->quality = m->quality;
        r->tier = m->tier;
        char hex[65];
        sw_sha256_hex(sw_frame_values(s->frame, rows[i]), sizeof(float) * (size_t)sw_frame_cols(s->frame), hex);
        memcpy(r->feature_hash, hex, 16);
        r->feature_hash[16] = 0;
        for (int k = 0; k < SW_SYS_COUNT; k++) {
            r->sys[k].pred = r->sys[k].lo = r->sys[k].hi = r->sys[k].sigma = NAN;
            r->sys_call[k] = SW_CALL_PASS;
            r->cand[k].pred = r->cand[k].lo = r->cand[k].hi = r->cand[k].sigma = NAN;
            r->cand_call[k] = SW_CALL_PASS;
            r->sys_p_over[k] = r->sys_edge[k] = r->cand_p_over[k] = r->cand_edge[k] = NAN;
        }
    }
    double t2 = sw_clock_now();
    s->t_select = t2 - t1;

    /* every enabled system over the batch */
    sw_batch b = {lg, s->frame, rows, nc, SW__THREADS(cfg)};
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        sw_system *sys = o->systems[k];
        if (!cfg->systems[k]) continue;
        if (!sys) continue; /* the loader said why (models.h) */
        if (sw_system_is_model((sw_system_id)k)) {
            char from[11], to[11];
            sw_system_train_window(sys, from, to);
            if (!before(to, o->date)) {
                char ds[11];
                sw_date_format(o->date, ds);
                warn(s, "%s %s refused for %s: its model was trained on games through %s; it is left out", sw_system_name(k),
                     sw_system_version(sys), ds, to[0] ? to : "an unknown date");
                s->refused++;
                continue;
            }
            snprintf(s->trained_to[k], sizeof s->trained_to[k], "%s", to);
            if (strcmp(to, s->final_trained_to) > 0) snprintf(s->final_trained_to, sizeof s->final_trained_to, "%s", to);
        }
        double ts = sw_clock_now();
        sw_error e;
        sw_error_clear(&e);
        if (sw_system_predict(sys, &b, buf, &e)) {
            char m[200];
            sw_error_format(&e, m, sizeof m);
            warn(s, "system %s failed and is left out: %s", sw_system_name(k), m);
            continue;
        }
        s->enabled[k] = 1;
        snprintf(s->version[k], sizeof s->version[k], "%s", sw_system_version(sys));
        if (k == SW_SYS_GBDT) sw_system_train_window(sys, s->train_from, s->train_to);
        if (sw_system_is_model((sw_system_id)k)) {
            s->importance[k] = sw_alloc_array((size_t)sw_feature_count(), sizeof(double));
            if (s->importance[k] && !sw_system_gain_importance(sys, s->importance[k])) {
                sw_free(s->importance[k]);
                s->importance[k] = NULL;
            }
        }
        for (long i = 0; i < nc; i++) {
            sw_slate_row *r = &s->rows[i];
            r->sys[k] = buf[i];
            r->sys_call[k] = sw_system_call(sys, &buf[i], r->line);
            system_figures(&buf[i], r->line, &r->sys_p_over[k], &r->sys_edge[k]);
        }
        s->t_system[k] = sw_clock_now() - ts;
    }
    /* the versions in rollout over the same batch (scoring is cheap: every row) */
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        sw_system *sys = o->cand[k];
        if (!cfg->systems[k] || !sys) continue;
        char from[11] = "", to[11] = "";
        if (sw_system_is_model((sw_system_id)k)) {
            sw_system_train_window(sys, from, to);
            if (!before(to, o->date)) {
                char ds[11];
                sw_date_format(o->date, ds);
                warn(s, "%s %s (in rollout) refused for %s: its model was trained on games through %s; the champion "
                        "serves alone", sw_system_name(k), sw_system_version(sys), ds, to[0] ? to : "an unknown date");
                s->refused++;
                continue;
            }
        }
        double ts = sw_clock_now();
        sw_error e;
        sw_error_clear(&e);
        if (sw_system_predict(sys, &b, buf, &e)) {
            char m[200];
            sw_error_format(&e, m, sizeof m);
            warn(s, "%s %s (in rollout) failed and is left out: %s", sw_system_name(k), sw_system_version(sys), m);
            continue;
        }
        s->cand_enabled[k] = 1;
        s->cand_share[k] = o->cand_share[k];
        snprintf(s->cand_version[k], sizeof s->cand_version[k], "%s", sw_system_version(sys));
        snprintf(s->cand_trained_to[k], sizeof s->cand_trained_to[k], "%s", to);
        for (long i = 0; i < nc; i++) {
            sw_slate_row *r = &s->rows[i];
            r->cand[k] = buf[i];
            r->cand_call[k] = sw_system_call(sys, &buf[i], r->line);
            system_figures(&buf[i], r->line, &r->cand_p_over[k], &r->cand_edge[k]);
        }
        s->t_system[k] += sw_clock_now() - ts;
    }
    sw_free(buf);
    sw_free(rows);

    double t3 = sw_clock_now();
    int en_final[SW_SYS_COUNT];
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        s->blocked[k] = s->enabled[k] && o->blocked[k];
        en_final[k] = s->enabled[k] && !s->blocked[k];
        if (s->blocked[k])
            warn(s, "%s is BLOCKED by the monitor: it predicts and is stored, but is left out of final ('swish monitor "
                    "--enable %s' lifts it)", sw_system_name(k), sw_system_name(k));
    }
    sw_slate_opts oc = *o;
    if (oc.stack && !before(oc.stack_trained_to, o->date)) {
        char ds[11];
        sw_date_format(o->date, ds);
        warn(s, "stack %s refused for %s: trained on games through %s; the final prediction is the mean of the systems",
             oc.stack_version ? oc.stack_version : "unversioned", ds,
             oc.stack_trained_to && oc.stack_trained_to[0] ? oc.stack_trained_to : "an unknown date");
        s->refused++;
        oc.stack = NULL;
    }
    if (oc.stack) {
        s->stack_used = 1;
        snprintf(s->final_version, sizeof s->final_version, "stack-%s", oc.stack_version ? oc.stack_version : "unversioned");
        if (strcmp(oc.stack_trained_to, s->final_trained_to) > 0)
            snprintf(s->final_trained_to, sizeof s->final_trained_to, "%s", oc.stack_trained_to);
    } else {
        snprintf(s->final_version, sizeof s->final_version, "mean-of-systems");
    }
    /* the rollout's combination: the candidates in place of their champions, the candidate stack if any */
    sw_slate_opts orl = oc;
    int en_roll[SW_SYS_COUNT];
    if (o->cand_stack && !before(o->cand_stack_trained_to, o->date)) {
        char ds[11];
        sw_date_format(o->date, ds);
        warn(s, "stack %s (in rollout) refused for %s: trained on games through %s; the champion stack serves alone",
             o->cand_stack_version ? o->cand_stack_version : "unversioned", ds,
             o->cand_stack_trained_to && o->cand_stack_trained_to[0] ? o->cand_stack_trained_to : "an unknown date");
        s->refused++;
    } else if (o->cand_stack) {
        orl.stack = o->cand_stack;
        s->cand_stack = 1;
        s->cand_stack_share = o->cand_stack_share;
        snprintf(s->cand_stack_version, sizeof s->cand_stack_version, "%s",
                 o->cand_stack_version ? o->cand_stack_version : "unversioned");
    }
    s->share = 100;
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        en_roll[k] = (s->enabled[k] || s->cand_enabled[k]) && !s->blocked[k];
        if (s->cand_enabled[k]) {
            s->rollout = 1;
            if (s->cand_share[k] < s->share) s->share = s->cand_share[k];
        }
    }
    if (s->cand_stack) {
        s->rollout = 1;
        if (s->cand_stack_share < s->share) s->share = s->cand_stack_share;
    }
    if (!s->rollout) s->share = 0;
    if (s->rollout) {
        size_t vl;
        if (s->cand_stack) vl = (size_t)snprintf(s->rollout_version, sizeof s->rollout_version, "stack-%s", s->cand_stack_version);
        else vl = (size_t)snprintf(s->rollout_version, sizeof s->rollout_version, "%s", s->final_version);
        for (int k = 0; k < SW_SYS_COUNT && vl < sizeof s->rollout_version; k++)
            if (s->cand_enabled[k])
                vl += (size_t)snprintf(s->rollout_version + vl, sizeof s->rollout_version - vl, "+%s=%s",
                                       sw_system_name(k), s->cand_version[k]);
        const char *st_to = s->cand_stack ? o->cand_stack_trained_to : oc.stack ? oc.stack_trained_to : "";
        snprintf(s->rollout_trained_to, sizeof s->rollout_trained_to, "%s", st_to ? st_to : "");
        for (int k = 0; k < SW_SYS_COUNT; k++) {
            const char *t = s->cand_enabled[k] ? s->cand_trained_to[k] : s->enabled[k] ? s->trained_to[k] : "";
            if (strcmp(t, s->rollout_trained_to) > 0)
                snprintf(s->rollout_trained_to, sizeof s->rollout_trained_to, "%s", t);
        }
    }
    char ds_arm[11];
    sw_date_format(o->date, ds_arm);
    for (long i = 0; i < nc; i++) {
        sw_slate_row *r = &s->rows[i];
        combine(&oc, lg, s->frame, en_final, r, std_col);
        if (o->final_blocked) block_final(r);
        if (!s->rollout) continue;
        sw_slate_row_final(r, &r->champ);
        sw_slate_row t = *r;
        for (int k = 0; k < SW_SYS_COUNT; k++)
            if (s->cand_enabled[k]) t.sys[k] = r->cand[k];
        combine(&orl, lg, s->frame, en_roll, &t, std_col);
        if (o->final_blocked) block_final(&t);
        sw_slate_row_final(&t, &r->roll);
        r->arm = sw_rollout_arm(sw_league_player_id(lg, r->player), o->date, s->share);
        if (r->arm) {
            final_set(r, &r->roll);
            s->served_rollout++;
        }
    }
    double t4 = sw_clock_now();
    s->t_combine = t4 - t3;
    /* the drivers of each call: TreeSHAP of the gbdt model (else catboost_v8) */
    const sw_system *ex = explainer(s, o);
    if (ex) {
        int nt = SW__THREADS(cfg);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 4) if (nt > 1)
        for (long i = 0; i < nc; i++) {
            sw_slate_row *r = &s->rows[i];
            int roll = s->rollout && (sw_call_is_bet(r->champ.call) || sw_call_is_bet(r->roll.call));
            if (!sw_call_is_bet(r->call) && !roll) continue;
            r->n_top = sw_system_contributions(ex, s->frame, r->frame_row, 5, r->top);
            r->top_system = sw_system_id_of(ex);
            if (sw_call_is_bet(r->call)) append_drivers(r->reason, sizeof r->reason, r);
            if (s->rollout && sw_call_is_bet(r->champ.call)) append_drivers(r->champ.reason, sizeof r->champ.reason, r);
            if (s->rollout && sw_call_is_bet(r->roll.call)) append_drivers(r->roll.reason, sizeof r->roll.reason, r);
        }
    }
    s->t_explain = sw_clock_now() - t4;
    s->t_total = sw_clock_now() - t0;
    *out = s;
    return SW_OK;
fail:
    sw_slate_free(s);
    return rc;
}

int sw_slate_drivers(const sw_slate *s, const sw_slate_opts *o, const sw_slate_row *r, sw_contrib top[5], int *system)
{
    const sw_system *ex = explainer(s, o);
    if (!ex) return 0;
    *system = sw_system_id_of(ex);
    return sw_system_contributions(ex, s->frame, r->frame_row, 5, top);
}

/* The market's P(over) at another line: its median found from its
 * probability at the row's own line (a normal with the row's spread). */
static float market_at(const sw_slate_row *r, float line)
{
    if (!isfinite(line)) return NAN;
    if (line == r->line) return r->p_market;
    if (!isfinite(r->p_market) || !isfinite(r->line) || !(r->sigma > 0)) return NAN;
    return (float)sw_prob_over_decided(sw_market_median(r->line, r->p_market, r->sigma), r->sigma, line);
}

void sw_slate_reline(const sw_slate *s, const sw_slate_opts *o, long i, float line, sw_slate_row *out)
{
    const sw_slate_row *src = &s->rows[i];
    *out = *src;
    out->line = line;
    out->book = out->over_book = out->under_book = -1;
    out->over_price = out->under_price = NAN;
    out->p_market = market_at(src, line);
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        if (s->enabled[k]) {
            out->sys_call[k] = sw_system_call(o->systems[k], &out->sys[k], line);
            system_figures(&out->sys[k], line, &out->sys_p_over[k], &out->sys_edge[k]);
        }
        if (s->cand_enabled[k]) {
            out->cand_call[k] = sw_system_call(o->cand[k], &out->cand[k], line);
            system_figures(&out->cand[k], line, &out->cand_p_over[k], &out->cand_edge[k]);
        }
    }
    int std_col = sw_feature_find("points_std_last_10");
    sw_slate_opts oc = *o;
    if (!s->stack_used) oc.stack = NULL;
    int en_final[SW_SYS_COUNT];
    for (int k = 0; k < SW_SYS_COUNT; k++) en_final[k] = s->enabled[k] && !s->blocked[k];
    combine(&oc, NULL, s->frame, en_final, out, std_col);
    if (o->final_blocked) block_final(out);
    if (s->rollout) {
        sw_slate_opts orl = oc;
        if (s->cand_stack) orl.stack = o->cand_stack;
        int en_roll[SW_SYS_COUNT];
        sw_slate_row t = *out;
        for (int k = 0; k < SW_SYS_COUNT; k++) {
            en_roll[k] = (s->enabled[k] || s->cand_enabled[k]) && !s->blocked[k];
            if (s->cand_enabled[k]) t.sys[k] = out->cand[k];
        }
        sw_slate_row_final(out, &out->champ);
        combine(&orl, NULL, s->frame, en_roll, &t, std_col);
        if (o->final_blocked) block_final(&t);
        sw_slate_row_final(&t, &out->roll);
        if (out->arm) final_set(out, &out->roll);
    }
    out->n_top = 0;
    int roll = s->rollout && (sw_call_is_bet(out->champ.call) || sw_call_is_bet(out->roll.call));
    if (!sw_call_is_bet(out->call) && !roll) return;
    out->n_top = sw_slate_drivers(s, o, out, out->top, &out->top_system);
    if (sw_call_is_bet(out->call)) append_drivers(out->reason, sizeof out->reason, out);
    if (s->rollout && sw_call_is_bet(out->champ.call)) append_drivers(out->champ.reason, sizeof out->champ.reason, out);
    if (s->rollout && sw_call_is_bet(out->roll.call)) append_drivers(out->roll.reason, sizeof out->roll.reason, out);
}

void sw_slate_free(sw_slate *s)
{
    if (!s) return;
    sw_frame_free(s->frame);
    for (int k = 0; k < SW_SYS_COUNT; k++) sw_free(s->importance[k]);
    sw_free(s->rows);
    sw_free(s);
}

static const char *short_sys[SW_SYS_COUNT] = {"MA", "ZONE", "SIM", "RULES", "GBDT", "CB8"};

/* Display columns of one code point: 0 for combining marks and zero-width
 * characters, 2 for East Asian wide and fullwidth forms, else 1. */
static int cp_width(unsigned cp)
{
    if (cp < 0x300) return 1;
    if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff) ||
        (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe00 && cp <= 0xfe0f) ||
        (cp >= 0xfe20 && cp <= 0xfe2f))
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
        (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
        (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd))
        return 2;
    return 1;
}

/* Length of the UTF-8 sequence at s and its code point; an invalid byte is
 * one character of width 1 (printed as it is). */
static int utf8_next(const unsigned char *s, unsigned *cp)
{
    unsigned c = s[0];
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0) {
        *cp = 0xfffd;
        return 1;
    }
    unsigned v = n == 1 ? c : c & (0x7f >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        v = v << 6 | (s[i] & 0x3f);
    }
    *cp = v;
    return n;
}

/* `text` cut to at most `width` display columns (never inside a character)
 * and padded with spaces to exactly `width`. */
static void print_cell(FILE *out, const char *text, int width)
{
    const unsigned char *p = (const unsigned char *)text;
    int used = 0;
    while (*p) {
        unsigned cp;
        int n = utf8_next(p, &cp), w = cp_width(cp);
        if (used + w > width) break;
        fwrite(p, 1, (size_t)n, out);
        used += w;
        p += n;
    }
    for (; used < width; used++) fputc(' ', out);
}

static const sw_slate *g_order_slate; /* only for the comparator below; printing is single-threaded */

/* Calls first by confidence (highest first), then PASS, then NO_LINE; frame order within. */
static int cmp_print(const void *a, const void *b)
{
    const sw_slate_row *x = &g_order_slate->rows[*(const long *)a], *y = &g_order_slate->rows[*(const long *)b];
    int cx = sw_call_is_bet(x->call) ? 0 : x->call == SW_CALL_PASS ? 1 : 2;
    int cy = sw_call_is_bet(y->call) ? 0 : y->call == SW_CALL_PASS ? 1 : 2;
    if (cx != cy) return cx - cy;
    if (cx == 0 && x->ev != y->ev) return x->ev > y->ev ? -1 : 1;
    long i = *(const long *)a, j = *(const long *)b;
    return i < j ? -1 : i > j;
}

void sw_slate_print(const sw_slate *s, const sw_league *lg, FILE *out)
{
    char ds[11];
    sw_date_format(s->date, ds);
    long calls = 0;
    for (long i = 0; i < s->n; i++) calls += sw_call_is_bet(s->rows[i].call);
    fprintf(out, "slate %s: %ld players, %ld calls\n", ds, s->n, calls);
    if (s->rollout) {
        fprintf(out, "rollout:");
        int first = 1;
        for (int k = 0; k <= SW_SYS_COUNT; k++) {
            int on = k < SW_SYS_COUNT ? s->cand_enabled[k] : s->cand_stack;
            if (!on) continue;
            int sh = k < SW_SYS_COUNT ? s->cand_share[k] : s->cand_stack_share;
            char stage[24];
            if (sh > 0) snprintf(stage, sizeof stage, "canary %d%%", sh);
            else snprintf(stage, sizeof stage, "shadow");
            fprintf(out, "%s %s %s (%s)", first ? "" : ",", k < SW_SYS_COUNT ? sw_system_name(k) : "stack",
                    k < SW_SYS_COUNT ? s->cand_version[k] : s->cand_stack_version, stage);
            first = 0;
        }
        if (s->share > 0)
            fprintf(out, "; the rollout served %ld of %ld players (share %d%%), the champions the rest\n",
                    s->served_rollout, s->n, s->share);
        else
            fprintf(out, "; scored and stored, not served: the champions served every player\n");
    }
    print_cell(out, "PLAYER", 24);
    fprintf(out, " %-4s %-4s %5s %-10s", "TEAM", "OPP", "LINE", "BOOK");
    for (int k = 0; k < SW_SYS_COUNT; k++)
        if (s->enabled[k]) fprintf(out, " %5s", short_sys[k]);
    fprintf(out, " %5s %-7s %5s %6s %6s  %s\n", "PRED", "CALL", "P", "EV", "STAKE", "REASON");
    long *order = sw_alloc_array((size_t)s->n + 1, sizeof *order);
    for (long i = 0; i < s->n; i++) order[i] = i;
    if (order) {
        g_order_slate = s;
        qsort(order, (size_t)s->n, sizeof *order, cmp_print);
    }
    for (long j = 0; j < s->n; j++) {
        const sw_slate_row *r = &s->rows[order ? order[j] : j];
        char line[16] = "-", conf[16] = "-", ev[16] = "-", stake[16] = "-";
        if (isfinite(r->line)) snprintf(line, sizeof line, "%.1f", r->line);
        if (isfinite(r->conf)) snprintf(conf, sizeof conf, "%.3f", r->conf / 100);
        if (isfinite(r->ev)) snprintf(ev, sizeof ev, "%+.1f%%", 100 * r->ev);
        if (isfinite(r->stake)) snprintf(stake, sizeof stake, "%.2f%%", 100 * r->stake);
        print_cell(out, sw_league_player_name(lg, r->player), 24);
        fprintf(out, " %-4s %-4s %5s ", sw_league_team_code(lg, r->team), sw_league_team_code(lg, r->opp), line);
        print_cell(out, r->book >= 0 ? sw_league_book(lg, r->book) : "-", 10);
        for (int k = 0; k < SW_SYS_COUNT; k++) {
            if (!s->enabled[k]) continue;
            if (isfinite(r->sys[k].pred)) fprintf(out, " %5.1f", r->sys[k].pred);
            else fprintf(out, " %5s", "-");
        }
        if (isfinite(r->pred)) fprintf(out, " %5.1f", r->pred);
        else fprintf(out, " %5s", "-");
        fprintf(out, " %-7s %5s %6s %6s  %s\n", sw_call_name(r->call), conf, ev, stake, r->reason);
    }
    sw_free(order);
    fprintf(out, "\ncolumns: LINE the line most books quote (BOOK the first of them), PRED the final prediction (a "
                 "median, points); systems:");
    for (int k = 0; k < SW_SYS_COUNT; k++)
        if (s->enabled[k]) fprintf(out, " %s %s%s", short_sys[k], sw_system_name(k), ",");
    fprintf(out, " each one's prediction;\n         P the calibrated probability of the called side, EV its expected "
                 "value per unit at the best price, STAKE the suggested stake (share of bankroll, fractional Kelly); "
                 "none for PASS and NO_LINE\n");
}

/* A value rounded to `digits` decimals (the precision worth showing), NaN kept. */
static void jround(sw_jw *w, const char *key, double v, int digits)
{
    static const double scale[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
    sw_jw_kf64(w, key, isfinite(v) ? round(v * scale[digits]) / scale[digits] : v);
}

/* One combined call as a JSON object (the rollout's fields of a row). */
static void json_final(sw_jw *w, const char *key, const sw_slate_final *f, const char *version, const char *trained_to)
{
    sw_jw_key(w, key);
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "version", version);
    jround(w, "prediction", f->pred, 2);
    jround(w, "lo", f->lo, 2);
    jround(w, "hi", f->hi, 2);
    jround(w, "p_over", f->p_over, 4);
    jround(w, "edge", f->edge, 2);
    sw_jw_kstr(w, "call", sw_call_name(f->call));
    jround(w, "confidence", f->conf, 1);
    jround(w, "ev", f->ev, 4);
    jround(w, "stake", f->stake, 4);
    sw_jw_kint(w, "systems_predicting", f->n_pred);
    sw_jw_kint(w, "systems_agreeing", f->n_agree);
    if (trained_to[0]) sw_jw_kstr(w, "trained_to", trained_to);
    else sw_jw_knull(w, "trained_to");
    sw_jw_kstr(w, "reason", f->reason);
    sw_jw_obj_end(w);
}

void sw_slate_print_json(const sw_slate *s, const sw_league *lg, FILE *out)
{
    sw_jw *w = sw_jw_create(SW_JW_JSON);
    if (!w) {
        fprintf(stderr, "swish: out of memory\n");
        return;
    }
    sw_jw_shortest(w, 1);
    char ds[11];
    sw_date_format(s->date, ds);
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "date", ds);
    sw_jw_kint(w, "players", s->n);
    sw_jw_kstr(w, "final_version", s->final_version);
    sw_jw_key(w, "systems");
    sw_jw_obj_begin(w);
    for (int k = 0; k < SW_SYS_COUNT; k++)
        if (s->enabled[k]) sw_jw_kstr(w, sw_system_name(k), s->version[k]);
    sw_jw_obj_end(w);
    sw_jw_key(w, "trained_to");
    sw_jw_obj_begin(w);
    for (int k = 0; k < SW_SYS_COUNT; k++)
        if (s->enabled[k] && s->trained_to[k][0]) sw_jw_kstr(w, sw_system_name(k), s->trained_to[k]);
    sw_jw_obj_end(w);
    sw_jw_kint(w, "refused", s->refused);
    if (s->rollout) {
        sw_jw_key(w, "rollout");
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "final_version", s->rollout_version);
        sw_jw_kint(w, "share", s->share);
        sw_jw_kint(w, "served", s->served_rollout);
        sw_jw_key(w, "systems");
        sw_jw_obj_begin(w);
        for (int k = 0; k <= SW_SYS_COUNT; k++) {
            int on = k < SW_SYS_COUNT ? s->cand_enabled[k] : s->cand_stack;
            if (!on) continue;
            int sh = k < SW_SYS_COUNT ? s->cand_share[k] : s->cand_stack_share;
            sw_jw_key(w, k < SW_SYS_COUNT ? sw_system_name(k) : "stack");
            sw_jw_obj_begin(w);
            sw_jw_kstr(w, "version", k < SW_SYS_COUNT ? s->cand_version[k] : s->cand_stack_version);
            sw_jw_kstr(w, "stage", sh > 0 ? "canary" : "shadow");
            sw_jw_kint(w, "share", sh);
            if (k < SW_SYS_COUNT && s->cand_trained_to[k][0]) sw_jw_kstr(w, "trained_to", s->cand_trained_to[k]);
            sw_jw_obj_end(w);
        }
        sw_jw_obj_end(w);
        sw_jw_obj_end(w);
    }
    sw_jw_key(w, "warnings");
    sw_jw_arr_begin(w);
    for (int i = 0; i < s->n_warnings; i++) sw_jw_str(w, s->warnings[i]);
    sw_jw_arr_end(w);
    sw_jw_key(w, "seconds");
    sw_jw_obj_begin(w);
    jround(w, "features", s->t_features, 6);
    sw_jw_key(w, "systems");
    sw_jw_obj_begin(w);
    for (int k = 0; k < SW_SYS_COUNT; k++)
        if (s->enabled[k]) jround(w, sw_system_name(k), s->t_system[k], 6);
    sw_jw_obj_end(w);
    jround(w, "combine", s->t_combine, 6);
    jround(w, "total", s->t_total, 6);
    sw_jw_obj_end(w);
    sw_jw_key(w, "rows");
    sw_jw_arr_begin(w);
    for (long i = 0; i < s->n; i++) {
        const sw_slate_row *r = &s->rows[i];
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "game_id", sw_league_game_id(lg, r->game));
        sw_jw_kstr(w, "player_id", sw_league_player_id(lg, r->player));
        sw_jw_kstr(w, "player", sw_league_player_name(lg, r->player));
        sw_jw_kstr(w, "team", sw_league_team_code(lg, r->team));
        sw_jw_kstr(w, "opp", sw_league_team_code(lg, r->opp));
        sw_jw_kint(w, "home", r->home);
        jround(w, "line", r->line, 1);
        if (r->book >= 0) sw_jw_kstr(w, "book", sw_league_book(lg, r->book));
        else sw_jw_knull(w, "book");
        jround(w, "over_price", r->over_price, 0);
        if (r->over_book >= 0) sw_jw_kstr(w, "over_book", sw_league_book(lg, r->over_book));
        else sw_jw_knull(w, "over_book");
        jround(w, "under_price", r->under_price, 0);
        if (r->under_book >= 0) sw_jw_kstr(w, "under_book", sw_league_book(lg, r->under_book));
        else sw_jw_knull(w, "under_book");
        jround(w, "p_market", r->p_market, 4);
        sw_jw_key(w, "systems");
        sw_jw_obj_begin(w);
        for (int k = 0; k < SW_SYS_COUNT; k++) {
            if (!s->enabled[k]) continue;
            int called = sw_call_is_bet(r->sys_call[k]);
            sw_jw_key(w, sw_system_name(k));
            sw_jw_obj_begin(w);
            jround(w, "prediction", r->sys[k].pred, 2);
            jround(w, "lo", r->sys[k].lo, 2);
            jround(w, "hi", r->sys[k].hi, 2);
            jround(w, "confidence", called ? r->sys[k].conf : NAN, 1);
            sw_jw_kstr(w, "call", sw_call_name(r->sys_call[k]));
            sw_jw_kstr(w, "note", r->sys[k].note);
            sw_jw_obj_end(w);
        }
        sw_jw_obj_end(w);
        jround(w, "prediction", r->pred, 2);
        jround(w, "lo", r->lo, 2);
        jround(w, "hi", r->hi, 2);
        jround(w, "p_over", r->p_over, 4);
        jround(w, "edge", r->edge, 2);
        sw_jw_kstr(w, "call", sw_call_name(r->call));
        jround(w, "confidence", r->conf, 1);
        jround(w, "ev", r->ev, 4);
        jround(w, "stake", r->stake, 4);
        sw_jw_kint(w, "systems_predicting", r->n_pred);
        sw_jw_kint(w, "systems_agreeing", r->n_agree);
        jround(w, "quality", r->quality, 1);
        sw_jw_kstr(w, "tier", sw_tier_name(r->tier));
        const char *served_to = s->rollout && r->arm ? s->rollout_trained_to : s->final_trained_to;
        if (served_to[0]) sw_jw_kstr(w, "trained_to", served_to);
        else sw_jw_knull(w, "trained_to");
        sw_jw_kstr(w, "feature_hash", r->feature_hash);
        sw_jw_kstr(w, "reason", r->reason);
        if (s->rollout) {
            sw_jw_kstr(w, "arm", r->arm ? "canary" : "champion");
            json_final(w, "champion", &r->champ, s->final_version, s->final_trained_to);
            json_final(w, "rollout", &r->roll, s->rollout_version, s->rollout_trained_to);
            sw_jw_key(w, "rollout_systems");
            sw_jw_obj_begin(w);
            for (int k = 0; k < SW_SYS_COUNT; k++) {
                if (!s->cand_enabled[k]) continue;
                int called = sw_call_is_bet(r->cand_call[k]);
                sw_jw_key(w, sw_system_name(k));
                sw_jw_obj_begin(w);
                sw_jw_kstr(w, "version", s->cand_version[k]);
                jround(w, "prediction", r->cand[k].pred, 2);
                jround(w, "lo", r->cand[k].lo, 2);
                jround(w, "hi", r->cand[k].hi, 2);
                jround(w, "confidence", called ? r->cand[k].conf : NAN, 1);
                sw_jw_kstr(w, "call", sw_call_name(r->cand_call[k]));
                sw_jw_kstr(w, "note", r->cand[k].note);
                sw_jw_obj_end(w);
            }
            sw_jw_obj_end(w);
        }
        sw_jw_obj_end(w);
    }
    sw_jw_arr_end(w);
    sw_jw_obj_end(w);
    const char *text;
    size_t len;
    if (sw_jw_finish(w, &text, &len) == SW_OK) {
        fwrite(text, 1, len, out);
        fputc('\n', out);
    } else {
        fprintf(stderr, "swish: out of memory\n");
    }
    sw_jw_free(w);
}
