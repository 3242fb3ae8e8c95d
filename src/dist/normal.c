/* SPDX-License-Identifier: MIT */
/*
 * Normal and uniform deviates.
 *
 * The standard normal is numpy's legacy_gauss (numpy/random/src/legacy/
 * legacy-distributions.c, frozen since NumPy 1.16): Marsaglia's polar method,
 * rejecting r2 >= 1 and r2 == 0, returning f*x2 and caching f*x1. This file is
 * compiled with -ffp-contract=off: contracting x1*x1 + x2*x2 into an FMA
 * changes about 14% of the deviates (RELIABILITY.md section 0).
 */
#include <math.h>

#include "initlab/dist.h"
#include "internal/rng_impl.h"

double il_dist_standard_normal(il_rng *r)
{
    double x1, x2, r2, f;

    if (r->has_gauss) {
        r->has_gauss = 0;
        x1 = r->gauss;
        r->gauss = 0.0;
        return x1;
    }
    do {
        x1 = 2.0 * il_rng_next_double(r) - 1.0;
        x2 = 2.0 * il_rng_next_double(r) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    f = sqrt(-2.0 * log(r2) / r2);
    r->gauss = f * x1;
    r->has_gauss = 1;
    return f * x2;
}

void il_dist_fill_standard_normal(il_rng *r, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = il_dist_standard_normal(r);
}

void il_dist_fill_normal(il_rng *r, double mean, double std, double *out, size_t n)
{
    /* numpy legacy_normal: loc + scale * gauss, in that order. */
    for (size_t i = 0; i < n; i++)
        out[i] = mean + std * il_dist_standard_normal(r);
}

void il_dist_fill_uniform(il_rng *r, double lo, double hi, double *out, size_t n)
{
    /* numpy legacy uniform: low + (high - low) * U. */
    double range = hi - lo;
    for (size_t i = 0; i < n; i++)
        out[i] = lo + range * il_rng_next_double(r);
}
