/* SPDX-License-Identifier: MIT */
/*
 * Reports of runs on networks of layer ops (initlab/report.h): each arm's
 * "points" and "params" in report.json, and stats.csv with one row per arm
 * and point.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/spec_impl.h"
#include "report_impl.h"

static cJSON *shape_json(const size_t *shape, size_t rank)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < rank; i++) {
        cJSON *d = il__rep_count(shape[i]);
        if (!d) {
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddItemToArray(a, d);
    }
    return a;
}

static cJSON *numbers_json(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        cJSON *d = il__rep_number(v[i]);
        if (!d) {
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddItemToArray(a, d);
    }
    return a;
}

static cJSON *attention_json(const il_report_point *p)
{
    cJSON *o = cJSON_CreateObject(), *u = cJSON_CreateArray();
    int ok = o && u;
    for (size_t h = 0; ok && h < p->heads; h++) {
        cJSON *b = cJSON_CreateBool(p->head_uniform[h]);
        ok = b != NULL;
        if (ok)
            cJSON_AddItemToArray(u, b);
    }
    if (!ok || !il__rep_add(o, "entropy", numbers_json(p->head_entropy, p->heads)) ||
        !il__rep_add(o, "max_weight", numbers_json(p->head_max, p->heads))) {
        cJSON_Delete(o);
        cJSON_Delete(u);
        return NULL;
    }
    cJSON_AddItemToObject(o, "near_uniform", u);
    return o;
}

static cJSON *point_json(const il_report_point *p, int theory)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o && il__rep_add(o, "name", cJSON_CreateString(p->name)) &&
             il__rep_add(o, "type", cJSON_CreateString(p->type)) &&
             il__rep_add(o, "shape", shape_json(p->shape, p->rank)) &&
             il__rep_add(o, "q", il__rep_number(p->q)) && il__rep_layer_fields(o, p->act);
    if (ok && p->grad)
        ok = il__rep_add(o, "grad", il__rep_grad(p->grad));
    if (ok && theory) {
        cJSON *t = NULL;
        if (isfinite(p->theory_q)) {
            t = cJSON_CreateObject();
            if (t && !il__rep_add(t, "q", il__rep_number(p->theory_q))) {
                cJSON_Delete(t);
                t = NULL;
            }
        } else {
            t = cJSON_CreateNull();
        }
        ok = il__rep_add(o, "theory", t);
    }
    if (ok && p->heads)
        ok = il__rep_add(o, "attention", attention_json(p));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *param_json(const il_report_param *p)
{
    cJSON *o = cJSON_CreateObject();
    const il_layer_stats *v = p->value;
    int ok = o && il__rep_add(o, "name", cJSON_CreateString(p->name)) &&
             il__rep_add(o, "shape", shape_json(p->shape, p->rank)) &&
             il__rep_add(o, "fan_in", il__rep_count(p->fan_in)) &&
             il__rep_add(o, "fan_out", il__rep_count(p->fan_out)) &&
             il__rep_add(o, "init", cJSON_CreateString(p->init)) &&
             il__rep_add(o, "why", cJSON_CreateString(p->why)) &&
             il__rep_add(o, "std", il__rep_number(p->std)) &&
             il__rep_add(o, "mean", il__rep_number(v->mean)) &&
             il__rep_add(o, "std_measured", il__rep_number(v->std)) &&
             il__rep_add(o, "min", il__rep_number(v->min)) &&
             il__rep_add(o, "max", il__rep_number(v->max)) &&
             il__rep_add(o, "nonfinite", il__rep_count(v->nonfinite));
    if (ok && p->grad)
        ok = il__rep_add(o, "grad", il__rep_grad(p->grad)) &&
             il__rep_add(o, "grad_ratio", il__rep_number(p->grad_ratio));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *il__rep_netrun_json(size_t number, const il_report_net *n, int theory)
{
    const il_report_netrun *nr = n->net;
    cJSON *o = cJSON_CreateObject(), *points = cJSON_CreateArray(), *params = cJSON_CreateArray();
    int ok = o && points && params;

    for (size_t i = 0; ok && i < nr->n_points; i++) {
        cJSON *p = point_json(&nr->points[i], theory);
        ok = p != NULL;
        if (ok)
            cJSON_AddItemToArray(points, p);
    }
    for (size_t i = 0; ok && i < nr->n_params; i++) {
        cJSON *p = param_json(&nr->params[i]);
        ok = p != NULL;
        if (ok)
            cJSON_AddItemToArray(params, p);
    }
    ok = ok && il__rep_add(o, "arm", il__rep_count(number)) &&
         il__rep_add(o, "net", cJSON_CreateString(nr->net)) &&
         il__rep_add(o, "recipe", cJSON_CreateString(n->init)) &&
         il__rep_add(o, "label", n->label ? cJSON_CreateString(n->label) : cJSON_CreateNull());
    if (ok && isfinite(nr->loss))
        ok = il__rep_add(o, "loss", il__rep_number(nr->loss));
    if (ok && theory)
        ok = il__rep_add(o, "theory_note",
                         n->theory_note ? cJSON_CreateString(n->theory_note) : cJSON_CreateNull());
    if (!ok) {
        cJSON_Delete(o);
        cJSON_Delete(points);
        cJSON_Delete(params);
        return NULL;
    }
    cJSON_AddItemToObject(o, "points", points);
    cJSON_AddItemToObject(o, "params", params);
    return o;
}

/* One CSV row: the arm, its recipe, the point and its statistics. */
static il_status point_row(il_write_fn w, void *ctx, size_t arm, const char *recipe, size_t index,
                           const il_report_point *p, int grads, int theory)
{
    const il_layer_stats *s = p->act;
    char buf[512], num[10][40];
    il_status st;
    int k = snprintf(buf, sizeof buf, "%zu,", arm);

    if ((st = w(ctx, buf, (size_t)k)) != IL_OK ||
        (st = il__rep_csv_text(w, ctx, recipe)) != IL_OK || (st = w(ctx, ",", 1)) != IL_OK ||
        (st = il__rep_csv_text(w, ctx, p->name)) != IL_OK)
        return st;
    il__rep_csv_number(num[0], sizeof num[0], p->q);
    il__rep_csv_number(num[1], sizeof num[1], s->mean);
    il__rep_csv_number(num[2], sizeof num[2], s->std);
    il__rep_csv_number(num[3], sizeof num[3], s->min);
    il__rep_csv_number(num[4], sizeof num[4], s->max);
    il__rep_csv_number(num[5], sizeof num[5], s->frac_low);
    il__rep_csv_number(num[6], sizeof num[6], s->frac_high);
    il__rep_csv_number(num[7], sizeof num[7], s->frac_zero);
    il__rep_csv_number(num[8], sizeof num[8], s->lo);
    il__rep_csv_number(num[9], sizeof num[9], s->hi);
    k = snprintf(buf, sizeof buf, ",%s,%zu,%zu,%s,%s,%s,%s,%s,%s,%s,%s,%zu,%s,%s,%zu,%zu,", p->type,
                 index, s->count, num[0], num[1], num[2], num[3], num[4], num[5], num[6], num[7],
                 s->nonfinite, num[8], num[9], s->below, s->above);
    if ((st = w(ctx, buf, (size_t)k)) != IL_OK)
        return st;
    for (size_t i = 0; i < s->bins; i++) {
        k = snprintf(buf, sizeof buf, "%s%zu", i ? " " : "", s->counts[i]);
        if ((st = w(ctx, buf, (size_t)k)) != IL_OK)
            return st;
    }
    if (grads) {
        il__rep_csv_number(num[0], sizeof num[0], p->grad ? p->grad->mean : (double)NAN);
        il__rep_csv_number(num[1], sizeof num[1], p->grad ? p->grad->std : (double)NAN);
        k = snprintf(buf, sizeof buf, ",%s,%s", num[0], num[1]);
        if ((st = w(ctx, buf, (size_t)k)) != IL_OK)
            return st;
    }
    if (theory) {
        il__rep_csv_number(num[0], sizeof num[0], p->theory_q);
        k = snprintf(buf, sizeof buf, ",%s", num[0]);
        if ((st = w(ctx, buf, (size_t)k)) != IL_OK)
            return st;
    }
    return w(ctx, "\n", 1);
}

il_status il__rep_netrun_csv(const il_report *r, il_write_fn w, void *ctx)
{
    static const char head[] = "arm,recipe,point,type,index,count,q,mean,std,min,max,frac_low,"
                               "frac_high,frac_zero,nonfinite,hist_lo,hist_hi,below,above,counts";
    const il_report_group *g = &r->groups[0];
    int grads = g->nets[0].net->n_points > 0 && g->nets[0].net->points[0].grad != NULL;
    il_status st = w(ctx, head, sizeof head - 1);

    if (st == IL_OK && grads)
        st = w(ctx, ",grad_mean,grad_std", 19);
    if (st == IL_OK && r->theory)
        st = w(ctx, ",theory_q", 9);
    if (st == IL_OK)
        st = w(ctx, "\n", 1);
    for (size_t a = 0; st == IL_OK && a < g->n_nets; a++) {
        const il_report_netrun *nr = g->nets[a].net;
        for (size_t i = 0; st == IL_OK && i < nr->n_points; i++)
            st = point_row(w, ctx, a + 1, g->nets[a].init, i + 1, &nr->points[i], grads, r->theory);
    }
    return st;
}
