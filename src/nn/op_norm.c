/* SPDX-License-Identifier: MIT */
/*
 * The normalization ops, as PyTorch computes them (ARCHITECTURES.md 1.2,
 * 1.3): layernorm, y = (x - mean) / sqrt(var + eps) * weight + bias over
 * the last axis; rmsnorm, y = x / sqrt(mean(x^2) + eps) * weight over the
 * last axis; batchnorm in training mode, the same as layernorm but with
 * the statistics of each feature (F inputs) or channel (C, H, W inputs)
 * over the batch (and H, W). Variances are biased (divided by the count)
 * and eps sits inside the square root. The statistics are two passes (the
 * mean, then the mean square about it) in double, and the forward pass
 * keeps them, 1 / sqrt(var + eps) included, for the backward pass.
 *
 * eps is taken as given: the network JSON's default, 1e-5 (IL_NORM_EPS),
 * is filled in by whoever builds the op, so an op built without one is
 * refused rather than run with eps = 0. PyTorch's nn.RMSNorm defaults to
 * eps = None, the dtype's machine epsilon; the JSON contract's 1e-5 is the
 * value LLaMA and torchtitan pass (ARCHITECTURES.md 1.2).
 */
#include <math.h>
#include <string.h>

#include "initlab/net.h"
#include "internal/op_impl.h"
#include "internal/spec_impl.h"

static il_status check_eps(const il_op *op, il_error *err)
{
    if (!(op->eps > 0) || !isfinite(op->eps)) {
        il__set_error(err, "\"eps\" must be a positive finite number (PyTorch's is 1e-5), not %g",
                      op->eps);
        return IL_ESHAPE;
    }
    return IL_OK;
}

/* ---- layernorm and rmsnorm: one row per position, over the last axis ---- */

static il_status last_axis_shape(const il_op *op, const il_tshape *in, il_tshape *out,
                                 il_error *err)
{
    if (in->rank < 1) {
        il__set_error(err, "normalizes the last axis, and a scalar input has none");
        return IL_ESHAPE;
    }
    *out = *in;
    return check_eps(op, err);
}

/* weight (and bias) of the last axis' length; the fans are that length,
 * for a table's sake: no initializer draws a gain by its fans */
static size_t affine_params(const il_tshape *in, int bias, il_param_desc *p)
{
    size_t d = in->dim[in->rank - 1];
    p[0] = (il_param_desc){"weight", IL_ROLE_NORM_WEIGHT, {1, {d, 0, 0, 0}}, d, d};
    if (!bias)
        return 1;
    p[1] = (il_param_desc){"bias", IL_ROLE_NORM_BIAS, {1, {d, 0, 0, 0}}, d, d};
    return 2;
}

static size_t layernorm_params(const il_op *op, const il_tshape *in, il_param_desc *p)
{
    (void)op;
    return affine_params(in, 1, p);
}

static size_t rmsnorm_params(const il_op *op, const il_tshape *in, il_param_desc *p)
{
    (void)op;
    return affine_params(in, 0, p);
}

/* Per example, one statistic per row (every axis but the last). */
static il_tshape row_stat_shape(const il_tshape *in)
{
    il_tshape s = {1, {1, 0, 0, 0}};
    if (in->rank > 1) {
        s.rank = in->rank - 1;
        memcpy(s.dim, in->dim, s.rank * sizeof s.dim[0]);
    }
    return s;
}

static size_t layernorm_saved(const il_op *op, const il_tshape *in, il_saved_desc *s)
{
    (void)op;
    s[0] = (il_saved_desc){"mean", row_stat_shape(in), 1, 0};
    s[1] = (il_saved_desc){"rstd", row_stat_shape(in), 1, 0};
    return 2;
}

static size_t rmsnorm_saved(const il_op *op, const il_tshape *in, il_saved_desc *s)
{
    (void)op;
    s[0] = (il_saved_desc){"rrms", row_stat_shape(in), 1, 0};
    return 1;
}

static il_status layernorm_forward(const il_op *op, const il_op_io *io)
{
    size_t rows = il__op_rows(io->batch, &io->in), d = io->in.dim[io->in.rank - 1];
    const double *w = io->params[0], *b = io->params[1];
    double *mean = io->saved[0], *rstd = io->saved[1];

    for (size_t r = 0; r < rows; r++) {
        const double *x = io->x + r * d;
        double *y = io->y + r * d, m = 0, v = 0;
        for (size_t j = 0; j < d; j++)
            m += x[j];
        m /= (double)d;
        for (size_t j = 0; j < d; j++)
            v += (x[j] - m) * (x[j] - m);
        v /= (double)d;
        mean[r] = m;
        rstd[r] = 1 / sqrt(v + op->eps);
        for (size_t j = 0; j < d; j++)
            y[j] = (x[j] - m) * rstd[r] * w[j] + b[j];
    }
    return IL_OK;
}

/* With g = dy * weight and xhat = (x - mean) * rstd:
 * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),
 * dweight = sum over rows of dy * xhat, dbias = sum of dy. */
static il_status layernorm_backward(const il_op *op, const il_op_io *io)
{
    size_t rows = il__op_rows(io->batch, &io->in), d = io->in.dim[io->in.rank - 1];
    const double *w = io->params[0], *mean = io->saved[0], *rstd = io->saved[1];
    double *dw = io->dparams[0], *db = io->dparams[1];

    (void)op;
    memset(dw, 0, d * sizeof *dw);
    memset(db, 0, d * sizeof *db);
    for (size_t r = 0; r < rows; r++) {
        const double *x = io->x + r * d, *dy = io->dy + r * d;
        double mg = 0, mgx = 0;
        for (size_t j = 0; j < d; j++) {
            double xhat = (x[j] - mean[r]) * rstd[r], g = dy[j] * w[j];
            dw[j] += dy[j] * xhat;
            db[j] += dy[j];
            mg += g;
            mgx += g * xhat;
        }
        mg /= (double)d;
        mgx /= (double)d;
        if (io->dx)
            for (size_t j = 0; j < d; j++) {
                double xhat = (x[j] - mean[r]) * rstd[r];
                io->dx[r * d + j] = rstd[r] * (dy[j] * w[j] - mg - xhat * mgx);
            }
    }
    return IL_OK;
}

static il_status rmsnorm_forward(const il_op *op, const il_op_io *io)
{
    size_t rows = il__op_rows(io->batch, &io->in), d = io->in.dim[io->in.rank - 1];
    const double *w = io->params[0];
    double *rrms = io->saved[0];

    for (size_t r = 0; r < rows; r++) {
        const double *x = io->x + r * d;
        double *y = io->y + r * d, ms = 0;
        for (size_t j = 0; j < d; j++)
            ms += x[j] * x[j];
        rrms[r] = 1 / sqrt(ms / (double)d + op->eps);
        for (size_t j = 0; j < d; j++)
            y[j] = x[j] * rrms[r] * w[j];
    }
    return IL_OK;
}

/* With g = dy * weight and s = rrms: dx = s * g - x * s^3 * mean(g * x),
 * dweight = sum over rows of dy * x * s. */
static il_status rmsnorm_backward(const il_op *op, const il_op_io *io)
{
    size_t rows = il__op_rows(io->batch, &io->in), d = io->in.dim[io->in.rank - 1];
    const double *w = io->params[0], *rrms = io->saved[0];
    double *dw = io->dparams[0];

    (void)op;
    memset(dw, 0, d * sizeof *dw);
    for (size_t r = 0; r < rows; r++) {
        const double *x = io->x + r * d, *dy = io->dy + r * d;
        double s = rrms[r], mgx = 0;
        for (size_t j = 0; j < d; j++) {
            dw[j] += dy[j] * x[j] * s;
            mgx += dy[j] * w[j] * x[j];
        }
        mgx /= (double)d;
        if (io->dx)
            for (size_t j = 0; j < d; j++)
                io->dx[r * d + j] = s * dy[j] * w[j] - x[j] * s * s * s * mgx;
    }
    return IL_OK;
}

/* ---- batchnorm: per feature of (F), per channel of (C, H, W) ---- */

static il_status batchnorm_shape(const il_op *op, const il_tshape *in, il_tshape *out,
                                 il_error *err)
{
    /* a (S, F) input would be BatchNorm1d's (N, C, L), channels S: refused
     * rather than guessed */
    if (in->rank != 1 && in->rank != 3) {
        il__set_error(
            err, "batchnorm takes (features) or (channels, height, width) inputs, not rank %zu",
            in->rank);
        return IL_ESHAPE;
    }
    *out = *in;
    return check_eps(op, err);
}

static size_t batchnorm_params(const il_op *op, const il_tshape *in, il_param_desc *p)
{
    size_t c = in->dim[0];
    (void)op;
    p[0] = (il_param_desc){"weight", IL_ROLE_NORM_WEIGHT, {1, {c, 0, 0, 0}}, c, c};
    p[1] = (il_param_desc){"bias", IL_ROLE_NORM_BIAS, {1, {c, 0, 0, 0}}, c, c};
    return 2;
}

/* The batch's statistics: one per channel for the whole batch. PyTorch's
 * running statistics are for eval mode and are not kept. */
static size_t batchnorm_saved(const il_op *op, const il_tshape *in, il_saved_desc *s)
{
    il_tshape c = {1, {in->dim[0], 0, 0, 0}};
    (void)op;
    s[0] = (il_saved_desc){"mean", c, 0, 0};
    s[1] = (il_saved_desc){"rstd", c, 0, 0};
    return 2;
}

/* Value i of channel c in example b is x[(b * C + c) * hw + i]. */
static size_t spatial(const il_tshape *in)
{
    return in->rank == 3 ? in->dim[1] * in->dim[2] : 1;
}

/* With one value per channel (batch 1 of (F)) the variance is 0 and the
 * output the bias; PyTorch refuses that batch in training mode, this op
 * computes it (an initializer's statistics over one example). */
static il_status batchnorm_forward(const il_op *op, const il_op_io *io)
{
    size_t nc = io->in.dim[0], hw = spatial(&io->in), b = io->batch;
    const double *w = io->params[0], *bias = io->params[1];
    double *mean = io->saved[0], *rstd = io->saved[1], count = (double)(b * hw);

    for (size_t c = 0; c < nc; c++) {
        double m = 0, v = 0;
        for (size_t e = 0; e < b; e++) {
            const double *x = io->x + (e * nc + c) * hw;
            for (size_t i = 0; i < hw; i++)
                m += x[i];
        }
        m /= count;
        for (size_t e = 0; e < b; e++) {
            const double *x = io->x + (e * nc + c) * hw;
            for (size_t i = 0; i < hw; i++)
                v += (x[i] - m) * (x[i] - m);
        }
        mean[c] = m;
        rstd[c] = 1 / sqrt(v / count + op->eps);
        for (size_t e = 0; e < b; e++) {
            const double *x = io->x + (e * nc + c) * hw;
            double *y = io->y + (e * nc + c) * hw;
            for (size_t i = 0; i < hw; i++)
                y[i] = (x[i] - m) * rstd[c] * w[c] + bias[c];
        }
    }
    return IL_OK;
}

/* layernorm's backward with the means over the channel's N = batch * hw
 * values: dx = rstd * w * (dy - mean(dy) - xhat * mean(dy * xhat)). */
static il_status batchnorm_backward(const il_op *op, const il_op_io *io)
{
    size_t nc = io->in.dim[0], hw = spatial(&io->in), b = io->batch;
    const double *w = io->params[0], *mean = io->saved[0], *rstd = io->saved[1];
    double count = (double)(b * hw);

    (void)op;
    for (size_t c = 0; c < nc; c++) {
        double sdy = 0, sdyx = 0;
        for (size_t e = 0; e < b; e++) {
            const double *x = io->x + (e * nc + c) * hw, *dy = io->dy + (e * nc + c) * hw;
            for (size_t i = 0; i < hw; i++) {
                sdy += dy[i];
                sdyx += dy[i] * (x[i] - mean[c]) * rstd[c];
            }
        }
        io->dparams[0][c] = sdyx;
        io->dparams[1][c] = sdy;
        if (!io->dx)
            continue;
        for (size_t e = 0; e < b; e++) {
            const double *x = io->x + (e * nc + c) * hw, *dy = io->dy + (e * nc + c) * hw;
            double *dx = io->dx + (e * nc + c) * hw;
            for (size_t i = 0; i < hw; i++) {
                double xhat = (x[i] - mean[c]) * rstd[c];
                dx[i] = rstd[c] * w[c] * (dy[i] - sdy / count - xhat * sdyx / count);
            }
        }
    }
    return IL_OK;
}

const il_op_type il__op_layernorm = {
    "layernorm",        "y = (x - mean) / sqrt(var + eps) * weight + bias over the last axis",
    last_axis_shape,    layernorm_params,
    layernorm_saved,    layernorm_forward,
    layernorm_backward, 1};
const il_op_type il__op_rmsnorm = {
    "rmsnorm",        "y = x / sqrt(mean(x^2) + eps) * weight over the last axis",
    last_axis_shape,  rmsnorm_params,
    rmsnorm_saved,    rmsnorm_forward,
    rmsnorm_backward, 1};
const il_op_type il__op_batchnorm = {
    "batchnorm",
    "training mode: each feature or channel by the batch's mean and biased variance",
    batchnorm_shape,
    batchnorm_params,
    batchnorm_saved,
    batchnorm_forward,
    batchnorm_backward,
    1};
