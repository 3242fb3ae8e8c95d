/* SPDX-License-Identifier: MIT */
/*
 * lsuv(base, tol, max_iter): Mishkin & Matas 2016, "All you need is a good
 * init". The weights start as the base scheme (orthonormal by default);
 * then, with a batch of data, each layer in turn is divided by the std of
 * its outputs until their variance is within tol of 1 (il__lsuv_rescale,
 * below, which the forward-only run and il_mlp_lsuv call for each layer).
 * Without data there is nothing to measure, so a fill alone gives the
 * base's weights, and the target is unknown.
 */
#include <math.h>

#include "internal/init_impl.h"
#include "internal/lsuv.h"
#include "internal/spec_impl.h"

static const char *const lsuv_bases[] = {"orthogonal", "normal",        "lecture_xavier",
                                         "lecture_he", "xavier_normal", "kaiming_normal",
                                         NULL};

static const il_param lsuv_params[] = {
    {"base", IL_PARAM_CHOICE, 0, 0, lsuv_bases, "the scheme LSUV starts from (default orthogonal)",
     0},
    {"tol", IL_PARAM_NUMBER, 0.1, 0, NULL, "stop when |Var(output) - 1| < tol (> 0)", 0},
    {"max_iter", IL_PARAM_NUMBER, 10, 0, NULL, "rescalings per layer at most (1..1000)", 0},
};

static il_status lsuv_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    double tol = init->values[1].number, it = init->values[2].number;
    (void)ctx;
    if (!(tol > 0)) {
        il__set_error(err, "lsuv: tol must be > 0, got %g", tol);
        return IL_EINVAL;
    }
    if (!(it >= 1 && it <= 1000) || it != floor(it)) {
        il__set_error(err, "lsuv: max_iter must be an integer in 1..1000, got %g", it);
        return IL_EINVAL;
    }
    return IL_OK;
}

static il_status lsuv_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng, double *out,
                           il_error *err)
{
    il_init base;
    il_status st = il_init_parse(lsuv_bases[init->values[0].choice], &base, err);
    if (st != IL_OK)
        return st;
    return il_init_fill(&base, ctx->shape, ctx->ndim, ctx->layout, rng, out, err);
}

static void lsuv_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    (void)init, (void)ctx, (void)t; /* set by the data: unknown beforehand */
}

const il_init_type il__init_lsuv = {
    .name = "lsuv",
    .formula = "the base scheme, then each layer divided by its output std until Var is 1 +- tol",
    .source = "Mishkin & Matas 2016 (ICLR), Algorithm 1; LSUV-pytorch's std_tol and max_attempts",
    .params = lsuv_params,
    .n_params = 3,
    .needs_fans = 1,
    .check = lsuv_check,
    .fill = lsuv_fill,
    .target = lsuv_target,
};

int il_init_is_lsuv(const il_init *init, double *tol, int *max_iter)
{
    if (init->type != &il__init_lsuv)
        return 0;
    if (tol)
        *tol = init->values[1].number;
    if (max_iter)
        *max_iter = (int)init->values[2].number;
    return 1;
}

/* The variance of n values (two passes: the mean first). */
static double variance(const double *v, size_t n)
{
    double mean = 0.0, s = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += v[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        s += (v[i] - mean) * (v[i] - mean);
    return s / (double)n;
}

il_status il__lsuv_rescale(const il__lsuv_layer *layer, double tol, int max_iter, size_t *iters,
                           il_error *err)
{
    *iters = 0;
    for (;;) {
        il_status st = layer->forward(layer->ctx);
        double var;
        if (st != IL_OK)
            return st;
        var = variance(layer->z, layer->n_z);
        if (!isfinite(var) || var == 0) {
            il__set_error(err, "lsuv: layer %zu %s", layer->index + 1,
                          var == 0 ? "is dead (its output variance is 0), so there is nothing "
                                     "to rescale"
                                   : "has a non-finite output variance");
            return IL_EINVAL;
        }
        if (fabs(var - 1) < tol || *iters >= (size_t)max_iter)
            return IL_OK;
        for (size_t i = 0; i < layer->n_w; i++)
            layer->w[i] /= sqrt(var);
        (*iters)++;
    }
}
