/* SPDX-License-Identifier: MIT */
/* A run's description: defaults, shape, and the one validation. */
#include <math.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/run.h"
#include "internal/spec_impl.h"

void il_run_spec_init(il_run_spec *s)
{
    memset(s, 0, sizeof *s);
    s->batch = 1000;
    s->seed = 100;
    s->order = IL_EXP_PAIRED;
    s->dtype = IL_DTYPE_F64;
    s->grad_source = IL_EXP_GRAD_SOFTMAX_CE;
    s->classes = 10;
    s->bins = 30;
    s->lo = s->hi = (double)NAN;
    strcpy(s->input, "normal");
}

void il_run_spec_release(il_run_spec *s)
{
    il_free(s->widths);
    s->widths = NULL;
    s->n_layers = 0;
    il_netdesc_free(s->net);
    s->net = NULL;
}

il_status il_run_spec_set_widths(il_run_spec *s, size_t n_in, const size_t *widths, size_t n)
{
    size_t *w = n ? il_malloc_n(n, sizeof *w) : NULL;
    if (n && !w)
        return IL_ENOMEM;
    for (size_t l = 0; l < n; l++)
        w[l] = widths ? widths[l] : 0;
    il_free(s->widths);
    s->widths = w;
    s->n_layers = n;
    s->n_in = n_in;
    return IL_OK;
}

il_status il_run_spec_set_uniform(il_run_spec *s, size_t depth, size_t width)
{
    il_status st = il_run_spec_set_widths(s, width, NULL, depth);
    for (size_t l = 0; st == IL_OK && l < depth; l++)
        s->widths[l] = width;
    return st;
}

const il_rng_type *il_run_spec_rng(const il_run_spec *s)
{
    if (s->rng)
        return s->rng;
    return il_rng_find(s->order == IL_EXP_LECTURE ? "mt19937" : "philox");
}

/* The name of a field as the spec's source spells it. */
static const char *field(const il_run_spec *s, const char *key, const char *flag)
{
    return s->from_json ? key : flag;
}

/* A run on a network of layer ops: each arm a recipe or one init. */
static il_status validate_net_arms(il_run_spec *s, il_error *err)
{
    for (size_t a = 0; a < s->n_arms; a++) {
        const il_run_arm *t = &s->arms[a];
        il_error inner;
        il_status st;
        if (t->act[0] || t->bias[0]) {
            il__set_error(err, "arm %zu: a network's activations are its layers; give %s", a + 1,
                          s->from_json ? "\"recipe\" or \"init\" only" : "--recipe or --arm INIT");
            return IL_EINVAL;
        }
        if (!!t->recipe[0] == !!t->init[0]) {
            il__set_error(err, "arm %zu: give a recipe or an init for every weight, not %s", a + 1,
                          t->recipe[0] ? "both" : "neither");
            return IL_EINVAL;
        }
        st = t->recipe[0] ? il_recipe_parse(t->recipe, &s->recipes[a], &inner)
                          : il_recipe_by_init(t->init, &s->recipes[a], &inner);
        if (st != IL_OK) {
            il__set_error(err, "arm %zu: %s", a + 1, inner.message);
            return IL_EINVAL;
        }
    }
    return IL_OK;
}

il_status il_run_spec_validate(il_run_spec *s, il_error *err)
{
    il_error inner;
    il_status st;

    if (s->n_arms == 0 || s->n_arms > IL_RUN_MAX_ARMS) {
        il__set_error(err, "give 1..%d arms", IL_RUN_MAX_ARMS);
        return IL_EINVAL;
    }
    if (s->batch == 0) {
        il__set_error(err, "%s must be at least 1", field(s, "\"batch\"", "--batch"));
        return IL_EINVAL;
    }
    if (s->bins == 0 || s->bins > IL_HIST_MAX_BINS) {
        il__set_error(err, "invalid value '%zu' for %s: expected 1..%d", s->bins,
                      field(s, "\"bins\"", "--bins"), IL_HIST_MAX_BINS);
        return IL_EINVAL;
    }
    if (s->net) {
        if ((st = validate_net_arms(s, err)) != IL_OK)
            return st;
        if (s->corr) {
            il__set_error(err,
                          "%s is measured on MLP runs (depth and width), not on networks of "
                          "layer ops",
                          field(s, "\"corr\"", "--corr"));
            return IL_EINVAL;
        }
        if (s->dtype == IL_DTYPE_F32 || s->order == IL_EXP_LECTURE || s->input_data) {
            il__set_error(err, "networks of layer ops run in float64, paired, with drawn inputs");
            return IL_EINVAL;
        }
        if (il_init_parse(s->input, &s->input_init, &inner) != IL_OK) {
            il__set_error(err, "%s: %s", field(s, "\"input\"", "--input"), inner.message);
            return IL_EINVAL;
        }
        return IL_OK;
    }
    memset(s->parsed, 0, sizeof s->parsed);
    for (size_t a = 0; a < s->n_arms; a++) {
        const il_run_arm *t = &s->arms[a];
        il_arm *arm = &s->parsed[a];
        if (il_init_parse(t->init, &arm->init, &inner) != IL_OK ||
            il_act_parse(t->act, &arm->act, &inner) != IL_OK ||
            (t->bias[0] && il_init_parse(t->bias, &arm->bias, &inner) != IL_OK)) {
            if (s->from_json)
                il__set_error(err, "arm %zu: %s", a + 1, inner.message);
            else
                il__set_error(err, "%s", inner.message);
            return IL_EINVAL;
        }
        arm->has_bias = t->bias[0] != '\0';
    }
    if (s->n_layers == 0 || s->n_layers > IL_RUN_MAX_LAYERS || !s->widths) {
        il__set_error(err, "the network needs 1..%d layers", IL_RUN_MAX_LAYERS);
        return IL_EINVAL;
    }
    if (isnan(s->lo) || isnan(s->hi)) { /* a range that shows every arm's activation */
        s->lo = (double)INFINITY;
        s->hi = -(double)INFINITY;
        for (size_t a = 0; a < s->n_arms; a++) {
            s->lo = fmin(s->lo, s->parsed[a].act.type->view_lo);
            s->hi = fmax(s->hi, s->parsed[a].act.type->view_hi);
        }
    }
    if (s->dtype == IL_DTYPE_F32 && s->grad) {
        il__set_error(err, "float32 runs forward only: leave out %s",
                      field(s, "\"grad\"", "--grad"));
        return IL_EINVAL;
    }
    if (s->grad && s->grad_source == IL_EXP_GRAD_SOFTMAX_CE &&
        (s->classes < 2 || s->classes > 100000)) {
        il__set_error(err, "%s must be 2..100000", field(s, "\"classes\"", "--classes"));
        return IL_EINVAL;
    }
    if (s->input_data) {
        il_init_parse("normal", &s->input_init, NULL); /* described, never drawn */
    } else if (il_init_parse(s->input, &s->input_init, &inner) != IL_OK) {
        if (s->from_json)
            il__set_error(err, "\"input\": %s", inner.message);
        else
            il__set_error(err, "--input: %s (a file must end in .npy or .csv)", inner.message);
        return IL_EINVAL;
    }
    return IL_OK;
}
