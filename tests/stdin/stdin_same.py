#!/usr/bin/env python3
"""A capture read from standard input gives what the same file gives.

  stdin_same.py EQUERY_RUN REPO SHARED_TRACES

A file is mapped and measured in bursts; standard input (here a pipe) is read
into a buffer that moves as it refills (runtime/capture.c), so each frame must be
measured before the next is read. This runs programs over the real
captures of SHARED_TRACES (megabytes: the buffer refills many times) with
--pcap FILE and with --pcap - and compares stdout byte for byte. Exit 77
when none of the captures is there.
"""
import os
import subprocess
import sys

PROGRAMS = ["bench/groupby_5tuple.eq", "examples/tcp_out_of_sequence.eq", "tests/export/programs/drill.eq"]
CAPTURES = ["bench_echo_loopback_82k.pcap", "flood_syn_spoofed.pcap", "mixed_example_15s.pcap"]


def run(exe, repo, program, capture, stdin):
    """(exit status, stdout, stderr); with stdin, the capture comes through
    a pipe (reads of a pipe's size, not of the file's chunks)."""
    args = [exe, "--format", "csv", "--quiet", "--pcap", "-" if stdin else capture, program]
    data = open(capture, "rb").read() if stdin else None
    r = subprocess.run(args, cwd=repo, input=data, stdin=None if stdin else subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    exe, repo, shared = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    caps = [os.path.join(shared, c) for c in CAPTURES if os.path.exists(os.path.join(shared, c))]
    if not caps:
        print("SKIP: none of %s in %s" % (", ".join(CAPTURES), shared))
        return 77
    passed = failed = 0
    for cap in caps:
        for prog in PROGRAMS:
            name = "%s %s" % (os.path.basename(cap), prog)
            rc_f, out_f, err_f = run(exe, repo, prog, cap, False)
            rc_s, out_s, err_s = run(exe, repo, prog, cap, True)
            if rc_f != 0 or rc_s != 0 or out_f != out_s or not out_f:
                lines_f, lines_s = out_f.splitlines(), out_s.splitlines()
                first = next((i for i, (a, b) in enumerate(zip(lines_f, lines_s)) if a != b), None)
                print("FAIL %s: exit %d (file), %d (stdin); %d and %d lines; first difference at line %s: %r / %r %s"
                      % (name, rc_f, rc_s, len(lines_f), len(lines_s), first,
                         lines_f[first] if first is not None else "", lines_s[first] if first is not None else "",
                         (err_f + err_s)[-500:]))
                failed += 1
            else:
                print("PASS %s (%d bytes)" % (name, len(out_f)))
                passed += 1
    print("stdin-same: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
