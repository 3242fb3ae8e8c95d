/* SPDX-License-Identifier: MIT */
/*
 * initlab serve: the live page over HTTP (libmicrohttpd). This file has the
 * options, the address to listen on, the start of the server's parts
 * (serve_impl.h: serve_http.c on the wire, serve_queue.c the runs) and the
 * wait for SIGINT or SIGTERM that stops them. serve_handle() (serve.c)
 * makes the answers.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "serve.h"
#include "serve_impl.h"

extern char **environ;

/* A run's budget (serve_estimate, serve.h). With the default two computing
 * threads the runs take at most 2 x 384 MiB, and the server itself (the
 * page, the queue, 64 connections, OpenBLAS's buffers) about 40 MiB more:
 * under 1 GB. The work a run may ask for is what these 2 cores do in
 * --max-seconds' default 10 s, measured in docs/serve.md ("The budget"). */
#define DEFAULT_MAX_MEMORY ((size_t)384 << 20)
#define DEFAULT_MAX_WORK   2e11

static const char *host_text = "127.0.0.1";
static size_t port = 8080;
static cli_list allow_host;
static int open_flag;
static const char *max_memory_text, *max_work_text;
/* What the server's parts read (serve_impl.h): the other options, at their
 * defaults until parsed; cmd_serve adds the host names and the port bound. */
static serve_settings settings = {
    .config = {.max_values = 16000000,
               .max_memory = DEFAULT_MAX_MEMORY,
               .max_work = DEFAULT_MAX_WORK},
    .max_conns = 64,
    .max_per_ip = 32,
    .timeout_s = 10,
    .threads = 2,
    .queue_max = 8,
    .max_seconds = 10,
};

static const cli_option serve_options[] = {
    {"port", CLI_SIZE, &port, "N", "TCP port (default 8080; 0: any free port, printed)", 0},
    {"host", CLI_STRING, &host_text, "ADDR",
     "address to listen on (default 127.0.0.1; anything else is reachable from outside)", 0},
    {"allow-host", CLI_MULTI, &allow_host, "NAME",
     "also answer to Host NAME and Origin http(s)://NAME[:PORT], e.g. a proxy's name "
     "(repeatable)",
     0},
    {"open", CLI_FLAG, &open_flag, NULL, "open the page in the desktop's browser (xdg-open)", 0},
    {"max-values", CLI_SIZE, &settings.config.max_values, "N",
     "largest batch x widest layer x layers a request may ask for (default 16000000)", 0},
    {"max-memory", CLI_STRING, &max_memory_text, "BYTES",
     "refuse (413) a run whose estimated peak memory is over this; K, M, G suffixes (default "
     "384M; 0: no limit)",
     0},
    {"max-work", CLI_STRING, &max_work_text, "N",
     "refuse (413) a run whose estimated work is over N multiply-adds (default 2e11, about 10 s "
     "on 2 cores; 0: no limit)",
     0},
    {"max-seconds", CLI_SIZE, &settings.max_seconds, "SECONDS",
     "stop a run computing longer than this, answered 503 (default 10; time waiting in the "
     "queue does not count)",
     0},
    {"queue", CLI_SIZE, &settings.queue_max, "N",
     "runs that may wait for a computing thread; more are answered 503 with Retry-After "
     "(default 8)",
     0},
    {"max-connections", CLI_SIZE, &settings.max_conns, "N",
     "connections at once, in all (default 64; other machines get 8 fewer)", 0},
    {"max-per-ip", CLI_SIZE, &settings.max_per_ip, "N",
     "connections at once from one address (default 32)", 0},
    {"timeout", CLI_SIZE, &settings.timeout_s, "SECONDS",
     "a request must arrive whole within this long of its connection opening (headers within "
     "5 s); an idle connection is closed after it (default 10)",
     0},
    {"threads", CLI_SIZE, &settings.threads, "N", "threads computing runs (default 2)", 0},
    {"quiet", CLI_FLAG, &settings.quiet, NULL, "no line per request on stderr", 0},
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
    if (settings.max_conns == 0 || settings.max_conns > 10000 || settings.max_per_ip == 0 ||
        settings.max_per_ip > settings.max_conns) {
        cli_error("serve: --max-connections must be 1..10000 and --max-per-ip 1..max-connections");
        return EXIT_USAGE;
    }
    if (settings.timeout_s == 0 || settings.timeout_s > 3600 || settings.threads == 0 ||
        settings.threads > 64) {
        cli_error("serve: --timeout must be 1..3600 seconds and --threads 1..64");
        return EXIT_USAGE;
    }
    if (settings.config.max_values == 0) {
        cli_error("serve: --max-values must be at least 1");
        return EXIT_USAGE;
    }
    if (max_memory_text &&
        cli_parse_bytes("serve", "max-memory", max_memory_text, &settings.config.max_memory) != 0)
        return EXIT_USAGE;
    if (max_work_text) {
        char *end;
        double w = strtod(max_work_text, &end);
        if (end == max_work_text || *end != '\0' || !(w >= 0) || w > 1e18) {
            cli_error("serve: --max-work must be a number of multiply-adds, 0..1e18 (e.g. 2e11)");
            return EXIT_USAGE;
        }
        settings.config.max_work = w;
    }
    if (settings.max_seconds == 0 || settings.max_seconds > 86400 || settings.queue_max > 10000) {
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

/* --host and --port as the address to listen on, into 'addr'; an IPv6 one
 * adds MHD_USE_IPv6 to *flags. EXIT_USAGE when --host does not resolve. */
static int listen_address(struct sockaddr_storage *addr, unsigned *flags)
{
    struct addrinfo hints, *ai = NULL;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(host_text, "0", &hints, &ai) != 0 || !ai || ai->ai_addrlen > sizeof *addr) {
        cli_error("serve: cannot resolve --host '%s'", host_text);
        if (ai)
            freeaddrinfo(ai);
        return EXIT_USAGE;
    }
    memset(addr, 0, sizeof *addr);
    memcpy(addr, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (addr->ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)(void *)addr)->sin6_port = htons((uint16_t)port);
        *flags |= MHD_USE_IPv6;
    } else {
        ((struct sockaddr_in *)(void *)addr)->sin_port = htons((uint16_t)port);
    }
    return 0;
}

/* The port bound, into the settings; the page's address printed (and
 * opened with --open). */
static void announce(struct MHD_Daemon *d, int family)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char url[600];

    settings.config.port = info ? info->port : (unsigned)port;
    snprintf(url, sizeof url, "http://%s%s%s:%u/", family == AF_INET6 ? "[" : "", host_text,
             family == AF_INET6 ? "]" : "", settings.config.port);
    printf("initlab serve: %s  (Ctrl-C stops)\n", url);
    fflush(stdout);
    if (open_flag)
        open_browser(url);
}

int cmd_serve(int argc, char **argv)
{
    struct sockaddr_storage addr;
    struct MHD_Daemon *d;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    sigset_t stop;
    int help_flag, npos, rc, sig;

    rc = cli_parse("serve", serve_options, argc, argv, &npos, &help_flag);
    if (rc)
        return rc;
    if (help_flag) {
        help(stdout);
        return EXIT_OK;
    }
    rc = check_options(npos, argv);
    if (!rc)
        rc = serve_check_room(&settings);
    if (!rc)
        rc = listen_address(&addr, &flags);
    if (rc)
        return rc;
    if (!serve_is_loopback((const struct sockaddr *)&addr))
        cli_error("serve: warning: listening on %s, not loopback: anyone who can reach this "
                  "machine can use the page and make it compute",
                  host_text);
    settings.config.bind_host = host_text;
    settings.config.allow_hosts = allow_host.items;
    settings.config.n_allow_hosts = allow_host.n;

    /* SIGINT and SIGTERM are taken by sigwait below; blocked before any
     * thread starts, they stay blocked in all of them. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!serve_http_init(&settings) || !serve_queue_init(&settings)) {
        cli_error("serve: out of memory");
        rc = EXIT_NOMEM;
        goto release;
    }
    if (!serve_http_watch() || !serve_queue_start()) {
        cli_error("serve: cannot start a thread");
        rc = EXIT_RUNTIME;
        goto release;
    }
    d = serve_http_start(flags, (const struct sockaddr *)&addr, (unsigned)port);
    if (!d) {
        cli_error("serve: cannot listen on %s port %zu (in use, or not an address of this "
                  "machine?)",
                  host_text, port);
        rc = EXIT_RUNTIME;
        goto release;
    }
    announce(d, addr.ss_family);
    while (sigwait(&stop, &sig) != 0)
        ;
    if (serve_queue_stop(d)) {
        /* a thread is still computing: no clean-up can wait for it */
        if (!settings.quiet)
            fprintf(stderr, "initlab serve: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
        fflush(NULL);
        _exit(EXIT_OK);
    }
    if (!settings.quiet)
        fprintf(stderr, "initlab serve: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    rc = EXIT_OK;
release:
    serve_queue_release();
    serve_http_release();
    return rc;
}
