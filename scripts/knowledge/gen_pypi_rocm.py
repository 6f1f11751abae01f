#!/usr/bin/env python3
"""ROCm versions named by PyPI packages built on ROCm (hip-python, jax-rocm*-plugin, ...).

Reads wheels downloaded with the ordinary client, e.g.
    pip download --no-deps -d WHEELDIR "hip-python==7.2.2.562.43" "jax-rocm7-plugin==0.10.2"
and writes src/knowledge/data/generated/pypi_rocm.toml: per wheel its name, version, the ROCm
version it names (hip-python: the first three parts of its version; JAX plugins: the
"ROCm:X" of their summary; absent when the wheel does not say) and the names of its
requirements. The wheel's sha256 stands in for a commit.

Usage: gen_pypi_rocm.py WHEELDIR
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import os
import re
import sys
import zipfile

import _common as c

UPSTREAM = "https://pypi.org/project"


def metadata(path: str):
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(z.read(name).decode("utf-8"), headersonly=True)


def rocm_of(name: str, version: str, summary: str) -> str | None:
    m = re.search(r"ROCm:\s*(\d+(?:\.\d+)+)", summary or "")
    if m:
        return m.group(1)
    if name == "hip-python":
        parts = version.split(".")
        if len(parts) >= 3 and all(p.isdigit() for p in parts[:3]):
            return ".".join(parts[:3])
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wheeldir")
    a = ap.parse_args()
    read = c.today()
    rows, digests, files = [], [], []
    for fn in sorted(os.listdir(a.wheeldir)):
        if not fn.endswith(".whl"):
            continue
        path = os.path.join(a.wheeldir, fn)
        with open(path, "rb") as f:
            digest = "sha256:" + hashlib.sha256(f.read()).hexdigest()
        md = metadata(path)
        name, version = md["Name"].lower(), md["Version"]
        rocm = rocm_of(name, version, md.get("Summary", ""))
        reqs = sorted({re.split(r"[\s;<>=~!\[(]", r, maxsplit=1)[0].lower() for r in md.get_all("Requires-Dist") or []})
        url = f"{UPSTREAM}/{name}/{version}/#{fn}"
        lines = ["[[wheel]]", f"package = {c.q(name)}", f"version = {c.q(version)}", f"file = {c.q(fn)}"]
        if rocm:
            lines.append(f"rocm = {c.q(rocm)}")
        lines += [f"requires = {c.qlist(reqs)}", f"upstream_file = {c.q(url)}", f"commit = {c.q(digest)}",
                  f"read = {c.q(read)}"]
        rows.append("\n" + "\n".join(lines) + "\n")
        digests.append(digest)
        files.append(fn)
    if not rows:
        print(f"no wheels in {a.wheeldir}", file=sys.stderr)
        return 1
    body = ("# One row per wheel read. `rocm` is the ROCm version the wheel names (absent when it\n"
            "# names none, e.g. a summary saying ROCm:unknown); commit is the wheel's sha256.\n") + "".join(rows)
    c.write("pypi_rocm.toml", "gen_pypi_rocm.py", UPSTREAM, files, digests, read, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
