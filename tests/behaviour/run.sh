#!/usr/bin/env bash
# Behaviour goldens: run every case of cases.txt and compare what it printed
# and wrote with tests/golden/behaviour/ (compare.py says how numbers are
# compared). With --update, rewrite the goldens instead.
# usage: tests/behaviour/run.sh [--update] path/to/initlab
set -uo pipefail
# OpenBLAS picks its kernels by CPU, and float32 GEMM and the QR behind
# orthogonal round differently with each (the goldens were first written
# with SkylakeX's AVX-512 kernels; an AMD EPYC picks Haswell's and three
# cases moved in the 8th digit). Pin the AVX2 kernels every x86-64 machine
# we run on has, so a golden is a fact about initlab, not about the CPU.
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
here=$(cd "$(dirname "$0")" && pwd)
golden="$here/../golden/behaviour"
update=0
[ "${1:-}" = "--update" ] && { update=1; shift; }
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
passed=0 failed=0

while IFS='|' read -r name args; do
    case "$name" in ''|'#'*) continue ;; esac
    out="$work/$name"; got="$work/got/$name"
    mkdir -p "$out" "$got"
    args=${args//OUT/$out}; args=${args//CONFIG/$here/configs}
    # shellcheck disable=SC2086 # the case's arguments are words
    (cd "$out" && "$exe" $args >"$got/stdout" 2>"$got/stderr" </dev/null)
    echo $? >"$got/rc"
    # paths differ per run: name them as the case file does
    # and times differ per run: "0.19 s" becomes "T s"
    sed -i -E "s|$out|OUT|g; s|$here/configs|CONFIG|g; s/[0-9]+\.[0-9]+ s\b/T s/g" \
        "$got/stdout" "$got/stderr"
    for f in "$out"/*; do
        [ -f "$f" ] || continue
        # the folder's manifest hashes the figures, whose bytes depend on
        # the fonts: it has tests of its own
        [ "$(basename "$f")" = initlab-files.json ] && continue
        case "$f" in
            *.json|*.csv|*.txt) sed "s|$out|OUT|g" "$f" >"$got/file.$(basename "$f")" ;;
            *.npy) sha256sum <"$f" | cut -d' ' -f1 >"$got/file.$(basename "$f").sha256" ;;
            *) echo "exists" >"$got/file.$(basename "$f").exists" ;;
        esac
    done
    if [ $update -eq 1 ]; then
        rm -rf "${golden:?}/$name"; mkdir -p "$golden"; cp -r "$got" "$golden/$name"
        echo "updated $name"
    elif python3 "$here/compare.py" "$golden/$name" "$got"; then
        passed=$((passed+1))
    else
        echo "FAIL $name: initlab $args" >&2; failed=$((failed+1))
    fi
done <"$here/cases.txt"

# The server's /api/run on the bodies in configs/serve_*.json: the reply's
# status line and body.
"$exe" serve --port 0 >"$work/serve.out" 2>&1 &
serve_pid=$!
url=""
for _ in $(seq 100); do
    url=$(grep -o 'http://[^ ]*' "$work/serve.out" | head -1) && [ -n "$url" ] && break
    sleep 0.05
done
for body in "$here"/configs/serve_*.json; do
    name=$(basename "$body" .json); got="$work/got/$name"
    mkdir -p "$got"
    for fmt in json csv; do
        curl -s -o "$got/reply.$fmt" -w "%{http_code}\n" --max-time 30 -X POST \
            -H 'Content-Type: application/json' --data-binary @"$body" \
            "${url}api/run?format=$fmt" >"$got/status.$fmt"
    done
    if [ $update -eq 1 ]; then
        rm -rf "${golden:?}/$name"; cp -r "$got" "$golden/$name"; echo "updated $name"
    elif python3 "$here/compare.py" "$golden/$name" "$got"; then
        passed=$((passed+1))
    else
        echo "FAIL $name: POST /api/run $(cat "$body")" >&2; failed=$((failed+1))
    fi
done
kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null

[ $update -eq 1 ] && exit 0
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
