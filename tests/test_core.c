/* test_core: status list, exact number parsing, CSV, JSON/UBJSON, matrix and
 * the allocation hook (every allocation failure path of the parsers). */
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/csv.h"
#include "core/hash.h"
#include "core/json.h"
#include "core/matrix.h"
#include "core/num.h"
#include "core/status.h"
#include "core/threads.h"
#include "testutil.h"

/* ---------------------------------------------------------------- status */

START_TEST(status_list)
{
    ck_assert_str_eq(sw_status_name(SW_OK), "OK");
    ck_assert_str_eq(sw_status_name(SW_PARSE), "PARSE");
    ck_assert_str_eq(sw_status_message(SW_NOMEM), "out of memory");
    ck_assert_int_eq(sw_status_exit_code(SW_OK), 0);
    for (int c = 1; c < SW_STATUS_COUNT; c++) ck_assert_int_ne(sw_status_exit_code(c), 0);
    ck_assert_str_eq(sw_status_name(999), "?");
    sw_error e;
    char buf[256];
    sw_error_set(&e, SW_PARSE, "a.csv", 12, 3, -1, "bad %s", "cell");
    sw_error_format(&e, buf, sizeof buf);
    ck_assert_str_eq(buf, "a.csv:12:3: bad cell");
    sw_error_set(&e, SW_FORMAT, "m.cbm", 0, 0, 1234, "truncated");
    sw_error_format(&e, buf, sizeof buf);
    ck_assert_str_eq(buf, "m.cbm: byte 1234: truncated");
    sw_error_prefix(&e, "loading: ");
    ck_assert_str_eq(e.msg, "loading: truncated");
}
END_TEST

/* ---------------------------------------------------------------- numbers */

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

START_TEST(num_parse_matches_strtod)
{
    /* random decimal strings of 1..25 digits, with and without exponents: the
     * result must be the correctly rounded value (glibc's strtof/strtod are) */
    char s[64];
    for (int i = 0; i < 300000; i++) {
        int nd = 1 + (int)(rnd() % 25);
        int pos = 0;
        if (rnd() & 1) s[pos++] = '-';
        int dot = (int)(rnd() % (nd + 1));
        for (int d = 0; d < nd; d++) {
            if (d == dot && d > 0) s[pos++] = '.';
            s[pos++] = (char)('0' + rnd() % 10);
        }
        if (rnd() % 3 == 0) pos += sprintf(s + pos, "e%d", (int)(rnd() % 90) - 45);
        s[pos] = 0;
        float f, fr = strtof(s, NULL);
        double d, dr = strtod(s, NULL);
        ck_assert_int_eq(sw_parse_f32(s, strlen(s), &f), 0);
        ck_assert_int_eq(sw_parse_f64(s, strlen(s), &d), 0);
        ck_assert_msg(memcmp(&f, &fr, 4) == 0, "f32 '%s': %a vs %a", s, (double)f, (double)fr);
        ck_assert_msg(memcmp(&d, &dr, 8) == 0, "f64 '%s': %a vs %a", s, d, dr);
    }
}
END_TEST

START_TEST(num_roundtrip)
{
    char buf[SW_NUM_BUF];
    for (int i = 0; i < 200000; i++) {
        uint32_t u = (uint32_t)rnd();
        float f;
        memcpy(&f, &u, 4);
        if (!isfinite(f)) continue;
        int n = sw_format_f32(buf, f);
        float g;
        ck_assert_int_eq(sw_parse_f32(buf, (size_t)n, &g), 0);
        ck_assert_msg(memcmp(&f, &g, 4) == 0, "float %a printed %s", (double)f, buf);
        uint64_t v = rnd();
        double d, e;
        memcpy(&d, &v, 8);
        if (!isfinite(d)) continue;
        n = sw_format_f64(buf, d);
        ck_assert_int_eq(sw_parse_f64(buf, (size_t)n, &e), 0);
        ck_assert_msg(memcmp(&d, &e, 8) == 0, "double %a printed %s", d, buf);
    }
}
END_TEST

START_TEST(num_float_midpoints)
{
    /* decimals exactly at, just above and just below a float midpoint */
    const char *cases[] = {"1.000000059604644775390625", "1.000000059604644775390626",
                           "1.000000059604644775390624", "16777217", "16777219", "3.4028235677973366e38",
                           "3.4028235677973362e38", "1.401298464324817e-45", "7.006492321624085e-46",
                           "7.006492321624086e-46", "1e-50", "1e39", "-0", "0.0", "8388608.5",
                           "8388609.5"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float f, r = strtof(cases[i], NULL);
        ck_assert_int_eq(sw_parse_f32(cases[i], strlen(cases[i]), &f), 0);
        ck_assert_msg(memcmp(&f, &r, 4) == 0, "'%s': %a vs %a", cases[i], (double)f, (double)r);
    }
    /* random float midpoints written with enough digits to be exact-ish */
    char s[64];
    for (int i = 0; i < 100000; i++) {
        uint32_t u = (uint32_t)rnd() & 0x7effffffu;
        float a;
        memcpy(&a, &u, 4);
        float b = nextafterf(a, INFINITY);
        double mid = ((double)a + (double)b) / 2;
        snprintf(s, sizeof s, "%.*g", 10 + (int)(rnd() % 8), mid);
        float f, r = strtof(s, NULL);
        ck_assert_int_eq(sw_parse_f32(s, strlen(s), &f), 0);
        ck_assert_msg(memcmp(&f, &r, 4) == 0, "'%s': %a vs %a", s, (double)f, (double)r);
    }
}
END_TEST

START_TEST(num_syntax)
{
    double d;
    float f;
    long long i;
    const char *bad[] = {"", "-", "+", ".", "1e", "1e+", "--1", "1.2.3", " 1", "1 ", "0x10", "1,5",
                         "e5", "nanx", "in", "1d"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_msg(sw_parse_f64(bad[k], strlen(bad[k]), &d) != 0, "accepted '%s'", bad[k]);
        ck_assert_msg(sw_parse_f32(bad[k], strlen(bad[k]), &f) != 0, "accepted '%s'", bad[k]);
    }
    ck_assert_int_eq(sw_parse_f64("inf", 3, &d), 0);
    ck_assert(isinf(d) && d > 0);
    ck_assert_int_eq(sw_parse_f64("-Infinity", 9, &d), 0);
    ck_assert(isinf(d) && d < 0);
    ck_assert_int_eq(sw_parse_f32("NaN", 3, &f), 0);
    ck_assert(isnan(f));
    ck_assert_int_eq(sw_parse_f64(".5", 2, &d), 0);
    ck_assert(d == 0.5);
    ck_assert_int_eq(sw_parse_f64("5.", 2, &d), 0);
    ck_assert(d == 5.0);
    ck_assert_int_eq(sw_parse_f32("1.0682758E1", 11, &f), 0);
    ck_assert(f == 10.682758f);
    ck_assert_int_eq(sw_parse_i64("-9223372036854775808", 20, &i), 0);
    ck_assert(i == INT64_MIN);
    ck_assert_int_ne(sw_parse_i64("9223372036854775808", 19, &i), 0);
    ck_assert_int_ne(sw_parse_i64("12a", 3, &i), 0);
    ck_assert(sw_is_missing_token("", 0) && sw_is_missing_token("NA", 2) && sw_is_missing_token("nan", 3) &&
              sw_is_missing_token("NaN", 3) && !sw_is_missing_token("0", 1));
}
END_TEST

/* -------------------------------------------------------------------- csv */

static sw_table *parse_csv(const char *text, sw_error *err)
{
    sw_table *t = NULL;
    sw_table_parse("t.csv", text, strlen(text), NULL, &t, err);
    return t;
}

/* ---------------------------------------------------------------- exit codes */

START_TEST(status_exit_table)
{
    /* "no games on the date" and "not found" are different outcomes */
    ck_assert_int_eq(sw_status_exit_code(SW_NO_GAMES), 8);
    ck_assert_int_ne(sw_status_exit_code(SW_NOT_FOUND), sw_status_exit_code(SW_NO_GAMES));
    ck_assert_int_eq(sw_status_exit_code(SW_DEGRADED), 1);
    /* the generated table: one line per exit code, ascending, every status in it */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    sw_status_write_exit_codes(fp, "  ");
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf, "  0    success\n"));
    ck_assert_ptr_nonnull(strstr(buf, "  5    malformed input; invalid file format; value out of range\n"));
    ck_assert_ptr_nonnull(strstr(buf, "  8    no games on the date\n"));
    ck_assert_ptr_nonnull(strstr(buf, "  13   not found\n"));
    int last = -1, lines = 0;
    for (char *l = buf; *l; l = strchr(l, '\n') + 1, lines++) {
        int code = atoi(l);
        ck_assert_int_gt(code, last);
        last = code;
    }
    for (int c = 0; c < SW_STATUS_COUNT; c++) ck_assert_ptr_nonnull(strstr(buf, sw_status_message(c)));
    int distinct = 0;
    for (int c = 0; c < SW_STATUS_COUNT; c++) {
        int seen = 0;
        for (int d = 0; d < c; d++) seen |= sw_status_exit_code(d) == sw_status_exit_code(c);
        distinct += !seen;
    }
    ck_assert_int_eq(lines, distinct);
    free(buf);
}
END_TEST

/* ---------------------------------------------------------------- threads */

START_TEST(threads_rule)
{
    const char *saved = getenv("OMP_NUM_THREADS");
    char keep[64] = "";
    if (saved) snprintf(keep, sizeof keep, "%s", saved);
    ck_assert_int_eq(sw_threads_resolve(3), 3);
    ck_assert_int_eq(sw_threads_resolve(100000), SW_THREADS_MAX);
    setenv("OMP_NUM_THREADS", "3", 1);
    ck_assert_int_eq(sw_threads_resolve(0), 3);
    ck_assert_int_eq(sw_threads_resolve(-1), 3);
    ck_assert_int_eq(sw_threads_resolve(5), 5); /* an explicit count wins */
    setenv("OMP_NUM_THREADS", "2,1", 1);        /* nested levels: the first */
    ck_assert_int_eq(sw_threads_resolve(0), 2);
    setenv("OMP_NUM_THREADS", "lots", 1); /* not a count: ignored */
    ck_assert_int_eq(sw_threads_resolve(0), sw_cpu_count());
    unsetenv("OMP_NUM_THREADS");
    ck_assert_int_eq(sw_threads_resolve(0), sw_cpu_count());
    /* the affinity mask bounds the default: pinned to one CPU, one thread */
    cpu_set_t all, one;
    ck_assert_int_eq(sched_getaffinity(0, sizeof all, &all), 0);
    ck_assert_int_ge(sw_cpu_count(), 1);
    ck_assert_int_le(sw_cpu_count(), CPU_COUNT(&all));
    int first = 0;
    while (!CPU_ISSET(first, &all)) first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);
    int pinned = sw_threads_resolve(0);
    sched_setaffinity(0, sizeof all, &all);
    ck_assert_int_eq(pinned, 1);
    if (saved) setenv("OMP_NUM_THREADS", keep, 1);
}
END_TEST

/* ---------------------------------------------------------------- shortest */

/* Independent of sw_parse_*: glibc's strtod/strtof and printf. */
static int oracle_digits(double v, int f32)
{
    /* the fewest significant digits p such that some p-digit decimal near v
     * (the correctly rounded one and its neighbours) reads back to v */
    for (int p = 1; p <= 17; p++) {
        char s[64];
        snprintf(s, sizeof s, "%.*e", p - 1, fabs(v));
        char *e = strchr(s, 'e');
        long long m = 0;
        for (char *c = s; c < e; c++)
            if (*c != '.') m = m * 10 + (*c - '0');
        int x = atoi(e + 1);
        for (int d = -2; d <= 2; d++) {
            char t[64];
            snprintf(t, sizeof t, "%llde%d", m + d, x - (p - 1));
            if (f32 ? strtof(t, NULL) == (float)fabs(v) : strtod(t, NULL) == fabs(v)) return p;
        }
    }
    return 99;
}

static int sig_digits(const char *s)
{
    int n = 0, started = 0, trailing = 0;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9') continue;
        if (*s != '0') started = 1;
        if (!started) continue;
        n++;
        trailing = *s == '0' ? trailing + 1 : 0;
    }
    return n - trailing; /* "100" has one significant digit */
}

/* Floats printed without printf where 128-bit integers hold them exactly
 * (2^-20 to 2^104): %.9g equals glibc's text, and the shortest text is the
 * fewest digits that read back, the correctly rounded decimal of that length
 * whenever that one reads back.  Exponents across the range's ends, powers of
 * two, zeros, short decimals. */
START_TEST(num_format_f32_matches_printf)
{
    char buf[SW_NUM_BUF], want[64];
    for (int i = 0; i < 400000; i++) {
        uint32_t u = (uint32_t)rnd(), ex = 127 - 24 + (uint32_t)(rnd() % 134); /* 2^-24 .. 2^110 */
        u = (u & 0x807fffffu) | ex << 23;
        if (i % 7 == 0) u &= 0xff800000u; /* powers of two */
        float f;
        memcpy(&f, &u, 4);
        if (i % 5 == 1) f = (float)(int)(u % 2000001) / 1000.0f;
        if (i == 0) f = 0.0f;
        if (i == 1) f = -0.0f;
        int n = sw_format_f32(buf, f);
        snprintf(want, sizeof want, "%.9g", (double)f);
        ck_assert_msg(strcmp(buf, want) == 0 && n == (int)strlen(want), "%a: %s vs printf %s", (double)f, buf, want);
        sw_format_f32_short(buf, f);
        float back = strtof(buf, NULL);
        ck_assert_msg(memcmp(&back, &f, 4) == 0, "%a printed %s", (double)f, buf);
        if (f == 0) continue;
        int p = sig_digits(buf);
        ck_assert_msg(p == oracle_digits(f, 1), "%a printed %s", (double)f, buf);
        snprintf(want, sizeof want, "%.*e", p - 1, fabs((double)f));
        if (strtof(want, NULL) == fabsf(f))
            ck_assert_msg(fabs(strtod(buf, NULL)) == strtod(want, NULL), "%a printed %s, not %s", (double)f, buf, want);
    }
}
END_TEST

START_TEST(num_format_short)
{
    static const struct {
        double v;
        const char *want;
    } d[] = {{0.1, "0.1"},
             {0.55, "0.55"},
             {0.05, "0.05"},
             {1e-7, "1e-07"},
             {5e-324, "5e-324"},
             {1.7976931348623157e308, "1.7976931348623157e+308"},
             {100, "100"},
             {123456, "123456"},
             {1e15, "1000000000000000"},
             {1e16, "1e+16"},
             {0.0001, "0.0001"},
             {0.00001, "1e-05"},
             {9007199254740992.0, "9007199254740992"},
             {-2.5, "-2.5"},
             {0.0, "0"},
             {-0.0, "-0"},
             {1.0 / 3, "0.3333333333333333"},
             {2.2250738585072014e-308, "2.2250738585072014e-308"},
             {INFINITY, "inf"},
             {-INFINITY, "-inf"}};
    char buf[SW_NUM_BUF];
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        sw_format_f64_short(buf, d[i].v);
        ck_assert_str_eq(buf, d[i].want);
    }
    static const struct {
        float v;
        const char *want;
    } f[] = {{0.8f, "0.8"},   {0.1f, "0.1"},        {3.4028235e38f, "3.4028235e+38"}, {1e-45f, "1e-45"},
             {1.1754944e-38f, "1.1754944e-38"},    {16777216.0f, "16777216"},        {0.3f, "0.3"},
             {2.5f, "2.5"},   {-0.0f, "-0"},        {1e10f, "10000000000"}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        sw_format_f32_short(buf, f[i].v);
        ck_assert_str_eq(buf, f[i].want);
    }
    sw_format_f32_short(buf, NAN);
    ck_assert_str_eq(buf, "nan");
    /* random values: reads back (glibc), as short as any decimal that does */
    for (int i = 0; i < 60000; i++) {
        uint64_t u = rnd();
        double v;
        memcpy(&v, &u, 8);
        if (i % 4 == 1) v = (double)(int64_t)(u % 2000001) / 1000.0; /* short decimals, the common case */
        if (!isfinite(v)) continue;
        int n = sw_format_f64_short(buf, v);
        ck_assert_int_eq((int)strlen(buf), n);
        double r = strtod(buf, NULL);
        ck_assert_msg(memcmp(&r, &v, 8) == 0, "%a printed %s", v, buf);
        if (i % 8 == 0 && v != 0) ck_assert_msg(sig_digits(buf) == oracle_digits(v, 0), "%a printed %s", v, buf);
        uint32_t w = (uint32_t)u;
        float g;
        memcpy(&g, &w, 4);
        if (i % 4 == 1) g = (float)(int)(w % 20001) / 100.0f;
        if (!isfinite(g)) continue;
        sw_format_f32_short(buf, g);
        float h = strtof(buf, NULL);
        ck_assert_msg(memcmp(&h, &g, 4) == 0, "%a printed %s", (double)g, buf);
        if (g != 0) ck_assert_msg(sig_digits(buf) == oracle_digits(g, 1), "float %a printed %s", (double)g, buf);
    }
    /* doubles against Python's repr (David Gay's shortest, nearest): the same text,
     * but for the ".0" Python adds to integral values */
    char path[600];
    snprintf(path, sizeof path, "%s/short.txt", tu_tmpdir());
    FILE *fp = fopen(path, "w");
    double vals[3000];
    for (int i = 0; i < 3000; i++) {
        uint64_t u = rnd();
        memcpy(&vals[i], &u, 8);
        if (!isfinite(vals[i])) vals[i] = (double)i / 7;
        if (i % 3 == 0) vals[i] = (double)(int64_t)(u % 100001) / 100.0;
        fprintf(fp, "%a\n", vals[i]);
    }
    fclose(fp);
    char cmd[800], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import sys; [print(repr(float.fromhex(l))) for l in open('%s')]\"", path);
    ck_assert_int_eq(tu_run(cmd, &out), 0);
    char *line = out;
    for (int i = 0; i < 3000; i++) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = 0;
        size_t l = strlen(line);
        if (l > 2 && !strcmp(line + l - 2, ".0")) line[l - 2] = 0;
        sw_format_f64_short(buf, vals[i]);
        ck_assert_msg(!strcmp(buf, line), "%a: swish %s, python %s", vals[i], buf, line);
        line = nl + 1;
    }
    free(out);
}
END_TEST

START_TEST(json_writer_shortest)
{
    sw_jw *w = sw_jw_create(SW_JW_JSON);
    sw_jw_shortest(w, 1);
    sw_jw_obj_begin(w);
    sw_jw_kf64(w, "a", 0.1);
    sw_jw_key(w, "b");
    sw_jw_f32(w, 0.8f);
    sw_jw_kf64(w, "c", 100);
    sw_jw_knull(w, "d");
    sw_jw_kbool(w, "e", 1);
    sw_jw_kstr(w, "q\"uote", "a\\b\"c");
    sw_jw_obj_end(w);
    const char *text;
    size_t len;
    ck_assert_int_eq(sw_jw_finish(w, &text, &len), SW_OK);
    ck_assert_str_eq(text, "{\"a\":0.1,\"b\":0.8,\"c\":100.0,\"d\":null,\"e\":true,\"q\\\"uote\":\"a\\\\b\\\"c\"}");
    sw_json *doc;
    sw_error err;
    ck_assert_int_eq(sw_json_parse("t", text, len, &doc, &err), SW_OK);
    size_t sl;
    ck_assert_str_eq(sw_json_str(doc, sw_json_get(doc, sw_json_root(doc), "q\"uote"), &sl), "a\\b\"c");
    sw_json_free(doc);
    sw_jw_free(w);
}
END_TEST

START_TEST(csv_basic)
{
    sw_error err;
    const char *text = "\xEF\xBB\xBF"
                       "a,b,\"c d\"\r\n"
                       "1,\"x,\"\"y\"\"\",\r\n"
                       "\n"
                       "NA,\"multi\nline\",3.5\n"
                       "nan,,-0";
    sw_table *t = parse_csv(text, &err);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(sw_table_rows(t), 3);
    ck_assert_int_eq(sw_table_cols(t), 3);
    ck_assert_int_eq(sw_table_find(t, "c d"), 2);
    ck_assert_int_eq(sw_table_find(t, "zz"), -1);
    ck_assert_str_eq(sw_table_str(t, 0, 1, NULL), "x,\"y\"");
    ck_assert_str_eq(sw_table_str(t, 0, 2, NULL), "");
    ck_assert_str_eq(sw_table_str(t, 1, 1, NULL), "multi\nline");
    ck_assert_int_eq(sw_table_line(t, 0), 2);
    ck_assert_int_eq(sw_table_line(t, 1), 4);
    ck_assert_int_eq(sw_table_line(t, 2), 6);
    double d;
    ck_assert_int_eq(sw_table_f64(t, 1, 0, &d, &err), SW_OK);
    ck_assert(isnan(d));
    ck_assert_int_eq(sw_table_f64(t, 1, 2, &d, &err), SW_OK);
    ck_assert(d == 3.5);
    ck_assert_int_eq(sw_table_f64(t, 2, 1, &d, &err), SW_OK);
    ck_assert(isnan(d));
    ck_assert_int_eq(sw_table_f64(t, 2, 2, &d, &err), SW_OK);
    ck_assert(d == 0 && signbit(d));
    /* a bad number names file, line and column */
    ck_assert_int_eq(sw_table_f64(t, 0, 1, &d, &err), SW_PARSE);
    ck_assert_str_eq(err.file, "t.csv");
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.col, 2);
    ck_assert_ptr_nonnull(strstr(err.msg, "column b"));
    sw_table_free(t);
}
END_TEST

START_TEST(csv_errors)
{
    sw_error err;
    ck_assert_ptr_null(parse_csv("a,b\n1,2\n3\n", &err));
    ck_assert_int_eq(err.code, SW_PARSE);
    ck_assert_int_eq(err.line, 3);
    ck_assert_ptr_nonnull(strstr(err.msg, "expected 2 fields, found 1"));
    ck_assert_ptr_null(parse_csv("a,b\n1,\"2\n", &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "unterminated"));
    ck_assert_int_eq(err.line, 2);
    ck_assert_ptr_null(parse_csv("a,a\n1,2\n", &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "duplicate column"));
    ck_assert_ptr_null(parse_csv("a,b\n1,x\"y\n", &err));
    ck_assert_int_eq(err.col, 2);
    ck_assert_ptr_null(parse_csv("", &err));
    /* a NUL byte (cells are NUL-terminated text): refused with its line and offset */
    sw_table *tn = NULL;
    ck_assert_int_eq(sw_table_parse("n.csv", "a,b\n1,2\n3,4\0junk\n", 17, NULL, &tn, &err), SW_PARSE);
    ck_assert_int_eq(err.line, 3);
    ck_assert_ptr_nonnull(strstr(err.msg, "NUL byte at offset 11"));
    ck_assert_ptr_null(tn);
    /* column selection: missing ones are listed */
    const char *cols[] = {"b", "zz", "a", "yy"};
    sw_csv_opts o = {.columns = cols, .n_columns = 4};
    sw_table *t = NULL;
    ck_assert_int_eq(sw_table_parse("t.csv", "a,b\n1,2\n", 8, &o, &t, &err), SW_MISMATCH);
    ck_assert_ptr_nonnull(strstr(err.msg, "zz, yy"));
    o.n_columns = 3;
    o.columns = (const char *[]){"b", "a", "b"};
    ck_assert_int_eq(sw_table_parse("t.csv", "a,b,c\n1,2,3\n", 12, &o, &t, &err), SW_OK);
    ck_assert_str_eq(sw_table_str(t, 0, 0, NULL), "2");
    ck_assert_str_eq(sw_table_str(t, 0, 1, NULL), "1");
    sw_table_free(t);
    ck_assert_int_eq(sw_table_read_csv("/nonexistent/x.csv", NULL, &t, &err), SW_IO);
    ck_assert_str_eq(err.file, "/nonexistent/x.csv");
}
END_TEST

START_TEST(csv_skip_bad_rows)
{
    /* strict by default; with skip_bad_rows a row of the wrong width or with a stray
     * quote is left out and listed with its line, and the rows after it still read */
    const char *text = "a,b\n1,2\n3\n4,5,6\n7,x\"y\n8,\"9\"z\n\"p\nq\"r,1\n10,11\n";
    sw_error err;
    sw_table *t = NULL;
    ck_assert_int_eq(sw_table_parse("t.csv", text, strlen(text), NULL, &t, &err), SW_PARSE);
    ck_assert_int_eq(err.line, 3);
    sw_csv_opts o = {.skip_bad_rows = 1};
    ck_assert_int_eq(sw_table_parse("t.csv", text, strlen(text), &o, &t, &err), SW_OK);
    ck_assert_int_eq(sw_table_rows(t), 2);
    ck_assert_str_eq(sw_table_str(t, 0, 0, NULL), "1");
    ck_assert_str_eq(sw_table_str(t, 1, 1, NULL), "11");
    ck_assert_int_eq(sw_table_line(t, 1), 9);
    ck_assert_int_eq(sw_table_n_skipped(t), 5);
    static const struct {
        long line, col;
        const char *why;
    } want[] = {{3, 0, "expected 2 fields, found 1"},
                {4, 0, "expected 2 fields, found 3"},
                {5, 2, "quote inside an unquoted field"},
                {6, 2, "unexpected character after closing quote"},
                {8, 1, "unexpected character after closing quote"}};
    for (int i = 0; i < 5; i++) {
        long line, col;
        const char *why = sw_table_skipped(t, i, &line, &col);
        ck_assert_int_eq(line, want[i].line);
        ck_assert_int_eq(col, want[i].col);
        ck_assert_str_eq(why, want[i].why);
    }
    ck_assert_str_eq(sw_table_skipped(t, 5, NULL, NULL), "");
    sw_table_free(t);
    /* an unterminated quote swallows the rest of the file: still an error */
    ck_assert_int_eq(sw_table_parse("t.csv", "a,b\n1,2\n3,\"4\n5,6\n", 17, &o, &t, &err), SW_PARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "unterminated"));
    ck_assert_int_eq(err.line, 3);
    /* header problems too */
    ck_assert_int_eq(sw_table_parse("t.csv", "a,a\n1,2\n", 8, &o, &t, &err), SW_PARSE);
    /* a file of nothing but bad rows: an empty table listing them all */
    ck_assert_int_eq(sw_table_parse("t.csv", "a,b\n1\n2\n", 8, &o, &t, &err), SW_OK);
    ck_assert_int_eq(sw_table_rows(t), 0);
    ck_assert_int_eq(sw_table_n_skipped(t), 2);
    sw_table_free(t);
}
END_TEST

/* A text of about 3 MB without quotes (parsed in stretches on all cores) and
 * the same with one quoted cell (parsed in one): identical cells, source lines,
 * skipped rows and first error.  Blank lines, CRLF ends and empty cells fall
 * near every stretch boundary. */
static char *big_csv(long rows, long bad_row, int quote, size_t *len)
{
    size_t cap = (size_t)rows * 64 + 256, n = 0;
    char *b = malloc(cap);
    n += (size_t)snprintf(b + n, cap - n, "a,b,c,d\n");
    unsigned long long x = 12345;
    for (long r = 0; r < rows; r++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if (r % 997 == 5) n += (size_t)snprintf(b + n, cap - n, "\n");   /* blank line */
        if (r % 1009 == 7) n += (size_t)snprintf(b + n, cap - n, "\r\n"); /* blank CRLF line */
        const char *end = r % 3 ? "\n" : "\r\n";
        if (r == bad_row) {
            n += (size_t)snprintf(b + n, cap - n, "1,2,3%s", end);
        } else if (quote && r == rows - 2) {
            n += (size_t)snprintf(b + n, cap - n, "\"%ld\",%llu,,%.3f%s", r, x >> 40, (double)(x % 1000) / 7, end);
        } else {
            n += (size_t)snprintf(b + n, cap - n, "%ld,%llu,%s,%.3f%s", r, x >> 40, r % 5 ? "" : "nan",
                                  (double)(x % 1000) / 7, end);
        }
    }
    *len = n;
    return b;
}

/* Tables a and b hold the same first `rows` rows (cells of ncols columns and
 * source lines) and the same rows left out. */
static void tables_agree(const sw_table *a, const sw_table *b, long rows, int ncols, const char *what)
{
    ck_assert_int_eq(sw_table_n_skipped(a), sw_table_n_skipped(b));
    for (long i = 0; i < sw_table_n_skipped(a); i++) {
        long l1, c1, l2, c2;
        ck_assert_str_eq(sw_table_skipped(a, i, &l1, &c1), sw_table_skipped(b, i, &l2, &c2));
        ck_assert_int_eq(l1, l2);
    }
    for (long r = 0; r < rows; r++) {
        ck_assert_int_eq(sw_table_line(a, r), sw_table_line(b, r));
        for (int c = 0; c < ncols; c++)
            ck_assert_msg(strcmp(sw_table_str(a, r, c, NULL), sw_table_str(b, r, c, NULL)) == 0,
                          "%s: row %ld col %d: '%s' vs '%s'", what, r, c, sw_table_str(a, r, c, NULL),
                          sw_table_str(b, r, c, NULL));
    }
}

START_TEST(csv_parallel_matches_sequential)
{
    for (int mode = 0; mode < 3; mode++) { /* clean; a bad row (error); a bad row skipped */
        long rows = 150000, bad = mode ? 123457 : -1;
        size_t la, lb;
        char *a = big_csv(rows, bad, 0, &la), *b = big_csv(rows, bad, 1, &lb);
        ck_assert(la > (2u << 20));
        sw_csv_opts o = {0};
        o.skip_bad_rows = mode == 2;
        sw_table *ta = NULL, *tb = NULL;
        sw_error ea, eb;
        int ra = sw_table_parse("big.csv", a, la, &o, &ta, &ea), rb = sw_table_parse("big.csv", b, lb, &o, &tb, &eb);
        ck_assert_int_eq(ra, rb);
        if (mode == 1) {
            ck_assert_int_eq(ra, SW_PARSE);
            ck_assert_str_eq(ea.msg, eb.msg);
            ck_assert_int_eq(ea.line, eb.line);
            ck_assert(strstr(ea.msg, "expected 4 fields, found 3"));
        } else {
            ck_assert_int_eq(ra, SW_OK);
            ck_assert_int_eq(sw_table_rows(ta), sw_table_rows(tb));
            ck_assert_int_eq(sw_table_rows(ta), rows - (mode == 2));
            tables_agree(ta, tb, sw_table_rows(ta), 4, "big.csv");
            /* the last row's source line counted by hand: header, rows, blank lines */
            long last = rows - 1, blanks = 0;
            for (long r = 0; r <= last; r++) blanks += (r % 997 == 5) + (r % 1009 == 7);
            ck_assert_int_eq(sw_table_line(ta, sw_table_rows(ta) - 1), 1 + (last + 1) + blanks - (mode == 2 ? 0 : 0));
        }
        sw_table_free(ta);
        sw_table_free(tb);
        free(a);
        free(b);
    }
}
END_TEST

/* Data without a quote are split by the delimiter bit masks; the same data
 * with one quoted cell after them by the general parser: the same rows, cells,
 * lines and errors (edge cases of line ends, empty fields, a carriage return
 * inside a field, fields across 64-byte windows). */
START_TEST(csv_noquote_matches_general)
{
    static char longrow[4096];
    size_t lp = (size_t)snprintf(longrow, sizeof longrow, "a,b\n");
    for (int r = 0; r < 6; r++) {
        for (int k = 0; k < 2; k++) {
            int w = (r * 37 + k * 61) % 150;
            for (int i = 0; i < w; i++) longrow[lp++] = (char)('a' + (i + r) % 26);
            longrow[lp++] = k ? '\n' : ',';
        }
    }
    longrow[lp] = 0;
    const char *cases[] = {"a,b\n1,2",     "a,b\n1,\n",      "a,b\n1,2,\n",        "a,b\nx\ry,2\r\n",
                           "a,b\n1,2\r\n\r\n\n3,4\r\n", "a,b\n1,", "a,b\n\r,2\n", "a,b\n1,\r\n",
                           "a,b\n1,2\r",   "a,b\n1\n2,3\n",  "a,b\n,\n,,\n",       longrow};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int skip = 0; skip < 2; skip++) {
            char q[8192];
            snprintf(q, sizeof q, "%s\n\"q\",z\n", cases[i]);
            sw_csv_opts o = {0};
            o.skip_bad_rows = skip;
            sw_table *ta = NULL, *tb = NULL;
            sw_error ea, eb;
            int ra = sw_table_parse("t.csv", cases[i], strlen(cases[i]), &o, &ta, &ea);
            int rb = sw_table_parse("t.csv", q, strlen(q), &o, &tb, &eb);
            ck_assert_msg(ra == rb, "case %zu: %d vs %d", i, ra, rb);
            if (ra) {
                ck_assert_str_eq(ea.msg, eb.msg);
                ck_assert_int_eq(ea.line, eb.line);
                continue;
            }
            ck_assert_int_eq(sw_table_rows(ta) + 1, sw_table_rows(tb));
            char what[32];
            snprintf(what, sizeof what, "case %zu", i);
            tables_agree(ta, tb, sw_table_rows(ta), 2, what);
            sw_table_free(ta);
            sw_table_free(tb);
        }
}
END_TEST

START_TEST(matrix_from_csv)
{
    sw_error err;
    sw_table *t = parse_csv("id,x,y\nA,1.5,\nB,inf,-2\n", &err);
    ck_assert_ptr_nonnull(t);
    const char *names[] = {"y", "x"};
    sw_matrix *m;
    ck_assert_int_eq(sw_matrix_from_table(t, names, 2, &m, &err), SW_OK);
    ck_assert_int_eq(m->rows, 2);
    ck_assert(isnan(sw_matrix_get(m, 0, 0)));
    ck_assert(sw_matrix_get(m, 0, 1) == 1.5f);
    ck_assert(isinf(sw_matrix_get(m, 1, 1)));
    ck_assert(sw_matrix_get(m, 1, 0) == -2.0f);
    ck_assert_int_eq(sw_matrix_find(m, "x"), 1);
    sw_matrix_free(m);
    const char *bad[] = {"id"};
    ck_assert_int_eq(sw_matrix_from_table(t, bad, 1, &m, &err), SW_PARSE);
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.col, 1);
    const char *missing[] = {"x", "q"};
    ck_assert_int_eq(sw_matrix_from_table(t, missing, 2, &m, &err), SW_MISMATCH);
    ck_assert_ptr_nonnull(strstr(err.msg, "missing column: q"));
    sw_table_free(t);
}
END_TEST

/* A random decimal text in s (40 bytes): 1 to 20 digits with or without a
 * sign, a dot or an exponent, or a float midpoint or a neighbour of one. */
static void random_decimal(char *s)
{
    int pos = 0, kind = (int)(rnd() % 4);
    if (kind == 3) { /* a float midpoint, or a neighbour of one */
        uint32_t u = (uint32_t)rnd() & 0x4fffffffu;
        float a;
        memcpy(&a, &u, 4);
        double mid = ((double)a + (double)nextafterf(a, INFINITY)) / 2;
        pos = snprintf(s, 40, "%.*f", (int)(rnd() % 3) + 6, mid);
        if (pos >= 40 || strchr(s, 'e')) snprintf(s, 40, "%.9g", mid);
        return;
    }
    if (rnd() & 1) s[pos++] = '-';
    int nd = 1 + (int)(rnd() % 20), dot = (int)(rnd() % (nd + 2)) - 1;
    for (int d = 0; d < nd; d++) {
        if (d == dot) s[pos++] = '.';
        s[pos++] = (char)('0' + rnd() % 10);
    }
    if (dot == nd) s[pos++] = '.';
    if (kind == 2) pos += sprintf(s + pos, "e%d", (int)(rnd() % 60) - 30);
    s[pos] = 0;
}

/* A table's cells read as float32 (sw_table_f32: plain decimals in one pass,
 * the rest through sw_parse_f32) equal glibc's strtof: random decimals of 1 to
 * 20 digits with and without a sign, a dot or an exponent, exact float
 * midpoints and neighbours, and texts that are not numbers refused. */
START_TEST(table_f32_matches_strtof)
{
    enum { N = 60000 };
    char *csv = malloc((size_t)N * 48 + 16), *q = csv;
    q += sprintf(q, "x\n");
    static char texts[N][40];
    for (int i = 0; i < N; i++) {
        char *s = texts[i];
        random_decimal(s);
        q += sprintf(q, "%s\n", s);
    }
    sw_error err;
    sw_table *t = parse_csv(csv, &err);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(sw_table_rows(t), N);
    for (int i = 0; i < N; i++) {
        float f, r = strtof(texts[i], NULL);
        ck_assert_msg(sw_table_f32(t, i, 0, &f, &err) == SW_OK, "'%s': %s", texts[i], err.msg);
        ck_assert_msg(memcmp(&f, &r, 4) == 0, "'%s': %a vs strtof %a", texts[i], (double)f, (double)r);
    }
    sw_table_free(t);
    free(csv);
    const char *bad[] = {"1.2.3", "--5", "-", ".", "1-2", "12a", "0x10", "1e", " 7"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char one[32];
        snprintf(one, sizeof one, "x\n%s\n", bad[i]);
        t = parse_csv(one, &err);
        ck_assert_ptr_nonnull(t);
        float f;
        ck_assert_msg(sw_table_f32(t, 0, 0, &f, &err) == SW_PARSE, "'%s' read as a number", bad[i]);
        ck_assert_int_eq(err.line, 2);
        sw_table_free(t);
    }
}
END_TEST

/* A file of about 7 MB for sw_matrix_read_csv: id, u (random decimals), v
 * (decimals or missing tokens), txt (text), y and w; blank and CRLF lines,
 * no newline at the end; optionally a quoted cell, a bad cell in row bad_cell
 * and a row of five fields at short_row.  texts[r] holds row r's u. */
static char *wide_csv(long rows, int quote, long bad_cell, long short_row, char (*texts)[40], size_t *len)
{
    size_t cap = (size_t)rows * 160 + 256, n = 0;
    char *b = malloc(cap);
    n += (size_t)snprintf(b + n, cap - n, "id,u,v,txt,y,w\n");
    static const char *miss[] = {"", "nan", "NA", "-0", "inf", "0.5"};
    for (long r = 0; r < rows; r++) {
        if (r % 997 == 5) n += (size_t)snprintf(b + n, cap - n, "\n");
        if (r % 1009 == 7) n += (size_t)snprintf(b + n, cap - n, "\r\n");
        char v[40];
        if (r % 4) random_decimal(v);
        else snprintf(v, sizeof v, "%s", miss[(r / 4) % 6]);
        random_decimal(texts[r]);
        if (r == bad_cell) snprintf(texts[r], 40, "1.5x");
        const char *end = r == rows - 1 ? "" : r % 3 ? "\n" : "\r\n";
        if (r == short_row) n += (size_t)snprintf(b + n, cap - n, "%ld,%s,%s,p%ld,1%s", r, texts[r], v, r, end);
        else n += (size_t)snprintf(b + n, cap - n, "%ld,%s,%s,%sp%ld%s,%ld.25,%s%s", r, texts[r], v,
                                   quote && r == rows - 2 ? "\"q," : "", r, quote && r == rows - 2 ? "\"" : "",
                                   r % 50, v, end);
    }
    *len = n;
    return b;
}

/* The source line of row r of wide_csv: the header, the rows and the blank
 * lines before it. */
static long wide_line(long r)
{
    long blanks = 0;
    for (long i = 0; i <= r; i++) blanks += (i % 997 == 5) + (i % 1009 == 7);
    return 2 + r + blanks;
}

/* sw_matrix_read_csv with sw__csv_window set to window. */
static void read_windowed(const char *path, const sw_csv_matrix_opts *o, size_t window, int *rc, sw_matrix **X,
                      float **v, sw_error *err)
{
    size_t w0 = sw__csv_window;
    sw__csv_window = window;
    *rc = sw_matrix_read_csv(path, o, X, v, err);
    sw__csv_window = w0;
}

/* sw_matrix_read_csv (one pass, in stretches on every core) against the
 * table path (sw_table_read_csv, sw_matrix_from_table, sw_table_f32) and
 * glibc's strtof: the same bits at 1, 2 and 3 threads, with and without a
 * quote (the general parser); the first error in the file; columns chosen,
 * dropped, missing or asked for twice. */
START_TEST(matrix_read_csv_matches_table)
{
    enum { ROWS = 150000 };
    char(*texts)[40] = malloc((size_t)ROWS * 40);
    int threads0 = omp_get_max_threads();
    for (int quote = 0; quote < 2; quote++) {
        size_t len;
        char *csv = wide_csv(ROWS, quote, -1, -1, texts, &len);
        const char *path = tu_write("wide.csv", csv, len);
        free(csv);
        sw_error err;
        sw_table *t;
        ck_assert_int_eq(sw_table_read_csv(path, NULL, &t, &err), SW_OK);
        ck_assert_int_eq(sw_table_rows(t), ROWS);
        const char *cols[] = {"id", "u", "v"}, *vecs[] = {"y", "w"}, *drop[] = {"txt", "absent"};
        sw_matrix *want;
        ck_assert_int_eq(sw_matrix_from_table(t, cols, 3, &want, &err), SW_OK);
        for (int nt = 1; nt <= 3; nt++) {
            omp_set_num_threads(nt);
            sw_csv_matrix_opts o = {.vectors = vecs, .n_vectors = 2, .drop = drop, .n_drop = 1};
            sw_matrix *X;
            float *v[2];
            ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, v, &err), SW_OK);
            ck_assert_int_eq(X->rows, ROWS);
            ck_assert_int_eq(X->cols, 3);
            for (int c = 0; c < 3; c++) ck_assert_str_eq(X->names[c], cols[c]);
            ck_assert(memcmp(X->data, want->data, (size_t)ROWS * 3 * sizeof(float)) == 0);
            for (long r = 0; r < ROWS; r++) {
                float y, w, u = strtof(texts[r], NULL);
                ck_assert_int_eq(sw_table_f32(t, r, 4, &y, &err), SW_OK);
                ck_assert_int_eq(sw_table_f32(t, r, 5, &w, &err), SW_OK);
                ck_assert_msg(memcmp(&v[0][r], &y, 4) == 0 && memcmp(&v[1][r], &w, 4) == 0, "row %ld", r);
                ck_assert_msg(memcmp(&sw_matrix_row(X, r)[1], &u, 4) == 0, "'%s'", texts[r]);
            }
            sw_matrix_free(X);
            sw_free(v[0]);
            sw_free(v[1]);
        }
        omp_set_num_threads(threads0);
        /* columns by name, in another order */
        const char *two[] = {"v", "id"};
        sw_csv_matrix_opts o = {.columns = two, .n_columns = 2};
        sw_matrix *X;
        ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, NULL, &err), SW_OK);
        for (long r = 0; r < ROWS; r++)
            ck_assert(memcmp(&sw_matrix_row(X, r)[0], &sw_matrix_row(want, r)[2], 4) == 0 &&
                      sw_matrix_get(X, r, 1) == sw_matrix_get(want, r, 0));
        sw_matrix_free(X);
        sw_matrix_free(want);
        sw_table_free(t);
        const char *absent[] = {"u", "zz", "qq"}, *twice[] = {"u", "v", "u"};
        o = (sw_csv_matrix_opts){.columns = absent, .n_columns = 3};
        ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, NULL, &err), SW_MISMATCH);
        ck_assert_ptr_nonnull(strstr(err.msg, "missing columns: zz, qq"));
        o = (sw_csv_matrix_opts){.columns = twice, .n_columns = 3};
        ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, NULL, &err), SW_ARG);
        ck_assert_ptr_nonnull(strstr(err.msg, "column u asked for twice"));
        o = (sw_csv_matrix_opts){.vectors = vecs, .n_vectors = 2, .drop = drop, .n_drop = 2};
        float *v[2];
        ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, v, &err), SW_MISMATCH);
        ck_assert_ptr_nonnull(strstr(err.msg, "no column absent to drop"));
    }
    /* the first error in the file, whichever stretch finds which */
    struct { long bad_cell, short_row; const char *msg; } errs[] = {
        {120000, 130000, "column u: not a number: '1.5x'"},
        {140000, 30000, "expected 6 fields, found 5"},
        {10, -1, "column u: not a number: '1.5x'"},
    };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        for (int nt = 1; nt <= 2; nt++) {
            omp_set_num_threads(nt);
            size_t len;
            char *csv = wide_csv(ROWS, 0, errs[i].bad_cell, errs[i].short_row, texts, &len);
            const char *path = tu_write("wide.csv", csv, len);
            free(csv);
            const char *vecs[] = {"y"}, *drop[] = {"txt", "w"};
            sw_csv_matrix_opts o = {.vectors = vecs, .n_vectors = 1, .drop = drop, .n_drop = 2};
            sw_matrix *X = (sw_matrix *)1;
            float *v[1] = {(float *)1};
            sw_error err;
            ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, v, &err), SW_PARSE);
            ck_assert_ptr_null(X);
            ck_assert_ptr_null(v[0]);
            ck_assert_msg(strstr(err.msg, errs[i].msg), "%s", err.msg);
            long at = errs[i].short_row >= 0 && errs[i].short_row < errs[i].bad_cell ? errs[i].short_row : errs[i].bad_cell;
            ck_assert_int_eq(err.line, wide_line(at));
            ck_assert_int_eq(err.col, at == errs[i].bad_cell ? 2 : 0);
        }
    omp_set_num_threads(threads0);
    free(texts);
    /* finite_vectors: a missing or infinite target is an error at its line
     * (the first in the file, at any thread count); features may be missing */
    {
        enum { N = 100000 };
        char *b = malloc((size_t)N * 24 + 64), *q = b;
        q += sprintf(q, "x,y\n");
        for (long r = 0; r < N; r++)
            q += sprintf(q, "%s,%s\n", r % 7 ? "1.5" : "", r == 90000 ? "inf" : r == 95000 ? "" : "2.25");
        const char *path = tu_write("finite.csv", b, (size_t)(q - b));
        free(b);
        const char *vecs[] = {"y"};
        for (int nt = 1; nt <= 2; nt++) {
            omp_set_num_threads(nt);
            sw_csv_matrix_opts o = {.vectors = vecs, .n_vectors = 1, .finite_vectors = 1};
            sw_matrix *X;
            float *v[1];
            sw_error err;
            ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, v, &err), SW_INVALID_DATA);
            ck_assert_int_eq(err.line, 90002);
            ck_assert_int_eq(err.col, 2);
            ck_assert_msg(strstr(err.msg, "column y: missing or not finite: 'inf'"), "%s", err.msg);
            o.finite_vectors = 0; /* without: read as they are */
            ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, v, &err), SW_OK);
            ck_assert(isinf(v[0][90000]) && isnan(v[0][95000]) && isnan(sw_matrix_get(X, 0, 0)));
            sw_matrix_free(X);
            sw_free(v[0]);
        }
        /* finite_matrix: a matrix cell may be missing but not infinite (nor
         * beyond the float range), with or without finite_vectors */
        for (int k = 0; k < 2; k++) {
            b = malloc((size_t)N * 24 + 64), q = b;
            q += sprintf(q, "x,y\n");
            for (long r = 0; r < N; r++)
                q += sprintf(q, "%s,%s\n", r == 70000 ? (k ? "-3.5e38" : "Infinity") : r % 7 ? "1.5" : "", r == 90000 ? "inf" : "2.25");
            path = tu_write("finite.csv", b, (size_t)(q - b));
            free(b);
            for (int nt = 1; nt <= 2; nt++) {
                omp_set_num_threads(nt);
                sw_csv_matrix_opts o = {.vectors = vecs, .n_vectors = 1, .finite_vectors = k, .finite_matrix = 1};
                sw_matrix *X = (sw_matrix *)1;
                float *v[1];
                sw_error err;
                ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, v, &err), SW_INVALID_DATA);
                ck_assert_ptr_null(X);
                ck_assert_int_eq(err.line, 70002);
                ck_assert_int_eq(err.col, 1);
                ck_assert_msg(strstr(err.msg, k ? "column x: not finite: '-3.5e38' (a feature may be missing, not infinite)"
                                                : "column x: not finite: 'Infinity'"), "%s", err.msg);
                o.finite_matrix = 0; /* without: the value */
                ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, v, &err), k ? SW_INVALID_DATA : SW_OK);
                if (k) {
                    ck_assert_int_eq(err.line, 90002);
                    continue;
                }
                ck_assert(isinf(sw_matrix_get(X, 70000, 0)) && sw_matrix_get(X, 70000, 0) > 0);
                sw_matrix_free(X);
                sw_free(v[0]);
            }
        }
        omp_set_num_threads(threads0);
    }
    /* a wide header over many blank lines: room by bytes, not by lines (20,000
     * columns x 200,000 lines would be 16 GB); in one buffer, in windows of
     * 150 KiB (the header line is about 129 KB) and with a window of 64 KiB,
     * shorter than the header, which sends the file to one buffer */
    enum { W = 20000, BLANK = 200000 };
    char *wide = malloc((size_t)W * 8 + BLANK + (size_t)W * 2 + 16), *q = wide;
    for (int c = 0; c < W; c++) q += sprintf(q, "%sc%d", c ? "," : "", c);
    *q++ = '\n';
    memset(q, '\n', BLANK);
    q += BLANK;
    for (int c = 0; c < W; c++) q += sprintf(q, "%s%d", c ? "," : "", c % 10);
    const char *path = tu_write("wide_blank.csv", wide, (size_t)(q - wide));
    free(wide);
    const size_t ws[] = {(size_t)-1, 150 << 10, 64 << 10};
    for (int i = 0; i < 3; i++) {
        sw_csv_matrix_opts o = {0};
        sw_matrix *X;
        sw_error err;
        int rc;
        read_windowed(path, &o, ws[i], &rc, &X, NULL, &err);
        ck_assert_msg(rc == SW_OK, "%s", err.msg);
        ck_assert_int_eq(X->rows, 1);
        ck_assert_int_eq(X->cols, W);
        ck_assert(sw_matrix_get(X, 0, W - 1) == (float)((W - 1) % 10));
        sw_matrix_free(X);
    }
}
END_TEST

/* Cells at the edges of the matrix reader's plain-decimal path (a sign, a dot
 * first or last, 15 and 16 digits, leading zeros, what only the general
 * parser reads) equal glibc's strtof, and texts that are not numbers are
 * SW_PARSE at their line and column, at 1 and 2 threads. */
START_TEST(matrix_read_csv_cell_texts)
{
    static const char *good[] = {".5", "5.", "-.5", "-5.", "-0", "0", "0.", "000123.4500", "-0.000000000000001",
                                 "123456789012345", "1234567890123456", "999999999999999.9", "0.1234567890123456",
                                 "16777217", "-16777217.0", "3.4028235e38", "1e-45", "+5", "NaN", "NA", ""};
    static const char *bad[] = {"1.2.3", "1..2", "--5", "-", ".", "-.", "1-2", "12a", "0x10", "1e", " 7", "7 ", "+"};
    int threads0 = omp_get_max_threads();
    for (int nt = 1; nt <= 2; nt++) {
        omp_set_num_threads(nt);
        char csv[2048];
        size_t n = (size_t)snprintf(csv, sizeof csv, "a,y\n");
        int ng = (int)(sizeof good / sizeof good[0]);
        for (int i = 0; i < ng; i++) n += (size_t)snprintf(csv + n, sizeof csv - n, "%s,%d\n", good[i], i);
        const char *path = tu_write("edges.csv", csv, n);
        static const char *vecs[] = {"y"};
        sw_csv_matrix_opts o = {.vectors = vecs, .n_vectors = 1};
        sw_matrix *X;
        float *v[1];
        sw_error err;
        ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, v, &err), SW_OK);
        ck_assert_int_eq(X->rows, ng);
        for (int i = 0; i < ng; i++) {
            int missing = !strcmp(good[i], "") || !strcmp(good[i], "NA") || !strcmp(good[i], "NaN");
            float want = missing ? NAN : strtof(good[i], NULL), got = X->data[i];
            ck_assert_msg(missing ? isnan(got) : memcmp(&got, &want, 4) == 0, "'%s': %a, strtof %a", good[i],
                          (double)got, (double)want);
            ck_assert(v[0][i] == (float)i);
        }
        sw_matrix_free(X);
        sw_free(v[0]);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            n = (size_t)snprintf(csv, sizeof csv, "a,y\n1,0\n%s,1\n", bad[i]);
            path = tu_write("edges.csv", csv, n);
            ck_assert_int_eq(sw_matrix_read_csv(path, &o, &X, v, &err), SW_PARSE);
            ck_assert_msg(err.line == 3 && err.col == 1, "'%s': line %ld col %ld", bad[i], err.line, err.col);
            ck_assert_msg(strstr(err.msg, "column a: not a number"), "'%s': %s", bad[i], err.msg);
        }
    }
    omp_set_num_threads(threads0);
}
END_TEST

/* sw_matrix_read_csv on a regular file larger than its window reads it in
 * windows of whole lines: the same matrix, vectors and first error (line and
 * column) as one buffer for the whole file, at 1 to 3 threads, with windows
 * of 1 MiB, 100,003 bytes and 4,099 bytes (many windows, stretches of one
 * line); a quote or a NUL sends the file to the whole-file path (a line
 * longer than the window too: matrix_read_csv_matches_table's wide header). */
START_TEST(matrix_read_csv_windows)
{
    enum { ROWS = 150000 };
    char(*texts)[40] = malloc((size_t)ROWS * 40);
    int threads0 = omp_get_max_threads();
    const size_t windows[] = {1 << 20, 100003, 4099};
    struct { int quote; long bad_cell, short_row; } files[] = {{0, -1, -1}, {1, -1, -1}, {0, 120000, 130000},
                                                                {0, 140000, 30000}, {0, 10, -1}};
    for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
        size_t len;
        char *csv = wide_csv(ROWS, files[fi].quote, files[fi].bad_cell, files[fi].short_row, texts, &len);
        const char *path = tu_write("windows.csv", csv, len);
        free(csv);
        const char *vecs[] = {"y", "w"}, *drop[] = {"txt"};
        sw_csv_matrix_opts o = {.vectors = vecs, .n_vectors = 2, .drop = drop, .n_drop = 1};
        sw_matrix *want;
        float *wv[2];
        sw_error werr;
        int wrc;
        read_windowed(path, &o, (size_t)-1, &wrc, &want, wv, &werr);
        ck_assert_int_eq(wrc, files[fi].bad_cell >= 0 ? SW_PARSE : SW_OK);
        for (size_t wi = 0; wi < sizeof windows / sizeof windows[0]; wi++)
            for (int nt = 1; nt <= 3; nt++) {
                omp_set_num_threads(nt);
                sw_matrix *X;
                float *v[2];
                sw_error err;
                int rc;
                read_windowed(path, &o, windows[wi], &rc, &X, v, &err);
                ck_assert_msg(rc == wrc, "file %zu window %zu: %s", fi, windows[wi], err.msg);
                if (rc) {
                    ck_assert_str_eq(err.msg, werr.msg);
                    ck_assert_int_eq(err.line, werr.line);
                    ck_assert_int_eq(err.col, werr.col);
                    continue;
                }
                ck_assert_int_eq(X->rows, want->rows);
                ck_assert_int_eq(X->cols, want->cols);
                ck_assert(memcmp(X->data, want->data, (size_t)X->rows * (size_t)X->cols * sizeof(float)) == 0);
                for (int i = 0; i < 2; i++) ck_assert(memcmp(v[i], wv[i], (size_t)X->rows * sizeof(float)) == 0);
                sw_matrix_free(X);
                sw_free(v[0]);
                sw_free(v[1]);
            }
        omp_set_num_threads(threads0);
        if (wrc == SW_OK) {
            ck_assert_int_eq(want->rows, ROWS);
            sw_matrix_free(want);
            sw_free(wv[0]);
            sw_free(wv[1]);
        }
    }
    free(texts);
    /* a NUL: the same error, from the whole-file path; a target that is not
     * finite in a late window: the same error at its line */
    for (int nul = 0; nul < 2; nul++) {
        enum { N = 40000 };
        char *b = malloc((size_t)N * 16 + 64), *q = b;
        q += sprintf(q, "x,y\n");
        for (long r = 0; r < N; r++) q += sprintf(q, "%ld.5,%s\n", r, r == 35000 && !nul ? "inf" : "2");
        if (nul) b[(size_t)(q - b) - 100] = '\0';
        const char *path = tu_write("nul.csv", b, (size_t)(q - b));
        free(b);
        const char *vecs[] = {"y"};
        sw_csv_matrix_opts o = {.vectors = vecs, .n_vectors = 1, .finite_vectors = 1};
        sw_matrix *X;
        float *v[1];
        sw_error err, werr;
        int rc, wrc;
        read_windowed(path, &o, (size_t)-1, &wrc, &X, v, &werr);
        read_windowed(path, &o, 4099, &rc, &X, v, &err);
        ck_assert_int_eq(wrc, nul ? SW_PARSE : SW_INVALID_DATA);
        ck_assert_int_eq(rc, wrc);
        ck_assert_str_eq(err.msg, werr.msg);
        if (!nul) ck_assert_int_eq(err.line, 35002);
        ck_assert_int_eq(werr.line, err.line);
    }
}
END_TEST

/* ------------------------------------------------------------------- json */

START_TEST(json_parse)
{
    const char *text = " {\"a\": [1, 2.5, -3e2, true, null], \"s\": \"x\\u00e9\\n\\\"\\ud83d\\ude00\","
                       "\"o\": {}, \"e\": [], \"f\": \"1.0682758E1\", \"n\": NaN} ";
    sw_json *doc;
    sw_error err;
    ck_assert_int_eq(sw_json_parse("t.json", text, strlen(text), &doc, &err), SW_OK);
    sw_jnode root = sw_json_root(doc);
    ck_assert_int_eq(sw_json_type_of(doc, root), SW_JSON_OBJECT);
    ck_assert_int_eq(sw_json_len(doc, root), 6);
    sw_jnode a = sw_json_get(doc, root, "a");
    ck_assert_int_eq(sw_json_len(doc, a), 5);
    sw_jnode c = sw_json_first(doc, a);
    long long iv;
    ck_assert_int_eq(sw_json_i64(doc, c, 0, &iv, &err), SW_OK);
    ck_assert_int_eq(iv, 1);
    c = sw_json_next(doc, c);
    double d;
    ck_assert_int_eq(sw_json_f64(doc, c, 0, &d, &err), SW_OK);
    ck_assert(d == 2.5);
    c = sw_json_next(doc, sw_json_next(doc, c));
    ck_assert_int_eq(sw_json_type_of(doc, c), SW_JSON_TRUE);
    c = sw_json_next(doc, sw_json_next(doc, c));
    ck_assert_int_eq(c, SW_JNONE);
    size_t len;
    const char *s = sw_json_str(doc, sw_json_get(doc, root, "s"), &len);
    ck_assert_int_eq(len, 1 + 2 + 1 + 1 + 4);
    ck_assert(memcmp(s, "x\xc3\xa9\n\"\xf0\x9f\x98\x80", len) == 0);
    ck_assert_int_eq(sw_json_len(doc, sw_json_get(doc, root, "o")), 0);
    ck_assert_int_eq(sw_json_first(doc, sw_json_get(doc, root, "e")), SW_JNONE);
    float f;
    ck_assert_int_eq(sw_json_f32(doc, sw_json_get(doc, root, "f"), 1, &f, &err), SW_OK);
    ck_assert(f == 10.682758f);
    ck_assert_int_ne(sw_json_f32(doc, sw_json_get(doc, root, "f"), 0, &f, &err), SW_OK);
    ck_assert_int_eq(sw_json_f64(doc, sw_json_get(doc, root, "n"), 0, &d, &err), SW_OK);
    ck_assert(isnan(d));
    ck_assert_int_eq(sw_json_get(doc, root, "zz"), SW_JNONE);
    size_t kl;
    ck_assert(memcmp(sw_json_key(doc, a, &kl), "a", 1) == 0 && kl == 1);
    sw_json_free(doc);
}
END_TEST

START_TEST(json_errors)
{
    const char *bad[] = {"", "{", "{\"a\":}", "[1,]", "[1 2]", "{\"a\" 1}", "\"abc", "[tru]", "{\"a\":1}x",
                         "[\"\\x\"]", "[\"\\ud800\"]", "{1:2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sw_json *doc = NULL;
        sw_error err;
        ck_assert_msg(sw_json_parse("b.json", bad[i], strlen(bad[i]), &doc, &err) != SW_OK, "accepted %s",
                      bad[i]);
        ck_assert_ptr_null(doc);
        ck_assert(err.offset >= 0);
    }
    /* nesting limit: an error, not a stack overflow */
    char deep[2000];
    memset(deep, '[', sizeof deep);
    sw_json *doc;
    sw_error err;
    ck_assert_int_eq(sw_json_parse("d.json", deep, sizeof deep, &doc, &err), SW_RANGE);
}
END_TEST

START_TEST(json_writer_roundtrip)
{
    for (int mode = 0; mode < 3; mode++) {
        sw_jw *w = sw_jw_create((sw_jw_mode)mode);
        sw_jw_obj_begin(w);
        sw_jw_key(w, "name");
        sw_jw_str(w, "q\"\\\n");
        sw_jw_key(w, "f");
        sw_jw_f32(w, 0.1f);
        sw_jw_key(w, "d");
        sw_jw_f64(w, 0.1);
        sw_jw_key(w, "i");
        sw_jw_int(w, -70000);
        sw_jw_key(w, "big");
        sw_jw_int(w, 5000000000LL);
        float fs[3] = {1.5f, -2.25f, 3e-8f};
        int32_t is[3] = {-1, 200, 70000};
        uint8_t us[2] = {0, 1};
        sw_jw_key(w, "fs");
        sw_jw_f32s(w, fs, 3);
        sw_jw_key(w, "is");
        sw_jw_i32s(w, is, 3);
        sw_jw_key(w, "us");
        sw_jw_u8s(w, us, 2);
        sw_jw_key(w, "arr");
        sw_jw_arr_begin(w);
        sw_jw_bool(w, 1);
        sw_jw_null(w);
        sw_jw_arr_end(w);
        sw_jw_obj_end(w);
        const char *data;
        size_t len;
        ck_assert_int_eq(sw_jw_finish(w, &data, &len), SW_OK);
        sw_json *doc;
        sw_error err;
        if (mode == SW_JW_UBJSON) {
            ck_assert_int_eq(sw_ubjson_parse("t.ubj", (const unsigned char *)data, len, &doc, &err), SW_OK);
        } else {
            ck_assert_msg(sw_json_parse("t.json", data, len, &doc, &err) == SW_OK, "%s: %s", err.msg, data);
        }
        sw_jnode r = sw_json_root(doc);
        ck_assert(sw_json_streq(doc, sw_json_get(doc, r, "name"), "q\"\\\n"));
        float f;
        double d;
        long long iv;
        ck_assert_int_eq(sw_json_f32(doc, sw_json_get(doc, r, "f"), 0, &f, &err), SW_OK);
        ck_assert(f == 0.1f);
        ck_assert_int_eq(sw_json_f64(doc, sw_json_get(doc, r, "d"), 0, &d, &err), SW_OK);
        ck_assert(d == 0.1);
        ck_assert_int_eq(sw_json_i64(doc, sw_json_get(doc, r, "i"), 0, &iv, &err), SW_OK);
        ck_assert(iv == -70000);
        ck_assert_int_eq(sw_json_i64(doc, sw_json_get(doc, r, "big"), 0, &iv, &err), SW_OK);
        ck_assert(iv == 5000000000LL);
        float fs2[3];
        int32_t is2[3];
        ck_assert_int_eq(sw_json_read_f32s(doc, sw_json_get(doc, r, "fs"), fs2, 3, &err), SW_OK);
        ck_assert(memcmp(fs, fs2, sizeof fs) == 0);
        ck_assert_int_eq(sw_json_read_i32s(doc, sw_json_get(doc, r, "is"), is2, 3, &err), SW_OK);
        ck_assert(memcmp(is, is2, sizeof is) == 0);
        ck_assert_int_eq(sw_json_read_i32s(doc, sw_json_get(doc, r, "us"), is2, 2, &err), SW_OK);
        ck_assert(is2[0] == 0 && is2[1] == 1);
        ck_assert_int_eq(sw_json_read_i32s(doc, sw_json_get(doc, r, "us"), is2, 3, &err), SW_FORMAT);
        ck_assert_int_eq(sw_json_len(doc, sw_json_get(doc, r, "arr")), 2);
        if (mode == SW_JW_UBJSON) ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, r, "fs")), SW_JSON_TYPED_ARRAY);
        sw_json_free(doc);
        sw_jw_free(w);
    }
}
END_TEST

START_TEST(ubjson_hostile)
{
    /* huge declared counts and lengths are refused before allocation */
    const unsigned char huge_arr[] = {'[', '$', 'd', '#', 'l', 0x7f, 0xff, 0xff, 0xff, 0, 0};
    const unsigned char huge_str[] = {'S', 'L', 0x7f, 0, 0, 0, 0, 0, 0, 0, 'a'};
    const unsigned char neg_len[] = {'S', 'i', 0xff, 'a'};
    const unsigned char bad_marker[] = {'[', 'Q', ']'};
    const unsigned char trunc_num[] = {'[', 'D', 0, 0};
    const unsigned char counted[] = {'[', '#', 'U', 2, 'U', 1, 'U', 2};
    struct {
        const unsigned char *d;
        size_t n;
        int ok;
    } cases[] = {{huge_arr, sizeof huge_arr, 0}, {huge_str, sizeof huge_str, 0}, {neg_len, sizeof neg_len, 0},
                 {bad_marker, sizeof bad_marker, 0}, {trunc_num, sizeof trunc_num, 0},
                 {counted, sizeof counted, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sw_json *doc = NULL;
        sw_error err;
        int rc = sw_ubjson_parse("h.ubj", cases[i].d, cases[i].n, &doc, &err);
        ck_assert_msg((rc == SW_OK) == cases[i].ok, "case %zu: rc %d", i, rc);
        if (doc) {
            ck_assert_int_eq(sw_json_len(doc, sw_json_root(doc)), 2);
            sw_json_free(doc);
        }
    }
    /* nesting bomb */
    unsigned char deep[1000];
    memset(deep, '[', sizeof deep);
    sw_json *doc;
    sw_error err;
    ck_assert_int_eq(sw_ubjson_parse("d.ubj", deep, sizeof deep, &doc, &err), SW_RANGE);
}
END_TEST

/* ------------------------------------------------------------- allocation */

/* SHA-256 against FIPS 180-2's known answers (one shot, and fed in uneven
 * pieces), CRC-32 against the standard check value. */
START_TEST(hash_known_answers)
{
    static const struct {
        const char *msg;
        long repeat;
        const char *hex;
    } kat[] = {
        {"", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    };
    for (size_t k = 0; k < sizeof kat / sizeof kat[0]; k++) {
        size_t l = strlen(kat[k].msg), n = l * (size_t)kat[k].repeat;
        char *buf = malloc(n + 1);
        for (long r = 0; r < kat[k].repeat; r++) memcpy(buf + (size_t)r * l, kat[k].msg, l);
        char hex[65];
        sw_sha256_hex(buf, n, hex);
        ck_assert_str_eq(hex, kat[k].hex);
        /* the same in pieces of 1, 2, ... 97 bytes */
        sw_sha256 st;
        sw_sha256_init(&st);
        size_t at = 0, piece = 1;
        while (at < n) {
            size_t m = n - at < piece ? n - at : piece;
            sw_sha256_update(&st, buf + at, m);
            at += m;
            piece = piece % 97 + 1;
        }
        unsigned char d[32];
        sw_sha256_final(&st, d);
        for (int i = 0; i < 32; i++) {
            char two[3];
            snprintf(two, sizeof two, "%02x", d[i]);
            ck_assert(two[0] == kat[k].hex[2 * i] && two[1] == kat[k].hex[2 * i + 1]);
        }
        free(buf);
    }
    ck_assert_uint_eq(sw_crc32(0, "123456789", 9), 0xCBF43926u);
    ck_assert_uint_eq(sw_crc32(0, "", 0), 0u);
}
END_TEST

START_TEST(alloc_failure_paths)
{
    /* fail each allocation in turn: the parsers must report SW_NOMEM and free
     * what they had (AddressSanitizer checks for leaks) */
    const char *csv = "a,b,c\n1,2,3\n\"x\",5,6\n";
    const char *json = "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":1.5}";
    int reached_ok = 0;
    for (long k = 0; k < 200 && !reached_ok; k++) {
        sw_table *t = NULL;
        sw_json *doc = NULL;
        sw_error err;
        sw_alloc_fail_after(k);
        int r1 = sw_table_parse("t.csv", csv, strlen(csv), NULL, &t, &err);
        sw_alloc_fail_after(k);
        int r2 = sw_json_parse("t.json", json, strlen(json), &doc, &err);
        sw_alloc_fail_after(-1);
        ck_assert(r1 == SW_OK || r1 == SW_NOMEM);
        ck_assert(r2 == SW_OK || r2 == SW_NOMEM);
        if (r1 == SW_OK && r2 == SW_OK) reached_ok = 1;
        sw_table_free(t);
        sw_json_free(doc);
    }
    ck_assert(reached_ok);
    void *p = sw_aligned_alloc(100);
    ck_assert(((uintptr_t)p & 63) == 0);
    sw_aligned_free(p);
    ck_assert_ptr_null(sw_alloc_array(SIZE_MAX / 2, 4));
}
END_TEST

Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, status_list);
    tcase_add_test(tc, hash_known_answers);
    tcase_add_test(tc, num_parse_matches_strtod);
    tcase_add_test(tc, num_roundtrip);
    tcase_add_test(tc, num_float_midpoints);
    tcase_add_test(tc, num_syntax);
    tcase_add_test(tc, status_exit_table);
    tcase_add_test(tc, threads_rule);
    tcase_add_test(tc, num_format_short);
    tcase_add_test(tc, num_format_f32_matches_printf);
    tcase_add_test(tc, json_writer_shortest);
    tcase_add_test(tc, csv_basic);
    tcase_add_test(tc, csv_errors);
    tcase_add_test(tc, csv_skip_bad_rows);
    tcase_add_test(tc, csv_parallel_matches_sequential);
    tcase_add_test(tc, csv_noquote_matches_general);
    tcase_add_test(tc, matrix_from_csv);
    tcase_add_test(tc, table_f32_matches_strtof);
    tcase_add_test(tc, matrix_read_csv_matches_table);
    tcase_add_test(tc, matrix_read_csv_cell_texts);
    tcase_add_test(tc, matrix_read_csv_windows);
    tcase_add_test(tc, json_parse);
    tcase_add_test(tc, json_errors);
    tcase_add_test(tc, json_writer_roundtrip);
    tcase_add_test(tc, ubjson_hostile);
    tcase_add_test(tc, alloc_failure_paths);
    suite_add_tcase(s, tc);
    return s;
}
