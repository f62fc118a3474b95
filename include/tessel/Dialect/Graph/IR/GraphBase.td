//===- GraphBase.td - The graph dialect, its attributes, op bases -*- tablegen -*-===//
#ifndef TESSEL_GRAPH_BASE
#define TESSEL_GRAPH_BASE

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "tessel/Dialect/Graph/IR/GraphInterfaces.td"

def Graph_Dialect : Dialect {
  let name = "graph";
  let cppNamespace = "::tessel::graph";
  let summary = "Static-shaped tensor graph operations imported from ONNX";
  let description = [{
    The hardware-independent level of Tessel. Ops work on statically shaped
    ranked tensors; ONNX semantics are normalized at import (explicit pads,
    Gemm as matmul + bias, attributes as typed attributes, opset differences
    resolved), so that passes and both back ends see one form. Element types
    are builtin integer/float types or `quant` dialect uniform types.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::quant::QuantDialect"];
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def Graph_Layout : I32EnumAttr<"Layout", "tensor layout", [
    I32EnumAttrCase<"NCHW", 0, "nchw">,
    I32EnumAttrCase<"NHWC", 1, "nhwc">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::tessel::graph";
  let description = [{
    Where the channel dimension of a layout-sensitive op's activations is:
    `nchw` is channels-first (N, C, spatial...), `nhwc` channels-last
    (N, spatial..., C), for any number of spatial dims. Weights follow:
    `nchw` convs use OIHW weights, `nhwc` convs OHWI.
  }];
}
def Graph_LayoutAttr : EnumAttr<Graph_Dialect, Graph_Layout, "layout"> {
  let assemblyFormat = "`<` $value `>`";
}

def Graph_ActivationKind : I32EnumAttr<"ActivationKind",
    "activation fused into a producer", [
    I32EnumAttrCase<"Relu", 0, "relu">,
    I32EnumAttrCase<"Clip", 1, "clip">,
    I32EnumAttrCase<"LeakyRelu", 2, "leaky_relu">,
    I32EnumAttrCase<"Sigmoid", 3, "sigmoid">,
    I32EnumAttrCase<"Tanh", 4, "tanh">,
    I32EnumAttrCase<"HardSigmoid", 5, "hard_sigmoid">,
    I32EnumAttrCase<"HardSwish", 6, "hard_swish">,
    I32EnumAttrCase<"Gelu", 7, "gelu">,
    I32EnumAttrCase<"GeluTanh", 8, "gelu_tanh">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::tessel::graph";
}

def Graph_ActivationAttr : AttrDef<Graph_Dialect, "Activation"> {
  let mnemonic = "act";
  let summary = "An activation function fused into a conv or matmul";
  let description = [{
    Applied elementwise to the result after the bias. Parameters: `clip`
    takes min and max, `leaky_relu` alpha, `hard_sigmoid` alpha and beta.

    ```mlir
    #graph.act<relu>
    #graph.act<clip, 0.0, 6.0>
    #graph.act<leaky_relu, 0.1>
    ```
  }];
  let parameters = (ins
    EnumParameter<Graph_ActivationKind>:$kind,
    APFloatParameter<"first parameter">:$alpha,
    APFloatParameter<"second parameter">:$beta);
  let builders = [
    AttrBuilder<(ins "ActivationKind":$kind, CArg<"double", "0.0">:$alpha,
                     CArg<"double", "0.0">:$beta), [{
      return $_get($_ctxt, kind, ::llvm::APFloat(alpha), ::llvm::APFloat(beta));
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    double getAlphaValue() const { return getAlpha().convertToDouble(); }
    double getBetaValue() const { return getBeta().convertToDouble(); }
    /// Number of parameters the kind takes (0, 1 or 2).
    static unsigned getNumParams(ActivationKind kind);
  }];
}

def Graph_PadMode : I32EnumAttr<"PadMode", "padding mode", [
    I32EnumAttrCase<"Constant", 0, "constant">,
    I32EnumAttrCase<"Reflect", 1, "reflect">,
    I32EnumAttrCase<"Edge", 2, "edge">,
    I32EnumAttrCase<"Wrap", 3, "wrap">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::tessel::graph";
}
def Graph_PadModeAttr : EnumAttr<Graph_Dialect, Graph_PadMode, "pad_mode"> {
  let assemblyFormat = "`<` $value `>`";
}

def Graph_ResizeMode : I32EnumAttr<"ResizeMode", "interpolation mode", [
    I32EnumAttrCase<"Nearest", 0, "nearest">,
    I32EnumAttrCase<"Linear", 1, "linear">,
    I32EnumAttrCase<"Cubic", 2, "cubic">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::tessel::graph";
}
def Graph_ResizeModeAttr : EnumAttr<Graph_Dialect, Graph_ResizeMode, "resize_mode"> {
  let assemblyFormat = "`<` $value `>`";
}

def Graph_CoordMode : I32EnumAttr<"CoordMode", "resize coordinate transformation", [
    I32EnumAttrCase<"HalfPixel", 0, "half_pixel">,
    I32EnumAttrCase<"HalfPixelSymmetric", 1, "half_pixel_symmetric">,
    I32EnumAttrCase<"PytorchHalfPixel", 2, "pytorch_half_pixel">,
    I32EnumAttrCase<"AlignCorners", 3, "align_corners">,
    I32EnumAttrCase<"Asymmetric", 4, "asymmetric">,
    I32EnumAttrCase<"TfCropAndResize", 5, "tf_crop_and_resize">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::tessel::graph";
}
def Graph_CoordModeAttr : EnumAttr<Graph_Dialect, Graph_CoordMode, "coord_mode"> {
  let assemblyFormat = "`<` $value `>`";
}

def Graph_NearestMode : I32EnumAttr<"NearestMode", "resize nearest rounding", [
    I32EnumAttrCase<"RoundPreferFloor", 0, "round_prefer_floor">,
    I32EnumAttrCase<"RoundPreferCeil", 1, "round_prefer_ceil">,
    I32EnumAttrCase<"Floor", 2, "floor">,
    I32EnumAttrCase<"Ceil", 3, "ceil">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::tessel::graph";
}
def Graph_NearestModeAttr : EnumAttr<Graph_Dialect, Graph_NearestMode, "nearest_mode"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// Traits
//===----------------------------------------------------------------------===//

/// Elementwise with numpy broadcasting: result element i depends only on the
/// operands' (broadcast) elements at i, and nothing but the shapes of the
/// operands and results ties the op to a dim order. Such ops are
/// layout-agnostic: a transpose of their operands moves to their result.
def Graph_BroadcastElementwise : NativeOpTrait<"BroadcastElementwise"> {
  let cppNamespace = "::tessel::graph";
}

/// Quantized operand or result types are allowed only where the op has
/// integer semantics (QuantInfo.cpp, docs/quantization.md); the verifier
/// says what to do otherwise.
def Graph_QuantizedSemantics : NativeOpTrait<"QuantizedSemantics"> {
  let cppNamespace = "::tessel::graph";
}

//===----------------------------------------------------------------------===//
// Op base classes
//===----------------------------------------------------------------------===//

def Graph_Tensor : RankedTensorOf<[AnyType]>;

/// Result types agree with those inferred from the operands, up to the
/// quantization parameters of quantized element types (which are a choice,
/// not a consequence).
defvar Graph_InferType = InferTypeOpAdaptorWithIsCompatible;

/// Every graph op is pure and has a reference evaluation. Single-result ops
/// fold through the reference evaluation when all operands are constants
/// (bounded by a size budget); `customFold` ops write their own fold, which
/// should call foldByEvaluation first.
class Graph_Op<string mnemonic, list<Trait> traits = []>
    : Op<Graph_Dialect, mnemonic,
         !listconcat(traits, [Pure, Graph_QuantizedSemantics,
                                     DeclareOpInterfaceMethods<Graph_RefEvalOpInterface>])> {
  bit customFold = 0;
  /// C++ definitions a subclass adds (kept apart from the generated ones).
  code extraDefinition = "";
  /// The reference evaluation's definition, when a subclass generates it.
  code evalDefinition = "";
  let hasFolder = 1;
  code foldDefinition = !if(customFold, "", [{
    ::mlir::OpFoldResult $cppClass::fold(FoldAdaptor adaptor) {
      return ::tessel::graph::foldByEvaluation(getOperation(), adaptor.getOperands());
    }
  }]);
  let extraClassDefinition = !strconcat(foldDefinition, evalDefinition, extraDefinition);
}

#endif // TESSEL_GRAPH_BASE
