#!/usr/bin/env python3
"""Deterministic pcap trace generator for the equery tests.

Usage:
  gen_traces.py OUTDIR [NAME...]      write OUTDIR/NAME.pcap (all traces when
                                      no NAME is given)
  gen_traces.py --list                print the trace names and exit
  gen_traces.py --check-deterministic generate every trace twice (in two
                                      processes with different hash seeds)
                                      and compare the files byte for byte

The files are classic pcap (magic 0xa1b2c3d4, little endian, version 2.4,
microsecond timestamps). Every packet has an explicit timestamp relative to
the fixed base time 2026-01-01T00:00:00Z (1767225600); every "random" value
comes from a fixed-seed PRNG implemented here (splitmix64), so two runs write
byte-identical files. Addresses are taken from the documentation ranges only
(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and MACs are
02:00:00:00:00:xx. What each trace contains, and the ground-truth numbers to
test against, is described in README.md next to this file.

Packets are built with scapy (Debian package python3-scapy). If the Python
running this script cannot import scapy (e.g. a pyenv python3 first on PATH)
and /usr/bin/python3 exists, the script re-executes itself with
/usr/bin/python3, where Debian installs python3-scapy.

Exit status: 0 success, 1 error (cannot write, scapy missing, files differ
in --check-deterministic), 2 usage error (bad option, unknown trace name).
"""

import argparse
import functools
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

PROG = "gen_traces.py"
SYSTEM_PYTHON = "/usr/bin/python3"
REEXEC_ENV = "GEN_TRACES_REEXEC"


def die(msg, status=1):
    sys.stderr.write("%s: error: %s\n" % (PROG, msg))
    sys.exit(status)


def import_scapy():
    """Import the scapy layers we need, re-executing under the system Python
    if this interpreter has no scapy."""
    try:
        import logging
        logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
        from scapy.layers import l2, inet, inet6, dns  # noqa: F401
        from scapy.contrib import mpls  # noqa: F401
    except ImportError as e:
        here = os.path.realpath(sys.executable or "")
        if (os.environ.get(REEXEC_ENV) != "1" and os.path.exists(SYSTEM_PYTHON)
                and here != os.path.realpath(SYSTEM_PYTHON)):
            env = dict(os.environ)
            env[REEXEC_ENV] = "1"
            os.execve(SYSTEM_PYTHON,
                      [SYSTEM_PYTHON, os.path.abspath(__file__)] + sys.argv[1:],
                      env)
        die("cannot import scapy (%s); install it with: "
            "apt-get install python3-scapy (or run scripts/install-deps.sh)" % e)


# ---------------------------------------------------------------------------
# Fixed constants, deterministic PRNG, pcap writer

BASE_TIME = 1767225600          # 2026-01-01T00:00:00Z
PCAP_MAGIC = 0xA1B2C3D4         # microsecond timestamps

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101              # raw IPv4/IPv6 (libpcap reports DLT_RAW)
LINKTYPE_LINUX_SLL = 113


class Rng:
    """splitmix64: tiny, fixed algorithm, independent of Python's random."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def u32(self):
        return self.next64() >> 32

    def u16(self):
        return self.next64() >> 48

    def below(self, n):
        return self.next64() % n

    def data(self, n):
        out = bytearray()
        while len(out) < n:
            out += self.next64().to_bytes(8, "little")
        return bytes(out[:n])

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


class Trace:
    """Packets of one pcap file: (time in us from BASE_TIME, bytes, wire length)."""

    def __init__(self, name, linktype=LINKTYPE_ETHERNET, snaplen=65535, in_order=True):
        self.name = name
        self.linktype = linktype
        self.snaplen = snaplen
        self.in_order = in_order  # False: the records stay in the order added
        self.records = []

    def add(self, t_us, data, wirelen=None, caplen=None):
        data = bytes(data)
        if wirelen is None:
            wirelen = len(data)
        if caplen is None:
            caplen = min(len(data), self.snaplen)
        if caplen > len(data) or caplen > wirelen:
            raise ValueError("%s: caplen %d > data %d / wirelen %d"
                             % (self.name, caplen, len(data), wirelen))
        self.records.append((int(t_us), data[:caplen], int(wirelen)))

    def to_pcapng(self):
        """The same packets as pcapng: one section, one interface (with
        microsecond timestamps, the default), one Enhanced Packet Block each."""
        def block(btype, body):
            body += b"\0" * (-len(body) % 4)
            n = 12 + len(body)
            return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
        out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
               block(0x00000001, struct.pack("<HHI", self.linktype, 0, self.snaplen))]
        for t_us, data, wirelen in sorted(self.records, key=lambda r: r[0]):
            ts = (BASE_TIME * 1000000) + t_us
            out.append(block(0x00000006, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF,
                                                      len(data), wirelen) + data))
        return b"".join(out)

    def to_bytes(self):
        recs = sorted(self.records, key=lambda r: r[0]) if self.in_order else self.records
        for a, b in zip(recs, recs[1:]):
            if a[0] == b[0]:
                raise ValueError("%s: two packets at t=%d us" % (self.name, a[0]))
        out = [struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0,
                           self.snaplen, self.linktype)]
        for t_us, data, wirelen in recs:
            out.append(struct.pack("<IIII", BASE_TIME + t_us // 1000000,
                                   t_us % 1000000, len(data), wirelen))
            out.append(data)
        return b"".join(out)


def mac(n):
    return "02:00:00:00:00:%02x" % n


def payload(rng, n):
    return rng.data(n)


# ---------------------------------------------------------------------------
# Packet building helpers (scapy)

@functools.lru_cache(maxsize=None)
def L():
    """The scapy layer classes, imported lazily (after import_scapy())."""
    from scapy.layers.l2 import Ether, Dot1Q, Dot1AD, CookedLinux
    from scapy.layers.inet import IP, TCP, UDP, ICMP
    from scapy.layers.inet6 import (IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt,
                                    IPv6ExtHdrFragment, ICMPv6EchoRequest,
                                    ICMPv6EchoReply)
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.contrib.mpls import MPLS
    from scapy.packet import Raw
    return dict(Ether=Ether, Dot1Q=Dot1Q, Dot1AD=Dot1AD, CookedLinux=CookedLinux,
                IP=IP, TCP=TCP, UDP=UDP, ICMP=ICMP, IPv6=IPv6,
                HBH=IPv6ExtHdrHopByHop, DestOpt=IPv6ExtHdrDestOpt,
                Frag=IPv6ExtHdrFragment, EchoReq6=ICMPv6EchoRequest,
                EchoRep6=ICMPv6EchoReply, DNS=DNS, DNSQR=DNSQR, DNSRR=DNSRR,
                MPLS=MPLS, Raw=Raw)


class Host:
    """An IPv4 host: MAC, address, TTL and an IP-id counter (1, 2, 3, ...)."""

    def __init__(self, macn, ip, ttl=64):
        self.mac = mac(macn)
        self.ip = ip
        self.ttl = ttl
        self.ipid = 0

    def next_id(self):
        self.ipid = (self.ipid + 1) & 0xFFFF
        return self.ipid


def ipv4(src, dst, ipid=None, ttl=None):
    S = L()
    return S["IP"](src=src.ip, dst=dst.ip,
                   id=src.next_id() if ipid is None else ipid,
                   ttl=src.ttl if ttl is None else ttl)


def tcp(sport, dport, flags, seq=0, ack=0, win=0, data=b""):
    S = L()
    seg = S["TCP"](sport=sport, dport=dport, flags=flags, seq=seq, ack=ack,
                   window=win)
    if data:
        seg = seg / S["Raw"](data)
    return seg


def udp(sport, dport, data=b""):
    S = L()
    seg = S["UDP"](sport=sport, dport=dport)
    if data:
        seg = seg / S["Raw"](data)
    return seg


def eth(src, dst):
    return L()["Ether"](src=src.mac, dst=dst.mac)


def eth4_tcp(src, dst, sport, dport, flags, seq=0, ack=0, win=0, data=b"",
             ipid=None, ttl=None):
    return bytes(eth(src, dst) / ipv4(src, dst, ipid, ttl) /
                 tcp(sport, dport, flags, seq, ack, win, data))


def eth4_udp(src, dst, sport, dport, data=b"", ipid=None):
    return bytes(eth(src, dst) / ipv4(src, dst, ipid) / udp(sport, dport, data))


class TcpConn:
    """Sequence bookkeeping for one TCP connection (client side c, server s)."""

    def __init__(self, trace, c, s, cport, sport, cisn, sisn, cwin, swin):
        self.t = trace
        self.c, self.s = c, s
        self.cport, self.sport = cport, sport
        self.cnxt = cisn          # next client sequence number
        self.snxt = sisn
        self.cwin, self.swin = cwin, swin

    def send(self, t_us, from_client, flags, data=b"", seq=None, ack=None,
             win=None):
        """Emit one segment. seq defaults to the sender's next sequence number
        (which then advances), ack to the peer's next sequence number."""
        if from_client:
            src, dst, sp, dp = self.c, self.s, self.cport, self.sport
            nxt, peer, w = self.cnxt, self.snxt, self.cwin
        else:
            src, dst, sp, dp = self.s, self.c, self.sport, self.cport
            nxt, peer, w = self.snxt, self.cnxt, self.swin
        advance = seq is None
        if seq is None:
            seq = nxt
        if ack is None:
            ack = peer if "A" in flags else 0
        if win is None:
            win = w
        self.t.add(t_us, eth4_tcp(src, dst, sp, dp, flags, seq, ack, win, data))
        if advance:
            n = len(data) + (1 if ("S" in flags or "F" in flags) else 0)
            if from_client:
                self.cnxt = (self.cnxt + n) & 0xFFFFFFFF
            else:
                self.snxt = (self.snxt + n) & 0xFFFFFFFF
        return seq


# ---------------------------------------------------------------------------
# The traces. Times are in microseconds after BASE_TIME.

def stream_bytes(offset, n):
    """Deterministic payload of a TCP byte stream: byte k is (k*7+3) mod 256,
    so a retransmission carries exactly the bytes of the original."""
    return bytes(((offset + k) * 7 + 3) & 0xFF for k in range(n))


def gen_tcp_retrans():
    t = Trace("tcp_retrans")
    C = Host(0x0A, "192.0.2.10", ttl=64)
    S = Host(0x14, "198.51.100.20", ttl=56)
    CISN, SISN = 1000000, 2000000
    MSS = 1000
    conn = TcpConn(t, C, S, 40000, 80, CISN, SISN, cwin=64240, swin=29200)

    conn.send(0, True, "S")                       # SYN
    conn.send(10000, False, "SA")                 # SYN-ACK
    conn.send(10100, True, "A")                   # ACK

    def seg_seq(i):                               # data segment i = 1..30
        return CISN + 1 + (i - 1) * MSS

    def slot(i):                                  # nominal send time of i
        return 100000 + (i - 1) * 60000

    lost = {5, 15, 25}        # originals lost after the monitor, retransmitted
    late = {8, 20}            # delayed in the network: arrive 1 ms after i+1
    arrivals = []             # (time, segment number, is_retransmission)
    for i in range(1, 31):
        if i in late:
            arrivals.append((slot(i + 1) + 1000, i, False))
        else:
            arrivals.append((slot(i), i, False))
    for k in lost:
        arrivals.append((slot(k + 2) + 30000, k, True))
    arrivals.sort()

    # The server receives every arrival except the lost originals and ACKs
    # each one it receives 5 ms later with its cumulative ACK.
    received = set()
    acks = []
    for when, i, retx in arrivals:
        seq = seg_seq(i)
        off = seq - (CISN + 1)
        t.add(when, eth4_tcp(C, S, 40000, 80, "PA", seq, SISN + 1, 64240,
                             stream_bytes(off, MSS)))
        if i in lost and not retx:
            continue
        received.add(i)
        n = 0
        while n + 1 in received:
            n += 1
        acks.append((when + 5000, seg_seq(n) + MSS if n else CISN + 1))
    for when, ackno in acks:
        t.add(when, eth4_tcp(S, C, 80, 40000, "A", SISN + 1, ackno, 29200))
    conn.cnxt = CISN + 1 + 30 * MSS
    conn.snxt = SISN + 1
    conn.send(1900000, True, "FA")
    conn.send(1905000, False, "FA")
    conn.send(1910000, True, "A")
    return t


def gen_syn_flood():
    t = Trace("syn_flood")
    rng = Rng(2)
    V = Host(0x01, "192.0.2.1", ttl=64)
    R = Host(0xFE, "0.0.0.0")                      # the router's MAC only

    def source(i):                                 # spoofed source index 0..499
        if i < 250:
            return "203.0.113.%d" % (i + 1)
        return "198.51.100.%d" % (i - 249)

    answered = {39 * k for k in range(50)}
    S = L()
    for n in range(2000):
        src = source(n % 500)
        sport = 1024 + n
        seq = rng.u32()
        ipid = rng.u16()
        syn = bytes(S["Ether"](src=R.mac, dst=V.mac) /
                    S["IP"](src=src, dst=V.ip, id=ipid, ttl=241) /
                    tcp(sport, 80, "S", seq, 0, 512))
        t.add(500 * n, syn)
        if n in answered:
            sa = bytes(S["Ether"](src=V.mac, dst=R.mac) /
                       S["IP"](src=V.ip, dst=src, id=V.next_id(), ttl=64) /
                       tcp(80, sport, "SA", rng.u32(), (seq + 1) & 0xFFFFFFFF,
                           29200))
            t.add(500 * n + 100, sa)
    return t


def gen_port_scan():
    t = Trace("port_scan")
    rng = Rng(3)
    A = Host(0x42, "192.0.2.66", ttl=64)
    T = Host(0x07, "198.51.100.7", ttl=64)
    for p in range(1, 1025):
        t0 = (p - 1) * 1950
        seq = rng.u32()
        t.add(t0, eth4_tcp(A, T, 54321, p, "S", seq, 0, 1024))
        if p in (22, 80, 443):
            t.add(t0 + 200, eth4_tcp(T, A, p, 54321, "SA", rng.u32(),
                                     (seq + 1) & 0xFFFFFFFF, 29200))
        else:
            t.add(t0 + 200, eth4_tcp(T, A, p, 54321, "RA", 0,
                                     (seq + 1) & 0xFFFFFFFF, 0))
    return t


def gen_vlan_mpls():
    t = Trace("vlan_mpls")
    rng = Rng(4)
    S = L()

    def pair(c):
        return Host(0x10 + c, "192.0.2.%d" % (100 + c)), \
            Host(0x20 + c, "198.51.100.%d" % (100 + c))

    # class A: untagged IPv4 UDP
    a_src, a_dst = pair(1)

    def cls_a():
        return bytes(eth(a_src, a_dst) / ipv4(a_src, a_dst) /
                     udp(5001, 6001, payload(rng, 100)))

    # class B: 802.1Q VLAN 100, priority 3, IPv4 UDP
    b_src, b_dst = pair(2)

    def cls_b():
        return bytes(eth(b_src, b_dst) / S["Dot1Q"](prio=3, vlan=100) /
                     ipv4(b_src, b_dst) / udp(5002, 6002, payload(rng, 200)))

    # class C: QinQ (outer 0x88a8 vid 10, inner 0x8100 vid 20), IPv4 TCP
    c_cli, c_srv = pair(3)
    c_script = [  # (from client, flags, payload length)
        (True, "S", 0), (False, "SA", 0), (True, "A", 0),
        (True, "PA", 200), (False, "PA", 300), (True, "A", 0)]
    c_state = {"cseq": 3000000, "sseq": 4000000, "k": 0}

    def cls_c():
        fc, flags, n = c_script[c_state["k"]]
        c_state["k"] += 1
        src, dst = (c_cli, c_srv) if fc else (c_srv, c_cli)
        sp, dp = (41003, 443) if fc else (443, 41003)
        mine, peer = ("cseq", "sseq") if fc else ("sseq", "cseq")
        seq = c_state[mine]
        ack = c_state[peer] if "A" in flags else 0
        data = payload(rng, n)
        frame = bytes(eth(src, dst) / S["Dot1AD"](vlan=10) / S["Dot1Q"](vlan=20) /
                      ipv4(src, dst) /
                      tcp(sp, dp, flags, seq, ack, 64240 if fc else 29200, data))
        c_state[mine] = seq + n + (1 if "S" in flags else 0)
        return frame

    # class D: MPLS label 1000, IPv4 UDP
    d_src, d_dst = pair(4)

    def cls_d():
        return bytes(eth(d_src, d_dst) / S["MPLS"](label=1000, s=1, ttl=64) /
                     ipv4(d_src, d_dst) / udp(5004, 6004, payload(rng, 300)))

    # class E: MPLS label stack 2000 (top), 3000 (bottom), IPv4 UDP
    e_src, e_dst = pair(5)

    def cls_e():
        return bytes(eth(e_src, e_dst) / S["MPLS"](label=2000, s=0, ttl=64) /
                     S["MPLS"](label=3000, s=1, ttl=64) /
                     ipv4(e_src, e_dst) / udp(5005, 6005, payload(rng, 400)))

    # class F: MPLS label 4000, IPv6 UDP
    f_src, f_dst = pair(6)

    def cls_f():
        return bytes(eth(f_src, f_dst) / S["MPLS"](label=4000, s=1, ttl=64) /
                     S["IPv6"](src="2001:db8::106", dst="2001:db8::206",
                               hlim=64) /
                     udp(5006, 6006, payload(rng, 120)))

    classes = [(cls_a, 10), (cls_b, 8), (cls_c, 6), (cls_d, 5), (cls_e, 4),
               (cls_f, 3)]
    k = 0
    for r in range(10):
        for fn, count in classes:
            if r < count:
                t.add(k * 25000, fn())
                k += 1
    return t


def gen_ipv6():
    t = Trace("ipv6")
    rng = Rng(5)
    S = L()

    def e6(sm, dm):
        return S["Ether"](src=mac(sm), dst=mac(dm))

    def ip6(src, dst):
        return S["IPv6"](src=src, dst=dst, hlim=64)

    # TCP 2001:db8::1:50000 <-> 2001:db8::2:443
    c, s = "2001:db8::1", "2001:db8::2"
    cm, sm = 0x61, 0x62
    st = {"c": 7000000, "s": 8000000}
    script = [(True, "S", 0), (False, "SA", 0), (True, "A", 0),
              (True, "PA", 300), (False, "PA", 1200), (True, "A", 0),
              (False, "PA", 1200), (True, "A", 0), (True, "FA", 0),
              (False, "FA", 0), (True, "A", 0)]
    for k, (fc, flags, n) in enumerate(script):
        mine, peer = ("c", "s") if fc else ("s", "c")
        seq = st[mine]
        ack = st[peer] if "A" in flags else 0
        frame = (e6(cm, sm) / ip6(c, s) if fc else e6(sm, cm) / ip6(s, c)) / \
            tcp(50000 if fc else 443, 443 if fc else 50000, flags, seq, ack,
                64800 if fc else 65535, payload(rng, n))
        st[mine] = seq + n + (1 if ("S" in flags or "F" in flags) else 0)
        t.add(k * 1000, bytes(frame))

    # DNS over UDP: two clients, two queries each, to 2001:db8::53
    resolver, rm = "2001:db8::53", 0x53
    dns = [("2001:db8::10", 0x70, 53001, 0x1001, "www.example.com"),
           ("2001:db8::10", 0x70, 53001, 0x1002, "ftp.example.com"),
           ("2001:db8::11", 0x71, 53002, 0x1101, "www.example.org"),
           ("2001:db8::11", 0x71, 53002, 0x1102, "ftp.example.org")]
    for k, (cli, cmac, cport, qid, name) in enumerate(dns):
        q = S["DNS"](id=qid, rd=1, qd=S["DNSQR"](qname=name, qtype="AAAA"))
        r = S["DNS"](id=qid, qr=1, rd=1, ra=1,
                     qd=S["DNSQR"](qname=name, qtype="AAAA"),
                     an=S["DNSRR"](rrname=name, type="AAAA", ttl=300,
                                   rdata="2001:db8::80"))
        t.add(100000 + 2000 * k,
              bytes(e6(cmac, rm) / ip6(cli, resolver) /
                    S["UDP"](sport=cport, dport=53) / q))
        t.add(100000 + 2000 * k + 1000,
              bytes(e6(rm, cmac) / ip6(resolver, cli) /
                    S["UDP"](sport=53, dport=cport) / r))

    # ICMPv6 echo request / reply x3
    for k in range(3):
        data = payload(rng, 56)
        t.add(200000 + 2000 * k,
              bytes(e6(cm, sm) / ip6(c, s) /
                    S["EchoReq6"](id=0x1234, seq=k + 1, data=data)))
        t.add(200000 + 2000 * k + 1000,
              bytes(e6(sm, cm) / ip6(s, c) /
                    S["EchoRep6"](id=0x1234, seq=k + 1, data=data)))

    # hop-by-hop + destination options, then UDP
    t.add(300000, bytes(e6(0x80, 0x81) / ip6("2001:db8::20", "2001:db8::21") /
                        S["HBH"]() / S["DestOpt"]() /
                        udp(7000, 7001, payload(rng, 64))))

    # one UDP datagram (8 + 1400 bytes) in two fragments
    src, dst = "2001:db8::30", "2001:db8::31"
    whole = bytes(ip6(src, dst) / udp(9000, 9001, payload(rng, 1400)))[40:]
    assert len(whole) == 1408
    first, second = whole[:1232], whole[1232:]
    t.add(400000, bytes(e6(0x90, 0x91) / ip6(src, dst) /
                        S["Frag"](nh=17, offset=0, m=1, id=0xABCD) /
                        S["Raw"](first)))
    t.add(400100, bytes(e6(0x90, 0x91) / ip6(src, dst) /
                        S["Frag"](nh=17, offset=1232 // 8, m=0, id=0xABCD) /
                        S["Raw"](second)))
    return t


def gen_malformed():
    t = Trace("malformed")
    rng = Rng(6)
    S = L()
    N1, N2 = Host(0x46, "192.0.2.70"), Host(0x47, "198.51.100.70")

    def normal():
        return eth4_udp(N1, N2, 50070, 50071, payload(rng, 32))

    frames = []
    frames.append(("normal", normal()))
    # snaplen-cut: a 1514-byte TCP frame of which 54 bytes were captured
    a, b = Host(0x48, "192.0.2.71"), Host(0x49, "198.51.100.71")
    full = eth4_tcp(a, b, 40071, 80, "PA", 11000000, 12000000, 64240,
                    payload(rng, 1460))
    assert len(full) == 1514
    frames.append(("snapcut", (full, 1514, 54)))
    frames.append(("normal", normal()))
    # cut inside the IPv4 header: a 74-byte UDP frame, 24 bytes captured
    a, b = Host(0x4A, "192.0.2.75"), Host(0x4B, "198.51.100.75")
    full = eth4_udp(a, b, 50075, 50076, payload(rng, 32))
    assert len(full) == 74
    frames.append(("ipcut", (full, 74, 24)))
    # IPv4 IHL = 4 (header length 16 < 20); otherwise a valid 60-byte UDP frame
    a, b = Host(0x4C, "192.0.2.72"), Host(0x4D, "198.51.100.72")
    f = bytearray(eth4_udp(a, b, 50072, 50073, payload(rng, 18)))
    assert len(f) == 60 and f[14] == 0x45
    f[14] = 0x44
    frames.append(("ihl4", bytes(f)))
    frames.append(("normal", normal()))
    # TCP data offset 3 (12 bytes < 20), 6 payload bytes, valid IPv4
    a, b = Host(0x4E, "192.0.2.73"), Host(0x4F, "198.51.100.73")
    f = bytes(eth(a, b) / ipv4(a, b) /
              S["TCP"](sport=40073, dport=80, flags="A", seq=13000000,
                       ack=14000000, window=64240, dataofs=3) /
              S["Raw"](payload(rng, 6)))
    assert len(f) == 60 and f[14 + 20 + 12] >> 4 == 3
    frames.append(("doff3", f))
    # IPv4 total length 1000 in a 60-byte frame (46 IP bytes); checksum valid
    a, b = Host(0x50, "192.0.2.74"), Host(0x51, "198.51.100.74")
    f = bytes(eth(a, b) / S["IP"](src=a.ip, dst=b.ip, id=a.next_id(), ttl=64,
                                  len=1000) /
              S["UDP"](sport=50074, dport=50075, len=26) /
              S["Raw"](payload(rng, 18)))
    assert len(f) == 60
    frames.append(("iplen", f))
    frames.append(("normal", normal()))
    frames.append(("garbage", b"\xde\xad\xbe\xef\x00\x01\x02\x03\x04\x05"))
    frames.append(("empty", b""))
    frames.append(("normal", normal()))
    for k, (_, f) in enumerate(frames):
        if isinstance(f, tuple):
            data, wire, cap = f
            t.add(k * 10000, data, wirelen=wire, caplen=cap)
        else:
            t.add(k * 10000, f)
    return t


def gen_sll():
    t = Trace("sll", linktype=LINKTYPE_LINUX_SLL)
    S = L()
    H = Host(0x28, "192.0.2.40", ttl=64)
    W = Host(0xFE, "203.0.113.40", ttl=55)        # reached via gateway :fe
    D = Host(0xFE, "203.0.113.53", ttl=55)

    def sll(outgoing, src):
        # packet type 4 = sent by us, 0 = addressed to us; the address is
        # the frame's source MAC (ours or the gateway's)
        macb = bytes(int(x, 16) for x in src.mac.split(":")) + b"\x00\x00"
        return S["CookedLinux"](pkttype=4 if outgoing else 0, lladdrtype=1,
                                lladdrlen=6, src=macb, proto=0x0800)

    st = {"c": 21000000, "s": 22000000}
    script = [(True, "S", 0), (False, "SA", 0), (True, "A", 0),
              (True, "PA", 100), (False, "PA", 500), (True, "A", 0),
              (True, "FA", 0), (False, "FA", 0), (True, "A", 0)]
    def http(n, head):          # an HTTP message of exactly n bytes
        body = head + b"\r\n\r\n"
        assert n >= len(body)
        return body + b"x" * (n - len(body))

    for k, (fc, flags, n) in enumerate(script):
        mine, peer = ("c", "s") if fc else ("s", "c")
        seq = st[mine]
        ack = st[peer] if "A" in flags else 0
        src, dst = (H, W) if fc else (W, H)
        if not n:
            data = b""
        elif fc:
            data = http(n, b"GET / HTTP/1.1\r\nHost: www.example.com\r\n"
                        b"X-Pad: " + b"p" * (n - 50))
        else:
            data = http(n, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain"
                        b"\r\nContent-Length: %d" % (n - 66))
        assert len(data) == n, (n, len(data))
        frame = sll(fc, src) / ipv4(src, dst) / \
            tcp(42000 if fc else 80, 80 if fc else 42000, flags, seq, ack,
                64240 if fc else 65160, data)
        st[mine] = seq + n + (1 if ("S" in flags or "F" in flags) else 0)
        t.add(k * 10000, bytes(frame))
    names = [(0x2001, "www.example.com"), (0x2002, "ftp.example.com")]
    for k, (qid, name) in enumerate(names):
        q = S["DNS"](id=qid, rd=1, qd=S["DNSQR"](qname=name, qtype="A"))
        r = S["DNS"](id=qid, qr=1, rd=1, ra=1,
                     qd=S["DNSQR"](qname=name, qtype="A"),
                     an=S["DNSRR"](rrname=name, type="A", ttl=300,
                                   rdata="203.0.113.80"))
        t.add(500000 + 20000 * k, bytes(sll(True, H) / ipv4(H, D) /
                                        S["UDP"](sport=53000, dport=53) / q))
        t.add(510000 + 20000 * k, bytes(sll(False, D) / ipv4(D, H) /
                                        S["UDP"](sport=53, dport=53000) / r))
    return t


def gen_rawip():
    t = Trace("rawip", linktype=LINKTYPE_RAW)
    rng = Rng(8)
    S = L()
    A, B, P = (Host(0, "192.0.2.60"), Host(0, "198.51.100.60"),
               Host(0, "198.51.100.61"))
    pk = []
    for _ in range(3):
        pk.append(ipv4(A, B) / udp(6000, 6001, payload(rng, 50)))
    data = payload(rng, 56)
    pk.append(ipv4(A, P) / S["ICMP"](type=8, code=0, id=0x4242, seq=1) /
              S["Raw"](data))
    pk.append(ipv4(P, A) / S["ICMP"](type=0, code=0, id=0x4242, seq=1) /
              S["Raw"](data))
    for _ in range(3):
        pk.append(S["IPv6"](src="2001:db8::60", dst="2001:db8::61", hlim=64) /
                  udp(6000, 6001, payload(rng, 50)))
    pk.append(S["IPv6"](src="2001:db8::60", dst="2001:db8::62", hlim=64) /
              tcp(43000, 22, "S", 31000000, 0, 64800))
    pk.append(S["IPv6"](src="2001:db8::62", dst="2001:db8::60", hlim=64) /
              tcp(22, 43000, "SA", 32000000, 31000001, 65535))
    for k, p in enumerate(pk):
        t.add(k * 100000, bytes(p))
    return t


def gen_loss_chain():
    # ~1700 packets with 1000-byte payloads would be over 1 MB, so the trace
    # is captured with snaplen 96: all headers plus the first 42 payload bytes
    # of each data segment; pcap's wire length keeps the true frame size, and
    # payload lengths come from the IP headers.
    t = Trace("loss_chain", snaplen=96)
    A = Host(0x0A, "192.0.2.10", ttl=64)
    B = Host(0x14, "198.51.100.20", ttl=64)
    B2 = Host(0x14, "198.51.100.20", ttl=64)    # B's IP ids toward C
    C = Host(0x0C, "192.0.2.12", ttl=64)
    AISN, BISN = 3000000, 4000000
    MSS = 1000
    AWIN = 64000
    BWINS = (512, 1024, 1536, 2048)

    # A <-> B: handshake, 960 data segments (80/s), 30 retransmissions in
    # second 2, B ACKs every second segment with a small window.
    ab = TcpConn(t, A, B, 40000, 80, AISN, BISN, cwin=AWIN, swin=2048)
    ab.send(0, True, "S")
    ab.send(100, False, "SA")
    ab.send(200, True, "A")
    lost = set(range(160, 219, 2))
    assert len(lost) == 30
    received = set()

    def cum_ack():
        n = 0
        while n in received:
            n += 1
        return AISN + 1 + n * MSS

    events = []                     # (time, kind, segment)
    for s in range(960):
        events.append((6250 + 12500 * s, "data", s))
    for s in lost:
        events.append((62500 + 12500 * s, "retx", s))
    events.sort()
    m = 0
    for when, kind, s in events:
        seq = AISN + 1 + s * MSS
        t.add(when, eth4_tcp(A, B, 40000, 80, "PA", seq, BISN + 1, AWIN,
                             stream_bytes(s * MSS, MSS)))
        if kind == "retx" or s not in lost:
            received.add(s)
        if kind == "data" and s % 2 == 1:
            t.add(when + 200, eth4_tcp(B, A, 80, 40000, "A", BISN + 1,
                                       cum_ack(), BWINS[m % 4]))
            m += 1
    assert m == 480
    ab.cnxt = AISN + 1 + 960 * MSS
    ab.send(11996000, True, "FA")
    ab.send(11996200, False, "FA", win=2048)
    ab.send(11996400, True, "A")

    # background: C -> B:443, 10 segments of 500 bytes per second, no loss
    CISN, BCISN = 5000000, 6000000
    cb = TcpConn(t, C, B2, 50000, 443, CISN, BCISN, cwin=64240, swin=65535)
    cb.send(20000, True, "S")
    cb.send(20300, False, "SA")
    cb.send(20600, True, "A")
    for j in range(120):
        when = 50000 + 100000 * j
        cb.send(when, True, "PA", stream_bytes(j * 500, 500))
        cb.send(when + 300, False, "A")
    cb.send(11997000, True, "FA")
    cb.send(11997300, False, "FA")
    cb.send(11997600, True, "A")
    return t


WEEK_US = 7 * 86400 * 1000000


def gen_week_gap():
    # Three bursts of 150 TCP SYNs each, one every 20 ms (3 s a burst),
    # from 15 sources to 3 targets in turn; a week between the starts of the
    # bursts. Each SYN to 192.0.2.80 is answered by a SYN+ACK 100 us later
    # in the first burst only. Runs over empty windows must not cost in proportion to the week.
    t = Trace("week_gap")
    rng = Rng(11)
    V = [Host(0x50 + k, "192.0.2.%d" % (80 + k), ttl=64) for k in range(3)]
    S = L()
    for b in range(3):
        for n in range(150):
            src = "203.0.113.%d" % (1 + n % 15)
            dst = V[n % 3]
            when = b * WEEK_US + n * 20000
            seq = rng.u32()
            t.add(when, bytes(S["Ether"](src=mac(0xFE), dst=dst.mac) /
                              S["IP"](src=src, dst=dst.ip, id=1 + b * 150 + n, ttl=241) /
                              tcp(30000 + n, 80, "S", seq, 0, 1024)))
            if b == 0 and n % 3 == 0:
                t.add(when + 100, bytes(S["Ether"](src=dst.mac, dst=mac(0xFE)) /
                                        S["IP"](src=dst.ip, dst=src, id=dst.next_id(), ttl=64) /
                                        tcp(80, 30000 + n, "SA", rng.u32(), (seq + 1) & 0xFFFFFFFF, 29200)))
    return t


def gen_decade_gap():
    # Seven UDP datagrams spread over ten years: a pair at t = 0 and 0.5 s,
    # one at 2 s, then one 5 years (1826 days) later, and a pair plus one
    # 10 years (3652 days) after the start. A query without Groupby over
    # Every(1s) must not print a row per empty second.
    t = Trace("decade_gap")
    A = Host(0x01, "192.0.2.1", ttl=64)
    B = Host(0x02, "198.51.100.2", ttl=64)
    day = 86400 * 1000000
    for k, when in enumerate((0, 500000, 2000000, 1826 * day, 3652 * day,
                              3652 * day + 500000, 3652 * day + 2000000)):
        t.add(when, eth4_udp(A, B, 5000 + k, 9, bytes(32 + k)))
    return t


def gen_dscp_ecn():
    """Known DSCP and ECN values (the TOS byte, the IPv6 traffic class); every
    other trace sends TOS 0."""
    t = Trace("dscp_ecn")
    S = L()
    A, B = Host(0xd1, "192.0.2.1"), Host(0xd2, "198.51.100.1")
    # IPv4 UDP 192.0.2.1:5000 -> 198.51.100.1:6000, one every ms:
    # (TOS, how many): DSCP 46 (EF) with ECN 0; DSCP 10 (AF11) with ECN 2
    # (ECT(0)); ECN 3 (CE) alone; TOS 0
    k = 0
    for tos, n in ((0xB8, 3), (0x2A, 2), (0x03, 1), (0x00, 2)):
        for _ in range(n):
            ip = S["IP"](src=A.ip, dst=B.ip, id=A.next_id(), ttl=A.ttl, tos=tos)
            t.add(k * 1000, bytes(eth(A, B) / ip / udp(5000, 6000, b"x" * 20)))
            k += 1
    # IPv6 TCP 2001:db8::1:40000 -> 2001:db8::2:80, traffic class 0xB9
    # (DSCP 46, ECN 1: ECT(1)) twice, then 0x83 (DSCP 32, ECN 3) once
    for tc, n in ((0xB9, 2), (0x83, 1)):
        for _ in range(n):
            ip6 = S["IPv6"](src="2001:db8::1", dst="2001:db8::2", hlim=64, tc=tc)
            t.add(k * 1000, bytes(S["Ether"](src=mac(0xd3), dst=mac(0xd4)) / ip6 /
                                  tcp(40000, 80, "A", seq=1000 + k, ack=1, win=512)))
            k += 1
    # an ARP request: no IP header, so no DSCP and no ECN
    arp = bytes(S["Ether"](src=mac(0xd1), dst="ff:ff:ff:ff:ff:ff", type=0x0806)) + bytes.fromhex(
        "0001080006040001" + "0200000000d1" + "c0000201" + "000000000000" + "c6336401")
    t.add(k * 1000, arp)
    return t


def gen_pseudowire():
    """Ethernet over MPLS pseudowires (RFC 4448) with and without the
    control word (RFC 4385), as tests/traces/README.md section 15 describes."""
    t = Trace("pseudowire")
    S = L()
    # the provider edge routers' frames carry the customer's frame
    pe1, pe2 = Host(0xe1, "203.0.113.1"), Host(0xe2, "203.0.113.2")
    A, B = Host(0xa1, "192.168.7.1"), Host(0xa2, "192.168.7.2")
    C, D = Host(0xc1, "192.168.8.1"), Host(0xc2, "192.168.8.2")
    # customer MACs as on a real capture of this (cc:..., not 02:...), so
    # that tshark's heuristic takes the control word as one too
    for h, m in ((A, "cc:00:0a:64:00:a1"), (B, "cc:00:0a:64:00:a2"),
                 (C, "cc:00:0a:64:00:c1"), (D, "cc:00:0a:64:00:c2")):
        h.mac = m
    cw = b"\x00\x00\x00\x00"  # control word: first nibble 0, no flags, sequence 0

    def pw(label, inner, control_word=True):
        outer = bytes(eth(pe1, pe2) / S["MPLS"](label=label, s=1, ttl=255))
        return outer + (cw if control_word else b"") + inner

    k = 0
    # P: label 5000, control word, ICMP echo A -> B and replies, 3 each, untagged inside
    for i in range(3):
        for src, dst, typ in ((A, B, 8), (B, A, 0)):
            inner = bytes(eth(src, dst) / ipv4(src, dst) /
                          S["ICMP"](type=typ, id=0x77, seq=i + 1) / S["Raw"](b"p" * 32))
            t.add(k * 1000, pw(5000, inner))
            k += 1
    # Q: label 6000, control word, inner frame tagged 802.1Q VID 30, UDP C -> D, 4 frames
    for i in range(4):
        inner = bytes(eth(C, D) / S["Dot1Q"](vlan=30) / ipv4(C, D) / udp(7000, 7001, b"q" * 50))
        t.add(k * 1000, pw(6000, inner))
        k += 1
    # R: label 7000, no control word; the customer frame's destination MAC
    # starts with 0x4 (a locally administered 42:..), which reads as IPv4's
    # version nibble: not IP, and no IP fields (2 frames)
    for i in range(2):
        inner = bytes(S["Ether"](src=mac(0xa1), dst="42:00:00:00:00:a2") / ipv4(A, B) /
                      udp(7100, 7101, b"r" * 20))
        t.add(k * 1000, pw(7000, inner, control_word=False))
        k += 1
    # S: label 8000, control word, cut inside the customer's Ethernet header
    # (caplen 26: outer 14 + label 4 + control word 4 + 4 bytes): truncated
    inner = bytes(eth(A, B) / ipv4(A, B) / udp(7200, 7201, b"s" * 10))
    frame = pw(8000, inner)
    t.add(k * 1000, frame[:26], wirelen=len(frame))
    return t


def inet_csum(data):
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def fast_ipv4_frame(smac, dmac, src, dst, ipid, proto, l4):
    """Ethernet + IPv4 (20 bytes, TTL 64, no flags) + a transport segment
    whose checksum field (at offset csum_off) is filled in here. Plain
    struct code: scapy is too slow for the 20000 packets of bench_mixed."""
    l4, csum_off = l4
    s4, d4 = bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))
    pseudo = s4 + d4 + struct.pack("!BBH", 0, proto, len(l4))
    c = inet_csum(pseudo + l4)
    if proto == 17 and c == 0:
        c = 0xFFFF
    l4 = l4[:csum_off] + struct.pack("!H", c) + l4[csum_off + 2:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ipid, 0, 64,
                     proto, 0, s4, d4)
    ip = ip[:10] + struct.pack("!H", inet_csum(ip)) + ip[12:]
    return dmac + smac + b"\x08\x00" + ip + l4


def fast_tcp(sport, dport, seq, ack, flags, win, data=b""):
    return (struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack,
                        5 << 4, flags, win, 0, 0) + data, 16)


def fast_udp(sport, dport, data):
    return (struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data, 6)


def gen_bench_mixed():
    # 20000 packets do not fit in ~200 KB (the record headers alone are
    # 320 KB), so this trace is captured with snaplen 64: every header is
    # complete, pcap's wire length keeps the true frame size.
    t = Trace("bench_mixed", snaplen=64)
    rng = Rng(9)
    router = bytes.fromhex(mac(0xFE).replace(":", ""))
    tuples = []
    for i in range(5000):
        src = ("192.0.2.%d" if i < 2500 else "198.51.100.%d") % (1 + i % 200)
        dst = "203.0.113.%d" % (1 + i % 50)
        sport = 10000 + i
        if i < 3000:
            tuples.append(("tcp", src, dst, sport, 80 if i % 2 == 0 else 443,
                           rng.u32()))
        else:
            tuples.append(("udp", src, dst, sport, 53 if i % 2 == 0 else 123,
                           0))
    pad = b"\x00" * 10
    SYN, ACK, PSH = 0x02, 0x10, 0x08

    def frame(i, r):
        proto, src, dst, sport, dport, isn = tuples[i]
        smac = bytes.fromhex(mac(0x01 + (i % 200)).replace(":", ""))
        ipid = (i * 4 + r) & 0xFFFF
        if proto == "udp":
            return fast_ipv4_frame(smac, router, src, dst, ipid, 17,
                                   fast_udp(sport, dport, b"\x00" * 534))
        if r == 0:
            seg = fast_tcp(sport, dport, isn, 0, SYN, 64240)
        elif r == 1:
            seg = fast_tcp(sport, dport, isn + 1, 1, ACK, 64240)
        else:
            seg = fast_tcp(sport, dport, isn + 1 + (r - 2) * 1446, 1,
                           PSH | ACK, 64240, b"\x00" * 1446)
        f = fast_ipv4_frame(smac, router, src, dst, ipid, 6, seg)
        return f + pad if r < 2 else f

    k = 0
    for r in range(4):
        order = list(range(5000))
        rng.shuffle(order)
        for i in order:
            f = frame(i, r)
            assert len(f) in (64, 576, 1500), len(f)
            t.add(k * 50, f)
            k += 1
    return t


def zero_payload_frame(smac, dmac, ip_version, src, dst, proto, l4hdr, csum_off, paylen, caplen, ipid=0):
    """Ethernet + IPv4 or IPv6 + a transport header followed by `paylen`
    zero bytes, of which only the first `caplen` bytes of the frame are
    kept; returns (captured bytes, wire length). The zeros add nothing to
    the checksums, so they are exact without building the whole frame."""
    l4len = len(l4hdr) + paylen
    if proto == 17:
        l4hdr = l4hdr[:4] + struct.pack("!H", l4len & 0xFFFF) + l4hdr[6:]
    if ip_version == 4:
        s, d = bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))
        pseudo = s + d + struct.pack("!BBH", 0, proto, l4len)
    else:
        import ipaddress
        s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
        pseudo = s + d + struct.pack("!IxxxB", l4len, proto)
    if proto == 1:
        pseudo = b""  # ICMP (v4) sums its own bytes only
    c = inet_csum(pseudo + l4hdr)
    if proto == 17 and c == 0:
        c = 0xFFFF
    l4hdr = l4hdr[:csum_off] + struct.pack("!H", c) + l4hdr[csum_off + 2:]
    if ip_version == 4:
        assert 20 + l4len <= 0xFFFF
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + l4len, ipid, 0, 64, proto, 0, s, d)
        ip = ip[:10] + struct.pack("!H", inet_csum(ip)) + ip[12:]
        ethertype = b"\x08\x00"
    else:
        assert l4len <= 0xFFFF
        ip = struct.pack("!IHBB16s16s", 0x60000000, l4len, proto, 64, s, d)
        ethertype = b"\x86\xdd"
    frame = dmac + smac + ethertype + ip + l4hdr
    wire = len(frame) + paylen
    keep = min(caplen, wire)
    frame += b"\x00" * max(0, keep - len(frame))
    return frame[:keep], wire


def gen_attacks():
    # Snaplen 96; the large frames have wire lengths up to 65,589 bytes (as a
    # capture point behind GRO/TSO sees them), so that gigabit rates fit in
    # a small file. Three things, in time order (tests/traces/README.md):
    #   t in [0, 20) s: a UDP flood from 1,200 IPv6 sources 2001:db8:1::1..4b0,
    #     source port 123, to 2001:db8::80 port 40000, one frame every 500 us
    #     (40,000 frames, UDP payload 65,527 bytes, wire 65,589): 1.05 Gb/s;
    #     beside it 2 TCP clients 2001:db8::7 and ::8 (ports 50000, 50001)
    #     send 100 segments each (100 payload bytes, 174-byte frames) to
    #     port 443 of the victim, one every 200 ms.
    #   t in [30, 37.5) s: a worm, 2001:db8:2::66, SYNs to 1,500 distinct
    #     hosts 2001:db8:3::1..5dc port 445, one every 5 ms; then in
    #     [40, 46) s SYNs to 600 more (2001:db8:4::1..258) port 139, one every 10 ms.
    #     Beside it the resolver 192.0.2.53 sends one DNS query to each of
    #     150 servers 203.0.113.1..150 at t = 31 s + k * 20 ms, and the client
    #     192.0.2.7 one SYN to each of 120 hosts 198.51.100.1..120 port 80 at
    #     t = 32 s + k * 25 ms.
    t = Trace("attacks", snaplen=96)
    router = bytes.fromhex(mac(0xFE).replace(":", ""))
    vmac = bytes.fromhex(mac(0x80).replace(":", ""))
    SYN, ACK, PSH = 0x02, 0x10, 0x08
    for k in range(40000):
        src = "2001:db8:1::%x" % (1 + k % 1200)
        f, w = zero_payload_frame(router, vmac, 6, src, "2001:db8::80", 17,
                                  struct.pack("!HHHH", 123, 40000, 0, 0), 6, 65527, 96)
        t.add(k * 500, f, wirelen=w)
    for c, cli in enumerate(("2001:db8::7", "2001:db8::8")):
        for k in range(100):
            hdr = struct.pack("!HHIIBBHHH", 50000 + c, 443, 1000 + k * 100, 1, 5 << 4, PSH | ACK, 64240, 0, 0)
            f, w = zero_payload_frame(router, vmac, 6, cli, "2001:db8::80", 6, hdr, 16, 100, 96)
            t.add(k * 200000 + 1 + c * 2, f, wirelen=w)
    wmac = bytes.fromhex(mac(0x66).replace(":", ""))
    for k in range(1500):
        hdr = struct.pack("!HHIIBBHHH", 40000 + k % 1000, 445, k * 7919, 0, 5 << 4, SYN, 8192, 0, 0)
        f, w = zero_payload_frame(wmac, router, 6, "2001:db8:2::66", "2001:db8:3::%x" % (1 + k), 6, hdr, 16, 0, 96)
        t.add(30000000 + k * 5000, f, wirelen=w)
    for k in range(600):
        hdr = struct.pack("!HHIIBBHHH", 41000 + k, 139, k * 104729, 0, 5 << 4, SYN, 8192, 0, 0)
        f, w = zero_payload_frame(wmac, router, 6, "2001:db8:2::66", "2001:db8:4::%x" % (1 + k), 6, hdr, 16, 0, 96)
        t.add(40000000 + k * 10000, f, wirelen=w)
    rmac = bytes.fromhex(mac(0x53).replace(":", ""))
    for k in range(150):
        f, w = zero_payload_frame(rmac, router, 4, "192.0.2.53", "203.0.113.%d" % (1 + k), 17,
                                  struct.pack("!HHHH", 53000 + k, 53, 0, 0), 6, 30, 96, ipid=1 + k)
        t.add(31000000 + k * 20000 + 3, f, wirelen=w)
    cmac = bytes.fromhex(mac(0x07).replace(":", ""))
    for k in range(120):
        hdr = struct.pack("!HHIIBBHHH", 45000 + k, 80, k * 65537, 0, 5 << 4, SYN, 64240, 0, 0)
        f, w = zero_payload_frame(cmac, router, 4, "192.0.2.7", "198.51.100.%d" % (1 + k), 6, hdr, 16, 0, 96, ipid=1 + k)
        t.add(32000000 + k * 25000 + 4, f, wirelen=w)
    # pings at t in [50, 52) s: 192.0.2.60 -> 198.51.100.61, 5 echo
    # requests (id 0x4242, seq 1..5, 48 data bytes: 90-byte frames) each answered 300 us
    # later; 192.0.2.62 -> 198.51.100.99, 3 requests never answered
    for k in range(5):
        req = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1 + k)
        f, w = zero_payload_frame(rmac, router, 4, "192.0.2.60", "198.51.100.61", 1, req, 2, 48, 96, ipid=200 + k)
        t.add(50000000 + k * 200000, f, wirelen=w)
        rep = struct.pack("!BBHHH", 0, 0, 0, 0x4242, 1 + k)
        f, w = zero_payload_frame(router, rmac, 4, "198.51.100.61", "192.0.2.60", 1, rep, 2, 48, 96, ipid=300 + k)
        t.add(50000000 + k * 200000 + 300, f, wirelen=w)
    for k in range(3):
        req = struct.pack("!BBHHH", 8, 0, 0, 0x0101, 1 + k)
        f, w = zero_payload_frame(cmac, router, 4, "192.0.2.62", "198.51.100.99", 1, req, 2, 48, 96, ipid=400 + k)
        t.add(51000000 + k * 300000, f, wirelen=w)
    return t


def gen_heavy():
    # Snaplen 64. A minute of one heavy TCP flow, 192.0.2.10:5001 ->
    # 198.51.100.20:5201, one 65,549-byte frame (TSO/GRO size: IPv4 total
    # length 65,535) every 500 us (120,000 frames, 7.87 GB in the minute,
    # 1.05 Gb/s) with an ACK back every 10th frame (12,000 ACKs of 54 bytes);
    # and a light flow from the same host, 192.0.2.10:5002 ->
    # 198.51.100.21:80, one 1,514-byte frame every 10 ms for 61 s (6,100
    # frames), so that the minute window [0, 60) s closes whole.
    t = Trace("heavy", snaplen=64)
    a = bytes.fromhex(mac(0x0A).replace(":", ""))
    b = bytes.fromhex(mac(0x14).replace(":", ""))
    ACK, PSH = 0x10, 0x08
    seg = 65535 - 40
    for k in range(120000):
        hdr = struct.pack("!HHIIBBHHH", 5001, 5201, (1 + k * seg) & 0xFFFFFFFF, 1, 5 << 4, PSH | ACK, 512, 0, 0)
        f, w = zero_payload_frame(a, b, 4, "192.0.2.10", "198.51.100.20", 6, hdr, 16, seg, 64, ipid=(1 + k) & 0xFFFF)
        t.add(k * 500, f, wirelen=w)
        if k % 10 == 9:
            hdr = struct.pack("!HHIIBBHHH", 5201, 5001, 1, (1 + (k + 1) * seg) & 0xFFFFFFFF, 5 << 4, ACK, 8192, 0, 0)
            f, w = zero_payload_frame(b, a, 4, "198.51.100.20", "192.0.2.10", 6, hdr, 16, 0, 64, ipid=(1 + k // 10) & 0xFFFF)
            t.add(k * 500 + 100, f, wirelen=w)
    for k in range(6100):
        hdr = struct.pack("!HHIIBBHHH", 5002, 80, (1 + k * 1460) & 0xFFFFFFFF, 1, 5 << 4, PSH | ACK, 512, 0, 0)
        f, w = zero_payload_frame(a, b, 4, "192.0.2.10", "198.51.100.21", 6, hdr, 16, 1460, 64, ipid=(40000 + k) & 0xFFFF)
        t.add(k * 10000 + 250, f, wirelen=w)
    return t


def gen_loss_chain_parts():
    # loss_chain's packets dealt round robin (in time order) into 3 files,
    # as three boxes on one link would see them; merged, they are
    # loss_chain again.
    whole = gen_loss_chain()
    recs = sorted(whole.records, key=lambda r: r[0])
    out = []
    for k in range(3):
        part = Trace("loss_chain_parts/part%d" % (k + 1), snaplen=whole.snaplen)
        part.records = recs[k::3]
        out.append(("loss_chain_parts/part%d.pcap" % (k + 1), part.to_bytes()))
    return out


def pcapng_interfaces(traces):
    """One pcapng section with one interface per trace (each with its own
    link type and snaplen, as mergecap writes them), the packets of all in
    time order (ties: the earlier trace first)."""
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    for t in traces:
        out.append(block(0x00000001, struct.pack("<HHI", t.linktype, 0, t.snaplen)))
    recs = sorted(((r[0], i, r) for i, t in enumerate(traces) for r in t.records), key=lambda x: (x[0], x[1]))
    for t_us, iface, (_, data, wirelen) in recs:
        ts = (BASE_TIME * 1000000) + t_us
        out.append(block(0x00000006, struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), wirelen) + data))
    return b"".join(out)


def gen_mixed_snaplen():
    # tcp_retrans (snaplen 65535) and loss_chain (snaplen 96) in one pcapng
    # file with two interfaces, as `mergecap tcp_retrans.pcap
    # loss_chain.pcap` writes it: libpcap refuses such a file.
    return [("mixed_snaplen.pcapng", pcapng_interfaces([gen_tcp_retrans(), gen_loss_chain()]))]


def gen_late():
    # Five UDP datagrams 192.0.2.1 -> 198.51.100.2 port 9 at t = 0, 1, 2, 3
    # and 4 s, stored in that order, except that the fourth is stamped one
    # hour earlier (t = 3 - 3600 s): a capture out of time order.
    t = Trace("late", in_order=False)
    A = Host(0x01, "192.0.2.1", ttl=64)
    B = Host(0x02, "198.51.100.2", ttl=64)
    for k, when in enumerate((0, 1000000, 2000000, 3000000 - 3600 * 1000000, 4000000)):
        t.add(when + 3600 * 1000000, eth4_udp(A, B, 6000 + k, 9, bytes(10)))
    return t


def gen_flows():
    """Orientation across windows and ICMP pairs (docs/language.md 6.1)."""
    t = Trace("flows")
    S = L()
    C = Host(0x70, "192.0.2.70", ttl=64)
    V = Host(0x71, "198.51.100.70", ttl=60)
    A = Host(0x72, "192.0.2.71", ttl=64)
    B = Host(0x73, "198.51.100.71", ttl=61)
    conn = TcpConn(t, C, V, 41000, 443, 5000000, 6000000, cwin=64240, swin=29200)
    # window [0, 1): the client opens and sends
    conn.send(0, True, "S")
    conn.send(10000, False, "SA")
    conn.send(20000, True, "A")
    conn.send(100000, True, "PA", stream_bytes(0, 200))
    conn.send(150000, False, "A")
    # windows [1, 2) and [2, 3): the server's data comes first
    conn.send(1100000, False, "PA", stream_bytes(0, 500))
    conn.send(1200000, True, "A")
    conn.send(2300000, False, "PA", stream_bytes(500, 300))
    conn.send(2400000, True, "A")
    # window [4, 5): nothing in [3, 4), the orientation is remembered
    conn.send(4100000, False, "PA", stream_bytes(800, 100))
    conn.send(4200000, True, "A")
    # 66 s later: idle for over 60 s, forgotten; the server's packet comes first
    conn.send(70100000, False, "PA", stream_bytes(900, 100))
    conn.send(70200000, True, "FA")
    conn.send(70300000, False, "FA")
    conn.send(70400000, True, "A")

    def icmp4(src, dst, typ, data=b"", **kw):
        m = S["ICMP"](type=typ, **kw)
        return bytes(eth(src, dst) / ipv4(src, dst) / (m / S["Raw"](data) if data else m))

    # echo, id 0x1234: seq 1 in [0, 1); seq 2 asked in [0, 1), answered in [1, 2)
    t.add(300000, icmp4(A, B, 8, id=0x1234, seq=1, data=bytes(32)))
    t.add(310000, icmp4(B, A, 0, id=0x1234, seq=1, data=bytes(32)))
    t.add(950000, icmp4(A, B, 8, id=0x1234, seq=2, data=bytes(32)))
    t.add(1050000, icmp4(B, A, 0, id=0x1234, seq=2, data=bytes(32)))
    # timestamp request and reply (13, 14), id 0x77
    t.add(400000, icmp4(A, B, 13, id=0x77, seq=1, ts_ori=400, ts_rx=0, ts_tx=0))
    t.add(410000, icmp4(B, A, 14, id=0x77, seq=1, ts_ori=400, ts_rx=405, ts_tx=405))
    # a UDP datagram to a closed port, and the port unreachable (3, 3) about it
    dgram = ipv4(A, B) / udp(5353, 53, bytes(20))
    t.add(500000, bytes(eth(A, B) / dgram))
    t.add(510000, bytes(eth(B, A) / ipv4(B, A) / S["ICMP"](type=3, code=3) / S["Raw"](bytes(dgram)[:28])))
    # ICMPv6 echo (128, 129), id 0x99
    def e6(sm, dm, src, dst, msg):
        return bytes(S["Ether"](src=mac(sm), dst=mac(dm)) /
                     S["IPv6"](src=src, dst=dst, hlim=64) / msg)
    t.add(600000, e6(0x72, 0x73, "2001:db8::71", "2001:db8::72", S["EchoReq6"](id=0x99, seq=1)))
    t.add(610000, e6(0x73, 0x72, "2001:db8::72", "2001:db8::71", S["EchoRep6"](id=0x99, seq=1)))
    return t


TRACES = [
    ("tcp_retrans", gen_tcp_retrans),
    ("syn_flood", gen_syn_flood),
    ("port_scan", gen_port_scan),
    ("vlan_mpls", gen_vlan_mpls),
    ("ipv6", gen_ipv6),
    ("malformed", gen_malformed),
    ("sll", gen_sll),
    ("rawip", gen_rawip),
    ("loss_chain", gen_loss_chain),
    ("bench_mixed", gen_bench_mixed),
    ("week_gap", gen_week_gap),
    ("decade_gap", gen_decade_gap),
    ("attacks", gen_attacks),
    ("heavy", gen_heavy),
    ("loss_chain_parts", gen_loss_chain_parts),
    ("mixed_snaplen", gen_mixed_snaplen),
    ("late", gen_late),
    ("dscp_ecn", gen_dscp_ecn),
    ("pseudowire", gen_pseudowire),
    ("flows", gen_flows),
]
TRACE_NAMES = [n for n, _ in TRACES]
PCAPNG_TOO = {"tcp_retrans"}  # also written as NAME.pcapng (same packets)


# ---------------------------------------------------------------------------
# Command line

def write_traces(outdir, names):
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        die("'%s' exists and is not a directory" % outdir)
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as e:
        die("cannot create output directory '%s': %s" % (outdir, e.strerror))
    if not os.path.isdir(outdir):
        die("'%s' is not a directory" % outdir)
    gens = dict(TRACES)
    files = []
    for name in names:
        t = gens[name]()
        if not isinstance(t, Trace):  # files of their own: (relative path, bytes)
            files.extend(t)
            continue
        files.append((name + ".pcap", t.to_bytes()))
        if name in PCAPNG_TOO:
            files.append((name + ".pcapng", t.to_pcapng()))
    for fname, data in files:
        path = os.path.join(outdir, fname)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as e:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            die("cannot write '%s': %s" % (path, e.strerror))
        print("%s %d bytes" % (path, len(data)))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_deterministic(names):
    """Generate into two temp dirs, in two fresh processes with different
    PYTHONHASHSEED, and compare the files byte for byte."""
    with tempfile.TemporaryDirectory(prefix="gen_traces.") as tmp:
        dirs = [os.path.join(tmp, "run1"), os.path.join(tmp, "run2")]
        for n, d in enumerate(dirs):
            env = dict(os.environ)
            env["PYTHONHASHSEED"] = str(n + 1)
            r = subprocess.run([sys.executable, os.path.abspath(__file__), d]
                               + names, env=env, stdout=subprocess.DEVNULL)
            if r.returncode != 0:
                die("generation run %d failed with status %d"
                    % (n + 1, r.returncode))
        bad = 0
        for name in names:
            f1, f2 = (os.path.join(d, name + ".pcap") for d in dirs)
            h1, h2 = sha256(f1), sha256(f2)
            if h1 == h2:
                print("same    %s.pcap %s %d bytes"
                      % (name, h1, os.path.getsize(f1)))
            else:
                print("DIFFER  %s.pcap %s %s" % (name, h1, h2))
                bad += 1
        if bad:
            sys.stderr.write("%s: error: %d trace(s) differ between two runs\n"
                             % (PROG, bad))
            return 1
        print("deterministic: %d trace(s) identical in two runs" % len(names))
        return 0


def main(argv):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Write deterministic pcap test traces (see README.md).")
    ap.add_argument("outdir", nargs="?", metavar="OUTDIR",
                    help="directory for the NAME.pcap files (created if needed)")
    ap.add_argument("names", nargs="*", metavar="NAME",
                    help="traces to write (default: all): "
                    + " ".join(TRACE_NAMES))
    ap.add_argument("--check-deterministic", action="store_true",
                    help="generate the traces twice and compare the bytes "
                    "(OUTDIR is not used; NAMEs may follow)")
    ap.add_argument("--list", action="store_true",
                    help="print the trace names and exit")
    args = ap.parse_args(argv)

    if args.list:
        print("\n".join(TRACE_NAMES))
        return 0
    if args.check_deterministic:
        # everything positional is a trace name here
        names = ([args.outdir] if args.outdir else []) + args.names
    else:
        if not args.outdir:
            ap.error("OUTDIR is required")
        names = args.names
    names = names or TRACE_NAMES
    unknown = [n for n in names if n not in TRACE_NAMES]
    if unknown:
        ap.error("unknown trace name%s: %s (known: %s)"
                 % ("s" if len(unknown) > 1 else "", ", ".join(unknown),
                    ", ".join(TRACE_NAMES)))
    import_scapy()
    if args.check_deterministic:
        return check_deterministic(names)
    write_traces(args.outdir, names)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
