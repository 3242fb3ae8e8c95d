/* SPDX-License-Identifier: MIT */
/* Arms from the command line: --arm INIT/ACT[/BIAS] and --init x --act. */
#include <string.h>

#include "cli.h"

static int split_arm(const char *cmd, const char *text, cli_arm_text *a)
{
    const char *s1 = strchr(text, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    size_t n1, n2;
    if (!s1 || (s2 && strchr(s2 + 1, '/'))) {
        cli_error("%s: invalid arm '%s': expected INIT/ACT or INIT/ACT/BIAS", cmd, text);
        return EXIT_USAGE;
    }
    n1 = (size_t)(s1 - text);
    n2 = s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1);
    if (n1 == 0 || n2 == 0 || n1 >= sizeof a->init || n2 >= sizeof a->act ||
        (s2 && (s2[1] == '\0' || strlen(s2 + 1) >= sizeof a->bias))) {
        cli_error("%s: invalid arm '%s': expected INIT/ACT or INIT/ACT/BIAS", cmd, text);
        return EXIT_USAGE;
    }
    memcpy(a->init, text, n1);
    a->init[n1] = '\0';
    memcpy(a->act, s1 + 1, n2);
    a->act[n2] = '\0';
    a->bias[0] = '\0';
    if (s2)
        strcpy(a->bias, s2 + 1);
    return 0;
}

int cli_arm_texts(const char *cmd, const cli_list *arm_texts, const cli_list *inits,
                  const cli_list *acts, cli_arm_text *texts, size_t *n_arms)
{
    size_t n = 0;
    int rc;

    if ((inits->n > 0) != (acts->n > 0)) {
        cli_error("%s: --init and --act go together (every init with every act)", cmd);
        return EXIT_USAGE;
    }
    if (arm_texts->n + inits->n * acts->n == 0) {
        cli_error("%s: give at least one --arm INIT/ACT (or --init and --act)", cmd);
        return EXIT_USAGE;
    }
    if (arm_texts->n + inits->n * acts->n > CLI_LIST_MAX) {
        cli_error("%s: too many arms (at most %d)", cmd, CLI_LIST_MAX);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < arm_texts->n; i++)
        if ((rc = split_arm(cmd, arm_texts->items[i], &texts[n++])) != 0)
            return rc;
    for (size_t i = 0; i < inits->n; i++)
        for (size_t j = 0; j < acts->n; j++) {
            cli_arm_text *t = &texts[n++];
            if (strlen(inits->items[i]) >= sizeof t->init ||
                strlen(acts->items[j]) >= sizeof t->act) {
                cli_error("%s: spec too long", cmd);
                return EXIT_USAGE;
            }
            strcpy(t->init, inits->items[i]);
            strcpy(t->act, acts->items[j]);
            t->bias[0] = '\0';
        }
    *n_arms = n;
    return 0;
}

int cli_make_arms(const char *cmd, const cli_list *arm_texts, const cli_list *inits,
                  const cli_list *acts, const char *bias, cli_arm_text *texts, il_arm *arms,
                  size_t *n_arms)
{
    size_t n;
    il_error err;
    int rc = cli_arm_texts(cmd, arm_texts, inits, acts, texts, &n);

    if (rc != 0)
        return rc;
    memset(arms, 0, n * sizeof *arms);
    for (size_t a = 0; a < n; a++) {
        const char *b = texts[a].bias[0] ? texts[a].bias : bias;
        if (il_init_parse(texts[a].init, &arms[a].init, &err) != IL_OK ||
            il_act_parse(texts[a].act, &arms[a].act, &err) != IL_OK ||
            (b && il_init_parse(b, &arms[a].bias, &err) != IL_OK)) {
            cli_error("%s: %s", cmd, err.message);
            return EXIT_USAGE;
        }
        arms[a].has_bias = b != NULL;
    }
    *n_arms = n;
    return 0;
}
