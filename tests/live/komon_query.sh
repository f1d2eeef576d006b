#!/usr/bin/env bash
# komon_query.sh - an EQuery program over KOMon samples, end to end
# (docs/komon.md): the example VNF (a UDP mirror with a constant 300 us
# busy-wait delay) in one network namespace, the traffic generator in
# another (a veth pair made here, removed on exit), and
#   equery-run PROGRAM        (no input: it loads the KOMon probe)
# in the root namespace, the VNF and the generator on different CPUs
# (docs/komon.md). Checks, from the JSON rows and the probe's counts: the
# probe saw every datagram sent; every one it matched is a sample or one
# discarded because it was inside the VNF when its interval ended; every
# one it tagged and never saw leave was dropped at the VNF's socket; no
# processing time is under the VNF's 300 us delay; the event on the mean fires and starts the
# drill-down query, which measures samples too; the probe is detached at
# the end. And packet by packet (EQUERY_KOMON_SAMPLES, the raw samples
# equery-run fed, against the VNF's and the generator's --log records;
# scripts/komon/komon_results.py check): every sample is a packet both
# saw, entered the stack after it was sent and before the VNF read it,
# left inside the VNF's sendto, and took at least the VNF's own time on it
# and on the datagrams the probe saw queued ahead of it. No timing bound:
# the machine's noise cannot make it pass or fail. The machine is left as
# found (tests/lib/machine.sh): /sys/fs/bpf unmounted again if equery-run
# mounted it, the namespaces gone.
#
# Usage: komon_query.sh EQUERY_RUN KOMON_VNF KOMON_GEN     (root; 77 = skipped)
set -euo pipefail
RUN=$1
VNF=$2
GEN=$3
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/machine.sh"
RESULTS="$(cd "$(dirname "$0")/../.." && pwd)/scripts/komon/komon_results.py"
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the KOMon probe needs root"
    exit 77
fi
PORT=$((42000 + $$ % 1000))
V=eqkv$$
G=eqkg$$
WORK=$(mktemp -d)
PIDS=()
machine_save_bpffs
cleanup() {
    local rc=$? left=0
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    netns_remove "$V" "$G"
    rm -rf "$WORK"
    machine_check_netns "$V" "$G" || left=1
    machine_restore_bpffs || left=1
    if [ "$rc" -eq 0 ] && [ "$left" -ne 0 ]; then
        echo "FAIL: the machine was not left as found"
        exit 1
    fi
}
trap cleanup EXIT
# the VNF and the generator (and its softirq) on different CPUs
PIN_VNF=() PIN_GEN=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    PIN_VNF=(taskset -c 1) PIN_GEN=(taskset -c 0)
fi
netns_pair "$V" "$G" kv0 kg0 198.18.7.2/30 198.18.7.1/30

cat >"$WORK/vnf.eq" <<EOF
query vnf = Select(COUNT(*) AS samples, MIN(proc_time), AVG(proc_time), MAX(sock_buf))
            Where(dport == $PORT) Every(500ms);
event slow = vnf.AVG_proc_time > 200us;
query detail = Select(COUNT(*) AS samples, MAX(proc_time)) Where(dport == $PORT) When(slow) Within(1s) Every(250ms);
EOF

ip netns exec "$V" "${PIN_VNF[@]}" "$VNF" --port "$PORT" --delay 300 --log "$WORK/vnf.log" >/dev/null 2>&1 &
VNFPID=$!
PIDS+=($VNFPID)
EQUERY_KOMON_SAMPLES="$WORK/samples" "$RUN" "$WORK/vnf.eq" --format json -o "$WORK/out.json" 2>"$WORK/err" &
RUNPID=$!
PIDS+=($RUNPID)
for _ in $(seq 1 100); do
    grep -q "probe attached" "$WORK/err" 2>/dev/null && break
    kill -0 "$RUNPID" 2>/dev/null || break
    sleep 0.05
done
if ! grep -q "probe attached" "$WORK/err"; then
    cat "$WORK/err"
    echo "FAIL: equery-run did not attach the KOMon probe"
    exit 1
fi
sent=$(ip netns exec "$G" "${PIN_GEN[@]}" "$GEN" --dst 198.18.7.2 --port "$PORT" --pps 1000 --duration 2 \
    --log "$WORK/gen.log" 2>&1 | tail -1)
echo "$sent"
sleep 0.6
kill -INT "$RUNPID"
rc=0
wait "$RUNPID" || rc=$?
cat "$WORK/err"
[ "$rc" = 0 ] || { echo "FAIL: equery-run exited with $rc"; exit 1; }
kill "$VNFPID"; wait "$VNFPID" || true      # it writes its records at exit
n=$(echo "$sent" | sed -n 's/.*sent \([0-9]*\) in.*/\1/p')
# the probe's counts: "probe saw I packets in, O out, tagged T, matched M,
# discarded at interval ends S". A packet inside the VNF when its interval
# ends is discarded, as the original's stop does; one that arrives between
# two intervals is not tagged; a tagged one dropped at the full socket
# buffer never leaves. None of these depends on timing to be counted.
counts=$(sed -n 's/.*probe saw \([0-9]*\) packets in, [0-9]* out, tagged \([0-9]*\), matched \([0-9]*\), discarded at interval ends \([0-9]*\).*/\1 \2 \3 \4/p' "$WORK/err")
drops=$(ip netns exec "$V" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp)
python3 - "$WORK/out.json" "$n" "${counts:-missing}" "$(grep -vc '^#' "$WORK/samples")" "${drops:-0}" <<'EOF'
import json, sys
rows, starts, events = [], 0, 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["type"] == "row":
        rows.append(r)
    starts += r["type"] == "start"
    events += r["type"] == "event"
sent = int(sys.argv[2])
if sys.argv[3] == "missing":
    print("FAIL: equery-run did not report the probe's counts")
    sys.exit(1)
seen, tagged, matched, stale = map(int, sys.argv[3].split())
drops = int(sys.argv[5])
vnf = [r["values"] for r in rows if r["query"] == "vnf"]
detail = [r["values"] for r in rows if r["query"] == "detail"]
fails = []
total = sum(v["samples"] for v in vnf)
if seen != sent:
    fails.append("the probe saw %d datagrams come in, the generator sent %d" % (seen, sent))
if total + stale != matched:
    fails.append("samples %d + discarded at interval ends %d, but the probe matched %d" % (total, stale, matched))
if tagged - matched > drops:
    fails.append("%d tagged datagrams never left the VNF, and only %d were dropped at its socket"
                 % (tagged - matched, drops))
mins = [v["MIN_proc_time"] for v in vnf if v["MIN_proc_time"] is not None]
avgs = [v["AVG_proc_time"] for v in vnf if v["AVG_proc_time"] is not None]
if not mins or min(mins) < 300000:
    fails.append("a processing time under the VNF's 300 us delay: %s" % mins)
if total != int(sys.argv[4]):
    fails.append("the rows count %d samples, equery-run fed %d" % (total, int(sys.argv[4])))
if events < 1 or starts < 1:
    fails.append("events %d, starts %d (the mean is over 200 us: slow must fire)" % (events, starts))
if sum(v["samples"] for v in detail) < 1:
    fails.append("the drill-down query measured no sample")
if fails:
    print("FAIL: " + "; ".join(fails))
    sys.exit(1)
print("ok: %d sent, all seen by the probe; %d tagged, %d between intervals; %d samples + %d discarded at interval ends = %d matched; "
      "%d dropped at the socket; processing time min %.1f us, means %.1f..%.1f us; %d events, %d starts, "
      "drill-down %d samples" % (sent, tagged, sent - tagged, total, stale, matched, drops, min(mins) / 1e3, min(avgs) / 1e3,
                                 max(avgs) / 1e3, events, starts,
                                 sum(v["samples"] for v in detail)))
EOF
python3 "$RESULTS" check --kernel "$WORK/samples" --vnf "$WORK/vnf.log" --gen "$WORK/gen.log" ||
    { echo "FAIL: the samples do not agree with the VNF's and the generator's records of the same packets"; exit 1; }
echo "ok: every sample matched and accounted for by the VNF's records"
if grep -q "detached" "$WORK/err"; then echo "ok: probe detached"; else echo "FAIL: no 'detached' report"; exit 1; fi
if ls /sys/fs/bpf/equery-komon/"$PORT" >/dev/null 2>&1; then echo "FAIL: pinned state left for port $PORT"; exit 1; fi
echo "komon-query: all passed"
