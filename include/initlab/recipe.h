/* SPDX-License-Identifier: MIT */
/*
 * Initialization recipes: a paper's rule for every parameter of a network
 * (ARCHITECTURES.md, section 2), one row per recipe in a static table.
 *
 * A recipe decides, for each parameter of an il_net, a rule: an
 * initializer spec that `initlab init` accepts (with the constants worked
 * out: "normal:std=0.0040824829046386306"), a constant, or one of two
 * structured fills the initializer registry has no row for (a conv
 * kernel's delta-orthogonal centre tap, ZerO's identity/Hadamard matrix).
 * The rule says why ("last weight of residual branch 3: zero (Fixup)").
 *
 * What the recipes see of a network: which parameters sit in a residual
 * branch, and where (first, last); the number L of top-level residual
 * branches; for attention networks the number of layers N = L/2 (an
 * attention and an MLP branch per layer); the readout (the last weight of
 * the network, after every residual).
 */
#ifndef INITLAB_RECIPE_H
#define INITLAB_RECIPE_H

#include <stddef.h>

#include "initlab/init.h"
#include "initlab/net.h"
#include "initlab/rng.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct il_recipe il_recipe;

/* A parsed recipe spec "NAME[:key=value,...]", or one initializer for
 * every weight (by_init): biases zero, norms one, alphas as the network
 * gives them. A plain value. */
typedef struct il_recipe_spec {
    const il_recipe *recipe; /* NULL when by_init */
    il_value values[IL_MAX_PARAMS];
    int by_init;
    il_init init;
} il_recipe_spec;

typedef enum il_rule_kind {
    IL_RULE_INIT,       /* 'init' is an initializer spec, drawn from the arm's generator */
    IL_RULE_CONSTANT,   /* every value is 'value' */
    IL_RULE_DELTA_ORTH, /* 'init' (orthogonal:gain=G) at a kernel's centre tap, zeros elsewhere */
    IL_RULE_ZERO_MATRIX /* ZerO: partial identity, or Hadamard/sqrt(p) when out > in */
} il_rule_kind;

typedef struct il_param_rule {
    il_rule_kind kind;
    char init[160]; /* IL_RULE_INIT/DELTA_ORTH: the spec; otherwise a description */
    double value;   /* IL_RULE_CONSTANT */
    double std;     /* the values' standard deviation about 0 the rule aims at; NAN: none */
    char why[160];  /* one line */
} il_param_rule;

struct il_recipe {
    const char *name;
    const char *summary; /* one line */
    const char *source;  /* paper and code it follows */
    const il_param *params;
    size_t n_params;
    /* The rule for parameter i of 'n'. */
    il_status (*rule)(const il_recipe_spec *r, const il_net *n, size_t i, il_param_rule *out,
                      il_error *err);
};

const il_recipe *il_recipe_find(const char *name);
size_t il_recipe_count(void);
const il_recipe *il_recipe_at(size_t i);

/* "NAME[:key=value,...]" (IL_ENOTFOUND with the nearest name; IL_EINVAL). */
il_status il_recipe_parse(const char *spec, il_recipe_spec *out, il_error *err);
/* One initializer spec for every weight. */
il_status il_recipe_by_init(const char *init_spec, il_recipe_spec *out, il_error *err);
/* The recipe spec's canonical text ("fixup", "init:he_normal"); like snprintf. */
size_t il_recipe_format(const il_recipe_spec *r, char *buf, size_t cap);

/* Parameter i's rule. */
il_status il_recipe_rule(const il_recipe_spec *r, const il_net *n, size_t i, il_param_rule *out,
                         il_error *err);

/* Fill every parameter of 'n', in network order, from 'rng'. */
il_status il_recipe_apply(const il_recipe_spec *r, il_net *n, il_rng *rng, il_error *err);

#ifdef __cplusplus
}
#endif
#endif
