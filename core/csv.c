/* csv: an in-place CSV parser.  The file is read into one buffer; each field is
 * unquoted and NUL-terminated where it lies, and the table stores the offset
 * of each kept cell (4 bytes; a NUL byte in the file is refused, so a cell's
 * length is its strlen) plus each row's source line, so that a
 * typed accessor can always say exactly where a bad value came from. */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <omp.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "alloc.h"
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
} stretch;

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
        st->lines[st->nr++] = (uint32_t)rec_line;
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
            if (f < nh && map[f] >= 0) row[map[f]] = (uint32_t)s;
            (void)l;
            f++;
            if (eol) break;
        }
        if (bad) continue;
        if (end_row(t, st, rec_line, f, nh, skip_bad)) return;
    }
}

#ifdef __SSE2__
/* Bit i set where b[at + i] is a comma or a newline (at + 64 <= the buffer's end). */
static inline uint64_t delim_bits(const char *b)
{
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(b + 16 * k));
        __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(',')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(hit) << (16 * k);
    }
    return m;
}

/* parse_stretch for data without a quote: the delimiters of 64 bytes at a
 * time as a bit mask, each field from one bit; the same cells, lines, rows
 * left out and errors as parse_stretch. */
static void parse_stretch_noquote(sw_table *t, stretch *st, const int *map, int nh, int nk, int skip_bad)
{
    char *b = t->buf;
    size_t n = st->end, p = st->p, wbase = 0;
    uint64_t wmask = 0;
    int have = 0;
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
        int f = 0;
        size_t s = p;
        for (;;) {
            /* the next comma or newline at or after p, or n */
            size_t d = n;
            for (;;) {
                if (!have || p >= wbase + 64) {
                    wbase = p;
                    if (p + 64 <= t->buf_len) {
                        wmask = delim_bits(b + p);
                    } else {
                        wmask = 0;
                        for (size_t i = p; i < t->buf_len && i < p + 64; i++)
                            if (b[i] == ',' || b[i] == '\n') wmask |= 1ULL << (i - p);
                    }
                    have = 1;
                }
                uint64_t m = wmask & (~0ULL << (p - wbase));
                if (m) {
                    d = wbase + (size_t)__builtin_ctzll(m);
                    break;
                }
                if (wbase + 64 >= n) break;
                p = wbase + 64;
                have = 0;
            }
            if (d > n) d = n;
            int eol = d >= n || b[d] == '\n';
            size_t e = d;
            if (eol && e > s && b[e - 1] == '\r') e--;
            b[e] = '\0';
            if (f < nh && map[f] >= 0) row[map[f]] = (uint32_t)s;
            f++;
            if (eol) {
                if (d < n) line++;
                p = d < n ? d + 1 : n;
                break;
            }
            p = s = d + 1;
        }
        if (end_row(t, st, rec_line, f, nh, skip_bad)) return;
    }
}
#endif

static int parse_all(sw_table *t, const sw_csv_opts *opts, sw_error *err)
{
    char *b = t->buf;
    size_t n = t->buf_len;
    size_t p = 0;
    long line = 1;
    if (n >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB &&
        (unsigned char)b[2] == 0xBF)
        p = 3;
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

    /* header */
    size_t hcap = 0;
    char **hdr = NULL;
    int nh = 0;
    int rc = SW_OK;
    for (;;) {
        size_t s, l;
        int eol;
        rc = parse_field(t, n, &p, &s, &l, &eol, &line, nh + 1, err);
        if (rc) goto fail_hdr;
        if (sw_grow((void **)&hdr, &hcap, (size_t)nh + 1, sizeof *hdr)) {
            rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
            goto fail_hdr;
        }
        hdr[nh++] = b + s;
        if (eol) break;
    }
    for (int i = 0; i < nh; i++) {
        for (int j = 0; j < i; j++) {
            if (strcmp(hdr[i], hdr[j]) == 0) {
                rc = sw_error_set(err, SW_PARSE, t->path, 1, i + 1, -1,
                                  "duplicate column name '%s'", hdr[i]);
                goto fail_hdr;
            }
        }
    }
    /* choose kept columns */
    int nk = opts && opts->columns ? opts->n_columns : nh;
    t->ncols = nk;
    t->names = sw_calloc((size_t)nk ? (size_t)nk : 1, sizeof *t->names);
    t->file_col = sw_calloc((size_t)nk ? (size_t)nk : 1, sizeof *t->file_col);
    int *map = sw_alloc_array((size_t)nh, sizeof *map); /* file col -> kept index */
    if (!t->names || !t->file_col || !map) {
        sw_free(map);
        rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
        goto fail_hdr;
    }
    for (int j = 0; j < nh; j++) map[j] = -1;
    if (opts && opts->columns) {
        char missing[512];
        size_t mlen = 0;
        int nmissing = 0;
        missing[0] = '\0';
        for (int k = 0; k < nk; k++) {
            t->names[k] = sw_strdup(opts->columns[k]);
            if (!t->names[k]) {
                sw_free(map);
                rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
                goto fail_hdr;
            }
            for (int j = 0; j < nh; j++) {
                if (strcmp(hdr[j], opts->columns[k]) == 0) {
                    if (map[j] < 0) map[j] = k;
                    t->file_col[k] = j + 1;
                    break;
                }
            }
            if (!t->file_col[k]) {
                nmissing++;
                if (mlen < sizeof missing - 64)
                    mlen += (size_t)snprintf(missing + mlen, sizeof missing - mlen, "%s%s",
                                             nmissing > 1 ? ", " : "", opts->columns[k]);
            }
        }
        if (nmissing && !opts->allow_missing_columns) {
            sw_free(map);
            rc = sw_error_set(err, SW_MISMATCH, t->path, 1, 0, -1, "missing column%s: %s",
                              nmissing > 1 ? "s" : "", missing);
            goto fail_hdr;
        }
    } else {
        for (int j = 0; j < nh; j++) {
            map[j] = j;
            t->file_col[j] = j + 1;
            t->names[j] = sw_strdup(hdr[j]);
            if (!t->names[j]) {
                sw_free(map);
                rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
                goto fail_hdr;
            }
        }
    }
    sw_free(hdr);
    hdr = NULL;

    /* records: in stretches of whole lines on all cores when the data hold no
     * quote (a quoted field may span lines), else in one */
    int skip_bad = opts && opts->skip_bad_rows;
    int ns = 1, noquote = !memchr(b + p, '"', n - p);
    if (n - p >= STRETCH_MIN && noquote) {
        ns = omp_get_max_threads() * 4;
        if ((size_t)ns > (n - p) / (STRETCH_MIN / 4)) ns = (int)((n - p) / (STRETCH_MIN / 4));
        if (ns < 1) ns = 1;
    }
    stretch *st = sw_calloc((size_t)ns, sizeof *st);
    if (!st) {
        sw_free(map);
        return sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
    }
    /* boundaries just after a newline; each stretch's first line number from the
     * newlines before it */
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
    long *nls = sw_calloc((size_t)ns + 1, sizeof *nls);
    if (!nls) {
        sw_free(st);
        sw_free(map);
        return sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
    }
#pragma omp parallel for schedule(dynamic, 1) if (ns > 1)
    for (int k = 0; k < ns; k++) {
        long c = 0;
        for (const char *q = b + st[k].p, *e = b + st[k].end; (q = memchr(q, '\n', (size_t)(e - q))); q++) c++;
        nls[k] = c;
    }
    st[0].line = line;
    for (int k = 1; k < ns; k++) st[k].line = st[k - 1].line + nls[k - 1];
    sw_free(nls);
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
    sw_free(map);
    /* the first error in file order, else every stretch's rows in order */
    long nr = 0, nsk = 0;
    for (int k = 0; k < ns && rc == SW_OK; k++) {
        rc = st[k].rc;
        if (rc && err) *err = st[k].err;
        nr += st[k].nr;
        nsk += st[k].nskipped;
    }
    if (rc == SW_OK && ns == 1) { /* one stretch: its arrays are the table's */
        t->cells = st[0].cells;
        t->lines = st[0].lines;
        t->skipped = st[0].skipped;
        st[0].cells = NULL;
        st[0].lines = NULL;
        st[0].skipped = NULL;
    } else if (rc == SW_OK) {
        t->cells = sw_alloc_array((size_t)nr * (size_t)(nk ? nk : 1) + 1, sizeof *t->cells);
        t->lines = sw_alloc_array((size_t)nr + 1, sizeof *t->lines);
        t->skipped = nsk ? sw_alloc_array((size_t)nsk, sizeof *t->skipped) : NULL;
        if (!t->cells || !t->lines || (nsk && !t->skipped)) {
            rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
        } else {
            long r0 = 0, s0 = 0;
            for (int k = 0; k < ns; k++) {
                if (st[k].nr) {
                    memcpy(t->cells + (size_t)r0 * (size_t)nk, st[k].cells,
                           (size_t)st[k].nr * (size_t)nk * sizeof *t->cells);
                    memcpy(t->lines + r0, st[k].lines, (size_t)st[k].nr * sizeof *t->lines);
                }
                if (st[k].nskipped) memcpy(t->skipped + s0, st[k].skipped, (size_t)st[k].nskipped * sizeof *t->skipped);
                r0 += st[k].nr;
                s0 += st[k].nskipped;
            }
        }
    }
    t->nrows = rc == SW_OK ? nr : 0;
    t->nskipped = rc == SW_OK ? nsk : 0;
    for (int k = 0; k < ns; k++) {
        sw_free(st[k].cells);
        sw_free(st[k].lines);
        sw_free(st[k].skipped);
    }
    sw_free(st);
    return rc;

fail_hdr:
    sw_free(hdr);
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

int sw_table_read_csv(const char *path, const sw_csv_opts *opts, sw_table **out, sw_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return sw_error_set(err, SW_IO, path, 0, 0, -1, "cannot open: %s", strerror(errno));
    long long max = opts && opts->max_bytes > 0 ? opts->max_bytes : (2LL << 30);
    char *data = NULL;
    size_t len = 0, cap = 0;
    int rc = SW_OK;
    /* a regular file: its size read in one buffer (no regrowth copies) */
    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 && sb.st_size <= max &&
        sw_grow((void **)&data, &cap, (size_t)sb.st_size + 65536, 1)) {
        fclose(fp);
        return sw_fail(err, SW_NOMEM, "out of memory reading %s", path);
    }
    for (;;) {
        if (sw_grow((void **)&data, &cap, len + 65536, 1)) {
            rc = sw_fail(err, SW_NOMEM, "out of memory reading %s", path);
            break;
        }
        size_t got = fread(data + len, 1, cap - len, fp);
        len += got;
        if ((long long)len > max) {
            rc = sw_error_set(err, SW_RANGE, path, 0, 0, -1, "file larger than %lld bytes", max);
            break;
        }
        if (got == 0) {
            if (ferror(fp)) rc = sw_error_set(err, SW_IO, path, 0, 0, -1, "read error");
            break;
        }
    }
    fclose(fp);
    if (rc == SW_OK) {
        /* parse without a second copy: hand the buffer over */
        sw_table *t = sw_calloc(1, sizeof *t);
        char *pth = sw_strdup(path);
        if (!t || !pth) {
            sw_free(t);
            sw_free(pth);
            sw_free(data);
            return sw_fail(err, SW_NOMEM, "out of memory");
        }
        if (len + 1 > cap && sw_grow((void **)&data, &cap, len + 1, 1)) {
            sw_free(t);
            sw_free(pth);
            sw_free(data);
            return sw_fail(err, SW_NOMEM, "out of memory");
        }
        data[len] = '\0';
        t->path = pth;
        t->buf = data;
        t->buf_len = len;
        rc = parse_all(t, opts, err);
        if (rc) {
            sw_table_free(t);
            return rc;
        }
        *out = t;
        return SW_OK;
    }
    sw_free(data);
    return rc;
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
        /* plain decimals ([-]digits[.digits], at most 19 digits) read in one
         * pass up to the cell's NUL; anything else below */
        const char *c = t->buf + t->cells[(size_t)row * (size_t)t->ncols + (size_t)col];
        size_t i = c[0] == '-';
        uint64_t m = 0;
        int nd = 0, e = 0, dot = 0;
        for (;; i++) {
            unsigned d = (unsigned)(unsigned char)c[i] - '0';
            if (d < 10) {
                m = m * 10 + d;
                nd++;
                e -= dot;
            } else if (c[i] == '.' && !dot) {
                dot = 1;
            } else {
                break;
            }
        }
        if (c[i] == '\0' && nd > 0 && nd <= 15 && e >= -22) {
            if (sw_parse_f32_digits(m, e, c[0] == '-', c, i, out) == 0) return SW_OK;
        }
    }
    const char *s = sw_table_str(t, row, col, &len);
    if (sw_is_missing_token(s, len)) {
        *out = NAN;
        return SW_OK;
    }
    if (sw_parse_f32(s, len, out) != 0)
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
