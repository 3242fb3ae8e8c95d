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

/* The inverse error function, accurate to a few ulp on (-1, 1); +-inf at +-1. */
double il__erfinv(double x);

#endif
