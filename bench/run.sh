#!/usr/bin/env bash
# The benchmark table of docs/performance.md (not a test: CI does not run it).
#
#   bash bench/run.sh [BUILD_DIR]       (default: build; builds it if needed)
#
# 1. equery-bench: packets per second on one core (pinned to CPU 0), the
#    capture loaded into memory first, replayed REPEAT times: header parsing,
#    the TCP sequence tracker when needed, and the generated code.
# 2. Whole processes on the capture file, timed from outside: equery-run
#    (reading the file with libpcap, JSON results to /dev/null) and argus
#    (`argus -r FILE -w /dev/null`), for a like-for-like comparison with the
#    tool operators use today.
# Traces: bench/gen_bench.py (64-byte frames and a 64/576/1500 mix, 100,000
# bidirectional TCP flows, 500,000 frames each).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build}"
cd "$repo"
[ -x "$build/equery-bench" ] || bash scripts/build.sh "$build" >/dev/null
traces="$build/bench-traces"
[ -f "$traces/small64.pcap" ] || python3 bench/gen_bench.py "$traces"
REPEAT="${REPEAT:-10}"

programs=("filter-and-count:bench/filter_count.eq" "5-tuple Groupby, 100k groups:bench/groupby_5tuple.eq"
          "loss chain (examples/loss_root_cause.eq):examples/loss_root_cause.eq")

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(uname -r)"
echo
echo "| query | trace | packets | Mpps (one core) | ns/packet |"
echo "|---|---|---:|---:|---:|"
for entry in "${programs[@]}"; do
    name="${entry%%:*}" prog="${entry#*:}"
    for t in small64 mixed; do
        line=$("$build/equery-bench" --repeat "$REPEAT" "$prog" "$traces/$t.pcap")
        pkts=$(awk '{print $1}' <<<"$line")
        mpps=$(awk '{print $5}' <<<"$line")
        ns=$(awk '{print $7}' <<<"$line")
        echo "| $name | $t | $pkts | $mpps | $ns |"
    done
done

# whole processes over the file: best of 3 wall-clock runs
wall() {
    local best=""
    for _ in 1 2 3; do
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        t1=$(date +%s.%N)
        local d
        d=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$d < $best" | bc -l)" = 1 ]; then best=$d; fi
    done
    echo "$best"
}
echo
echo "| whole process over mixed.pcap (500,000 frames) | seconds (best of 3) | Mpps | vs argus |"
echo "|---|---:|---:|---:|"
pk=500000
if command -v argus >/dev/null; then
    ta=$(wall argus -r "$traces/mixed.pcap" -w /dev/null)
else
    ta=""
fi
for entry in "${programs[@]}"; do
    name="${entry%%:*}" prog="${entry#*:}"
    "$build/equery-run" "$prog" --pcap "$traces/mixed.pcap" --format json -o /dev/null --quiet >/dev/null 2>&1 # warm the build cache
    t=$(wall "$build/equery-run" "$prog" --pcap "$traces/mixed.pcap" --format json -o /dev/null --quiet)
    ratio="-"
    [ -n "$ta" ] && ratio=$(printf "%.1fx faster" "$(echo "$ta / $t" | bc -l)")
    printf "| equery-run, %s | %.3f | %.2f | %s |\n" "$name" "$t" "$(echo "$pk / $t / 1000000" | bc -l)" "$ratio"
done
if [ -n "$ta" ]; then
    printf "| argus -r FILE -w /dev/null | %.3f | %.2f | 1x |\n" "$ta" "$(echo "$pk / $ta / 1000000" | bc -l)"
else
    echo "| argus | (not installed: apt-get install argus-server) | | |"
fi

# 3. The DPDK engine's workers on DPDK lcores, packets from memory (no rings,
#    no mbufs: the workers' own work), 1 and 2 workers, and the hand-written
#    filter-and-count (bench/handwritten.c) in place of the generated one.
if [ -x "$build/equery-dpdk-bench" ]; then
    echo
    echo "| DPDK workers: query | trace | workers | Mpps in all | Mpps per worker | ns/packet per worker |"
    echo "|---|---|---:|---:|---:|---:|"
    for entry in "${programs[@]}"; do
        name="${entry%%:*}" prog="${entry#*:}"
        for t in small64 mixed; do
            for w in 1 2; do
                line=$("$build/equery-dpdk-bench" --workers "$w" --repeat "$REPEAT" "$prog" "$traces/$t.pcap")
                echo "| $name | $t | $w | $(awk '{print $7}' <<<"$line") | $(awk '{print $9}' <<<"$line") | $(awk '{print $11}' <<<"$line") |"
            done
        done
    done
    echo
    echo "| filter-and-count, one worker | trace | generated ns/packet | hand-written ns/packet | generated / hand-written |"
    echo "|---|---|---:|---:|---:|"
    for t in small64 mixed; do
        g=$("$build/equery-dpdk-bench" --workers 1 --repeat "$REPEAT" bench/filter_count.eq "$traces/$t.pcap" | awk '{print $11}')
        h=$("$build/equery-dpdk-bench" --handwritten --repeat "$REPEAT" bench/filter_count.eq "$traces/$t.pcap" | awk '{print $11}')
        printf "| filter-and-count | %s | %s | %s | %.2f |\n" "$t" "$g" "$h" "$(echo "$g / $h" | bc -l)"
    done
fi
