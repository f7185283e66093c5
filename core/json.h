/* json: a compact read-only document model for JSON and UBJSON, and a small
 * JSON/UBJSON writer.
 *
 * Parsing builds a flat tape of 16-byte nodes in document order (no per-node
 * allocation); numbers are kept as text (JSON) or raw big-endian bytes (UBJSON)
 * and converted exactly on access, so a float32 threshold is parsed straight
 * to float32.  UBJSON typed arrays ([$d#n) stay one node read in bulk.
 * Limits: nesting depth 256; a declared UBJSON size is checked against the bytes
 * left before anything is allocated.  Errors carry the byte offset.
 *
 * Ownership: the document owns a copy of the input; node handles and string
 * pointers are valid until sw_json_free.  Documents are immutable and may be
 * read by many threads.
 */
#ifndef SW_JSON_H
#define SW_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "status.h"

typedef enum {
    SW_JSON_NULL,
    SW_JSON_FALSE,
    SW_JSON_TRUE,
    SW_JSON_NUMBER,
    SW_JSON_STRING,
    SW_JSON_ARRAY,
    SW_JSON_OBJECT,
    SW_JSON_TYPED_ARRAY /* UBJSON optimized array of one numeric type */
} sw_json_type;

typedef struct sw_json sw_json;
typedef uint32_t sw_jnode;
#define SW_JNONE ((sw_jnode)0xffffffffu)

/* `name` (may be NULL) is used in error messages. */
int sw_json_parse(const char *name, const char *data, size_t len, sw_json **out, sw_error *err);
/* Same, taking ownership of `data` (sw_malloc'd, len + 1 bytes, NUL at len):
 * no copy.  The buffer is freed with the document, or at once on failure. */
int sw_json_parse_owned(const char *name, char *data, size_t len, sw_json **out, sw_error *err);
int sw_ubjson_parse(const char *name, const unsigned char *data, size_t len, sw_json **out,
                    sw_error *err);
void sw_json_free(sw_json *doc);

sw_jnode sw_json_root(const sw_json *doc);
sw_json_type sw_json_type_of(const sw_json *doc, sw_jnode n);
/* Elements of an array or typed array, members of an object, bytes of a string. */
uint32_t sw_json_len(const sw_json *doc, sw_jnode n);
long long sw_json_offset(const sw_json *doc, sw_jnode n);
const char *sw_json_name(const sw_json *doc);

/* Object member by key (SW_JNONE when absent or `obj` is not an object). */
sw_jnode sw_json_get(const sw_json *doc, sw_jnode obj, const char *key);
/* Iterate the children of an array (values) or object (values; see key). */
sw_jnode sw_json_first(const sw_json *doc, sw_jnode n);
sw_jnode sw_json_next(const sw_json *doc, sw_jnode child);
const char *sw_json_key(const sw_json *doc, sw_jnode member_value, size_t *len);

/* String bytes (decoded; not NUL-terminated for UBJSON); NULL if not a string. */
const char *sw_json_str(const sw_json *doc, sw_jnode n, size_t *len);
int sw_json_streq(const sw_json *doc, sw_jnode n, const char *s);
/* Copy a string node into a new NUL-terminated buffer (sw_free it). */
char *sw_json_strdup(const sw_json *doc, sw_jnode n);

/* Numbers: exact conversion; also accept a string holding a number when
 * `allow_string` (XGBoost stores many numbers as strings).  Errors name the
 * offset.  Integers must be integral and in range. */
int sw_json_f64(const sw_json *doc, sw_jnode n, int allow_string, double *out, sw_error *err);
int sw_json_f32(const sw_json *doc, sw_jnode n, int allow_string, float *out, sw_error *err);
int sw_json_i64(const sw_json *doc, sw_jnode n, int allow_string, long long *out, sw_error *err);

/* Bulk reads of an array or typed array of exactly `count` elements. */
int sw_json_read_f32s(const sw_json *doc, sw_jnode arr, float *out, uint32_t count,
                      sw_error *err);
int sw_json_read_f64s(const sw_json *doc, sw_jnode arr, double *out, uint32_t count,
                      sw_error *err);
int sw_json_read_i32s(const sw_json *doc, sw_jnode arr, int32_t *out, uint32_t count,
                      sw_error *err);

/* ---- writer ---------------------------------------------------------------
 * Streams JSON (pretty or compact) or UBJSON into a growable buffer.  Errors
 * (out of memory) are sticky and reported by sw_jw_finish. */
typedef struct sw_jw sw_jw;
typedef enum { SW_JW_JSON, SW_JW_JSON_PRETTY, SW_JW_UBJSON } sw_jw_mode;

sw_jw *sw_jw_create(sw_jw_mode mode);
void sw_jw_free(sw_jw *w);
/* Write floats as the shortest text that reads back to the same value
 * (sw_format_f64_short) instead of %.9g / %.17g: for output meant for people. */
void sw_jw_shortest(sw_jw *w, int on);
void sw_jw_obj_begin(sw_jw *w);
void sw_jw_obj_end(sw_jw *w);
void sw_jw_arr_begin(sw_jw *w);
void sw_jw_arr_end(sw_jw *w);
void sw_jw_key(sw_jw *w, const char *key);
void sw_jw_str(sw_jw *w, const char *s);
void sw_jw_strn(sw_jw *w, const char *s, size_t len);
void sw_jw_f32(sw_jw *w, float v);  /* %.9g; UBJSON 'd'. NaN/inf as JSON null */
void sw_jw_f64(sw_jw *w, double v); /* %.17g; UBJSON 'D' */
void sw_jw_int(sw_jw *w, long long v);
void sw_jw_bool(sw_jw *w, int v);
void sw_jw_null(sw_jw *w);
/* A key and its value in one call. */
void sw_jw_kstr(sw_jw *w, const char *key, const char *s);
void sw_jw_kf64(sw_jw *w, const char *key, double v);
void sw_jw_kint(sw_jw *w, const char *key, long long v);
void sw_jw_kbool(sw_jw *w, const char *key, int v);
void sw_jw_knull(sw_jw *w, const char *key);
/* UBJSON typed arrays ([$d#n / [$l#n / [$U#n); plain arrays in JSON mode. */
void sw_jw_f32s(sw_jw *w, const float *v, size_t n);
void sw_jw_i32s(sw_jw *w, const int32_t *v, size_t n);
void sw_jw_u8s(sw_jw *w, const uint8_t *v, size_t n);
void sw_jw_i64s(sw_jw *w, const int64_t *v, size_t n);
/* Buffer and length (valid until sw_jw_free); SW_NOMEM if any write failed. */
int sw_jw_finish(sw_jw *w, const char **data, size_t *len);

#endif
