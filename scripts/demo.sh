#!/usr/bin/env bash
# demo.sh - what `make run` shows: the bundled model through Tessel.
set -euo pipefail
BUILD=${1:-build}
echo "demo: the build is in $BUILD"
