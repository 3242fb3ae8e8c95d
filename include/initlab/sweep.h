/* SPDX-License-Identifier: MIT */
/*
 * Sweeps: a grid of runs, each cell a run spec made from a base spec and
 * one value per axis, its metrics kept in a result store (SQLite).
 *
 * The grid in JSON (docs/sweeps.md):
 *
 *   {"kind": "run",                       (the only kind so far)
 *    "seed": 1,                           (the sweep's seed; default 1)
 *    "base": {...a run spec (initlab/run.h)...},
 *    "axes": [{"name": "sigma_w2", "values": [1, 2, 3]},
 *             {"name": "depth", "linspace": [10, 50, 5]}],
 *    "metrics": ["arms.0.layers.-1.std"]}
 *
 * An axis name is a path into the base spec (dot-separated keys and
 * integer indices, negative from the end: "depth", "arms.0.act") or a
 * shorthand: "sigma_w2" sets every arm's "init" to
 * "normal:std=S", S = sqrt(sigma_w2 / fan_in), and "sigma_b2" every arm's
 * "bias" to "normal:std=sqrt(sigma_b2)" ("zeros" for 0), the theory's
 * sigma_w2 = fan_in Var(W) and sigma_b2 = Var(b) (initlab/theory.h). The
 * shorthands need every layer's fan_in equal, and are applied after the
 * path axes. A metric is a path into the run's report.json.
 *
 * Cells are numbered in row-major order over the axes as given (the last
 * axis fastest). Unless an axis sets "seed", a cell's spec gets the seed
 * il_sweep_cell_seed(sweep seed, index), so its result depends on nothing
 * but the grid and its index.
 */
#ifndef INITLAB_SWEEP_H
#define INITLAB_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "initlab/spec.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IL_SWEEP_MAX_AXES      8
#define IL_SWEEP_MAX_METRICS   64
#define IL_SWEEP_MAX_CELLS     1000000
#define IL_SWEEP_MAX_JSON      (1 << 20) /* a grid's text at most */
#define IL_SWEEP_MAX_AXIS_VALS 10000

typedef struct il_sweep_grid il_sweep_grid;

/* Read a grid from 'len' bytes of JSON, expand its axes and check that
 * every cell makes a valid spec; 'max_values' caps each cell as
 * il_run_spec_from_json's does (0: no cap). IL_EFORMAT / IL_EINVAL /
 * IL_ELIMIT with a message naming the key, axis or cell. */
il_status il_sweep_grid_from_json(const char *json, size_t len, size_t max_values,
                                  il_sweep_grid **out, il_error *err);
void il_sweep_grid_free(il_sweep_grid *g);

/* The grid in canonical form: keys in a fixed order, axes as "values",
 * numbers as the shortest text that reads back the same. Two grids are
 * the same sweep exactly when these texts are equal. Owned by 'g'. */
const char *il_sweep_grid_json(const il_sweep_grid *g);
size_t il_sweep_grid_cells(const il_sweep_grid *g);
size_t il_sweep_grid_axes(const il_sweep_grid *g);
const char *il_sweep_grid_axis_name(const il_sweep_grid *g, size_t k);
size_t il_sweep_grid_axis_len(const il_sweep_grid *g, size_t k);
/* Value 'i' of axis 'k' as a number (NAN for a string or boolean). */
double il_sweep_grid_axis_value(const il_sweep_grid *g, size_t k, size_t i);
size_t il_sweep_grid_metrics(const il_sweep_grid *g);
const char *il_sweep_grid_metric(const il_sweep_grid *g, size_t m);
uint64_t il_sweep_grid_seed(const il_sweep_grid *g);
/* "run" */
const char *il_sweep_grid_kind(const il_sweep_grid *g);
/* The position of cell 'index' on axis 'k'. */
size_t il_sweep_cell_coord(const il_sweep_grid *g, size_t index, size_t k);

/* splitmix64's output number index + 1 from state 'sweep_seed' (Steele,
 * Lea and Flood 2014, Vigna's reference code), its high 32 bits: a run's
 * seed is at most 2^32 - 1. */
uint64_t il_sweep_cell_seed(uint64_t sweep_seed, size_t index);

/* Cell 'index''s axis values as a JSON object {"NAME": value, ...} and
 * its spec as JSON; free with il_free. */
il_status il_sweep_cell_axes(const il_sweep_grid *g, size_t index, char **json, il_error *err);
il_status il_sweep_cell_spec(const il_sweep_grid *g, size_t index, char **json, il_error *err);

/* Run cell 'index' and return its metrics as a JSON object {"PATH":
 * value, ...} in the grid's order (*metrics, free with il_free). A run
 * that fails, or a metric its report lacks, returns the status with the
 * reason in 'err'. */
il_status il_sweep_cell_run(const il_sweep_grid *g, size_t index, size_t max_values, char **metrics,
                            il_error *err);

/* The threads this process's cells use (OpenMP's and BLAS's). A run's
 * last bits depend on them (statistics in parts, BLAS's split), so a
 * sweep whose cells must agree wherever they ran runs them all with the
 * same count (initlab sweep: 1). */
void il_sweep_set_threads(int n);
/* The cores this process may use. */
int il_sweep_cores(void);

/* "a:b:n" (n evenly spaced values from a to b, both included) as
 * {"linspace": [a, b, n]} or "v1,v2,..." (numbers, true/false, else
 * strings) as {"values": [...]}: the axis object for 'name', as JSON
 * (free with il_free). IL_EINVAL with a message for a bad text. */
il_status il_sweep_axis_from_text(const char *name, const char *text, char **json, il_error *err);

/* ---- the result store (one SQLite database per sweep) ---- */

typedef struct il_sweep_store il_sweep_store;

typedef enum il_sweep_status {
    IL_SWEEP_PENDING,
    IL_SWEEP_RUNNING,
    IL_SWEEP_DONE,
    IL_SWEEP_FAILED
} il_sweep_status;

/* "pending", "running", "done", "failed" */
const char *il_sweep_status_name(il_sweep_status s);

/* One cell's row. The strings point into the store until the next call. */
typedef struct il_sweep_row {
    size_t index;
    uint64_t seed;
    il_sweep_status status;
    const char *axes;           /* JSON object */
    const char *metrics;        /* JSON object, or NULL unless done */
    const char *error;          /* why it failed, or NULL */
    double seconds;             /* NAN unless done or failed */
    const char *host, *version; /* NULL when unknown */
    long pid;                   /* of the process running it, or 0 */
} il_sweep_row;

/* Open (creating if absent or empty) the store at 'path' for 'g': a new
 * one gets the grid and one pending row per cell; an existing one must
 * hold the same grid (IL_EINVAL names the first difference). A file that
 * is not an SQLite database, or another program's, is refused
 * (IL_EFORMAT); SQLite's errors come back as IL_EIO with 'path' named. */
il_status il_sweep_store_open(const char *path, const il_sweep_grid *g, il_sweep_store **out,
                              il_error *err);
/* Open an existing store, the grid read from it (*grid, may be NULL). */
il_status il_sweep_store_open_existing(const char *path, size_t max_values, il_sweep_store **out,
                                       il_sweep_grid **grid, il_error *err);
void il_sweep_store_close(il_sweep_store *s);
/* The canonical grid the store holds (owned by 's'). */
const char *il_sweep_store_grid_json(const il_sweep_store *s);

/* Running rows of host 'host' whose pid no longer exists become pending;
 * *n (may be NULL) says how many. */
il_status il_sweep_store_reclaim(il_sweep_store *s, const char *host, size_t *n, il_error *err);
/* In one transaction: the first pending cell with index % shard_n ==
 * shard_i becomes running under 'pid' and 'host'; *found 0 when none is
 * left. */
il_status il_sweep_store_claim(il_sweep_store *s, size_t shard_i, size_t shard_n, long pid,
                               const char *host, size_t *index, int *found, il_error *err);
/* In one transaction: cell 'index' is done (metrics given) or failed
 * ('error' given), with its seconds, host and initlab version. */
il_status il_sweep_store_finish(il_sweep_store *s, size_t index, il_sweep_status status,
                                const char *metrics, const char *error, double seconds,
                                const char *host, il_error *err);
/* Rows with index % shard_n == shard_i per status
 * (counts[IL_SWEEP_PENDING..FAILED]) and the seconds the done and failed
 * ones took. */
il_status il_sweep_store_counts(il_sweep_store *s, size_t shard_i, size_t shard_n, size_t counts[4],
                                double *seconds, il_error *err);
/* Every row in index order through 'fn' (which returns nonzero to stop). */
il_status il_sweep_store_each(il_sweep_store *s, int (*fn)(void *ctx, const il_sweep_row *row),
                              void *ctx, il_error *err);
/* Copy into 'dst' the finished rows of 'src' (same grid, else IL_EINVAL
 * with the difference) where 'dst' has none finished, in one
 * transaction; *copied, *conflicts (done in both with other metrics; the
 * one in 'dst' kept) may be NULL. */
il_status il_sweep_store_merge(il_sweep_store *dst, il_sweep_store *src, size_t *copied,
                               size_t *conflicts, il_error *err);

/* The first difference between two canonical grid texts, as
 * "PATH: A here, B there" into 'buf' (empty when equal). */
void il_sweep_grid_diff(const char *a, const char *b, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
