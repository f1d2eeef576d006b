#!/usr/bin/env bash
# equery-run --engine=ebpf --pcap over issue 16's capture, two builds side
# by side in one run (as root; not a test: CI does not run it):
#
#   bash bench/ebpf_feed_bench.sh OLD_BUILD NEW_BUILD
#
# OLD_BUILD and NEW_BUILD are build folders (as for bench/whole_bench.sh).
# Each round runs, in turn,
#
#   OLD/equery-run bench/groupby_5tuple.eq --engine=ebpf --pcap echo825k.pcap --format csv -o out.csv
#   NEW/equery-run (the same)
#
# under /usr/bin/time, and prints the best wall-clock time of each with
# frames per second, context switches (voluntary, involuntary) and CPU
# seconds (user, system) of that run; the two builds must print the same
# rows (checked). `perf bench syscall basic` gives, in the same run, the
# cost of a null system call: the floor of a feed that makes one
# BPF_PROG_TEST_RUN call per frame.
#
# Environment: ROUNDS (3), TRACES (../shared/traces), TIMEOUT (seconds a
# run may take: 900).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -ne 2 ]; then
    echo "usage: bash bench/ebpf_feed_bench.sh OLD_BUILD NEW_BUILD" >&2
    exit 2
fi
[ "$(id -u)" -eq 0 ] || { echo "ebpf_feed_bench.sh: run as root (BPF_PROG_TEST_RUN)" >&2; exit 1; }
old="$(cd "$1" && pwd)" new="$(cd "$2" && pwd)"
for b in "$old" "$new"; do
    [ -x "$b/equery-run" ] || { echo "ebpf_feed_bench.sh: $b/equery-run is missing (build it with scripts/build.sh)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "ebpf_feed_bench.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
ROUNDS="${ROUNDS:-3}" TIMEOUT="${TIMEOUT:-900}"
cd "$repo"
prog=bench/groupby_5tuple.eq
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
f="$(bash bench/echo825k.sh "$tmp" "${TRACES:-$repo/../shared/traces}")"
pk=$(capinfos -c -M "$f" | sed -n 's/^Number of packets: *//p')

# "WALL VCS IVCS USER SYS" of one run; its rows to $tmp/$2.csv
run() {
    TMPDIR="$tmp" timeout "$TIMEOUT" /usr/bin/time -o "$tmp/time" -f '%e %w %c %U %S' \
        "$1/equery-run" "$prog" --engine=ebpf --pcap "$f" --format csv -o "$tmp/$2.csv" 2>"$tmp/stderr" ||
        { echo "ebpf_feed_bench.sh: failed: $1/equery-run" >&2; cat "$tmp/stderr" >&2; exit 1; }
    tail -1 "$tmp/time"
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(uname -r); load before: $(cut -d' ' -f1-3 /proc/loadavg); ROUNDS=$ROUNDS"
echo "old: $old"
echo "new: $new"
echo "capture: echo825k, $pk frames; program: $prog"
echo "null system call (perf bench syscall basic): $(perf bench syscall basic -l 200000 2>/dev/null | awk '/usecs\/op/ { print $1 }') us"
echo
declare -A best
for _ in $(seq "$ROUNDS"); do
    for b in old new; do
        dir=$old
        [ "$b" = new ] && dir=$new
        r=$(run "$dir" "$b")
        w=${r%% *}
        if [ -z "${best[$b]:-}" ] || awk -v a="$w" -v b="${best[$b]%% *}" 'BEGIN { exit !(a < b) }'; then
            best[$b]=$r
        fi
    done
    cmp -s "$tmp/old.csv" "$tmp/new.csv" || { echo "ebpf_feed_bench.sh: the builds print different rows" >&2; exit 1; }
done
echo "| build | seconds (best of $ROUNDS) | frames/s | voluntary context switches | involuntary | CPU s: user, system | CPU used / wall |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for b in old new; do
    read -r w v c u s <<<"${best[$b]}"
    awk -v b="$b" -v w="$w" -v v="$v" -v c="$c" -v u="$u" -v s="$s" -v pk="$pk" \
        'BEGIN { printf "| %s | %.2f | %.0f | %d | %d | %.2f, %.2f | %.2f |\n", b, w, pk / w, v, c, u, s, (u + s) / w }'
done
read -r wo _ <<<"${best[old]}"
read -r wn _ <<<"${best[new]}"
echo
echo "new vs old: $(awk -v a="$wo" -v b="$wn" 'BEGIN { printf "%.1f", a / b }')x faster (wall clock; the rows the same)"
