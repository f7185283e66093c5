/* testutil: shared paths, temporary files and command execution for tests. */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
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

void tu_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) tu_remove_tree(path);
        else unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

char *tu_sql_dump(const char *db, const char *sql)
{
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    buf[0] = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(q); c++) {
            const char *v = (const char *)sqlite3_column_text(q, c);
            size_t n = strlen(v ? v : "NULL") + 2;
            if (len + n + 2 > cap) buf = realloc(buf, cap = 2 * cap + n);
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", c ? "|" : "", v ? v : "NULL");
        }
        buf[len++] = '\n';
        buf[len] = 0;
    }
    sqlite3_finalize(q);
    sqlite3_close(h);
    return buf;
}

sw_json *tu_json_parse(const char *what, const char *text)
{
    sw_json *doc = NULL;
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_json_parse(what, text, strlen(text), &doc, &err);
    ck_assert_msg(rc == SW_OK, "%s does not parse: %s\n%.400s", what, err.msg, text);
    return doc;
}

long long tu_jint(const sw_json *doc, sw_jnode obj, const char *key)
{
    long long v = -1;
    ck_assert_msg(sw_json_i64(doc, sw_json_get(doc, obj, key), 0, &v, NULL) == SW_OK, "\"%s\" is not an integer", key);
    return v;
}

double tu_jf64(const sw_json *doc, sw_jnode obj, const char *key)
{
    double v = NAN;
    ck_assert_msg(sw_json_f64(doc, sw_json_get(doc, obj, key), 0, &v, NULL) == SW_OK, "\"%s\" is not a number", key);
    return v;
}
