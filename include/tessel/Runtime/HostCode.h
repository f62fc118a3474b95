//===- HostCode.h - The host-code section and the CPU host executor -*- C++ -*-===//
//
// The CPU back end's payload in a .tsl binary (section type 6, host-code):
//
//   u32 magic "THC1", u32 version (1), u32 arch (1 x86-64, 2 AArch64),
//   u32 function count, then per function: u32 name length, name bytes,
//   zero padding to 4 bytes; then u64 size and the bytes of an ELF shared
//   object exporting those functions.
//
// Each function is `void f(uint8_t *arena, const uint8_t *weights, void
// *ukernel_context)`. A host plan step names the function and carries three
// arguments: the bytes of the arena the function uses from offset 0, the
// weights' arena offset and their size; the executor checks them against the
// context's arena before the call.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_RUNTIME_HOSTCODE_H
#define TESSEL_RUNTIME_HOSTCODE_H

#include "tessel/Runtime/Runtime.h"
#include "tessel/Support/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessel::rt {

enum class HostArch : uint32_t { X86_64 = 1, AArch64 = 2 };
const char *hostArchName(HostArch arch);
/// The architecture this runtime was built for.
HostArch currentHostArch();

struct HostCode {
  HostArch arch = HostArch::X86_64;
  std::vector<std::string> functions;
  std::vector<uint8_t> sharedObject;
};

std::vector<uint8_t> encodeHostCode(const HostCode &code);
StatusOr<HostCode> decodeHostCode(const uint8_t *data, size_t size);

/// The factory of the CPU host executor (registered by default as "cpu").
HostExecutorFactory cpuHostExecutorFactory();

} // namespace tessel::rt

#endif // TESSEL_RUNTIME_HOSTCODE_H
