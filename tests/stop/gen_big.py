#!/usr/bin/env python3
"""gen_big.py FILE N: a capture of N 60-byte UDP frames, 10 us apart, from
192.0.2.(1..200) to 198.51.100.(1..200), source ports 1024.., port 53: many
groups, so that a heavy program takes seconds over it. Standard library
only; written in blocks (fast)."""
import struct
import sys


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    base = 1767225600  # 2026-01-01T00:00:00Z
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        block = []
        for k in range(n):
            t = k * 10
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, k & 0xFFFF, 0, 64, 17, 0,
                             bytes((192, 0, 2, 1 + k % 200)), bytes((198, 51, 100, 1 + (k // 200) % 200)))
            frame = eth + ip + struct.pack("!HHHH", 1024 + k % 60000, 53, 26, 0) + bytes(18)
            block.append(struct.pack("<IIII", base + t // 1000000, t % 1000000, 60, 60) + frame)
            if len(block) == 10000:
                out.write(b"".join(block))
                block = []
        out.write(b"".join(block))


if __name__ == "__main__":
    main()
