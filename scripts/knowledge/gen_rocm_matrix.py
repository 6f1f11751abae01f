#!/usr/bin/env python3
"""ROCm point releases: date, official Linux gfx targets, architectures and LLVM version.

Reads a local git copy of ROCm/ROCm (any clone or mirror holding the upstream commit):
  docs/compatibility/compatibility-matrix-historical-6.0.csv  (one column per release, 6.0.0 on)
  docs/release/versions.md                                     (release dates)
and writes src/knowledge/data/generated/rocm_matrix.toml.

Usage: gen_rocm_matrix.py GITDIR [--rev REV]
Only facts are kept (version numbers, gfx names, dates); none of the upstream prose.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys

import _common as c

UPSTREAM = "https://github.com/ROCm/ROCm"
CSV = "docs/compatibility/compatibility-matrix-historical-6.0.csv"
VERSIONS = "docs/release/versions.md"
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
FOOTNOTE = re.compile(r"\s*\[#[^\]]*\]_+")


def clean(cell: str) -> str:
    return FOOTNOTE.sub("", cell).strip()


def parse_dates(text: str) -> dict[str, str]:
    out = {}
    for m in re.finditer(r"^\|\s*\[(\d+\.\d+\.\d+)\]\([^)]*\)\s*\|\s*([A-Za-z]+)\.? (\d{1,2}), (\d{4})\s*\|", text, re.M):
        ver, mon, day, year = m.groups()
        month = MONTHS.get(mon[:3].lower())
        if month:
            out[ver] = f"{year}-{month:02d}-{int(day):02d}"
    return out


def parse_matrix(text: str):
    rows = list(csv.reader(io.StringIO("\n".join(l.strip() for l in text.splitlines()))))
    header = [h.strip() for h in rows[0]]
    assert header[0] == "ROCm Version", header[0]
    columns = header[1:]
    sections: dict[str, list[list[str]]] = {}
    current = None
    for row in rows[1:]:
        if not row:
            continue
        first = row[0].strip()
        if "GPU / LLVM target" in first:
            current = "gfx"
        elif "Architecture <" in first:
            current = "arch"
        elif first.startswith(":doc:`llvm-project"):
            sections["llvm"] = [row[1:]]
            current = None
            continue
        elif first:
            current = None
        if current is None:
            continue
        vals = [clean(v) for v in row[1:]]
        if not any(v and not v.startswith("..") for v in vals):
            if first == "":
                # a blank separator row ends the block; an anchor row does not start one
                if all(v == "" for v in vals):
                    current = None
            continue
        sections.setdefault(current, []).append(vals)
    out = []
    for i, col in enumerate(columns):
        def take(name):
            return [r[i] for r in sections.get(name, []) if i < len(r) and r[i] and not r[i].startswith("..")]
        gfx = take("gfx")
        arch = take("arch")
        llvm = take("llvm")
        for ver in col.split("/"):
            out.append((ver.strip(), gfx, arch, llvm[0] if llvm else None))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gitdir")
    ap.add_argument("--rev", default="HEAD")
    a = ap.parse_args()
    sha = c.rev_parse(a.gitdir, a.rev)
    read = c.today()
    matrix_text = c.git_show(a.gitdir, sha, CSV)
    versions_text = c.git_show(a.gitdir, sha, VERSIONS)
    if matrix_text is None or versions_text is None:
        print(f"{CSV} or {VERSIONS} missing at {sha}", file=sys.stderr)
        return 1
    dates = parse_dates(versions_text)
    matrix = {v: (g, ar, l) for v, g, ar, l in parse_matrix(matrix_text)}
    csv_url = f"{UPSTREAM}/blob/{sha}/{CSV}"
    ver_url = f"{UPSTREAM}/blob/{sha}/{VERSIONS}"

    def key(v):
        return tuple(int(p) for p in v.split("."))

    body = [
        "# One row per ROCm point release named in the release history. gfx/architectures/llvm_project\n"
        "# are present only for releases the historical compatibility matrix has a column for\n"
        "# (6.0.0 on); llvm_major is the major of the matrix's llvm-project version.\n"
    ]
    for ver in sorted(set(dates) | set(matrix), key=key):
        parts = key(ver)
        lines = [
            "[[release]]",
            f"rocm = {c.q(ver)}",
            f"line = {c.q(f'{parts[0]}.{parts[1]}')}",
        ]
        if ver in dates:
            lines += [f"date = {c.q(dates[ver])}", f"date_file = {c.q(ver_url)}"]
        if ver in matrix:
            gfx, arch, llvm = matrix[ver]
            lines += [f"gfx = {c.qlist(gfx)}", f"architectures = {c.qlist(arch)}"]
            if llvm:
                lines += [f"llvm_project = {c.q(llvm)}", f"llvm_major = {int(llvm.split('.')[0])}"]
            lines.append(f"upstream_file = {c.q(csv_url)}")
        else:
            lines.append(f"upstream_file = {c.q(ver_url)}")
        lines += [f"commit = {c.q(sha)}", f"read = {c.q(read)}"]
        body.append("\n" + "\n".join(lines) + "\n")
    c.write("rocm_matrix.toml", "gen_rocm_matrix.py", UPSTREAM, [CSV, VERSIONS], [sha], read, "".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
