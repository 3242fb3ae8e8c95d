/* SPDX-License-Identifier: MIT */
/* The one place that calls BLAS: every product of nn/ and train/ is one
 * call of gemm() below, which checks BLAS's integer range once and picks
 * dgemm or sgemm by the dtype, so that no float32 twin of a product exists. */
#include <cblas.h>
#include <limits.h>

#include "initlab/layer.h"
#include "internal/nn_impl.h"

/* C = op(A) op(B), all row-major and contiguous: op(A) is m x k, op(B) is
 * k x n, C is m x n; a transposed operand is stored as its transpose's
 * shape, which gives the leading dimensions. */
static il_status gemm(il_dtype dtype, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                      const void *a, const void *b, void *c)
{
    enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans,
                         tb = trans_b ? CblasTrans : CblasNoTrans;
    size_t lda = trans_a ? m : k, ldb = trans_b ? k : n;

    /* BLAS takes 32-bit ints and does not check them (numpy #5533). */
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
        return IL_ELIMIT;
    if (m == 0 || n == 0)
        return IL_OK;
    /* a leading dimension must be at least 1 even for an empty operand */
    lda = lda ? lda : 1;
    ldb = ldb ? ldb : 1;
    if (dtype == IL_DTYPE_F32)
        cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb,
                    0.0f, c, (int)n);
    else
        cblas_dgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0, a, (int)lda, b, (int)ldb,
                    0.0, c, (int)n);
    return IL_OK;
}

il_status il_gemm(il_dtype dtype, const void *x, size_t batch, size_t n_in, const void *w,
                  size_t n_out, void *y)
{
    return gemm(dtype, 0, 0, batch, n_out, n_in, x, w, y);
}

il_status il__gemm_tn(il_dtype dtype, const void *x, size_t batch, size_t n_in, const void *dy,
                      size_t n_out, void *dw)
{
    return gemm(dtype, 1, 0, n_in, n_out, batch, x, dy, dw);
}

il_status il__gemm_nt(il_dtype dtype, const void *dy, size_t batch, size_t n_out, const void *w,
                      size_t n_in, void *dx)
{
    return gemm(dtype, 0, 1, batch, n_in, n_out, dy, w, dx);
}

int il_blas_threads(void)
{
    return openblas_get_num_threads();
}

void il_blas_set_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
}
