#!/usr/bin/env bash
# live_xdp.sh - the eBPF engine on a live interface (docs/ebpf.md).
#
# Two network namespaces joined by a veth pair, made here and removed on
# exit. equery-run attaches to the veth end in namespace A with XDP
# (generic, then native) and with tc (ingress); namespace B sends 50 UDP
# datagrams, each from its own source port, to A's address. After Ctrl-C
# (SIGINT) the kernel-aggregated query must have counted exactly 50
# packets and their bytes, the query measured in user space (COUNT
# DISTINCT) 50 source ports, and nothing may stay attached to the
# interface. Also: a run killed with SIGKILL leaves no XDP program behind
# (the attachment is a link, closed with the process); a tc run killed with
# SIGKILL does (tc filters are not links on this kernel), and the next run
# removes it with a warning, measures exactly, and leaves nothing; a tc run
# on a hook that a live run holds is refused; ingress and egress runs share
# the clsact qdisc, which goes with the last of them; an unknown interface
# and a user without privileges get clear errors. With MTU 9000 and
# 8,000-byte datagrams (frames longer than one XDP buffer), XDP generic and
# native, tc and libpcap count every frame and byte.
#
# Usage: live_xdp.sh EQUERY_RUN      (needs root; exit 77 = skipped)
set -euo pipefail

RUN=$1
. "$(dirname "$0")/../lib/netns.sh"
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: live eBPF test needs root (network namespaces, XDP)"
    exit 77
fi
for tool in ip tc python3 setpriv; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

A=eqxa$$
B=eqxb$$
WORK=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true
    netns_remove "$A" "$B"
    rm -rf "$WORK"
}
trap cleanup EXIT

netns_pair "$A" "$B" va vb 10.77.0.1/24 10.77.0.2/24

cat >"$WORK/live.eq" <<'EOF'
# measured in the kernel
query total = Select(COUNT(*) AS packets, SUM(pkt_len) AS bytes) Where(proto == udp & dport == 9999);
# measured in user space, on the frames the program sends up
query ports = Select(COUNT(DISTINCT sport) AS ports) Where(proto == udp & dport == 9999);
EOF

N=50
PAYLOAD=100
FRAME=$((14 + 20 + 8 + PAYLOAD))
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

send() {
    ip netns exec "$B" python3 - "$N" "$PAYLOAD" <<'EOF'
import socket, sys
n, size = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.77.0.2", 20000 + i))
    s.sendto(b"x" * size, ("10.77.0.1", 9999))
    s.close()
EOF
}

attached() { # what is attached to va: the XDP line of ip link, the tc filters
    ip -n "$A" -d link show va | grep -o 'xdp[a-z]*' | head -1 || true
    tc -n "$A" filter show dev va ingress 2>/dev/null | grep -o 'eq_tc' | head -1 || true
    tc -n "$A" filter show dev va egress 2>/dev/null | grep -o 'eq_tc' | sed 's/$/(egress)/' | head -1 || true
    tc -n "$A" qdisc show dev va | grep -o clsact || true
}

start() { # start equery-run in A with the given attach options; waits until it measures
    # its temporary bundle goes into WORK: a run killed with SIGKILL cannot remove it
    TMPDIR="$WORK" ip netns exec "$A" "$RUN" "$WORK/live.eq" "$@" --format json -o "$WORK/out.json" --no-progress \
        2>"$WORK/err" &
    PID=$!
    for _ in $(seq 1 200); do
        grep -q "measuring on" "$WORK/err" 2>/dev/null && { cp "$WORK/err" "$WORK/err.start"; return 0; }
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$WORK/err"
    return 1
}

check_run() { # name, attach options...
    local name=$1
    shift
    if ! start "$@"; then
        fail "$name: equery-run did not start"
        PID=
        return
    fi
    local during
    during=$(attached | tr '\n' ' ')
    case "$name" in
    *libpcap*) ;; # libpcap attaches nothing to the interface
    *) [ -n "$during" ] || fail "$name: nothing is attached while equery-run runs" ;;
    esac
    send
    sleep 0.3
    kill -INT "$PID"
    local rc=0
    wait "$PID" || rc=$?
    PID=
    [ "$rc" = 0 ] || { fail "$name: exit status $rc"; cat "$WORK/err"; }
    python3 - "$WORK/out.json" "$N" "$FRAME" "$name" <<'EOF' || fails=$((fails + 1))
import json, sys
path, n, frame, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = {}
for line in open(path):
    r = json.loads(line)
    if r["type"] == "row":
        rows[r["query"]] = r["values"]
want = {"total": {"packets": n, "bytes": n * frame}, "ports": {"ports": n}}
if rows != want:
    print("FAIL %s: rows %s, expected %s" % (name, rows, want))
    sys.exit(1)
print("ok %s: %d packets, %d bytes, %d source ports" % (name, n, n * frame, n))
EOF
    local after
    after=$(attached | tr '\n' ' ')
    if [ -n "$after" ]; then
        fail "$name: still attached after Ctrl-C: $after"
    else
        echo "ok $name: attached while running ($during), nothing attached after Ctrl-C"
    fi
}

check_run "xdp generic" --xdp va --xdp-mode generic
check_run "xdp native" --xdp va --xdp-mode native
check_run "tc ingress" --tc va --direction ingress

# SIGKILL: no cleanup code runs, the kernel closes the XDP link
if start --xdp va --xdp-mode generic; then
    kill -9 "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
    sleep 0.2
    left=$(attached | tr '\n' ' ')
    if [ -n "$left" ]; then fail "SIGKILL: still attached: $left"; else echo "ok SIGKILL: nothing left attached"; fi
else
    fail "SIGKILL: equery-run did not start"
fi

# SIGKILL of a tc run: the filter stays (the kernel cannot know it is
# orphaned); the next run removes it, says so, and counts exactly once
if start --tc va; then
    killed=$PID
    kill -9 "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
    left=$(attached | tr '\n' ' ')
    case "$left" in *eq_tc*clsact*) echo "ok tc SIGKILL: left attached ($left), as the kernel keeps tc filters" ;;
                    *) fail "tc SIGKILL: expected the orphaned filter and qdisc, found '$left'" ;; esac
    check_run "tc after an orphan" --tc va
    want="equery-run: warning: removed the tc filter that an equery-run (pid $killed) which did not exit cleanly left on 'va' (ingress); its clsact qdisc is removed at exit"
    if grep -qxF "$want" "$WORK/err.start"; then echo "ok tc orphan: $want"; else fail "tc orphan: no warning '$want' in: $(cat "$WORK/err.start")"; fi
else
    fail "tc SIGKILL: equery-run did not start"
fi

# a hook held by a live run is refused; ingress and egress share the qdisc
if start --tc va --direction ingress; then
    first=$PID
    rc=0
    ip netns exec "$A" "$RUN" "$WORK/live.eq" --tc va --format json -o /dev/null 2>"$WORK/err2" || rc=$?
    want="equery-run: error: another equery-run (pid $first) already measures on 'va' with tc (ingress)"
    if [ "$rc" = 3 ] && grep -qxF "$want" "$WORK/err2"; then echo "ok tc busy: $want"; else fail "tc busy: exit $rc: $(cat "$WORK/err2")"; fi
    ip netns exec "$A" "$RUN" "$WORK/live.eq" --tc va --direction egress --format json -o "$WORK/out2.json" \
        --no-progress 2>"$WORK/err3" &
    second=$!
    for _ in $(seq 1 200); do grep -q "measuring on" "$WORK/err3" 2>/dev/null && break; sleep 0.05; done
    kill -INT "$first"; wait "$first" || fail "tc ingress+egress: the ingress run failed"
    PID=$second
    left=$(attached | tr '\n' ' ')
    case "$left" in *"eq_tc(egress)"*clsact*) echo "ok tc ingress+egress: the egress run keeps its filter and the qdisc ($left)" ;;
                    *) fail "tc ingress+egress: after the ingress run ended, found '$left'" ;; esac
    kill -INT "$second"; wait "$second" || fail "tc ingress+egress: the egress run failed"
    PID=
    left=$(attached | tr '\n' ' ')
    if [ -n "$left" ]; then fail "tc ingress+egress: still attached after both: $left"; else echo "ok tc ingress+egress: nothing left after both"; fi
else
    fail "tc busy: equery-run did not start"
fi

# jumbo frames: MTU 9000 on both ends, 8,000-byte datagrams (8,042-byte
# frames, longer than one XDP buffer: multi-buffer XDP). Every hook, and
# libpcap on the same interface, counts every frame and byte.
ip -n "$A" link set va mtu 9000
ip -n "$B" link set vb mtu 9000
PAYLOAD=8000
FRAME=$((14 + 20 + 8 + PAYLOAD))
check_run "jumbo xdp generic" --xdp va --xdp-mode generic
check_run "jumbo xdp native" --xdp va --xdp-mode native
check_run "jumbo tc ingress" --tc va --direction ingress
check_run "jumbo libpcap" --iface va
ip -n "$A" link set va mtu 1500
ip -n "$B" link set vb mtu 1500
PAYLOAD=100
FRAME=$((14 + 20 + 8 + PAYLOAD))

# errors
rc=0
"$RUN" "$WORK/live.eq" --xdp eqnosuchif0 2>"$WORK/err" >/dev/null || rc=$?
if [ "$rc" = 3 ] && grep -q "there is no interface 'eqnosuchif0'" "$WORK/err"; then
    echo "ok unknown interface: exit 3, $(head -1 "$WORK/err")"
else
    fail "unknown interface: exit $rc: $(cat "$WORK/err")"
fi
mkdir -p "$WORK/home"
chown nobody "$WORK/home"
chmod 755 "$WORK"
rc=0
HOME="$WORK/home" setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all \
    "$RUN" "$WORK/live.eq" --xdp lo 2>"$WORK/err" >/dev/null || rc=$?
if [ "$rc" = 3 ] && grep -q "no permission to load eBPF programs" "$WORK/err"; then
    echo "ok no privileges: exit 3, $(grep 'no permission' "$WORK/err" | head -1)"
else
    fail "no privileges: exit $rc: $(cat "$WORK/err")"
fi

if [ "$fails" -ne 0 ]; then
    echo "live-xdp: $fails failed"
    exit 1
fi
echo "live-xdp: all passed"
