#!/usr/bin/env bash
# check-ukernels-aarch64.sh - build the micro-kernels and their GoogleTests
# for AArch64 (NEON through the portable path) and run them under qemu-user.
#
#   scripts/check-ukernels-aarch64.sh [OUT_DIR]
#
# Needs the Debian packages g++-aarch64-linux-gnu, qemu-user and
# googletest (sources in /usr/src/googletest). Not part of `make check`: one
# -O2 compile of gtest and the library takes about 40 s of one core.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/aarch64}
for tool in aarch64-linux-gnu-g++ qemu-aarch64; do
  if ! command -v "$tool" >/dev/null; then
    echo "check-ukernels-aarch64: $tool is missing (apt-get install g++-aarch64-linux-gnu qemu-user)" >&2
    exit 1
  fi
done
gtest=/usr/src/googletest/googletest
mkdir -p "$out"
aarch64-linux-gnu-g++ -std=gnu++17 -O2 -ffp-contract=fast -Wall \
  -Wno-unused-parameter -Iinclude -I"$gtest/include" -I"$gtest" \
  lib/UKernels/*.cpp unittests/UKernels/*.cpp \
  "$gtest/src/gtest-all.cc" "$gtest/src/gtest_main.cc" \
  -pthread -static -o "$out/TesselUKernelsTests" 2> >(grep -v getaddrinfo >&2)
qemu-aarch64 "$out/TesselUKernelsTests" --gtest_brief=1
