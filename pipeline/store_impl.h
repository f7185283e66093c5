/* store_impl: what the store's files share (store.c: the schema, slates,
 * grading, jobs and alerts; store_<reader>.c: the typed reads and writes of
 * one consumer each): the handle, the statement layer over the two backends
 * (store_db.c: SQLite; store_pg.c: PostgreSQL through libpq), the one error
 * mapping and the column helpers.  Nothing outside the store's files sees a
 * database library.
 *
 * The store's SQL is written once, in the dialect both backends accept
 * (?N parameters, ON CONFLICT, RETURNING); store_pg.c rewrites parameters to
 * $N and the schema's REAL/INTEGER to DOUBLE PRECISION/BIGINT, and gives the
 * database the three SQLite functions the store uses (julianday, instr,
 * group_concat).  Result codes keep SQLite's values. */
#ifndef SW_STORE_IMPL_H
#define SW_STORE_IMPL_H

#include <stddef.h>

#include "store.h"

enum { SW__OK = 0, SW__ERROR = 1, SW__BUSY = 5, SW__LOCKED = 6, SW__NOMEM = 7, SW__NOTFOUND = 12, SW__ROW = 100, SW__DONE = 101 };

typedef struct sw__pg sw__pg;

/* A prepared statement of either backend. */
typedef struct sw__q {
    struct sw_store *st;
    struct sqlite3_stmt *lite; /* SQLite */
    char *sql;                 /* PostgreSQL: the rewritten text, */
    int np;                    /* its parameters (text, NULL for NULL; */
    char **val;                /* type: an OID, 0 for "infer") */
    unsigned *type;
    struct pg_result *res;     /* the result being stepped through */
    int row, nrow, ran, runs;
    int oom;                   /* a value could not be bound: the statement fails */
    char name[24];             /* a server-side prepared statement, once run twice */
} sw__q;

struct sw_store {
    struct sqlite3 *db; /* the SQLite backend, or */
    sw__pg *pg;         /* the PostgreSQL one */
    char path[1024];    /* the file, or the URL without its password: for messages */
    char msg[512];      /* the PostgreSQL backend's last error */
};

/* ---- statements (store_db.c; store_pg.c behind it) ------------------------ */
int sw__q_prepare(sw_store *st, const char *sql, sw__q **q); /* *q NULL on failure */
int sw__q_step(sw__q *q);         /* SW__ROW, SW__DONE or an error */
void sw__q_reset(sw__q *q);       /* run again; the bindings stay */
void sw__q_clear(sw__q *q);       /* every parameter NULL */
void sw__q_finalize(sw__q *q);    /* NULL is fine */
int sw__q_nparams(const sw__q *q);
void sw__q_text(sw__q *q, int i, const char *s);   /* copied; NULL binds NULL */
void sw__q_textn(sw__q *q, int i, const char *s, size_t n);
void sw__q_int(sw__q *q, int i, long long v);
void sw__q_double(sw__q *q, int i, double v);
void sw__q_null(sw__q *q, int i);
int sw__q_isnull(sw__q *q, int i);
long long sw__q_col_int(sw__q *q, int i);          /* NULL: 0 */
double sw__q_col_double(sw__q *q, int i);          /* NULL: 0 */
const char *sw__q_col_text(sw__q *q, int i);       /* NULL: NULL; valid until the next step */
size_t sw__q_col_bytes(sw__q *q, int i);

int sw__db_exec(sw_store *st, const char *sql);    /* statements without parameters or rows */
int sw__db_begin(sw_store *st);    /* a write transaction: one writer at a time across processes */
int sw__db_commit(sw_store *st);
void sw__db_rollback(sw_store *st);
long sw__db_changes(sw_store *st); /* rows the last statement changed */
/* Statements without rows may be sent without waiting for each (PostgreSQL:
 * libpq's pipeline mode, a sync every few hundred; SQLite: no effect); a
 * failure among them comes back from the next statement, sw__db_flush or
 * the commit.  For the slate's thousands of row inserts: one round trip per
 * batch instead of one per row. */
void sw__db_defer(sw_store *st, int on);
int sw__db_flush(sw_store *st);
int sw__db_has_table(sw_store *st, const char *name, int *has);
const char *sw__db_errmsg(sw_store *st);

/* store_db.c: a SQLite file (WAL, synchronous FULL, the busy timeout) */
int sw__lite_open(sw_store *st, const char *path, int busy_timeout_ms, int create, sw_error *err);
void sw__lite_close(sw_store *st);
/* store_pg.c: a postgresql:// or postgres:// URL */
int sw__pg_is_url(const char *path);
int sw__pg_open(sw_store *st, const char *url, int busy_timeout_ms, sw_error *err);
void sw__pg_close(sw_store *st);
const char *sw__pg_functions(void); /* julianday, instr, group_concat */
int sw__pg_prepare(sw_store *st, const char *sql, sw__q **q);
int sw__pg_step(sw__q *q);
void sw__pg_reset(sw__q *q);
void sw__pg_finalize(sw__q *q);
int sw__pg_nparams(const sw__q *q);
void sw__pg_bind(sw__q *q, int i, const char *text, size_t n, unsigned type); /* text NULL: NULL */
int sw__pg_isnull(sw__q *q, int i);
const char *sw__pg_col(sw__q *q, int i, size_t *n);
int sw__pg_exec(sw_store *st, const char *sql);
int sw__pg_begin(sw_store *st);
int sw__pg_commit(sw_store *st);
long sw__pg_changes(sw_store *st);
void sw__pg_defer(sw_store *st, int on);
int sw__pg_flush(sw_store *st);

/* The one error mapping: BUSY and LOCKED are SW_BUSY (another process holds
 * the database), anything else SW_DB; the message names the database and `what`. */
int sw__store_fail(sw_store *st, sw_error *err, int rc, const char *what);

void sw__store_utc_now(char out[24]);               /* "2026-01-02T03:04:05Z" */
void sw__store_bind_num(sw__q *q, int i, double v); /* NaN/inf bind NULL */
void sw__store_col_text(sw__q *q, int i, char *out, size_t cap); /* NULL: "" */
double sw__store_col_num(sw__q *q, int i);   /* NULL: NaN */
const char *sw__store_col_str(sw__q *q, int i); /* NULL: ""; valid until the next step */
/* The grades table's outcome text ("HIT", ...; NULL for PENDING) and back
 * (PENDING for NULL or any other text). */
const char *sw__store_outcome_name(sw_store_outcome o);
sw_store_outcome sw__store_outcome_parse(const char *s);
/* The recommendation column back to its enum (an unknown text is SW_DB). */
int sw__store_col_call(sw_store *st, sw__q *q, int i, sw_call *out, sw_error *err);
/* The monitor's tables (store_monitor.c), created with the schema on PostgreSQL. */
extern const char *const sw__store_schema_states;

#endif
