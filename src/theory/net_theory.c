/* SPDX-License-Identifier: MIT */
/*
 * Mean-field second moments through a network of layer ops (see
 * il_theory_net in initlab/theory.h): one walk down the nodes, each map
 * from ARCHITECTURES.md section 3, NAN where no cheap prediction exists.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/theory.h"
#include "internal/spec_impl.h"

#define NONE ((size_t)-1)

typedef struct walk {
    const il_net *n;
    const double *param_std;
    double *q;
    int *centred; /* the node's values have mean zero in expectation */
    il_error *note;
    int noted;
} walk;

static void no_prediction(walk *w, size_t k, const char *why)
{
    w->q[k] = (double)NAN;
    if (!w->noted && w->note) {
        il__set_error(w->note, "no prediction from %s (%s) on: %s", il_net_op_name(w->n, k),
                      il_net_op(w->n, k)->type->name, why);
        w->noted = 1;
    }
}

/* The std of node k's j-th parameter (its parameters are contiguous). */
static double pstd(const walk *w, size_t k, const char *name)
{
    for (size_t i = 0; i < il_net_param_count(w->n); i++) {
        size_t node;
        const il_param_desc *d = il_net_param(w->n, i, &node);
        if (node == k && strcmp(d->name, name) == 0)
            return w->param_std[i];
    }
    return 0; /* absent (no bias): contributes nothing */
}

static const il_param_desc *param_of(const walk *w, size_t k, const char *name)
{
    for (size_t i = 0; i < il_net_param_count(w->n); i++) {
        size_t node;
        const il_param_desc *d = il_net_param(w->n, i, &node);
        if (node == k && strcmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

static void node(walk *w, size_t k, double q0)
{
    const il_op *op = il_net_op(w->n, k);
    const char *t = op->type->name;
    size_t body = NONE, sc = NONE, src = il_net_op_input(w->n, k, &body, &sc);
    double qin = src == NONE ? q0 : w->q[src];
    int cin = src == NONE ? 1 : w->centred[src];

    w->centred[k] = 1;
    if (strcmp(t, "residual") != 0 && !isfinite(qin)) {
        no_prediction(w, k, "its input has none");
        return;
    }
    if (strcmp(t, "dense") == 0 || strcmp(t, "conv2d") == 0) {
        const il_param_desc *wd = param_of(w, k, "weight");
        double sw = pstd(w, k, "weight"), sb = op->bias ? pstd(w, k, "bias") : 0;
        if (strcmp(t, "conv2d") == 0 && op->padding > 0) {
            no_prediction(w, k, "zero padding changes the border's fan-in");
            return;
        }
        if (!isfinite(sw) || !isfinite(sb)) {
            no_prediction(w, k, "a parameter without a known std");
            return;
        }
        w->q[k] = (double)wd->fan_in * sw * sw * qin + sb * sb;
    } else if (strcmp(t, "act") == 0) {
        w->q[k] = il_theory_second_moment(&op->act, qin);
        w->centred[k] = fabs(il_theory_mean(&op->act, qin)) <= 1e-12 * sqrt(qin);
    } else if (strcmp(t, "residual") == 0) {
        const char *lt = il_net_op(w->n, body)->type->name;
        double a = op->has_alpha ? pstd(w, k, "alpha") : op->alpha;
        double qs = sc == NONE ? qin : w->q[sc];
        if (strcmp(lt, "dense") != 0 && strcmp(lt, "conv2d") != 0) {
            no_prediction(w, k, "its body does not end in a dense or conv layer");
            return;
        }
        if (!isfinite(qs) || !isfinite(w->q[body]) || !isfinite(a)) {
            no_prediction(w, k, "its shortcut or body has none");
            return;
        }
        w->q[k] = qs + a * a * w->q[body];
    } else if (strstr(t, "norm")) {
        double g = pstd(w, k, "weight"), b = pstd(w, k, "bias");
        if (!cin) {
            no_prediction(w, k, "its input's mean, which the theory does not track");
            return;
        }
        w->q[k] = qin / (qin + op->eps) * g * g + b * b;
    } else if (strcmp(t, "embedding") == 0) {
        double s = pstd(w, k, "weight");
        w->q[k] = s * s;
    } else if (strcmp(t, "flatten") == 0) {
        w->q[k] = qin;
        w->centred[k] = cin;
    } else {
        no_prediction(w, k, "no cheap prediction for this layer");
    }
}

il_status il_theory_net(const il_net *n, const double *param_std, double q0, double *q,
                        il_error *note)
{
    size_t count = il_net_op_count(n);
    int centred[4096], *c = centred;
    walk w = {n, param_std, q, NULL, note, 0};

    if (count == 0)
        return IL_EINVAL;
    if (note)
        note->message[0] = '\0';
    if (count > sizeof centred / sizeof centred[0]) {
        c = il_calloc(count, sizeof *c);
        if (!c)
            return IL_ENOMEM;
    }
    w.centred = c;
    for (size_t k = 0; k < count; k++)
        node(&w, k, q0);
    if (c != centred)
        il_free(c);
    return IL_OK;
}
