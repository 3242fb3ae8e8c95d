/* SPDX-License-Identifier: MIT */
/* The initializer registry, spec parsing and the generic fill. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "internal/init_impl.h"
#include "internal/spec_impl.h"

/* Adding an initializer: one file in src/init/, one line here. */
static const il_init_type *const registry[] = {
    &il__init_normal,
    &il__init_lecture_xavier,
    &il__init_lecture_he,
};

#define REGISTRY_LEN (sizeof registry / sizeof registry[0])

const il_init_type *il_init_find(const char *name)
{
    for (size_t i = 0; i < REGISTRY_LEN; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

size_t il_init_type_count(void)
{
    return REGISTRY_LEN;
}

const il_init_type *il_init_type_at(size_t i)
{
    return i < REGISTRY_LEN ? registry[i] : NULL;
}

static void unknown_name(const char *name, il_error *err)
{
    const char *names[REGISTRY_LEN];
    for (size_t i = 0; i < REGISTRY_LEN; i++)
        names[i] = registry[i]->name;
    il__unknown_name(err, "initializer", name, names, REGISTRY_LEN);
}

il_status il_init_parse(const char *spec, il_init *out, il_error *err)
{
    il__spec sp;
    il_init init;
    il_status st;

    st = il__spec_split(spec, "initializer", &sp, err);
    if (st != IL_OK)
        return st;
    memset(&init, 0, sizeof init);
    init.type = il_init_find(sp.name);
    if (!init.type) {
        unknown_name(sp.name, err);
        return IL_ENOTFOUND;
    }
    st = il__spec_bind(&sp, init.type->params, init.type->n_params, init.values, err);
    if (st != IL_OK)
        return st;
    *out = init;
    return IL_OK;
}

size_t il_init_format(const il_init *init, char *buf, size_t cap)
{
    const il_init_type *t = init->type;
    size_t used = 0;
    char dummy[1];
    int k;

    if (cap == 0) {
        buf = dummy;
        cap = 1;
    }
#define ADVANCE(expr)                                                                              \
    do {                                                                                           \
        k = (expr);                                                                                \
        if (k > 0)                                                                                 \
            used += (size_t)k;                                                                     \
    } while (0)
#define REST (used < cap ? buf + used : dummy), (used < cap ? cap - used : 1)
    ADVANCE(snprintf(buf, cap, "%s", t->name));
    for (size_t i = 0; i < t->n_params; i++) {
        const il_param *p = &t->params[i];
        ADVANCE(snprintf(REST, "%s%s=", i ? "," : ":", p->name));
        if (p->kind == IL_PARAM_NUMBER)
            ADVANCE(il__format_double(REST, init->values[i].number));
        else
            ADVANCE(snprintf(REST, "%s", p->choices[init->values[i].choice]));
    }
#undef REST
#undef ADVANCE
    return used;
}

int il_layout_from_name(const char *name)
{
    if (strcmp(name, "dense") == 0)
        return IL_LAYOUT_DENSE;
    if (strcmp(name, "torch") == 0)
        return IL_LAYOUT_TORCH;
    if (strcmp(name, "keras") == 0)
        return IL_LAYOUT_KERAS;
    return -1;
}

il_status il_fan_compute(const size_t *shape, size_t ndim, il_layout layout, size_t *fan_in,
                         size_t *fan_out, il_error *err)
{
    size_t receptive = 1, in, out;

    if (ndim < 2) {
        il__set_error(err, "Fan in and fan out can not be computed for tensor with fewer than 2 "
                           "dimensions");
        return IL_ESHAPE;
    }
    if (layout == IL_LAYOUT_TORCH) {
        for (size_t i = 2; i < ndim; i++)
            if (!il_mul_size(receptive, shape[i], &receptive))
                goto overflow;
        in = shape[1];
        out = shape[0];
    } else {
        for (size_t i = 0; i + 2 < ndim; i++)
            if (!il_mul_size(receptive, shape[i], &receptive))
                goto overflow;
        in = shape[ndim - 2];
        out = shape[ndim - 1];
    }
    if (!il_mul_size(in, receptive, fan_in) || !il_mul_size(out, receptive, fan_out))
        goto overflow;
    return IL_OK;
overflow:
    il__set_error(err, "tensor shape is too large (element count overflows)");
    return IL_ELIMIT;
}

static il_status make_ctx(const il_init *init, const size_t *shape, size_t ndim, il_layout layout,
                          il_init_ctx *ctx, il_error *err)
{
    il_status st;

    memset(ctx, 0, sizeof *ctx);
    ctx->shape = shape;
    ctx->ndim = ndim;
    if (!il_shape_bytes(shape, ndim, 1, &ctx->numel)) {
        il__set_error(err, "tensor shape is too large (element count overflows)");
        return IL_ELIMIT;
    }
    if (init->type->needs_fans) {
        st = il_fan_compute(shape, ndim, layout, &ctx->fan_in, &ctx->fan_out, err);
        if (st != IL_OK)
            return st;
    }
    return IL_OK;
}

il_status il_init_fill(const il_init *init, const size_t *shape, size_t ndim, il_layout layout,
                       il_rng *rng, double *out, il_error *err)
{
    il_init_ctx ctx;
    il_status st = make_ctx(init, shape, ndim, layout, &ctx, err);
    if (st != IL_OK)
        return st;
    return init->type->fill(init, &ctx, rng, out, err);
}

il_status il_init_describe(const il_init *init, const size_t *shape, size_t ndim, il_layout layout,
                           il_init_target *t, il_error *err)
{
    il_init_ctx ctx;
    il_status st = make_ctx(init, shape, ndim, layout, &ctx, err);
    if (st != IL_OK)
        return st;
    t->gain = t->mean = t->std = t->bound = (double)NAN;
    init->type->target(init, &ctx, t);
    return IL_OK;
}
