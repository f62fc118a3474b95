//===- Program.h - Multi-core NPU programs and their assembly ----*- C++
//-*-===//
//
// A Program is what one NPU step of a deployable binary runs: one stream of
// encoded instructions per core, plus a layer table that attributes
// instruction ranges to the network's layers for the profile.
//
// The text form (".s" files) is one instruction per line as printed by
// `disassemble`, with these directives:
//
//   .core N        following instructions go to core N's stream
//   .layer NAME    following instructions of the current core belong to NAME
//   .word W0 ... W15   sixteen raw 32-bit words (any bits, even invalid ones)
//
// Comments start with '#' or ';' and run to the end of the line.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_PROGRAM_H
#define TESSEL_TARGET_NPU_PROGRAM_H

#include "tessel/Target/NPU/ISA.h"

#include <string>
#include <string_view>
#include <vector>

namespace tessel::npu {

/// From instruction `index` of core `core` on, instructions belong to layer
/// `layer` (an index into Program::layerNames).
struct LayerMark {
  uint32_t core = 0;
  uint32_t index = 0;
  uint32_t layer = 0;
};

struct Program {
  /// One stream of encoded instructions per core (core i = streams[i]).
  std::vector<std::vector<Word>> streams;
  std::vector<std::string> layerNames;
  /// Sorted by (core, index).
  std::vector<LayerMark> marks;

  uint32_t numCores() const { return static_cast<uint32_t>(streams.size()); }
  /// The layer of an instruction, or -1 if it precedes every mark.
  int32_t layerAt(uint32_t core, uint32_t index) const;
  /// Total instruction count over all cores.
  size_t size() const;
};

/// Builds a Program from instruction structs (the compiler's emission API).
class ProgramBuilder {
public:
  /// Encodes and appends `instr` to core `core`'s stream (creating streams up
  /// to `core`); returns the encoder's error, if any.
  Status emit(uint32_t core, const Instr &instr);
  /// Makes sure core `core` has a (possibly empty) stream.
  void useCore(uint32_t core);
  /// Appends an already encoded word.
  void emitWord(uint32_t core, const Word &word);
  /// Attributes the following instructions of `core` to layer `name`.
  void beginLayer(uint32_t core, const std::string &name);
  /// Index the next instruction of `core` will get.
  uint32_t nextIndex(uint32_t core) const;
  const Program &program() const { return program_; }
  Program take() { return std::move(program_); }

private:
  Program program_;
};

/// Assembles the text form; errors name the line ("prog.s:12: ...").
StatusOr<Program> assemble(std::string_view text,
                           std::string_view fileName = "<input>");

struct DisasmOptions {
  bool indices = false; ///< Prefix every instruction with "/*N*/".
};
/// Prints a program in the text form. Words that do not decode are printed
/// as `.word` directives with the decoder's message as a comment, so that
/// assemble(disassemble(p)) reproduces every byte of p.
std::string disassembleProgram(const Program &program,
                               DisasmOptions options = {});

} // namespace tessel::npu

#endif // TESSEL_TARGET_NPU_PROGRAM_H
