#!/usr/bin/env python3
"""box_net_test.py BUILD TESTS_RUN_DIR TRACES SHARED: the equivalence test
over a real network (loopback) with real processes.

The run cases box_sim_test.py takes (one Ethernet capture, --format and
--quiet only) are run again: the capture is dealt round robin to 3
captures (deal.py), 3 equery-box processes serve them on free loopback
ports, and `equery-run --box x3 PROGRAM` must print the case's expected
output (NAME.out, a local run's on the whole capture) byte for byte: rows,
events and starts. The boxes of one capture serve all its cases, one after
the other. TCP loss is left out as in box_sim_test.py (a connection dealt
round robin is not whole on any box). With --deal flow: the capture dealt
by flow instead (each connection whole on one box: TCP loss included).
With --deal time: cut into 3 consecutive slices (TCP loss left out).
With --one: one box on the whole capture instead (the output of a local
run, byte for byte, TCP loss too)."""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from box_sim_test import cases  # noqa: E402
from boxes import Box  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def is_ethernet(cap):
    with open(cap, "rb") as f:
        head = f.read(24)
    return len(head) == 24 and int.from_bytes(head[20:24], "little" if head[0] in (0xD4, 0x4D) else "big") \
        & 0xFFFF == 1


def main():
    one = "--one" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--one"]
    deal = "rr"
    if "--deal" in args:
        i = args.index("--deal")
        deal = args[i + 1]
        del args[i:i + 2]
    build, run_dir, traces, shared = args[:4]
    box_exe, run_exe = os.path.join(build, "equery-box"), os.path.join(build, "equery-run")
    work = tempfile.mkdtemp(prefix="box_net_test.")
    atexit.register(shutil.rmtree, work, True)  # also when a check raises
    by_cap = {}
    for stem, words in cases(run_dir):
        prog, rest = words[0], words[1:]
        quiet = "--quiet" in rest
        rest = [w for w in rest if w != "--quiet"]
        opts = dict(zip(rest[::2], rest[1::2])) if len(rest) % 2 == 0 else None
        if not quiet or not opts or set(opts) - {"--pcap", "--format"} or "--pcap" not in opts or \
                rest.count("--pcap") > 1:
            continue
        cap = opts["--pcap"].replace("{traces}", traces).replace("{shared}", shared)
        if not os.path.isfile(cap) or not cap.endswith(".pcap") or not is_ethernet(cap):
            continue
        by_cap.setdefault(cap, []).append((stem, prog, opts.get("--format", "json")))
    passed = fails = 0
    for cap, todo in sorted(by_cap.items()):
        name = os.path.basename(cap)[:-5]
        parts = os.path.join(work, name)
        if one:
            setups = [("x1", [cap])]
        else:
            subprocess.run([sys.executable, os.path.join(HERE, "deal.py"), cap, "3", deal, parts], check=True,
                           stdout=subprocess.DEVNULL)
            setups = [("x3", [os.path.join(parts, "part%d.pcap" % i) for i in (1, 2, 3)])]
        for label, caps in setups:
            boxes = []
            try:
                for i, c in enumerate(caps):
                    boxes.append(Box(box_exe, c, os.path.join(work, "%s.%s.box%d.log" % (name, label, i))))
                args = []
                for b in boxes:
                    args += ["--box", b.addr]
                for stem, prog, fmt in todo:
                    program = os.path.join(REPO, prog)
                    man = subprocess.run([os.path.join(build, "equeryc"), "--emit=ir", program],
                                         capture_output=True, text=True).stdout
                    if label == "x3" and deal != "flow" and ("tcp_loss" in man or "loss(" in man):
                        print("SKIP %s/%s: TCP loss needs each connection whole on one box" % (stem, label))
                        continue
                    expected = open(os.path.join(run_dir, stem + ".out"), "rb").read()
                    cmd = [run_exe, "--format", fmt, "--quiet"] + args + [program]
                    try:
                        r = subprocess.run(cmd, capture_output=True, timeout=300)
                    except subprocess.TimeoutExpired:
                        fails += 1
                        print("FAIL %s/%s: timeout" % (stem, label))
                        continue
                    if r.returncode != 0 or r.stdout != expected:
                        fails += 1
                        print("FAIL %s/%s: exit %d" % (stem, label, r.returncode))
                        sys.stdout.write(r.stderr.decode(errors="replace")[-2000:])
                        a, b = expected.decode().splitlines(), r.stdout.decode().splitlines()
                        for i, (x, y) in enumerate(zip(a, b)):
                            if x != y:
                                print("  first difference at line %d:\n  - %s\n  + %s" % (i + 1, x[:300], y[:300]))
                                break
                        else:
                            print("  expected %d lines, got %d" % (len(a), len(b)))
                    else:
                        passed += 1
                        print("PASS %s/%s" % (stem, label))
                    sys.stdout.flush()
            finally:
                for b in boxes:
                    rc = b.stop()
                    if rc != 0:
                        fails += 1
                        print("FAIL %s: a box ended with %s on SIGTERM:\n%s" % (name, rc, b.text()[-1000:]))
    print("box-net%s: %d passed, %d failed" % ("-one" if one else "-flow" if deal == "flow" else "", passed, fails))
    sys.exit(1 if fails or not passed else 0)


if __name__ == "__main__":
    main()
