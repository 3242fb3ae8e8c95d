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
  dataset-fashion-mnist                         # the default training data (initlab train)
  libmicrohttpd-dev                             # initlab serve
  curl chromium                                 # serve's API test and its browser test
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

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { npm_deps; exit; }

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_deps
