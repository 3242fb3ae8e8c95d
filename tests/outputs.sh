#!/usr/bin/env bash
# Where initlab's files go (docs/reliability.md, "Outputs"): a FIFO, a
# device or a link to one at an output path is refused; a link inside an
# --out folder is not followed; a link the user names is written through to
# its regular target; '--out -' is standard output; each --out folder gets
# a manifest, and a smaller run removes the bigger run's files; a second
# run on a locked folder is refused, naming the first; SIGINT and SIGTERM
# mid-write leave no temporary file and exit 130 and 143.
# usage: outputs.sh PATH/TO/initlab
set -u
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
passed=0 failed=0
ok()   { passed=$((passed+1)); echo "ok   $1"; }
fail() { failed=$((failed+1)); echo "FAIL $1" >&2; [ $# -gt 1 ] && printf '  %s\n' "$2" >&2; }
sha()  { [ -e "$1" ] && sha256sum "$1" | cut -d' ' -f1 || echo absent; }
# refused NAME MESSAGE ARGS...: exit 1 and one line on stderr containing
# MESSAGE (a FIFO must not make it block: at most 20 s)
refused() {
    local name=$1 msg=$2; shift 2
    timeout 20 "$exe" "$@" >out.txt 2>err.txt; local rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -qF -- "$msg" err.txt; then
        ok "$name: exit 1, '$(cat err.txt)'"
    else
        fail "$name: exit $rc, wanted 1 and '$msg'" "$(cat err.txt)"
    fi
}
small=(run --arm normal/relu --depth 2 --width 4 --batch 4)

# --- what is at the output path ---
mkfifo fifo
refused "init --out FIFO" "'fifo' is a FIFO (named pipe), not a regular file: not replacing it" \
    init normal --shape 3,3 --out fifo
[ -p fifo ] && ok "the FIFO is still a FIFO" || fail "the FIFO is still a FIFO"
# a link to /dev/null: refused, and /dev/null itself is never the target
ln -s /dev/null devlink
refused "init --out link to /dev/null" "'devlink' links to '/dev/null', a character device" \
    init normal --shape 3,3 --out devlink
[ -L devlink ] && [ "$(readlink devlink)" = /dev/null ] && [ -c /dev/null ] &&
    ok "the link and /dev/null are untouched" || fail "the link and /dev/null are untouched"
ln -s fifo fifolink
refused "init --out link to a FIFO" "a FIFO (named pipe), not a regular file: not writing through it" \
    init normal --shape 3,3 --out fifolink
# a character device of our own (root can make one; elsewhere the case is skipped)
if mknod chardev c 1 3 2>/dev/null; then
    refused "init --out character device" "'chardev' is a character device, not a regular file" \
        init normal --shape 3,3 --out chardev
    [ -c chardev ] && ok "the device is still a device" || fail "the device is still a device"
else
    echo "skip init --out character device: mknod is not permitted here"
fi
mkdir adir
refused "init --out folder" "'adir' is a folder, not a file" init normal --shape 3,3 --out adir
ln -s missing.npy dangling
refused "init --out dangling link" "'dangling' is a symbolic link that cannot be followed" \
    init normal --shape 3,3 --out dangling
[ -L dangling ] && [ ! -e missing.npy ] && ok "the dangling link is left as it was" ||
    fail "the dangling link is left as it was"

# a link the user names, to a regular file: written through, the link kept
mkdir real
"$exe" init normal --shape 5,7 --seed 3 --out real/w.npy >/dev/null
"$exe" init normal --shape 5,7 --seed 4 --out direct.npy >/dev/null
ln -s real/w.npy link.npy
if "$exe" init normal --shape 5,7 --seed 4 --out link.npy >out.txt 2>err.txt; then
    [ -L link.npy ] && [ "$(readlink link.npy)" = real/w.npy ] && cmp -s real/w.npy direct.npy &&
        [ -z "$(find . real -maxdepth 1 -name '.*.npy.*')" ] &&
        ok "init --out LINK: the target replaced, the link kept" ||
        fail "init --out LINK: the target replaced, the link kept" "$(ls -la . real)"
else
    fail "init --out LINK to a regular file" "$(cat err.txt)"
fi
grep -q "wrote link.npy" out.txt && ok "init --out LINK says what it wrote" ||
    fail "init --out LINK says what it wrote" "$(cat out.txt)"

# --- standard output ---
if "$exe" init normal --shape 4,6 --seed 9 --out - >stdout.npy 2>err.txt; then
    "$exe" init normal --shape 4,6 --seed 9 --out file.npy >/dev/null
    cmp -s stdout.npy file.npy && ok "init --out -: the same bytes as the file" ||
        fail "init --out -: the same bytes as the file"
    grep -q "wrote the tensor to standard output" err.txt && grep -q "sample (24 values" err.txt &&
        ok "init --out -: the text on stderr" || fail "init --out -: the text on stderr" "$(cat err.txt)"
else
    fail "init --out -" "$(cat err.txt)"
fi
"$exe" init normal --shape 4,6 --seed 9 --out - --json 2>err.txt | cmp -s - file.npy &&
    grep -q '"fan_in": 4' err.txt && ok "init --out - --json: JSON on stderr" ||
    fail "init --out - --json" "$(cat err.txt)"
# through a pipe, f32, all the bytes (128-byte header + 1000 floats)
n=$("$exe" init normal --shape 10,100 --dtype f32 --out - 2>/dev/null | wc -c)
[ "$n" -eq 4128 ] && ok "init --out - through a pipe: 4128 bytes" || fail "init --out - through a pipe" "$n"
"$exe" "${small[@]}" --out - >out.txt 2>err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "'--out -' (standard output) is for commands that write one file" err.txt &&
    [ ! -e ./- ] && ok "run --out -: refused, exit 2" || fail "run --out -" "$rc $(cat err.txt)"

# --- links inside an --out folder are not followed ---
echo precious >precious.txt
mkdir o
ln -s ../precious.txt o/report.json
refused "run: report.json a link inside --out" "'o/report.json' is a symbolic link: not following or replacing it" \
    "${small[@]}" --out o
[ "$(cat precious.txt)" = precious ] && [ -L o/report.json ] &&
    ok "the link's target is untouched, the link kept" || fail "the link's target is untouched"
rm o/report.json
mkdir elsewhere
mkdir L; ln -s ../elsewhere L/ex3
refused "lecture: ex3 a link inside --out" "'L/ex3' is a symbolic link, not a folder: not following it" \
    lecture 3 --out L
[ -z "$(ls -A elsewhere)" ] && ok "nothing written through the subfolder link" ||
    fail "nothing written through the subfolder link" "$(ls -A elsewhere)"
rm L/ex3

# --- the manifest ---
check_manifest() { # DIR COMMAND: the manifest lists exactly the files there, with sizes and hashes
    python3 - "$1" "$2" <<'EOF'
import hashlib, json, os, sys
d, cmd = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(d, "initlab-files.json")))
assert m["command"] == cmd, m["command"]
listed = {f["name"]: f for f in m["files"]}
there = set()
for root, dirs, files in os.walk(d):
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), d)
        if rel != "initlab-files.json":
            there.add(rel)
assert set(listed) == there, (sorted(listed), sorted(there))
for name, f in listed.items():
    data = open(os.path.join(d, name), "rb").read()
    assert f["bytes"] == len(data), name
    assert f["sha256"] == hashlib.sha256(data).hexdigest(), name
print(len(listed))
EOF
}
arms3=(--arm normal/relu --arm lecture_he/relu --arm normal:std=0.5/tanh)
"$exe" run "${arms3[@]}" --depth 3 --width 8 --batch 8 --save-activations --grad --out m >/dev/null
n=$(check_manifest m run) && [ "$n" -eq 18 ] &&
    ok "run: the manifest lists its $n files with their sizes and SHA-256" || fail "run: manifest" "$n"
echo mine >m/notes.txt
"$exe" run --arm normal/relu --depth 3 --width 8 --batch 8 --out m >/dev/null
ls m | sort | tr '\n' ' ' >ls.txt
[ "$(cat ls.txt)" = "arm1.png compare.png initlab-files.json notes.txt report.json stats.csv std.png " ] &&
    ok "a smaller run removed the bigger run's files (arm2, arm3, grad, .npy), kept notes.txt" ||
    fail "a smaller run removed the bigger run's files" "$(cat ls.txt)"
rm m/notes.txt
n=$(check_manifest m run) && [ "$n" -eq 5 ] && ok "run: the new manifest lists 5 files" ||
    fail "run: the new manifest" "$n"
"$exe" run --arm normal/relu --depth 3 --width 8 --batch 8 --format svg --out m >/dev/null
[ -z "$(find m -name '*.png')" ] && [ -n "$(find m -name '*.svg')" ] &&
    ok "--format svg after png: no png left" || fail "--format svg after png" "$(ls m)"
"$exe" lecture --out lec >/dev/null
n=$(check_manifest lec lecture) && [ "$n" -eq 10 ] && ok "lecture: the manifest lists $n files" ||
    fail "lecture: manifest" "$n"
"$exe" lecture 3 --out lec >/dev/null
[ ! -e lec/ex1 ] && [ ! -e lec/ex2 ] && [ -e lec/ex3/net1.png ] && n=$(check_manifest lec lecture) &&
    [ "$n" -eq 4 ] && ok "lecture 3 after all: ex1/ and ex2/ removed, 4 files listed" ||
    fail "lecture 3 after all" "$(find lec)"
"$exe" theory --phase --act tanh --grid 4,3 --out th >/dev/null
n=$(check_manifest th theory) && [ "$n" -eq 2 ] && ok "theory --phase: the manifest lists 2 files" ||
    fail "theory --phase: manifest" "$n"
# a hostile manifest is ignored with a warning, and removes nothing
echo keep >victim.txt
printf '{"command": "run", "files": [{"name": "../victim.txt", "bytes": 5, "sha256": "%064d"}]}\n' 0 \
    >m/initlab-files.json
"$exe" "${small[@]}" --out m >out.txt 2>err.txt; rc=$?
[ $rc -eq 0 ] && [ -e victim.txt ] && grep -q "warning: ignoring 'm/initlab-files.json' (files\[0\]: '../victim.txt' is not a plain file name inside the folder)" err.txt &&
    ok "a manifest naming ../victim.txt: ignored with a warning, nothing removed" ||
    fail "a hostile manifest" "$rc $(cat err.txt)"
[ -z "$(find . -maxdepth 2 -name .initlab.lock)" ] && ok "no lock file left after the runs" ||
    fail "no lock file left" "$(find . -name .initlab.lock)"

# --- the lock ---
mkdir busy
( exec 9>busy/.initlab.lock; flock 9; echo "4242 run" >&9; sleep 4 ) &
holder=$!
for ((w = 0; w < 200; w++)); do [ -s busy/.initlab.lock ] && break; sleep 0.02; done
refused "run on a folder another holds" "output folder 'busy' is in use by process 4242 (initlab run)" \
    "${small[@]}" --out busy
[ ! -e busy/report.json ] && ok "nothing written into the locked folder" || fail "nothing written into the locked folder"
wait $holder
# a real run (20000 layers: about a second) and a second one meanwhile
"$exe" run --arm lecture_he/relu --depth 20000 --width 4 --batch 4 --bins 5 --out busy >/dev/null 2>&1 &
first=$!
for ((w = 0; w < 500; w++)); do grep -qs "^$first run" busy/.initlab.lock && break; sleep 0.01; done
refused "a second run while the first writes" "output folder 'busy' is in use by process $first (initlab run)" \
    lecture 3 --out busy
wait $first && ok "the first run completes" || fail "the first run completes"
"$exe" "${small[@]}" --out busy >/dev/null && ok "the folder is free again" || fail "the folder is free again"

# --- SIGINT and SIGTERM mid-write ---
# interrupt NAME SIGNAL CODE DIR PATTERN ARGS...: start ARGS, wait until a
# temporary file matching PATTERN is in DIR, send SIGNAL; tried up to 20
# times until it lands while the file is there.
interrupt() {
    local name=$1 sig=$2 code=$3 dir=$4 pat=$5; shift 5
    local attempt pid rc w seen left landed=0
    for ((attempt = 1; attempt <= 20 && landed == 0; attempt++)); do
        # A script's background job starts with SIGINT ignored, which
        # initlab respects; env --default-signal gives it the default back
        # (and execs, so $! is initlab's pid).
        env --default-signal=INT "$exe" "$@" >/dev/null 2>&1 &
        pid=$!
        seen=0
        for ((w = 0; w < 4000; w++)); do
            [ -n "$(find "$dir" -maxdepth 1 -name "$pat" 2>/dev/null)" ] && { seen=1; break; }
            sleep 0.002
        done
        kill -"$sig" "$pid" 2>/dev/null
        wait "$pid"; rc=$?
        left=$(find "$dir" -maxdepth 1 -name '.*' ! -name . | wc -l)
        if [ $seen -eq 1 ] && [ $rc -eq "$code" ]; then landed=1; fi
        if [ "$left" -ne 0 ]; then break; fi
    done
    if [ $landed -eq 1 ] && [ "$left" -eq 0 ]; then
        ok "$name: exit $rc, no temporary file left (attempt $((attempt - 1)))"
    else
        fail "$name: exit $rc after $((attempt - 1)) attempts, $left hidden file(s) left" \
            "$(find "$dir" -maxdepth 1 -name '.*' ! -name .)"
    fi
}
mkdir sig
"$exe" init normal --shape 16,16 --out sig/big.npy >/dev/null
old=$(sha sig/big.npy)
interrupt "SIGTERM during init's write" TERM 143 sig '.big.npy.*' \
    init normal --shape 4096,2048 --out sig/big.npy
interrupt "SIGINT during init's write" INT 130 sig '.big.npy.*' \
    init normal --shape 4096,2048 --out sig/big.npy
[ "$(sha sig/big.npy)" = "$old" ] && ok "the interrupted writes left the old file" ||
    fail "the interrupted writes left the old file"
# in an --out folder: the temporary files and the lock file go
interrupt "SIGTERM during run's stats.csv" TERM 143 r '.stats.csv.*' \
    run --arm lecture_he/relu --depth 20000 --width 4 --batch 4 --bins 5 --out r
interrupt "SIGINT during run's stats.csv" INT 130 r '.stats.csv.*' \
    run --arm lecture_he/relu --depth 20000 --width 4 --batch 4 --bins 5 --out r

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
