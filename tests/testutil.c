/* testutil: shared paths, temporary files and command execution for tests. */
#include "testutil.h"

#include <dirent.h>
#include <locale.h>
#include <math.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

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
static pid_t g_tmp_pid;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path); /* best effort: go on past what cannot be removed */
    return 0;
}

/* The temporary folder goes with the process that made it (a fixture's in
 * the runner, a test's in its forked child), unless SW_KEEP_TMP is set:
 * a run of make test leaves nothing in /tmp.  (SW_, not SWISH_: the swish
 * commands the tests run inherit the environment and refuse SWISH_* names
 * that are no configuration key.) */
static void tmp_cleanup(void)
{
    if (!g_tmp[0] || getpid() != g_tmp_pid || getenv("SW_KEEP_TMP")) return;
    nftw(g_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tu_tmpdir(void)
{
    if (!g_tmp[0]) { /* a child of a fixture's process uses (and leaves) the fixture's */
        snprintf(g_tmp, sizeof g_tmp, "/tmp/swish-test-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(g_tmp));
        g_tmp_pid = getpid();
        atexit(tmp_cleanup);
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

int tu_sh(char **output, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return tu_run(cmd, output);
}

/* ---- the store's database: SQLite, or PostgreSQL under tests/pg/run.sh ---- */

int tu_db_pg(void)
{
    const char *u = getenv("SW_TEST_PG");
    return u && *u;
}

static PGconn *pg_connect(const char *url)
{
    PGconn *c = PQconnectdb(url);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s: %s", url, PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

/* The URL of database `name` on the server of SW_TEST_PG. */
static void pg_url(char *out, size_t cap, const char *name)
{
    const char *admin = getenv("SW_TEST_PG");
    const char *slash = strrchr(admin, '/');
    snprintf(out, cap, "%.*s/%s", (int)(slash - admin), admin, name);
}

/* A new database's name from a test's name for it (lower case, unique). */
static void pg_name(char *out, size_t cap, const char *name)
{
    static int seq;
    char clean[40];
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < sizeof clean; p++)
        clean[k++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p
                            : *p >= 'A' && *p <= 'Z'                         ? *p - 'A' + 'a'
                                                                             : '_');
    clean[k] = 0;
    snprintf(out, cap, "t_%s_%d_%d", clean, (int)getpid(), ++seq);
}

static void pg_create(const char *name, const char *template_)
{
    PGconn *c = pg_connect(getenv("SW_TEST_PG"));
    char sql[400];
    if (template_) snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE %s", name, template_);
    else snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

const char *tu_db(char *out, size_t cap, const char *dir, const char *name)
{
    if (!tu_db_pg()) { /* fresh: no file of that name left */
        snprintf(out, cap, "%s/%s.db", dir ? dir : tu_tmpdir(), name);
        const char *ext[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            char f[1100];
            snprintf(f, sizeof f, "%s%s", out, ext[i]);
            unlink(f);
        }
        return out;
    }
    char db[64];
    pg_name(db, sizeof db, name);
    pg_create(db, NULL);
    pg_url(out, cap, db);
    return out;
}

const char *tu_db_copy(const char *from, char *out, size_t cap, const char *dir, const char *name)
{
    if (!tu_db_pg()) {
        snprintf(out, cap, "%s/%s.db", dir ? dir : tu_tmpdir(), name);
        ck_assert_int_eq(tu_sh(NULL, "cp %s %s", from, out), 0);
        return out;
    }
    char db[64];
    pg_name(db, sizeof db, name);
    pg_create(db, strrchr(from, '/') + 1);
    pg_url(out, cap, db);
    return out;
}

void *tu_db_lock(const char *db)
{
    if (!strncmp(db, "postgresql://", 13)) {
        PGconn *c = pg_connect(db);
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%d)", 0x73776973); /* store_pg.c's WRITE_LOCK */
        PQclear(PQexec(c, "BEGIN"));
        PGresult *r = PQexec(c, sql);
        ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
        PQclear(r);
        /* and every table's writes, as SQLite's lock holds the file's (readers go on) */
        r = PQexec(c, "LOCK TABLE meta, runs, features, importance, predictions, predictions_superseded,"
                      " predictions_lookahead, grades, jobs, alerts, alert_sends, system_states, system_state_events"
                      " IN EXCLUSIVE MODE");
        ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
        PQclear(r);
        return c;
    }
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    return h;
}

void tu_db_unlock(const char *db, void *h)
{
    if (!strncmp(db, "postgresql://", 13)) {
        PQclear(PQexec(h, "ROLLBACK"));
        PQfinish(h);
        return;
    }
    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(h);
}

/* A query's rows on either backend: cells[row][col] text or NULL. */
typedef struct {
    int rows, cols;
    char **cell;
} tu_rows;

static tu_rows query_rows(const char *db, const char *sql)
{
    tu_rows t = {0, 0, NULL};
    if (!strncmp(db, "postgresql://", 13)) {
        PGconn *c = pg_connect(db);
        PGresult *r = PQexec(c, sql);
        ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
        t.rows = PQntuples(r);
        t.cols = PQnfields(r);
        t.cell = calloc((size_t)(t.rows * t.cols) + 1, sizeof *t.cell);
        for (int i = 0; i < t.rows; i++)
            for (int j = 0; j < t.cols; j++)
                t.cell[i * t.cols + j] = PQgetisnull(r, i, j) ? NULL
                                         : PQftype(r, j) == 16 /* boolean: as SQLite gives it */
                                             ? strdup(!strcmp(PQgetvalue(r, i, j), "t") ? "1" : "0")
                                             : strdup(PQgetvalue(r, i, j));
        PQclear(r);
        PQfinish(c);
        return t;
    }
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    /* a server under test may be writing: wait for its lock as swish does, not fail */
    sqlite3_busy_timeout(h, 10000);
    sqlite3_stmt *q;
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
    t.cols = sqlite3_column_count(q);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((size_t)((t.rows + 1) * t.cols) + 1 > cap) {
            cap = 2 * cap + (size_t)t.cols + 1;
            t.cell = realloc(t.cell, cap * sizeof *t.cell);
        }
        for (int j = 0; j < t.cols; j++) {
            const char *v = (const char *)sqlite3_column_text(q, j);
            t.cell[t.rows * t.cols + j] = v ? strdup(v) : NULL;
        }
        t.rows++;
    }
    ck_assert_msg(rc == SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(h));
    sqlite3_finalize(q);
    sqlite3_close(h);
    return t;
}

static void rows_free(tu_rows *t)
{
    for (int i = 0; i < t->rows * t->cols; i++) free(t->cell[i]);
    free(t->cell);
}

long tu_sql_long(const char *db, const char *sql)
{
    tu_rows t = query_rows(db, sql);
    ck_assert_msg(t.rows >= 1 && t.cols >= 1, "%s: no row", sql);
    const char *v = t.cell[0];
    /* SQLite's integer of a text or real; PostgreSQL's booleans and numerics */
    long out = !v ? 0 : !strcmp(v, "t") ? 1 : !strcmp(v, "f") ? 0 : (long)strtod(v, NULL);
    rows_free(&t);
    return out;
}

const char *tu_comma_locale(void)
{
    static const char *const comma[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8", "fr_FR.utf8", "fr_FR"};
    for (size_t k = 0; k < sizeof comma / sizeof comma[0]; k++)
        if (setlocale(LC_NUMERIC, comma[k]) && !strcmp(localeconv()->decimal_point, ",")) return comma[k];
    /* none installed: compile de_DE from Debian's locale sources (package locales) */
    char locdir[512], *out = NULL;
    snprintf(locdir, sizeof locdir, "%s/locales", tu_tmpdir());
    if (tu_sh(&out, "mkdir -p %s && localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 2>&1", locdir, locdir) == 0) {
        setenv("LOCPATH", locdir, 1); /* glibc reads it at every setlocale */
        if (setlocale(LC_NUMERIC, "de_DE.UTF-8") && !strcmp(localeconv()->decimal_point, ",")) {
            free(out);
            return "de_DE.UTF-8";
        }
    }
    free(out);
    setlocale(LC_NUMERIC, "C");
    return NULL;
}

int tu_sql_exec(const char *db, const char *sql)
{
    if (!strncmp(db, "postgresql://", 13)) {
        PGconn *c = pg_connect(db);
        PGresult *r = PQexec(c, sql);
        int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : 1;
        PQclear(r);
        PQfinish(c);
        return rc;
    }
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    sqlite3_close(h);
    return rc;
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
    tu_rows t = query_rows(db, sql);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    buf[0] = 0;
    for (int i = 0; i < t.rows; i++) {
        for (int c = 0; c < t.cols; c++) {
            const char *v = t.cell[i * t.cols + c];
            size_t n = strlen(v ? v : "NULL") + 2;
            if (len + n + 2 > cap) buf = realloc(buf, cap = 2 * cap + n);
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", c ? "|" : "", v ? v : "NULL");
        }
        buf[len++] = '\n';
        buf[len] = 0;
    }
    rows_free(&t);
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

/* ---- S3 test servers ---- */

static double tu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int tu_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int tu_s3_start(const char *which, const char *dir, const char *bucket, const char *key, const char *secret,
                tu_server *out)
{
    return tu_s3_start_ex(which, dir, bucket, key, secret, NULL, out);
}

int tu_s3_start_ex(const char *which, const char *dir, const char *bucket, const char *key, const char *secret,
                   const char *const *extra, tu_server *out)
{
    memset(out, 0, sizeof *out);
    out->pid = -1;
    out->out_fd = -1;
    int fake = strcmp(which, "fake") == 0;
    ck_assert_msg(fake || strcmp(which, "s3rver") == 0, "tu_s3_start: unknown server %s", which);
    snprintf(out->which, sizeof out->which, "%s", which);
    const char *script = fake ? "tests/s3/fake_s3.py" : "tests/s3/s3rver.js";
    ck_assert_msg(tu_exists(script), "%s not found (tests run from the repository root)", script);
    if (!fake) {
        ck_assert_msg(dir != NULL, "s3rver needs a directory");
        ck_assert_msg(tu_exists("tests/s3/node_modules/@20minutes/s3rver/package.json"),
                      "the S3 test server s3rver is not installed (tests/s3/node_modules): run `make deps`");
    }
    const char *argv[40];
    int n = 0;
    argv[n++] = fake ? "python3" : "node";
    /* s3rver 4.0.4 encrypts its ListObjectsV2 continuation tokens with DES,
     * which Node's OpenSSL 3 offers only from the legacy provider */
    if (!fake) argv[n++] = "--openssl-legacy-provider";
    argv[n++] = script;
    argv[n++] = "--port";
    argv[n++] = "0";
    if (dir) {
        argv[n++] = "--dir";
        argv[n++] = dir;
    }
    argv[n++] = "--bucket";
    argv[n++] = bucket;
    argv[n++] = "--access-key";
    argv[n++] = key;
    argv[n++] = "--secret";
    argv[n++] = secret;
    for (int i = 0; extra && extra[i] && n < 38; i++) argv[n++] = extra[i];
    argv[n] = NULL;

    char errpath[512];
    snprintf(errpath, sizeof errpath, "%s/%s-%d.stderr", tu_tmpdir(), which, (int)getpid());
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* the server must not outlive the test process, even one that fails */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        dup2(fds[1], 1);
        int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (e >= 0) dup2(e, 2);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    char line[256];
    size_t len = 0;
    int port = 0;
    double until = tu_now() + 20.0;
    while (!port && tu_now() < until) {
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) continue;
        ssize_t r = read(fds[0], line + len, sizeof line - 1 - len);
        if (r <= 0) break;
        len += (size_t)r;
        line[len] = 0;
        char *nl = strchr(line, '\n');
        if (nl && sscanf(line, "PORT %d", &port) != 1) break;
        if (len >= sizeof line - 1) break;
    }
    if (!port) {
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        close(fds[0]);
        char *err = tu_slurp(errpath, NULL);
        ck_abort_msg("could not start the %s S3 server (%s %s): %.1500s%s", which, argv[0], script,
                     err && *err ? err : "(no output)",
                     fake ? " (is python3 installed? run `make deps`)"
                          : " (are node and tests/s3/node_modules installed? run `make deps`)");
    }
    out->port = port;
    out->pid = (int)pid;
    out->out_fd = fds[0];
    snprintf(out->endpoint, sizeof out->endpoint, "http://127.0.0.1:%d", port);
    return port;
}

void tu_s3_stop(tu_server *s)
{
    if (s->pid <= 0) return;
    kill(s->pid, SIGTERM);
    int st;
    double until = tu_now() + 5.0;
    while (waitpid(s->pid, &st, WNOHANG) == 0) {
        if (tu_now() > until) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &st, 0);
            break;
        }
        usleep(10000);
    }
    if (s->out_fd >= 0) close(s->out_fd);
    s->pid = -1;
    s->out_fd = -1;
}

/* One HTTP/1.0 exchange with a server on loopback; the body of the answer
 * (malloc'd) and its status. */
static char *tu_http(int port, const char *method, const char *path, const char *body, int *status)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect to port %d: %s", port, strerror(errno));
    char req[4096];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n\r\n%s", method,
                     path, body ? strlen(body) : 0, body ? body : "");
    ck_assert_int_eq(write(fd, req, (size_t)n), n);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while ((r = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)r;
        if (cap - len < 1024) buf = realloc(buf, cap *= 2);
    }
    buf[len] = 0;
    close(fd);
    ck_assert_msg(sscanf(buf, "HTTP/%*s %d", status) == 1, "no HTTP answer from port %d", port);
    char *b = strstr(buf, "\r\n\r\n");
    char *res = strdup(b ? b + 4 : "");
    free(buf);
    return res;
}

void tu_s3_fault(const tu_server *s, const char *json)
{
    int st;
    free(tu_http(s->port, "POST", "/__fault", json, &st));
    ck_assert_int_eq(st, 200);
}

char *tu_s3_log(const tu_server *s)
{
    int st;
    char *b = tu_http(s->port, "GET", "/__log", NULL, &st);
    ck_assert_int_eq(st, 200);
    return b;
}

void tu_s3_log_clear(const tu_server *s)
{
    int st;
    free(tu_http(s->port, "DELETE", "/__log", NULL, &st));
    ck_assert_int_eq(st, 204);
}

int tu_s3_log_count(const tu_server *s, const char *method)
{
    char *log = tu_s3_log(s);
    sw_json *doc = tu_json_parse("fake S3 log", log);
    int n = 0;
    for (sw_jnode e = sw_json_first(doc, sw_json_root(doc)); e != SW_JNONE; e = sw_json_next(doc, e)) {
        if (!method || sw_json_streq(doc, sw_json_get(doc, e, "method"), method)) n++;
    }
    sw_json_free(doc);
    free(log);
    return n;
}

int tu_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static double recv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the webhook receiver (tests/tools/webhook_receiver.py) ---- */

void tu_recv_start(tu_receiver *r)
{
    /* a proxy from the environment would take loopback requests elsewhere */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    const char *script = "tests/tools/webhook_receiver.py";
    struct stat sb;
    ck_assert_msg(stat(script, &sb) == 0, "%s not found (tests run from the repository root)", script);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
        if (getppid() != parent) _exit(1);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execlp("python3", "python3", script, "--port", "0", "--lifetime", "120", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[128];
    size_t len = 0;
    int port = 0;
    double until = recv_now() + 20;
    while (!port && recv_now() < until) {
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) continue;
        ssize_t k = read(fds[0], line + len, sizeof line - 1 - len);
        if (k <= 0) break;
        len += (size_t)k;
        line[len] = 0;
        if (strchr(line, '\n') && sscanf(line, "PORT %d", &port) != 1) break;
    }
    close(fds[0]);
    if (!port) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        ck_abort_msg("could not start tests/tools/webhook_receiver.py (is python3 installed? run `make deps`)");
    }
    r->pid = (int)pid;
    r->port = port;
    snprintf(r->base, sizeof r->base, "http://127.0.0.1:%d", port);
}

void tu_recv_stop(tu_receiver *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
    }
    r->pid = -1;
}

typedef struct {
    char *p;
    size_t len;
} recv_buf;

static size_t recv_on_data(char *p, size_t size, size_t n, void *ud)
{
    recv_buf *m = ud;
    size_t k = size * n;
    char *q = realloc(m->p, m->len + k + 1);
    if (!q) return 0;
    m->p = q;
    memcpy(m->p + m->len, p, k);
    m->len += k;
    m->p[m->len] = 0;
    return k;
}

/* The tu_receiver's log of one path (NULL: every path), parsed. */
sw_json *tu_recv_log(const tu_receiver *r, const char *path)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/__log%s%s", r->base, path ? "?path=" : "", path ? path : "");
    CURL *c = curl_easy_init();
    ck_assert_ptr_nonnull(c);
    recv_buf m = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, recv_on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    ck_assert_msg(cc == CURLE_OK && m.p, "GET %s: %s", url, curl_easy_strerror(cc));
    sw_json *doc = tu_json_parse("tu_receiver log", m.p);
    free(m.p);
    return doc;
}

sw_jnode tu_recv_requests(const sw_json *doc)
{
    sw_jnode a = sw_json_get(doc, sw_json_root(doc), "requests");
    ck_assert_int_eq(sw_json_type_of(doc, a), SW_JSON_ARRAY);
    return a;
}

int tu_recv_count(const tu_receiver *r, const char *path)
{
    sw_json *doc = tu_recv_log(r, path);
    int n = (int)sw_json_len(doc, tu_recv_requests(doc));
    sw_json_free(doc);
    return n;
}

/* The body of the i-th request of a path (malloc'd). */
char *tu_recv_body(const tu_receiver *r, const char *path, int i)
{
    sw_json *doc = tu_recv_log(r, path);
    sw_jnode a = tu_recv_requests(doc), n = sw_json_first(doc, a);
    for (int k = 0; k < i && n != SW_JNONE; k++) n = sw_json_next(doc, n);
    ck_assert_msg(n != SW_JNONE, "%s: no request %d", path, i);
    size_t len;
    const char *s = sw_json_str(doc, sw_json_get(doc, n, "body"), &len);
    ck_assert_ptr_nonnull(s);
    char *out = strndup(s, len);
    sw_json_free(doc);
    return out;
}

/* The arrival times of a path's requests. */
int tu_recv_times(const tu_receiver *r, const char *path, double *t, int max)
{
    sw_json *doc = tu_recv_log(r, path);
    int k = 0;
    for (sw_jnode n = sw_json_first(doc, tu_recv_requests(doc)); n != SW_JNONE && k < max; n = sw_json_next(doc, n))
        t[k++] = tu_jf64(doc, n, "t");
    sw_json_free(doc);
    return k;
}

