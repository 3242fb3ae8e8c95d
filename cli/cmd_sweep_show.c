/* SPDX-License-Identifier: MIT */
/* initlab sweep show (a table, CSV or the JSON contract) and merge. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cmd_sweep.h"

typedef struct show_opts {
    int csv, json;
} show_opts;

static const cli_option show_options[] = {
    CLI_OPT("csv", CLI_FLAG, show_opts, csv, NULL, "comma-separated values, full precision"),
    CLI_OPT("json", CLI_FLAG, show_opts, json, NULL,
            "{\"grid\", \"cells\": [{\"index\", \"axes\", \"metrics\", \"status\", "
            "\"seconds\"}]}"),
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

static void show_help(FILE *f)
{
    fprintf(f, "usage: initlab sweep show DB [--csv | --json]\n\n"
               "The cells of a sweep's store in index order: axis values, status, metrics,\n"
               "seconds. Works while the sweep runs.\n\nOptions:\n");
    cli_print_options(f, show_options);
}

typedef struct show_ctx {
    const il_sweep_grid *g;
    int csv;
    cJSON *cells; /* --json */
    int failed;   /* out of memory */
} show_ctx;

/* One value: %.17g (csv) or %.6g, strings as they are (csv: quoted). */
static void put_value(FILE *f, const cJSON *v, int csv, int width)
{
    char buf[64];
    const char *text = buf;
    if (cJSON_IsNumber(v) && csv) /* the shortest text that reads back the same double */
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(buf, sizeof buf, "%.*g", digits, v->valuedouble);
            if (strtod(buf, NULL) == v->valuedouble)
                break;
        }
    else if (cJSON_IsNumber(v))
        snprintf(buf, sizeof buf, "%.6g", v->valuedouble);
    else if (cJSON_IsBool(v))
        text = cJSON_IsTrue(v) ? "true" : "false";
    else if (cJSON_IsString(v))
        text = v->valuestring;
    else
        text = csv ? "" : "-";
    if (csv && cJSON_IsString(v) && strpbrk(text, ",\"\n")) {
        fputc('"', f);
        for (const char *p = text; *p; p++) {
            if (*p == '"')
                fputc('"', f);
            fputc(*p, f);
        }
        fputc('"', f);
    } else if (csv) {
        fputs(text, f);
    } else {
        char safe[TERM_ESCAPE_MAX];
        fprintf(f, "%*s", width, term_escape(safe, sizeof safe, text));
    }
}

static int show_row(void *vctx, const il_sweep_row *r)
{
    show_ctx *c = vctx;
    cJSON *axes = r->axes ? cJSON_Parse(r->axes) : NULL;
    cJSON *metrics = r->metrics ? cJSON_Parse(r->metrics) : NULL;
    size_t na = il_sweep_grid_axes(c->g), nm = il_sweep_grid_metrics(c->g);
    const char *status = il_sweep_status_name(r->status);

    if (c->cells) {
        cJSON *cell = cJSON_CreateObject();
        /* the contract knows done, failed and pending: a running cell is not finished */
        if (r->status == IL_SWEEP_RUNNING)
            status = "pending";
        if (!cell || !cJSON_AddItemToArray(c->cells, cell) ||
            !cJSON_AddNumberToObject(cell, "index", (double)r->index) ||
            !cJSON_AddItemToObject(cell, "axes", axes ? axes : cJSON_CreateObject()) ||
            !cJSON_AddItemToObject(cell, "metrics", metrics ? metrics : cJSON_CreateObject()) ||
            !cJSON_AddStringToObject(cell, "status", status) ||
            !(isnan(r->seconds) ? cJSON_AddNullToObject(cell, "seconds")
                                : cJSON_AddNumberToObject(cell, "seconds", r->seconds))) {
            c->failed = 1;
            return 1;
        }
        return 0;
    }
    printf(c->csv ? "%zu" : "%6zu", r->index);
    for (size_t k = 0; k < na; k++) {
        fputs(c->csv ? "," : "  ", stdout);
        put_value(stdout, cJSON_GetObjectItemCaseSensitive(axes, il_sweep_grid_axis_name(c->g, k)),
                  c->csv, 12);
    }
    printf(c->csv ? ",%s" : "  %7s", status);
    for (size_t m = 0; m < nm; m++) {
        fputs(c->csv ? "," : "  ", stdout);
        put_value(stdout, cJSON_GetObjectItemCaseSensitive(metrics, il_sweep_grid_metric(c->g, m)),
                  c->csv, 14);
    }
    if (c->csv)
        isnan(r->seconds) ? printf(",\n") : printf(",%.6f\n", r->seconds);
    else if (isnan(r->seconds))
        printf("  %8s\n", "-");
    else
        printf("  %8.3f%s%s\n", r->seconds, r->error ? "  " : "", r->error ? r->error : "");
    cJSON_Delete(axes);
    cJSON_Delete(metrics);
    return 0;
}

static void header(const il_sweep_grid *g, int csv)
{
    char safe[TERM_ESCAPE_MAX];
    printf(csv ? "index" : "%6s", "index");
    for (size_t k = 0; k < il_sweep_grid_axes(g); k++)
        printf(csv ? ",%s" : "  %12s",
               csv ? il_sweep_grid_axis_name(g, k)
                   : term_escape(safe, sizeof safe, il_sweep_grid_axis_name(g, k)));
    printf(csv ? ",status" : "  %7s", "status");
    for (size_t m = 0; m < il_sweep_grid_metrics(g); m++)
        printf(csv ? ",%s" : "  %14s",
               csv ? il_sweep_grid_metric(g, m)
                   : term_escape(safe, sizeof safe, il_sweep_grid_metric(g, m)));
    printf(csv ? ",seconds\n" : "  %8s\n", "seconds");
}

int sweep_show(int argc, char **argv)
{
    show_opts o = {0};
    il_sweep_store *s = NULL;
    il_sweep_grid *g = NULL;
    show_ctx c = {0};
    il_error err;
    int npos, rc;
    il_status st;

    if (!cli_begin("sweep show", show_options, &o, show_help, 1, argc, argv, &npos, &rc))
        return rc;
    if (npos != 1 || (o.csv && o.json)) {
        cli_error("sweep show: give one DB, and --csv or --json (not both)");
        return EXIT_USAGE;
    }
    err.message[0] = '\0';
    if ((st = il_sweep_store_open_existing(argv[1], 0, &s, &g, &err)) != IL_OK) {
        cli_error("sweep show: %s", err.message);
        return st == IL_EIO ? EXIT_RUNTIME : EXIT_DATA;
    }
    c.g = g;
    c.csv = o.csv;
    if (o.json) {
        cJSON *root = cJSON_CreateObject(), *grid = cJSON_Parse(il_sweep_store_grid_json(s));
        char *text = NULL;
        if (root && grid && cJSON_AddItemToObject(root, "grid", grid) &&
            (c.cells = cJSON_AddArrayToObject(root, "cells")) != NULL) {
            grid = NULL;
            st = il_sweep_store_each(s, show_row, &c, &err);
            if (st == IL_OK && !c.failed && (text = cJSON_Print(root)) != NULL)
                printf("%s\n", text);
            else if (st == IL_OK)
                st = IL_ENOMEM;
        } else {
            st = IL_ENOMEM;
        }
        cJSON_free(text);
        cJSON_Delete(grid);
        cJSON_Delete(root);
    } else {
        header(g, o.csv);
        st = il_sweep_store_each(s, show_row, &c, &err);
    }
    if (st != IL_OK)
        cli_error("sweep show: %s", err.message[0] ? err.message : il_status_str(st));
    il_sweep_store_close(s);
    il_sweep_grid_free(g);
    return st == IL_OK ? EXIT_OK : cli_exit_for(st);
}

static void merge_help(FILE *f)
{
    fprintf(f, "usage: initlab sweep merge OUT.db A.db [B.db ...]\n\n"
               "Copy the finished cells of the stores A, B, ... (shards of one grid) into\n"
               "OUT (made if absent, else it must hold the same grid). A cell finished in\n"
               "OUT is kept; one done in two stores with different metrics is counted as\n"
               "a conflict. Stores of another grid are refused.\n");
}

int sweep_merge(int argc, char **argv)
{
    static const cli_option none[] = {{NULL, CLI_FLAG, NULL, NULL, NULL, 0}};
    il_sweep_store *out = NULL, *in = NULL;
    il_sweep_grid *g = NULL;
    size_t copied = 0, conflicts = 0, counts[4];
    double secs;
    il_error err;
    il_status st;
    int npos, rc = EXIT_OK;

    if (!cli_begin("sweep merge", none, NULL, merge_help, -1, argc, argv, &npos, &rc))
        return rc;
    if (npos < 2) {
        cli_error("sweep merge: give OUT.db and at least one store to merge");
        return EXIT_USAGE;
    }
    err.message[0] = '\0';
    if ((st = il_sweep_store_open_existing(argv[2], 0, &in, &g, &err)) != IL_OK ||
        (st = il_sweep_store_open(argv[1], g, &out, &err)) != IL_OK) {
        cli_error("sweep merge: %s", err.message);
        il_sweep_store_close(in);
        il_sweep_grid_free(g);
        return st == IL_EIO ? EXIT_RUNTIME : EXIT_DATA;
    }
    il_sweep_store_close(in); /* its grid is read; each input is opened in turn */
    for (int i = 2; i <= npos; i++) {
        size_t c = 0, k = 0;
        if ((st = il_sweep_store_open_existing(argv[i], 0, &in, NULL, &err)) != IL_OK)
            break;
        st = il_sweep_store_merge(out, in, &c, &k, &err);
        il_sweep_store_close(in);
        in = NULL;
        if (st != IL_OK)
            break;
        copied += c;
        conflicts += k;
    }
    if (st == IL_OK)
        st = il_sweep_store_counts(out, 0, 1, counts, &secs, &err);
    if (st != IL_OK) {
        cli_error("sweep merge: %s", err.message);
        rc = st == IL_EIO ? EXIT_RUNTIME : EXIT_DATA;
    } else {
        printf("sweep merge: %s: %zu cells copied; %zu of %zu done, %zu failed, %zu pending",
               argv[1], copied, counts[IL_SWEEP_DONE], il_sweep_grid_cells(g),
               counts[IL_SWEEP_FAILED], counts[IL_SWEEP_PENDING] + counts[IL_SWEEP_RUNNING]);
        if (conflicts)
            printf("; %zu cells done in two stores with different metrics (the first kept)",
                   conflicts);
        printf("\n");
    }
    il_sweep_store_close(out);
    il_sweep_grid_free(g);
    return rc;
}
