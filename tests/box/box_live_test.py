#!/usr/bin/env python3
"""box_live_test.py [--tc] BUILD: two boxes on live links, one network-wide answer.

First the usage errors of equery-box's inputs (no root needed). Then, as
root, three network namespaces made here and removed at the end (also on
failure): M, the monitor, joined by a veth pair to S1 and by another to
S2. In M, one equery-box captures on the first link with --iface (libpcap)
and one on the second with --xdp (the eBPF engine; --tc: with tc); equery-run --box A
--box B runs in M too (the boxes listen on M's loopback). S1 and S2 send
UDP datagrams of known sizes to M's address on their link, in two bursts
a window apart (20 datagrams, then 5); the event on the first window
(15 or more) starts a drill-down query on both boxes, for each host pair,
and a third burst goes to its port. After SIGINT, the rows
summed over the windows must equal exactly what was sent, per host pair,
packets and bytes; the drill-down must have counted the third burst; the
run ends with exit status 0. Then the first link's interface is deleted
mid-run: that box's program fails with why, the centre reports the box
lost and goes on with the other. All traffic stays inside the namespaces."""
import csv
import io
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
NS_M, NS_1, NS_2 = "eqbm%d" % PID, "eqb1%d" % PID, "eqb2%d" % PID
IF_M1, IF_M2 = "eqm1-%d" % PID, "eqm2-%d" % PID  # (at most 15 characters)
LINKS = [  # (sender's namespace, M's interface, M's address, sender's address)
    (NS_1, IF_M1, "10.201.1.1", "10.201.1.2"),
    (NS_2, IF_M2, "10.201.2.1", "10.201.2.2"),
]
ETH_IP_UDP = 14 + 20 + 8
DPDK_EAL = "-l 0-1 --no-huge -m 512 --no-pci --no-shconf --no-telemetry --file-prefix=eqbox%d --log-level=*:error " \
           "--vdev=net_af_packet0,iface=%s"
PROGRAM = """\
query pairs = Select(saddr, daddr, COUNT(*) AS packets, SUM(pkt_len) AS bytes)
              Where(proto == udp & dport == 9999) Groupby(saddr, daddr) Every(1s);
event busy = pairs.packets >= 15;
query drill = Select(saddr, daddr, COUNT(*) AS packets, SUM(pkt_len) AS bytes)
              Where(proto == udp & dport == 9998 & daddr == busy.daddr) Groupby(saddr, daddr)
              When(busy) Every(1s);
"""


def sh(*cmd, check_rc=True):
    r = subprocess.run(list(cmd), capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr))
    return r


def usage_errors(box_exe):
    cases = [
        (["--listen", "127.0.0.1:0"], 2,
         "equery-box: error: no input: give --pcap FILE, --iface NAME, --xdp NAME, --tc NAME or --dpdk \"EAL ARGS\"\n"
         "Try 'equery-box --help' for more information.\n"),
        (["--listen", "127.0.0.1:0", "--iface", "a", "--xdp", "b"], 2,
         "equery-box: error: a box has exactly one input: give one of --pcap, --iface, --xdp, --tc and --dpdk, not "
         "--iface and --xdp\nTry 'equery-box --help' for more information.\n"),
        (["--listen", "127.0.0.1:0", "--xdp", "a", "--promisc"], 2,
         "equery-box: error: --promisc is for --iface NAME (XDP, tc and DPDK see every frame)\n"
         "Try 'equery-box --help' for more information.\n"),
        (["--listen", "127.0.0.1:0", "--iface", "eqnosuch%d" % PID], 3,
         "equery-box: error: there is no interface 'eqnosuch%d' (see 'ip link' for the names)\n" % PID),
        (["--listen", "127.0.0.1:0", "--tc", "eqnosuch%d" % PID], 3,
         "equery-box: error: there is no interface 'eqnosuch%d' (see 'ip link' for the names)\n" % PID),
    ]
    for args, status, text in cases:
        r = subprocess.run([box_exe] + args, capture_output=True, text=True, timeout=30)
        check(r.returncode == status and r.stderr == text, "equery-box %s: exit %d and its message"
              % (" ".join(args[2:]), status), "exit %d: %r" % (r.returncode, r.stderr))


def make_links():
    for ns in (NS_M, NS_1, NS_2):
        sh("ip", "netns", "add", ns)
    for ns, ifm, addr_m, addr_s in LINKS:
        peer = "eqs-%d" % PID
        sh("ip", "link", "add", ifm, "netns", NS_M, "type", "veth", "peer", "name", peer, "netns", ns)
        sh("ip", "-n", NS_M, "addr", "add", addr_m + "/24", "dev", ifm)
        sh("ip", "-n", ns, "addr", "add", addr_s + "/24", "dev", peer)
        sh("ip", "-n", NS_M, "link", "set", ifm, "up")
        sh("ip", "-n", ns, "link", "set", peer, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "-n", NS_M, "link", "set", "lo", "up")


def remove_links():
    for ns in (NS_M, NS_1, NS_2):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


SENDER = """
import socket, sys
dst, port, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    s.sendto(b"x" * (first + i), (dst, port))
"""


def send(link, port, first, n):
    """n datagrams of first, first+1, ... payload bytes; returns their frames' bytes."""
    ns, _, addr_m, _ = link
    sh("ip", "netns", "exec", ns, sys.executable, "-c", SENDER, addr_m, str(port), str(first), str(n))
    return sum(ETH_IP_UDP + first + i for i in range(n))


def box_get(box, path):
    return netns_get(NS_M, box, path)


def sums(out, query):
    """(saddr, daddr) -> [packets, bytes], summed over the windows of `query` in equery-run's CSV."""
    got, headers = {}, {}
    for row in csv.reader(io.StringIO(out)):
        if len(row) > 2 and row[0] == "header":
            headers[row[1]] = row
        elif len(row) > 2 and row[0] == "row" and row[1] == query and query in headers:
            rec = dict(zip(headers[query], row))
            v = got.setdefault((rec["saddr"], rec["daddr"]), [0, 0])
            v[0] += int(rec["packets"])
            v[1] += int(rec["bytes"])
    return got


def interrupt(run, err):
    """SIGINT to an equery-run, which must end within a minute; its stderr."""
    end(run, signal.SIGINT, 60)
    err.seek(0)
    return err.read()


def main():
    # box_live_test.py [--tc|--dpdk] BUILD: the second box on tc (ingress),
    # or DPDK (an af_packet vdev; it then checks that a second program is
    # refused), instead of XDP
    second = "--xdp"
    if sys.argv[1] in ("--tc", "--dpdk"):
        second = sys.argv.pop(1)
    build = sys.argv[1]
    box_exe = os.path.join(build, "equery-box")
    usage_errors(box_exe)
    if os.geteuid() != 0:
        print("SKIP box-live: the live part needs root (network namespaces, XDP)")
        return 77 if check.fails == 0 else 1
    work = tempfile.mkdtemp(prefix="box_live_test.")
    with open(os.path.join(work, "live.eq"), "w") as f:
        f.write(PROGRAM)
    boxes = []
    runs = []
    try:
        try:
            make_links()
        except RuntimeError as e:
            print("SKIP box-live: cannot make the namespaces: %s" % e)
            return 77
        wrap = ["ip", "netns", "exec", NS_M]
        boxes.append(Box(box_exe, None, os.path.join(work, "box1.log"), inputs=["--iface", IF_M1], prefix=wrap))
        boxes.append(Box(box_exe, None, os.path.join(work, "box2.log"), inputs=[second, DPDK_EAL % (PID, IF_M2) if second == "--dpdk" else IF_M2], prefix=wrap))
        check(re.search(r"input --iface %s\n" % IF_M1, boxes[0].text()) is not None,
              "the box's first line names its live input", boxes[0].text())

        # 1. counts, merged exactly
        out = os.path.join(work, "run1.csv")
        err = open(os.path.join(work, "run1.err"), "w+")
        cmd = ["ip", "netns", "exec", NS_M, os.path.join(build, "equery-run"), "--format", "csv", "-o", out]
        for b in boxes:
            cmd += ["--box", b.addr]
        run = subprocess.Popen(cmd + [os.path.join(work, "live.eq")], stdout=subprocess.DEVNULL, stderr=err)
        runs.append(run)
        # (the sources say so once they measure; DPDK's port runs from the deployment)
        mark = ["measuring on", "launched, measuring" if second == "--dpdk" else "measuring on"]
        up = wait_for(lambda: all(m in b.text() for m, b in zip(mark, boxes)) or run.poll() is not None, 300)
        check(up and run.poll() is None, "both boxes launched the program and measure",
              "\n".join(b.text() for b in boxes) + open(err.name).read())
        sent = {}
        first = {0: 10, 1: 300}
        for i, link in enumerate(LINKS):
            sent[(link[3], link[2])] = [20, send(link, 9999, first[i], 20)]
        time.sleep(1.5)  # a window boundary passes: the event fires, the drill-down starts on both boxes
        for i, link in enumerate(LINKS):
            sent[(link[3], link[2])][0] += 5
            sent[(link[3], link[2])][1] += send(link, 9999, first[i] + 20, 5)
        started = wait_for(lambda: os.path.exists(out) and open(out).read().count("start,drill,") == 2, 10)
        # a box applies a start at its engine's next step: at once with
        # libpcap, XDP and tc (their timers), at the next window boundary
        # with DPDK
        time.sleep(1.5 if second == "--dpdk" else 0.5)
        drill_sent = {}
        for i, link in enumerate(LINKS):
            drill_sent[(link[3], link[2])] = [7, send(link, 9998, 50 + i, 7)]
        time.sleep(2.5)
        text = interrupt(run, err)
        rows = open(out).read() if os.path.exists(out) else ""
        check(run.returncode == 0, "SIGINT: the run ends with exit status 0", "exit %s: %s" % (run.returncode, text))
        check("stopped; the open windows were closed early on every box" in text, "it says the windows were closed "
              "early on every box", text)
        got = sums(rows, "pairs")
        check(got == sent, "packets and bytes per host pair, merged over both boxes and every window, are what "
              "was sent", "got %s, sent %s\n%s" % (got, sent, rows))
        check(started, "the event started the drill-down query for both pairs (their starts are in the output)", rows)
        got = sums(rows, "drill")
        check(got == drill_sent, "the drill-down, started on both boxes by the centre, counted the third burst "
              "exactly", "got %s, sent %s\n%s" % (got, drill_sent, text))
        m = re.search(r"trigger latency .*: median ([0-9.]+) ms, max ([0-9.]+) ms", text)
        check(m is not None, "the summary gives the trigger latency", text)
        if m:
            print("trigger latency (live, 2 boxes): median %s ms, max %s ms" % (m.group(1), m.group(2)))
        for b, link in zip(boxes, LINKS):
            pk = sent[(link[3], link[2])][0] + drill_sent[(link[3], link[2])][0]
            mm = re.search(r"equery-run: box %s: (\d+) packets" % re.escape(b.addr), text)
            check(mm is not None and int(mm.group(1)) >= pk, "box %s reports its packets" % b.addr, text)
        check(re.search(r"missed \d+ windows|after their window had closed", text) is None, "no box missed a window",
              text)

        if second == "--dpdk":
            # DPDK's EAL starts once per process: the box takes no second program
            r = subprocess.run(cmd + [os.path.join(work, "live.eq")], capture_output=True, text=True, timeout=300)
            check(r.returncode == 3 and "DPDK's EAL starts once per process; restart equery-box to deploy another"
                  in r.stderr, "dpdk: a second deployment is refused (503), exit status 3", r.stderr)
            return 0
        # 2. an interface goes away mid-run
        err2 = open(os.path.join(work, "run2.err"), "w+")
        cmd2 = cmd[:]
        cmd2[cmd2.index(out)] = os.path.join(work, "run2.csv")
        run2 = subprocess.Popen(cmd2 + [os.path.join(work, "live.eq")], stdout=subprocess.DEVNULL, stderr=err2)
        runs.append(run2)
        up = wait_for(lambda: all(b.text().count("measuring on") >= 2 for b in boxes) or run2.poll() is not None,
                      300)
        check(up and run2.poll() is None, "a second run is up", open(err2.name).read())
        time.sleep(1.2)
        sh("ip", "-n", NS_M, "link", "del", IF_M1)
        failed = wait_for(lambda: '"failed"' in box_get(boxes[0], "/api/programs"), 15, 0.3)
        listing = box_get(boxes[0], "/api/programs")
        check(failed and "the input (--iface %s) failed" % IF_M1 in listing,
              "the box's program is failed, with why", listing)
        lost = wait_for(lambda: "the run goes on without it" in open(err2.name).read(), 15)
        send(LINKS[1], 9999, 100, 5)
        time.sleep(1.5)
        text2 = interrupt(run2, err2)
        check(lost and re.search(r"equery-run: warning: box %s: the input \(--iface %s\) failed: .*; the run goes "
                                 r"on without it\n" % (re.escape(boxes[0].addr), IF_M1), text2) is not None,
              "the centre reports the box lost, with why", text2)
        check(run2.returncode == 0, "and the run goes on with the other box, exit status 0",
              "exit %s: %s" % (run2.returncode, text2))
        got = sums(open(os.path.join(work, "run2.csv")).read(), "pairs")
        check(got.get((LINKS[1][3], LINKS[1][2]), [0])[0] == 5, "the other box's packets are all there", got)
    finally:
        for r in runs:
            if r.poll() is None:
                r.kill()
                r.wait()
        stopped = [(b.addr, b.stop()) for b in boxes]
        check(all(rc == 0 for _, rc in stopped), "SIGTERM: the boxes end with exit status 0 (under ASan: no leak)",
              "%s\n%s" % (stopped, "\n".join(b.text()[-3000:] for b in boxes)))
        remove_links()
        subprocess.run(["rm", "-rf", "/var/run/dpdk/eqbox%d" % PID])  # (DPDK's runtime folder, --dpdk)
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        check(all(ns not in left for ns in (NS_M, NS_1, NS_2)), "the namespaces are gone", left)
        subprocess.run(["rm", "-rf", work])
    print("box-live: %d failed" % check.fails)
    return 1 if check.fails else 0


if __name__ == "__main__":
    sys.exit(main())
