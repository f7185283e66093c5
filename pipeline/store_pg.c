/* store_pg: the store on PostgreSQL through libpq (paths.db =
 * postgresql://...), for services without a durable local disk and for
 * machines that share one store.  The same statements as on SQLite (see
 * store_impl.h for the dialect), text in and out: numbers travel as their
 * round-trip decimal text and come back the same.  One write transaction at
 * a time, as SQLite's BEGIN IMMEDIATE gives, through a transaction-scoped
 * advisory lock; a writer that waits longer than the busy timeout gets
 * SW_BUSY.  Text columns collate as "C" (byte order, as SQLite compares). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "store_impl.h"

/* The advisory lock key of the store's write transactions ("swis"). */
#define WRITE_LOCK 0x73776973

struct sw__pg {
    PGconn *conn;
    long changes;   /* rows the last statement changed */
    unsigned named; /* server-side statements prepared so far (their names) */
    int defer;      /* statements without rows are sent without waiting (libpq's pipeline mode) */
    int pending;    /* of those, sent and not yet synced */
    int failed;     /* the first failure among them (a store code), kept for the next sync */
};

/* Deferred statements between two syncs: a bound on what the server buffers
 * for us (a result is about 20 bytes) while we only write. */
#define DEFER_BATCH 256

int sw__pg_is_url(const char *path)
{
    return !strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11);
}

/* The URL for messages: a password between "user:" and "@" becomes "***". */
void sw_store_redact(const char *url, char *out, size_t cap)
{
    const char *at = strchr(url, '@'), *auth = strstr(url, "://");
    const char *colon = auth && at ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
    if (colon) snprintf(out, cap, "%.*s:***%s", (int)(colon - url), url, at);
    else snprintf(out, cap, "%s", url);
}

/* A libpq message on one line, into the handle's. */
static void keep_msg(sw_store *st, const char *m)
{
    snprintf(st->msg, sizeof st->msg, "%s", m && *m ? m : "unknown PostgreSQL error");
    size_t n = strlen(st->msg);
    while (n && (st->msg[n - 1] == '\n' || st->msg[n - 1] == ' ')) st->msg[--n] = 0;
    for (char *p = st->msg; *p; p++)
        if (*p == '\n') *p = ' ';
}

/* A result's status as a store code, its message kept on failure. */
static int result_code(sw_store *st, PGresult *r)
{
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
        const char *n = PQcmdTuples(r);
        st->pg->changes = n && *n ? atol(n) : 0;
        return SW__OK;
    }
    keep_msg(st, r ? PQresultErrorMessage(r) : PQerrorMessage(st->pg->conn));
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    /* lock_not_available (the busy timeout), serialization failure, deadlock, cancelled */
    if (state && (!strcmp(state, "55P03") || !strcmp(state, "40001") || !strcmp(state, "40P01") ||
                  !strcmp(state, "57014")))
        return SW__BUSY;
    return SW__ERROR;
}

static int is_word(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* The store's SQL in PostgreSQL's dialect: ?N and ? become $N; in CREATE and
 * ALTER statements REAL, INTEGER, TEXT and AUTOINCREMENT become DOUBLE
 * PRECISION, BIGINT, TEXT COLLATE "C" and an identity.  Quoted text is kept.
 * *np: the highest parameter.  NULL when out of memory. */
static char *translate(const char *sql, int *np)
{
    size_t n = strlen(sql), cap = 2 * n + 64, o = 0;
    char *out = sw_malloc(cap);
    if (!out) return NULL;
    int top = 0, ddl = -1; /* -1: at the start of a statement */
    for (size_t i = 0; i < n;) {
        if (o + 64 > cap) {
            char *g = sw_realloc(out, cap *= 2);
            if (!g) {
                sw_free(out);
                return NULL;
            }
            out = g;
        }
        char c = sql[i];
        if (c == '\'' || c == '"') { /* a literal or a quoted name, doubled quotes inside */
            size_t j = i + 1;
            while (j < n && !(sql[j] == c && (j + 1 >= n || sql[j + 1] != c))) j += sql[j] == c ? 2 : 1;
            j = j < n ? j + 1 : n;
            if (o + (j - i) + 64 > cap) {
                char *g = sw_realloc(out, cap = 2 * cap + (j - i));
                if (!g) {
                    sw_free(out);
                    return NULL;
                }
                out = g;
            }
            memcpy(out + o, sql + i, j - i);
            o += j - i;
            i = j;
            continue;
        }
        if (c == '?') {
            int k = 0;
            size_t j = i + 1;
            while (j < n && sql[j] >= '0' && sql[j] <= '9') k = 10 * k + (sql[j++] - '0');
            if (j == i + 1) k = top + 1;
            if (k > top) top = k;
            o += (size_t)snprintf(out + o, cap - o, "$%d", k);
            i = j;
            continue;
        }
        if (c == ';') ddl = -1;
        if (is_word(c) && (i == 0 || !is_word(sql[i - 1]))) {
            size_t j = i;
            while (j < n && is_word(sql[j])) j++;
            size_t w = j - i;
            const char *rep = NULL;
            if (ddl < 0) ddl = (w == 6 && !strncmp(sql + i, "CREATE", 6)) || (w == 5 && !strncmp(sql + i, "ALTER", 5));
            else if (ddl && w == 4 && !strncmp(sql + i, "REAL", 4)) rep = "DOUBLE PRECISION";
            else if (ddl && w == 7 && !strncmp(sql + i, "INTEGER", 7)) rep = "BIGINT";
            else if (ddl && w == 4 && !strncmp(sql + i, "TEXT", 4)) rep = "TEXT COLLATE \"C\"";
            else if (ddl && w == 13 && !strncmp(sql + i, "AUTOINCREMENT", 13)) rep = "GENERATED BY DEFAULT AS IDENTITY";
            if (rep) {
                o += (size_t)snprintf(out + o, cap - o, "%s", rep);
                i = j;
                continue;
            }
            if (w + 64 > cap - o) {
                char *g = sw_realloc(out, cap = 2 * cap + w);
                if (!g) {
                    sw_free(out);
                    return NULL;
                }
                out = g;
            }
            memcpy(out + o, sql + i, w);
            o += w;
            i = j;
            continue;
        }
        out[o++] = c;
        i++;
    }
    out[o] = 0;
    *np = top;
    return out;
}

/* SQLite's functions that the store's statements use (and group_concat's
 * two-argument form), made once with the schema. */
static const char *functions =
    "CREATE OR REPLACE FUNCTION julianday(t text) RETURNS double precision LANGUAGE sql IMMUTABLE STRICT AS"
    " $$ SELECT extract(epoch FROM (t::timestamp AT TIME ZONE 'UTC'))::double precision / 86400.0 + 2440587.5 $$;"
    "CREATE OR REPLACE FUNCTION instr(a text, b text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT AS"
    " $$ SELECT strpos(a, b) $$;"
    "CREATE OR REPLACE FUNCTION sw_group_concat_step(acc text, v text) RETURNS text LANGUAGE sql IMMUTABLE AS"
    " $$ SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v ELSE acc || ',' || v END $$;"
    "CREATE OR REPLACE AGGREGATE group_concat(text) (SFUNC = sw_group_concat_step, STYPE = text);"
    "CREATE OR REPLACE FUNCTION sw_group_concat_step(acc text, v text, sep text) RETURNS text LANGUAGE sql IMMUTABLE"
    " AS $$ SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v ELSE acc || sep || v END $$;"
    "CREATE OR REPLACE AGGREGATE group_concat(text, text) (SFUNC = sw_group_concat_step, STYPE = text);";

int sw__pg_open(sw_store *st, const char *url, int busy_timeout_ms, sw_error *err)
{
    sw_store_redact(url, st->path, sizeof st->path);
    st->pg = sw_calloc(1, sizeof *st->pg);
    if (!st->pg) return sw_fail(err, SW_NOMEM, "out of memory");
    st->pg->conn = PQconnectdb(url);
    if (!st->pg->conn) return sw_fail(err, SW_NOMEM, "out of memory");
    if (PQstatus(st->pg->conn) != CONNECTION_OK) {
        keep_msg(st, PQerrorMessage(st->pg->conn));
        return sw_error_set(err, SW_DB, st->path, 0, 0, -1, "cannot connect to the database: %s", st->msg);
    }
    char set[256];
    snprintf(set, sizeof set,
             "SET client_min_messages = warning; SET TimeZone = 'UTC'; SET extra_float_digits = 3;"
             " SET lock_timeout = %d",
             busy_timeout_ms > 0 ? busy_timeout_ms : 1);
    int rc = sw__pg_exec(st, set);
    return rc ? sw__store_fail(st, err, rc, "cannot prepare the session") : SW_OK;
}

void sw__pg_close(sw_store *st)
{
    if (!st->pg) return;
    PQfinish(st->pg->conn);
    sw_free(st->pg);
    st->pg = NULL;
}

int sw__pg_prepare(sw_store *st, const char *sql, sw__q **out)
{
    sw__q *q = sw_calloc(1, sizeof *q);
    if (!q) return SW__NOMEM;
    q->st = st;
    q->sql = translate(sql, &q->np);
    if (q->sql && q->np) {
        q->val = sw_calloc((size_t)q->np, sizeof *q->val);
        q->type = sw_calloc((size_t)q->np, sizeof *q->type);
    }
    if (!q->sql || (q->np && (!q->val || !q->type))) {
        sw__pg_finalize(q);
        return SW__NOMEM;
    }
    *out = q;
    return SW__OK;
}

int sw__pg_nparams(const sw__q *q)
{
    return q->np;
}

void sw__pg_bind(sw__q *q, int i, const char *text, size_t n, unsigned type)
{
    if (i < 1 || i > q->np) return;
    sw_free(q->val[i - 1]);
    q->val[i - 1] = NULL;
    q->type[i - 1] = type;
    if (!text) return;
    char *v = sw_malloc(n + 1);
    if (!v) { /* the statement fails rather than store a NULL */
        q->oom = 1;
        return;
    }
    memcpy(v, text, n);
    v[n] = 0;
    q->val[i - 1] = v;
}

/* Sync the deferred statements: wait for the server to have run them, keep
 * the first failure (its message in the handle's) and leave pipeline mode. */
static int flush(sw_store *st)
{
    sw__pg *pg = st->pg;
    if (PQpipelineStatus(pg->conn) == PQ_PIPELINE_OFF) {
        int rc = pg->failed;
        pg->failed = SW__OK;
        return rc;
    }
    int synced = PQpipelineSync(pg->conn);
    if (!synced) { /* no sync will come back: the connection is broken */
        keep_msg(st, PQerrorMessage(pg->conn));
        if (!pg->failed) pg->failed = SW__ERROR;
    }
    while (synced) {
        PGresult *r = PQgetResult(pg->conn);
        if (!r) {
            if (PQstatus(pg->conn) != CONNECTION_OK) break;
            continue; /* the end of one statement's results */
        }
        ExecStatusType t = PQresultStatus(r);
        if (t == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if (t != PGRES_PIPELINE_ABORTED && t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK && !pg->failed)
            pg->failed = result_code(st, r);
        PQclear(r);
    }
    PQexitPipelineMode(pg->conn);
    pg->pending = 0;
    int rc = pg->failed;
    pg->failed = SW__OK;
    return rc;
}

/* Send a statement without waiting for it (in pipeline mode): its failure
 * comes with the next sync. */
static int send_deferred(sw__q *q)
{
    sw__pg *pg = q->st->pg;
    const char *const *vals = (const char *const *)q->val;
    if (PQpipelineStatus(pg->conn) == PQ_PIPELINE_OFF && !PQenterPipelineMode(pg->conn)) {
        keep_msg(q->st, PQerrorMessage(pg->conn));
        return SW__ERROR;
    }
    int ok = 1;
    if (q->runs == 1 && !q->name[0]) {
        snprintf(q->name, sizeof q->name, "sw_q%u", ++pg->named);
        ok = PQsendPrepare(pg->conn, q->name, q->sql, q->np, q->type);
    }
    if (ok)
        ok = q->name[0] ? PQsendQueryPrepared(pg->conn, q->name, q->np, vals, NULL, NULL, 0)
                        : PQsendQueryParams(pg->conn, q->sql, q->np, q->type, vals, NULL, NULL, 0);
    q->runs++;
    if (!ok) {
        keep_msg(q->st, PQerrorMessage(pg->conn));
        flush(q->st);
        return SW__ERROR;
    }
    return ++pg->pending >= DEFER_BATCH ? flush(q->st) : SW__OK;
}

void sw__pg_defer(sw_store *st, int on)
{
    st->pg->defer = on;
}

int sw__pg_flush(sw_store *st)
{
    return flush(st);
}

/* Run the statement: the first time as is, from the second on as a
 * server-side prepared statement (the slate's row inserts). */
static int run(sw__q *q)
{
    sw__pg *pg = q->st->pg;
    int frc = flush(q->st); /* in order, after what was deferred */
    if (frc) return frc;
    const char *const *vals = (const char *const *)q->val;
    PGresult *r;
    if (q->runs == 1 && !q->name[0]) {
        snprintf(q->name, sizeof q->name, "sw_q%u", ++pg->named);
        r = PQprepare(pg->conn, q->name, q->sql, q->np, q->type);
        int rc = result_code(q->st, r);
        PQclear(r);
        if (rc) {
            q->name[0] = 0;
            return rc;
        }
    }
    if (q->name[0]) r = PQexecPrepared(pg->conn, q->name, q->np, vals, NULL, NULL, 0);
    else r = PQexecParams(pg->conn, q->sql, q->np, q->type, vals, NULL, NULL, 0);
    q->runs++;
    int rc = result_code(q->st, r);
    if (rc) {
        PQclear(r);
        return rc;
    }
    q->res = r;
    q->nrow = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : 0;
    q->row = -1;
    return SW__OK;
}

int sw__pg_step(sw__q *q)
{
    if (q->oom) return SW__NOMEM;
    if (!q->ran) {
        q->ran = 1;
        /* a statement that returns no rows may go without waiting (sw__db_defer) */
        if (q->st->pg->defer && !strstr(q->sql, "RETURNING") && strncmp(q->sql, "SELECT", 6)) {
            q->res = NULL;
            int rc = send_deferred(q);
            return rc ? rc : SW__DONE;
        }
        int rc = run(q);
        if (rc) return rc;
    }
    if (!q->res) return SW__DONE;
    return ++q->row < q->nrow ? SW__ROW : SW__DONE;
}

void sw__pg_reset(sw__q *q)
{
    PQclear(q->res);
    q->res = NULL;
    q->ran = 0;
    q->row = q->nrow = 0;
}

void sw__pg_finalize(sw__q *q)
{
    sw__pg_reset(q);
    if (q->name[0] && PQpipelineStatus(q->st->pg->conn) != PQ_PIPELINE_OFF) /* its failure waits for the next sync */
        q->st->pg->failed = q->st->pg->failed ? q->st->pg->failed : flush(q->st);
    if (q->name[0] && PQstatus(q->st->pg->conn) == CONNECTION_OK &&
        PQtransactionStatus(q->st->pg->conn) != PQTRANS_INERROR) {
        char sql[48];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", q->name);
        PQclear(PQexec(q->st->pg->conn, sql));
    }
    for (int i = 0; q->val && i < q->np; i++) sw_free(q->val[i]);
    sw_free(q->val);
    sw_free(q->type);
    sw_free(q->sql);
    sw_free(q);
}

int sw__pg_isnull(sw__q *q, int i)
{
    return !q->res || q->row < 0 || q->row >= q->nrow || i >= PQnfields(q->res) || PQgetisnull(q->res, q->row, i);
}

const char *sw__pg_col(sw__q *q, int i, size_t *n)
{
    if (n) *n = 0;
    if (sw__pg_isnull(q, i)) return NULL;
    if (n) *n = (size_t)PQgetlength(q->res, q->row, i);
    return PQgetvalue(q->res, q->row, i);
}

/* After a deferred statement failed, the statement still runs (a ROLLBACK
 * must) and the first failure is the one returned, with its message. */
int sw__pg_exec(sw_store *st, const char *sql)
{
    int frc = flush(st);
    char keep[sizeof st->msg];
    if (frc) memcpy(keep, st->msg, sizeof keep);
    int np = 0;
    char *t = translate(sql, &np);
    if (!t) return frc ? frc : SW__NOMEM;
    PGresult *r = PQexec(st->pg->conn, t);
    sw_free(t);
    int rc = result_code(st, r);
    PQclear(r);
    if (frc) memcpy(st->msg, keep, sizeof keep);
    return frc ? frc : rc;
}

int sw__pg_begin(sw_store *st)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%d)", WRITE_LOCK);
    int rc = sw__pg_exec(st, "BEGIN");
    if (!rc && (rc = sw__pg_exec(st, sql))) sw__db_rollback(st);
    return rc;
}

/* COMMIT of a transaction PostgreSQL has aborted answers "ROLLBACK", not an
 * error: a commit that did not commit is one here. */
int sw__pg_commit(sw_store *st)
{
    int frc = flush(st);
    PGresult *r = PQexec(st->pg->conn, "COMMIT");
    int rc = frc ? frc : result_code(st, r);
    if (!rc && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        keep_msg(st, "the transaction was rolled back: a statement in it failed");
        rc = SW__ERROR;
    }
    PQclear(r);
    return rc;
}

long sw__pg_changes(sw_store *st)
{
    return st->pg->changes;
}

const char *sw__pg_functions(void)
{
    return functions;
}
