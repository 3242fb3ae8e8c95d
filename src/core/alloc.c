/* SPDX-License-Identifier: MIT */
/* The allocator hook and checked size arithmetic (CERT INT30-C). */
#include "initlab/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *ud, size_t size)
{
    (void)ud;
    return malloc(size);
}

static void default_release(void *ud, void *p)
{
    (void)ud;
    free(p);
}

/* The one piece of mutable global state in the library: it is set once by the
 * host before any object exists (see alloc.h), like lua_Alloc. */
static il_allocator current = {default_alloc, default_release, NULL};

void il_set_allocator(const il_allocator *a)
{
    if (a)
        current = *a;
    else
        current = (il_allocator){default_alloc, default_release, NULL};
}

void *il_malloc(size_t size)
{
    return current.alloc(current.ud, size ? size : 1);
}

void *il_calloc(size_t n, size_t size)
{
    size_t total;
    void *p;

    if (!il_mul_size(n, size, &total))
        return NULL;
    p = il_malloc(total);
    if (p && total)
        memset(p, 0, total);
    return p;
}

void *il_malloc_n(size_t n, size_t size)
{
    size_t total;
    if (!il_mul_size(n, size, &total))
        return NULL;
    return il_malloc(total);
}

void il_free(void *p)
{
    if (p)
        current.release(current.ud, p);
}

bool il_mul_size(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

bool il_add_size(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_add_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

bool il_shape_bytes(const size_t *dims, size_t ndim, size_t elem, size_t *out)
{
    size_t total = elem;
    for (size_t i = 0; i < ndim; i++)
        if (!il_mul_size(total, dims[i], &total))
            return false;
    *out = total;
    return true;
}
