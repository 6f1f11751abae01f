#!/usr/bin/env python3
"""Lists the DEVELOPMENT cases of the explain corpus (tests/fixtures/logs/cases-*.toml).

The split is fixed (see tests/explain_corpus.rs, which implements the same rule):
  - every case of cases-a.toml and cases-b.toml is development;
  - any other case is held-out iff the first byte of
    sha256("rocm-doctor-heldout-2026-12-07:" + url) is < 103, else development.

Held-out cases are never printed: only their number. Use this script (and only this script)
to choose which logs to read while writing signatures and mappings.

  scripts/corpus-split.py              # development log paths, relative to tests/fixtures/logs
  scripts/corpus-split.py --long       # path, category, url, diagnosis (tab separated)
  scripts/corpus-split.py --counts     # how many development / held-out cases
Stdlib only.
"""
import hashlib
import pathlib
import sys
import tomllib

SALT = "rocm-doctor-heldout-2026-12-07:"
THRESHOLD = 103
ALWAYS_DEV = {"cases-a.toml", "cases-b.toml"}


def is_heldout(index_name: str, url: str) -> bool:
    if index_name in ALWAYS_DEV:
        return False
    return hashlib.sha256((SALT + url).encode()).digest()[0] < THRESHOLD


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "logs"
    long = "--long" in sys.argv
    counts = "--counts" in sys.argv
    dev, held = [], 0
    for index in sorted(root.glob("cases-*.toml")):
        with open(index, "rb") as f:
            cases = tomllib.load(f).get("case", [])
        for c in cases:
            if is_heldout(index.name, c["url"]):
                held += 1
            else:
                dev.append((c["file"], c["category"], c["url"], c.get("diagnosis", ""), index.name))
    if counts:
        print(f"development {len(dev)}\nheld-out {held}")
        return 0
    for file, cat, url, diag, index in dev:
        print("\t".join([file, cat, url, diag]) if long else file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
