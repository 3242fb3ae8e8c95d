/* SPDX-License-Identifier: MIT */
/*
 * Experiments: several networks ("arms") of dense layers, each with its own
 * initializer and activation, fed a random input batch; per-layer statistics
 * of every arm's activations.
 *
 * Two draw orders:
 *
 * IL_EXP_LECTURE is the lecture's, so that with the mt19937 generator the
 * numbers equal the lecture's Python: first each arm's input batch in arm
 * order (x_1 = randn(batch, n_in), then x_2 = ...), then, layer by layer,
 * each arm's weight matrix in arm order (w_1, then w_2), each followed by
 * that arm's bias if it has one.
 *
 * IL_EXP_PAIRED compares schemes on common random numbers: one input batch
 * is drawn and given to every arm; then, per layer: a (fan_in, fan_out)
 * matrix of standard normals if any arm's weight scheme transforms normal
 * noise, one of uniforms if any transforms uniform noise, a vector of
 * normals and one of uniforms likewise for the biases; then, arm by arm,
 * weights and bias are made from that shared noise, and schemes that draw
 * their own (sparse, ...) draw it then. Differences between arms then come
 * from the schemes alone.
 */
#ifndef INITLAB_EXP_H
#define INITLAB_EXP_H

#include <stddef.h>

#include "initlab/act.h"
#include "initlab/init.h"
#include "initlab/rng.h"
#include "initlab/stats.h"
#include "initlab/theory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One network: how its weights are drawn and what follows each product. */
typedef struct il_arm {
    il_init init;
    il_act act;
    int has_bias; /* zero: no bias (the lecture's networks) */
    il_init bias; /* the bias vector's initializer, if has_bias */
} il_arm;

/* Where the gradient of a backward pass comes from (il_exp_config.grad). */
typedef enum il_exp_grad {
    IL_EXP_GRAD_NONE,       /* forward only */
    IL_EXP_GRAD_SOFTMAX_CE, /* a final linear layer to 'classes' logits (the arm's
                               initializer), softmax cross-entropy against
                               uniformly random labels */
    IL_EXP_GRAD_UNIT        /* dL/da of the last layer drawn from N(0, 1) */
} il_exp_grad;

typedef enum il_exp_order {
    IL_EXP_LECTURE, /* the lecture's draw order; each arm its own noise */
    IL_EXP_PAIRED   /* shared input and shared base noise per layer */
} il_exp_order;

/* Told after each step of a run (a layer of every arm, or with a backward
 * pass an arm), 'done' of 'total'; returning nonzero stops the run with
 * IL_ECANCELED. */
typedef int (*il_exp_tick_fn)(void *ctx, size_t done, size_t total);

typedef struct il_exp_config {
    size_t batch;             /* rows of the input */
    size_t n_in;              /* input width */
    const size_t *widths;     /* output width of each layer */
    size_t n_layers;          /* >= 1 */
    const il_arm *arms;       /* borrowed for the duration of il_exp_run */
    size_t n_arms;            /* >= 1 */
    il_init input;            /* how the input batch is drawn; the lecture's is "normal" */
    const double *input_data; /* or NULL: batch x n_in given values (C order), not drawn */
    il_stats_config stats;    /* histogram and saturation thresholds */
    il_exp_order order;       /* IL_EXP_LECTURE (0) or IL_EXP_PAIRED */
    il_exp_grad grad;         /* IL_EXP_GRAD_NONE (0): no backward pass */
    size_t classes;           /* logits for IL_EXP_GRAD_SOFTMAX_CE (>= 2) */
    /* Nonzero: float32 activations and weights, products in sgemm; the
     * weights are drawn and made in double (the same draws as float64)
     * and rounded; bias and activation are applied in double to each
     * product and rounded, and the statistics are accumulated in double
     * over the rounded values. Forward only: no grad, no LSUV arms, no
     * on_layer callback (IL_EINVAL). */
    int f32;
    /* Nonzero: each layer's correlation between rows (il_exp_corr). */
    int corr;
    il_exp_tick_fn tick; /* or NULL */
    void *tick_ctx;
} il_exp_config;

/* With a backward pass, per arm and layer: the gradient at the
 * pre-activations dL/dz and at the weights dL/dW (each histogram over
 * +-4 of its own std), and std(dL/dW) / std(W). The random numbers of the
 * backward pass (the classifier's weights, the labels or the upstream
 * gradient) are drawn after all forward draws, once, and shared by all
 * arms. */

/* Called after each arm's layer is computed with its activations, 'rows' x
 * 'cols' row-major, valid only during the call. A status other than IL_OK
 * stops the run, and il_exp_run returns it. */
typedef il_status (*il_exp_layer_fn)(void *ctx, size_t arm, size_t layer, const double *act,
                                     size_t rows, size_t cols);

typedef struct il_exp_result il_exp_result;

/* Bytes il_exp_run will allocate for 'cfg' (buffers and statistics), so a
 * caller can refuse before starting. IL_ELIMIT on overflow. */
il_status il_exp_memory(const il_exp_config *cfg, size_t *bytes);

/* Run 'cfg', drawing from 'rng'. 'on_layer' may be NULL. On success *out is
 * the result, owned by the caller (il_exp_result_free). Errors: IL_EINVAL
 * for an empty configuration or a bad statistics configuration, IL_ENOMEM,
 * IL_ELIMIT, an initializer's error (message in 'err', which may be NULL),
 * or what 'on_layer' returned. */
il_status il_exp_run(const il_exp_config *cfg, il_rng *rng, il_exp_layer_fn on_layer, void *ctx,
                     il_exp_result **out, il_error *err);

/* What mean-field theory predicts for arm 'arm' of 'cfg', layer by layer
 * ('cfg->n_layers' entries into 'layers'), from each layer's
 * sigma_w2 = fan_in * E[w^2] and sigma_b2 = E[b^2] as its initializers
 * describe them and the input's E[x^2]. No run is needed. The theory is
 * for weights and biases of mean zero; IL_EINVAL, with the reason in
 * 'err', for a scheme with a non-zero mean (ones, constant) or without a
 * variance (eye, dirac). */
il_status il_exp_theory(const il_exp_config *cfg, size_t arm, il_theory_layer *layers,
                        il_error *err);

/* The same for the correlation of two inputs' activations
 * (il_theory_corr_layers), into 'corr' ('cfg->n_layers' entries). Drawn
 * inputs of mean m and variance v have correlation m^2 / (m^2 + v); given
 * ones (input_data) their measured il_stats_row_corr. Errors as
 * il_exp_theory. */
il_status il_exp_theory_corr(const il_exp_config *cfg, size_t arm, double *corr, il_error *err);

/* Statistics of arm 'arm' (0-based), layer 'layer' (0-based). */
const il_layer_stats *il_exp_stats(const il_exp_result *r, size_t arm, size_t layer);

/* The first layer (1-based) of arm 'arm' with a non-finite activation, and
 * the first whose activations are all exactly zero; 0 if there is none. */
size_t il_exp_first_nonfinite(const il_exp_result *r, size_t arm);
size_t il_exp_first_dead(const il_exp_result *r, size_t arm);

/* With cfg->corr: arm 'arm''s il_stats_row_corr of every layer's
 * activations (n_layers values); NULL otherwise. */
const double *il_exp_corr(const il_exp_result *r, size_t arm);

/* Gradient statistics (NULL / NAN without a backward pass). */
const il_layer_stats *il_exp_grad_pre(const il_exp_result *r, size_t arm, size_t layer);
const il_layer_stats *il_exp_grad_w(const il_exp_result *r, size_t arm, size_t layer);
double il_exp_grad_ratio(const il_exp_result *r, size_t arm, size_t layer);
/* The loss of arm 'arm' (softmax cross-entropy; NAN otherwise). */
double il_exp_loss(const il_exp_result *r, size_t arm);

/* The LSUV rescalings of arm 'arm', one per layer (LSUV arms only; NULL
 * for the others). */
const size_t *il_exp_lsuv_iters(const il_exp_result *r, size_t arm);

/* The number of arms and of layers in 'r'. */
size_t il_exp_arm_count(const il_exp_result *r);
size_t il_exp_layer_count(const il_exp_result *r);

/* Release 'r'; NULL is allowed. */
void il_exp_result_free(il_exp_result *r);

#ifdef __cplusplus
}
#endif
#endif
