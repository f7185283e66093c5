/* csv: an in-place CSV parser.  The file is read into one buffer; each field is
 * unquoted and NUL-terminated where it lies, and the table stores the offset
 * of each kept cell (4 bytes; a NUL byte in the file is refused, so a cell's
 * length is its strlen) plus each row's source line, so that a
 * typed accessor can always say exactly where a bad value came from.
 * sw_matrix_read_csv converts cells straight into floats instead, and reads a
 * large file in windows of whole lines (see windows_plan). */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omp.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "alloc.h"
#include "matrix.h"
#include "num.h"

typedef uint32_t cell; /* offset of the cell's NUL-terminated text in buf */

typedef struct {
    uint32_t line, col; /* col 0: the whole row */
    char why[88];
} skipped_row;

struct sw_table {
    char *path;
    char *buf;
    size_t buf_len;
    int ncols;            /* kept columns */
    char **names;         /* kept column names (owned) */
    int *file_col;        /* 1-based file column of each kept column, 0 if absent */
    long nrows;
    cell *cells;          /* nrows * ncols */
    uint32_t *lines;      /* nrows */
    long nskipped;        /* rows left out (opts.skip_bad_rows) */
    skipped_row *skipped;
};

static const char *empty_cell = "";

void sw_table_free(sw_table *t)
{
    if (!t) return;
    if (t->names) {
        for (int i = 0; i < t->ncols; i++) sw_free(t->names[i]);
    }
    sw_free(t->names);
    sw_free(t->file_col);
    sw_free(t->cells);
    sw_free(t->lines);
    sw_free(t->skipped);
    sw_free(t->buf);
    sw_free(t->path);
    sw_free(t);
}

/* Parse one field starting at *pos.  On return the field text is [start, start+len)
 * (NUL-terminated), *pos is past the delimiter or line end, *eol is set when the
 * field ended a record, and *line is advanced by embedded/ending newlines.  A stray
 * quote is an error after which the rest of the line can be skipped: *pos is then
 * left at the offending quote or character. */
static int parse_field(sw_table *t, size_t n, size_t *pos, size_t *start, size_t *len, int *eol,
                       long *line, long fieldno, sw_error *err)
{
    char *b = t->buf;
    size_t p = *pos;
    *eol = 0;
    if (p < n && b[p] == '"') {
        long qline = *line;
        size_t w = p; /* write position (unquoting shrinks the text) */
        size_t s = p;
        p++;
        for (;;) {
            if (p >= n) {
                return sw_error_set(err, SW_PARSE, t->path, qline, fieldno, -1,
                                    "unterminated quoted field");
            }
            char c = b[p];
            if (c == '"') {
                if (p + 1 < n && b[p + 1] == '"') {
                    b[w++] = '"';
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            if (c == '\n') (*line)++;
            b[w++] = c;
            p++;
        }
        *start = s;
        *len = w - s;
        /* after the closing quote: delimiter, line end or end of data */
        if (p < n && b[p] == '\r') p++;
        if (p >= n) {
            *eol = 1;
        } else if (b[p] == ',') {
            p++;
        } else if (b[p] == '\n') {
            p++;
            (*line)++;
            *eol = 1;
        } else {
            *pos = p;
            return sw_error_set(err, SW_PARSE, t->path, *line, fieldno, -1,
                                "unexpected character after closing quote");
        }
        b[s + *len] = '\0';
        *pos = p;
        return SW_OK;
    }
    size_t s = p;
#ifdef __SSE2__
    /* the field's end 16 bytes at a time: the first delimiter, newline or quote */
    while (p + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(b + p));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(',')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
                                   _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask) {
            p += (size_t)__builtin_ctz(mask);
            break;
        }
        p += 16;
    }
#endif
    while (p < n) {
        char c = b[p];
        if (c == ',' || c == '\n') break;
        if (c == '"') {
            *pos = p;
            return sw_error_set(err, SW_PARSE, t->path, *line, fieldno, -1,
                                "quote inside an unquoted field");
        }
        p++;
    }
    size_t e = p;
    if (e > s && b[e - 1] == '\r' && (p >= n || b[p] == '\n')) e--;
    *start = s;
    *len = e - s;
    if (p >= n) {
        *eol = 1;
    } else if (b[p] == '\n') {
        *eol = 1;
        (*line)++;
        p++;
    } else {
        p++; /* a delimiter: another field follows, possibly empty at end of data */
    }
    b[e] = '\0';
    *pos = p;
    return SW_OK;
}

static int is_blank_line(const char *b, size_t n, size_t p)
{
    if (p < n && b[p] == '\n') return 1;
    if (p + 1 < n && b[p] == '\r' && b[p + 1] == '\n') return 1;
    return 0;
}

/* The records of one stretch of the file: [p, end) holds whole lines. */
typedef struct {
    size_t p, end;
    long line;            /* source line at p */
    cell *cells;
    uint32_t *lines;
    long nr;
    size_t rcap, ccap;
    skipped_row *skipped;
    long nskipped;
    size_t scap;
    int rc;               /* the stretch's first error (SW_OK: none) */
    sw_error err;
    const struct fsink *fs; /* set: kept cells parsed as floats into fs, not stored */
    size_t row0, cap;       /* with fs: the stretch's first output row and its room */
} stretch;

/* Where the float value of kept column k of output row r goes:
 * dst[k][r * stride[k]]; names[k] and file_col[k] for errors.  Columns below
 * noinf_to may be missing but not infinite; columns from finite_from on must
 * hold finite numbers. */
typedef struct fsink {
    float **dst;
    const size_t *stride;
    const char *const *names;
    const int *file_col;
    int noinf_to, finite_from;
    const struct scol *col; /* per file column: where its cells go */
} fsink;

/* A file column's destination in a float sink: dst[r * stride] for output
 * row r, kept column k; dst NULL when the column is not kept. */
typedef struct scol {
    float *dst;
    size_t stride;
    int k;
} scol;

/* Record a row left out (opts.skip_bad_rows). */
static int skip_row(stretch *t, long line, long col, const char *why)
{
    if (sw_grow((void **)&t->skipped, &t->scap, (size_t)t->nskipped + 1, sizeof *t->skipped)) return SW_NOMEM;
    skipped_row *s = &t->skipped[t->nskipped++];
    s->line = (uint32_t)line;
    s->col = (uint32_t)col;
    size_t l = strlen(why);
    if (l >= sizeof s->why) l = sizeof s->why - 1;
    memcpy(s->why, why, l);
    s->why[l] = '\0';
    return SW_OK;
}

/* Stretches of at least 1 MiB when the records are parsed on several cores. */
#define STRETCH_MIN (1 << 20)

/* A new row of nk empty cells at the end of st's arrays; NULL (st->rc set)
 * when out of memory. */
static cell *new_row(sw_table *t, stretch *st, int nk)
{
    static cell none;
    if (st->fs) {
        if (st->nr < (long)st->cap) return &none;
        st->rc = sw_fail(&st->err, SW_INTERNAL, "%s: more records than lines", t->path);
        return NULL;
    }
    if (sw_grow((void **)&st->lines, &st->rcap, (size_t)st->nr + 1, sizeof *st->lines) ||
        sw_grow((void **)&st->cells, &st->ccap, ((size_t)st->nr + 1) * (size_t)(nk ? nk : 1), sizeof *st->cells)) {
        st->rc = sw_fail(&st->err, SW_NOMEM, "out of memory reading %s", t->path);
        return NULL;
    }
    cell *row = st->cells + (size_t)st->nr * (size_t)nk;
    for (int k = 0; k < nk; k++) row[k] = (uint32_t)t->buf_len; /* points at the terminating NUL: empty */
    return row;
}

/* A row of f fields read from source line rec_line: kept when f is the
 * header's nh, else left out (skip_bad) or the stretch's error.  Returns 0
 * to go on, -1 when the stretch stops (st->rc set). */
static int end_row(sw_table *t, stretch *st, long rec_line, int f, int nh, int skip_bad)
{
    if (f == nh) {
        if (!st->fs) st->lines[st->nr] = (uint32_t)rec_line;
        st->nr++;
        return 0;
    }
    if (skip_bad) {
        char why[64];
        snprintf(why, sizeof why, "expected %d fields, found %d", nh, f);
        if (!skip_row(st, rec_line, 0, why)) return 0;
        st->rc = sw_fail(&st->err, SW_NOMEM, "out of memory reading %s", t->path);
        return -1;
    }
    st->rc = sw_error_set(&st->err, SW_PARSE, t->path, rec_line, 0, -1, "expected %d fields, found %d", nh, f);
    return -1;
}

/* [-]digits[.digits] at the start of c as m x 10^e with nd digits: the
 * length read (it stops at any other byte). */
static inline size_t scan_plain(const char *c, uint64_t *m, int *nd, int *e)
{
    size_t i = c[0] == '-';
    uint64_t v = 0;
    int n = 0, x = 0, dot = 0;
    for (;; i++) {
        unsigned d = (unsigned)(unsigned char)c[i] - '0';
        if (d < 10) {
            v = v * 10 + d;
            n++;
            x -= dot;
        } else if (c[i] == '.' && !dot) {
            dot = 1;
        } else {
            break;
        }
    }
    *m = v;
    *nd = n;
    *e = x;
    return i;
}

/* A cell's text [c, c + len) as float32, exactly as sw_parse_f32 reads it;
 * missing tokens are NaN; -1 when it is not a number.  c[len] must not be a
 * digit or a dot (a delimiter, a line end or the NUL). */
static inline int cell_f32(const char *c, size_t len, float *out)
{
    uint64_t m;
    int nd, e;
    size_t i = scan_plain(c, &m, &nd, &e);
    if (i == len && nd > 0 && nd <= 15 && e >= -22 && sw_parse_f32_decimal(m, e, c[0] == '-', c, len, out) == 0)
        return 0;
    if (sw_is_missing_token(c, len)) {
        *out = NAN;
        return 0;
    }
    return sw_parse_f32(c, len, out);
}

/* The sinks' fast path: a plain decimal ([-]digits[.digits], 1 to 15
 * digits) as float32, as cell_f32 reads it, always finite; -1 for any other
 * text (cell_f32 then decides). */
static inline int plain_f32(const char *c, size_t len, float *out)
{
    int neg = c[0] == '-';
    size_t i = (size_t)neg, dot = 0; /* dot: the dot's index + 1 */
    uint64_t v = 0;
    for (const char *p = c + i, *z = c + len; p < z; p++) {
        unsigned d = (unsigned)(unsigned char)*p - '0';
        if (d < 10) v = v * 10 + d;
        else if (d == (unsigned)'.' - '0' && !dot) dot = (size_t)(p - c) + 1;
        else return -1;
    }
    size_t nd = len - (size_t)neg - (dot != 0);
    if (nd - 1 >= 15) return -1; /* no digit, or more than 15 */
    return sw_parse_f32_decimal(v, dot ? (int)dot - (int)len : 0, neg, c, len, out);
}

/* Keep field [s, s + len) of file column f (0-based) as kept column k of the
 * row: its offset, or with a float sink its value.  Returns -1 (st->rc set)
 * when the sink's cell is not a number. */
static inline __attribute__((always_inline)) int keep_cell(const sw_table *t, stretch *st, cell *row, int k, size_t s, size_t len, long rec_line)
{
    if (!st->fs) {
        row[k] = (uint32_t)s;
        return 0;
    }
    const fsink *fs = st->fs;
    const char *c = t->buf + s;
    float *v = &fs->dst[k][(st->row0 + (size_t)st->nr) * fs->stride[k]];
    if (cell_f32(c, len, v) == 0) {
        float x = *v;
        if (isfinite(x) || (isnan(x) ? k < fs->finite_from : k >= fs->noinf_to && k < fs->finite_from)) return 0;
        st->rc = sw_error_set(&st->err, SW_INVALID_DATA, t->path, rec_line, fs->file_col[k], -1,
                              k < fs->noinf_to ? SW__INFINITE_CELL : "column %s: missing or not finite: '%.*s'",
                              fs->names[k], (int)(len < 40 ? len : 40), c);
        return -1;
    }
    st->rc = sw_error_set(&st->err, SW_PARSE, t->path, rec_line, fs->file_col[k], -1,
                          "column %s: not a number: '%.*s'", fs->names[k], (int)(len < 40 ? len : 40), c);
    return -1;
}

/* The records of stretch st (whole lines): cells of the kept columns (map:
 * file column -> kept index), lines, rows left out; the first error in st->rc
 * and st->err. */
static void parse_stretch(sw_table *t, stretch *st, const int *map, int nh, int nk, int skip_bad)
{
    char *b = t->buf;
    size_t n = st->end, p = st->p;
    long line = st->line;
    while (p < n) {
        if (is_blank_line(b, n, p)) {
            p += b[p] == '\r' ? 2 : 1;
            line++;
            continue;
        }
        long rec_line = line;
        cell *row = new_row(t, st, nk);
        if (!row) return;
        int f = 0, bad = 0;
        for (;;) {
            size_t s, l;
            int eol;
            sw_error fe;
            size_t at = p;
            int rc = parse_field(t, n, &p, &s, &l, &eol, &line, f + 1, &fe);
            if (rc) {
                /* a stray quote: unless the quote never closes, the rest of the line
                 * can be skipped and the next row read */
                if (skip_bad && p != at) {
                    while (p < n && b[p] != '\n') p++;
                    if (p < n) {
                        p++;
                        line++;
                    }
                    if (skip_row(st, fe.line, fe.col, fe.msg)) {
                        st->rc = sw_fail(&st->err, SW_NOMEM, "out of memory reading %s", t->path);
                        return;
                    }
                    bad = 1;
                    break;
                }
                st->rc = rc;
                st->err = fe;
                return;
            }
            if (f < nh && map[f] >= 0 && keep_cell(t, st, row, map[f], s, l, rec_line)) return;
            f++;
            if (eol) break;
        }
        if (bad) continue;
        if (end_row(t, st, rec_line, f, nh, skip_bad)) return;
    }
}

#ifdef __SSE2__
/* Bits i of the commas and of the newlines among the 64 bytes at b (which
 * must all be readable). */
static inline void delim_bits(const char *b, uint64_t *comma, uint64_t *nl)
{
    uint64_t c = 0, l = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(b + 16 * k));
        c |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(','))) << (16 * k);
        l |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))) << (16 * k);
    }
    *comma = c;
    *nl = l;
}

/* parse_stretch for data without a quote: the commas and newlines of 64
 * bytes at a time as bit masks, a field per bit; the same cells, lines, rows
 * left out and errors as parse_stretch.  sink: st->fs is set, and a plain
 * decimal goes straight to its column's float. */
static inline __attribute__((always_inline)) void noquote_body(sw_table *t, stretch *st, const int *map, int nh,
                                                               int nk, int skip_bad, const int sink)
{
    char *b = t->buf;
    size_t n = st->end, s = st->p; /* s: the field's start */
    long line = st->line, rec_line = line;
    int f = 0; /* fields of the record so far */
    cell *row = NULL;
    const scol *col = sink ? st->fs->col : NULL;
    size_t r = 0; /* sink: the output row */
    for (size_t w = st->p; w < n; w += 64) {
        uint64_t cm = 0, nl = 0;
        if (w + 64 <= n) {
            delim_bits(b + w, &cm, &nl);
        } else { /* the stretch's last bytes: reading past its end would race with the next
                  * stretch's thread, which writes its fields' ends there */
            for (size_t i = w; i < n; i++) {
                cm |= (uint64_t)(b[i] == ',') << (i - w);
                nl |= (uint64_t)(b[i] == '\n') << (i - w);
            }
        }
        uint64_t m = cm | nl;
        if (n - w < 64) m &= (1ULL << (n - w)) - 1;
        while (m) {
            size_t d = w + (size_t)__builtin_ctzll(m);
            m &= m - 1;
            int eol = (int)(nl >> (d - w)) & 1;
            if (f == 0) {
                if (eol && (d == s || (d == s + 1 && b[s] == '\r'))) { /* a blank line */
                    line++;
                    s = d + 1;
                    continue;
                }
                if (!(row = new_row(t, st, nk))) return;
                rec_line = line;
                r = st->row0 + (size_t)st->nr;
            }
            size_t e = d;
            if (eol && e > s && b[e - 1] == '\r') e--;
            if (sink) {
                float x;
                if (f < nh && col[f].dst) { /* the destination computed after the digits: fewer registers live */
                    if (plain_f32(b + s, e - s, &x) == 0) col[f].dst[r * col[f].stride] = x;
                    else if (keep_cell(t, st, row, col[f].k, s, e - s, rec_line)) return;
                }
            } else {
                b[e] = '\0';
                if (f < nh && map[f] >= 0 && keep_cell(t, st, row, map[f], s, e - s, rec_line)) return;
            }
            f++;
            s = d + 1;
            if (eol) {
                line++;
                if (end_row(t, st, rec_line, f, nh, skip_bad)) return;
                f = 0;
            }
        }
    }
    if (s < n || f > 0) { /* the last record, without a newline at the end of the data */
        if (f == 0) {
            if (!(row = new_row(t, st, nk))) return;
            rec_line = line;
        }
        size_t e = n;
        if (e > s && b[e - 1] == '\r') e--;
        if (!sink) b[e] = '\0';
        if (f < nh && map[f] >= 0 && keep_cell(t, st, row, map[f], s, e - s, rec_line)) return;
        end_row(t, st, rec_line, f + 1, nh, skip_bad);
    }
}

static void parse_stretch_noquote(sw_table *t, stretch *st, const int *map, int nh, int nk, int skip_bad)
{
    if (st->fs) noquote_body(t, st, map, nh, nk, skip_bad, 1);
    else noquote_body(t, st, map, nh, nk, skip_bad, 0);
}
#endif

/* The header: the BOM and blank lines before it skipped, its fields (pointers
 * into t->buf) in *hdr (caller frees), duplicates refused; *p and *line are
 * left at the first record. */
static int parse_header(sw_table *t, size_t *pp, long *pline, char ***out, int *nout, sw_error *err)
{
    char *b = t->buf;
    size_t n = t->buf_len, p = 0;
    long line = 1;
    *out = NULL;
    *nout = 0;
    if (n >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB && (unsigned char)b[2] == 0xBF) p = 3;
    while (p < n && is_blank_line(b, n, p)) {
        p += b[p] == '\r' ? 2 : 1;
        line++;
    }
    if (p >= n) return sw_error_set(err, SW_PARSE, t->path, 1, 0, -1, "empty file (no header)");
    const char *nul = memchr(b, '\0', n);
    if (nul) { /* cells are NUL-terminated text: a NUL inside one would cut it short */
        long at = 1;
        for (const char *q = b; (q = memchr(q, '\n', (size_t)(nul - q))); q++) at++;
        return sw_error_set(err, SW_PARSE, t->path, at, 0, -1, "NUL byte at offset %zu: not a text file",
                            (size_t)(nul - b));
    }
    size_t hcap = 0;
    char **hdr = NULL;
    int nh = 0, rc = SW_OK;
    for (;;) {
        size_t s, l;
        int eol;
        if ((rc = parse_field(t, n, &p, &s, &l, &eol, &line, nh + 1, err))) break;
        if (sw_grow((void **)&hdr, &hcap, (size_t)nh + 1, sizeof *hdr)) {
            rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
            break;
        }
        hdr[nh++] = b + s;
        if (eol) break;
    }
    for (int i = 0; i < nh && rc == SW_OK; i++) {
        for (int j = 0; j < i && rc == SW_OK; j++) {
            if (strcmp(hdr[i], hdr[j]) == 0)
                rc = sw_error_set(err, SW_PARSE, t->path, 1, i + 1, -1, "duplicate column name '%s'", hdr[i]);
        }
    }
    if (rc) {
        sw_free(hdr);
        return rc;
    }
    *out = hdr;
    *nout = nh;
    *pp = p;
    *pline = line;
    return SW_OK;
}

/* Kept column k from header field map[j] == k: which file column each of the
 * n names is (file_col, 1-based; 0 when absent) and the map; with
 * allow_missing unset an absent name is an error listing them all. */
static int map_columns(const sw_table *t, char **hdr, int nh, const char *const *names, int n, int allow_missing,
                       int *map, int *file_col, sw_error *err)
{
    char missing[512];
    size_t mlen = 0;
    int nmissing = 0;
    missing[0] = '\0';
    for (int j = 0; j < nh; j++) map[j] = -1;
    for (int k = 0; k < n; k++) {
        file_col[k] = 0;
        for (int j = 0; j < nh; j++) {
            if (strcmp(hdr[j], names[k]) == 0) {
                if (map[j] < 0) map[j] = k;
                file_col[k] = j + 1;
                break;
            }
        }
        if (!file_col[k]) {
            nmissing++;
            if (mlen < sizeof missing - 64)
                mlen += (size_t)snprintf(missing + mlen, sizeof missing - mlen, "%s%s", nmissing > 1 ? ", " : "",
                                         names[k]);
        }
    }
    if (nmissing && !allow_missing)
        return sw_error_set(err, SW_MISMATCH, t->path, 1, 0, -1, "missing column%s: %s", nmissing > 1 ? "s" : "",
                            missing);
    return SW_OK;
}

/* The records from p on, cut into stretches of whole lines (on all cores when
 * the data hold no quote: a quoted field may span lines, else one), each with
 * its first line number and its count of newlines (*nls, caller frees). */
static int plan_stretches(sw_table *t, size_t p, long line, stretch **out, long **nls_out, int *ns_out, int *noquote,
                          sw_error *err)
{
    char *b = t->buf;
    size_t n = t->buf_len;
    int ns = 1;
    *noquote = !memchr(b + p, '"', n - p);
    if (n - p >= STRETCH_MIN && *noquote) {
        ns = omp_get_max_threads() * 4;
        if ((size_t)ns > (n - p) / (STRETCH_MIN / 4)) ns = (int)((n - p) / (STRETCH_MIN / 4));
        if (ns < 1) ns = 1;
    }
    stretch *st = sw_calloc((size_t)ns, sizeof *st);
    long *nls = sw_calloc((size_t)ns + 1, sizeof *nls);
    if (!st || !nls) {
        sw_free(st);
        sw_free(nls);
        return sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
    }
    /* boundaries just after a newline */
    for (int k = 0; k < ns; k++) {
        size_t a = p + (n - p) / (size_t)ns * (size_t)k;
        if (k) {
            const char *nl = memchr(b + a, '\n', n - a);
            a = nl ? (size_t)(nl - b) + 1 : n;
            if (a < st[k - 1].p) a = st[k - 1].p;
        }
        st[k].p = a;
    }
    for (int k = 0; k < ns; k++) st[k].end = k + 1 < ns ? st[k + 1].p : n;
#pragma omp parallel for schedule(dynamic, 1) if (ns > 1)
    for (int k = 0; k < ns; k++) {
        long c = 0;
        for (const char *q = b + st[k].p, *e = b + st[k].end; (q = memchr(q, '\n', (size_t)(e - q))); q++) c++;
        nls[k] = c;
    }
    st[0].line = line;
    for (int k = 1; k < ns; k++) st[k].line = st[k - 1].line + nls[k - 1];
    *out = st;
    *nls_out = nls;
    *ns_out = ns;
    return SW_OK;
}

/* Every stretch parsed (in parallel); the first error in file order. */
static int run_stretches(sw_table *t, stretch *st, int ns, int noquote, const int *map, int nh, int nk, int skip_bad,
                         sw_error *err)
{
#pragma omp parallel for schedule(dynamic, 1) if (ns > 1)
    for (int k = 0; k < ns; k++) {
#ifdef __SSE2__
        if (noquote) {
            parse_stretch_noquote(t, &st[k], map, nh, nk, skip_bad);
            continue;
        }
#endif
        parse_stretch(t, &st[k], map, nh, nk, skip_bad);
    }
    (void)noquote;
    for (int k = 0; k < ns; k++) {
        if (st[k].rc == SW_OK) continue;
        if (err) *err = st[k].err;
        return st[k].rc;
    }
    return SW_OK;
}

static void free_stretches(stretch *st, int ns)
{
    for (int k = 0; st && k < ns; k++) {
        sw_free(st[k].cells);
        sw_free(st[k].lines);
        sw_free(st[k].skipped);
    }
    sw_free(st);
}

/* The rows left out by every stretch, in file order, as the table's list. */
static int gather_skipped(sw_table *t, stretch *st, int ns, sw_error *err)
{
    long nsk = 0;
    for (int k = 0; k < ns; k++) nsk += st[k].nskipped;
    t->nskipped = 0;
    if (!nsk) return SW_OK;
    t->skipped = sw_alloc_array((size_t)nsk, sizeof *t->skipped);
    if (!t->skipped) return sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
    for (int k = 0; k < ns; k++) {
        if (st[k].nskipped)
            memcpy(t->skipped + t->nskipped, st[k].skipped, (size_t)st[k].nskipped * sizeof *t->skipped);
        t->nskipped += st[k].nskipped;
    }
    return SW_OK;
}

static int parse_all(sw_table *t, const sw_csv_opts *opts, sw_error *err)
{
    size_t p = 0;
    long line = 1;
    char **hdr;
    int nh;
    SW_TRY(parse_header(t, &p, &line, &hdr, &nh, err));
    /* kept columns: those asked for, else all */
    int nk = opts && opts->columns ? opts->n_columns : nh;
    t->ncols = nk;
    t->names = sw_calloc((size_t)nk ? (size_t)nk : 1, sizeof *t->names);
    t->file_col = sw_calloc((size_t)nk ? (size_t)nk : 1, sizeof *t->file_col);
    int *map = sw_alloc_array((size_t)nh + 1, sizeof *map); /* file col -> kept index */
    int rc = !t->names || !t->file_col || !map ? sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path) : SW_OK;
    for (int k = 0; k < nk && rc == SW_OK; k++) {
        t->names[k] = sw_strdup(opts && opts->columns ? opts->columns[k] : hdr[k]);
        if (!t->names[k]) rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
    }
    if (rc == SW_OK)
        rc = map_columns(t, hdr, nh, (const char *const *)t->names, nk, opts && opts->allow_missing_columns, map,
                         t->file_col, err);
    sw_free(hdr);
    stretch *st = NULL;
    long *nls = NULL;
    int ns = 0, noquote;
    if (rc == SW_OK) rc = plan_stretches(t, p, line, &st, &nls, &ns, &noquote, err);
    if (rc == SW_OK) rc = run_stretches(t, st, ns, noquote, map, nh, nk, opts && opts->skip_bad_rows, err);
    sw_free(map);
    sw_free(nls);
    /* every stretch's rows in order */
    long nr = 0;
    for (int k = 0; k < ns && rc == SW_OK; k++) nr += st[k].nr;
    if (rc == SW_OK && ns == 1) { /* one stretch: its arrays are the table's */
        t->cells = st[0].cells;
        t->lines = st[0].lines;
        t->skipped = st[0].skipped;
        t->nskipped = st[0].nskipped;
        st[0].cells = NULL;
        st[0].lines = NULL;
        st[0].skipped = NULL;
    } else if (rc == SW_OK) {
        t->cells = sw_alloc_array((size_t)nr * (size_t)(nk ? nk : 1) + 1, sizeof *t->cells);
        t->lines = sw_alloc_array((size_t)nr + 1, sizeof *t->lines);
        if (!t->cells || !t->lines) rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
        if (rc == SW_OK) rc = gather_skipped(t, st, ns, err);
        for (long k = 0, r0 = 0; k < ns && rc == SW_OK; r0 += st[k].nr, k++) {
            if (!st[k].nr) continue;
            memcpy(t->cells + (size_t)r0 * (size_t)nk, st[k].cells, (size_t)st[k].nr * (size_t)nk * sizeof *t->cells);
            memcpy(t->lines + r0, st[k].lines, (size_t)st[k].nr * sizeof *t->lines);
        }
    }
    t->nrows = rc == SW_OK ? nr : 0;
    if (rc) t->nskipped = 0;
    free_stretches(st, ns);
    return rc;
}

int sw_table_parse(const char *name, const char *data, size_t len, const sw_csv_opts *opts,
                   sw_table **out, sw_error *err)
{
    *out = NULL;
    long long max = opts && opts->max_bytes > 0 ? opts->max_bytes : (2LL << 30);
    if ((long long)len > max || len >= UINT32_MAX - 1)
        return sw_error_set(err, SW_RANGE, name, 0, 0, -1, "file too large (%zu bytes)", len);
    sw_table *t = sw_calloc(1, sizeof *t);
    if (!t) return sw_fail(err, SW_NOMEM, "out of memory");
    t->path = sw_strdup(name ? name : "<memory>");
    t->buf = sw_malloc(len + 1);
    if (!t->path || !t->buf) {
        sw_table_free(t);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    memcpy(t->buf, data, len);
    t->buf[len] = '\0';
    t->buf_len = len;
    int rc = parse_all(t, opts, err);
    if (rc) {
        sw_table_free(t);
        return rc;
    }
    *out = t;
    return SW_OK;
}

/* Read chunks of 4 MiB of a regular file at once, on every core. */
#define READ_CHUNK (4 << 20)

/* [off, off + len) of fd into data by pread, chunks in parallel; 0 when all
 * of it was there.  With nl set, the chunks are scanned while in cache: *nl
 * gets the newlines and *special is set when a quote or a NUL is among them. */
static int pread_scan(int fd, char *data, size_t len, size_t off, long *nl, int *special)
{
    long nc = (long)((len + READ_CHUNK - 1) / READ_CHUNK), lines = 0;
    int bad = 0, sp = 0;
#pragma omp parallel for schedule(dynamic, 1) if (nc > 1) reduction(| : bad, sp) reduction(+ : lines)
    for (long c = 0; c < nc; c++) {
        size_t a = (size_t)c * READ_CHUNK, e = a + READ_CHUNK < len ? a + READ_CHUNK : len, a0 = a;
        while (a < e) {
            ssize_t got = pread(fd, data + a, e - a, (off_t)(off + a));
            if (got <= 0) {
                if (got < 0 && errno == EINTR) continue;
                bad = 1;
                break;
            }
            a += (size_t)got;
        }
        if (nl && a == e) {
            sp |= memchr(data + a0, '"', e - a0) || memchr(data + a0, '\0', e - a0);
            for (const char *q = data + a0, *z = data + e; (q = memchr(q, '\n', (size_t)(z - q))); q++) lines++;
        }
    }
    if (nl) *nl = lines;
    if (special) *special = sp;
    return bad;
}

static int pread_all(int fd, char *data, size_t len) { return pread_scan(fd, data, len, 0, NULL, NULL); }

/* The file at path in a new table's buffer (NUL-terminated, 64 KiB of room
 * after it), not parsed. */
static int read_file(const char *path, long long max, sw_table **out, sw_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sw_error_set(err, SW_IO, path, 0, 0, -1, "cannot open: %s", strerror(errno));
    char *data = NULL;
    size_t len = 0, cap = 0;
    int rc = SW_OK;
    /* a regular file: its size read in one buffer (no regrowth copies), in
     * parallel; then on to the end, should it have grown */
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 && sb.st_size <= max) {
        if (sw_grow((void **)&data, &cap, (size_t)sb.st_size + 65536, 1)) {
            close(fd);
            return sw_fail(err, SW_NOMEM, "out of memory reading %s", path);
        }
        if (pread_all(fd, data, (size_t)sb.st_size) == 0 && lseek(fd, sb.st_size, SEEK_SET) == sb.st_size)
            len = (size_t)sb.st_size;
        else if (lseek(fd, 0, SEEK_SET) != 0) /* shrunk meanwhile: read it as it is now */
            rc = sw_error_set(err, SW_IO, path, 0, 0, -1, "read error: %s", strerror(errno));
    }
    while (rc == SW_OK) {
        if (sw_grow((void **)&data, &cap, len + 65536, 1)) {
            rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", path);
            break;
        }
        ssize_t got = read(fd, data + len, cap - len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            rc = sw_error_set(err, SW_IO, path, 0, 0, -1, "read error: %s", strerror(errno));
            break;
        }
        len += (size_t)got;
        if ((long long)len > max) {
            rc = sw_error_set(err, SW_RANGE, path, 0, 0, -1, "file larger than %lld bytes", max);
            break;
        }
        if (got == 0) break;
    }
    close(fd);
    sw_table *t = rc == SW_OK ? sw_calloc(1, sizeof *t) : NULL;
    if (t) t->path = sw_strdup(path);
    if (rc == SW_OK && (!t || !t->path || (len + 65536 > cap && sw_grow((void **)&data, &cap, len + 65536, 1))))
        rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", path);
    if (rc) {
        sw_table_free(t);
        sw_free(data);
        return rc;
    }
    data[len] = '\0';
    t->buf = data; /* parsed in place: no second copy */
    t->buf_len = len;
    *out = t;
    return SW_OK;
}

int sw_table_read_csv(const char *path, const sw_csv_opts *opts, sw_table **out, sw_error *err)
{
    sw_table *t;
    SW_TRY(read_file(path, opts && opts->max_bytes > 0 ? opts->max_bytes : (2LL << 30), &t, err));
    int rc = parse_all(t, opts, err);
    if (rc) {
        sw_table_free(t);
        return rc;
    }
    *out = t;
    return SW_OK;
}

static int named(const char *const *list, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0) return 1;
    return 0;
}

/* Large regular files are read in windows of whole lines instead of into one
 * buffer of their size: a first pass counts each window's lines (and gives up
 * at a quote, which may hide a newline, or a NUL: the whole-file path handles
 * both), the second reads each window again into the same buffer and parses
 * it straight into the matrix.  Memory: the matrix and one window. */
size_t sw__csv_window = (size_t)8 << 20;

typedef struct {
    int fd, n;       /* windows */
    size_t *at;      /* window k: file bytes [at[k], at[k + 1]) */
    long *nl;        /* newlines in window k */
    char *buf;       /* room for a window, its NUL and 64 KiB */
    size_t cap;
} windows;

static void windows_free(windows *w)
{
    if (w->fd >= 0) close(w->fd);
    sw_free(w->at);
    sw_free(w->nl);
    sw_free(w->buf);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

/* The first pass: 1 when path is read in windows (w filled), 0 when it is
 * read whole (small, not a regular file, a quote or NUL, a line longer than a
 * window, a read error: the whole-file path reports what it finds). */
static int windows_plan(const char *path, long long max, windows *w)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    size_t win = sw__csv_window;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    w->fd = fd;
    struct stat sb;
    if (win == 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 || (size_t)sb.st_size <= win ||
        sb.st_size > max)
        goto whole;
    size_t size = (size_t)sb.st_size, off = 0, acap = 0, ncap = 0;
    if (sw_grow((void **)&w->buf, &w->cap, win + 65536 + 1, 1)) goto whole;
    while (off < size) {
        size_t want = size - off < win ? size - off : win, end = want;
        long nl;
        int special;
        if (pread_scan(fd, w->buf, want, off, &nl, &special) || special) goto whole;
        if (off == 0) { /* the header in the first window (else read whole: blank lines first) */
            size_t q = want >= 3 && !memcmp(w->buf, "\xEF\xBB\xBF", 3) ? 3 : 0;
            while (q < want && (w->buf[q] == '\n' || w->buf[q] == '\r')) q++;
            if (q == want || !memchr(w->buf + q, '\n', want - q)) goto whole;
        }
        if (off + want < size) { /* up to the window's last line end */
            const char *last = memrchr(w->buf, '\n', want);
            if (!last) goto whole;
            end = (size_t)(last - w->buf) + 1;
        }
        if (sw_grow((void **)&w->at, &acap, (size_t)w->n + 2, sizeof *w->at) ||
            sw_grow((void **)&w->nl, &ncap, (size_t)w->n + 1, sizeof *w->nl))
            goto whole;
        w->at[w->n] = off;
        w->nl[w->n++] = nl; /* no newline lies past end */
        off += end;
    }
    w->at[w->n] = size;
    return 1;
whole:
    windows_free(w);
    return 0;
}

/* Window k read again into w->buf as t's text; an error when it is no longer
 * what the first pass saw. */
static int window_load(windows *w, int k, sw_table *t, sw_error *err)
{
    size_t len = w->at[k + 1] - w->at[k];
    long nl;
    int special;
    if (pread_scan(w->fd, w->buf, len, w->at[k], &nl, &special) || nl != w->nl[k] || special)
        return sw_error_set(err, SW_IO, t->path, 0, 0, (long long)w->at[k], "the file changed while it was read");
    w->buf[len] = '\0';
    t->buf = w->buf;
    t->buf_len = len;
    return SW_OK;
}

/* t's text from p cut into stretches, each with its room for rows: a record
 * per newline (the last stretch one more) and at most a record per nh bytes
 * with its line end; *need: the rows of room in all. */
static int plan_rows(sw_table *t, size_t p, long line, int nh, stretch **st, int *ns, int *noquote, size_t *need,
                     sw_error *err)
{
    long *nls = NULL;
    SW_TRY(plan_stretches(t, p, line, st, &nls, ns, noquote, err));
    size_t at = 0;
    for (int k = 0; k < *ns; k++) {
        size_t by_lines = (size_t)nls[k] + (k == *ns - 1), by_bytes = ((*st)[k].end - (*st)[k].p + 1) / (size_t)nh + 1;
        (*st)[k].row0 = at;
        (*st)[k].cap = by_lines < by_bytes ? by_lines : by_bytes;
        at += (*st)[k].cap;
    }
    sw_free(nls);
    *need = at;
    return SW_OK;
}

/* The planned stretches parsed into the matrix and vectors from row *rows on,
 * then their rows brought together (blank lines leave gaps). */
static int parse_rows(sw_table *t, stretch *st, int ns, int noquote, const fsink *fs, const int *map, int nh, int nm,
                      int nv, sw_matrix *X, float **vec, size_t *rows, sw_error *err)
{
    for (int k = 0; k < ns; k++) {
        st[k].row0 += *rows;
        st[k].fs = fs;
    }
    SW_TRY(run_stretches(t, st, ns, noquote, map, nh, nm + nv, 0, err));
    size_t r = *rows;
    for (int k = 0; k < ns; k++) {
        size_t nr = (size_t)st[k].nr;
        if (st[k].row0 != r && nr) {
            memmove(X->data + r * (size_t)nm, X->data + st[k].row0 * (size_t)nm, nr * (size_t)nm * sizeof *X->data);
            for (int i = 0; i < nv; i++) memmove(vec[i] + r, vec[i] + st[k].row0, nr * sizeof **vec);
        }
        r += nr;
    }
    *rows = r;
    return SW_OK;
}

int sw_matrix_read_csv(const char *path, const sw_csv_matrix_opts *o, sw_matrix **out, float **vec, sw_error *err)
{
    *out = NULL;
    int nv = o->n_vectors;
    for (int i = 0; i < nv; i++) vec[i] = NULL;
    long long max = o->max_bytes > 0 ? o->max_bytes : (2LL << 30);
    windows w;
    sw_table *t = NULL;
    int rc = SW_OK;
    char *hbuf = NULL; /* windows: the header's text, kept while the buffer is reused */
    if (windows_plan(path, max, &w)) {
        t = sw_calloc(1, sizeof *t);
        if (!t || !(t->path = sw_strdup(path))) {
            sw_free(t);
            windows_free(&w);
            return sw_fail(err, SW_NOMEM, "out of memory reading %s", path);
        }
        rc = window_load(&w, 0, t, err);
    } else {
        SW_TRY(read_file(path, max, &t, err));
    }
    size_t p = 0;
    long line = 1;
    char **hdr = NULL;
    int nh = 0, nm = 0;
    if (rc == SW_OK) rc = parse_header(t, &p, &line, &hdr, &nh, err);
    if (rc == SW_OK && w.n) { /* the header's names outlive the first window */
        if (!(hbuf = sw_malloc(p + 1))) rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", path);
        for (int j = 0; rc == SW_OK && j < nh; j++) hdr[j] = hbuf + (hdr[j] - t->buf);
        if (hbuf) memcpy(hbuf, t->buf, p);
    }
    /* kept columns: the matrix's, then the vectors */
    int cap_k = (o->columns ? o->n_columns : nh) + nv;
    const char **names = sw_alloc_array((size_t)cap_k + 1, sizeof *names);
    int *map = sw_alloc_array((size_t)nh + 1, sizeof *map);
    int *file_col = sw_alloc_array((size_t)cap_k + 1, sizeof *file_col);
    if (rc == SW_OK && (!names || !map || !file_col)) rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", path);
    if (rc == SW_OK) {
        for (int j = 0; j < (o->columns ? o->n_columns : nh); j++) {
            const char *nmj = o->columns ? o->columns[j] : hdr[j];
            if (!o->columns && (named(o->vectors, nv, nmj) || named(o->drop, o->n_drop, nmj))) continue;
            names[nm++] = nmj;
        }
        for (int i = 0; i < nv; i++) names[nm + i] = o->vectors[i];
        rc = map_columns(t, hdr, nh, names, nm + nv, 0, map, file_col, err);
    }
    for (int i = 0; !o->columns && i < o->n_drop && rc == SW_OK; i++) /* a misspelt name would keep a column */
        if (!named((const char *const *)hdr, nh, o->drop[i]))
            rc = sw_error_set(err, SW_MISMATCH, path, 1, 0, -1, "no column %s to drop", o->drop[i]);
    for (int k = 0; k < nm + nv && rc == SW_OK; k++) {
        if (map[file_col[k] - 1] != k)
            rc = sw_error_set(err, SW_ARG, path, 1, file_col[k], -1, "column %s asked for twice", names[k]);
    }
    /* the first (or only) text planned, then room for every row: with
     * windows, a record per newline and one more per window */
    stretch *st = NULL;
    int ns = 0, noquote = 0;
    size_t cap = 0, rows = 0;
    if (rc == SW_OK) rc = plan_rows(t, p, line, nh, &st, &ns, &noquote, &cap, err);
    if (rc == SW_OK && w.n) { /* what plan_rows gives each window, at most: by lines, or by bytes
                                * (plus two rows a stretch, at most 4 stretches a thread) */
        size_t by_lines = 0, by_bytes = 0, per = 8 * (size_t)omp_get_max_threads() + 2;
        for (int k = 0; k < w.n; k++) {
            by_lines += (size_t)w.nl[k] + 1;
            by_bytes += (w.at[k + 1] - w.at[k]) / (size_t)nh + per;
        }
        size_t all = by_lines < by_bytes ? by_lines : by_bytes;
        if (all < cap) rc = sw_fail(err, SW_INTERNAL, "%s: %zu rows of room for a window needing %zu", path, all, cap);
        cap = all;
    }
    sw_matrix *X = NULL;
    float **dst = sw_alloc_array((size_t)(nm + nv) + 1, sizeof *dst);
    size_t *stride = sw_alloc_array((size_t)(nm + nv) + 1, sizeof *stride);
    scol *col = sw_alloc_array((size_t)nh + 1, sizeof *col);
    if (rc == SW_OK) {
        X = sw__matrix_new((long)cap, nm, 0);
        for (int i = 0; i < nv; i++) vec[i] = sw_alloc_array(cap + 1, sizeof **vec);
        for (int k = 0; X && k < nm; k++)
            if (sw_matrix_set_name(X, k, names[k])) rc = SW_NOMEM;
        for (int i = 0; i < nv; i++)
            if (!vec[i]) rc = SW_NOMEM;
        if (!X || !dst || !stride || !col || rc) rc = sw_fail(err, SW_NOMEM, "out of memory for %zu rows of %s", cap, path);
    }
    if (rc == SW_OK) {
        for (int k = 0; k < nm + nv; k++) {
            dst[k] = k < nm ? X->data + k : vec[k - nm];
            stride[k] = k < nm ? (size_t)nm : 1;
        }
        for (int f = 0; f < nh; f++)
            col[f] = map[f] >= 0 ? (scol){dst[map[f]], stride[map[f]], map[f]} : (scol){NULL, 0, -1};
        fsink fs = {dst, stride, names, file_col, o->finite_matrix ? nm : 0, o->finite_vectors ? nm : nm + nv, col};
        rc = parse_rows(t, st, ns, noquote, &fs, map, nh, nm, nv, X, vec, &rows, err);
        long wline = 1; /* the line at the window's start */
        for (int k = 1; k < w.n && rc == SW_OK; k++) {
            free_stretches(st, ns);
            st = NULL;
            ns = 0;
            wline += w.nl[k - 1];
            size_t need;
            if ((rc = window_load(&w, k, t, err)) == SW_OK && (rc = plan_rows(t, 0, wline, nh, &st, &ns, &noquote, &need, err)) == SW_OK) {
                if (rows + need > cap)
                    rc = sw_fail(err, SW_INTERNAL, "%s: %zu rows of room for a window needing %zu", path, cap - rows, need);
                else rc = parse_rows(t, st, ns, noquote, &fs, map, nh, nm, nv, X, vec, &rows, err);
            }
        }
    }
    free_stretches(st, ns);
    if (X) X->rows = (long)rows;
    sw_free(dst);
    sw_free(stride);
    sw_free(col);
    sw_free(names);
    sw_free(map);
    sw_free(file_col);
    sw_free(hdr);
    sw_free(hbuf);
    if (w.n) t->buf = NULL; /* the windows' buffer */
    windows_free(&w);
    sw_table_free(t);
    if (rc) {
        sw_matrix_free(X);
        for (int i = 0; i < nv; i++) {
            sw_free(vec[i]);
            vec[i] = NULL;
        }
        return rc;
    }
    *out = X;
    return SW_OK;
}

long sw_table_rows(const sw_table *t) { return t->nrows; }
long sw_table_n_skipped(const sw_table *t) { return t->nskipped; }

const char *sw_table_skipped(const sw_table *t, long i, long *line, long *col)
{
    if (i < 0 || i >= t->nskipped) {
        if (line) *line = 0;
        if (col) *col = 0;
        return "";
    }
    if (line) *line = (long)t->skipped[i].line;
    if (col) *col = (long)t->skipped[i].col;
    return t->skipped[i].why;
}
int sw_table_cols(const sw_table *t) { return t->ncols; }
const char *sw_table_path(const sw_table *t) { return t->path; }

const char *sw_table_colname(const sw_table *t, int col)
{
    if (col < 0 || col >= t->ncols) return "";
    return t->names[col];
}

int sw_table_find(const sw_table *t, const char *name)
{
    for (int k = 0; k < t->ncols; k++) {
        if (t->file_col[k] && strcmp(t->names[k], name) == 0) return k;
    }
    return -1;
}

int sw_table_require(const sw_table *t, const char *const *names, int n, sw_error *err)
{
    char list[512];
    size_t len = 0;
    int nmissing = 0;
    list[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (sw_table_find(t, names[i]) >= 0) continue;
        nmissing++;
        if (len < sizeof list - 64)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", nmissing > 1 ? ", " : "",
                                    names[i]);
    }
    if (!nmissing) return SW_OK;
    return sw_error_set(err, SW_MISMATCH, t->path, 1, 0, -1, "missing column%s: %s",
                        nmissing > 1 ? "s" : "", list);
}

const char *sw_table_str(const sw_table *t, long row, int col, size_t *len)
{
    if (row < 0 || row >= t->nrows || col < 0 || col >= t->ncols) {
        if (len) *len = 0;
        return empty_cell;
    }
    const char *c = t->buf + t->cells[(size_t)row * (size_t)t->ncols + (size_t)col];
    if (len) *len = strlen(c);
    return c;
}

long sw_table_line(const sw_table *t, long row)
{
    if (row < 0 || row >= t->nrows) return 0;
    return (long)t->lines[row];
}

int sw_table_missing(const sw_table *t, long row, int col)
{
    size_t len;
    const char *s = sw_table_str(t, row, col, &len);
    return sw_is_missing_token(s, len);
}

int sw_table_error(const sw_table *t, long row, int col, sw_error *err, int code,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    long fc = (col >= 0 && col < t->ncols) ? t->file_col[col] : 0;
    sw_error_vset(err, code, t->path, sw_table_line(t, row), fc, -1, fmt, ap);
    va_end(ap);
    return code;
}

int sw_table_f64(const sw_table *t, long row, int col, double *out, sw_error *err)
{
    size_t len;
    const char *s = sw_table_str(t, row, col, &len);
    if (sw_is_missing_token(s, len)) {
        *out = NAN;
        return SW_OK;
    }
    if (sw_parse_f64(s, len, out) != 0)
        return sw_table_error(t, row, col, err, SW_PARSE, "column %s: not a number: '%.40s'",
                              sw_table_colname(t, col), s);
    return SW_OK;
}

int sw_table_f32(const sw_table *t, long row, int col, float *out, sw_error *err)
{
    size_t len;
    if (row >= 0 && row < t->nrows && col >= 0 && col < t->ncols) {
        /* plain decimals read in one pass up to the cell's NUL (no strlen) */
        const char *c = t->buf + t->cells[(size_t)row * (size_t)t->ncols + (size_t)col];
        uint64_t m;
        int nd, e;
        size_t i = scan_plain(c, &m, &nd, &e);
        if (c[i] == '\0' && nd > 0 && nd <= 15 && e >= -22 && sw_parse_f32_decimal(m, e, c[0] == '-', c, i, out) == 0)
            return SW_OK;
    }
    const char *s = sw_table_str(t, row, col, &len);
    if (cell_f32(s, len, out) != 0)
        return sw_table_error(t, row, col, err, SW_PARSE, "column %s: not a number: '%.40s'",
                              sw_table_colname(t, col), s);
    return SW_OK;
}

int sw_table_i64(const sw_table *t, long row, int col, long long *out, int *missing,
                 sw_error *err)
{
    size_t len;
    const char *s = sw_table_str(t, row, col, &len);
    if (missing) *missing = 0;
    if (sw_is_missing_token(s, len)) {
        if (missing) *missing = 1;
        *out = 0;
        return SW_OK;
    }
    if (sw_parse_i64(s, len, out) != 0)
        return sw_table_error(t, row, col, err, SW_PARSE, "column %s: not an integer: '%.40s'",
                              sw_table_colname(t, col), s);
    return SW_OK;
}
