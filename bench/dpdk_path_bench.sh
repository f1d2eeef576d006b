#!/usr/bin/env bash
# The DPDK engine's distributor and its whole path (issue 16, goal 3; not a
# test: CI does not run it):
#
#   bash bench/dpdk_path_bench.sh BUILD
#
# 1. The distributor on one core: `equery-dpdk-bench --distribute` (see
#    bench/dpdk_bench.c) moves every frame from memory to the worker rings
#    as the main lcore does (windows, INTAKE_DISPATCH, staging, ring
#    enqueues), frame by frame as the engine did and with whole bursts as
#    it does now (--distribute=burst); next to it the workers' own rate
#    (equery-dpdk-bench --workers 1), on the bench traces and echo825k.
# 2. The whole path, equery-run --engine=dpdk with one worker (the main
#    lcore and a worker: 2 lcores), best of ROUNDS:
#    - the short form's pcap vdev on each capture (--pcap FILE: the file
#      read by the vdev and, for the times, once more by the main lcore),
#      Mpps = packets / wall-clock seconds of the whole process;
#    - net_null (64-byte frames of zeros, no file, no copy), live for
#      SECONDS_LIVE, stopped with SIGINT; Mpps from equery-run's summary.
#      (A pcap vdev replaying a file from memory, infinite_rx=1, was tried:
#      equery-run counted most of its frames malformed; not looked into.)
#
# Environment: ROUNDS (3), REPEAT (10: passes of equery-dpdk-bench),
# SECONDS_LIVE (5), TRACES (../shared/traces).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: bash bench/dpdk_path_bench.sh BUILD" >&2; exit 2; }
build="$(cd "$1" && pwd)"
for x in equery-run equery-dpdk-bench; do
    [ -x "$build/$x" ] || { echo "dpdk_path_bench.sh: $build/$x is missing (DPDK found at build time?)" >&2; exit 1; }
done
ROUNDS="${ROUNDS:-3}" REPEAT="${REPEAT:-10}" SECONDS_LIVE="${SECONDS_LIVE:-5}"
cd "$repo"
prog=bench/groupby_5tuple.eq
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export TMPDIR="$tmp"
python3 bench/gen_bench.py "$tmp" >/dev/null
bash bench/echo825k.sh "$tmp" "${TRACES:-$repo/../shared/traces}" >/dev/null
"$build/equery-run" "$prog" --pcap "$tmp/mixed.pcap" --format csv -o "$tmp/warm.csv" 2>/dev/null # the build cache

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(uname -r); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "build: $build; program: $prog; ROUNDS=$ROUNDS REPEAT=$REPEAT"
echo
echo "| capture | packets | distributor, frame by frame: Mpps (1 ring) | (2 rings) | distributor, whole bursts: Mpps (1 ring) | (2 rings) | one worker: Mpps |"
echo "|---|---:|---:|---:|---:|---:|---:|"
mpps() { awk '{ for (i = 1; i < NF; i++) if ($(i + 1) ~ /^Mpps/) { sub(/^\(/, "", $i); print $i; exit } }'; }
for t in small64 mixed echo825k; do
    f="$tmp/$t.pcap"
    pk=$(capinfos -c -M "$f" | sed -n 's/^Number of packets: *//p')
    row="| $t | $pk"
    for mode in --distribute --distribute=burst; do
        for w in 1 2; do
            row+=" | $("$build/equery-dpdk-bench" $mode --workers $w --repeat "$REPEAT" "$prog" "$f" | mpps)"
        done
    done
    row+=" | $("$build/equery-dpdk-bench" --workers 1 --repeat "$REPEAT" "$prog" "$f" | mpps) |"
    echo "$row"
done
echo
echo "| whole path, 1 worker | packets | seconds (best of $ROUNDS) | Mpps |"
echo "|---|---:|---:|---:|"
for t in small64 mixed echo825k; do
    f="$tmp/$t.pcap"
    pk=$(capinfos -c -M "$f" | sed -n 's/^Number of packets: *//p')
    best=""
    for _ in $(seq "$ROUNDS"); do
        s=$( { TIMEFORMAT=%R; time "$build/equery-run" "$prog" --engine=dpdk --workers 1 --pcap "$f" --format csv \
            -o "$tmp/out.csv" 2>/dev/null; } 2>&1 )
        best=$(awk -v a="$s" -v b="$best" 'BEGIN { print (b == "" || a < b) ? a : b }')
    done
    awk -v t="$t" -v pk="$pk" -v s="$best" 'BEGIN { printf "| --pcap %s (pcap vdev, the whole process) | %d | %.3f | %.2f |\n", t, pk, s, pk / s / 1e6 }'
done
live() { # NAME VDEV: Mpps of a live run of SECONDS_LIVE
    local best="" i
    for i in $(seq "$ROUNDS"); do
        timeout -s INT "$SECONDS_LIVE" "$build/equery-run" "$prog" --engine=dpdk --workers 1 \
            --dpdk "--no-huge -m 512 --no-pci --no-shconf --file-prefix=eqpath$$ --log-level=*:error --lcores=0@0,1@1 $2" \
            --format csv -o "$tmp/out.csv" 2>"$tmp/err" || true
        local line m
        line=$(grep -E 'packets, .* bytes in' "$tmp/err" | tail -1) || true
        m=$(mpps <<<"$line")
        [ -n "$m" ] || { echo "dpdk_path_bench.sh: $1: no summary" >&2; cat "$tmp/err" >&2; exit 1; }
        best=$(awk -v a="$m" -v b="$best" 'BEGIN { print (b == "" || a > b) ? a : b }')
    done
    echo "| $1 | live ${SECONDS_LIVE} s | | $best |"
}
live "net_null (64-byte frames of zeros)" "--vdev=net_null0"
echo
echo "(Mpps: millions of frames per second; the distributor's and the worker's from equery-dpdk-bench, each on one core)"
