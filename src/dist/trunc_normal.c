/* SPDX-License-Identifier: MIT */
/*
 * Truncated normals, N(mean, std^2) cut to [a, b] (absolute bounds, as
 * torch's trunc_normal_).
 *
 * Two exact methods. A generator with its own (philox: rejection from its
 * Box-Muller normals, src/rng/philox.c) is used when [a, b] keeps at least
 * half of the mass, so that it needs fewer than two tries a value on
 * average. Otherwise, and for every generator without one (mt19937, so
 * numpy-legacy's stream is unchanged), torch's inverse CDF (PR #32397):
 * uniforms on [2 Phi(a') - 1, 2 Phi(b') - 1), erfinv, times std sqrt(2),
 * plus mean, clamped to [a, b] -- which costs an erfinv refined by Halley
 * steps on the C library's erf and erfc per value.
 */
#include <assert.h>
#include <math.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "internal/dist_impl.h"
#include "internal/rng_impl.h"

#define SQRT_PI 1.7724538509055160273 /* sqrt(pi) */
#define PI      3.1415926535897932385

/* The inverse CDF runs on OpenMP threads past this many values (a Halley-
 * refined erfinv is about 100 ns); each value is computed alone, so the
 * bits do not depend on the number of threads. */
#define PARALLEL_FROM ((size_t)1 << 14)

/* The inverse CDF in float32 goes through this many doubles at a time
 * (8 MiB): few enough pieces that their parallel regions cost nothing
 * beside 100 ns a value. */
#define F32_PIECE ((size_t)1 << 20)

double il__erfinv(double x)
{
    double ax = fabs(x), l, t, y;

    if (isnan(x) || ax > 1.0)
        return (double)NAN;
    if (ax == 1.0)
        return copysign((double)INFINITY, x);
    if (ax == 0.0)
        return x;
    /* Winitzki's approximation (about 2e-3 relative) as a start ... */
    l = log((1.0 - ax) * (1.0 + ax));
    t = 2.0 / (PI * 0.147) + l / 2.0;
    y = sqrt(sqrt(t * t - l / 0.147) - t);
    /* ... then Halley steps on erf(y) = ax, written with erfc near 1 so
     * that 1 - ax (exact there) keeps its digits. */
    for (int i = 0; i < 3; i++) {
        double f = ax < 0.5 ? erf(y) - ax : (1.0 - ax) - erfc(y);
        double df = 2.0 / SQRT_PI * exp(-y * y);
        if (df == 0.0)
            break;
        y -= f / (df + y * f);
    }
    return copysign(y, x);
}

static double norm_cdf(double x)
{
    return (1.0 + erf(x / sqrt(2.0))) / 2.0; /* torch's norm_cdf */
}

void il__trunc_normal_from_uniform(const il_trunc_normal *t, const double *u, double *out, size_t n)
{
    double mean = t->mean, a = t->a, b = t->b;
    double l = norm_cdf((a - mean) / t->std), h = norm_cdf((b - mean) / t->std);
    double lo = 2 * l - 1, hi = 2 * h - 1, scale = t->std * sqrt(2.0);

#pragma omp parallel for schedule(static) if (n >= PARALLEL_FROM)
    for (size_t i = 0; i < n; i++) {
        double v = il__erfinv(u[i] * (hi - lo) + lo) * scale + mean;
        out[i] = v < a ? a : (v > b ? b : v);
    }
}

/* P(a <= X <= b), with erfc so that bounds far in one tail keep digits */
static double trunc_mass(const il_trunc_normal *t)
{
    double za = (t->a - t->mean) / t->std, zb = (t->b - t->mean) / t->std;
    return 0.5 * (erfc(-zb / sqrt(2.0)) - erfc(-za / sqrt(2.0)));
}

void il_dist_fill_trunc_normal(il_rng *r, const il_trunc_normal *t, double *out, size_t n)
{
    if (r->type->fill_trunc_normal && trunc_mass(t) >= 0.5) {
        r->type->fill_trunc_normal(r->state, t, out, n);
        return;
    }
    il_rng_fill_double(r, out, n);
    il__trunc_normal_from_uniform(t, out, out, n);
}

il_status il_dist_fill_trunc_normal_f32(il_rng *r, const il_trunc_normal *t, float *out, size_t n)
{
    size_t chunk = n < F32_PIECE ? n : F32_PIECE;
    double *buf;

    if (r->type->fill_trunc_normal && trunc_mass(t) >= 0.5) {
        assert(r->type->fill_trunc_normal_f32); /* the pair is the type's promise */
        r->type->fill_trunc_normal_f32(r->state, t, out, n);
        return IL_OK;
    }
    if (n == 0)
        return IL_OK;
    buf = il_malloc_n(chunk, sizeof *buf);
    if (!buf)
        return IL_ENOMEM;
    /* uniforms in pieces are the uniforms of one fill, in order */
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        il_rng_fill_double(r, buf, k);
        il__trunc_normal_from_uniform(t, buf, buf, k);
        for (size_t i = 0; i < k; i++)
            out[off + i] = (float)buf[i];
    }
    il_free(buf);
    return IL_OK;
}
