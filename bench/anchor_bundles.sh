#!/usr/bin/env bash
# The correct way to list every bundle of a fat binary with the real tools (the "anchor
# pipeline" rocm-doctor is measured against): cut the section out with objcopy, split it at
# each 4096-aligned bundle magic, zstd/zlib-decompress compressed (CCOB) bundles by hand, and
# run clang-offload-bundler --list on each. Prints one line per entry: "<bundle#> <entry id>".
# usage: bench/anchor_bundles.sh FILE [BUNDLER]
set -euo pipefail

file="$1"
bundler="${2:-/usr/lib/llvm-19/bin/clang-offload-bundler}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

objcopy -O binary --only-section=.hip_fatbin "$file" "$work/section" 2>/dev/null ||
  objcopy --dump-section .hip_fatbin="$work/section" "$file" "$work/discard"

# Bundle offsets: the magics at 4096-aligned offsets (python only finds them; the real tools do
# the rest).
python3 - "$work/section" >"$work/offsets" <<'PY'
import mmap, sys
with open(sys.argv[1], "rb") as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    for off in range(0, len(m), 4096):
        if m[off:off + 24] == b"__CLANG_OFFLOAD_BUNDLE__" or m[off:off + 4] == b"CCOB":
            print(off)
PY

mapfile -t offsets <"$work/offsets"
size="$(stat -c %s "$work/section")"
for i in "${!offsets[@]}"; do
  start="${offsets[$i]}"
  next="${offsets[$((i + 1))]:-$size}"
  part="$work/b$i"
  dd if="$work/section" of="$part" bs=4096 skip="$((start / 4096))" \
    count="$(((next - start + 4095) / 4096))" status=none
  if [[ "$(head -c 4 "$part")" == "CCOB" ]]; then
    version="$(od -An -tu2 -j4 -N2 "$part" | tr -d ' ')"
    method="$(od -An -tu2 -j6 -N2 "$part" | tr -d ' ')"
    case "$version" in
      3) header=32 ;;
      2) header=24 ;;
      *) header=20 ;;
    esac
    tail -c "+$((header + 1))" "$part" >"$part.z"
    if [[ "$method" == "1" ]]; then
      zstd -q -d -c "$part.z" >"$part.plain" 2>/dev/null || true
    else
      python3 -c 'import sys, zlib; d = zlib.decompressobj(); sys.stdout.buffer.write(d.decompress(open(sys.argv[1], "rb").read()))' "$part.z" >"$part.plain"
    fi
    part="$part.plain"
  fi
  "$bundler" --list --type=o --input="$part" | sed "s/^/$i /"
done
