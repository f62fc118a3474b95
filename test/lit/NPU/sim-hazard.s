# A program with a missing wait: the conv would read an input tile that the
# DMA is still writing. The simulator reports the hazard, naming both
# instructions. The program as written (with the wait) runs.
# RUN: sed -e 's/ wait=s0//' %s > %t.s
# RUN: not tessel-npu sim --chip mobile-m %t.s 2>&1 | FileCheck %s
# RUN: tessel-npu sim --chip mobile-m %s | FileCheck %s --check-prefix=FIXED

  dma.load src=0x0 dst=0x0 rows=6 cols=1024 signal=s0
  conv in=0x0 wt=0x2000 out=0x4000 h=6 w=32 c=32 cout=64 kh=3 kw=3 odt=i32 wait=s0
  end

# CHECK: tessel-npu: fault at cycle 0: core 0, instruction 1 (conv in=0x0 wt=0x2000 out=0x4000 odt=i32 h=6 w=32 c=32 cout=64 kh=3 kw=3): hazard: reads data that a pending write has not been ordered before: operand 'in' touches VTCM of core 0 [0x0, 0x1800), which core 0 instruction 0 (dma.load src=0x0 dst=0x0 rows=6 cols=1024 signal=s0) on the dma engine writes; missing wait? (it completes at cycle 420, after this instruction starts at cycle 0)
# The conv waits for the load (420 cycles), then computes for 1112.
# FIXED: cycles 1532 (1.532 us), 2 instructions
