/* SPDX-License-Identifier: MIT */
/* An experiment's result: sizes, memory estimate, making, accessors. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "initlab/layer.h"
#include "initlab/mlp.h"
#include "internal/spec_impl.h"
#include "exp_impl.h"

il_status il__exp_tick(const il_exp_config *cfg, size_t done, size_t total)
{
    return cfg->tick && cfg->tick(cfg->tick_ctx, done, total) ? IL_ECANCELED : IL_OK;
}

/* The widest activation and the largest weight matrix, in elements. */
static int max_sizes(const il_exp_config *cfg, size_t *act_elems, size_t *w_elems)
{
    size_t widest = cfg->n_in, wmax = 0, prev = cfg->n_in;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        size_t w;
        if (!il_mul_size(prev, cfg->widths[l], &w))
            return 0;
        if (w > wmax)
            wmax = w;
        if (cfg->widths[l] > widest)
            widest = cfg->widths[l];
        prev = cfg->widths[l];
    }
    *w_elems = wmax;
    return il_mul_size(widest, cfg->batch, act_elems);
}

int il__exp_buffer_sizes(const il_exp_config *cfg, exp_buffers *b)
{
    size_t widest = cfg->n_in;
    for (size_t l = 0; l < cfg->n_layers; l++)
        if (cfg->widths[l] > widest)
            widest = cfg->widths[l];
    b->widest = widest;
    return max_sizes(cfg, &b->act_elems, &b->w_elems);
}

il_status il_exp_memory(const il_exp_config *cfg, size_t *bytes)
{
    exp_buffers b;
    size_t per_arm, total, w, stats, n_stats, bias;

    if (!il__exp_buffer_sizes(cfg, &b))
        return IL_ELIMIT;
    /* two activation buffers per arm; three weight-sized buffers (weights,
     * shared normal and uniform noise), one for a single paired arm, whose
     * noise is drawn into its weights; three bias-sized ones */
    size_t w_bufs = cfg->order == IL_EXP_PAIRED && cfg->n_arms == 1 ? 1 : 3, y64 = 0;
    /* float32: two float activation buffers per arm, the input drawn in
     * double, and a float copy of the weights */
    size_t act_size = cfg->f32 ? sizeof(float) : sizeof(double);
    size_t w_size = w_bufs * sizeof(double) + (cfg->f32 ? sizeof(float) : 0);
    size_t stats_each = il_layer_stats_bytes(&cfg->stats);
    if ((cfg->f32 &&
         (!il_mul_size(cfg->batch, cfg->n_in, &y64) || !il_mul_size(y64, sizeof(double), &y64))) ||
        !il_mul_size(b.act_elems, 2 * act_size, &per_arm) ||
        !il_mul_size(per_arm, cfg->n_arms, &total) || !il_add_size(total, y64, &total) ||
        !il_mul_size(b.w_elems, w_size, &w) || !il_add_size(total, w, &total) ||
        !il_mul_size(b.widest, 3 * sizeof(double), &bias) || !il_add_size(total, bias, &total) ||
        !il_mul_size(cfg->n_arms, cfg->n_layers, &n_stats) || stats_each == 0 ||
        !il_mul_size(n_stats, stats_each, &stats) || !il_add_size(total, stats, &total))
        return IL_ELIMIT;
    /* the correlations, and il_stats_row_corr's column sums */
    if (cfg->corr && (!il_add_size(n_stats, b.widest, &w) || !il_mul_size(w, sizeof(double), &w) ||
                      !il_add_size(total, w, &total)))
        return IL_ELIMIT;
    if (cfg->grad != IL_EXP_GRAD_NONE) {
        /* one il_mlp per arm with everything kept, and the classifier */
        size_t *ws = il_malloc_n(cfg->n_layers + 1, sizeof *ws), per_net, nets;
        il_status st;
        if (!ws)
            return IL_ENOMEM;
        memcpy(ws, cfg->widths, cfg->n_layers * sizeof *ws);
        ws[cfg->n_layers] = cfg->classes ? cfg->classes : 1;
        st = il_mlp_memory(cfg->batch, cfg->n_in, ws,
                           cfg->n_layers + (cfg->grad == IL_EXP_GRAD_SOFTMAX_CE), &per_net);
        il_free(ws);
        if (st != IL_OK || !il_mul_size(per_net, cfg->n_arms, &nets) ||
            !il_add_size(total, nets, &total) ||
            !il_add_size(total, n_stats * 2 * (sizeof(il_layer_stats) + 6 * cfg->stats.bins * 8),
                         &total))
            return IL_ELIMIT;
    }
    *bytes = total;
    return IL_OK;
}

void il_exp_result_free(il_exp_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_arms * r->n_layers; i++) {
        il_layer_stats_release(&r->stats[i]);
        if (r->grad_pre)
            il_layer_stats_release(&r->grad_pre[i]);
        if (r->grad_w)
            il_layer_stats_release(&r->grad_w[i]);
    }
    il_free(r->grad_pre);
    il_free(r->grad_w);
    il_free(r->grad_ratio);
    il_free(r->loss);
    il_free(r->lsuv);
    il_free(r->corr);
    il_free(r);
}

const size_t *il_exp_lsuv_iters(const il_exp_result *r, size_t arm)
{
    return r->lsuv && r->lsuv[arm * r->n_layers] != SIZE_MAX ? &r->lsuv[arm * r->n_layers] : NULL;
}

const double *il_exp_corr(const il_exp_result *r, size_t arm)
{
    return r->corr ? &r->corr[arm * r->n_layers] : NULL;
}

il_status il__exp_measure_corr(const il_exp_config *cfg, il_exp_result *res, size_t a, size_t l,
                               const void *y, il_dtype dtype)
{
    if (!res->corr)
        return IL_OK;
    return il_stats_row_corr(y, dtype, cfg->batch, cfg->widths[l],
                             &res->corr[a * cfg->n_layers + l]);
}

const il_layer_stats *il_exp_grad_pre(const il_exp_result *r, size_t arm, size_t layer)
{
    return r->grad_pre ? &r->grad_pre[arm * r->n_layers + layer] : NULL;
}

const il_layer_stats *il_exp_grad_w(const il_exp_result *r, size_t arm, size_t layer)
{
    return r->grad_w ? &r->grad_w[arm * r->n_layers + layer] : NULL;
}

double il_exp_grad_ratio(const il_exp_result *r, size_t arm, size_t layer)
{
    return r->grad_ratio ? r->grad_ratio[arm * r->n_layers + layer] : (double)NAN;
}

double il_exp_loss(const il_exp_result *r, size_t arm)
{
    return r->loss ? r->loss[arm] : (double)NAN;
}

const il_layer_stats *il_exp_stats(const il_exp_result *r, size_t arm, size_t layer)
{
    return &r->stats[arm * r->n_layers + layer];
}

size_t il_exp_first_nonfinite(const il_exp_result *r, size_t arm)
{
    for (size_t l = 0; l < r->n_layers; l++)
        if (r->stats[arm * r->n_layers + l].nonfinite)
            return l + 1;
    return 0;
}

size_t il_exp_first_dead(const il_exp_result *r, size_t arm)
{
    for (size_t l = 0; l < r->n_layers; l++) {
        const il_layer_stats *s = &r->stats[arm * r->n_layers + l];
        if (s->count > 0 && s->nonfinite == 0 && s->min == 0.0 && s->max == 0.0)
            return l + 1;
    }
    return 0;
}

size_t il_exp_arm_count(const il_exp_result *r)
{
    return r->n_arms;
}

size_t il_exp_layer_count(const il_exp_result *r)
{
    return r->n_layers;
}

il_exp_result *il__exp_result_new(const il_exp_config *cfg, il_status *st)
{
    size_t n, bytes;
    il_exp_result *r;

    if (!il_mul_size(cfg->n_arms, cfg->n_layers, &n) ||
        !il_mul_size(n, sizeof(il_layer_stats), &bytes) || !il_add_size(bytes, sizeof *r, &bytes)) {
        *st = IL_ELIMIT;
        return NULL;
    }
    r = il_malloc(bytes);
    if (!r) {
        *st = IL_ENOMEM;
        return NULL;
    }
    memset(r, 0, bytes);
    r->n_arms = cfg->n_arms;
    r->n_layers = cfg->n_layers;
    for (size_t a = 0; a < cfg->n_arms; a++)
        if (il_init_is_lsuv(&cfg->arms[a].init, NULL, NULL) && !r->lsuv) {
            r->lsuv = il_malloc_n(n, sizeof *r->lsuv);
            if (!r->lsuv) {
                il_free(r);
                *st = IL_ENOMEM;
                return NULL;
            }
            for (size_t i = 0; i < n; i++) /* SIZE_MAX: not an LSUV arm */
                r->lsuv[i] =
                    il_init_is_lsuv(&cfg->arms[i / cfg->n_layers].init, NULL, NULL) ? 0 : SIZE_MAX;
        }
    if (cfg->corr) {
        r->corr = il_malloc_n(n, sizeof *r->corr);
        if (!r->corr) {
            il_exp_result_free(r);
            *st = IL_ENOMEM;
            return NULL;
        }
        for (size_t i = 0; i < n; i++)
            r->corr[i] = (double)NAN;
    }
    for (size_t i = 0; i < n; i++) {
        *st = il_layer_stats_init(&r->stats[i], &cfg->stats);
        if (*st != IL_OK) {
            il_exp_result_free(r);
            return NULL;
        }
    }
    return r;
}
