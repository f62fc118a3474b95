# A padded 2-D load and a strided store on edge-s: the data lands where the
# instructions say, and the cycles are what docs/npu-isa.md computes.
# RUN: printf 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!?' > %t.in
# RUN: tessel-npu sim --chip edge-s %s --ddr-size 4096 --ddr-init %t.in@0 --dump 0x100:96 --profile | FileCheck %s

  # 3 rows of 5 bytes (source stride 16) -> 5 rows of 8 with a border of '.'.
  dma.load src=0x0 dst=0x0 rows=3 cols=5 sstride=16 pt=1 pb=1 pl=2 pr=1 pad=46 signal=s0
  # 5 rows of 8 bytes -> DDR 0x100 with a 16-byte row stride.
  dma.store src=0x0 dst=0x100 rows=5 cols=8 dstride=16 wait=s0
  end

# CHECK-LABEL: chip edge-s: 1 of 1 cores used, 500 MHz
# Load: 3 runs of 64-byte bursts from DDR = 192 bytes at 8 B/cycle = 24
# cycles, plus 250 of latency: done at 274. Store: 5 runs of 64 = 320 bytes,
# 40 cycles, plus latency: 274 + 40 + 250 = 564.
# CHECK-NEXT: cycles 564 (1.128 us), 2 instructions
# CHECK: DDR read 192 B, written 320 B; VTCM peak 40 bytes
# CHECK: core index eng  count     cycles         MACs   util      bytes  instruction
# CHECK-NEXT: 0     0 dma      1         24            0   0.0%         55  dma.load src=0x0 dst=0x0 rows=3 cols=5 sstride=16 pt=1 pb=1 pl=2 pr=1 pad=46 signal=s0
# CHECK-NEXT: 0     1 dma      1         40            0   0.0%         80  dma.store src=0x0 dst=0x100 rows=5 cols=8 dstride=16 wait=s0
# CHECK: 0x00000100: 2e 2e 2e 2e 2e 2e 2e 2e 00 00 00 00 00 00 00 00
# CHECK-NEXT: 0x00000110: 2e 2e 41 42 43 44 45 2e 00 00 00 00 00 00 00 00
# CHECK-NEXT: 0x00000120: 2e 2e 51 52 53 54 55 2e 00 00 00 00 00 00 00 00
# CHECK-NEXT: 0x00000130: 2e 2e 67 68 69 6a 6b 2e 00 00 00 00 00 00 00 00
# CHECK-NEXT: 0x00000140: 2e 2e 2e 2e 2e 2e 2e 2e 00 00 00 00 00 00 00 00
# CHECK-NEXT: 0x00000150: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
