/* SPDX-License-Identifier: MIT */
/*
 * Attributes of initlab's hot loops.
 *
 * IL_CLONES compiles a function for AVX-512 (x86-64-v4), AVX2 (x86-64-v3)
 * and the baseline, and picks one at load time from the CPU's features.
 * (arch=skylake-avx512 would dispatch on the CPU model, and so choose the
 * AVX2 clone on AMD.) IL_INLINE makes sure that helpers are inlined into
 * each clone, so that they are compiled for its instruction set.
 */
#ifndef INITLAB_INTERNAL_SIMD_H
#define INITLAB_INTERNAL_SIMD_H

#define IL_INLINE static inline __attribute__((always_inline))

#if defined(__x86_64__)
#define IL_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define IL_CLONES
#endif

#endif
