/* SPDX-License-Identifier: MIT */
/* The MLP of any dtype: its memory, its accessors, and the forward and
 * backward passes and softmax loss of mlp_impl.h, instantiated for float64
 * and float32; il_mlp_* are the float64 face (mlp.h), il__mlp_* the
 * dtype's (internal/nn_impl.h). And LSUV on a net. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/layer.h"
#include "initlab/mlp.h"
#include "internal/lsuv.h"
#include "internal/nn_impl.h"
#include "internal/spec_impl.h"

/* Every array holds values of the net's dtype. */
typedef struct mlp_layer {
    size_t fan_in, fan_out;
    il_act act;
    int has_act;
    void *w, *b, *z, *a, *dz, *dw, *db;
} mlp_layer;

struct il_mlp {
    il_dtype dtype;
    size_t batch, n_in, n_layers;
    const void *x; /* the last input, borrowed */
    void *scratch; /* batch x widest: dL/da while going back */
    mlp_layer layers[];
};

#define IL_MLP_T        double
#define IL_MLP_DTYPE    IL_DTYPE_F64
#define IL_MLP_FN(name) name##_f64
#include "mlp_impl.h"

#define IL_MLP_T        float
#define IL_MLP_DTYPE    IL_DTYPE_F32
#define IL_MLP_FN(name) name##_f32
#include "mlp_impl.h"

/* Sizes of everything one layer holds, in elements. */
static int layer_elems(size_t batch, size_t fi, size_t fo, size_t *n)
{
    size_t w, act, t;
    if (!il_mul_size(fi, fo, &w) || !il_mul_size(batch, fo, &act))
        return 0;
    /* w, dw; z, a, dz; b, db */
    if (!il_mul_size(w, 2, &t) || !il_add_size(t, act, &t) || !il_add_size(t, act, &t) ||
        !il_add_size(t, act, &t) || !il_add_size(t, 2 * fo, &t))
        return 0;
    *n = t;
    return 1;
}

il_status il__mlp_memory(il_dtype dtype, size_t batch, size_t n_in, const size_t *widths,
                         size_t n_layers, size_t *bytes)
{
    size_t total = 0, prev = n_in, widest = n_in, scratch, head;
    for (size_t l = 0; l < n_layers; l++) {
        size_t n;
        if (!layer_elems(batch, prev, widths[l], &n) || !il_add_size(total, n, &total))
            return IL_ELIMIT;
        if (widths[l] > widest)
            widest = widths[l];
        prev = widths[l];
    }
    if (!il_mul_size(batch, widest, &scratch) || !il_add_size(total, scratch, &total) ||
        !il_mul_size(total, il_dtype_size(dtype), &total) ||
        !il_mul_size(n_layers, sizeof(mlp_layer), &head) ||
        !il_add_size(total, head + sizeof(il_mlp), &total))
        return IL_ELIMIT;
    *bytes = total;
    return IL_OK;
}

il_status il_mlp_memory(size_t batch, size_t n_in, const size_t *widths, size_t n_layers,
                        size_t *bytes)
{
    return il__mlp_memory(IL_DTYPE_F64, batch, n_in, widths, n_layers, bytes);
}

void il_mlp_free(il_mlp *m)
{
    if (!m)
        return;
    for (size_t l = 0; l < m->n_layers; l++)
        il_free(m->layers[l].w); /* one block per layer, starting at w */
    il_free(m->scratch);
    il_free(m);
}

il_status il__mlp_new(il_dtype dtype, size_t batch, size_t n_in, const size_t *widths,
                      size_t n_layers, const il_act *const *acts, il_mlp **out)
{
    size_t bytes, prev = n_in, widest = n_in, head, es = il_dtype_size(dtype);
    il_mlp *m;

    if (batch == 0 || n_in == 0 || n_layers == 0)
        return IL_EINVAL;
    for (size_t l = 0; l < n_layers; l++)
        if (widths[l] == 0)
            return IL_EINVAL;
    if (il__mlp_memory(dtype, batch, n_in, widths, n_layers, &bytes) != IL_OK ||
        !il_mul_size(n_layers, sizeof(mlp_layer), &head))
        return IL_ELIMIT;
    m = il_calloc(1, sizeof *m + head);
    if (!m)
        return IL_ENOMEM;
    m->dtype = dtype;
    m->batch = batch;
    m->n_in = n_in;
    m->n_layers = n_layers;
    for (size_t l = 0; l < n_layers; l++) {
        mlp_layer *L = &m->layers[l];
        size_t n = 0, wn = prev * widths[l], an = batch * widths[l];
        unsigned char *p;
        layer_elems(batch, prev, widths[l], &n); /* checked by il__mlp_memory */
        p = il_calloc(n, es);
        if (!p) {
            il_mlp_free(m);
            return IL_ENOMEM;
        }
        L->fan_in = prev;
        L->fan_out = widths[l];
        L->w = p;
        L->dw = p + wn * es;
        L->z = p + 2 * wn * es;
        L->a = p + (2 * wn + an) * es;
        L->dz = p + (2 * wn + 2 * an) * es;
        L->b = p + (2 * wn + 3 * an) * es;
        L->db = p + (2 * wn + 3 * an + widths[l]) * es;
        if (acts && acts[l]) {
            L->act = *acts[l];
            L->has_act = 1;
        }
        if (widths[l] > widest)
            widest = widths[l];
        prev = widths[l];
    }
    m->scratch = il_calloc(batch * widest, es);
    if (!m->scratch) {
        il_mlp_free(m);
        return IL_ENOMEM;
    }
    *out = m;
    return IL_OK;
}

il_status il_mlp_new(size_t batch, size_t n_in, const size_t *widths, size_t n_layers,
                     const il_act *const *acts, il_mlp **out)
{
    return il__mlp_new(IL_DTYPE_F64, batch, n_in, widths, n_layers, acts, out);
}

il_dtype il__mlp_dtype(const il_mlp *m)
{
    return m->dtype;
}

void *il__mlp_data(const il_mlp *m, size_t l, il__mlp_part part)
{
    const mlp_layer *L = &m->layers[l];
    switch (part) {
    case IL__MLP_W:
        return L->w;
    case IL__MLP_B:
        return L->b;
    case IL__MLP_Z:
        return L->z;
    case IL__MLP_A:
        return L->a;
    case IL__MLP_DZ:
        return L->dz;
    case IL__MLP_DW:
        return L->dw;
    case IL__MLP_DB:
        return L->db;
    }
    return NULL;
}

/* The float64 face: a float32 net has no double arrays to hand out. */
static void *data_f64(const il_mlp *m, size_t l, il__mlp_part part)
{
    assert(m->dtype == IL_DTYPE_F64);
    return il__mlp_data(m, l, part);
}

double *il_mlp_weights(il_mlp *m, size_t l)
{
    return data_f64(m, l, IL__MLP_W);
}

double *il_mlp_bias(il_mlp *m, size_t l)
{
    return data_f64(m, l, IL__MLP_B);
}

const double *il_mlp_pre(const il_mlp *m, size_t l)
{
    return data_f64(m, l, IL__MLP_Z);
}

const double *il_mlp_act(const il_mlp *m, size_t l)
{
    return data_f64(m, l, IL__MLP_A);
}

const double *il_mlp_grad_pre(const il_mlp *m, size_t l)
{
    return data_f64(m, l, IL__MLP_DZ);
}

const double *il_mlp_grad_w(const il_mlp *m, size_t l)
{
    return data_f64(m, l, IL__MLP_DW);
}

const double *il_mlp_grad_b(const il_mlp *m, size_t l)
{
    return data_f64(m, l, IL__MLP_DB);
}

il_status il__mlp_forward(il_mlp *m, const void *x)
{
    return m->dtype == IL_DTYPE_F32 ? forward_f32(m, x) : forward_f64(m, x);
}

il_status il__mlp_backward(il_mlp *m, const void *grad_out)
{
    return m->dtype == IL_DTYPE_F32 ? backward_f32(m, grad_out) : backward_f64(m, grad_out);
}

il_status il_mlp_forward(il_mlp *m, const double *x)
{
    assert(m->dtype == IL_DTYPE_F64);
    return forward_f64(m, x);
}

il_status il_mlp_backward(il_mlp *m, const double *grad_out)
{
    assert(m->dtype == IL_DTYPE_F64);
    return backward_f64(m, grad_out);
}

double il__mlp_loss_softmax_ce(const il_mlp *m, const size_t *labels, void *grad)
{
    const mlp_layer *L = &m->layers[m->n_layers - 1];
    return m->dtype == IL_DTYPE_F32 ? softmax_ce_f32(L->a, m->batch, L->fan_out, labels, grad)
                                    : softmax_ce_f64(L->a, m->batch, L->fan_out, labels, grad);
}

double il_loss_softmax_ce(const double *logits, size_t batch, size_t classes, const size_t *labels,
                          double *grad)
{
    return softmax_ce_f64(logits, batch, classes, labels, grad);
}

void il__convert(il_dtype to, void *dst, il_dtype from, const void *src, size_t n)
{
    /* one loop per pair of types, so that each is a plain vector loop */
    if (to == from) {
        memmove(dst, src, n * il_dtype_size(to));
    } else if (to == IL_DTYPE_F32) {
        float *d = dst;
        const double *s = src;
        for (size_t i = 0; i < n; i++)
            d[i] = (float)s[i];
    } else {
        double *d = dst;
        const float *s = src;
        for (size_t i = 0; i < n; i++)
            d[i] = (double)s[i];
    }
}

void il__mlp_copy_params(il_mlp *dst, const il_mlp *src)
{
    for (size_t l = 0; l < dst->n_layers; l++) {
        mlp_layer *D = &dst->layers[l];
        const mlp_layer *S = &src->layers[l];
        il__convert(dst->dtype, D->w, src->dtype, S->w, D->fan_in * D->fan_out);
        il__convert(dst->dtype, D->b, src->dtype, S->b, D->fan_out);
    }
}

/* What lsuv_forward recomputes: layer l of a float64 net from its input. */
typedef struct lsuv_ctx {
    il_mlp *m;
    size_t l;
    const double *in;
} lsuv_ctx;

static il_status lsuv_forward(void *ctx)
{
    const lsuv_ctx *c = ctx;
    return forward_layer_f64(c->m, c->l, c->in);
}

il_status il_mlp_lsuv(il_mlp *m, const double *x, double tol, int max_iter, size_t *iters,
                      il_error *err)
{
    assert(m->dtype == IL_DTYPE_F64);
    for (size_t l = 0; l < m->n_layers; l++) {
        mlp_layer *L = &m->layers[l];
        /* the layers below are final, and their activations current: the
         * rescaling ends on a forward of the final weights */
        lsuv_ctx c = {m, l, l ? (const double *)m->layers[l - 1].a : x};
        il__lsuv_layer ly = {
            L->w, L->fan_in * L->fan_out, L->z, m->batch * L->fan_out, lsuv_forward, &c, l};
        il_status st = il__lsuv_rescale(&ly, tol, max_iter, &iters[l], err);
        if (st != IL_OK)
            return st;
    }
    return il_mlp_forward(m, x);
}
