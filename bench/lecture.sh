#!/usr/bin/env bash
# Benchmark: `initlab lecture` (all three exercises, figures on) against the
# lecture's three Python listings (bench/lecture_py, with a Visual that saves
# the same figures, one process per listing as the course runs them), on this
# machine, alternating runs; prints the medians and their ratio.
#
# usage: bench/lecture.sh [RUNS]     (default 11; needs root for apt the first time)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-11}

# The reference needs Debian's numpy and matplotlib for /usr/bin/python3.
missing=""
for p in python3-numpy python3-matplotlib; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
[ -x build/initlab ] || { scripts/install-deps.sh; cmake --preset release >/dev/null; cmake --build build >/dev/null; }

exec /usr/bin/python3 - "$(pwd)/build/initlab" "$(pwd)/bench/lecture_py" "$runs" <<'PY'
import os, shutil, statistics, subprocess, sys, tempfile, time
import matplotlib, numpy

exe, pydir, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
env = dict(os.environ, MPLBACKEND="Agg")
tmp = tempfile.mkdtemp()
os.makedirs(f"{tmp}/py"); os.makedirs(f"{tmp}/il")
shutil.copy(f"{pydir}/visual.py", f"{tmp}/py/")

def python_run():
    for ex in ("ex1", "ex2", "ex3"):
        subprocess.run(["/usr/bin/python3", f"{pydir}/{ex}.py"], cwd=f"{tmp}/py", env=env,
                       check=True)

def initlab_run():
    subprocess.run([exe, "lecture"], cwd=f"{tmp}/il", check=True, stdout=subprocess.DEVNULL)

def timed(f):
    t0 = time.perf_counter(); f(); return time.perf_counter() - t0

python_run(); initlab_run()          # warm the page cache for both
py, il = [], []
for _ in range(runs):               # alternate, so both see the same machine
    py.append(timed(python_run))
    il.append(timed(initlab_run))
shutil.rmtree(tmp)
pm, im = statistics.median(py), statistics.median(il)
version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.split()[1]
print(f"lecture, all three exercises with figures, {runs} alternating runs (medians)")
print(f"  python (numpy {numpy.__version__}, matplotlib {matplotlib.__version__}): {pm:.3f} s"
      f"  (min {min(py):.3f}, max {max(py):.3f})")
print(f"  initlab {version}: {im:.3f} s  (min {min(il):.3f}, max {max(il):.3f})")
print(f"  ratio (python / initlab): {pm / im:.1f}x")
PY
