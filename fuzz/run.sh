#!/usr/bin/env bash
# Runs one fuzz target with the project's settings: seeds from seeds/<target>, working corpus
# in corpus/<target> (gitignored), crashes in artifacts/<target>.
#
#   ./run.sh <target> [seconds] [extra libFuzzer flags...]
#
# seconds = 0 (the default) runs until a crash or Ctrl-C. Needs cargo-fuzz; works on stable
# through RUSTC_BOOTSTRAP=1 (cargo-fuzz passes nightly-only flags such as -Zsanitizer).
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: ./run.sh <sniff|bitcode|bundle|code_object> [seconds] [libFuzzer flags...]}
secs=${2:-0}
shift $(( $# >= 2 ? 2 : 1 ))
case $target in
  sniff) max_len=1024 ;;
  bitcode|bundle|code_object) max_len=65536 ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
mkdir -p "corpus/$target"
exec env RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
  -max_len="$max_len" -timeout=10 -rss_limit_mb=512 -max_total_time="$secs" \
  -print_final_stats=1 "$@"
