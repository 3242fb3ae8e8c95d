/* SPDX-License-Identifier: MIT */
/* libFuzzer: the .npy reader on arbitrary bytes. Whatever it accepts must
 * hold as many values as its shape says. */
#include <stdint.h>
#include <stdlib.h>

#include "initlab/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    il_array a;
    il_error err;
    /* 64 MiB: under libFuzzer's -rss_limit_mb, over any seed */
    if (il_npy_parse(data, size, (size_t)64 << 20, &a, &err) == IL_OK) {
        size_t n = 1;
        for (size_t i = 0; i < a.ndim; i++)
            n *= a.shape[i];
        if (n != a.numel)
            abort();
        for (size_t i = 0; i < a.numel; i++) /* touch every value (ASan checks the bounds) */
            if (a.data[i] != a.data[i] && a.data[i] == 0)
                abort();
        il_array_release(&a);
    } else if (a.data) {
        abort(); /* an error must leave nothing behind */
    }
    return 0;
}
