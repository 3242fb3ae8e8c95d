/* SPDX-License-Identifier: MIT */
/* A run described in JSON (see initlab/run.h), read with cJSON: the one
 * place a run's JSON form is understood. */
#include <cJSON.h>
#include <math.h>
#include <string.h>

#include "initlab/act.h"
#include "initlab/init.h"
#include "initlab/run.h"
#include "internal/json.h"
#include "internal/netdesc_impl.h"
#include "internal/spec_impl.h"

/* A whole number in [lo, hi] under 'key'; 1 if absent (out untouched). */
static il_status get_count(const cJSON *obj, const char *key, double lo, double hi, uint64_t *out,
                           il_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return IL_OK;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
        !(v->valuedouble >= lo && v->valuedouble <= hi)) {
        il__set_error(err, "\"%s\" must be a whole number in %.0f..%.0f", key, lo, hi);
        return IL_EINVAL;
    }
    *out = (uint64_t)v->valuedouble;
    return IL_OK;
}

static il_status get_flag(const cJSON *obj, const char *key, int *out, il_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return IL_OK;
    if (!cJSON_IsBool(v)) {
        il__set_error(err, "\"%s\" must be true or false", key);
        return IL_EFORMAT;
    }
    *out = cJSON_IsTrue(v);
    return IL_OK;
}

enum {
    SPEC_INIT,
    SPEC_ACT,
    SPEC_RECIPE
};

/* A spec string under 'key' of arm 'k' that its parser (of 'kind') accepts. */
static il_status get_spec(const cJSON *arm, size_t k, const char *key, int required, char *out,
                          size_t cap, int kind, il_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(arm, key);
    il_error inner;
    il_init init;
    il_act act;
    il_recipe_spec recipe;
    il_status st;

    out[0] = '\0';
    if (!v && !required)
        return IL_OK;
    if (!v || !cJSON_IsString(v) || !v->valuestring || strlen(v->valuestring) >= cap ||
        !v->valuestring[0]) {
        il__set_error(err, "arm %zu: \"%s\" must be a spec string of 1..%zu characters", k + 1, key,
                      cap - 1);
        return IL_EFORMAT;
    }
    st = kind == SPEC_ACT      ? il_act_parse(v->valuestring, &act, &inner)
         : kind == SPEC_RECIPE ? il_recipe_parse(v->valuestring, &recipe, &inner)
                               : il_init_parse(v->valuestring, &init, &inner);
    if (st != IL_OK) {
        il__set_error(err, "arm %zu: \"%s\": %s", k + 1, key, inner.message);
        return IL_EINVAL;
    }
    strcpy(out, v->valuestring);
    return IL_OK;
}

static int known_key(const char *key, const char *const *keys)
{
    for (; *keys; keys++)
        if (strcmp(key, *keys) == 0)
            return 1;
    return 0;
}

static il_status parse_root(const cJSON *root, size_t max_values, il_run_spec *out, il_error *err)
{
    static const char *const top_keys[] = {"depth", "width",  "widths", "batch", "seed", "arms",
                                           "grad",  "theory", "corr",   "net",   NULL};
    static const char *const arm_keys[] = {"init", "act", "bias", "recipe", NULL};
    const cJSON *net = cJSON_GetObjectItemCaseSensitive(root, "net");
    const cJSON *item, *widths = cJSON_GetObjectItemCaseSensitive(root, "widths"),
                       *arms = cJSON_GetObjectItemCaseSensitive(root, "arms");
    uint64_t depth = 5, width = 100, batch = 1000, seed = 100;
    il_status st;
    size_t widest;
    int grad = 0;

    if (!cJSON_IsObject(root)) {
        il__set_error(err, "the request must be a JSON object");
        return IL_EFORMAT;
    }
    cJSON_ArrayForEach(item, root)
    {
        if (!known_key(item->string, top_keys)) {
            il__set_error(err,
                          "unknown key \"%.64s\" (valid: depth, width, widths, batch, seed, "
                          "arms, grad, theory, corr, net)",
                          item->string);
            return IL_EFORMAT;
        }
    }
    if (net && (widths || cJSON_GetObjectItemCaseSensitive(root, "width") ||
                cJSON_GetObjectItemCaseSensitive(root, "depth"))) {
        il__set_error(err, "give \"net\" or the MLP's \"depth\", \"width\", \"widths\", not both");
        return IL_EINVAL;
    }
    if (net) {
        il_error inner;
        il_netdesc_free(out->net);
        out->net = NULL;
        st = cJSON_IsString(net) ? il_netdesc_from_preset(net->valuestring, &out->net, &inner)
                                 : il__netdesc_from_cjson(net, &out->net, &inner);
        if (st != IL_OK) {
            il__set_error(err, "\"net\": %s", inner.message);
            return st == IL_ENOMEM ? st : IL_EINVAL;
        }
    }
    if (widths && (cJSON_GetObjectItemCaseSensitive(root, "width") ||
                   cJSON_GetObjectItemCaseSensitive(root, "depth"))) {
        il__set_error(err, "give \"widths\" or \"depth\" and \"width\", not both");
        return IL_EINVAL;
    }
    if ((st = get_count(root, "depth", 1, IL_RUN_MAX_JSON_LAYERS, &depth, err)) != IL_OK ||
        (st = get_count(root, "width", 1, 1e9, &width, err)) != IL_OK ||
        (st = get_count(root, "batch", 1, 1e9, &batch, err)) != IL_OK ||
        (st = get_count(root, "seed", 0, 4294967295.0, &seed, err)) != IL_OK ||
        (st = get_flag(root, "grad", &grad, err)) != IL_OK ||
        (st = get_flag(root, "theory", &out->theory, err)) != IL_OK ||
        (st = get_flag(root, "corr", &out->corr, err)) != IL_OK)
        return st;
    out->grad |= grad;
    out->batch = (size_t)batch;
    out->seed = seed;
    if (widths) {
        int n = cJSON_GetArraySize(widths);
        if (!cJSON_IsArray(widths) || n < 2 || n > IL_RUN_MAX_JSON_LAYERS + 1) {
            il__set_error(err, "\"widths\" must be an array of 2..%d widths (input first)",
                          IL_RUN_MAX_JSON_LAYERS + 1);
            return IL_EFORMAT;
        }
        if ((st = il_run_spec_set_widths(out, 0, NULL, (size_t)n - 1)) != IL_OK)
            return st;
        out->widths_given = 1;
        for (int i = 0; i < n; i++) {
            const cJSON *w = cJSON_GetArrayItem(widths, i);
            if (!cJSON_IsNumber(w) || w->valuedouble != floor(w->valuedouble) ||
                !(w->valuedouble >= 1 && w->valuedouble <= 1e9)) {
                il__set_error(err, "\"widths\"[%d] must be a whole number in 1..1000000000", i);
                return IL_EINVAL;
            }
            if (i == 0)
                out->n_in = (size_t)w->valuedouble;
            else
                out->widths[i - 1] = (size_t)w->valuedouble;
        }
    } else if ((st = il_run_spec_set_uniform(out, (size_t)depth, (size_t)width)) != IL_OK) {
        return st;
    }
    widest = out->n_in;
    for (size_t l = 0; l < out->n_layers; l++)
        widest = out->widths[l] > widest ? out->widths[l] : widest;
    /* in doubles: each factor is at most 1e9, so nothing overflows */
    if (max_values &&
        (double)out->batch * (double)widest * (double)out->n_layers > (double)max_values) {
        il__set_error(err, "batch x widest layer x layers = %.0f values; the limit is %zu",
                      (double)out->batch * (double)widest * (double)out->n_layers, max_values);
        return IL_ELIMIT;
    }
    if (!cJSON_IsArray(arms) || cJSON_GetArraySize(arms) < 1 ||
        cJSON_GetArraySize(arms) > IL_RUN_MAX_ARMS) {
        il__set_error(err, "\"arms\" must be an array of 1..%d arms", IL_RUN_MAX_ARMS);
        return IL_EFORMAT;
    }
    out->n_arms = (size_t)cJSON_GetArraySize(arms);
    for (size_t k = 0; k < out->n_arms; k++) {
        const cJSON *arm = cJSON_GetArrayItem(arms, (int)k);
        il_run_arm *a = &out->arms[k];
        if (!cJSON_IsObject(arm)) {
            il__set_error(err, "arm %zu must be an object {\"init\", \"act\", \"bias\"}", k + 1);
            return IL_EFORMAT;
        }
        cJSON_ArrayForEach(item, arm)
        {
            if (!known_key(item->string, arm_keys)) {
                il__set_error(err,
                              "arm %zu: unknown key \"%.64s\" (valid: init, act, bias, recipe)",
                              k + 1, item->string);
                return IL_EFORMAT;
            }
        }
        if (net) {
            if ((st = get_spec(arm, k, "init", 0, a->init, sizeof a->init, 0, err)) != IL_OK ||
                (st = get_spec(arm, k, "recipe", 0, a->recipe, sizeof a->recipe, SPEC_RECIPE,
                               err)) != IL_OK ||
                (st = get_spec(arm, k, "act", 0, a->act, sizeof a->act, 1, err)) != IL_OK ||
                (st = get_spec(arm, k, "bias", 0, a->bias, sizeof a->bias, 0, err)) != IL_OK)
                return st;
            continue;
        }
        if (cJSON_GetObjectItemCaseSensitive(arm, "recipe")) {
            il__set_error(err, "arm %zu: \"recipe\" needs a \"net\"", k + 1);
            return IL_EINVAL;
        }
        if ((st = get_spec(arm, k, "init", 1, a->init, sizeof a->init, 0, err)) != IL_OK ||
            (st = get_spec(arm, k, "act", 1, a->act, sizeof a->act, 1, err)) != IL_OK ||
            (st = get_spec(arm, k, "bias", 0, a->bias, sizeof a->bias, 0, err)) != IL_OK)
            return st;
    }
    return IL_OK;
}

il_status il_run_spec_from_json(il_run_spec *s, const char *json, size_t len, size_t max_values,
                                il_error *err)
{
    cJSON *root;
    il_status st;

    s->from_json = 1;
    if (len > IL_RUN_MAX_JSON_BYTES) {
        il__set_error(err, "the request is %zu bytes; at most %d are read", len,
                      IL_RUN_MAX_JSON_BYTES);
        return IL_ELIMIT;
    }
    /* strict: no duplicate key, trailing data, NUL, bad UTF-8, deep nesting
     * or infinite number reaches the tree (internal/json.h) */
    if ((st = il__json_parse(json, len, &root, err)) != IL_OK)
        return st;
    st = parse_root(root, max_values, s, err);
    cJSON_Delete(root);
    return st;
}
