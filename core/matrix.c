/* matrix: allocation, names and conversion from a parsed CSV table. */
#include "matrix.h"

#include <string.h>

#include "alloc.h"

sw_matrix *sw_matrix_create(long rows, int cols) { return sw__matrix_new(rows, cols, 1); }

sw_matrix *sw__matrix_new(long rows, int cols, int zero)
{
    if (rows < 0 || cols < 0) return NULL;
    sw_matrix *m = sw_calloc(1, sizeof *m);
    if (!m) return NULL;
    size_t n = (size_t)rows * (size_t)cols;
    if (cols && (size_t)rows > ((size_t)-1 / 8) / (size_t)cols) {
        sw_free(m);
        return NULL;
    }
    m->rows = rows;
    m->cols = cols;
    m->data = sw_aligned_alloc((n ? n : 1) * sizeof(float));
    m->names = sw_calloc((size_t)(cols ? cols : 1), sizeof(char *));
    if (!m->data || !m->names) {
        sw_matrix_free(m);
        return NULL;
    }
    if (zero) memset(m->data, 0, (n ? n : 1) * sizeof(float));
    return m;
}

void sw_matrix_free(sw_matrix *m)
{
    if (!m) return;
    if (m->names) {
        for (int i = 0; i < m->cols; i++) sw_free(m->names[i]);
    }
    sw_free(m->names);
    sw_aligned_free(m->data);
    sw_free(m);
}

int sw_matrix_set_name(sw_matrix *m, int col, const char *name)
{
    if (col < 0 || col >= m->cols) return SW_ARG;
    char *d = sw_strdup(name);
    if (!d) return SW_NOMEM;
    sw_free(m->names[col]);
    m->names[col] = d;
    return SW_OK;
}

int sw_matrix_find(const sw_matrix *m, const char *name)
{
    for (int i = 0; i < m->cols; i++) {
        if (m->names[i] && strcmp(m->names[i], name) == 0) return i;
    }
    return -1;
}

int sw_matrix_from_table(const sw_table *t, const char *const *names, int n, sw_matrix **out,
                         sw_error *err)
{
    *out = NULL;
    SW_TRY(sw_table_require(t, names, n, err));
    long rows = sw_table_rows(t);
    sw_matrix *m = sw_matrix_create(rows, n);
    if (!m) return sw_fail(err, SW_NOMEM, "out of memory for a %ld x %d matrix", rows, n);
    int *cols = sw_alloc_array((size_t)(n ? n : 1), sizeof *cols);
    if (!cols) {
        sw_matrix_free(m);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    for (int j = 0; j < n; j++) {
        cols[j] = sw_table_find(t, names[j]);
        if (sw_matrix_set_name(m, j, names[j]) != SW_OK) {
            sw_free(cols);
            sw_matrix_free(m);
            return sw_fail(err, SW_NOMEM, "out of memory");
        }
    }
    /* the cells are parsed on every core (each on its own: the result cannot
     * depend on the thread count); the first bad cell in row order is then
     * parsed again to report it */
    long bad = rows;
#pragma omp parallel for schedule(static) if (rows >= 8192)
    for (long r = 0; r < rows; r++) {
        float *row = sw_matrix_row(m, r);
        for (int j = 0; j < n; j++) {
            if (sw_table_f32(t, r, cols[j], &row[j], NULL) == SW_OK) continue;
#pragma omp critical(sw_matrix_bad_row)
            if (r < bad) bad = r;
            break;
        }
    }
    int rc = SW_OK;
    for (int j = 0; bad < rows && j < n && rc == SW_OK; j++) {
        float v;
        rc = sw_table_f32(t, bad, cols[j], &v, err);
    }
    sw_free(cols);
    if (rc) {
        sw_matrix_free(m);
        return rc;
    }
    *out = m;
    return SW_OK;
}
