/* SPDX-License-Identifier: MIT */
/*
 * The strict JSON check's parts (internal/json.h is the interface): the
 * scanner's state and error helpers (json.c), the number grammar
 * (json_number.c) and the keys of the open objects, checked for repeats
 * (json_keys.c). Private to src/io/.
 */
#ifndef INITLAB_JSON_IMPL_H
#define INITLAB_JSON_IMPL_H

#include <stddef.h>

#include "initlab/spec.h"
#include "initlab/status.h"

/* Longest piece of a key or number quoted in a message, in bytes. */
#define IL__JSON_QUOTE_MAX 64

typedef struct key_ref {
    size_t at;      /* offset of the key's opening quote */
    size_t raw_len; /* bytes between the quotes, as written */
    size_t off;     /* the decoded key: offset into the text, or into the arena if 'escaped' */
    size_t len;     /* decoded length in bytes */
    int escaped;
    const char *p; /* the decoded bytes; set just before sorting (the arena moves as it grows) */
} key_ref;

typedef struct scanner {
    const unsigned char *s;
    size_t len, pos;
    size_t start; /* 3 after a byte-order mark, else 0 */
    size_t depth;
    key_ref *keys; /* the keys of every open object, the innermost object's last */
    size_t n_keys, cap_keys;
    char *arena; /* decoded keys that had escapes, for the open objects */
    size_t n_arena, cap_arena;
    il_error *err;
} scanner;

/* Line and column (from 1; columns count UTF-8 characters) of byte 'at'.
 * Only called for errors, so a rescan from the start costs nothing. */
void il__json_locate(const scanner *sc, size_t at, size_t *line, size_t *col);

/* "WHAT at byte N (line L, column C)" into sc->err; returns 'st'. */
il_status il__json_fail(scanner *sc, il_status st, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "malformed JSON near byte N (line L, column C): WHAT"; IL_EFORMAT. The
 * wording is the one request parsing has always used for bad syntax. */
il_status il__json_syntax(scanner *sc, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "expected WHAT, found ..." at sc->pos; IL_EFORMAT. */
il_status il__json_expected(scanner *sc, const char *what);

/* Out of memory; IL_ENOMEM. */
il_status il__json_nomem(scanner *sc);

/* Four hex digits at s[0..n) into *out; 0 if there are not four. */
int il__json_hex4(const unsigned char *s, size_t n, unsigned *out);

static inline int il__json_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline int il__json_is_high_surrogate(unsigned cp)
{
    return cp >= 0xD800 && cp <= 0xDBFF;
}

/* A number at sc->pos (a '-' or a digit), RFC 8259 section 6; refused
 * with IL_ERANGE when it rounds to infinity. sc->pos moves past it. */
il_status il__json_scan_number(scanner *sc);

/* A key at sc->pos (its opening quote), pushed onto the open objects' keys
 * (decoded onto the arena if it has escapes); sc->pos moves past it. */
il_status il__json_scan_key(scanner *sc);

/* The closing object's keys are keys[base..n_keys): refuse the earliest
 * repeat in the text, naming where the key was first given. */
il_status il__json_check_keys(scanner *sc, size_t base);

/* The string whose opening quote is at sc->pos; sc->pos moves past its
 * closing quote. *escaped: whether it holds an escape. */
il_status il__json_scan_string(scanner *sc, int *escaped);

#endif
