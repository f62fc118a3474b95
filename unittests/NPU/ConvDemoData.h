//===- ConvDemoData.h - Data and reference of the conv demo ------*- C++
//-*-===//
//
// test/lit/NPU/Inputs/conv_int8_db.s computes a 3x3 int8 conv layer over a
// 36x32x32 input into 64 channels. This header makes its data (seeded) and
// the plain reference result, for the simulator and runtime tests.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_UNITTESTS_NPU_CONVDEMODATA_H
#define TESSEL_UNITTESTS_NPU_CONVDEMODATA_H

#include "tessel/Support/QuantMath.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace tessel::convdemo {

constexpr int H = 36, W = 32, C = 32, CO = 64;
constexpr uint64_t kInAddr = 0x0, kWAddr = 0x9000, kTblAddr = 0xd800,
                   kOutAddr = 0x10000, kDdrBytes = 0x22000;

struct ConvData {
  std::vector<int8_t> in, w;
  std::vector<int64_t> bias;
  std::vector<int32_t> mult, shift;
  std::vector<int8_t> expected;
};

inline std::vector<int8_t> reference(const ConvData &d,
                                     const std::vector<int8_t> &in);

inline ConvData makeData(uint64_t seed = 42) {
  ConvData d;
  std::mt19937_64 rng(seed);
  d.in.resize(H * W * C);
  d.w.resize(CO * 9 * C);
  for (int8_t &x : d.in)
    x = static_cast<int8_t>(rng() % 256);
  for (int8_t &x : d.w)
    x = static_cast<int8_t>(rng() % 256);
  for (int co = 0; co < CO; ++co) {
    support::Requant r =
        support::quantizeMultiplier(0.0005 + 0.0001 * (rng() % 40));
    d.mult.push_back(r.multiplier);
    d.shift.push_back(r.shift);
    d.bias.push_back(static_cast<int64_t>(rng() % 20001) - 10000);
  }
  d.expected = reference(d, d.in);
  return d;
}

inline std::string demoText() {
  std::ifstream f(std::string(TESSEL_SOURCE_DIR) +
                  "/test/lit/NPU/Inputs/conv_int8_db.s");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// The weights blob of the demo as a deployable binary places it at
/// kWAddr: the weights, then the requant table (contiguous).
inline std::vector<uint8_t> weightsBlob(const ConvData &d) {
  std::vector<uint8_t> b(kTblAddr - kWAddr + 16 * CO);
  std::memcpy(b.data(), d.w.data(), d.w.size());
  for (int co = 0; co < CO; ++co) {
    uint8_t *e = b.data() + (kTblAddr - kWAddr) + 16 * co;
    std::memcpy(e, &d.bias[co], 8);
    std::memcpy(e + 8, &d.mult[co], 4);
    std::memcpy(e + 12, &d.shift[co], 4);
  }
  return b;
}

/// The reference output of the layer for another input.
inline std::vector<int8_t> reference(const ConvData &d,
                                     const std::vector<int8_t> &in) {
  std::vector<int8_t> out(H * W * CO);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int co = 0; co < CO; ++co) {
        int64_t acc = 0;
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx) {
            int iy = y - 1 + ky, ix = x - 1 + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W)
              continue;
            for (int ci = 0; ci < C; ++ci)
              acc += (in[(iy * W + ix) * C + ci] + 3) *
                     d.w[((co * 3 + ky) * 3 + kx) * C + ci];
          }
        int64_t v = support::requantizeOutput(
            acc, d.bias[co], {d.mult[co], d.shift[co]}, 5, 8, true);
        out[(y * W + x) * CO + co] =
            static_cast<int8_t>(std::max<int64_t>(v, 5));
      }
  return out;
}

} // namespace tessel::convdemo

#endif // TESSEL_UNITTESTS_NPU_CONVDEMODATA_H
