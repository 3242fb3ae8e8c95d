/* SPDX-License-Identifier: MIT */
/*
 * initlab theory: mean-field predictions for a wide random network --
 * per-layer second moments and activation statistics, q*, c*, chi1, the
 * depth scales and the critical sigma_w2 (see docs/theory.md).
 */
#include <math.h>
#include <string.h>

#include "cli.h"

#define MAX_DEPTH 100000
#define MAX_GRID  40000 /* phase-diagram points (651, the default, take ~15 s for tanh) */

/* What the flags say. */
typedef struct theory_opts {
    const char *act_name;
    const char *sigma_w2_text;
    const char *sigma_b2_text;
    const char *input_q_text;
    const char *init_text;
    const char *grid_text;
    const char *out_dir;
    const char *format_name;
    size_t depth;
    size_t width;
    int json;
    int critical;
    int phase;
    double w_range[2];
    double b_range[2];
} theory_opts;

static const theory_opts theory_defaults = {
    .act_name = "relu",
    .sigma_b2_text = "0",
    .input_q_text = "1",
    .grid_text = "31,21",
    .out_dir = "initlab-out/theory",
    .format_name = "png",
    .depth = 10,
    .w_range = {0.5, 4.0},
    .b_range = {0.0, 0.5},
};

static const cli_option theory_options[] = {
    CLI_OPT("act", CLI_STRING, theory_opts, act_name, "ACT",
            "activation (default relu; see 'initlab list acts')"),
    CLI_OPT("sigma-w2", CLI_STRING, theory_opts, sigma_w2_text, "X",
            "fan_in * Var(w) (default 1, or from --init)"),
    CLI_OPT("sigma-b2", CLI_STRING, theory_opts, sigma_b2_text, "Y", "Var(b) (default 0)"),
    CLI_OPT("depth", CLI_SIZE, theory_opts, depth, "L", "layers to predict (default 10)"),
    CLI_OPT("input-q", CLI_STRING, theory_opts, input_q_text, "Q",
            "E[x^2] of the input (default 1: N(0,1) inputs)"),
    CLI_OPT("init", CLI_STRING, theory_opts, init_text, "SPEC",
            "take sigma_w2 = N * Var(w) from an initializer"),
    CLI_OPT("width", CLI_SIZE, theory_opts, width, "N", "fan_in for --init"),
    CLI_OPT("critical", CLI_FLAG, theory_opts, critical, NULL,
            "also the sigma_w2 with chi1 = 1 (edge of chaos)"),
    CLI_OPT("json", CLI_FLAG, theory_opts, json, NULL,
            "print one JSON object instead of the table"),
    CLI_OPT("phase", CLI_FLAG, theory_opts, phase, NULL,
            "draw the phase diagram: chi1 over (sigma_w2, sigma_b2) and the critical line"),
    CLI_OPT("w-range", CLI_RANGE, theory_opts, w_range, "LO,HI",
            "--phase: sigma_w2 axis (default 0.5,4)"),
    CLI_OPT("b-range", CLI_RANGE, theory_opts, b_range, "LO,HI",
            "--phase: sigma_b2 axis (default 0,0.5)"),
    CLI_OPT("grid", CLI_STRING, theory_opts, grid_text, "NX,NY",
            "--phase: grid points per axis (default 31,21)"),
    CLI_OPT("out", CLI_STRING, theory_opts, out_dir, "DIR",
            "--phase: output folder (default initlab-out/theory)"),
    CLI_OPT("format", CLI_STRING, theory_opts, format_name, "FMT",
            "--phase: png, svg or pdf (default png)"),
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

static void help(FILE *f)
{
    fprintf(f,
            "usage: initlab theory --act ACT [--sigma-w2 X | --init SPEC --width N] [options]\n\n"
            "Mean-field theory of a wide random network (Poole et al. 2016, Schoenholz et\n"
            "al. 2017): with weights of variance sigma_w2 / fan_in and biases of variance\n"
            "sigma_b2, each layer's pre-activation second moment follows\n"
            "  q_1 = sigma_w2 E[x^2] + sigma_b2,  q_l = sigma_w2 E[act(sqrt(q_{l-1}) z)^2] + "
            "sigma_b2,\n"
            "and chi1 = sigma_w2 E[act'(sqrt(q*) z)^2] tells order (< 1) from chaos (> 1).\n\n"
            "Options:\n");
    cli_print_options(f, theory_options);
    fprintf(
        f,
        "\nJSON: {\"q_star\", \"c_star\", \"chi1\", \"xi_q\", \"xi_c\", \"layers\": [{\"layer\", "
        "\"q\", \"act_mean\", \"act_std\"}, ...]}\n(and \"critical_sigma_w2\" with "
        "--critical); null where a value is undefined.\n"
        "--phase writes DIR/phase.FMT and DIR/phase.csv (sigma_w2,sigma_b2,q_star,chi1).\n");
}

static int parse_sigma(const char *opt, const char *text, double *out)
{
    if (!il_parse_number(text, out) || *out < 0) {
        cli_error("theory: invalid value '%s' for --%s: expected a finite number >= 0", text, opt);
        return EXIT_USAGE;
    }
    return 0;
}

/* E[w^2] of a scheme's target, the sigma_w2 / fan_in of mean-field theory:
 * variance plus squared mean, both after truncation. */
static double target_second_moment(const il_init_target *t)
{
    double mean, var;
    il_init_target_moments(t, &mean, &var);
    return var + mean * mean;
}

static const char *phase_name(double chi1)
{
    if (!isfinite(chi1))
        return "undefined";
    if (fabs(chi1 - 1) < 1e-6)
        return "critical (edge of chaos)";
    return chi1 < 1 ? "ordered (inputs converge, gradients vanish)"
                    : "chaotic (inputs decorrelate, gradients explode)";
}

typedef struct phase_csv {
    const double *w, *b, *q, *chi;
    size_t nx, ny;
} phase_csv;

static il_status produce_phase_csv(void *pctx, il_write_fn w, void *wctx)
{
    const phase_csv *c = pctx;
    char line[160];
    static const char head[] = "sigma_w2,sigma_b2,q_star,chi1\n";
    il_status st = w(wctx, head, sizeof head - 1);
    for (size_t j = 0; j < c->ny && st == IL_OK; j++)
        for (size_t i = 0; i < c->nx && st == IL_OK; i++) {
            size_t k = j * c->nx + i;
            int n = snprintf(line, sizeof line, "%.17g,%.17g,%.17g,%.17g\n", c->w[i], c->b[j],
                             c->q[k], c->chi[k]);
            st = w(wctx, line, (size_t)n);
        }
    return st;
}

/* chi1 over the (sigma_w2, sigma_b2) grid, coloured on a log scale with
 * white at chi1 = 1, and the critical line. */
static int run_phase(const theory_opts *o, const il_act *act, double input_q)
{
    size_t shape[2], nx, ny, n;
    double *w = NULL, *b = NULL, *q = NULL, *chi = NULL, *crit = NULL;
    char path[4200], title[160];
    il_error err;
    il_status st = IL_OK;
    int fmt = il_plot_format_from_name(o->format_name), rc = EXIT_OK;

    if (fmt < 0) {
        cli_error("theory: unknown --format '%s' (valid: png, svg, pdf)", o->format_name);
        return EXIT_USAGE;
    }
    if (cli_parse_shape("theory", o->grid_text, shape, 2) != 2) {
        cli_error("theory: --grid needs two counts, NX,NY");
        return EXIT_USAGE;
    }
    nx = shape[0];
    ny = shape[1];
    if (nx < 2 || ny < 2 || nx > MAX_GRID / ny) {
        cli_error("theory: --grid %zux%zu: each side at least 2 and at most %d points in all", nx,
                  ny, MAX_GRID);
        return EXIT_USAGE;
    }
    if (o->w_range[0] < 0 || o->b_range[0] < 0) {
        cli_error("theory: --w-range and --b-range must not go below 0");
        return EXIT_USAGE;
    }
    n = nx * ny;
    w = il_malloc_n(nx, sizeof *w);
    b = il_malloc_n(ny, sizeof *b);
    crit = il_malloc_n(ny, sizeof *crit);
    q = il_malloc_n(n, sizeof *q);
    chi = il_malloc_n(n, sizeof *chi);
    if (!w || !b || !crit || !q || !chi) {
        cli_error("theory: out of memory");
        rc = EXIT_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < nx; i++)
        w[i] = o->w_range[0] + (o->w_range[1] - o->w_range[0]) * (double)i / (double)(nx - 1);
    for (size_t j = 0; j < ny; j++)
        b[j] = o->b_range[0] + (o->b_range[1] - o->b_range[0]) * (double)j / (double)(ny - 1);
    for (size_t j = 0; j < ny && st == IL_OK; j++) {
        for (size_t i = 0; i < nx && st == IL_OK; i++)
            st = il_theory_chi1(act, w[i], b[j], input_q, &q[j * nx + i], &chi[j * nx + i]);
        /* the critical line where chi1 crosses 1 along the row, linearly
         * interpolated (bisection per row would cost 35 near-critical
         * fixed-point searches, each creeping at a rate near 1) */
        crit[j] = (double)NAN;
        for (size_t i = 1; i < nx; i++) {
            double c0 = chi[j * nx + i - 1] - 1, c1 = chi[j * nx + i] - 1;
            if (c0 <= 0 && c1 > 0) {
                crit[j] = w[i - 1] + (w[i] - w[i - 1]) * (c0 / (c0 - c1));
                break;
            }
        }
    }
    if (st != IL_OK) {
        cli_error("theory: %s", il_status_str(st));
        rc = cli_exit_for(st);
        goto done;
    }
    if ((rc = cli_outdir_open("theory", o->out_dir)) != 0)
        goto done;
    snprintf(title, sizeof title, "%s: order (chi1 < 1) and chaos (chi1 > 1); black: chi1 = 1",
             o->act_name);
    {
        il_heatmap h = {title,
                        "sigma_w2 = fan_in * Var(w)",
                        "sigma_b2 = Var(b)",
                        "chi1",
                        w,
                        b,
                        nx,
                        ny,
                        chi,
                        -log10(2.0),
                        log10(2.0),
                        1,
                        crit,
                        b,
                        ny};
        phase_csv c = {w, b, q, chi, nx, ny};
        char safe[TERM_ESCAPE_MAX];
        snprintf(path, sizeof path, "%s/phase.%s", o->out_dir,
                 il_plot_format_ext((il_plot_format)fmt));
        st = cli_write_heatmap(path, &h, (il_plot_format)fmt, &err);
        if (st == IL_OK) {
            printf("wrote %s\n", term_escape(safe, sizeof safe, path));
            snprintf(path, sizeof path, "%s/phase.csv", o->out_dir);
            st = cli_write_file(path, produce_phase_csv, &c, &err);
        }
        if (st != IL_OK) {
            cli_error("theory: %s", err.message);
            rc = cli_exit_for(st);
            goto done;
        }
        printf("wrote %s\n", term_escape(safe, sizeof safe, path));
    }
done:
    il_free(w);
    il_free(b);
    il_free(crit);
    il_free(q);
    il_free(chi);
    return rc;
}

int cmd_theory(int argc, char **argv)
{
    theory_opts opts = theory_defaults, *o = &opts;
    int npos, rc;
    il_act act;
    il_error err;
    double sigma_w2 = 1.0, sigma_b2, input_q, crit = (double)NAN;
    il_theory th;
    il_theory_layer *layers = NULL;
    il_status st;

    if (!cli_begin("theory", theory_options, o, help, 0, argc, argv, &npos, &rc))
        return rc;
    if (il_act_parse(o->act_name, &act, &err) != IL_OK) {
        cli_error("theory: %s", err.message);
        return EXIT_USAGE;
    }
    if (o->depth == 0 || o->depth > MAX_DEPTH) {
        cli_error("theory: --depth must be 1..%d", MAX_DEPTH);
        return EXIT_USAGE;
    }
    if ((rc = parse_sigma("sigma-b2", o->sigma_b2_text, &sigma_b2)) != 0 ||
        (rc = parse_sigma("input-q", o->input_q_text, &input_q)) != 0)
        return rc;
    if (o->init_text && o->sigma_w2_text) {
        cli_error("theory: give --sigma-w2 or --init, not both");
        return EXIT_USAGE;
    }
    if (o->sigma_w2_text && (rc = parse_sigma("sigma-w2", o->sigma_w2_text, &sigma_w2)) != 0)
        return rc;
    if (o->phase)
        return run_phase(o, &act, input_q);
    if (o->init_text) {
        il_init init;
        il_init_target t;
        size_t shape[2] = {o->width, o->width};
        if (o->width == 0) {
            cli_error("theory: --init needs --width N (the layers' fan_in)");
            return EXIT_USAGE;
        }
        if (il_init_parse(o->init_text, &init, &err) != IL_OK ||
            il_init_describe(&init, shape, 2, IL_LAYOUT_DENSE, &t, &err) != IL_OK) {
            cli_error("theory: %s", err.message);
            return EXIT_USAGE;
        }
        sigma_w2 = (double)o->width * target_second_moment(&t);
        if (!isfinite(sigma_w2)) {
            cli_error("theory: '%s' has no variance to map (try --sigma-w2)", o->init_text);
            return EXIT_USAGE;
        }
    }
    layers = il_malloc_n(o->depth, sizeof *layers);
    if (!layers) {
        cli_error("theory: out of memory");
        return EXIT_NOMEM;
    }
    st = il_theory_run(&act, sigma_w2, sigma_b2, input_q, o->depth, layers, &th);
    if (st != IL_OK) {
        cli_error("theory: %s", il_status_str(st));
        il_free(layers);
        return cli_exit_for(st);
    }
    if (o->critical) {
        st = il_theory_critical(&act, sigma_b2, input_q, &crit);
        if (st == IL_ENOTFOUND)
            crit = (double)NAN; /* no edge of chaos in [1e-3, 1e3] */
    }
    if (o->json) {
        printf("{\"q_star\": ");
        cli_json_number(stdout, th.q_star);
        printf(", \"c_star\": ");
        cli_json_number(stdout, th.c_star);
        printf(", \"chi1\": ");
        cli_json_number(stdout, th.chi1);
        printf(", \"xi_q\": ");
        cli_json_number(stdout, th.xi_q);
        printf(", \"xi_c\": ");
        cli_json_number(stdout, th.xi_c);
        if (o->critical) {
            printf(", \"critical_sigma_w2\": ");
            cli_json_number(stdout, crit);
        }
        printf(", \"layers\": [");
        for (size_t l = 0; l < o->depth; l++) {
            printf("%s{\"layer\": %zu, \"q\": ", l ? ", " : "", l + 1);
            cli_json_number(stdout, layers[l].q);
            printf(", \"act_mean\": ");
            cli_json_number(stdout, layers[l].act_mean);
            printf(", \"act_std\": ");
            cli_json_number(stdout, layers[l].act_std);
            printf("}");
        }
        printf("]}\n");
    } else {
        printf("%s, sigma_w2 %.6g, sigma_b2 %.6g, E[x^2] %.6g%s%s\n", o->act_name, sigma_w2,
               sigma_b2, input_q, o->init_text ? " from " : "", o->init_text ? o->init_text : "");
        printf("  q* %.6g   c* %.6g   chi1 %.6g: %s\n", th.q_star, th.c_star, th.chi1,
               phase_name(th.chi1));
        printf("  depth scales: xi_q %.4g, xi_c %.4g layers%s\n", th.xi_q, th.xi_c,
               isinf(th.xi_c) ? " (infinite: signals survive any depth)" : "");
        if (o->critical) {
            if (isfinite(crit))
                printf("  edge of chaos: sigma_w2 = %.6g for sigma_b2 = %.6g\n", crit, sigma_b2);
            else
                printf("  edge of chaos: none for sigma_b2 = %.6g (chi1 never crosses 1)\n",
                       sigma_b2);
        }
        printf("\n    layer           q    act mean     act std\n");
        for (size_t l = 0; l < o->depth; l++) {
            /* an odd activation's mean is 0; the quadrature leaves ~1e-17 */
            double m = fabs(layers[l].act_mean) < 1e-12 * (1 + layers[l].act_std)
                           ? 0.0
                           : layers[l].act_mean;
            printf("    %5zu  %10.5g  %10.5g  %10.5g\n", l + 1, layers[l].q, m, layers[l].act_std);
        }
    }
    il_free(layers);
    return EXIT_OK;
}
