#!/usr/bin/env python3
"""Writes bench/edit-48k.png: a real, decodable 512x512 RGB PNG of exactly 49,152 bytes (48 KiB), deterministic
(seeded noise beside a disc, padded to the exact size with a tEXt chunk). Run once; the result is committed."""
import random, struct, sys, zlib

TARGET = 48 * 1024
W = H = 512

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

def png(noisy_rows):
    rnd = random.Random(42)
    raw = bytearray()
    for y in range(H):
        raw.append(0)  # filter: none
        for x in range(W):
            if y < noisy_rows and x < 128:
                raw += bytes((rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
            else:
                raw += bytes((30, 120, 200) if (x - 256) ** 2 + (y - 256) ** 2 > 120 ** 2 else (250, 220, 40))
    ihdr = struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)
    return ihdr, zlib.compress(bytes(raw), 9)

lo, hi = 0, H
while lo < hi:  # the most noisy rows that still fit with room for a tEXt chunk
    mid = (lo + hi + 1) // 2
    ihdr, idat = png(mid)
    size = 8 + len(chunk(b"IHDR", ihdr)) + len(chunk(b"IDAT", idat)) + len(chunk(b"IEND", b"")) + 12 + 8
    if size <= TARGET:
        lo = mid
    else:
        hi = mid - 1
ihdr, idat = png(lo)
head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
tail = chunk(b"IEND", b"")
pad = TARGET - len(head) - len(tail) - 12
text = b"Comment\x00" + b"x" * (pad - 8)
out = head + chunk(b"tEXt", text) + tail
assert len(out) == TARGET, len(out)
open(sys.argv[1] if len(sys.argv) > 1 else "edit-48k.png", "wb").write(out)
print(len(out), "bytes,", lo, "noisy rows")
