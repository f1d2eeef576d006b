#!/usr/bin/env bash
# store_signals.sh - the results database across signals (docs/db.md):
#
#  1. SIGTERM, then SIGINT, mid-run: equery-run reads a capture from a pipe
#     whose writer (slow_pcap.py) sends one capture second every 50 ms, so
#     windows close while it runs; once 5 windows are out the signal comes.
#     The run closes its open windows and ends; the database must hold
#     everything the CSV output holds (equery-db export equals it byte for
#     byte): every window written is committed.
#  2. SIGKILL mid-run: the database opens (integrity_check ok) and holds
#     whole windows only: each window has exactly its nrows rows, and the
#     export is a prefix of the CSV output ending at a window close.
#
# Usage: store_signals.sh EQUERY_RUN EQUERY_DB
set -euo pipefail
RUN=$1
DB=$2
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
# the bundle a run killed with SIGKILL leaves (equery-bundle.*) goes here
export TMPDIR=$WORK
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

# start NAME: equery-run on a slow pipe; sets RUNPID, GENPID
start() {
    rm -f "$WORK/$1".*
    mkfifo "$WORK/$1.pipe"
    python3 "$HERE/slow_pcap.py" 200 50 >"$WORK/$1.pipe" &
    GENPID=$!
    PIDS+=("$GENPID")
    # TMPDIR: the temporary bundle of a run killed with SIGKILL stays in WORK
    TMPDIR="$WORK" "$RUN" "$HERE/signals.eq" --pcap - --format csv --no-progress --db "$WORK/$1.sqlite" \
        <"$WORK/$1.pipe" >"$WORK/$1.csv" 2>"$WORK/$1.err" &
    RUNPID=$!
    PIDS+=("$RUNPID")
    for _ in $(seq 1 300); do
        n=$(grep -c '^row,total,' "$WORK/$1.csv" 2>/dev/null || true)
        [ "${n:-0}" -ge 5 ] && return 0
        sleep 0.05
    done
    fail "$1: no 5 windows within 15 s"; cat "$WORK/$1.err"
    return 1
}

for sig in TERM INT; do
    name=sig$sig
    start "$name" || continue
    kill -"$sig" "$RUNPID"
    rc=0; wait "$RUNPID" || rc=$?
    kill "$GENPID" 2>/dev/null || true
    if [ "$rc" != 0 ]; then fail "$name: equery-run exited $rc"; cat "$WORK/$name.err"; continue; fi
    grep -q "stopped; the open windows were closed early" "$WORK/$name.err" || fail "$name: not stopped by the signal"
    "$DB" "$WORK/$name.sqlite" export 1 >"$WORK/$name.export"
    if cmp -s "$WORK/$name.csv" "$WORK/$name.export"; then
        echo "PASS SIG$sig: $(grep -c '^row,' "$WORK/$name.csv") rows in $(sqlite3 "$WORK/$name.sqlite" 'SELECT count(*) FROM windows') windows, the export equals the CSV"
    else
        fail "SIG$sig: the export differs from the CSV output"
        diff "$WORK/$name.csv" "$WORK/$name.export" | head -20
    fi
    status=$(sqlite3 "$WORK/$name.sqlite" 'SELECT status FROM runs WHERE id = 1')
    [ "$status" = done ] || fail "SIG$sig: the run's status is '$status', not done"
done

# SIGKILL: whole windows only
name=kill
if start "$name"; then
    sleep 0.3
    kill -KILL "$RUNPID"
    wait "$RUNPID" 2>/dev/null || true
    kill "$GENPID" 2>/dev/null || true
    f="$WORK/$name.sqlite"
    ic=$(sqlite3 "$f" 'PRAGMA integrity_check')
    [ "$ic" = ok ] || fail "SIGKILL: integrity_check says: $ic"
    windows=$(sqlite3 "$f" 'SELECT count(*) FROM windows')
    [ "$windows" -gt 0 ] || fail "SIGKILL: no window committed"
    # each window holds exactly the rows it says, in every query's table
    bad=0
    while IFS='|' read -r query tbl; do
        b=$(sqlite3 "$f" "SELECT count(*) FROM windows w WHERE w.query = '$query' AND w.nrows != (SELECT count(*) FROM \"$tbl\" r WHERE r.window_id = w.id)")
        orphans=$(sqlite3 "$f" "SELECT count(*) FROM \"$tbl\" r WHERE r.window_id IS NOT NULL AND r.window_id NOT IN (SELECT id FROM windows)")
        bad=$((bad + b + orphans))
    done < <(sqlite3 "$f" 'SELECT query, tbl FROM query_tables')
    [ "$bad" = 0 ] || fail "SIGKILL: $bad windows are not whole"
    "$DB" "$f" export 1 >"$WORK/$name.export"
    size=$(stat -c %s "$WORK/$name.export")
    if [ "$size" -gt 0 ] && cmp -s -n "$size" "$WORK/$name.export" "$WORK/$name.csv"; then
        # the export ends where a window close of the CSV ends: the next
        # line of the CSV (if any) starts a later window
        echo "PASS SIGKILL: the database opens, $windows whole windows, the export ($size bytes) is a prefix of the CSV ($(stat -c %s "$WORK/$name.csv") bytes)"
    else
        fail "SIGKILL: the export ($size bytes) is not a prefix of the CSV output"
        diff "$WORK/$name.csv" "$WORK/$name.export" | head -10
    fi
    status=$(sqlite3 "$f" 'SELECT status FROM runs WHERE id = 1')
    [ "$status" = running ] || fail "SIGKILL: the run's status is '$status' (a killed run never ends)"
fi

if [ "$fails" != 0 ]; then
    echo "store signals: $fails failed"
    exit 1
fi
echo "store signals: all passed"
