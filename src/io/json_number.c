/* SPDX-License-Identifier: MIT */
/*
 * The strict JSON check's numbers (json_impl.h): RFC 8259's number grammar,
 * and an exact test of whether a number rounds to infinity, by comparing
 * its digits with the decimal expansion of the rounding threshold.
 */
#include <stddef.h>

#include "json_impl.h"

/* 2^1024 - 2^970, halfway between DBL_MAX and 2^1024, is 0.T x 10^309 with
 * these 309 digits T. strtod rounds to nearest with ties to even, and
 * DBL_MAX's significand is odd, so a decimal at or above it becomes
 * infinity and one below it a finite double. */
static const char overflow_digits[] =
    "17976931348623158079372897140530341507993413271003782693617377898044496829276475094664901797"
    "75872070963302864166928879109465555478519404026306574886715058206819089020007083836762738548"
    "45817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711"
    "559699508093042880177904174497792";
#define OVERFLOW_EXP10 309
_Static_assert(sizeof overflow_digits == OVERFLOW_EXP10 + 1, "309 digits and a NUL");

/* Exponents and digit counts are saturated here; the overflow test stays
 * exact for every text shorter than 10^15 bytes. */
#define SATURATE 1000000000000000LL

static long long saturate(size_t v)
{
    return v > (size_t)SATURATE ? SATURATE : (long long)v;
}

/* Does int_digits . frac_digits x 10^e (s[i0..i1), s[f0..f1)) round to
 * infinity? Exact: the leading zeros are skipped, the decimal exponent of
 * the first significant digit decides, and at 10^309 the digits are
 * compared with overflow_digits. */
static int overflows(const unsigned char *s, size_t i0, size_t i1, size_t f0, size_t f1,
                     long long e)
{
    size_t k = i0, end = i1;
    int in_int = 1;
    long long x;

    while (k < i1 && s[k] == '0')
        k++;
    if (k < i1) {
        x = saturate(i1 - k) + e; /* 0.d1d2... x 10^x */
    } else {
        k = f0;
        while (k < f1 && s[k] == '0')
            k++;
        if (k >= f1)
            return 0; /* zero */
        x = e - saturate(k - f0);
        in_int = 0;
        end = f1;
    }
    if (x != OVERFLOW_EXP10)
        return x > OVERFLOW_EXP10;
    for (size_t j = 0; j + 1 < sizeof overflow_digits; j++) {
        if (k == end) {
            if (!in_int || f1 == f0)
                return 0; /* a prefix of the threshold, which ends in a nonzero digit */
            in_int = 0;
            k = f0;
            end = f1;
        }
        if (s[k] != (unsigned char)overflow_digits[j])
            return s[k] > (unsigned char)overflow_digits[j];
        k++;
    }
    return 1; /* the threshold itself, or more digits after it */
}

il_status il__json_scan_number(scanner *sc)
{
    const unsigned char *s = sc->s;
    size_t n = sc->len, start = sc->pos, i = start, i0, i1, f0 = 0, f1 = 0, shown;
    long long e = 0;

    if (s[i] == '-')
        i++;
    i0 = i;
    if (i < n && s[i] == '0') {
        i++;
        if (i < n && il__json_is_digit(s[i]))
            return il__json_syntax(sc, i0, "a number cannot have a leading zero");
    } else if (i < n && il__json_is_digit(s[i])) {
        while (i < n && il__json_is_digit(s[i]))
            i++;
    } else {
        sc->pos = i;
        return il__json_expected(sc, "a digit after '-'");
    }
    i1 = i;
    if (i < n && s[i] == '.') {
        f0 = ++i;
        while (i < n && il__json_is_digit(s[i]))
            i++;
        f1 = i;
        if (f1 == f0) {
            sc->pos = i;
            return il__json_expected(sc, "a digit after '.'");
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int neg = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            neg = s[i++] == '-';
        if (i >= n || !il__json_is_digit(s[i])) {
            sc->pos = i;
            return il__json_expected(sc, "a digit in the exponent");
        }
        for (; i < n && il__json_is_digit(s[i]); i++)
            if (e < SATURATE)
                e = e * 10 + (s[i] - '0');
        if (neg)
            e = -e;
    }
    sc->pos = i;
    if (overflows(s, i0, i1, f0, f1, e)) {
        shown = i - start > IL__JSON_QUOTE_MAX ? IL__JSON_QUOTE_MAX : i - start;
        return il__json_fail(
            sc, IL_ERANGE, start,
            "number %.*s%s is too large for a double (the largest is about 1.8e308)", (int)shown,
            (const char *)s + start, shown < i - start ? "..." : "");
    }
    return IL_OK;
}
