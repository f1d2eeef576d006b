#!/usr/bin/env python3
"""deal.py CAPTURE N MODE OUTDIR: deal the packets of a pcap capture into N
pcap files OUTDIR/part1.pcap .. partN.pcap, as N measurement boxes would see
them. MODE:
  rr    round robin, packet k to part k mod N (boxes sharing one link)
  flow  by a hash of the unordered address and port pair: a conversation
        whole on one box (boxes on different links)
  time  N consecutive slices of equal packet counts (a box per period)
Standard library only; pcap in (any of the four magics), pcap out with the
same magic, link type and snapshot length. Exit 2 on a bad argument."""
import hashlib
import os
import struct
import sys


def records(data):
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        sys.exit("deal.py: not a pcap file (pcapng: convert it with editcap -F pcap)")
    link = struct.unpack(endian + "I", data[20:24])[0] & 0x03FFFFFF
    off = 24
    out = []
    while off + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        out.append(data[off:off + 16 + caplen])
        off += 16 + caplen
    return data[:24], endian, link, out


def flow_key(rec, link):
    """The unordered (address, port) pair of an IPv4/IPv6 packet, or b''."""
    p = rec[16:]
    off = {1: 14, 113: 16, 276: 20, 101: 0, 12: 0, 228: 0, 229: 0}.get(link)
    if off is None:
        return b""
    if link == 1:
        etype = struct.unpack(">H", p[12:14])[0] if len(p) >= 14 else 0
        while etype in (0x8100, 0x88A8) and len(p) >= off + 4:
            etype = struct.unpack(">H", p[off + 2:off + 4])[0]
            off += 4
    if len(p) < off + 1:
        return b""
    ver = p[off] >> 4
    if ver == 4 and len(p) >= off + 20:
        ihl = (p[off] & 15) * 4
        proto = p[off + 9]
        a, b = p[off + 12:off + 16], p[off + 16:off + 20]
        l4 = off + ihl
    elif ver == 6 and len(p) >= off + 40:
        proto = p[off + 6]
        a, b = p[off + 8:off + 24], p[off + 24:off + 40]
        l4 = off + 40
    else:
        return b""
    sp = dp = b""
    if proto in (6, 17) and len(p) >= l4 + 4:
        sp, dp = p[l4:l4 + 2], p[l4 + 2:l4 + 4]
    return b"".join(sorted([a + sp, b + dp])) + bytes([proto])


def main():
    if len(sys.argv) != 5 or sys.argv[3] not in ("rr", "flow", "time"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    path, n, mode, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    with open(path, "rb") as f:
        head, endian, link, recs = records(f.read())
    parts = [[] for _ in range(n)]
    for k, rec in enumerate(recs):
        if mode == "rr":
            i = k % n
        elif mode == "time":
            i = min(n - 1, k * n // max(1, len(recs)))
        else:
            i = int.from_bytes(hashlib.sha256(flow_key(rec, link)).digest()[:4], "big") % n
        parts[i].append(rec)
    os.makedirs(outdir, exist_ok=True)
    for i, part in enumerate(parts):
        with open(os.path.join(outdir, "part%d.pcap" % (i + 1)), "wb") as f:
            f.write(head)
            f.write(b"".join(part))


if __name__ == "__main__":
    main()
