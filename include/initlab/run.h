/* SPDX-License-Identifier: MIT */
/*
 * The run layer: one description of a run, one executor, one result.
 *
 * An il_run_spec holds a whole run -- the network's shape, the arms
 * (initializer / activation / bias specs), the input, batch, seed and
 * generator, the draw order, dtype, gradient source, theory and histogram
 * options. It is filled from JSON by il_run_spec_from_json (the only JSON
 * reader of a run: `run --config`, the server's POST body) or by a
 * command's flags written onto the same fields, then checked once by
 * il_run_spec_validate, whose messages name the JSON key or the flag
 * (il_run_spec.from_json says which). il_run_execute runs a valid spec and
 * returns an il_run_result, from which il_run_result_report makes the one
 * il_report that report.json and stats.csv are written from.
 *
 * The JSON form (docs/run.md):
 *
 *   {"depth": 5, "width": 100,          (or "widths": [784, 512, 10]:
 *                                         input width then layer widths)
 *    "batch": 1000, "seed": 100,
 *    "arms": [{"init": "kaiming_normal", "act": "relu", "bias": "zeros"}, ...],
 *    "grad": false, "theory": false, "corr": false}
 *
 * Or on a network of layer ops (docs/architectures.md):
 *
 *   {"net": "resmlp:blocks=30,width=256" | {"input": ..., "layers": [...]},
 *    "arms": [{"recipe": "fixup"}, {"init": "kaiming_normal"}], ...}
 *
 * Every key is optional except "arms"; unknown keys, wrong types,
 * fractions where counts belong, and values out of range are refused with
 * a message that names the key. The text is at most IL_RUN_MAX_JSON_BYTES.
 */
#ifndef INITLAB_RUN_H
#define INITLAB_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "initlab/dtype.h"
#include "initlab/exp.h"
#include "initlab/netdesc.h"
#include "initlab/recipe.h"
#include "initlab/report.h"
#include "initlab/rng.h"
#include "initlab/spec.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IL_RUN_MAX_JSON_BYTES  65536
#define IL_RUN_MAX_ARMS        32
#define IL_RUN_MAX_JSON_LAYERS 1000   /* layers a JSON spec may ask for */
#define IL_RUN_MAX_LAYERS      100000 /* layers any spec may ask for */

/* One arm as the user wrote it: specs, bias "" for none. On a network of
 * layer ops (il_run_spec.net) an arm is a recipe, or an init for every
 * weight, and has no act or bias. */
typedef struct il_run_arm {
    char init[256], act[128], bias[256];
    char recipe[256];
} il_run_arm;

typedef struct il_run_spec {
    /* the network: n_in inputs, then n_layers dense layers */
    size_t n_in, n_layers;
    size_t *widths;   /* owned (il_run_spec_set_*); n_layers entries */
    int widths_given; /* the shape came as a list (--widths, "widths") */
    size_t batch;
    uint64_t seed;
    const il_rng_type *rng; /* NULL: philox, or mt19937 for the lecture's order */
    il_run_arm arms[IL_RUN_MAX_ARMS];
    size_t n_arms;
    il_exp_order order;
    il_dtype dtype;
    int grad;                 /* nonzero: a backward pass ... */
    il_exp_grad grad_source;  /* ... from here (default softmax cross-entropy) */
    size_t classes;           /* logits for the softmax source */
    int theory;               /* mean-field predictions beside the measurements */
    int theory_hists;         /* and each layer's predicted histogram in the report */
    int corr;                 /* each layer's correlation between rows ("corr"; MLP runs) */
    size_t bins;              /* histogram bins */
    double lo, hi;            /* histogram range; NAN: one that shows every arm's activation */
    char input[256];          /* the input's initializer spec */
    const double *input_data; /* or batch x n_in given values (borrowed) */
    int from_json;            /* messages name JSON keys (else flags) */
    /* A network of layer ops (owned; il_run_spec_release frees it), or
     * NULL for the MLP of n_in and widths. */
    il_netdesc *net;
    int keep_tensors; /* net runs: keep each arm's parameters, points and gradients */
    /* filled by il_run_spec_validate */
    il_arm parsed[IL_RUN_MAX_ARMS];
    il_recipe_spec recipes[IL_RUN_MAX_ARMS];
    il_init input_init;
} il_run_spec;

/* Defaults: 5 layers of width 100, batch 1000, seed 100, paired, float64,
 * input N(0, 1), 30 bins over the arms' own range, softmax gradients
 * over 10 classes when asked. No arms. */
void il_run_spec_init(il_run_spec *s);
/* Release what 'init' and 'set_*' allocated; 's' can be set again. */
void il_run_spec_release(il_run_spec *s);
/* 'depth' layers of 'width', 'width' inputs; or n_in then 'n' widths. */
il_status il_run_spec_set_uniform(il_run_spec *s, size_t depth, size_t width);
il_status il_run_spec_set_widths(il_run_spec *s, size_t n_in, const size_t *widths, size_t n);

/* Fill 's' (initialised) from 'len' bytes of JSON. 'max_values' caps
 * batch x (widest layer) x layers, the activations a run keeps (0: no
 * cap). IL_EFORMAT for malformed JSON or a wrong key or type, IL_EINVAL
 * for a bad value or spec (the message names it), IL_ELIMIT over a cap. */
il_status il_run_spec_from_json(il_run_spec *s, const char *json, size_t len, size_t max_values,
                                il_error *err);

/* Check 's' and parse its specs into 'parsed' and 'input_init'; set the
 * histogram range if NAN. IL_EINVAL with the key or flag named. */
il_status il_run_spec_validate(il_run_spec *s, il_error *err);

/* The generator 's' runs with. */
const il_rng_type *il_run_spec_rng(const il_run_spec *s);

/* The bytes il_run_execute will allocate for a validated 's'. */
il_status il_run_memory(const il_run_spec *s, size_t *bytes);

/* What a caller hears while a run goes. 'progress' is told the layers
 * done of 'total' (over all arms); 'cancel' returning nonzero stops the
 * run with IL_ECANCELED at the next layer. 'on_layer' sees every layer's
 * activations (float64 only; see il_exp_layer_fn). Any may be NULL. */
typedef struct il_run_hooks {
    void (*progress)(void *ctx, size_t done, size_t total);
    int (*cancel)(void *ctx);
    il_exp_layer_fn on_layer;
    void *ctx;
} il_run_hooks;

typedef struct il_run_result il_run_result;

/* Run a validated 's'. On success *out is owned by the caller. */
il_status il_run_execute(const il_run_spec *s, const il_run_hooks *hooks, il_run_result **out,
                         il_error *err);
void il_run_result_free(il_run_result *r);

/* Net runs (il_run_spec.net): the network the arms ran on, and with
 * keep_tensors arm a's parameters (il_net_param order), every node's
 * output and, with a backward pass, their gradients and the output's
 * upstream gradient; NULL otherwise. The input is il_run_result_input. */
const il_net *il_run_result_net(const il_run_result *r);
const double *il_run_result_param(const il_run_result *r, size_t arm, size_t i);
const double *il_run_result_param_grad(const il_run_result *r, size_t arm, size_t i);
const double *il_run_result_point(const il_run_result *r, size_t arm, size_t node);
const double *il_run_result_input(const il_run_result *r);
const double *il_run_result_output_grad(const il_run_result *r);
/* The report's points of arm a (for figures): count and each. */
size_t il_run_result_point_count(const il_run_result *r, size_t arm);
const il_report_point *il_run_result_points(const il_run_result *r, size_t arm);

/* The measurements, and per arm its prediction (NULL where the theory
 * has none, or without theory) and why there is none. */
const il_exp_result *il_run_result_exp(const il_run_result *r);
const il_theory_layer *il_run_result_theory(const il_run_result *r, size_t arm);
const char *il_run_result_theory_note(const il_run_result *r, size_t arm);
/* With theory and corr, arm 'arm''s predicted correlation per layer
 * (beside the measured il_exp_corr); NULL otherwise. */
const double *il_run_result_theory_corr(const il_run_result *r, size_t arm);
/* "INIT/ACT[/BIAS]" as given, the bias in canonical form. */
const char *il_run_result_label(const il_run_result *r, size_t arm);

/* The report of 'r' under 'command' ("run"), ready for
 * il_report_write_json / _csv; it points into 'r'. */
void il_run_result_report(const il_run_result *r, const char *command, il_report *rep);

/* A JSON run spec in, its report out: il_run_spec_from_json (no cap on
 * values), il_run_spec_validate, il_run_execute with 'hooks' (may be
 * NULL), then il_report_write_json of il_run_result_report(.., "run")
 * through 'w' -- the bytes `initlab run --config FILE.json` writes to
 * report.json. For callers that hold no il_run_spec of their own, whose
 * size is no part of the ABI (the Python package, python/). 'max_bytes'
 * caps il_run_memory (IL_ELIMIT over it; 0: no cap). Errors as those
 * functions' and the sink's, with a message in 'err' (may be NULL); 'w'
 * is called only once the run has succeeded. */
il_status il_run_json_report(const char *json, size_t len, size_t max_bytes,
                             const il_run_hooks *hooks, il_write_fn w, void *ctx, il_error *err);

#ifdef __cplusplus
}
#endif
#endif
