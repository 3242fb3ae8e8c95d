/* SPDX-License-Identifier: MIT */
/* libFuzzer: the strict JSON check (src/io/json.c). What it accepts, cJSON
 * accepts too and reads to the same end; the tree printed, checked and
 * parsed again prints the same text (so nothing the check lets through
 * changes meaning on the way through cJSON), except where cJSON's printer
 * turns a double next to DBL_MAX into an infinite literal. */
#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int only_whitespace(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *end = NULL;
    size_t skip = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    cJSON *first, *again;
    char *printed, *reprinted;
    il_error err;

    if (il__json_check(text, size, &err) != IL_OK)
        return 0;
    first = cJSON_ParseWithLengthOpts(text + skip, size - skip, &end, 0);
    if (!first)
        abort(); /* accepted by the check, refused by cJSON */
    if (!end || end < text + skip || !only_whitespace(end, text + size))
        abort(); /* cJSON stopped somewhere else than the check */
    printed = cJSON_PrintUnformatted(first);
    cJSON_Delete(first);
    if (!printed)
        return 0; /* out of memory */
    switch (il__json_check(printed, strlen(printed), &err)) {
    case IL_OK:
        break;
    case IL_ERANGE:
        /* cJSON prints a double with 15 digits when they read back within
         * DBL_EPSILON, so one from 1.797693134862315e308 to DBL_MAX becomes
         * 1.79769313486232e+308, which rounds to infinity: its printer's
         * limit, not the reader's (docs/reliability.md) */
        cJSON_free(printed);
        return 0;
    default:
        abort(); /* cJSON printed something else the check refuses */
    }
    again = cJSON_Parse(printed);
    if (!again)
        abort();
    reprinted = cJSON_PrintUnformatted(again);
    cJSON_Delete(again);
    if (reprinted && strcmp(printed, reprinted) != 0)
        abort(); /* printing is not stable */
    cJSON_free(reprinted);
    cJSON_free(printed);
    return 0;
}
