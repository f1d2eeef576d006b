#!/usr/bin/env bash
# overhead.sh - the VNF's maximum throughput with and without the KOMon
# probe (docs/komon.md). The generator sends as fast as it can for
# DURATION seconds; the VNF's throughput is the rate of replies the
# generator gets back. Runs cycle through three modes, REPS times:
#   0  no probe
#   1  probe attached, no interval (every packet is parsed and filtered)
#   2  probe attached and sampling: intervals of SAMPLES packets, 10 ms apart
# The VNF and the generator are pinned to CPUs 1 and 0 (KOMON_PIN=0: not).
# Prints one line per run, then the median replies/s per mode. With the
# probe attached it also reports the probe's own cost per packet from the
# kernel's BPF statistics (kernel.bpf_stats_enabled, on during the runs):
# run_time_ns / run_cnt of komon_ingress and komon_egress.
#
# Usage: scripts/komon/overhead.sh [REPS [DURATION [SAMPLES]]]   (root)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
reps=${1:-5} duration=${2:-5} samples=${3:-100}
build=${KOMON_BUILD:-$repo/build}
komon="$build/komon/equery-komon" vnf="$build/komon/komon-vnf" gen="$build/komon/komon-gen"
port=${KOMON_PORT:-1234}
[ "$(id -u)" -eq 0 ] || { echo "overhead.sh: needs root" >&2; exit 77; }

tag=$$ ns_vnf="komon-ovnf-$$" ns_gen="komon-ogen-$$"
pids=() loaded=0
cleanup() {
    set +e
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ "$loaded" = 1 ] && "$komon" unload --port "$port" >/dev/null 2>&1
    ip netns del "$ns_vnf" 2>/dev/null; ip netns del "$ns_gen" 2>/dev/null
}
trap cleanup EXIT
ip netns add "$ns_vnf"; ip netns add "$ns_gen"
ip link add "ov$tag" type veth peer name "og$tag"
ip link set "ov$tag" netns "$ns_vnf"; ip link set "og$tag" netns "$ns_gen"
ip -n "$ns_vnf" addr add 198.18.0.2/30 dev "ov$tag"; ip -n "$ns_gen" addr add 198.18.0.1/30 dev "og$tag"
for ns in "$ns_vnf" "$ns_gen"; do ip -n "$ns" link set lo up; done
ip -n "$ns_vnf" link set "ov$tag" up; ip -n "$ns_gen" link set "og$tag" up

pin_vnf=() pin_gen=()
if [ "${KOMON_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ]; then pin_vnf=(taskset -c 1) pin_gen=(taskset -c 0); fi
ip netns exec "$ns_vnf" "${pin_vnf[@]}" "$vnf" --port "$port" 2>/dev/null &
pids+=("$!")
sleep 0.3

rate() { sed -nE 's/.*received [0-9]+ \(([0-9]+) pps\).*/\1/p'; }
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
trap 'cleanup; sysctl -qw kernel.bpf_stats_enabled=$stats_was' EXIT
# "name ns_per_run runs" for our two programs
prog_cost() {
    bpftool prog show | awk '
        /^[0-9]+: tracing +name komon_(ingress|egress)/ {
            name = $4
            for (i = 1; i <= NF; i++) {
                if ($i == "run_time_ns") t = $(i + 1)
                if ($i == "run_cnt") c = $(i + 1)
            }
            if (c > 0) printf " %s %.0f ns x %d", name, t / c, c
        }'
}
results=$(mktemp)
echo "run;mode;replies_pps;probe counters;probe cost per run"
for r in $(seq 1 "$reps"); do
    for mode in 0 1 2; do
        ipid=""
        if [ "$mode" -ge 1 ]; then
            "$komon" load --port "$port" --cbsize "$samples" >/dev/null; loaded=1
        fi
        if [ "$mode" = 2 ]; then
            "$komon" intervals --port "$port" --count 100000000 --samplesize "$samples" --sleep 0.01 \
                --timeout-ms 100 >/dev/null 2>&1 &
            ipid=$!
        fi
        pps=$(ip netns exec "$ns_gen" "${pin_gen[@]}" "$gen" --dst 198.18.0.2 --port "$port" --pps 0 \
              --duration "$duration" | rate)
        extra=""
        if [ "$mode" -ge 1 ]; then
            extra=$("$komon" status --port "$port" | awk '$1 == "tagged" || $1 == "matched" { printf " %s %s", $1, $2 }')
            extra="$extra;$(prog_cost)"
        fi
        if [ -n "$ipid" ]; then kill "$ipid"; wait "$ipid" || true; fi
        if [ "$mode" -ge 1 ]; then "$komon" unload --port "$port"; loaded=0; fi
        echo "$r;$mode;$pps${extra:+;$extra}"
        echo "$mode $pps" >>"$results"
    done
done
for mode in 0 1 2; do
    awk -v m="$mode" '$1 == m { print $2 }' "$results" | sort -n |
        awk -v m="$mode" '{ a[NR] = $1 } END { printf "mode %s: median %d replies/s over %d runs (min %d, max %d)\n", m, (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), NR, a[1], a[NR] }'
done
rm -f "$results"
