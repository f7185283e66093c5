/* store_db: the store's statement layer (see store_impl.h): SQLite here,
 * PostgreSQL in store_pg.c, chosen by the handle. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/num.h"
#include "store_impl.h"

/* PostgreSQL type OIDs of the bound values (text is left to the server to infer). */
enum { PG_INT8 = 20, PG_FLOAT8 = 701 };

int sw__q_prepare(sw_store *st, const char *sql, sw__q **out)
{
    *out = NULL;
    if (st->pg) return sw__pg_prepare(st, sql, out);
    sw__q *q = sw_calloc(1, sizeof *q);
    if (!q) return SW__NOMEM;
    q->st = st;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &q->lite, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(q->lite);
        sw_free(q);
        return rc;
    }
    *out = q;
    return SW__OK;
}

int sw__q_step(sw__q *q)
{
    return q->lite ? sqlite3_step(q->lite) : sw__pg_step(q);
}

void sw__q_reset(sw__q *q)
{
    if (q->lite) sqlite3_reset(q->lite);
    else sw__pg_reset(q);
}

void sw__q_clear(sw__q *q)
{
    if (q->lite) {
        sqlite3_clear_bindings(q->lite);
        return;
    }
    for (int i = 1; i <= q->np; i++) sw__pg_bind(q, i, NULL, 0, 0);
}

void sw__q_finalize(sw__q *q)
{
    if (!q) return;
    if (q->lite) {
        sqlite3_finalize(q->lite);
        sw_free(q);
    } else {
        sw__pg_finalize(q);
    }
}

int sw__q_nparams(const sw__q *q)
{
    return q->lite ? sqlite3_bind_parameter_count(q->lite) : sw__pg_nparams(q);
}

void sw__q_text(sw__q *q, int i, const char *s)
{
    sw__q_textn(q, i, s, s ? strlen(s) : 0);
}

void sw__q_textn(sw__q *q, int i, const char *s, size_t n)
{
    if (q->lite) {
        if (s) sqlite3_bind_text(q->lite, i, s, (int)n, SQLITE_TRANSIENT);
        else sqlite3_bind_null(q->lite, i);
    } else {
        sw__pg_bind(q, i, s, n, 0);
    }
}

void sw__q_int(sw__q *q, int i, long long v)
{
    if (q->lite) {
        sqlite3_bind_int64(q->lite, i, v);
        return;
    }
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", v);
    sw__pg_bind(q, i, b, (size_t)n, PG_INT8);
}

void sw__q_double(sw__q *q, int i, double v)
{
    if (q->lite) {
        sqlite3_bind_double(q->lite, i, v);
        return;
    }
    char b[32];
    int n = sw_format_f64(b, v);
    sw__pg_bind(q, i, b, (size_t)n, PG_FLOAT8);
}

void sw__q_null(sw__q *q, int i)
{
    if (q->lite) sqlite3_bind_null(q->lite, i);
    else sw__pg_bind(q, i, NULL, 0, 0);
}

int sw__q_isnull(sw__q *q, int i)
{
    return q->lite ? sqlite3_column_type(q->lite, i) == SQLITE_NULL : sw__pg_isnull(q, i);
}

long long sw__q_col_int(sw__q *q, int i)
{
    if (q->lite) return sqlite3_column_int64(q->lite, i);
    const char *t = sw__pg_col(q, i, NULL);
    if (!t) return 0;
    if (t[0] == 't' && !t[1]) return 1; /* a boolean expression */
    if (t[0] == 'f' && !t[1]) return 0;
    double d;
    if (strchr(t, '.') || strchr(t, 'e')) return sw_parse_f64(t, strlen(t), &d) ? 0 : (long long)d;
    return strtoll(t, NULL, 10);
}

double sw__q_col_double(sw__q *q, int i)
{
    if (q->lite) return sqlite3_column_double(q->lite, i);
    const char *t = sw__pg_col(q, i, NULL);
    double d;
    if (!t) return 0;
    if (t[0] == 't' && !t[1]) return 1;
    if (t[0] == 'f' && !t[1]) return 0;
    return sw_parse_f64(t, strlen(t), &d) ? 0 : d;
}

const char *sw__q_col_text(sw__q *q, int i)
{
    return q->lite ? (const char *)sqlite3_column_text(q->lite, i) : sw__pg_col(q, i, NULL);
}

size_t sw__q_col_bytes(sw__q *q, int i)
{
    if (q->lite) return (size_t)sqlite3_column_bytes(q->lite, i);
    size_t n = 0;
    sw__pg_col(q, i, &n);
    return n;
}

int sw__db_exec(sw_store *st, const char *sql)
{
    return st->pg ? sw__pg_exec(st, sql) : sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

int sw__db_begin(sw_store *st)
{
    return st->pg ? sw__pg_begin(st) : sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
}

int sw__db_commit(sw_store *st)
{
    return st->pg ? sw__pg_commit(st) : sw__db_exec(st, "COMMIT");
}

void sw__db_rollback(sw_store *st)
{
    /* the error that led here stays the one reported */
    char keep[sizeof st->msg];
    memcpy(keep, st->msg, sizeof keep);
    sw__db_exec(st, "ROLLBACK");
    memcpy(st->msg, keep, sizeof keep);
}

void sw__db_defer(sw_store *st, int on)
{
    if (st->pg) sw__pg_defer(st, on);
}

int sw__db_flush(sw_store *st)
{
    return st->pg ? sw__pg_flush(st) : SW__OK;
}

long sw__db_changes(sw_store *st)
{
    return st->pg ? sw__pg_changes(st) : (long)sqlite3_changes(st->db);
}

int sw__db_has_table(sw_store *st, const char *name, int *has)
{
    *has = 0;
    sw__q *q;
    int rc = sw__q_prepare(st,
                           st->pg ? "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?1"
                                  : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                           &q);
    if (rc) return rc;
    sw__q_text(q, 1, name);
    rc = sw__q_step(q);
    *has = rc == SW__ROW;
    sw__q_finalize(q);
    return rc == SW__ROW || rc == SW__DONE ? SW__OK : rc;
}

const char *sw__db_errmsg(sw_store *st)
{
    return st->pg ? st->msg : sqlite3_errmsg(st->db);
}

/* ---- the SQLite backend's connection -------------------------------------- */

int sw__lite_open(sw_store *st, const char *path, int busy_timeout_ms, int create, sw_error *err)
{
    snprintf(st->path, sizeof st->path, "%s", path);
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SW__OK) {
        int r = st->db ? sw__store_fail(st, err, rc, "cannot open the database")
                       : sw_error_set(err, SW_DB, path, 0, 0, -1, "cannot open the database");
        sqlite3_close(st->db);
        st->db = NULL;
        return r;
    }
    sqlite3_busy_timeout(st->db, busy_timeout_ms);
    sw__q *q = NULL;
    rc = sw__q_prepare(st, "PRAGMA journal_mode=WAL", &q);
    if (rc == SW__OK) rc = sw__q_step(q);
    const char *mode = rc == SW__ROW ? sw__q_col_text(q, 0) : "";
    int wal = !strcmp(mode, "wal") || (!strcmp(path, ":memory:") && !strcmp(mode, "memory"));
    sw__q_finalize(q);
    if (!wal) {
        int r = sw__store_fail(st, err, rc == SW__ROW ? SW__ERROR : rc, "cannot use the database (WAL mode)");
        return r;
    }
    if ((rc = sw__db_exec(st, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"))) {
        int r = sw__store_fail(st, err, rc, "cannot prepare the database");
        return r;
    }
    return SW_OK;
}

void sw__lite_close(sw_store *st)
{
    sqlite3_close(st->db);
    st->db = NULL;
}
