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
 * Shapes are per example, the batch in front: (F), (S, F), (C, H, W), or
 * (S) token ids (held as doubles) into an embedding. Values are float64,
 * row-major, batch first. A dense op works on the last axis; its weight is
 * (fan_in, fan_out), y = x W + b as the lecture's np.dot(x, w) (PyTorch
 * stores the transpose, (out, in)). A conv2d weight is PyTorch's own
 * (out, in/groups, kh, kw). Semantics are PyTorch's, layer by layer
 * (ARCHITECTURES.md, section 1): batchnorm in training mode with the batch's
 * biased variance, layernorm and rmsnorm over the last axis.
 *
 * Names follow PyTorch's nn.Sequential: op k is "layers.k", its
 * parameters "layers.k.weight" and "layers.k.bias"; inside a residual
 * "layers.k.body.j" and "layers.k.shortcut", its scalar "layers.k.alpha";
 * an attention's "layers.k.q.weight" ... "layers.k.o.bias".
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
#define IL_OP_MAX_PARAMS  8 /* attention: q, k, v, o weights and biases */
#define IL_OP_MAX_SAVED   8

/* A per-example shape; rank 0 is a scalar (a residual's alpha). */
typedef struct il_tshape {
    size_t rank;
    size_t dim[IL_SHAPE_MAX_RANK];
} il_tshape;

/* What a parameter is, for recipes and initializers. */
typedef enum il_tensor_role {
    IL_ROLE_WEIGHT,      /* a matrix or kernel: drawn by the arm's initializer */
    IL_ROLE_BIAS,        /* an additive vector: zero, or the arm's bias initializer */
    IL_ROLE_NORM_WEIGHT, /* a normalization's gain: one */
    IL_ROLE_NORM_BIAS,   /* a normalization's shift: zero */
    IL_ROLE_SCALE,       /* a residual branch's scalar alpha: one (zero for ReZero/SkipInit) */
    IL_ROLE_EMBEDDING    /* an embedding table (vocab, dim): N(0, 1) as PyTorch */
} il_tensor_role;

typedef struct il_param_desc {
    const char *name; /* within its op: "weight", "bias", "q.weight", "alpha" */
    il_tensor_role role;
    il_tshape shape;        /* in the library's layout (dense: fan_in x fan_out) */
    size_t fan_in, fan_out; /* as PyTorch computes them for the layer */
} il_param_desc;

/* A tensor an op keeps from its forward pass for its backward pass
 * (normalization's statistics, attention's probabilities, max pooling's
 * winners). With 'point' set it is also measured, as "NAME.SAVED" (an
 * attention's "layers.3.probs"). */
typedef struct il_saved_desc {
    const char *name;
    il_tshape shape; /* per example when per_example, else the whole tensor */
    int per_example;
    int point;
} il_saved_desc;

typedef struct il_op_type il_op_type;

/* One op of a network: its kind and that kind's settings (the fields a
 * kind does not use stay zero). */
typedef struct il_op {
    const il_op_type *type;
    size_t out; /* dense: output features; conv2d: output channels; embedding: dim */
    int bias;   /* dense, conv2d, attention: nonzero for biases */
    il_act act; /* act: the activation */
    size_t kernel, stride, padding, dilation, groups; /* conv2d, pooling */
    size_t heads;                                     /* attention */
    int causal;                                       /* attention: mask future keys */
    double eps;                                       /* layernorm, rmsnorm, batchnorm */
    size_t vocab; /* embedding: rows of the table (from the input's "vocab") */
    /* residual: y = shortcut(x) + alpha * body(x); shortcut NULL is the
     * identity; with has_alpha, alpha is a parameter ("alpha", rank 0)
     * whose value the recipe sets, else the constant 'alpha'. The arrays
     * are borrowed by il_net_new, which copies them. */
    const struct il_op *body;
    size_t n_body;
    const struct il_op *shortcut;
    double alpha;
    int has_alpha;
    /* attention: the scores' factor; 0 is 1/sqrt(D/H). muP's 1/d attention
     * sets sqrt(dh0)/dh (TP5 App. B.1, dh0 the base width's head size). */
    double score_scale;
} il_op;

/* What an op's pass reads and writes, for 'batch' examples. */
typedef struct il_op_io {
    size_t batch;
    il_tshape in, out;
    const double *x;       /* the input */
    double *y;             /* forward: the output */
    double *const *params; /* the op's parameters, in the order of its descriptions */
    double *const *saved;  /* the op's saved tensors, in the order of their descriptions */
    /* backward: dL/dy in; dL/dx out, overwritten (NULL: not wanted);
     * dL/dparam out, overwritten, parallel to params; x, y and saved as
     * the forward pass left them */
    const double *dy;
    double *dx;
    double *const *dparams;
    double *scratch; /* room for the larger of one input and one output */
} il_op_io;

struct il_op_type {
    const char *name;    /* "dense", "act", "conv2d", ... as in the network JSON */
    const char *summary; /* one line for 'initlab list' */
    /* The output's shape for 'in' (IL_ESHAPE with the reason in 'err',
     * naming the JSON key at fault). */
    il_status (*out_shape)(const il_op *op, const il_tshape *in, il_tshape *out, il_error *err);
    /* Its parameters for 'in' (at most IL_OP_MAX_PARAMS) into 'out'; the count. */
    size_t (*params)(const il_op *op, const il_tshape *in, il_param_desc *out);
    /* Its saved tensors for 'in' (at most IL_OP_MAX_SAVED); NULL: none. */
    size_t (*saved)(const il_op *op, const il_tshape *in, il_saved_desc *out);
    /* NULL for a structural op (residual), which the network runs itself. */
    il_status (*forward)(const il_op *op, const il_op_io *io);
    il_status (*backward)(const il_op *op, const il_op_io *io);
    int point; /* nonzero: its output is measured by default */
};

/* The op kinds, by name or index. */
const il_op_type *il_op_find(const char *name);
size_t il_op_type_count(void);
const il_op_type *il_op_type_at(size_t i);

/* Elements of a shape (1 for rank 0; 0 on overflow or a zero extent). */
size_t il_tshape_size(const il_tshape *s);

typedef struct il_net il_net;

/* A network of 'n_ops' ops (copied, residual bodies included) on inputs of
 * shape 'input', for 'batch' examples. Parameters start at zero.
 * IL_ESHAPE (the layer named in 'err', "layers.4.body.1 (dense): ...")
 * when an op cannot take its input, IL_ELIMIT on overflow, IL_ENOMEM.
 *
 * The network runs as a list of nodes in execution order: a residual's
 * body, then its shortcut, then the residual itself, so node k's input is
 * an earlier node's output (or the network's input). For a plain stack,
 * node k is op k. */
il_status il_net_new(const il_tshape *input, const il_op *ops, size_t n_ops, size_t batch,
                     il_net **out, il_error *err);
void il_net_free(il_net *n);
/* The bytes il_net_new would allocate (errors as il_net_new's). */
il_status il_net_memory(const il_tshape *input, const il_op *ops, size_t n_ops, size_t batch,
                        size_t *bytes, il_error *err);

size_t il_net_batch(const il_net *n);
const il_tshape *il_net_input_shape(const il_net *n);

/* Nodes in execution order: the op, its name ("layers.4.body.1"), its
 * output shape (per example) and its nesting depth (0 at the top). */
size_t il_net_op_count(const il_net *n);
const il_op *il_net_op(const il_net *n, size_t k);
const char *il_net_op_name(const il_net *n, size_t k);
const il_tshape *il_net_shape(const il_net *n, size_t k);
const il_tshape *il_net_in_shape(const il_net *n, size_t k);
size_t il_net_op_depth(const il_net *n, size_t k);
/* The residual node whose body (or, with *in_shortcut set, shortcut)
 * holds node k; SIZE_MAX at the top level. 'in_shortcut' may be NULL. */
size_t il_net_op_parent(const il_net *n, size_t k, int *in_shortcut);
/* The node whose output node k reads (SIZE_MAX: the network's input); for
 * a residual also its body's last node and its shortcut (SIZE_MAX: the
 * identity); either pointer may be NULL. */
size_t il_net_op_input(const il_net *n, size_t k, size_t *body_last, size_t *shortcut);

/* Parameters in network order: their description, node and values; the
 * full name ("layers.4.body.1.weight"). */
size_t il_net_param_count(const il_net *n);
const il_param_desc *il_net_param(const il_net *n, size_t i, size_t *op);
const char *il_net_param_name(const il_net *n, size_t i);
double *il_net_param_data(il_net *n, size_t i);
const double *il_net_param_grad(const il_net *n, size_t i);

/* Node k's saved tensors (as its op type describes them) after a forward pass. */
size_t il_net_saved_count(const il_net *n, size_t k);
const il_saved_desc *il_net_saved(const il_net *n, size_t k, size_t j, const double **data);

/* Every node's output from 'x' (batch x input size; borrowed and kept
 * until the next forward, for the first op's gradients). */
il_status il_net_forward(il_net *n, const double *x);
const double *il_net_output(const il_net *n, size_t k);

/* Gradients from dL/d(last output) 'dy': at every node's output, every
 * parameter, and the input (il_net_grad_input). */
il_status il_net_backward(il_net *n, const double *dy);
const double *il_net_grad_output(const il_net *n, size_t k);
const double *il_net_grad_input(const il_net *n);

/* ---- normalization and attention ops (src/nn/op_norm.c, op_attn.c) ---- */

/* The network JSON's eps of layernorm, rmsnorm and batchnorm, PyTorch's
 * LayerNorm and BatchNorm default. An op's eps is taken as given and must
 * be positive: whoever builds the op from JSON or a preset fills this in. */
#define IL_NORM_EPS 1e-5

/* A head is near uniform when its mean entropy reaches this fraction of a
 * uniform head's. */
#define IL_ATTN_NEAR_UNIFORM 0.9

/* One attention head's probabilities, summarized over a batch. */
typedef struct il_attn_stats {
    double entropy;     /* mean over examples and queries of -sum_j p_j ln p_j, nats */
    double max_entropy; /* a uniform head's: the mean over queries of ln(keys seen) */
    double max_weight;  /* the largest probability */
    int near_uniform;   /* entropy >= IL_ATTN_NEAR_UNIFORM * max_entropy */
} il_attn_stats;

/* Per head, from attention probabilities 'probs' of shape (batch, heads,
 * seq, seq) (an attention op's saved "probs": query i's row over keys j):
 * the statistics above into out[0 .. heads-1]. Query i sees seq keys, or
 * with 'causal' i + 1 (keys j <= i), so a uniform row's entropy is
 * ln(seq) or ln(i + 1), and max_entropy is the mean of those over the seq
 * queries; the comparison is of means (a causal head's first query, one
 * key, adds 0 to both). Zero probabilities add 0 (p ln p -> 0). A single
 * key (seq 1) is near uniform. IL_EINVAL for a zero size. */
il_status il_attn_head_stats(const double *probs, size_t batch, size_t heads, size_t seq,
                             int causal, il_attn_stats *out);

#ifdef __cplusplus
}
#endif
#endif
