#!/usr/bin/env python3
"""The ClickHouse results store (docs/db.md, "ClickHouse") against a real
clickhouse-server (Debian's), started here as a child in a temporary
folder with its own configuration, on free loopback ports of 18800-18899,
and stopped (its files removed) at the end, whatever happened.

1. Every run case of tests/run that succeeds (the cases db_equals_csv.py
   takes; NAME... for some) runs with `--format csv --db DB --clickhouse
   URL?database=cN`. `equery-db DB export 1` must equal the CSV it printed,
   and every table ClickHouse holds for the run (the per-query tables, runs,
   windows, gaps, events, starts) must equal the SQLite one, value by value:
   so ClickHouse holds exactly what the CSV output holds.
2. SIGTERM and SIGINT mid-run (a capture fed slowly through a pipe):
   ClickHouse holds what the CSV printed, the run is `done`. Three runs of
   two programs with a query q1 into one database: q1 and q1_pSHA.
3. Errors, their messages pinned: a server that is not there at the start
   (nothing measured), bad URLs, a wrong password, a table the server
   refuses (named), and the server killed mid-run (said once; the CSV and
   --db go on; exit 3). The user and password from --clickhouse-auth-file
   and from the URL; a password never stored in runs.args.

Usage: clickhouse_store.py --equery-run PATH --equery-db PATH --traces DIR [NAME...]
Exit status 0 when everything passed, 1 otherwise, 77 (skipped) without
clickhouse-server.
"""

import argparse
import math
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import db_equals_csv as cases  # noqa: E402  (the run cases' parsing, shared)

PORTS = range(18800, 18900)
SERVER = shutil.which("clickhouse-server") or "/usr/sbin/clickhouse-server"
MASK64 = (1 << 64) - 1

CONFIG = """<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{dir}/server.log</log><errorlog>{dir}/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <path>{dir}/data/</path>
  <tmp_path>{dir}/tmp/</tmp_path>
  <user_files_path>{dir}/user_files/</user_files_path>
  <format_schema_path>{dir}/format_schemas/</format_schema_path>
  <users_config>{dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709120</mark_cache_size>{extra}
</yandex>
"""
USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <quotas><default></default></quotas>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile><quota>default</quota></default>
    <eq><password>s3cret</password><networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile><quota>default</quota></eq>
  </users>
</yandex>
"""


def free_port(taken):
    for p in random.sample(PORTS, len(PORTS)):
        if p in taken:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port in 18800-18899")


class Server:
    """A clickhouse-server of our own: its config, data and logs in dir."""

    def __init__(self, work, name="clickhouse", taken=()):
        self.dir = os.path.join(os.path.abspath(work), name)
        os.makedirs(self.dir)
        self.http = free_port(taken)
        self.tcp = free_port(tuple(taken) + (self.http,))
        self.configure()
        with open(os.path.join(self.dir, "users.xml"), "w") as f:
            f.write(USERS)
        self.proc = None
        self.url = "http://127.0.0.1:%d/" % self.http

    def configure(self, extra=""):
        """config.xml, with extra XML in it (remote_servers)."""
        with open(os.path.join(self.dir, "config.xml"), "w") as f:
            f.write(CONFIG.format(dir=self.dir, http=self.http, tcp=self.tcp, extra=extra))

    def start(self):
        log = open(os.path.join(self.dir, "console.log"), "ab")
        self.proc = subprocess.Popen([SERVER, "--config-file=" + os.path.join(self.dir, "config.xml")],
                                     stdout=log, stderr=log, cwd=self.dir, start_new_session=True)
        log.close()
        for _ in range(300):
            if self.proc.poll() is not None:
                break
            try:
                if urllib.request.urlopen(self.url + "ping", timeout=1).read().startswith(b"Ok"):
                    return
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            time.sleep(0.1)
        raise RuntimeError("clickhouse-server did not start: %s" % self.log_tail())

    def log_tail(self):
        out = ""
        for name in ("console.log", "error.log"):
            p = os.path.join(self.dir, name)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    out += f.read()[-2000:]
        return out

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def query(self, sql, db="default"):
        req = urllib.request.Request(self.url + "?database=" + db, data=sql.encode())
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.read().decode()
        except urllib.error.HTTPError as e:  # (with ClickHouse's message)
            raise RuntimeError("%s: HTTP %d: %s" % (sql, e.code, e.read().decode(errors="replace")[:300]))

    def rows(self, sql, db):
        """TabSeparated rows as lists of strings (None for \\N)."""
        out = []
        for line in self.query(sql + " FORMAT TabSeparated", db).splitlines():
            out.append([None if v == "\\N" else
                        v.replace("\\t", "\t").replace("\\n", "\n").replace("\\'", "'").replace("\\\\", "\\")
                        for v in line.split("\t")])
        return out


def norm(v, kind):
    """One value as both stores' forms compare: integers mod 2^64 (SQLite
    reads a u64 above 2^63 back negative), reals as floats (nan as 'nan')."""
    if v is None:
        return None
    if kind == "INTEGER":
        return int(v) & MASK64
    if kind == "REAL":
        f = float(v)
        return "nan" if math.isnan(f) else f
    return str(v)


def compare(server, db, sq, run=None):
    """The differences between ClickHouse database db and SQLite file sq
    (its one run; in ClickHouse the run whose command line names sq, or
    run)."""
    problems = []
    lite = sqlite3.connect(sq)
    if run is None:  # the run that wrote sq (its --db path is in the command line)
        run = server.query("SELECT DISTINCT id FROM runs WHERE position(args, '%s') > 0" % sq, db).split()
        if len(run) != 1:
            return ["ClickHouse holds %d runs, not 1" % len(run)], 0
        run = run[0]

    compared = [0]

    def check(what, want, got):
        compared[0] += len(want)
        if want != got:
            problems.append("%s: SQLite has %d rows, ClickHouse %d; first difference: %s" % (
                what, len(want), len(got),
                next(((w, g) for w, g in zip(want, got) if w != g), "(one is a prefix of the other)")))

    def fixed(table, sqlite_sql, ch_cols, kinds):
        want = [[norm(v, k) for v, k in zip(r, kinds)] for r in lite.execute(sqlite_sql)]
        got = [[norm(v, k) for v, k in zip(r, kinds)]
               for r in server.rows("SELECT %s FROM %s WHERE run = %s ORDER BY seq" % (ch_cols, table, run), db)]
        check(table, want, got)

    fixed("windows", "SELECT seq, query, instance, wstart, wend, partial, started_by, nrows FROM windows ORDER BY seq",
          "seq, query, instance, wstart, wend, partial, started_by, nrows",
          ["INTEGER", "TEXT", "INTEGER", "INTEGER", "INTEGER", "INTEGER", "TEXT", "INTEGER"])
    fixed("gaps", "SELECT seq, query, instance, wstart, wend, windows FROM gaps ORDER BY seq",
          "seq, query, instance, wstart, wend, windows", ["INTEGER", "TEXT"] + ["INTEGER"] * 4)
    fixed("events", 'SELECT e.seq, event, e.query, e.instance, time, w.seq, "values" FROM events e '
          "LEFT JOIN windows w ON w.id = e.window ORDER BY e.seq",
          "seq, event, query, instance, time, window, `values`",
          ["INTEGER", "TEXT", "TEXT", "INTEGER", "INTEGER", "INTEGER", "TEXT"])
    fixed("starts", "SELECT seq, query, instance, time, trigger, params, note FROM starts ORDER BY seq",
          "seq, query, instance, time, trigger, params, note",
          ["INTEGER", "TEXT", "INTEGER", "INTEGER", "TEXT", "TEXT", "TEXT"])
    counts = "status, packets, bytes, malformed, groups_dropped, windows, rows, events, starts, " \
             "starts_refused, gaps, late, first_ts, last_ts, summary"
    want = [list(r) for r in lite.execute("SELECT %s FROM runs" % counts)]
    got = [[int(v) if v is not None and v.lstrip("-").isdigit() else v for v in r]
           for r in server.rows("SELECT %s FROM runs FINAL WHERE id = %s" % (counts, run), db)]
    check("runs", want, got)
    # the per-query tables: a window's row as (window seq, place in the
    # window, window start, values); a packet row as (0, seq, time, values)
    # (no IN (SELECT ...): over Distributed tables 18.16 denies it)
    program = server.query("SELECT any(program) FROM runs WHERE id = %s" % run, db).strip()
    ch_tables = dict(server.rows("SELECT query, tbl FROM query_tables WHERE program = '%s'" % program, db))
    for query, tbl in lite.execute("SELECT query, tbl FROM query_tables"):
        cols = [(r[1], (r[2] or "TEXT").upper()) for r in lite.execute('PRAGMA table_info("%s")' % tbl)][4:]
        kinds = [k for _, k in cols]
        names = ", ".join('"%s"' % c for c, _ in cols)
        want, place, last = [], 0, None
        for r in lite.execute('SELECT w.seq, w.wstart, %s FROM "%s" t JOIN windows w ON w.id = t.window_id '
                              "ORDER BY t.rowid" % (", ".join("t.\"%s\"" % c for c, _ in cols), tbl)):
            place = place + 1 if r[0] == last else 1
            last = r[0]
            want.append([r[0], place, r[1]] + [norm(v, k) for v, k in zip(r[2:], kinds)])
        for r in lite.execute('SELECT seq, ts, %s FROM "%s" WHERE window_id IS NULL ORDER BY seq' % (names, tbl)):
            want.append([0, r[0], r[1]] + [norm(v, k) for v, k in zip(r[2:], kinds)])
        if query not in ch_tables:
            problems.append("query %s: no table in ClickHouse's query_tables" % query)
            continue
        got = [[int(r[0]), int(r[1]), int(r[2])] + [norm(v, k) for v, k in zip(r[3:], kinds)]
               for r in server.rows('SELECT window_id, seq, ts, %s FROM "%s" WHERE run_id = %s '
                                    "ORDER BY window_id = 0, window_id, seq" % (names, ch_tables[query], run), db)]
        check("table %s (query %s)" % (ch_tables[query], query), want, got)
    lite.close()
    return problems, compared[0]


class Results:
    """PASS and FAIL lines, counted (clickhouse_fleet.py's too)."""

    def __init__(self):
        self.failed = self.passed = 0

    def result(self, name, problems, note=""):
        if problems:
            self.failed += 1
            print("FAIL %s: %s" % (name, "\n  ".join(problems)))
        else:
            self.passed += 1
            print("PASS %s%s" % (name, note))
        sys.stdout.flush()


class Tests(Results):
    def __init__(self, a, work, server):
        super().__init__()
        self.a, self.work, self.server = a, work, server

    def run_cases(self):
        names = sorted(f[:-4] for f in os.listdir(cases.RUN_DIR) if f.endswith(".run"))
        for n, name in enumerate(names):
            if self.a.names and name not in self.a.names:
                continue
            words, want_rc, stdin = cases.parse(os.path.join(cases.RUN_DIR, name + ".run"))
            if want_rc != 0:
                print("N/A  %s: the case fails on purpose (exit %d): no run to store" % (name, want_rc))
                continue
            if any("{shared}" in w for w in words) and not os.path.isdir(self.a.shared):
                print("N/A  %s: the real captures (../shared/traces) are not here" % name)
                continue
            outdir = os.path.join(self.work, name + ".out.d")

            def subst(w):
                return (w.replace("{repo}", cases.REPO).replace("{traces}", self.a.traces)
                        .replace("{shared}", self.a.shared).replace("{out}", outdir))
            args, _ = cases.strip_output_args([subst(w) for w in words])
            db, sq = "c%d" % n, os.path.join(self.work, name + ".sqlite")
            with open(subst(stdin), "rb") if stdin else open(os.devnull, "rb") as inp:
                r = subprocess.run([self.a.equery_run] + args + ["--format", "csv", "--db", sq, "--clickhouse",
                                                                 self.server.url + "?database=" + db],
                                   stdin=inp, capture_output=True, cwd=cases.REPO, timeout=600)
            if r.returncode != 0:
                self.result(name, ["equery-run exited %d: %s" % (r.returncode, r.stderr.decode(errors="replace"))])
                continue
            e = subprocess.run([self.a.equery_db, sq, "export", "1"], capture_output=True)
            problems = [] if e.stdout == r.stdout else ["equery-db export differs from the CSV output"]
            more, n = compare(self.server, db, sq)
            self.result(name, problems + more, ": ClickHouse equals --db (%d rows), whose export equals the CSV "
                        "(%d lines)" % (n, r.stdout.count(b"\n")))
            self.server.query("DROP DATABASE " + db)

    def slow_run(self, name, url, extra=()):
        """equery-run on a capture fed slowly through a pipe; returns
        (proc, generator, csv path, err path) once 5 windows are out."""
        gen = subprocess.Popen([sys.executable, os.path.join(HERE, "slow_pcap.py"), "200", "50"],
                               stdout=subprocess.PIPE)
        csv, err = os.path.join(self.work, name + ".csv"), os.path.join(self.work, name + ".err")
        proc = subprocess.Popen([self.a.equery_run, os.path.join(HERE, "signals.eq"), "--pcap", "-", "--format",
                                 "csv", "--no-progress", "--clickhouse", url] + list(extra),
                                stdin=gen.stdout, stdout=open(csv, "wb"), stderr=open(err, "wb"))
        gen.stdout.close()
        for _ in range(300):
            with open(csv, "rb") as f:
                if f.read().count(b"\nrow,total,") >= 5:
                    return proc, gen, csv, err
            time.sleep(0.05)
        return proc, gen, csv, err

    def sigterm(self, sig=signal.SIGTERM):
        db = sig.name.lower()
        sq = os.path.join(self.work, db + ".sqlite")
        proc, gen, csv, err = self.slow_run(db, self.server.url + "?database=" + db, ["--db", sq])
        try:
            proc.send_signal(sig)
            rc = proc.wait(timeout=60)
        finally:
            gen.kill()
            gen.wait()
        problems = [] if rc == 0 else ["equery-run exited %d: %s" % (rc, open(err).read())]
        e = subprocess.run([self.a.equery_db, sq, "export", "1"], capture_output=True)
        if e.stdout != open(csv, "rb").read():
            problems.append("the --db export differs from the CSV output")
        problems += compare(self.server, db, sq)[0]
        status = self.server.query("SELECT status FROM runs FINAL", db).strip()
        if status != "done":
            problems.append("the run's status is '%s', not done" % status)
        self.result("%s mid-run" % sig.name, problems, ": ClickHouse equals the CSV output (%d windows)" % int(
            self.server.query("SELECT count() FROM windows", db)))

    def expect(self, name, args, rc, stderr, stdout_empty=True):
        r = subprocess.run([self.a.equery_run, os.path.join(cases.REPO, "examples", "loss_root_cause.eq"), "--pcap",
                            os.path.join(cases.REPO, "examples", "traces", "loss_chain.pcap"), "--format", "csv"] + args,
                           capture_output=True, timeout=120)
        problems = []
        if r.returncode != rc:
            problems.append("exit %d, not %d" % (r.returncode, rc))
        got = r.stderr.decode(errors="replace")
        # (a whole text, or one of its lines starts so)
        if not (got == stderr if stderr.endswith("\n") else any(x.startswith(stderr) for x in got.splitlines())):
            problems.append("stderr:\n    %r\n  wanted:\n    %r" % (got, stderr))
        if stdout_empty and r.stdout:
            problems.append("it printed results: the error must come before measuring")
        self.result(name, problems)
        return r

    def errors(self):
        url = self.server.url
        gone = "http://127.0.0.1:%d/?database=x" % free_port((self.server.http, self.server.tcp))
        self.expect("server down at the start", ["--clickhouse", gone], 3,
                    "equery-run: error: --clickhouse %s: SELECT version(): cannot reach the server "
                    "(Couldn't connect to server)\n" % gone)
        self.expect("not an http URL", ["--clickhouse", "ftp://127.0.0.1/"], 3,
                    "equery-run: error: --clickhouse ftp://127.0.0.1/: not an http:// or https:// URL "
                    "(http://HOST:8123/?database=NAME)\n")
        self.expect("not a URL", ["--clickhouse", "127.0.0.1 8123"], 3,
                    "equery-run: error: --clickhouse 127.0.0.1 8123: not an http:// or https:// URL "
                    "(http://HOST:8123/?database=NAME)\n")
        self.expect("a database name that is not plain", ["--clickhouse", url + "?database=a;b"], 3,
                    "equery-run: error: --clickhouse %s?database=a;b: the database name 'a;b' is not a plain name "
                    "(letters, digits, _)\n" % url)
        self.expect("auth file without it", ["--clickhouse-auth-file", "/nonexistent"], 2,
                    "equery-run: error: --clickhouse-auth-file is for --clickhouse URL\n"
                    "Try 'equery-run --help' for more information.\n")
        self.expect("missing auth file", ["--clickhouse", url, "--clickhouse-auth-file", "/nonexistent/auth"], 3,
                    "equery-run: error: --clickhouse-auth-file /nonexistent/auth: No such file or directory\n")
        auth = os.path.join(self.work, "auth")
        with open(auth, "w") as f:
            f.write("s3cret\n")
        self.expect("auth file without a user", ["--clickhouse", url, "--clickhouse-auth-file", auth], 3,
                    "equery-run: error: --clickhouse-auth-file %s: expected one line USER:PASSWORD\n" % auth)
        with open(auth, "w") as f:
            f.write("eq:wrong\n")
        self.expect("wrong password", ["--clickhouse", url + "?database=auth", "--clickhouse-auth-file", auth], 3,
                    "equery-run: error: --clickhouse %s?database=auth: SELECT version(): HTTP " % url)
        with open(auth, "w") as f:
            f.write("eq:s3cret\n")
        self.expect("user from --clickhouse-auth-file",
                    ["--clickhouse", url + "?database=auth", "--clickhouse-auth-file", auth], 0, "equery-run: 1722",
                    stdout_empty=False)
        with_pw = url.replace("http://", "http://eq:s3cret@") + "?database=auth"
        self.expect("user and password in the URL", ["--clickhouse", with_pw], 0, "equery-run: 1722",
                    stdout_empty=False)
        args = self.server.query("SELECT args FROM runs", "auth")
        self.result("no password stored", ["runs.args holds the password: " + args] if "s3cret" in args or
                    "eq:***@" not in args else [])
        # a table the server refuses: named, the run's other outputs go on
        self.server.query("CREATE DATABASE broken")
        self.server.query("CREATE TABLE broken.windows (x String) ENGINE = MergeTree ORDER BY x")
        want = subprocess.run([self.a.equery_run, os.path.join(cases.REPO, "examples", "loss_root_cause.eq"),
                               "--pcap", os.path.join(cases.REPO, "examples", "traces", "loss_chain.pcap"),
                               "--format", "csv"], capture_output=True).stdout
        r = self.expect("a table the server refuses", ["--clickhouse", url + "?database=broken"], 3,
                        "equery-run: error: --clickhouse %s?database=broken: table windows: " % url,
                        stdout_empty=False)
        self.result("the CSV goes on without ClickHouse", [] if r.stdout == want else ["the CSV output differs"])

    def shared_database(self):
        """Two programs with a query q1, three runs, one database."""
        loss = [os.path.join(cases.REPO, "examples", "loss_root_cause.eq"), "--pcap",
                os.path.join(cases.REPO, "examples", "traces", "loss_chain.pcap")]
        other = os.path.join(self.work, "other.eq")
        with open(other, "w") as f:
            f.write("query q1 = Select(daddr, COUNT(*) AS n) Groupby(daddr) Every(2s);\n")
        problems, url = [], self.server.url + "?database=shared"
        for i, prog in enumerate((loss, loss, [other] + loss[1:])):
            sq = os.path.join(self.work, "shared%d.sqlite" % i)
            r = subprocess.run([self.a.equery_run] + prog + ["--format", "csv", "--quiet", "--db", sq,
                                                              "--clickhouse", url], capture_output=True)
            if r.returncode:
                problems.append("run %d exited %d: %s" % (i, r.returncode, r.stderr.decode(errors="replace")))
                continue
            problems += ["run %d: %s" % (i, p) for p in compare(self.server, "shared", sq)[0]]
        tables = self.server.query("SELECT tbl FROM query_tables WHERE query = 'q1' ORDER BY tbl", "shared").split()
        progs = self.server.query("SELECT count() FROM programs", "shared").strip()
        if progs != "2" or len(tables) != 2 or tables[0] != "q1" or not re.fullmatch(r"q1_p[0-9a-f]{8}", tables[1]):
            problems.append("programs %s, q1's tables %s: wanted 2 programs, q1 and q1_pSHA" % (progs, tables))
        self.result("three runs of two programs in one database", problems, ": q1's tables %s" % tables)

    def retention(self):
        """--db-retention DAYS drops the partitions (days) before the newest
        window's day minus DAYS: week_gap's windows lie on three days a week
        apart. Then equery-db --clickhouse URL retention DAYS the same."""
        for keep in (7, 0):
            db = "retention%d" % keep
            r = subprocess.run([self.a.equery_run, os.path.join(cases.RUN_DIR, "programs", "week_gap.eq"), "--pcap",
                                os.path.join(self.a.traces, "week_gap.pcap"), "--format", "none", "--quiet",
                                "--clickhouse", self.server.url + "?database=" + db, "--db-retention", str(keep)],
                               capture_output=True)
            if r.returncode:
                self.result("--db-retention %d" % keep, ["exit %d: %s" % (r.returncode, r.stderr.decode())])
                continue
            bad = self.days_held(db, keep)
            self.result("--db-retention %d" % keep, bad)
        # equery-db --clickhouse URL retention DAYS, on the whole database
        db = "retention_db"
        url = self.server.url + "?database=" + db
        r = subprocess.run([self.a.equery_run, os.path.join(cases.RUN_DIR, "programs", "week_gap.eq"), "--pcap",
                            os.path.join(self.a.traces, "week_gap.pcap"), "--format", "none", "--quiet",
                            "--clickhouse", url], capture_output=True)
        for keep in (7, 0):
            e = subprocess.run([self.a.equery_db, "--clickhouse", url, "retention", str(keep)], capture_output=True)
            out = e.stdout.decode()
            bad = [] if r.returncode == 0 and e.returncode == 0 and re.fullmatch(
                r"equery-db: dropped \d+ windows older than %d days\n" % keep, out) else [
                "exit %d, %d: %r %r" % (r.returncode, e.returncode, out, e.stderr.decode())]
            bad += self.days_held(db, keep)
            self.result("equery-db --clickhouse URL retention %d" % keep, bad, ": " + out.strip())
        gone = "http://127.0.0.1:%d/?database=x" % free_port((self.server.http, self.server.tcp))
        e = subprocess.run([self.a.equery_db, "--clickhouse", gone, "retention", "1"], capture_output=True)
        want = ("equery-db: error: --clickhouse %s: SELECT version(): cannot reach the server (Couldn't connect to "
                "server)\n" % gone)
        self.result("equery-db --clickhouse: a server not there", [] if e.returncode == 3 and e.stderr.decode() ==
                    want else ["exit %d: %r" % (e.returncode, e.stderr.decode())])

    def days_held(self, db, keep):
        """The days week_gap's tables hold after retention `keep`, wrong ones said."""
        tables = [t for (t,) in self.server.rows("SELECT tbl FROM query_tables", db)] + ["windows"]
        days = {t: self.server.query("SELECT groupUniqArray(toString(toDate(intDiv(%s, 1000000000)))) FROM %s" % (
            "wstart" if t == "windows" else "ts", t), db).strip() for t in tables}
        want = "['2026-01-15']" if keep == 0 else ("['2026-01-08','2026-01-15']", "['2026-01-15','2026-01-08']")
        return ["%s holds the days %s" % (t, d) for t, d in days.items() if d not in want]

    def wait_for(self, path, text, timeout=60):
        """Waits until file path holds text; True when it does."""
        for _ in range(int(timeout / 0.1)):
            with open(path, errors="replace") as f:
                if text in f.read():
                    return True
            time.sleep(0.1)
        return False

    def stop_run(self, proc, gen):
        try:
            proc.send_signal(signal.SIGTERM)
            return proc.wait(timeout=120)
        finally:
            gen.kill()
            gen.wait()

    def warned(self, text, url, problems):
        """The server's absence said once as a warning, and no error."""
        away = [line for line in text.splitlines() if line.startswith("equery-run: warning: --clickhouse %s: table "
                                                                          % url)]
        if len(away) != 1 or "cannot reach the server" not in away[0] or not away[0].endswith(
                ": the records are kept in memory (up to 64000000 bytes, --clickhouse-buffer) and sent when it is "
                "back"):
            problems.append("the absence, said once: %r" % away)
        return away

    def midrun(self):
        """The server killed mid-run and not back: said once, the CSV and
        --db go on; at the end, what was kept is counted as not written."""
        sq = os.path.join(self.work, "midrun.sqlite")
        url = self.server.url + "?database=midrun"
        proc, gen, csv, err = self.slow_run("midrun", url, ["--db", sq, "--clickhouse-wait", "2"])
        self.server.kill()
        time.sleep(1.5)
        rc = self.stop_run(proc, gen)
        text = open(err).read()
        problems = [] if rc == 3 else ["exit %d, not 3" % rc]
        self.warned(text, url, problems)
        lost = [line for line in text.splitlines() if line.startswith("equery-run: error: --clickhouse")]
        if len(lost) != 1 or not re.fullmatch(r"equery-run: error: --clickhouse %s: \d+ rows of run \d+ were not "
                                              r"written \(.*windows \d+.*\): the server was still away 2 s after "
                                              r"the end \(--clickhouse-wait\)" % re.escape(url), lost[0]):
            problems.append("the loss, once: %r" % lost)
        e = subprocess.run([self.a.equery_db, sq, "export", "1"], capture_output=True)
        lines = open(csv, "rb").read()
        if e.stdout != lines:
            problems.append("the --db export differs from the CSV output: the run did not go on")
        self.result("server killed mid-run, not back", problems, ": %s" % (lost[0] if lost else ""))

    def outage(self):
        """The server killed mid-run, then back: what was kept is written,
        in order, nothing lost, nothing twice."""
        sq = os.path.join(self.work, "outage.sqlite")
        url = self.server.url + "?database=outage"
        proc, gen, csv, err = self.slow_run("outage", url, ["--db", sq])
        self.server.kill()
        time.sleep(2)
        self.server.start()
        back = self.wait_for(err, "the server is back")
        rc = self.stop_run(proc, gen)
        text = open(err).read()
        problems = [] if rc == 0 else ["exit %d: %s" % (rc, text)]
        self.warned(text, url, problems)
        said = [line for line in text.splitlines() if "the server is back" in line]
        if not back or len(said) != 1 or not re.fullmatch(r"equery-run: --clickhouse %s: the server is back after "
                                                          r"\d+ s; the \d+ rows kept meanwhile are written"
                                                          % re.escape(url), said[0]):
            problems.append("the return, once: %r" % said)
        problems += compare(self.server, "outage", sq)[0]
        status = self.server.query("SELECT status FROM runs FINAL", "outage").strip()
        if status != "done":
            problems.append("the run's status is '%s', not done" % status)
        self.result("server away mid-run, then back", problems, ": ClickHouse equals --db (%s windows); %s" % (
            self.server.query("SELECT count() FROM windows", "outage").strip(), said[0] if said else ""))

    def buffer_full(self):
        """--clickhouse-buffer: beyond it whole batches are dropped and
        counted; what is kept is written when the server is back; exit 3."""
        sq = os.path.join(self.work, "full.sqlite")
        url = self.server.url + "?database=full"
        proc, gen, csv, err = self.slow_run("full", url, ["--db", sq, "--clickhouse-buffer", "20k"])
        self.server.kill()
        full = self.wait_for(err, "the buffer is full")
        self.server.start()
        back = self.wait_for(err, "the server is back")
        rc = self.stop_run(proc, gen)
        text = open(err).read()
        problems = [] if rc == 3 else ["exit %d, not 3: %s" % (rc, text)]
        if not full or not back:
            problems.append("no 'buffer is full' (%s) or 'server is back' (%s): %s" % (full, back, text))
        said = [line for line in text.splitlines() if "the buffer is full" in line]
        if len(said) != 1 or not said[0].endswith("--clickhouse-buffer 20000): the newest windows are dropped, and "
                                                  "counted, until the server is back"):
            problems.append("the full buffer, once: %r" % said)
        lost = [line for line in text.splitlines() if line.startswith("equery-run: error: --clickhouse")]
        m = re.fullmatch(r"equery-run: error: --clickhouse %s: (\d+) rows of run \d+ were not written \((.*)\): "
                         r"the buffer \(--clickhouse-buffer\) was full while the server was away" % re.escape(url),
                         lost[0]) if len(lost) == 1 else None
        if not m:
            problems.append("the loss, once: %r" % lost)
        else:
            dropped = dict((k, int(v)) for k, v in (x.split(" ") for x in m.group(2).split(", ")))
            lite = sqlite3.connect(sq)
            for tbl, key in (("windows", "run"), ("pairs", "run_id")):
                held = int(self.server.query("SELECT count() FROM %s" % tbl, "full"))
                want = lite.execute("SELECT count() FROM %s" % tbl).fetchone()[0]
                if held + dropped.get(tbl, 0) != want:
                    problems.append("%s: ClickHouse holds %d, %d dropped, SQLite %d" % (
                        tbl, held, dropped.get(tbl, 0), want))
                dup = self.server.query("SELECT count() FROM (SELECT %s, %s, count() AS n FROM %s GROUP BY %s, %s "
                                        "HAVING n > 1)" % (key, "seq" if tbl == "windows" else "window_id, seq", tbl,
                                                           key, "seq" if tbl == "windows" else "window_id, seq"),
                                        "full").strip()
                if dup != "0":
                    problems.append("%s: %s rows twice" % (tbl, dup))
            lite.close()
            if not dropped.get("windows"):
                problems.append("no windows dropped: %s" % lost[0])
        status = self.server.query("SELECT status FROM runs FINAL", "full").strip()
        if status != "failed":
            problems.append("the run's status is '%s', not failed" % status)
        self.result("--clickhouse-buffer full", problems, ": %s; %s" % (said[0] if said else "",
                                                                       lost[0] if lost else ""))

    def lost_answer(self, mode):
        """An INSERT whose answer is lost (mode 'answer', into windows:
        ClickHouse stored it) or that never arrived (mode 'request', into a
        query table), through a proxy: looked for before it is sent again,
        so nothing twice and nothing lost."""
        table = "windows" if mode == "answer" else "pairs"  # (both kinds of keys)
        proxy = Proxy(self.server.url, lose=mode, table=table, after=3)
        db = "lost" + mode
        sq = os.path.join(self.work, db + ".sqlite")
        url = proxy.url + "?database=" + db
        try:
            proc, gen, csv, err = self.slow_run(db, url, ["--db", sq])
            back = self.wait_for(err, "the server is back")
            rc = self.stop_run(proc, gen)
        finally:
            proxy.close()
        text = open(err).read()
        problems = [] if rc == 0 and back else ["exit %d (%s): %s" % (rc, back, text)]
        if not proxy.lost:
            problems.append("the proxy lost no INSERT")
        problems += compare(self.server, db, sq)[0]
        self.result("an INSERT whose %s was lost" % mode, problems, ": %s into %s, once; ClickHouse equals --db" % (
            "sent again" if mode == "request" else "not sent again", proxy.lost))


class Proxy:
    """An HTTP proxy to the server that loses one INSERT into table, the `after`-th:
    lose='answer' forwards it and drops the answer (the connection closed);
    lose='request' drops it unsent."""

    def __init__(self, target, lose, table, after):
        import http.server
        import threading
        outer = self
        self.lost, self.count = None, 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                insert = 'INSERT INTO "%s"' % table in urllib.parse.unquote_plus(self.path)
                if insert:
                    outer.count += 1
                lose = insert and outer.count == after
                if lose:
                    outer.lost = re.search(r"INSERT INTO \"?(\w+)", urllib.parse.unquote_plus(self.path)).group(1)
                if lose and outer.mode == "request":
                    self.close_connection = True
                    return
                req = urllib.request.Request(target.rstrip("/") + self.path, data=body)
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        status, data = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, data = e.code, e.read()
                if lose:
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.mode = lose
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def run_all(results, servers, work, body):
    """Runs body(); an exception is the servers' own trouble: said, with
    their logs. The servers are stopped and work removed whatever
    happened. The exit status."""
    try:
        body()
    except Exception as e:
        results.failed += 1
        print("FAIL %s: %s\n%s" % (type(e).__name__, e, "\n".join(s.log_tail() for s in servers)))
    finally:
        for s in servers:
            s.stop()
            s.kill()
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (results.passed, results.failed))
    return 1 if results.failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--equery-run", required=True)
    ap.add_argument("--equery-db", required=True)
    ap.add_argument("--traces", required=True)
    ap.add_argument("--shared", default=os.path.join(cases.REPO, "..", "shared", "traces"))
    ap.add_argument("--only", help="these parts only (comma-separated: errors,sigterm,...,midrun)")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    if not os.access(SERVER, os.X_OK):
        print("SKIP: no clickhouse-server (Debian package clickhouse-server; scripts/install-deps.sh)")
        return 77
    work = tempfile.mkdtemp(prefix="eq-clickhouse-test.")
    server = Server(work)
    t = Tests(a, work, server)

    def parts():
        server.start()
        print("clickhouse-server %s on 127.0.0.1:%d (%s)" % (server.query("SELECT version()").strip(),
                                                            server.http, server.dir))
        steps = [("errors", t.errors), ("sigterm", lambda: t.sigterm(signal.SIGTERM)),
                 ("sigint", lambda: t.sigterm(signal.SIGINT)), ("shared", t.shared_database),
                 ("retention", t.retention), ("cases", t.run_cases),
                 ("lost_answer", lambda: t.lost_answer("answer")), ("lost_request", lambda: t.lost_answer("request")),
                 ("outage", t.outage), ("buffer_full", t.buffer_full), ("midrun", t.midrun)]
        for name, part in steps:  # (midrun last: it leaves the server down)
            if not a.only or name in a.only.split(","):
                part()
    return run_all(t, [server], work, parts)


if __name__ == "__main__":
    sys.exit(main())
