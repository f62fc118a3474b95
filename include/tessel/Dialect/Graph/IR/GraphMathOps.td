//===- GraphMathOps.td - Elementwise, matmul, reductions -*- tablegen -*-===//
#ifndef TESSEL_GRAPH_MATH_OPS
#define TESSEL_GRAPH_MATH_OPS

include "tessel/Dialect/Graph/IR/GraphBase.td"

//===----------------------------------------------------------------------===//
// Unary elementwise
//===----------------------------------------------------------------------===//

/// `refKind` names the ref::UnaryKind that evaluates the op; ops with
/// parameters write their evaluate() in C++ (refKind = "").
class Graph_UnaryOp<string mnemonic, string refKind, list<Trait> traits = []>
    : Graph_Op<mnemonic, traits # [Graph_InferType, Graph_BroadcastElementwise]> {
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let evalDefinition = !if(!empty(refKind), "", !strconcat([{
    ::llvm::LogicalResult $cppClass::evaluate(
        ::llvm::ArrayRef<::tessel::ref::Tensor> operands,
        ::llvm::SmallVectorImpl<::tessel::ref::Tensor> &results,
        std::string &error) {
      if (::tessel::graph::hasQuantizedTypes(getOperation()))
        return ::tessel::graph::evaluateQuantized(getOperation(), operands,
                                                  results, error);
      return ::tessel::graph::evalUnary(::tessel::ref::UnaryKind::}], refKind, [{,
          {}, operands, results, error);
    }
  }]));
  let extraClassDefinition = !strconcat(foldDefinition, evalDefinition, [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(::mlir::MLIRContext *,
        std::optional<::mlir::Location>, Adaptor adaptor,
        ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      types.push_back(adaptor.getInput().getType());
      return ::mlir::success();
    }
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r) {
      return ::tessel::graph::areCompatibleModuloQuant(l, r);
    }
  }], extraDefinition);
}

class Graph_SimpleUnaryOp<string mnemonic, string refKind, string formula>
    : Graph_UnaryOp<mnemonic, refKind> {
  let summary = "Elementwise " # mnemonic;
  let description = "Computes `" # formula # "` elementwise.";
}

def Graph_ReluOp : Graph_SimpleUnaryOp<"relu", "Relu", "max(x, 0)"> {
  let hasCanonicalizer = 1;
}
def Graph_SigmoidOp : Graph_SimpleUnaryOp<"sigmoid", "Sigmoid", "1 / (1 + exp(-x))">;
def Graph_TanhOp : Graph_SimpleUnaryOp<"tanh", "Tanh", "tanh(x)">;
def Graph_ErfOp : Graph_SimpleUnaryOp<"erf", "Erf", "erf(x)">;
def Graph_ExpOp : Graph_SimpleUnaryOp<"exp", "Exp", "exp(x)">;
def Graph_LogOp : Graph_SimpleUnaryOp<"log", "Log", "log(x)">;
def Graph_SqrtOp : Graph_SimpleUnaryOp<"sqrt", "Sqrt", "sqrt(x)">;
def Graph_ReciprocalOp : Graph_SimpleUnaryOp<"reciprocal", "Reciprocal", "1 / x">;
def Graph_NegOp : Graph_SimpleUnaryOp<"neg", "Neg", "-x"> {
  let hasCanonicalizer = 1;
}
def Graph_AbsOp : Graph_SimpleUnaryOp<"abs", "Abs", "|x|">;
def Graph_FloorOp : Graph_SimpleUnaryOp<"floor", "Floor", "floor(x)">;
def Graph_CeilOp : Graph_SimpleUnaryOp<"ceil", "Ceil", "ceil(x)">;
def Graph_RoundOp : Graph_SimpleUnaryOp<"round", "Round", "round half to even(x)">;
def Graph_SignOp : Graph_SimpleUnaryOp<"sign", "Sign", "sign(x)">;
def Graph_NotOp : Graph_SimpleUnaryOp<"not", "Not", "!x (i1)">;
def Graph_SinOp : Graph_SimpleUnaryOp<"sin", "Sin", "sin(x)">;
def Graph_CosOp : Graph_SimpleUnaryOp<"cos", "Cos", "cos(x)">;
def Graph_SoftplusOp : Graph_SimpleUnaryOp<"softplus", "Softplus", "log(1 + exp(x))">;
def Graph_SoftsignOp : Graph_SimpleUnaryOp<"softsign", "Softsign", "x / (1 + |x|)">;
def Graph_HardSwishOp : Graph_SimpleUnaryOp<"hard_swish", "HardSwish",
    "x * max(0, min(1, x / 6 + 0.5))">;
def Graph_MishOp : Graph_SimpleUnaryOp<"mish", "Mish", "x * tanh(softplus(x))">;

def Graph_GeluOp : Graph_UnaryOp<"gelu", ""> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `0.5 x (1 + erf(x / sqrt(2)))`, or with `approximate_tanh`
    `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`.
  }];
  let arguments = (ins Graph_Tensor:$input,
                       DefaultValuedAttr<BoolAttr, "false">:$approximate_tanh);
}

def Graph_LeakyReluOp : Graph_UnaryOp<"leaky_relu", ""> {
  let summary = "Leaky rectified linear unit: x < 0 ? alpha x : x";
  let arguments = (ins Graph_Tensor:$input, F64Attr:$alpha);
}

def Graph_EluOp : Graph_UnaryOp<"elu", ""> {
  let summary = "x < 0 ? alpha (exp(x) - 1) : x";
  let arguments = (ins Graph_Tensor:$input, F64Attr:$alpha);
}

def Graph_SeluOp : Graph_UnaryOp<"selu", ""> {
  let summary = "gamma (x < 0 ? alpha (exp(x) - 1) : x)";
  let arguments = (ins Graph_Tensor:$input, F64Attr:$alpha, F64Attr:$gamma);
}

def Graph_HardSigmoidOp : Graph_UnaryOp<"hard_sigmoid", ""> {
  let summary = "max(0, min(1, alpha x + beta))";
  let arguments = (ins Graph_Tensor:$input, F64Attr:$alpha, F64Attr:$beta);
}

def Graph_ClipOp : Graph_UnaryOp<"clip", ""> {
  let summary = "Clamps to [min, max]; a missing bound is unbounded";
  let description = [{
    ONNX Clip with its bounds normalized to attributes at import (opset 11+
    passes them as inputs, which must be constants).

    ```mlir
    %y = graph.clip %x {min = 0.0 : f64, max = 6.0 : f64} : (tensor<1x8xf32>) -> tensor<1x8xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, OptionalAttr<F64Attr>:$min,
                       OptionalAttr<F64Attr>:$max);
  let hasVerifier = 1;
  let customFold = 1;
  let hasCanonicalizer = 1;
}

def Graph_CastOp : Graph_Op<"cast", [Graph_BroadcastElementwise]> {
  let summary = "Element type conversion";
  let description = [{
    Float to float rounds to nearest even; float to integer truncates toward
    zero and saturates; integer to integer wraps; anything to i1 is `!= 0`.
    The result type names the target element type.
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let customFold = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Binary elementwise with numpy broadcasting
//===----------------------------------------------------------------------===//

class Graph_BinaryOp<string mnemonic, string refKind, bit boolResult = 0,
                     list<Trait> traits = []>
    : Graph_Op<mnemonic, traits # [Graph_InferType, Graph_BroadcastElementwise]> {
  let summary = "Elementwise " # mnemonic # " with numpy broadcasting";
  let arguments = (ins Graph_Tensor:$lhs, Graph_Tensor:$rhs);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let evalDefinition = !if(!empty(refKind), "", !strconcat([{
    ::llvm::LogicalResult $cppClass::evaluate(
        ::llvm::ArrayRef<::tessel::ref::Tensor> operands,
        ::llvm::SmallVectorImpl<::tessel::ref::Tensor> &results,
        std::string &error) {
      if (::tessel::graph::hasQuantizedTypes(getOperation()))
        return ::tessel::graph::evaluateQuantized(getOperation(), operands,
                                                  results, error);
      return ::tessel::graph::evalBinary(::tessel::ref::BinaryKind::}], refKind,
      [{, operands, results, error);
    }
  }]));
  let extraClassDefinition = !strconcat(foldDefinition, evalDefinition, [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(::mlir::MLIRContext *ctx,
        std::optional<::mlir::Location> loc, Adaptor adaptor,
        ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::tessel::graph::inferBroadcastType(ctx, loc,
          {adaptor.getLhs().getType(), adaptor.getRhs().getType()},
          }], !if(boolResult, "true", "false"), [{, types);
    }
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r) {
      return ::tessel::graph::areCompatibleModuloQuant(l, r);
    }
  }], extraDefinition);
  let hasVerifier = 1;
  code verifyDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      return ::tessel::graph::verifyBinaryOperands(getOperation());
    }
  }];
  let extraDefinition = verifyDefinition;
}

def Graph_AddOp : Graph_BinaryOp<"add", "", 0, [Commutative]> {
  let description = [{
    The optional fused `activation` applies to the sum (as TFLite's ADD
    `fused_activation_function`): a residual connection followed by Relu is
    one op.

    ```mlir
    %y = graph.add %a, %b {activation = #graph.act<relu>} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$lhs, Graph_Tensor:$rhs,
                       OptionalAttr<Graph_ActivationAttr>:$activation);
  let builders = [
    OpBuilder<(ins "::mlir::Value":$lhs, "::mlir::Value":$rhs), [{
      build($_builder, $_state, lhs, rhs, ActivationAttr());
    }]>,
    OpBuilder<(ins "::mlir::TypeRange":$resultTypes, "::mlir::Value":$lhs,
                   "::mlir::Value":$rhs), [{
      build($_builder, $_state, resultTypes, lhs, rhs, ActivationAttr());
    }]>
  ];
  let customFold = 1;
  let hasCanonicalizer = 1;
}
def Graph_SubOp : Graph_BinaryOp<"sub", "Sub"> {
  let customFold = 1;
  let hasCanonicalizer = 1;
}
def Graph_MulOp : Graph_BinaryOp<"mul", "Mul", 0, [Commutative]> {
  let customFold = 1;
  let hasCanonicalizer = 1;
}
def Graph_DivOp : Graph_BinaryOp<"div", "Div"> {
  let customFold = 1;
  let hasCanonicalizer = 1;
}
def Graph_PowOp : Graph_BinaryOp<"pow", "Pow"> {
  let description = "The exponent may have another element type than the base.";
}
def Graph_MaxOp : Graph_BinaryOp<"max", "Max", 0, [Commutative]> {
  let hasCanonicalizer = 1;
}
def Graph_MinOp : Graph_BinaryOp<"min", "Min", 0, [Commutative]> {
  let hasCanonicalizer = 1;
}
def Graph_ModOp : Graph_BinaryOp<"mod", ""> {
  let description = [{
    ONNX Mod: with `fmod` the result takes the dividend's sign (C fmod),
    otherwise the divisor's (integers only).
  }];
  let arguments = (ins Graph_Tensor:$lhs, Graph_Tensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$fmod);
}
def Graph_PReluOp : Graph_BinaryOp<"prelu", "PRelu"> {
  let description = "x < 0 ? slope * x : x, with slope broadcast to x's shape.";
  let arguments = (ins Graph_Tensor:$lhs, Graph_Tensor:$rhs);
}
def Graph_AndOp : Graph_BinaryOp<"and", "And", 0, [Commutative]>;
def Graph_OrOp : Graph_BinaryOp<"or", "Or", 0, [Commutative]>;
def Graph_XorOp : Graph_BinaryOp<"xor", "Xor", 0, [Commutative]>;
def Graph_EqualOp : Graph_BinaryOp<"equal", "Equal", 1, [Commutative]>;
def Graph_LessOp : Graph_BinaryOp<"less", "Less", 1>;
def Graph_LessEqualOp : Graph_BinaryOp<"less_equal", "LessEqual", 1>;
def Graph_GreaterOp : Graph_BinaryOp<"greater", "Greater", 1>;
def Graph_GreaterEqualOp : Graph_BinaryOp<"greater_equal", "GreaterEqual", 1>;

def Graph_WhereOp : Graph_Op<"where", [Graph_InferType, Graph_BroadcastElementwise]> {
  let summary = "cond ? x : y elementwise, with three-way broadcasting";
  let arguments = (ins Graph_Tensor:$condition, Graph_Tensor:$x, Graph_Tensor:$y);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Matrix multiplication
//===----------------------------------------------------------------------===//

def Graph_MatMulOp : Graph_Op<"matmul", [Graph_InferType]> {
  let summary = "Batched, broadcasting matrix multiplication with optional bias";
  let description = [{
    numpy.matmul semantics (1-D operands are promoted, batch dims broadcast);
    the optional `bias` is broadcast-added to the product, then the optional
    fused `activation` is applied. ONNX Gemm imports as this op (its
    transposes and alpha/beta folded into the operands).

    ```mlir
    %y = graph.matmul %x, %w, %b : (tensor<1x512xf32>, tensor<512x10xf32>, tensor<10xf32>) -> tensor<1x10xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$lhs, Graph_Tensor:$rhs,
                       Optional<Graph_Tensor>:$bias,
                       OptionalAttr<Graph_ActivationAttr>:$activation);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

class Graph_SoftmaxBase<string mnemonic> : Graph_Op<mnemonic, [Graph_InferType]> {
  let arguments = (ins Graph_Tensor:$input, I64Attr:$axis);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Graph_SoftmaxOp : Graph_SoftmaxBase<"softmax"> {
  let summary = "Softmax along one axis (opset 13 semantics)";
}
def Graph_LogSoftmaxOp : Graph_SoftmaxBase<"log_softmax"> {
  let summary = "Log of softmax along one axis (opset 13 semantics)";
}

class Graph_ReduceOp<string mnemonic, string refKind> : Graph_Op<mnemonic, [Graph_InferType]> {
  let summary = "Reduction (" # refKind # ") over the given axes";
  let description = [{
    `axes` are non-negative, sorted and unique; an empty list reduces nothing.
    With `keepdims` the reduced dims stay as size 1.
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let evalDefinition = !strconcat([{
    ::llvm::LogicalResult $cppClass::evaluate(
        ::llvm::ArrayRef<::tessel::ref::Tensor> operands,
        ::llvm::SmallVectorImpl<::tessel::ref::Tensor> &results,
        std::string &error) {
      if (::tessel::graph::hasQuantizedTypes(getOperation()))
        return ::tessel::graph::evaluateQuantized(getOperation(), operands,
                                                  results, error);
      return ::tessel::graph::evalReduce(::tessel::ref::ReduceKind::}], refKind, [{,
          getAxes(), getKeepdims(), operands, results, error);
    }
    ::llvm::LogicalResult $cppClass::inferReturnTypes(::mlir::MLIRContext *ctx,
        std::optional<::mlir::Location> loc, Adaptor adaptor,
        ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::tessel::graph::inferReduceType(loc, adaptor.getInput().getType(),
          adaptor.getAxes(), adaptor.getKeepdims(), types);
    }
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r) {
      return ::tessel::graph::areCompatibleModuloQuant(l, r);
    }
    ::llvm::LogicalResult $cppClass::verify() {
      return ::tessel::graph::verifyAxes(getOperation(), getAxes(),
          getInput().getType().getRank());
    }
  }]);
}

def Graph_ReduceSumOp : Graph_ReduceOp<"reduce_sum", "Sum">;
def Graph_ReduceMeanOp : Graph_ReduceOp<"reduce_mean", "Mean">;
def Graph_ReduceMaxOp : Graph_ReduceOp<"reduce_max", "Max">;
def Graph_ReduceMinOp : Graph_ReduceOp<"reduce_min", "Min">;
def Graph_ReduceProdOp : Graph_ReduceOp<"reduce_prod", "Prod">;
def Graph_ReduceL1Op : Graph_ReduceOp<"reduce_l1", "L1">;
def Graph_ReduceL2Op : Graph_ReduceOp<"reduce_l2", "L2">;
def Graph_ReduceSumSquareOp : Graph_ReduceOp<"reduce_sum_square", "SumSquare">;
def Graph_ReduceLogSumExpOp : Graph_ReduceOp<"reduce_log_sum_exp", "LogSumExp">;

class Graph_ArgReduceOp<string mnemonic> : Graph_Op<mnemonic, [Graph_InferType]> {
  let summary = "Index of the extreme element along one axis (i64 result)";
  let arguments = (ins Graph_Tensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims,
                       DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Graph_ArgMaxOp : Graph_ArgReduceOp<"arg_max">;
def Graph_ArgMinOp : Graph_ArgReduceOp<"arg_min">;

#endif // TESSEL_GRAPH_MATH_OPS
