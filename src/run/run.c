/* SPDX-License-Identifier: MIT */
/* The executor: a validated il_run_spec in, an il_run_result out. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/run.h"
#include "internal/spec_impl.h"
#include "run_impl.h"

struct il_run_result {
    il_exp_result *exp; /* the MLP's, or NULL on a network of layer ops */
    il__netrun *net;    /* or NULL */
    const il_rng_type *rng;
    uint64_t seed;
    const char *order; /* "paired" or "lecture" */
    int theory;
    size_t n_arms, n_layers;
    il_theory_layer *pred; /* arm-major; NULL without theory */
    double *pred_corr;     /* arm-major; NULL without theory or corr */
    il_error *notes;       /* per arm: why there is no prediction, or "" */
    double **hists;        /* arm-major per layer, or NULL: predicted bin probabilities */
    char init_specs[IL_RUN_MAX_ARMS][256], bias_specs[IL_RUN_MAX_ARMS][256];
    char acts[IL_RUN_MAX_ARMS][128], labels[IL_RUN_MAX_ARMS][640];
    il_report_net nets[IL_RUN_MAX_ARMS];
    il_report_group group;
};

/* The exp configuration of a validated spec; 'widths' stays the spec's. */
static void exp_config(const il_run_spec *s, il_exp_config *c)
{
    memset(c, 0, sizeof *c);
    c->batch = s->batch;
    c->n_in = s->n_in;
    c->widths = s->widths;
    c->n_layers = s->n_layers;
    c->arms = s->parsed;
    c->n_arms = s->n_arms;
    c->input = s->input_init;
    c->input_data = s->input_data;
    c->stats = (il_stats_config){s->bins, s->lo, s->hi, IL_STATS_LOW, IL_STATS_HIGH};
    c->order = s->order;
    c->f32 = s->dtype == IL_DTYPE_F32;
    c->corr = s->corr;
    if (s->grad) {
        c->grad = s->grad_source;
        c->classes = s->classes;
    }
}

il_status il_run_memory(const il_run_spec *s, size_t *bytes)
{
    il_exp_config c;
    if (s->net)
        return il_netdesc_memory(s->net, s->batch, bytes);
    exp_config(s, &c);
    return il_exp_memory(&c, bytes);
}

/* Every arm's prediction, or the reason it has none. */
static il_status predict(const il_exp_config *c, il_run_result *r)
{
    size_t n;
    if (!il_mul_size(c->n_arms, c->n_layers, &n))
        return IL_ELIMIT;
    r->pred = il_malloc_n(n, sizeof *r->pred);
    r->notes = il_calloc(c->n_arms, sizeof *r->notes);
    if (!r->pred || !r->notes)
        return IL_ENOMEM;
    for (size_t a = 0; a < c->n_arms; a++) {
        il_error *note = &r->notes[a];
        il_status st;
        note->message[0] = '\0';
        st = il_exp_theory(c, a, r->pred + a * c->n_layers, note);
        if (st == IL_ENOMEM)
            return st;
        if (st != IL_OK && !note->message[0])
            snprintf(note->message, sizeof note->message, "%s", il_status_str(st));
        else if (st == IL_OK)
            note->message[0] = '\0';
    }
    if (!c->corr)
        return IL_OK;
    r->pred_corr = il_malloc_n(n, sizeof *r->pred_corr);
    if (!r->pred_corr)
        return IL_ENOMEM;
    for (size_t a = 0; a < c->n_arms; a++) {
        il_status st = r->notes[a].message[0]
                           ? IL_EINVAL
                           : il_exp_theory_corr(c, a, r->pred_corr + a * c->n_layers, NULL);
        if (st == IL_ENOMEM)
            return st;
        if (st != IL_OK)
            for (size_t l = 0; l < c->n_layers; l++)
                r->pred_corr[a * c->n_layers + l] = (double)NAN;
    }
    return IL_OK;
}

/* Each predicted arm's histogram per layer: the probability of each bin. */
static il_status predict_hists(const il_run_spec *s, il_run_result *r)
{
    size_t L = r->n_layers, n = r->n_arms * L;
    r->hists = il_calloc(n, sizeof *r->hists);
    if (!r->hists)
        return IL_ENOMEM;
    for (size_t a = 0; a < r->n_arms; a++) {
        const il_theory_layer *pred = il_run_result_theory(r, a);
        for (size_t l = 0; pred && l < L; l++) {
            const il_layer_stats *st = il_exp_stats(r->exp, a, l);
            double *h = il_malloc_n(st->bins, sizeof *h);
            if (!h)
                return IL_ENOMEM;
            if (il_theory_hist(&s->parsed[a].act, pred[l].q, st->lo, st->hi, st->bins, h, NULL,
                               NULL) != IL_OK) {
                il_free(h);
                h = NULL;
            }
            r->hists[a * L + l] = h;
        }
    }
    return IL_OK;
}

typedef struct tick_ctx {
    const il_run_hooks *hooks;
} tick_ctx;

static int on_tick(void *vctx, size_t done, size_t total)
{
    const il_run_hooks *h = ((const tick_ctx *)vctx)->hooks;
    if (h->progress)
        h->progress(h->ctx, done, total);
    return h->cancel ? h->cancel(h->ctx) : 0;
}

/* Specs in canonical form and the labels, for the report and tables. */
static void describe(const il_run_spec *s, il_run_result *r)
{
    for (size_t a = 0; a < s->n_arms; a++) {
        const il_arm *arm = &s->parsed[a];
        il_init_format(&arm->init, r->init_specs[a], sizeof r->init_specs[a]);
        if (arm->has_bias)
            il_init_format(&arm->bias, r->bias_specs[a], sizeof r->bias_specs[a]);
        snprintf(r->acts[a], sizeof r->acts[a], "%s", s->arms[a].act);
        snprintf(r->labels[a], sizeof r->labels[a], "%.255s/%.127s%s%.255s", s->arms[a].init,
                 s->arms[a].act, arm->has_bias ? "/" : "", arm->has_bias ? r->bias_specs[a] : "");
        r->nets[a] =
            (il_report_net){r->init_specs[a],
                            r->acts[a],
                            r->labels[a],
                            r->exp,
                            a,
                            arm->has_bias ? r->bias_specs[a] : NULL,
                            il_run_result_theory(r, a),
                            il_run_result_theory_note(r, a),
                            r->hists ? (const double *const *)r->hists + a * r->n_layers : NULL,
                            NULL,
                            il_run_result_theory_corr(r, a)};
    }
    r->group = (il_report_group){1, r->nets, s->n_arms};
}

/* The specs and labels of a run on a network of layer ops. */
static void describe_net(const il_run_spec *s, il_run_result *r)
{
    for (size_t a = 0; a < s->n_arms; a++) {
        il_recipe_format(&s->recipes[a], r->init_specs[a], sizeof r->init_specs[a]);
        snprintf(r->labels[a], sizeof r->labels[a], "%s",
                 s->arms[a].recipe[0] ? s->arms[a].recipe : s->arms[a].init);
        r->nets[a] = (il_report_net){r->init_specs[a],
                                     "",
                                     r->labels[a],
                                     NULL,
                                     a,
                                     NULL,
                                     NULL,
                                     il__netrun_note(r->net, a),
                                     NULL,
                                     il__netrun_report(r->net, a),
                                     NULL};
    }
    r->group = (il_report_group){1, r->nets, s->n_arms};
}

static il_status execute_net(const il_run_spec *s, const il_run_hooks *hooks, il_run_result **out,
                             il_error *err)
{
    il_run_result *r = il_calloc(1, sizeof *r);
    il_status st;
    if (!r)
        return IL_ENOMEM;
    r->rng = il_run_spec_rng(s);
    r->seed = s->seed;
    r->order = "paired";
    r->theory = s->theory;
    r->n_arms = s->n_arms;
    st = il__netrun_execute(s, hooks, &r->net, err);
    if (st != IL_OK) {
        il_free(r);
        return st;
    }
    describe_net(s, r);
    *out = r;
    return IL_OK;
}

il_status il_run_execute(const il_run_spec *s, const il_run_hooks *hooks, il_run_result **out,
                         il_error *err)
{
    il_exp_config c;
    il_run_result *r;
    il_rng *rng = NULL;
    tick_ctx tc = {hooks};
    il_status st;

    if (s->net)
        return execute_net(s, hooks, out, err);
    exp_config(s, &c);
    if (hooks && (hooks->progress || hooks->cancel)) {
        c.tick = on_tick;
        c.tick_ctx = &tc;
    }
    r = il_calloc(1, sizeof *r);
    if (!r)
        return IL_ENOMEM;
    r->rng = il_run_spec_rng(s);
    r->seed = s->seed;
    r->order = s->order == IL_EXP_LECTURE ? "lecture" : "paired";
    r->theory = s->theory;
    r->n_arms = s->n_arms;
    r->n_layers = s->n_layers;
    st = r->rng ? il_rng_new(r->rng, s->seed, &rng) : IL_EINVAL;
    if (st == IL_OK && s->theory)
        st = predict(&c, r);
    if (st == IL_OK)
        st = il_exp_run(&c, rng, hooks ? hooks->on_layer : NULL, hooks ? hooks->ctx : NULL, &r->exp,
                        err);
    if (st == IL_OK && s->theory && s->theory_hists)
        st = predict_hists(s, r);
    il_rng_free(rng);
    if (st != IL_OK) {
        il_run_result_free(r);
        return st;
    }
    describe(s, r);
    *out = r;
    return IL_OK;
}

void il_run_result_free(il_run_result *r)
{
    if (!r)
        return;
    if (r->hists)
        for (size_t i = 0; i < r->n_arms * r->n_layers; i++)
            il_free(r->hists[i]);
    il_free(r->hists);
    il_free(r->pred);
    il_free(r->pred_corr);
    il_free(r->notes);
    il_exp_result_free(r->exp);
    il__netrun_free(r->net);
    il_free(r);
}

const il_net *il_run_result_net(const il_run_result *r)
{
    return r->net ? il__netrun_net(r->net) : NULL;
}

const double *il_run_result_param(const il_run_result *r, size_t arm, size_t i)
{
    return r->net ? il__netrun_kept(r->net, arm, 0, i) : NULL;
}

const double *il_run_result_param_grad(const il_run_result *r, size_t arm, size_t i)
{
    return r->net ? il__netrun_kept(r->net, arm, 2, i) : NULL;
}

const double *il_run_result_point(const il_run_result *r, size_t arm, size_t node)
{
    return r->net ? il__netrun_kept(r->net, arm, 1, node) : NULL;
}

const double *il_run_result_input(const il_run_result *r)
{
    return r->net ? il__netrun_input(r->net) : NULL;
}

const double *il_run_result_output_grad(const il_run_result *r)
{
    return r->net ? il__netrun_output_grad(r->net) : NULL;
}

size_t il_run_result_point_count(const il_run_result *r, size_t arm)
{
    const il_report_netrun *nr = r->net ? il__netrun_report(r->net, arm) : NULL;
    return nr ? nr->n_points : 0;
}

const il_report_point *il_run_result_points(const il_run_result *r, size_t arm)
{
    const il_report_netrun *nr = r->net ? il__netrun_report(r->net, arm) : NULL;
    return nr ? nr->points : NULL;
}

const il_exp_result *il_run_result_exp(const il_run_result *r)
{
    return r->exp;
}

const il_theory_layer *il_run_result_theory(const il_run_result *r, size_t arm)
{
    if (!r->pred || arm >= r->n_arms || r->notes[arm].message[0])
        return NULL;
    return r->pred + arm * r->n_layers;
}

const double *il_run_result_theory_corr(const il_run_result *r, size_t arm)
{
    if (!r->pred_corr || !il_run_result_theory(r, arm))
        return NULL;
    return r->pred_corr + arm * r->n_layers;
}

const char *il_run_result_theory_note(const il_run_result *r, size_t arm)
{
    if (r->net)
        return il__netrun_note(r->net, arm);
    if (!r->notes || arm >= r->n_arms || !r->notes[arm].message[0])
        return NULL;
    return r->notes[arm].message;
}

const char *il_run_result_label(const il_run_result *r, size_t arm)
{
    return arm < r->n_arms ? r->labels[arm] : NULL;
}

void il_run_result_report(const il_run_result *r, const char *command, il_report *rep)
{
    *rep = (il_report){command, r->seed, r->rng->name, &r->group, 1, 1, r->order, r->theory};
}

il_status il_run_json_report(const char *json, size_t len, size_t max_bytes,
                             const il_run_hooks *hooks, il_write_fn w, void *ctx, il_error *err)
{
    il_run_spec *s = il_malloc(sizeof *s); /* tens of KiB: not on the stack */
    il_run_result *res = NULL;
    il_report rep;
    il_error local;
    size_t need;
    il_status st;

    if (!err)
        err = &local;
    err->message[0] = '\0';
    if (!s) {
        il__set_error(err, "%s", il_status_str(IL_ENOMEM));
        return IL_ENOMEM;
    }
    il_run_spec_init(s);
    st = il_run_spec_from_json(s, json, len, 0, err);
    if (st == IL_OK)
        st = il_run_spec_validate(s, err);
    if (st == IL_OK && max_bytes) {
        if (il_run_memory(s, &need) != IL_OK) {
            st = IL_ELIMIT;
            il__set_error(err, "this network is too large (its size overflows)");
        } else if (need > max_bytes) {
            st = IL_ELIMIT;
            il__set_error(err, "this network needs %zu bytes; the limit is %zu", need, max_bytes);
        }
    }
    if (st == IL_OK)
        st = il_run_execute(s, hooks, &res, err);
    if (st == IL_OK) {
        il_run_result_report(res, "run", &rep);
        st = il_report_write_json(&rep, w, ctx);
    }
    if (st != IL_OK && !err->message[0])
        il__set_error(err, "%s", il_status_str(st));
    il_run_result_free(res);
    il_run_spec_release(s);
    il_free(s);
    return st;
}
