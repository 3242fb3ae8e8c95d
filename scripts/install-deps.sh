#!/usr/bin/env bash
# Install what initlab needs to build and test, from Debian 12's packages.
# Packages already present are left alone, so a second run costs nothing.
# Run as root (or with sudo available).
set -euo pipefail

packages=(
  gcc clang libomp-dev make cmake ninja-build pkg-config   # build (clang: the second compiler CI checks)
  clang-format                                  # the format check
  libopenblas-dev libopenblas-openmp-dev        # cblas_dgemm (the programs link the OpenMP build)
  libgfortran-12-dev                            # OpenBLAS's LAPACK, for static linking
  libcairo2-dev libfreetype-dev fonts-dejavu-core   # figures and their font
  libcjson-dev                                  # report.json
  zlib1g-dev                                    # PNG compression
  libclang-rt-14-dev                            # libFuzzer and the sanitizer runtimes for clang
  valgrind clang-tidy cppcheck                  # the reliability checks in scripts/test.sh
  locales                                       # locale sources: the CSV reader's comma-locale test
  python3-numpy                                 # ctest arch_torch reads the PyTorch goldens (.npz)
  dataset-fashion-mnist                         # the default training data (initlab train)
  fortunes                                      # byte-level language-model text (train --net transformer)
  libmicrohttpd-dev                             # initlab serve
  libsqlite3-dev                                # initlab sweep's result store
  libopenmpi-dev openmpi-bin                    # initlab sweep under mpirun (optional: INITLAB_MPI)
  curl chromium                                 # serve's API test and its browser test
  python3-numpy python3-pytest                  # the Python package (python/) and its test
  python3-pip python3-setuptools python3-wheel  # its editable install (python_package below)
  wrk                                           # serve's load test (bench/serve_load.sh)
)
# Node.js for the browser test (playwright-core); the machine's own if it has one
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

# playwright-core from npm at the version in tests/e2e/package-lock.json; it
# drives /usr/bin/chromium and downloads no browser of its own.
npm_deps() {
  [ -d "$root/tests/e2e/node_modules/playwright-core" ] && return 0
  echo "install-deps: npm ci in tests/e2e (playwright-core)" >&2
  (cd "$root/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}
root=$(cd "$(dirname "$0")/.." && pwd)

# The Python package for Debian's python3 (docs/python.md): pip's editable
# install of python/, so `import initlab` is this checkout's package, which
# loads this checkout's build/libinitlab.so once it is built. Offline (no
# index, no build isolation: setuptools is Debian's). Into /usr/local as
# root, which Debian's pip allows only with --break-system-packages (the
# package is pure Python and replaces nothing of Debian's); else --user.
python_package() {
  local py=/usr/bin/python3 want="$root/python/initlab/__init__.py" first flags=()
  local where='import importlib.util as u, sys; s = u.find_spec("initlab"); sys.exit(not s or s.origin != sys.argv[1])'
  "$py" -P -c "$where" "$want" 2>/dev/null && return 0
  [ "$(id -u)" -eq 0 ] || flags+=(--user)
  echo "install-deps: pip install -e python/ for $py (import initlab)" >&2
  "$py" -m pip install -q --root-user-action=ignore --no-index --no-build-isolation --no-deps --break-system-packages \
    "${flags[@]}" -e "$root/python" >/dev/null || return 1
  rm -rf "$root/python/build" "$root/python/initlab.egg-info" # pip's leftovers
  first=$(command -v python3 || true)
  local real='import os, sys; print(os.path.realpath(sys.executable))'
  if [ -n "$first" ] && [ "$("$first" -c "$real" 2>/dev/null)" != "$("$py" -c "$real")" ]; then
    echo "install-deps: note: 'python3' here is $first, not $py; initlab is installed for" \
         "$py (docs/python.md says how to use it from another Python)" >&2
  fi
}

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { npm_deps; python_package; exit; }

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
# Another apt or dpkg (unattended-upgrades, a second developer's install)
# may hold the package locks: wait for them, up to lock_timeout seconds,
# instead of failing at once, and say so. apt-get install waits for dpkg's
# locks itself (DPkg::Lock::Timeout, which also covers a lock taken just
# after we look); apt-get update does not wait for its lists lock (apt 2.6
# fails at once), hence the loop.
lock_timeout=600
lock_files=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock)
lock_held() { # is lock file $1 open (fuser) or locked (/proc/locks) by a process?
  [ -e "$1" ] || return 1
  if command -v fuser >/dev/null; then
    $sudo fuser "$1" >/dev/null 2>&1
  else
    grep -q ":$(stat -c %i "$1") " /proc/locks 2>/dev/null
  fi
}
wait_for_locks() {
  local lock held waited=0 said=""
  while :; do
    held=""
    for lock in "${lock_files[@]}"; do
      if lock_held "$lock"; then held=$lock; break; fi
    done
    [ -z "$held" ] && return 0
    if [ -z "$said" ]; then
      echo "install-deps: waiting for $held (another apt or dpkg holds it; at most ${lock_timeout} s)" >&2
      said=1
    fi
    if [ "$waited" -ge "$lock_timeout" ]; then
      echo "install-deps: $held is still held after ${lock_timeout} s; trying anyway" >&2
      return 0
    fi
    sleep 2
    waited=$((waited + 2))
  done
}
apt_get() {
  wait_for_locks
  $sudo apt-get -o DPkg::Lock::Timeout="$lock_timeout" "$@"
}
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt_get update -qq
apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_deps
python_package
