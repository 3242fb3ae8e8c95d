#!/usr/bin/env bash
# initlab serve's HTTP API with curl (RELIABILITY.md rows 50-54, issue 21):
# the page's files, /api/list, /api/run (the same report as `initlab run
# --config`), malformed and oversize bodies, the cap on the network's size,
# traversal, the Host check, cross-site requests (Content-Type, Origin),
# duplicate headers, wrong methods, slow clients and the header deadline,
# the connections kept for loopback, the queue of runs (full: 503 with
# Retry-After; waiting is not dropped and does not count against
# --max-seconds), the per-address connection limit, and SIGTERM (a running
# run answered 503, exit 0 within 2 s).
# usage: serve_api.sh PATH/TO/initlab
set -u
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
passed=0 failed=0
ok()   { passed=$((passed+1)); echo "ok   $1"; }
fail() { failed=$((failed+1)); echo "FAIL $1" >&2; [ $# -gt 1 ] && printf '  %s\n' "$2" >&2; }
command -v curl >/dev/null || { echo "serve_api: curl missing (scripts/install-deps.sh installs it)" >&2; exit 1; }

# start NAME ARGS...: a server on a free port; sets $url and $pid
start() {
    local name=$1; shift
    "$exe" serve --port 0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!; pids+=("$pid")
    for _ in $(seq 100); do grep -q "^initlab serve: http" "$tmp/$name.out" && break; sleep 0.05; done
    url=$(grep -o "http://[^ ]*" "$tmp/$name.out")
    [ -n "$url" ] && ok "$name: listening at $url" || { fail "$name: did not start" "$(cat "$tmp/$name.err")"; exit 1; }
    port=${url##*:}; port=${port%/}
}

# req NAME WANT_STATUS CURL_ARGS...: body in $tmp/body, headers in $tmp/head
req() {
    local name=$1 want=$2; shift 2
    code=$(curl -s -o "$tmp/body" -D "$tmp/head" -w "%{http_code}" --max-time 20 "$@")
    if [ "$code" = "$want" ]; then ok "$name ($want)"; else
        fail "$name: status $code, wanted $want" "$(head -c 300 "$tmp/body")"; fi
}
has()  { grep -qF -- "$2" "$tmp/body" && ok "$1" || fail "$1: body lacks '$2'" "$(head -c 300 "$tmp/body")"; }
hdr()  { grep -qiF -- "$2" "$tmp/head" && ok "$1" || fail "$1: headers lack '$2'" "$(cat "$tmp/head")"; }
# raw NAME WANT TEXT: TEXT (printf %b escapes) sent as it is; the answer's
# status line must be WANT
raw() {
    local name=$1 want=$2 text=$3 out
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf '%b' "$text" >&3
    out=$(timeout 5 cat <&3); exec 3<&-
    case "$out" in "HTTP/1.1 $want"*) ok "$name ($want)";; *) fail "$name: wanted $want" "${out:0:200}";; esac
    printf '%s' "${out#*$'\r\n\r\n'}" >"$tmp/body"
}
J=(-H "Content-Type: application/json")   # a POST must say it sends JSON
json_error() { # the body is one JSON object {"error": ...}
    grep -qE '^\{"error":".+"\}$' "$tmp/body" && ok "$1: a JSON error" || fail "$1: not a JSON error" "$(cat "$tmp/body")"; }

start main --max-values 2000000
main_pid=$pid
# bound to loopback only (row 50): /proc/net/tcp lists 127.0.0.1 as 0100007F
listen=$(awk -v p="$(printf '%04X' "$port")" '$2 ~ ":"p"$" && $4 == "0A" {print $2}' /proc/net/tcp /proc/net/tcp6)
[ "$listen" = "0100007F:$(printf '%04X' "$port")" ] && ok "listens on 127.0.0.1 only ($listen)" || fail "listening socket: '$listen', wanted 127.0.0.1 only"

# --- the page, from the compiled-in table ---
req "GET /" 200 "$url"
hdr "/ is HTML" "Content-Type: text/html"
has "/ is the page" "<title>initlab"
hdr "CSP keeps the page to itself" "Content-Security-Policy: default-src 'self'"
hdr "nosniff" "X-Content-Type-Options: nosniff"
req "GET /app.js" 200 "${url}app.js";       hdr "app.js type" "Content-Type: text/javascript"
req "GET /style.css" 200 "${url}style.css"; hdr "style.css type" "Content-Type: text/css"
req "GET /favicon.svg" 200 "${url}favicon.svg"
req "HEAD /" 200 -I "$url"
# nothing the page loads comes from elsewhere
curl -s "$url" "${url}app.js" "${url}style.css" >"$tmp/page"
grep -qE "https?://" "$tmp/page" && fail "the page names an outside address" "$(grep -oE "https?://[^\"' ]*" "$tmp/page" | head -3)" || ok "the page names no outside address"

# --- GET /api/list ---
req "GET /api/list" 200 "${url}api/list"
hdr "list is JSON" "Content-Type: application/json"
n_inits=$("$exe" list inits | tail -n +2 | wc -l)
n_listed=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["inits"]))' <"$tmp/body")
[ "$n_inits" -eq "$n_listed" ] && ok "list: all $n_inits initializers of 'initlab list inits'" || fail "list: $n_listed initializers, wanted $n_inits"
# the network picker's presets and recipes: those of 'initlab list nets' and 'list recipes'
n_nets=$("$exe" list nets | grep -c '^  [a-z]')
n_recipes=$("$exe" list recipes | grep -c '^  [a-z]')
read -r got_nets got_recipes < <(python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["nets"]), len(d["recipes"]))' <"$tmp/body")
[ "$got_nets" -eq "$n_nets" ] && ok "list: all $n_nets network presets" || fail "list: $got_nets presets, wanted $n_nets"
[ "$got_recipes" -eq "$n_recipes" ] && ok "list: all $n_recipes recipes" || fail "list: $got_recipes recipes, wanted $n_recipes"
has "list: xavier_normal" '"name":	"xavier_normal"'
has "list: its gain parameter" '"name":	"gain"'
has "list: relu" '"name":	"relu"'
has "list: the body limit" '"max_body_bytes":	65536'
has "list: the value cap" '"max_values":	2000000'

# --- POST /api/run: the same report as initlab run --config ---
cat >"$tmp/req.json" <<'EOF'
{"depth": 4, "width": 64, "batch": 200, "seed": 7,
 "arms": [{"init": "normal:std=1", "act": "sigmoid"},
          {"init": "xavier_normal", "act": "tanh", "bias": "normal:std=0.1"}],
 "grad": true}
EOF
req "POST /api/run" 200 -X POST "${J[@]}" --data-binary @"$tmp/req.json" "${url}api/run"
hdr "run is JSON" "Content-Type: application/json"
hdr "run reports its compute time" "X-Initlab-Compute-Ms:"
cp "$tmp/body" "$tmp/served.json"
(cd "$tmp" && "$exe" run --config req.json --out cli >/dev/null 2>&1)
cmp -s "$tmp/served.json" "$tmp/cli/report.json" && ok "run: byte for byte initlab run --config's report.json" \
    || fail "run: differs from initlab run --config's report.json" "$(diff "$tmp/served.json" "$tmp/cli/report.json" | head -5)"
has "run: gradients" '"grad_pre":'
req "POST /api/run?format=csv" 200 -X POST "${J[@]}" --data-binary @"$tmp/req.json" "${url}api/run?format=csv"
hdr "csv type" "Content-Type: text/csv"
cmp -s "$tmp/body" "$tmp/cli/stats.csv" && ok "csv: byte for byte run's stats.csv" || fail "csv: differs from run's stats.csv"
# theory: the predicted histogram per layer beside q, act_mean, act_std
req "POST theory" 200 -X POST "${J[@]}" -d '{"depth":3,"width":50,"batch":100,"arms":[{"init":"kaiming_normal","act":"relu"},{"init":"ones","act":"relu"}],"theory":true}' "${url}api/run"
has "theory: act_std" '"act_std":'
has "theory: predicted histogram" '"hist":	[0.'
has "theory: the note for 'ones'" "no theory for 'ones' weights"

# --- refused requests: a JSON error and the right status ---
req "malformed JSON" 400 -X POST "${J[@]}" -d '{"depth": 3,' "${url}api/run"; json_error "malformed JSON"
req "not an object" 400 -X POST "${J[@]}" -d '[1,2]' "${url}api/run"; json_error "not an object"
req "empty body" 400 -X POST "${J[@]}" "${url}api/run"; json_error "empty body"
req "unknown key" 400 -X POST "${J[@]}" -d '{"arms":[{"init":"zeros","act":"relu"}],"dept":3}' "${url}api/run"; json_error "unknown key"
req "unknown init" 422 -X POST "${J[@]}" -d '{"arms":[{"init":"nope","act":"relu"}]}' "${url}api/run"; json_error "unknown init"
has "unknown init: named" "unknown initializer 'nope'"
req "bad parameter" 422 -X POST "${J[@]}" -d '{"arms":[{"init":"normal:std=-1","act":"relu"}]}' "${url}api/run"; json_error "bad parameter"
req "depth 0" 422 -X POST "${J[@]}" -d '{"depth":0,"arms":[{"init":"zeros","act":"relu"}]}' "${url}api/run"; json_error "depth 0"
req "fraction" 422 -X POST "${J[@]}" -d '{"batch":1.5,"arms":[{"init":"zeros","act":"relu"}]}' "${url}api/run"
req "over the value cap" 413 -X POST "${J[@]}" -d '{"depth":100,"width":1000,"batch":1000,"arms":[{"init":"zeros","act":"relu"}]}' "${url}api/run"
json_error "over the value cap"; has "cap: names the limit" "the limit is 2000000"
# a net run over the budget: resmlp 30 x 4096 is 1e9 weights, about 30 GiB by
# serve_estimate (il_run_memory), far over the default --max-memory
req "net run over the memory budget" 413 -X POST "${J[@]}" -d '{"net":"resmlp:blocks=30,width=4096","batch":2000,"arms":[{"recipe":"fixup"}]}' "${url}api/run"
json_error "net over budget"; has "net budget: names memory" "of memory"
# a small net run: per arm its points with q and theory
req "net run" 200 -X POST "${J[@]}" -d '{"net":"resmlp:blocks=3,width=32","batch":16,"arms":[{"recipe":"fixup"},{"recipe":"he"}]}' "${url}api/run"
has "net run: points" '"points":'
head -c 70000 /dev/zero | tr '\0' ' ' >"$tmp/big"
req "body over 64 KiB" 413 -X POST "${J[@]}" --data-binary @"$tmp/big" "${url}api/run"
req "body over 64 KiB, chunked" 413 -X POST "${J[@]}" -H "Transfer-Encoding: chunked" --data-binary @"$tmp/big" "${url}api/run"
req "declared 1 GB body" 413 -X POST "${J[@]}" -H "Content-Length: 1000000000" --data-binary "{}" "${url}api/run"
req "unknown format" 400 -X POST "${J[@]}" --data-binary @"$tmp/req.json" "${url}api/run?format=xml"
req "GET /api/run" 405 "${url}api/run"; hdr "405 says Allow" "Allow: POST"
req "POST /api/list" 405 -X POST "${J[@]}" "${url}api/list"
req "DELETE /" 405 -X DELETE "$url"
req "unknown path" 404 "${url}nope"; json_error "unknown path"
# traversal: only the table's paths exist; the file system is never read
traversals=("../etc/passwd" "../../../../etc/passwd" "%2e%2e/etc/passwd" "%2e%2e%2fetc%2fpasswd"
    "..%2f..%2fetc%2fpasswd" "%252e%252e%252fetc%252fpasswd" "..%5c..%5cetc%5cpasswd" '..\..\etc\passwd'
    "%5c..%5cetc%5cpasswd" "web/index.html" "../web/index.html" "index.html/." "index.html/.."
    "/etc/passwd" "//etc/passwd" "app.js%00.html" "index.html%00" "./app.js" "app.js/" "APP.JS"
    "%2fapp.js" "%61pp.js" ".%2fapp.js" "....//....//etc/passwd" "..;/etc/passwd" "proc/self/environ"
    "../proc/self/environ" "~/.bashrc" "static/../app.js" "api/../app.js" "api/list/../../etc/passwd"
    "web" "web/" "CMakeLists.txt" "../CMakeLists.txt" "%c0%ae%c0%ae/etc/passwd")
for p in "${traversals[@]}"; do
    req "traversal '$p'" 404 --path-as-is "${url}${p}"
    grep -q "root:" "$tmp/body" && fail "traversal '$p' leaked a file"
done
[ ${#traversals[@]} -ge 30 ] && ok "${#traversals[@]} traversal payloads" || fail "fewer than 30 traversal payloads"
# a request target without a leading slash, sent raw
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET ../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
raw=$(timeout 5 cat <&3); exec 3<&-
case "$raw" in "HTTP/1.1 4"*) ok "raw target '../etc/passwd': ${raw%%$'\r'*}";; *) fail "raw target '../etc/passwd'" "${raw:0:200}";; esac
case "$raw" in *root:*) fail "raw target leaked a file";; esac
# control bytes in a request target: the log line shows them escaped
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /\x1b[31mred\x7f HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
raw=$(timeout 5 cat <&3); exec 3<&-
ok "raw target with ESC: ${raw%%$'\r'*}"
# the Host header: loopback names and --host only (DNS rebinding)
req "Host localhost" 200 -H "Host: localhost:$port" "${url}api/list"
req "Host [::1]" 200 -H "Host: [::1]:$port" "${url}api/list"
req "Host localhost." 200 -H "Host: localhost.:$port" "${url}api/list"
req "Host 127.0.0.1" 200 -H "Host: 127.0.0.1:$port" "${url}api/list"
req "Host evil.example" 403 -H "Host: evil.example" "${url}api/list"; json_error "Host evil"
req "Host evil:port" 403 -H "Host: evil.example:$port" "${url}api/list"
req "Host 127.0.0.1.evil" 403 -H "Host: 127.0.0.1.evil.example" "${url}"
req "Host localhost:x" 403 -H "Host: localhost:x" "${url}"
req "POST with a bad Host" 403 -X POST "${J[@]}" -H "Host: evil.example" --data-binary @"$tmp/req.json" "${url}api/run"
code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 5 -H "Host:" --http1.0 "${url}api/list")
[ "$code" = "403" ] && ok "no Host header (403)" || fail "no Host header: $code, wanted 403"
req "still answering" 200 "${url}api/list"

# --- cross-site requests (issue 21): a web page elsewhere can post
# text/plain to this server without asking (a form), and names itself in
# Origin; a POST must be JSON and a foreign Origin is refused ---
small='{"depth":2,"width":8,"batch":4,"arms":[{"init":"kaiming_normal","act":"relu"}]}'
req "text/plain POST (a cross-site form)" 415 -X POST -H "Content-Type: text/plain" -d "$small" "${url}api/run"; json_error "text/plain POST"
req "form-encoded POST (curl -d)" 415 -X POST -d "$small" "${url}api/run"
req "POST without a Content-Type" 415 -X POST -H "Content-Type:" -d "$small" "${url}api/run"
req "Content-Type application/jsonx" 415 -X POST -H "Content-Type: application/jsonx" -d "$small" "${url}api/run"
req "Content-Type application/json; charset=utf-8" 200 -X POST -H "Content-Type: application/json; charset=utf-8" -d "$small" "${url}api/run"
req "Content-Type Application/JSON" 200 -X POST -H "Content-Type: Application/JSON" -d "$small" "${url}api/run"
req "Origin evil.example, JSON POST" 403 -X POST "${J[@]}" -H "Origin: http://evil.example" -d "$small" "${url}api/run"; json_error "Origin evil"
has "Origin evil: named" "Origin 'http://evil.example'"
req "Origin evil.example, text/plain POST" 403 -X POST -H "Content-Type: text/plain" -H "Origin: http://evil.example" -d "$small" "${url}api/run"
req "Origin evil.example, GET" 403 -H "Origin: http://evil.example" "${url}api/list"
req "Origin evil.example on our port" 403 -X POST "${J[@]}" -H "Origin: http://evil.example:$port" -d "$small" "${url}api/run"
req "Origin null (a sandboxed frame)" 403 -X POST "${J[@]}" -H "Origin: null" -d "$small" "${url}api/run"
req "Origin of another local port" 403 -X POST "${J[@]}" -H "Origin: http://127.0.0.1:$((port == 65535 ? 1 : port + 1))" -d "$small" "${url}api/run"
req "Origin https on our port" 403 -X POST "${J[@]}" -H "Origin: https://127.0.0.1:$port" -d "$small" "${url}api/run"
req "Origin without its port" 403 -X POST "${J[@]}" -H "Origin: http://127.0.0.1" -d "$small" "${url}api/run"
req "own Origin 127.0.0.1" 200 -X POST "${J[@]}" -H "Origin: http://127.0.0.1:$port" -d "$small" "${url}api/run"
req "own Origin localhost" 200 -X POST "${J[@]}" -H "Origin: http://localhost:$port" -d "$small" "${url}api/run"
req "own Origin [::1]" 200 -H "Origin: http://[::1]:$port" "${url}api/list"
# duplicate headers, sent raw (curl merges its own Host with ours)
one='{"arms":[{"init":"zeros","act":"relu"}],"depth":1,"width":2,"batch":2}'
raw "two Host headers" 400 "GET /api/list HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
json_error "two Host headers"
raw "two Host headers, the second elsewhere" 400 "GET /api/list HTTP/1.1\r\nHost: 127.0.0.1\r\nhost: evil.example\r\nConnection: close\r\n\r\n"
raw "two equal Content-Length headers" 400 "POST /api/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${#one}\r\nContent-Length: ${#one}\r\nConnection: close\r\n\r\n$one"
json_error "two Content-Length headers"
raw "two different Content-Length headers" 400 "POST /api/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\ncontent-length: ${#one}\r\nConnection: close\r\n\r\n$one"
raw "one of each, raw" 200 "POST /api/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${#one}\r\nConnection: close\r\n\r\n$one"

# --- sizes of the request itself (row 53) ---
big_header=$(head -c 40960 /dev/zero | tr '\0' a)
req "40 KiB header" 431 -H "X-Big: $big_header" "${url}api/list"
req "64 KiB URI" 414 "${url}$(head -c 65536 /dev/zero | tr '\0' a)"
head -c 2097152 /dev/zero | tr '\0' ' ' >"$tmp/big2"
req "2 MiB body" 413 -X POST "${J[@]}" --data-binary @"$tmp/big2" "${url}api/run"
req "still answering after those" 200 "${url}api/list"

# --- a slow client is cut off; others are served meanwhile ---
start slow --timeout 2 --quiet
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /api/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"dep' >&3
t0=$(date +%s%N)
req "served beside a slow client" 200 "${url}api/list"
t1=$(date +%s%N)
[ $(( (t1 - t0) / 1000000 )) -lt 1500 ] && ok "answered in $(( (t1 - t0) / 1000000 )) ms beside the slow client" || fail "slow to answer beside a slow client"
if timeout 6 cat <&3 >"$tmp/slow"; then
    t2=$(date +%s%N)
    ms=$(( (t2 - t0) / 1000000 ))
    [ "$ms" -ge 1500 ] && [ "$ms" -le 5500 ] && ok "slow client closed after $ms ms (timeout 2 s)" || fail "slow client closed after $ms ms, wanted about 2000"
else
    fail "slow client still connected after 6 s"
fi
exec 3<&-

# --- slowloris (row 54): 64 connections, each trickling a header byte a
# second, so the idle timeout never fires; the request deadline (--timeout
# 3) must drop them all, and a fresh request must be answered meanwhile ---
start loris --timeout 3 --max-connections 128 --max-per-ip 100 --quiet
for i in $(seq 64); do
    ( trap "" PIPE; exec 3<>"/dev/tcp/127.0.0.1/$port" || exit
      printf 'GET /api/list HTTP/1.1\r\nHost: 127.0.0.1\r\n' >&3
      t0=$(date +%s%N)
      for _ in $(seq 20); do printf 'X' >&3 2>/dev/null || break; sleep 1; done
      echo $(( ($(date +%s%N) - t0) / 1000000 )) >"$tmp/trickle.$i" ) 2>/dev/null &
done
sleep 1
t0=$(date +%s%N)
req "answered during the slowloris" 200 "${url}api/list"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] && ok "answered in $ms ms during the slowloris" || fail "took $ms ms during the slowloris"
wait_until=$((SECONDS + 25))
while [ "$(ls "$tmp"/trickle.* 2>/dev/null | wc -l)" -lt 64 ] && [ $SECONDS -lt $wait_until ]; do sleep 0.5; done
n_done=$(ls "$tmp"/trickle.* 2>/dev/null | wc -l)
worst=$(cat "$tmp"/trickle.* 2>/dev/null | sort -n | tail -1)
[ "$n_done" -eq 64 ] && [ "${worst:-99999}" -le 6000 ] && ok "all 64 slow connections dropped, the last after $worst ms (deadline 3 s)" \
    || fail "slowloris: $n_done of 64 dropped, the last after ${worst:-?} ms"

# --- the connection limit (row 53): 64 at once, the 65th refused ---
start cap --max-connections 64 --max-per-ip 64 --quiet
for i in $(seq 64); do eval "exec {fd_$i}<>/dev/tcp/127.0.0.1/$port"; done
sleep 0.3
# (it waits in the listen backlog: 2 s, before the idle 64 reach their 5 s header deadline)
code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 2 "${url}api/list")
[ "$code" != "200" ] && ok "a 65th connection is refused (got $code)" || fail "a 65th connection was served (--max-connections 64)"
for i in $(seq 64); do eval "exec {fd_$i}<&-"; done
sleep 0.3
req "served again once the 64 closed" 200 "${url}api/list"

# --- a net run's work estimate: resmlp 3 x 32 has 3 x 2 x (32 x 32 + 32) =
# 6336 weights; 2 per weight per example, batch 1000, 2 arms is over 2.5e7
# multiply-adds by serve_estimate, over --max-work 1e6; batch 4 is under ---
start network --max-work 1000000 --quiet
req "net run over the work budget" 413 -X POST "${J[@]}" -d '{"net":"resmlp:blocks=3,width=32","batch":1000,"arms":[{"recipe":"fixup"},{"recipe":"he"}]}' "${url}api/run"
json_error "net over work"; has "net work: names the work" "multiply-adds"
req "net run under the work budget" 200 -X POST "${J[@]}" -d '{"net":"resmlp:blocks=3,width=32","batch":4,"arms":[{"recipe":"fixup"},{"recipe":"he"}]}' "${url}api/run"

# --- connections per address ---
start perip --max-per-ip 3 --quiet
for fd in 4 5 6; do eval "exec $fd<>/dev/tcp/127.0.0.1/$port"; done
sleep 0.3
code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 5 "${url}api/list")
[ "$code" != "200" ] && ok "a 4th connection from one address is refused (got $code)" || fail "a 4th connection was served (--max-per-ip 3)"
for fd in 4 5 6; do eval "exec $fd<&-"; done
sleep 0.3
req "served again once those closed" 200 "${url}api/list"

# --- headers within 5 s (issue 21), whatever --timeout says: one
# connection trickling its headers a byte a second (so libmicrohttpd's idle
# timeout never fires), default flags ---
start headers --quiet
exec 3<>"/dev/tcp/127.0.0.1/$port"
t0=$(date +%s%N)
printf 'GET /api/list HTTP/1.1\r\nHost: 127.0.0.1\r\n' >&3
( trap "" PIPE; for _ in $(seq 12); do sleep 1; printf 'X' >&3 2>/dev/null || break; done ) 2>/dev/null &
trickler=$!
timeout 12 cat <&3 >/dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
exec 3<&-; kill $trickler 2>/dev/null; wait $trickler 2>/dev/null
[ "$ms" -ge 4000 ] && [ "$ms" -le 6500 ] && ok "headers trickled for $ms ms: closed (5 s)" || fail "a connection trickling its headers was closed after $ms ms, wanted about 5000"

# --- connections kept for loopback (issue 21): clients on other machines
# may hold --max-connections minus 8; the page's own user still gets in.
# This machine's own non-loopback address stands in for another machine. ---
remote=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | grep -v '^127\.' | head -1)
if [ -z "$remote" ]; then
    echo "skip connections kept for loopback: this machine has no non-loopback IPv4 address"
else
    start reserve --host 0.0.0.0 --max-connections 16 --max-per-ip 16 --quiet
    rfds=()
    trap "" PIPE   # the refused ones are closed under our writes
    for i in $(seq 16); do
        exec {fd}<>"/dev/tcp/$remote/$port" && rfds+=("$fd")
        printf 'GET /api/list HTTP/1.1\r\nHost: 127.0.0.1\r\n' >&"$fd" 2>/dev/null
    done
    trap - PIPE
    sleep 0.5
    held=0
    for fd in "${rfds[@]}"; do read -r -t 0.05 -u "$fd" _ 2>/dev/null; [ $? -gt 128 ] && held=$((held + 1)); done
    [ "$held" -eq 8 ] && ok "16 slow clients from $remote: 8 held (16 - 8 kept for loopback)" || fail "16 slow clients from $remote: $held held, wanted 8"
    t0=$(date +%s%N)
    req "a loopback client while those are held" 200 "${url}api/list"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$ms" -lt 1000 ] && ok "answered in $ms ms" || fail "the loopback client took $ms ms"
    code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 3 -H "Host: 127.0.0.1" "http://$remote:$port/api/list")
    [ "$code" = "000" ] && ok "another client from $remote is refused" || fail "another client from $remote got $code"
    for fd in "${rfds[@]}"; do exec {fd}<&-; done
fi

# --- the queue of runs (issue 21) ---
# A run waiting behind another is answered, not dropped when --timeout
# passes: only the request's arrival has a deadline. Its connection is
# opened before the long run starts (so the server has taken it), and the
# request sent while that run computes. The long run is one that cannot
# end by itself in time (depth 1000 x 1000 x 1000: 1e12 multiply-adds,
# about a minute here) and is stopped by --max-seconds 3, so the queued
# one waits about 3 s whatever the machine's speed (a run of depth 100
# that was meant to outlast 1 s did not always).
start queue --threads 1 --timeout 1 --max-seconds 3 --max-values 1000000000 --max-work 0 --max-memory 0 --quiet
medium='{"depth":1000,"width":1000,"batch":1000,"arms":[{"init":"kaiming_normal","act":"relu"}]}'
exec 5<>"/dev/tcp/127.0.0.1/$port"
sleep 0.2
curl -s -o /dev/null -w "%{http_code}" --max-time 30 "${J[@]}" -d "$medium" "${url}api/run" >"$tmp/medium.code" &
cpid=$!
sleep 0.3
printf 'POST /api/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "${#small}" "$small" >&5
out=$(timeout 30 cat <&5 | tr -d '\r'); exec 5<&-
waited=$(printf '%s\n' "$out" | awk -F': ' 'tolower($1) == "x-initlab-queue-ms" {printf "%d", $2}')
case "$out" in "HTTP/1.1 200"*) ok "a run queued behind a longer one (--timeout 1): 200";;
    *) fail "a run queued behind a longer one (--timeout 1)" "${out:0:200}";; esac
[ "${waited:-0}" -ge 1000 ] && ok "it waited $waited ms, over --timeout" || fail "queued run: waited '${waited:-?}' ms, wanted over 1000 (X-Initlab-Queue-Ms)"
wait $cpid
[ "$(cat "$tmp/medium.code")" = 503 ] && ok "the run ahead of it was stopped by --max-seconds 3 (503)" || fail "the run ahead: $(cat "$tmp/medium.code"), wanted 503"
# A full queue answers 503 with Retry-After at once; --max-seconds stops a
# run and counts running time only (a run that waited 4 s is still served).
start busy --threads 1 --queue 2 --max-seconds 2 --max-values 1000000000 --max-work 0 --quiet
huge='{"depth":1000,"width":1000,"batch":1000,"arms":[{"init":"kaiming_normal","act":"relu"}]}'
bg() { # bg BODY NAME: a POST in the background; $tmp/NAME.{w,body,head}
    curl -s -o "$tmp/$2.body" -D "$tmp/$2.head" -w "%{http_code} %{time_total}" --max-time 30 "${J[@]}" -d "$1" "${url}api/run" >"$tmp/$2.w" &
    cpids+=($!)
}
cpids=()
bg "$huge" L1; sleep 0.3; bg "$huge" L2; sleep 0.3; bg "$small" S; sleep 0.3
t0=$(date +%s%N)
req "a run beside a full queue (1 running, 2 waiting)" 503 -X POST "${J[@]}" -d "$small" "${url}api/run"; json_error "full queue"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] && ok "the full queue answered in $ms ms" || fail "the full queue took $ms ms to answer"
hdr "full queue: Retry-After" "Retry-After: "
wait "${cpids[@]}"
read -r code1 secs1 <"$tmp/L1.w"; read -r code2 secs2 <"$tmp/L2.w"; read -r codes secss <"$tmp/S.w"
[ "$code1" = 503 ] && grep -q -- "--max-seconds" "$tmp/L1.body" && ok "a run over --max-seconds 2: 503 after $secs1 s" || fail "a run over --max-seconds: $code1 after $secs1 s" "$(cat "$tmp/L1.body")"
awk -v s="$secs1" 'BEGIN {exit !(s >= 1.5 && s <= 4)}' && ok "stopped within 2 s of its limit ($secs1 s)" || fail "stopped after $secs1 s, wanted 2-4"
[ "$code2" = 503 ] && awk -v s="$secs2" 'BEGIN {exit !(s >= 3.5)}' && ok "the next one waited, then ran its own 2 s: 503 after $secs2 s" || fail "the second long run: $code2 after $secs2 s"
waited=$(tr -d '\r' <"$tmp/S.head" | awk -F': ' 'tolower($1) == "x-initlab-queue-ms" {printf "%d", $2}')
[ "$codes" = 200 ] && [ "${waited:-0}" -ge 3000 ] && ok "a small run that waited $waited ms (over --max-seconds 2) is served" || fail "the queued small run: $codes after waiting ${waited:-?} ms"

# --- SIGTERM during a run (issue 21): the running run and the waiting one
# are answered 503, and the server exits 0 within 2 s ---
start term --threads 1 --max-values 1000000000 --max-work 0 --quiet
term_pid=$pid
cpids=()
bg "$huge" T1; sleep 0.3; bg "$huge" T2; sleep 0.7
( sleep 4; kill -KILL "$term_pid" 2>/dev/null ) & guard=$!
t0=$(date +%s%N)
kill -TERM "$term_pid"; wait "$term_pid"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill "$guard" 2>/dev/null; wait "$guard" 2>/dev/null
[ $rc -eq 0 ] && [ "$ms" -le 2000 ] && ok "SIGTERM during a run: exit 0 after $ms ms" || fail "SIGTERM during a run: exit $rc after $ms ms, wanted 0 within 2000"
wait "${cpids[@]}"
read -r code1 secs1 <"$tmp/T1.w"; read -r code2 secs2 <"$tmp/T2.w"
[ "$code1" = 503 ] && grep -q "stopping" "$tmp/T1.body" && ok "the running run: 503 'stopping'" || fail "the running run: $code1" "$(cat "$tmp/T1.body")"
[ "$code2" = 503 ] && ok "the waiting run: 503" || fail "the waiting run: $code2" "$(cat "$tmp/T2.body")"

# --- --allow-host (issue 21): a proxy's name, as Host and as Origin ---
start proxy --allow-host initlab.example --quiet
req "Host: an --allow-host name" 200 -H "Host: initlab.example" "${url}api/list"
req "Host: an --allow-host name with a port" 200 -H "Host: initlab.example:443" "${url}api/list"
req "its https Origin" 200 -X POST "${J[@]}" -H "Host: initlab.example" -H "Origin: https://initlab.example" -d "$small" "${url}api/run"
req "another name still refused" 403 -H "Host: other.example" "${url}api/list"
req "another name's Origin refused" 403 -H "Origin: https://other.example" "${url}api/list"
"$exe" serve --allow-host 'a b' 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "is not a host name" "$tmp/err" && ok "--allow-host 'a b' refused (exit 2)" || fail "--allow-host 'a b': exit $rc"

# --- the command line ---
"$exe" serve --help >"$tmp/help" && grep -q "usage: initlab serve" "$tmp/help" && ok "serve --help" || fail "serve --help"
"$exe" serve --port 70000 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "port must be" "$tmp/err" && ok "--port 70000 refused (exit 2)" || fail "--port 70000: exit $rc"
"$exe" serve --port "$port" --quiet 2>"$tmp/err" >/dev/null; rc=$?
[ $rc -eq 1 ] && grep -q "cannot listen" "$tmp/err" && ok "a port in use: exit 1, 'cannot listen'" || fail "port in use: exit $rc" "$(cat "$tmp/err")"
"$exe" serve --host no.such.host.invalid 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && ok "an unresolvable --host (exit 2)" || fail "unresolvable --host: exit $rc"
"$exe" serve --host 0.0.0.0 --port 0 >/dev/null 2>"$tmp/err" & wpid=$!
sleep 0.5; kill -TERM $wpid; wait $wpid
grep -q "warning: listening on 0.0.0.0, not loopback" "$tmp/err" && ok "--host 0.0.0.0 warns" || fail "--host 0.0.0.0 did not warn" "$(cat "$tmp/err")"
"$exe" serve --max-per-ip 0 2>/dev/null; [ $? -eq 2 ] && ok "--max-per-ip 0 refused" || fail "--max-per-ip 0 accepted"
kill -TERM "$main_pid"; wait "$main_pid"; rc=$?
[ $rc -eq 0 ] && ok "SIGTERM stops the server (exit 0)" || fail "SIGTERM: exit $rc"
grep -q "stopped (SIGTERM)" "$tmp/main.err" && ok "it says it stopped" || fail "no 'stopped' line"
grep -q "^initlab serve: POST /api/run 200 " "$tmp/main.err" && ok "one log line per request" || fail "no request log lines"
grep -qF 'initlab serve: GET /\x1b[31mred\x7f ' "$tmp/main.err" && ! grep -q $'\e' "$tmp/main.err" && ok "the log escapes control bytes" || fail "the log does not escape control bytes" "$(grep -a 'red' "$tmp/main.err" | cat -v)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
