/* SPDX-License-Identifier: MIT */
/* The float32 network of training with dtype f32 (src/train/net32.c). */
#ifndef INITLAB_INTERNAL_NET32_H
#define INITLAB_INTERNAL_NET32_H

#include <stddef.h>

#include "initlab/act.h"
#include "initlab/mlp.h"

#define IL__NET32_MAX_LAYERS 64

typedef struct il__net32 {
    size_t batch, n_in, n_layers;
    size_t fan_in[IL__NET32_MAX_LAYERS], fan_out[IL__NET32_MAX_LAYERS];
    il_act act; /* after every layer but the last */
    /* per layer: parameters, their gradients, the optimizer's state
     * (vw/vb: momentum or Adam's second moment; mw/mb: Adam's first) */
    float *w[IL__NET32_MAX_LAYERS], *b[IL__NET32_MAX_LAYERS];
    float *dw[IL__NET32_MAX_LAYERS], *db[IL__NET32_MAX_LAYERS];
    float *vw[IL__NET32_MAX_LAYERS], *vb[IL__NET32_MAX_LAYERS];
    float *mw[IL__NET32_MAX_LAYERS], *mb[IL__NET32_MAX_LAYERS];
    float *z[IL__NET32_MAX_LAYERS], *a[IL__NET32_MAX_LAYERS], *dz[IL__NET32_MAX_LAYERS];
    float *scratch; /* batch x widest: dL/dlogits, then dL/da going back */
    float *x;       /* the minibatch, batch x n_in: the caller fills it */
    float *block;   /* everything above */
} il__net32;

il_status il__net32_new(size_t batch, size_t n_in, const size_t *widths, size_t n_layers,
                        const il_act *act, il__net32 **out);
void il__net32_free(il__net32 *n);
/* Parameters from and to a float64 net of the same shape. */
void il__net32_load(il__net32 *n, il_mlp *m);
void il__net32_store(const il__net32 *n, il_mlp *m);
void il__net32_forward(il__net32 *n);
/* The mean cross-entropy of the last forward; dL/dlogits into scratch. */
double il__net32_loss_grad(il__net32 *n, const size_t *labels);
void il__net32_backward(il__net32 *n);

#endif
