/* jwt: verification of Google-style push JWTs (RS256) against a key set.
 *
 * `swish serve` authenticates Pub/Sub push requests by the bearer token Google
 * signs (RS256: RSASSA-PKCS1-v1_5 with SHA-256).  Keys come from a JWKS, from
 * Google's x509 map ({"KID": "-----BEGIN CERTIFICATE-----..."}) or from PEM,
 * read from a file once or fetched from an http(s) URL and kept for the
 * answer's Cache-Control max-age.  Only RS256 is accepted: "none", HS256 (the
 * key-confusion attack) and every other alg are refused before any key is used.
 *
 * Ownership: the key set is opaque (open/free pairs; free(NULL) is a no-op);
 * claims are copied into the caller's sw_jwt_claims.
 * Thread-safety: sw_jwt_verify, sw_jwt_keys_count, _expires and _expire may be
 * called by many threads at once on one key set (refreshes swap the set under
 * a mutex; one thread fetches at a time, the others keep verifying with the
 * set they have).  Messages never quote the token or its signature.
 */
#ifndef SW_JWT_H
#define SW_JWT_H

#include <stddef.h>

#include "core/status.h"

/* Longest token accepted (bytes); longer ones are SW_AUTH. */
#define SW_JWT_MAX_LEN 16384

/* base64 (RFC 4648), standard (url=0) or base64url (url=1); padding optional
 * (but, when present, complete and last); whitespace refused; unused bits of
 * the last character must be zero.  `out` needs (len/4+1)*3 bytes.  SW_PARSE
 * with err->offset the byte offset of the first bad character (len for input
 * that ends inside the padding). */
int sw_base64_decode(const char *in, size_t len, int url, unsigned char *out, size_t *out_len, sw_error *err);

typedef struct sw_jwt_keys sw_jwt_keys;

/* Keys from `src`: a file holding a JWKS ({"keys":[{"kty":"RSA","kid":..,"n":..,
 * "e":..,"alg":"RS256"},...]}), Google's x509 map ({"KID": "-----BEGIN
 * CERTIFICATE-----\n..."}), or PEM (one or more public keys or certificates;
 * such keys have no kid and match any token's kid); or an http:// / https://
 * URL fetched with libcurl (timeout_s; <= 0: 10 s), kept for the response's
 * Cache-Control max-age less its Age (default 3600 s, clamped to [60, 86400]),
 * refetched when stale or when a token names an unknown kid (at most once per
 * 30 s, see sw_jwt_keys_set_refetch_interval), the last good set kept when a
 * refetch fails.  A file is read once.  Keys of other types (EC), of another
 * alg or use ("enc") and RSA keys under 2048 bits are skipped.
 * Errors (at open): SW_NOT_FOUND (file), SW_NET (URL: unreachable, timeout,
 * non-200 answer), SW_PARSE / SW_FORMAT (naming the source and what is
 * wrong), SW_UNSUPPORTED (only non-RSA or too small keys), SW_NOMEM. */
int sw_jwt_keys_open(const char *src, double timeout_s, sw_jwt_keys **out, sw_error *err);
void sw_jwt_keys_free(sw_jwt_keys *k);
/* Keys in the current set. */
int sw_jwt_keys_count(sw_jwt_keys *k);
/* Unix time at which a URL's set goes stale (0 for a file: never). */
long long sw_jwt_keys_expires(sw_jwt_keys *k);
/* Mark a URL's set stale now: the next verification refetches it (subject to
 * the refetch interval).  For a reload signal, and tests.  No-op for files. */
void sw_jwt_keys_expire(sw_jwt_keys *k);
/* Least time between two fetches of a URL (default 30 s; tests use 0). */
void sw_jwt_keys_set_refetch_interval(sw_jwt_keys *k, double seconds);
/* Fetches of the URL so far (the one at open included) and failed ones. */
void sw_jwt_keys_fetches(sw_jwt_keys *k, long *total, long *failed);

typedef struct {
    const char *audience; /* required aud (string, or one of an array); NULL/"": not checked */
    const char *issuer;   /* required iss; NULL/"": not checked; "https://accounts.google.com"
                           * also accepts "accounts.google.com" */
    const char *email;    /* required email claim, with email_verified true; NULL/"": not checked */
    int skew_s;           /* allowed clock skew on exp, iat (and nbf if present) */
    long long now;        /* unix seconds; 0: time(NULL) */
} sw_jwt_policy;

/* The claims of a token whose signature verified.  aud: the audience that
 * matched the policy, else the first (of an array).  Absent strings are "",
 * an absent iat is 0.  Numbers given as floats are truncated. */
typedef struct {
    char iss[256], aud[512], sub[256], email[256], kid[128];
    long long iat, exp;
    int email_verified;
} sw_jwt_claims;

/* Verify `token` (len bytes, no "Bearer " prefix) against the keys and policy
 * (p may be NULL: exp checked without skew, nothing else required).
 * SW_AUTH: malformed token (not three base64url parts, bad JSON, longer than
 * SW_JWT_MAX_LEN, duplicate or mistyped header/claim members, a "crit"
 * header), alg other than RS256 (none and HS256 refused), unknown kid, bad
 * signature, exp missing or passed (now >= exp + skew), iat in the future
 * (iat > now + skew), nbf not reached (now + skew < nbf), wrong iss or aud.
 * SW_DENIED: a valid token whose email is not the required one or not
 * verified.  err->msg says which, never quoting the token or the signature.
 * `c` (may be NULL) is zeroed, then filled once the signature has verified
 * (so it names the caller on SW_DENIED too).  Thread-safe. */
int sw_jwt_verify(sw_jwt_keys *k, const char *token, size_t len, const sw_jwt_policy *p, sw_jwt_claims *c,
                  sw_error *err);

#endif
