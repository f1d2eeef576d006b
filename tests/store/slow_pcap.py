#!/usr/bin/env python3
"""slow_pcap.py PER_SECOND SLEEP_MS [SECONDS]: a capture on standard
output, written slowly: each capture second holds PER_SECOND UDP frames
from 192.0.2.(1..50) to 198.51.100.(1..4), and the writer sleeps SLEEP_MS
between capture seconds, so equery-run closes a 1-second window every
SLEEP_MS of wall time while the signal tests watch (SECONDS: stop after
that many capture seconds and keep the pipe open, unless SLEEP_MS is 0:
then it ends; default 10000).
Standard library only."""
import struct
import sys
import time


def main():
    per, sleep_ms = int(sys.argv[1]), int(sys.argv[2])
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    base = 1767225600  # 2026-01-01T00:00:00Z
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    out = sys.stdout.buffer
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    try:
        for s in range(seconds):
            block = []
            for k in range(per):
                us = k * (1000000 // per)
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, k & 0xFFFF, 0, 64, 17, 0,
                                 bytes((192, 0, 2, 1 + k % 50)), bytes((198, 51, 100, 1 + (k // 50) % 4)))
                frame = eth + ip + struct.pack("!HHHH", 1024 + k, 53, 26, 0) + bytes(18)
                block.append(struct.pack("<IIII", base + s, us, 60, 60) + frame)
            out.write(b"".join(block))
            out.flush()
            time.sleep(sleep_ms / 1000)
        if sleep_ms:
            time.sleep(3600)
    except (BrokenPipeError, KeyboardInterrupt):
        pass


if __name__ == "__main__":
    main()
