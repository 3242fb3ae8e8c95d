/* SPDX-License-Identifier: MIT */
/* A sweep's cell run: its spec through the kind's executor, its metrics
 * picked from the report by path. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include <omp.h>

#include "initlab/alloc.h"
#include "initlab/layer.h"
#include "initlab/run.h"
#include "initlab/sweep.h"
#include "internal/json.h"
#include "internal/spec_impl.h"
#include "path.h"

/* ---- kind "run": the run layer (initlab/run.h) ---- */

static il_status run_spec(const char *text, size_t len, size_t max_values, il_run_spec *s,
                          il_error *err)
{
    il_status st = il_run_spec_from_json(s, text, len, max_values, err);
    return st == IL_OK ? il_run_spec_validate(s, err) : st;
}

static il_status run_check(const char *text, size_t len, size_t max_values, il_error *err)
{
    il_run_spec s;
    il_status st;
    il_run_spec_init(&s);
    st = run_spec(text, len, max_values, &s, err);
    il_run_spec_release(&s);
    return st;
}

static il_status run_report(const char *text, size_t len, size_t max_values, il_membuf *out,
                            il_error *err)
{
    il_run_spec s;
    il_run_result *res = NULL;
    il_report rep;
    il_status st;

    il_run_spec_init(&s);
    st = run_spec(text, len, max_values, &s, err);
    if (st == IL_OK)
        st = il_run_execute(&s, NULL, &res, err);
    if (st == IL_OK) {
        il_run_result_report(res, "run", &rep);
        st = il_report_write_json(&rep, il_membuf_write, out);
    }
    il_run_result_free(res);
    il_run_spec_release(&s);
    return st;
}

static const il__sweep_kind kinds[] = {
    {"run", run_check, run_report},
};

const char il__sweep_kind_names[] = "run";

const il__sweep_kind *il__sweep_kind_find(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

void il_sweep_set_threads(int n)
{
    n = n < 1 ? 1 : n;
    omp_set_num_threads(n);
    il_blas_set_threads(n);
}

int il_sweep_cores(void)
{
    return omp_get_num_procs();
}

/* ---- a cell ---- */

il_status il_sweep_cell_run(const il_sweep_grid *g, size_t index, size_t max_values, char **metrics,
                            il_error *err)
{
    const il__sweep_kind *kind = il__sweep_kind_find(il_sweep_grid_kind(g));
    il_membuf rep = {0};
    cJSON *tree = NULL, *out = NULL;
    char *spec = NULL;
    il_status st;

    *metrics = NULL;
    st = il_sweep_cell_spec(g, index, &spec, err);
    if (st == IL_OK)
        st = kind->report(spec, strlen(spec), max_values, &rep, err);
    if (st == IL_OK)
        st = il__json_parse((const char *)rep.data, rep.len, &tree, err);
    if (st == IL_OK && !(out = cJSON_CreateObject()))
        st = IL_ENOMEM;
    for (size_t m = 0; st == IL_OK && m < il_sweep_grid_metrics(g); m++) {
        const char *path = il_sweep_grid_metric(g, m);
        cJSON *v = il__sweep_path_get(tree, path, err), *copy;
        if (!v) {
            st = IL_ENOTFOUND;
            break;
        }
        if (!(copy = cJSON_Duplicate(v, 1)) || !cJSON_AddItemToObject(out, path, copy)) {
            cJSON_Delete(copy);
            st = IL_ENOMEM;
        }
    }
    if (st == IL_OK && !(*metrics = il__sweep_print(out)))
        st = IL_ENOMEM;
    cJSON_Delete(out);
    cJSON_Delete(tree);
    il_membuf_release(&rep);
    il_free(spec);
    return st;
}

/* ---- axes from the command line ---- */

static int parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return end != s && !*end && !errno && isfinite(*out) && !isspace((unsigned char)*s);
}

il_status il_sweep_axis_from_text(const char *name, const char *text, char **json, il_error *err)
{
    cJSON *ax = cJSON_CreateObject(), *vals;
    char buf[4096], *p, *q;
    char sep = strchr(text, ';') ? ';' : ',';
    double a, b, n;
    il_status st = IL_OK;

    *json = NULL;
    if (!ax)
        return IL_ENOMEM;
    if (strlen(text) >= sizeof buf || !text[0]) {
        cJSON_Delete(ax);
        il__set_error(err, "axis \"%.64s\": give 1..%zu characters of values", name,
                      sizeof buf - 1);
        return IL_EINVAL;
    }
    strcpy(buf, text);
    if (!cJSON_AddStringToObject(ax, "name", name))
        st = IL_ENOMEM;
    /* a:b:n, three numbers and nothing else */
    p = strchr(buf, ':');
    q = p ? strchr(p + 1, ':') : NULL;
    if (st == IL_OK && p && q && !strchr(q + 1, ':') && !strchr(buf, ',')) {
        *p = *q = '\0';
        if (parse_number(buf, &a) && parse_number(p + 1, &b) && parse_number(q + 1, &n)) {
            if (!(vals = cJSON_AddArrayToObject(ax, "linspace")) ||
                !cJSON_AddItemToArray(vals, cJSON_CreateNumber(a)) ||
                !cJSON_AddItemToArray(vals, cJSON_CreateNumber(b)) ||
                !cJSON_AddItemToArray(vals, cJSON_CreateNumber(n)))
                st = IL_ENOMEM;
            goto done;
        }
        strcpy(buf, text);
    }
    if (st == IL_OK && !(vals = cJSON_AddArrayToObject(ax, "values")))
        st = IL_ENOMEM;
    for (p = buf; st == IL_OK && p;) {
        cJSON *v;
        q = strchr(p, sep);
        if (q)
            *q = '\0';
        if (!*p) {
            il__set_error(err, "axis \"%.64s\": an empty value in \"%.64s\"", name, text);
            st = IL_EINVAL;
            break;
        }
        if (parse_number(p, &a))
            v = cJSON_CreateNumber(a);
        else if (strcmp(p, "true") == 0 || strcmp(p, "false") == 0)
            v = cJSON_CreateBool(strcmp(p, "true") == 0);
        else
            v = cJSON_CreateString(p);
        if (!cJSON_AddItemToArray(vals, v))
            st = IL_ENOMEM;
        p = q ? q + 1 : NULL;
    }
done:
    if (st == IL_OK && !(*json = il__sweep_print(ax)))
        st = IL_ENOMEM;
    cJSON_Delete(ax);
    return st;
}
