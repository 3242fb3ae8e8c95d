#!/usr/bin/python3
"""Regenerate tests/golden/ from numpy (Debian python3-numpy 1.24.2).

usage: /usr/bin/python3 scripts/gen_golden.py [OUTDIR]   (default tests/golden)

The tests compare against these files and never need numpy. What is made:

  mt19937_seed<S>_u32.bin     first 10^4 raw words of RandomState(S)
                              (MT19937.random_raw), little-endian uint32
  mt19937_seed<S>_f64.bin     first 10^4 np.random.rand() doubles after
                              np.random.seed(S), little-endian float64
  mt19937_seed<S>_normal.bin  first 10^4 np.random.randn() after seed(S)
  for S in 0, 1, 100, 4294967295.

  lecture_seed<S>.txt         per exercise, network and layer of the lecture's
                              listings run with np.random.seed(S): mean, std,
                              min, max, fractions, np.histogram(a, 30,
                              range=(0, 1)) counts, counts below 0 and above 1,
                              and 16 sampled activations with their flat
                              index; for S in 100, 7, 4294967295.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lecture_numpy  # noqa: E402

N = 10000
STREAM_SEEDS = [0, 1, 100, 4294967295]
LECTURE_SEEDS = [100, 7, 4294967295]
# Flat positions sampled from each (1000, 100) activation array: both ends,
# and spread-out interior points (no structure that could hide a transpose).
SAMPLES = [0, 1, 99, 100, 12345, 31337, 49999, 50000, 65432, 77777, 88888,
           90001, 97531, 99899, 99900, 99999]


def streams(out):
    for s in STREAM_SEEDS:
        rs = np.random.RandomState(s)
        raw = rs._bit_generator.random_raw(N).astype("<u4")
        raw.tofile(os.path.join(out, f"mt19937_seed{s}_u32.bin"))
        np.random.seed(s)
        np.random.rand(N).astype("<f8").tofile(os.path.join(out, f"mt19937_seed{s}_f64.bin"))
        np.random.seed(s)
        np.random.randn(N).astype("<f8").tofile(os.path.join(out, f"mt19937_seed{s}_normal.bin"))


def lecture(out):
    for s in LECTURE_SEEDS:
        path = os.path.join(out, f"lecture_seed{s}.txt")
        with open(path, "w") as f:
            f.write(f"# np.random.seed({s}); the lecture's listings (scripts/lecture_numpy.py)\n")
            f.write(f"# made by: /usr/bin/python3 scripts/gen_golden.py with numpy "
                    f"{np.__version__}\n")
            f.write("# layer EX NET LAYER mean std min max frac_low frac_high frac_zero "
                    "below above\n# counts C0..C29\n# sample INDEX VALUE x16\n")
            for e, fn in enumerate(lecture_numpy.EXERCISES, start=1):
                for n, acts in enumerate(fn(s), start=1):
                    for l in range(5):
                        a = acts[l]
                        flat = a.flatten()
                        counts, _ = np.histogram(flat, 30, range=(0, 1))
                        f.write("layer %d %d %d %.17g %.17g %.17g %.17g %.17g %.17g %.17g %d %d\n"
                                % (e, n, l + 1, a.mean(), a.std(), a.min(), a.max(),
                                   np.mean(a < 0.01), np.mean(a > 0.99), np.mean(a == 0),
                                   int(np.sum(a < 0)), int(np.sum(a > 1))))
                        f.write("counts " + " ".join(str(int(c)) for c in counts) + "\n")
                        f.write("sample " + " ".join("%d %.17g" % (i, flat[i]) for i in SAMPLES)
                                + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden")
    os.makedirs(out, exist_ok=True)
    streams(out)
    lecture(out)


if __name__ == "__main__":
    main()
