/* SPDX-License-Identifier: MIT */
/*
 * Inside the library: a network description's fields (initlab/netdesc.h),
 * and its reader from a cJSON tree, for the run spec, which holds a network
 * under "net".
 */
#ifndef INITLAB_INTERNAL_NETDESC_IMPL_H
#define INITLAB_INTERNAL_NETDESC_IMPL_H

#include <cJSON.h>

#include "initlab/netdesc.h"

/* Ops in one description, residual bodies and shortcuts included: the JSON
 * reader and the presets both refuse more, so what one writes the other
 * reads. */
#define IL__NETDESC_MAX_OPS 100000

struct il_netdesc {
    il_net_input_kind kind;
    il_tshape input;
    size_t vocab;
    il_op *ops; /* residual bodies and shortcuts are allocations of their own */
    size_t n_ops;
    char *preset; /* the preset string it came from, or NULL */
};

/* il_netdesc_from_json of a parsed tree. */
il_status il__netdesc_from_cjson(const cJSON *root, il_netdesc **out, il_error *err);

#endif
