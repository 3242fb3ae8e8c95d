/* SPDX-License-Identifier: MIT */
/*
 * Figures: grids of per-layer histograms, drawn with cairo into PNG, SVG or
 * PDF from the same drawing code.
 *
 * A grid has one row per network and one column per layer, like the
 * lecture's Visual (subplot(1, 5, i+1), title "k-layer", 30 bins over
 * [0, 1]). Unlike Visual, each panel says what its range hides: the share of
 * values below and above it, the exact zeros (ReLU's spike) and any
 * non-finite values.
 */
#ifndef INITLAB_PLOT_H
#define INITLAB_PLOT_H

#include <stddef.h>

#include "initlab/sink.h"
#include "initlab/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum il_plot_format {
    IL_PLOT_PNG,
    IL_PLOT_SVG,
    IL_PLOT_PDF
} il_plot_format;

/* Format by name ("png", "svg", "pdf"); -1 if unknown. */
int il_plot_format_from_name(const char *name);

/* File extension without the dot. Static string. */
const char *il_plot_format_ext(il_plot_format f);

typedef struct il_hist_grid {
    const char *title;                   /* figure title; may be NULL */
    size_t rows, cols;                   /* rows * cols panels, >= 1 each */
    const char *const *row_labels;       /* 'rows' labels drawn left of each row; may be NULL */
    const il_layer_stats *const *panels; /* rows * cols, row-major; finished statistics */
    int shared_y;                        /* nonzero: one count axis for every panel */
    const size_t *layer_numbers;         /* 'cols' panel titles "k-layer"; NULL: 1..cols */
    /* rows * cols predicted histograms or NULL: each panel's probability per
     * bin (its 'bins' values), drawn over the bars as a red outline scaled
     * to the panel's finite count; a NULL entry draws none. */
    const double *const *expected;
} il_hist_grid;

enum {
    IL_LINE_SOLID,
    IL_LINE_DASHED,
    IL_LINE_FAINT
};

/* One line of a line plot. */
typedef struct il_line_series {
    const char *label; /* in the legend; NULL: not in it */
    const double
        *y;       /* one value per x; non-finite values (and <= 0 on a log axis) break the line */
    int style;    /* IL_LINE_SOLID (0); IL_LINE_DASHED: dashed, no dots (a prediction);
                     IL_LINE_FAINT: thin and pale, no dots (raw data under a smoothed curve) */
    size_t color; /* 1..10: that colour of the cycle; 0: the series' position in it */
} il_line_series;

typedef struct il_line_plot {
    const char *title, *xlabel, *ylabel; /* title may be NULL */
    const double *x;                     /* 'n' x values, increasing */
    size_t n;
    const il_line_series *series;
    size_t n_series; /* 1..IL_PLOT_MAX_SERIES (colours from matplotlib's cycle) */
    int log_y;       /* nonzero: logarithmic y axis */
} il_line_plot;

/* A heat map over a regular grid, with an optional line drawn over it. */
typedef struct il_heatmap {
    const char *title, *xlabel, *ylabel, *zlabel; /* may be NULL */
    const double *x, *y; /* 'nx' and 'ny' cell centres, increasing, evenly spaced */
    size_t nx, ny;
    const double *z;   /* ny * nx values, row j = y[j]; non-finite cells are grey */
    double z_lo, z_hi; /* the colour scale's ends (log10 of them with log_z); white midway */
    int log_z;
    const double *line_x, *line_y; /* 'n_line' points; a non-finite point breaks the line */
    size_t n_line;
} il_heatmap;

/* Lines in one plot at most. */
#define IL_PLOT_MAX_SERIES 20

/* Load the fonts and warm the glyph caches now rather than in the first
 * figure. Optional (every figure function does it once if needed) and
 * thread-safe: for a program that can do it while other work runs. */
void il_plot_prepare(void);

/* Draw 'p' (e.g. the std of every layer, per arm) in format 'fmt' to the
 * sink. IL_EINVAL for no points or no series or more than
 * IL_PLOT_MAX_SERIES. */
il_status il_plot_lines(const il_line_plot *p, il_plot_format fmt, il_write_fn w, void *ctx);

/* Draw 'h' in format 'fmt' to the sink. IL_EINVAL for an empty grid,
 * non-increasing x or y, or z_lo >= z_hi. */
il_status il_plot_heatmap(const il_heatmap *h, il_plot_format fmt, il_write_fn w, void *ctx);

/* Largest figure side in pixels (cairo's image limit is 32767). */
#define IL_PLOT_MAX_SIDE 32767

/* Draw 'g' in format 'fmt' to the sink. IL_EINVAL for an empty grid,
 * IL_ELIMIT if the figure would exceed IL_PLOT_MAX_SIDE, IL_ENOMEM or IL_EIO
 * from cairo or the sink. Panel titles are "1-layer", "2-layer", ... */
il_status il_plot_hist_grid(const il_hist_grid *g, il_plot_format fmt, il_write_fn w, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
