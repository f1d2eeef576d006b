#!/usr/bin/env python3
"""Writes the benchmark captures (deterministic; standard library only).

  gen_bench.py OUTDIR

small64.pcap  500,000 TCP frames of 64 bytes on the wire (60 captured, as
              without the FCS), over 100,000 bidirectional 5-tuples (each
              seen 5 times, in a shuffled order so that the group table is
              used the way real traffic uses it). Every 10th flow is to port 80.
mixed.pcap    500,000 frames of 64, 576 and 1500 bytes on the wire (7:4:1,
              "simple IMIX"), captured to 128 bytes, over the same flows.
Addresses are from 198.18.0.0/15 (the benchmarking range).

  gen_bench.py --windows W OUTDIR

windowsW.pcap W one-second windows, each with one 64-byte frame of each of
              the 100,000 flows (every window's table: 100,000 groups), the
              frames 5 us apart from the start of the second (for
              bench/box_bench.sh, the results path of the boxes).

  gen_bench.py --burst W OUTDIR

burstW.pcap   a 10 ms window with one 64-byte frame of each of the 100,000
              flows, then W windows of 10 ms with one frame of each of 10
              flows (for bench/clear_bench.sh: the windows after a burst).
flatW.pcap    the same W + 1 windows, the first with 10 flows too.
"""
import os
import struct
import sys

FLOWS = int(os.environ.get("BENCH_FLOWS", "100000"))
PER_FLOW = 5
BASE_TS = 1767225600
GAP_NS = 100  # 10 Mpps of packet time


def lcg(seed):
    x = seed
    while True:
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        yield x >> 33


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(flow, k, wire):
    """Ethernet + IPv4 + TCP, IP total length consistent with `wire`."""
    a = 0xC6120000 + (flow >> 8)          # 198.18.x.y clients
    b = 0xC6130000 + (flow & 0xFF)        # 198.19.0.z servers
    sport = 1024 + flow % 60000
    dport = 80 if flow % 10 == 0 else 8000 + flow % 1000
    reverse = k % 2 == 1                  # answers go the other way
    if reverse:
        a, b, sport, dport = b, a, dport, sport
    ip_len = wire - 14 - 4                # 4: the FCS, not captured
    payload = ip_len - 40
    flags = 0x10 if payload == 0 else 0x18
    seq = 1000 + k * 1460
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, ip_len, k, 0, 64, 6, 0, a, b)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    return eth + ip + tcp  # headers only; the capture length is cut below


def write(path, sizes, snap):
    order = [(f, k) for f in range(FLOWS) for k in range(PER_FLOW)]
    rnd = lcg(42)
    for i in range(len(order) - 1, 0, -1):  # Fisher-Yates, deterministic
        j = next(rnd) % (i + 1)
        order[i], order[j] = order[j], order[i]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, snap, 1))  # nanosecond pcap
        for i, (flow, k) in enumerate(order):
            wire = sizes[(flow * 7 + k) % len(sizes)]
            hdr = frame(flow, k, wire)
            cap = min(wire - 4, snap)
            data = (hdr + bytes(cap))[:cap]
            ts = i * GAP_NS
            f.write(struct.pack("<IIII", BASE_TS + ts // 10**9, ts % 10**9, len(data), wire - 4))
            f.write(data)


def write_windows(path, windows):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 60, 1))
        for w in range(windows):
            for flow in range(FLOWS):
                data = (frame(flow, 0, 64) + bytes(60))[:60]
                f.write(struct.pack("<IIII", BASE_TS + w, flow * (500000000 // FLOWS), 60, 60))
                f.write(data)


SMALL_FLOWS = 10
BURST_WINDOW_NS = 10 * 1000 * 1000


def write_burst(path, windows, first):
    """`first` flows in the first window, then SMALL_FLOWS in each other."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 60, 1))
        for w in range(windows + 1):
            n = first if w == 0 else SMALL_FLOWS
            for flow in range(n):
                data = (frame(flow, 0, 64) + bytes(60))[:60]
                ts = w * BURST_WINDOW_NS + flow * (BURST_WINDOW_NS // 2 // n)
                f.write(struct.pack("<IIII", BASE_TS + ts // 10**9, ts % 10**9, 60, 60))
                f.write(data)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--burst" and sys.argv[2].isdigit():
        w = int(sys.argv[2])
        os.makedirs(sys.argv[3], exist_ok=True)
        write_burst(os.path.join(sys.argv[3], "burst%d.pcap" % w), w, FLOWS)
        write_burst(os.path.join(sys.argv[3], "flat%d.pcap" % w), w, SMALL_FLOWS)
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "--windows" and sys.argv[2].isdigit():
        w = int(sys.argv[2])
        os.makedirs(sys.argv[3], exist_ok=True)
        write_windows(os.path.join(sys.argv[3], "windows%d.pcap" % w), w)
        return 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "small64.pcap"), [64], 60)
    write(os.path.join(out, "mixed.pcap"), [64] * 7 + [576] * 4 + [1500], 128)
    return 0


if __name__ == "__main__":
    sys.exit(main())
