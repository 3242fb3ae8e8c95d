#!/usr/bin/env bash
# Run test_csv's comma_locale case under de_DE.UTF-8, whose decimal point is
# a comma, compiled into a private folder (no root, no system change).
# usage: csv_locale.sh PATH/TO/test_csv
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
localedef -i de_DE -f UTF-8 "$tmp/de_DE.UTF-8" 2>"$tmp/err" || {
    echo "csv_locale: localedef failed (is Debian's 'locales' installed?)" >&2
    cat "$tmp/err" >&2
    exit 1
}
LOCPATH=$tmp LC_ALL=de_DE.UTF-8 IL_TEST_COMMA_LOCALE=1 "$1" comma_locale
