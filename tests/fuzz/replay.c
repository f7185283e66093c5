/* replay: run every file of the fuzz corpus through its target, in plain C,
 * as part of make test (SQLite's fuzzcheck, zstd's regression driver).
 * Usage: fuzz_replay CORPUS_DIR  (with subfolders named after the targets). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sw_fuzz_xgb_json(const uint8_t *data, size_t size);
int sw_fuzz_xgb_ubj(const uint8_t *data, size_t size);
int sw_fuzz_xgb_legacy(const uint8_t *data, size_t size);
int sw_fuzz_cbm(const uint8_t *data, size_t size);
int sw_fuzz_swm(const uint8_t *data, size_t size);
int sw_fuzz_csv(const uint8_t *data, size_t size);

static const struct {
    const char *name;
    int (*fn)(const uint8_t *, size_t);
} targets[] = {{"xgb_json", sw_fuzz_xgb_json}, {"xgb_ubj", sw_fuzz_xgb_ubj},
                 {"xgb_legacy", sw_fuzz_xgb_legacy}, {"cbm", sw_fuzz_cbm},
                 {"swm", sw_fuzz_swm}, {"csv", sw_fuzz_csv}};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    long total = 0;
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", argv[1], targets[t].name);
        DIR *d = opendir(dir);
        if (!d) {
            fprintf(stderr, "fuzz_replay: no corpus for %s in %s\n", targets[t].name, dir);
            return 1;
        }
        struct dirent *e;
        long n = 0;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            FILE *fp = fopen(path, "rb");
            if (!fp) continue;
            fseek(fp, 0, SEEK_END);
            long len = ftell(fp);
            fseek(fp, 0, SEEK_SET);
            uint8_t *buf = malloc((size_t)len + 1);
            size_t got = fread(buf, 1, (size_t)len, fp);
            fclose(fp);
            targets[t].fn(buf, got);
            free(buf);
            n++;
        }
        closedir(d);
        if (n == 0) {
            fprintf(stderr, "fuzz_replay: empty corpus for %s\n", targets[t].name);
            return 1;
        }
        total += n;
    }
    printf("fuzz_replay: %ld corpus files replayed without a crash\n", total);
    return 0;
}
