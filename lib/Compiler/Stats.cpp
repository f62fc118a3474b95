//===- Stats.cpp - Op counts and model size, before and after -------------===//
#include "tessel/Compiler/Stats.h"
#include "tessel/Dialect/Graph/IR/GraphOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Format.h"

#include <set>

using namespace mlir;

tessel::ModelStats tessel::collectStats(ModuleOp module) {
  ModelStats stats;
  module.walk([&](Operation *op) {
    if (isa<ModuleOp, func::FuncOp, func::ReturnOp>(op))
      return;
    if (auto c = dyn_cast<graph::ConstantOp>(op)) {
      ++stats.numConstants;
      auto type = cast<ShapedType>(c.getValue().getType());
      int64_t bits = type.getElementType().getIntOrFloatBitWidth();
      stats.constantBytes += type.getNumElements() * std::max<int64_t>(8, bits) / 8;
      return;
    }
    ++stats.numOps;
    ++stats.opCounts[op->getName().getStringRef().str()];
  });
  return stats;
}

static std::string formatBytes(int64_t bytes) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (bytes >= (int64_t(1) << 20))
    os << llvm::format("%.2f MiB", bytes / 1048576.0);
  else if (bytes >= 1024)
    os << llvm::format("%.2f KiB", bytes / 1024.0);
  else
    os << bytes << " B";
  return s;
}

void tessel::printStatsTable(llvm::raw_ostream &os, StringRef title,
                             const ModelStats &before, const ModelStats &after,
                             const std::map<std::string, int64_t> *onnxNodes) {
  std::set<std::string> names;
  for (auto &[n, c] : before.opCounts)
    names.insert(n);
  for (auto &[n, c] : after.opCounts)
    names.insert(n);
  size_t width = 12;
  for (const std::string &n : names)
    width = std::max(width, n.size());
  auto row = [&](StringRef name, StringRef a, StringRef b) {
    os << "  " << llvm::left_justify(name, width) << "  "
       << llvm::right_justify(a, 12) << "  " << llvm::right_justify(b, 12)
       << "\n";
  };
  os << title << "\n";
  if (onnxNodes && !onnxNodes->empty()) {
    size_t w = 12;
    int64_t total = 0;
    for (auto &[n, c] : *onnxNodes) {
      w = std::max(w, n.size());
      total += c;
    }
    auto onnxRow = [&](StringRef name, StringRef count) {
      os << "  " << llvm::left_justify(name, w) << "  "
         << llvm::right_justify(count, 12) << "\n";
    };
    onnxRow("onnx node", "original");
    os << "  " << std::string(w + 14, '-') << "\n";
    for (auto &[n, c] : *onnxNodes)
      onnxRow(n, std::to_string(c));
    os << "  " << std::string(w + 14, '-') << "\n";
    onnxRow("total nodes", std::to_string(total));
    os << "\n";
  }
  row("op", "imported", "optimized");
  os << "  " << std::string(width + 28, '-') << "\n";
  for (const std::string &n : names) {
    auto count = [&](const ModelStats &s) {
      auto it = s.opCounts.find(n);
      return std::to_string(it == s.opCounts.end() ? 0 : it->second);
    };
    row(n, count(before), count(after));
  }
  os << "  " << std::string(width + 28, '-') << "\n";
  row("total ops", std::to_string(before.numOps), std::to_string(after.numOps));
  row("constants", std::to_string(before.numConstants),
      std::to_string(after.numConstants));
  row("model size", formatBytes(before.constantBytes),
      formatBytes(after.constantBytes));
}
