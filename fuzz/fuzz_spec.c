/* SPDX-License-Identifier: MIT */
/* libFuzzer: initializer and activation spec strings. What parses must
 * format to a canonical spec that parses again to the same canonical spec,
 * and an accepted initializer must describe a small shape without error or
 * with a clean one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "initlab/act.h"
#include "initlab/init.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[512], canon[1024], again[1024];
    il_init init, init2;
    il_act act;
    il_error err;
    size_t shape[2] = {3, 4};
    il_init_target t;

    if (size >= sizeof spec)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    if (il_init_parse(spec, &init, &err) == IL_OK) {
        if (il_init_format(&init, canon, sizeof canon) >= sizeof canon)
            abort();
        if (il_init_parse(canon, &init2, &err) != IL_OK)
            abort();
        il_init_format(&init2, again, sizeof again);
        if (strcmp(canon, again) != 0)
            abort();
        (void)il_init_describe(&init, shape, 2, IL_LAYOUT_DENSE, &t, &err);
    }
    if (il_act_parse(spec, &act, &err) == IL_OK) {
        volatile double v = il_act_value(&act, 0.5) + il_act_deriv(&act, -0.5);
        (void)v;
    }
    return 0;
}
