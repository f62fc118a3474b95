// Each planning stage records its decision as attributes the next reads, so
// every prefix of tessel-lower-to-npu replays in tessel-opt.
// RUN: tessel-opt %s -tessel-npu-partition -tessel-convert-graph-to-npu -tessel-npu-fuse-layers | FileCheck %s --check-prefix=FUSE
// RUN: tessel-opt %s -tessel-npu-partition -tessel-convert-graph-to-npu -tessel-npu-fuse-layers -tessel-npu-split | FileCheck %s --check-prefix=SPLIT
// RUN: tessel-opt %s -tessel-npu-partition -tessel-convert-graph-to-npu -tessel-npu-fuse-layers -tessel-npu-split -tessel-npu-reorder-weights --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=PACK
// RUN: tessel-opt %s -tessel-npu-partition -tessel-convert-graph-to-npu -tessel-npu-fuse-layers -tessel-npu-split -tessel-npu-reorder-weights -tessel-npu-allocate --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=ALLOC
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-lower-to-npu{chip=mobile-m})' --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=SCHED
// RUN: tessel-opt %s --pass-pipeline='builtin.module(tessel-lower-to-npu{chip=mobile-m residency=false})' --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=NORES

// Layer fusion: intermediates every consumer can read in place stay in
// VTCM (with a row pitch where the alignment rules need one); the
// segment's result stays a DDR tensor.
// FUSE: npu.conv {{.*}}npu.name = "conv1", npu.place = {addr = 0 : i64, mem = "vtcm"}
// FUSE: npu.act {{.*}}npu.name = "sig", npu.place = {addr = 0 : i64, mem = "vtcm", pitch = 128 : i64, row_dims = 3 : i64}
// FUSE: npu.convert %{{.*}} {mode = "cast"} : (tensor<1x8x8x32xf16>) -> tensor<1x8x8x32xf32>

// Splitting: every layer has a tiling from the cost model, and says which
// solver chose it.
// SPLIT: npu.evictions = 0 : i64
// SPLIT: npu.conv {{.*}}npu.tiling = {channel_cores = 1 : i64, cols = 32 : i64, cores = 1 : i64, est_cycles = {{[0-9]+}} : i64, est_ddr_bytes = {{[0-9]+}} : i64, rows = 8 : i64, solver = "exhaustive", tiles = 1 : i64

// Weight reordering: per weight tile {offset, bytes, weight bytes, table
// offset, bias offset} into the segment's packed image (64-byte aligned).
// PACK: npu.weights = dense_resource<npu.weights.npu_0> : tensor<11328xi8>
// PACK: npu.name = "conv1", npu.packed = array<i64: 0, 9280, 9216, 9216, 9216>
// PACK: npu.name = "conv2", npu.packed = array<i64: 9280, 2048, 2048, 2048, 2048>

// Allocation: the arena (inputs and outputs, then scratch, then weights),
// VTCM addresses of resident tensors and tile buffers, the peak.
// ALLOC: npu.arena = {arena_bytes = 23616 : i64, boundary_bytes = 12288 : i64, host_scratch_offset = 12288 : i64, npu_scratch_bytes = 0 : i64, npu_scratch_offset = 12288 : i64, weights_bytes = 11328 : i64, weights_offset = 12288 : i64}
// ALLOC: call @npu_0(%arg0) {npu.result_offsets = array<i64: 4096>}
// ALLOC: npu.place = {addr = 0 : i64, mem = "ddr"}
// ALLOC-SAME: npu.vtcm_peak = {{[0-9]+}} : i64, npu.weights = {{.*}}, npu.weights_base = 12288 : i64
// ALLOC: npu.conv {{.*}}npu.buffers = array<i64: {{[0-9]+}}>, npu.name = "conv1"{{.*}}npu.place = {addr = {{[0-9]+}} : i64, mem = "vtcm"}

// Scheduling: one stream per core, DMA and compute with the waits the
// operand regions need, ending with END.
// SCHED: npu.program @npu_0_program attributes {chip = "mobile-m", instructions = {{[0-9]+}} : i64, waits = {{[0-9]+}} : i64} {
// SCHED-NEXT: npu.core 0 {
// SCHED-NEXT: npu.inst "dma.load src=0x0 dst={{.*}} signal=s1" {layer = "convert_0"}
// SCHED: npu.inst "conv in={{.*}} dt=f16 wdt=f16 odt=f16 h=8 w=8 c=16 cout=32 kh=3 kw=3 pt=1 pb=1 pl=1 pr=1{{.*}} wait=s{{[05]}}{{.*}}" {layer = "conv1"}
// SCHED: npu.inst "act.sigmoid dt=f16 odt=f16{{.*}}" {layer = "sig"}
// SCHED: npu.inst "dma.store src={{.*}} dst=0x2c00 cols=1024 wait=s4" {layer = "convert_6"}
// SCHED-NEXT: npu.inst "end"

// Without residency every intermediate goes through DDR scratch.
// NORES: npu_scratch_bytes = {{[1-9][0-9]*}} : i64
// NORES-NOT: mem = "vtcm"
// NORES: npu.program
func.func @main(%x: tensor<1x8x8x16xf32> {tessel.name = "x"}) -> (tensor<1x8x8x32xf32> {tessel.name = "y"}) {
  %w = graph.constant dense<0.01> : tensor<32x3x3x16xf32>
  %b = graph.constant dense<0.5> : tensor<32xf32>
  %w2 = graph.constant dense<0.02> : tensor<32x1x1x32xf32>
  %c = graph.conv %x, %w, %b {activation = #graph.act<relu>, dilations = array<i64: 1, 1>, layout = #graph.layout<nhwc>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<32x3x3x16xf32>, tensor<32xf32>) -> tensor<1x8x8x32xf32> loc("conv1")
  %d = graph.conv %c, %w2 {dilations = array<i64: 1, 1>, layout = #graph.layout<nhwc>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x8x8x32xf32>, tensor<32x1x1x32xf32>) -> tensor<1x8x8x32xf32> loc("conv2")
  %s = graph.sigmoid %d : (tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> loc("sig")
  %a = graph.add %s, %c {activation = #graph.act<clip, 0.0, 6.0>} : (tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> loc("add")
  return %a : tensor<1x8x8x32xf32>
}
