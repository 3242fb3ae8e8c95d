/* SPDX-License-Identifier: MIT */
/*
 * initlab serve under an address-space limit (ulimit -v, RLIMIT_AS;
 * serve_impl.h). Debian's OpenBLAS (0.3.21, OpenMP build, linked
 * statically) maps a 128 MiB buffer for every core when the program starts,
 * before main, and one more for each thread that calls it; when a mapping
 * fails it tries again for ever. So under `ulimit -v 300000` the program
 * hung before main, and a server whose runs had used up the room would
 * hang in its next dgemm. Here a constructor that runs before OpenBLAS's
 * own checks that its start-up buffers fit, and serve_check_room checks,
 * once the options are known, that the computing threads' buffers and at
 * least a small run each fit too, lowering --max-memory to the room left;
 * otherwise the server exits at once saying how much it needs.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "serve_impl.h"

/* OpenBLAS's BUFFER_SIZE for x86-64: `strace -e mmap initlab --version`
 * shows mmap(NULL, 134217728, ...) once per core at start. */
#define BLAS_BUFFER ((size_t)128 << 20)
/* Room for the rest of the start (libgomp, the first allocations) */
#define START_SLACK ((size_t)16 << 20)
/* The least a run may have: a small network of the page (5 x 100 x 1000
 * with theory) needs 12 MiB by serve_estimate */
#define MIN_RUN ((size_t)16 << 20)

/* The address space mapped now, in bytes; 0 if unknown. */
static size_t mapped_now(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    char line[128], *end;
    unsigned long pages = 0;
    long page = sysconf(_SC_PAGESIZE);
    if (!f)
        return 0;
    if (fgets(line, sizeof line, f)) /* "SIZE RSS SHARED ...", in pages */
        pages = strtoul(line, &end, 10);
    fclose(f);
    return page > 0 ? (size_t)pages * (size_t)page : 0;
}

/* RLIMIT_AS's soft limit in bytes; 0 when there is none. */
static size_t as_limit(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_AS, &r) != 0 || r.rlim_cur == RLIM_INFINITY)
        return 0;
    return (size_t)r.rlim_cur;
}

/* The cores OpenBLAS takes buffers for at start: OMP_NUM_THREADS if set
 * (it reads it too), else the cores online. */
static size_t blas_cores(void)
{
    const char *env = getenv("OMP_NUM_THREADS");
    long n = env ? strtol(env, NULL, 10) : 0;
    if (n < 1)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (size_t)n;
}

static void say_too_small(size_t limit, size_t need)
{
    char have[32], want[32];
    cli_error("serve: the address-space limit (ulimit -v %zu) is %s; the server needs at least "
              "%s (ulimit -v %zu): OpenBLAS maps %zu MiB for each of %zu cores at start and "
              "for each computing thread, and each run needs room of its own (--threads, "
              "--max-memory)",
              limit >> 10, cli_format_bytes(have, sizeof have, (double)limit),
              cli_format_bytes(want, sizeof want, (double)need), (need >> 10) + 1,
              BLAS_BUFFER >> 20, blas_cores());
}

/* The room the default server needs past what is mapped before OpenBLAS
 * starts: its start-up buffers, two computing threads' buffers, stacks
 * and runs. */
static size_t default_need(size_t now, size_t stack)
{
    return now + START_SLACK + (blas_cores() + 2) * BLAS_BUFFER + 4 * stack + 2 * MIN_RUN;
}

/* What any other command needs: OpenBLAS's start-up buffers, one more for
 * the computing thread's first product, and room for a small run. */
static size_t command_need(size_t now)
{
    return now + START_SLACK + (blas_cores() + 1) * BLAS_BUFFER + MIN_RUN;
}

/* Before OpenBLAS's constructor (constructors with a priority run before
 * those without; glibc passes main's arguments): under an address-space
 * limit too small for OpenBLAS's buffers, OpenBLAS would retry its mapping
 * for ever, before main, so every command would hang. Exit at once instead,
 * saying what the limit should be. `serve` checks the rest of its room in
 * serve_check_room, when its options are known. */
__attribute__((constructor(101))) static void check_before_blas(int argc, char **argv)
{
    size_t limit, now;
    struct rlimit st;
    if ((limit = as_limit()) == 0)
        return;
    now = mapped_now();
    if (argc < 2 || strcmp(argv[1], "serve") != 0) {
        char have[32], want[32];
        size_t need = command_need(now);
        if (need <= limit)
            return;
        cli_error("%s%sthe address-space limit (ulimit -v %zu) is %s; initlab needs at least %s "
                  "(ulimit -v %zu): OpenBLAS maps %zu MiB for each of %zu cores at start and one "
                  "more for the first product (OMP_NUM_THREADS=1 needs less)",
                  argc >= 2 && argv[1][0] != '-' ? argv[1] : "",
                  argc >= 2 && argv[1][0] != '-' ? ": " : "", limit >> 10,
                  cli_format_bytes(have, sizeof have, (double)limit),
                  cli_format_bytes(want, sizeof want, (double)need), (need >> 10) + 1,
                  BLAS_BUFFER >> 20, blas_cores());
        fflush(stderr);
        _exit(EXIT_NOMEM);
    }
    if (now + START_SLACK + blas_cores() * BLAS_BUFFER <= limit)
        return; /* the rest is for serve_check_room, when the options are known */
    if (getrlimit(RLIMIT_STACK, &st) != 0 || st.rlim_cur == RLIM_INFINITY)
        st.rlim_cur = 8u << 20;
    say_too_small(limit, default_need(now, (size_t)st.rlim_cur));
    fflush(stderr);
    _exit(EXIT_NOMEM);
}

int serve_check_room(serve_settings *s)
{
    size_t limit = as_limit(), now, stack, fixed, room, per_run;
    struct rlimit st;
    char b1[32], b2[32];

    if (limit == 0)
        return 0;
    if (getrlimit(RLIMIT_STACK, &st) != 0 || st.rlim_cur == RLIM_INFINITY)
        st.rlim_cur = 8u << 20;
    stack = (size_t)st.rlim_cur;
    now = mapped_now();
    /* each computing thread's own OpenBLAS buffer and stack; the polling
     * thread's and the watchdog's stacks */
    fixed = now + START_SLACK + s->threads * (BLAS_BUFFER + stack) + 2 * stack;
    if (fixed + s->threads * MIN_RUN > limit) {
        say_too_small(limit, fixed + s->threads * MIN_RUN);
        return EXIT_NOMEM;
    }
    /* glibc reserves 64 MiB of address space for each thread's own malloc
     * arena; under a limit the threads share the main one instead */
    mallopt(M_ARENA_MAX, 1);
    room = limit - fixed;
    per_run = room / s->threads;
    if (s->config.max_memory == 0 || s->config.max_memory > per_run) {
        s->config.max_memory = per_run;
        cli_error("serve: --max-memory is %s per run, so that %zu run%s fit in the address-space "
                  "limit (ulimit -v: %s)",
                  cli_format_bytes(b1, sizeof b1, (double)per_run), s->threads,
                  s->threads == 1 ? "" : "s", cli_format_bytes(b2, sizeof b2, (double)limit));
    }
    return 0;
}
