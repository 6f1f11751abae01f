#!/usr/bin/env bash
# Lints the scripts `rocm-doctor fix` writes: every solution, for the demo machine and the
# scenario roots, into a temporary directory whose name is hostile to unquoted shell (quotes,
# spaces, `$(…)`), then `bash -n` and `shellcheck -x` on every generated .sh file.
# Used by .ci/run; needs cargo and shellcheck.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

command -v shellcheck >/dev/null 2>&1 || { echo "shellcheck-fix: shellcheck is not installed" >&2; exit 1; }
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-$repo/target}/release/rocm-doctor"

tmp="$(mktemp -d)"
trap 'rm -rf -- "$tmp"' EXIT
# shellcheck disable=SC2016 # the command substitution is meant to stay literal
hostile='out dir '\''q'\'' "dq" $(touch /tmp/pwned)'

solutions=(container venv packages source-build env cpu-fallback native-build)
scenarios=(--demo rx6700xt-override rx7900xtx mi210-pair no-driver)
checked=0
for base in "$tmp/plain" "$tmp/$hostile"; do
  for scenario in "${scenarios[@]}"; do
    if [[ "$scenario" == --demo ]]; then
      source_args=(--demo)
      name=demo
    else
      source_args=(--root "tests/fixtures/roots/$scenario")
      name="$scenario"
    fi
    for solution in "${solutions[@]}"; do
      out="$base/$name/$solution"
      code=0
      "$bin" fix "$solution" --out "$out" "${source_args[@]}" >/dev/null || code=$?
      # 0: written; 1: the solution does not fit this machine (README only); else a failure.
      if [[ "$code" -gt 1 ]]; then
        echo "shellcheck-fix: fix $solution for $name failed (exit $code)" >&2
        exit 1
      fi
      for script in "$out"/*.sh; do
        [[ -e "$script" ]] || continue
        bash -n "$script"
        (cd "$out" && shellcheck -x "$script")
        checked=$((checked + 1))
      done
    done
  done
done
if [[ -e /tmp/pwned ]] && [[ /tmp/pwned -nt "$tmp" ]]; then
  echo "shellcheck-fix: generating ran the command in the directory name" >&2
  exit 1
fi
echo "shellcheck-fix: $checked generated scripts pass bash -n and shellcheck"
