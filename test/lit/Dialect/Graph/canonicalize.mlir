// RUN: tessel-opt %s -canonicalize -verify-each -split-input-file | FileCheck %s
//
// Canonicalization patterns and folders next to the ops: chains collapse,
// no-op data movement disappears, round-trip casts cancel, min/max with
// constants are clamps.

// CHECK-LABEL: func.func @reshape_chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[R:.*]] = graph.reshape %[[X]] : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  %0 = graph.reshape %x : (tensor<2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %1 = graph.reshape %0 : (tensor<1x2x3x4xf32>) -> tensor<24xf32>
  %2 = graph.reshape %1 : (tensor<24xf32>) -> tensor<6x4xf32>
  return %2 : tensor<6x4xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_chains
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = graph.transpose %[[X]] {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NEXT: return %[[X]], %[[T]]
func.func @transpose_chains(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x2x3xf32>) {
  %0 = graph.transpose %x {perm = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  %1 = graph.transpose %0 {perm = array<i64: 1, 0, 2>} : (tensor<3x2x4xf32>) -> tensor<2x3x4xf32>
  %2 = graph.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  %3 = graph.transpose %2 {perm = array<i64: 1, 0, 2>} : (tensor<2x4x3xf32>) -> tensor<4x2x3xf32>
  return %1, %3 : tensor<2x3x4xf32>, tensor<4x2x3xf32>
}

// -----

// Moving only size-1 dims keeps the element order: a reshape.
// CHECK-LABEL: func.func @transpose_as_reshape
// CHECK-NEXT: graph.reshape %{{.*}} : (tensor<1x8x1x1xf32>) -> tensor<1x1x1x8xf32>
// CHECK-NOT: graph.transpose
func.func @transpose_as_reshape(%x: tensor<1x8x1x1xf32>) -> tensor<1x1x1x8xf32> {
  %0 = graph.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x8x1x1xf32>) -> tensor<1x1x1x8xf32>
  return %0 : tensor<1x1x1x8xf32>
}

// -----

// CHECK-LABEL: func.func @concats
// CHECK-SAME: (%[[A:.*]]: tensor<2x1xf32>, %[[B:.*]]: tensor<2x2xf32>, %[[C:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: %[[R:.*]] = graph.concat %[[A]], %[[B]], %[[C]] {axis = 1 : i64} : (tensor<2x1xf32>, tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
// CHECK-NEXT: return %[[A]], %[[R]]
func.func @concats(%a: tensor<2x1xf32>, %b: tensor<2x2xf32>, %c: tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<2x6xf32>) {
  %0 = graph.concat %a {axis = 0 : i64} : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %1 = graph.concat %a, %b {axis = 1 : i64} : (tensor<2x1xf32>, tensor<2x2xf32>) -> tensor<2x3xf32>
  %2 = graph.concat %1, %c {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return %0, %2 : tensor<2x1xf32>, tensor<2x6xf32>
}

// -----

// Slices that read everything, zero pads, tiles by one, broadcasts to the
// same shape, resizes at scale 1 and clips without bounds are identities.
// CHECK-LABEL: func.func @noop_data_movement
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4xf32>)
// CHECK-NEXT: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[X]]
func.func @noop_data_movement(%x: tensor<1x2x4xf32>) -> (tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) {
  %0 = graph.slice %x {starts = array<i64: 0, 0, 0>, steps = array<i64: -1, 1, 1>} : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %1 = graph.pad %x {pads = array<i64: 0, 0, 0, 0, 0, 0>} : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %2 = graph.tile %x {repeats = array<i64: 1, 1, 1>} : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %3 = graph.broadcast_to %x : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %4 = graph.resize %x {coordinate_transformation_mode = #graph.coord_mode<half_pixel>, mode = #graph.resize_mode<linear>, scales = array<f64: 1.0, 1.0, 1.0>} : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %5 = graph.clip %x : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
}

// -----

// A slice that reverses a dim is not a no-op.
// CHECK-LABEL: func.func @reversing_slice_kept
// CHECK: graph.slice
func.func @reversing_slice_kept(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.slice %x {starts = array<i64: 3>, steps = array<i64: -1>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Casts through a type that holds every value cancel or compose; casts
// through a narrower type stay.
// CHECK-LABEL: func.func @cast_round_trips
// CHECK-SAME: (%[[F:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<4xi8>, %[[H:.*]]: tensor<4xf16>, %[[W:.*]]: tensor<4xi32>)
// CHECK-NEXT: %[[N1:.*]] = graph.cast %[[F]] : (tensor<4xf32>) -> tensor<4xf16>
// CHECK-NEXT: %[[N2:.*]] = graph.cast %[[N1]] : (tensor<4xf16>) -> tensor<4xf32>
// CHECK-NEXT: %[[D:.*]] = graph.cast %[[H]] : (tensor<4xf16>) -> tensor<4xi32>
// CHECK-NEXT: %[[N3:.*]] = graph.cast %[[W]] : (tensor<4xi32>) -> tensor<4xi8>
// CHECK-NEXT: %[[N4:.*]] = graph.cast %[[N3]] : (tensor<4xi8>) -> tensor<4xi32>
// CHECK-NEXT: return %[[F]], %[[I]], %[[N2]], %[[D]], %[[N4]]
func.func @cast_round_trips(%f: tensor<4xf32>, %i: tensor<4xi8>, %h: tensor<4xf16>, %w: tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi8>, tensor<4xf32>, tensor<4xi32>, tensor<4xi32>) {
  %0 = graph.cast %f : (tensor<4xf32>) -> tensor<4xf64>
  %1 = graph.cast %0 : (tensor<4xf64>) -> tensor<4xf32>
  %2 = graph.cast %i : (tensor<4xi8>) -> tensor<4xi32>
  %3 = graph.cast %2 : (tensor<4xi32>) -> tensor<4xi8>
  %4 = graph.cast %f : (tensor<4xf32>) -> tensor<4xf16>
  %5 = graph.cast %4 : (tensor<4xf16>) -> tensor<4xf32>
  %6 = graph.cast %h : (tensor<4xf16>) -> tensor<4xf32>
  %7 = graph.cast %6 : (tensor<4xf32>) -> tensor<4xi32>
  %8 = graph.cast %w : (tensor<4xi32>) -> tensor<4xi8>
  %9 = graph.cast %8 : (tensor<4xi8>) -> tensor<4xi32>
  return %1, %3, %5, %7, %9 : tensor<4xf32>, tensor<4xi8>, tensor<4xf32>, tensor<4xi32>, tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @double_negation
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @double_negation(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = graph.neg %x : (tensor<4xf32>) -> tensor<4xf32>
  %1 = graph.neg %0 : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// min(max(x, 0), 6) is ReLU6; max(x, 0) is ReLU; clamps merge.
// CHECK-LABEL: func.func @clamps
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-DAG: %[[R6:.*]] = graph.clip %[[X]] {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
// CHECK-DAG: %[[R:.*]] = graph.relu %[[X]]
// CHECK-DAG: %[[M:.*]] = graph.clip %[[X]] {max = 4.000000e+00 : f64, min = 1.000000e+00 : f64}
// CHECK: return %[[R6]], %[[R]], %[[M]]
func.func @clamps(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %zero = graph.constant dense<0.0> : tensor<f32>
  %six = graph.constant dense<6.0> : tensor<f32>
  %0 = graph.max %x, %zero : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = graph.min %0, %six : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %2 = graph.max %zero, %x : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = graph.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  %4 = graph.clip %3 {min = 1.0 : f64, max = 5.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  %5 = graph.clip %4 {max = 4.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  return %1, %2, %5 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// x + 0 with a fused activation is not x.
// CHECK-LABEL: func.func @add_zero_with_activation
// CHECK: graph.add {{.*}}activation = #graph.act<relu>
func.func @add_zero_with_activation(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = graph.constant dense<0.0> : tensor<4xf32>
  %0 = graph.add %x, %zero {activation = #graph.act<relu>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
