#!/usr/bin/env bash
# Live capture test: equery-run --iface on one end of a veth pair inside a
# network namespace this test creates, traffic sent from a second namespace
# to addresses of those namespaces only, then Ctrl-C (SIGINT): the open
# window must be flushed with the exact packet count. Also: no permission
# to capture (as user nobody) gives a clear error and exit status 3; and the
# DPDK engine on the same veth (af_packet vdev) counts exactly too.
#
# Usage: live_capture.sh EQUERY_RUN
# Exit 77 (ctest: skipped) when not root or namespaces are unavailable.
set -u
run="$1"
if [ "$(id -u)" -ne 0 ]; then echo "SKIP live-capture: needs root (network namespaces)"; exit 77; fi
command -v ip >/dev/null || { echo "SKIP live-capture: no 'ip' command (iproute2)"; exit 77; }
ns_a="eqlive-a-$$" ns_b="eqlive-b-$$"
work=$(mktemp -d)
cleanup() {
    [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
    ip netns del "$ns_a" 2>/dev/null
    ip netns del "$ns_b" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
if ! ip netns add "$ns_a" 2>/dev/null || ! ip netns add "$ns_b"; then
    echo "SKIP live-capture: cannot create network namespaces"
    exit 77
fi
ip link add veth-a netns "$ns_a" type veth peer name veth-b netns "$ns_b"
ip -n "$ns_a" addr add 10.199.0.1/24 dev veth-a
ip -n "$ns_b" addr add 10.199.0.2/24 dev veth-b
ip -n "$ns_a" link set veth-a up
ip -n "$ns_b" link set veth-b up
ip -n "$ns_a" link set lo up
ip -n "$ns_b" link set lo up

pass=0 fail=0
check() { # NAME CONDITION-RESULT DETAILS
    if [ "$2" = 0 ]; then echo "PASS $1"; pass=$((pass + 1)); else echo "FAIL $1: $3"; fail=$((fail + 1)); fi
}

cat > "$work/live.eq" <<'EQ'
# UDP to port 9999 in the test's own namespace, counted per source.
query udp_in = Select(saddr, daddr, dport, COUNT(*) AS packets, SUM(payload_len) AS bytes)
            Where(proto == udp & dport == 9999) Groupby(saddr, daddr, dport);
EQ
# build the program once outside the namespace (the cache is shared)
ip netns exec "$ns_a" "$run" "$work/live.eq" --iface veth-a --format json -o "$work/out.json" 2>"$work/err.txt" &
pid=$!
# wait until the capture is up (the program is compiled first)
for _ in $(seq 1 100); do
    grep -q . "$work/err.txt" 2>/dev/null && break
    ip netns exec "$ns_a" cat /proc/net/packet 2>/dev/null | awk 'NR>1' | grep -q . && break
    sleep 0.1
done
sleep 0.5
N=50
ip netns exec "$ns_b" python3 - "$N" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"x" * 100, ("10.199.0.1", 9999))
    time.sleep(0.002)
PY
sleep 0.5
kill -INT "$pid"
wait "$pid"
rc=$?
pid=""
check "live: exit status 0 after SIGINT" "$([ "$rc" = 0 ]; echo $?)" "exit $rc; stderr: $(cat "$work/err.txt")"
check "live: stopped message" "$(grep -q 'stopped; the open windows were closed early' "$work/err.txt"; echo $?)" "$(cat "$work/err.txt")"
row=$(grep '"query":"udp_in"' "$work/out.json" || true)
check "live: one row for the UDP flow" "$([ "$(grep -c '"query":"udp_in"' "$work/out.json")" = 1 ]; echo $?)" "$(cat "$work/out.json")"
check "live: exactly $N packets counted" "$(grep -q "\"packets\":$N," <<<"$row"; echo $?)" "$row"
check "live: $((N * 100)) payload bytes" "$(grep -q "\"bytes\":$((N * 100))}" <<<"$row"; echo $?)" "$row"
check "live: addresses of the test namespaces" "$(grep -q '"saddr":"10.199.0.2","daddr":"10.199.0.1"' <<<"$row"; echo $?)" "$row"

# no permission: as user nobody (the program is given as a bundle so that
# nothing needs writing but the cache in a temporary HOME)
if command -v setpriv >/dev/null; then
    home=$(mktemp -d)
    chmod 755 "$work" && chmod 644 "$work/live.eq"
    chown nobody "$home"
    out=$(ip netns exec "$ns_a" setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$home" \
          "$run" "$work/live.eq" --iface veth-a 2>&1)
    rc=$?
    rm -rf "$home"
    check "no permission: exit status 3" "$([ "$rc" = 3 ]; echo $?)" "exit $rc: $out"
    check "no permission: says what to do" "$(grep -q 'no permission to capture on' <<<"$out"; echo $?)" "$out"
fi
# the DPDK engine on the same veth, through DPDK's af_packet vdev
if "$run" --help | grep -q -- '--dpdk'; then
    N2=40
    ip netns exec "$ns_a" "$run" "$work/live.eq" \
        --dpdk "-l 0-1 --no-huge -m 512 --no-pci --file-prefix=eqlive$$ --no-shconf --no-telemetry --log-level=*:error --vdev=net_af_packet0,iface=veth-a" \
        --format json -o "$work/dpdk.json" 2>"$work/dpdk.err" &
    pid=$!
    # EAL and the af_packet socket take a moment: wait for the socket
    for _ in $(seq 1 100); do
        ip netns exec "$ns_a" cat /proc/net/packet 2>/dev/null | awk 'NR>1' | grep -q . && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    sleep 0.5
    ip netns exec "$ns_b" python3 - "$N2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"y" * 100, ("10.199.0.1", 9999))
    time.sleep(0.002)
PY
    sleep 0.5
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    pid=""
    row=$(grep '"query":"udp_in"' "$work/dpdk.json" 2>/dev/null || true)
    check "dpdk: exit status 0 after SIGINT" "$([ "$rc" = 0 ]; echo $?)" "exit $rc; stderr: $(cat "$work/dpdk.err")"
    check "dpdk: exactly $N2 packets counted" "$(grep -q "\"packets\":$N2," <<<"$row"; echo $?)" "$row $(cat "$work/dpdk.err")"
    check "dpdk: port statistics reported" "$(grep -q 'port 0: .* packets received, missed 0' "$work/dpdk.err"; echo $?)" "$(cat "$work/dpdk.err")"

    # RSS mode: two queues (af_packet's fanout, which the kernel hashes the
    # same both ways), one worker on each; 32 flows of 5 packets
    cat > "$work/flows.eq" <<'EQ'
query flows = Select(saddr, sport, COUNT(*) AS packets) Where(proto == udp & dport == 9999) Groupby(saddr, sport);
query total = Select(COUNT(*) AS packets) Where(proto == udp & dport == 9999);
EQ
    ip netns exec "$ns_a" "$run" "$work/flows.eq" \
        --dpdk "--lcores=0@0,1@1,2@$(( $(nproc) > 2 ? 2 : $(nproc) - 1 )) --no-huge -m 512 --no-pci --file-prefix=eqrss$$ --no-shconf --no-telemetry --log-level=*:error --vdev=net_af_packet0,iface=veth-a,qpairs=2" \
        --rx-queues 2 --format json -o "$work/rss.json" 2>"$work/rss.err" &
    pid=$!
    for _ in $(seq 1 100); do
        ip netns exec "$ns_a" cat /proc/net/packet 2>/dev/null | awk 'NR>1' | grep -q . && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    sleep 0.5
    ip netns exec "$ns_b" python3 - <<'PY'
import socket, time
for p in range(32):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.199.0.2", 41000 + p))
    for i in range(5):
        s.sendto(b"z" * 64, ("10.199.0.1", 9999))
        time.sleep(0.001)
    s.close()
PY
    sleep 0.5
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    pid=""
    check "rss: exit status 0 after SIGINT" "$([ "$rc" = 0 ]; echo $?)" "exit $rc; stderr: $(cat "$work/rss.err")"
    check "rss: 160 packets in all" "$(grep -q '"query":"total".*"packets":160}' "$work/rss.json"; echo $?)" "$(grep total "$work/rss.json") $(cat "$work/rss.err")"
    check "rss: 32 flows of 5 packets" "$([ "$(grep -c '"query":"flows".*"packets":5}' "$work/rss.json")" = 32 ]; echo $?)" "$(cat "$work/rss.json")"
    queues=$(sed -n 's/.*by receive queue: //p' "$work/rss.err")
    check "rss: both queues received packets ($queues)" "$(awk '{exit !($1 > 0 && $2 > 0)}' <<<"$queues"; echo $?)" "$(cat "$work/rss.err")"
fi
echo "live-capture: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
