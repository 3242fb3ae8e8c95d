/* SPDX-License-Identifier: MIT */
/* block.c for AVX-512 (compiled with -march=x86-64-v4). */
#define IL_STATS_BLOCK_FN il__stats_block_v4
#include "block_impl.h"
