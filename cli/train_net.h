/* SPDX-License-Identifier: MIT */
/* What `initlab train --net` and `initlab coordcheck` share: the network
 * for the data, its initialization under a parametrization, the data. */
#ifndef INITLAB_CLI_TRAIN_NET_H
#define INITLAB_CLI_TRAIN_NET_H

#include "cli.h"

#define TRAIN_NET_FASHION  "/usr/share/datasets/fashion-mnist"
#define TRAIN_NET_FORTUNES "/usr/share/games/fortunes"

/* The preset 'preset' with its width key ("width", or "d_model" for the
 * transformer) set to 'width'; 0 when it does not fit 'cap'. */
size_t train_net_with_width(const char *preset, size_t width, char *buf, size_t cap);

/* The description of a preset or a JSON file (errors printed). */
int train_net_load(const char *cmd, const char *what, il_netdesc **d);

/* The network for 'd' and the data: token and image networks as
 * described (an image network's input must hold the data's values),
 * feature networks with a readout of the data's classes appended;
 * sequence networks without tokens are refused. */
int train_net_build(const char *cmd, const il_netdesc *d, const il_data *data, size_t batch,
                    il_net **out);

/* Initialize 'n' by 'recipe' from a generator of 'seed', then apply the
 * scalings' init factors (NULL: none). */
int train_net_init(const char *cmd, il_net *n, const il_recipe_spec *recipe, uint64_t seed,
                   const il_nt_scaling *sc);

/* The scalings of 'n' under 'param' against the network of the preset
 * at 'base_width' (0: no base; every factor 1). */
int train_net_scalings(const char *cmd, const char *preset, const il_netdesc *d,
                       const il_data *data, size_t base_width, il_nt_param param, il_nt_opt opt,
                       il_net *n, il_nt_scaling *out);

/* Fashion-MNIST (or any MNIST-format folder) as classification data:
 * split "train" (or "t10k") and, when 'test' is not NULL, "t10k". */
int train_net_load_images(const char *cmd, const char *dir, const char *split, il_data *train,
                          il_data *test);

/* A text (a file, or every file of a folder, concatenated): bytes from
 * il_malloc into *text. */
int train_net_load_text(const char *cmd, const char *path, uint8_t **text, size_t *len);

/* A recipe "NAME[:k=v,...]", or "init:SPEC" (one initializer for every
 * weight). */
int train_net_recipe(const char *cmd, const char *text, il_recipe_spec *out);

/* A positive finite number for option 'opt'. */
int train_net_number(const char *cmd, const char *opt, const char *text, int allow_zero,
                     double *out);

/* net show's muP table: per parameter of 'n' (the preset 'preset' as
 * built by run), its role, width multiplier, init std (the recipe's,
 * default torch_default, times muP's factor) and LR factor for 'opt'
 * (default adam) under 'param' ("sp" or "mup") against 'base_width'. */
int train_net_show_scalings(const char *cmd, const char *preset, const il_netdesc *d,
                            const il_net *n, const char *param, size_t base_width, const char *opt,
                            const char *recipe);

#endif
