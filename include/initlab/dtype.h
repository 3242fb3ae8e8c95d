/* SPDX-License-Identifier: MIT */
/*
 * The element type of arrays whose precision a caller chooses: a network's
 * parameters, activations and gradients (nn/, train/) and a run's forward
 * pass (run/). It sits below every module that takes it, so that each can
 * name it without including the layer above. Statistics, losses and
 * optimizer arithmetic stay in double whatever the type; only storage and
 * the products (dgemm or sgemm) follow it.
 */
#ifndef INITLAB_DTYPE_H
#define INITLAB_DTYPE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum il_dtype {
    IL_DTYPE_F64, /* double: the default, numpy's float64 (0, so a zeroed config is float64) */
    IL_DTYPE_F32  /* float: torch's default */
} il_dtype;

/* Bytes of one element of 'dtype'. */
static inline size_t il_dtype_size(il_dtype dtype)
{
    return dtype == IL_DTYPE_F32 ? sizeof(float) : sizeof(double);
}

#ifdef __cplusplus
}
#endif
#endif
