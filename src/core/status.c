/* SPDX-License-Identifier: MIT */
/* Status names and messages, generated from IL_STATUS_MAP. */
#include "initlab/status.h"

static const char *const status_names[] = {
#define IL__STATUS_NAME(name, msg) "IL_" #name,
    IL_STATUS_MAP(IL__STATUS_NAME)
#undef IL__STATUS_NAME
};

static const char *const status_msgs[] = {
#define IL__STATUS_MSG(name, msg) msg,
    IL_STATUS_MAP(IL__STATUS_MSG)
#undef IL__STATUS_MSG
};

_Static_assert(sizeof status_names / sizeof status_names[0] == IL_STATUS_COUNT,
               "status name table out of sync");

const char *il_status_name(il_status s)
{
    if ((unsigned)s >= IL_STATUS_COUNT)
        return "IL_UNKNOWN";
    return status_names[s];
}

const char *il_status_str(il_status s)
{
    if ((unsigned)s >= IL_STATUS_COUNT)
        return "unknown status";
    return status_msgs[s];
}
