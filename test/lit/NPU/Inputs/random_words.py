#!/usr/bin/env python3
"""Writes N files of random NPU instruction words (raw 64-byte words):
mostly sparse words with a valid opcode, some pure noise."""
import os
import random
import struct
import sys

OPCODES = [0x01, 0x02, 0x03, 0x04, 0x05, 0x10, 0x11, 0x20, 0x21, 0x30,
           0x31, 0x32, 0x33, 0x34, 0x35]


def word(rng):
    if rng.random() < 0.1:
        return bytes(rng.randrange(256) for _ in range(64))
    w = [0] * 16
    w[0] = rng.choice(OPCODES)
    for _ in range(rng.randrange(6)):
        w[rng.randrange(1, 16)] |= rng.randrange(1, 64) << (8 * rng.randrange(3))
    if rng.random() < 0.3:
        w[0] |= (0x10 | rng.randrange(4)) << 8
    return struct.pack("<16I", *w)


def main(outdir, n):
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(1234)
    for i in range(n):
        words = [word(rng) for _ in range(rng.randrange(1, 8))]
        if rng.random() < 0.7:
            words.append(struct.pack("<16I", 0x01, *([0] * 15)))
        with open(os.path.join(outdir, f"w{i}.bin"), "wb") as f:
            f.write(b"".join(words))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
