/* SPDX-License-Identifier: MIT */
/* Writing the commands' files: each one atomically, through the library. */
#include <stdio.h>

#include "cli.h"

typedef struct npy_job {
    const double *data;
    const float *floats; /* instead of data */
    const size_t *shape;
    size_t ndim;
    int f32;
} npy_job;

static il_status produce_npy(void *pctx, il_write_fn w, void *wctx)
{
    const npy_job *j = pctx;
    if (j->floats)
        return il_npy_write_floats(j->floats, j->shape, j->ndim, w, wctx);
    return j->f32 ? il_npy_write_f32(j->data, j->shape, j->ndim, w, wctx)
                  : il_npy_write_f64(j->data, j->shape, j->ndim, w, wctx);
}

il_status cli_write_npy(const char *path, const double *data, const size_t *shape, size_t ndim,
                        int f32, il_error *err)
{
    npy_job job = {data, NULL, shape, ndim, f32};
    return il_write_file(path, produce_npy, &job, err);
}

il_status cli_write_npy_floats(const char *path, const float *data, const size_t *shape,
                               size_t ndim, il_error *err)
{
    npy_job job = {NULL, data, shape, ndim, 1};
    return il_write_file(path, produce_npy, &job, err);
}

static il_status produce_json(void *pctx, il_write_fn w, void *wctx)
{
    return il_report_write_json(pctx, w, wctx);
}

static il_status produce_csv(void *pctx, il_write_fn w, void *wctx)
{
    return il_report_write_csv(pctx, w, wctx);
}

il_status cli_write_report(const char *dir, const il_report *r, il_error *err)
{
    char path[4200];
    il_status st;
    snprintf(path, sizeof path, "%s/report.json", dir);
    st = il_write_file(path, produce_json, (void *)r, err);
    if (st != IL_OK)
        return st;
    snprintf(path, sizeof path, "%s/stats.csv", dir);
    return il_write_file(path, produce_csv, (void *)r, err);
}

typedef struct grid_job {
    const il_hist_grid *g;
    const il_line_plot *lines;
    const il_heatmap *heat;
    il_plot_format fmt;
} grid_job;

static il_status produce_plot(void *pctx, il_write_fn w, void *wctx)
{
    const grid_job *j = pctx;
    if (j->g)
        return il_plot_hist_grid(j->g, j->fmt, w, wctx);
    if (j->heat)
        return il_plot_heatmap(j->heat, j->fmt, w, wctx);
    return il_plot_lines(j->lines, j->fmt, w, wctx);
}

il_status cli_write_grid(const char *path, const il_hist_grid *g, il_plot_format fmt, il_error *err)
{
    grid_job job = {g, NULL, NULL, fmt};
    return il_write_file(path, produce_plot, &job, err);
}

il_status cli_write_lines(const char *path, const il_line_plot *p, il_plot_format fmt,
                          il_error *err)
{
    grid_job job = {NULL, p, NULL, fmt};
    return il_write_file(path, produce_plot, &job, err);
}

il_status cli_write_heatmap(const char *path, const il_heatmap *h, il_plot_format fmt,
                            il_error *err)
{
    grid_job job = {NULL, NULL, h, fmt};
    return il_write_file(path, produce_plot, &job, err);
}
