/* SPDX-License-Identifier: MIT */
/* An experiment with a backward pass: every arm an il_mlp that keeps what
 * the gradients need. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "initlab/layer.h"
#include "initlab/mlp.h"
#include "internal/spec_impl.h"
#include "exp_impl.h"

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
il_status il__exp_run_with_grad(const il_exp_config *cfg, il_rng *rng, il_exp_layer_fn on_layer,
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
    st = il__exp_draw_inputs(cfg, rng, inputs, err);
    if (st != IL_OK)
        goto done;
    /* weights and biases, layer by layer in the same order */
    prev = cfg->n_in;
    for (size_t l = 0; l < L; l++) {
        size_t width = cfg->widths[l];
        il__exp_draw_shared_noise(cfg, rng, prev, width, &nz);
        for (size_t a = 0; a < cfg->n_arms; a++) {
            double mean;
            st = il__exp_make_arm_params(cfg, a, rng, prev, width, &nz, il_mlp_weights(nets[a], l),
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
        il__exp_bases_used(cfg, 0, &need_n, &need_u);
        if (need_n)
            il_init_draw_noise(IL_INIT_BASE_NORMAL, rng, wn, last * cfg->classes);
        if (need_u)
            il_init_draw_noise(IL_INIT_BASE_UNIFORM, rng, wu, last * cfg->classes);
        for (size_t a = 0; a < cfg->n_arms; a++) {
            const double *noise = il__exp_noise_for(&cfg->arms[a].init, wn, wu);
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
            if ((st = il__exp_measure_corr(cfg, res, a, l, il_mlp_act(m, l), IL_DTYPE_F64)) !=
                IL_OK)
                goto done;
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
        if ((st = il__exp_tick(cfg, a + 1, cfg->n_arms)) != IL_OK)
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
