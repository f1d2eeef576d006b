#!/usr/bin/env python3
"""prom_test.py BUILD TRACES REPO: equery-box's GET /metrics, with real
processes on loopback.

1. A box on attacks.pcap (--mid 7); a program deployed by hand with a
   hostile name stops at its first window boundary (no centre answers), so
   its counters hold still: `promtool check metrics` finds the scrape
   clean; every family of export/prom_metrics.def is there once, with its
   type; the name label reads back exactly (escaping); the values are
   those of /api/status. Bad names get a 400 with a pinned message.
2. The program deleted, `equery-run --box` runs examples/ddos.eq on the
   box: its summary's packets are the capture's, and the box's totals grew
   by exactly what the run printed (packets, bytes, starts); the barrier
   histogram counted the waits; the HTTP codes are counted.
3. A real prometheus (Debian's), started here in a temp folder on a free
   loopback port, scrapes this box, a box with a token (with the token),
   and that box again with a wrong token; its HTTP API shows the series
   with the right values, up=1 for both good jobs and up=0 for the wrong
   token. Everything is stopped at the end, whatever happens."""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "box"))
sys.path.insert(0, HERE)
from boxes import Box, Checks, _die_with_parent  # noqa: E402
import prom_doc  # noqa: E402

TOKEN = "prom-s3cret-0123456789abcdef"
HOSTILE = 'evil"} 1\n# TYPE x counter\\n\\'
check = Checks()


def http(url, method="GET", body=None, token=None):
    """(code, headers, body text)"""
    req = urllib.request.Request(url, data=body, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()
    except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
        return 0, {}, str(e)


def unescape(v):
    out, i = [], 0
    while i < len(v):
        if v[i] == "\\" and i + 1 < len(v):
            out.append({"n": "\n", "\\": "\\", '"': '"'}.get(v[i + 1], "\\" + v[i + 1]))
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, frozenset(labels)): value}, [(HELP|TYPE, family, rest)]"""
    samples, meta = {}, []
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("# "):
            kind, fam, rest = (line[2:].split(" ", 2) + [""])[:3]
            meta.append((kind, fam, rest))
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", line)
        if not m:
            raise ValueError("a line that is not a sample: %r" % line)
        labels = frozenset((k, unescape(v)) for k, v in LABEL.findall(m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples, meta


def val(samples, metric, **labels):
    want = {(k, str(v)) for k, v in labels.items()}
    found = [v for (n, ls), v in samples.items() if n == metric and want <= set(ls)]
    return found[0] if len(found) == 1 else None


def pcap_packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    n, off = 0, 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        off += 16 + incl
        n += 1
    return n


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def promtool(text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()


def start_prometheus(work, conf_text):
    """A real prometheus (Debian's) on a free loopback port, its files in
    work: (process, its API's base URL)."""
    conf = os.path.join(work, "prometheus.yml")
    with open(conf, "w") as f:
        f.write(conf_text)
    with open(os.path.join(work, "prometheus.log"), "wb") as plog:
        port = free_port()
        prom = subprocess.Popen(["prometheus", "--config.file=" + conf,
                                 "--storage.tsdb.path=" + os.path.join(work, "tsdb"),
                                 "--web.listen-address=127.0.0.1:%d" % port],
                                cwd=work, stdout=plog, stderr=plog, preexec_fn=_die_with_parent)
    return prom, "http://127.0.0.1:%d" % port


def prom_query(api, q):
    """The result list of an instant query, or None."""
    code, _, body = http(api + "/api/v1/query?query=" + urllib.parse.quote(q))
    return json.loads(body)["data"]["result"] if code == 200 else None


def prom_wait(prom, api, want, seconds=60):
    """Queries each of want's until every one has its value (or time is
    up): {query: the value (float) or the result list}."""
    got = {}
    deadline = time.time() + seconds
    while time.time() < deadline and prom.poll() is None:
        for q in want:
            res = prom_query(api, q)
            got[q] = float(res[0]["value"][1]) if res and len(res) == 1 else res
        if got == {q: float(v) for q, v in want.items()}:
            break
        time.sleep(0.5)
    return got


def prom_stop(prom):
    """SIGTERM (SIGKILL after 30 s); its exit status."""
    if prom.poll() is None:
        prom.send_signal(signal.SIGTERM)
        try:
            prom.wait(30)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait()
    return prom.returncode


def print_logs(work, names):
    """The last lines of each log of work that exists (after a failure)."""
    for log in names:
        p = os.path.join(work, log)
        if os.path.exists(p):
            print("---- %s (last lines)" % log)
            print("\n".join(open(p, errors="replace").read().splitlines()[-15:]))


def scrape(box, token=None):
    return http("http://%s/metrics" % box.addr, token=token)


def wait_still(box, token=None):
    """/api/status once the packets hold still (the program waits at a barrier)."""
    last = None
    deadline = time.time() + 30
    while time.time() < deadline:
        st = json.loads(http("http://%s/api/status" % box.addr, token=token)[2])
        if st["packets"] and last and st["packets"] == last["packets"]:
            return st
        last = st
        time.sleep(0.3)
    return last


def stopped(box, what):
    """Stops it: SIGTERM ends it with status 0, and no sanitizer spoke."""
    rc = box.stop()
    log = box.text()
    check(rc == 0 and "Sanitizer" not in log and "runtime error" not in log,
          "%s stopped on SIGTERM with status 0, its log clean" % what, "exit %s: %s" % (rc, log[-2000:]))


def part1(build, cap, ddos, work, defs):
    box = Box(os.path.join(build, "equery-box"), cap, os.path.join(work, "box-a.log"),
              ["--mid", "7", "--state-dir", os.path.join(work, "state-a")])
    src = open(ddos, "rb").read()
    url = "http://%s/api/programs?name=%s" % (box.addr, urllib.parse.quote(HOSTILE, safe=""))
    code, _, body = http(url, "POST", src)
    check(code == 201, "deploy with a hostile name: 201", body)
    pid = json.loads(body)["id"]
    for bad, msg in [("a\x01b", "a program's name is UTF-8 text without control characters (byte 1)"),
                     ("\udcff", "a program's name is UTF-8 text without control characters (byte 0)"),
                     ("x" * 129, "a program's name is at most 128 bytes")]:
        q = urllib.parse.quote(bad, safe="", errors="surrogateescape")
        code, _, body = http("http://%s/api/programs?name=%s" % (box.addr, q), "POST", src)
        check(code == 400 and json.loads(body) == {"error": msg}, "a bad name: 400 %s" % msg, (code, body))
    st = wait_still(box)
    code, headers, text = scrape(box)
    check(code == 200 and headers.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8",
          "GET /metrics: 200, text/plain; version=0.0.4", (code, headers.get("Content-Type")))
    rc, out = promtool(text)
    check(rc == 0 and out == "", "promtool check metrics: clean", out)
    samples, meta = parse(text)
    for kind in ("HELP", "TYPE"):
        names = [f for k, f, _ in meta if k == kind]
        check(names == [d[0] for d in defs], "%s: every family of prom_metrics.def once, in its order" % kind,
              names)
    types = {f: r for k, f, r in meta if k == "TYPE"}
    check(all(types.get(n) == t for n, t, _, _ in defs), "TYPE: each family's type is the .def's", types)
    helps = {f: r for k, f, r in meta if k == "HELP"}
    check(all(helps.get(n) == h for n, _, _, h in defs), "HELP: each family's help is the .def's")
    names = {dict(ls).get("name") for (_, ls) in samples if "name" in dict(ls)}
    check(names == {HOSTILE}, "the hostile name reads back exactly from the escaped label", names)
    prog = [p for p in st["programs"] if p["id"] == pid][0]
    check(prog["name"] == HOSTILE, "/api/programs shows the name", prog.get("name"))
    lab = dict(box=7, program=pid, name=HOSTILE)
    pairs = [("equery_box_program_packets_total", prog["packets"]),
             ("equery_box_program_bytes_total", prog["bytes"]),
             ("equery_box_program_malformed_packets_total", prog["malformed"]),
             ("equery_box_program_windows_total", prog["windows"]),
             ("equery_box_program_rows_total", prog["rows"]),
             ("equery_box_program_starts_total", prog["starts"]),
             ("equery_box_program_dropped_frames_total", prog["queue"]["dropped_frames"]),
             ("equery_box_program_queued_frames", prog["queue"]["in_memory"]),
             ("equery_box_program_spooled_bytes", prog["queue"]["spooled_bytes"])]
    for name, want in pairs:
        got = val(samples, name, **lab)
        check(got == want, "%s = /api/status's %s" % (name, want), got)
    check(val(samples, "equery_box_program_dropped_packets_total", stage="table", **lab) == prog["groups_dropped"],
          "dropped_packets_total{stage=table} = /api/status's groups_dropped")
    check(prog["packets"] > 0 and val(samples, "equery_box_packets_total", box=7) == st["packets"],
          "equery_box_packets_total = /api/status's packets (%d)" % st["packets"])
    check(val(samples, "equery_box_bytes_total", box=7) == st["bytes"], "equery_box_bytes_total = /api/status's bytes")
    for stage in ("nic", "kernel", "ring"):
        check(val(samples, "equery_box_dropped_packets_total", box=7, stage=stage) == st["drops"][stage],
              "dropped_packets_total{stage=%s} = /api/status's" % stage)
    check(val(samples, "equery_box_programs", box=7, state="running") == 1, "equery_box_programs{state=running} 1")
    queries = sorted(dict(ls)["query"] for (n, ls) in samples if n == "equery_box_query_partials_total")
    check(queries == ["attack_vectors", "victims"], "a series per query", queries)
    leak = [s for s in samples for k, v in s[1] if re.search(r"\d+\.\d+\.\d+\.\d+|:\d{2,5}$|127\.0\.0\.1", v)]
    check(not leak, "no address or port in any label", leak[:3])
    # deleted: the box's totals keep what it counted (stopped, it measures
    # the frame it held at the barrier too: at least what it had)
    http("http://%s/api/programs/%s" % (box.addr, pid), "DELETE")
    after, prev = None, None
    for _ in range(50):
        time.sleep(0.2)
        s2, _ = parse(scrape(box)[2])
        after = {k: val(s2, k, box=7) for k in ("equery_box_packets_total", "equery_box_bytes_total")}
        if after == prev:
            break
        prev = after
    check(after["equery_box_packets_total"] >= st["packets"] and
          not any(n.startswith("equery_box_program_") for n, _ in s2),
          "deleted: its series are gone, the box's totals keep its packets", (after, st["packets"]))
    return box, {"packets": after["equery_box_packets_total"], "bytes": after["equery_box_bytes_total"]}


def part2(build, box, cap, ddos, before):
    r = subprocess.run([os.path.join(build, "equery-run"), "--box", box.addr, ddos, "--format", "csv"],
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, "equery-run --box: exit 0", r.stderr)
    m = re.search(r"box %s: (\d+) packets, (\d+) bytes" % re.escape(box.addr), r.stderr)
    starts = re.search(r"starts (\d+)", r.stderr)
    packets, nbytes = (int(m.group(1)), int(m.group(2))) if m else (None, None)
    check(packets == pcap_packets(cap), "the run's summary: the capture's %d packets" % pcap_packets(cap), r.stderr)
    text = scrape(box)[2]
    rc, out = promtool(text)
    check(rc == 0 and out == "", "after the run: promtool check metrics clean", out)
    s, _ = parse(text)
    check(val(s, "equery_box_packets_total", box=7) == before["packets"] + packets,
          "equery_box_packets_total grew by the run's packets", val(s, "equery_box_packets_total", box=7))
    check(val(s, "equery_box_bytes_total", box=7) == before["bytes"] + nbytes,
          "equery_box_bytes_total grew by the run's bytes")
    check(starts and val(s, "equery_box_starts_total", box=7) == int(starts.group(1)) and int(starts.group(1)) > 0,
          "equery_box_starts_total = the run's starts", (starts and starts.group(1), val(s, "equery_box_starts_total", box=7)))
    check(val(s, "equery_box_deployed_total", box=7) == 2, "equery_box_deployed_total 2")
    n = val(s, "equery_box_barrier_wait_seconds_count", box=7)
    inf = val(s, "equery_box_barrier_wait_seconds_bucket", box=7, le="+Inf")
    buckets = sorted((float(dict(ls)["le"]), v) for (nm, ls), v in s.items()
                     if nm == "equery_box_barrier_wait_seconds_bucket")
    check(n and n > 0 and inf == n and all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])),
          "barrier histogram: waits counted, buckets cumulative, +Inf = _count (%s)" % n, buckets)
    check(val(s, "equery_box_http_requests_total", box=7, code=400) == 3,
          "http_requests_total{code=400}: the 3 bad names")
    check(val(s, "equery_box_http_requests_total", box=7, code=201) == 2, "http_requests_total{code=201}: 2 deployments")
    return val(s, "equery_box_packets_total", box=7), packets


def part3(build, cap, ddos, work, box_a, total_a, run_packets):
    tokf = os.path.join(work, "token")
    with open(tokf, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(tokf, 0o600)
    wrongf = os.path.join(work, "wrong-token")
    with open(wrongf, "w") as f:
        f.write("not-the-token\n")
    box_b = Box(os.path.join(build, "equery-box"), cap, os.path.join(work, "box-b.log"),
                ["--mid", "8", "--token-file", tokf, "--state-dir", os.path.join(work, "state-b")])
    prom = None
    try:
        check(scrape(box_b)[0] == 401, "a box with a token: /metrics without it is 401")
        r = subprocess.run([os.path.join(build, "equery-run"), "--box", box_b.addr, "--token-file", tokf, ddos,
                            "--format", "csv"], capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, "equery-run --box with the token: exit 0", r.stderr)
        prom, api = start_prometheus(work, """global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: box
    static_configs:
      - targets: ['%s']
  - job_name: box-token
    authorization:
      type: Bearer
      credentials_file: %s
    static_configs:
      - targets: ['%s']
  - job_name: box-wrong-token
    authorization:
      type: Bearer
      credentials_file: %s
    static_configs:
      - targets: ['%s']
""" % (box_a.addr, tokf, box_b.addr, wrongf, box_b.addr))

        def query(q):
            return prom_query(api, q)

        want = {
            'equery_box_packets_total{job="box"}': total_a,
            'equery_box_packets_total{job="box-token"}': run_packets,
            'up{job="box"}': 1,
            'up{job="box-token"}': 1,
            'up{job="box-wrong-token"}': 0,
        }
        got = prom_wait(prom, api, want)
        for q, v in want.items():
            check(got.get(q) == float(v), "prometheus: %s = %s" % (q, v), got.get(q))
        res = query('equery_box_program_packets_total') or []
        check(res == [], "prometheus: no program series (the runs deleted theirs)", res)
        # (the no-token request above, then the wrong token's scrapes, as
        # the good job's later scrapes see them)
        deadline = time.time() + 30
        while True:
            res = query('equery_box_http_requests_total{job="box-token",code="401"}') or []
            if (len(res) == 1 and float(res[0]["value"][1]) >= 2) or time.time() > deadline:
                break
            time.sleep(0.5)
        check(len(res) == 1 and float(res[0]["value"][1]) >= 2,
              "prometheus: the wrong token's scrapes are counted by the box as 401s",
              res)
        res = query('equery_box_barrier_wait_seconds_count{job="box-token"}') or []
        check(len(res) == 1 and float(res[0]["value"][1]) > 0, "prometheus: the barrier histogram's series", res)
        box_log = box_b.text()
        check("equery-box: 401: GET /metrics from 127.0.0.1: wrong token" in box_log,
              "the wrong token's scrape is logged")
    finally:
        if prom is not None:
            rc = prom_stop(prom)
            check(rc is not None, "prometheus stopped (exit %s)" % rc)
        stopped(box_b, "the box with a token")


def main():
    build, traces, repo = sys.argv[1:4]
    if not shutil.which("promtool") or not shutil.which("prometheus"):
        print("FAIL promtool and prometheus are needed (Debian package prometheus; scripts/install-deps.sh)")
        return 1
    cap = os.path.join(traces, "attacks.pcap")
    ddos = os.path.join(repo, "examples", "ddos.eq")
    defs = [d for d in prom_doc.families(repo) if not d[0].startswith("equery_server_")]
    work = tempfile.mkdtemp(prefix="equery-prom-")
    box = None
    try:
        box, st = part1(build, cap, ddos, work, defs)
        total, run_packets = part2(build, box, cap, ddos, st)
        part3(build, cap, ddos, work, box, total, run_packets)
    finally:
        if box:
            stopped(box, "the box without a token")
        if check.fails:
            print_logs(work, ("box-a.log", "box-b.log", "prometheus.log"))
        shutil.rmtree(work, ignore_errors=True)
    print("%d failure(s)" % check.fails)
    return 1 if check.fails else 0


if __name__ == "__main__":
    sys.exit(main())
