/* SPDX-License-Identifier: MIT */
/*
 * Inside the experiment engine (src/exp/): the result's layout, the
 * buffers of a forward pass, and the draws every path shares, so that the
 * float64 forward pass (exp.c), the float32 one (f32.c) and the one with
 * gradients (grad.c) make the same numbers from the same stream.
 */
#ifndef INITLAB_EXP_IMPL_H
#define INITLAB_EXP_IMPL_H

#include "initlab/exp.h"

#define IL_EXP_MAX_LSUV_LAYERS 1025 /* LSUV with gradients: hidden layers and the classifier */

struct il_exp_result {
    size_t n_arms, n_layers;
    il_layer_stats *grad_pre, *grad_w; /* arm-major; NULL without gradients */
    double *grad_ratio, *loss;
    size_t *lsuv; /* rescalings per arm and layer, arm-major; NULL when no arm is LSUV */
    double *corr; /* il_stats_row_corr per arm and layer, arm-major; NULL unless cfg->corr */
    il_layer_stats stats[]; /* arm-major */
};

/* Buffer sizes of a run: the widest activation (batch x widest layer),
 * the largest weight matrix, the widest layer, in elements. */
typedef struct exp_buffers {
    size_t act_elems, w_elems, widest;
} exp_buffers;

/* 0 when a size overflows. */
int il__exp_buffer_sizes(const il_exp_config *cfg, exp_buffers *b);

/* A result with initialised statistics (and LSUV counts if an arm is
 * LSUV); NULL with *st set. */
il_exp_result *il__exp_result_new(const il_exp_config *cfg, il_status *st);

/* With cfg->corr, the correlation of arm a's layer l from its activations
 * 'y' (batch x width, of 'dtype'). IL_ENOMEM. */
il_status il__exp_measure_corr(const il_exp_config *cfg, il_exp_result *res, size_t a, size_t l,
                               const void *y, il_dtype dtype);

/* The caller's tick after step 'done' of 'total': IL_ECANCELED if it says stop. */
il_status il__exp_tick(const il_exp_config *cfg, size_t done, size_t total);

/* Shared base noise of one layer (paired runs): weights and biases. */
typedef struct layer_noise {
    double *wn, *wu, *bn, *bu;
} layer_noise;

/* What a forward-only run holds: each arm's two activation buffers (a
 * layer's input and output, swapped after it), of 'elem' bytes a value
 * (double or float); one layer's weights and biases, in double; a paired
 * run's shared noise. */
typedef struct forward_buffers {
    size_t n_arms;
    void **x, **y;
    double *w, *bias;
    layer_noise nz;
} forward_buffers;

/* Returns 0 when out of memory (release with il__exp_forward_free either way). */
int il__exp_forward_alloc(const il_exp_config *cfg, const exp_buffers *sz, size_t elem,
                          forward_buffers *fb);
void il__exp_forward_free(forward_buffers *fb);
/* Arm a's layer output becomes the next layer's input. */
void il__exp_forward_swap(forward_buffers *fb, size_t a);

/* The noise kinds the arms' weight (or bias) schemes transform. */
void il__exp_bases_used(const il_exp_config *cfg, int bias, int *normal, int *uniform);
/* The shared noise 'init' transforms, or NULL if it draws its own. */
const double *il__exp_noise_for(const il_init *init, const double *normal, const double *uniform);
/* Every arm's input, into the doubles x[a]: paired, one draw given to all;
 * else one per arm, in arm order (the lecture's x_1, x_2). */
il_status il__exp_draw_inputs(const il_exp_config *cfg, il_rng *rng, void *const *x, il_error *err);
/* Paired runs: the layer's shared noise, for the kinds some arm uses. */
void il__exp_draw_shared_noise(const il_exp_config *cfg, il_rng *rng, size_t fan_in, size_t fan_out,
                               const layer_noise *nz);
/* Arm 'a's weights (and bias, if it has one) for a (fan_in, fan_out)
 * layer: from the shared noise when paired and the scheme has a base,
 * else drawn from 'rng'. */
il_status il__exp_make_arm_params(const il_exp_config *cfg, size_t a, il_rng *rng, size_t fan_in,
                                  size_t fan_out, const layer_noise *nz, double *w, double *b,
                                  il_error *err);

/* The paths of il_exp_run other than the float64 forward pass. */
il_status il__exp_run_with_grad(const il_exp_config *cfg, il_rng *rng, il_exp_layer_fn on_layer,
                                void *ctx, il_exp_result *res, il_error *err);
il_status il__exp_run_f32(const il_exp_config *cfg, il_rng *rng, il_exp_result *res, il_error *err);

#endif
