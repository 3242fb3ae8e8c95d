/* SPDX-License-Identifier: MIT */
/*
 * Runs on networks of layer ops (il_run_spec.net): every arm initializes
 * the same network by its recipe, runs the same input forward (and with
 * --grad backward), and every point and parameter is measured.
 *
 * Draws: the input from generator(seed); every arm's parameters from
 * generator(seed + 1), the same stream for each arm, so arms whose rules
 * transform the same base noise differ only by the rules (paired); the
 * upstream gradient or the labels from generator(seed + 2).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "initlab/theory.h"
#include "internal/spec_impl.h"
#include "run_impl.h"

#define NONE ((size_t)-1)

typedef struct net_arm {
    il_report_point *points;
    il_layer_stats *act, *grad; /* per point; grad only for nodes, with a backward pass */
    size_t n_points;
    il_report_param *params;
    il_layer_stats *pval, *pgrad;
    il_param_rule *rules;
    double *heads; /* attention points: entropy, max weight (2 x heads each) */
    int *uniform;
    char (*names)[160]; /* saved-tensor points: "NODE.SAVED" */
    il_report_netrun rep;
    il_error note;
    double *kept; /* keep_tensors: parameters, node outputs, parameter gradients */
} net_arm;

struct il__netrun {
    il_net *net;
    size_t n_arms, n_points, batch;
    net_arm *arms;
    double *x, *dy; /* the input and the upstream gradient (or NULL) */
    char name[256];
    int grad, theory;
    size_t kept_params, kept_points; /* doubles per arm of each part */
};

/* The points of 'n': every node's output, then after it the saved
 * tensors it marks as points. */
static size_t count_points(const il_net *n)
{
    size_t c = 0;
    for (size_t k = 0; k < il_net_op_count(n); k++) {
        c++;
        for (size_t j = 0; j < il_net_saved_count(n, k); j++)
            c += il_net_saved(n, k, j, NULL)->point != 0;
    }
    return c;
}

static il_status stats_of(const double *v, size_t len, const il_run_spec *s, il_layer_stats *st)
{
    il_stats_config cfg = {s->bins, s->lo, s->hi, IL_STATS_LOW, IL_STATS_HIGH};
    il_status status;
    if (isnan(cfg.lo) || isnan(cfg.hi)) { /* the values' own range */
        double lo = HUGE_VAL, hi = -HUGE_VAL;
        for (size_t i = 0; i < len; i++)
            if (isfinite(v[i])) {
                lo = fmin(lo, v[i]);
                hi = fmax(hi, v[i]);
            }
        if (!(lo < hi)) {
            lo = isfinite(lo) ? lo - 1 : -1;
            hi = isfinite(hi) ? hi + 1 : 1;
        }
        cfg.lo = lo;
        cfg.hi = hi;
    }
    if ((status = il_layer_stats_init(st, &cfg)) != IL_OK)
        return status;
    il_layer_stats_add(st, v, len);
    il_layer_stats_finish(st);
    return IL_OK;
}

static double mean_square(const double *v, size_t len)
{
    double s = 0;
    for (size_t i = 0; i < len; i++)
        s += v[i] * v[i];
    return len ? s / (double)len : (double)NAN;
}

/* Per head of attention probabilities 'p' (batch, H, S, S): mean entropy,
 * largest weight, near uniform (il_attn_head_stats). */
static il_status attention_summary(const double *p, size_t batch, size_t heads, size_t seq,
                                   int causal, double *entropy, double *maxw, int *uniform)
{
    il_attn_stats st[256];
    il_status status;
    if (heads > sizeof st / sizeof st[0])
        return IL_ELIMIT;
    if ((status = il_attn_head_stats(p, batch, heads, seq, causal, st)) != IL_OK)
        return status;
    for (size_t h = 0; h < heads; h++) {
        entropy[h] = st[h].entropy;
        maxw[h] = st[h].max_weight;
        uniform[h] = st[h].near_uniform;
    }
    return IL_OK;
}

/* dL/dy at the output: N(0, 1) draws (the unit source; the "loss" is then
 * undefined), or softmax cross-entropy over the output's last axis against
 * uniform labels, averaged over rows, with its loss. */
static il_status upstream(const il_run_spec *s, const il_net *n, il_rng *rng, double *dy,
                          double *loss)
{
    size_t last = il_net_op_count(n) - 1;
    const il_tshape *sh = il_net_shape(n, last);
    size_t len = il_net_batch(n) * il_tshape_size(sh), c = sh->dim[sh->rank - 1], rows = len / c;
    const double *y = il_net_output(n, last);
    double total = 0;

    *loss = (double)NAN;
    if (s->grad_source == IL_EXP_GRAD_UNIT) {
        il_dist_fill_standard_normal(rng, dy, len);
        return IL_OK;
    }
    if (c < 2)
        return IL_EINVAL;
    for (size_t r = 0; r < rows; r++) {
        const double *z = y + r * c;
        double *g = dy + r * c, mx = -HUGE_VAL, sum = 0;
        size_t label = (size_t)(il_rng_next_double(rng) * (double)c);
        if (label >= c)
            label = c - 1;
        for (size_t j = 0; j < c; j++)
            mx = fmax(mx, z[j]);
        for (size_t j = 0; j < c; j++)
            sum += exp(z[j] - mx);
        for (size_t j = 0; j < c; j++)
            g[j] = exp(z[j] - mx) / sum / (double)rows;
        g[label] -= 1.0 / (double)rows;
        /* sum >= 1: the largest logit adds exp(0) */
        // cppcheck-suppress invalidFunctionArg
        total += log(sum) + mx - z[label];
    }
    *loss = total / (double)rows;
    return IL_OK;
}

static il_status draw_input(const il_run_spec *s, il__netrun *nr, il_rng *rng, il_error *err)
{
    const il_tshape *in = il_net_input_shape(nr->net);
    size_t per = il_tshape_size(in), len;
    if (!il_mul_size(per, nr->batch, &len))
        return IL_ELIMIT;
    nr->x = il_malloc_n(len, sizeof *nr->x);
    if (!nr->x)
        return IL_ENOMEM;
    if (il_netdesc_input_kind(s->net) == IL_NET_INPUT_TOKENS) {
        double v = (double)il_netdesc_vocab(s->net);
        for (size_t i = 0; i < len; i++)
            nr->x[i] = floor(il_rng_next_double(rng) * v);
        return IL_OK;
    }
    {
        size_t shape[2] = {nr->batch, per};
        return il_init_fill(&s->input_init, shape, 2, IL_LAYOUT_DENSE, rng, nr->x, err);
    }
}

static void arm_free(net_arm *a)
{
    for (size_t i = 0; a->act && i < a->n_points; i++) {
        il_layer_stats_release(&a->act[i]);
        il_layer_stats_release(&a->grad[i]);
    }
    for (size_t i = 0; a->pval && i < a->rep.n_params; i++) {
        il_layer_stats_release(&a->pval[i]);
        il_layer_stats_release(&a->pgrad[i]);
    }
    il_free(a->points);
    il_free(a->act);
    il_free(a->grad);
    il_free(a->params);
    il_free(a->pval);
    il_free(a->pgrad);
    il_free(a->rules);
    il_free(a->heads);
    il_free(a->uniform);
    il_free(a->names);
    il_free(a->kept);
}

void il__netrun_free(il__netrun *nr)
{
    if (!nr)
        return;
    for (size_t a = 0; nr->arms && a < nr->n_arms; a++)
        arm_free(&nr->arms[a]);
    il_free(nr->arms);
    il_free(nr->x);
    il_free(nr->dy);
    il_net_free(nr->net);
    il_free(nr);
}

static il_status arm_alloc(il__netrun *nr, net_arm *a)
{
    size_t np = il_net_param_count(nr->net), P = nr->n_points, heads = 0;
    for (size_t k = 0; k < il_net_op_count(nr->net); k++)
        heads += il_net_op(nr->net, k)->heads;
    a->n_points = P;
    a->points = il_calloc(P, sizeof *a->points);
    a->act = il_calloc(P, sizeof *a->act);
    a->grad = il_calloc(P, sizeof *a->grad);
    a->params = il_calloc(np ? np : 1, sizeof *a->params);
    a->pval = il_calloc(np ? np : 1, sizeof *a->pval);
    a->pgrad = il_calloc(np ? np : 1, sizeof *a->pgrad);
    a->rules = il_calloc(np ? np : 1, sizeof *a->rules);
    a->heads = il_calloc(2 * heads + 1, sizeof *a->heads);
    a->uniform = il_calloc(heads + 1, sizeof *a->uniform);
    a->names = il_calloc(P, sizeof *a->names);
    if (!a->points || !a->act || !a->grad || !a->params || !a->pval || !a->pgrad || !a->rules ||
        !a->heads || !a->uniform || !a->names)
        return IL_ENOMEM;
    a->rep.n_params = np;
    return IL_OK;
}

/* Measure arm a's points (and their gradients) after its passes. */
static il_status measure_points(const il_run_spec *s, il__netrun *nr, net_arm *a)
{
    const il_net *n = nr->net;
    size_t p = 0, head = 0, B = nr->batch;
    il_status st = IL_OK;

    for (size_t k = 0; st == IL_OK && k < il_net_op_count(n); k++) {
        const il_tshape *sh = il_net_shape(n, k);
        size_t len = B * il_tshape_size(sh);
        il_report_point *rp = &a->points[p];
        rp->name = il_net_op_name(n, k);
        rp->type = il_net_op(n, k)->type->name;
        rp->shape = sh->dim;
        rp->rank = sh->rank;
        rp->theory_q = (double)NAN;
        rp->q = mean_square(il_net_output(n, k), len);
        st = stats_of(il_net_output(n, k), len, s, &a->act[p]);
        rp->act = &a->act[p];
        if (st == IL_OK && nr->grad) {
            st = stats_of(il_net_grad_output(n, k), len, s, &a->grad[p]);
            rp->grad = &a->grad[p];
        }
        p++;
        for (size_t j = 0; st == IL_OK && j < il_net_saved_count(n, k); j++) {
            const double *v;
            const il_saved_desc *d = il_net_saved(n, k, j, &v);
            const il_op *op = il_net_op(n, k);
            size_t slen =
                d->per_example ? B * il_tshape_size(&d->shape) : il_tshape_size(&d->shape);
            if (!d->point)
                continue;
            rp = &a->points[p];
            snprintf(a->names[p], sizeof a->names[p], "%.120s.%.30s", il_net_op_name(n, k),
                     d->name);
            rp->name = a->names[p];
            rp->type = strcmp(op->type->name, "attention") == 0 ? "attention_probs" : d->name;
            rp->shape = d->shape.dim;
            rp->rank = d->shape.rank;
            rp->theory_q = (double)NAN;
            rp->q = mean_square(v, slen);
            st = stats_of(v, slen, s, &a->act[p]);
            rp->act = &a->act[p];
            if (st == IL_OK && strcmp(op->type->name, "attention") == 0 && d->shape.rank == 3) {
                size_t H = d->shape.dim[0], S = d->shape.dim[1];
                rp->head_entropy = a->heads + 2 * head;
                rp->head_max = a->heads + 2 * head + H;
                rp->head_uniform = a->uniform + head;
                rp->heads = H;
                st = attention_summary(v, B, H, S, op->causal, a->heads + 2 * head,
                                       a->heads + 2 * head + H, a->uniform + head);
                head += H;
            }
            p++;
        }
    }
    return st;
}

/* Arm a's parameters: rules, statistics, gradients, and theory. */
static il_status measure_params(const il_run_spec *s, il__netrun *nr, net_arm *a)
{
    const il_net *n = nr->net;
    size_t np = il_net_param_count(n);
    il_status st = IL_OK;

    for (size_t i = 0; st == IL_OK && i < np; i++) {
        const il_param_desc *d = il_net_param(n, i, NULL);
        il_report_param *rp = &a->params[i];
        size_t len = il_tshape_size(&d->shape);
        rp->name = il_net_param_name(n, i);
        rp->shape = d->shape.dim;
        rp->rank = d->shape.rank;
        rp->fan_in = d->fan_in;
        rp->fan_out = d->fan_out;
        rp->init = a->rules[i].init;
        rp->why = a->rules[i].why;
        rp->std = a->rules[i].std;
        st = stats_of(il_net_param_data((il_net *)n, i), len, s, &a->pval[i]);
        rp->value = &a->pval[i];
        rp->grad_ratio = (double)NAN;
        if (st == IL_OK && nr->grad) {
            st = stats_of(il_net_param_grad(n, i), len, s, &a->pgrad[i]);
            rp->grad = &a->pgrad[i];
            if (a->pval[i].std > 0)
                rp->grad_ratio = a->pgrad[i].std / a->pval[i].std;
        }
    }
    return st;
}

static il_status predict(il__netrun *nr, net_arm *a)
{
    const il_net *n = nr->net;
    size_t np = il_net_param_count(n), nodes = il_net_op_count(n), in_len;
    double *std = il_malloc_n(np ? np : 1, sizeof *std), *q = il_malloc_n(nodes, sizeof *q);
    il_status st = IL_ENOMEM;

    in_len = nr->batch * il_tshape_size(il_net_input_shape(n));
    if (std && q) {
        for (size_t i = 0; i < np; i++)
            std[i] = a->rules[i].std;
        st = il_theory_net(n, std, mean_square(nr->x, in_len), q, &a->note);
    }
    for (size_t k = 0, p = 0; st == IL_OK && k < nodes; k++) {
        a->points[p++].theory_q = q[k];
        for (size_t j = 0; j < il_net_saved_count(n, k); j++)
            p += il_net_saved(n, k, j, NULL)->point != 0;
    }
    il_free(std);
    il_free(q);
    return st;
}

/* keep_tensors: parameters, node outputs and parameter gradients. */
static il_status keep(il__netrun *nr, net_arm *a)
{
    il_net *n = nr->net;
    size_t total = 2 * nr->kept_params + nr->kept_points;
    double *p;
    a->kept = p = il_malloc_n(total ? total : 1, sizeof *p);
    if (!p)
        return IL_ENOMEM;
    for (size_t i = 0; i < il_net_param_count(n); i++) {
        size_t len = il_tshape_size(&il_net_param(n, i, NULL)->shape);
        memcpy(p, il_net_param_data(n, i), len * sizeof *p);
        if (nr->grad)
            memcpy(p + nr->kept_params + nr->kept_points, il_net_param_grad(n, i), len * sizeof *p);
        p += len;
    }
    for (size_t k = 0; k < il_net_op_count(n); k++) {
        size_t len = nr->batch * il_tshape_size(il_net_shape(n, k));
        memcpy(p, il_net_output(n, k), len * sizeof *p);
        p += len;
    }
    return IL_OK;
}

static il_status run_arm(const il_run_spec *s, il__netrun *nr, size_t arm, il_error *err)
{
    net_arm *a = &nr->arms[arm];
    il_net *n = nr->net;
    il_rng *rng = NULL;
    il_status st = arm_alloc(nr, a);

    for (size_t i = 0; st == IL_OK && i < il_net_param_count(n); i++)
        st = il_recipe_rule(&s->recipes[arm], n, i, &a->rules[i], err);
    if (st == IL_OK)
        st = il_rng_new(il_run_spec_rng(s), s->seed + 1, &rng);
    if (st == IL_OK)
        st = il_recipe_apply(&s->recipes[arm], n, rng, err);
    if (st == IL_OK)
        st = il_net_forward(n, nr->x);
    a->rep.loss = (double)NAN;
    if (st == IL_OK && nr->grad) {
        size_t last = il_net_op_count(n) - 1;
        size_t len = nr->batch * il_tshape_size(il_net_shape(n, last));
        if (!nr->dy && !(nr->dy = il_malloc_n(len, sizeof *nr->dy)))
            st = IL_ENOMEM;
        if (st == IL_OK)
            st = il_rng_seed(rng, s->seed + 2);
        if (st == IL_OK && (st = upstream(s, n, rng, nr->dy, &a->rep.loss)) == IL_EINVAL)
            il__set_error(err, "a softmax gradient needs at least 2 outputs on the last axis; "
                               "use the unit gradient source");
        if (st == IL_OK)
            st = il_net_backward(n, nr->dy);
    }
    il_rng_free(rng);
    if (st == IL_OK)
        st = measure_points(s, nr, a);
    if (st == IL_OK)
        st = measure_params(s, nr, a);
    if (st == IL_OK && nr->theory)
        st = predict(nr, a);
    if (st == IL_OK && s->keep_tensors)
        st = keep(nr, a);
    a->rep.net = nr->name;
    a->rep.points = a->points;
    a->rep.n_points = a->n_points;
    a->rep.params = a->params;
    return st;
}

il_status il__netrun_execute(const il_run_spec *s, const il_run_hooks *hooks, il__netrun **out,
                             il_error *err)
{
    il__netrun *nr = il_calloc(1, sizeof *nr);
    il_rng *rng = NULL;
    il_status st;

    if (!nr)
        return IL_ENOMEM;
    nr->batch = s->batch;
    nr->n_arms = s->n_arms;
    nr->grad = s->grad;
    nr->theory = s->theory;
    snprintf(nr->name, sizeof nr->name, "%s",
             il_netdesc_preset(s->net) ? il_netdesc_preset(s->net) : "json");
    st = il_netdesc_build(s->net, s->batch, &nr->net, err);
    if (st == IL_OK) {
        nr->n_points = count_points(nr->net);
        for (size_t i = 0; i < il_net_param_count(nr->net); i++)
            nr->kept_params += il_tshape_size(&il_net_param(nr->net, i, NULL)->shape);
        for (size_t k = 0; k < il_net_op_count(nr->net); k++)
            nr->kept_points += s->batch * il_tshape_size(il_net_shape(nr->net, k));
        nr->arms = il_calloc(s->n_arms, sizeof *nr->arms);
        if (!nr->arms)
            st = IL_ENOMEM;
    }
    if (st == IL_OK)
        st = il_rng_new(il_run_spec_rng(s), s->seed, &rng);
    if (st == IL_OK)
        st = draw_input(s, nr, rng, err);
    il_rng_free(rng);
    for (size_t a = 0; st == IL_OK && a < s->n_arms; a++) {
        if (hooks && hooks->cancel && hooks->cancel(hooks->ctx)) {
            st = IL_ECANCELED;
            break;
        }
        st = run_arm(s, nr, a, err);
        if (st == IL_OK && hooks && hooks->progress)
            hooks->progress(hooks->ctx, a + 1, s->n_arms);
    }
    if (st != IL_OK) {
        il__netrun_free(nr);
        return st;
    }
    *out = nr;
    return IL_OK;
}

const il_net *il__netrun_net(const il__netrun *nr)
{
    return nr->net;
}

const il_report_netrun *il__netrun_report(const il__netrun *nr, size_t arm)
{
    return arm < nr->n_arms ? &nr->arms[arm].rep : NULL;
}

const char *il__netrun_note(const il__netrun *nr, size_t arm)
{
    return arm < nr->n_arms && nr->arms[arm].note.message[0] ? nr->arms[arm].note.message : NULL;
}

const double *il__netrun_input(const il__netrun *nr)
{
    return nr->x;
}

const double *il__netrun_output_grad(const il__netrun *nr)
{
    return nr->dy;
}

/* Part 0: parameters, 1: node outputs, 2: parameter gradients; item i. */
const double *il__netrun_kept(const il__netrun *nr, size_t arm, int part, size_t i)
{
    const il_net *n = nr->net;
    const double *p;
    if (arm >= nr->n_arms || !nr->arms[arm].kept || (part == 2 && !nr->grad))
        return NULL;
    p = nr->arms[arm].kept + (part == 1   ? nr->kept_params
                              : part == 2 ? nr->kept_params + nr->kept_points
                                          : 0);
    if (part == 1) {
        if (i >= il_net_op_count(n))
            return NULL;
        for (size_t k = 0; k < i; k++)
            p += nr->batch * il_tshape_size(il_net_shape(n, k));
        return p;
    }
    if (i >= il_net_param_count(n))
        return NULL;
    for (size_t j = 0; j < i; j++)
        p += il_tshape_size(&il_net_param(n, j, NULL)->shape);
    return p;
}
