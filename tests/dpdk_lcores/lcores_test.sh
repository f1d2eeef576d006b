#!/usr/bin/env bash
# lcores_test.sh - the DPDK engine warns when its busy-polling lcores (the
# main lcore and the workers) outnumber the CPUs the process may use, and
# its default worker count fits them (docs/dpdk.md "Workers and CPUs").
#
#  1. One CPU (taskset -c 0), --workers 1: 2 lcores on 1 CPU, warned.
#  2. One CPU, no --workers (the default: 1 worker): warned the same way.
#  3. Two CPUs (taskset -c 0,1; skipped on a 1-CPU machine): --workers 2
#     (3 lcores) warned, saying --workers 1; --workers 1 and the default:
#     no warning.
# Every run prints the same rows as the portable engine. The expected
# warnings are the golden file expected.err (the lines as printed).
#
# Usage: lcores_test.sh EQUERY_RUN   (root for DPDK's EAL; 77 = skipped)
set -euo pipefail
RUN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the DPDK engine needs root"
    exit 77
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TMPDIR="$WORK" # (a bundle compiled, EAL's runtime files)
PROG="$REPO/examples/syn_flood.eq"
TRACE="$REPO/examples/traces/loss_chain.pcap"
"$RUN" "$PROG" --pcap "$TRACE" --format csv -o "$WORK/portable.csv" 2>"$WORK/portable.err"

fail=0
# run NAME CPUS ARGS...: the rows must be the portable engine's; the
# warning lines go to $WORK/got.err, prefixed with NAME
run() {
    local name=$1 cpus=$2
    shift 2
    if ! taskset -c "$cpus" timeout 120 "$RUN" "$PROG" --engine=dpdk "$@" --pcap "$TRACE" --format csv \
        -o "$WORK/$name.csv" 2>"$WORK/$name.err"; then
        echo "FAIL $name: exit status $?"; cat "$WORK/$name.err"; fail=1; return
    fi
    if ! cmp -s "$WORK/portable.csv" "$WORK/$name.csv"; then
        echo "FAIL $name: rows differ from the portable engine's"; fail=1
    fi
    grep 'warning: DPDK' "$WORK/$name.err" | sed "s/^/$name: /" >>"$WORK/got.err" || true
    echo "ok $name"
}
: >"$WORK/got.err"
run one-cpu-1-worker 0 --workers 1
run one-cpu-default 0
want="$HERE/expected.err"
if [ "$(nproc)" -ge 2 ] && taskset -c 0,1 true 2>/dev/null; then
    run two-cpus-2-workers 0,1 --workers 2
    run two-cpus-1-worker 0,1 --workers 1
    run two-cpus-default 0,1
else
    echo "(one CPU only: the two-CPU cases are not run)"
    want="$WORK/want.err"
    grep -v '^two-cpus' "$HERE/expected.err" >"$want"
fi
if ! diff -u "$want" "$WORK/got.err"; then
    echo "FAIL: the warnings differ from $HERE/expected.err"
    fail=1
fi
[ "$fail" = 0 ] && echo "lcores: all ok"
exit "$fail"
