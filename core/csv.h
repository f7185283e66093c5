/* csv: a CSV file parsed into a table of text cells, with typed accessors that
 * name the file, line and column of any bad value.
 *
 * Format: RFC 4180 with a header row; comma delimiter; fields may be quoted
 * ("a,b", doubled quotes inside); LF or CRLF line ends; a UTF-8 byte-order mark
 * is skipped; blank lines are skipped.  A row with the wrong number of fields,
 * a stray quote, an unterminated quote or a duplicated header name is an error
 * naming file, line (and column).  With `skip_bad_rows`, a data row with the
 * wrong number of fields or a stray quote is left out and listed instead
 * (sw_table_skipped); an unterminated quote, which swallows the rest of the
 * file, and every header problem stay errors.  Missing values are the tokens
 * of sw_is_missing_token ("", nan, NaN, NA, ...).
 *
 * Ownership: the table owns a copy of the file; cell pointers stay valid until
 * sw_table_free.  Cells are NUL-terminated.  Tables are read-only after
 * parsing and safe to share between threads.
 */
#ifndef SW_CSV_H
#define SW_CSV_H

#include <stddef.h>

#include "status.h"

typedef struct sw_table sw_table;

typedef struct {
    /* Keep only these columns, in this order (NULL: keep all, in file order).
     * A listed column absent from the file is an error naming it, unless
     * `allow_missing_columns` is set (then sw_table_find returns -1 for it). */
    const char *const *columns;
    int n_columns;
    int allow_missing_columns;
    int skip_bad_rows;   /* leave out malformed data rows, listing them, instead of failing */
    long long max_bytes; /* refuse larger files; 0 = 2 GiB */
} sw_csv_opts;

int sw_table_read_csv(const char *path, const sw_csv_opts *opts, sw_table **out,
                      sw_error *err);
/* Parse from memory; `name` is used in error messages.  The data is copied. */
int sw_table_parse(const char *name, const char *data, size_t len, const sw_csv_opts *opts,
                   sw_table **out, sw_error *err);
void sw_table_free(sw_table *t);

long sw_table_rows(const sw_table *t);
/* Rows left out under skip_bad_rows, in file order: the i-th one's 1-based source
 * line, column (0: the row as a whole) and reason ("" when i is out of range). */
long sw_table_n_skipped(const sw_table *t);
const char *sw_table_skipped(const sw_table *t, long i, long *line, long *col);
int sw_table_cols(const sw_table *t);
const char *sw_table_path(const sw_table *t);
const char *sw_table_colname(const sw_table *t, int col);
int sw_table_find(const sw_table *t, const char *name); /* -1 if absent */
/* Every name must be present; the error lists all that are not. */
int sw_table_require(const sw_table *t, const char *const *names, int n, sw_error *err);

/* Text of a cell (never NULL; "" for an empty cell). len may be NULL. */
const char *sw_table_str(const sw_table *t, long row, int col, size_t *len);
long sw_table_line(const sw_table *t, long row);  /* 1-based source line */
int sw_table_missing(const sw_table *t, long row, int col);

/* Typed access: a missing cell gives NaN (and *missing = 1 for integers);
 * anything else that is not a number is SW_PARSE with file:line:col. */
int sw_table_f64(const sw_table *t, long row, int col, double *out, sw_error *err);
int sw_table_f32(const sw_table *t, long row, int col, float *out, sw_error *err);
int sw_table_i64(const sw_table *t, long row, int col, long long *out, int *missing,
                 sw_error *err);

/* Set err to a message located at (row, col) of the table's file. */
int sw_table_error(const sw_table *t, long row, int col, sw_error *err, int code,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
