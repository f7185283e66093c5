/* test_core: status list, exact number parsing, CSV, JSON/UBJSON, matrix and
 * the allocation hook (every allocation failure path of the parsers). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/csv.h"
#include "core/json.h"
#include "core/matrix.h"
#include "core/num.h"
#include "core/status.h"
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
    tcase_add_test(tc, num_parse_matches_strtod);
    tcase_add_test(tc, num_roundtrip);
    tcase_add_test(tc, num_float_midpoints);
    tcase_add_test(tc, num_syntax);
    tcase_add_test(tc, csv_basic);
    tcase_add_test(tc, csv_errors);
    tcase_add_test(tc, matrix_from_csv);
    tcase_add_test(tc, json_parse);
    tcase_add_test(tc, json_errors);
    tcase_add_test(tc, json_writer_roundtrip);
    tcase_add_test(tc, ubjson_hostile);
    tcase_add_test(tc, alloc_failure_paths);
    suite_add_tcase(s, tc);
    return s;
}
