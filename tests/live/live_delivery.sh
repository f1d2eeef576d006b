#!/usr/bin/env bash
# live_delivery.sh - a live run writes each window's rows when the window
# closes, to a file (-o FILE) and to a pipe alike (docs/language.md 10.2):
# nothing is held back in a buffer until exit.
#
# Two network namespaces joined by a veth pair (made here, removed on exit);
# namespace B sends a UDP datagram every 50 ms for 3 s; equery-run captures
# in A with `Every(500ms)` windows and a packet query. A watcher notes the
# wall-clock time at which each line reaches the file (polling every 5 ms)
# or the reading end of the pipe; every window's row must arrive within
# 100 ms of its window_end, every packet row within 250 ms of its packet.
#
# Usage: live_delivery.sh EQUERY_RUN      (root; 77 = skipped)
set -euo pipefail
RUN=$1
. "$(dirname "$0")/../lib/netns.sh"
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: live capture needs root (network namespaces)"
    exit 77
fi
A=eqda$$
B=eqdb$$
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    netns_remove "$A" "$B"
    rm -rf "$WORK"
}
trap cleanup EXIT
netns_pair "$A" "$B" da db 10.78.0.1/24 10.78.0.2/24

cat >"$WORK/live.eq" <<'EQ'
query n = Select(COUNT(*) AS n, SUM(pkt_len) AS bytes) Where(proto == udp & dport == 9998) Every(500ms);
query p = Select(ts, sport) Where(proto == udp & dport == 9998);
EQ

send() {
    ip netns exec "$B" python3 - <<'PY'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(60):
    s.sendto(b"x" * 64, ("10.78.0.1", 9998))
    time.sleep(0.05)
PY
}

# arrival times of the lines of a file, polled; stops when STOP appears
cat >"$WORK/watch_file.py" <<'PY'
import os, sys, time
path, log, stop = sys.argv[1], sys.argv[2], sys.argv[3]
seen, out = b"", open(log, "w")
while True:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        data = b""
    now = time.time()
    if len(data) > len(seen):
        for line in data[len(seen):].split(b"\n")[:-1] if data.endswith(b"\n") else data[len(seen):].split(b"\n")[:-1]:
            out.write("%.6f %s\n" % (now, line.decode()))
        seen = data[:data.rfind(b"\n") + 1]
        out.flush()
    if os.path.exists(stop):
        break
    time.sleep(0.005)
PY
# arrival times of the lines of standard input
cat >"$WORK/watch_pipe.py" <<'PY'
import sys, time
out = open(sys.argv[1], "w")
for line in sys.stdin.buffer:
    out.write("%.6f %s\n" % (time.time(), line.decode().rstrip("\n")))
    out.flush()
PY
# judges a log of "ARRIVAL CSV-LINE"
cat >"$WORK/judge.py" <<'PY'
import datetime, sys
log, name = sys.argv[1], sys.argv[2]
def t(s):
    return datetime.datetime.strptime(s.rstrip("Z")[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
worst_w = worst_p = 0.0
nw = npk = 0
bad = []
for line in open(log):
    at, rec = line.split(" ", 1)
    f = rec.strip().split(",")
    if f[0] != "row":
        continue
    if f[1] == "n" and int(f[5]) > 0:
        d = float(at) - t(f[4]); nw += 1; worst_w = max(worst_w, d)
        if d > 0.100: bad.append("window ending %s arrived %.0f ms late" % (f[4], d * 1e3))
    elif f[1] == "p":
        d = float(at) - t(f[3]); npk += 1; worst_p = max(worst_p, d)
        if d > 0.250: bad.append("packet row of %s arrived %.0f ms late" % (f[3], d * 1e3))
if nw < 4 or npk < 50:
    bad.append("only %d windows and %d packet rows arrived" % (nw, npk))
if bad:
    print("FAIL %s: %s" % (name, "; ".join(bad[:5])))
    sys.exit(1)
print("ok %s: %d windows, worst %.1f ms after their end; %d packet rows, worst %.1f ms" % (name, nw, worst_w * 1e3, npk, worst_p * 1e3))
PY

fails=0
# traffic for 3 s, then Ctrl-C to the run: traffic_then_stop PID ERR NAME
traffic_then_stop() {
    sleep 0.5
    send
    sleep 0.7
    kill -INT "$1"
    wait "$1" || { echo "FAIL $3: equery-run failed: $(cat "$2")"; fails=$((fails + 1)); }
}

# to a file
ip netns exec "$A" "$RUN" "$WORK/live.eq" --iface da --format csv -o "$WORK/out.csv" --no-progress 2>"$WORK/err1" &
RUNPID=$!
PIDS+=("$RUNPID")
python3 "$WORK/watch_file.py" "$WORK/out.csv" "$WORK/file.log" "$WORK/stop1" &
PIDS+=("$!")
traffic_then_stop "$RUNPID" "$WORK/err1" file
sleep 0.1
touch "$WORK/stop1"
wait "${PIDS[-1]}" || true
python3 "$WORK/judge.py" "$WORK/file.log" "-o FILE" || fails=$((fails + 1))

# to a pipe (a FIFO, so that the run's own pid is waited for)
mkfifo "$WORK/pipe"
python3 "$WORK/watch_pipe.py" "$WORK/pipe.log" <"$WORK/pipe" &
WATCH=$!
PIDS+=("$WATCH")
ip netns exec "$A" "$RUN" "$WORK/live.eq" --iface da --format csv --no-progress >"$WORK/pipe" 2>"$WORK/err2" &
RUNPID=$!
PIDS+=("$RUNPID")
traffic_then_stop "$RUNPID" "$WORK/err2" pipe
wait "$WATCH" || true
python3 "$WORK/judge.py" "$WORK/pipe.log" "pipe" || fails=$((fails + 1))

if [ "$fails" -ne 0 ]; then
    echo "live-delivery: $fails failed"
    exit 1
fi
echo "live-delivery: all passed"
