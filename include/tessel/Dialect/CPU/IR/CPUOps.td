//===- CPUOps.td - The Tessel CPU dialect (micro-kernel calls) -*- tablegen -*-===//
#ifndef TESSEL_CPU_OPS
#define TESSEL_CPU_OPS

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"

def TCPU_Dialect : Dialect {
  let name = "tcpu";
  let cppNamespace = "::tessel::tcpu";
  let summary = "Calls to Tessel's CPU micro-kernels";
  let description = [{
    The heavy ops of the CPU back end (packed GEMM, convolution, depthwise
    convolution) run in the hand-tuned micro-kernels of `lib/UKernels`. This
    dialect holds the calls in destination-passing style so that they
    bufferize with the rest of the module; after bufferization
    `tessel-cpu-lower-ukernels` turns them into plain function calls.
  }];
}

def TCPU_UKernelOp : Op<TCPU_Dialect, "ukernel", [
    AttrSizedOperandSegments,
    DestinationStyleOpInterface]> {
  let summary = "A micro-kernel call on tensors or buffers";
  let description = [{
    `name` selects the kernel (conv2d_nhwc_f32, depthwise_conv2d_nhwc_f32,
    gemm_f32, gemm_f32_dynamic); `inputs` and `outputs` follow the kernel's
    operand order (docs/cpu-ukernels.md); `params` holds its scalar
    arguments. On tensors the op returns the outputs' new values; on
    buffers it returns nothing.

    ```mlir
    %y = tcpu.ukernel "conv2d_nhwc_f32" ins(%shape, %x, %w, %b : ...)
           outs(%init : tensor<1x56x56x64xf32>) {act = 1 : i32, ...} -> tensor<1x56x56x64xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, Variadic<AnyShaped>:$inputs,
                       Variadic<AnyShaped>:$outputs, DictionaryAttr:$params);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $name (`ins` `(` $inputs^ `:` type($inputs) `)`)?
    `outs` `(` $outputs `:` type($outputs) `)` $params attr-dict
    (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutputsMutable();
    }
  }];
}

#endif // TESSEL_CPU_OPS
