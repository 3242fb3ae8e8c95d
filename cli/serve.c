/* SPDX-License-Identifier: MIT */
/* initlab serve: routing, the JSON API and the compiled-in page (serve.h). */
#include <cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "serve.h"

#define BINS        30
#define CLASSES     10
#define JSON_TYPE   "application/json; charset=utf-8"
#define CSV_TYPE    "text/csv; charset=utf-8"
#define MAX_ERR_LEN 600

static void set_body(serve_response *out, int status, const char *type)
{
    out->status = status;
    out->content_type = type;
    out->body = out->owned.data;
    out->len = out->owned.len;
}

/* {"error": message}; falls back to a fixed text when out of memory. */
static void json_error(serve_response *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void json_error(serve_response *out, int status, const char *fmt, ...)
{
    static const char oom[] = "{\"error\": \"out of memory\"}\n";
    char msg[MAX_ERR_LEN];
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    il_membuf_release(&out->owned);
    if (o && cJSON_AddStringToObject(o, "error", msg))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text && il_membuf_write(&out->owned, text, strlen(text)) == IL_OK &&
        il_membuf_write(&out->owned, "\n", 1) == IL_OK) {
        set_body(out, status, JSON_TYPE);
    } else {
        il_membuf_release(&out->owned);
        out->status = status;
        out->content_type = JSON_TYPE;
        out->body = (const unsigned char *)oom;
        out->len = sizeof oom - 1;
    }
    cJSON_free(text);
}

int serve_host_allowed(const serve_config *cfg, const char *host)
{
    static const char *const loopback[] = {"localhost", "localhost.", "127.0.0.1", "[::1]"};
    const char *colon;
    size_t n;

    if (!host || !*host)
        return 0;
    /* name[:port]; an IPv6 literal is bracketed, so its last ':' follows ']' */
    colon = strrchr(host, ':');
    if (colon && (host[0] != '[' || colon > strchr(host, ']'))) {
        if (colon[1] == '\0' || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
            strlen(colon + 1) > 5)
            return 0;
        n = (size_t)(colon - host);
    } else {
        n = strlen(host);
    }
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++)
        if (strlen(loopback[i]) == n && strncmp(host, loopback[i], n) == 0)
            return 1;
    for (size_t i = 0; i < cfg->n_allow_hosts; i++)
        if (strlen(cfg->allow_hosts[i]) == n && strncmp(host, cfg->allow_hosts[i], n) == 0)
            return 1;
    return cfg->bind_host && strlen(cfg->bind_host) == n && strncmp(host, cfg->bind_host, n) == 0;
}

/* ---- GET /api/list ---- */

static cJSON *params_json(const il_param *params, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        const il_param *p = &params[i];
        cJSON *o = cJSON_CreateObject();
        int ok = o != NULL;
        cJSON_AddItemToArray(arr, o);
        ok = ok && cJSON_AddStringToObject(o, "name", p->name) &&
             cJSON_AddStringToObject(o, "kind", p->kind == IL_PARAM_NUMBER ? "number" : "choice") &&
             cJSON_AddBoolToObject(o, "required", p->required) &&
             cJSON_AddStringToObject(o, "help", p->help ? p->help : "");
        if (ok && p->kind == IL_PARAM_NUMBER) {
            ok = cJSON_AddNumberToObject(o, "default", p->def_number) != NULL;
        } else if (ok) {
            cJSON *ch = cJSON_AddArrayToObject(o, "choices");
            ok = ch && cJSON_AddStringToObject(o, "default", p->choices[p->def_choice]);
            for (size_t k = 0; ok && p->choices[k]; k++) {
                cJSON *s = cJSON_CreateString(p->choices[k]);
                ok = s != NULL;
                cJSON_AddItemToArray(ch, s);
            }
        }
        if (!ok) {
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

/* {"params", "name", "formula"} of one registry entry, appended to 'arr';
 * NULL when out of memory (whatever was made is owned by 'arr' or freed). */
static cJSON *entry_json(cJSON *arr, const char *name, const char *formula, const il_param *params,
                         size_t n_params)
{
    cJSON *o = cJSON_CreateObject(), *p = params_json(params, n_params);
    if (!o || !p) {
        cJSON_Delete(o);
        cJSON_Delete(p);
        return NULL;
    }
    cJSON_AddItemToArray(arr, o);
    cJSON_AddItemToObject(o, "params", p);
    if (!cJSON_AddStringToObject(o, "name", name) ||
        !cJSON_AddStringToObject(o, "formula", formula))
        return NULL;
    return o;
}

static void handle_list(const serve_config *cfg, serve_response *out)
{
    cJSON *root = cJSON_CreateObject(), *inits, *acts, *limits;
    char *text = NULL;
    int ok = root != NULL;

    inits = ok ? cJSON_AddArrayToObject(root, "inits") : NULL;
    acts = ok ? cJSON_AddArrayToObject(root, "acts") : NULL;
    ok = inits && acts;
    for (size_t i = 0; ok && i < il_init_type_count(); i++) {
        const il_init_type *t = il_init_type_at(i);
        cJSON *o = entry_json(inits, t->name, t->formula, t->params, t->n_params);
        ok = o && cJSON_AddStringToObject(o, "source", t->source ? t->source : "");
    }
    for (size_t i = 0; ok && i < il_act_type_count(); i++) {
        const il_act_type *t = il_act_type_at(i);
        il_act a = {t, {{0, 0}}};
        cJSON *o = entry_json(acts, t->name, t->formula, t->params, t->n_params);
        for (size_t k = 0; k < t->n_params; k++)
            a.values[k] = (il_value){t->params[k].def_number, t->params[k].def_choice};
        ok = o && cJSON_AddNumberToObject(o, "gain", il_act_gain(&a)) &&
             cJSON_AddNumberToObject(o, "view_lo", t->view_lo) &&
             cJSON_AddNumberToObject(o, "view_hi", t->view_hi);
    }
    limits = ok ? cJSON_AddObjectToObject(root, "limits") : NULL;
    ok = limits && cJSON_AddNumberToObject(limits, "max_body_bytes", IL_RUN_MAX_JSON_BYTES) &&
         cJSON_AddNumberToObject(limits, "max_values", (double)cfg->max_values) &&
         cJSON_AddNumberToObject(limits, "max_arms", IL_RUN_MAX_ARMS) &&
         cJSON_AddNumberToObject(limits, "max_layers", IL_RUN_MAX_JSON_LAYERS) &&
         cJSON_AddStringToObject(root, "version", INITLAB_VERSION);
    if (ok)
        text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text || il_membuf_write(&out->owned, text, strlen(text)) != IL_OK ||
        il_membuf_write(&out->owned, "\n", 1) != IL_OK) {
        cJSON_free(text);
        json_error(out, 500, "out of memory");
        return;
    }
    cJSON_free(text);
    set_body(out, 200, JSON_TYPE);
}

/* ---- POST /api/run ---- */

static int status_for(il_status st)
{
    switch (st) {
    case IL_EFORMAT:
        return 400;
    case IL_ELIMIT:
        return 413;
    case IL_ENOMEM:
        return 500;
    default:
        return 422;
    }
}

static double ms_since(const struct timespec *t0)
{
    return 1000.0 * cli_seconds_since(t0);
}

/* The run's cancellation check: the point where a running request can be
 * stopped (after each layer of every arm without gradients, after each
 * arm's passes with them). 'why' says it was stopped. */
typedef struct stop_check {
    const serve_config *cfg;
    const char *why;
} stop_check;

static int check_stop(void *ctx)
{
    stop_check *sc = ctx;
    sc->why = sc->cfg->should_stop(sc->cfg->stop_ctx);
    return sc->why != NULL;
}

static void handle_run(const serve_config *cfg, const char *format, const char *body, size_t len,
                       serve_response *out)
{
    il_run_spec *s = il_calloc(1, sizeof *s);
    il_run_result *res = NULL;
    il_report report;
    il_error err;
    il_status st;
    stop_check sc = {cfg, NULL};
    il_run_hooks hooks = {NULL, NULL, NULL, NULL};
    struct timespec t0;
    int csv;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!s) {
        json_error(out, 500, "out of memory");
        return;
    }
    il_run_spec_init(s);
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
        json_error(out, 400, "unknown format '%.100s' (valid: json, csv)", format);
        goto done;
    }
    csv = format && strcmp(format, "csv") == 0;
    err.message[0] = '\0';
    st = il_run_spec_from_json(s, body, len, cfg->max_values, &err);
    if (st != IL_OK) {
        json_error(out, status_for(st), "%s", err.message[0] ? err.message : il_status_str(st));
        goto done;
    }
    /* the page's runs: paired on the fast generator, its own bins */
    s->bins = BINS;
    s->classes = CLASSES;
    s->theory_hists = 1;
    if (il_run_spec_validate(s, &err) != IL_OK) {
        json_error(out, 422, "%s", err.message);
        goto done;
    }
    err.message[0] = '\0';
    hooks.cancel = cfg->should_stop ? check_stop : NULL;
    hooks.ctx = &sc;
    st = il_run_execute(s, &hooks, &res, &err);
    if (st == IL_ECANCELED && sc.why) {
        json_error(out, 503, "%s", sc.why);
        goto done;
    }
    if (st != IL_OK) {
        json_error(out, status_for(st), "%s", err.message[0] ? err.message : il_status_str(st));
        goto done;
    }
    il_run_result_report(res, "run", &report);
    out->compute_ms = ms_since(&t0);
    st = csv ? il_report_write_csv(&report, il_membuf_write, &out->owned)
             : il_report_write_json(&report, il_membuf_write, &out->owned);
    if (st != IL_OK) {
        json_error(out, 500, "%s", il_status_str(st));
        goto done;
    }
    set_body(out, 200, csv ? CSV_TYPE : JSON_TYPE);
done:
    il_run_result_free(res);
    il_run_spec_release(s);
    il_free(s);
}

/* ---- routing ---- */

static const serve_asset *find_asset(const char *path)
{
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (size_t i = 0; i < serve_asset_count; i++)
        if (strcmp(serve_assets[i].path, path) == 0)
            return &serve_assets[i];
    return NULL;
}

void serve_handle(const serve_config *cfg, const char *method, const char *path, const char *format,
                  const char *host, const char *body, size_t len, serve_response *out)
{
    const serve_asset *asset;
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

    memset(out, 0, sizeof *out);
    if (!serve_host_allowed(cfg, host)) {
        /* A page on another site can make a browser send requests here
         * under a name that resolves to 127.0.0.1 (DNS rebinding); such a
         * request names that site in its Host header. */
        json_error(out, 403, "Host '%.200s' is not this server's (use http://127.0.0.1:%u/)",
                   host ? host : "", cfg->port);
        return;
    }
    if (strcmp(path, "/api/run") == 0) {
        if (strcmp(method, "POST") != 0) {
            json_error(out, 405, "/api/run takes POST with a JSON body");
            out->allow = "POST";
            return;
        }
        handle_run(cfg, format, body, len, out);
        return;
    }
    if (strcmp(path, "/api/list") == 0) {
        if (!get) {
            json_error(out, 405, "/api/list takes GET");
            out->allow = "GET, HEAD";
            return;
        }
        handle_list(cfg, out);
        return;
    }
    asset = find_asset(path);
    if (!asset) {
        json_error(out, 404, "no such page: '%.200s'", path);
        return;
    }
    if (!get) {
        json_error(out, 405, "%.200s takes GET", path);
        out->allow = "GET, HEAD";
        return;
    }
    out->status = 200;
    out->content_type = asset->content_type;
    out->body = asset->data;
    out->len = asset->len;
}

void serve_response_release(serve_response *out)
{
    il_membuf_release(&out->owned);
    out->body = NULL;
    out->len = 0;
}

void serve_error(serve_response *out, int status, const char *message)
{
    json_error(out, status, "%s", message);
}
