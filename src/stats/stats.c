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
    s->edges = il_calloc(cfg->bins + 1, sizeof *s->edges);
    if (!s->counts || !s->edges) {
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

static size_t bin_index(const il_layer_stats *s, double x, double norm)
{
    size_t n = s->bins;
    size_t i = (size_t)((x - s->lo) * norm);
    if (i >= n) /* x == hi lands on n; rounding can only move it by one */
        i = n - 1;
    if (x < s->edges[i] && i > 0)
        i--;
    else if (i != n - 1 && x >= s->edges[i + 1])
        i++;
    return i;
}

/* Merge a block of n finite values into the totals: two-pass mean and
 * squared deviations within the block, then Chan et al.'s pairwise update. */
static void merge_block(il_layer_stats *s, const double *b, size_t n)
{
    double sum = 0.0, m, m2 = 0.0, delta;
    size_t total = s->n_finite + n;

    for (size_t k = 0; k < n; k++)
        sum += b[k];
    m = sum / (double)n;
    for (size_t k = 0; k < n; k++)
        m2 += (b[k] - m) * (b[k] - m);
    delta = m - s->acc_mean;
    s->acc_mean += delta * ((double)n / (double)total);
    s->acc_m2 += m2 + delta * delta * ((double)s->n_finite * (double)n / (double)total);
    s->n_finite = total;
}

void il_layer_stats_add(il_layer_stats *s, const double *x, size_t n)
{
    /* Everything the loop updates lives in locals: the bin counts are
     * size_t like the struct's counters, so through 's' the compiler would
     * have to assume every count++ may change them. */
    const double lo = s->lo, hi = s->hi, low = s->low, high = s->high;
    const double norm = (double)s->bins / (hi - lo);
    size_t *counts = s->counts;
    double mn = s->min, mx = s->max;
    size_t n_low = 0, n_high = 0, n_zero = 0, below = 0, above = 0;
    size_t n_nan = 0, n_posinf = 0, n_neginf = 0;
    double block[BLOCK];
    size_t nb = 0;

    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v)) {
            n_nan += isnan(v) != 0;
            n_posinf += v == (double)INFINITY;
            n_neginf += v == -(double)INFINITY;
            continue;
        }
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        n_low += v < low;
        n_high += v > high;
        n_zero += v == 0.0;
        if (v < lo)
            below++;
        else if (v > hi)
            above++;
        else
            counts[bin_index(s, v, norm)]++;
        block[nb++] = v;
        if (nb == BLOCK) {
            merge_block(s, block, nb);
            nb = 0;
        }
    }
    if (nb)
        merge_block(s, block, nb);
    s->count += n;
    s->min = mn;
    s->max = mx;
    s->n_low += n_low;
    s->n_high += n_high;
    s->n_zero += n_zero;
    s->below += below;
    s->above += above;
    s->n_nan += n_nan;
    s->n_posinf += n_posinf;
    s->n_neginf += n_neginf;
    s->nonfinite = s->n_nan + s->n_posinf + s->n_neginf;
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
    s->counts = NULL;
    s->edges = NULL;
    s->bins = 0;
}
