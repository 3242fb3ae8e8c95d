/* SPDX-License-Identifier: MIT */
/* Spec-string parsing shared by the init and act registries. */
#ifndef INITLAB_INTERNAL_SPEC_IMPL_H
#define INITLAB_INTERNAL_SPEC_IMPL_H

#include <stddef.h>

#include "initlab/spec.h"

#define IL__SPEC_NAME_MAX 64
#define IL__SPEC_TEXT_MAX 128

typedef struct il__spec_pair {
    char key[IL__SPEC_NAME_MAX];
    char value[IL__SPEC_TEXT_MAX];
} il__spec_pair;

typedef struct il__spec {
    char name[IL__SPEC_NAME_MAX];
    il__spec_pair pairs[IL_MAX_PARAMS];
    size_t n_pairs;
} il__spec;

/* Split "NAME[:k=v,...]" into its parts. 'what' names the kind of thing
 * ("initializer") for messages. IL_EINVAL with a message on bad syntax. */
il_status il__spec_split(const char *text, const char *what, il__spec *out, il_error *err);

/* Bind the pairs of 'sp' to the declared 'params' (defaults for the rest)
 * into 'values'. Unknown keys, repeated keys and bad values give IL_EINVAL
 * with a message that names the key and lists what is accepted. */
il_status il__spec_bind(const il__spec *sp, const il_param *params, size_t n_params,
                        il_value *values, il_error *err);

/* The name in 'names' (n entries) closest to 'word' by edit distance, or NULL
 * if none is close enough to be a plausible typo. */
const char *il__nearest_name(const char *word, const char *const *names, size_t n);

/* Report an unknown 'what' ("initializer") called 'name': suggest the nearest
 * of 'names' if one is close, else list them all. */
void il__unknown_name(il_error *err, const char *what, const char *name, const char *const *names,
                      size_t n);

/* Format into err->message (printf-style); 'err' may be NULL. */
void il__set_error(il_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write the shortest of %.15g, %.16g, %.17g that reads back to exactly 'v';
 * returns what snprintf returns. */
int il__format_double(char *buf, size_t cap, double v);

/* Write "NAME:k=v,..." with every parameter (numbers as il__format_double)
 * into 'buf' of 'cap' bytes; the length it needed, like snprintf. */
size_t il__spec_format(const char *name, const il_param *params, size_t n_params,
                       const il_value *values, char *buf, size_t cap);

#endif
