//===- Sync.h - From ordered instructions to a synchronized program -*- C++
//-*-===//
//
// The code generator produces, per core, a list of instructions in an order
// that is correct when executed one at a time (the "program order"). The
// engines of a core run concurrently and in order, so this pass inserts
// exactly the semaphore waits that keep every dependency of that order:
//
//  - Dependencies come from the bytes each instruction reads and writes
//    (tessel/Target/NPU/Operands.h): read after write, write after read and
//    write after write between instructions of different engines. Two
//    instructions of one engine are ordered by the engine itself.
//  - One semaphore per ordered pair of engines (producer -> consumer): the
//    producer signals it when a consumer needs it, the consumer waits on it.
//    Because engines complete in order and each consumer waits for its
//    producers in increasing order, the k-th wait takes the k-th token.
//  - Vector clocks remove waits that are already implied: if the matrix
//    engine waited for DMA load L, and the vector engine waits for that conv,
//    the vector engine does not wait for L again.
//  - Barriers (all engines, all cores of a mask) order everything across
//    them; dependencies between cores go through barriers.
//
// Every wait names an earlier instruction, so the program is deadlock-free
// for any queue depth: the earliest unfinished instruction can always run.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_NPU_CODEGEN_SYNC_H
#define TESSEL_TARGET_NPU_CODEGEN_SYNC_H

#include "tessel/Target/NPU/Chip.h"
#include "tessel/Target/NPU/Program.h"

#include <string>
#include <vector>

namespace tessel::npu::cg {

/// One instruction of a core's program order (no waits or signals yet).
struct Step {
  Instr instr;
  int32_t layer = -1; ///< Index into StepProgram::layerNames (-1: none).
};

struct StepProgram {
  std::vector<std::string> layerNames;
  std::vector<std::vector<Step>> cores; ///< Program order per core.

  int32_t layerIndex(const std::string &name);
  void add(uint32_t core, Instr instr, int32_t layer);
};

struct SyncStats {
  uint64_t instructions = 0; ///< Including waits carried by SYNC.
  uint64_t waits = 0;
  uint64_t syncInstructions = 0; ///< Extra SYNC instructions (wait slots).
  uint64_t barriers = 0;
};

/// Semaphore carrying producer engine `from` -> consumer engine `to`.
unsigned semaphoreFor(Engine from, Engine to);

/// Semaphores from this one up are never chosen by synchronize(): a step
/// may carry waits and signals on them (cross-core tokens the lowering
/// places itself), and synchronize() adds its own in the free slots.
constexpr unsigned kFirstExplicitSemaphore = 6;
/// The token a multicast weight load gives every core of its group: this
/// one for even layers, the next for odd ones (a layer's first tile is
/// loaded while the previous layer runs, and must not be taken for one of
/// that layer's tiles).
constexpr unsigned kWeightTokenSemaphore = 8;

/// Assigns waits and signals, appends END to every non-empty stream and
/// encodes. Steps may carry waits and signals only on semaphores from
/// kFirstExplicitSemaphore up.
StatusOr<Program> synchronize(const ChipModel &chip, const StepProgram &program,
                              SyncStats *stats = nullptr);

} // namespace tessel::npu::cg

#endif // TESSEL_TARGET_NPU_CODEGEN_SYNC_H
