#!/usr/bin/env bash
# Runs every test of rocm-doctor on a fresh Debian 12 machine: installs the real tools the
# tests check our answers against (LLVM 14/15/16/19, clang-offload-bundler, zstd; needs root or
# sudo), fetches the real ROCm packages and wheels (~400 MB download, cached under
# fixtures/downloads), then runs the whole workspace's tests with those inputs required.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

bash .ci/install.sh
bash fixtures/fetch.sh

# Tests that read the real corpus or call the real tools skip when either is missing, unless
# this is set: here both must be present, so nothing is silently skipped.
export ROCM_DOCTOR_REQUIRE_CORPUS=1
cargo test --workspace --release
