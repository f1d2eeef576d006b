#!/usr/bin/env bash
# Every generated program in tests/golden/*.c (program.c of a bundle; not the
# eBPF programs *.bpf.c, which ebpf-compile builds) must compile
# warning-free with the flags equery-run builds with (and -Werror), with gcc
# and with clang, next to its NAME.h as program.h (the key and state structs
# it includes).
# Usage: tests/check_golden_c.sh GOLDEN_DIR RUNTIME_INCLUDE_DIR
set -u
dir="$1" inc="$2"
pass=0 fail=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for cc in gcc clang; do
    command -v "$cc" >/dev/null || { echo "SKIP $cc: not installed"; continue; }
    for f in "$dir"/*.c; do
        case "$f" in *.bpf.c) continue ;; esac
        name=$(basename "$f" .c)
        if [ ! -f "$dir/$name.h" ]; then
            echo "FAIL $cc $name.c: no $name.h (its program.h) next to it"
            fail=$((fail + 1))
            continue
        fi
        cp "$f" "$out/program.c"
        cp "$dir/$name.h" "$out/program.h"
        if "$cc" -std=gnu11 -O2 -fPIC -shared -Wall -Wextra -Werror -fvisibility=hidden -I"$inc" "$out/program.c" -o "$out/x.so" 2>"$out/log"; then
            echo "PASS $cc $name.c"
            pass=$((pass + 1))
        else
            echo "FAIL $cc $name.c"
            sed 's/^/    /' "$out/log" | head -20
            fail=$((fail + 1))
        fi
    done
done
echo "golden-c: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
