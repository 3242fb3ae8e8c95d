/* SPDX-License-Identifier: MIT */
/* Transforms of uniform noise shared by src/dist and the initializers. */
#ifndef INITLAB_INTERNAL_DIST_IMPL_H
#define INITLAB_INTERNAL_DIST_IMPL_H

#include <stddef.h>

#include "initlab/rng.h"

/* The truncated normal 't' from U[0, 1) noise, by the inverse CDF in
 * double precision (torch's trunc_normal_), clamped to [a, b]: out[i] from
 * u[i] alone, so the bits do not depend on the number of threads. 'out'
 * may equal 'u'. */
void il__trunc_normal_from_uniform(const il_trunc_normal *t, const double *u, double *out,
                                   size_t n);

/* The same law from the same noise, for shared noise (the initializers'
 * from_noise): the inverse CDF with an erfinv the compiler vectorises
 * where |2 u' - 1| <= 0.97 (every cut at 2 std or less), il__erfinv
 * elsewhere; within a few ulp of il__trunc_normal_from_uniform, about
 * fifteen times faster on one core, but not its bits, which numpy-legacy's
 * fills keep. */
void il__trunc_normal_from_uniform_fast(const il_trunc_normal *t, const double *u, double *out,
                                        size_t n);

/* The inverse error function, accurate to a few ulp on (-1, 1); +-inf at +-1. */
double il__erfinv(double x);

#endif
