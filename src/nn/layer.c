/* SPDX-License-Identifier: MIT */
/* Dense layer forward pass: GEMM, then bias and activation in one sweep. */
#include "initlab/layer.h"

il_status il_dense_forward(const double *x, size_t batch, size_t n_in, const double *w,
                           size_t n_out, const double *bias, const il_act *act, double *y)
{
    il_status st = il_gemm(x, batch, n_in, w, n_out, y);
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
