/* SPDX-License-Identifier: MIT */
/* Inside the run layer: runs on networks of layer ops (netrun.c). */
#ifndef INITLAB_RUN_IMPL_H
#define INITLAB_RUN_IMPL_H

#include "initlab/run.h"

typedef struct il__netrun il__netrun;

/* Every arm of a validated spec with a network (s->net). */
il_status il__netrun_execute(const il_run_spec *s, const il_run_hooks *hooks, il__netrun **out,
                             il_error *err);
void il__netrun_free(il__netrun *nr);

const il_net *il__netrun_net(const il__netrun *nr);
const il_report_netrun *il__netrun_report(const il__netrun *nr, size_t arm);
/* Why arm's theory has no prediction somewhere, or NULL. */
const char *il__netrun_note(const il__netrun *nr, size_t arm);
const double *il__netrun_input(const il__netrun *nr);
const double *il__netrun_output_grad(const il__netrun *nr);
/* keep_tensors: part 0 parameter i, 1 node i's output, 2 parameter i's gradient. */
const double *il__netrun_kept(const il__netrun *nr, size_t arm, int part, size_t i);

#endif
