#!/usr/bin/env bash
# The probe loads, attaches, measures a known artificial delay, and
# detaches leaving nothing attached (docs/komon.md).
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
# median of the probe's processing times over N samples with the VNF at DELAY us
measure() {
    local delay=$1 n=40
    ip netns exec "$NS_VNF" "$VNF" --port "$PORT" --delay "$delay" --log "$TMP/vnf_$delay.log" 2>/dev/null &
    local vpid=$!
    PIDS+=("$vpid")
    sleep 0.2
    ip netns exec "$NS_GEN" "$GEN" --dst 198.18.0.2 --port "$PORT" --pps 1000 --duration 3 >/dev/null &
    local gpid=$!
    PIDS+=("$gpid")
    sleep 0.3
    "$KOMON" samplesize "$n" --port "$PORT"
    "$KOMON" start --port "$PORT"
    "$KOMON" wait --port "$PORT" --timeout-ms 2000 || fail "delay $delay: the interval did not complete ($(status done) of $n)"
    "$KOMON" read --port "$PORT" >"$TMP/read_$delay"
    wait "$gpid"
    kill "$vpid"; wait "$vpid" || true
    local got
    got=$(grep -vc '^#' "$TMP/read_$delay")
    [ "$got" -eq "$n" ] || fail "delay $delay: $got samples, want $n"
    grep -v '^#' "$TMP/read_$delay" | cut -d';' -f4 | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
base=$(measure 0)
m300=$(measure 300)
echo "median at delay 0: $base ns; at delay 300 us: $m300 ns"
# within 40 us of the delay plus the baseline
diff=$(( m300 - base - 300000 ))
[ "${diff#-}" -le 40000 ] || fail "delay 300 us measured as $m300 ns, baseline $base ns: off by $diff ns (> 40 us)"
ok "300 us delay measured within 40 us (off by $diff ns)"

"$KOMON" unload --port "$PORT"
sleep 0.2
left=$(comm -12 <(echo "$ours") <(komon_prog_ids) | grep . || true)
[ -z "$left" ] || fail "after unload: programs $(echo $left) still loaded"
[ -z "$(komon_link_ids "$ours")" ] || fail "after unload: links $(echo $(komon_link_ids "$ours")) remain"
[ ! -e "/sys/fs/bpf/equery-komon/$PORT" ] || fail "after unload: /sys/fs/bpf/equery-komon/$PORT remains"
ok "unloaded: no program, link or pin left"
