/* SPDX-License-Identifier: MIT */
/*
 * initlab serve: the live page over HTTP (libmicrohttpd). This file only
 * binds serve_handle() (serve.c) to the wire: it reads each request's body
 * up to the cap, applies the connection limits, and sends the answer with
 * headers that keep the page to itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "serve.h"

extern char **environ;

static const char *host_text = "127.0.0.1";
static size_t max_values = 16000000, port = 8080, max_conns = 64, max_per_ip = 32, timeout_s = 10,
              threads = 2;
static int open_flag, quiet;

static const cli_option serve_options[] = {
    {"port", CLI_SIZE, &port, "N", "TCP port (default 8080; 0: any free port, printed)"},
    {"host", CLI_STRING, &host_text, "ADDR",
     "address to listen on (default 127.0.0.1; anything else is reachable from outside)"},
    {"open", CLI_FLAG, &open_flag, NULL, "open the page in the desktop's browser (xdg-open)"},
    {"max-values", CLI_SIZE, &max_values, "N",
     "largest batch x widest layer x layers a request may ask for (default 16000000)"},
    {"max-connections", CLI_SIZE, &max_conns, "N", "connections at once, in all (default 64)"},
    {"max-per-ip", CLI_SIZE, &max_per_ip, "N", "connections at once from one address (default 32)"},
    {"timeout", CLI_SIZE, &timeout_s, "SECONDS", "close a connection idle this long (default 10)"},
    {"threads", CLI_SIZE, &threads, "N", "threads answering requests (default 2)"},
    {"quiet", CLI_FLAG, &quiet, NULL, "no line per request on stderr"},
    {NULL, CLI_FLAG, NULL, NULL, NULL},
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
            "machine in their Host header (localhost, 127.0.0.1, [::1] or --host).\n"
            "Bodies are at most %d bytes.\n\n"
            "Options:\n",
            IL_REQUEST_MAX_BYTES);
    cli_print_options(f, serve_options);
    fprintf(f, "\nExample: initlab serve --open    (then http://127.0.0.1:8080/)\n");
}

typedef struct conn_state {
    il_membuf body;
    int too_big;
    struct timespec t0;
} conn_state;

static serve_config config;

static enum MHD_Result send_response(struct MHD_Connection *c, const serve_response *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char ms[32];

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
        snprintf(ms, sizeof ms, "%.3f", r->compute_ms);
        MHD_add_response_header(resp, "X-Initlab-Compute-Ms", ms);
    }
    ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- the request deadline ----
 *
 * libmicrohttpd's timeout closes a connection only after that long with
 * no byte at all, so a client trickling one header byte every few seconds
 * (slowloris) would hold its connection for ever. Each connection is
 * therefore also given a deadline: its request must be in whole within
 * --timeout seconds of the connection opening or of the previous answer.
 * A watchdog thread shuts down the sockets past their deadline; libmicrohttpd
 * then sees the end of the stream and closes the connection itself. The
 * watchdog works on its own dup() of each socket, closed when libmicrohttpd
 * reports the connection closed, so it can never touch a reused descriptor.
 */
typedef struct deadline_slot {
    int fd;          /* our duplicate of the connection's socket; -1: free */
    double deadline; /* monotonic seconds; 0: the request is in */
} deadline_slot;

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static deadline_slot *slots;
static size_t n_slots;
static volatile sig_atomic_t watchdog_stop;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void set_deadline(struct MHD_Connection *c, double deadline)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    deadline_slot *slot = info ? info->socket_context : NULL;
    if (!slot)
        return;
    pthread_mutex_lock(&slots_lock);
    slot->deadline = deadline;
    pthread_mutex_unlock(&slots_lock);
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    deadline_slot *slot = *socket_context;
    (void)cls;
    pthread_mutex_lock(&slots_lock);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        for (size_t i = 0; info && i < n_slots; i++)
            if (slots[i].fd < 0) {
                slots[i].fd = dup(info->connect_fd);
                slots[i].deadline = now_s() + (double)timeout_s;
                if (slots[i].fd >= 0)
                    *socket_context = &slots[i];
                break;
            }
    } else if (slot) { /* closed */
        close(slot->fd);
        slot->fd = -1;
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&slots_lock);
}

static void *watchdog(void *arg)
{
    struct timespec tick = {0, 200000000L}; /* 0.2 s */
    (void)arg;
    while (!watchdog_stop) {
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

static void log_request(const char *method, const char *url, int status, const conn_state *st)
{
    char safe_method[64], safe_url[256]; /* the client's bytes, shown escaped */
    if (!quiet)
        fprintf(stderr, "initlab serve: %s %s %d %.1f ms\n",
                term_escape(safe_method, sizeof safe_method, method),
                term_escape(safe_url, sizeof safe_url, url), status,
                1000.0 * cli_seconds_since(&st->t0));
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    conn_state *st = *con_cls;
    serve_response r;
    enum MHD_Result ret;

    (void)cls;
    (void)version;
    if (!st) { /* the headers are in; the body (if any) follows */
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        st = il_calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &st->t0);
        *con_cls = st;
        /* refuse a declared oversize body before reading any of it */
        if (cl && (strlen(cl) > 9 || strtoul(cl, NULL, 10) > IL_REQUEST_MAX_BYTES))
            st->too_big = 1;
        if (!st->too_big)
            return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!st->too_big && st->body.len + *upload_data_size <= IL_REQUEST_MAX_BYTES) {
            if (il_membuf_write(&st->body, upload_data, *upload_data_size) != IL_OK)
                return MHD_NO;
        } else {
            st->too_big = 1;
            il_membuf_release(&st->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    set_deadline(c, 0); /* the request is in; the answer may take its time */
    if (st->too_big) {
        memset(&r, 0, sizeof r);
        r.status = 413;
        r.content_type = "application/json; charset=utf-8";
        r.body = (const unsigned char *)"{\"error\": \"request body over 65536 bytes\"}\n";
        r.len = strlen((const char *)r.body);
        log_request(method, url, r.status, st);
        return send_response(c, &r);
    }
    serve_handle(&config, method, url,
                 MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format"),
                 MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
                 st->body.data ? (const char *)st->body.data : "", st->body.len, &r);
    log_request(method, url, r.status, st);
    ret = send_response(c, &r);
    serve_response_release(&r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    conn_state *st = *con_cls;
    (void)cls;
    (void)toe;
    set_deadline(c, now_s() + (double)timeout_s); /* for the next request on it */
    if (st) {
        il_membuf_release(&st->body);
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

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) ==
               127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
    return 0;
}

static void open_browser(const char *url)
{
    char *args[] = {(char *)"xdg-open", (char *)url, NULL};
    pid_t pid;
    if (posix_spawnp(&pid, "xdg-open", NULL, NULL, args, environ) != 0)
        cli_error("serve: cannot run xdg-open; open %s yourself", url);
}

int cmd_serve(int argc, char **argv)
{
    struct addrinfo hints, *ai = NULL;
    struct sockaddr_storage addr;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    sigset_t stop;
    pthread_t dog;
    int help_flag, npos, rc, sig;
    char url[600];

    rc = cli_parse("serve", serve_options, argc, argv, &npos, &help_flag);
    if (rc)
        return rc;
    if (help_flag) {
        help(stdout);
        return EXIT_OK;
    }
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

    /* SIGINT and SIGTERM are taken by sigwait below; blocked before the
     * daemon starts, they stay blocked in its threads. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    slots = il_malloc_n(max_conns, sizeof *slots);
    if (!slots) {
        cli_error("serve: out of memory");
        return EXIT_NOMEM;
    }
    n_slots = max_conns;
    for (size_t i = 0; i < n_slots; i++)
        slots[i].fd = -1;
    if (pthread_create(&dog, NULL, watchdog, NULL) != 0) {
        cli_error("serve: cannot start a thread");
        il_free(slots);
        return EXIT_RUNTIME;
    }
    /* clang-format off */
    /* libmicrohttpd's defaults are unsafe for a server (any address, no
     * timeout, no per-address limit): every limit is set here. */
    d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, answer, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                         MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                         MHD_OPTION_NOTIFY_CONNECTION, notify_connection, NULL,
                         MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)max_conns,
                         MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)max_per_ip,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout_s,
                         /* headers past 32 KiB: 431 */
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_END);
    /* clang-format on */
    if (!d) {
        cli_error("serve: cannot listen on %s port %zu (in use, or not an address of this "
                  "machine?)",
                  host_text, port);
        rc = EXIT_RUNTIME;
        goto stop_watchdog;
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
    MHD_stop_daemon(d);
    if (!quiet)
        fprintf(stderr, "initlab serve: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    rc = EXIT_OK;
stop_watchdog:
    watchdog_stop = 1;
    pthread_join(dog, NULL);
    il_free(slots);
    return rc;
}
