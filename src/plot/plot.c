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
/* Ticks per axis at most (a loop bound that holds for any step). The ticks
 * are counted in integers, first + tick * step, so no rounding accumulates. */
#define MAX_TICKS 1000

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

static void draw_panel(cairo_t *cr, double x0, double y0, const il_layer_stats *s, size_t layer,
                       double ymax, const double *expected)
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
    if (expected)
        draw_expected(cr, px, py, s, expected, top);

    /* Frame and ticks. */
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, px + 0.5, py + 0.5, PLOT_W - 1, PLOT_H - 1);
    cairo_stroke(cr);
    for (int tick = 0; tick < MAX_TICKS; tick++) {
        double v = tick * step;
        if (!(v <= top + 1e-9 * top))
            break;
        double y = floor(py + PLOT_H - PLOT_H * v / top) + 0.5;
        cairo_move_to(cr, px - 4, y);
        cairo_line_to(cr, px, y);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, step);
        text_at(cr, px - 7, y + 4, buf, 11, 0, 1.0);
    }
    xstep = nice_step(s->hi - s->lo, 4);
    for (int tick = 0; tick < MAX_TICKS; tick++) {
        double v = ceil(s->lo / xstep) * xstep + tick * xstep;
        if (!(v <= s->hi + 1e-9 * xstep))
            break;
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
        snprintf(buf, sizeof buf, "below %.3g: %.1f%%", s->lo, 100.0 * (double)s->below / finite);
        text_at(cr, px, note_y, buf, 10.5, 0, 0.0);
        note_y += 14;
    }
    if (s->above > 0) {
        snprintf(buf, sizeof buf, "above %.3g: %.1f%%", s->hi, 100.0 * (double)s->above / finite);
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
    if (font_faces[0])
        cairo_set_font_face(cr, font_faces[0]);
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
        text_at(cr, x, ymid + 5 - 7.5 * (double)(n - 1) + 15.0 * (double)i, lines[i], size, n == 1,
                0.0);
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
        text_at(cr, width / 2, MARGIN + 24, g->title, 16, 1, 0.5);
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

/* ---- line plots ---- */

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

static void draw_lines(cairo_t *cr, const il_line_plot *p, double width, double height,
                       int paint_background)
{
    double px = LP_LEFT, py = LP_TOP, pw = width - LP_LEFT - LP_RIGHT,
           ph = height - LP_TOP - LP_BOTTOM;
    double xmin = p->x[0], xmax = p->x[p->n - 1], ymin = (double)INFINITY, ymax = -(double)INFINITY;
    char buf[64];

    if (paint_background) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
    }
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
    if (xmax == xmin)
        xmax = xmin + 1;
#define X(v) (px + pw * ((v)-xmin) / (xmax - xmin))
#define Y(v) (py + ph - ph * ((v)-ymin) / (ymax - ymin))
    if (p->title) {
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
        text_at(cr, px + pw / 2, 30, p->title, 15, 1, 0.5);
    }
    /* grid and ticks */
    cairo_set_line_width(cr, 1.0);
    if (p->log_y) {
        for (int tick = 0; tick < MAX_TICKS; tick++) {
            double e = ymin + tick;
            if (!(e <= ymax + 1e-9))
                break;
            double y = floor(Y(e)) + 0.5;
            cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
            cairo_move_to(cr, px, y);
            cairo_line_to(cr, px + pw, y);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
            snprintf(buf, sizeof buf, "1e%+.0f", e);
            text_at(cr, px - 7, y + 4, buf, 11, 0, 1.0);
        }
    } else {
        double step = nice_step(ymax - ymin, 5);
        for (int tick = 0; tick < MAX_TICKS; tick++) {
            double v = ceil(ymin / step) * step + tick * step;
            if (!(v <= ymax + 1e-9 * step))
                break;
            double y = floor(Y(v)) + 0.5;
            cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
            cairo_move_to(cr, px, y);
            cairo_line_to(cr, px + pw, y);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
            tick_label(buf, sizeof buf, v, step);
            text_at(cr, px - 7, y + 4, buf, 11, 0, 1.0);
        }
    }
    {
        double step = nice_step(xmax - xmin, 8);
        if (step < 1)
            step = 1;
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        for (int tick = 0; tick < MAX_TICKS; tick++) {
            double v = ceil(xmin / step) * step + tick * step;
            if (!(v <= xmax + 1e-9))
                break;
            double x = floor(X(v)) + 0.5;
            cairo_move_to(cr, x, py + ph);
            cairo_line_to(cr, x, py + ph + 4);
            cairo_stroke(cr);
            tick_label(buf, sizeof buf, v, step);
            text_at(cr, x, py + ph + 17, buf, 11, 0, 0.5);
        }
    }
    cairo_rectangle(cr, px + 0.5, py + 0.5, pw - 1, ph - 1);
    cairo_stroke(cr);
    text_at(cr, px + pw / 2, height - 14, p->xlabel ? p->xlabel : "", 12, 0, 0.5);
    cairo_save(cr);
    cairo_move_to(cr, 0, 0);
    cairo_translate(cr, 18, py + ph / 2);
    cairo_rotate(cr, -3.14159265358979323846 / 2);
    text_at(cr, 0, 0, p->ylabel ? p->ylabel : "", 12, 0, 0.5);
    cairo_restore(cr);
    /* series: lines broken where a value is missing, dots at the points */
    cairo_rectangle(cr, px, py, pw, ph);
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
                cairo_line_to(cr, X(p->x[i]), Y(v));
            else
                cairo_move_to(cr, X(p->x[i]), Y(v));
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
                cairo_arc(cr, X(p->x[i]), Y(v), 3.0, 0, 2 * 3.14159265358979323846);
                cairo_fill(cr);
            }
    }
    cairo_restore(cr);
#undef X
#undef Y
    /* legend: the series that have a label */
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
        text_at(cr, px + pw + 42, ly + 4, p->series[s].label, 11, 0, 0.0);
    }
}

/* Draw with 'draw' on a surface of the format's kind and send it to the
 * sink (PNG through our own encoder, SVG and PDF through cairo's streams). */
static il_status render(double width, double height, il_plot_format fmt,
                        void (*draw)(cairo_t *cr, const void *arg, double w, double h, int paint),
                        const void *arg, il_write_fn w, void *ctx)
{
    struct sink k = {w, ctx, IL_OK};
    cairo_surface_t *surf;
    cairo_t *cr;
    cairo_status_t cs;

    pthread_once(&fonts_once, load_fonts);
    if (fmt == IL_PLOT_SVG)
        surf = cairo_svg_surface_create_for_stream(write_cb, &k, width, height);
    else if (fmt == IL_PLOT_PDF)
        surf = cairo_pdf_surface_create_for_stream(write_cb, &k, width, height);
    else
        surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)width, (int)height);
    cs = cairo_surface_status(surf);
    if (cs != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        return cairo_to_status(cs);
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
    cairo_surface_finish(surf);
    if (cs == CAIRO_STATUS_SUCCESS)
        cs = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    if (k.st != IL_OK)
        return k.st;
    return cairo_to_status(cs);
}

static void draw_lines_cb(cairo_t *cr, const void *arg, double w, double h, int paint)
{
    draw_lines(cr, arg, w, h, paint);
}

il_status il_plot_lines(const il_line_plot *p, il_plot_format fmt, il_write_fn w, void *ctx)
{
    if (p->n == 0 || p->n_series == 0 || p->n_series > IL_PLOT_MAX_SERIES)
        return IL_EINVAL;
    return render(LP_W, LP_H, fmt, draw_lines_cb, p, w, ctx);
}

/* ---- heat maps ---- */

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

static void draw_heatmap(cairo_t *cr, const void *arg, double width, double height, int paint)
{
    const il_heatmap *h = arg;
    double px = HM_LEFT, py = HM_TOP, pw = width - HM_LEFT - HM_RIGHT,
           ph = height - HM_TOP - HM_BOTTOM;
    double xmin = h->x[0], xmax = h->x[h->nx - 1], ymin = h->y[0], ymax = h->y[h->ny - 1];
    double dx = h->nx > 1 ? (xmax - xmin) / (double)(h->nx - 1) : 1.0;
    double dy = h->ny > 1 ? (ymax - ymin) / (double)(h->ny - 1) : 1.0;
    char buf[64];

    (void)paint; /* the cells cover the plot; the margins are painted below */
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    /* cells centred on the grid points */
    xmin -= dx / 2;
    xmax += dx / 2;
    ymin -= dy / 2;
    ymax += dy / 2;
#define X(v) (px + pw * ((v)-xmin) / (xmax - xmin))
#define Y(v) (py + ph - ph * ((v)-ymin) / (ymax - ymin))
    for (size_t j = 0; j < h->ny; j++)
        for (size_t i = 0; i < h->nx; i++) {
            double v = h->z[j * h->nx + i], rgb[3] = {0.6, 0.6, 0.6};
            double x0 = X(h->x[i] - dx / 2), x1 = X(h->x[i] + dx / 2);
            double y0 = Y(h->y[j] + dy / 2), y1 = Y(h->y[j] - dy / 2);
            if (isfinite(v))
                diverging(hm_t(h, v), rgb);
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            /* a quarter-pixel overlap hides the seams between cells */
            cairo_rectangle(cr, x0, y0, x1 - x0 + 0.25, y1 - y0 + 0.25);
            cairo_fill(cr);
        }
    /* the line, clipped to the plot */
    if (h->n_line > 1) {
        int pen = 0;
        cairo_save(cr);
        cairo_rectangle(cr, px, py, pw, ph);
        cairo_clip(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 2.5);
        for (size_t k = 0; k < h->n_line; k++) {
            if (!isfinite(h->line_x[k]) || !isfinite(h->line_y[k])) {
                pen = 0;
                continue;
            }
            if (pen)
                cairo_line_to(cr, X(h->line_x[k]), Y(h->line_y[k]));
            else
                cairo_move_to(cr, X(h->line_x[k]), Y(h->line_y[k]));
            pen = 1;
        }
        cairo_stroke(cr);
        cairo_restore(cr);
    }
    /* axes */
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_set_line_width(cr, 1.0);
    {
        double step = nice_step(xmax - xmin, 8);
        for (int tick = 0; tick < MAX_TICKS; tick++) {
            double v = ceil(xmin / step) * step + tick * step;
            if (!(v <= xmax + 1e-9 * step))
                break;
            double x = floor(X(v)) + 0.5;
            cairo_move_to(cr, x, py + ph);
            cairo_line_to(cr, x, py + ph + 4);
            cairo_stroke(cr);
            tick_label(buf, sizeof buf, v, step);
            text_at(cr, x, py + ph + 17, buf, 11, 0, 0.5);
        }
        step = nice_step(ymax - ymin, 6);
        for (int tick = 0; tick < MAX_TICKS; tick++) {
            double v = ceil(ymin / step) * step + tick * step;
            if (!(v <= ymax + 1e-9 * step))
                break;
            double y = floor(Y(v)) + 0.5;
            cairo_move_to(cr, px - 4, y);
            cairo_line_to(cr, px, y);
            cairo_stroke(cr);
            tick_label(buf, sizeof buf, v, step);
            text_at(cr, px - 7, y + 4, buf, 11, 0, 1.0);
        }
    }
    cairo_rectangle(cr, px + 0.5, py + 0.5, pw - 1, ph - 1);
    cairo_stroke(cr);
#undef X
#undef Y
    if (h->title)
        text_at(cr, px + pw / 2, 30, h->title, 15, 1, 0.5);
    text_at(cr, px + pw / 2, height - 12, h->xlabel ? h->xlabel : "", 12, 0, 0.5);
    cairo_save(cr);
    cairo_translate(cr, 18, py + ph / 2);
    cairo_rotate(cr, -3.14159265358979323846 / 2);
    text_at(cr, 0, 0, h->ylabel ? h->ylabel : "", 12, 0, 0.5);
    cairo_restore(cr);
    /* the colour bar */
    {
        double bx = px + pw + 24, bw = 18, steps = 200;
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
        {
            double step = h->log_z ? 1.0 : nice_step(h->z_hi - h->z_lo, 6);
            if (h->log_z && h->z_hi - h->z_lo < 2)
                step = nice_step(h->z_hi - h->z_lo, 4);
            for (int tick = 0; tick < MAX_TICKS; tick++) {
                double v = ceil(h->z_lo / step) * step + tick * step;
                if (!(v <= h->z_hi + 1e-9 * step))
                    break;
                double y = py + ph - ph * (v - h->z_lo) / (h->z_hi - h->z_lo);
                if (h->log_z)
                    snprintf(buf, sizeof buf, "%.3g", pow(10.0, v));
                else
                    tick_label(buf, sizeof buf, v, step);
                cairo_move_to(cr, bx + bw, floor(y) + 0.5);
                cairo_line_to(cr, bx + bw + 4, floor(y) + 0.5);
                cairo_stroke(cr);
                text_at(cr, bx + bw + 7, y + 4, buf, 11, 0, 0.0);
            }
        }
        if (h->zlabel)
            text_at(cr, bx + bw / 2, py - 8, h->zlabel, 12, 0, 0.5);
    }
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
    return render(HM_W, HM_H, fmt, draw_heatmap, h, w, ctx);
}
