// RUN: tessel-opt %s -tessel-npu-partition='chip=mobile-m cores=3' -verify-diagnostics
// RUN: not tessel-opt %s -tessel-npu-partition="chip=cloud-l cores=2 mos=4" 2>&1 | FileCheck %s --check-prefix=MOS
// RUN: not tessel-opt %s -tessel-npu-partition='chip=nope' 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not tessel-opt %s -tessel-npu-partition='chip=mobile-m vtcm-limit-percent=0' 2>&1 | FileCheck %s --check-prefix=VTCM

// Bad options name the option, the value and the limit.
// MOS: --mos=4 must be in [1, --cores=2]
// CHIP: unknown chip 'nope' (known chips: edge-s, mobile-m, cloud-l)
// VTCM: --vtcm-limit-percent=0 must be in [1, 100]

// expected-error @+1 {{--cores=3 is outside [1, 1]: chip mobile-m has 1 core}}
module {
  func.func @main(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
    %a = graph.add %x, %x : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    return %a : tensor<2x8xf32>
  }
}
