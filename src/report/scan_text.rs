//! `scan` for humans: GPUs (hardware target, and what the runtime reports under overrides),
//! toolchains, and what could not be read.

use std::io::{self, Write};

use super::scan_json::{document, Document};
use super::Style;
use crate::snapshot::Snapshot;

/// Writes the text report.
///
/// Returns an error if writing fails.
pub fn write(out: &mut dyn Write, s: &Snapshot, style: &Style) -> io::Result<()> {
    let d: Document<'_> = document(s);
    if d.root != "/" {
        writeln!(out, "{} {}", style.dim("root"), d.root)?;
    }
    if d.gpus.is_empty() {
        writeln!(out, "{}", style.bold("no AMD GPU found"))?;
    } else {
        writeln!(
            out,
            "{}",
            style.bold(&format!("AMD GPUs ({})", d.gpus.len()))
        )?;
    }
    for g in &d.gpus {
        let target = g.gfx_target.as_deref().unwrap_or("gfx?");
        let mut line = format!("  {}", style.green(target));
        if let Some(n) = &g.marketing_name {
            line.push_str(&format!("  {n}"));
        }
        let mut facts = Vec::new();
        facts.extend(g.family.clone());
        if g.is_apu == Some(true) {
            facts.push("integrated".into());
        }
        facts.extend(g.pci_device_id.as_ref().map(|p| format!("PCI {p}")));
        facts.extend(g.compute_units.map(|c| format!("{c} CUs")));
        facts.extend(g.node.as_ref().map(|n| format!("node {n}")));
        facts.push(format!("from {}", g.source));
        line.push_str(&style.dim(&format!("  ({})", facts.join(", "))));
        writeln!(out, "{line}")?;
        if g.runtime_target != g.gfx_target {
            if let Some(rt) = &g.runtime_target {
                writeln!(out, "    the runtime reports {} (override)", style.bold(rt))?;
            }
        }
    }
    for o in &d.overrides {
        match (&o.reports, &o.error) {
            (Some(t), _) => writeln!(out, "  {}={} → runtime reports {t}", o.var, o.value)?,
            (None, Some(e)) => writeln!(out, "  {}={}: {}", o.var, o.value, style.red(e))?,
            (None, None) => {}
        }
    }
    if d.toolchains.is_empty() {
        writeln!(out, "LLVM toolchains: none found")?;
    } else {
        let list: Vec<String> = d
            .toolchains
            .iter()
            .map(|t| format!("{} ({})", t.major, t.path.display()))
            .collect();
        writeln!(out, "LLVM toolchains: {}", list.join(", "))?;
    }
    if !d.problems.is_empty() {
        writeln!(out, "{}", style.bold("Problems"))?;
        for p in &d.problems {
            writeln!(out, "  - {p}")?;
        }
    }
    Ok(())
}
