#!/usr/bin/env bash
# Benchmark: `initlab lecture` (all three exercises, figures on) against the
# lecture's three Python listings (bench/lecture_py, with a Visual that saves
# the same figures), on this machine, alternating runs; prints the medians
# and their ratio.
#
# usage: bench/lecture.sh [RUNS]     (default 9; needs root for apt the first time)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}

# The reference needs Debian's numpy and matplotlib for /usr/bin/python3.
for p in python3-numpy python3-matplotlib; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
[ -x build/initlab ] || { scripts/install-deps.sh; cmake --preset release >/dev/null; cmake --build build >/dev/null; }

exe=$(pwd)/build/initlab
py=$(pwd)/bench/lecture_py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MPLBACKEND=Agg

now() { date +%s.%N; }
python_run() {
  (cd "$tmp/py" && for ex in ex1 ex2 ex3; do /usr/bin/python3 "$py/$ex.py"; done)
}
initlab_run() {
  (cd "$tmp/il" && "$exe" lecture >/dev/null)
}
mkdir -p "$tmp/py" "$tmp/il"
cp "$py/visual.py" "$tmp/py/"
# warm the page cache once for both
python_run; initlab_run

: >"$tmp/py.times"; : >"$tmp/il.times"
for ((i = 0; i < runs; i++)); do
  t0=$(now); python_run; t1=$(now); initlab_run; t2=$(now)
  echo "$t1 - $t0" | bc -l >>"$tmp/py.times"
  echo "$t2 - $t1" | bc -l >>"$tmp/il.times"
done
median() { sort -g "$1" | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
py_med=$(median "$tmp/py.times"); il_med=$(median "$tmp/il.times")
printf "lecture, all three exercises with figures, %d alternating runs (medians)\n" "$runs"
printf "  python (numpy %s, matplotlib %s): %.3f s\n" \
  "$(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')" \
  "$(/usr/bin/python3 -c 'import matplotlib; print(matplotlib.__version__)')" "$py_med"
printf "  initlab %s:                        %.3f s\n" "$("$exe" --version | cut -d' ' -f2)" "$il_med"
printf "  ratio (python / initlab):          %.1fx\n" "$(echo "$py_med / $il_med" | bc -l)"
