/* SPDX-License-Identifier: MIT */
/*
 * Histogram grids with cairo, the only file that calls cairo.
 *
 * Sizes are in points for SVG/PDF and pixels for PNG (1:1), so the three
 * formats look the same. Colours follow matplotlib's defaults (C0 bars),
 * so the figures read like the lecture's.
 */
#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "initlab/plot.h"
#include "internal/png.h"

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
#define FONT        "DejaVu Sans"

#define CELL_W (PAD_LEFT + PLOT_W + PAD_RIGHT)
#define CELL_H (PAD_TOP + PLOT_H + PAD_BOTTOM)

int il_plot_format_from_name(const char *name)
{
    if (strcmp(name, "png") == 0)
        return IL_PLOT_PNG;
    if (strcmp(name, "svg") == 0)
        return IL_PLOT_SVG;
    if (strcmp(name, "pdf") == 0)
        return IL_PLOT_PDF;
    return -1;
}

const char *il_plot_format_ext(il_plot_format f)
{
    switch (f) {
    case IL_PLOT_SVG:
        return "svg";
    case IL_PLOT_PDF:
        return "pdf";
    case IL_PLOT_PNG:
    default:
        return "png";
    }
}

/* Fonts. DejaVu Sans is read with FreeType directly: going through
 * cairo's font selection starts fontconfig, whose configuration parsing
 * costs as much as drawing a figure. The faces are loaded once per process
 * (pthread_once), never change afterwards and are never freed, like a
 * registry. Without the files, cairo's own selection of FONT is used. */
static const char *const font_files[2] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
};
static cairo_font_face_t *font_faces[2]; /* regular, bold; NULL if not loaded */
static pthread_once_t fonts_once = PTHREAD_ONCE_INIT;

static void load_fonts(void)
{
    static FT_Library lib;
    if (FT_Init_FreeType(&lib) != 0)
        return;
    for (int i = 0; i < 2; i++) {
        FT_Face face;
        cairo_font_face_t *cf;
        if (FT_New_Face(lib, font_files[i], 0, &face) != 0)
            continue;
        cf = cairo_ft_font_face_create_for_ft_face(face, 0);
        if (cairo_font_face_status(cf) != CAIRO_STATUS_SUCCESS) {
            cairo_font_face_destroy(cf);
            FT_Done_Face(face);
            continue;
        }
        font_faces[i] = cf;
    }
}

/* The characters the figures draw, at the sizes they draw them. */
static const char glyph_sample[] = "0123456789.-%:() abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ+²";

static void warm_glyphs(void)
{
    static const double sizes[] = {10.5, 11, 13, 16};
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, 8, 8);
    cairo_t *cr = cairo_create(s);
    for (int bold = 0; bold < 2; bold++) {
        if (font_faces[bold])
            cairo_set_font_face(cr, font_faces[bold]);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            cairo_set_font_size(cr, sizes[i]);
            cairo_move_to(cr, 0, 0);
            cairo_show_text(cr, glyph_sample); /* rasterises into cairo's cache */
        }
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

static pthread_once_t glyphs_once = PTHREAD_ONCE_INIT;

void il_plot_prepare(void)
{
    pthread_once(&fonts_once, load_fonts);
    pthread_once(&glyphs_once, warm_glyphs);
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about 'n' ticks. */
static double nice_step(double range, int n)
{
    double raw = range / n, mag, f;
    if (!(raw > 0) || !isfinite(raw))
        return 1.0;
    mag = pow(10.0, floor(log10(raw)));
    f = raw / mag;
    if (f <= 1.0)
        return mag;
    if (f <= 2.0)
        return 2.0 * mag;
    if (f <= 5.0)
        return 5.0 * mag;
    return 10.0 * mag;
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double size, int bold,
                    double align /* 0 left, 0.5 centre, 1 right */)
{
    cairo_text_extents_t e;
    if (font_faces[bold != 0])
        cairo_set_font_face(cr, font_faces[bold != 0]);
    else
        cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - align * e.x_advance, y);
    cairo_show_text(cr, s);
}

/* Format a tick value without trailing noise: 0.2, 1500, 2e+04. */
static void tick_label(char *buf, size_t cap, double v, double step)
{
    if (fabs(v) < step * 1e-9)
        v = 0.0;
    if (fabs(v) >= 1e5)
        snprintf(buf, cap, "%.0e", v);
    else
        snprintf(buf, cap, "%.6g", v);
}

static size_t max_count(const il_layer_stats *s)
{
    size_t m = 0;
    for (size_t i = 0; i < s->bins; i++)
        if (s->counts[i] > m)
            m = s->counts[i];
    return m;
}

static void draw_panel(cairo_t *cr, double x0, double y0, const il_layer_stats *s, size_t layer,
                       double ymax)
{
    double px = x0 + PAD_LEFT, py = y0 + PAD_TOP;
    double step, top, xstep;
    char buf[96];
    double note_y;
    double finite = (double)(s->count - s->nonfinite);

    /* Title, as Visual: "k-layer". */
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    snprintf(buf, sizeof buf, "%zu-layer", layer);
    text_at(cr, px + PLOT_W / 2, y0 + PAD_TOP - 10, buf, 13, 0, 0.5);

    /* Count axis: nice ticks, headroom like matplotlib's 5% margin. */
    if (ymax < 1)
        ymax = 1;
    step = nice_step(ymax, 4);
    top = ymax * 1.05;

    /* Bars. */
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

    /* Frame and ticks. */
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, px + 0.5, py + 0.5, PLOT_W - 1, PLOT_H - 1);
    cairo_stroke(cr);
    for (double v = 0; v <= top + 1e-9 * top; v += step) {
        double y = floor(py + PLOT_H - PLOT_H * v / top) + 0.5;
        cairo_move_to(cr, px - 4, y);
        cairo_line_to(cr, px, y);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, step);
        text_at(cr, px - 7, y + 4, buf, 11, 0, 1.0);
    }
    xstep = nice_step(s->hi - s->lo, 4);
    for (double v = ceil(s->lo / xstep) * xstep; v <= s->hi + 1e-9 * xstep; v += xstep) {
        double x = floor(px + PLOT_W * (v - s->lo) / (s->hi - s->lo)) + 0.5;
        cairo_move_to(cr, x, py + PLOT_H);
        cairo_line_to(cr, x, py + PLOT_H + 4);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, xstep);
        text_at(cr, x, py + PLOT_H + 17, buf, 11, 0, 0.5);
    }

    /* What the range hides (the lecture's Visual drops it silently). */
    note_y = py + PLOT_H + 34;
    cairo_set_source_rgb(cr, 0.45, 0.1, 0.1);
    if (s->below > 0) {
        snprintf(buf, sizeof buf, "below %g: %.1f%%", s->lo, 100.0 * (double)s->below / finite);
        text_at(cr, px, note_y, buf, 10.5, 0, 0.0);
        note_y += 14;
    }
    if (s->above > 0) {
        snprintf(buf, sizeof buf, "above %g: %.1f%%", s->hi, 100.0 * (double)s->above / finite);
        text_at(cr, px, note_y, buf, 10.5, 0, 0.0);
        note_y += 14;
    }
    if (isfinite(s->frac_zero) && s->frac_zero >= 0.01) {
        snprintf(buf, sizeof buf, "exact zeros: %.1f%%", 100.0 * s->frac_zero);
        text_at(cr, px, note_y, buf, 10.5, 0, 0.0);
        note_y += 14;
    }
    if (s->nonfinite > 0) {
        snprintf(buf, sizeof buf, "non-finite: %zu", s->nonfinite);
        text_at(cr, px, note_y, buf, 10.5, 0, 0.0);
    }
}

/* What draw_grid draws: everything, or for a PNG band one part. */
typedef struct grid_part {
    int title;            /* draw the figure title */
    size_t row0, row_end; /* draw grid rows [row0, row_end) */
} grid_part;

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
        text_at(cr, width / 2, MARGIN + 24, g->title, 16, 1, 0.5);
    }
    for (size_t r = part.row0; r < part.row_end && r < g->rows; r++) {
        double y0 = top + (double)r * CELL_H;
        if (g->row_labels && g->row_labels[r]) {
            cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
            text_at(cr, MARGIN, y0 + PAD_TOP + PLOT_H / 2 + 5, g->row_labels[r], 13, 1, 0.0);
        }
        for (size_t c = 0; c < g->cols; c++) {
            const il_layer_stats *s = g->panels[r * g->cols + c];
            double ymax = g->shared_y ? shared : (double)max_count(s);
            draw_panel(cr, left + (double)c * CELL_W, y0, s, c + 1, ymax);
        }
    }
}

struct sink {
    il_write_fn w;
    void *ctx;
    il_status st;
};

static cairo_status_t write_cb(void *closure, const unsigned char *data, unsigned int length)
{
    struct sink *k = closure;
    if (k->st == IL_OK)
        k->st = k->w(k->ctx, data, length);
    return k->st == IL_OK ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static il_status cairo_to_status(cairo_status_t cs)
{
    if (cs == CAIRO_STATUS_SUCCESS)
        return IL_OK;
    return cs == CAIRO_STATUS_NO_MEMORY ? IL_ENOMEM : IL_EIO;
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
        return cairo_to_status(cs);
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
            st = cairo_to_status(cs);
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

il_status il_plot_hist_grid(const il_hist_grid *g, il_plot_format fmt, il_write_fn w, void *ctx)
{
    struct sink k = {w, ctx, IL_OK};
    double width, height;
    cairo_surface_t *surf;
    cairo_t *cr;
    cairo_status_t cs;

    if (g->rows == 0 || g->cols == 0)
        return IL_EINVAL;
    /* Refuse before any cairo call: sizes must fit cairo's 16.16 limit. */
    if (g->cols > 100 || g->rows > 100)
        return IL_ELIMIT;
    width = 2 * MARGIN + (g->row_labels ? ROW_LABEL_W : 0.0) + (double)g->cols * CELL_W;
    height = 2 * MARGIN + (g->title ? TITLE_H : 0.0) + (double)g->rows * CELL_H;
    if (width > IL_PLOT_MAX_SIDE || height > IL_PLOT_MAX_SIDE)
        return IL_ELIMIT;
    pthread_once(&fonts_once, load_fonts);
    if (fmt == IL_PLOT_PNG)
        return write_png(g, width, height, w, ctx);

    if (fmt == IL_PLOT_SVG)
        surf = cairo_svg_surface_create_for_stream(write_cb, &k, width, height);
    else
        surf = cairo_pdf_surface_create_for_stream(write_cb, &k, width, height);
    cs = cairo_surface_status(surf);
    if (cs != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        return cairo_to_status(cs);
    }
    cr = cairo_create(surf);
    draw_grid(cr, g, width, height, 1, (grid_part){1, 0, g->rows});
    cs = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surf); /* the stream is written here */
    if (cs == CAIRO_STATUS_SUCCESS)
        cs = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    if (k.st != IL_OK)
        return k.st;
    return cairo_to_status(cs);
}
