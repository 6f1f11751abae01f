#!/usr/bin/env bash
# Copies the logs collected in /work/logs-staging/col-*/ into tests/fixtures/logs/:
# each collector's cases file becomes tests/fixtures/logs/cases-col-X.toml, each log keeps its
# path relative to the staging folder (= relative to tests/fixtures/logs/). Cases whose log is
# missing, or whose URL is already in another index, are left out. Safe to re-run: the
# imported files are replaced by the current staging state.
# Prints counts only: held-out logs must not be looked at (see scripts/corpus-split.py).
# Usage: scripts/corpus-import.sh [STAGING_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
staging="${1:-/work/logs-staging}"
dest="$here/tests/fixtures/logs"
python3 - "$staging" "$dest" <<'PY'
import pathlib, shutil, sys, tomllib

staging, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])

def q(s):
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"' + "".join(ch if ord(ch) >= 0x20 or ch in "\\" else "\\u%04x" % ord(ch) for ch in out) + '"'

# URLs of the fixed parts a and b come first; collectors may not repeat them.
seen = set()
for fixed in ("cases-a.toml", "cases-b.toml"):
    with open(dest / fixed, "rb") as f:
        seen.update(c["url"] for c in tomllib.load(f)["case"])
total = 0
for col in sorted(staging.glob("col-*")):
    name = col.name
    idx = col / f"cases-{name}.toml"
    out = dest / f"cases-{name}.toml"
    if not idx.exists():
        continue
    try:
        with open(idx, "rb") as f:
            cases = tomllib.load(f).get("case", [])
    except Exception as e:  # a collector may be mid-write: keep the last good import
        print(f"{name}: index does not parse ({type(e).__name__}); previous import kept")
        continue
    kept, skipped = [], 0
    for c in cases:
        need = ("file", "url", "category", "diagnosis", "context", "harmful")
        if not all(k in c for k in need) or c["url"] in seen:
            skipped += 1
            continue
        src = col / c["file"]
        if not src.is_file() or ".." in pathlib.PurePosixPath(c["file"]).parts:
            skipped += 1
            continue
        target = dest / c["file"]
        if target.exists() and target.read_bytes() != src.read_bytes() and not (out.exists() and c["file"] in out.read_text()):
            skipped += 1  # a different log of another part already has this path
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        seen.add(c["url"])
        kept.append(c)
    lines = [f"# Imported by scripts/corpus-import.sh from {idx}; do not edit here.", ""]
    for c in kept:
        lines += ["[[case]]"] + [f"{k} = {q(c[k])}" for k in ("file", "url", "category", "diagnosis", "context")]
        lines += ["harmful = [" + ", ".join(q(h) for h in c["harmful"]) + "]", ""]
    out.write_text("\n".join(lines))
    total += len(kept)
    print(f"{name}: {len(kept)} cases imported, {skipped} left out")
print(f"total imported: {total}")
PY
python3 "$here/scripts/corpus-split.py" --counts
