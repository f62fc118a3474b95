# conv_int8_db.s - a hand-written int8 conv layer, double-buffered.
#
#   input   36 x 32 x 32 int8 (HWC), zero point -3        DDR 0x0
#   weights 64 x 3 x 3 x 32 int8                           DDR 0x9000
#   requant table, 64 entries {i64 bias, i32 M, i32 s}     DDR 0xd800
#   output  36 x 32 x 64 int8 (HWC), zero point 5          DDR 0x10000
#   3x3 conv, stride 1, padding 1, per-channel requantization, ReLU-like
#   clamp at the output zero point.
#
# The output is computed in 9 tiles of 4 rows. Input tiles (4 rows plus the
# halo) and output tiles alternate between two VTCM buffers, so the DMA
# engine loads tile t+1 and stores tile t-1 while the matrix engine computes
# tile t. Every buffer address is 2048-byte aligned, so the same program
# runs on every built-in chip.
#
# VTCM: weights 0x0, table 0x4800, input ping 0x5000 / pong 0x6800,
#       output ping 0x8000 / pong 0xa000.
# Semaphores: s0 weights+table loaded; s1/s2 input ping/pong loaded;
#   s3/s4 output ping/pong computed; s5/s6 input ping/pong free again;
#   s7/s8 output ping/pong free again.
.core 0
.layer load_weights
  dma.load src=0x9000 dst=0x0 cols=18432 signal=s0
  dma.load src=0xd800 dst=0x4800 cols=1024 signal=s0
  sync.dma signal=s7 signal=s8
.layer conv3x3
  # Tile 0: rows 0..4 (top padding), into the ping buffer.
  dma.load src=0x0 dst=0x5000 rows=5 cols=1024 signal=s1
  sync.mat wait=s0 wait=s0
  # Tile 1 loads into pong while tile 0 computes.
  dma.load src=0xc00 dst=0x6800 rows=6 cols=1024 signal=s2
  conv requant in=0x5000 wt=0x0 out=0x8000 tbl=0x4800 h=5 w=32 c=32 cout=64 kh=3 kw=3 pt=1 pl=1 pr=1 zpin=-3 zpout=5 lo=5 wait=s1 wait=s7 signal=s3 signal=s5
  dma.store src=0x8000 dst=0x10000 cols=8192 wait=s3 signal=s7
  # Tiles 1..6, two per iteration: r1 = DDR row of the next load,
  # r2 = DDR address of the next store.
  setr reg=r1 value=0x1c00
  setr reg=r2 value=0x12000
  loop count=3 body=6 r1+=8192 r2+=16384
  dma.load src=0x0+r1 dst=0x5000 rows=6 cols=1024 wait=s5 signal=s1
  conv requant in=0x6800 wt=0x0 out=0xa000 tbl=0x4800 h=6 w=32 c=32 cout=64 kh=3 kw=3 pl=1 pr=1 zpin=-3 zpout=5 lo=5 wait=s2 wait=s8 signal=s4 signal=s6
  dma.store src=0xa000 dst=0x0+r2 cols=8192 wait=s4 signal=s8
  dma.load src=0x1000+r1 dst=0x6800 rows=6 cols=1024 wait=s6 signal=s2
  conv requant in=0x5000 wt=0x0 out=0x8000 tbl=0x4800 h=6 w=32 c=32 cout=64 kh=3 kw=3 pl=1 pr=1 zpin=-3 zpout=5 lo=5 wait=s1 wait=s7 signal=s3 signal=s5
  dma.store src=0x8000 dst=0x2000+r2 cols=8192 wait=s3 signal=s7
  # Tile 8 (rows 31..35, bottom padding) loads while tile 7 computes.
  dma.load src=0x7c00 dst=0x5000 rows=5 cols=1024 wait=s5 signal=s1
  conv requant in=0x6800 wt=0x0 out=0xa000 tbl=0x4800 h=6 w=32 c=32 cout=64 kh=3 kw=3 pl=1 pr=1 zpin=-3 zpout=5 lo=5 wait=s2 wait=s8 signal=s4 signal=s6
  dma.store src=0xa000 dst=0x1e000 cols=8192 wait=s4 signal=s8
  conv requant in=0x5000 wt=0x0 out=0x8000 tbl=0x4800 h=5 w=32 c=32 cout=64 kh=3 kw=3 pb=1 pl=1 pr=1 zpin=-3 zpout=5 lo=5 wait=s1 wait=s7 signal=s3 signal=s5
  dma.store src=0x8000 dst=0x20000 cols=8192 wait=s3 signal=s7
  end
