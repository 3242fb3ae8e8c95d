/* SPDX-License-Identifier: MIT */
/*
 * The plain distributions -- uniform(a, b), normal(mean, std),
 * trunc_normal(mean, std, a, b) -- and the lecture's two scaled standard
 * normals, plus the noise transforms the other families share.
 *
 * Each is a transform of base noise (standard normals or U[0, 1)), in the
 * order of operations of the function it mirrors: torch's uniform_ is
 * u * (b - a) + a, normal_ is z * std + mean, and the lecture writes
 * randn(n, m) * scale. With mt19937 the lecture's weights are therefore
 * bit-identical to its numpy code.
 */
#include <math.h>

#include "initlab/dist.h"
#include "internal/dist_impl.h"
#include "internal/init_impl.h"
#include "internal/spec_impl.h"

/* Large transforms run on OpenMP threads: a 4096 x 4096 layer's weights
 * are a 128 MiB read and write, which one core does at half the memory's
 * speed. Each value is computed alone, so the bits do not depend on the
 * number of threads. Small ones (the lecture's) stay on the calling
 * thread and start no threads. */
#define PARALLEL_FROM ((size_t)1 << 18)

void il__uniform_from_noise(double lo, double hi, const double *u, double *out, size_t n)
{
    double range = hi - lo;
    if (n < PARALLEL_FROM) {
        for (size_t i = 0; i < n; i++)
            out[i] = u[i] * range + lo;
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        out[i] = u[i] * range + lo;
}

void il__normal_from_noise(double mean, double std, const double *z, double *out, size_t n)
{
    if (n < PARALLEL_FROM) {
        for (size_t i = 0; i < n; i++)
            out[i] = z[i] * std + mean;
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        out[i] = z[i] * std + mean;
}

/* ---- uniform(a, b) ---- */

static const il_param uniform_params[] = {
    {"a", IL_PARAM_NUMBER, 0.0, 0, NULL, "lower bound", 0},
    {"b", IL_PARAM_NUMBER, 1.0, 0, NULL, "upper bound (>= a)", 0},
};

static il_status uniform_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    (void)ctx;
    if (init->values[0].number > init->values[1].number) {
        il__set_error(err, "uniform: a must not exceed b (a=%g, b=%g)", init->values[0].number,
                      init->values[1].number);
        return IL_EINVAL;
    }
    return IL_OK;
}

static il_status uniform_from(const il_init *init, const il_init_ctx *ctx, const double *noise,
                              double *out, il_error *err)
{
    (void)err;
    il__uniform_from_noise(init->values[0].number, init->values[1].number, noise, out, ctx->numel);
    return IL_OK;
}

static void uniform_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    double a = init->values[0].number, b = init->values[1].number;
    (void)ctx;
    t->mean = (a + b) / 2;
    t->bound = (b - a) / 2;
    t->std = (b - a) / sqrt(12.0);
}

const il_init_type il__init_uniform = {
    .name = "uniform",
    .formula = "U(a, b)",
    .source = "torch.nn.init.uniform_(a=0, b=1); np.random.uniform",
    .params = uniform_params,
    .n_params = 2,
    .base = IL_INIT_BASE_UNIFORM,
    .elementwise = 1,
    .check = uniform_check,
    .from_noise = uniform_from,
    .target = uniform_target,
};

/* ---- normal(mean, std) ---- */

static const il_param normal_params[] = {
    {"mean", IL_PARAM_NUMBER, 0.0, 0, NULL, "mean of the distribution", 0},
    {"std", IL_PARAM_NUMBER, 1.0, 0, NULL, "standard deviation (>= 0)", 0},
};

static il_status normal_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    (void)ctx;
    if (init->values[1].number < 0.0) {
        il__set_error(err, "normal: std must be >= 0, got %g", init->values[1].number);
        return IL_EINVAL;
    }
    return IL_OK;
}

static il_status normal_from(const il_init *init, const il_init_ctx *ctx, const double *noise,
                             double *out, il_error *err)
{
    (void)err;
    il__normal_from_noise(init->values[0].number, init->values[1].number, noise, out, ctx->numel);
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
    .formula = "N(mean, std^2): randn * std + mean",
    .source = "torch.nn.init.normal_; np.random.normal; the lecture's N(0,1) and N(0,0.01^2)",
    .params = normal_params,
    .n_params = 2,
    .base = IL_INIT_BASE_NORMAL,
    .elementwise = 1,
    .check = normal_check,
    .from_noise = normal_from,
    .target = normal_target,
};

/* ---- trunc_normal(mean, std, a, b): torch, absolute bounds ---- */

static const il_param trunc_params[] = {
    {"mean", IL_PARAM_NUMBER, 0.0, 0, NULL, "mean before truncation", 0},
    {"std", IL_PARAM_NUMBER, 1.0, 0, NULL, "std before truncation (> 0)", 0},
    {"a", IL_PARAM_NUMBER, -2.0, 0, NULL, "lower cut-off, absolute (not in stds)", 0},
    {"b", IL_PARAM_NUMBER, 2.0, 0, NULL, "upper cut-off, absolute (not in stds)", 0},
};

static il_status trunc_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    (void)ctx;
    if (!(init->values[1].number > 0.0)) {
        il__set_error(err, "trunc_normal: std must be > 0, got %g", init->values[1].number);
        return IL_EINVAL;
    }
    if (!(init->values[2].number < init->values[3].number)) {
        il__set_error(err, "trunc_normal: a must be less than b (a=%g, b=%g)",
                      init->values[2].number, init->values[3].number);
        return IL_EINVAL;
    }
    return IL_OK;
}

static il_trunc_normal trunc_law(const il_init *init)
{
    il_trunc_normal t = {init->values[0].number, init->values[1].number, init->values[2].number,
                         init->values[3].number};
    return t;
}

static il_status trunc_from(const il_init *init, const il_init_ctx *ctx, const double *noise,
                            double *out, il_error *err)
{
    il_trunc_normal t = trunc_law(init);
    (void)err;
    il__trunc_normal_from_uniform_fast(&t, noise, out, ctx->numel);
    return IL_OK;
}

static il_status trunc_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng, double *out,
                            il_error *err)
{
    il_trunc_normal t = trunc_law(init);
    (void)err;
    il_dist_fill_trunc_normal(rng, &t, out, ctx->numel);
    return IL_OK;
}

static il_status trunc_fill_f32(const il_init *init, const il_init_ctx *ctx, il_rng *rng,
                                float *out, il_error *err)
{
    il_trunc_normal t = trunc_law(init);
    if (il_dist_fill_trunc_normal_f32(rng, &t, out, ctx->numel) != IL_OK) {
        il__set_error(err, "out of memory (the inverse CDF's scratch)");
        return IL_ENOMEM;
    }
    return IL_OK;
}

static void trunc_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    (void)ctx;
    t->mean = init->values[0].number;
    t->std = init->values[1].number;
    t->lo = init->values[2].number;
    t->hi = init->values[3].number;
}

const il_init_type il__init_trunc_normal = {
    .name = "trunc_normal",
    .formula = "N(mean, std^2) truncated to [a, b] (absolute bounds; std is before truncation)",
    .source = "torch.nn.init.trunc_normal_(mean=0, std=1, a=-2, b=2); fast generator: rejection",
    .params = trunc_params,
    .n_params = 4,
    .base = IL_INIT_BASE_UNIFORM,
    .elementwise = 1,
    .check = trunc_check,
    .from_noise = trunc_from,
    .fill = trunc_fill,
    .fill_f32 = trunc_fill_f32,
    .target = trunc_target,
};

/* ---- the lecture's "Xavier" and "He": randn * scale(fan_in) ---- */

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

static il_status lecture_xavier_from(const il_init *init, const il_init_ctx *ctx,
                                     const double *noise, double *out, il_error *err)
{
    double scale = xavier_scale(ctx);
    (void)init, (void)err;
    for (size_t i = 0; i < ctx->numel; i++)
        out[i] = noise[i] * scale;
    return IL_OK;
}

static il_status lecture_he_from(const il_init *init, const il_init_ctx *ctx, const double *noise,
                                 double *out, il_error *err)
{
    double scale = he_scale(ctx);
    (void)init, (void)err;
    for (size_t i = 0; i < ctx->numel; i++)
        out[i] = noise[i] * scale;
    return IL_OK;
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
    .needs_fans = 1,
    .base = IL_INIT_BASE_NORMAL,
    .elementwise = 1,
    .from_noise = lecture_xavier_from,
    .target = lecture_xavier_target,
};

const il_init_type il__init_lecture_he = {
    .name = "lecture_he",
    .formula = "N(0, 2/fan_in): randn * sqrt(2/fan_in)",
    .source = "the lecture's exercise 3; He et al. 2015, eq. 10",
    .needs_fans = 1,
    .base = IL_INIT_BASE_NORMAL,
    .elementwise = 1,
    .from_noise = lecture_he_from,
    .target = lecture_he_target,
};
