/* SPDX-License-Identifier: MIT */
/* A network of layer ops: shapes, parameters, forward and backward. */
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/net.h"
#include "internal/spec_impl.h"

typedef struct net_param {
    il_param_desc desc;
    size_t op, size;
    double *data, *grad;
} net_param;

typedef struct net_op {
    il_op op;
    il_tshape in, out;
    size_t out_size;        /* elements of one example's output */
    size_t first, n_params; /* its parameters in net->params */
    double *y, *dy;         /* batch x out_size */
} net_op;

struct il_net {
    size_t batch, n_ops, n_params;
    il_tshape input;
    const double *x; /* the last forward's input (borrowed) */
    net_op *ops;
    net_param *params;
    double *scratch; /* the largest output, for the backward pass */
    double *block;   /* every buffer above, in one allocation */
};

/* Walk the shapes: each op's input and output, its parameters, and the
 * values of every buffer (*values) and of the largest output (*widest).
 * The op's error, named by its place, or IL_ELIMIT on overflow. */
static il_status plan(il_net *n, const il_op *ops, il_error *err, size_t *values, size_t *widest)
{
    il_tshape in = n->input;
    size_t total = 0, big = 0, np = 0;

    for (size_t k = 0; k < n->n_ops; k++) {
        net_op *o = &n->ops[k];
        il_param_desc d[IL_OP_MAX_PARAMS];
        size_t m, sz;
        il_error inner;
        il_status st;

        if (!ops[k].type) {
            il__set_error(err, "layers.%zu: no type", k);
            return IL_EINVAL;
        }
        o->op = ops[k];
        o->in = in;
        st = ops[k].type->out_shape(&ops[k], &in, &o->out, &inner);
        if (st != IL_OK) {
            il__set_error(err, "layers.%zu (%s): %s", k, ops[k].type->name, inner.message);
            return st;
        }
        o->out_size = il_tshape_size(&o->out);
        if (o->out_size == 0 || !il_mul_size(o->out_size, n->batch, &sz) ||
            !il_add_size(total, 2 * sz, &total)) /* output and its gradient */
            return IL_ELIMIT;
        big = sz > big ? sz : big;
        m = ops[k].type->params(&ops[k], &in, d);
        o->first = np;
        o->n_params = m;
        for (size_t i = 0; i < m; i++) {
            size_t psz = il_tshape_size(&d[i].shape);
            if (psz == 0 || !il_add_size(total, 2 * psz, &total))
                return IL_ELIMIT;
        }
        np += m;
        in = o->out;
    }
    n->n_params = np;
    *values = total;
    *widest = big;
    return IL_OK;
}

il_status il_net_new(const il_tshape *input, const il_op *ops, size_t n_ops, size_t batch,
                     il_net **out, il_error *err)
{
    il_net *n;
    size_t values, widest, all;
    double *p;
    il_status st;

    if (n_ops == 0 || batch == 0 || input->rank == 0 || input->rank > IL_SHAPE_MAX_RANK ||
        il_tshape_size(input) == 0) {
        il__set_error(err, "a network needs an input, at least one layer and one example");
        return IL_EINVAL;
    }
    n = il_calloc(1, sizeof *n);
    if (!n)
        return IL_ENOMEM;
    n->batch = batch;
    n->n_ops = n_ops;
    n->input = *input;
    n->ops = il_calloc(n_ops, sizeof *n->ops);
    if (!n->ops) {
        il_net_free(n);
        return IL_ENOMEM;
    }
    st = plan(n, ops, err, &values, &widest);
    if (st == IL_OK && !il_add_size(values, widest, &all))
        st = IL_ELIMIT;
    if (st == IL_OK &&
        (n->params = il_calloc(n->n_params ? n->n_params : 1, sizeof *n->params)) == NULL)
        st = IL_ENOMEM;
    if (st == IL_OK && (n->block = il_calloc(all, sizeof *n->block)) == NULL)
        st = IL_ENOMEM;
    if (st != IL_OK) {
        il_net_free(n);
        return st;
    }
    p = n->block;
    for (size_t k = 0; k < n_ops; k++) {
        net_op *o = &n->ops[k];
        il_param_desc d[IL_OP_MAX_PARAMS];
        size_t sz = o->out_size * batch;
        o->op.type->params(&o->op, &o->in, d);
        o->y = p;
        o->dy = p + sz;
        p += 2 * sz;
        for (size_t i = 0; i < o->n_params; i++) {
            net_param *q = &n->params[o->first + i];
            q->desc = d[i];
            q->op = k;
            q->size = il_tshape_size(&d[i].shape);
            q->data = p;
            q->grad = p + q->size;
            p += 2 * q->size;
        }
    }
    n->scratch = p;
    *out = n;
    return IL_OK;
}

void il_net_free(il_net *n)
{
    if (!n)
        return;
    il_free(n->block);
    il_free(n->params);
    il_free(n->ops);
    il_free(n);
}

size_t il_net_op_count(const il_net *n)
{
    return n->n_ops;
}

const il_op *il_net_op(const il_net *n, size_t k)
{
    return k < n->n_ops ? &n->ops[k].op : NULL;
}

const il_tshape *il_net_shape(const il_net *n, size_t k)
{
    return k < n->n_ops ? &n->ops[k].out : NULL;
}

size_t il_net_param_count(const il_net *n)
{
    return n->n_params;
}

const il_param_desc *il_net_param(const il_net *n, size_t i, size_t *op)
{
    if (i >= n->n_params)
        return NULL;
    if (op)
        *op = n->params[i].op;
    return &n->params[i].desc;
}

double *il_net_param_data(il_net *n, size_t i)
{
    return i < n->n_params ? n->params[i].data : NULL;
}

const double *il_net_param_grad(const il_net *n, size_t i)
{
    return i < n->n_params ? n->params[i].grad : NULL;
}

const double *il_net_output(const il_net *n, size_t k)
{
    return k < n->n_ops ? n->ops[k].y : NULL;
}

const double *il_net_grad_output(const il_net *n, size_t k)
{
    return k < n->n_ops ? n->ops[k].dy : NULL;
}

/* The pointers of op k's parameters (or their gradients). */
static void param_ptrs(const il_net *n, const net_op *o, int grads, double **out)
{
    for (size_t i = 0; i < o->n_params; i++)
        out[i] = grads ? n->params[o->first + i].grad : n->params[o->first + i].data;
}

il_status il_net_forward(il_net *n, const double *x)
{
    const double *in = x;
    n->x = x;
    for (size_t k = 0; k < n->n_ops; k++) {
        net_op *o = &n->ops[k];
        double *params[IL_OP_MAX_PARAMS];
        il_op_io io;
        il_status st;

        param_ptrs(n, o, 0, params);
        memset(&io, 0, sizeof io);
        io.batch = n->batch;
        io.in = o->in;
        io.out = o->out;
        io.x = in;
        io.y = o->y;
        io.params = params;
        st = o->op.type->forward(&o->op, &io);
        if (st != IL_OK)
            return st;
        in = o->y;
    }
    return IL_OK;
}

il_status il_net_backward(il_net *n, const double *dy)
{
    size_t last = n->n_ops - 1;
    memcpy(n->ops[last].dy, dy, n->batch * n->ops[last].out_size * sizeof *dy);
    for (size_t k = n->n_ops; k-- > 0;) {
        net_op *o = &n->ops[k];
        double *params[IL_OP_MAX_PARAMS], *grads[IL_OP_MAX_PARAMS];
        il_op_io io;
        il_status st;

        param_ptrs(n, o, 0, params);
        param_ptrs(n, o, 1, grads);
        memset(&io, 0, sizeof io);
        io.batch = n->batch;
        io.in = o->in;
        io.out = o->out;
        io.x = k ? n->ops[k - 1].y : n->x;
        io.y = o->y;
        io.params = params;
        io.dy = o->dy;
        io.dx = k ? n->ops[k - 1].dy : NULL;
        io.dparams = grads;
        io.scratch = n->scratch;
        st = o->op.type->backward(&o->op, &io);
        if (st != IL_OK)
            return st;
    }
    return IL_OK;
}
