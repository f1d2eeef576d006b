#!/usr/bin/env bash
# Makes issue 16's capture in FOLDER and prints its path (sourced by the
# benchmarks, not a test):
#
#   bash bench/echo825k.sh FOLDER [TRACES]
#
# echo825k: 10 copies of TRACES/bench_echo_loopback_82k.pcap (TRACES:
# ../shared/traces), shifted by 0..9 s (editcap -t) and merged (mergecap):
# 825,820 packets, 68 MB, 500 bidirectional 5-tuples.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$1"
traces="${2:-$repo/../shared/traces}"
echo82k="$traces/bench_echo_loopback_82k.pcap"
[ -f "$echo82k" ] || { echo "echo825k.sh: $echo82k is missing (set TRACES)" >&2; exit 1; }
for tool in editcap mergecap; do
    command -v "$tool" >/dev/null || { echo "echo825k.sh: $tool is missing (bash scripts/install-deps.sh)" >&2; exit 1; }
done
for k in 0 1 2 3 4 5 6 7 8 9; do
    editcap -t "$k" "$echo82k" "$dir/copy$k.pcap"
done
mergecap -F pcap -w "$dir/echo825k.pcap" "$dir"/copy?.pcap
rm "$dir"/copy?.pcap
echo "$dir/echo825k.pcap"
