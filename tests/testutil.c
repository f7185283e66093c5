/* testutil: shared paths, temporary files and command execution for tests. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *tu_shared(void)
{
    const char *s = getenv("SWISH_SHARED");
    return s && *s ? s : "../shared";
}

const char *tu_shared_path(char *buf, size_t size, const char *rel)
{
    snprintf(buf, size, "%s/%s", tu_shared(), rel);
    struct stat st;
    ck_assert_msg(stat(buf, &st) == 0, "shared test material missing: %s (set SWISH_SHARED)", buf);
    return buf;
}

const char *tu_swish_bin(void)
{
    const char *s = getenv("SWISH_BIN");
    return s && *s ? s : "build/swish";
}

static char g_tmp[256];

const char *tu_tmpdir(void)
{
    if (!g_tmp[0]) {
        snprintf(g_tmp, sizeof g_tmp, "/tmp/swish-test-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(g_tmp));
    }
    return g_tmp;
}

const char *tu_write(const char *name, const void *data, size_t len)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", tu_tmpdir(), name);
    FILE *fp = fopen(p, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
    fclose(fp);
    return p;
}

int tu_run(const char *cmd, char **output)
{
    char full[4096];
    snprintf(full, sizeof full, "(%s) 2>&1", cmd);
    FILE *fp = popen(full, "r");
    ck_assert_ptr_nonnull(fp);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
        len += got;
        if (cap - len < 1024) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[len] = 0;
    int st = pclose(fp);
    if (output) {
        *output = buf;
    } else {
        free(buf);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

char *tu_slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, fp);
    fclose(fp);
    b[got] = 0;
    if (len) *len = got;
    return b;
}
