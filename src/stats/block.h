/* SPDX-License-Identifier: MIT */
/*
 * The statistics' inner kernel: one block of values measured while it is in
 * L1. stats.c cuts the input into blocks and merges what they leave; the
 * kernel measures a block. It is compiled once per instruction set, and
 * stats.c picks one from the CPU's features: block_impl.h, a template in
 * GCC vector extensions, is block.c (the baseline) and block_v3.c
 * (-march=x86-64-v3); block_v4.c is the same kernel in AVX-512 intrinsics.
 * (GCC 12's target_clones lowers vector comparisons to scalar code before
 * the clone's target applies, so the instruction set has to come from the
 * command line.)
 */
#ifndef INITLAB_STATS_BLOCK_H
#define INITLAB_STATS_BLOCK_H

#include <stddef.h>

#define IL_STATS_BLOCK 512 /* values measured together */

/* Pass 1 asks for the memory IL_STATS_AHEAD bytes (two blocks) ahead of
 * what it reads. Blocks are mostly read in order, and between two blocks'
 * reads the increments leave the memory idle: without the hint, a thread
 * waited for each block and then computed on it (5.3 GB/s, one thread, on
 * the development machine); with it, a thread measures at its in-cache
 * speed (9.0 GB/s). A prefetch never faults, so running past the end of
 * the values is harmless. */
#define IL_STATS_AHEAD 8192

/* A block's, a part's or the totals' moments and counts. */
typedef struct il__stats_part {
    size_t n_finite, n_low, n_high, n_zero, n_nan, n_posinf, n_neginf;
    double mean, m2, min, max;
} il__stats_part;

/* What a block needs, in the form its loops use. */
typedef struct il__hist_consts {
    double lo, hi, low, high, norm, step, lastd, binsd;
    size_t stride; /* bins + 2: one partial histogram, then below lo, above hi */
} il__hist_consts;

/* Statistics of n <= IL_STATS_BLOCK values 'b' into 'p' (merged with
 * Chan, Golub & LeVeque's update) and the partial histograms 'lanes'
 * (value i into histogram i % n_lanes; n_lanes 8 or 2). Returns 0,
 * changing nothing, if the block holds a NaN or an infinity. Every variant
 * gives the same bits. */
typedef int il__stats_block_fn(il__stats_part *p, size_t *lanes, size_t n_lanes,
                               const il__hist_consts *h, const double *b, size_t n);

il__stats_block_fn il__stats_block_generic;
#if defined(__x86_64__)
il__stats_block_fn il__stats_block_v3, il__stats_block_v4;
#endif

/* Merge (n, mean, m2) into 'p'. */
void il__stats_merge_moments(il__stats_part *p, size_t n, double mean, double m2);

/* The scalar end of every kernel: value i's bin idx[i] counted into
 * partial histogram i % n_lanes (each 'stride' long), the extremes of the
 * 8 accumulator lanes 'mins', 'maxs' reduced in lane order into 'p', and
 * the block's (n, mean, m2) merged into it. */
void il__stats_block_finish(il__stats_part *p, size_t *lanes, size_t n_lanes, size_t stride,
                            const long long *idx, size_t n, const double *mins, const double *maxs,
                            double mean, double m2);

#endif
