/* SPDX-License-Identifier: MIT */
/*
 * Inside the library: the dense network of any dtype (mlp.h's il_mlp is its
 * float64 face), the transposed products its backward pass needs, and the
 * conversion between dtypes. train/ trains float32 nets through these.
 */
#ifndef INITLAB_INTERNAL_NN_IMPL_H
#define INITLAB_INTERNAL_NN_IMPL_H

#include <stddef.h>

#include "initlab/act.h"
#include "initlab/dtype.h"
#include "initlab/mlp.h"
#include "initlab/status.h"

/* dw = x^T dy: x is (batch, n_in), dy (batch, n_out), dw (n_in, n_out), all
 * of 'dtype' and row-major. IL_ELIMIT as il_gemm. */
il_status il__gemm_tn(il_dtype dtype, const void *x, size_t batch, size_t n_in, const void *dy,
                      size_t n_out, void *dw);

/* dx = dy W^T: dy is (batch, n_out), w (n_in, n_out), dx (batch, n_in). */
il_status il__gemm_nt(il_dtype dtype, const void *dy, size_t batch, size_t n_out, const void *w,
                      size_t n_in, void *dx);

/* dst[i] = src[i] for n values, each rounded once to the type of 'dst'. */
void il__convert(il_dtype to, void *dst, il_dtype from, const void *src, size_t n);

/* What a layer of a net holds (il__mlp_data): weights (fan_in x fan_out),
 * bias (fan_out), pre-activations z, activations a and dL/dz (batch x
 * fan_out), and the gradients of the weights and the bias. */
typedef enum il__mlp_part {
    IL__MLP_W,
    IL__MLP_B,
    IL__MLP_Z,
    IL__MLP_A,
    IL__MLP_DZ,
    IL__MLP_DW,
    IL__MLP_DB
} il__mlp_part;

/* il_mlp_new and il_mlp_memory for a net whose weights, biases,
 * activations and gradients are all of 'dtype'. */
il_status il__mlp_new(il_dtype dtype, size_t batch, size_t n_in, const size_t *widths,
                      size_t n_layers, const il_act *const *acts, il_mlp **out);
il_status il__mlp_memory(il_dtype dtype, size_t batch, size_t n_in, const size_t *widths,
                         size_t n_layers, size_t *bytes);

il_dtype il__mlp_dtype(const il_mlp *m);

/* Layer 'l's 'part', of the net's dtype; the net owns it. */
void *il__mlp_data(const il_mlp *m, size_t l, il__mlp_part part);

/* il_mlp_forward and il_mlp_backward with 'x' and 'grad_out' of the net's
 * dtype ('x' borrowed until the next forward, as there). */
il_status il__mlp_forward(il_mlp *m, const void *x);
il_status il__mlp_backward(il_mlp *m, const void *grad_out);

/* il_loss_softmax_ce of the last forward's logits (the last layer's
 * activations) against 'labels' (batch values); the gradient, of the net's
 * dtype, into 'grad' (batch x classes; may be NULL). The arithmetic is in
 * double whatever the dtype. */
double il__mlp_loss_softmax_ce(const il_mlp *m, const size_t *labels, void *grad);

/* The weights and biases of 'src' into 'dst', a net of the same shape,
 * rounded to the dtype of 'dst'. */
void il__mlp_copy_params(il_mlp *dst, const il_mlp *src);

#endif
