/* SPDX-License-Identifier: MIT */
/*
 * The ops that reshape or gather without a product: avgpool and maxpool
 * (torch.nn.AvgPool2d and MaxPool2d with ceil_mode False), global_avgpool
 * (AdaptiveAvgPool2d(1) then flatten), flatten (nn.Flatten, row-major
 * c*H*W + h*W + w) and embedding (nn.Embedding without padding_idx).
 *
 * Pools take a square kernel, a stride that defaults to the kernel (0 is
 * PyTorch's None) and zero or more padding, at most half the kernel as
 * PyTorch demands. Average pooling divides by K*K whatever the padding
 * (count_include_pad True, PyTorch's default); max pooling treats padding
 * as -inf and keeps each output's winner for its backward pass.
 */
#include <math.h>
#include <string.h>

#include "initlab/alloc.h"
#include "internal/op_impl.h"
#include "internal/spec_impl.h"

/* A pool's sizes: one plane of H x W in, Ho x Wo out. */
typedef struct pool_geom {
    size_t planes; /* batch * channels */
    size_t h, w, ho, wo, k, s, p;
} pool_geom;

static il_status pool_shape(const il_op *op, const il_tshape *in, il_tshape *out, il_error *err)
{
    size_t ho, wo, s = il__op_or(op->stride, op->kernel);
    il_status st;

    if ((st = il__op_image_in(op->type->name, in, err)) != IL_OK)
        return st;
    if (op->kernel == 0) {
        il__set_error(err, "\"kernel\" must be at least 1");
        return IL_ESHAPE;
    }
    if (op->padding > op->kernel / 2) {
        il__set_error(err, "\"padding\" %zu is more than half the \"kernel\" %zu", op->padding,
                      op->kernel);
        return IL_ESHAPE;
    }
    if ((st = il__op_window_out(in->dim[1], op->kernel, s, op->padding, 1, "height", &ho, err)) !=
            IL_OK ||
        (st = il__op_window_out(in->dim[2], op->kernel, s, op->padding, 1, "width", &wo, err)) !=
            IL_OK)
        return st;
    *out = (il_tshape){3, {in->dim[0], ho, wo, 0}};
    return IL_OK;
}

static void pool_geom_of(const il_op *op, const il_op_io *io, pool_geom *g)
{
    g->planes = io->batch * io->in.dim[0];
    g->h = io->in.dim[1];
    g->w = io->in.dim[2];
    g->ho = io->out.dim[1];
    g->wo = io->out.dim[2];
    g->k = op->kernel;
    g->s = il__op_or(op->stride, op->kernel);
    g->p = op->padding;
}

/* The input positions [lo, hi) of output 'o''s window on an axis of 'n'. */
static void window(const pool_geom *g, size_t o, size_t n, size_t *lo, size_t *hi)
{
    size_t a = o * g->s, b = a + g->k; /* in padded coordinates */
    a = a > g->p ? a - g->p : 0;
    b = b > g->p ? b - g->p : 0;
    *lo = a;
    *hi = b < n ? b : n;
}

/* ---- avgpool ---- */

static il_status avgpool_forward(const il_op *op, const il_op_io *io)
{
    pool_geom g;
    double div;

    pool_geom_of(op, io, &g);
    div = (double)(g.k * g.k);
    for (size_t pl = 0; pl < g.planes; pl++) {
        const double *x = io->x + pl * g.h * g.w;
        double *y = io->y + pl * g.ho * g.wo;
        for (size_t oh = 0; oh < g.ho; oh++)
            for (size_t ow = 0; ow < g.wo; ow++) {
                size_t h0, h1, w0, w1;
                double s = 0;
                window(&g, oh, g.h, &h0, &h1);
                window(&g, ow, g.w, &w0, &w1);
                for (size_t ih = h0; ih < h1; ih++)
                    for (size_t iw = w0; iw < w1; iw++)
                        s += x[ih * g.w + iw];
                y[oh * g.wo + ow] = s / div;
            }
    }
    return IL_OK;
}

static il_status avgpool_backward(const il_op *op, const il_op_io *io)
{
    pool_geom g;
    double div;

    if (!io->dx)
        return IL_OK;
    pool_geom_of(op, io, &g);
    div = (double)(g.k * g.k);
    memset(io->dx, 0, g.planes * g.h * g.w * sizeof *io->dx);
    for (size_t pl = 0; pl < g.planes; pl++) {
        const double *dy = io->dy + pl * g.ho * g.wo;
        double *dx = io->dx + pl * g.h * g.w;
        for (size_t oh = 0; oh < g.ho; oh++)
            for (size_t ow = 0; ow < g.wo; ow++) {
                size_t h0, h1, w0, w1;
                double share = dy[oh * g.wo + ow] / div;
                window(&g, oh, g.h, &h0, &h1);
                window(&g, ow, g.w, &w0, &w1);
                for (size_t ih = h0; ih < h1; ih++)
                    for (size_t iw = w0; iw < w1; iw++)
                        dx[ih * g.w + iw] += share;
            }
    }
    return IL_OK;
}

/* ---- maxpool: the winners' positions kept as "argmax" ---- */

static size_t maxpool_saved(const il_op *op, const il_tshape *in, il_saved_desc *out)
{
    il_tshape shape;
    il_error err;

    /* the network has checked the shape already */
    if (pool_shape(op, in, &shape, &err) != IL_OK)
        return 0;
    /* each output's winner as h * W + w in its input plane, exact in a double */
    out[0] = (il_saved_desc){"argmax", shape, 1, 0};
    return 1;
}

static il_status maxpool_forward(const il_op *op, const il_op_io *io)
{
    pool_geom g;

    pool_geom_of(op, io, &g);
    for (size_t pl = 0; pl < g.planes; pl++) {
        const double *x = io->x + pl * g.h * g.w;
        double *y = io->y + pl * g.ho * g.wo, *arg = io->saved[0] + pl * g.ho * g.wo;
        for (size_t oh = 0; oh < g.ho; oh++)
            for (size_t ow = 0; ow < g.wo; ow++) {
                size_t h0, h1, w0, w1, best;
                double m = -HUGE_VAL;
                window(&g, oh, g.h, &h0, &h1);
                window(&g, ow, g.w, &w0, &w1);
                best = h0 * g.w + w0;
                /* PyTorch's CPU kernel: the first strict maximum in scan
                 * order wins, and a NaN wins over any number */
                for (size_t ih = h0; ih < h1; ih++)
                    for (size_t iw = w0; iw < w1; iw++) {
                        double v = x[ih * g.w + iw];
                        if (v > m || v != v) {
                            m = v;
                            best = ih * g.w + iw;
                        }
                    }
                y[oh * g.wo + ow] = m;
                arg[oh * g.wo + ow] = (double)best;
            }
    }
    return IL_OK;
}

static il_status maxpool_backward(const il_op *op, const il_op_io *io)
{
    pool_geom g;

    if (!io->dx)
        return IL_OK;
    pool_geom_of(op, io, &g);
    memset(io->dx, 0, g.planes * g.h * g.w * sizeof *io->dx);
    for (size_t pl = 0; pl < g.planes; pl++) {
        const double *dy = io->dy + pl * g.ho * g.wo, *arg = io->saved[0] + pl * g.ho * g.wo;
        double *dx = io->dx + pl * g.h * g.w;
        for (size_t i = 0; i < g.ho * g.wo; i++)
            dx[(size_t)arg[i]] += dy[i];
    }
    return IL_OK;
}

/* ---- global_avgpool: (C, H, W) -> (C), each plane's mean ---- */

static il_status gap_shape(const il_op *op, const il_tshape *in, il_tshape *out, il_error *err)
{
    il_status st = il__op_image_in(op->type->name, in, err);
    if (st != IL_OK)
        return st;
    *out = (il_tshape){1, {in->dim[0], 0, 0, 0}};
    return IL_OK;
}

static il_status gap_forward(const il_op *op, const il_op_io *io)
{
    size_t planes = io->batch * io->in.dim[0], hw = io->in.dim[1] * io->in.dim[2];
    (void)op;
    for (size_t pl = 0; pl < planes; pl++) {
        const double *x = io->x + pl * hw;
        double s = 0;
        for (size_t i = 0; i < hw; i++)
            s += x[i];
        io->y[pl] = s / (double)hw;
    }
    return IL_OK;
}

static il_status gap_backward(const il_op *op, const il_op_io *io)
{
    size_t planes = io->batch * io->in.dim[0], hw = io->in.dim[1] * io->in.dim[2];
    (void)op;
    if (!io->dx)
        return IL_OK;
    for (size_t pl = 0; pl < planes; pl++) {
        double share = io->dy[pl] / (double)hw, *dx = io->dx + pl * hw;
        for (size_t i = 0; i < hw; i++)
            dx[i] = share;
    }
    return IL_OK;
}

/* ---- flatten: any shape -> (its size), the values unmoved ---- */

static il_status flatten_shape(const il_op *op, const il_tshape *in, il_tshape *out, il_error *err)
{
    (void)op;
    if (in->rank == 0) {
        il__set_error(err, "flatten takes an input of rank 1 or more, not a scalar");
        return IL_ESHAPE;
    }
    *out = (il_tshape){1, {il_tshape_size(in), 0, 0, 0}};
    return IL_OK;
}

static il_status flatten_forward(const il_op *op, const il_op_io *io)
{
    (void)op;
    memcpy(io->y, io->x, io->batch * il_tshape_size(&io->in) * sizeof *io->y);
    return IL_OK;
}

static il_status flatten_backward(const il_op *op, const il_op_io *io)
{
    (void)op;
    if (io->dx)
        memcpy(io->dx, io->dy, io->batch * il_tshape_size(&io->in) * sizeof *io->dx);
    return IL_OK;
}

/* ---- embedding: (S) token ids -> (S, dim), rows of a (vocab, dim) table ---- */

static il_status embedding_shape(const il_op *op, const il_tshape *in, il_tshape *out,
                                 il_error *err)
{
    size_t table;

    if (in->rank != 1) {
        il__set_error(err, "embedding takes (tokens) inputs of token ids, not rank %zu", in->rank);
        return IL_ESHAPE;
    }
    if (op->vocab == 0 || op->out == 0) {
        il__set_error(err, "\"%s\" must be at least 1", op->vocab == 0 ? "vocab" : "dim");
        return IL_ESHAPE;
    }
    if (!il_mul_size(op->vocab, op->out, &table)) {
        il__set_error(err, "\"vocab\" x \"dim\" overflows");
        return IL_ELIMIT;
    }
    *out = (il_tshape){2, {in->dim[0], op->out, 0, 0}};
    return IL_OK;
}

static size_t embedding_params(const il_op *op, const il_tshape *in, il_param_desc *p)
{
    (void)in;
    /* _calculate_fan_in_and_fan_out of a (vocab, dim) tensor: size(1), size(0) */
    p[0] = (il_param_desc){
        "weight", IL_ROLE_EMBEDDING, {2, {op->vocab, op->out, 0, 0}}, op->out, op->vocab};
    return 1;
}

static il_status embedding_forward(const il_op *op, const il_op_io *io)
{
    size_t n = io->batch * io->in.dim[0], dim = op->out;

    for (size_t i = 0; i < n; i++) {
        double t = io->x[i];
        size_t id;
        /* ids are whole numbers in [0, vocab); NaN fails the first test */
        if (!(t >= 0 && t < (double)op->vocab))
            return IL_EINVAL;
        id = (size_t)t;
        if ((double)id != t)
            return IL_EINVAL;
        memcpy(io->y + i * dim, io->params[0] + id * dim, dim * sizeof *io->y);
    }
    return IL_OK;
}

static il_status embedding_backward(const il_op *op, const il_op_io *io)
{
    size_t n = io->batch * io->in.dim[0], dim = op->out;
    double *dw = io->dparams[0];

    memset(dw, 0, op->vocab * dim * sizeof *dw);
    for (size_t i = 0; i < n; i++) {
        const double *dy = io->dy + i * dim;
        double *row = dw + (size_t)io->x[i] * dim; /* checked by the forward pass */
        for (size_t j = 0; j < dim; j++)
            row[j] += dy[j];
    }
    /* ids are not differentiable: their gradient is zero */
    if (io->dx)
        memset(io->dx, 0, n * sizeof *io->dx);
    return IL_OK;
}

const il_op_type il__op_avgpool = {
    "avgpool",
    "mean over K x K windows (stride defaults to K), as torch.nn.AvgPool2d",
    pool_shape,
    il__op_no_params,
    NULL,
    avgpool_forward,
    avgpool_backward,
    1};
const il_op_type il__op_maxpool = {
    "maxpool",        "max over K x K windows (stride defaults to K), as torch.nn.MaxPool2d",
    pool_shape,       il__op_no_params,
    maxpool_saved,    maxpool_forward,
    maxpool_backward, 1};
const il_op_type il__op_global_avgpool = {
    "global_avgpool",
    "(C, H, W) -> (C): each channel's mean, as AdaptiveAvgPool2d(1) + flatten",
    gap_shape,
    il__op_no_params,
    NULL,
    gap_forward,
    gap_backward,
    1};
const il_op_type il__op_flatten = {"flatten",
                                   "any shape -> (its size), row-major as torch.nn.Flatten",
                                   flatten_shape,
                                   il__op_no_params,
                                   NULL,
                                   flatten_forward,
                                   flatten_backward,
                                   0};
const il_op_type il__op_embedding = {"embedding",
                                     "(S) token ids -> (S, dim): rows of a (vocab, dim) table, as "
                                     "torch.nn.Embedding",
                                     embedding_shape,
                                     embedding_params,
                                     NULL,
                                     embedding_forward,
                                     embedding_backward,
                                     1};
