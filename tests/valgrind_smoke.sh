#!/usr/bin/env bash
# The CLI's smoke tests once under valgrind (memcheck): every command on a
# small case, and a refused one; any memory error or definite leak fails.
# usage: valgrind_smoke.sh PATH/TO/initlab
set -u
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
failed=0 passed=0
vg() { # vg NAME WANT_EXIT ARGS...
    local name=$1 want=$2; shift 2
    local t0=$SECONDS
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --log-file="$tmp/vg.log" "$exe" "$@" >/dev/null 2>"$tmp/err"
    local rc=$? t1=$SECONDS
    if [ "$rc" -eq "$want" ] && [ ! -s "$tmp/vg.log" ]; then
        passed=$((passed+1)); echo "ok   $name ($((t1-t0)) s)"
    else
        failed=$((failed+1)); echo "FAIL $name: exit $rc (wanted $want)" >&2
        head -40 "$tmp/vg.log" >&2
    fi
}
vg "lecture 3" 0 lecture 3 --out l
vg "run with gradients and theory" 0 run --arm kaiming_normal/relu --arm xavier_normal/tanh \
    --depth 3 --width 20 --batch 50 --grad --theory --out r
vg "init to .npy" 0 init orthogonal --shape 16,8 --out w.npy
vg "run --input w.npy" 0 run --input w.npy --arm lecture_he/relu --depth 2 --out ri
vg "theory" 0 theory --act tanh --sigma-w2 1.5 --sigma-b2 0.05 --depth 3 --json
vg "theory phase" 0 theory --phase --act relu --grid 3,2 --out ph
vg "advise" 0 advise --act relu --widths 20,20,20 --batch 30
vg "list" 0 list
vg "refused: bad spec" 2 run --arm nrml/relu
printf '1,2\n3\n' > bad.csv
vg "refused: ragged csv" 3 run --input bad.csv --arm lecture_he/relu
# serve: a few requests, then SIGTERM; the server must stop cleanly
t0=$SECONDS
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --log-file="$tmp/vg.log" "$exe" serve --port 0 --quiet >"$tmp/serve.out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 300); do grep -q "^initlab serve: http" "$tmp/serve.out" && break; sleep 0.1; done
url=$(grep -o "http://[^ ]*" "$tmp/serve.out")
json="-H Content-Type:application/json"   # a POST must say it sends JSON
codes=$(for args in "${url}api/list" "$url" "${url}nope" \
        "-X POST $json -d {bad ${url}api/run" \
        "-X POST $json -d {\"depth\":3,\"width\":20,\"batch\":30,\"theory\":true,\"grad\":true,\"arms\":[{\"init\":\"kaiming_normal\",\"act\":\"relu\"}]} ${url}api/run"; do
    # shellcheck disable=SC2086
    curl -s -o /dev/null -w "%{http_code} " --max-time 60 $args; done)
kill -TERM "$pid"; wait "$pid"; rc=$?
if [ "$rc" -eq 0 ] && [ "$codes" = "200 200 404 400 200 " ] && [ ! -s "$tmp/vg.log" ]; then
    passed=$((passed+1)); echo "ok   serve: five requests and SIGTERM ($((SECONDS-t0)) s)"
else
    failed=$((failed+1)); echo "FAIL serve: exit $rc, statuses '$codes'" >&2; head -40 "$tmp/vg.log" >&2
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
