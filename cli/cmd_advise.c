/* SPDX-License-Identifier: MIT */
/*
 * initlab advise: the lecture's closing question, "which initialization?",
 * answered for any activation from mean-field theory, and checked with a
 * short simulation (see docs/theory.md).
 *
 * Two scales are reported. sigma_w2_preserve keeps unit pre-activations at
 * unit second moment from layer to layer (the fixed point q = 1 of the
 * length map; for relu this is He's 2, for the activations torch has no
 * calculate_gain for it is the library's derived gain squared).
 * sigma_w2_critical puts the network at the edge of chaos, chi1 = 1.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define MAX_WIDTHS 1024

/* What the flags say. */
typedef struct advise_opts {
    const char *act_name;
    const char *sigma_b2_text;
    const char *widths_text;
    size_t batch;
    uint64_t seed;
    int json;
} advise_opts;

static const advise_opts advise_defaults = {
    .sigma_b2_text = "0",
    .widths_text = "100,100,100,100,100,100",
    .batch = 1000,
    .seed = 100,
};

static const cli_option advise_options[] = {
    CLI_OPT("act", CLI_STRING, advise_opts, act_name, "ACT",
            "activation (required; see 'initlab list acts')"),
    CLI_OPT("sigma-b2", CLI_STRING, advise_opts, sigma_b2_text, "Y",
            "bias variance, 0 <= Y < 1 (default 0)"),
    CLI_OPT("widths", CLI_STRING, advise_opts, widths_text, "W0,W1,...",
            "input width then layer widths for the check (default 100 then 5 x 100)"),
    CLI_OPT("batch", CLI_SIZE, advise_opts, batch, "B", "input rows for the check (default 1000)"),
    CLI_OPT("seed", CLI_SEED, advise_opts, seed, "N", "generator seed for the check (default 100)"),
    CLI_OPT("json", CLI_FLAG, advise_opts, json, NULL, "print one JSON object instead of the text"),
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

static void help(FILE *f)
{
    fprintf(f, "usage: initlab advise --act ACT [--widths W0,W1,...] [--sigma-b2 Y] [--json]\n\n"
               "Which initialization for this activation? From mean-field theory:\n"
               "  sigma_w2_preserve: fan_in * Var(w) that keeps unit pre-activations at unit\n"
               "    second moment, (1 - sigma_b2) / E[act(z)^2], and its gain sqrt(...);\n"
               "  sigma_w2_critical: the edge of chaos, chi1 = 1;\n"
               "  suggested_init: the nearest named initializer giving sigma_w2_preserve;\n"
               "then a forward pass through N(0,1) inputs at the given widths shows the\n"
               "per-layer std it gives.\n\nOptions:\n");
    cli_print_options(f, advise_options);
    fprintf(f, "\nJSON: {\"act\", \"sigma_w2_preserve\", \"gain_preserve\", "
               "\"sigma_w2_critical\", \"suggested_init\", \"layers\": [{\"layer\", "
               "\"std\", \"predicted_std\"}, ...]}\n");
}

/* The catalogue's presets and their fan_in * Var(w), tried before a
 * parameterised spec: a user recognises kaiming_normal:nonlinearity=relu. */
static const struct preset {
    const char *act; /* the activation this preset is named for; NULL: any */
    const char *spec;
    double sigma_w2;
} presets[] = {
    {"relu", "kaiming_normal:nonlinearity=relu", 2.0},
    {"tanh", "kaiming_normal:nonlinearity=tanh", 25.0 / 9.0},
    {"selu", "lecun_normal", 1.0},
    {NULL, "lecun_normal", 1.0},
};

/* Within 2% of the preset's scale: the preset; otherwise Xavier with a gain
 * when every layer is square (then fan_in = fan_out and Var = gain^2 /
 * fan_in), else Keras' variance scaling over fan_in. */
static void suggest(const char *act, double sigma_w2, int square, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        if (presets[i].act && strcmp(presets[i].act, act) != 0)
            continue;
        if (fabs(sigma_w2 / presets[i].sigma_w2 - 1) < 0.02) {
            snprintf(buf, size, "%s", presets[i].spec);
            return;
        }
    }
    if (square)
        snprintf(buf, size, "xavier_normal:gain=%.4g", sqrt(sigma_w2));
    else
        snprintf(buf, size,
                 "variance_scaling:scale=%.4g,mode=fan_in,distribution=untruncated_normal",
                 sigma_w2);
}

/* A forward pass with weights of exactly sigma_w2 / fan_in (and biases of
 * variance sigma_b2): the per-layer std, into 'std'. */
static int simulate(const advise_opts *o, const char *act, double sigma_w2, double sigma_b2,
                    const size_t *shape, size_t n, double *std)
{
    static il_run_spec s;
    il_run_result *res = NULL;
    il_error err;
    il_status st;

    il_run_spec_init(&s);
    snprintf(s.arms[0].init, sizeof s.arms[0].init,
             "variance_scaling:scale=%.17g,mode=fan_in,distribution=untruncated_normal", sigma_w2);
    snprintf(s.arms[0].act, sizeof s.arms[0].act, "%s", act);
    if (sigma_b2 > 0)
        snprintf(s.arms[0].bias, sizeof s.arms[0].bias, "normal:std=%.17g", sqrt(sigma_b2));
    s.n_arms = 1;
    s.batch = o->batch;
    s.seed = o->seed;
    s.bins = 10;
    s.lo = -1;
    s.hi = 1;
    err.message[0] = '\0';
    st = il_run_spec_set_widths(&s, shape[0], shape + 1, n - 1);
    if (st == IL_OK)
        st = il_run_spec_validate(&s, &err);
    if (st == IL_OK)
        st = il_run_execute(&s, NULL, &res, &err);
    if (st == IL_OK)
        for (size_t l = 0; l + 1 < n; l++)
            std[l] = il_exp_stats(il_run_result_exp(res), 0, l)->std;
    il_run_result_free(res);
    il_run_spec_release(&s);
    if (st != IL_OK) {
        cli_error("advise: %s", err.message[0] ? err.message : il_status_str(st));
        return cli_exit_for(st);
    }
    return 0;
}

int cmd_advise(int argc, char **argv)
{
    advise_opts opts = advise_defaults, *o = &opts;
    int npos, rc, square = 1;
    il_act act;
    il_error err;
    il_status st;
    double sigma_b2, preserve, critical = (double)NAN;
    double std[MAX_WIDTHS] = {0};
    il_theory_layer pred[MAX_WIDTHS] = {{0}};
    il_theory th;
    size_t shape[MAX_WIDTHS], n;
    char suggestion[160];

    if (!cli_begin("advise", advise_options, o, help, 0, argc, argv, &npos, &rc))
        return rc;
    if (!o->act_name) {
        cli_error("advise: --act is required (see 'initlab list acts')");
        return EXIT_USAGE;
    }
    if (il_act_parse(o->act_name, &act, &err) != IL_OK) {
        cli_error("advise: %s", err.message);
        return EXIT_USAGE;
    }
    if (!il_parse_number(o->sigma_b2_text, &sigma_b2) || sigma_b2 < 0 || sigma_b2 >= 1) {
        cli_error("advise: invalid value '%s' for --sigma-b2: expected a number in [0, 1)",
                  o->sigma_b2_text);
        return EXIT_USAGE;
    }
    n = cli_parse_shape("advise", o->widths_text, shape, MAX_WIDTHS);
    if (n == 0)
        return EXIT_USAGE;
    if (n < 2) {
        cli_error("advise: --widths needs the input width and at least one layer");
        return EXIT_USAGE;
    }
    if (o->batch == 0) {
        cli_error("advise: --batch must be at least 1");
        return EXIT_USAGE;
    }
    for (size_t i = 1; i < n; i++)
        square &= shape[i] == shape[0];

    st = il_theory_preserving(&act, sigma_b2, 1.0, &preserve);
    if (st != IL_OK) {
        cli_error("advise: %s has no second moment to preserve", o->act_name);
        return EXIT_USAGE;
    }
    st = il_theory_critical(&act, sigma_b2, 1.0, &critical);
    if (st != IL_OK)
        critical = (double)NAN; /* chi1 does not cross 1 in [1e-3, 1e3] */
    suggest(act.type->name, preserve, square, suggestion, sizeof suggestion);
    if ((rc = simulate(o, o->act_name, preserve, sigma_b2, shape, n, std)) != 0)
        return rc;
    /* the prediction for the simulation's N(0, 1) input: E[x^2] = 1 */
    st = il_theory_run(&act, preserve, sigma_b2, 1.0, n - 1, pred, &th);
    if (st != IL_OK) {
        cli_error("advise: %s", il_status_str(st));
        return cli_exit_for(st);
    }

    if (o->json) {
        printf("{\"act\": \"%s\", \"sigma_w2_preserve\": ", o->act_name);
        cli_json_number(stdout, preserve);
        printf(", \"gain_preserve\": ");
        cli_json_number(stdout, sqrt(preserve));
        printf(", \"sigma_w2_critical\": ");
        cli_json_number(stdout, critical);
        printf(", \"suggested_init\": \"%s\", \"layers\": [", suggestion);
        for (size_t l = 0; l + 1 < n; l++) {
            printf("%s{\"layer\": %zu, \"std\": ", l ? ", " : "", l + 1);
            cli_json_number(stdout, std[l]);
            printf(", \"predicted_std\": ");
            cli_json_number(stdout, pred[l].act_std);
            printf("}");
        }
        printf("]}\n");
        return EXIT_OK;
    }
    printf("%s, sigma_b2 %.6g\n", o->act_name, sigma_b2);
    printf("  keep the second moment:  sigma_w2 = fan_in * Var(w) = %.6g (gain %.6g)\n", preserve,
           sqrt(preserve));
    printf("  suggested initializer:   %s\n", suggestion);
    if (isfinite(critical))
        printf("  edge of chaos (chi1 = 1): sigma_w2 = %.6g (gain %.6g)\n", critical,
               sqrt(critical));
    else
        printf("  edge of chaos: none (chi1 does not reach 1 for sigma_w2 in [1e-3, 1e3])\n");
    printf("\n  check: %zu N(0,1) rows through widths %s, weights of variance %.4g / fan_in\n",
           o->batch, o->widths_text, preserve);
    printf("    layer    act std  predicted\n");
    for (size_t l = 0; l + 1 < n; l++)
        printf("    %5zu  %9.4f  %9.4f\n", l + 1, std[l], pred[l].act_std);
    return EXIT_OK;
}
