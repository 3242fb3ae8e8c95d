/* SPDX-License-Identifier: MIT */
/*
 * Gains: torch.nn.init.calculate_gain, value for value and in torch's own
 * arithmetic (tanh 5.0/3, relu math.sqrt(2.0), leaky_relu
 * math.sqrt(2.0 / (1 + slope ** 2)), selu 3.0/4 from PR #50664), so that
 * every std and bound computed from them is bit-equal to torch's.
 */
#include <math.h>
#include <string.h>

#include "initlab/act.h"
#include "internal/init_impl.h"
#include "internal/spec_impl.h"

/* torch's names first (kaiming's default, leaky_relu, is index 10), then
 * the library's other activations, whose gain is the derived one. */
const char *const il_init_gain_names[] = {
    "linear",           "conv1d",   "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid",  "tanh",   "relu",   "leaky_relu",       "selu",
    "identity",         "elu",      "gelu",   "silu",   "softplus",         "mish",
    "hardtanh",         "softsign", NULL,
};

il_status il_init_gain(const char *nonlinearity, double param, double *gain, il_error *err)
{
    size_t i;

    for (i = 0; il_init_gain_names[i]; i++)
        if (strcmp(il_init_gain_names[i], nonlinearity) == 0)
            break;
    if (!il_init_gain_names[i]) {
        il__set_error(err, "Unsupported nonlinearity %s", nonlinearity);
        return IL_ENOTFOUND;
    }
    if (strcmp(nonlinearity, "tanh") == 0) {
        *gain = 5.0 / 3;
    } else if (strcmp(nonlinearity, "relu") == 0) {
        *gain = sqrt(2.0);
    } else if (strcmp(nonlinearity, "leaky_relu") == 0) {
        double slope = isnan(param) ? 0.01 : param;
        if (!isfinite(slope)) {
            il__set_error(err, "negative_slope %g not a valid number", slope);
            return IL_EINVAL;
        }
        *gain = sqrt(2.0 / (1 + slope * slope));
    } else if (i > 12) {
        /* not in torch's table: the activation's derived gain, its
         * parameters at their defaults (see act.c) */
        il_act a;
        if (il_act_parse(nonlinearity, &a, err) != IL_OK)
            return IL_ENOTFOUND;
        *gain = il_act_gain(&a);
    } else if (strcmp(nonlinearity, "selu") == 0) {
        /* Empirical (torch PR #50664). For self-normalizing networks torch
         * itself advises 'linear' (variance 1/fan_in) instead. */
        *gain = 3.0 / 4;
    } else {
        *gain = 1.0; /* linear, identity, conv*, sigmoid */
    }
    return IL_OK;
}
