#!/usr/bin/env bash
# Bytes per group for each kind of partial state (equery/states.def), from
# the structs equeryc generates (issue 16, goal 5; not a test: CI does not
# run it). For each kind, a 5-tuple Groupby with one column of that kind
# is compiled (equeryc --emit=h) and the sizes of its key and state
# structs printed by a C program that includes the header; a group's slot
# in the table is EQ_TAG_SIZE + key + state, rounded up to 8
# (runtime/table.c). The table keeps its load at most 3/4 in a power of
# two of slots, so a window of G groups holds between 4/3 and 8/3 slots per
# group: the last column is for G = 100,000 (262,144 slots).
#
#   bash bench/state_sizes.sh BUILD
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: bash bench/state_sizes.sh BUILD" >&2; exit 2; }
build="$(cd "$1" && pwd)"
[ -x "$build/equeryc" ] || { echo "state_sizes.sh: $build/equeryc is missing (build it with scripts/build.sh)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
KEY="saddr, daddr, sport, dport, proto"
NGROUPS=100000
SLOTS=262144 # the power of two that holds NGROUPS at a load of at most 3/4
# kind | the column (with the key's fields before it)
kinds=(
    "none (the key only)|"
    "count|, COUNT(*) AS c"
    "sum|, SUM(pkt_len) AS c"
    "min|, MIN(pkt_len) AS c"
    "max|, MAX(pkt_len) AS c"
    "sum + count (AVG)|, AVG(pkt_len) AS c"
    "distinct|, COUNT(DISTINCT dport) AS c"
    "first (stcps, dtcps)|, stcps, dtcps"
    "last (sttl, dttl)|, sttl, dttl"
    "or (flgs)|, flgs"
    "dirs (dir)|, dir"
    "count per direction (spkts, dpkts)|, spkts, dpkts"
    "tcp_loss (sloss, dloss)|, sloss, dloss"
    "bench/groupby_5tuple.eq|, spkts, dpkts, SUM(pkt_len) AS bytes"
)
echo "| state kind | key bytes | state bytes | slot bytes | bytes per group at 100k groups |"
echo "|---|---:|---:|---:|---:|"
for k in "${kinds[@]}"; do
    name="${k%%|*}" cols="${k#*|}"
    printf 'query q = Select(%s%s) Groupby(%s);\n' "$KEY" "$cols" "$KEY" >"$tmp/q.eq"
    "$build/equeryc" --emit=h "$tmp/q.eq" >"$tmp/program.h"
    cat >"$tmp/size.c" <<'C'
#include <stdio.h>
#include "program.h"
int main(void)
{
    size_t slot = (EQ_TAG_SIZE + sizeof(q_q_key) + sizeof(q_q_state) + 7) / 8 * 8;
    printf("%zu %zu %zu\n", sizeof(q_q_key), sizeof(q_q_state), slot);
    return 0;
}
C
    cc -I"$tmp" -I"$repo/runtime/include" -o "$tmp/size" "$tmp/size.c"
    read -r key state slot < <("$tmp/size")
    printf "| %s | %s | %s | %s | %s |\n" "$name" "$key" "$state" "$slot" "$(( slot * SLOTS / NGROUPS ))"
done
echo
echo "(a distinct state is a pointer in the slot; its set is on the heap (runtime/distinct.c): a 24-byte header and"
echo "16 slots of 8 bytes for a new one, 8-byte fingerprints at a load of at most 3/4 up to 1,024 values, then a"
echo "HyperLogLog sketch of 16 KiB)"
