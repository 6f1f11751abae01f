//! Findings as text, shared by `check` and `explain`: the mark and title, the evidence, why
//! it matters, the layer a fix must touch, and the remedies in order.

use std::io::Write;

use super::Style;
use crate::model::{Finding, Severity};

/// The mark of a severity: ✗ error, ! warning, i info.
pub fn mark(style: &Style, s: Severity) -> String {
    match s {
        Severity::Error => style.red("✗"),
        Severity::Warning => style.paint_yellow("!"),
        Severity::Info => style.dim("i"),
    }
}

/// Writes one finding, numbered `n`.
///
/// Returns an error if writing fails.
pub fn write_finding(
    out: &mut dyn Write,
    n: usize,
    f: &Finding,
    style: &Style,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} {}. {}  {}",
        mark(style, f.severity),
        n,
        style.bold(&f.title),
        style.dim(&format!("[{}]", f.code))
    )?;
    for e in &f.evidence {
        writeln!(
            out,
            "     {} {}",
            style.dim(&format!("{}:", e.source)),
            e.says
        )?;
    }
    writeln!(out, "     {} {}", style.bold("Why:"), f.why)?;
    writeln!(
        out,
        "     {} {}. {}",
        style.bold("Fix at:"),
        f.layer.as_str(),
        f.other_layers
    )?;
    for (i, r) in f.remedies.iter().enumerate() {
        let fix = r
            .fix
            .map(crate::model::Solution::as_str)
            .map(|s| format!("  (rocm-doctor fix {s})"))
            .unwrap_or_default();
        writeln!(out, "     {}. {}{}", i + 1, r.title, style.dim(&fix))?;
        if let Some(c) = &r.command {
            for line in c.lines() {
                writeln!(out, "          $ {line}")?;
            }
        }
        if !r.detail.is_empty() {
            writeln!(out, "          {}", r.detail)?;
        }
    }
    if style.verbose && !f.sources.is_empty() {
        writeln!(
            out,
            "     {} {}",
            style.dim("Sources:"),
            f.sources.join(" ")
        )?;
    }
    Ok(())
}

/// Writes every finding, separated by blank lines.
///
/// Returns an error if writing fails.
pub fn write_all(out: &mut dyn Write, findings: &[Finding], style: &Style) -> std::io::Result<()> {
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        write_finding(out, i + 1, f, style)?;
    }
    Ok(())
}
