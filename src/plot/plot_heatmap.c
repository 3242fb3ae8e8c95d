/* SPDX-License-Identifier: MIT */
/*
 * Heat maps (the phase diagram): a cell per grid point coloured on a
 * diverging scale, an optional line over them (the critical line), the
 * axes and a colour bar on the right.
 */
#include <cairo.h>
#include <math.h>
#include <stdio.h>

#include "initlab/plot.h"
#include "plot_impl.h"

#define HM_W      760.0
#define HM_H      560.0
#define HM_LEFT   70.0
#define HM_RIGHT  120.0
#define HM_TOP    50.0
#define HM_BOTTOM 50.0

/* A diverging blue-white-red scale for t in [0, 1] (white at 0.5), after
 * ColorBrewer's RdBu: order in blue, chaos in red. */
static void diverging(double t, double rgb[3])
{
    static const double stops[5][3] = {{0.129, 0.400, 0.675},
                                       {0.573, 0.773, 0.871},
                                       {0.969, 0.969, 0.969},
                                       {0.957, 0.647, 0.510},
                                       {0.698, 0.094, 0.169}};
    double u = (t < 0 ? 0 : t > 1 ? 1 : t) * 4;
    int i = u >= 4 ? 3 : (int)u;
    double f = u - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = stops[i][c] + f * (stops[i + 1][c] - stops[i][c]);
}

static double hm_t(const il_heatmap *h, double v)
{
    if (h->log_z)
        v = v > 0 ? log10(v) : -(double)INFINITY;
    return (v - h->z_lo) / (h->z_hi - h->z_lo);
}

/* The cells, centred on the grid points; grey where a value is missing. */
static void draw_cells(cairo_t *cr, const il_heatmap *h, const il__plot_frame *f, double dx,
                       double dy)
{
    for (size_t j = 0; j < h->ny; j++)
        for (size_t i = 0; i < h->nx; i++) {
            double v = h->z[j * h->nx + i], rgb[3] = {0.6, 0.6, 0.6};
            double x0 = il__plot_x(f, h->x[i] - dx / 2), x1 = il__plot_x(f, h->x[i] + dx / 2);
            double y0 = il__plot_y(f, h->y[j] + dy / 2), y1 = il__plot_y(f, h->y[j] - dy / 2);
            if (isfinite(v))
                diverging(hm_t(h, v), rgb);
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            /* a quarter-pixel overlap hides the seams between cells */
            cairo_rectangle(cr, x0, y0, x1 - x0 + 0.25, y1 - y0 + 0.25);
            cairo_fill(cr);
        }
}

/* The line, clipped to the plot, broken where a point is missing. */
static void draw_line(cairo_t *cr, const il_heatmap *h, const il__plot_frame *f)
{
    int pen = 0;
    cairo_save(cr);
    cairo_rectangle(cr, f->px, f->py, f->pw, f->ph);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 2.5);
    for (size_t k = 0; k < h->n_line; k++) {
        if (!isfinite(h->line_x[k]) || !isfinite(h->line_y[k])) {
            pen = 0;
            continue;
        }
        if (pen)
            cairo_line_to(cr, il__plot_x(f, h->line_x[k]), il__plot_y(f, h->line_y[k]));
        else
            cairo_move_to(cr, il__plot_x(f, h->line_x[k]), il__plot_y(f, h->line_y[k]));
        pen = 1;
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* The ticks, the frame, the title and the axis labels. */
static void draw_axes(cairo_t *cr, const il_heatmap *h, const il__plot_frame *f, double height)
{
    double px = f->px, py = f->py, pw = f->pw, ph = f->ph;
    double step = il__plot_nice_step(f->xmax - f->xmin, 8);

    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_set_line_width(cr, 1.0);
    il__plot_x_ticks(cr, f, step, f->xmax + 1e-9 * step);
    step = il__plot_nice_step(f->ymax - f->ymin, 6);
    il__plot_y_ticks(cr, f, step, f->ymax + 1e-9 * step, IL__PLOT_TICK_MARK);
    cairo_rectangle(cr, px + 0.5, py + 0.5, pw - 1, ph - 1);
    cairo_stroke(cr);
    if (h->title)
        il__plot_text(cr, px + pw / 2, 30, h->title, 15, 1, 0.5);
    il__plot_text(cr, px + pw / 2, height - 12, h->xlabel ? h->xlabel : "", 12, 0, 0.5);
    cairo_save(cr);
    cairo_translate(cr, 18, py + ph / 2);
    cairo_rotate(cr, -3.14159265358979323846 / 2);
    il__plot_text(cr, 0, 0, h->ylabel ? h->ylabel : "", 12, 0, 0.5);
    cairo_restore(cr);
}

/* The colour bar right of the plot, its ticks in z (powers of ten on a
 * log scale) and its label above it. */
static void draw_colour_bar(cairo_t *cr, const il_heatmap *h, const il__plot_frame *f)
{
    double px = f->px, py = f->py, pw = f->pw, ph = f->ph;
    double bx = px + pw + 24, bw = 18, steps = 200;
    double step = h->log_z ? 1.0 : il__plot_nice_step(h->z_hi - h->z_lo, 6);
    char buf[64];

    for (int k = 0; k < (int)steps; k++) {
        double rgb[3];
        diverging((k + 0.5) / steps, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, bx, py + ph - ph * (k + 1) / steps, bw, ph / steps + 0.25);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_rectangle(cr, bx + 0.5, py + 0.5, bw - 1, ph - 1);
    cairo_stroke(cr);
    if (h->log_z && h->z_hi - h->z_lo < 2)
        step = il__plot_nice_step(h->z_hi - h->z_lo, 4);
    for (int tick = 0; tick < IL__PLOT_MAX_TICKS; tick++) {
        double v = ceil(h->z_lo / step) * step + tick * step;
        if (!(v <= h->z_hi + 1e-9 * step))
            break;
        double y = py + ph - ph * (v - h->z_lo) / (h->z_hi - h->z_lo);
        if (h->log_z)
            snprintf(buf, sizeof buf, "%.3g", pow(10.0, v));
        else
            il__plot_tick_label(buf, sizeof buf, v, step);
        cairo_move_to(cr, bx + bw, floor(y) + 0.5);
        cairo_line_to(cr, bx + bw + 4, floor(y) + 0.5);
        cairo_stroke(cr);
        il__plot_text(cr, bx + bw + 7, y + 4, buf, 11, 0, 0.0);
    }
    if (h->zlabel)
        il__plot_text(cr, bx + bw / 2, py - 8, h->zlabel, 12, 0, 0.5);
}

static void draw_heatmap(cairo_t *cr, const void *arg, double width, double height, int paint)
{
    const il_heatmap *h = arg;
    double xmin = h->x[0], xmax = h->x[h->nx - 1], ymin = h->y[0], ymax = h->y[h->ny - 1];
    double dx = h->nx > 1 ? (xmax - xmin) / (double)(h->nx - 1) : 1.0;
    double dy = h->ny > 1 ? (ymax - ymin) / (double)(h->ny - 1) : 1.0;
    /* cells centred on the grid points */
    const il__plot_frame f = {HM_LEFT,
                              HM_TOP,
                              width - HM_LEFT - HM_RIGHT,
                              height - HM_TOP - HM_BOTTOM,
                              xmin - dx / 2,
                              xmax + dx / 2,
                              ymin - dy / 2,
                              ymax + dy / 2};

    (void)paint; /* the cells cover the plot; the margins are painted below */
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    draw_cells(cr, h, &f, dx, dy);
    if (h->n_line > 1)
        draw_line(cr, h, &f);
    draw_axes(cr, h, &f, height);
    draw_colour_bar(cr, h, &f);
}

il_status il_plot_heatmap(const il_heatmap *h, il_plot_format fmt, il_write_fn w, void *ctx)
{
    if (h->nx == 0 || h->ny == 0 || !(h->z_lo < h->z_hi) || !isfinite(h->z_lo) ||
        !isfinite(h->z_hi))
        return IL_EINVAL;
    for (size_t i = 1; i < h->nx; i++)
        if (!(h->x[i] > h->x[i - 1]))
            return IL_EINVAL;
    for (size_t j = 1; j < h->ny; j++)
        if (!(h->y[j] > h->y[j - 1]))
            return IL_EINVAL;
    return il__plot_render(HM_W, HM_H, fmt, draw_heatmap, h, w, ctx);
}
