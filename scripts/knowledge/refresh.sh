#!/bin/sh
# Regenerates every table under src/knowledge/data/generated/ from local copies of the upstream
# sources, then runs the knowledge tests. Review the diff (git diff src/knowledge/data/generated)
# before committing: docs/knowledge.md says what to look for.
#
# Usage: scripts/knowledge/refresh.sh ROCM_GIT THEROCK_GIT UV_GIT WHEEL_DIR
#   ROCM_GIT     git dir or clone holding ROCm/ROCm (docs/compatibility/..., docs/release/versions.md)
#   THEROCK_GIT  git dir or clone of ROCm/TheRock, with its therock-* tags and release/therock-* branches
#   UV_GIT       git dir or clone of astral-sh/uv
#   WHEEL_DIR    wheels fetched with: pip download --no-deps -d WHEEL_DIR hip-python==... jax-rocm7-plugin==...
# Each git copy is read at HEAD; set ROCM_REV / THEROCK_REV / UV_REV to read another revision.
# KNOWLEDGE_READ_DATE=YYYY-MM-DD overrides the "read" date (default: today, UTC).
set -eu
if [ "$#" -ne 4 ]; then
    sed -n '2,13p' "$0" >&2
    exit 2
fi
here=$(dirname "$0")
python3 "$here/gen_rocm_matrix.py" "$1" --rev "${ROCM_REV:-HEAD}"
python3 "$here/gen_therock.py" "$2" --rev "${THEROCK_REV:-HEAD}"
python3 "$here/gen_torch_indexes.py" "$3" --rev "${UV_REV:-HEAD}"
python3 "$here/gen_pypi_rocm.py" "$4"
git -C "$here/../.." diff --stat -- src/knowledge/data/generated
echo "now: cargo test --release --lib knowledge, then review git diff src/knowledge/data/generated" >&2
