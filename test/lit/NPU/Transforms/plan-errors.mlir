// RUN: tessel-opt %s -split-input-file -verify-diagnostics -tessel-npu-split

// A hand-written segment whose conv cannot fit a 1% VTCM budget: the split
// names the layer and the constraint.
module attributes {npu.target = {chip = "mobile-m", vtcm_limit_percent = 1.0 : f64}} {
  func.func private @npu_0(%x: tensor<1x16x16x256xf16>) -> tensor<1x16x16x256xf16> attributes {npu.segment} {
    %w = npu.constant dense<1.0> : tensor<256x3x3x256xf16>
    // expected-error @+1 {{layer 'big' (conv): no tiling fits the VTCM budget: the smallest needs 643072 bytes, but only 65208 of the 73400 bytes allowed (--vtcm-limit-percent=1) are free}}
    %y = npu.conv %x, %w {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, npu.name = "big"} : (tensor<1x16x16x256xf16>, tensor<256x3x3x256xf16>) -> tensor<1x16x16x256xf16>
    return %y : tensor<1x16x16x256xf16>
  }
}

