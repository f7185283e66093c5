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
#include "pipeline_impl.h"
#include "slate.h"

const char *sw_call_name(sw_call c)
{
    static const char *const n[] = {"OVER", "UNDER", "PASS", "NO_LINE"};
    return (unsigned)c <= SW_CALL_NO_LINE ? n[c] : "?";
}


static void warn(sw_slate *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(sw_slate *s, const char *fmt, ...)
{
    if (s->n_warnings >= 8) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->warnings[s->n_warnings++], sizeof s->warnings[0], fmt, ap);
    va_end(ap);
}

static sw_call call_of(const char *c)
{
    return !strcmp(c, "OVER") ? SW_CALL_OVER : !strcmp(c, "UNDER") ? SW_CALL_UNDER : !strcmp(c, "NO_LINE") ? SW_CALL_NO_LINE : SW_CALL_PASS;
}

typedef struct {
    long row;
    float min10;
} cand;

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->min10 != y->min10) return x->min10 < y->min10 ? 1 : -1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* The combination of the systems for one row (slate.h). */
static void combine(const sw_slate_opts *o, const sw_slate *s, sw_slate_row *r, int std_col)
{
    const sw_config *cfg = o->cfg;
    const float *v = sw_frame_values(s->frame, r->frame_row);
    double by_sys[SW_SYS_COUNT], wp = 0, wc = 0, sig = 0;
    r->n_pred = 0;
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        by_sys[k] = s->enabled[k] ? r->sys[k].pred : NAN;
        if (!isfinite(by_sys[k])) continue;
        r->n_pred++;
        double w = r->sys[k].conf > 1 ? r->sys[k].conf : 1;
        wp += w * by_sys[k];
        wc += w;
        sig += r->sys[k].sigma;
    }
    double pred = NAN, sigma = NAN;
    int stacked = 0;
    if (o->stack) {
        int present = 0;
        pred = sw_stack_predict(o->stack, by_sys, v[std_col], &sigma, &present);
        stacked = isfinite(pred);
    }
    if (!stacked && r->n_pred) {
        pred = wp / wc;
        sigma = sig / r->n_pred;
    }
    r->pred = isfinite(pred) ? (float)(pred < 0 ? 0 : pred > 60 ? 60 : pred) : NAN;
    r->sigma = (float)sigma;
    r->lo = isfinite(pred) ? (float)fmax(0, r->pred - 1.2815516 * sigma) : NAN;
    r->hi = isfinite(pred) ? (float)fmin(60, r->pred + 1.2815516 * sigma) : NAN;
    r->edge = isfinite(r->line) && isfinite(pred) ? r->pred - r->line : NAN;
    r->p_over = isfinite(r->edge) ? (float)(stacked ? sw_stack_prob_over(o->stack, r->pred, sigma, r->line)
                                                    : sw_prob_over(r->pred, sigma, r->line))
                                   : NAN;

    char q[48];
    snprintf(q, sizeof q, "quality %.0f %s", r->quality, sw_tier_name(r->tier));
    if (!isfinite(r->line)) {
        r->call = SW_CALL_NO_LINE;
        r->conf = 0;
        snprintf(r->reason, sizeof r->reason, "no line from the configured books; %s", q);
        return;
    }
    if (r->n_pred == 0) {
        r->call = SW_CALL_PASS;
        r->conf = 0;
        const char *why = "no system predicted";
        for (int k = 0; k < SW_SYS_COUNT; k++)
            if (s->enabled[k] && r->sys[k].note[0]) {
                why = r->sys[k].note;
                break;
            }
        snprintf(r->reason, sizeof r->reason, "no prediction: %s; %s", why, q);
        return;
    }
    /* the favoured side, its probability and the systems on it */
    int over = r->edge > 0;
    double t_under = r->line == floorf(r->line) ? r->line - 0.5 : r->line;
    double p_under = stacked && o->stack->calibrated ? 1 - r->p_over
                                                     : 0.5 * erfc(-(t_under - r->pred) / (sigma * sqrt(2.0)));
    double p_side = over ? r->p_over : p_under;
    r->n_agree = 0;
    for (int k = 0; k < SW_SYS_COUNT; k++)
        if (isfinite(by_sys[k]) && (over ? by_sys[k] > r->line : by_sys[k] < r->line)) r->n_agree++;
    double share = (double)r->n_agree / r->n_pred;
    double conf = 50 + (100 * p_side - 50) * share;
    r->conf = (float)(conf < 0 ? 0 : conf > 100 ? 100 : conf);

    char facts[128];
    snprintf(facts, sizeof facts, "edge %+.1f, P(%s) %.2f, %d of %d systems %s", r->edge, over ? "over" : "under",
             p_side, r->n_agree, r->n_pred, over ? "over" : "under");
    const char *block = NULL;
    char why[96];
    if (r->tier < cfg->min_tier) {
        snprintf(why, sizeof why, "%s below %s", q, sw_tier_name(cfg->min_tier));
        block = why;
    } else if (r->n_pred < cfg->min_systems) {
        snprintf(why, sizeof why, "%d systems predicted, %d needed", r->n_pred, cfg->min_systems);
        block = why;
    } else if (fabs(r->edge) < cfg->min_edge) {
        snprintf(why, sizeof why, "edge %.1f below %.1f", fabs(r->edge), cfg->min_edge);
        block = why;
    } else if (p_side < cfg->min_prob) {
        snprintf(why, sizeof why, "P(%s) %.2f below %.2f", over ? "over" : "under", p_side, cfg->min_prob);
        block = why;
    } else if (share < cfg->min_agreement) {
        snprintf(why, sizeof why, "agreement %.2f below %.2f", share, cfg->min_agreement);
        block = why;
    }
    if (block) {
        r->call = SW_CALL_PASS;
        snprintf(r->reason, sizeof r->reason, "PASS: %s; %s", block, facts);
    } else {
        r->call = over ? SW_CALL_OVER : SW_CALL_UNDER;
        snprintf(r->reason, sizeof r->reason, "%s: %s; %s", over ? "OVER" : "UNDER", facts, q);
    }
}

int sw_slate_run(const sw_league *lg, const sw_slate_opts *o, sw_slate **out, sw_error *err)
{
    *out = NULL;
    const sw_config *cfg = o->cfg;
    double t0 = sw__now();
    int games = 0;
    for (int g = 0; g < sw_league_n_games(lg); g++) games += sw_league_game_date(lg, g) == o->date;
    if (!games) {
        char ds[11];
        sw_date_format(o->date, ds);
        return sw_fail(err, SW_NOT_FOUND, "no games on %s in the schedule or box scores", ds);
    }
    sw_slate *s = sw_calloc(1, sizeof *s);
    if (!s) return sw_fail(err, SW_NOMEM, "out of memory");
    s->date = o->date;
    int rc = SW_OK;

    /* features of every expected player, lines by the configured preference */
    if ((rc = sw__build_frame(lg, cfg, 0, -1, o->date, &s->frame, err))) goto fail;
    double t1 = sw__now();
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
        if (isfinite(m->line) || min10 >= cfg->min_minutes) c[nc++] = (cand){i, isfinite(m->line) ? 100 + min10 : min10};
    }
    qsort(c, (size_t)nc, sizeof *c, cmp_cand);
    if (nc > cfg->max_players) {
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
        r->quality = m->quality;
        r->tier = m->tier;
        char hex[65];
        sw_sha256_hex(sw_frame_values(s->frame, rows[i]), sizeof(float) * (size_t)sw_frame_cols(s->frame), hex);
        memcpy(r->feature_hash, hex, 16);
        r->feature_hash[16] = 0;
        for (int k = 0; k < SW_SYS_COUNT; k++) {
            r->sys[k].pred = r->sys[k].lo = r->sys[k].hi = r->sys[k].sigma = NAN;
            r->sys_call[k] = SW_CALL_PASS;
        }
    }
    double t2 = sw__now();
    s->t_select = t2 - t1;

    /* every enabled system over the batch */
    sw_batch b = {lg, s->frame, rows, nc, cfg->threads};
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        sw_system *sys = o->systems[k];
        if (!cfg->systems[k]) continue;
        if (!sys) {
            warn(s, "system %s is enabled but has no model; it is left out of this run", sw_system_name(k));
            continue;
        }
        double ts = sw__now();
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
            s->rows[i].sys[k] = buf[i];
            s->rows[i].sys_call[k] = call_of(sw_system_call(sys, &buf[i], s->rows[i].line));
        }
        s->t_system[k] = sw__now() - ts;
    }
    sw_free(buf);
    sw_free(rows);

    double t3 = sw__now();
    if (o->stack) snprintf(s->final_version, sizeof s->final_version, "stack-%s", o->stack_version ? o->stack_version : "unversioned");
    else snprintf(s->final_version, sizeof s->final_version, "mean-of-systems");
    for (long i = 0; i < nc; i++) combine(o, s, &s->rows[i], std_col);
    double t4 = sw__now();
    s->t_combine = t4 - t3;
    /* the drivers of each call: TreeSHAP of the gbdt model (else catboost_v8) */
    const sw_system *ex = s->enabled[SW_SYS_GBDT] ? o->systems[SW_SYS_GBDT]
                          : s->enabled[SW_SYS_CATBOOST_V8] ? o->systems[SW_SYS_CATBOOST_V8] : NULL;
    if (ex) {
        int nt = cfg->threads > 0 ? cfg->threads : 1;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 4) if (nt > 1)
        for (long i = 0; i < nc; i++) {
            sw_slate_row *r = &s->rows[i];
            if (r->call != SW_CALL_OVER && r->call != SW_CALL_UNDER) continue;
            r->n_top = sw_system_contributions(ex, s->frame, r->frame_row, 5, r->top);
            r->top_system = sw_system_id_of(ex);
            size_t len = strlen(r->reason);
            for (int k = 0; k < r->n_top && k < 3 && len < sizeof r->reason; k++)
                len += (size_t)snprintf(r->reason + len, sizeof r->reason - len, "%s%s %.3g %+.1f",
                                        k ? ", " : "; drivers: ", sw_feature_name(r->top[k].feature), r->top[k].value,
                                        r->top[k].phi);
        }
    }
    s->t_explain = sw__now() - t4;
    s->t_total = sw__now() - t0;
    *out = s;
    return SW_OK;
fail:
    sw_slate_free(s);
    return rc;
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

void sw_slate_print(const sw_slate *s, const sw_league *lg, FILE *out)
{
    char ds[11];
    sw_date_format(s->date, ds);
    fprintf(out, "slate %s: %ld players\n", ds, s->n);
    fprintf(out, "%-24s %-4s %-4s %5s %-10s", "PLAYER", "TEAM", "OPP", "LINE", "BOOK");
    for (int k = 0; k < SW_SYS_COUNT; k++)
        if (s->enabled[k]) fprintf(out, " %5s", short_sys[k]);
    fprintf(out, " %5s %-7s %4s  %s\n", "PRED", "CALL", "CONF", "REASON");
    for (long i = 0; i < s->n; i++) {
        const sw_slate_row *r = &s->rows[i];
        char line[16] = "-";
        if (isfinite(r->line)) snprintf(line, sizeof line, "%.1f", r->line);
        fprintf(out, "%-24.24s %-4s %-4s %5s %-10.10s", sw_league_player_name(lg, r->player),
                sw_league_team_code(lg, r->team), sw_league_team_code(lg, r->opp), line,
                r->book >= 0 ? sw_league_book(lg, r->book) : "-");
        for (int k = 0; k < SW_SYS_COUNT; k++) {
            if (!s->enabled[k]) continue;
            if (isfinite(r->sys[k].pred)) fprintf(out, " %5.1f", r->sys[k].pred);
            else fprintf(out, " %5s", "-");
        }
        if (isfinite(r->pred)) fprintf(out, " %5.1f", r->pred);
        else fprintf(out, " %5s", "-");
        fprintf(out, " %-7s %4.0f  %s\n", sw_call_name(r->call), r->conf, r->reason);
    }
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(out, "\\%c", ch);
        else if (ch < 0x20) fprintf(out, "\\u%04x", ch);
        else fputc(ch, out);
    }
    fputc('"', out);
}

static void json_num(FILE *out, double v, const char *fmt)
{
    if (isfinite(v)) fprintf(out, fmt, v);
    else fputs("null", out);
}

void sw_slate_print_json(const sw_slate *s, const sw_league *lg, FILE *out)
{
    char ds[11];
    sw_date_format(s->date, ds);
    fprintf(out, "{\"date\":\"%s\",\"players\":%ld,\"final_version\":", ds, s->n);
    json_str(out, s->final_version);
    fprintf(out, ",\"systems\":{");
    int first = 1;
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        if (!s->enabled[k]) continue;
        fprintf(out, "%s\"%s\":", first ? "" : ",", sw_system_name(k));
        json_str(out, s->version[k]);
        first = 0;
    }
    fprintf(out, "},\"warnings\":[");
    for (int w = 0; w < s->n_warnings; w++) {
        if (w) fputc(',', out);
        json_str(out, s->warnings[w]);
    }
    fprintf(out, "],\"seconds\":{\"features\":%.6f,\"systems\":{", s->t_features);
    first = 1;
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        if (!s->enabled[k]) continue;
        fprintf(out, "%s\"%s\":%.6f", first ? "" : ",", sw_system_name(k), s->t_system[k]);
        first = 0;
    }
    fprintf(out, "},\"combine\":%.6f,\"total\":%.6f},\"rows\":[", s->t_combine, s->t_total);
    for (long i = 0; i < s->n; i++) {
        const sw_slate_row *r = &s->rows[i];
        fprintf(out, "%s\n{\"game_id\":", i ? "," : "");
        json_str(out, sw_league_game_id(lg, r->game));
        fprintf(out, ",\"player_id\":");
        json_str(out, sw_league_player_id(lg, r->player));
        fprintf(out, ",\"player\":");
        json_str(out, sw_league_player_name(lg, r->player));
        fprintf(out, ",\"team\":");
        json_str(out, sw_league_team_code(lg, r->team));
        fprintf(out, ",\"opp\":");
        json_str(out, sw_league_team_code(lg, r->opp));
        fprintf(out, ",\"home\":%d,\"line\":", r->home);
        json_num(out, r->line, "%.1f");
        fprintf(out, ",\"book\":");
        if (r->book >= 0) json_str(out, sw_league_book(lg, r->book));
        else fputs("null", out);
        fprintf(out, ",\"systems\":{");
        first = 1;
        for (int k = 0; k < SW_SYS_COUNT; k++) {
            if (!s->enabled[k]) continue;
            fprintf(out, "%s\"%s\":{\"prediction\":", first ? "" : ",", sw_system_name(k));
            json_num(out, r->sys[k].pred, "%.2f");
            fprintf(out, ",\"lo\":");
            json_num(out, r->sys[k].lo, "%.2f");
            fprintf(out, ",\"hi\":");
            json_num(out, r->sys[k].hi, "%.2f");
            fprintf(out, ",\"confidence\":%.1f,\"call\":\"%s\",\"note\":", r->sys[k].conf, sw_call_name(r->sys_call[k]));
            json_str(out, r->sys[k].note);
            fputc('}', out);
            first = 0;
        }
        fprintf(out, "},\"prediction\":");
        json_num(out, r->pred, "%.2f");
        fprintf(out, ",\"lo\":");
        json_num(out, r->lo, "%.2f");
        fprintf(out, ",\"hi\":");
        json_num(out, r->hi, "%.2f");
        fprintf(out, ",\"p_over\":");
        json_num(out, r->p_over, "%.4f");
        fprintf(out, ",\"edge\":");
        json_num(out, r->edge, "%.2f");
        fprintf(out, ",\"call\":\"%s\",\"confidence\":%.1f,\"systems_predicting\":%d,\"systems_agreeing\":%d,"
                     "\"quality\":%.1f,\"tier\":\"%s\",\"feature_hash\":\"%s\",\"reason\":",
                sw_call_name(r->call), r->conf, r->n_pred, r->n_agree, r->quality, sw_tier_name(r->tier),
                r->feature_hash);
        json_str(out, r->reason);
        fputc('}', out);
    }
    fprintf(out, "]}\n");
}
