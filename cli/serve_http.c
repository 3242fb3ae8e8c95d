/* SPDX-License-Identifier: MIT */
/*
 * initlab serve on the wire (serve_impl.h): libmicrohttpd's callbacks, the
 * connection limits and deadlines, the checks on headers serve_handle does
 * not see (duplicates, Origin, Content-Type) and the answer's headers. A
 * run is handed to the queue (serve_queue.c); everything else is answered
 * here, on libmicrohttpd's one polling thread.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "serve.h"
#include "serve_impl.h"

/* Headers must be in this soon (or --timeout, if shorter) after a connection
 * opens or after its previous answer: a client trickling its headers
 * (slowloris) holds a connection this long at most. */
#define HEADER_SECONDS 5
/* Connections only loopback clients may take: other addresses may hold at
 * most --max-connections minus this (minus half when fewer than 16), so
 * clients elsewhere cannot lock out the page's own user. */
#define LOOPBACK_RESERVE ((size_t)8)

static const serve_settings *set; /* serve_http_init's */

double serve_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void serve_refuse(conn_state *st, int status, const char *fmt, ...)
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
    return (double)(set->timeout_s < HEADER_SECONDS ? set->timeout_s : HEADER_SECONDS);
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
        slot->opened = serve_now();
        slot->deadline = slot->opened + header_seconds();
    } else {
        slot->deadline = phase == WAIT_BODY ? slot->opened + (double)set->timeout_s : 0;
    }
    pthread_mutex_unlock(&slots_lock);
}

int serve_is_loopback(const struct sockaddr *sa)
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
    if (serve_is_loopback(addr))
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
                slots[i].loopback = addr && serve_is_loopback(addr->client_addr);
                slots[i].opened = serve_now();
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
        double t = serve_now();
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
    if (!serve_host_allowed(&set->config, name)) /* also checks the port is digits */
        return 0;
    colon = strrchr(name, ':');
    bracket = strchr(name, ']');
    if (colon && name[0] == '[' && bracket && colon < bracket)
        colon = NULL; /* inside an IPv6 literal */
    n = colon ? (size_t)(colon - name) : strlen(name);
    for (size_t i = 0; i < set->config.n_allow_hosts; i++)
        if (strlen(set->config.allow_hosts[i]) == n &&
            strncmp(name, set->config.allow_hosts[i], n) == 0)
            return 1;
    return !https && (colon ? strtoul(colon + 1, NULL, 10) : 80) == set->config.port;
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
        serve_refuse(st, 400, "more than one %s header", n.host > 1 ? "Host" : "Content-Length");
        return 1;
    }
    if (origin && !origin_allowed(origin)) {
        /* A page on another site posting here (a cross-site form or
         * fetch) says where it comes from; the Host check cannot see it. */
        serve_refuse(st, 403,
                     "a request from another site (Origin '%.200s') is refused; the page is at "
                     "http://127.0.0.1:%u/",
                     origin, set->config.port);
        return 1;
    }
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 &&
        !is_json_type(
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
        /* A form on another site can post text/plain without asking;
         * application/json it cannot (a CORS preflight, never answered). */
        serve_refuse(st, 415, "POST needs Content-Type: application/json");
        return 1;
    }
    return 0;
}

/* ---- answering ---- */

static void log_request(const char *method, const char *url, const conn_state *st)
{
    char safe_method[64], safe_url[256]; /* the client's bytes, shown escaped */
    if (set->quiet)
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
        serve_refuse(st, 413, "request body over %d bytes", IL_RUN_MAX_JSON_BYTES);
        return finish(c, method, url, st);
    }
    host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    format = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    /* The one route that computes waits for a thread; everything else,
     * a refusal by Host included, is answered here and now. */
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 && strcmp(url, "/api/run") == 0 &&
        serve_host_allowed(&set->config, host)) {
        /* a body that cannot run is refused here and takes no place in
         * the queue (under wrk, 19 of 20 over-budget runs found the queue
         * full and were answered 503 instead of 413) */
        if (serve_run_refused(&set->config, format,
                              st->body.data ? (const char *)st->body.data : "", st->body.len,
                              &st->r))
            return finish(c, method, url, st);
        serve_response_release(&st->r);
        if (serve_queue_add(c, st, host, format))
            return MHD_YES;
        return finish(c, method, url, st);
    }
    serve_handle(&set->config, method, url, format, host,
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
        if (st->state != JOB_NONE)
            serve_queue_completed();
        serve_response_release(&st->r);
        il_membuf_release(&st->body);
        il_free(st->host);
        il_free(st->format);
        il_free(st);
        *con_cls = NULL;
    }
}
/* Paths are taken as sent, never percent-decoded: the compiled-in table
 * needs no escapes, and a decoded "%00" or "%2f" could make two different
 * requests look alike. A query value ("format=csv") needs none either. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

int serve_http_init(const serve_settings *s)
{
    set = s;
    remote_cap =
        s->max_conns - (s->max_conns >= 2 * LOOPBACK_RESERVE ? LOOPBACK_RESERVE : s->max_conns / 2);
    slots = il_malloc_n(s->max_conns, sizeof *slots);
    if (!slots)
        return 0;
    n_slots = s->max_conns;
    for (size_t i = 0; i < n_slots; i++)
        slots[i].fd = -1;
    return 1;
}

static pthread_t dog;
static int dog_started;

int serve_http_watch(void)
{
    dog_started = pthread_create(&dog, NULL, watchdog, NULL) == 0;
    return dog_started;
}

struct MHD_Daemon *serve_http_start(unsigned flags, const struct sockaddr *addr, unsigned port)
{
    /* clang-format off */
    /* libmicrohttpd's defaults are unsafe for a server (any address, no
     * timeout, no per-address limit): every limit is set here. One polling
     * thread (no pool): the runs have threads of their own. */
    return MHD_start_daemon(flags, (uint16_t)port, accept_client, NULL, answer, NULL,
                            MHD_OPTION_SOCK_ADDR, addr,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                            MHD_OPTION_NOTIFY_CONNECTION, notify_connection, NULL,
                            MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)set->max_conns,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)set->max_per_ip,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)set->timeout_s,
                            /* headers past 32 KiB: 431 */
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
                            MHD_OPTION_END);
    /* clang-format on */
}

void serve_http_release(void)
{
    if (dog_started) {
        atomic_store(&watchdog_stop, 1);
        pthread_join(dog, NULL);
        dog_started = 0;
    }
    il_free(slots);
    slots = NULL;
}
