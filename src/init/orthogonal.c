/* SPDX-License-Identifier: MIT */
/*
 * orthogonal(gain): Saxe et al. 2014; torch.nn.init.orthogonal_ and keras
 * Orthogonal. The tensor is read as a matrix (rows x cols) -- torch layout:
 * rows = shape[0]; keras and dense layouts: cols = shape[-1] -- the taller
 * orientation is QR-factorised with LAPACK (dgeqrf, dorgqr), Q's columns
 * are multiplied by the signs of R's diagonal (Mezzadri 2007, so that Q is
 * Haar-distributed), transposed back if needed and scaled by the gain.
 * Rows (if rows <= cols) or columns are then orthonormal: W W^T = gain^2 I
 * or W^T W = gain^2 I.
 */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "initlab/alloc.h"
#include "internal/init_impl.h"
#include "internal/spec_impl.h"

/* LAPACK, through the BLAS library's Fortran interface (column-major). */
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau,
             double *work, const int *lwork, int *info);

static const il_param orthogonal_params[] = {
    {"gain", IL_PARAM_NUMBER, 1.0, 0, NULL, "scaling factor", 0},
};

static void matrix_dims(const il_init_ctx *ctx, size_t *rows, size_t *cols)
{
    if (ctx->layout == IL_LAYOUT_TORCH) {
        *rows = ctx->shape[0];
        *cols = ctx->shape[0] ? ctx->numel / ctx->shape[0] : 0;
    } else {
        *cols = ctx->shape[ctx->ndim - 1];
        *rows = *cols ? ctx->numel / *cols : 0;
    }
}

static il_status orthogonal_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    size_t rows, cols;
    (void)init;
    if (ctx->ndim < 2) {
        il__set_error(err,
                      "orthogonal: Only tensors with 2 or more dimensions are supported "
                      "(got %zu)",
                      ctx->ndim);
        return IL_ESHAPE;
    }
    matrix_dims(ctx, &rows, &cols);
    if (rows > INT_MAX || cols > INT_MAX) {
        il__set_error(err, "orthogonal: matrix too large for LAPACK (%zu x %zu)", rows, cols);
        return IL_ELIMIT;
    }
    return IL_OK;
}

static il_status orthogonal_from(const il_init *init, const il_init_ctx *ctx, const double *noise,
                                 double *out, il_error *err)
{
    size_t rows, cols, m, n;
    double *a = NULL, *tau = NULL, *work = NULL, *sign = NULL, query;
    int im, in, lwork = -1, info = 0;
    double gain = init->values[0].number;
    il_status st = IL_OK;

    matrix_dims(ctx, &rows, &cols);
    m = rows > cols ? rows : cols; /* factorise the tall orientation, m >= n */
    n = rows > cols ? cols : rows;
    im = (int)m;
    in = (int)n;
    a = il_malloc_n(m * n, sizeof *a);
    tau = il_malloc_n(n, sizeof *tau);
    sign = il_malloc_n(n, sizeof *sign);
    if (!a || !tau || !sign) {
        st = IL_ENOMEM;
        goto done;
    }
    /* The noise, row-major rows x cols, as a column-major m x n matrix:
     * when rows < cols it already is its transpose, so it is copied as is;
     * otherwise it is transposed. */
    if (rows < cols)
        memcpy(a, noise, m * n * sizeof *a);
    else
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)
                a[i + j * m] = noise[i * cols + j];
    dgeqrf_(&im, &in, a, &im, tau, &query, &lwork, &info);
    lwork = info == 0 && query > 0 && query < (double)INT_MAX ? (int)query : in * 64;
    work = il_malloc_n((size_t)lwork, sizeof *work);
    if (!work) {
        st = IL_ENOMEM;
        goto done;
    }
    dgeqrf_(&im, &in, a, &im, tau, work, &lwork, &info);
    if (info != 0)
        goto lapack_failed;
    for (size_t j = 0; j < n; j++) {
        double d = a[j + j * m];
        sign[j] = d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0); /* torch.sign */
    }
    dorgqr_(&im, &in, &in, a, &im, tau, work, &lwork, &info);
    if (info != 0)
        goto lapack_failed;
    /* Q (column-major m x n) times the signs, back to rows x cols row-major:
     * the transposed orientation has exactly Q's memory layout. */
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < m; i++) {
            double q = a[i + j * m] * sign[j] * gain;
            if (rows < cols)
                out[j * m + i] = q;
            else
                out[i * cols + j] = q;
        }
    goto done;
lapack_failed:
    il__set_error(err, "orthogonal: LAPACK failed (info %d)", info);
    st = IL_EINVAL;
done:
    il_free(a);
    il_free(tau);
    il_free(work);
    il_free(sign);
    return st;
}

static void orthogonal_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    size_t rows, cols;
    matrix_dims(ctx, &rows, &cols);
    t->gain = init->values[0].number;
    t->mean = 0.0;
    /* every entry has variance gain^2 / max(rows, cols) */
    t->std = fabs(t->gain) / sqrt((double)(rows > cols ? rows : cols));
}

const il_init_type il__init_orthogonal = {
    .name = "orthogonal",
    .formula = "gain * Q, Q from the QR of a Gaussian matrix with sign(diag R) fixed",
    .source = "torch.nn.init.orthogonal_(gain=1); keras Orthogonal; Saxe et al. 2014",
    .params = orthogonal_params,
    .n_params = 1,
    .base = IL_INIT_BASE_NORMAL,
    .check = orthogonal_check,
    .from_noise = orthogonal_from,
    .target = orthogonal_target,
};
