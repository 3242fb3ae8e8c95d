/* SPDX-License-Identifier: MIT */
/* An experiment in float32: the float64 run's draws, rounded. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "initlab/layer.h"
#include "initlab/mlp.h"
#include "internal/spec_impl.h"
#include "exp_impl.h"

/* A float32 layer's products made into activations, piece by piece in the
 * statistics pass: each product gets its bias and activation in double, is
 * rounded to float, and the rounded value (as a double, in the statistics'
 * scratch piece 'v') is what is measured. No double copy of the layer is
 * kept. */
typedef struct f32_finish {
    const il_arm *arm;
    const double *bias; /* or NULL */
    size_t width;
    float *y32;
} f32_finish;

static void finish_f32_piece(void *ctx, double *v, size_t offset, size_t n)
{
    const f32_finish *f = ctx;
    float *y32 = f->y32 + offset;
    size_t j = offset % f->width;
    for (size_t i = 0; i < n; i++) {
        v[i] = (double)y32[i] + (f->bias ? f->bias[j] : 0.0);
        if (++j == f->width)
            j = 0;
    }
    il_act_apply(&f->arm->act, v, n);
    for (size_t i = 0; i < n; i++) {
        y32[i] = (float)v[i];
        v[i] = (double)y32[i];
    }
}

static void finish_f32_layer(const il_arm *arm, const double *bias, size_t width, float *y32,
                             size_t n, il_layer_stats *s)
{
    f32_finish f = {arm, bias, width, y32};
    il_layer_stats_add_made(s, n, finish_f32_piece, &f);
    il_layer_stats_finish(s);
}

/* dst = (float)src, on threads */
static void round_to_float(const double *src, float *dst, size_t n)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
}

/* The float32 forward pass (cfg->f32): the draws and parameters of the
 * float64 pass, rounded; products in sgemm. */
il_status il__exp_run_f32(const il_exp_config *cfg, il_rng *rng, il_exp_result *res, il_error *err)
{
    exp_buffers sz;
    const int paired = cfg->order == IL_EXP_PAIRED;
    forward_buffers fb;
    float *w32 = NULL;
    double *y64 = NULL;
    size_t prev;
    il_status st = IL_OK;

    if (!il__exp_buffer_sizes(cfg, &sz))
        return IL_ELIMIT;
    w32 = il_malloc_n(sz.w_elems, sizeof *w32);
    y64 = il_malloc_n(cfg->batch * cfg->n_in, sizeof *y64); /* the input, drawn in double */
    if (!il__exp_forward_alloc(cfg, &sz, sizeof(float), &fb) || !w32 || !y64) {
        st = IL_ENOMEM;
        goto done;
    }
    /* the inputs, drawn as in float64 (one arm at a time through y64) */
    for (size_t a = 0; a < cfg->n_arms; a++) {
        void *const one[1] = {y64};
        il_exp_config c1 = *cfg;
        size_t n = cfg->batch * cfg->n_in;
        if (paired && a > 0) {
            memcpy(fb.x[a], fb.x[0], n * sizeof(float));
            continue;
        }
        c1.n_arms = 1;
        c1.order = IL_EXP_LECTURE; /* one draw for this arm */
        st = il__exp_draw_inputs(&c1, rng, one, err);
        if (st != IL_OK)
            goto done;
        round_to_float(y64, fb.x[a], n);
    }
    il_free(y64); /* before the layers: the peak is theirs */
    y64 = NULL;
    prev = cfg->n_in;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        size_t width = cfg->widths[l];

        il__exp_draw_shared_noise(cfg, rng, prev, width, &fb.nz);
        for (size_t a = 0; a < cfg->n_arms; a++) {
            const il_arm *arm = &cfg->arms[a];
            st = il__exp_make_arm_params(cfg, a, rng, prev, width, &fb.nz, fb.w, fb.bias, err);
            if (st != IL_OK)
                goto done;
            round_to_float(fb.w, w32, prev * width);
            st = il_gemm(IL_DTYPE_F32, fb.x[a], cfg->batch, prev, w32, width, fb.y[a]);
            if (st != IL_OK) {
                il__set_error(err, "layer %zu is too large for BLAS (a dimension over 2^31)",
                              l + 1);
                goto done;
            }
            finish_f32_layer(arm, arm->has_bias ? fb.bias : NULL, width, fb.y[a],
                             cfg->batch * width, &res->stats[a * cfg->n_layers + l]);
            if ((st = il__exp_measure_corr(cfg, res, a, l, fb.y[a], IL_DTYPE_F32)) != IL_OK)
                goto done;
            il__exp_forward_swap(&fb, a);
        }
        prev = width;
        if ((st = il__exp_tick(cfg, l + 1, cfg->n_layers)) != IL_OK)
            goto done;
    }
done:
    il__exp_forward_free(&fb);
    il_free(w32);
    il_free(y64);
    return st;
}
