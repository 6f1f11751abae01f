#!/usr/bin/env bash
# Times rocm-doctor against the real tools on the same files, in one run, and prints ratios.
#   bundles:  `rocm-doctor inspect --json FILE` vs bench/anchor_bundles.sh FILE (objcopy, split,
#             zstd, clang-offload-bundler --list on every bundle)
#   bitcode:  `rocm-doctor inspect --json DIR` over the 51 device libs vs
#             `llvm-bcanalyzer-19 -dump` on each
#   memory:   peak RSS of rocm-doctor on the 1.3 GB librocsparse
# Needs .ci/install.sh and fixtures/fetch.sh first. Warm page cache (each command runs once
# before timing). Writes bench/out/*.json and prints a Markdown table.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
corpus="${ROCM_DOCTOR_CORPUS:-$repo/fixtures/downloads}"
out="$repo/bench/out"
mkdir -p "$out"

cargo build --release --quiet
doctor="$repo/target/release/rocm-doctor"

fatbins=(
  "$corpus/debian/librocsparse0/usr/lib/x86_64-linux-gnu/librocsparse.so.0.1"
  "$corpus/debian/librocrand1/usr/lib/x86_64-linux-gnu/librocrand.so.1.1"
)
while IFS= read -r -d '' so; do
  fatbins+=("$so")
done < <(find "$corpus/pypi" -name '*.so*' -type f -size +100k -print0 | sort -z)

# Keep only files that hold a .hip_fatbin section.
with_fatbin=()
for f in "${fatbins[@]}"; do
  if readelf -S -W "$f" 2>/dev/null | grep -q '\.hip_fatbin'; then
    with_fatbin+=("$f")
  fi
done

ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.0f}")' "$1" "$2"; }
mean() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$1"; }

printf '| input | rocm-doctor | real tools | ratio |\n|---|---|---|---|\n'
total_doctor=0
total_anchor=0
for f in "${with_fatbin[@]}"; do
  name="$(basename "$f")"
  hyperfine -N --warmup 2 --min-runs 10 --export-json "$out/doctor-$name.json" \
    "$doctor inspect --json $f" >/dev/null
  hyperfine --warmup 1 --runs 3 --export-json "$out/anchor-$name.json" \
    "bash bench/anchor_bundles.sh '$f' >/dev/null" >/dev/null
  d="$(mean "$out/doctor-$name.json")"
  a="$(mean "$out/anchor-$name.json")"
  total_doctor="$(python3 -c "print($total_doctor + $d)")"
  total_anchor="$(python3 -c "print($total_anchor + $a)")"
  printf '| %s: every bundle | %.2f ms | %.0f ms | %s× |\n' "$name" "$(python3 -c "print($d*1000)")" \
    "$(python3 -c "print($a*1000)")" "$(ratio "$a" "$d")"
done
printf '| **all fat binaries** | %.2f ms | %.0f ms | **%s×** |\n' \
  "$(python3 -c "print($total_doctor*1000)")" "$(python3 -c "print($total_anchor*1000)")" \
  "$(ratio "$total_anchor" "$total_doctor")"

libs="$corpus/debian/rocm-device-libs/usr/lib/x86_64-linux-gnu/amdgcn/bitcode"
hyperfine -N --warmup 2 --min-runs 10 --export-json "$out/doctor-devicelibs.json" \
  "$doctor inspect --json $libs" >/dev/null
hyperfine --warmup 1 --runs 3 --export-json "$out/bcanalyzer-devicelibs.json" \
  "for f in $libs/*.bc; do llvm-bcanalyzer-19 -dump \"\$f\" >/dev/null; done" >/dev/null
d="$(mean "$out/doctor-devicelibs.json")"
a="$(mean "$out/bcanalyzer-devicelibs.json")"
printf '| 51 device libs: producer + triple | %.2f ms | %.0f ms | **%s×** |\n' \
  "$(python3 -c "print($d*1000)")" "$(python3 -c "print($a*1000)")" "$(ratio "$a" "$d")"

rocsparse="${fatbins[0]}"
sync
rss="$( { /usr/bin/time -f '%M' "$doctor" inspect --json "$rocsparse" >/dev/null; } 2>&1 | tail -n 1)"
printf '\nPeak RSS, rocm-doctor inspect librocsparse.so.0.1 (%s): %s KiB (%.1f MB)\n' \
  "$(du -h "$rocsparse" | cut -f1)" "$rss" "$(python3 -c "print($rss*1024/1e6)")"
