#!/usr/bin/env bash
# The cost of the windows after a burst of groups (issue 16, goal 5; not a
# test: CI does not run it). A window close must cost what its own groups
# cost, not the table's peak: a table grown to 100,000 groups in one
# window is not scanned and zeroed again at each of the small windows
# after it (runtime/table.c, eq_table_clear).
#
#   bash bench/clear_bench.sh BUILD [BUILD...]
#
# BUILD: build folders (scripts/build.sh), each run in turn ROUNDS times
# (best kept) over two captures of bench/gen_bench.py --burst W:
#   burstW  a 10 ms window of 100,000 flows, then W windows of 10 flows
#   flatW   the same W + 1 windows of 10 flows
# with bench/groupby_5tuple_10ms.eq, CSV to a file. The difference of the
# two runs, less the same difference with no window after the burst
# (burst0 - flat0: the burst's own 100,000 groups measured and printed),
# spread over the W windows, is what each small window after the burst
# costs more than it would without the burst.
#
# Environment: ROUNDS (5), W (1000).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ]; then
    echo "usage: bash bench/clear_bench.sh BUILD [BUILD...]" >&2
    exit 2
fi
ROUNDS="${ROUNDS:-5}" W="${W:-1000}"
builds=()
for b in "$@"; do
    b="$(cd "$b" && pwd)"
    [ -x "$b/equery-run" ] || { echo "clear_bench.sh: $b/equery-run is missing (build it with scripts/build.sh)" >&2; exit 1; }
    builds+=("$b")
done
cd "$repo"
prog=bench/groupby_5tuple_10ms.eq
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_bench.py --burst "$W" "$tmp"
python3 bench/gen_bench.py --burst 0 "$tmp"
TIMEFORMAT='%R'
best() { # the best wall-clock seconds of ROUNDS runs of equery-run over $2 with build $1
    local t b=""
    for _ in $(seq "$ROUNDS"); do
        t=$( { time "$1/equery-run" "$prog" --pcap "$2" --format csv -o "$tmp/out.csv" >/dev/null 2>"$tmp/err"; } 2>&1 ) ||
            { echo "clear_bench.sh: $1/equery-run failed on $2" >&2; cat "$tmp/err" >&2; exit 1; }
        b=$(awk -v a="$t" -v b="$b" 'BEGIN { print (b == "" || a < b) ? a : b }')
    done
    echo "$b"
}
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(uname -r); load before: $(cut -d' ' -f1-3 /proc/loadavg); ROUNDS=$ROUNDS W=$W"
echo
echo "| build | flat0 s | burst0 s | flat$W s | burst$W s | extra per window after the burst, us |"
echo "|---|---:|---:|---:|---:|---:|"
for b in "${builds[@]}"; do
    "$b/equery-run" "$prog" --pcap "$tmp/flat$W.pcap" --format csv -o "$tmp/out.csv" 2>/dev/null # the build cache
    f0=$(best "$b" "$tmp/flat0.pcap")
    b0=$(best "$b" "$tmp/burst0.pcap")
    tf=$(best "$b" "$tmp/flat$W.pcap")
    tb=$(best "$b" "$tmp/burst$W.pcap")
    extra=$(awk -v b="$tb" -v f="$tf" -v b0="$b0" -v f0="$f0" -v w="$W" 'BEGIN { printf "%.1f", ((b - f) - (b0 - f0)) * 1e6 / w }')
    printf "| %s | %.3f | %.3f | %.3f | %.3f | %s |\n" "$b" "$f0" "$b0" "$tf" "$tb" "$extra"
done
echo
echo "(seconds: the best of ROUNDS, wall clock; the extra is ((burst$W - flat$W) - (burst0 - flat0)) / W: about 0"
echo "when a small window's close does not depend on the table's peak)"
