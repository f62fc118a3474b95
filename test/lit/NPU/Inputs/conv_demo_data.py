#!/usr/bin/env python3
"""Data and an independent numpy reference for conv_int8_db.s.

Writes into OUTDIR:
  ddr.bin       the DDR image the program reads (input, weights, table)
  expected.bin  the 36x32x64 int8 output the program must write at 0x10000
  x.npy, y.npy  the input and expected output as tensors (for tessel-run)
  weights.bin   the weights blob (weights, then the requant table) that a
                deployable binary maps at arena offset 0x9000

The reference follows docs/npu-isa.md: int32 accumulation of
(x - zpin) * w, then y = clamp(sat8(rhaz((acc + bias) * M / 2^(31 + s)) + zpout),
lo, hi) with rhaz = round half away from zero.
"""
import struct
import sys

import numpy as np

H, W, C, CO = 36, 32, 32, 64
ZP_IN, ZP_OUT, LO = -3, 5, 5
IN_ADDR, W_ADDR, TBL_ADDR, OUT_ADDR, DDR_SIZE = 0x0, 0x9000, 0xD800, 0x10000, 0x22000


def main(outdir, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, size=(H, W, C), dtype=np.int8)
    w = rng.integers(-128, 128, size=(CO, 3, 3, C), dtype=np.int8)
    bias = rng.integers(-20000, 20000, size=CO, dtype=np.int64)
    mult = rng.integers(1 << 30, 1 << 31, size=CO, dtype=np.int64)
    shift = rng.integers(13, 16, size=CO, dtype=np.int64)

    xp = np.zeros((H + 2, W + 2, C), dtype=np.int64)
    xp[1:-1, 1:-1, :] = x.astype(np.int64) - ZP_IN  # padded taps contribute 0
    acc = np.zeros((H, W, CO), dtype=np.int64)
    for ky in range(3):
        for kx in range(3):
            acc += np.einsum("hwc,oc->hwo", xp[ky:ky + H, kx:kx + W, :],
                             w[:, ky, kx, :].astype(np.int64))
    acc = ((acc + 2**31) % 2**32) - 2**31  # the int32 accumulator wraps
    p = (acc + bias) * mult
    total = 31 + shift
    half = np.left_shift(1, total - 1)
    q = np.sign(p) * ((np.abs(p) + half) >> total)
    y = np.clip(q + ZP_OUT, -128, 127)
    y = np.maximum(y, LO).astype(np.int8)

    table = b"".join(struct.pack("<qii", int(b), int(m), int(s))
                     for b, m, s in zip(bias, mult, shift))
    ddr = bytearray(DDR_SIZE)
    ddr[IN_ADDR:IN_ADDR + x.nbytes] = x.tobytes()
    ddr[W_ADDR:W_ADDR + w.nbytes] = w.tobytes()
    ddr[TBL_ADDR:TBL_ADDR + len(table)] = table
    open(f"{outdir}/ddr.bin", "wb").write(bytes(ddr))
    open(f"{outdir}/expected.bin", "wb").write(y.tobytes())
    np.save(f"{outdir}/x.npy", x.reshape(1, H, W, C))
    np.save(f"{outdir}/y.npy", y.reshape(1, H, W, CO))
    blob = bytes(ddr[W_ADDR:TBL_ADDR + len(table)])
    open(f"{outdir}/weights.bin", "wb").write(blob)


if __name__ == "__main__":
    main(sys.argv[1])
