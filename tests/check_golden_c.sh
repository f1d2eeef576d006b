#!/usr/bin/env bash
# Every generated program in tests/golden/*.c must compile warning-free with
# the flags equery-run builds with (and -Werror), with gcc and with clang.
# Usage: tests/check_golden_c.sh GOLDEN_DIR RUNTIME_INCLUDE_DIR
set -u
dir="$1" inc="$2"
pass=0 fail=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for cc in gcc clang; do
    command -v "$cc" >/dev/null || { echo "SKIP $cc: not installed"; continue; }
    for f in "$dir"/*.c; do
        if "$cc" -std=gnu11 -O2 -fPIC -shared -Wall -Wextra -Werror -fvisibility=hidden -I"$inc" "$f" -o "$out/x.so" 2>"$out/log"; then
            echo "PASS $cc $(basename "$f")"
            pass=$((pass + 1))
        else
            echo "FAIL $cc $(basename "$f")"
            sed 's/^/    /' "$out/log" | head -20
            fail=$((fail + 1))
        fi
    done
done
echo "golden-c: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
