/* SPDX-License-Identifier: MIT */
/* Running arms of dense layers: the lecture's draw order, or paired. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/exp.h"
#include "initlab/dist.h"
#include "initlab/layer.h"
#include "initlab/mlp.h"
#include "internal/spec_impl.h"

#define IL_EXP_MAX_LSUV_LAYERS 1025 /* LSUV with gradients: hidden layers and the classifier */

struct il_exp_result {
    size_t n_arms, n_layers;
    il_layer_stats *grad_pre, *grad_w; /* arm-major; NULL without gradients */
    double *grad_ratio, *loss;
    size_t *lsuv;           /* rescalings per arm and layer, arm-major; NULL when no arm is LSUV */
    il_layer_stats stats[]; /* arm-major */
};

/* The caller's tick after step 'done' of 'total': IL_ECANCELED if it says stop. */
static il_status tick(const il_exp_config *cfg, size_t done, size_t total)
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

/* Buffers: per arm two activation buffers; one weight matrix and one bias;
 * for paired runs the shared noise (normal and uniform, weights and bias). */
typedef struct exp_buffers {
    size_t act_elems, w_elems, widest;
} exp_buffers;

static int buffer_sizes(const il_exp_config *cfg, exp_buffers *b)
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

    if (!buffer_sizes(cfg, &b))
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
    il_free(r);
}

const size_t *il_exp_lsuv_iters(const il_exp_result *r, size_t arm)
{
    return r->lsuv && r->lsuv[arm * r->n_layers] != SIZE_MAX ? &r->lsuv[arm * r->n_layers] : NULL;
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
    for (size_t i = 0; i < n; i++) {
        *st = il_layer_stats_init(&r->stats[i], &cfg->stats);
        if (*st != IL_OK) {
            il_exp_result_free(r);
            return NULL;
        }
    }
    return r;
}

/* The noise kinds the arms' weight (or bias) schemes transform. */
static void bases_used(const il_exp_config *cfg, int bias, int *normal, int *uniform)
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

static const double *noise_for(const il_init *init, const double *normal, const double *uniform)
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

/* Shared base noise of one layer (paired runs): weights and biases. */
typedef struct layer_noise {
    double *wn, *wu, *bn, *bu;
} layer_noise;

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

/* What a forward-only run holds: each arm's two activation buffers (a
 * layer's input and output, swapped after it), of 'elem' bytes a value
 * (double or float); one layer's weights and biases, in double; a paired
 * run's shared noise. */
typedef struct forward_buffers {
    size_t n_arms;
    void **x, **y;
    double *w, *bias;
    layer_noise nz;
} forward_buffers;

/* Returns 0 when out of memory (release with forward_free either way). */
static int forward_alloc(const il_exp_config *cfg, const exp_buffers *sz, size_t elem,
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

static void forward_free(forward_buffers *fb)
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
static void forward_swap(forward_buffers *fb, size_t a)
{
    void *t = fb->x[a];
    fb->x[a] = fb->y[a];
    fb->y[a] = t;
}

/* LSUV for one layer of the forward-only path: divide 'w' by the std of
 * the pre-activations x w + b until their variance is within tol of 1
 * (the layers below are already final). 'z' is scratch. */
static il_status lsuv_layer(const il_arm *arm, const double *x, size_t batch, size_t n_in,
                            double *w, size_t n_out, const double *bias, double *z, size_t *iters,
                            size_t layer, il_error *err)
{
    double tol;
    int max_iter;
    il_act identity;

    il_init_is_lsuv(&arm->init, &tol, &max_iter);
    if (il_act_parse("identity", &identity, err) != IL_OK)
        return IL_EINVAL;
    *iters = 0;
    for (;;) {
        double mean = 0, var = 0;
        size_t n = batch * n_out;
        if (il_dense_forward(x, batch, n_in, w, n_out, arm->has_bias ? bias : NULL, &identity, z) !=
            IL_OK)
            return IL_ELIMIT;
        for (size_t i = 0; i < n; i++)
            mean += z[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++)
            var += (z[i] - mean) * (z[i] - mean);
        var /= (double)n;
        if (!isfinite(var) || var == 0) {
            il__set_error(err, "lsuv: layer %zu %s", layer + 1,
                          var == 0 ? "is dead (its output variance is 0), so there is nothing "
                                     "to rescale"
                                   : "has a non-finite output variance");
            return IL_EINVAL;
        }
        if (fabs(var - 1) < tol || *iters >= (size_t)max_iter)
            return IL_OK;
        for (size_t i = 0; i < n_in * n_out; i++)
            w[i] /= sqrt(var);
        (*iters)++;
    }
}

/* Every arm's input, into the doubles x[a]: paired, one draw given to all;
 * else one per arm, in arm order (the lecture's x_1, x_2). */
static il_status draw_inputs(const il_exp_config *cfg, il_rng *rng, void *const *x, il_error *err)
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
static void draw_shared_noise(const il_exp_config *cfg, il_rng *rng, size_t fan_in, size_t fan_out,
                              const layer_noise *nz)
{
    int wn_used, wu_used, bn_used, bu_used;
    if (cfg->order != IL_EXP_PAIRED)
        return;
    bases_used(cfg, 0, &wn_used, &wu_used);
    bases_used(cfg, 1, &bn_used, &bu_used);
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
static il_status make_arm_params(const il_exp_config *cfg, size_t a, il_rng *rng, size_t fan_in,
                                 size_t fan_out, const layer_noise *nz, double *w, double *b,
                                 il_error *err)
{
    const il_arm *arm = &cfg->arms[a];
    const int paired = cfg->order == IL_EXP_PAIRED;
    size_t shape[2] = {fan_in, fan_out};
    const double *noise = paired ? noise_for(&arm->init, nz->wn, nz->wu) : NULL;
    il_status st;

    if (noise)
        st = il_init_from_noise(&arm->init, shape, 2, IL_LAYOUT_DENSE, noise, w, err);
    else
        st = il_init_fill(&arm->init, shape, 2, IL_LAYOUT_DENSE, rng, w, err);
    if (st != IL_OK || !arm->has_bias)
        return st;
    noise = paired ? noise_for(&arm->bias, nz->bn, nz->bu) : NULL;
    return il_init_fill_bias(&arm->bias, fan_out, fan_in, rng, noise, b, err);
}

/* mean and std of the finite values of x (two passes) */
static void quick_moments(const double *x, size_t n, double *mean, double *std)
{
    double s = 0, q = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) {
            s += x[i];
            k++;
        }
    *mean = k ? s / (double)k : 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            q += (x[i] - *mean) * (x[i] - *mean);
    *std = k ? sqrt(q / (double)k) : 0.0;
}

/* Statistics of a gradient, its histogram over +-4 of its own std. */
static il_status grad_stats(il_layer_stats *s, size_t bins, const double *x, size_t n)
{
    double mean, std, r;
    il_stats_config c;
    il_status st;

    quick_moments(x, n, &mean, &std);
    r = 4 * std;
    if (!(r > 0) || !isfinite(r) || !isfinite(2 * r))
        r = 1.0;
    c = (il_stats_config){bins, -r, r, -r, r};
    st = il_layer_stats_init(s, &c);
    if (st != IL_OK)
        return st;
    il_layer_stats_add(s, x, n);
    il_layer_stats_finish(s);
    return IL_OK;
}

/* The run with a backward pass: every arm is an il_mlp that keeps what the
 * gradients need. The draws are those of the forward-only run, then the
 * backward pass's own. */
static il_status run_with_grad(const il_exp_config *cfg, il_rng *rng, il_exp_layer_fn on_layer,
                               void *ctx, il_exp_result *res, il_error *err)
{
    const int ce = cfg->grad == IL_EXP_GRAD_SOFTMAX_CE;
    size_t L = cfg->n_layers, n_mlp = L + (ce ? 1 : 0), last = cfg->widths[L - 1];
    size_t widest_w = 0, widest = 1, prev, n_in = cfg->batch * cfg->n_in;
    size_t *widths = NULL, *labels = NULL;
    il_mlp **nets = NULL;
    void **inputs = NULL; /* each arm's input, in double */
    double *wn = NULL, *wu = NULL, *bn = NULL, *bu = NULL, *up = NULL, *wstd = NULL;
    const il_act **acts = NULL;
    layer_noise nz;
    il_status st = IL_OK;

    if (ce && (cfg->classes < 2 || cfg->classes > UINT32_MAX)) {
        il__set_error(err, "softmax cross-entropy needs at least 2 classes");
        return IL_EINVAL;
    }
    widths = il_malloc_n(n_mlp, sizeof *widths);
    /* arrays of pointers, so sizeof a pointer is meant */
    acts = il_calloc(n_mlp, sizeof *acts);           // NOLINT(bugprone-sizeof-expression)
    nets = il_calloc(cfg->n_arms, sizeof *nets);     // NOLINT(bugprone-sizeof-expression)
    inputs = il_calloc(cfg->n_arms, sizeof *inputs); // NOLINT(bugprone-sizeof-expression)
    wstd = il_calloc(cfg->n_arms * L, sizeof *wstd);
    res->grad_pre = il_calloc(cfg->n_arms * L, sizeof *res->grad_pre);
    res->grad_w = il_calloc(cfg->n_arms * L, sizeof *res->grad_w);
    res->grad_ratio = il_calloc(cfg->n_arms * L, sizeof *res->grad_ratio);
    res->loss = il_calloc(cfg->n_arms, sizeof *res->loss);
    if (!widths || !acts || !nets || !inputs || !wstd || !res->grad_pre || !res->grad_w ||
        !res->grad_ratio || !res->loss) {
        st = IL_ENOMEM;
        goto done;
    }
    memcpy(widths, cfg->widths, L * sizeof *widths);
    if (ce)
        widths[L] = cfg->classes;
    prev = cfg->n_in;
    for (size_t l = 0; l < n_mlp; l++) {
        if (prev * widths[l] > widest_w)
            widest_w = prev * widths[l];
        if (widths[l] > widest)
            widest = widths[l];
        prev = widths[l];
    }
    for (size_t a = 0; a < cfg->n_arms; a++) {
        for (size_t l = 0; l < L; l++)
            acts[l] = &cfg->arms[a].act;
        st = il_mlp_new(cfg->batch, cfg->n_in, widths, n_mlp, acts, &nets[a]);
        if (st != IL_OK)
            goto done;
        inputs[a] = il_malloc_n(n_in, sizeof(double));
        if (!inputs[a]) {
            st = IL_ENOMEM;
            goto done;
        }
    }
    wn = il_malloc_n(widest_w, sizeof *wn);
    wu = il_malloc_n(widest_w, sizeof *wu);
    bn = il_malloc_n(widest, sizeof *bn);
    bu = il_malloc_n(widest, sizeof *bu);
    if (!wn || !wu || !bn || !bu) {
        st = IL_ENOMEM;
        goto done;
    }
    nz = (layer_noise){wn, wu, bn, bu};
    /* inputs, as the forward-only run draws them */
    st = draw_inputs(cfg, rng, inputs, err);
    if (st != IL_OK)
        goto done;
    /* weights and biases, layer by layer in the same order */
    prev = cfg->n_in;
    for (size_t l = 0; l < L; l++) {
        size_t width = cfg->widths[l];
        draw_shared_noise(cfg, rng, prev, width, &nz);
        for (size_t a = 0; a < cfg->n_arms; a++) {
            double mean;
            st = make_arm_params(cfg, a, rng, prev, width, &nz, il_mlp_weights(nets[a], l),
                                 il_mlp_bias(nets[a], l), err);
            if (st != IL_OK)
                goto done;
            quick_moments(il_mlp_weights(nets[a], l), prev * width, &mean, &wstd[a * L + l]);
        }
        prev = width;
    }
    /* the backward pass's draws: the classifier (shared noise), labels or
     * the upstream gradient */
    if (ce) {
        size_t shape[2] = {last, cfg->classes};
        int need_n, need_u;
        bases_used(cfg, 0, &need_n, &need_u);
        if (need_n)
            il_init_draw_noise(IL_INIT_BASE_NORMAL, rng, wn, last * cfg->classes);
        if (need_u)
            il_init_draw_noise(IL_INIT_BASE_UNIFORM, rng, wu, last * cfg->classes);
        for (size_t a = 0; a < cfg->n_arms; a++) {
            const double *noise = noise_for(&cfg->arms[a].init, wn, wu);
            double *w = il_mlp_weights(nets[a], L);
            if (noise)
                st = il_init_from_noise(&cfg->arms[a].init, shape, 2, IL_LAYOUT_DENSE, noise, w,
                                        err);
            else
                st = il_init_fill(&cfg->arms[a].init, shape, 2, IL_LAYOUT_DENSE, rng, w, err);
            if (st != IL_OK)
                goto done;
        }
        labels = il_malloc_n(cfg->batch, sizeof *labels);
        up = il_malloc_n(cfg->batch * cfg->classes, sizeof *up);
        if (!labels || !up) {
            st = IL_ENOMEM;
            goto done;
        }
        for (size_t r = 0; r < cfg->batch; r++)
            labels[r] = il_dist_bounded(rng, cfg->classes);
    } else {
        up = il_malloc_n(cfg->batch * last, sizeof *up);
        if (!up) {
            st = IL_ENOMEM;
            goto done;
        }
        il_dist_fill_standard_normal(rng, up, cfg->batch * last);
    }
    /* LSUV on the hidden layers and the classifier, then the weights' std
     * again for the update ratios */
    for (size_t a = 0; a < cfg->n_arms && res->lsuv; a++) {
        double tol, mean;
        int max_iter;
        size_t iters[IL_EXP_MAX_LSUV_LAYERS];
        if (!il_init_is_lsuv(&cfg->arms[a].init, &tol, &max_iter))
            continue;
        if (n_mlp > IL_EXP_MAX_LSUV_LAYERS) {
            il__set_error(err, "lsuv with gradients: at most %d layers",
                          IL_EXP_MAX_LSUV_LAYERS - 1);
            st = IL_ELIMIT;
            goto done;
        }
        st = il_mlp_lsuv(nets[a], inputs[a], tol, max_iter, iters, err);
        if (st != IL_OK)
            goto done;
        prev = cfg->n_in;
        for (size_t l = 0; l < L; l++) {
            res->lsuv[a * L + l] = iters[l];
            quick_moments(il_mlp_weights(nets[a], l), prev * cfg->widths[l], &mean,
                          &wstd[a * L + l]);
            prev = cfg->widths[l];
        }
    }
    /* forward, statistics, backward */
    for (size_t a = 0; a < cfg->n_arms; a++) {
        il_mlp *m = nets[a];
        st = il_mlp_forward(m, inputs[a]);
        if (st != IL_OK) {
            il__set_error(err, "a layer is too large for BLAS (a dimension over 2^31)");
            goto done;
        }
        for (size_t l = 0; l < L; l++) {
            il_layer_stats *s = &res->stats[a * L + l];
            il_layer_stats_add(s, il_mlp_act(m, l), cfg->batch * cfg->widths[l]);
            il_layer_stats_finish(s);
            if (on_layer) {
                st = on_layer(ctx, a, l, il_mlp_act(m, l), cfg->batch, cfg->widths[l]);
                if (st != IL_OK)
                    goto done;
            }
        }
        if (ce) {
            double *grad = il_malloc_n(cfg->batch * cfg->classes, sizeof *grad);
            if (!grad) {
                st = IL_ENOMEM;
                goto done;
            }
            res->loss[a] =
                il_loss_softmax_ce(il_mlp_act(m, L), cfg->batch, cfg->classes, labels, grad);
            st = il_mlp_backward(m, grad);
            il_free(grad);
        } else {
            res->loss[a] = (double)NAN;
            st = il_mlp_backward(m, up);
        }
        if (st != IL_OK)
            goto done;
        prev = cfg->n_in;
        for (size_t l = 0; l < L; l++) {
            size_t i = a * L + l;
            st = grad_stats(&res->grad_pre[i], cfg->stats.bins, il_mlp_grad_pre(m, l),
                            cfg->batch * cfg->widths[l]);
            if (st == IL_OK)
                st = grad_stats(&res->grad_w[i], cfg->stats.bins, il_mlp_grad_w(m, l),
                                prev * cfg->widths[l]);
            if (st != IL_OK)
                goto done;
            res->grad_ratio[i] = wstd[i] > 0 ? res->grad_w[i].std / wstd[i] : (double)NAN;
            prev = cfg->widths[l];
        }
        if ((st = tick(cfg, a + 1, cfg->n_arms)) != IL_OK)
            goto done;
    }
done:
    if (nets)
        for (size_t a = 0; a < cfg->n_arms; a++)
            il_mlp_free(nets[a]);
    if (inputs)
        for (size_t a = 0; a < cfg->n_arms; a++)
            il_free(inputs[a]);
    il_free(nets);
    il_free(inputs);
    il_free(widths);
    il_free(acts);
    il_free(wstd);
    il_free(wn);
    il_free(wu);
    il_free(bn);
    il_free(bu);
    il_free(up);
    il_free(labels);
    return st;
}

/* A float32 layer's products made into activations, piece by piece in the
 * statistics pass: each product gets its bias and activation in double, is
 * rounded to float, and the rounded value (as a double, in the statistics'
 * scratch piece 'v') is what is measured. No double copy of the layer is
 * kept. */
typedef struct f32_finish {
    const il_arm *arm;
    const double *bias; /* or NULL */
    size_t width;
    float *y32;
} f32_finish;

static void finish_f32_piece(void *ctx, double *v, size_t offset, size_t n)
{
    const f32_finish *f = ctx;
    float *y32 = f->y32 + offset;
    size_t j = offset % f->width;
    for (size_t i = 0; i < n; i++) {
        v[i] = (double)y32[i] + (f->bias ? f->bias[j] : 0.0);
        if (++j == f->width)
            j = 0;
    }
    il_act_apply(&f->arm->act, v, n);
    for (size_t i = 0; i < n; i++) {
        y32[i] = (float)v[i];
        v[i] = (double)y32[i];
    }
}

static void finish_f32_layer(const il_arm *arm, const double *bias, size_t width, float *y32,
                             size_t n, il_layer_stats *s)
{
    f32_finish f = {arm, bias, width, y32};
    il_layer_stats_add_made(s, n, finish_f32_piece, &f);
    il_layer_stats_finish(s);
}

/* dst = (float)src, on threads */
static void round_to_float(const double *src, float *dst, size_t n)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
}

/* The float32 forward pass (cfg->f32): the draws and parameters of the
 * float64 pass, rounded; products in sgemm. */
static il_status run_f32(const il_exp_config *cfg, il_rng *rng, il_exp_result *res, il_error *err)
{
    exp_buffers sz;
    const int paired = cfg->order == IL_EXP_PAIRED;
    forward_buffers fb;
    float *w32 = NULL;
    double *y64 = NULL;
    size_t prev;
    il_status st = IL_OK;

    if (!buffer_sizes(cfg, &sz))
        return IL_ELIMIT;
    w32 = il_malloc_n(sz.w_elems, sizeof *w32);
    y64 = il_malloc_n(cfg->batch * cfg->n_in, sizeof *y64); /* the input, drawn in double */
    if (!forward_alloc(cfg, &sz, sizeof(float), &fb) || !w32 || !y64) {
        st = IL_ENOMEM;
        goto done;
    }
    /* the inputs, drawn as in float64 (one arm at a time through y64) */
    for (size_t a = 0; a < cfg->n_arms; a++) {
        void *const one[1] = {y64};
        il_exp_config c1 = *cfg;
        size_t n = cfg->batch * cfg->n_in;
        if (paired && a > 0) {
            memcpy(fb.x[a], fb.x[0], n * sizeof(float));
            continue;
        }
        c1.n_arms = 1;
        c1.order = IL_EXP_LECTURE; /* one draw for this arm */
        st = draw_inputs(&c1, rng, one, err);
        if (st != IL_OK)
            goto done;
        round_to_float(y64, fb.x[a], n);
    }
    il_free(y64); /* before the layers: the peak is theirs */
    y64 = NULL;
    prev = cfg->n_in;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        size_t width = cfg->widths[l];

        draw_shared_noise(cfg, rng, prev, width, &fb.nz);
        for (size_t a = 0; a < cfg->n_arms; a++) {
            const il_arm *arm = &cfg->arms[a];
            st = make_arm_params(cfg, a, rng, prev, width, &fb.nz, fb.w, fb.bias, err);
            if (st != IL_OK)
                goto done;
            round_to_float(fb.w, w32, prev * width);
            st = il_gemm_f32(fb.x[a], cfg->batch, prev, w32, width, fb.y[a]);
            if (st != IL_OK) {
                il__set_error(err, "layer %zu is too large for BLAS (a dimension over 2^31)",
                              l + 1);
                goto done;
            }
            finish_f32_layer(arm, arm->has_bias ? fb.bias : NULL, width, fb.y[a],
                             cfg->batch * width, &res->stats[a * cfg->n_layers + l]);
            forward_swap(&fb, a);
        }
        prev = width;
        if ((st = tick(cfg, l + 1, cfg->n_layers)) != IL_OK)
            goto done;
    }
done:
    forward_free(&fb);
    il_free(w32);
    il_free(y64);
    return st;
}

il_status il_exp_run(const il_exp_config *cfg, il_rng *rng, il_exp_layer_fn on_layer, void *ctx,
                     il_exp_result **out, il_error *err)
{
    exp_buffers sz;
    size_t prev;
    forward_buffers fb;
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
    if (!buffer_sizes(cfg, &sz)) {
        il__set_error(err, "network is too large (size overflows)");
        return IL_ELIMIT;
    }
    if (cfg->f32) {
        int lsuv = 0;
        for (size_t a = 0; a < cfg->n_arms; a++)
            lsuv |= il_init_is_lsuv(&cfg->arms[a].init, NULL, NULL);
        if (cfg->grad != IL_EXP_GRAD_NONE || lsuv || on_layer) {
            il__set_error(err, "float32 runs are forward only: no gradients, no LSUV arms, no "
                               "saved activations");
            return IL_EINVAL;
        }
    }
    res = result_new(cfg, &st);
    if (!res)
        return st;
    if (cfg->f32) {
        st = run_f32(cfg, rng, res, err);
        if (st != IL_OK) {
            il_exp_result_free(res);
            return st;
        }
        *out = res;
        return IL_OK;
    }
    if (cfg->grad != IL_EXP_GRAD_NONE) {
        st = run_with_grad(cfg, rng, on_layer, ctx, res, err);
        if (st != IL_OK) {
            il_exp_result_free(res);
            return st;
        }
        *out = res;
        return IL_OK;
    }
    if (!forward_alloc(cfg, &sz, sizeof(double), &fb)) {
        st = IL_ENOMEM;
        goto done;
    }

    /* Inputs: paired, one batch for all; else each arm's in arm order. */
    st = draw_inputs(cfg, rng, fb.x, err);
    if (st != IL_OK)
        goto done;
    prev = cfg->n_in;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        size_t width = cfg->widths[l];

        draw_shared_noise(cfg, rng, prev, width, &fb.nz);
        for (size_t a = 0; a < cfg->n_arms; a++) {
            const il_arm *arm = &cfg->arms[a];
            il_layer_stats *s = &res->stats[a * cfg->n_layers + l];
            double *x = fb.x[a], *y = fb.y[a];

            st = make_arm_params(cfg, a, rng, prev, width, &fb.nz, fb.w, fb.bias, err);
            if (st == IL_OK && res->lsuv && il_init_is_lsuv(&arm->init, NULL, NULL))
                st = lsuv_layer(arm, x, cfg->batch, prev, fb.w, width, fb.bias, y,
                                &res->lsuv[a * cfg->n_layers + l], l, err);
            if (st != IL_OK)
                goto done;
            st = il_dense_forward_measured(x, cfg->batch, prev, fb.w, width,
                                           arm->has_bias ? fb.bias : NULL, &arm->act, y, s);
            if (st != IL_OK) {
                il__set_error(err, "layer %zu is too large for BLAS (a dimension over 2^31)",
                              l + 1);
                goto done;
            }
            il_layer_stats_finish(s);
            if (on_layer) {
                st = on_layer(ctx, a, l, y, cfg->batch, width);
                if (st != IL_OK)
                    goto done;
            }
            forward_swap(&fb, a);
        }
        prev = width;
        if ((st = tick(cfg, l + 1, cfg->n_layers)) != IL_OK)
            goto done;
    }

done:
    forward_free(&fb);
    if (st != IL_OK) {
        il_exp_result_free(res);
        return st;
    }
    *out = res;
    return IL_OK;
}

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

il_status il_exp_theory(const il_exp_config *cfg, size_t arm, il_theory_layer *layers,
                        il_error *err)
{
    const il_arm *a;
    size_t in_shape[2] = {cfg->batch, cfg->n_in};
    il_init_target t;
    double in_mean, in_var, *sw = NULL, *sb = NULL;
    il_status st = IL_OK;

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
    } else {
        st = il_init_describe(&cfg->input, in_shape, 2, IL_LAYOUT_DENSE, &t, err);
        if (st != IL_OK)
            return st;
        il_init_target_moments(&t, &in_mean, &in_var);
    }
    if (!isfinite(in_var)) {
        il__set_error(err, "no theory for the input '%s': it has no variance to map",
                      cfg->input.type->name);
        return IL_EINVAL;
    }
    sw = il_malloc_n(cfg->n_layers, sizeof *sw);
    sb = il_malloc_n(cfg->n_layers, sizeof *sb);
    if (!sw || !sb) {
        st = IL_ENOMEM;
        goto done;
    }
    for (size_t l = 0; l < cfg->n_layers; l++) {
        size_t fan_in = l == 0 ? cfg->n_in : cfg->widths[l - 1];
        sw[l] = (double)fan_in * theory_moment(&a->init, 0, fan_in, cfg->widths[l], err);
        sb[l] = a->has_bias ? theory_moment(&a->bias, 1, fan_in, cfg->widths[l], err) : 0.0;
        if (isnan(sw[l]) || isnan(sb[l])) {
            st = IL_EINVAL;
            goto done;
        }
    }
    st = il_theory_layers(&a->act, sw, sb, in_var + in_mean * in_mean, cfg->n_layers, layers);
    if (st != IL_OK)
        il__set_error(err, "no theory for this arm: a variance is not finite");
done:
    il_free(sw);
    il_free(sb);
    return st;
}
