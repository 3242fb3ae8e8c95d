/* SPDX-License-Identifier: MIT */
/*
 * initlab sweep plot: a metric over two axes as a heat map (plot's
 * il_plot_heatmap), with mean-field theory's lines when the axes are
 * sigma_w2 and depth (chi1 = 1, xi_c and 6 xi_c from theory.h), or over
 * one axis as a line with mean +- std over the other axes' cells (seeds).
 */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_sweep.h"

#define THEORY_POINTS 20 /* per theory curve: xi_c in the chaotic phase costs ~1 s each */

typedef struct plot_opts {
    const char *x, *y, *metric, *out, *format;
    int no_theory;
} plot_opts;

static const cli_option plot_options[] = {
    CLI_OPT("x", CLI_STRING, plot_opts, x, "AXIS", "the horizontal axis (a numeric axis)"),
    CLI_OPT("y", CLI_STRING, plot_opts, y, "AXIS",
            "the vertical axis: a heat map (without: lines, mean +- std over the rest)"),
    CLI_OPT("metric", CLI_STRING, plot_opts, metric, "PATH",
            "the metric drawn (default the grid's first)"),
    CLI_OPT("out", CLI_STRING, plot_opts, out, "FILE",
            "the figure (default initlab-out/sweep/heatmap.FMT or lines.FMT)"),
    CLI_OPT("format", CLI_STRING, plot_opts, format, "FMT", "png (default), svg or pdf"),
    CLI_OPT("no-theory", CLI_FLAG, plot_opts, no_theory, NULL, "no theory lines"),
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

static void plot_help(FILE *f)
{
    fprintf(f, "usage: initlab sweep plot DB --x AXIS [--y AXIS] [--metric PATH] [options]\n\n"
               "Draw a metric of a sweep's done cells: over --x and --y a heat map (the mean\n"
               "over the other axes), with --x sigma_w2 and --y depth theory's lines over it:\n"
               "the edge of chaos (chi1 = 1, vertical), the correlation depth scale xi_c and\n"
               "6 xi_c (Schoenholz et al. 2017), for arm 1's activation. Over --x alone, a\n"
               "line of the mean with faint lines at mean +- std over the other axes (seeds).\n"
               "Axes whose values are not evenly spaced are drawn at their positions.\n\n"
               "Options:\n");
    cli_print_options(f, plot_options);
}

typedef struct acc {
    const il_sweep_grid *g;
    size_t kx, ky, nx, ny;
    int two_d;
    const char *metric;
    double *sum, *sum2;
    size_t *n;
} acc;

static int collect(void *vctx, const il_sweep_row *r)
{
    acc *a = vctx;
    cJSON *m, *v;
    size_t i;
    if (r->status != IL_SWEEP_DONE || !r->metrics)
        return 0;
    m = cJSON_Parse(r->metrics);
    v = cJSON_GetObjectItemCaseSensitive(m, a->metric);
    i = il_sweep_cell_coord(a->g, r->index, a->kx);
    if (a->two_d)
        i += a->nx * il_sweep_cell_coord(a->g, r->index, a->ky);
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
        a->sum[i] += v->valuedouble;
        a->sum2[i] += v->valuedouble * v->valuedouble;
        a->n[i]++;
    }
    cJSON_Delete(m);
    return 0;
}

/* The axis named 'name', or -1 after a message. */
static int find_axis(const il_sweep_grid *g, const char *name)
{
    for (size_t k = 0; k < il_sweep_grid_axes(g); k++)
        if (strcmp(il_sweep_grid_axis_name(g, k), name) == 0) {
            for (size_t i = 0; i < il_sweep_grid_axis_len(g, k); i++)
                if (!isfinite(il_sweep_grid_axis_value(g, k, i))) {
                    cli_error("sweep plot: axis '%s' is not numeric", name);
                    return -1;
                }
            return (int)k;
        }
    cli_error("sweep plot: the grid has no axis '%s'", name);
    return -1;
}

/* The axis's values as drawn: themselves when increasing and evenly
 * spaced, else their positions 0, 1, ... (*positions set). */
static void coords(const il_sweep_grid *g, size_t k, double *out, int *positions)
{
    size_t n = il_sweep_grid_axis_len(g, k);
    double step = n > 1 ? il_sweep_grid_axis_value(g, k, 1) - il_sweep_grid_axis_value(g, k, 0) : 1;
    *positions = !(step > 0);
    for (size_t i = 0; i < n; i++) {
        out[i] = il_sweep_grid_axis_value(g, k, i);
        if (i && fabs(out[i] - out[i - 1] - step) > 1e-9 * fabs(step) + 1e-12)
            *positions = 1;
    }
    if (*positions)
        for (size_t i = 0; i < n; i++)
            out[i] = (double)i;
}

/* Depth 'v' in the drawn coordinates of axis k (positions: piecewise
 * linear between the values); NAN outside. */
static double to_drawn(const il_sweep_grid *g, size_t k, int positions, double v)
{
    size_t n = il_sweep_grid_axis_len(g, k);
    if (!positions)
        return v;
    for (size_t i = 0; i + 1 < n; i++) {
        double a = il_sweep_grid_axis_value(g, k, i), b = il_sweep_grid_axis_value(g, k, i + 1);
        if (v >= a && v <= b && b > a)
            return (double)i + (v - a) / (b - a);
    }
    return (double)NAN;
}

/* Theory's lines for x = sigma_w2, y = depth: arm 1's activation, the
 * grid's one sigma_b2 (or 0 without biases), inputs N(0, 1) (q = 1).
 * Returns the points (NAN-separated) or 0 with a note. */
static size_t theory_lines(const il_sweep_grid *g, const acc *a, int ypos, double *lx, double *ly,
                           size_t cap, char *note, size_t note_cap)
{
    cJSON *root = cJSON_Parse(il_sweep_grid_json(g));
    cJSON *arm = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "base"), "arms"),
        0);
    cJSON *act_name = cJSON_GetObjectItemCaseSensitive(arm, "act"),
          *bias = cJSON_GetObjectItemCaseSensitive(arm, "bias");
    double sb2 = bias ? (double)NAN : 0, lo = il_sweep_grid_axis_value(g, a->kx, 0),
           hi = il_sweep_grid_axis_value(g, a->kx, a->nx - 1), crit;
    size_t n = 0, pts = (cap - 8) / 2;
    il_act act;
    il_error err;

    note[0] = '\0';
    for (size_t k = 0; k < il_sweep_grid_axes(g); k++) {
        const char *name = il_sweep_grid_axis_name(g, k);
        if (strcmp(name, "sigma_b2") == 0)
            sb2 =
                il_sweep_grid_axis_len(g, k) == 1 ? il_sweep_grid_axis_value(g, k, 0) : (double)NAN;
        if (strncmp(name, "arms.", 5) == 0 || strcmp(name, "width") == 0)
            snprintf(note, note_cap, "no theory lines: axis %s changes the arms", name);
    }
    if (!note[0] && !cJSON_IsString(act_name))
        snprintf(note, note_cap, "no theory lines: the base has no arm");
    else if (!note[0] && !isfinite(sb2))
        snprintf(note, note_cap, "no theory lines: sigma_b2 is not one value");
    else if (!note[0] && il_act_parse(act_name->valuestring, &act, &err) != IL_OK)
        snprintf(note, note_cap, "no theory lines: %.200s", err.message);
    if (note[0]) {
        cJSON_Delete(root);
        return 0;
    }
    /* xi_c once per point (each is a fixed point of the correlation map
     * in 2-D quadrature when chaotic), both curves from it */
    pts = pts < THEORY_POINTS ? pts : THEORY_POINTS;
    for (size_t i = 0; i < pts; i++) {
        double sw = lo + (hi - lo) * (double)i / (double)(pts - 1);
        il_theory t;
        lx[i] = lx[pts + 1 + i] = sw;
        if (il_theory_fixed(&act, sw, sb2, 1.0, &t) == IL_OK && isfinite(t.xi_c)) {
            ly[i] = to_drawn(g, a->ky, ypos, t.xi_c);
            ly[pts + 1 + i] = to_drawn(g, a->ky, ypos, 6 * t.xi_c);
        } else {
            ly[i] = ly[pts + 1 + i] = (double)NAN;
        }
    }
    lx[pts] = ly[pts] = lx[2 * pts + 1] = ly[2 * pts + 1] = (double)NAN;
    n = 2 * pts + 2;
    if (il_theory_critical(&act, sb2, 1.0, &crit) == IL_OK && crit >= lo && crit <= hi) {
        lx[n] = lx[n + 1] = crit;
        /* from the bottom edge of the map to the top, in drawn coordinates */
        double y0 = il_sweep_grid_axis_value(g, a->ky, 0),
               y1 = il_sweep_grid_axis_value(g, a->ky, a->ny - 1),
               half = a->ny > 1 ? 0.5 * (y1 - y0) / (double)(a->ny - 1) : 0.5;
        ly[n] = ypos ? -0.5 : y0 - half;
        ly[n + 1] = ypos ? (double)a->ny - 0.5 : y1 + half;
        n += 2;
        snprintf(note, note_cap,
                 "theory (%s, sigma_b2 %g): chi1 = 1 at sigma_w2 %.4g; xi_c and 6 xi_c",
                 act_name->valuestring, sb2, crit);
    } else {
        snprintf(note, note_cap, "theory (%s, sigma_b2 %g): xi_c and 6 xi_c", act_name->valuestring,
                 sb2);
    }
    cJSON_Delete(root);
    return n;
}

int sweep_plot(int argc, char **argv)
{
    plot_opts o = {.format = "png"};
    il_sweep_store *s = NULL;
    il_sweep_grid *g = NULL;
    acc a = {0};
    int npos, rc = EXIT_OK, fmt, kx, ky = -1, xpos = 0, ypos = 0;
    il_error err;
    il_status st;
    char path[4200], note[300] = "";
    double *x = NULL, *y = NULL, *z = NULL, lx[520], ly[520];

    if (!cli_begin("sweep plot", plot_options, &o, plot_help, 1, argc, argv, &npos, &rc))
        return rc;
    if (npos != 1 || !o.x) {
        cli_error("sweep plot: give the DB and --x AXIS");
        return EXIT_USAGE;
    }
    if ((fmt = il_plot_format_from_name(o.format)) < 0) {
        cli_error("sweep plot: unknown format '%s' (valid: png, svg, pdf)", o.format);
        return EXIT_USAGE;
    }
    err.message[0] = '\0';
    if ((st = il_sweep_store_open_existing(argv[1], 0, &s, &g, &err)) != IL_OK) {
        cli_error("sweep plot: %s", err.message);
        return st == IL_EIO ? EXIT_RUNTIME : EXIT_DATA;
    }
    a.g = g;
    a.metric = o.metric ? o.metric : il_sweep_grid_metric(g, 0);
    for (size_t m = 0; m <= il_sweep_grid_metrics(g); m++)
        if (m == il_sweep_grid_metrics(g)) {
            cli_error("sweep plot: the grid keeps no metric '%s'", a.metric);
            rc = EXIT_USAGE;
            goto done;
        } else if (strcmp(il_sweep_grid_metric(g, m), a.metric) == 0) {
            break;
        }
    if ((kx = find_axis(g, o.x)) < 0 || (o.y && (ky = find_axis(g, o.y)) < 0)) {
        rc = EXIT_USAGE;
        goto done;
    }
    a.kx = (size_t)kx;
    a.nx = il_sweep_grid_axis_len(g, a.kx);
    a.two_d = ky >= 0;
    a.ky = a.two_d ? (size_t)ky : 0;
    a.ny = a.two_d ? il_sweep_grid_axis_len(g, a.ky) : 1;
    x = calloc(a.nx, sizeof *x);
    y = calloc(a.ny, sizeof *y);
    z = calloc(a.nx * a.ny, sizeof *z);
    a.sum = calloc(a.nx * a.ny, sizeof *a.sum);
    a.sum2 = calloc(a.nx * a.ny, sizeof *a.sum2);
    a.n = calloc(a.nx * a.ny, sizeof *a.n);
    if (!x || !y || !z || !a.sum || !a.sum2 || !a.n) {
        rc = EXIT_NOMEM;
        goto done;
    }
    if (il_sweep_store_each(s, collect, &a, &err) != IL_OK) {
        cli_error("sweep plot: %s", err.message);
        rc = EXIT_RUNTIME;
        goto done;
    }
    coords(g, a.kx, x, &xpos);
    if (o.out)
        snprintf(path, sizeof path, "%s", o.out);
    else if (cli_mkdirs("initlab-out/sweep") == 0)
        snprintf(path, sizeof path, "initlab-out/sweep/%s.%s", a.two_d ? "heatmap" : "lines",
                 il_plot_format_ext((il_plot_format)fmt));
    if (a.two_d) {
        il_heatmap h = {0};
        double zlo = (double)INFINITY, zhi = -(double)INFINITY;
        char xl[300], yl[300];
        size_t nl = 0;
        coords(g, a.ky, y, &ypos);
        for (size_t i = 0; i < a.nx * a.ny; i++) {
            z[i] = a.n[i] ? a.sum[i] / (double)a.n[i] : (double)NAN;
            if (isfinite(z[i])) {
                zlo = fmin(zlo, z[i]);
                zhi = fmax(zhi, z[i]);
            }
        }
        if (!(zlo < zhi)) { /* one value or none: a scale around it */
            zlo = isfinite(zlo) ? zlo - 0.5 : 0;
            zhi = zlo + 1;
        }
        if (!o.no_theory && strcmp(o.x, "sigma_w2") == 0 && o.y && strcmp(o.y, "depth") == 0 &&
            !xpos)
            nl = theory_lines(g, &a, ypos, lx, ly, sizeof lx / sizeof lx[0], note, sizeof note);
        snprintf(xl, sizeof xl, "%s%s", o.x, xpos ? " (position)" : "");
        snprintf(yl, sizeof yl, "%s%s", o.y, ypos ? " (position)" : "");
        h.title = a.metric;
        h.xlabel = xl;
        h.ylabel = yl;
        h.zlabel = a.metric;
        h.x = x;
        h.y = y;
        h.nx = a.nx;
        h.ny = a.ny;
        h.z = z;
        h.z_lo = zlo;
        h.z_hi = zhi;
        h.line_x = nl ? lx : NULL;
        h.line_y = nl ? ly : NULL;
        h.n_line = nl;
        st = cli_write_heatmap(path, &h, (il_plot_format)fmt, &err);
    } else {
        il_line_series series[3] = {{a.metric, z, IL_LINE_SOLID, 1},
                                    {"mean + std", y, IL_LINE_FAINT, 1},
                                    {"mean - std", NULL, IL_LINE_FAINT, 1}};
        double *lo = calloc(a.nx, sizeof *lo), *up = calloc(a.nx, sizeof *up);
        il_line_plot p = {a.metric, o.x, a.metric, x, a.nx, series, 3, 0};
        char xl[300];
        if (!lo || !up) {
            free(lo);
            free(up);
            rc = EXIT_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < a.nx; i++) {
            double mean = a.n[i] ? a.sum[i] / (double)a.n[i] : (double)NAN;
            double var =
                a.n[i] > 1 ? (a.sum2[i] - (double)a.n[i] * mean * mean) / (double)(a.n[i] - 1) : 0;
            z[i] = mean;
            up[i] = mean + sqrt(fmax(var, 0));
            lo[i] = mean - sqrt(fmax(var, 0));
        }
        series[1].y = up;
        series[2].y = lo;
        snprintf(xl, sizeof xl, "%s%s", o.x, xpos ? " (position)" : "");
        p.xlabel = xl;
        st = cli_write_lines(path, &p, (il_plot_format)fmt, &err);
        free(lo);
        free(up);
    }
    if (st != IL_OK) {
        cli_error("sweep plot: %s", err.message[0] ? err.message : il_status_str(st));
        rc = cli_exit_for(st);
    } else {
        char safe[TERM_ESCAPE_MAX];
        printf("wrote %s%s%s\n", term_escape(safe, sizeof safe, path), note[0] ? ": " : "", note);
    }
done:
    free(x);
    free(y);
    free(z);
    free(a.sum);
    free(a.sum2);
    free(a.n);
    il_sweep_store_close(s);
    il_sweep_grid_free(g);
    return rc;
}
