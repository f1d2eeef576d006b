#!/usr/bin/env python3
"""Tests of the eBPF backend (docs/ebpf.md), run by ctest.

  check_ebpf.py --mode compile  --equeryc PATH --repo DIR --work DIR
  check_ebpf.py --mode verifier --equeryc PATH --repo DIR --work DIR
                --load-check PATH --equery-run PATH --traces DIR [--shared DIR]

compile (ebpf-compile): every example program (examples/*.eq) is compiled
  with `equeryc --target=ebpf`. One it accepts must compile warning-free with
  `clang -O2 -g -target bpf -Wall -Wextra -Werror`; one it refuses must exit
  with status 1 and errors located in the program (FILE:LINE:COL: error: ...).
  The test programs (tests/ebpf/*.eq) must be accepted and compile, and so
  must the golden tests/golden/NAME.bpf.c (with NAME.h as program.h).
  Every example must be accepted but those reading KOMon samples.

verifier (ebpf-verifier, root only): the kernel loads every accepted
  example and test program (load_check, libbpf: the verifier's numbers are
  printed). Then each test program runs over every Ethernet trace (the
  generated ones, and ../shared/traces when there) with BPF_PROG_TEST_RUN,
  frames spread over the CPUs, its per-CPU maps merged with the bundle's
  program.c; the rows must equal `equery-run BUNDLE --pcap FED --format
  json` over the very frames fed (FED), every column, and the counting
  query's frames and bytes must be the frames and bytes fed. Again on a
  few traces with the queries switched to their other buffer every 7
  frames (as window closes will: docs/ebpf.md), and with a map of
  EQ_MAX_GROUPS=20 groups against `--max-groups 20`: the same rows and the
  same number of packets in dropped groups.

Prints PASS/FAIL/SKIP lines and a summary. Exit status: 0 passed, 1 failed,
77 skipped (with the reason: not root, no clang for BPF, no libbpf, no BPF).
"""

import argparse
import difflib
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys

SKIP = 77

# Every example must be accepted, except those over KOMon samples (only the
# KOMon probe produces them): a refusal of any other is a failure.
KOMON_FIELDS = re.compile(r"\b(proc_time|sock_buf)\b")

# The map size of the dropped-groups run, and the traces it uses.
SMALL_GROUPS = 20
SMALL_TRACES = ("port_scan.pcap", "syn_flood.pcap")
# The runs that switch buffers every FLIP_EVERY frames, as window closes will.
FLIP_EVERY = 7
FLIP_TRACES = ("syn_flood.pcap", "vlan_mpls.pcap", "ipv6.pcap", "tcp_retrans.pcap")

# The traces every example runs over with equery-run --engine=ebpf (the run
# cases of golden-run-ebpf cover the others, with triggers and events).
ENGINE_TRACES = ("loss_chain.pcap", "tcp_retrans.pcap", "vlan_mpls.pcap")

LOCATED = re.compile(r"^[^:\s]+\.eq:\d+:\d+: error: ")


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def ok(self, name, note=""):
        self.passed += 1
        print("PASS %s%s" % (name, ": " + note if note else ""))

    def fail(self, name, why, details=""):
        self.failed += 1
        print("FAIL %s: %s" % (name, why))
        if details:
            for line in details.rstrip("\n").splitlines():
                print("    " + line)


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace", **kw)


def skip(why):
    print("SKIP %s" % why)
    sys.exit(SKIP)


RUNTIME_INCLUDE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "runtime", "include")


def bpf_cflags():
    """clang's flags for program.bpf.c: runtime/include holds eq_kern.h, the
    fixed part of every program; the multiarch include folder holds
    asm/types.h, which -target bpf does not search by itself."""
    flags = ["-O2", "-g", "-target", "bpf", "-Wall", "-Wextra", "-Werror", "-I" + os.path.normpath(RUNTIME_INCLUDE)]
    for cc in ("gcc", "clang"):
        try:
            r = run([cc, "-print-multiarch"])
        except OSError:
            continue
        arch = r.stdout.strip()
        if r.returncode == 0 and arch and os.path.isdir("/usr/include/" + arch):
            return flags + ["-I/usr/include/" + arch]
    return flags


def clang_bpf(src, obj, extra=()):
    """Compiles src into obj; (ok, messages)."""
    r = run(["clang"] + bpf_cflags() + list(extra) + ["-c", src, "-o", obj])
    return r.returncode == 0 and not r.stderr.strip(), r.stderr


def probe_toolchain(work):
    """SKIPs (exit 77) when clang cannot build a libbpf program here."""
    if not shutil.which("clang"):
        skip("clang is not installed (scripts/install-deps.sh installs it)")
    src = os.path.join(work, "probe.bpf.c")
    with open(src, "w") as f:
        f.write("#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
                "SEC(\"xdp\") int probe(struct xdp_md *ctx) { (void)ctx; return XDP_PASS; }\n"
                "char LICENSE[] SEC(\"license\") = \"GPL\";\n")
    ok, msg = clang_bpf(src, os.path.join(work, "probe.o"))
    if not ok:
        first = (msg.strip().splitlines() or ["?"])[0]
        skip("clang cannot build BPF programs here (install libbpf-dev and linux-libc-dev): %s" % first)


def equeryc_ebpf(equeryc, eq, outdir):
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(os.path.dirname(outdir), exist_ok=True)
    return run([equeryc, "--target=ebpf", "-o", outdir, eq])


def build(res, equeryc, eq, outdir, name, extra=()):
    """equeryc --target=ebpf, then clang; the object's path, or None (failed)."""
    r = equeryc_ebpf(equeryc, eq, outdir)
    if r.returncode != 0:
        res.fail(name, "equeryc --target=ebpf exited with %d" % r.returncode, r.stderr)
        return None
    obj = os.path.join(outdir, "program.bpf.o")
    ok, msg = clang_bpf(os.path.join(outdir, "program.bpf.c"), obj, extra)
    if not ok:
        res.fail(name, "program.bpf.c does not compile warning-free", msg)
        return None
    return obj


def examples(repo):
    return sorted(glob.glob(os.path.join(repo, "examples", "*.eq")))


def test_programs(repo):
    return sorted(glob.glob(os.path.join(repo, "tests", "ebpf", "*.eq")))


def stem(path):
    return os.path.basename(path)[:-3]


# ---- compile ----------------------------------------------------------------

def mode_compile(o, res):
    probe_toolchain(o.work)
    accepted, refused = [], []
    for eq in examples(o.repo):
        name = "example " + stem(eq)
        out = os.path.join(o.work, "examples", stem(eq))
        r = equeryc_ebpf(o.equeryc, eq, out)
        if r.returncode == 0:
            obj = os.path.join(out, "program.bpf.o")
            ok, msg = clang_bpf(os.path.join(out, "program.bpf.c"), obj)
            if ok:
                accepted.append(stem(eq))
                res.ok(name, "accepted; program.bpf.o is %d bytes" % os.path.getsize(obj))
            else:
                res.fail(name, "accepted, but program.bpf.c does not compile warning-free", msg)
        elif r.returncode == 1:
            errors = [l for l in r.stderr.splitlines() if ": error: " in l]
            unlocated = [l for l in errors if not LOCATED.match(l)]
            if not errors or unlocated:
                res.fail(name, "refused without a located error", r.stderr)
            elif os.path.exists(os.path.join(out, "program.bpf.c")):
                res.fail(name, "refused, yet a program.bpf.c was written")
            else:
                refused.append(stem(eq))
                res.ok(name, "refused: %s" % errors[0].split(": error: ", 1)[1])
        else:
            res.fail(name, "equeryc --target=ebpf exited with %d" % r.returncode, r.stderr)
    for eq in examples(o.repo):
        with open(eq) as f:
            komon = KOMON_FIELDS.search(f.read()) is not None
        if not komon and stem(eq) not in accepted:
            res.fail("example " + stem(eq), "the eBPF backend must accept every example that reads no KOMon sample")
        if komon and stem(eq) in accepted:
            res.fail("example " + stem(eq), "reads KOMon samples, yet the eBPF backend accepted it")
    for eq in test_programs(o.repo):
        name = "test program " + stem(eq)
        obj = build(res, o.equeryc, eq, os.path.join(o.work, "tests", stem(eq)), name)
        if obj:
            res.ok(name, "program.bpf.o is %d bytes" % os.path.getsize(obj))
    for src in sorted(glob.glob(os.path.join(o.repo, "tests", "golden", "*.bpf.c"))):
        n = os.path.basename(src)[:-len(".bpf.c")]
        d = os.path.join(o.work, "golden", n)
        os.makedirs(d, exist_ok=True)
        shutil.copy(src, os.path.join(d, "program.bpf.c"))
        hdr = os.path.join(o.repo, "tests", "golden", n + ".h")
        if not os.path.exists(hdr):
            res.fail("golden " + n, "no %s.h next to it (program.h)" % n)
            continue
        shutil.copy(hdr, os.path.join(d, "program.h"))
        ok, msg = clang_bpf(os.path.join(d, "program.bpf.c"), os.path.join(d, "program.bpf.o"))
        if ok:
            res.ok("golden " + n + ".bpf.c")
        else:
            res.fail("golden " + n + ".bpf.c", "does not compile warning-free", msg)
    if not accepted:
        res.fail("examples", "the eBPF backend accepts none of them")
    print("ebpf-compile: examples accepted: %s; refused: %s" % (" ".join(accepted) or "none",
                                                                 " ".join(refused) or "none"))


# ---- verifier ----------------------------------------------------------------

def is_ethernet_pcap(path):
    """A classic pcap file of link type Ethernet (XDP sees Ethernet frames)."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return False
    if len(head) < 24:
        return False
    magic = head[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        order = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        order = ">"
    else:
        return False
    return struct.unpack(order + "I", head[20:24])[0] & 0xffff == 1


def traces(o):
    found = sorted(t for t in glob.glob(os.path.join(o.traces, "*.pcap")) if is_ethernet_pcap(t))
    if o.shared and os.path.isdir(o.shared):
        found += sorted(t for t in glob.glob(os.path.join(o.shared, "*.pcap")) if is_ethernet_pcap(t))
    return found


def load(o, res, obj, name):
    r = run([o.load_check, obj])
    if r.returncode == SKIP:
        skip("BPF programs cannot be loaded here: %s" % r.stderr.strip())
    if r.returncode != 0:
        res.fail(name, "the kernel does not load it", r.stdout + r.stderr)
        return False
    for line in r.stdout.splitlines():
        res.ok(name, line.split(": ", 1)[1] if ": " in line else line)
    return True


def rows_of(text):
    return [l for l in text.splitlines() if l.startswith('{"type":"row"')]


def fed_counts(stderr):
    m = re.search(r"fed (\d+) frames \((\d+) bytes\)", stderr)
    return (int(m.group(1)), int(m.group(2))) if m else None


def dropped_of(text, pattern):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else None


def differential(o, res, bundle, obj, trace, name, run_args=(), load_args=()):
    fed = os.path.join(o.work, "fed.pcap")
    r = run([o.load_check, "--run", bundle, obj, "--pcap", trace, "--fed", fed] + list(load_args))
    if r.returncode == SKIP:
        skip("BPF programs cannot be run here: %s" % r.stderr.strip())
    if r.returncode != 0:
        res.fail(name, "load_check --run exited with %d" % r.returncode, r.stderr)
        return
    counts = fed_counts(r.stderr)
    e = run([o.equery_run, bundle, "--pcap", fed, "--format", "json"] + list(run_args))
    if e.returncode != 0:
        res.fail(name, "equery-run exited with %d" % e.returncode, e.stderr)
        return
    bpf, ref = rows_of(r.stdout), rows_of(e.stdout)
    if bpf != ref:
        diff = "".join(list(difflib.unified_diff([l + "\n" for l in ref], [l + "\n" for l in bpf],
                                                 "equery-run", "eBPF"))[:60])
        res.fail(name, "the eBPF rows differ from equery-run's", diff)
        return
    # the counting query: every frame fed, every byte
    for line in bpf:
        row = json.loads(line)
        if row["query"] == "totals" and counts:
            got = (row["values"].get("frames"), row["values"].get("bytes"))
            if got != counts:
                res.fail(name, "query totals counted %s frames and %s bytes; %d and %d were fed"
                         % (got[0], got[1], counts[0], counts[1]))
                return
    dk = dropped_of(r.stderr, r"packets in dropped groups (\d+)")
    dr = dropped_of(e.stderr, r"packets in dropped groups (\d+)")
    if dk != dr:
        res.fail(name, "packets in dropped groups: %s in eBPF, %s in equery-run" % (dk, dr))
        return
    note = "%d rows the same" % len(bpf)
    if counts:
        note += "; %d frames, %d bytes" % counts
    flips = re.search(r"buffers flipped (\d+) times", r.stderr)
    if flips:
        note += "; buffers flipped %s times" % flips.group(1)
    if dk:
        note += "; %d packets in dropped groups" % dk
    res.ok(name, note)


MAX_FED = 18 * 4096  # runtime/ebpf_run.c MAX_FRAME


# Frames longer than a jumbo frame whose capture was cut by the snaplen
# (heavy.pcap: 138,100 frames of 57 kB on average, 64 bytes captured) would
# be padded to 7.9 GB to be fed: bounded() gives them their captured length.
BOUND = 9018


def pcap_records(data, endian):
    """(sec, frac, caplen, wirelen, frame) of each record of a classic pcap."""
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, cap, wire = struct.unpack(endian + "IIII", data[pos:pos + 16])
        yield sec, frac, cap, wire, data[pos + 16:pos + 16 + cap]
        pos += 16 + cap


def pcap_endian(data):
    return {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<",
            b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}.get(data[:4]) if len(data) >= 24 else None


def bounded(o, trace):
    """The trace as the differential tests feed it: itself, or, when it has
    frames over BOUND bytes cut by the snaplen, a copy in which those
    frames have their captured length as their wire length (said once per
    trace). Both sides of every comparison then read the same frames."""
    with open(trace, "rb") as f:
        data = f.read()
    endian = pcap_endian(data)
    if not endian or not any(wire > BOUND and cap < wire for _, _, cap, wire, _ in pcap_records(data, endian)):
        return trace
    os.makedirs(os.path.join(o.work, "bounded"), exist_ok=True)
    dst = os.path.join(o.work, "bounded", os.path.basename(trace))
    n = 0
    with open(dst, "wb") as out:
        out.write(data[:24])
        for sec, frac, cap, wire, frame in pcap_records(data, endian):
            if wire > BOUND and cap < wire:
                wire, n = cap, n + 1
            out.write(struct.pack(endian + "IIII", sec, frac, cap, wire) + frame)
    print("NOTE %s: %d frames over %d bytes cut by the snaplen are fed with their captured length"
          % (os.path.basename(trace), n, BOUND))
    return dst


def padded_pcap(src, dst):
    """The frames of an Ethernet capture as XDP sees them (what equery-run
    --engine=ebpf feeds): whole frames, a frame cut by the snaplen padded
    with zeros to its wire length; none under 14 bytes or over MAX_FED (the
    longest frame runtime/ebpf_run.c feeds to BPF_PROG_TEST_RUN). Returns
    the number written, or None when src is not a classic pcap."""
    with open(src, "rb") as f:
        data = f.read()
    endian = pcap_endian(data)
    if not endian:
        return None
    n = 0
    with open(dst, "wb") as out:
        out.write(data[:16] + struct.pack(endian + "II", 262144, struct.unpack(endian + "I", data[20:24])[0]))
        for sec, frac, cap, wire, frame in pcap_records(data, endian):
            length = max(cap, wire)
            if length < 14 or length > MAX_FED:
                continue
            out.write(struct.pack(endian + "IIII", sec, frac, length, length) + frame + b"\0" * (length - len(frame)))
            n += 1
    return n


def engine_differential(o, res, eq, trace, name):
    """equery-run --engine=ebpf against the portable engine, on the same
    frames: every output line (rows, events, starts) the same."""
    fed = os.path.join(o.work, "engine-fed.pcap")
    if not padded_pcap(trace, fed):
        return
    b = run([o.equery_run, "--engine=ebpf", eq, "--pcap", fed, "--format", "json"])
    if b.returncode == SKIP or "no permission" in b.stderr:
        skip("the eBPF engine cannot run here: %s" % b.stderr.strip())
    p = run([o.equery_run, eq, "--pcap", fed, "--format", "json"])
    if b.returncode != 0 or p.returncode != 0:
        res.fail(name, "exit status %d (eBPF) and %d (portable)" % (b.returncode, p.returncode), b.stderr + p.stderr)
        return
    if b.stdout != p.stdout:
        diff = "".join(list(difflib.unified_diff(p.stdout.splitlines(True), b.stdout.splitlines(True),
                                                 "portable", "ebpf"))[:60])
        res.fail(name, "--engine=ebpf prints other results than the portable engine", diff)
        return
    # the time differs, and "malformed": the kernel program does not count
    # malformed frames, user space counts those among the frames it gets
    summary = lambda e: re.sub(r" in [0-9.]+ s \([0-9.]+ Mpps\)|; malformed \d+", "", e)
    sb = [l for l in b.stderr.splitlines() if " packets, " in l]
    sp = [l for l in p.stderr.splitlines() if " packets, " in l]
    if [summary(l) for l in sb] != [summary(l) for l in sp]:
        res.fail(name, "the summaries differ", "\n".join(sb + sp))
        return
    res.ok(name, "%d lines the same" % len(b.stdout.splitlines()))


def mode_verifier(o, res):
    if os.geteuid() != 0:
        skip("ebpf-verifier needs root to load BPF programs (CI runs as root)")
    if not o.load_check or not os.path.exists(o.load_check):
        skip("load_check was not built: libbpf (libbpf-dev) was not found when configuring")
    probe_toolchain(o.work)
    objs = []
    for eq in examples(o.repo):
        out = os.path.join(o.work, "examples", stem(eq))
        if equeryc_ebpf(o.equeryc, eq, out).returncode == 0:
            obj = build(Results(), o.equeryc, eq, out, stem(eq))
            if obj:
                objs.append(("example " + stem(eq), obj))
            else:
                res.fail("example " + stem(eq), "accepted but does not compile (see ebpf-compile)")
    progs = []
    for eq in test_programs(o.repo):
        out = os.path.join(o.work, "tests", stem(eq))
        obj = build(res, o.equeryc, eq, out, "test program " + stem(eq))
        if obj:
            objs.append(("test program " + stem(eq), obj))
            progs.append((stem(eq), out, obj))
    for name, obj in objs:
        load(o, res, obj, "load " + name)
    found = traces(o)
    if not found:
        res.fail("traces", "no Ethernet trace in %s" % o.traces)
    all_traces = [bounded(o, t) for t in found]
    ours = {b for t, b in zip(found, all_traces) if os.path.abspath(os.path.dirname(t)) == os.path.abspath(o.traces)}
    # the eBPF engine of equery-run, every accepted example, the project's traces
    generated = [t for t in all_traces if t in ours and os.path.basename(t) in ENGINE_TRACES]
    for eq in examples(o.repo):
        out = os.path.join(o.work, "examples", stem(eq))
        if not os.path.exists(os.path.join(out, "program.bpf.c")):
            continue
        for t in generated:
            engine_differential(o, res, eq, t, "equery-run --engine=ebpf %s over %s" % (stem(eq), os.path.basename(t)))
    for pname, bundle, obj in progs:
        for t in all_traces:
            engine_differential(o, res, os.path.join(o.repo, "tests", "ebpf", pname + ".eq"), t,
                                "equery-run --engine=ebpf %s over %s" % (pname, os.path.basename(t)))
    for pname, bundle, obj in progs:
        for t in all_traces:
            differential(o, res, bundle, obj, t, "%s over %s" % (pname, os.path.basename(t)))
        # buffers switched while frames come: nothing lost, nothing counted twice
        for t in all_traces:
            if t in ours and os.path.basename(t) in FLIP_TRACES:
                differential(o, res, bundle, obj, t,
                             "%s over %s, buffers switched every %d frames" % (pname, os.path.basename(t), FLIP_EVERY),
                             load_args=["--flip-every", str(FLIP_EVERY)])
        # a full map: the same groups kept, the same packets dropped
        small = os.path.join(o.work, "tests", pname + "-small")
        sobj = build(res, o.equeryc, os.path.join(o.repo, "tests", "ebpf", pname + ".eq"), small,
                     "test program %s, EQ_MAX_GROUPS=%d" % (pname, SMALL_GROUPS),
                     ["-DEQ_MAX_GROUPS=%d" % SMALL_GROUPS])
        for t in all_traces:
            if sobj and os.path.basename(t) in SMALL_TRACES:
                differential(o, res, small, sobj, t,
                             "%s over %s, %d groups" % (pname, os.path.basename(t), SMALL_GROUPS),
                             ["--max-groups", str(SMALL_GROUPS)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", required=True, choices=("compile", "verifier"))
    ap.add_argument("--equeryc", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--load-check", default="")
    ap.add_argument("--equery-run", default="")
    ap.add_argument("--traces", default="")
    ap.add_argument("--shared", default="")
    o = ap.parse_args()
    if os.path.isdir(o.work):
        shutil.rmtree(o.work)
    os.makedirs(o.work)
    res = Results()
    (mode_compile if o.mode == "compile" else mode_verifier)(o, res)
    print("ebpf-%s: %d passed, %d failed" % (o.mode, res.passed, res.failed))
    return 1 if res.failed or not res.passed else 0


if __name__ == "__main__":
    sys.exit(main())
