#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""ctest arch_torch: initlab's networks against PyTorch's, numpy only.

    check_arch.py INITLAB GOLDEN_DIR

For each case of GOLDEN_DIR/cases.json (written by make_arch.py, which
made the goldens with torch 1.13 from the same arguments) it re-runs
initlab into a temporary folder and checks that
  - the parameters are the committed ones bit for bit (the same draws),
  - the input and output_grad are the committed ones bit for bit,
  - every point's activation and every parameter's gradient is PyTorch's
    within 1e-12 * max(1, largest |value| of that array).
make_arch.py measured at most 1.5e-14 absolute (maxdiff.txt), so the bound
has a margin of about 100x for a different BLAS kernel or compiler while
still catching any wrong formula (a wrong eps alone moves LayerNorm
outputs by ~1e-6).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

TOL = 1e-12


def main():
    initlab, gold_dir = sys.argv[1], sys.argv[2]
    with open(os.path.join(gold_dir, "cases.json")) as f:
        cases = json.load(f)
    failed = passed = 0
    for case, args in cases.items():
        d = os.path.join(gold_dir, case)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([initlab] + args + ["--out", tmp], check=True,
                           stdout=subprocess.DEVNULL)
            params = dict(np.load(os.path.join(tmp, "arm1_params.npz")))
            acts = dict(np.load(os.path.join(tmp, "arm1_activations.npz")))
            grads = dict(np.load(os.path.join(tmp, "arm1_grads.npz")))
        want_p = dict(np.load(os.path.join(d, "params.npz")))
        want_in = dict(np.load(os.path.join(d, "input.npz")))
        torch_out = dict(np.load(os.path.join(d, "torch.npz")))
        errs = []
        if sorted(params) != sorted(want_p):
            errs.append(f"parameter names {sorted(params)} != {sorted(want_p)}")
        for k in want_p:
            if k in params and not np.array_equal(params[k], want_p[k]):
                errs.append(f"{k}: parameters differ from the committed draws")
        if not np.array_equal(acts["input"], want_in["input"]):
            errs.append("input differs from the committed one")
        if not np.array_equal(grads["output_grad"], want_in["output_grad"]):
            errs.append("output_grad differs from the committed one")
        worst = 0.0
        for key, ref in torch_out.items():
            kind, name = key.split(":", 1)
            got = (acts if kind == "act" else grads).get(name)
            if got is None or got.shape != ref.shape:
                errs.append(f"{key}: missing or shape {None if got is None else got.shape}")
                continue
            diff = float(np.max(np.abs(got - ref))) if ref.size else 0.0
            bound = TOL * max(1.0, float(np.max(np.abs(ref))) if ref.size else 1.0)
            worst = max(worst, diff)
            if not diff <= bound:
                errs.append(f"{key}: max |initlab - torch| {diff:.3e} > {bound:.3e}")
        n_pts = sum(k.startswith("act:") for k in torch_out)
        if errs:
            failed += 1
            print(f"FAIL {case}:")
            for e in errs[:20]:
                print("   ", e)
        else:
            passed += 1
            print(f"ok   {case}: {n_pts} points, {len(torch_out) - n_pts} gradients, "
                  f"max |initlab - torch| {worst:.2e}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
