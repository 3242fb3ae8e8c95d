/* SPDX-License-Identifier: MIT */
/*
 * The figures of a run (initlab run): per arm its histograms, all arms on
 * shared axes, the std per layer, and with gradients their histograms and
 * std. Drawn from an il_run_result; the report is written elsewhere.
 */
#include <string.h>

#include "cli.h"

#define PLOT_LAYERS 10 /* histogram panels per arm at most */

size_t cli_pick_layers(size_t n_layers, size_t max, size_t *out)
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

typedef struct figure_ctx {
    const char *dir;
    il_plot_format fmt;
    const il_run_spec *spec;
    const il_run_result *run;
    const il_exp_result *res;
    size_t pick[PLOT_LAYERS], n_pick, numbers[PLOT_LAYERS];
    int theory;
    char path[4200], title[800];
} figure_ctx;

static void figure_path(figure_ctx *f, const char *stem)
{
    snprintf(f->path, sizeof f->path, "%s/%s.%s", f->dir, stem, il_plot_format_ext(f->fmt));
}

/* A grid of 'rows' arms (arm_of) by the picked layers, with the theory's
 * histograms in red when there are any. */
static il_status arm_grid(figure_ctx *f, const size_t *arm_of, size_t rows,
                          const char *const *row_labels, int shared, il_error *err)
{
    const il_layer_stats *panels[CLI_LIST_MAX * PLOT_LAYERS];
    double *expected[CLI_LIST_MAX * PLOT_LAYERS];
    il_hist_grid g = {
        f->title, rows,   f->n_pick,  row_labels,
        panels,   shared, f->numbers, f->theory ? (const double *const *)expected : NULL};
    il_status st = IL_OK;

    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < f->n_pick; k++)
            panels[r * f->n_pick + k] = il_exp_stats(f->res, arm_of[r], f->pick[k]);
    if (f->theory)
        st = cli_theory_grid(f->run, f->spec->parsed, arm_of, rows, f->pick, f->n_pick, panels,
                             expected);
    if (st == IL_OK)
        st = cli_write_grid(f->path, &g, f->fmt, err);
    if (f->theory)
        cli_theory_grid_free(expected, rows * f->n_pick);
    return st;
}

/* std per layer of every arm (up to ten), measured and predicted. */
static il_status std_lines(figure_ctx *f, double *xs, double *ys, il_error *err)
{
    size_t n_arms = f->spec->n_arms, L = f->spec->n_layers;
    size_t n_shown = n_arms < 10 ? n_arms : 10, n_series = 0;
    il_line_series series[IL_PLOT_MAX_SERIES];
    char theory_labels[10][32];
    il_line_plot lp = {f->theory ? "std of the activations, per layer (dashed: theory)"
                                 : "std of the activations, per layer",
                       "layer",
                       "std (log scale)",
                       xs,
                       L,
                       series,
                       0,
                       1};
    for (size_t a = 0; a < n_shown; a++) {
        double *y = ys + a * L;
        for (size_t l = 0; l < L; l++)
            y[l] = il_exp_stats(f->res, a, l)->std;
        series[n_series++] = (il_line_series){il_run_result_label(f->run, a), y, 0, a + 1};
    }
    for (size_t a = 0; a < n_shown; a++) {
        const il_theory_layer *pred = f->theory ? il_run_result_theory(f->run, a) : NULL;
        double *y = ys + (n_arms + a) * L;
        if (!pred)
            continue;
        for (size_t l = 0; l < L; l++)
            y[l] = pred[l].act_std;
        snprintf(theory_labels[a], sizeof theory_labels[a], "arm %zu, theory", a + 1);
        series[n_series++] = (il_line_series){theory_labels[a], y, IL_LINE_DASHED, a + 1};
    }
    lp.n_series = n_series;
    figure_path(f, "std");
    return cli_write_lines(f->path, &lp, f->fmt, err);
}

/* Histograms of dL/dz for every arm, and their std per layer. */
static il_status grad_figures(figure_ctx *f, const char *const *row_labels, double *xs, double *ys,
                              il_error *err)
{
    size_t n_arms = f->spec->n_arms, L = f->spec->n_layers;
    const il_layer_stats *panels[CLI_LIST_MAX * PLOT_LAYERS];
    il_hist_grid g = {f->title, n_arms, f->n_pick, row_labels, panels, 0, f->numbers, NULL};
    il_line_series series[10];
    size_t n_series = n_arms < 10 ? n_arms : 10;
    il_line_plot lp = {"std of dL/dz, per layer (back-propagated gradient)",
                       "layer",
                       "std (log scale)",
                       xs,
                       L,
                       series,
                       n_series,
                       1};
    il_status st;

    for (size_t a = 0; a < n_arms; a++)
        for (size_t k = 0; k < f->n_pick; k++)
            panels[a * f->n_pick + k] = il_exp_grad_pre(f->res, a, f->pick[k]);
    snprintf(f->title, sizeof f->title,
             "dL/dz per layer (each panel over +-4 of its own std; the scale is in grad_std)");
    figure_path(f, "grad");
    st = cli_write_grid(f->path, &g, f->fmt, err);
    if (st != IL_OK)
        return st;
    for (size_t a = 0; a < n_series; a++) {
        for (size_t l = 0; l < L; l++)
            ys[a * L + l] = il_exp_grad_pre(f->res, a, l)->std;
        series[a] = (il_line_series){il_run_result_label(f->run, a), ys + a * L, 0, 0};
    }
    figure_path(f, "grad_std");
    return cli_write_lines(f->path, &lp, f->fmt, err);
}

il_status cli_run_figures(const char *dir, il_plot_format fmt, const il_run_spec *s,
                          const il_run_result *r, il_error *err)
{
    static figure_ctx f; /* paths and titles are large; one run at a time */
    size_t n_arms = s->n_arms, L = s->n_layers, arm_of[CLI_LIST_MAX];
    const char *row_labels[CLI_LIST_MAX];
    double *xs = NULL, *ys = NULL;
    il_status st = IL_OK;

    memset(&f, 0, sizeof f);
    f.dir = dir;
    f.fmt = fmt;
    f.spec = s;
    f.run = r;
    f.res = il_run_result_exp(r);
    f.theory = s->theory;
    f.n_pick = cli_pick_layers(L, PLOT_LAYERS, f.pick);
    for (size_t k = 0; k < f.n_pick; k++)
        f.numbers[k] = f.pick[k] + 1;
    for (size_t a = 0; a < n_arms; a++) {
        arm_of[a] = a;
        row_labels[a] = il_run_result_label(r, a);
    }
    for (size_t a = 0; st == IL_OK && a < n_arms; a++) {
        char stem[32];
        snprintf(f.title, sizeof f.title, "arm %zu: %.640s%s", a + 1, row_labels[a],
                 il_run_result_theory(r, a) && s->theory ? " (red: mean-field theory)" : "");
        snprintf(stem, sizeof stem, "arm%zu", a + 1);
        figure_path(&f, stem);
        st = arm_grid(&f, arm_of + a, 1, NULL, 0, err);
    }
    if (st == IL_OK) {
        snprintf(f.title, sizeof f.title, "%zu arm%s, %zu layers (shared axes)%s", n_arms,
                 n_arms == 1 ? "" : "s", L, s->theory ? "; red: mean-field theory" : "");
        figure_path(&f, "compare");
        st = arm_grid(&f, arm_of, n_arms, row_labels, 1, err);
    }
    xs = il_malloc_n(L, sizeof *xs);
    ys = il_malloc_n(L * n_arms * 2, sizeof *ys); /* measured, then predicted */
    if (st == IL_OK && (!xs || !ys))
        st = IL_ENOMEM;
    for (size_t l = 0; st == IL_OK && l < L; l++)
        xs[l] = (double)(l + 1);
    if (st == IL_OK)
        st = std_lines(&f, xs, ys, err);
    if (st == IL_OK && s->grad)
        st = grad_figures(&f, row_labels, xs, ys, err);
    il_free(xs);
    il_free(ys);
    return st;
}
