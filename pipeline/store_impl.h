/* store_impl: what the store's files share (store.c: the schema, slates,
 * grading, jobs and alerts; store_<reader>.c: the typed reads and writes of
 * one consumer each): the handle, the one mapping of SQLite errors and the
 * column helpers.  Nothing outside the store's files sees SQLite. */
#ifndef SW_STORE_IMPL_H
#define SW_STORE_IMPL_H

#include <sqlite3.h>

#include "store.h"

struct sw_store {
    sqlite3 *db;
    char path[1024];
};

/* The one error mapping: BUSY and LOCKED are SW_BUSY (another process holds
 * the database), anything else SW_DB; the message names the file and `what`. */
int sw__store_fail(sw_store *st, sw_error *err, int rc, const char *what);

void sw__store_utc_now(char out[24]);               /* "2026-01-02T03:04:05Z" */
void sw__store_bind_num(sqlite3_stmt *q, int i, double v); /* NaN/inf bind NULL */
void sw__store_col_text(sqlite3_stmt *q, int i, char *out, size_t cap); /* NULL: "" */
double sw__store_col_num(sqlite3_stmt *q, int i);   /* NULL: NaN */
const char *sw__store_col_str(sqlite3_stmt *q, int i); /* NULL: ""; valid until the next step */
/* The grades table's outcome text ("HIT", ...; NULL for PENDING) and back
 * (PENDING for NULL or any other text). */
const char *sw__store_outcome_name(sw_store_outcome o);
sw_store_outcome sw__store_outcome_parse(const char *s);
/* The recommendation column back to its enum (an unknown text is SW_DB). */
int sw__store_col_call(sw_store *st, sqlite3_stmt *q, int i, sw_call *out, sw_error *err);

#endif
