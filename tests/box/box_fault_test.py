#!/usr/bin/env python3
"""box_fault_test.py BUILD TRACES: a box killed (SIGKILL) mid-run.

heavy.pcap (a minute) dealt round robin to 3 boxes, a program with 100 ms
windows (about 600 lockstep steps); the third box is killed as soon as the
first rows are out. The run must go on with the two others and end with exit
status 0. It must say that the box was lost and how many windows it
missed, and report the two others' packets, which add up to the packets
of their captures. And the missed windows follow one rule (docs/boxes.md):
each window of the run is byte for byte either a local run's on the whole
capture or a local run's on the two other boxes' captures (nothing partial,
nothing twice); those lacking the killed box's packets run from the first
such window to the end; and they are exactly the windows counted missed (a
partial that came before the box was declared lost is merged, and its
window not counted missed)."""
import os
import re
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from boxes import Box, first_lines  # noqa: E402

fails = 0


def check(cond, what, detail=""):
    global fails
    print(("PASS " if cond else "FAIL ") + what + ("" if cond or not detail else "\n  " + detail))
    fails += not cond


def windows(csv_text):
    """window_start -> the sorted rows (saddr, n) of query q, from equery-run's CSV."""
    got = {}
    for line in csv_text.splitlines():
        f = line.split(",")
        if len(f) == 7 and f[0] == "row" and f[1] == "q":
            got.setdefault(f[3], []).append((f[5], f[6]))
    return {w: sorted(r) for w, r in got.items()}


def local(build, prog, pcaps, work):
    cmd = [os.path.join(build, "equery-run"), "--format", "csv", "--quiet"]
    for p in pcaps:
        cmd += ["--pcap", p]
    r = subprocess.run(cmd + [prog], capture_output=True, text=True, timeout=300, env=dict(os.environ, TMPDIR=work))
    return windows(r.stdout)


def main():
    build, traces = sys.argv[1:3]
    work = tempfile.mkdtemp(prefix="box_fault_test.")
    parts = os.path.join(work, "parts")
    subprocess.run([sys.executable, os.path.join(HERE, "deal.py"), os.path.join(traces, "heavy.pcap"), "3", "rr",
                    parts], check=True, stdout=subprocess.DEVNULL)
    prog = os.path.join(work, "p.eq")
    with open(prog, "w") as f:
        f.write("query q = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(100ms);\n")
    boxes = []
    try:
        for i in (1, 2, 3):
            boxes.append(Box(os.path.join(build, "equery-box"), os.path.join(parts, "part%d.pcap" % i),
                             os.path.join(work, "box%d.log" % i)))
        cmd = [os.path.join(build, "equery-run"), "--format", "csv"]
        for b in boxes:
            cmd += ["--box", b.addr]
        # (its bundle, and the local runs' below, go in the test's folder)
        run = subprocess.Popen(cmd + [prog], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=dict(os.environ, TMPDIR=work))
        # mid-run: once the first rows are out (killed before, the
        # deployment itself would fail)
        head = first_lines(run)
        boxes[2].p.send_signal(signal.SIGKILL)
        out, err = run.communicate(timeout=300)
        out = head + out
        err = err.decode(errors="replace")
        lost = boxes[2].addr
        check(run.returncode == 0, "the run ends with exit status 0", "exit %d: %s" % (run.returncode, err))
        check(re.search(r"equery-run: warning: box %s[ :].*; the run goes on without it(, trying it again every "
                        r"2 s)?\n" % re.escape(lost), err) is not None, "it says the killed box was lost", err)
        m = re.search(r"equery-run: warning: box %s missed (\d+) windows: their rows lack its packets\n"
                      % re.escape(lost), err)
        check(m is not None and int(m.group(1)) > 0, "and how many windows it missed", err)
        got = [int(x) for x in re.findall(r"equery-run: box [0-9.:]+: (\d+) packets", err)]
        check(len(got) == 3 and got[0] + got[1] == 92067, "the two others' packets are all there", err)
        check(len(out.splitlines()) > 100, "rows were printed", "%d lines" % len(out.splitlines()))
        # the rule of missed windows
        whole = local(build, prog, [os.path.join(traces, "heavy.pcap")], work)
        others = local(build, prog, [os.path.join(parts, "part1.pcap"), os.path.join(parts, "part2.pcap")], work)
        run_w = windows(out.decode(errors="replace"))
        odd = [w for w in run_w if run_w[w] != whole.get(w) and run_w[w] != others.get(w)]
        check(not odd, "every window is a local run's on the whole capture or on the two others' captures",
              "%d windows are neither, the first %s" % (len(odd), odd[:1]))
        lacking = sorted(w for w in run_w if run_w[w] != whole.get(w))
        after = sorted(w for w in whole if lacking and w >= lacking[0])
        check(lacking and lacking == [w for w in after if w in run_w and others.get(w) != whole.get(w)],
              "from the first window lacking the killed box's packets on, every window lacks them",
              "lacking %d windows, %d from the first on" % (len(lacking), len(after)))
        check(m is not None and int(m.group(1)) == len(after),
              "the windows counted missed are exactly those from the first lacking its packets on (%d)" % len(after),
              err)
    finally:
        for b in boxes:
            b.stop()
    subprocess.run(["rm", "-rf", work])
    print("box-fault: %d failed" % fails)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
