/* SPDX-License-Identifier: MIT */
/* The MLP's forward and backward passes over BLAS, and the softmax loss. */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/layer.h"
#include "initlab/mlp.h"
#include "internal/spec_impl.h"

typedef struct mlp_layer {
    size_t fan_in, fan_out;
    il_act act;
    int has_act;
    double *w, *b, *z, *a, *dz, *dw, *db;
} mlp_layer;

struct il_mlp {
    size_t batch, n_in, n_layers;
    const double *x; /* the last input, borrowed */
    double *scratch; /* batch x widest: dL/da while going back */
    mlp_layer layers[];
};

/* Sizes of everything one layer holds, in doubles. */
static int layer_doubles(size_t batch, size_t fi, size_t fo, size_t *n)
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

il_status il_mlp_memory(size_t batch, size_t n_in, const size_t *widths, size_t n_layers,
                        size_t *bytes)
{
    size_t total = 0, prev = n_in, widest = n_in, scratch, head;
    for (size_t l = 0; l < n_layers; l++) {
        size_t n;
        if (!layer_doubles(batch, prev, widths[l], &n) || !il_add_size(total, n, &total))
            return IL_ELIMIT;
        if (widths[l] > widest)
            widest = widths[l];
        prev = widths[l];
    }
    if (!il_mul_size(batch, widest, &scratch) || !il_add_size(total, scratch, &total) ||
        !il_mul_size(total, sizeof(double), &total) ||
        !il_mul_size(n_layers, sizeof(mlp_layer), &head) ||
        !il_add_size(total, head + sizeof(il_mlp), &total))
        return IL_ELIMIT;
    *bytes = total;
    return IL_OK;
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

il_status il_mlp_new(size_t batch, size_t n_in, const size_t *widths, size_t n_layers,
                     const il_act *const *acts, il_mlp **out)
{
    size_t bytes, prev = n_in, widest = n_in, head;
    il_mlp *m;

    if (batch == 0 || n_in == 0 || n_layers == 0)
        return IL_EINVAL;
    for (size_t l = 0; l < n_layers; l++)
        if (widths[l] == 0)
            return IL_EINVAL;
    if (il_mlp_memory(batch, n_in, widths, n_layers, &bytes) != IL_OK ||
        !il_mul_size(n_layers, sizeof(mlp_layer), &head))
        return IL_ELIMIT;
    m = il_calloc(1, sizeof *m + head);
    if (!m)
        return IL_ENOMEM;
    m->batch = batch;
    m->n_in = n_in;
    m->n_layers = n_layers;
    for (size_t l = 0; l < n_layers; l++) {
        mlp_layer *L = &m->layers[l];
        size_t n = 0, wn = prev * widths[l], an = batch * widths[l];
        double *p;
        layer_doubles(batch, prev, widths[l], &n); /* checked by il_mlp_memory */
        p = il_calloc(n, sizeof(double));
        if (!p) {
            il_mlp_free(m);
            return IL_ENOMEM;
        }
        L->fan_in = prev;
        L->fan_out = widths[l];
        L->w = p;
        L->dw = p + wn;
        L->z = L->dw + wn;
        L->a = L->z + an;
        L->dz = L->a + an;
        L->b = L->dz + an;
        L->db = L->b + widths[l];
        if (acts && acts[l]) {
            L->act = *acts[l];
            L->has_act = 1;
        }
        if (widths[l] > widest)
            widest = widths[l];
        prev = widths[l];
    }
    m->scratch = il_calloc(batch * widest, sizeof(double));
    if (!m->scratch) {
        il_mlp_free(m);
        return IL_ENOMEM;
    }
    *out = m;
    return IL_OK;
}

double *il_mlp_weights(il_mlp *m, size_t l)
{
    return m->layers[l].w;
}

double *il_mlp_bias(il_mlp *m, size_t l)
{
    return m->layers[l].b;
}

const double *il_mlp_pre(const il_mlp *m, size_t l)
{
    return m->layers[l].z;
}

const double *il_mlp_act(const il_mlp *m, size_t l)
{
    return m->layers[l].a;
}

const double *il_mlp_grad_pre(const il_mlp *m, size_t l)
{
    return m->layers[l].dz;
}

const double *il_mlp_grad_w(const il_mlp *m, size_t l)
{
    return m->layers[l].dw;
}

const double *il_mlp_grad_b(const il_mlp *m, size_t l)
{
    return m->layers[l].db;
}

il_status il_mlp_forward(il_mlp *m, const double *x)
{
    const double *in = x;
    m->x = x;
    for (size_t l = 0; l < m->n_layers; l++) {
        mlp_layer *L = &m->layers[l];
        size_t n = m->batch * L->fan_out;
        il_status st =
            il_dense_forward(in, m->batch, L->fan_in, L->w, L->fan_out, L->b, NULL, L->z);
        if (st != IL_OK)
            return st;
        memcpy(L->a, L->z, n * sizeof(double));
        if (L->has_act)
            il_act_apply(&L->act, L->a, n);
        in = L->a;
    }
    return IL_OK;
}

il_status il_mlp_backward(il_mlp *m, const double *grad_out)
{
    size_t B = m->batch;
    const double *da = grad_out;

    for (size_t l = m->n_layers; l-- > 0;) {
        mlp_layer *L = &m->layers[l];
        const double *in = l ? m->layers[l - 1].a : m->x;
        size_t n = B * L->fan_out;

        if (B > INT_MAX || L->fan_in > INT_MAX || L->fan_out > INT_MAX)
            return IL_ELIMIT;
        /* dL/dz = dL/da * act'(z) */
        for (size_t i = 0; i < n; i++)
            L->dz[i] = L->has_act ? da[i] * il_act_deriv(&L->act, L->z[i]) : da[i];
        /* dL/dW = in^T dz: (fan_in x B) (B x fan_out) */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)L->fan_in, (int)L->fan_out,
                    (int)B, 1.0, in, (int)L->fan_in, L->dz, (int)L->fan_out, 0.0, L->dw,
                    (int)L->fan_out);
        for (size_t j = 0; j < L->fan_out; j++) {
            double s = 0;
            for (size_t r = 0; r < B; r++)
                s += L->dz[r * L->fan_out + j];
            L->db[j] = s;
        }
        /* dL/da of the layer below = dz W^T: (B x fan_out) (fan_out x fan_in) */
        if (l > 0) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)L->fan_in,
                        (int)L->fan_out, 1.0, L->dz, (int)L->fan_out, L->w, (int)L->fan_out, 0.0,
                        m->scratch, (int)L->fan_in);
            da = m->scratch;
        }
    }
    return IL_OK;
}

double il_loss_softmax_ce(const double *logits, size_t batch, size_t classes, const size_t *labels,
                          double *grad)
{
    double total = 0;
    for (size_t r = 0; r < batch; r++) {
        const double *z = logits + r * classes;
        double mx = z[0], sum = 0;
        for (size_t c = 1; c < classes; c++)
            mx = z[c] > mx ? z[c] : mx;
        for (size_t c = 0; c < classes; c++)
            sum += exp(z[c] - mx);
        /* relative to the largest logit, so that nothing large is subtracted;
         * sum >= exp(0) = 1 from that logit (classes >= 1) */
        // cppcheck-suppress invalidFunctionArg
        total += log(sum) - (z[labels[r]] - mx);
        if (grad)
            for (size_t c = 0; c < classes; c++)
                grad[r * classes + c] =
                    (exp(z[c] - mx) / sum - (c == labels[r] ? 1.0 : 0.0)) / (double)batch;
    }
    return total / (double)batch;
}

/* The variance of n values (two passes: the mean first). */
static double variance(const double *v, size_t n)
{
    double mean = 0.0, s = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += v[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        s += (v[i] - mean) * (v[i] - mean);
    return s / (double)n;
}

il_status il_mlp_lsuv(il_mlp *m, const double *x, double tol, int max_iter, size_t *iters,
                      il_error *err)
{
    for (size_t l = 0; l < m->n_layers; l++) {
        mlp_layer *L = &m->layers[l];
        size_t nz = m->batch * L->fan_out, nw = L->fan_in * L->fan_out;
        iters[l] = 0;
        for (;;) {
            /* the layers below are final; a full pass keeps this simple and
             * costs little next to training */
            il_status st = il_mlp_forward(m, x);
            double var;
            if (st != IL_OK)
                return st;
            var = variance(L->z, nz);
            if (!isfinite(var)) {
                il__set_error(err, "lsuv: layer %zu's output variance is not finite", l + 1);
                return IL_EINVAL;
            }
            if (var == 0) {
                il__set_error(err,
                              "lsuv: layer %zu is dead (its output variance is 0), so "
                              "there is nothing to rescale",
                              l + 1);
                return IL_EINVAL;
            }
            if (fabs(var - 1) < tol || iters[l] >= (size_t)max_iter)
                break;
            for (size_t i = 0; i < nw; i++)
                L->w[i] /= sqrt(var);
            iters[l]++;
        }
    }
    return il_mlp_forward(m, x);
}
