/* matrix: a dense row-major float32 matrix with column names; NaN = missing.
 *
 * The common currency between readers, the feature builder, the trainer and
 * the scorers.  Ownership: the matrix owns its data and names; borrowed
 * pointers returned by accessors stay valid until sw_matrix_free.
 */
#ifndef SW_MATRIX_H
#define SW_MATRIX_H

#include <stddef.h>

#include "csv.h"
#include "status.h"

typedef struct {
    long rows;
    int cols;
    float *data;  /* rows * cols, row-major, 64-byte aligned */
    char **names; /* cols names (may hold NULL entries when unnamed) */
} sw_matrix;

/* Zero-filled matrix; names all NULL. */
sw_matrix *sw_matrix_create(long rows, int cols);
/* The same, zero-filled only when `zero` is set (internal). */
sw_matrix *sw__matrix_new(long rows, int cols, int zero);
void sw_matrix_free(sw_matrix *m);
int sw_matrix_set_name(sw_matrix *m, int col, const char *name); /* copies; SW_NOMEM */
int sw_matrix_find(const sw_matrix *m, const char *name);       /* -1 if absent */

static inline float sw_matrix_get(const sw_matrix *m, long r, int c)
{
    return m->data[(size_t)r * (size_t)m->cols + (size_t)c];
}
static inline void sw_matrix_set(sw_matrix *m, long r, int c, float v)
{
    m->data[(size_t)r * (size_t)m->cols + (size_t)c] = v;
}
static inline float *sw_matrix_row(const sw_matrix *m, long r)
{
    return m->data + (size_t)r * (size_t)m->cols;
}

/* Build a matrix from table columns `names` (in that order; all must exist, the
 * error names the missing ones).  Values are parsed exactly as float32;
 * missing tokens become NaN; anything else is SW_PARSE at file:line:col. */
int sw_matrix_from_table(const sw_table *t, const char *const *names, int n, sw_matrix **out,
                         sw_error *err);

typedef struct {
    /* The matrix's columns, in this order; NULL: every column of the file
     * not named in `vectors` or `drop`, in file order. */
    const char *const *columns;
    int n_columns;
    /* Columns read each into an array of its own (a target, a weight). */
    const char *const *vectors;
    int n_vectors;
    /* With columns NULL: columns left out (each must be in the file). */
    const char *const *drop;
    int n_drop;
    long long max_bytes; /* refuse larger files; 0 = 2 GiB */
    /* Set: a vector's cell that is missing, NaN or infinite is SW_INVALID_DATA
     * at file:line:col (a target or a weight). */
    int finite_vectors;
    /* Set: a matrix cell may be missing but not infinite ("inf", or beyond
     * the float range such as 1e39): SW_INVALID_DATA at file:line:col.
     * XGBoost refuses such inputs; CatBoost reads them as values. */
    int finite_matrix;
} sw_csv_matrix_opts;

/* Internal: the message of an infinite matrix cell (column name, the text's
 * length and the text), also for callers that check a table's matrix. */
#define SW__INFINITE_CELL "column %s: not finite: '%.*s' (a feature may be missing, not infinite)"

/* The numeric columns of a CSV file (the format of sw_table_read_csv) read
 * straight into a matrix, and vectors[i] into vec[i] (rows + 1 floats, freed
 * with sw_free): one pass over the text, on every core when it holds no
 * quote.  A regular file larger than sw__csv_window (8 MiB) without quotes
 * is read in windows of whole lines, so memory holds the matrix and one
 * window, not the text (a file that changes between the two reads of a
 * window is SW_IO).  The values are exactly those of sw_table_read_csv
 * followed by sw_matrix_from_table (NaN for missing tokens); a malformed row
 * or a cell that is not a number is SW_PARSE at file:line:col (the first in
 * the file), a refused cell (finite_vectors, finite_matrix) SW_INVALID_DATA,
 * a column absent from the file (or one to drop) SW_MISMATCH, a column asked
 * for twice SW_ARG.  Results do not depend on the thread count. */
int sw_matrix_read_csv(const char *path, const sw_csv_matrix_opts *o, sw_matrix **out, float **vec,
                       sw_error *err);
/* Internal (tests set it smaller): the window of sw_matrix_read_csv, bytes. */
extern size_t sw__csv_window;

#endif
