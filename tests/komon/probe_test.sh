#!/usr/bin/env bash
# The probe loads, attaches, measures the example VNF at delays 0 and
# 300 us (each sample checked against the VNF's own record of the same
# packet), and detaches leaving nothing attached (docs/komon.md).
source "$(dirname "$0")/lib.sh"

before=$(komon_prog_ids)

# clear errors: port out of range, port 0
if "$KOMON" load --port 0 2>"$TMP/err"; then fail "load --port 0 succeeded"; fi
grep -q "1..65535" "$TMP/err" || fail "load --port 0: unclear error: $(cat "$TMP/err")"
if "$KOMON" load --port 70000 2>"$TMP/err"; then fail "load --port 70000 succeeded"; fi
grep -q "1..65535" "$TMP/err" || fail "load --port 70000: unclear error: $(cat "$TMP/err")"
ok "port 0 and 70000 refused"

"$KOMON" load --port "$PORT" --cbsize 64 >/dev/null
ours=$(comm -13 <(echo "$before") <(komon_prog_ids) | grep . || true)
[ "$(echo "$ours" | grep -c .)" -eq 2 ] || fail "after load: programs $(echo $ours), want 2 new komon programs"
links=$(komon_link_ids "$ours")
[ "$(echo "$links" | grep -c .)" -eq 2 ] || fail "after load: links $(echo $links) to programs $(echo $ours), want 2"
for f in ctl samples inflight events stats link_ingress link_egress; do
    [ -e "/sys/fs/bpf/equery-komon/$PORT/$f" ] || fail "not pinned: /sys/fs/bpf/equery-komon/$PORT/$f"
done
ok "loaded, attached (programs $(echo $ours), links $(echo $links)) and pinned"
if "$KOMON" load --port "$PORT" 2>"$TMP/err"; then fail "second load for the same port succeeded"; fi
grep -q "already loaded for port $PORT" "$TMP/err" || fail "second load: unclear error: $(cat "$TMP/err")"
ok "second load for port $PORT refused: $(cat "$TMP/err")"

make_netns
# N samples with the VNF at DELAY us, checked packet by packet against the
# VNF's and the generator's own records of the same packets
# (komon_results.py check): each sample is a packet both saw; it entered
# the stack after it was sent and before the VNF read it, and left inside
# the VNF's sendto; its kernel time is at least the VNF's own, and at least
# the VNF's time on it and on the datagrams the probe saw queued ahead of
# it. No timing threshold: the machine's noise moves the figures, not the
# verdict.
measure() {
    local delay=$1 n=40
    ip netns exec "$NS_VNF" "${PIN_VNF[@]}" "$VNF" --port "$PORT" --delay "$delay" --log "$TMP/vnf_$delay.log" 2>/dev/null &
    local vpid=$!
    PIDS+=("$vpid")
    sleep 0.2
    ip netns exec "$NS_GEN" "${PIN_GEN[@]}" "$GEN" --dst 198.18.0.2 --port "$PORT" --pps 1000 --duration 2 \
        --log "$TMP/gen_$delay.log" >/dev/null &
    local gpid=$!
    PIDS+=("$gpid")
    sleep 0.3
    "$KOMON" samplesize "$n" --port "$PORT"
    "$KOMON" start --port "$PORT"
    "$KOMON" wait --port "$PORT" --timeout-ms 5000 || fail "delay $delay: the interval did not complete ($(status done) of $n)"
    "$KOMON" read --port "$PORT" >"$TMP/read_$delay"
    wait "$gpid"
    kill "$vpid"; wait "$vpid" || true
    python3 "$RESULTS" check --kernel "$TMP/read_$delay" --vnf "$TMP/vnf_$delay.log" --gen "$TMP/gen_$delay.log" \
        --expect "$n" || fail "delay $delay us: the samples do not agree with the VNF's and the generator's records"
    ok "delay $delay us: $n samples, each matched and accounted for by the VNF's records"
}
measure 0
measure 300

"$KOMON" unload --port "$PORT"
sleep 0.2
left=$(comm -12 <(echo "$ours") <(komon_prog_ids) | grep . || true)
[ -z "$left" ] || fail "after unload: programs $(echo $left) still loaded"
[ -z "$(komon_link_ids "$ours")" ] || fail "after unload: links $(echo $(komon_link_ids "$ours")) remain"
[ ! -e "/sys/fs/bpf/equery-komon/$PORT" ] || fail "after unload: /sys/fs/bpf/equery-komon/$PORT remains"
ok "unloaded: no program, link or pin left"
