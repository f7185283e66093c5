/* bench_csv: reading a training CSV from one thread to every CPU, beside the
 * file's plain read and XGBoost 1.7.4's own CSV reader.
 *
 * The synthetic NBA-shaped training set (1,000,000 rows x 34 columns, about
 * 190 MB; quick: 120,000).  At each thread count (those of bench scaling):
 * - read: the file copied from the page cache into a buffer by pread on every
 *   thread, the speed of memory for this file (the ceiling of any parser);
 * - swish: sw_matrix_read_csv as `swish train` calls it (33 feature columns
 *   into the matrix, PTS into its vector, infinite cells refused);
 * - XGBoost: a DMatrix from the same rows without the header (its reader
 *   takes none), PTS as the label column, nthread set.
 * Best of 5 (quick: 3) each.  Every count must give the first count's floats
 * (a hash of the matrix and the vector); the first count's matrix is also
 * handed to XGBoost's script, which counts the cells its reader rounds to
 * another float than swish's exactly rounded one. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/matrix.h"
#include "core/threads.h"

/* The file copied into buf by pread in 4 MiB chunks on t threads; its
 * seconds, or -1 on a read error. */
static double plain_read(const char *path, char *buf, size_t len, int t)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    const size_t chunk = 4u << 20;
    long nc = (long)((len + chunk - 1) / chunk);
    int bad = 0;
    double a = sw_clock_now();
#pragma omp parallel for num_threads(t) schedule(dynamic, 1) reduction(| : bad)
    for (long c = 0; c < nc; c++) {
        size_t s = (size_t)c * chunk, e = s + chunk < len ? s + chunk : len;
        while (s < e) {
            ssize_t got = pread(fd, buf + s, e - s, (off_t)s);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                bad = 1;
                break;
            }
            s += (size_t)got;
        }
    }
    double secs = sw_clock_now() - a;
    close(fd);
    return bad ? -1 : secs;
}

static unsigned long long fnv(unsigned long long h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* src without its first line into dst; 0 on success. */
static int drop_header(const char *src, const char *dst)
{
    FILE *a = fopen(src, "rb"), *b = fopen(dst, "wb");
    int ch, rc = !a || !b;
    if (!rc) {
        while ((ch = getc(a)) != EOF && ch != '\n') {}
        char buf[1 << 16];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, a)) > 0)
            if (fwrite(buf, 1, got, b) != got) rc = 1;
    }
    if (a) fclose(a);
    if (b && fclose(b) != 0) rc = 1;
    return rc;
}

int bench_csv(const bench_ctx *c)
{
    int th[16];
    int nth = bench_thread_counts(th, 16);
    if (nth == 0) {
        fprintf(stderr, "bench csv: SW_BENCH_THREADS is not a list of thread counts\n");
        return 1;
    }
    long rows = c->quick ? 120000 : 1000000;
    int reps = c->quick ? 3 : 5;
    char tr[512], te[512], bare[512], exact[512], cmd[2048];
    snprintf(tr, sizeof tr, "%s/csv_train.csv", c->tmp);
    snprintf(te, sizeof te, "%s/csv_test.csv", c->tmp);
    snprintf(bare, sizeof bare, "%s/csv_train_noheader.csv", c->tmp);
    snprintf(exact, sizeof exact, "%s/csv_exact.f32", c->tmp);
    int xgb = strcmp(bench_python(), "none") != 0;
    if (bench_gen_nba(tr, te, rows, 1000, 7) != 0 || (xgb && drop_header(tr, bare) != 0)) {
        fprintf(stderr, "bench csv: cannot write %s\n", tr);
        return 1;
    }
    struct stat sb;
    if (stat(tr, &sb) != 0) return 1;
    size_t len = (size_t)sb.st_size;
    double mb = (double)len / 1e6;
    char *buf = malloc(len);
    if (!buf) return 1;
    printf("== csv: reading %ld x 34 synthetic rows (%.0f MB, the training CSV of bench scaling's kind), 1 to %d "
           "threads: the file's plain read, swish, XGBoost 1.7.4's CSV reader ==\n",
           rows, mb, th[nth - 1]);
    printf("%4s | %8s %7s | %8s %7s %7s %5s %6s | %8s %7s %7s | %s\n", "thr", "read s", "MB/s", "swish s", "MB/s", "speedup",
           "eff", "/read", "xgb s", "MB/s", "xgb/x", "same as the first");
    static const char *const vecs[] = {"PTS"};
    sw_csv_matrix_opts o = {.vectors = vecs, .n_vectors = 1, .finite_vectors = 1, .finite_matrix = 1};
    int rc = 0;
    unsigned long long h1 = 0;
    double s1 = 0;
    long differ = -1, cells = 0;
    for (int i = 0; i < nth && rc == 0; i++) {
        int t = th[i];
        double rd = INFINITY, sw = INFINITY;
        for (int r = 0; r < reps; r++) {
            double s = plain_read(tr, buf, len, t);
            if (s < 0) {
                fprintf(stderr, "bench csv: cannot read %s\n", tr);
                rc = 1;
                break;
            }
            if (s < rd) rd = s;
        }
        sw_threads_set_default(t);
        unsigned long long h = 0;
        for (int r = 0; r < reps && rc == 0; r++) {
            sw_matrix *X = NULL;
            float *v[1] = {NULL};
            sw_error err;
            double a = sw_clock_now();
            if (sw_matrix_read_csv(tr, &o, &X, v, &err) != SW_OK) {
                fprintf(stderr, "bench csv: %s\n", err.msg);
                rc = 1;
                break;
            }
            double s = sw_clock_now() - a;
            if (s < sw) sw = s;
            h = fnv(fnv(1469598103934665603ULL, X->data, sizeof(float) * (size_t)X->rows * (size_t)X->cols), v[0],
                    sizeof(float) * (size_t)X->rows);
            if (i == 0 && r == 0 && xgb) {
                FILE *fp = fopen(exact, "wb");
                size_t n = (size_t)X->rows * (size_t)X->cols;
                if (!fp || fwrite(X->data, sizeof(float), n, fp) != n) rc = 1;
                if (fp && fclose(fp) != 0) rc = 1;
            }
            sw_matrix_free(X);
            sw_free(v[0]);
        }
        sw_threads_set_default(sw_threads_resolve(0));
        if (rc) break;
        if (i == 0) {
            h1 = h;
            s1 = sw;
        }
        double xs = NAN;
        if (xgb) {
            if (i == 0)
                snprintf(cmd, sizeof cmd, "%s bench/xgb_csv.py %s 33 %d %d %s", bench_python(), bare, t, reps, exact);
            else
                snprintf(cmd, sizeof cmd, "%s bench/xgb_csv.py %s 33 %d %d", bench_python(), bare, t, reps);
            char *js = bench_capture(cmd);
            if (!js) {
                fprintf(stderr, "bench csv: %s failed\n", cmd);
                rc = 1;
                break;
            }
            xs = bench_json_num(js, "seconds");
            if (i == 0) {
                differ = (long)bench_json_num(js, "differ");
                cells = (long)bench_json_num(js, "cells");
            }
            free(js);
        }
        int same = h == h1;
        if (!same) rc = 1;
        printf("%4d | %8.3f %7.0f | %8.3f %7.0f %6.2fx %4.0f%% %5.1fx | %8.3f %7.0f %6.2fx | %s\n", t, rd, mb / rd, sw,
               mb / sw, s1 / sw, 100 * s1 / sw / t, sw / rd, xs, mb / xs, xs / sw, same ? "yes" : "NO: other floats");
        fflush(stdout);
    }
    if (differ >= 0)
        printf("XGBoost's reader gives another float than the exactly rounded one in %ld of %ld cells (%.2f%%)\n",
               differ, cells, cells ? 100.0 * (double)differ / (double)cells : 0.0);
    printf("(read: the file from the page cache by pread, the ceiling; /read: swish's time over it; xgb/x: "
           "XGBoost's time / swish's; best of %d)\n\n",
           reps);
    free(buf);
    return rc;
}
