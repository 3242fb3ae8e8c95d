/* SPDX-License-Identifier: MIT */
/*
 * Strict JSON: every JSON text the library reads is checked here before
 * cJSON builds its tree, because cJSON alone takes a duplicate key (the last
 * one wins), data after the document, "\u0000" (which cuts the string short),
 * any depth up to 1000 and numbers that overflow to infinity.
 *
 * The profile is RFC 8259 plus these refusals:
 *   - the same key twice in one object (after decoding escapes, so "a" and
 *     "\u0061" are the same key; sibling objects may share keys);
 *   - anything but whitespace (space, tab, LF, CR) after the value;
 *   - "\u0000" and raw NUL bytes, raw control bytes (< 0x20) in strings;
 *   - invalid UTF-8 (overlong forms, surrogates, above U+10FFFF) and lone
 *     surrogate escapes ("\ud800" alone, cJSON refuses them too);
 *   - arrays and objects nested deeper than IL__JSON_MAX_DEPTH;
 *   - numbers whose magnitude rounds to infinity (1e999, -1e999); numbers
 *     that underflow to 0 or a subnormal are accepted.
 * A UTF-8 byte-order mark at the very start is skipped (RFC 8259 8.1 lets a
 * parser ignore it, and some editors write one).
 *
 * Messages name the first problem the scanner meets with its byte offset,
 * line and column (columns count characters; both start at 1), e.g.
 * "duplicate key \"depth\" at byte 42 (line 3, column 5); first at byte 10".
 * A duplicate is found when its object closes, so a syntax error later in
 * the same object is reported first.
 */
#ifndef INITLAB_INTERNAL_JSON_H
#define INITLAB_INTERNAL_JSON_H

#include <cJSON.h>
#include <stddef.h>

#include "initlab/spec.h"
#include "initlab/status.h"

/* Deepest nesting of arrays and objects accepted ("[[1]]" is depth 2). */
#define IL__JSON_MAX_DEPTH 64

/* Check that text[0..len) is one JSON text under the profile above. The text
 * need not end in a NUL. Returns IL_OK; IL_EFORMAT for a syntax error, a
 * duplicate key, trailing data, NUL or bad UTF-8; IL_ELIMIT for nesting
 * deeper than IL__JSON_MAX_DEPTH; IL_ERANGE for a number that overflows a
 * double; IL_ENOMEM. 'err' (may be NULL) gets the message. */
il_status il__json_check(const char *text, size_t len, il_error *err);

/* il__json_check, then cJSON's tree of the same bytes into *out (the
 * caller's, freed with cJSON_Delete; untouched on failure). Statuses as
 * il__json_check's; IL_ENOMEM also when cJSON cannot build the tree. */
il_status il__json_parse(const char *text, size_t len, cJSON **out, il_error *err);

#endif
