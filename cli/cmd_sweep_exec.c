/* SPDX-License-Identifier: MIT */
/* initlab sweep's cells run: in this process or in forked workers, each
 * claiming its next cell from the store in a transaction, so that any
 * number of them (and a re-run after a crash) share one grid. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd_sweep.h"

const char *sweep_host(void)
{
    static char host[256];
    if (!host[0] && gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    return host;
}

static void format_duration(char *buf, size_t cap, double s)
{
    if (!isfinite(s))
        snprintf(buf, cap, "?");
    else if (s < 60)
        snprintf(buf, cap, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

void sweep_progress(const size_t counts[4], size_t total, double seconds, size_t workers, int final)
{
    size_t finished = counts[IL_SWEEP_DONE] + counts[IL_SWEEP_FAILED];
    size_t left = counts[IL_SWEEP_PENDING] + counts[IL_SWEEP_RUNNING];
    char eta[32];
    if (!term_is_tty(stderr))
        return;
    format_duration(eta, sizeof eta,
                    finished ? seconds / (double)finished * (double)left / (double)workers
                             : (double)NAN);
    fprintf(stderr, "\r\033[Ksweep: %zu/%zu cells, %zu failed, ETA %s", finished, total,
            counts[IL_SWEEP_FAILED], final ? "0s" : eta);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

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

/* Claim, run and record cells until none is left. */
static int work(const il_sweep_grid *g, const sweep_where *w, int progress)
{
    il_sweep_store *s = NULL;
    il_error err;
    il_status st;
    size_t index, counts[4];
    double secs;
    int found;

    /* Every cell on one thread, wherever it runs: a run's statistics and
     * OpenBLAS's products of more than ~100k values differ in the last
     * bits between 1 and 2 threads, and 2 threads per worker on 2 busy
     * cores made the depth-scale preset 14 times slower (175 s against
     * 12.6 s with --jobs 2). The grid is the parallelism. */
    il_sweep_set_threads(1);

    err.message[0] = '\0';
    if (il_sweep_store_open(w->db, g, &s, &err) != IL_OK) {
        cli_error("sweep: %s", err.message);
        return EXIT_RUNTIME;
    }
    for (;;) {
        char *metrics = NULL;
        il_error cell_err;
        double t0;
        if ((st = il_sweep_store_claim(s, w->shard_i, w->shard_n, (long)getpid(), sweep_host(),
                                       &index, &found, &err)) != IL_OK)
            break;
        if (!found)
            break;
        cell_err.message[0] = '\0';
        t0 = now();
        st = il_sweep_cell_run(g, index, w->max_values, &metrics, &cell_err);
        if (st != IL_OK && !cell_err.message[0])
            snprintf(cell_err.message, sizeof cell_err.message, "%s", il_status_str(st));
        st = il_sweep_store_finish(s, index, st == IL_OK ? IL_SWEEP_DONE : IL_SWEEP_FAILED, metrics,
                                   st == IL_OK ? NULL : cell_err.message, now() - t0, sweep_host(),
                                   &err);
        il_free(metrics);
        if (st != IL_OK)
            break;
        if (progress &&
            il_sweep_store_counts(s, w->shard_i, w->shard_n, counts, &secs, &err) == IL_OK)
            sweep_progress(counts, shard_cells(g, w), secs, 1, 0);
    }
    il_sweep_store_close(s);
    if (st != IL_OK) {
        cli_error("sweep: %s", err.message);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

/* Fork w->jobs workers and show their progress until all have exited. */
static int work_forked(const il_sweep_grid *g, const sweep_where *w, int progress)
{
    pid_t pids[256];
    size_t live = 0, counts[4];
    double secs;
    int rc = EXIT_OK;
    il_sweep_store *s = NULL;
    il_error err;

    fflush(NULL);
    for (size_t j = 0; j < w->jobs; j++) {
        pid_t p = fork();
        if (p < 0) {
            cli_error("sweep: cannot start worker %zu: %s", j + 1, strerror(errno));
            rc = EXIT_RUNTIME;
            break;
        }
        if (p == 0)
            _exit(work(g, w, 0));
        pids[live++] = p;
    }
    if (progress && il_sweep_store_open(w->db, g, &s, &err) != IL_OK)
        s = NULL;
    while (live) {
        int status;
        pid_t p = waitpid(-1, &status, s ? WNOHANG : 0);
        if (p < 0 && errno != EINTR)
            break;
        if (p > 0) {
            for (size_t j = 0; j < live; j++)
                if (pids[j] == p)
                    pids[j] = pids[--live];
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                rc = EXIT_RUNTIME;
            continue;
        }
        if (s && il_sweep_store_counts(s, w->shard_i, w->shard_n, counts, &secs, &err) == IL_OK)
            sweep_progress(counts, shard_cells(g, w), secs, w->jobs, 0);
        if (p == 0) {
            struct timespec pause = {0, 200000000};
            nanosleep(&pause, NULL);
        }
    }
    il_sweep_store_close(s);
    return rc;
}

/* The folder of 'path', made. */
static int make_folder(const char *path)
{
    char dir[4200];
    const char *slash = strrchr(path, '/');
    int e;
    if (!slash || slash == path)
        return 0;
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if ((e = cli_mkdirs(dir)) != 0) {
        cli_error("sweep: cannot make folder '%s': %s", dir, strerror(e));
        return EXIT_RUNTIME;
    }
    return 0;
}

int sweep_execute(const il_sweep_grid *g, const sweep_where *w)
{
    il_sweep_store *s = NULL;
    size_t reclaimed = 0, counts[4], before;
    double secs, t0 = now();
    int rc, progress = !w->quiet && term_is_tty(stderr);
    il_error err;
    il_status st;
    char safe[TERM_ESCAPE_MAX];

    if ((rc = make_folder(w->db)) != 0)
        return rc;
    err.message[0] = '\0';
    if ((st = il_sweep_store_open(w->db, g, &s, &err)) != IL_OK ||
        (st = il_sweep_store_reclaim(s, sweep_host(), &reclaimed, &err)) != IL_OK ||
        (st = il_sweep_store_counts(s, w->shard_i, w->shard_n, counts, &secs, &err)) != IL_OK) {
        cli_error("sweep: %s", err.message);
        il_sweep_store_close(s);
        return st == IL_EINVAL || st == IL_EFORMAT ? EXIT_DATA : EXIT_RUNTIME;
    }
    /* no connection crosses the fork (SQLite forbids it) */
    il_sweep_store_close(s);
    s = NULL;
    before = counts[IL_SWEEP_DONE] + counts[IL_SWEEP_FAILED];
    if (reclaimed)
        fprintf(stderr, "sweep: %zu cell%s of a process that died will run again\n", reclaimed,
                reclaimed == 1 ? "" : "s");
    rc = w->jobs > 1 ? work_forked(g, w, progress) : work(g, w, progress);
    if (il_sweep_store_open(w->db, g, &s, &err) != IL_OK ||
        il_sweep_store_counts(s, w->shard_i, w->shard_n, counts, &secs, &err) != IL_OK) {
        cli_error("sweep: %s", err.message);
        il_sweep_store_close(s);
        return EXIT_RUNTIME;
    }
    il_sweep_store_close(s);
    if (progress)
        sweep_progress(counts, shard_cells(g, w), secs, w->jobs, 1);
    printf("sweep: %s: %zu of %zu cells done, %zu failed, %zu pending (%zu run now in %.2f s",
           term_escape(safe, sizeof safe, w->db), counts[IL_SWEEP_DONE], shard_cells(g, w),
           counts[IL_SWEEP_FAILED], counts[IL_SWEEP_PENDING] + counts[IL_SWEEP_RUNNING],
           counts[IL_SWEEP_DONE] + counts[IL_SWEEP_FAILED] - before, now() - t0);
    if (w->shard_n > 1)
        printf("; shard %zu/%zu", w->shard_i, w->shard_n);
    printf(")\n");
    if (rc == EXIT_OK && counts[IL_SWEEP_FAILED])
        rc = EXIT_RUNTIME;
    return rc;
}

int sweep_fork_worker(const il_sweep_grid *g, const sweep_where *w, long *pid)
{
    il_sweep_store *s = NULL;
    il_error err;
    pid_t p;
    int rc;

    *pid = 0;
    if ((rc = make_folder(w->db)) != 0)
        return rc;
    err.message[0] = '\0';
    if (il_sweep_store_open(w->db, g, &s, &err) != IL_OK ||
        il_sweep_store_reclaim(s, sweep_host(), NULL, &err) != IL_OK) {
        cli_error("sweep: %s", err.message);
        il_sweep_store_close(s);
        return EXIT_RUNTIME;
    }
    il_sweep_store_close(s);
    fflush(NULL);
    if ((p = fork()) < 0) {
        cli_error("sweep: cannot start a worker: %s", strerror(errno));
        return EXIT_RUNTIME;
    }
    if (p == 0)
        _exit(work(g, w, 0));
    *pid = (long)p;
    return 0;
}
