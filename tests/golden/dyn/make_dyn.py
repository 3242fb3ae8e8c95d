#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyTorch's training steps for tests/test_nettrain.c.

Run: /usr/bin/python3 tests/golden/dyn/make_dyn.py > tests/golden/dyn/dyn_golden.h
(Debian python3-torch 1.13, python3-numpy 1.24.2; float64).

Two tiny networks, written out as initlab lays them (a dense weight is
(fan_in, fan_out), the transpose of nn.Linear's):
  mlp: Linear(4, 5) ReLU Linear(5, 3)
  res: Linear(4, 6), x + Tanh(Linear(LayerNorm(x))) with 6 features, Linear(6, 3)
Initial weights are drawn here from a seeded numpy generator; five fixed
batches of 4 rows and 3 classes. For each of four optimizer settings
(torch.optim SGD with weight decay; SGD momentum; Adam with coupled weight
decay, 2 warm-up steps then a cosine over 3 steps (LambdaLR); AdamW with
global-norm clipping 0.5 and a 0.5 learning-rate factor on the readout's
parameter group) the loss of every step (nn.CrossEntropyLoss, mean) and
every parameter's update ratio ||p_new - p_old|| / ||p_old||.
"""
import math

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
rng = np.random.RandomState(19)
STEPS, BATCH, IN, CLASSES = 5, 4, 4, 3
xs = rng.randn(STEPS, BATCH, IN)
ys = rng.randint(0, CLASSES, size=(STEPS, BATCH))


class Res(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln = torch.nn.LayerNorm(d)
        self.fc = torch.nn.Linear(d, d)

    def forward(self, x):
        return x + torch.tanh(self.fc(self.ln(x)))


def make(kind):
    if kind == "mlp":
        return torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    return torch.nn.Sequential(torch.nn.Linear(4, 6), Res(6), torch.nn.Linear(6, 3))


def params(model):
    """(initlab's name, tensor, is a dense weight) in initlab's order."""
    out = []
    for name, p in model.named_parameters():
        nm = name.replace("1.ln.", "1.body.0.").replace("1.fc.", "1.body.1.")
        out.append(("layers." + nm, p, p.dim() == 2))
    return out


def sched(step):
    if step < 2:
        return (step + 1) / 2
    t = step - 2
    return 0.5 * (1 + math.cos(math.pi * t / 3)) if t < 3 else 0.0


CONFIGS = [
    ("sgd", dict(lr=0.1, weight_decay=0.01)),
    ("momentum", dict(lr=0.1, momentum=0.9)),
    ("adam", dict(lr=0.01, weight_decay=0.01)),
    ("adamw", dict(lr=0.01, weight_decay=0.1)),
]


def c_array(name, values):
    body = ", ".join(repr(float(v)) for v in values)
    return f"static const double {name}[] = {{{body}}};"


def main():
    print("/* Made by tests/golden/dyn/make_dyn.py (PyTorch 1.13, float64); do not edit. */")
    print("/* clang-format off */")
    print(f"#define DYN_STEPS {STEPS}\n#define DYN_BATCH {BATCH}\n#define DYN_IN {IN}\n"
          f"#define DYN_CLASSES {CLASSES}")
    print(c_array("dyn_x", xs.ravel()))
    print("static const unsigned dyn_y[] = {" + ", ".join(str(int(v)) for v in ys.ravel()) + "};")
    for kind in ("mlp", "res"):
        base = make(kind)
        init = {}
        for name, p, dense in params(base):
            if p.dim() == 2:
                v = rng.randn(*p.shape) * 0.5
            elif "body.0.weight" in name:
                v = 1 + 0.1 * rng.randn(*p.shape)
            else:
                v = 0.1 * rng.randn(*p.shape)
            init[name] = v
            lay = v.T if dense else v  # initlab's layout
            print(c_array(f"dyn_{kind}_init_{len(init) - 1}", lay.ravel()))
        print(f"static const double *const dyn_{kind}_init[] = {{" +
              ", ".join(f"dyn_{kind}_init_{i}" for i in range(len(init))) + "};")
        print(f"static const char *const dyn_{kind}_names[] = {{" +
              ", ".join(f'"{n}"' for n in init) + "};")
        for opt_name, kw in CONFIGS:
            model = make(kind)
            plist = params(model)
            with torch.no_grad():
                for name, p, _ in plist:
                    p.copy_(torch.from_numpy(init[name]))
            last = [p for n, p, _ in plist if n.startswith("layers.2.")]
            rest = [p for n, p, _ in plist if not n.startswith("layers.2.")]
            groups = [{"params": rest}, {"params": last, "lr": kw["lr"] * 0.5}] \
                if opt_name == "adamw" else [{"params": rest + last}]
            if opt_name in ("sgd", "momentum"):
                opt = torch.optim.SGD(groups, **kw)
            elif opt_name == "adam":
                opt = torch.optim.Adam(groups, **kw)
            else:
                opt = torch.optim.AdamW(groups, **kw)
            sch = torch.optim.lr_scheduler.LambdaLR(opt, sched) if opt_name == "adam" else None
            losses, ratios = [], []
            for s in range(STEPS):
                opt.zero_grad()
                out = model(torch.from_numpy(xs[s]))
                loss = torch.nn.functional.cross_entropy(out, torch.from_numpy(ys[s]))
                loss.backward()
                if opt_name == "adamw":
                    torch.nn.utils.clip_grad_norm_([p for _, p, _ in plist], 0.5)
                old = [p.detach().clone() for _, p, _ in plist]
                opt.step()
                if sch:
                    sch.step()
                losses.append(loss.item())
                for (_, p, _), o in zip(plist, old):
                    ratios.append(((p.detach() - o).norm() / o.norm()).item())
            print(c_array(f"dyn_{kind}_{opt_name}_loss", losses))
            print(c_array(f"dyn_{kind}_{opt_name}_ratio", ratios))


main()
