#!/usr/bin/env bash
# The cost of the results database (docs/db.md, docs/performance.md): rows
# per second of equery-run writing CSV to /dev/null, against the same run
# with --db FILE added (a new database each time, on the build folder's
# file system), for programs with many rows per window over the bench
# traces (bench/gen_bench.py). Wall and CPU (user + system, both threads)
# time of the whole process, best of N (default 5). The programs are
# compiled into bundles first, so no run compiles.
#
#   bash bench/db_bench.sh [BUILD_DIR]      (N=... for the number of runs)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build}"
cd "$repo"
[ -x "$build/equery-run" ] || bash scripts/build.sh "$build" >/dev/null
traces="$build/bench-traces"
[ -f "$traces/small64.pcap" ] || python3 bench/gen_bench.py "$traces"
N="${N:-5}"
work=$(mktemp -d "$build/db-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

programs=("5-tuple Groupby, one window:bench/groupby_5tuple.eq"
          "5-tuple Groupby, Every(10ms):bench/groupby_5tuple_10ms.eq"
          "loss chain:examples/loss_root_cause.eq")

# best NAME CMD...: "wall cpu rows" (the best wall time of N runs, the CPU of that run)
best() {
    python3 - "$N" "$work" "$@" <<'PY'
import os, re, resource, subprocess, sys, time
n, work, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
db = [a for i, a in enumerate(cmd) if i and cmd[i - 1] == "--db"]
res = []
for _ in range(n):
    for p in db:
        for s in ("", "-wal", "-shm"):
            if os.path.exists(p + s):
                os.remove(p + s)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    rows = int(re.search(rb"rows (\d+)", r.stderr).group(1))
    res.append((wall, cpu, rows))
wall, cpu, rows = min(res)
print("%.4f %.4f %d" % (wall, cpu, rows))
PY
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) vCPUs; $(uname -r); SQLite $(sqlite3 --version | cut -d' ' -f1); best of $N"
echo
echo "| program | trace | rows | CSV wall s | CSV CPU s | CSV rows/s | --db wall s | --db CPU s | --db rows/s | wall ratio | CPU ratio | DB size |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for entry in "${programs[@]}"; do
    name="${entry%%:*}" prog="${entry#*:}"
    bundle="$work/$(basename "$prog" .eq)"
    "$build/equeryc" -o "$bundle" "$prog" >/dev/null
    for t in small64 mixed; do
        base=(
            "$build/equery-run" "$bundle" --pcap "$traces/$t.pcap" --format csv --no-progress)
        read -r cw cc rows <<<"$(best "${base[@]}" -o /dev/null)"
        read -r dw dc drows <<<"$(best "${base[@]}" -o /dev/null --db "$work/b.sqlite")"
        "${base[@]}" -o /dev/null --db "$work/size.sqlite" 2>/dev/null
        size=$(du -k "$work/size.sqlite" | cut -f1)
        rm -f "$work"/size.sqlite*
        [ "$rows" = "$drows" ] || { echo "rows differ: $rows vs $drows" >&2; exit 1; }
        awk -v n="$name" -v t="$t" -v r="$rows" -v cw="$cw" -v cc="$cc" -v dw="$dw" -v dc="$dc" -v sz="$size" 'BEGIN {
            printf "| %s | %s | %d | %.3f | %.3f | %.0f | %.3f | %.3f | %.0f | %.2fx | %.2fx | %.1f MB |\n",
                   n, t, r, cw, cc, r / cw, dw, dc, r / dw, dw / cw, dc / cc, sz / 1024 }'
    done
done
