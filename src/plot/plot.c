/* SPDX-License-Identifier: MIT */
/*
 * What the figures share (plot_impl.h): the format names, the fonts, text,
 * tick steps, labels and axes, and the drawing onto a surface of the
 * chosen format. src/plot/ is the only module that calls cairo.
 *
 * Sizes are in points for SVG/PDF and pixels for PNG (1:1), so the three
 * formats look the same. Colours follow matplotlib's defaults, so the
 * figures read like the lecture's.
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
#include "plot_impl.h"

#define FONT "DejaVu Sans"

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
    il__plot_load_fonts();
    pthread_once(&glyphs_once, warm_glyphs);
}

void il__plot_load_fonts(void)
{
    pthread_once(&fonts_once, load_fonts);
}

cairo_font_face_t *il__plot_font(int bold)
{
    return font_faces[bold != 0];
}

double il__plot_nice_step(double range, int n)
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

void il__plot_text(cairo_t *cr, double x, double y, const char *s, double size, int bold,
                   double align)
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

double il__plot_text_width(cairo_t *cr, const char *s, double size, int bold)
{
    cairo_text_extents_t e;
    if (font_faces[bold != 0])
        cairo_set_font_face(cr, font_faces[bold != 0]);
    else
        cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

void il__plot_tick_label(char *buf, size_t cap, double v, double step)
{
    if (fabs(v) < step * 1e-9)
        v = 0.0;
    if (fabs(v) >= 1e5)
        snprintf(buf, cap, "%.0e", v);
    else
        snprintf(buf, cap, "%.6g", v);
}

/* The value of tick number 'tick', the first at the first multiple of
 * 'step' from 'lo', into *v; 0 once past 'last' (or IL__PLOT_MAX_TICKS). */
static int nth_tick(double lo, double step, double last, int tick, double *v)
{
    if (tick >= IL__PLOT_MAX_TICKS)
        return 0;
    *v = ceil(lo / step) * step + tick * step;
    return *v <= last;
}

void il__plot_x_ticks(cairo_t *cr, const il__plot_frame *f, double step, double last)
{
    char buf[64];
    double v;
    for (int tick = 0; nth_tick(f->xmin, step, last, tick, &v); tick++) {
        double x = floor(il__plot_x(f, v)) + 0.5;
        cairo_move_to(cr, x, f->py + f->ph);
        cairo_line_to(cr, x, f->py + f->ph + 4);
        cairo_stroke(cr);
        il__plot_tick_label(buf, sizeof buf, v, step);
        il__plot_text(cr, x, f->py + f->ph + 17, buf, 11, 0, 0.5);
    }
}

void il__plot_y_ticks(cairo_t *cr, const il__plot_frame *f, double step, double last,
                      il__plot_tick_style style)
{
    char buf[64];
    double v;
    for (int tick = 0; nth_tick(f->ymin, step, last, tick, &v); tick++) {
        double y = floor(il__plot_y(f, v)) + 0.5;
        if (style == IL__PLOT_TICK_MARK) {
            cairo_move_to(cr, f->px - 4, y);
            cairo_line_to(cr, f->px, y);
            cairo_stroke(cr);
        } else {
            cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
            cairo_move_to(cr, f->px, y);
            cairo_line_to(cr, f->px + f->pw, y);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        }
        if (style == IL__PLOT_TICK_POW10)
            snprintf(buf, sizeof buf, "1e%+.0f", v);
        else
            il__plot_tick_label(buf, sizeof buf, v, step);
        il__plot_text(cr, f->px - 7, y + 4, buf, 11, 0, 1.0);
    }
}

/* A sink as cairo's streams see it: the first failure is kept and ends the
 * stream. */
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

il_status il__plot_status(cairo_status_t cs)
{
    if (cs == CAIRO_STATUS_SUCCESS)
        return IL_OK;
    return cs == CAIRO_STATUS_NO_MEMORY ? IL_ENOMEM : IL_EIO;
}

il_status il__plot_render(double width, double height, il_plot_format fmt, il__plot_draw_fn draw,
                          const void *arg, il_write_fn w, void *ctx)
{
    struct sink k = {w, ctx, IL_OK};
    cairo_surface_t *surf;
    cairo_t *cr;
    cairo_status_t cs;

    il__plot_load_fonts();
    if (fmt == IL_PLOT_SVG)
        surf = cairo_svg_surface_create_for_stream(write_cb, &k, width, height);
    else if (fmt == IL_PLOT_PDF)
        surf = cairo_pdf_surface_create_for_stream(write_cb, &k, width, height);
    else
        surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)width, (int)height);
    cs = cairo_surface_status(surf);
    if (cs != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        return il__plot_status(cs);
    }
    cr = cairo_create(surf);
    draw(cr, arg, width, height, fmt != IL_PLOT_PNG);
    cs = cairo_status(cr);
    cairo_destroy(cr);
    if (cs == CAIRO_STATUS_SUCCESS && fmt == IL_PLOT_PNG) {
        il__png *png = NULL;
        cairo_surface_flush(surf);
        k.st = il__png_begin((int)width, (int)height, w, ctx, &png);
        if (k.st == IL_OK)
            k.st = il__png_rows(png, cairo_image_surface_get_data(surf), (int)height,
                                cairo_image_surface_get_stride(surf));
        if (png) {
            il_status end = il__png_end(png, k.st != IL_OK);
            if (k.st == IL_OK)
                k.st = end;
        }
    }
    cairo_surface_finish(surf); /* the stream is written here */
    if (cs == CAIRO_STATUS_SUCCESS)
        cs = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    if (k.st != IL_OK)
        return k.st;
    return il__plot_status(cs);
}
