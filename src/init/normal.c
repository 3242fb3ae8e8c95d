/* SPDX-License-Identifier: MIT */
/*
 * Normal initializers: plain N(mean, std^2), and the lecture's two scaled
 * standard normals.
 *
 * The lecture writes its weights as np.random.randn(n, m) * scale, so each
 * fill is "standard normal, then one multiplication by a scale computed
 * once", in the lecture's own order of operations; with mt19937 the weights
 * are bit-identical to the lecture's.
 */
#include <math.h>

#include "initlab/dist.h"
#include "internal/init_impl.h"
#include "internal/spec_impl.h"

/* ---- normal(mean, std): torch.nn.init.normal_, np.random.normal ---- */

static const il_param normal_params[] = {
    {"mean", IL_PARAM_NUMBER, 0.0, 0, NULL, "mean of the distribution"},
    {"std", IL_PARAM_NUMBER, 1.0, 0, NULL, "standard deviation (>= 0)"},
};

static il_status normal_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng, double *out,
                             il_error *err)
{
    double mean = init->values[0].number, std = init->values[1].number;
    if (std < 0.0) {
        il__set_error(err, "normal: std must be >= 0, got %g", std);
        return IL_EINVAL;
    }
    il_dist_fill_normal(rng, mean, std, out, ctx->numel);
    return IL_OK;
}

static void normal_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    (void)ctx;
    t->mean = init->values[0].number;
    t->std = init->values[1].number;
}

const il_init_type il__init_normal = {
    .name = "normal",
    .formula = "N(mean, std^2): mean + std * randn",
    .source = "torch.nn.init.normal_; np.random.normal; the lecture's N(0,1) and N(0,0.01^2)",
    .params = normal_params,
    .n_params = sizeof normal_params / sizeof normal_params[0],
    .needs_fans = 0,
    .fill = normal_fill,
    .target = normal_target,
};

/* ---- the lecture's "Xavier" and "He": randn * scale(fan_in) ---- */

static il_status scaled_fill(double scale, const il_init_ctx *ctx, il_rng *rng, double *out)
{
    il_dist_fill_standard_normal(rng, out, ctx->numel);
    for (size_t i = 0; i < ctx->numel; i++)
        out[i] = out[i] * scale;
    return IL_OK;
}

static double fan_or_one(size_t fan)
{
    /* A zero fan_in has no weights to fill; avoid dividing by zero. */
    return fan ? (double)fan : 1.0;
}

static double xavier_scale(const il_init_ctx *ctx)
{
    return 1.0 / sqrt(fan_or_one(ctx->fan_in)); /* randn * (1 / np.sqrt(node_num)) */
}

static double he_scale(const il_init_ctx *ctx)
{
    return sqrt(2.0 / fan_or_one(ctx->fan_in)); /* randn * np.sqrt(2 / node_num) */
}

static il_status lecture_xavier_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng,
                                     double *out, il_error *err)
{
    (void)init;
    (void)err;
    return scaled_fill(xavier_scale(ctx), ctx, rng, out);
}

static il_status lecture_he_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng,
                                 double *out, il_error *err)
{
    (void)init;
    (void)err;
    return scaled_fill(he_scale(ctx), ctx, rng, out);
}

static void lecture_xavier_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    (void)init;
    t->gain = 1.0;
    t->mean = 0.0;
    t->std = xavier_scale(ctx);
}

static void lecture_he_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    (void)init;
    t->gain = sqrt(2.0);
    t->mean = 0.0;
    t->std = he_scale(ctx);
}

const il_init_type il__init_lecture_xavier = {
    .name = "lecture_xavier",
    .formula = "N(0, 1/fan_in): randn * (1/sqrt(fan_in)) -- LeCun normal, not Glorot's 2/(in+out)",
    .source = "the lecture's exercise 2; DLFS ch. 6 'Xavier'; Caffe XavierFiller (fan_in)",
    .params = NULL,
    .n_params = 0,
    .needs_fans = 1,
    .fill = lecture_xavier_fill,
    .target = lecture_xavier_target,
};

const il_init_type il__init_lecture_he = {
    .name = "lecture_he",
    .formula = "N(0, 2/fan_in): randn * sqrt(2/fan_in)",
    .source = "the lecture's exercise 3; He et al. 2015, eq. 10",
    .params = NULL,
    .n_params = 0,
    .needs_fans = 1,
    .fill = lecture_he_fill,
    .target = lecture_he_target,
};
