/* SPDX-License-Identifier: MIT */
/* The library's version: CMakeLists.txt passes it as INITLAB_VERSION. */
#include "initlab/version.h"

const char *il_version(void)
{
    return INITLAB_VERSION;
}
