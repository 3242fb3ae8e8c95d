/* SPDX-License-Identifier: MIT */
/*
 * Distributions drawn from an il_rng.
 *
 * The normal deviates follow numpy's legacy_gauss exactly (Marsaglia's polar
 * method; the first value of a pair is f*x2, and f*x1 is cached in the
 * generator for the next call), so with the mt19937 generator a fill equals
 * np.random.randn of the same size, element by element, in C order.
 * A generator with its own normal method (philox) uses that instead.
 */
#ifndef INITLAB_DIST_H
#define INITLAB_DIST_H

#include <stddef.h>

#include "initlab/rng.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One standard normal deviate. */
double il_dist_standard_normal(il_rng *r);

/* 'n' standard normal deviates into 'out' (np.random.randn(n)). */
void il_dist_fill_standard_normal(il_rng *r, double *out, size_t n);

/* 'n' standard normals in float: the generator's own float method if it
 * has one (philox: Box-Muller in float, 4 per block), else the double
 * normals rounded. */
void il_dist_fill_standard_normal_f32(il_rng *r, float *out, size_t n);

/* 'n' draws of mean + std * N(0,1) (np.random.normal(mean, std, n)). */
void il_dist_fill_normal(il_rng *r, double mean, double std, double *out, size_t n);

/* 'n' draws of lo + (hi - lo) * U[0,1) (np.random.uniform(lo, hi, n)). */
void il_dist_fill_uniform(il_rng *r, double lo, double hi, double *out, size_t n);

/* 'n' draws of the truncated normal 't' (std > 0, a < b), every one in
 * [a, b]. With a generator that has its own method (philox: rejection
 * from its normals, each value with its own retries, so the same for any
 * number of threads) when [a, b] holds at least half of the normal's
 * mass; else torch's trunc_normal_: the inverse CDF on 'n' uniforms of
 * il_rng_fill_double, clamped to [a, b] (mt19937 always). */
void il_dist_fill_trunc_normal(il_rng *r, const il_trunc_normal *t, double *out, size_t n);

/* il_dist_fill_trunc_normal's 'n' draws rounded to float, into 'out',
 * without a double array of 'n' (the generator's own method rounds as it
 * goes; the inverse CDF goes through 8 MiB of scratch). IL_ENOMEM if that
 * scratch cannot be allocated; then 'r' has drawn nothing. */
il_status il_dist_fill_trunc_normal_f32(il_rng *r, const il_trunc_normal *t, float *out, size_t n);

/* A uniform integer in [0, n), 1 <= n <= 2^32, by numpy legacy's masked
 * rejection on 32-bit words (the smallest all-ones mask covering n - 1). */
size_t il_dist_bounded(il_rng *r, size_t n);

#ifdef __cplusplus
}
#endif
#endif
