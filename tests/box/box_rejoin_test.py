#!/usr/bin/env python3
"""box_rejoin_test.py BUILD TRACES: a box killed (SIGKILL) mid-run comes back
and rejoins.

heavy.pcap (a minute) dealt round robin to 3 boxes, a program with 5 ms
windows (about 12,000 lockstep steps: the run lasts long enough for the
box to come back, and the centre to compile and deploy again). The third box is killed as soon as the
first rows are out, and started again on the same port with the same
capture. The centre deploys the program to it again, measuring from its
time R (the summary says when: "rejoined at TIME after missing N
windows"). Then:
- the run ends with exit status 0;
- every window starting at or after R has exactly the rows of a local run
  on the whole capture, those of a drill-down query started before the
  rejoin too (the centre starts it on the box again); no window has more
  packets than there;
- the packets reported add up: the two others' are those of their
  captures, the rejoined box's those of its capture at or after R, and the
  total is their sum."""
import calendar
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from boxes import Box, Checks, first_lines  # noqa: E402

check = Checks()


def packet_times(path):
    """The timestamps (ns) of a classic pcap's packets."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end, scale = {0xa1b2c3d4: ("<", 1000), 0xa1b23c4d: ("<", 1), 0xd4c3b2a1: (">", 1000),
                  0x4d3cb2a1: (">", 1)}[magic]
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        out.append(sec * 1000000000 + frac * scale)
        off += 16 + incl
    return out


def to_ns(text):
    """2026-01-01T00:00:01.200000Z (or 9 digits) in ns since the epoch."""
    m = re.match(r"(\d+-\d+-\d+T\d+:\d+:\d+)\.(\d+)Z$", text)
    secs = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return secs * 1000000000 + int(m.group(2).ljust(9, "0"))


def windows(csv):
    """{(window start (ns), query, instance): {key: count}} of the csv's rows."""
    out = {}
    for line in csv.splitlines():
        f = line.split(",")
        if f[0] == "row":
            out.setdefault((to_ns(f[3]), f[1], f[2]), {})[f[5]] = int(f[6])
    return out


def main():
    build, traces = sys.argv[1:3]
    work = tempfile.mkdtemp(prefix="box_rejoin_test.")
    boxes = []
    try:
        pcap = os.path.join(traces, "heavy.pcap")
        parts = os.path.join(work, "parts")
        subprocess.run([sys.executable, os.path.join(HERE, "deal.py"), pcap, "3", "rr", parts], check=True,
                       stdout=subprocess.DEVNULL)
        part = [os.path.join(parts, "part%d.pcap" % i) for i in (1, 2, 3)]
        prog = os.path.join(work, "p.eq")
        with open(prog, "w") as f:
            # d: a drill-down started early (instance 1), on till the end:
            # the rejoined box must be started on it too
            f.write("query q = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(5ms);\n"
                    "event big = q.n > 8;\n"
                    "query d = Select(daddr, COUNT(*) AS m) Where(saddr == big.saddr) Groupby(daddr)\n"
                    "          When(big) Within(2min) Every(5ms);\n")
        run = os.path.join(build, "equery-run")
        local = subprocess.run([run, "--format", "csv", "--pcap", pcap, prog], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, check=True).stdout.decode()
        exe = os.path.join(build, "equery-box")
        for i in range(3):
            boxes.append(Box(exe, part[i], os.path.join(work, "box%d.log" % (i + 1))))
        cmd = [run, "--format", "csv"]
        for b in boxes:
            cmd += ["--box", b.addr]
        p = subprocess.Popen(cmd + [prog], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        head = first_lines(p)  # mid-run: once the first rows are out
        boxes[2].p.send_signal(signal.SIGKILL)
        boxes[2].p.wait()
        boxes[2].stop()
        time.sleep(0.5)
        # the same box again: the same port, the same capture
        boxes[2] = Box(exe, part[2], os.path.join(work, "box3-again.log"), listen=boxes[2].addr)
        out, err = p.communicate(timeout=300)
        out = (head + out).decode()
        err = err.decode(errors="replace")
        name = boxes[2].addr
        check(p.returncode == 0, "the run ends with exit status 0", "exit %d: %s" % (p.returncode, err))
        check(re.search(r"equery-run: warning: box %s[ :].*; the run goes on without it" % re.escape(name), err)
              is not None, "it says the killed box was lost", err)
        m = re.search(r"equery-run: warning: box %s rejoined at (\S+) after missing (\d+) windows: their rows lack "
                      r"its packets" % re.escape(name), err)
        check(m is not None and int(m.group(2)) > 0, "it says the box rejoined, when, and how many windows it missed",
              err)
        if not m:
            return
        print("  " + m.group(0))
        joined = to_ns(m.group(1))
        want, got = windows(local), windows(out)
        after = sorted(w for w in want if w[0] >= joined)
        check(len(after) > 100, "the rejoin leaves over 100 windows (%d)" % len(after))
        check(any(w[1] == "d" for w in after), "among them the drill-down's, started before the rejoin")
        bad = [w for w in after if got.get(w) != want[w]]
        check(not bad, "every window from the rejoin on has the local run's rows",
              "%d differ, the first %s: %s here, %s locally" % (len(bad), bad[0], got.get(bad[0]), want[bad[0]])
              if bad else "")
        over = [w for w in got if any(n > want.get(w, {}).get(a, 0) for a, n in got[w].items())]
        check(not over, "no window has more packets than locally (nothing counted twice)", over[:5])
        missed = [w for w in want if w[0] < joined and got.get(w) != want[w]]
        check(len(missed) > 0, "the windows before the rejoin lack its packets (%d)" % len(missed))
        counts = [int(x) for x in re.findall(r"equery-run: box [0-9.:]+: (\d+) packets", err)]
        times = [packet_times(x) for x in part]
        expect = [len(times[0]), len(times[1]), sum(1 for t in times[2] if t >= joined)]
        check(counts == expect, "each box's packets: the rejoined box's are those of its capture from the rejoin",
              "%s, expected %s" % (counts, expect))
        total = re.search(r"equery-run: (\d+) packets", err)
        check(total is not None and int(total.group(1)) == sum(counts), "the total is their sum", err)
        check("rejoining a run" in boxes[2].text(), "the box says it rejoins a run", boxes[2].text())
    finally:
        for b in boxes:
            b.stop()
        subprocess.run(["rm", "-rf", work])
        print("box-rejoin: %d failed" % check.fails)
    sys.exit(1 if check.fails else 0)


if __name__ == "__main__":
    main()
