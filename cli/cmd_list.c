/* SPDX-License-Identifier: MIT */
/* initlab list: what the registries hold, one line per entry with its formula. */
#include <string.h>

#include "cli.h"

static const cli_option list_options[] = {
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

static void help(FILE *f)
{
    fprintf(f, "usage: initlab list [inits|acts|rngs|nets|recipes|ops]\n\n"
               "One line per initializer, activation or generator, with its formula and\n"
               "parameters (defaults in brackets). Without an argument, those three.\n"
               "nets: the network presets of run --net; recipes: whole-network\n"
               "initializations (run --net ... --recipe NAME); ops: the layer kinds.\n\n"
               "Options:\n");
    cli_print_options(f, list_options);
}

static void print_params(const il_param *params, size_t n)
{
    if (n == 0)
        return;
    printf("  (");
    for (size_t i = 0; i < n; i++) {
        const il_param *p = &params[i];
        printf("%s%s=", i ? ", " : "", p->name);
        if (p->required)
            printf("<required>");
        else if (p->kind == IL_PARAM_NUMBER)
            printf("%g", p->def_number);
        else
            printf("%s", p->choices[p->def_choice]);
    }
    printf(")");
}

static void list_inits(void)
{
    printf("initializers (initlab init SPEC, run --arm SPEC/ACT):\n");
    for (size_t i = 0; i < il_init_type_count(); i++) {
        const il_init_type *t = il_init_type_at(i);
        printf("  %-22s %s", t->name, t->formula);
        print_params(t->params, t->n_params);
        printf("\n");
    }
}

static void list_acts(void)
{
    printf("activations (run --arm SPEC/ACT):\n");
    for (size_t i = 0; i < il_act_type_count(); i++) {
        const il_act_type *t = il_act_type_at(i);
        il_act a = {t, {{0, 0}}};
        for (size_t k = 0; k < t->n_params; k++)
            a.values[k] = (il_value){t->params[k].def_number, t->params[k].def_choice};
        printf("  %-22s %s   gain %.17g", t->name, t->formula, il_act_gain(&a));
        print_params(t->params, t->n_params);
        printf("\n");
    }
}

static void list_rngs(void)
{
    printf("generators (--rng NAME):\n");
    for (size_t i = 0; i < il_rng_type_count(); i++) {
        const il_rng_type *t = il_rng_type_at(i);
        printf("  %-22s %s\n", t->name, t->summary);
    }
}

int cmd_list(int argc, char **argv)
{
    int npos, rc;

    if (!cli_begin("list", list_options, NULL, help, -1, argc, argv, &npos, &rc))
        return rc;
    if (npos > 1) {
        cli_error("list: give at most one of inits, acts, rngs, nets, recipes, ops");
        return EXIT_USAGE;
    }
    if (npos == 0) {
        list_inits();
        printf("\n");
        list_acts();
        printf("\n");
        list_rngs();
    } else if (strcmp(argv[1], "inits") == 0) {
        list_inits();
    } else if (strcmp(argv[1], "acts") == 0) {
        list_acts();
    } else if (strcmp(argv[1], "rngs") == 0) {
        list_rngs();
    } else if (strcmp(argv[1], "nets") == 0) {
        cli_list_nets(stdout);
    } else if (strcmp(argv[1], "recipes") == 0) {
        cli_list_recipes(stdout);
    } else if (strcmp(argv[1], "ops") == 0) {
        cli_list_ops(stdout);
    } else {
        cli_error("list: unknown list '%s' (valid: inits, acts, rngs, nets, recipes, ops)",
                  argv[1]);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}
