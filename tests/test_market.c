/* test_market: the forecast anchored on the market and the calibrated P(over)
 * (pipeline/market.h), and the stack file that carries them.
 *
 * Oracles: normal probabilities by hand (Phi values from tables), fits on
 * synthetic rows whose truth is known (the model carries no information
 * beyond the line, or half of it), the defaults below the row minimums, and
 * the stack JSON written and read back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "pipeline/market.h"
#include "pipeline/stack.h"
#include "testutil.h"

/* A deterministic standard normal (Box-Muller on a 64-bit LCG). */
static unsigned long long g_rng = 88172645463325252ULL;
static double unif(void)
{
    g_rng = g_rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((g_rng >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif()); }

START_TEST(median_and_probability_by_hand)
{
    /* a half line: the median whose P(over) is 0.6 with spread 5 is 20.5 + 5 z(0.6), z(0.6) = 0.2533471 */
    ck_assert_double_eq_tol(sw_market_median(20.5, 0.6, 5), 20.5 + 5 * 0.2533471, 1e-6);
    ck_assert_double_eq_tol(sw_market_median(20.5, 0.5, 5), 20.5, 1e-9);
    ck_assert_double_eq_tol(sw_prob_over_decided(20.5 + 5 * 0.2533471, 5, 20.5), 0.6, 1e-7);
    /* an integer line: over needs 21, under 19; a median of 20 is even */
    ck_assert_double_eq_tol(sw_prob_over_decided(20, 5, 20), 0.5, 1e-12);
    /* median 22, spread 4, line 20: P(>= 20.5) = Phi(0.375) = 0.6461698, P(<= 19.5) = Phi(-0.625) = 0.2659855 */
    ck_assert_double_eq_tol(sw_prob_over_decided(22, 4, 20), 0.6461698 / (0.6461698 + 0.2659855), 1e-6);
    ck_assert_double_eq_tol(sw_market_median(20, 0.6461698 / (0.6461698 + 0.2659855), 4), 22, 1e-5);
    /* without prices the market's median is the line; without a line there is none */
    ck_assert(sw_market_median(18.5, NAN, 5) == 18.5);
    ck_assert(isnan(sw_market_median(NAN, 0.5, 5)));
    ck_assert(isnan(sw_prob_over_decided(20, 0, 20)));
}
END_TEST

START_TEST(defaults_are_the_market)
{
    sw_market mk;
    sw_market_init(&mk);
    ck_assert(!mk.fitted_w && !mk.fitted_p);
    /* the forecast is the market's median, P(over) the market's own */
    ck_assert_double_eq_tol(sw_market_pred(&mk, 30, 5, 20.5, 0.6), sw_market_median(20.5, 0.6, 5), 1e-12);
    ck_assert_double_eq_tol(sw_market_prob_over(&mk, 30, 5, 20.5, 0.6), 0.6, 1e-12);
    ck_assert(sw_market_prob_over(&mk, 30, 5, 20.5, NAN) == 0.5);
    ck_assert(sw_market_pred(&mk, 30, 5, NAN, NAN) == 30); /* no line: the model */
    ck_assert(isnan(sw_market_prob_over(&mk, 30, 5, NAN, 0.5)));
    ck_assert(isnan(sw_market_pred(&mk, NAN, 5, 20.5, 0.5)));

    /* too few rows: still the defaults, the counts recorded */
    enum { N = 60 };
    double m[N], s[N], y[N], l[N], p[N];
    for (int i = 0; i < N; i++) {
        l[i] = 10.5 + i % 20;
        m[i] = l[i] + 3;
        s[i] = 5;
        y[i] = l[i] + 3 + (i % 2 ? 1 : -1);
        p[i] = 0.5;
    }
    sw_market_fit(&mk, m, s, y, l, p, N, 1000, 100);
    ck_assert(!mk.fitted_w && !mk.fitted_p);
    ck_assert_int_eq(mk.rows, N);
    ck_assert_int_eq(mk.rows_line, N);
    ck_assert(mk.shift == 0); /* under 100 rows: no shift either */
    ck_assert(mk.w == 0);
}
END_TEST

/* Rows where the points are line + a share of the model's disagreement + noise. */
static void synth(long n, double share, double *m, double *s, double *y, double *l, double *p)
{
    for (long i = 0; i < n; i++) {
        l[i] = 8.5 + (double)(i % 21);
        double d = 3 * gauss();          /* the model's disagreement with the line */
        m[i] = l[i] + d + 1.0;           /* a mean model: 1 point above the median */
        s[i] = 5;
        y[i] = round(l[i] + share * d + 4 * gauss());
        p[i] = 0.5;
        if (i % 3 == 0) l[i] = NAN; /* a third without a line */
    }
}

/* synth into b (5 x n: m, sigma, y, line, p_market) and fit with the default settings. */
static void synth_fit(long n, double share, double *b, sw_market *mk)
{
    synth(n, share, b, b + n, b + 2 * n, b + 3 * n, b + 4 * n);
    sw_market_fit(mk, b, b + n, b + 2 * n, b + 3 * n, b + 4 * n, n, 1000, 100);
}

START_TEST(fit_no_information_keeps_the_line)
{
    enum { N = 6000 };
    double *b = sw_alloc_array(5 * N, sizeof *b);
    sw_market mk;
    synth_fit(N, 0, b, &mk);
    ck_assert(mk.fitted_w && mk.fitted_p);
    ck_assert_int_eq(mk.rows, N);
    ck_assert_int_eq(mk.rows_line, N - N / 3);
    ck_assert_double_eq_tol(mk.shift, 1.0, 0.25);         /* the mean model's lean, measured */
    ck_assert_msg(mk.w < 0.05, "w %g where the model knows nothing", mk.w);
    ck_assert_msg(fabs(mk.c) < 0.15 && fabs(mk.b - 1) < 0.05 && fabs(mk.a) < 0.1, "a %g b %g c %g", mk.a, mk.b,
                  mk.c);
    /* the prediction stays within a few hundredths of the line */
    ck_assert_double_eq_tol(sw_market_pred(&mk, 26.5, 5, 20.5, 0.5), 20.5, 0.3);
    sw_free(b);
}
END_TEST

START_TEST(fit_finds_half_the_disagreement)
{
    enum { N = 6000 };
    double *b = sw_alloc_array(5 * N, sizeof *b);
    double *m = b, *s = b + N, *y = b + 2 * N, *l = b + 3 * N, *p = b + 4 * N;
    sw_market mk;
    synth_fit(N, 0.5, b, &mk);
    ck_assert(mk.fitted_w && mk.fitted_p);
    /* w = 0.5 x 4000 / (4000 + 1000) = 0.4, within the grid and the noise */
    ck_assert_msg(fabs(mk.w - 0.4) < 0.08, "w %g", mk.w);
    ck_assert_msg(mk.c > 0.3, "c %g: the model's probability carries information", mk.c);
    double up = sw_market_prob_over(&mk, 20.5 + 1 + 4, 5, 20.5, 0.5),
           down = sw_market_prob_over(&mk, 20.5 + 1 - 4, 5, 20.5, 0.5);
    ck_assert_msg(up > 0.55 && down < 0.45, "P(over) %g and %g", up, down);
    /* the anchor: line + w (m - shift - line - bias) */
    ck_assert_double_eq_tol(sw_market_pred(&mk, 30, 5, 20.5, 0.5), 20.5 + mk.w * (30 - mk.shift - 20.5 - mk.bias),
                            1e-9);
    /* the shrinkage: more rows, a larger share kept */
    sw_market mk2;
    sw_market_fit(&mk2, m, s, y, l, p, N, 100000, 100);
    ck_assert_msg(mk2.w < mk.w / 5, "w %g with a heavy shrink vs %g", mk2.w, mk.w);
    sw_free(b);
}
END_TEST

START_TEST(stack_file_carries_the_market)
{
    enum { N = 400 };
    double P[N * 2], y[N];
    float sd[N];
    for (int i = 0; i < N; i++) {
        P[2 * i] = 10 + i % 17;
        P[2 * i + 1] = 12 + (i * 7) % 13;
        y[i] = 0.6 * P[2 * i] + 0.3 * P[2 * i + 1] + (i % 5) - 2;
        sd[i] = 4 + i % 3;
    }
    int ids[2] = {SW_SYS_MOVING_AVERAGE, SW_SYS_GBDT};
    sw_stack st, back;
    sw_error err;
    ck_assert_int_eq(sw_stack_fit(P, y, sd, N, 2, ids, 1.0, &st, &err), SW_OK);
    ck_assert(!st.mk.fitted_w && st.mk.b == 1); /* a fresh stack: the market's defaults */
    st.mk.fitted_w = st.mk.fitted_p = 1;
    st.mk.rows = 5000;
    st.mk.rows_line = 1800;
    st.mk.rows_prob = 1700;
    st.mk.shift = 0.61;
    st.mk.bias = -0.2;
    st.mk.w = 0.125;
    st.mk.a = 0.01;
    st.mk.b = 0.97;
    st.mk.c = 0.05;
    char *js;
    size_t len;
    ck_assert_int_eq(sw_stack_to_json(&st, &js, &len, &err), SW_OK);
    ck_assert_int_eq(sw_stack_from_json("stack.json", js, len, &back, &err), SW_OK);
    ck_assert(back.mk.fitted_w && back.mk.fitted_p);
    ck_assert_int_eq(back.mk.rows_line, 1800);
    ck_assert(back.mk.shift == 0.61 && back.mk.bias == -0.2 && back.mk.w == 0.125 && back.mk.a == 0.01 &&
              back.mk.b == 0.97 && back.mk.c == 0.05 && back.mk.shrink_rows == 1000 && back.mk.prior == 100);
    /* a stack written before the market part: the defaults */
    char *mk = strstr(js, "\"market\"");
    ck_assert_ptr_nonnull(mk);
    char *end = strchr(mk, '}');
    memmove(mk, end + 2, strlen(end + 2) + 1); /* drop `"market": {...},` */
    ck_assert_int_eq(sw_stack_from_json("old.json", js, strlen(js), &back, &err), SW_OK);
    ck_assert(!back.mk.fitted_w && !back.mk.fitted_p && back.mk.b == 1 && back.mk.w == 0);
    sw_free(js);
    /* a non-finite figure is refused, naming it */
    ck_assert_int_eq(sw_stack_to_json(&st, &js, &len, &err), SW_OK);
    char *w = strstr(js, "\"w\": 0.125");
    ck_assert_ptr_nonnull(w);
    char bad[8192];
    snprintf(bad, sizeof bad, "%.*s\"w\": 1e999%s", (int)(w - js), js, w + strlen("\"w\": 0.125"));
    ck_assert_int_eq(sw_stack_from_json("bad.json", bad, strlen(bad), &back, &err), SW_FORMAT);
    ck_assert_msg(strstr(err.msg, "market.w"), "%s", err.msg);
    sw_free(js);
}
END_TEST

/* The spread grows with the expected points: points = m + noise of sd 0.5 + 0.2 m, the
 * player's volatility unrelated; the fitted sigma follows the truth. */
START_TEST(spread_grows_with_the_prediction)
{
    enum { N = 20000 };
    double *P = sw_alloc_array(2 * N, sizeof *P), *y = sw_alloc_array(N, sizeof *y);
    float *sd = sw_alloc_array(N, sizeof *sd);
    for (int i = 0; i < N; i++) {
        double m = 4 + 32 * unif();
        P[2 * i] = m + 0.5 * gauss();
        P[2 * i + 1] = m + 0.5 * gauss();
        y[i] = m + (0.5 + 0.2 * m) * gauss();
        sd[i] = (float)(3 + 6 * unif());
    }
    int ids[2] = {SW_SYS_MOVING_AVERAGE, SW_SYS_GBDT};
    sw_stack st;
    sw_error err;
    ck_assert_int_eq(sw_stack_fit(P, y, sd, N, 2, ids, 1.0, &st, &err), SW_OK);
    double by[SW_SYS_COUNT];
    for (int k = 0; k < SW_SYS_COUNT; k++) by[k] = NAN;
    for (double m = 10; m <= 30; m += 10) {
        by[SW_SYS_MOVING_AVERAGE] = by[SW_SYS_GBDT] = m;
        double sig;
        double pred = sw_stack_predict(&st, by, 6.0f, &sig, NULL);
        /* the residual's sd also holds the inputs' noise the stack cannot remove (about 0.35) */
        double want = sqrt(pow(0.5 + 0.2 * pred, 2) + 0.35 * 0.35);
        ck_assert_msg(fabs(sig - want) < 0.1 * want, "sigma %g at %g, want about %g", sig, pred, want);
    }
    ck_assert_msg(fabs(st.sigma_b) < 0.05, "sigma_b %g: the volatility carries nothing here", st.sigma_b);
    sw_free(P);
    sw_free(y);
    sw_free(sd);
}
END_TEST

Suite *market_suite(void)
{
    Suite *s = suite_create("market");
    TCase *tc = tcase_create("units");
    tcase_add_test(tc, median_and_probability_by_hand);
    tcase_add_test(tc, defaults_are_the_market);
    tcase_add_test(tc, fit_no_information_keeps_the_line);
    tcase_add_test(tc, fit_finds_half_the_disagreement);
    tcase_add_test(tc, stack_file_carries_the_market);
    tcase_add_test(tc, spread_grows_with_the_prediction);
    suite_add_tcase(s, tc);
    return s;
}
