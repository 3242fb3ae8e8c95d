/* SPDX-License-Identifier: MIT */
/*
 * Inside the library: what a recipe knows of a parameter's place in its
 * network, the rules the recipes share (src/nn/recipe.c), the recipes'
 * table and the structured fills (src/nn/recipe_rules.c).
 */
#ifndef INITLAB_INTERNAL_RECIPE_IMPL_H
#define INITLAB_INTERNAL_RECIPE_IMPL_H

#include "initlab/recipe.h"

typedef struct il__place {
    const il_param_desc *d;
    const il_op *op;     /* its node's op */
    const char *op_type; /* "dense", "conv2d", "attention", ... */
    size_t node;
    size_t top;        /* the top-level residual holding it, or SIZE_MAX */
    size_t branch;     /* that residual's index among the top-level ones, or SIZE_MAX */
    int in_shortcut;   /* in that residual's shortcut, not its body */
    size_t pos, count; /* weights: its index among its branch's weights, and their count */
    size_t L;          /* top-level residual branches */
    size_t N;          /* layers: L/2 (rounded up) in an attention network, else L */
    size_t layer;      /* the layer of its branch: branch/2 with attention, else branch */
    int attention_net; /* the network has attention */
    int readout;       /* the network's last weight, after every residual */
    char sub[8];       /* attention: "q", "k", "v" or "o"; else "" */
} il__place;

il_status il__recipe_place(const il_net *n, size_t i, il__place *pl);
il_layout il__place_layout(const il__place *pl);

void il__rule_const(il_param_rule *r, double v, const char *why);
il_status il__rule_init(il_param_rule *r, const il__place *pl, const char *spec, const char *why,
                        il_error *err);
il_status il__rule_normal(il_param_rule *r, const il__place *pl, double std, const char *why,
                          il_error *err);
/* Biases, norms and alphas (alpha: 'recipe_alpha' unless NAN or the spec
 * overrides it); nonzero when it set 'out'. */
int il__rule_common(const il_recipe_spec *r, const il__place *pl, double recipe_alpha,
                    const char *alpha_why, il_param_rule *out);

il_status il__fill_zero_matrix(const il_param_desc *d, double *v);
il_status il__fill_delta_orthogonal(const il_param_desc *d, const char *ortho_spec, il_rng *rng,
                                    double *v, il_error *err);

extern const il_recipe il__recipes[];
extern const size_t il__recipe_count;

#endif
