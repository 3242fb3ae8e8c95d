/* SPDX-License-Identifier: MIT */
/* Dense layer forward pass: GEMM, then bias and activation in one sweep
 * (with the statistics too, in il_dense_forward_measured). */
#include "initlab/layer.h"

il_status il_dense_forward(const double *x, size_t batch, size_t n_in, const double *w,
                           size_t n_out, const double *bias, const il_act *act, double *y)
{
    il_status st = il_gemm(IL_DTYPE_F64, x, batch, n_in, w, n_out, y);
    if (st != IL_OK)
        return st;
    for (size_t r = 0; r < batch; r++) {
        double *row = y + r * n_out;
        if (bias)
            for (size_t j = 0; j < n_out; j++)
                row[j] += bias[j];
        if (act)
            il_act_apply(act, row, n_out);
    }
    return IL_OK;
}

/* What the statistics pass applies to each piece of a layer's products. */
typedef struct bias_act {
    const double *bias; /* n_out values, or NULL */
    const il_act *act;  /* or NULL */
    size_t n_out;
} bias_act;

static void apply_bias_act(void *ctx, double *y, size_t offset, size_t n)
{
    const bias_act *m = ctx;
    if (m->bias) {
        size_t j = offset % m->n_out; /* the column of y[0] */
        for (size_t i = 0; i < n; i++) {
            y[i] += m->bias[j];
            if (++j == m->n_out)
                j = 0;
        }
    }
    if (m->act)
        il_act_apply(m->act, y, n);
}

il_status il_dense_forward_measured(const double *x, size_t batch, size_t n_in, const double *w,
                                    size_t n_out, const double *bias, const il_act *act, double *y,
                                    il_layer_stats *s)
{
    bias_act m = {bias, act, n_out};
    il_status st = il_gemm(IL_DTYPE_F64, x, batch, n_in, w, n_out, y);
    if (st != IL_OK)
        return st;
    il_layer_stats_add_mapped(s, y, batch * n_out, bias || act ? apply_bias_act : NULL, &m);
    return IL_OK;
}
