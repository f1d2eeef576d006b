"""server_api_test.py BUILD SRCDIR - equery-server's API with real
processes on loopback (docs/api.md): a real equery-box replaying a capture
and a real equery-server in front of it.

- a program submitted to the box: its Server-Sent Events until the run
  ends (ids 1, 2, 3, ... with no gap), a reconnection with Last-Event-ID
  that resumes after it and misses nothing; the rows read back from the
  API equal equery-run --format csv (and json) of the same program on the
  same capture, byte for byte; the events list; the program listed;
- the same program on a capture of --captures (a box of the server's own);
- a bad program: 400 with the diagnostics of tests/server/bad.expected.json;
- bad targets (a box not given, a capture by path): 400 with the reason;
- a server with --token-file: no token and a wrong one give 401 (logged),
  the right one 200; a non-loopback address without a token: refused;
- a few hundred garbage requests (HTTP and raw bytes), and the server
  still answers correctly;
- SIGTERM: it stops, exit status 0."""
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "box"))
from boxes import Box  # noqa: E402
from server import Server, check, csv_in_range, finish, json_in_range, rfc3339  # noqa: E402

def sse(server, program, last=None, timeout=60):
    """The stream's events [(id, event, [data lines])] up to its end event."""
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    head = "GET /api/stream?program=%d HTTP/1.1\r\nHost: x\r\n" % program
    if last is not None:
        head += "Last-Event-ID: %d\r\n" % last
    conn.sendall((head + "\r\n").encode())
    f = conn.makefile("rb")
    status = f.readline().decode()
    assert " 200 " in status, status
    chunked = False
    while True:
        line = f.readline().decode().strip()
        if not line:
            break
        if line.lower() == "transfer-encoding: chunked":
            chunked = True
    body = b""
    events = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        if chunked:
            size = int(f.readline().strip(), 16)
            if size == 0:
                break
            body += f.read(size)
            f.readline()
        else:
            chunk = f.read1(65536)
            if not chunk:
                break
            body += chunk
        while b"\n\n" in body:
            block, body = body.split(b"\n\n", 1)
            ev = {"id": None, "event": "message", "data": []}
            for ln in block.decode().split("\n"):
                if ln.startswith("id: "):
                    ev["id"] = int(ln[4:])
                elif ln.startswith("event: "):
                    ev["event"] = ln[7:]
                elif ln.startswith("data:"):
                    ev["data"].append(ln[6:] if ln.startswith("data: ") else ln[5:])
            if ev["event"] == "end":
                conn.close()
                return events, ev
            if ev["id"] is not None:
                events.append(ev)
    conn.close()
    return events, None


def time_range(server, pid, local):
    """rows?from=&to=: the records of [from, to); bad times: 400, said."""
    starts = sorted({ln.split(b",")[3].decode() for ln in local["csv"].split(b"\n") if ln.startswith(b"row,q1,")})
    lo, hi = starts[2], starts[5]
    path = "/api/programs/%d/rows?from=%s&to=%s" % (pid, lo, hi)
    st, _, rows = server.request("GET", path + "&format=csv")
    want = csv_in_range(local["csv"], rfc3339(lo), rfc3339(hi))
    check(st == 200 and rows == want and rows.count(b"\nrow,") > 4 and b"\nevent,e1," in rows,
          "rows?from=%s&to=%s: the csv lines of those windows, events and starts" % (lo, hi))
    st, _, rows = server.request("GET", path + "&format=json")
    check(st == 200 and rows == json_in_range(local["json"], rfc3339(lo), rfc3339(hi)),
          "rows?from=&to=&format=json: the json lines of those records")
    # the same instants with an offset and a fraction
    off = lo.replace("T00:", "T01:").replace(".000000Z", ".0+01:00")
    st, _, rows2 = server.request("GET", "/api/programs/%d/rows?format=csv&from=%s&to=%s" %
                                  (pid, urllib.parse.quote(off), hi))
    check(st == 200 and rows2 == want, "from= with an offset (%s) is the same instant" % off)
    st, _, rows = server.request("GET", "/api/programs/%d/rows?query=q1&from=%s" % (pid, starts[-1]))
    check(st == 200 and rows.count(b"\n") == 1 + rows.count(b"\nrow,q1,") and
          rows.startswith(b"header,q1,") and rows.count(b"row,q1,") == 2, "only from=: the last window of q1")
    for q, why in [("from=yesterday", "from='yesterday' is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z, "
                                      "2026-01-01T01:00:00.5+01:00)"),
                   ("to=2026-02-30T00:00:00Z", "to='2026-02-30T00:00:00Z': day 30 is out of range (February 2026 has 28 days)"),
                   ("from=1969-12-31T23:59:59Z", "from='1969-12-31T23:59:59Z': year 1969 is out of range (1970 to 2261)"),
                   ("from=2026-01-01T00:00:00Zjunk", "from='2026-01-01T00:00:00Zjunk' is not an RFC 3339 time"),
                   ("from=2026-01-01T00:00:00.Z", "from='2026-01-01T00:00:00.Z' is not an RFC 3339 time"),
                   ("from=%2B2026-01-01T00:00:00Z", "from='+2026-01-01T00:00:00Z' is not an RFC 3339 time"),
                   ("from=2026-01-01T00:00:00", "from='2026-01-01T00:00:00' is not an RFC 3339 time"),
                   ("from=2026-01-01T00:00:00.1234567890Z",
                    "from='2026-01-01T00:00:00.1234567890Z' is not an RFC 3339 time"),
                   ("from=1700000000000", "from='1700000000000' is not an RFC 3339 time"),
                   ("from=%s&to=%s" % (hi, lo), "the time range is empty: from must be before to"),
                   ("from=%s&to=%s" % (lo, lo), "the time range is empty: from must be before to")]:
        st, _, body = server.request("GET", "/api/programs/%d/rows?%s" % (pid, q))
        check(st == 400 and json.loads(body)["error"].startswith(why),
              "rows?%s: 400 %s (%s)" % (q, why, body[:160]))


def main():
    build, src = sys.argv[1], sys.argv[2]
    exe = os.path.join(build, "equery-server")
    capture = os.path.join(build, "traces", "loss_chain.pcap")
    program = os.path.join(src, "examples", "loss_root_cause.eq")
    source = open(program, "rb").read()
    tmp = tempfile.mkdtemp(prefix="equery-server-test.")
    box = server = None
    try:
        box = Box(os.path.join(build, "equery-box"), capture, os.path.join(tmp, "box.log"))
        caps = os.path.join(tmp, "captures")
        os.mkdir(caps)
        shutil.copy(capture, caps)
        server = Server(exe, os.path.join(tmp, "results.sqlite"), os.path.join(tmp, "server.log"),
                        ["--box", box.addr, "--captures", caps])
        local = {}
        for fmt in ("csv", "json"):
            r = subprocess.run([os.path.join(build, "equery-run"), "--pcap", capture, "--format", fmt, "--quiet",
                                program], capture_output=True, timeout=300)
            check(r.returncode == 0, "equery-run --format %s runs" % fmt)
            local[fmt] = r.stdout

        # submit: the body is the program's text, it runs on the server's boxes
        st, _, body = server.request("POST", "/api/programs", source, {"Content-Type": "text/plain"})
        check(st == 201, "POST /api/programs: 201 (%d %s)" % (st, body[:200]))
        pid = json.loads(body)["id"]
        events, end = sse(server, pid)
        ids = [e["id"] for e in events]
        check(end is not None, "the stream ends with an end event once the run is over")
        check(ids == list(range(1, len(ids) + 1)) and len(ids) > 10,
              "stream ids 1..%d with no gap" % len(ids))
        kinds = {e["event"] for e in events}
        check({"window", "event", "start"} <= kinds, "windows, events and starts streamed: %s" % sorted(kinds))
        streamed = b"".join(("\n".join(d for d in e["data"] if d) + "\n").encode() if any(e["data"]) else b""
                            for e in events)
        check(streamed == local["json"], "the stream's records are equery-run --format json's, in order")
        again, end2 = sse(server, pid, last=ids[4])
        check([e["id"] for e in again] == ids[5:] and end2 is not None,
              "Last-Event-ID %d resumes at %d and misses nothing" % (ids[4], ids[5]))
        for fmt in ("csv", "json"):
            st, hdr, rows = server.request("GET", "/api/programs/%d/rows?format=%s" % (pid, fmt))
            check(st == 200 and rows == local[fmt], "rows?format=%s equal equery-run --format %s" % (fmt, fmt))
        st, _, rows = server.request("GET", "/api/programs/%d/rows?query=q1&format=csv" % pid)
        # q1's records: its header and rows, and the events on its rows (query in the third field)
        want = b"".join(ln + b"\n" for ln in local["csv"].split(b"\n")
                        if ln.split(b",")[1 + ln.startswith(b"event,"):][:1] == [b"q1"])
        check(st == 200 and rows == want, "rows?query=q1 is q1's part of the csv")
        time_range(server, pid, local)
        st, _, body = server.request("GET", "/api/programs/%d/rows?query=nope" % pid)
        check(st == 404 and b"has no query 'nope'" in body, "rows of an unknown query: 404 (%s)" % body[:120])
        st, _, body = server.request("GET", "/api/events?program=%d" % pid)
        evs = json.loads(body)["events"]
        check(st == 200 and len(evs) == local["csv"].count(b"\nevent,"),
              "GET /api/events lists the %d events" % len(evs))
        st, _, body = server.request("GET", "/api/programs")
        progs = json.loads(body)["programs"]
        check(st == 200 and progs[0]["id"] == pid and progs[0]["status"] == "done" and
              progs[0]["name"] == "program.eq", "GET /api/programs lists it, done")
        st, _, body = server.request("GET", "/api/programs/%d" % pid)
        one = json.loads(body)
        check(st == 200 and [q["name"] for q in one["queries"]] == ["q1", "q2", "q3", "q4"] and one["source"] == source.decode(),
              "GET /api/programs/ID: its queries and source")
        st, _, body = server.request("DELETE", "/api/programs/%d" % pid)
        check(st == 200 and json.loads(body)["state"] == "done", "DELETE of a finished program: 200, done")
        st, _, _ = server.request("DELETE", "/api/programs/999")
        check(st == 404, "DELETE of no program: 404")
        st, _, body = server.request("GET", "/api/boxes")
        b = json.loads(body)["boxes"]
        check(st == 200 and b[0]["address"] == box.addr and b[0]["state"] == "ok" and b[0]["status"]["input"]["kind"]
              == "pcap", "GET /api/boxes: the box, ok, with its status")

        # the same program on a capture of --captures
        req = json.dumps({"source": source.decode(), "name": "loss.eq", "capture": "loss_chain.pcap"}).encode()
        st, _, body = server.request("POST", "/api/programs", req, {"Content-Type": "application/json"})
        check(st == 201, "POST with a capture: 201 (%s)" % body[:200])
        cid = json.loads(body)["id"]
        sse(server, cid)
        st, _, rows = server.request("GET", "/api/programs/%d/rows?format=csv" % cid)
        check(rows == local["csv"], "on a capture of the server: rows equal equery-run's")

        # mistakes
        bad = open(os.path.join(HERE, "bad.eq"), "rb").read()
        req = json.dumps({"source": bad.decode(), "name": "bad.eq"}).encode()
        st, _, body = server.request("POST", "/api/programs", req, {"Content-Type": "application/json"})
        want = json.load(open(os.path.join(HERE, "bad.expected.json")))
        got = json.loads(body)
        check(st == 400 and got["diagnostics"] == want, "a bad program: 400 with its diagnostics (%s)" % body[:300])
        check(got["text"].startswith("bad.eq:3:32: error: unknown field 'payload_lenn'"),
              "the diagnostics' text is equeryc's, the server's folders hidden")
        for body, why in [(json.dumps({"source": "x", "boxes": ["127.0.0.1:1"]}), "is not one of this server's boxes"),
                          (json.dumps({"source": "x", "capture": "../../etc/passwd"}), "a capture is a file name"),
                          (json.dumps({"source": "x", "capture": "nope.pcap"}), "no capture 'nope.pcap'"),
                          (json.dumps({"source": "x", "name": "../x.eq"}), "a program's name is a file name"),
                          ("{not json", "the body is not a JSON object")]:
            st, _, ans = server.request("POST", "/api/programs", body.encode(), {"Content-Type": "application/json"})
            check(st == 400 and why.encode() in ans, "400 for %s (%s)" % (why, ans[:150]))
        s = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        s.sendall(b"POST /api/programs HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (2 << 20))
        ans = s.recv(4096)
        s.close()
        check(ans.startswith(b"HTTP/1.1 413 "), "a body over the limit: 413 (%s)" % ans[:40])

        # garbage
        rnd = random.Random(14)
        paths = ["/api/programs", "/api/programs/1", "/api/programs/1/rows", "/api/stream", "/api/events",
                 "/api/boxes", "/", "/static/chart.js", "/api/programs/99999999999999999999", "/api/x", "/../etc"]
        answered = 0
        for i in range(300):
            if i % 3 == 0:
                s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                s.sendall(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 400))))
                s.shutdown(socket.SHUT_WR)  # (an unfinished request would wait for the rest)
                try:
                    s.recv(4096)
                except OSError:
                    pass
                s.close()
                continue
            path = rnd.choice(paths) + rnd.choice(["", "?program=", "?program=-1", "?program=abc&format=xml",
                                                    "?query=%00", "/rows?format=csv", "?after=1e99"])
            method = rnd.choice(["GET", "POST", "DELETE", "PUT", "PATCH"])
            body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300))) if method != "GET" else None
            ctype = rnd.choice(["application/json", "text/plain", "x/y"])
            try:
                st, _, _ = server.request(method, path, body, {"Content-Type": ctype}, timeout=20)
                answered += st < 500 or st == 500
            except Exception as e:  # noqa: BLE001
                print("request %s %s: %s" % (method, path, e))
        check(answered == 200, "the 200 HTTP garbage requests were all answered (%d)" % answered)
        st, _, body = server.request("GET", "/api/programs")
        check(st == 200 and json.loads(body)["programs"][0]["id"] == cid, "after the garbage: still answers")
        rc = server.stop()
        check(rc == 0 and "equery-server: stopped" in server.text(), "SIGTERM: stopped, exit 0")

        # a token
        tok = os.path.join(tmp, "token")
        with open(tok, "w") as f:
            f.write("s3cret-token-for-the-test\n")
        server = Server(exe, os.path.join(tmp, "results.sqlite"), os.path.join(tmp, "server2.log"),
                        ["--token-file", tok])
        st, hdr, body = server.request("GET", "/api/programs")
        check(st == 401 and hdr["WWW-Authenticate"] == 'Bearer realm="equery-server"', "no token: 401")
        st, _, _ = server.request("GET", "/api/programs", headers={"Authorization": "Bearer wrong-token-0000000"})
        check(st == 401, "a wrong token: 401")
        st, _, body = server.request("GET", "/api/programs",
                                     headers={"Authorization": "Bearer s3cret-token-for-the-test"})
        check(st == 200 and len(json.loads(body)["programs"]) == 2, "the right token: 200, the stored programs")
        st, _, body = server.request("GET", "/")
        check(st == 200 and b"<title>equery</title>" in body, "the GUI's page loads without the token")
        server.stop()
        check("equery-server: 401: GET /api/programs from 127.0.0.1: no token" in server.text() and
              "wrong token" in server.text(), "the 401s are logged")
        server = None
        r = subprocess.run([exe, "--listen", "0.0.0.0:0", "--db", os.path.join(tmp, "x.sqlite")],
                           capture_output=True, timeout=30)
        check(r.returncode == 2 and b"equery-server: error: refusing to listen on 0.0.0.0:0 without --token-file"
              in r.stderr, "a non-loopback address without a token: refused, exit 2")
        r = subprocess.run([exe, "--listen", "127.0.0.1:0"], capture_output=True, timeout=30)
        check(r.returncode == 2 and b"equery-server: error: no database: give --db FILE" in r.stderr,
              "no --db: a usage error")
    finally:
        if server:
            server.stop()
        if box:
            box.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


main()
