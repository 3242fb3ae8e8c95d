/* SPDX-License-Identifier: MIT */
/* initlab sweep's files (cmd_sweep*.c): what they share. */
#ifndef INITLAB_CMD_SWEEP_H
#define INITLAB_CMD_SWEEP_H

#include "cli.h"

#define SWEEP_DEFAULT_DB "initlab-out/sweep/sweep.db"

/* Where this process's cells are: the shard and the store. */
typedef struct sweep_where {
    const char *db;
    size_t shard_i, shard_n, jobs, max_values;
    int quiet; /* no progress line */
} sweep_where;

/* Create the store for 'g' at w->db (its folder too), reclaim dead
 * claims, then run the shard's pending cells: in this process, or in
 * w->jobs forked workers. Returns an exit code (EXIT_RUNTIME if a cell
 * failed). */
int sweep_execute(const il_sweep_grid *g, const sweep_where *w);

/* Before MPI starts in rank 0: make the store, reclaim dead claims and
 * fork one worker that claims cells from it as --jobs workers do, so that
 * rank 0 computes too. Returns 0 (*pid the worker's) or an exit code. */
int sweep_fork_worker(const il_sweep_grid *g, const sweep_where *w, long *pid);

/* This machine's name, for the store's host column. */
const char *sweep_host(void);

/* One line of progress on stderr (a terminal only): done/total, failures,
 * ETA from the cells' mean cost and the workers. 'final' ends the line. */
void sweep_progress(const size_t counts[4], size_t total, double seconds, size_t workers,
                    int final);

/* initlab sweep show / merge / plot */
int sweep_show(int argc, char **argv);
int sweep_merge(int argc, char **argv);
int sweep_plot(int argc, char **argv);

/* Under mpirun (built with INITLAB_MPI and more than one rank): rank 0
 * hands out the cells and writes the store, the others run them. *rc gets
 * the exit code; returns 0 when not under MPI (the caller goes on). */
int sweep_mpi(const il_sweep_grid *g, const sweep_where *w, int *rc);

#endif
