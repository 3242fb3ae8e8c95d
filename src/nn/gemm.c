/* SPDX-License-Identifier: MIT */
/* The one place that calls BLAS. */
#include <cblas.h>
#include <limits.h>

#include "initlab/layer.h"

il_status il_gemm(const double *x, size_t batch, size_t n_in, const double *w, size_t n_out,
                  double *y)
{
    /* BLAS takes 32-bit ints and does not check them (numpy #5533). */
    if (batch > INT_MAX || n_in > INT_MAX || n_out > INT_MAX)
        return IL_ELIMIT;
    if (batch == 0 || n_out == 0)
        return IL_OK;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)n_out, (int)n_in, 1.0,
                x, (int)(n_in ? n_in : 1), w, (int)n_out, 0.0, y, (int)n_out);
    return IL_OK;
}

il_status il_gemm_f32(const float *x, size_t batch, size_t n_in, const float *w, size_t n_out,
                      float *y)
{
    if (batch > INT_MAX || n_in > INT_MAX || n_out > INT_MAX)
        return IL_ELIMIT;
    if (batch == 0 || n_out == 0)
        return IL_OK;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)n_out, (int)n_in, 1.0f,
                x, (int)(n_in ? n_in : 1), w, (int)n_out, 0.0f, y, (int)n_out);
    return IL_OK;
}

int il_blas_threads(void)
{
    return openblas_get_num_threads();
}

void il_blas_set_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
}
