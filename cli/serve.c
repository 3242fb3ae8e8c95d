/* SPDX-License-Identifier: MIT */
/* initlab serve: routing, the JSON API and the compiled-in page (serve.h). */
#include <cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "initlab/netdesc.h"
#include "initlab/recipe.h"
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
    cJSON *root = cJSON_CreateObject(), *inits, *acts, *nets, *recipes, *limits;
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
    /* the networks and recipes of net runs (the page's network picker) */
    nets = ok ? cJSON_AddArrayToObject(root, "nets") : NULL;
    recipes = nets ? cJSON_AddArrayToObject(root, "recipes") : NULL;
    ok = nets && recipes;
    for (size_t i = 0; ok && i < il_net_preset_count(); i++) {
        const il_net_preset *np = il_net_preset_at(i);
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(nets, o) && cJSON_AddStringToObject(o, "name", np->name) &&
             cJSON_AddStringToObject(o, "summary", np->summary) &&
             cJSON_AddStringToObject(o, "keys", np->keys) &&
             cJSON_AddStringToObject(o, "example", np->example);
    }
    for (size_t i = 0; ok && i < il_recipe_count(); i++) {
        const il_recipe *r = il_recipe_at(i);
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(recipes, o) && cJSON_AddStringToObject(o, "name", r->name) &&
             cJSON_AddStringToObject(o, "summary", r->summary) &&
             cJSON_AddStringToObject(o, "source", r->source);
    }
    limits = ok ? cJSON_AddObjectToObject(root, "limits") : NULL;
    ok = limits && cJSON_AddNumberToObject(limits, "max_body_bytes", IL_RUN_MAX_JSON_BYTES) &&
         cJSON_AddNumberToObject(limits, "max_values", (double)cfg->max_values) &&
         cJSON_AddNumberToObject(limits, "max_arms", IL_RUN_MAX_ARMS) &&
         cJSON_AddNumberToObject(limits, "max_layers", IL_RUN_MAX_JSON_LAYERS) &&
         cJSON_AddNumberToObject(limits, "max_memory", (double)cfg->max_memory) &&
         cJSON_AddNumberToObject(limits, "max_work", cfg->max_work) &&
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

/* ---- a run's cost, before it runs (serve.h) ---- */

/* The report's text per arm and layer, in bytes: measured on the pretty-
 * printed report.json of 100 layers x 2 arms (curl ... | wc -c: 89 170,
 * 200 881 with "grad", 246 728 with "theory", 358 439 with both), rounded
 * up for counts and numbers with more digits. */
#define TEXT_LAYER  600.0
#define TEXT_GRAD   700.0
#define TEXT_THEORY 900.0
/* cJSON's tree of the report while it is printed, per byte of its text
 * (a node of 64 bytes for each number of a few characters) */
#define TREE_PER_TEXT 6.0
/* What a run costs beyond its buffers whatever its size (the spec, the
 * tables, the stats' lanes): a run of 3 layers x 100 x 100 raised the
 * server's peak RSS by 0.7 MiB */
#define RUN_FIXED_BYTES (1024.0 * 1024)

/* Work, in multiply-adds of OpenBLAS's dgemm on one thread: the rates
 * below are X-Initlab-Compute-Ms of runs on this machine's 2-core AMD EPYC
 * (one thread per run, the server's default), divided into the 2e10
 * multiply-adds a second it makes (20 layers of 1000 x 1000, batch 1000:
 * 1.0 s). A random value (100 layers of 1000 x 1000, batch 1: 1e8 values
 * in 0.34 s) costs about 70 multiply-adds; an activation's statistics (10
 * layers of width 10 or 100, batch 1e6 or 1e5: 1e8 values in 0.97 or 1.4
 * s) about 180, and its share of the backward pass 8 times that (0.75-1.0
 * s per 1e7 values at width 10); an arm's layer costs 2e5 on its own
 * (1000 layers x 8 arms of width 4: 80 ms) and 4.4e6 with the theory (1.8
 * s); an orthogonal 1000 x 1000 matrix 1.6e9 (5 in 0.41 s). */
#define DRAW_WORK   70.0
#define VALUE_WORK  180.0
#define GRAD_VALUES 8.0
#define LAYER_WORK  2e5
#define THEORY_WORK 4.4e6

/* An orthogonal n x m matrix: the QR of the larger side by the smaller
 * and forming Q, 2 max min^2 */
static double qr_work(double m, double n)
{
    double hi = m > n ? m : n, lo = m > n ? n : m;
    return 2.0 * hi * lo * lo;
}

/* A net run (il_run_spec.net): memory by il_run_memory (it counts the
 * network's buffers) plus the report's text; work as 2 multiply-adds per
 * parameter per example per pass, each arm (3 passes with --grad). The
 * parameters are the bytes il_netdesc_memory does not grow with the
 * batch, 2 m(1) - m(2), over 8: that counts their gradients too, so it
 * errs high, which a budget may. */
static int estimate_net(const il_run_spec *s, size_t exp_bytes, serve_budget *out)
{
    size_t m1, m2;
    double fixed, values, passes = s->grad ? 3.0 : 1.0;
    if (il_netdesc_memory(s->net, 1, &m1) != IL_OK || il_netdesc_memory(s->net, 2, &m2) != IL_OK)
        return -1;
    fixed = 2.0 * (double)m1 - (double)m2;
    values = (fixed > 0 ? fixed : (double)m1) / 8.0;
    /* the report's text: about 64 KiB a point list per arm, four copies */
    double bytes = (double)exp_bytes + RUN_FIXED_BYTES + 4.0 * 65536.0 * (double)(s->n_arms + 1);
    if (!(bytes < (double)SIZE_MAX))
        return -1;
    out->bytes = (size_t)bytes;
    out->work = 2.0 * values * (double)s->batch * (double)s->n_arms * passes;
    return 0;
}

int serve_estimate(const il_run_spec *s, serve_budget *out)
{
    size_t exp_bytes;
    double layers = (double)s->n_layers, arm_layers = (double)s->n_arms * layers, text, bytes;
    double work = 0, prev = (double)s->n_in, batch = (double)s->batch, qr_bytes = 0;
    il_stats_config stats = {s->bins, s->lo, s->hi, IL_STATS_LOW, IL_STATS_HIGH};

    if (il_run_memory(s, &exp_bytes) != IL_OK)
        return -1;
    if (s->net)
        return estimate_net(s, exp_bytes, out);
    text = 4096.0 +
           arm_layers * (TEXT_LAYER + (s->grad ? TEXT_GRAD : 0) + (s->theory ? TEXT_THEORY : 0));
    /* the tree and its text while it is printed, then the text and the
     * answer's buffer (doubling: up to twice the text) with the copy
     * libmicrohttpd sends: the larger of the two */
    bytes =
        (double)exp_bytes + RUN_FIXED_BYTES +
        (TREE_PER_TEXT * text + 2 * text > 4 * text ? TREE_PER_TEXT * text + 2 * text : 4 * text);
    /* the theory's predictions and histograms */
    if (s->theory)
        bytes += arm_layers * (256.0 + 8.0 * (double)s->bins);
    /* the backward pass's two statistics per layer (dL/dz and dL/dW),
     * each as large as the activations' (il_run_memory counts less) */
    if (s->grad)
        bytes += 2 * arm_layers * (double)il_layer_stats_bytes(&stats);
    for (size_t l = 0; l < s->n_layers; l++) {
        double n = (double)s->widths[l], mn = prev * n;
        for (size_t a = 0; a < s->n_arms; a++) {
            const il_init *init = &s->parsed[a].init;
            int iters = 0;
            double pass = mn * batch;
            work += pass * (s->grad ? 3.0 : 1.0) + DRAW_WORK * (mn + (l == 0 ? prev * batch : 0)) +
                    VALUE_WORK * n * batch * (s->grad ? 1 + GRAD_VALUES : 1) + LAYER_WORK +
                    (s->theory ? THEORY_WORK : 0);
            int qr = 0;
            if (il_init_is_lsuv(init, NULL, &iters)) {
                /* each rescaling is another pass through the layer */
                work += (double)iters * pass;
                qr = init->values[0].choice == 0; /* its base is orthogonal */
            } else {
                qr = strcmp(init->type->name, "orthogonal") == 0;
            }
            if (qr) {
                work += qr_work(prev, n);
                qr_bytes = mn * 8 > qr_bytes ? mn * 8 : qr_bytes;
            }
        }
        prev = n;
    }
    /* the QR's copy of the largest orthogonal matrix (measured: 2 layers of
     * 2000 x 2000 orthogonal raised the peak by 64 MiB, kaiming_normal's by
     * 32 MiB) */
    bytes += qr_bytes;
    if (!(bytes < (double)SIZE_MAX))
        return -1;
    out->bytes = (size_t)bytes;
    out->work = work;
    return 0;
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

/* 413 with the estimate and the limit when a run would cost more than
 * the server allows; 0 if it may run. */
static int refuse_over_budget(const serve_config *cfg, const il_run_spec *s, serve_response *out)
{
    serve_budget b;
    char have[32], limit[32];

    if (serve_estimate(s, &b) != 0) {
        json_error(out, 413, "this network is too large (its size overflows)");
        return 1;
    }
    if (cfg->max_memory && b.bytes > cfg->max_memory) {
        json_error(out, 413,
                   "this run needs about %s of memory (%zu bytes, estimated); the server's "
                   "limit is %s (%zu bytes, --max-memory): ask for a smaller network",
                   cli_format_bytes(have, sizeof have, (double)b.bytes), b.bytes,
                   cli_format_bytes(limit, sizeof limit, (double)cfg->max_memory), cfg->max_memory);
        return 1;
    }
    if (cfg->max_work > 0 && b.work > cfg->max_work) {
        json_error(out, 413,
                   "this run needs about %.3g multiply-adds of work (%.0f, estimated); the "
                   "server's limit is %.3g (%.0f, --max-work): ask for a smaller network",
                   b.work, b.work, cfg->max_work, cfg->max_work);
        return 1;
    }
    return 0;
}

/* The request's body as a spec in 's' (initialised), checked: format,
 * JSON, values, budget. 0, or -1 with the refusal in 'out'. */
static int prepare_run(const serve_config *cfg, const char *format, const char *body, size_t len,
                       il_run_spec *s, serve_response *out)
{
    il_error err;
    il_status st;

    if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
        json_error(out, 400, "unknown format '%.100s' (valid: json, csv)", format);
        return -1;
    }
    err.message[0] = '\0';
    st = il_run_spec_from_json(s, body, len, cfg->max_values, &err);
    if (st != IL_OK) {
        json_error(out, status_for(st), "%s", err.message[0] ? err.message : il_status_str(st));
        return -1;
    }
    /* the page's runs: paired on the fast generator, its own bins */
    s->bins = BINS;
    s->classes = CLASSES;
    s->theory_hists = 1;
    if (il_run_spec_validate(s, &err) != IL_OK) {
        json_error(out, 422, "%s", err.message);
        return -1;
    }
    if ((cfg->max_memory || cfg->max_work > 0) && refuse_over_budget(cfg, s, out))
        return -1;
    return 0;
}

int serve_run_refused(const serve_config *cfg, const char *format, const char *body, size_t len,
                      serve_response *out)
{
    il_run_spec *s = il_calloc(1, sizeof *s);
    int refused;

    memset(out, 0, sizeof *out);
    if (!s) {
        json_error(out, 500, "out of memory");
        return 1;
    }
    il_run_spec_init(s);
    refused = prepare_run(cfg, format, body, len, s, out) != 0;
    il_run_spec_release(s);
    il_free(s);
    return refused;
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
    int csv = format && strcmp(format, "csv") == 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!s) {
        json_error(out, 500, "out of memory");
        return;
    }
    il_run_spec_init(s);
    if (prepare_run(cfg, format, body, len, s, out) != 0)
        goto done;
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
