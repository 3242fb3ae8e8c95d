/* SPDX-License-Identifier: MIT */
/*
 * The recipe table (initlab/recipe.h) and what every recipe shares: where
 * a parameter sits in the network, the rules for biases, norms and
 * alphas, and the fill. The recipes' own weight rules are in
 * recipe_rules.c.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/recipe.h"
#include "internal/recipe_impl.h"
#include "internal/spec_impl.h"

#define NONE ((size_t)-1)

/* The top-level residual holding node k (NONE), and whether k sits in its
 * shortcut. */
static size_t top_residual(const il_net *n, size_t k, int *in_shortcut)
{
    size_t top = NONE;
    int sc = 0;
    for (size_t p = il_net_op_parent(n, k, &sc); p != NONE;) {
        int up_sc = 0;
        size_t up = il_net_op_parent(n, p, &up_sc);
        *in_shortcut = sc;
        top = p;
        if (up == NONE)
            break;
        p = up;
        sc = up_sc;
    }
    return top;
}

il_status il__recipe_place(const il_net *n, size_t i, il__place *pl)
{
    size_t node, last_res = NONE, n_nodes = il_net_op_count(n), np = il_net_param_count(n);
    size_t last_weight = NONE;

    memset(pl, 0, sizeof *pl);
    pl->d = il_net_param(n, i, &node);
    if (!pl->d)
        return IL_EINVAL;
    pl->node = node;
    pl->op = il_net_op(n, node);
    pl->op_type = pl->op->type->name;
    pl->branch = NONE;
    {
        int in_sc = 0;
        size_t top = top_residual(n, node, &in_sc);
        for (size_t k = 0; k < n_nodes; k++) {
            const char *t = il_net_op(n, k)->type->name;
            if (strcmp(t, "attention") == 0)
                pl->attention_net = 1;
            if (strcmp(t, "residual") == 0 && il_net_op_parent(n, k, NULL) == NONE) {
                if (k == top) {
                    pl->branch = pl->L;
                    pl->in_shortcut = in_sc;
                }
                pl->L++;
                last_res = k;
            }
        }
        pl->top = top;
    }
    pl->N = pl->attention_net ? (pl->L + 1) / 2 : pl->L;
    pl->layer = pl->branch == NONE ? 0 : pl->attention_net ? pl->branch / 2 : pl->branch;
    {
        const char *dot = strchr(pl->d->name, '.');
        size_t len = dot ? (size_t)(dot - pl->d->name) : 0;
        if (len >= sizeof pl->sub)
            len = 0;
        memcpy(pl->sub, pl->d->name, len);
        pl->sub[len] = '\0';
    }
    /* its place among its branch's weights, and the readout */
    for (size_t j = 0; j < np; j++) {
        size_t nj;
        const il_param_desc *d = il_net_param(n, j, &nj);
        int sc = 0;
        if (d->role != IL_ROLE_WEIGHT)
            continue;
        last_weight = j;
        if (pl->branch != NONE && !pl->in_shortcut && top_residual(n, nj, &sc) == pl->top && !sc) {
            if (j < i)
                pl->pos++;
            pl->count++;
        }
    }
    pl->readout = pl->d->role == IL_ROLE_WEIGHT && i == last_weight && pl->branch == NONE &&
                  (last_res == NONE || node > last_res);
    return IL_OK;
}

/* ---- rules every recipe shares ---- */

void il__rule_const(il_param_rule *r, double v, const char *why)
{
    memset(r, 0, sizeof *r);
    r->kind = IL_RULE_CONSTANT;
    r->value = v;
    r->std = fabs(v); /* about zero */
    snprintf(r->init, sizeof r->init, "constant:val=");
    il__format_double(r->init + strlen(r->init), sizeof r->init - strlen(r->init), v);
    if (v == 0)
        snprintf(r->init, sizeof r->init, "zeros");
    else if (v == 1)
        snprintf(r->init, sizeof r->init, "ones");
    snprintf(r->why, sizeof r->why, "%s", why ? why : "");
}

/* An initializer spec: the rule, and the std it aims at for the tensor. */
il_status il__rule_init(il_param_rule *r, const il__place *pl, const char *spec, const char *why,
                        il_error *err)
{
    il_init init;
    il_init_target t;
    il_status st;
    double mean, var;

    memset(r, 0, sizeof *r);
    r->kind = IL_RULE_INIT;
    snprintf(r->init, sizeof r->init, "%s", spec);
    snprintf(r->why, sizeof r->why, "%s", why);
    r->std = (double)NAN;
    if ((st = il_init_parse(spec, &init, err)) != IL_OK)
        return st;
    if (pl->d->role == IL_ROLE_BIAS)
        st = il_init_describe_bias(&init, il_tshape_size(&pl->d->shape), pl->d->fan_in, &t, err);
    else
        st = il_init_describe(&init, pl->d->shape.dim, pl->d->shape.rank, il__place_layout(pl), &t,
                              err);
    if (st != IL_OK)
        return st;
    il_init_target_moments(&t, &mean, &var);
    if (isfinite(var))
        r->std = sqrt(var + mean * mean);
    return IL_OK;
}

/* "normal:std=S" */
il_status il__rule_normal(il_param_rule *r, const il__place *pl, double std, const char *why,
                          il_error *err)
{
    char spec[96] = "normal:std=";
    il__format_double(spec + strlen(spec), sizeof spec - strlen(spec), std);
    return il__rule_init(r, pl, spec, why, err);
}

il_layout il__place_layout(const il__place *pl)
{
    /* dense and attention weights are (fan_in, fan_out); conv kernels and
     * embedding tables are stored as PyTorch stores them */
    if (strcmp(pl->op_type, "conv2d") == 0 || pl->d->role == IL_ROLE_EMBEDDING)
        return IL_LAYOUT_TORCH;
    return IL_LAYOUT_DENSE;
}

/* alpha=A sets every residual's alpha; alpha_pow=P sets L^P */
static int alpha_override(const il_recipe_spec *r, const il__place *pl, double *alpha)
{
    const il_recipe *rc = r->recipe;
    for (size_t k = 0; rc && k < rc->n_params; k++) {
        double v = r->values[k].number;
        if (strcmp(rc->params[k].name, "alpha") == 0 && !isnan(v)) {
            *alpha = v;
            return 1;
        }
        if (strcmp(rc->params[k].name, "alpha_pow") == 0 && !isnan(v)) {
            *alpha = pow((double)(pl->L ? pl->L : 1), v);
            return 1;
        }
    }
    return 0;
}

/* Biases zero, norms one and zero, alphas the network's (or the spec's). */
int il__rule_common(const il_recipe_spec *r, const il__place *pl, double recipe_alpha,
                    const char *alpha_why, il_param_rule *out)
{
    double alpha;
    switch (pl->d->role) {
    case IL_ROLE_BIAS:
        il__rule_const(out, 0, "bias: zero");
        return 1;
    case IL_ROLE_NORM_WEIGHT:
        il__rule_const(out, 1, "normalization gain: one");
        return 1;
    case IL_ROLE_NORM_BIAS:
        il__rule_const(out, 0, "normalization shift: zero");
        return 1;
    case IL_ROLE_SCALE:
        if (alpha_override(r, pl, &alpha))
            il__rule_const(out, alpha, "residual alpha: as the recipe's alpha or alpha_pow says");
        else if (!isnan(recipe_alpha))
            il__rule_const(out, recipe_alpha, alpha_why);
        else
            il__rule_const(out, pl->op->alpha, "residual alpha: the network's value");
        return 1;
    default:
        return 0;
    }
}

/* ---- one initializer for every weight ---- */

static il_status by_init_rule(const il_recipe_spec *r, const il_net *n, size_t i,
                              il_param_rule *out, il_error *err)
{
    il__place pl;
    char spec[160];
    il_status st = il__recipe_place(n, i, &pl);
    if (st != IL_OK)
        return st;
    if (il__rule_common(r, &pl, (double)NAN, NULL, out))
        return IL_OK;
    il_init_format(&r->init, spec, sizeof spec);
    return il__rule_init(out, &pl, spec, "every weight by the arm's initializer", err);
}

/* ---- the table ---- */

const il_recipe *il_recipe_find(const char *name)
{
    for (size_t i = 0; i < il__recipe_count; i++)
        if (strcmp(il__recipes[i].name, name) == 0)
            return &il__recipes[i];
    return NULL;
}

size_t il_recipe_count(void)
{
    return il__recipe_count;
}

const il_recipe *il_recipe_at(size_t i)
{
    return i < il__recipe_count ? &il__recipes[i] : NULL;
}

il_status il_recipe_parse(const char *spec, il_recipe_spec *out, il_error *err)
{
    il__spec sp;
    const il_recipe *rc;
    il_status st = il__spec_split(spec, "recipe", &sp, err);

    if (st != IL_OK)
        return st;
    rc = il_recipe_find(sp.name);
    if (!rc) {
        const char *names[32];
        size_t n = il__recipe_count < 32 ? il__recipe_count : 32;
        for (size_t i = 0; i < n; i++)
            names[i] = il__recipes[i].name;
        il__unknown_name(err, "recipe", sp.name, names, n);
        return IL_ENOTFOUND;
    }
    memset(out, 0, sizeof *out);
    out->recipe = rc;
    return il__spec_bind(&sp, rc->params, rc->n_params, out->values, err);
}

il_status il_recipe_by_init(const char *init_spec, il_recipe_spec *out, il_error *err)
{
    memset(out, 0, sizeof *out);
    out->by_init = 1;
    return il_init_parse(init_spec, &out->init, err);
}

size_t il_recipe_format(const il_recipe_spec *r, char *buf, size_t cap)
{
    if (r->by_init) {
        int k = snprintf(buf, cap, "init:");
        size_t used = k > 0 ? (size_t)k : 0;
        return used + il_init_format(&r->init, used < cap ? buf + used : NULL,
                                     used < cap ? cap - used : 0);
    }
    return il__spec_format(r->recipe->name, r->recipe->params, r->recipe->n_params, r->values, buf,
                           cap);
}

il_status il_recipe_rule(const il_recipe_spec *r, const il_net *n, size_t i, il_param_rule *out,
                         il_error *err)
{
    if (i >= il_net_param_count(n))
        return IL_EINVAL;
    if (r->by_init)
        return by_init_rule(r, n, i, out, err);
    return r->recipe->rule(r, n, i, out, err);
}

/* Fill one parameter by its rule. */
static il_status fill(il_net *n, size_t i, const il_param_rule *rule, il_rng *rng, il_error *err)
{
    const il_param_desc *d = il_net_param(n, i, NULL);
    double *v = il_net_param_data(n, i);
    size_t size = il_tshape_size(&d->shape);
    il__place pl;
    il_init init;
    il_status st;

    switch (rule->kind) {
    case IL_RULE_CONSTANT:
        for (size_t j = 0; j < size; j++)
            v[j] = rule->value;
        return IL_OK;
    case IL_RULE_ZERO_MATRIX:
        return il__fill_zero_matrix(d, v);
    case IL_RULE_DELTA_ORTH:
        return il__fill_delta_orthogonal(d, rule->init, rng, v, err);
    case IL_RULE_INIT:
        break;
    }
    if ((st = il_init_parse(rule->init, &init, err)) != IL_OK)
        return st;
    if (d->role == IL_ROLE_BIAS)
        return il_init_fill_bias(&init, size, d->fan_in, rng, NULL, v, err);
    if ((st = il__recipe_place(n, i, &pl)) != IL_OK)
        return st;
    if (d->shape.rank < 2 && !init.type->needs_fans) {
        size_t one = size;
        return il_init_fill(&init, &one, 1, IL_LAYOUT_DENSE, rng, v, err);
    }
    return il_init_fill(&init, d->shape.dim, d->shape.rank, il__place_layout(&pl), rng, v, err);
}

il_status il_recipe_apply(const il_recipe_spec *r, il_net *n, il_rng *rng, il_error *err)
{
    for (size_t i = 0; i < il_net_param_count(n); i++) {
        il_param_rule rule;
        il_status st = il_recipe_rule(r, n, i, &rule, err);
        if (st == IL_OK)
            st = fill(n, i, &rule, rng, err);
        if (st != IL_OK) {
            if (err) {
                il_error inner = *err;
                il__set_error(err, "%s: %s", il_net_param_name(n, i), inner.message);
            }
            return st;
        }
    }
    return IL_OK;
}
