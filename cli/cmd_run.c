/* SPDX-License-Identifier: MIT */
/*
 * initlab run: the lecture generalised. Arms (initializer / activation /
 * optional bias) run on one network shape, by default on common random
 * numbers (the same input batch and the same base noise per layer), and
 * every layer's activations are measured, tabulated and drawn.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MAX_LAYERS  100000
#define MAX_ARMS    CLI_LIST_MAX
#define PLOT_LAYERS 10 /* histogram panels per arm at most */
#define TABLE_ROWS  20 /* terminal rows per arm at most */

static cli_list arm_texts, init_texts, act_texts;
static const char *widths_text, *input_text = "normal", *rng_name, *out_dir = "initlab-out/run",
                                *format_name = "png", *bias_text, *max_memory_text;
static size_t depth = CLI_UNSET, width = CLI_UNSET, batch = CLI_UNSET, bins = 30;
static const char *config_path, *dtype_name = "f64";
static double range[2] = {(double)NAN, (double)NAN};
static uint64_t seed = 100;
static int save_activations, json, no_paired, paired_flag, grad, theory;
static const char *grad_source = "softmax_ce";
static size_t classes = 10;

static const cli_option run_options[] = {
    {"config", CLI_STRING, &config_path, "FILE.json",
     "the run as JSON: depth, width or widths, batch, seed, arms, grad, theory (docs/run.md)"},
    {"arm", CLI_MULTI, &arm_texts, "INIT/ACT[/BIAS]",
     "one network, e.g. kaiming_normal:nonlinearity=relu/relu (repeat for more)"},
    {"init", CLI_MULTI, &init_texts, "SPEC", "with --act: every init x every act (repeatable)"},
    {"act", CLI_MULTI, &act_texts, "NAME", "activation for the --init cross product (repeatable)"},
    {"bias", CLI_STRING, &bias_text, "SPEC",
     "bias initializer for arms that give none (default: no bias)"},
    {"widths", CLI_STRING, &widths_text, "W0,W1,...",
     "input width then layer widths, e.g. 784,512,512,10"},
    {"depth", CLI_SIZE, &depth, "L", "number of layers (default 5; with --width)"},
    {"width", CLI_SIZE, &width, "N", "input and layer width (default 100, or the file's columns)"},
    {"batch", CLI_SIZE, &batch, "B", "input rows (default 1000, or the file's rows)"},
    {"input", CLI_STRING, &input_text, "SPEC|FILE",
     "input distribution (default normal: N(0,1)), or a FILE.npy or FILE.csv of rows"},
    {"seed", CLI_SEED, &seed, "N", "generator seed (default 100)"},
    {"rng", CLI_STRING, &rng_name, "NAME",
     "generator: fast (philox, the default) or mt19937 (numpy's legacy stream; the default "
     "with --no-paired)"},
    {"paired", CLI_FLAG, &paired_flag, NULL,
     "common random numbers: one input, shared noise per layer (the default)"},
    {"no-paired", CLI_FLAG, &no_paired, NULL,
     "each arm its own draws, in the lecture's order (numpy-reproducible)"},
    {"out", CLI_STRING, &out_dir, "DIR", "output folder (default initlab-out/run)"},
    {"format", CLI_STRING, &format_name, "FMT", "figure format: png, svg or pdf (default png)"},
    {"bins", CLI_SIZE, &bins, "N", "histogram bins (default 30)"},
    {"range", CLI_RANGE, range, "LO,HI", "histogram range (default: from the activations)"},
    {"grad", CLI_FLAG, &grad, NULL,
     "also run backward: gradient tables, grad.<fmt>, grad_std.<fmt>, gradient fields"},
    {"grad-source", CLI_STRING, &grad_source, "SRC",
     "softmax_ce (random labels over a final linear layer; default) or unit (N(0,1) dL/da)"},
    {"classes", CLI_SIZE, &classes, "K", "labels for softmax_ce (default 10)"},
    {"theory", CLI_FLAG, &theory, NULL,
     "mean-field theory's prediction beside each measured layer (tables, figures, report)"},
    {"dtype", CLI_STRING, &dtype_name, "T",
     "f64 (default) or f32: float32 activations and weights, sgemm, the same draws; "
     "statistics in double (forward only)"},
    {"save-activations", CLI_FLAG, &save_activations, NULL,
     "write every layer's activations as arm<N>_layer<L>.npy"},
    {"max-memory", CLI_STRING, &max_memory_text, "SIZE",
     "refuse runs needing more (default: half the RAM, at most 8G)"},
    {"json", CLI_FLAG, &json, NULL, "print report.json to stdout instead of the tables"},
    {NULL, CLI_FLAG, NULL, NULL, NULL},
};

static void help(FILE *f)
{
    fprintf(f, "usage: initlab run --arm INIT/ACT[/BIAS] [--arm ...] [options]\n"
               "       initlab run --init SPEC [--init ...] --act NAME [--act ...] [options]\n\n"
               "Run networks of dense layers, y = act(x W + b), one per arm, and measure every\n"
               "layer's activations: the lecture generalised. INIT and BIAS are initializer\n"
               "specs (NAME[:key=value,...], see 'initlab list inits'), ACT an activation.\n"
               "W is (fan_in, fan_out), so fans are those of a dense layer.\n\n"
               "By default the arms are paired: they share the input batch and, per layer,\n"
               "the underlying normal or uniform noise, so differences come from the schemes\n"
               "alone. With --no-paired each arm draws its own numbers in the lecture's\n"
               "order (all inputs, then per layer each arm's weights and bias), which a\n"
               "numpy script with np.random.seed can reproduce.\n\n"
               "--input FILE.npy (float32 or float64) or FILE.csv (numbers, comma-separated)\n"
               "gives the input batch instead: a 2-D array of rows by input columns.\n\n"
               "Options:\n");
    cli_print_options(f, run_options);
    fprintf(f, "\nOutputs in DIR: report.json, stats.csv, arm<N>.<fmt> (histograms per layer),\n"
               "compare.<fmt> (arms x layers, shared axes), std.<fmt> (std per layer); with\n"
               "--grad also grad.<fmt> (histograms of dL/dz) and grad_std.<fmt> (std of dL/dz\n"
               "per layer). See docs/gradients.md. --theory draws the predicted histogram (red)\n"
               "over each panel and the predicted std (dashed) in std.<fmt>; docs/theory.md.\n"
               "Example: initlab run --depth 10 --width 256 --arm xavier_normal/tanh "
               "--arm kaiming_normal/relu\n");
}

/* ---- output ---- */

typedef struct save_ctx {
    const char *dir;
    il_error err;
} save_ctx;

static il_status save_layer(void *vctx, size_t arm, size_t layer, const double *act, size_t rows,
                            size_t cols)
{
    save_ctx *c = vctx;
    char path[4200];
    size_t shape[2] = {rows, cols};
    snprintf(path, sizeof path, "%s/arm%zu_layer%zu.npy", c->dir, arm + 1, layer + 1);
    return cli_write_npy(path, act, shape, 2, 0, &c->err);
}

/* Up to 'max' layers, evenly spaced, always the first and the last. */
static size_t pick_layers(size_t n_layers, size_t max, size_t *out)
{
    if (n_layers <= max) {
        for (size_t i = 0; i < n_layers; i++)
            out[i] = i;
        return n_layers;
    }
    for (size_t k = 0; k < max; k++)
        out[k] = (k * (n_layers - 1) + (max - 1) / 2) / (max - 1);
    return max;
}

static double pct(double f)
{
    return isfinite(f) ? 100.0 * f : (double)NAN;
}

static void print_arm(FILE *f, size_t a, const char *label, const il_exp_result *r, size_t n_layers,
                      const cli_theory *th)
{
    size_t rows[TABLE_ROWS], n = pick_layers(n_layers, TABLE_ROWS, rows);
    size_t first_bad, first_dead;
    int grads = il_exp_grad_pre(r, a, 0) != NULL;
    const il_theory_layer *pred = cli_theory_arm(th, a);

    fprintf(f, "\n  arm %zu: %s", a + 1, label);
    if (grads && isfinite(il_exp_loss(r, a)))
        fprintf(f, "   (loss %.4f)", il_exp_loss(r, a));
    fprintf(f, "\n    layer        mean         std         min         max   zeros  outside%s%s\n",
            pred ? "  theory mean  theory std" : "",
            grads ? "  std dL/dz  std dL/dW  dW/W ratio" : "");
    for (size_t i = 0; i < n; i++) {
        const il_layer_stats *s = il_exp_stats(r, a, rows[i]);
        double finite = (double)(s->count - s->nonfinite);
        double outside = finite > 0 ? 100.0 * (double)(s->below + s->above) / finite : (double)NAN;
        fprintf(f, "    %5zu", rows[i] + 1);
        if (s->count > s->nonfinite)
            fprintf(f, "  %10.4g  %10.4g  %10.4g  %10.4g  %5.1f%%  %6.1f%%", s->mean, s->std,
                    s->min, s->max, pct(s->frac_zero), outside);
        else
            fprintf(f, "  %10s  %10s  %10s  %10s  %6s  %7s", "-", "-", "-", "-", "-", "-");
        if (pred)
            fprintf(f, "  %11.4g  %10.4g", pred[rows[i]].act_mean, pred[rows[i]].act_std);
        if (grads)
            fprintf(f, "  %9.3g  %9.3g  %10.3g", il_exp_grad_pre(r, a, rows[i])->std,
                    il_exp_grad_w(r, a, rows[i])->std, il_exp_grad_ratio(r, a, rows[i]));
        if (s->nonfinite)
            fprintf(f, "  non-finite %.1f%%", 100.0 * (double)s->nonfinite / (double)s->count);
        fputc('\n', f);
    }
    if (n < n_layers)
        fprintf(f, "    (%zu of %zu layers shown; all are in stats.csv)\n", n, n_layers);
    first_bad = il_exp_first_nonfinite(r, a);
    first_dead = il_exp_first_dead(r, a);
    if (first_bad)
        fprintf(f, "    first layer with non-finite values: %zu (%.1f%% of its values)\n",
                first_bad,
                100.0 * (double)il_exp_stats(r, a, first_bad - 1)->nonfinite /
                    (double)il_exp_stats(r, a, first_bad - 1)->count);
    if (first_dead)
        fprintf(f, "    first layer that is all zeros: %zu\n", first_dead);
    if (cli_theory_note(th, a))
        fprintf(f, "    %s\n", cli_theory_note(th, a));
    if (il_exp_lsuv_iters(r, a)) {
        fprintf(f, "    lsuv rescalings per layer:");
        for (size_t l = 0; l < n_layers; l++)
            fprintf(f, " %zu", il_exp_lsuv_iters(r, a)[l]);
        fputc('\n', f);
    }
}

/* --config FILE.json: the request's values in place of the flags. */
static int apply_config(const char *path)
{
    static char text[IL_REQUEST_MAX_BYTES + 1], arm_buf[IL_REQUEST_MAX_ARMS][700],
        shape_buf[IL_REQUEST_MAX_LAYERS * 12 + 16];
    static il_run_request req;
    il_error err;
    il_status st;
    size_t len, used = 0;
    FILE *f;

    if (arm_texts.n || init_texts.n || act_texts.n || widths_text || depth != CLI_UNSET ||
        width != CLI_UNSET || batch != CLI_UNSET) {
        cli_error("run: --config gives the arms and the shape; leave out --arm, --init, --act, "
                  "--widths, --depth, --width and --batch");
        return EXIT_USAGE;
    }
    f = fopen(path, "rb");
    if (!f) {
        cli_error("run: cannot open '%s': %s", path, strerror(errno));
        return EXIT_RUNTIME;
    }
    len = fread(text, 1, sizeof text, f);
    fclose(f);
    if (len > IL_REQUEST_MAX_BYTES) {
        cli_error("run: %s: more than %d bytes", path, IL_REQUEST_MAX_BYTES);
        return EXIT_DATA;
    }
    err.message[0] = '\0';
    st = il_run_request_parse(text, len, 0, &req, &err);
    if (st != IL_OK) {
        cli_error("run: %s: %s", path, err.message);
        return EXIT_DATA;
    }
    used = (size_t)snprintf(shape_buf, sizeof shape_buf, "%zu", req.n_in);
    for (size_t l = 0; l < req.n_layers; l++)
        used += (size_t)snprintf(shape_buf + used, sizeof shape_buf - used, ",%zu", req.widths[l]);
    widths_text = shape_buf;
    batch = req.batch;
    seed = req.seed;
    grad |= req.grad;
    theory |= req.theory;
    for (size_t a = 0; a < req.n_arms; a++) {
        snprintf(arm_buf[a], sizeof arm_buf[a], "%s/%s%s%s", req.arms[a].init, req.arms[a].act,
                 req.arms[a].bias[0] ? "/" : "", req.arms[a].bias);
        arm_texts.items[arm_texts.n++] = arm_buf[a];
    }
    return 0;
}

int cmd_run(int argc, char **argv)
{
    static cli_arm_text texts[MAX_ARMS];
    static il_arm arms[MAX_ARMS];
    static char init_specs[MAX_ARMS][256], bias_specs[MAX_ARMS][256], labels[MAX_ARMS][640];
    static il_report_net rnets[MAX_ARMS];
    size_t n_arms = 0, n_layers, n_in, *widths = NULL, need, cap;
    int help_flag, npos, rc, fmt;
    const il_rng_type *rt;
    il_exp_config cfg;
    il_exp_result *res = NULL;
    il_rng *rng = NULL;
    cli_theory th_store, *th = NULL;
    il_array input = {0};
    il_error err;
    il_status st;
    save_ctx sctx;
    struct timespec t0;
    char b1[32], b2[32];

    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = cli_parse("run", run_options, argc, argv, &npos, &help_flag);
    if (rc)
        return rc;
    if (help_flag) {
        help(stdout);
        return EXIT_OK;
    }
    if (npos > 0) {
        cli_error("run: unexpected argument '%s' (see 'initlab run --help')", argv[1]);
        return EXIT_USAGE;
    }
    if (config_path && (rc = apply_config(config_path)) != 0)
        return rc;
    if (depth == CLI_UNSET)
        depth = 5;
    if (paired_flag && no_paired) {
        cli_error("run: --paired and --no-paired contradict each other");
        return EXIT_USAGE;
    }
    /* arms: --arm ..., then the --init x --act cross product */
    if ((rc = cli_make_arms("run", &arm_texts, &init_texts, &act_texts, bias_text, texts, arms,
                            &n_arms)) != 0)
        return rc;
    cap = cli_default_memory_cap();
    if (max_memory_text && (rc = cli_parse_bytes("run", "max-memory", max_memory_text, &cap)))
        return rc;
    if (cli_is_matrix_file(input_text)) { /* the batch comes from the file */
        if ((rc = cli_load_matrix("run", input_text, cap, &input)) != 0)
            return rc;
        if (batch != CLI_UNSET && batch != input.shape[0]) {
            cli_error("run: --batch %zu contradicts --input, which has %zu rows", batch,
                      input.shape[0]);
            rc = EXIT_USAGE;
            goto done;
        }
        batch = input.shape[0];
        if (width == CLI_UNSET)
            width = input.shape[1];
    }
    if (batch == CLI_UNSET)
        batch = 1000;
    if (width == CLI_UNSET)
        width = 100;
    /* the network's shape */
    if (widths_text) {
        size_t tmp[1024], n = cli_parse_shape("run", widths_text, tmp, 1024);
        if (n == 0) {
            rc = EXIT_USAGE;
            goto done;
        }
        if (n < 2) {
            cli_error("run: --widths needs the input width and at least one layer, e.g. 784,256");
            rc = EXIT_USAGE;
            goto done;
        }
        n_in = tmp[0];
        n_layers = n - 1;
        widths = il_malloc_n(n_layers, sizeof *widths);
        if (!widths) {
            rc = EXIT_NOMEM;
            goto done;
        }
        memcpy(widths, tmp + 1, n_layers * sizeof *widths);
    } else {
        if (depth == 0 || depth > MAX_LAYERS || width == 0) {
            cli_error("run: --depth must be 1..%d and --width at least 1", MAX_LAYERS);
            rc = EXIT_USAGE;
            goto done;
        }
        n_in = input.data ? input.shape[1] : width;
        n_layers = depth;
        widths = il_malloc_n(n_layers, sizeof *widths);
        if (!widths) {
            rc = EXIT_NOMEM;
            goto done;
        }
        for (size_t l = 0; l < n_layers; l++)
            widths[l] = width;
    }
    if (input.data && n_in != input.shape[1]) {
        cli_error("run: --input has %zu columns; --widths starts with %zu", input.shape[1], n_in);
        rc = EXIT_USAGE;
        goto done;
    }
    if (batch == 0) {
        cli_error("run: --batch must be at least 1");
        rc = EXIT_USAGE;
        goto done;
    }
    if (!(rt = cli_rng_type("run", rng_name, no_paired))) {
        rc = EXIT_USAGE;
        goto done;
    }
    fmt = il_plot_format_from_name(format_name);
    if (fmt < 0) {
        cli_error("run: unknown format '%s' (valid: png, svg, pdf)", format_name);
        rc = EXIT_USAGE;
        goto done;
    }
    if (bins == 0 || bins > IL_HIST_MAX_BINS) {
        cli_error("run: invalid value '%zu' for --bins: expected 1..%d", bins, IL_HIST_MAX_BINS);
        rc = EXIT_USAGE;
        goto done;
    }
    if (isnan(range[0])) { /* a range that shows every arm's activation */
        range[0] = (double)INFINITY;
        range[1] = -(double)INFINITY;
        for (size_t a = 0; a < n_arms; a++) {
            range[0] = fmin(range[0], arms[a].act.type->view_lo);
            range[1] = fmax(range[1], arms[a].act.type->view_hi);
        }
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.batch = batch;
    cfg.n_in = n_in;
    cfg.widths = widths;
    cfg.n_layers = n_layers;
    cfg.arms = arms;
    cfg.n_arms = n_arms;
    cfg.stats = (il_stats_config){bins, range[0], range[1], 0.01, 0.99};
    cfg.order = no_paired ? IL_EXP_LECTURE : IL_EXP_PAIRED;
    if (strcmp(dtype_name, "f64") != 0 && strcmp(dtype_name, "f32") != 0) {
        cli_error("run: unknown dtype '%s' (valid: f64, f32)", dtype_name);
        rc = EXIT_USAGE;
        goto done;
    }
    cfg.f32 = strcmp(dtype_name, "f32") == 0;
    if (cfg.f32 && (grad || save_activations)) {
        cli_error("run: --dtype f32 runs forward only: leave out --grad and --save-activations");
        rc = EXIT_USAGE;
        goto done;
    }
    if (grad) {
        if (strcmp(grad_source, "softmax_ce") == 0) {
            cfg.grad = IL_EXP_GRAD_SOFTMAX_CE;
        } else if (strcmp(grad_source, "unit") == 0) {
            cfg.grad = IL_EXP_GRAD_UNIT;
        } else {
            cli_error("run: unknown gradient source '%s' (valid: softmax_ce, unit)", grad_source);
            rc = EXIT_USAGE;
            goto done;
        }
        if (classes < 2 || classes > 100000) {
            cli_error("run: --classes must be 2..100000");
            rc = EXIT_USAGE;
            goto done;
        }
        cfg.classes = classes;
    }
    if (input.data) {
        il_init_parse("normal", &cfg.input, NULL); /* described, never drawn */
        cfg.input_data = input.data;
    } else if (access(input_text, F_OK) == 0) {
        cli_error("run: --input '%s' is a file or folder, but not a .npy or .csv file", input_text);
        rc = EXIT_USAGE;
        goto done;
    } else if (il_init_parse(input_text, &cfg.input, &err) != IL_OK) {
        cli_error("run: --input: %s (a file must end in .npy or .csv)", err.message);
        rc = EXIT_USAGE;
        goto done;
    }
    if (il_exp_memory(&cfg, &need) != IL_OK || need > cap) {
        if (il_exp_memory(&cfg, &need) != IL_OK)
            cli_error("run: this network is too large (its size overflows)");
        else
            cli_error("run: this network needs %s; the limit is %s (--max-memory)",
                      cli_format_bytes(b1, sizeof b1, (double)need),
                      cli_format_bytes(b2, sizeof b2, (double)cap));
        rc = EXIT_NOMEM;
        goto done;
    }
    if ((rc = cli_outdir_open("run", out_dir)) != 0)
        goto done;
    if (il_rng_new(rt, seed, &rng) != IL_OK) {
        cli_error("run: out of memory");
        rc = EXIT_NOMEM;
        goto done;
    }
    if (theory) {
        if ((st = cli_theory_make(&cfg, &th_store)) != IL_OK) {
            cli_error("run: theory: %s", il_status_str(st));
            rc = cli_exit_for(st);
            goto done;
        }
        th = &th_store;
    }
    sctx.dir = out_dir;
    sctx.err.message[0] = '\0';
    err.message[0] = '\0';
    st = il_exp_run(&cfg, rng, save_activations ? save_layer : NULL, &sctx, &res, &err);
    if (st != IL_OK) {
        cli_error("run: %s", err.message[0]
                                 ? err.message
                                 : (sctx.err.message[0] ? sctx.err.message : il_status_str(st)));
        rc = cli_exit_for(st);
        goto done;
    }
    for (size_t a = 0; a < n_arms; a++) {
        il_init_format(&arms[a].init, init_specs[a], sizeof init_specs[a]);
        if (arms[a].has_bias)
            il_init_format(&arms[a].bias, bias_specs[a], sizeof bias_specs[a]);
        snprintf(labels[a], sizeof labels[a], "%.255s/%.127s%s%.255s", texts[a].init, texts[a].act,
                 arms[a].has_bias ? "/" : "", arms[a].has_bias ? bias_specs[a] : "");
        rnets[a] = (il_report_net){init_specs[a],
                                   texts[a].act,
                                   labels[a],
                                   res,
                                   a,
                                   arms[a].has_bias ? bias_specs[a] : NULL,
                                   cli_theory_arm(th, a),
                                   cli_theory_note(th, a),
                                   NULL};
    }
    {
        il_report_group group = {1, rnets, n_arms};
        il_report report = {"run", seed, rt->name, &group, 1, 1, no_paired ? "lecture" : "paired",
                            theory};
        char path[4200];
        size_t pick[PLOT_LAYERS], n_pick = pick_layers(n_layers, PLOT_LAYERS, pick),
                                  numbers[PLOT_LAYERS];
        const il_layer_stats *panels[MAX_ARMS * PLOT_LAYERS];
        double *expected[MAX_ARMS * PLOT_LAYERS];
        size_t arm_of[MAX_ARMS];
        const char *row_labels[MAX_ARMS];
        char title[800];
        double *xs = NULL, *ys = NULL;

        for (size_t k = 0; k < n_pick; k++)
            numbers[k] = pick[k] + 1;
        st = cli_write_report(out_dir, &report, &err);
        for (size_t a = 0; a < n_arms; a++)
            arm_of[a] = a;
        for (size_t a = 0; st == IL_OK && a < n_arms; a++) {
            il_hist_grid g = {title,  1, n_pick,  NULL,
                              panels, 0, numbers, th ? (const double *const *)expected : NULL};
            for (size_t k = 0; k < n_pick; k++)
                panels[k] = il_exp_stats(res, a, pick[k]);
            if (th)
                st = cli_theory_grid(th, arms, arm_of + a, 1, pick, n_pick, panels, expected);
            snprintf(title, sizeof title, "arm %zu: %.640s%s", a + 1, labels[a],
                     cli_theory_arm(th, a) ? " (red: mean-field theory)" : "");
            snprintf(path, sizeof path, "%s/arm%zu.%s", out_dir, a + 1,
                     il_plot_format_ext((il_plot_format)fmt));
            if (st == IL_OK)
                st = cli_write_grid(path, &g, (il_plot_format)fmt, &err);
            if (th)
                cli_theory_grid_free(expected, n_pick);
        }
        if (st == IL_OK && n_arms <= 100) {
            il_hist_grid g = {title,  n_arms, n_pick,  row_labels,
                              panels, 1,      numbers, th ? (const double *const *)expected : NULL};
            for (size_t a = 0; a < n_arms; a++) {
                row_labels[a] = labels[a];
                for (size_t k = 0; k < n_pick; k++)
                    panels[a * n_pick + k] = il_exp_stats(res, a, pick[k]);
            }
            if (th)
                st = cli_theory_grid(th, arms, arm_of, n_arms, pick, n_pick, panels, expected);
            snprintf(title, sizeof title, "%zu arm%s, %zu layers (shared axes)%s", n_arms,
                     n_arms == 1 ? "" : "s", n_layers, th ? "; red: mean-field theory" : "");
            snprintf(path, sizeof path, "%s/compare.%s", out_dir,
                     il_plot_format_ext((il_plot_format)fmt));
            if (st == IL_OK)
                st = cli_write_grid(path, &g, (il_plot_format)fmt, &err);
            if (th)
                cli_theory_grid_free(expected, n_arms * n_pick);
        }
        xs = il_malloc_n(n_layers, sizeof *xs);
        ys = il_malloc_n(n_layers * n_arms * 2, sizeof *ys); /* measured, then predicted */
        if (st == IL_OK && (!xs || !ys))
            st = IL_ENOMEM;
        if (st == IL_OK) {
            il_line_series series[IL_PLOT_MAX_SERIES];
            size_t n_shown = n_arms < 10 ? n_arms : 10, n_series = 0;
            il_line_plot lp = {th ? "std of the activations, per layer (dashed: theory)"
                                  : "std of the activations, per layer",
                               "layer",
                               "std (log scale)",
                               xs,
                               n_layers,
                               series,
                               0,
                               1};
            static char theory_labels[10][32];
            for (size_t l = 0; l < n_layers; l++)
                xs[l] = (double)(l + 1);
            for (size_t a = 0; a < n_shown; a++) {
                double *y = ys + a * n_layers;
                for (size_t l = 0; l < n_layers; l++)
                    y[l] = il_exp_stats(res, a, l)->std;
                series[n_series++] = (il_line_series){labels[a], y, 0, a + 1};
            }
            for (size_t a = 0; a < n_shown; a++) {
                const il_theory_layer *pred = cli_theory_arm(th, a);
                double *y = ys + (n_arms + a) * n_layers;
                if (!pred)
                    continue;
                for (size_t l = 0; l < n_layers; l++)
                    y[l] = pred[l].act_std;
                snprintf(theory_labels[a], sizeof theory_labels[a], "arm %zu, theory", a + 1);
                series[n_series++] = (il_line_series){theory_labels[a], y, IL_LINE_DASHED, a + 1};
            }
            lp.n_series = n_series;
            snprintf(path, sizeof path, "%s/std.%s", out_dir,
                     il_plot_format_ext((il_plot_format)fmt));
            st = cli_write_lines(path, &lp, (il_plot_format)fmt, &err);
        }
        if (st == IL_OK && grad) {
            il_hist_grid g = {title, n_arms, n_pick, row_labels, panels, 0, numbers, NULL};
            for (size_t a = 0; a < n_arms; a++)
                for (size_t k = 0; k < n_pick; k++)
                    panels[a * n_pick + k] = il_exp_grad_pre(res, a, pick[k]);
            snprintf(title, sizeof title,
                     "dL/dz per layer (each panel over +-4 of its own std; "
                     "the scale is in grad_std)");
            snprintf(path, sizeof path, "%s/grad.%s", out_dir,
                     il_plot_format_ext((il_plot_format)fmt));
            st = cli_write_grid(path, &g, (il_plot_format)fmt, &err);
        }
        if (st == IL_OK && grad) {
            il_line_series series[10];
            size_t n_series = n_arms < 10 ? n_arms : 10;
            il_line_plot lp = {"std of dL/dz, per layer (back-propagated gradient)",
                               "layer",
                               "std (log scale)",
                               xs,
                               n_layers,
                               series,
                               n_series,
                               1};
            for (size_t a = 0; a < n_series; a++) {
                for (size_t l = 0; l < n_layers; l++)
                    ys[a * n_layers + l] = il_exp_grad_pre(res, a, l)->std;
                series[a] = (il_line_series){labels[a], ys + a * n_layers, 0, 0};
            }
            snprintf(path, sizeof path, "%s/grad_std.%s", out_dir,
                     il_plot_format_ext((il_plot_format)fmt));
            st = cli_write_lines(path, &lp, (il_plot_format)fmt, &err);
        }
        il_free(xs);
        il_free(ys);
        if (st != IL_OK) {
            cli_error("run: %s", err.message[0] ? err.message : il_status_str(st));
            rc = cli_exit_for(st);
            goto done;
        }
        if (json) {
            il_membuf mb = {0};
            st = il_report_write_json(&report, il_membuf_write, &mb);
            if (st == IL_OK)
                fwrite(mb.data, 1, mb.len, stdout);
            il_membuf_release(&mb);
        } else {
            printf("%zu arm%s; input %zu x %zu (%s); %zu layer%s of width %zu%s; %s; seed %llu "
                   "(%s)\n",
                   n_arms, n_arms == 1 ? "" : "s", batch, n_in, input_text, n_layers,
                   n_layers == 1 ? "" : "s", widths[0], widths_text ? " (first; see --widths)" : "",
                   no_paired ? "each arm its own draws" : "paired: shared input and noise",
                   (unsigned long long)seed, rt->name);
            for (size_t a = 0; a < n_arms; a++)
                print_arm(stdout, a, labels[a], res, n_layers, th);
            printf("\nwrote %s/: report.json, stats.csv, %zu figures (%s)%s in %.2f s\n", out_dir,
                   n_arms + 2 + (grad ? 2 : 0), format_name,
                   save_activations ? ", activations (.npy)" : "", cli_seconds_since(&t0));
        }
    }
    rc = EXIT_OK;
done:
    il_exp_result_free(res);
    il_rng_free(rng);
    if (th)
        cli_theory_free(th);
    il_free(widths);
    il_array_release(&input);
    return rc;
}
