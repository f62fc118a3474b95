//===- GraphDialect.cpp - The graph dialect and its attributes ------------===//
#include "tessel/Dialect/Graph/IR/GraphDialect.h"
#include "tessel/Dialect/Graph/IR/GraphOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tessel::graph;

#include "tessel/Dialect/Graph/IR/GraphDialect.cpp.inc"
#include "tessel/Dialect/Graph/IR/GraphEnums.cpp.inc"
#include "tessel/Dialect/Graph/IR/GraphInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "tessel/Dialect/Graph/IR/GraphAttrs.cpp.inc"

void GraphDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tessel/Dialect/Graph/IR/GraphMathOps.cpp.inc"
      ,
#define GET_OP_LIST
#include "tessel/Dialect/Graph/IR/GraphNNOps.cpp.inc"
      ,
#define GET_OP_LIST
#include "tessel/Dialect/Graph/IR/GraphTensorOps.cpp.inc"
      ,
#define GET_OP_LIST
#include "tessel/Dialect/Graph/IR/GraphQuantOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tessel/Dialect/Graph/IR/GraphAttrs.cpp.inc"
      >();
}

Operation *GraphDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!elements || !tensorType ||
      cast<ShapedType>(elements.getType()).getShape() != tensorType.getShape())
    return nullptr;
  return ConstantOp::create(builder, loc, tensorType, elements);
}

//===----------------------------------------------------------------------===//
// ActivationAttr
//===----------------------------------------------------------------------===//

unsigned ActivationAttr::getNumParams(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::Clip:
  case ActivationKind::HardSigmoid:
    return 2;
  case ActivationKind::LeakyRelu:
    return 1;
  default:
    return 0;
  }
}

LogicalResult
ActivationAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                       ActivationKind kind, APFloat alpha, APFloat beta) {
  if (kind == ActivationKind::Clip &&
      alpha.convertToDouble() > beta.convertToDouble())
    return emitError() << "clip activation has min " << alpha.convertToDouble()
                       << " greater than max " << beta.convertToDouble();
  return success();
}

// #graph.act<kind[, alpha[, beta]]>
Attribute ActivationAttr::parse(AsmParser &parser, Type) {
  StringRef keyword;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  std::optional<ActivationKind> kind = symbolizeActivationKind(keyword);
  if (!kind) {
    parser.emitError(loc, "unknown activation '") << keyword << "'";
    return {};
  }
  unsigned numParams = getNumParams(*kind);
  double params[2] = {0.0, 0.0};
  for (unsigned i = 0; i < numParams; ++i)
    if (parser.parseComma() || parser.parseFloat(params[i]))
      return {};
  if (parser.parseGreater())
    return {};
  return parser.getChecked<ActivationAttr>(
      loc, parser.getContext(), *kind, APFloat(params[0]), APFloat(params[1]));
}

void ActivationAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyActivationKind(getKind());
  unsigned numParams = getNumParams(getKind());
  if (numParams >= 1)
    printer << ", " << getAlpha();
  if (numParams >= 2)
    printer << ", " << getBeta();
  printer << ">";
}
