/* SPDX-License-Identifier: MIT */
/* initlab inspect's parts: the statistics and scheme matching of one
 * tensor (inspect_match.c), used by the command (cmd_inspect.c). */
#ifndef INITLAB_CLI_INSPECT_H
#define INITLAB_CLI_INSPECT_H

#include <stddef.h>

#include "initlab/initlab.h"

#define INSPECT_MAX_MATCHES 24
#define INSPECT_SPEC_MAX    80
#define INSPECT_MIN_VALUES  5

/* Moments of a tensor's finite values (population std, ddof 0). */
typedef struct inspect_stats {
    size_t n;                             /* finite values */
    size_t nonfinite;                     /* NaN and infinities */
    double mean, std, min, max, kurtosis; /* NAN when n is 0 (kurtosis: or std 0) */
} inspect_stats;

/* One tensor, its guessed layout and what it matches. */
typedef struct inspect_tensor {
    const il_tensor *t;
    il_layout layout;        /* for the fans and the schemes */
    const char *layout_text; /* "torch linear (out, in)", ... */
    int has_fans;
    size_t fan_in, fan_out;
    inspect_stats stats;
    char matches[INSPECT_MAX_MATCHES][INSPECT_SPEC_MAX];
    double predicted[INSPECT_MAX_MATCHES]; /* each match's std */
    double score[INSPECT_MAX_MATCHES];     /* its distance in standard errors, best first */
    size_t n_matches;
    char flag[256]; /* "" when nothing stands out */
} inspect_tensor;

void inspect_stats_of(const il_array *a, inspect_stats *s);

/* Fill x->matches: the schemes x's values fit, best first (inspect_match.c
 * says how); fewer than INSPECT_MIN_VALUES values fit no random scheme.
 * 'bias_fan_in' > 0: x is the bias of a weight with that fan_in;
 * 'n_blocks' > 0: the file's blocks, for GPT-2's residual scaling. */
void inspect_match(inspect_tensor *x, size_t bias_fan_in, size_t n_blocks);

/* The std 'spec' predicts for x's shape and layout; NAN if it does not apply. */
double inspect_predict(const inspect_tensor *x, const char *spec);

/* The fixed candidate specs (for the test that each one parses). */
size_t inspect_candidate_count(void);
const char *inspect_candidate_at(size_t i);

#endif
