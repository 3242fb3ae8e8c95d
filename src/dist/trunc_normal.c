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
#include "internal/simd.h"

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

/* ---- the same inverse CDF, vectorised, for shared noise ---- */

/* From scripts/gen_erfinv_tables.py (its docstring says how): erf(y)/y
 * and exp(-t) by their series in t = y^2, and erfinv(x)/x to 9e-4 on
 * |x| <= CENTRAL. */
static const double ERF_SERIES[26] = {
    1.1283791670955126,      -0.37612638903183754,    0.11283791670955126,
    -0.026866170645131252,   0.0052239776254421879,   -0.00085483270234508533,
    0.00012055332981789664,  -1.492565035840625e-05,  1.6462114365889248e-06,
    -1.6365844691234924e-07, 1.4807192815879218e-08,  -1.2290555301717928e-09,
    9.4227590646504113e-11,  -6.7113668551641105e-12, 4.4632242632864775e-13,
    -2.7835162072109215e-14, 1.6342614095367152e-15,  -9.0639708428086728e-17,
    4.7633480405150683e-18,  -2.3784598852774293e-19, 1.1312187259246311e-20,
    -5.1362090545858109e-22, 2.2308786802746453e-23,  -9.2867290113190594e-25,
    3.7115328531632299e-26,  -1.4263930180784176e-27,
};
static const double EXP_SERIES[16] = {
    1,
    -1,
    0.5,
    -0.16666666666666666,
    0.041666666666666664,
    -0.0083333333333333332,
    0.0013888888888888889,
    -0.00019841269841269841,
    2.4801587301587302e-05,
    -2.7557319223985893e-06,
    2.7557319223985888e-07,
    -2.505210838544172e-08,
    2.08767569878681e-09,
    -1.6059043836821613e-10,
    1.1470745597729725e-11,
    -7.6471637318198164e-13,
};
static const double ERFINV_START[9] = {
    0.88636309900060328, 0.19213436278716975, 1.3030413642853109,
    -12.157497932020332, 60.770402235353458,  -160.6625481149874,
    233.47068202716883,  -175.6263877527696,  53.720792721430328,
};

/* |x| up to here (erfinv 1.534) is the vectorised erfinv's: truncations at
 * 2 std, Keras's and torch's defaults, stay within erf(sqrt 2) = 0.9545 */
#define CENTRAL 0.97

IL_INLINE double horner(const double *c, size_t n, double t)
{
    double s = c[n - 1];
#pragma GCC unroll 32
    for (size_t k = n - 1; k-- > 0;)
        s = s * t + c[k];
    return s;
}

/* erfinv(x) for |x| <= CENTRAL, without branches or calls, so that the
 * loop around it is vectorised: the polynomial start, then il__erfinv's
 * Halley steps, two (from 9e-4 they reach the rounding), on erf's series
 * (3e-16 relative on |y| <= 1.6, where il__erfinv calls erf and erfc). */
IL_INLINE double erfinv_central(double x)
{
    double ax = fabs(x);
    double y = ax * horner(ERFINV_START, sizeof ERFINV_START / sizeof ERFINV_START[0], ax * ax);
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++) {
        double t = y * y;
        double f = y * horner(ERF_SERIES, sizeof ERF_SERIES / sizeof ERF_SERIES[0], t) - ax;
        double df = 2.0 / SQRT_PI * horner(EXP_SERIES, sizeof EXP_SERIES / sizeof EXP_SERIES[0], t);
        y -= f / (df + y * f);
    }
    return copysign(y, x);
}

/* Values of a block of the vectorised transform */
#define BLOCK 256

/* The transform of u[0, len) into out, x = 2 u' - 1 kept in xs; returns
 * nonzero if some |x| is past CENTRAL (those values are not done yet).
 * Compiled for AVX-512, AVX2 and the baseline: without FMA contraction
 * (-ffp-contract=off) all three give the same bits. */
IL_CLONES static int central_block(const double *u, size_t len, const double *law, double *xs,
                                   double *out)
{
    const double lo = law[0], hi = law[1], scale = law[2], mean = law[3], a = law[4], b = law[5];
    int tails = 0;
    for (size_t i = 0; i < len; i++) {
        double x = u[i] * (hi - lo) + lo, v;
        double c = x < -CENTRAL ? -CENTRAL : (x > CENTRAL ? CENTRAL : x); /* not fmin: a call */
        xs[i] = x;
        tails |= fabs(x) > CENTRAL;
        v = erfinv_central(c) * scale + mean;
        out[i] = v < a ? a : (v > b ? b : v);
    }
    return tails;
}

void il__trunc_normal_from_uniform_fast(const il_trunc_normal *t, const double *u, double *out,
                                        size_t n)
{
    double mean = t->mean, a = t->a, b = t->b;
    double l = norm_cdf((a - mean) / t->std), h = norm_cdf((b - mean) / t->std);
    double lo = 2 * l - 1, hi = 2 * h - 1, scale = t->std * sqrt(2.0);
    const double law[6] = {lo, hi, scale, mean, a, b};

#pragma omp parallel for schedule(static) if (n >= PARALLEL_FROM)
    for (size_t b0 = 0; b0 < n; b0 += BLOCK) {
        size_t len = n - b0 < BLOCK ? n - b0 : BLOCK;
        double xs[BLOCK];
        if (central_block(u + b0, len, law, xs, out + b0)) /* out may be u: x is kept */
            for (size_t i = 0; i < len; i++)
                if (fabs(xs[i]) > CENTRAL) {
                    double v = il__erfinv(xs[i]) * scale + mean;
                    out[b0 + i] = v < a ? a : (v > b ? b : v);
                }
    }
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
