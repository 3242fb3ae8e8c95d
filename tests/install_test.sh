#!/usr/bin/env bash
# Install initlab from BUILD_DIR into a temporary prefix, build the example
# against it through pkg-config (as a user would), run it, and check what it
# prints. usage: install_test.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok   $1"; else failed=$((failed+1)); echo "FAIL $1" >&2; fi; }

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1; rc=$?
check "cmake --install" '[ $rc -eq 0 ]'
libdir=$(ls -d "$tmp"/prefix/lib* | head -n1)
check "headers installed" '[ -f "$tmp/prefix/include/initlab/initlab.h" ]'
check "static and shared library installed" '[ -f "$libdir/libinitlab.a" ] && [ -e "$libdir/libinitlab.so" ]'
check "pkg-config file installed" '[ -f "$libdir/pkgconfig/initlab.pc" ]'
check "program installed" '[ -x "$tmp/prefix/bin/initlab" ]'
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs initlab)
check "pkg-config knows initlab" '[ -n "$flags" ]'
cc -std=c11 -Wall -Wextra -Werror "$src/examples/he_layer.c" $flags -o "$tmp/he_layer" 2>"$tmp/cc.log"; rc=$?
check "example builds against the installed library" '[ $rc -eq 0 ]'
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/he_layer" 2>&1); rc=$?
check "example runs" '[ $rc -eq 0 ]'
# sqrt(2/784) = 0.050508; the sample std of 200704 draws is within 1%.
check "example prints the target" 'echo "$out" | grep -q "target std 0.050508"'
check "example sample std near target" 'echo "$out" | awk "/sample/ { exit !(\$5 > 0.0500 && \$5 < 0.0510) }"'
# the archive, then what initlab.pc's Requires.private and Libs.private name
private=$(sed -n 's/^Libs.private: //p' "$libdir/pkgconfig/initlab.pc")
cc -std=c11 "$src/examples/he_layer.c" $(pkg-config --cflags initlab) "$libdir/libinitlab.a" \
   $(pkg-config --libs --static cairo freetype2 libcjson openblas zlib) $private -o "$tmp/he_layer_static" 2>>"$tmp/cc.log"; rc=$?
check "example links statically" '[ $rc -eq 0 ] && "$tmp/he_layer_static" >/dev/null'
[ $failed -eq 0 ] || { cat "$tmp/install.log" "$tmp/cc.log" >&2; echo "$out" >&2; }
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
