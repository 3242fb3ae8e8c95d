#!/usr/bin/python3
"""Reproduce `initlab run --rng mt19937 --no-paired` with numpy, as docs/run.md
describes, and compare the saved activations.

usage: /usr/bin/python3 scripts/check_run_numpy.py build/initlab

The run: seed 7, batch 20, widths 12,9,5, three arms
  normal:std=0.3/tanh, xavier_uniform/relu/normal:std=0.1, lecture_he/sigmoid
Draw order (lecture order): every arm's input randn(20, 12) in arm order; then
per layer, per arm: its weights (fan_in, fan_out), then its bias if any.
Uniform schemes are torch's uniform_: rand(...) * (b - a) + a.
Exits 1 unless every activation agrees within 1e-12.
"""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

ARMS = ["normal:std=0.3/tanh", "xavier_uniform/relu/normal:std=0.1", "lecture_he/sigmoid"]
WIDTHS = [12, 9, 5]
BATCH, SEED = 20, 7


def main():
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory() as out:
        cmd = [exe, "run", "--rng", "mt19937", "--no-paired", "--seed", str(SEED), "--batch",
               str(BATCH), "--widths", ",".join(map(str, WIDTHS)), "--save-activations",
               "--out", out]
        for a in ARMS:
            cmd += ["--arm", a]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

        np.random.seed(SEED)
        xs = [np.random.randn(BATCH, WIDTHS[0]) for _ in ARMS]
        worst = 0.0
        for layer in range(1, len(WIDTHS)):
            fi, fo = WIDTHS[layer - 1], WIDTHS[layer]
            for k in range(len(ARMS)):
                if k == 0:
                    w = np.random.randn(fi, fo) * 0.3 + 0.0
                    y = np.tanh(xs[k] @ w)
                elif k == 1:
                    bound = math.sqrt(3.0) * (1.0 * math.sqrt(2.0 / float(fi + fo)))
                    w = np.random.rand(fi, fo) * (2 * bound) + (-bound)
                    b = np.random.randn(fo) * 0.1 + 0.0
                    y = np.maximum(0, xs[k] @ w + b)
                else:
                    w = np.random.randn(fi, fo) * math.sqrt(2 / fi)
                    y = 1 / (1 + np.exp(-(xs[k] @ w)))
                ours = np.load(os.path.join(out, f"arm{k + 1}_layer{layer}.npy"))
                worst = max(worst, float(np.max(np.abs(ours - y))))
                xs[k] = y
    print(f"max |initlab - numpy| over all layers and arms: {worst:.3e}")
    return 0 if worst <= 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
