/* bench: the benchmark suite's entry point.  `swish_bench all` runs every
 * benchmark and prints their tables; `swish_bench quick` is the CI mode with
 * small sizes.  Every table names the machine; every speed figure comes with
 * a checksum of the outputs it produced. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void bench_machine(char *buf, size_t size)
{
    char model[256] = "unknown CPU";
    FILE *fp = fopen("/proc/cpuinfo", "r");
    int avx2 = 0, avx512 = 0;
    if (fp) {
        char line[4096];
        while (fgets(line, sizeof line, fp)) {
            if (strncmp(line, "model name", 10) == 0 && strcmp(model, "unknown CPU") == 0) {
                char *p = strchr(line, ':');
                if (p) {
                    snprintf(model, sizeof model, "%s", p + 2);
                    model[strcspn(model, "\n")] = 0;
                }
            }
            if (strncmp(line, "flags", 5) == 0) {
                avx2 = strstr(line, " avx2") != NULL;
                avx512 = strstr(line, " avx512bw") != NULL;
            }
        }
        fclose(fp);
    }
    snprintf(buf, size, "%s, %ld cores, %s", model, sysconf(_SC_NPROCESSORS_ONLN),
             avx512 ? "AVX2+AVX-512" : avx2 ? "AVX2" : "no AVX2");
}

unsigned long long bench_checksum(const double *v, long n)
{
    unsigned long long h = 1469598103934665603ULL;
    const unsigned char *p = (const unsigned char *)v;
    for (size_t i = 0; i < (size_t)n * sizeof(double); i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

char *bench_capture(const char *cmd)
{
    FILE *fp = popen(cmd, "r");
    if (!fp) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
        len += got;
        if (cap - len < 1024) buf = realloc(buf, cap *= 2);
    }
    buf[len] = 0;
    if (pclose(fp) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

double bench_json_num(const char *json, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p) return NAN;
    return strtod(p + strlen(pat), NULL);
}

const char *bench_swish_bin(void)
{
    static char path[4096];
    if (path[0]) return path;
    const char *env = getenv("SWISH_BIN");
    if (env && *env) {
        snprintf(path, sizeof path, "%s", env);
        return path;
    }
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 8);
    char *slash = n > 0 ? memrchr(path, '/', (size_t)n) : NULL;
    if (slash) {
        strcpy(slash + 1, "swish");
        if (access(path, X_OK) == 0) return path;
    }
    snprintf(path, sizeof path, "build/swish");
    return path;
}

const char *bench_python(void)
{
    const char *env = getenv("SW_BENCH_PYTHON");
    return env && *env ? env : "/usr/bin/python3";
}

int bench_env_picks(const char *var, const char *name, int substring)
{
    const char *pick = getenv(var);
    if (!pick || !*pick) return 1;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", pick);
    for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
        if (substring ? strstr(name, w) != NULL : !strcmp(name, w)) return 1;
    return 0;
}

int bench_thread_counts(int *th, int max)
{
    int n = 0;
    const char *pick = getenv("SW_BENCH_THREADS");
    if (pick && *pick) {
        for (const char *q = pick; *q && n < max;) {
            char *end;
            long v = strtol(q, &end, 10);
            if (end == q || v <= 0 || v > 1024) break;
            th[n++] = (int)v;
            q = *end == ',' ? end + 1 : end;
        }
        return n;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) cpus = 1;
    for (int t = 1; t <= cpus && n < max; t *= 2) th[n++] = t;
    if (th[n - 1] != cpus && n < max) th[n++] = (int)cpus;
    return n;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "all";
    if (strcmp(what, "--help") == 0 || strcmp(what, "-h") == 0) {
        printf("usage: swish_bench [all|quick|score|explain|train|train-curve|scaling|csv|features|nightly|\n"
               "                    backtest|contention|store|serve]"
               " [--quick]\n"
               "  all    every benchmark at full size, XGBoost 1.7.4 beside swish\n"
               "  quick  the CI mode: small sizes, every figure printed, fails only past the\n"
               "         user's budget (450 players in 3 minutes) or when retrain slows down more\n"
               "         than 4 times beside one busy process per core\n"
               "  score  scoring only; SW_BENCH_MODELS=depth,v4 only the models whose name has a word\n"
               "  explain  TreeSHAP of the real XGBoost v7 model beside XGBoost's pred_contribs\n"
               "  train  training only; SW_BENCH_TRAIN=synthetic,multi,real picks the sections\n"
               "  train-curve  training time and memory over rows (30k to 4M) and rounds (100 to 1000);\n"
               "               SW_BENCH_CURVE_ROWS=1000000,4000000 picks the sizes,\n"
               "               SW_BENCH_CURVE_THREADS=1 the thread count (2)\n"
               "  scaling  training and scoring from 1 thread to every CPU, model bytes and scores\n"
               "           the same at each count; SW_BENCH_THREADS=1,4,16 picks the counts\n"
               "  csv    reading the training CSV from 1 thread to every CPU, beside the file's plain\n"
               "         read and XGBoost's CSV reader (SW_BENCH_THREADS as scaling)\n"
               "  features  the feature pipeline only\n"
               "  nightly   the 450-player nightly run only\n"
               "  backtest  a season's walk-forward backtest only\n"
               "  contention  retrain, train and slate alone and beside one busy process per core\n"
               "  store     the slate with its model store on a directory and on S3, cold and warm\n"
               "  serve     a running `swish serve` on loopback: predict throughput and latency (wrk, hey),\n"
               "            pushes of the night (acknowledgement, until done), memory under load\n"
               "  --quick   one benchmark at quick mode's sizes\n"
               "XGBoost 1.7.4 runs under /usr/bin/python3; SW_BENCH_PYTHON names another Python with it\n"
               "(none: scaling without XGBoost)\n");
        return 0;
    }
    bench_ctx c = {0};
    c.quick = strcmp(what, "quick") == 0 || (argc > 2 && strcmp(argv[2], "--quick") == 0);
    c.shared = getenv("SWISH_SHARED") && *getenv("SWISH_SHARED") ? getenv("SWISH_SHARED") : "../shared";
    static char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/swish-bench-XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    c.tmp = tmp;
    char machine[512];
    bench_machine(machine, sizeof machine);
    printf("swish benchmarks (%s mode) on %s\n\n", c.quick ? "quick" : "full", machine);
    int rc = 0, every = strcmp(what, "all") == 0 || strcmp(what, "quick") == 0;
    if (every || strcmp(what, "score") == 0) rc |= bench_score(&c);
    if (every || strcmp(what, "explain") == 0) rc |= bench_explain(&c);
    if (every || strcmp(what, "features") == 0) rc |= bench_features(&c);
    if (every || strcmp(what, "nightly") == 0) rc |= bench_nightly(&c);
    if (every || strcmp(what, "backtest") == 0) rc |= bench_backtest(&c);
    if (every || strcmp(what, "train") == 0) rc |= bench_train(&c);
    if (strcmp(what, "all") == 0 || strcmp(what, "train-curve") == 0) rc |= bench_train_curve(&c);
    if (strcmp(what, "all") == 0 || strcmp(what, "scaling") == 0) rc |= bench_scaling(&c);
    if (every || strcmp(what, "csv") == 0) rc |= bench_csv(&c);
    if (every || strcmp(what, "contention") == 0) rc |= bench_contention(&c);
    if (every || strcmp(what, "store") == 0) rc |= bench_store(&c);
    if (every || strcmp(what, "serve") == 0) rc |= bench_serve(&c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    return rc;
}
