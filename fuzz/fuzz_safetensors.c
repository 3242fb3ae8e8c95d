/* SPDX-License-Identifier: MIT */
/* libFuzzer: the safetensors reader on arbitrary bytes. Whatever it
 * accepts must hold as many values as each shape says, every value read
 * from inside the file (ASan checks the bounds). */
#include <stdint.h>
#include <stdlib.h>

#include "initlab/tensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    il_tensor_list l;
    il_error err;
    /* 64 MiB: under libFuzzer's -rss_limit_mb, over any seed */
    if (il_safetensors_parse(data, size, (size_t)64 << 20, &l, &err) == IL_OK) {
        if (l.n == 0)
            abort();
        for (size_t i = 0; i < l.n; i++) {
            const il_array *a = &l.items[i].array;
            size_t n = 1;
            for (size_t k = 0; k < a->ndim; k++)
                n *= a->shape[k];
            if (n != a->numel || (l.items[i].skipped && a->data))
                abort();
            for (size_t k = 0; !l.items[i].skipped && k < a->numel; k++)
                if (a->data[k] != a->data[k] && a->data[k] == 0)
                    abort();
        }
        il_tensor_list_release(&l);
    } else if (l.items || l.n) {
        abort(); /* an error must leave nothing behind */
    }
    return 0;
}
