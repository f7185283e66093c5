/* num: exact decimal <-> binary conversion without locale dependence.
 *
 * Fast path (Clinger): a decimal with at most 19 significant digits whose value
 * m * 10^e has m < 2^53 and |e| <= 22 is converted with one correctly rounded
 * double operation.  For floats the double result is rounded again only when it
 * is not exactly halfway between two floats (then double rounding cannot
 * change the result: the exact value and the double lie on the same side of
 * every float midpoint).  All other inputs use strtod_l/strtof_l in the C locale.
 */
#include "num.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static locale_t g_c_locale;
static pthread_once_t g_c_locale_once = PTHREAD_ONCE_INIT;

static void init_c_locale(void)
{
    g_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static const double pow10_tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Eight ASCII digits at once (the SWAR trick of fast_float). */
static inline int is_8digits(uint64_t v)
{
    return !((((v & 0xF0F0F0F0F0F0F0F0ULL) - 0x3030303030303030ULL) |
              (((v + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) - 0x3030303030303030ULL)));
}

static inline uint32_t parse_8digits(uint64_t v)
{
    const uint64_t mask = 0x000000FF000000FFULL;
    const uint64_t mul1 = 0x000F424000000064ULL; /* 100 + (1000000 << 32) */
    const uint64_t mul2 = 0x0000271000000001ULL; /* 1 + (10000 << 32) */
    v -= 0x3030303030303030ULL;
    v = (v * 10) + (v >> 8);
    v = (((v & mask) * mul1) + (((v >> 16) & mask) * mul2)) >> 32;
    return (uint32_t)v;
}

/* 10^-k rounded: used only for approximations (a multiply is faster than a divide) */
const double sw__neg_pow10[23] = {1e0,   1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,  1e-7,
                                         1e-8,  1e-9,  1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15,
                                         1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22};

static int lower_eq(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return 0;
    }
    return 1;
}

/* Syntax check and decomposition.  Returns 0 if valid.  *special: 0 number,
 * 1 inf, 2 nan.  *fast: the fast path applies, *val gets the double. */
static int scan_number(const char *s, size_t len, int *neg, int *special, int *fast,
                       double *val, double *approx)
{
    size_t i = 0;
    *neg = 0;
    *special = 0;
    *fast = 0;
    if (len == 0) return -1;
    if (s[0] == '+' || s[0] == '-') {
        *neg = s[0] == '-';
        i++;
    }
    if (i < len && ((s[i] | 0x20) == 'i' || (s[i] | 0x20) == 'n')) {
        if (lower_eq(s + i, len - i, "inf") || lower_eq(s + i, len - i, "infinity")) {
            *special = 1;
            return 0;
        }
        if (lower_eq(s + i, len - i, "nan")) {
            *special = 2;
            return 0;
        }
        return -1;
    }
    uint64_t m = 0;
    int ndig = 0;    /* significant digits kept in m (at most 19) */
    int dropped = 0; /* nonzero digits beyond 19 */
    long exp10 = 0;
    int any = 0;
    /* integer part: leading zeros, then digits (8 at a time where possible) */
    while (i < len && s[i] == '0') {
        i++;
        any = 1;
    }
    for (;;) {
        if (ndig + 8 <= 19 && i + 8 <= len) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if (is_8digits(v)) {
                m = m * 100000000u + parse_8digits(v);
                ndig += 8;
                i += 8;
                any = 1;
                continue;
            }
        }
        if (i >= len || s[i] < '0' || s[i] > '9') break;
        any = 1;
        if (ndig < 19) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            ndig++;
        } else {
            exp10++;
            if (s[i] != '0') dropped = 1;
        }
        i++;
    }
    if (i < len && s[i] == '.') {
        i++;
        if (ndig == 0) { /* 0.000ddd: zeros only move the exponent */
            while (i < len && s[i] == '0') {
                i++;
                exp10--;
                any = 1;
            }
        }
        for (;;) {
            if (ndig + 8 <= 19 && i + 8 <= len) {
                uint64_t v;
                memcpy(&v, s + i, 8);
                if (is_8digits(v)) {
                    m = m * 100000000u + parse_8digits(v);
                    ndig += 8;
                    exp10 -= 8;
                    i += 8;
                    any = 1;
                    continue;
                }
            }
            if (i >= len || s[i] < '0' || s[i] > '9') break;
            any = 1;
            if (ndig < 19) {
                m = m * 10 + (uint64_t)(s[i] - '0');
                ndig++;
                exp10--;
            } else if (s[i] != '0') {
                dropped = 1;
            }
            i++;
        }
    }
    if (!any) return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        if (i >= len || s[i] < '0' || s[i] > '9') return -1;
        long e = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (e < 100000) e = e * 10 + (s[i] - '0');
        }
        exp10 += eneg ? -e : e;
    }
    if (i != len) return -1;
    /* within ~3 double ulps of the decimal: enough to round to float32 safely
     * when not near a float midpoint (see sw_parse_f32) */
    *approx = NAN;
    if (m && exp10 >= -22 && exp10 <= 22 && (dropped || m >= ((uint64_t)1 << 53)))
        *approx = exp10 >= 0 ? (double)m * pow10_tab[exp10] : (double)m * sw__neg_pow10[-exp10];
    if (!dropped && m < ((uint64_t)1 << 53)) {
        if (m == 0) {
            *fast = 1;
            *val = 0.0;
        } else if (exp10 >= 0 && exp10 <= 22) {
            *fast = 1;
            *val = (double)m * pow10_tab[exp10];
        } else if (exp10 < 0 && exp10 >= -22) {
            *fast = 1;
            *val = (double)m / pow10_tab[-exp10];
        }
    }
    return 0;
}

static int slow_parse(const char *s, size_t len, int as_float, double *dout, float *fout)
{
    char small[128];
    char *buf = small;
    if (len >= sizeof small) {
        buf = malloc(len + 1);
        if (!buf) return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    pthread_once(&g_c_locale_once, init_c_locale);
    char *end = NULL;
    if (as_float) {
        *fout = g_c_locale ? strtof_l(buf, &end, g_c_locale) : strtof(buf, &end);
    } else {
        *dout = g_c_locale ? strtod_l(buf, &end, g_c_locale) : strtod(buf, &end);
    }
    int ok = end == buf + len;
    if (buf != small) free(buf);
    return ok ? 0 : -1;
}

int sw_parse_f64(const char *s, size_t len, double *out)
{
    int neg, special, fast;
    double v = 0, approx;
    if (scan_number(s, len, &neg, &special, &fast, &v, &approx) != 0) return -1;
    if (special == 1) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (special == 2) {
        *out = NAN;
        return 0;
    }
    if (fast) {
        *out = neg ? -v : v;
        return 0;
    }
    return slow_parse(s, len, 0, out, NULL);
}

/* The fast path's float: v (the correctly rounded double of the text s) to
 * float, unless v is a float midpoint (then the text decides). */
static int f32_of_fast(double v, int neg, const char *s, size_t len, float *out)
{
    /* a double lies exactly halfway between two normal floats iff its 29
     * mantissa bits below float precision are 1000...0 */
    double a = fabs(v);
    if (a >= 0x1p-125 && a < 0x1p127) {
        uint64_t u;
        memcpy(&u, &v, 8);
        if ((u & ((1ULL << 29) - 1)) == (1ULL << 28)) return slow_parse(s, len, 1, NULL, out);
    } else if (v != 0.0) {
        float f = (float)v;
        if ((double)f != v && isfinite(f)) {
            float g = nextafterf(f, v > (double)f ? INFINITY : -INFINITY);
            double mid = ((double)f + (double)g) * 0.5;
            if (isfinite(g) && mid == v) return slow_parse(s, len, 1, NULL, out);
        }
    }
    float f = (float)v;
    *out = neg ? -f : f;
    return 0;
}

int sw_parse_f32_digits(uint64_t m, int exp10, int neg, const char *s, size_t len, float *out)
{
    double v = m == 0 ? 0.0 : exp10 >= 0 ? (double)m * pow10_tab[exp10] : (double)m / pow10_tab[-exp10];
    return f32_of_fast(v, neg, s, len, out);
}

int sw_parse_f32(const char *s, size_t len, float *out)
{
    int neg, special, fast;
    double v = 0, approx;
    if (scan_number(s, len, &neg, &special, &fast, &v, &approx) != 0) return -1;
    if (special == 1) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (special == 2) {
        *out = NAN;
        return 0;
    }
    if (fast) return f32_of_fast(v, neg, s, len, out);
    /* long mantissas (17-digit float reprs): the approximation is within 4
     * double ulps of the decimal; unless that is within 16 ulps of a float
     * midpoint, it rounds to the same float as the exact value */
    double a = fabs(approx);
    if (a >= 0x1p-125 && a < 0x1p127) {
        uint64_t u;
        memcpy(&u, &approx, 8);
        int64_t low = (int64_t)(u & ((1ULL << 29) - 1)) - (int64_t)(1ULL << 28);
        if (low > 16 || low < -16) {
            float f = (float)approx;
            *out = neg ? -f : f;
            return 0;
        }
    }
    return slow_parse(s, len, 1, NULL, out);
}

int sw_parse_i64(const char *s, size_t len, long long *out)
{
    size_t i = 0;
    int neg = 0;
    if (len == 0) return -1;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i++;
    }
    if (i == len) return -1;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (9223372036854775808ULL - d) / 10) return -1;
        v = v * 10 + d;
    }
    if (!neg && v > 9223372036854775807ULL) return -1;
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

int sw_is_missing_token(const char *s, size_t len)
{
    if (len == 0) return 1;
    switch (len) {
    case 2: return memcmp(s, "NA", 2) == 0;
    case 3:
        return memcmp(s, "nan", 3) == 0 || memcmp(s, "NaN", 3) == 0 ||
               memcmp(s, "NAN", 3) == 0 || memcmp(s, "N/A", 3) == 0;
    case 4: return memcmp(s, "null", 4) == 0;
    default: return 0;
    }
}

static int format_special(char *buf, double v)
{
    if (isnan(v)) return snprintf(buf, SW_NUM_BUF, "nan");
    return snprintf(buf, SW_NUM_BUF, v < 0 ? "-inf" : "inf");
}

void *sw_locale_c_enter(void)
{
    pthread_once(&g_c_locale_once, init_c_locale);
    return g_c_locale ? (void *)uselocale(g_c_locale) : NULL;
}

void sw_locale_c_leave(void *old)
{
    if (old) uselocale((locale_t)old);
}

/* printf's decimal point follows LC_NUMERIC: format in the C locale, per thread. */
static int format_c(char *buf, const char *fmt, double v)
{
    pthread_once(&g_c_locale_once, init_c_locale);
    locale_t old = g_c_locale ? uselocale(g_c_locale) : (locale_t)0;
    int n = snprintf(buf, SW_NUM_BUF, fmt, v);
    if (old) uselocale(old);
    return n;
}

int sw_format_f64(char *buf, double v)
{
    if (!isfinite(v)) return format_special(buf, v);
    return format_c(buf, "%.17g", v);
}

/* ---- shortest round trip ------------------------------------------------
 * For p = 1, 2, ... digits: the value correctly rounded to p significant
 * digits (printf's %.*e in the C locale) is the p-digit decimal nearest to v;
 * if it does not read back to v, the only other p-digit decimal that can is
 * its neighbour on the other side of v (the rounding interval of v is
 * asymmetric at powers of two).  The first p with a decimal that reads back
 * gives the shortest text, and the nearest of that length. */

/* |v| rounded to p digits: mantissa m (p digits) and exponent x (v ~ m.mmm e x). */
static void digits_at(double a, int p, unsigned long long *m, int *x)
{
    char b[48];
    pthread_once(&g_c_locale_once, init_c_locale);
    locale_t old = g_c_locale ? uselocale(g_c_locale) : (locale_t)0;
    snprintf(b, sizeof b, "%.*e", p - 1, a);
    if (old) uselocale(old);
    unsigned long long mm = 0;
    const char *s = b;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9') mm = mm * 10 + (unsigned)(*s - '0');
    *m = mm;
    *x = *s == 'e' ? atoi(s + 1) : 0;
}

/* A positive float's first 19 significant digits, exactly: T (10^18 <= T <
 * 10^19), whether any nonzero digit follows (sticky) and the decimal
 * exponent x of its first digit.  0 when the float is out of the range done
 * in 128-bit integers (below 2^-20 or from 2^104 on). */
struct digits19 {
    uint64_t T;
    int sticky, x;
};

static unsigned __int128 g_pow5[45], g_pow10[40];
static pthread_once_t g_pow_once = PTHREAD_ONCE_INIT;

static void init_pow(void)
{
    g_pow5[0] = g_pow10[0] = 1;
    for (int k = 1; k < 45; k++) g_pow5[k] = g_pow5[k - 1] * 5;
    for (int k = 1; k < 40; k++) g_pow10[k] = g_pow10[k - 1] * 10;
}

static int f32_digits19(float a, struct digits19 *d)
{
    int e2;
    float fr = frexpf(a, &e2);
    uint32_t M = (uint32_t)ldexpf(fr, 24); /* a = M x 2^E exactly */
    int E = e2 - 24, e10 = 0;
    if (E > 103 || E < -44) return 0; /* M x 5^44 < 2^127 */
    pthread_once(&g_pow_once, init_pow);
    unsigned __int128 N = M;
    if (E >= 0) {
        N <<= E;
    } else {
        N *= g_pow5[-E];
        e10 = E; /* a = M x 5^-E x 10^E */
    }
    /* digits of N: from its bit length (x log10 2), then one compare */
    uint64_t hi = (uint64_t)(N >> 64);
    int bits = hi ? 128 - __builtin_clzll(hi) : 64 - __builtin_clzll((uint64_t)N);
    int D = (bits * 1233) >> 12;
    if (N >= g_pow10[D]) D++;
    if (D > 19) {
        unsigned __int128 div = g_pow10[D - 19];
        d->T = (uint64_t)(N / div);
        d->sticky = N % div != 0;
    } else {
        d->T = (uint64_t)N * (uint64_t)g_pow10[19 - D];
        d->sticky = 0;
    }
    d->x = D - 1 + e10;
    return 1;
}

/* digits_at from the 19 exact digits: rounded to p, ties to even (as printf). */
static void digits_at19(const struct digits19 *d, int p, unsigned long long *m, int *x)
{
    static const uint64_t p10[20] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
                                     100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
                                     1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
                                     1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
                                     1000000000000000000ULL, 10000000000000000000ULL};
    uint64_t q = d->T / p10[19 - p], r = d->T % p10[19 - p], half = 5 * p10[18 - p];
    int up = r > half || (r == half && (d->sticky || (q & 1)));
    *x = d->x;
    if (up && ++q == p10[p]) {
        q = p10[p - 1];
        (*x)++;
    }
    *m = q;
}

/* Text of (-)m.mmm e x, trailing zeros dropped, plain for -4 <= x < hi (as
 * printf's %g with precision hi; the shortest texts use 16). */
static int digits_text(char *buf, int neg, unsigned long long m, int p, int x, int hi)
{
    char d[24];
    int k = p;
    for (int i = p - 1; i >= 0; i--, m /= 10) d[i] = (char)('0' + m % 10);
    while (k > 1 && d[k - 1] == '0') k--;
    int n = 0;
    if (neg) buf[n++] = '-';
    if (x >= -4 && x < hi) {
        if (x < 0) {
            buf[n++] = '0';
            buf[n++] = '.';
            for (int i = 0; i < -x - 1; i++) buf[n++] = '0';
            for (int i = 0; i < k; i++) buf[n++] = d[i];
        } else {
            for (int i = 0; i <= x; i++) buf[n++] = i < k ? d[i] : '0';
            if (k > x + 1) {
                buf[n++] = '.';
                for (int i = x + 1; i < k; i++) buf[n++] = d[i];
            }
        }
        buf[n] = '\0';
        return n;
    }
    buf[n++] = d[0];
    if (k > 1) {
        buf[n++] = '.';
        for (int i = 1; i < k; i++) buf[n++] = d[i];
    }
    int ax = x < 0 ? -x : x;
    buf[n++] = 'e';
    buf[n++] = x < 0 ? '-' : '+';
    if (ax >= 100) buf[n++] = (char)('0' + ax / 100);
    buf[n++] = (char)('0' + ax / 10 % 10);
    buf[n++] = (char)('0' + ax % 10);
    buf[n] = '\0';
    return n;
}

int sw_format_f32(char *buf, float v)
{
    if (!isfinite(v)) return format_special(buf, v);
    struct digits19 d;
    if (v == 0) return (int)(stpcpy(buf, signbit(v) ? "-0" : "0") - buf);
    if (f32_digits19(fabsf(v), &d)) { /* %.9g without printf */
        unsigned long long m;
        int x;
        digits_at19(&d, 9, &m, &x);
        return digits_text(buf, signbit(v) != 0, m, 9, x, 9);
    }
    return format_c(buf, "%.9g", (double)v);
}

static int reads_back(const char *buf, int n, double v, int f32)
{
    if (f32) {
        float f, want = (float)v;
        return sw_parse_f32(buf, (size_t)n, &f) == 0 && memcmp(&f, &want, sizeof f) == 0;
    }
    double d;
    return sw_parse_f64(buf, (size_t)n, &d) == 0 && memcmp(&d, &v, sizeof d) == 0;
}

static int format_short(char *buf, double v, int f32)
{
    if (!isfinite(v)) return format_special(buf, v);
    int neg = signbit(v) != 0;
    double a = fabs(v);
    if (a == 0) return snprintf(buf, SW_NUM_BUF, neg ? "-0" : "0");
    int maxp = f32 ? 9 : 17;
    static const unsigned long long pow10u[18] = {1ULL,
                                                  10ULL,
                                                  100ULL,
                                                  1000ULL,
                                                  10000ULL,
                                                  100000ULL,
                                                  1000000ULL,
                                                  10000000ULL,
                                                  100000000ULL,
                                                  1000000000ULL,
                                                  10000000000ULL,
                                                  100000000000ULL,
                                                  1000000000000ULL,
                                                  10000000000000ULL,
                                                  100000000000000ULL,
                                                  1000000000000000ULL,
                                                  10000000000000000ULL,
                                                  100000000000000000ULL};
    struct digits19 d19;
    int exact = f32 && f32_digits19((float)a, &d19); /* floats: no printf */
    for (int p = 1; p <= maxp; p++) {
        unsigned long long m;
        int x;
        if (exact) digits_at19(&d19, p, &m, &x);
        else digits_at(a, p, &m, &x);
        int n = digits_text(buf, neg, m, p, x, 16);
        if (reads_back(buf, n, v, f32)) return n;
        /* the neighbour on the other side of v */
        double d;
        if (sw_parse_f64(buf + neg, (size_t)(n - neg), &d) != 0 || d == a) continue;
        if (d < a) {
            if (++m == pow10u[p]) {
                m = pow10u[p - 1];
                x++;
            }
        } else {
            if (--m < pow10u[p - 1]) {
                m = pow10u[p] - 1;
                x--;
            }
        }
        n = digits_text(buf, neg, m, p, x, 16);
        if (reads_back(buf, n, v, f32)) return n;
    }
    return f32 ? sw_format_f32(buf, (float)v) : sw_format_f64(buf, v); /* not reached */
}

int sw_format_f32_short(char *buf, float v) { return format_short(buf, (double)v, 1); }

int sw_format_f64_short(char *buf, double v) { return format_short(buf, v, 0); }
