/* SPDX-License-Identifier: MIT */
/*
 * The statistics' block kernel (block.h), as a template: block.c,
 * block_v3.c and block_v4.c each include it once, naming the function
 * (IL_STATS_BLOCK_FN) and compiled for their instruction set.
 *
 * One block in vectors of VL doubles: GCC vector extensions, so that one
 * source serves every instruction set. Each reduction has VL independent
 * accumulators, reduced in a fixed order, and no operation is contracted:
 * so the AVX-512, AVX2 and baseline builds give the same bits. The bin of
 * every value is computed in the vector pass, values outside [lo, hi]
 * going to two extra bins; only the increments are scalar, spread over
 * partial histograms so that runs of one bin do not wait on each other.
 */
#include <string.h>

#include "block.h"
#include "internal/simd.h"

#ifndef IL_STATS_BLOCK_FN
#error "define IL_STATS_BLOCK_FN before including block_impl.h"
#endif

#define VL ((size_t)8) /* lanes of the vector accumulators */

typedef double vd __attribute__((vector_size(VL * sizeof(double))));
typedef long long vl __attribute__((vector_size(VL * sizeof(long long))));
typedef int vi __attribute__((vector_size(VL * sizeof(int))));

#ifdef IL_STATS_BLOCK_MERGE
/* Chan, Golub & LeVeque's pairwise update. */
void il__stats_merge_moments(il__stats_part *p, size_t n, double mean, double m2)
{
    double total = (double)(p->n_finite + n), delta = mean - p->mean;
    p->mean += delta * ((double)n / total);
    p->m2 += m2 + delta * delta * ((double)p->n_finite * (double)n / total);
    p->n_finite += n;
}
#endif

/* Lane-wise selection and masking: 'm' is all ones or all zeros per lane. */
#define SELECT(m, a, b) ((vd)(((vl)(a) & (m)) | ((vl)(b) & ~(m))))
#define KEEP(m, a)      ((vd)((vl)(a) & (m)))

/* The block's constants, broadcast, and its running vectors. */
typedef struct consts {
    vd zero, one, lo, hi, low, high, norm, step, lastd;
    vl bins, bins1;
} consts;
typedef struct accs {
    vd probe, sum, mn, mx;
    vl n_low, n_high, n_zero;
} accs;

IL_INLINE double sum_lanes(const vd *v)
{
    const vd a = *v;
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

IL_INLINE size_t count_lanes(const vl *v)
{
    const vl a = *v;
    return (size_t)(((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])));
}

/* Truncation of values in [0, 2^31) to integers, as integers and as
 * doubles. */
IL_INLINE void trunc_lanes(const vd *t, vl *k, vd *kd)
{
#if defined(__AVX512DQ__)
    *k = __builtin_convertvector(*t, vl);
    *kd = __builtin_convertvector(*k, vd);
#else
    vi k32 = __builtin_convertvector(*t, vi);
    *k = __builtin_convertvector(k32, vl);
    *kd = __builtin_convertvector(k32, vd);
#endif
}

/* Pass 1 on one vector: finiteness probe (x - x is 0 for finite x, NaN
 * otherwise), extremes, sum, threshold counts, and each value's bin into
 * 'idx'. Lanes outside 'keep' (all ones but in the last vector) count for
 * nothing. */
IL_INLINE void measure(accs *a, const consts *c, const vd *vp, const vl *keep, long long *idx)
{
    const vd v = *vp;
    vd t, kd, e0, e1;
    vl k, dec, inc;

    a->probe += KEEP(*keep, v - v);
    a->sum += KEEP(*keep, v);
    a->mn = SELECT(*keep & (vl)(v < a->mn), v, a->mn);
    a->mx = SELECT(*keep & (vl)(a->mx < v), v, a->mx);
    a->n_low -= *keep & (vl)(v < c->low);
    a->n_high -= *keep & (vl)(c->high < v);
    a->n_zero -= *keep & (vl)(v == c->zero);

    /* np.histogram's bin: truncate the clamped (v - lo) * norm, then
     * correct by one against the edges i * step + lo, exactly as
     * il_layer_stats_init computes them. (Edge 'bins' is hi itself, but
     * it is never looked at: no increment from the last bin.) Values
     * outside [lo, hi] go to bins 'bins' and 'bins' + 1. */
    t = (v - c->lo) * c->norm;
    t = KEEP((vl)(c->zero < t), t);
    t = SELECT((vl)(t < c->lastd), t, c->lastd);
    trunc_lanes(&t, &k, &kd);
    e0 = kd * c->step + c->lo;
    e1 = (kd + c->one) * c->step + c->lo;
    dec = (vl)(v < e0);       /* never at k = 0: v >= lo = edge 0 there */
    e1 = SELECT(dec, e0, e1); /* the edge above k - 1 is edge k */
    inc = (vl)(e1 <= v) & ((vl)(kd != c->lastd) | dec);
    k = k + dec - inc; /* the masks are -1 where true */
    k = (k & ~(vl)(v < c->lo)) | (c->bins & (vl)(v < c->lo));
    k = (k & ~(vl)(c->hi < v)) | (c->bins1 & (vl)(c->hi < v));
    memcpy(idx, &k, sizeof k);
}

int IL_STATS_BLOCK_FN(il__stats_part *p, size_t *lanes, size_t n_lanes, const il__hist_consts *h,
                      const double *b, size_t n)
{
    const vd zero = {0}, iota = {0, 1, 2, 3, 4, 5, 6, 7};
    const vl all = ~(vl){0};
    const size_t stride = h->stride, full = n - n % VL;
    consts c;
    accs a;
    vd q0 = zero, q1 = zero, v;
    long long idx[IL_STATS_BLOCK];
    double mean, m2, bmin, bmax;
    size_t i;

    c.zero = zero;
    c.one = zero + 1.0;
    c.lo = zero + h->lo;
    c.hi = zero + h->hi;
    c.low = zero + h->low;
    c.high = zero + h->high;
    c.norm = zero + h->norm;
    c.step = zero + h->step;
    c.lastd = zero + h->lastd;
    c.bins = (vl){0} + (long long)h->binsd;
    c.bins1 = c.bins + 1;
    a.probe = a.sum = zero;
    a.mn = zero + p->min;
    a.mx = zero + p->max;
    a.n_low = a.n_high = a.n_zero = (vl){0};

    /* Pass 1, full vectors, then the rest masked. */
    for (i = 0; i < full; i += VL) {
        memcpy(&v, b + i, sizeof v);
        measure(&a, &c, &v, &all, idx + i);
    }
    if (i < n) {
        const vl keep = (vl)(iota < (double)(n - i));
        double tail[VL] = {0};
        memcpy(tail, b + i, (n - i) * sizeof *tail);
        memcpy(&v, tail, sizeof v);
        measure(&a, &c, &v, &keep, idx + i);
    }
    if (sum_lanes(&a.probe) != 0.0)
        return 0;

    /* Pass 2: squared deviations from the block's mean, in two chains. */
    mean = sum_lanes(&a.sum) / (double)n;
    for (i = 0; i + 2 * VL <= full; i += 2 * VL) {
        vd w, d, e;
        memcpy(&v, b + i, sizeof v);
        memcpy(&w, b + i + VL, sizeof w);
        d = v - mean;
        e = w - mean;
        q0 += d * d;
        q1 += e * e;
    }
    for (; i < n; i += VL) {
        const vl keep = (vl)(iota < (double)(n - i));
        double tail[VL] = {0};
        vd d;
        memcpy(tail, b + i, (n - i < VL ? n - i : VL) * sizeof *tail);
        memcpy(&v, tail, sizeof v);
        d = v - mean;
        q0 += KEEP(keep, d * d);
    }
    q0 += q1;
    m2 = sum_lanes(&q0);

    /* Pass 3: the increments, value i into partial histogram i % n_lanes. */
    if (n_lanes == 8) {
        for (i = 0; i + 8 <= n; i += 8)
            for (size_t l = 0; l < 8; l++)
                lanes[l * stride + (size_t)idx[i + l]]++;
    } else {
        for (i = 0; i + 2 <= n; i += 2) {
            lanes[(size_t)idx[i]]++;
            lanes[stride + (size_t)idx[i + 1]]++;
        }
    }
    for (; i < n; i++)
        lanes[(size_t)idx[i]]++;

    bmin = a.mn[0];
    bmax = a.mx[0];
    for (size_t l = 1; l < VL; l++) {
        bmin = a.mn[l] < bmin ? a.mn[l] : bmin;
        bmax = a.mx[l] > bmax ? a.mx[l] : bmax;
    }
    p->min = bmin;
    p->max = bmax;
    p->n_low += count_lanes(&a.n_low);
    p->n_high += count_lanes(&a.n_high);
    p->n_zero += count_lanes(&a.n_zero);
    il__stats_merge_moments(p, n, mean, m2);
    return 1;
}
