#!/usr/bin/env bash
# initlab serve under load (issue 21): wrk (Debian's package) against a
# server with its default limits, in three phases:
#   1. GET / (the page), SECONDS / 4
#   2. POST /api/run with a small run (the page's default view, 5 x 100 x
#      1000 with theory, two arms), SECONDS / 4
#   3. SECONDS of a mix: that run, one over the memory budget (413), one from another
#      site (Origin: 403), one as text/plain (415), and GET /api/list
# and prints each phase's requests/s, latency percentiles, the answers by
# status and wrk's socket errors, then the server's peak RSS (VmHWM).
# Every request must be answered (2xx, 4xx, or 503 with Retry-After from
# the full queue), none dropped; the peak RSS must stay under 1 GiB; the
# page must still be served afterwards. Exit 1 otherwise.
#
#   bench/serve_load.sh [SECONDS [PATH/TO/initlab]]   # default 60: 90 s in all
#   bench/serve_load.sh 2 build/initlab               # the CI smoke (CTest serve_load, 4 s)
#
# docs/reliability.md records a 60-second run on this machine.
set -u
secs=${1:-60}
short=$((secs / 4 > 0 ? secs / 4 : 1))
exe=${2:-$(cd "$(dirname "$0")/.." && pwd)/build/initlab}
conns=${CONNS:-16}
command -v wrk >/dev/null || { echo "serve_load: wrk missing (apt-get install wrk; scripts/install-deps.sh)" >&2; exit 1; }
command -v curl >/dev/null || { echo "serve_load: curl missing" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$exe" serve --port 0 --quiet >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 200); do grep -q "^initlab serve: http" "$tmp/out" 2>/dev/null && break; sleep 0.05; done
url=$(grep -o "http://[^ ]*" "$tmp/out")
[ -n "$url" ] || { echo "serve_load: the server did not start: $(cat "$tmp/err")" >&2; exit 1; }
port=${url##*:}; port=${port%/}

small='{"depth":5,"width":100,"batch":1000,"seed":1,"arms":[{"init":"lecture_he","act":"relu"},{"init":"lecture_xavier","act":"relu"}],"theory":true}'
arm='{"init":"kaiming_normal","act":"relu"}'
arms=$arm; for _ in $(seq 31); do arms="$arms,$arm"; done
over="{\"depth\":16,\"width\":1000,\"batch\":1000,\"arms\":[$arms],\"grad\":true}"

# The answers by status, counted in each wrk thread and summed at the end
cat >"$tmp/count.lua" <<'EOF'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("counts")) do total[status] = (total[status] or 0) + n end
  end
  local keys = {}
  for status in pairs(total) do table.insert(keys, status) end
  table.sort(keys)
  local line = "answers:"
  for _, status in ipairs(keys) do line = line .. string.format(" %d x%d", status, total[status]) end
  print(line)
  print(string.format("latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  local e = summary.errors
  print(string.format("socket errors: connect %d, read %d, write %d, timeout %d; status errors %d",
    e.connect, e.read, e.write, e.timeout, e.status))
end
EOF
lua_str() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
cat "$tmp/count.lua" >"$tmp/get.lua"
{ cat "$tmp/count.lua"; cat <<EOF
wrk.method = "POST"
wrk.body = "$(lua_str "$small")"
wrk.headers["Content-Type"] = "application/json"
EOF
} >"$tmp/post.lua"
{ cat "$tmp/count.lua"; cat <<EOF
local reqs
local i = 0
local small = "$(lua_str "$small")"
local over = "$(lua_str "$over")"
function request()
  if not reqs then
    local json = {["Content-Type"] = "application/json"}
    reqs = {
      wrk.format("POST", "/api/run", json, small),
      wrk.format("POST", "/api/run", json, over),
      wrk.format("POST", "/api/run", {["Content-Type"] = "application/json",
                 ["Origin"] = "http://evil.example"}, small),
      wrk.format("POST", "/api/run", {["Content-Type"] = "text/plain"}, small),
      wrk.format("GET", "/api/list"),
    }
  end
  i = i % #reqs + 1
  return reqs[i]
end
EOF
} >"$tmp/mix.lua"

echo "initlab serve under wrk: $conns connections, 2 wrk threads; $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
bad=0
phase() { # phase NAME PATH SCRIPT SECONDS
    echo "--- $1: wrk -t2 -c$conns -d${4}s --timeout 10s -s $(basename "$3") ${url%/}$2"
    wrk -t2 -c"$conns" -d"${4}s" --timeout 10s -s "$3" "${url%/}$2" >"$tmp/wrk.out" 2>&1
    grep -E "Requests/sec|requests in|answers:|latency p50|socket errors" "$tmp/wrk.out"
    # answered: only 2xx, 4xx and 503; no socket errors
    grep -q "^answers:" "$tmp/wrk.out" || { echo "  no answers counted"; bad=1; }
    if grep "^answers:" "$tmp/wrk.out" | tr ' ' '\n' | grep -E '^[0-9]{3}$' | grep -vqE '^(2..|4..|503)$'; then
        echo "  an answer outside 2xx, 4xx, 503"; bad=1
    fi
    grep -q "socket errors: connect 0, read 0, write 0, timeout 0;" "$tmp/wrk.out" || { echo "  requests dropped"; bad=1; }
}
phase "the page" "/" "$tmp/get.lua" "$short"
phase "a small run" "/api/run" "$tmp/post.lua" "$short"
phase "a mix: a small run, over budget, cross-site, text/plain, /api/list" "/api/run" "$tmp/mix.lua" "$secs"

hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
echo "--- the server's peak RSS: $((hwm / 1024)) MiB (VmHWM)"
[ "$hwm" -lt $((1024 * 1024)) ] || { echo "  over 1 GiB"; bad=1; }
code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 5 "$url")
echo "--- GET / afterwards: $code"
[ "$code" = 200 ] || bad=1
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ "$rc" -eq 0 ] || { echo "  the server exited $rc on SIGTERM"; bad=1; }
[ "$bad" -eq 0 ] && echo "serve_load: every request answered" || { echo "serve_load: FAILED" >&2; exit 1; }
