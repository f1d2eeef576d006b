#!/usr/bin/env bash
# Start-up of equery-run, old build against new, side by side in one run
# (not a test): the libraries it loads (ldd), and `perf stat -r N` of
#
#   BUILD/equery-run --version
#   BUILD/equery-run bench/groupby_5tuple.eq --pcap ../shared/traces/tcp_rst_inject.pcap --format csv -o out.csv
#
# (9 packets: the run is its start-up; the program compiled once first, the
# build cache warm), taking turns, ROUNDS times each; prints the mean task
# clock (CPU ms) and wall clock (ms) of each, and the ratios.
#
#   bash bench/startup_bench.sh OLD_BUILD NEW_BUILD
#
# Environment: ROUNDS (5 turns), REPEAT (perf stat -r, 30), TRACES
# (../shared/traces). docs/performance.md, "Start-up: libraries loaded when used".
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -ne 2 ]; then
    echo "usage: bash bench/startup_bench.sh OLD_BUILD NEW_BUILD" >&2
    exit 2
fi
old="$(cd "$1" && pwd)" new="$(cd "$2" && pwd)"
command -v perf >/dev/null || { echo "startup_bench.sh: perf is missing (apt-get install linux-perf)" >&2; exit 1; }
ROUNDS="${ROUNDS:-5}" REPEAT="${REPEAT:-30}"
TRACES="${TRACES:-$repo/../shared/traces}"
cd "$repo"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cap="$TRACES/tcp_rst_inject.pcap"
prog=bench/groupby_5tuple.eq

# stat BUILD CASE: "TASK_MS WALL_MS" of perf stat -r REPEAT
stat() {
    local b=$1 c=$2
    local cmd=("$b/equery-run" --version)
    [ "$c" = run ] && cmd=("$b/equery-run" "$prog" --pcap "$cap" --format csv -o "$tmp/out.csv" --quiet)
    perf stat -x, -r "$REPEAT" -e task-clock -o "$tmp/stat" "${cmd[@]}" >/dev/null 2>"$tmp/stderr" ||
        { echo "startup_bench.sh: failed: ${cmd[*]}" >&2; cat "$tmp/stderr" >&2; exit 1; }
    local task
    task=$(awk -F, '$3 == "task-clock" { print $1 }' "$tmp/stat")
    # the wall clock of REPEAT runs, timed apart (perf's -x output has none)
    local t0 t1
    t0=$(date +%s%N)
    for _ in $(seq "$REPEAT"); do "${cmd[@]}" >/dev/null 2>&1; done
    t1=$(date +%s%N)
    awk -v t="$task" -v w=$(( (t1 - t0) / REPEAT )) 'BEGIN { printf "%.2f %.2f\n", t, w / 1e6 }'
}

for b in "$old" "$new"; do # compile once: the build cache warm
    "$b/equery-run" "$prog" --pcap "$cap" --format csv -o "$tmp/warm.csv" --quiet
done
declare -A best
for _ in $(seq "$ROUNDS"); do
    for c in version run; do
        for b in old new; do
            dir=$old; [ $b = new ] && dir=$new
            read -r task wall < <(stat "$dir" $c)
            k="$b.$c"
            if [ -z "${best[$k.task]:-}" ] || awk -v a="$task" -v b="${best[$k.task]}" 'BEGIN { exit !(a < b) }'; then
                best[$k.task]=$task
            fi
            if [ -z "${best[$k.wall]:-}" ] || awk -v a="$wall" -v b="${best[$k.wall]}" 'BEGIN { exit !(a < b) }'; then
                best[$k.wall]=$wall
            fi
        done
    done
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); best of $ROUNDS turns of perf stat -r $REPEAT"
echo
echo "| | old | new | old / new |"
echo "|---|---:|---:|---:|"
for b in old new; do
    dir=$old; [ $b = new ] && dir=$new
    best[$b.needed]=$(readelf -d "$dir/equery-run" | grep -c NEEDED)
    best[$b.ldd]=$(ldd "$dir/equery-run" | wc -l)
done
row() { awk -v n="$1" -v o="$2" -v w="$3" 'BEGIN { printf "| %s | %s | %s | %.1fx |\n", n, o, w, o / w }'; }
row "libraries NEEDED (readelf -d)" "${best[old.needed]}" "${best[new.needed]}"
row "libraries loaded (ldd \| wc -l)" "${best[old.ldd]}" "${best[new.ldd]}"
row "\`--version\`: CPU ms (task-clock)" "${best[old.version.task]}" "${best[new.version.task]}"
row "\`--version\`: wall ms" "${best[old.version.wall]}" "${best[new.version.wall]}"
row "9 packets: CPU ms (task-clock)" "${best[old.run.task]}" "${best[new.run.task]}"
row "9 packets: wall ms" "${best[old.run.wall]}" "${best[new.run.wall]}"
