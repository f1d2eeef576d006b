#!/usr/bin/env bash
# run_test.sh - one KOMon measurement, like the original's run_test.sh
# (docs/komon.md): the example VNF in one network namespace, the traffic
# generator in another (a veth pair between them, addresses 198.18.0.1/30
# and 198.18.0.2/30 that exist only inside those namespaces), the KOMon
# probe loaded for the VNF's port, and the probe's intervals driven with
# equery-komon. Writes KERNEL_*, VNF_* and BUFFER_* files in the original's
# formats (plus QUEUE_*: the per-sample receive-queue fill the probe saw;
# STATUS_*: the probe's counters; INFLIGHT_*: sampled packets never seen
# leaving; LOST_*: how many of those the VNF received at all; GEN_*: the
# generator's rates; SNMP_*: the VNF namespace's UDP counters).
#
# Usage: scripts/komon/run_test.sh INTERVALS PACKETS SLEEP LOAD_PPS SIZE DELAY_US [DIST [REPETITION]]
# Environment:
#   KOMON_OUT       result folder (default: komon-results)
#   KOMON_BUILD     build folder with komon/equery-komon, komon-vnf, komon-gen (default: build)
#   KOMON_PORT      the VNF's UDP port (default: 1234)
#   KOMON_EXP_MEAN  mean of the exponential pause added to SLEEP (default: 0.1 s, as the original)
#   KOMON_PROBE     0: run without the probe (VNF and generator only; for overhead runs)
#   KOMON_VNF_ARGS  more options for komon-vnf (e.g. --poll)
#   KOMON_VNF_RT    N: run the VNF with real-time priority N (chrt -f N), so that
#                   other work on the machine does not preempt it
#   KOMON_PIN       1 (the default with 2 or more CPUs): the VNF on CPU 1, the
#                   generator on CPU 0 (taskset); 0: wherever the scheduler puts
#                   them. Sharing a CPU ruins the measurement (docs/komon.md)
#   KOMON_DURATION  seconds of traffic when KOMON_PROBE=0 (default 5)
#   KOMON_TIMEOUT_MS  how long an interval may wait for its samples (default 500)
# Needs root (namespaces, the probe).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if [ $# -lt 6 ]; then
    sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
intervals=$1 packets=$2 sleep_s=$3 load=$4 size=$5 delay=$6 dist=${7:-0} rep=${8:-1}
out=${KOMON_OUT:-komon-results}
build=${KOMON_BUILD:-$repo/build}
port=${KOMON_PORT:-1234}
exp_mean=${KOMON_EXP_MEAN:-0.1}
probe=${KOMON_PROBE:-1}
case "$build" in /*) ;; *) build="$repo/$build" ;; esac
komon="$build/komon/equery-komon" vnf="$build/komon/komon-vnf" gen="$build/komon/komon-gen"

if [ "$(id -u)" -ne 0 ]; then
    echo "run_test.sh: needs root (network namespaces and the KOMon probe)" >&2
    exit 77
fi
for b in "$vnf" "$gen"; do
    [ -x "$b" ] || { echo "run_test.sh: $b is missing: build first (bash scripts/build.sh)" >&2; exit 2; }
done
if [ "$probe" = 1 ] && [ ! -x "$komon" ]; then
    echo "run_test.sh: $komon is missing (built only with libbpf, bpftool, clang and kernel BTF)" >&2
    exit 2
fi

mkdir -p "$out"
tag=$$
ns_vnf="komon-vnf-$tag" ns_gen="komon-gen-$tag"
tmp=$(mktemp -d)
vnf_pid="" gen_pid="" loaded=0

cleanup() {
    set +e
    [ -n "$gen_pid" ] && kill "$gen_pid" 2>/dev/null && wait "$gen_pid" 2>/dev/null
    [ -n "$vnf_pid" ] && kill "$vnf_pid" 2>/dev/null && wait "$vnf_pid" 2>/dev/null
    [ "$loaded" = 1 ] && "$komon" unload --port "$port" >/dev/null 2>&1
    ip netns del "$ns_vnf" 2>/dev/null
    ip netns del "$ns_gen" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns_vnf"
ip netns add "$ns_gen"
ip link add "kv$tag" type veth peer name "kg$tag"
ip link set "kv$tag" netns "$ns_vnf"
ip link set "kg$tag" netns "$ns_gen"
ip -n "$ns_vnf" addr add 198.18.0.2/30 dev "kv$tag"
ip -n "$ns_gen" addr add 198.18.0.1/30 dev "kg$tag"
for ns in "$ns_vnf" "$ns_gen"; do ip -n "$ns" link set lo up; done
ip -n "$ns_vnf" link set "kv$tag" up
ip -n "$ns_gen" link set "kg$tag" up

# The VNF and the generator (with the softirq that carries its packets
# into the VNF's namespace) on different CPUs: on one CPU the VNF waits for
# the generator's time slice and the kernel times grow by milliseconds
# (docs/komon.md, "Setups"). The default when there are two CPUs or more.
pin_vnf=() pin_gen=()
if [ "${KOMON_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    pin_vnf=(taskset -c 1) pin_gen=(taskset -c 0)
elif [ "${KOMON_PIN:-1}" = 1 ]; then
    echo "run_test.sh: note: not pinned ($(nproc) CPU, or no taskset): the VNF and the generator share a CPU" >&2
fi

if [ "$probe" = 1 ]; then
    cb=$packets; [ "$cb" -lt 16 ] && cb=16
    "$komon" load --port "$port" --cbsize "$cb" >/dev/null
    loaded=1
fi
if [ -n "${KOMON_VNF_RT:-}" ]; then pin_vnf+=(chrt -f "$KOMON_VNF_RT"); fi
ip netns exec "$ns_vnf" "${pin_vnf[@]}" "$vnf" --port "$port" --delay "$delay" --dist "$dist" \
    --log "$tmp/vnf.log" ${KOMON_VNF_ARGS:-} 2>"$tmp/vnf.err" &
vnf_pid=$!
sleep 0.2
ip netns exec "$ns_gen" "${pin_gen[@]}" "$gen" --dst 198.18.0.2 --port "$port" --pps "$load" --size "$size" \
    >"$tmp/gen.out" 2>&1 &
gen_pid=$!
sleep 0.5   # warm up: ARP, caches, a steady queue

name="${load}pps_${size}byte_${sleep_s}_${delay}_${intervals}_${packets}_${rep}"
if [ "$probe" = 1 ]; then
    # BUFFER_: /proc/net/udp as the VNF's namespace shows it (through the
    # VNF's pid: `ip netns exec` would hide the pins under /sys/fs/bpf)
    "$komon" intervals --udp-of "$vnf_pid" --port "$port" --count "$intervals" --samplesize "$packets" \
        --sleep "$sleep_s" --exp-mean "$exp_mean" --timeout-ms "${KOMON_TIMEOUT_MS:-500}" \
        --out "$tmp/kernel.raw" --buffer "$tmp/buffer.raw" --port "$port"
    "$komon" status --port "$port" >"$out/STATUS_$name.log"
    "$komon" inflight --port "$port" >"$out/INFLIGHT_$name.log"
else
    sleep "${KOMON_DURATION:-5}"
fi
kill "$gen_pid"; wait "$gen_pid" || true; gen_pid=""
cat "$tmp/gen.out" >"$out/GEN_$name.log"
# the VNF namespace's UDP counters: RcvbufErrors are datagrams dropped at
# the full socket buffer (a sampled one among them is never matched)
ip netns exec "$ns_vnf" cat /proc/net/snmp | grep '^Udp:' >"$out/SNMP_$name.log"
kill "$vnf_pid"; wait "$vnf_pid" || true; vnf_pid=""
if [ "$probe" = 1 ]; then
    python3 "$here/komon_results.py" join --kernel "$tmp/kernel.raw" --vnf "$tmp/vnf.log" \
        --buffer "$tmp/buffer.raw" --inflight "$out/INFLIGHT_$name.log" --out "$out" --intervals "$intervals" --packets "$packets" \
        --sleep "$sleep_s" --load "$load" --size "$size" --delay "$delay" --rep "$rep"
fi
echo "run_test.sh: $name done ($(cat "$out/GEN_$name.log"))"
