/* SPDX-License-Identifier: MIT */
/*
 * The strict JSON check (internal/json.h): one pass over the bytes, a
 * recursive descent that IL__JSON_MAX_DEPTH bounds, RFC 8259's grammar,
 * UTF-8 per the Unicode Standard's table 3-7, and the error messages.
 * Numbers are json_number.c's, the keys of the open objects json_keys.c's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "internal/json.h"
#include "internal/spec_impl.h"
#include "json_impl.h"

void il__json_locate(const scanner *sc, size_t at, size_t *line, size_t *col)
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
    il__json_locate(sc, at, &line, &col);
    if (syntax)
        il__set_error(sc->err, "malformed JSON near byte %zu (line %zu, column %zu): %s", at, line,
                      col, what);
    else
        il__set_error(sc->err, "%s at byte %zu (line %zu, column %zu)", what, at, line, col);
    return st;
}

il_status il__json_fail(scanner *sc, il_status st, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st = report(sc, st, at, 0, fmt, ap);
    va_end(ap);
    return st;
}

il_status il__json_syntax(scanner *sc, size_t at, const char *fmt, ...)
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

il_status il__json_expected(scanner *sc, const char *what)
{
    char found[32];
    describe(sc, sc->pos, found, sizeof found);
    return il__json_syntax(sc, sc->pos, "expected %s, found %s", what, found);
}

il_status il__json_nomem(scanner *sc)
{
    il__set_error(sc->err, "out of memory checking the JSON text");
    return IL_ENOMEM;
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

int il__json_hex4(const unsigned char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    if (n < 4)
        return 0;
    for (size_t i = 0; i < 4; i++) {
        unsigned char c = s[i];
        unsigned d;
        if (il__json_is_digit(c))
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
        return il__json_expected(sc, "an escape after '\\'");
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
        return il__json_syntax(sc, at, "invalid escape: '\\' followed by %s", found);
    }
    }
    if (!il__json_hex4(s + at + 2, n - at - 2, &cp))
        return il__json_syntax(sc, at, "expected 4 hex digits after \\u");
    /* cJSON would end the string there, silently dropping the rest */
    if (cp == 0)
        return il__json_fail(sc, IL_EFORMAT, at, "\\u0000 (NUL) in a string");
    if (is_low_surrogate(cp))
        return il__json_fail(sc, IL_EFORMAT, at, "lone low surrogate \\u%04x in a string", cp);
    if (il__json_is_high_surrogate(cp)) {
        if (at + 7 < n && s[at + 6] == '\\' && s[at + 7] == 'u' &&
            il__json_hex4(s + at + 8, n - at - 8, &low) && is_low_surrogate(low)) {
            *i = at + 12;
            return IL_OK;
        }
        return il__json_fail(
            sc, IL_EFORMAT, at,
            "lone high surrogate \\u%04x in a string (\\udc00..\\udfff must follow it)", cp);
    }
    *i = at + 6;
    return IL_OK;
}

il_status il__json_scan_string(scanner *sc, int *escaped)
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
            return il__json_syntax(sc, n, "the string that opens at byte %zu is not closed", start);
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
                return il__json_fail(sc, IL_EFORMAT, i, "NUL byte in a string");
            if (c < 0x20)
                return il__json_fail(
                    sc, IL_EFORMAT, i,
                    "unescaped control byte 0x%02x in a string (RFC 8259 wants \\u%04x)", c, c);
            i++;
            continue;
        }
        k = il_utf8_length(s + i, n - i);
        if (!k)
            return il__json_fail(sc, IL_EFORMAT, i, "invalid UTF-8 (byte 0x%02x) in a string", c);
        i += k;
    }
    sc->pos = i + 1;
    return IL_OK;
}

static il_status scan_literal(scanner *sc, const char *word)
{
    size_t n = strlen(word);
    if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, word, n) != 0)
        return il__json_syntax(sc, sc->pos, "expected a value (%s?)", word);
    sc->pos += n;
    return IL_OK;
}

static il_status scan_value(scanner *sc);

/* Past the '[' or '{' at sc->pos, one level deeper. */
static il_status enter(scanner *sc)
{
    if (sc->depth >= IL__JSON_MAX_DEPTH)
        return il__json_fail(sc, IL_ELIMIT, sc->pos,
                             "arrays and objects nested deeper than %d levels", IL__JSON_MAX_DEPTH);
    sc->depth++;
    sc->pos++;
    return IL_OK;
}

/* After a list's item: a ',' (*more = 1) or its closing 'close' (*more =
 * 0); anything else is refused as not 'expected'. */
static il_status list_next(scanner *sc, unsigned char close, const char *expected, int *more)
{
    skip_ws(sc);
    if (sc->pos < sc->len && (sc->s[sc->pos] == ',' || sc->s[sc->pos] == close)) {
        *more = sc->s[sc->pos++] == ',';
        return IL_OK;
    }
    return il__json_expected(sc, expected);
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
    for (int more = 1; more;)
        if ((st = scan_value(sc)) != IL_OK ||
            (st = list_next(sc, ']', "',' or ']'", &more)) != IL_OK)
            return st;
    sc->depth--;
    return IL_OK;
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
    for (int more = 1; more;) {
        skip_ws(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
            return il__json_expected(sc, first ? "a key (a string) or '}'" : "a key (a string)");
        first = 0;
        if ((st = il__json_scan_key(sc)) != IL_OK)
            return st;
        skip_ws(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
            return il__json_expected(sc, "':'");
        sc->pos++;
        if ((st = scan_value(sc)) != IL_OK ||
            (st = list_next(sc, '}', "',' or '}'", &more)) != IL_OK)
            return st;
    }
    st = il__json_check_keys(sc, base);
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
        return il__json_expected(sc, "a value");
    switch (sc->s[sc->pos]) {
    case '{':
        return scan_object(sc);
    case '[':
        return scan_array(sc);
    case '"':
        return il__json_scan_string(sc, &escaped);
    case 't':
        return scan_literal(sc, "true");
    case 'f':
        return scan_literal(sc, "false");
    case 'n':
        return scan_literal(sc, "null");
    default:
        if (sc->s[sc->pos] == '-' || il__json_is_digit(sc->s[sc->pos]))
            return il__json_scan_number(sc);
        return il__json_expected(sc, "a value");
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
            st = il__json_fail(&sc, IL_EFORMAT, sc.pos,
                               "data after the end of the JSON document (%s)", found);
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
