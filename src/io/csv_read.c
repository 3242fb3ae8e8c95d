/* SPDX-License-Identifier: MIT */
/*
 * A CSV reader for numeric matrices (inputs for 'run --input FILE.csv').
 *
 * One row per line ('\n' or "\r\n"); fields separated by commas, with
 * optional blanks around them and optional double quotes; an optional
 * UTF-8 byte-order mark; blank lines and lines starting with '#' skipped;
 * a first row with no number in it taken as a header. Numbers are read in
 * the "C" locale whatever the process's locale is (a German LC_NUMERIC
 * would otherwise make "0.5" stop at the '.'); nan and inf are accepted,
 * hexadecimal is not. Every error names its line and column. Lines,
 * columns and the values' bytes are capped before they grow.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "initlab/alloc.h"
#include "initlab/io.h"
#include "internal/spec_impl.h"

typedef struct csv_state {
    const il_csv_limits *lim;
    double *vals;
    size_t n, cap; /* values held and room */
    size_t rows, cols;
    il_error *err;
    const char *name; /* for messages */
} csv_state;

static il_status push(csv_state *s, double v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024, bytes;
        double *p;
        if (!il_mul_size(cap, sizeof *p, &bytes) || bytes > s->lim->max_bytes) {
            cap = s->lim->max_bytes / sizeof *p;
            if (cap <= s->n) {
                il__set_error(s->err, "%s: the values need more than %zu bytes (the limit)",
                              s->name, s->lim->max_bytes);
                return IL_ELIMIT;
            }
        }
        p = il_malloc_n(cap, sizeof *p);
        if (!p)
            return IL_ENOMEM;
        if (s->n)
            memcpy(p, s->vals, s->n * sizeof *p);
        il_free(s->vals);
        s->vals = p;
        s->cap = cap;
    }
    s->vals[s->n++] = v;
    return IL_OK;
}

/* One field, text[0..len) without the blanks around it, as a number;
 * 0 if it is not one. */
static int parse_number(const char *text, size_t len, double *out)
{
    char buf[128], *end;
    if (len >= 2 && text[0] == '"' && text[len - 1] == '"') {
        text++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof buf || memchr(text, 'x', len) || memchr(text, 'X', len))
        return 0;
    memcpy(buf, text, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtod(buf, &end);
    /* overflow to +-inf is refused; underflow to a subnormal or 0 is fine */
    return end == buf + len && !(errno == ERANGE && (*out > 1 || *out < -1));
}

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Parse line 'lineno' (text[0..len), no line ending): its fields. */
static il_status parse_line(csv_state *s, const char *text, size_t len, size_t lineno,
                            int may_be_header, int *was_header)
{
    size_t fields = 0, numbers = 0, first_bad_col = 0, start_n = s->n;
    const char *first_bad = NULL;
    size_t first_bad_len = 0;
    il_status st;

    *was_header = 0;
    for (size_t i = 0;;) {
        size_t a = i, b;
        double v;
        while (a < len && blank(text[a]))
            a++;
        b = a;
        while (b < len && text[b] != ',')
            b++;
        i = b;
        while (b > a && blank(text[b - 1]))
            b--;
        fields++;
        if (fields > s->lim->max_cols) {
            il__set_error(s->err, "%s:%zu: more than %zu columns (the limit)", s->name, lineno,
                          s->lim->max_cols);
            return IL_ELIMIT;
        }
        if (parse_number(text + a, b - a, &v)) {
            numbers++;
            if ((st = push(s, v)) != IL_OK)
                return st;
        } else {
            /* a header holds names, not mangled numbers such as 1e999 */
            if (b > a && strchr("0123456789+-.", text[a]))
                numbers++;
            if (!first_bad) {
                first_bad = text + a;
                first_bad_len = b - a;
                first_bad_col = a + 1;
            }
        }
        if (i >= len)
            break;
        i++; /* the comma */
    }
    if (first_bad) {
        if (may_be_header && numbers == 0) { /* a header row: names, no numbers */
            s->n = start_n;
            *was_header = 1;
            return IL_OK;
        }
        s->n = start_n;
        if (first_bad_len == 0)
            il__set_error(s->err, "%s:%zu:%zu: empty field", s->name, lineno, first_bad_col);
        else
            il__set_error(s->err, "%s:%zu:%zu: '%.*s' is not a number", s->name, lineno,
                          first_bad_col, (int)(first_bad_len > 40 ? 40 : first_bad_len), first_bad);
        return IL_EFORMAT;
    }
    if (s->rows == 0) {
        s->cols = fields;
    } else if (fields != s->cols) {
        il__set_error(s->err, "%s:%zu:%zu: %zu field%s; the rows above have %zu", s->name, lineno,
                      len + 1, fields, fields == 1 ? "" : "s", s->cols);
        return IL_EFORMAT;
    }
    s->rows++;
    return IL_OK;
}

static il_status parse_all(csv_state *s, const char *buf, size_t len)
{
    size_t pos = 0, lineno = 0;
    int seen_row = 0;

    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos, k = 0;
        int header;
        il_status st;

        lineno++;
        pos += ll + (nl != NULL);
        if (ll > s->lim->max_line) {
            il__set_error(s->err, "%s:%zu: a line of more than %zu bytes (the limit)", s->name,
                          lineno, s->lim->max_line);
            return IL_ELIMIT;
        }
        if (ll > 0 && line[ll - 1] == '\r')
            ll--;
        if (memchr(line, '\r', ll) || memchr(line, '\0', ll)) {
            const char *bad = memchr(line, '\r', ll) ? memchr(line, '\r', ll) : memchr(line, 0, ll);
            il__set_error(s->err, "%s:%zu:%zu: a stray %s", s->name, lineno,
                          (size_t)(bad - line) + 1, *bad ? "carriage return" : "NUL byte");
            return IL_EFORMAT;
        }
        while (k < ll && blank(line[k]))
            k++;
        if (k == ll || line[k] == '#')
            continue;
        st = parse_line(s, line, ll, lineno, !seen_row, &header);
        if (st != IL_OK)
            return st;
        seen_row = 1;
    }
    if (s->rows == 0) {
        il__set_error(s->err, "%s: no rows of numbers", s->name);
        return IL_EFORMAT;
    }
    return IL_OK;
}

/* Parse buf[0..len) in the "C" locale; 'name' prefixes the messages. */
static il_status parse_named(const char *buf, size_t len, const il_csv_limits *lim,
                             const char *name, il_array *out, il_error *err)
{
    csv_state s;
    locale_t c_locale, old;
    il_status st;

    memset(&s, 0, sizeof s);
    s.lim = lim;
    s.err = err;
    s.name = name;
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (c_locale == (locale_t)0)
        return IL_ENOMEM;
    old = uselocale(c_locale); /* this thread only */
    st = parse_all(&s, buf, len);
    uselocale(old);
    freelocale(c_locale);
    if (st != IL_OK) {
        il_free(s.vals);
        return st;
    }
    out->data = s.vals;
    out->ndim = 2;
    out->shape[0] = s.rows;
    out->shape[1] = s.cols;
    out->numel = s.n;
    return IL_OK;
}

static const il_csv_limits csv_defaults = IL_CSV_LIMITS_DEFAULT;

il_status il_csv_parse(const char *buf, size_t len, const il_csv_limits *lim, il_array *out,
                       il_error *err)
{
    memset(out, 0, sizeof *out);
    return parse_named(buf, len, lim ? lim : &csv_defaults, "csv", out, err);
}

il_status il_csv_load(const char *path, const il_csv_limits *lim, il_array *out, il_error *err)
{
    struct stat sb;
    char *buf = NULL;
    size_t len;
    il_status st;
    FILE *f;

    memset(out, 0, sizeof *out);
    lim = lim ? lim : &csv_defaults;
    f = fopen(path, "rb");
    if (!f) {
        il__set_error(err, "cannot open '%s': %s", path, strerror(errno));
        return IL_EIO;
    }
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        il__set_error(err, "'%s' is not a regular file", path);
        fclose(f);
        return IL_EIO;
    }
    /* the text is held whole while parsing: cap it like the values */
    if ((unsigned long long)sb.st_size > lim->max_bytes) {
        il__set_error(err, "'%s' is %llu bytes; the limit is %zu", path,
                      (unsigned long long)sb.st_size, lim->max_bytes);
        fclose(f);
        return IL_ELIMIT;
    }
    len = (size_t)sb.st_size;
    buf = il_malloc(len + 1);
    if (!buf) {
        fclose(f);
        return IL_ENOMEM;
    }
    if (len && fread(buf, 1, len, f) != len) {
        il__set_error(err, "cannot read '%s'", path);
        il_free(buf);
        fclose(f);
        return IL_EIO;
    }
    fclose(f);
    st = parse_named(buf, len, lim, path, out, err);
    il_free(buf);
    return st;
}
