/* SPDX-License-Identifier: MIT */
/*
 * A multilayer perceptron that keeps what back-propagation needs.
 *
 * Layer l (0-based) computes z_l = a_{l-1} W_l + b_l and a_l = act_l(z_l),
 * with a_{-1} the input, W_l of shape (fan_in, fan_out) row-major and the
 * batch in rows: the lecture's np.dot(x, w). The net owns its weights,
 * biases, pre-activations, activations and gradients, allocated once by
 * il_mlp_new; forward and backward allocate nothing.
 *
 * Backward takes dL/da of the last layer and gives, per layer,
 * dL/dz_l (the gradient at the pre-activations), dL/dW_l = a_{l-1}^T dL/dz_l
 * and dL/db_l (the column sums of dL/dz_l).
 *
 * These functions are the float64 net's. The same passes, written once
 * (src/nn/mlp_impl.h), also run in float32 inside the library (training
 * with dtype f32).
 */
#ifndef INITLAB_MLP_H
#define INITLAB_MLP_H

#include <stddef.h>

#include "initlab/act.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct il_mlp il_mlp;

/* A net for 'batch' rows of 'n_in' inputs and 'n_layers' layers of widths
 * 'widths', layer l followed by 'acts[l]' (NULL entries: identity). Weights
 * and biases start at zero. 'acts' is copied. IL_EINVAL for an empty shape,
 * IL_ELIMIT if the sizes overflow, IL_ENOMEM. */
il_status il_mlp_new(size_t batch, size_t n_in, const size_t *widths, size_t n_layers,
                     const il_act *const *acts, il_mlp **out);

/* Release 'm'; NULL is allowed. */
void il_mlp_free(il_mlp *m);

/* Bytes il_mlp_new would allocate, so that a caller can refuse first. */
il_status il_mlp_memory(size_t batch, size_t n_in, const size_t *widths, size_t n_layers,
                        size_t *bytes);

/* Layer 'l's weights (fan_in x fan_out) and bias (fan_out), to fill. */
double *il_mlp_weights(il_mlp *m, size_t l);
double *il_mlp_bias(il_mlp *m, size_t l);

/* z_l and a_l for every layer from 'x' (batch x n_in, row-major; borrowed
 * and kept until the next forward, for the first layer's weight gradient).
 * IL_ELIMIT if a dimension exceeds BLAS's int range. */
il_status il_mlp_forward(il_mlp *m, const double *x);

/* Gradients from dL/da of the last layer ('grad_out', batch x last width). */
il_status il_mlp_backward(il_mlp *m, const double *grad_out);

/* Results of the last forward and backward (batch x width, or fan_in x
 * fan_out for grad_w, or width for grad_b). */
const double *il_mlp_pre(const il_mlp *m, size_t l);
const double *il_mlp_act(const il_mlp *m, size_t l);
const double *il_mlp_grad_pre(const il_mlp *m, size_t l);
const double *il_mlp_grad_w(const il_mlp *m, size_t l);
const double *il_mlp_grad_b(const il_mlp *m, size_t l);

/* LSUV (Mishkin & Matas 2016) on the weights already in 'm': for each
 * layer in turn, forward 'x' and divide the layer's weights by the std of
 * its pre-activations z until |Var(z) - 1| < tol, at most 'max_iter'
 * times; the rescalings per layer go to 'iters' (n_layers entries).
 * IL_EINVAL with a message for a dead layer (Var(z) = 0: nothing to
 * rescale) or a non-finite variance. */
il_status il_mlp_lsuv(il_mlp *m, const double *x, double tol, int max_iter, size_t *iters,
                      il_error *err);

/* The mean softmax cross-entropy of 'logits' (batch x classes) against
 * 'labels' (each < classes), and its gradient dL/dlogits into 'grad' (may
 * be NULL). Stable for any finite logits (log-sum-exp). */
double il_loss_softmax_ce(const double *logits, size_t batch, size_t classes, const size_t *labels,
                          double *grad);

#ifdef __cplusplus
}
#endif
#endif
