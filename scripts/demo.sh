#!/usr/bin/env bash
# demo.sh - what `make run` shows: the bundled model through Tessel.
set -euo pipefail
BUILD=${1:-build}
MODEL=test/models/tiny_cnn.onnx
REF=test/models/tiny_cnn_ref/test_data_set_0
BIN=$BUILD/bin
OUT=$BUILD/demo
mkdir -p "$OUT"
echo "== Tessel: importing and optimizing $MODEL"
"$BIN/tessel-compile" "$MODEL" --emit=graph --layout=nhwc --elide-weights-larger-than=64
echo
"$BIN/tessel-compile" "$MODEL" --layout=nhwc --stats
echo
echo "== Compiling for this CPU and running it (checked against onnxruntime's output)"
"$BIN/tessel-compile" "$MODEL" --target=cpu -o "$OUT/tiny_cnn.tsl"
"$BIN/tessel-run" "$OUT/tiny_cnn.tsl" --input "input=$REF/input_0.pb" \
  --expect "logits=$REF/output_0.pb" --rtol 1e-4 --atol 1e-5 --repeat 100
