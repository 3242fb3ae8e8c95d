/* SPDX-License-Identifier: MIT */
/*
 * Per-layer statistics: moments against exact values, np.histogram's bin
 * rules, what the range drops, non-finite values.
 */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "initlab/stats.h"
#include "stats/block.h"
#include "test.h"

static il_stats_config cfg(size_t bins, double lo, double hi)
{
    return (il_stats_config){bins, lo, hi, 0.01, 0.99};
}

/* RELIABILITY.md row 30: offset + {4, 7, 13, 16} has variance 30 (the naive
 * formula gives -170.67 or 0). Population std = sqrt(22.5). */
static void variance_stability(void)
{
    const double offsets[] = {1e9, 1e12, 1e15};
    for (int k = 0; k < 3; k++) {
        il_layer_stats s;
        double x[4] = {offsets[k] + 4, offsets[k] + 7, offsets[k] + 13, offsets[k] + 16};
        il_stats_config c = cfg(10, 0, 1);
        REQUIRE(il_layer_stats_init(&s, &c) == IL_OK);
        il_layer_stats_add(&s, x, 4);
        il_layer_stats_finish(&s);
        CHECK_NEAR(s.std * s.std * 4.0 / 3.0, 30.0, 1e-9, 0);
        CHECK_BITS(s.mean, offsets[k] + 10);
        il_layer_stats_release(&s);
    }
}

/* Moments across block boundaries (the pass merges blocks of 256): compare
 * with a two-pass long double computation. */
static void moments_vs_two_pass(void)
{
    enum {
        N = 100003
    };
    static double x[N];
    long double sum = 0, ss = 0, mean;
    il_layer_stats s;
    il_stats_config c = cfg(30, -3, 3);
    uint64_t state = 88172645463325252ull;

    for (size_t i = 0; i < N; i++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17; /* xorshift64 */
        x[i] = 2.385 + (double)(state >> 11) * 0x1p-53 * 7.0;
        sum += (long double)x[i];
    }
    mean = sum / N;
    for (size_t i = 0; i < N; i++)
        ss += ((long double)x[i] - mean) * ((long double)x[i] - mean);
    REQUIRE(il_layer_stats_init(&s, &c) == IL_OK);
    /* in uneven pieces, to cross block boundaries at odd places */
    il_layer_stats_add(&s, x, 1);
    il_layer_stats_add(&s, x + 1, 300);
    il_layer_stats_add(&s, x + 301, N - 301);
    il_layer_stats_finish(&s);
    CHECK_EQ_U64(s.count, N);
    CHECK_NEAR(s.mean, (double)mean, 1e-15, 0);
    CHECK_NEAR(s.std, (double)sqrtl(ss / N), 1e-14, 0);
    il_layer_stats_release(&s);
}

/* np.histogram(x, 4, range=(0, 1)) with values on the edges:
 * x = [0, 0.25, 0.5, 0.75, 1, 0.3, -0.1, 1.5, 0.999999] gives counts
 * [1, 2, 1, 3] (the last bin is closed), and numpy drops -0.1 and 1.5,
 * which initlab counts as below and above. (np.histogram, numpy 1.24.2) */
static void histogram_edges(void)
{
    double x[9] = {0, 0.25, 0.5, 0.75, 1, 0.3, -0.1, 1.5, 0.999999};
    il_layer_stats s;
    il_stats_config c = cfg(4, 0, 1);
    REQUIRE(il_layer_stats_init(&s, &c) == IL_OK);
    il_layer_stats_add(&s, x, 9);
    il_layer_stats_finish(&s);
    CHECK_EQ_U64(s.counts[0], 1);
    CHECK_EQ_U64(s.counts[1], 2);
    CHECK_EQ_U64(s.counts[2], 1);
    CHECK_EQ_U64(s.counts[3], 3);
    CHECK_EQ_U64(s.below, 1);
    CHECK_EQ_U64(s.above, 1);
    CHECK_BITS(s.min, -0.1);
    CHECK_BITS(s.max, 1.5);
    il_layer_stats_release(&s);
}

/* Values one ulp either side of every interior edge of 30 bins over [0, 1]
 * land where numpy puts them: np.histogram(np.nextafter(e, +-inf), 30,
 * range=(0, 1)) puts the value just below edge k in bin k-1 and the value
 * on or just above it in bin k, with e = k * (1/30) (np.linspace). */
static void histogram_ulp_edges(void)
{
    il_layer_stats s;
    il_stats_config c = cfg(30, 0, 1);
    REQUIRE(il_layer_stats_init(&s, &c) == IL_OK);
    for (int k = 1; k < 30; k++) {
        double e = (double)k * (1.0 / 30.0);
        double v[3] = {nextafter(e, -1.0), e, nextafter(e, 2.0)};
        il_layer_stats_reset(&s);
        il_layer_stats_add(&s, v, 1);
        CHECK_EQ_U64(s.counts[k - 1], 1);
        il_layer_stats_reset(&s);
        il_layer_stats_add(&s, v + 1, 2);
        CHECK_EQ_U64(s.counts[k], 2);
    }
    il_layer_stats_release(&s);
}

static void fractions_and_zeros(void)
{
    double x[8] = {0.0, 0.0, 0.005, 0.5, 0.995, 1.0, -0.0, 0.3};
    il_layer_stats s;
    il_stats_config c = cfg(30, 0, 1);
    REQUIRE(il_layer_stats_init(&s, &c) == IL_OK);
    il_layer_stats_add(&s, x, 8);
    il_layer_stats_finish(&s);
    CHECK_BITS(s.frac_low, 4.0 / 8.0);  /* 0, 0, 0.005, -0 */
    CHECK_BITS(s.frac_high, 2.0 / 8.0); /* 0.995, 1 */
    CHECK_BITS(s.frac_zero, 3.0 / 8.0); /* 0, 0, -0 */
    il_layer_stats_release(&s);
}

/* RELIABILITY.md row 31: NaN and infinities counted apart, never binned,
 * left out of the moments. */
static void nonfinite(void)
{
    double x[7] = {(double)NAN, 0.25,        (double)INFINITY, -(double)INFINITY,
                   0.75,        (double)NAN, -(double)INFINITY};
    il_layer_stats s;
    il_stats_config c = cfg(2, 0, 1);
    REQUIRE(il_layer_stats_init(&s, &c) == IL_OK);
    il_layer_stats_add(&s, x, 7);
    il_layer_stats_finish(&s);
    CHECK_EQ_U64(s.count, 7);
    CHECK_EQ_U64(s.nonfinite, 5);
    CHECK_EQ_U64(s.n_nan, 2);
    CHECK_EQ_U64(s.n_posinf, 1);
    CHECK_EQ_U64(s.n_neginf, 2);
    CHECK_EQ_U64(s.counts[0] + s.counts[1], 2);
    CHECK_EQ_U64(s.below + s.above, 0);
    CHECK_BITS(s.mean, 0.5);
    CHECK_BITS(s.std, 0.25);
    CHECK_BITS(s.min, 0.25);
    CHECK_BITS(s.max, 0.75);
    il_layer_stats_release(&s);
}

static void empty_and_all_nonfinite(void)
{
    double x[2] = {(double)NAN, (double)INFINITY};
    il_layer_stats s;
    il_stats_config c = cfg(3, 0, 1);
    REQUIRE(il_layer_stats_init(&s, &c) == IL_OK);
    il_layer_stats_finish(&s);
    CHECK(isnan(s.mean) && isnan(s.std) && isnan(s.min) && isnan(s.frac_zero));
    il_layer_stats_reset(&s);
    il_layer_stats_add(&s, x, 2);
    il_layer_stats_finish(&s);
    CHECK_EQ_U64(s.nonfinite, 2);
    CHECK(isnan(s.mean) && isnan(s.max));
    il_layer_stats_release(&s);
}

static void config_errors(void)
{
    il_layer_stats s;
    il_stats_config c;
    c = cfg(0, 0, 1);
    CHECK(il_layer_stats_init(&s, &c) == IL_EINVAL);
    c = cfg(10, 1, 1);
    CHECK(il_layer_stats_init(&s, &c) == IL_EINVAL);
    c = cfg(10, 2, 1);
    CHECK(il_layer_stats_init(&s, &c) == IL_EINVAL);
    c = cfg(10, 0, (double)INFINITY);
    CHECK(il_layer_stats_init(&s, &c) == IL_EINVAL);
    c = cfg(10, (double)NAN, 1);
    CHECK(il_layer_stats_init(&s, &c) == IL_EINVAL);
    c = cfg(10, -DBL_MAX, DBL_MAX); /* the width overflows */
    CHECK(il_layer_stats_init(&s, &c) == IL_EINVAL);
    c = cfg(IL_HIST_MAX_BINS + 1, 0, 1);
    CHECK(il_layer_stats_init(&s, &c) == IL_ELIMIT);
    il_layer_stats_release(&s); /* safe after a failed init */
}

/* Inputs past one part (131072 values) are summarised part by part on
 * threads and merged in order: every thread count gives the same bits,
 * and the moments agree with a plain two-pass computation. */
static void threads_give_the_same_bits(void)
{
    static const int threads[] = {1, 2, 3, 8};
    size_t n = 1000003;
    double *x = malloc(n * sizeof *x), mean = 0, m2 = 0, want[4] = {0};
    il_stats_config c = cfg(30, -4, 4);
    REQUIRE(x);
    for (size_t i = 0; i < n; i++) /* a deterministic, skewed sequence */
        x[i] = sin((double)i * 0.001) * 3 + (double)(i % 7) * 0.01 +
               (i % 100003 == 0 ? (double)NAN : 0.0);
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        il_layer_stats s;
        omp_set_num_threads(threads[t]); /* init takes the thread count */
        REQUIRE(il_layer_stats_init(&s, &c) == IL_OK);
        CHECK_EQ_U64(s.n_threads, (uint64_t)threads[t]);
        il_layer_stats_add(&s, x, n);
        il_layer_stats_finish(&s);
        if (t == 0) {
            want[0] = s.mean;
            want[1] = s.std;
            want[2] = (double)s.counts[7];
            want[3] = (double)s.n_nan;
        } else {
            CHECK_BITS(s.mean, want[0]);
            CHECK_BITS(s.std, want[1]);
            CHECK_BITS((double)s.counts[7], want[2]);
        }
        il_layer_stats_release(&s);
    }
    CHECK(want[3] == 10.0); /* the NaNs at 0, 100003, ..., 900027 */
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            mean += x[i];
    mean /= (double)(n - 10);
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            m2 += (x[i] - mean) * (x[i] - mean);
    CHECK_NEAR(want[0], mean, 1e-13, 1e-15);
    CHECK_NEAR(want[1], sqrt(m2 / (double)(n - 10)), 1e-13, 0);
    omp_set_num_threads(omp_get_num_procs());
    free(x);
}

/* numpy's bin for v (lib/histograms.py, np.histogram with equal bins), in
 * plain scalar code: truncate, then correct by one against the edges. */
static long numpy_bin(const il_layer_stats *s, double v)
{
    double norm = (double)s->bins / (s->hi - s->lo), t;
    long k, last = (long)s->bins - 1;
    if (v < s->lo || v > s->hi)
        return -1;
    t = (v - s->lo) * norm;
    k = (long)t;
    if (k > last)
        k = last;
    if (v < s->edges[k])
        k--;
    if (v >= s->edges[k + 1] && k != last)
        k++;
    return k;
}

/* The vector kernel's histogram against numpy's rule computed value by
 * value, for ranges and bin counts of every kind (one bin; 7; 30; 5000,
 * which takes the two-lane path), with values on, and one ulp either side
 * of, every edge, at both ends, outside, and at random. */
static void histogram_matches_scalar_rule(void)
{
    static const struct {
        size_t bins;
        double lo, hi;
    } cases[] = {{1, 0, 1},     {7, -3, 2.5},          {30, 0, 1}, {30, -4, 4}, {13, 1e6, 1e6 + 3},
                 {5000, -1, 1}, {100, -1e-300, 1e-300}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        il_stats_config cf = {cases[c].bins, cases[c].lo, cases[c].hi, 0, 0};
        il_layer_stats s;
        size_t n = 0, cap = 6 * (cases[c].bins + 1) + 4099;
        size_t *want = calloc(cases[c].bins, sizeof *want), below = 0, above = 0;
        double *x = malloc(cap * sizeof *x);
        uint64_t r = 88172645463325252u;
        REQUIRE(want && x && il_layer_stats_init(&s, &cf) == IL_OK);
        for (size_t k = 0; k <= cases[c].bins; k++) {
            double e = s.edges[k];
            x[n++] = e;
            x[n++] = nextafter(e, -(double)INFINITY);
            x[n++] = nextafter(e, (double)INFINITY);
            x[n++] = nextafter(nextafter(e, (double)INFINITY), (double)INFINITY);
            x[n++] = e + (cases[c].hi - cases[c].lo) * 1e-9;
            x[n++] = e - (cases[c].hi - cases[c].lo) * 1e-9;
        }
        for (int i = 0; i < 4099; i++) { /* xorshift64: uniform over the range +-10% */
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            x[n++] = cases[c].lo +
                     (cases[c].hi - cases[c].lo) * (-0.1 + 1.2 * (double)(r >> 11) * 0x1p-53);
        }
        for (size_t i = 0; i < n; i++) {
            long k = numpy_bin(&s, x[i]);
            if (k >= 0)
                want[k]++;
            else if (x[i] < s.lo)
                below++;
            else
                above++;
        }
        il_layer_stats_add(&s, x, n);
        for (size_t k = 0; k < cases[c].bins; k++)
            CHECK_EQ_U64(s.counts[k], want[k]);
        CHECK_EQ_U64(s.below, below);
        CHECK_EQ_U64(s.above, above);
        il_layer_stats_release(&s);
        free(want);
        free(x);
    }
}

typedef il__stats_block_fn *block_ptr;

/* Data set 0: smooth values, some zeros. Data set 1: every edge of 'h'
 * and its neighbours one ulp either side, the ends, values outside, both
 * zeros, and the threshold values, then smooth values again. */
static void block_data(double *b, const il__hist_consts *h, int data)
{
    size_t i = 0;
    if (data == 1) {
        for (size_t e = 0; e <= (size_t)h->binsd && i + 3 <= IL_STATS_BLOCK; e++) {
            double edge = (double)e * h->step + h->lo;
            b[i++] = edge;
            b[i++] = nextafter(edge, -(double)INFINITY);
            b[i++] = nextafter(edge, (double)INFINITY);
        }
        b[i++] = h->hi;
        b[i++] = h->lo - 1;
        b[i++] = h->hi + 1;
        b[i++] = 0.0;
        b[i++] = -0.0;
        b[i++] = h->low;
        b[i++] = h->high;
    }
    for (; i < IL_STATS_BLOCK; i++)
        b[i] = sin((double)i * 0.7) * 4.5 + (i % 11 == 0 ? 0.0 : 0.1);
}

/* Every kernel in 'fns' gives what the first gives on b[0..n). */
static void block_kernels_agree_on(block_ptr fns[3], const il__hist_consts *h, const double *b,
                                   size_t n)
{
    il__stats_part want = {0};
    size_t want_lanes[8 * 32] = {0};
    want.min = (double)INFINITY;
    want.max = -(double)INFINITY;
    CHECK(fns[0](&want, want_lanes, 8, h, b, n) == 1);
    for (int f = 1; f < 3; f++) {
        il__stats_part p = {0};
        size_t lanes[8 * 32] = {0};
        if (!fns[f])
            continue;
        p.min = (double)INFINITY;
        p.max = -(double)INFINITY;
        CHECK(fns[f](&p, lanes, 8, h, b, n) == 1);
        CHECK(memcmp(&p, &want, sizeof p) == 0);
        CHECK(memcmp(lanes, want_lanes, sizeof lanes) == 0);
    }
}

/* The kernel compiled for AVX-512, AVX2 and the baseline gives the same
 * bits: every instruction set this CPU has, on blocks of every length up
 * to a full one, on smooth values and on edges, with a NaN (the block is
 * refused) and without. */
static void block_kernels_agree(void)
{
    block_ptr fns[3] = {il__stats_block_generic, NULL, NULL};
    il__hist_consts h = {-4, 4, -1, 1, 30 / 8.0, 8 / 30.0, 29, 30, 32};
    double b[IL_STATS_BLOCK];
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        fns[1] = il__stats_block_v3;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        fns[2] = il__stats_block_v4;
#endif
    for (int data = 0; data < 2; data++) {
        block_data(b, &h, data);
        for (size_t n = 1; n <= IL_STATS_BLOCK; n += n < 20 ? 1 : 37)
            block_kernels_agree_on(fns, &h, b, n);
    }
    b[IL_STATS_BLOCK - 3] = (double)NAN;
    for (int f = 0; f < 3; f++) {
        il__stats_part p = {0};
        size_t lanes[8 * 32] = {0};
        if (fns[f]) {
            CHECK(fns[f](&p, lanes, 8, &h, b, IL_STATS_BLOCK) == 0);
            CHECK(p.n_finite == 0 && lanes[0] == 0);
        }
    }
}

/* A map: x -> 2x + offset/1000 with a ReLU, which needs the offset. */
static void map_affine_relu(void *ctx, double *x, size_t offset, size_t n)
{
    const double *scale = ctx;
    for (size_t i = 0; i < n; i++) {
        double v = *scale * x[i] + (double)(offset + i) / 1000.0;
        x[i] = v > 0 ? v : 0;
    }
}

/* Statistics made inside a caller's parallel region (as train does, one
 * arm per thread): each thread's own object, small (one part) and large
 * (three parts), gives what it gives on its own. */
static void inside_a_parallel_region(void)
{
    static const size_t sizes[2] = {1000, 300007};
    double *x = malloc(sizes[1] * sizeof *x), want[2];
    il_stats_config c = cfg(30, -4, 4);
    int bad = 0;
    REQUIRE(x);
    for (size_t i = 0; i < sizes[1]; i++)
        x[i] = sin((double)i * 0.37) * 3;
    for (int k = 0; k < 2; k++) {
        il_layer_stats s;
        REQUIRE(il_layer_stats_init(&s, &c) == IL_OK);
        il_layer_stats_add(&s, x, sizes[k]);
        il_layer_stats_finish(&s);
        want[k] = s.std;
        il_layer_stats_release(&s);
    }
#pragma omp parallel num_threads(2) reduction(+ : bad)
    for (int k = 0; k < 2; k++) {
        il_layer_stats s;
        if (il_layer_stats_init(&s, &c) != IL_OK) {
            bad++;
            continue;
        }
        il_layer_stats_add(&s, x, sizes[k]);
        il_layer_stats_finish(&s);
        bad += memcmp(&s.std, &want[k], sizeof want[k]) != 0 || s.count != sizes[k];
        il_layer_stats_release(&s);
    }
    CHECK(bad == 0);
    free(x);
}

/* Values made from their index alone, for il_layer_stats_add_made. */
static void make_wave(void *ctx, double *out, size_t offset, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        out[i] = cos((double)(offset + i) * 0.013) * 2 - 0.3;
}

/* il_layer_stats_add_made gives what adding the same values from memory
 * gives, to the bit, past one part and with a partial last piece. */
static void made_add_equals_add(void)
{
    size_t n = 300007;
    double *x = malloc(n * sizeof *x);
    il_stats_config c = cfg(30, -2, 2);
    il_layer_stats a, b;
    REQUIRE(x);
    make_wave(NULL, x, 0, n);
    REQUIRE(il_layer_stats_init(&a, &c) == IL_OK);
    REQUIRE(il_layer_stats_init(&b, &c) == IL_OK);
    il_layer_stats_add_made(&a, n, make_wave, NULL);
    il_layer_stats_add(&b, x, n);
    il_layer_stats_finish(&a);
    il_layer_stats_finish(&b);
    CHECK_EQ_U64(a.count, n);
    CHECK_SAME_STATS(a, b);
    CHECK(il_layer_stats_bytes(&c) > 30 * 2 * sizeof(double));
    c.bins = 0;
    CHECK(il_layer_stats_bytes(&c) == 0);
    il_layer_stats_release(&a);
    il_layer_stats_release(&b);
    free(x);
}

/* il_layer_stats_add_mapped gives what mapping the whole input and then
 * adding it gives, to the bit, and leaves the mapped values in x. */
static void mapped_add_equals_map_then_add(void)
{
    size_t n = 300007;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), scale = 2.0;
    il_stats_config c = cfg(30, -4, 4);
    il_layer_stats a, b;
    REQUIRE(x && y);
    for (size_t i = 0; i < n; i++)
        x[i] = y[i] = cos((double)i * 0.013) * 2 - 0.3;
    REQUIRE(il_layer_stats_init(&a, &c) == IL_OK);
    REQUIRE(il_layer_stats_init(&b, &c) == IL_OK);
    il_layer_stats_add_mapped(&a, x, n, map_affine_relu, &scale);
    map_affine_relu(&scale, y, 0, n);
    il_layer_stats_add(&b, y, n);
    il_layer_stats_finish(&a);
    il_layer_stats_finish(&b);
    CHECK(memcmp(x, y, n * sizeof *x) == 0);
    CHECK_SAME_STATS(a, b);
    il_layer_stats_add_mapped(&a, x, 0, map_affine_relu, &scale); /* nothing to do */
    il_layer_stats_release(&a);
    il_layer_stats_release(&b);
    free(x);
    free(y);
}

/* il_stats_row_corr against the pairwise sum it stands for, in double and
 * float, and its undefined cases. */
static void row_corr_is_the_pairwise_mean(void)
{
    enum {
        ROWS = 7,
        COLS = 5
    };
    double y[ROWS * COLS], corr, cross = 0.0, sq = 0.0, nan_row[2 * COLS] = {0};
    float yf[ROWS * COLS];
    for (size_t i = 0; i < ROWS * COLS; i++) {
        y[i] = sin((double)i * 1.7) + 0.25; /* a common offset: the rows correlate */
        yf[i] = (float)y[i];
    }
    for (size_t a = 0; a < ROWS; a++)
        for (size_t b = 0; b < ROWS; b++)
            for (size_t j = 0; j < COLS; j++) {
                double p = y[a * COLS + j] * y[b * COLS + j];
                if (a == b)
                    sq += p;
                else
                    cross += p;
            }
    REQUIRE(il_stats_row_corr(y, IL_DTYPE_F64, ROWS, COLS, &corr) == IL_OK);
    CHECK_NEAR(corr, cross / ((ROWS - 1) * sq), 1e-14, 1e-15);
    /* the float copy: the same formula over the rounded values */
    REQUIRE(il_stats_row_corr(yf, IL_DTYPE_F32, ROWS, COLS, &corr) == IL_OK);
    CHECK_NEAR(corr, cross / ((ROWS - 1) * sq), 1e-6, 1e-7);
    /* one row: no pair; rows of zeros: no length; a NAN poisons it */
    REQUIRE(il_stats_row_corr(y, IL_DTYPE_F64, 1, COLS, &corr) == IL_OK);
    CHECK(isnan(corr));
    REQUIRE(il_stats_row_corr(nan_row, IL_DTYPE_F64, 2, COLS, &corr) == IL_OK);
    CHECK(isnan(corr));
    nan_row[3] = (double)NAN;
    REQUIRE(il_stats_row_corr(nan_row, IL_DTYPE_F64, 2, COLS, &corr) == IL_OK);
    CHECK(isnan(corr));
    /* two equal rows correlate fully; two opposite ones at -1 */
    {
        double same[4] = {1, -2, 1, -2}, opposite[4] = {1, -2, -1, 2};
        REQUIRE(il_stats_row_corr(same, IL_DTYPE_F64, 2, 2, &corr) == IL_OK);
        CHECK_NEAR(corr, 1.0, 1e-15, 0);
        REQUIRE(il_stats_row_corr(opposite, IL_DTYPE_F64, 2, 2, &corr) == IL_OK);
        CHECK_NEAR(corr, -1.0, 1e-15, 0);
    }
}

TEST_MAIN({"threads_give_the_same_bits", threads_give_the_same_bits},
          {"variance_stability", variance_stability}, {"moments_vs_two_pass", moments_vs_two_pass},
          {"histogram_edges", histogram_edges}, {"histogram_ulp_edges", histogram_ulp_edges},
          {"fractions_and_zeros", fractions_and_zeros}, {"nonfinite", nonfinite},
          {"empty_and_all_nonfinite", empty_and_all_nonfinite}, {"config_errors", config_errors},
          {"histogram_matches_scalar_rule", histogram_matches_scalar_rule},
          {"block_kernels_agree", block_kernels_agree},
          {"mapped_add_equals_map_then_add", mapped_add_equals_map_then_add},
          {"made_add_equals_add", made_add_equals_add},
          {"inside_a_parallel_region", inside_a_parallel_region},
          {"row_corr_is_the_pairwise_mean", row_corr_is_the_pairwise_mean})
