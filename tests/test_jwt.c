/* test_jwt: RS256 push-token verification (io/jwt.h).
 *
 * Oracles: RFC 4648's base64 test vectors and hand-worked bad inputs; keys
 * made by the openssl command (genrsa, req -x509, rsa -pubout) and tokens
 * signed here with EVP_DigestSign, so a token verifies only if our parser,
 * key import (JWKS n/e, certificates, PEM) and verifier agree with OpenSSL's
 * signer; forged tokens built the way attacks build them (alg none, HS256
 * keyed with the public key's PEM bytes, another key's signature, an edited
 * payload).  The URL source is served by a small python3 http.server on
 * loopback whose files and Cache-Control the tests change. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "io/jwt.h"
#include "testutil.h"

#define NOW 1700000000LL
#define AUD "https://swish.example/push"
#define ISS "https://accounts.google.com"
#define EMAIL "pusher@proj.iam.gserviceaccount.com"
#define SKEW 30

/* Keys shared by every test (made once in the runner): k1, k2 RSA-2048. */
static char g_dir[256];
static char g_jwks[512], g_pem[512], g_map[512];

static char *path_in(const char *name)
{
    static char buf[8][600];
    static int i;
    char *p = buf[i++ % 8];
    snprintf(p, 600, "%s/%s", g_dir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
    fputs(text, fp);
    fclose(fp);
}

/* ---- test-side crypto ---------------------------------------------------- */

static void b64url(const unsigned char *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        out[o++] = a[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
    }
    out[o] = '\0';
}

static EVP_PKEY *load_key(const char *name)
{
    FILE *fp = fopen(path_in(name), "r");
    ck_assert_ptr_nonnull(fp);
    EVP_PKEY *pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    ck_assert_ptr_nonnull(pk);
    return pk;
}

static size_t sign_rs256(EVP_PKEY *pk, const char *data, size_t len, unsigned char *sig)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    size_t sl = 1024;
    ck_assert_int_eq(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, pk), 1);
    ck_assert_int_eq(EVP_DigestSign(m, sig, &sl, (const unsigned char *)data, len), 1);
    EVP_MD_CTX_free(m);
    return sl;
}

/* "b64(header).b64(payload)" */
static char *signing_input(const char *header, const char *payload)
{
    size_t hl = strlen(header), pl = strlen(payload);
    char *s = malloc((hl + pl) * 2 + 16);
    b64url((const unsigned char *)header, hl, s);
    strcat(s, ".");
    b64url((const unsigned char *)payload, pl, s + strlen(s));
    return s;
}

/* A token signed RS256 by `pk` (NULL: no signature). malloc'd. */
static char *make_token(EVP_PKEY *pk, const char *header, const char *payload)
{
    char *in = signing_input(header, payload);
    char *t = malloc(strlen(in) + 1600);
    strcpy(t, in);
    strcat(t, ".");
    if (pk) {
        unsigned char sig[1024];
        size_t sl = sign_rs256(pk, in, strlen(in), sig);
        b64url(sig, sl, t + strlen(t));
    }
    free(in);
    return t;
}

static char *payload_at(long long iat, long long exp, const char *extra)
{
    size_t cap = 1024 + (extra ? strlen(extra) : 0);
    char *p = malloc(cap);
    snprintf(p, cap,
             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"1077\",\"azp\":\"x\",\"email\":\"" EMAIL
             "\",\"email_verified\":true,\"iat\":%lld,\"exp\":%lld%s%s}",
             iat, exp, extra && *extra ? "," : "", extra ? extra : "");
    return p;
}

/* The usual token: k1 (kid "k1"), issued a minute ago, valid another hour. */
static char *good_token(EVP_PKEY *pk, const char *kid)
{
    char hdr[200], *p = payload_at(NOW - 60, NOW + 3600, NULL);
    snprintf(hdr, sizeof hdr, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":\"JWT\"}", kid);
    char *t = make_token(pk, hdr, p);
    free(p);
    return t;
}

static void jwk_of(EVP_PKEY *pk, const char *kid, char *out, size_t cap)
{
    BIGNUM *n = NULL, *e = NULL;
    ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e), 1);
    unsigned char nb[1024], eb[16];
    int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
    char ns[1500], es[32];
    b64url(nb, (size_t)nl, ns);
    b64url(eb, (size_t)el, es);
    snprintf(out, cap, "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}",
             kid, ns, es);
    BN_free(n);
    BN_free(e);
}

/* JSON text of a string (PEM: newlines and nothing else to escape). */
static void json_quote(const char *s, char *out)
{
    size_t o = 0;
    out[o++] = '"';
    for (; *s; s++) {
        if (*s == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *s;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

static void write_jwks(const char *path, int with_k2)
{
    EVP_PKEY *k1 = load_key("k1.pem"), *k2 = load_key("k2.pem");
    char j1[2000], j2[2000], doc[4200];
    jwk_of(k1, "k1", j1, sizeof j1);
    jwk_of(k2, "k2", j2, sizeof j2);
    snprintf(doc, sizeof doc, "{\"keys\":[%s%s%s]}", j1, with_k2 ? "," : "", with_k2 ? j2 : "");
    write_file(path, doc);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}

static void setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/swish-jwt-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
    char *out = NULL;
    int rc = tu_sh(&out,
                   "cd %s && openssl genrsa -out k1.pem 2048 && openssl genrsa -out k2.pem 2048 && "
                   "openssl rsa -in k1.pem -pubout -out k1.pub && openssl rsa -in k2.pem -pubout -out k2.pub && "
                   "openssl rsa -in k1.pem -RSAPublicKey_out -out k1.rsapub && "
                   "openssl req -x509 -new -key k1.pem -subj /CN=t -days 1 -out k1.crt && "
                   "openssl genrsa -out small.pem 1024 && openssl rsa -in small.pem -pubout -out small.pub && "
                   "openssl ecparam -name prime256v1 -genkey -noout -out ec.pem && "
                   "openssl ec -in ec.pem -pubout -out ec.pub",
                   g_dir);
    ck_assert_msg(rc == 0, "openssl failed: %s", out);
    free(out);
    snprintf(g_jwks, sizeof g_jwks, "%s/jwks.json", g_dir);
    snprintf(g_pem, sizeof g_pem, "%s/k1.pub", g_dir);
    snprintf(g_map, sizeof g_map, "%s/certs.json", g_dir);
    write_jwks(g_jwks, 0);
    char *crt = tu_slurp(path_in("k1.crt"), NULL), q[4000], doc[4200];
    json_quote(crt, q);
    snprintf(doc, sizeof doc, "{\"k1\": %s}", q);
    write_file(g_map, doc);
    free(crt);
}

static void teardown(void)
{
    if (g_dir[0]) tu_remove_tree(g_dir);
}

static sw_jwt_keys *open_ok(const char *src)
{
    sw_jwt_keys *k = NULL;
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_jwt_keys_open(src, 5, &k, &err);
    ck_assert_msg(rc == SW_OK, "open %s: %s %s", src, sw_status_name(rc), err.msg);
    return k;
}

static sw_jwt_policy policy(void)
{
    sw_jwt_policy p = {AUD, ISS, EMAIL, SKEW, NOW};
    return p;
}

static void expect_ok(sw_jwt_keys *k, const char *tok, const sw_jwt_policy *p, sw_jwt_claims *c)
{
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_jwt_verify(k, tok, strlen(tok), p, c, &err);
    ck_assert_msg(rc == SW_OK, "verify: %s %s", sw_status_name(rc), err.msg);
}

/* A refusal with `code` whose message names `why` and quotes neither the
 * payload nor the signature. */
static void expect_fail(sw_jwt_keys *k, const char *tok, const sw_jwt_policy *p, int code, const char *why)
{
    sw_error err;
    sw_error_clear(&err);
    sw_jwt_claims c;
    int rc = sw_jwt_verify(k, tok, strlen(tok), p, &c, &err);
    ck_assert_msg(rc == code, "expected %s (%s), got %s: %s", sw_status_name(code), why, sw_status_name(rc), err.msg);
    ck_assert_msg(strstr(err.msg, why) != NULL, "message \"%s\" does not say \"%s\"", err.msg, why);
    const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (d2 && strlen(d2 + 1) >= 12) ck_assert_msg(strstr(err.msg, d2 + 1) == NULL, "message quotes the signature");
    if (d2 && d2 - d1 > 12) {
        char part[64];
        snprintf(part, sizeof part, "%.12s", d1 + 1);
        ck_assert_msg(strstr(err.msg, part) == NULL, "message quotes the payload");
    }
}

/* ---- base64 ---------------------------------------------------------------- */

static void b64_ok(const char *in, int url, const char *want, size_t want_len)
{
    unsigned char out[64];
    size_t n = 99;
    sw_error err;
    int rc = sw_base64_decode(in, strlen(in), url, out, &n, &err);
    ck_assert_msg(rc == SW_OK, "\"%s\": %s", in, err.msg);
    ck_assert_msg(n == want_len && memcmp(out, want, n) == 0, "\"%s\" decoded to %zu other bytes", in, n);
}

static void b64_bad(const char *in, int url, long long off)
{
    unsigned char out[64];
    size_t n;
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_base64_decode(in, strlen(in), url, out, &n, &err);
    ck_assert_msg(rc == SW_PARSE, "\"%s\" accepted", in);
    ck_assert_msg(err.offset == off, "\"%s\": offset %lld, expected %lld (%s)", in, err.offset, off, err.msg);
}

START_TEST(test_base64)
{
    /* RFC 4648 section 10 */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        for (int url = 0; url < 2; url++) {
            b64_ok(enc[i], url, plain[i], strlen(plain[i]));
            char bare[16];
            snprintf(bare, sizeof bare, "%s", enc[i]);
            char *eq = strchr(bare, '=');
            if (eq) *eq = '\0';
            b64_ok(bare, url, plain[i], strlen(plain[i]));
        }
    }
    /* the two alphabets: 0xfb 0xff 0xbf is "+/+/" or "-_-_" */
    b64_ok("+/+/", 0, "\xfb\xff\xbf", 3);
    b64_ok("-_-_", 1, "\xfb\xff\xbf", 3);
    b64_ok("+/8=", 0, "\xfb\xff", 2);
    b64_ok("-_8", 1, "\xfb\xff", 2);
    b64_bad("-_-_", 0, 0);
    b64_bad("ab+/", 1, 2);
    /* bad characters, whitespace, misplaced or short padding, dangling
     * characters, nonzero unused bits */
    b64_bad("Zm9v YmFy", 0, 4);
    b64_bad("Zm9v\nYmFy", 0, 4);
    b64_bad("Zm9vYmFy ", 0, 8);
    b64_bad("Zm=v", 0, 3);
    b64_bad("Zg=", 0, 3);
    b64_bad("Zm9v=", 0, 4);
    b64_bad("====", 0, 0);
    b64_bad("Zm9vY===", 0, 5);
    b64_bad("Zg===", 0, 4);
    b64_bad("Zm8=Zm8=", 0, 4);
    b64_bad("Z", 1, 0);
    b64_bad("Zm9vY", 1, 4);
    b64_bad("Zh", 1, 1);
    b64_bad("Zm9", 1, 2);
    b64_bad("Zh==", 0, 1);
    b64_bad("Zm\x80v", 0, 2);
    /* out needs (len/4+1)*3: the largest output fills it exactly */
    unsigned char out[6];
    size_t n;
    ck_assert_int_eq(sw_base64_decode("Zm9vYmE", 7, 1, out, &n, NULL), SW_OK);
    ck_assert_uint_eq(n, 5);
}
END_TEST

/* ---- key sources ------------------------------------------------------------ */

START_TEST(test_key_sources)
{
    sw_jwt_keys *k = open_ok(g_jwks);
    ck_assert_int_eq(sw_jwt_keys_count(k), 1);
    ck_assert_int_eq(sw_jwt_keys_expires(k), 0);
    sw_jwt_keys_free(k);

    write_jwks(path_in("both.json"), 1);
    k = open_ok(path_in("both.json"));
    ck_assert_int_eq(sw_jwt_keys_count(k), 2);
    sw_jwt_keys_free(k);

    k = open_ok(g_map);
    ck_assert_int_eq(sw_jwt_keys_count(k), 1);
    sw_jwt_keys_free(k);

    k = open_ok(g_pem);
    ck_assert_int_eq(sw_jwt_keys_count(k), 1);
    sw_jwt_keys_free(k);

    /* a certificate, a SubjectPublicKeyInfo and a PKCS#1 key, with text between */
    char *out = NULL;
    ck_assert_int_eq(tu_sh(&out, "cd %s && { cat k1.crt; echo comment; cat k2.pub k1.rsapub; } > mixed.pem", g_dir),
                     0);
    free(out);
    k = open_ok(path_in("mixed.pem"));
    ck_assert_int_eq(sw_jwt_keys_count(k), 3);
    sw_jwt_keys_free(k);

    /* an EC key beside an RSA key is skipped */
    char j1[2000], doc[2600];
    EVP_PKEY *k1 = load_key("k1.pem");
    jwk_of(k1, "k1", j1, sizeof j1);
    EVP_PKEY_free(k1);
    snprintf(doc, sizeof doc,
             "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"e\",\"x\":\"AA\",\"y\":\"AA\"},%s,"
             "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
             j1);
    write_file(path_in("ec+rsa.json"), doc);
    k = open_ok(path_in("ec+rsa.json"));
    ck_assert_int_eq(sw_jwt_keys_count(k), 1);
    sw_jwt_keys_free(k);
    sw_jwt_keys_free(NULL);
}
END_TEST

static void open_fails(const char *src, int code, const char *why)
{
    sw_jwt_keys *k = (sw_jwt_keys *)1;
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_jwt_keys_open(src, 2, &k, &err);
    ck_assert_msg(rc == code, "%s: expected %s, got %s: %s", src, sw_status_name(code), sw_status_name(rc), err.msg);
    ck_assert_ptr_null(k);
    char line[1200];
    sw_error_format(&err, line, sizeof line);
    ck_assert_msg(strstr(line, why) != NULL, "%s: \"%s\" does not say \"%s\"", src, line, why);
}

static const char *text_file(const char *name, const char *text)
{
    const char *p = path_in(name);
    write_file(p, text);
    return p;
}

START_TEST(test_key_errors)
{
    open_fails(path_in("nope.json"), SW_NOT_FOUND, "nope.json");
    open_fails("", SW_ARG, "empty");
    open_fails(text_file("hello.txt", "hello"), SW_FORMAT, "neither");
    open_fails(text_file("broken.json", "{\"keys\": [}"), SW_PARSE, "broken.json");
    open_fails(text_file("keysobj.json", "{\"keys\": {}}"), SW_FORMAT, "not an array");
    open_fails(text_file("empty.json", "{\"keys\": []}"), SW_FORMAT, "no keys");
    open_fails(text_file("emptymap.json", "{}"), SW_FORMAT, "no keys");
    open_fails(text_file("non.json", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"e\":\"AQAB\"}]}"), SW_FORMAT,
               "keys[0]: \"n\"");
    open_fails(text_file("badn.json", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"AB*C\",\"e\":\"AQAB\"}]}"),
               SW_FORMAT, "\"n\" is not base64url");
    open_fails(text_file("bade.json", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"AQAB\",\"e\":\"Ag\"}]}"),
               SW_FORMAT, "\"e\"");
    open_fails(text_file("nokty.json", "{\"keys\":[{\"kid\":\"a\"}]}"), SW_FORMAT, "kty");
    open_fails(text_file("ec.json", "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}]}"),
               SW_UNSUPPORTED, "not RSA");
    open_fails(path_in("ec.pub"), SW_UNSUPPORTED, "not RSA");
    open_fails(path_in("small.pub"), SW_UNSUPPORTED, "under 2048 bits");
    open_fails(path_in("k1.pem"), SW_FORMAT, "private key");
    open_fails(text_file("mapnum.json", "{\"k1\": 7}"), SW_FORMAT, "not a string");
    open_fails(text_file("mapjunk.json",
                         "{\"k1\": \"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n\"}"),
               SW_FORMAT, "not a PEM certificate");
    open_fails(text_file("junk.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), SW_FORMAT,
               "does not decode");
}
END_TEST

/* ---- verification ------------------------------------------------------------ */

START_TEST(test_good_tokens)
{
    EVP_PKEY *k1 = load_key("k1.pem");
    sw_jwt_policy p = policy();
    const char *srcs[] = {g_jwks, g_map, g_pem, path_in("k1.crt")};
    for (int i = 0; i < 4; i++) {
        sw_jwt_keys *k = open_ok(srcs[i]);
        char *t = good_token(k1, "k1");
        sw_jwt_claims c;
        expect_ok(k, t, &p, &c);
        ck_assert_str_eq(c.iss, ISS);
        ck_assert_str_eq(c.aud, AUD);
        ck_assert_str_eq(c.sub, "1077");
        ck_assert_str_eq(c.email, EMAIL);
        ck_assert_str_eq(c.kid, "k1");
        ck_assert_int_eq(c.email_verified, 1);
        ck_assert_int_eq(c.iat, NOW - 60);
        ck_assert_int_eq(c.exp, NOW + 3600);
        free(t);
        /* PEM keys have no kid: any kid, or none, finds them */
        t = good_token(k1, "some-other-kid");
        if (i >= 2) {
            expect_ok(k, t, &p, &c);
        } else {
            expect_fail(k, t, &p, SW_AUTH, "unknown kid some-other-kid");
        }
        free(t);
        char *pl = payload_at(NOW, NOW + 10, NULL);
        t = make_token(k1, "{\"alg\":\"RS256\"}", pl);
        expect_ok(k, t, &p, &c);
        ck_assert_str_eq(c.kid, "");
        free(t);
        free(pl);
        sw_jwt_keys_free(k);
    }
    /* a NULL policy checks exp only, against the clock */
    sw_jwt_keys *k = open_ok(g_jwks);
    char *pl = payload_at(0, (long long)time(NULL) + 600, NULL);
    char *t = make_token(k1, "{\"alg\":\"RS256\",\"kid\":\"k1\"}", pl);
    expect_ok(k, t, NULL, NULL);
    free(t);
    free(pl);
    pl = payload_at(0, NOW + 600, NULL);
    t = make_token(k1, "{\"alg\":\"RS256\",\"kid\":\"k1\"}", pl);
    expect_fail(k, t, NULL, SW_AUTH, "expired");
    free(t);
    free(pl);
    sw_jwt_keys_free(k);
    EVP_PKEY_free(k1);
}
END_TEST

/* A token with the given header, claims (NOW-relative iat/exp) and signer. */
static char *tok_h(EVP_PKEY *pk, const char *hdr, long long iat, long long exp, const char *extra)
{
    char *pl = payload_at(iat, exp, extra);
    char *t = make_token(pk, hdr, pl);
    free(pl);
    return t;
}
#define H1 "{\"alg\":\"RS256\",\"kid\":\"k1\"}"

/* A token with a payload of our own (not payload_at's). */
static char *tok_raw(EVP_PKEY *pk, const char *hdr, const char *pl)
{
    return make_token(pk, hdr, pl);
}

START_TEST(test_forgeries)
{
    EVP_PKEY *k1 = load_key("k1.pem"), *k2 = load_key("k2.pem");
    sw_jwt_keys *k = open_ok(g_jwks), *kp = open_ok(g_pem);
    sw_jwt_policy p = policy();
    char *good = good_token(k1, "k1");
    expect_ok(k, good, &p, NULL);

    /* an edited payload under the original signature */
    char *other = tok_h(k1, H1, NOW - 60, NOW + 86400 * 365, NULL);
    char *d1 = strchr(good, '.'), *d2 = strchr(d1 + 1, '.');
    char *o1 = strchr(other, '.'), *o2 = strchr(o1 + 1, '.');
    char forged[4096];
    snprintf(forged, sizeof forged, "%.*s%s", (int)(o2 - other), other, d2);
    expect_fail(k, forged, &p, SW_AUTH, "bad signature");
    /* a one-character edit of the payload */
    snprintf(forged, sizeof forged, "%s", good);
    char *c = forged + (d1 - good) + 5;
    *c = *c == 'A' ? 'B' : 'A';
    expect_fail(k, forged, &p, SW_AUTH, "bad signature");
    free(other);

    /* signed by k2 under k1's kid; k1's input with k2's signature */
    char *t = good_token(k2, "k1");
    expect_fail(k, t, &p, SW_AUTH, "bad signature");
    expect_fail(kp, t, &p, SW_AUTH, "bad signature");
    char *t2s = strrchr(t, '.');
    snprintf(forged, sizeof forged, "%.*s%s", (int)(d2 - good), good, t2s);
    expect_fail(k, forged, &p, SW_AUTH, "bad signature");
    free(t);
    /* a signature one byte short, and an empty one */
    {
        char *in = strndup(good, (size_t)(d2 - good));
        unsigned char sig[1024];
        size_t sl = sign_rs256(k1, in, strlen(in), sig);
        char s64[1500];
        b64url(sig, sl - 1, s64);
        snprintf(forged, sizeof forged, "%s.%s", in, s64);
        expect_fail(k, forged, &p, SW_AUTH, "bad signature");
        b64url(sig, sl, s64);
        snprintf(forged, sizeof forged, "%s.%s", in, s64);
        expect_ok(k, forged, &p, NULL);
        free(in);
    }
    snprintf(forged, sizeof forged, "%.*s", (int)(d2 - good) + 1, good);
    expect_fail(k, forged, &p, SW_AUTH, "empty signature");

    /* alg none, with and without a signature */
    t = tok_h(NULL, "{\"alg\":\"none\",\"kid\":\"k1\"}", NOW - 60, NOW + 60, NULL);
    expect_fail(k, t, &p, SW_AUTH, "alg none refused");
    snprintf(forged, sizeof forged, "%s%s", t, d2 + 1);
    expect_fail(k, forged, &p, SW_AUTH, "alg none refused");
    free(t);
    t = tok_h(NULL, "{\"alg\":\"None\",\"typ\":\"JWT\"}", NOW - 60, NOW + 60, NULL);
    expect_fail(kp, t, &p, SW_AUTH, "alg None refused");
    free(t);

    /* HS256 keyed with the public key's PEM bytes (the key-confusion attack) */
    size_t publen;
    char *pub = tu_slurp(g_pem, &publen);
    char *pl = payload_at(NOW - 60, NOW + 60, NULL);
    const char *hdrs[] = {"{\"alg\":\"HS256\",\"kid\":\"k1\"}", "{\"alg\":\"HS256\"}"};
    for (int i = 0; i < 2; i++) {
        char *in = signing_input(hdrs[i], pl);
        unsigned char mac[64];
        unsigned ml = 0;
        HMAC(EVP_sha256(), pub, (int)publen, (const unsigned char *)in, strlen(in), mac, &ml);
        char ms[100];
        b64url(mac, ml, ms);
        snprintf(forged, sizeof forged, "%s.%s", in, ms);
        expect_fail(k, forged, &p, SW_AUTH, "alg HS256 refused");
        expect_fail(kp, forged, &p, SW_AUTH, "alg HS256 refused");
        free(in);
    }
    free(pl);
    free(pub);

    /* other algs and headers */
    const char *bad_hdr[][2] = {
        {"{\"alg\":\"RS512\",\"kid\":\"k1\"}", "alg RS512 refused"},
        {"{\"alg\":\"PS256\",\"kid\":\"k1\"}", "alg PS256 refused"},
        {"{\"kid\":\"k1\"}", "no alg"},
        {"{\"alg\":7,\"kid\":\"k1\"}", "no alg"},
        {"{\"alg\":\"RS256\",\"alg\":\"none\",\"kid\":\"k1\"}", "twice"},
        {"{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[\"b64\"],\"b64\":false}", "crit"},
        {"{\"alg\":\"RS256\",\"kid\":7}", "kid is not a string"},
        {"[\"RS256\"]", "header is not an object"},
        {"{\"alg\":\"RS256\",\"kid\":\"k9\"}", "unknown kid k9"},
    };
    for (size_t i = 0; i < sizeof bad_hdr / sizeof bad_hdr[0]; i++) {
        t = tok_h(k1, bad_hdr[i][0], NOW - 60, NOW + 60, NULL);
        expect_fail(k, t, &p, SW_AUTH, bad_hdr[i][1]);
        free(t);
    }
    free(good);
    sw_jwt_keys_free(k);
    sw_jwt_keys_free(kp);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}
END_TEST

START_TEST(test_malformed)
{
    EVP_PKEY *k1 = load_key("k1.pem");
    sw_jwt_keys *k = open_ok(g_jwks);
    sw_jwt_policy p = policy();
    char *good = good_token(k1, "k1");
    const char *d1 = strchr(good, '.'), *d2 = strchr(d1 + 1, '.');
    char t[20000];

    expect_fail(k, "", &p, SW_AUTH, "empty token");
    expect_fail(k, "abc", &p, SW_AUTH, "three");
    snprintf(t, sizeof t, "%.*s", (int)(d2 - good), good);
    expect_fail(k, t, &p, SW_AUTH, "three");
    snprintf(t, sizeof t, "%s.x", good);
    expect_fail(k, t, &p, SW_AUTH, "more than three");
    snprintf(t, sizeof t, "%s", d1);
    expect_fail(k, t, &p, SW_AUTH, "empty header");
    /* a bad character in each part, at its offset in the token */
    snprintf(t, sizeof t, "%s", good);
    t[3] = '*';
    sw_error err;
    ck_assert_int_eq(sw_jwt_verify(k, t, strlen(t), &p, NULL, &err), SW_AUTH);
    ck_assert_int_eq(err.offset, 3);
    expect_fail(k, t, &p, SW_AUTH, "header is not base64url");
    snprintf(t, sizeof t, "%s", good);
    t[d2 - good + 7] = '+';
    ck_assert_int_eq(sw_jwt_verify(k, t, strlen(t), &p, NULL, &err), SW_AUTH);
    ck_assert_int_eq(err.offset, d2 - good + 7);
    expect_fail(k, t, &p, SW_AUTH, "signature is not base64url");
    snprintf(t, sizeof t, "%s", good);
    t[d1 - good + 2] = '=';
    expect_fail(k, t, &p, SW_AUTH, "payload is not base64url");
    /* "Bearer " left on, whitespace */
    snprintf(t, sizeof t, "Bearer %s", good);
    expect_fail(k, t, &p, SW_AUTH, "header is not base64url");
    snprintf(t, sizeof t, "%s\n", good);
    expect_fail(k, t, &p, SW_AUTH, "signature is not base64url");
    /* the header is not JSON */
    char *x = tok_raw(k1, "{\"alg\":\"RS256\"", "{}");
    expect_fail(k, x, &p, SW_AUTH, "header is not JSON");
    free(x);
    /* a signed payload that is not JSON, not an object */
    x = tok_raw(k1, H1, "{\"exp\": 1");
    expect_fail(k, x, &p, SW_AUTH, "payload is not JSON");
    free(x);
    x = tok_raw(k1, H1, "[1]");
    expect_fail(k, x, &p, SW_AUTH, "payload is not an object");
    free(x);
    /* too long: 16 KiB + 1, even when otherwise well formed */
    char pad[17000];
    memset(pad, 'a', sizeof pad);
    snprintf(t, sizeof t, "\"x\":\"%.*s\"", 12000, pad);
    x = tok_h(k1, H1, NOW - 60, NOW + 60, t);
    ck_assert_uint_gt(strlen(x), SW_JWT_MAX_LEN);
    expect_fail(k, x, &p, SW_AUTH, "too long");
    free(x);
    memset(t, 'a', SW_JWT_MAX_LEN + 1);
    t[SW_JWT_MAX_LEN + 1] = '\0';
    expect_fail(k, t, &p, SW_AUTH, "too long");
    free(good);
    sw_jwt_keys_free(k);
    EVP_PKEY_free(k1);
}
END_TEST

START_TEST(test_claims)
{
    EVP_PKEY *k1 = load_key("k1.pem");
    sw_jwt_keys *k = open_ok(g_jwks);
    sw_jwt_policy p = policy();
    sw_jwt_claims c;
    char *t;

    /* exp: expired by skew+1 (and exactly skew) refused, skew-1 accepted */
    t = tok_h(k1, H1, NOW - 600, NOW - SKEW - 1, NULL);
    expect_fail(k, t, &p, SW_AUTH, "expired 31 s ago");
    free(t);
    t = tok_h(k1, H1, NOW - 600, NOW - SKEW, NULL);
    expect_fail(k, t, &p, SW_AUTH, "expired");
    free(t);
    t = tok_h(k1, H1, NOW - 600, NOW - SKEW + 1, NULL);
    expect_ok(k, t, &p, &c);
    free(t);
    /* with no skew, a token is over at exp */
    sw_jwt_policy p0 = p;
    p0.skew_s = 0;
    t = tok_h(k1, H1, NOW - 600, NOW, NULL);
    expect_fail(k, t, &p0, SW_AUTH, "expired");
    free(t);
    /* iat: in the future by skew+1 refused, skew-1 accepted */
    t = tok_h(k1, H1, NOW + SKEW + 1, NOW + 3600, NULL);
    expect_fail(k, t, &p, SW_AUTH, "iat is 31 s in the future");
    free(t);
    t = tok_h(k1, H1, NOW + SKEW - 1, NOW + 3600, NULL);
    expect_ok(k, t, &p, &c);
    free(t);
    /* nbf when present */
    t = tok_h(k1, H1, NOW - 60, NOW + 3600, "\"nbf\":1700000100");
    expect_fail(k, t, &p, SW_AUTH, "not valid yet");
    free(t);
    t = tok_h(k1, H1, NOW - 60, NOW + 3600, "\"nbf\":1700000010");
    expect_ok(k, t, &p, &c);
    free(t);

    /* numbers as floats; exp missing or not a number */
    char pl[1024];
    snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":\"%s\",\"email\":\"%s\",\"email_verified\":true,"
             "\"iat\":1.6999999995e9,\"exp\":%lld.75}", ISS, AUD, EMAIL, NOW + 100);
    t = tok_raw(k1, H1, pl);
    expect_ok(k, t, &p, &c);
    ck_assert_int_eq(c.exp, NOW + 100);
    ck_assert_int_eq(c.iat, 1699999999);
    free(t);
    snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":\"%s\",\"email\":\"%s\",\"email_verified\":true,\"iat\":%lld}",
             ISS, AUD, EMAIL, NOW);
    t = tok_raw(k1, H1, pl);
    expect_fail(k, t, &p, SW_AUTH, "no exp");
    free(t);
    snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":\"%lld\"}", ISS, AUD, NOW + 100);
    t = tok_raw(k1, H1, pl);
    expect_fail(k, t, &p, SW_AUTH, "\"exp\" is not a number");
    free(t);
    t = tok_h(k1, H1, NOW - 60, NOW + 60, "\"exp\":1700000500");
    expect_fail(k, t, &p, SW_AUTH, "\"exp\" appears twice");
    free(t);
    t = tok_h(k1, H1, NOW - 60, NOW + 60, "\"aud\":\"" AUD "\"");
    expect_fail(k, t, &p, SW_AUTH, "\"aud\" appears twice");
    free(t);
    t = tok_h(k1, H1, NOW - 60, NOW + 60, "\"sub\":7");
    expect_fail(k, t, &p, SW_AUTH, "twice");
    free(t);

    /* issuer: exact, and the Google variant without https:// */
    struct {
        const char *iss;
        int ok;
    } iss[] = {{"accounts.google.com", 1}, {"https://accounts.google.com/", 0}, {"accounts.google.com.evil", 0},
               {"https://accounts.google.co", 0}, {"HTTPS://ACCOUNTS.GOOGLE.COM", 0}};
    for (size_t i = 0; i < sizeof iss / sizeof iss[0]; i++) {
        snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":\"%s\",\"email\":\"%s\",\"email_verified\":true,"
                 "\"iat\":%lld,\"exp\":%lld}", iss[i].iss, AUD, EMAIL, NOW, NOW + 60);
        t = tok_raw(k1, H1, pl);
        if (iss[i].ok) {
            expect_ok(k, t, &p, &c);
            ck_assert_str_eq(c.iss, iss[i].iss);
        } else {
            expect_fail(k, t, &p, SW_AUTH, "wrong issuer");
        }
        free(t);
    }
    /* ... and only for https://accounts.google.com */
    sw_jwt_policy pi = p;
    pi.issuer = "https://issuer.example";
    snprintf(pl, sizeof pl, "{\"iss\":\"issuer.example\",\"aud\":\"%s\",\"exp\":%lld}", AUD, NOW + 60);
    t = tok_raw(k1, H1, pl);
    expect_fail(k, t, &pi, SW_AUTH, "wrong issuer");
    pi.issuer = NULL;
    pi.email = NULL;
    expect_ok(k, t, &pi, &c);
    free(t);

    /* audience: a string, or one of an array */
    snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":[\"other\",\"%s\"],\"email\":\"%s\",\"email_verified\":true,"
             "\"exp\":%lld}", ISS, AUD, EMAIL, NOW + 60);
    t = tok_raw(k1, H1, pl);
    expect_ok(k, t, &p, &c);
    ck_assert_str_eq(c.aud, AUD);
    free(t);
    const char *bad_aud[][2] = {{"\"aud\":\"" AUD "/x\"", "wrong audience"},
                                {"\"aud\":[\"a\",\"b\"]", "wrong audience"},
                                {"\"aud\":[]", "wrong audience"},
                                {"\"aud\":[\"" AUD "\",7]", "not a string or an array"},
                                {"\"aud\":7", "not a string or an array"},
                                {"\"x\":1", "wrong audience"}};
    for (size_t i = 0; i < sizeof bad_aud / sizeof bad_aud[0]; i++) {
        snprintf(pl, sizeof pl, "{\"iss\":\"%s\",%s,\"email\":\"%s\",\"email_verified\":true,\"exp\":%lld}", ISS,
                 bad_aud[i][0], EMAIL, NOW + 60);
        t = tok_raw(k1, H1, pl);
        expect_fail(k, t, &p, SW_AUTH, bad_aud[i][1]);
        free(t);
    }

    /* email: AUTH checks first, then DENIED for a valid token of someone else */
    const char *bad_email[][2] = {{"\"email\":\"evil@x.iam.gserviceaccount.com\",\"email_verified\":true",
                                   "is not the required"},
                                  {"\"email\":\"" EMAIL "\",\"email_verified\":false", "not verified"},
                                  {"\"email\":\"" EMAIL "\",\"email_verified\":\"false\"", "not verified"},
                                  {"\"email\":\"" EMAIL "\"", "not verified"},
                                  {"\"email\":\"" EMAIL "x\",\"email_verified\":true", "is not the required"},
                                  {"\"email_verified\":true", "no email claim"}};
    for (size_t i = 0; i < sizeof bad_email / sizeof bad_email[0]; i++) {
        snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":\"%s\",%s,\"exp\":%lld}", ISS, AUD, bad_email[i][0],
                 NOW + 60);
        t = tok_raw(k1, H1, pl);
        expect_fail(k, t, &p, SW_DENIED, bad_email[i][1]);
        /* the claims name the caller */
        sw_error err;
        ck_assert_int_eq(sw_jwt_verify(k, t, strlen(t), &p, &c, &err), SW_DENIED);
        ck_assert_str_eq(c.aud, AUD);
        free(t);
    }
    snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":\"%s\",\"email\":\"%s\",\"email_verified\":\"true\","
             "\"exp\":%lld}", ISS, AUD, EMAIL, NOW + 60);
    t = tok_raw(k1, H1, pl);
    expect_ok(k, t, &p, &c);
    ck_assert_int_eq(c.email_verified, 1);
    free(t);
    /* an expired token of someone else is AUTH, not DENIED */
    snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":\"%s\",\"email\":\"evil@x\",\"email_verified\":true,"
             "\"exp\":%lld}", ISS, AUD, NOW - 3600);
    t = tok_raw(k1, H1, pl);
    expect_fail(k, t, &p, SW_AUTH, "expired");
    free(t);
    /* a claim longer than its field */
    char big[400];
    memset(big, 's', 300);
    big[300] = '\0';
    snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"%s\",\"exp\":%lld}", ISS, AUD, big, NOW + 60);
    t = tok_raw(k1, H1, pl);
    expect_fail(k, t, &p, SW_AUTH, "\"sub\" is too long");
    free(t);
    sw_jwt_keys_free(k);
    EVP_PKEY_free(k1);
}
END_TEST

/* ---- URL source ---------------------------------------------------------------- */

/* A python3 http.server on loopback serving g_dir/www: FILE with the header
 * lines of FILE.headers, 404 for missing files; killed with the test. */
typedef struct {
    int pid, port;
    char url[128];
} www;

static const char *SERVER_PY =
    "import http.server, os, sys, threading\n"
    "root, port = sys.argv[1], int(sys.argv[2])\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        p = os.path.join(root, self.path.lstrip('/'))\n"
    "        try:\n"
    "            body = open(p, 'rb').read()\n"
    "        except OSError:\n"
    "            self.send_error(404)\n"
    "            return\n"
    "        self.send_response(200)\n"
    "        self.send_header('Content-Type', 'application/json')\n"
    "        self.send_header('Content-Length', str(len(body)))\n"
    "        if os.path.exists(p + '.headers'):\n"
    "            for line in open(p + '.headers'):\n"
    "                if ':' in line:\n"
    "                    k, v = line.split(':', 1)\n"
    "                    self.send_header(k.strip(), v.strip())\n"
    "        self.end_headers()\n"
    "        self.wfile.write(body)\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "threading.Timer(120, os._exit, [1]).start()  # bounded, whatever happens to the test\n"
    "http.server.ThreadingHTTPServer(('127.0.0.1', port), H).serve_forever()\n";

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void www_start(www *w)
{
    char *out = NULL;
    ck_assert_int_eq(tu_sh(&out, "mkdir -p %s/www", g_dir), 0);
    free(out);
    const char *script = path_in("server.py"), *root = path_in("www");
    write_file(script, SERVER_PY);
    w->port = tu_free_port();
    snprintf(w->url, sizeof w->url, "http://127.0.0.1:%d", w->port);
    char port[16];
    snprintf(port, sizeof port, "%d", w->port);
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        /* nothing of the test's (its stdout may be a pipe someone waits on) */
        int null = open("/dev/null", O_RDWR), log = open(path_in("server.log"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        if (log >= 0) dup2(log, 2);
        execlp("python3", "python3", script, root, port, (char *)NULL);
        _exit(127);
    }
    w->pid = (int)pid;
    /* ready when it accepts a connection (at most 10 s) */
    double until = mono() + 10;
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)w->port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok) break;
        int st;
        if (waitpid(pid, &st, WNOHANG) != 0) {
            char *log = tu_slurp(path_in("server.log"), NULL);
            ck_abort_msg("the python3 key server exited (is python3 installed?): %.1000s", log ? log : "");
        }
        ck_assert_msg(mono() < until, "the python3 key server did not start");
        usleep(20000);
    }
}

static void www_stop(www *w)
{
    if (w->pid <= 0) return;
    kill(w->pid, SIGTERM);
    int st;
    double until = mono() + 5;
    while (waitpid(w->pid, &st, WNOHANG) == 0) {
        if (mono() > until) {
            kill(w->pid, SIGKILL);
            waitpid(w->pid, &st, 0);
            break;
        }
        usleep(10000);
    }
    w->pid = -1;
}

static void www_put(const char *name, const char *headers, int with_k2)
{
    char p[600];
    snprintf(p, sizeof p, "%s/www/%s.tmp", g_dir, name);
    write_jwks(p, with_k2);
    char q[600];
    snprintf(q, sizeof q, "%s/www/%s", g_dir, name);
    ck_assert_int_eq(rename(p, q), 0);
    snprintf(q, sizeof q, "%s/www/%s.headers", g_dir, name);
    write_file(q, headers ? headers : "");
}

static void expect_ttl(sw_jwt_keys *k, long long ttl)
{
    long long left = sw_jwt_keys_expires(k) - (long long)time(NULL);
    ck_assert_msg(left <= ttl && left >= ttl - 3, "keys expire in %lld s, expected %lld", left, ttl);
}

static void expect_fetches(sw_jwt_keys *k, long total, long failed)
{
    long t, f;
    sw_jwt_keys_fetches(k, &t, &f);
    ck_assert_msg(t == total && f == failed, "%ld fetches (%ld failed), expected %ld (%ld)", t, f, total, failed);
}

START_TEST(test_url_source)
{
    EVP_PKEY *k1 = load_key("k1.pem"), *k2 = load_key("k2.pem");
    www w;
    www_start(&w);
    www_put("certs", "Cache-Control: public, max-age=120, must-revalidate, no-transform\n", 0);
    char url[256];
    snprintf(url, sizeof url, "%s/certs", w.url);
    sw_jwt_keys *k = open_ok(url);
    ck_assert_int_eq(sw_jwt_keys_count(k), 1);
    expect_ttl(k, 120);
    expect_fetches(k, 1, 0);
    sw_jwt_policy p = policy();
    char *t1 = good_token(k1, "k1"), *t2 = good_token(k2, "k2"), *t3 = good_token(k2, "k3");
    expect_ok(k, t1, &p, NULL);
    expect_fetches(k, 1, 0);

    /* rotation: k2 is published; within 30 s of the last fetch an unknown kid
     * does not refetch, after that it does and the token verifies */
    www_put("certs", "Cache-Control: max-age=5\n", 1);
    expect_fail(k, t2, &p, SW_AUTH, "unknown kid k2");
    expect_fetches(k, 1, 0);
    sw_jwt_keys_set_refetch_interval(k, 0);
    expect_ok(k, t2, &p, NULL);
    expect_fetches(k, 2, 0);
    ck_assert_int_eq(sw_jwt_keys_count(k), 2);
    expect_ttl(k, 60); /* max-age=5 clamped to 60 */
    expect_ok(k, t1, &p, NULL);
    expect_fetches(k, 2, 0); /* fresh: no fetch for known kids */

    /* a stale set is refetched on the next verification */
    www_put("certs", "Cache-Control: max-age=999999\n", 1);
    sw_jwt_keys_expire(k);
    expect_ok(k, t1, &p, NULL);
    expect_fetches(k, 3, 0);
    expect_ttl(k, 86400);
    www_put("certs", NULL, 1);
    sw_jwt_keys_expire(k);
    expect_ok(k, t1, &p, NULL);
    expect_ttl(k, 3600);
    www_put("certs", "Cache-Control: no-transform, max-age=1000\nAge: 300\n", 1);
    sw_jwt_keys_expire(k);
    expect_ok(k, t1, &p, NULL);
    expect_ttl(k, 700);
    expect_fetches(k, 5, 0);

    /* a refetch that fails keeps the last good keys */
    www_put("certs", "Cache-Control: max-age=100\n", 0);
    char bad[600];
    snprintf(bad, sizeof bad, "%s/www/certs", g_dir);
    write_file(bad, "{\"keys\": [");
    sw_jwt_keys_expire(k);
    expect_ok(k, t2, &p, NULL);
    expect_fetches(k, 6, 1);
    expect_fail(k, t3, &p, SW_AUTH, "refetch failed");
    expect_fetches(k, 7, 2);
    ck_assert_int_eq(sw_jwt_keys_count(k), 2);

    /* server gone: the last good keys still verify */
    www_stop(&w);
    sw_jwt_keys_expire(k);
    expect_ok(k, t1, &p, NULL);
    expect_ok(k, t2, &p, NULL);
    expect_fail(k, t3, &p, SW_AUTH, "unknown kid k3");
    long total, failed;
    sw_jwt_keys_fetches(k, &total, &failed);
    ck_assert_int_eq(total - failed, 5);
    ck_assert_int_ge(failed, 3);
    sw_jwt_keys_free(k);

    /* at open, an unreachable URL or a non-200 answer is SW_NET */
    open_fails(url, SW_NET, "127.0.0.1");
    www_start(&w);
    snprintf(url, sizeof url, "%s/missing", w.url);
    open_fails(url, SW_NET, "HTTP 404");
    snprintf(url, sizeof url, "%s/server.py", w.url);
    write_file(path_in("www/server.py"), "print(1)\n");
    open_fails(url, SW_FORMAT, "neither");
    www_stop(&w);
    free(t1);
    free(t2);
    free(t3);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}
END_TEST

/* ---- threads ------------------------------------------------------------------ */

#define NTOK 200
typedef struct {
    sw_jwt_keys *k;
    char **tok;
    int id, ok;
} worker;

static void *verify_all(void *arg)
{
    worker *w = arg;
    sw_jwt_policy p = policy();
    for (int i = 0; i < NTOK; i++) {
        int j = (i + w->id * 50) % NTOK;
        sw_jwt_claims c;
        sw_error err;
        if (w->id == 0 && i % 40 == 0) sw_jwt_keys_expire(w->k); /* refetches while others verify */
        if (sw_jwt_verify(w->k, w->tok[j], strlen(w->tok[j]), &p, &c, &err) != SW_OK) continue;
        char sub[32];
        snprintf(sub, sizeof sub, "s%d", j);
        if (strcmp(c.sub, sub) == 0) w->ok++;
    }
    return NULL;
}

START_TEST(test_threads)
{
    EVP_PKEY *k1 = load_key("k1.pem"), *k2 = load_key("k2.pem");
    char **tok = malloc(NTOK * sizeof *tok);
    for (int i = 0; i < NTOK; i++) {
        char pl[400];
        snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"s%d\",\"email\":\"%s\","
                 "\"email_verified\":true,\"iat\":%lld,\"exp\":%lld}", ISS, AUD, i, EMAIL, NOW, NOW + 600);
        tok[i] = make_token(i % 2 ? k2 : k1, i % 2 ? "{\"alg\":\"RS256\",\"kid\":\"k2\"}" : H1, pl);
    }
    www w;
    www_start(&w);
    www_put("jwks", "Cache-Control: max-age=600\n", 1);
    char url[256];
    snprintf(url, sizeof url, "%s/jwks", w.url);
    write_jwks(path_in("both.json"), 1);
    sw_jwt_keys *ks[2] = {open_ok(path_in("both.json")), open_ok(url)};
    sw_jwt_keys_set_refetch_interval(ks[1], 0);
    for (int s = 0; s < 2; s++) {
        pthread_t th[4];
        worker wk[4];
        for (int i = 0; i < 4; i++) {
            wk[i] = (worker){ks[s], tok, i, 0};
            ck_assert_int_eq(pthread_create(&th[i], NULL, verify_all, &wk[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            ck_assert_msg(wk[i].ok == NTOK, "source %d thread %d: %d of %d verified", s, i, wk[i].ok, NTOK);
        }
    }
    long total;
    sw_jwt_keys_fetches(ks[1], &total, NULL);
    ck_assert_int_gt(total, 1);
    sw_jwt_keys_free(ks[0]);
    sw_jwt_keys_free(ks[1]);
    www_stop(&w);
    for (int i = 0; i < NTOK; i++) free(tok[i]);
    free(tok);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}
END_TEST

/* Every allocation failing in turn: SW_NOMEM, nothing leaked (ASan). */
START_TEST(test_alloc_failures)
{
    EVP_PKEY *k1 = load_key("k1.pem");
    char *t = good_token(k1, "k1");
    sw_jwt_policy p = policy();
    const char *srcs[] = {g_jwks, g_map, g_pem};
    for (int s = 0; s < 3; s++) {
        int done = 0;
        for (long n = 0; !done && n < 1000; n++) {
            sw_jwt_keys *k = NULL;
            sw_error err;
            sw_alloc_fail_after(n);
            int rc = sw_jwt_keys_open(srcs[s], 5, &k, &err);
            if (rc == SW_OK) {
                sw_jwt_claims c;
                rc = sw_jwt_verify(k, t, strlen(t), &p, &c, &err);
                done = rc == SW_OK;
            }
            sw_alloc_fail_after(-1);
            ck_assert_msg(rc == SW_OK || rc == SW_NOMEM, "%s, failing allocation %ld: %s %s", srcs[s], n,
                          sw_status_name(rc), err.msg);
            sw_jwt_keys_free(k);
        }
        ck_assert_msg(done, "%s: never succeeded", srcs[s]);
    }
    free(t);
    EVP_PKEY_free(k1);
}
END_TEST

Suite *jwt_suite(void)
{
    Suite *s = suite_create("jwt");
    TCase *t = tcase_create("base64");
    tcase_add_test(t, test_base64);
    suite_add_tcase(s, t);

    t = tcase_create("verify");
    tcase_set_timeout(t, 60);
    tcase_add_unchecked_fixture(t, setup, teardown);
    tcase_add_test(t, test_key_sources);
    tcase_add_test(t, test_key_errors);
    tcase_add_test(t, test_good_tokens);
    tcase_add_test(t, test_forgeries);
    tcase_add_test(t, test_malformed);
    tcase_add_test(t, test_claims);
    tcase_add_test(t, test_url_source);
    tcase_add_test(t, test_threads);
    tcase_add_test(t, test_alloc_failures);
    suite_add_tcase(s, t);
    return s;
}
