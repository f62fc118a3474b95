//===- BuiltinChips.cpp - The chips every Tessel build knows --------------===//
//
// Data, not code: the same text format as a --chip-file. docs/chips.md gives
// the sources of these numbers and marks the guessed ones (GUESS).
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/NPU/Chip.h"

namespace tessel::npu {

std::string_view builtinChipText() {
  static const char text[] = R"CHIPS(
# A small edge NPU: one core with a 16x16 int8 array (Gemmini-like), a
# 256 KiB scratchpad, 500 MHz and a few GB/s of DRAM (Ethos-U55-like).
[chip edge-s]
description = Edge NPU: 1 core, 16x16 int8 MAC array, 256 KiB scratchpad, 500 MHz
cores = 1
clock_mhz = 500
matrix.k = 16
matrix.n = 16
matrix.i16_macs = 64
matrix.f16_macs = 0
matrix.startup_cycles = 16
vector.bytes = 16
vector.startup_cycles = 4
vtcm.bytes = 262144
vtcm.usable_percent = 100
align.activation = 16
align.weight = 16
align.vector = 1
align.dma = 1
dma.bytes_per_cycle = 16
dma.latency_cycles = 250
dma.burst_bytes = 64
ddr.gbps = 4
ddr.bytes = 536870912
noc.bytes_per_cycle = 0
noc.latency_cycles = 0
multicast = no
queue_depth = 16
dtypes = i8, u8, i16, i32
ops = conv, dwconv, matmul, add, sub, mul, max, min, clamp, lut, maxpool, avgpool, reduce_sum, reduce_max, reduce_min, reduce_mean, requant, cast, layout
energy.pj_per_mac_i8 = 0.25
energy.pj_per_mac_i16 = 0.8
energy.pj_per_mac_f16 = 0
energy.pj_per_ddr_byte = 40
energy.pj_per_vtcm_byte = 0.5
energy.static_w = 0.05

# A mobile NPU: one core with HMX-like int8/fp16 matrix tiles, 8 MiB VTCM of
# which 7/8 is usable, a 1024-bit (128-byte) HVX-like vector unit, 1 GHz.
[chip mobile-m]
description = Mobile NPU: 1 core, 32x64 int8 matrix tiles (fp16 at half rate), 8 MiB VTCM (7/8 usable), 1024-bit vectors, 1 GHz
cores = 1
clock_mhz = 1000
matrix.k = 32
matrix.n = 64
matrix.i16_macs = 512
matrix.f16_macs = 1024
matrix.startup_cycles = 32
vector.bytes = 128
vector.startup_cycles = 8
vtcm.bytes = 8388608
vtcm.usable_percent = 87.5
align.activation = 2048
align.weight = 128
align.vector = 128
align.dma = 1
dma.bytes_per_cycle = 64
dma.latency_cycles = 300
dma.burst_bytes = 64
ddr.gbps = 51.2
ddr.bytes = 4294967296
noc.bytes_per_cycle = 0
noc.latency_cycles = 0
multicast = no
queue_depth = 32
dtypes = i8, u8, i16, i32, i64, f16, f32
ops = conv, dwconv, matmul, add, sub, mul, max, min, clamp, lut, sigmoid, tanh, exp, maxpool, avgpool, reduce_sum, reduce_max, reduce_min, reduce_mean, requant, quant, dequant, cast, layout
energy.pj_per_mac_i8 = 0.1
energy.pj_per_mac_i16 = 0.35
energy.pj_per_mac_f16 = 0.4
energy.pj_per_ddr_byte = 25
energy.pj_per_vtcm_byte = 0.3
energy.static_w = 0.3

# A cloud NPU: 16 cores of 8192 int8 MAC/clock (Cloud AI 100-like), 8 MiB
# VTCM each, 136 GB/s of shared LPDDR4x, a NoC with multicast, ~1.5 GHz.
[chip cloud-l]
description = Cloud NPU: 16 cores of 64x128 int8 MACs (fp16 at half rate), 8 MiB VTCM each, shared 136 GB/s DDR, multicast, 1.5 GHz
cores = 16
clock_mhz = 1500
matrix.k = 64
matrix.n = 128
matrix.i16_macs = 2048
matrix.f16_macs = 4096
matrix.startup_cycles = 64
vector.bytes = 256
vector.startup_cycles = 8
vtcm.bytes = 8388608
vtcm.usable_percent = 100
align.activation = 64
align.weight = 64
align.vector = 64
align.dma = 1
dma.bytes_per_cycle = 64
dma.latency_cycles = 500
dma.burst_bytes = 128
ddr.gbps = 136
ddr.bytes = 8589934592
noc.bytes_per_cycle = 64
noc.latency_cycles = 40
multicast = yes
queue_depth = 64
dtypes = i8, u8, i16, i32, i64, f16, f32
ops = conv, dwconv, matmul, add, sub, mul, max, min, clamp, lut, sigmoid, tanh, exp, maxpool, avgpool, reduce_sum, reduce_max, reduce_min, reduce_mean, requant, quant, dequant, cast, layout, copy, multicast
energy.pj_per_mac_i8 = 0.15
energy.pj_per_mac_i16 = 0.5
energy.pj_per_mac_f16 = 0.6
energy.pj_per_ddr_byte = 20
energy.pj_per_vtcm_byte = 0.4
energy.static_w = 12
)CHIPS";
  return std::string_view(text, sizeof(text) - 1);
}

} // namespace tessel::npu
