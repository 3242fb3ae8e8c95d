/* SPDX-License-Identifier: MIT */
/*
 * Normal and uniform deviates.
 *
 * The standard normal is numpy's legacy_gauss (numpy/random/src/legacy/
 * legacy-distributions.c, frozen since NumPy 1.16): Marsaglia's polar method,
 * rejecting r2 >= 1 and r2 == 0, returning f*x2 and caching f*x1. This file is
 * compiled with -ffp-contract=off: contracting x1*x1 + x2*x2 into an FMA
 * changes about 14% of the deviates (RELIABILITY.md section 0).
 *
 * A generator type with its own normal method (fill_normal: philox's
 * Box-Muller) is used instead; numpy's stream is the legacy type's alone.
 */
#include <math.h>
#include <stdint.h>

#include "initlab/dist.h"
#include "internal/rng_impl.h"

double il_dist_standard_normal(il_rng *r)
{
    double x1, x2, r2, f;

    if (r->type->fill_normal) {
        r->type->fill_normal(r->state, &x1, 1);
        return x1;
    }
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

/* Candidate pairs drawn at a time by the fills. */
#define PAIR_CHUNK 256

/* The polar method over arrays: the same deviates, in the same order, as
 * 'n' calls of il_dist_standard_normal, but with the uniforms drawn in bulk.
 * Each round draws at most as many candidate pairs as pairs are still
 * needed, so no uniform is drawn that the one-at-a-time method would not
 * have drawn, and the stream stays numpy's. */
void il_dist_fill_standard_normal(il_rng *r, double *out, size_t n)
{
    double u[2 * PAIR_CHUNK];
    size_t i = 0;

    if (r->type->fill_normal) {
        r->type->fill_normal(r->state, out, n);
        return;
    }
    if (n > 0 && r->has_gauss) {
        out[i++] = r->gauss;
        r->has_gauss = 0;
        r->gauss = 0.0;
    }
    while (i < n) {
        size_t need = (n - i + 1) / 2, m = need < PAIR_CHUNK ? need : PAIR_CHUNK;
        il_rng_fill_double(r, u, 2 * m);
        for (size_t k = 0; k < m; k++) {
            double x1 = 2.0 * u[2 * k] - 1.0, x2 = 2.0 * u[2 * k + 1] - 1.0;
            double r2 = x1 * x1 + x2 * x2, f;
            if (r2 >= 1.0 || r2 == 0.0)
                continue;
            f = sqrt(-2.0 * log(r2) / r2);
            out[i++] = f * x2;
            if (i < n) {
                out[i++] = f * x1;
            } else {
                r->gauss = f * x1;
                r->has_gauss = 1;
            }
        }
    }
}

void il_dist_fill_standard_normal_f32(il_rng *r, float *out, size_t n)
{
    double buf[256];
    if (r->type->fill_normal_f32) {
        r->type->fill_normal_f32(r->state, out, n);
        return;
    }
    for (size_t i = 0; i < n; i += 256) {
        size_t m = n - i < 256 ? n - i : 256;
        il_dist_fill_standard_normal(r, buf, m);
        for (size_t k = 0; k < m; k++)
            out[i + k] = (float)buf[k];
    }
}

void il_dist_fill_normal(il_rng *r, double mean, double std, double *out, size_t n)
{
    /* numpy legacy_normal: loc + scale * gauss, in that order. */
    il_dist_fill_standard_normal(r, out, n);
    for (size_t i = 0; i < n; i++)
        out[i] = mean + std * out[i];
}

void il_dist_fill_uniform(il_rng *r, double lo, double hi, double *out, size_t n)
{
    /* numpy legacy uniform: low + (high - low) * U. */
    double range = hi - lo;
    il_rng_fill_double(r, out, n);
    for (size_t i = 0; i < n; i++)
        out[i] = lo + range * out[i];
}

size_t il_dist_bounded(il_rng *r, size_t n)
{
    uint32_t max = (uint32_t)(n - 1), mask = max, v;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    do
        v = il_rng_next_u32(r) & mask;
    while (v > max);
    return v;
}
