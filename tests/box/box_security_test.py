#!/usr/bin/env python3
"""box_security_test.py BUILD TRACES: equery-box's guards, with real
processes on loopback.

- a non-loopback listen without a token file is refused (pinned message);
- with a token: no token and a wrong token get 401 (pinned body) and are
  logged (pinned lines); equery-run --box without the token says so;
- a program with errors gets 400 and the diagnostics as JSON;
- a body over the limit gets 413;
- 1,000 garbage requests (random methods, paths, headers, bodies, truncated
  JSON and frames, lies in Content-Length, connections cut short), half of
  them with the token; then the box still answers correctly: its status,
  and a run through equery-run --box that prints the local run's output."""
import atexit
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from boxes import Box, Checks, read_answer  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
TOKEN = "s3cret-token-0123456789abcdef"
check = Checks()


def request(port, method, path, body=b"", headers=None, timeout=30):
    """(status, headers, body) of one HTTP/1.1 request."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    h = {"Host": "127.0.0.1", "Connection": "close", "Content-Length": str(len(body))}
    h.update(headers or {})
    head = "%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
    s.sendall(head.encode() + body)
    answer = read_answer(s)
    s.close()
    return answer


AUTH = {"Authorization": "Bearer " + TOKEN}


def garbage(rng, port):
    """One malformed or hostile request; whatever comes back is ignored."""
    methods = ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT", "FOO", "G\x01T", ""]
    paths = ["/", "/api", "/api/status", "/api/programs", "/api/programs/", "/api/programs/p1",
             "/api/programs/p1/frames?after=x&wait=-1", "/api/programs/p1/frames?after=99999999999999999999999",
             "/api/programs/p1/control", "/api/programs/p1/stop", "/api/programs/../../etc/passwd",
             "/api/programs/" + "A" * 3000, "/api/programs/p1/frames?wait=999999999", "%00", "*",
             "/api/programs/p1/frames/extra", "/api/status?" + "x=1&" * 200, "/metrics", "/metrics/",
             "/metrics?name=%22%0A", "/api/programs?name=" + "%ff" * 300, "/api/programs?name=%00",
             "/api/programs?name=a%0Ab%22c%5C"]
    method = rng.choice(methods)
    path = rng.choice(paths)
    if rng.random() < 0.2:
        path = "/" + "".join(chr(rng.randrange(33, 127)) for _ in range(rng.randrange(1, 60)))
    kind = rng.randrange(8)
    if kind == 0:
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 2000)))
    elif kind == 1:
        body = json.dumps({"program": "Query q Select count(*) From packets", "x": [1, 2, {"y": None}]})[
            :rng.randrange(1, 60)].encode()
    elif kind == 2:
        # a frame header that lies about its length, or a GO with a random tail
        body = rng.randrange(0, 1 << 32).to_bytes(4, "little") + bytes([16, 1, 0, 0]) + bytes(8) + \
            bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
    elif kind == 3:
        body = b"Query q\n  Select srcip, count(*)\n  From packets\n  Group By" + b"(" * rng.randrange(0, 3000)
    else:
        body = b""
    h = {}
    if rng.random() < 0.5:
        h.update(AUTH)
    elif rng.random() < 0.5:
        h["Authorization"] = rng.choice(["Bearer", "Bearer ", "Basic abc", "Bearer " + TOKEN[:-1],
                                         "Bearer " + TOKEN + "x", "bearer " + TOKEN, "\x7f" * 10])
    for _ in range(rng.randrange(0, 4)):
        h["X-" + "".join(chr(rng.randrange(65, 91)) for _ in range(rng.randrange(1, 20)))] = \
            "v" * rng.randrange(0, 3000)
    length = len(body)
    if rng.random() < 0.1:
        length = rng.choice([0, length + 100, 10 ** 12, -1])
    head = "%s %s HTTP/1.%d\r\nHost: x\r\n" % (method, path, rng.randrange(2))
    if rng.random() < 0.9:
        head += "Content-Length: %s\r\n" % length
    if rng.random() < 0.05:
        head += "Transfer-Encoding: chunked\r\n"
    head += "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
    raw = head.encode("latin-1", errors="replace") + body
    if rng.random() < 0.15:
        raw = raw[:rng.randrange(1, len(raw) + 1)]  # cut short
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
        s.sendall(raw)
        if rng.random() < 0.2:
            s.close()  # do not wait for the answer
            return
        s.shutdown(socket.SHUT_WR) if rng.random() < 0.5 else None
        s.settimeout(0.05 if rng.random() < 0.5 else 0.3)
        try:
            while s.recv(65536):
                pass
        except (socket.timeout, ConnectionError):
            pass
        s.close()
    except (socket.timeout, ConnectionError, OSError):
        pass


def main():
    build, traces = sys.argv[1:3]
    box_exe, run_exe = os.path.join(build, "equery-box"), os.path.join(build, "equery-run")
    work = tempfile.mkdtemp(prefix="box_security_test.")
    atexit.register(shutil.rmtree, work, True)  # also when a check raises
    cap = os.path.join(traces, "syn_flood.pcap")
    program = os.path.join(REPO, "examples", "syn_flood.eq")
    expected = open(os.path.join(REPO, "tests", "run", "syn_flood.out"), "rb").read()
    fmt = "json"
    for line in open(os.path.join(REPO, "tests", "run", "syn_flood.run")):
        if "--format" in line:
            fmt = line.split("--format")[1].split()[0]

    # 1. no token, not loopback: refused
    r = subprocess.run([box_exe, "--listen", "0.0.0.0:0", "--pcap", cap], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 2 and r.stderr == "equery-box: error: refusing to listen on 0.0.0.0:0 without "
          "--token-file: it is not a loopback address, and anyone who reaches it could deploy programs\n",
          "a non-loopback listen without a token is refused", "exit %d: %r" % (r.returncode, r.stderr))
    tokf = os.path.join(work, "token")
    with open(tokf, "w") as f:
        f.write("short\n")
    r = subprocess.run([box_exe, "--listen", "127.0.0.1:0", "--pcap", cap, "--token-file", tokf],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and r.stderr == "equery-box: error: the token in '%s' must be one line of at least 16 "
          "characters, without spaces\n" % tokf, "a short token is refused", r.stderr)
    with open(tokf, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(tokf, 0o600)

    box = Box(box_exe, cap, os.path.join(work, "box.log"), ["--token-file", tokf, "--max-body", "65536"])
    try:
        port = box.port
        # 2. tokens
        st, h, body = request(port, "GET", "/api/status")
        check(st == 401 and body == b'{"error":"a valid token is needed (Authorization: Bearer TOKEN)"}\n'
              and h.get("www-authenticate") == 'Bearer realm="equery-box"', "no token: 401", "%d %r" % (st, body))
        st, _, body = request(port, "GET", "/api/status", headers={"Authorization": "Bearer wrong-token-0123456789"})
        check(st == 401, "a wrong token: 401", "%d %r" % (st, body))
        st, _, body = request(port, "GET", "/api/programs", headers={"Authorization": "Bearer " + TOKEN[:-1]})
        check(st == 401, "a token's prefix: 401", "%d %r" % (st, body))
        log = box.text()
        check("equery-box: 401: GET /api/status from 127.0.0.1: no token\n" in log and
              "equery-box: 401: GET /api/status from 127.0.0.1: wrong token\n" in log and
              "equery-box: 401: GET /api/programs from 127.0.0.1: wrong token\n" in log,
              "the 401s are logged", log)
        st, _, body = request(port, "GET", "/api/status", headers=AUTH)
        status = json.loads(body) if st == 200 else {}
        check(st == 200 and status.get("requests", {}).get("unauthorized") == 3 and
              status.get("input", {}).get("name") == cap, "the right token: 200, the status", "%d %r" % (st, body))
        r = subprocess.run([run_exe, "--format", fmt, "--quiet", "--box", box.addr, program], capture_output=True,
                           text=True, timeout=120)
        check(r.returncode == 3 and r.stderr == "equery-run: error: box %s: 401: the token is missing or wrong "
              "(--token-file)\n" % box.addr, "equery-run --box without the token", "exit %d: %r" % (r.returncode,
                                                                                                     r.stderr))
        # 3. a program with an error: 400 and the diagnostics
        st, _, body = request(port, "POST", "/api/programs", b"query q = Select(daddr, COUNT(*) AS n)\n"
                              b"          Where(proto == tcp)\n          Groupby(dadr)\n          Every(1s);\n", AUTH)
        d = json.loads(body) if st == 400 else {}
        diags = d.get("diagnostics", [])
        want = {"file": "program.eq", "line": 3, "column": 19, "end_column": 22, "severity": "error",
                "message": "unknown field 'dadr'; did you mean 'daddr'?", "suggestion": "daddr"}
        check(st == 400 and want in diags and len(diags) == 2 and "/tmp" not in d.get("text", "/tmp"),
              "a program with errors: 400 and the diagnostics as JSON", "%d %r" % (st, body))
        st, _, body = request(port, "POST", "/api/programs", b"", AUTH)
        check(st == 400 and json.loads(body)["diagnostics"][0]["message"] ==
              "the request's body must be the program's EQuery source", "an empty program: 400", repr(body))
        # 4. too large
        st, _, body = request(port, "POST", "/api/programs", b"#" * 70000, AUTH)
        check(st == 413 and body == b'{"error":"the request\'s body is too large"}\n', "a body over the limit: 413",
              "%d %r" % (st, body))
        st, _, body = request(port, "DELETE", "/api/programs/p999", b"", AUTH)
        check(st == 404, "deleting no program: 404", "%d %r" % (st, body))
        st, _, body = request(port, "PUT", "/api/status", b"", AUTH)
        check(st == 405, "a wrong method: 405", "%d %r" % (st, body))
        # a program deployed, so that the fuzzer's frames reach one
        st, _, body = request(port, "POST", "/api/programs", open(program, "rb").read(), AUTH, timeout=120)
        check(st == 201 and json.loads(body)["location"] == "/api/programs/" + json.loads(body)["id"],
              "a program deployed: 201", "%d %r" % (st, body))

        # 5. 1,000 garbage requests
        rng = random.Random(13)
        for _ in range(1000):
            garbage(rng, port)
            check_alive = box.p.poll()
            if check_alive is not None:
                break
        check(box.p.poll() is None, "the box is up after 1,000 garbage requests", box.text()[-2000:])
        st, _, body = request(port, "GET", "/api/status", headers=AUTH)
        ok = st == 200 and json.loads(body)["nprograms"] == 1
        check(ok, "it answers its status after them", "%d %r" % (st, body[:300]))
        st, h, body = request(port, "GET", "/metrics", headers=AUTH)
        lint = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True) \
            if shutil.which("promtool") else None
        check(st == 200 and h.get("content-type", "").startswith("text/plain; version=0.0.4") and
              b"equery_box_http_requests_total" in body and (lint is None or (lint.returncode == 0 and
                                                                              not lint.stdout + lint.stderr)),
              "and its metrics, which promtool finds clean", "%d %r %r" % (st, body[:300], lint))
        st, _, body = request(port, "GET", "/api/programs", headers=AUTH)
        for p in json.loads(body)["programs"] if st == 200 else []:
            request(port, "DELETE", "/api/programs/" + p["id"], headers=AUTH)
        r = subprocess.run([run_exe, "--format", fmt, "--quiet", "--token-file", tokf, "--box", box.addr, program],
                           capture_output=True, timeout=300)
        check(r.returncode == 0 and r.stdout == expected, "and a run through it prints the local run's output",
              "exit %d: %s" % (r.returncode, r.stderr.decode(errors="replace")[-1000:]))
    finally:
        rc = box.stop()
    check(rc == 0 and box.text().endswith("equery-box: SIGTERM: stopping\n"), "SIGTERM stops it cleanly",
          "exit %s: %s" % (rc, box.text()[-300:]))
    print("box-security: %d failed" % check.fails)
    sys.exit(1 if check.fails else 0)


if __name__ == "__main__":
    main()
