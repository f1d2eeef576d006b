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
# packet 3 was held until 5 came (in before 4 and 5, out after them): its
# time is longer than either's, by the order alone
p3=$(awk -F';' '$2 == 3 { print $4 }' "$TMP/samples")
p4=$(awk -F';' '$2 == 4 { print $4 }' "$TMP/samples")
p5=$(awk -F';' '$2 == 5 { print $4 }' "$TMP/samples")
[ "$p3" -gt "$p4" ] && [ "$p3" -gt "$p5" ] || fail "packet 3 (held): $p3 ns, not longer than 4 ($p4 ns) and 5 ($p5 ns)"
# both timestamps of every sample agree with the order the packets took:
# ingress (ts_out - proc_ns) rises with the arrival order (seq), egress
# (ts_out) with the completion order (slot); so packet 3, in first and out
# last of 3..5, has the longest time of them, whatever the machine's noise
awk -F';' '{ tin[$2] = $9 - $4; tout[$3] = $9 }
     END { for (s in tin) for (t in tin) if (s + 0 < t + 0 && tin[s] >= tin[t]) { print "ingress of " s " not before " t; bad = 1 }
           for (s in tout) for (t in tout) if (s + 0 < t + 0 && tout[s] >= tout[t]) { print "egress slot " s " not before " t; bad = 1 }
           exit bad }' "$TMP/samples" || fail "the samples' timestamps contradict the packets' order: misaligned"
ok "drop and reorder: 7 samples, each of its own packet, 3 held $((p3 / 1000000)) ms"
