# Every instruction kind assembles, disassembles to the canonical text, and
# the text assembles back to the same bytes.
# RUN: tessel-npu asm %s -o %t.tsl --chip cloud-l
# RUN: tessel-npu disasm %t.tsl | FileCheck %s
# RUN: tessel-npu disasm %t.tsl > %t.s
# RUN: tessel-npu asm %t.s -o %t2.tsl --chip cloud-l
# RUN: cmp %t.tsl %t2.tsl
# RUN: tessel-npu disasm --indices %t.tsl | FileCheck %s --check-prefix=IDX
# The .tsl records its chip; simulating it on another chip is refused.
# RUN: not tessel-npu sim --chip edge-s %t.tsl 2>&1 | FileCheck %s --check-prefix=CHIP

.core 0
.layer front
  setr reg=r1 value=4096
  loop count=4 body=1 r1+=64 r2-=8
  sync.dma signal=s1
  barrier mask=0x3
.layer data
  dma.load src=0x100+r1, dst=0x0, rows=4, cols=32, sstride=128, pt=1, pb=1, pad=-3, mask=0x3, signal=s0, rsignal=s2
  copy src=0x0 dst=0x800 cols=64 core=1 wait=s0 rsignal=s3
  copy src=0x0 dst=0x0 rows=2 cols=64 sstride=128 dstride=128 mask=0x2
  dma.store dt=i16 src=0x0 dst=r2 cols=8 dstride=64 rows=2
.layer math
  conv acc in=0x0 wt=0x800 out=0x1000 h=8 w=8 c=16 cout=32 kh=3 kw=3 sh=2 sw=2 dh=1 pt=1 pl=1 odt=i32 irs=256 ips=32
  conv requant in=0x0 wt=0x800 out=0x1000 tbl=0x2000 h=4 w=4 c=8 cout=8 groups=8 kh=3 kw=3 dt=u8 zpin=128 zpout=-7 lo=-7 hi=100 ops=16
  matmul transb a=0x0 b=0x400 out=0x800 m=16 n=32 k=64 dt=i16 wdt=i8 odt=i64 ars=80
  matmul requant a=0x0 b=0x400 out=0x800 tbl=0x1000 m=4 n=8 k=8 zpa=-1 zpb=2 zpout=3
  eltwise.mul a=0x0 b=0x40 out=0x80 rows=2 cols=16 dt=i8 odt=i16 brs=0
  eltwise.add requant a=0x0 b=0x40 out=0x80 tbl=0x100 rows=2 cols=16 dt=u8 zpa=128 zpb=5 zpout=-1 lo=-1 bcs=0
  act.lut in=0x0 out=0x100 lut=0x200 cols=256 odt=i16
  act.clamp in=0x0 out=0x100 cols=64 dt=f16 odt=f16 flo=0.0 fhi=6.0
  act.sigmoid in=0x0 out=0x100 cols=8 dt=f32 odt=f16
  pool.avg countpad in=0x0 out=0x400 h=7 w=7 c=64 kh=3 kw=3 sh=2 sw=2 pt=1 pb=1 pl=1 pr=1 zp=-4
  reduce.mean in=0x0 out=0x100 outer=4 n=49 inner=64 odt=i8
  convert.requant perchannel in=0x0 out=0x400 tbl=0x800 rows=16 cols=64 dt=i32 zpin=3 zpout=-2 lo=-100
  convert.dequant in=0x0 out=0x400 tbl=0x800 cols=64 odt=f32 zpin=-3
  layout in=0x0 out=0x1000 dt=i8 perm=0312 d0=1 d1=8 d2=8 d3=16 wait=s1 signal=s4
  end
.core 1
  sync.vec wait=s2
  end

# CHECK-LABEL: .core 0
# CHECK-NEXT: .layer front
# CHECK-NEXT:   setr reg=r1 value=0x1000
# CHECK-NEXT:   loop count=4 body=1 r1+=64 r2-=8
# CHECK-NEXT:   sync.dma signal=s1
# CHECK-NEXT:   barrier mask=0x3
# CHECK-NEXT: .layer data
# CHECK-NEXT:   dma.load remote src=0x100+r1 dst=0x0 rows=4 cols=32 sstride=128 pt=1 pb=1 pad=-3 mask=0x3 signal=s0 rsignal=s2
# CHECK-NEXT:   copy remote src=0x0 dst=0x800 cols=64 core=1 wait=s0 rsignal=s3
# CHECK-NEXT:   copy src=0x0 dst=0x0 rows=2 cols=64 sstride=128 dstride=128 mask=0x2
# CHECK-NEXT:   dma.store dt=i16 src=0x0 dst=0x0+r2 rows=2 cols=8 dstride=64
# CHECK-NEXT: .layer math
# CHECK-NEXT:   conv acc in=0x0 wt=0x800 out=0x1000 odt=i32 h=8 w=8 c=16 cout=32 kh=3 kw=3 sh=2 sw=2 pt=1 pl=1 irs=256 ips=32
# CHECK-NEXT:   conv requant in=0x0 wt=0x800 out=0x1000 tbl=0x2000 dt=u8 h=4 w=4 c=8 cout=8 kh=3 kw=3 groups=8 zpout=-7 zpin=128 lo=-7 hi=100 ops=16
# CHECK-NEXT:   matmul transb a=0x0 b=0x400 out=0x800 dt=i16 odt=i64 m=16 n=32 k=64 ars=80
# CHECK-NEXT:   matmul requant a=0x0 b=0x400 out=0x800 tbl=0x1000 m=4 n=8 k=8 zpa=-1 zpb=2 zpout=3
# CHECK-NEXT:   eltwise.mul odt=i16 a=0x0 b=0x40 out=0x80 rows=2 cols=16 brs=0
# CHECK-NEXT:   eltwise.add requant dt=u8 a=0x0 b=0x40 out=0x80 rows=2 cols=16 bcs=0 tbl=0x100 zpa=128 zpb=5 zpout=-1 lo=-1
# CHECK-NEXT:   act.lut odt=i16 in=0x0 out=0x100 lut=0x200 cols=256
# CHECK-NEXT:   act.clamp dt=f16 odt=f16 in=0x0 out=0x100 cols=64 flo=0.0 fhi=6.0
# CHECK-NEXT:   act.sigmoid dt=f32 odt=f16 in=0x0 out=0x100 cols=8
# CHECK-NEXT:   pool.avg countpad in=0x0 out=0x400 h=7 w=7 c=64 zp=-4 kh=3 kw=3 sh=2 sw=2 pt=1 pb=1 pl=1 pr=1
# CHECK-NEXT:   reduce.mean in=0x0 out=0x100 outer=4 n=49 inner=64
# CHECK-NEXT:   convert.requant perchannel dt=i32 in=0x0 out=0x400 tbl=0x800 rows=16 cols=64 zpin=3 zpout=-2 lo=-100
# CHECK-NEXT:   convert.dequant odt=f32 in=0x0 out=0x400 tbl=0x800 cols=64 zpin=-3
# CHECK-NEXT:   layout perm=0312 in=0x0 out=0x1000 d1=8 d2=8 d3=16 wait=s1 signal=s4
# CHECK-NEXT:   end
# CHECK-NEXT: .core 1
# CHECK-NEXT:   sync.vec wait=s2
# CHECK-NEXT:   end

# CHIP: tessel-npu: error: {{.*}}.tsl was built for chip 'cloud-l' and cannot run on chip 'edge-s'; reassemble it with --chip=edge-s

# IDX: /*0*/ setr reg=r1 value=0x1000
# IDX: /*22*/ end
