#!/usr/bin/env bash
# Benchmark: the book's three-init comparison (784-100-100-100-100-10, ReLU,
# SGD lr 0.01, batch 128, 2000 iterations) on Fashion-MNIST: initlab
# (--reproduce dlfs in float64, and float32) against the book's code in numpy (float64,
# scripts/gen_golden_dlfs.py) and PyTorch (CPU, float32, 1 and 2 threads),
# alternating runs on this machine; data loading excluded everywhere.
# Prints the medians, the ratios, and the largest difference between
# initlab's and numpy's per-iteration losses (same draws).
#
# usage: bench/train.sh [RUNS]     (default 3; needs root for apt the first time)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
missing=""
for p in python3-numpy python3-torch dataset-fashion-mnist; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
[ -x build/initlab ] || { scripts/install-deps.sh; cmake --preset release >/dev/null; cmake --build build >/dev/null; }

exec /usr/bin/python3 - "$(pwd)" "$runs" <<'PY'
import json, os, re, statistics, subprocess, sys, tempfile
root, runs = sys.argv[1], int(sys.argv[2])
tmp = tempfile.mkdtemp()
times = {"initlab f64": [], "initlab f32": [], "numpy f64": [], "torch f32 1 thread": [],
         "torch f32 2 threads": []}

def seconds(stderr):
    return float(re.search(r"train_seconds ([0-9.]+)", stderr).group(1))

for r in range(runs):
    p = subprocess.run([f"{root}/build/initlab", "train", "--init", "normal:std=0.01", "--init",
                        "lecture_xavier", "--init", "lecture_he", "--act", "relu", "--reproduce",
                        "dlfs", "--seed", "100", "--out", f"{tmp}/il"], capture_output=True,
                       text=True, check=True)
    times["initlab f64"].append(float(re.search(r"training took ([0-9.]+) s", p.stdout).group(1)))
    p = subprocess.run([f"{root}/build/initlab", "train", "--init", "normal:std=0.01", "--init",
                        "lecture_xavier", "--init", "lecture_he", "--act", "relu", "--dtype", "f32",
                        "--seed", "100", "--out", f"{tmp}/il32"], capture_output=True, text=True,
                       check=True)
    times["initlab f32"].append(float(re.search(r"training took ([0-9.]+) s", p.stdout).group(1)))
    p = subprocess.run(["/usr/bin/python3", f"{root}/scripts/gen_golden_dlfs.py", "2000", "100"],
                       capture_output=True, text=True, check=True)
    times["numpy f64"].append(seconds(p.stderr))
    numpy_losses = [list(map(float, l.split()[1:])) for l in p.stdout.splitlines()]
    for th in (1, 2):
        p = subprocess.run(["/usr/bin/python3", f"{root}/bench/train_torch.py", str(th)],
                           capture_output=True, text=True, check=True)
        times[f"torch f32 {th} thread" + ("s" if th > 1 else "")].append(seconds(p.stderr))
        torch_final = p.stdout.split()
rep = json.load(open(f"{tmp}/il/report.json"))
worst = max(abs(rep["arms"][a]["loss"][i] - numpy_losses[i][a]) for a in range(3) for i in range(2000))
med = {k: statistics.median(v) for k, v in times.items()}
print(f"{runs} runs each, medians of the training loops (data loading and evaluation excluded):")
for k, v in med.items():
    print(f"  {k:22s} {v:7.2f} s")
print(f"  initlab vs numpy f64:        {med['numpy f64'] / med['initlab f64']:.2f}x")
best_torch = min(med["torch f32 1 thread"], med["torch f32 2 threads"])
print(f"  initlab f32 vs torch f32 (its faster setting): {best_torch / med['initlab f32']:.2f}x")
print(f"  largest |initlab - numpy| per-iteration loss over 2000 x 3: {worst:.2g}")
print(f"  final losses: initlab {[round(a['loss'][-1], 4) for a in rep['arms']]}, "
      f"torch (its own draws) {torch_final}")
PY
