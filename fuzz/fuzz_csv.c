/* SPDX-License-Identifier: MIT */
/* libFuzzer: the CSV reader on arbitrary text, with small caps so that the
 * limits are reached too. An accepted matrix is rows x cols values. */
#include <stdint.h>
#include <stdlib.h>

#include "initlab/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    il_csv_limits lim = {4096, 64, (size_t)1 << 20};
    il_array a;
    il_error err;
    if (il_csv_parse((const char *)data, size, &lim, &a, &err) == IL_OK) {
        if (a.ndim != 2 || a.shape[0] * a.shape[1] != a.numel || a.shape[1] > lim.max_cols)
            abort();
        il_array_release(&a);
    } else if (a.data) {
        abort();
    }
    return 0;
}
