#!/usr/bin/env python3
"""equery-run --threads N on captures large enough to reach the other threads.

  threads_spread.py EQUERY_RUN REPO SHARED_TRACES

golden-run-threads-2 and -4 run the small test traces, whose batches are
mostly under HAND_OVER_MIN frames (runtime/threads.c): those stay on the
reading thread, so the other threads are barely used there. This test runs
programs over bench/gen_bench.py's mixed.pcap (generated into a temporary
folder, 20,000 flows: 100,000 frames) and, when SHARED_TRACES has them, two
real captures, with --threads 1, 2 and 4 and --verbose, and checks:
  - stdout and the exit status are the same, byte for byte, for 1, 2 and 4;
  - with 2 and 4 threads --verbose's note "--threads N: H of F frames
    measured on the other threads" is there, F is the run's packet count
    (every frame went through the pool) and H > 0 (the other threads
    measured some); with 1 thread there is no such note.
Prints PASS/FAIL per case; exit 0 when all passed, 1 otherwise.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

PROGRAMS = ["bench/groupby_5tuple.eq", "examples/top_talkers.eq", "examples/superspreader.eq",
            "examples/tcp_out_of_sequence.eq", "examples/completed_flows.eq"]
SHARED = ["bench_echo_loopback_82k.pcap", "mixed_example_15s.pcap"]
THREADS = [1, 2, 4]
GEN_FLOWS = "20000"  # bench/gen_bench.py: 5 frames a flow
NOTE = re.compile(r"^equery-run: note: --threads (\d+): (\d+) of (\d+) frames measured on the other threads$", re.M)
SUMMARY = re.compile(r"^equery-run: (\d+) packets, ", re.M)


def run(exe, threads, capture, program, repo):
    r = subprocess.run([exe, "--verbose", "--threads", str(threads), "--pcap", capture, program],
                       cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def check_case(exe, repo, capture, program):
    """None when the case passes, else why not."""
    first = None
    for t in THREADS:
        rc, out, err = run(exe, t, capture, program, repo)
        if rc != 0:
            return "--threads %d: exit %d: %s" % (t, rc, err[-1000:])
        if first is None:
            first = out
        elif out != first:
            return "--threads %d: stdout differs from --threads 1's (%d bytes, %d bytes)" % (t, len(out), len(first))
        notes = NOTE.findall(err)
        if t == 1:
            if notes:
                return "--threads 1: a note about other threads: %s" % (notes,)
            continue
        summary = SUMMARY.search(err)
        if len(notes) != 1 or not summary:
            return "--threads %d: expected one note about the other threads and the summary: %s" % (t, err[-1000:])
        nt, helped, pooled = (int(x) for x in notes[0])
        if nt != t or pooled != int(summary.group(1)) or helped == 0 or helped > pooled:
            return ("--threads %d: the note says --threads %d: %d of %d frames on the other threads (packets: %s); "
                    "expected %d: more than 0 of all of them" % (t, nt, helped, pooled, summary.group(1), t))
    return None


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    exe, repo, shared = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
    work = tempfile.mkdtemp(prefix="eq-threads-spread.")
    passed = failed = 0
    try:
        subprocess.run([sys.executable, os.path.join(repo, "bench", "gen_bench.py"), work], check=True,
                       env=dict(os.environ, BENCH_FLOWS=GEN_FLOWS), timeout=300)
        captures = [os.path.join(work, "mixed.pcap")]
        for name in SHARED:
            path = os.path.join(shared, name)
            if os.path.exists(path):
                captures.append(os.path.abspath(path))
            else:
                print("SKIP %s: not in %s" % (name, shared))
        for capture in captures:
            for program in PROGRAMS:
                name = "%s %s" % (os.path.basename(capture), program)
                why = check_case(exe, repo, capture, program)
                if why:
                    print("FAIL %s: %s" % (name, why))
                    failed += 1
                else:
                    print("PASS %s" % name)
                    passed += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("threads-spread: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
