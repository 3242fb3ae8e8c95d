/* SPDX-License-Identifier: MIT */
/*
 * initlab serve's runs (serve_impl.h): a bounded queue of POST /api/run
 * requests, their connections suspended, the --threads threads that take
 * them in turn and resume each connection with its answer, the running
 * time limit (--max-seconds), and the stop on SIGTERM or SIGINT.
 */
#include <math.h>
#include <microhttpd.h>
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "serve.h"
#include "serve_impl.h"

/* After SIGTERM or SIGINT, how long running runs get to stop and their
 * answers to go out before the server exits anyway (it promises 2 s). */
#define STOP_SECONDS 1.5

static const serve_settings *set; /* serve_queue_init's */

/* ---- the queue of runs ----
 *
 * Lock order: queue_lock, then libmicrohttpd's own (MHD_suspend_connection
 * is called holding queue_lock; MHD_resume_connection never is, since a
 * resumed connection may be answered and freed at once).
 */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static conn_state *queue_head, *queue_tail;
static size_t n_waiting, n_running, n_outstanding; /* outstanding: admitted, not yet completed */
static double mean_run_s = 1.0;                    /* recent runs' running time, for Retry-After */
static atomic_int stopping;                        /* SIGTERM or SIGINT came */

static const char *run_should_stop(void *ctx)
{
    conn_state *st = ctx;
    if (atomic_load(&stopping))
        return "the server is stopping; this run was cancelled";
    if (serve_now() > st->deadline) {
        snprintf(st->why, sizeof st->why,
                 "the run computed for longer than the server's limit of %zu s (--max-seconds; "
                 "waiting in the queue does not count) and was stopped: ask for a smaller network",
                 set->max_seconds);
        return st->why;
    }
    return NULL;
}

/* ---- BLAS and OpenMP in the computing threads ----
 *
 * Every parallel loop of the library and every OpenBLAS call (Debian's
 * OpenMP build, linked statically) take their thread count from the
 * calling thread's OpenMP setting, and a thread made by pthread_create
 * starts with the process's (OMP_NUM_THREADS, or every core): two
 * computing threads on two cores made four busy threads. Worse, OpenBLAS's
 * OpenMP build keeps one set of buffers for its multithreaded calls, and a
 * second caller spins until the first is done; and an orthogonal
 * initializer's QR is thousands of small multithreaded calls, each ending
 * in a barrier that spins while another process holds the other core. An
 * orthogonal run of 5 x 1000 x 1000 took 60 s in a server thread on this
 * machine under load, and 1.1 s on one thread (docs/serve.md). So with two
 * or more computing threads each run computes on one thread: runs go in
 * parallel, a core each, and never through OpenBLAS's shared buffers. With
 * --threads 1 the one run uses OMP_NUM_THREADS threads (every core by
 * default), as the CLI does. The count is set once per thread and is the
 * same in all of them, so OpenBLAS's process-wide copy of it (which it
 * rewrites to match each caller) never changes under a running call. */
static int omp_threads_per_run(void)
{
    return set->threads > 1 ? 1 : omp_get_max_threads();
}

static void *compute(void *arg)
{
    (void)arg;
    omp_set_num_threads(omp_threads_per_run());
    for (;;) {
        conn_state *st;
        serve_config rc;
        double t0;

        pthread_mutex_lock(&queue_lock);
        while (!queue_head && !atomic_load(&stopping))
            pthread_cond_wait(&queue_cond, &queue_lock);
        st = queue_head;
        if (!st) {
            pthread_mutex_unlock(&queue_lock);
            return NULL;
        }
        queue_head = st->next;
        if (!queue_head)
            queue_tail = NULL;
        n_waiting--;
        n_running++;
        st->state = JOB_RUNNING;
        t0 = serve_now();
        st->wait_ms = 1000.0 * (t0 - st->queued_at);
        st->deadline = t0 + (double)set->max_seconds; /* running time only */
        pthread_mutex_unlock(&queue_lock);

        rc = set->config; /* this run's copy: its own stop context */
        rc.should_stop = run_should_stop;
        rc.stop_ctx = st;
        serve_handle(&rc, "POST", "/api/run", st->format, st->host,
                     st->body.data ? (const char *)st->body.data : "", st->body.len, &st->r);

        pthread_mutex_lock(&queue_lock);
        st->run_ms = 1000.0 * (serve_now() - t0);
        mean_run_s = 0.75 * mean_run_s + 0.25e-3 * st->run_ms;
        n_running--;
        st->state = JOB_DONE;
        pthread_mutex_unlock(&queue_lock);
        MHD_resume_connection(st->conn);
    }
}

static char *copy_string(const char *s)
{
    char *p;
    if (!s)
        return NULL;
    p = il_malloc(strlen(s) + 1);
    if (p)
        memcpy(p, s, strlen(s) + 1);
    return p;
}

int serve_queue_add(struct MHD_Connection *c, conn_state *st, const char *host, const char *format)
{
    st->host = copy_string(host);
    st->format = copy_string(format);
    if ((host && !st->host) || (format && !st->format)) {
        serve_refuse(st, 500, "out of memory");
        return 0;
    }
    pthread_mutex_lock(&queue_lock);
    if (atomic_load(&stopping)) {
        pthread_mutex_unlock(&queue_lock);
        st->close = 1;
        serve_refuse(st, 503, "the server is stopping");
        return 0;
    }
    if (n_waiting >= set->queue_max && n_running + n_waiting >= set->threads) {
        /* the time the runs ahead would take on the threads there are */
        double wait = mean_run_s * (double)(n_waiting + n_running) / (double)set->threads;
        size_t waiting = n_waiting;
        st->retry_after = (unsigned)fmin(3600, fmax(1, ceil(wait)));
        pthread_mutex_unlock(&queue_lock);
        serve_refuse(st, 503,
                     "the server is busy: %zu run%s waiting (--queue %zu); try again in %u s",
                     waiting, waiting == 1 ? "" : "s", set->queue_max, st->retry_after);
        return 0;
    }
    MHD_suspend_connection(c); /* before a thread can take it and resume it */
    st->state = JOB_WAITING;
    st->queued_at = serve_now();
    st->next = NULL;
    if (queue_tail)
        queue_tail->next = st;
    else
        queue_head = st;
    queue_tail = st;
    n_waiting++;
    n_outstanding++;
    pthread_cond_signal(&queue_cond);
    pthread_mutex_unlock(&queue_lock);
    return 1;
}

/* ---- stopping ----
 *
 * Stop accepting; answer the waiting runs 503 at once and let the running
 * ones stop at their next layer (run_should_stop), answered 503 too; give
 * the answers STOP_SECONDS to go out. A run that cannot be stopped (its
 * callback is not reached: weights still being drawn) keeps its connection
 * suspended, which libmicrohttpd cannot stop; the server then exits without
 * waiting for it. Returns 0, or 1 when runs were left computing.
 */
int serve_queue_stop(struct MHD_Daemon *d)
{
    MHD_socket listener = MHD_quiesce_daemon(d);
    conn_state *dropped;
    struct timespec tick = {0, 10000000L}; /* 10 ms */
    double give_up = serve_now() + STOP_SECONDS;
    size_t left;

    pthread_mutex_lock(&queue_lock);
    atomic_store(&stopping, 1);
    dropped = queue_head;
    queue_head = queue_tail = NULL;
    for (conn_state *st = dropped; st; st = st->next) {
        n_waiting--;
        st->wait_ms = 1000.0 * (serve_now() - st->queued_at);
        st->close = 1;
        serve_refuse(st, 503, "the server is stopping; this run was not started");
        st->state = JOB_DONE;
    }
    pthread_cond_broadcast(&queue_cond);
    pthread_mutex_unlock(&queue_lock);
    while (dropped) {
        conn_state *next = dropped->next; /* 'dropped' may be freed once resumed */
        MHD_resume_connection(dropped->conn);
        dropped = next;
    }
    for (;;) {
        pthread_mutex_lock(&queue_lock);
        left = n_outstanding;
        pthread_mutex_unlock(&queue_lock);
        if (left == 0 || serve_now() > give_up)
            break;
        nanosleep(&tick, NULL);
    }
    pthread_mutex_lock(&queue_lock);
    left = n_running;
    pthread_mutex_unlock(&queue_lock);
    if (left > 0) {
        cli_error("serve: %zu run%s could not be stopped; exiting without %s", left,
                  left == 1 ? "" : "s", left == 1 ? "it" : "them");
        return 1;
    }
    MHD_stop_daemon(d);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    return 0;
}

void serve_queue_completed(void)
{
    pthread_mutex_lock(&queue_lock);
    n_outstanding--;
    pthread_mutex_unlock(&queue_lock);
}

static pthread_t *workers;
static size_t n_workers;

int serve_queue_init(const serve_settings *s)
{
    set = s;
    workers = il_malloc_n(s->threads, sizeof *workers);
    return workers != NULL;
}

int serve_queue_start(void)
{
    for (; n_workers < set->threads; n_workers++)
        if (pthread_create(&workers[n_workers], NULL, compute, NULL) != 0)
            return 0;
    return 1;
}

void serve_queue_release(void)
{
    pthread_mutex_lock(&queue_lock);
    atomic_store(&stopping, 1);
    pthread_cond_broadcast(&queue_cond);
    pthread_mutex_unlock(&queue_lock);
    for (size_t i = 0; i < n_workers; i++)
        pthread_join(workers[i], NULL);
    n_workers = 0;
    il_free(workers);
    workers = NULL;
}
