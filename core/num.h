/* num: exact, locale-independent number parsing and round-trip formatting.
 *
 * Parsing is correctly rounded (the float or double nearest the decimal text,
 * ties to even), whatever the process locale: a fast exact path handles the
 * common short numbers and everything else goes to strtod_l/strtof_l with the
 * "C" locale.  Float parsing never rounds twice (text -> double -> float can
 * differ from text -> float; that case is detected and done directly).
 *
 * Accepted syntax: [+-] digits [. digits] [(e|E) [+-] digits], also ".5" and "5.",
 * and case-insensitive "inf", "infinity", "nan".  No spaces, no hex.
 * Formatting: floats with %.9g and doubles with %.17g, which round-trip; the
 * _short variants print the shortest text that reads back to the same value.
 * Thread-safety: all functions are reentrant.
 */
#ifndef SW_NUM_H
#define SW_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Return 0 on success, -1 if [s, s+len) is not exactly one number. */
int sw_parse_f64(const char *s, size_t len, double *out);
int sw_parse_f32(const char *s, size_t len, float *out);
/* sw_parse_f32 of a text already read as m x 10^exp10 (m < 2^53, at most 19
 * digits, -22 <= exp10 <= 22, sign neg): the same float; s/len are the text
 * itself, read again only when the value is a float midpoint. */
int sw_parse_f32_digits(uint64_t m, int exp10, int neg, const char *s, size_t len, float *out);

extern const double sw__neg_pow10[23]; /* 10^-k rounded to double */

/* sw_parse_f32_digits for m < 10^15 and -22 <= exp10 <= 0, inline and
 * without a division: m x 10^exp10 by a multiplication is within 3 double
 * ulps of the decimal (and a normal float's magnitude, 1e-22 to 1e15), so
 * unless it lies within 16 ulps of a float midpoint it rounds to the same
 * float as the decimal; otherwise the exact path decides. */
static inline int sw_parse_f32_decimal(uint64_t m, int exp10, int neg, const char *s, size_t len, float *out)
{
    if (m == 0) {
        *out = neg ? -0.0f : 0.0f;
        return 0;
    }
    union {
        double d;
        uint64_t u;
    } b = {(double)m * sw__neg_pow10[-exp10]};
    int64_t low = (int64_t)(b.u & ((1ULL << 29) - 1)) - (int64_t)(1ULL << 28);
    if (low > 16 || low < -16) {
        float f = (float)b.d;
        *out = neg ? -f : f;
        return 0;
    }
    return sw_parse_f32_digits(m, exp10, neg, s, len, out);
}
/* Integers: optional sign and decimal digits; -1 on overflow too. */
int sw_parse_i64(const char *s, size_t len, long long *out);

/* True for the missing-value tokens of swish's CSVs: "", "nan", "NaN", "NA",
 * "NAN", "N/A", "null". */
int sw_is_missing_token(const char *s, size_t len);

/* Round-trip text; buf must hold SW_NUM_BUF bytes.  NaN prints as "nan",
 * infinities as "inf"/"-inf".  Returns the length. */
#define SW_NUM_BUF 32
int sw_format_f32(char *buf, float v);
int sw_format_f64(char *buf, double v);

/* The shortest decimal that reads back (correctly rounded) to exactly v, the
 * nearest to v among those of that length: 0.1, 0.55, 100, 1e-07, 5e-324,
 * 3.4028235e+38 (FLT_MAX as a float).  Plain notation for decimal exponents
 * -4..15, otherwise d.ddde[+-]XX; "-0", "nan", "inf", "-inf".  For text meant
 * for people (configuration, explanations, summaries); a little slower than
 * sw_format_f32/f64 (up to 9 or 17 trial conversions). */
int sw_format_f32_short(char *buf, float v);
int sw_format_f64_short(char *buf, double v);

/* printf's decimal point follows LC_NUMERIC, which a program using swish as a
 * library may have set to a decimal-comma locale.  Code that writes
 * machine-readable text (JSON, SVG, CSV) with printf formats runs between
 * these two on its own thread in the C locale:
 *     void *old = sw_locale_c_enter(); ...; sw_locale_c_leave(old); */
void *sw_locale_c_enter(void);
void sw_locale_c_leave(void *old);

#endif
