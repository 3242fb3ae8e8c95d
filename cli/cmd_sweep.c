/* SPDX-License-Identifier: MIT */
/*
 * initlab sweep: a grid of runs (initlab/sweep.h) into one SQLite store,
 * on one core, N forked workers, a shard of any scheduler (Slurm arrays
 * without flags) or mpirun. This file: the options, the grid from
 * --config, the flags or a preset, where this process's cells are, and
 * the sbatch script; cmd_sweep_exec.c runs the cells, cmd_sweep_show.c
 * reads stores, cmd_sweep_plot.c draws them, cmd_sweep_mpi.c is mpirun.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cmd_sweep.h"

typedef struct sweep_opts {
    const char *config, *base, *db, *shard, *emit_slurm, *preset, *max_memory;
    cli_list axes, metrics;
    uint64_t seed;
    size_t jobs, tasks;
    int quiet;
} sweep_opts;

#define SEED_UNSET UINT64_MAX

static const sweep_opts sweep_defaults = {.seed = SEED_UNSET, .jobs = 1, .tasks = 4};

static const cli_option sweep_options[] = {
    CLI_OPT("config", CLI_STRING, sweep_opts, config, "GRID.json",
            "the grid: kind, seed, base, axes, metrics (docs/sweeps.md)"),
    CLI_OPT("base", CLI_STRING, sweep_opts, base, "RUN.json", "the base run spec (with --axis)"),
    CLI_OPT("axis", CLI_MULTI, sweep_opts, axes, "NAME=a:b:n|v1,v2",
            "an axis: a path into the spec or sigma_w2, sigma_b2; n values from a to b, or a "
            "list (';' separates values that hold commas)"),
    CLI_OPT("metric", CLI_MULTI, sweep_opts, metrics, "PATH",
            "a path into the run's report.json, e.g. arms.0.layers.-1.std (repeatable)"),
    CLI_OPT("seed", CLI_SEED, sweep_opts, seed, "N",
            "the sweep's seed (with --base; default 1): cell i runs with splitmix64's "
            "output i+1"),
    CLI_OPT("preset", CLI_STRING, sweep_opts, preset, "NAME", "a ready grid: depth-scale"),
    CLI_OPT("db", CLI_STRING, sweep_opts, db, "FILE",
            "the result store (default " SWEEP_DEFAULT_DB
            "; a shard's default sweep-shard-I-of-N.db beside it)"),
    CLI_OPT("jobs", CLI_SIZE, sweep_opts, jobs, "N", "worker processes (default 1)"),
    CLI_OPT("shard", CLI_STRING, sweep_opts, shard, "I/N",
            "only cells with index % N == I (default: from SLURM_ARRAY_TASK_* when set)"),
    CLI_OPT("emit-slurm", CLI_STRING, sweep_opts, emit_slurm, "FILE",
            "write an sbatch script for the grid ('-': standard output) and stop"),
    CLI_OPT("tasks", CLI_SIZE, sweep_opts, tasks, "N",
            "array tasks in the --emit-slurm script (default 4)"),
    CLI_OPT("max-memory", CLI_STRING, sweep_opts, max_memory, "SIZE",
            "refuse cells needing more (default: half the RAM, at most 8G)"),
    CLI_OPT("quiet", CLI_FLAG, sweep_opts, quiet, NULL, "no progress line"),
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

static void help(FILE *f)
{
    fprintf(f, "usage: initlab sweep --config GRID.json [options]\n"
               "       initlab sweep --base RUN.json --axis NAME=SPEC [--axis ...] --metric PATH\n"
               "       initlab sweep --preset depth-scale\n"
               "       initlab sweep show DB [--csv | --json]\n"
               "       initlab sweep merge OUT.db A.db [B.db ...]\n"
               "       initlab sweep plot DB --x AXIS [--y AXIS] --metric PATH [--out FILE]\n\n"
               "Run a grid of runs: every combination of the axes' values applied to the base\n"
               "spec, in a fixed order, each cell with a seed made from the sweep's seed and\n"
               "its index, its metrics kept in an SQLite store. Running the same command again\n"
               "resumes: finished cells are kept, cells whose process died are run again.\n"
               "The results do not depend on how the grid is split: --jobs N, --shard I/N (or a\n"
               "Slurm array: SLURM_ARRAY_TASK_ID, _COUNT, _MIN), then 'sweep merge', or\n"
               "mpirun -n N initlab sweep ... (when built with MPI).\n\n"
               "Axes: sigma_w2 sets every arm's init to normal:std=sqrt(sigma_w2/fan_in),\n"
               "sigma_b2 every arm's bias to normal:std=sqrt(sigma_b2); any other name is a\n"
               "path into the spec (depth, width, arms.0.act, seed).\n\n"
               "Options:\n");
    cli_print_options(f, sweep_options);
    fprintf(f, "\nExample: initlab sweep --base run.json --axis sigma_w2=1:4:7 "
               "--axis depth=10,20,40 --metric arms.0.layers.-1.std\n");
}

/* The depth-scale preset: tanh with sigma_b2 = 0.05 over sigma_w2 x depth,
 * forward only; the last layer's correlation between inputs (what the
 * depth scale xi_c says is forgotten), its std and its mean. */
static const char preset_depth_scale[] =
    "{\"kind\": \"run\", \"seed\": 1,"
    " \"base\": {\"width\": 100, \"batch\": 200, \"corr\": true,"
    " \"arms\": [{\"init\": \"normal\", \"act\": \"tanh\"}]},"
    " \"axes\": [{\"name\": \"sigma_w2\", \"linspace\": [1, 4, 13]},"
    "          {\"name\": \"sigma_b2\", \"values\": [0.05]},"
    "          {\"name\": \"depth\", \"linspace\": [5, 60, 12]}],"
    " \"metrics\": [\"arms.0.layers.-1.corr\", \"arms.0.layers.-1.std\","
    " \"arms.0.layers.-1.mean\"]}";

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    if (!f) {
        cli_error("sweep: cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc(IL_SWEEP_MAX_JSON + 1);
    *len = buf ? fread(buf, 1, IL_SWEEP_MAX_JSON + 1, f) : 0;
    fclose(f);
    if (!buf || *len > IL_SWEEP_MAX_JSON) {
        cli_error("sweep: %s: %s", path, buf ? "too large" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

static cJSON *read_json(const char *path)
{
    size_t len;
    char *text = read_text(path, &len);
    cJSON *j = text ? cJSON_ParseWithLength(text, len) : NULL;
    if (text && !j)
        cli_error("sweep: %s: not JSON (near byte %td)", path,
                  cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : (ptrdiff_t)0);
    free(text);
    return j;
}

/* The grid's text from the flags: base, axes, metrics, seed. */
static char *grid_from_flags(const sweep_opts *o)
{
    cJSON *g = cJSON_CreateObject(), *base = read_json(o->base), *axes, *metrics;
    char *out = NULL;
    il_error err;

    if (!g || !base)
        goto done;
    cJSON_AddStringToObject(g, "kind", "run");
    cJSON_AddNumberToObject(g, "seed", o->seed == SEED_UNSET ? 1.0 : (double)o->seed);
    cJSON_AddItemToObject(g, "base", base);
    base = NULL;
    axes = cJSON_AddArrayToObject(g, "axes");
    metrics = cJSON_AddArrayToObject(g, "metrics");
    for (size_t k = 0; k < o->axes.n; k++) {
        const char *eq = strchr(o->axes.items[k], '=');
        char name[300], *json = NULL;
        if (!eq || eq == o->axes.items[k] || (size_t)(eq - o->axes.items[k]) >= sizeof name) {
            cli_error("sweep: --axis wants NAME=a:b:n or NAME=v1,v2,... (got '%s')",
                      o->axes.items[k]);
            goto done;
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - o->axes.items[k]), o->axes.items[k]);
        err.message[0] = '\0';
        if (il_sweep_axis_from_text(name, eq + 1, &json, &err) != IL_OK) {
            cli_error("sweep: --axis: %s", err.message);
            goto done;
        }
        cJSON_AddItemToArray(axes, cJSON_Parse(json));
        il_free(json);
    }
    for (size_t m = 0; m < o->metrics.n; m++)
        cJSON_AddItemToArray(metrics, cJSON_CreateString(o->metrics.items[m]));
    out = cJSON_PrintUnformatted(g);
done:
    cJSON_Delete(base);
    cJSON_Delete(g);
    return out;
}

/* A config whose "base" is a file name: that file's spec in its place
 * (relative to the config's folder). */
static char *grid_from_config(const char *path)
{
    cJSON *g = read_json(path), *base;
    char *out = NULL;
    if (!g)
        return NULL;
    base = cJSON_GetObjectItemCaseSensitive(g, "base");
    if (cJSON_IsString(base)) {
        char file[4200];
        const char *slash = strrchr(path, '/');
        cJSON *spec;
        if (base->valuestring[0] == '/' || !slash)
            snprintf(file, sizeof file, "%s", base->valuestring);
        else
            snprintf(file, sizeof file, "%.*s/%s", (int)(slash - path), path, base->valuestring);
        if (!(spec = read_json(file))) {
            cJSON_Delete(g);
            return NULL;
        }
        cJSON_ReplaceItemInObjectCaseSensitive(g, "base", spec);
    }
    out = cJSON_PrintUnformatted(g);
    cJSON_Delete(g);
    return out;
}

static int load_grid(const sweep_opts *o, size_t max_values, il_sweep_grid **g)
{
    int sources = !!o->config + !!o->base + !!o->preset;
    char *text = NULL;
    il_error err;
    il_status st;

    if (sources != 1) {
        cli_error("sweep: give one of --config, --base (with --axis and --metric) or --preset");
        return EXIT_USAGE;
    }
    if (!o->base && (o->axes.n || o->metrics.n || o->seed != SEED_UNSET)) {
        cli_error("sweep: --axis, --metric and --seed go with --base (a config or preset "
                  "gives them)");
        return EXIT_USAGE;
    }
    if (o->base && !o->metrics.n) {
        cli_error("sweep: --base needs at least one --metric");
        return EXIT_USAGE;
    }
    if (o->preset) {
        if (strcmp(o->preset, "depth-scale") != 0) {
            cli_error("sweep: unknown preset '%s' (valid: depth-scale)", o->preset);
            return EXIT_USAGE;
        }
        cJSON *tree = cJSON_Parse(preset_depth_scale);
        text = tree ? cJSON_PrintUnformatted(tree) : NULL;
        cJSON_Delete(tree);
    } else {
        text = o->config ? grid_from_config(o->config) : grid_from_flags(o);
    }
    if (!text)
        return EXIT_DATA;
    err.message[0] = '\0';
    st = il_sweep_grid_from_json(text, strlen(text), max_values, g, &err);
    cJSON_free(text);
    if (st != IL_OK) {
        cli_error("sweep: %s: %s",
                  o->config ? o->config
                  : o->base ? "the grid"
                            : o->preset,
                  err.message);
        return st == IL_ENOMEM ? EXIT_NOMEM : EXIT_DATA;
    }
    return 0;
}

static int parse_shard(const char *text, size_t *i, size_t *n)
{
    char *end;
    unsigned long long a, b;
    errno = 0;
    a = strtoull(text, &end, 10);
    if (errno || end == text || *end != '/')
        return 0;
    text = end + 1;
    b = strtoull(text, &end, 10);
    if (errno || end == text || *end || b == 0 || a >= b || b > IL_SWEEP_MAX_CELLS)
        return 0;
    *i = (size_t)a;
    *n = (size_t)b;
    return 1;
}

/* --shard, or a Slurm array task: ID - MIN of COUNT. */
static int where_shard(const sweep_opts *o, sweep_where *w)
{
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *count = getenv("SLURM_ARRAY_TASK_COUNT"),
               *min = getenv("SLURM_ARRAY_TASK_MIN");
    w->shard_i = 0;
    w->shard_n = 1;
    if (o->shard) {
        if (!parse_shard(o->shard, &w->shard_i, &w->shard_n)) {
            cli_error("sweep: --shard wants I/N with 0 <= I < N (got '%s')", o->shard);
            return EXIT_USAGE;
        }
    } else if (id && count) {
        char text[64];
        long long i = strtoll(id, NULL, 10) - (min ? strtoll(min, NULL, 10) : 0);
        snprintf(text, sizeof text, "%lld/%s", i, count);
        if (!parse_shard(text, &w->shard_i, &w->shard_n)) {
            cli_error("sweep: SLURM_ARRAY_TASK_ID %s, _MIN %s, _COUNT %s make no shard", id,
                      min ? min : "(unset)", count);
            return EXIT_USAGE;
        }
    }
    return 0;
}

static int emit_slurm(const sweep_opts *o, const il_sweep_grid *g)
{
    FILE *f = strcmp(o->emit_slurm, "-") == 0 ? stdout : fopen(o->emit_slurm, "w");
    size_t tasks = o->tasks < 1 ? 1 : o->tasks;
    if (tasks > il_sweep_grid_cells(g))
        tasks = il_sweep_grid_cells(g);
    if (!f) {
        cli_error("sweep: cannot write '%s': %s", o->emit_slurm, strerror(errno));
        return EXIT_RUNTIME;
    }
    fprintf(f,
            "#!/bin/bash\n"
            "# initlab sweep: %zu cells in %zu array tasks, each its own store; merge them\n"
            "# afterwards with\n"
            "#   initlab sweep merge initlab-out/sweep/sweep.db "
            "initlab-out/sweep/shard-*.db\n"
            "#SBATCH --job-name=initlab-sweep\n"
            "#SBATCH --array=0-%zu\n"
            "#SBATCH --cpus-per-task=2\n"
            "#SBATCH --output=initlab-out/sweep/slurm-%%A_%%a.out\n"
            "set -euo pipefail\n"
            "mkdir -p initlab-out/sweep\n"
            "grid=initlab-out/sweep/grid-${SLURM_ARRAY_TASK_ID}.json\n"
            "cat > \"$grid\" <<'INITLAB_GRID'\n%s\nINITLAB_GRID\n"
            "# the shard comes from SLURM_ARRAY_TASK_ID, _COUNT and _MIN\n"
            "exec initlab sweep --config \"$grid\" --quiet "
            "--db initlab-out/sweep/shard-${SLURM_ARRAY_TASK_ID}.db\n",
            il_sweep_grid_cells(g), tasks, tasks - 1, il_sweep_grid_json(g));
    if (f != stdout && fclose(f) != 0) {
        cli_error("sweep: cannot write '%s': %s", o->emit_slurm, strerror(errno));
        return EXIT_RUNTIME;
    }
    if (f != stdout)
        printf("wrote %s: sbatch %s (%zu tasks)\n", o->emit_slurm, o->emit_slurm, tasks);
    return EXIT_OK;
}

int cmd_sweep(int argc, char **argv)
{
    sweep_opts o = sweep_defaults;
    sweep_where w = {0};
    il_sweep_grid *g = NULL;
    static char shard_db[4200];
    size_t cap;
    int npos, rc;

    if (argc > 1 && strcmp(argv[1], "show") == 0)
        return sweep_show(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "merge") == 0)
        return sweep_merge(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "plot") == 0)
        return sweep_plot(argc - 1, argv + 1);
    if (!cli_begin("sweep", sweep_options, &o, help, 0, argc, argv, &npos, &rc))
        return rc;
    cap = cli_default_memory_cap();
    if (o.max_memory && (rc = cli_parse_bytes("sweep", "max-memory", o.max_memory, &cap)) != 0)
        return rc;
    if (o.jobs < 1 || o.jobs > 256) {
        cli_error("sweep: --jobs must be 1..256");
        return EXIT_USAGE;
    }
    /* a run keeps batch x width x layers doubles, and as much again in flight */
    w.max_values = cap / (2 * sizeof(double));
    if ((rc = load_grid(&o, w.max_values, &g)) != 0)
        return rc;
    if (o.emit_slurm) {
        rc = emit_slurm(&o, g);
        il_sweep_grid_free(g);
        return rc;
    }
    if ((rc = where_shard(&o, &w)) != 0) {
        il_sweep_grid_free(g);
        return rc;
    }
    w.db = o.db ? o.db : SWEEP_DEFAULT_DB;
    if (!o.db && w.shard_n > 1) {
        snprintf(shard_db, sizeof shard_db, "initlab-out/sweep/sweep-shard-%zu-of-%zu.db",
                 w.shard_i, w.shard_n);
        w.db = shard_db;
    }
    w.jobs = o.jobs;
    w.quiet = o.quiet;
#ifdef INITLAB_MPI
    if (!sweep_mpi(g, &w, &rc))
#endif
        rc = sweep_execute(g, &w);
    il_sweep_grid_free(g);
    return rc;
}
