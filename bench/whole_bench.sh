#!/usr/bin/env bash
# Whole processes on capture files, side by side in one run (not a test: CI
# does not run it): what a user choosing between equery, Argus and tshark
# compares (issue 16, docs/performance.md).
#
#   bash bench/whole_bench.sh OLD_BUILD NEW_BUILD
#
# OLD_BUILD and NEW_BUILD are build folders (scripts/build.sh), as for
# bench/compare.sh: for example main's, made with `git worktree add
# /tmp/old main` and `bash scripts/build.sh /tmp/old/build` there, and the
# branch's. For each capture it runs, in turn, ROUNDS times:
#
#   OLD/equery-run bench/groupby_5tuple.eq --pcap FILE --format csv -o out.csv
#   NEW/equery-run (the same)
#   argus -r FILE -w out.argus
#   tshark -q -z conv,tcp -r FILE
#
# and prints the best wall-clock time of each with the ratios, measured in
# the same run, and the CPU time (user + system) of the new build and argus. Taking turns spreads the machine's noise (other tasks,
# steal time) over all of them alike. The two equery builds must print the
# same rows (checked).
#
# Captures (built in a temporary folder, removed at the end):
#   echo825k  10 copies of ../shared/traces/bench_echo_loopback_82k.pcap,
#             shifted by 0..9 s (editcap -t) and merged (mergecap):
#             825,820 packets, 500 groups
#   mixed     bench/gen_bench.py's 64/576/1500 mix: 500,000 packets,
#             100,000 bidirectional TCP flows
#
# Environment: ROUNDS (3), TRACES (the folder of
# bench_echo_loopback_82k.pcap: ../shared/traces).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -ne 2 ]; then
    echo "usage: bash bench/whole_bench.sh OLD_BUILD NEW_BUILD" >&2
    exit 2
fi
old="$(cd "$1" && pwd)" new="$(cd "$2" && pwd)"
for b in "$old" "$new"; do
    [ -x "$b/equery-run" ] || { echo "whole_bench.sh: $b/equery-run is missing (build it with scripts/build.sh)" >&2; exit 1; }
done
for tool in argus tshark; do
    command -v "$tool" >/dev/null || { echo "whole_bench.sh: $tool is missing (bash scripts/install-deps.sh)" >&2; exit 1; }
done
ROUNDS="${ROUNDS:-3}"
TRACES="${TRACES:-$repo/../shared/traces}"
cd "$repo"
prog=bench/groupby_5tuple.eq

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash bench/echo825k.sh "$tmp" "$TRACES" >/dev/null
python3 bench/gen_bench.py "$tmp" >/dev/null
rm -f "$tmp/small64.pcap"

run() { # "WALL CPU": the seconds the command took, and its CPU seconds (user + system); its output to files of $tmp
    local TIMEFORMAT='%R %U %S' t
    t=$( { time "$@" >"$tmp/stdout" 2>"$tmp/stderr"; } 2>&1 ) || { echo "whole_bench.sh: failed: $*" >&2; cat "$tmp/stderr" >&2; exit 1; }
    awk '{ printf "%s %.3f\n", $1, $2 + $3 }' <<<"$t"
}
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }
ratio() { printf "%.1f" "$(echo "$1 / $2" | bc -l)"; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(uname -r); load before: $(cut -d' ' -f1-3 /proc/loadavg); ROUNDS=$ROUNDS"
echo "old: $old"
echo "new: $new"
echo "$(argus -h 2>&1 | sed -n 's/^Argus Version *//p' | head -1 | sed 's/^/argus /'); $(tshark --version 2>/dev/null | head -1)"
echo
echo "| capture | packets | old equery s | new equery s | argus s | tshark s | new vs old | new vs argus | old vs argus | new vs tshark | CPU s: new, argus | CPU: new vs argus |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for t in echo825k mixed; do
    f="$tmp/$t.pcap"
    for b in "$old" "$new"; do # compile the program into each build's cache, warm the file
        "$b/equery-run" "$prog" --pcap "$f" --format csv -o "$tmp/warm.csv" >/dev/null 2>&1
    done
    "$old/equery-run" "$prog" --pcap "$f" --format csv -o "$tmp/old.csv" 2>/dev/null
    "$new/equery-run" "$prog" --pcap "$f" --format csv -o "$tmp/new.csv" 2>/dev/null
    cmp -s "$tmp/old.csv" "$tmp/new.csv" || { echo "whole_bench.sh: $t: the builds print different rows" >&2; exit 1; }
    to="" tn="" ta="" ts="" cn="" ca=""
    for _ in $(seq "$ROUNDS"); do
        read -r w _ < <(run "$old/equery-run" "$prog" --pcap "$f" --format csv -o "$tmp/out.csv")
        to=$(min "$w" "$to")
        read -r w c < <(run "$new/equery-run" "$prog" --pcap "$f" --format csv -o "$tmp/out.csv")
        tn=$(min "$w" "$tn") cn=$(min "$c" "$cn")
        read -r w c < <(run argus -r "$f" -w "$tmp/out.argus")
        ta=$(min "$w" "$ta") ca=$(min "$c" "$ca")
        rm -f "$tmp/out.argus"
        read -r w _ < <(run tshark -q -z conv,tcp -r "$f")
        ts=$(min "$w" "$ts")
    done
    pk=$(capinfos -c -M "$f" | sed -n 's/^Number of packets: *//p')
    printf "| %s | %s | %.3f | %.3f | %.3f | %.3f | %sx | %sx | %sx | %sx | %.3f, %.3f | %sx |\n" "$t" "$pk" "$to" "$tn" "$ta" "$ts" \
        "$(ratio "$to" "$tn")" "$(ratio "$ta" "$tn")" "$(ratio "$ta" "$to")" "$(ratio "$ts" "$tn")" "$cn" "$ca" "$(ratio "$ca" "$cn")"
done
echo
echo "(seconds: the best of ROUNDS, wall clock; a ratio is how many times faster the first is: 20x = a twentieth of the"
echo "time; CPU s: user + system, which a busy machine inflates less than the wall clock)"
