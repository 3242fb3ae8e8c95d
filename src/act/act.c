/* SPDX-License-Identifier: MIT */
/*
 * The activation table. Each row: value, derivative, array form and gain.
 *
 * sigmoid: the lecture's 1 / (1 + exp(-x)) wherever exp(-x) is finite, so
 * values match numpy's; below -708 (where exp(-x) would overflow and raise
 * FE_OVERFLOW) the equivalent exp(x) / (1 + exp(x)).
 * Gains are torch.nn.init.calculate_gain's.
 */
#include <math.h>
#include <string.h>

#include "initlab/act.h"
#include "internal/spec_impl.h"

/* exp(709.78) is the largest finite double; below this, use the other form. */
#define SIGMOID_SWITCH (-708.0)

/* ---- identity ---- */
static double identity_value(const il_value *p, double x)
{
    (void)p;
    return x;
}
static double identity_deriv(const il_value *p, double x)
{
    (void)p;
    return isnan(x) ? x : 1.0;
}
static void identity_apply(const il_value *p, double *x, size_t n)
{
    (void)p;
    (void)x;
    (void)n;
}
static double gain_one(const il_value *p)
{
    (void)p;
    return 1.0;
}

/* ---- sigmoid ---- */
static double sigmoid_value(const il_value *p, double x)
{
    (void)p;
    if (x >= SIGMOID_SWITCH)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}
static double sigmoid_deriv(const il_value *p, double x)
{
    double s = sigmoid_value(p, x);
    return s * (1.0 - s);
}
static void sigmoid_apply(const il_value *p, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = sigmoid_value(p, x[i]);
}

/* ---- tanh ---- */
static double tanh_value(const il_value *p, double x)
{
    (void)p;
    return tanh(x);
}
static double tanh_deriv(const il_value *p, double x)
{
    (void)p;
    double t = tanh(x);
    return 1.0 - t * t;
}
static void tanh_apply(const il_value *p, double *x, size_t n)
{
    (void)p;
    for (size_t i = 0; i < n; i++)
        x[i] = tanh(x[i]);
}
static double tanh_gain(const il_value *p)
{
    (void)p;
    return 5.0 / 3.0;
}

/* ---- relu ---- */
static double relu_value(const il_value *p, double x)
{
    (void)p;
    /* np.maximum(0, x): NaN propagates, -0.0 becomes 0. */
    return isnan(x) ? x : (x > 0.0 ? x : 0.0);
}
static double relu_deriv(const il_value *p, double x)
{
    (void)p;
    /* The subgradient at 0 is taken as 0, as torch does. */
    return isnan(x) ? x : (x > 0.0 ? 1.0 : 0.0);
}
static void relu_apply(const il_value *p, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = relu_value(p, x[i]);
}
static double relu_gain(const il_value *p)
{
    (void)p;
    return sqrt(2.0);
}

static const il_act_type act_table[] = {
    {"identity", "x", NULL, 0, identity_value, identity_deriv, identity_apply, gain_one,
     "calculate_gain('linear') = 1", -3.0, 3.0},
    {"sigmoid", "1 / (1 + exp(-x))", NULL, 0, sigmoid_value, sigmoid_deriv, sigmoid_apply, gain_one,
     "calculate_gain('sigmoid') = 1", 0.0, 1.0},
    {"tanh", "tanh(x)", NULL, 0, tanh_value, tanh_deriv, tanh_apply, tanh_gain,
     "calculate_gain('tanh') = 5/3", -1.0, 1.0},
    {"relu", "max(0, x)", NULL, 0, relu_value, relu_deriv, relu_apply, relu_gain,
     "calculate_gain('relu') = sqrt(2); He et al. 2015", 0.0, 3.0},
};

#define TABLE_LEN (sizeof act_table / sizeof act_table[0])

const il_act_type *il_act_find(const char *name)
{
    for (size_t i = 0; i < TABLE_LEN; i++)
        if (strcmp(act_table[i].name, name) == 0)
            return &act_table[i];
    return NULL;
}

size_t il_act_type_count(void)
{
    return TABLE_LEN;
}

const il_act_type *il_act_type_at(size_t i)
{
    return i < TABLE_LEN ? &act_table[i] : NULL;
}

il_status il_act_parse(const char *spec, il_act *out, il_error *err)
{
    il__spec sp;
    il_act a;
    il_status st;

    st = il__spec_split(spec, "activation", &sp, err);
    if (st != IL_OK)
        return st;
    memset(&a, 0, sizeof a);
    a.type = il_act_find(sp.name);
    if (!a.type) {
        const char *names[TABLE_LEN];
        for (size_t i = 0; i < TABLE_LEN; i++)
            names[i] = act_table[i].name;
        il__unknown_name(err, "activation", sp.name, names, TABLE_LEN);
        return IL_ENOTFOUND;
    }
    st = il__spec_bind(&sp, a.type->params, a.type->n_params, a.values, err);
    if (st != IL_OK)
        return st;
    *out = a;
    return IL_OK;
}

double il_act_value(const il_act *a, double x)
{
    return a->type->value(a->values, x);
}

double il_act_deriv(const il_act *a, double x)
{
    return a->type->deriv(a->values, x);
}

double il_act_gain(const il_act *a)
{
    return a->type->gain(a->values);
}

void il_act_apply(const il_act *a, double *x, size_t n)
{
    a->type->apply(a->values, x, n);
}
