/* SPDX-License-Identifier: MIT */
/*
 * The initlab program: shared declarations of the command-line front end.
 *
 * Adding a command: write cmd_NAME.c with
 *     int cmd_NAME(int argc, char **argv);
 * declare it below, and add a row to the commands[] table in main.c. Its
 * options live in a cli_option table beside it, so --help and parsing cannot
 * drift apart.
 */
#ifndef INITLAB_CLI_H
#define INITLAB_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "initlab/initlab.h"

/* Exit codes (documented in the README; keep them stable). */
enum {
    EXIT_OK = 0,      /* success */
    EXIT_RUNTIME = 1, /* the run failed: I/O error, unwritable output, ... */
    EXIT_USAGE = 2,   /* bad command line: unknown option or command, bad value */
    EXIT_DATA = 3,    /* a bad input file */
    EXIT_NOMEM = 4    /* out of memory, or a size over a limit */
};

typedef enum cli_opt_kind {
    CLI_FLAG,   /* int, set to 1 */
    CLI_SIZE,   /* size_t, a non-negative decimal integer */
    CLI_SEED,   /* uint64_t, 0 .. 2^32 - 1 (numpy's legacy seed range) */
    CLI_STRING, /* const char *, the argument itself */
    CLI_RANGE,  /* double[2], "LO,HI", finite, LO < HI */
    CLI_MULTI   /* cli_list: every occurrence, in order */
} cli_opt_kind;

#define CLI_LIST_MAX 32

/* A CLI_SIZE option's value until the command line sets one (values parse
 * up to CLI_UNSET - 1), for defaults that depend on other options. */
#define CLI_UNSET SIZE_MAX

typedef struct cli_list {
    const char *items[CLI_LIST_MAX];
    size_t n;
} cli_list;

/* One option of a command: what --help shows and where parsing writes.
 * The value goes to 'offset' in the command's own values struct (the
 * 'values' of cli_begin), so the tables are constant and a command's
 * state is a local, never a file-scope variable. 'dest', if not NULL, is
 * an absolute address instead (commands not yet given a values struct). */
typedef struct cli_option {
    const char *name; /* long name without "--" */
    cli_opt_kind kind;
    void *dest;
    const char *metavar; /* shown in --help; NULL for flags */
    const char *help;
    size_t offset;
} cli_option;

/* A row for field 'field' of the values struct 'type'. */
#define CLI_OPT(name, kind, type, field, metavar, help)                                            \
    {                                                                                              \
        (name), (kind), NULL, (metavar), (help), offsetof(type, field)                             \
    }

typedef struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} cli_command;

/* Parse argv[1..] against 'opts' (terminated by a row with name NULL).
 * Non-option arguments are moved to the front of argv[1..] and counted in
 * *npos. "--help" sets *help. Returns 0, or EXIT_USAGE after printing one
 * line on stderr. */
int cli_parse(const char *cmd, const cli_option *opts, int argc, char **argv, int *npos, int *help);
/* The same, writing the CLI_OPT rows into 'values'. */
int cli_parse_into(const char *cmd, const cli_option *opts, void *values, int argc, char **argv,
                   int *npos, int *help);

/* The start every command shares: parse argv against 'opts' (cli_parse);
 * with --help print 'help' to stdout; more than 'max_pos' positional
 * arguments (max_pos < 0: any number) is a usage error. Returns 1 when
 * the command goes on (*npos set), 0 when it is done, *rc its exit code. */
int cli_begin(const char *cmd, const cli_option *opts, void *values, void (*help)(FILE *),
              int max_pos, int argc, char **argv, int *npos, int *rc);

/* Print the option table, aligned, to 'f'. */
void cli_print_options(FILE *f, const cli_option *opts);

/* Print "initlab: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The exit code for a library status. */
int cli_exit_for(il_status st);

/* Create 'path' and its parents (mkdir -p). Returns 0 or errno. */
int cli_mkdirs(const char *path);

/* Parse "D0,D1,..." (positive integers, at most 'max' of them) into
 * 'shape'; returns the count, or 0 after printing one line on stderr. */
size_t cli_parse_shape(const char *cmd, const char *text, size_t *shape, size_t max);

/* Parse a byte count with an optional K, M, G or T suffix (powers of 1024).
 * Returns 0, or EXIT_USAGE after printing one line on stderr. */
int cli_parse_bytes(const char *cmd, const char *opt, const char *text, size_t *out);

/* The default memory cap: half the physical memory, at most 8 GiB. */
size_t cli_default_memory_cap(void);

/* "7.9 GiB", "512 KiB", ... into 'buf'. */
const char *cli_format_bytes(char *buf, size_t cap, double bytes);

/* The generator named by --rng: NULL means the default, "philox" (alias
 * "fast"), or "mt19937" when 'numpy' says the run reproduces numpy's
 * legacy stream (--no-paired, --reproduce dlfs). NULL after printing one
 * line for an unknown name. */
const il_rng_type *cli_rng_type(const char *cmd, const char *name, int numpy);
#define CLI_RNG_HELP "generator: fast (philox, the default) or mt19937 (numpy's legacy stream)"

/* Seconds on the monotonic clock since 't0'. */
double cli_seconds_since(const struct timespec *t0);

/* Print a number for JSON: %.17g, or null when not finite. */
void cli_json_number(FILE *f, double v);

/* Output files (output.c), each written atomically. */

/* Write one file through 'produce' (as il_write_file): inside the folder of
 * cli_outdir_open, listed in its manifest and never through a link; any
 * other path as the user named it (IL_AFILE_FOLLOW); "-" to standard
 * output. Safe from several threads at once. */
il_status cli_write_file(const char *path,
                         il_status (*produce)(void *pctx, il_write_fn w, void *wctx), void *pctx,
                         il_error *err);
/* Make folder 'dir' (mkdir -p) and open it for command 'cmd''s files:
 * lock it against other runs and read the last run's manifest (a warning
 * on stderr if it is ignored). Returns 0, or an exit code after printing
 * one line (EXIT_RUNTIME for a folder that cannot be made or is in use). */
int cli_outdir_open(const char *cmd, const char *dir);
/* After the command returned 'rc': close the folder (if one is open),
 * removing the last run's files this one did not write if 'rc' is
 * EXIT_OK, and writing the manifest. Returns 'rc', or EXIT_RUNTIME if the
 * manifest could not be written. */
int cli_outdir_finish(int rc);
/* SIGINT and SIGTERM remove the temporary files being written, then exit
 * with 128 + the signal (130, 143). Not for serve, which handles its own. */
void cli_signals_install(void);
il_status cli_write_npy(const char *path, const double *data, const size_t *shape, size_t ndim,
                        int f32, il_error *err);
/* float32 values, written as they are */
il_status cli_write_npy_floats(const char *path, const float *data, const size_t *shape,
                               size_t ndim, il_error *err);
/* DIR/report.json and DIR/stats.csv */
il_status cli_write_report(const char *dir, const il_report *r, il_error *err);
il_status cli_write_grid(const char *path, const il_hist_grid *g, il_plot_format fmt,
                         il_error *err);
il_status cli_write_lines(const char *path, const il_line_plot *p, il_plot_format fmt,
                          il_error *err);
il_status cli_write_heatmap(const char *path, const il_heatmap *h, il_plot_format fmt,
                            il_error *err);

/* Arms (arms.c): what --arm INIT/ACT[/BIAS] and --init x --act name. */
typedef il_run_arm cli_arm_text; /* bias "" when the arm gives none */

/* The arms of 'arm_texts' then of every init with every act (at most
 * CLI_LIST_MAX), split but not parsed. Returns 0, or EXIT_USAGE after
 * printing one line. */
int cli_arm_texts(const char *cmd, const cli_list *arm_texts, const cli_list *inits,
                  const cli_list *acts, cli_arm_text *texts, size_t *n_arms);

/* The arms of 'arm_texts' then of every init with every act (at most
 * CLI_LIST_MAX), parsed into 'arms' ('bias', if not NULL, for those that
 * give none). Returns 0, or EXIT_USAGE after printing one line. */
int cli_make_arms(const char *cmd, const cli_list *arm_texts, const cli_list *inits,
                  const cli_list *acts, const char *bias, cli_arm_text *texts, il_arm *arms,
                  size_t *n_arms);

/* Input files (input.c). Does 'text' name a .npy or .csv file? */
int cli_is_matrix_file(const char *text);
/* Load a 2-D .npy or .csv array of at most 'cap' bytes into 'a'. Returns
 * 0, or an exit code after printing one line (EXIT_DATA for a malformed or
 * not 2-D file, EXIT_NOMEM over the cap, EXIT_RUNTIME when unreadable). */
int cli_load_matrix(const char *cmd, const char *path, size_t cap, il_array *a);

/* Mean-field predictions beside measurements (overlay.c): predicted
 * histograms for a figure's rows x cols panels, row r showing arm
 * arm_of[r] and column c layer layer_of[c] (0-based), each over its panel's
 * bins; expected[i] is NULL where there is no prediction. Free with
 * cli_theory_grid_free. */
il_status cli_theory_grid(const il_run_result *t, const il_arm *arms, const size_t *arm_of,
                          size_t rows, const size_t *layer_of, size_t cols,
                          const il_layer_stats *const *panels, double **expected);
void cli_theory_grid_free(double **expected, size_t n);

/* A run's figures (run_figures.c): arm<N>, compare, std and with
 * gradients grad and grad_std, in 'dir'. */
il_status cli_run_figures(const char *dir, il_plot_format fmt, const il_run_spec *s,
                          const il_run_result *r, il_error *err);
/* Up to 'max' of 'n_layers' layers (0-based, into 'out'), evenly spaced,
 * always the first and the last; returns how many. */
size_t cli_pick_layers(size_t n_layers, size_t max, size_t *out);

/* run --net (run_net.c): the tables, depth.<fmt> and arm<N>.<fmt>, and
 * the .npz files asked for (run_net_save.c). */
void cli_run_net_tables(FILE *f, const il_run_spec *s, const il_run_result *r);
il_status cli_run_net_figures(const char *dir, il_plot_format fmt, const il_run_spec *s,
                              const il_run_result *r, il_error *err);
il_status cli_run_net_save(const char *dir, const il_run_spec *s, const il_run_result *r,
                           int params, int activations, int grads, il_error *err);

/* Terminal output (term.c). */
int term_is_tty(FILE *f);
/* Write s[0..len) to 'f' with every byte a terminal could act on shown as
 * \xNN: bytes below 0x20 (newline and tab too), 0x7f, the C1 controls
 * U+0080..U+009F and bytes outside well-formed UTF-8. Other UTF-8 text is
 * written as it is. For any user-supplied string: a file name, a spec, a
 * JSON key, a URL. */
void term_write(FILE *f, const char *s, size_t len);
/* 's' escaped as term_write does, into 'buf' (cap >= 4 bytes), cut before
 * "..." if it does not fit (never inside an escape or a character); returns
 * 'buf'. For printf arguments. */
const char *term_escape(char *buf, size_t cap, const char *s);
/* A buffer for term_escape that holds a 1024-byte path even if every byte
 * needs an escape. */
#define TERM_ESCAPE_MAX 4100
/* A one-line histogram with Unicode blocks, 'width' cells (bins are merged
 * or repeated to fit), heights on a square-root scale. */
void term_sparkline(FILE *f, const size_t *counts, size_t bins, size_t width);

/* Commands. */
int cmd_lecture(int argc, char **argv);
void cmd_lecture_help(FILE *f);
int cmd_init(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_net(int argc, char **argv);
/* cmd_net.c: initlab list nets, recipes, ops */
void cli_list_nets(FILE *f);
void cli_list_recipes(FILE *f);
void cli_list_ops(FILE *f);
int cmd_run(int argc, char **argv);
int cmd_theory(int argc, char **argv);
int cmd_advise(int argc, char **argv);
int cmd_train(int argc, char **argv);
/* train_net.c: initlab train --net (cmd_train dispatches to it) */
int cmd_train_net(int argc, char **argv);
/* cmd_coordcheck.c */
int cmd_coordcheck(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_sweep(int argc, char **argv);

#endif
