#!/usr/bin/env bash
# Regenerates src/demo/snapshot.json from tests/fixtures/roots/rx5600xt-rocm702 after the tree
# or the probes change (tests/demo.rs fails until this is run).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -- scan --root tests/fixtures/roots/rx5600xt-rocm702 --json \
  | python3 -c 'import json,sys; d=json.load(sys.stdin)["snapshot"]; d["root"]="demo:rx5600xt-rocm702"; json.dump(d,sys.stdout,indent=1,sort_keys=True); print()' \
  > src/demo/snapshot.json
echo "wrote src/demo/snapshot.json"
