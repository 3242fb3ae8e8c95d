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

#define TABLE_ROWS 20 /* terminal rows per arm at most */

/* What the flags say. */
typedef struct run_opts {
    cli_list arm_texts, init_texts, act_texts, recipe_texts;
    const char *net_text;
    int save_params, save_grads;
    const char *widths_text, *input_text, *rng_name, *out_dir, *format_name, *bias_text,
        *max_memory_text, *config_path, *dtype_name, *grad_source;
    size_t depth, width, batch, bins, classes;
    double range[2];
    uint64_t seed;
    int save_activations, json, no_paired, paired_flag, grad, theory, corr;
} run_opts;

static const run_opts run_defaults = {
    .input_text = "normal",
    .out_dir = "initlab-out/run",
    .format_name = "png",
    .dtype_name = "f64",
    .grad_source = "softmax_ce",
    .depth = CLI_UNSET,
    .width = CLI_UNSET,
    .batch = CLI_UNSET,
    .bins = 30,
    .classes = 10,
    .range = {(double)NAN, (double)NAN},
    .seed = 100,
};

static const cli_option run_options[] = {
    CLI_OPT(
        "config", CLI_STRING, run_opts, config_path, "FILE.json",
        "the run as JSON: depth, width or widths, batch, seed, arms, grad, theory (docs/run.md)"),
    CLI_OPT("net", CLI_STRING, run_opts, net_text, "PRESET|FILE.json",
            "a network of layer ops: mlp, resmlp, transformer, cnn (initlab list nets) or its "
            "JSON; arms are then --recipe NAME or --init SPEC"),
    CLI_OPT("recipe", CLI_MULTI, run_opts, recipe_texts, "NAME",
            "with --net: one arm initialized by a paper's recipe (initlab list recipes; repeat)"),
    CLI_OPT("arm", CLI_MULTI, run_opts, arm_texts, "INIT/ACT[/BIAS]",
            "one network, e.g. kaiming_normal:nonlinearity=relu/relu (repeat for more)"),
    CLI_OPT("init", CLI_MULTI, run_opts, init_texts, "SPEC",
            "with --act: every init x every act (repeatable)"),
    CLI_OPT("act", CLI_MULTI, run_opts, act_texts, "NAME",
            "activation for the --init cross product (repeatable)"),
    CLI_OPT("bias", CLI_STRING, run_opts, bias_text, "SPEC",
            "bias initializer for arms that give none (default: no bias)"),
    CLI_OPT("widths", CLI_STRING, run_opts, widths_text, "W0,W1,...",
            "input width then layer widths, e.g. 784,512,512,10"),
    CLI_OPT("depth", CLI_SIZE, run_opts, depth, "L", "number of layers (default 5; with --width)"),
    CLI_OPT("width", CLI_SIZE, run_opts, width, "N",
            "input and layer width (default 100, or the file's columns)"),
    CLI_OPT("batch", CLI_SIZE, run_opts, batch, "B",
            "input rows (default 1000, or the file's rows)"),
    CLI_OPT("input", CLI_STRING, run_opts, input_text, "SPEC|FILE",
            "input distribution (default normal: N(0,1)), or a FILE.npy or FILE.csv of rows"),
    CLI_OPT("seed", CLI_SEED, run_opts, seed, "N", "generator seed (default 100)"),
    CLI_OPT("rng", CLI_STRING, run_opts, rng_name, "NAME",
            "generator: fast (philox, the default) or mt19937 (numpy's legacy stream; the default "
            "with --no-paired)"),
    CLI_OPT("paired", CLI_FLAG, run_opts, paired_flag, NULL,
            "common random numbers: one input, shared noise per layer (the default)"),
    CLI_OPT("no-paired", CLI_FLAG, run_opts, no_paired, NULL,
            "each arm its own draws, in the lecture's order (numpy-reproducible)"),
    CLI_OPT("out", CLI_STRING, run_opts, out_dir, "DIR", "output folder (default initlab-out/run)"),
    CLI_OPT("format", CLI_STRING, run_opts, format_name, "FMT",
            "figure format: png, svg or pdf (default png)"),
    CLI_OPT("bins", CLI_SIZE, run_opts, bins, "N", "histogram bins (default 30)"),
    CLI_OPT("range", CLI_RANGE, run_opts, range, "LO,HI",
            "histogram range (default: from the activations)"),
    CLI_OPT("grad", CLI_FLAG, run_opts, grad, NULL,
            "also run backward: gradient tables, grad.<fmt>, grad_std.<fmt>, gradient fields"),
    CLI_OPT("grad-source", CLI_STRING, run_opts, grad_source, "SRC",
            "softmax_ce (random labels over a final linear layer; default) or unit (N(0,1) dL/da)"),
    CLI_OPT("classes", CLI_SIZE, run_opts, classes, "K", "labels for softmax_ce (default 10)"),
    CLI_OPT("theory", CLI_FLAG, run_opts, theory, NULL,
            "mean-field theory's prediction beside each measured layer (tables, figures, report)"),
    CLI_OPT("corr", CLI_FLAG, run_opts, corr, NULL,
            "each layer's correlation between rows (two inputs' activations; with --theory the "
            "correlation map's prediction); MLP runs"),
    CLI_OPT("dtype", CLI_STRING, run_opts, dtype_name, "T",
            "f64 (default) or f32: float32 activations and weights, sgemm, the same draws; "
            "statistics in double (forward only)"),
    CLI_OPT("save-activations", CLI_FLAG, run_opts, save_activations, NULL,
            "write every layer's activations as arm<N>_layer<L>.npy (with --net: every point "
            "and the input as arm<N>_activations.npz)"),
    CLI_OPT("save-params", CLI_FLAG, run_opts, save_params, NULL,
            "with --net: each arm's parameters as arm<N>_params.npz (PyTorch's layout)"),
    CLI_OPT("save-grads", CLI_FLAG, run_opts, save_grads, NULL,
            "with --net --grad: each parameter's gradient and output_grad as arm<N>_grads.npz"),
    CLI_OPT("max-memory", CLI_STRING, run_opts, max_memory_text, "SIZE",
            "refuse runs needing more (default: half the RAM, at most 8G)"),
    CLI_OPT("json", CLI_FLAG, run_opts, json, NULL,
            "print report.json to stdout instead of the tables"),
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
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

static double pct(double f)
{
    return isfinite(f) ? 100.0 * f : (double)NAN;
}

static void print_arm(FILE *f, size_t a, const il_run_result *run, size_t n_layers)
{
    const il_exp_result *r = il_run_result_exp(run);
    const char *label = il_run_result_label(run, a);
    size_t rows[TABLE_ROWS], n = cli_pick_layers(n_layers, TABLE_ROWS, rows);
    size_t first_bad, first_dead;
    int grads = il_exp_grad_pre(r, a, 0) != NULL;
    const il_theory_layer *pred = il_run_result_theory(run, a);
    const double *corr = il_exp_corr(r, a), *corr_pred = il_run_result_theory_corr(run, a);

    fprintf(f, "\n  arm %zu: %s", a + 1, label);
    if (grads && isfinite(il_exp_loss(r, a)))
        fprintf(f, "   (loss %.4f)", il_exp_loss(r, a));
    fprintf(
        f, "\n    layer        mean         std         min         max   zeros  outside%s%s%s%s\n",
        pred ? "  theory mean  theory std" : "", grads ? "  std dL/dz  std dL/dW  dW/W ratio" : "",
        corr ? "      corr" : "", corr_pred ? "  theory corr" : "");
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
        if (corr)
            fprintf(f, "  %8.4f", corr[rows[i]]);
        if (corr_pred)
            fprintf(f, "  %11.4f", corr_pred[rows[i]]);
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
    if (il_run_result_theory_note(run, a))
        fprintf(f, "    %s\n", il_run_result_theory_note(run, a));
    if (il_exp_lsuv_iters(r, a)) {
        fprintf(f, "    lsuv rescalings per layer:");
        for (size_t l = 0; l < n_layers; l++)
            fprintf(f, " %zu", il_exp_lsuv_iters(r, a)[l]);
        fputc('\n', f);
    }
}

/* --config FILE.json: the spec's values from the file, the flags that may
 * go with it (seed aside, which the file gives) on top. */
static int apply_config(const run_opts *o, const char *path, il_run_spec *s)
{
    static char text[IL_RUN_MAX_JSON_BYTES + 1];
    il_error err;
    size_t len;
    FILE *f;

    if (o->arm_texts.n || o->init_texts.n || o->act_texts.n || o->widths_text ||
        o->depth != CLI_UNSET || o->width != CLI_UNSET || o->batch != CLI_UNSET) {
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
    if (len > IL_RUN_MAX_JSON_BYTES) {
        cli_error("run: %s: more than %d bytes", path, IL_RUN_MAX_JSON_BYTES);
        return EXIT_DATA;
    }
    err.message[0] = '\0';
    if (il_run_spec_from_json(s, text, len, 0, &err) != IL_OK) {
        cli_error("run: %s: %s", path, err.message);
        return EXIT_DATA;
    }
    s->from_json = 0; /* what follows is checked against the flags */
    s->widths_given = 1;
    return 0;
}

/* The network's shape from --widths, or --depth and --width. */
static int shape_from_flags(const run_opts *o, il_run_spec *s)
{
    if (o->widths_text) {
        size_t tmp[1024], n = cli_parse_shape("run", o->widths_text, tmp, 1024);
        if (n == 0)
            return EXIT_USAGE;
        if (n < 2) {
            cli_error("run: --widths needs the input width and at least one layer, e.g. 784,256");
            return EXIT_USAGE;
        }
        s->widths_given = 1;
        return il_run_spec_set_widths(s, tmp[0], tmp + 1, n - 1) == IL_OK ? 0 : EXIT_NOMEM;
    }
    if (o->depth == 0 || o->depth > IL_RUN_MAX_LAYERS || o->width == 0) {
        cli_error("run: --depth must be 1..%d and --width at least 1", IL_RUN_MAX_LAYERS);
        return EXIT_USAGE;
    }
    return il_run_spec_set_uniform(s, o->depth, o->width) == IL_OK ? 0 : EXIT_NOMEM;
}

static int cli_ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* --net: the network from a preset or a JSON file, arms from --recipe
 * and --init (one initializer for every weight). */
static int net_from_flags(run_opts *o, il_run_spec *s)
{
    il_error err;
    il_status st;
    size_t n = 0;

    if (o->arm_texts.n || o->act_texts.n || o->widths_text || o->depth != CLI_UNSET ||
        o->width != CLI_UNSET || o->bias_text) {
        cli_error("run: --net gives the layers; arms are --recipe NAME or --init SPEC (leave out "
                  "--arm, --act, --bias, --widths, --depth, --width)");
        return EXIT_USAGE;
    }
    if (cli_ends_with(o->net_text, ".json")) {
        static char text[IL_RUN_MAX_JSON_BYTES + 1];
        FILE *f = fopen(o->net_text, "rb");
        size_t len;
        if (!f) {
            cli_error("run: cannot open '%s': %s", o->net_text, strerror(errno));
            return EXIT_RUNTIME;
        }
        len = fread(text, 1, sizeof text, f);
        fclose(f);
        if (len > IL_RUN_MAX_JSON_BYTES) {
            cli_error("run: %s: more than %d bytes", o->net_text, IL_RUN_MAX_JSON_BYTES);
            return EXIT_DATA;
        }
        st = il_netdesc_from_json(text, len, &s->net, &err);
    } else {
        st = il_netdesc_from_preset(o->net_text, &s->net, &err);
    }
    if (st != IL_OK) {
        cli_error("run: --net: %s", err.message);
        return st == IL_ENOMEM ? EXIT_NOMEM : EXIT_USAGE;
    }
    for (size_t i = 0; i < o->recipe_texts.n && n < IL_RUN_MAX_ARMS; i++, n++)
        snprintf(s->arms[n].recipe, sizeof s->arms[n].recipe, "%s", o->recipe_texts.items[i]);
    for (size_t i = 0; i < o->init_texts.n && n < IL_RUN_MAX_ARMS; i++, n++)
        snprintf(s->arms[n].init, sizeof s->arms[n].init, "%s", o->init_texts.items[i]);
    if (n == 0) {
        cli_error("run: --net needs arms: --recipe NAME (initlab list recipes) or --init SPEC");
        return EXIT_USAGE;
    }
    if (o->recipe_texts.n + o->init_texts.n > IL_RUN_MAX_ARMS) {
        cli_error("run: at most %d arms", IL_RUN_MAX_ARMS);
        return EXIT_USAGE;
    }
    s->n_arms = n;
    s->batch = o->batch == CLI_UNSET ? 1000 : o->batch;
    s->seed = o->seed;
    return 0;
}

/* The flags onto the spec: everything but the arms' specs, the bins and
 * the classes is checked here, those by il_run_spec_validate. */
static int spec_from_flags(run_opts *o, il_run_spec *s, il_array *input, size_t cap)
{
    static cli_arm_text texts[CLI_LIST_MAX];
    size_t n_arms = 0, n_in_file = 0;
    int rc;

    if (o->config_path) {
        if ((rc = apply_config(o, o->config_path, s)) != 0)
            return rc;
        o->batch = s->batch; /* a file's rows must agree with it */
    }
    if (o->paired_flag && o->no_paired) {
        cli_error("run: --paired and --no-paired contradict each other");
        return EXIT_USAGE;
    }
    if (o->recipe_texts.n && !o->net_text && !(o->config_path && s->net)) {
        cli_error("run: --recipe needs --net (a recipe initializes a whole network)");
        return EXIT_USAGE;
    }
    if (o->net_text && o->config_path) {
        cli_error("run: give the network by --net or in --config's \"net\", not both");
        return EXIT_USAGE;
    }
    if (!o->net_text && (o->save_params || o->save_grads) && !(o->config_path && s->net)) {
        cli_error("run: --save-params and --save-grads need --net");
        return EXIT_USAGE;
    }
    if (o->net_text && (rc = net_from_flags(o, s)) != 0)
        return rc;
    if (s->net) {
        if (o->save_grads && !s->grad && !o->grad) {
            cli_error("run: --save-grads needs --grad");
            return EXIT_USAGE;
        }
        s->keep_tensors = o->save_params || o->save_grads || o->save_activations;
        o->batch = s->batch;
    }
    if (!o->config_path && !s->net) {
        if ((rc = cli_arm_texts("run", &o->arm_texts, &o->init_texts, &o->act_texts, texts,
                                &n_arms)) != 0)
            return rc;
        for (size_t a = 0; a < n_arms; a++) {
            s->arms[a] = texts[a];
            if (!s->arms[a].bias[0] && o->bias_text)
                snprintf(s->arms[a].bias, sizeof s->arms[a].bias, "%s", o->bias_text);
        }
        s->n_arms = n_arms;
    } else if (o->bias_text) {
        for (size_t a = 0; a < s->n_arms; a++)
            if (!s->arms[a].bias[0])
                snprintf(s->arms[a].bias, sizeof s->arms[a].bias, "%s", o->bias_text);
    }
    if (cli_is_matrix_file(o->input_text)) { /* the batch comes from the file */
        if ((rc = cli_load_matrix("run", o->input_text, cap, input)) != 0)
            return rc;
        if (o->batch != CLI_UNSET && o->batch != input->shape[0]) {
            cli_error("run: --batch %zu contradicts --input, which has %zu rows", o->batch,
                      input->shape[0]);
            return EXIT_USAGE;
        }
        o->batch = input->shape[0];
        n_in_file = input->shape[1];
        if (o->width == CLI_UNSET)
            o->width = n_in_file;
    }
    if (!o->config_path && !s->net) {
        if (o->depth == CLI_UNSET)
            o->depth = 5;
        if (o->width == CLI_UNSET)
            o->width = 100;
        if ((rc = shape_from_flags(o, s)) != 0)
            return rc;
        if (!o->widths_text && input->data)
            s->n_in = n_in_file;
        s->batch = o->batch == CLI_UNSET ? 1000 : o->batch;
        s->seed = o->seed;
    }
    if (s->net && input->data) {
        cli_error("run: --net draws its input (--input SPEC); files are for dense networks");
        return EXIT_USAGE;
    }
    if (input->data && s->n_in != n_in_file) {
        cli_error("run: --input has %zu columns; --widths starts with %zu", n_in_file, s->n_in);
        return EXIT_USAGE;
    }
    if (s->batch == 0) {
        cli_error("run: --batch must be at least 1");
        return EXIT_USAGE;
    }
    if (!(s->rng = cli_rng_type("run", o->rng_name, o->no_paired)))
        return EXIT_USAGE;
    s->order = o->no_paired ? IL_EXP_LECTURE : IL_EXP_PAIRED;
    s->bins = o->bins;
    s->lo = o->range[0];
    s->hi = o->range[1];
    if (strcmp(o->dtype_name, "f64") != 0 && strcmp(o->dtype_name, "f32") != 0) {
        cli_error("run: unknown dtype '%s' (valid: f64, f32)", o->dtype_name);
        return EXIT_USAGE;
    }
    s->dtype = strcmp(o->dtype_name, "f32") == 0 ? IL_DTYPE_F32 : IL_DTYPE_F64;
    s->grad |= o->grad;
    s->theory |= o->theory;
    s->corr |= o->corr;
    if (s->dtype == IL_DTYPE_F32 && (s->grad || o->save_activations)) {
        cli_error("run: --dtype f32 runs forward only: leave out --grad and --save-activations");
        return EXIT_USAGE;
    }
    if (s->grad) {
        if (strcmp(o->grad_source, "softmax_ce") == 0) {
            s->grad_source = IL_EXP_GRAD_SOFTMAX_CE;
        } else if (strcmp(o->grad_source, "unit") == 0) {
            s->grad_source = IL_EXP_GRAD_UNIT;
        } else {
            cli_error("run: unknown gradient source '%s' (valid: softmax_ce, unit)",
                      o->grad_source);
            return EXIT_USAGE;
        }
        s->classes = o->classes;
    }
    if (input->data) {
        s->input_data = input->data;
    } else if (access(o->input_text, F_OK) == 0) {
        cli_error("run: --input '%s' is a file or folder, but not a .npy or .csv file",
                  o->input_text);
        return EXIT_USAGE;
    } else if (strlen(o->input_text) >= sizeof s->input) {
        cli_error("run: --input: spec too long");
        return EXIT_USAGE;
    } else {
        strcpy(s->input, o->input_text);
    }
    return 0;
}

static void print_tables(const run_opts *o, const il_run_spec *s, const il_run_result *r,
                         const struct timespec *t0)
{
    char safe[TERM_ESCAPE_MAX];
    printf("%zu arm%s; input %zu x %zu (%s); %zu layer%s of width %zu%s; %s; seed %llu (%s)\n",
           s->n_arms, s->n_arms == 1 ? "" : "s", s->batch, s->n_in,
           term_escape(safe, sizeof safe, o->input_text), s->n_layers, s->n_layers == 1 ? "" : "s",
           s->widths[0], s->widths_given ? " (first; see --widths)" : "",
           s->order == IL_EXP_LECTURE ? "each arm its own draws" : "paired: shared input and noise",
           (unsigned long long)s->seed, il_run_spec_rng(s)->name);
    for (size_t a = 0; a < s->n_arms; a++)
        print_arm(stdout, a, r, s->n_layers);
    printf("\nwrote %s/: report.json, stats.csv, %zu figures (%s)%s in %.2f s\n",
           term_escape(safe, sizeof safe, o->out_dir), s->n_arms + 2 + (s->grad ? 2 : 0),
           o->format_name, o->save_activations ? ", activations (.npy)" : "",
           cli_seconds_since(t0));
}

int cmd_run(int argc, char **argv)
{
    run_opts o = run_defaults;
    il_run_spec spec;
    size_t need, cap;
    int npos, rc, fmt;
    il_run_result *res = NULL;
    il_array input = {0};
    il_error err;
    il_status st;
    save_ctx sctx;
    il_run_hooks hooks = {NULL, NULL, NULL, NULL};
    il_report report;
    struct timespec t0;
    char b1[32], b2[32];

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!cli_begin("run", run_options, &o, help, 0, argc, argv, &npos, &rc))
        return rc;
    il_run_spec_init(&spec);
    cap = cli_default_memory_cap();
    if (o.max_memory_text && (rc = cli_parse_bytes("run", "max-memory", o.max_memory_text, &cap)))
        goto done;
    if ((rc = spec_from_flags(&o, &spec, &input, cap)) != 0)
        goto done;
    fmt = il_plot_format_from_name(o.format_name);
    if (fmt < 0) {
        cli_error("run: unknown format '%s' (valid: png, svg, pdf)", o.format_name);
        rc = EXIT_USAGE;
        goto done;
    }
    err.message[0] = '\0';
    if ((st = il_run_spec_validate(&spec, &err)) != IL_OK) {
        cli_error("run: %s", err.message);
        rc = cli_exit_for(st);
        goto done;
    }
    if (il_run_memory(&spec, &need) != IL_OK || need > cap) {
        if (il_run_memory(&spec, &need) != IL_OK)
            cli_error("run: this network is too large (its size overflows)");
        else
            cli_error("run: this network needs %s; the limit is %s (--max-memory)",
                      cli_format_bytes(b1, sizeof b1, (double)need),
                      cli_format_bytes(b2, sizeof b2, (double)cap));
        rc = EXIT_NOMEM;
        goto done;
    }
    if ((rc = cli_outdir_open("run", o.out_dir)) != 0)
        goto done;
    sctx.dir = o.out_dir;
    sctx.err.message[0] = '\0';
    if (o.save_activations && !spec.net) {
        hooks.on_layer = save_layer;
        hooks.ctx = &sctx;
    }
    err.message[0] = '\0';
    st = il_run_execute(&spec, &hooks, &res, &err);
    if (st != IL_OK) {
        cli_error("run: %s", err.message[0]
                                 ? err.message
                                 : (sctx.err.message[0] ? sctx.err.message : il_status_str(st)));
        rc = cli_exit_for(st);
        goto done;
    }
    il_run_result_report(res, "run", &report);
    st = cli_write_report(o.out_dir, &report, &err);
    if (st == IL_OK && spec.net)
        st = cli_run_net_figures(o.out_dir, (il_plot_format)fmt, &spec, res, &err);
    else if (st == IL_OK)
        st = cli_run_figures(o.out_dir, (il_plot_format)fmt, &spec, res, &err);
    if (st == IL_OK && spec.net)
        st = cli_run_net_save(o.out_dir, &spec, res, o.save_params, o.save_activations,
                              o.save_grads, &err);
    if (st != IL_OK) {
        cli_error("run: %s", err.message[0] ? err.message : il_status_str(st));
        rc = cli_exit_for(st);
        goto done;
    }
    if (o.json) {
        il_membuf mb = {0};
        st = il_report_write_json(&report, il_membuf_write, &mb);
        if (st == IL_OK)
            fwrite(mb.data, 1, mb.len, stdout);
        il_membuf_release(&mb);
    } else if (spec.net) {
        char safe[TERM_ESCAPE_MAX];
        cli_run_net_tables(stdout, &spec, res);
        printf("\nwrote %s/: report.json, stats.csv, depth.%s, arm<N>.%s in %.2f s\n",
               term_escape(safe, sizeof safe, o.out_dir), o.format_name, o.format_name,
               cli_seconds_since(&t0));
    } else {
        print_tables(&o, &spec, res, &t0);
    }
    rc = EXIT_OK;
done:
    il_run_result_free(res);
    il_run_spec_release(&spec);
    il_array_release(&input);
    return rc;
}
