/* SPDX-License-Identifier: MIT */
/*
 * conv2d, as torch.nn.Conv2d with padding_mode 'zeros': a cross-correlation
 * (no kernel flip) of (C, H, W) inputs with a (out, in/groups, K, K)
 * weight, stride, zero padding, dilation and groups (ARCHITECTURES.md 1.6).
 *
 * Both passes are im2col and one product per group: a chunk of examples
 * is unrolled into 'cols', one row per (channel, ki, kj) of the group's
 * window and one column per output position, so that the output is
 * W_g cols, dL/dW_g is dy_g cols^T and dL/dcols is W_g^T dy_g, whose
 * columns col2im adds back into dL/dx. Chunks hold whole examples, as many
 * as make about CONV_COLUMNS columns, so small late feature maps still make
 * products wide enough for BLAS, while a large map's cols stays one
 * example's.
 */
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/layer.h"
#include "internal/nn_impl.h"
#include "internal/op_impl.h"
#include "internal/spec_impl.h"

/* Output positions per product: 512 columns keep OpenBLAS's dgemm near
 * its peak for the 16..64-row weights of a small CNN (a 32x32 map is one
 * example per product, an 8x8 map eight). */
#define CONV_COLUMNS 512

size_t il__op_or(size_t v, size_t dflt)
{
    return v ? v : dflt;
}

il_status il__op_window_out(size_t n, size_t kernel, size_t stride, size_t padding, size_t dilation,
                            const char *axis, size_t *out, il_error *err)
{
    size_t padded, span;

    if (!il_mul_size(padding, 2, &padded) || !il_add_size(padded, n, &padded) ||
        !il_mul_size(dilation, kernel - 1, &span) || !il_add_size(span, 1, &span)) {
        il__set_error(err, "\"kernel\", \"padding\" or \"dilation\" too large");
        return IL_ESHAPE;
    }
    if (span > padded) {
        if (dilation > 1)
            il__set_error(err,
                          "\"kernel\" %zu with \"dilation\" %zu spans %zu, larger than the padded "
                          "input %zu (%s)",
                          kernel, dilation, span, padded, axis);
        else
            il__set_error(err, "\"kernel\" %zu is larger than the padded input %zu (%s)", kernel,
                          padded, axis);
        return IL_ESHAPE;
    }
    *out = (padded - span) / stride + 1;
    return IL_OK;
}

il_status il__op_image_in(const char *kind, const il_tshape *in, il_error *err)
{
    if (in->rank != 3) {
        il__set_error(err, "%s takes (channels, height, width) inputs, not rank %zu", kind,
                      in->rank);
        return IL_ESHAPE;
    }
    return IL_OK;
}

/* A conv2d's sizes, the defaults (stride, dilation, groups 1) filled in. */
typedef struct conv_geom {
    size_t c_in, h, w, c_out, ho, wo;
    size_t k, s, p, d;
    size_t groups, ig, og; /* input and output channels per group */
    size_t ck;             /* rows of cols: ig * k * k, one filter's values */
    size_t hw_in, hw_out;
} conv_geom;

static void geom_of(const il_op *op, const il_tshape *in, conv_geom *g)
{
    g->c_in = in->dim[0];
    g->h = in->dim[1];
    g->w = in->dim[2];
    g->c_out = op->out;
    g->k = op->kernel;
    g->s = il__op_or(op->stride, 1);
    g->p = op->padding;
    g->d = il__op_or(op->dilation, 1);
    g->groups = il__op_or(op->groups, 1);
    g->ig = g->c_in / g->groups;
    g->og = g->c_out / g->groups;
    g->ck = g->ig * g->k * g->k;
    /* the network checked these through conv_shape */
    g->ho = (g->h + 2 * g->p - g->d * (g->k - 1) - 1) / g->s + 1;
    g->wo = (g->w + 2 * g->p - g->d * (g->k - 1) - 1) / g->s + 1;
    g->hw_in = g->h * g->w;
    g->hw_out = g->ho * g->wo;
}

static il_status conv_shape(const il_op *op, const il_tshape *in, il_tshape *out, il_error *err)
{
    size_t groups = il__op_or(op->groups, 1), ho, wo, ck;
    il_status st;

    if ((st = il__op_image_in("conv2d", in, err)) != IL_OK)
        return st;
    if (op->out == 0 || op->kernel == 0) {
        il__set_error(err, "\"%s\" must be at least 1", op->out == 0 ? "out" : "kernel");
        return IL_ESHAPE;
    }
    if (in->dim[0] % groups != 0 || op->out % groups != 0) {
        il__set_error(err, "\"groups\" %zu must divide the %s channels %zu", groups,
                      in->dim[0] % groups ? "input" : "output (\"out\")",
                      in->dim[0] % groups ? in->dim[0] : op->out);
        return IL_ESHAPE;
    }
    if ((st = il__op_window_out(in->dim[1], op->kernel, il__op_or(op->stride, 1), op->padding,
                                il__op_or(op->dilation, 1), "height", &ho, err)) != IL_OK ||
        (st = il__op_window_out(in->dim[2], op->kernel, il__op_or(op->stride, 1), op->padding,
                                il__op_or(op->dilation, 1), "width", &wo, err)) != IL_OK)
        return st;
    /* the weight's size and a product's rows, for the buffers below */
    if (!il_mul_size(in->dim[0] / groups, op->kernel, &ck) || !il_mul_size(ck, op->kernel, &ck) ||
        !il_mul_size(ck, op->out, &ck)) {
        il__set_error(err, "the weight's size overflows");
        return IL_ELIMIT;
    }
    *out = (il_tshape){3, {op->out, ho, wo, 0}};
    return IL_OK;
}

static size_t conv_params(const il_op *op, const il_tshape *in, il_param_desc *p)
{
    size_t groups = il__op_or(op->groups, 1), ig = in->dim[0] / groups,
           rf = op->kernel * op->kernel;
    /* torch.nn.init._calculate_fan_in_and_fan_out: size(1) and size(0)
     * times the receptive field, so groups divide fan_in only */
    size_t fan_in = ig * rf, fan_out = op->out * rf;

    p[0] = (il_param_desc){
        "weight", IL_ROLE_WEIGHT, {4, {op->out, ig, op->kernel, op->kernel}}, fan_in, fan_out};
    if (!op->bias)
        return 1;
    /* _ConvNd.reset_parameters bounds the bias by the weight's fan_in */
    p[1] = (il_param_desc){"bias", IL_ROLE_BIAS, {1, {op->out, 0, 0, 0}}, fan_in, fan_out};
    return 2;
}

/* The output positions [lo, hi) of an axis of 'n_out' whose tap at offset
 * 'off' (ki * d) reads inside the input's 'n' positions. */
static void valid_range(size_t n_out, size_t n, size_t off, size_t s, size_t p, size_t *lo,
                        size_t *hi)
{
    size_t a = off >= p ? 0 : (p - off + s - 1) / s, b;

    if (off > n - 1 + p)
        b = 0;
    else
        b = (n - 1 + p - off) / s + 1;
    b = b < n_out ? b : n_out;
    a = a < b ? a : b;
    *lo = a;
    *hi = b;
}

/* The outputs whose tap (ki, kj) reads inside the input: rows [oh_lo,
 * oh_hi), columns [lo, hi); empty when either is. */
typedef struct tap_range {
    size_t oh_lo, oh_hi, lo, hi;
} tap_range;

static int tap_of(const conv_geom *g, size_t ki, size_t kj, tap_range *r)
{
    valid_range(g->ho, g->h, ki * g->d, g->s, g->p, &r->oh_lo, &r->oh_hi);
    valid_range(g->wo, g->w, kj * g->d, g->s, g->p, &r->lo, &r->hi);
    return r->oh_lo < r->oh_hi && r->lo < r->hi;
}

/* The input read by output (oh, ow) through tap (ki, kj), inside by tap_of */
static size_t tap_src(const conv_geom *g, size_t ki, size_t kj, size_t oh, size_t ow)
{
    return (oh * g->s + ki * g->d - g->p) * g->w + (ow * g->s + kj * g->d - g->p);
}

/* One tap's row of cols for one example: out[oh * wo + ow] is the input at
 * (oh s + ki d - p, ow s + kj d - p), zero in the padding. */
static void unroll_tap(const conv_geom *g, const double *plane, size_t ki, size_t kj,
                       const tap_range *r, double *out)
{
    size_t wo = g->wo;

    if (g->s == 1 && wo == g->w) {
        /* stride 1 and the input's width (a 'same' convolution): the taps
         * of rows oh_lo..oh_hi-1 are one run of the plane, shifted; the
         * run's wrapped-around columns are then zeroed */
        size_t first = r->oh_lo * wo + r->lo, last = (r->oh_hi - 1) * wo + r->hi;
        memset(out, 0, first * sizeof *out);
        memcpy(out + first, plane + tap_src(g, ki, kj, r->oh_lo, r->lo),
               (last - first) * sizeof *out);
        memset(out + last, 0, (g->hw_out - last) * sizeof *out);
        for (size_t ow = 0; ow < r->lo; ow++)
            for (size_t oh = r->oh_lo + 1; oh < r->oh_hi; oh++)
                out[oh * wo + ow] = 0;
        for (size_t ow = r->hi; ow < wo; ow++)
            for (size_t oh = r->oh_lo; oh + 1 < r->oh_hi; oh++)
                out[oh * wo + ow] = 0;
        return;
    }
    memset(out, 0, r->oh_lo * wo * sizeof *out);
    for (size_t oh = r->oh_lo; oh < r->oh_hi; oh++) {
        double *row = out + oh * wo;
        const double *src = plane + tap_src(g, ki, kj, oh, r->lo);
        for (size_t ow = 0; ow < r->lo; ow++)
            row[ow] = 0;
        for (size_t ow = r->lo; ow < r->hi; ow++)
            row[ow] = src[(ow - r->lo) * g->s];
        for (size_t ow = r->hi; ow < wo; ow++)
            row[ow] = 0;
    }
    memset(out + r->oh_hi * wo, 0, (g->ho - r->oh_hi) * wo * sizeof *out);
}

/* cols (ck x nb*hw_out) of examples x[0..nb) (each c_in * hw_in), group 'grp' */
static void im2col(const conv_geom *g, const double *x, size_t nb, size_t grp, double *cols)
{
    size_t ncol = nb * g->hw_out;

    for (size_t c = 0; c < g->ig; c++)
        for (size_t ki = 0; ki < g->k; ki++)
            for (size_t kj = 0; kj < g->k; kj++) {
                double *row = cols + ((c * g->k + ki) * g->k + kj) * ncol;
                tap_range r;
                if (!tap_of(g, ki, kj, &r)) {
                    memset(row, 0, ncol * sizeof *row);
                    continue;
                }
                for (size_t n = 0; n < nb; n++)
                    unroll_tap(g, x + (n * g->c_in + grp * g->ig + c) * g->hw_in, ki, kj, &r,
                               row + n * g->hw_out);
            }
}

/* dx[0..nb) += the columns of dcols, where im2col took them from */
static void col2im(const conv_geom *g, const double *dcols, size_t nb, size_t grp, double *dx)
{
    size_t ncol = nb * g->hw_out;

    for (size_t c = 0; c < g->ig; c++)
        for (size_t ki = 0; ki < g->k; ki++)
            for (size_t kj = 0; kj < g->k; kj++) {
                const double *row = dcols + ((c * g->k + ki) * g->k + kj) * ncol;
                tap_range r;
                if (!tap_of(g, ki, kj, &r))
                    continue;
                for (size_t n = 0; n < nb; n++) {
                    double *plane = dx + (n * g->c_in + grp * g->ig + c) * g->hw_in;
                    for (size_t oh = r.oh_lo; oh < r.oh_hi; oh++) {
                        const double *src = row + (n * g->ho + oh) * g->wo + r.lo;
                        double *dst = plane + tap_src(g, ki, kj, oh, r.lo);
                        size_t len = r.hi - r.lo;
                        if (g->s == 1)
                            for (size_t i = 0; i < len; i++)
                                dst[i] += src[i];
                        else
                            for (size_t i = 0; i < len; i++)
                                dst[i * g->s] += src[i];
                    }
                }
            }
}

/* The buffers of one pass: cols (ck x columns), the staged output or
 * gradient (og x columns) and a chunk's dL/dW_g (og x ck). */
typedef struct conv_bufs {
    size_t chunk; /* examples per product */
    double *cols, *stage, *dw, *block;
} conv_bufs;

static il_status bufs_new(const conv_geom *g, size_t batch, conv_bufs *b)
{
    size_t chunk = CONV_COLUMNS / g->hw_out, cols, stage, all;

    chunk = chunk < 1 ? 1 : chunk > batch ? batch : chunk;
    if (!il_mul_size(chunk, g->hw_out, &cols) || !il_mul_size(g->og, cols, &stage) ||
        !il_mul_size(g->ck, cols, &cols) || !il_add_size(cols, stage, &all) ||
        !il_add_size(all, g->og * g->ck, &all)) /* og * ck is within the weight's checked size */
        return IL_ELIMIT;
    b->block = il_malloc_n(all, sizeof(double));
    if (!b->block)
        return IL_ENOMEM;
    b->chunk = chunk;
    b->cols = b->block;
    b->stage = b->cols + cols;
    b->dw = b->stage + stage;
    return IL_OK;
}

static il_status conv_forward(const il_op *op, const il_op_io *io)
{
    conv_geom g;
    conv_bufs b;
    const double *bias = op->bias ? io->params[1] : NULL;
    il_status st;

    geom_of(op, &io->in, &g);
    if ((st = bufs_new(&g, io->batch, &b)) != IL_OK)
        return st;
    for (size_t n0 = 0; n0 < io->batch && st == IL_OK; n0 += b.chunk) {
        size_t nb = io->batch - n0 < b.chunk ? io->batch - n0 : b.chunk, ncol = nb * g.hw_out;
        for (size_t grp = 0; grp < g.groups && st == IL_OK; grp++) {
            im2col(&g, io->x + n0 * g.c_in * g.hw_in, nb, grp, b.cols);
            /* stage (og x ncol) = W_g (og x ck) cols (ck x ncol) */
            st = il_gemm(IL_DTYPE_F64, io->params[0] + grp * g.og * g.ck, g.og, g.ck, b.cols, ncol,
                         b.stage);
            for (size_t n = 0; n < nb && st == IL_OK; n++)
                for (size_t o = 0; o < g.og; o++) {
                    size_t ch = grp * g.og + o;
                    const double *src = b.stage + o * ncol + n * g.hw_out;
                    double *dst = io->y + ((n0 + n) * g.c_out + ch) * g.hw_out;
                    double add = bias ? bias[ch] : 0.0;
                    for (size_t i = 0; i < g.hw_out; i++)
                        dst[i] = src[i] + add;
                }
        }
    }
    il_free(b.block);
    return st;
}

/* dy_g of a chunk as one (og x nb*hw_out) matrix: in place for one example */
static const double *gather_dy(const conv_geom *g, const double *dy, size_t nb, size_t grp,
                               double *stage)
{
    size_t ncol = nb * g->hw_out;

    if (nb == 1)
        return dy + grp * g->og * g->hw_out;
    for (size_t n = 0; n < nb; n++)
        for (size_t o = 0; o < g->og; o++)
            memcpy(stage + o * ncol + n * g->hw_out,
                   dy + (n * g->c_out + grp * g->og + o) * g->hw_out, g->hw_out * sizeof *stage);
    return stage;
}

static il_status conv_backward(const il_op *op, const il_op_io *io)
{
    conv_geom g;
    conv_bufs b;
    double *dw = io->dparams[0];
    il_status st;

    geom_of(op, &io->in, &g);
    if ((st = bufs_new(&g, io->batch, &b)) != IL_OK)
        return st;
    if (op->bias)
        for (size_t ch = 0; ch < g.c_out; ch++) {
            double s = 0;
            for (size_t n = 0; n < io->batch; n++) {
                const double *r = io->dy + (n * g.c_out + ch) * g.hw_out;
                for (size_t i = 0; i < g.hw_out; i++)
                    s += r[i];
            }
            io->dparams[1][ch] = s;
        }
    if (io->dx)
        memset(io->dx, 0, io->batch * g.c_in * g.hw_in * sizeof *io->dx);
    for (size_t n0 = 0; n0 < io->batch && st == IL_OK; n0 += b.chunk) {
        size_t nb = io->batch - n0 < b.chunk ? io->batch - n0 : b.chunk, ncol = nb * g.hw_out;
        for (size_t grp = 0; grp < g.groups && st == IL_OK; grp++) {
            const double *dyg = gather_dy(&g, io->dy + n0 * g.c_out * g.hw_out, nb, grp, b.stage);
            const double *wg = io->params[0] + grp * g.og * g.ck;
            double *dwg = dw + grp * g.og * g.ck;
            im2col(&g, io->x + n0 * g.c_in * g.hw_in, nb, grp, b.cols);
            /* dW_g (og x ck) = dy_g (og x ncol) cols^T: the first chunk
             * stores it, the others add theirs */
            st = il__gemm_nt(IL_DTYPE_F64, dyg, g.og, ncol, b.cols, g.ck, n0 ? b.dw : dwg);
            if (st == IL_OK && n0)
                for (size_t i = 0; i < g.og * g.ck; i++)
                    dwg[i] += b.dw[i];
            if (st != IL_OK || !io->dx)
                continue;
            /* dcols (ck x ncol) = W_g^T dy_g, into cols, which is done */
            st = il__gemm_tn(IL_DTYPE_F64, wg, g.og, g.ck, dyg, ncol, b.cols);
            if (st == IL_OK)
                col2im(&g, b.cols, nb, grp, io->dx + n0 * g.c_in * g.hw_in);
        }
    }
    il_free(b.block);
    return st;
}

const il_op_type il__op_conv2d = {
    "conv2d",
    "2-D cross-correlation of (C, H, W) as torch.nn.Conv2d; W is (out, in/groups, K, K)",
    conv_shape,
    conv_params,
    NULL,
    conv_forward,
    conv_backward,
    0};
