#!/usr/bin/env python3
"""TheRock: per-target families, excluded sub-projects, support status and pip extras; per
release ref: ROCm version and install layout.

Reads a local git copy of ROCm/TheRock:
  cmake/therock_amdgpu_targets.cmake   targets, their families, EXCLUDE_TARGET_PROJECTS
  SUPPORTED_GPUS.md                    Linux build / sanity / release-ready marks
  RELEASES.md                          multi-arch index URL and the [device-gfxNNNN] extras
  docs/packaging/legacy_per_family_releases.md   legacy per-family index URLs
  version.json, build_tools/packaging/...        per release ref (tags therock-*, branches
                                                 release/therock-*): version and layout
and writes src/knowledge/data/generated/therock.toml.

Usage: gen_therock.py GITDIR [--rev REV]
"""

from __future__ import annotations

import argparse
import json
import re
import sys

import _common as c

UPSTREAM = "https://github.com/ROCm/TheRock"
CMAKE = "cmake/therock_amdgpu_targets.cmake"
SUPPORTED = "SUPPORTED_GPUS.md"
RELEASES = "RELEASES.md"
LEGACY = "docs/packaging/legacy_per_family_releases.md"
VERSION = "version.json"
BUILD_PACKAGE = "build_tools/packaging/linux/build_package.py"
PACKAGE_JSON = "build_tools/packaging/linux/package.json"
TEMPLATES = "build_tools/packaging/python/templates"


def parse_cmake(text: str) -> dict[str, dict]:
    out = {}
    text = "\n".join(l.split("#", 1)[0] for l in text.splitlines())
    for m in re.finditer(r"therock_add_amdgpu_target\(\s*(gfx\w+)\s+\"[^\"]*\"(.*?)\)", text, re.S):
        gfx, rest = m.group(1), m.group(2)
        words = rest.split()
        fam, exc, mode = [], [], None
        for w in words:
            if w in ("FAMILY", "EXCLUDE_TARGET_PROJECTS"):
                mode = w
            elif mode == "FAMILY":
                fam.append(w)
            elif mode == "EXCLUDE_TARGET_PROJECTS":
                exc.append(w)
        out[gfx] = {"families": fam, "excludes": exc}
    return out


def parse_supported(text: str | None) -> dict[str, tuple[bool, bool, bool]]:
    """Linux rows: gfx -> (build passing, sanity tested, release ready)."""
    out = {}
    if not text:
        return out
    linux = False
    for line in text.splitlines():
        if line.startswith("## "):
            linux = "Linux" in line
            continue
        if not linux or not line.startswith("|"):
            continue
        cells = [x.strip().strip("*").strip() for x in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and re.fullmatch(r"gfx\w+", cells[1]):
            out[cells[1]] = tuple("✅" in x for x in cells[2:5])
    return out


def parse_extras(text: str) -> tuple[str | None, list[str]]:
    m = re.search(r"https://[\w./-]+/whl-multi-arch/", text)
    extras = sorted(set(re.findall(r"`device-(gfx\w+)`", text)), key=lambda g: (len(g), g))
    return (m.group(0) if m else None), extras


def parse_legacy(text: str | None) -> dict[str, str]:
    """family -> legacy index URL."""
    if not text:
        return {}
    return {m.group(2): m.group(1) for m in re.finditer(r"(https://[\w.-]+/v2/([\w-]+)/)", text)}


def release_refs(gitdir: str) -> list[tuple[str, str]]:
    """(kind, ref): release tags first, then release branches."""
    out = []
    for kind, pattern in (("tag", "refs/tags/therock-*"), ("branch", "refs/heads/release/therock-*")):
        refs = c.git(gitdir, "for-each-ref", "--format=%(refname:short)", pattern)
        out += [(kind, r) for r in refs.split() if r]
    return out


def vkey(v: str):
    return tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.]", v))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gitdir")
    ap.add_argument("--rev", default="HEAD")
    a = ap.parse_args()
    g = a.gitdir
    sha = c.rev_parse(g, a.rev)
    read = c.today()
    blob = lambda path, s=sha: f"{UPSTREAM}/blob/{s}/{path}"

    targets = parse_cmake(c.git_show(g, sha, CMAKE) or "")
    supported = parse_supported(c.git_show(g, sha, SUPPORTED))
    index, extras = parse_extras(c.git_show(g, sha, RELEASES) or "")
    legacy = parse_legacy(c.git_show(g, sha, LEGACY))
    if not targets or not index:
        print("target list or index URL not found", file=sys.stderr)
        return 1

    body = [
        "# [index]: the multi-arch Python index of RELEASES.md. [[target]]: one per gfx target of\n"
        "# the CMake target list, with its families, the sub-projects built without it, the Linux\n"
        "# marks of SUPPORTED_GPUS.md (absent = not in that table), whether RELEASES.md lists a\n"
        "# [device-gfx...] extra for it, and the legacy per-family index (legacy = superseded by the\n"
        "# multi-arch index). [[release]]: one per version named by a release tag (ref_kind = tag) or,\n"
        "# when no tag names it, a release branch (ref_kind = branch: the version the branch is\n"
        "# building, not proof of a publication), with the install layout its packaging scripts use\n"
        "# (native_install_dir: the default prefix with the -<major>.<minor> the packaging appends).\n"
        "# ref_commit_date is the date of that commit, not a release date.\n",
        "\n[index]\n"
        f"url = {c.q(index)}\n"
        f"upstream_file = {c.q(blob(RELEASES))}\n"
        f"commit = {c.q(sha)}\nread = {c.q(read)}\n",
    ]
    for gfx, t in targets.items():
        lines = ["[[target]]", f"gfx = {c.q(gfx)}", f"families = {c.qlist(t['families'])}",
                 f"excludes = {c.qlist(t['excludes'])}"]
        if gfx in supported:
            b, s, r = supported[gfx]
            lines += [f"build_passing = {str(b).lower()}", f"sanity_tested = {str(s).lower()}",
                      f"release_ready = {str(r).lower()}"]
        lines.append(f"device_extra = {str(gfx in extras).lower()}")
        fams = [f for f in t["families"] if f in legacy]
        if fams:
            lines += [f"legacy_family = {c.q(fams[0])}", f"legacy_index = {c.q(legacy[fams[0]])}"]
        files = [blob(CMAKE), blob(SUPPORTED), blob(RELEASES)] + ([blob(LEGACY)] if fams else [])
        lines += [f"upstream_files = {c.qlist(files)}", f"commit = {c.q(sha)}", f"read = {c.q(read)}"]
        body.append("\n" + "\n".join(lines) + "\n")

    commits = [sha]
    seen = {}
    for kind, ref in release_refs(g):
        rsha = c.rev_parse(g, ref)
        vj = c.git_show(g, rsha, VERSION)
        version = json.loads(vj).get("rocm-version") if vj else None
        if version and version not in seen:
            seen[version] = (kind, ref, rsha)
    for version in sorted(seen, key=vkey):
        kind, ref, rsha = seen[version]
        lines = ["[[release]]", f"rocm = {c.q(version)}", f"ref = {c.q(ref)}", f"ref_kind = {c.q(kind)}",
                 f"ref_commit_date = {c.q(c.commit_date(g, rsha))}"]
        bp = c.git_show(g, rsha, BUILD_PACKAGE) or ""
        m = re.search(r'^DEFAULT_INSTALL_PREFIX\s*=\s*"([^"]+)"', bp, re.M)
        if m:
            lines.append(f"native_prefix = {c.q(m.group(1))}")
            # The packaging appends "-<major>.<minor>" to the default prefix (/opt/rocm/core-7.12).
            if re.search(r'prefix\}?"?\s*(\+\s*"-"\s*\+\s*|-\{)modified_rocm_version', bp):
                mm = ".".join(version.split(".")[:2])
                lines.append(f"native_install_dir = {c.q(m.group(1) + '-' + mm)}")
        pj = c.git_show(g, rsha, PACKAGE_JSON)
        if pj:
            names = [p.get("Package", "") for p in json.loads(pj)]
            lines.append(f"native_package_prefix = {c.q('amdrocm-' if any(n.startswith('amdrocm-') for n in names) else 'rocm-')}")
        tpl = c.git(g, "ls-tree", "--name-only", f"{rsha}:{TEMPLATES}").split() if c.git_show(g, rsha, TEMPLATES) is not None else []
        if tpl:
            lines.append(f"python_packages = {c.qlist(sorted(tpl))}")
        sup = parse_supported(c.git_show(g, rsha, SUPPORTED))
        if sup:
            lines.append(f"release_ready = {c.qlist(sorted((k for k, v in sup.items() if v[2]), key=lambda x: (len(x), x)))}")
        files = [blob(VERSION, rsha)] + [blob(p, rsha) for p, ok in ((BUILD_PACKAGE, bp), (PACKAGE_JSON, pj), (SUPPORTED, sup)) if ok]
        lines += [f"upstream_files = {c.qlist(files)}", f"commit = {c.q(rsha)}", f"read = {c.q(read)}"]
        body.append("\n" + "\n".join(lines) + "\n")
        commits.append(rsha)
    c.write("therock.toml", "gen_therock.py", UPSTREAM,
            [CMAKE, SUPPORTED, RELEASES, LEGACY, VERSION, BUILD_PACKAGE, PACKAGE_JSON, TEMPLATES],
            commits, read, "".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
