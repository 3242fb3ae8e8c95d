/* SPDX-License-Identifier: MIT */
/*
 * The library's version. A header of its own, in the core module, so that
 * the core can define it without the umbrella header initlab.h (which
 * includes every module).
 */
#ifndef INITLAB_VERSION_H
#define INITLAB_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, "MAJOR.MINOR.PATCH" (the project's version in
 * CMakeLists.txt). Static string. */
const char *il_version(void);

#ifdef __cplusplus
}
#endif
#endif
