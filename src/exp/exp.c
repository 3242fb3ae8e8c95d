/* SPDX-License-Identifier: MIT */
/* Running arms of dense layers: the lecture's draw order, or paired. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/exp.h"
#include "initlab/dist.h"
#include "initlab/layer.h"
#include "initlab/mlp.h"
#include "internal/lsuv.h"
#include "internal/spec_impl.h"
#include "exp_impl.h"

/* The layer lsuv_layer rescales: its fixed input and bias, its weights. */
typedef struct lsuv_dense {
    const double *x, *w, *bias;
    size_t batch, n_in, n_out;
    double *z;
} lsuv_dense;

static il_status lsuv_forward(void *ctx)
{
    const lsuv_dense *d = ctx;
    return il_dense_forward(d->x, d->batch, d->n_in, d->w, d->n_out, d->bias, NULL, d->z);
}

/* LSUV for one layer of the forward-only path: divide 'w' by the std of
 * the pre-activations x w + b until their variance is within tol of 1
 * (the layers below are already final). 'z' is scratch. */
static il_status lsuv_layer(const il_arm *arm, const double *x, size_t batch, size_t n_in,
                            double *w, size_t n_out, const double *bias, double *z, size_t *iters,
                            size_t layer, il_error *err)
{
    double tol;
    int max_iter;
    lsuv_dense d = {x, w, arm->has_bias ? bias : NULL, batch, n_in, n_out, z};
    il__lsuv_layer ly = {w, n_in * n_out, z, batch * n_out, lsuv_forward, &d, layer};

    il_init_is_lsuv(&arm->init, &tol, &max_iter);
    return il__lsuv_rescale(&ly, tol, max_iter, iters, err);
}

il_status il_exp_run(const il_exp_config *cfg, il_rng *rng, il_exp_layer_fn on_layer, void *ctx,
                     il_exp_result **out, il_error *err)
{
    exp_buffers sz;
    size_t prev;
    forward_buffers fb;
    il_exp_result *res = NULL;
    il_status st = IL_OK;

    if (cfg->n_arms == 0 || cfg->n_layers == 0 || cfg->batch == 0 || cfg->n_in == 0) {
        il__set_error(err, "an experiment needs at least one arm, layer, row and input column");
        return IL_EINVAL;
    }
    for (size_t l = 0; l < cfg->n_layers; l++)
        if (cfg->widths[l] == 0) {
            il__set_error(err, "layer %zu has width 0", l + 1);
            return IL_EINVAL;
        }
    st = il_stats_config_check(&cfg->stats);
    if (st != IL_OK) {
        il__set_error(err, "invalid histogram configuration");
        return st;
    }
    if (!il__exp_buffer_sizes(cfg, &sz)) {
        il__set_error(err, "network is too large (size overflows)");
        return IL_ELIMIT;
    }
    if (cfg->f32) {
        int lsuv = 0;
        for (size_t a = 0; a < cfg->n_arms; a++)
            lsuv |= il_init_is_lsuv(&cfg->arms[a].init, NULL, NULL);
        if (cfg->grad != IL_EXP_GRAD_NONE || lsuv || on_layer) {
            il__set_error(err, "float32 runs are forward only: no gradients, no LSUV arms, no "
                               "saved activations");
            return IL_EINVAL;
        }
    }
    res = il__exp_result_new(cfg, &st);
    if (!res)
        return st;
    if (cfg->f32) {
        st = il__exp_run_f32(cfg, rng, res, err);
        if (st != IL_OK) {
            il_exp_result_free(res);
            return st;
        }
        *out = res;
        return IL_OK;
    }
    if (cfg->grad != IL_EXP_GRAD_NONE) {
        st = il__exp_run_with_grad(cfg, rng, on_layer, ctx, res, err);
        if (st != IL_OK) {
            il_exp_result_free(res);
            return st;
        }
        *out = res;
        return IL_OK;
    }
    if (!il__exp_forward_alloc(cfg, &sz, sizeof(double), &fb)) {
        st = IL_ENOMEM;
        goto done;
    }

    /* Inputs: paired, one batch for all; else each arm's in arm order. */
    st = il__exp_draw_inputs(cfg, rng, fb.x, err);
    if (st != IL_OK)
        goto done;
    prev = cfg->n_in;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        size_t width = cfg->widths[l];

        il__exp_draw_shared_noise(cfg, rng, prev, width, &fb.nz);
        for (size_t a = 0; a < cfg->n_arms; a++) {
            const il_arm *arm = &cfg->arms[a];
            il_layer_stats *s = &res->stats[a * cfg->n_layers + l];
            double *x = fb.x[a], *y = fb.y[a];

            st = il__exp_make_arm_params(cfg, a, rng, prev, width, &fb.nz, fb.w, fb.bias, err);
            if (st == IL_OK && res->lsuv && il_init_is_lsuv(&arm->init, NULL, NULL))
                st = lsuv_layer(arm, x, cfg->batch, prev, fb.w, width, fb.bias, y,
                                &res->lsuv[a * cfg->n_layers + l], l, err);
            if (st != IL_OK)
                goto done;
            st = il_dense_forward_measured(x, cfg->batch, prev, fb.w, width,
                                           arm->has_bias ? fb.bias : NULL, &arm->act, y, s);
            if (st != IL_OK) {
                il__set_error(err, "layer %zu is too large for BLAS (a dimension over 2^31)",
                              l + 1);
                goto done;
            }
            il_layer_stats_finish(s);
            if ((st = il__exp_measure_corr(cfg, res, a, l, y, IL_DTYPE_F64)) != IL_OK)
                goto done;
            if (on_layer) {
                st = on_layer(ctx, a, l, y, cfg->batch, width);
                if (st != IL_OK)
                    goto done;
            }
            il__exp_forward_swap(&fb, a);
        }
        prev = width;
        if ((st = il__exp_tick(cfg, l + 1, cfg->n_layers)) != IL_OK)
            goto done;
    }

done:
    il__exp_forward_free(&fb);
    if (st != IL_OK) {
        il_exp_result_free(res);
        return st;
    }
    *out = res;
    return IL_OK;
}
