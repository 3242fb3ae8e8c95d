/* SPDX-License-Identifier: MIT */
/*
 * The layer-op table: one row per kind of layer (see initlab/net.h). A new
 * kind is its functions and a row here.
 */
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/layer.h"
#include "initlab/net.h"
#include "internal/nn_impl.h"
#include "internal/op_impl.h"
#include "internal/spec_impl.h"

size_t il_tshape_size(const il_tshape *s)
{
    size_t n = 1;
    for (size_t i = 0; i < s->rank; i++)
        if (!il_mul_size(n, s->dim[i], &n))
            return 0;
    return n;
}

size_t il__op_rows(size_t batch, const il_tshape *s)
{
    size_t r = batch;
    for (size_t i = 0; i + 1 < s->rank; i++)
        r *= s->dim[i]; /* within the network's checked sizes */
    return r;
}

/* ---- dense: y = x W + b on the last axis ---- */

static il_status dense_shape(const il_op *op, const il_tshape *in, il_tshape *out, il_error *err)
{
    if (in->rank < 1 || in->rank > 2) {
        il__set_error(err, "dense takes (features) or (sequence, features) inputs, not rank %zu",
                      in->rank);
        return IL_ESHAPE;
    }
    if (op->out == 0) {
        il__set_error(err, "dense: \"out\" must be at least 1");
        return IL_ESHAPE;
    }
    *out = *in;
    out->dim[in->rank - 1] = op->out;
    return IL_OK;
}

static size_t dense_params(const il_op *op, const il_tshape *in, il_param_desc *p)
{
    size_t fan_in = in->dim[in->rank - 1];
    p[0] = (il_param_desc){"weight", IL_ROLE_WEIGHT, {2, {fan_in, op->out, 0, 0}}, fan_in, op->out};
    if (!op->bias)
        return 1;
    /* PyTorch's bias bound uses the layer's fan_in */
    p[1] = (il_param_desc){"bias", IL_ROLE_BIAS, {1, {op->out, 0, 0, 0}}, fan_in, op->out};
    return 2;
}

static il_status dense_forward(const il_op *op, const il_op_io *io)
{
    size_t rows = il__op_rows(io->batch, &io->in), n_in = io->in.dim[io->in.rank - 1];
    return il_dense_forward(io->x, rows, n_in, io->params[0], op->out,
                            op->bias ? io->params[1] : NULL, NULL, io->y);
}

static il_status dense_backward(const il_op *op, const il_op_io *io)
{
    size_t rows = il__op_rows(io->batch, &io->in), n_in = io->in.dim[io->in.rank - 1],
           n_out = op->out;
    /* dL/dW = x^T dy: (n_in x rows) (rows x n_out) */
    il_status st = il__gemm_tn(IL_DTYPE_F64, io->x, rows, n_in, io->dy, n_out, io->dparams[0]);

    if (st != IL_OK)
        return st;
    if (op->bias)
        for (size_t j = 0; j < n_out; j++) {
            double s = 0;
            for (size_t r = 0; r < rows; r++)
                s += io->dy[r * n_out + j];
            io->dparams[1][j] = s;
        }
    /* dL/dx = dy W^T: (rows x n_out) (n_out x n_in) */
    if (io->dx)
        st = il__gemm_nt(IL_DTYPE_F64, io->dy, rows, n_out, io->params[0], n_in, io->dx);
    return st;
}

/* ---- act: y = f(x) elementwise ---- */

static il_status act_shape(const il_op *op, const il_tshape *in, il_tshape *out, il_error *err)
{
    if (!op->act.type) {
        il__set_error(err, "act: no activation");
        return IL_ESHAPE;
    }
    *out = *in;
    return IL_OK;
}

size_t il__op_no_params(const il_op *op, const il_tshape *in, il_param_desc *p)
{
    (void)op;
    (void)in;
    (void)p;
    return 0;
}

static il_status act_forward(const il_op *op, const il_op_io *io)
{
    size_t n = io->batch * il_tshape_size(&io->in);
    memcpy(io->y, io->x, n * sizeof *io->y);
    il_act_apply(&op->act, io->y, n);
    return IL_OK;
}

static il_status act_backward(const il_op *op, const il_op_io *io)
{
    size_t n = io->batch * il_tshape_size(&io->in);
    if (io->dx)
        for (size_t i = 0; i < n; i++)
            io->dx[i] = io->dy[i] * il_act_deriv(&op->act, io->x[i]);
    return IL_OK;
}

/* ---- residual: y = shortcut(x) + alpha * body(x), run by the network ---- */

static il_status residual_shape(const il_op *op, const il_tshape *in, il_tshape *out, il_error *err)
{
    (void)op;
    (void)err;
    *out = *in; /* the network replaces it by the body's, which it checks */
    return IL_OK;
}

static size_t residual_params(const il_op *op, const il_tshape *in, il_param_desc *p)
{
    (void)in;
    if (!op->has_alpha)
        return 0;
    p[0] = (il_param_desc){"alpha", IL_ROLE_SCALE, {0, {0, 0, 0, 0}}, 1, 1};
    return 1;
}

const il_op_type il__op_dense = {
    "dense",        "y = x W + b on the last axis; W is (fan_in, fan_out)",
    dense_shape,    dense_params,
    NULL,           dense_forward,
    dense_backward, 0};
const il_op_type il__op_act = {"act",        "y = f(x) elementwise, any activation initlab knows",
                               act_shape,    il__op_no_params,
                               NULL,         act_forward,
                               act_backward, 1};
const il_op_type il__op_residual = {
    "residual",     "y = shortcut(x) + alpha * body(x); the shortcut is the identity or one layer",
    residual_shape, residual_params,
    NULL,           NULL,
    NULL,           1};

/* Every kind, in the order 'initlab list ops' shows them; one per line,
 * so that adding a kind adds one line. */
/* clang-format off */
static const il_op_type *const op_types[] = {
    &il__op_dense,
    &il__op_act,
    &il__op_residual,
    &il__op_layernorm,
    &il__op_rmsnorm,
    &il__op_batchnorm,
    &il__op_attention,
    /* op_conv.c, op_pool.c */
    &il__op_conv2d,
    &il__op_avgpool,
    &il__op_maxpool,
    &il__op_global_avgpool,
    &il__op_flatten,
    &il__op_embedding,
};
/* clang-format on */

const il_op_type *il_op_find(const char *name)
{
    for (size_t i = 0; i < sizeof op_types / sizeof op_types[0]; i++)
        if (strcmp(op_types[i]->name, name) == 0)
            return op_types[i];
    return NULL;
}

size_t il_op_type_count(void)
{
    return sizeof op_types / sizeof op_types[0];
}

const il_op_type *il_op_type_at(size_t i)
{
    return i < il_op_type_count() ? op_types[i] : NULL;
}
