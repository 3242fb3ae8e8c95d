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

/* op_norm.c: layernorm, rmsnorm, batchnorm; op_attn.c: attention */
extern const il_op_type il__op_layernorm, il__op_rmsnorm, il__op_batchnorm, il__op_attention;

/* Rows of a last-axis op: the batch times every axis but the last. */
size_t il__op_rows(size_t batch, const il_tshape *s);

/* The params() of an op without parameters. */
size_t il__op_no_params(const il_op *op, const il_tshape *in, il_param_desc *p);

#endif
