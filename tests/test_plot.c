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
    il_hist_grid g = {"title", 2, 1, labels, panels, 1, NULL};
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
    il_hist_grid g = {NULL, 1, 1, NULL, panels, 0, NULL};
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

TEST_MAIN({"formats", formats}, {"limits_and_errors", limits_and_errors}, {"heatmap", heatmap})
