/* SPDX-License-Identifier: MIT */
/*
 * The statistics' block kernel (block.h), as a template: block.c and
 * block_v3.c each include it once, naming the function (IL_STATS_BLOCK_FN)
 * and compiled for their instruction set. (block_v4.c is the same kernel
 * in AVX-512 intrinsics: it says why.)
 *
 * One block in sets of VL = 8 lanes, each set NV of the hardware's vectors
 * (GCC vector extensions, so that one source serves SSE2, AVX2 and other
 * machines). Each reduction has VL independent accumulators, reduced in a
 * fixed order, and no operation is contracted: so every variant gives the
 * same bits. The bin of every value is computed in the vector pass, values
 * outside [lo, hi] going to two extra bins; only the increments are
 * scalar, spread over partial histograms so that runs of one bin do not
 * wait on each other.
 */
#include <stdint.h>
#include <string.h>

#include "block.h"
#include "internal/simd.h"

#ifndef IL_STATS_BLOCK_FN
#error "define IL_STATS_BLOCK_FN before including block_impl.h"
#endif

#define VL ((size_t)8) /* lanes of every accumulator, in every variant */

/* The hardware's vectors: VW doubles, NV of them per lane set. (Vectors
 * wider than the hardware's, GCC 12 compares lane by lane in scalar code.) */
#if defined(__AVX2__)
#define VW 4
#else
#define VW 2
#endif
#define NV (VL / VW)

typedef double vd __attribute__((vector_size(VW * sizeof(double))));
typedef long long vl __attribute__((vector_size(VW * sizeof(long long))));
typedef int vi __attribute__((vector_size(VW * sizeof(int))));

#ifdef IL_STATS_BLOCK_MERGE
/* Chan, Golub & LeVeque's pairwise update. */
void il__stats_merge_moments(il__stats_part *p, size_t n, double mean, double m2)
{
    double total = (double)(p->n_finite + n), delta = mean - p->mean;
    p->mean += delta * ((double)n / total);
    p->m2 += m2 + delta * delta * ((double)p->n_finite * (double)n / total);
    p->n_finite += n;
}

void il__stats_block_finish(il__stats_part *p, size_t *lanes, size_t n_lanes, size_t stride,
                            const long long *idx, size_t n, const double *mins, const double *maxs,
                            double mean, double m2)
{
    double bmin = mins[0], bmax = maxs[0];
    size_t i;

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

    for (size_t l = 1; l < 8; l++) {
        bmin = mins[l] < bmin ? mins[l] : bmin;
        bmax = maxs[l] > bmax ? maxs[l] : bmax;
    }
    p->min = bmin;
    p->max = bmax;
    il__stats_merge_moments(p, n, mean, m2);
}
#endif

/* Lane-wise selection and masking: 'm' is all ones or all zeros per lane. */
#define SELECT(m, a, b) ((vd)(((vl)(a) & (m)) | ((vl)(b) & ~(m))))
#define KEEP(m, a)      ((vd)((vl)(a) & (m)))

/* The block's constants, broadcast, and its running vectors: lane l of
 * the set is lane l % VW of vector l / VW. */
typedef struct consts {
    vd zero, one, lo, hi, low, high, norm, step, lastd;
    vl bins, bins1;
} consts;
typedef struct accs {
    vd probe[NV], sum[NV], mn[NV], mx[NV];
    vl n_low[NV], n_high[NV], n_zero[NV];
} accs;

IL_INLINE double sum_lanes(const vd *v)
{
    double a[VL];
    memcpy(a, v, sizeof a);
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

IL_INLINE size_t count_lanes(const vl *v)
{
    long long a[VL];
    memcpy(a, v, sizeof a);
    return (size_t)(((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])));
}

/* One hardware vector from x, which need not be aligned. (Loaded
 * straight into a register: copied through an array on the stack, the
 * halves' stores could not be forwarded to the whole's load.) */
IL_INLINE vd load(const double *x)
{
    vd v;
    memcpy(&v, x, sizeof v);
    return v;
}

/* Truncation of values in [0, 2^31) to integers, as integers and as
 * doubles. */
IL_INLINE void trunc_lanes(const vd *t, vl *k, vd *kd)
{
    vi k32 = __builtin_convertvector(*t, vi);
    *k = __builtin_convertvector(k32, vl);
    *kd = __builtin_convertvector(k32, vd);
}

/* Pass 1 on one hardware vector: finiteness probe (x - x is 0 for finite
 * x, NaN otherwise), extremes, sum, threshold counts, and each value's bin
 * into 'idx'. Lanes outside 'keep' (all ones but in the last vectors)
 * count for nothing. */
IL_INLINE void measure(accs *a, size_t j, const consts *c, vd v, const vl *keep, long long *idx)
{
    vd t, kd, e0, e1;
    vl k, dec, inc;

    a->probe[j] += KEEP(*keep, v - v);
    a->sum[j] += KEEP(*keep, v);
    a->mn[j] = SELECT(*keep & (vl)(v < a->mn[j]), v, a->mn[j]);
    a->mx[j] = SELECT(*keep & (vl)(a->mx[j] < v), v, a->mx[j]);
    a->n_low[j] -= *keep & (vl)(v < c->low);
    a->n_high[j] -= *keep & (vl)(c->high < v);
    a->n_zero[j] -= *keep & (vl)(v == c->zero);

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
    /* numpy tests v >= edge k + 1 after the decrement; after one, that
     * edge is e0 > v, so only undecremented lanes can go up, and for them
     * the edge is e1 (e1 >= e0: rounding is monotone). */
    dec = (vl)(v < e0); /* never at k = 0: v >= lo = edge 0 there */
    inc = (vl)(e1 <= v) & (vl)(kd != c->lastd);
    k = k + dec - inc; /* the masks are -1 where true */
    k = (k & ~(vl)(v < c->lo)) | (c->bins & (vl)(v < c->lo));
    k = (k & ~(vl)(c->hi < v)) | (c->bins1 & (vl)(c->hi < v));
    for (size_t l = 0; l < VW; l++)
        idx[l] = k[l];
}

/* The lanes of values x[0..n) that exist, for n < VL, and those values
 * with zeros after them. */
IL_INLINE void tail_lanes(const double *x, size_t n, vl keep[NV], vd v[NV])
{
    for (size_t l = 0; l < VL; l++) {
        keep[l / VW][l % VW] = l < n ? -1 : 0;
        v[l / VW][l % VW] = l < n ? x[l] : 0.0;
    }
}

int IL_STATS_BLOCK_FN(il__stats_part *p, size_t *lanes, size_t n_lanes, const il__hist_consts *h,
                      const double *b, size_t n)
{
    const vd zero = {0};
    const size_t full = n - n % VL;
    consts c;
    accs a;
    vd q0[NV], q1[NV], v[NV];
    vl all[NV], keep[NV];
    long long idx[IL_STATS_BLOCK];
    double mean, m2, mins[VL], maxs[VL];
    size_t i, j;

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
    for (j = 0; j < NV; j++) {
        all[j] = ~(vl){0};
        q0[j] = q1[j] = a.probe[j] = a.sum[j] = zero;
        a.mn[j] = zero + p->min;
        a.mx[j] = zero + p->max;
        a.n_low[j] = a.n_high[j] = a.n_zero[j] = (vl){0};
    }

    /* Pass 1, full sets of VL, then the rest masked. */
    for (i = 0; i < full; i += VL) {
        __builtin_prefetch((const void *)((uintptr_t)(b + i) + IL_STATS_AHEAD));
        for (j = 0; j < NV; j++)
            measure(&a, j, &c, load(b + i + j * VW), &all[j], idx + i + j * VW);
    }
    if (i < n) {
        tail_lanes(b + i, n - i, keep, v);
        for (j = 0; j < NV; j++)
            measure(&a, j, &c, v[j], &keep[j], idx + i + j * VW);
    }
    if (sum_lanes(a.probe) != 0.0)
        return 0;

    /* Pass 2: squared deviations from the block's mean, in two chains. */
    mean = sum_lanes(a.sum) / (double)n;
    for (i = 0; i + 2 * VL <= full; i += 2 * VL) {
        for (j = 0; j < NV; j++) {
            vd d = load(b + i + j * VW) - mean, e = load(b + i + VL + j * VW) - mean;
            q0[j] += d * d;
            q1[j] += e * e;
        }
    }
    for (; i < n; i += VL) {
        if (n - i >= VL) {
            for (j = 0; j < NV; j++) {
                v[j] = load(b + i + j * VW);
                keep[j] = all[j];
            }
        } else {
            tail_lanes(b + i, n - i, keep, v);
        }
        for (j = 0; j < NV; j++) {
            vd d = v[j] - mean;
            q0[j] += KEEP(keep[j], d * d);
        }
    }
    for (j = 0; j < NV; j++)
        q0[j] += q1[j];
    m2 = sum_lanes(q0);

    /* The increments, extremes and merge. */
    for (size_t l = 0; l < VL; l++) {
        mins[l] = a.mn[l / VW][l % VW];
        maxs[l] = a.mx[l / VW][l % VW];
    }
    p->n_low += count_lanes(a.n_low);
    p->n_high += count_lanes(a.n_high);
    p->n_zero += count_lanes(a.n_zero);
    il__stats_block_finish(p, lanes, n_lanes, h->stride, idx, n, mins, maxs, mean, m2);
    return 1;
}
