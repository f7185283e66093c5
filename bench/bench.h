/* bench: shared helpers of the benchmark suite (timing, machine, checksums,
 * the XGBoost reference run). */
#ifndef SW_BENCH_H
#define SW_BENCH_H

#include <stddef.h>

#include "core/clock.h"
#include "features/simulate.h"

typedef struct {
    int quick;           /* CI mode: small sizes, every figure still printed */
    const char *shared;  /* SWISH_SHARED */
    const char *tmp;     /* scratch directory */
} bench_ctx;

/* CPU model, cores, ISA extensions: printed with every table. */
void bench_machine(char *buf, size_t size);
/* FNV-1a over the bytes of the outputs: changes if any prediction changes. */
unsigned long long bench_checksum(const double *v, long n);
/* Run a command and capture its stdout (malloc'd); NULL on failure. */
char *bench_capture(const char *cmd);
/* Find "key": number in a one-line JSON object; NaN if absent. */
double bench_json_num(const char *json, const char *key);
/* Run a shell command, capture its stdout (malloc'd; NULL and the output on
 * stderr when it fails), the child's peak RSS in MiB. */
char *bench_run_rss(const char *cmd, double *rss_mib);
/* bench_run_rss, and the command's wall time in *secs. */
char *bench_run_timed(const char *cmd, double *rss_mib, double *secs);
/* CSV -> .npz for bench/xgb_train.py (target PTS); non-zero on failure. */
int bench_make_npz(const char *csv, const char *npz);
/* Median of n values (sorts in place). */
double bench_median(double *v, int n);
/* The thread counts of the scaling benchmarks: 1, 2, 4, ... up to the CPUs online
 * (and their number), or those of SW_BENCH_THREADS; 0 when that is no list. */
int bench_thread_counts(int *th, int max);

int bench_score(const bench_ctx *c);
int bench_train(const bench_ctx *c);
/* The cost curve of training over rows and rounds (swish_bench train-curve). */
int bench_train_curve(const bench_ctx *c);
/* Training and scoring from 1 thread to every CPU (swish_bench scaling). */
int bench_scaling(const bench_ctx *c);
/* CSV reading from one thread to every CPU (bench_csv.c). */
int bench_csv(const bench_ctx *c);
/* TreeSHAP beside XGBoost's pred_contribs (bench_explain.c). */
int bench_explain(const bench_ctx *c);
int bench_features(const bench_ctx *c);
int bench_nightly(const bench_ctx *c);
int bench_backtest(const bench_ctx *c);
int bench_contention(const bench_ctx *c);
int bench_store(const bench_ctx *c);
int bench_serve(const bench_ctx *c);
/* The 450-player night with its models (bench_contention.c): league in DIR/night/data,
 * models in DIR/night/models, configuration DIR/night.conf, the night's date in ds. */
int bench_night_setup(const bench_ctx *c, const char *dir, int threads, char data[1024], char models[1024],
                      char nconf[1024], char ds[11]);
/* bench_train's parameters (XGBoost JSON, swish CLI): the same in bench_contention. */
extern const char *const bench_params_json, *const bench_params_cli;
/* The swish binary beside swish_bench ($SWISH_BIN overrides; else build/swish). */
const char *bench_swish_bin(void);
/* The Python with XGBoost 1.7.4 that runs bench/xgb_*.py ($SW_BENCH_PYTHON overrides;
 * else /usr/bin/python3, Debian's, which has python3-xgboost). */
const char *bench_python(void);
/* Whether the comma list in environment variable `var` takes `name`: unset or
 * empty takes all; a word equal to name, or (substring) contained in it. */
int bench_env_picks(const char *var, const char *name, int substring);
/* The nightly benchmark's league (bench_nightly.c): 3 simulated seasons and a full
 * 15-game night after them, with lines. */
int bench_nightly_league(const char *data, sw_sim_summary *ss, int *night, int *last);
/* The synthetic NBA-shaped training set (bench/gen_nba.c). */
int bench_gen_nba(const char *train_path, const char *test_path, long n_train, long n_test,
                  unsigned long long seed);

#endif
