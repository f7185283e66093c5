/* json: JSON and UBJSON parsed into one flat node tape, plus a streaming writer.
 *
 * Each node is 16 bytes: type, a sub-type (the UBJSON marker of a number or of a
 * typed array's elements), a length (children, string bytes or elements), the
 * byte offset of its data in the document's copy of the input, and the index
 * of its next sibling (SW_JNONE for the last).  Object members are a key node
 * immediately followed by its value node; siblings link value to value.
 * JSON strings are unescaped in place (unescaping never lengthens text).
 */
#include "json.h"

#include <math.h>
#include <string.h>

#include "alloc.h"
#include "num.h"

#define MAX_DEPTH 256
#define MAX_INPUT (1u << 30)

typedef struct {
    uint8_t type;
    uint8_t sub;
    uint16_t key; /* 1 for object keys */
    uint32_t len;
    uint32_t off;
    uint32_t next;
} jnode;

struct sw_json {
    char *name;
    unsigned char *buf;
    size_t buf_len;
    jnode *nodes;
    size_t n_nodes, cap_nodes;
    int ubjson;
};

void sw_json_free(sw_json *doc)
{
    if (!doc) return;
    sw_free(doc->name);
    sw_free(doc->buf);
    sw_free(doc->nodes);
    sw_free(doc);
}

static int jerr(const sw_json *doc, sw_error *err, int code, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int jerr(const sw_json *doc, sw_error *err, int code, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_error_vset(err, code, doc->name, 0, 0, (long long)off, fmt, ap);
    va_end(ap);
    return code;
}

static sw_json *doc_new(const char *name, const void *data, size_t len, int ubjson,
                        sw_error *err);
static int parse_json_doc(sw_json *doc, sw_json **out, sw_error *err);

int sw_json_parse_owned(const char *name, char *data, size_t len, sw_json **out, sw_error *err)
{
    *out = NULL;
    sw_json *doc = doc_new(name, NULL, len, 0, err);
    if (!doc) {
        sw_free(data);
        return err ? err->code : SW_NOMEM;
    }
    sw_free(doc->buf);
    doc->buf = (unsigned char *)data;
    return parse_json_doc(doc, out, err);
}

static sw_json *doc_new(const char *name, const void *data, size_t len, int ubjson,
                        sw_error *err)
{
    if (len > MAX_INPUT) {
        sw_error_set(err, SW_RANGE, name, 0, 0, -1, "document too large (%zu bytes)", len);
        return NULL;
    }
    sw_json *doc = sw_calloc(1, sizeof *doc);
    if (!doc) goto oom;
    doc->name = sw_strdup(name ? name : "<memory>");
    doc->buf = sw_malloc(data ? len + 1 : 1);
    if (!doc->name || !doc->buf) goto oom;
    if (data && len) memcpy(doc->buf, data, len);
    doc->buf[data ? len : 0] = 0;
    doc->buf_len = len;
    doc->ubjson = ubjson;
    /* a JSON node needs at least one byte, a rough first guess avoids regrowth */
    size_t guess = len / 5 + 16;
    doc->nodes = sw_alloc_array(guess, sizeof(jnode));
    if (!doc->nodes) goto oom;
    doc->cap_nodes = guess;
    return doc;
oom:
    sw_json_free(doc);
    sw_fail(err, SW_NOMEM, "out of memory parsing %s", name ? name : "document");
    return NULL;
}

static int grow_nodes(sw_json *doc, size_t off, sw_error *err)
{
    if (doc->n_nodes >= 0xfffffff0u) return jerr(doc, err, SW_RANGE, off, "too many values");
    if (sw_grow((void **)&doc->nodes, &doc->cap_nodes, doc->n_nodes + 1, sizeof(jnode)))
        return sw_fail(err, SW_NOMEM, "out of memory parsing %s", doc->name);
    return SW_OK;
}

static inline int push(sw_json *doc, uint8_t type, uint8_t sub, uint32_t len, size_t off,
                       uint32_t *idx, sw_error *err)
{
    if (doc->n_nodes >= doc->cap_nodes) SW_TRY(grow_nodes(doc, off, err));
    jnode *n = &doc->nodes[doc->n_nodes];
    n->type = type;
    n->sub = sub;
    n->key = 0;
    n->len = len;
    n->off = (uint32_t)off;
    n->next = SW_JNONE;
    *idx = (uint32_t)doc->n_nodes++;
    return SW_OK;
}

/* Container bookkeeping shared by both parsers. */
typedef struct {
    uint32_t node;   /* the container node */
    uint32_t last;   /* last child value, for sibling links */
    uint32_t count;
    uint32_t expect; /* UBJSON counted container: elements left; else UINT32_MAX */
    uint8_t is_obj;
    uint8_t typed;   /* UBJSON: element marker for $-typed containers (0 = none) */
} frame;

static void link_child(sw_json *doc, frame *f, uint32_t child)
{
    if (f->last != SW_JNONE) doc->nodes[f->last].next = child;
    f->last = child;
    f->count++;
}

/* ---------------------------------------------------------------- JSON */

static size_t skip_ws(const unsigned char *b, size_t p, size_t n)
{
    while (p < n && (b[p] == ' ' || b[p] == '\n' || b[p] == '\r' || b[p] == '\t')) p++;
    return p;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(const unsigned char *b, size_t p, size_t n, unsigned *out)
{
    if (p + 4 > n) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(b[p + i]);
        if (h < 0) return -1;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return 0;
}

/* Parse a string whose opening quote is at b[*p]; unescape in place. */
static int parse_string(sw_json *doc, size_t *p, uint32_t *off, uint32_t *len, sw_error *err)
{
    unsigned char *b = doc->buf;
    size_t n = doc->buf_len;
    size_t start = *p + 1;
    size_t r = start, w = start;
    for (;;) {
        if (r >= n) return jerr(doc, err, SW_PARSE, *p, "unterminated string");
        unsigned char c = b[r];
        if (c == '"') break;
        if (c < 0x20) return jerr(doc, err, SW_PARSE, r, "control character in string");
        if (c != '\\') {
            b[w++] = c;
            r++;
            continue;
        }
        if (r + 1 >= n) return jerr(doc, err, SW_PARSE, r, "unterminated escape");
        unsigned char e = b[r + 1];
        r += 2;
        switch (e) {
        case '"': b[w++] = '"'; break;
        case '\\': b[w++] = '\\'; break;
        case '/': b[w++] = '/'; break;
        case 'b': b[w++] = '\b'; break;
        case 'f': b[w++] = '\f'; break;
        case 'n': b[w++] = '\n'; break;
        case 'r': b[w++] = '\r'; break;
        case 't': b[w++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (read_hex4(b, r, n, &cp)) return jerr(doc, err, SW_PARSE, r - 2, "bad \\u escape");
            r += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (r + 6 > n || b[r] != '\\' || b[r + 1] != 'u' || read_hex4(b, r + 2, n, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return jerr(doc, err, SW_PARSE, r, "unpaired surrogate in \\u escape");
                r += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return jerr(doc, err, SW_PARSE, r - 6, "unpaired surrogate in \\u escape");
            }
            if (cp < 0x80) {
                b[w++] = (unsigned char)cp;
            } else if (cp < 0x800) {
                b[w++] = (unsigned char)(0xC0 | (cp >> 6));
                b[w++] = (unsigned char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                b[w++] = (unsigned char)(0xE0 | (cp >> 12));
                b[w++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                b[w++] = (unsigned char)(0x80 | (cp & 0x3F));
            } else {
                b[w++] = (unsigned char)(0xF0 | (cp >> 18));
                b[w++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
                b[w++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                b[w++] = (unsigned char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: return jerr(doc, err, SW_PARSE, r - 2, "invalid escape '\\%c'", e);
        }
    }
    *off = (uint32_t)start;
    *len = (uint32_t)(w - start);
    b[w] = 0; /* w <= r: overwrites escape residue or the closing quote */
    *p = r + 1;
    return SW_OK;
}

static int is_num_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static int match_word(const unsigned char *b, size_t p, size_t n, const char *w)
{
    size_t l = strlen(w);
    return p + l <= n && memcmp(b + p, w, l) == 0;
}

static void open_frame(frame *fr, uint32_t idx, int is_obj)
{
    fr->node = idx;
    fr->last = SW_JNONE;
    fr->count = 0;
    fr->is_obj = (uint8_t)is_obj;
    fr->expect = UINT32_MAX;
    fr->typed = 0;
}

int sw_json_parse(const char *name, const char *data, size_t len, sw_json **out, sw_error *err)
{
    *out = NULL;
    sw_json *doc = doc_new(name, data, len, 0, err);
    if (!doc) return err ? err->code : SW_NOMEM;
    return parse_json_doc(doc, out, err);
}

static int parse_json_doc(sw_json *doc, sw_json **out, sw_error *err)
{
    unsigned char *b = doc->buf;
    size_t n = doc->buf_len;
    frame st[MAX_DEPTH];
    int depth = 0;
    size_t p = 0;
    int rc = SW_OK;
    uint32_t idx;

value:
    p = skip_ws(b, p, n);
    if (p >= n) {
        rc = jerr(doc, err, SW_PARSE, p, depth ? "unexpected end of document" : "empty document");
        goto fail;
    }
    {
        unsigned char c = b[p];
        if (c == '{' || c == '[') {
            if (depth >= MAX_DEPTH) {
                rc = jerr(doc, err, SW_RANGE, p, "nesting deeper than %d", MAX_DEPTH);
                goto fail;
            }
            if ((rc = push(doc, c == '{' ? SW_JSON_OBJECT : SW_JSON_ARRAY, 0, 0, p, &idx, err)))
                goto fail;
            if (depth) link_child(doc, &st[depth - 1], idx);
            open_frame(&st[depth++], idx, c == '{');
            p = skip_ws(b, p + 1, n);
            if (p < n && b[p] == (c == '{' ? '}' : ']')) {
                p++;
                depth--;
                goto after_value;
            }
            if (c == '{') goto key;
            /* fast path: a run of plain numbers, the bulk of a model file */
            frame *af = &st[depth - 1];
            while (p < n && ((b[p] >= '0' && b[p] <= '9') || (b[p] == '-' && p + 1 < n && b[p + 1] != 'I'))) {
                size_t s0 = p;
                while (p < n && is_num_char(b[p])) p++;
                if ((rc = push(doc, SW_JSON_NUMBER, 0, (uint32_t)(p - s0), s0, &idx, err))) goto fail;
                link_child(doc, af, idx);
                while (p < n && (b[p] == ' ' || b[p] == '\n' || b[p] == '\r' || b[p] == '\t')) p++;
                if (p < n && b[p] == ',') {
                    p++;
                    while (p < n && (b[p] == ' ' || b[p] == '\n' || b[p] == '\r' || b[p] == '\t')) p++;
                    continue;
                }
                goto after_value; /* ']' or an error, handled there */
            }
            goto value;
        }
        if (c == '"') {
            uint32_t soff, slen;
            if ((rc = parse_string(doc, &p, &soff, &slen, err))) goto fail;
            if ((rc = push(doc, SW_JSON_STRING, 0, slen, soff, &idx, err))) goto fail;
        } else if (c == '-' || (c >= '0' && c <= '9') || c == 'N' || c == 'I') {
            size_t s0 = p;
            if (match_word(b, p, n, "NaN")) {
                p += 3;
            } else if (match_word(b, p, n, "Infinity")) {
                p += 8;
            } else if (match_word(b, p, n, "-Infinity")) {
                p += 9;
            } else {
                while (p < n && is_num_char(b[p])) p++;
            }
            if (p == s0) {
                rc = jerr(doc, err, SW_PARSE, p, "unexpected character '%c'", c);
                goto fail;
            }
            if ((rc = push(doc, SW_JSON_NUMBER, 0, (uint32_t)(p - s0), s0, &idx, err))) goto fail;
        } else if (match_word(b, p, n, "true")) {
            if ((rc = push(doc, SW_JSON_TRUE, 0, 0, p, &idx, err))) goto fail;
            p += 4;
        } else if (match_word(b, p, n, "false")) {
            if ((rc = push(doc, SW_JSON_FALSE, 0, 0, p, &idx, err))) goto fail;
            p += 5;
        } else if (match_word(b, p, n, "null")) {
            if ((rc = push(doc, SW_JSON_NULL, 0, 0, p, &idx, err))) goto fail;
            p += 4;
        } else {
            rc = jerr(doc, err, SW_PARSE, p, "unexpected character '%c'",
                      c >= 32 && c < 127 ? c : '?');
            goto fail;
        }
        if (depth) link_child(doc, &st[depth - 1], idx);
    }

after_value:
    if (depth == 0) goto end;
    p = skip_ws(b, p, n);
    if (p >= n) {
        rc = jerr(doc, err, SW_PARSE, p, "unexpected end of document");
        goto fail;
    }
    {
        frame *f = &st[depth - 1];
        doc->nodes[f->node].len = f->count;
        if (b[p] == ',') {
            p = skip_ws(b, p + 1, n);
            if (f->is_obj) goto key;
            goto value;
        }
        if (b[p] == (f->is_obj ? '}' : ']')) {
            p++;
            depth--;
            goto after_value;
        }
        rc = jerr(doc, err, SW_PARSE, p, "expected ',' or '%c'", f->is_obj ? '}' : ']');
        goto fail;
    }

key:
    if (p >= n || b[p] != '"') {
        rc = jerr(doc, err, SW_PARSE, p, "expected a member name");
        goto fail;
    }
    {
        uint32_t koff, klen, kidx;
        if ((rc = parse_string(doc, &p, &koff, &klen, err))) goto fail;
        if ((rc = push(doc, SW_JSON_STRING, 0, klen, koff, &kidx, err))) goto fail;
        doc->nodes[kidx].key = 1;
        p = skip_ws(b, p, n);
        if (p >= n || b[p] != ':') {
            rc = jerr(doc, err, SW_PARSE, p, "expected ':'");
            goto fail;
        }
        p++;
        goto value;
    }

end:
    p = skip_ws(b, p, n);
    if (p != n) {
        rc = jerr(doc, err, SW_PARSE, p, "trailing data after the document");
        goto fail;
    }
    *out = doc;
    return SW_OK;
fail:
    sw_json_free(doc);
    return rc;
}

/* --------------------------------------------------------------- UBJSON */

static int ub_size(uint8_t m)
{
    switch (m) {
    case 'i': case 'U': case 'C': return 1;
    case 'I': return 2;
    case 'l': case 'd': return 4;
    case 'L': case 'D': return 8;
    default: return 0;
    }
}

static uint64_t be_load(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}

static int ub_int_value(uint8_t m, const unsigned char *p, long long *out)
{
    switch (m) {
    case 'i': *out = (int8_t)p[0]; return 0;
    case 'U': *out = p[0]; return 0;
    case 'I': *out = (int16_t)be_load(p, 2); return 0;
    case 'l': *out = (int32_t)be_load(p, 4); return 0;
    case 'L': *out = (int64_t)be_load(p, 8); return 0;
    default: return -1;
    }
}

/* Read an integer (marker + value) used as a length or count. */
static int ub_read_len(sw_json *doc, size_t *p, uint64_t *out, sw_error *err)
{
    const unsigned char *b = doc->buf;
    size_t n = doc->buf_len;
    if (*p >= n) return jerr(doc, err, SW_PARSE, *p, "truncated: expected a length");
    uint8_t m = b[*p];
    int sz = ub_size(m);
    long long v;
    if (!sz || m == 'd' || m == 'D' || m == 'C')
        return jerr(doc, err, SW_PARSE, *p, "expected an integer length, found marker 0x%02x", m);
    if (*p + 1 + (size_t)sz > n) return jerr(doc, err, SW_PARSE, *p, "truncated length");
    ub_int_value(m, b + *p + 1, &v);
    if (v < 0) return jerr(doc, err, SW_PARSE, *p, "negative length %lld", v);
    *p += 1 + (size_t)sz;
    *out = (uint64_t)v;
    return SW_OK;
}

int sw_ubjson_parse(const char *name, const unsigned char *data, size_t len, sw_json **out,
                    sw_error *err)
{
    *out = NULL;
    sw_json *doc = doc_new(name, data, len, 1, err);
    if (!doc) return err ? err->code : SW_NOMEM;
    const unsigned char *b = doc->buf;
    size_t n = doc->buf_len;
    frame st[MAX_DEPTH];
    int depth = 0;
    size_t p = 0;
    int rc = SW_OK;
    int done = 0;
    while (!done) {
        frame *f = depth ? &st[depth - 1] : NULL;
        /* close containers that are complete */
        if (f && f->expect != UINT32_MAX && f->expect == 0) {
            doc->nodes[f->node].len = f->count;
            depth--;
            if (!depth) done = 1;
            continue;
        }
        if (f && f->expect == UINT32_MAX) {
            while (p < n && b[p] == 'N') p++; /* no-op markers */
            if (p < n && b[p] == (f->is_obj ? '}' : ']')) {
                p++;
                doc->nodes[f->node].len = f->count;
                depth--;
                if (!depth) done = 1;
                continue;
            }
        }
        if (f && f->expect != UINT32_MAX) f->expect--;
        if (f && f->is_obj) {
            uint64_t klen;
            size_t kstart = p;
            if ((rc = ub_read_len(doc, &p, &klen, err))) goto fail;
            if (klen > n - p) {
                rc = jerr(doc, err, SW_PARSE, kstart, "key length %llu beyond end of data",
                          (unsigned long long)klen);
                goto fail;
            }
            uint32_t kidx;
            if ((rc = push(doc, SW_JSON_STRING, 0, (uint32_t)klen, p, &kidx, err))) goto fail;
            doc->nodes[kidx].key = 1;
            p += klen;
        }
        uint8_t m;
        size_t vstart = p;
        if (f && f->typed) {
            m = f->typed;
        } else {
            while (p < n && b[p] == 'N' && !f) p++;
            if (p >= n) {
                rc = jerr(doc, err, SW_PARSE, p, "truncated document");
                goto fail;
            }
            m = b[p++];
            if (m == 'N' && f) { /* no-op inside a container */
                rc = jerr(doc, err, SW_PARSE, vstart, "no-op marker in place of a value");
                goto fail;
            }
        }
        uint32_t idx;
        int sz = ub_size(m);
        if (sz) {
            if (p + (size_t)sz > n) {
                rc = jerr(doc, err, SW_PARSE, vstart, "truncated number");
                goto fail;
            }
            if ((rc = push(doc, m == 'C' ? SW_JSON_STRING : SW_JSON_NUMBER, m,
                           m == 'C' ? 1 : (uint32_t)sz, p, &idx, err)))
                goto fail;
            p += (size_t)sz;
        } else if (m == 'S' || m == 'H') {
            uint64_t sl;
            if ((rc = ub_read_len(doc, &p, &sl, err))) goto fail;
            if (sl > n - p) {
                rc = jerr(doc, err, SW_PARSE, vstart, "string length %llu beyond end of data",
                          (unsigned long long)sl);
                goto fail;
            }
            if ((rc = push(doc, m == 'S' ? SW_JSON_STRING : SW_JSON_NUMBER, m == 'H' ? 'H' : 0,
                           (uint32_t)sl, p, &idx, err)))
                goto fail;
            p += sl;
        } else if (m == 'T' || m == 'F' || m == 'Z') {
            if ((rc = push(doc, m == 'T' ? SW_JSON_TRUE : m == 'F' ? SW_JSON_FALSE : SW_JSON_NULL, 0, 0,
                           vstart, &idx, err)))
                goto fail;
        } else if (m == '[' || m == '{') {
            if (depth >= MAX_DEPTH) {
                rc = jerr(doc, err, SW_RANGE, vstart, "nesting deeper than %d", MAX_DEPTH);
                goto fail;
            }
            uint8_t typed = 0;
            uint64_t count = UINT32_MAX;
            if (p < n && b[p] == '$') {
                if (p + 1 >= n) {
                    rc = jerr(doc, err, SW_PARSE, p, "truncated container type");
                    goto fail;
                }
                typed = b[p + 1];
                if (!ub_size(typed) && typed != 'S' && typed != 'T' && typed != 'F' && typed != 'Z' &&
                    typed != '[' && typed != '{' && typed != 'H') {
                    rc = jerr(doc, err, SW_PARSE, p + 1, "invalid container element type 0x%02x", typed);
                    goto fail;
                }
                p += 2;
                if (p >= n || b[p] != '#') {
                    rc = jerr(doc, err, SW_PARSE, p, "typed container without a count");
                    goto fail;
                }
            }
            if (p < n && b[p] == '#') {
                p++;
                if ((rc = ub_read_len(doc, &p, &count, err))) goto fail;
                /* every element takes at least one byte (typed numbers: their size);
                 * T/F/Z typed elements take none, but are held to one byte each too,
                 * or 20 bytes could declare 2^28 nodes (4 GiB; found by make fuzz) */
                uint64_t min_el = typed && ub_size(typed) ? (uint64_t)ub_size(typed) : 1;
                if (count > (n - p) / min_el || count > 0x0fffffffu) {
                    rc = jerr(doc, err, SW_PARSE, vstart, "declared count %llu exceeds the data",
                              (unsigned long long)count);
                    goto fail;
                }
            }
            if (m == '[' && typed && ub_size(typed) && typed != 'C') {
                /* typed numeric array: one node, bulk access */
                size_t bytes = (size_t)count * (size_t)ub_size(typed);
                if ((rc = push(doc, SW_JSON_TYPED_ARRAY, typed, (uint32_t)count, p, &idx, err)))
                    goto fail;
                p += bytes;
            } else {
                if ((rc = push(doc, m == '{' ? SW_JSON_OBJECT : SW_JSON_ARRAY, 0, 0, vstart, &idx, err)))
                    goto fail;
                if (f) link_child(doc, f, idx);
                open_frame(&st[depth], idx, m == '{');
                st[depth].expect = (uint32_t)count;
                st[depth].typed = typed;
                depth++;
                continue;
            }
        } else {
            rc = jerr(doc, err, SW_PARSE, vstart, "invalid marker 0x%02x", m);
            goto fail;
        }
        if (f) {
            link_child(doc, f, idx);
        } else {
            done = 1;
        }
    }
    if (p != n) {
        rc = jerr(doc, err, SW_PARSE, p, "trailing data after the document");
        goto fail;
    }
    *out = doc;
    return SW_OK;
fail:
    sw_json_free(doc);
    return rc;
}

/* ------------------------------------------------------------ accessors */

sw_jnode sw_json_root(const sw_json *doc) { return doc->n_nodes ? 0 : SW_JNONE; }
const char *sw_json_name(const sw_json *doc) { return doc->name; }

static const jnode *node_at(const sw_json *doc, sw_jnode n)
{
    if (n == SW_JNONE || n >= doc->n_nodes) return NULL;
    return &doc->nodes[n];
}

sw_json_type sw_json_type_of(const sw_json *doc, sw_jnode n)
{
    const jnode *j = node_at(doc, n);
    return j ? (sw_json_type)j->type : SW_JSON_NULL;
}

uint32_t sw_json_len(const sw_json *doc, sw_jnode n)
{
    const jnode *j = node_at(doc, n);
    return j ? j->len : 0;
}

long long sw_json_offset(const sw_json *doc, sw_jnode n)
{
    const jnode *j = node_at(doc, n);
    return j ? (long long)j->off : -1;
}

sw_jnode sw_json_first(const sw_json *doc, sw_jnode n)
{
    const jnode *j = node_at(doc, n);
    if (!j || j->len == 0) return SW_JNONE;
    if (j->type == SW_JSON_ARRAY) return n + 1;
    if (j->type == SW_JSON_OBJECT) return n + 2;
    return SW_JNONE;
}

sw_jnode sw_json_next(const sw_json *doc, sw_jnode child)
{
    const jnode *j = node_at(doc, child);
    return j ? j->next : SW_JNONE;
}

const char *sw_json_key(const sw_json *doc, sw_jnode v, size_t *len)
{
    const jnode *k = node_at(doc, v == 0 ? SW_JNONE : v - 1);
    if (!k || !k->key) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = k->len;
    return (const char *)doc->buf + k->off;
}

sw_jnode sw_json_get(const sw_json *doc, sw_jnode obj, const char *key)
{
    const jnode *j = node_at(doc, obj);
    if (!j || j->type != SW_JSON_OBJECT) return SW_JNONE;
    size_t kl = strlen(key);
    for (sw_jnode v = sw_json_first(doc, obj); v != SW_JNONE; v = sw_json_next(doc, v)) {
        const jnode *k = &doc->nodes[v - 1];
        if (k->len == kl && memcmp(doc->buf + k->off, key, kl) == 0) return v;
    }
    return SW_JNONE;
}

const char *sw_json_str(const sw_json *doc, sw_jnode n, size_t *len)
{
    const jnode *j = node_at(doc, n);
    if (!j || j->type != SW_JSON_STRING) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = j->len;
    return (const char *)doc->buf + j->off;
}

int sw_json_streq(const sw_json *doc, sw_jnode n, const char *s)
{
    size_t l;
    const char *p = sw_json_str(doc, n, &l);
    return p && l == strlen(s) && memcmp(p, s, l) == 0;
}

char *sw_json_strdup(const sw_json *doc, sw_jnode n)
{
    size_t l;
    const char *p = sw_json_str(doc, n, &l);
    if (!p) return NULL;
    return sw_strndup(p, l);
}

/* Text of a number (JSON, UBJSON 'H') or, when allowed, of a string. */
static const char *num_text(const sw_json *doc, const jnode *j, int allow_string, size_t *len)
{
    if (j->type == SW_JSON_NUMBER && (!doc->ubjson || j->sub == 'H')) {
        *len = j->len;
        return (const char *)doc->buf + j->off;
    }
    if (j->type == SW_JSON_STRING && allow_string) {
        *len = j->len;
        return (const char *)doc->buf + j->off;
    }
    return NULL;
}

static double ub_number(const sw_json *doc, uint8_t m, const unsigned char *p)
{
    (void)doc;
    long long iv;
    if (m == 'd') {
        uint32_t u = (uint32_t)be_load(p, 4);
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    if (m == 'D') {
        uint64_t u = be_load(p, 8);
        double d;
        memcpy(&d, &u, 8);
        return d;
    }
    ub_int_value(m, p, &iv);
    return (double)iv;
}

int sw_json_f64(const sw_json *doc, sw_jnode n, int allow_string, double *out, sw_error *err)
{
    const jnode *j = node_at(doc, n);
    if (!j) return sw_error_set(err, SW_FORMAT, doc->name, 0, 0, -1, "missing number");
    size_t len;
    const char *t = num_text(doc, j, allow_string, &len);
    if (t) {
        if (sw_parse_f64(t, len, out) == 0) return SW_OK;
        return jerr(doc, err, SW_PARSE, j->off, "invalid number '%.*s'", (int)(len > 40 ? 40 : len), t);
    }
    if (j->type == SW_JSON_NUMBER && doc->ubjson) {
        *out = ub_number(doc, j->sub, doc->buf + j->off);
        return SW_OK;
    }
    return jerr(doc, err, SW_FORMAT, j->off, "expected a number");
}

int sw_json_f32(const sw_json *doc, sw_jnode n, int allow_string, float *out, sw_error *err)
{
    const jnode *j = node_at(doc, n);
    if (!j) return sw_error_set(err, SW_FORMAT, doc->name, 0, 0, -1, "missing number");
    size_t len;
    const char *t = num_text(doc, j, allow_string, &len);
    if (t) {
        if (sw_parse_f32(t, len, out) == 0) return SW_OK;
        return jerr(doc, err, SW_PARSE, j->off, "invalid number '%.*s'", (int)(len > 40 ? 40 : len), t);
    }
    if (j->type == SW_JSON_NUMBER && doc->ubjson) {
        *out = (float)ub_number(doc, j->sub, doc->buf + j->off);
        return SW_OK;
    }
    return jerr(doc, err, SW_FORMAT, j->off, "expected a number");
}

int sw_json_i64(const sw_json *doc, sw_jnode n, int allow_string, long long *out, sw_error *err)
{
    const jnode *j = node_at(doc, n);
    if (!j) return sw_error_set(err, SW_FORMAT, doc->name, 0, 0, -1, "missing integer");
    if (j->type == SW_JSON_TRUE || j->type == SW_JSON_FALSE) {
        *out = j->type == SW_JSON_TRUE;
        return SW_OK;
    }
    size_t len;
    const char *t = num_text(doc, j, allow_string, &len);
    if (t) {
        if (sw_parse_i64(t, len, out) == 0) return SW_OK;
        return jerr(doc, err, SW_PARSE, j->off, "invalid integer '%.*s'", (int)(len > 40 ? 40 : len), t);
    }
    if (j->type == SW_JSON_NUMBER && doc->ubjson) {
        if (j->sub == 'd' || j->sub == 'D') {
            double d = ub_number(doc, j->sub, doc->buf + j->off);
            if (!(d >= -9.2e18 && d <= 9.2e18) || d != floor(d))
                return jerr(doc, err, SW_PARSE, j->off, "expected an integer");
            *out = (long long)d;
            return SW_OK;
        }
        ub_int_value(j->sub, doc->buf + j->off, out);
        return SW_OK;
    }
    return jerr(doc, err, SW_FORMAT, j->off, "expected an integer");
}

static int check_array(const sw_json *doc, sw_jnode arr, uint32_t count, sw_error *err)
{
    const jnode *j = node_at(doc, arr);
    if (!j) return sw_error_set(err, SW_FORMAT, doc->name, 0, 0, -1, "missing array");
    if (j->type != SW_JSON_ARRAY && j->type != SW_JSON_TYPED_ARRAY)
        return jerr(doc, err, SW_FORMAT, j->off, "expected an array");
    if (j->len != count)
        return jerr(doc, err, SW_FORMAT, j->off, "array has %u elements, expected %u", j->len, count);
    return SW_OK;
}

#define BULK_READ(fname, ctype, conv_typed, one, fast)                                               \
    int fname(const sw_json *doc, sw_jnode arr, ctype *out, uint32_t count, sw_error *err)     \
    {                                                                                          \
        SW_TRY(check_array(doc, arr, count, err));                                             \
        const jnode *j = &doc->nodes[arr];                                                     \
        if (j->type == SW_JSON_TYPED_ARRAY) {                                                  \
            int sz = ub_size(j->sub);                                                          \
            const unsigned char *p = doc->buf + j->off;                                        \
            for (uint32_t i = 0; i < count; i++, p += sz) {                                    \
                conv_typed;                                                                    \
            }                                                                                  \
            return SW_OK;                                                                      \
        }                                                                                      \
        uint32_t i = 0;                                                                        \
        for (sw_jnode c = sw_json_first(doc, arr); c != SW_JNONE; c = sw_json_next(doc, c)) {  \
            const jnode *cn = &doc->nodes[c];                                                  \
            if (cn->type == SW_JSON_NUMBER && !doc->ubjson) {                                  \
                if (fast(doc, cn, &out[i]) != 0)                                               \
                    return jerr(doc, err, SW_PARSE, cn->off, "invalid number '%.*s'",          \
                                (int)(cn->len > 40 ? 40 : cn->len), doc->buf + cn->off);       \
            } else {                                                                           \
                SW_TRY(one);                                                                   \
            }                                                                                  \
            i++;                                                                               \
        }                                                                                      \
        return SW_OK;                                                                          \
    }

static int typed_i32(const sw_json *doc, const jnode *j, const unsigned char *p, int32_t *out,
                     sw_error *err)
{
    long long v;
    if (j->sub == 'd' || j->sub == 'D') {
        double d = ub_number(doc, j->sub, p);
        if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != floor(d))
            return jerr(doc, err, SW_PARSE, (size_t)(p - doc->buf), "expected an integer");
        *out = (int32_t)d;
        return SW_OK;
    }
    ub_int_value(j->sub, p, &v);
    if (v < INT32_MIN || v > INT32_MAX)
        return jerr(doc, err, SW_RANGE, (size_t)(p - doc->buf), "integer %lld out of range", v);
    *out = (int32_t)v;
    return SW_OK;
}

static int one_i32(const sw_json *doc, sw_jnode c, int32_t *out, sw_error *err)
{
    long long v;
    SW_TRY(sw_json_i64(doc, c, 0, &v, err));
    if (v < INT32_MIN || v > INT32_MAX)
        return jerr(doc, err, SW_RANGE, doc->nodes[c].off, "integer %lld out of range", v);
    *out = (int32_t)v;
    return SW_OK;
}

/* JSON number text straight to the element type (the bulk of a model file) */
static int fast_f32(const sw_json *doc, const jnode *n, float *out)
{
    return sw_parse_f32((const char *)doc->buf + n->off, n->len, out);
}
static int fast_f64(const sw_json *doc, const jnode *n, double *out)
{
    return sw_parse_f64((const char *)doc->buf + n->off, n->len, out);
}
static int fast_i32(const sw_json *doc, const jnode *n, int32_t *out)
{
    long long v;
    if (sw_parse_i64((const char *)doc->buf + n->off, n->len, &v) != 0 || v < INT32_MIN || v > INT32_MAX)
        return -1;
    *out = (int32_t)v;
    return 0;
}

BULK_READ(sw_json_read_f32s, float, out[i] = (float)ub_number(doc, j->sub, p),
          sw_json_f32(doc, c, 0, &out[i], err), fast_f32)
BULK_READ(sw_json_read_f64s, double, out[i] = ub_number(doc, j->sub, p),
          sw_json_f64(doc, c, 0, &out[i], err), fast_f64)
BULK_READ(sw_json_read_i32s, int32_t, SW_TRY(typed_i32(doc, j, p, &out[i], err)),
          one_i32(doc, c, &out[i], err), fast_i32)

/* --------------------------------------------------------------- writer */

struct sw_jw {
    sw_jw_mode mode;
    char *buf;
    size_t len, cap;
    int failed;
    int depth;
    unsigned char first[MAX_DEPTH]; /* no element written yet at this level */
    int after_key;
    int shortest; /* floats as the shortest text that reads back */
};

sw_jw *sw_jw_create(sw_jw_mode mode)
{
    sw_jw *w = sw_calloc(1, sizeof *w);
    if (!w) return NULL;
    w->mode = mode;
    return w;
}

void sw_jw_shortest(sw_jw *w, int on)
{
    if (w) w->shortest = on != 0;
}

void sw_jw_free(sw_jw *w)
{
    if (!w) return;
    sw_free(w->buf);
    sw_free(w);
}

static void put(sw_jw *w, const void *p, size_t n)
{
    if (w->failed) return;
    if (sw_grow((void **)&w->buf, &w->cap, w->len + n + 1, 1)) {
        w->failed = 1;
        return;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    w->buf[w->len] = 0;
}

static void putc1(sw_jw *w, char c) { put(w, &c, 1); }

static void newline_indent(sw_jw *w)
{
    putc1(w, '\n');
    for (int i = 0; i < w->depth; i++) put(w, "  ", 2);
}

/* Separator before a value or key in JSON mode. */
static void before_item(sw_jw *w)
{
    if (w->mode == SW_JW_UBJSON) return;
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth - 1]) putc1(w, ',');
        w->first[w->depth - 1] = 0;
        if (w->mode == SW_JW_JSON_PRETTY) newline_indent(w);
    }
}

static void be_store(sw_jw *w, uint64_t v, int n)
{
    unsigned char b[8];
    for (int i = n - 1; i >= 0; i--) {
        b[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    put(w, b, (size_t)n);
}

/* Integers, lengths and counts are always 'L' (int64), as XGBoost writes them:
 * XGBoost's own UBJSON reader accepts only that marker for string lengths. */
static void ub_int(sw_jw *w, long long v)
{
    putc1(w, 'L');
    be_store(w, (uint64_t)v, 8);
}

static void open_container(sw_jw *w, char c)
{
    before_item(w);
    putc1(w, c);
    if (w->depth >= MAX_DEPTH) {
        w->failed = 1;
        return;
    }
    w->first[w->depth++] = 1;
}

static void close_container(sw_jw *w, char c)
{
    if (w->depth <= 0) {
        w->failed = 1;
        return;
    }
    int empty = w->first[w->depth - 1];
    w->depth--;
    if (w->mode == SW_JW_JSON_PRETTY && !empty) newline_indent(w);
    putc1(w, c);
}

void sw_jw_obj_begin(sw_jw *w) { open_container(w, '{'); }
void sw_jw_obj_end(sw_jw *w) { close_container(w, '}'); }
void sw_jw_arr_begin(sw_jw *w) { open_container(w, '['); }
void sw_jw_arr_end(sw_jw *w) { close_container(w, ']'); }

static void json_string(sw_jw *w, const char *s, size_t n)
{
    putc1(w, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            putc1(w, '\\');
            putc1(w, (char)c);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", c);
            put(w, e, 6);
        } else {
            putc1(w, (char)c);
        }
    }
    putc1(w, '"');
}

void sw_jw_key(sw_jw *w, const char *key)
{
    before_item(w);
    size_t n = strlen(key);
    if (w->mode == SW_JW_UBJSON) {
        ub_int(w, (long long)n);
        put(w, key, n);
        return;
    }
    json_string(w, key, n);
    putc1(w, ':');
    if (w->mode == SW_JW_JSON_PRETTY) putc1(w, ' ');
    w->after_key = 1;
}

void sw_jw_strn(sw_jw *w, const char *s, size_t n)
{
    before_item(w);
    if (w->mode == SW_JW_UBJSON) {
        putc1(w, 'S');
        ub_int(w, (long long)n);
        put(w, s, n);
        return;
    }
    json_string(w, s, n);
}

void sw_jw_str(sw_jw *w, const char *s) { sw_jw_strn(w, s, strlen(s)); }

/* A float always reads back as a float ("2" would be an integer to XGBoost). */
static int float_text(char *b, int n)
{
    int frac = 0;
    for (int i = 0; i < n; i++) frac |= b[i] == '.' || b[i] == 'e' || b[i] == 'E';
    if (!frac) {
        memcpy(b + n, ".0", 3);
        n += 2;
    }
    return n;
}

void sw_jw_f32(sw_jw *w, float v)
{
    before_item(w);
    if (w->mode == SW_JW_UBJSON) {
        uint32_t u;
        memcpy(&u, &v, 4);
        putc1(w, 'd');
        be_store(w, u, 4);
        return;
    }
    if (!isfinite(v)) {
        put(w, "null", 4);
        return;
    }
    char b[SW_NUM_BUF + 2];
    int n = w->shortest ? sw_format_f32_short(b, v) : sw_format_f32(b, v);
    put(w, b, (size_t)float_text(b, n));
}

void sw_jw_f64(sw_jw *w, double v)
{
    before_item(w);
    if (w->mode == SW_JW_UBJSON) {
        uint64_t u;
        memcpy(&u, &v, 8);
        putc1(w, 'D');
        be_store(w, u, 8);
        return;
    }
    if (!isfinite(v)) {
        put(w, "null", 4);
        return;
    }
    char b[SW_NUM_BUF + 2];
    int n = w->shortest ? sw_format_f64_short(b, v) : sw_format_f64(b, v);
    put(w, b, (size_t)float_text(b, n));
}

void sw_jw_int(sw_jw *w, long long v)
{
    before_item(w);
    if (w->mode == SW_JW_UBJSON) {
        ub_int(w, v);
        return;
    }
    char b[24], *e = b + sizeof b, *q = e;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        *--q = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0) *--q = '-';
    put(w, q, (size_t)(e - q));
}

void sw_jw_bool(sw_jw *w, int v)
{
    before_item(w);
    if (w->mode == SW_JW_UBJSON) {
        putc1(w, v ? 'T' : 'F');
        return;
    }
    if (v) {
        put(w, "true", 4);
    } else {
        put(w, "false", 5);
    }
}

void sw_jw_null(sw_jw *w)
{
    before_item(w);
    if (w->mode == SW_JW_UBJSON) {
        putc1(w, 'Z');
        return;
    }
    put(w, "null", 4);
}

static void ub_typed_header(sw_jw *w, char type, size_t n)
{
    before_item(w);
    put(w, "[$", 2);
    putc1(w, type);
    putc1(w, '#');
    ub_int(w, (long long)n);
}

void sw_jw_f32s(sw_jw *w, const float *v, size_t n)
{
    if (w->mode == SW_JW_UBJSON) {
        ub_typed_header(w, 'd', n);
        for (size_t i = 0; i < n; i++) {
            uint32_t u;
            memcpy(&u, &v[i], 4);
            be_store(w, u, 4);
        }
        return;
    }
    sw_jw_arr_begin(w);
    int pretty = w->mode == SW_JW_JSON_PRETTY;
    if (pretty) w->mode = SW_JW_JSON;
    for (size_t i = 0; i < n; i++) sw_jw_f32(w, v[i]);
    if (pretty) w->mode = SW_JW_JSON_PRETTY;
    w->depth--;
    putc1(w, ']');
}

void sw_jw_i32s(sw_jw *w, const int32_t *v, size_t n)
{
    if (w->mode == SW_JW_UBJSON) {
        ub_typed_header(w, 'l', n);
        for (size_t i = 0; i < n; i++) be_store(w, (uint32_t)v[i], 4);
        return;
    }
    sw_jw_arr_begin(w);
    int pretty = w->mode == SW_JW_JSON_PRETTY;
    if (pretty) w->mode = SW_JW_JSON;
    for (size_t i = 0; i < n; i++) sw_jw_int(w, v[i]);
    if (pretty) w->mode = SW_JW_JSON_PRETTY;
    w->depth--;
    putc1(w, ']');
}

void sw_jw_i64s(sw_jw *w, const int64_t *v, size_t n)
{
    if (w->mode == SW_JW_UBJSON) {
        ub_typed_header(w, 'L', n);
        for (size_t i = 0; i < n; i++) be_store(w, (uint64_t)v[i], 8);
        return;
    }
    sw_jw_arr_begin(w);
    int pretty = w->mode == SW_JW_JSON_PRETTY;
    if (pretty) w->mode = SW_JW_JSON;
    for (size_t i = 0; i < n; i++) sw_jw_int(w, v[i]);
    if (pretty) w->mode = SW_JW_JSON_PRETTY;
    w->depth--;
    putc1(w, ']');
}

void sw_jw_u8s(sw_jw *w, const uint8_t *v, size_t n)
{
    if (w->mode == SW_JW_UBJSON) {
        ub_typed_header(w, 'U', n);
        put(w, v, n);
        return;
    }
    sw_jw_arr_begin(w);
    int pretty = w->mode == SW_JW_JSON_PRETTY;
    if (pretty) w->mode = SW_JW_JSON;
    for (size_t i = 0; i < n; i++) sw_jw_int(w, v[i]);
    if (pretty) w->mode = SW_JW_JSON_PRETTY;
    w->depth--;
    putc1(w, ']');
}

int sw_jw_finish(sw_jw *w, const char **data, size_t *len)
{
    if (w->failed || w->depth != 0) return w->failed ? SW_NOMEM : SW_INTERNAL;
    if (!w->buf) put(w, "", 0);
    if (w->failed) return SW_NOMEM;
    *data = w->buf;
    *len = w->len;
    return SW_OK;
}

void sw_jw_kstr(sw_jw *w, const char *key, const char *s)
{
    sw_jw_key(w, key);
    sw_jw_str(w, s);
}

void sw_jw_kf64(sw_jw *w, const char *key, double v)
{
    sw_jw_key(w, key);
    sw_jw_f64(w, v);
}

void sw_jw_kint(sw_jw *w, const char *key, long long v)
{
    sw_jw_key(w, key);
    sw_jw_int(w, v);
}

void sw_jw_kbool(sw_jw *w, const char *key, int v)
{
    sw_jw_key(w, key);
    sw_jw_bool(w, v);
}

void sw_jw_knull(sw_jw *w, const char *key)
{
    sw_jw_key(w, key);
    sw_jw_null(w);
}
