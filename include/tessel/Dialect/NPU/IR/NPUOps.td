//===- NPUOps.td - The Tessel NPU dialect -------------------*- tablegen -*-===//
//
// Two levels. Layer ops are the chip's layer operations on tensors with NPU
// element types (i8, u8, i16, i32, f16, f32; quantization parameters are in
// the attributes and tables): each is exactly what the instruction of the
// same name computes over a whole tensor (docs/npu-isa.md section 4). The
// planning passes annotate them (`npu.place`, `npu.tiling`, `npu.buffers`,
// `npu.packed`). `npu.program` holds the scheduled result: one instruction
// stream per core, one `npu.inst` per instruction in its assembly form.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_NPU_OPS
#define TESSEL_NPU_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def NPU_Dialect : Dialect {
  let name = "npu";
  let cppNamespace = "::tessel::npu::ir";
  let summary = "Tessel's NPU layer operations and instruction streams";
  let description = [{
    Layer ops mirror `tessel::npu::cg::Layer` one to one (the code
    generator of `include/tessel/Target/NPU/Codegen`); the passes of
    `tessel-lower-to-npu` translate between the two. docs/npu-compiler.md
    describes every op, attribute and pass.
  }];
}

class NPU_Op<string mnemonic, list<Trait> traits = []>
    : Op<NPU_Dialect, mnemonic, traits>;

/// A layer: data operands, then constant operands (weights, tables), one
/// result. Verified by building the code generator's layer and checking it.
class NPU_LayerOp<string mnemonic, dag attrs> : NPU_Op<mnemonic, [Pure]> {
  let arguments = !con((ins Variadic<AnyRankedTensor>:$inputs), attrs);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat =
      "$inputs attr-dict `:` functional-type($inputs, results)";
  let hasVerifier = 1;
}

def NPU_ConvOp : NPU_LayerOp<"conv", (ins
    DenseI64ArrayAttr:$kernel,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
    DefaultValuedAttr<I64Attr, "1">:$groups,
    UnitAttr:$requant,
    DefaultValuedAttr<I64Attr, "0">:$zp_in,
    DefaultValuedAttr<I64Attr, "0">:$zp_w,
    DefaultValuedAttr<I64Attr, "0">:$zp_out,
    DefaultValuedAttr<I64Attr, "-32768">:$lo,
    DefaultValuedAttr<I64Attr, "32767">:$hi,
    UnitAttr:$bias,
    OptionalAttr<DenseF32ArrayAttr>:$clamp)> {
  let summary = "2-D convolution of NHWC activations (conv instruction)";
  let description = [{
    Operands: `x` [N,H,W,C], weights [Co,Kh,Kw,C/groups], then the requant
    table (with `requant`: Co 16-byte entries as i8 [Co*16]), then the float
    bias [Co] (with `bias`). `pads` are [top, left, bottom, right]. Float
    convs may clamp their result (`clamp = array<f32: lo, hi>`).

    ```mlir
    %y = npu.conv %x, %w, %t {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, requant, zp_out = -4 : i64, lo = -4 : i64}
         : (tensor<1x56x56x64xi8>, tensor<64x3x3x64xi8>, tensor<1024xi8>) -> tensor<1x56x56x64xi8>
    ```
  }];
}

def NPU_MatmulOp : NPU_LayerOp<"matmul", (ins
    UnitAttr:$trans_b,
    UnitAttr:$requant,
    DefaultValuedAttr<I64Attr, "0">:$zp_a,
    DefaultValuedAttr<I64Attr, "0">:$zp_b,
    DefaultValuedAttr<I64Attr, "0">:$zp_out,
    DefaultValuedAttr<I64Attr, "-32768">:$lo,
    DefaultValuedAttr<I64Attr, "32767">:$hi,
    UnitAttr:$bias,
    OptionalAttr<DenseF32ArrayAttr>:$clamp)> {
  let summary = "Batched matrix product (matmul instruction)";
  let description = [{
    Operands: `a` [..., M, K], `b` ([N, K], or [K, N] with `trans_b`; a
    constant, or an activation with a's batch dims), then the requant table
    and the float bias as for conv.
  }];
}

def NPU_EltwiseOp : NPU_LayerOp<"eltwise", (ins
    StrAttr:$op,
    UnitAttr:$requant,
    OptionalAttr<TypeAttr>:$mid_type,
    DefaultValuedAttr<I64Attr, "0">:$zp_a,
    DefaultValuedAttr<I64Attr, "0">:$zp_b,
    DefaultValuedAttr<I64Attr, "0">:$zp_out,
    DefaultValuedAttr<I64Attr, "-2147483648">:$lo,
    DefaultValuedAttr<I64Attr, "2147483647">:$hi)> {
  let summary = "Elementwise add, sub, mul, max, min with broadcasting";
  let description = [{
    `op` is add, sub, mul, max or min. With `requant`, the operands after
    `a` and `b` are three requant entries (i8 [16] each): a and b are
    requantized to `mid_type` (default i32), combined, and the result requantized to the
    output type and clamped to [lo, hi].
  }];
}

def NPU_ActOp : NPU_LayerOp<"act", (ins
    StrAttr:$kind,
    DefaultValuedAttr<I64Attr, "-2147483648">:$lo,
    DefaultValuedAttr<I64Attr, "2147483647">:$hi,
    OptionalAttr<F32Attr>:$flo,
    OptionalAttr<F32Attr>:$fhi)> {
  let summary = "Activation: clamp, lut, sigmoid, tanh, exp";
  let description = [{
    `lut` takes the 256-entry table (of the output type) as second operand.
  }];
}

def NPU_PoolOp : NPU_LayerOp<"pool", (ins
    StrAttr:$kind,
    DenseI64ArrayAttr:$kernel,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
    UnitAttr:$count_pad,
    DefaultValuedAttr<I64Attr, "0">:$zp)> {
  let summary = "Max or average pooling of NHWC activations";
}

def NPU_ReduceOp : NPU_LayerOp<"reduce", (ins
    StrAttr:$kind,
    DenseI64ArrayAttr:$view)> {
  let summary = "sum, max, min, mean over the middle of an [outer, n, inner] view";
}

def NPU_ConvertOp : NPU_LayerOp<"convert", (ins
    StrAttr:$mode,
    UnitAttr:$per_channel,
    DefaultValuedAttr<I64Attr, "0">:$zp_in,
    DefaultValuedAttr<I64Attr, "0">:$zp_out,
    DefaultValuedAttr<I64Attr, "-2147483648">:$lo,
    DefaultValuedAttr<I64Attr, "2147483647">:$hi)> {
  let summary = "requant, quant, dequant or cast";
  let description = [{
    `requant` takes a table of 16-byte entries, `quant` and `dequant` a
    table of f32 scales (one, or one per channel of the last dim with
    `per_channel`), as second operand.
  }];
}

def NPU_TransposeOp : NPU_LayerOp<"transpose", (ins DenseI64ArrayAttr:$perm)> {
  let summary = "4-D transpose (layout instruction)";
}

def NPU_ConcatOp : NPU_LayerOp<"concat", (ins I64Attr:$axis)> {
  let summary = "Concatenation along an axis (DMA)";
}

def NPU_SliceOp : NPU_LayerOp<"slice", (ins DenseI64ArrayAttr:$starts)> {
  let summary = "A box of the input (DMA)";
}

def NPU_PadOp : NPU_LayerOp<"pad", (ins
    DenseI64ArrayAttr:$before,
    DenseI64ArrayAttr:$after,
    DefaultValuedAttr<F64Attr, "0.0">:$value)> {
  let summary = "Constant padding (DMA border fill)";
}

def NPU_ReshapeOp : NPU_Op<"reshape", [Pure]> {
  let summary = "The same bytes under another shape (no instruction)";
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type($input, results)";
  let hasVerifier = 1;
}

def NPU_ConstantOp : NPU_Op<"constant", [Pure, ConstantLike,
                                         AllTypesMatch<["value", "output"]>]> {
  let summary = "Weights, tables and other constant operands";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Scheduled programs
//===----------------------------------------------------------------------===//

def NPU_ProgramOp : NPU_Op<"program", [Symbol, NoTerminator, IsolatedFromAbove,
                                       SingleBlock]> {
  let summary = "A scheduled NPU step: one instruction stream per core";
  let description = [{
    Produced by `tessel-npu-schedule` from an NPU segment function (same
    name). Attributes: `chip`, `weights` (the packed weight image, i8
    dense_resource), `weights_offset` (where the image sits in the weight
    section), and statistics. The body holds one `npu.core` per core.

    ```mlir
    npu.program @npu_0 {chip = "mobile-m"} {
      npu.core 0 {
        npu.inst "dma.load src=0x0 dst=0x0 cols=3072 signal=s0" {layer = "conv1"}
        ...
      }
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$chip);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
}

def NPU_CoreOp : NPU_Op<"core", [NoTerminator, SingleBlock,
                                  HasParent<"ProgramOp">]> {
  let summary = "The instruction stream of one core";
  let arguments = (ins I64Attr:$index);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$index attr-dict-with-keyword $body";
}

def NPU_InstOp : NPU_Op<"inst", [HasParent<"CoreOp">]> {
  let summary = "One instruction, in the assembly form of docs/npu-isa.md";
  let arguments = (ins StrAttr:$text, OptionalAttr<StrAttr>:$layer);
  let assemblyFormat = "$text attr-dict";
  let hasVerifier = 1;
}

#endif // TESSEL_NPU_OPS
