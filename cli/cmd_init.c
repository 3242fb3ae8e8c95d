/* SPDX-License-Identifier: MIT */
/*
 * initlab init: sample one tensor with an initializer, say what the scheme
 * aims at (fans, gain, std, bound) and what came out, and save it as .npy.
 */
#include <math.h>
#include <string.h>

#include "cli.h"

#define MAX_DIMS 8

static const char *shape_text, *layout_name = "dense", *rng_name, *dtype = "f64", *out_path,
                               *max_memory_text;
static uint64_t seed = 100;
static int json;

static const cli_option init_options[] = {
    {"shape", CLI_STRING, &shape_text, "D0,D1,...", "the tensor's shape (required), e.g. 256,784"},
    {"layout", CLI_STRING, &layout_name, "L",
     "dense (in, out) [default], torch (out, in, k...) or keras (k..., in, out)"},
    {"seed", CLI_SEED, &seed, "N", "generator seed (default 100)"},
    {"rng", CLI_STRING, &rng_name, "NAME", CLI_RNG_HELP},
    {"dtype", CLI_STRING, &dtype, "T", "f64 (default) or f32 (the f64 values, rounded)"},
    {"out", CLI_STRING, &out_path, "FILE.npy", "write the tensor (np.load opens it)"},
    {"max-memory", CLI_STRING, &max_memory_text, "SIZE",
     "refuse tensors needing more (default: half the RAM, at most 8G)"},
    {"json", CLI_FLAG, &json, NULL, "print one JSON object instead of text"},
    {NULL, CLI_FLAG, NULL, NULL, NULL},
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
    int help_flag, npos, rc, layout, f32;
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

    rc = cli_parse("init", init_options, argc, argv, &npos, &help_flag);
    if (rc)
        return rc;
    if (help_flag) {
        help(stdout);
        return EXIT_OK;
    }
    if (npos != 1) {
        cli_error("init: %s (see 'initlab init --help')",
                  npos ? "give exactly one initializer SPEC" : "missing the initializer SPEC");
        return EXIT_USAGE;
    }
    if (!shape_text) {
        cli_error("init: --shape is required, e.g. --shape 256,784");
        return EXIT_USAGE;
    }
    if (il_init_parse(argv[1], &init, &err) != IL_OK) {
        cli_error("init: %s", err.message);
        return EXIT_USAGE;
    }
    ndim = cli_parse_shape("init", shape_text, shape, MAX_DIMS);
    if (ndim == 0)
        return EXIT_USAGE;
    layout = il_layout_from_name(layout_name);
    if (layout < 0) {
        cli_error("init: unknown layout '%s' (valid: dense, torch, keras)", layout_name);
        return EXIT_USAGE;
    }
    rt = cli_rng_type("init", rng_name, 0);
    if (!rt) {
        return EXIT_USAGE;
    }
    if (strcmp(dtype, "f64") != 0 && strcmp(dtype, "f32") != 0) {
        cli_error("init: unknown dtype '%s' (valid: f64, f32)", dtype);
        return EXIT_USAGE;
    }
    f32 = dtype[1] == '3';
    cap = cli_default_memory_cap();
    if (max_memory_text && (rc = cli_parse_bytes("init", "max-memory", max_memory_text, &cap)))
        return rc;
    if (!il_shape_bytes(shape, ndim, sizeof(double), &bytes)) {
        cli_error("init: shape %s is too large (its size overflows)", shape_text);
        return EXIT_NOMEM;
    }
    numel = bytes / sizeof(double);
    if (f32)
        bytes = numel * sizeof(float);
    if (bytes > cap) {
        cli_error("init: shape %s needs %s; the limit is %s (--max-memory)", shape_text,
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
    if ((!w && !w32) || il_rng_new(rt, seed, &rng) != IL_OK) {
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
    if (out_path) {
        st = f32 ? cli_write_npy_floats(out_path, w32, shape, ndim, &err)
                 : cli_write_npy(out_path, w, shape, ndim, 0, &err);
        if (st != IL_OK) {
            cli_error("init: %s", err.message);
            rc = cli_exit_for(st);
            goto done;
        }
    }
    il_init_format(&init, spec, sizeof spec);
    if (json) {
        printf("{\"fan_in\": ");
        cli_json_number(stdout, fi);
        printf(", \"fan_out\": ");
        cli_json_number(stdout, fo);
        printf(", \"gain\": ");
        cli_json_number(stdout, target.gain);
        printf(", \"std\": ");
        cli_json_number(stdout, target.std);
        printf(", \"bound\": ");
        cli_json_number(stdout, target.bound);
        printf(", \"mean\": ");
        cli_json_number(stdout, stats.mean);
        printf(", \"sample_std\": ");
        cli_json_number(stdout, stats.std);
        printf(", \"min\": ");
        cli_json_number(stdout, stats.min);
        printf(", \"max\": ");
        cli_json_number(stdout, stats.max);
        printf("}\n");
    } else {
        printf("%s on (", spec);
        for (size_t i = 0; i < ndim; i++)
            printf("%zu%s", shape[i], i + 1 < ndim ? ", " : (ndim == 1 ? "," : ""));
        printf("), layout %s: %s\n", layout_name, init.type->formula);
        printf(" target\n");
        text_number(stdout, "fan_in", fi);
        text_number(stdout, "fan_out", fo);
        text_number(stdout, "gain", target.gain);
        text_number(stdout, "mean", target.mean);
        text_number(stdout, "std", target.std);
        text_number(stdout, "bound", target.bound);
        if (isfinite(target.lo)) {
            text_number(stdout, "cut below", target.lo);
            text_number(stdout, "cut above", target.hi);
        }
        printf(" sample (%zu values, %s seed %llu%s)\n", numel, rt->name, (unsigned long long)seed,
               f32 ? ", rounded to f32" : "");
        text_number(stdout, "mean", stats.mean);
        text_number(stdout, "std", stats.std);
        text_number(stdout, "min", stats.min);
        text_number(stdout, "max", stats.max);
        if (out_path)
            printf("wrote %s (%s)\n", out_path, f32 ? "float32" : "float64");
    }
    rc = EXIT_OK;
done:
    il_rng_free(rng);
    il_free(w);
    il_free(w32);
    return rc;
}
