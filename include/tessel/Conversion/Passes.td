//===- Passes.td - Tessel's conversion passes -------------*- tablegen -*-===//
#ifndef TESSEL_CONVERSION_PASSES
#define TESSEL_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertGraphToLinalg : Pass<"convert-graph-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower graph ops to linalg, tensor, arith and math";
  let description = [{
    A dialect conversion that covers every graph op: an op it cannot lower
    fails the pass with a diagnostic naming it, never stays behind. Unsigned
    tensor element types become signless (the arithmetic chosen says the
    signedness). With `ukernels`, f32 convolutions and matmuls become
    `cpu` dialect micro-kernel ops instead of linalg loops.
  }];
  let options = [
    Option<"ukernels", "ukernels", "bool", "false",
           "Lower f32 conv/matmul to CPU micro-kernel calls (tcpu.ukernel)">
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::func::FuncDialect", "tessel::tcpu::TCPUDialect"
  ];
}

#endif // TESSEL_CONVERSION_PASSES
