/* store_monitor: the monitor's persisted states and the graded rows its
 * performance windows measure (see store.h; the windows, the rules and the
 * figures' JSON are monitor.c's). */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/date.h"
#include "store_impl.h"

const char *const sw__store_schema_states =
    "CREATE TABLE IF NOT EXISTS system_states("
    " system TEXT PRIMARY KEY,"
    " state TEXT NOT NULL CHECK (state IN ('OK','WATCH','DEGRADING','BLOCKED')),"
    " since TEXT NOT NULL, reason TEXT NOT NULL, figures TEXT NOT NULL,"
    " manual INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)), updated_at TEXT NOT NULL, evidence_from TEXT);"
    "CREATE TABLE IF NOT EXISTS system_state_events("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, run_date TEXT NOT NULL, system TEXT NOT NULL,"
    " from_state TEXT, to_state TEXT NOT NULL, manual INTEGER NOT NULL, reason TEXT NOT NULL);";

/* A table of that name exists (a failed look-up counts as none). */
static int table_exists(sw_store *st, const char *name)
{
    int has = 0;
    return sw__db_has_table(st, name, &has) == SW__OK && has;
}

int sw_store_monitor_states(sw_store *st, sw_store_sys_state **states, int *n, sw_error *err)
{
    *states = NULL;
    *n = 0;
    if (!table_exists(st, "system_states")) return SW_OK;
    sw__q *q;
    int rc = sw__q_prepare(st, "SELECT system, state, since, manual, coalesce(evidence_from, ''), reason"
                                        " FROM system_states", &q);
    if (rc) return sw__store_fail(st, err, rc, "reading system_states");
    sw_store_sys_state *out = NULL;
    size_t cap = 0;
    int k = 0;
    while ((rc = sw__q_step(q)) == SW__ROW) {
        if ((size_t)k >= cap && sw_grow((void **)&out, &cap, (size_t)k + 1, sizeof *out)) {
            sw__q_finalize(q);
            sw_free(out);
            return sw_fail(err, SW_NOMEM, "out of memory");
        }
        sw_store_sys_state *s = &out[k++];
        sw__store_col_text(q, 0, s->system, sizeof s->system);
        sw__store_col_text(q, 1, s->state, sizeof s->state);
        sw__store_col_text(q, 2, s->since, sizeof s->since);
        s->manual = sw__q_col_int(q, 3) != 0;
        sw__store_col_text(q, 4, s->evidence_from, sizeof s->evidence_from);
        sw__store_col_text(q, 5, s->reason, sizeof s->reason);
    }
    sw__q_finalize(q);
    if (rc != SW__DONE) {
        sw_free(out);
        return sw__store_fail(st, err, rc, "reading system_states");
    }
    *states = out;
    *n = k;
    return SW_OK;
}

int sw_store_monitor_rows(sw_store *st, const char *const *systems, int n_systems, int from, int to,
                          sw_store_perf_visitor fn, void *ctx, sw_error *err)
{
    char sql[1024], a[11], b[11];
    if (n_systems < 1 || n_systems > 64) return sw_fail(err, SW_ARG, "reading graded predictions: %d systems", n_systems);
    int len = snprintf(sql, sizeof sql,
                       "SELECT p.game_date, p.system, p.model_version, p.prediction, p.line, p.p_over,"
                       " p.recommendation, g.actual FROM predictions p JOIN grades g USING (game_date, game_id,"
                       " player_id, system, model_version) WHERE p.game_date >= ?1 AND p.game_date <= ?2"
                       " AND g.actual IS NOT NULL AND p.prediction IS NOT NULL AND p.system IN (");
    for (int k = 0; k < n_systems; k++) len += snprintf(sql + len, sizeof sql - (size_t)len, "%s?%d", k ? "," : "", k + 3);
    snprintf(sql + len, sizeof sql - (size_t)len, ") ORDER BY p.game_date, p.game_id, p.player_id, p.system");
    sw__q *q;
    int rc = sw__q_prepare(st, sql, &q);
    if (rc) return sw__store_fail(st, err, rc, "reading graded predictions");
    sw_date_format(from, a);
    sw_date_format(to, b);
    sw__q_text(q, 1, a);
    sw__q_text(q, 2, b);
    for (int k = 0; k < n_systems; k++) sw__q_text(q, k + 3, systems[k]);
    int out = SW_OK;
    while ((rc = sw__q_step(q)) == SW__ROW) {
        sw_store_perf_row r;
        const char *ds = sw__q_col_text(q, 0);
        if (!ds || sw_date_parse(ds, strlen(ds), &r.date)) r.date = -1;
        r.system = sw__store_col_str(q, 1);
        r.version = sw__store_col_str(q, 2);
        r.pred = sw__q_col_double(q, 3);
        r.line = sw__store_col_num(q, 4);
        r.p_over = sw__store_col_num(q, 5);
        r.call = SW_CALL_PASS;
        sw_call_parse(sw__q_col_text(q, 6), &r.call);
        r.actual = sw__q_col_double(q, 7);
        if ((out = fn(ctx, &r, err))) break;
    }
    sw__q_finalize(q);
    if (out) return out;
    return rc == SW__DONE ? SW_OK : sw__store_fail(st, err, rc, "reading graded predictions");
}

static int write_updates(sw_store *st, const sw_store_sys_update *ups, int n, int date, sw_error *err)
{
    sw__q *up = NULL, *ev = NULL;
    char now[24], ds[11];
    sw__store_utc_now(now);
    sw_date_format(date, ds);
    int rc = sw__q_prepare(st, "INSERT INTO system_states(system, state, since, reason, figures, manual, updated_at,"
                                " evidence_from) VALUES(?1,?2,?3,?4,?5,?6,?7,NULLIF(?8,'')) ON CONFLICT(system) DO"
                                " UPDATE SET state = ?2, since = ?3, reason = ?4, figures = ?5, manual = ?6,"
                                " updated_at = ?7", &up);
    if (!rc)
        rc = sw__q_prepare(st, "INSERT INTO system_state_events(at, run_date, system, from_state, to_state, manual,"
                                " reason) VALUES(?,?,?,?,?,0,?)", &ev);
    if (rc) {
        sw__q_finalize(up);
        return sw__store_fail(st, err, rc, "writing system_states");
    }
    int out = SW_OK;
    for (int k = 0; k < n && out == SW_OK; k++) {
        const sw_store_sys_update *u = &ups[k];
        const sw_store_sys_state *s = &u->s;
        sw__q_reset(up);
        sw__q_text(up, 1, s->system);
        sw__q_text(up, 2, s->state);
        sw__q_text(up, 3, s->since);
        sw__q_text(up, 4, s->reason);
        sw__q_textn(up, 5, u->figures, u->figures_len);
        sw__q_int(up, 6, s->manual);
        sw__q_text(up, 7, now);
        sw__q_text(up, 8, s->evidence_from);
        if ((rc = sw__q_step(up)) != SW__DONE) out = sw__store_fail(st, err, rc, "writing system_states");
        if (out || !u->from) continue;
        sw__q_reset(ev);
        sw__q_text(ev, 1, now);
        sw__q_text(ev, 2, ds);
        sw__q_text(ev, 3, s->system);
        sw__q_text(ev, 4, u->from);
        sw__q_text(ev, 5, s->state);
        sw__q_text(ev, 6, s->reason);
        if ((rc = sw__q_step(ev)) != SW__DONE) out = sw__store_fail(st, err, rc, "writing system_state_events");
    }
    sw__q_finalize(up);
    sw__q_finalize(ev);
    return out;
}

int sw_store_monitor_persist(sw_store *st, int date, sw_store_sys_decider fn, void *ctx, sw_error *err)
{
    int rc = sw__db_begin(st);
    if (rc) return sw__store_fail(st, err, rc, "locking the database");
    if ((rc = sw__db_exec(st, sw__store_schema_states))) {
        int out = sw__store_fail(st, err, rc, "creating system_states");
        sw__db_rollback(st);
        return out;
    }
    const sw_store_sys_update *ups = NULL;
    int n = 0;
    int out = fn(ctx, &ups, &n, err);
    if (!out) out = write_updates(st, ups, n, date, err);
    if (!out && (rc = sw__db_commit(st)))
        out = sw__store_fail(st, err, rc, "committing system_states");
    if (out) sw__db_rollback(st);
    return out;
}

int sw_store_monitor_set(sw_store *st, const char *system, const char *state, int date, const char *reason,
                         int vouch, sw_error *err)
{
    int rc = sw__db_begin(st);
    if (rc) return sw__store_fail(st, err, rc, "locking the database");
    char ds[11], now[24], prev[16] = "";
    sw_date_format(date, ds);
    sw__store_utc_now(now);
    sw__q *q = NULL;
    int out = SW_OK;
    if ((rc = sw__db_exec(st, sw__store_schema_states))) {
        out = sw__store_fail(st, err, rc, "creating system_states");
        goto done;
    }
    /* the stored state, for the event (none read: NULL) */
    if (!sw__q_prepare(st, "SELECT state FROM system_states WHERE system = ?", &q)) {
        sw__q_text(q, 1, system);
        if (sw__q_step(q) == SW__ROW) sw__store_col_text(q, 0, prev, sizeof prev);
    }
    sw__q_finalize(q);
    q = NULL;
    if ((rc = sw__q_prepare(st, "INSERT INTO system_states(system, state, since, reason, figures, manual, updated_at,"
                                 " evidence_from) VALUES(?1,?2,?3,?4,'{}',1,?5,CASE WHEN ?6 <> 0 THEN ?3 END)"
                                 " ON CONFLICT(system) DO UPDATE SET state = ?2, since = ?3, reason = ?4, manual = 1,"
                                 " updated_at = ?5, evidence_from = CASE WHEN ?6 <> 0 THEN ?3 ELSE system_states.evidence_from END", &q))) {
        out = sw__store_fail(st, err, rc, "writing system_states");
        goto done;
    }
    sw__q_text(q, 1, system);
    sw__q_text(q, 2, state);
    sw__q_text(q, 3, ds);
    sw__q_text(q, 4, reason);
    sw__q_text(q, 5, now);
    sw__q_int(q, 6, vouch != 0);
    if ((rc = sw__q_step(q)) != SW__DONE) {
        out = sw__store_fail(st, err, rc, "writing system_states");
        goto done;
    }
    sw__q_finalize(q);
    q = NULL;
    if ((rc = sw__q_prepare(st, "INSERT INTO system_state_events(at, run_date, system, from_state, to_state, manual,"
                                 " reason) VALUES(?,?,?,NULLIF(?,''),?,1,?)", &q))) {
        out = sw__store_fail(st, err, rc, "writing system_state_events");
        goto done;
    }
    sw__q_text(q, 1, now);
    sw__q_text(q, 2, ds);
    sw__q_text(q, 3, system);
    sw__q_text(q, 4, prev);
    sw__q_text(q, 5, state);
    sw__q_text(q, 6, reason);
    if ((rc = sw__q_step(q)) != SW__DONE) out = sw__store_fail(st, err, rc, "writing system_state_events");
done:
    sw__q_finalize(q);
    if (!out && (rc = sw__db_commit(st)))
        out = sw__store_fail(st, err, rc, "committing system_states");
    if (out) sw__db_rollback(st);
    return out;
}

int sw_store_monitor_runs(sw_store *st, int date, long *n, sw_error *err)
{
    *n = 0;
    if (!table_exists(st, "runs")) return SW_OK;
    sw__q *q;
    int rc = sw__q_prepare(st, "SELECT count(*) FROM runs WHERE game_date = ?", &q);
    if (rc) return sw__store_fail(st, err, rc, "counting the runs");
    char ds[11];
    sw_date_format(date, ds);
    sw__q_text(q, 1, ds);
    if ((rc = sw__q_step(q)) == SW__ROW) *n = (long)sw__q_col_int(q, 0);
    sw__q_finalize(q);
    return rc == SW__ROW ? SW_OK : sw__store_fail(st, err, rc, "counting the runs");
}
