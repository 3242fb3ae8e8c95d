/* SPDX-License-Identifier: MIT */
/*
 * Random generators: one small interface, a static registry of algorithms.
 *
 * Every random draw in initlab goes through an explicit il_rng; there is no
 * global generator. A generator is a type (a static table of constants and
 * functions, GSL's gsl_rng_type shape) plus its state. The state also holds
 * the spare deviate of the polar normal method (numpy's has_gauss/gauss), so
 * save/restore captures everything that affects later draws.
 *
 * Registered types:
 *   "mt19937"  numpy's legacy RandomState: init_genrand seeding (0..2^32-1),
 *              53-bit doubles from two 32-bit words, polar normals with the
 *              cached second deviate. Bit-exact with np.random.seed/rand/randn.
 *   "philox"   Philox4x32-10 (Random123), counter-based: any block of the
 *              stream is computed from its number alone, so fills are the
 *              same for any thread count and split. Box-Muller normals in f64
 *              and f32 (src/rng/philox.c says how many bits and how exact),
 *              truncated normals by rejection from them.
 *              Seeds 0..2^64-1. Also found as "fast".
 */
#ifndef INITLAB_RNG_H
#define INITLAB_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* N(mean, std^2) cut to [a, b], the bounds absolute (torch's trunc_normal_);
 * std > 0 and a < b. */
typedef struct il_trunc_normal {
    double mean, std; /* of the normal before truncation */
    double a, b;      /* the cut-offs; every value drawn lies in [a, b] */
} il_trunc_normal;

typedef struct il_rng_type {
    const char *name;    /* registry key, e.g. "mt19937" */
    const char *summary; /* one line for `initlab list rngs` */
    uint64_t seed_max;   /* largest accepted seed */
    size_t state_size;   /* bytes of algorithm state */
    void (*seed)(void *state, uint64_t seed);
    uint32_t (*next_u32)(void *state);
    double (*next_double)(void *state); /* uniform on [0, 1) */
    /* n doubles, the same as n calls of next_double; may be NULL. */
    void (*fill_double)(void *state, double *out, size_t n);
    /* n standard normals by the type's own method (il_dist_fill_standard_normal
     * uses it); NULL: numpy's legacy polar method on next_double. */
    void (*fill_normal)(void *state, double *out, size_t n);
    /* the same in float; NULL: the double normals, rounded */
    void (*fill_normal_f32)(void *state, float *out, size_t n);
    /* n draws of the truncated normal 't' by the type's own method, called
     * (by il_dist_fill_trunc_normal) only when [a, b] holds at least half
     * of the normal's mass; NULL: torch's inverse CDF on fill_double. */
    void (*fill_trunc_normal)(void *state, const il_trunc_normal *t, double *out, size_t n);
    /* fill_trunc_normal's draws rounded to float, made without a double
     * array of n; NULL if fill_trunc_normal is */
    void (*fill_trunc_normal_f32)(void *state, const il_trunc_normal *t, float *out, size_t n);
} il_rng_type;

typedef struct il_rng il_rng;

/* The generator type called 'name' ("fast" is "philox"), or NULL. */
const il_rng_type *il_rng_find(const char *name);

/* Registered types by index, 0 <= i < il_rng_type_count(); NULL past the end. */
size_t il_rng_type_count(void);
const il_rng_type *il_rng_type_at(size_t i);

/* Create a generator of type 't' seeded with 'seed'. Returns IL_ERANGE if
 * 'seed' > t->seed_max, IL_ENOMEM if allocation fails; *out is set only on
 * success. The caller owns the generator; release it with il_rng_free. */
il_status il_rng_new(const il_rng_type *t, uint64_t seed, il_rng **out);

/* Release 'r'. NULL is allowed. */
void il_rng_free(il_rng *r);

/* Re-seed: the same state as a new generator with 'seed' (the cached normal
 * deviate is cleared, as numpy's RandomState.seed does). IL_ERANGE if out of
 * range, and then 'r' is unchanged. */
il_status il_rng_seed(il_rng *r, uint64_t seed);

/* The generator's type. */
const il_rng_type *il_rng_get_type(const il_rng *r);

/* Next raw 32-bit word. */
uint32_t il_rng_next_u32(il_rng *r);

/* Next double, uniform on [0, 1). */
double il_rng_next_double(il_rng *r);

/* 'n' doubles into 'out', the same values as 'n' calls of
 * il_rng_next_double. */
void il_rng_fill_double(il_rng *r, double *out, size_t n);

/* Bytes needed by il_rng_save for 'r'. */
size_t il_rng_state_size(const il_rng *r);

/* Copy the complete state of 'r' (including the cached normal deviate) into
 * 'buf', which has 'n' bytes. IL_EINVAL if 'n' is too small. The layout is
 * the host's byte order: a state is for restoring on the same kind of
 * machine, not an exchange format. */
il_status il_rng_save(const il_rng *r, void *buf, size_t n);

/* Restore a state written by il_rng_save on a generator of the same type.
 * IL_EFORMAT if 'buf' is not such a state; then 'r' is unchanged. */
il_status il_rng_restore(il_rng *r, const void *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
