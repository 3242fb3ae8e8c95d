#!/usr/bin/env bash
# Speed of initlab against numpy and PyTorch, side by side on this machine
# (issue 7): each round runs every measurement once, initlab's and the
# references' in turn, and the table shows medians over the rounds and their
# ratios (reference time / initlab time: above 1 means initlab is faster).
#
#   normal draws   f64 and f32, 1 and 2 threads: initlab's fast generator
#                  (Philox4x32-10, Box-Muller) against np.random.randn,
#                  default_rng().standard_normal and torch.randn; initlab's
#                  mt19937 (numpy's legacy stream) against np.random.randn
#   truncated      N(0,1) cut to [-2, 2], f64 and f32, 1 and 2 threads, on
#   normals        8192^2 values: initlab's fast generator (rejection from its
#                  normals; f32: drawn in f64, rounded in pieces) against
#                  torch.nn.init.trunc_normal_; and the whole command
#                  `initlab init he_normal --shape 8192,8192 --dtype f32`
#                  against `init lecture_he` (plain normals) and against
#                  trunc_normal_ at torch's better thread count, with the
#                  command's peak RSS against the tensor's bytes
#   orthogonal     4096^2, f32 and f64: bench_kernels orth-* (il_init_fill_f32:
#                  single-precision LAPACK; il_init_fill: double) on 2 threads
#                  against torch.nn.init.orthogonal_ at torch's better of 1
#                  and 2 threads, the calls alone
#   stats          a 4096^2 layer's histogram (30 bins) and moments against
#                  np.histogram + mean + std; and against one streaming read
#   forward        20 layers, 4096 wide, batch 4096, He + ReLU, weights drawn
#                  inside the pass, f64 and f32: `initlab run [--dtype f32]` (the whole command: start,
#                  every layer's statistics, report and figures) against
#                  numpy and torch doing the pass alone; and the f64 run with
#                  he_normal (Keras's truncated normal, from the run's shared
#                  uniform noise) against the same run with kaiming_normal
#   lecture        bench/lecture.sh
#
# usage: bench/perf.sh [ROUNDS]      (default 5; root installs the references)
#        BENCH_ONLY=REGEX bench/perf.sh [ROUNDS]   only the cases whose name
#        matches (grep -E), the other rows printed as nan, no lecture;
#        BENCH_NO_DEPS=1 skips scripts/install-deps.sh
#
# OpenBLAS picks its kernels from the CPU unless OPENBLAS_CORETYPE says
# otherwise; some sandboxes set it (this one sets Haswell on an AVX-512
# machine). Both sides run with it unset, as on a user's machine; set
# BENCH_KEEP_CORETYPE=1 to keep it.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}

missing=""
for p in python3-numpy python3-torch python3-matplotlib; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "perf: installing$missing" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
[ "${BENCH_NO_DEPS:-0}" = 1 ] || scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build >/dev/null
cmake --build build --target bench_kernels >/dev/null

[ "${BENCH_KEEP_CORETYPE:-0}" = 1 ] || unset OPENBLAS_CORETYPE
k=build/bench_kernels
py="/usr/bin/python3 bench/perf_ref.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
N=33554432      # 2^25 draws
L=16777216      # one 4096 x 4096 layer
T=67108864      # one 8192 x 8192 tensor

# The measurements: NAME|COMMAND (each prints seconds)
cases=(
  "il-f64-1|$k normal-f64 $N 1"
  "il-f64-2|$k normal-f64 $N 2"
  "il-f32-1|$k normal-f32 $N 1"
  "il-f32-2|$k normal-f32 $N 2"
  "il-mt-1|$k normal-f64 $N 1 mt19937"
  "np-legacy|$py normal numpy-legacy f64 $N 1"
  "np-gen-f64|$py normal numpy-gen f64 $N 1"
  "np-gen-f32|$py normal numpy-gen f32 $N 1"
  "torch-f64-1|$py normal torch f64 $N 1"
  "torch-f64-2|$py normal torch f64 $N 2"
  "torch-f32-1|$py normal torch f32 $N 1"
  "torch-f32-2|$py normal torch f32 $N 2"
  "il-trunc-f64-1|$k trunc-f64 $T 1"
  "il-trunc-f64-2|$k trunc-f64 $T 2"
  "il-trunc-f32-1|$k trunc-f32 $T 1"
  "il-trunc-f32-2|$k trunc-f32 $T 2"
  "torch-trunc-f64-1|$py trunc f64 $T 1"
  "torch-trunc-f64-2|$py trunc f64 $T 2"
  "torch-trunc-f32-1|$py trunc f32 $T 1"
  "torch-trunc-f32-2|$py trunc f32 $T 2"
  "il-orth-f32|$k orth-f32 4096 2"
  "il-orth-f64|$k orth-f64 4096 2"
  "torch-orth-f32-1|$py orth f32 4096 1"
  "torch-orth-f32-2|$py orth f32 4096 2"
  "torch-orth-f64-1|$py orth f64 4096 1"
  "torch-orth-f64-2|$py orth f64 4096 2"
  "il-init-he-f32|INIT he_normal"
  "il-init-lecture-f32|INIT lecture_he"
  "il-stats-1|env OMP_NUM_THREADS=1 $k stats $L 1"
  "il-stats-2|$k stats $L 2"
  "il-read-2|$k read $L 2"
  "np-stats|$py stats $L"
  "il-gemm-f64|$k gemm-f64 4096"
  "il-forward-f64|FORWARD f64"
  "il-forward-f32|FORWARD f32"
  "il-forward-he|FORWARD f64 he_normal"
  "np-forward-f64|$py forward numpy f64"
  "torch-forward-f64|$py forward torch f64"
  "np-forward-f32|$py forward numpy f32"
  "torch-forward-f32|$py forward torch f32"
)

run_forward() { # DTYPE [INIT]: the whole command, timed from outside; f64 kaiming's peak RSS kept
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$tmp/rss" build/initlab run --depth 20 --width 4096 --batch 4096 \
      --arm "${2:-kaiming_normal:nonlinearity=relu}/relu" --out "$tmp/fwd" --max-memory 2G \
      --dtype "$1" >/dev/null
  t1=$(date +%s%N)
  [ "$1" = f64 ] && [ -z "${2:-}" ] && cat "$tmp/rss" >>"$tmp/forward.rss"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", (b - a) / 1e9 }'
}

run_init() { # SPEC: the whole `init --dtype f32` of 8192^2, timed from outside; peak RSS kept
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$tmp/rss" build/initlab init "$1" --shape 8192,8192 --dtype f32 >/dev/null
  t1=$(date +%s%N)
  cat "$tmp/rss" >>"$tmp/init-$1.rss"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", (b - a) / 1e9 }'
}

for r in $(seq "$rounds"); do
  echo "perf: round $r of $rounds" >&2
  for c in "${cases[@]}"; do
    name=${c%%|*} cmd=${c#*|}
    [ -z "${BENCH_ONLY:-}" ] || echo "$name" | grep -q -E "$BENCH_ONLY" || continue
    case "$cmd" in
      FORWARD*) run_forward ${cmd#FORWARD };;
      INIT*) run_init "${cmd#INIT }";;
      *) $cmd;;
    esac >>"$tmp/$name"
  done
done

med() { [ -f "$tmp/$1" ] || { echo nan; return; }; sort -g "$tmp/$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate() { awk -v n="$2" -v t="$(med "$1")" 'BEGIN { printf "%.0f M/s", n / t / 1e6 }'; }
ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN { printf "%.2fx", a / b }'; }
spread() { [ -f "$tmp/$1" ] || { echo nan; return; }; sort -g "$tmp/$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3g-%.3g s", lo, hi }'; }
faster() { # the name of the faster of two measurements (by median)
  awk -v a="$(med "$1")" -v b="$(med "$2")" -v na="$1" -v nb="$2" 'BEGIN { print (a <= b) ? na : nb }'
}

echo
echo "initlab $(build/initlab --version | cut -d' ' -f2), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
echo "flags: $(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx512f|avx512dq|avx512vl|avx2|fma' | sort -u | xargs),"
echo "OpenBLAS kernels: $($py blas), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset},"
echo "medians of $rounds rounds, $(date -u +%F)"
echo
printf '%-44s %14s %14s %9s\n' "measurement" "initlab" "reference" "ratio"
row() { printf '%-44s %14s %14s %9s\n' "$1" "$2" "$3" "$4"; }
row "N(0,1) f64, 1 thread vs numpy Generator" "$(rate il-f64-1 $N)" "$(rate np-gen-f64 $N)" "$(ratio np-gen-f64 il-f64-1)"
row "N(0,1) f64, 1 thread vs np.random.randn" "$(rate il-f64-1 $N)" "$(rate np-legacy $N)" "$(ratio np-legacy il-f64-1)"
row "N(0,1) f64, 1 thread vs torch.randn (1)" "$(rate il-f64-1 $N)" "$(rate torch-f64-1 $N)" "$(ratio torch-f64-1 il-f64-1)"
row "N(0,1) f64, 2 threads vs torch.randn (2)" "$(rate il-f64-2 $N)" "$(rate torch-f64-2 $N)" "$(ratio torch-f64-2 il-f64-2)"
row "N(0,1) f64, 2 threads vs 1 thread" "$(rate il-f64-2 $N)" "$(rate il-f64-1 $N)" "$(ratio il-f64-1 il-f64-2)"
row "N(0,1) f32, 1 thread vs torch.randn (1)" "$(rate il-f32-1 $N)" "$(rate torch-f32-1 $N)" "$(ratio torch-f32-1 il-f32-1)"
row "N(0,1) f32, 2 threads vs torch.randn (2)" "$(rate il-f32-2 $N)" "$(rate torch-f32-2 $N)" "$(ratio torch-f32-2 il-f32-2)"
row "N(0,1) f32, 1 thread vs numpy Generator" "$(rate il-f32-1 $N)" "$(rate np-gen-f32 $N)" "$(ratio np-gen-f32 il-f32-1)"
row "N(0,1) f32, 2 threads vs 1 thread" "$(rate il-f32-2 $N)" "$(rate il-f32-1 $N)" "$(ratio il-f32-1 il-f32-2)"
row "mt19937 (numpy's stream) vs np.random.randn" "$(rate il-mt-1 $N)" "$(rate np-legacy $N)" "$(ratio np-legacy il-mt-1)"
row "trunc N f64, 1 thread vs trunc_normal_ (1)" "$(rate il-trunc-f64-1 $T)" "$(rate torch-trunc-f64-1 $T)" "$(ratio torch-trunc-f64-1 il-trunc-f64-1)"
row "trunc N f64, 2 threads vs trunc_normal_ (2)" "$(rate il-trunc-f64-2 $T)" "$(rate torch-trunc-f64-2 $T)" "$(ratio torch-trunc-f64-2 il-trunc-f64-2)"
row "trunc N f32, 1 thread vs trunc_normal_ (1)" "$(rate il-trunc-f32-1 $T)" "$(rate torch-trunc-f32-1 $T)" "$(ratio torch-trunc-f32-1 il-trunc-f32-1)"
row "trunc N f32, 2 threads vs trunc_normal_ (2)" "$(rate il-trunc-f32-2 $T)" "$(rate torch-trunc-f32-2 $T)" "$(ratio torch-trunc-f32-2 il-trunc-f32-2)"
best=$(faster torch-trunc-f32-1 torch-trunc-f32-2)
row "he_normal init f32 vs trunc_normal_ (${best##*-})" "$(med il-init-he-f32) s" "$(med "$best") s" "$(ratio "$best" il-init-he-f32)"
row "he_normal init f32 vs init lecture_he" "$(med il-init-he-f32) s" "$(med il-init-lecture-f32) s" "$(ratio il-init-lecture-f32 il-init-he-f32)"
rss=$(sort -n "$tmp/init-he_normal.rss" 2>/dev/null | tail -1 || true); rss=${rss:-0}
row "init f32 8192^2: peak RSS vs 1.1 T + 64 MiB" "$((rss / 1024)) MiB" "$(((T * 4 * 11 / 10 + 67108864) / 1048576)) MiB" \
    "$(awk -v r="$rss" -v t=$T 'BEGIN { printf "%.2fx", r * 1024 / (t * 4 * 1.1 + 67108864) }')"
row "  (spread: init he_normal; lecture_he)" "$(spread il-init-he-f32)" "$(spread il-init-lecture-f32)" ""
best=$(faster torch-orth-f32-1 torch-orth-f32-2)
row "orthogonal 4096^2 f32 vs orthogonal_ (${best##*-})" "$(med il-orth-f32) s" "$(med "$best") s" "$(ratio "$best" il-orth-f32)"
best=$(faster torch-orth-f64-1 torch-orth-f64-2)
row "orthogonal 4096^2 f64 vs orthogonal_ (${best##*-})" "$(med il-orth-f64) s" "$(med "$best") s" "$(ratio "$best" il-orth-f64)"
row "  (spread: orthogonal f32; f64)" "$(spread il-orth-f32)" "$(spread il-orth-f64)" ""
row "hist+moments 4096^2, 1 thread vs numpy" "$(med il-stats-1) s" "$(med np-stats) s" "$(ratio np-stats il-stats-1)"
row "hist+moments 4096^2, 2 threads vs numpy" "$(med il-stats-2) s" "$(med np-stats) s" "$(ratio np-stats il-stats-2)"
row "hist+moments vs one read (2 threads)" "$(awk -v t="$(med il-stats-2)" -v n=$L 'BEGIN { printf "%.1f GB/s", n * 8 / t / 1e9 }')" \
    "$(awk -v t="$(med il-read-2)" -v n=$L 'BEGIN { printf "%.1f GB/s", n * 8 / t / 1e9 }')" "$(ratio il-read-2 il-stats-2)"
row "forward f64 (initlab run) vs numpy" "$(med il-forward-f64) s" "$(med np-forward-f64) s" "$(ratio np-forward-f64 il-forward-f64)"
row "forward f64 (initlab run) vs torch" "$(med il-forward-f64) s" "$(med torch-forward-f64) s" "$(ratio torch-forward-f64 il-forward-f64)"
row "forward f32 (initlab run --dtype f32) vs numpy" "$(med il-forward-f32) s" "$(med np-forward-f32) s" "$(ratio np-forward-f32 il-forward-f32)"
row "forward f32 (initlab run --dtype f32) vs torch" "$(med il-forward-f32) s" "$(med torch-forward-f32) s" "$(ratio torch-forward-f32 il-forward-f32)"
row "run he_normal f64 vs run kaiming_normal" "$(med il-forward-he) s" "$(med il-forward-f64) s" "$(ratio il-forward-f64 il-forward-he)"
row "run he_normal f64 vs numpy" "$(med il-forward-he) s" "$(med np-forward-f64) s" "$(ratio np-forward-f64 il-forward-he)"
row "  (spread: run he_normal; kaiming_normal)" "$(spread il-forward-he)" "$(spread il-forward-f64)" ""
gemm=$(awk -v g="$(med il-gemm-f64)" 'BEGIN { printf "%.1f", 20 * g }')
row "forward f64: 20 dgemm alone (share)" "$gemm s" "" "$(awk -v g="$gemm" -v t="$(med il-forward-f64)" 'BEGIN { printf "%.0f%%", 100 * g / t }')"
rss=$(sort -n "$tmp/forward.rss" 2>/dev/null | tail -1 || true); rss=${rss:-0}
row "forward f64: peak RSS vs W + 2 activations" "$((rss / 1024)) MiB" "$((3 * L * 8 / 1048576)) MiB" \
    "$(awk -v r="$rss" -v l=$L 'BEGIN { printf "%.2fx", r * 1024 / (3 * l * 8) }')"
[ -z "${BENCH_ONLY:-}" ] || exit 0
echo
echo "perf: bench/lecture.sh $rounds" >&2
bench/lecture.sh "$rounds" | tail -3
