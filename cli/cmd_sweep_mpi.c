/* SPDX-License-Identifier: MIT */
/*
 * initlab sweep under mpirun (built with INITLAB_MPI). Rank 0 owns the
 * store: it claims cells one at a time for whichever rank asks (cells
 * differ in cost by orders of magnitude, so a static split would idle
 * ranks) and records each result as it comes back; the other ranks only
 * run cells. Rank 0 also forks, before MPI starts, one worker of its own
 * that claims cells from the store directly (as --jobs workers do), so
 * that rank 0's core computes too: mpirun -n 2 runs two cells at a time.
 * A rank that dies loses its running cell, which stays
 * "running" under rank 0's pid and is run again by the next sweep.
 */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd_sweep.h"

enum {
    TAG_RESULT = 1,
    TAG_CELL = 2,
    TAG_STOP = 3
};

/* A result's fixed part; the metrics (done) or the error (failed)
 * follow as text. index UINT64_MAX: no result, only a request. */
typedef struct result_head {
    uint64_t index;
    double seconds;
    int32_t status;
    int32_t pad;
} result_head;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static size_t shard_cells(const il_sweep_grid *g, const sweep_where *w)
{
    size_t n = il_sweep_grid_cells(g);
    return n > w->shard_i ? (n - w->shard_i + w->shard_n - 1) / w->shard_n : 0;
}

static void send_result(uint64_t index, il_sweep_status status, double seconds, const char *text)
{
    size_t len = text ? strlen(text) + 1 : 0;
    char *buf = malloc(sizeof(result_head) + len);
    result_head h = {index, seconds, (int32_t)status, 0};
    if (!buf) {
        MPI_Abort(MPI_COMM_WORLD, EXIT_NOMEM);
        return;
    }
    memcpy(buf, &h, sizeof h);
    if (len)
        memcpy(buf + sizeof h, text, len);
    MPI_Send(buf, (int)(sizeof h + len), MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    free(buf);
}

static int worker(const il_sweep_grid *g, const sweep_where *w)
{
    send_result(UINT64_MAX, IL_SWEEP_PENDING, 0, NULL);
    for (;;) {
        uint64_t index;
        MPI_Status ms;
        char *metrics = NULL;
        il_error err;
        il_status st;
        double t0;
        MPI_Recv(&index, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &ms);
        if (ms.MPI_TAG == TAG_STOP)
            return EXIT_OK;
        err.message[0] = '\0';
        t0 = now();
        st = il_sweep_cell_run(g, (size_t)index, w->max_values, &metrics, &err);
        if (st != IL_OK && !err.message[0])
            snprintf(err.message, sizeof err.message, "%s", il_status_str(st));
        send_result(index, st == IL_OK ? IL_SWEEP_DONE : IL_SWEEP_FAILED, now() - t0,
                    st == IL_OK ? metrics : err.message);
        il_free(metrics);
    }
}

static int coordinator(const il_sweep_grid *g, const sweep_where *w, int size, pid_t local)
{
    il_sweep_store *s = NULL;
    il_error err;
    il_status st;
    size_t counts[4], active = (size_t)size - 1, reclaimed = 0;
    double secs;
    int rc = EXIT_OK, progress = !w->quiet && term_is_tty(stderr);
    char safe[TERM_ESCAPE_MAX];

    err.message[0] = '\0';
    if (il_sweep_store_open(w->db, g, &s, &err) != IL_OK ||
        il_sweep_store_reclaim(s, sweep_host(), &reclaimed, &err) != IL_OK) {
        cli_error("sweep: %s", err.message);
        MPI_Abort(MPI_COMM_WORLD, EXIT_RUNTIME);
        return EXIT_RUNTIME;
    }
    while (active) {
        MPI_Status ms;
        int len, found = 0;
        char *buf;
        result_head h;
        size_t index = 0;
        int ready = 0;
        /* OpenMPI's blocking probe spins a core, which rank 0's forked
         * worker needs: poll every 2 ms instead */
        for (;;) {
            struct timespec pause = {0, 2000000};
            MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &ready, &ms);
            if (ready)
                break;
            nanosleep(&pause, NULL);
        }
        MPI_Get_count(&ms, MPI_BYTE, &len);
        if (!(buf = malloc((size_t)len + 1))) {
            MPI_Abort(MPI_COMM_WORLD, EXIT_NOMEM);
            return EXIT_NOMEM;
        }
        MPI_Recv(buf, len, MPI_BYTE, ms.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        buf[len] = '\0';
        memcpy(&h, buf, sizeof h);
        st = IL_OK;
        if (h.index != UINT64_MAX)
            st = il_sweep_store_finish(s, (size_t)h.index, (il_sweep_status)h.status,
                                       h.status == IL_SWEEP_DONE ? buf + sizeof h : NULL,
                                       h.status == IL_SWEEP_DONE ? NULL : buf + sizeof h, h.seconds,
                                       sweep_host(), &err);
        free(buf);
        if (st == IL_OK)
            st = il_sweep_store_claim(s, w->shard_i, w->shard_n, (long)getpid(), sweep_host(),
                                      &index, &found, &err);
        if (st != IL_OK) {
            cli_error("sweep: %s", err.message);
            rc = EXIT_RUNTIME;
            found = 0;
        }
        if (found) {
            uint64_t i = index;
            MPI_Send(&i, 1, MPI_UINT64_T, ms.MPI_SOURCE, TAG_CELL, MPI_COMM_WORLD);
        } else {
            uint64_t none = 0;
            MPI_Send(&none, 1, MPI_UINT64_T, ms.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
            active--;
        }
        if (progress &&
            il_sweep_store_counts(s, w->shard_i, w->shard_n, counts, &secs, &err) == IL_OK)
            sweep_progress(counts, shard_cells(g, w), secs, (size_t)size - (local > 0 ? 0 : 1), 0);
    }
    if (local > 0) { /* the forked worker's last cell */
        int status;
        if (waitpid(local, &status, 0) != local || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = EXIT_RUNTIME;
    }
    if (il_sweep_store_counts(s, w->shard_i, w->shard_n, counts, &secs, &err) != IL_OK) {
        cli_error("sweep: %s", err.message);
        rc = EXIT_RUNTIME;
    } else {
        if (progress)
            sweep_progress(counts, shard_cells(g, w), secs, (size_t)size, 1);
        printf("sweep: %s: %zu of %zu cells done, %zu failed, %zu pending (%d ranks)\n",
               term_escape(safe, sizeof safe, w->db), counts[IL_SWEEP_DONE], shard_cells(g, w),
               counts[IL_SWEEP_FAILED], counts[IL_SWEEP_PENDING] + counts[IL_SWEEP_RUNNING], size);
        if (rc == EXIT_OK && counts[IL_SWEEP_FAILED])
            rc = EXIT_RUNTIME;
    }
    il_sweep_store_close(s);
    return rc;
}

int sweep_mpi(const il_sweep_grid *g, const sweep_where *w, int *rc)
{
    int rank, size, same;
    unsigned long long len;
    char *text;
    const char *env_rank = getenv("OMPI_COMM_WORLD_RANK"),
               *env_size = getenv("OMPI_COMM_WORLD_SIZE");
    long local = 0;

    /* only under a launcher: a plain `initlab sweep` never starts MPI */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMIX_RANK") && !getenv("PMI_SIZE"))
        return 0;
    /* OpenMPI names the rank before MPI_Init: rank 0 forks its worker now,
     * while the process holds no MPI state to share with a child */
    if (env_rank && env_size && strtol(env_rank, NULL, 10) == 0 && strtol(env_size, NULL, 10) > 1 &&
        (*rc = sweep_fork_worker(g, w, &local)) != 0)
        return 1;
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        MPI_Finalize();
        return 0;
    }
    /* every rank read the same command line; check that it made one grid */
    len = strlen(il_sweep_grid_json(g)) + 1;
    MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    if (!(text = malloc(len))) {
        MPI_Abort(MPI_COMM_WORLD, EXIT_NOMEM);
        *rc = EXIT_NOMEM;
        return 1;
    }
    if (rank == 0)
        memcpy(text, il_sweep_grid_json(g), len);
    MPI_Bcast(text, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
    same = strcmp(text, il_sweep_grid_json(g)) == 0;
    free(text);
    MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (!same) {
        if (rank == 0)
            cli_error("sweep: the ranks made different grids (their files or environments "
                      "differ)");
        *rc = EXIT_DATA;
    } else {
        if (rank != 0)
            il_sweep_set_threads(1); /* as every cell (cmd_sweep_exec.c says why) */
        *rc = rank == 0 ? coordinator(g, w, size, (pid_t)local) : worker(g, w);
    }
    MPI_Finalize();
    return 1;
}
