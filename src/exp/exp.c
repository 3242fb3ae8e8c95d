/* SPDX-License-Identifier: MIT */
/* Running arms of dense layers in the lecture's draw order. */
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/exp.h"
#include "initlab/layer.h"
#include "internal/spec_impl.h"

struct il_exp_result {
    size_t n_arms, n_layers;
    il_layer_stats stats[]; /* arm-major */
};

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

il_status il_exp_memory(const il_exp_config *cfg, size_t *bytes)
{
    size_t act, w, total, per_arm, stats, n_stats;

    if (!max_sizes(cfg, &act, &w))
        return IL_ELIMIT;
    /* two activation buffers per arm, one weight buffer */
    if (!il_mul_size(act, 2 * sizeof(double), &per_arm) ||
        !il_mul_size(per_arm, cfg->n_arms, &total) || !il_mul_size(w, sizeof(double), &w) ||
        !il_add_size(total, w, &total) || !il_mul_size(cfg->n_arms, cfg->n_layers, &n_stats) ||
        !il_mul_size(n_stats, sizeof(il_layer_stats) + (cfg->stats.bins * 2 + 1) * sizeof(double),
                     &stats) ||
        !il_add_size(total, stats, &total))
        return IL_ELIMIT;
    *bytes = total;
    return IL_OK;
}

void il_exp_result_free(il_exp_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_arms * r->n_layers; i++)
        il_layer_stats_release(&r->stats[i]);
    il_free(r);
}

const il_layer_stats *il_exp_stats(const il_exp_result *r, size_t arm, size_t layer)
{
    return &r->stats[arm * r->n_layers + layer];
}

size_t il_exp_arm_count(const il_exp_result *r)
{
    return r->n_arms;
}

size_t il_exp_layer_count(const il_exp_result *r)
{
    return r->n_layers;
}

static il_exp_result *result_new(const il_exp_config *cfg, il_status *st)
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
    for (size_t i = 0; i < n; i++) {
        *st = il_layer_stats_init(&r->stats[i], &cfg->stats);
        if (*st != IL_OK) {
            il_exp_result_free(r);
            return NULL;
        }
    }
    return r;
}

il_status il_exp_run(const il_exp_config *cfg, il_rng *rng, il_exp_layer_fn on_layer, void *ctx,
                     il_exp_result **out, il_error *err)
{
    size_t act_elems, w_elems, prev;
    double **x = NULL, **y = NULL, *w = NULL;
    il_exp_result *res = NULL;
    il_status st = IL_OK;

    if (cfg->n_arms == 0 || cfg->n_layers == 0 || cfg->batch == 0 || cfg->n_in == 0) {
        il__set_error(err, "an experiment needs at least one arm, layer, row and input column");
        return IL_EINVAL;
    }
    for (size_t l = 0; l < cfg->n_layers; l++)
        if (cfg->widths[l] == 0) {
            il__set_error(err, "layer %zu has width 0", l + 1);
            return IL_EINVAL;
        }
    st = il_stats_config_check(&cfg->stats);
    if (st != IL_OK) {
        il__set_error(err, "invalid histogram configuration");
        return st;
    }
    if (!max_sizes(cfg, &act_elems, &w_elems)) {
        il__set_error(err, "network is too large (size overflows)");
        return IL_ELIMIT;
    }
    res = result_new(cfg, &st);
    if (!res)
        return st;
    x = il_calloc(cfg->n_arms, sizeof *x);
    y = il_calloc(cfg->n_arms, sizeof *y);
    /* activations and weights are written in full before they are read */
    w = il_malloc_n(w_elems, sizeof *w);
    if (!x || !y || !w) {
        st = IL_ENOMEM;
        goto done;
    }
    for (size_t a = 0; a < cfg->n_arms; a++) {
        x[a] = il_malloc_n(act_elems, sizeof(double));
        y[a] = il_malloc_n(act_elems, sizeof(double));
        if (!x[a] || !y[a]) {
            st = IL_ENOMEM;
            goto done;
        }
    }

    /* All inputs first, in arm order (x_1, then x_2). */
    for (size_t a = 0; a < cfg->n_arms; a++) {
        size_t shape[2] = {cfg->batch, cfg->n_in};
        st = il_init_fill(&cfg->input, shape, 2, IL_LAYOUT_DENSE, rng, x[a], err);
        if (st != IL_OK)
            goto done;
    }
    /* Then layer by layer, each arm's weights in arm order (w_1, then w_2). */
    prev = cfg->n_in;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        size_t width = cfg->widths[l];
        size_t shape[2] = {prev, width};
        for (size_t a = 0; a < cfg->n_arms; a++) {
            il_layer_stats *s = &res->stats[a * cfg->n_layers + l];
            double *t;

            st = il_init_fill(&cfg->arms[a].init, shape, 2, IL_LAYOUT_DENSE, rng, w, err);
            if (st != IL_OK)
                goto done;
            st = il_dense_forward(x[a], cfg->batch, prev, w, width, NULL, &cfg->arms[a].act, y[a]);
            if (st != IL_OK)
                goto done;
            il_layer_stats_add(s, y[a], cfg->batch * width);
            il_layer_stats_finish(s);
            if (on_layer) {
                st = on_layer(ctx, a, l, y[a], cfg->batch, width);
                if (st != IL_OK)
                    goto done;
            }
            t = x[a]; /* this layer's output is the next one's input */
            x[a] = y[a];
            y[a] = t;
        }
        prev = width;
    }

done:
    if (x)
        for (size_t a = 0; a < cfg->n_arms; a++)
            il_free(x[a]);
    if (y)
        for (size_t a = 0; a < cfg->n_arms; a++)
            il_free(y[a]);
    il_free(x);
    il_free(y);
    il_free(w);
    if (st != IL_OK) {
        il_exp_result_free(res);
        return st;
    }
    *out = res;
    return IL_OK;
}
