#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 18's Speed benchmark: forward and forward+backward of the transformer
# preset (12 layers, d_model 256, seq 64, batch 32) in initlab and PyTorch,
# at 1 and 2 threads. (The cnn preset needs the conv2d/pool ops, not in this
# build yet: it is skipped with a note when `initlab net show cnn` fails.)
#
# usage: bench/arch_bench.sh [INITLAB] [REPS]     (default build/initlab, 5)
#
# initlab's side is the whole `initlab run --net ... --recipe torch_default`
# command, timed from outside (start-up, initialization, every point's
# statistics, report.json and figures included: the issue asks for
# initialization and statistics included); --grad --grad-source unit adds
# the backward pass. Its engine is float64 only. PyTorch's side
# (bench/arch_bench.py) times the passes alone, in float64 and float32.
# Medians of REPS runs; the load average is printed before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
initlab=${1:-build/initlab}
reps=${2:-5}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

time_initlab() { # PRESET BATCH THREADS EXTRA...
    local preset=$1 batch=$2 th=$3
    shift 3
    for _ in $(seq "$reps"); do
        local t0 t1
        t0=$(date +%s.%N)
        OMP_NUM_THREADS=$th OPENBLAS_NUM_THREADS=$th "$initlab" run --net "$preset" \
            --recipe torch_default --batch "$batch" --out "$tmp/run" "$@" >/dev/null
        t1=$(date +%s.%N)
        echo "$t1 - $t0" | bc -l
    done | median
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
printf '%-12s %-8s %-3s %12s %12s %12s %10s %10s\n' preset pass thr "initlab f64" "torch f64" "torch f32" "vs f64" "vs f32"
for preset in "transformer:layers=12,d_model=256,heads=4,seq=64" "cnn"; do
    batch=32
    [ "$preset" = cnn ] && batch=64
    if ! "$initlab" net show "$preset" >/dev/null 2>&1; then
        echo "$preset: not in this build ($("$initlab" net show "$preset" 2>&1 | tail -1))"
        continue
    fi
    for pass in fwd fwdbwd; do
        extra=()
        [ $pass = fwdbwd ] && extra=(--grad --grad-source unit)
        for th in 1 2; do
            il=$(time_initlab "$preset" $batch $th "${extra[@]}")
            t64=$($py bench/arch_bench.py "$initlab" "$preset" $batch $pass float64 $th "$reps")
            t32=$($py bench/arch_bench.py "$initlab" "$preset" $batch $pass float32 $th "$reps")
            printf '%-12s %-8s %-3s %11.3fs %11.3fs %11.3fs %9.2fx %9.2fx\n' "${preset%%:*}" $pass $th \
                "$il" "$t64" "$t32" "$(echo "$t64 / $il" | bc -l)" "$(echo "$t32 / $il" | bc -l)"
        done
    done
done
echo "(vs: PyTorch's time / initlab's; above 1 means initlab is faster)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
