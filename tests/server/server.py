"""server.py - start and stop a real equery-server for the tests.

It listens on 127.0.0.1 port 0 (a free port the kernel picks) and says
which in its log; it dies with the test (PR_SET_PDEATHSIG), and stop()
ends it with SIGTERM (SIGKILL after 20 s)."""
import calendar
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "box"))
from boxes import Box, _die_with_parent  # noqa: E402


class Server(Box):
    """stop() and text() are a box's."""

    def __init__(self, exe, db, log, extra=(), listen="127.0.0.1:0"):
        self.log = log
        self.logf = open(log, "wb")
        self.p = subprocess.Popen([exe, "--listen", listen, "--db", db] + list(extra),
                                  stdout=subprocess.DEVNULL, stderr=self.logf, preexec_fn=_die_with_parent)
        self.port = None
        deadline = time.time() + 20
        while time.time() < deadline:
            m = re.search(r"\(port (\d+)\)", self.text())
            if m:
                self.port = int(m.group(1))
                break
            if self.p.poll() is not None:
                raise RuntimeError("equery-server exited %d: %s" % (self.p.returncode, self.text()))
            time.sleep(0.05)
        if not self.port:
            self.stop()
            raise RuntimeError("equery-server did not say its port: " + self.text())
        self.base = "http://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None, headers=None, timeout=60):
        """(status, headers, body bytes)"""
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


def rfc3339(t):
    """ns since the epoch of an RFC 3339 time, read here on its own"""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|([+-])(\d\d):(\d\d))", t)
    secs = calendar.timegm(time.strptime(m[1], "%Y-%m-%dT%H:%M:%S"))
    if m[3] != "Z":
        secs -= (1 if m[4] == "+" else -1) * (int(m[5]) * 3600 + int(m[6]) * 60)
    return secs * 1000000000 + int((m[2] or "").ljust(9, "0"))


def csv_in_range(csv, lo, hi):
    """The lines of equery-run's csv whose record's time is in [lo, hi)
    (a row by its window's start, an event or a start by its time), each
    query's header before its first row: derived from the text alone."""
    out, headers, said = [], {}, set()
    for ln in csv.decode().splitlines():
        f = ln.split(",")
        if f[0] == "header":
            headers[f[1]] = ln
            continue
        t = f[4] if f[0] == "event" else f[3]
        if not lo <= rfc3339(t) < hi:
            continue
        if f[0] == "row" and f[1] not in said:
            said.add(f[1])
            out.append(headers[f[1]])
        out.append(ln)
    return "".join(ln + "\n" for ln in out).encode()


def json_in_range(text, lo, hi):
    """The same for --format json's lines (a row by its window_start)."""
    out = []
    for ln in text.decode().splitlines():
        r = json.loads(ln)
        if lo <= rfc3339(r.get("window_start") or r.get("time")) < hi:
            out.append(ln)
    return "".join(ln + "\n" for ln in out).encode()


failures = []


def check(cond, what):
    print(("PASS " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def finish():
    if failures:
        print("%d checks failed" % len(failures))
        sys.exit(1)
    print("all checks passed")
