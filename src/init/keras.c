/* SPDX-License-Identifier: MIT */
/*
 * Keras's VarianceScaling family (keras/src/initializers/random_initializers.py),
 * with JAX's fan_geo_avg mode:
 *   n = max(1, fan_in | fan_out | (fan_in + fan_out) / 2 | sqrt(fan_in * fan_out))
 *   truncated_normal:   std = sqrt(scale / n) / 0.87962566103423978, cut at +-2 std
 *   untruncated_normal: std = sqrt(scale / n)
 *   uniform:            U(-limit, limit), limit = sqrt(3 * scale / n)
 * 0.87962566103423978 is the std of N(0, 1) cut to (-2, 2): the correction
 * makes the variance after truncation scale / n (keras #8048, PR #9963).
 * glorot_*, he_* and lecun_* are the fixed settings Keras gives those names.
 * Fans follow Keras: rank 0 -> (1, 1), rank 1 -> (n, n), else by layout.
 *
 * Every distribution is a transform of U[0, 1) noise (the normals through
 * the normal's inverse CDF), so the whole family pairs with itself on
 * shared noise. Drawn from a generator, the truncated normals are
 * il_dist_fill_trunc_normal's: the fast generator's own rejection method,
 * of the same law (numpy-legacy's are still the inverse CDF of its
 * uniforms, to the bit). Shared noise (from_noise: a paired run's
 * weights) goes through the vectorised inverse CDF, within 16 ulp of that
 * one (il__trunc_normal_from_uniform_fast).
 */
#include <math.h>

#include "initlab/dist.h"
#include "internal/dist_impl.h"
#include "internal/init_impl.h"
#include "internal/spec_impl.h"

#define TRUNC_STD_CORRECTION 0.87962566103423978 /* std of N(0,1) on (-2, 2) */

enum vs_mode {
    VS_FAN_IN,
    VS_FAN_OUT,
    VS_FAN_AVG,
    VS_FAN_GEO_AVG
};
enum vs_dist {
    VS_TRUNCATED,
    VS_UNTRUNCATED,
    VS_UNIFORM
};

static const char *const vs_modes[] = {"fan_in", "fan_out", "fan_avg", "fan_geo_avg", NULL};
static const char *const vs_dists[] = {"truncated_normal", "untruncated_normal", "uniform", NULL};

typedef struct vs_config {
    double scale;
    enum vs_mode mode;
    enum vs_dist dist;
} vs_config;

static void keras_fans(const il_init_ctx *ctx, double *fan_in, double *fan_out)
{
    size_t fi = 1, fo = 1;
    if (ctx->ndim == 1) {
        fi = fo = ctx->shape[0];
    } else if (ctx->ndim >= 2) {
        /* checked by vs_check: cannot fail here */
        (void)il_fan_compute(ctx->shape, ctx->ndim, ctx->layout, &fi, &fo, NULL);
    }
    *fan_in = (double)fi;
    *fan_out = (double)fo;
}

/* scale / max(1, n), in Keras's arithmetic */
static double vs_variance(const vs_config *c, const il_init_ctx *ctx)
{
    double fi, fo, n;
    keras_fans(ctx, &fi, &fo);
    switch (c->mode) {
    case VS_FAN_IN:
        n = fi;
        break;
    case VS_FAN_OUT:
        n = fo;
        break;
    case VS_FAN_AVG:
        n = (fi + fo) / 2.0;
        break;
    case VS_FAN_GEO_AVG:
    default:
        n = sqrt(fi * fo);
        break;
    }
    return c->scale / (n > 1.0 ? n : 1.0);
}

/* N(0, std^2) cut at +-2 std, std = sqrt(var) / 0.8796: variance 'var' after the cut */
static il_trunc_normal vs_trunc_law(double var)
{
    double std = sqrt(var) / TRUNC_STD_CORRECTION;
    il_trunc_normal t = {0.0, std, -2.0 * std, 2.0 * std};
    return t;
}

static void vs_fill(const vs_config *c, const il_init_ctx *ctx, const double *u, double *out)
{
    double var = vs_variance(c, ctx);
    if (c->dist == VS_UNIFORM) {
        double limit = sqrt(3.0 * var);
        il__uniform_from_noise(-limit, limit, u, out, ctx->numel);
    } else if (c->dist == VS_TRUNCATED) {
        il_trunc_normal t = vs_trunc_law(var);
        il__trunc_normal_from_uniform_fast(&t, u, out, ctx->numel);
    } else {
        /* the normal's inverse CDF; the half-ulp shift keeps u = 0 finite */
        double scale = sqrt(var) * sqrt(2.0);
        for (size_t i = 0; i < ctx->numel; i++)
            out[i] = il__erfinv(2.0 * u[i] - 1.0 + 0x1p-53) * scale;
    }
}

/* From the generator: the truncated normal by its own method if it has one,
 * the others (and that one otherwise) as vs_fill of its uniforms. */
static void vs_draw(const vs_config *c, const il_init_ctx *ctx, il_rng *rng, double *out)
{
    if (c->dist == VS_TRUNCATED) {
        il_trunc_normal t = vs_trunc_law(vs_variance(c, ctx));
        il_dist_fill_trunc_normal(rng, &t, out, ctx->numel);
        return;
    }
    il_rng_fill_double(rng, out, ctx->numel);
    vs_fill(c, ctx, out, out);
}

/* vs_draw rounded to float: the truncated normal as it is drawn, the
 * others in pieces */
static il_status vs_draw_f32(const vs_config *c, const il_init *init, const il_init_ctx *ctx,
                             il_rng *rng, float *out, il_error *err)
{
    if (c->dist == VS_TRUNCATED) {
        il_trunc_normal t = vs_trunc_law(vs_variance(c, ctx));
        if (il_dist_fill_trunc_normal_f32(rng, &t, out, ctx->numel) != IL_OK) {
            il__set_error(err, "out of memory (the inverse CDF's scratch)");
            return IL_ENOMEM;
        }
        return IL_OK;
    }
    return il__init_f32_by_pieces(init, ctx, rng, out, IL__INIT_F32_PIECE, err);
}

static void vs_describe(const vs_config *c, const il_init_ctx *ctx, il_init_target *t)
{
    double var = vs_variance(c, ctx);
    t->mean = 0.0;
    if (c->dist == VS_UNIFORM) {
        t->bound = sqrt(3.0 * var);
        t->std = sqrt(var);
    } else if (c->dist == VS_TRUNCATED) {
        t->std = sqrt(var) / TRUNC_STD_CORRECTION; /* before truncation */
        t->lo = -2.0 * t->std;
        t->hi = 2.0 * t->std;
    } else {
        t->std = sqrt(var);
    }
}

static il_status vs_fans_check(const il_init_ctx *ctx, il_error *err)
{
    size_t fi, fo;
    if (ctx->ndim < 2)
        return IL_OK;
    return il_fan_compute(ctx->shape, ctx->ndim, ctx->layout, &fi, &fo, err);
}

/* ---- variance_scaling(scale, mode, distribution) ---- */

static const il_param vs_params[] = {
    {"scale", IL_PARAM_NUMBER, 1.0, 0, NULL, "scaling factor (> 0)", 0},
    {"mode", IL_PARAM_CHOICE, 0.0, VS_FAN_IN, vs_modes, "which fan n is", 0},
    {"distribution", IL_PARAM_CHOICE, 0.0, VS_TRUNCATED, vs_dists, "what is drawn", 0},
};

static vs_config vs_from_values(const il_init *init)
{
    vs_config c = {init->values[0].number, (enum vs_mode)init->values[1].choice,
                   (enum vs_dist)init->values[2].choice};
    return c;
}

static il_status vs_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    if (!(init->values[0].number > 0.0)) {
        il__set_error(err,
                      "variance_scaling: Argument `scale` must be positive float. "
                      "Received: scale=%g",
                      init->values[0].number);
        return IL_EINVAL;
    }
    return vs_fans_check(ctx, err);
}

static il_status vs_from(const il_init *init, const il_init_ctx *ctx, const double *noise,
                         double *out, il_error *err)
{
    vs_config c = vs_from_values(init);
    (void)err;
    vs_fill(&c, ctx, noise, out);
    return IL_OK;
}

static il_status vs_fill_rng(const il_init *init, const il_init_ctx *ctx, il_rng *rng, double *out,
                             il_error *err)
{
    vs_config c = vs_from_values(init);
    (void)err;
    vs_draw(&c, ctx, rng, out);
    return IL_OK;
}

static il_status vs_fill_rng_f32(const il_init *init, const il_init_ctx *ctx, il_rng *rng,
                                 float *out, il_error *err)
{
    vs_config c = vs_from_values(init);
    return vs_draw_f32(&c, init, ctx, rng, out, err);
}

static void vs_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    vs_config c = vs_from_values(init);
    vs_describe(&c, ctx, t);
}

const il_init_type il__init_variance_scaling = {
    .name = "variance_scaling",
    .formula = "Var = scale / n; truncated_normal (std corrected by 0.8796), untruncated_normal "
               "or uniform",
    .source = "keras.initializers.VarianceScaling(scale=1, mode='fan_in', "
              "distribution='truncated_normal'); jax fan_geo_avg",
    .params = vs_params,
    .n_params = 3,
    .base = IL_INIT_BASE_UNIFORM,
    .elementwise = 1,
    .check = vs_check,
    .from_noise = vs_from,
    .fill = vs_fill_rng,
    .fill_f32 = vs_fill_rng_f32,
    .target = vs_target,
};

/* ---- the named settings ---- */

#define NAMED_VS(ident, keras_name, sc, md, ds, formula_text)                                      \
    static il_status ident##_check(const il_init *init, const il_init_ctx *ctx, il_error *err)     \
    {                                                                                              \
        (void)init;                                                                                \
        return vs_fans_check(ctx, err);                                                            \
    }                                                                                              \
    static il_status ident##_from(const il_init *init, const il_init_ctx *ctx,                     \
                                  const double *noise, double *out, il_error *err)                 \
    {                                                                                              \
        static const vs_config c = {sc, md, ds};                                                   \
        (void)init, (void)err;                                                                     \
        vs_fill(&c, ctx, noise, out);                                                              \
        return IL_OK;                                                                              \
    }                                                                                              \
    static il_status ident##_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng,        \
                                  double *out, il_error *err)                                      \
    {                                                                                              \
        static const vs_config c = {sc, md, ds};                                                   \
        (void)init, (void)err;                                                                     \
        vs_draw(&c, ctx, rng, out);                                                                \
        return IL_OK;                                                                              \
    }                                                                                              \
    static il_status ident##_fill_f32(const il_init *init, const il_init_ctx *ctx, il_rng *rng,    \
                                      float *out, il_error *err)                                   \
    {                                                                                              \
        static const vs_config c = {sc, md, ds};                                                   \
        return vs_draw_f32(&c, init, ctx, rng, out, err);                                          \
    }                                                                                              \
    static void ident##_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)     \
    {                                                                                              \
        static const vs_config c = {sc, md, ds};                                                   \
        (void)init;                                                                                \
        vs_describe(&c, ctx, t);                                                                   \
    }                                                                                              \
    const il_init_type il__init_##ident = {                                                        \
        .name = #ident,                                                                            \
        .formula = (formula_text),                                                                 \
        .source = "keras.initializers." keras_name,                                                \
        .base = IL_INIT_BASE_UNIFORM,                                                              \
        .elementwise = 1,                                                                          \
        .check = ident##_check,                                                                    \
        .from_noise = ident##_from,                                                                \
        .fill = ident##_fill,                                                                      \
        .fill_f32 = ident##_fill_f32,                                                              \
        .target = ident##_target,                                                                  \
    };

NAMED_VS(glorot_uniform, "GlorotUniform", 1.0, VS_FAN_AVG, VS_UNIFORM,
         "U(-l, l), l = sqrt(6/(fan_in + fan_out))")
NAMED_VS(glorot_normal, "GlorotNormal", 1.0, VS_FAN_AVG, VS_TRUNCATED,
         "truncated N, std = sqrt(2/(fan_in + fan_out)) after truncation at 2 std")
NAMED_VS(he_uniform, "HeUniform", 2.0, VS_FAN_IN, VS_UNIFORM, "U(-l, l), l = sqrt(6/fan_in)")
NAMED_VS(he_normal, "HeNormal", 2.0, VS_FAN_IN, VS_TRUNCATED,
         "truncated N, std = sqrt(2/fan_in) after truncation at 2 std")
NAMED_VS(lecun_uniform, "LecunUniform", 1.0, VS_FAN_IN, VS_UNIFORM, "U(-l, l), l = sqrt(3/fan_in)")
NAMED_VS(lecun_normal, "LecunNormal", 1.0, VS_FAN_IN, VS_TRUNCATED,
         "truncated N, std = sqrt(1/fan_in) after truncation at 2 std")
