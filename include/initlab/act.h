/* SPDX-License-Identifier: MIT */
/*
 * Activation functions: value, derivative and gain side by side in one
 * static table, chosen by spec strings ("relu", "sigmoid").
 *
 * Every function is written to be exact at the extremes: sigmoid(-1000) is
 * 0 and sigmoid(1000) is 1 without raising a floating-point overflow, and
 * NaN propagates.
 */
#ifndef INITLAB_ACT_H
#define INITLAB_ACT_H

#include <stddef.h>

#include "initlab/spec.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct il_act_type il_act_type;

/* A parsed activation spec; a plain value. */
typedef struct il_act {
    const il_act_type *type;
    il_value values[IL_MAX_PARAMS];
} il_act;

struct il_act_type {
    const char *name;
    const char *formula;
    const il_param *params;
    size_t n_params;
    double (*value)(const il_value *p, double x);
    double (*deriv)(const il_value *p, double x);
    /* In place over 'n' values; the same results as value() element-wise.
     * NULL: value() is applied element by element. */
    void (*apply)(const il_value *p, double *x, size_t n);
    /* torch.nn.init.calculate_gain for this activation; NULL: the gain that
     * keeps the second moment, 1 / sqrt(E[f(z)^2]) for z ~ N(0, 1). */
    double (*gain)(const il_value *p);
    const char *gain_source;
    /* A histogram range that shows this activation's usual outputs. */
    double view_lo, view_hi;
};

/* The type called 'name', or NULL. */
const il_act_type *il_act_find(const char *name);

/* Registered types by index; NULL past the end. */
size_t il_act_type_count(void);
const il_act_type *il_act_type_at(size_t i);

/* Parse "NAME[:key=value,...]". IL_ENOTFOUND for an unknown name (the message
 * suggests the nearest), IL_EINVAL for a bad parameter. 'err' may be NULL. */
il_status il_act_parse(const char *spec, il_act *out, il_error *err);

/* Write the canonical spec of 'a' (name and every parameter) into 'buf'
 * of 'cap' bytes; the length it needed, like snprintf. */
size_t il_act_format(const il_act *a, char *buf, size_t cap);

/* f(x), f'(x), and the gain. */
double il_act_value(const il_act *a, double x);
double il_act_deriv(const il_act *a, double x);
double il_act_gain(const il_act *a);

/* x[i] = f(x[i]) for i < n. */
void il_act_apply(const il_act *a, double *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
