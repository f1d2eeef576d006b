#!/usr/bin/env bash
# The cost of each output of equery-run, in records per second: CSV, JSON,
# IPFIX over UDP to a real nfcapd on loopback, IPFIX to a file, next to a
# run that prints nothing (--format none), the same program over the same
# capture (bench/export_flows.eq over bench/gen_bench.py's mixed.pcap:
# 500,000 frames of 100,000 flows over 50 ms, 1 ms windows: about 450,000
# records).
#
# Usage: bench/export_bench.sh [BUILD_DIR]      (default: build)
#   REPEAT=N   runs of each output; the least wall and CPU times are kept (default 5)
#
# Per output: wall time and CPU time (user + system) of the equery-run
# process, records per second over the whole run (wall), and the output's
# own cost: its CPU time over that of --format none (CPU time, because the
# machine may be shared), the records per second that makes, and that cost
# as a ratio to CSV's. nfcapd's own CPU is not in
# equery-run's; what it received is checked (nfdump -I: flows, sequence
# failures). nfcapd runs on 127.0.0.1 and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
REPEAT="${REPEAT:-5}"
traces="$build/bench-traces"
[ -f "$traces/mixed.pcap" ] || python3 bench/gen_bench.py "$traces"
work=$(mktemp -d /tmp/eq-export-bench.XXXXXX)
nfpid=""
cleanup() {
    if [ -n "$nfpid" ] && kill -0 "$nfpid" 2>/dev/null; then
        kill "$nfpid"
        wait "$nfpid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$work/nf"
nfcapd -b 127.0.0.1 -p "$port" -w "$work/nf" -B 33554432 >"$work/nfcapd.log" 2>&1 &
nfpid=$!
sleep 1

python3 - "$build/equery-run" bench/export_flows.eq "$traces/mixed.pcap" "$REPEAT" "$port" "$work" <<'PY'
import os, resource, subprocess, sys, time
run, prog, cap, repeat, port, work = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
outputs = [
    ("none (--format none)", ["--format", "none"]),
    ("CSV to a file", ["--format", "csv", "-o", os.path.join(work, "rows.csv")]),
    ("JSON to a file", ["--format", "json", "-o", os.path.join(work, "rows.json")]),
    ("IPFIX over UDP to nfcapd", ["--format", "none", "--ipfix", "127.0.0.1:" + port]),
    ("IPFIX file", ["--format", "none", "--ipfix-file", os.path.join(work, "flows.ipfix")]),
]
# records: the rows of one CSV run
subprocess.run([run, prog, "--pcap", cap, "--format", "csv", "--quiet", "-o", os.path.join(work, "count.csv")], check=True)
records = sum(1 for l in open(os.path.join(work, "count.csv")) if l.startswith("row,"))
subprocess.run([run, prog, "--pcap", cap, "--format", "none", "--quiet"], check=True)  # (build cache warm)
best = {}
# round robin over the outputs, so that a busy moment of the machine does
# not fall on one output's runs only
for _ in range(repeat):
    for name, args in outputs:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([run, prog, "--pcap", cap, "--quiet"] + args, check=True)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        # the least wall time and the least CPU time over the runs
        w0, c0 = best.get(name, (wall, cpu))
        best[name] = (min(w0, wall), min(c0, cpu))
base = best[outputs[0][0]][1]
csv_cost = best["CSV to a file"][1] - base
print("records per run: %d (best of %d runs each; load average before: %s)" % (
    records, repeat, open("/proc/loadavg").read().split()[0]))
print()
print("| output | wall s | CPU s | records/s (whole run) | output's CPU s | output records/s | cost vs CSV |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, _ in outputs:
    wall, cpu = best[name]
    cost = cpu - base
    if name.startswith("none"):
        print("| %s | %.3f | %.3f | %.0f | 0 | - | - |" % (name, wall, cpu, records / wall))
    else:
        print("| %s | %.3f | %.3f | %.0f | %.3f | %s | %s |" % (
            name, wall, cpu, records / wall, cost, "%.0f" % (records / cost) if cost > 0 else "-",
            "%.2fx" % (cost / csv_cost) if csv_cost > 0 else "-"))
PY

sleep 1
kill "$nfpid"
wait "$nfpid" 2>/dev/null || true
nfpid=""
received=$(nfdump -R "$work/nf" -I 2>/dev/null | awk -F': ' '/^Flows:/ {f+=$2} /^Sequence failures:/ {s+=$2} END {print f+0, s+0}')
echo
echo "nfcapd received: ${received% *} flows over all runs, sequence failures ${received#* } (each run is an exporter restarting at 0: one failure per run after the first is expected)"
