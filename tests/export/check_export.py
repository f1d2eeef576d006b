#!/usr/bin/env python3
"""The exporters against real tools (standard library only; docs/export.md).

Usage:
  check_export.py ipfixdump --equery-run PATH --traces DIR
      Each case writes an IPFIX file (--ipfix-file) and decodes it with
      libfixbuf's ipfixDump --rfc5610 (which learns the enterprise elements
      from the file's type records); the text must equal tests/export/ipfixdump/
      NAME.txt (EQUERY_UPDATE_GOLDEN=1 rewrites them: review the diff).
  check_export.py nfcapd --equery-run PATH --traces DIR [--shared DIR]
      Starts nfcapd on a free loopback port with a temporary folder (stopped
      and removed at the end, whatever happens), exports captures to it with
      --ipfix while the same run writes its rows as CSV, and checks with
      nfdump that every flow arrived with the CSV's packets and bytes, and
      that nfcapd counted no sequence failure.
  check_export.py server-ipfix --equery-run PATH --traces DIR [--shared DIR]
      equery-server --ipfix to nfcapd on a free loopback port (equery-server
      and equery-box beside equery-run): programs/flows.eq submitted over
      boxes replaying captures; nfdump's flows, packets and bytes are the
      rows GET /api/programs/ID/rows?format=csv gives, 0 sequence failures;
      ?ipfix=0 opts a program out; bad values and options are refused.
  check_export.py pcap --equery-run PATH --traces DIR [--shared DIR]
      --pcap-out of packet queries read back with tshark: the same packets
      (timestamps to the nanosecond, lengths) as the queries' CSV rows,
      each frame once. Then --pcap-out DIR/ (a file per query instance) of
      programs/drill.eq over a generated and a real capture: each file named
      in DIR/index.csv holds exactly the frames of its instance's CSV rows,
      is named after the instance's start and drill-down values as the CSV's
      start records give them, and the index lists every file and instance;
      a file that cannot be written is said, counted, and the rest goes on.

  check_export.py doc --repo DIR
      Every element of export/ipfix_elements.def is in docs/export.md's
      table, with its id, and the table names no other.

Prints PASS/FAIL/SKIP lines and a summary; exit status 0 when all passed,
1 when one failed, 77 when the tool the mode needs is not installed.
"""

import argparse
import datetime
import difflib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "programs")

# (name, program, capture, extra equery-run arguments)
IPFIXDUMP_CASES = [
    ("flows_ipv6", "flows.eq", "ipv6.pcap", []),
    ("mixed_vlan", "mixed.eq", "vlan_mpls.pcap", []),
    ("hosts_mtu", "hosts.eq", "loss_chain.pcap", ["--ipfix-mtu", "100", "--mid", "7"]),
    ("flows_refresh", "flows.eq", "loss_chain.pcap", ["--ipfix-template-refresh", "2"]),
]

# captures exported to nfcapd (program flows.eq): generated ones, then real
# ones when present; and runs of other programs (enterprise elements,
# template refresh by time and by messages)
NFCAPD_TRACES = ["loss_chain.pcap", "ipv6.pcap", "attacks.pcap", "bench_mixed.pcap", "vlan_mpls.pcap"]
NFCAPD_MORE = [("mixed.eq", "attacks.pcap", ["--ipfix-template-refresh", "5", "--ipfix-template-refresh-messages", "100"])]
NFCAPD_SHARED = ["mixed_example_15s.pcap", "ipv6_mixed_tcp_udp_icmp6_dns.pcap", "icmp_ping_plus_ssh.pcap"]

PCAP_TRACES = ["loss_chain.pcap", "ipv6.pcap", "attacks.pcap", "syn_flood.pcap", "vlan_mpls.pcap"]
PCAP_SHARED = ["mixed_example_15s.pcap", "flood_syn_spoofed.pcap"]
# --pcap-out DIR/: a generated capture, then a real one (a missing real one
# is said and is not a pass)
PCAPDIR_TRACES = ["loss_chain.pcap"]
PCAPDIR_SHARED = ["mixed_example_15s.pcap"]


class Result:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def ok(self, name, note=""):
        self.passed += 1
        print("PASS %s%s" % (name, " (%s)" % note if note else ""))

    def fail(self, name, why):
        self.failed += 1
        print("FAIL %s: %s" % (name, why))

    def skip(self, name, why):
        self.skipped += 1
        print("SKIP %s: %s" % (name, why))


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300, **kw)


def update_mode():
    return os.environ.get("EQUERY_UPDATE_GOLDEN", "") not in ("", "0", "false", "no")


def captures(args, names, shared_names):
    out = [(n, os.path.join(args.traces, n)) for n in names]
    if args.shared and os.path.isdir(args.shared):
        out += [(n, os.path.join(args.shared, n)) for n in shared_names
                if os.path.exists(os.path.join(args.shared, n))]
    return out


def generated_and_real(args, res, prefix, names, shared_names):
    """captures(), but a real capture that is absent is said, as a SKIP
    that is not a pass."""
    out = [(n, os.path.join(args.traces, n)) for n in names]
    for n in shared_names:
        p = os.path.join(args.shared or "", n)
        if args.shared and os.path.exists(p):
            out.append((n, p))
        else:
            res.skip(prefix + n, "the real capture %s is absent (../shared/traces): not tested" % p)
    return out


def ms_of(iso):
    """2026-01-01T00:00:00.400100Z -> milliseconds since the epoch (floor)."""
    d = datetime.datetime.strptime(iso[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000 + d.microsecond // 1000


def ns_of(iso):
    base, frac = iso.rstrip("Z").split(".")
    d = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 10**9 + int(frac.ljust(9, "0"))


# ---- ipfixDump ----------------------------------------------------------------

def mode_ipfixdump(args, res):
    if not shutil.which("ipfixDump"):
        print("SKIP: ipfixDump is not installed (Debian: libfixbuf-tools)")
        return 77
    work = tempfile.mkdtemp(prefix="eq-ipfixdump.")
    try:
        for name, prog, cap, extra in IPFIXDUMP_CASES:
            f = os.path.join(work, name + ".ipfix")
            r = run([args.equery_run, os.path.join(PROGRAMS, prog), "--pcap", os.path.join(args.traces, cap),
                     "--format", "none", "--quiet", "--ipfix-file", f] + extra)
            if r.returncode != 0:
                res.fail(name, "equery-run: exit %d: %s" % (r.returncode, r.stderr.decode()))
                continue
            d = run(["ipfixDump", "--rfc5610", "--in", f])
            if d.returncode != 0:
                res.fail(name, "ipfixDump: exit %d: %s" % (d.returncode, d.stderr.decode()))
                continue
            got = d.stdout.decode()
            golden = os.path.join(HERE, "ipfixdump", name + ".txt")
            want = open(golden).read() if os.path.exists(golden) else None
            if want == got:
                res.ok(name)
            elif update_mode():
                with open(golden, "w") as g:
                    g.write(got)
                res.ok(name, "updated")
            else:
                diff = "".join(difflib.unified_diff((want or "").splitlines(True), got.splitlines(True),
                                                    golden, "ipfixDump output"))
                res.fail(name, "ipfixDump's decoding differs from %s\n%s" % (golden, diff))
        # the same bytes whatever measures: partial tables merged, the DPDK
        # engine (when equery-run has it)
        base = os.path.join(work, "same.ipfix")
        common = [args.equery_run, os.path.join(PROGRAMS, "mixed.eq"), "--pcap",
                  os.path.join(args.traces, "attacks.pcap"), "--format", "none", "--quiet"]
        run(common + ["--ipfix-file", base])
        for name, extra in (("same_partitions", ["--partitions", "4"]), ("same_dpdk", ["--engine=dpdk"])):
            f = os.path.join(work, name + ".ipfix")
            r = run(common + ["--ipfix-file", f] + extra)
            if r.returncode != 0 and name == "same_dpdk":
                res.skip(name, "equery-run --engine=dpdk: %s" % r.stderr.decode().strip().splitlines()[-1:])
            elif r.returncode != 0:
                res.fail(name, "equery-run: exit %d: %s" % (r.returncode, r.stderr.decode()))
            elif open(f, "rb").read() != open(base, "rb").read():
                res.fail(name, "%s gives another IPFIX file than the portable engine" % " ".join(extra))
            else:
                res.ok(name, "%s: the same %d bytes" % (" ".join(extra), os.path.getsize(f)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


# ---- nfcapd -------------------------------------------------------------------

def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Nfcapd:
    """nfcapd on 127.0.0.1:PORT writing into a folder of its own."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_udp_port()
        self.log = open(os.path.join(folder, "..", "nfcapd.log"), "w")
        self.proc = subprocess.Popen(["nfcapd", "-b", "127.0.0.1", "-p", str(self.port), "-w", folder,
                                      "-B", "16000000"], stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        # ready when its socket is bound (read from /proc/net/udp: binding
        # the port ourselves to probe it could take it from nfcapd)
        for _ in range(200):
            if self.bound():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()  # (nothing is left running)
        raise RuntimeError("nfcapd did not start on 127.0.0.1:%d: %s" % (
            self.port, open(os.path.join(folder, "..", "nfcapd.log")).read()))

    def bound(self):
        want = ":%04X" % self.port
        with open("/proc/net/udp") as f:
            return any(line.split()[1].endswith(want) for line in f.readlines()[1:])

    def stop(self):
        """SIGTERM: nfcapd writes its open file and exits."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


# The request types of the ICMP request/reply pairs (docs/fields.md): the
# ports of such a group are the request's type and the identifier, either
# way round; any other message has its type and code in them.
ICMP_REQUESTS = {False: (8, 13, 15, 17), True: (128,)}


def icmp_type_code(sport, dport, v6):
    """(type, code) as strings, as the exporter writes icmpTypeCode of an
    ICMP row (export/ipfix_sink.c): a pair's request type with code 0."""
    if sport in ICMP_REQUESTS[v6]:
        return str(sport), "0"
    if sport > 0xff and dport in ICMP_REQUESTS[v6]:
        return str(dport), "0"
    return str(sport & 0xff), str(dport & 0xff)


def csv_flows(text):
    """The flows of equery-run's CSV: (saddr, daddr, proto, sport, dport, start ms, end ms) -> [packets, bytes].
    The query's first columns are those of programs/flows.eq."""
    flows = {}
    for line in text.splitlines():
        f = line.split(",")
        if f[0] != "row" or f[1] != "flows":
            continue
        start, end, saddr, daddr, proto, sport, dport, count, ipbytes = f[3:12]
        # a record leaves an absent port out; nfdump shows 0
        sport, dport = sport or "0", dport or "0"
        if int(proto) in (1, 58):
            sport, dport = icmp_type_code(int(sport), int(dport), int(proto) == 58)
        key = (saddr, daddr, int(proto), sport, dport, ms_of(start), ms_of(end))
        flows.setdefault(key, [0, 0, 0])
        flows[key][0] += int(count)
        flows[key][1] += int(ipbytes)
        flows[key][2] += 1
    return flows


def nfdump_flows(records):
    flows = {}
    for r in records:
        if r.get("type") != "FLOW":
            continue
        saddr = r.get("src4_addr") or r.get("src6_addr")
        daddr = r.get("dst4_addr") or r.get("dst6_addr")
        proto = r["proto"]
        if proto in (1, 58):
            # an ICMP row goes out as icmpTypeCode (icmp_type_code())
            sport, dport = str(r.get("icmp_type", "")), str(r.get("icmp_code", ""))
        else:
            sport, dport = str(r.get("src_port", "")), str(r.get("dst_port", ""))
        key = (saddr, daddr, proto, sport, dport, ms_of(r["first"] + "000Z"), ms_of(r["last"] + "000Z"))
        flows.setdefault(key, [0, 0, 0])
        flows[key][0] += r["in_packets"]
        flows[key][1] += r["in_bytes"]
        flows[key][2] += 1
    return flows


def compare_collected(res, expected, folder, work, env):
    """The flows nfcapd wrote into `folder` against the CSV rows of each
    exporter (expected: domain -> (name, csv_flows())): the same packets and
    bytes for every flow, no flow without a row, and nfdump -I's flows and
    0 sequence failures. nfcapd must have been stopped."""
    files = [os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.startswith("nfcapd.")]
    if not files:
        res.fail("nfcapd", "nfcapd wrote no file: %s" % open(os.path.join(work, "nfcapd.log")).read())
        return
    # nfdump 1.7 has no exporter domain in its JSON: read every flow,
    # then assign each to its capture by the flow's key and counts
    got = {}
    for f in files:
        d = run(["nfdump", "-r", f, "-o", "json"], env=env)
        if d.returncode != 0:
            res.fail("nfdump", "nfdump -r %s: %s" % (f, d.stderr.decode()))
            return
        text = d.stdout.decode().strip()
        if text:
            for k, v in nfdump_flows(json.loads(text)).items():
                got.setdefault(k, [0, 0, 0])
                for j in range(3):
                    got[k][j] += v[j]
    want = {}
    for _, (_, flows) in sorted(expected.items()):
        for k, v in flows.items():
            want.setdefault(k, [0, 0, 0])
            for j in range(3):
                want[k][j] += v[j]
    for _, (name, flows) in sorted(expected.items()):
        bad = [(k, v, got.get(k)) for k, v in flows.items() if got.get(k) != want[k]]
        pk = sum(v[0] for v in flows.values())
        by = sum(v[1] for v in flows.values())
        if bad:
            k, v, g = bad[0]
            res.fail(name, "%d of %d flows differ; e.g. %s: CSV %s, nfdump %s" % (len(bad), len(flows), k, v, g))
        else:
            res.ok(name, "%d flows, %d packets, %d bytes" % (len(flows), pk, by))
    extra = [k for k in got if k not in want]
    if extra:
        res.fail("nfdump", "%d flows nfdump has and no CSV row; e.g. %s" % (len(extra), extra[0]))
    # nfcapd's own counts: flows and no sequence failure
    seq_fail = None
    nflows = 0
    for f in files:
        info = run(["nfdump", "-r", f, "-I"], env=env).stdout.decode()
        for line in info.splitlines():
            if line.startswith("Sequence failures:"):
                seq_fail = (seq_fail or 0) + int(line.split(":")[1])
            if line.startswith("Flows:"):
                nflows += int(line.split(":")[1])
    total = sum(v[2] for v in want.values())
    if seq_fail != 0:
        res.fail("sequence", "nfdump -I reports %s sequence failures" % seq_fail)
    elif nflows != total:
        res.fail("flows", "nfcapd stored %d flows, the CSV has %d rows" % (nflows, total))
    else:
        res.ok("sequence", "nfdump -I: %d flows, 0 sequence failures" % nflows)


def mode_nfcapd(args, res):
    for tool in ("nfcapd", "nfdump"):
        if not shutil.which(tool):
            print("SKIP: %s is not installed (Debian: nfdump)" % tool)
            return 77
    work = tempfile.mkdtemp(prefix="eq-nfcapd.")
    folder = os.path.join(work, "flows")
    os.mkdir(folder)
    caps = captures(args, NFCAPD_TRACES, NFCAPD_SHARED)
    collector = None
    expected = {}
    env = dict(os.environ, TZ="UTC")
    try:
        collector = Nfcapd(folder)
        runs = [(name, path, "flows.eq", []) for name, path in caps]
        runs += [("%s over %s" % (prog, cap), os.path.join(args.traces, cap), prog, extra)
                 for prog, cap, extra in NFCAPD_MORE]
        for i, (name, path, prog, extra) in enumerate(runs):
            # one observation domain per capture (--mid): each run is an
            # exporter of its own, whose sequence numbers start at 0
            rows = os.path.join(work, "%d.csv" % i)
            r = run([args.equery_run, os.path.join(PROGRAMS, prog), "--pcap", path, "--format", "csv",
                     "-o", rows, "--quiet", "--mid", str(i + 1), "--ipfix", "127.0.0.1:%d" % collector.port] + extra)
            if r.returncode != 0:
                res.fail(name, "equery-run: exit %d: %s" % (r.returncode, r.stderr.decode()))
                continue
            expected[i + 1] = (name, csv_flows(open(rows).read()))
            time.sleep(0.2)  # (nfcapd drains its socket)
        time.sleep(0.5)
        collector.stop()
        compare_collected(res, expected, folder, work, env)
    finally:
        if collector:
            collector.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


# ---- equery-server --ipfix ----------------------------------------------------

SERVER_TRACES = ["attacks.pcap"]
SERVER_SHARED = ["mixed_example_15s.pcap"]


def wait_program(server, pid, secs=240):
    """The program's state once it is no longer running."""
    deadline = time.time() + secs
    while time.time() < deadline:
        st, _, body = server.request("GET", "/api/programs/%d" % pid)
        state = json.loads(body).get("server") if st == 200 else None
        if state and state != "running":
            return state
        time.sleep(0.2)
    return "still running after %d s" % secs


def mode_server_ipfix(args, res):
    """equery-server --ipfix: the merged rows of each program it runs, from
    boxes replaying captures, reach nfcapd (one observation domain per
    program: its id) with the packets and bytes of GET rows?format=csv; a
    program submitted with ?ipfix=0 sends nothing."""
    for tool in ("nfcapd", "nfdump"):
        if not shutil.which(tool):
            print("SKIP: %s is not installed (Debian: nfdump)" % tool)
            return 77
    sys.path.insert(0, os.path.join(HERE, "..", "server"))
    from server import Server, Box  # noqa: E402
    build = os.path.dirname(args.equery_run)
    exe_server, exe_box = os.path.join(build, "equery-server"), os.path.join(build, "equery-box")
    work = tempfile.mkdtemp(prefix="eq-server-ipfix.")
    folder = os.path.join(work, "flows")
    os.mkdir(folder)
    caps = generated_and_real(args, res, "server ", SERVER_TRACES, SERVER_SHARED)
    env = dict(os.environ, TZ="UTC", TMPDIR=work)
    # (the server and boxes compile programs under TMPDIR: the test's folder)
    os.environ["TMPDIR"] = work
    collector = server = None
    boxes = []
    source = open(os.path.join(PROGRAMS, "flows.eq"), "rb").read().decode()
    try:
        # the option's mistakes, before anything listens
        for arg, why in (("127.0.0.1", "equery-server: error: --ipfix '127.0.0.1': needs HOST:PORT (the collector's "
                                       "UDP port, e.g. 127.0.0.1:4739)"),
                         ("127.0.0.1:0", "equery-server: error: --ipfix '127.0.0.1:0': the port must be a number "
                                         "from 1 to 65535, not '0'")):
            r = run([exe_server, "--listen", "127.0.0.1:0", "--db", os.path.join(work, "x.db"), "--ipfix", arg],
                    env=env)
            line = r.stderr.decode().splitlines()[:1]
            if r.returncode != 2 or line != [why]:
                res.fail("--ipfix " + arg, "exit %d, %s; expected 2 and %r" % (r.returncode, line, why))
            else:
                res.ok("--ipfix " + arg, line[0])
        collector = Nfcapd(folder)
        boxes = [Box(exe_box, path, os.path.join(work, "box%d.log" % i)) for i, (_, path) in enumerate(caps)]
        server = Server(exe_server, os.path.join(work, "server.db"), os.path.join(work, "server.log"),
                        ["--ipfix", "127.0.0.1:%d" % collector.port, "--state-dir", os.path.join(work, "state")]
                        + sum((["--box", b.addr] for b in boxes), []))
        expected = {}
        for (name, _), box in zip(caps, boxes):
            req = json.dumps({"source": source, "name": "flows.eq", "boxes": [box.addr]}).encode()
            st, _, body = server.request("POST", "/api/programs", req, {"Content-Type": "application/json"})
            if st != 201:
                res.fail("server " + name, "POST /api/programs: %d %s" % (st, body[:300]))
                continue
            pid = json.loads(body)["id"]
            state = wait_program(server, pid)
            st, _, rows = server.request("GET", "/api/programs/%d/rows?format=csv" % pid)
            if state != "done" or st != 200:
                res.fail("server " + name, "program %d: %s, rows: %d" % (pid, state, st))
                continue
            expected[pid] = ("server " + name, csv_flows(rows.decode()))
            time.sleep(0.2)  # (nfcapd drains its socket)
        # opted out: its rows are in the database, nothing goes to nfcapd
        path = caps[0][1]
        st, _, body = server.request("POST", "/api/programs?ipfix=0", source.encode(), {"Content-Type": "text/plain"})
        pid = json.loads(body)["id"] if st == 201 else None
        state = wait_program(server, pid) if pid else "not submitted: %d %s" % (st, body[:200])
        st, _, rows = server.request("GET", "/api/programs/%d/rows?format=csv" % pid) if pid else (0, 0, b"")
        if state != "done" or not csv_flows(rows.decode()):
            res.fail("server ?ipfix=0", "program %s: %s, %d rows" % (pid, state, len(csv_flows(rows.decode()))))
        else:
            res.ok("server ?ipfix=0", "%d rows in the database, none exported (nfdump's flows below)" %
                   sum(v[2] for v in csv_flows(rows.decode()).values()))
        for q, want in (("?ipfix=2", "ipfix is 0 (no IPFIX export of this program) or 1, not '2'"),
                        ("?ipfix=yes", "ipfix is 0 (no IPFIX export of this program) or 1, not 'yes'")):
            st, _, body = server.request("POST", "/api/programs" + q, source.encode(), {"Content-Type": "text/plain"})
            if st != 400 or want not in body.decode():
                res.fail("server " + q, "%d %s; expected 400 and %r" % (st, body[:200], want))
            else:
                res.ok("server " + q, "400 %s" % want)
        rc = server.stop()
        if rc != 0:
            res.fail("server exit", "equery-server --ipfix exited %s on SIGTERM: %s" % (rc, server.text()[-2000:]))
        server = None
        # a server without --ipfix refuses ?ipfix=1
        server = Server(exe_server, os.path.join(work, "server2.db"), os.path.join(work, "server2.log"),
                        ["--state-dir", os.path.join(work, "state2"), "--box", boxes[0].addr])
        st, _, body = server.request("POST", "/api/programs?ipfix=1", source.encode(), {"Content-Type": "text/plain"})
        want = "this server exports no IPFIX (start it with --ipfix HOST:PORT)"
        if st != 400 or want not in body.decode():
            res.fail("server ?ipfix=1 without --ipfix", "%d %s" % (st, body[:200]))
        else:
            res.ok("server ?ipfix=1 without --ipfix", "400 " + want)
        rc = server.stop()
        if rc != 0:
            res.fail("server exit", "equery-server exited %s on SIGTERM: %s" % (rc, server.text()[-2000:]))
        server = None
        # the IPFIX sink's warnings in the server's log carry its name
        # (export/ipfix_sink.c is equery-run's too): a packet query left
        # out (to a socket of the test's that reads nothing: nfcapd must not
        # see it; what its buffer cannot hold the kernel drops)
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        server = Server(exe_server, os.path.join(work, "server3.db"), os.path.join(work, "server3.log"),
                        ["--ipfix", "127.0.0.1:%d" % sink.getsockname()[1], "--state-dir",
                         os.path.join(work, "state3"), "--box", boxes[0].addr])
        mixed = open(os.path.join(PROGRAMS, "mixed.eq"), "rb").read()
        st, _, body = server.request("POST", "/api/programs", mixed, {"Content-Type": "text/plain"})
        pid = json.loads(body)["id"] if st == 201 else None
        state = wait_program(server, pid) if pid else "not submitted: %d %s" % (st, body[:200])
        server.stop()
        sink.close()
        want = ("equery-server: warning: query 'syns' is a packet query (no aggregates): its rows are packets, not "
                "flows, and are left out of the IPFIX export (--pcap-out FILE writes its packets)")
        log = server.text()
        if state != "done" or want not in log.splitlines() or "equery-run:" in log:
            res.fail("server packet query", "program %s: %s; expected the line %r and no 'equery-run:' in the log: %s"
                     % (pid, state, want, log[-2000:]))
        else:
            res.ok("server packet query", want)
        server = None
        time.sleep(0.5)
        collector.stop()
        compare_collected(res, expected, folder, work, env)
    finally:
        if server:
            server.stop()
        for b in boxes:
            b.stop()
        if collector:
            collector.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


# ---- pcap out -----------------------------------------------------------------

def tshark_frames(path):
    r = run(["tshark", "-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len",
             "-e", "frame.cap_len"])
    if r.returncode != 0:
        raise RuntimeError("tshark -r %s: %s" % (path, r.stderr.decode()))
    out = []
    for line in r.stdout.decode().splitlines():
        t, wire, cap = line.split("\t")
        sec, frac = t.split(".")
        out.append((int(sec) * 10**9 + int(frac.ljust(9, "0")), int(wire), int(cap)))
    return out


def mode_pcap(args, res):
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed")
        return 77
    work = tempfile.mkdtemp(prefix="eq-pcapout.")
    try:
        for name, path in captures(args, PCAP_TRACES, PCAP_SHARED):
            out = os.path.join(work, name)
            r = run([args.equery_run, os.path.join(PROGRAMS, "packets.eq"), "--pcap", path, "--format", "csv",
                     "--quiet", "--pcap-out", out])
            if r.returncode != 0:
                res.fail(name, "equery-run: exit %d: %s" % (r.returncode, r.stderr.decode()))
                continue
            # (ts, pkt_len) of each query's rows; syns and dns match no frame
            # in common, again matches the frames of syns: written once
            per_query = {"syns": [], "dns": [], "again": []}
            for line in r.stdout.decode().splitlines():
                f = line.split(",")
                if f[0] == "row":
                    per_query[f[1]].append((ns_of(f[5]), int(f[6])))
            want = sorted(per_query["syns"] + per_query["dns"])
            frames = tshark_frames(out)
            got = sorted((t, wire) for t, wire, _ in frames)
            caps_ok = all(cap <= wire for _, wire, cap in frames)
            # the header keeps the capture's snapshot length
            with open(path, "rb") as f_in, open(out, "rb") as f_out:
                h_in, h_out = f_in.read(24), f_out.read(24)
            snap_in = int.from_bytes(h_in[16:20], "little" if h_in[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
                                     else "big")
            snap_out = int.from_bytes(h_out[16:20], "little")
            if per_query["syns"] != per_query["again"]:
                res.fail(name, "queries syns and again matched different packets")
            elif got != want:
                res.fail(name, "tshark reads %d frames, the queries matched %d; first difference: %s" % (
                    len(got), len(want), next(((g, w) for g, w in zip(got, want) if g != w), None)))
            elif not caps_ok:
                res.fail(name, "a frame's captured length exceeds its length on the wire")
            elif snap_out != snap_in:
                res.fail(name, "snapshot length %d in the header, the capture's is %d" % (snap_out, snap_in))
            else:
                res.ok(name, "%d frames (%d rows), timestamps and lengths equal, snapshot length %d" % (
                    len(got), sum(len(v) for v in per_query.values()), snap_out))
        mode_pcapdir(args, res, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def csv_records(text):
    """Packet rows by (query, instance) -> [(ts ns, pkt_len)], and the
    starts: (query, instance) -> (start ns, [EVENT.COLUMN=VALUE])."""
    rows, starts = {}, {}
    for line in text.splitlines():
        f = line.split(",")
        if f[0] == "row" and f[1] in ("pair", "syns"):
            rows.setdefault((f[1], int(f[2])), []).append((ns_of(f[5]), int(f[6])))
        elif f[0] == "start":
            starts[(f[1], int(f[2]))] = (ns_of(f[3]), f[5:])
    return rows, starts


def expected_name(query, start):
    """The file name docs/export.md gives an instance: QUERY.SEC.MSEC-V1-V2.pcap,
    a character other than [A-Za-z0-9.+-] as '_'."""
    import re
    if start is None:
        return query + ".pcap"
    t, params = start
    stem = "%s.%d.%03d" % (query, t // 10**9, t % 10**9 // 10**6)
    stem += "".join("-" + p.split("=", 1)[1] for p in params)
    return re.sub(r"[^A-Za-z0-9.+-]", "_", stem) + ".pcap"


def check_pcapdir(res, name, out, rows, starts, broken=()):
    """Every file of out/ against the CSV's rows; the files in `broken`
    could not be written (an error in the index)."""
    import csv
    index = list(csv.DictReader(open(os.path.join(out, "index.csv"))))
    files = sorted(f for f in os.listdir(out) if f != "index.csv")
    want_inst = set(rows) | set(starts) | {("syns", 1)}
    got_inst = {(r["query"], int(r["instance"])) for r in index}
    if got_inst != want_inst:
        res.fail(name, "index.csv lists instances %s, the CSV has %s" % (
            sorted(got_inst ^ want_inst)[:3], "these" if not want_inst - got_inst else "more"))
        return
    listed = sorted(r["file"] for r in index if r["file"] not in broken)
    if listed != files:
        res.fail(name, "index.csv lists %s, the folder holds %s" % (sorted(set(listed) ^ set(files))[:3], "others"))
        return
    frames = 0
    for r in index:
        key = (r["query"], int(r["instance"]))
        want = sorted(rows.get(key, []))
        start = starts.get(key)
        if r["file"] != expected_name(r["query"], start):
            res.fail(name, "%s#%s is in %s, expected %s" % (key + (r["file"], expected_name(r["query"], start))))
            return
        if start and r["drilldown"] != ";".join(start[1]):
            res.fail(name, "index.csv gives %s#%s the drill-down %r, its start record %r" % (
                key + (r["drilldown"], start[1])))
            return
        if r["file"] in broken:
            if not r["error"] or r["packets"] != "0" or int(r["lost"]) != len(want):
                res.fail(name, "%s could not be written: index.csv says error %r, %s packets, %s lost; %d rows" % (
                    r["file"], r["error"], r["packets"], r["lost"], len(want)))
                return
            continue
        got = sorted((t, wire) for t, wire, _ in tshark_frames(os.path.join(out, r["file"])))
        if got != want:
            res.fail(name, "%s: tshark reads %d frames, the CSV has %d rows of %s#%d; first difference %s" % (
                r["file"], len(got), len(want), key[0], key[1],
                next(((g, w) for g, w in zip(got, want) if g != w), None)))
            return
        if r["packets"] != str(len(want)) or r["error"]:
            res.fail(name, "index.csv: %s has %s packets (error %r), tshark reads %d" % (
                r["file"], r["packets"], r["error"], len(got)))
            return
        frames += len(got)
    res.ok(name, "%d files, %d instances started, %d frames equal to the CSV rows" % (len(files), len(starts),
                                                                                    frames))


def mode_pcapdir(args, res, work):
    drill = os.path.join(PROGRAMS, "drill.eq")
    caps = generated_and_real(args, res, "dir ", PCAPDIR_TRACES, PCAPDIR_SHARED)
    for n, path in caps:
        out = os.path.join(work, "dir-" + n)
        r = run([args.equery_run, drill, "--pcap", path, "--format", "csv", "--quiet", "--pcap-out", out + "/"])
        if r.returncode != 0:
            res.fail("dir " + n, "equery-run: exit %d: %s" % (r.returncode, r.stderr.decode()))
            continue
        rows, starts = csv_records(r.stdout.decode())
        if len(starts) < 2:
            res.fail("dir " + n, "only %d instances started: the case tests nothing" % len(starts))
            continue
        check_pcapdir(res, "dir " + n, out, rows, starts)
        # an existing folder without the '/' is a folder too; the run
        # replaces the files of the same names
        r2 = run([args.equery_run, drill, "--pcap", path, "--format", "csv", "--quiet", "--pcap-out", out])
        if r2.returncode != 0 or r2.stdout != r.stdout:
            res.fail("dir again " + n, "exit %d: %s" % (r2.returncode, r2.stderr.decode()))
        else:
            check_pcapdir(res, "dir again " + n, out, rows, starts)
    # a file that cannot be written (a folder has its name): said at once
    # and at the end, its packets lost and counted, the other files and the
    # CSV complete, exit status 3
    name, path = caps[0]
    out = os.path.join(work, "broken")
    os.makedirs(os.path.join(out, "syns.pcap"))
    r = run([args.equery_run, drill, "--pcap", path, "--format", "csv", "--quiet", "--pcap-out", out + "/"])
    rows, starts = csv_records(r.stdout.decode())
    err = "".join(l for l in r.stderr.decode().splitlines(True) if "pcap-out" in l)
    nsyn = len(rows.get(("syns", 1), []))
    want_err = ("equery-run: error: pcap-out: cannot write '%s/syns.pcap': Is a directory (its packets are counted "
                "as lost)\n" % out)
    want_end = ("equery-run: error: pcap-out: 1 of %d files in %s could not be written, %d packets lost (see the "
                "error column of %s/index.csv)\n" % (len(starts) + 1, out, nsyn, out))
    if r.returncode != 3 or err != want_err + want_end:
        res.fail("dir unwritable", "exit %d, stderr %r; expected 3 and %r" % (r.returncode, err, want_err + want_end))
    else:
        os.rmdir(os.path.join(out, "syns.pcap"))
        check_pcapdir(res, "dir unwritable", out, rows, starts, broken=("syns.pcap",))
    # a path ending in '/' that is a file
    r = run([args.equery_run, drill, "--pcap", path, "--format", "none", "--pcap-out", drill + "/"])
    want = "equery-run: error: --pcap-out: '%s/' ends in '/' but is not a folder\n" % drill
    if r.returncode != 3 or r.stderr.decode() != want:
        res.fail("dir not a folder", "exit %d, stderr %r; expected 3 and %r" % (r.returncode, r.stderr.decode(), want))
    else:
        res.ok("dir not a folder", want.strip())
    # names cut at 200 bytes that collide get -2, -3: two triggered queries
    # whose names agree in their first 200 characters
    long_q = "q" * 205
    prog = os.path.join(work, "long.eq")
    with open(prog, "w") as f:
        f.write(open(drill).read().replace("query pair =", "query %sa =" % long_q) +
                "query %sb = Select(ts, pkt_len, saddr, daddr) Where(saddr == busy.saddr & daddr == busy.daddr) "
                "When(busy) Within(2s);\n" % long_q)
    out = os.path.join(work, "long")
    r = run([args.equery_run, prog, "--pcap", path, "--format", "csv", "--quiet", "--pcap-out", out + "/"])
    import csv
    index = list(csv.DictReader(open(os.path.join(out, "index.csv")))) if r.returncode == 0 else []
    names = [x["file"] for x in index if x["query"] != "syns"]
    if r.returncode != 0:
        res.fail("dir long names", "exit %d: %s" % (r.returncode, r.stderr.decode()))
    elif len(set(names)) != len(names) or not any(x.endswith("-2.pcap") for x in names) or \
            any(len(x) > 255 for x in names) or sorted(os.listdir(out)) != sorted(["index.csv"] + [x["file"] for x in index]):
        res.fail("dir long names", "files %s" % names[:4])
    else:
        res.ok("dir long names", "%d files, cut names made unique, e.g. ...%s" % (len(names), names[-1][190:]))
    for n, path in caps:
        pcapdir_killed(args, res, work, n, path)


def pcap_records(path):
    """(the file header, [(ts ns, record bytes)]) of a pcap file (either
    byte order, microseconds or nanoseconds); None for another format."""
    import struct
    data = open(path, "rb").read()
    for end in "<>":
        magic = struct.unpack(end + "I", data[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        return None
    unit = 1000 if magic == 0xA1B2C3D4 else 1
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(end + "IIII", data[off:off + 16])
        recs.append((sec * 10**9 + frac * unit, data[off:off + 16 + caplen]))
        off += 16 + caplen
    return data[:24], recs


def pcapdir_killed(args, res, work, n, path):
    """--pcap-out DIR/ on a capture read from standard input, SIGKILLed once
    equery-run has read the capture up to about the median stop of the
    drill-down instances (Within(2s)) and waits for more: index.csv lists exactly the
    instances stopped by then, with the lines of a whole run (final counts),
    and each listed file holds that many frames; syns (no When, never
    complete) and the running instances are not listed. Deterministic: the
    process blocks on its input, so it has done all it will before the kill."""
    import csv
    name = "dir killed " + n
    drill = os.path.join(PROGRAMS, "drill.eq")
    full = os.path.join(work, "killed-full-" + n)
    r = run([args.equery_run, drill, "--pcap", path, "--format", "csv", "--quiet", "--pcap-out", full + "/"])
    parsed = pcap_records(path)
    if r.returncode != 0 or parsed is None:
        res.fail(name, "the whole run: exit %d: %s (or not a pcap)" % (r.returncode, r.stderr.decode()))
        return
    _, starts = csv_records(r.stdout.decode())
    whole = {(x["query"], int(x["instance"])): x for x in csv.DictReader(open(os.path.join(full, "index.csv")))}
    header, recs = parsed
    stops = sorted(t + 2 * 10**9 for (q, _), (t, _) in starts.items() if q == "pair")
    if len(stops) < 2:
        res.fail(name, "only %d instances: the case tests nothing" % len(stops))
        return
    # equery-run measures a stream's frame once it has read the next one:
    # the frame after the cut is written too, and the cut is one where no
    # instance stops between the two (measured or not, it changes nothing)
    target = stops[len(stops) // 2 - 1]
    cut = next((k for k in range(len(recs) - 1) if recs[k][0] >= target and
                not any(recs[k][0] < s <= recs[k + 1][0] for s in stops)), None)
    if cut is None:
        res.fail(name, "no frame at or after %d to cut at" % target)
        return
    last = recs[cut][0]
    want = {k: v for k, v in whole.items() if k in starts and starts[k][0] + 2 * 10**9 <= last}
    out = os.path.join(work, "killed-" + n)
    index = os.path.join(out, "index.csv")
    log = open(os.path.join(work, "killed-%s.err" % n), "w+")
    # killed, it cannot remove its bundle folder: made in the work folder
    # (removed with it), not in /tmp
    p = subprocess.Popen([args.equery_run, drill, "--pcap", "-", "--format", "csv", "--quiet", "--pcap-out",
                          out + "/"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log,
                         env=dict(os.environ, TMPDIR=work))
    try:
        p.stdin.write(header + b"".join(rec for _, rec in recs[:cut + 2]))
        p.stdin.flush()
        deadline = time.time() + 60
        lines = -1
        while time.time() < deadline and p.poll() is None:
            lines = len(open(index).read().splitlines()) if os.path.exists(index) else -1
            if lines >= 1 + len(want):
                break
            time.sleep(0.1)
        time.sleep(0.3)  # (a line too many would show)
    finally:
        p.kill()
        p.wait()
        p.stdin.close()
    log.seek(0)
    got = list(csv.DictReader(open(index))) if os.path.exists(index) else []
    got_keys = [(x["query"], int(x["instance"])) for x in got]
    if p.returncode != -signal.SIGKILL or sorted(got_keys) != sorted(want) or \
            any(x != want[k] for x, k in zip(got, got_keys)):
        diff = [(x, want.get(k)) for x, k in zip(got, got_keys) if x != want.get(k)][:1]
        res.fail(name, "exit %s; index.csv lists %s, expected the %d instances stopped by the frame at %d: %s %s; %s"
                 % (p.returncode, got_keys, len(want), last, sorted(want), diff, log.read()[-500:]))
        return
    for x in got:
        frames = pcap_records(os.path.join(out, x["file"]))
        if frames is None or len(frames[1]) != int(x["packets"]):
            res.fail(name, "%s: %s frames, index.csv says %s" % (x["file"], frames and len(frames[1]), x["packets"]))
            return
    if "syns.pcap" not in os.listdir(out):
        res.fail(name, "syns.pcap (being written when killed) is not in the folder")
        return
    res.ok(name, "killed after %d of %d frames: index.csv lists the %d of %d instances stopped by then, "
           "with their final counts; not syns nor the %d running" % (
               cut + 1, len(recs), len(want), len(stops), len(starts) - len(want)))


# ---- the documentation's table -------------------------------------------------

def mode_doc(args, res):
    import re
    elements = re.findall(r"^ELEMENT\((\w+),\s*(\d+),", open(os.path.join(args.repo, "export", "ipfix_elements.def")).read(),
                          re.M)
    rows = [l for l in open(os.path.join(args.repo, "docs", "export.md")).read().splitlines()
            if l.startswith("| ") and "`" in l]
    documented = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if len(cells) < 4:
            continue
        names = re.findall(r"`(\w+)`", cells[1])
        ids = [i.strip() for i in cells[2].split("/")]
        for n, i in zip(names, ids):
            documented[n] = i
    for name, eid in elements:
        if documented.get(name) != eid:
            res.fail(name, "docs/export.md's table has %s, the catalogue id %s" % (documented.get(name), eid))
        else:
            res.ok(name)
    known = {n for n, _ in elements}
    for n in documented:
        if n not in known:
            res.fail(n, "in docs/export.md's table, not in export/ipfix_elements.def")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["ipfixdump", "nfcapd", "server-ipfix", "pcap", "doc"])
    ap.add_argument("--equery-run")
    ap.add_argument("--traces")
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--shared")
    args = ap.parse_args()
    if args.mode != "doc" and not (args.equery_run and args.traces):
        ap.error("%s needs --equery-run and --traces" % args.mode)
    if args.equery_run:
        args.equery_run = os.path.abspath(args.equery_run)
    res = Result()
    rc = {"ipfixdump": mode_ipfixdump, "nfcapd": mode_nfcapd, "server-ipfix": mode_server_ipfix, "pcap": mode_pcap,
          "doc": mode_doc}[args.mode](args, res)
    if rc == 77:
        return 77
    print("export %s: %d passed, %d failed%s" % (args.mode, res.passed, res.failed,
                                                   ", %d skipped" % res.skipped if res.skipped else ""))
    return 1 if res.failed or res.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
