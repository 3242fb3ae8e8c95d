/* SPDX-License-Identifier: MIT */
/*
 * Network descriptions: the JSON form of a network and the presets that
 * expand into it.
 *
 *   {"input": {"features": F} | {"seq": S, "features": F} | {"shape": [C, H, W]}
 *             | {"tokens": S, "vocab": V},
 *    "layers": [LAYER, ...]}
 *
 * where each LAYER is an object with a "type" (a row of the layer-op table,
 * initlab/net.h) and that type's keys, with the defaults of PyTorch's
 * modules: dense {"out", "bias": true}; conv2d {"out", "kernel",
 * "stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": false};
 * act {"fn"}; layernorm, rmsnorm, batchnorm {"eps": 1e-5}; residual
 * {"body": [LAYER...], "shortcut": LAYER, "alpha": 1.0}; attention
 * {"heads", "causal": false, "bias": true}; embedding {"dim"}; avgpool,
 * maxpool {"kernel", "stride": kernel}; global_avgpool; flatten. A residual
 * with "alpha" has it as a parameter (a recipe may set it); without, its
 * alpha is the constant 1.
 *
 * Presets are one-line descriptions, "NAME:key=value,...": mlp, resmlp,
 * transformer, cnn (il_net_preset_at lists them with their keys).
 */
#ifndef INITLAB_NETDESC_H
#define INITLAB_NETDESC_H

#include <stddef.h>

#include "initlab/net.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A parsed network description: its input and its ops (residual bodies
 * included), owned. */
typedef struct il_netdesc il_netdesc;

/* What the input of a description is. */
typedef enum il_net_input_kind {
    IL_NET_INPUT_FEATURES, /* (F) */
    IL_NET_INPUT_SEQ,      /* (S, F) */
    IL_NET_INPUT_IMAGE,    /* (C, H, W) */
    IL_NET_INPUT_TOKENS    /* (S) token ids below 'vocab' */
} il_net_input_kind;

/* Parse the JSON text[0..len) (strict JSON, initlab's profile). Unknown
 * types or keys and bad values are refused with the layer's name and the
 * key ("layers.4.body.1: unknown key \"outs\"; dense takes out, bias");
 * shapes are checked when the network is built (il_netdesc_build).
 * IL_EFORMAT, IL_EINVAL, IL_ELIMIT, IL_ENOMEM. */
il_status il_netdesc_from_json(const char *text, size_t len, il_netdesc **out, il_error *err);

/* A preset "NAME[:key=value,...]" (IL_ENOTFOUND for an unknown name, with
 * the nearest; IL_EINVAL for a bad key or value, naming it). */
il_status il_netdesc_from_preset(const char *preset, il_netdesc **out, il_error *err);

/* A preset name or a JSON text, told apart by the first non-blank byte. */
il_status il_netdesc_parse(const char *text, il_netdesc **out, il_error *err);

void il_netdesc_free(il_netdesc *d);

il_net_input_kind il_netdesc_input_kind(const il_netdesc *d);
const il_tshape *il_netdesc_input(const il_netdesc *d);
size_t il_netdesc_vocab(const il_netdesc *d); /* tokens: V; else 0 */
const il_op *il_netdesc_ops(const il_netdesc *d, size_t *n_ops);
/* The preset it came from ("resmlp:blocks=30,width=256"), or NULL. */
const char *il_netdesc_preset(const il_netdesc *d);

/* The network of the description for 'batch' examples (il_net_new). */
il_status il_netdesc_build(const il_netdesc *d, size_t batch, il_net **out, il_error *err);

/* The bytes il_netdesc_build would allocate for 'batch' examples. */
il_status il_netdesc_memory(const il_netdesc *d, size_t batch, size_t *bytes);

/* The description as JSON with every default written out: a string from
 * il_malloc (the caller frees it with il_free), or NULL on IL_ENOMEM. */
char *il_netdesc_to_json(const il_netdesc *d);

/* The presets. */
typedef struct il_net_preset {
    const char *name;
    const char *summary; /* one line */
    const char *keys;    /* "blocks=30, width=256, norm=none|pre|post, act=relu" */
    const char *example; /* a full preset string */
} il_net_preset;

size_t il_net_preset_count(void);
const il_net_preset *il_net_preset_at(size_t i);

#ifdef __cplusplus
}
#endif
#endif
