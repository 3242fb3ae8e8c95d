/* SPDX-License-Identifier: MIT */
/*
 * Memory: the allocator hook and overflow-checked size arithmetic.
 *
 * Every allocation the library makes goes through il_malloc/il_calloc/il_free,
 * which call the hook installed with il_set_allocator (the C library's by
 * default). Its first use is testing: an allocator that fails the Nth call
 * proves that every error path returns IL_ENOMEM and leaks nothing.
 */
#ifndef INITLAB_ALLOC_H
#define INITLAB_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct il_allocator {
    /* Return 'size' bytes (size > 0) or NULL. */
    void *(*alloc)(void *ud, size_t size);
    /* Release 'p' (never NULL). */
    void (*release)(void *ud, void *p);
    void *ud;
} il_allocator;

/* Install 'a' for all later allocations; NULL restores malloc/free. The hook
 * is process-wide: install it before creating objects, and free objects with
 * the allocator that made them. 'a' is copied. */
void il_set_allocator(const il_allocator *a);

/* malloc/calloc/free through the hook. il_calloc zeroes n*size bytes and
 * returns NULL if the product overflows; il_malloc_n does not zero. All accept a size of 0 (they
 * then allocate one byte so that NULL always means failure). il_free accepts NULL. */
void *il_malloc(size_t size);
void *il_calloc(size_t n, size_t size);
/* n * size bytes, not zeroed; NULL if the product overflows. */
void *il_malloc_n(size_t n, size_t size);
void il_free(void *p);

/* *out = a * b; returns false (and leaves *out alone) if it overflows. */
bool il_mul_size(size_t a, size_t b, size_t *out);

/* *out = a + b; returns false on overflow. */
bool il_add_size(size_t a, size_t b, size_t *out);

/* Product of the 'ndim' entries of 'dims' times 'elem' bytes; false on
 * overflow. An empty shape (ndim 0) has one element. */
bool il_shape_bytes(const size_t *dims, size_t ndim, size_t elem, size_t *out);

#ifdef __cplusplus
}
#endif
#endif
