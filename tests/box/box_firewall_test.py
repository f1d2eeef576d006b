#!/usr/bin/env python3
"""box_firewall_test.py BUILD TRACES: a box cut off by the network, on a
capture.

As root: a network namespace made here (removed at the end, also on
failure), joined to the root namespace by a veth pair, 10.203.0.1 here and
10.203.0.2 there. heavy.pcap is dealt round robin to 3 boxes; the third
listens in the namespace (with a token, as it is not on loopback), the two
others on loopback. The cut is a blackhole route in the namespace to the
centre's address: the box's answers vanish, as behind a firewall that drops
them (this machine's kernel has neither nftables nor tc's netem or
matchall, and there is no iptables).

1. Cut for 3 s, under the 10 s after which a box is given up: the run
   waits for it and goes on; its rows are byte for byte a local run's.
2. Cut for 12 s: the box is given up (its GO is not taken in 10 s), then
   it answers again and rejoins; the windows from the rejoin on are a local
   run's."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from boxes import Box, Checks, end, first_lines  # noqa: E402
from box_rejoin_test import to_ns, windows  # noqa: E402

check = Checks()
PID = os.getpid()
NS = "eqfw%d" % PID
IF_HERE, IF_THERE = "eqfwa%d" % PID, "eqfwb%d" % PID  # (at most 15 characters)
ADDR_HERE, ADDR_THERE = "10.203.0.1", "10.203.0.2"


def sh(*cmd):
    r = subprocess.run(list(cmd), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr))


def cut(on):
    sh("ip", "-n", NS, "route", "add" if on else "del", "blackhole", ADDR_HERE + "/32")


def run_cut(cmd, secs):
    """Runs cmd; once its first rows are out, cuts the third box off for
    secs. Its exit status, stdout and stderr."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        head = first_lines(p)
        cut(True)
        time.sleep(secs)
        cut(False)
        out, err = p.communicate(timeout=300)
    finally:
        end(p, signal.SIGTERM, 10)
    return p.returncode, (head + out).decode(), err.decode(errors="replace")


def main():
    build, traces = sys.argv[1:3]
    if os.geteuid() != 0:
        print("SKIP box-firewall: it needs root (a network namespace)")
        return 77
    work = tempfile.mkdtemp(prefix="box_firewall_test.")
    boxes = []
    try:
        try:
            sh("ip", "netns", "add", NS)
            sh("ip", "link", "add", IF_HERE, "type", "veth", "peer", "name", IF_THERE)
            sh("ip", "link", "set", IF_THERE, "netns", NS)
            sh("ip", "addr", "add", ADDR_HERE + "/30", "dev", IF_HERE)
            sh("ip", "link", "set", IF_HERE, "up")
            sh("ip", "-n", NS, "addr", "add", ADDR_THERE + "/30", "dev", IF_THERE)
            sh("ip", "-n", NS, "link", "set", IF_THERE, "up")
            sh("ip", "-n", NS, "link", "set", "lo", "up")
        except RuntimeError as e:
            print("SKIP box-firewall: cannot make the namespace: %s" % e)
            return 77
        pcap = os.path.join(traces, "heavy.pcap")
        parts = os.path.join(work, "parts")
        subprocess.run([sys.executable, os.path.join(HERE, "deal.py"), pcap, "3", "rr", parts], check=True,
                       stdout=subprocess.DEVNULL)
        token = os.path.join(work, "token")
        with open(token, "w") as f:
            f.write("firewall-test-token-%d\n" % PID)
        os.chmod(token, 0o600)
        prog = os.path.join(work, "p.eq")
        with open(prog, "w") as f:
            f.write("query q = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(2ms);\n")
        run = os.path.join(build, "equery-run")
        local = subprocess.run([run, "--format", "csv", "--pcap", pcap, prog], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, check=True).stdout.decode()
        exe = os.path.join(build, "equery-box")
        for i in (1, 2, 3):
            there = i == 3
            boxes.append(Box(exe, os.path.join(parts, "part%d.pcap" % i), os.path.join(work, "box%d.log" % i),
                             extra=["--token-file", token], listen=(ADDR_THERE if there else "127.0.0.1") + ":0",
                             prefix=["ip", "netns", "exec", NS] if there else ()))
        name = "%s:%d" % (ADDR_THERE, boxes[2].port)  # (Box.addr is on loopback)
        cmd = [run, "--format", "csv", "--token-file", token, "--box", boxes[0].addr, "--box", boxes[1].addr,
               "--box", name, prog]

        rc, out, err = run_cut(cmd, 3)
        check(rc == 0, "cut off for 3 s: the run ends with exit status 0", "exit %d: %s" % (rc, err))
        check("warning: box" not in err, "no box was lost", err)
        check(out == local, "the rows are byte for byte a local run's",
              "%d lines here, %d locally" % (len(out.splitlines()), len(local.splitlines())))

        rc, out, err = run_cut(cmd, 12)
        check(rc == 0, "cut off for 12 s: the run ends with exit status 0", "exit %d: %s" % (rc, err))
        check(re.search(r"equery-run: warning: box %s: .*; the run goes on without it, trying it again every 2 s"
                        % re.escape(name), err) is not None, "the box is given up", err)
        m = re.search(r"equery-run: warning: box %s rejoined at (\S+) after missing (\d+) windows" % re.escape(name),
                      err)
        check(m is not None and int(m.group(2)) > 0, "then it rejoins", err)
        if m:
            print("  " + m.group(0))
            joined = to_ns(m.group(1))
            want, got = windows(local), windows(out)
            after = [w for w in want if w[0] >= joined]
            bad = [w for w in after if got.get(w) != want[w]]
            check(len(after) > 100 and not bad, "the %d windows from the rejoin on are a local run's" % len(after),
                  "%d differ" % len(bad))
        check("rejoining a run" in boxes[2].text(), "the box says it rejoins a run", boxes[2].text())
    finally:
        for b in boxes:
            b.stop()
        subprocess.run(["ip", "link", "del", IF_HERE], capture_output=True)
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)
        subprocess.run(["rm", "-rf", work])
        print("box-firewall: %d failed" % check.fails)
    return 1 if check.fails else 0


if __name__ == "__main__":
    sys.exit(main())
