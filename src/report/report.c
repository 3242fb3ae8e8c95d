/* SPDX-License-Identifier: MIT */
/* The report module: report.json through cJSON and stats.csv by hand, from
 * the results of experiments (exp) and of training (train). */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initlab/report.h"
#include "internal/spec_impl.h"
#include "report_impl.h"

/* cJSON's own number printing falls back to 17 digits only when 15 digits
 * miss by more than an epsilon-relative margin, so it can lose the last
 * bit; numbers are therefore written as raw text that round-trips exactly.
 * Non-finite values become null (JSON has no NaN or Infinity). */
cJSON *il__rep_number(double v)
{
    char buf[40];
    if (!isfinite(v))
        return cJSON_CreateNull();
    il__format_double(buf, sizeof buf, v);
    return cJSON_CreateRaw(buf);
}

cJSON *il__rep_count(unsigned long long n)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", n);
    return cJSON_CreateRaw(buf);
}

int il__rep_add(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return 0;
    cJSON_AddItemToObject(obj, key, item);
    return 1;
}

static int add_to_array(cJSON *arr, cJSON *item)
{
    if (!item)
        return 0;
    cJSON_AddItemToArray(arr, item);
    return 1;
}

/* A 1-based layer number, or null for 0 ("none"). */
static cJSON *layer_or_null(size_t layer)
{
    return layer ? il__rep_count(layer) : cJSON_CreateNull();
}

/* {"lo", "hi", "counts", "below", "above"} */
cJSON *il__rep_hist(const il_layer_stats *s)
{
    cJSON *h = cJSON_CreateObject(), *counts = cJSON_CreateArray();
    int ok = h && counts;

    for (size_t i = 0; ok && i < s->bins; i++) {
        cJSON *c = il__rep_count(s->counts[i]);
        ok = c != NULL;
        if (ok)
            cJSON_AddItemToArray(counts, c);
    }
    if (!ok) {
        cJSON_Delete(h);
        cJSON_Delete(counts);
        return NULL;
    }
    if (!il__rep_add(h, "lo", il__rep_number(s->lo)) ||
        !il__rep_add(h, "hi", il__rep_number(s->hi))) {
        cJSON_Delete(h);
        cJSON_Delete(counts);
        return NULL;
    }
    cJSON_AddItemToObject(h, "counts", counts);
    if (!il__rep_add(h, "below", il__rep_count(s->below)) ||
        !il__rep_add(h, "above", il__rep_count(s->above))) {
        cJSON_Delete(h);
        return NULL;
    }
    return h;
}

/* The moments every statistics object has: mean, std, min, max. */
int il__rep_moments(cJSON *o, const il_layer_stats *s)
{
    return il__rep_add(o, "mean", il__rep_number(s->mean)) &&
           il__rep_add(o, "std", il__rep_number(s->std)) &&
           il__rep_add(o, "min", il__rep_number(s->min)) &&
           il__rep_add(o, "max", il__rep_number(s->max));
}

/* {"mean", "std", "min", "max", "nonfinite", "hist"} of a gradient */
cJSON *il__rep_grad(const il_layer_stats *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !il__rep_moments(o, s) || !il__rep_add(o, "nonfinite", il__rep_count(s->nonfinite)) ||
        !il__rep_add(o, "hist", il__rep_hist(s))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int il__rep_layer_fields(cJSON *o, const il_layer_stats *s)
{
    return il__rep_add(o, "count", il__rep_count(s->count)) && il__rep_moments(o, s) &&
           il__rep_add(o, "frac_low", il__rep_number(s->frac_low)) &&
           il__rep_add(o, "frac_high", il__rep_number(s->frac_high)) &&
           il__rep_add(o, "frac_zero", il__rep_number(s->frac_zero)) &&
           il__rep_add(o, "nonfinite", il__rep_count(s->nonfinite)) &&
           il__rep_add(o, "hist", il__rep_hist(s));
}

static cJSON *layer_json(size_t layer, const il_layer_stats *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !il__rep_add(o, "layer", il__rep_count(layer)) || !il__rep_layer_fields(o, s)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* {"q", "act_mean", "act_std"[, "hist"]} or null; 'hist' holds 'bins'
 * expected counts, or is NULL. */
static cJSON *theory_json(const il_theory_layer *t, const double *hist, size_t bins,
                          const double *corr)
{
    cJSON *o, *arr;
    if (!t)
        return cJSON_CreateNull();
    o = cJSON_CreateObject();
    if (!o || !il__rep_add(o, "q", il__rep_number(t->q)) ||
        !il__rep_add(o, "act_mean", il__rep_number(t->act_mean)) ||
        !il__rep_add(o, "act_std", il__rep_number(t->act_std)) ||
        (corr && !il__rep_add(o, "corr", il__rep_number(*corr))))
        goto fail;
    if (hist) {
        if (!(arr = cJSON_CreateArray()) || !il__rep_add(o, "hist", arr))
            goto fail;
        for (size_t i = 0; i < bins; i++)
            if (!add_to_array(arr, il__rep_number(hist[i])))
                goto fail;
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

static cJSON *net_json(size_t number, const il_report_net *n, int arms, int theory)
{
    cJSON *o, *layers;
    size_t n_layers;

    if (n->net)
        return il__rep_netrun_json(number, n, theory);
    o = cJSON_CreateObject();
    layers = cJSON_CreateArray();
    n_layers = il_exp_layer_count(n->result);

    if (!o || !layers)
        goto fail;
    for (size_t l = 0; l < n_layers; l++) {
        cJSON *lj = layer_json(l + 1, il_exp_stats(n->result, n->arm, l));
        if (!lj)
            goto fail;
        cJSON_AddItemToArray(layers, lj);
        if (il_exp_corr(n->result, n->arm) &&
            !il__rep_add(lj, "corr", il__rep_number(il_exp_corr(n->result, n->arm)[l])))
            goto fail;
        if (il_exp_grad_pre(n->result, n->arm, l) &&
            (!il__rep_add(lj, "grad_pre", il__rep_grad(il_exp_grad_pre(n->result, n->arm, l))) ||
             !il__rep_add(lj, "grad_w", il__rep_grad(il_exp_grad_w(n->result, n->arm, l))) ||
             !il__rep_add(lj, "grad_ratio",
                          il__rep_number(il_exp_grad_ratio(n->result, n->arm, l)))))
            goto fail;
        if (theory &&
            !il__rep_add(lj, "theory",
                         theory_json(n->theory ? &n->theory[l] : NULL,
                                     n->theory && n->theory_hist ? n->theory_hist[l] : NULL,
                                     il_exp_stats(n->result, n->arm, l)->bins,
                                     n->theory_corr ? &n->theory_corr[l] : NULL)))
            goto fail;
    }
    if (!il__rep_add(o, arms ? "arm" : "network", il__rep_count(number)) ||
        !il__rep_add(o, "init", cJSON_CreateString(n->init)) ||
        !il__rep_add(o, "act", cJSON_CreateString(n->act)) ||
        (arms &&
         !il__rep_add(o, "bias", n->bias ? cJSON_CreateString(n->bias) : cJSON_CreateNull())) ||
        !il__rep_add(o, "label", n->label ? cJSON_CreateString(n->label) : cJSON_CreateNull()) ||
        !il__rep_add(o, "first_nonfinite_layer",
                     layer_or_null(il_exp_first_nonfinite(n->result, n->arm))) ||
        !il__rep_add(o, "first_dead_layer", layer_or_null(il_exp_first_dead(n->result, n->arm))) ||
        (il_exp_grad_pre(n->result, n->arm, 0) &&
         !il__rep_add(o, "loss", il__rep_number(il_exp_loss(n->result, n->arm)))) ||
        (theory &&
         !il__rep_add(o, "theory_note",
                      n->theory_note ? cJSON_CreateString(n->theory_note) : cJSON_CreateNull())))
        goto fail;
    if (il_exp_lsuv_iters(n->result, n->arm)) {
        const size_t *it = il_exp_lsuv_iters(n->result, n->arm);
        cJSON *arr = cJSON_CreateArray();
        if (!arr || !il__rep_add(o, "lsuv_iters", arr))
            goto fail;
        for (size_t l = 0; l < n_layers; l++)
            if (!add_to_array(arr, il__rep_count(it[l])))
                goto fail;
    }
    cJSON_AddItemToObject(o, "layers", layers);
    return o;
fail:
    cJSON_Delete(o);
    cJSON_Delete(layers);
    return NULL;
}

static cJSON *report_json(const il_report *r)
{
    cJSON *root = cJSON_CreateObject(), *groups = cJSON_CreateArray();

    if (!root || !groups)
        goto fail;
    if (!il__rep_add(root, "command", cJSON_CreateString(r->command)) ||
        !il__rep_add(root, "seed", il__rep_count(r->seed)) ||
        !il__rep_add(root, "rng", cJSON_CreateString(r->rng)))
        goto fail;
    if (r->arms) {
        if (r->order && !il__rep_add(root, "order", cJSON_CreateString(r->order)))
            goto fail;
        for (size_t k = 0; r->n_groups > 0 && k < r->groups[0].n_nets; k++) {
            cJSON *nj = net_json(k + 1, &r->groups[0].nets[k], 1, r->theory);
            if (!nj)
                goto fail;
            cJSON_AddItemToArray(groups, nj);
        }
        cJSON_AddItemToObject(root, "arms", groups);
        return root;
    }
    for (size_t g = 0; g < r->n_groups; g++) {
        const il_report_group *grp = &r->groups[g];
        cJSON *gj = cJSON_CreateObject(), *nets = cJSON_CreateArray();
        int ok = gj && nets;
        for (size_t k = 0; ok && k < grp->n_nets; k++) {
            cJSON *nj = net_json(k + 1, &grp->nets[k], 0, r->theory);
            ok = nj != NULL;
            if (ok)
                cJSON_AddItemToArray(nets, nj);
        }
        ok = ok && il__rep_add(gj, "exercise", il__rep_count(grp->number));
        if (!ok) {
            cJSON_Delete(gj);
            cJSON_Delete(nets);
            goto fail;
        }
        cJSON_AddItemToObject(gj, "networks", nets);
        cJSON_AddItemToArray(groups, gj);
    }
    cJSON_AddItemToObject(root, "exercises", groups);
    return root;
fail:
    cJSON_Delete(root);
    cJSON_Delete(groups);
    return NULL;
}

/* Print 'root' (NULL: out of memory), free it, and write the text and a
 * final newline to the sink. */
static il_status write_root(cJSON *root, il_write_fn w, void *ctx)
{
    char *text;
    il_status st;

    if (!root)
        return IL_ENOMEM;
    text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return IL_ENOMEM;
    st = w(ctx, text, strlen(text));
    if (st == IL_OK)
        st = w(ctx, "\n", 1);
    cJSON_free(text);
    return st;
}

il_status il_report_write_json(const il_report *r, il_write_fn w, void *ctx)
{
    return write_root(report_json(r), w, ctx);
}

/* ---- CSV ---- */

/* An exact number, or an empty field if it is not finite. */
void il__rep_csv_number(char *buf, size_t cap, double v)
{
    if (!isfinite(v))
        buf[0] = '\0';
    else
        il__format_double(buf, cap, v);
}

/* A field quoted per RFC 4180 (specs contain commas). */
il_status il__rep_csv_text(il_write_fn w, void *ctx, const char *s)
{
    il_status st = w(ctx, "\"", 1);
    for (const char *p = s; st == IL_OK && *p; p++)
        st = (*p == '"') ? w(ctx, "\"\"", 2) : w(ctx, p, 1);
    return st == IL_OK ? w(ctx, "\"", 1) : st;
}

static il_status csv_row(il_write_fn w, void *ctx, const il_report *r, size_t ex, size_t net,
                         const il_report_net *n, size_t layer, const il_layer_stats *s)
{
    int arms = r->arms;
    char buf[512], num[8][40];
    il_status st;
    int k;

    if (arms)
        k = snprintf(buf, sizeof buf, "%zu,", net);
    else
        k = snprintf(buf, sizeof buf, "%zu,%zu,", ex, net);
    if ((st = w(ctx, buf, (size_t)k)) != IL_OK ||
        (st = il__rep_csv_text(w, ctx, n->init)) != IL_OK || (st = w(ctx, ",", 1)) != IL_OK ||
        (st = il__rep_csv_text(w, ctx, n->act)) != IL_OK)
        return st;
    if (arms && ((st = w(ctx, ",", 1)) != IL_OK ||
                 (st = il__rep_csv_text(w, ctx, n->bias ? n->bias : "")) != IL_OK))
        return st;
    il__rep_csv_number(num[0], sizeof num[0], s->mean);
    il__rep_csv_number(num[1], sizeof num[1], s->std);
    il__rep_csv_number(num[2], sizeof num[2], s->min);
    il__rep_csv_number(num[3], sizeof num[3], s->max);
    il__rep_csv_number(num[4], sizeof num[4], s->frac_low);
    il__rep_csv_number(num[5], sizeof num[5], s->frac_high);
    il__rep_csv_number(num[6], sizeof num[6], s->frac_zero);
    k = snprintf(buf, sizeof buf, ",%zu,%zu,%s,%s,%s,%s,%s,%s,%s,%zu,", layer, s->count, num[0],
                 num[1], num[2], num[3], num[4], num[5], num[6], s->nonfinite);
    if ((st = w(ctx, buf, (size_t)k)) != IL_OK)
        return st;
    il__rep_csv_number(num[0], sizeof num[0], s->lo);
    il__rep_csv_number(num[1], sizeof num[1], s->hi);
    k = snprintf(buf, sizeof buf, "%s,%s,%zu,%zu,", num[0], num[1], s->below, s->above);
    if ((st = w(ctx, buf, (size_t)k)) != IL_OK)
        return st;
    for (size_t i = 0; i < s->bins; i++) {
        k = snprintf(buf, sizeof buf, "%s%zu", i ? " " : "", s->counts[i]);
        if ((st = w(ctx, buf, (size_t)k)) != IL_OK)
            return st;
    }
    if (il_exp_grad_pre(n->result, n->arm, layer - 1)) {
        const il_layer_stats *gp = il_exp_grad_pre(n->result, n->arm, layer - 1);
        const il_layer_stats *gw = il_exp_grad_w(n->result, n->arm, layer - 1);
        il__rep_csv_number(num[0], sizeof num[0], gp->mean);
        il__rep_csv_number(num[1], sizeof num[1], gp->std);
        il__rep_csv_number(num[2], sizeof num[2], gw->mean);
        il__rep_csv_number(num[3], sizeof num[3], gw->std);
        il__rep_csv_number(num[4], sizeof num[4], il_exp_grad_ratio(n->result, n->arm, layer - 1));
        k = snprintf(buf, sizeof buf, ",%s,%s,%zu,%s,%s,%zu,%s", num[0], num[1], gp->nonfinite,
                     num[2], num[3], gw->nonfinite, num[4]);
        if ((st = w(ctx, buf, (size_t)k)) != IL_OK)
            return st;
    }
    if (r->theory) {
        const il_theory_layer *t = n->theory ? &n->theory[layer - 1] : NULL;
        il__rep_csv_number(num[0], sizeof num[0], t ? t->q : (double)NAN);
        il__rep_csv_number(num[1], sizeof num[1], t ? t->act_mean : (double)NAN);
        il__rep_csv_number(num[2], sizeof num[2], t ? t->act_std : (double)NAN);
        k = snprintf(buf, sizeof buf, ",%s,%s,%s", num[0], num[1], num[2]);
        if ((st = w(ctx, buf, (size_t)k)) != IL_OK)
            return st;
    }
    if (il_exp_corr(n->result, n->arm)) {
        il__rep_csv_number(num[0], sizeof num[0], il_exp_corr(n->result, n->arm)[layer - 1]);
        il__rep_csv_number(num[1], sizeof num[1],
                           n->theory_corr ? n->theory_corr[layer - 1] : (double)NAN);
        k = snprintf(buf, sizeof buf, r->theory ? ",%s,%s" : ",%s", num[0], num[1]);
        if ((st = w(ctx, buf, (size_t)k)) != IL_OK)
            return st;
    }
    return w(ctx, "\n", 1);
}

il_status il_report_write_csv(const il_report *r, il_write_fn w, void *ctx)
{
    static const char columns[] = "layer,count,mean,std,min,max,frac_low,frac_high,frac_zero,"
                                  "nonfinite,hist_lo,hist_hi,below,above,counts";
    static const char grad_columns[] = ",grad_pre_mean,grad_pre_std,grad_pre_nonfinite,"
                                       "grad_w_mean,grad_w_std,grad_w_nonfinite,grad_ratio";
    static const char theory_columns[] = ",theory_q,theory_act_mean,theory_act_std";
    const char *head = r->arms ? "arm,init,act,bias," : "exercise,network,init,act,";
    int grads, corr;
    il_status st;

    if (r->arms && r->n_groups > 0 && r->groups[0].n_nets > 0 && r->groups[0].nets[0].net)
        return il__rep_netrun_csv(r, w, ctx);
    grads = r->n_groups > 0 && r->groups[0].n_nets > 0 &&
            il_exp_grad_pre(r->groups[0].nets[0].result, r->groups[0].nets[0].arm, 0);
    corr = r->n_groups > 0 && r->groups[0].n_nets > 0 &&
           il_exp_corr(r->groups[0].nets[0].result, r->groups[0].nets[0].arm);
    st = w(ctx, head, strlen(head));

    if (st == IL_OK)
        st = w(ctx, columns, sizeof columns - 1);
    if (st == IL_OK && grads)
        st = w(ctx, grad_columns, sizeof grad_columns - 1);
    if (st == IL_OK && r->theory)
        st = w(ctx, theory_columns, sizeof theory_columns - 1);
    if (st == IL_OK && corr)
        st = r->theory ? w(ctx, ",corr,theory_corr", 17) : w(ctx, ",corr", 5);
    if (st == IL_OK)
        st = w(ctx, "\n", 1);

    for (size_t g = 0; st == IL_OK && g < r->n_groups; g++) {
        const il_report_group *grp = &r->groups[g];
        for (size_t k = 0; st == IL_OK && k < grp->n_nets; k++) {
            const il_report_net *n = &grp->nets[k];
            size_t n_layers = il_exp_layer_count(n->result);
            for (size_t l = 0; st == IL_OK && l < n_layers; l++)
                st = csv_row(w, ctx, r, grp->number, k + 1, n, l + 1,
                             il_exp_stats(n->result, n->arm, l));
        }
    }
    return st;
}

/* ---- training ---- */

static cJSON *tlayer_json(size_t layer, const il_layer_stats *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !il__rep_add(o, "layer", il__rep_count(layer)) ||
        !il__rep_add(o, "mean", il__rep_number(s->mean)) ||
        !il__rep_add(o, "std", il__rep_number(s->std)) ||
        !il__rep_add(o, "frac_zero", il__rep_number(s->frac_zero)) ||
        !il__rep_add(o, "nonfinite", il__rep_count(s->nonfinite))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *train_arm_json(const il_train_report *r, size_t a)
{
    const il_train_result *res = r->result;
    size_t n_layers = il_train_layer_count(res), iters = il_train_iters(res);
    const size_t *lsuv = il_train_lsuv_iters(res, a);
    const double *loss = il_train_loss(res, a);
    cJSON *o = cJSON_CreateObject(), *l = cJSON_CreateArray(), *ls = cJSON_CreateArray(),
          *le = cJSON_CreateArray(), *lv = lsuv ? cJSON_CreateArray() : cJSON_CreateNull();
    int ok = o && l && ls && le && lv;

    for (size_t i = 0; ok && i < iters; i++) {
        cJSON *v = il__rep_number(loss[i]);
        ok = v != NULL;
        if (ok)
            cJSON_AddItemToArray(l, v);
    }
    for (size_t k = 0; ok && k < n_layers; k++) {
        cJSON *s0 = tlayer_json(k + 1, il_train_stats(res, a, k, 0));
        cJSON *s1 = tlayer_json(k + 1, il_train_stats(res, a, k, 1));
        cJSON *it = lsuv ? il__rep_count(lsuv[k]) : NULL;
        ok = s0 && s1 && (!lsuv || it);
        if (ok) {
            cJSON_AddItemToArray(ls, s0);
            cJSON_AddItemToArray(le, s1);
            if (it)
                cJSON_AddItemToArray(lv, it);
        } else {
            cJSON_Delete(s0);
            cJSON_Delete(s1);
            cJSON_Delete(it);
        }
    }
    ok = ok && il__rep_add(o, "arm", il__rep_count(a + 1)) &&
         il__rep_add(o, "init", cJSON_CreateString(r->inits[a])) &&
         il__rep_add(o, "act", cJSON_CreateString(r->acts[a])) &&
         il__rep_add(o, "bias",
                     r->biases[a] ? cJSON_CreateString(r->biases[a]) : cJSON_CreateNull()) &&
         il__rep_add(o, "label", cJSON_CreateString(r->labels[a])) &&
         il__rep_add(o, "final_train_loss", il__rep_number(il_train_final_loss(res, a))) &&
         il__rep_add(o, "train_accuracy", il__rep_number(il_train_accuracy(res, a, 0))) &&
         il__rep_add(o, "test_accuracy", il__rep_number(il_train_accuracy(res, a, 1)));
    if (!ok) {
        cJSON_Delete(o);
        cJSON_Delete(l);
        cJSON_Delete(ls);
        cJSON_Delete(le);
        cJSON_Delete(lv);
        return NULL;
    }
    cJSON_AddItemToObject(o, "lsuv_iters", lv);
    cJSON_AddItemToObject(o, "loss", l);
    cJSON_AddItemToObject(o, "layers_start", ls);
    cJSON_AddItemToObject(o, "layers_end", le);
    return o;
}

il_status il_report_write_train_json(const il_train_report *r, il_write_fn w, void *ctx)
{
    cJSON *root = cJSON_CreateObject(), *arms = cJSON_CreateArray();
    int ok =
        root && arms && il__rep_add(root, "command", cJSON_CreateString("train")) &&
        il__rep_add(root, "seed", il__rep_count(r->seed)) &&
        il__rep_add(root, "rng", cJSON_CreateString(r->rng)) &&
        il__rep_add(root, "data", cJSON_CreateString(r->data)) &&
        il__rep_add(root, "optimizer", cJSON_CreateString(r->optimizer)) &&
        il__rep_add(root, "lr", il__rep_number(r->lr)) &&
        il__rep_add(root, "batch", il__rep_count(r->batch)) &&
        il__rep_add(root, "iters", il__rep_count(il_train_iters(r->result))) &&
        il__rep_add(root, "sampling", cJSON_CreateString(r->sampling)) &&
        il__rep_add(root, "reproduce", r->dlfs ? cJSON_CreateString("dlfs") : cJSON_CreateNull());

    for (size_t a = 0; ok && a < il_train_arm_count(r->result); a++) {
        cJSON *aj = train_arm_json(r, a);
        ok = aj != NULL;
        if (ok)
            cJSON_AddItemToArray(arms, aj);
    }
    if (!ok) {
        cJSON_Delete(root);
        cJSON_Delete(arms);
        return IL_ENOMEM;
    }
    cJSON_AddItemToObject(root, "arms", arms);
    return write_root(root, w, ctx);
}

il_status il_report_write_train_csv(const il_train_report *r, il_write_fn w, void *ctx)
{
    static const char head[] = "arm,init,act,when,layer,mean,std,frac_zero,nonfinite\n";
    il_status st = w(ctx, head, sizeof head - 1);
    for (size_t a = 0; st == IL_OK && a < il_train_arm_count(r->result); a++)
        for (int end = 0; st == IL_OK && end <= 1; end++)
            for (size_t l = 0; st == IL_OK && l < il_train_layer_count(r->result); l++) {
                const il_layer_stats *s = il_train_stats(r->result, a, l, end);
                char buf[256], num[3][40];
                int k = snprintf(buf, sizeof buf, "%zu,", a + 1);
                il__rep_csv_number(num[0], sizeof num[0], s->mean);
                il__rep_csv_number(num[1], sizeof num[1], s->std);
                il__rep_csv_number(num[2], sizeof num[2], s->frac_zero);
                if ((st = w(ctx, buf, (size_t)k)) != IL_OK ||
                    (st = il__rep_csv_text(w, ctx, r->inits[a])) != IL_OK ||
                    (st = w(ctx, ",", 1)) != IL_OK ||
                    (st = il__rep_csv_text(w, ctx, r->acts[a])) != IL_OK)
                    break;
                k = snprintf(buf, sizeof buf, ",%s,%zu,%s,%s,%s,%zu\n", end ? "end" : "start",
                             l + 1, num[0], num[1], num[2], s->nonfinite);
                st = w(ctx, buf, (size_t)k);
            }
    return st;
}
