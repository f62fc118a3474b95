#!/usr/bin/env bash
# install-deps.sh - install what Tessel needs on Debian 12, idempotently.
#
# Debian packages (LLVM/MLIR 22 from bookworm-security, libonnx, protobuf,
# z3, googletest, the toolchain) and a project-local Python virtualenv with
# the pinned PyPI packages in requirements.txt. Nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache git
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libprotobuf-dev protobuf-compiler libonnx-dev libonnx-testdata
  libz3-dev libgtest-dev
  g++-aarch64-linux-gnu qemu-user
  python3 python3-venv
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
stamp="$VENV/.requirements-installed"
if [ ! -x "$VENV/bin/python" ]; then
  echo "install-deps: creating the Python virtualenv in $VENV"
  "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || ! cmp -s requirements.txt "$stamp"; then
  echo "install-deps: installing Python packages from requirements.txt"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$stamp"
fi
