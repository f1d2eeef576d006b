#!/usr/bin/env bash
# Matching by payload hash survives a dropped packet and a reordered pair:
# every later sample still belongs to its own packet (docs/komon.md). A
# FIFO matcher (the original's) would pair packet 2's ingress with packet
# 3's egress... and shift every sample after the drop.
source "$(dirname "$0")/lib.sh"

N=8
"$KOMON" load --port "$PORT" --cbsize 16 >/dev/null
make_netns
ip netns exec "$NS_VNF" python3 "$HERE/match_peer.py" vnf "$PORT" "$N" &
vpid=$!
PIDS+=("$vpid")
sleep 0.5
"$KOMON" samplesize "$N" --port "$PORT"
"$KOMON" start --port "$PORT"
ip netns exec "$NS_GEN" python3 "$HERE/match_peer.py" gen 198.18.0.2 "$PORT" "$N" 10
wait "$vpid" || fail "the test VNF failed"
sleep 0.2
"$KOMON" read --port "$PORT" | grep -v '^#' >"$TMP/samples"
cat "$TMP/samples"
# interval;seq;slot;proc_ns;sock_buf;queued;len;head;ts_out
[ "$(wc -l <"$TMP/samples")" -eq $((N - 1)) ] || fail "$(wc -l <"$TMP/samples") samples, want $((N - 1)) (one dropped)"
[ "$(status state)" = sampling ] || fail "state $(status state): the interval must still wait for the dropped packet"
[ "$(status taken)" -eq "$N" ] || fail "taken $(status taken), want $N"
# each sample is its own packet: arrival order (seq) = the generator's head
awk -F';' '$2 != $8 { print "sample seq " $2 " has the payload of packet " $8; bad = 1 } END { exit bad }' "$TMP/samples" \
    || fail "a sample was paired with another packet's payload"
grep -q '^[0-9]*;2;' "$TMP/samples" && fail "the dropped packet 2 has a sample"
# completion order: 3 after 4 and 5
order=$(cut -d';' -f2 "$TMP/samples" | tr '\n' ' ')
[ "$order" = "1 4 5 3 6 7 8 " ] || fail "completion order '$order', want '1 4 5 3 6 7 8 '"
# packet 3 was held for two 10 ms gaps; the others were mirrored at once
p3=$(awk -F';' '$2 == 3 { print $4 }' "$TMP/samples")
[ "$p3" -ge 15000000 ] || fail "packet 3: $p3 ns, want >= 15 ms (it was held)"
awk -F';' '$2 != 3 && $4 > 5000000 { print "packet " $2 ": " $4 " ns"; bad = 1 } END { exit bad }' "$TMP/samples" \
    || fail "a packet other than 3 took more than 5 ms: misaligned"
ok "drop and reorder: 7 samples, each of its own packet, 3 held $((p3 / 1000000)) ms"
