/* SPDX-License-Identifier: MIT */
/* The generic generator layer and the registry of generator types. */
#include <stdint.h>
#include <string.h>

#include "initlab/alloc.h"
#include "internal/rng_impl.h"

static const il_rng_type *const registry[] = {
    &il__rng_mt19937,
    &il__rng_philox,
};

#define REGISTRY_LEN (sizeof registry / sizeof registry[0])

/* Saved states start with this tag so that a foreign buffer is refused. */
#define STATE_MAGIC 0x534c5249u /* "IRLS" */

struct saved_header {
    uint32_t magic;
    uint32_t has_gauss;
    double gauss;
    char name[32];
};

const il_rng_type *il_rng_find(const char *name)
{
    if (strcmp(name, "fast") == 0) /* the alias the command line offers */
        return &il__rng_philox;
    for (size_t i = 0; i < REGISTRY_LEN; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

size_t il_rng_type_count(void)
{
    return REGISTRY_LEN;
}

const il_rng_type *il_rng_type_at(size_t i)
{
    return i < REGISTRY_LEN ? registry[i] : NULL;
}

il_status il_rng_new(const il_rng_type *t, uint64_t seed, il_rng **out)
{
    il_rng *r;

    if (seed > t->seed_max)
        return IL_ERANGE;
    r = il_malloc(sizeof *r + t->state_size);
    if (!r)
        return IL_ENOMEM;
    r->type = t;
    r->has_gauss = 0;
    r->gauss = 0.0;
    t->seed(r->state, seed);
    *out = r;
    return IL_OK;
}

void il_rng_free(il_rng *r)
{
    il_free(r);
}

il_status il_rng_seed(il_rng *r, uint64_t seed)
{
    if (seed > r->type->seed_max)
        return IL_ERANGE;
    r->type->seed(r->state, seed);
    r->has_gauss = 0;
    r->gauss = 0.0;
    return IL_OK;
}

const il_rng_type *il_rng_get_type(const il_rng *r)
{
    return r->type;
}

uint32_t il_rng_next_u32(il_rng *r)
{
    return r->type->next_u32(r->state);
}

double il_rng_next_double(il_rng *r)
{
    return r->type->next_double(r->state);
}

void il_rng_fill_double(il_rng *r, double *out, size_t n)
{
    if (r->type->fill_double) {
        r->type->fill_double(r->state, out, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = r->type->next_double(r->state);
}

size_t il_rng_state_size(const il_rng *r)
{
    return sizeof(struct saved_header) + r->type->state_size;
}

il_status il_rng_save(const il_rng *r, void *buf, size_t n)
{
    struct saved_header h;

    if (n < il_rng_state_size(r))
        return IL_EINVAL;
    memset(&h, 0, sizeof h);
    h.magic = STATE_MAGIC;
    h.has_gauss = (uint32_t)r->has_gauss;
    h.gauss = r->gauss;
    strncpy(h.name, r->type->name, sizeof h.name - 1);
    memcpy(buf, &h, sizeof h);
    memcpy((unsigned char *)buf + sizeof h, r->state, r->type->state_size);
    return IL_OK;
}

il_status il_rng_restore(il_rng *r, const void *buf, size_t n)
{
    struct saved_header h;

    if (n != il_rng_state_size(r))
        return IL_EFORMAT;
    memcpy(&h, buf, sizeof h);
    if (h.magic != STATE_MAGIC || h.has_gauss > 1 || h.name[sizeof h.name - 1] != '\0' ||
        strcmp(h.name, r->type->name) != 0)
        return IL_EFORMAT;
    r->has_gauss = (int)h.has_gauss;
    r->gauss = h.gauss;
    memcpy(r->state, (const unsigned char *)buf + sizeof h, r->type->state_size);
    return IL_OK;
}
