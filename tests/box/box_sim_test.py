#!/usr/bin/env python3
"""box_sim_test.py BOX_SIM TESTS_RUN_DIR TRACES SHARED: every run case of
tests/run that reads one Ethernet capture with --format and --quiet only is
run again by box_sim over the capture dealt to 3 boxes (round robin, by
flow, by time: tests/box/deal.py); the merged output must be the case's
expected output (NAME.out, the local run's) byte for byte.

Known not to merge exactly, and so left out with the reason printed: TCP
loss (`loss`, `sloss`, `dloss`) when a connection is dealt round robin or
cut in time: a box counts a retransmission only when the original crossed
it too (docs/boxes.md)."""
import atexit
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def cases(run_dir):
    for name in sorted(os.listdir(run_dir)):
        if not name.endswith(".run"):
            continue
        words, skip = [], False
        for line in open(os.path.join(run_dir, name)):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if line.split(":")[0] in ("exit", "stdin", "timeout"):
                skip = True
            elif ":" in line.split()[0]:
                continue  # noargs:, skipwith:
            else:
                words += shlex.split(line)
        if not skip:
            yield name[:-4], words


def main():
    box_sim, run_dir, traces, shared = sys.argv[1:5]
    fails = passed = 0
    work = tempfile.mkdtemp(prefix="box_sim_test.")
    atexit.register(shutil.rmtree, work, True)  # also when a check raises
    for stem, words in cases(run_dir):
        prog, rest = words[0], words[1:]
        opts = dict(zip(rest[::2], rest[1::2])) if len(rest) % 2 == 0 else None
        flags = [w for w in rest if w == "--quiet"]
        rest = [w for w in rest if w != "--quiet"]
        opts = dict(zip(rest[::2], rest[1::2])) if len(rest) % 2 == 0 else None
        if not flags or not opts or set(opts) - {"--pcap", "--format"} or "--pcap" not in opts or \
                rest.count("--pcap") > 1:
            continue
        cap = opts["--pcap"].replace("{traces}", traces).replace("{shared}", shared)
        if not os.path.isfile(cap) or not cap.endswith(".pcap"):
            continue
        with open(cap, "rb") as f:
            head = f.read(24)
        if len(head) < 24 or int.from_bytes(head[20:24], "little" if head[0] in (0xD4, 0x4D) else "big") & 0xFFFF != 1:
            continue  # not Ethernet: the same holds, but keep to what boxes capture
        expected = open(os.path.join(run_dir, stem + ".out"), "rb").read()
        program = os.path.join(REPO, prog)
        # (the fields the program reads, from the manifest equeryc writes)
        man = subprocess.run([os.path.join(os.path.dirname(box_sim), "..", "equeryc"), "--emit=ir", program],
                             capture_output=True, text=True).stdout
        loss = "tcp_loss" in man or "loss(" in man
        for mode in ("rr", "flow", "time"):
            if loss and mode != "flow":
                print("SKIP %s/%s: TCP loss needs each connection whole on one box" % (stem, mode))
                continue
            parts = os.path.join(work, stem + "." + mode)
            subprocess.run([sys.executable, os.path.join(HERE, "deal.py"), cap, "3", mode, parts], check=True)
            cmd = [box_sim, "--format", opts.get("--format", "json"), program] + \
                  [os.path.join(parts, "part%d.pcap" % i) for i in (1, 2, 3)]
            r = subprocess.run(cmd, capture_output=True, timeout=300)
            if r.returncode != 0 or r.stdout != expected:
                fails += 1
                print("FAIL %s/%s: exit %d" % (stem, mode, r.returncode))
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
                print("PASS %s/%s" % (stem, mode))
    print("box-sim: %d passed, %d failed" % (passed, fails))
    sys.exit(1 if fails or not passed else 0)


if __name__ == "__main__":
    main()
