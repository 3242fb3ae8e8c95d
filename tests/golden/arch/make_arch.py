#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyTorch goldens for `initlab run --net`: the same network as an nn.Module.

Run by hand with Debian's python3 (python3-torch 1.13) from the repository:

    /usr/bin/python3 tests/golden/arch/make_arch.py build/initlab

For every case in CASES it runs initlab (float64, --save-params
--save-activations, and --grad --grad-source unit --save-grads), builds the
equivalent nn.Module from the expanded JSON of `initlab net show`, with
parameter names equal to initlab's (layers.4.body.1.weight, ...), loads
arm1_params.npz with load_state_dict, runs the saved "input" through it,
and backpropagates sum(output * output_grad). It writes

    tests/golden/arch/CASE/input.npz      initlab's input and output_grad
    tests/golden/arch/CASE/params.npz     initlab's parameters (the draws)
    tests/golden/arch/CASE/torch.npz      PyTorch's activation at every point
                                          ("act:NAME") and gradient of every
                                          parameter ("grad:NAME")
    tests/golden/arch/cases.json          each case's initlab arguments
    tests/golden/arch/maxdiff.txt         the largest |initlab - torch| per case

and tests/golden/arch/check_arch.py (the ctest, numpy only) re-runs initlab
and compares against these arrays.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

# name -> (net preset, recipe, batch). Recipes with every parameter drawn
# (no zero branch) so that each point carries signal.
CASES = {
    "resmlp_none": ("resmlp:blocks=3,width=16,norm=none", "he", 8),
    "resmlp_pre": ("resmlp:blocks=3,width=16,norm=pre", "he", 8),
    "resmlp_post": ("resmlp:blocks=3,width=16,norm=post", "he", 8),
    "resmlp_bias": ("resmlp:blocks=2,width=12,norm=pre,bias=1", "torch_default", 6),
    "tf_pre": ("transformer:layers=2,d_model=16,heads=2,seq=5", "torch_default", 3),
    "tf_causal": ("transformer:layers=2,d_model=16,heads=4,seq=6,causal=1", "xavier", 3),
    "tf_post": ("transformer:layers=2,d_model=16,heads=2,seq=5,norm=post", "torch_default", 3),
}


def run_args(case):
    preset, recipe, batch = CASES[case]
    return ["run", "--net", preset, "--recipe", recipe, "--batch", str(batch), "--seed", "7",
            "--grad", "--grad-source", "unit", "--save-params", "--save-activations",
            "--save-grads"]


def act_fn(name):
    fns = {"relu": F.relu, "gelu": F.gelu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
           "linear": lambda x: x, "gelu:approximate=none": F.gelu,
           "gelu:approximate=tanh": lambda x: F.gelu(x, approximate="tanh")}
    return fns[name]


class Act(nn.Module):
    def __init__(self, name):
        super().__init__()
        self.fn = act_fn(name)

    def forward(self, x):
        return self.fn(x)


class Attention(nn.Module):
    """q, k, v, o as four Linear D->D maps (initlab's names), heads split D."""

    def __init__(self, d, heads, causal, bias):
        super().__init__()
        self.h, self.causal = heads, causal
        self.q, self.k, self.v, self.o = (nn.Linear(d, d, bias=bias) for _ in range(4))

    def forward(self, x):
        b, s, d = x.shape
        dh = d // self.h

        def split(t):
            return t.view(b, s, self.h, dh).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = q @ k.transpose(-1, -2) / dh ** 0.5
        if self.causal:
            mask = torch.ones(s, s, dtype=torch.bool).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))
        heads = torch.softmax(scores, dim=-1) @ v
        return self.o(heads.transpose(1, 2).reshape(b, s, d))


class Residual(nn.Module):
    def __init__(self, body, shortcut, has_alpha, alpha):
        super().__init__()
        self.body = body
        self.shortcut = shortcut
        if has_alpha:
            self.alpha = nn.Parameter(torch.tensor(float(alpha), dtype=torch.float64))
        else:
            self.const_alpha = float(alpha)

    def forward(self, x):
        s = x if self.shortcut is None else self.shortcut(x)
        a = self.alpha if hasattr(self, "alpha") else self.const_alpha
        return s + a * self.body(x)


def build(layers, feat):
    """nn.Sequential of the JSON layers on inputs whose last axis is 'feat'."""
    mods = []
    for L in layers:
        t = L["type"]
        if t == "dense":
            m = nn.Linear(feat, L["out"], bias=L["bias"])
            feat = L["out"]
        elif t == "act":
            m = Act(L["fn"])
        elif t == "layernorm":
            m = nn.LayerNorm(feat, eps=L["eps"])
        elif t == "rmsnorm":
            m = RMSNorm(feat, L["eps"])
        elif t == "attention":
            m = Attention(feat, L["heads"], L["causal"], L["bias"])
        elif t == "residual":
            body, f2 = build(L["body"], feat)
            sc = None
            if "shortcut" in L:
                sc, f2 = build([L["shortcut"]], feat)
                sc = sc[0]
            m = Residual(body, sc, "alpha" in L, L.get("alpha", 1.0))
            feat = f2
        else:
            raise SystemExit("make_arch.py: no module for layer type " + t)
        mods.append(m)
    return nn.Sequential(*mods), feat


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d, dtype=torch.float64))

    def forward(self, x):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + self.eps) * self.weight


class Net(nn.Module):
    def __init__(self, desc):
        super().__init__()
        inp = desc["input"]
        self.layers, _ = build(desc["layers"], inp["features"])


def net_json(initlab, preset):
    out = subprocess.run([initlab, "net", "show", preset], check=True, capture_output=True,
                         text=True).stdout
    # the expanded JSON comes first, then a blank line and the table
    return json.loads(out[:out.index("\n\n")])


def main():
    initlab = sys.argv[1] if len(sys.argv) > 1 else "build/initlab"
    torch.set_default_dtype(torch.float64)
    lines = []
    for case, (preset, _, _) in CASES.items():
        tmp = tempfile.mkdtemp()
        subprocess.run([initlab] + run_args(case) + ["--out", tmp], check=True,
                       stdout=subprocess.DEVNULL)
        params = dict(np.load(os.path.join(tmp, "arm1_params.npz")))
        acts = dict(np.load(os.path.join(tmp, "arm1_activations.npz")))
        grads = dict(np.load(os.path.join(tmp, "arm1_grads.npz")))
        shutil.rmtree(tmp)

        net = Net(net_json(initlab, preset))
        state = {k: torch.from_numpy(v) for k, v in params.items()}
        net.load_state_dict(state, strict=True)
        seen = {}

        def hook(name):
            def f(_m, _i, out):
                out.retain_grad()
                seen[name] = out
            return f

        for name, m in net.named_modules():
            if name.startswith("layers.") and name in acts:
                m.register_forward_hook(hook(name))
        x = torch.from_numpy(acts["input"])
        y = net.layers(x)
        (y * torch.from_numpy(grads["output_grad"])).sum().backward()

        missing = set(acts) - set(seen) - {"input"}
        if missing:
            raise SystemExit(f"{case}: points without a module: {sorted(missing)}")
        gold = {}
        da = dg = 0.0
        for name in seen:
            t = seen[name].detach().numpy()
            gold["act:" + name] = t
            da = max(da, float(np.max(np.abs(t - acts[name]))))
        for name, p in net.named_parameters():
            g = p.grad.numpy()
            gold["grad:" + name] = g
            dg = max(dg, float(np.max(np.abs(g - grads[name]))))
        scale_a = max(float(np.max(np.abs(v))) for v in acts.values())
        scale_g = max(float(np.max(np.abs(v))) for v in grads.values())
        d = os.path.join(HERE, case)
        os.makedirs(d, exist_ok=True)
        np.savez_compressed(os.path.join(d, "input.npz"), input=acts["input"],
                 output_grad=grads["output_grad"])
        np.savez_compressed(os.path.join(d, "params.npz"), **params)
        np.savez_compressed(os.path.join(d, "torch.npz"), **gold)
        lines.append(f"{case:12s} {preset} --recipe {CASES[case][1]}: max|activation diff| "
                     f"{da:.3e} (largest |activation| {scale_a:.3g}), max|grad diff| {dg:.3e} "
                     f"(largest |grad| {scale_g:.3g})")
        print(lines[-1])
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump({c: run_args(c) for c in CASES}, f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "maxdiff.txt"), "w") as f:
        f.write("# /usr/bin/python3 tests/golden/arch/make_arch.py build/initlab "
                f"(torch {torch.__version__}, float64)\n")
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
