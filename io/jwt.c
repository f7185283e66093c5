/* jwt: RS256 bearer-token verification against a key set (see jwt.h).
 *
 * sw_jwt_verify, in order: length cap; three dot-separated parts; the header
 * decoded and parsed; alg must be "RS256" (checked before any key is touched,
 * so "none" and HS256 keyed with the public key never reach a verifier); the
 * kid looked up (an unknown one refetches a URL's set, at most once per
 * interval); the signature checked with EVP_DigestVerify (SHA-256, PKCS#1
 * v1.5 padding set explicitly) against each candidate key; only then is the
 * payload parsed: exp, iat, nbf, iss, aud (SW_AUTH), then the email
 * (SW_DENIED).  Members that decide anything must appear once: a duplicate
 * alg, kid or claim is refused rather than resolved one way or the other.
 *
 * Key sets are immutable and reference counted: a verifier takes a reference
 * under the mutex and verifies without holding it; a refresh builds a new set
 * and swaps it in.  Fetches are serialised by a second mutex, so a slow key
 * server delays only the thread that fetches: a stale set is refreshed by
 * whoever gets that mutex first (trylock), the others go on with the set they
 * have; a thread with an unknown kid waits for the fetch, since it has no key
 * without it.  EVP_PKEYs are shared read-only between threads, which OpenSSL 3
 * allows; the OpenSSL error queue (per thread) is cleared after each failure.
 */
#include "jwt.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "core/json.h"
#include "core/clock.h"

#define KEYS_MAX 256
#define KEYS_BYTES_MAX (1 << 20) /* a key document (file or answer) */
#define RSA_BITS_MIN 2048
#define RSA_BITS_MAX 16384
#define TTL_DEFAULT 3600
#define TTL_MIN 60
#define TTL_MAX 86400
#define REFETCH_DEFAULT 30.0
#define TIMEOUT_DEFAULT 10.0
#define KID_MAX 128
#define TIME_MAX 1e15 /* |exp|, |iat|, |nbf|: far beyond any date, exact in a double */

/* ---- base64 ---------------------------------------------------------------- */

static int b64_val(unsigned char c, int url)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == (url ? '-' : '+')) return 62;
    if (c == (url ? '_' : '/')) return 63;
    return -1;
}

static int b64_bad(sw_error *err, size_t off, const char *why)
{
    return sw_error_set(err, SW_PARSE, NULL, 0, 0, (long long)off, "base64: %s", why);
}

int sw_base64_decode(const char *in, size_t len, int url, unsigned char *out, size_t *out_len, sw_error *err)
{
    *out_len = 0;
    size_t o = 0, i = 0;
    unsigned acc = 0;
    int nacc = 0; /* characters in the current group of four */
    for (; i < len; i++) {
        int v = b64_val((unsigned char)in[i], url);
        if (v < 0) break;
        acc = acc << 6 | (unsigned)v;
        if (++nacc == 4) {
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            acc = 0;
            nacc = 0;
        }
    }
    size_t data_end = i;
    if (i < len) {
        if (in[i] != '=') return b64_bad(err, i, "not a base64 character");
        if (nacc < 2) return b64_bad(err, i, nacc ? "padding after a single character" : "padding at a group start");
        int need = 4 - nacc, k = 0;
        while (i < len && in[i] == '=' && k < need) {
            i++;
            k++;
        }
        if (k < need)
            return i == len ? b64_bad(err, len, "padding cut short") : b64_bad(err, i, "character inside the padding");
        if (i < len) return b64_bad(err, i, "character after the padding");
    }
    if (nacc == 1) return b64_bad(err, data_end - 1, "dangling character");
    if (nacc == 2) {
        if (acc & 0xf) return b64_bad(err, data_end - 1, "nonzero unused bits");
        out[o++] = (unsigned char)(acc >> 4);
    } else if (nacc == 3) {
        if (acc & 0x3) return b64_bad(err, data_end - 1, "nonzero unused bits");
        out[o++] = (unsigned char)(acc >> 10);
        out[o++] = (unsigned char)(acc >> 2);
    }
    *out_len = o;
    return SW_OK;
}

/* ---- key sets -------------------------------------------------------------- */

typedef struct {
    char kid[KID_MAX];
    int has_kid;
    EVP_PKEY *pk;
} jkey;

typedef struct {
    atomic_int refs;
    int n;
    jkey *v;
} kset;

struct sw_jwt_keys {
    char *src;
    int is_url;
    int curl_ready;
    double timeout_s;
    pthread_mutex_t mu;       /* set, times, counters, last_err */
    pthread_mutex_t fetch_mu; /* one fetch at a time */
    kset *set;
    double stale_at, last_fetch; /* monotonic seconds */
    long long expires_unix;
    double interval;
    long fetches, failed;
    char last_err[256];
};

static void kset_release(kset *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
    for (int i = 0; i < s->n; i++) EVP_PKEY_free(s->v[i].pk);
    sw_free(s->v);
    sw_free(s);
}

/* A set under construction, with what was skipped (for SW_UNSUPPORTED). */
typedef struct {
    jkey *v;
    size_t cap;
    int n;
    int not_rsa, too_small, other; /* other: alg not RS256, use not sig */
} kbuild;

static void kb_drop(kbuild *b)
{
    for (int i = 0; i < b->n; i++) EVP_PKEY_free(b->v[i].pk);
    sw_free(b->v);
    b->v = NULL;
    b->n = 0;
}

/* Add a key (taking `pk`); kid may be NULL.  Non-RSA and small keys are
 * counted and dropped. */
static int kb_add(kbuild *b, const char *src, const char *kid, size_t kid_len, EVP_PKEY *pk, sw_error *err)
{
    if (!EVP_PKEY_is_a(pk, "RSA")) {
        b->not_rsa++;
        EVP_PKEY_free(pk);
        return SW_OK;
    }
    int bits = EVP_PKEY_get_bits(pk);
    if (bits < RSA_BITS_MIN || bits > RSA_BITS_MAX) {
        b->too_small++;
        EVP_PKEY_free(pk);
        return SW_OK;
    }
    if (kid && (kid_len >= KID_MAX || memchr(kid, 0, kid_len))) {
        EVP_PKEY_free(pk);
        return sw_fail(err, SW_FORMAT, "%s: a kid longer than %d bytes or holding a NUL", src, KID_MAX - 1);
    }
    if (b->n >= KEYS_MAX) {
        EVP_PKEY_free(pk);
        return sw_fail(err, SW_FORMAT, "%s: more than %d keys", src, KEYS_MAX);
    }
    if (sw_grow((void **)&b->v, &b->cap, (size_t)b->n + 1, sizeof *b->v) != 0) {
        EVP_PKEY_free(pk);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    jkey *k = &b->v[b->n++];
    memset(k, 0, sizeof *k);
    k->pk = pk;
    if (kid) {
        memcpy(k->kid, kid, kid_len);
        k->has_kid = 1;
    }
    return SW_OK;
}

/* A decoded base64url member of a JWK as a BIGNUM. */
static int jwk_bn(const sw_json *doc, sw_jnode key, const char *name, int idx, const char *src, BIGNUM **out,
                  sw_error *err)
{
    *out = NULL;
    size_t len;
    const char *s = sw_json_str(doc, sw_json_get(doc, key, name), &len);
    if (!s || len == 0) return sw_fail(err, SW_FORMAT, "%s: keys[%d]: \"%s\" missing or not a string", src, idx, name);
    if (len > 4 * RSA_BITS_MAX / 8)
        return sw_fail(err, SW_FORMAT, "%s: keys[%d]: \"%s\" is too long", src, idx, name);
    unsigned char *bin = sw_malloc((len / 4 + 1) * 3);
    if (!bin) return sw_fail(err, SW_NOMEM, "out of memory");
    size_t n;
    sw_error e;
    if (sw_base64_decode(s, len, 1, bin, &n, &e) != SW_OK) {
        sw_free(bin);
        return sw_fail(err, SW_FORMAT, "%s: keys[%d]: \"%s\" is not base64url (byte %lld: %s)", src, idx, name,
                       e.offset, e.msg);
    }
    *out = BN_bin2bn(bin, (int)n, NULL);
    sw_free(bin);
    if (!*out) return sw_fail(err, SW_NOMEM, "out of memory (OpenSSL)");
    return SW_OK;
}

/* An RSA public key from its modulus and exponent (OpenSSL 3 fromdata). */
static EVP_PKEY *rsa_from_ne(const BIGNUM *n, const BIGNUM *e)
{
    EVP_PKEY *pk = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    if (bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1 && (params = OSSL_PARAM_BLD_to_param(bld)) &&
        (pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) && EVP_PKEY_fromdata_init(pc) == 1) {
        if (EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) pk = NULL;
    }
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pk;
}

static int jwk_add(kbuild *b, const sw_json *doc, sw_jnode key, int idx, const char *src, sw_error *err)
{
    if (sw_json_type_of(doc, key) != SW_JSON_OBJECT)
        return sw_fail(err, SW_FORMAT, "%s: keys[%d] is not an object", src, idx);
    sw_jnode kty = sw_json_get(doc, key, "kty");
    if (kty == SW_JNONE || sw_json_type_of(doc, kty) != SW_JSON_STRING)
        return sw_fail(err, SW_FORMAT, "%s: keys[%d] has no \"kty\"", src, idx);
    if (!sw_json_streq(doc, kty, "RSA")) {
        b->not_rsa++;
        return SW_OK;
    }
    sw_jnode use = sw_json_get(doc, key, "use"), alg = sw_json_get(doc, key, "alg");
    if ((use != SW_JNONE && !sw_json_streq(doc, use, "sig")) ||
        (alg != SW_JNONE && !sw_json_streq(doc, alg, "RS256"))) {
        b->other++;
        return SW_OK;
    }
    sw_jnode kid = sw_json_get(doc, key, "kid");
    size_t kid_len = 0;
    const char *kid_s = kid == SW_JNONE ? NULL : sw_json_str(doc, kid, &kid_len);
    if (kid != SW_JNONE && !kid_s) return sw_fail(err, SW_FORMAT, "%s: keys[%d]: \"kid\" is not a string", src, idx);
    BIGNUM *n = NULL, *e = NULL;
    int rc = jwk_bn(doc, key, "n", idx, src, &n, err);
    if (!rc) rc = jwk_bn(doc, key, "e", idx, src, &e, err);
    if (!rc && (!BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > 64))
        rc = sw_fail(err, SW_FORMAT, "%s: keys[%d]: \"e\" is not a valid RSA exponent", src, idx);
    if (!rc) {
        EVP_PKEY *pk = rsa_from_ne(n, e);
        if (!pk) {
            rc = sw_fail(err, SW_FORMAT, "%s: keys[%d]: OpenSSL refused the RSA key", src, idx);
        } else {
            rc = kb_add(b, src, kid_s, kid_len, pk, err);
        }
    }
    BN_free(n);
    BN_free(e);
    ERR_clear_error();
    return rc;
}

static int no_pass(char *buf, int size, int rw, void *u)
{
    (void)buf, (void)size, (void)rw, (void)u;
    return 0;
}

/* Google's x509 map: {"KID": "-----BEGIN CERTIFICATE-----\n...", ...}. */
static int x509_map_add(kbuild *b, const sw_json *doc, const char *src, sw_error *err)
{
    int idx = 0;
    for (sw_jnode v = sw_json_first(doc, sw_json_root(doc)); v != SW_JNONE; v = sw_json_next(doc, v), idx++) {
        size_t kl, pl;
        const char *kid = sw_json_key(doc, v, &kl);
        const char *pem = sw_json_str(doc, v, &pl);
        if (!pem || pl > INT32_MAX)
            return sw_fail(err, SW_FORMAT, "%s: member %d of the certificate map is not a string", src, idx);
        BIO *bio = BIO_new_mem_buf(pem, (int)pl);
        if (!bio) return sw_fail(err, SW_NOMEM, "out of memory (OpenSSL)");
        X509 *x = PEM_read_bio_X509(bio, NULL, no_pass, NULL);
        BIO_free(bio);
        EVP_PKEY *pk = x ? X509_get_pubkey(x) : NULL;
        X509_free(x);
        ERR_clear_error();
        if (!pk)
            return sw_fail(err, SW_FORMAT, "%s: member %d of the certificate map is not a PEM certificate", src, idx);
        SW_TRY(kb_add(b, src, kid, kl, pk, err));
    }
    return SW_OK;
}

/* PEM: public keys and certificates, any number, in any order. */
static int pem_add(kbuild *b, const char *data, size_t len, const char *src, sw_error *err)
{
    if (len > INT32_MAX) return sw_fail(err, SW_FORMAT, "%s: too large", src);
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (!bio) return sw_fail(err, SW_NOMEM, "out of memory (OpenSSL)");
    int rc = SW_OK, blocks = 0;
    for (;;) {
        char *name = NULL, *hdr = NULL;
        unsigned char *der = NULL;
        long dlen = 0;
        if (PEM_read_bio(bio, &name, &hdr, &der, &dlen) != 1) {
            unsigned long e = ERR_peek_last_error();
            if (!(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) || blocks == 0)
                rc = sw_fail(err, SW_FORMAT, "%s: PEM block %d is damaged", src, blocks + 1);
            break;
        }
        blocks++;
        const unsigned char *p = der;
        EVP_PKEY *pk = NULL;
        if (strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0) {
            X509 *x = d2i_X509(NULL, &p, dlen);
            pk = x ? X509_get_pubkey(x) : NULL;
            X509_free(x);
        } else if (strcmp(name, "PUBLIC KEY") == 0) {
            pk = d2i_PUBKEY(NULL, &p, dlen);
        } else if (strcmp(name, "RSA PUBLIC KEY") == 0) {
            pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, dlen);
        } else if (strstr(name, "PRIVATE KEY")) {
            rc = sw_fail(err, SW_FORMAT, "%s: PEM block %d is a private key; give the public key or certificate", src,
                         blocks);
        } else {
            rc = sw_fail(err, SW_FORMAT, "%s: PEM block %d is a %.40s, not a public key or certificate", src, blocks,
                         name);
        }
        if (!rc && !pk) rc = sw_fail(err, SW_FORMAT, "%s: PEM block %d (%.40s) does not decode", src, blocks, name);
        OPENSSL_free(name);
        OPENSSL_free(hdr);
        OPENSSL_free(der);
        if (!rc) rc = kb_add(b, src, NULL, 0, pk, err);
        if (rc) break;
    }
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

/* A key document (JWKS, x509 map or PEM) into a new set. */
static int parse_keys(const char *src, const char *data, size_t len, kset **out, sw_error *err)
{
    *out = NULL;
    kbuild b = {0};
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')) i++;
    int rc = SW_OK;
    if (i < len && data[i] == '{') {
        sw_json *doc = NULL;
        rc = sw_json_parse(src, data, len, &doc, err);
        if (rc) return rc;
        sw_jnode root = sw_json_root(doc), keys = sw_json_get(doc, root, "keys");
        if (sw_json_type_of(doc, root) != SW_JSON_OBJECT) {
            rc = sw_fail(err, SW_FORMAT, "%s: not a JWKS or certificate map (not an object)", src);
        } else if (keys != SW_JNONE) {
            if (sw_json_type_of(doc, keys) != SW_JSON_ARRAY) {
                rc = sw_fail(err, SW_FORMAT, "%s: \"keys\" is not an array", src);
            } else {
                int idx = 0;
                for (sw_jnode k = sw_json_first(doc, keys); k != SW_JNONE && !rc; k = sw_json_next(doc, k), idx++)
                    rc = jwk_add(&b, doc, k, idx, src, err);
            }
        } else {
            rc = x509_map_add(&b, doc, src, err);
        }
        sw_json_free(doc);
    } else if (len >= 10 && memmem(data, len, "-----BEGIN", 10)) {
        rc = pem_add(&b, data, len, src, err);
    } else {
        rc = sw_fail(err, SW_FORMAT, "%s: neither a JWKS, a certificate map nor PEM", src);
    }
    if (!rc && b.n == 0) {
        if (b.not_rsa || b.too_small || b.other)
            rc = sw_fail(err, SW_UNSUPPORTED,
                         "%s: no RS256 key (%d not RSA, %d RSA under %d bits, %d for another alg or use)", src,
                         b.not_rsa, b.too_small, RSA_BITS_MIN, b.other);
        else
            rc = sw_fail(err, SW_FORMAT, "%s: no keys", src);
    }
    if (rc) {
        kb_drop(&b);
        return rc;
    }
    kset *s = sw_calloc(1, sizeof *s);
    if (!s) {
        kb_drop(&b);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    atomic_init(&s->refs, 1);
    s->n = b.n;
    s->v = b.v;
    *out = s;
    return SW_OK;
}

/* ---- fetching a URL -------------------------------------------------------- */

typedef struct {
    unsigned char *body;
    size_t len, cap;
    int too_big;
    long max_age, age; /* -1: no max-age */
} fetch_resp;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    fetch_resp *r = ud;
    size_t k = size * n;
    if (r->len + k > KEYS_BYTES_MAX) {
        r->too_big = 1;
        return 0;
    }
    if (sw_grow((void **)&r->body, &r->cap, r->len + k + 1, 1) != 0) return 0;
    memcpy(r->body + r->len, p, k);
    r->len += k;
    r->body[r->len] = '\0';
    return k;
}

/* Seconds in a header value ("120", "\"120\""); -1 if not a number. */
static long header_secs(const char *v, const char *e)
{
    while (v < e && (*v == ' ' || *v == '"')) v++;
    long s = 0;
    int digits = 0;
    for (; v < e && *v >= '0' && *v <= '9'; v++, digits++) s = s < 100000000 ? s * 10 + (*v - '0') : s;
    return digits ? s : -1;
}

/* Cache-Control's max-age (no-cache / no-store: 0) and Age. */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    fetch_resp *r = ud;
    size_t k = size * n;
    const char *e = p + k;
    if (k >= 5 && strncmp(p, "HTTP/", 5) == 0) { /* a new response (redirects, 100 Continue) */
        r->max_age = -1;
        r->age = 0;
    } else if (k > 14 && strncasecmp(p, "cache-control:", 14) == 0) {
        const char *t = p + 14;
        while (t < e) {
            while (t < e && (*t == ' ' || *t == '\t' || *t == ',')) t++;
            const char *te = t;
            while (te < e && *te != ',' && *te != '\r' && *te != '\n') te++;
            size_t tl = (size_t)(te - t);
            if (tl > 8 && strncasecmp(t, "max-age=", 8) == 0) {
                long s = header_secs(t + 8, te);
                if (s >= 0) r->max_age = s;
            } else if ((tl >= 8 && strncasecmp(t, "no-cache", 8) == 0) ||
                       (tl >= 8 && strncasecmp(t, "no-store", 8) == 0)) {
                r->max_age = 0;
            }
            t = te;
            if (t < e && (*t == '\r' || *t == '\n')) break;
        }
    } else if (k > 4 && strncasecmp(p, "age:", 4) == 0) {
        long s = header_secs(p + 4, e);
        if (s >= 0) r->age = s;
    }
    return k;
}

static int fetch_keys(sw_jwt_keys *k, kset **out, long *ttl, sw_error *err)
{
    *out = NULL;
    fetch_resp r = {0};
    r.max_age = -1;
    CURL *c = curl_easy_init();
    if (!c) return sw_fail(err, SW_NOMEM, "%s: libcurl could not make a handle", k->src);
    char ebuf[CURL_ERROR_SIZE] = "";
    long ms = (long)(k->timeout_s * 1000);
    curl_easy_setopt(c, CURLOPT_URL, k->src);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "swish-jwt");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    int rc;
    if (r.too_big) {
        rc = sw_fail(err, SW_FORMAT, "%s: key document larger than %d bytes", k->src, KEYS_BYTES_MAX);
    } else if (cc != CURLE_OK) {
        rc = sw_fail(err, cc == CURLE_WRITE_ERROR ? SW_NOMEM : SW_NET, "%s: %s", k->src,
                     ebuf[0] ? ebuf : curl_easy_strerror(cc));
    } else if (status != 200) {
        rc = sw_fail(err, SW_NET, "%s: HTTP %ld", k->src, status);
    } else {
        rc = parse_keys(k->src, r.body ? (const char *)r.body : "", r.len, out, err);
    }
    sw_free(r.body);
    if (rc) return rc;
    long t = r.max_age < 0 ? TTL_DEFAULT : r.max_age - r.age;
    *ttl = t < TTL_MIN ? TTL_MIN : t > TTL_MAX ? TTL_MAX : t;
    return SW_OK;
}

/* Fetch again when allowed: `for_kid` waits for a fetch in progress and
 * ignores staleness; otherwise only a stale set is refetched, by one thread.
 * Returns whether this call fetched. */
static int refresh(sw_jwt_keys *k, int for_kid)
{
    if (for_kid) {
        pthread_mutex_lock(&k->fetch_mu);
    } else if (pthread_mutex_trylock(&k->fetch_mu) != 0) {
        return 0;
    }
    pthread_mutex_lock(&k->mu);
    double now = sw_clock_now();
    int go = now - k->last_fetch >= k->interval && (for_kid || now >= k->stale_at);
    if (go) k->last_fetch = now;
    pthread_mutex_unlock(&k->mu);
    if (go) {
        kset *ns = NULL, *old = NULL;
        long ttl = 0;
        sw_error e;
        sw_error_clear(&e);
        int rc = fetch_keys(k, &ns, &ttl, &e);
        pthread_mutex_lock(&k->mu);
        k->fetches++;
        if (rc) {
            k->failed++;
            snprintf(k->last_err, sizeof k->last_err, "%.250s", e.msg);
        } else {
            old = k->set;
            k->set = ns;
            k->stale_at = sw_clock_now() + (double)ttl;
            k->expires_unix = (long long)time(NULL) + ttl;
            k->last_err[0] = '\0';
        }
        pthread_mutex_unlock(&k->mu);
        kset_release(old);
    }
    pthread_mutex_unlock(&k->fetch_mu);
    return go;
}

/* A reference to the current set; *due: a URL set that is stale and may be
 * refetched now. */
static kset *acquire(sw_jwt_keys *k, int *due)
{
    pthread_mutex_lock(&k->mu);
    kset *s = k->set;
    atomic_fetch_add(&s->refs, 1);
    double now = sw_clock_now();
    if (due) *due = k->is_url && now >= k->stale_at && now - k->last_fetch >= k->interval;
    pthread_mutex_unlock(&k->mu);
    return s;
}

int sw_jwt_keys_open(const char *src, double timeout_s, sw_jwt_keys **out, sw_error *err)
{
    *out = NULL;
    if (!src || !*src) return sw_fail(err, SW_ARG, "empty key source");
    sw_jwt_keys *k = sw_calloc(1, sizeof *k);
    if (!k) return sw_fail(err, SW_NOMEM, "out of memory");
    k->src = sw_strdup(src);
    if (!k->src) {
        sw_free(k);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    pthread_mutex_init(&k->mu, NULL);
    pthread_mutex_init(&k->fetch_mu, NULL);
    k->interval = REFETCH_DEFAULT;
    k->timeout_s = timeout_s > 0 ? timeout_s : TIMEOUT_DEFAULT;
    k->is_url = strncasecmp(src, "http://", 7) == 0 || strncasecmp(src, "https://", 8) == 0;
    int rc;
    if (k->is_url) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            rc = sw_fail(err, SW_NET, "%s: libcurl failed to initialise", src);
        } else {
            k->curl_ready = 1;
            long ttl = 0;
            k->last_fetch = sw_clock_now();
            k->fetches = 1;
            rc = fetch_keys(k, &k->set, &ttl, err);
            k->stale_at = sw_clock_now() + (double)ttl;
            k->expires_unix = (long long)time(NULL) + ttl;
        }
    } else {
        struct stat st;
        if (stat(src, &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
            rc = sw_error_set(err, SW_NOT_FOUND, src, 0, 0, -1, "key file not found");
        } else {
            unsigned char *data = NULL;
            size_t len = 0;
            rc = sw_read_file(src, KEYS_BYTES_MAX, &data, &len, err);
            if (!rc) rc = parse_keys(src, (const char *)data, len, &k->set, err);
            sw_free(data);
        }
    }
    if (rc) {
        sw_jwt_keys_free(k);
        return rc;
    }
    *out = k;
    return SW_OK;
}

void sw_jwt_keys_free(sw_jwt_keys *k)
{
    if (!k) return;
    kset_release(k->set);
    if (k->curl_ready) curl_global_cleanup();
    pthread_mutex_destroy(&k->mu);
    pthread_mutex_destroy(&k->fetch_mu);
    sw_free(k->src);
    sw_free(k);
}

int sw_jwt_keys_count(sw_jwt_keys *k)
{
    if (!k) return 0;
    pthread_mutex_lock(&k->mu);
    int n = k->set->n;
    pthread_mutex_unlock(&k->mu);
    return n;
}

long long sw_jwt_keys_expires(sw_jwt_keys *k)
{
    pthread_mutex_lock(&k->mu);
    long long t = k->expires_unix;
    pthread_mutex_unlock(&k->mu);
    return t;
}

void sw_jwt_keys_expire(sw_jwt_keys *k)
{
    if (!k->is_url) return;
    pthread_mutex_lock(&k->mu);
    k->stale_at = sw_clock_now();
    k->expires_unix = (long long)time(NULL);
    pthread_mutex_unlock(&k->mu);
}

void sw_jwt_keys_set_refetch_interval(sw_jwt_keys *k, double seconds)
{
    pthread_mutex_lock(&k->mu);
    k->interval = seconds > 0 ? seconds : 0;
    pthread_mutex_unlock(&k->mu);
}

void sw_jwt_keys_fetches(sw_jwt_keys *k, long *total, long *failed)
{
    pthread_mutex_lock(&k->mu);
    if (total) *total = k->fetches;
    if (failed) *failed = k->failed;
    pthread_mutex_unlock(&k->mu);
}

/* ---- verification ---------------------------------------------------------- */

/* 1: verified, 0: not, -1: out of memory. */
static int rs256_ok(EVP_PKEY *pk, const char *data, size_t dlen, const unsigned char *sig, size_t slen)
{
    if ((size_t)EVP_PKEY_get_size(pk) != slen) return 0;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    if (!m) return -1;
    EVP_PKEY_CTX *pc = NULL;
    int ok = EVP_DigestVerifyInit_ex(m, &pc, "SHA256", NULL, NULL, pk, NULL) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
             EVP_DigestVerify(m, sig, slen, (const unsigned char *)data, dlen) == 1;
    EVP_MD_CTX_free(m);
    if (!ok) ERR_clear_error();
    return ok;
}

/* Try every key the kid names (and every kid-less key; every key when the
 * token has no kid).  *tried: how many were candidates. */
static int try_keys(const kset *s, const char *kid, int has_kid, const char *data, size_t dlen,
                    const unsigned char *sig, size_t slen, int *tried)
{
    *tried = 0;
    for (int i = 0; i < s->n; i++) {
        const jkey *key = &s->v[i];
        if (has_kid && key->has_kid && strcmp(key->kid, kid) != 0) continue;
        (*tried)++;
        int r = rs256_ok(key->pk, data, dlen, sig, slen);
        if (r) return r;
    }
    return 0;
}

/* Printable text of an untrusted short string for a message. */
static void printable(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0, lim = cap - 4;
    for (size_t i = 0; i < len && o < lim; i++) out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (len > lim) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static int auth(sw_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int auth(sw_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sw_error_vset(err, SW_AUTH, NULL, 0, 0, -1, fmt, ap);
    va_end(ap);
    return rc;
}

/* The member `key` of an object; *dup when it appears more than once. */
static sw_jnode member(const sw_json *doc, sw_jnode obj, const char *key, int *dup)
{
    sw_jnode found = SW_JNONE;
    size_t kl = strlen(key);
    for (sw_jnode v = sw_json_first(doc, obj); v != SW_JNONE; v = sw_json_next(doc, v)) {
        size_t l;
        const char *k = sw_json_key(doc, v, &l);
        if (k && l == kl && memcmp(k, key, kl) == 0) {
            if (found != SW_JNONE) *dup = 1;
            found = v;
        }
    }
    return found;
}

/* A string claim into dst ("" when absent). */
static int claim_str(const sw_json *doc, sw_jnode v, const char *name, char *dst, size_t cap, sw_error *err)
{
    dst[0] = '\0';
    if (v == SW_JNONE) return SW_OK;
    size_t l;
    const char *s = sw_json_str(doc, v, &l);
    if (!s) return auth(err, "malformed token: claim \"%s\" is not a string", name);
    if (l >= cap || memchr(s, 0, l)) return auth(err, "malformed token: claim \"%s\" is too long or holds a NUL", name);
    memcpy(dst, s, l);
    dst[l] = '\0';
    return SW_OK;
}

/* A numeric date claim; *has 0 when absent. */
static int claim_time(const sw_json *doc, sw_jnode v, const char *name, double *t, int *has, sw_error *err)
{
    *has = 0;
    *t = 0;
    if (v == SW_JNONE) return SW_OK;
    if (sw_json_type_of(doc, v) != SW_JSON_NUMBER || sw_json_f64(doc, v, 0, t, NULL) != SW_OK || !isfinite(*t) ||
        fabs(*t) > TIME_MAX)
        return auth(err, "malformed token: claim \"%s\" is not a number of seconds", name);
    *has = 1;
    return SW_OK;
}

static int str_is(const char *s, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* The claims of a payload whose signature verified. */
static int check_claims(const sw_json *doc, const sw_jwt_policy *p, sw_jwt_claims *c, sw_error *err)
{
    sw_jnode root = sw_json_root(doc);
    if (sw_json_type_of(doc, root) != SW_JSON_OBJECT) return auth(err, "malformed token: payload is not an object");
    static const char *const names[] = {"exp", "iat", "nbf", "iss", "aud", "sub", "email", "email_verified"};
    sw_jnode m[8];
    for (int i = 0; i < 8; i++) {
        int dup = 0;
        m[i] = member(doc, root, names[i], &dup);
        if (dup) return auth(err, "malformed token: claim \"%s\" appears twice", names[i]);
    }
    double exp, iat, nbf;
    int has_exp, has_iat, has_nbf;
    SW_TRY(claim_time(doc, m[0], "exp", &exp, &has_exp, err));
    SW_TRY(claim_time(doc, m[1], "iat", &iat, &has_iat, err));
    SW_TRY(claim_time(doc, m[2], "nbf", &nbf, &has_nbf, err));
    SW_TRY(claim_str(doc, m[3], "iss", c->iss, sizeof c->iss, err));
    SW_TRY(claim_str(doc, m[5], "sub", c->sub, sizeof c->sub, err));
    SW_TRY(claim_str(doc, m[6], "email", c->email, sizeof c->email, err));
    c->exp = (long long)exp;
    c->iat = (long long)iat;
    sw_jnode ev = m[7];
    c->email_verified = ev != SW_JNONE && (sw_json_type_of(doc, ev) == SW_JSON_TRUE || sw_json_streq(doc, ev, "true"));

    /* aud: a string or an array of strings; the matching one (else the first) is kept */
    const char *want_aud = p && p->audience && *p->audience ? p->audience : NULL;
    int aud_ok = 0, naud = 0;
    sw_jnode aud = m[4];
    int is_arr = aud != SW_JNONE && sw_json_type_of(doc, aud) == SW_JSON_ARRAY;
    sw_jnode a = is_arr ? sw_json_first(doc, aud) : aud;
    for (; a != SW_JNONE; a = is_arr ? sw_json_next(doc, a) : SW_JNONE) {
        size_t l;
        const char *s = sw_json_str(doc, a, &l);
        if (!s) return auth(err, "malformed token: \"aud\" is not a string or an array of strings");
        if (memchr(s, 0, l) || l >= sizeof c->aud)
            return auth(err, "malformed token: an \"aud\" is too long or holds a NUL");
        int match = want_aud && str_is(s, l, want_aud);
        if (naud++ == 0 || (match && !aud_ok)) {
            memcpy(c->aud, s, l);
            c->aud[l] = '\0';
        }
        aud_ok |= match;
    }

    long long now = p && p->now ? p->now : (long long)time(NULL);
    int skew = p && p->skew_s > 0 ? p->skew_s : 0;
    if (!has_exp) return auth(err, "token has no exp claim");
    if ((double)now >= exp + skew)
        return auth(err, "token expired %.0f s ago (allowed skew %d s)", (double)now - exp, skew);
    if (has_iat && iat > (double)now + skew)
        return auth(err, "token iat is %.0f s in the future (allowed skew %d s)", iat - (double)now, skew);
    if (has_nbf && (double)now + skew < nbf)
        return auth(err, "token not valid yet: nbf is %.0f s in the future (allowed skew %d s)", nbf - (double)now,
                    skew);
    if (p && p->issuer && *p->issuer) {
        int ok = m[3] != SW_JNONE && (strcmp(c->iss, p->issuer) == 0 ||
                                      (strcmp(p->issuer, "https://accounts.google.com") == 0 &&
                                       strcmp(c->iss, "accounts.google.com") == 0));
        if (!ok) {
            char got[80];
            printable(c->iss, strlen(c->iss), got, sizeof got);
            return auth(err, "wrong issuer: iss is \"%s\", not %.200s", m[3] == SW_JNONE ? "(none)" : got, p->issuer);
        }
    }
    if (want_aud && !aud_ok) return auth(err, "wrong audience: aud does not name %.300s", want_aud);
    if (p && p->email && *p->email) {
        char got[80];
        printable(c->email, strlen(c->email), got, sizeof got);
        if (m[6] == SW_JNONE) return sw_fail(err, SW_DENIED, "token has no email claim (%.200s required)", p->email);
        if (strcmp(c->email, p->email) != 0)
            return sw_fail(err, SW_DENIED, "email %s is not the required %.200s", got, p->email);
        if (!c->email_verified) return sw_fail(err, SW_DENIED, "email %s is not verified", got);
    }
    return SW_OK;
}

/* Decode part [a, b) of the token into buf; SW_AUTH naming the part. */
static int decode_part(const char *token, size_t a, size_t b, const char *what, unsigned char *buf, size_t *n,
                       sw_error *err)
{
    sw_error e;
    if (sw_base64_decode(token + a, b - a, 1, buf, n, &e) != SW_OK) {
        sw_error_set(err, SW_AUTH, NULL, 0, 0, (long long)a + e.offset, "malformed token: %s is not base64url (%s)",
                     what, e.msg + (strncmp(e.msg, "base64: ", 8) == 0 ? 8 : 0));
        return SW_AUTH;
    }
    return SW_OK;
}

int sw_jwt_verify(sw_jwt_keys *k, const char *token, size_t len, const sw_jwt_policy *p, sw_jwt_claims *c,
                  sw_error *err)
{
    sw_jwt_claims scratch;
    if (!c) c = &scratch;
    memset(c, 0, sizeof *c);
    if (!k) return sw_fail(err, SW_ARG, "no key set");
    if (!token || len == 0) return auth(err, "empty token");
    if (len > SW_JWT_MAX_LEN) return auth(err, "token too long (%zu bytes, at most %d)", len, SW_JWT_MAX_LEN);
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d2) return auth(err, "malformed token: not three dot-separated parts");
    size_t i1 = (size_t)(d1 - token), i2 = (size_t)(d2 - token);
    if (memchr(d2 + 1, '.', len - i2 - 1)) return auth(err, "malformed token: more than three parts");
    if (i1 == 0 || i2 == i1 + 1) return auth(err, "malformed token: empty header or payload");

    /* payload then signature, decoded side by side */
    unsigned char *buf = sw_malloc((len / 4 + 2) * 3 + 1);
    if (!buf) return sw_fail(err, SW_NOMEM, "out of memory");
    sw_json *doc = NULL;
    kset *set = NULL;
    char kid[KID_MAX] = "";
    int has_kid = 0, rc;
    size_t n, pn;

    /* header: alg and kid */
    if ((rc = decode_part(token, 0, i1, "header", buf, &n, err))) goto done;
    sw_error je;
    sw_error_clear(&je);
    if ((rc = sw_json_parse("token header", (const char *)buf, n, &doc, &je))) {
        rc = rc == SW_NOMEM ? sw_fail(err, SW_NOMEM, "out of memory")
                            : auth(err, "malformed token: header is not JSON (byte %lld)", je.offset);
        goto done;
    }
    {
        sw_jnode root = sw_json_root(doc);
        int dup = 0;
        if (sw_json_type_of(doc, root) != SW_JSON_OBJECT) {
            rc = auth(err, "malformed token: header is not an object");
            goto done;
        }
        sw_jnode alg = member(doc, root, "alg", &dup), kn = member(doc, root, "kid", &dup);
        if (dup) {
            rc = auth(err, "malformed token: header names alg or kid twice");
            goto done;
        }
        size_t al;
        const char *as = sw_json_str(doc, alg, &al);
        if (!as) {
            rc = auth(err, "malformed token: header has no alg");
            goto done;
        }
        if (!str_is(as, al, "RS256")) {
            char shown[40];
            printable(as, al, shown, sizeof shown);
            rc = auth(err, "alg %s refused (only RS256 is accepted)", shown);
            goto done;
        }
        if (member(doc, root, "crit", &dup) != SW_JNONE) {
            rc = auth(err, "token header has crit extensions (not supported)");
            goto done;
        }
        if (kn != SW_JNONE) {
            size_t kl;
            const char *ks = sw_json_str(doc, kn, &kl);
            if (!ks || kl >= KID_MAX || memchr(ks, 0, kl)) {
                rc = auth(err, "malformed token: kid is not a string of at most %d bytes", KID_MAX - 1);
                goto done;
            }
            memcpy(kid, ks, kl);
            kid[kl] = '\0';
            has_kid = 1;
        }
        sw_json_free(doc);
        doc = NULL;
    }

    /* the payload must decode; it is read only once the signature verified */
    if ((rc = decode_part(token, i1 + 1, i2, "payload", buf, &pn, err))) goto done;
    unsigned char *sig = buf + pn;

    /* signature, against the keys the kid names */
    if (i2 + 1 == len) {
        rc = auth(err, "malformed token: empty signature");
        goto done;
    }
    if ((rc = decode_part(token, i2 + 1, len, "signature", sig, &n, err))) goto done;
    {
        int due = 0, tried = 0, fetched = 0, ok;
        set = acquire(k, &due);
        if (due) {
            fetched = refresh(k, 0);
            kset_release(set);
            set = acquire(k, NULL);
        }
        ok = try_keys(set, kid, has_kid, token, i2, sig, n, &tried);
        if (!tried && k->is_url && !fetched) { /* one fetch per token at most */
            refresh(k, 1);
            kset_release(set);
            set = acquire(k, NULL);
            ok = try_keys(set, kid, has_kid, token, i2, sig, n, &tried);
        }
        if (ok < 0) {
            rc = sw_fail(err, SW_NOMEM, "out of memory (OpenSSL)");
            goto done;
        }
        if (!tried) {
            char shown[80], why[300] = "";
            printable(kid, strlen(kid), shown, sizeof shown);
            pthread_mutex_lock(&k->mu);
            if (k->last_err[0]) snprintf(why, sizeof why, "; the last key refetch failed: %s", k->last_err);
            pthread_mutex_unlock(&k->mu);
            rc = auth(err, "unknown kid %s (no such key in %.200s)%s", shown, k->src, why);
            goto done;
        }
        if (!ok) {
            rc = auth(err, "bad signature (tried %d key%s)", tried, tried == 1 ? "" : "s");
            goto done;
        }
    }

    /* claims */
    if ((rc = sw_json_parse("token payload", (const char *)buf, pn, &doc, &je))) {
        rc = rc == SW_NOMEM ? sw_fail(err, SW_NOMEM, "out of memory")
                            : auth(err, "malformed token: payload is not JSON (byte %lld)", je.offset);
        goto done;
    }
    memcpy(c->kid, kid, sizeof c->kid);
    rc = check_claims(doc, p, c, err);

done:
    sw_json_free(doc);
    kset_release(set);
    sw_free(buf);
    return rc;
}
