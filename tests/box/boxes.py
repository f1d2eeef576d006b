"""boxes.py - start and stop real equery-box processes for the tests.

Each box listens on 127.0.0.1 port 0 (a free port the kernel picks) and
says which in its log; it dies with the test (PR_SET_PDEATHSIG), and
Boxes.stop() ends it with SIGTERM (SIGKILL after 10 s)."""
import ctypes
import os
import re
import select
import signal
import subprocess
import sys
import time

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def end(p, sig, secs):
    """Sends sig to process p unless it has ended, waits up to secs for it,
    then kills it; returns its exit status."""
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(secs)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


class Box:
    def __init__(self, exe, pcap, log, extra=(), listen="127.0.0.1:0", inputs=None, prefix=()):
        """inputs: the box's input options (default --pcap PCAP); prefix: a
        command that runs it (ip netns exec NS: it must exec the box, so
        that the process is the box's)."""
        self.log = log
        self.logf = open(log, "wb")
        inputs = inputs if inputs is not None else ["--pcap", pcap]
        # its state folder and the bundles it compiles go beside its log, in
        # the test's folder: a box killed with SIGKILL leaves nothing in /tmp
        extra = list(extra)
        if "--state-dir" not in extra:
            extra += ["--state-dir", log + ".state"]
        env = dict(os.environ, TMPDIR=os.path.dirname(os.path.abspath(log)))
        self.p = subprocess.Popen(list(prefix) + [exe, "--listen", listen] + inputs + extra, env=env,
                                  stdout=subprocess.DEVNULL, stderr=self.logf, preexec_fn=_die_with_parent)
        self.port = None
        deadline = time.time() + 20
        while time.time() < deadline:
            text = open(log, errors="replace").read()
            m = re.search(r"\(port (\d+)\)", text)
            if m:
                self.port = int(m.group(1))
                break
            if self.p.poll() is not None:
                raise RuntimeError("equery-box exited %d: %s" % (self.p.returncode, text))
            time.sleep(0.05)
        if not self.port:
            self.stop()
            raise RuntimeError("equery-box did not say its port: " + open(log, errors="replace").read())
        self.addr = "127.0.0.1:%d" % self.port

    def stop(self):
        end(self.p, signal.SIGTERM, 10)
        self.logf.close()
        return self.p.returncode

    def text(self):
        return open(self.log, errors="replace").read()


def wait_for(pred, secs, step=0.1):
    """Calls pred until it is true or secs have passed; its last answer."""
    deadline = time.time() + secs
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def netns_get(ns, box, path):
    """The body of GET http://BOX/PATH from inside network namespace ns
    (where the box listens), or "" when it did not answer."""
    code = ("import sys, urllib.request\n"
            "print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())")
    r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", code, "http://%s%s" % (box.addr, path)],
                       capture_output=True, text=True)
    return r.stdout


def first_lines(p, n=2, secs=120):
    """The first n lines p (a Popen with stdout=PIPE) prints, or what it
    printed before it ended or secs passed: with --box, once the first rows
    are out, every box has taken the program and streams (a box logs
    "deployed" before its answer has reached equery-run)."""
    deadline = time.time() + secs
    head = b""
    while head.count(b"\n") < n and time.time() < deadline and p.poll() is None:
        ready, _, _ = select.select([p.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            head += chunk
    return head


def read_answer(s):
    """(status, headers with lower-case names, body) of the HTTP answer on
    socket s (a plain or a TLS one), read to its end."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = dict((k.lower(), v.strip()) for k, _, v in (ln.partition(":") for ln in lines[1:]))
    return status, hdrs, rest


class Checks:
    """check(cond, what, detail): prints PASS or FAIL (with the detail) and
    counts the failures in check.fails."""

    def __init__(self):
        self.fails = 0

    def __call__(self, cond, what, detail=""):
        if cond:
            print("PASS " + what)
        else:
            self.fails += 1
            print("FAIL " + what + ("\n  " + str(detail) if detail else ""))
        sys.stdout.flush()
