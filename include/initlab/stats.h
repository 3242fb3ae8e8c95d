/* SPDX-License-Identifier: MIT */
/*
 * Per-layer statistics in one streamed pass: moments, extremes, saturation
 * and zero fractions, non-finite counts, and a histogram that drops nothing.
 *
 * Usage:
 *     il_layer_stats s;
 *     il_layer_stats_init(&s, &cfg);         // allocates the bin counts
 *     il_layer_stats_add(&s, x, n);          // any number of times
 *     il_layer_stats_finish(&s);             // fills mean, std, fractions
 *     ... read s ...
 *     il_layer_stats_release(&s);
 *
 * Non-finite values (NaN, +Inf, -Inf) are counted, never binned, and left
 * out of the moments, extremes and fractions; the fractions are of the
 * finite values. The histogram follows np.histogram(x, bins, range=(lo, hi))
 * exactly (half-open bins, the last one closed, numpy's index computation),
 * and adds what numpy silently drops: the counts below lo and above hi.
 */
#ifndef INITLAB_STATS_H
#define INITLAB_STATS_H

#include <stddef.h>

#include "initlab/dtype.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Histograms may have at most this many bins. */
#define IL_HIST_MAX_BINS 100000

/* What makes values "near zero" and "near one" in every table and report
 * (frac_low, frac_high): the lecture's sigmoid saturation thresholds. */
#define IL_STATS_LOW  0.01
#define IL_STATS_HIGH 0.99

typedef struct il_stats_config {
    size_t bins;      /* 1..IL_HIST_MAX_BINS */
    double lo, hi;    /* finite, lo < hi */
    double low, high; /* saturation thresholds: frac_low counts x < low, frac_high x > high */
} il_stats_config;

/* The lecture's Visual: 30 bins over [0, 1]; sigmoid saturation below 0.01
 * and above 0.99. */
#define IL_STATS_CONFIG_LECTURE ((il_stats_config){30, 0.0, 1.0, 0.01, 0.99})

typedef struct il_layer_stats {
    /* Results (valid after il_layer_stats_finish). */
    size_t count;     /* values seen, finite or not */
    size_t nonfinite; /* n_nan + n_posinf + n_neginf */
    size_t n_nan, n_posinf, n_neginf;
    double mean, std; /* population std (ddof = 0) of the finite values; NAN if none */
    double min, max;  /* of the finite values; NAN if none */
    double frac_low, frac_high, frac_zero; /* of the finite values; NAN if none */
    /* The histogram. */
    size_t bins;
    double lo, hi;
    size_t *counts; /* 'bins' entries; owned, freed by il_layer_stats_release */
    size_t below, above;

    /* Accumulators, private to stats.c. */
    size_t n_finite, n_low, n_high, n_zero;
    double acc_mean, acc_m2;
    double low, high;
    double *edges; /* bins + 1 edges, as np.linspace(lo, hi, bins + 1) */
    /* Workspace, made by il_layer_stats_init so that adding allocates
     * nothing: partial histograms per thread and lane, and the summaries
     * of one round of parts. */
    size_t *lanes;
    size_t n_lanes, n_threads;
    struct il__stats_part *parts;
} il_layer_stats;

/* Check a configuration: IL_EINVAL (bins 0, lo >= hi, non-finite ends) or
 * IL_ELIMIT (more than IL_HIST_MAX_BINS bins). */
il_status il_stats_config_check(const il_stats_config *cfg);

/* Prepare 's' for 'cfg'. IL_ENOMEM, or the errors of il_stats_config_check. */
il_status il_layer_stats_init(il_layer_stats *s, const il_stats_config *cfg);

/* The bytes il_layer_stats_init allocates for 'cfg' (with the struct
 * itself), for memory estimates; 0 for a bad configuration. */
size_t il_layer_stats_bytes(const il_stats_config *cfg);

/* Forget everything added, keep the configuration. */
void il_layer_stats_reset(il_layer_stats *s);

/* Add 'n' values. Large inputs are measured on OpenMP threads (at most as
 * many as omp_get_max_threads() gave when 's' was initialised); the result
 * is the same, to the bit, for any number of threads. */
void il_layer_stats_add(il_layer_stats *s, const double *x, size_t n);

/* A transformation applied in place to x[0..n), which are the values
 * x_all[offset .. offset + n) of the whole input. Calls on disjoint pieces
 * may run at the same time on different threads. */
typedef void (*il_stats_map_fn)(void *ctx, double *x, size_t offset, size_t n);

/* Apply 'map' to x[0..n) in pieces and add each piece as soon as it is
 * made, while it is in cache: the values added are those that
 * map(ctx, x, 0, n) followed by il_layer_stats_add(s, x, n) would give, and
 * so are the statistics. 'x' holds the transformed values afterwards.
 * With a NULL 'map' it is il_layer_stats_add. */
void il_layer_stats_add_mapped(il_layer_stats *s, double *x, size_t n, il_stats_map_fn map,
                               void *ctx);

/* Add n values that are never stored whole: make(ctx, out, offset, k)
 * writes values offset .. offset + k - 1 into out (k <= 4096; 'out' is
 * scratch, its old contents meaningless). The statistics are those of
 * il_layer_stats_add on the same values, to the bit. */
void il_layer_stats_add_made(il_layer_stats *s, size_t n, il_stats_map_fn make, void *ctx);

/* Compute the results from what was added. Call it once, after the last
 * il_layer_stats_add; il_layer_stats_reset starts over. */
void il_layer_stats_finish(il_layer_stats *s);

/* Release the counts; 's' may then be initialised again. */
void il_layer_stats_release(il_layer_stats *s);

/* The rows' correlation, as mean-field theory means it for two inputs:
 * the mean product of two different rows over the mean square of one,
 *     corr = sum_{a != b} y_a . y_b / ((rows - 1) sum_a y_a . y_a),
 * for 'rows' x 'cols' values (row-major) of type 'dtype'. Uncentred, so
 * that rows sent to the same point give 1 and unrelated zero-mean rows 0.
 * One pass over the values: sum_{a != b} y_a . y_b is |sum_a y_a|^2 minus
 * sum_a |y_a|^2. Into *corr: NAN for fewer than two rows, rows of zeros
 * only, or a non-finite value. IL_ENOMEM (a column-sized scratch). */
il_status il_stats_row_corr(const void *y, il_dtype dtype, size_t rows, size_t cols, double *corr);

/* The book's smooth_curve (common/util.py), for drawing a noisy series
 * such as a training loss: a Kaiser window of length 11, beta 2, convolved
 * in "valid" mode over the series padded by reflection, so 'out' has 'n'
 * values like 'y' (and must not overlap it). n < 11: a copy. */
void il_smooth_curve(const double *y, size_t n, double *out);

#ifdef __cplusplus
}
#endif
#endif
