/* SPDX-License-Identifier: MIT */
/* Figures: valid PNG/SVG/PDF streams, limits refused before cairo. */
#include "initlab/plot.h"
#include "test.h"

static il_layer_stats make_stats(void)
{
    il_layer_stats s;
    il_stats_config c = IL_STATS_CONFIG_LECTURE;
    double x[200];
    for (int i = 0; i < 200; i++)
        x[i] = -0.2 + 0.007 * i;
    x[7] = (double)NAN;
    il_layer_stats_init(&s, &c);
    il_layer_stats_add(&s, x, 200);
    il_layer_stats_finish(&s);
    return s;
}

static void formats(void)
{
    il_layer_stats s = make_stats();
    const il_layer_stats *panels[2] = {&s, &s};
    const char *labels[2] = {"a", "b"};
    il_hist_grid g = {"title", 2, 1, labels, panels, 1, NULL, NULL};
    il_membuf m = {0};

    REQUIRE(il_plot_hist_grid(&g, IL_PLOT_PNG, il_membuf_write, &m) == IL_OK);
    CHECK(m.len > 1000 && memcmp(m.data, "\x89PNG\r\n\x1a\n", 8) == 0);
    m.len = 0;
    REQUIRE(il_plot_hist_grid(&g, IL_PLOT_SVG, il_membuf_write, &m) == IL_OK);
    REQUIRE(il_membuf_write(&m, "", 1) == IL_OK);
    CHECK(strncmp((char *)m.data, "<?xml", 5) == 0);
    CHECK_CONTAINS((char *)m.data, "</svg>");
    m.len = 0;
    REQUIRE(il_plot_hist_grid(&g, IL_PLOT_PDF, il_membuf_write, &m) == IL_OK);
    CHECK(m.len > 100 && memcmp(m.data, "%PDF", 4) == 0);
    il_membuf_release(&m);
    il_layer_stats_release(&s);
}

static il_status failing_sink(void *ctx, const void *buf, size_t n)
{
    (void)ctx, (void)buf, (void)n;
    return IL_EIO;
}

static void limits_and_errors(void)
{
    il_layer_stats s = make_stats();
    const il_layer_stats *panels[1] = {&s};
    il_hist_grid g = {NULL, 1, 1, NULL, panels, 0, NULL, NULL};
    il_membuf m = {0};

    CHECK(il_plot_hist_grid(&g, IL_PLOT_PNG, failing_sink, NULL) == IL_EIO);
    g.rows = 0;
    CHECK(il_plot_hist_grid(&g, IL_PLOT_PNG, il_membuf_write, &m) == IL_EINVAL);
    g.rows = 1;
    g.cols = 1000; /* 1000 panels wide is past cairo's 32767-pixel limit */
    CHECK(il_plot_hist_grid(&g, IL_PLOT_PNG, il_membuf_write, &m) == IL_ELIMIT);
    CHECK_EQ_U64(m.len, 0);
    CHECK_EQ_INT(il_plot_format_from_name("svg"), IL_PLOT_SVG);
    CHECK_EQ_INT(il_plot_format_from_name("jpg"), -1);
    CHECK_STR(il_plot_format_ext(IL_PLOT_PDF), "pdf");
    il_layer_stats_release(&s);
}

/* The phase diagram's heat map: every format, a failing sink, and the
 * refusals (empty grid, a colour scale with no width, x not increasing). */
static void heatmap(void)
{
    static const double x[3] = {1, 2, 3}, y[2] = {0, 0.5};
    static const double z[6] = {0.5, 1, 2, 0.8, (double)NAN, 1.5};
    static const double lx[2] = {2, 2.5}, ly[2] = {0, 0.5};
    il_heatmap h = {"t", "x", "y", "z", x, y, 3, 2, z, -0.3, 0.3, 1, lx, ly, 2};
    il_membuf m = {0};
    double bad_x[3] = {1, 3, 2};

    REQUIRE(il_plot_heatmap(&h, IL_PLOT_PNG, il_membuf_write, &m) == IL_OK);
    CHECK(m.len > 1000 && memcmp(m.data, "\x89PNG\r\n\x1a\n", 8) == 0);
    m.len = 0;
    REQUIRE(il_plot_heatmap(&h, IL_PLOT_SVG, il_membuf_write, &m) == IL_OK);
    REQUIRE(il_membuf_write(&m, "", 1) == IL_OK);
    CHECK_CONTAINS((char *)m.data, "</svg>");
    m.len = 0;
    REQUIRE(il_plot_heatmap(&h, IL_PLOT_PDF, il_membuf_write, &m) == IL_OK);
    CHECK(memcmp(m.data, "%PDF", 4) == 0);
    CHECK(il_plot_heatmap(&h, IL_PLOT_PNG, failing_sink, NULL) == IL_EIO);
    h.z_hi = h.z_lo;
    CHECK(il_plot_heatmap(&h, IL_PLOT_PNG, il_membuf_write, &m) == IL_EINVAL);
    h.z_hi = 0.3;
    h.x = bad_x;
    CHECK(il_plot_heatmap(&h, IL_PLOT_PNG, il_membuf_write, &m) == IL_EINVAL);
    h.x = x;
    h.nx = 0;
    CHECK(il_plot_heatmap(&h, IL_PLOT_PNG, il_membuf_write, &m) == IL_EINVAL);
    il_membuf_release(&m);
}

/* Overlays: a predicted histogram over the bars changes the picture and
 * a NULL entry draws none; line plots take up to IL_PLOT_MAX_SERIES
 * series, dashed and faint ones among them, and refuse more. */
static void overlays(void)
{
    il_layer_stats s = make_stats();
    const il_layer_stats *panels[2] = {&s, &s};
    double *frac = calloc(s.bins, sizeof *frac);
    const double *expected[2];
    il_hist_grid g = {NULL, 1, 2, NULL, panels, 0, NULL, NULL};
    il_membuf plain = {0}, over = {0}, m = {0};
    static const double x[3] = {1, 2, 3}, y[3] = {1, 0.5, 0.25};
    il_line_series series[IL_PLOT_MAX_SERIES + 1];
    il_line_plot lp = {"t", "x", "y", x, 3, series, IL_PLOT_MAX_SERIES, 1};

    REQUIRE(frac);
    for (size_t i = 0; i < s.bins; i++)
        frac[i] = 1.0 / (double)s.bins;
    REQUIRE(il_plot_hist_grid(&g, IL_PLOT_SVG, il_membuf_write, &plain) == IL_OK);
    expected[0] = frac;
    expected[1] = NULL;
    g.expected = expected;
    REQUIRE(il_plot_hist_grid(&g, IL_PLOT_SVG, il_membuf_write, &over) == IL_OK);
    CHECK(over.len > plain.len); /* one more path */
    for (size_t k = 0; k <= IL_PLOT_MAX_SERIES; k++)
        series[k] = (il_line_series){"s", y, (int)(k % 3), k % 11}; /* solid, dashed, faint */
    REQUIRE(il_plot_lines(&lp, IL_PLOT_PNG, il_membuf_write, &m) == IL_OK);
    CHECK(memcmp(m.data, "\x89PNG\r\n\x1a\n", 8) == 0);
    lp.n_series = IL_PLOT_MAX_SERIES + 1;
    CHECK(il_plot_lines(&lp, IL_PLOT_PNG, il_membuf_write, &m) == IL_EINVAL);
    il_membuf_release(&plain);
    il_membuf_release(&over);
    il_membuf_release(&m);
    free(frac);
    il_layer_stats_release(&s);
}

TEST_MAIN({"formats", formats}, {"limits_and_errors", limits_and_errors}, {"heatmap", heatmap},
          {"overlays", overlays})
