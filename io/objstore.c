/* objstore: one key/bytes interface over a local directory (files, atomic
 * renames, flock for conditional puts) and S3-compatible stores (libcurl,
 * signed by its built-in SigV4).
 *
 * What libcurl 7.88 does and does not do for us (checked against a capture
 * socket and the strict fake server in tests/s3/fake_s3.py):
 *   - it signs every header we pass in CURLOPT_HTTPHEADER, plus host (with the
 *     port) and the x-amz-date / x-goog-date it adds itself (a date header of
 *     ours would be sent twice);
 *   - when an x-amz-content-sha256 (x-goog- for "goog") header is present it
 *     signs that header's value as the payload hash, else the hash of the
 *     POSTFIELDS (which it does not send), so we always send the true hash;
 *   - it signs the URL's path and query exactly as given: keys are encoded
 *     here (RFC 3986, '/' kept) and query parameters are built pre-sorted;
 *   - a header removal ("Expect:") is signed but not sent, so none is used.
 * Uploads go as CUSTOMREQUEST "PUT" with POSTFIELDS (no read callback).
 *
 * Every message names the object (s3://bucket/key) and, for remote failures,
 * the method and URL; the secret and session token are scrubbed from any text
 * before it reaches an sw_error.
 */
#include "objstore.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/sbuf.h"
#include "curl_impl.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define KEY_MAX 1024
#define BACKOFF_CAP_S 30.0
#define ERROR_BODY_MAX 65536

struct sw_objstore {
    sw_obj_kind kind;
    char *location; /* normalised, printable */
    char *dir;      /* SW_OBJ_LOCAL */
    char *bucket;
    char *prefix;   /* "" or "a/b/" */
    char *base;     /* bucket root URL, no trailing '/' */
    int path_style;
    char *access, *secret, *token;
    char sigv4[96];
    const char *xhdr; /* "amz" or "goog": x-<xhdr>-content-sha256, x-<xhdr>-meta-sha256 */
    double timeout_s, connect_timeout_s, backoff_s;
    int retries, list_page;
    CURL *curl;
    sw_objstore_stats st;
};

/* ---- small helpers ---- */


/* RFC 3986 percent-encoding: unreserved characters stay, '/' stays when
 * keep_slash (object paths), everything else is %XX (upper case, as SigV4
 * requires). */
static void sb_uri_encode(sw_sbuf *b, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~' || (keep_slash && c == '/')) {
            sw_sbuf_putn(b, (const char *)p, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sw_sbuf_putn(b, e, 3);
        }
    }
}

/* Replace every occurrence of `secret` in msg[cap] by "***". */
static void redact(char *msg, size_t cap, const char *secret)
{
    if (!secret || !*secret || !strstr(msg, secret)) return;
    size_t n = strlen(secret), o = 0;
    char out[sizeof(((sw_error *)0)->msg)];
    if (cap > sizeof out) cap = sizeof out;
    for (const char *p = msg; *p && o + 1 < cap;) {
        if (strncmp(p, secret, n) == 0) {
            for (int i = 0; i < 3 && o + 1 < cap; i++) out[o++] = '*';
            p += n;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    memcpy(msg, out, o + 1);
}

/* Every error of a store goes through here so that no secret reaches it. */
__attribute__((format(printf, 4, 5))) static int obj_fail(const sw_objstore *s, sw_error *err, int code,
                                                          const char *fmt, ...)
{
    char msg[sizeof(((sw_error *)0)->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s) {
        redact(msg, sizeof msg, s->secret);
        redact(msg, sizeof msg, s->token);
    }
    return sw_error_set(err, code, NULL, 0, 0, -1, "%s", msg);
}

/* "s3://bkt/prefix/key" (or the location alone) for messages. */
static void obj_name(const sw_objstore *s, const char *key, char *buf, size_t n)
{
    if (key && *key) {
        snprintf(buf, n, "%s/%s", s->location, key);
    } else {
        snprintf(buf, n, "%s", s->location);
    }
}

/* Keys are relative paths with no empty, "." or ".." segment and no control
 * character; `prefix` mode (list) also allows "" and a trailing '/'. */
static int check_key(const sw_objstore *s, const char *key, int prefix, sw_error *err)
{
    if (!key) return obj_fail(s, err, SW_ARG, "%s: NULL key", s->location);
    size_t n = strlen(key);
    if (n == 0 && prefix) return SW_OK;
    const char *why = NULL;
    if (n == 0) {
        why = "empty key";
    } else if (n > KEY_MAX) {
        why = "key longer than 1024 bytes";
    } else if (key[0] == '/') {
        why = "key starts with '/'";
    } else {
        for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
            if (*p < 0x20 || *p == 0x7f) {
                why = "control character in key";
                break;
            }
        }
        for (const char *seg = key; !why && *seg;) {
            const char *e = strchr(seg, '/');
            size_t len = e ? (size_t)(e - seg) : strlen(seg);
            if (len == 0) {
                why = "empty path segment in key";
            } else if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.')) {
                why = "'.' or '..' segment in key";
            }
            if (!e) break;
            seg = e + 1;
            if (!*seg && !prefix) why = "key ends with '/'";
        }
    }
    if (why) return obj_fail(s, err, SW_ARG, "%s: invalid key \"%.200s\": %s", s->location, key, why);
    return SW_OK;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static const char *pick(const char *opt, const char *env1, const char *env2)
{
    if (opt && *opt) return opt;
    const char *v = env1 ? env_nonempty(env1) : NULL;
    if (!v && env2) v = env_nonempty(env2);
    return v;
}

/* ---- open / close ---- */

static char *strip_slashes(const char *s)
{
    char *c = sw_strdup(s);
    if (!c) return NULL;
    size_t n = strlen(c);
    while (n > 1 && c[n - 1] == '/') c[--n] = '\0';
    return c;
}

static int open_local(sw_objstore *s, const char *location, sw_error *err)
{
    const char *dir = location;
    if (strncmp(location, "file://", 7) == 0) dir = location + 7;
    if (!*dir) return obj_fail(NULL, err, SW_ARG, "%s: empty directory", location);
    s->location = strip_slashes(location);
    s->dir = strip_slashes(dir);
    if (!s->location || !s->dir) return obj_fail(NULL, err, SW_NOMEM, "out of memory");
    return SW_OK;
}

static int valid_bucket(const char *b, size_t n)
{
    if (n == 0 || n > 222) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_'))
            return 0;
    }
    return 1;
}

static int valid_token(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x21 || *p == 0x7f) return 0;
    return 1;
}

static int open_remote(sw_objstore *s, const char *location, const sw_objstore_opts *o, sw_error *err)
{
    int gcs = strncmp(location, "gs://", 5) == 0;
    s->kind = gcs ? SW_OBJ_GCS : SW_OBJ_S3;
    s->xhdr = gcs ? "goog" : "amz";
    const char *rest = location + 5;
    const char *slash = strchr(rest, '/');
    size_t blen = slash ? (size_t)(slash - rest) : strlen(rest);
    if (!valid_bucket(rest, blen))
        return obj_fail(NULL, err, SW_ARG, "%.300s: invalid bucket name (expected %s://BUCKET[/PREFIX])", location,
                        gcs ? "gs" : "s3");
    s->bucket = sw_strndup(rest, blen);
    char *pfx = slash ? strip_slashes(slash + 1) : sw_strdup("");
    if (!s->bucket || !pfx) {
        sw_free(pfx);
        return obj_fail(NULL, err, SW_NOMEM, "out of memory");
    }
    if (strcmp(pfx, "/") == 0) pfx[0] = '\0';
    sw_sbuf loc = {0};
    sw_sbuf_puts(&loc, gcs ? "gs://" : "s3://");
    sw_sbuf_puts(&loc, s->bucket);
    if (*pfx) {
        sw_sbuf_puts(&loc, "/");
        sw_sbuf_puts(&loc, pfx);
    }
    sw_sbuf pf = {0};
    sw_sbuf_puts(&pf, "");
    if (*pfx) {
        sw_sbuf_puts(&pf, pfx);
        sw_sbuf_puts(&pf, "/");
    }
    s->location = loc.p;
    s->prefix = pf.p;
    if (loc.oom || pf.oom) {
        sw_free(pfx);
        return obj_fail(NULL, err, SW_NOMEM, "out of memory");
    }
    int rc = *pfx ? check_key(s, pfx, 0, err) : SW_OK;
    sw_free(pfx);
    if (rc) return obj_fail(NULL, err, SW_ARG, "%.300s: invalid prefix in the location", location);

    /* Credentials: the options, else this provider's own variables. */
    const char *ak = pick(o ? o->access_key : NULL, gcs ? "GS_ACCESS_KEY_ID" : "AWS_ACCESS_KEY_ID", NULL);
    const char *sk = pick(o ? o->secret_key : NULL, gcs ? "GS_SECRET_ACCESS_KEY" : "AWS_SECRET_ACCESS_KEY", NULL);
    const char *tok = gcs ? NULL : pick(o ? o->session_token : NULL, "AWS_SESSION_TOKEN", NULL); /* S3 only */
    if (!ak || !sk)
        return obj_fail(NULL, err, SW_ARG,
                        "%s: no credentials for %s: set %s and %s (or the access and secret key in the "
                        "store settings)",
                        s->location, gcs ? "Google Cloud Storage (HMAC keys)" : "S3",
                        gcs ? "GS_ACCESS_KEY_ID" : "AWS_ACCESS_KEY_ID",
                        gcs ? "GS_SECRET_ACCESS_KEY" : "AWS_SECRET_ACCESS_KEY");
    if (!valid_token(ak) || strchr(ak, '/') || strchr(ak, ','))
        return obj_fail(NULL, err, SW_ARG, "%s: the access key id has invalid characters", s->location);
    if ((tok && !valid_token(tok)) || strchr(sk, '\n') || strchr(sk, '\r'))
        return obj_fail(NULL, err, SW_ARG, "%s: the secret or session token has invalid characters", s->location);
    s->access = sw_strdup(ak);
    s->secret = sw_strdup(sk);
    s->token = tok ? sw_strdup(tok) : NULL;
    if (!s->access || !s->secret || (tok && !s->token)) return obj_fail(NULL, err, SW_NOMEM, "out of memory");

    const char *region = gcs ? "auto" : pick(o ? o->region : NULL, "AWS_REGION", "AWS_DEFAULT_REGION");
    if (!region) region = "us-east-1";
    for (const char *p = region; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-') || p - region > 40)
            return obj_fail(s, err, SW_ARG, "%s: invalid region \"%.60s\"", s->location, region);
    }
    if (gcs) {
        snprintf(s->sigv4, sizeof s->sigv4, "goog:goog:auto:storage");
    } else {
        snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3", region);
    }

    const char *ep = pick(o ? o->endpoint : NULL, gcs ? "GS_ENDPOINT_URL" : "AWS_ENDPOINT_URL", NULL);
    sw_sbuf base = {0};
    if (ep) {
        if (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0)
            return obj_fail(s, err, SW_ARG, "%s: endpoint \"%.200s\" is not an http:// or https:// URL", s->location,
                            ep);
        const char *auth = strstr(ep, "//") + 2;
        size_t alen = strcspn(auth, "/?#");
        if (memchr(auth, '@', alen) || auth[alen] == '?' || auth[alen] == '#' || alen == 0)
            return obj_fail(s, err, SW_ARG, "%s: endpoint must be scheme://host[:port][/path] without user or query",
                            s->location);
        char *e = strip_slashes(ep);
        if (!e) return obj_fail(s, err, SW_NOMEM, "out of memory");
        size_t n = strlen(e);
        if (n && e[n - 1] == '/') e[n - 1] = '\0';
        sw_sbuf_puts(&base, e);
        sw_free(e);
        sw_sbuf_puts(&base, "/");
        sw_sbuf_puts(&base, s->bucket);
        s->path_style = 1;
    } else if (strchr(s->bucket, '.')) {
        /* a dotted bucket does not match the TLS wildcard of the virtual
         * host: path-style on the service's own host */
        sw_sbuf_puts(&base, gcs ? "https://storage.googleapis.com/" : "https://s3.");
        if (!gcs) {
            sw_sbuf_puts(&base, region);
            sw_sbuf_puts(&base, ".amazonaws.com/");
        }
        sw_sbuf_puts(&base, s->bucket);
        s->path_style = 1;
    } else if (gcs) {
        sw_sbuf_puts(&base, "https://");
        sw_sbuf_puts(&base, s->bucket);
        sw_sbuf_puts(&base, ".storage.googleapis.com");
    } else {
        sw_sbuf_puts(&base, "https://");
        sw_sbuf_puts(&base, s->bucket);
        sw_sbuf_puts(&base, ".s3.");
        sw_sbuf_puts(&base, region);
        sw_sbuf_puts(&base, ".amazonaws.com");
    }
    s->base = base.p;
    if (base.oom) return obj_fail(s, err, SW_NOMEM, "out of memory");

    s->timeout_s = o && o->timeout_s > 0 ? o->timeout_s : 30.0;
    s->connect_timeout_s = o && o->connect_timeout_s > 0 ? o->connect_timeout_s : 5.0;
    s->retries = !o || o->retries == 0 ? 4 : o->retries < 0 ? 0 : o->retries;
    s->backoff_s = o && o->backoff_s > 0 ? o->backoff_s : 0.2;
    s->list_page = o && o->list_page > 0 ? o->list_page : 0;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return obj_fail(s, err, SW_NET, "%s: libcurl failed to initialise", s->location);
    s->curl = curl_easy_init();
    if (!s->curl) {
        curl_global_cleanup();
        return obj_fail(s, err, SW_NOMEM, "%s: libcurl could not make a handle", s->location);
    }
    return SW_OK;
}

int sw_objstore_open(const char *location, const sw_objstore_opts *opts, sw_objstore **out, sw_error *err)
{
    *out = NULL;
    if (!location || !*location) return sw_fail(err, SW_ARG, "empty store location");
    sw_objstore *s = sw_calloc(1, sizeof *s);
    if (!s) return sw_fail(err, SW_NOMEM, "out of memory");
    int rc;
    if (strncmp(location, "s3://", 5) == 0 || strncmp(location, "gs://", 5) == 0) {
        rc = open_remote(s, location, opts, err);
    } else if (strstr(location, "://") && strncmp(location, "file://", 7) != 0) {
        rc = obj_fail(NULL, err, SW_ARG, "%.300s: unknown store scheme (expected DIR, file://DIR, s3:// or gs://)",
                      location);
    } else {
        s->kind = SW_OBJ_LOCAL;
        rc = open_local(s, location, err);
    }
    if (rc) {
        sw_objstore_close(s);
        return rc;
    }
    *out = s;
    return SW_OK;
}

void sw_objstore_close(sw_objstore *s)
{
    if (!s) return;
    if (s->curl) {
        curl_easy_cleanup(s->curl);
        curl_global_cleanup();
    }
    if (s->secret) memset(s->secret, 0, strlen(s->secret));
    if (s->token) memset(s->token, 0, strlen(s->token));
    sw_free(s->location);
    sw_free(s->dir);
    sw_free(s->bucket);
    sw_free(s->prefix);
    sw_free(s->base);
    sw_free(s->access);
    sw_free(s->secret);
    sw_free(s->token);
    sw_free(s);
}

sw_obj_kind sw_objstore_kind(const sw_objstore *s) { return s->kind; }
const char *sw_objstore_location(const sw_objstore *s) { return s->location; }
const char *sw_objstore_dir(const sw_objstore *s) { return s->kind == SW_OBJ_LOCAL ? s->dir : NULL; }

void sw_objstore_get_stats(const sw_objstore *s, sw_objstore_stats *st) { *st = s->st; }

/* ---- local directory ---- */

static char *local_path(const sw_objstore *s, const char *key)
{
    size_t n = strlen(s->dir) + strlen(key) + 2;
    char *p = sw_malloc(n);
    if (p) snprintf(p, n, "%s/%s", s->dir, key);
    return p;
}

/* 1 when `path` is a regular file, 0 when there is none (or a directory),
 * -1 with errno on another failure. */
static int local_exists(const char *path, long long *size)
{
    struct stat st;
    if (stat(path, &st) != 0) return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
    if (!S_ISREG(st.st_mode)) return 0;
    if (size) *size = (long long)st.st_size;
    return 1;
}

/* The sha256 etag of the file at path (exists: 0 when absent). */
static int local_etag(const sw_objstore *s, const char *path, int *exists, char etag[SW_ETAG_MAX], sw_error *err)
{
    int ex = local_exists(path, NULL);
    if (ex < 0) return obj_fail(s, err, SW_IO, "%s: %s", path, strerror(errno));
    *exists = ex;
    if (!ex) {
        if (etag) etag[0] = '\0';
        return SW_OK;
    }
    if (!etag) return SW_OK;
    unsigned char *d;
    size_t n;
    SW_TRY(sw_read_file(path, 0, &d, &n, err));
    sw_sha256_hex(d, n, etag);
    sw_free(d);
    return SW_OK;
}

static int local_get(sw_objstore *s, const char *key, size_t max, unsigned char **data, size_t *len,
                     char etag[SW_ETAG_MAX], sw_error *err)
{
    char *path = local_path(s, key);
    if (!path) return obj_fail(s, err, SW_NOMEM, "out of memory");
    int ex = local_exists(path, NULL);
    int rc;
    if (ex <= 0) {
        rc = ex == 0 ? obj_fail(s, err, SW_NOT_FOUND, "%s: no such object", path)
                     : obj_fail(s, err, SW_IO, "%s: %s", path, strerror(errno));
    } else {
        rc = sw_read_file(path, max ? (long long)max : 0, data, len, err);
        if (rc == SW_OK && etag) sw_sha256_hex(*data, *len, etag);
        if (rc == SW_OK) s->st.bytes_in += (long long)*len;
    }
    sw_free(path);
    return rc;
}

static int local_put(sw_objstore *s, const char *key, const void *data, size_t len, const char *if_match,
                     char new_etag[SW_ETAG_MAX], sw_error *err)
{
    char *path = local_path(s, key);
    if (!path) return obj_fail(s, err, SW_NOMEM, "out of memory");
    char *parent = sw_strdup(path);
    int rc = SW_OK, lockfd = -1;
    if (!parent) {
        rc = obj_fail(s, err, SW_NOMEM, "out of memory");
        goto out;
    }
    *strrchr(parent, '/') = '\0';
    if ((rc = sw_mkdirs(s->dir, err)) != SW_OK || (rc = sw_mkdirs(parent, err)) != SW_OK) goto out;
    if (if_match) {
        /* Compare and write under DIR/.lock: writers of other processes (and
         * other handles of this one) wait here. */
        char lock[4096];
        snprintf(lock, sizeof lock, "%s/.lock", s->dir);
        lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lockfd < 0) {
            rc = obj_fail(s, err, SW_IO, "%s: cannot open lock file: %s", lock, strerror(errno));
            goto out;
        }
        while (flock(lockfd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                rc = obj_fail(s, err, SW_IO, "%s: cannot lock: %s", lock, strerror(errno));
                goto out;
            }
        }
        int exists;
        char cur[SW_ETAG_MAX];
        if ((rc = local_etag(s, path, &exists, cur, err)) != SW_OK) goto out;
        if (!*if_match && exists) {
            rc = obj_fail(s, err, SW_CONFLICT, "%s was created by another writer (etag %s); nothing written", path,
                          cur);
            goto out;
        }
        if (*if_match && !exists) {
            rc = obj_fail(s, err, SW_CONFLICT, "%s was removed by another writer (expected etag %.80s); nothing written",
                          path, if_match);
            goto out;
        }
        if (*if_match && strcmp(cur, if_match) != 0) {
            rc = obj_fail(s, err, SW_CONFLICT,
                          "%s was changed by another writer (etag %s, expected %.80s); nothing written", path, cur,
                          if_match);
            goto out;
        }
    }
    rc = sw_write_file_atomic(path, data, len, err);
    if (rc == SW_OK) {
        s->st.bytes_out += (long long)len;
        if (new_etag) sw_sha256_hex(data, len, new_etag);
    }
out:
    if (lockfd >= 0) close(lockfd); /* releases the flock */
    sw_free(parent);
    sw_free(path);
    return rc;
}

typedef struct {
    char **v;
    size_t n, cap;
} strvec;

static int sv_push(strvec *sv, const char *s, size_t n)
{
    if (sw_grow((void **)&sv->v, &sv->cap, sv->n + 1, sizeof(char *)) != 0) return -1;
    char *c = sw_strndup(s, n);
    if (!c) return -1;
    sv->v[sv->n++] = c;
    return 0;
}

static void sv_free(strvec *sv)
{
    for (size_t i = 0; i < sv->n; i++) sw_free(sv->v[i]);
    sw_free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

static int is_internal_name(const char *name)
{
    return strcmp(name, ".lock") == 0 || strncmp(name, ".tmp", 4) == 0 || strstr(name, ".tmp.") != NULL;
}

/* Files under dir/rel (rel "" or "a/b/"), keys relative to the store. */
static int local_walk(const sw_objstore *s, const char *rel, const char *prefix, strvec *out, sw_error *err)
{
    char *path = local_path(s, rel);
    if (!path) return obj_fail(s, err, SW_NOMEM, "out of memory");
    DIR *d = opendir(path);
    if (!d) {
        int e = errno;
        sw_free(path);
        if (e == ENOENT || e == ENOTDIR) return SW_OK;
        return obj_fail(s, err, SW_IO, "%s/%s: cannot list: %s", s->dir, rel, strerror(e));
    }
    int rc = SW_OK;
    struct dirent *e;
    while (rc == SW_OK && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_internal_name(e->d_name)) continue;
        sw_sbuf k = {0};
        sw_sbuf_puts(&k, rel);
        sw_sbuf_puts(&k, e->d_name);
        sw_sbuf full = {0};
        sw_sbuf_puts(&full, path);
        sw_sbuf_puts(&full, "/");
        sw_sbuf_puts(&full, e->d_name);
        struct stat st;
        if (k.oom || full.oom) {
            rc = obj_fail(s, err, SW_NOMEM, "out of memory");
        } else if (lstat(full.p, &st) != 0) {
            /* removed meanwhile */
        } else if (S_ISDIR(st.st_mode)) {
            sw_sbuf_puts(&k, "/");
            /* descend only where the prefix can still match */
            size_t m = k.len < strlen(prefix) ? k.len : strlen(prefix);
            if (k.oom) {
                rc = obj_fail(s, err, SW_NOMEM, "out of memory");
            } else if (strncmp(k.p, prefix, m) == 0) {
                rc = local_walk(s, k.p, prefix, out, err);
            }
        } else if (S_ISREG(st.st_mode) && strncmp(k.p, prefix, strlen(prefix)) == 0) {
            if (sv_push(out, k.p, k.len) != 0) rc = obj_fail(s, err, SW_NOMEM, "out of memory");
        }
        sw_free(k.p);
        sw_free(full.p);
    }
    closedir(d);
    sw_free(path);
    return rc;
}

/* ---- remote: one request with retries ---- */

typedef struct {
    const char *method; /* GET HEAD PUT DELETE */
    const char *url;
    const char *what; /* s3://bucket/key */
    const void *body;
    size_t body_len;
    const char *cond; /* a conditional header line, or NULL */
    size_t max;       /* body cap (0: none) */
    int verify;       /* check the body against x-*-meta-sha256 */
} oreq;

typedef struct {
    long status;
    long cur_status; /* of the response being received */
    unsigned char *body;
    size_t len, cap;
    size_t max;
    int too_big;
    long long clen; /* Content-Length of the final response, -1 */
    char etag[SW_ETAG_MAX];
    char gen[SW_ETAG_MAX];
    char meta_sha[65];
    const char *xhdr;
    int attempts;
} oresp;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    oresp *r = ud;
    size_t k = size * n;
    if (r->cur_status < 200 || r->cur_status > 299) {
        /* an error document: keep its start (code and message), no cap */
        if (r->len >= ERROR_BODY_MAX) return k;
        if (k > ERROR_BODY_MAX - r->len) k = ERROR_BODY_MAX - r->len;
    } else if (r->too_big || (r->max && r->len + k > r->max)) {
        r->too_big = 1;
        return 0;
    }
    if (sw_grow((void **)&r->body, &r->cap, r->len + k + 1, 1) != 0) return 0;
    memcpy(r->body + r->len, p, k);
    r->len += k;
    r->body[r->len] = '\0';
    return size * n;
}

/* Copy a header's value (trimmed) when the line is "name: value". */
static int header_is(const char *line, size_t n, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0) return 0;
    const char *v = line + nl + 1, *e = line + n;
    while (v < e && (*v == ' ' || *v == '\t')) v++;
    while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t')) e--;
    size_t len = (size_t)(e - v);
    if (len >= cap) len = cap - 1;
    memcpy(out, v, len);
    out[len] = '\0';
    return 1;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    oresp *r = ud;
    size_t k = size * n;
    char meta[40], num[32];
    snprintf(meta, sizeof meta, "x-%s-meta-sha256", r->xhdr);
    if (k >= 5 && strncmp(p, "HTTP/", 5) == 0) { /* a new response (after 100 Continue) */
        r->etag[0] = r->gen[0] = r->meta_sha[0] = '\0';
        r->clen = -1;
        const char *sp = memchr(p, ' ', k);
        r->cur_status = sp ? strtol(sp + 1, NULL, 10) : 0;
    } else if (header_is(p, k, "content-length", num, sizeof num)) {
        char *e;
        long long v = strtoll(num, &e, 10);
        r->clen = e != num && v >= 0 ? v : -1;
        if (r->max && r->clen > (long long)r->max && r->cur_status >= 200 && r->cur_status <= 299) r->too_big = 1;
    } else if (!header_is(p, k, "etag", r->etag, sizeof r->etag) &&
               !header_is(p, k, "x-goog-generation", r->gen, sizeof r->gen)) {
        header_is(p, k, meta, r->meta_sha, sizeof r->meta_sha);
    }
    return k;
}

/* The text of <tag>...</tag> in body (first one), entity-decoded. */
static char *xml_text(const char *body, const char *tag, const char **after);

static void sleep_s(double sec)
{
    if (sec <= 0) return;
    struct timespec ts = {(time_t)sec, (long)((sec - (double)(time_t)sec) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Send q, retrying what may pass (transport failures, truncated or corrupt
 * bodies, 408, 429, 5xx).  SW_OK with r->status set for any other answer;
 * SW_NET (SW_CORRUPT for bodies that never matched their hash) otherwise. */
static int obj_request(sw_objstore *s, const oreq *q, oresp *r, sw_error *err)
{
    char sha[65], line[256];
    sw_sha256_hex(q->body ? q->body : "", q->body_len, sha);
    struct curl_slist *h = NULL, *t;
    int put = strcmp(q->method, "PUT") == 0;
    int ok = 1;
#define ADD(str) (ok = ok && (t = curl_slist_append(h, (str))) != NULL && ((h = t), 1))
    snprintf(line, sizeof line, "x-%s-content-sha256: %s", s->xhdr, sha);
    ADD(line);
    if (put) {
        ADD("Content-Type: application/octet-stream");
        snprintf(line, sizeof line, "x-%s-meta-sha256: %s", s->xhdr, sha);
        ADD(line);
    }
    sw_sbuf tok = {0};
    if (s->token) {
        sw_sbuf_puts(&tok, "x-amz-security-token: ");
        sw_sbuf_puts(&tok, s->token);
        ok = ok && !tok.oom;
        if (ok) ADD(tok.p);
    }
    if (q->cond) ADD(q->cond);
#undef ADD
    if (tok.p) memset(tok.p, 0, tok.len);
    sw_free(tok.p);
    if (!ok) {
        curl_slist_free_all(h);
        return obj_fail(s, err, SW_NOMEM, "out of memory");
    }

    CURL *c = s->curl;
    char cause[512] = "", ebuf[CURL_ERROR_SIZE];
    int corrupt = 0, rc = SW_NET;
    r->xhdr = s->xhdr;
    r->max = q->max;
    r->attempts = 0;
    for (int a = 0; a <= s->retries; a++) {
        if (a > 0) {
            s->st.retries++;
            double w = s->backoff_s;
            for (int i = 1; i < a && w < BACKOFF_CAP_S; i++) w *= 2;
            sleep_s(w < BACKOFF_CAP_S ? w : BACKOFF_CAP_S);
        }
        r->attempts++;
        r->len = 0;
        r->too_big = 0;
        r->status = r->cur_status = 0;
        r->clen = -1;
        r->etag[0] = r->gen[0] = r->meta_sha[0] = '\0';
        ebuf[0] = '\0';
        corrupt = 0;
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, q->url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
        curl_easy_setopt(c, CURLOPT_USERNAME, s->access);
        curl_easy_setopt(c, CURLOPT_PASSWORD, s->secret);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "swish-objstore");
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(s->timeout_s * 1000));
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(s->connect_timeout_s * 1000));
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
        if (put) {
            /* POSTFIELDS, not a read callback: the body is in memory and curl
             * sends it as is on every attempt. */
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body_len ? (const char *)q->body : "");
        } else if (strcmp(q->method, "HEAD") == 0) {
            curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else if (strcmp(q->method, "GET") != 0) {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
        }
        CURLcode cc = curl_easy_perform(c);
        curl_off_t up = 0;
        curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up);
        s->st.requests++;
        s->st.bytes_out += (long long)up;
        s->st.bytes_in += (long long)r->len;
        if (r->too_big) {
            rc = obj_fail(s, err, SW_RANGE, "%s: object is larger than %zu bytes", q->what, q->max);
            goto out;
        }
        if (cc != CURLE_OK) {
            snprintf(cause, sizeof cause, "%s", ebuf[0] ? ebuf : curl_easy_strerror(cc));
            if (sw__curl_retryable(cc)) continue;
            rc = obj_fail(s, err, SW_NET, "%s: %s %s: %s", q->what, q->method, q->url, cause);
            goto out;
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        if (r->status == 408 || r->status == 429 || r->status >= 500) {
            char *code = r->len ? xml_text((const char *)r->body, "Code", NULL) : NULL;
            char *msg = r->len ? xml_text((const char *)r->body, "Message", NULL) : NULL;
            snprintf(cause, sizeof cause, "HTTP %ld%s%s%s%.200s", r->status, code ? " " : "", code ? code : "",
                     msg ? ": " : "", msg ? msg : "");
            sw_free(code);
            sw_free(msg);
            continue;
        }
        if (r->status >= 200 && r->status < 300 && strcmp(q->method, "HEAD") != 0) {
            if (r->clen >= 0 && (long long)r->len != r->clen) {
                snprintf(cause, sizeof cause, "truncated body (%zu of %lld bytes)", r->len, r->clen);
                continue;
            }
            if (q->verify && r->meta_sha[0]) {
                char got[65];
                sw_sha256_hex(r->body ? (const void *)r->body : "", r->len, got);
                if (strcasecmp(got, r->meta_sha) != 0) {
                    snprintf(cause, sizeof cause, "body's sha256 %s differs from the stored x-%s-meta-sha256 %.64s",
                             got, s->xhdr, r->meta_sha);
                    corrupt = 1;
                    continue;
                }
            }
        }
        rc = SW_OK;
        goto out;
    }
    rc = obj_fail(s, err, corrupt ? SW_CORRUPT : SW_NET, "%s: %s %s: failed after %d attempt%s: %s", q->what,
                  q->method, q->url, r->attempts, r->attempts == 1 ? "" : "s", cause);
out:
    curl_slist_free_all(h);
    return rc;
}

/* An answer the operation does not expect: 404 is SW_NOT_FOUND (naming a
 * missing bucket), 412 SW_CONFLICT, anything else SW_NET with the server's
 * code and message. */
static int http_error(sw_objstore *s, const oreq *q, const oresp *r, sw_error *err)
{
    const char *b = r->len ? (const char *)r->body : "";
    char *code = xml_text(b, "Code", NULL);
    char *msg = xml_text(b, "Message", NULL);
    int rc;
    if (r->status == 404 && code && strcmp(code, "NoSuchBucket") == 0) {
        rc = obj_fail(s, err, SW_NOT_FOUND, "%s: no such bucket \"%s\" (%s %s)", q->what, s->bucket, q->method,
                      q->url);
    } else if (r->status == 404) {
        rc = obj_fail(s, err, SW_NOT_FOUND, "%s: no such object", q->what);
    } else if (r->status == 412 || (r->status == 409 && code && strcmp(code, "ConditionalRequestConflict") == 0)) {
        rc = obj_fail(s, err, SW_CONFLICT, "%s was changed by another writer (%s); nothing written", q->what,
                      q->cond ? q->cond : "precondition failed");
    } else {
        rc = obj_fail(s, err, SW_NET, "%s: %ld %s%s%.300s (%s %s)", q->what, r->status,
                      code ? code : "HTTP error", msg ? ": " : "", msg ? msg : "", q->method, q->url);
    }
    sw_free(code);
    sw_free(msg);
    return rc;
}

static char *object_url(const sw_objstore *s, const char *key)
{
    sw_sbuf u = {0};
    sw_sbuf_puts(&u, s->base);
    sw_sbuf_puts(&u, "/");
    sb_uri_encode(&u, s->prefix, 1);
    sb_uri_encode(&u, key, 1);
    if (u.oom) {
        sw_free(u.p);
        return NULL;
    }
    return u.p;
}

/* XML entity decoding of body[0..n) (the five named ones and &#..;). */
static char *xml_decode(const char *p, size_t n)
{
    sw_sbuf b = {0};
    sw_sbuf_puts(&b, "");
    for (size_t i = 0; i < n;) {
        if (p[i] != '&') {
            size_t j = i;
            while (j < n && p[j] != '&') j++;
            sw_sbuf_putn(&b, p + i, j - i);
            i = j;
            continue;
        }
        const char *semi = memchr(p + i, ';', n - i);
        size_t el = semi ? (size_t)(semi - (p + i)) + 1 : 0;
        static const struct {
            const char *ent, *ch;
        } named[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}};
        int done = 0;
        for (size_t k = 0; k < 5 && semi; k++) {
            if (el == strlen(named[k].ent) && strncmp(p + i, named[k].ent, el) == 0) {
                sw_sbuf_puts(&b, named[k].ch);
                done = 1;
            }
        }
        if (!done && semi && el > 3 && p[i + 1] == '#') {
            char *e;
            int hex = p[i + 2] == 'x' || p[i + 2] == 'X';
            unsigned long cp = hex ? strtoul(p + i + 3, &e, 16) : strtoul(p + i + 2, &e, 10);
            if (e == semi && cp > 0 && cp <= 0x10FFFF) {
                char u[4];
                size_t ul;
                if (cp < 0x80) {
                    u[0] = (char)cp;
                    ul = 1;
                } else if (cp < 0x800) {
                    u[0] = (char)(0xC0 | (cp >> 6));
                    u[1] = (char)(0x80 | (cp & 63));
                    ul = 2;
                } else if (cp < 0x10000) {
                    u[0] = (char)(0xE0 | (cp >> 12));
                    u[1] = (char)(0x80 | ((cp >> 6) & 63));
                    u[2] = (char)(0x80 | (cp & 63));
                    ul = 3;
                } else {
                    u[0] = (char)(0xF0 | (cp >> 18));
                    u[1] = (char)(0x80 | ((cp >> 12) & 63));
                    u[2] = (char)(0x80 | ((cp >> 6) & 63));
                    u[3] = (char)(0x80 | (cp & 63));
                    ul = 4;
                }
                sw_sbuf_putn(&b, u, ul);
                done = 1;
            }
        }
        if (done) {
            i += el;
        } else {
            sw_sbuf_putn(&b, "&", 1);
            i++;
        }
    }
    if (b.oom) {
        sw_free(b.p);
        return NULL;
    }
    return b.p;
}

static char *xml_text(const char *body, const char *tag, const char **after)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = strstr(body, open);
    if (!a) return NULL;
    a += strlen(open);
    const char *e = strstr(a, close);
    if (!e) return NULL;
    if (after) *after = e + strlen(close);
    return xml_decode(a, (size_t)(e - a));
}

/* ---- operations ---- */

int sw_objstore_get(sw_objstore *s, const char *key, size_t max, unsigned char **data, size_t *len,
                    char etag[SW_ETAG_MAX], sw_error *err)
{
    *data = NULL;
    *len = 0;
    if (etag) etag[0] = '\0';
    SW_TRY(check_key(s, key, 0, err));
    if (s->kind == SW_OBJ_LOCAL) {
        s->st.requests++;
        return local_get(s, key, max, data, len, etag, err);
    }
    char what[1200];
    obj_name(s, key, what, sizeof what);
    char *url = object_url(s, key);
    if (!url) return obj_fail(s, err, SW_NOMEM, "out of memory");
    oreq q = {.method = "GET", .url = url, .what = what, .max = max, .verify = 1};
    oresp r = {0};
    int rc = obj_request(s, &q, &r, err);
    if (rc == SW_OK && r.status != 200) rc = http_error(s, &q, &r, err);
    if (rc == SW_OK) {
        if (!r.body) r.body = sw_calloc(1, 1);
        if (!r.body) {
            rc = obj_fail(s, err, SW_NOMEM, "out of memory");
        } else {
            *data = r.body;
            *len = r.len;
            r.body = NULL;
            if (etag) snprintf(etag, SW_ETAG_MAX, "%s", s->kind == SW_OBJ_GCS ? r.gen : r.etag);
        }
    }
    sw_free(r.body);
    sw_free(url);
    return rc;
}

/* HEAD for remote stores; meta_sha (may be NULL) gets x-*-meta-sha256. */
static int remote_head(sw_objstore *s, const char *key, int *exists, long long *size, char etag[SW_ETAG_MAX],
                       char meta_sha[65], sw_error *err)
{
    char what[1200];
    obj_name(s, key, what, sizeof what);
    char *url = object_url(s, key);
    if (!url) return obj_fail(s, err, SW_NOMEM, "out of memory");
    oreq q = {.method = "HEAD", .url = url, .what = what};
    oresp r = {0};
    int rc = obj_request(s, &q, &r, err);
    if (rc == SW_OK) {
        if (r.status == 200) {
            *exists = 1;
            if (size) *size = r.clen;
            if (etag) snprintf(etag, SW_ETAG_MAX, "%s", s->kind == SW_OBJ_GCS ? r.gen : r.etag);
            if (meta_sha) snprintf(meta_sha, 65, "%s", r.meta_sha);
        } else if (r.status == 404) {
            *exists = 0;
        } else {
            rc = http_error(s, &q, &r, err);
        }
    }
    sw_free(r.body);
    sw_free(url);
    return rc;
}

int sw_objstore_head(sw_objstore *s, const char *key, int *exists, long long *size, char etag[SW_ETAG_MAX],
                     sw_error *err)
{
    *exists = 0;
    if (size) *size = -1;
    if (etag) etag[0] = '\0';
    SW_TRY(check_key(s, key, 0, err));
    if (s->kind != SW_OBJ_LOCAL) return remote_head(s, key, exists, size, etag, NULL, err);
    s->st.requests++;
    char *path = local_path(s, key);
    if (!path) return obj_fail(s, err, SW_NOMEM, "out of memory");
    int rc = local_etag(s, path, exists, etag, err);
    if (rc == SW_OK && *exists && size && local_exists(path, size) != 1) *exists = 0;
    sw_free(path);
    return rc;
}

static int valid_etag(const char *e)
{
    size_t n = strlen(e);
    if (n >= SW_ETAG_MAX) return 0;
    for (const unsigned char *p = (const unsigned char *)e; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return 0;
    return 1;
}

int sw_objstore_put(sw_objstore *s, const char *key, const void *data, size_t len, const char *if_match,
                    char new_etag[SW_ETAG_MAX], sw_error *err)
{
    if (new_etag) new_etag[0] = '\0';
    SW_TRY(check_key(s, key, 0, err));
    if (if_match && !valid_etag(if_match))
        return obj_fail(s, err, SW_ARG, "%s/%s: invalid etag to match", s->location, key);
    if (s->kind == SW_OBJ_LOCAL) {
        s->st.requests++;
        return local_put(s, key, data, len, if_match, new_etag, err);
    }
    char cond[SW_ETAG_MAX + 40];
    if (if_match && s->kind == SW_OBJ_GCS) {
        if (*if_match && strspn(if_match, "0123456789") != strlen(if_match))
            return obj_fail(s, err, SW_ARG, "%s/%s: \"%.80s\" is not a GCS generation", s->location, key, if_match);
        snprintf(cond, sizeof cond, "x-goog-if-generation-match: %s", *if_match ? if_match : "0");
    } else if (if_match) {
        snprintf(cond, sizeof cond, *if_match ? "If-Match: %s" : "If-None-Match: *", if_match);
    }
    char what[1200];
    obj_name(s, key, what, sizeof what);
    char *url = object_url(s, key);
    if (!url) return obj_fail(s, err, SW_NOMEM, "out of memory");
    oreq q = {.method = "PUT", .url = url, .what = what, .body = data, .body_len = len,
              .cond = if_match ? cond : NULL};
    oresp r = {0};
    int rc = obj_request(s, &q, &r, err);
    if (rc == SW_OK && r.status >= 200 && r.status < 300) {
        const char *e = s->kind == SW_OBJ_GCS ? r.gen : r.etag;
        if (new_etag && *e) {
            snprintf(new_etag, SW_ETAG_MAX, "%s", e);
        } else if (new_etag) { /* a server that does not say: ask */
            int ex;
            rc = remote_head(s, key, &ex, NULL, new_etag, NULL, err);
        }
    } else if (rc == SW_OK) {
        int conflict = r.status == 412 || r.status == 409 || (r.status == 404 && if_match && *if_match);
        int resolved = 0;
        if (conflict && r.attempts > 1) {
            /* An earlier attempt may have landed before its answer was lost:
             * then the object holds exactly our bytes. */
            char sha[65], meta[65] = "", cur[SW_ETAG_MAX];
            int ex = 0;
            sw_sha256_hex(len ? data : "", len, sha);
            if (remote_head(s, key, &ex, NULL, cur, meta, NULL) == SW_OK && ex && strcasecmp(meta, sha) == 0) {
                if (new_etag) snprintf(new_etag, SW_ETAG_MAX, "%s", cur);
                resolved = 1;
            }
        }
        if (resolved) {
            rc = SW_OK;
        } else if (r.status == 404 && if_match && *if_match) {
            char *code = r.len ? xml_text((const char *)r.body, "Code", NULL) : NULL;
            if (code && strcmp(code, "NoSuchBucket") == 0) {
                rc = http_error(s, &q, &r, err);
            } else {
                rc = obj_fail(s, err, SW_CONFLICT,
                              "%s was removed by another writer (expected etag %.80s); nothing written", what,
                              if_match);
            }
            sw_free(code);
        } else if (conflict && if_match) {
            rc = obj_fail(s, err, SW_CONFLICT, "%s was changed by another writer (%s %.80s); nothing written", what,
                          *if_match ? "expected etag" : "it exists now, expected", *if_match ? if_match : "none");
        } else {
            rc = http_error(s, &q, &r, err);
        }
    }
    sw_free(r.body);
    sw_free(url);
    return rc;
}

int sw_objstore_delete(sw_objstore *s, const char *key, sw_error *err)
{
    SW_TRY(check_key(s, key, 0, err));
    if (s->kind == SW_OBJ_LOCAL) {
        s->st.requests++;
        char *path = local_path(s, key);
        if (!path) return obj_fail(s, err, SW_NOMEM, "out of memory");
        int rc = SW_OK;
        if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR)
            rc = obj_fail(s, err, SW_IO, "%s: cannot remove: %s", path, strerror(errno));
        sw_free(path);
        return rc;
    }
    char what[1200];
    obj_name(s, key, what, sizeof what);
    char *url = object_url(s, key);
    if (!url) return obj_fail(s, err, SW_NOMEM, "out of memory");
    oreq q = {.method = "DELETE", .url = url, .what = what};
    oresp r = {0};
    int rc = obj_request(s, &q, &r, err);
    if (rc == SW_OK && !(r.status >= 200 && r.status < 300)) {
        char *code = r.len ? xml_text((const char *)r.body, "Code", NULL) : NULL;
        /* GCS answers 404 for a missing object; S3 204: both are done. */
        if (!(r.status == 404 && !(code && strcmp(code, "NoSuchBucket") == 0))) rc = http_error(s, &q, &r, err);
        sw_free(code);
    }
    sw_free(r.body);
    sw_free(url);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* One ListObjectsV2 page after `token` (NULL: the first). */
static int list_page(sw_objstore *s, const char *full_prefix, const char *token, int stamps, strvec *out,
                     char **next, sw_error *err)
{
    *next = NULL;
    /* Query parameters in byte order of their names (SigV4 signs the query
     * as sent): continuation-token, list-type, max-keys, prefix. */
    sw_sbuf u = {0};
    sw_sbuf_puts(&u, s->base);
    sw_sbuf_puts(&u, s->path_style ? "?" : "/?");
    if (token) {
        sw_sbuf_puts(&u, "continuation-token=");
        sb_uri_encode(&u, token, 0);
        sw_sbuf_puts(&u, "&");
    }
    sw_sbuf_puts(&u, "list-type=2");
    if (s->list_page > 0) {
        char m[32];
        snprintf(m, sizeof m, "&max-keys=%d", s->list_page);
        sw_sbuf_puts(&u, m);
    }
    sw_sbuf_puts(&u, "&prefix=");
    sb_uri_encode(&u, full_prefix, 0);
    if (u.oom) {
        sw_free(u.p);
        return obj_fail(s, err, SW_NOMEM, "out of memory");
    }
    char what[1200];
    obj_name(s, NULL, what, sizeof what);
    oreq q = {.method = "GET", .url = u.p, .what = what};
    oresp r = {0};
    int rc = obj_request(s, &q, &r, err);
    if (rc == SW_OK && r.status != 200) rc = http_error(s, &q, &r, err);
    if (rc == SW_OK) {
        const char *b = r.len ? (const char *)r.body : "";
        if (!strstr(b, "<ListBucketResult")) {
            rc = obj_fail(s, err, SW_NET, "%s: GET %s: the answer is not a ListBucketResult", what, u.p);
        }
        size_t plen = strlen(s->prefix);
        /* one <Contents> at a time: its Key, and with stamps its ETag, kept as
         * "key\x1fetag" (keys hold no control characters; sorting is unchanged) */
        for (const char *p = b; rc == SW_OK;) {
            const char *c0 = strstr(p, "<Contents>"), *c1 = c0 ? strstr(c0, "</Contents>") : NULL;
            if (!c0 || !c1) break;
            char *block = sw_strndup(c0, (size_t)(c1 - c0));
            char *k = block ? xml_text(block, "Key", NULL) : NULL;
            char *et = k && stamps ? xml_text(block, "ETag", NULL) : NULL;
            if (!block) rc = obj_fail(s, err, SW_NOMEM, "out of memory");
            else if (k && strncmp(k, s->prefix, plen) == 0 && k[plen]) {
                sw_sbuf e = {0};
                sw_sbuf_puts(&e, k + plen);
                if (stamps) {
                    sw_sbuf_puts(&e, "\x1f");
                    sw_sbuf_puts(&e, et ? et : "");
                }
                if (e.oom || sv_push(out, e.p, strlen(e.p)) != 0) rc = obj_fail(s, err, SW_NOMEM, "out of memory");
                sw_free(e.p);
            }
            sw_free(et);
            sw_free(k);
            sw_free(block);
            p = c1 + strlen("</Contents>");
        }
        char *trunc = rc == SW_OK ? xml_text(b, "IsTruncated", NULL) : NULL;
        if (trunc && strcmp(trunc, "true") == 0) {
            *next = xml_text(b, "NextContinuationToken", NULL);
            if (!*next || !**next || (token && strcmp(*next, token) == 0)) {
                sw_free(*next);
                *next = NULL;
                rc = obj_fail(s, err, SW_NET, "%s: GET %s: listing truncated without a new continuation token", what,
                              u.p);
            }
        }
        sw_free(trunc);
    }
    sw_free(r.body);
    sw_free(u.p);
    return rc;
}

int sw_objstore_list(sw_objstore *s, const char *prefix, char ***keys, int *n, sw_error *err)
{
    return sw_objstore_list_stamped(s, prefix, keys, NULL, n, err);
}

int sw_objstore_list_stamped(sw_objstore *s, const char *prefix, char ***keys, char ***stamps, int *n,
                             sw_error *err)
{
    *keys = NULL;
    if (stamps) *stamps = NULL;
    *n = 0;
    if (!prefix) prefix = "";
    SW_TRY(check_key(s, prefix, 1, err));
    strvec sv = {0};
    int rc = SW_OK;
    if (s->kind == SW_OBJ_LOCAL) {
        s->st.requests++;
        /* start at the prefix's directory part */
        const char *sl = strrchr(prefix, '/');
        char *rel = sw_strndup(prefix, sl ? (size_t)(sl - prefix) + 1 : 0);
        if (!rel) return obj_fail(s, err, SW_NOMEM, "out of memory");
        rc = local_walk(s, rel, prefix, &sv, err);
        sw_free(rel);
    } else {
        sw_sbuf fp = {0};
        sw_sbuf_puts(&fp, s->prefix);
        sw_sbuf_puts(&fp, prefix);
        if (fp.oom) return obj_fail(s, err, SW_NOMEM, "out of memory");
        char *token = NULL;
        do {
            char *next;
            rc = list_page(s, fp.p, token, stamps != NULL, &sv, &next, err);
            sw_free(token);
            token = next;
        } while (rc == SW_OK && token);
        sw_free(token);
        sw_free(fp.p);
    }
    if (rc == SW_OK && sv.n > (size_t)(INT32_MAX / 2)) rc = obj_fail(s, err, SW_RANGE, "%s: too many keys", s->location);
    if (rc == SW_OK) {
        if (sv.n > 1) qsort(sv.v, sv.n, sizeof(char *), cmp_str);
        size_t total = (sv.n + 1) * sizeof(char *);
        for (size_t i = 0; i < sv.n; i++) total += strlen(sv.v[i]) + 1;
        char **arr = sw_malloc(total), **st = stamps ? sw_malloc(total) : NULL;
        if (!arr || (stamps && !st)) {
            sw_free(arr);
            sw_free(st);
            rc = obj_fail(s, err, SW_NOMEM, "out of memory");
        } else {
            char *p = (char *)(arr + sv.n + 1), *q = st ? (char *)(st + sv.n + 1) : NULL;
            for (size_t i = 0; i < sv.n; i++) {
                char *sep = strchr(sv.v[i], '\x1f'); /* only with stamps; a local store has none */
                size_t kl = sep ? (size_t)(sep - sv.v[i]) : strlen(sv.v[i]);
                memcpy(p, sv.v[i], kl);
                p[kl] = 0;
                arr[i] = p;
                p += kl + 1;
                if (st) {
                    const char *e = sep ? sep + 1 : "";
                    size_t el = strlen(e) + 1;
                    memcpy(q, e, el);
                    st[i] = q;
                    q += el;
                }
            }
            arr[sv.n] = NULL;
            if (st) st[sv.n] = NULL;
            *keys = arr;
            if (stamps) *stamps = st;
            *n = (int)sv.n;
        }
    }
    sv_free(&sv);
    return rc;
}
