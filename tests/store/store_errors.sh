#!/usr/bin/env bash
# store_errors.sh - what equery-run --db and equery-db say when the database
# cannot be used (docs/db.md, Errors): each case's standard error is pinned
# whole (the work folder written WORK) with its exit status.
#
#   a directory, a text file, a SQLite file that is not ours, a path whose
#   folder is missing, a read-only database and a read-only folder (a tmpfs
#   remounted read-only), a disk full from the start, a disk that fills up
#   mid-run (a tmpfs of 1 MB: the error is said once, the CSV output goes
#   on unchanged, the exit status is 3, and what was committed is whole
#   windows); equery-db: an unknown run, an unknown query, a bad file, a
#   missing one, bad arguments.
#
# The tmpfs cases need root (mount); without it they are listed as skipped.
# Usage: store_errors.sh EQUERY_RUN EQUERY_DB
set -uo pipefail
RUN=$1
DB=$2
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
WORK=$(mktemp -d)
MNT=$WORK/mnt
mkdir "$MNT"
cleanup() {
    mountpoint -q "$MNT" && umount "$MNT"
    rm -rf "$WORK"
}
trap cleanup EXIT
fails=0
passed=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

python3 "$HERE/slow_pcap.py" 200 0 300 >"$WORK/300s.pcap"
python3 "$HERE/slow_pcap.py" 200 0 10 >"$WORK/10s.pcap"
PROG="$HERE/signals.eq"
SMALL=("$PROG" --pcap "$WORK/300s.pcap" --format csv --quiet)

# check NAME WANT_RC WANT_STDERR CMD...: the exit status and stderr (WORK for the folder)
check() {
    local name=$1 want_rc=$2 want_err=$3
    shift 3
    local rc=0
    "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    local got
    got=$(sed "s|$WORK|WORK|g" "$WORK/err")
    if [ "$rc" != "$want_rc" ]; then
        fail "$name: exit $rc, expected $want_rc"; echo "  stderr: $got"
    elif [ "$got" != "$want_err" ]; then
        fail "$name: stderr differs"; echo "  expected: $want_err"; echo "  actual:   $got"
    else
        echo "PASS $name"; passed=$((passed + 1))
    fi
}

mkdir "$WORK/dir"
check directory 3 "equery-run: error: --db WORK/dir: is a directory" \
    "$RUN" "${SMALL[@]}" --db "$WORK/dir"
echo "just text" >"$WORK/text.sqlite"
check not-sqlite 3 "equery-run: error: --db WORK/text.sqlite: not a SQLite database" \
    "$RUN" "${SMALL[@]}" --db "$WORK/text.sqlite"
sqlite3 "$WORK/foreign.sqlite" 'CREATE TABLE accounts (id INTEGER)'
check foreign-sqlite 3 "equery-run: error: --db WORK/foreign.sqlite: a SQLite database, but not an equery results database (no schema_version)" \
    "$RUN" "${SMALL[@]}" --db "$WORK/foreign.sqlite"
check missing-folder 3 "equery-run: error: --db WORK/no/such/r.sqlite: cannot create it: No such file or directory" \
    "$RUN" "${SMALL[@]}" --db "$WORK/no/such/r.sqlite"
check retention-without-db 2 "equery-run: error: --db-retention is for the results database: --db FILE or --clickhouse URL
Try 'equery-run --help' for more information." \
    "$RUN" "${SMALL[@]}" --db-retention 3
check retention-not-a-number 2 "equery-run: error: --db-retention needs a number of days from 0 to 100000, not 'x'
Try 'equery-run --help' for more information." \
    "$RUN" "${SMALL[@]}" --db "$WORK/r.sqlite" --db-retention x

# equery-db
"$RUN" examples/syn_flood.eq --pcap "$WORK/300s.pcap" --quiet --format csv --db "$WORK/ok.sqlite" >/dev/null 2>&1 \
    || fail "a run to read back"
check db-unknown-run 3 "equery-db: error: no run 9 in the database (equery-db FILE runs lists them)" \
    "$DB" "$WORK/ok.sqlite" export 9
check db-unknown-query 3 "equery-db: error: run 1's program has no query 'nope' (it has: syn_in flood_ttl flood_answers)" \
    "$DB" "$WORK/ok.sqlite" export 1 --query nope
check db-not-sqlite 3 "equery-db: error: WORK/text.sqlite: not a SQLite database" \
    "$DB" "$WORK/text.sqlite" runs
check db-foreign 3 "equery-db: error: WORK/foreign.sqlite: a SQLite database, but not an equery results database (no schema_version)" \
    "$DB" "$WORK/foreign.sqlite" runs
check db-missing 3 "equery-db: error: WORK/missing.sqlite: No such file or directory" \
    "$DB" "$WORK/missing.sqlite" runs
check db-directory 3 "equery-db: error: WORK/dir: is a directory" \
    "$DB" "$WORK/dir" runs
check db-bad-run 2 "equery-db: error: a RUN is a run's number, not 'one'
Try 'equery-db --help' for more information." \
    "$DB" "$WORK/ok.sqlite" export one
check db-bad-format 2 "equery-db: error: unknown format 'xml' (csv, json, table)
Try 'equery-db --help' for more information." \
    "$DB" "$WORK/ok.sqlite" export 1 --format xml
check db-unknown-command 2 "equery-db: error: unknown command 'drop' (runs, export, retention)
Try 'equery-db --help' for more information." \
    "$DB" "$WORK/ok.sqlite" drop

if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=1m tmpfs "$MNT" 2>/dev/null; then
    echo "SKIP read-only, read-only-folder, full-at-start, full-mid-run: mounting a tmpfs needs root"
else
    # read-only: a database written, then its file system remounted read-only
    "$RUN" "$PROG" --pcap "$WORK/10s.pcap" --format csv --quiet --db "$MNT/r.sqlite" >/dev/null 2>&1 || fail "read-only: the first run"
    mount -o remount,ro "$MNT"
    check read-only 3 "equery-run: error: --db WORK/mnt/r.sqlite: the database is read-only (Read-only file system)" \
        "$RUN" "${SMALL[@]}" --db "$MNT/r.sqlite"
    check read-only-folder 3 "equery-run: error: --db WORK/mnt/new.sqlite: cannot create it: Read-only file system" \
        "$RUN" "${SMALL[@]}" --db "$MNT/new.sqlite"
    # equery-db still reads it
    if "$DB" "$MNT/r.sqlite" export 1 >"$WORK/ro.csv" && [ -s "$WORK/ro.csv" ]; then
        echo "PASS read-only-export"; passed=$((passed + 1))
    else
        fail "read-only-export: equery-db cannot read a database on a read-only file system"
    fi
    umount "$MNT"

    # full from the start: the tmpfs filled by another file
    mount -t tmpfs -o size=1m tmpfs "$MNT"
    head -c 1048576 /dev/zero >"$MNT/filler" 2>/dev/null
    check full-at-start 3 "equery-run: error: --db WORK/mnt/f.sqlite: the disk is full (database or disk is full)" \
        "$RUN" "${SMALL[@]}" --db "$MNT/f.sqlite"
    rm -f "$MNT/filler" "$MNT"/f.sqlite*

    # full mid-run: the error once, the CSV unchanged, exit 3, whole windows
    "$RUN" "${SMALL[@]}" >"$WORK/want.csv" 2>/dev/null
    check full-mid-run 3 "equery-run: error: --db WORK/mnt/f.sqlite: the disk is full (database or disk is full): the database holds the windows committed before it; the run goes on without it" \
        "$RUN" "${SMALL[@]}" --db "$MNT/f.sqlite"
    cmp -s "$WORK/out" "$WORK/want.csv" || fail "full-mid-run: the CSV output changed"
    f=$MNT/f.sqlite
    [ "$(sqlite3 "$f" 'PRAGMA integrity_check')" = ok ] || fail "full-mid-run: integrity_check"
    w=$(sqlite3 "$f" 'SELECT count(*) FROM windows')
    bad=$(sqlite3 "$f" "SELECT count(*) FROM windows w WHERE w.query = 'pairs' AND w.nrows != (SELECT count(*) FROM pairs r WHERE r.window_id = w.id)")
    st=$(sqlite3 "$f" 'SELECT status FROM runs')
    all=$(grep -c '^row,total' "$WORK/want.csv")
    # how many windows made it before the disk filled depends on how the
    # writer batched them (closes that queue up commit together, more of
    # them on a busy machine): none is whole too
    if [ "$w" -ge 0 ] && [ "$bad" = 0 ] && [ "$st" = failed ] && \
       "$DB" "$f" export 1 >"$WORK/part.csv" && cmp -s -n "$(stat -c %s "$WORK/part.csv")" "$WORK/part.csv" "$WORK/want.csv"; then
        echo "PASS full-mid-run-whole-windows: $w windows committed (whole; the run had $all of total), status failed, the export a prefix of the CSV"
        passed=$((passed + 1))
    else
        fail "full-mid-run-whole-windows: windows $w, not whole $bad, status '$st'"
    fi
    umount "$MNT"
fi

echo "store errors: $passed passed, $fails failed"
[ "$fails" = 0 ]
