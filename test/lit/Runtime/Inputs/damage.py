#!/usr/bin/env python3
"""Damaged copies of a .tsl file: truncated, a flipped weights byte, a newer
format version (with a valid header checksum) and plain garbage."""
import struct
import sys
import zlib

src, outdir = sys.argv[1], sys.argv[2]
data = bytearray(open(src, "rb").read())
open(f"{outdir}/truncated.tsl", "wb").write(data[: len(data) // 2])
flipped = bytearray(data)
flipped[-200] ^= 0x10  # Inside the weights, the last section.
open(f"{outdir}/flipped.tsl", "wb").write(flipped)
newer = bytearray(data)
struct.pack_into("<H", newer, 8, 2)
struct.pack_into("<I", newer, 60, zlib.crc32(bytes(newer[:60])))
open(f"{outdir}/newer.tsl", "wb").write(newer)
open(f"{outdir}/garbage.tsl", "wb").write(b"definitely not a model\n")
