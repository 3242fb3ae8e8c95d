/* SPDX-License-Identifier: MIT */
/*
 * What the figures of src/plot/ share, defined in plot.c: the fonts and
 * text, the axes (tick steps, labels, the mapping from data to the page)
 * and the drawing onto a surface of the chosen format. Private to
 * src/plot/; the figures themselves are plot_hist.c, plot_lines.c and
 * plot_heatmap.c.
 */
#ifndef INITLAB_PLOT_IMPL_H
#define INITLAB_PLOT_IMPL_H

#include <cairo.h>
#include <stddef.h>

#include "initlab/plot.h"

/* Ticks per axis at most (a loop bound that holds for any step). The ticks
 * are counted in integers, first + tick * step, so no rounding accumulates. */
#define IL__PLOT_MAX_TICKS 1000

/* Load the fonts once per process (il_plot_prepare also warms the glyphs). */
void il__plot_load_fonts(void);

/* The loaded face, regular ('bold' 0) or bold, or NULL when its file was not
 * there (cairo's own selection is then used). Static; never freed. */
cairo_font_face_t *il__plot_font(int bold);

/* Draw 's' at ('x', 'y'), 'align' 0 left of x, 0.5 centred on it, 1 right. */
/* The advance width of s at the given size, in the plot's font. */
double il__plot_text_width(cairo_t *cr, const char *s, double size, int bold);
void il__plot_text(cairo_t *cr, double x, double y, const char *s, double size, int bold,
                   double align);

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about 'n' ticks
 * over 'range'; 1 when the range is empty or not finite. */
double il__plot_nice_step(double range, int n);

/* Format a tick value without trailing noise: 0.2, 1500, 2e+04. */
void il__plot_tick_label(char *buf, size_t cap, double v, double step);

/* A plot area ('px', 'py' its top left corner, 'pw' x 'ph' its size) and
 * the data ranges its sides stand for (y grows upwards). */
typedef struct il__plot_frame {
    double px, py, pw, ph;
    double xmin, xmax, ymin, ymax;
} il__plot_frame;

/* The page's x of data value 'v'. */
static inline double il__plot_x(const il__plot_frame *f, double v)
{
    return f->px + f->pw * (v - f->xmin) / (f->xmax - f->xmin);
}

/* The page's y of data value 'v'. */
static inline double il__plot_y(const il__plot_frame *f, double v)
{
    return f->py + f->ph - f->ph * (v - f->ymin) / (f->ymax - f->ymin);
}

/* How the ticks of a y axis are drawn. */
typedef enum il__plot_tick_style {
    IL__PLOT_TICK_MARK, /* a short mark left of the plot, in the current colour */
    IL__PLOT_TICK_GRID, /* a grey line across the plot */
    IL__PLOT_TICK_POW10 /* a grey line; the values are powers of ten, labelled 1e+N */
} il__plot_tick_style;

/* The x axis' ticks below the plot, in the current colour: at the multiples
 * of 'step' from f->xmin up to 'last' (the end of the range plus a slack
 * the caller chooses), each a mark and a label centred under it. */
void il__plot_x_ticks(cairo_t *cr, const il__plot_frame *f, double step, double last);

/* The y axis' ticks, at the multiples of 'step' from f->ymin up to 'last',
 * labelled right-aligned left of the plot. */
void il__plot_y_ticks(cairo_t *cr, const il__plot_frame *f, double step, double last,
                      il__plot_tick_style style);

/* The library's status for a cairo status: IL_ENOMEM for no memory, IL_EIO
 * for any other failure. */
il_status il__plot_status(cairo_status_t cs);

/* Draws a figure on 'cr', 'w' x 'h'; 'paint' asks for a white background
 * (a PNG composites onto white without it). */
typedef void (*il__plot_draw_fn)(cairo_t *cr, const void *arg, double w, double h, int paint);

/* Draw with 'draw' (given 'arg') on a surface of the format's kind and
 * send it to 'w' (PNG through our own encoder, SVG and PDF through cairo's
 * streams). Returns the sink's first failure, or il__plot_status of
 * cairo's. */
il_status il__plot_render(double width, double height, il_plot_format fmt, il__plot_draw_fn draw,
                          const void *arg, il_write_fn w, void *ctx);

#endif
