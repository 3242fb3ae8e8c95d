/* SPDX-License-Identifier: MIT */
/* libFuzzer: JSON run requests ('run --config', the live page's POST).
 * What is accepted has 1..32 arms whose specs parse, and a shape within
 * the limits. */
#include <stdint.h>
#include <stdlib.h>

#include "initlab/act.h"
#include "initlab/init.h"
#include "initlab/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static il_run_request req;
    il_error err;
    if (il_run_request_parse((const char *)data, size, (size_t)1 << 26, &req, &err) == IL_OK) {
        il_init init;
        il_act act;
        if (req.n_arms < 1 || req.n_arms > IL_REQUEST_MAX_ARMS || req.n_layers < 1 ||
            req.n_layers > IL_REQUEST_MAX_LAYERS || req.batch < 1)
            abort();
        for (size_t a = 0; a < req.n_arms; a++)
            if (il_init_parse(req.arms[a].init, &init, NULL) != IL_OK ||
                il_act_parse(req.arms[a].act, &act, NULL) != IL_OK)
                abort();
    }
    return 0;
}
