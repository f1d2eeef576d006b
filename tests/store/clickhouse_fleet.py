#!/usr/bin/env python3
"""ClickHouse for a fleet (docs/scale.md, docs/db.md "ClickHouse") against
two real clickhouse-server processes (Debian's), each a shard, started here
as children in a temporary folder with their own configuration (loopback,
free ports of 18800-18899, a `remote_servers` cluster `fleet` of both), and
stopped, their files removed, at the end, whatever happened.

1. Distributed: loss_chain's first part is measured into shard A, its
   second part into shard B (`equery-run --clickhouse URL
   --clickhouse-distributed fleet`, each with `--db` too). Through the
   Distributed tables of database equery_all, on either server, each run
   equals its SQLite file value by value, and every table holds as many
   rows as the two SQLite files together: the whole network, nothing twice.
   An unknown cluster and a URL without a database are refused, named.
2. equery-server --clickhouse URL: a program submitted on a capture of
   --captures; when it is done the ClickHouse tables of its run equal the
   server's SQLite ones, value by value.

Usage: clickhouse_fleet.py --equery-run PATH --equery-server PATH --traces DIR
Exit status 0 when everything passed, 1 otherwise, 77 (skipped) without
clickhouse-server.
"""

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import clickhouse_store as chs  # noqa: E402  (the servers, the comparison)

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
PROGRAM = os.path.join(REPO, "examples", "loss_root_cause.eq")

REMOTE = """
  <remote_servers><fleet>
    <shard><replica><host>127.0.0.1</host><port>{a}</port></replica></shard>
    <shard><replica><host>127.0.0.1</host><port>{b}</port></replica></shard>
  </fleet></remote_servers>"""


class Tests(chs.Results):
    def __init__(self, a, work, shards):
        super().__init__()
        self.a, self.work, self.shards = a, work, shards

    def distributed(self):
        parts = [os.path.join(self.a.traces, "loss_chain_parts", "part%d.pcap" % k) for k in (1, 2)]
        files = []
        for shard, pcap in zip(self.shards, parts):
            sq = os.path.join(self.work, os.path.basename(pcap) + ".sqlite")
            r = subprocess.run([self.a.equery_run, PROGRAM, "--pcap", pcap, "--format", "none", "--quiet", "--db",
                                sq, "--clickhouse", shard.url + "?database=equery", "--clickhouse-distributed",
                                "fleet"], capture_output=True, timeout=300)
            self.result("a run into shard %d" % shard.http, [] if r.returncode == 0 else [
                "exit %d: %s" % (r.returncode, r.stderr.decode(errors="replace"))])
            files.append(sq)
        for shard in self.shards:
            problems, n = [], 0
            for sq in files:
                more, k = chs.compare(shard, "equery_all", sq)
                problems += ["%s: %s" % (os.path.basename(sq), p) for p in more]
                n += k
            tables = ["windows", "events", "starts", "gaps"] + [
                t for (t,) in shard.rows("SELECT DISTINCT tbl FROM query_tables", "equery_all")]
            for t in tables:
                got = int(shard.query('SELECT count() FROM "%s"' % t, "equery_all"))
                want = sum(sqlite3.connect(sq).execute('SELECT count() FROM "%s"' % t).fetchone()[0] for sq in files)
                if got != want:
                    problems.append("equery_all.%s: %d rows, the SQLite files %d" % (t, got, want))
            runs = shard.query("SELECT count() FROM runs FINAL", "equery_all").strip()
            if runs != "2":
                problems.append("equery_all.runs: %s runs, not 2" % runs)
            self.result("Distributed tables read on shard %d" % shard.http, problems,
                        ": both runs equal their SQLite files (%d rows), %d tables whole" % (n, len(tables)))
        pcap = parts[0]
        for args, want in (
                (["--clickhouse-distributed", "nowhere"], "equery-run: error: --clickhouse-distributed nowhere: "
                 "the server at %s?database=bad has no such cluster in its remote_servers (SELECT cluster FROM "
                 "system.clusters)\n" % self.shards[0].url),
                (["--clickhouse-distributed", "fleet;"], "equery-run: error: --clickhouse-distributed fleet;: the "
                 "cluster name is not a plain name (letters, digits, _)\n")):
            r = subprocess.run([self.a.equery_run, PROGRAM, "--pcap", pcap, "--format", "none", "--quiet",
                                "--clickhouse", self.shards[0].url + "?database=bad"] + args, capture_output=True,
                               timeout=120)
            err = r.stderr.decode(errors="replace")
            ok = err == want if want.endswith("\n") else err.startswith(want)
            self.result("--clickhouse-distributed %s refused" % args[1], [] if r.returncode == 3 and ok else [
                "exit %d: %r, wanted %r" % (r.returncode, err, want)], ": " + err.strip()[:200])
        r = subprocess.run([self.a.equery_run, PROGRAM, "--pcap", pcap, "--format", "none", "--quiet",
                            "--clickhouse", self.shards[0].url, "--clickhouse-distributed", "fleet"],
                           capture_output=True, timeout=120)
        want = ("equery-run: error: --clickhouse-distributed fleet: needs a database in the --clickhouse URL "
                "(?database=NAME): its tables are the shards'\n")
        self.result("--clickhouse-distributed without a database", [] if r.returncode == 3 and r.stderr.decode() ==
                    want else ["exit %d: %r" % (r.returncode, r.stderr.decode())])

    def server(self):
        shard = self.shards[0]
        caps = os.path.join(self.work, "captures")
        os.mkdir(caps)
        shutil.copy(os.path.join(self.a.traces, "loss_chain.pcap"), caps)
        sq, log = os.path.join(self.work, "server.sqlite"), os.path.join(self.work, "server.log")
        logf = open(log, "wb")
        proc = subprocess.Popen([self.a.equery_server, "--listen", "127.0.0.1:0", "--db", sq, "--captures", caps,
                                 "--clickhouse", shard.url + "?database=srv"], stdout=subprocess.DEVNULL,
                                stderr=logf)
        logf.close()
        problems, n = [], 0

        def text():
            with open(log, errors="replace") as f:
                return f.read()

        try:
            port = None
            for _ in range(200):
                m = re.search(r"\(port (\d+)\)", text())
                if m:
                    port = int(m.group(1))
                    break
                time.sleep(0.05)
            if not port:
                raise RuntimeError("equery-server did not say its port: " + text())
            req = json.dumps({"source": open(PROGRAM).read(), "name": "loss.eq",
                              "capture": "loss_chain.pcap"}).encode()
            try:
                r = urllib.request.urlopen(urllib.request.Request(
                    "http://127.0.0.1:%d/api/programs" % port, data=req,
                    headers={"Content-Type": "application/json"}), timeout=60)
            except urllib.error.HTTPError as e:
                raise RuntimeError("POST /api/programs: %d %s" % (e.code, e.read()[:300]))
            pid = json.loads(r.read())["id"]
            for _ in range(1200):
                if re.search(r"equery-server: program %d (done|failed|stopped)\n" % pid, text()):
                    break
                time.sleep(0.05)
            m = re.search(r"equery-server: program %d is ClickHouse run (\d+)\n" % pid, text())
            if not re.search(r"equery-server: program %d done\n" % pid, text()) or not m:
                problems.append("the program did not end done, with its ClickHouse run said: " + text())
            else:
                more, n = chs.compare(shard, "srv", sq, m.group(1))
                problems += more
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            problems.append("equery-server exited %d: %s" % (proc.returncode, text()))
        self.result("equery-server --clickhouse", problems, ": ClickHouse equals the server's SQLite (%d rows)" %
                    (n if not problems else 0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--equery-run", required=True)
    ap.add_argument("--equery-server", required=True)
    ap.add_argument("--traces", required=True)
    a = ap.parse_args()
    if not os.access(chs.SERVER, os.X_OK):
        print("SKIP: no clickhouse-server (Debian package clickhouse-server; scripts/install-deps.sh)")
        return 77
    work = tempfile.mkdtemp(prefix="eq-clickhouse-fleet.")
    shards = []
    t = Tests(a, work, shards)

    def parts():
        for name in ("shard1", "shard2"):
            taken = [p for s in shards for p in (s.http, s.tcp)]
            shards.append(chs.Server(work, name, taken))
        for s in shards:
            s.configure(REMOTE.format(a=shards[0].tcp, b=shards[1].tcp))
            s.start()
            print("clickhouse-server %s on 127.0.0.1:%d (tcp %d, %s)" % (s.query("SELECT version()").strip(),
                                                                         s.http, s.tcp, s.dir))
        t.distributed()
        t.server()
    return chs.run_all(t, shards, work, parts)


if __name__ == "__main__":
    sys.exit(main())
