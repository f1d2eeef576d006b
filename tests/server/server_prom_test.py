#!/usr/bin/env python3
"""server_prom_test.py BUILD SRCDIR: equery-server's GET /metrics, with real
processes on loopback (docs/export.md, "Prometheus").

1. A real equery-box (--mid 7) replaying loss_chain.pcap and a real
   equery-server with a token in front of it. A program deployed on the box
   by hand holds still at its first window boundary: the server's box
   series equal the box's own /api/status. Then the server runs examples/loss_root_cause.eq
   (windows, events and triggered starts) to its end, while a Server-Sent
   Events stream is open.
2. /metrics without the token: 401 with the API's message; with it: 200,
   text/plain; version=0.0.4, `promtool check metrics` clean, every server
   family of export/prom_metrics.def once in its order (and no box family).
   The values are derived independently: windows, rows, events and starts
   per query are counted in the SQLite database with Python's sqlite3; the
   box's packets, bytes and drops are its /api/status read directly; the
   SSE gauge is 1 with the stream open and 0 after; the trigger and
   database-write histograms counted; no address or port in a label.
3. A real prometheus (Debian's) on a free loopback port scrapes the server
   with the token (and once with a wrong one): its HTTP API shows the
   series with the database's values, up=1, and up=0 for the wrong token.
4. The database's boxes table holds the box's heartbeats: the server's
   row and the run's, with the box's mid, input and last status.
Everything is stopped at the end; the test's folder is removed."""
import json
import os
import re
import shutil
import socket
import sqlite3
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "box"))
sys.path.insert(0, os.path.join(HERE, "..", "export"))
from boxes import Box  # noqa: E402
from server import Server, check, failures, finish  # noqa: E402
import prom_doc  # noqa: E402
from prom_test import http, parse, print_logs, prom_query, prom_stop, prom_wait, promtool, start_prometheus, val  # noqa: E402

TOKEN = "server-prom-0123456789abcdef"


def db_counts(path, run):
    """{query: {windows, rows, events, starts}} from the database itself."""
    db = sqlite3.connect(path)
    out = {}
    for q, n, rows in db.execute("SELECT query, count(*), sum(nrows) FROM windows WHERE run = ? GROUP BY query",
                                 (run,)):
        out.setdefault(q, {})["windows"] = n
        out[q]["rows"] = rows
    for q, n in db.execute("SELECT query, count(*) FROM events WHERE run = ? GROUP BY query", (run,)):
        out.setdefault(q, {})["events"] = n
    for q, n in db.execute("SELECT query, count(*) FROM starts WHERE run = ? AND note IS NULL GROUP BY query",
                           (run,)):
        out.setdefault(q, {})["starts"] = n
    db.close()
    return out


def open_stream(port, pid):
    """A Server-Sent Events stream held open (its headers read)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(("GET /api/stream?program=%d HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
               % (pid, TOKEN)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    return s, head.split(b"\r\n", 1)[0].decode()


def scrape(server, token=TOKEN):
    return http(server.base + "/metrics", token=token)


def box_series(server, box):
    """The box's series are what the box's own /api/status says (the
    server polls the box every second)."""
    auth = {"Authorization": "Bearer " + TOKEN}
    def counts(st):
        return st and (st["packets"], st["bytes"], st["drops"])

    def beat():
        return json.loads(server.request("GET", "/api/boxes", headers=auth)[2])["boxes"][0]["status"]

    # the server's last heartbeat before and after the scrape, and the box
    # itself before and after, all the same: the scrape's heartbeat (between
    # the two; the counts only grow) said the same
    for _ in range(100):
        st = json.loads(http("http://%s/api/status" % box.addr)[2])
        before = beat()
        s, _ = parse(scrape(server)[2])
        after = beat()
        again = json.loads(http("http://%s/api/status" % box.addr)[2])
        if counts(st) == counts(before) == counts(after) == counts(again) and st["packets"] > 0:
            break
        time.sleep(0.1)
    else:
        check(False, "the box held still between two reads (a program waiting at a window boundary)")
        return
    check(val(s, "equery_server_box_packets", box=1) == st["packets"],
          "box_packets = the box's /api/status packets (%d)" % st["packets"])
    check(val(s, "equery_server_box_bytes", box=1) == st["bytes"], "box_bytes = the box's bytes (%d)" % st["bytes"])
    for stage, key in (("nic", "nic"), ("kernel", "kernel"), ("ring", "ring"), ("table", "table_groups")):
        check(val(s, "equery_server_box_dropped_packets", box=1, stage=stage) == st["drops"][key],
              "box_dropped_packets{stage=%s} = the box's drops.%s" % (stage, key))


def part2(server, dbpath, pid, box, sdefs):
    code, _, body = scrape(server, token=None)
    check(code == 401 and body == '{"error":"a valid token is needed (Authorization: Bearer TOKEN)"}\n',
          "/metrics without the token: 401 with the API's message (%d %s)" % (code, body[:200]))
    code, headers, text = scrape(server)
    check(code == 200 and headers.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8",
          "GET /metrics with the token: 200, text/plain; version=0.0.4 (%s)" % code)
    rc, out = promtool(text)
    check(rc == 0 and out == "", "promtool check metrics: clean (%s)" % out)
    samples, meta = parse(text)
    for kind in ("HELP", "TYPE"):
        names = [f for k, f, _ in meta if k == kind]
        check(names == [d[0] for d in sdefs], "%s: every server family of prom_metrics.def once, in order" % kind)
    types = {f: r for k, f, r in meta if k == "TYPE"}
    check(all(types.get(n) == t for n, t, _, _ in sdefs), "TYPE: each family's type is the .def's")
    want = db_counts(dbpath, pid)
    check(set(want) >= {"q1"} and sum(w.get("starts", 0) for w in want.values()) > 0 and
          sum(w.get("events", 0) for w in want.values()) > 0, "the database holds windows, events and starts: %s"
          % json.dumps(want, sort_keys=True))
    lab = dict(program=pid, name="loss_root_cause.eq")
    queries = sorted(dict(ls)["query"] for (n, ls) in samples if n == "equery_server_query_windows_total")
    manifest_queries = sorted(q for q in want)
    check(set(manifest_queries) <= set(queries), "a series per query: %s" % queries)
    for q in queries:
        for key, fam in (("windows", "equery_server_query_windows_total"), ("rows", "equery_server_query_rows_total"),
                         ("events", "equery_server_query_events_total"),
                         ("starts", "equery_server_query_starts_total")):
            got = val(samples, fam, query=q, **lab)
            exp = want.get(q, {}).get(key, 0)
            check(got == exp, "%s{query=%s} = the database's %s (%s, got %s)" % (fam, q, key, exp, got))
    n = val(samples, "equery_server_program_trigger_latency_seconds_count", **lab)
    starts_sent = sum(w.get("starts", 0) for w in want.values())
    check(n is not None and 0 < n <= starts_sent and
          val(samples, "equery_server_program_trigger_latency_seconds_bucket", le="+Inf", **lab) == n,
          "trigger latency histogram: %s GOs with starts (<= %d starts), +Inf = _count" % (n, starts_sent))
    n = val(samples, "equery_server_db_write_seconds_count")
    check(n and n > 0 and val(samples, "equery_server_db_write_seconds_bucket", le="+Inf") == n,
          "database write histogram: %s commits, +Inf = _count" % n)
    check(val(samples, "equery_server_programs", state="done") == 1 and
          val(samples, "equery_server_programs", state="running") == 0, "programs{state=done} 1, running 0")
    check(val(samples, "equery_server_boxes", state="ok") == 1, "boxes{state=ok} 1")
    check(val(samples, "equery_server_box_info", box=1, mid=7, input="pcap") == 1,
          "box_info{box=1,mid=7,input=pcap} 1")
    age = val(samples, "equery_server_box_heartbeat_age_seconds", box=1)
    check(age is not None and 0 <= age < 3, "heartbeat age under 3 s (%s)" % age)
    check(val(samples, "equery_server_http_requests_total", code=401) == 1 and
          val(samples, "equery_server_http_requests_total", code=201) == 1,
          "http_requests_total: the 401 scrape, the 201 submission")
    leak = [s for s in samples for k, v in s[1] if re.search(r"\d+\.\d+\.\d+\.\d+|:\d{2,5}$", v)]
    check(not leak, "no address or port in any label %s" % leak[:3])
    return want


def boxes_table(dbpath, pid, box, capture):
    """The heartbeats in the database's boxes table (schema version 2): the
    server's row (run NULL) and the run's, with what the box says of itself."""
    db = sqlite3.connect(dbpath)
    rows = {r[0]: r[1:] for r in db.execute(
        "SELECT run, mid, input_kind, input, first_heartbeat, last_heartbeat, status FROM boxes WHERE address = ?",
        (box.addr,))}
    n = db.execute("SELECT count(*) FROM boxes").fetchone()[0]
    db.close()
    watch, run = rows.get(None), rows.get(pid)
    check(n == 2 and watch and run, "boxes table: the server's row and the run's for the box (%d rows)" % n)
    if not (watch and run):
        return
    st = json.loads(watch[5])
    check(watch[:3] == (7, "pcap", capture) and st["mid"] == 7 and st["input"]["name"] == capture,
          "boxes table: mid 7, input pcap and the capture, the last status as JSON (%s)" % (watch[:3],))
    check(watch[3] <= run[3] <= run[4] <= watch[4] and abs(watch[4] / 1e9 - time.time()) < 5,
          "boxes table: the run's heartbeats lie within the server's watch, the last one recent")


def part3(server, work, want, pid):
    tokf = os.path.join(work, "token")
    wrongf = os.path.join(work, "wrong-token")
    with open(wrongf, "w") as f:
        f.write("not-the-token\n")
    target = "127.0.0.1:%d" % server.port
    prom, api = start_prometheus(work, """global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: server
    authorization:
      type: Bearer
      credentials_file: %s
    static_configs:
      - targets: ['%s']
  - job_name: server-wrong-token
    authorization:
      type: Bearer
      credentials_file: %s
    static_configs:
      - targets: ['%s']
""" % (tokf, target, wrongf, target))
    try:
        exp = {'up{job="server"}': 1, 'up{job="server-wrong-token"}': 0,
               'equery_server_sse_clients{job="server"}': 0}
        for q, w in want.items():
            exp['equery_server_query_windows_total{job="server",program="%d",query="%s"}' % (pid, q)] = w["windows"]
            exp['equery_server_query_starts_total{job="server",program="%d",query="%s"}' % (pid, q)] = \
                w.get("starts", 0)
        got = prom_wait(prom, api, exp)
        for q, v in exp.items():
            check(got.get(q) == float(v), "prometheus: %s = %s (got %s)" % (q, v, got.get(q)))
        res = prom_query(api, 'equery_server_db_write_seconds_count{job="server"}') or []
        check(len(res) == 1 and float(res[0]["value"][1]) > 0, "prometheus: the database write histogram's series")
        check("equery-server: 401: GET /metrics from 127.0.0.1: wrong token" in server.text(),
              "the wrong token's scrape is logged")
    finally:
        rc = prom_stop(prom)
        check(rc is not None, "prometheus stopped (exit %s)" % rc)


def main():
    build, src = sys.argv[1], sys.argv[2]
    if not shutil.which("promtool") or not shutil.which("prometheus"):
        print("FAIL promtool and prometheus are needed (Debian package prometheus; scripts/install-deps.sh)")
        return 1
    sdefs = [d for d in prom_doc.families(src) if d[0].startswith("equery_server_")]
    capture = os.path.join(build, "traces", "loss_chain.pcap")
    source = open(os.path.join(src, "examples", "loss_root_cause.eq"), "rb").read()
    work = tempfile.mkdtemp(prefix="equery-server-prom.")
    os.environ["TMPDIR"] = work  # what a killed server could leave goes here
    tokf = os.path.join(work, "token")
    with open(tokf, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(tokf, 0o600)
    box = server = None
    try:
        box = Box(os.path.join(build, "equery-box"), capture, os.path.join(work, "box.log"), ["--mid", "7"])
        dbpath = os.path.join(work, "results.sqlite")
        server = Server(os.path.join(build, "equery-server"), dbpath, os.path.join(work, "server.log"),
                        ["--box", box.addr, "--token-file", tokf, "--state-dir", os.path.join(work, "state")])
        auth = {"Authorization": "Bearer " + TOKEN}
        # a program deployed on the box by hand holds still at its first
        # window boundary (no centre answers): the box's counts stand still
        code, _, hb = http("http://%s/api/programs" % box.addr, "POST", source)
        check(code == 201, "a program deployed on the box by hand (%d)" % code)
        box_series(server, box)
        http("http://%s/api/programs/%s" % (box.addr, json.loads(hb)["id"]), "DELETE")
        body = json.dumps({"source": source.decode(), "name": "loss_root_cause.eq"}).encode()
        st, _, body = server.request("POST", "/api/programs", body, dict(auth, **{"Content-Type": "application/json"}))
        check(st == 201, "POST /api/programs: 201 (%d %s)" % (st, body[:200]))
        pid = json.loads(body)["id"]
        stream, status = open_stream(server.port, pid)
        check(" 200 " in status, "an SSE stream open (%s)" % status)
        s, _ = parse(scrape(server)[2])
        check(val(s, "equery_server_sse_clients") == 1, "sse_clients 1 with the stream open")
        stream.close()
        deadline = time.time() + 300
        state = None
        while time.time() < deadline:
            state = json.loads(server.request("GET", "/api/programs/%d" % pid, headers=auth)[2]).get("server")
            if state not in ("running", "stopping"):
                break
            time.sleep(0.3)
        check(state == "done", "the program ran to its end (%s)" % state)
        for _ in range(50):  # the stream's end is seen by the server at its next write
            if val(parse(scrape(server)[2])[0], "equery_server_sse_clients") == 0:
                break
            time.sleep(0.2)
        # (the server's polls make the box's totals hold still once the run is over)
        time.sleep(1.5)
        want = part2(server, dbpath, pid, box, sdefs)
        boxes_table(dbpath, pid, box, capture)
        check(val(parse(scrape(server)[2])[0], "equery_server_sse_clients") == 0, "sse_clients 0 once it closed")
        part3(server, work, want, pid)
    finally:
        for what, p in (("equery-server", server), ("equery-box", box)):
            if p:
                rc = p.stop()
                log = p.text()
                check(rc == 0 and "Sanitizer" not in log and "runtime error" not in log,
                      "%s stopped on SIGTERM with status 0, its log clean" % what)
        if failures:
            print_logs(work, ("box.log", "server.log", "prometheus.log"))
        shutil.rmtree(work, ignore_errors=True)
    finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
