/* test_objstore: the object-store client (io/objstore.h).
 *
 * Oracles: AWS's published SigV4 example (the exact signature, produced by
 * libcurl's CURLOPT_AWS_SIGV4 and captured on a loopback socket); the strict
 * fake server tests/s3/fake_s3.py, which recomputes every signature, the body
 * hash and the preconditions and injects faults (503, delays, truncated and
 * corrupted bodies) and logs what it saw; the real S3 server s3rver 4.0.4
 * (node, pinned in tests/s3/package-lock.json), which verifies SigV4 itself;
 * and the local directory backend's files.  Servers run on loopback; a missing
 * python3/node/s3rver fails the tests (run `make deps`). */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "io/objstore.h"
#include "testutil.h"

#define AK "AKIDSWISHTEST"
#define SK "sEcReT/swish+Test=Key0123456789"
#define BKT "bkt"
#define EMPTY_SHA256_FOR_TEST "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static sw_objstore_opts fast_opts(const char *endpoint)
{
    sw_objstore_opts o = {0};
    o.endpoint = endpoint;
    o.region = "us-east-1";
    o.access_key = AK;
    o.secret_key = SK;
    o.timeout_s = 3;
    o.connect_timeout_s = 1;
    o.retries = 2;
    o.backoff_s = 0.01;
    return o;
}

static sw_objstore *open_ok(const char *loc, const sw_objstore_opts *o)
{
    sw_objstore *s = NULL;
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_objstore_open(loc, o, &s, &err);
    ck_assert_msg(rc == SW_OK, "open %s: %s", loc, err.msg);
    return s;
}

static void put_ok(sw_objstore *s, const char *key, const void *d, size_t n, const char *if_match, char *etag)
{
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_objstore_put(s, key, d, n, if_match, etag, &err);
    ck_assert_msg(rc == SW_OK, "put %s: %s %s", key, sw_status_name(rc), err.msg);
}

static void get_expect(sw_objstore *s, const char *key, const void *d, size_t n, char *etag)
{
    unsigned char *got = NULL;
    size_t len = 0;
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_objstore_get(s, key, 0, &got, &len, etag, &err);
    ck_assert_msg(rc == SW_OK, "get %s: %s %s", key, sw_status_name(rc), err.msg);
    ck_assert_uint_eq(len, n);
    ck_assert_msg(n == 0 || memcmp(got, d, n) == 0, "get %s: other bytes", key);
    sw_free(got);
}

static int get_rc(sw_objstore *s, const char *key, sw_error *err)
{
    unsigned char *got = NULL;
    size_t len = 0;
    sw_error_clear(err);
    int rc = sw_objstore_get(s, key, 0, &got, &len, NULL, err);
    sw_free(got);
    return rc;
}

/* The keys of a listing joined by ',' (static buffer). */
static const char *list_str(sw_objstore *s, const char *prefix)
{
    static char buf[8192];
    char **keys = NULL;
    int n = -1;
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_objstore_list(s, prefix, &keys, &n, &err);
    ck_assert_msg(rc == SW_OK, "list %s: %s %s", prefix, sw_status_name(rc), err.msg);
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        strncat(buf, i ? "," : "", sizeof buf - strlen(buf) - 1);
        strncat(buf, keys[i], sizeof buf - strlen(buf) - 1);
    }
    ck_assert_ptr_null(keys[n]);
    sw_free(keys);
    return buf;
}

static char *fresh_dir(const char *name)
{
    static char path[4][512];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 512, "%s/%s", tu_tmpdir(), name);
    tu_remove_tree(p);
    return p;
}

/* ---------------------------------------------------------------- sigv4 */

typedef struct {
    int fd;
    char req[8192];
} capture;

static void *capture_one(void *arg)
{
    capture *c = arg;
    int conn = accept(c->fd, NULL, NULL);
    if (conn < 0) return NULL;
    size_t len = 0;
    while (len < sizeof c->req - 1 && !strstr(c->req, "\r\n\r\n")) {
        ssize_t r = read(conn, c->req + len, sizeof c->req - 1 - len);
        if (r <= 0) break;
        len += (size_t)r;
        c->req[len] = 0;
    }
    const char *ans = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ssize_t w = write(conn, ans, strlen(ans));
    (void)w;
    close(conn);
    return NULL;
}

/* AWS's "GET Object" example of the SigV4 documentation (Amazon S3 API
 * Reference, "Example: GET Object"), signed by libcurl and captured. */
START_TEST(test_sigv4_aws_example)
{
    capture cap = {0};
    cap.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(cap.fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    ck_assert_int_eq(getsockname(cap.fd, (struct sockaddr *)&a, &al), 0);
    ck_assert_int_eq(listen(cap.fd, 1), 0);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, capture_one, &cap), 0);

    CURL *c = curl_easy_init();
    char connect_to[128];
    snprintf(connect_to, sizeof connect_to, "examplebucket.s3.amazonaws.com:80:127.0.0.1:%d", ntohs(a.sin_port));
    struct curl_slist *ct = curl_slist_append(NULL, connect_to);
    struct curl_slist *h = curl_slist_append(NULL, "Range: bytes=0-9");
    h = curl_slist_append(h, "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* curl takes the date from this header when given (and sends it twice) */
    h = curl_slist_append(h, "x-amz-date: 20130524T000000Z");
    curl_easy_setopt(c, CURLOPT_URL, "http://examplebucket.s3.amazonaws.com/test.txt");
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, ct);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
    curl_easy_setopt(c, CURLOPT_USERNAME, "AKIAIOSFODNN7EXAMPLE");
    curl_easy_setopt(c, CURLOPT_PASSWORD, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    CURLcode cc = curl_easy_perform(c);
    pthread_join(th, NULL);
    close(cap.fd);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    curl_slist_free_all(ct);
    ck_assert_msg(cc == CURLE_OK, "curl: %s", curl_easy_strerror(cc));

    const char *auth = strstr(cap.req, "\r\nAuthorization: ");
    ck_assert_msg(auth != NULL, "no Authorization header in:\n%s", cap.req);
    char line[512];
    sscanf(auth + 2, "%511[^\r]", line);
    ck_assert_msg(strstr(line, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"),
                  "%s", line);
    ck_assert_msg(strstr(line, "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"), "%s", line);
    ck_assert_msg(strstr(line, "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
                  "not AWS's published signature: %s", line);
}
END_TEST

/* A request made with plain libcurl against the fake: the answer's status and
 * body (malloc'd). */
static long raw_request(const tu_server *srv, const char *path_query, const char *method, const char *body,
                        const char *sha_header, char **out)
{
    CURL *c = curl_easy_init();
    char url[512];
    snprintf(url, sizeof url, "%s%s", srv->endpoint, path_query);
    struct curl_slist *h = sha_header ? curl_slist_append(NULL, sha_header) : NULL;
    FILE *mem;
    char *buf = NULL;
    size_t blen = 0;
    mem = open_memstream(&buf, &blen);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
    curl_easy_setopt(c, CURLOPT_USERNAME, AK);
    curl_easy_setopt(c, CURLOPT_PASSWORD, SK);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode cc = curl_easy_perform(c);
    ck_assert_msg(cc == CURLE_OK, "curl: %s", curl_easy_strerror(cc));
    long st = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    fclose(mem);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    *out = buf;
    return st;
}

/* The fake is as strict as S3 on what libcurl leaves to us: the body hash
 * header and the order of the query. */
START_TEST(test_fake_is_strict)
{
    /* its verifier reproduces AWS's published example too */
    char *out = NULL;
    int ex = tu_run("python3 tests/s3/fake_s3.py --selftest", &out);
    ck_assert_msg(ex == 0 && strstr(out, "selftest ok"), "fake_s3.py --selftest: %s (run `make deps`?)", out);
    free(out);

    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    char *b;
    char hello_sha[65], hdr[128];
    sw_sha256_hex("hello", 5, hello_sha);

    /* no x-amz-content-sha256 (curl does not add it) */
    ck_assert_int_eq(raw_request(&srv, "/" BKT "/k", "PUT", "hello", NULL, &b), 400);
    ck_assert_msg(strstr(b, "x-amz-content-sha256"), "%s", b);
    free(b);
    /* a hash that is not the body's */
    snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", EMPTY_SHA256_FOR_TEST);
    ck_assert_int_eq(raw_request(&srv, "/" BKT "/k", "PUT", "hello", hdr, &b), 400);
    ck_assert_msg(strstr(b, "<Code>XAmzContentSHA256Mismatch</Code>"), "%s", b);
    free(b);
    /* the right one */
    snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", hello_sha);
    ck_assert_int_eq(raw_request(&srv, "/" BKT "/k", "PUT", "hello", hdr, &b), 200);
    free(b);
    /* curl signs the header's value as the payload hash, not a hash of its
     * own: UNSIGNED-PAYLOAD verifies only if it went into the signature */
    ck_assert_int_eq(raw_request(&srv, "/" BKT "/u", "PUT", "hello", "x-amz-content-sha256: UNSIGNED-PAYLOAD", &b),
                     200);
    free(b);
    /* curl signs the query as given: unsorted parameters do not verify */
    snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", EMPTY_SHA256_FOR_TEST);
    ck_assert_int_eq(raw_request(&srv, "/" BKT "?prefix=&list-type=2", "GET", NULL, hdr, &b), 403);
    ck_assert_msg(strstr(b, "<Code>SignatureDoesNotMatch</Code>"), "%s", b);
    free(b);
    ck_assert_int_eq(raw_request(&srv, "/" BKT "?list-type=2&prefix=", "GET", NULL, hdr, &b), 200);
    ck_assert_msg(strstr(b, "<Key>k</Key><"), "%s", b);
    free(b);
    tu_s3_stop(&srv);
}
END_TEST

/* ---------------------------------------------------------------- local */

START_TEST(test_local_roundtrip)
{
    char *dir = fresh_dir("store-rt");
    char loc[600];
    snprintf(loc, sizeof loc, "file://%s/", dir);
    sw_objstore *s = open_ok(loc, NULL);
    ck_assert_int_eq(sw_objstore_kind(s), SW_OBJ_LOCAL);
    ck_assert_str_eq(sw_objstore_dir(s), dir);
    ck_assert_msg(strcmp(sw_objstore_location(s), loc) != 0 && strncmp(sw_objstore_location(s), loc, strlen(loc) - 1) == 0,
                  "location %s not normalised", sw_objstore_location(s));

    const unsigned char data[] = {'a', 0, 'b', 0xff, '\n'};
    char etag[SW_ETAG_MAX], sha[65], got_etag[SW_ETAG_MAX];
    put_ok(s, "sys/v1/model.bin", data, sizeof data, NULL, etag);
    sw_sha256_hex(data, sizeof data, sha);
    ck_assert_str_eq(etag, sha);
    get_expect(s, "sys/v1/model.bin", data, sizeof data, got_etag);
    ck_assert_str_eq(got_etag, sha);

    char path[700];
    snprintf(path, sizeof path, "%s/sys/v1/model.bin", dir);
    ck_assert(sw_file_exists(path));

    int exists = -1;
    long long size = -1;
    sw_error err;
    ck_assert_int_eq(sw_objstore_head(s, "sys/v1/model.bin", &exists, &size, got_etag, &err), SW_OK);
    ck_assert_int_eq(exists, 1);
    ck_assert_int_eq(size, (long long)sizeof data);
    ck_assert_str_eq(got_etag, sha);
    ck_assert_int_eq(sw_objstore_head(s, "sys/v1/none", &exists, &size, got_etag, &err), SW_OK);
    ck_assert_int_eq(exists, 0);

    ck_assert_int_eq(get_rc(s, "sys/v1/none", &err), SW_NOT_FOUND);
    ck_assert_int_eq(get_rc(s, "sys", &err), SW_NOT_FOUND); /* a directory is no object */

    /* the size cap */
    unsigned char *d = NULL;
    size_t n = 0;
    ck_assert_int_eq(sw_objstore_get(s, "sys/v1/model.bin", 3, &d, &n, NULL, &err), SW_RANGE);
    ck_assert_ptr_null(d);

    ck_assert_int_eq(sw_objstore_delete(s, "sys/v1/model.bin", &err), SW_OK);
    ck_assert(!sw_file_exists(path));
    ck_assert_int_eq(sw_objstore_delete(s, "sys/v1/model.bin", &err), SW_OK); /* idempotent */
    ck_assert_int_eq(get_rc(s, "sys/v1/model.bin", &err), SW_NOT_FOUND);

    sw_objstore_stats st;
    sw_objstore_get_stats(s, &st);
    ck_assert_int_eq(st.bytes_out, (long long)sizeof data);
    ck_assert_int_eq(st.retries, 0);
    sw_objstore_close(s);

    /* a plain directory; one that does not exist yet lists empty */
    s = open_ok(dir, NULL);
    ck_assert_str_eq(sw_objstore_location(s), dir);
    sw_objstore_close(s);
    char missing[700];
    snprintf(missing, sizeof missing, "%s/not-yet", dir);
    s = open_ok(missing, NULL);
    ck_assert_str_eq(list_str(s, ""), "");
    sw_objstore_close(s);
}
END_TEST

START_TEST(test_local_conditional)
{
    char *dir = fresh_dir("store-cond");
    sw_objstore *s = open_ok(dir, NULL);
    sw_error err;
    char e1[SW_ETAG_MAX], e2[SW_ETAG_MAX];

    /* absent + etag: conflict */
    ck_assert_int_eq(sw_objstore_put(s, "p.json", "x", 1, "abc", NULL, &err), SW_CONFLICT);
    ck_assert_int_eq(get_rc(s, "p.json", &err), SW_NOT_FOUND);
    /* absent + "": created */
    put_ok(s, "p.json", "one", 3, "", e1);
    /* present + "": conflict, nothing written */
    ck_assert_int_eq(sw_objstore_put(s, "p.json", "two", 3, "", NULL, &err), SW_CONFLICT);
    ck_assert_msg(strstr(err.msg, "another writer"), "%s", err.msg);
    get_expect(s, "p.json", "one", 3, NULL);
    /* the right etag: replaced */
    put_ok(s, "p.json", "two", 3, e1, e2);
    ck_assert_str_ne(e1, e2);
    /* the old etag: conflict, nothing written */
    ck_assert_int_eq(sw_objstore_put(s, "p.json", "three", 5, e1, NULL, &err), SW_CONFLICT);
    ck_assert_msg(strstr(err.msg, "changed by another writer"), "%s", err.msg);
    get_expect(s, "p.json", "two", 3, NULL);
    /* the lock file is no key */
    char lock[600];
    snprintf(lock, sizeof lock, "%s/.lock", dir);
    ck_assert(sw_file_exists(lock));
    ck_assert_str_eq(list_str(s, ""), "p.json");
    sw_objstore_close(s);
}
END_TEST

/* Writers in separate processes race from the same version: exactly one wins. */
START_TEST(test_local_conditional_race)
{
    char *dir = fresh_dir("store-race");
    sw_objstore *s = open_ok(dir, NULL);
    char e0[SW_ETAG_MAX];
    put_ok(s, "champion.json", "v0", 2, "", e0);
    sw_objstore_close(s);
    enum { N = 8 };
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            sw_objstore *c = NULL;
            sw_error err;
            if (sw_objstore_open(dir, NULL, &c, &err) != SW_OK) _exit(3);
            char body[16];
            int n = snprintf(body, sizeof body, "writer %d", i);
            int rc = sw_objstore_put(c, "champion.json", body, (size_t)n, e0, NULL, &err);
            sw_objstore_close(c);
            _exit(rc == SW_OK ? 0 : rc == SW_CONFLICT ? 1 : 2);
        }
    }
    int wins = 0, conflicts = 0;
    for (int i = 0; i < N; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        ck_assert(WIFEXITED(st));
        wins += WEXITSTATUS(st) == 0;
        conflicts += WEXITSTATUS(st) == 1;
    }
    ck_assert_int_eq(wins, 1);
    ck_assert_int_eq(conflicts, N - 1);
}
END_TEST

START_TEST(test_local_keys_rejected)
{
    char *dir = fresh_dir("store-keys");
    sw_objstore *s = open_ok(dir, NULL);
    const char *bad[] = {"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", ".", "a/", "a\nb", "..", "a/.."};
    sw_error err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(sw_objstore_put(s, bad[i], "x", 1, NULL, NULL, &err) == SW_ARG, "put \"%s\" accepted", bad[i]);
        ck_assert_msg(get_rc(s, bad[i], &err) == SW_ARG, "get \"%s\" accepted", bad[i]);
        ck_assert_msg(sw_objstore_delete(s, bad[i], &err) == SW_ARG, "delete \"%s\" accepted", bad[i]);
    }
    char **keys;
    int n;
    ck_assert_int_eq(sw_objstore_list(s, "../", &keys, &n, &err), SW_ARG);
    ck_assert_int_eq(sw_objstore_list(s, "/abs", &keys, &n, &err), SW_ARG);
    /* nothing escaped the directory */
    char outside[600];
    snprintf(outside, sizeof outside, "%s/x", tu_tmpdir());
    ck_assert(!sw_file_exists(outside));
    /* odd but valid names */
    put_ok(s, "a b/c+d=e&f~g.json", "1", 1, NULL, NULL);
    put_ok(s, "..hidden/...x", "1", 1, NULL, NULL);
    sw_objstore_close(s);

    sw_objstore *o = NULL;
    ck_assert_int_eq(sw_objstore_open("ftp://host/x", NULL, &o, &err), SW_ARG);
    ck_assert_int_eq(sw_objstore_open("", NULL, &o, &err), SW_ARG);
    sw_objstore_opts opts = fast_opts(NULL);
    ck_assert_int_eq(sw_objstore_open("s3://", &opts, &o, &err), SW_ARG);
    ck_assert_int_eq(sw_objstore_open("s3://bad bucket/x", &opts, &o, &err), SW_ARG);
    ck_assert_int_eq(sw_objstore_open("s3://b/x/../y", &opts, &o, &err), SW_ARG);
    opts.endpoint = "http://user:pw@127.0.0.1:1";
    ck_assert_int_eq(sw_objstore_open("s3://b", &opts, &o, &err), SW_ARG);
    ck_assert_ptr_null(strstr(err.msg, "pw@"));
}
END_TEST

START_TEST(test_local_list)
{
    char *dir = fresh_dir("store-list");
    sw_objstore *s = open_ok(dir, NULL);
    const char *keys[] = {"a/b", "B", "a-b", "a/c/d", "ab"};
    for (size_t i = 0; i < 5; i++) put_ok(s, keys[i], "x", 1, NULL, NULL);
    /* internal files: the lock, temporaries of atomic writes */
    char p[700];
    snprintf(p, sizeof p, "%s/a/b.tmp.1234", dir);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    snprintf(p, sizeof p, "%s/.tmpXYZ", dir);
    f = fopen(p, "w");
    fclose(f);
    put_ok(s, "lockme", "1", 1, "", NULL); /* makes .lock */
    ck_assert_str_eq(list_str(s, ""), "B,a-b,a/b,a/c/d,ab,lockme");
    ck_assert_str_eq(list_str(s, "a/"), "a/b,a/c/d");
    ck_assert_str_eq(list_str(s, "a"), "a-b,a/b,a/c/d,ab");
    ck_assert_str_eq(list_str(s, "a/c/"), "a/c/d");
    ck_assert_str_eq(list_str(s, "q/"), "");
    sw_objstore_close(s);
}
END_TEST

/* ---------------------------------------------------------------- fake */

static sw_objstore *open_fake(const tu_server *srv, const char *loc, sw_objstore_opts *o)
{
    sw_objstore_opts d = fast_opts(srv->endpoint);
    if (!o) o = &d;
    o->endpoint = srv->endpoint;
    return open_ok(loc, o);
}

static void roundtrip(sw_objstore *s, int gcs)
{
    unsigned char data[3000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 7 + (i >> 8));
    data[10] = 0;
    const char *odd = "dir/a b+c=&~\xc3\xa9(1)!.bin";
    char e1[SW_ETAG_MAX], e2[SW_ETAG_MAX];
    put_ok(s, odd, data, sizeof data, NULL, e1);
    ck_assert_msg(e1[0], "no etag after put");
    if (gcs) {
        ck_assert_msg(strspn(e1, "0123456789") == strlen(e1), "GCS etag is a generation: %s", e1);
    } else {
        ck_assert_msg(e1[0] == '"' && strlen(e1) == 34, "S3 etag is a quoted md5: %s", e1);
    }
    get_expect(s, odd, data, sizeof data, e2);
    ck_assert_str_eq(e1, e2);
    put_ok(s, "empty", "", 0, NULL, NULL);
    get_expect(s, "empty", "", 0, NULL);
    put_ok(s, "dir/x", "x", 1, NULL, NULL);

    int exists = -1;
    long long size = -1;
    char e3[SW_ETAG_MAX];
    sw_error err;
    ck_assert_int_eq(sw_objstore_head(s, odd, &exists, &size, e3, &err), SW_OK);
    ck_assert_int_eq(exists, 1);
    ck_assert_int_eq(size, (long long)sizeof data);
    ck_assert_str_eq(e3, e1);
    ck_assert_int_eq(sw_objstore_head(s, "dir/none", &exists, &size, e3, &err), SW_OK);
    ck_assert_int_eq(exists, 0);

    char want[256];
    snprintf(want, sizeof want, "%s,dir/x,empty", odd);
    ck_assert_str_eq(list_str(s, ""), want);
    snprintf(want, sizeof want, "%s,dir/x", odd);
    ck_assert_str_eq(list_str(s, "dir/"), want);
    ck_assert_str_eq(list_str(s, "dir/x"), "dir/x");

    /* the size cap is not retried */
    unsigned char *d = NULL;
    size_t n;
    sw_objstore_stats a, b;
    sw_objstore_get_stats(s, &a);
    ck_assert_int_eq(sw_objstore_get(s, odd, 100, &d, &n, NULL, &err), SW_RANGE);
    sw_objstore_get_stats(s, &b);
    ck_assert_int_eq(b.requests, a.requests + 1);
    /* and applies to objects, not to error documents */
    ck_assert_int_eq(sw_objstore_get(s, "never", 5, &d, &n, NULL, &err), SW_NOT_FOUND);
    ck_assert_int_eq(sw_objstore_get(s, "dir/x", 1, &d, &n, NULL, &err), SW_OK);
    sw_free(d);

    ck_assert_int_eq(sw_objstore_delete(s, odd, &err), SW_OK);
    ck_assert_int_eq(get_rc(s, odd, &err), SW_NOT_FOUND);
    ck_assert_int_eq(sw_objstore_delete(s, odd, &err), SW_OK); /* absent: done */
    ck_assert_int_eq(get_rc(s, "never", &err), SW_NOT_FOUND);
    ck_assert_msg(strstr(err.msg, "never"), "%s", err.msg);

    sw_objstore_get_stats(s, &b);
    ck_assert_int_eq(b.retries, 0);
    ck_assert_int_ge(b.bytes_out, (long long)sizeof data);
    ck_assert_int_ge(b.bytes_in, (long long)sizeof data);
}

START_TEST(test_fake_roundtrip_s3)
{
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    sw_objstore *s = open_fake(&srv, "s3://" BKT "/root/", NULL);
    ck_assert_int_eq(sw_objstore_kind(s), SW_OBJ_S3);
    ck_assert_str_eq(sw_objstore_location(s), "s3://" BKT "/root");
    ck_assert_ptr_null(sw_objstore_dir(s));
    roundtrip(s, 0);
    sw_objstore_stats st;
    sw_objstore_get_stats(s, &st);
    ck_assert_int_eq(st.requests, tu_s3_log_count(&srv, NULL));
    sw_objstore_close(s);
    /* the objects are under the prefix */
    s = open_fake(&srv, "s3://" BKT, NULL);
    ck_assert_str_eq(list_str(s, ""), "root/dir/x,root/empty");
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

START_TEST(test_fake_roundtrip_gcs)
{
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    sw_objstore *s = open_fake(&srv, "gs://" BKT "/g", NULL);
    ck_assert_int_eq(sw_objstore_kind(s), SW_OBJ_GCS);
    roundtrip(s, 1); /* GOOG4-HMAC-SHA256, verified by the fake */
    sw_objstore_close(s);

    sw_objstore_opts o = fast_opts(srv.endpoint);
    o.secret_key = "wrong-" SK;
    s = open_fake(&srv, "gs://" BKT, &o);
    sw_error err;
    ck_assert_int_eq(get_rc(s, "x", &err), SW_NET);
    ck_assert_msg(strstr(err.msg, "SignatureDoesNotMatch"), "%s", err.msg);
    ck_assert_ptr_null(strstr(err.msg, SK));
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

START_TEST(test_fake_list_pages)
{
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    sw_objstore_opts o = fast_opts(srv.endpoint);
    o.list_page = 2;
    sw_objstore *s = open_fake(&srv, "s3://" BKT "/p", &o);
    const char *keys[] = {"m/5", "m/1", "m/3&<x>", "m/2", "m/4", "n/1", "l"};
    for (int i = 0; i < 7; i++) put_ok(s, keys[i], "k", 1, NULL, NULL);
    tu_s3_log_clear(&srv);
    ck_assert_str_eq(list_str(s, "m/"), "m/1,m/2,m/3&<x>,m/4,m/5");
    ck_assert_int_eq(tu_s3_log_count(&srv, "GET"), 3); /* 2 + 2 + 1 */
    ck_assert_str_eq(list_str(s, ""), "l,m/1,m/2,m/3&<x>,m/4,m/5,n/1");
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

static void conditional(sw_objstore *s)
{
    sw_error err;
    char e1[SW_ETAG_MAX], e2[SW_ETAG_MAX];
    put_ok(s, "ptr.json", "one", 3, "", e1);
    ck_assert_int_eq(sw_objstore_put(s, "ptr.json", "two", 3, "", NULL, &err), SW_CONFLICT);
    ck_assert_msg(strstr(err.msg, "another writer"), "%s", err.msg);
    get_expect(s, "ptr.json", "one", 3, NULL);
    put_ok(s, "ptr.json", "two", 3, e1, e2);
    ck_assert_str_ne(e1, e2);
    ck_assert_int_eq(sw_objstore_put(s, "ptr.json", "three", 5, e1, NULL, &err), SW_CONFLICT);
    ck_assert_msg(strstr(err.msg, "changed by another writer"), "%s", err.msg);
    get_expect(s, "ptr.json", "two", 3, NULL);
    /* the object was removed meanwhile */
    ck_assert_int_eq(sw_objstore_delete(s, "ptr.json", &err), SW_OK);
    ck_assert_int_eq(sw_objstore_put(s, "ptr.json", "four", 4, e2, NULL, &err), SW_CONFLICT);
    ck_assert_int_eq(get_rc(s, "ptr.json", &err), SW_NOT_FOUND);
}

START_TEST(test_fake_conditional)
{
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    sw_objstore *s = open_fake(&srv, "s3://" BKT, NULL);
    conditional(s); /* If-Match / If-None-Match: * */
    sw_error err;
    ck_assert_int_eq(sw_objstore_put(s, "k", "x", 1, "bad\r\nX-Injected: 1", NULL, &err), SW_ARG);
    sw_objstore_close(s);
    s = open_fake(&srv, "gs://" BKT, NULL);
    conditional(s); /* x-goog-if-generation-match */
    ck_assert_int_eq(sw_objstore_put(s, "k", "x", 1, "\"d41d8cd98f00b204e9800998ecf8427e\"", NULL, &err), SW_ARG);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

/* A conditional put whose first attempt landed but whose answer was lost is
 * a success, not a conflict with itself. */
START_TEST(test_fake_conditional_lost_answer)
{
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    sw_objstore_opts o = fast_opts(srv.endpoint);
    o.timeout_s = 0.4;
    o.backoff_s = 0.6; /* the retry comes after the slow first attempt wrote */
    sw_objstore *s = open_fake(&srv, "s3://" BKT, &o);
    tu_s3_fault(&srv, "{\"delay\":0.7,\"count\":1,\"method\":\"PUT\"}");
    char e[SW_ETAG_MAX], e2[SW_ETAG_MAX];
    put_ok(s, "ptr.json", "mine", 4, "", e);
    get_expect(s, "ptr.json", "mine", 4, e2);
    ck_assert_str_eq(e, e2);
    sw_objstore_stats st;
    sw_objstore_get_stats(s, &st);
    ck_assert_int_ge(st.retries, 1);
    /* another writer's object is still a conflict */
    tu_s3_fault(&srv, "{\"delay\":0.7,\"count\":1,\"method\":\"PUT\"}");
    sw_error err;
    ck_assert_int_eq(sw_objstore_put(s, "ptr.json", "theirs", 6, "", NULL, &err), SW_CONFLICT);
    get_expect(s, "ptr.json", "mine", 4, NULL);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

START_TEST(test_fake_503_retried)
{
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    sw_objstore *s = open_fake(&srv, "s3://" BKT, NULL);
    put_ok(s, "k", "data", 4, NULL, NULL);
    tu_s3_log_clear(&srv);
    tu_s3_fault(&srv, "{\"status\":503,\"count\":2}");
    get_expect(s, "k", "data", 4, NULL);
    ck_assert_int_eq(tu_s3_log_count(&srv, "GET"), 3);
    sw_objstore_stats st;
    sw_objstore_get_stats(s, &st);
    ck_assert_int_eq(st.retries, 2);
    /* 500 and 429 too, on puts as well */
    tu_s3_fault(&srv, "{\"status\":500,\"count\":1}");
    tu_s3_fault(&srv, "{\"status\":429,\"count\":1}");
    put_ok(s, "k2", "more", 4, "", NULL);
    get_expect(s, "k2", "more", 4, NULL);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

START_TEST(test_fake_503_forever)
{
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    sw_objstore *s = open_fake(&srv, "s3://" BKT, NULL);
    tu_s3_fault(&srv, "{\"status\":503,\"count\":100}");
    sw_error err;
    ck_assert_int_eq(get_rc(s, "models/k", &err), SW_NET);
    char url[128];
    snprintf(url, sizeof url, "%s/" BKT "/models/k", srv.endpoint);
    ck_assert_msg(strstr(err.msg, url), "URL not named: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "503") && strstr(err.msg, "SlowDown"), "cause not named: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "3 attempts"), "%s", err.msg);
    ck_assert_int_eq(tu_s3_log_count(&srv, NULL), 3); /* 1 + 2 retries */
    sw_objstore_close(s);

    /* retries = -1: one attempt */
    sw_objstore_opts o = fast_opts(srv.endpoint);
    o.retries = -1;
    s = open_fake(&srv, "s3://" BKT, &o);
    tu_s3_log_clear(&srv);
    ck_assert_int_eq(get_rc(s, "models/k", &err), SW_NET);
    ck_assert_int_eq(tu_s3_log_count(&srv, NULL), 1);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

START_TEST(test_fake_timeout)
{
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    sw_objstore_opts o = fast_opts(srv.endpoint);
    o.timeout_s = 0.6;
    o.retries = 1;
    sw_objstore *s = open_fake(&srv, "s3://" BKT, &o);
    put_ok(s, "k", "data", 4, NULL, NULL);
    tu_s3_fault(&srv, "{\"delay\":1.5,\"count\":1}");
    get_expect(s, "k", "data", 4, NULL);
    sw_objstore_stats st;
    sw_objstore_get_stats(s, &st);
    ck_assert_int_eq(st.retries, 1);
    tu_s3_fault(&srv, "{\"delay\":1.5,\"count\":2}");
    sw_error err;
    ck_assert_int_eq(get_rc(s, "k", &err), SW_NET);
    ck_assert_msg(strstr(err.msg, "timed out") && strstr(err.msg, srv.endpoint), "%s", err.msg);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

START_TEST(test_connection_refused)
{
    char ep[64], url[128];
    int port = tu_free_port();
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", port);
    sw_objstore_opts o = fast_opts(ep);
    sw_objstore *s = open_ok("s3://" BKT "/x", &o);
    sw_error err;
    ck_assert_int_eq(get_rc(s, "k", &err), SW_NET);
    snprintf(url, sizeof url, "%s/" BKT "/x/k", ep);
    ck_assert_msg(strstr(err.msg, url), "URL not named: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "3 attempts"), "%s", err.msg);
    sw_objstore_stats st;
    sw_objstore_get_stats(s, &st);
    ck_assert_int_eq(st.requests, 3);
    ck_assert_int_eq(st.retries, 2);
    char **keys;
    int n;
    ck_assert_int_eq(sw_objstore_list(s, "", &keys, &n, &err), SW_NET);
    ck_assert_int_eq(sw_objstore_put(s, "k", "x", 1, "", NULL, &err), SW_NET);
    sw_objstore_close(s);
}
END_TEST

START_TEST(test_fake_truncated_and_corrupt)
{
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    sw_objstore *s = open_fake(&srv, "s3://" BKT, NULL);
    static unsigned char big[100000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i % 251);
    put_ok(s, "big", big, sizeof big, NULL, NULL);
    sw_objstore_stats a, b;
    sw_error err;

    tu_s3_fault(&srv, "{\"truncate\":true,\"count\":1,\"method\":\"GET\"}");
    sw_objstore_get_stats(s, &a);
    get_expect(s, "big", big, sizeof big, NULL);
    sw_objstore_get_stats(s, &b);
    ck_assert_int_eq(b.retries - a.retries, 1);
    tu_s3_fault(&srv, "{\"truncate\":true,\"count\":3,\"method\":\"GET\"}"); /* every attempt */
    ck_assert_int_eq(get_rc(s, "big", &err), SW_NET);
    ck_assert_msg(strstr(err.msg, "3 attempts"), "%s", err.msg);

    /* a flipped byte: the body no longer matches the sha256 stored with it */
    tu_s3_fault(&srv, "{\"corrupt\":true,\"count\":1,\"method\":\"GET\"}");
    sw_objstore_get_stats(s, &a);
    get_expect(s, "big", big, sizeof big, NULL);
    sw_objstore_get_stats(s, &b);
    ck_assert_int_eq(b.retries - a.retries, 1);
    tu_s3_fault(&srv, "{\"corrupt\":true,\"count\":3,\"method\":\"GET\"}");
    ck_assert_int_eq(get_rc(s, "big", &err), SW_CORRUPT);
    ck_assert_msg(strstr(err.msg, "sha256"), "%s", err.msg);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

START_TEST(test_fake_4xx_not_retried)
{
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    sw_objstore_opts o = fast_opts(srv.endpoint);
    o.secret_key = "not-the-" SK;
    sw_objstore *s = open_fake(&srv, "s3://" BKT "/models", &o);
    sw_error err;
    ck_assert_int_eq(get_rc(s, "x", &err), SW_NET);
    ck_assert_msg(strstr(err.msg, "s3://" BKT "/models/x") && strstr(err.msg, "403 SignatureDoesNotMatch"), "%s",
                  err.msg);
    ck_assert_msg(!strstr(err.msg, SK) && !strstr(err.msg, "not-the-"), "secret in message: %s", err.msg);
    ck_assert_int_eq(tu_s3_log_count(&srv, NULL), 1);
    ck_assert_int_eq(sw_objstore_put(s, "x", "d", 1, NULL, NULL, &err), SW_NET);
    ck_assert_msg(!strstr(err.msg, SK), "secret in message: %s", err.msg);
    ck_assert_int_eq(tu_s3_log_count(&srv, NULL), 2);
    sw_objstore_stats st;
    sw_objstore_get_stats(s, &st);
    ck_assert_int_eq(st.retries, 0);
    sw_objstore_close(s);

    /* an injected 403 on good credentials: one request */
    s = open_fake(&srv, "s3://" BKT, NULL);
    tu_s3_log_clear(&srv);
    tu_s3_fault(&srv, "{\"status\":403,\"count\":5}");
    ck_assert_int_eq(get_rc(s, "x", &err), SW_NET);
    ck_assert_msg(strstr(err.msg, "AccessDenied"), "%s", err.msg);
    ck_assert_int_eq(tu_s3_log_count(&srv, NULL), 1);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

START_TEST(test_fake_not_found)
{
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    sw_objstore *s = open_fake(&srv, "s3://" BKT, NULL);
    sw_error err;
    ck_assert_int_eq(get_rc(s, "no/such", &err), SW_NOT_FOUND);
    ck_assert_int_eq(tu_s3_log_count(&srv, NULL), 1);
    sw_objstore_close(s);
    s = open_fake(&srv, "s3://nobucket/p", NULL);
    ck_assert_int_eq(get_rc(s, "k", &err), SW_NOT_FOUND);
    ck_assert_msg(strstr(err.msg, "no such bucket \"nobucket\""), "%s", err.msg);
    char **keys;
    int n;
    ck_assert_int_eq(sw_objstore_list(s, "", &keys, &n, &err), SW_NOT_FOUND);
    ck_assert_msg(strstr(err.msg, "nobucket"), "%s", err.msg);
    ck_assert_int_eq(sw_objstore_put(s, "k", "x", 1, NULL, NULL, &err), SW_NOT_FOUND);
    ck_assert_int_eq(sw_objstore_delete(s, "k", &err), SW_NOT_FOUND);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

START_TEST(test_credentials)
{
    const char *vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                          "AWS_REGION", "AWS_DEFAULT_REGION", "GS_ACCESS_KEY_ID", "GS_SECRET_ACCESS_KEY",
                          "GS_ENDPOINT_URL"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
    sw_objstore *s = NULL;
    sw_error err;
    ck_assert_int_eq(sw_objstore_open("s3://b/p", NULL, &s, &err), SW_ARG);
    ck_assert_msg(strstr(err.msg, "AWS_ACCESS_KEY_ID") && strstr(err.msg, "AWS_SECRET_ACCESS_KEY"), "%s", err.msg);
    ck_assert_int_eq(sw_objstore_open("gs://b/p", NULL, &s, &err), SW_ARG);
    ck_assert_msg(strstr(err.msg, "GS_ACCESS_KEY_ID") && strstr(err.msg, "GS_SECRET_ACCESS_KEY"), "%s", err.msg);
    /* one provider's keys are not the other's */
    setenv("GS_ACCESS_KEY_ID", AK, 1);
    setenv("GS_SECRET_ACCESS_KEY", SK, 1);
    ck_assert_int_eq(sw_objstore_open("s3://b/p", NULL, &s, &err), SW_ARG);
    ck_assert_ptr_null(strstr(err.msg, SK));
    setenv("AWS_ACCESS_KEY_ID", AK, 1);
    ck_assert_int_eq(sw_objstore_open("s3://b/p", NULL, &s, &err), SW_ARG); /* no secret yet */

    /* all from the environment, against the fake */
    tu_server srv;
    tu_s3_start("fake", NULL, BKT, AK, SK, &srv);
    setenv("AWS_SECRET_ACCESS_KEY", SK, 1);
    setenv("AWS_ENDPOINT_URL", srv.endpoint, 1);
    setenv("GS_ENDPOINT_URL", srv.endpoint, 1);
    s = open_ok("s3://" BKT "/env", NULL);
    put_ok(s, "k", "v", 1, NULL, NULL);
    get_expect(s, "k", "v", 1, NULL);
    sw_objstore_close(s);
    s = open_ok("gs://" BKT "/env", NULL);
    get_expect(s, "k", "v", 1, NULL);
    sw_objstore_close(s);
    /* the region signs too: a wrong one is refused by the server */
    setenv("AWS_REGION", "eu-west-3", 1);
    s = open_ok("s3://" BKT "/env", NULL);
    ck_assert_int_eq(get_rc(s, "k", &err), SW_NET);
    ck_assert_msg(strstr(err.msg, "AuthorizationHeaderMalformed"), "%s", err.msg);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

START_TEST(test_fake_session_token)
{
    tu_server srv;
    const char *extra[] = {"--session-token", "TOKEN/abc+def==", NULL};
    tu_s3_start_ex("fake", NULL, BKT, AK, SK, extra, &srv);
    sw_objstore_opts o = fast_opts(srv.endpoint);
    o.session_token = "TOKEN/abc+def==";
    sw_objstore *s = open_fake(&srv, "s3://" BKT, &o);
    put_ok(s, "k", "v", 1, NULL, NULL); /* the fake requires the token, signed */
    get_expect(s, "k", "v", 1, NULL);
    sw_objstore_close(s);
    o.session_token = "TOKEN/other";
    s = open_fake(&srv, "s3://" BKT, &o);
    sw_error err;
    ck_assert_int_eq(get_rc(s, "k", &err), SW_NET);
    ck_assert_msg(strstr(err.msg, "InvalidToken") && !strstr(err.msg, "TOKEN/other"), "%s", err.msg);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

/* With --dir the fake keeps objects as files DIR/BUCKET/KEY: a file changed
 * behind its back no longer matches the sha256 stored at put. */
START_TEST(test_fake_dir)
{
    tu_server srv;
    char *dir = fresh_dir("fake-dir");
    tu_s3_start("fake", dir, BKT, AK, SK, &srv);
    sw_objstore *s = open_fake(&srv, "s3://" BKT "/m", NULL);
    put_ok(s, "sys/v1/a.json", "{\"a\":1}", 7, NULL, NULL);
    char path[700];
    snprintf(path, sizeof path, "%s/" BKT "/m/sys/v1/a.json", dir);
    size_t n = 0;
    char *text = tu_slurp(path, &n);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "{\"a\":1}");
    free(text);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"a\":2}", f);
    fclose(f);
    sw_error err;
    ck_assert_int_eq(get_rc(s, "sys/v1/a.json", &err), SW_CORRUPT);
    ck_assert_msg(strstr(err.msg, "s3://" BKT "/m/sys/v1/a.json"), "%s", err.msg);
    ck_assert_str_eq(list_str(s, ""), "sys/v1/a.json");
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

/* ---------------------------------------------------------------- s3rver */

START_TEST(test_s3rver_roundtrip)
{
    tu_server srv;
    char *dir = fresh_dir("s3rver-rt");
    tu_s3_start("s3rver", dir, BKT, AK, SK, &srv);
    sw_objstore_opts o = fast_opts(srv.endpoint);
    o.list_page = 2;
    sw_objstore *s = open_fake(&srv, "s3://" BKT "/models", &o);
    unsigned char data[5000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 13);
    char e1[SW_ETAG_MAX], e2[SW_ETAG_MAX];
    put_ok(s, "sys/v1/model bin.json", data, sizeof data, NULL, e1);
    ck_assert_msg(e1[0] == '"' && strlen(e1) == 34, "etag %s", e1);
    get_expect(s, "sys/v1/model bin.json", data, sizeof data, e2);
    ck_assert_str_eq(e1, e2);
    const char *more[] = {"sys/v2/a", "sys/v1/b", "sys/champion.json", "other/x"};
    for (int i = 0; i < 4; i++) put_ok(s, more[i], more[i], strlen(more[i]), NULL, NULL);
    ck_assert_str_eq(list_str(s, "sys/"), "sys/champion.json,sys/v1/b,sys/v1/model bin.json,sys/v2/a");
    ck_assert_str_eq(list_str(s, ""), "other/x,sys/champion.json,sys/v1/b,sys/v1/model bin.json,sys/v2/a");
    int exists = 0;
    long long size = 0;
    sw_error err;
    ck_assert_int_eq(sw_objstore_head(s, "sys/v1/model bin.json", &exists, &size, e2, &err), SW_OK);
    ck_assert_int_eq(exists, 1);
    ck_assert_int_eq(size, (long long)sizeof data);
    ck_assert_str_eq(e1, e2);
    ck_assert_int_eq(sw_objstore_head(s, "sys/none", &exists, &size, e2, &err), SW_OK);
    ck_assert_int_eq(exists, 0);
    ck_assert_int_eq(get_rc(s, "sys/none", &err), SW_NOT_FOUND);
    ck_assert_int_eq(sw_objstore_delete(s, "sys/v2/a", &err), SW_OK);
    ck_assert_int_eq(get_rc(s, "sys/v2/a", &err), SW_NOT_FOUND);
    ck_assert_str_eq(list_str(s, "sys/v"), "sys/v1/b,sys/v1/model bin.json");
    sw_objstore_stats st;
    sw_objstore_get_stats(s, &st);
    ck_assert_int_eq(st.retries, 0);
    sw_objstore_close(s);
    s = open_fake(&srv, "s3://nobucket", NULL);
    ck_assert_int_eq(get_rc(s, "k", &err), SW_NOT_FOUND);
    ck_assert_msg(strstr(err.msg, "nobucket"), "%s", err.msg);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

START_TEST(test_s3rver_wrong_secret)
{
    tu_server srv;
    char *dir = fresh_dir("s3rver-ws");
    tu_s3_start("s3rver", dir, BKT, AK, SK, &srv);
    sw_objstore_opts o = fast_opts(srv.endpoint);
    o.secret_key = "wrong/" SK;
    sw_objstore *s = open_fake(&srv, "s3://" BKT, &o);
    sw_error err;
    ck_assert_int_eq(sw_objstore_put(s, "k", "v", 1, NULL, NULL, &err), SW_NET);
    ck_assert_msg(strstr(err.msg, "403 SignatureDoesNotMatch"), "%s", err.msg);
    ck_assert_msg(!strstr(err.msg, SK) && !strstr(err.msg, "wrong/"), "secret in message: %s", err.msg);
    ck_assert_int_eq(get_rc(s, "k", &err), SW_NET);
    ck_assert_msg(strstr(err.msg, "SignatureDoesNotMatch"), "%s", err.msg);
    sw_objstore_stats st;
    sw_objstore_get_stats(s, &st);
    ck_assert_int_eq(st.requests, 2);
    ck_assert_int_eq(st.retries, 0);
    sw_objstore_close(s);
    tu_s3_stop(&srv);
}
END_TEST

Suite *objstore_suite(void)
{
    Suite *s = suite_create("objstore");
    TCase *t = tcase_create("sigv4");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_sigv4_aws_example);
    tcase_add_test(t, test_fake_is_strict);
    suite_add_tcase(s, t);

    t = tcase_create("local");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_local_roundtrip);
    tcase_add_test(t, test_local_conditional);
    tcase_add_test(t, test_local_conditional_race);
    tcase_add_test(t, test_local_keys_rejected);
    tcase_add_test(t, test_local_list);
    suite_add_tcase(s, t);

    t = tcase_create("fake");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_fake_roundtrip_s3);
    tcase_add_test(t, test_fake_roundtrip_gcs);
    tcase_add_test(t, test_fake_list_pages);
    tcase_add_test(t, test_fake_conditional);
    tcase_add_test(t, test_fake_conditional_lost_answer);
    tcase_add_test(t, test_fake_503_retried);
    tcase_add_test(t, test_fake_503_forever);
    tcase_add_test(t, test_fake_timeout);
    tcase_add_test(t, test_connection_refused);
    tcase_add_test(t, test_fake_truncated_and_corrupt);
    tcase_add_test(t, test_fake_4xx_not_retried);
    tcase_add_test(t, test_fake_not_found);
    tcase_add_test(t, test_credentials);
    tcase_add_test(t, test_fake_session_token);
    tcase_add_test(t, test_fake_dir);
    suite_add_tcase(s, t);

    t = tcase_create("s3rver");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_s3rver_roundtrip);
    tcase_add_test(t, test_s3rver_wrong_secret);
    suite_add_tcase(s, t);
    return s;
}
