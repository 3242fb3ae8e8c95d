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
 */
#include <math.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/stats.h"

#define BLOCK 256
#define LANES 4 /* independent accumulators per reduction */

il_status il_stats_config_check(const il_stats_config *cfg)
{
    if (cfg->bins == 0 || !isfinite(cfg->lo) || !isfinite(cfg->hi) || !(cfg->lo < cfg->hi) ||
        !isfinite(cfg->hi - cfg->lo))
        return IL_EINVAL;
    if (cfg->bins > IL_HIST_MAX_BINS)
        return IL_ELIMIT;
    return IL_OK;
}

il_status il_layer_stats_init(il_layer_stats *s, const il_stats_config *cfg)
{
    il_status st = il_stats_config_check(cfg);
    double step;

    memset(s, 0, sizeof *s);
    if (st != IL_OK)
        return st;
    s->counts = il_calloc(cfg->bins, sizeof *s->counts);
    s->lane_counts = il_calloc(cfg->bins, LANES * sizeof *s->lane_counts);
    s->edges = il_calloc(cfg->bins + 1, sizeof *s->edges);
    if (!s->counts || !s->lane_counts || !s->edges) {
        il_layer_stats_release(s);
        return IL_ENOMEM;
    }
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

/* Statistics of one block of values, in passes whose reductions run in
 * independent accumulators: a single running sum (or min, or bin
 * count) is a chain of dependent operations that runs at the adder's
 * latency, not its throughput. Returns 0, changing nothing, if the block
 * holds a NaN or an infinity. */
static inline size_t bin_of(double v, double lo, double norm, const double *edges, double lastd,
                            size_t last)
{
    /* np.histogram: truncate, then correct by one against the edges.
     * Clamping first keeps the conversion defined for values outside. */
    double t = (v - lo) * norm;
    size_t k;
    t = t > 0.0 ? t : 0.0;
    t = t < lastd ? t : lastd;
    k = (size_t)(long long)t;
    k -= (v < edges[k]) & (k > 0);
    k += (v >= edges[k + 1]) & (k != last);
    return k;
}

static int add_block(il_layer_stats *s, const double *b, size_t n, double norm)
{
    const double lo = s->lo, hi = s->hi, low = s->low, high = s->high;
    const double *edges = s->edges;
    const size_t bins = s->bins, last = bins - 1;
    const double lastd = (double)last;
    size_t *h0 = s->lane_counts, *h1 = h0 + bins, *h2 = h1 + bins, *h3 = h2 + bins;
    double mn0 = s->min, mn1 = mn0, mx0 = s->max, mx1 = mx0;
    double s0 = 0, s1 = 0, s2 = 0, p0 = 0, p1 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
    size_t n_low = 0, n_high = 0, n_zero = 0, below = 0, above = 0, i;
    double mean, block_m2, delta, total;

    /* Pass 1: finiteness probe (x - x is 0 for finite x, NaN otherwise),
     * extremes, sum and the threshold counts. */
    for (i = 0; i + 2 <= n; i += 2) {
        double u = b[i], v = b[i + 1];
        p0 += u - u;
        p1 += v - v;
        mn0 = u < mn0 ? u : mn0;
        mn1 = v < mn1 ? v : mn1;
        mx0 = u > mx0 ? u : mx0;
        mx1 = v > mx1 ? v : mx1;
        s0 += u;
        s1 += v;
        n_low += (size_t)(u < low) + (size_t)(v < low);
        n_high += (size_t)(u > high) + (size_t)(v > high);
        n_zero += (size_t)(u == 0.0) + (size_t)(v == 0.0);
    }
    if (i < n) {
        double u = b[i];
        p0 += u - u;
        mn0 = u < mn0 ? u : mn0;
        mx0 = u > mx0 ? u : mx0;
        s2 += u;
        n_low += u < low;
        n_high += u > high;
        n_zero += u == 0.0;
    }
    if (p0 + p1 != 0.0)
        return 0;

    /* Pass 2: the histogram, in four partial histograms so that runs of
     * values in one bin do not wait on each other's increments. */
    for (i = 0; i + 4 <= n; i += 4) {
        double v0 = b[i], v1 = b[i + 1], v2 = b[i + 2], v3 = b[i + 3];
        h0[bin_of(v0, lo, norm, edges, lastd, last)] += (v0 >= lo) & (v0 <= hi);
        h1[bin_of(v1, lo, norm, edges, lastd, last)] += (v1 >= lo) & (v1 <= hi);
        h2[bin_of(v2, lo, norm, edges, lastd, last)] += (v2 >= lo) & (v2 <= hi);
        h3[bin_of(v3, lo, norm, edges, lastd, last)] += (v3 >= lo) & (v3 <= hi);
        below += (size_t)(v0 < lo) + (size_t)(v1 < lo) + (size_t)(v2 < lo) + (size_t)(v3 < lo);
        above += (size_t)(v0 > hi) + (size_t)(v1 > hi) + (size_t)(v2 > hi) + (size_t)(v3 > hi);
    }
    for (; i < n; i++) {
        double v = b[i];
        h0[bin_of(v, lo, norm, edges, lastd, last)] += (v >= lo) & (v <= hi);
        below += v < lo;
        above += v > hi;
    }

    /* Pass 3: squared deviations from the block's mean. */
    mean = ((s0 + s1) + s2) / (double)n;
    for (i = 0; i + 4 <= n; i += 4) {
        double d0 = b[i] - mean, d1 = b[i + 1] - mean, d2 = b[i + 2] - mean, d3 = b[i + 3] - mean;
        q0 += d0 * d0;
        q1 += d1 * d1;
        q2 += d2 * d2;
        q3 += d3 * d3;
    }
    for (; i < n; i++) {
        double d = b[i] - mean;
        q0 += d * d;
    }
    block_m2 = (q0 + q1) + (q2 + q3);

    s->min = mn0 < mn1 ? mn0 : mn1;
    s->max = mx0 > mx1 ? mx0 : mx1;
    s->n_low += n_low;
    s->n_high += n_high;
    s->n_zero += n_zero;
    s->below += below;
    s->above += above;
    /* Chan, Golub & LeVeque: merge (n, mean, block_m2) into the totals. */
    total = (double)(s->n_finite + n);
    delta = mean - s->acc_mean;
    s->acc_mean += delta * ((double)n / total);
    s->acc_m2 += block_m2 + delta * delta * ((double)s->n_finite * (double)n / total);
    s->n_finite += n;
    return 1;
}

/* The blocks of x[0..n) into 's', in order (s->lane_counts collects the
 * histogram; the caller folds it into counts). */
static void add_blocks(il_layer_stats *s, const double *x, size_t n)
{
    const double norm = (double)s->bins / (s->hi - s->lo);
    double block[BLOCK];

    for (size_t start = 0; start < n; start += BLOCK) {
        size_t len = n - start < BLOCK ? n - start : BLOCK, nb = 0;
        const double *p = x + start;

        if (add_block(s, p, len, norm))
            continue;
        /* Rare: set the non-finite values apart and count them. */
        for (size_t i = 0; i < len; i++) {
            double v = p[i];
            if (isfinite(v))
                block[nb++] = v;
            else if (isnan(v))
                s->n_nan++;
            else if (v > 0)
                s->n_posinf++;
            else
                s->n_neginf++;
        }
        if (nb)
            add_block(s, block, nb, norm);
    }
}

/* Merge part 'p' (its own totals, its histogram in p->lane_counts) into 's'. */
static void merge_part(il_layer_stats *s, const il_layer_stats *p)
{
    double total, delta;
    s->min = p->min < s->min ? p->min : s->min;
    s->max = p->max > s->max ? p->max : s->max;
    s->n_low += p->n_low;
    s->n_high += p->n_high;
    s->n_zero += p->n_zero;
    s->below += p->below;
    s->above += p->above;
    s->n_nan += p->n_nan;
    s->n_posinf += p->n_posinf;
    s->n_neginf += p->n_neginf;
    if (p->lane_counts != s->lane_counts) /* else it counted into ours */
        for (size_t k = 0; k < LANES * s->bins; k++)
            s->lane_counts[k] += p->lane_counts[k];
    if (p->n_finite == 0)
        return;
    total = (double)(s->n_finite + p->n_finite);
    delta = p->acc_mean - s->acc_mean;
    s->acc_mean += delta * ((double)p->n_finite / total);
    s->acc_m2 += p->acc_m2 + delta * delta * ((double)s->n_finite * (double)p->n_finite / total);
    s->n_finite += p->n_finite;
}

/* An empty part shaped like 's', counting into 'lanes' (cleared, unless
 * they are s's own: integer counts may go straight into the total). */
static void part_init(il_layer_stats *p, const il_layer_stats *s, size_t *lanes)
{
    *p = *s;
    p->lane_counts = lanes;
    if (lanes != s->lane_counts)
        memset(lanes, 0, LANES * s->bins * sizeof *lanes);
    p->count = p->nonfinite = p->n_nan = p->n_posinf = p->n_neginf = 0;
    p->n_finite = p->n_low = p->n_high = p->n_zero = p->below = p->above = 0;
    p->acc_mean = p->acc_m2 = 0.0;
    p->min = (double)INFINITY;
    p->max = -(double)INFINITY;
}

/* Large inputs are cut into parts of PART values. Each part is summarised
 * on its own (its blocks in order, from empty), and the parts are merged
 * in order: so the result is the same whether the parts ran on one thread
 * or many, and a part is large enough to be worth a thread. */
#define PART ((size_t)BLOCK * 512)

void il_layer_stats_add(il_layer_stats *s, const double *x, size_t n)
{
    size_t n_parts = (n + PART - 1) / PART, lanes = LANES * s->bins;
    il_layer_stats *parts = NULL;
    size_t *part_lanes = NULL;

    s->count += n;
    if (n_parts <= 1) {
        add_blocks(s, x, n);
    } else {
        parts = il_malloc_n(n_parts, sizeof *parts);
        part_lanes = parts ? il_malloc_n(n_parts, lanes * sizeof *part_lanes) : NULL;
        if (part_lanes) {
#pragma omp parallel for schedule(static)
            for (size_t p = 0; p < n_parts; p++) {
                size_t len = p + 1 < n_parts ? PART : n - p * PART;
                part_init(&parts[p], s, part_lanes + p * lanes);
                add_blocks(&parts[p], x + p * PART, len);
            }
            for (size_t p = 0; p < n_parts; p++)
                merge_part(s, &parts[p]);
        } else { /* no memory for the parts: the same parts, one at a time */
            il_layer_stats part;
            for (size_t p = 0; p < n_parts; p++) {
                part_init(&part, s, s->lane_counts);
                add_blocks(&part, x + p * PART, p + 1 < n_parts ? PART : n - p * PART);
                merge_part(s, &part);
            }
        }
        il_free(part_lanes);
        il_free(parts);
    }
    s->nonfinite = s->n_nan + s->n_posinf + s->n_neginf;
    for (size_t k = 0; k < s->bins; k++) {
        size_t c = 0;
        for (int l = 0; l < LANES; l++) {
            c += s->lane_counts[(size_t)l * s->bins + k];
            s->lane_counts[(size_t)l * s->bins + k] = 0;
        }
        s->counts[k] += c;
    }
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
    il_free(s->lane_counts);
    il_free(s->edges);
    s->lane_counts = NULL;
    s->counts = NULL;
    s->edges = NULL;
    s->bins = 0;
}
