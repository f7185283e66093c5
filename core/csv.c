/* csv: an in-place CSV parser.  The file is read into one buffer; each field is
 * unquoted and NUL-terminated where it lies, and the table stores an
 * (offset, length) pair per kept cell plus each row's source line, so that a
 * typed accessor can always say exactly where a bad value came from. */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "num.h"

typedef struct {
    uint32_t off;
    uint32_t len;
} cell;

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
static int parse_field(sw_table *t, size_t *pos, size_t *start, size_t *len, int *eol,
                       long *line, long fieldno, sw_error *err)
{
    char *b = t->buf;
    size_t n = t->buf_len;
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

/* Record a row left out (opts.skip_bad_rows). */
static int skip_row(sw_table *t, size_t *cap, long line, long col, const char *why)
{
    if (sw_grow((void **)&t->skipped, cap, (size_t)t->nskipped + 1, sizeof *t->skipped)) return SW_NOMEM;
    skipped_row *s = &t->skipped[t->nskipped++];
    s->line = (uint32_t)line;
    s->col = (uint32_t)col;
    size_t l = strlen(why);
    if (l >= sizeof s->why) l = sizeof s->why - 1;
    memcpy(s->why, why, l);
    s->why[l] = '\0';
    return SW_OK;
}

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

    /* header */
    size_t hcap = 0;
    char **hdr = NULL;
    int nh = 0;
    int rc = SW_OK;
    for (;;) {
        size_t s, l;
        int eol;
        rc = parse_field(t, &p, &s, &l, &eol, &line, nh + 1, err);
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

    /* records */
    size_t rcap = 0, ccap = 0, scap = 0;
    long nr = 0;
    int skip_bad = opts && opts->skip_bad_rows;
    while (p < n) {
        if (is_blank_line(b, n, p)) {
            p += b[p] == '\r' ? 2 : 1;
            line++;
            continue;
        }
        long rec_line = line;
        if (sw_grow((void **)&t->lines, &rcap, (size_t)nr + 1, sizeof *t->lines) ||
            sw_grow((void **)&t->cells, &ccap, ((size_t)nr + 1) * (size_t)(nk ? nk : 1),
                    sizeof *t->cells)) {
            sw_free(map);
            return sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
        }
        cell *row = t->cells + (size_t)nr * (size_t)nk;
        for (int k = 0; k < nk; k++) {
            row[k].off = (uint32_t)(n); /* points at the terminating NUL: empty */
            row[k].len = 0;
        }
        int f = 0, bad = 0;
        for (;;) {
            size_t s, l;
            int eol;
            sw_error fe;
            size_t at = p;
            rc = parse_field(t, &p, &s, &l, &eol, &line, f + 1, &fe);
            if (rc) {
                /* a stray quote: unless the quote never closes, the rest of the line
                 * can be skipped and the next row read */
                if (skip_bad && p != at) {
                    while (p < n && b[p] != '\n') p++;
                    if (p < n) {
                        p++;
                        line++;
                    }
                    if (skip_row(t, &scap, fe.line, fe.col, fe.msg)) {
                        sw_free(map);
                        return sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
                    }
                    bad = 1;
                    break;
                }
                if (err) *err = fe;
                sw_free(map);
                return rc;
            }
            if (f < nh && map[f] >= 0) {
                row[map[f]].off = (uint32_t)s;
                row[map[f]].len = (uint32_t)l;
            }
            f++;
            if (eol) break;
        }
        if (bad) continue;
        if (f != nh) {
            if (skip_bad) {
                char why[64];
                snprintf(why, sizeof why, "expected %d fields, found %d", nh, f);
                if (skip_row(t, &scap, rec_line, 0, why)) {
                    sw_free(map);
                    return sw_fail(err, SW_NOMEM, "out of memory reading %s", t->path);
                }
                continue;
            }
            sw_free(map);
            return sw_error_set(err, SW_PARSE, t->path, rec_line, 0, -1,
                                "expected %d fields, found %d", nh, f);
        }
        t->lines[nr] = (uint32_t)rec_line;
        nr++;
    }
    t->nrows = nr;
    sw_free(map);
    return SW_OK;

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
    const cell *c = &t->cells[(size_t)row * (size_t)t->ncols + (size_t)col];
    if (len) *len = c->len;
    return t->buf + c->off;
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
