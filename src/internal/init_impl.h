/* SPDX-License-Identifier: MIT */
/* The initializer families, each defined in its own file of src/init/. */
#ifndef INITLAB_INTERNAL_INIT_IMPL_H
#define INITLAB_INTERNAL_INIT_IMPL_H

#include "initlab/init.h"

extern const il_init_type il__init_normal;
extern const il_init_type il__init_lecture_xavier;
extern const il_init_type il__init_lecture_he;

#endif
