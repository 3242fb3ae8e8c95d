/* SPDX-License-Identifier: MIT */
/*
 * initlab coordcheck: muP's coordinate check (ARCHITECTURES.md, 4.3).
 * Each width trains a few steps on one fixed batch; at every step (step 1
 * is the network at initialization, before any update) each point's mean
 * absolute activation is recorded, averaged over seeds. The verdict is
 * the least-squares slope of log l1 against log width per point and step:
 * "grows" when any slope exceeds 0.3, else "flat".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_net.h"

#define MAX_WIDTHS     16
#define MAX_STEPS      16
#define GROWTH_SLOPE   0.3
#define MAX_CC_POINTS  64
#define DEFAULT_WIDTHS "128,256,512,1024,2048"

static const char *net_text = "mlp:depth=4", *widths_text = DEFAULT_WIDTHS, *param_text = "sp",
                  *opt_text = "adam", *lr_text = "0.001", *recipe_text = "torch_default",
                  *data_text = TRAIN_NET_FASHION, *out_dir = "initlab-out/coordcheck";
static size_t steps = 4, seeds = 3, batch = 32, base_width = CLI_UNSET;
static int json;

static const cli_option cc_options[] = {
    {"net", CLI_STRING, &net_text, "PRESET", "network preset (default mlp:depth=4)", 0},
    {"widths", CLI_STRING, &widths_text, "W0,W1,...", "widths (default " DEFAULT_WIDTHS ")", 0},
    {"param", CLI_STRING, &param_text, "sp|mup", "parametrization (default sp)", 0},
    {"base-width", CLI_SIZE, &base_width, "N", "muP's base width (default the first width)", 0},
    {"opt", CLI_STRING, &opt_text, "NAME", "sgd, momentum, adam (default) or adamw", 0},
    {"lr", CLI_STRING, &lr_text, "X", "learning rate (default 0.001)", 0},
    {"steps", CLI_SIZE, &steps, "N", "steps recorded, the first at init (default 4)", 0},
    {"seeds", CLI_SIZE, &seeds, "N", "seeds averaged (default 3)", 0},
    {"batch", CLI_SIZE, &batch, "B", "rows of the fixed batch (default 32)", 0},
    {"recipe", CLI_STRING, &recipe_text, "NAME", "initialization (default torch_default)", 0},
    {"data", CLI_STRING, &data_text, "DIR|FILE", "Fashion-MNIST folder, or a text", 0},
    {"out", CLI_STRING, &out_dir, "DIR", "output folder (default initlab-out/coordcheck)", 0},
    {"json", CLI_FLAG, &json, NULL, "print the result as JSON", 0},
    {NULL, 0, NULL, NULL, NULL, 0}};

static void help(FILE *f)
{
    fprintf(f, "usage: initlab coordcheck [--net PRESET] [--widths W,...] [--param sp|mup]\n"
               "         [--opt adam] [--lr X] [--steps 4] [--seeds 3] [--json]\n\n"
               "muP's coordinate check: per point and step, the mean |activation| (l1)\n"
               "against width, and the slope of log l1 on log width. Verdict: 'grows' when\n"
               "any slope exceeds 0.3, else 'flat'. Step 1 is the network at init.\n\n");
    cli_print_options(f, cc_options);
}

typedef struct cc_point {
    char name[96];
    double l1[MAX_STEPS][MAX_WIDTHS];
    double slope[MAX_STEPS];
} cc_point;

static size_t parse_widths(const char *text, size_t *w)
{
    size_t n = 0;
    for (const char *p = text; *p && n < MAX_WIDTHS;) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || v == 0 || (*end && *end != ','))
            return 0;
        if (n && v <= w[n - 1])
            return 0;
        w[n++] = (size_t)v;
        p = *end ? end + 1 : end;
    }
    return n;
}

/* Train one width and seed; add its l1 per point and step into 'pts'. */
static int one_run(const il_netdesc *d, const char *preset, const il_data *data,
                   const il_nt_source *src, const il_recipe_spec *rs, il_nt_param param,
                   il_nt_opt opt, double lr, size_t bw, size_t seed, cc_point *pts,
                   size_t *n_points, size_t wi)
{
    il_net *n = NULL;
    il_nt_scaling *sc = NULL;
    double *mult = NULL;
    il_nt_result *res = NULL;
    il_rng *rng = NULL;
    il_nt_config cfg;
    il_error err;
    int rc;

    err.message[0] = '\0';
    if ((rc = train_net_build("coordcheck", d, data, batch, &n)) != 0)
        return rc;
    size_t np = il_net_param_count(n);
    sc = il_calloc(np + 1, sizeof *sc);
    mult = il_calloc(np + 1, sizeof *mult);
    rc = !sc || !mult ? EXIT_NOMEM : 0;
    if (!rc)
        rc = train_net_scalings("coordcheck", preset, d, data, bw, param, opt, n, sc);
    if (!rc)
        rc = train_net_init("coordcheck", n, rs, 1000 * (uint64_t)seed + wi, sc);
    if (!rc) {
        for (size_t i = 0; i < np; i++)
            mult[i] = sc[i].lr_mult;
        memset(&cfg, 0, sizeof cfg);
        cfg.steps = steps;
        cfg.record_every = 1;
        cfg.fixed_batch = 1;
        cfg.opt = il_nt_optconfig_default(opt, lr);
        cfg.lr_mult = mult;
        il_status st = il_rng_new(il_rng_find("philox"), seed, &rng);
        if (st == IL_OK)
            st = il_nt_train(n, &cfg, src, rng, NULL, NULL, &res, &err);
        if (st != IL_OK) {
            cli_error("coordcheck: %s", err.message[0] ? err.message : il_status_str(st));
            rc = cli_exit_for(st);
        }
    }
    if (!rc) {
        size_t np_ = il_nt_point_count(n);
        if (np_ > MAX_CC_POINTS)
            np_ = MAX_CC_POINTS;
        *n_points = np_;
        for (size_t j = 0; j < np_; j++) {
            snprintf(pts[j].name, sizeof pts[j].name, "%s",
                     il_net_op_name(n, il_nt_point_node(n, j)));
            for (size_t k = 0; k < il_nt_record_count(res); k++)
                pts[j].l1[k][wi] += il_nt_record_point(res, k, j)->l1 / (double)seeds;
            for (size_t k = il_nt_record_count(res); k < steps; k++)
                pts[j].l1[k][wi] = (double)NAN; /* diverged */
        }
    }
    il_nt_result_free(res);
    il_rng_free(rng);
    il_free(sc);
    il_free(mult);
    il_net_free(n);
    return rc;
}

static void print_json(FILE *f, const size_t *w, size_t nw, const cc_point *pts, size_t np,
                       int grows)
{
    fprintf(f, "{\"param\": \"%s\", \"widths\": [", param_text);
    for (size_t i = 0; i < nw; i++)
        fprintf(f, "%s%zu", i ? ", " : "", w[i]);
    fprintf(f, "], \"steps\": %zu, \"points\": [", steps);
    for (size_t j = 0; j < np; j++) {
        fprintf(f, "%s\n  {\"name\": \"%s\", \"l1\": [", j ? "," : "", pts[j].name);
        for (size_t k = 0; k < steps; k++) {
            fprintf(f, "%s[", k ? ", " : "");
            for (size_t i = 0; i < nw; i++) {
                if (i)
                    fprintf(f, ", ");
                cli_json_number(f, pts[j].l1[k][i]);
            }
            fprintf(f, "]");
        }
        fprintf(f, "], \"slope\": [");
        for (size_t k = 0; k < steps; k++) {
            if (k)
                fprintf(f, ", ");
            cli_json_number(f, pts[j].slope[k]);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "],\n \"verdict\": \"%s\"}\n", grows ? "grows" : "flat");
}

/* One figure per point: l1 against log2 width, one line per step. */
static int figures(const size_t *w, size_t nw, const cc_point *pts, size_t np)
{
    double x[MAX_WIDTHS];
    il_line_series s[MAX_STEPS];
    char labels[MAX_STEPS][32], path[4200], title[200];
    il_error err;

    for (size_t i = 0; i < nw; i++)
        x[i] = log2((double)w[i]);
    for (size_t j = 0; j < np; j++) {
        for (size_t k = 0; k < steps && k < IL_PLOT_MAX_SERIES; k++) {
            snprintf(labels[k], sizeof labels[k], "t=%zu", k + 1);
            s[k] = (il_line_series){labels[k], pts[j].l1[k], 0, 0};
        }
        snprintf(title, sizeof title, "%s %s: %.95s, l1 per step (slope at t=%zu: %.2f)",
                 param_text, opt_text, pts[j].name, steps, pts[j].slope[steps - 1]);
        il_line_plot p = {title,
                          "log2 width",
                          "mean |x|",
                          x,
                          nw,
                          s,
                          steps < IL_PLOT_MAX_SERIES ? steps : IL_PLOT_MAX_SERIES,
                          1};
        snprintf(path, sizeof path, "%.4000s/coord_%.95s.png", out_dir, pts[j].name);
        err.message[0] = '\0';
        if (cli_write_lines(path, &p, IL_PLOT_PNG, &err) != IL_OK) {
            cli_error("coordcheck: %s: %s", path, err.message);
            return EXIT_RUNTIME;
        }
    }
    return 0;
}

int cmd_coordcheck(int argc, char **argv)
{
    static cc_point pts[MAX_CC_POINTS];
    size_t w[MAX_WIDTHS], nw, np = 0, bw;
    il_data train = {0};
    uint8_t *text = NULL;
    size_t text_len = 0;
    il_recipe_spec rs;
    double lr;
    int help_flag, npos, rc, param, opt, grows = 0;

    if ((rc = cli_parse("coordcheck", cc_options, argc, argv, &npos, &help_flag)) != 0)
        return rc;
    if (help_flag) {
        help(stdout);
        return EXIT_OK;
    }
    if (npos > 0) {
        cli_error("coordcheck: unexpected argument '%s'", argv[1]);
        return EXIT_USAGE;
    }
    if (!(nw = parse_widths(widths_text, w)) || nw < 2) {
        cli_error("coordcheck: invalid value '%s' for --widths: expected at least two "
                  "increasing positive integers W0,W1,... (at most %d)",
                  widths_text, MAX_WIDTHS);
        return EXIT_USAGE;
    }
    param = strcmp(param_text, "sp") == 0    ? IL_NT_SP
            : strcmp(param_text, "mup") == 0 ? IL_NT_MUP
                                             : -1;
    if (param < 0) {
        cli_error("coordcheck: invalid value '%s' for --param: expected sp or mup", param_text);
        return EXIT_USAGE;
    }
    if ((opt = il_nt_opt_parse(opt_text)) < 0) {
        cli_error("coordcheck: unknown --opt '%s' (valid: sgd, momentum, adam, adamw)", opt_text);
        return EXIT_USAGE;
    }
    if ((rc = train_net_number("coordcheck", "lr", lr_text, 0, &lr)) != 0)
        return rc;
    if (steps == 0 || steps > MAX_STEPS || seeds == 0 || batch == 0) {
        cli_error("coordcheck: --steps must be 1..%d, --seeds and --batch positive", MAX_STEPS);
        return EXIT_USAGE;
    }
    bw = base_width == CLI_UNSET ? w[0] : base_width;
    if (bw == 0 || bw > w[0]) {
        cli_error("coordcheck: --base-width %zu: must be positive and at most the smallest "
                  "width %zu",
                  bw, w[0]);
        return EXIT_USAGE;
    }
    if ((rc = train_net_recipe("coordcheck", recipe_text, &rs)) != 0)
        return rc;
    for (size_t i = 0; i < nw; i++) {
        char preset[512];
        il_netdesc *di = NULL;
        if (!train_net_with_width(net_text, w[i], preset, sizeof preset)) {
            cli_error("coordcheck: --net: too long");
            return EXIT_USAGE;
        }
        if ((rc = train_net_load("coordcheck", preset, &di)) != 0) {
            cli_error("coordcheck: --widths: width %zu does not fit the network", w[i]);
            return rc;
        }
        if (i == 0 && il_netdesc_input_kind(di) == IL_NET_INPUT_TOKENS)
            rc = train_net_load_text("coordcheck",
                                     strcmp(data_text, TRAIN_NET_FASHION) == 0 ? TRAIN_NET_FORTUNES
                                                                               : data_text,
                                     &text, &text_len);
        else if (i == 0)
            rc = train_net_load_images("coordcheck", data_text, "t10k", &train, NULL);
        il_nt_source src = {text ? NULL : &train, text, text_len};
        for (size_t s = 0; !rc && s < seeds; s++)
            rc = one_run(di, preset, text ? NULL : &train, &src, &rs, (il_nt_param)param,
                         (il_nt_opt)opt, lr, param == IL_NT_MUP ? bw : 0, s, pts, &np, i);
        il_netdesc_free(di);
        if (rc)
            break;
    }
    il_data_free(&train);
    il_free(text);
    if (rc)
        return rc;
    for (size_t j = 0; j < np; j++)
        for (size_t k = 0; k < steps; k++) {
            double y[MAX_WIDTHS], x[MAX_WIDTHS];
            for (size_t i = 0; i < nw; i++) {
                x[i] = (double)w[i];
                y[i] = pts[j].l1[k][i];
            }
            pts[j].slope[k] = il_nt_loglog_slope(x, y, nw);
            grows |= pts[j].slope[k] > GROWTH_SLOPE;
        }
    if ((rc = cli_outdir_open("coordcheck", out_dir)) != 0 || (rc = figures(w, nw, pts, np)) != 0)
        return rc;
    if (json) {
        print_json(stdout, w, nw, pts, np, grows);
        return EXIT_OK;
    }
    printf("coordcheck %s, %s lr %s, widths %s, %zu steps x %zu seeds\n", param_text, opt_text,
           lr_text, widths_text, steps, seeds);
    printf("%-24s", "point: slope at t=");
    for (size_t k = 0; k < steps; k++)
        printf(" %7zu", k + 1);
    printf("\n");
    for (size_t j = 0; j < np; j++) {
        printf("%-24s", pts[j].name);
        for (size_t k = 0; k < steps; k++)
            printf(" %7.3f", pts[j].slope[k]);
        printf("\n");
    }
    printf("verdict: %s", grows ? "grows:" : "flat");
    for (size_t j = 0; grows && j < np; j++)
        for (size_t k = 0; k < steps; k++)
            if (pts[j].slope[k] > GROWTH_SLOPE)
                printf(" %s@t=%zu", pts[j].name, k + 1);
    printf("\nfigures: %s/coord_*.png\n", out_dir);
    return EXIT_OK;
}
