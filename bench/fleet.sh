#!/usr/bin/env bash
# Times `rocm-doctor fleet` on 10,000 node files (or N: bench/fleet.sh N). The files are real
# `check --json` outputs of the demo and the scenario trees, copied round-robin under
# node names gpu00000.json…; the page cache is warm (hyperfine runs a warmup first).
# Prints the mean wall time. Needs cargo; uses hyperfine when installed, else /usr/bin/time.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
count="${1:-10000}"

cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-$repo/target}/release/rocm-doctor"

work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT
mkdir "$work/seed" "$work/nodes"
"$bin" check --json --demo >"$work/seed/demo.json"
for root in rx6700xt-override rx7900xtx mi210-pair no-driver two-rocms; do
  "$bin" check --json --root "tests/fixtures/roots/$root" >"$work/seed/$root.json"
done
seeds=("$work"/seed/*.json)
for ((i = 0; i < count; i++)); do
  cp "${seeds[$((i % ${#seeds[@]}))]}" "$(printf '%s/nodes/gpu%05d.json' "$work" "$i")"
done
bytes="$(du -sb "$work/nodes" | cut -f1)"
echo "fleet bench: $count node files, $((bytes / 1024 / 1024)) MiB, $(nproc) cores"

if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --warmup 1 --runs 10 --export-json "$work/h.json" \
    "$bin fleet --json $work/nodes" >/dev/null
  mean="$(python3 - "$work/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{r['mean'] * 1000:.0f} ms ± {r['stddev'] * 1000:.0f} ms")
PY
)"
  echo "fleet --json on $count files: $mean (hyperfine, 10 runs)"
else
  "$bin" fleet --json "$work/nodes" >/dev/null # warm the cache
  /usr/bin/time -f "fleet --json on $count files: %e s wall, %M KiB peak RSS" \
    "$bin" fleet --json "$work/nodes" >/dev/null
fi
