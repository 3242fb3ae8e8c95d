/* SPDX-License-Identifier: MIT */
/*
 * initlab init: sample one tensor with an initializer, say what the scheme
 * aims at (fans, gain, std, bound) and what came out, and save it as .npy.
 */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAX_DIMS 8

/* What the flags say. */
typedef struct init_opts {
    const char *shape_text;
    const char *layout_name;
    const char *rng_name;
    const char *dtype;
    const char *out_path;
    const char *max_memory_text;
    uint64_t seed;
    int json;
} init_opts;

static const init_opts init_defaults = {
    .layout_name = "dense",
    .dtype = "f64",
    .seed = 100,
};

static const cli_option init_options[] = {
    CLI_OPT("shape", CLI_STRING, init_opts, shape_text, "D0,D1,...",
            "the tensor's shape (required), e.g. 256,784"),
    CLI_OPT("layout", CLI_STRING, init_opts, layout_name, "L",
            "dense (in, out) [default], torch (out, in, k...) or keras (k..., in, out)"),
    CLI_OPT("seed", CLI_SEED, init_opts, seed, "N", "generator seed (default 100)"),
    CLI_OPT("rng", CLI_STRING, init_opts, rng_name, "NAME", CLI_RNG_HELP),
    CLI_OPT("dtype", CLI_STRING, init_opts, dtype, "T",
            "f64 (default) or f32 (the f64 values, rounded)"),
    CLI_OPT(
        "out", CLI_STRING, init_opts, out_path, "FILE.npy",
        "write the tensor (np.load opens it); '-' for standard output, the text then on stderr"),
    CLI_OPT("max-memory", CLI_STRING, init_opts, max_memory_text, "SIZE",
            "refuse tensors needing more (default: half the RAM, at most 8G)"),
    CLI_OPT("json", CLI_FLAG, init_opts, json, NULL, "print one JSON object instead of text"),
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

static void help(FILE *f)
{
    fprintf(f, "usage: initlab init SPEC --shape D0,D1[,...] [options]\n\n"
               "Sample a tensor with the initializer SPEC (NAME[:key=value,...]; see\n"
               "'initlab list inits'), print its fans, gain, target std and bound and the\n"
               "sample's mean, std, min and max, and optionally save it as .npy.\n\n"
               "Options:\n");
    cli_print_options(f, init_options);
    fprintf(f, "\nExample: initlab init kaiming_normal:nonlinearity=relu --shape 256,784 "
               "--layout torch --out w.npy\n"
               "JSON keys: fan_in, fan_out, gain, std, bound, mean, sample_std, min, max\n"
               "(17 significant digits; null where a value does not apply).\n");
}

/* Statistics' pieces of a float32 tensor, as doubles (il_stats_map_fn). */
static void widen(void *ctx, double *x, size_t offset, size_t n)
{
    const float *w32 = ctx;
    for (size_t i = 0; i < n; i++)
        x[i] = (double)w32[offset + i];
}

static void text_number(FILE *f, const char *label, double v)
{
    if (isfinite(v))
        fprintf(f, "  %-10s %.17g\n", label, v);
    else
        fprintf(f, "  %-10s -\n", label);
}

int cmd_init(int argc, char **argv)
{
    init_opts opts = init_defaults, *o = &opts;
    int npos, rc, layout, f32;
    size_t shape[MAX_DIMS], ndim, numel, bytes, cap, fan_in = 0, fan_out = 0;
    il_init init;
    il_init_target target;
    il_error err;
    il_rng *rng = NULL;
    double *w = NULL, fi = (double)NAN, fo = (double)NAN;
    float *w32 = NULL; /* --dtype f32: the tensor, made without a float64 copy */
    il_layer_stats stats;
    il_stats_config scfg;
    char spec[256], b1[32], b2[32];
    const il_rng_type *rt;
    il_status st;
    int to_stdout;
    FILE *info; /* the text or JSON summary: stdout, unless the tensor goes there */

    if (!cli_begin("init", init_options, o, help, -1, argc, argv, &npos, &rc))
        return rc;
    if (npos != 1) {
        cli_error("init: %s (see 'initlab init --help')",
                  npos ? "give exactly one initializer SPEC" : "missing the initializer SPEC");
        return EXIT_USAGE;
    }
    if (!o->shape_text) {
        cli_error("init: --shape is required, e.g. --shape 256,784");
        return EXIT_USAGE;
    }
    if (il_init_parse(argv[1], &init, &err) != IL_OK) {
        cli_error("init: %s", err.message);
        return EXIT_USAGE;
    }
    ndim = cli_parse_shape("init", o->shape_text, shape, MAX_DIMS);
    if (ndim == 0)
        return EXIT_USAGE;
    layout = il_layout_from_name(o->layout_name);
    if (layout < 0) {
        cli_error("init: unknown layout '%s' (valid: dense, torch, keras)", o->layout_name);
        return EXIT_USAGE;
    }
    rt = cli_rng_type("init", o->rng_name, 0);
    if (!rt) {
        return EXIT_USAGE;
    }
    if (strcmp(o->dtype, "f64") != 0 && strcmp(o->dtype, "f32") != 0) {
        cli_error("init: unknown dtype '%s' (valid: f64, f32)", o->dtype);
        return EXIT_USAGE;
    }
    f32 = o->dtype[1] == '3';
    to_stdout = o->out_path && strcmp(o->out_path, "-") == 0;
    if (to_stdout && isatty(STDOUT_FILENO)) {
        /* as gzip: binary data on a terminal is never what was meant */
        cli_error("init: not writing a .npy file to a terminal (redirect '--out -' to a file or "
                  "a pipe)");
        return EXIT_USAGE;
    }
    info = to_stdout ? stderr : stdout;
    cap = cli_default_memory_cap();
    if (o->max_memory_text &&
        (rc = cli_parse_bytes("init", "max-memory", o->max_memory_text, &cap)))
        return rc;
    if (!il_shape_bytes(shape, ndim, sizeof(double), &bytes)) {
        cli_error("init: shape %s is too large (its size overflows)", o->shape_text);
        return EXIT_NOMEM;
    }
    numel = bytes / sizeof(double);
    if (f32)
        bytes = numel * sizeof(float);
    if (bytes > cap) {
        cli_error("init: shape %s needs %s; the limit is %s (--max-memory)", o->shape_text,
                  cli_format_bytes(b1, sizeof b1, (double)bytes),
                  cli_format_bytes(b2, sizeof b2, (double)cap));
        return EXIT_NOMEM;
    }
    /* Everything the scheme can refuse (shape, parameters) before drawing. */
    if ((st = il_init_describe(&init, shape, ndim, (il_layout)layout, &target, &err)) != IL_OK) {
        cli_error("init: %s", err.message);
        return cli_exit_for(st);
    }
    if (ndim >= 2 &&
        il_fan_compute(shape, ndim, (il_layout)layout, &fan_in, &fan_out, NULL) == IL_OK) {
        fi = (double)fan_in;
        fo = (double)fan_out;
    }
    if (f32)
        w32 = il_malloc_n(numel, sizeof *w32);
    else
        w = il_malloc_n(numel, sizeof *w);
    if ((!w && !w32) || il_rng_new(rt, o->seed, &rng) != IL_OK) {
        il_free(w);
        il_free(w32);
        cli_error("init: out of memory");
        return EXIT_NOMEM;
    }
    /* f32: il_init_fill's values rounded, drawn and rounded in pieces */
    st = f32 ? il_init_fill_f32(&init, shape, ndim, (il_layout)layout, rng, w32, &err)
             : il_init_fill(&init, shape, ndim, (il_layout)layout, rng, w, &err);
    if (st != IL_OK) {
        cli_error("init: %s", err.message);
        rc = cli_exit_for(st);
        goto done;
    }
    scfg = (il_stats_config){1, -1.0, 1.0, 0.0, 0.0};
    if (il_layer_stats_init(&stats, &scfg) != IL_OK) {
        cli_error("init: out of memory");
        rc = EXIT_NOMEM;
        goto done;
    }
    if (f32) /* report what is saved */
        il_layer_stats_add_made(&stats, numel, widen, w32);
    else
        il_layer_stats_add(&stats, w, numel);
    il_layer_stats_finish(&stats);
    il_layer_stats_release(&stats);
    if (o->out_path) {
        st = f32 ? cli_write_npy_floats(o->out_path, w32, shape, ndim, &err)
                 : cli_write_npy(o->out_path, w, shape, ndim, 0, &err);
        if (st != IL_OK) {
            cli_error("init: %s", err.message);
            rc = cli_exit_for(st);
            goto done;
        }
    }
    il_init_format(&init, spec, sizeof spec);
    if (o->json) {
        const struct {
            const char *key;
            double value;
        } fields[] = {{"fan_in", fi},
                      {"fan_out", fo},
                      {"gain", target.gain},
                      {"std", target.std},
                      {"bound", target.bound},
                      {"mean", stats.mean},
                      {"sample_std", stats.std},
                      {"min", stats.min},
                      {"max", stats.max}};
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            fprintf(info, "%s\"%s\": ", i ? ", " : "{", fields[i].key);
            cli_json_number(info, fields[i].value);
        }
        fprintf(info, "}\n");
    } else {
        fprintf(info, "%s on (", spec);
        for (size_t i = 0; i < ndim; i++)
            fprintf(info, "%zu%s", shape[i], i + 1 < ndim ? ", " : (ndim == 1 ? "," : ""));
        fprintf(info, "), layout %s: %s\n", o->layout_name, init.type->formula);
        fprintf(info, " target\n");
        text_number(info, "fan_in", fi);
        text_number(info, "fan_out", fo);
        text_number(info, "gain", target.gain);
        text_number(info, "mean", target.mean);
        text_number(info, "std", target.std);
        text_number(info, "bound", target.bound);
        if (isfinite(target.lo)) {
            text_number(info, "cut below", target.lo);
            text_number(info, "cut above", target.hi);
        }
        fprintf(info, " sample (%zu values, %s seed %llu%s)\n", numel, rt->name,
                (unsigned long long)o->seed, f32 ? ", rounded to f32" : "");
        text_number(info, "mean", stats.mean);
        text_number(info, "std", stats.std);
        text_number(info, "min", stats.min);
        text_number(info, "max", stats.max);
        if (to_stdout)
            fprintf(info, "wrote the tensor to standard output (%s)\n",
                    f32 ? "float32" : "float64");
        else if (o->out_path) {
            char safe[TERM_ESCAPE_MAX];
            fprintf(info, "wrote %s (%s)\n", term_escape(safe, sizeof safe, o->out_path),
                    f32 ? "float32" : "float64");
        }
    }
    rc = EXIT_OK;
done:
    il_rng_free(rng);
    il_free(w);
    il_free(w32);
    return rc;
}
