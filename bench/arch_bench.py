#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyTorch's side of bench/arch_bench.sh: one network of `initlab net show`
as an nn.Module (tests/golden/arch/make_arch.py's modules, the ones the
goldens check against initlab), timed inside the process.

  arch_bench.py INITLAB PRESET BATCH MODE DTYPE THREADS REPS
    MODE   fwd (forward under no_grad) or fwdbwd (forward, then backward of
           sum(y * g) with g ~ N(0, 1): initlab's --grad-source unit)
    DTYPE  float32 or float64

Prints the median seconds of REPS timed passes (after one warm-up pass).
Initialization and the input draw are outside the timing, as the issue's
Speed section asks for PyTorch's side.
"""
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "golden", "arch"))
import make_arch  # noqa: E402


def main():
    initlab, preset, batch, mode, dtype, threads, reps = sys.argv[1:8]
    torch.set_num_threads(int(threads))
    torch.set_default_dtype(getattr(torch, dtype))
    desc = make_arch.net_json(initlab, preset)
    net = make_arch.Net(desc)
    shape = [int(batch), desc["input"]["seq"], desc["input"]["features"]]
    x = torch.randn(*shape)
    times = []
    for i in range(int(reps) + 1):
        t0 = time.perf_counter()
        if mode == "fwd":
            with torch.no_grad():
                y = net.layers(x)
        else:
            y = net.layers(x)
            g = torch.randn_like(y)
            net.zero_grad(set_to_none=True)
            (y * g).sum().backward()
        if i:
            times.append(time.perf_counter() - t0)
    print(f"{statistics.median(times):.4f}")


if __name__ == "__main__":
    main()
