/* SPDX-License-Identifier: MIT */
/* A sweep's grid: read, made canonical, its cells enumerated and their
 * specs made (initlab/sweep.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "initlab/alloc.h"
#include "initlab/sweep.h"
#include "internal/json.h"
#include "internal/spec_impl.h"
#include "path.h"

struct il_sweep_grid {
    cJSON *root; /* the canonical tree; what follows points into it */
    cJSON *base;
    cJSON *values[IL_SWEEP_MAX_AXES];
    const char *names[IL_SWEEP_MAX_AXES];
    size_t len[IL_SWEEP_MAX_AXES], n_axes, n_cells, n_metrics;
    const char *metrics[IL_SWEEP_MAX_METRICS];
    uint64_t seed;
    int axis_sets_seed;
    const il__sweep_kind *kind;
    char *json;
};

static int is_shorthand(const char *name)
{
    return strcmp(name, "sigma_w2") == 0 || strcmp(name, "sigma_b2") == 0;
}

uint64_t il_sweep_cell_seed(uint64_t sweep_seed, size_t index)
{
    /* splitmix64: the state advances by the golden gamma once per output */
    uint64_t z = sweep_seed + ((uint64_t)index + 1) * UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    return z >> 32;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* Sort every object's keys under 'n' (recursively), so that two bases
 * that differ only in key order have one canonical text. */
static il_status sort_keys(cJSON *n)
{
    cJSON *c;
    size_t k = 0, count = (size_t)cJSON_GetArraySize(n);
    cJSON **items;

    cJSON_ArrayForEach(c, n)
    {
        il_status st = sort_keys(c);
        if (st != IL_OK)
            return st;
    }
    if (!cJSON_IsObject(n) || count < 2)
        return IL_OK;
    if (!(items = il_malloc_n(count, sizeof(cJSON *))))
        return IL_ENOMEM;
    cJSON_ArrayForEach(c, n) items[k++] = c;
    qsort(items, count, sizeof(cJSON *), cmp_keys);
    for (k = 0; k < count; k++) {
        items[k]->prev = k ? items[k - 1] : items[count - 1]; /* cJSON: head's prev is the tail */
        items[k]->next = k + 1 < count ? items[k + 1] : NULL;
    }
    n->child = items[0];
    il_free(items);
    return IL_OK;
}

static int only_keys(const cJSON *obj, const char *const *keys, const char *what, il_error *err)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, obj)
    {
        const char *const *k = keys;
        while (*k && strcmp(*k, item->string) != 0)
            k++;
        if (!*k) {
            il__set_error(err, "%s: unknown key \"%.64s\"", what, item->string);
            return 0;
        }
    }
    return 1;
}

/* The values of axis object 'ax' (number 'k') as a new array. */
static il_status axis_values(const cJSON *ax, size_t k, cJSON **out, il_error *err)
{
    static const char *const keys[] = {"name", "values", "linspace", NULL};
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(ax, "name"),
                *vals = cJSON_GetObjectItemCaseSensitive(ax, "values"),
                *lin = cJSON_GetObjectItemCaseSensitive(ax, "linspace"), *v;
    char what[64];
    snprintf(what, sizeof what, "axis %zu", k + 1);
    if (!cJSON_IsObject(ax) || !only_keys(ax, keys, what, err))
        return cJSON_IsObject(ax)
                   ? IL_EFORMAT
                   : (il__set_error(err, "axis %zu must be an object", k + 1), IL_EFORMAT);
    if (!cJSON_IsString(name) || !il__sweep_path_ok(name->valuestring)) {
        il__set_error(err,
                      "axis %zu: \"name\" must be a path (keys and indices joined by '.') "
                      "or sigma_w2, sigma_b2",
                      k + 1);
        return IL_EFORMAT;
    }
    if (!vals == !lin) {
        il__set_error(err, "axis \"%.64s\": give \"values\" or \"linspace\" (one of them)",
                      name->valuestring);
        return IL_EFORMAT;
    }
    if (lin) {
        const cJSON *a = cJSON_GetArrayItem(lin, 0), *b = cJSON_GetArrayItem(lin, 1),
                    *n = cJSON_GetArrayItem(lin, 2);
        double nn = cJSON_IsNumber(n) ? n->valuedouble : 0;
        if (!cJSON_IsArray(lin) || cJSON_GetArraySize(lin) != 3 || !cJSON_IsNumber(a) ||
            !cJSON_IsNumber(b) || !cJSON_IsNumber(n) || nn != floor(nn) || nn < 1 ||
            nn > IL_SWEEP_MAX_AXIS_VALS || (nn == 1 && a->valuedouble != b->valuedouble)) {
            il__set_error(err,
                          "axis \"%.64s\": \"linspace\" must be [a, b, n], n a whole number in "
                          "1..%d (a = b when n is 1)",
                          name->valuestring, IL_SWEEP_MAX_AXIS_VALS);
            return IL_EINVAL;
        }
        if (!(*out = cJSON_CreateArray()))
            return IL_ENOMEM;
        for (size_t i = 0; i < (size_t)nn; i++) {
            double x = i + 1 == (size_t)nn ? b->valuedouble
                                           : a->valuedouble + (b->valuedouble - a->valuedouble) *
                                                                  (double)i / (nn - 1);
            if (!cJSON_AddItemToArray(*out, cJSON_CreateNumber(x)))
                return IL_ENOMEM;
        }
        return IL_OK;
    }
    if (!cJSON_IsArray(vals) || cJSON_GetArraySize(vals) < 1 ||
        cJSON_GetArraySize(vals) > IL_SWEEP_MAX_AXIS_VALS) {
        il__set_error(err, "axis \"%.64s\": \"values\" must be an array of 1..%d values",
                      name->valuestring, IL_SWEEP_MAX_AXIS_VALS);
        return IL_EFORMAT;
    }
    cJSON_ArrayForEach(v, vals)
    {
        if (is_shorthand(name->valuestring) &&
            !(cJSON_IsNumber(v) && v->valuedouble >= 0 && isfinite(v->valuedouble))) {
            il__set_error(err, "axis \"%s\": values must be numbers >= 0", name->valuestring);
            return IL_EINVAL;
        }
        if (cJSON_IsArray(v) || cJSON_IsObject(v) || cJSON_IsNull(v)) {
            il__set_error(err, "axis \"%.64s\": values must be numbers, strings or booleans",
                          name->valuestring);
            return IL_EFORMAT;
        }
    }
    return (*out = cJSON_Duplicate(vals, 1)) ? IL_OK : IL_ENOMEM;
}

/* The canonical tree of 'in' into g->root. */
static il_status canonical(const cJSON *in, il_sweep_grid *g, il_error *err)
{
    static const char *const keys[] = {"kind", "seed", "base", "axes", "metrics", NULL};
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(in, "kind"),
                *seed = cJSON_GetObjectItemCaseSensitive(in, "seed"),
                *base = cJSON_GetObjectItemCaseSensitive(in, "base"),
                *axes = cJSON_GetObjectItemCaseSensitive(in, "axes"),
                *metrics = cJSON_GetObjectItemCaseSensitive(in, "metrics"), *item;
    cJSON *out_axes, *out_metrics, *b;
    il_status st;
    size_t k = 0;

    if (!cJSON_IsObject(in) || !only_keys(in, keys, "the grid", err))
        return cJSON_IsObject(in)
                   ? IL_EFORMAT
                   : (il__set_error(err, "the grid must be a JSON object"), IL_EFORMAT);
    if (kind && !cJSON_IsString(kind)) {
        il__set_error(err, "\"kind\" must be a string (%s)", il__sweep_kind_names);
        return IL_EFORMAT;
    }
    if (!(g->kind = il__sweep_kind_find(kind ? kind->valuestring : "run"))) {
        il__set_error(err, "unknown kind \"%.64s\" (valid: %s)", kind ? kind->valuestring : "run",
                      il__sweep_kind_names);
        return IL_EINVAL;
    }
    g->seed = 1;
    if (seed) {
        if (!cJSON_IsNumber(seed) || seed->valuedouble != floor(seed->valuedouble) ||
            !(seed->valuedouble >= 0 && seed->valuedouble <= 9007199254740992.0)) {
            il__set_error(err, "\"seed\" must be a whole number in 0..2^53");
            return IL_EINVAL;
        }
        g->seed = (uint64_t)seed->valuedouble;
    }
    if (!cJSON_IsObject(base)) {
        il__set_error(err, "\"base\" must be the base spec, a JSON object");
        return IL_EFORMAT;
    }
    if (axes && (!cJSON_IsArray(axes) || cJSON_GetArraySize(axes) > IL_SWEEP_MAX_AXES)) {
        il__set_error(err, "\"axes\" must be an array of at most %d axes", IL_SWEEP_MAX_AXES);
        return IL_EFORMAT;
    }
    if (!cJSON_IsArray(metrics) || cJSON_GetArraySize(metrics) < 1 ||
        cJSON_GetArraySize(metrics) > IL_SWEEP_MAX_METRICS) {
        il__set_error(err, "\"metrics\" must be an array of 1..%d paths into the report",
                      IL_SWEEP_MAX_METRICS);
        return IL_EFORMAT;
    }
    if (!(g->root = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(g->root, "kind", g->kind->name) ||
        !cJSON_AddNumberToObject(g->root, "seed", (double)g->seed) ||
        !(b = cJSON_Duplicate(base, 1)) || !cJSON_AddItemToObject(g->root, "base", b) ||
        !(out_axes = cJSON_AddArrayToObject(g->root, "axes")) ||
        !(out_metrics = cJSON_AddArrayToObject(g->root, "metrics")))
        return IL_ENOMEM;
    if ((st = sort_keys(b)) != IL_OK)
        return st;
    g->base = b;
    cJSON_ArrayForEach(item, axes)
    {
        cJSON *ax, *vals = NULL;
        if ((st = axis_values(item, k, &vals, err)) != IL_OK) {
            cJSON_Delete(vals);
            return st;
        }
        if (!(ax = cJSON_CreateObject()) || !cJSON_AddItemToArray(out_axes, ax) ||
            !cJSON_AddStringToObject(ax, "name",
                                     cJSON_GetObjectItemCaseSensitive(item, "name")->valuestring) ||
            !cJSON_AddItemToObject(ax, "values", vals)) {
            cJSON_Delete(vals);
            return IL_ENOMEM;
        }
        g->names[k] = cJSON_GetObjectItemCaseSensitive(ax, "name")->valuestring;
        g->values[k] = vals;
        g->len[k] = (size_t)cJSON_GetArraySize(vals);
        for (size_t j = 0; j < k; j++)
            if (strcmp(g->names[j], g->names[k]) == 0) {
                il__set_error(err, "axis \"%.64s\" is given twice", g->names[k]);
                return IL_EINVAL;
            }
        g->axis_sets_seed |= strcmp(g->names[k], "seed") == 0;
        k++;
    }
    g->n_axes = k;
    k = 0;
    cJSON_ArrayForEach(item, metrics)
    {
        if (!cJSON_IsString(item) || !il__sweep_path_ok(item->valuestring)) {
            il__set_error(err,
                          "metric %zu must be a path into the report, e.g. "
                          "arms.0.layers.-1.std",
                          k + 1);
            return IL_EFORMAT;
        }
        for (size_t j = 0; j < k; j++)
            if (strcmp(g->metrics[j], item->valuestring) == 0) {
                il__set_error(err, "metric \"%.64s\" is given twice", item->valuestring);
                return IL_EINVAL;
            }
        if (!cJSON_AddItemToArray(out_metrics, cJSON_CreateString(item->valuestring)))
            return IL_ENOMEM;
        g->metrics[k] = cJSON_GetArrayItem(out_metrics, (int)k)->valuestring;
        k++;
    }
    g->n_metrics = k;
    return IL_OK;
}

size_t il_sweep_cell_coord(const il_sweep_grid *g, size_t index, size_t k)
{
    for (size_t j = g->n_axes; j-- > k + 1;)
        index /= g->len[j];
    return index % g->len[k];
}

/* Every arm's key 'key' set to the string 'value'. */
static il_status set_arms(cJSON *spec, const char *key, const char *value, il_error *err)
{
    cJSON *arms = cJSON_GetObjectItemCaseSensitive(spec, "arms"), *arm;
    if (!cJSON_IsArray(arms) || cJSON_GetArraySize(arms) == 0) {
        il__set_error(err, "sigma_w2 and sigma_b2 need the base spec's \"arms\"");
        return IL_EINVAL;
    }
    cJSON_ArrayForEach(arm, arms)
    {
        cJSON *s = cJSON_CreateString(value);
        if (!cJSON_IsObject(arm)) {
            cJSON_Delete(s);
            il__set_error(err, "\"arms\" must hold objects");
            return IL_EINVAL;
        }
        if (!s || (cJSON_GetObjectItemCaseSensitive(arm, key)
                       ? !cJSON_ReplaceItemInObjectCaseSensitive(arm, key, s)
                       : !cJSON_AddItemToObject(arm, key, s))) {
            cJSON_Delete(s);
            return IL_ENOMEM;
        }
    }
    return IL_OK;
}

/* The fan_in every layer of 'spec' shares (sigma_w2 = fan_in Var(W)). */
static il_status common_fan_in(const cJSON *spec, double *fan_in, il_error *err)
{
    const cJSON *widths = cJSON_GetObjectItemCaseSensitive(spec, "widths"),
                *width = cJSON_GetObjectItemCaseSensitive(spec, "width");
    *fan_in = cJSON_IsNumber(width) ? width->valuedouble : 100; /* run's default width */
    if (cJSON_IsArray(widths)) {
        int n = cJSON_GetArraySize(widths);
        *fan_in = cJSON_GetArrayItem(widths, 0) ? cJSON_GetArrayItem(widths, 0)->valuedouble : 0;
        for (int i = 1; i + 1 < n; i++)
            if (cJSON_GetArrayItem(widths, i)->valuedouble != *fan_in) {
                il__set_error(err, "sigma_w2 needs every layer's fan_in equal; \"widths\" "
                                   "differ (give arms.N.init instead)");
                return IL_EINVAL;
            }
    }
    if (!(*fan_in >= 1)) {
        il__set_error(err, "sigma_w2: the spec's width is not a positive number");
        return IL_EINVAL;
    }
    return IL_OK;
}

/* The spec tree of cell 'index' (the caller's). */
static il_status cell_tree(const il_sweep_grid *g, size_t index, cJSON **out, il_error *err)
{
    cJSON *spec = cJSON_Duplicate(g->base, 1);
    il_status st = spec ? IL_OK : IL_ENOMEM;
    char text[128];

    for (size_t k = 0; st == IL_OK && k < g->n_axes; k++) {
        cJSON *v = cJSON_GetArrayItem(g->values[k], (int)il_sweep_cell_coord(g, index, k));
        if (!is_shorthand(g->names[k]))
            st = il__sweep_path_set(spec, g->names[k], cJSON_Duplicate(v, 1), err);
    }
    if (st == IL_OK && !g->axis_sets_seed)
        st = il__sweep_path_set(
            spec, "seed", cJSON_CreateNumber((double)il_sweep_cell_seed(g->seed, index)), err);
    for (size_t k = 0; st == IL_OK && k < g->n_axes; k++) {
        double x = cJSON_GetArrayItem(g->values[k], (int)il_sweep_cell_coord(g, index, k))
                       ->valuedouble,
               fan_in;
        if (strcmp(g->names[k], "sigma_w2") == 0) {
            if ((st = common_fan_in(spec, &fan_in, err)) != IL_OK)
                break;
            snprintf(text, sizeof text, "normal:std=%.17g", sqrt(x / fan_in));
            st = set_arms(spec, "init", text, err);
        } else if (strcmp(g->names[k], "sigma_b2") == 0) {
            if (x == 0)
                snprintf(text, sizeof text, "zeros");
            else
                snprintf(text, sizeof text, "normal:std=%.17g", sqrt(x));
            st = set_arms(spec, "bias", text, err);
        }
    }
    if (st != IL_OK) {
        cJSON_Delete(spec);
        return st;
    }
    *out = spec;
    return IL_OK;
}

il_status il_sweep_cell_spec(const il_sweep_grid *g, size_t index, char **json, il_error *err)
{
    cJSON *spec;
    il_status st = cell_tree(g, index, &spec, err);
    if (st != IL_OK)
        return st;
    *json = il__sweep_print(spec);
    cJSON_Delete(spec);
    return *json ? IL_OK : IL_ENOMEM;
}

il_status il_sweep_cell_axes(const il_sweep_grid *g, size_t index, char **json, il_error *err)
{
    cJSON *o = cJSON_CreateObject();
    (void)err;
    for (size_t k = 0; o && k < g->n_axes; k++) {
        cJSON *v = cJSON_Duplicate(
            cJSON_GetArrayItem(g->values[k], (int)il_sweep_cell_coord(g, index, k)), 1);
        if (!v || !cJSON_AddItemToObject(o, g->names[k], v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            return IL_ENOMEM;
        }
    }
    *json = o ? il__sweep_print(o) : NULL;
    cJSON_Delete(o);
    return *json ? IL_OK : IL_ENOMEM;
}

il_status il_sweep_grid_from_json(const char *json, size_t len, size_t max_values,
                                  il_sweep_grid **out, il_error *err)
{
    il_sweep_grid *g;
    cJSON *in = NULL;
    il_status st;

    if (len > IL_SWEEP_MAX_JSON) {
        il__set_error(err, "the grid is %zu bytes; at most %d are read", len, IL_SWEEP_MAX_JSON);
        return IL_ELIMIT;
    }
    if ((st = il__json_parse(json, len, &in, err)) != IL_OK)
        return st;
    if (!(g = il_calloc(1, sizeof *g))) {
        cJSON_Delete(in);
        return IL_ENOMEM;
    }
    st = canonical(in, g, err);
    cJSON_Delete(in);
    g->n_cells = 1;
    for (size_t k = 0; st == IL_OK && k < g->n_axes; k++)
        if (!il_mul_size(g->n_cells, g->len[k], &g->n_cells) || g->n_cells > IL_SWEEP_MAX_CELLS) {
            il__set_error(err, "the grid has more than %d cells", IL_SWEEP_MAX_CELLS);
            st = IL_ELIMIT;
        }
    if (st == IL_OK && !(g->json = il__sweep_print(g->root)))
        st = IL_ENOMEM;
    /* every cell's spec is checked now, before any runs */
    for (size_t i = 0; st == IL_OK && i < g->n_cells; i++) {
        char *spec = NULL, *axes = NULL;
        il_error inner;
        inner.message[0] = '\0';
        st = il_sweep_cell_spec(g, i, &spec, &inner);
        if (st == IL_OK)
            st = g->kind->check(spec, strlen(spec), max_values, &inner);
        if (st != IL_OK && il_sweep_cell_axes(g, i, &axes, NULL) == IL_OK)
            il__set_error(err, "cell %zu %.200s: %s", i, axes, inner.message);
        il_free(spec);
        il_free(axes);
    }
    if (st != IL_OK) {
        il_sweep_grid_free(g);
        return st;
    }
    *out = g;
    return IL_OK;
}

void il_sweep_grid_free(il_sweep_grid *g)
{
    if (!g)
        return;
    cJSON_Delete(g->root);
    il_free(g->json);
    il_free(g);
}

const char *il_sweep_grid_json(const il_sweep_grid *g)
{
    return g->json;
}
size_t il_sweep_grid_cells(const il_sweep_grid *g)
{
    return g->n_cells;
}
size_t il_sweep_grid_axes(const il_sweep_grid *g)
{
    return g->n_axes;
}
const char *il_sweep_grid_axis_name(const il_sweep_grid *g, size_t k)
{
    return g->names[k];
}
size_t il_sweep_grid_axis_len(const il_sweep_grid *g, size_t k)
{
    return g->len[k];
}
double il_sweep_grid_axis_value(const il_sweep_grid *g, size_t k, size_t i)
{
    const cJSON *v = cJSON_GetArrayItem(g->values[k], (int)i);
    return cJSON_IsNumber(v) ? v->valuedouble : (double)NAN;
}
size_t il_sweep_grid_metrics(const il_sweep_grid *g)
{
    return g->n_metrics;
}
const char *il_sweep_grid_metric(const il_sweep_grid *g, size_t m)
{
    return g->metrics[m];
}
uint64_t il_sweep_grid_seed(const il_sweep_grid *g)
{
    return g->seed;
}
const char *il_sweep_grid_kind(const il_sweep_grid *g)
{
    return g->kind->name;
}
