/* SPDX-License-Identifier: MIT */
/*
 * Inside the report module: the JSON and CSV pieces report.c and
 * report_net.c (the points and parameters of layer-op networks) share.
 */
#ifndef INITLAB_REPORT_IMPL_H
#define INITLAB_REPORT_IMPL_H

#include <cJSON.h>

#include "initlab/report.h"

/* An exact number (raw text that round-trips), or null when not finite. */
cJSON *il__rep_number(double v);
cJSON *il__rep_count(unsigned long long n);
/* Add 'item' under 'key'; 0 when 'item' is NULL (out of memory). */
int il__rep_add(cJSON *obj, const char *key, cJSON *item);
/* {"lo", "hi", "counts", "below", "above"} */
cJSON *il__rep_hist(const il_layer_stats *s);
/* mean, std, min, max */
int il__rep_moments(cJSON *o, const il_layer_stats *s);
/* {"mean", "std", "min", "max", "nonfinite", "hist"} of a gradient */
cJSON *il__rep_grad(const il_layer_stats *s);
/* The LAYER statistics but "layer": count, moments, fractions, nonfinite, hist. */
int il__rep_layer_fields(cJSON *o, const il_layer_stats *s);

/* An exact number, or an empty field. */
void il__rep_csv_number(char *buf, size_t cap, double v);
/* A field quoted per RFC 4180. */
il_status il__rep_csv_text(il_write_fn w, void *ctx, const char *s);

/* report_net.c: an arm on a network of layer ops, and the CSV of a run of them. */
cJSON *il__rep_netrun_json(size_t number, const il_report_net *n, int theory);
il_status il__rep_netrun_csv(const il_report *r, il_write_fn w, void *ctx);

#endif
