/* SPDX-License-Identifier: MIT */
/*
 * initlab train: the book's weight_init_compare.py (Deep Learning from
 * Scratch, ch. 6) generalised -- one network per arm, all trained on the
 * same minibatches of real data, with loss curves, accuracies and
 * per-layer statistics before and after.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"
#define MAX_LAYERS   64

static cli_list arm_texts, init_texts, act_texts;
static const char *bias_text, *data_text = DEFAULT_DATA, *widths_text, *opt_name = "sgd",
                              *lr_text = "0.01", *momentum_text = "0.9", *betas_text = "0.9,0.999",
                              *eps_text = "1e-8", *wd_text = "0", *sampling_name = "random",
                              *reproduce, *out_dir = "initlab-out/train", *format_name = "png",
                              *max_memory_text, *dtype_name = "f64", *rng_name;
static size_t iters = 2000, batch = 128, eval_batch = 1000;
static uint64_t seed = 100;
static int json, log_y;

static const cli_option train_options[] = {
    {"init", CLI_MULTI, &init_texts, "SPEC", "with --act: every init x every act (repeatable)", 0},
    {"act", CLI_MULTI, &act_texts, "NAME", "activation of the hidden layers (repeatable)", 0},
    {"arm", CLI_MULTI, &arm_texts, "INIT/ACT[/BIAS]", "one network (repeatable)", 0},
    {"bias", CLI_STRING, &bias_text, "SPEC", "bias initializer (default: zeros, as the book)", 0},
    {"data", CLI_STRING, &data_text, "DIR|spiral|blobs",
     "MNIST-format folder (default " DEFAULT_DATA "), or a synthetic set", 0},
    {"widths", CLI_STRING, &widths_text, "W0,W1,...",
     "input width, hidden widths, classes (default: the book's D,100,100,100,100,K)", 0},
    {"iters", CLI_SIZE, &iters, "N", "training iterations (default 2000)", 0},
    {"batch", CLI_SIZE, &batch, "B", "minibatch rows (default 128)", 0},
    {"opt", CLI_STRING, &opt_name, "NAME", "sgd (default), momentum or adam", 0},
    {"lr", CLI_STRING, &lr_text, "X", "learning rate (default 0.01)", 0},
    {"momentum", CLI_STRING, &momentum_text, "X", "for --opt momentum (default 0.9)", 0},
    {"betas", CLI_STRING, &betas_text, "B1,B2", "for --opt adam (default 0.9,0.999)", 0},
    {"eps", CLI_STRING, &eps_text, "X", "for --opt adam (default 1e-8)", 0},
    {"weight-decay", CLI_STRING, &wd_text, "X", "L2 on the weights (default 0)", 0},
    {"sampling", CLI_STRING, &sampling_name, "HOW",
     "random (with replacement, the book's; default) or epochs (shuffled)", 0},
    {"reproduce", CLI_STRING, &reproduce, "dlfs",
     "the book's draws and loss, number for number (see --help)", 0},
    {"seed", CLI_SEED, &seed, "N", "generator seed (default 100)", 0},
    {"rng", CLI_STRING, &rng_name, "NAME",
     "generator: fast (philox, the default) or mt19937 (numpy's legacy stream; the default "
     "with --reproduce dlfs)",
     0},
    {"dtype", CLI_STRING, &dtype_name, "T",
     "f64 (default) or f32: float32 parameters and products (sgemm)", 0},
    {"eval-batch", CLI_SIZE, &eval_batch, "N", "rows per evaluation pass (default 1000)", 0},
    {"out", CLI_STRING, &out_dir, "DIR", "output folder (default initlab-out/train)", 0},
    {"format", CLI_STRING, &format_name, "FMT", "figure format: png, svg or pdf (default png)", 0},
    {"log-y", CLI_FLAG, &log_y, NULL, "loss on a logarithmic axis", 0},
    {"max-memory", CLI_STRING, &max_memory_text, "SIZE",
     "refuse runs needing more (default: half the RAM, at most 8G)", 0},
    {"json", CLI_FLAG, &json, NULL, "print report.json to stdout instead of the tables", 0},
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

static void help(FILE *f)
{
    fprintf(f, "usage: initlab train --init SPEC [--init ...] --act NAME [options]\n"
               "       initlab train --arm INIT/ACT[/BIAS] [--arm ...] [options]\n\n"
               "Train one network per arm on the same minibatches and compare the loss\n"
               "curves: the book's weight_init_compare.py (Deep Learning from Scratch, ch. 6).\n"
               "Softmax cross-entropy; the arm's activation after every hidden layer;\n"
               "every layer's weights from the arm's initializer, biases zero.\n\n"
               "Data: Fashion-MNIST from Debian's dataset-fashion-mnist by default, any\n"
               "folder of MNIST-format files with --data (train-images-idx3-ubyte[.gz], ...),\n"
               "or a synthetic set: --data spiral (3 classes, 2-D) or --data blobs (10 classes,\n"
               "20-D). Pixels are scaled to [0, 1] as the book does.\n\n"
               "--reproduce dlfs draws what the book's numpy script draws after\n"
               "np.random.seed(SEED) -- the networks in the order given, each weight as\n"
               "scale * randn(n_in, n_out), one np.random.choice(n, batch) per iteration\n"
               "shared by all networks -- and records the loss as the book does: on the\n"
               "minibatch, after the update. Otherwise the loss is the minibatch's before\n"
               "the update. Either way the arms see the same minibatches.\n\n"
               "Options:\n");
    cli_print_options(f, train_options);
    fprintf(f,
            "\nOutputs in DIR: report.json, stats.csv (per-layer statistics at the start and\n"
            "the end), loss.<fmt> (smoothed as the book's smooth_curve over the pale raw loss).\n"
            "Example: initlab train --init normal:std=0.01 --init lecture_xavier "
            "--init lecture_he --act relu\n");
}

static int parse_positive(const char *opt, const char *text, int allow_zero, double *out)
{
    if (!il_parse_number(text, out) || *out < 0 || (!allow_zero && *out == 0)) {
        cli_error("train: invalid value '%s' for --%s: expected a finite number %s 0", text, opt,
                  allow_zero ? ">=" : ">");
        return EXIT_USAGE;
    }
    return 0;
}

/* "B1,B2", each in [0, 1). */
static int parse_betas(const char *text, double *b)
{
    const char *comma = strchr(text, ',');
    char first[64];
    size_t k = comma ? (size_t)(comma - text) : sizeof first;
    if (k >= sizeof first)
        return 0;
    memcpy(first, text, k);
    first[k] = '\0';
    return il_parse_number(first, &b[0]) && il_parse_number(comma + 1, &b[1]) && b[0] >= 0 &&
           b[0] < 1 && b[1] >= 0 && b[1] < 1;
}

/* ---- progress ---- */

typedef struct progress_ctx {
    FILE *f;
    int tty;
    size_t n_arms;
    const char *const *labels;
    struct timespec t0;    /* the command's start */
    struct timespec t_run; /* il_train_run's start */
    double loop_seconds;   /* the iterations alone (set at the last one) */
} progress_ctx;

static void on_progress(void *vctx, size_t iter, size_t n, const double *losses)
{
    progress_ctx *p = vctx;
    if (iter == n)
        p->loop_seconds = cli_seconds_since(&p->t_run);
    if (p->tty) {
        int width = 30, done = (int)((double)width * (double)iter / (double)n);
        if (iter % 10 != 0 && iter != n)
            return;
        fprintf(p->f, "\r  %6zu/%zu [", iter, n);
        for (int i = 0; i < width; i++)
            fputc(i < done ? '#' : '.', p->f);
        fputs("]  loss", p->f);
        for (size_t a = 0; a < p->n_arms && a < 8; a++)
            fprintf(p->f, " %.4f", losses[a]);
        if (iter == n)
            fputc('\n', p->f);
        fflush(p->f);
    } else if (iter % 100 == 0 || iter == n) {
        fprintf(p->f, "  iteration %zu:", iter);
        for (size_t a = 0; a < p->n_arms; a++)
            fprintf(p->f, "  %s %.5f", p->labels[a], losses[a]);
        fputc('\n', p->f);
    }
}

/* ---- data ---- */

static int load_data(const char *what, size_t cap, il_data *train, il_data *test)
{
    il_error err;
    il_status st;

    err.message[0] = '\0';
    if (strcmp(what, "spiral") == 0 || strcmp(what, "blobs") == 0) {
        il_data all;
        il_rng *rng = NULL;
        /* the data's own generator, so that it is the same for any run */
        if ((st = il_rng_new(il_rng_find("mt19937"), 20261129, &rng)) != IL_OK)
            return cli_exit_for(st);
        st = what[0] == 's' ? il_data_spiral(3600, 3, rng, &all)
                            : il_data_blobs(6000, 20, 10, rng, &all);
        il_rng_free(rng);
        if (st == IL_OK) {
            st = il_data_split(&all, 6, train, test);
            il_data_free(&all);
        }
        if (st != IL_OK) {
            cli_error("train: %s", il_status_str(st));
            return cli_exit_for(st);
        }
        return 0;
    }
    st = il_data_load_dir(what, "train", 10, cap, train, &err);
    if (st == IL_OK) {
        st = il_data_load_dir(what, "t10k", 10, cap, test, &err);
        if (st != IL_OK)
            il_data_free(train);
    }
    if (st == IL_EIO && strcmp(what, DEFAULT_DATA) == 0) {
        cli_error("train: no Fashion-MNIST in %s: install it with 'sudo apt-get install "
                  "dataset-fashion-mnist' (or scripts/install-deps.sh), or give --data DIR",
                  what);
        return EXIT_RUNTIME;
    }
    if (st != IL_OK) {
        cli_error("train: %s", err.message[0] ? err.message : il_status_str(st));
        return cli_exit_for(st);
    }
    return 0;
}

/* ---- outputs ---- */

typedef struct report_ctx {
    const il_train_report *r;
    int csv;
} report_ctx;

static il_status produce_report(void *vctx, il_write_fn w, void *wctx)
{
    const report_ctx *c = vctx;
    return c->csv ? il_report_write_train_csv(c->r, w, wctx)
                  : il_report_write_train_json(c->r, w, wctx);
}

static il_status write_outputs(const il_train_report *rep, size_t n_arms, il_plot_format fmt,
                               il_error *err)
{
    const il_train_result *res = rep->result;
    size_t n = il_train_iters(res), n_series = 0, shown = n_arms < 10 ? n_arms : 10;
    il_line_series series[IL_PLOT_MAX_SERIES];
    double *x = il_malloc_n(n, sizeof *x), *ys = il_malloc_n(n, shown * sizeof *ys);
    char path[4200];
    report_ctx rc = {rep, 0};
    il_status st = IL_OK;

    if (!x || !ys) {
        il_free(x);
        il_free(ys);
        return IL_ENOMEM;
    }
    snprintf(path, sizeof path, "%s/report.json", out_dir);
    st = cli_write_file(path, produce_report, &rc, err);
    rc.csv = 1;
    snprintf(path, sizeof path, "%s/stats.csv", out_dir);
    if (st == IL_OK)
        st = cli_write_file(path, produce_report, &rc, err);
    for (size_t i = 0; i < n; i++)
        x[i] = (double)(i + 1);
    /* raw first, so that the smoothed curves are drawn over them */
    for (size_t a = 0; a < shown; a++)
        series[n_series++] = (il_line_series){NULL, il_train_loss(res, a), IL_LINE_FAINT, a + 1};
    for (size_t a = 0; a < shown; a++) {
        il_smooth_curve(il_train_loss(res, a), n, ys + a * n);
        series[n_series++] = (il_line_series){rep->labels[a], ys + a * n, 0, a + 1};
    }
    if (st == IL_OK) {
        il_line_plot lp = {"training loss per iteration (smoothed as the book; pale: raw)",
                           "iterations",
                           log_y ? "loss (log scale)" : "loss",
                           x,
                           n,
                           series,
                           n_series,
                           log_y};
        snprintf(path, sizeof path, "%s/loss.%s", out_dir, il_plot_format_ext(fmt));
        st = cli_write_lines(path, &lp, fmt, err);
    }
    il_free(x);
    il_free(ys);
    return st;
}

static void print_summary(FILE *f, const il_train_report *rep, size_t n_arms)
{
    const il_train_result *res = rep->result;
    size_t L = il_train_layer_count(res);
    fprintf(f, "\n  %-44s %12s %10s %10s\n", "arm", "final loss", "train acc", "test acc");
    for (size_t a = 0; a < n_arms; a++)
        fprintf(f, "  %-44.44s %12.5f %9.2f%% %9.2f%%\n", rep->labels[a],
                il_train_final_loss(res, a), 100 * il_train_accuracy(res, a, 0),
                100 * il_train_accuracy(res, a, 1));
    fprintf(f, "\n  std of the activations per layer (the first %zu training rows), start -> end\n",
            rep->batch);
    for (size_t a = 0; a < n_arms; a++) {
        fprintf(f, "  %-28.28s", rep->labels[a]);
        for (size_t l = 0; l + 1 < L && l < 8; l++)
            fprintf(f, "  %.3g->%.3g", il_train_stats(res, a, l, 0)->std,
                    il_train_stats(res, a, l, 1)->std);
        fputc('\n', f);
    }
    fprintf(f, "  (final loss: the mean of the last %zu iterations; ln 10 = 2.3026 is chance)\n",
            il_train_iters(res) < 100 ? il_train_iters(res) : (size_t)100);
}

int cmd_train(int argc, char **argv)
{
    static cli_arm_text texts[CLI_LIST_MAX];
    static il_arm arms[CLI_LIST_MAX];
    static char init_specs[CLI_LIST_MAX][256], bias_specs[CLI_LIST_MAX][256],
        labels[CLI_LIST_MAX][400];
    const char *inits[CLI_LIST_MAX], *acts[CLI_LIST_MAX], *biases[CLI_LIST_MAX],
        *label_ptrs[CLI_LIST_MAX];
    size_t n_arms = 0, widths[MAX_LAYERS + 1], n_widths, cap, need;
    double lr, momentum, betas[2], eps, wd;
    int help_flag, npos, rc, fmt;
    il_data train = {0}, test = {0};
    il_train_config cfg;
    il_train_result *res = NULL;
    il_rng *rng = NULL;
    const il_rng_type *rt;
    il_error err;
    il_status st;
    progress_ctx prog;
    double train_seconds = 0;
    char b1[32], b2[32];

    for (int i = 1; i < argc; i++) /* any network: its own options (train_net.c) */
        if (strcmp(argv[i], "--net") == 0 || strncmp(argv[i], "--net=", 6) == 0)
            return cmd_train_net(argc, argv);
    clock_gettime(CLOCK_MONOTONIC, &prog.t0);
    rc = cli_parse("train", train_options, argc, argv, &npos, &help_flag);
    if (rc)
        return rc;
    if (help_flag) {
        help(stdout);
        return EXIT_OK;
    }
    if (npos > 0) {
        cli_error("train: unexpected argument '%s' (see 'initlab train --help')", argv[1]);
        return EXIT_USAGE;
    }
    if ((rc = cli_make_arms("train", &arm_texts, &init_texts, &act_texts, bias_text, texts, arms,
                            &n_arms)) != 0)
        return rc;
    memset(&cfg, 0, sizeof cfg);
    if ((rc = parse_positive("lr", lr_text, 0, &lr)) ||
        (rc = parse_positive("eps", eps_text, 0, &eps)) ||
        (rc = parse_positive("weight-decay", wd_text, 1, &wd)) ||
        (rc = parse_positive("momentum", momentum_text, 1, &momentum)))
        return rc;
    if (momentum >= 1) {
        cli_error("train: invalid value '%s' for --momentum: expected a number in [0, 1)",
                  momentum_text);
        return EXIT_USAGE;
    }
    if (!parse_betas(betas_text, betas)) {
        cli_error("train: invalid value '%s' for --betas: expected B1,B2 in [0, 1)", betas_text);
        return EXIT_USAGE;
    }
    if (strcmp(opt_name, "sgd") == 0) {
        cfg.opt = IL_OPT_SGD;
    } else if (strcmp(opt_name, "momentum") == 0) {
        cfg.opt = IL_OPT_MOMENTUM;
    } else if (strcmp(opt_name, "adam") == 0) {
        cfg.opt = IL_OPT_ADAM;
    } else {
        cli_error("train: unknown optimizer '%s' (valid: sgd, momentum, adam)", opt_name);
        return EXIT_USAGE;
    }
    if (strcmp(sampling_name, "random") == 0) {
        cfg.sampling = IL_SAMPLE_RANDOM;
    } else if (strcmp(sampling_name, "epochs") == 0) {
        cfg.sampling = IL_SAMPLE_EPOCHS;
    } else {
        cli_error("train: unknown sampling '%s' (valid: random, epochs)", sampling_name);
        return EXIT_USAGE;
    }
    if (strcmp(dtype_name, "f64") != 0 && strcmp(dtype_name, "f32") != 0) {
        cli_error("train: unknown dtype '%s' (valid: f64, f32)", dtype_name);
        return EXIT_USAGE;
    }
    cfg.dtype = strcmp(dtype_name, "f32") == 0 ? IL_DTYPE_F32 : IL_DTYPE_F64;
    if (reproduce && cfg.dtype == IL_DTYPE_F32) {
        cli_error("train: --reproduce dlfs is float64, as the book's numpy code");
        return EXIT_USAGE;
    }
    if (reproduce && rng_name && strcmp(rng_name, "mt19937") != 0) {
        cli_error("train: --reproduce dlfs draws numpy's legacy stream: leave out --rng, or "
                  "give mt19937");
        return EXIT_USAGE;
    }
    if (!(rt = cli_rng_type("train", rng_name, reproduce != NULL)))
        return EXIT_USAGE;
    if (reproduce && strcmp(reproduce, "dlfs") != 0) {
        cli_error("train: unknown --reproduce '%s' (valid: dlfs)", reproduce);
        return EXIT_USAGE;
    }
    if (reproduce && cfg.sampling != IL_SAMPLE_RANDOM) {
        cli_error("train: --reproduce dlfs draws minibatches at random, not --sampling %s",
                  sampling_name);
        return EXIT_USAGE;
    }
    if (iters == 0 || batch == 0 || eval_batch == 0) {
        cli_error("train: --iters, --batch and --eval-batch must be at least 1");
        return EXIT_USAGE;
    }
    fmt = il_plot_format_from_name(format_name);
    if (fmt < 0) {
        cli_error("train: unknown format '%s' (valid: png, svg, pdf)", format_name);
        return EXIT_USAGE;
    }
    n_widths = 0;
    if (widths_text &&
        (n_widths = cli_parse_shape("train", widths_text, widths, MAX_LAYERS + 1)) == 0)
        return EXIT_USAGE;
    if (widths_text && n_widths < 2) {
        cli_error("train: --widths needs the input width and at least the output layer");
        return EXIT_USAGE;
    }
    cap = cli_default_memory_cap();
    if (max_memory_text && (rc = cli_parse_bytes("train", "max-memory", max_memory_text, &cap)))
        return rc;
    if ((rc = load_data(data_text, cap, &train, &test)) != 0)
        return rc;
    if (!widths_text) { /* the book's 4 hidden layers of 100 */
        static const size_t hidden[4] = {100, 100, 100, 100};
        widths[0] = train.dim;
        memcpy(widths + 1, hidden, sizeof hidden);
        widths[5] = train.classes;
        n_widths = 6;
    }
    if (widths[0] != train.dim || widths[n_widths - 1] != train.classes) {
        cli_error("train: --widths %s does not fit the data: its rows have %zu values and %zu "
                  "classes (e.g. --widths %zu,100,%zu)",
                  widths_text, train.dim, train.classes, train.dim, train.classes);
        rc = EXIT_USAGE;
        goto done;
    }
    cfg.widths = widths + 1;
    cfg.n_layers = n_widths - 1;
    cfg.arms = arms;
    cfg.n_arms = n_arms;
    cfg.iters = iters;
    cfg.batch = batch;
    cfg.lr = lr;
    cfg.momentum = momentum;
    cfg.beta1 = betas[0];
    cfg.beta2 = betas[1];
    cfg.eps = eps;
    cfg.weight_decay = wd;
    cfg.dlfs = reproduce != NULL;
    cfg.eval_batch = eval_batch;
    cfg.stats =
        (il_stats_config){30, arms[0].act.type->view_lo, arms[0].act.type->view_hi, 0.01, 0.99};
    if (il_train_memory(&cfg, &train, &need) != IL_OK) {
        cli_error("train: this network is too large (its size overflows)");
        rc = EXIT_NOMEM;
        goto done;
    }
    if (need > cap) {
        cli_error("train: this run needs %s; the limit is %s (--max-memory)",
                  cli_format_bytes(b1, sizeof b1, (double)need),
                  cli_format_bytes(b2, sizeof b2, (double)cap));
        rc = EXIT_NOMEM;
        goto done;
    }
    if ((rc = cli_outdir_open("train", out_dir)) != 0)
        goto done;
    for (size_t a = 0; a < n_arms; a++) {
        il_init_format(&arms[a].init, init_specs[a], sizeof init_specs[a]);
        if (arms[a].has_bias)
            il_init_format(&arms[a].bias, bias_specs[a], sizeof bias_specs[a]);
        snprintf(labels[a], sizeof labels[a], "%.255s/%.127s", texts[a].init, texts[a].act);
        inits[a] = init_specs[a];
        acts[a] = texts[a].act;
        biases[a] = arms[a].has_bias ? bias_specs[a] : NULL;
        label_ptrs[a] = labels[a];
    }
    if ((st = il_rng_new(rt, seed, &rng)) != IL_OK) {
        rc = cli_exit_for(st);
        goto done;
    }
    /* 128 x 784 x 100 products are too small to share between threads:
     * OpenMP's hand-offs cost more than the arithmetic. The book's
     * comparison took 73 s with two BLAS threads and 14 s with one (both
     * while another process kept the second core busy). */
    il_blas_set_threads(1);
    prog.f = json ? stderr : stdout;
    prog.tty = term_is_tty(prog.f);
    prog.n_arms = n_arms;
    prog.labels = label_ptrs;
    if (!json) {
        char safe[TERM_ESCAPE_MAX];
        printf("training %zu network%s on %s: %zu train / %zu test rows of %zu; widths %s; %s "
               "lr %g, batch %zu, %zu iterations, seed %llu%s\n",
               n_arms, n_arms == 1 ? "" : "s", term_escape(safe, sizeof safe, data_text), train.n,
               test.n, train.dim, widths_text ? widths_text : "the book's", opt_name, lr, batch,
               iters, (unsigned long long)seed, reproduce ? " (--reproduce dlfs)" : "");
    }
    err.message[0] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &prog.t_run);
    st = il_train_run(&cfg, &train, &test, rng, on_progress, &prog, &res, &err);
    train_seconds = cli_seconds_since(&prog.t_run);
    if (st != IL_OK) {
        cli_error("train: %s", err.message[0] ? err.message : il_status_str(st));
        rc = cli_exit_for(st);
        goto done;
    }
    {
        il_train_report rep = {seed, rt->name, data_text, opt_name, sampling_name,
                               lr,   batch,    cfg.dlfs,  res,      inits,
                               acts, biases,   label_ptrs};
        st = write_outputs(&rep, n_arms, (il_plot_format)fmt, &err);
        if (st != IL_OK) {
            cli_error("train: %s", err.message[0] ? err.message : il_status_str(st));
            rc = cli_exit_for(st);
            goto done;
        }
        if (json) {
            il_membuf mb = {0};
            st = il_report_write_train_json(&rep, il_membuf_write, &mb);
            if (st == IL_OK)
                fwrite(mb.data, 1, mb.len, stdout);
            il_membuf_release(&mb);
        } else {
            char safe[TERM_ESCAPE_MAX];
            print_summary(stdout, &rep, n_arms);
            printf("\nwrote %s/: report.json, stats.csv, loss.%s; training took %.2f s, the "
                   "evaluation %.2f s, all %.2f s\n",
                   term_escape(safe, sizeof safe, out_dir), format_name, prog.loop_seconds,
                   train_seconds - prog.loop_seconds, cli_seconds_since(&prog.t0));
        }
    }
    rc = EXIT_OK;
done:
    il_train_result_free(res);
    il_rng_free(rng);
    il_data_free(&train);
    il_data_free(&test);
    return rc;
}
