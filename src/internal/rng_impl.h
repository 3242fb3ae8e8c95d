/* SPDX-License-Identifier: MIT */
/* The generator object, shared by src/rng and src/dist only. */
#ifndef INITLAB_INTERNAL_RNG_IMPL_H
#define INITLAB_INTERNAL_RNG_IMPL_H

#include "initlab/rng.h"

struct il_rng {
    const il_rng_type *type;
    /* The polar method's spare deviate (numpy aug_bitgen has_gauss/gauss).
     * Written only by il_dist_standard_normal and cleared by il_rng_seed. */
    int has_gauss;
    double gauss;
    /* type->state_size bytes of algorithm state follow, 16-byte aligned. */
    _Alignas(16) unsigned char state[];
};

/* The registered types, defined in their own files. */
extern const il_rng_type il__rng_mt19937;
extern const il_rng_type il__rng_philox;

/* Philox4x32-10 on any counter and key (the known-answer test). */
void il__philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

#endif
