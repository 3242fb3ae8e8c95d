/* SPDX-License-Identifier: MIT */
/* block.c for AVX2 (compiled with -march=x86-64-v3). */
#define IL_STATS_BLOCK_FN il__stats_block_v3
#include "block_impl.h"
