/* SPDX-License-Identifier: MIT */
/*
 * initlab run --net: the tables and figures of a run on a network of layer
 * ops (the report is written by the run layer's report). depth.<fmt> is
 * the picture of docs/architectures.md: the residual stream's rms per
 * block on a log scale, one line per arm, theory dashed beside it.
 */
#include <math.h>
#include <string.h>

#include "cli.h"

#define TABLE_ROWS  24 /* points per arm in the terminal table at most */
#define PLOT_POINTS 10

/* The stream's points of arm a: the top-level residuals' outputs when
 * there are residuals, else every top-level node. Node indices into 'out'
 * (at most 'max'; spread evenly when there are more). */
static size_t stream_nodes(const il_net *n, size_t *out, size_t max)
{
    size_t all[4096] = {0}, m = 0, res = 0, pick[4096], k_max;
    for (size_t k = 0; k < il_net_op_count(n); k++)
        res += il_net_op_depth(n, k) == 0 && strcmp(il_net_op(n, k)->type->name, "residual") == 0;
    for (size_t k = 0; k < il_net_op_count(n) && m < 4096; k++)
        if (il_net_op_depth(n, k) == 0 &&
            (!res || strcmp(il_net_op(n, k)->type->name, "residual") == 0))
            all[m++] = k;
    k_max = cli_pick_layers(m, max, pick);
    for (size_t i = 0; i < k_max; i++)
        out[i] = all[pick[i]];
    return k_max;
}

/* Point index of node k (points interleave nodes and saved tensors). */
static size_t point_of_node(const il_net *n, size_t k)
{
    size_t p = 0;
    for (size_t j = 0; j < k; j++) {
        p++;
        for (size_t s = 0; s < il_net_saved_count(n, j); s++)
            p += il_net_saved(n, j, s, NULL)->point != 0;
    }
    return p;
}

void cli_run_net_tables(FILE *f, const il_run_spec *s, const il_run_result *r)
{
    const il_net *n = il_run_result_net(r);
    size_t nodes[TABLE_ROWS], count = stream_nodes(n, nodes, TABLE_ROWS);

    fprintf(f, "%zu arm%s on %s: %zu layers, %zu parameters; batch %zu; seed %llu (%s)\n",
            s->n_arms, s->n_arms == 1 ? "" : "s",
            il_netdesc_preset(s->net) ? il_netdesc_preset(s->net) : "a JSON network",
            il_net_op_count(n), il_net_param_count(n), s->batch, (unsigned long long)s->seed,
            il_run_spec_rng(s)->name);
    for (size_t a = 0; a < s->n_arms; a++) {
        const il_report_point *pts = il_run_result_points(r, a);
        const il_report_netrun *nr = NULL;
        il_report rep;
        il_run_result_report(r, "run", &rep);
        nr = rep.groups[0].nets[a].net;
        fprintf(f, "\n  arm %zu: %s", a + 1, il_run_result_label(r, a));
        if (nr && isfinite(nr->loss))
            fprintf(f, "   (loss %.4f)", nr->loss);
        fprintf(f, "\n    %-22s %-10s %11s %11s %11s %7s%s%s\n", "point", "type", "mean", "std",
                "rms", "zeros", s->theory ? "  theory rms" : "", s->grad ? "  rms dL/dx" : "");
        for (size_t i = 0; i < count; i++) {
            const il_report_point *p = &pts[point_of_node(n, nodes[i])];
            char safe[TERM_ESCAPE_MAX];
            fprintf(f, "    %-22s %-10s %11.4g %11.4g %11.4g %6.1f%%",
                    term_escape(safe, sizeof safe, p->name), p->type, p->act->mean, p->act->std,
                    sqrt(p->q), 100.0 * p->act->frac_zero);
            if (s->theory && isfinite(p->theory_q))
                fprintf(f, "  %11.4g", sqrt(p->theory_q));
            else if (s->theory)
                fprintf(f, "  %11s", "-");
            if (s->grad && p->grad)
                fprintf(f, "  %10.4g",
                        sqrt(p->grad->std * p->grad->std + p->grad->mean * p->grad->mean));
            if (p->act->nonfinite)
                fprintf(f, "  non-finite %zu", p->act->nonfinite);
            fputc('\n', f);
        }
        fprintf(f, "    (%zu of %zu points: the stream; all are in report.json and stats.csv)\n",
                count, il_run_result_point_count(r, a));
        if (s->theory && il_run_result_theory_note(r, a))
            fprintf(f, "    %s\n", il_run_result_theory_note(r, a));
    }
}

/* depth.<fmt>: the stream's rms by block, measured and predicted. */
static il_status depth_figure(const char *dir, il_plot_format fmt, const il_run_spec *s,
                              const il_run_result *r, il_error *err)
{
    const il_net *n = il_run_result_net(r);
    static size_t nodes[4096];
    static double xs[4097], ys[2 * IL_RUN_MAX_ARMS][4097];
    il_line_series series[2 * IL_RUN_MAX_ARMS];
    size_t count = stream_nodes(n, nodes, 4096), ns = 0, in_len;
    const double *x = il_run_result_input(r);
    char path[4200], title[256];
    double q0 = 0;
    il_line_plot lp;

    in_len = s->batch * il_tshape_size(il_net_input_shape(n));
    for (size_t i = 0; i < in_len; i++)
        q0 += x[i] * x[i];
    q0 /= (double)in_len;
    xs[0] = 0;
    for (size_t i = 0; i < count; i++)
        xs[i + 1] = (double)(i + 1);
    for (size_t a = 0; a < s->n_arms && ns + 2 <= IL_PLOT_MAX_SERIES; a++) {
        const il_report_point *pts = il_run_result_points(r, a);
        int any = 0;
        ys[2 * a][0] = ys[2 * a + 1][0] = sqrt(q0);
        for (size_t i = 0; i < count; i++) {
            const il_report_point *p = &pts[point_of_node(n, nodes[i])];
            ys[2 * a][i + 1] = sqrt(p->q);
            ys[2 * a + 1][i + 1] = s->theory ? sqrt(p->theory_q) : (double)NAN;
            any |= s->theory && isfinite(p->theory_q);
        }
        series[ns++] = (il_line_series){il_run_result_label(r, a), ys[2 * a], IL_LINE_SOLID, a + 1};
        if (any)
            series[ns++] = (il_line_series){NULL, ys[2 * a + 1], IL_LINE_DASHED, a + 1};
    }
    snprintf(title, sizeof title, "rms of the stream by block%s",
             s->theory ? " (dashed: mean-field theory)" : "");
    lp = (il_line_plot){title, "block (0: the input)", "rms", xs, count + 1, series, ns, 1};
    snprintf(path, sizeof path, "%s/depth.%s", dir, il_plot_format_ext(fmt));
    return cli_write_lines(path, &lp, fmt, err);
}

/* arm<N>.<fmt>: histograms of up to ten of the stream's points. */
static il_status arm_figures(const char *dir, il_plot_format fmt, const il_run_spec *s,
                             const il_run_result *r, il_error *err)
{
    const il_net *n = il_run_result_net(r);
    size_t nodes[PLOT_POINTS], count = stream_nodes(n, nodes, PLOT_POINTS), numbers[PLOT_POINTS];
    const il_layer_stats *panels[PLOT_POINTS];
    il_status st = IL_OK;

    for (size_t i = 0; i < count; i++)
        numbers[i] = nodes[i] + 1;
    for (size_t a = 0; st == IL_OK && a < s->n_arms; a++) {
        const il_report_point *pts = il_run_result_points(r, a);
        char path[4200], title[800];
        il_hist_grid g;
        for (size_t i = 0; i < count; i++)
            panels[i] = pts[point_of_node(n, nodes[i])].act;
        snprintf(title, sizeof title, "arm %zu: %.640s (panel k: node k's output)", a + 1,
                 il_run_result_label(r, a));
        memset(&g, 0, sizeof g);
        g.title = title;
        g.rows = 1;
        g.cols = count;
        g.panels = panels;
        g.layer_numbers = numbers;
        snprintf(path, sizeof path, "%s/arm%zu.%s", dir, a + 1, il_plot_format_ext(fmt));
        st = cli_write_grid(path, &g, fmt, err);
    }
    return st;
}

il_status cli_run_net_figures(const char *dir, il_plot_format fmt, const il_run_spec *s,
                              const il_run_result *r, il_error *err)
{
    il_status st = depth_figure(dir, fmt, s, r, err);
    if (st == IL_OK)
        st = arm_figures(dir, fmt, s, r, err);
    return st;
}
