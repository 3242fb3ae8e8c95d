/* SPDX-License-Identifier: MIT */
/* What a sweep's cells are: one row per kind of spec a grid may name. */
#ifndef INITLAB_SWEEP_CELL_H
#define INITLAB_SWEEP_CELL_H

#include <stddef.h>

#include "initlab/sink.h"
#include "initlab/spec.h"
#include "initlab/status.h"

/* A kind of cell: 'check' says whether a spec text is valid (without
 * running it), 'report' runs it and writes its report.json into 'out'.
 * 'run' is the only row so far; a train spec needs only another row, once
 * train reads a JSON spec and writes an il_report. */
typedef struct il__sweep_kind {
    const char *name;
    il_status (*check)(const char *spec, size_t len, size_t max_values, il_error *err);
    il_status (*report)(const char *spec, size_t len, size_t max_values, il_membuf *out,
                        il_error *err);
} il__sweep_kind;

/* The kind named 'name', or NULL (then 'valid' lists the names). */
const il__sweep_kind *il__sweep_kind_find(const char *name);
extern const char il__sweep_kind_names[];

#endif
