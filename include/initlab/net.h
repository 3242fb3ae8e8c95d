/* SPDX-License-Identifier: MIT */
/*
 * Networks as sequences of layer ops.
 *
 * Each kind of op is one row of a static table (il_op_type), as each
 * initializer is one row of the initializer registry: its name, the shape
 * it makes of its input, its parameters with their shapes and fans, its
 * forward and backward pass, and whether its output is a point the
 * statistics measure by default. A network (il_net) is a list of ops on a
 * per-example input shape; it owns its parameters, every op's output, and
 * with a backward pass the gradients at every output and parameter.
 * Adding a kind of layer is one new row and its functions; the network,
 * the executor and the reports do not change.
 *
 * Shapes are per example, the batch in front: (F), (S, F) or (C, H, W).
 * Values are float64, row-major, batch first. A dense op works on the
 * last axis; its weight is (fan_in, fan_out), y = x W + b as the lecture's
 * np.dot(x, w) (PyTorch stores the transpose, (out, in)).
 *
 * Names follow PyTorch's nn.Sequential: op k is "layers.k", its
 * parameters "layers.k.weight" and "layers.k.bias".
 */
#ifndef INITLAB_NET_H
#define INITLAB_NET_H

#include <stddef.h>

#include "initlab/act.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IL_SHAPE_MAX_RANK 4
#define IL_OP_MAX_PARAMS  4

/* A per-example shape. */
typedef struct il_tshape {
    size_t rank;
    size_t dim[IL_SHAPE_MAX_RANK];
} il_tshape;

/* What a parameter is, for recipes and initializers. */
typedef enum il_tensor_role {
    IL_ROLE_WEIGHT, /* a matrix or kernel: drawn by the arm's initializer */
    IL_ROLE_BIAS    /* an additive vector: zero, or the arm's bias initializer */
} il_tensor_role;

typedef struct il_param_desc {
    const char *name; /* within its op: "weight", "bias" */
    il_tensor_role role;
    il_tshape shape;        /* in the library's layout (dense: fan_in x fan_out) */
    size_t fan_in, fan_out; /* as PyTorch computes them for the layer */
} il_param_desc;

typedef struct il_op_type il_op_type;

/* One op of a network: its kind and that kind's settings. */
typedef struct il_op {
    const il_op_type *type;
    size_t out; /* dense: output features */
    int bias;   /* dense: nonzero for a bias */
    il_act act; /* act: the activation */
} il_op;

/* What an op's pass reads and writes, for 'batch' examples. */
typedef struct il_op_io {
    size_t batch;
    il_tshape in, out;
    const double *x;       /* the input */
    double *y;             /* forward: the output */
    double *const *params; /* the op's parameters, in the order of its descriptions */
    /* backward: dL/dy in; dL/dx out (NULL: not wanted, the first op);
     * dL/dparam out, parallel to params; y as the forward pass left it */
    const double *dy;
    double *dx;
    double *const *dparams;
    double *scratch; /* room for one output */
} il_op_io;

struct il_op_type {
    const char *name;    /* "dense", "act" */
    const char *summary; /* one line for 'initlab list' */
    /* The output's shape for 'in' (IL_ESHAPE with the reason in 'err'). */
    il_status (*out_shape)(const il_op *op, const il_tshape *in, il_tshape *out, il_error *err);
    /* Its parameters for 'in' (at most IL_OP_MAX_PARAMS) into 'out'; the count. */
    size_t (*params)(const il_op *op, const il_tshape *in, il_param_desc *out);
    il_status (*forward)(const il_op *op, const il_op_io *io);
    il_status (*backward)(const il_op *op, const il_op_io *io);
    int point; /* nonzero: its output is measured by default */
};

/* The op kinds, by name or index. */
const il_op_type *il_op_find(const char *name);
size_t il_op_type_count(void);
const il_op_type *il_op_type_at(size_t i);

/* Elements of a shape (0 on overflow). */
size_t il_tshape_size(const il_tshape *s);

typedef struct il_net il_net;

/* A network of 'n_ops' ops (copied) on inputs of shape 'input', for
 * 'batch' examples. Parameters start at zero. IL_ESHAPE (the op named in
 * 'err') when an op cannot take its input, IL_ELIMIT on overflow,
 * IL_ENOMEM. */
il_status il_net_new(const il_tshape *input, const il_op *ops, size_t n_ops, size_t batch,
                     il_net **out, il_error *err);
void il_net_free(il_net *n);

size_t il_net_op_count(const il_net *n);
const il_op *il_net_op(const il_net *n, size_t k);
/* Op k's output shape (per example). */
const il_tshape *il_net_shape(const il_net *n, size_t k);

/* Parameters in network order: their description, op and values. */
size_t il_net_param_count(const il_net *n);
const il_param_desc *il_net_param(const il_net *n, size_t i, size_t *op);
double *il_net_param_data(il_net *n, size_t i);
const double *il_net_param_grad(const il_net *n, size_t i);

/* Every op's output from 'x' (batch x input size; borrowed and kept until
 * the next forward, for the first op's gradients). */
il_status il_net_forward(il_net *n, const double *x);
const double *il_net_output(const il_net *n, size_t k);

/* Gradients from dL/d(last output) 'dy': at every op's output and every
 * parameter. */
il_status il_net_backward(il_net *n, const double *dy);
const double *il_net_grad_output(const il_net *n, size_t k);

#ifdef __cplusplus
}
#endif
#endif
