/* SPDX-License-Identifier: MIT */
/*
 * The block kernel for AVX-512 (compiled with -march=x86-64-v4), written
 * with intrinsics. block_impl.h's vector extensions cannot say "mask
 * register": GCC turns each comparison into a vector of ones and zeros,
 * a minimum into an exclusive-or blend, a count into compare, move,
 * subtract. Here a comparison is a mask, and masks drive minimum, maximum,
 * masked adds and moves: about 40 instructions per vector where GCC made
 * 62.
 *
 * It does what block_impl.h does, operation for operation where rounding
 * is involved (the same eight accumulators per reduction, reduced in the
 * same order, nothing contracted), so it gives the same bits; the tests
 * compare the two on every block length. Lanes past the end of a short
 * block are loaded as zeros and masked out of every result, as there.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "block.h"

#define VL ((size_t)8) /* doubles per vector */

/* Lanes i with i < n, for n <= VL. */
static __mmask8 first_lanes(size_t n)
{
    return (__mmask8)((1u << n) - 1u);
}

/* The lanes' sum, in block_impl.h's order. */
static double sum_lanes(__m512d v)
{
    double a[VL];
    _mm512_storeu_pd(a, v);
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

static size_t count_lanes(__m512i v)
{
    long long a[VL];
    _mm512_storeu_si512(a, v);
    return (size_t)(((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])));
}

/* Class bits of vfpclasspd: quiet NaN, +infinity, -infinity, signalling
 * NaN. */
#define NONFINITE 0x99

int il__stats_block_v4(il__stats_part *p, size_t *lanes, size_t n_lanes, const il__hist_consts *h,
                       const double *b, size_t n)
{
    const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0);
    const __m512d lo = _mm512_set1_pd(h->lo), hi = _mm512_set1_pd(h->hi);
    const __m512d low = _mm512_set1_pd(h->low), high = _mm512_set1_pd(h->high);
    const __m512d norm = _mm512_set1_pd(h->norm), step = _mm512_set1_pd(h->step);
    const __m512d lastd = _mm512_set1_pd(h->lastd);
    const __m512i ione = _mm512_set1_epi64(1), below = _mm512_set1_epi64((long long)h->binsd);
    const __m512i above = _mm512_add_epi64(below, ione);
    __m512d sum = zero, mn = _mm512_set1_pd(p->min), mx = _mm512_set1_pd(p->max);
    __m512d q0 = zero, q1 = zero, vmean;
    __m512i n_low = _mm512_setzero_si512(), n_high = n_low, n_zero = n_low;
    __mmask8 bad = 0;
    long long idx[IL_STATS_BLOCK];
    double mean, m2, mins[VL], maxs[VL];
    size_t i;

    /* Pass 1: probe, moments' sum, extremes, threshold counts, and each
     * value's bin (as in block_impl.h's measure, which says why). */
    for (i = 0; i < n; i += VL) {
        const __mmask8 keep = n - i >= VL ? (__mmask8)0xff : first_lanes(n - i);
        const __m512d v = _mm512_maskz_loadu_pd(keep, b + i);
        __m512d t, kd, e0, e1;
        __m512i k;
        __mmask8 dec, inc;

        _mm_prefetch((const char *)((uintptr_t)(b + i) + IL_STATS_AHEAD), _MM_HINT_T0);
        bad |= _mm512_mask_fpclass_pd_mask(keep, v, NONFINITE);
        sum = _mm512_add_pd(sum, v); /* the lanes past the end add +0 */
        mn = _mm512_mask_min_pd(mn, keep, v, mn);
        mx = _mm512_mask_max_pd(mx, keep, v, mx);
        n_low = _mm512_mask_add_epi64(n_low, _mm512_mask_cmp_pd_mask(keep, v, low, _CMP_LT_OQ),
                                      n_low, ione);
        n_high = _mm512_mask_add_epi64(n_high, _mm512_mask_cmp_pd_mask(keep, high, v, _CMP_LT_OQ),
                                       n_high, ione);
        n_zero = _mm512_mask_add_epi64(n_zero, _mm512_mask_cmp_pd_mask(keep, v, zero, _CMP_EQ_OQ),
                                       n_zero, ione);

        /* min(t, lastd) is t < lastd ? t : lastd, max(t, 0) is
         * t > 0 ? t : 0: block_impl.h's clamps. */
        t = _mm512_mul_pd(_mm512_sub_pd(v, lo), norm);
        t = _mm512_min_pd(_mm512_max_pd(t, zero), lastd);
        k = _mm512_cvttpd_epi64(t);
        kd = _mm512_cvtepi64_pd(k);
        e0 = _mm512_add_pd(_mm512_mul_pd(kd, step), lo);
        e1 = _mm512_add_pd(_mm512_mul_pd(_mm512_add_pd(kd, one), step), lo);
        dec = _mm512_cmp_pd_mask(v, e0, _CMP_LT_OQ);
        inc =
            _mm512_mask_cmp_pd_mask(_mm512_cmp_pd_mask(kd, lastd, _CMP_NEQ_OQ), e1, v, _CMP_LE_OQ);
        k = _mm512_mask_sub_epi64(k, dec, k, ione);
        k = _mm512_mask_add_epi64(k, inc, k, ione);
        k = _mm512_mask_mov_epi64(k, _mm512_cmp_pd_mask(v, lo, _CMP_LT_OQ), below);
        k = _mm512_mask_mov_epi64(k, _mm512_cmp_pd_mask(hi, v, _CMP_LT_OQ), above);
        _mm512_storeu_si512(idx + i, k);
    }
    if (bad)
        return 0;

    /* Pass 2: squared deviations from the block's mean, in two chains
     * over pairs of full vectors, then the rest in the first. */
    mean = sum_lanes(sum) / (double)n;
    vmean = _mm512_set1_pd(mean);
    for (i = 0; i + 2 * VL <= n; i += 2 * VL) {
        const __m512d d = _mm512_sub_pd(_mm512_loadu_pd(b + i), vmean);
        const __m512d e = _mm512_sub_pd(_mm512_loadu_pd(b + i + VL), vmean);
        q0 = _mm512_add_pd(q0, _mm512_mul_pd(d, d));
        q1 = _mm512_add_pd(q1, _mm512_mul_pd(e, e));
    }
    for (; i < n; i += VL) {
        const __mmask8 keep = n - i >= VL ? (__mmask8)0xff : first_lanes(n - i);
        const __m512d d = _mm512_sub_pd(_mm512_maskz_loadu_pd(keep, b + i), vmean);
        q0 = _mm512_mask_add_pd(q0, keep, q0, _mm512_mul_pd(d, d));
    }
    m2 = sum_lanes(_mm512_add_pd(q0, q1));

    /* The increments, extremes and merge, as block_impl.h's. */
    _mm512_storeu_pd(mins, mn);
    _mm512_storeu_pd(maxs, mx);
    p->n_low += count_lanes(n_low);
    p->n_high += count_lanes(n_high);
    p->n_zero += count_lanes(n_zero);
    il__stats_block_finish(p, lanes, n_lanes, h->stride, idx, n, mins, maxs, mean, m2);
    return 1;
}
