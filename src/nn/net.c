/* SPDX-License-Identifier: MIT */
/*
 * A network of layer ops: shapes, parameters, forward and backward.
 *
 * The ops, residual bodies included, are laid out once as a list of nodes
 * in execution order (a residual's body, its shortcut, then the residual),
 * each reading an earlier node's output. Forward is one walk down the
 * list. Backward is one walk up it in which each node hands dL/dx to its
 * input's gradient: stored by the first consumer, added by the others,
 * because a residual's input feeds its body, its shortcut (or the
 * identity) and sometimes more, and their gradients sum.
 */
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/net.h"
#include "internal/spec_impl.h"

#define NAME_MAX_LEN 96 /* "layers.12.body.3.body.0.shortcut" and deeper */
#define NONE         ((size_t)-1)

typedef struct net_param {
    il_param_desc desc;
    char name[NAME_MAX_LEN + 16];
    size_t op, size;
    double *data, *grad;
} net_param;

typedef struct net_node {
    il_op op; /* body and shortcut cleared: the nodes hold them */
    char name[NAME_MAX_LEN];
    il_tshape in, out;
    size_t depth;
    size_t parent; /* the residual whose body or shortcut holds it; NONE: top level */
    int in_shortcut;
    size_t src;                 /* the node whose output is the input; NONE: the net's input */
    size_t body_last, shortcut; /* a residual's: its body's last node, its shortcut's (NONE) */
    size_t in_size, out_size;   /* elements of one example's input and output */
    size_t first, n_params;     /* its parameters in net->params */
    size_t n_saved;
    il_saved_desc saved_desc[IL_OP_MAX_SAVED];
    size_t saved_size[IL_OP_MAX_SAVED];
    double *saved[IL_OP_MAX_SAVED];
    double *y, *dy; /* batch x out_size */
    int dy_set;     /* backward: dy holds a consumer's gradient (else it is stale) */
} net_node;

struct il_net {
    size_t batch, n_nodes, n_params;
    il_tshape input;
    size_t input_size;
    const double *x; /* the last forward's input (borrowed) */
    net_node *nodes;
    net_param *params;
    double *dx; /* dL/d(input), batch x input_size */
    int dx_set;
    double *dxbuf;   /* a node's dL/dx before it is added to its input's gradient */
    double *scratch; /* the ops' own room: the largest input or output */
    double *block;   /* every buffer above, in one allocation */
};

static int is_residual(const il_op *op)
{
    return op->type->forward == NULL;
}

/* Nodes of a list of ops, residual bodies and shortcuts included. */
static size_t count_nodes(const il_op *ops, size_t n)
{
    size_t c = 0;
    for (size_t k = 0; k < n; k++) {
        c++;
        if (ops[k].type && is_residual(&ops[k]))
            c += count_nodes(ops[k].body, ops[k].n_body) + (ops[k].shortcut ? 1 : 0);
    }
    return c;
}

/* The planner's state: the nodes so far and the size of every buffer. */
typedef struct planner {
    il_net *n;
    size_t next;   /* nodes laid out */
    size_t values; /* doubles of outputs, gradients, parameters and saved tensors */
    size_t widest; /* doubles of the largest input or output, whole batch */
    size_t n_params;
    il_error *err;
} planner;

static il_status add_values(planner *p, size_t per_example, size_t copies)
{
    size_t sz;
    if (!il_mul_size(per_example, p->n->batch, &sz) || !il_mul_size(sz, copies, &sz) ||
        !il_add_size(p->values, sz, &p->values))
        return IL_ELIMIT;
    return IL_OK;
}

static il_status plan_list(planner *p, const il_op *ops, size_t n_ops, const char *prefix,
                           size_t depth, size_t src, const il_tshape *in, size_t *last,
                           il_tshape *out);

/* Lay out one op as node 'name' reading node 'src' of shape 'in'. */
static il_status plan_op(planner *p, const il_op *op, const char *name, size_t depth, size_t src,
                         const il_tshape *in, size_t *self)
{
    il_param_desc d[IL_OP_MAX_PARAMS];
    size_t body_last = NONE, shortcut = NONE, k, m, sz;
    il_tshape body_out = *in;
    net_node *o;
    il_error inner;
    il_status st;

    if (!op->type) {
        il__set_error(p->err, "%s: no type", name);
        return IL_EINVAL;
    }
    if (strlen(name) >= NAME_MAX_LEN) {
        il__set_error(p->err, "%s: residuals nested too deep for its name", name);
        return IL_ELIMIT;
    }
    size_t first_child = p->next;
    if (is_residual(op)) {
        char sub[NAME_MAX_LEN + 16];
        if (op->n_body == 0 || !op->body) {
            il__set_error(p->err, "%s (residual): \"body\" needs at least one layer", name);
            return IL_ESHAPE;
        }
        snprintf(sub, sizeof sub, "%s.body", name);
        st = plan_list(p, op->body, op->n_body, sub, depth + 1, src, in, &body_last, &body_out);
        if (st != IL_OK)
            return st;
        if (op->shortcut) {
            il_tshape short_out;
            snprintf(sub, sizeof sub, "%s.shortcut", name);
            if (is_residual(op->shortcut)) {
                il__set_error(p->err, "%s: a shortcut is one layer, not a residual", sub);
                return IL_ESHAPE;
            }
            st = plan_op(p, op->shortcut, sub, depth + 1, src, in, &shortcut);
            if (st != IL_OK)
                return st;
            short_out = p->n->nodes[shortcut].out;
            if (memcmp(&short_out, &body_out, sizeof body_out) != 0) {
                il__set_error(p->err,
                              "%s (residual): the shortcut's output shape differs from the "
                              "body's",
                              name);
                return IL_ESHAPE;
            }
        } else if (memcmp(in, &body_out, sizeof body_out) != 0) {
            il__set_error(p->err,
                          "%s (residual): the body changes the shape; give it a "
                          "\"shortcut\"",
                          name);
            return IL_ESHAPE;
        }
    }
    k = p->next++;
    for (size_t c = first_child; c < k; c++) /* its body and shortcut, not deeper ones */
        if (p->n->nodes[c].parent == NONE) {
            p->n->nodes[c].parent = k;
            p->n->nodes[c].in_shortcut = c == shortcut;
        }
    o = &p->n->nodes[k];
    o->op = *op;
    o->parent = NONE;
    o->op.body = NULL;
    o->op.shortcut = NULL;
    snprintf(o->name, sizeof o->name, "%s", name);
    o->in = *in;
    o->depth = depth;
    o->src = src;
    o->body_last = body_last;
    o->shortcut = shortcut;
    st = op->type->out_shape(op, in, &o->out, &inner);
    if (st != IL_OK) {
        il__set_error(p->err, "%s (%s): %s", name, op->type->name, inner.message);
        return st;
    }
    if (is_residual(op))
        o->out = body_out;
    o->in_size = il_tshape_size(in);
    o->out_size = il_tshape_size(&o->out);
    if (o->out_size == 0)
        return IL_ELIMIT;
    if ((st = add_values(p, o->out_size, 2)) != IL_OK) /* output and its gradient */
        return st;
    if (!il_mul_size(o->out_size, p->n->batch, &sz))
        return IL_ELIMIT;
    p->widest = sz > p->widest ? sz : p->widest;
    m = op->type->params(op, in, d);
    o->first = p->n_params;
    o->n_params = m;
    for (size_t i = 0; i < m; i++) {
        size_t psz = il_tshape_size(&d[i].shape);
        if (psz == 0 || !il_mul_size(psz, 2, &psz) || !il_add_size(p->values, psz, &p->values))
            return IL_ELIMIT;
    }
    p->n_params += m;
    o->n_saved = op->type->saved ? op->type->saved(op, in, o->saved_desc) : 0;
    for (size_t j = 0; j < o->n_saved; j++) {
        const il_saved_desc *s = &o->saved_desc[j];
        size_t ssz = il_tshape_size(&s->shape);
        if (ssz == 0 || (s->per_example && !il_mul_size(ssz, p->n->batch, &ssz)))
            return IL_ELIMIT;
        o->saved_size[j] = ssz;
        if (!il_add_size(p->values, ssz, &p->values))
            return IL_ELIMIT;
    }
    *self = k;
    return IL_OK;
}

static il_status plan_list(planner *p, const il_op *ops, size_t n_ops, const char *prefix,
                           size_t depth, size_t src, const il_tshape *in, size_t *last,
                           il_tshape *out)
{
    il_tshape cur = *in;
    for (size_t k = 0; k < n_ops; k++) {
        char name[NAME_MAX_LEN + 32];
        il_status st;
        snprintf(name, sizeof name, "%s.%zu", prefix, k);
        st = plan_op(p, &ops[k], name, depth, src, &cur, &src);
        if (st != IL_OK)
            return st;
        cur = p->n->nodes[src].out;
    }
    *last = src;
    *out = cur;
    return IL_OK;
}

/* Point every node's buffers and every parameter into the block. */
static void lay_out(il_net *n, size_t widest)
{
    double *p = n->block;
    size_t np = 0;

    for (size_t k = 0; k < n->n_nodes; k++) {
        net_node *o = &n->nodes[k];
        il_param_desc d[IL_OP_MAX_PARAMS];
        size_t sz = o->out_size * n->batch;
        o->op.type->params(&o->op, &o->in, d);
        o->y = p;
        o->dy = p + sz;
        p += 2 * sz;
        for (size_t i = 0; i < o->n_params; i++, np++) {
            net_param *q = &n->params[np];
            q->desc = d[i];
            snprintf(q->name, sizeof q->name, "%s.%s", o->name, d[i].name);
            q->op = k;
            q->size = il_tshape_size(&d[i].shape);
            q->data = p;
            q->grad = p + q->size;
            p += 2 * q->size;
        }
        for (size_t j = 0; j < o->n_saved; j++) {
            o->saved[j] = p;
            p += o->saved_size[j];
        }
    }
    n->dx = p;
    p += n->input_size * n->batch;
    n->dxbuf = p;
    p += widest;
    n->scratch = p;
}

/* il_net_new, or with 'allocate' zero only its plan: the bytes it would
 * take into *bytes (may be NULL). */
static il_status il_net_new_planned(const il_tshape *input, const il_op *ops, size_t n_ops,
                                    size_t batch, int allocate, il_net **out, il_error *err,
                                    size_t *bytes)
{
    il_net *n;
    planner p;
    size_t last, all = 0, in_all = 0;
    il_tshape end;
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
    n->input = *input;
    n->input_size = il_tshape_size(input);
    n->n_nodes = count_nodes(ops, n_ops);
    n->nodes = il_calloc(n->n_nodes, sizeof *n->nodes);
    if (!n->nodes) {
        il_net_free(n);
        return IL_ENOMEM;
    }
    memset(&p, 0, sizeof p);
    p.n = n;
    p.err = err;
    st = plan_list(&p, ops, n_ops, "layers", 0, NONE, input, &last, &end);
    if (st == IL_OK && !il_mul_size(n->input_size, batch, &in_all))
        st = IL_ELIMIT;
    if (st == IL_OK && in_all > p.widest)
        p.widest = in_all;
    /* the input's gradient, dL/dx before it is added, and the ops' room */
    if (st == IL_OK && (!il_add_size(p.values, in_all, &all) || !il_add_size(all, p.widest, &all) ||
                        !il_add_size(all, p.widest, &all)))
        st = IL_ELIMIT;
    n->n_params = p.n_params;
    if (st == IL_OK && bytes) {
        size_t b = 0;
        if (!il_mul_size(all, sizeof(double), &b) ||
            !il_add_size(b, n->n_nodes * sizeof *n->nodes + p.n_params * sizeof(net_param), &b))
            st = IL_ELIMIT;
        *bytes = b;
    }
    if (st == IL_OK && !allocate) {
        *out = n;
        return IL_OK;
    }
    if (st == IL_OK &&
        (n->params = il_calloc(n->n_params ? n->n_params : 1, sizeof *n->params)) == NULL)
        st = IL_ENOMEM;
    if (st == IL_OK && (n->block = il_calloc(all, sizeof *n->block)) == NULL)
        st = IL_ENOMEM;
    if (st != IL_OK) {
        il_net_free(n);
        return st;
    }
    lay_out(n, p.widest);
    *out = n;
    return IL_OK;
}

il_status il_net_new(const il_tshape *input, const il_op *ops, size_t n_ops, size_t batch,
                     il_net **out, il_error *err)
{
    return il_net_new_planned(input, ops, n_ops, batch, 1, out, err, NULL);
}

il_status il_net_memory(const il_tshape *input, const il_op *ops, size_t n_ops, size_t batch,
                        size_t *bytes, il_error *err)
{
    il_net *n = NULL;
    il_status st = il_net_new_planned(input, ops, n_ops, batch, 0, &n, err, bytes);
    il_net_free(n);
    return st;
}

void il_net_free(il_net *n)
{
    if (!n)
        return;
    il_free(n->block);
    il_free(n->params);
    il_free(n->nodes);
    il_free(n);
}

size_t il_net_batch(const il_net *n)
{
    return n->batch;
}

const il_tshape *il_net_input_shape(const il_net *n)
{
    return &n->input;
}

size_t il_net_op_count(const il_net *n)
{
    return n->n_nodes;
}

const il_op *il_net_op(const il_net *n, size_t k)
{
    return k < n->n_nodes ? &n->nodes[k].op : NULL;
}

const char *il_net_op_name(const il_net *n, size_t k)
{
    return k < n->n_nodes ? n->nodes[k].name : NULL;
}

const il_tshape *il_net_shape(const il_net *n, size_t k)
{
    return k < n->n_nodes ? &n->nodes[k].out : NULL;
}

const il_tshape *il_net_in_shape(const il_net *n, size_t k)
{
    return k < n->n_nodes ? &n->nodes[k].in : NULL;
}

size_t il_net_op_depth(const il_net *n, size_t k)
{
    return k < n->n_nodes ? n->nodes[k].depth : 0;
}

size_t il_net_op_parent(const il_net *n, size_t k, int *in_shortcut)
{
    if (k >= n->n_nodes)
        return (size_t)-1;
    if (in_shortcut)
        *in_shortcut = n->nodes[k].in_shortcut;
    return n->nodes[k].parent;
}

size_t il_net_op_input(const il_net *n, size_t k, size_t *body_last, size_t *shortcut)
{
    if (k >= n->n_nodes)
        return NONE;
    if (body_last)
        *body_last = n->nodes[k].body_last;
    if (shortcut)
        *shortcut = n->nodes[k].shortcut;
    return n->nodes[k].src;
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

const char *il_net_param_name(const il_net *n, size_t i)
{
    return i < n->n_params ? n->params[i].name : NULL;
}

double *il_net_param_data(il_net *n, size_t i)
{
    return i < n->n_params ? n->params[i].data : NULL;
}

const double *il_net_param_grad(const il_net *n, size_t i)
{
    return i < n->n_params ? n->params[i].grad : NULL;
}

size_t il_net_saved_count(const il_net *n, size_t k)
{
    return k < n->n_nodes ? n->nodes[k].n_saved : 0;
}

const il_saved_desc *il_net_saved(const il_net *n, size_t k, size_t j, const double **data)
{
    if (k >= n->n_nodes || j >= n->nodes[k].n_saved)
        return NULL;
    if (data)
        *data = n->nodes[k].saved[j];
    return &n->nodes[k].saved_desc[j];
}

const double *il_net_output(const il_net *n, size_t k)
{
    return k < n->n_nodes ? n->nodes[k].y : NULL;
}

const double *il_net_grad_output(const il_net *n, size_t k)
{
    return k < n->n_nodes ? n->nodes[k].dy : NULL;
}

const double *il_net_grad_input(const il_net *n)
{
    return n->dx;
}

/* The pointers of node o's parameters (or their gradients). */
static void param_ptrs(const il_net *n, const net_node *o, int grads, double **out)
{
    for (size_t i = 0; i < o->n_params; i++)
        out[i] = grads ? n->params[o->first + i].grad : n->params[o->first + i].data;
}

static const double *input_of(const il_net *n, const net_node *o)
{
    return o->src == NONE ? n->x : n->nodes[o->src].y;
}

static double *grad_of_input(il_net *n, const net_node *o)
{
    return o->src == NONE ? n->dx : n->nodes[o->src].dy;
}

/* Where a consumer of node o's input puts its dL/dx of 'len' values: the
 * input's gradient itself if no consumer wrote it yet (so a plain stack
 * stores each gradient once, bit for bit as the MLP does), else the
 * staging buffer, which add_staged then adds. */
static double *grad_target(il_net *n, const net_node *o, int *staged)
{
    int *set = o->src == NONE ? &n->dx_set : &n->nodes[o->src].dy_set;
    *staged = *set;
    *set = 1;
    return *staged ? n->dxbuf : grad_of_input(n, o);
}

static void add_staged(il_net *n, const net_node *o, size_t len)
{
    double *g = grad_of_input(n, o);
    for (size_t i = 0; i < len; i++)
        g[i] += n->dxbuf[i];
}

static double residual_alpha(const il_net *n, const net_node *o)
{
    return o->op.has_alpha ? n->params[o->first].data[0] : o->op.alpha;
}

/* y = shortcut(x) + alpha * body(x) */
static void residual_forward(il_net *n, net_node *o)
{
    const double *s = o->shortcut == NONE ? input_of(n, o) : n->nodes[o->shortcut].y;
    const double *b = n->nodes[o->body_last].y;
    double alpha = residual_alpha(n, o);
    size_t len = o->out_size * n->batch;

    for (size_t i = 0; i < len; i++)
        o->y[i] = s[i] + alpha * b[i];
}

/* dL/dshortcut = dy, dL/dbody = alpha dy, dL/dalpha = sum(dy * body) */
static void residual_backward(il_net *n, net_node *o)
{
    net_node *body = &n->nodes[o->body_last];
    double alpha = residual_alpha(n, o), dalpha = 0;
    size_t len = o->out_size * n->batch;
    double *ds;
    int staged = 0;

    if (o->shortcut == NONE) {
        ds = grad_target(n, o, &staged);
    } else {
        ds = n->nodes[o->shortcut].dy;
        n->nodes[o->shortcut].dy_set = 1;
    }
    memcpy(ds, o->dy, len * sizeof *ds);
    if (staged)
        add_staged(n, o, len);
    for (size_t i = 0; i < len; i++) {
        body->dy[i] = alpha * o->dy[i];
        dalpha += o->dy[i] * body->y[i];
    }
    body->dy_set = 1;
    if (o->op.has_alpha)
        n->params[o->first].grad[0] = dalpha;
}

static void fill_io(il_net *n, net_node *o, il_op_io *io, double **params, double **saved)
{
    param_ptrs(n, o, 0, params);
    for (size_t j = 0; j < o->n_saved; j++)
        saved[j] = o->saved[j];
    memset(io, 0, sizeof *io);
    io->batch = n->batch;
    io->in = o->in;
    io->out = o->out;
    io->x = input_of(n, o);
    io->y = o->y;
    io->params = params;
    io->saved = saved;
    io->scratch = n->scratch;
}

il_status il_net_forward(il_net *n, const double *x)
{
    n->x = x;
    for (size_t k = 0; k < n->n_nodes; k++) {
        net_node *o = &n->nodes[k];
        double *params[IL_OP_MAX_PARAMS], *saved[IL_OP_MAX_SAVED];
        il_op_io io;
        il_status st;

        if (is_residual(&o->op)) {
            residual_forward(n, o);
            continue;
        }
        fill_io(n, o, &io, params, saved);
        st = o->op.type->forward(&o->op, &io);
        if (st != IL_OK)
            return st;
    }
    return IL_OK;
}

il_status il_net_backward(il_net *n, const double *dy)
{
    net_node *last = &n->nodes[n->n_nodes - 1];

    for (size_t k = 0; k < n->n_nodes; k++)
        n->nodes[k].dy_set = 0;
    n->dx_set = 0;
    memcpy(last->dy, dy, last->out_size * n->batch * sizeof *dy);
    last->dy_set = 1;
    for (size_t k = n->n_nodes; k-- > 0;) {
        net_node *o = &n->nodes[k];
        double *params[IL_OP_MAX_PARAMS], *grads[IL_OP_MAX_PARAMS], *saved[IL_OP_MAX_SAVED];
        il_op_io io;
        il_status st;
        int staged;

        if (!o->dy_set) /* an output nothing reads: no gradient flows back */
            memset(o->dy, 0, o->out_size * n->batch * sizeof *o->dy);
        if (is_residual(&o->op)) {
            residual_backward(n, o);
            continue;
        }
        fill_io(n, o, &io, params, saved);
        param_ptrs(n, o, 1, grads);
        io.dy = o->dy;
        io.dx = grad_target(n, o, &staged);
        io.dparams = grads;
        st = o->op.type->backward(&o->op, &io);
        if (st != IL_OK)
            return st;
        if (staged)
            add_staged(n, o, o->in_size * n->batch);
    }
    if (!n->dx_set)
        memset(n->dx, 0, n->input_size * n->batch * sizeof *n->dx);
    return IL_OK;
}
