/* SPDX-License-Identifier: MIT */
/*
 * Inside the library: the layer-op kinds, one il_op_type per kind, each
 * defined in the file of its family (src/nn/op*.c) and listed once in
 * src/nn/op.c's table, and the small helpers the families share.
 */
#ifndef INITLAB_INTERNAL_OP_IMPL_H
#define INITLAB_INTERNAL_OP_IMPL_H

#include <stddef.h>

#include "initlab/net.h"

/* op.c: dense, act, residual */
extern const il_op_type il__op_dense, il__op_act, il__op_residual;
/* op_conv.c: conv2d; op_pool.c: pools, flatten, embedding */
extern const il_op_type il__op_conv2d;
extern const il_op_type il__op_avgpool, il__op_maxpool, il__op_global_avgpool, il__op_flatten,
    il__op_embedding;

/* op_norm.c: layernorm, rmsnorm, batchnorm; op_attn.c: attention */
extern const il_op_type il__op_layernorm, il__op_rmsnorm, il__op_batchnorm, il__op_attention;

/* Rows of a last-axis op: the batch times every axis but the last. */
size_t il__op_rows(size_t batch, const il_tshape *s);

/* The params() of an op without parameters. */
size_t il__op_no_params(const il_op *op, const il_tshape *in, il_param_desc *p);

/* op_conv.c, for the window ops: 'v', or 'dflt' when v is 0 (an unset
 * stride, dilation or groups). */
size_t il__op_or(size_t v, size_t dflt);

/* IL_ESHAPE unless 'in' is (channels, height, width); 'kind' names the op. */
il_status il__op_image_in(const char *kind, const il_tshape *in, il_error *err);

/* The output extent of a window on an axis of 'n' positions, PyTorch's
 * floor((n + 2 padding - dilation (kernel - 1) - 1) / stride) + 1, with
 * kernel and stride at least 1. IL_ESHAPE, naming "kernel" and the
 * 'axis' ("height"), when the window spans more than the padded input. */
il_status il__op_window_out(size_t n, size_t kernel, size_t stride, size_t padding, size_t dilation,
                            const char *axis, size_t *out, il_error *err);

#endif
