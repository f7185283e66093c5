/* test_prom: the metrics registry.  Oracles: exact text for a hand-built
 * registry (cumulative buckets counted by hand), promtool's parser and linter,
 * the invariants promtool leaves out (buckets non-decreasing, +Inf == _count,
 * and here _sum agreeing with the buckets) parsed back from renders taken
 * while other threads update, and exact totals after concurrent updates. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/prom.h"
#include "testutil.h"

static char *render(sw_prom *p)
{
    size_t len = 1;
    char *s = sw_prom_render(p, &len);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(len, strlen(s));
    return s;
}

START_TEST(prom_exact_text)
{
    sw_prom *p = sw_prom_new();
    ck_assert_ptr_nonnull(p);
    const double b[] = {0.25, 0.5, 1};
    int req = sw_prom_counter(p, "swish_requests_total", "Requests served.", "route, code");
    int slate = sw_prom_gauge(p, "swish_last_slate_timestamp_seconds", "Time of the last good slate.", NULL);
    int lat = sw_prom_histogram(p, "swish_request_seconds", "Request latency.", "route", b, 3);
    int auth = sw_prom_counter(p, "swish_auth_failures_total", "Auth failures.", "");
    int bare = sw_prom_gauge(p, "swish_bare", NULL, "x");
    ck_assert_int_eq(req, 0);
    ck_assert_int_eq(slate, 1);
    ck_assert_int_eq(lat, 2);
    ck_assert_int_eq(auth, 3);
    ck_assert_int_eq(bare, 4);

    const char *pred[] = {"/predict", "200"}, *health[] = {"/healthz", "200"};
    for (int i = 0; i < 3; i++) sw_prom_inc_l(p, req, pred, 1);
    sw_prom_inc_l(p, req, health, 2);
    sw_prom_inc_l(p, req, health, -5); /* counters never go down */
    sw_prom_inc_l(p, req, health, NAN);
    sw_prom_set_l(p, slate, NULL, 1700000000);
    /* on a bound counts in that bucket; 4 is above every bound */
    const char *r1[] = {"/predict"}, *r2[] = {"/healthz"};
    sw_prom_child *c = sw_prom_child_of(p, lat, r1);
    const double obs[] = {0.125, 0.25, 0.375, 0.75, 4};
    for (int i = 0; i < 5; i++) sw_prom_observe(c, obs[i]);
    ck_assert_ptr_nonnull(sw_prom_child_of(p, lat, r2));
    /* the wrong kind of update does nothing */
    sw_prom_add(c, 1);
    sw_prom_set(c, 1);
    sw_prom_observe(sw_prom_child_of(p, req, pred), 1);
    sw_prom_set(sw_prom_child_of(p, req, pred), 100);

    const char *want = "# HELP swish_requests_total Requests served.\n"
                       "# TYPE swish_requests_total counter\n"
                       "swish_requests_total{route=\"/predict\",code=\"200\"} 3\n"
                       "swish_requests_total{route=\"/healthz\",code=\"200\"} 2\n"
                       "# HELP swish_last_slate_timestamp_seconds Time of the last good slate.\n"
                       "# TYPE swish_last_slate_timestamp_seconds gauge\n"
                       "swish_last_slate_timestamp_seconds 1700000000\n"
                       "# HELP swish_request_seconds Request latency.\n"
                       "# TYPE swish_request_seconds histogram\n"
                       "swish_request_seconds_bucket{route=\"/predict\",le=\"0.25\"} 2\n"
                       "swish_request_seconds_bucket{route=\"/predict\",le=\"0.5\"} 3\n"
                       "swish_request_seconds_bucket{route=\"/predict\",le=\"1\"} 4\n"
                       "swish_request_seconds_bucket{route=\"/predict\",le=\"+Inf\"} 5\n"
                       "swish_request_seconds_sum{route=\"/predict\"} 5.5\n"
                       "swish_request_seconds_count{route=\"/predict\"} 5\n"
                       "swish_request_seconds_bucket{route=\"/healthz\",le=\"0.25\"} 0\n"
                       "swish_request_seconds_bucket{route=\"/healthz\",le=\"0.5\"} 0\n"
                       "swish_request_seconds_bucket{route=\"/healthz\",le=\"1\"} 0\n"
                       "swish_request_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 0\n"
                       "swish_request_seconds_sum{route=\"/healthz\"} 0\n"
                       "swish_request_seconds_count{route=\"/healthz\"} 0\n"
                       "# HELP swish_auth_failures_total Auth failures.\n"
                       "# TYPE swish_auth_failures_total counter\n"
                       "swish_auth_failures_total 0\n"
                       "# TYPE swish_bare gauge\n";
    char *s = render(p);
    ck_assert_str_eq(s, want);
    sw_free(s);

    ck_assert(sw_prom_value(p, req, pred) == 3);
    ck_assert(sw_prom_value(p, lat, r1) == 5);
    ck_assert(sw_prom_value(p, auth, NULL) == 0);
    ck_assert(isnan(sw_prom_value(p, lat, (const char *[]){"/nope"})));
    ck_assert(isnan(sw_prom_value(p, 99, NULL)));
    ck_assert(isnan(sw_prom_value(p, req, NULL)));
    sw_prom_free(p);
    sw_prom_free(NULL);

    /* an empty registry renders as "" */
    p = sw_prom_new();
    s = render(p);
    ck_assert_str_eq(s, "");
    sw_free(s);
    sw_prom_free(p);
}
END_TEST

START_TEST(prom_values_and_escapes)
{
    sw_prom *p = sw_prom_new();
    int g = sw_prom_gauge(p, "g", "a \\ b \"q\"\nline two", "k");
    const struct {
        const char *k;
        double v;
        const char *text;
    } cases[] = {
        {"int", 42, "42"},         {"neg", -7, "-7"},         {"frac", 0.1, "0.1"},
        {"third", 1.0 / 3, "0.3333333333333333"},             {"big", 1e300, "1e+300"},
        {"two60", 1152921504606846976.0, "1.152921504606847e+18"}, {"tiny", 5e-324, "5e-324"},
        {"negzero", -0.0, "-0"}, {"pinf", INFINITY, "+Inf"}, {"ninf", -INFINITY, "-Inf"},
        {"nan", NAN, "NaN"},
    };
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) sw_prom_set_l(p, g, (const char *[]){cases[i].k}, cases[i].v);
    /* a label value with a backslash, a double quote and a newline */
    sw_prom_set_l(p, g, (const char *[]){"a\\b\"c\nd"}, 1);
    char *s = render(p);
    char line[256];
    ck_assert_ptr_nonnull(strstr(s, "# HELP g a \\\\ b \"q\"\\nline two\n# TYPE g gauge\n"));
    for (size_t i = 0; i < n; i++) {
        snprintf(line, sizeof line, "\ng{k=\"%s\"} %s\n", cases[i].k, cases[i].text);
        ck_assert_msg(strstr(s, line), "missing %s in\n%s", line, s);
    }
    ck_assert_ptr_nonnull(strstr(s, "\ng{k=\"a\\\\b\\\"c\\nd\"} 1\n"));
    sw_free(s);

    /* UTF-8 passes through; invalid bytes become U+FFFD and share a child */
    int u = sw_prom_counter(p, "u_total", "u", "who");
    sw_prom_child *a = sw_prom_child_of(p, u, (const char *[]){"Nikola Joki\xC4\x87"});
    sw_prom_child *bad1 = sw_prom_child_of(p, u, (const char *[]){"x\xFFy"});
    sw_prom_child *bad2 = sw_prom_child_of(p, u, (const char *[]){"x\xEF\xBF\xBDy"});
    sw_prom_child *bad3 = sw_prom_child_of(p, u, (const char *[]){"\xE2\x82"}); /* truncated */
    sw_prom_child *bad4 = sw_prom_child_of(p, u, (const char *[]){"\xED\xA0\x80"}); /* a surrogate */
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(bad1);
    ck_assert_ptr_eq(bad1, bad2);
    ck_assert_ptr_nonnull(bad3);
    ck_assert_ptr_nonnull(bad4);
    sw_prom_add(a, 1);
    sw_prom_add(bad1, 2);
    s = render(p);
    ck_assert_ptr_nonnull(strstr(s, "u_total{who=\"Nikola Joki\xC4\x87\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "u_total{who=\"x\xEF\xBF\xBDy\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(s, "u_total{who=\"\xEF\xBF\xBD\xEF\xBF\xBD\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(s, "u_total{who=\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"} 0\n"));
    sw_free(s);
    sw_prom_free(p);
}
END_TEST

START_TEST(prom_invalid_names)
{
    sw_prom *p = sw_prom_new();
    const double b[] = {1, 2}, bad_order[] = {2, 1}, dup[] = {1, 1}, inf[] = {1, INFINITY}, nan_b[] = {NAN};
    const char *bad_names[] = {"", "1abc", "a-b", "a b", "caf\xC3\xA9", "x.y"};
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++)
        ck_assert_int_eq(sw_prom_counter(p, bad_names[i], "h", NULL), -1);
    ck_assert_int_eq(sw_prom_counter(p, NULL, "h", NULL), -1);
    ck_assert_int_eq(sw_prom_counter(NULL, "a", "h", NULL), -1);
    const char *bad_labels[] = {"__x", "a:b", "1a", "a,,b", "a,", ",a", "a,a", "a b", "a-b", " , "};
    for (size_t i = 0; i < sizeof bad_labels / sizeof *bad_labels; i++)
        ck_assert_msg(sw_prom_gauge(p, "g", "h", bad_labels[i]) == -1, "label %s", bad_labels[i]);
    ck_assert_int_eq(sw_prom_histogram(p, "h", "h", "le", b, 2), -1);
    ck_assert_int_eq(sw_prom_histogram(p, "h", "h", "a", bad_order, 2), -1);
    ck_assert_int_eq(sw_prom_histogram(p, "h", "h", "a", dup, 2), -1);
    ck_assert_int_eq(sw_prom_histogram(p, "h", "h", "a", inf, 2), -1);
    ck_assert_int_eq(sw_prom_histogram(p, "h", "h", "a", nan_b, 1), -1);
    ck_assert_int_eq(sw_prom_histogram(p, "h", "h", "a", b, -1), -1);
    ck_assert_int_eq(sw_prom_histogram(p, "h", "h", "a", NULL, 2), -1);
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    ck_assert_int_eq(sw_prom_counter(p, longname, "h", NULL), -1);
    char *s = render(p);
    ck_assert_str_eq(s, ""); /* nothing registered by the refusals */
    sw_free(s);

    /* accepted: colons in metric names, "le" on a non-histogram, _x labels,
     * a histogram with only +Inf */
    ck_assert_int_eq(sw_prom_counter(p, "ns:sub_total", "h", "le, _x ,A9"), 0);
    ck_assert_int_eq(sw_prom_histogram(p, "h", "h", NULL, NULL, 0), 1);
    /* duplicates and sample-name collisions */
    ck_assert_int_eq(sw_prom_gauge(p, "ns:sub_total", "h", NULL), -1);
    ck_assert_int_eq(sw_prom_counter(p, "h_count", "h", NULL), -1);
    ck_assert_int_eq(sw_prom_gauge(p, "h_bucket", "h", NULL), -1);
    ck_assert_int_eq(sw_prom_gauge(p, "h", "h", NULL), -1);
    ck_assert_int_eq(sw_prom_gauge(p, "x_sum", "h", NULL), 2);
    ck_assert_int_eq(sw_prom_histogram(p, "x", "h", NULL, b, 2), -1);
    ck_assert_int_eq(sw_prom_gauge(p, "h_counts", "h", NULL), 3);

    /* bad lookups */
    ck_assert_ptr_null(sw_prom_child_of(p, -1, NULL));
    ck_assert_ptr_null(sw_prom_child_of(p, 4, NULL));
    ck_assert_ptr_null(sw_prom_child_of(p, 0, NULL));                           /* 3 labels, no values */
    ck_assert_ptr_null(sw_prom_child_of(p, 0, (const char *[]){"a", NULL, "c"})); /* a NULL value */
    ck_assert_ptr_null(sw_prom_child_of(NULL, 0, NULL));
    sw_prom_inc_l(p, 0, NULL, 1); /* nothing happens */
    sw_prom_add(NULL, 1);
    sw_prom_set(NULL, 1);
    sw_prom_observe(NULL, 1);
    sw_prom_reset(p, 77);
    s = render(p);
    ck_assert_str_eq(s, "# HELP ns:sub_total h\n# TYPE ns:sub_total counter\n"
                        "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n"
                        "# HELP x_sum h\n# TYPE x_sum gauge\nx_sum 0\n"
                        "# HELP h_counts h\n# TYPE h_counts gauge\nh_counts 0\n");
    sw_free(s);
    sw_prom_free(p);
}
END_TEST

START_TEST(prom_children_and_reset)
{
    sw_prom *p = sw_prom_new();
    int c = sw_prom_counter(p, "c_total", "c", "a,b");
    int info = sw_prom_gauge(p, "swish_model_info", "Models loaded.", "system,version");
    int plain = sw_prom_counter(p, "plain_total", "p", NULL);
    char a1[] = "x", b1[] = "y";
    sw_prom_child *x = sw_prom_child_of(p, c, (const char *[]){"x", "y"});
    ck_assert_ptr_nonnull(x);
    /* the same values (other storage) give the same child; others a new one */
    ck_assert_ptr_eq(sw_prom_child_of(p, c, (const char *[]){a1, b1}), x);
    ck_assert_ptr_ne(sw_prom_child_of(p, c, (const char *[]){"y", "x"}), x);
    ck_assert_ptr_ne(sw_prom_child_of(p, c, (const char *[]){"xy", ""}), x);
    ck_assert_ptr_ne(sw_prom_child_of(p, c, (const char *[]){"", "xy"}), x);
    /* many children: the table grows and every pointer stays put */
    sw_prom_child *kids[500];
    char v[16];
    for (int i = 0; i < 500; i++) {
        snprintf(v, sizeof v, "k%d", i);
        kids[i] = sw_prom_child_of(p, c, (const char *[]){v, "z"});
        sw_prom_add(kids[i], i);
    }
    for (int i = 0; i < 500; i++) {
        snprintf(v, sizeof v, "k%d", i);
        ck_assert_ptr_eq(sw_prom_child_of(p, c, (const char *[]){v, "z"}), kids[i]);
        ck_assert(sw_prom_value(p, c, (const char *[]){v, "z"}) == i);
    }
    ck_assert_ptr_eq(sw_prom_child_of(p, c, (const char *[]){"x", "y"}), x);

    /* an info gauge replaced on reload */
    sw_prom_set_l(p, info, (const char *[]){"points", "v1"}, 1);
    sw_prom_set_l(p, info, (const char *[]){"rebounds", "v7"}, 1);
    sw_prom_reset(p, info);
    ck_assert(isnan(sw_prom_value(p, info, (const char *[]){"points", "v1"})));
    sw_prom_set_l(p, info, (const char *[]){"points", "v2"}, 1);
    sw_prom_add(sw_prom_child_of(p, plain, NULL), 5);
    ck_assert(sw_prom_value(p, plain, NULL) == 5);
    sw_prom_reset(p, plain); /* back to its zero child at once */
    ck_assert(sw_prom_value(p, plain, NULL) == 0);
    sw_prom_reset(p, c);
    char *s = render(p);
    ck_assert_str_eq(s, "# HELP c_total c\n# TYPE c_total counter\n"
                        "# HELP swish_model_info Models loaded.\n# TYPE swish_model_info gauge\n"
                        "swish_model_info{system=\"points\",version=\"v2\"} 1\n"
                        "# HELP plain_total p\n# TYPE plain_total counter\nplain_total 0\n");
    sw_free(s);
    sw_prom_free(p);
}
END_TEST

/* A registry with every kind, label escapes, UTF-8 and special values. */
static sw_prom *every_kind(void)
{
    sw_prom *p = sw_prom_new();
    const double lat_b[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
    const double dur_b[] = {1, 10, 60, 600};
    int req = sw_prom_counter(p, "swish_http_requests_total", "HTTP requests by route and status.", "route,status");
    int lat = sw_prom_histogram(p, "swish_http_request_duration_seconds", "Request latency \\ by route.\nSecond line.",
                                "route", lat_b, 8);
    int pred = sw_prom_counter(p, "swish_predictions_total", "Predictions served.", "system,model_version");
    int runs = sw_prom_counter(p, "swish_slate_runs_total", "Slate runs by result.", "result");
    int dur = sw_prom_histogram(p, "swish_slate_duration_seconds", "Slate run time.", NULL, dur_b, 4);
    int last = sw_prom_gauge(p, "swish_last_good_slate_timestamp_seconds", "Time of the last good slate.", NULL);
    int info = sw_prom_gauge(p, "swish_model_info", "Models loaded (value 1).", "system,version,digest");
    int authf = sw_prom_counter(p, "swish_auth_failures_total", "Authentication failures.", NULL);
    int relf = sw_prom_counter(p, "swish_reload_failures_total", "Failed model reloads.", NULL);
    int odd = sw_prom_gauge(p, "swish_odd_values", "Special values.", "kind");
    ck_assert(req >= 0 && lat >= 0 && pred >= 0 && runs >= 0 && dur >= 0 && last >= 0 && info >= 0 && authf >= 0 &&
              relf >= 0 && odd >= 0);
    const char *routes[] = {"/v1/predict", "/metrics", "/healthz", "we\"ird\\ro\nute"};
    const char *status[] = {"200", "401", "500"};
    for (int i = 0; i < 200; i++) {
        const char *r = routes[i % 4];
        sw_prom_inc_l(p, req, (const char *[]){r, status[i % 3]}, 1);
        sw_prom_observe_l(p, lat, (const char *[]){r}, 0.0007 * (i % 50) * (i % 7));
    }
    sw_prom_inc_l(p, pred, (const char *[]){"points", "2024-03-01T10:00:00Z"}, 1234);
    sw_prom_inc_l(p, pred, (const char *[]){"Dončić", "v2"}, 5);
    sw_prom_inc_l(p, runs, (const char *[]){"ok"}, 3);
    sw_prom_inc_l(p, runs, (const char *[]){"degraded"}, 1);
    sw_prom_observe_l(p, dur, NULL, 12.5);
    sw_prom_observe_l(p, dur, NULL, 0.25);
    sw_prom_observe_l(p, dur, NULL, 7200);
    sw_prom_set_l(p, last, NULL, 1710000000.25);
    sw_prom_set_l(p, info, (const char *[]){"points", "v3", "ab12"}, 1);
    sw_prom_inc_l(p, authf, NULL, 2);
    sw_prom_set_l(p, odd, (const char *[]){"nan"}, NAN);
    sw_prom_set_l(p, odd, (const char *[]){"inf"}, INFINITY);
    sw_prom_set_l(p, odd, (const char *[]){"ninf"}, -INFINITY);
    sw_prom_set_l(p, odd, (const char *[]){"tiny"}, 1e-300);
    sw_prom_set_l(p, odd, (const char *[]){"empty label value"}, -2.5);
    sw_prom_set_l(p, odd, (const char *[]){""}, 1);
    return p;
}

START_TEST(prom_promtool)
{
    char *out = NULL;
    int rc = tu_sh(&out, "command -v promtool");
    ck_assert_msg(rc == 0, "promtool not found (Debian package prometheus): run make deps");
    free(out);
    sw_prom *p = every_kind();
    size_t len;
    char *s = sw_prom_render(p, &len);
    ck_assert_ptr_nonnull(s);
    const char *path = tu_write("metrics.txt", s, len);
    rc = tu_sh(&out, "promtool check metrics < '%s'", path);
    ck_assert_msg(rc == 0, "promtool check metrics: exit %d\n%s\n--- text:\n%s", rc, out, s);
    free(out);
    /* promtool must also refuse what is wrong, or the check above proves nothing */
    const char *bad = "# TYPE x counter\nx{a=\"b\\\"} 1\n";
    path = tu_write("bad.txt", bad, strlen(bad));
    rc = tu_sh(&out, "promtool check metrics < '%s'", path);
    ck_assert_int_ne(rc, 0);
    free(out);
    sw_free(s);
    sw_prom_free(p);
}
END_TEST

/* ---------------------------------------------------------------- parse back */

/* Check every histogram series of a render: le strictly increasing and ending
 * at +Inf, cumulative counts non-decreasing, +Inf == _count; when `sums` is
 * given, each bucket is observed with one known value per bucket (sums[i] for
 * bucket i) and _sum must equal the sum they imply.  Returns the number of
 * histogram series seen; the total of their counts goes to *total. */
static int check_histograms(const char *text, const double *sums, uint64_t *total)
{
    int series = 0;
    char cur[1024] = "";
    double last_le = -INFINITY, bucket_sum = 0;
    uint64_t last_cum = 0, n_b = 0;
    int in = 0;
    *total = 0;
    for (const char *l = text; *l;) {
        const char *e = strchr(l, '\n');
        ck_assert_ptr_nonnull(e);
        char line[1024];
        size_t n = (size_t)(e - l);
        ck_assert_uint_lt(n, sizeof line);
        memcpy(line, l, n);
        line[n] = 0;
        l = e + 1;
        if (line[0] == '#') continue;
        char *sp = strrchr(line, ' ');
        ck_assert_ptr_nonnull(sp);
        *sp = 0;
        const char *val = sp + 1;
        char *b = strstr(line, "_bucket");
        if (b) {
            char *le = strstr(line, "le=\"");
            ck_assert_ptr_nonnull(le);
            double lev = strcmp(le + 4, "+Inf\"}") == 0 ? INFINITY : strtod(le + 4, NULL);
            *le = 0; /* the series without le */
            uint64_t cum = strtoull(val, NULL, 10);
            if (!in || strcmp(cur, line) != 0) {
                ck_assert_msg(!in, "series %s ended without _count", cur);
                snprintf(cur, sizeof cur, "%s", line);
                in = 1;
                last_le = -INFINITY;
                last_cum = 0;
                bucket_sum = 0;
                n_b = 0;
                series++;
            }
            ck_assert_msg(lev > last_le, "le not increasing in %s", cur);
            ck_assert_msg(cum >= last_cum, "bucket counts decrease in %s: %llu after %llu", cur,
                          (unsigned long long)cum, (unsigned long long)last_cum);
            if (sums) bucket_sum += sums[n_b] * (double)(cum - last_cum);
            n_b++;
            last_le = lev;
            last_cum = cum;
        } else if (in && strstr(line, "_sum")) {
            ck_assert_msg(last_le == INFINITY, "no +Inf bucket in %s", cur);
            if (sums) ck_assert_msg(strtod(val, NULL) == bucket_sum, "_sum %s != %g in %s", val, bucket_sum, cur);
        } else if (in && strstr(line, "_count")) {
            uint64_t count = strtoull(val, NULL, 10);
            ck_assert_msg(count == last_cum, "+Inf %llu != _count %llu in %s", (unsigned long long)last_cum,
                          (unsigned long long)count, cur);
            *total += count;
            in = 0;
        }
    }
    ck_assert(!in);
    return series;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

START_TEST(prom_random_invariants)
{
    sw_prom *p = sw_prom_new();
    const double b[] = {-1, 0, 0.5, 1, 2, 10, 100};
    int h = sw_prom_histogram(p, "h_seconds", "h", "k", b, 7);
    uint64_t want[8][8] = {{0}};
    uint64_t n_total = 0;
    for (int i = 0; i < 20000; i++) {
        int k = (int)(rnd() % 8);
        double v;
        switch (rnd() % 4) {
        case 0: v = b[rnd() % 7]; break; /* exactly on a bound */
        case 1: v = ((double)(rnd() % 4000) - 1000) / 10; break;
        case 2: v = ldexp((double)(rnd() % 1000), -(int)(rnd() % 20)); break;
        default: v = (double)(rnd() % 1000000); break;
        }
        char key[16];
        snprintf(key, sizeof key, "c%d", k);
        sw_prom_observe_l(p, h, (const char *[]){key}, v);
        int bi = 0;
        while (bi < 7 && v > b[bi]) bi++;
        want[k][bi]++;
        n_total++;
    }
    char *s = render(p);
    uint64_t total;
    ck_assert_int_eq(check_histograms(s, NULL, &total), 8);
    ck_assert_uint_eq(total, n_total);
    /* and the exact cumulative counts */
    for (int k = 0; k < 8; k++) {
        uint64_t cum = 0;
        for (int i = 0; i <= 7; i++) {
            cum += want[k][i];
            char line[128], le[32];
            if (i < 7) {
                snprintf(le, sizeof le, "%g", b[i]);
            } else {
                snprintf(le, sizeof le, "+Inf");
            }
            snprintf(line, sizeof line, "h_seconds_bucket{k=\"c%d\",le=\"%s\"} %llu\n", k, le, (unsigned long long)cum);
            ck_assert_msg(strstr(s, line), "missing %s", line);
        }
    }
    sw_free(s);
    sw_prom_free(p);
}
END_TEST

/* ---------------------------------------------------------------- threads */

#define N_THREADS 4
#define N_UPDATES 100000

typedef struct {
    sw_prom *p;
    int cnt, gau, his, lab;
    sw_prom_child *c, *g, *h;
    int id;
    _Atomic int *stop;
} worker;

static void *hammer(void *arg)
{
    worker *w = arg;
    char key[16];
    for (int i = 0; i < N_UPDATES; i++) {
        sw_prom_add(w->c, 1);
        sw_prom_add(w->g, (i & 1) ? 2 : -1);
        sw_prom_observe(w->h, (double)(i % 4)); /* buckets 0,1,2,+Inf of {0,1,2} */
        snprintf(key, sizeof key, "k%d", i % 16);
        sw_prom_inc_l(w->p, w->lab, (const char *[]){key}, 0.5);
    }
    return NULL;
}

START_TEST(prom_threads_exact)
{
    sw_prom *p = sw_prom_new();
    const double b[] = {0, 1, 2};
    worker w[N_THREADS];
    int cnt = sw_prom_counter(p, "c_total", "c", NULL);
    int gau = sw_prom_gauge(p, "g", "g", NULL);
    int his = sw_prom_histogram(p, "h", "h", "x", b, 3);
    int lab = sw_prom_counter(p, "l_total", "l", "k");
    pthread_t t[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (worker){p, cnt, gau, his, lab, sw_prom_child_of(p, cnt, NULL), sw_prom_child_of(p, gau, NULL),
                        sw_prom_child_of(p, his, (const char *[]){"one"}), i, NULL};
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) pthread_join(t[i], NULL);
    ck_assert(sw_prom_value(p, cnt, NULL) == N_THREADS * N_UPDATES);
    ck_assert(sw_prom_value(p, gau, NULL) == N_THREADS * (N_UPDATES / 2) * 1.0);
    ck_assert(sw_prom_value(p, his, (const char *[]){"one"}) == N_THREADS * N_UPDATES);
    double sum = 0;
    char key[16];
    for (int k = 0; k < 16; k++) {
        snprintf(key, sizeof key, "k%d", k);
        sum += sw_prom_value(p, lab, (const char *[]){key});
    }
    ck_assert(sum == N_THREADS * N_UPDATES * 0.5);
    char *s = render(p);
    char want[256];
    snprintf(want, sizeof want,
             "h_bucket{x=\"one\",le=\"0\"} %d\nh_bucket{x=\"one\",le=\"1\"} %d\nh_bucket{x=\"one\",le=\"2\"} %d\n"
             "h_bucket{x=\"one\",le=\"+Inf\"} %d\nh_sum{x=\"one\"} %d\nh_count{x=\"one\"} %d\n",
             N_THREADS * N_UPDATES / 4, N_THREADS * N_UPDATES / 2, N_THREADS * N_UPDATES * 3 / 4,
             N_THREADS * N_UPDATES, N_THREADS * N_UPDATES / 4 * 6, N_THREADS * N_UPDATES);
    ck_assert_msg(strstr(s, want), "want\n%s\nin\n%s", want, s);
    sw_free(s);
    sw_prom_free(p);
}
END_TEST

/* Observers run until told to stop; a bucket's observations all have one
 * value (0.5, 1.5, 10), so _sum follows from the buckets. */
static const double obs_val[] = {0.5, 1.5, 10};

static void *observe_until(void *arg)
{
    worker *w = arg;
    char key[16];
    for (uint64_t i = 0; !atomic_load(w->stop); i++) {
        snprintf(key, sizeof key, "s%d", (int)(i % 3));
        sw_prom_observe_l(w->p, w->his, (const char *[]){key}, obs_val[(i + (uint64_t)w->id) % 3]);
        sw_prom_observe(w->h, obs_val[i % 3]);
        if (i % 1024 == 0) sw_prom_reset(w->p, w->gau); /* resets race with renders too */
        sw_prom_set_l(w->p, w->gau, (const char *[]){w->id & 1 ? "a" : "b"}, 1);
    }
    return NULL;
}

START_TEST(prom_render_during_updates)
{
    sw_prom *p = sw_prom_new();
    const double b[] = {1, 2};
    int his = sw_prom_histogram(p, "h", "h", "s", b, 2);
    int info = sw_prom_gauge(p, "info", "i", "v");
    sw_prom_child *fixed = sw_prom_child_of(p, his, (const char *[]){"fixed"});
    _Atomic int stop = 0;
    worker w[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (worker){p, -1, info, his, -1, NULL, NULL, fixed, i, &stop};
        ck_assert_int_eq(pthread_create(&t[i], NULL, observe_until, &w[i]), 0);
    }
    uint64_t prev = 0;
    int renders = 0;
    for (; renders < 400; renders++) {
        char *s = render(p);
        uint64_t total;
        int n = check_histograms(s, obs_val, &total);
        ck_assert(n >= 1 && n <= 4);
        ck_assert_uint_ge(total, prev); /* counts only grow */
        prev = total;
        sw_free(s);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    ck_assert_uint_gt(prev, 0);
    sw_prom_free(p);
}
END_TEST

/* ---------------------------------------------------------------- allocation failures */

START_TEST(prom_alloc_failures)
{
    /* fail each allocation in turn: every call reports it (-1, NULL) and
     * nothing leaks (AddressSanitizer) */
    int reached_ok = 0;
    for (long k = 0; k < 400 && !reached_ok; k++) {
        sw_alloc_fail_after(k);
        sw_prom *p = sw_prom_new();
        char *s = NULL;
        int ok = 0;
        if (p) {
            const double b[] = {1, 2};
            int c = sw_prom_counter(p, "c_total", "c", "a,b");
            int h = sw_prom_histogram(p, "h", "h", "x", b, 2);
            int g = sw_prom_gauge(p, "g", "g", NULL);
            sw_prom_child *ch = c >= 0 ? sw_prom_child_of(p, c, (const char *[]){"1", "2"}) : NULL;
            sw_prom_observe_l(p, h, (const char *[]){"bad \xFF"}, 1);
            sw_prom_add(ch, 1);
            s = sw_prom_render(p, NULL);
            ok = c >= 0 && h >= 0 && g >= 0 && ch && s && !isnan(sw_prom_value(p, h, (const char *[]){"bad \xFF"}));
        }
        sw_alloc_fail_after(-1);
        if (ok) {
            reached_ok = 1;
            ck_assert_ptr_nonnull(strstr(s, "h_count{x=\"bad \xEF\xBF\xBD\"} 1\n"));
        }
        sw_free(s);
        sw_prom_free(p);
    }
    ck_assert(reached_ok);
}
END_TEST

Suite *prom_suite(void)
{
    Suite *s = suite_create("prom");
    TCase *tc = tcase_create("prom");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, prom_exact_text);
    tcase_add_test(tc, prom_values_and_escapes);
    tcase_add_test(tc, prom_invalid_names);
    tcase_add_test(tc, prom_children_and_reset);
    tcase_add_test(tc, prom_promtool);
    tcase_add_test(tc, prom_random_invariants);
    tcase_add_test(tc, prom_threads_exact);
    tcase_add_test(tc, prom_render_during_updates);
    tcase_add_test(tc, prom_alloc_failures);
    suite_add_tcase(s, tc);
    return s;
}
