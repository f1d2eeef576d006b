#!/usr/bin/env bash
# The results path of the boxes (issue 13's figure, issue 16 goal 6;
# docs/boxes.md, docs/performance.md): how many window partials of 100,000
# groups per second the centre (equery-run --box) takes from 3 boxes,
# merges and closes. Not a test: CI does not run it.
#
#   bash bench/box_bench.sh [BUILD_DIR [OLD_BUILD_DIR]]   (N=... runs each, default 3)
#
# With OLD_BUILD_DIR, its equery-run is also run as the centre of the same
# boxes (BUILD_DIR's), in the same rounds, taking turns: a row "old" beside
# the new one, and the merged rows of both must be the same.
#
# Captures (bench/gen_bench.py --windows, in BUILD_DIR/bench-traces): W
# one-second windows, each with one frame of each of 100,000 TCP flows.
# Three equery-box processes on loopback replay the same capture, so every
# box sends a partial of 100,000 groups per window, and every merged
# window has 100,000 groups, each the sum of three. The program is the
# 5-tuple Groupby with Every(1s) (bench/box_windows.eq).
#
# A run's wall and CPU time include fixed costs (deploying, the boxes and
# the centre compiling the program). So the script runs captures of 5 and
# of 15 windows and reports the difference per window: the marginal cost
# of 3 partials of 100,000 groups. Side by side, in the same rounds, a
# local equery-run on the same captures (one copy of the traffic, CSV to
# /dev/null), for scale. A warm-up round first (compiled programs are
# cached), then best of N (turns taken, so the machine's noise
# falls on all alike). The merged rows are checked: each group's packet
# count is 3 times the local one.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build}"
old="${2:-}"
cd "$repo"
if [ -n "$old" ]; then
    [ -x "$old/equery-run" ] || { echo "box_bench.sh: $old/equery-run is missing" >&2; exit 1; }
    old="$(cd "$old" && pwd)"
fi
for t in equery-run equery-box equeryc; do
    [ -x "$build/$t" ] || { echo "box_bench.sh: $build/$t is missing (build it with scripts/build.sh)" >&2; exit 1; }
done
build="$(cd "$build" && pwd)"
traces="$build/bench-traces"
for w in 5 15; do
    [ -f "$traces/windows$w.pcap" ] || python3 bench/gen_bench.py --windows "$w" "$traces"
done
N="${N:-3}"
work=$(mktemp -d "$build/box-bench.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# box CAPTURE LOG: starts a box on a free loopback port, adds --box HOST:PORT to boxes
box() {
    "$build/equery-box" --listen 127.0.0.1:0 --pcap "$1" >/dev/null 2>"$2" &
    pids+=($!)
    for _ in $(seq 200); do
        port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$2" | head -n 1)
        [ -n "$port" ] && { boxes+=(--box "127.0.0.1:$port"); return; }
        sleep 0.05
    done
    echo "box_bench.sh: the box did not start: $(cat "$2")" >&2
    exit 1
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) vCPUs; $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg); best of $N"
echo
declare -A wall cpu
for w in 5 15; do
    boxes=()
    for i in 1 2 3; do
        box "$traces/windows$w.pcap" "$work/box$w-$i.log"
    done
    read -r wall[box$w] cpu[box$w] wall[local$w] cpu[local$w] wall[old$w] cpu[old$w] <<<"$(python3 - "$N" "$work" "$w" "$build" "$old" "${boxes[@]}" <<'PY'
import csv, io, resource, subprocess, sys, time
n, work, w, build, old, boxes = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
prog = "bench/box_windows.eq"
pcap = "%s/bench-traces/windows%s.pcap" % (build, w)
cmds = {"box": [build + "/equery-run", "--format", "csv", "--quiet"] + boxes + [prog],
        "local": [build + "/equery-run", "--format", "csv", "--quiet", "--pcap", pcap, prog]}
if old:
    cmds["old"] = [old + "/equery-run", "--format", "csv", "--quiet"] + boxes + [prog]
best = {}
out = {}
for rnd in range(n + 1):  # round 0 warms up (the compiled program's cache, the page cache)
    for k, cmd in cmds.items():
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wall = time.monotonic() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode != 0:
            sys.exit("box_bench.sh: %s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr.decode()[-2000:]))
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        if rnd and (k not in best or wall < best[k][0]):
            best[k] = (wall, cpu)
        out[k] = r.stdout
def table(text):
    lines = list(csv.reader(io.StringIO(text.decode())))
    head = next(l for l in lines if l[0] == "header")
    return [dict(zip(head, l)) for l in lines if l[0] == "row"]
rows = {k: table(v) for k, v in out.items()}
groups = int(w) * 100000
if len(rows["box"]) != groups or len(rows["local"]) != groups:
    sys.exit("box_bench.sh: %d and %d rows, not %d" % (len(rows["box"]), len(rows["local"]), groups))
for b, l in zip(rows["box"], rows["local"]):
    pk = lambda r: int(r["spkts"]) + int(r["dpkts"])
    if pk(b) != 3 * pk(l) or int(b["bytes"]) != 3 * int(l["bytes"]):
        sys.exit("box_bench.sh: merged row %s is not 3 times the local %s" % (b, l))
if old and out["old"] != out["box"]:
    sys.exit("box_bench.sh: the old centre's rows differ from the new one's")
print("%.4f %.4f %.4f %.4f %s" % (best["box"] + best["local"] + ("%.4f %.4f" % best["old"] if old else "- -",)))
PY
)"
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
done

echo "| run | 5 windows: wall s | CPU s | 15 windows: wall s | CPU s | per window: wall ms | CPU ms | 100k-group partials (local: windows) per s of wall | per CPU s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for k in box $([ -n "$old" ] && echo old) local; do
    awk -v k="$k" -v w5="${wall[${k}5]}" -v c5="${cpu[${k}5]}" -v w15="${wall[${k}15]}" -v c15="${cpu[${k}15]}" 'BEGIN {
        dw = (w15 - w5) / 10; dc = (c15 - c5) / 10
        name = k == "box" ? "equery-run --box x3 (centre; CPU: the centre only)" : k == "old" ? "the same, OLD_BUILD_DIR'"'"'s equery-run" : "equery-run --pcap (local, one copy)"
        parts = k == "local" ? 1 : 3
        printf "| %s | %.3f | %.3f | %.3f | %.3f | %.1f | %.1f | %.1f | %.1f |\n",
               name, w5, c5, w15, c15, dw * 1000, dc * 1000, parts / dw, parts / dc }'
done
