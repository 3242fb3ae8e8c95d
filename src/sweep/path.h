/* SPDX-License-Identifier: MIT */
/* JSON paths ("arms.0.layers.-1.std") into cJSON trees, for the sweep's
 * axes (into a spec) and metrics (into a report). */
#ifndef INITLAB_SWEEP_PATH_H
#define INITLAB_SWEEP_PATH_H

#include <cJSON.h>

#include "initlab/spec.h"
#include "initlab/status.h"

/* Longest path accepted. */
#define IL__SWEEP_MAX_PATH 256

/* Is 'path' well formed (non-empty segments, at most IL__SWEEP_MAX_PATH)? */
int il__sweep_path_ok(const char *path);

/* The node at 'path' under 'root', or NULL with the reason in 'err'. */
cJSON *il__sweep_path_get(cJSON *root, const char *path, il_error *err);

/* Put 'value' (taken over, freed on failure) at 'path': the parents must
 * exist; the last key of an object is replaced or added, an array index
 * must exist. IL_EINVAL with the reason. */
il_status il__sweep_path_set(cJSON *root, const char *path, cJSON *value, il_error *err);

/* cJSON_PrintUnformatted into il_malloc'ed memory (NULL when out of
 * memory). */
char *il__sweep_print(const cJSON *node);

#endif
