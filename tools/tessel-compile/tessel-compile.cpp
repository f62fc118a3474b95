//===- tessel-compile.cpp - The compiler driver (chip listing so far) -----===//
//
// The user's front door: `tessel-compile model.onnx --target=npu --chip=NAME
// -o model.tsl`. This build has the NPU chip models but not the graph
// compiler yet, so it lists chips and says plainly that it cannot compile.
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/NPU/Chip.h"

#include <cstdio>
#include <cstring>
#include <string>

using namespace tessel;

int main(int argc, char **argv) {
  npu::ChipRegistry registry;
  bool list = false;
  std::string input;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--list-chips") {
      list = true;
    } else if (a == "--chip-file" || a.rfind("--chip-file=", 0) == 0) {
      std::string path = a.size() > 11 ? a.substr(12) : "";
      if (path.empty()) {
        if (i + 1 >= argc) {
          fprintf(stderr, "tessel-compile: error: --chip-file needs a file\n");
          return 1;
        }
        path = argv[++i];
      }
      if (Status s = registry.addFile(path); !s) {
        fprintf(stderr, "tessel-compile: error: %s\n", s.message().c_str());
        return 1;
      }
    } else if (a == "--help" || a == "-h") {
      printf("usage: tessel-compile --list-chips [--chip-file FILE]\n");
      return 0;
    } else {
      input = a;
    }
  }
  if (list) {
    printf("%s", registry.listText().c_str());
    return 0;
  }
  fprintf(stderr,
          "tessel-compile: error: compiling models is not available in this "
          "build yet (only --list-chips is)%s%s\n",
          input.empty() ? "" : "; cannot compile ", input.c_str());
  return 1;
}
