#!/usr/bin/env bash
# Check that every example program compiles: runs `equeryc --check` on each
# EXAMPLES_DIR/*.eq, prints each file with its result, and fails if any file
# fails (or if there is no example at all).
#
# Usage: tests/check_examples.sh EQUERYC EXAMPLES_DIR
set -uo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 EQUERYC EXAMPLES_DIR" >&2
    exit 2
fi
equeryc="$1"
dir="$2"

if [ ! -d "$dir" ]; then
    echo "check_examples: no such directory: $dir" >&2
    exit 1
fi

shopt -s nullglob
files=("$dir"/*.eq)
if [ "${#files[@]}" -eq 0 ]; then
    echo "check_examples: no .eq files in $dir" >&2
    exit 1
fi

passed=0
failed=0
for f in "${files[@]}"; do
    name="${f##*/}"
    out=$("$equeryc" --check "$f" 2>&1 </dev/null)
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "PASS $name"
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
        passed=$((passed + 1))
    else
        echo "FAIL $name (exit status $rc)"
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
        failed=$((failed + 1))
    fi
done
echo "examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
