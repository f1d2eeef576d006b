#!/usr/bin/env bash
# ebpf_trigger_latency.sh - how long after a window close fires an event
# the triggered query, measured in the kernel, sees its first packet
# (docs/ebpf.md, "Triggers"). A benchmark, not a test: prints a table.
#
# Two namespaces joined by a veth pair (made here, removed on exit); B
# sends UDP to A at RATE packets per second; equery-run --xdp in A runs
#   q1 (Every 100ms) -> e1 (q1 saw a packet) -> q2 (When e1, in the kernel)
# and reports, for q2's first window, the time from arming q2 (right after
# the close that fired e1) to the first packet q2 measured. That includes
# the wait for the next packet: 1/RATE on average.
#
# Usage: bench/ebpf_trigger_latency.sh [EQUERY_RUN] [RATE] [RUNS]
set -euo pipefail
RUN=${1:-build/equery-run}
RATE=${2:-20000}
RUNS=${3:-5}
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
RUN=$(readlink -f "$RUN")
. "$(dirname "$0")/../tests/lib/netns.sh"
A=eqla$$
B=eqlb$$
WORK=$(mktemp -d)
cleanup() {
    netns_remove "$A" "$B"
    rm -rf "$WORK"
}
trap cleanup EXIT
netns_pair "$A" "$B" va vb 10.78.0.1/24 10.78.0.2/24
cat >"$WORK/trig.eq" <<'EOQ'
query q1 = Select(COUNT(*) AS packets) Where(dport == 9999) Every(100ms);
event e1 = q1.packets > 0;
query q2 = Select(COUNT(*) AS packets) Where(dport == 9999) When(e1) Within(1s) Every(1s);
EOQ
lat=()
for i in $(seq 1 "$RUNS"); do
    ip netns exec "$B" python3 - "$RATE" <<'EOP' &
import socket, sys, time
rate = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
gap, t, end = 1.0 / rate, time.perf_counter(), time.perf_counter() + 1.5
while t < end:
    s.sendto(b"x" * 64, ("10.78.0.1", 9999))
    t += gap
    while time.perf_counter() < t:
        pass
EOP
    SENDER=$!
    ip netns exec "$A" timeout -s INT 1.2 "$RUN" "$WORK/trig.eq" --xdp va --xdp-mode generic --format json \
        --no-progress -o /dev/null 2>"$WORK/err" || true
    wait "$SENDER" || true
    v=$(grep -o 'query q2: first packet measured [0-9.]* us' "$WORK/err" | head -1 | grep -o '[0-9.]* us' | cut -d' ' -f1 || true)
    [ -n "$v" ] && lat+=("$v")
done
printf '| rate (pps) | runs | trigger latency per run (us) | median (us) |\n|---|---|---|---|\n'
sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
med=$(echo "$sorted" | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}')
printf '| %s | %s | %s | %s |\n' "$RATE" "${#lat[@]}" "$(echo "$sorted" | tr '\n' ' ')" "$med"
