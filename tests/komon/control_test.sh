#!/usr/bin/env bash
# The original KOMon's control semantics through equery-komon, on a probe
# loaded by another process (docs/komon.md): samplesize N / -1 / out of
# range, start, stop (abandon, discard), reset_proc, reset_packets.
source "$(dirname "$0")/lib.sh"

CB=4000
"$KOMON" load --port "$PORT" --cbsize "$CB" >/dev/null
[ "$(status cbsize)" -eq "$CB" ] || fail "cbsize $(status cbsize), want $CB"
[ "$(status state)" = idle ] || fail "state after load: $(status state)"

"$KOMON" samplesize 7 --port "$PORT"
[ "$(status samplesize)" -eq 7 ] || fail "samplesize 7: got $(status samplesize)"
"$KOMON" samplesize -1 --port "$PORT"
[ "$(status samplesize)" -eq "$CB" ] || fail "samplesize -1 must reset to cbsize $CB: got $(status samplesize)"
for bad in $((CB + 1)) 0 -2 x; do
    if "$KOMON" samplesize "$bad" --port "$PORT" 2>"$TMP/err"; then fail "samplesize $bad accepted"; fi
    [ -s "$TMP/err" ] || fail "samplesize $bad: no message"
done
[ "$(status samplesize)" -eq "$CB" ] || fail "a refused samplesize changed it to $(status samplesize)"
grep -q "cbsize" "$TMP/err" || true
ok "samplesize: N, -1 = cbsize, out of range refused ($(head -1 "$TMP/err"))"

make_netns
ip netns exec "$NS_VNF" "${PIN_VNF[@]}" "$VNF" --port "$PORT" 2>/dev/null &
PIDS+=("$!")
sleep 0.2
ip netns exec "$NS_GEN" "${PIN_GEN[@]}" "$GEN" --dst 198.18.0.2 --port "$PORT" --pps 2000 --duration 30 >/dev/null &
PIDS+=("$!")
sleep 0.3

# start: the next 5 packets, a complete interval; the stream (what
# equery-run reads) delivers the same 5 samples, stamped in CLOCK_REALTIME
"$KOMON" follow --port "$PORT" --count 5 --timeout-ms 3000 >"$TMP/follow" &
fpid=$!
sleep 0.2
"$KOMON" samplesize 5 --port "$PORT"
"$KOMON" start --port "$PORT"
i1=$(status interval)
"$KOMON" wait --port "$PORT" --timeout-ms 2000 || fail "interval of 5 did not complete"
"$KOMON" read --port "$PORT" | grep -v '^#' >"$TMP/r1"
[ "$(wc -l <"$TMP/r1")" -eq 5 ] || fail "read after start: $(wc -l <"$TMP/r1") samples, want 5"
[ "$(cut -d';' -f1 "$TMP/r1" | sort -u)" = "$i1" ] || fail "samples of another interval than $i1"
[ "$(cut -d';' -f2 "$TMP/r1" | sort -n | tr '\n' ' ')" = "1 2 3 4 5 " ] || fail "seqs $(cut -d';' -f2 "$TMP/r1" | tr '\n' ' ')"
ok "start: interval $i1 sampled exactly 5 packets"
wait "$fpid" || fail "follow failed"
grep -v '^#' "$TMP/follow" | cut -d';' -f1-9 | sort >"$TMP/f1"
sort "$TMP/r1" | cmp -s - "$TMP/f1" || fail "the stream differs from read: $(cat "$TMP/follow")"
now=$(date +%s%N)
grep -v '^#' "$TMP/follow" | awk -F';' -v now="$now" '{ d = now - $10; if (d < 0 || d > 10e9) { print "ts_realtime " $10 " vs now " now; bad = 1 } } END { exit bad }' \
    || fail "streamed samples not stamped with the current CLOCK_REALTIME"
ok "follow streamed the same 5 samples, stamped in CLOCK_REALTIME"

# a complete interval takes no more samples while packets keep coming
sleep 0.1
[ "$(status done)" -eq 5 ] && [ "$(status taken)" -eq 5 ] || fail "after completion: taken $(status taken), done $(status done)"
ok "complete interval stays at 5"

# reset_proc clears the sample buffer
"$KOMON" reset_proc --port "$PORT"
[ "$("$KOMON" read --port "$PORT" | grep -vc '^#')" -eq 0 ] || fail "samples left after reset_proc"
ok "reset_proc cleared the samples"

# stop abandons an interval and discards its samples
"$KOMON" samplesize -1 --port "$PORT"     # 4000 packets at 2 kpps: 2 s
"$KOMON" start --port "$PORT"
i2=$(status interval)
[ "$i2" -eq $((i1 + 1)) ] || fail "interval after start: $i2, want $((i1 + 1))"
sleep 0.01
"$KOMON" stop --port "$PORT"
[ "$(status state)" = idle ] || fail "state after stop: $(status state)"
[ "$("$KOMON" read --port "$PORT" | grep -vc '^#')" -eq 0 ] || fail "samples of the stopped interval are still readable"
t=$(status taken)
[ "$t" -lt "$CB" ] || fail "the interval completed before stop: cannot test stop"
sleep 0.1
[ "$(status taken)" -eq "$t" ] || fail "a stopped interval went on tagging packets"
[ "$("$KOMON" read --port "$PORT" | grep -vc '^#')" -eq 0 ] || fail "a stopped interval took samples after stop"
ok "stop: interval $i2 abandoned after $t packets, nothing readable"

# reset_packets: packets tagged but never sent (the VNF gone) are forgotten
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
PIDS=()
# packets of the stopped interval that were inside the VNF at stop stay in
# flight (as many as the machine's load left queued): forget them first
"$KOMON" reset_packets --port "$PORT" >/dev/null
ip netns exec "$NS_VNF" python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', $PORT)); time.sleep(3)" &
PIDS+=("$!")
sleep 0.3
"$KOMON" samplesize 4 --port "$PORT"
"$KOMON" start --port "$PORT"
ip netns exec "$NS_GEN" "$GEN" --dst 198.18.0.2 --port "$PORT" --pps 1000 --count 10 >/dev/null
[ "$(status taken)" -eq 4 ] || fail "taken $(status taken), want 4"
out=$("$KOMON" reset_packets --port "$PORT")
[ "$out" = "4 packets in flight forgotten" ] || fail "reset_packets: '$out', want 4 forgotten"
out=$("$KOMON" reset_packets --port "$PORT")
[ "$out" = "0 packets in flight forgotten" ] || fail "second reset_packets: '$out'"
ok "reset_packets forgot the 4 packets in flight"
