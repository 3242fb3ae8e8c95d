/* SPDX-License-Identifier: MIT */
/*
 * Named, parameterised things: "NAME[:key=value,...]".
 *
 * Initializers and activations are chosen by spec strings such as
 * "kaiming_normal:mode=fan_out,nonlinearity=relu" or "leaky_relu:a=0.2".
 * Each registry entry declares its parameters in a static table of
 * il_param; a parsed spec holds one il_value per declared parameter, in
 * the table's order, defaults filled in.
 */
#ifndef INITLAB_SPEC_H
#define INITLAB_SPEC_H

#include <stddef.h>

#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most parameters any registry entry declares. */
#define IL_MAX_PARAMS 8

/* Room for one error message, filled by parsers (never a global). */
typedef struct il_error {
    char message[512];
} il_error;

typedef enum il_param_kind {
    IL_PARAM_NUMBER, /* a finite double */
    IL_PARAM_CHOICE  /* one of 'choices' (a NULL-terminated list) */
} il_param_kind;

typedef struct il_param {
    const char *name;
    il_param_kind kind;
    double def_number;          /* default for NUMBER */
    int def_choice;             /* default index for CHOICE */
    const char *const *choices; /* CHOICE only, NULL-terminated */
    const char *help;
    int required; /* nonzero: the spec must give it (the default is unused) */
} il_param;

typedef struct il_value {
    double number; /* NUMBER: the value */
    int choice;    /* CHOICE: index into the parameter's choices */
} il_value;

/* Parse 's' as a finite decimal number ("2.385", "-1e-3") into *out. Unlike
 * strtod, nothing else is accepted: no leading spaces, no trailing text, no
 * "inf", "nan" or hex, no overflow. Returns 1 on success, 0 otherwise. */
int il_parse_number(const char *s, double *out);

/* The length of the well-formed UTF-8 sequence at s[0..n) whose first byte
 * is >= 0x80, or 0 if there is none: no overlong forms (C0, C1, E0 80..9F,
 * F0 80..8F), no surrogates (ED A0..BF), nothing above U+10FFFF (F4 90..,
 * F5..FF). The strict JSON reader and the terminal's escaping share it. */
size_t il_utf8_length(const unsigned char *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif
