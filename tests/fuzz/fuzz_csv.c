/* fuzz_csv: libFuzzer target for the CSV readers, differential: the input
 * as a file read by the table path (sw_table_read_csv, then
 * sw_matrix_from_table on every column) and by the one-pass reader
 * (sw_matrix_read_csv, the last column as a vector when there are two or
 * more), the latter also in windows of whole lines as for large files (a
 * window size taken from the input).  Invariant: never a crash or a hang;
 * all succeed or all fail (the two one-pass reads with the same error and
 * line); when they succeed, the same rows, names and floats, bit for bit;
 * with finite_matrix, refused exactly when a matrix cell is infinite.  Built
 * with -DSW_FUZZ_REPLAY the entry point is renamed for tests/fuzz/replay.c. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/csv.h"
#include "core/matrix.h"

#ifdef SW_FUZZ_REPLAY
#define LLVMFuzzerTestOneInput sw_fuzz_csv
#endif

static char path[64];

static void remove_file(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/sw_fuzz_csv.%ld", (long)getpid());
        atexit(remove_file);
    }
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    size_t put = fwrite(data, 1, size, fp);
    fclose(fp);
    if (put != size) return 0;
    sw_error err;
    sw_table *t = NULL;
    sw_matrix *A = NULL, *B = NULL;
    int ra = sw_table_read_csv(path, NULL, &t, &err);
    int nc = ra == SW_OK ? sw_table_cols(t) : 0, nm = nc >= 2 ? nc - 1 : nc;
    const char **names = malloc(sizeof *names * (size_t)(nc + 1));
    for (int c = 0; c < nc; c++) names[c] = sw_table_colname(t, c);
    float *want = NULL;
    if (ra == SW_OK) ra = sw_matrix_from_table(t, names, nm, &A, &err);
    if (ra == SW_OK && nm < nc) {
        want = malloc(sizeof *want * (size_t)(sw_table_rows(t) + 1));
        for (long r = 0; r < sw_table_rows(t) && ra == SW_OK; r++) ra = sw_table_f32(t, r, nm, &want[r], &err);
    }
    float *vec[1] = {NULL};
    sw_csv_matrix_opts o = {0};
    if (nm < nc) {
        o.vectors = &names[nm];
        o.n_vectors = 1;
    }
    int rb = sw_matrix_read_csv(path, &o, &B, vec, &err);
    sw_error werr;
    sw_matrix *C = NULL;
    float *wvec[1] = {NULL};
    size_t w0 = sw__csv_window;
    sw__csv_window = size > 2 ? 1 + (size_t)data[size - 1] % (size / 2) : 1;
    int rw = sw_matrix_read_csv(path, &o, &C, wvec, &werr);
    sw__csv_window = w0;
    if (rw != rb || (rb != SW_OK && (werr.line != err.line || strcmp(werr.msg, err.msg)))) abort();
    if (rb == SW_OK && (B->rows != C->rows || B->cols != C->cols ||
                        memcmp(B->data, C->data, sizeof(float) * (size_t)B->rows * (size_t)B->cols) ||
                        (wvec[0] && memcmp(vec[0], wvec[0], sizeof(float) * (size_t)B->rows))))
        abort();
    sw_matrix_free(C);
    sw_free(wvec[0]);
    /* finite_matrix: the same read, refused exactly when a matrix cell is infinite */
    o.finite_matrix = 1;
    sw_matrix *D = NULL;
    float *dvec[1] = {NULL};
    int rd = sw_matrix_read_csv(path, &o, &D, dvec, &werr);
    if (rb == SW_OK) {
        int inf = 0;
        for (size_t i = 0; i < (size_t)B->rows * (size_t)B->cols; i++) inf |= isinf(B->data[i]) != 0;
        if (inf ? rd != SW_INVALID_DATA : rd != SW_OK || memcmp(B->data, D->data, sizeof(float) * (size_t)B->rows * (size_t)B->cols))
            abort();
    } else if (rd == SW_OK) {
        abort();
    }
    sw_matrix_free(D);
    sw_free(dvec[0]);
    if (ra == SW_OK) {
        if (rb != SW_OK) abort();
        if (A->rows != B->rows || A->cols != B->cols) abort();
        for (int c = 0; c < A->cols; c++)
            if (strcmp(A->names[c], B->names[c])) abort();
        if (memcmp(A->data, B->data, sizeof(float) * (size_t)A->rows * (size_t)A->cols)) abort();
        if (want && memcmp(want, vec[0], sizeof(float) * (size_t)A->rows)) abort();
    } else if (rb == SW_OK) {
        abort(); /* the one-pass reader took what the table path refused */
    }
    sw_matrix_free(A);
    sw_matrix_free(B);
    sw_free(vec[0]);
    free(want);
    free(names);
    sw_table_free(t);
    return 0;
}
