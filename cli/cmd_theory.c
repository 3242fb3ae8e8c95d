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

static const char *act_name = "relu", *sigma_w2_text, *sigma_b2_text = "0", *input_q_text = "1",
                  *init_text;
static size_t depth = 10, width;
static int json, critical;

static const cli_option theory_options[] = {
    {"act", CLI_STRING, &act_name, "ACT", "activation (default relu; see 'initlab list acts')"},
    {"sigma-w2", CLI_STRING, &sigma_w2_text, "X", "fan_in * Var(w) (default 1, or from --init)"},
    {"sigma-b2", CLI_STRING, &sigma_b2_text, "Y", "Var(b) (default 0)"},
    {"depth", CLI_SIZE, &depth, "L", "layers to predict (default 10)"},
    {"input-q", CLI_STRING, &input_q_text, "Q", "E[x^2] of the input (default 1: N(0,1) inputs)"},
    {"init", CLI_STRING, &init_text, "SPEC", "take sigma_w2 = N * Var(w) from an initializer"},
    {"width", CLI_SIZE, &width, "N", "fan_in for --init"},
    {"critical", CLI_FLAG, &critical, NULL, "also the sigma_w2 with chi1 = 1 (edge of chaos)"},
    {"json", CLI_FLAG, &json, NULL, "print one JSON object instead of the table"},
    {NULL, CLI_FLAG, NULL, NULL, NULL},
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
        "--critical); null where a value is undefined.\n");
}

static int parse_sigma(const char *opt, const char *text, double *out)
{
    if (!il_parse_number(text, out) || *out < 0) {
        cli_error("theory: invalid value '%s' for --%s: expected a finite number >= 0", text, opt);
        return EXIT_USAGE;
    }
    return 0;
}

/* Var(w) of a scheme's target: std^2 + mean^2 corrections for truncation. */
static double target_variance(const il_init_target *t)
{
    double var = t->std * t->std;
    if (isfinite(t->lo) && isfinite(t->hi) && t->std > 0) {
        double a = (t->lo - t->mean) / t->std, b = (t->hi - t->mean) / t->std;
        double pa = exp(-a * a / 2) / sqrt(2 * 3.14159265358979323846);
        double pb = exp(-b * b / 2) / sqrt(2 * 3.14159265358979323846);
        double z = 0.5 * (erfc(-b / sqrt(2.0)) - erfc(-a / sqrt(2.0))), m = (pa - pb) / z;
        var *= 1 + (a * pa - b * pb) / z - m * m;
    }
    return var + (isfinite(t->mean) ? t->mean * t->mean : 0.0);
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

int cmd_theory(int argc, char **argv)
{
    int help_flag, npos, rc;
    il_act act;
    il_error err;
    double sigma_w2 = 1.0, sigma_b2, input_q, crit = (double)NAN;
    il_theory th;
    il_theory_layer *layers = NULL;
    il_status st;

    rc = cli_parse("theory", theory_options, argc, argv, &npos, &help_flag);
    if (rc)
        return rc;
    if (help_flag) {
        help(stdout);
        return EXIT_OK;
    }
    if (npos > 0) {
        cli_error("theory: unexpected argument '%s' (see 'initlab theory --help')", argv[1]);
        return EXIT_USAGE;
    }
    if (il_act_parse(act_name, &act, &err) != IL_OK) {
        cli_error("theory: %s", err.message);
        return EXIT_USAGE;
    }
    if (depth == 0 || depth > MAX_DEPTH) {
        cli_error("theory: --depth must be 1..%d", MAX_DEPTH);
        return EXIT_USAGE;
    }
    if ((rc = parse_sigma("sigma-b2", sigma_b2_text, &sigma_b2)) != 0 ||
        (rc = parse_sigma("input-q", input_q_text, &input_q)) != 0)
        return rc;
    if (init_text && sigma_w2_text) {
        cli_error("theory: give --sigma-w2 or --init, not both");
        return EXIT_USAGE;
    }
    if (sigma_w2_text && (rc = parse_sigma("sigma-w2", sigma_w2_text, &sigma_w2)) != 0)
        return rc;
    if (init_text) {
        il_init init;
        il_init_target t;
        size_t shape[2] = {width, width};
        if (width == 0) {
            cli_error("theory: --init needs --width N (the layers' fan_in)");
            return EXIT_USAGE;
        }
        if (il_init_parse(init_text, &init, &err) != IL_OK ||
            il_init_describe(&init, shape, 2, IL_LAYOUT_DENSE, &t, &err) != IL_OK) {
            cli_error("theory: %s", err.message);
            return EXIT_USAGE;
        }
        sigma_w2 = (double)width * target_variance(&t);
        if (!isfinite(sigma_w2)) {
            cli_error("theory: '%s' has no variance to map (try --sigma-w2)", init_text);
            return EXIT_USAGE;
        }
    }
    layers = il_malloc_n(depth, sizeof *layers);
    if (!layers) {
        cli_error("theory: out of memory");
        return EXIT_NOMEM;
    }
    st = il_theory_run(&act, sigma_w2, sigma_b2, input_q, depth, layers, &th);
    if (st != IL_OK) {
        cli_error("theory: %s", il_status_str(st));
        il_free(layers);
        return cli_exit_for(st);
    }
    if (critical) {
        st = il_theory_critical(&act, sigma_b2, input_q, &crit);
        if (st == IL_ENOTFOUND)
            crit = (double)NAN; /* no edge of chaos in [1e-3, 1e3] */
    }
    if (json) {
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
        if (critical) {
            printf(", \"critical_sigma_w2\": ");
            cli_json_number(stdout, crit);
        }
        printf(", \"layers\": [");
        for (size_t l = 0; l < depth; l++) {
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
        printf("%s, sigma_w2 %.6g, sigma_b2 %.6g, E[x^2] %.6g%s%s\n", act_name, sigma_w2, sigma_b2,
               input_q, init_text ? " from " : "", init_text ? init_text : "");
        printf("  q* %.6g   c* %.6g   chi1 %.6g: %s\n", th.q_star, th.c_star, th.chi1,
               phase_name(th.chi1));
        printf("  depth scales: xi_q %.4g, xi_c %.4g layers%s\n", th.xi_q, th.xi_c,
               isinf(th.xi_c) ? " (infinite: signals survive any depth)" : "");
        if (critical) {
            if (isfinite(crit))
                printf("  edge of chaos: sigma_w2 = %.6g for sigma_b2 = %.6g\n", crit, sigma_b2);
            else
                printf("  edge of chaos: none for sigma_b2 = %.6g (chi1 never crosses 1)\n",
                       sigma_b2);
        }
        printf("\n    layer           q    act mean     act std\n");
        for (size_t l = 0; l < depth; l++) {
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
