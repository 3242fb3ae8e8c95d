#!/usr/bin/env bash
# Benchmark (issue 20): a 200-cell forward-only grid -- tanh, depth 50,
# width 256, batch 256, sigma_w2 over 1..4 (20 values) x sigma_b2 over
# 0..0.1 (10 values), the last layer's std kept -- by `initlab sweep`
# against the obvious Python equivalent (a numpy loop over the grid writing
# a CSV), on the same cores, alternating runs; then `mpirun -n 2` against
# serial on a grid of equal-cost cells (sigma_w2 only varies; 120 cells).
#
# usage: bench/sweep_bench.sh [RUNS]    (default 3; needs python3-numpy and,
#        for the MPI row, an initlab built with INITLAB_MPI and mpirun)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
exe=$(pwd)/build/initlab
[ -x "$exe" ] || { echo "build initlab first (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/base.json" <<'JSON'
{"depth": 50, "width": 256, "batch": 256, "arms": [{"init": "normal", "act": "tanh"}]}
JSON
cat > "$tmp/grid.py" <<'PY'
# The obvious numpy loop: every cell a fresh generator, N(0,1) inputs,
# weights N(0, sigma_w2/fan_in), biases N(0, sigma_b2), tanh; a CSV row per cell.
import csv, sys, numpy as np
out = sys.argv[1]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["sigma_w2", "sigma_b2", "std"])
    cell = 0
    for sw in np.linspace(1, 4, 20):
        for sb in np.linspace(0, 0.1, 10):
            rng = np.random.default_rng(cell)
            x = rng.standard_normal((256, 256))
            for _ in range(50):
                W = rng.standard_normal((256, 256)) * np.sqrt(sw / 256)
                b = rng.standard_normal(256) * np.sqrt(sb)
                x = np.tanh(x @ W + b)
            w.writerow([sw, sb, x.std()])
            cell += 1
PY

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

: > "$tmp/il1"; : > "$tmp/il2"; : > "$tmp/np"
for r in $(seq "$runs"); do
  rm -f "$tmp"/s*.db*
  secs "$exe" sweep --base "$tmp/base.json" --axis sigma_w2=1:4:20 --axis sigma_b2=0:0.1:10 \
    --metric arms.0.layers.-1.std --db "$tmp/s1.db" --quiet >> "$tmp/il1"
  secs "$exe" sweep --base "$tmp/base.json" --axis sigma_w2=1:4:20 --axis sigma_b2=0:0.1:10 \
    --metric arms.0.layers.-1.std --db "$tmp/s2.db" --jobs 2 --quiet >> "$tmp/il2"
  secs /usr/bin/python3 "$tmp/grid.py" "$tmp/np.csv" >> "$tmp/np"
done
il1=$(median < "$tmp/il1"); il2=$(median < "$tmp/il2"); np=$(median < "$tmp/np")
echo "200 cells (depth 50, width 256, batch 256), medians of $runs runs, load $(cut -d' ' -f1 /proc/loadavg):"
printf '  initlab sweep, serial      %7.2f s\n' "$il1"
printf '  initlab sweep --jobs 2     %7.2f s\n' "$il2"
printf '  numpy loop (its BLAS threads) %4.2f s\n' "$np"
printf '  numpy / initlab --jobs 2   %7.1fx\n' "$(ratio "$np" "$il2")"
printf '  numpy / initlab serial     %7.1fx\n' "$(ratio "$np" "$il1")"

if command -v mpirun >/dev/null && "$exe" sweep --help | grep -q mpirun; then
  : > "$tmp/ser"; : > "$tmp/mpi"
  for r in $(seq "$runs"); do
    rm -f "$tmp"/e*.db*
    secs "$exe" sweep --base "$tmp/base.json" --axis sigma_w2=1:4:120 \
      --metric arms.0.layers.-1.std --db "$tmp/e1.db" --quiet >> "$tmp/ser"
    secs mpirun --oversubscribe --allow-run-as-root -n 2 "$exe" sweep --base "$tmp/base.json" \
      --axis sigma_w2=1:4:120 --metric arms.0.layers.-1.std --db "$tmp/e2.db" --quiet >> "$tmp/mpi"
  done
  ser=$(median < "$tmp/ser"); mpi=$(median < "$tmp/mpi")
  echo "120 equal cells, medians of $runs runs:"
  printf '  serial                     %7.2f s\n' "$ser"
  printf '  mpirun -n 2                %7.2f s\n' "$mpi"
  printf '  speed-up                   %7.2fx\n' "$(ratio "$ser" "$mpi")"
fi
