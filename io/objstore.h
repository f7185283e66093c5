/* objstore: keys and bytes on a local directory or an S3-compatible object
 * store (AWS S3, MinIO, R2, Google Cloud Storage's XML API with HMAC keys),
 * one interface for the model registry.
 *
 * Locations:
 *   DIR, file://DIR          a local directory (keys are relative paths)
 *   s3://BUCKET[/PREFIX]     S3 or any S3-compatible server
 *   gs://BUCKET[/PREFIX]     Google Cloud Storage (XML API, HMAC keys)
 *
 * Remote requests go through libcurl, signed by its built-in SigV4
 * (CURLOPT_AWS_SIGV4: "aws:amz:REGION:s3", "goog:goog:auto:storage" for GCS),
 * with the body's SHA-256 sent as x-amz-content-sha256 (x-goog- on GCS).
 * Credentials and endpoint follow the AWS SDK/CLI conventions (see
 * sw_objstore_opts); a secret never appears in a message or log.
 *
 * Timeouts, refused connections, truncated transfers, 429 and 5xx answers are
 * retried with exponential backoff; 4xx answers are not, and their error names
 * the server's code ("SignatureDoesNotMatch") and the URL.  A request that
 * still fails is SW_NET.
 *
 * Versions of an object ("etags"): an opaque string, the ETag on S3, the
 * generation on GCS, the content's sha256 on a directory.  A conditional put
 * replaces an object only when its current etag is the one given (or, with
 * "", only when it does not exist); otherwise SW_CONFLICT and nothing written.
 * On a directory, puts are atomic renames and conditional puts hold a lock on
 * DIR/.lock.
 *
 * Keys are relative paths: no leading '/', no empty, "." or ".." segments, no
 * control characters (SW_ARG otherwise).  Remote puts also store the body's
 * sha256 as metadata (x-amz-meta-sha256, x-goog-meta-sha256); a get whose body
 * does not match it is retried, then SW_CORRUPT.
 *
 * Ownership: the handle owns its curl handle and strings; buffers returned are
 * the caller's (sw_free).  Thread-safety: one handle per thread.
 */
#ifndef SW_OBJSTORE_H
#define SW_OBJSTORE_H

#include <stddef.h>

#include "core/status.h"

#define SW_ETAG_MAX 132

typedef enum { SW_OBJ_LOCAL, SW_OBJ_S3, SW_OBJ_GCS } sw_obj_kind;

/* Settings; NULL or 0 fields come from the environment, then defaults:
 *   s3://  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 *          AWS_REGION (else AWS_DEFAULT_REGION, else us-east-1),
 *          AWS_ENDPOINT_URL (path-style addressing when set; else
 *          https://BUCKET.s3.REGION.amazonaws.com, virtual-hosted)
 *   gs://  GS_ACCESS_KEY_ID, GS_SECRET_ACCESS_KEY (HMAC keys),
 *          GS_ENDPOINT_URL (path-style when set; else
 *          https://BUCKET.storage.googleapis.com)
 * Keys of one provider are never sent to the other. */
typedef struct {
    const char *endpoint;      /* "http://127.0.0.1:9000" */
    const char *region;
    const char *access_key, *secret_key, *session_token;
    double timeout_s;          /* per request, whole transfer; 0: 30 */
    double connect_timeout_s;  /* 0: 5 */
    int retries;               /* attempts after the first; -1: 0, 0: default 4 */
    double backoff_s;          /* first retry's wait, doubled each time; 0: 0.2 */
    int list_page;             /* keys per ListObjectsV2 page (max-keys); 0: the server's (1000) */
} sw_objstore_opts;

typedef struct sw_objstore sw_objstore;

/* Open a location (no request is made).  SW_ARG for a malformed location or
 * missing credentials of a remote one. */
int sw_objstore_open(const char *location, const sw_objstore_opts *opts, sw_objstore **out, sw_error *err);
void sw_objstore_close(sw_objstore *s);

sw_obj_kind sw_objstore_kind(const sw_objstore *s);
/* The location as given, normalised (no trailing '/'); safe to print. */
const char *sw_objstore_location(const sw_objstore *s);
/* The local directory of a SW_OBJ_LOCAL store (NULL otherwise). */
const char *sw_objstore_dir(const sw_objstore *s);

/* Read KEY whole (at most `max` bytes; 0: no limit) and its etag (etag may be
 * NULL).  SW_NOT_FOUND when there is no such object. */
int sw_objstore_get(sw_objstore *s, const char *key, size_t max, unsigned char **data, size_t *len,
                    char etag[SW_ETAG_MAX], sw_error *err);

/* Whether KEY exists (1/0), with its size and etag (either may be NULL). */
int sw_objstore_head(sw_objstore *s, const char *key, int *exists, long long *size, char etag[SW_ETAG_MAX],
                     sw_error *err);

/* Write KEY.  if_match: NULL unconditional; "" only if absent; else only if
 * the current etag equals it (SW_CONFLICT otherwise).  new_etag may be NULL. */
int sw_objstore_put(sw_objstore *s, const char *key, const void *data, size_t len, const char *if_match,
                    char new_etag[SW_ETAG_MAX], sw_error *err);

/* Remove KEY.  Removing a key that does not exist is SW_OK (as on S3). */
int sw_objstore_delete(sw_objstore *s, const char *key, sw_error *err);

/* Every key under `prefix` (recursive, "" for all), sorted bytewise, relative
 * to the store's own prefix.  *keys is one allocation (the array, NULL-
 * terminated, and the strings; sw_free it).  A directory that does not exist
 * yet lists empty; a bucket that does not exist is SW_NOT_FOUND. */
int sw_objstore_list(sw_objstore *s, const char *prefix, char ***keys, int *n, sw_error *err);

/* The same, with each key's ETag as the listing gives it in *stamps (one
 * allocation like *keys; "" where the store gives none, as a directory).  On
 * S3 it equals the etag a get returns; on GCS the etag is the generation,
 * which listings do not give, so no stamp ever equals it. */
int sw_objstore_list_stamped(sw_objstore *s, const char *prefix, char ***keys, char ***stamps, int *n,
                             sw_error *err);

/* Statistics of this handle since open: requests sent, retries, bytes in. */
typedef struct {
    long requests, retries;
    long long bytes_in, bytes_out;
} sw_objstore_stats;
void sw_objstore_get_stats(const sw_objstore *s, sw_objstore_stats *st);

#endif
