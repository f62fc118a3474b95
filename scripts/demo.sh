#!/usr/bin/env bash
# demo.sh - what `make run` shows: the bundled model through Tessel.
set -euo pipefail
BUILD=${1:-build}
MODEL=test/models/tiny_cnn.onnx
BIN=$BUILD/bin
echo "== Tessel: importing and optimizing $MODEL"
"$BIN/tessel-compile" "$MODEL" --emit=graph --elide-weights-larger-than=64
echo
"$BIN/tessel-compile" "$MODEL" --stats
