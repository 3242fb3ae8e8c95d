/* SPDX-License-Identifier: MIT */
/*
 * Deterministic initializers: zeros, ones, constant (torch zeros_, ones_,
 * constant_; Keras Zeros, Ones, Constant), eye (torch eye_, Keras Identity
 * with its gain) and dirac (torch dirac_: the identity of a convolution, a
 * 1 at the centre tap of channel d -> d, per group).
 */
#include <math.h>
#include <string.h>

#include "internal/init_impl.h"
#include "internal/spec_impl.h"

static void fill_value(double *out, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        out[i] = v;
}

static il_status zeros_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng, double *out,
                            il_error *err)
{
    (void)init, (void)rng, (void)err;
    fill_value(out, ctx->numel, 0.0);
    return IL_OK;
}

static il_status ones_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng, double *out,
                           il_error *err)
{
    (void)init, (void)rng, (void)err;
    fill_value(out, ctx->numel, 1.0);
    return IL_OK;
}

static void zeros_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    (void)init, (void)ctx;
    t->mean = 0.0;
    t->std = 0.0;
}

static void ones_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    (void)init, (void)ctx;
    t->mean = 1.0;
    t->std = 0.0;
}

const il_init_type il__init_zeros = {
    .name = "zeros",
    .formula = "0",
    .source = "torch.nn.init.zeros_; keras Zeros; the usual bias",
    .elementwise = 1,
    .fill = zeros_fill,
    .target = zeros_target,
};

const il_init_type il__init_ones = {
    .name = "ones",
    .formula = "1",
    .source = "torch.nn.init.ones_; keras Ones",
    .elementwise = 1,
    .fill = ones_fill,
    .target = ones_target,
};

/* ---- constant(val) ---- */

static const il_param constant_params[] = {
    {"val", IL_PARAM_NUMBER, 0.0, 0, NULL, "the value", 1},
};

static il_status constant_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng,
                               double *out, il_error *err)
{
    (void)rng, (void)err;
    fill_value(out, ctx->numel, init->values[0].number);
    return IL_OK;
}

static void constant_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    (void)ctx;
    t->mean = init->values[0].number;
    t->std = 0.0;
}

const il_init_type il__init_constant = {
    .name = "constant",
    .formula = "val",
    .source = "torch.nn.init.constant_; keras Constant",
    .params = constant_params,
    .n_params = 1,
    .elementwise = 1,
    .fill = constant_fill,
    .target = constant_target,
};

/* ---- eye(gain) ---- */

static const il_param eye_params[] = {
    {"gain", IL_PARAM_NUMBER, 1.0, 0, NULL, "value on the diagonal (keras Identity)", 0},
};

static il_status eye_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    (void)init;
    if (ctx->ndim != 2) {
        il__set_error(err, "eye: Only tensors with 2 dimensions are supported (got %zu)",
                      ctx->ndim);
        return IL_ESHAPE;
    }
    return IL_OK;
}

static il_status eye_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng, double *out,
                          il_error *err)
{
    size_t rows = ctx->shape[0], cols = ctx->shape[1];
    (void)rng, (void)err;
    fill_value(out, ctx->numel, 0.0);
    for (size_t i = 0; i < rows && i < cols; i++)
        out[i * cols + i] = init->values[0].number;
    return IL_OK;
}

static void eye_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    (void)ctx;
    t->gain = init->values[0].number;
}

const il_init_type il__init_eye = {
    .name = "eye",
    .formula = "gain * I (rectangular identity)",
    .source = "torch.nn.init.eye_ (gain 1); keras Identity(gain)",
    .params = eye_params,
    .n_params = 1,
    .check = eye_check,
    .fill = eye_fill,
    .target = eye_target,
};

/* ---- dirac(groups) ---- */

static const il_param dirac_params[] = {
    {"groups", IL_PARAM_NUMBER, 1.0, 0, NULL, "convolution groups (a positive integer)", 0},
};

/* Channel axes by layout: torch (out, in, k...), keras/dense (k..., in, out). */
static void dirac_axes(const il_init_ctx *ctx, size_t *out_axis, size_t *in_axis)
{
    if (ctx->layout == IL_LAYOUT_TORCH) {
        *out_axis = 0;
        *in_axis = 1;
    } else {
        *out_axis = ctx->ndim - 1;
        *in_axis = ctx->ndim - 2;
    }
}

static il_status dirac_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    double g = init->values[0].number;
    size_t out_axis, in_axis;

    if (ctx->ndim < 3 || ctx->ndim > 5) {
        il__set_error(err,
                      "dirac: Only tensors with 3, 4, or 5 dimensions are supported "
                      "(got %zu)",
                      ctx->ndim);
        return IL_ESHAPE;
    }
    if (!(g >= 1.0) || g != floor(g) || g > 1e9) {
        il__set_error(err, "dirac: groups must be a positive integer, got %g", g);
        return IL_EINVAL;
    }
    dirac_axes(ctx, &out_axis, &in_axis);
    if (ctx->shape[out_axis] % (size_t)g != 0) {
        il__set_error(err, "dirac: dim %zu (output channels, %zu) must be divisible by groups (%g)",
                      out_axis, ctx->shape[out_axis], g);
        return IL_ESHAPE;
    }
    return IL_OK;
}

static il_status dirac_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng, double *out,
                            il_error *err)
{
    size_t groups = (size_t)init->values[0].number, out_axis, in_axis;
    size_t idx[5], stride[5], per_group, min_dim;

    (void)rng, (void)err;
    dirac_axes(ctx, &out_axis, &in_axis);
    fill_value(out, ctx->numel, 0.0);
    stride[ctx->ndim - 1] = 1;
    for (size_t d = ctx->ndim - 1; d > 0; d--)
        stride[d - 1] = stride[d] * ctx->shape[d];
    /* spatial axes at their centre, k // 2 */
    for (size_t d = 0; d < ctx->ndim; d++)
        idx[d] = ctx->shape[d] / 2;
    per_group = ctx->shape[out_axis] / groups;
    min_dim = per_group < ctx->shape[in_axis] ? per_group : ctx->shape[in_axis];
    for (size_t g = 0; g < groups; g++)
        for (size_t d = 0; d < min_dim; d++) {
            size_t off = 0;
            idx[out_axis] = g * per_group + d;
            idx[in_axis] = d;
            for (size_t k = 0; k < ctx->ndim; k++)
                off += idx[k] * stride[k];
            out[off] = 1.0;
        }
    return IL_OK;
}

static void dirac_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    (void)init, (void)ctx, (void)t;
}

const il_init_type il__init_dirac = {
    .name = "dirac",
    .formula = "1 at the centre tap of channel d -> d in each group, else 0",
    .source = "torch.nn.init.dirac_(groups)",
    .params = dirac_params,
    .n_params = 1,
    .check = dirac_check,
    .fill = dirac_fill,
    .target = dirac_target,
};
