/* SPDX-License-Identifier: MIT */
/* The block kernel for any CPU (the baseline instruction set), and the
 * merge of moments that every variant shares. */
#define IL_STATS_BLOCK_FN    il__stats_block_generic
#define IL_STATS_BLOCK_MERGE /* the one definition of il__stats_merge_moments */
#include "block_impl.h"
