//===- Passes.td - The NPU back end's stages -------------*- tablegen -*-===//
//
// The straight line from optimized graph IR to instruction streams, one pass
// per stage (the order, and why, is in lib/Transforms/Pipelines.cpp,
// `tessel-lower-to-npu`). The stages after partitioning are thin: each
// builds the code generator's LayerGraph of a segment (Bridge.h), runs one
// stage of tessel/Target/NPU/Codegen and records its decision as
// attributes the next stage reads. Chip and options come from the module's
// `npu.target` attribute, which tessel-npu-partition writes.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_NPU_TRANSFORMS_PASSES
#define TESSEL_NPU_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def NPUPartition : Pass<"tessel-npu-partition", "::mlir::ModuleOp"> {
  let summary = "Decide per op whether the NPU or the CPU runs it, and outline the segments";
  let description = [{
    Every op of `@main` is tried on the chip: it must have an NPU lowering
    for its shape and element types, the chip must have the dtypes it needs
    (float models compute in fp16; a chip without fp16 runs them on the CPU),
    and the planner must find a tiling that fits the VTCM budget and the
    instruction limits. An op that fails any of these falls back to the CPU
    with the reason recorded (`npu.fallbacks` on the module, printed by
    `tessel-compile --stats`); a compile never fails because of it.
    Consecutive ops on the same device become one segment function
    (`@npu_K`, `@cpu_K`) called from `@main` in order.

    ```mlir
    func.func @main(%x: tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> {
      %0 = call @npu_0(%x) : (tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
      return %0 : tensor<1x8x8x16xf32>
    }
    func.func private @npu_0(...) attributes {npu.segment} { graph ops }
    ```
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"mobile-m\"", "Chip model">,
    Option<"chipFile", "chip-file", "std::string", /*default=*/"\"\"",
           "File with more chip models">,
    Option<"cores", "cores", "unsigned", /*default=*/"1", "Cores one inference uses">,
    Option<"mos", "mos", "unsigned", /*default=*/"1",
           "Cores an output-channel range is split across">,
    Option<"ols", "ols", "unsigned", /*default=*/"1",
           "Split every layer into at least this many tiles (engine overlap)">,
    Option<"splitSize", "split-size", "unsigned", /*default=*/"0",
           "Largest activation tile buffer in KiB (0: no limit)">,
    Option<"vtcmLimitPercent", "vtcm-limit-percent", "unsigned", /*default=*/"100",
           "Part of the usable VTCM the compiler may use">,
    Option<"deallocDelay", "dealloc-delay", "unsigned", /*default=*/"0",
           "Keep VTCM buffers this many layers longer">,
    Option<"multicastWeights", "multicast-weights", "bool", /*default=*/"false",
           "Load weights shared by cores once and multicast them">,
    Option<"residency", "residency", "bool", /*default=*/"true",
           "Keep intermediates in VTCM between layers when they fit">,
    Option<"solver", "solver", "std::string", /*default=*/"\"auto\"",
           "Tiling search: auto, exhaustive, heuristic">,
    Option<"forceCpu", "force-cpu", "std::string", /*default=*/"\"\"",
           "Comma-separated op names (locations) kept on the CPU">
  ];
  let dependentDialects = ["::tessel::npu::ir::NPUDialect",
                           "::mlir::func::FuncDialect"];
}

def ConvertGraphToNPU : Pass<"tessel-convert-graph-to-npu", "::mlir::ModuleOp"> {
  let summary = "Lower the graph ops of NPU segments to npu layer ops";
  let description = [{
    In every `npu.segment` function, graph ops become npu layer ops on NPU
    element types: float graphs compute in f16 with their f32 boundary
    tensors converted on the NPU; weights become npu.constant in the
    layout the instructions read (conv OHWI, matmul right operands as
    stored with `trans_b`). Fused activations become the conv/matmul clamp
    epilogue or a following npu.act.
  }];
  let dependentDialects = ["::tessel::npu::ir::NPUDialect"];
}

def NPUFuseLayers : Pass<"tessel-npu-fuse-layers", "::mlir::ModuleOp"> {
  let summary = "Choose the intermediates that stay in VTCM between layers";
  let description = [{
    An intermediate whose producer and consumers can all work on it in
    VTCM (in place, with a row pitch the alignment rules accept) is marked
    resident (`npu.place = {mem = "vtcm", ...}`): it never goes to DDR, the
    way TPU-MLIR's layer groups and Vela's cascades keep data on chip.
    tessel-npu-split may still send some back to DDR when the tiles need
    the room.
  }];
}

def NPUSplit : Pass<"tessel-npu-split", "::mlir::ModuleOp"> {
  let summary = "Tile every layer to fit VTCM, across cores";
  let description = [{
    For each layer, picks the tile sizes (output rows and channels, matmul
    rows and columns), the loop order and the core split that minimize the
    chip's cost model among the plans whose double-buffered working set fits
    what VTCM has left next to the resident intermediates, under
    --split-size and --vtcm-limit-percent. Records `npu.tiling` (with the
    solver that chose it) and the final residency.
  }];
}

def NPUReorderWeights : Pass<"tessel-npu-reorder-weights", "::mlir::ModuleOp"> {
  let summary = "Pack constant weights into the matrix unit's layout, per weight tile";
  let description = [{
    Each conv/matmul weight tile (an output-channel range of the chosen
    tiling) is packed into the layout the matrix engine reads, followed by
    its requant table and bias, 64-byte aligned; other constants are copied
    as they are. Records the image (`npu.weights` on the function) and where
    each tile lies (`npu.packed`).
  }];
}

def NPUAllocate : Pass<"tessel-npu-allocate", "::mlir::ModuleOp"> {
  let summary = "Place every tensor: the DDR arena, VTCM by live ranges";
  let description = [{
    Lays out the model's DDR arena (inputs, outputs and the tensors passed
    between segments, then the NPU scratch that segments share, then the
    weights) and, per segment, packs resident tensors and tile buffers into
    VTCM by their live ranges (--dealloc-delay extends them) and the
    intermediates that stay in DDR into the scratch. Records `npu.place`,
    `npu.buffers`, `npu.vtcm_peak`, `npu.ddr_scratch` and the arena
    (`npu.arena` on the module).
  }];
}

def NPUSchedule : Pass<"tessel-npu-schedule", "::mlir::ModuleOp"> {
  let dependentDialects = ["::tessel::npu::ir::NPUDialect"];
  let summary = "Emit each NPU segment's instruction streams";
  let description = [{
    Lowers every layer to DMA and compute instructions in its tiles'
    software-pipelined order (the next tile's loads while this one
    computes, the next layer's weights during this layer), then inserts
    exactly the semaphore waits the operand address ranges require and
    barriers between multi-core layers. Each segment gets an `npu.program`
    holding one `npu.core` of `npu.inst` per core.
  }];
}

#endif // TESSEL_NPU_TRANSFORMS_PASSES
