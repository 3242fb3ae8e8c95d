/* SPDX-License-Identifier: MIT */
/*
 * initlab serve's parts on the wire, apart from serve_handle (serve.h):
 * cmd_serve.c has the options and the start and stop; serve_http.c the
 * libmicrohttpd callbacks (the connection limits and deadlines, the checks
 * on headers serve_handle does not see, the answer's headers);
 * serve_queue.c the queue of runs and the threads that compute them.
 *
 * One polling thread reads every request and answers everything but a run
 * at once; a run (POST /api/run) waits in a bounded queue, its connection
 * suspended, for one of --threads computing threads, which resumes the
 * connection with the answer. So a long run never keeps the polling thread
 * from reading other requests or enforcing their deadlines.
 */
#ifndef INITLAB_SERVE_IMPL_H
#define INITLAB_SERVE_IMPL_H

#include <microhttpd.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "serve.h"

/* The server's settings: serve's options, checked, and the handler's
 * configuration made from them. cmd_serve fills them before any thread
 * starts and sets config.port once the port is bound; the other parts
 * only read them. */
typedef struct serve_settings {
    serve_config config;
    size_t max_conns, max_per_ip; /* --max-connections, --max-per-ip */
    size_t timeout_s;             /* --timeout, seconds */
    size_t threads;               /* --threads: computing threads */
    size_t queue_max;             /* --queue: runs that may wait */
    size_t max_seconds;           /* --max-seconds of running time per run */
    int quiet;                    /* --quiet: no line per request */
} serve_settings;

/* ---- one request ---- */

typedef enum job_state {
    JOB_NONE,    /* not a queued run: answered on the polling thread */
    JOB_WAITING, /* in the queue, its connection suspended */
    JOB_RUNNING, /* a computing thread has it */
    JOB_DONE     /* 'r' holds the answer; the connection is resumed */
} job_state;

typedef struct conn_state {
    il_membuf body;
    int too_big;
    struct timespec t0;   /* the headers were in */
    serve_response r;     /* the answer, once made */
    unsigned retry_after; /* seconds, for a Retry-After header; 0: none */
    int close;            /* end the connection after the answer */
    /* a queued run: 'state', 'next' and the times under the queue's lock
     * until JOB_DONE; the rest belongs to whoever holds the job */
    struct MHD_Connection *conn;
    job_state state;
    char *host, *format; /* the request's, copied for the computing thread */
    double queued_at, deadline, wait_ms, run_ms; /* monotonic seconds; ms */
    char why[200];                               /* why the run was stopped */
    struct conn_state *next;                     /* in the queue */
} conn_state;

/* Monotonic seconds. */
double serve_now(void);

/* Answer 'status' with {"error": message}. */
void serve_refuse(conn_state *st, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- serve_http.c ---- */

/* Is 'sa' on this machine (127/8, ::1, or ::ffff:127/8)? */
int serve_is_loopback(const struct sockaddr *sa);

/* Take 's' (borrowed; it must outlive serve_http_release) and make the
 * connections' deadline slots; 0 when out of memory. */
int serve_http_init(const serve_settings *s);

/* Start the thread that enforces the deadlines; 0 if it cannot start. */
int serve_http_watch(void);

/* Start libmicrohttpd on 'addr' and 'port' with every limit set; NULL if it
 * cannot listen. */
struct MHD_Daemon *serve_http_start(unsigned flags, const struct sockaddr *addr, unsigned port);

/* Stop the deadlines' thread (if started) and free the slots. */
void serve_http_release(void);

/* ---- serve_limits.c ---- */

/* Under an address-space limit (ulimit -v): check that the computing
 * threads' OpenBLAS buffers and a small run each fit, and lower
 * --max-memory to the room left per run (saying so). 0, or EXIT_NOMEM
 * after printing how much the server needs. */
int serve_check_room(serve_settings *s);

/* ---- serve_queue.c ---- */

/* Take 's' (borrowed, as for serve_http_init) and make room for its
 * computing threads; 0 when out of memory. */
int serve_queue_init(const serve_settings *s);

/* Start the computing threads; 0 if one cannot start (those started are
 * stopped by serve_queue_release). */
int serve_queue_start(void);

/* Queue 'st' for a computing thread and suspend its connection; 0 (with
 * the answer in 'st') when the queue is full, the server is stopping, or
 * out of memory. */
int serve_queue_add(struct MHD_Connection *c, conn_state *st, const char *host, const char *format);

/* A queued run's connection is done with (answered or closed). */
void serve_queue_completed(void);

/* Stop serving (serve_queue.c says how); 0, or 1 when runs were left
 * computing and the process must exit without waiting for them. */
int serve_queue_stop(struct MHD_Daemon *d);

/* Stop the computing threads, wait for them and free their room. */
void serve_queue_release(void);

#endif
