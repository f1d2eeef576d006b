#!/usr/bin/env bash
# store_schema.sh - the results database's schema version, its creation and
# upgrade, several runs and programs in one file, and retention (docs/db.md).
#
#   - a new path, a zero-length file and an empty SQLite database are each
#     brought to schema version 2 (the migrations from version 0), in WAL
#     mode; a version-2 database is opened as it is and gets a second run;
#   - a version-1 database (tests/store/schema_v1.sql: the dump of one that
#     equery-run 0.1 wrote before version 2, with its CSV) is upgraded to 2:
#     its run exports as before, the boxes table has version 2's columns,
#     and it takes a new run;
#   - a database of a newer version (99) or an unreadable version is
#     refused, with the message pinned, by equery-run and equery-db, and is
#     left untouched;
#   - two programs with a query of the same name get a table each, and each
#     run's export equals its CSV;
#   - retention: week_gap's windows lie on three days a week apart;
#     `equery-db FILE retention 7` keeps the last two, `--db-retention 0`
#     the last day only; no row, event, start or gap of a dropped day is
#     left, and the export of what is left is the CSV's lines of those days.
#
# Usage: store_schema.sh EQUERY_RUN EQUERY_DB TRACES
set -uo pipefail
RUN=$1
DB=$2
TRACES=$3
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
passed=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
pass() { echo "PASS $*"; passed=$((passed + 1)); }
q() { sqlite3 "$1" "$2"; }

LOSS=(examples/loss_root_cause.eq --pcap "$TRACES/loss_chain.pcap" --format csv --quiet)

# creation and upgrade from version 0
: >"$WORK/zero.sqlite"
sqlite3 "$WORK/empty.sqlite" 'PRAGMA user_version = 0; VACUUM;'
for f in new zero empty; do
    if "$RUN" "${LOSS[@]}" --db "$WORK/$f.sqlite" >"$WORK/$f.csv" &&
       [ "$(q "$WORK/$f.sqlite" 'SELECT version FROM schema_version')" = 2 ] &&
       [ "$(q "$WORK/$f.sqlite" 'PRAGMA journal_mode')" = wal ] &&
       "$DB" "$WORK/$f.sqlite" export 1 | cmp -s - "$WORK/$f.csv"; then
        pass "create-$f: schema version 2, WAL, the export equals the CSV"
    else
        fail "create-$f"
    fi
done

# a version-2 database gets a second run (the same program: one programs row)
f=$WORK/new.sqlite
if "$RUN" "${LOSS[@]}" --db "$f" >"$WORK/second.csv" && [ "$(q "$f" 'SELECT count(*) FROM runs')" = 2 ] &&
   [ "$(q "$f" 'SELECT count(*) FROM programs')" = 1 ] && "$DB" "$f" export 2 | cmp -s - "$WORK/second.csv" &&
   "$DB" "$f" export 1 | cmp -s - "$WORK/new.csv"; then
    pass "reopen-v2: a second run, one program, both exports equal their CSVs"
else
    fail "reopen-v2"
fi

# a version-1 database is upgraded to version 2
v1=$WORK/v1.sqlite
sqlite3 "$v1" <"$HERE/schema_v1.sql"
cols="id run address mid input_kind input first_heartbeat last_heartbeat packets bytes drops_nic drops_kernel drops_ring drops_table status"
if [ "$(q "$v1" 'SELECT version FROM schema_version')" = 1 ] &&
   "$RUN" "${LOSS[@]}" --db "$v1" >"$WORK/v1-second.csv" &&
   [ "$(q "$v1" 'SELECT version FROM schema_version')" = 2 ] && [ "$(q "$v1" 'PRAGMA journal_mode')" = wal ] &&
   [ "$(q "$v1" "SELECT group_concat(name, ' ') FROM pragma_table_info('boxes')")" = "$cols" ] &&
   [ "$(q "$v1" "SELECT count(*) FROM sqlite_master WHERE name = 'boxes_run_address'")" = 1 ] &&
   "$DB" "$v1" export 1 | cmp -s - "$HERE/schema_v1.csv" && "$DB" "$v1" export 2 | cmp -s - "$WORK/v1-second.csv"; then
    pass "upgrade-v1: version 1 -> 2, WAL, the boxes table of version 2; the old run exports as its CSV, a new run added"
else
    fail "upgrade-v1: version $(q "$v1" 'SELECT version FROM schema_version'), boxes columns: $(q "$v1" "SELECT group_concat(name, ' ') FROM pragma_table_info('boxes')")"
fi

# another program with queries of the same names (q1 ... q4)
cat >"$WORK/other.eq" <<'EQ'
query q1 = Select(daddr, COUNT(*) AS n) Groupby(daddr) Every(2s);
EQ
if "$RUN" "$WORK/other.eq" --pcap "$TRACES/loss_chain.pcap" --format csv --quiet --db "$f" >"$WORK/other.csv" &&
   [ "$(q "$f" "SELECT tbl FROM query_tables WHERE program = 2 AND query = 'q1'")" = q1_p2 ] &&
   "$DB" "$f" export 3 | cmp -s - "$WORK/other.csv" && "$DB" "$f" export 1 | cmp -s - "$WORK/new.csv"; then
    pass "same-query-name: the second program's q1 is table q1_p2; every export equals its CSV"
else
    fail "same-query-name"
fi

# newer and unreadable versions are refused and left alone
sqlite3 "$WORK/future.sqlite" 'CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (99);'
sum=$(sha1sum <"$WORK/future.sqlite")
got=$("$RUN" "${LOSS[@]}" --db "$WORK/future.sqlite" 2>&1 >/dev/null); rc=$?
want="equery-run: error: --db $WORK/future.sqlite: schema version 99 is newer than this equery's (2): use a newer equery or another file"
[ "$rc" = 3 ] && [ "$got" = "$want" ] && [ "$sum" = "$(sha1sum <"$WORK/future.sqlite")" ] &&
    pass "future-version: refused, file untouched" || { fail "future-version: exit $rc: $got"; }
got=$("$DB" "$WORK/future.sqlite" runs 2>&1); rc=$?
want="equery-db: error: $WORK/future.sqlite: schema version 99 is newer than this equery's (2): use a newer equery or another file"
[ "$rc" = 3 ] && [ "$got" = "$want" ] && pass "future-version-equery-db" || fail "future-version-equery-db: exit $rc: $got"
sqlite3 "$WORK/odd.sqlite" "CREATE TABLE schema_version (version); INSERT INTO schema_version VALUES ('one');"
got=$("$RUN" "${LOSS[@]}" --db "$WORK/odd.sqlite" 2>&1 >/dev/null); rc=$?
want="equery-run: error: --db $WORK/odd.sqlite: a SQLite database, but not an equery results database (no schema_version)"
[ "$rc" = 3 ] && [ "$got" = "$want" ] && pass "unreadable-version" || fail "unreadable-version: exit $rc: $got"

# retention over week_gap (2026-01-01, -08, -15)
WEEK=(tests/run/programs/week_gap.eq --pcap "$TRACES/week_gap.pcap" --format csv --quiet)
days() { q "$1" "SELECT group_concat(d, ' ') FROM (SELECT DISTINCT date(wstart / 1000000000, 'unixepoch') AS d FROM windows ORDER BY d)"; }
left() {
    # rows, events, starts, gaps before the first day kept; rows whose window is gone
    local f=$1 cut=$2 n=0
    for t in $(q "$f" 'SELECT tbl FROM query_tables'); do
        n=$((n + $(q "$f" "SELECT count(*) FROM \"$t\" WHERE (window_id IS NOT NULL AND window_id NOT IN (SELECT id FROM windows)) OR ts < $cut")))
    done
    n=$((n + $(q "$f" "SELECT (SELECT count(*) FROM events WHERE time < $cut) + (SELECT count(*) FROM starts WHERE time < $cut) + (SELECT count(*) FROM gaps WHERE wstart < $cut) + (SELECT count(*) FROM windows WHERE wstart < $cut)")))
    echo "$n"
}
# the CSV lines of the kept days (a gap record over a dropped day goes too)
kept_csv() { python3 - "$1" "$2" <<'PY'
import sys
for line in open(sys.argv[1]):
    f = line.split(",")
    if f[0] == "header":
        continue
    t = f[4] if f[0] == "event" else f[3]  # row, gap, start, nostart: the 4th field
    if t[:10] >= sys.argv[2]:
        sys.stdout.write(line)
PY
}
f=$WORK/week.sqlite
"$RUN" "${WEEK[@]}" --db "$f" >"$WORK/week.csv"
before=$(days "$f")
out=$("$DB" "$f" retention 7)
after=$(days "$f")
cut=$(( ($(date -u -d 2026-01-08 +%s)) * 1000000000 ))
if [ "$before" = "2026-01-01 2026-01-08 2026-01-15" ] && [ "$after" = "2026-01-08 2026-01-15" ] &&
   [ "$(left "$f" "$cut")" = 0 ] && [ "$out" = "equery-db: dropped 15 windows older than 7 days" ]; then
    pass "retention-equery-db: 7 days before 2026-01-15 keeps 2026-01-08 and 2026-01-15; nothing older is left"
else
    fail "retention-equery-db: days '$before' -> '$after', left $(left "$f" "$cut"), said '$out'"
fi
"$DB" "$f" export 1 | grep -v '^header' >"$WORK/week-kept.csv"
kept_csv "$WORK/week.csv" 2026-01-08 >"$WORK/week-want.csv"
cmp -s "$WORK/week-kept.csv" "$WORK/week-want.csv" && pass "retention-export: what is left exports as the CSV's lines of those days" ||
    { fail "retention-export"; diff "$WORK/week-want.csv" "$WORK/week-kept.csv" | head; }
f=$WORK/week0.sqlite
"$RUN" "${WEEK[@]}" --db "$f" --db-retention 0 >/dev/null
cut=$(( ($(date -u -d 2026-01-15 +%s)) * 1000000000 ))
[ "$(days "$f")" = 2026-01-15 ] && [ "$(left "$f" "$cut")" = 0 ] &&
    pass "retention-run: --db-retention 0 keeps the last day only" || fail "retention-run: days '$(days "$f")'"

echo "store schema: $passed passed, $fails failed"
[ "$fails" = 0 ]
