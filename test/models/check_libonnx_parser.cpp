//===- check_libonnx_parser.cpp - Do the text models parse with libonnx? --===//
//
// A probe, not part of the build: checks that Debian's libonnx 1.12 (what
// Tessel's importer links) parses, checks and shape-infers the textual test
// models, and the committed binary ones. libonnx 1.12 knows opsets up to 17.
//
// Build and run it by hand:
//
//   g++ -std=c++17 -DONNX_NAMESPACE=onnx -DONNX_ML=1
//       test/models/check_libonnx_parser.cpp -o /tmp/check_libonnx_parser
//       -lonnx -lonnx_proto -lprotobuf
//
// (one command line), then
//
//   /tmp/check_libonnx_parser test/models/*.onnxtxt test/models/*.onnx
//
// or let `test/models/check_models.py --libonnx` do both. With `--emit DIR`
// each parsed text model is also written to DIR/<name>.onnx so that
// check_models.py can compare it with what onnx.parser makes of the text.
//
//===----------------------------------------------------------------------===//

#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/shape_inference/implementation.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string baseName(const std::string &path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  return name.substr(0, name.find_last_of('.'));
}

/// Parses (text) or loads (binary) one model; returns an error or "".
std::string load(const std::string &path, onnx::ModelProto &model) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return "cannot open";
  if (endsWith(path, ".onnx")) {
    if (!model.ParseFromIstream(&in))
      return "not a ModelProto";
    return "";
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str(); // the parser keeps pointers into it
  onnx::OnnxParser parser(text.c_str());
  auto status = parser.Parse(model);
  if (!status.IsOK())
    return status.ErrorMessage();
  if (!parser.EndOfInput())
    return "text left after the model";
  return "";
}

/// The checker and strict shape inference (declared outputs must match).
std::string verify(onnx::ModelProto &model) {
  try {
    onnx::checker::check_model(model);
    onnx::ShapeInferenceOptions options(/*check_type=*/true,
                                        /*strict_mode=*/1,
                                        /*data_prop=*/true);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       options);
  } catch (const std::exception &e) {
    return e.what();
  }
  return "";
}

} // namespace

int main(int argc, char **argv) {
  std::string emitDir;
  int failures = 0, checked = 0;
  for (int i = 1; i < argc; ++i) {
    std::string path = argv[i];
    if (path == "--emit" && i + 1 < argc) {
      emitDir = argv[++i];
      continue;
    }
    ++checked;
    onnx::ModelProto model;
    std::string error = load(path, model);
    // Emit what the parser made, before shape inference annotates it.
    if (error.empty() && !emitDir.empty() && !endsWith(path, ".onnx")) {
      std::ofstream out(emitDir + "/" + baseName(path) + ".onnx",
                        std::ios::binary);
      model.SerializeToOstream(&out);
    }
    if (error.empty())
      error = verify(model);
    if (!error.empty()) {
      std::cout << "FAIL " << path << ": " << error << "\n";
      ++failures;
      continue;
    }
    std::cout << "ok   " << path << ": " << model.graph().node_size()
              << " nodes, " << model.graph().initializer_size()
              << " initializers, opset "
              << model.opset_import(0).version() << "\n";
  }
  std::cout << (checked - failures) << " passed, " << failures << " failed\n";
  return failures == 0 ? 0 : 1;
}
