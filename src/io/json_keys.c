/* SPDX-License-Identifier: MIT */
/*
 * The strict JSON check's keys (json_impl.h): every open object's keys are
 * kept, decoded when they hold escapes (so "a" and "\u0061" are the same
 * key), and sorted when the object closes, so a repeat is found in
 * O(k log k) however many keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initlab/alloc.h"
#include "json_impl.h"

/* Room for 'need' elements of 'size' bytes in *buf, which holds 'used' of
 * *cap; 0 when out of memory or the size overflows (*buf is then kept). */
static int reserve(void **buf, size_t *cap, size_t used, size_t need, size_t size)
{
    size_t new_cap = *cap < 16 ? 16 : *cap, bytes;
    void *p;

    if (need <= *cap)
        return 1;
    while (new_cap < need)
        if (!il_mul_size(new_cap, 2, &new_cap))
            return 0;
    if (!il_mul_size(new_cap, size, &bytes) || !(p = il_malloc(bytes)))
        return 0;
    if (used)
        memcpy(p, *buf, used * size);
    il_free(*buf);
    *buf = p;
    *cap = new_cap;
    return 1;
}

/* Append UTF-8 for 'cp' (a scalar value) to 'out'; returns the length. */
static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decode the checked string body s[from..to) onto the arena. Decoding never
 * lengthens (a 2-byte escape gives 1 byte, \uXXXX at most 3, a pair 4), so
 * to - from bytes are enough. 0 when out of memory. */
static int decode_key(scanner *sc, size_t from, size_t to)
{
    static const char simple[][2] = {{'"', '"'},  {'\\', '\\'}, {'/', '/'},  {'b', '\b'},
                                     {'f', '\f'}, {'n', '\n'},  {'r', '\r'}, {'t', '\t'}};
    const unsigned char *s = sc->s;
    void *p = sc->arena;
    char *out;

    if (!reserve(&p, &sc->cap_arena, sc->n_arena, sc->n_arena + (to - from), 1))
        return 0;
    sc->arena = p;
    out = sc->arena + sc->n_arena;
    for (size_t i = from; i < to;) {
        unsigned cp = 0, low = 0;
        if (s[i] != '\\') {
            *out++ = (char)s[i++];
            continue;
        }
        if (s[i + 1] != 'u') {
            for (size_t e = 0; e < sizeof simple / sizeof simple[0]; e++)
                if (simple[e][0] == (char)s[i + 1])
                    *out++ = simple[e][1];
            i += 2;
            continue;
        }
        (void)il__json_hex4(s + i + 2, 4, &cp); /* scan_escape checked the digits and the pair */
        i += 6;
        if (il__json_is_high_surrogate(cp)) {
            (void)il__json_hex4(s + i + 2, 4, &low);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
        }
        out += put_utf8(out, cp);
    }
    sc->n_arena = (size_t)(out - sc->arena);
    return 1;
}

il_status il__json_scan_key(scanner *sc)
{
    key_ref k;
    void *p = sc->keys;
    int escaped;
    il_status st;

    k.at = sc->pos;
    if ((st = il__json_scan_string(sc, &escaped)) != IL_OK)
        return st;
    k.raw_len = sc->pos - k.at - 2;
    k.escaped = escaped;
    k.p = NULL;
    if (!escaped) {
        k.off = k.at + 1; /* the bytes as written are the key */
        k.len = k.raw_len;
    } else {
        k.off = sc->n_arena;
        if (!decode_key(sc, k.at + 1, k.at + 1 + k.raw_len))
            return il__json_nomem(sc);
        k.len = sc->n_arena - k.off;
    }
    if (!reserve(&p, &sc->cap_keys, sc->n_keys, sc->n_keys + 1, sizeof *sc->keys))
        return il__json_nomem(sc);
    sc->keys = p;
    sc->keys[sc->n_keys++] = k;
    return IL_OK;
}

/* Decoded bytes, then position: equal keys end up side by side, first
 * occurrence first. */
static int key_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

static int same_key(const key_ref *x, const key_ref *y)
{
    return x->len == y->len && (x->len == 0 || memcmp(x->p, y->p, x->len) == 0);
}

il_status il__json_check_keys(scanner *sc, size_t base)
{
    key_ref *k = sc->keys + base;
    const key_ref *first = NULL, *dup = NULL;
    size_t n = sc->n_keys - base, shown, line, col;
    il_status st;

    if (n < 2)
        return IL_OK;
    for (size_t i = 0; i < n; i++)
        k[i].p = k[i].escaped ? sc->arena + k[i].off : (const char *)sc->s + k[i].off;
    qsort(k, n, sizeof *k, key_cmp);
    for (size_t i = 1; i < n; i++)
        if (same_key(&k[i - 1], &k[i]) && (i == 1 || !same_key(&k[i - 2], &k[i - 1])) &&
            (!dup || k[i].at < dup->at)) {
            first = &k[i - 1];
            dup = &k[i];
        }
    if (!dup)
        return IL_OK;
    /* the key as written, cut at a character boundary */
    shown = dup->raw_len > IL__JSON_QUOTE_MAX ? IL__JSON_QUOTE_MAX : dup->raw_len;
    while (shown > 0 && shown < dup->raw_len && (sc->s[dup->at + 1 + shown] & 0xC0) == 0x80)
        shown--;
    st = il__json_fail(sc, IL_EFORMAT, dup->at, "duplicate key \"%.*s%s\"", (int)shown,
                       (const char *)sc->s + dup->at + 1, shown < dup->raw_len ? "..." : "");
    if (sc->err) {
        size_t used = strlen(sc->err->message);
        il__json_locate(sc, first->at, &line, &col);
        snprintf(sc->err->message + used, sizeof sc->err->message - used,
                 "; first at byte %zu (line %zu, column %zu)", first->at, line, col);
    }
    return st;
}
