/* SPDX-License-Identifier: MIT */
/* LSUV's rescaling loop (src/init/lsuv.c), one layer at a time, for every
 * network that rescales with data: the forward-only run and il_mlp_lsuv. */
#ifndef INITLAB_INTERNAL_LSUV_H
#define INITLAB_INTERNAL_LSUV_H

#include <stddef.h>

#include "initlab/spec.h"
#include "initlab/status.h"

/* One layer to rescale: its weights, and how to recompute its
 * pre-activations from them. The layers below it are final. */
typedef struct il__lsuv_layer {
    double *w; /* n_w weights, divided in place */
    size_t n_w;
    const double *z; /* n_z pre-activations, rewritten by each forward */
    size_t n_z;
    /* z from the current w (and the layer's fixed input and bias) */
    il_status (*forward)(void *ctx);
    void *ctx;
    size_t index; /* 0-based, for messages: "layer index + 1" */
} il__lsuv_layer;

/* Mishkin & Matas 2016, Algorithm 1, for one layer: forward, and while
 * |Var(z) - 1| >= tol and fewer than 'max_iter' rescalings were made,
 * divide w by sqrt(Var(z)) and forward again; so z is the final weights'
 * on return. The rescalings go to *iters. IL_EINVAL with a message for a
 * dead layer (Var(z) = 0: nothing to rescale) or a non-finite variance;
 * the forward's error as it is. */
il_status il__lsuv_rescale(const il__lsuv_layer *layer, double tol, int max_iter, size_t *iters,
                           il_error *err);

#endif
