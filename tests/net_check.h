/* SPDX-License-Identifier: MIT */
/*
 * Checks every layer-op test shares: random parameters and inputs, and
 * every gradient of a network (its parameters' and its input's) against
 * central finite differences of L = sum(w_out * y_last), whose gradient at
 * y_last is w_out. Tolerances are torch.autograd.gradcheck's defaults
 * (eps 1e-6, atol 1e-5, rtol 1e-3), as test_mlp.c.
 */
#ifndef INITLAB_TESTS_NET_CHECK_H
#define INITLAB_TESTS_NET_CHECK_H

#include <math.h>
#include <string.h>

#include "initlab/dist.h"
#include "initlab/net.h"
#include "initlab/rng.h"

static void net_check_fill(il_rng *rng, double *v, size_t n, double scale)
{
    il_dist_fill_standard_normal(rng, v, n);
    for (size_t i = 0; i < n; i++)
        v[i] *= scale;
}

/* Every parameter of 'n' drawn as N(0, scale^2). */
static void net_check_fill_params(il_net *n, il_rng *rng, double scale)
{
    for (size_t i = 0; i < il_net_param_count(n); i++)
        net_check_fill(rng, il_net_param_data(n, i),
                       il_tshape_size(&il_net_param(n, i, NULL)->shape), scale);
}

static size_t net_check_out_size(const il_net *n)
{
    return il_net_batch(n) * il_tshape_size(il_net_shape(n, il_net_op_count(n) - 1));
}

static double net_check_loss(il_net *n, const double *x, const double *w_out)
{
    double s = 0;
    const double *y;
    if (il_net_forward(n, x) != IL_OK)
        return (double)NAN;
    y = il_net_output(n, il_net_op_count(n) - 1);
    for (size_t i = 0, m = net_check_out_size(n); i < m; i++)
        s += w_out[i] * y[i];
    return s;
}

static int net_check_close(double fd, double g)
{
    return fabs(fd - g) <= 1e-5 + 1e-3 * fabs(fd);
}

/* The count of gradients off their finite differences: every parameter's
 * and, with 'input' set, the input's (x is perturbed in place and put
 * back). */
static size_t net_check_grads(il_net *n, double *x, const double *w_out, int input)
{
    const double eps = 1e-6;
    size_t bad = 0, n_x = il_net_batch(n) * il_tshape_size(il_net_input_shape(n));

    if (il_net_forward(n, x) != IL_OK || il_net_backward(n, w_out) != IL_OK)
        return 1;
    for (size_t i = 0; i < il_net_param_count(n); i++) {
        size_t size = il_tshape_size(&il_net_param(n, i, NULL)->shape);
        double *p = il_net_param_data(n, i);
        for (size_t j = 0; j < size; j++) {
            const double keep = p[j], g = il_net_param_grad(n, i)[j];
            double up, down;
            p[j] = keep + eps;
            up = net_check_loss(n, x, w_out);
            p[j] = keep - eps;
            down = net_check_loss(n, x, w_out);
            p[j] = keep;
            bad += !net_check_close((up - down) / (2 * eps), g);
        }
    }
    if (input)
        for (size_t j = 0; j < n_x; j++) {
            const double keep = x[j], g = il_net_grad_input(n)[j];
            double up, down;
            x[j] = keep + eps;
            up = net_check_loss(n, x, w_out);
            x[j] = keep - eps;
            down = net_check_loss(n, x, w_out);
            x[j] = keep;
            bad += !net_check_close((up - down) / (2 * eps), g);
        }
    /* leave the gradients of the unperturbed point behind */
    il_net_forward(n, x);
    il_net_backward(n, w_out);
    return bad;
}

#endif
