#!/usr/bin/env bash
# The browser test of initlab serve (CTest: serve_e2e). Starts the server on
# a free port, runs serve_e2e.mjs against it in Debian's chromium, stops it.
#   serve_e2e.sh INITLAB OUT_DIR
set -uo pipefail
initlab=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
[ -x /usr/bin/chromium ] || { echo "serve_e2e: /usr/bin/chromium missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
[ -d "$here/node_modules/playwright-core" ] || { echo "serve_e2e: playwright-core missing (scripts/install-deps.sh runs npm ci in tests/e2e)" >&2; exit 1; }
mkdir -p "$out"
log=$(mktemp)
"$initlab" serve --port 0 >"$log" 2>"$out/serve_e2e.server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "^initlab serve: http" "$log" && break; sleep 0.1; done
url=$(grep -o "http://[^ ]*" "$log") || { echo "serve_e2e: the server did not start" >&2; cat "$out/serve_e2e.server.log" >&2; exit 1; }
home=$(mktemp -d)   # chromium's profile and crash folders, thrown away
HOME=$home timeout 120 node "$here/serve_e2e.mjs" "$url" "$out"
rc=$?
rm -rf "$home"
exit $rc
