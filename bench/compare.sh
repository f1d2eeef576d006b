#!/usr/bin/env bash
# Two builds side by side in one run (not a test: CI does not run it), for
# a change that must not make the engine slower (docs/performance.md).
#
#   bash bench/compare.sh OLD_BUILD NEW_BUILD
#
# OLD_BUILD and NEW_BUILD are build folders (scripts/build.sh), for example
# one of an older commit made with `git worktree add /tmp/old COMMIT` and
# `bash scripts/build.sh /tmp/old/build` there. For each program of
# bench/run.sh and each bench trace it runs both builds' equery-bench in
# turn, ROUNDS times, then (when both have it) their equery-dpdk-bench
# with one worker lcore in the same way, then both builds' equery-run over
# the whole file in turn, and prints the best of each with the ratio new/old (a ratio above 1
# is the new build faster). Taking turns spreads the machine's noise (other
# tasks, steal time) over both builds alike.
#
# Environment: ROUNDS (5), REPEAT (10: equery-bench's replays).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -ne 2 ]; then
    echo "usage: bash bench/compare.sh OLD_BUILD NEW_BUILD" >&2
    exit 2
fi
old="$(cd "$1" && pwd)" new="$(cd "$2" && pwd)"
for b in "$old" "$new"; do
    for tool in equery-bench equery-run; do
        [ -x "$b/$tool" ] || { echo "compare.sh: $b/$tool is missing (build it with scripts/build.sh)" >&2; exit 1; }
    done
done
cd "$repo"
traces="$new/bench-traces"
[ -f "$traces/small64.pcap" ] || python3 bench/gen_bench.py "$traces" >/dev/null
ROUNDS="${ROUNDS:-5}" REPEAT="${REPEAT:-10}"

programs=("filter-and-count:bench/filter_count.eq" "5-tuple Groupby, 100k groups:bench/groupby_5tuple.eq"
          "loss chain:examples/loss_root_cause.eq")

max() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a > b) ? a : b }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(uname -r); ROUNDS=$ROUNDS REPEAT=$REPEAT"
echo "old: $old"
echo "new: $new"
# A table of the best Mpps of both builds' TOOL (ARGS, --repeat, a program,
# a trace; the Mpps is its output's word FIELD) for every program and trace.
mpps_table() { # TITLE FIELD TOOL [ARGS...]
    local title="$1" field="$2" tool="$3"
    shift 3
    echo
    echo "| $title | trace | old Mpps (best) | new Mpps (best) | new/old |"
    echo "|---|---|---:|---:|---:|"
    for entry in "${programs[@]}"; do
        name="${entry%%:*}" prog="${entry#*:}"
        for t in small64 mixed; do
            bo="" bn=""
            for _ in $(seq "$ROUNDS"); do
                bo=$(max "$("$old/$tool" "$@" --repeat "$REPEAT" "$prog" "$traces/$t.pcap" | awk -v f="$field" '{print $f}')" "$bo")
                bn=$(max "$("$new/$tool" "$@" --repeat "$REPEAT" "$prog" "$traces/$t.pcap" | awk -v f="$field" '{print $f}')" "$bn")
            done
            printf "| %s | %s | %.2f | %.2f | %.2f |\n" "$name" "$t" "$bo" "$bn" "$(echo "$bn / $bo" | bc -l)"
        done
    done
}
mpps_table query 5 equery-bench
# the DPDK engine's worker on one lcore, when both builds have it (DPDK
# found at build time)
if [ -x "$old/equery-dpdk-bench" ] && [ -x "$new/equery-dpdk-bench" ]; then
    mpps_table "DPDK worker, one core: query" 7 equery-dpdk-bench --workers 1
fi

wall() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
echo
echo "| whole process over mixed.pcap | old s (best) | new s (best) | old/new |"
echo "|---|---:|---:|---:|"
for entry in "${programs[@]}"; do
    name="${entry%%:*}" prog="${entry#*:}"
    for b in "$old" "$new"; do # warm each build's cache
        "$b/equery-run" "$prog" --pcap "$traces/mixed.pcap" --format json -o /dev/null --quiet >/dev/null 2>&1
    done
    bo="" bn=""
    for _ in $(seq "$ROUNDS"); do
        bo=$(min "$(wall "$old/equery-run" "$prog" --pcap "$traces/mixed.pcap" --format json -o /dev/null --quiet)" "$bo")
        bn=$(min "$(wall "$new/equery-run" "$prog" --pcap "$traces/mixed.pcap" --format json -o /dev/null --quiet)" "$bn")
    done
    printf "| equery-run, %s | %.3f | %.3f | %.2f |\n" "$name" "$bo" "$bn" "$(echo "$bo / $bn" | bc -l)"
done
