/* SPDX-License-Identifier: MIT */
/*
 * The strict JSON check (internal/json.h): one pass over the bytes, a
 * recursive descent that IL__JSON_MAX_DEPTH bounds, RFC 8259's grammar,
 * UTF-8 per the Unicode Standard's table 3-7, and each object's keys sorted
 * when it closes, so a duplicate is found in O(k log k) however many keys.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initlab/alloc.h"
#include "internal/json.h"
#include "internal/spec_impl.h"

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

/* Longest piece of a key or number quoted in a message, in bytes. */
#define QUOTE_MAX 64

typedef struct key_ref {
    size_t at;      /* offset of the key's opening quote */
    size_t raw_len; /* bytes between the quotes, as written */
    size_t off;     /* the decoded key: offset into the text, or into the arena if 'escaped' */
    size_t len;     /* decoded length in bytes */
    int escaped;
    const char *p; /* the decoded bytes; set just before sorting (the arena moves as it grows) */
} key_ref;

typedef struct scanner {
    const unsigned char *s;
    size_t len, pos;
    size_t start; /* 3 after a byte-order mark, else 0 */
    size_t depth;
    key_ref *keys; /* the keys of every open object, the innermost object's last */
    size_t n_keys, cap_keys;
    char *arena; /* decoded keys that had escapes, for the open objects */
    size_t n_arena, cap_arena;
    il_error *err;
} scanner;

/* Line and column (from 1; columns count UTF-8 characters) of byte 'at'.
 * Only called for errors, so a rescan from the start costs nothing. */
static void locate(const scanner *sc, size_t at, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = sc->start; i < at && i < sc->len; i++) {
        if (sc->s[i] == '\n') {
            l++;
            c = 1;
        } else if ((sc->s[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static il_status report(scanner *sc, il_status st, size_t at, int syntax, const char *fmt,
                        va_list ap)
{
    char what[400];
    size_t line, col;

    if (!sc->err)
        return st;
    vsnprintf(what, sizeof what, fmt, ap);
    locate(sc, at, &line, &col);
    if (syntax)
        il__set_error(sc->err, "malformed JSON near byte %zu (line %zu, column %zu): %s", at, line,
                      col, what);
    else
        il__set_error(sc->err, "%s at byte %zu (line %zu, column %zu)", what, at, line, col);
    return st;
}

/* "WHAT at byte N (line L, column C)"; returns 'st'. */
static il_status fail(scanner *sc, il_status st, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static il_status fail(scanner *sc, il_status st, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st = report(sc, st, at, 0, fmt, ap);
    va_end(ap);
    return st;
}

/* "malformed JSON near byte N (line L, column C): WHAT"; IL_EFORMAT. The
 * wording is the one request parsing has always used for bad syntax. */
static il_status syntax(scanner *sc, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static il_status syntax(scanner *sc, size_t at, const char *fmt, ...)
{
    il_status st;
    va_list ap;
    va_start(ap, fmt);
    st = report(sc, IL_EFORMAT, at, 1, fmt, ap);
    va_end(ap);
    return st;
}

/* What is at byte 'at', for "expected X, found Y". */
static void describe(const scanner *sc, size_t at, char *buf, size_t cap)
{
    unsigned c = at < sc->len ? sc->s[at] : 0;
    if (at >= sc->len)
        snprintf(buf, cap, "the end of the input");
    else if (c == 0)
        snprintf(buf, cap, "a NUL byte");
    else if (c > 0x20 && c < 0x7F)
        snprintf(buf, cap, "'%c'", (char)c);
    else
        snprintf(buf, cap, "byte 0x%02x", c);
}

static il_status expected(scanner *sc, const char *what)
{
    char found[32];
    describe(sc, sc->pos, found, sizeof found);
    return syntax(sc, sc->pos, "expected %s, found %s", what, found);
}

static il_status nomem(scanner *sc)
{
    il__set_error(sc->err, "out of memory checking the JSON text");
    return IL_ENOMEM;
}

/* Room for 'need' elements of 'size' bytes in *buf, which holds 'used' of
 * *cap; 0 when out of memory or the size overflows (*buf is then kept). */
static int reserve(void **buf, size_t *cap, size_t used, size_t need, size_t size)
{
    size_t new_cap = *cap < 16 ? 16 : *cap, bytes;
    void *p;

    if (need <= *cap)
        return 1;
    while (new_cap < need)
        if (!il_mul_size(new_cap, 2, &new_cap))
            return 0;
    if (!il_mul_size(new_cap, size, &bytes) || !(p = il_malloc(bytes)))
        return 0;
    if (used)
        memcpy(p, *buf, used * size);
    il_free(*buf);
    *buf = p;
    *cap = new_cap;
    return 1;
}

static void skip_ws(scanner *sc)
{
    while (sc->pos < sc->len) {
        unsigned char c = sc->s[sc->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        sc->pos++;
    }
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* The length of the well-formed UTF-8 sequence at s[0..n), whose first byte
 * is >= 0x80, or 0: no overlong forms (C0, C1, E0 80..9F, F0 80..8F), no
 * surrogates (ED A0..BF), nothing above U+10FFFF (F4 90.., F5..FF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t tail;

    if (c >= 0xC2 && c <= 0xDF) {
        tail = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        tail = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        tail = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n <= tail || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i <= tail; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return tail + 1;
}

/* Four hex digits at s[0..n) into *out; 0 if there are not four. */
static int hex4(const unsigned char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    if (n < 4)
        return 0;
    for (size_t i = 0; i < 4; i++) {
        unsigned char c = s[i];
        unsigned d;
        if (is_digit(c))
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return 0;
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

static int is_high_surrogate(unsigned cp)
{
    return cp >= 0xD800 && cp <= 0xDBFF;
}

static int is_low_surrogate(unsigned cp)
{
    return cp >= 0xDC00 && cp <= 0xDFFF;
}

/* The escape whose backslash is at *i; *i moves past it. */
static il_status scan_escape(scanner *sc, size_t *i)
{
    const unsigned char *s = sc->s;
    size_t at = *i, n = sc->len;
    unsigned cp = 0, low = 0;

    if (at + 1 >= n) {
        sc->pos = n;
        return expected(sc, "an escape after '\\'");
    }
    switch (s[at + 1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        *i = at + 2;
        return IL_OK;
    case 'u':
        break;
    default: {
        char found[32];
        describe(sc, at + 1, found, sizeof found);
        return syntax(sc, at, "invalid escape: '\\' followed by %s", found);
    }
    }
    if (!hex4(s + at + 2, n - at - 2, &cp))
        return syntax(sc, at, "expected 4 hex digits after \\u");
    /* cJSON would end the string there, silently dropping the rest */
    if (cp == 0)
        return fail(sc, IL_EFORMAT, at, "\\u0000 (NUL) in a string");
    if (is_low_surrogate(cp))
        return fail(sc, IL_EFORMAT, at, "lone low surrogate \\u%04x in a string", cp);
    if (is_high_surrogate(cp)) {
        if (at + 7 < n && s[at + 6] == '\\' && s[at + 7] == 'u' &&
            hex4(s + at + 8, n - at - 8, &low) && is_low_surrogate(low)) {
            *i = at + 12;
            return IL_OK;
        }
        return fail(sc, IL_EFORMAT, at,
                    "lone high surrogate \\u%04x in a string (\\udc00..\\udfff must follow it)",
                    cp);
    }
    *i = at + 6;
    return IL_OK;
}

/* The string whose opening quote is at sc->pos; sc->pos moves past its
 * closing quote. *escaped: whether it holds an escape. */
static il_status scan_string(scanner *sc, int *escaped)
{
    const unsigned char *s = sc->s;
    size_t start = sc->pos, i = start + 1, n = sc->len;
    il_status st;

    *escaped = 0;
    for (;;) {
        unsigned char c;
        size_t k;
        if (i >= n) {
            sc->pos = n;
            return syntax(sc, n, "the string that opens at byte %zu is not closed", start);
        }
        c = s[i];
        if (c == '"')
            break;
        if (c == '\\') {
            *escaped = 1;
            if ((st = scan_escape(sc, &i)) != IL_OK)
                return st;
            continue;
        }
        if (c < 0x80) {
            if (c == 0)
                return fail(sc, IL_EFORMAT, i, "NUL byte in a string");
            if (c < 0x20)
                return fail(sc, IL_EFORMAT, i,
                            "unescaped control byte 0x%02x in a string (RFC 8259 wants \\u%04x)", c,
                            c);
            i++;
            continue;
        }
        k = utf8_seq(s + i, n - i);
        if (!k)
            return fail(sc, IL_EFORMAT, i, "invalid UTF-8 (byte 0x%02x) in a string", c);
        i += k;
    }
    sc->pos = i + 1;
    return IL_OK;
}

/* Append UTF-8 for 'cp' (a scalar value) to 'out'; returns the length. */
static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decode the checked string body s[from..to) onto the arena. Decoding never
 * lengthens (a 2-byte escape gives 1 byte, \uXXXX at most 3, a pair 4), so
 * to - from bytes are enough. 0 when out of memory. */
static int decode_key(scanner *sc, size_t from, size_t to)
{
    static const char simple[][2] = {{'"', '"'},  {'\\', '\\'}, {'/', '/'},  {'b', '\b'},
                                     {'f', '\f'}, {'n', '\n'},  {'r', '\r'}, {'t', '\t'}};
    const unsigned char *s = sc->s;
    void *p = sc->arena;
    char *out;

    if (!reserve(&p, &sc->cap_arena, sc->n_arena, sc->n_arena + (to - from), 1))
        return 0;
    sc->arena = p;
    out = sc->arena + sc->n_arena;
    for (size_t i = from; i < to;) {
        unsigned cp = 0, low = 0;
        if (s[i] != '\\') {
            *out++ = (char)s[i++];
            continue;
        }
        if (s[i + 1] != 'u') {
            for (size_t e = 0; e < sizeof simple / sizeof simple[0]; e++)
                if (simple[e][0] == (char)s[i + 1])
                    *out++ = simple[e][1];
            i += 2;
            continue;
        }
        (void)hex4(s + i + 2, 4, &cp); /* scan_escape checked the digits and the pair */
        i += 6;
        if (is_high_surrogate(cp)) {
            (void)hex4(s + i + 2, 4, &low);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
        }
        out += put_utf8(out, cp);
    }
    sc->n_arena = (size_t)(out - sc->arena);
    return 1;
}

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

/* A number at sc->pos (a '-' or a digit), RFC 8259 section 6. */
static il_status scan_number(scanner *sc)
{
    const unsigned char *s = sc->s;
    size_t n = sc->len, start = sc->pos, i = start, i0, i1, f0 = 0, f1 = 0, shown;
    long long e = 0;

    if (s[i] == '-')
        i++;
    i0 = i;
    if (i < n && s[i] == '0') {
        i++;
        if (i < n && is_digit(s[i]))
            return syntax(sc, i0, "a number cannot have a leading zero");
    } else if (i < n && is_digit(s[i])) {
        while (i < n && is_digit(s[i]))
            i++;
    } else {
        sc->pos = i;
        return expected(sc, "a digit after '-'");
    }
    i1 = i;
    if (i < n && s[i] == '.') {
        f0 = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        f1 = i;
        if (f1 == f0) {
            sc->pos = i;
            return expected(sc, "a digit after '.'");
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int neg = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            neg = s[i++] == '-';
        if (i >= n || !is_digit(s[i])) {
            sc->pos = i;
            return expected(sc, "a digit in the exponent");
        }
        for (; i < n && is_digit(s[i]); i++)
            if (e < SATURATE)
                e = e * 10 + (s[i] - '0');
        if (neg)
            e = -e;
    }
    sc->pos = i;
    if (overflows(s, i0, i1, f0, f1, e)) {
        shown = i - start > QUOTE_MAX ? QUOTE_MAX : i - start;
        return fail(sc, IL_ERANGE, start,
                    "number %.*s%s is too large for a double (the largest is about 1.8e308)",
                    (int)shown, (const char *)s + start, shown < i - start ? "..." : "");
    }
    return IL_OK;
}

static il_status scan_literal(scanner *sc, const char *word)
{
    size_t n = strlen(word);
    if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, word, n) != 0)
        return syntax(sc, sc->pos, "expected a value (%s?)", word);
    sc->pos += n;
    return IL_OK;
}

static il_status scan_value(scanner *sc);

/* Past the '[' or '{' at sc->pos, one level deeper. */
static il_status enter(scanner *sc)
{
    if (sc->depth >= IL__JSON_MAX_DEPTH)
        return fail(sc, IL_ELIMIT, sc->pos, "arrays and objects nested deeper than %d levels",
                    IL__JSON_MAX_DEPTH);
    sc->depth++;
    sc->pos++;
    return IL_OK;
}

static il_status scan_array(scanner *sc)
{
    il_status st = enter(sc);
    if (st != IL_OK)
        return st;
    skip_ws(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
        sc->pos++;
        sc->depth--;
        return IL_OK;
    }
    for (;;) {
        if ((st = scan_value(sc)) != IL_OK)
            return st;
        skip_ws(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
            sc->pos++;
            continue;
        }
        if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
            sc->pos++;
            break;
        }
        return expected(sc, "',' or ']'");
    }
    sc->depth--;
    return IL_OK;
}

/* A key at sc->pos, pushed onto the open objects' keys. */
static il_status scan_key(scanner *sc)
{
    key_ref k;
    void *p = sc->keys;
    int escaped;
    il_status st;

    k.at = sc->pos;
    if ((st = scan_string(sc, &escaped)) != IL_OK)
        return st;
    k.raw_len = sc->pos - k.at - 2;
    k.escaped = escaped;
    k.p = NULL;
    if (!escaped) {
        k.off = k.at + 1; /* the bytes as written are the key */
        k.len = k.raw_len;
    } else {
        k.off = sc->n_arena;
        if (!decode_key(sc, k.at + 1, k.at + 1 + k.raw_len))
            return nomem(sc);
        k.len = sc->n_arena - k.off;
    }
    if (!reserve(&p, &sc->cap_keys, sc->n_keys, sc->n_keys + 1, sizeof *sc->keys))
        return nomem(sc);
    sc->keys = p;
    sc->keys[sc->n_keys++] = k;
    return IL_OK;
}

/* Decoded bytes, then position: equal keys end up side by side, first
 * occurrence first. */
static int key_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

static int same_key(const key_ref *x, const key_ref *y)
{
    return x->len == y->len && (x->len == 0 || memcmp(x->p, y->p, x->len) == 0);
}

/* The closing object's keys are keys[base..n_keys): refuse the earliest
 * repeat in the text, naming where the key was first given. */
static il_status check_keys(scanner *sc, size_t base)
{
    key_ref *k = sc->keys + base;
    const key_ref *first = NULL, *dup = NULL;
    size_t n = sc->n_keys - base, shown, line, col;
    il_status st;

    if (n < 2)
        return IL_OK;
    for (size_t i = 0; i < n; i++)
        k[i].p = k[i].escaped ? sc->arena + k[i].off : (const char *)sc->s + k[i].off;
    qsort(k, n, sizeof *k, key_cmp);
    for (size_t i = 1; i < n; i++)
        if (same_key(&k[i - 1], &k[i]) && (i == 1 || !same_key(&k[i - 2], &k[i - 1])) &&
            (!dup || k[i].at < dup->at)) {
            first = &k[i - 1];
            dup = &k[i];
        }
    if (!dup)
        return IL_OK;
    /* the key as written, cut at a character boundary */
    shown = dup->raw_len > QUOTE_MAX ? QUOTE_MAX : dup->raw_len;
    while (shown > 0 && shown < dup->raw_len && (sc->s[dup->at + 1 + shown] & 0xC0) == 0x80)
        shown--;
    st = fail(sc, IL_EFORMAT, dup->at, "duplicate key \"%.*s%s\"", (int)shown,
              (const char *)sc->s + dup->at + 1, shown < dup->raw_len ? "..." : "");
    if (sc->err) {
        size_t used = strlen(sc->err->message);
        locate(sc, first->at, &line, &col);
        snprintf(sc->err->message + used, sizeof sc->err->message - used,
                 "; first at byte %zu (line %zu, column %zu)", first->at, line, col);
    }
    return st;
}

static il_status scan_object(scanner *sc)
{
    size_t base = sc->n_keys, arena_base = sc->n_arena;
    il_status st = enter(sc);
    int first = 1;

    if (st != IL_OK)
        return st;
    skip_ws(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
        sc->pos++;
        sc->depth--;
        return IL_OK;
    }
    for (;;) {
        skip_ws(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
            return expected(sc, first ? "a key (a string) or '}'" : "a key (a string)");
        first = 0;
        if ((st = scan_key(sc)) != IL_OK)
            return st;
        skip_ws(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
            return expected(sc, "':'");
        sc->pos++;
        if ((st = scan_value(sc)) != IL_OK)
            return st;
        skip_ws(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
            sc->pos++;
            continue;
        }
        if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
            sc->pos++;
            break;
        }
        return expected(sc, "',' or '}'");
    }
    st = check_keys(sc, base);
    sc->n_keys = base;
    sc->n_arena = arena_base;
    sc->depth--;
    return st;
}

static il_status scan_value(scanner *sc)
{
    int escaped;

    skip_ws(sc);
    if (sc->pos >= sc->len)
        return expected(sc, "a value");
    switch (sc->s[sc->pos]) {
    case '{':
        return scan_object(sc);
    case '[':
        return scan_array(sc);
    case '"':
        return scan_string(sc, &escaped);
    case 't':
        return scan_literal(sc, "true");
    case 'f':
        return scan_literal(sc, "false");
    case 'n':
        return scan_literal(sc, "null");
    default:
        if (sc->s[sc->pos] == '-' || is_digit(sc->s[sc->pos]))
            return scan_number(sc);
        return expected(sc, "a value");
    }
}

static size_t bom_length(const char *text, size_t len)
{
    return len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

il_status il__json_check(const char *text, size_t len, il_error *err)
{
    scanner sc;
    il_status st;

    memset(&sc, 0, sizeof sc);
    sc.s = (const unsigned char *)text;
    sc.len = len;
    sc.err = err;
    sc.start = sc.pos = bom_length(text, len);
    st = scan_value(&sc);
    if (st == IL_OK) {
        skip_ws(&sc);
        if (sc.pos < len) {
            char found[32];
            describe(&sc, sc.pos, found, sizeof found);
            st = fail(&sc, IL_EFORMAT, sc.pos, "data after the end of the JSON document (%s)",
                      found);
        }
    }
    il_free(sc.keys);
    il_free(sc.arena);
    return st;
}

il_status il__json_parse(const char *text, size_t len, cJSON **out, il_error *err)
{
    size_t skip = bom_length(text, len);
    cJSON *root;
    il_status st = il__json_check(text, len, err);

    if (st != IL_OK)
        return st;
    /* The text is valid, so cJSON can only fail for memory. */
    root = cJSON_ParseWithLengthOpts(text + skip, len - skip, NULL, 0);
    if (!root) {
        il__set_error(err, "out of memory building the JSON tree");
        return IL_ENOMEM;
    }
    *out = root;
    return IL_OK;
}
