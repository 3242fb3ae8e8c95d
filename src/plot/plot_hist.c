/* SPDX-License-Identifier: MIT */
/*
 * Histogram grids: one panel per layer, a row per network, the rows'
 * labels on the left and the predicted histogram (if any) outlined over
 * the bars, C0 blue like matplotlib's. A PNG is drawn and encoded band by
 * band (write_png says why); SVG and PDF go through il__plot_render.
 */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/plot.h"
#include "internal/png.h"
#include "plot_impl.h"

/* Layout, in pixels. */
#define PLOT_W      210.0 /* plot area of one panel */
#define PLOT_H      160.0
#define PAD_LEFT    56.0 /* y tick labels */
#define PAD_RIGHT   14.0
#define PAD_TOP     30.0 /* panel title */
#define PAD_BOTTOM  78.0 /* x tick labels and the notes */
#define ROW_LABEL_W 170.0
#define TITLE_H     40.0
#define MARGIN      12.0

#define CELL_W (PAD_LEFT + PLOT_W + PAD_RIGHT)
#define CELL_H (PAD_TOP + PLOT_H + PAD_BOTTOM)

static size_t max_count(const il_layer_stats *s)
{
    size_t m = 0;
    for (size_t i = 0; i < s->bins; i++)
        if (s->counts[i] > m)
            m = s->counts[i];
    return m;
}

/* The predicted histogram: an outline of steps over the bars. */
static void draw_expected(cairo_t *cr, double px, double py, const il_layer_stats *s,
                          const double *frac, double top)
{
    double finite = (double)(s->count - s->nonfinite);
    cairo_set_source_rgb(cr, 0.84, 0.15, 0.16);
    cairo_set_line_width(cr, 1.6);
    for (size_t i = 0; i < s->bins; i++) {
        double bx0 = px + PLOT_W * (double)i / (double)s->bins;
        double bx1 = px + PLOT_W * (double)(i + 1) / (double)s->bins;
        double h = fmin(PLOT_H * finite * frac[i] / top, PLOT_H);
        if (i == 0)
            cairo_move_to(cr, bx0, py + PLOT_H - h);
        else
            cairo_line_to(cr, bx0, py + PLOT_H - h);
        cairo_line_to(cr, bx1, py + PLOT_H - h);
    }
    cairo_stroke(cr);
}

/* The bars, 'top' counts high. */
static void draw_bars(cairo_t *cr, double px, double py, const il_layer_stats *s, double top)
{
    cairo_set_source_rgb(cr, 0x1f / 255.0, 0x77 / 255.0, 0xb4 / 255.0);
    for (size_t i = 0; i < s->bins; i++) {
        double bx0 = px + PLOT_W * (double)i / (double)s->bins;
        double bx1 = px + PLOT_W * (double)(i + 1) / (double)s->bins;
        double h = PLOT_H * (double)s->counts[i] / top;
        if (h > PLOT_H)
            h = PLOT_H;
        if (s->counts[i] == 0)
            continue;
        cairo_rectangle(cr, bx0, py + PLOT_H - h, bx1 - bx0, h);
    }
    cairo_fill(cr);
}

/* The frame, the count axis (ticks 'step' apart up to 'top') and the value
 * axis (about 4 ticks over the histogram's range). */
static void draw_axes(cairo_t *cr, double px, double py, const il_layer_stats *s, double step,
                      double top)
{
    const il__plot_frame f = {px, py, PLOT_W, PLOT_H, s->lo, s->hi, 0.0, top};
    double xstep = il__plot_nice_step(s->hi - s->lo, 4);

    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, px + 0.5, py + 0.5, PLOT_W - 1, PLOT_H - 1);
    cairo_stroke(cr);
    il__plot_y_ticks(cr, &f, step, top + 1e-9 * top, IL__PLOT_TICK_MARK);
    il__plot_x_ticks(cr, &f, xstep, s->hi + 1e-9 * xstep);
}

/* One line of the notes under a panel, at *y, which moves to the next. */
static void draw_note(cairo_t *cr, double px, double *y, const char *text)
{
    il__plot_text(cr, px, *y, text, 10.5, 0, 0.0);
    *y += 14;
}

/* What the range hides (the lecture's Visual drops it silently). */
static void draw_notes(cairo_t *cr, double px, double py, const il_layer_stats *s)
{
    double note_y = py + PLOT_H + 34;
    double finite = (double)(s->count - s->nonfinite);
    char buf[96];

    cairo_set_source_rgb(cr, 0.45, 0.1, 0.1);
    if (s->below > 0) {
        snprintf(buf, sizeof buf, "below %.3g: %.1f%%", s->lo, 100.0 * (double)s->below / finite);
        draw_note(cr, px, &note_y, buf);
    }
    if (s->above > 0) {
        snprintf(buf, sizeof buf, "above %.3g: %.1f%%", s->hi, 100.0 * (double)s->above / finite);
        draw_note(cr, px, &note_y, buf);
    }
    if (isfinite(s->frac_zero) && s->frac_zero >= 0.01) {
        snprintf(buf, sizeof buf, "exact zeros: %.1f%%", 100.0 * s->frac_zero);
        draw_note(cr, px, &note_y, buf);
    }
    if (s->nonfinite > 0) {
        snprintf(buf, sizeof buf, "non-finite: %zu", s->nonfinite);
        draw_note(cr, px, &note_y, buf);
    }
}

static void draw_panel(cairo_t *cr, double x0, double y0, const il_layer_stats *s, size_t layer,
                       double ymax, const double *expected)
{
    double px = x0 + PAD_LEFT, py = y0 + PAD_TOP;
    double step, top;
    char buf[96];

    /* Title, as Visual: "k-layer". */
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    snprintf(buf, sizeof buf, "%zu-layer", layer);
    il__plot_text(cr, px + PLOT_W / 2, y0 + PAD_TOP - 10, buf, 13, 0, 0.5);

    /* Count axis: nice ticks, headroom like matplotlib's 5% margin. */
    if (ymax < 1)
        ymax = 1;
    step = il__plot_nice_step(ymax, 4);
    top = ymax * 1.05;

    draw_bars(cr, px, py, s, top);
    if (expected)
        draw_expected(cr, px, py, s, expected, top);
    draw_axes(cr, px, py, s, step, top);
    draw_notes(cr, px, py, s);
}

/* What draw_grid draws: everything, or for a PNG band one part. */
typedef struct grid_part {
    int title;            /* draw the figure title */
    size_t row0, row_end; /* draw grid rows [row0, row_end) */
} grid_part;

/* A row label, wrapped after '/' or ':' or ',' to fit ROW_LABEL_W, centred
 * vertically on 'ymid'; bold when it fits on one line. */
static void draw_label(cairo_t *cr, double x, double ymid, const char *label)
{
    char lines[6][96];
    size_t n = 0, len = 0;
    const double width = ROW_LABEL_W - 12, size = 11.5;
    cairo_text_extents_t e;

    lines[0][0] = '\0';
    cairo_set_font_size(cr, size);
    if (il__plot_font(0))
        cairo_set_font_face(cr, il__plot_font(0));
    for (const char *p = label; *p && n < 6;) {
        /* the next piece: up to and including a break character */
        size_t k = strcspn(p, "/:,");
        char piece[96];
        if (p[k])
            k++;
        if (k >= sizeof piece)
            k = sizeof piece - 1;
        memcpy(piece, p, k);
        piece[k] = '\0';
        if (len + k < sizeof lines[n]) {
            char trial[192];
            snprintf(trial, sizeof trial, "%s%s", lines[n], piece);
            cairo_text_extents(cr, trial, &e);
            if (e.x_advance > width && len > 0 && n + 1 < 6) {
                n++;
                lines[n][0] = '\0';
                len = 0;
            }
        }
        if (len + k < sizeof lines[n]) {
            memcpy(lines[n] + len, piece, k + 1);
            len += k;
        }
        p += k;
    }
    n = lines[n][0] ? n + 1 : n;
    for (size_t i = 0; i < n; i++)
        il__plot_text(cr, x, ymid + 5 - 7.5 * (double)(n - 1) + 15.0 * (double)i, lines[i], size,
                      n == 1, 0.0);
}

static void draw_grid(cairo_t *cr, const il_hist_grid *g, double width, double height,
                      int paint_background, grid_part part)
{
    double left = MARGIN + (g->row_labels ? ROW_LABEL_W : 0.0);
    double top = MARGIN + (g->title ? TITLE_H : 0.0);
    double shared = 0;

    if (paint_background) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_rectangle(cr, 0, 0, width, height);
        cairo_fill(cr);
    }
    if (g->shared_y)
        for (size_t i = 0; i < g->rows * g->cols; i++)
            if ((double)max_count(g->panels[i]) > shared)
                shared = (double)max_count(g->panels[i]);
    if (g->title && part.title) {
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
        il__plot_text(cr, width / 2, MARGIN + 24, g->title, 16, 1, 0.5);
    }
    for (size_t r = part.row0; r < part.row_end && r < g->rows; r++) {
        double y0 = top + (double)r * CELL_H;
        if (g->row_labels && g->row_labels[r]) {
            cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
            draw_label(cr, MARGIN, y0 + PAD_TOP + PLOT_H / 2, g->row_labels[r]);
        }
        for (size_t c = 0; c < g->cols; c++) {
            const il_layer_stats *s = g->panels[r * g->cols + c];
            double ymax = g->shared_y ? shared : (double)max_count(s);
            draw_panel(cr, left + (double)c * CELL_W, y0, s,
                       g->layer_numbers ? g->layer_numbers[c] : c + 1, ymax,
                       g->expected ? g->expected[r * g->cols + c] : NULL);
        }
    }
}

/* A PNG is drawn in horizontal bands, each handed to the encoder as soon as
 * it is drawn: the title band, one band per row of panels, and the bottom
 * margin. Every element lies within one band, so each is drawn once, and
 * the canvas is one band (about 1.7 MiB) rather than the whole figure
 * (4 MiB and more): fresh pages cost a fault each, which in a VM is about
 * as much as drawing them. */
static il_status write_png(const il_hist_grid *g, double width, double height, il_write_fn w,
                           void *ctx)
{
    int iw = (int)ceil(width), ih = (int)ceil(height);
    int top = (int)(MARGIN + (g->title ? TITLE_H : 0.0)), cell = (int)CELL_H;
    int band_h = cell > top ? cell : top;
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, iw, band_h);
    cairo_status_t cs = cairo_surface_status(surf);
    il__png *png = NULL;
    il_status st;

    if (cs != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        return il__plot_status(cs);
    }
    st = il__png_begin(iw, ih, w, ctx, &png);
    /* band b: 0 is the title, 1..rows are the rows, rows + 1 the margin */
    for (size_t b = 0; st == IL_OK && b <= g->rows + 1; b++) {
        int y0 = b == 0 ? 0 : top + (int)(b - 1) * cell;
        int h = b == 0 ? top : (b <= g->rows ? cell : ih - y0);
        grid_part part = {b == 0, b - 1, b};
        cairo_t *cr;

        if (h <= 0)
            continue;
        cr = cairo_create(surf);
        /* Each band starts transparent; the encoder composites onto white,
         * which saves painting a background. */
        cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
        cairo_paint(cr);
        cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
        cairo_translate(cr, 0, -(double)y0);
        if (b >= 1 && b <= g->rows)
            draw_grid(cr, g, width, height, 0, part);
        else if (b == 0)
            draw_grid(cr, g, width, height, 0, (grid_part){1, 0, 0});
        cs = cairo_status(cr);
        cairo_destroy(cr);
        if (cs != CAIRO_STATUS_SUCCESS) {
            st = il__plot_status(cs);
            break;
        }
        cairo_surface_flush(surf);
        st = il__png_rows(png, cairo_image_surface_get_data(surf), h,
                          cairo_image_surface_get_stride(surf));
    }
    if (png) {
        il_status end = il__png_end(png, st != IL_OK);
        if (st == IL_OK)
            st = end;
    }
    cairo_surface_destroy(surf);
    return st;
}

static void draw_grid_cb(cairo_t *cr, const void *arg, double w, double h, int paint)
{
    const il_hist_grid *g = arg;
    draw_grid(cr, g, w, h, paint, (grid_part){1, 0, g->rows});
}

il_status il_plot_hist_grid(const il_hist_grid *g, il_plot_format fmt, il_write_fn w, void *ctx)
{
    double width, height;

    if (g->rows == 0 || g->cols == 0)
        return IL_EINVAL;
    /* Refuse before any cairo call: sizes must fit cairo's 16.16 limit. */
    if (g->cols > 100 || g->rows > 100)
        return IL_ELIMIT;
    width = 2 * MARGIN + (g->row_labels ? ROW_LABEL_W : 0.0) + (double)g->cols * CELL_W;
    height = 2 * MARGIN + (g->title ? TITLE_H : 0.0) + (double)g->rows * CELL_H;
    if (width > IL_PLOT_MAX_SIDE || height > IL_PLOT_MAX_SIDE)
        return IL_ELIMIT;
    if (fmt == IL_PLOT_PNG) {
        il__plot_load_fonts();
        return write_png(g, width, height, w, ctx);
    }
    /* not a PNG: SVG, or else (whatever the value) PDF */
    return il__plot_render(width, height, fmt == IL_PLOT_SVG ? IL_PLOT_SVG : IL_PLOT_PDF,
                           draw_grid_cb, g, w, ctx);
}
