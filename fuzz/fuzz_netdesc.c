/* SPDX-License-Identifier: MIT */
/* libFuzzer: network descriptions (il_netdesc_parse: a preset string or
 * the network JSON). What parses must write JSON that parses again to the
 * same JSON; a network small enough to build (il_netdesc_memory under
 * 4 MiB for one example) must build, take a recipe and run forward without
 * error or with a clean one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/net.h"
#include "initlab/netdesc.h"
#include "initlab/recipe.h"
#include "initlab/rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_small(const il_netdesc *d)
{
    size_t bytes = 0, in_size;
    il_net *n = NULL;
    il_rng *rng = NULL;
    il_recipe_spec r;
    il_error err;
    double *x;

    if (il_netdesc_memory(d, 1, &bytes) != IL_OK || bytes > ((size_t)4 << 20))
        return;
    if (il_netdesc_build(d, 1, &n, &err) != IL_OK)
        return; /* an impossible shape: refused with a message */
    in_size = il_tshape_size(il_net_input_shape(n));
    x = in_size ? il_calloc(in_size, sizeof *x) : NULL;
    if (x && il_recipe_parse("he", &r, &err) == IL_OK &&
        il_rng_new(il_rng_find("philox"), 1, &rng) == IL_OK &&
        il_recipe_apply(&r, n, rng, &err) == IL_OK)
        (void)il_net_forward(n, x); /* token ids 0 are valid for any vocab */
    il_rng_free(rng);
    il_free(x);
    il_net_free(n);
}

static void round_trip(const il_netdesc *d)
{
    il_netdesc *d2 = NULL;
    il_error err;
    char *json = il_netdesc_to_json(d), *json2 = NULL;

    if (!json)
        abort();
    if (il_netdesc_from_json(json, strlen(json), &d2, &err) != IL_OK)
        abort(); /* what we wrote we must read */
    json2 = il_netdesc_to_json(d2);
    if (!json2 || strcmp(json, json2) != 0)
        abort();
    run_small(d);
    il_free(json2);
    il_free(json);
    il_netdesc_free(d2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    il_netdesc *d = NULL;
    il_error err;

    if (size > 8192)
        return 0;
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (il_netdesc_parse(text, &d, &err) == IL_OK) {
        round_trip(d); /* at most 100000 ops, presets too (netdesc_impl.h) */
        il_netdesc_free(d);
    }
    free(text);
    return 0;
}
