/* SPDX-License-Identifier: MIT */
/* The draws every path of an experiment shares: inputs, paired noise,
 * each arm's parameters, and the forward pass's buffers. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "initlab/layer.h"
#include "initlab/mlp.h"
#include "internal/spec_impl.h"
#include "exp_impl.h"

/* The noise kinds the arms' weight (or bias) schemes transform. */
void il__exp_bases_used(const il_exp_config *cfg, int bias, int *normal, int *uniform)
{
    *normal = *uniform = 0;
    for (size_t a = 0; a < cfg->n_arms; a++) {
        const il_arm *arm = &cfg->arms[a];
        il_init_base b;
        if (bias && !arm->has_bias)
            continue;
        b = il_init_get_base(bias ? &arm->bias : &arm->init);
        *normal |= b == IL_INIT_BASE_NORMAL;
        *uniform |= b == IL_INIT_BASE_UNIFORM;
    }
}

const double *il__exp_noise_for(const il_init *init, const double *normal, const double *uniform)
{
    switch (il_init_get_base(init)) {
    case IL_INIT_BASE_NORMAL:
        return normal;
    case IL_INIT_BASE_UNIFORM:
        return uniform;
    default:
        return NULL;
    }
}

/* The shared noise buffers of a paired run (none otherwise), beside the
 * weight buffer 'w'. A single arm shares its noise with nobody: it is
 * drawn into the weights and transformed in place (from_noise allows out
 * == noise), so the layer needs one weight buffer, not three. Returns 0
 * when out of memory (release with noise_free either way). */
static int noise_alloc(const il_exp_config *cfg, const exp_buffers *sz, double *w, layer_noise *nz)
{
    memset(nz, 0, sizeof *nz);
    if (cfg->order != IL_EXP_PAIRED)
        return 1;
    if (cfg->n_arms == 1) {
        nz->wn = nz->wu = w;
    } else {
        nz->wn = il_malloc_n(sz->w_elems, sizeof *nz->wn);
        nz->wu = il_malloc_n(sz->w_elems, sizeof *nz->wu);
    }
    nz->bn = il_malloc_n(sz->widest, sizeof *nz->bn);
    nz->bu = il_malloc_n(sz->widest, sizeof *nz->bu);
    return w && nz->wn && nz->wu && nz->bn && nz->bu;
}

static void noise_free(layer_noise *nz, const double *w)
{
    if (nz->wn != w) {
        il_free(nz->wn);
        il_free(nz->wu);
    }
    il_free(nz->bn);
    il_free(nz->bu);
    memset(nz, 0, sizeof *nz);
}

/* Returns 0 when out of memory (release with forward_free either way). */
int il__exp_forward_alloc(const il_exp_config *cfg, const exp_buffers *sz, size_t elem,
                          forward_buffers *fb)
{
    memset(fb, 0, sizeof *fb);
    fb->n_arms = cfg->n_arms;
    /* arrays of pointers, so sizeof a pointer is meant */
    fb->x = il_calloc(cfg->n_arms, sizeof *fb->x); // NOLINT(bugprone-sizeof-expression)
    fb->y = il_calloc(cfg->n_arms, sizeof *fb->y); // NOLINT(bugprone-sizeof-expression)
    /* activations, weights and noise are written in full before they are read */
    fb->w = il_malloc_n(sz->w_elems, sizeof *fb->w);
    fb->bias = il_malloc_n(sz->widest, sizeof *fb->bias);
    if (!noise_alloc(cfg, sz, fb->w, &fb->nz) || !fb->x || !fb->y || !fb->w || !fb->bias)
        return 0;
    for (size_t a = 0; a < cfg->n_arms; a++) {
        fb->x[a] = il_malloc_n(sz->act_elems, elem);
        fb->y[a] = il_malloc_n(sz->act_elems, elem);
        if (!fb->x[a] || !fb->y[a])
            return 0;
    }
    return 1;
}

void il__exp_forward_free(forward_buffers *fb)
{
    for (size_t a = 0; a < fb->n_arms; a++) {
        if (fb->x)
            il_free(fb->x[a]);
        if (fb->y)
            il_free(fb->y[a]);
    }
    il_free(fb->x);
    il_free(fb->y);
    noise_free(&fb->nz, fb->w);
    il_free(fb->w);
    il_free(fb->bias);
    memset(fb, 0, sizeof *fb);
}

/* Arm a's layer output becomes the next layer's input. */
void il__exp_forward_swap(forward_buffers *fb, size_t a)
{
    void *t = fb->x[a];
    fb->x[a] = fb->y[a];
    fb->y[a] = t;
}

/* Every arm's input, into the doubles x[a]: paired, one draw given to all;
 * else one per arm, in arm order (the lecture's x_1, x_2). */
il_status il__exp_draw_inputs(const il_exp_config *cfg, il_rng *rng, void *const *x, il_error *err)
{
    size_t shape[2] = {cfg->batch, cfg->n_in};
    for (size_t a = 0; a < cfg->n_arms; a++) {
        il_status st;
        if (cfg->input_data) { /* given, not drawn */
            memcpy(x[a], cfg->input_data, cfg->batch * cfg->n_in * sizeof(double));
            continue;
        }
        if (cfg->order == IL_EXP_PAIRED && a > 0) {
            memcpy(x[a], x[0], cfg->batch * cfg->n_in * sizeof(double));
            continue;
        }
        st = il_init_fill(&cfg->input, shape, 2, IL_LAYOUT_DENSE, rng, x[a], err);
        if (st != IL_OK)
            return st;
    }
    return IL_OK;
}

/* Paired runs: the layer's shared noise, for the kinds some arm uses. */
void il__exp_draw_shared_noise(const il_exp_config *cfg, il_rng *rng, size_t fan_in, size_t fan_out,
                               const layer_noise *nz)
{
    int wn_used, wu_used, bn_used, bu_used;
    if (cfg->order != IL_EXP_PAIRED)
        return;
    il__exp_bases_used(cfg, 0, &wn_used, &wu_used);
    il__exp_bases_used(cfg, 1, &bn_used, &bu_used);
    if (wn_used)
        il_init_draw_noise(IL_INIT_BASE_NORMAL, rng, nz->wn, fan_in * fan_out);
    if (wu_used)
        il_init_draw_noise(IL_INIT_BASE_UNIFORM, rng, nz->wu, fan_in * fan_out);
    if (bn_used)
        il_init_draw_noise(IL_INIT_BASE_NORMAL, rng, nz->bn, fan_out);
    if (bu_used)
        il_init_draw_noise(IL_INIT_BASE_UNIFORM, rng, nz->bu, fan_out);
}

/* Arm 'a's weights (and bias, if it has one) for a (fan_in, fan_out)
 * layer: from the shared noise when paired and the scheme has a base,
 * else drawn from 'rng'. */
il_status il__exp_make_arm_params(const il_exp_config *cfg, size_t a, il_rng *rng, size_t fan_in,
                                  size_t fan_out, const layer_noise *nz, double *w, double *b,
                                  il_error *err)
{
    const il_arm *arm = &cfg->arms[a];
    const int paired = cfg->order == IL_EXP_PAIRED;
    size_t shape[2] = {fan_in, fan_out};
    const double *noise = paired ? il__exp_noise_for(&arm->init, nz->wn, nz->wu) : NULL;
    il_status st;

    if (noise)
        st = il_init_from_noise(&arm->init, shape, 2, IL_LAYOUT_DENSE, noise, w, err);
    else
        st = il_init_fill(&arm->init, shape, 2, IL_LAYOUT_DENSE, rng, w, err);
    if (st != IL_OK || !arm->has_bias)
        return st;
    noise = paired ? il__exp_noise_for(&arm->bias, nz->bn, nz->bu) : NULL;
    return il_init_fill_bias(&arm->bias, fan_out, fan_in, rng, noise, b, err);
}
