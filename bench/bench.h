/* bench: shared helpers of the benchmark suite (timing, machine, checksums,
 * the XGBoost reference run). */
#ifndef SW_BENCH_H
#define SW_BENCH_H

#include <stddef.h>

typedef struct {
    int quick;           /* CI mode: small sizes, every figure still printed */
    const char *shared;  /* SWISH_SHARED */
    const char *tmp;     /* scratch directory */
} bench_ctx;

double bench_now(void);
/* CPU model, cores, ISA extensions: printed with every table. */
void bench_machine(char *buf, size_t size);
/* FNV-1a over the bytes of the outputs: changes if any prediction changes. */
unsigned long long bench_checksum(const double *v, long n);
/* Run a command and capture its stdout (malloc'd); NULL on failure. */
char *bench_capture(const char *cmd);
/* Find "key": number in a one-line JSON object; NaN if absent. */
double bench_json_num(const char *json, const char *key);
/* Median of n values (sorts in place). */
double bench_median(double *v, int n);

int bench_score(const bench_ctx *c);
int bench_train(const bench_ctx *c);
int bench_features(const bench_ctx *c);
int bench_nightly(const bench_ctx *c);
int bench_backtest(const bench_ctx *c);
/* The synthetic NBA-shaped training set (bench/gen_nba.c). */
int bench_gen_nba(const char *train_path, const char *test_path, long n_train, long n_test,
                  unsigned long long seed);

#endif
