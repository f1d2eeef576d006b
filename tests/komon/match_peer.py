#!/usr/bin/env python3
"""match_peer.py - the two ends of the KOMon matching test (match_test.sh).

  gen  DST PORT N GAP_MS   send N datagrams with heads 1..N (8 bytes little
                           endian, then padding), GAP_MS apart
  vnf  PORT N              receive N datagrams and mirror them, except:
                           datagram 2 is dropped, 3 is held and sent after
                           4 and 5 (order 1 4 5 3 6 ...)
"""
import socket
import struct
import sys
import time

SIZE = 100


def gen(dst, port, n, gap_ms):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(1, n + 1):
        s.sendto(struct.pack("<Q", i) + bytes([i]) * (SIZE - 8), (dst, port))
        time.sleep(gap_ms / 1000.0)


def vnf(port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    held = None
    for _ in range(n):
        data, peer = s.recvfrom(2048)
        head = struct.unpack("<Q", data[:8])[0]
        if head == 2:
            continue                      # dropped
        if head == 3:
            held = (data, peer)           # reordered: sent after 4
            continue
        if head == 5:
            s.sendto(data, peer)
            s.sendto(*held)
            continue
        s.sendto(data, peer)


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        vnf(int(sys.argv[2]), int(sys.argv[3]))
