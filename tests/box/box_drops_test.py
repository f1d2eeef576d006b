#!/usr/bin/env python3
"""box_drops_test.py BUILD: a live box that really drops, and says so at every stage.

First the usage errors of --buffer-size (no root needed). Then, as root,
two network namespaces made here and removed at the end (also on
failure): M, the monitor, and S, the sender, joined by a veth pair. IPv6
is off on the link and S knows M's MAC address (a permanent neighbour
entry), so that the only frames M's interface receives are the test's.
S sends to an address at M's MAC that is not M's, which M drops without an
answer (it is no router). In M, an equery-box captures with --iface and a capture buffer far too
small (--buffer-size), and equery-run --box deploys a program that counts
every packet. S floods N UDP datagrams at M as fast as it can, the first
20,000 of them while the box is stopped (SIGSTOP, then SIGCONT), so the
buffer overflows however fast the machine is. Then:

  - /api/status: drops.kernel > 0 (the capture buffer overflowed), and
    packets + drops.kernel + drops.nic == N: every frame sent is either
    measured or counted at the stage that lost it (libpcap: ps_drop is the
    kernel's, ps_ifdrop the interface's; the veth's own drops, a full
    backlog, are the interface's);
  - the program's listing gives the same per stage ("input");
  - /metrics: equery_box_dropped_packets_total{stage=...} are the same
    numbers;
  - the rows of the run sum to the packets measured;
  - after SIGINT, the centre's summary line for the box gives the same
    packets and the same drops per stage (its DONE frame carries them).
All traffic stays inside the namespaces; nothing is left behind."""
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from boxes import Box, Checks, end, netns_get, wait_for  # noqa: E402

check = Checks()
PID = os.getpid()
NS_M, NS_S = "eqdm%d" % PID, "eqds%d" % PID
IF_M, IF_S = "eqdm-%d" % PID, "eqds-%d" % PID  # (at most 15 characters)
ADDR_M, ADDR_S = "10.202.1.1", "10.202.1.2"
DEST = "10.202.1.99"  # not M's: M (not a router) drops it without a word, no ICMP back on the link
MAC_M = "02:00:0a:ca:01:01"
SENT = 200000
STOPPED = 20000  # sent while the box is stopped: a buffer of BUFFER bytes cannot hold them
BUFFER = 65536  # bytes: a few dozen frames of room in the kernel's ring
PROGRAM = """\
query all = Select(COUNT(*) AS packets) Every(1s);
"""
SENDER = """
import socket, sys
dst, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((dst, 9999))
b = b"x" * 18
for i in range(n):
    s.send(b)
"""


def sh(*cmd, check_rc=True):
    r = subprocess.run(list(cmd), capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr))
    return r


def usage_errors(box_exe, run_exe):
    cases = [
        ([box_exe, "--listen", "127.0.0.1:0", "--pcap", "x.pcap", "--buffer-size", "65536"],
         "equery-box: error: --buffer-size is for --iface NAME (libpcap's capture buffer)\n"
         "Try 'equery-box --help' for more information.\n"),
        ([box_exe, "--listen", "127.0.0.1:0", "--iface", "lo", "--buffer-size", "0"],
         "equery-box: error: --buffer-size needs a number of bytes N[k|M|G] from 1 to 2147483647, not '0'\n"
         "Try 'equery-box --help' for more information.\n"),
        # k, M and G as equery-run's (cli/size_arg.h): 64k is read, then refused for a capture
        ([box_exe, "--listen", "127.0.0.1:0", "--pcap", "x.pcap", "--buffer-size", "64k"],
         "equery-box: error: --buffer-size is for --iface NAME (libpcap's capture buffer)\n"
         "Try 'equery-box --help' for more information.\n"),
        ([box_exe, "--listen", "127.0.0.1:0", "--iface", "lo", "--buffer-size", "3G"],
         "equery-box: error: --buffer-size needs a number of bytes N[k|M|G] from 1 to 2147483647, not '3G'\n"
         "Try 'equery-box --help' for more information.\n"),
        ([box_exe, "--listen", "127.0.0.1:0", "--iface", "lo", "--buffer-size", "64K"],
         "equery-box: error: --buffer-size needs a number of bytes N[k|M|G] from 1 to 2147483647, not '64K'\n"
         "Try 'equery-box --help' for more information.\n"),
        ([run_exe, "--pcap", "x.pcap", "--buffer-size", "64k", "p.eq"],
         "equery-run: error: --buffer-size is for --iface NAME (libpcap's capture buffer)\n"
         "Try 'equery-run --help' for more information.\n"),
        ([run_exe, "--iface", "lo", "--buffer-size", "lots", "p.eq"],
         "equery-run: error: --buffer-size needs a number of bytes N[k|M|G] from 1 to 2147483647, not 'lots'\n"
         "Try 'equery-run --help' for more information.\n"),
    ]
    for args, text in cases:
        r = subprocess.run(args, capture_output=True, text=True, timeout=30)
        check(r.returncode == 2 and r.stderr == text, "%s %s: exit 2 and its message"
              % (os.path.basename(args[0]), " ".join(args[1:])), "exit %d: %r" % (r.returncode, r.stderr))


def make_link():
    for ns in (NS_M, NS_S):
        sh("ip", "netns", "add", ns)
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "link", "add", IF_M, "netns", NS_M, "address", MAC_M, "type", "veth", "peer", "name", IF_S, "netns", NS_S)
    sh("ip", "-n", NS_M, "addr", "add", ADDR_M + "/24", "dev", IF_M)
    sh("ip", "-n", NS_S, "addr", "add", ADDR_S + "/24", "dev", IF_S)
    # no ARP: S sends to DEST at M's MAC address, which M captures and then
    # drops (it does not forward) without an answer: a datagram to one of
    # its own closed ports would bring an ICMP message back on the link
    sh("ip", "-n", NS_S, "neigh", "add", DEST, "lladdr", MAC_M, "dev", IF_S, "nud", "permanent")
    sh("ip", "-n", NS_M, "link", "set", IF_M, "up")
    sh("ip", "-n", NS_S, "link", "set", IF_S, "up")


def remove_link():
    for ns in (NS_M, NS_S):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def box_get(box, path):
    return netns_get(NS_M, box, path)


def metric(text, name, labels):
    m = re.search(r"^%s\{%s\} (\d+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return int(m.group(1)) if m else None


def main():
    build = sys.argv[1]
    box_exe = os.path.join(build, "equery-box")
    run_exe = os.path.join(build, "equery-run")
    usage_errors(box_exe, run_exe)
    if os.geteuid() != 0:
        print("SKIP box-drops: the live part needs root (network namespaces)")
        return 77 if check.fails == 0 else 1
    try:
        make_link()
    except RuntimeError as e:
        remove_link()
        print("SKIP box-drops: cannot make the namespaces: %s" % e)
        return 77
    work = tempfile.mkdtemp(prefix="box_drops_test.")
    prog = os.path.join(work, "count.eq")
    with open(prog, "w") as f:
        f.write(PROGRAM)
    box, run = None, None
    try:
        wrap = ["ip", "netns", "exec", NS_M]
        box = Box(box_exe, None, os.path.join(work, "box.log"),
                  inputs=["--iface", IF_M, "--buffer-size", str(BUFFER)], prefix=wrap)
        out = os.path.join(work, "run.csv")
        err = open(os.path.join(work, "run.err"), "w+")
        env = dict(os.environ, TMPDIR=work)
        run = subprocess.Popen(wrap + [run_exe, "--format", "csv", "-o", out, "--box", box.addr, prog],
                               stdout=subprocess.DEVNULL, stderr=err, env=env)
        up = wait_for(lambda: "measuring on" in box.text() or run.poll() is not None, 120)
        check(up and run.poll() is None, "the box measures", box.text() + open(err.name).read())
        st0 = json.loads(box_get(box, "/api/status") or "{}")
        check(st0.get("drops") == {"nic": 0, "kernel": 0, "ring": 0, "table_groups": 0, "queue_frames": 0},
              "before any traffic: every stage at zero", st0.get("drops"))

        # the overflow must not depend on how fast this machine is: the box
        # is stopped (SIGSTOP; `ip netns exec` execs it, so the pid is the
        # box's) while the first STOPPED datagrams come, far more than the
        # buffer holds, and continued for the rest, which it measures live
        t0 = time.time()
        os.kill(box.p.pid, signal.SIGSTOP)
        try:
            sh("ip", "netns", "exec", NS_S, sys.executable, "-c", SENDER, DEST, str(STOPPED))
        finally:
            os.kill(box.p.pid, signal.SIGCONT)
        sh("ip", "netns", "exec", NS_S, sys.executable, "-c", SENDER, DEST, str(SENT - STOPPED))
        secs = time.time() - t0
        print("sent %d datagrams in %.2f s (%.0f per second; the first %d to a stopped box)"
              % (SENT, secs, SENT / secs, STOPPED))
        # the box refreshes its input's counters every 0.5 s: the status
        # settles once the last frame is measured or counted
        last = {}

        def settled():
            st = json.loads(box_get(box, "/api/status") or "{}")
            if not st.get("drops"):
                return False
            done = st["packets"] + st["drops"]["kernel"] + st["drops"]["nic"] >= SENT
            same = st == last.get("st") if done else False
            last["st"] = st
            return same
        wait_for(settled, 30, 0.7)
        st = last.get("st", {})
        drops = st.get("drops", {})
        print("box status: packets %s, drops %s" % (st.get("packets"), drops))
        check(drops.get("kernel", 0) > 0, "the small capture buffer overflowed: drops.kernel > 0", drops)
        check(drops.get("ring") == 0 and drops.get("table_groups") == 0,
              "libpcap has no ring stage, and no group was dropped", drops)
        total = st.get("packets", 0) + drops.get("kernel", 0) + drops.get("nic", 0)
        check(total == SENT, "packets + drops.kernel + drops.nic == the datagrams sent (%d)" % SENT,
              "packets %s, drops %s: %d" % (st.get("packets"), drops, total))
        progs = st.get("programs", [{}])
        check(len(progs) == 1 and progs[0].get("input", {}).get("drops") ==
              {"nic": drops.get("nic"), "kernel": drops.get("kernel"), "ring": 0} and
              progs[0].get("input", {}).get("received", 0) >= total - drops.get("nic", 0),
              "the program's own input counters are the box's", progs)
        metrics = box_get(box, "/metrics")
        got = {s: metric(metrics, "equery_box_dropped_packets_total", 'box="0",stage="%s"' % s)
               for s in ("nic", "kernel", "ring", "table")}
        check(got == {"nic": drops.get("nic"), "kernel": drops.get("kernel"), "ring": 0, "table": 0},
              "/metrics: the drops per stage are the status's", got)

        end(run, signal.SIGINT, 60)
        err.seek(0)
        text = err.read()
        check(run.returncode == 0, "SIGINT: the run ends with exit status 0", "exit %s: %s" % (run.returncode, text))
        m = re.search(r"equery-run: box %s: (\d+) packets, \d+ bytes, malformed 0, packets in dropped groups 0, "
                      r"drops nic (\d+), kernel (\d+), ring (\d+)\n" % re.escape(box.addr), text)
        check(m is not None and [int(x) for x in m.groups()] ==
              [st.get("packets"), drops.get("nic"), drops.get("kernel"), 0],
              "the centre's summary gives the box's packets and its drops per stage, as its status did", text)
        rows = [r for r in csv.reader(io.StringIO(open(out).read() if os.path.exists(out) else ""))
                if len(r) > 2 and r[0] == "row" and r[1] == "all"]
        counted = sum(int(r[-1]) for r in rows)
        check(counted == st.get("packets"), "the rows count the packets measured (%s)" % st.get("packets"),
              "rows: %d" % counted)
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.wait()
        if box is not None:
            rc = box.stop()
            check(rc == 0, "SIGTERM: the box ends with exit status 0 (under ASan: no leak)", box.text()[-3000:])
        remove_link()
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        check(all(ns not in left for ns in (NS_M, NS_S)), "the namespaces are gone", left)
        subprocess.run(["rm", "-rf", work])
    print("box-drops: %d failed" % check.fails)
    return 1 if check.fails else 0


if __name__ == "__main__":
    sys.exit(main())
