//===- Passes.td - Tessel's back-end transformation passes -*- tablegen -*-===//
#ifndef TESSEL_TRANSFORMS_PASSES
#define TESSEL_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def RecordIO : Pass<"tessel-record-io", "mlir::ModuleOp"> {
  let summary = "Record the entry function's input/output names and types";
  let description = [{
    Stores the graph-level signature of `@main` (names from `tessel.name`
    argument/result attributes, types including unsigned integer types) in
    the function's `tessel.inputs` / `tessel.outputs` attributes, which
    survive bufferization, so the deployable binary's I/O descriptors can be
    written after the signature has been lowered.
  }];
}

def CPUExternalizeWeights : Pass<"tessel-cpu-externalize-weights", "mlir::ModuleOp"> {
  let summary = "Move large constant buffers into the binary's weight section";
  let description = [{
    Runs on bufferized IR. Every constant `memref.global` of at least
    `min-bytes` bytes becomes a view into a new `weights` argument of
    `@main` at an offset (64-byte aligned); the data is recorded in the
    module's `tessel.weights` attribute (referencing the same resource
    blobs, not copying them) and never travels through LLVM IR.
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", "256",
           "Constants at least this large go to the weight section">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect"];
}

def CPUHostEntry : Pass<"tessel-cpu-host-entry", "mlir::ModuleOp"> {
  let summary = "Create the host entry point over the runtime's arena";
  let description = [{
    Adds `tessel_host_main(arena, weights, ukernel_context)`: inputs and
    outputs of `@main` become views into the arena at 64-byte aligned
    offsets (recorded in the module's `tessel.io` attribute), and `@main`
    becomes private so that LLVM inlines it. Runs on bufferized IR after
    buffer-results-to-out-params and weight externalization.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def CPULowerCopies : Pass<"tessel-cpu-lower-copies", "mlir::ModuleOp"> {
  let summary = "Turn memref.copy into linalg.copy loops";
  let description = [{
    The LLVM lowering of a non-contiguous `memref.copy` calls MLIR's C
    runner library, which deployed code does not have; `linalg.copy`
    becomes plain loops.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def CPULowerUKernels : Pass<"tessel-cpu-lower-ukernels", "mlir::ModuleOp"> {
  let summary = "Turn bufferized tcpu.ukernel ops into micro-kernel calls";
  let description = [{
    Each `tcpu.ukernel` on buffers becomes a call to the matching
    `tessel_uk_*` C function with raw pointers (non-contiguous buffers are
    copied to and from contiguous ones). Functions that call kernels get a
    trailing `!llvm.ptr` argument: the runtime's micro-kernel context.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect",
                           "mlir::LLVM::LLVMDialect", "mlir::func::FuncDialect"];
}

def CPUPlanMemory : Pass<"tessel-cpu-plan-memory", "mlir::ModuleOp"> {
  let summary = "Place intermediate buffers in one scratch region, by liveness";
  let description = [{
    Every `memref.alloc` of `@main` becomes a view into a new `scratch`
    argument at an offset chosen from the buffers' live ranges (first
    definition to last use through any view of the buffer): buffers whose
    lives do not overlap share memory. A run then allocates nothing, and the
    pages stay mapped between runs. The scratch size is recorded in the
    module's `tessel.scratch_size`.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect"];
}

#endif // TESSEL_TRANSFORMS_PASSES
