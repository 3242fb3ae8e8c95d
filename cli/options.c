/* SPDX-License-Identifier: MIT */
/* Table-driven option parsing and the shared helpers of the front end. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void cli_error(const char *fmt, ...)
{
    char msg[8192];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    fputs("initlab: ", stderr);
    /* Messages carry user text (file names, specs, JSON keys): escaped, its
     * control bytes cannot drive the terminal or split the one line. */
    term_write(stderr, msg, strlen(msg));
    if (n >= (int)sizeof msg)
        fputs("...", stderr);
    fputc('\n', stderr);
}

int cli_begin(const char *cmd, const cli_option *opts, void *values, void (*help)(FILE *),
              int max_pos, int argc, char **argv, int *npos, int *rc)
{
    int help_flag;
    *rc = cli_parse_into(cmd, opts, values, argc, argv, npos, &help_flag);
    if (*rc)
        return 0;
    if (help_flag) {
        help(stdout);
        *rc = EXIT_OK;
        return 0;
    }
    if (max_pos >= 0 && *npos > max_pos) {
        cli_error("%s: unexpected argument '%s' (see 'initlab %s --help')", cmd, argv[1 + max_pos],
                  cmd);
        *rc = EXIT_USAGE;
        return 0;
    }
    return 1;
}

int cli_exit_for(il_status st)
{
    switch (st) {
    case IL_OK:
        return EXIT_OK;
    case IL_ENOMEM:
    case IL_ELIMIT:
        return EXIT_NOMEM;
    case IL_EFORMAT:
        return EXIT_DATA;
    case IL_EINVAL:
    case IL_ENOTFOUND:
    case IL_ERANGE:
    case IL_ESHAPE:
        return EXIT_USAGE;
    default:
        return EXIT_RUNTIME;
    }
}

int cli_mkdirs(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof buf)
        return ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            struct stat st;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return errno;
            if (stat(buf, &st) != 0)
                return errno;
            if (!S_ISDIR(st.st_mode))
                return ENOTDIR;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return 0;
}

/* A decimal integer, nothing else: no sign, no spaces, no 0x, no exponent. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return 0;
        if (v > (max - (uint64_t)(*p - '0')) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return 1;
}

static int set_value(const char *cmd, const cli_option *o, void *values, const char *arg)
{
    /* a char * for the offset's arithmetic; the field has the kind's type */
    void *dest = o->dest ? o->dest : values ? (char *)values + o->offset : NULL;
    uint64_t u;

    if (!dest) /* a CLI_OPT row parsed without its values struct */
        return EXIT_USAGE;

    switch (o->kind) {
    case CLI_FLAG:
        *(int *)dest = 1;
        return 0;
    case CLI_STRING:
        *(const char **)dest = arg;
        return 0;
    case CLI_MULTI: {
        cli_list *l = dest;
        if (l->n == CLI_LIST_MAX) {
            cli_error("%s: too many --%s options (at most %d)", cmd, o->name, CLI_LIST_MAX);
            return EXIT_USAGE;
        }
        l->items[l->n++] = arg;
        return 0;
    }
    case CLI_SIZE:
        if (!parse_u64(arg, CLI_UNSET - 1, &u)) {
            cli_error("%s: invalid value '%s' for --%s: expected a non-negative integer", cmd, arg,
                      o->name);
            return EXIT_USAGE;
        }
        *(size_t *)dest = (size_t)u;
        return 0;
    case CLI_SEED:
        if (!parse_u64(arg, UINT32_MAX, &u)) {
            cli_error("%s: invalid seed '%s': Seed must be between 0 and 2**32 - 1 "
                      "(an integer 0..4294967295)",
                      cmd, arg);
            return EXIT_USAGE;
        }
        *(uint64_t *)dest = u;
        return 0;
    case CLI_RANGE: {
        const char *comma = strchr(arg, ',');
        double *r = dest, lo, hi;
        char left[64];
        size_t n = comma ? (size_t)(comma - arg) : 0;
        if (!comma || n >= sizeof left) {
            cli_error("%s: invalid range '%s' for --%s: expected LO,HI", cmd, arg, o->name);
            return EXIT_USAGE;
        }
        memcpy(left, arg, n);
        left[n] = '\0';
        if (!il_parse_number(left, &lo) || !il_parse_number(comma + 1, &hi)) {
            cli_error("%s: invalid range '%s' for --%s: LO and HI must be finite numbers", cmd, arg,
                      o->name);
            return EXIT_USAGE;
        }
        if (!(lo < hi) || !isfinite(hi - lo)) {
            cli_error("%s: invalid range '%s' for --%s: LO must be less than HI", cmd, arg,
                      o->name);
            return EXIT_USAGE;
        }
        r[0] = lo;
        r[1] = hi;
        return 0;
    }
    }
    return EXIT_USAGE;
}

int cli_parse(const char *cmd, const cli_option *opts, int argc, char **argv, int *npos, int *help)
{
    return cli_parse_into(cmd, opts, NULL, argc, argv, npos, help);
}

int cli_parse_into(const char *cmd, const cli_option *opts, void *values, int argc, char **argv,
                   int *npos, int *help)
{
    int pos = 0, only_positional = 0;

    *help = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        const cli_option *o;
        const char *value = NULL;
        size_t name_len;

        if (only_positional || a[0] != '-' || a[1] == '\0') {
            argv[1 + pos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
            continue;
        }
        if (a[1] != '-') {
            cli_error("%s: unknown option '%s' (see 'initlab %s --help')", cmd, a, cmd);
            return EXIT_USAGE;
        }
        name_len = strcspn(a + 2, "=");
        for (o = opts; o->name; o++)
            if (strlen(o->name) == name_len && strncmp(o->name, a + 2, name_len) == 0)
                break;
        if (!o->name) {
            cli_error("%s: unknown option '%.*s' (see 'initlab %s --help')", cmd, (int)name_len + 2,
                      a, cmd);
            return EXIT_USAGE;
        }
        if (a[2 + name_len] == '=') {
            value = a + 3 + name_len;
            if (o->kind == CLI_FLAG) {
                cli_error("%s: option '--%s' takes no value", cmd, o->name);
                return EXIT_USAGE;
            }
        } else if (o->kind != CLI_FLAG) {
            if (i + 1 >= argc) {
                cli_error("%s: option '--%s' needs a value (%s)", cmd, o->name, o->metavar);
                return EXIT_USAGE;
            }
            value = argv[++i];
        }
        if (set_value(cmd, o, values, value) != 0)
            return EXIT_USAGE;
    }
    *npos = pos;
    return 0;
}

void cli_print_options(FILE *f, const cli_option *opts)
{
    for (const cli_option *o = opts; o->name; o++) {
        char left[64];
        if (o->metavar)
            snprintf(left, sizeof left, "--%s %s", o->name, o->metavar);
        else
            snprintf(left, sizeof left, "--%s", o->name);
        fprintf(f, "  %-24s %s\n", left, o->help);
    }
    fprintf(f, "  %-24s %s\n", "--help", "show this help and exit");
}

size_t cli_parse_shape(const char *cmd, const char *text, size_t *shape, size_t max)
{
    size_t n = 0;
    const char *p = text;

    for (;;) {
        char part[32];
        size_t len = strcspn(p, ",");
        uint64_t v;
        if (n == max) {
            cli_error("%s: invalid shape '%s': at most %zu dimensions", cmd, text, max);
            return 0;
        }
        if (len == 0 || len >= sizeof part) {
            cli_error("%s: invalid shape '%s': expected sizes like 256,784", cmd, text);
            return 0;
        }
        memcpy(part, p, len);
        part[len] = '\0';
        if (!parse_u64(part, SIZE_MAX, &v)) {
            cli_error("%s: invalid shape '%s': '%s' is not a size", cmd, text, part);
            return 0;
        }
        if (v == 0) {
            cli_error("%s: invalid shape '%s': zero-size dimension", cmd, text);
            return 0;
        }
        shape[n++] = (size_t)v;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    return n;
}

int cli_parse_bytes(const char *cmd, const char *opt, const char *text, size_t *out)
{
    char num[32];
    size_t len = strlen(text), mult = 1, v;
    uint64_t u;
    char last = len ? text[len - 1] : '\0';

    switch (last) {
    case 'K':
    case 'k':
        mult = (size_t)1 << 10;
        break;
    case 'M':
    case 'm':
        mult = (size_t)1 << 20;
        break;
    case 'G':
    case 'g':
        mult = (size_t)1 << 30;
        break;
    case 'T':
    case 't':
        mult = (size_t)1 << 40;
        break;
    default:
        break;
    }
    if (mult > 1)
        len--;
    if (len == 0 || len >= sizeof num) {
        cli_error("%s: invalid size '%s' for --%s: expected e.g. 512M or 8G", cmd, text, opt);
        return EXIT_USAGE;
    }
    memcpy(num, text, len);
    num[len] = '\0';
    if (!parse_u64(num, SIZE_MAX, &u) || !il_mul_size((size_t)u, mult, &v)) {
        cli_error("%s: invalid size '%s' for --%s: expected e.g. 512M or 8G", cmd, text, opt);
        return EXIT_USAGE;
    }
    *out = v;
    return 0;
}

size_t cli_default_memory_cap(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    size_t cap = (size_t)8 << 30, half;
    if (pages > 0 && page > 0) {
        half = (size_t)pages / 2 * (size_t)page;
        if (half < cap)
            cap = half;
    }
    return cap;
}

const char *cli_format_bytes(char *buf, size_t cap, double bytes)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024 && u < 6) {
        bytes /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%.0f bytes", bytes);
    else
        snprintf(buf, cap, "%.1f %s", bytes, units[u]);
    return buf;
}

void cli_json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

double cli_seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

const il_rng_type *cli_rng_type(const char *cmd, const char *name, int numpy)
{
    const il_rng_type *t = il_rng_find(name ? name : numpy ? "mt19937" : "philox");
    if (!t)
        cli_error("%s: unknown generator '%s' (valid: fast, philox, mt19937)", cmd, name);
    return t;
}
