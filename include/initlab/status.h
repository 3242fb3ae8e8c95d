/* SPDX-License-Identifier: MIT */
/*
 * Status codes returned by every initlab function that can fail.
 *
 * IL_OK is 0; every error is positive. The list is append-only: a value, once
 * given, keeps its meaning (programs may store it).
 */
#ifndef INITLAB_STATUS_H
#define INITLAB_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(NAME, message) — one line per status; the enum, the names and the
 * messages are all generated from this table so they cannot drift. */
#define IL_STATUS_MAP(X)                                                                           \
    X(OK, "success")                                                                               \
    X(ENOMEM, "out of memory")                                                                     \
    X(EINVAL, "invalid argument")                                                                  \
    X(ESHAPE, "shapes do not match")                                                               \
    X(ENOTFOUND, "no such name")                                                                   \
    X(EIO, "input/output error")                                                                   \
    X(EFORMAT, "malformed input")                                                                  \
    X(ERANGE, "value out of range")                                                                \
    X(ELIMIT, "size exceeds a limit")                                                              \
    X(ECANCELED, "cancelled")                                                                      \
    X(EBUSY, "in use by another process")

typedef enum il_status {
#define IL__STATUS_ENUM(name, msg) IL_##name,
    IL_STATUS_MAP(IL__STATUS_ENUM)
#undef IL__STATUS_ENUM
    IL_STATUS_COUNT
} il_status;

/* The enum's spelling, e.g. "IL_EINVAL"; "IL_UNKNOWN" for a value outside the
 * table. The returned string is static; do not free it. */
const char *il_status_name(il_status s);

/* A short lowercase description, e.g. "invalid argument". Static string. */
const char *il_status_str(il_status s);

#ifdef __cplusplus
}
#endif
#endif
