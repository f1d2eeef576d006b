#!/usr/bin/env python3
"""Checks equery-run's counts on real captures against tshark, capinfos and argus.

Usage:
  check_real.py --equery-run PATH --traces DIR [--only NAME ...] [--jobs N] [-v]
  check_real.py --equery-run PATH --traces DIR --explain [--only NAME ...]

For every capture in DIR (*.pcap, *.pcapng) it runs the EQuery programs next to
this script (ip_conv.eq, l4_conv.eq, proto_conv.eq, totals.eq) with
`equery-run PROGRAM --pcap FILE --format json --quiet` and compares:

  consistency  equery with itself: the swap-closed conversation rows against
               the one-direction rows, pkts = spkts + dpkts, loss = sloss + dloss,
               the per-protocol pairs against the address pairs
  totals       frames and bytes of the whole file vs `capinfos -M -c -d` and
               `tshark -q -z io,stat,0`
  ip-conv      per IP conversation (unordered address pair, IPv4 and IPv6):
               frames and bytes in each direction vs `tshark -q -z conv,ip` and
               `-z conv,ipv6` (frames exactly; bytes as tshark prints them, which
               rounds from 10 kB up) and vs the exact frame lengths tshark gives
               per packet (`-T fields -e frame.len ...`)
  tcp-conv     per TCP / UDP conversation (unordered 5-tuple): the same, vs
  udp-conv     `-z conv,tcp` / `-z conv,udp`
  tcp-loss     sloss/dloss per TCP conversation and direction vs the segments
               tshark flags as retransmission, fast retransmission, out-of-order
               or spurious retransmission
  argus        TCP and UDP flows (5-tuple, argus records merged by racluster):
               packets and bytes per direction
  argus-proto  per address pair and IP protocol (ICMP, ICMPv6, IGMP, ...):
               packets and bytes per direction, argus records merged on
               (saddr, daddr, proto)

All byte counts are frame lengths on the wire (pcap's len): equery's pkt_len,
tshark's frame.len, capinfos's data size and argus's sbytes/dbytes alike.
Every comparison is exact and orientation-independent (which side a tool
calls the source does not matter; each direction's counts must agree).
Where equery and the other tool count by different definitions, the
difference is listed in KNOWN below and explained in tests/real/README.md:
the check then asserts both tools' exact values and prints KNOWN; a documented
difference that changes or disappears is a failure.

--explain lists, per capture, the TCP segments that equery counts as loss and
tshark does not flag, or the other way round (see explain()).

Output: one line per check, `PASS|FAIL|KNOWN check file: numbers`, details
indented under it, then `real-traces: N passed, N failed` (KNOWN counts as
passed). Exit status: 0 all passed, 1 some check failed, 2 usage errors,
77 (ctest's skip code) when the traces folder is absent. A tool that is
missing or fails is a failure, not a skip. Standard library only.
"""

import argparse
import collections
import concurrent.futures
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP_CODE = 77
TIMEOUT = 300  # seconds for any one tool run

LOSS_FILTER = ("tcp.analysis.retransmission || tcp.analysis.fast_retransmission || "
               "tcp.analysis.out_of_order || tcp.analysis.spurious_retransmission")

TOOL_ENV = dict(os.environ, LC_ALL="C", LANG="C")

# ---------------------------------------------------------------------------
# Known differences, explained in README.md. Key: (file, check, item, metric);
# value: (equery's value, the other tool's value, reason). `item` is the
# conversation as the checker prints it (endpoints in sorted order, `>` the
# direction); the values are asserted exactly.
# ---------------------------------------------------------------------------

KNOWN = {}


def known(file, check, item, metric, eq, other, why):
    KNOWN[(file, check, item, metric)] = (eq, other, why)


# Frames 142-179 (10 frames): ICMP echo carried in an Ethernet pseudowire over
# MPLS (labels 19 and 16, a control word, the customer's Ethernet header,
# VLAN 1, IPv4). equery's parser follows the control word into the
# customer's frame (runtime/packet.c, mpls_payload), as tshark's
# pwethheuristic does, and both count the same packets and bytes (ip-conv
# agrees). argus 3.0.8 does not: it records them as non-IP frames, reading
# the MAC addresses from the control word on.
known("mixed_small_vlan_mpls_ipv6.pcap", "argus-proto", "proto 1 192.168.1.1 <-> 192.168.1.2", "flow",
      "192.168.1.1 > 192.168.1.2 5 frames 720 bytes; 192.168.1.2 > 192.168.1.1 5 frames 720 bytes",
      "absent",
      "IPv4 inside an MPLS Ethernet pseudowire: equery and tshark find it, argus does not look inside pseudowires")

# Frames 52 and 77 re-send the end of already-sent data together with new data
# (52: bytes 3401090124-3401090488, of which up to 3401090147 were sent in
# frame 33; 77: bytes 3401094504-3401094989, of which up to 3401094694 were
# sent in frame 62). tshark flags a segment that starts below the next
# expected sequence number; equery counts one whose whole range ends at or
# below the highest end seen, and these bring new bytes. All other 18
# segments are flagged by both.
known("tcp_http_retrans_lostseg_2004.pcap", "tcp-loss", "tcp 128.3.97.175:80 <-> 63.193.213.194:2564",
      "loss 63.193.213.194:2564 > 128.3.97.175:80", 15, 17,
      "frames 52 and 77 re-send old bytes and carry new ones: tshark flags them, equery does not")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

class ToolError(Exception):
    pass


def run(cmd, cwd=None):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=TOOL_ENV,
                           timeout=TIMEOUT, cwd=cwd, check=False)
    except FileNotFoundError as e:
        raise ToolError(f"{cmd[0]}: not found ({e})") from e
    except subprocess.TimeoutExpired as e:
        raise ToolError(f"{' '.join(cmd)}: timed out after {TIMEOUT} s") from e
    if p.returncode != 0:
        raise ToolError(f"{' '.join(cmd)}: exit status {p.returncode}: {p.stderr.strip()[:500]}")
    return p.stdout


def addr(s):
    """Canonical text of an IPv4 or IPv6 address."""
    return ipaddress.ip_address(s.strip()).compressed


def ws_size(n):
    """A byte count as tshark 4.x prints it in its tables (format_size:
    SI prefixes, integer division, a prefix only from 10 units up)."""
    for power, prefix in ((1000 ** 4, "T"), (1000 ** 3, "G"), (1000 ** 2, "M"), (1000, "k")):
        if n // power >= 10:
            return f"{n // power} {prefix}B"
    return f"{n} bytes"


def ep_str(ep):
    a, p = ep
    if p is None:
        return a
    return f"[{a}]:{p}" if ":" in a else f"{a}:{p}"


def conv_key(x, y):
    """Unordered pair of endpoints, in a canonical order."""
    return (x, y) if (str(x) <= str(y)) else (y, x)


def item_name(key, proto=None):
    a, b = key
    s = f"{ep_str(a)} <-> {ep_str(b)}"
    return f"{proto} {s}" if proto else s


def dir_name(key, src):
    a, b = key
    dst = b if src == a else a
    return f"{ep_str(src)} > {ep_str(dst)}"


class Conv:
    """Counts of one conversation per direction: dirs[src] = [frames, bytes]."""

    def __init__(self):
        self.dirs = collections.defaultdict(lambda: [0, 0])
        self.rows = 0
        self.bytes_str = {}  # src -> tshark's printed byte count (one-row conversations)

    def add(self, src, frames, nbytes=0):
        d = self.dirs[src]
        d[0] += frames
        d[1] += nbytes

    def frames(self, src):
        return self.dirs[src][0] if src in self.dirs else 0

    def nbytes(self, src):
        return self.dirs[src][1] if src in self.dirs else 0


# ---------------------------------------------------------------------------
# the tools
# ---------------------------------------------------------------------------

def equery(eqrun, program, pcap):
    out = run([eqrun, os.path.join(HERE, program), "--pcap", pcap, "--format", "json", "--quiet"])
    rows = collections.defaultdict(list)
    for line in out.splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if rec.get("type") == "row":
            rows[rec["query"]].append(rec["values"])
    return rows


def equery_conversations(eqrun, pcap):
    """ip: {key: Conv}, l4: {(proto, key): Conv}, l4rows, consistency problems."""
    problems = []
    r = equery(eqrun, "ip_conv.eq", pcap)
    ip = {}
    for v in r["ipconv"]:
        if v["saddr"] is None or v["daddr"] is None:
            continue  # the frames without IP
        a, b = (addr(v["saddr"]), None), (addr(v["daddr"]), None)
        key = conv_key(a, b)
        c = ip.setdefault(key, Conv())
        c.rows += 1
        if v["pkts"] != v["spkts"] + v["dpkts"]:
            problems.append(f"ipconv {item_name(key)}: pkts {v['pkts']} != spkts {v['spkts']} + dpkts {v['dpkts']}")
        if a == b:
            c.add(a, v["spkts"] + v["dpkts"])
        else:
            c.add(a, v["spkts"])
            c.add(b, v["dpkts"])
        c.total_bytes = v["bytes"]
    directed_ip = {}
    for q in ("ip_up", "ip_down"):
        for v in r[q]:
            src, dst = (addr(v["saddr"]), None), (addr(v["daddr"]), None)
            if (src, dst) in directed_ip:
                problems.append(f"{q}: two rows for {ep_str(src)} > {ep_str(dst)}")
            directed_ip[(src, dst)] = (v["pkts"], v["bytes"])
    check_directed("ip", ip, directed_ip, problems)

    r = equery(eqrun, "l4_conv.eq", pcap)
    l4 = {}
    loss = {}
    for v in r["l4"]:
        proto = {6: "tcp", 17: "udp"}.get(v["proto"], v["proto"])
        a = (addr(v["saddr"]), v["sport"])
        b = (addr(v["daddr"]), v["dport"])
        key = conv_key(a, b)
        c = l4.setdefault((proto, key), Conv())
        c.rows += 1
        if v["pkts"] != v["spkts"] + v["dpkts"]:
            problems.append(f"l4 {item_name(key, proto)}: pkts != spkts + dpkts")
        if v["loss"] != v["sloss"] + v["dloss"]:
            problems.append(f"l4 {item_name(key, proto)}: loss != sloss + dloss")
        lc = loss.setdefault((proto, key), Conv())
        if a == b:
            c.add(a, v["spkts"] + v["dpkts"])
            lc.add(a, v["sloss"] + v["dloss"])
        else:
            c.add(a, v["spkts"])
            c.add(b, v["dpkts"])
            lc.add(a, v["sloss"])
            lc.add(b, v["dloss"])
        c.total_bytes = v["bytes"]
    directed_l4 = {}
    for q in ("l4_up", "l4_down"):
        for v in r[q]:
            proto = {6: "tcp", 17: "udp"}.get(v["proto"], v["proto"])
            src, dst = (addr(v["saddr"]), v["sport"]), (addr(v["daddr"]), v["dport"])
            directed_l4[(proto, src, dst)] = (v["pkts"], v["bytes"])
    by_proto = collections.defaultdict(dict)
    for (proto, key), c in l4.items():
        by_proto[proto][key] = c
    dir_by_proto = collections.defaultdict(dict)
    for (proto, src, dst), val in directed_l4.items():
        dir_by_proto[proto][(src, dst)] = val
    for proto in set(by_proto) | set(dir_by_proto):
        check_directed(proto, by_proto[proto], dir_by_proto[proto], problems)

    r = equery(eqrun, "proto_conv.eq", pcap)
    pairs = {}
    for q in ("pair_up", "pair_down"):
        for v in r[q]:
            src, dst = (addr(v["saddr"]), None), (addr(v["daddr"]), None)
            c = pairs.setdefault((v["proto"], conv_key(src, dst)), Conv())
            if c.frames(src):
                problems.append(f"{q}: two rows for {ep_str(src)} > {ep_str(dst)} proto {v['proto']}")
            c.add(src, v["pkts"], v["bytes"])
    # the pairs must add up to the address pairs of ip_conv.eq
    summed = collections.defaultdict(Conv)
    for (_, key), c in pairs.items():
        for src, (fr, by) in c.dirs.items():
            summed[key].add(src, fr, by)
    for key in set(summed) | set(ip):
        x, y = summed.get(key, Conv()), ip.get(key, Conv())
        for src in key:
            if (x.frames(src), x.nbytes(src)) != (y.frames(src), y.nbytes(src)):
                problems.append(f"proto_conv {dir_name(key, src)}: {x.frames(src)} packets {x.nbytes(src)} bytes "
                                f"over all protocols, ip_conv {y.frames(src)} packets {y.nbytes(src)} bytes")

    r = equery(eqrun, "totals.eq", pcap)
    tot = r["totals"]
    if len(tot) != 1:
        problems.append(f"totals: {len(tot)} rows, expected 1")
        totals = None
    else:
        t = tot[0]
        if t["pkts"] != t["frames"]:
            problems.append(f"totals: pkts {t['pkts']} != COUNT(*) {t['frames']}")
        totals = (t["frames"], t["bytes"])
    return ip, by_proto, loss, pairs, totals, problems


def check_directed(what, convs, directed, problems):
    """The directed queries must give the same frames per direction as the
    swap-closed one; they supply each direction's bytes."""
    seen = set()
    for key, c in convs.items():
        a, b = key
        total = 0
        for src in ([a] if a == b else [a, b]):
            dst = b if src == a else a
            pk, by = directed.get((src, dst), (0, 0))
            seen.add((src, dst))
            if pk != c.frames(src):
                problems.append(f"{what} {dir_name(key, src)}: directed query has {pk} packets, "
                                f"the conversation row {c.frames(src)}")
            c.dirs[src][1] = by
            total += by
        if total != c.total_bytes:
            problems.append(f"{what} {item_name(key)}: directed bytes {total} != SUM(pkt_len) {c.total_bytes}")
    for k in directed:
        if k not in seen:
            problems.append(f"{what} {ep_str(k[0])} > {ep_str(k[1])}: directed row without a conversation row")


ROW_RE = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+ [kMGT]?B|\d+ bytes)\s+(\d+)\s+(\d+ [kMGT]?B|\d+ bytes)"
                    r"\s+(\d+)\s+(\d+ [kMGT]?B|\d+ bytes)\s+")
IO_RE = re.compile(r"^\|\s*[\d.]+\s*<>\s*[\d.]+\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|")


def tshark_tables(pcap):
    out = run(["tshark", "-r", pcap, "-q", "-z", "conv,ip", "-z", "conv,ipv6",
               "-z", "conv,tcp", "-z", "conv,udp", "-z", "io,stat,0"])
    tables = {"IPv4": {}, "IPv6": {}, "TCP": {}, "UDP": {}}
    io = None
    section = None
    for line in out.splitlines():
        m = re.match(r"^(IPv4|IPv6|TCP|UDP) Conversations$", line.strip())
        if m:
            section = m.group(1)
            continue
        if line.startswith("====="):
            continue
        m = IO_RE.match(line)
        if m:
            if io is not None:
                raise ToolError("tshark io,stat,0 printed more than one interval")
            io = (int(m.group(1)), int(m.group(2)))
            continue
        m = ROW_RE.match(line)
        if m and section:
            x, y = m.group(1), m.group(2)
            if section in ("IPv4", "IPv6"):
                a, b = (addr(x), None), (addr(y), None)
            else:
                xa, xp = x.rsplit(":", 1)
                ya, yp = y.rsplit(":", 1)
                a, b = (addr(xa), int(xp)), (addr(ya), int(yp))
            key = conv_key(a, b)
            c = tables[section].setdefault(key, Conv())
            c.rows += 1
            # "<-" is B -> A, "->" is A -> B
            c.add(b, int(m.group(3)))
            c.add(a, int(m.group(5)))
            if a != b:
                c.bytes_str.setdefault(b, []).append(m.group(4))
                c.bytes_str.setdefault(a, []).append(m.group(6))
            else:
                c.bytes_str.setdefault(a, []).append(m.group(8))
    if io is None:
        raise ToolError("no io,stat,0 line in tshark's output")
    ip = dict(tables["IPv4"])
    ip.update(tables["IPv6"])
    return ip, {"tcp": tables["TCP"], "udp": tables["UDP"]}, io


def tshark_packets(pcap):
    """Exact frame lengths per direction, from one line per packet. A frame
    counts for the transport protocol that follows its (first) IP header:
    the IP and TCP/UDP headers quoted inside an ICMP error are not a
    TCP/UDP packet (tshark's conversation tables do not count them either)."""
    out = run(["tshark", "-r", pcap, "-T", "fields", "-E", "separator=|", "-E", "occurrence=f",
               "-e", "frame.len", "-e", "frame.protocols",
               "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
               "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport"])
    ip = collections.defaultdict(lambda: [0, 0])
    l4 = collections.defaultdict(lambda: [0, 0])
    for line in out.splitlines():
        f = line.split("|")
        if len(f) != 10:
            raise ToolError(f"tshark fields: unexpected line {line!r}")
        flen = int(f[0])
        if f[2]:
            src, dst = addr(f[2]), addr(f[3])
        elif f[4]:
            src, dst = addr(f[4]), addr(f[5])
        else:
            continue
        d = ip[(src, dst)]
        d[0] += 1
        d[1] += flen
        layers = f[1].split(":")
        first_ip = min(layers.index(x) for x in ("ip", "ipv6") if x in layers)
        transport = next((x for x in layers[first_ip + 1:]
                          if x in ("tcp", "udp", "icmp", "icmpv6", "ip", "ipv6")), None)
        for proto, i in (("tcp", 6), ("udp", 8)):
            if transport == proto and f[i]:
                d = l4[(proto, (src, int(f[i])), (dst, int(f[i + 1])))]
                d[0] += 1
                d[1] += flen
    return ip, l4


def tshark_loss(pcap):
    """Segments tshark flags, per (src endpoint, dst endpoint), with their frame numbers."""
    out = run(["tshark", "-r", pcap, "-Y", LOSS_FILTER, "-T", "fields", "-E", "separator=|",
               "-E", "occurrence=f", "-e", "frame.number", "-e", "ip.src", "-e", "ip.dst",
               "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "tcp.srcport", "-e", "tcp.dstport"])
    flagged = collections.defaultdict(list)
    for line in out.splitlines():
        f = line.split("|")
        src, dst = (f[1], f[2]) if f[1] else (f[3], f[4])
        a, b = (addr(src), int(f[5])), (addr(dst), int(f[6]))
        flagged[(a, b)].append(int(f[0]))
    return flagged


def capinfos(pcap):
    out = run(["capinfos", "-M", "-c", "-d", pcap])
    n = re.search(r"Number of packets:\s*(\d+)", out)
    d = re.search(r"Data size:\s*(\d+) bytes", out)
    if not n or not d:
        raise ToolError(f"capinfos: cannot read {out!r}")
    return int(n.group(1)), int(d.group(1))


def argus_flows(pcap, tmp):
    """argus's records merged by racluster: per TCP/UDP 5-tuple, and per
    address pair and IP protocol; both {(proto, key): Conv} with packets and
    bytes per direction, whatever orientation argus gave each record."""
    out_file = os.path.join(tmp, "out.argus")
    if os.path.exists(out_file):
        os.unlink(out_file)  # argus -w appends
    # -X: ignore /etc/argus.conf (its settings are argus's defaults anyway)
    run(["argus", "-X", "-r", pcap, "-w", out_file], cwd=tmp)
    # -nn: numbers, not names, for addresses, ports and protocols
    five = run(["racluster", "-nn", "-r", out_file, "-m", "saddr", "daddr", "proto", "sport", "dport",
                "-s", "saddr", "daddr", "proto", "sport", "dport", "spkts", "dpkts", "sbytes", "dbytes",
                "-c", ","])
    pair = run(["racluster", "-nn", "-r", out_file, "-m", "saddr", "daddr", "proto",
                "-s", "saddr", "daddr", "proto", "spkts", "dpkts", "sbytes", "dbytes", "-c", ","])

    def ip_or_none(s):
        try:
            return addr(s)
        except ValueError:
            return None  # a MAC address: a non-IP record (ARP, LLC, ...)

    flows = {}
    for line in five.splitlines()[1:]:
        f = line.split(",")
        if len(f) != 9 or f[2] not in ("6", "17"):
            continue
        proto = "tcp" if f[2] == "6" else "udp"
        a, b = (addr(f[0]), int(f[3])), (addr(f[1]), int(f[4]))
        key = conv_key(a, b)
        c = flows.setdefault((proto, key), Conv())
        c.rows += 1
        c.add(a, int(f[5]), int(f[7]))
        c.add(b, int(f[6]), int(f[8]))
    pairs = {}
    for line in pair.splitlines()[1:]:
        f = line.split(",")
        if len(f) != 7:
            continue
        a, b = ip_or_none(f[0]), ip_or_none(f[1])
        if a is None or b is None or not f[2].isdigit() or int(f[2]) > 255:
            continue  # ARP (proto 2054, an ethertype) and other non-IP records
        key = conv_key((a, None), (b, None))
        c = pairs.setdefault((int(f[2]), key), Conv())
        c.rows += 1
        c.add((a, None), int(f[3]), int(f[5]))
        c.add((b, None), int(f[4]), int(f[6]))
    return flows, pairs


# ---------------------------------------------------------------------------
# the checks
# ---------------------------------------------------------------------------

class Check:
    def __init__(self, name, file):
        self.name, self.file = name, file
        self.summary = ""
        self.failures = []   # lines
        self.known = []      # lines
        self.seen_known = set()

    def diff(self, item, metric, eq, other, other_name):
        k = (self.file, self.name, item, metric)
        if k in KNOWN:
            self.seen_known.add(k)
            keq, kother, why = KNOWN[k]
            if (keq, kother) == (eq, other):
                self.known.append(f"{item}: {metric}: equery {eq}, {other_name} {other} ({why})")
                return
            self.failures.append(f"{item}: {metric}: equery {eq}, {other_name} {other} "
                                 f"(documented as equery {keq}, {other_name} {kother}: {why})")
            return
        self.failures.append(f"{item}: {metric}: equery {eq}, {other_name} {other}")

    def finish(self):
        for k, (keq, kother, why) in KNOWN.items():
            if k[0] == self.file and k[1] == self.name and k not in self.seen_known:
                self.failures.append(f"{k[2]}: {k[3]}: documented difference (equery {keq}, other {kother}) "
                                     f"no longer seen: update KNOWN and README.md")

    @property
    def status(self):
        return "FAIL" if self.failures else ("KNOWN" if self.known else "PASS")

    def lines(self, verbose):
        out = [f"{self.status} {self.name} {self.file}: {self.summary}"]
        shown = self.failures if verbose else self.failures[:20]
        out += [f"    {s}" for s in shown]
        if len(self.failures) > len(shown):
            out.append(f"    ... and {len(self.failures) - len(shown)} more (use -v)")
        out += [f"    known: {s}" for s in self.known]
        return out


def describe(c, key, printed=False):
    """A conversation's counts, for a conversation that one tool lacks."""
    if c is None:
        return "absent"
    a, b = key
    parts = []
    for src in ([a] if a == b else [a, b]):
        nbytes = "/".join(c.bytes_str.get(src, [])) if printed else f"{c.nbytes(src)} bytes"
        parts.append(f"{dir_name(key, src)} {c.frames(src)} frames {nbytes}")
    return "; ".join(parts)


def compare_flows(chk, eq, other, tool, name):
    """Packets and bytes per direction, orientation-independent, for
    {(proto, key): Conv} dicts; returns (agreeing, total)."""
    agree = 0
    keys = set(eq) | set(other)
    for pk in sorted(keys, key=str):
        proto, key = pk
        item = item_name(key, name(proto))
        e, t = eq.get(pk), other.get(pk)
        if e is None or t is None:
            chk.diff(item, "flow", describe(e, key), describe(t, key), tool)
            continue
        ok = True
        a, b = key
        for src in ([a] if a == b else [a, b]):
            if e.frames(src) != t.frames(src):
                chk.diff(item, f"packets {dir_name(key, src)}", e.frames(src), t.frames(src), tool)
                ok = False
            if e.nbytes(src) != t.nbytes(src):
                chk.diff(item, f"bytes {dir_name(key, src)}", e.nbytes(src), t.nbytes(src), tool)
                ok = False
        agree += ok
    return agree, len(keys)


def compare_convs(chk, eq, ts, exact, tool, proto=None):
    """Frames per direction against tshark's table, bytes per direction against
    the exact per-packet lengths, and the table's printed bytes when tshark
    has one row for the conversation."""
    keys = set(eq) | set(ts)
    agree = 0
    for key in sorted(keys, key=str):
        item = item_name(key, proto)
        e, t = eq.get(key), ts.get(key)
        if e is None or t is None:
            chk.diff(item, "conversation", describe(e, key), describe(t, key, printed=True), tool)
            continue
        ok = True
        a, b = key
        for src in ([a] if a == b else [a, b]):
            dst = b if src == a else a
            d = dir_name(key, src)
            if e.frames(src) != t.frames(src):
                chk.diff(item, f"frames {d}", e.frames(src), t.frames(src), tool)
                ok = False
            xk = (src[0], dst[0]) if proto is None else (proto, src, dst)
            xf, xb = exact.get(xk, (0, 0))
            if xf != e.frames(src) or xb != e.nbytes(src):
                chk.diff(item, f"frames/bytes {d}", f"{e.frames(src)}/{e.nbytes(src)}", f"{xf}/{xb}",
                         "tshark -T fields")
                ok = False
            if t.rows == 1:
                printed = t.bytes_str.get(src, ["0 bytes"])[0]
                if ws_size(e.nbytes(src)) != printed:
                    chk.diff(item, f"bytes {d}", f"{e.nbytes(src)} (prints as {ws_size(e.nbytes(src))})",
                             printed, tool)
                    ok = False
        agree += ok
    frames = sum(c.frames(s) for c in eq.values() for s in list(c.dirs))
    nbytes = sum(c.nbytes(s) for c in eq.values() for s in list(c.dirs))
    return agree, len(keys), frames, nbytes


def check_file(opts, pcap):
    name = os.path.basename(pcap)
    checks = []

    def new(cname):
        c = Check(cname, name)
        checks.append(c)
        return c

    try:
        eq_ip, eq_l4, eq_loss, eq_pairs, eq_tot, problems = equery_conversations(opts.equery_run, pcap)
        ts_ip, ts_l4, io = tshark_tables(pcap)
        ex_ip, ex_l4 = tshark_packets(pcap)
        flagged = tshark_loss(pcap)
        ci = capinfos(pcap)
        with tempfile.TemporaryDirectory(prefix="check_real_") as tmp:
            ar, ar_pairs = argus_flows(pcap, tmp)
    except ToolError as e:
        c = new("tools")
        c.failures.append(str(e))
        c.summary = "a tool failed"
        return checks

    # consistency of equery's own queries
    c = new("consistency")
    c.failures += problems
    c.summary = "equery's swap-closed and directed queries agree, pkts = spkts + dpkts, loss = sloss + dloss"

    # totals
    c = new("totals")
    if eq_tot is None:
        c.failures.append("no totals row")
    else:
        for metric, i in (("frames", 0), ("bytes", 1)):
            if eq_tot[i] != ci[i]:
                c.diff("file", metric, eq_tot[i], ci[i], "capinfos")
            if eq_tot[i] != io[i]:
                c.diff("file", metric, eq_tot[i], io[i], "tshark io,stat")
        c.summary = (f"equery {eq_tot[0]} frames, {eq_tot[1]} bytes; capinfos {ci[0]}/{ci[1]}; "
                     f"tshark io,stat {io[0]}/{io[1]}")

    # conversations
    c = new("ip-conv")
    agree, n, fr, by = compare_convs(c, eq_ip, ts_ip, ex_ip, "tshark conv,ip/ipv6")
    c.summary = f"{agree}/{n} conversations agree ({fr} IP frames, {by} bytes in equery)"
    for proto in ("tcp", "udp"):
        c = new(f"{proto}-conv")
        agree, n, fr, by = compare_convs(c, eq_l4.get(proto, {}), ts_l4[proto], ex_l4,
                                         f"tshark conv,{proto}", proto)
        split = sum(1 for t in ts_l4[proto].values() if t.rows > 1)
        c.summary = f"{agree}/{n} conversations agree ({fr} frames, {by} bytes in equery)"
        if split:
            c.summary += f"; tshark splits {split} of them into several streams (summed)"

    # TCP loss
    c = new("tcp-loss")
    eq_total = ts_total = 0
    agree = 0
    keys = {k for (p, k) in eq_loss if p == "tcp"}
    for (a, b) in flagged:
        keys.add(conv_key(a, b))
    for key in sorted(keys, key=str):
        e = eq_loss.get(("tcp", key), Conv())
        a, b = key
        ok = True
        for src in ([a] if a == b else [a, b]):
            dst = b if src == a else a
            tn = len(flagged.get((src, dst), []))
            en = e.frames(src)
            eq_total += en
            ts_total += tn
            if en != tn:
                frames = flagged.get((src, dst), [])
                more = f" (tshark frames {','.join(map(str, frames[:12]))}{'...' if len(frames) > 12 else ''})" \
                    if frames else ""
                c.diff(item_name(key, "tcp"), f"loss {dir_name(key, src)}", en, tn, "tshark" + more)
                ok = False
        agree += ok
    c.summary = f"{agree}/{len(keys)} conversations agree; equery loss {eq_total}, tshark flags {ts_total}"

    # argus: TCP/UDP 5-tuples, then address pairs per IP protocol
    c = new("argus")
    eq_flows = {(proto, key): conv for proto in ("tcp", "udp") for key, conv in eq_l4.get(proto, {}).items()}
    agree, n = compare_flows(c, eq_flows, ar, "argus", lambda p: p)
    c.summary = f"{agree}/{n} TCP/UDP 5-tuple flows agree (packets and bytes per direction)"
    c = new("argus-proto")
    agree, n = compare_flows(c, eq_pairs, ar_pairs, "argus", lambda p: f"proto {p}")
    protos = sorted({p for p, _ in eq_pairs})
    c.summary = (f"{agree}/{n} (address pair, IP protocol) flows agree (packets and bytes per direction; "
                 f"protocols {' '.join(map(str, protos)) or 'none'})")

    for c in checks:
        c.finish()
    return checks


# ---------------------------------------------------------------------------
# --explain: the packets behind a tcp-loss difference
# ---------------------------------------------------------------------------

def explain(opts, pcap):
    """Prints the TCP segments on which equery's loss definition and tshark's
    analysis flags disagree. equery gives loss per conversation, not per
    packet, so the definition of runtime/tcp_track.h is applied here again,
    packet by packet; its per-direction totals are checked against
    equery-run's first, so the listing is equery's verdict."""
    out = run(["tshark", "-r", pcap, "-Y", "tcp", "-o", "tcp.relative_sequence_numbers:FALSE",
               "-T", "fields", "-E", "separator=|", "-E", "occurrence=f",
               "-e", "frame.number", "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
               "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.seq_raw", "-e", "tcp.len",
               "-e", "tcp.flags", "-e", "vlan.id", "-e", "frame.protocols",
               "-e", "tcp.analysis.retransmission", "-e", "tcp.analysis.fast_retransmission",
               "-e", "tcp.analysis.out_of_order", "-e", "tcp.analysis.spurious_retransmission"])
    half, mod = 2 ** 31, 2 ** 32
    state = {}
    counts = collections.Counter()
    rows = []
    for line in out.splitlines():
        f = line.split("|")
        layers = f[11].split(":")
        if "icmp" in layers or "icmpv6" in layers or not f[8]:
            continue  # a TCP header quoted in an ICMP error
        src = (addr(f[1] or f[3]), int(f[5]))
        dst = (addr(f[2] or f[4]), int(f[6]))
        seq, ln, fl = int(f[7]), int(f[8]), int(f[9], 16)
        syn, fin, rst = bool(fl & 2), bool(fl & 1), bool(fl & 4)
        tags = [n for n, v in zip(("retransmission", "fast_retransmission", "out_of_order",
                                   "spurious_retransmission"), f[12:16]) if v]
        verdict = "-"
        if not rst and (ln or syn or fin):
            end = (seq + ln + syn + fin) % mod
            k = (conv_key(src, dst), f[10] or "0", src)
            d = state.get(k)
            if d is None or (syn and not (d["syn"] and seq == d["isn"])):
                state[k] = {"hi": end, "isn": seq, "syn": syn}
                verdict = "first"
            elif (d["hi"] - end) % mod >= half:
                d["hi"] = end
                verdict = "new"
            elif not syn and not fin and ln <= 1 and seq == (d["hi"] - 1) % mod:
                verdict = "keep-alive"
            else:
                verdict = "LOSS"
                counts[(src, dst)] += 1
        rows.append((int(f[0]), src, dst, seq, ln, fl, f[10], verdict, tags))
    _, _, eq_loss, _, _, _ = equery_conversations(opts.equery_run, pcap)
    print(f"== {os.path.basename(pcap)}")
    for (proto, key), c in sorted(eq_loss.items(), key=str):
        if proto != "tcp":
            continue
        for src in c.dirs:
            dst = key[1] if src == key[0] else key[0]
            if c.frames(src) != counts[(src, dst)]:
                print(f"  equery-run counts {c.frames(src)} for {dir_name(key, src)}, the re-applied "
                      f"definition {counts[(src, dst)]}: the listing below is not equery's")
    n = 0
    for num, src, dst, seq, ln, fl, vid, verdict, tags in rows:
        if (verdict == "LOSS") != bool(tags):
            n += 1
            print(f"  frame {num} {ep_str(src)} > {ep_str(dst)} vlan {vid or '-'} seq {seq} len {ln} "
                  f"flags {fl:#04x}: equery {verdict}, tshark {' '.join(tags) or 'no flag'}")
    print(f"  {n} segments differ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--equery-run", required=True)
    ap.add_argument("--traces", required=True)
    ap.add_argument("--only", nargs="*", default=None, help="capture file names to check")
    ap.add_argument("--jobs", type=int, default=min(4, (os.cpu_count() or 1) * 2))
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--explain", action="store_true",
                    help="instead of checking, list the TCP segments on which equery's loss and "
                         "tshark's flags disagree (with --only to pick captures)")
    opts = ap.parse_args()

    if not os.path.isdir(opts.traces):
        print("SKIP real-traces: ../shared/traces is absent")
        return SKIP_CODE
    missing = [t for t in ("tshark", "capinfos", "argus", "racluster") if shutil.which(t) is None]
    if missing:
        print(f"FAIL real-traces: missing tools: {' '.join(missing)} (scripts/install-deps.sh installs them)")
        print("real-traces: 0 passed, 1 failed")
        return 1
    if not os.access(opts.equery_run, os.X_OK):
        print(f"check_real.py: {opts.equery_run} is not an executable", file=sys.stderr)
        return 2
    pcaps = sorted(os.path.join(opts.traces, f) for f in os.listdir(opts.traces)
                   if f.endswith((".pcap", ".pcapng")))
    if opts.only:
        pcaps = [p for p in pcaps if os.path.basename(p) in opts.only]
    if not pcaps:
        print(f"FAIL real-traces: no capture in {opts.traces}")
        print("real-traces: 0 passed, 1 failed")
        return 1

    if opts.explain:
        for p in pcaps:
            explain(opts, p)
        return 0

    passed = failed = nknown = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        for checks in pool.map(lambda p: check_file(opts, p), pcaps):
            for c in checks:
                for line in c.lines(opts.verbose):
                    print(line)
                if c.failures:
                    failed += 1
                else:
                    passed += 1
                    nknown += bool(c.known)
            sys.stdout.flush()
    print(f"real-traces: {nknown} of the passed checks hold known differences (tests/real/README.md)")
    print(f"real-traces: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
