/* store_report: what the HTML report reads (see store.h; the figures and the
 * page are report.c's).  Read-only: one query a call, each its own
 * snapshot (no transaction across the calls). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/date.h"
#include "core/json.h"
#include "features/features.h"
#include "store_impl.h"

/* A date column to its day number (-1 when it does not parse). */
static int col_date(sw__q *q, int i)
{
    const char *s = sw__store_col_str(q, i);
    int d;
    return sw_date_parse(s, strlen(s), &d) ? -1 : d;
}

/* Room for one more of *n rows of `elem` bytes in *rows. */
static int more(void **rows, size_t *cap, long n, size_t elem, sw_error *err)
{
    if ((size_t)n < *cap || !sw_grow(rows, cap, (size_t)n + 1, elem)) return SW_OK;
    return sw_fail(err, SW_NOMEM, "out of memory");
}

/* The end of a read: the statement finalized, SW_OK when it ran to its end
 * (rc SW__DONE) and no other failure (`out`) came first. */
static int finish(sw_store *st, sw__q *q, int rc, int out, const char *what, sw_error *err)
{
    sw__q_finalize(q);
    if (out) return out;
    return rc == SW__DONE || rc == SW__OK ? SW_OK : sw__store_fail(st, err, rc, what);
}

int sw_store_report_systems(sw_store *st, sw_store_name *names, int max, int *n, sw_error *err)
{
    *n = 0;
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT system FROM predictions WHERE system NOT LIKE '%.%'"
                                " GROUP BY system ORDER BY system = 'final' DESC, system", &q);
    while (rc == SW__OK && *n < max && (rc = sw__q_step(q)) == SW__ROW) {
        sw__store_col_text(q, 0, names[(*n)++], sizeof *names);
        rc = SW__OK; /* enough rows: done */
    }
    return finish(st, q, rc, SW_OK, "reading the systems", err);
}

int sw_store_report_totals(sw_store *st, sw_store_totals *t, sw_error *err)
{
    memset(t, 0, sizeof *t);
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT min(game_date), max(game_date), count(*),"
                                " (SELECT count(*) FROM grades WHERE outcome <> 'VOID') FROM predictions", &q);
    if (rc == SW__OK && (rc = sw__q_step(q)) == SW__ROW) {
        sw__store_col_text(q, 0, t->first, sizeof t->first);
        sw__store_col_text(q, 1, t->last, sizeof t->last);
        t->predictions = (long)sw__q_col_int(q, 2);
        t->graded = (long)sw__q_col_int(q, 3);
        rc = SW__DONE;
    }
    return finish(st, q, rc, SW_OK, "reading the totals", err);
}

int sw_store_report_units(sw_store *st, const char *system, sw_store_day_units **rows, long *n, sw_error *err)
{
    *rows = NULL;
    *n = 0;
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT p.game_date, sum(g.units) FROM predictions p JOIN grades g USING (game_date,"
                                " game_id, player_id, system, model_version) WHERE p.system = ?"
                                " AND g.outcome IN ('HIT','MISS','PUSH') GROUP BY 1 ORDER BY 1", &q);
    sw_store_day_units *out = NULL;
    size_t cap = 0;
    long k = 0;
    int fail = SW_OK;
    if (rc == SW__OK) {
        sw__q_text(q, 1, system);
        while ((rc = sw__q_step(q)) == SW__ROW) {
            if ((fail = more((void **)&out, &cap, k, sizeof *out, err))) break;
            out[k].date = col_date(q, 0);
            out[k++].units = sw__q_col_double(q, 1);
        }
    }
    if ((fail = finish(st, q, rc, fail, "reading units", err))) {
        sw_free(out);
        return fail;
    }
    *rows = out;
    *n = k;
    return SW_OK;
}

int sw_store_report_months(sw_store *st, const char *system, sw_store_month_mae **rows, long *n, sw_error *err)
{
    *rows = NULL;
    *n = 0;
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT substr(p.game_date, 1, 7), avg(g.abs_error), avg(abs(p.line - g.actual))"
                                " FROM predictions p JOIN grades g USING (game_date, game_id, player_id, system,"
                                " model_version) WHERE p.system = ? AND g.abs_error IS NOT NULL GROUP BY 1 ORDER BY 1", &q);
    sw_store_month_mae *out = NULL;
    size_t cap = 0;
    long k = 0;
    int fail = SW_OK;
    if (rc == SW__OK) {
        sw__q_text(q, 1, system);
        while ((rc = sw__q_step(q)) == SW__ROW) {
            if ((fail = more((void **)&out, &cap, k, sizeof *out, err))) break;
            sw__store_col_text(q, 0, out[k].month, sizeof out[k].month);
            out[k].mae = sw__store_col_num(q, 1);
            out[k++].line_mae = sw__store_col_num(q, 2);
        }
    }
    if ((fail = finish(st, q, rc, fail, "reading errors by month", err))) {
        sw_free(out);
        return fail;
    }
    *rows = out;
    *n = k;
    return SW_OK;
}

int sw_store_report_errors(sw_store *st, sw_store_day_errors **rows, long *n, sw_error *err)
{
    *rows = NULL;
    *n = 0;
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT p.system, julianday(p.game_date) - 2440587.5,"
                                " sum(abs(p.prediction - g.actual)), sum(abs(p.line - g.actual)), count(*)"
                                " FROM predictions p JOIN grades g USING (game_date, game_id, player_id, system,"
                                " model_version) WHERE p.line IS NOT NULL AND g.actual IS NOT NULL"
                                " AND p.prediction IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2", &q);
    sw_store_day_errors *out = NULL;
    size_t cap = 0;
    long k = 0;
    int fail = SW_OK;
    if (rc == SW__OK) {
        while ((rc = sw__q_step(q)) == SW__ROW) {
            if ((fail = more((void **)&out, &cap, k, sizeof *out, err))) break;
            sw_store_day_errors *r = &out[k++];
            sw__store_col_text(q, 0, r->system, sizeof r->system);
            r->date = sw__q_isnull(q, 1) ? -1 : (int)lround(sw__q_col_double(q, 1));
            r->err = sw__q_col_double(q, 2);
            r->line_err = sw__q_col_double(q, 3);
            r->n = (long)sw__q_col_int(q, 4);
        }
    }
    if ((fail = finish(st, q, rc, fail, "reading errors by date", err))) {
        sw_free(out);
        return fail;
    }
    *rows = out;
    *n = k;
    return SW_OK;
}

/* The graded player-games of each version in rollout against its champion:
 * a model system's "S.rollout" rows against "S", a candidate stack's
 * "final.rollout" rows (whose version starts with another stack than
 * final.champion's) against "final.champion"; the hit rates are always the
 * combined calls' (final.rollout against final.champion).  Columns: system,
 * candidate, champions, first, last, n, sum of the errors of each, of the
 * differences and their squares, calls and hits of each final. */
static const char *rollout_sql =
    "WITH c AS ("
    " SELECT p.game_date, p.game_id, p.player_id, p.system, p.model_version,"
    "  substr(p.system, 1, length(p.system) - 8) AS sys, p.model_version AS cand, p.system AS csys"
    "  FROM predictions p WHERE p.system LIKE '%.rollout' AND p.system <> 'final.rollout'"
    " UNION ALL"
    " SELECT p.game_date, p.game_id, p.player_id, p.system, p.model_version, 'final.champion',"
    "  CASE WHEN instr(p.model_version, '+') > 0 THEN substr(p.model_version, 1, instr(p.model_version, '+') - 1)"
    "  ELSE p.model_version END, 'stack'"
    "  FROM predictions p WHERE p.system = 'final.rollout')"
    " SELECT CASE WHEN c.csys = 'stack' THEN 'stack' ELSE c.sys END, CASE WHEN c.csys = 'stack' THEN substr(c.cand, 7)"
    "  ELSE c.cand END, group_concat(DISTINCT h.model_version), min(c.game_date), max(c.game_date), count(*),"
    "  sum(gc.abs_error), sum(gh.abs_error), sum(gc.abs_error - gh.abs_error),"
    "  sum((gc.abs_error - gh.abs_error) * (gc.abs_error - gh.abs_error)),"
    "  sum(fr.outcome IN ('HIT', 'MISS')), sum(fr.outcome = 'HIT'), sum(fc.outcome IN ('HIT', 'MISS')),"
    "  sum(fc.outcome = 'HIT')"
    " FROM c JOIN grades gc ON gc.game_date = c.game_date AND gc.game_id = c.game_id AND gc.player_id = c.player_id"
    "  AND gc.system = c.system AND gc.model_version = c.model_version"
    " JOIN predictions h ON h.game_date = c.game_date AND h.game_id = c.game_id AND h.player_id = c.player_id"
    "  AND h.system = c.sys"
    " JOIN grades gh ON gh.game_date = h.game_date AND gh.game_id = h.game_id AND gh.player_id = h.player_id"
    "  AND gh.system = h.system AND gh.model_version = h.model_version"
    " LEFT JOIN grades fr ON fr.game_date = c.game_date AND fr.game_id = c.game_id AND fr.player_id = c.player_id"
    "  AND fr.system = 'final.rollout'"
    " LEFT JOIN grades fc ON fc.game_date = c.game_date AND fc.game_id = c.game_id AND fc.player_id = c.player_id"
    "  AND fc.system = 'final.champion'"
    " WHERE (c.csys <> 'stack' OR (c.cand LIKE 'stack-%' AND c.cand <> h.model_version))"
    "  AND gc.outcome <> 'VOID' AND gc.actual IS NOT NULL AND gc.abs_error IS NOT NULL"
    "  AND gh.outcome <> 'VOID' AND gh.actual IS NOT NULL AND gh.abs_error IS NOT NULL"
    " GROUP BY 1, 2 ORDER BY 1, min(c.game_date), 2";

void sw_store_rollout_cmp_free(sw_store_rollout_cmp *rows, long n)
{
    for (long i = 0; rows && i < n; i++) sw_free(rows[i].champions);
    sw_free(rows);
}

int sw_store_report_rollout(sw_store *st, long *rows_in_rollout, sw_store_rollout_cmp **rows, long *n,
                            sw_error *err)
{
    *rows_in_rollout = 0;
    *rows = NULL;
    *n = 0;
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT count(*) FROM predictions WHERE system LIKE '%.rollout'", &q);
    if (rc == SW__OK && (rc = sw__q_step(q)) == SW__ROW) {
        *rows_in_rollout = (long)sw__q_col_int(q, 0);
        rc = SW__DONE;
    }
    int fail = finish(st, q, rc, SW_OK, "reading the rollout's rows", err);
    if (fail || !*rows_in_rollout) return fail;
    q = NULL;
    rc = sw__q_prepare(st, rollout_sql, &q);
    sw_store_rollout_cmp *out = NULL;
    size_t cap = 0;
    long k = 0;
    if (rc == SW__OK) {
        while ((rc = sw__q_step(q)) == SW__ROW) {
            if ((fail = more((void **)&out, &cap, k, sizeof *out, err))) break;
            sw_store_rollout_cmp *r = &out[k];
            memset(r, 0, sizeof *r);
            if (!(r->champions = sw_strdup(sw__store_col_str(q, 2)))) {
                fail = sw_fail(err, SW_NOMEM, "out of memory");
                break;
            }
            k++;
            sw__store_col_text(q, 0, r->system, sizeof r->system);
            sw__store_col_text(q, 1, r->candidate, sizeof r->candidate);
            sw__store_col_text(q, 3, r->first, sizeof r->first);
            sw__store_col_text(q, 4, r->last, sizeof r->last);
            r->n = (long)sw__q_col_int(q, 5);
            r->err_cand = sw__q_col_double(q, 6);
            r->err_champ = sw__q_col_double(q, 7);
            r->diff = sw__q_col_double(q, 8);
            r->diff2 = sw__q_col_double(q, 9);
            r->calls_rollout = (long)sw__q_col_int(q, 10);
            r->hits_rollout = (long)sw__q_col_int(q, 11);
            r->calls_champion = (long)sw__q_col_int(q, 12);
            r->hits_champion = (long)sw__q_col_int(q, 13);
        }
    }
    if ((fail = finish(st, q, rc, fail, "reading the rollout's grades", err))) {
        sw_store_rollout_cmp_free(out, k);
        return fail;
    }
    *rows = out;
    *n = k;
    return SW_OK;
}

/* The stored contributions ({"system":..,"top":[{"feature","value","phi"}..]})
 * into c (nothing when they do not parse). */
static int read_contribs(const char *cj, size_t len, sw_store_call *c, sw_error *err)
{
    sw_json *doc = NULL;
    sw_error e;
    int jr = sw_json_parse("contributions", cj, len, &doc, &e);
    if (jr == SW_NOMEM) return sw_fail(err, SW_NOMEM, "out of memory");
    if (jr != SW_OK) return SW_OK;
    sw_jnode top = sw_json_get(doc, sw_json_root(doc), "top");
    for (sw_jnode t = top == SW_JNONE ? SW_JNONE : sw_json_first(doc, top);
         t != SW_JNONE && c->n_top < SW_STORE_TOP_CONTRIBS; t = sw_json_next(doc, t)) {
        sw_store_contrib *k = &c->top[c->n_top++];
        size_t fl = 0;
        const char *f = sw_json_str(doc, sw_json_get(doc, t, "feature"), &fl);
        snprintf(k->feature, sizeof k->feature, "%.*s", f ? (int)fl : 0, f ? f : "");
        k->phi = k->value = 0;
        sw_json_f64(doc, sw_json_get(doc, t, "phi"), 0, &k->phi, &e);
        sw_json_f64(doc, sw_json_get(doc, t, "value"), 0, &k->value, &e);
    }
    sw_json_free(doc);
    return SW_OK;
}

int sw_store_report_calls(sw_store *st, int max, sw_store_call **rows, long *n, sw_error *err)
{
    *rows = NULL;
    *n = 0;
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT game_date, player_name, team, opp, line, book, prediction, p_over,"
                                " recommendation, confidence, contributions FROM predictions WHERE system = 'final'"
                                " AND game_date = (SELECT max(game_date) FROM predictions)"
                                " AND recommendation IN ('OVER','UNDER')"
                                " ORDER BY confidence DESC LIMIT ?", &q);
    sw_store_call *out = NULL;
    size_t cap = 0;
    long k = 0;
    int fail = SW_OK;
    if (rc == SW__OK) {
        sw__q_int(q, 1, max);
        while ((rc = sw__q_step(q)) == SW__ROW) {
            if ((fail = more((void **)&out, &cap, k, sizeof *out, err))) break;
            sw_store_call *c = &out[k++];
            memset(c, 0, sizeof *c);
            sw__store_col_text(q, 0, c->date, sizeof c->date);
            sw__store_col_text(q, 1, c->player_name, sizeof c->player_name);
            sw__store_col_text(q, 2, c->team, sizeof c->team);
            sw__store_col_text(q, 3, c->opp, sizeof c->opp);
            c->line = sw__store_col_num(q, 4);
            sw__store_col_text(q, 5, c->book, sizeof c->book);
            c->pred = sw__store_col_num(q, 6);
            c->p_over = sw__store_col_num(q, 7);
            if ((fail = sw__store_col_call(st, q, 8, &c->call, err))) break;
            c->conf = sw__store_col_num(q, 9);
            const char *cj = sw__q_col_text(q, 10);
            if (cj && (fail = read_contribs(cj, (size_t)sw__q_col_bytes(q, 10), c, err))) break;
        }
    }
    if ((fail = finish(st, q, rc, fail, "reading the latest calls", err))) {
        sw_free(out);
        return fail;
    }
    *rows = out;
    *n = k;
    return SW_OK;
}

int sw_store_report_states(sw_store *st, sw_store_state_row **rows, long *n, int *recorded, sw_error *err)
{
    *rows = NULL;
    *n = 0;
    *recorded = 0;
    sw__q *q = NULL;
    /* recorded: the monitor has persisted states (PostgreSQL has the table from the start) */
    int has = 0, rc = sw__db_has_table(st, "system_states", &has);
    if (rc == SW__OK && has && (rc = sw__q_prepare(st, "SELECT count(*) FROM system_states", &q)) == SW__OK &&
        (rc = sw__q_step(q)) == SW__ROW) {
        *recorded = sw__q_col_int(q, 0) > 0;
        rc = SW__DONE;
    } else if (rc == SW__OK && !has) {
        rc = SW__DONE;
    }
    int fail = finish(st, q, rc, SW_OK, "reading the monitor's states", err);
    if (fail || !*recorded) return fail;
    q = NULL;
    rc = sw__q_prepare(st, "SELECT system, state, since, manual, reason FROM system_states ORDER BY"
                            " CASE state WHEN 'BLOCKED' THEN 0 WHEN 'DEGRADING' THEN 1 WHEN 'WATCH' THEN 2"
                            " ELSE 3 END, system", &q);
    sw_store_state_row *out = NULL;
    size_t cap = 0;
    long k = 0;
    if (rc == SW__OK) {
        while ((rc = sw__q_step(q)) == SW__ROW) {
            if ((fail = more((void **)&out, &cap, k, sizeof *out, err))) break;
            sw_store_state_row *r = &out[k++];
            sw__store_col_text(q, 0, r->system, sizeof r->system);
            sw__store_col_text(q, 1, r->state, sizeof r->state);
            sw__store_col_text(q, 2, r->since, sizeof r->since);
            r->manual = sw__q_col_int(q, 3) != 0;
            sw__store_col_text(q, 4, r->reason, sizeof r->reason);
        }
    }
    if ((fail = finish(st, q, rc, fail, "reading the monitor's states", err))) {
        sw_free(out);
        *recorded = 0;
        return fail;
    }
    *rows = out;
    *n = k;
    return SW_OK;
}

int sw_store_report_importance(sw_store *st, char version[256], sw_store_gain *top, int max, int *n, double *total,
                               sw_error *err)
{
    version[0] = 0;
    *n = 0;
    *total = 0;
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT model_version FROM predictions WHERE system = 'gbdt' ORDER BY game_date DESC"
                                " LIMIT 1", &q);
    if (rc == SW__OK && (rc = sw__q_step(q)) == SW__ROW) {
        sw__store_col_text(q, 0, version, 256);
        rc = SW__DONE;
    }
    int fail = finish(st, q, rc, SW_OK, "reading the gbdt model's version", err);
    if (fail || !version[0]) return fail;
    q = NULL;
    rc = sw__q_prepare(st, "SELECT feature, gain, (SELECT sum(gain) FROM importance WHERE system = 'gbdt' AND"
                            " model_version = ?1) FROM importance WHERE system = 'gbdt' AND model_version = ?1"
                            " ORDER BY gain DESC LIMIT ?2", &q);
    if (rc == SW__OK) {
        sw__q_text(q, 1, version);
        sw__q_int(q, 2, max);
        while (*n < max && (rc = sw__q_step(q)) == SW__ROW) {
            sw__store_col_text(q, 0, top[*n].feature, sizeof top[*n].feature);
            top[(*n)++].gain = sw__q_col_double(q, 1);
            *total = sw__q_col_double(q, 2);
            rc = SW__DONE;
        }
    }
    return finish(st, q, rc, SW_OK, "reading the gbdt model's importance", err);
}

int sw_store_report_window(sw_store *st, int *date, int *train_from, int *train_to, sw_error *err)
{
    *date = *train_from = *train_to = -1;
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT game_date, train_from, train_to FROM runs WHERE run_id = (SELECT max(run_id)"
                                " FROM runs WHERE game_date = (SELECT max(game_date) FROM features))", &q);
    if (rc == SW__OK && (rc = sw__q_step(q)) == SW__ROW) {
        *date = col_date(q, 0);
        *train_from = col_date(q, 1);
        *train_to = col_date(q, 2);
        rc = SW__DONE;
    }
    return finish(st, q, rc, SW_OK, "reading the latest run", err);
}

int sw_store_report_features(sw_store *st, int from, int to, long cap, float *out, long *n, sw_error *err)
{
    *n = 0;
    char a[11] = "", b[11] = "";
    if (from >= 0) sw_date_format(from, a);
    if (to >= 0) sw_date_format(to, b);
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT vals FROM features WHERE (?1 = '' OR game_date >= ?1) AND (?2 = '' OR"
                                " game_date <= ?2) AND feature_set = ?3 ORDER BY game_date DESC LIMIT ?4", &q);
    int fail = SW_OK, nf = sw_feature_count();
    if (rc == SW__OK) {
        sw__q_text(q, 1, a);
        sw__q_text(q, 2, b);
        sw__q_text(q, 3, SW_FEATURE_SET);
        sw__q_int(q, 4, cap);
        while (*n < cap && (rc = sw__q_step(q)) == SW__ROW) {
            rc = SW__DONE;
            const char *js = sw__q_col_text(q, 0);
            sw_json *doc = NULL;
            sw_error e;
            int jr = js ? sw_json_parse("features", js, (size_t)sw__q_col_bytes(q, 0), &doc, &e) : SW_PARSE;
            if (jr == SW_NOMEM) {
                fail = sw_fail(err, SW_NOMEM, "out of memory");
                break;
            }
            if (jr != SW_OK) continue; /* a vector that does not parse is left out */
            sw_jnode root = sw_json_root(doc);
            float *row = out + (size_t)*n * (size_t)nf;
            for (int c = 0; c < nf; c++) {
                sw_jnode v = sw_json_get(doc, root, sw_feature_name(c));
                double d = NAN;
                if (v != SW_JNONE && sw_json_type_of(doc, v) == SW_JSON_NUMBER) sw_json_f64(doc, v, 0, &d, &e);
                row[c] = (float)d;
            }
            sw_json_free(doc);
            (*n)++;
        }
    }
    return finish(st, q, rc, fail, "reading stored features", err);
}
