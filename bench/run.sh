#!/usr/bin/env bash
# Times rocm-doctor against the real tools on the same files, in one run, and prints ratios.
#   bundles:  `rocm-doctor inspect --json FILE` vs bench/anchor_bundles.sh FILE (objcopy, split,
#             zstd, clang-offload-bundler --list on every bundle), per file and all at once
#   bitcode:  producer + triple of the 51 device libs (`--readers none`) vs `llvm-bcanalyzer-19
#             -dump` on each; reader verdicts (`--readers 14,15,16,19`) vs running llvm-dis-14,
#             -15, -16 and -19 on each
#   memory:   peak RSS of rocm-doctor on the 1.3 GB librocsparse
# Needs .ci/install.sh and fixtures/fetch.sh first. Warm page cache (each command runs before
# timing). Writes bench/out/*.json, prints a Markdown table, and with --readme puts it into
# README.md between the bench markers.
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

mean() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$1"; }
ms() { python3 -c 'import sys; v = float(sys.argv[1]) * 1000; print(f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms")' "$1"; }
ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.0f}×")' "$1" "$2"; }

# hyperfine NAME COMMAND [RUNS]: mean seconds of COMMAND (a string run by bash).
time_cmd() {
  local name="$1" cmd="$2" runs="${3:-10}"
  hyperfine --warmup 1 --runs "$runs" --export-json "$out/$name.json" "$cmd" >/dev/null 2>&1
  mean "$out/$name.json"
}

table="$out/table.md"
{
  printf '| task (same files, warm cache) | rocm-doctor | real tools | ratio |\n|---|---|---|---|\n'
  total_anchor=0
  for f in "${with_fatbin[@]}"; do
    # <package>: <file>, e.g. cupy-rocm-5-0: cub.cpython-311-x86_64-linux-gnu.so
    rel="${f#"$corpus"/}"
    pkg="${rel#*/}"
    name="${pkg%%/*}: $(basename "$f")"
    slug="${name//[^A-Za-z0-9._-]/_}"
    d="$(time_cmd "doctor-$slug" "'$doctor' inspect --json '$f' >/dev/null")"
    a="$(time_cmd "anchor-$slug" "bash bench/anchor_bundles.sh '$f' >/dev/null" 3)"
    total_anchor="$(python3 -c "print($total_anchor + $a)")"
    printf '| every bundle of %s | %s | %s | %s |\n' "$name" "$(ms "$d")" "$(ms "$a")" "$(ratio "$a" "$d")"
  done
  quoted=""
  for f in "${with_fatbin[@]}"; do quoted+=" '$f'"; done
  d="$(time_cmd doctor-all "'$doctor' inspect --json $quoted >/dev/null")"
  printf '| **every bundle of all %d fat binaries** (one rocm-doctor call) | %s | %s | **%s** |\n' \
    "${#with_fatbin[@]}" "$(ms "$d")" "$(ms "$total_anchor")" "$(ratio "$total_anchor" "$d")"

  libs="$corpus/debian/rocm-device-libs/usr/lib/x86_64-linux-gnu/amdgcn/bitcode"
  d="$(time_cmd doctor-devicelibs "'$doctor' inspect --json --readers none '$libs' >/dev/null")"
  a="$(time_cmd bcanalyzer-devicelibs "for f in '$libs'/*.bc; do llvm-bcanalyzer-19 -dump \"\$f\" >/dev/null; done" 3)"
  printf '| **producer + triple of the 51 device libs** (vs llvm-bcanalyzer-19 -dump) | %s | %s | **%s** |\n' \
    "$(ms "$d")" "$(ms "$a")" "$(ratio "$a" "$d")"
  d="$(time_cmd doctor-readers "'$doctor' inspect --json --readers 14,15,16,19 '$libs' >/dev/null")"
  a="$(time_cmd dis-readers "for f in '$libs'/*.bc; do for n in 14 15 16 19; do llvm-dis-\$n -o /dev/null \"\$f\" 2>/dev/null || true; done; done" 3)"
  printf '| which of LLVM 14/15/16/19 load each device lib (vs running llvm-dis-N on each) | %s | %s | %s |\n' \
    "$(ms "$d")" "$(ms "$a")" "$(ratio "$a" "$d")"

  rocsparse="${fatbins[0]}"
  rss="$( { /usr/bin/time -f '%M' "$doctor" inspect --json "$rocsparse" >/dev/null; } 2>&1 | tail -n 1)"
  # shellcheck disable=SC2016 # backticks are Markdown
  printf '\nPeak RSS of `rocm-doctor inspect librocsparse.so.0.1` (%s, warm page cache): %s MB.\n' \
    "$(du -h "$rocsparse" | cut -f1)" "$(python3 -c "print(round($rss * 1024 / 1e6, 1))")"
  # shellcheck disable=SC2016 # backticks are Markdown
  printf '\nMeasured %s on %s (%s cores) with `bench/run.sh`.\n' "$(date -u +%Y-%m-%d)" \
    "$(uname -m)" "$(nproc)"
} >"$table"
cat "$table"

if [[ "${1:-}" == "--readme" ]]; then
  python3 - "$table" "$repo/README.md" <<'PY'
import sys
table, readme = open(sys.argv[1]).read(), open(sys.argv[2]).read()
start, end = "<!-- bench:start -->", "<!-- bench:end -->"
a, b = readme.index(start) + len(start), readme.index(end)
open(sys.argv[2], "w").write(readme[:a] + "\n" + table + readme[b:])
PY
fi
