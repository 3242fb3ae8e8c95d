#!/usr/bin/python3
"""Compare `initlab lecture --save-activations` with the lecture's Python.

usage: /usr/bin/python3 scripts/check_lecture_numpy.py INITLAB [SEED ...]

For each seed, runs `INITLAB lecture --seed S --save-activations --out TMP`
and the lecture's three listings (scripts/lecture_numpy.py) with
np.random.seed(S), then prints, per exercise and network, the largest
absolute difference over the five layers and whether every histogram count
(30 bins over [0, 1], np.histogram) and the stats in report.json agree.
Exits 1 if any activation differs by more than 1e-12 or any count differs.
Needs Debian's python3-numpy; the test suite does not.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lecture_numpy  # noqa: E402

TOL = 1e-12


def main():
    exe = sys.argv[1]
    seeds = [int(s) for s in sys.argv[2:]] or [100]
    worst = 0.0
    ok = True
    for seed in seeds:
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([exe, "lecture", "--seed", str(seed), "--save-activations",
                            "--out", out], check=True, stdout=subprocess.DEVNULL)
            report = json.load(open(os.path.join(out, "report.json")))
            for e, fn in enumerate(lecture_numpy.EXERCISES, start=1):
                nets = fn(seed)
                for n, acts in enumerate(nets, start=1):
                    diff = 0.0
                    same_counts = True
                    bitwise = True
                    layers = report["exercises"][e - 1]["networks"][n - 1]["layers"]
                    for l in range(5):
                        ours = np.load(os.path.join(out, f"ex{e}", f"net{n}_layer{l + 1}.npy"))
                        ref = acts[l]
                        diff = max(diff, float(np.max(np.abs(ours - ref))))
                        bitwise &= bool(np.array_equal(ours, ref))
                        counts, _ = np.histogram(ref.flatten(), 30, range=(0, 1))
                        same_counts &= counts.tolist() == layers[l]["hist"]["counts"]
                        below = int(np.sum(ref < 0))
                        above = int(np.sum(ref > 1))
                        same_counts &= below == layers[l]["hist"]["below"]
                        same_counts &= above == layers[l]["hist"]["above"]
                        for key, val in (("mean", ref.mean()), ("std", ref.std()),
                                         ("min", ref.min()), ("max", ref.max())):
                            if abs(layers[l][key] - val) > TOL:
                                same_counts = False
                    worst = max(worst, diff)
                    good = diff <= TOL and same_counts
                    ok &= good
                    print(f"seed {seed:>10} ex{e} net{n}: max|diff| {diff:.3e}"
                          f"  bit-identical {'yes' if bitwise else 'no '}"
                          f"  counts/stats {'equal' if same_counts else 'DIFFER'}"
                          f"  {'ok' if good else 'FAIL'}")
    print(f"worst max|diff| {worst:.3e} (tolerance {TOL:g}): {'ok' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
