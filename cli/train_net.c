/* SPDX-License-Identifier: MIT */
/*
 * initlab train --net PRESET|FILE.json: any network of the architectures
 * issue, one arm per --recipe, trained on the same batches (the batch
 * generator is reseeded per arm): Fashion-MNIST for feature networks (a
 * readout of the data's classes appended), next-byte prediction on a text
 * for token networks (the fortunes by default, the last tenth held out).
 * With --record-every K the timeline (initlab/nettrain.h) goes to
 * dynamics.csv, report.json's "timeline" and four figures.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "train_net.h"

#define MAX_ARMS 8

static const char *net_text, *data_text, *opt_text = "adam", *lr_text = "0.001",
                                         *momentum_text = "0.9", *wd_text = "0", *clip_text = "0",
                                         *param_text = "sp", *out_dir = "initlab-out/train-net";
static cli_list recipes;
static size_t steps = 200, batch = 32, warmup = 0, record_every = 10, base_width = 0;
static uint64_t seed = 1;
static int cosine;

static const cli_option tn_options[] = {
    {"net", CLI_STRING, &net_text, "PRESET|FILE.json", "the network (initlab list nets)", 0},
    {"recipe", CLI_MULTI, &recipes, "NAME", "one arm per recipe (default torch_default)", 0},
    {"data", CLI_STRING, &data_text, "DIR|FILE",
     "Fashion-MNIST folder, or a text for token networks (default the fortunes)", 0},
    {"steps", CLI_SIZE, &steps, "N", "training steps (default 200)", 0},
    {"batch", CLI_SIZE, &batch, "B", "examples per step (default 32)", 0},
    {"opt", CLI_STRING, &opt_text, "NAME", "sgd, momentum, adam (default) or adamw", 0},
    {"lr", CLI_STRING, &lr_text, "X", "learning rate (default 0.001)", 0},
    {"momentum", CLI_STRING, &momentum_text, "X", "for --opt momentum (default 0.9)", 0},
    {"weight-decay", CLI_STRING, &wd_text, "X", "L2 (AdamW: decoupled) (default 0)", 0},
    {"warmup", CLI_SIZE, &warmup, "N", "linear warm-up steps (default 0)", 0},
    {"cosine", CLI_FLAG, &cosine, NULL, "cosine decay to 0 after the warm-up", 0},
    {"clip", CLI_STRING, &clip_text, "X", "clip the global gradient norm (default 0: off)", 0},
    {"record-every", CLI_SIZE, &record_every, "K", "timeline every K steps (default 10)", 0},
    {"param", CLI_STRING, &param_text, "sp|mup", "parametrization (default sp)", 0},
    {"base-width", CLI_SIZE, &base_width, "N", "muP's base width (with --param mup)", 0},
    {"seed", CLI_SEED, &seed, "N", "seed of the weights and batches (default 1)", 0},
    {"out", CLI_STRING, &out_dir, "DIR", "output folder (default initlab-out/train-net)", 0},
    {NULL, 0, NULL, NULL, NULL, 0}};

static void help(FILE *f)
{
    fprintf(f,
            "usage: initlab train --net PRESET|FILE.json [--recipe NAME]... [--steps N]\n"
            "         [--opt adam] [--lr X] [--record-every K] [--param sp|mup --base-width N]\n\n"
            "Feature networks train on Fashion-MNIST (mlp:depth=D,width=N is 784 -> N x D\n"
            "-> 10); token networks (transformer:...,vocab=256,causal=1) on the bytes of\n"
            "a text. Writes dynamics.csv, report.json and dynamics_std.png,\n"
            "update_ratio.png, dead.png, colorful.png.\n\n");
    cli_print_options(f, tn_options);
}

typedef struct progress_ctx {
    struct timespec t0;
    int tty;
    size_t arm, n_arms;
} progress_ctx;

static int progress(void *ctx, size_t step, size_t total, double loss)
{
    progress_ctx *p = ctx;
    if (!p->tty || ((step + 1) % 10 != 0 && step + 1 != total))
        return 0;
    double el = cli_seconds_since(&p->t0);
    double done = (double)(p->arm * total + step + 1), all = (double)(p->n_arms * total);
    fprintf(stderr, "\rarm %zu/%zu step %zu/%zu loss %.4f ETA %.0fs   ", p->arm + 1, p->n_arms,
            step + 1, total, loss, el / done * (all - done));
    if (step + 1 == total && p->arm + 1 == p->n_arms)
        fprintf(stderr, "\n");
    return 0;
}

typedef struct arm_run {
    char recipe[128];
    il_net *net;
    il_nt_result *res;
    double heldout_loss, heldout_acc; /* NAN: not evaluated */
} arm_run;

static il_status produce_buf(void *pctx, il_write_fn w, void *wctx)
{
    il_membuf *b = pctx;
    return w(wctx, b->data, b->len);
}

static int write_text(const char *name, il_membuf *b)
{
    char path[4200];
    il_error err;
    err.message[0] = '\0';
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    if (cli_write_file(path, produce_buf, b, &err) != IL_OK) {
        cli_error("train: %s: %s", path, err.message);
        return EXIT_RUNTIME;
    }
    return 0;
}

static void bprintf(il_membuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(il_membuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        il_membuf_write(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void bnum(il_membuf *b, double v)
{
    if (isfinite(v))
        bprintf(b, "%.17g", v);
    else
        bprintf(b, "null");
}

static int write_csv(const arm_run *a, size_t n_arms)
{
    il_membuf b = {0};
    int rc;
    bprintf(&b, "step,arm,kind,name,mean,std,rms,l1,frac_zero,dead,units,w_std,g_std,ratio\n");
    for (size_t r = 0; r < n_arms; r++)
        for (size_t k = 0; k < il_nt_record_count(a[r].res); k++) {
            size_t step = il_nt_record_step(a[r].res, k);
            for (size_t j = 0; j < il_nt_point_count(a[r].net); j++) {
                const il_nt_point_stats *s = il_nt_record_point(a[r].res, k, j);
                bprintf(&b, "%zu,%s,point,%s,%.9g,%.9g,%.9g,%.9g,%.9g,%zu,%zu,,,\n", step,
                        a[r].recipe, il_net_op_name(a[r].net, il_nt_point_node(a[r].net, j)),
                        s->mean, s->std, s->rms, s->l1, s->frac_zero, s->dead, s->units);
            }
            for (size_t i = 0; i < il_net_param_count(a[r].net); i++) {
                double ws, gs, ra;
                il_nt_record_param(a[r].res, k, i, &ws, &gs, &ra);
                bprintf(&b, "%zu,%s,param,%s,,,,,,,,%.9g,%.9g,%.9g\n", step, a[r].recipe,
                        il_net_param_name(a[r].net, i), ws, gs, ra);
            }
        }
    rc = write_text("dynamics.csv", &b);
    il_membuf_release(&b);
    return rc;
}

static int write_report(const arm_run *a, size_t n_arms)
{
    il_membuf b = {0};
    int rc;
    bprintf(&b,
            "{\n  \"net\": \"%s\", \"opt\": \"%s\", \"lr\": %s, \"param\": \"%s\", "
            "\"steps\": %zu, \"batch\": %zu, \"record_every\": %zu, \"seed\": %llu,\n"
            "  \"arms\": [",
            net_text, opt_text, lr_text, param_text, steps, batch, record_every,
            (unsigned long long)seed);
    for (size_t r = 0; r < n_arms; r++) {
        size_t ds, dp, done = il_nt_steps_done(a[r].res);
        int div = il_nt_diverged(a[r].res, &ds, &dp);
        bprintf(&b,
                "%s\n    {\"recipe\": \"%s\", \"steps_done\": %zu, \"diverged\": ", r ? "," : "",
                a[r].recipe, done);
        if (div)
            bprintf(&b, "{\"step\": %zu, \"point\": \"%s\"}", ds,
                    dp == SIZE_MAX ? "" : il_net_op_name(a[r].net, il_nt_point_node(a[r].net, dp)));
        else
            bprintf(&b, "null");
        bprintf(&b, ", \"heldout_loss\": ");
        bnum(&b, a[r].heldout_loss);
        bprintf(&b, ", \"heldout_accuracy\": ");
        bnum(&b, a[r].heldout_acc);
        bprintf(&b, ",\n     \"loss\": [");
        for (size_t s = 0; s < done; s++) {
            bprintf(&b, s ? "," : "");
            bnum(&b, il_nt_losses(a[r].res)[s]);
        }
        bprintf(&b, "],\n     \"timeline\": [");
        for (size_t k = 0; k < il_nt_record_count(a[r].res); k++) {
            bprintf(&b, "%s\n      {\"step\": %zu, \"points\": [", k ? "," : "",
                    il_nt_record_step(a[r].res, k));
            for (size_t j = 0; j < il_nt_point_count(a[r].net); j++) {
                const il_nt_point_stats *s = il_nt_record_point(a[r].res, k, j);
                bprintf(&b, "%s{\"name\": \"%s\", \"mean\": ", j ? ", " : "",
                        il_net_op_name(a[r].net, il_nt_point_node(a[r].net, j)));
                bnum(&b, s->mean);
                bprintf(&b, ", \"std\": ");
                bnum(&b, s->std);
                bprintf(&b, ", \"rms\": ");
                bnum(&b, s->rms);
                bprintf(&b, ", \"frac_zero\": ");
                bnum(&b, s->frac_zero);
                bprintf(&b, ", \"dead\": %zu, \"units\": %zu}", s->dead, s->units);
            }
            bprintf(&b, "], \"params\": [");
            for (size_t i = 0; i < il_net_param_count(a[r].net); i++) {
                double ws, gs, ra;
                il_nt_record_param(a[r].res, k, i, &ws, &gs, &ra);
                bprintf(&b, "%s{\"name\": \"%s\", \"w_std\": ", i ? ", " : "",
                        il_net_param_name(a[r].net, i));
                bnum(&b, ws);
                bprintf(&b, ", \"g_std\": ");
                bnum(&b, gs);
                bprintf(&b, ", \"update_ratio\": ");
                bnum(&b, ra);
                bprintf(&b, "}");
            }
            bprintf(&b, "]}");
        }
        bprintf(&b, "]}");
    }
    bprintf(&b, "]\n}\n");
    rc = write_text("report.json", &b);
    il_membuf_release(&b);
    return rc;
}

/* Figures of the first arm: one line per point or parameter over the
 * recorded steps (at most IL_PLOT_MAX_SERIES of them); every arm's
 * colorful dimension (colorful.png, colorful_arm2.png, ...). */
static int figures(const arm_run *a, size_t arm)
{
    size_t nk = il_nt_record_count(a->res), np = il_nt_point_count(a->net),
           npar = il_net_param_count(a->net), nl;
    double *x = il_calloc(nk + 1, sizeof *x),
           *y = il_calloc((nk + 1) * (np + npar + 1) * 2, sizeof *y);
    il_line_series s[IL_PLOT_MAX_SERIES + 1];
    char path[4200];
    il_error err;
    int rc = 0;

    if (!x || !y) {
        il_free(x);
        il_free(y);
        return EXIT_NOMEM;
    }
    for (size_t k = 0; k < nk; k++)
        x[k] = (double)il_nt_record_step(a->res, k);
    for (int fig = 0; arm == 0 && fig < 3 && !rc && nk > 0; fig++) {
        size_t n = fig == 1 ? npar : np;
        nl = n < IL_PLOT_MAX_SERIES - (fig == 1) ? n : IL_PLOT_MAX_SERIES - (fig == 1);
        for (size_t j = 0; j < nl; j++) {
            double *yy = y + j * nk;
            for (size_t k = 0; k < nk; k++) {
                const il_nt_point_stats *ps = fig != 1 ? il_nt_record_point(a->res, k, j) : NULL;
                double ws, gs, ra = 0;
                if (fig == 1)
                    il_nt_record_param(a->res, k, j, &ws, &gs, &ra);
                yy[k] = fig == 0   ? ps->std
                        : fig == 1 ? ra
                                   : (double)ps->dead / (double)(ps->units ? ps->units : 1);
            }
            s[j] = (il_line_series){fig == 1 ? il_net_param_name(a->net, j)
                                             : il_net_op_name(a->net, il_nt_point_node(a->net, j)),
                                    yy, 0, 0};
        }
        if (fig == 1) { /* the rule of thumb */
            double *g = y + nl * nk;
            for (size_t k = 0; k < nk; k++)
                g[k] = 1e-3;
            s[nl++] = (il_line_series){"1e-3", g, 1, 0};
        }
        static const char *const names[] = {"dynamics_std.png", "update_ratio.png", "dead.png"};
        static const char *const titles[] = {"activation std per point", "update:weight ratio",
                                             "fraction of dead units"};
        il_line_plot p = {titles[fig], "step",  fig == 0 ? "std" : fig == 1 ? "|dW|/|W|" : "dead",
                          x,           nk,      s,
                          nl,          fig != 2};
        snprintf(path, sizeof path, "%s/%s", out_dir, names[fig]);
        err.message[0] = '\0';
        if (cli_write_lines(path, &p, IL_PLOT_PNG, &err) != IL_OK) {
            cli_error("train: %s: %s", path, err.message);
            rc = EXIT_RUNTIME;
        }
    }
    /* colorful dimension: the last hidden point's histograms over time */
    if (!rc && nk > 1 && np > 0) {
        size_t j = np > 1 ? np - 2 : 0;
        double *z = il_calloc(nk * IL_NT_HIST_BINS, sizeof *z), yb[IL_NT_HIST_BINS], hi = 0;
        for (size_t bi = 0; bi < IL_NT_HIST_BINS; bi++)
            yb[bi] = IL_NT_HIST_LO +
                     ((double)bi + 0.5) * (IL_NT_HIST_HI - IL_NT_HIST_LO) / IL_NT_HIST_BINS;
        if (!z)
            rc = EXIT_NOMEM;
        for (size_t k = 0; z && k < nk; k++)
            for (size_t bi = 0; bi < IL_NT_HIST_BINS; bi++) {
                double v = log1p((double)il_nt_record_point(a->res, k, j)->hist[bi]);
                z[bi * nk + k] = v;
                hi = v > hi ? v : hi;
            }
        char title[200];
        snprintf(title, sizeof title, "colorful dimension: %s, log(1 + count)",
                 il_net_op_name(a->net, il_nt_point_node(a->net, j)));
        il_heatmap h = {
            title,           "step", "activation", "log(1+count)", x, yb, nk, IL_NT_HIST_BINS, z, 0,
            hi > 0 ? hi : 1, 0,      NULL,         NULL,           0};
        if (arm == 0)
            snprintf(path, sizeof path, "%s/colorful.png", out_dir);
        else
            snprintf(path, sizeof path, "%s/colorful_arm%zu.png", out_dir, arm + 1);
        err.message[0] = '\0';
        if (z && cli_write_heatmap(path, &h, IL_PLOT_PNG, &err) != IL_OK) {
            cli_error("train: %s: %s", path, err.message);
            rc = EXIT_RUNTIME;
        }
        il_free(z);
    }
    il_free(x);
    il_free(y);
    return rc;
}

/* The first record at which a point is non-finite or more than half dead. */
static void warnings(const arm_run *a)
{
    for (size_t j = 0; j < il_nt_point_count(a->net); j++) {
        int nf = 0, dead = 0;
        const char *name = il_net_op_name(a->net, il_nt_point_node(a->net, j));
        for (size_t k = 0; k < il_nt_record_count(a->res); k++) {
            const il_nt_point_stats *s = il_nt_record_point(a->res, k, j);
            size_t step = il_nt_record_step(a->res, k);
            if (!nf && s->nonfinite) {
                fprintf(stderr, "warning: %s: step %zu: %s has non-finite activations\n", a->recipe,
                        step, name);
                nf = 1;
            }
            if (!dead && 2 * s->dead > s->units) {
                fprintf(stderr, "warning: %s: step %zu: %s: %zu of %zu units dead\n", a->recipe,
                        step, name, s->dead, s->units);
                dead = 1;
            }
        }
    }
}

int cmd_train_net(int argc, char **argv)
{
    static arm_run arms[MAX_ARMS];
    size_t n_arms, text_len = 0;
    il_netdesc *d = NULL;
    il_data train = {0}, test = {0};
    uint8_t *text = NULL;
    il_nt_config cfg;
    progress_ctx prog;
    double lr, mom, wd, clip;
    int help_flag, npos, rc, opt, param, is_text;

    clock_gettime(CLOCK_MONOTONIC, &prog.t0);
    if ((rc = cli_parse("train", tn_options, argc, argv, &npos, &help_flag)) != 0)
        return rc;
    if (help_flag) {
        help(stdout);
        return EXIT_OK;
    }
    if (npos > 0 || !net_text) {
        cli_error("train: usage: initlab train --net PRESET|FILE.json [options]");
        return EXIT_USAGE;
    }
    if ((opt = il_nt_opt_parse(opt_text)) < 0) {
        cli_error("train: unknown --opt '%s' (valid: sgd, momentum, adam, adamw)", opt_text);
        return EXIT_USAGE;
    }
    param = strcmp(param_text, "sp") == 0    ? IL_NT_SP
            : strcmp(param_text, "mup") == 0 ? IL_NT_MUP
                                             : -1;
    if (param < 0) {
        cli_error("train: invalid value '%s' for --param: expected sp or mup", param_text);
        return EXIT_USAGE;
    }
    if (param == IL_NT_MUP && !base_width) {
        cli_error("train: --param mup needs --base-width N");
        return EXIT_USAGE;
    }
    if ((rc = train_net_number("train", "lr", lr_text, 0, &lr)) ||
        (rc = train_net_number("train", "momentum", momentum_text, 1, &mom)) ||
        (rc = train_net_number("train", "weight-decay", wd_text, 1, &wd)) ||
        (rc = train_net_number("train", "clip", clip_text, 1, &clip)))
        return rc;
    if (record_every == 0) {
        cli_error("train: invalid value '0' for --record-every: expected K >= 1");
        return EXIT_USAGE;
    }
    if (steps == 0 || batch == 0) {
        cli_error("train: --steps and --batch must be positive");
        return EXIT_USAGE;
    }
    n_arms = recipes.n ? recipes.n : 1;
    if (n_arms > MAX_ARMS) {
        cli_error("train: at most %d --recipe arms", MAX_ARMS);
        return EXIT_USAGE;
    }
    if ((rc = train_net_load("train", net_text, &d)) != 0)
        return rc;
    is_text = il_netdesc_input_kind(d) == IL_NET_INPUT_TOKENS;
    rc = is_text ? train_net_load_text("train", data_text ? data_text : TRAIN_NET_FORTUNES, &text,
                                       &text_len)
                 : train_net_load_images("train", data_text ? data_text : TRAIN_NET_FASHION,
                                         "train", &train, &test);
    memset(&cfg, 0, sizeof cfg);
    cfg.steps = steps;
    cfg.record_every = record_every;
    cfg.opt = il_nt_optconfig_default((il_nt_opt)opt, lr);
    cfg.opt.momentum = mom;
    cfg.opt.weight_decay = wd;
    cfg.opt.clip = clip;
    cfg.opt.warmup = warmup;
    cfg.opt.decay_steps = cosine && steps > warmup ? steps - warmup : 0;
    /* the held-out tail: the last tenth of the text */
    il_nt_source src = {is_text ? NULL : &train, text, text_len - text_len / 10};
    prog.tty = isatty(2);
    prog.n_arms = n_arms;
    if (!rc)
        rc = cli_outdir_open("train", out_dir);
    for (size_t r = 0; !rc && r < n_arms; r++) {
        il_recipe_spec rs;
        il_nt_scaling *sc = NULL;
        double *mult = NULL;
        il_rng *rng = NULL;
        il_error err;
        err.message[0] = '\0';
        snprintf(arms[r].recipe, sizeof arms[r].recipe, "%s",
                 recipes.n ? recipes.items[r] : "torch_default");
        if ((rc = train_net_recipe("train", arms[r].recipe, &rs)) != 0)
            break;
        if ((rc = train_net_build("train", d, is_text ? NULL : &train, batch, &arms[r].net)) != 0)
            break;
        size_t np = il_net_param_count(arms[r].net);
        sc = il_calloc(np + 1, sizeof *sc);
        mult = il_calloc(np + 1, sizeof *mult);
        rc = !sc || !mult ? EXIT_NOMEM : 0;
        if (!rc)
            rc = train_net_scalings("train", net_text, d, is_text ? NULL : &train,
                                    param == IL_NT_MUP ? base_width : 0, (il_nt_param)param,
                                    (il_nt_opt)opt, arms[r].net, sc);
        if (!rc)
            rc = train_net_init("train", arms[r].net, &rs, seed, sc);
        for (size_t i = 0; !rc && i < np; i++)
            mult[i] = sc[i].lr_mult;
        cfg.lr_mult = mult;
        prog.arm = r;
        if (!rc) {
            il_status st = il_rng_new(il_rng_find("philox"), seed + 1, &rng);
            if (st == IL_OK)
                st = il_nt_train(arms[r].net, &cfg, &src, rng, progress, &prog, &arms[r].res, &err);
            if (st != IL_OK) {
                cli_error("train: %s", err.message[0] ? err.message : il_status_str(st));
                rc = cli_exit_for(st);
            }
        }
        il_rng_free(rng);
        il_free(sc);
        il_free(mult);
        if (!rc) {
            size_t ds, dp, done = il_nt_steps_done(arms[r].res);
            warnings(&arms[r]);
            if (il_nt_diverged(arms[r].res, &ds, &dp))
                fprintf(stderr,
                        "train: %s diverged at step %zu (non-finite loss), first in %s; kept "
                        "the %zu records before it\n",
                        arms[r].recipe, ds,
                        dp == SIZE_MAX
                            ? "no point (the loss only)"
                            : il_net_op_name(arms[r].net, il_nt_point_node(arms[r].net, dp)),
                        il_nt_record_count(arms[r].res));
            /* held out: the test split, or the text's last tenth (20 batches at most) */
            il_nt_source ho = {is_text ? NULL : &test, text + src.text_len,
                               text_len - src.text_len};
            arms[r].heldout_loss = arms[r].heldout_acc = (double)NAN;
            if (!il_nt_diverged(arms[r].res, NULL, NULL) &&
                il_nt_evaluate(arms[r].net, &ho, 20, &arms[r].heldout_loss, &arms[r].heldout_acc,
                               &err) != IL_OK)
                fprintf(stderr, "train: %s: no held-out evaluation: %s\n", arms[r].recipe,
                        err.message);
            printf("%-24s steps %zu  first loss %.6g  last loss %.6g  held-out loss %.4f "
                   "accuracy %.4f\n",
                   arms[r].recipe, done, done ? il_nt_losses(arms[r].res)[0] : (double)NAN,
                   done ? il_nt_losses(arms[r].res)[done - 1] : (double)NAN, arms[r].heldout_loss,
                   arms[r].heldout_acc);
        }
    }
    if (!rc)
        rc = write_csv(arms, n_arms);
    if (!rc)
        rc = write_report(arms, n_arms);
    for (size_t r = 0; !rc && r < n_arms; r++)
        rc = figures(&arms[r], r);
    if (!rc)
        printf("wrote %s/{dynamics.csv,report.json,dynamics_std.png,update_ratio.png,dead.png,"
               "colorful*.png}\n",
               out_dir);
    for (size_t r = 0; r < n_arms; r++) {
        il_nt_result_free(arms[r].res);
        il_net_free(arms[r].net);
        arms[r].res = NULL;
        arms[r].net = NULL;
    }
    il_data_free(&train);
    il_data_free(&test);
    il_free(text);
    il_netdesc_free(d);
    return rc;
}
