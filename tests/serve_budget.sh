#!/usr/bin/env bash
# initlab serve's budget per run (issue 21, part 2): a run whose estimated
# memory or work is over --max-memory / --max-work is refused with 413
# naming both; one just under is served. The memory estimate against the
# server's measured peak RSS (VmHWM) for a few sizes, within 2x; the
# computing threads' OpenMP threads (no more threads than cores while two
# runs compute); the start under `ulimit -v` (runs, or exits within 5 s
# saying what it needs: OpenBLAS used to retry its start-up buffers for
# ever); the options.
# usage: serve_budget.sh PATH/TO/initlab
set -u
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
passed=0 failed=0
ok()   { passed=$((passed+1)); echo "ok   $1"; }
fail() { failed=$((failed+1)); echo "FAIL $1" >&2; [ $# -gt 1 ] && printf '  %s\n' "$2" >&2; }
command -v curl >/dev/null || { echo "serve_budget: curl missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
# ASan reserves terabytes of address space and pads every allocation: the
# RSS and ulimit parts only mean something in a plain build
sanitized=0
nm "$exe" 2>/dev/null | grep -q "__asan_init" && sanitized=1
ldd "$exe" 2>/dev/null | grep -q "libasan" && sanitized=1

# start NAME ARGS...: a server on a free port; sets $url, $port and $pid
start() {
    local name=$1; shift
    "$exe" serve --port 0 --quiet "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!; pids+=("$pid")
    for _ in $(seq 400); do grep -q "^initlab serve: http" "$tmp/$name.out" && break; sleep 0.05; done
    url=$(grep -o "http://[^ ]*" "$tmp/$name.out")
    [ -n "$url" ] || { fail "$name: did not start in 20 s" "$(cat "$tmp/$name.err"; kill -0 "$pid" 2>/dev/null && echo "(still running)")"; exit 1; }
    port=${url##*:}; port=${port%/}
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# post URL BODY: status into $code, body into $tmp/body
post() { code=$(curl -s -o "$tmp/body" -w "%{http_code}" --max-time 60 -H "Content-Type: application/json" -d "$2" "$1api/run"); }
has() { grep -qF -- "$2" "$tmp/body" && ok "$1" || fail "$1: body lacks '$2'" "$(head -c 400 "$tmp/body")"; }
# the estimates, from servers that refuse every run
start estmem --max-memory 1 --max-work 0 --max-values 4000000000; url_mem=$url
start estwork --max-memory 0 --max-work 1 --max-values 4000000000; url_work=$url
est_bytes() { post "$url_mem" "$1"; sed -n 's/.*(\([0-9]*\) bytes, estimated).*/\1/p' "$tmp/body"; }
est_work() { post "$url_work" "$1"; sed -n 's/.*work (\([0-9]*\), estimated).*/\1/p' "$tmp/body"; }
body() { # body DEPTH WIDTH BATCH [EXTRA]: one arm, kaiming_normal + relu
    printf '{"depth":%d,"width":%d,"batch":%d,"arms":[{"init":"kaiming_normal","act":"relu"}]%s}' "$1" "$2" "$3" "${4:-}"; }

# --- just under and just over --max-memory ---
under=$(body 10 1000 200); over=$(body 10 1000 201)
e_under=$(est_bytes "$under"); e_over=$(est_bytes "$over")
[ -n "$e_under" ] && [ -n "$e_over" ] && [ "$e_over" -gt "$e_under" ] && ok "estimates: $e_under bytes, $e_over with batch 201" \
    || fail "no memory estimates ('$e_under', '$e_over')" "$(cat "$tmp/body")"
start mem --max-memory "$e_under" --max-work 0
post "$url" "$under"
[ "$code" = 200 ] && ok "a run estimated at the limit ($e_under bytes): 200" || fail "a run at the memory limit: $code" "$(head -c 300 "$tmp/body")"
post "$url" "$over"
[ "$code" = 413 ] && ok "one batch row more ($e_over bytes): 413" || fail "a run just over the memory limit: $code"
grep -qE '^\{"error":".+"\}$' "$tmp/body" && ok "a JSON error" || fail "not a JSON error" "$(cat "$tmp/body")"
has "it names the estimate" "($e_over bytes, estimated)"
has "it names the limit" "($e_under bytes, --max-memory)"
stop "$pid"

# --- just under and just over --max-work ---
w_under=$(est_work "$under"); w_over=$(est_work "$over")
[ -n "$w_under" ] && [ -n "$w_over" ] && [ "$w_over" -gt "$w_under" ] && ok "work estimates: $w_under, $w_over" \
    || fail "no work estimates ('$w_under', '$w_over')" "$(cat "$tmp/body")"
start work --max-memory 0 --max-work "$w_under"
post "$url" "$under"
[ "$code" = 200 ] && ok "a run estimated at the work limit: 200" || fail "a run at the work limit: $code" "$(head -c 300 "$tmp/body")"
post "$url" "$over"
[ "$code" = 413 ] && ok "one batch row more: 413" || fail "a run just over the work limit: $code"
has "it names the work and the limit" "($w_over, estimated); the server's limit is"
has "and the option" "--max-work"
stop "$pid"

# --- the defaults: the issue's 1.2 KB body (32 arms with gradients: 21.5 GB
# before) is refused at once; the page's default view is served ---
arm='{"init":"kaiming_normal","act":"relu"}'
arms=$arm; for _ in $(seq 31); do arms="$arms,$arm"; done
big="{\"depth\":16,\"width\":1000,\"batch\":1000,\"arms\":[$arms],\"grad\":true}"
start defaults
t0=$(date +%s%N); post "$url" "$big"; ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$code" = 413 ] && [ "$ms" -lt 1000 ] && ok "${#big}-byte body, 32 arms with gradients: 413 in $ms ms" || fail "32 arms with gradients: $code after $ms ms"
has "names --max-memory" "--max-memory"
has "the default limit, 384 MiB" "($((384 << 20)) bytes, --max-memory)"
post "$url" '{"depth":5,"width":100,"batch":1000,"arms":[{"init":"lecture_he","act":"relu"},{"init":"lecture_xavier","act":"relu"}],"theory":true}'
[ "$code" = 200 ] && ok "the page's default view: 200" || fail "the page's default view: $code" "$(head -c 300 "$tmp/body")"
curl -s "${url}api/list" >"$tmp/body"
has "/api/list: max_memory" "\"max_memory\":	$((384 << 20))"
has "/api/list: max_work" '"max_work":	200000000000'
# small in memory (288 MB) and values (18 000), but six QRs of 3000 x 3000
# (each over 10 s here under load)
post "$url" '{"depth":6,"width":3000,"batch":1,"arms":[{"init":"orthogonal","act":"relu"}]}'
[ "$code" = 413 ] && ok "6 orthogonal layers of 3000 x 3000: 413" || fail "6 orthogonal layers of 3000 x 3000: $code" "$(cat "$tmp/body")"
has "by --max-work" "--max-work"

# --- a refused run takes no place in the queue: with the one computing
# thread busy (a run of 1e12 multiply-adds that --max-seconds 3 stops) and
# no queue, an over-budget run is still answered 413 and a malformed one
# 400, not 503 (before, they waited for a thread to be refused) ---
start full --threads 1 --queue 0 --max-work 0 --max-seconds 3 --max-values 4000000000
curl -s -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" -d "$(body 1000 1000 1000)" "${url}api/run" >"$tmp/long" & c1=$!
sleep 0.5
post "$url" "$big"
[ "$code" = 413 ] && ok "the thread busy, no queue: an over-budget run 413" || fail "an over-budget run beside a full queue: $code" "$(cat "$tmp/body")"
post "$url" '{"depth": 3,'
[ "$code" = 400 ] && ok "and a malformed one 400" || fail "a malformed run beside a full queue: $code"
post "$url" "$(body 2 8 4)"
[ "$code" = 503 ] && ok "a valid one 503 (the queue is full)" || fail "a valid run beside a full queue: $code"
wait "$c1"
[ "$(cat "$tmp/long")" = 503 ] && ok "the long run was stopped (503)" || fail "the long run: $(cat "$tmp/long")"
stop "$pid"

# --- OpenMP in the computing threads: with two of them on this machine's
# cores, two runs at once must not start more threads than the server's
# own (main, the polling thread, the watchdog, the computing threads): each
# run computes on its own thread. Before, each computing thread started an
# OpenMP team as wide as the machine. ---
start omp --max-work 0 --max-seconds 600
base=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
long=$(body 10 1000 1000) # 1e10 multiply-adds each: 0.5 s here, more under load or ASan
curl -s -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" -d "$long" "${url}api/run" >"$tmp/c1" & c1=$!
curl -s -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" -d "$long" "${url}api/run" >"$tmp/c2" & c2=$!
most=0
while kill -0 "$c1" 2>/dev/null || kill -0 "$c2" 2>/dev/null; do
    n=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status"); [ "${n:-0}" -gt "$most" ] && most=$n; sleep 0.05
done
wait "$c1" "$c2"
[ "$(cat "$tmp/c1" "$tmp/c2")" = 200200 ] && ok "both runs: 200" || fail "the two runs: $(cat "$tmp/c1") $(cat "$tmp/c2")"
[ "$base" -eq 5 ] && [ "$most" -eq 5 ] && ok "two runs at once: $most threads (5 before them: no OpenMP team)" \
    || fail "two runs at once: $most threads, $base before (wanted 5 and 5)"
stop "$pid"

# --- the estimate against the measured peak (VmHWM), a fresh server each ---
if [ "$sanitized" = 1 ]; then
    echo "skip the RSS and ulimit checks: a sanitizer build"
else
    arms8=$arm; for _ in $(seq 7); do arms8="$arms8,$arm"; done
    sizes=("$(body 10 1000 1000)"
           "$(body 5 1000 500 ',"grad":true')"
           "{\"depth\":1000,\"width\":4,\"batch\":4,\"arms\":[$arms8],\"grad\":true,\"theory\":true}"
           '{"depth":5,"width":2000,"batch":1000,"arms":[{"init":"kaiming_normal","act":"relu"},{"init":"xavier_normal","act":"tanh"}],"theory":true}'
           '{"depth":2,"width":1500,"batch":10,"arms":[{"init":"orthogonal","act":"relu"}]}')
    names=("10 x 1000 x 1000" "5 x 1000 x 500 with gradients" "8 arms of 1000 x 4 x 4, gradients and theory" "2 arms of 5 x 2000 x 1000 with theory"
           "2 orthogonal layers of 1500 x 1500")
    for i in "${!sizes[@]}"; do
        e=$(est_bytes "${sizes[$i]}")
        start rss --max-memory 0 --max-work 0 --max-values 4000000000 --max-seconds 600
        rss0=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
        post "$url" "${sizes[$i]}"
        hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
        stop "$pid"
        grow=$((hwm - rss0))
        if [ "$code" = 200 ] && [ -n "$e" ] && awk -v m="$grow" -v e="$((e / 1024))" 'BEGIN {exit !(m >= e / 2 && m <= 2 * e)}'; then
            ok "${names[$i]}: estimated $((e / 1024)) KiB, peak RSS grew $grow KiB (within 2x)"
        else
            fail "${names[$i]}: estimated $((${e:-0} / 1024)) KiB, peak RSS grew $grow KiB (status $code)"
        fi
    done

    # --- the start under ulimit -v ---
    t0=$(date +%s%N)
    ( ulimit -v 300000; exec timeout 10 "$exe" serve --port 0 ) >"$tmp/uv.out" 2>"$tmp/uv.err"; rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$rc" -eq 4 ] && [ "$ms" -lt 5000 ] && ok "ulimit -v 300000: exit 4 after $ms ms" || fail "ulimit -v 300000: exit $rc after $ms ms (124: it hung)"
    grep -q "address-space limit (ulimit -v 300000)" "$tmp/uv.err" && grep -q "needs at least" "$tmp/uv.err" \
        && ok "it says the limit and what it needs: $(grep -o 'needs at least [^:]*' "$tmp/uv.err")" || fail "no clear message" "$(cat "$tmp/uv.err")"
    # with room for the OpenBLAS buffers but not for two default budgets,
    # the server runs with a smaller --max-memory and says so
    ( ulimit -v 1000000; exec "$exe" serve --port 0 ) >"$tmp/uv2.out" 2>"$tmp/uv2.err" &
    pid=$!; pids+=("$pid")
    for _ in $(seq 100); do grep -q "^initlab serve: http" "$tmp/uv2.out" && break; sleep 0.05; done
    url=$(grep -o "http://[^ ]*" "$tmp/uv2.out")
    if [ -n "$url" ]; then
        ok "ulimit -v 1000000: it runs"
        grep -q "max-memory is .* per run, so that 2 runs fit" "$tmp/uv2.err" && ok "it lowers --max-memory: $(grep -o 'is [^,]* per run' "$tmp/uv2.err")" \
            || fail "no word of a lowered --max-memory" "$(cat "$tmp/uv2.err")"
        post "$url" '{"depth":5,"width":100,"batch":1000,"arms":[{"init":"lecture_he","act":"relu"}],"theory":true}'
        [ "$code" = 200 ] && ok "a small run under it: 200" || fail "a small run under ulimit -v 1000000: $code"
        post "$url" "$(body 10 1000 1000 ',"grad":true')"
        [ "$code" = 413 ] && grep -q -- "--max-memory" "$tmp/body" && ok "a run over the lowered budget: 413" || fail "a run over the lowered budget: $code" "$(cat "$tmp/body")"
    else
        fail "ulimit -v 1000000: did not start" "$(cat "$tmp/uv2.err")"
    fi
    stop "$pid"
fi

# --- the options ---
"$exe" serve --help >"$tmp/help"
grep -q -- "--max-memory BYTES" "$tmp/help" && grep -q -- "--max-work N" "$tmp/help" && ok "--help lists --max-memory and --max-work" || fail "--help lacks the budget options"
"$exe" serve --max-memory lots 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && ok "--max-memory lots refused (exit 2)" || fail "--max-memory lots: exit $rc"
"$exe" serve --max-work -1 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--max-work must be" "$tmp/err" && ok "--max-work -1 refused (exit 2)" || fail "--max-work -1: exit $rc"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
