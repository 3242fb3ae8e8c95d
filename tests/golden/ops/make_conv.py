#!/usr/bin/python3
"""Regenerate tests/golden/ops/conv/ from PyTorch (Debian python3-torch).

usage: /usr/bin/python3 tests/golden/ops/make_conv.py [OUTDIR]

For each case below (the conv2d, pooling, flatten and embedding settings
tests/test_ops_conv.c lists in the same order), draws float64 inputs,
parameters and an output weighting w_out from torch.manual_seed(case
index), runs the torch.nn layer forward, and backward on
L = sum(w_out * y), and saves with numpy's own writer:

  NAME_x.npy     the input (embedding: the token ids, as float64)
  NAME_w.npy     the weight, in torch's layout (conv (out, in/groups, K, K))
  NAME_b.npy     the bias (when the case has one)
  NAME_wout.npy  w_out, the shape of the output
  NAME_y.npy     the output
  NAME_dx.npy    dL/dx (not for embedding: ids have no gradient)
  NAME_dw.npy    dL/dweight, NAME_db.npy dL/dbias
  NAME_fans.npy  conv: torch.nn.init._calculate_fan_in_and_fan_out(weight)

Max-pooling inputs are rounded to halves so that windows hold ties, which
PyTorch's CPU kernel gives to the first maximum in scan order.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn import init

# (name, batch, (C, H, W), out, kernel, stride, padding, dilation, groups, bias)
CONV = [
    ("conv_s2p1g2", 3, (4, 7, 6), 6, 3, 2, 1, 1, 2, True),
    ("conv_d2p2", 2, (3, 8, 5), 4, 3, 1, 2, 2, 1, False),
    ("conv_k1s2", 2, (4, 6, 6), 2, 1, 2, 0, 1, 1, True),
    # 7 x 6 = 42 output positions: initlab's products take 512 / 42 = 12
    # examples, so 13 examples run as chunks of 12 and 1
    ("conv_chunks", 13, (2, 7, 6), 3, 3, 1, 1, 1, 1, True),
    ("conv_depthwise", 2, (4, 9, 7), 4, 2, 3, 0, 1, 4, True),
]

# (name, type, batch, (C, H, W), kernel, stride, padding)
POOL = [
    ("avgpool_k2", "avgpool", 2, (3, 6, 7), 2, 2, 0),
    ("avgpool_k3s2p1", "avgpool", 2, (2, 7, 6), 3, 2, 1),
    ("maxpool_k2", "maxpool", 2, (3, 6, 7), 2, 2, 0),
    ("maxpool_k3s2p1", "maxpool", 2, (2, 7, 6), 3, 2, 1),
    ("global_avgpool", "global_avgpool", 3, (4, 5, 6), 0, 0, 0),
    ("flatten", "flatten", 2, (2, 3, 2), 0, 0, 0),
]

# (name, batch, tokens, vocab, dim)
EMBEDDING = [("embedding", 3, 5, 7, 4)]


def save(outdir, name, part, t):
    np.save(os.path.join(outdir, "%s_%s.npy" % (name, part)),
            t.detach().numpy().astype(np.float64))


def backward_and_save(outdir, name, x, y, params):
    wout = torch.randn(y.shape, dtype=torch.float64)
    (wout * y).sum().backward()
    save(outdir, name, "wout", wout)
    save(outdir, name, "y", y)
    if x.requires_grad:
        save(outdir, name, "dx", x.grad)
    for part, p in params:
        save(outdir, name, part, p)
        save(outdir, name, "d" + part, p.grad)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "conv")
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    seed = 0
    for name, batch, shape, out, k, s, p, d, g, bias in CONV:
        torch.manual_seed(seed)
        seed += 1
        conv = torch.nn.Conv2d(shape[0], out, k, stride=s, padding=p, dilation=d, groups=g,
                               bias=bias, dtype=torch.float64)
        with torch.no_grad():
            conv.weight.copy_(0.5 * torch.randn(conv.weight.shape, dtype=torch.float64))
            if bias:
                conv.bias.copy_(torch.randn(out, dtype=torch.float64))
        x = torch.randn((batch,) + shape, dtype=torch.float64, requires_grad=True)
        y = conv(x)
        save(outdir, name, "x", x)
        fans = init._calculate_fan_in_and_fan_out(conv.weight)
        save(outdir, name, "fans", torch.tensor(fans, dtype=torch.float64))
        params = [("w", conv.weight)] + ([("b", conv.bias)] if bias else [])
        backward_and_save(outdir, name, x, y, params)
    for name, kind, batch, shape, k, s, p in POOL:
        torch.manual_seed(seed)
        seed += 1
        x = torch.randn((batch,) + shape, dtype=torch.float64)
        if kind == "maxpool":
            x = torch.round(2 * x) / 2
        x.requires_grad_(True)
        if kind == "avgpool":
            y = F.avg_pool2d(x, k, stride=s, padding=p)  # count_include_pad=True
        elif kind == "maxpool":
            y = F.max_pool2d(x, k, stride=s, padding=p)
        elif kind == "global_avgpool":
            y = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        else:
            y = torch.nn.Flatten()(x)
        save(outdir, name, "x", x)
        backward_and_save(outdir, name, x, y, [])
    for name, batch, tokens, vocab, dim in EMBEDDING:
        torch.manual_seed(seed)
        seed += 1
        emb = torch.nn.Embedding(vocab, dim, dtype=torch.float64)
        ids = torch.randint(0, vocab, (batch, tokens))
        y = emb(ids)
        save(outdir, name, "x", ids.to(torch.float64))
        backward_and_save(outdir, name, ids, y, [("w", emb.weight)])
    print("torch %s, numpy %s: wrote %s" % (torch.__version__, np.__version__, outdir))


if __name__ == "__main__":
    main()
