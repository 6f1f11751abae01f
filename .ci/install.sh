#!/usr/bin/env bash
# Install every system package the tests, fixtures and benches of rocm-doctor need
# (Debian 12 "bookworm"). Idempotent: packages already installed are skipped, and
# `apt-get update` runs only when something is missing.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

packages=(
  llvm-13 llvm-14 llvm-15 llvm-16 llvm-19 llvm-22
  clang-16 clang-19
  clang-tools-16 clang-tools-19
  lld-16 lld-19
  zstd shellcheck hyperfine binutils time
  python3 python3-pip unzip xxd file ca-certificates
  chromium fonts-dejavu-core
)

missing=()
for pkg in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
if [[ "$(id -u)" != "0" ]]; then
  sudo_cmd=(sudo)
fi

echo "install.sh: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
