/* SPDX-License-Identifier: MIT */
/*
 * Draw a He-initialized 784x256 layer (the lecture's scheme, std sqrt(2/784))
 * and print its statistics next to the target.
 *
 *   cc he_layer.c $(pkg-config --cflags --libs initlab) -o he_layer
 */
#include <stdio.h>
#include <stdlib.h>

#include <initlab/initlab.h>

int main(void)
{
    size_t shape[2] = {784, 256};
    il_stats_config cfg = {30, -0.2, 0.2, -0.1, 0.1};
    il_layer_stats s;
    il_init_target target;
    il_init he;
    il_error err;
    il_rng *rng = NULL;
    double *w = malloc(784 * 256 * sizeof *w);

    if (!w || il_rng_new(il_rng_find("mt19937"), 100, &rng) != IL_OK ||
        il_init_parse("lecture_he", &he, &err) != IL_OK ||
        il_init_fill(&he, shape, 2, IL_LAYOUT_DENSE, rng, w, &err) != IL_OK ||
        il_init_describe(&he, shape, 2, IL_LAYOUT_DENSE, &target, &err) != IL_OK ||
        il_layer_stats_init(&s, &cfg) != IL_OK) {
        fprintf(stderr, "he_layer: setup failed\n");
        return 1;
    }
    il_layer_stats_add(&s, w, 784 * 256);
    il_layer_stats_finish(&s);
    printf("initlab %s: lecture_he on (784, 256)\n", il_version());
    printf("target std %.6f\n", target.std);
    printf("sample mean %.6f std %.6f min %.6f max %.6f\n", s.mean, s.std, s.min, s.max);
    il_layer_stats_release(&s);
    il_rng_free(rng);
    free(w);
    return 0;
}
