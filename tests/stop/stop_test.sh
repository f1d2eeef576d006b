#!/usr/bin/env bash
# stop_test.sh - SIGTERM and SIGINT stop a capture run of every engine
# within a second (docs/language.md 10.2): the open windows are closed
# (partial), written, and equery-run exits 0 saying it was stopped.
#
#  1. A capture of 1,000,000 packets and a program heavy enough to take
#     seconds over it; each engine (portable, DPDK, eBPF) is signalled as
#     soon as its first window's rows reach the output file (the rows of a
#     closed window are written at once), so the run is in full flow.
#  2. A capture read from a pipe whose writer stops after 100 packets and
#     stays open (portable and eBPF read standard input): equery-run waits
#     in read(2) when the signal comes.
#
# Usage: stop_test.sh EQUERY_RUN DPDK(0|1) EBPF(0|1)   (root; 77 = skipped)
set -euo pipefail
RUN=$1
HAVE_DPDK=$2
HAVE_EBPF=$3
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the DPDK and eBPF engines need root"
    exit 77
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do pkill -9 -P "$p" 2>/dev/null || true; kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
now() { date +%s.%N; }

python3 "$HERE/gen_big.py" "$WORK/big.pcap" 1000000
cat >"$WORK/heavy.eq" <<'EQ'
query flows = Select(saddr, daddr, sport, dport, proto, COUNT(*) AS n, SUM(pkt_len) AS bytes)
              Groupby(saddr, daddr, sport, dport, proto) Every(100ms);
query fanout = Select(saddr, COUNT(DISTINCT daddr), COUNT(DISTINCT sport)) Groupby(saddr) Every(100ms);
query fanin = Select(daddr, COUNT(DISTINCT saddr), COUNT(DISTINCT sport)) Groupby(daddr) Every(100ms);
query total = Select(COUNT(*) AS n, COUNT(DISTINCT saddr), COUNT(DISTINCT sport)) Every(100ms);
EQ

# reading_stdin PID: one of PID's threads is blocked in read(2) on fd 0
# (/proc/PID/task/TID/syscall: the syscall's number, then its arguments)
reading_stdin() {
    local f nr a0 rest
    for f in /proc/"$1"/task/*/syscall; do
        read -r nr a0 rest <"$f" 2>/dev/null || continue
        [ "$nr" = 0 ] && [ "$a0" = 0x0 ] && return 0
    done
    return 1
}

# check NAME SIGNAL OUT ERR PID: signal PID, wait, judge
judge() {
    local name=$1 sig=$2 out=$3 err=$4 pid=$5
    local t0 t1 rc=0
    t0=$(now)
    kill -"$sig" "$pid"
    wait "$pid" || rc=$?
    t1=$(now)
    local took
    took=$(python3 -c "print('%.3f' % ($t1 - $t0))")
    [ "$rc" = 0 ] || { fail "$name: exit status $rc after SIG$sig"; cat "$err"; return; }
    python3 -c "import sys; sys.exit(0 if $took < 1.0 else 1)" || { fail "$name: SIG$sig took $took s to end the run (more than 1 s)"; return; }
    grep -q "stopped; the open windows were closed early" "$err" || { fail "$name: no 'stopped' note: $(cat "$err")"; return; }
    local partial
    partial=$(grep -c '"partial":true' "$out" || true)
    [ "$partial" -ge 1 ] || { fail "$name: no partial window written after SIG$sig"; return; }
    local pk
    pk=$(sed -n 's/^equery-run: \([0-9]*\) packets.*/\1/p' "$err")
    echo "ok $name: SIG$sig ended the run in $took s after $pk packets; $partial partial rows written"
}

# 1. a large capture, each engine in full flow
engines=(portable)
[ "$HAVE_DPDK" = 1 ] && engines+=(dpdk)
[ "$HAVE_EBPF" = 1 ] && engines+=(ebpf)
for e in "${engines[@]}"; do
    for sig in TERM INT; do
        [ "$sig" = INT ] && [ "$e" != portable ] && continue
        out="$WORK/out.$e.$sig" err="$WORK/err.$e.$sig"
        "$RUN" "$WORK/heavy.eq" --engine="$e" --pcap "$WORK/big.pcap" --format json -o "$out" 2>"$err" &
        pid=$!
        PIDS+=("$pid")
        for _ in $(seq 1 600); do
            [ -s "$out" ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        if ! kill -0 "$pid" 2>/dev/null; then
            fail "$e: the run ended before the signal could be sent (make the capture larger): $(tail -2 "$err")"
            continue
        fi
        [ -s "$out" ] || { fail "$e: no window written within 30 s"; continue; }
        judge "$e (large capture)" "$sig" "$out" "$err" "$pid"
    done
done

# 2. a pipe that goes quiet: equery-run waits in read(2)
head -c $((24 + 100 * 76)) "$WORK/big.pcap" >"$WORK/head.pcap"
pipe_engines=(portable)
[ "$HAVE_EBPF" = 1 ] && pipe_engines+=(ebpf)
for e in "${pipe_engines[@]}"; do
    out="$WORK/pipe.$e" err="$WORK/pipe.err.$e"
    # (a FIFO, not a shell pipeline: `wait` on a pipeline waits for all of it)
    rm -f "$WORK/fifo"
    mkfifo "$WORK/fifo"
    { cat "$WORK/head.pcap"; sleep 60; } >"$WORK/fifo" &
    PIDS+=("$!")
    "$RUN" "$WORK/heavy.eq" --engine="$e" --pcap - --format json -o "$out" <"$WORK/fifo" 2>"$err" &
    pid=$!
    PIDS+=("$pid")
    # signalled once it waits for more input: a thread of it blocked in
    # read(2) on standard input, seen twice 0.2 s apart (a fixed sleep was
    # too short on a loaded machine, where compiling and loading the
    # program took longer: the signal came before it measured)
    waited=0
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        if reading_stdin "$pid"; then
            sleep 0.2
            reading_stdin "$pid" && { waited=1; break; }
        fi
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null || { fail "$e (pipe): equery-run ended early: $(cat "$err")"; continue; }
    [ "$waited" = 1 ] || { fail "$e (pipe): equery-run never waited for input within 60 s"; continue; }
    judge "$e (quiet pipe)" TERM "$out" "$err" "$pid"
done

if [ "$fails" -ne 0 ]; then
    echo "stop-signals: $fails failed"
    exit 1
fi
echo "stop-signals: all passed"
