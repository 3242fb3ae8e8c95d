#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Goldens of the Transformer/normalization layer ops from PyTorch.

Run by hand with Debian's interpreter and python3-torch (1.13):

    /usr/bin/python3 tests/golden/ops/make_tf.py

It writes tests/golden/ops/tf/<case>_<name>.npy, read by tests/test_ops_tf.c:
the input x (batch first), the parameters in initlab's layout (a dense
map's weight (fan_in, fan_out), the transpose of PyTorch's), w_out, and
PyTorch's output y and gradients of L = sum(w_out * y): dx and d<param>
(again in initlab's layout). Attention cases add probs (batch, H, S, S).
Everything is float64 and drawn from a seeded torch.Generator here, so a
rerun writes the same bytes.

rmsnorm: torch 1.13 has no nn.RMSNorm (it came in 2.4), so its golden is
the formula y = x / sqrt(mean(x^2) + eps) * weight written out in torch
ops, differentiated by autograd.
"""
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf")
EPS = 1e-5  # the network JSON's default and PyTorch's LayerNorm/BatchNorm's

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(20261203)


def normal(*shape, scale=1.0):
    return torch.randn(*shape, generator=gen) * scale


def save(case, name, t):
    np.save(os.path.join(OUT, f"{case}_{name}.npy"), np.ascontiguousarray(t.detach().numpy()))


def finish(case, x, y, params, extra=None):
    """Backward of sum(w_out * y); x, every param, w_out, y and the grads saved.
    'params' maps an initlab name to (tensor in torch, to initlab layout)."""
    w_out = normal(*y.shape)
    (w_out * y).sum().backward()
    save(case, "x", x)
    save(case, "wout", w_out)
    save(case, "y", y)
    save(case, "dx", x.grad)
    for name, (t, to_lib) in params.items():
        save(case, name, to_lib(t.detach()))
        save(case, "d" + name, to_lib(t.grad))
    for name, t in (extra or {}).items():
        save(case, name, t)


def same(t):
    return t


def layernorm(case, shape):
    x = normal(*shape).requires_grad_()
    m = torch.nn.LayerNorm(shape[-1], eps=EPS)
    with torch.no_grad():  # not the init's ones and zeros, so the gradients show
        m.weight.copy_(1 + normal(shape[-1], scale=0.3))
        m.bias.copy_(normal(shape[-1], scale=0.3))
    finish(case, x, m(x), {"weight": (m.weight, same), "bias": (m.bias, same)})


def rmsnorm(case, shape):
    x = normal(*shape).requires_grad_()
    w = (1 + normal(shape[-1], scale=0.3)).requires_grad_()
    y = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w
    finish(case, x, y, {"weight": (w, same)})


def batchnorm(case, shape):
    x = (normal(*shape) * 1.5 + 0.5).requires_grad_()
    cls = torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d
    m = cls(shape[1], eps=EPS)
    m.train()  # batch statistics, biased variance
    with torch.no_grad():
        m.weight.copy_(1 + normal(shape[1], scale=0.3))
        m.bias.copy_(normal(shape[1], scale=0.3))
    finish(case, x, m(x), {"weight": (m.weight, same), "bias": (m.bias, same)})


def attention(case, batch, seq, d, heads, causal, bias):
    x = normal(batch, seq, d).requires_grad_()
    m = torch.nn.MultiheadAttention(d, heads, bias=bias, batch_first=True)
    lib = {n: normal(d, d, scale=d**-0.5) for n in "qkvo"}  # (fan_in, fan_out)
    with torch.no_grad():
        # in_proj_weight is (q; k; v) stacked, each (out, in)
        m.in_proj_weight.copy_(torch.cat([lib[n].T for n in "qkv"]))
        m.out_proj.weight.copy_(lib["o"].T)
        if bias:
            m.in_proj_bias.copy_(normal(3 * d, scale=0.2))
            m.out_proj.bias.copy_(normal(d, scale=0.2))
    # MHA's bool mask: True = may not attend, so the future keys j > i
    mask = torch.triu(torch.ones(seq, seq, dtype=torch.bool), 1) if causal else None
    y, probs = m(x, x, x, attn_mask=mask, need_weights=True, average_attn_weights=False)
    w, b = m.in_proj_weight, m.in_proj_bias
    params = {}
    for i, n in enumerate("qkv"):
        params[n + ".weight"] = (w, lambda t, i=i: t[i * d:(i + 1) * d].T)
        if bias:
            params[n + ".bias"] = (b, lambda t, i=i: t[i * d:(i + 1) * d])
    params["o.weight"] = (m.out_proj.weight, lambda t: t.T)
    if bias:
        params["o.bias"] = (m.out_proj.bias, same)
    finish(case, x, y, params, {"probs": probs})


def main():
    os.makedirs(OUT, exist_ok=True)
    layernorm("layernorm", (4, 3, 6))
    rmsnorm("rmsnorm", (4, 3, 6))
    batchnorm("batchnorm_f", (5, 4))
    batchnorm("batchnorm_chw", (3, 2, 4, 5))
    attention("attn_h2", 2, 5, 8, 2, False, True)
    attention("attn_h4_causal", 2, 5, 8, 4, True, True)
    attention("attn_h1_causal_nobias", 3, 4, 6, 1, True, False)
    print(torch.__version__, np.__version__, "->", OUT)


if __name__ == "__main__":
    main()
