/* SPDX-License-Identifier: MIT */
/*
 * Writing the commands' files: each one atomically, through the library,
 * and all through cli_write_file, which knows where a file goes: into the
 * run's output folder (listed in its manifest, no link followed), to a
 * path the user named (a link to a regular file is written through), or
 * for "-" to standard output. Every temporary file is registered so that
 * SIGINT and SIGTERM remove it before the program exits.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* ---- temporary files, removed on SIGINT and SIGTERM ---- */

/* Files being written at once: the lecture's two threads, the folder's
 * lock file, and room to spare. A path too long for a slot is written
 * all the same, only not removed on a signal. */
#define MAX_TEMPS     16
#define TEMP_PATH_MAX 4400

/* A slot is read by the handler only while 'temp_used' says so, and
 * 'temp_used' is set after the path is complete: lock-free atomics are
 * async-signal-safe, and the mutex only keeps two threads off one slot. */
static char temp_paths[MAX_TEMPS][TEMP_PATH_MAX];
static atomic_int temp_used[MAX_TEMPS];
static atomic_int dying;
/* Threads inside a block_signals section (making or finishing a file). A
 * signal is held back only on the thread that blocked it; OpenMP's
 * workers may take it instead, so the handler waits for these sections. */
static atomic_int held;
static pthread_mutex_t temp_lock = PTHREAD_MUTEX_INITIALIZER;

static int temp_register(const char *path)
{
    size_t n = strlen(path);
    int slot = -1;

    if (n >= TEMP_PATH_MAX)
        return -1;
    pthread_mutex_lock(&temp_lock);
    for (int i = 0; i < MAX_TEMPS && slot < 0; i++)
        if (!atomic_load(&temp_used[i])) {
            memcpy(temp_paths[i], path, n + 1);
            atomic_store(&temp_used[i], 1);
            slot = i;
        }
    pthread_mutex_unlock(&temp_lock);
    /* The handler may have run on another thread before this slot was
     * set; the process is ending, so do its work here. */
    if (atomic_load(&dying))
        (void)unlink(path);
    return slot;
}

static void temp_unregister(int slot)
{
    if (slot >= 0)
        atomic_store(&temp_used[slot], 0);
}

/* Only atomics, nanosleep, unlink and _exit: all async-signal-safe. */
static void on_signal(int sig)
{
    const struct timespec ms = {0, 1000000};
    atomic_store(&dying, 1);
    /* a file being made on another thread is registered within a moment
     * (2 s at most: a wedged thread must not keep the process alive) */
    for (int i = 0; i < 2000 && atomic_load(&held) > 0; i++)
        nanosleep(&ms, NULL);
    for (int i = 0; i < MAX_TEMPS; i++)
        if (atomic_load(&temp_used[i]))
            (void)unlink(temp_paths[i]);
    _exit(128 + sig);
}

void cli_signals_install(void)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    struct sigaction sa, old;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        /* a signal the parent ignores (a shell's background job, nohup)
         * stays ignored */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
}

/* Between creating a temporary file and registering it, a signal is held
 * back, so that no file escapes the handler. */
static void block_signals(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s, old);
    atomic_fetch_add(&held, 1);
}

static void restore_signals(const sigset_t *old)
{
    atomic_fetch_sub(&held, 1);
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* ---- the output folder ---- */

static struct {
    il_outdir *d;
    char dir[4096]; /* as given, trailing '/' removed */
    size_t len;
    const char *cmd;
    int lock_slot;
} outdir = {NULL, "", 0, NULL, -1};

int cli_outdir_open(const char *cmd, const char *dir)
{
    char lock[4200];
    size_t len = strlen(dir);
    il_error err;
    il_status st;
    sigset_t old;
    int rc;

    if (strcmp(dir, "-") == 0) {
        cli_error("%s: '--out -' (standard output) is for commands that write one file; %s "
                  "writes a folder",
                  cmd, cmd);
        return EXIT_USAGE;
    }
    if (len >= sizeof outdir.dir) {
        cli_error("%s: output folder name too long (%zu bytes)", cmd, len);
        return EXIT_USAGE;
    }
    if ((rc = cli_mkdirs(dir)) != 0) {
        cli_error("%s: cannot create output folder '%s': %s", cmd, dir, strerror(rc));
        return EXIT_RUNTIME;
    }
    err.message[0] = '\0';
    block_signals(&old);
    st = il_outdir_open(dir, cmd, &outdir.d, &err);
    if (st == IL_OK) {
        snprintf(lock, sizeof lock, "%s/%s", dir, IL_OUTDIR_LOCK);
        outdir.lock_slot = temp_register(lock);
    }
    restore_signals(&old);
    if (st != IL_OK) {
        outdir.d = NULL;
        cli_error("%s: %s", cmd, err.message[0] ? err.message : il_status_str(st));
        return cli_exit_for(st);
    }
    if (il_outdir_warning(outdir.d)[0])
        cli_error("%s: warning: %s", cmd, il_outdir_warning(outdir.d));
    memcpy(outdir.dir, dir, len + 1);
    while (len > 0 && outdir.dir[len - 1] == '/')
        outdir.dir[--len] = '\0';
    outdir.len = len;
    outdir.cmd = cmd;
    return 0;
}

int cli_outdir_finish(int rc)
{
    il_error err;
    il_status st;
    sigset_t old;

    if (!outdir.d)
        return rc;
    err.message[0] = '\0';
    /* a signal now is handled once the manifest is in place and the lock
     * file gone, so neither is left half-done */
    block_signals(&old);
    st = il_outdir_close(outdir.d, rc == EXIT_OK, &err);
    outdir.d = NULL;
    temp_unregister(outdir.lock_slot);
    outdir.lock_slot = -1;
    restore_signals(&old);
    if (st != IL_OK) {
        cli_error("%s: %s", outdir.cmd, err.message[0] ? err.message : il_status_str(st));
        if (rc == EXIT_OK)
            rc = cli_exit_for(st);
    }
    return rc;
}

/* The name of 'path' inside the output folder, or NULL if it is outside
 * (or no folder is open). */
static const char *inside_outdir(const char *path)
{
    const char *rel;
    if (!outdir.d || strncmp(path, outdir.dir, outdir.len) != 0 || path[outdir.len] != '/')
        return NULL;
    for (rel = path + outdir.len; *rel == '/'; rel++)
        ;
    return rel;
}

/* ---- writing ---- */

static il_status stdout_write(void *ctx, const void *buf, size_t n)
{
    (void)ctx;
    return fwrite(buf, 1, n, stdout) == n ? IL_OK : IL_EIO;
}

il_status cli_write_file(const char *path,
                         il_status (*produce)(void *pctx, il_write_fn w, void *wctx), void *pctx,
                         il_error *err)
{
    const char *rel;
    il_afile *af = NULL;
    il_status st;
    sigset_t old;
    int slot = -1;

    if (strcmp(path, "-") == 0) { /* the bytes as they are: no text mode on POSIX */
        st = produce(pctx, stdout_write, NULL);
        if (st == IL_OK && fflush(stdout) != 0)
            st = IL_EIO;
        if (st != IL_OK)
            snprintf(err->message, sizeof err->message, "cannot write to standard output: %s",
                     st == IL_EIO ? strerror(errno) : il_status_str(st));
        return st;
    }
    rel = inside_outdir(path);
    block_signals(&old);
    st = rel ? il_outdir_file_open(outdir.d, rel, &af, err)
             : il_afile_open_flags(path, IL_AFILE_FOLLOW, &af, err);
    if (st == IL_OK)
        slot = temp_register(il_afile_temp_path(af));
    restore_signals(&old);
    if (st != IL_OK)
        return st;
    st = produce(pctx, il_afile_write, af);
    if (st != IL_OK) {
        if (il_afile_error(af, err) == IL_OK)
            snprintf(err->message, sizeof err->message, "cannot write '%.300s': %s", path,
                     il_status_str(st));
        il_afile_abort(af);
    } else {
        st = rel ? il_outdir_file_commit(outdir.d, rel, af, err) : il_afile_commit(af, err);
    }
    temp_unregister(slot);
    return st;
}

typedef struct npy_job {
    const double *data;
    const float *floats; /* instead of data */
    const size_t *shape;
    size_t ndim;
    int f32;
} npy_job;

static il_status produce_npy(void *pctx, il_write_fn w, void *wctx)
{
    const npy_job *j = pctx;
    if (j->floats)
        return il_npy_write_floats(j->floats, j->shape, j->ndim, w, wctx);
    return j->f32 ? il_npy_write_f32(j->data, j->shape, j->ndim, w, wctx)
                  : il_npy_write_f64(j->data, j->shape, j->ndim, w, wctx);
}

il_status cli_write_npy(const char *path, const double *data, const size_t *shape, size_t ndim,
                        int f32, il_error *err)
{
    npy_job job = {data, NULL, shape, ndim, f32};
    return cli_write_file(path, produce_npy, &job, err);
}

il_status cli_write_npy_floats(const char *path, const float *data, const size_t *shape,
                               size_t ndim, il_error *err)
{
    npy_job job = {NULL, data, shape, ndim, 1};
    return cli_write_file(path, produce_npy, &job, err);
}

static il_status produce_json(void *pctx, il_write_fn w, void *wctx)
{
    return il_report_write_json(pctx, w, wctx);
}

static il_status produce_csv(void *pctx, il_write_fn w, void *wctx)
{
    return il_report_write_csv(pctx, w, wctx);
}

il_status cli_write_report(const char *dir, const il_report *r, il_error *err)
{
    char path[4200];
    il_status st;
    snprintf(path, sizeof path, "%s/report.json", dir);
    st = cli_write_file(path, produce_json, (void *)r, err);
    if (st != IL_OK)
        return st;
    snprintf(path, sizeof path, "%s/stats.csv", dir);
    return cli_write_file(path, produce_csv, (void *)r, err);
}

typedef struct grid_job {
    const il_hist_grid *g;
    const il_line_plot *lines;
    const il_heatmap *heat;
    il_plot_format fmt;
} grid_job;

static il_status produce_plot(void *pctx, il_write_fn w, void *wctx)
{
    const grid_job *j = pctx;
    if (j->g)
        return il_plot_hist_grid(j->g, j->fmt, w, wctx);
    if (j->heat)
        return il_plot_heatmap(j->heat, j->fmt, w, wctx);
    return il_plot_lines(j->lines, j->fmt, w, wctx);
}

il_status cli_write_grid(const char *path, const il_hist_grid *g, il_plot_format fmt, il_error *err)
{
    grid_job job = {g, NULL, NULL, fmt};
    return cli_write_file(path, produce_plot, &job, err);
}

il_status cli_write_lines(const char *path, const il_line_plot *p, il_plot_format fmt,
                          il_error *err)
{
    grid_job job = {NULL, p, NULL, fmt};
    return cli_write_file(path, produce_plot, &job, err);
}

il_status cli_write_heatmap(const char *path, const il_heatmap *h, il_plot_format fmt,
                            il_error *err)
{
    grid_job job = {NULL, NULL, h, fmt};
    return cli_write_file(path, produce_plot, &job, err);
}
