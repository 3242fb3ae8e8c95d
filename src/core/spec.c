/* SPDX-License-Identifier: MIT */
/* "NAME[:key=value,...]" spec strings: splitting, binding, typo hints. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/spec_impl.h"

void il__set_error(il_error *err, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

int il_parse_number(const char *s, double *out)
{
    char *end;
    double v;

    /* strtod also takes "inf", "nan" and hex floats; a spec value must be
     * an ordinary finite decimal number. */
    if (*s == '\0' || isspace((unsigned char)*s))
        return 0;
    for (const char *p = s; *p; p++)
        if (!(isdigit((unsigned char)*p) || strchr("+-.eE", *p)))
            return 0;
    errno = 0;
    v = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

int il__format_double(char *buf, size_t cap, double v)
{
    char tmp[40];
    for (int prec = 15; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            return snprintf(buf, cap, "%s", tmp);
    }
    return snprintf(buf, cap, "%.17g", v);
}

static int copy_part(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        return 0;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 1;
}

il_status il__spec_split(const char *text, const char *what, il__spec *out, il_error *err)
{
    const char *colon = strchr(text, ':');
    size_t name_len = colon ? (size_t)(colon - text) : strlen(text);
    const char *p;

    memset(out, 0, sizeof *out);
    if (name_len == 0) {
        il__set_error(err, "empty %s name in '%s'", what, text);
        return IL_EINVAL;
    }
    if (!copy_part(out->name, sizeof out->name, text, name_len)) {
        il__set_error(err, "%s name too long in '%s'", what, text);
        return IL_EINVAL;
    }
    if (!colon)
        return IL_OK;
    p = colon + 1;
    if (*p == '\0') {
        il__set_error(err, "nothing after ':' in '%s' (expected key=value)", text);
        return IL_EINVAL;
    }
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        il__spec_pair *pair;

        if (out->n_pairs == IL_MAX_PARAMS) {
            il__set_error(err, "too many parameters in '%s' (at most %d)", text, IL_MAX_PARAMS);
            return IL_EINVAL;
        }
        if (!eq || eq == p) {
            il__set_error(err, "expected key=value, got '%.*s' in '%s'", (int)len, p, text);
            return IL_EINVAL;
        }
        pair = &out->pairs[out->n_pairs++];
        if (!copy_part(pair->key, sizeof pair->key, p, (size_t)(eq - p)) ||
            !copy_part(pair->value, sizeof pair->value, eq + 1, len - (size_t)(eq - p) - 1)) {
            il__set_error(err, "parameter too long in '%s'", text);
            return IL_EINVAL;
        }
        if (pair->value[0] == '\0') {
            il__set_error(err, "missing value for '%s' in '%s'", pair->key, text);
            return IL_EINVAL;
        }
        if (!comma)
            break;
        p = comma + 1;
        if (*p == '\0') {
            il__set_error(err, "trailing ',' in '%s'", text);
            return IL_EINVAL;
        }
    }
    return IL_OK;
}

static void list_names(char *buf, size_t cap, const il_param *params, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int k = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", params[i].name);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

static void list_choices(char *buf, size_t cap, const char *const *choices)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; choices[i] && used < cap; i++) {
        int k = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", choices[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

il_status il__spec_bind(const il__spec *sp, const il_param *params, size_t n_params,
                        il_value *values, il_error *err)
{
    int seen[IL_MAX_PARAMS] = {0};
    char names[400];

    for (size_t i = 0; i < n_params; i++) {
        values[i].number = params[i].def_number;
        values[i].choice = params[i].def_choice;
    }
    for (size_t j = 0; j < sp->n_pairs; j++) {
        const il__spec_pair *pair = &sp->pairs[j];
        size_t i;

        for (i = 0; i < n_params; i++)
            if (strcmp(params[i].name, pair->key) == 0)
                break;
        if (i == n_params) {
            if (n_params == 0) {
                il__set_error(err, "'%s' takes no parameters (got '%s')", sp->name, pair->key);
            } else {
                list_names(names, sizeof names, params, n_params);
                il__set_error(err, "unknown parameter '%s' for '%s' (valid: %s)", pair->key,
                              sp->name, names);
            }
            return IL_EINVAL;
        }
        if (seen[i]) {
            il__set_error(err, "parameter '%s' given twice for '%s'", pair->key, sp->name);
            return IL_EINVAL;
        }
        seen[i] = 1;
        if (params[i].kind == IL_PARAM_NUMBER) {
            if (!il_parse_number(pair->value, &values[i].number)) {
                il__set_error(err, "parameter '%s' of '%s' must be a finite number, got '%s'",
                              pair->key, sp->name, pair->value);
                return IL_EINVAL;
            }
        } else {
            int c;
            for (c = 0; params[i].choices[c]; c++)
                if (strcmp(params[i].choices[c], pair->value) == 0)
                    break;
            if (!params[i].choices[c]) {
                list_choices(names, sizeof names, params[i].choices);
                il__set_error(err, "invalid %s '%s' for '%s' (valid: %s)", pair->key, pair->value,
                              sp->name, names);
                return IL_EINVAL;
            }
            values[i].choice = c;
        }
    }
    for (size_t i = 0; i < n_params; i++)
        if (params[i].required && !seen[i]) {
            il__set_error(err, "'%s' needs the parameter '%s' (%s)", sp->name, params[i].name,
                          params[i].help);
            return IL_EINVAL;
        }
    return IL_OK;
}

/* Optimal string alignment distance (Damerau-Levenshtein with adjacent
 * transpositions), capped: words are short registry names. */
static size_t edit_distance(const char *a, const char *b)
{
    enum {
        MAXW = 64
    };
    size_t la = strlen(a), lb = strlen(b);
    size_t d[MAXW + 1][MAXW + 1];

    if (la > MAXW || lb > MAXW)
        return (size_t)-1;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *il__nearest_name(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    size_t len = strlen(word);
    /* Allow about one edit per three characters, at least two. */
    size_t limit = len / 3 > 2 ? len / 3 : 2;

    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

void il__unknown_name(il_error *err, const char *what, const char *name, const char *const *names,
                      size_t n)
{
    char list[1024];
    size_t used = 0;
    const char *near = il__nearest_name(name, names, n);

    if (near) {
        il__set_error(err, "unknown %s '%s' (did you mean '%s'?)", what, name, near);
        return;
    }
    list[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof list; i++) {
        int k = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
    il__set_error(err, "unknown %s '%s' (valid: %s)", what, name, list);
}

size_t il_utf8_length(const unsigned char *s, size_t n)
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

size_t il__spec_format(const char *name, const il_param *params, size_t n_params,
                       const il_value *values, char *buf, size_t cap)
{
    size_t used = 0;
    char dummy[1];
    int k;

    if (cap == 0) {
        buf = dummy;
        cap = 1;
    }
#define ADVANCE(expr)                                                                              \
    do {                                                                                           \
        k = (expr);                                                                                \
        if (k > 0)                                                                                 \
            used += (size_t)k;                                                                     \
    } while (0)
#define REST (used < cap ? buf + used : dummy), (used < cap ? cap - used : 1)
    ADVANCE(snprintf(buf, cap, "%s", name));
    for (size_t i = 0; i < n_params; i++) {
        const il_param *p = &params[i];
        ADVANCE(snprintf(REST, "%s%s=", i ? "," : ":", p->name));
        if (p->kind == IL_PARAM_NUMBER)
            ADVANCE(il__format_double(REST, values[i].number));
        else
            ADVANCE(snprintf(REST, "%s", p->choices[values[i].choice]));
    }
#undef REST
#undef ADVANCE
    return used;
}
