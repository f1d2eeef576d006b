"""server.py - start and stop a real equery-server for the tests.

It listens on 127.0.0.1 port 0 (a free port the kernel picks) and says
which in its log; it dies with the test (PR_SET_PDEATHSIG), and stop()
ends it with SIGTERM (SIGKILL after 20 s)."""
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
