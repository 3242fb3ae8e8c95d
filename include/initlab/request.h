/* SPDX-License-Identifier: MIT */
/*
 * A run described in JSON: what 'initlab run --config FILE' reads and what
 * the live page will post. The same meaning as run's flags:
 *
 *   {"depth": 5, "width": 100,          (or "widths": [784, 512, 10]:
 *                                         input width then layer widths)
 *    "batch": 1000, "seed": 100,
 *    "arms": [{"init": "kaiming_normal", "act": "relu", "bias": "zeros"}, ...],
 *    "grad": false, "theory": false}
 *
 * Every key is optional except "arms"; unknown keys, wrong types,
 * fractions where counts belong, and values out of range are refused
 * with a message that names the key. The text is at most
 * IL_REQUEST_MAX_BYTES, and batch x widest x layers is capped by the
 * caller's limit before anything is run.
 */
#ifndef INITLAB_REQUEST_H
#define INITLAB_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "initlab/spec.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IL_REQUEST_MAX_BYTES  65536
#define IL_REQUEST_MAX_ARMS   32
#define IL_REQUEST_MAX_LAYERS 1000

typedef struct il_request_arm {
    char init[256], act[128], bias[256]; /* specs; bias "" for none */
} il_request_arm;

typedef struct il_run_request {
    size_t n_in;                          /* input width */
    size_t widths[IL_REQUEST_MAX_LAYERS]; /* each layer's width */
    size_t n_layers;
    size_t batch;
    uint64_t seed;
    il_request_arm arms[IL_REQUEST_MAX_ARMS];
    size_t n_arms;
    int grad, theory;
} il_run_request;

/* Parse 'len' bytes of JSON into 'out' (defaults: depth 5, width 100,
 * batch 1000, seed 100, no grad, no theory). 'max_values' caps
 * batch x (widest layer) x layers, the activations a run keeps (0: no
 * cap). IL_EFORMAT for malformed JSON or a wrong key or type, IL_EINVAL
 * for a bad value or spec (the message names it), IL_ELIMIT over a cap. */
il_status il_run_request_parse(const char *json, size_t len, size_t max_values, il_run_request *out,
                               il_error *err);

#ifdef __cplusplus
}
#endif
#endif
