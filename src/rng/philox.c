/* SPDX-License-Identifier: MIT */
/*
 * Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as
 * easy as 1, 2, 3", SC 2011): a counter-based generator. Block c of the
 * stream is philox(key, c), four 32-bit words, computed from c alone, so
 * any block can be had without the ones before it. A fill is therefore the
 * same for any number of threads and any split, and it vectorises: each
 * SIMD lane computes its own block.
 *
 * The key is the seed (low word, high word); the counter is the 64-bit
 * block number in words 0 and 1, words 2 and 3 zero (nonzero only in the
 * truncated normals' retry blocks).
 *
 * What the stream gives:
 *   u32          the words of block after block, in order;
 *   double       two words: ((w0 << 32 | w1) >> 11) * 2^-53, on [0, 1);
 *   f64 normals  Box-Muller on one block per pair: u1 from the top 52 bits
 *                of words 0-1 (on (0, 1], so |z| <= 8.49), u2 from those of
 *                words 2-3, r = sqrt(-2 ln u1), and the pair
 *                (r cos 2 pi u2, r sin 2 pi u2);
 *   f32 normals  Box-Muller in float, two pairs per block: u1 from 24 bits
 *                of word 0 (2), on (0, 1], so |z| <= 5.77; u2 from 24 bits
 *                of word 1 (3).
 *   truncated    (il_dist_fill_trunc_normal, for a cut keeping half the
 *   normals      mass or more) the f64 normals, each value rejected and
 *                retried on blocks of its own until it falls inside the
 *                cut (the layout: at RETRY_BLOCKS below).
 * A normal fill starts at a fresh block (words left in the current block
 * are dropped) and uses ceil(n / 2) blocks (f32: ceil(n / 4)); so does a
 * truncated one in the main stream.
 *
 * ln, sin and cos are evaluated here, branch-free, so that the compiler can
 * vectorise them and so that the numbers do not depend on the C library:
 * ln by fdlibm's method (m in [sqrt(1/2), sqrt(2)), s = f / (2 + f), a
 * degree-14 polynomial in s), sin and cos of 2 pi u by exact reduction of
 * u to a quarter turn and fdlibm's kernels on [-pi/4, pi/4]. The test
 * (test_philox) compares them with the C library over 10^6 points: ln is
 * within 1 ulp, the f64 normals within 4e-16 relative (plus 2e-16
 * absolute near zero), f32 normals within 2e-7 relative (plus 1e-7
 * absolute).
 *
 * A fill makes the blocks' words 512 blocks at a time (with AVX-512
 * intrinsics where the CPU has them), then transforms them; the transforms
 * are compiled for AVX-512, AVX2 and the baseline (target_clones). Fills
 * are split over OpenMP threads past 2^16 blocks.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "internal/rng_impl.h"
#include "internal/simd.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* blocks per thread's share before a fill is split over threads */
#define PARALLEL_BLOCKS ((uint64_t)1 << 16)
#define CHUNK_BLOCKS    4096

typedef struct philox_state {
    uint32_t key[2];
    uint64_t block;  /* the next block to compute */
    uint32_t buf[4]; /* the current block, for word-by-word draws */
    unsigned used;   /* words of buf handed out; 4: none left */
} philox_state;

/* Philox4x32-10 on counter (c0, c1, c2, c3) and key (k0, k1): ten rounds,
 * the key bumped between rounds. */
IL_INLINE void philox_rounds(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                             uint32_t k1, uint32_t *o0, uint32_t *o1, uint32_t *o2, uint32_t *o3)
{
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    *o0 = c0;
    *o1 = c1;
    *o2 = c2;
    *o3 = c3;
}

/* Block 'block' of the stream: the counter is (block lo, block hi, 0, 0). */
IL_INLINE void philox_block(uint64_t block, uint32_t k0, uint32_t k1, uint32_t *o0, uint32_t *o1,
                            uint32_t *o2, uint32_t *o3)
{
    philox_rounds((uint32_t)block, (uint32_t)(block >> 32), 0, 0, k0, k1, o0, o1, o2, o3);
}

/* The general form, any counter: for the known-answer test. */
void il__philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    philox_rounds(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1], &out[0], &out[1], &out[2],
                  &out[3]);
}

/* ---- ln, sin, cos: branch-free, for the vectoriser ---- */

IL_INLINE uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

IL_INLINE double double_of(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ln x for a normal, positive, finite x (here x in [2^-53, 1]). */
IL_INLINE double ln_pos(double x)
{
    static const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    static const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
                        Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
                        Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                        Lg7 = 1.479819860511658591e-01;
    uint64_t u = bits_of(x);
    /* x = m 2^k with m in [sqrt(1/2), sqrt(2)): adding the distance from
     * sqrt(2)'s mantissa to 2^52 carries into the exponent exactly when
     * the mantissa is past sqrt(2) (fdlibm's 0x95f64 trick, 64-bit wide). */
    uint64_t t = u + (0x3ff0000000000000ull - 0x3fe6a09e667f3bcdull);
    /* k = (t >> 52) - 1023 as a double, without an int64 conversion (which
     * AVX2 lacks): 2^52 + (t >> 52) is exact in the mantissa */
    double dk = double_of(0x4330000000000000ull | (t >> 52)) - (0x1p52 + 1023.0);
    double m = double_of((t & 0x000fffffffffffffull) + 0x3fe6a09e667f3bcdull);
    double f = m - 1.0, s = f / (2.0 + f), z = s * s, w = z * z;
    double t1 = w * (Lg2 + w * (Lg4 + w * Lg6)), t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    double hfsq = 0.5 * f * f;
    return dk * ln2_hi - ((hfsq - (s * (hfsq + t1 + t2) + dk * ln2_lo)) - f);
}

/* sin and cos of 2 pi u, u in [0, 1). 4u - round(4u) is exact, so the only
 * rounding before the kernels is the product with pi/2. */
IL_INLINE void sincos_turn(double u, double *s_out, double *c_out)
{
    static const double pio2 = 1.57079632679489661923;
    static const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
                        S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
                        S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
    static const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
                        C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
                        C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
    double q = 4.0 * u, k = floor(q + 0.5), x = (q - k) * pio2; /* k in 0..4 */
    double z = x * x;
    double sn = x + x * z * (S1 + z * (S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)))));
    double cs = 1.0 - 0.5 * z + z * z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
    /* The quadrant j = k mod 4 picks and signs the kernels. It is done in
     * arithmetic, not selects (which gcc 12 does not vectorise here); every
     * step is exact: j, odd, h, g are small integers, odd * x is x or 0. */
    double j = k - 4.0 * floor(0.25 * k), odd = j - 2.0 * floor(0.5 * j);
    double h = floor(0.5 * j), g = floor(0.5 * (j + 1.0)), g_odd = g - 2.0 * floor(0.5 * g);
    double a = odd * cs + (1.0 - odd) * sn, b = odd * sn + (1.0 - odd) * cs;
    *s_out = (1.0 - 2.0 * h) * a;     /* negative in quadrants 2, 3 */
    *c_out = (1.0 - 2.0 * g_odd) * b; /* negative in quadrants 1, 2 */
}

IL_INLINE float lnf_pos(float x)
{
    static const float ln2_hi = 6.9313812256e-01f, ln2_lo = 9.0580006145e-06f;
    static const float Lg1 = 0.66666662693f, Lg2 = 0.40000972152f, Lg3 = 0.28498786688f,
                       Lg4 = 0.24279078841f;
    uint32_t u, t;
    float m, f, s, z, w, hfsq, dk;
    int32_t k;
    memcpy(&u, &x, sizeof u);
    t = u + (0x3f800000u - 0x3f3504f3u);
    k = (int32_t)(t >> 23) - 0x7f;
    t = (t & 0x007fffffu) + 0x3f3504f3u;
    memcpy(&m, &t, sizeof m);
    f = m - 1.0f;
    s = f / (2.0f + f);
    z = s * s;
    w = z * z;
    hfsq = 0.5f * f * f;
    dk = (float)k;
    return dk * ln2_hi -
           ((hfsq - (s * (hfsq + z * (Lg1 + w * Lg3) + w * (Lg2 + w * Lg4)) + dk * ln2_lo)) - f);
}

IL_INLINE void sincosf_turn(float u, float *s_out, float *c_out)
{
    static const float pio2 = 1.57079632679f;
    static const float S1 = -0.166666666416f, S2 = 0.00833332938589f, S3 = -0.000198393348361f,
                       S4 = 0.00000271831149399f;
    static const float C1 = -0.499999997251f, C2 = 0.0416666233237f, C3 = -0.00138867637746f,
                       C4 = 0.0000243904487963f;
    float q = 4.0f * u, k = floorf(q + 0.5f), x = (q - k) * pio2, z = x * x;
    float sn = x + x * z * (S1 + z * (S2 + z * (S3 + z * S4)));
    float cs = 1.0f + z * (C1 + z * (C2 + z * (C3 + z * C4)));
    float j = k - 4.0f * floorf(0.25f * k), odd = j - 2.0f * floorf(0.5f * j);
    float h = floorf(0.5f * j), g = floorf(0.5f * (j + 1.0f)), g_odd = g - 2.0f * floorf(0.5f * g);
    float a = odd * cs + (1.0f - odd) * sn, b = odd * sn + (1.0f - odd) * cs;
    *s_out = (1.0f - 2.0f * h) * a;
    *c_out = (1.0f - 2.0f * g_odd) * b;
}

/* ---- block fills: out[] from blocks first .. first + n_blocks - 1 ---- */

/* Each block's four words, as two 64-bit halves: hi[i] = w0:w1 and
 * lo[i] = w2:w3 of block first + i. The fills below make them WORDS
 * blocks at a time, then transform them. */
#define WORDS 512

/* Four blocks per iteration: each block's ten rounds are one chain of
 * dependent multiplies, and four chains per vector keep the multipliers
 * busy (300 -> 365 M normals/s on one core here, before the AVX-512
 * version below). */
IL_CLONES static void words_generic(uint32_t k0, uint32_t k1, uint64_t first, size_t n,
                                    uint64_t *hi, uint64_t *lo)
{
    size_t quarter = n / 4;
#pragma omp simd
    for (size_t i = 0; i < quarter; i++)
        for (size_t j = 0; j < 4; j++) {
            uint32_t w0, w1, w2, w3;
            philox_block(first + 4 * i + j, k0, k1, &w0, &w1, &w2, &w3);
            hi[4 * i + j] = (uint64_t)w0 << 32 | w1;
            lo[4 * i + j] = (uint64_t)w2 << 32 | w3;
        }
    for (size_t i = 4 * quarter; i < n; i++) {
        uint32_t w0, w1, w2, w3;
        philox_block(first + i, k0, k1, &w0, &w1, &w2, &w3);
        hi[i] = (uint64_t)w0 << 32 | w1;
        lo[i] = (uint64_t)w2 << 32 | w3;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same with AVX-512, eight blocks a vector, four vectors in flight.
 * Each 32-bit word sits in the low half of a 64-bit lane, so that one
 * vpmuludq gives the whole product; the high halves are left holding
 * garbage (vpmuludq reads only the low ones) and are cut off at the end.
 * A round is then two multiplies, two shifts and two three-way XORs, where
 * the vectoriser's version of the scalar rounds shuffled words between
 * 32- and 64-bit lanes (uniform doubles on one core here: 4.0 ns a block
 * that way, 1.2 this way). */
__attribute__((target("avx512f"))) static void
words_avx512(uint32_t k0, uint32_t k1, uint64_t first, size_t n, uint64_t *hi, uint64_t *lo)
{
    const __m512i m0 = _mm512_set1_epi64(PHILOX_M0), m1 = _mm512_set1_epi64(PHILOX_M1);
    const __m512i low32 = _mm512_set1_epi64(0xffffffff),
                  iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    __m512i key0[10], key1[10];
    size_t i = 0;

    for (int r = 0; r < 10; r++) {
        key0[r] = _mm512_set1_epi64((uint32_t)(k0 + (uint32_t)r * PHILOX_W0));
        key1[r] = _mm512_set1_epi64((uint32_t)(k1 + (uint32_t)r * PHILOX_W1));
    }
    for (; i + 32 <= n; i += 32) {
        __m512i c0[4], c1[4], c2[4], c3[4];
        for (int v = 0; v < 4; v++) {
            const uint64_t block = first + i + 8 * (uint64_t)v; /* wraps as the scalar's does */
            __m512i ctr = _mm512_add_epi64(_mm512_set1_epi64((long long)block), iota);
            c0[v] = ctr; /* the low word: the high half is ignored */
            c1[v] = _mm512_srli_epi64(ctr, 32);
            c2[v] = c3[v] = _mm512_setzero_si512();
        }
        for (int r = 0; r < 10; r++)
            for (int v = 0; v < 4; v++) {
                __m512i p0 = _mm512_mul_epu32(c0[v], m0), p1 = _mm512_mul_epu32(c2[v], m1);
                /* 0x96: a ^ b ^ c */
                c0[v] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), c1[v], key0[r], 0x96);
                c2[v] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p0, 32), c3[v], key1[r], 0x96);
                c1[v] = p1;
                c3[v] = p0;
            }
        for (int v = 0; v < 4; v++) {
            /* 0xf8: a | (b & c) */
            __m512i h = _mm512_ternarylogic_epi64(_mm512_slli_epi64(c0[v], 32), c1[v], low32, 0xf8);
            __m512i l = _mm512_ternarylogic_epi64(_mm512_slli_epi64(c2[v], 32), c3[v], low32, 0xf8);
            _mm512_storeu_si512(hi + i + 8 * (size_t)v, h);
            _mm512_storeu_si512(lo + i + 8 * (size_t)v, l);
        }
    }
    if (i < n)
        words_generic(k0, k1, first + i, n - i, hi + i, lo + i);
}
#endif

/* The words of blocks first .. first + n - 1, n <= WORDS. */
static void philox_words(uint32_t k0, uint32_t k1, uint64_t first, size_t n, uint64_t *hi,
                         uint64_t *lo)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx512f")) {
        words_avx512(k0, k1, first, n, hi, lo);
        return;
    }
#endif
    words_generic(k0, k1, first, n, hi, lo);
}

/* two doubles per block */
IL_CLONES static void uniform_words(const uint64_t *hi, const uint64_t *lo, size_t n, double *out)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (double)(hi[i] >> 11) * 0x1p-53;
        out[2 * i + 1] = (double)(lo[i] >> 11) * 0x1p-53;
    }
}

/* a block's two f64 normals, from its halves hi = w0:w1 and lo = w2:w3 */
IL_INLINE void box_muller(uint64_t hi, uint64_t lo, double *z0, double *z1)
{
    double u1 = 2.0 - double_of(0x3ff0000000000000ull | (hi >> 12));
    double u2 = double_of(0x3ff0000000000000ull | (lo >> 12)) - 1.0;
    double r = sqrt(-2.0 * ln_pos(u1)), s, c;
    sincos_turn(u2, &s, &c);
    *z0 = r * c;
    *z1 = r * s;
}

/* two f64 normals per block */
IL_CLONES static void normal_words(const uint64_t *hi, const uint64_t *lo, size_t n, double *out)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        box_muller(hi[i], lo[i], &out[2 * i], &out[2 * i + 1]);
}

/* four f32 normals per block */
IL_CLONES static void normal_words_f32(const uint64_t *hi, const uint64_t *lo, size_t n, float *out)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        uint32_t w0 = (uint32_t)(hi[i] >> 32), w1 = (uint32_t)hi[i], w2 = (uint32_t)(lo[i] >> 32),
                 w3 = (uint32_t)lo[i];
        float u1, u2, u3, u4, r1, r2, s1, c1, s2, c2;
        /* 24-bit uniforms, converted as int32 (AVX2 has no uint32 form) */
        u1 = (float)(int32_t)((w0 >> 8) + 1) * 0x1p-24f; /* (0, 1] */
        u2 = (float)(int32_t)(w1 >> 8) * 0x1p-24f;       /* [0, 1) */
        u3 = (float)(int32_t)((w2 >> 8) + 1) * 0x1p-24f;
        u4 = (float)(int32_t)(w3 >> 8) * 0x1p-24f;
        r1 = sqrtf(-2.0f * lnf_pos(u1));
        r2 = sqrtf(-2.0f * lnf_pos(u3));
        sincosf_turn(u2, &s1, &c1);
        sincosf_turn(u4, &s2, &c2);
        out[4 * i] = r1 * c1;
        out[4 * i + 1] = r1 * s1;
        out[4 * i + 2] = r2 * c2;
        out[4 * i + 3] = r2 * s2;
    }
}

/* ---- truncated normals: rejection, each value with retries of its own ----
 *
 * Value i of a truncated fill that starts at block f first tries the
 * normal that value i of a normal fill from f is (normal i % 2 of block
 * f + i / 2), times std plus mean. If that falls outside [a, b], the value
 * tries the normals of its own retry blocks, counters (f + i / 2 as two
 * words, r, 1 + i % 2) for r = 0, 1, ..., two tries a block, until one
 * falls inside. The main stream's counters end in (0, 0), so no retry
 * block is a main block or another value's retry block: every value
 * depends on its index alone -- not on the thread that made it, nor on how
 * the fill was split -- and the values are independent. The first try
 * inside [a, b] is a normal conditioned on [a, b], the truncated normal
 * exactly (but for the tails beyond 8.49 std, mass 2e-17, which the
 * normals never reach). Called for bounds that keep at least half the
 * mass, a value needs at most two tries on average and 1.05 for Keras's
 * +-2 std; past RETRY_BLOCKS retry blocks (65 failed tries, probability
 * below 2^-65) its last try is clamped to [a, b]. */
#define RETRY_BLOCKS 32

/* Two tries per block: its normals times std plus mean (normal_'s order). */
IL_CLONES static void trunc_tries(const uint64_t *hi, const uint64_t *lo, size_t n,
                                  const il_trunc_normal *t, double *out)
{
    const double std = t->std, mean = t->mean;
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        double z0, z1;
        box_muller(hi[i], lo[i], &z0, &z1);
        out[2 * i] = z0 * std + mean;
        out[2 * i + 1] = z1 * std + mean;
    }
}

IL_INLINE int outside(double x, const il_trunc_normal *t)
{
    return (x < t->a) | (x > t->b);
}

/* The positions of the values of x[0..n) outside the cut, in order, into
 * 'idx'; returns how many. Branch-free: for Keras's cut one in twenty is. */
static size_t find_outside_generic(const double *x, size_t n, const il_trunc_normal *t,
                                   uint16_t *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        idx[k] = (uint16_t)i;
        k += (size_t)outside(x[i], t);
    }
    return k;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same from AVX-512 compare masks, eight values at a time (the loop
 * above took a fifth of the fill; this a fiftieth). */
__attribute__((target("avx512f"))) static size_t
find_outside_avx512(const double *x, size_t n, const il_trunc_normal *t, uint16_t *idx)
{
    const __m512d a = _mm512_set1_pd(t->a), b = _mm512_set1_pd(t->b);
    size_t k = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d v = _mm512_loadu_pd(x + i);
        unsigned m =
            (unsigned)(_mm512_cmp_pd_mask(v, a, _CMP_LT_OQ) | _mm512_cmp_pd_mask(v, b, _CMP_GT_OQ));
        for (; m; m &= m - 1)
            idx[k++] = (uint16_t)(i + (size_t)__builtin_ctz(m));
    }
    for (; i < n; i++) {
        idx[k] = (uint16_t)i;
        k += (size_t)outside(x[i], t);
    }
    return k;
}
#endif

static size_t find_outside(const double *x, size_t n, const il_trunc_normal *t, uint16_t *idx)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx512f"))
        return find_outside_avx512(x, n, t, idx);
#endif
    return find_outside_generic(x, n, t, idx);
}

/* Retry block r of the values idx[0..n) of a piece that starts at block 'first'. */
IL_CLONES static void retry_words(uint32_t k0, uint32_t k1, uint64_t first, const uint16_t *idx,
                                  size_t n, uint32_t r, uint64_t *hi, uint64_t *lo)
{
#pragma omp simd
    for (size_t j = 0; j < n; j++) {
        uint64_t block = first + idx[j] / 2u;
        uint32_t w0, w1, w2, w3;
        philox_rounds((uint32_t)block, (uint32_t)(block >> 32), r, 1u + (idx[j] & 1u), k0, k1, &w0,
                      &w1, &w2, &w3);
        hi[j] = (uint64_t)w0 << 32 | w1;
        lo[j] = (uint64_t)w2 << 32 | w3;
    }
}

/* Values 0 .. 2 nb - 1 of a truncated fill from block 'first', nb <= WORDS;
 * 'hi' and 'lo' are scratch of WORDS words each. */
static void trunc_piece(uint32_t k0, uint32_t k1, uint64_t first, size_t nb,
                        const il_trunc_normal *t, double *out, uint64_t *hi, uint64_t *lo)
{
    /* the values still outside [a, b], in order (zeroed for the analysers,
     * which do not follow the count) */
    uint16_t idx[2 * WORDS] = {0};
    double tries[2 * WORDS];
    size_t n_out;

    philox_words(k0, k1, first, nb, hi, lo);
    trunc_tries(hi, lo, nb, t, out);
    n_out = find_outside(out, 2 * nb, t, idx);
    for (uint32_t r = 0; n_out > 0 && r < RETRY_BLOCKS; r++) {
        size_t kept = 0;
        for (size_t j0 = 0; j0 < n_out; j0 += WORDS) {
            size_t m = n_out - j0 < WORDS ? n_out - j0 : WORDS;
            retry_words(k0, k1, first, idx + j0, m, r, hi, lo);
            trunc_tries(hi, lo, m, t, tries);
            for (size_t j = 0; j < m; j++) {
                uint16_t v = idx[j0 + j];
                int out0 = outside(tries[2 * j], t);
                out[v] = out0 ? tries[2 * j + 1] : tries[2 * j];
                if (out0 && outside(tries[2 * j + 1], t))
                    idx[kept++] = v; /* kept <= j0 + j: the list shrinks in place */
            }
        }
        n_out = kept;
    }
    for (size_t j = 0; j < n_out; j++) {
        double x = out[idx[j]];
        out[idx[j]] = x < t->a ? t->a : (x > t->b ? t->b : x);
    }
}

IL_CLONES static void round_words(const double *x, size_t n, float *out)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = (float)x[i];
}

typedef enum fill_kind {
    FILL_UNIFORM,
    FILL_NORMAL,
    FILL_NORMAL_F32,
    FILL_TRUNC,
    FILL_TRUNC_F32 /* FILL_TRUNC's values rounded to float */
} fill_kind;

/* What a fill makes: the kind, and for the truncated ones the cut. */
typedef struct fill_job {
    fill_kind kind;
    il_trunc_normal cut;
} fill_job;

/* Blocks [first, first + n_blocks) of 'job' into 'out', whose element
 * size and per-block count its kind gives; chunks are spread over threads
 * for large fills (the values do not depend on how). Handed out one at a
 * time, because cores may differ in speed: on the development machine's
 * two vCPUs the same loop ran up to 1.4 times faster on one than on the
 * other, and an even split waits for the slower. */
static void fill_blocks(const philox_state *s, const fill_job *job, uint64_t first, size_t n_blocks,
                        void *out)
{
    size_t n_chunks = (n_blocks + CHUNK_BLOCKS - 1) / CHUNK_BLOCKS;
    uint32_t k0 = s->key[0], k1 = s->key[1];

#pragma omp parallel for schedule(dynamic, 1) if ((uint64_t)n_blocks >= 2 * PARALLEL_BLOCKS)
    for (size_t c = 0; c < n_chunks; c++) {
        size_t c0 = c * CHUNK_BLOCKS,
               c_end = n_blocks - c0 < CHUNK_BLOCKS ? n_blocks : c0 + CHUNK_BLOCKS;
        uint64_t hi[WORDS], lo[WORDS];
        for (size_t b0 = c0; b0 < c_end; b0 += WORDS) {
            size_t nb = c_end - b0 < WORDS ? c_end - b0 : WORDS;
            if (job->kind == FILL_TRUNC) {
                trunc_piece(k0, k1, first + b0, nb, &job->cut, (double *)out + 2 * b0, hi, lo);
                continue;
            }
            if (job->kind == FILL_TRUNC_F32) { /* through the cache, no double tensor */
                double x[2 * WORDS];
                trunc_piece(k0, k1, first + b0, nb, &job->cut, x, hi, lo);
                round_words(x, 2 * nb, (float *)out + 2 * b0);
                continue;
            }
            philox_words(k0, k1, first + b0, nb, hi, lo);
            switch (job->kind) {
            case FILL_UNIFORM:
                uniform_words(hi, lo, nb, (double *)out + 2 * b0);
                break;
            case FILL_NORMAL:
                normal_words(hi, lo, nb, (double *)out + 2 * b0);
                break;
            case FILL_NORMAL_F32:
                normal_words_f32(hi, lo, nb, (float *)out + 4 * b0);
                break;
            case FILL_TRUNC:
            case FILL_TRUNC_F32:
                break;
            }
        }
    }
}

/* ---- the generator interface ---- */

static void philox_seed(void *vs, uint64_t seed)
{
    philox_state *s = vs;
    s->key[0] = (uint32_t)seed;
    s->key[1] = (uint32_t)(seed >> 32);
    s->block = 0;
    s->used = 4;
}

static uint32_t philox_next_u32(void *vs)
{
    philox_state *s = vs;
    if (s->used == 4) {
        philox_block(s->block++, s->key[0], s->key[1], &s->buf[0], &s->buf[1], &s->buf[2],
                     &s->buf[3]);
        s->used = 0;
    }
    return s->buf[s->used++];
}

static double philox_next_double(void *vs)
{
    uint64_t hi = philox_next_u32(vs), lo = philox_next_u32(vs);
    return (double)(((hi << 32) | lo) >> 11) * 0x1p-53;
}

/* n calls of next_double, by whole blocks in the middle */
static void philox_fill_double(void *vs, double *out, size_t n)
{
    static const fill_job job = {.kind = FILL_UNIFORM};
    philox_state *s = vs;
    size_t i = 0, n_blocks;
    while (i < n && s->used != 4 && s->used != 0) /* finish the current block */
        out[i++] = philox_next_double(vs);
    if (s->used == 0 && i < n) /* a fresh block in buf: its first double */
        out[i++] = philox_next_double(vs);
    n_blocks = (n - i) / 2;
    fill_blocks(s, &job, s->block, n_blocks, out + i);
    s->block += n_blocks;
    i += 2 * n_blocks;
    if (i < n)
        out[i] = philox_next_double(vs);
}

static void philox_fill_normal(void *vs, double *out, size_t n)
{
    static const fill_job job = {.kind = FILL_NORMAL};
    philox_state *s = vs;
    size_t n_blocks = n / 2;
    s->used = 4;
    fill_blocks(s, &job, s->block, n_blocks, out);
    s->block += n_blocks;
    if (n % 2) {
        double pair[2];
        fill_blocks(s, &job, s->block++, 1, pair);
        out[n - 1] = pair[0];
    }
}

static void philox_fill_normal_f32(void *vs, float *out, size_t n)
{
    static const fill_job job = {.kind = FILL_NORMAL_F32};
    philox_state *s = vs;
    size_t n_blocks = n / 4;
    s->used = 4;
    fill_blocks(s, &job, s->block, n_blocks, out);
    s->block += n_blocks;
    if (n % 4) {
        float four[4];
        fill_blocks(s, &job, s->block++, 1, four);
        memcpy(out + 4 * n_blocks, four, (n % 4) * sizeof *out);
    }
}

/* as philox_fill_normal: ceil(n / 2) blocks from a fresh one, each giving
 * two values of 'elem' bytes (double, or float rounded a piece at a time) */
static void fill_trunc_pairs(philox_state *s, const fill_job *job, void *out, size_t n, size_t elem)
{
    size_t n_blocks = n / 2;
    s->used = 4;
    fill_blocks(s, job, s->block, n_blocks, out);
    s->block += n_blocks;
    if (n % 2) {
        double pair[2]; /* room for two values of either type */
        fill_blocks(s, job, s->block++, 1, pair);
        memcpy((char *)out + (n - 1) * elem, pair, elem);
    }
}

static void philox_fill_trunc_normal(void *vs, const il_trunc_normal *t, double *out, size_t n)
{
    fill_job job = {FILL_TRUNC, *t};
    fill_trunc_pairs(vs, &job, out, n, sizeof *out);
}

static void philox_fill_trunc_normal_f32(void *vs, const il_trunc_normal *t, float *out, size_t n)
{
    fill_job job = {FILL_TRUNC_F32, *t};
    fill_trunc_pairs(vs, &job, out, n, sizeof *out);
}

const il_rng_type il__rng_philox = {
    .name = "philox",
    .summary = "Philox4x32-10, counter-based (alias 'fast'): fills identical for any thread "
               "count; Box-Muller normals in f64 and f32, truncated ones by rejection; 64-bit keys "
               "(the command line and "
               "requests take seeds 0..4294967295)",
    .seed_max = UINT64_MAX,
    .state_size = sizeof(philox_state),
    .seed = philox_seed,
    .next_u32 = philox_next_u32,
    .next_double = philox_next_double,
    .fill_double = philox_fill_double,
    .fill_normal = philox_fill_normal,
    .fill_normal_f32 = philox_fill_normal_f32,
    .fill_trunc_normal = philox_fill_trunc_normal,
    .fill_trunc_normal_f32 = philox_fill_trunc_normal_f32,
};
