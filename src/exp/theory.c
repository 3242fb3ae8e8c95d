/* SPDX-License-Identifier: MIT */
/* What mean-field theory predicts for an experiment's arm. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "initlab/layer.h"
#include "initlab/mlp.h"
#include "internal/spec_impl.h"
#include "exp_impl.h"

/* E[v^2] of what 'init' would make of a layer's weights (bias: 'is_bias'),
 * or NAN with a reason in 'err' when mean-field theory cannot use it. */
static double theory_moment(const il_init *init, int is_bias, size_t fan_in, size_t n_out,
                            il_error *err)
{
    size_t shape[2] = {fan_in, n_out};
    il_init_target t;
    double mean, var;
    il_status st = is_bias ? il_init_describe_bias(init, n_out, fan_in, &t, err)
                           : il_init_describe(init, shape, 2, IL_LAYOUT_DENSE, &t, err);
    if (st != IL_OK)
        return (double)NAN;
    il_init_target_moments(&t, &mean, &var);
    if (!isfinite(var) || !isfinite(mean)) {
        il__set_error(err, "no theory for '%s' %s: it has no variance to map", init->type->name,
                      is_bias ? "biases" : "weights");
        return (double)NAN;
    }
    if (mean != 0) {
        il__set_error(err, "no theory for '%s' %s: mean-field theory needs mean 0, not %g",
                      init->type->name, is_bias ? "biases" : "weights", mean);
        return (double)NAN;
    }
    return var;
}

/* What the theory reads of arm 'arm' of 'cfg': each layer's sigma_w2 and
 * sigma_b2 (into 'sw', 'sb', n_layers each), the input's E[x^2] and the
 * correlation of two of its rows. */
static il_status arm_moments(const il_exp_config *cfg, size_t arm, double *sw, double *sb,
                             double *in_q, double *in_c, il_error *err)
{
    const il_arm *a;
    size_t in_shape[2] = {cfg->batch, cfg->n_in};
    il_init_target t;
    double in_mean, in_var;
    il_status st;

    if (arm >= cfg->n_arms || cfg->n_layers == 0) {
        il__set_error(err, "no such arm");
        return IL_EINVAL;
    }
    a = &cfg->arms[arm];
    if (cfg->input_data) { /* E[x^2] of the given batch */
        size_t n = cfg->batch * cfg->n_in;
        double m2 = 0.0;
        for (size_t i = 0; i < n; i++)
            m2 += cfg->input_data[i] * cfg->input_data[i];
        in_mean = 0.0;
        in_var = m2 / (double)n;
        st = il_stats_row_corr(cfg->input_data, IL_DTYPE_F64, cfg->batch, cfg->n_in, in_c);
        if (st != IL_OK)
            return st;
    } else {
        st = il_init_describe(&cfg->input, in_shape, 2, IL_LAYOUT_DENSE, &t, err);
        if (st != IL_OK)
            return st;
        il_init_target_moments(&t, &in_mean, &in_var);
        /* independent draws: two rows' mean product is the mean squared */
        *in_c = in_mean * in_mean / (in_mean * in_mean + in_var);
    }
    if (!isfinite(in_var)) {
        il__set_error(err, "no theory for the input '%s': it has no variance to map",
                      cfg->input.type->name);
        return IL_EINVAL;
    }
    *in_q = in_var + in_mean * in_mean;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        size_t fan_in = l == 0 ? cfg->n_in : cfg->widths[l - 1];
        sw[l] = (double)fan_in * theory_moment(&a->init, 0, fan_in, cfg->widths[l], err);
        sb[l] = a->has_bias ? theory_moment(&a->bias, 1, fan_in, cfg->widths[l], err) : 0.0;
        if (isnan(sw[l]) || isnan(sb[l]))
            return IL_EINVAL;
    }
    return IL_OK;
}

/* il_exp_theory (corr NULL) or il_exp_theory_corr (layers NULL). */
static il_status arm_theory(const il_exp_config *cfg, size_t arm, il_theory_layer *layers,
                            double *corr, il_error *err)
{
    double in_q = 0.0, in_c = 0.0, *sw = NULL, *sb = NULL;
    il_status st;

    sw = il_malloc_n(cfg->n_layers, sizeof *sw);
    sb = il_malloc_n(cfg->n_layers, sizeof *sb);
    st = sw && sb ? arm_moments(cfg, arm, sw, sb, &in_q, &in_c, err) : IL_ENOMEM;
    if (st == IL_OK) {
        const il_act *act = &cfg->arms[arm].act;
        st = layers ? il_theory_layers(act, sw, sb, in_q, cfg->n_layers, layers)
                    : il_theory_corr_layers(act, sw, sb, in_q, in_c, cfg->n_layers, corr);
        if (st != IL_OK)
            il__set_error(err, "no theory for this arm: a variance is not finite");
    }
    il_free(sw);
    il_free(sb);
    return st;
}

il_status il_exp_theory(const il_exp_config *cfg, size_t arm, il_theory_layer *layers,
                        il_error *err)
{
    return arm_theory(cfg, arm, layers, NULL, err);
}

il_status il_exp_theory_corr(const il_exp_config *cfg, size_t arm, double *corr, il_error *err)
{
    return arm_theory(cfg, arm, NULL, corr, err);
}
