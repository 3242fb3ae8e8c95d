/* SPDX-License-Identifier: MIT */
/*
 * Dense layers: y = act(x W + b).
 *
 * x is (batch, n_in), W is (n_in, n_out) and y is (batch, n_out), all
 * row-major: the lecture's np.dot(x, w). The product goes through
 * cblas_dgemm, or cblas_sgemm for float32 (OpenBLAS, the BLAS Debian's
 * numpy uses), so its summation order, and thus its last bits, are BLAS's.
 */
#ifndef INITLAB_LAYER_H
#define INITLAB_LAYER_H

#include <stddef.h>

#include "initlab/act.h"
#include "initlab/dtype.h"
#include "initlab/stats.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The number of threads BLAS may use for one product, and setting it. This
 * is BLAS's own process-wide setting (OpenBLAS's openblas_set_num_threads),
 * not per call: set it from the program, before products run. Small
 * products (the lecture's 1000x100x100) run faster on one thread. */
int il_blas_threads(void);
void il_blas_set_threads(int n);

/* y = x W (no activation), all three of 'dtype' (dgemm or sgemm): the
 * one product of every dtype. Returns IL_ELIMIT if a dimension exceeds what
 * BLAS's 32-bit integers can index (INT_MAX); 'y' is then untouched. */
il_status il_gemm(il_dtype dtype, const void *x, size_t batch, size_t n_in, const void *w,
                  size_t n_out, void *y);

/* y = act(x W + b); 'bias' (n_out values) may be NULL for no bias, 'act'
 * may be NULL for the identity. Same errors as il_gemm. */
il_status il_dense_forward(const double *x, size_t batch, size_t n_in, const double *w,
                           size_t n_out, const double *bias, const il_act *act, double *y);

/* il_dense_forward and il_layer_stats_add(s, y, batch * n_out) in one
 * sweep: after the product, the bias and activation are applied piece by
 * piece, on threads, and each piece is measured while it is in cache
 * (il_layer_stats_add_mapped). 'y' and 's' end as the two calls would leave
 * them, to the bit. Same errors as il_gemm. */
il_status il_dense_forward_measured(const double *x, size_t batch, size_t n_in, const double *w,
                                    size_t n_out, const double *bias, const il_act *act, double *y,
                                    il_layer_stats *s);

#ifdef __cplusplus
}
#endif
#endif
