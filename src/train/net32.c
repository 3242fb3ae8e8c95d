/* SPDX-License-Identifier: MIT */
/*
 * The float32 network of training with dtype f32: the same layers as
 * il_mlp (z = a W + b, a = act(z), the last layer without activation),
 * its products in sgemm, its parameters and optimizer state in float.
 * Element-wise work (activation, softmax, updates) is done in double and
 * rounded once, so only storage and the products are single precision.
 */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "initlab/alloc.h"
#include "internal/net32.h"

void il__net32_free(il__net32 *n)
{
    if (!n)
        return;
    il_free(n->block);
    il_free(n);
}

il_status il__net32_new(size_t batch, size_t n_in, const size_t *widths, size_t n_layers,
                        const il_act *act, il__net32 **out)
{
    size_t total = 0, prev = n_in, widest = n_in, params = 0;
    il__net32 *n;
    float *p;

    if (n_layers == 0 || n_layers > IL__NET32_MAX_LAYERS || batch > INT_MAX || n_in > INT_MAX)
        return IL_ELIMIT;
    for (size_t l = 0; l < n_layers; l++) {
        size_t wl = prev * widths[l], al = batch * widths[l];
        if (widths[l] > INT_MAX)
            return IL_ELIMIT;
        /* w, dw, v, m; b, db, vb, mb; z, a, dz */
        total += 4 * wl + 4 * widths[l] + 3 * al;
        params += wl + widths[l];
        widest = widths[l] > widest ? widths[l] : widest;
        prev = widths[l];
    }
    total += batch * widest + batch * n_in; /* scratch and the input */
    n = il_calloc(1, sizeof *n);
    if (!n)
        return IL_ENOMEM;
    n->block = il_calloc(total, sizeof(float));
    if (!n->block) {
        il_free(n);
        return IL_ENOMEM;
    }
    n->batch = batch;
    n->n_in = n_in;
    n->n_layers = n_layers;
    n->act = *act;
    p = n->block;
    prev = n_in;
    for (size_t l = 0; l < n_layers; l++) {
        size_t wl = prev * widths[l], al = batch * widths[l];
        n->fan_in[l] = prev;
        n->fan_out[l] = widths[l];
        n->w[l] = p, p += wl;
        n->dw[l] = p, p += wl;
        n->vw[l] = p, p += wl;
        n->mw[l] = p, p += wl;
        n->b[l] = p, p += widths[l];
        n->db[l] = p, p += widths[l];
        n->vb[l] = p, p += widths[l];
        n->mb[l] = p, p += widths[l];
        n->z[l] = p, p += al;
        n->a[l] = p, p += al;
        n->dz[l] = p, p += al;
        prev = widths[l];
    }
    n->scratch = p, p += batch * widest;
    n->x = p;
    (void)params;
    *out = n;
    return IL_OK;
}

void il__net32_load(il__net32 *n, il_mlp *m)
{
    for (size_t l = 0; l < n->n_layers; l++) {
        const double *w = il_mlp_weights(m, l), *b = il_mlp_bias(m, l);
        for (size_t i = 0; i < n->fan_in[l] * n->fan_out[l]; i++)
            n->w[l][i] = (float)w[i];
        for (size_t j = 0; j < n->fan_out[l]; j++)
            n->b[l][j] = (float)b[j];
    }
}

void il__net32_store(const il__net32 *n, il_mlp *m)
{
    for (size_t l = 0; l < n->n_layers; l++) {
        double *w = il_mlp_weights(m, l), *b = il_mlp_bias(m, l);
        for (size_t i = 0; i < n->fan_in[l] * n->fan_out[l]; i++)
            w[i] = (double)n->w[l][i];
        for (size_t j = 0; j < n->fan_out[l]; j++)
            b[j] = (double)n->b[l][j];
    }
}

void il__net32_forward(il__net32 *n)
{
    const float *in = n->x;
    for (size_t l = 0; l < n->n_layers; l++) {
        size_t fo = n->fan_out[l], B = n->batch;
        int last = l + 1 == n->n_layers;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)fo, (int)n->fan_in[l],
                    1.0f, in, (int)n->fan_in[l], n->w[l], (int)fo, 0.0f, n->z[l], (int)fo);
        for (size_t r = 0; r < B; r++)
            for (size_t j = 0; j < fo; j++) {
                float z = n->z[l][r * fo + j] + n->b[l][j];
                n->z[l][r * fo + j] = z;
                n->a[l][r * fo + j] = last ? z : (float)il_act_value(&n->act, (double)z);
            }
        in = n->a[l];
    }
}

double il__net32_loss_grad(il__net32 *n, const size_t *labels)
{
    size_t L = n->n_layers, K = n->fan_out[L - 1], B = n->batch;
    const float *z = n->a[L - 1];
    float *g = n->scratch; /* dL/dlogits, read by backward */
    double total = 0.0;
    for (size_t r = 0; r < B; r++) {
        double mx = (double)z[r * K], sum = 0.0;
        for (size_t c = 1; c < K; c++)
            mx = fmax(mx, (double)z[r * K + c]);
        for (size_t c = 0; c < K; c++)
            sum += exp((double)z[r * K + c] - mx);
        /* sum >= exp(0) = 1 from the largest logit (K >= 1) */
        // cppcheck-suppress invalidFunctionArg
        total += log(sum) - ((double)z[r * K + labels[r]] - mx);
        for (size_t c = 0; c < K; c++)
            g[r * K + c] =
                (float)((exp((double)z[r * K + c] - mx) / sum - (c == labels[r] ? 1.0 : 0.0)) /
                        (double)B);
    }
    return total / (double)B;
}

void il__net32_backward(il__net32 *n)
{
    const float *da = n->scratch;
    for (size_t l = n->n_layers; l-- > 0;) {
        size_t fi = n->fan_in[l], fo = n->fan_out[l], B = n->batch, cnt = B * fo;
        const float *in = l ? n->a[l - 1] : n->x;
        int last = l + 1 == n->n_layers;
        for (size_t i = 0; i < cnt; i++)
            n->dz[l][i] =
                last ? da[i] : (float)((double)da[i] * il_act_deriv(&n->act, (double)n->z[l][i]));
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fi, (int)fo, (int)B, 1.0f, in,
                    (int)fi, n->dz[l], (int)fo, 0.0f, n->dw[l], (int)fo);
        for (size_t j = 0; j < fo; j++) {
            double s = 0.0;
            for (size_t r = 0; r < B; r++)
                s += (double)n->dz[l][r * fo + j];
            n->db[l][j] = (float)s;
        }
        if (l > 0) { /* scratch is free again: dL/dlogits was consumed above */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)fi, (int)fo, 1.0f,
                        n->dz[l], (int)fo, n->w[l], (int)fo, 0.0f, n->scratch, (int)fi);
            da = n->scratch;
        }
    }
}
