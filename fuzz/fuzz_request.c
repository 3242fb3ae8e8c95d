/* SPDX-License-Identifier: MIT */
/* libFuzzer: JSON run specs ('run --config', the live page's POST).
 * What is accepted has 1..32 arms whose specs parse, a shape within the
 * limits, and passes the run layer's validation. */
#include <stdint.h>
#include <stdlib.h>

#include "initlab/act.h"
#include "initlab/init.h"
#include "initlab/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static il_run_spec s;
    il_error err;
    il_run_spec_init(&s);
    if (il_run_spec_from_json(&s, (const char *)data, size, (size_t)1 << 26, &err) == IL_OK) {
        il_init init;
        il_act act;
        if (s.n_arms < 1 || s.n_arms > IL_RUN_MAX_ARMS || s.n_layers < 1 ||
            s.n_layers > IL_RUN_MAX_JSON_LAYERS || s.batch < 1)
            abort();
        for (size_t a = 0; a < s.n_arms; a++)
            if (il_init_parse(s.arms[a].init, &init, NULL) != IL_OK ||
                il_act_parse(s.arms[a].act, &act, NULL) != IL_OK)
                abort();
        if (il_run_spec_validate(&s, &err) != IL_OK)
            abort();
    }
    il_run_spec_release(&s);
    return 0;
}
