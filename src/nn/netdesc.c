/* SPDX-License-Identifier: MIT */
/*
 * Network descriptions from JSON (see initlab/netdesc.h), and back.
 *
 * A description owns its op tree: the top-level list and every residual's
 * body and shortcut are separate allocations, freed together. Keys are
 * checked per layer type against one table, so a misspelt key is refused
 * with the layer's name instead of being silently ignored.
 */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/netdesc.h"
#include "internal/json.h"
#include "internal/netdesc_impl.h"
#include "internal/spec_impl.h"

/* The keys each type takes, besides "type". */
static const struct {
    const char *type, *keys;
} layer_keys[] = {
    {"dense", "out,bias"},
    {"conv2d", "out,kernel,stride,padding,dilation,groups,bias"},
    {"act", "fn"},
    {"layernorm", "eps"},
    {"rmsnorm", "eps"},
    {"batchnorm", "eps"},
    {"residual", "body,shortcut,alpha"},
    {"attention", "heads,causal,bias"},
    {"embedding", "dim"},
    {"avgpool", "kernel,stride"},
    {"maxpool", "kernel,stride"},
    {"global_avgpool", ""},
    {"flatten", ""},
};

#define MAX_EXTENT ((double)(1u << 24)) /* any one size: 16 Mi */

static const char *keys_of(const char *type)
{
    for (size_t i = 0; i < sizeof layer_keys / sizeof layer_keys[0]; i++)
        if (strcmp(layer_keys[i].type, type) == 0)
            return layer_keys[i].keys;
    return NULL;
}

static int key_allowed(const char *keys, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = keys; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, key, n) == 0)
            return 1;
        p += len + (end ? 1 : 0);
    }
    return 0;
}

static void free_ops(il_op *ops, size_t n)
{
    if (!ops)
        return;
    for (size_t k = 0; k < n; k++) {
        free_ops((il_op *)ops[k].body, ops[k].n_body);
        free_ops((il_op *)ops[k].shortcut, ops[k].shortcut ? 1 : 0);
    }
    il_free(ops);
}

void il_netdesc_free(il_netdesc *d)
{
    if (!d)
        return;
    free_ops(d->ops, d->n_ops);
    il_free(d->preset);
    il_free(d);
}

/* out = where + tail, cut to fit (names deeper than that are refused by
 * the network's own limit anyway). */
static void path_join(char *out, size_t cap, const char *where, const char *tail)
{
    size_t a = strlen(where), b = strlen(tail);
    if (a > cap - 1)
        a = cap - 1;
    if (b > cap - 1 - a)
        b = cap - 1 - a;
    memcpy(out, where, a);
    memcpy(out + a, tail, b);
    out[a + b] = '\0';
}

/* The parser's state: where it is, for messages, and how many ops so far. */
typedef struct reader {
    size_t n_ops, vocab;
    il_error *err;
} reader;

/* A whole number in [lo, MAX_EXTENT] at 'key', or 'def' when absent. */
static il_status get_size(const cJSON *obj, const char *key, double lo, size_t def, int required,
                          const char *where, size_t *out, il_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        if (required) {
            il__set_error(err, "%s: \"%s\" is required", where, key);
            return IL_EINVAL;
        }
        *out = def;
        return IL_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > MAX_EXTENT) {
        il__set_error(err, "%s: \"%s\" must be a whole number from %.0f to %.0f", where, key, lo,
                      MAX_EXTENT);
        return IL_EINVAL;
    }
    *out = (size_t)v->valuedouble;
    return IL_OK;
}

static il_status get_bool(const cJSON *obj, const char *key, int def, const char *where, int *out,
                          il_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        *out = def;
        return IL_OK;
    }
    if (!cJSON_IsBool(v)) {
        il__set_error(err, "%s: \"%s\" must be true or false", where, key);
        return IL_EINVAL;
    }
    *out = cJSON_IsTrue(v);
    return IL_OK;
}

static il_status get_real(const cJSON *obj, const char *key, double def, int positive,
                          const char *where, double *out, il_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        *out = def;
        return IL_OK;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || (positive && !(v->valuedouble > 0))) {
        il__set_error(err, "%s: \"%s\" must be a %snumber", where, key,
                      positive ? "positive " : "finite ");
        return IL_EINVAL;
    }
    *out = v->valuedouble;
    return IL_OK;
}

static il_status read_list(reader *r, const cJSON *arr, const char *where, il_op **out,
                           size_t *n_out);

static il_status read_layer(reader *r, const cJSON *obj, const char *where, il_op *op)
{
    const cJSON *t, *item;
    const char *keys;
    il_status st = IL_OK;
    il_error *err = r->err;

    memset(op, 0, sizeof *op);
    op->alpha = 1.0;
    if (++r->n_ops > IL__NETDESC_MAX_OPS) {
        il__set_error(err, "%s: more than %d layers", where, IL__NETDESC_MAX_OPS);
        return IL_ELIMIT;
    }
    if (!cJSON_IsObject(obj)) {
        il__set_error(err, "%s: a layer is an object with a \"type\"", where);
        return IL_EINVAL;
    }
    t = cJSON_GetObjectItemCaseSensitive(obj, "type");
    if (!cJSON_IsString(t) || !t->valuestring) {
        il__set_error(err, "%s: \"type\" is required (a string)", where);
        return IL_EINVAL;
    }
    keys = keys_of(t->valuestring);
    op->type = il_op_find(t->valuestring);
    if (!keys || !op->type) {
        const char *names[sizeof layer_keys / sizeof layer_keys[0]];
        size_t n = 0;
        for (size_t i = 0; i < sizeof layer_keys / sizeof layer_keys[0]; i++)
            if (il_op_find(layer_keys[i].type))
                names[n++] = layer_keys[i].type;
        il__unknown_name(err, "layer type", t->valuestring, names, n);
        if (err) {
            il_error inner = *err;
            il__set_error(err, "%s: %s", where, inner.message);
        }
        return IL_ENOTFOUND;
    }
    cJSON_ArrayForEach(item, obj)
    {
        if (strcmp(item->string, "type") != 0 && !key_allowed(keys, item->string)) {
            il__set_error(err, "%s: unknown key \"%s\"; %s takes %s", where, item->string,
                          t->valuestring, *keys ? keys : "no keys");
            return IL_EINVAL;
        }
    }
    if (strcmp(t->valuestring, "dense") == 0) {
        if ((st = get_size(obj, "out", 1, 0, 1, where, &op->out, err)) == IL_OK)
            st = get_bool(obj, "bias", 1, where, &op->bias, err);
    } else if (strcmp(t->valuestring, "conv2d") == 0) {
        if ((st = get_size(obj, "out", 1, 0, 1, where, &op->out, err)) == IL_OK &&
            (st = get_size(obj, "kernel", 1, 0, 1, where, &op->kernel, err)) == IL_OK &&
            (st = get_size(obj, "stride", 1, 1, 0, where, &op->stride, err)) == IL_OK &&
            (st = get_size(obj, "padding", 0, 0, 0, where, &op->padding, err)) == IL_OK &&
            (st = get_size(obj, "dilation", 1, 1, 0, where, &op->dilation, err)) == IL_OK &&
            (st = get_size(obj, "groups", 1, 1, 0, where, &op->groups, err)) == IL_OK)
            st = get_bool(obj, "bias", 0, where, &op->bias, err);
    } else if (strcmp(t->valuestring, "act") == 0) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(obj, "fn");
        il_error inner;
        if (!cJSON_IsString(fn) || !fn->valuestring) {
            il__set_error(err, "%s: \"fn\" is required (an activation name)", where);
            return IL_EINVAL;
        }
        st = il_act_parse(fn->valuestring, &op->act, &inner);
        if (st != IL_OK)
            il__set_error(err, "%s: \"fn\": %s", where, inner.message);
    } else if (strstr(t->valuestring, "norm")) {
        st = get_real(obj, "eps", 1e-5, 1, where, &op->eps, err);
    } else if (strcmp(t->valuestring, "residual") == 0) {
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(obj, "body");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(obj, "shortcut");
        char sub[256];
        il_op *ops = NULL;
        path_join(sub, sizeof sub, where, ".body");
        if (!cJSON_IsArray(body) || cJSON_GetArraySize(body) < 1) {
            il__set_error(err, "%s: \"body\" must be a list of at least one layer", where);
            return IL_EINVAL;
        }
        st = read_list(r, body, sub, &ops, &op->n_body);
        op->body = ops;
        if (st == IL_OK && sc) {
            il_op *s = il_calloc(1, sizeof *s);
            if (!s)
                return IL_ENOMEM;
            op->shortcut = s;
            path_join(sub, sizeof sub, where, ".shortcut");
            st = read_layer(r, sc, sub, s);
        }
        op->has_alpha = cJSON_GetObjectItemCaseSensitive(obj, "alpha") != NULL;
        if (st == IL_OK)
            st = get_real(obj, "alpha", 1.0, 0, where, &op->alpha, err);
    } else if (strcmp(t->valuestring, "attention") == 0) {
        if ((st = get_size(obj, "heads", 1, 0, 1, where, &op->heads, err)) == IL_OK &&
            (st = get_bool(obj, "causal", 0, where, &op->causal, err)) == IL_OK)
            st = get_bool(obj, "bias", 1, where, &op->bias, err);
    } else if (strcmp(t->valuestring, "embedding") == 0) {
        st = get_size(obj, "dim", 1, 0, 1, where, &op->out, err);
        op->vocab = r->vocab;
    } else if (strstr(t->valuestring, "pool") && strcmp(t->valuestring, "global_avgpool") != 0) {
        if ((st = get_size(obj, "kernel", 1, 0, 1, where, &op->kernel, err)) == IL_OK)
            st = get_size(obj, "stride", 1, op->kernel, 0, where, &op->stride, err);
    }
    return st;
}

static il_status read_list(reader *r, const cJSON *arr, const char *where, il_op **out,
                           size_t *n_out)
{
    size_t n = (size_t)cJSON_GetArraySize(arr), k = 0;
    il_op *ops = il_calloc(n ? n : 1, sizeof *ops);
    const cJSON *item;
    il_status st = IL_OK;

    *out = ops;
    *n_out = 0;
    if (!ops)
        return IL_ENOMEM;
    /* walk the list once: cJSON_GetArrayItem(arr, k) starts from the head
     * each time, which made a 40000-layer network take minutes to read */
    cJSON_ArrayForEach(item, arr)
    {
        char name[256], index[24];
        if (st != IL_OK)
            break;
        snprintf(index, sizeof index, ".%zu", k);
        path_join(name, sizeof name, where, index);
        st = read_layer(r, item, name, &ops[k]);
        *n_out = ++k; /* what free_ops must walk, the failed one included */
    }
    return st;
}

static il_status read_input(const cJSON *in, il_netdesc *d, il_error *err)
{
    const cJSON *item;
    size_t f = 0, s = 0;
    il_status st;

    if (!cJSON_IsObject(in)) {
        il__set_error(err, "\"input\" is required: {\"features\": F}, {\"seq\": S, \"features\": "
                           "F}, {\"shape\": [C, H, W]} or {\"tokens\": S, \"vocab\": V}");
        return IL_EINVAL;
    }
    cJSON_ArrayForEach(item, in)
    {
        if (!key_allowed("features,seq,shape,tokens,vocab", item->string)) {
            il__set_error(err,
                          "input: unknown key \"%s\"; it takes features, seq, shape, or "
                          "tokens and vocab",
                          item->string);
            return IL_EINVAL;
        }
    }
    if (cJSON_GetObjectItemCaseSensitive(in, "shape")) {
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(in, "shape");
        if (cJSON_GetArraySize(in) != 1 || !cJSON_IsArray(sh) || cJSON_GetArraySize(sh) != 3) {
            il__set_error(err, "input: \"shape\" is [C, H, W], alone");
            return IL_EINVAL;
        }
        d->kind = IL_NET_INPUT_IMAGE;
        d->input.rank = 3;
        for (int i = 0; i < 3; i++) {
            const cJSON *v = cJSON_GetArrayItem(sh, i);
            if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
                v->valuedouble < 1 || v->valuedouble > MAX_EXTENT) {
                il__set_error(err, "input: \"shape\" holds whole numbers from 1 to %.0f",
                              MAX_EXTENT);
                return IL_EINVAL;
            }
            d->input.dim[i] = (size_t)v->valuedouble;
        }
        return IL_OK;
    }
    if (cJSON_GetObjectItemCaseSensitive(in, "tokens")) {
        if (cJSON_GetArraySize(in) != 2) {
            il__set_error(err, "input: {\"tokens\": S, \"vocab\": V}, both, nothing else");
            return IL_EINVAL;
        }
        if ((st = get_size(in, "tokens", 1, 0, 1, "input", &s, err)) != IL_OK ||
            (st = get_size(in, "vocab", 1, 0, 1, "input", &d->vocab, err)) != IL_OK)
            return st;
        d->kind = IL_NET_INPUT_TOKENS;
        d->input = (il_tshape){1, {s, 0, 0, 0}};
        return IL_OK;
    }
    if ((st = get_size(in, "features", 1, 0, 1, "input", &f, err)) != IL_OK)
        return st;
    if (cJSON_GetObjectItemCaseSensitive(in, "vocab")) {
        il__set_error(err, "input: \"vocab\" goes with \"tokens\"");
        return IL_EINVAL;
    }
    if (cJSON_GetObjectItemCaseSensitive(in, "seq")) {
        if ((st = get_size(in, "seq", 1, 0, 1, "input", &s, err)) != IL_OK)
            return st;
        d->kind = IL_NET_INPUT_SEQ;
        d->input = (il_tshape){2, {s, f, 0, 0}};
    } else {
        d->kind = IL_NET_INPUT_FEATURES;
        d->input = (il_tshape){1, {f, 0, 0, 0}};
    }
    return IL_OK;
}

il_status il__netdesc_from_cjson(const cJSON *root, il_netdesc **out, il_error *err)
{
    il_netdesc *d;
    const cJSON *item, *layers;
    reader r;
    il_status st;

    if (!cJSON_IsObject(root)) {
        il__set_error(err, "a network is an object with \"input\" and \"layers\"");
        return IL_EINVAL;
    }
    cJSON_ArrayForEach(item, root)
    {
        if (strcmp(item->string, "input") != 0 && strcmp(item->string, "layers") != 0) {
            il__set_error(err, "network: unknown key \"%s\"; it takes input and layers",
                          item->string);
            return IL_EINVAL;
        }
    }
    layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
    if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) < 1) {
        il__set_error(err, "\"layers\" must be a list of at least one layer");
        return IL_EINVAL;
    }
    d = il_calloc(1, sizeof *d);
    if (!d)
        return IL_ENOMEM;
    if (err)
        err->message[0] = '\0';
    st = read_input(cJSON_GetObjectItemCaseSensitive(root, "input"), d, err);
    memset(&r, 0, sizeof r);
    r.vocab = d->vocab;
    r.err = err;
    if (st == IL_OK)
        st = read_list(&r, layers, "layers", &d->ops, &d->n_ops);
    if (st != IL_OK) {
        il_netdesc_free(d);
        return st;
    }
    *out = d;
    return IL_OK;
}

il_status il_netdesc_from_json(const char *text, size_t len, il_netdesc **out, il_error *err)
{
    cJSON *root = NULL;
    il_status st = il__json_parse(text, len, &root, err);
    if (st != IL_OK)
        return st;
    st = il__netdesc_from_cjson(root, out, err);
    cJSON_Delete(root);
    return st;
}

il_status il_netdesc_parse(const char *text, il_netdesc **out, il_error *err)
{
    const char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p == '{')
        return il_netdesc_from_json(text, strlen(text), out, err);
    return il_netdesc_from_preset(text, out, err);
}

il_net_input_kind il_netdesc_input_kind(const il_netdesc *d)
{
    return d->kind;
}

const il_tshape *il_netdesc_input(const il_netdesc *d)
{
    return &d->input;
}

size_t il_netdesc_vocab(const il_netdesc *d)
{
    return d->vocab;
}

const il_op *il_netdesc_ops(const il_netdesc *d, size_t *n_ops)
{
    *n_ops = d->n_ops;
    return d->ops;
}

const char *il_netdesc_preset(const il_netdesc *d)
{
    return d->preset;
}

il_status il_netdesc_build(const il_netdesc *d, size_t batch, il_net **out, il_error *err)
{
    return il_net_new(&d->input, d->ops, d->n_ops, batch, out, err);
}

il_status il_netdesc_memory(const il_netdesc *d, size_t batch, size_t *bytes)
{
    return il_net_memory(&d->input, d->ops, d->n_ops, batch, bytes, NULL);
}

/* ---- back to JSON ---- */

static cJSON *layer_json(const il_op *op);

static cJSON *list_json(const il_op *ops, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t k = 0; arr && k < n; k++) {
        cJSON *l = layer_json(&ops[k]);
        if (!l || !cJSON_AddItemToArray(arr, l)) {
            cJSON_Delete(l);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

static cJSON *layer_json(const il_op *op)
{
    cJSON *o = cJSON_CreateObject();
    const char *t = op->type->name;
    int ok;

    if (!o)
        return NULL;
    ok = cJSON_AddStringToObject(o, "type", t) != NULL;
    if (strcmp(t, "dense") == 0) {
        ok = ok && cJSON_AddNumberToObject(o, "out", (double)op->out);
        ok = ok && cJSON_AddBoolToObject(o, "bias", op->bias);
    } else if (strcmp(t, "conv2d") == 0) {
        ok = ok && cJSON_AddNumberToObject(o, "out", (double)op->out) &&
             cJSON_AddNumberToObject(o, "kernel", (double)op->kernel) &&
             cJSON_AddNumberToObject(o, "stride", (double)op->stride) &&
             cJSON_AddNumberToObject(o, "padding", (double)op->padding) &&
             cJSON_AddNumberToObject(o, "dilation", (double)op->dilation) &&
             cJSON_AddNumberToObject(o, "groups", (double)op->groups) &&
             cJSON_AddBoolToObject(o, "bias", op->bias);
    } else if (strcmp(t, "act") == 0) {
        char spec[IL__SPEC_TEXT_MAX * 2];
        il_act_format(&op->act, spec, sizeof spec);
        ok = ok && cJSON_AddStringToObject(o, "fn", spec);
    } else if (strstr(t, "norm")) {
        ok = ok && cJSON_AddNumberToObject(o, "eps", op->eps);
    } else if (strcmp(t, "residual") == 0) {
        cJSON *body = list_json(op->body, op->n_body);
        ok = ok && body && cJSON_AddItemToObject(o, "body", body);
        if (!ok)
            cJSON_Delete(body);
        if (ok && op->shortcut) {
            cJSON *s = layer_json(op->shortcut);
            ok = s && cJSON_AddItemToObject(o, "shortcut", s);
            if (!ok)
                cJSON_Delete(s);
        }
        if (ok && op->has_alpha)
            ok = cJSON_AddNumberToObject(o, "alpha", op->alpha) != NULL;
    } else if (strcmp(t, "attention") == 0) {
        ok = ok && cJSON_AddNumberToObject(o, "heads", (double)op->heads) &&
             cJSON_AddBoolToObject(o, "causal", op->causal) &&
             cJSON_AddBoolToObject(o, "bias", op->bias);
    } else if (strcmp(t, "embedding") == 0) {
        ok = ok && cJSON_AddNumberToObject(o, "dim", (double)op->out);
    } else if (strstr(t, "pool") && strcmp(t, "global_avgpool") != 0) {
        ok = ok && cJSON_AddNumberToObject(o, "kernel", (double)op->kernel) &&
             cJSON_AddNumberToObject(o, "stride", (double)op->stride);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

char *il_netdesc_to_json(const il_netdesc *d)
{
    cJSON *root = cJSON_CreateObject(), *in = cJSON_CreateObject(), *layers;
    char *text = NULL, *copy = NULL;
    int ok = root && in && cJSON_AddItemToObject(root, "input", in);

    if (!ok)
        cJSON_Delete(in);
    switch (d->kind) {
    case IL_NET_INPUT_FEATURES:
        ok = ok && cJSON_AddNumberToObject(in, "features", (double)d->input.dim[0]);
        break;
    case IL_NET_INPUT_SEQ:
        ok = ok && cJSON_AddNumberToObject(in, "seq", (double)d->input.dim[0]) &&
             cJSON_AddNumberToObject(in, "features", (double)d->input.dim[1]);
        break;
    case IL_NET_INPUT_IMAGE: {
        double dims[3] = {(double)d->input.dim[0], (double)d->input.dim[1],
                          (double)d->input.dim[2]};
        cJSON *sh = ok ? cJSON_CreateDoubleArray(dims, 3) : NULL;
        ok = ok && sh && cJSON_AddItemToObject(in, "shape", sh);
        break;
    }
    case IL_NET_INPUT_TOKENS:
        ok = ok && cJSON_AddNumberToObject(in, "tokens", (double)d->input.dim[0]) &&
             cJSON_AddNumberToObject(in, "vocab", (double)d->vocab);
        break;
    }
    layers = ok ? list_json(d->ops, d->n_ops) : NULL;
    ok = ok && layers && cJSON_AddItemToObject(root, "layers", layers);
    if (ok)
        text = cJSON_Print(root);
    if (text) {
        size_t n = strlen(text);
        copy = il_malloc(n + 1);
        if (copy)
            memcpy(copy, text, n + 1);
        cJSON_free(text);
    }
    cJSON_Delete(root);
    return copy;
}
