/* SPDX-License-Identifier: MIT */
/*
 * MT19937 with numpy's legacy RandomState semantics.
 *
 * Matsumoto & Nishimura 1998. Seeding is the reference init_genrand (numpy
 * mt19937_seed); the first draw after seeding regenerates the whole block.
 * Doubles use 53 bits from two words: ((a >> 5) * 2^26 + (b >> 6)) / 2^53
 * (numpy mt19937_next_double). No deviation from numpy is intended: a
 * difference is a bug.
 */
#include <stdint.h>

#include "internal/rng_impl.h"

#define MT_N          624
#define MT_M          397
#define MT_MATRIX_A   0x9908b0dfu
#define MT_UPPER_MASK 0x80000000u
#define MT_LOWER_MASK 0x7fffffffu

typedef struct mt_state {
    uint32_t key[MT_N];
    int pos; /* next word to temper; MT_N means "regenerate first" */
} mt_state;

static void mt_seed(void *vs, uint64_t seed)
{
    mt_state *s = vs;
    uint32_t x = (uint32_t)seed; /* the registry caps seeds at 2^32 - 1 */

    s->key[0] = x;
    for (int i = 1; i < MT_N; i++) {
        x = 1812433253u * (x ^ (x >> 30)) + (uint32_t)i;
        s->key[i] = x;
    }
    s->pos = MT_N;
}

static void mt_generate(mt_state *s)
{
    uint32_t y;
    int i;

    for (i = 0; i < MT_N - MT_M; i++) {
        y = (s->key[i] & MT_UPPER_MASK) | (s->key[i + 1] & MT_LOWER_MASK);
        s->key[i] = s->key[i + MT_M] ^ (y >> 1) ^ (-(y & 1u) & MT_MATRIX_A);
    }
    for (; i < MT_N - 1; i++) {
        y = (s->key[i] & MT_UPPER_MASK) | (s->key[i + 1] & MT_LOWER_MASK);
        s->key[i] = s->key[i + (MT_M - MT_N)] ^ (y >> 1) ^ (-(y & 1u) & MT_MATRIX_A);
    }
    y = (s->key[MT_N - 1] & MT_UPPER_MASK) | (s->key[0] & MT_LOWER_MASK);
    s->key[MT_N - 1] = s->key[MT_M - 1] ^ (y >> 1) ^ (-(y & 1u) & MT_MATRIX_A);
    s->pos = 0;
}

static inline uint32_t mt_temper(uint32_t y)
{
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

static inline uint32_t mt_next(mt_state *s)
{
    if (s->pos == MT_N)
        mt_generate(s);
    return mt_temper(s->key[s->pos++]);
}

static uint32_t mt_next_u32(void *vs)
{
    return mt_next(vs);
}

static inline double mt_double(mt_state *s)
{
    int32_t a = (int32_t)(mt_next(s) >> 5);
    int32_t b = (int32_t)(mt_next(s) >> 6);
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

static double mt_next_double(void *vs)
{
    return mt_double(vs);
}

static void mt_fill_double(void *vs, double *out, size_t n)
{
    mt_state *s = vs;
    for (size_t i = 0; i < n; i++)
        out[i] = mt_double(s);
}

const il_rng_type il__rng_mt19937 = {
    .name = "mt19937",
    .summary = "Mersenne Twister with numpy's legacy RandomState seeding and doubles "
               "(bit-exact with np.random.seed/rand/randn); seeds 0..4294967295",
    .seed_max = UINT32_MAX,
    .state_size = sizeof(mt_state),
    .seed = mt_seed,
    .next_u32 = mt_next_u32,
    .next_double = mt_next_double,
    .fill_double = mt_fill_double,
};
