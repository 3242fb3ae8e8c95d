/* SPDX-License-Identifier: MIT */
/*
 * Line plots: a value per layer (or per step) for each series, in
 * matplotlib's colour cycle, on a linear or a log10 y axis, with a legend
 * on the right. A missing value (NaN, or <= 0 on a log axis) breaks the
 * line rather than ending the plot.
 */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/plot.h"
#include "plot_impl.h"

#define LP_W      760.0
#define LP_H      460.0
#define LP_LEFT   78.0
#define LP_RIGHT  200.0 /* legend */
#define LP_TOP    48.0
#define LP_BOTTOM 58.0

/* matplotlib's default colour cycle (tab10) */
static const double palette[10][3] = {
    {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
};

static const double *series_color(const il_line_plot *p, size_t s)
{
    size_t c = p->series[s].color;
    return palette[(c >= 1 && c <= 10 ? c - 1 : s) % 10];
}

/* A 2-pixel line, solid or dashed (6 on, 4 off); a faint one is 1 pixel
 * at 35% opacity. */
static void set_style(cairo_t *cr, const double *c, int style)
{
    static const double pattern[2] = {6.0, 4.0};
    if (style == IL_LINE_FAINT)
        cairo_set_source_rgba(cr, c[0], c[1], c[2], 0.35);
    else
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    cairo_set_line_width(cr, style == IL_LINE_FAINT ? 1.0 : 2.0);
    cairo_set_dash(cr, pattern, style == IL_LINE_DASHED ? 2 : 0, 0.0);
}

static int usable(const il_line_plot *p, double v)
{
    return isfinite(v) && (!p->log_y || v > 0);
}

/* The y range to show: the usable values' (their exponents on a log axis,
 * widened to whole decades), or with a 5% margin on a linear one. */
static void y_range(const il_line_plot *p, double *lo, double *hi)
{
    double ymin = (double)INFINITY, ymax = -(double)INFINITY;

    for (size_t s = 0; s < p->n_series; s++)
        for (size_t i = 0; i < p->n; i++) {
            double v = p->series[s].y[i];
            if (!usable(p, v))
                continue;
            v = p->log_y ? log10(v) : v;
            ymin = v < ymin ? v : ymin;
            ymax = v > ymax ? v : ymax;
        }
    if (!(ymin <= ymax)) { /* nothing to draw: an empty frame */
        ymin = 0;
        ymax = 1;
    }
    if (p->log_y) {
        ymin = floor(ymin);
        ymax = ceil(ymax);
        if (ymax == ymin)
            ymax = ymin + 1;
    } else {
        double pad = (ymax - ymin) * 0.05;
        if (pad == 0)
            pad = fabs(ymax) > 0 ? fabs(ymax) * 0.1 : 1.0;
        ymin -= pad;
        ymax += pad;
    }
    *lo = ymin;
    *hi = ymax;
}

/* The title, the grid and ticks, the frame and the axis labels. */
static void draw_axes(cairo_t *cr, const il_line_plot *p, const il__plot_frame *f, double height)
{
    double px = f->px, py = f->py, pw = f->pw, ph = f->ph, step;

    if (p->title) {
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
        il__plot_text(cr, px + pw / 2, 30, p->title, 15, 1, 0.5);
    }
    cairo_set_line_width(cr, 1.0);
    if (p->log_y) {
        il__plot_y_ticks(cr, f, 1.0, f->ymax + 1e-9, IL__PLOT_TICK_POW10);
    } else {
        step = il__plot_nice_step(f->ymax - f->ymin, 5);
        il__plot_y_ticks(cr, f, step, f->ymax + 1e-9 * step, IL__PLOT_TICK_GRID);
    }
    step = il__plot_nice_step(f->xmax - f->xmin, 8);
    if (step < 1)
        step = 1;
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    il__plot_x_ticks(cr, f, step, f->xmax + 1e-9);
    cairo_rectangle(cr, px + 0.5, py + 0.5, pw - 1, ph - 1);
    cairo_stroke(cr);
    il__plot_text(cr, px + pw / 2, height - 14, p->xlabel ? p->xlabel : "", 12, 0, 0.5);
    cairo_save(cr);
    cairo_move_to(cr, 0, 0);
    cairo_translate(cr, 18, py + ph / 2);
    cairo_rotate(cr, -3.14159265358979323846 / 2);
    il__plot_text(cr, 0, 0, p->ylabel ? p->ylabel : "", 12, 0, 0.5);
    cairo_restore(cr);
}

/* The series, clipped to the plot: lines broken where a value is missing,
 * dots at the points of a solid line with few of them. */
static void draw_series(cairo_t *cr, const il_line_plot *p, const il__plot_frame *f)
{
    cairo_rectangle(cr, f->px, f->py, f->pw, f->ph);
    cairo_save(cr);
    cairo_clip(cr);
    for (size_t s = 0; s < p->n_series; s++) {
        const double *c = series_color(p, s);
        int pen = 0;
        set_style(cr, c, p->series[s].style);
        for (size_t i = 0; i < p->n; i++) {
            double v = p->series[s].y[i];
            if (!usable(p, v)) {
                pen = 0;
                continue;
            }
            v = p->log_y ? log10(v) : v;
            if (pen)
                cairo_line_to(cr, il__plot_x(f, p->x[i]), il__plot_y(f, v));
            else
                cairo_move_to(cr, il__plot_x(f, p->x[i]), il__plot_y(f, v));
            pen = 1;
        }
        cairo_stroke(cr);
        set_style(cr, c, IL_LINE_SOLID);
        if (p->n <= 60 && p->series[s].style == IL_LINE_SOLID)
            for (size_t i = 0; i < p->n; i++) {
                double v = p->series[s].y[i];
                if (!usable(p, v))
                    continue;
                v = p->log_y ? log10(v) : v;
                cairo_arc(cr, il__plot_x(f, p->x[i]), il__plot_y(f, v), 3.0, 0,
                          2 * 3.14159265358979323846);
                cairo_fill(cr);
            }
    }
    cairo_restore(cr);
}

/* The legend, right of the plot: the series that have a label. */
static void draw_legend(cairo_t *cr, const il_line_plot *p, const il__plot_frame *f)
{
    double px = f->px, py = f->py, pw = f->pw, size = 11, widest = 0;
    /* a label wider than the legend's room (LP_RIGHT less the swatch) was
     * cut at the figure's right edge (issue 22): the font shrinks to fit,
     * down to 8 pt, and a label still too wide ends in "..." */
    for (size_t s = 0; s < p->n_series; s++)
        if (p->series[s].label) {
            double wd = il__plot_text_width(cr, p->series[s].label, size, 0);
            widest = wd > widest ? wd : widest;
        }
    if (widest > LP_RIGHT - 48)
        size = fmax(8.0, size * (LP_RIGHT - 48) / widest);
    for (size_t s = 0, row = 0; s < p->n_series; s++) {
        const double *c = series_color(p, s);
        double ly = py + 10 + 20.0 * (double)row;
        if (!p->series[s].label)
            continue;
        row++;
        set_style(cr, c, p->series[s].style);
        cairo_move_to(cr, px + pw + 14, ly);
        cairo_line_to(cr, px + pw + 36, ly);
        cairo_stroke(cr);
        set_style(cr, c, IL_LINE_SOLID);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        {
            char buf[256];
            size_t n = strlen(p->series[s].label);
            snprintf(buf, sizeof buf, "%s", p->series[s].label);
            n = n < sizeof buf - 1 ? n : sizeof buf - 1;
            while (n > 4 && il__plot_text_width(cr, buf, size, 0) > LP_RIGHT - 48) {
                n--;
                memcpy(buf + n - 3, "...", 4);
            }
            il__plot_text(cr, px + pw + 42, ly + 4, buf, size, 0, 0.0);
        }
    }
}

static void draw_lines(cairo_t *cr, const void *arg, double width, double height, int paint)
{
    const il_line_plot *p = arg;
    il__plot_frame f = {LP_LEFT,
                        LP_TOP,
                        width - LP_LEFT - LP_RIGHT,
                        height - LP_TOP - LP_BOTTOM,
                        p->x[0],
                        p->x[p->n - 1],
                        0,
                        0};

    if (paint) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
    }
    y_range(p, &f.ymin, &f.ymax);
    if (f.xmax == f.xmin)
        f.xmax = f.xmin + 1;
    draw_axes(cr, p, &f, height);
    draw_series(cr, p, &f);
    draw_legend(cr, p, &f);
}

il_status il_plot_lines(const il_line_plot *p, il_plot_format fmt, il_write_fn w, void *ctx)
{
    if (p->n == 0 || p->n_series == 0 || p->n_series > IL_PLOT_MAX_SERIES)
        return IL_EINVAL;
    return il__plot_render(LP_W, LP_H, fmt, draw_lines, p, w, ctx);
}
