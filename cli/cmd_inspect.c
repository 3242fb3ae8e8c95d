/* SPDX-License-Identifier: MIT */
/*
 * initlab inspect: read a checkpoint (.npz, .safetensors, a .npy or a
 * folder of them) and say, per tensor, its layout as guessed from its name
 * and shape, its fans under that layout, its moments, which known schemes
 * its values fit (inspect_match.c) and whether it stands out: a tensor that
 * fits nothing, holds non-finite values, or whose std is an order of
 * magnitude off the tensors of the same role in the other blocks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inspect.h"

typedef struct inspect_opts {
    const char *plot_path;
    const char *max_memory_text;
    int json;
} inspect_opts;

static const cli_option inspect_options[] = {
    CLI_OPT("json", CLI_FLAG, inspect_opts, json, NULL,
            "print one JSON object: {file, format, tensors: [...]} (docs/inspect.md)"),
    CLI_OPT("plot", CLI_STRING, inspect_opts, plot_path, "FILE.png",
            "draw each tensor's std against the matched schemes' predictions (.png/.svg/.pdf)"),
    CLI_OPT("max-memory", CLI_STRING, inspect_opts, max_memory_text, "SIZE",
            "refuse files or tensors needing more (default: half the RAM, at most 8G)"),
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

static void help(FILE *f)
{
    fprintf(f, "usage: initlab inspect FILE [--json] [--plot FILE.png]\n\n"
               "Read the tensors of FILE (.npz from np.savez or np.savez_compressed,\n"
               ".safetensors, one .npy, or a folder of .npy files) and print, per tensor,\n"
               "its shape, dtype, guessed layout and fans, mean, std, min, max, non-finite\n"
               "count, the initializer specs its values fit (specs 'initlab init' takes)\n"
               "and a flag when it fits none or its std is 10x off its neighbours'.\n\n"
               "Options:\n");
    cli_print_options(f, inspect_options);
    fprintf(f, "\nExample: initlab inspect model.safetensors --json\n");
}

/* ---- names: layouts, roles, blocks ---- */

/* Is 'word' one of name's dot-separated components, or (prefix) does a
 * component start with it, or (contains) hold it? */
static int has_component(const char *name, const char *word, int how)
{
    size_t n = strlen(word);
    for (const char *c = name; *c;) {
        const char *end = strchr(c, '.');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        if ((how == 0 && len == n && strncmp(c, word, n) == 0) ||
            (how == 1 && len >= n && strncmp(c, word, n) == 0))
            return 1;
        if (how == 2)
            for (size_t i = 0; i + n <= len; i++)
                if (strncmp(c + i, word, n) == 0)
                    return 1;
        c += len + (end != NULL);
    }
    return 0;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

static int is_norm(const char *name)
{
    return has_component(name, "norm", 2) || has_component(name, "ln", 1) ||
           has_component(name, "bn", 1);
}

/* The layout torch or Keras would store this tensor in, judged from its
 * rank and name: torch's (out, in, k...) unless a name says "kernel"
 * (Keras's and Flax's weights, (k..., in, out)). */
static void guess_layout(inspect_tensor *x)
{
    const char *name = x->t->name;
    size_t nd = x->t->array.ndim;
    int keras = has_component(name, "kernel", 2);
    static const char *const torch_text[] = {
        NULL,
        NULL,
        "torch linear (out, in)",
        "torch conv1d (out, in/groups, k)",
        "torch conv2d (out, in/groups, kh, kw)",
        "torch conv3d (out, in/groups, kd, kh, kw)",
    };
    static const char *const keras_text[] = {
        NULL,
        NULL,
        "keras dense (in, out)",
        "keras conv1d (k, in/groups, out)",
        "keras conv2d (kh, kw, in/groups, out)",
        "keras conv3d (kd, kh, kw, in/groups, out)",
    };
    x->layout = keras ? IL_LAYOUT_KERAS : IL_LAYOUT_TORCH;
    if (nd == 0) {
        x->layout_text = "scalar";
    } else if (nd == 1) {
        x->layout_text = is_norm(name)             ? "norm (features)"
                         : ends_with(name, "bias") ? "bias (out)"
                                                   : "vector (n)";
    } else if (nd == 2 && !keras &&
               (has_component(name, "embed", 2) || has_component(name, "wte", 0) ||
                has_component(name, "wpe", 0))) {
        x->layout_text = "torch embedding (num, dim)";
    } else if (nd <= 5) {
        x->layout_text = keras ? keras_text[nd] : torch_text[nd];
    } else {
        x->layout_text = keras ? "keras (k..., in, out)" : "torch (out, in, k...)";
    }
    if (nd >= 2 &&
        il_fan_compute(x->t->array.shape, nd, x->layout, &x->fan_in, &x->fan_out, NULL) == IL_OK)
        x->has_fans = 1;
}

/* The role of a name: its all-digit components as '*' ("h.*.attn.c_proj.weight"). */
static char *role_of(const char *name)
{
    size_t n = strlen(name);
    char *r = il_malloc(n + 1), *o = r;
    if (!r)
        return NULL;
    for (const char *c = name; *c;) {
        const char *end = strchr(c, '.');
        size_t len = end ? (size_t)(end - c) : strlen(c), d = 0;
        while (d < len && c[d] >= '0' && c[d] <= '9')
            d++;
        if (d == len) {
            *o++ = '*';
        } else {
            memcpy(o, c, len);
            o += len;
        }
        if (end)
            *o++ = '.';
        c += len + (end != NULL);
    }
    *o = '\0';
    return r;
}

/* The first all-digit component's value, or -1: the block a tensor is in. */
static long block_of(const char *name)
{
    for (const char *c = name; *c;) {
        const char *end = strchr(c, '.');
        size_t len = end ? (size_t)(end - c) : strlen(c), d = 0;
        while (d < len && d < 9 && c[d] >= '0' && c[d] <= '9')
            d++;
        if (d == len && len > 0)
            return strtol(c, NULL, 10);
        c += len + (end != NULL);
    }
    return -1;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

/* How many distinct blocks the names number (GPT-2's L). */
static size_t count_blocks(const inspect_tensor *xs, size_t n, long *scratch)
{
    size_t k = 0, distinct = 0;
    for (size_t i = 0; i < n; i++) {
        long b = block_of(xs[i].t->name);
        if (b >= 0)
            scratch[k++] = b;
    }
    qsort(scratch, k, sizeof *scratch, cmp_long);
    for (size_t i = 0; i < k; i++)
        if (i == 0 || scratch[i] != scratch[i - 1])
            distinct++;
    return distinct;
}

/* The fan_in of the weight 'x' is the bias of (PREFIX.bias beside a
 * PREFIX.weight of 2 or more dims), or 0. */
static size_t bias_fan_in(const inspect_tensor *x, const inspect_tensor *xs, size_t n)
{
    const char *name = x->t->name;
    size_t len = strlen(name);
    if (x->t->array.ndim != 1 || !ends_with(name, "bias") || is_norm(name))
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char *w = xs[i].t->name;
        if (xs[i].has_fans && strlen(w) == len + 2 && strncmp(w, name, len - 4) == 0 &&
            strcmp(w + len - 4, "weight") == 0)
            return xs[i].fan_in;
    }
    return 0;
}

typedef struct role_ref {
    const char *role;
    size_t index;
} role_ref;

static int by_role(const void *a, const void *b)
{
    const role_ref *x = a, *y = b;
    int c = strcmp(x->role, y->role);
    return c ? c : (x->index < y->index ? -1 : x->index > y->index);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Append 'why' to x's flag, "; " between reasons. */
static void add_flag(inspect_tensor *x, const char *why)
{
    size_t used = strlen(x->flag);
    if (used + 3 >= sizeof x->flag)
        return;
    snprintf(x->flag + used, sizeof x->flag - used, "%s%s", used ? "; " : "", why);
}

/* Flag an std an order of magnitude (10^0.9 = 7.9x or more, so that a
 * layer scaled by 10 is caught whatever the sampling noise) from the
 * median of the others of its role: the tensor of another block, if
 * only two, else the group's median (one outlier moves it by one rank). */
static void flag_neighbours(inspect_tensor *xs, size_t n, char **roles, role_ref *refs,
                            double *scratch)
{
    for (size_t i = 0; i < n; i++)
        refs[i] = (role_ref){roles[i], i};
    qsort(refs, n, sizeof *refs, by_role);
    for (size_t g = 0; g < n;) {
        size_t e = g, k = 0;
        while (e < n && strcmp(refs[e].role, refs[g].role) == 0)
            e++;
        for (size_t j = g; j < e; j++) {
            double s = xs[refs[j].index].stats.std;
            if (isfinite(s) && s > 0)
                scratch[k++] = s;
        }
        if (k >= 2) {
            double med;
            qsort(scratch, k, sizeof *scratch, cmp_double);
            med = k % 2 ? scratch[k / 2] : 0.5 * (scratch[k / 2 - 1] + scratch[k / 2]);
            for (size_t j = g; j < e; j++) {
                inspect_tensor *x = &xs[refs[j].index];
                double s = x->stats.std, ref = med;
                if (!(isfinite(s) && s > 0))
                    continue;
                if (k == 2) /* the other one */
                    ref = scratch[0] == s ? scratch[1] : scratch[0];
                if (fabs(log10(s / ref)) >= 0.9) {
                    char why[128];
                    snprintf(why, sizeof why,
                             "std %.3g is %.3gx that of the same tensor in the "
                             "other blocks (%.3g)",
                             s, s / ref, ref);
                    add_flag(x, why);
                }
            }
        }
        g = e;
    }
}

/* ---- output ---- */

/* 's' as a JSON string: escapes, and U+FFFD for a byte outside UTF-8 (a
 * path's, names are UTF-8 already). */
static void json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc(c, f);
            i++;
        } else {
            size_t k = il_utf8_length(p + i, n - i);
            if (k == 0) {
                fputs("\\ufffd", f);
                i++;
            } else {
                fwrite(p + i, 1, k, f);
                i += k;
            }
        }
    }
    fputc('"', f);
}

static void print_json(const char *path, il_tensor_format fmt, const inspect_tensor *xs, size_t n)
{
    printf("{\"file\": ");
    json_string(stdout, path);
    printf(", \"format\": \"%s\", \"tensors\": [", il_tensor_format_name(fmt));
    for (size_t i = 0; i < n; i++) {
        const inspect_tensor *x = &xs[i];
        const struct {
            const char *key;
            double v;
        } nums[] = {{"mean", x->stats.mean},
                    {"std", x->stats.std},
                    {"min", x->stats.min},
                    {"max", x->stats.max}};
        printf("%s\n  {\"name\": ", i ? "," : "");
        json_string(stdout, x->t->name);
        printf(", \"shape\": [");
        for (size_t d = 0; d < x->t->array.ndim; d++)
            printf("%s%zu", d ? ", " : "", x->t->array.shape[d]);
        printf("], \"dtype\": \"%s\", \"layout\": \"%s\", ", x->t->dtype, x->layout_text);
        if (x->has_fans)
            printf("\"fan_in\": %zu, \"fan_out\": %zu", x->fan_in, x->fan_out);
        else
            printf("\"fan_in\": null, \"fan_out\": null");
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
            printf(", \"%s\": ", nums[k].key);
            cli_json_number(stdout, nums[k].v);
        }
        printf(", \"nonfinite\": %zu, \"matches\": [", x->stats.nonfinite);
        for (size_t k = 0; k < x->n_matches; k++) {
            printf("%s", k ? ", " : "");
            json_string(stdout, x->matches[k]);
        }
        printf("], \"flag\": ");
        if (x->flag[0])
            json_string(stdout, x->flag);
        else
            printf("null");
        printf("}");
    }
    printf("\n]}\n");
}

static void print_text(const char *path, il_tensor_format fmt, const inspect_tensor *xs, size_t n)
{
    char safe[TERM_ESCAPE_MAX];
    size_t flagged = 0;
    printf("%s: %s, %zu tensor%s\n", term_escape(safe, sizeof safe, path),
           il_tensor_format_name(fmt), n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        const inspect_tensor *x = &xs[i];
        char shape[128] = "(";
        size_t used = 1;
        for (size_t d = 0; d < x->t->array.ndim && used < sizeof shape - 24; d++)
            used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%zu", d ? ", " : "",
                                     x->t->array.shape[d]);
        snprintf(shape + used, sizeof shape - used, x->t->array.ndim == 1 ? ",)" : ")");
        printf("\n%s  %s %s, %s", term_escape(safe, sizeof safe, x->t->name), shape, x->t->dtype,
               x->layout_text);
        if (x->has_fans)
            printf(", fan_in %zu, fan_out %zu", x->fan_in, x->fan_out);
        printf("\n  mean %-11.4g std %-11.4g min %-11.4g max %-11.4g non-finite %zu\n",
               x->stats.mean, x->stats.std, x->stats.min, x->stats.max, x->stats.nonfinite);
        printf("  matches:");
        for (size_t k = 0; k < x->n_matches; k++)
            printf(" %s%s", x->matches[k], k + 1 < x->n_matches ? "," : "");
        printf("%s\n", x->n_matches ? "" : " none");
        if (x->flag[0]) {
            printf("  FLAG: %s\n", x->flag);
            flagged++;
        }
    }
    printf("\n%zu of %zu tensors flagged\n", flagged, n);
}

/* std per tensor (points) and each matched scheme's prediction (dashed). */
static int draw(const char *plot_path, const char *path, const inspect_tensor *xs, size_t n)
{
    const char *specs[IL_PLOT_MAX_SERIES - 1];
    il_line_series series[IL_PLOT_MAX_SERIES];
    double *buf = il_malloc_n(n, sizeof(double) * (IL_PLOT_MAX_SERIES + 1));
    size_t n_specs = 0;
    char title[256], safe[TERM_ESCAPE_MAX];
    const char *ext = strrchr(plot_path, '.');
    int fmt = ext ? il_plot_format_from_name(ext + 1) : -1;
    il_line_plot p;
    il_error err;
    il_status st;

    if (!buf || fmt < 0) { /* the extension was checked before the file was read */
        int nomem = !buf;
        il_free(buf);
        cli_error("inspect: %s",
                  nomem ? "out of memory" : "--plot FILE must end in .png, .svg or .pdf");
        return nomem ? EXIT_NOMEM : EXIT_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < xs[i].n_matches && n_specs < IL_PLOT_MAX_SERIES - 1; k++) {
            size_t j = 0;
            if (!(xs[i].predicted[k] > 0)) /* zeros and ones: nothing on a log axis */
                continue;
            while (j < n_specs && strcmp(specs[j], xs[i].matches[k]) != 0)
                j++;
            if (j == n_specs)
                specs[n_specs++] = xs[i].matches[k];
        }
    }
    for (size_t i = 0; i < n; i++) {
        buf[i] = (double)(i + 1);
        buf[n + i] = xs[i].stats.std;
        for (size_t j = 0; j < n_specs; j++)
            buf[(2 + j) * n + i] = inspect_predict(&xs[i], specs[j]);
    }
    series[0] = (il_line_series){"measured std", buf + n, IL_LINE_SOLID, 1};
    for (size_t j = 0; j < n_specs; j++)
        series[1 + j] = (il_line_series){specs[j], buf + (2 + j) * n, IL_LINE_DASHED, 2 + j % 9};
    snprintf(title, sizeof title, "std per tensor: %s", term_escape(safe, 200, path));
    p = (il_line_plot){
        title, "tensor (file order, as in the table)", "std", buf, n, series, 1 + n_specs, 1};
    st = cli_write_lines(plot_path, &p, (il_plot_format)fmt, &err);
    il_free(buf);
    if (st != IL_OK) {
        cli_error("inspect: %s", err.message);
        return cli_exit_for(st);
    }
    return EXIT_OK;
}

int cmd_inspect(int argc, char **argv)
{
    inspect_opts o = {0};
    int npos, rc;
    size_t cap = cli_default_memory_cap(), n = 0, n_blocks;
    il_tensor_list list = {0};
    il_tensor_format fmt;
    inspect_tensor *xs = NULL;
    char **roles = NULL;
    role_ref *refs = NULL;
    double *scratch = NULL;
    long *blocks = NULL;
    il_error err;
    il_status st;

    if (!cli_begin("inspect", inspect_options, &o, help, -1, argc, argv, &npos, &rc))
        return rc;
    if (npos != 1) {
        cli_error("inspect: %s (see 'initlab inspect --help')",
                  npos ? "give exactly one FILE" : "missing the FILE to read");
        return EXIT_USAGE;
    }
    if (o.plot_path && (!strrchr(o.plot_path, '.') ||
                        il_plot_format_from_name(strrchr(o.plot_path, '.') + 1) < 0)) {
        cli_error("inspect: --plot FILE must end in .png, .svg or .pdf");
        return EXIT_USAGE;
    }
    if (o.max_memory_text &&
        (rc = cli_parse_bytes("inspect", "--max-memory", o.max_memory_text, &cap)) != 0)
        return rc;
    if ((st = il_tensors_load(argv[1], cap, &list, &fmt, &err)) != IL_OK) {
        char safe[TERM_ESCAPE_MAX];
        cli_error("inspect: %s: %s", term_escape(safe, sizeof safe, argv[1]), err.message);
        return cli_exit_for(st);
    }
    for (size_t i = 0; i < list.n; i++)
        if (!list.items[i].skipped)
            n++;
    xs = il_calloc(n ? n : 1, sizeof *xs);
    roles = il_calloc(n ? n : 1, sizeof *roles);
    refs = il_malloc_n(n ? n : 1, sizeof *refs);
    scratch = il_malloc_n(n ? n : 1, sizeof *scratch);
    blocks = il_malloc_n(n ? n : 1, sizeof *blocks);
    rc = xs && roles && refs && scratch && blocks ? EXIT_OK : EXIT_NOMEM;
    for (size_t i = 0, k = 0; rc == EXIT_OK && i < list.n; i++) {
        char safe[TERM_ESCAPE_MAX];
        if (list.items[i].skipped) {
            fprintf(stderr, "initlab: inspect: skipped %s (%s, not a float type)\n",
                    term_escape(safe, sizeof safe, list.items[i].name), list.items[i].dtype);
            continue;
        }
        xs[k].t = &list.items[i];
        guess_layout(&xs[k]);
        inspect_stats_of(&list.items[i].array, &xs[k].stats);
        if (!(roles[k] = role_of(list.items[i].name)))
            rc = EXIT_NOMEM;
        k++;
    }
    if (rc == EXIT_OK) {
        n_blocks = count_blocks(xs, n, blocks);
        for (size_t i = 0; i < n; i++) {
            size_t bias_fan = bias_fan_in(&xs[i], xs, n);
            if (bias_fan > 0) { /* the fans a bias fill sees (il_init_fill_bias) */
                xs[i].has_fans = 1;
                xs[i].fan_in = bias_fan;
                xs[i].fan_out = xs[i].t->array.shape[0];
            }
            inspect_match(&xs[i], bias_fan, strstr(xs[i].t->name, "proj") ? n_blocks : 0);
        }
        for (size_t i = 0; i < n; i++) {
            if (xs[i].stats.nonfinite) {
                char why[64];
                snprintf(why, sizeof why, "%zu non-finite values", xs[i].stats.nonfinite);
                add_flag(&xs[i], why);
            }
            if (xs[i].n_matches == 0 && xs[i].stats.n < INSPECT_MIN_VALUES)
                add_flag(&xs[i], "too few values to match a random scheme");
            else if (xs[i].n_matches == 0)
                add_flag(&xs[i], "matches no known scheme");
        }
        flag_neighbours(xs, n, roles, refs, scratch);
        if (o.json)
            print_json(argv[1], fmt, xs, n);
        else
            print_text(argv[1], fmt, xs, n);
        if (o.plot_path && n > 0)
            rc = draw(o.plot_path, argv[1], xs, n);
    } else {
        cli_error("inspect: out of memory");
    }
    for (size_t i = 0; roles && i < n; i++)
        il_free(roles[i]);
    il_free(roles);
    il_free(refs);
    il_free(scratch);
    il_free(blocks);
    il_free(xs);
    il_tensor_list_release(&list);
    return rc;
}
