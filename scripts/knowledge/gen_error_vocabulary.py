#!/usr/bin/env python3
"""Generates src/knowledge/data/generated/error_vocabulary.toml: every status/error name of
the ROCm stack, with its numeric code, the text the library prints for it, the library and
the upstream file that defines it. Read from LOCAL copies of the upstream repositories (a
checkout, or a bare git directory such as the ones the `fetch` tool leaves under
/work/.mirror/OWNER+NAME/repo); nothing is downloaded and no upstream text beyond the names,
codes and one-line messages is kept.

Usage:
  scripts/knowledge/gen_error_vocabulary.py [--mirrors DIR] [--date YYYY-MM-DD] [--check]

  --mirrors DIR  where the copies are: DIR/OWNER+NAME/repo (bare) or DIR/OWNER+NAME (checkout).
                 Default /work/.mirror. Per repository, ROCM_DOCTOR_SRC_<NAME> (NAME upper
                 case, '-' as '_') overrides the path.
  --date         the "date read" written in the header (default: today, UTC).
  --check        do not write; verify that the committed file's body still hashes to the
                 sha256 in its header (exit 1 if it was edited by hand).

Stdlib only. The body (everything after the header) is hashed with sha256 and the digest is
written in the header, so a test can tell a regenerated file from a hand-edited one.
"""
import datetime
import hashlib
import os
import pathlib
import re
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "src/knowledge/data/generated/error_vocabulary.toml"
HEADER_END = "# ---- end of header ----"


class Source:
    """One upstream repository, read at its current HEAD."""

    def __init__(self, mirrors, owner_name):
        self.name = owner_name
        env = "ROCM_DOCTOR_SRC_" + owner_name.split("/")[1].upper().replace("-", "_")
        base = pathlib.Path(os.environ.get(env) or (pathlib.Path(mirrors) / owner_name.replace("/", "+")))
        self.git = None
        self.tree = None
        if (base / "repo").is_dir():
            self.git = base / "repo"
        elif (base / ".git").exists() or (base / "HEAD").is_file():
            self.git = base
        if self.git is None:
            raise SystemExit(f"no local copy of {owner_name} at {base} (use the fetch tool or set {env})")
        self.commit = self._git("rev-parse", "HEAD").strip()
        self.date = self._git("log", "-1", "--format=%cs", "HEAD").strip()

    def _git(self, *args):
        return subprocess.run(["git", "-C", str(self.git), *args], check=True,
                              capture_output=True, text=True).stdout

    def read(self, path):
        return self._git("show", f"{self.commit}:{path}")


def c_string_concat(fragment):
    """Joins adjacent C string literals of a fragment: "a" "b" -> ab."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', fragment)
    return "".join(parts).replace('\\"', '"').replace("\\n", " ").strip()


def enum_block(text, enum_name):
    """The body of `typedef enum ... { ... } enum_name;` (or `enum enum_name { ... }`)."""
    m = re.search(r"typedef\s+enum[^{]*\{(.*?)\}\s*" + re.escape(enum_name) + r"\s*;", text, re.S)
    if not m:
        m = re.search(r"enum\s+" + re.escape(enum_name) + r"\b[^{]*\{(.*?)\}\s*;", text, re.S)
    if not m:
        raise SystemExit(f"enum {enum_name} not found")
    return m.group(1)


def enum_entries(body, prefix):
    """(name, value, comment) of each enumerator starting with prefix. Comments: `///<`,
    `/**< */`, `/*!< */` after the value, or a `/** */` block before it."""
    out = []
    pending = ""
    pos = 0
    token = re.compile(
        r"/\*\*(?![<!])(.*?)\*/"                       # block doc comment before
        r"|(?:^|(?<=\n))[ \t]*(" + re.escape(prefix) + r"\w*)\s*(?:=\s*([^,/\n}]+))?\s*,?"  # enumerator
        r"[ \t]*((?:(?:///<|//!<)[^\n]*\n?(?:[ \t]*(?:///<|//!<)[^\n]*\n?)*)|/\*[*!]<.*?\*/)?",
        re.S)
    last_value = -1
    for m in token.finditer(body):
        if m.group(1) is not None:
            pending = " ".join(l.strip(" *") for l in m.group(1).splitlines()).strip()
            continue
        name, value, after = m.group(2), m.group(3), m.group(4) or ""
        if value is None:
            value = last_value + 1
        else:
            value = value.strip()
            try:
                value = int(value, 0)
            except ValueError:
                prev = [v for n, v, _ in out if n == value]
                value = prev[0] if prev else value
        if isinstance(value, int):
            last_value = value
        after = re.sub(r"///<|//!<|/\*[*!]<|\*/", " ", after)
        comment = " ".join(after.split()) or pending
        pending = ""
        out.append((name, value, comment))
    return out


def switch_strings(text, func, case_prefix):
    """{case name: returned or assigned string} of the switch in function `func`."""
    start = text.find(func)
    if start < 0:
        raise SystemExit(f"{func} not found")
    body = text[start:]
    end = re.search(r"\n}\s*\n", body)
    body = body[: end.end()] if end else body
    out = {}
    for m in re.finditer(r"case\s+(" + re.escape(case_prefix) + r"\w*)\s*:(.*?)(?=case\s+\w+\s*:|default\s*:|\n}\s*\n)", body, re.S):
        s = c_string_concat(m.group(2))
        if s:
            out[m.group(1)] = s
    return out


def case_macro_names(text, func):
    """Names listed as CASE(x) in function `func` (their printed text is the name itself)."""
    start = text.find(func)
    body = text[start:start + 20000]
    return [n for n in re.findall(r"CASE\((\w+)\)", body.split("#undef CASE")[0]) if n != "x"]


def tensile_messages(text, tag):
    """Literal starts of '\\n<tag> error:/warning:' messages streamed to stderr."""
    out = []
    for m in re.finditer(r'"\\n(' + re.escape(tag) + r' (?:error|warning): (?:[^"\\]|\\.)*)"', text):
        msg = m.group(1).replace("\\n", " ").replace('\\"', '"').strip()
        if msg not in out:
            out.append(msg)
    return out


def toml_str(s):
    s = str(s).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if ord(c) >= 0x20 else " " for c in s) + '"'


def main():
    args = sys.argv[1:]
    if "--check" in args:
        text = OUT.read_text()
        head, _, body = text.partition(HEADER_END + "\n")
        want = re.search(r"^# body-sha256: ([0-9a-f]{64})$", head, re.M)
        got = hashlib.sha256(body.encode()).hexdigest()
        if not want or want.group(1) != got:
            print(f"{OUT}: body does not match its header's sha256: edited by hand? regenerate it")
            return 1
        print(f"{OUT}: intact ({got})")
        return 0
    mirrors = args[args.index("--mirrors") + 1] if "--mirrors" in args else "/work/.mirror"
    date = args[args.index("--date") + 1] if "--date" in args else datetime.datetime.now(datetime.UTC).date().isoformat()

    entries = []  # (name, code, message, library, repo, path)
    used = []     # (repo, path, commit, committed)

    def use(src, path):
        if (src.name, path) not in [(u[0], u[1]) for u in used]:
            used.append((src.name, path, src.commit, src.date))
        return src.read(path)

    # HSA (ROCr): hsa_status_t of hsa.h and hsa_ext_amd.h, image statuses of hsa_ext_image.h;
    # texts from hsa_status_string() in hsa.cpp.
    rocr = Source(mirrors, "ROCm/ROCR-Runtime")
    hsa_cpp_path = "runtime/hsa-runtime/core/runtime/hsa.cpp"
    hsa_text = switch_strings(use(rocr, hsa_cpp_path), "hsa_status_t hsa_status_string(", "HSA_")
    for path, enum in [("runtime/hsa-runtime/inc/hsa.h", "hsa_status_t"),
                       ("runtime/hsa-runtime/inc/hsa_ext_amd.h", None),
                       ("runtime/hsa-runtime/inc/hsa_ext_image.h", None)]:
        text = use(rocr, path)
        if enum:
            items = enum_entries(enum_block(text, enum), "HSA_STATUS")
        else:
            # Extension headers add their statuses in an enum of their own.
            items = []
            for blk in re.findall(r"enum\s*\w*\s*\{(.*?)\}", text, re.S):
                if re.search(r"\bHSA_(?:EXT_)?STATUS_\w+\s*=", blk):
                    items += enum_entries(blk, "HSA_")
            items = [i for i in items if "STATUS" in i[0]]
        for name, value, comment in items:
            msg = hsa_text.get(name, comment)
            msg = re.sub(r"^" + re.escape(name) + r":\s*", "", msg)
            entries.append((name, hex(value) if isinstance(value, int) else value, msg, "HSA (ROCr)", rocr.name,
                            path if name not in hsa_text else f"{path}; text: {hsa_cpp_path}"))

    # HIP: hipError_t of hip_runtime_api.h (HIP); texts of hipGetErrorString (clr hip_error.cpp).
    hip = Source(mirrors, "ROCm/HIP")
    clr = Source(mirrors, "ROCm/clr")
    api = "include/hip/hip_runtime_api.h"
    err_cpp = "hipamd/src/hip_error.cpp"
    hip_text = switch_strings(use(clr, err_cpp), "const char *ihipGetErrorString(", "hip")
    seen = set()
    for name, value, comment in enum_entries(enum_block(use(hip, api), "hipError_t"), "hip"):
        if name in seen or name == "hipErrorTbd":
            continue
        seen.add(name)
        msg = hip_text.get(name, comment)
        entries.append((name, value, msg, "HIP", hip.name,
                        f"{api}; text: {clr.name} {err_cpp}" if name in hip_text else api))

    # rocBLAS: rocblas_status (rocblas-types.h); Tensile host messages (tensile_host.cpp).
    rb = Source(mirrors, "ROCm/rocBLAS")
    p = "library/include/internal/rocblas-types.h"
    for name, value, comment in enum_entries(enum_block(use(rb, p), "rocblas_status"), "rocblas_status_"):
        entries.append((name, value, comment, "rocBLAS", rb.name, p))
    p = "library/src/tensile_host.cpp"
    for msg in tensile_messages(use(rb, p), "rocBLAS"):
        entries.append(("", "", msg, "rocBLAS", rb.name, p))

    # hipBLAS / hipBLASLt: hipblasStatus_t (hipblas-common.h of hipBLAS-common), names as
    # hipblasStatusToString prints them (hipBLAS); hipBLASLt's Tensile host messages.
    hc = Source(mirrors, "ROCm/hipBLAS-common")
    p = "library/include/hipblas-common.h"
    for name, value, comment in enum_entries(enum_block(use(hc, p), "hipblasStatus_t"), "HIPBLAS_STATUS_"):
        entries.append((name, value, comment, "hipBLAS / hipBLASLt", hc.name, p))
    hb = Source(mirrors, "ROCm/hipBLAS")
    p = "library/src/hipblas_auxiliary.cpp"
    printed = case_macro_names(use(hb, p), "hipblasStatusToString")
    known = {e[0] for e in entries}
    for name in printed:
        if name not in known:
            entries.append((name, "", name, "hipBLAS", hb.name, p))
    lt = Source(mirrors, "ROCm/hipBLASLt")
    p = "library/src/amd_detail/rocblaslt/src/tensile_host.cpp"
    for msg in tensile_messages(use(lt, p), "rocblaslt"):
        entries.append(("", "", msg, "hipBLASLt", lt.name, p))

    # MIOpen: miopenStatus_t (miopen.h).
    mo = Source(mirrors, "ROCm/MIOpen")
    p = "include/miopen/miopen.h"
    for name, value, comment in enum_entries(enum_block(use(mo, p), "miopenStatus_t"), "miopenStatus"):
        entries.append((name, value, comment, "MIOpen", mo.name, p))

    # rocSOLVER: reports rocblas_status; the names its own to-string prints.
    rs = Source(mirrors, "ROCm/rocSOLVER")
    p = "library/src/include/rocblas.hpp"
    text = use(rs, p)
    for name, s in sorted(switch_strings(text, "rocblas_status", "rocblas_status_").items()):
        entries.append((name, "", s, "rocSOLVER", rs.name, p))

    body = []
    for repo, path, commit, committed in used:
        body += ["[[source]]", f"repo = {toml_str(repo)}", f"path = {toml_str(path)}",
                 f"commit = {toml_str(commit)}", f"committed = {toml_str(committed)}", ""]
    for name, code, msg, lib, repo, path in entries:
        body += ["[[error]]", f"name = {toml_str(name)}", f"code = {toml_str(code)}",
                 f"message = {toml_str(msg)}", f"library = {toml_str(lib)}",
                 f"repo = {toml_str(repo)}", f"file = {toml_str(path)}", ""]
    body_text = "\n".join(body)
    digest = hashlib.sha256(body_text.encode()).hexdigest()
    header = [
        "# GENERATED FILE - DO NOT EDIT. Regenerate with:",
        "#   scripts/knowledge/gen_error_vocabulary.py --mirrors DIR",
        "# script: scripts/knowledge/gen_error_vocabulary.py",
        f"# date read: {date}",
        "# upstream (repo, path, commit):",
    ] + [f"#   {r} {p} {c}" for r, p, c, _ in used] + [
        f"# entries: {len(entries)}",
        f"# body-sha256: {digest}",
        HEADER_END,
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(header) + "\n" + body_text)
    print(f"wrote {OUT.relative_to(REPO_ROOT)}: {len(entries)} entries from {len(used)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
