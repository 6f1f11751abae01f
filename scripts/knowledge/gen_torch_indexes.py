#!/usr/bin/env python3
"""PyTorch ROCm wheel indexes on download.pytorch.org and the gfx targets of each index's torch.

Reads a local git copy of astral-sh/uv: crates/uv-torch/src/backend.rs, whose table pairs each
ROCm backend with the targets torch.cuda.get_arch_list() reported for that index. Writes
src/knowledge/data/generated/torch_indexes.toml.

Usage: gen_torch_indexes.py GITDIR [--rev REV] [--oldest 5.1]
Indexes older than --oldest (default 5.1) are left out: no rocm_llvm.toml line covers them.
"""

from __future__ import annotations

import argparse
import re
import sys

import _common as c

UPSTREAM = "https://github.com/astral-sh/uv"
FILE = "crates/uv-torch/src/backend.rs"


def key(v: str):
    return tuple(int(x) for x in v.split("."))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gitdir")
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--oldest", default="5.1")
    a = ap.parse_args()
    sha = c.rev_parse(a.gitdir, a.rev)
    read = c.today()
    text = c.git_show(a.gitdir, sha, FILE)
    if text is None:
        print(f"{FILE} missing at {sha}", file=sys.stderr)
        return 1
    # variant -> index name, from the serde renames
    names = dict((v, n) for n, v in re.findall(r'#\[serde\(rename = "(rocm[\d.]+)"\)\][^\n]*\n(?:[^\n]*\n)*?\s*(Rocm\d+),', text))
    urls = {}
    for var, url in re.findall(r"static PYTORCH_(ROCM\d+)_INDEX_URL[^\n]*\n[^\n]*\"(https://download\.pytorch\.org/whl/rocm[\d.]+)\"", text):
        urls[var] = url
    block = re.search(r"static LINUX_AMD_GPU_DRIVERS.*?\]\s*\}\);", text, re.S)
    arches: dict[str, list[str]] = {}
    for var, gfx in re.findall(r"\(TorchBackend::(Rocm\d+), AmdGpuArchitecture::Gfx(\w+)\)", block.group(0) if block else ""):
        arches.setdefault(var, []).append("gfx" + gfx.lower())
    blob = f"{UPSTREAM}/blob/{sha}/{FILE}"
    body = [
        "# One row per ROCm index uv knows; `arches` only where uv's table lists the index's\n"
        "# get_arch_list() (absent = not listed there, unknown).\n"
    ]
    rows = []
    for var, name in names.items():
        ver = name[len("rocm"):]
        if key(ver) < key(a.oldest):
            continue
        url = urls.get(var.upper())
        if not url:
            continue
        rows.append((ver, name, url, arches.get(var)))
    for ver, name, url, arch in sorted(rows, key=lambda r: key(r[0])):
        lines = ["[[index]]", f"name = {c.q(name)}", f"rocm = {c.q(ver)}", f"url = {c.q(url)}"]
        if arch:
            lines.append(f"arches = {c.qlist(arch)}")
        lines += [f"upstream_file = {c.q(blob)}", f"commit = {c.q(sha)}", f"read = {c.q(read)}"]
        body.append("\n" + "\n".join(lines) + "\n")
    c.write("torch_indexes.toml", "gen_torch_indexes.py", UPSTREAM, [FILE], [sha], read, "".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
