/* SPDX-License-Identifier: MIT */
/*
 * Streamed per-layer statistics.
 *
 * Moments: values are taken in blocks; each block's mean and sum of squared
 * deviations are computed two-pass while the block is in cache, and blocks
 * are merged with Chan, Golub & LeVeque's pairwise update. That keeps the
 * accuracy of numpy's two-pass var (Welford-class error, no cancellation)
 * in a single pass over memory.
 * Histogram: numpy's np.histogram index computation (lib/histograms.py):
 * f = (x - lo) * (bins / (hi - lo)), truncated, then corrected by one
 * against the linspace edges.
 *
 * Speed: block_impl.h measures a block while it is in L1, in vectors, built
 * for AVX-512, AVX2 and the baseline. Large inputs are cut into parts
 * measured on threads and merged in order.
 */
#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "block.h"
#include "initlab/alloc.h"
#include "initlab/stats.h"

#define BLOCK IL_STATS_BLOCK
#define PART  ((size_t)BLOCK * 256) /* values per part: enough to be worth a thread */
#define ROUND 64                    /* parts summarised before they are merged */
#define PIECE 4096                  /* values per call of an il_stats_map_fn */

typedef il__stats_part part;
typedef il__hist_consts hist_consts;

/* The block kernel for this CPU. */
static il__stats_block_fn *block_kernel(void)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("bmi2"))
        return il__stats_block_v4;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("bmi2"))
        return il__stats_block_v3;
#endif
    return il__stats_block_generic;
}

il_status il_stats_config_check(const il_stats_config *cfg)
{
    if (cfg->bins == 0 || !isfinite(cfg->lo) || !isfinite(cfg->hi) || !(cfg->lo < cfg->hi) ||
        !isfinite(cfg->hi - cfg->lo))
        return IL_EINVAL;
    if (cfg->bins > IL_HIST_MAX_BINS)
        return IL_ELIMIT;
    return IL_OK;
}

/* Partial histograms per thread: enough that a run of values in one bin
 * (ReLU's zeros) is not a chain of dependent increments, few enough that
 * wide histograms stay small. Each has two more bins: below lo, above hi. */
static size_t lanes_for(size_t bins)
{
    return bins <= 4096 ? 8 : 2;
}

/* The threads a statistics object is made for: all that OpenMP offers. */
static size_t stats_threads(void)
{
#ifdef _OPENMP
    return (size_t)omp_get_max_threads();
#else
    return 1;
#endif
}

size_t il_layer_stats_bytes(const il_stats_config *cfg)
{
    size_t lanes, total;
    if (il_stats_config_check(cfg) != IL_OK)
        return 0;
    lanes = stats_threads() * lanes_for(cfg->bins) * (cfg->bins + 2);
    total = sizeof(il_layer_stats) + (2 * cfg->bins + 1) * sizeof(double) + lanes * sizeof(size_t) +
            ROUND * sizeof(part);
    return total;
}

il_status il_layer_stats_init(il_layer_stats *s, const il_stats_config *cfg)
{
    il_status st = il_stats_config_check(cfg);
    double step;
    size_t n_threads = stats_threads();

    memset(s, 0, sizeof *s);
    if (st != IL_OK)
        return st;
    s->n_lanes = lanes_for(cfg->bins);
    s->counts = il_calloc(cfg->bins, sizeof *s->counts);
    s->edges = il_calloc(cfg->bins + 1, sizeof *s->edges);
    s->lanes = il_calloc(n_threads, s->n_lanes * (cfg->bins + 2) * sizeof *s->lanes);
    s->parts = il_calloc(ROUND, sizeof *s->parts);
    if (!s->counts || !s->edges || !s->lanes || !s->parts) {
        il_layer_stats_release(s);
        return IL_ENOMEM;
    }
    s->n_threads = n_threads;
    s->bins = cfg->bins;
    s->lo = cfg->lo;
    s->hi = cfg->hi;
    s->low = cfg->low;
    s->high = cfg->high;
    /* np.linspace(lo, hi, bins + 1): i * step + lo, the last edge exactly hi. */
    step = (cfg->hi - cfg->lo) / (double)cfg->bins;
    for (size_t i = 0; i < cfg->bins; i++)
        s->edges[i] = (double)i * step + cfg->lo;
    s->edges[cfg->bins] = cfg->hi;
    il_layer_stats_reset(s);
    return IL_OK;
}

void il_layer_stats_reset(il_layer_stats *s)
{
    s->count = s->nonfinite = s->n_nan = s->n_posinf = s->n_neginf = 0;
    s->n_finite = s->n_low = s->n_high = s->n_zero = 0;
    s->acc_mean = s->acc_m2 = 0.0;
    s->min = (double)INFINITY;
    s->max = -(double)INFINITY;
    s->below = s->above = 0;
    memset(s->counts, 0, s->bins * sizeof *s->counts);
    s->mean = s->std = s->frac_low = s->frac_high = s->frac_zero = (double)NAN;
}

/* The blocks of x[0..n), in order, into 'p' and 'lanes'. */
static void add_blocks(il__stats_block_fn *add_block, part *p, size_t *lanes, size_t n_lanes,
                       const hist_consts *h, const double *x, size_t n)
{
    double block[BLOCK];

    for (size_t start = 0; start < n; start += BLOCK) {
        size_t len = n - start < BLOCK ? n - start : BLOCK, nb = 0;
        const double *b = x + start;

        if (add_block(p, lanes, n_lanes, h, b, len))
            continue;
        /* Rare: set the non-finite values apart and count them. */
        for (size_t i = 0; i < len; i++) {
            double v = b[i];
            if (isfinite(v))
                block[nb++] = v;
            else if (isnan(v))
                p->n_nan++;
            else if (v > 0)
                p->n_posinf++;
            else
                p->n_neginf++;
        }
        if (nb)
            add_block(p, lanes, n_lanes, h, block, nb);
    }
}

/* Where the values come from: read from 'x'; or mapped in place in 'mx' by
 * 'fn'; or, if both are NULL, made by 'fn' piece by piece in a scratch
 * buffer. */
typedef struct source {
    const double *x;
    double *mx;
    il_stats_map_fn fn;
    void *ctx;
} source;

/* One part, from empty. Mapped or made values are measured piece by piece,
 * each straight after it is made, while it is in cache. PIECE is a
 * multiple of BLOCK: the blocks, and so the results, are those of reading
 * the same values from memory. */
static void add_part(il__stats_block_fn *add_block, part *p, size_t *lanes, size_t n_lanes,
                     const hist_consts *h, const source *src, size_t offset, size_t n)
{
    memset(p, 0, sizeof *p);
    p->min = (double)INFINITY;
    p->max = -(double)INFINITY;
    if (src->x) {
        add_blocks(add_block, p, lanes, n_lanes, h, src->x + offset, n);
    } else if (src->mx) {
        for (size_t start = 0; start < n; start += PIECE) {
            size_t len = n - start < PIECE ? n - start : PIECE;
            src->fn(src->ctx, src->mx + offset + start, offset + start, len);
            add_blocks(add_block, p, lanes, n_lanes, h, src->mx + offset + start, len);
        }
    } else {
        double scratch[PIECE] = {0}; /* 32 KiB once per part of 1 MiB */
        for (size_t start = 0; start < n; start += PIECE) {
            size_t len = n - start < PIECE ? n - start : PIECE;
            src->fn(src->ctx, scratch, offset + start, len);
            add_blocks(add_block, p, lanes, n_lanes, h, scratch, len);
        }
    }
}

static void merge_part(il_layer_stats *s, const part *p)
{
    s->min = p->min < s->min ? p->min : s->min;
    s->max = p->max > s->max ? p->max : s->max;
    s->n_low += p->n_low;
    s->n_high += p->n_high;
    s->n_zero += p->n_zero;
    s->n_nan += p->n_nan;
    s->n_posinf += p->n_posinf;
    s->n_neginf += p->n_neginf;
    if (p->n_finite) {
        part acc = {.n_finite = s->n_finite, .mean = s->acc_mean, .m2 = s->acc_m2};
        il__stats_merge_moments(&acc, p->n_finite, p->mean, p->m2);
        s->n_finite = acc.n_finite;
        s->acc_mean = acc.mean;
        s->acc_m2 = acc.m2;
    }
}

/* Part p of one add, measured by thread 'tid' into its slot of the
 * round (rounds start at multiples of ROUND). */
static void add_one_part(il_layer_stats *s, const source *src, size_t n, const hist_consts *h,
                         il__stats_block_fn *add_block, size_t p, size_t tid)
{
    const size_t n_parts = (n + PART - 1) / PART;
    add_part(add_block, &s->parts[p % ROUND], s->lanes + tid * s->n_lanes * h->stride, s->n_lanes,
             h, src, p * PART, p + 1 < n_parts ? PART : n - p * PART);
}

static void merge_round(il_layer_stats *s, size_t r0, size_t r1)
{
    for (size_t p = r0; p < r1; p++)
        merge_part(s, &s->parts[p % ROUND]);
}

/* Every value goes through a part: parts of PART values, each summarised
 * from empty, merged into the totals in order. So the result does not
 * depend on how the parts were shared among threads. Histogram counts are
 * integers and may be gathered per thread in any order. */
static void add_parts(il_layer_stats *s, const source *src, size_t n)
{
    const size_t n_parts = (n + PART - 1) / PART, stride = s->bins + 2;
    const size_t lane_elems = s->n_lanes * stride;
    size_t n_threads = s->n_threads < n_parts ? s->n_threads : n_parts;
    il__stats_block_fn *add_block = block_kernel();
    hist_consts h = {s->lo,
                     s->hi,
                     s->low,
                     s->high,
                     (double)s->bins / (s->hi - s->lo),
                     (s->hi - s->lo) / (double)s->bins,
                     (double)(s->bins - 1),
                     (double)s->bins,
                     stride};

    /* One part, or one thread: no parallel region at all, which also
     * starts no OpenMP threads for small inputs. (A region with an if()
     * clause was tried: under clang's libomp the next OpenBLAS dgemm, a
     * GOMP team, then waited forever on its workers.) The worksharing
     * stays inside this function's own region: orphaned, it would bind to
     * a caller's team (train runs its arms in one). */
    if (n_threads <= 1) {
        n_threads = 1;
        for (size_t r0 = 0; r0 < n_parts; r0 += ROUND) {
            size_t r1 = n_parts - r0 < ROUND ? n_parts : r0 + ROUND;
            for (size_t p = r0; p < r1; p++)
                add_one_part(s, src, n, &h, add_block, p, 0);
            merge_round(s, r0, r1);
        }
    } else {
#pragma omp parallel num_threads(n_threads)
        {
            size_t tid = 0;
#ifdef _OPENMP
            tid = (size_t)omp_get_thread_num();
#endif
            for (size_t r0 = 0; r0 < n_parts; r0 += ROUND) {
                size_t r1 = n_parts - r0 < ROUND ? n_parts : r0 + ROUND;
                /* one part at a time: cores may differ in speed */
#pragma omp for schedule(dynamic, 1)
                for (size_t p = r0; p < r1; p++)
                    add_one_part(s, src, n, &h, add_block, p, tid);
#pragma omp single
                merge_round(s, r0, r1);
            }
        }
    }

    /* Fold the partial histograms into the counts, and clear them. */
    for (size_t t = 0; t < n_threads; t++)
        for (size_t l = 0; l < s->n_lanes; l++) {
            size_t *c = s->lanes + t * lane_elems + l * stride;
            for (size_t k = 0; k < s->bins; k++)
                s->counts[k] += c[k];
            s->below += c[s->bins];
            s->above += c[s->bins + 1];
            memset(c, 0, stride * sizeof *c);
        }
    s->count += n;
    s->nonfinite = s->n_nan + s->n_posinf + s->n_neginf;
}

void il_layer_stats_add(il_layer_stats *s, const double *x, size_t n)
{
    source src = {x, NULL, NULL, NULL};
    add_parts(s, &src, n);
}

void il_layer_stats_add_mapped(il_layer_stats *s, double *x, size_t n, il_stats_map_fn map,
                               void *ctx)
{
    source src = {map ? NULL : x, x, map, ctx};
    add_parts(s, &src, n);
}

void il_layer_stats_add_made(il_layer_stats *s, size_t n, il_stats_map_fn make, void *ctx)
{
    source src = {NULL, NULL, make, ctx};
    add_parts(s, &src, n);
}

void il_layer_stats_finish(il_layer_stats *s)
{
    double nf = (double)s->n_finite;

    if (s->n_finite == 0) {
        s->mean = s->std = s->min = s->max = (double)NAN;
        s->frac_low = s->frac_high = s->frac_zero = (double)NAN;
        return;
    }
    s->mean = s->acc_mean;
    s->std = sqrt(s->acc_m2 / nf);
    s->frac_low = (double)s->n_low / nf;
    s->frac_high = (double)s->n_high / nf;
    s->frac_zero = (double)s->n_zero / nf;
}

void il_layer_stats_release(il_layer_stats *s)
{
    il_free(s->counts);
    il_free(s->edges);
    il_free(s->lanes);
    il_free(s->parts);
    s->counts = NULL;
    s->edges = NULL;
    s->lanes = NULL;
    s->parts = NULL;
    s->bins = 0;
}
