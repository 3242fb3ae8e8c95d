#!/usr/bin/env python3
"""Depth scale of two inputs' correlation: measured against mean-field theory.

For tanh with sigma_b2 = 0.05, one run per sigma_w2 (width 400, batch 300,
depth 120, --corr --theory): the e-folding depth of |corr_l - corr_inf|,
fitted (least squares on the log) over the leading layers where it exceeds
0.03, on the measured corr and on the correlation map's own prediction,
beside the asymptotic xi_c of `initlab theory`.
Usage: python3 scripts/depth_scale_fit.py build/initlab   (about 8 s on 2 cores)
The table is in docs/sweeps.md (Presets).
"""
import json, math, subprocess, sys

EXE = sys.argv[1] if len(sys.argv) > 1 else "initlab"
W, B, D, FLOOR = 400, 300, 120, 0.03


def efold(c):
    cinf = sum(c[-30:]) / 30
    run = []
    for l, v in enumerate(c):
        if abs(v - cinf) <= FLOOR:
            break
        run.append((l + 1, math.log(abs(v - cinf))))
    n = len(run)
    if n < 3:
        return float("nan"), n
    mx = sum(p[0] for p in run) / n
    my = sum(p[1] for p in run) / n
    slope = sum((p[0] - mx) * (p[1] - my) for p in run) / sum((p[0] - mx) ** 2 for p in run)
    return -1 / slope, n


print("| sigma_w2 | xi_c (theory) | fitted on the prediction | fitted on the measurement | layers |")
print("|---|---|---|---|---|")
for sw in [1.0, 1.25, 1.5, 2.25, 2.5, 3.0, 4.0]:
    arm = f"normal:std={math.sqrt(sw / W)!r}/tanh/normal:std={math.sqrt(0.05)!r}"
    out = subprocess.run([EXE, "run", "--arm", arm, "--depth", str(D), "--width", str(W),
                          "--batch", str(B), "--corr", "--theory", "--json", "--out",
                          "/tmp/initlab-depth-scale-fit"],
                         capture_output=True, text=True, check=True).stdout
    layers = json.loads(out)["arms"][0]["layers"]
    meas, n = efold([l["corr"] for l in layers])
    pred, _ = efold([l["theory"]["corr"] for l in layers])
    th = subprocess.run([EXE, "theory", "--act", "tanh", "--sigma-w2", str(sw), "--sigma-b2",
                         "0.05"], capture_output=True, text=True, check=True).stdout
    xi = th.split("xi_c")[1].split()[0]
    print(f"| {sw} | {xi} | {pred:.2f} | {meas:.2f} | {n} |")
