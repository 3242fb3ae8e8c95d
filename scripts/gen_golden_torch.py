#!/usr/bin/python3
"""Regenerate tests/golden/torch_scales.txt from PyTorch (Debian python3-torch).

usage: /usr/bin/python3 scripts/gen_golden_torch.py [OUTFILE]

For every torch initializer that has a scale, and a table of shapes (dense
and convolution weights, torch layout (out, in, k...)), records what torch
computes: the fans (torch.nn.init._calculate_fan_in_and_fan_out /
_calculate_correct_fan), the gain (torch.nn.init.calculate_gain) and the std
and bound as torch's init.py computes them (the same Python expressions, so
the same doubles). It also draws from each uniform scheme with torch and
checks that the drawn values stay within the recorded bound, so the table
is what torch does, not only what its source says.

Line format: SPEC SHAPE fan_in fan_out gain std bound   (bound '-' if none)
SPEC is the initlab spec string; SHAPE like 16x3x5x5. Numbers are %.17g.
"""
import math
import os
import sys

import torch
from torch.nn import init

SHAPES = [(256, 784), (784, 256), (10, 7), (7, 10), (1, 1), (3, 1, 7), (16, 3, 5, 5),
          (64, 32, 3, 3), (8, 4, 3, 3, 3), (1000, 1), (2, 2048)]

# (initlab spec, torch function name, kwargs)
SCHEMES = [
    ("xavier_uniform", "xavier_uniform_", {}),
    ("xavier_uniform:gain=1.6666666666666667", "xavier_uniform_", {"gain": 5.0 / 3}),
    ("xavier_normal", "xavier_normal_", {}),
    ("xavier_normal:gain=1.4142135623730951", "xavier_normal_", {"gain": math.sqrt(2.0)}),
    ("kaiming_uniform", "kaiming_uniform_", {}),
    ("kaiming_uniform:nonlinearity=relu", "kaiming_uniform_", {"nonlinearity": "relu"}),
    ("kaiming_uniform:a=0.2,mode=fan_out", "kaiming_uniform_", {"a": 0.2, "mode": "fan_out"}),
    ("kaiming_uniform:nonlinearity=tanh,mode=fan_out", "kaiming_uniform_",
     {"nonlinearity": "tanh", "mode": "fan_out"}),
    ("kaiming_normal", "kaiming_normal_", {}),
    ("kaiming_normal:nonlinearity=relu", "kaiming_normal_", {"nonlinearity": "relu"}),
    ("kaiming_normal:a=10,mode=fan_out", "kaiming_normal_", {"a": 10, "mode": "fan_out"}),
    ("kaiming_normal:nonlinearity=selu", "kaiming_normal_", {"nonlinearity": "selu"}),
    ("kaiming_normal:nonlinearity=sigmoid,mode=fan_out", "kaiming_normal_",
     {"nonlinearity": "sigmoid", "mode": "fan_out"}),
    ("torch_linear_default", "kaiming_uniform_", {"a": math.sqrt(5)}),
]


def scales(fn, kwargs, t):
    """std and bound as torch/nn/init.py computes them."""
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
    if fn.startswith("xavier"):
        gain = kwargs.get("gain", 1.0)
        std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
        bound = math.sqrt(3.0) * std if fn == "xavier_uniform_" else None
    else:
        fan = init._calculate_correct_fan(t, kwargs.get("mode", "fan_in"))
        gain = init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"), kwargs.get("a", 0))
        std = gain / math.sqrt(fan)
        bound = math.sqrt(3.0) * std if fn == "kaiming_uniform_" else None
    return fan_in, fan_out, float(gain), std, bound


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "torch_scales.txt")
    torch.manual_seed(0)
    lines = [f"# torch {torch.__version__}: /usr/bin/python3 scripts/gen_golden_torch.py",
             "# SPEC SHAPE fan_in fan_out gain std bound"]
    for spec, fn, kwargs in SCHEMES:
        for shape in SHAPES:
            t = torch.empty(shape, dtype=torch.float64)
            fan_in, fan_out, gain, std, bound = scales(fn, kwargs, t)
            getattr(init, fn)(t, **kwargs)      # torch draws: must respect the bound
            if bound is not None:
                assert float(t.abs().max()) <= bound, (spec, shape)
            b = "-" if bound is None else "%.17g" % bound
            lines.append("%s %s %d %d %.17g %.17g %s" % (spec, "x".join(map(str, shape)), fan_in,
                                                         fan_out, gain, std, b))
        # torch's bias default for the same weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    for shape in SHAPES:
        t = torch.empty(shape, dtype=torch.float64)
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        lines.append("torch_bias_default:fan_in=%d %d %d %d nan %.17g %.17g" % (
            fan_in, shape[0], fan_in, shape[0], bound / math.sqrt(3.0), bound))
    gains = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
             ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 10),
             ("selu", None)]
    for name, param in gains:
        lines.append("gain %s %s %.17g" % (name, "default" if param is None else repr(param),
                                            init.calculate_gain(name, param)))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
