#!/usr/bin/env python3
"""Rewrites the docs/findings.md sections of the explain findings that only the mapping rows
of src/knowledge/data/error_categories.toml point at (signatures without patterns of their
own), between the markers `<!-- vocabulary findings: begin -->` and `<!-- ... end -->`.
Each section lists the rows (what they match, weight, upstream source). Stdlib only.
Usage: scripts/knowledge/findings_doc.py
"""
import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- vocabulary findings: begin -->", "<!-- vocabulary findings: end -->"


def main():
    data = ROOT / "src/knowledge/data"
    sigs = tomllib.loads((data / "log_signatures.toml").read_text())["signature"]
    rows = tomllib.loads((data / "error_categories.toml").read_text())["row"]
    out = []
    for s in sigs:
        if s.get("patterns"):
            continue
        mine = [r for r in rows if r["code"] == s["code"]]
        hdr = "Category `%s`, severity %s, priority %d%s." % (
            s["category"], s["severity"], s["priority"],
            ", context rule `%s`" % s["refine"] if s.get("refine") else "")
        t = ["## " + s["code"], "", hdr, "", s["title"] + ". " + s["why"], "",
             "Evidence (rows of `src/knowledge/data/error_categories.toml`):", ""]
        for r in mine:
            parts = []
            if r.get("names"):
                parts.append("vocabulary names " + ", ".join("`%s`" % n for n in r["names"]))
            if r.get("groups"):
                parts.append("vocabulary groups " + ", ".join("`%s`" % n for n in r["groups"]))
            if r.get("literals"):
                lit = "lines containing " + ", ".join("`%s`" % n for n in r["literals"])
                if r.get("pattern"):
                    lit += " that match `%s`" % r["pattern"]
                parts.append(lit)
            flags = (", red herring" if r.get("red_herring") else "") + (", context only" if r.get("context_only") else "")
            t.append("- row `%s` (weight %d%s): %s; source %s" % (r["id"], r["weight"], flags, "; ".join(parts), r["source"]))
        t.append("")
        if s.get("settle"):
            t += ["Would settle it: %s. Next command: `%s`." % (s["settle"], s["next"]), ""]
        if s.get("remedies"):
            t += ["Remedies: " + "; ".join(r["title"] for r in s["remedies"]) + ".", ""]
        t += ["Sources: " + ", ".join(s["sources"]), ""]
        out.append("\n".join(t))
    doc_path = ROOT / "docs/findings.md"
    doc = doc_path.read_text()
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    doc_path.write_text(head + BEGIN + "\n\n" + "\n".join(out) + END + tail)
    print(f"{len(out)} sections written")


if __name__ == "__main__":
    main()
