/* SPDX-License-Identifier: MIT */
/*
 * initlab serve: the live page over HTTP (libmicrohttpd). This file binds
 * serve_handle() (serve.c) to the wire: the connection limits and deadlines,
 * the checks on headers serve_handle does not see (duplicates, Origin,
 * Content-Type), the queue of runs and the threads that compute them, the
 * answer's headers, and the shutdown.
 *
 * One polling thread reads every request and answers everything but a run
 * at once; a run (POST /api/run) waits in a bounded queue, its connection
 * suspended, for one of --threads computing threads, which resumes the
 * connection with the answer. So a long run never keeps the polling thread
 * from reading other requests or enforcing their deadlines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "serve.h"

extern char **environ;

/* Headers must be in this soon (or --timeout, if shorter) after a connection
 * opens or after its previous answer: a client trickling its headers
 * (slowloris) holds a connection this long at most. */
#define HEADER_SECONDS 5
/* Connections only loopback clients may take: other addresses may hold at
 * most --max-connections minus this (minus half when fewer than 16), so
 * clients elsewhere cannot lock out the page's own user. */
#define LOOPBACK_RESERVE ((size_t)8)
/* After SIGTERM or SIGINT, how long running runs get to stop and their
 * answers to go out before the server exits anyway (it promises 2 s). */
#define STOP_SECONDS 1.5
#define JSON_TYPE    "application/json; charset=utf-8"

static const char *host_text = "127.0.0.1";
static size_t max_values = 16000000, port = 8080, max_conns = 64, max_per_ip = 32, timeout_s = 10,
              threads = 2, queue_max = 8, max_seconds = 10;
static cli_list allow_host;
static int open_flag, quiet;

static const cli_option serve_options[] = {
    {"port", CLI_SIZE, &port, "N", "TCP port (default 8080; 0: any free port, printed)", 0},
    {"host", CLI_STRING, &host_text, "ADDR",
     "address to listen on (default 127.0.0.1; anything else is reachable from outside)", 0},
    {"allow-host", CLI_MULTI, &allow_host, "NAME",
     "also answer to Host NAME and Origin http(s)://NAME[:PORT], e.g. a proxy's name "
     "(repeatable)",
     0},
    {"open", CLI_FLAG, &open_flag, NULL, "open the page in the desktop's browser (xdg-open)", 0},
    {"max-values", CLI_SIZE, &max_values, "N",
     "largest batch x widest layer x layers a request may ask for (default 16000000)", 0},
    {"max-seconds", CLI_SIZE, &max_seconds, "SECONDS",
     "stop a run computing longer than this, answered 503 (default 10; time waiting in the "
     "queue does not count)",
     0},
    {"queue", CLI_SIZE, &queue_max, "N",
     "runs that may wait for a computing thread; more are answered 503 with Retry-After "
     "(default 8)",
     0},
    {"max-connections", CLI_SIZE, &max_conns, "N",
     "connections at once, in all (default 64; other machines get 8 fewer)", 0},
    {"max-per-ip", CLI_SIZE, &max_per_ip, "N", "connections at once from one address (default 32)",
     0},
    {"timeout", CLI_SIZE, &timeout_s, "SECONDS",
     "a request must arrive whole within this long of its connection opening (headers within "
     "5 s); an idle connection is closed after it (default 10)",
     0},
    {"threads", CLI_SIZE, &threads, "N", "threads computing runs (default 2)", 0},
    {"quiet", CLI_FLAG, &quiet, NULL, "no line per request on stderr", 0},
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

static void help(FILE *f)
{
    fprintf(f,
            "usage: initlab serve [--port N] [--host ADDR] [--open] [options]\n\n"
            "Serve the live page: choose initializers, activations, depth, width, batch\n"
            "and seed for two networks side by side and watch every layer's histogram,\n"
            "the std per layer, mean-field theory and the gradients change as you type.\n"
            "The lecture's three exercises are presets. The page is compiled into the\n"
            "program and fetches nothing from the internet.\n\n"
            "The JSON API (docs/serve.md): GET /api/list; POST /api/run with the body of\n"
            "'initlab run --config' (?format=csv for stats.csv). Requests must name this\n"
            "machine in their Host header (localhost, 127.0.0.1, [::1], --host or\n"
            "--allow-host); an Origin header must be this server's; a POST must say\n"
            "Content-Type: application/json. Bodies are at most %d bytes.\n\n"
            "Options:\n",
            IL_RUN_MAX_JSON_BYTES);
    cli_print_options(f, serve_options);
    fprintf(f, "\nExample: initlab serve --open    (then http://127.0.0.1:8080/)\n");
}

static serve_config config;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

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
    /* a queued run: 'state', 'next' and the times under queue_lock until
     * JOB_DONE; the rest belongs to whoever holds the job */
    struct MHD_Connection *conn;
    job_state state;
    char *host, *format; /* the request's, copied for the computing thread */
    double queued_at, deadline, wait_ms, run_ms; /* monotonic seconds; ms */
    char why[200];                               /* why the run was stopped */
    struct conn_state *next;                     /* in the queue */
} conn_state;

/* Answer 'status' with {"error": message}. */
static void refuse(conn_state *st, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(conn_state *st, int status, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    serve_error(&st->r, status, msg);
}

static enum MHD_Result send_response(struct MHD_Connection *c, const conn_state *st)
{
    const serve_response *r = &st->r;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char num[32];

    resp =
        MHD_create_response_from_buffer(r->len, (void *)(uintptr_t)r->body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; "
                            "style-src 'self'; script-src 'self'; frame-ancestors 'none'");
    if (r->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->compute_ms > 0) {
        snprintf(num, sizeof num, "%.3f", r->compute_ms);
        MHD_add_response_header(resp, "X-Initlab-Compute-Ms", num);
    }
    if (st->state == JOB_DONE) {
        snprintf(num, sizeof num, "%.3f", st->wait_ms);
        MHD_add_response_header(resp, "X-Initlab-Queue-Ms", num);
    }
    if (st->retry_after) {
        snprintf(num, sizeof num, "%u", st->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
    }
    if (st->close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- the deadlines ----
 *
 * libmicrohttpd's timeout closes a connection only after that long with
 * no byte at all, so a client trickling one header byte every few seconds
 * (slowloris) would hold its connection for ever. Each connection is
 * therefore also given deadlines: its headers must be in within
 * HEADER_SECONDS, and the whole request within --timeout, of the
 * connection opening or of the previous answer. A watchdog thread shuts
 * down the sockets past their deadline; libmicrohttpd then sees the end of
 * the stream and closes the connection itself. The watchdog works on its
 * own dup() of each socket, closed when libmicrohttpd reports the
 * connection closed, so it can never touch a reused descriptor. A request
 * that is in has no deadline: waiting in the queue and running are
 * bounded by --queue and --max-seconds instead.
 */
typedef struct deadline_slot {
    int fd;          /* our duplicate of the connection's socket; -1: free */
    int loopback;    /* the client is on this machine */
    double opened;   /* monotonic seconds: the connection opened or last answered */
    double deadline; /* monotonic seconds; 0: none */
} deadline_slot;

typedef enum deadline_phase {
    WAIT_HEADERS, /* a new request's headers: HEADER_SECONDS */
    WAIT_BODY,    /* the headers are in: the rest within --timeout of 'opened' */
    WAIT_NONE     /* the request is in */
} deadline_phase;

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static deadline_slot *slots;
static size_t n_slots, n_remote, remote_cap; /* n_remote: slots of non-loopback clients */
static atomic_int watchdog_stop;

static double header_seconds(void)
{
    return (double)(timeout_s < HEADER_SECONDS ? timeout_s : HEADER_SECONDS);
}

static void set_deadline(struct MHD_Connection *c, deadline_phase phase)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    deadline_slot *slot = info ? info->socket_context : NULL;
    if (!slot)
        return;
    pthread_mutex_lock(&slots_lock);
    if (phase == WAIT_HEADERS) {
        slot->opened = now_s();
        slot->deadline = slot->opened + header_seconds();
    } else {
        slot->deadline = phase == WAIT_BODY ? slot->opened + (double)timeout_s : 0;
    }
    pthread_mutex_unlock(&slots_lock);
}

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) ==
               127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        /* ::ffff:127.x.y.z is IPv4's loopback on a dual-stack socket */
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

/* Every callback of libmicrohttpd runs on its one polling thread, so this
 * count and the connection it admits cannot race another accept. */
static enum MHD_Result accept_client(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    int ok;
    (void)cls;
    (void)addrlen;
    if (is_loopback(addr))
        return MHD_YES;
    pthread_mutex_lock(&slots_lock);
    ok = n_remote < remote_cap;
    pthread_mutex_unlock(&slots_lock);
    return ok ? MHD_YES : MHD_NO;
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    deadline_slot *slot = *socket_context;
    (void)cls;
    pthread_mutex_lock(&slots_lock);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        for (size_t i = 0; fd && i < n_slots; i++)
            if (slots[i].fd < 0) {
                slots[i].fd = dup(fd->connect_fd);
                slots[i].loopback = addr && is_loopback(addr->client_addr);
                slots[i].opened = now_s();
                slots[i].deadline = slots[i].opened + header_seconds();
                if (slots[i].fd >= 0) {
                    *socket_context = &slots[i];
                    n_remote += !slots[i].loopback;
                }
                break;
            }
    } else if (slot) { /* closed */
        close(slot->fd);
        slot->fd = -1;
        n_remote -= !slot->loopback;
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&slots_lock);
}

static void *watchdog(void *arg)
{
    struct timespec tick = {0, 200000000L}; /* 0.2 s */
    (void)arg;
    while (!atomic_load(&watchdog_stop)) {
        double t = now_s();
        pthread_mutex_lock(&slots_lock);
        for (size_t i = 0; i < n_slots; i++)
            if (slots[i].fd >= 0 && slots[i].deadline > 0 && t > slots[i].deadline) {
                shutdown(slots[i].fd, SHUT_RDWR);
                slots[i].deadline = 0;
            }
        pthread_mutex_unlock(&slots_lock);
        nanosleep(&tick, NULL);
    }
    return NULL;
}

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
    if (now_s() > st->deadline) {
        snprintf(st->why, sizeof st->why,
                 "the run computed for longer than the server's limit of %zu s (--max-seconds; "
                 "waiting in the queue does not count) and was stopped: ask for a smaller network",
                 max_seconds);
        return st->why;
    }
    return NULL;
}

static void *compute(void *arg)
{
    (void)arg;
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
        t0 = now_s();
        st->wait_ms = 1000.0 * (t0 - st->queued_at);
        st->deadline = t0 + (double)max_seconds; /* running time only */
        pthread_mutex_unlock(&queue_lock);

        rc = config; /* this run's copy: its own stop context */
        rc.should_stop = run_should_stop;
        rc.stop_ctx = st;
        serve_handle(&rc, "POST", "/api/run", st->format, st->host,
                     st->body.data ? (const char *)st->body.data : "", st->body.len, &st->r);

        pthread_mutex_lock(&queue_lock);
        st->run_ms = 1000.0 * (now_s() - t0);
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

/* Queue 'st' for a computing thread and suspend its connection; 0 (with
 * the answer in 'st') when the queue is full, the server is stopping, or
 * out of memory. */
static int enqueue(struct MHD_Connection *c, conn_state *st, const char *host, const char *format)
{
    st->host = copy_string(host);
    st->format = copy_string(format);
    if ((host && !st->host) || (format && !st->format)) {
        refuse(st, 500, "out of memory");
        return 0;
    }
    pthread_mutex_lock(&queue_lock);
    if (atomic_load(&stopping)) {
        pthread_mutex_unlock(&queue_lock);
        st->close = 1;
        refuse(st, 503, "the server is stopping");
        return 0;
    }
    if (n_waiting >= queue_max && n_running + n_waiting >= threads) {
        /* the time the runs ahead would take on the threads there are */
        double wait = mean_run_s * (double)(n_waiting + n_running) / (double)threads;
        size_t waiting = n_waiting;
        st->retry_after = (unsigned)fmin(3600, fmax(1, ceil(wait)));
        pthread_mutex_unlock(&queue_lock);
        refuse(st, 503, "the server is busy: %zu run%s waiting (--queue %zu); try again in %u s",
               waiting, waiting == 1 ? "" : "s", queue_max, st->retry_after);
        return 0;
    }
    MHD_suspend_connection(c); /* before a thread can take it and resume it */
    st->state = JOB_WAITING;
    st->queued_at = now_s();
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

/* ---- the checks on the headers ---- */

typedef struct header_count {
    size_t host, length;
} header_count;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    header_count *n = cls;
    (void)kind;
    (void)value;
    if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
        n->host++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        n->length++;
    return MHD_YES;
}

/* "application/json" in any case, alone or before parameters ("; charset=utf-8"). */
static int is_json_type(const char *type)
{
    static const char json[] = "application/json";
    if (!type)
        return 0;
    type += strspn(type, " \t");
    if (strncasecmp(type, json, sizeof json - 1) != 0)
        return 0;
    type += sizeof json - 1;
    type += strspn(type, " \t");
    return *type == '\0' || *type == ';';
}

/* Is 'origin' (scheme://name[:port], as a browser sends it) this server's?
 * Its own page is http://NAME:PORT, NAME one the Host check accepts and PORT
 * the one bound; an --allow-host name is a proxy's, which may also use
 * https and any port. Anything else, "null" included (a sandboxed frame, a
 * file: page), is another site. */
static int origin_allowed(const char *origin)
{
    const char *name, *colon, *bracket;
    size_t n;
    int https = strncmp(origin, "https://", 8) == 0;

    if (!https && strncmp(origin, "http://", 7) != 0)
        return 0;
    name = origin + (https ? 8 : 7);
    if (!serve_host_allowed(&config, name)) /* also checks the port is digits */
        return 0;
    colon = strrchr(name, ':');
    bracket = strchr(name, ']');
    if (colon && name[0] == '[' && bracket && colon < bracket)
        colon = NULL; /* inside an IPv6 literal */
    n = colon ? (size_t)(colon - name) : strlen(name);
    for (size_t i = 0; i < allow_host.n; i++)
        if (strlen(allow_host.items[i]) == n && strncmp(name, allow_host.items[i], n) == 0)
            return 1;
    return !https && (colon ? strtoul(colon + 1, NULL, 10) : 80) == config.port;
}

/* The refusals the headers alone decide, into 'st'; 0 if none. */
static int check_headers(struct MHD_Connection *c, const char *method, conn_state *st)
{
    header_count n = {0, 0};
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");

    MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &n);
    if (n.host > 1 || n.length > 1) {
        /* Two Hosts can be read one way by a proxy and another here; two
         * lengths frame the body two ways (request smuggling). Nothing
         * after these headers can be trusted, so the connection ends. */
        st->close = 1;
        refuse(st, 400, "more than one %s header", n.host > 1 ? "Host" : "Content-Length");
        return 1;
    }
    if (origin && !origin_allowed(origin)) {
        /* A page on another site posting here (a cross-site form or
         * fetch) says where it comes from; the Host check cannot see it. */
        refuse(st, 403,
               "a request from another site (Origin '%.200s') is refused; the page is at "
               "http://127.0.0.1:%u/",
               origin, config.port);
        return 1;
    }
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 &&
        !is_json_type(
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
        /* A form on another site can post text/plain without asking;
         * application/json it cannot (a CORS preflight, never answered). */
        refuse(st, 415, "POST needs Content-Type: application/json");
        return 1;
    }
    return 0;
}

/* ---- answering ---- */

static void log_request(const char *method, const char *url, const conn_state *st)
{
    char safe_method[64], safe_url[256]; /* the client's bytes, shown escaped */
    if (quiet)
        return;
    term_escape(safe_method, sizeof safe_method, method);
    term_escape(safe_url, sizeof safe_url, url);
    if (st->state == JOB_DONE)
        fprintf(stderr, "initlab serve: %s %s %d %.1f ms (waited %.1f, ran %.1f)\n", safe_method,
                safe_url, st->r.status, 1000.0 * cli_seconds_since(&st->t0), st->wait_ms,
                st->run_ms);
    else
        fprintf(stderr, "initlab serve: %s %s %d %.1f ms\n", safe_method, safe_url, st->r.status,
                1000.0 * cli_seconds_since(&st->t0));
}

static enum MHD_Result finish(struct MHD_Connection *c, const char *method, const char *url,
                              conn_state *st)
{
    enum MHD_Result ret;
    log_request(method, url, st);
    ret = send_response(c, st);
    serve_response_release(&st->r);
    return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    conn_state *st = *con_cls;
    const char *host, *format;

    (void)cls;
    (void)version;
    if (!st) { /* the headers are in; the body (if any) follows */
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        st = il_calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &st->t0);
        st->conn = c;
        *con_cls = st;
        set_deadline(c, WAIT_BODY);
        /* refused from the headers, or a declared oversize body: answered
         * before reading any of the body */
        if (check_headers(c, method, st))
            return finish(c, method, url, st);
        if (cl && (strlen(cl) > 9 || strtoul(cl, NULL, 10) > IL_RUN_MAX_JSON_BYTES))
            st->too_big = 1;
        if (!st->too_big)
            return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!st->too_big && st->body.len + *upload_data_size <= IL_RUN_MAX_JSON_BYTES) {
            if (il_membuf_write(&st->body, upload_data, *upload_data_size) != IL_OK)
                return MHD_NO;
        } else {
            st->too_big = 1;
            il_membuf_release(&st->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->state == JOB_DONE) /* a computing thread resumed it */
        return finish(c, method, url, st);
    set_deadline(c, WAIT_NONE); /* the request is in */
    if (st->too_big) {
        refuse(st, 413, "request body over %d bytes", IL_RUN_MAX_JSON_BYTES);
        return finish(c, method, url, st);
    }
    host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    format = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    /* The one route that computes waits for a thread; everything else,
     * a refusal by Host included, is answered here and now. */
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 && strcmp(url, "/api/run") == 0 &&
        serve_host_allowed(&config, host)) {
        if (enqueue(c, st, host, format))
            return MHD_YES;
        return finish(c, method, url, st);
    }
    serve_handle(&config, method, url, format, host,
                 st->body.data ? (const char *)st->body.data : "", st->body.len, &st->r);
    return finish(c, method, url, st);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    conn_state *st = *con_cls;
    (void)cls;
    (void)toe;
    set_deadline(c, WAIT_HEADERS); /* for the next request on it */
    if (st) {
        if (st->state != JOB_NONE) {
            pthread_mutex_lock(&queue_lock);
            n_outstanding--;
            pthread_mutex_unlock(&queue_lock);
        }
        serve_response_release(&st->r);
        il_membuf_release(&st->body);
        il_free(st->host);
        il_free(st->format);
        il_free(st);
        *con_cls = NULL;
    }
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
static int stop_serving(struct MHD_Daemon *d)
{
    MHD_socket listener = MHD_quiesce_daemon(d);
    conn_state *dropped;
    struct timespec tick = {0, 10000000L}; /* 10 ms */
    double give_up = now_s() + STOP_SECONDS;
    size_t left;

    pthread_mutex_lock(&queue_lock);
    atomic_store(&stopping, 1);
    dropped = queue_head;
    queue_head = queue_tail = NULL;
    for (conn_state *st = dropped; st; st = st->next) {
        n_waiting--;
        st->wait_ms = 1000.0 * (now_s() - st->queued_at);
        st->close = 1;
        refuse(st, 503, "the server is stopping; this run was not started");
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
        if (left == 0 || now_s() > give_up)
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

/* ---- start-up ---- */

/* Paths are taken as sent, never percent-decoded: the compiled-in table
 * needs no escapes, and a decoded "%00" or "%2f" could make two different
 * requests look alike. A query value ("format=csv") needs none either. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

/* A Host name as --allow-host may give it: letters, digits, '-', '.', '_',
 * or a bracketed IPv6 literal; no port, no spaces. */
static int valid_host_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return 0;
    if (s[0] == '[')
        return n > 2 && s[n - 1] == ']' && strspn(s + 1, "0123456789abcdefABCDEF:.") == n - 2;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
            !(s[i] >= '0' && s[i] <= '9') && !strchr("-._", s[i]))
            return 0;
    return 1;
}

static void open_browser(const char *url)
{
    char *args[] = {(char *)"xdg-open", (char *)url, NULL};
    pid_t pid;
    if (posix_spawnp(&pid, "xdg-open", NULL, NULL, args, environ) != 0)
        cli_error("serve: cannot run xdg-open; open %s yourself", url);
}

static int check_options(int npos, char **argv)
{
    if (npos > 0) {
        cli_error("serve: unexpected argument '%s' (see 'initlab serve --help')", argv[1]);
        return EXIT_USAGE;
    }
    if (port > 65535) {
        cli_error("serve: --port must be 0..65535");
        return EXIT_USAGE;
    }
    if (max_conns == 0 || max_conns > 10000 || max_per_ip == 0 || max_per_ip > max_conns) {
        cli_error("serve: --max-connections must be 1..10000 and --max-per-ip 1..max-connections");
        return EXIT_USAGE;
    }
    if (timeout_s == 0 || timeout_s > 3600 || threads == 0 || threads > 64) {
        cli_error("serve: --timeout must be 1..3600 seconds and --threads 1..64");
        return EXIT_USAGE;
    }
    if (max_values == 0) {
        cli_error("serve: --max-values must be at least 1");
        return EXIT_USAGE;
    }
    if (max_seconds == 0 || max_seconds > 86400 || queue_max > 10000) {
        cli_error("serve: --max-seconds must be 1..86400 and --queue 0..10000");
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < allow_host.n; i++)
        if (!valid_host_name(allow_host.items[i])) {
            cli_error("serve: --allow-host '%s' is not a host name (letters, digits, '-', '.', "
                      "or [IPv6]; no port)",
                      allow_host.items[i]);
            return EXIT_USAGE;
        }
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    struct addrinfo hints, *ai = NULL;
    struct sockaddr_storage addr;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    sigset_t stop;
    pthread_t dog, *workers = NULL;
    size_t n_workers = 0;
    int help_flag, npos, rc, sig;
    char url[600];

    rc = cli_parse("serve", serve_options, argc, argv, &npos, &help_flag);
    if (rc)
        return rc;
    if (help_flag) {
        help(stdout);
        return EXIT_OK;
    }
    rc = check_options(npos, argv);
    if (rc)
        return rc;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(host_text, "0", &hints, &ai) != 0 || !ai || ai->ai_addrlen > sizeof addr) {
        cli_error("serve: cannot resolve --host '%s'", host_text);
        if (ai)
            freeaddrinfo(ai);
        return EXIT_USAGE;
    }
    memset(&addr, 0, sizeof addr);
    memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (addr.ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)(void *)&addr)->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        ((struct sockaddr_in *)(void *)&addr)->sin_port = htons((uint16_t)port);
    }
    if (!is_loopback((const struct sockaddr *)&addr))
        cli_error("serve: warning: listening on %s, not loopback: anyone who can reach this "
                  "machine can use the page and make it compute",
                  host_text);
    config.max_values = max_values;
    config.bind_host = host_text;
    config.allow_hosts = allow_host.items;
    config.n_allow_hosts = allow_host.n;
    remote_cap = max_conns - (max_conns >= 2 * LOOPBACK_RESERVE ? LOOPBACK_RESERVE : max_conns / 2);

    /* SIGINT and SIGTERM are taken by sigwait below; blocked before any
     * thread starts, they stay blocked in all of them. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    slots = il_malloc_n(max_conns, sizeof *slots);
    workers = il_malloc_n(threads, sizeof *workers);
    if (!slots || !workers) {
        cli_error("serve: out of memory");
        il_free(slots);
        il_free(workers);
        return EXIT_NOMEM;
    }
    n_slots = max_conns;
    for (size_t i = 0; i < n_slots; i++)
        slots[i].fd = -1;
    if (pthread_create(&dog, NULL, watchdog, NULL) != 0) {
        cli_error("serve: cannot start a thread");
        il_free(slots);
        il_free(workers);
        return EXIT_RUNTIME;
    }
    for (; n_workers < threads; n_workers++)
        if (pthread_create(&workers[n_workers], NULL, compute, NULL) != 0) {
            cli_error("serve: cannot start a thread");
            rc = EXIT_RUNTIME;
            goto stop_threads;
        }
    /* clang-format off */
    /* libmicrohttpd's defaults are unsafe for a server (any address, no
     * timeout, no per-address limit): every limit is set here. One polling
     * thread (no pool): the runs have threads of their own. */
    d = MHD_start_daemon(flags, (uint16_t)port, accept_client, NULL, answer, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                         MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                         MHD_OPTION_NOTIFY_CONNECTION, notify_connection, NULL,
                         MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)max_conns,
                         MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)max_per_ip,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout_s,
                         /* headers past 32 KiB: 431 */
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
                         MHD_OPTION_END);
    /* clang-format on */
    if (!d) {
        cli_error("serve: cannot listen on %s port %zu (in use, or not an address of this "
                  "machine?)",
                  host_text, port);
        rc = EXIT_RUNTIME;
        goto stop_threads;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    config.port = info ? info->port : (unsigned)port;
    snprintf(url, sizeof url, "http://%s%s%s:%u/", addr.ss_family == AF_INET6 ? "[" : "", host_text,
             addr.ss_family == AF_INET6 ? "]" : "", config.port);
    printf("initlab serve: %s  (Ctrl-C stops)\n", url);
    fflush(stdout);
    if (open_flag)
        open_browser(url);
    while (sigwait(&stop, &sig) != 0)
        ;
    if (stop_serving(d)) {
        /* a thread is still computing: no clean-up can wait for it */
        if (!quiet)
            fprintf(stderr, "initlab serve: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
        fflush(NULL);
        _exit(EXIT_OK);
    }
    if (!quiet)
        fprintf(stderr, "initlab serve: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    rc = EXIT_OK;
stop_threads:
    pthread_mutex_lock(&queue_lock);
    atomic_store(&stopping, 1);
    pthread_cond_broadcast(&queue_cond);
    pthread_mutex_unlock(&queue_lock);
    for (size_t i = 0; i < n_workers; i++)
        pthread_join(workers[i], NULL);
    atomic_store(&watchdog_stop, 1);
    pthread_join(dog, NULL);
    il_free(workers);
    il_free(slots);
    return rc;
}
