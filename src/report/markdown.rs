//! `report --format md`: everything `check` knows plus the snapshot, laid out to paste into a
//! GitHub issue. Long parts (evidence, sources, the full scan) sit in `<details>` blocks so the
//! issue stays readable. The coverage grids and the snapshot summary are computed in
//! [`super::grids`] and shared with the HTML report.

use std::io::{self, Write};

use super::grids::{self, Cell, Grid};
use crate::model::{Finding, Severity};
use crate::snapshot::Snapshot;

/// Writes the Markdown report.
///
/// Returns an error if writing fails.
pub fn write(
    out: &mut dyn Write,
    s: &Snapshot,
    findings: &[Finding],
    source_flag: &str,
) -> io::Result<()> {
    writeln!(out, "## rocm-doctor report: {}\n", text(&s.root))?;
    writeln!(out, "| | area | status | what was found |")?;
    writeln!(out, "|---|---|---|---|")?;
    for a in super::check::areas(s, findings) {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            status_mark(a.status),
            a.name,
            a.status,
            cell(&a.summary)
        )?;
    }
    writeln!(out)?;
    write_findings(out, findings)?;
    writeln!(out, "### Next\n")?;
    writeln!(out, "```sh")?;
    for c in super::check::next_commands(findings, source_flag) {
        writeln!(out, "{c}")?;
    }
    writeln!(out, "```\n")?;
    write_grid(
        out,
        "Kernel coverage: library × GPU",
        "Whether each library carries GPU code for the target the runtime reports \
         (after overrides).",
        &grids::coverage(s),
    )?;
    write_grid(
        out,
        "Device libraries × LLVM bitcode readers",
        "By LLVM major: a reader loads bitcode its own or an older release wrote. \
         `*` marks an LLVM installed here; `rocm-doctor inspect --readers` judges the records \
         a file really uses.",
        &grids::readers(s),
    )?;
    writeln!(out, "### Snapshot\n")?;
    for (label, items) in grids::summary(s) {
        match items.as_slice() {
            [] => writeln!(out, "- **{label}:** none")?,
            [one] => writeln!(out, "- **{label}:** {}", text(one))?,
            many => {
                writeln!(out, "- **{label}:**")?;
                for i in many {
                    writeln!(out, "  - {}", text(i))?;
                }
            }
        }
    }
    let scan = serde_json::to_string_pretty(&super::scan_json::document(s))?;
    writeln!(
        out,
        "\n<details><summary>Full <code>scan --json</code></summary>\n"
    )?;
    let fence = fence_for(&scan);
    writeln!(out, "{fence}json\n{scan}\n{fence}\n\n</details>\n")?;
    writeln!(
        out,
        "<sub>rocm-doctor {} · knowledge as of {} · <code>rocm-doctor report --format md{}</code></sub>",
        env!("CARGO_PKG_VERSION"),
        crate::knowledge::as_of(),
        text(source_flag)
    )
}

/// The findings, each with its evidence, why, layer and remedies.
fn write_findings(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    if findings.is_empty() {
        return writeln!(out, "**No problems found.**\n");
    }
    let count = |sev| findings.iter().filter(|f| f.severity == sev).count();
    writeln!(
        out,
        "**{} findings** ({} errors, {} warnings, {} notes), worst first.\n",
        findings.len(),
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    )?;
    for (i, f) in findings.iter().enumerate() {
        writeln!(
            out,
            "### {} {}. {}\n",
            status_mark(f.severity.as_str()),
            i + 1,
            text(&f.title)
        )?;
        writeln!(
            out,
            "`{}` · {} · {} · fix at **{}**\n",
            f.code,
            f.severity.as_str(),
            f.category.as_str(),
            f.layer.as_str()
        )?;
        writeln!(out, "**Why:** {}\n", text(&f.why))?;
        writeln!(out, "**Remedies:**\n")?;
        for (n, r) in f.remedies.iter().enumerate() {
            let fix = r
                .fix
                .map(crate::model::Solution::as_str)
                .map(|s| format!(" (`rocm-doctor fix {s}`)"))
                .unwrap_or_default();
            writeln!(out, "{}. {}{fix}", n + 1, text(&r.title))?;
            if let Some(c) = &r.command {
                let fence = fence_for(c);
                writeln!(out, "   {fence}sh")?;
                for line in c.lines() {
                    writeln!(out, "   {line}")?;
                }
                writeln!(out, "   {fence}")?;
            }
            if !r.detail.is_empty() {
                writeln!(out, "   {}", text(&r.detail))?;
            }
        }
        writeln!(out)?;
        writeln!(
            out,
            "<details><summary>Evidence ({})</summary>\n",
            f.evidence.len()
        )?;
        for e in &f.evidence {
            writeln!(out, "- `{}`: {}", code_span(&e.source), text(&e.says))?;
        }
        writeln!(out, "\n</details>")?;
        writeln!(
            out,
            "<details><summary>Why other layers cannot fix it</summary>\n\n{}\n\n</details>",
            text(&f.other_layers)
        )?;
        let sources = f.all_sources();
        if !sources.is_empty() {
            writeln!(
                out,
                "<details><summary>Sources ({})</summary>\n",
                sources.len()
            )?;
            for u in sources {
                writeln!(out, "- {}", text(u))?;
            }
            writeln!(out, "\n</details>")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn write_grid(out: &mut dyn Write, title: &str, note: &str, g: &Grid) -> io::Result<()> {
    writeln!(out, "### {title}\n")?;
    if g.rows.is_empty() || g.columns.is_empty() {
        return writeln!(out, "Nothing to show: {}.\n", g.empty_reason);
    }
    writeln!(out, "{note}\n")?;
    let head: Vec<String> = g.columns.iter().map(|c| cell(c)).collect();
    writeln!(
        out,
        "| {} | {} | {} |",
        g.corner,
        g.detail,
        head.join(" | ")
    )?;
    writeln!(out, "|---|---|{}", "---|".repeat(g.columns.len()))?;
    for r in &g.rows {
        let cells: Vec<&str> = r.cells.iter().map(|c| mark(*c)).collect();
        writeln!(
            out,
            "| {} | {} | {} |",
            cell(&r.label),
            cell(&r.detail),
            cells.join(" | ")
        )?;
    }
    writeln!(out, "\n✅ {}  ❌ {}  ❔ unknown\n", g.yes, g.no)
}

fn mark(c: Cell) -> &'static str {
    match c {
        Cell::Yes => "✅",
        Cell::No => "❌",
        Cell::Unknown => "❔",
    }
}

fn status_mark(status: &str) -> &'static str {
    match status {
        "error" => "❌",
        "warning" => "⚠️",
        "info" => "ℹ️",
        _ => "✅",
    }
}

/// Text for a Markdown paragraph: angle brackets and ampersands escaped so that a value
/// holding `<details>` or `<script>` cannot change the page GitHub renders.
pub fn text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '\n' | '\r' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// Text for a table cell: [`text`] plus escaped pipes, which would split the cell.
fn cell(s: &str) -> String {
    text(s).replace('|', "\\|")
}

/// Content for a one-backtick code span; backticks inside would end it early.
fn code_span(s: &str) -> String {
    s.replace('`', "'").replace(['\n', '\r'], " ")
}

/// A code fence longer than any run of backticks in `body`, so the body cannot close it.
fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for ch in body.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> String {
        let s = crate::demo::snapshot();
        let f = crate::diagnose::check(&s);
        let mut out = Vec::new();
        write(&mut out, &s, &f, " --demo").unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_what_would_change_the_page() {
        assert_eq!(
            text("<script>a&b</script>"),
            "&lt;script&gt;a&amp;b&lt;/script&gt;"
        );
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("x ```` y"), "`````");
        assert_eq!(code_span("a`b"), "a'b");
    }

    #[test]
    fn demo_report_has_every_part() {
        let md = demo();
        assert!(md.starts_with("## rocm-doctor report: demo:"), "{md}");
        for part in [
            "| ❌ | environment | error |",
            "### ❌ 1. HSA_OVERRIDE_GFX_VERSION=10.3.0",
            "<details><summary>Evidence (",
            "### Kernel coverage",
            "### Device libraries × LLVM bitcode readers",
            "\"schema_version\": 1",
            concat!("rocm-doctor ", env!("CARGO_PKG_VERSION")),
        ] {
            assert!(md.contains(part), "missing {part:?}");
        }
        // Every <details> is closed, or the rest of the issue would fold into it.
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
    }

    #[test]
    fn coverage_rows_show_the_override_target_missing_from_hipblaslt() {
        let md = demo();
        let row = md
            .lines()
            .find(|l| l.starts_with("| ROCm 7.0.2-56: hipBLASLt"))
            .expect("hipBLASLt row");
        assert!(row.ends_with("| ❌ |"), "{row}");
        let row = md
            .lines()
            .find(|l| l.starts_with("| ROCm 7.0.2-56: rocBLAS"))
            .expect("rocBLAS row");
        assert!(row.ends_with("| ✅ |"), "{row}");
    }
}
