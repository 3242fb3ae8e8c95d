/* SPDX-License-Identifier: MIT */
/* initlab: the command table and dispatch (git's builtin pattern). */
#include <malloc.h>
#include <signal.h>
#include <string.h>

#include "cli.h"

static int cmd_help(int argc, char **argv);

static const cli_command commands[] = {
    {"lecture", cmd_lecture, "reproduce the lecture's three exercises, numbers and figures"},
    {"run", cmd_run, "compare initializers and activations on a network of dense layers"},
    {"theory", cmd_theory, "mean-field predictions: per-layer statistics, chi1, edge of chaos"},
    {"advise", cmd_advise, "which initialization for an activation, from theory, with a check"},
    {"train", cmd_train, "train one network per initializer on real data; loss curves"},
    {"coordcheck", cmd_coordcheck,
     "muP coordinate check: activation size against width over a few steps"},
    {"net", cmd_net,
     "a network preset or JSON expanded: its layers, parameters and a recipe's stds"},
    {"inspect", cmd_inspect, "read a checkpoint: each tensor's fans, std and the schemes it fits"},
    {"init", cmd_init, "sample one tensor with an initializer; its fans, gain, std and bound"},
    {"sweep", cmd_sweep, "grids of runs into one SQLite store: resumable, split over jobs, shards"},
    {"serve", cmd_serve, "the live page: change init, activation and depth, watch every layer"},
    {"list", cmd_list, "list the initializers, activations and generators"},
    {"help", cmd_help, "show help for initlab or for one command"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: initlab [--help] [--version] COMMAND [ARGS]\n\n"
               "See, measure and choose how a neural network's weights are initialized.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\nRun 'initlab help COMMAND' or 'initlab COMMAND --help' for a command's options.\n"
            "Exit codes: 0 success, 1 runtime error (I/O), 2 usage error, 3 bad input file,\n"
            "4 out of memory or over a size limit, 130 and 143 interrupted (SIGINT, SIGTERM).\n");
}

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    const cli_command *c;

    if (argc < 2) {
        usage(stdout);
        return EXIT_OK;
    }
    c = find_command(argv[1]);
    if (!c) {
        cli_error("unknown command '%s' (see 'initlab --help')", argv[1]);
        return EXIT_USAGE;
    }
    if (c->fn == cmd_help) {
        usage(stdout);
        return EXIT_OK;
    }
    /* Every command answers --help itself; ask it. */
    {
        char *args[] = {argv[1], (char *)"--help", NULL};
        return c->fn(2, args);
    }
}

int main(int argc, char **argv)
{
    const cli_command *c;

    /* Layers, weights and figure canvases are allocated and freed over and
     * over in sizes of a few MiB. Past glibc's default 128 KiB threshold each
     * would be a fresh mmap whose pages fault in again (a fifth of the
     * lecture's time in a VM); keeping them in the heap lets them be reused.
     * A short-lived program can afford to keep what it freed. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    /* Past a file-size limit (ulimit -f) write() then fails with EFBIG,
     * which the atomic writer reports, instead of the process being
     * killed mid-file. */
    signal(SIGXFSZ, SIG_IGN);

    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("initlab %s\n", il_version());
        return EXIT_OK;
    }
    c = find_command(argv[1]);
    if (!c) {
        if (argv[1][0] == '-')
            cli_error("unknown option '%s' (see 'initlab --help')", argv[1]);
        else
            cli_error("unknown command '%s' (see 'initlab --help')", argv[1]);
        return EXIT_USAGE;
    }
    /* serve stops on SIGINT and SIGTERM its own way (cmd_serve.c) */
    if (c->fn != cmd_serve)
        cli_signals_install();
    /* the command's output folder, if it opened one, is closed here, once
     * everything in it is written */
    return cli_outdir_finish(c->fn(argc - 1, argv + 1));
}
