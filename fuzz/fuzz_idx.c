/* SPDX-License-Identifier: MIT */
/* libFuzzer: the IDX reader on arbitrary bytes. An accepted array holds
 * prod(shape) values, each readable. */
#include <stdint.h>
#include <stdlib.h>

#include "initlab/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    il_idx x;
    il_error err;
    if (il_idx_parse(data, size, (size_t)64 << 20, &x, &err) == IL_OK) {
        size_t n = 1;
        double sum = 0;
        for (size_t i = 0; i < x.ndim; i++)
            n *= x.shape[i];
        if (n != x.numel)
            abort();
        for (size_t i = 0; i < x.numel; i++)
            sum += il_idx_value(&x, i);
        (void)sum;
        il_idx_release(&x);
    } else if (x.data) {
        abort();
    }
    return 0;
}
