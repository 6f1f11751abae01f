//! `scan --json`: a summary in the contract's words (`gpus`, `overrides`, `toolchains`,
//! `problems`), then the full snapshot under `snapshot`. See docs/json.md.

use std::io::Write;

use serde::Serialize;

use crate::snapshot::Snapshot;

/// The document.
#[derive(Serialize)]
pub struct Document<'a> {
    /// Layout version (the snapshot's).
    pub schema_version: u32,
    /// Tool name and version.
    pub tool: super::inspect_json::Tool,
    /// The root scanned.
    pub root: &'a str,
    /// Every AMD GPU found, from sysfs and from `--rocminfo` text.
    pub gpus: Vec<Gpu>,
    /// `HSA_OVERRIDE_GFX_VERSION` settings and what they make the runtime report.
    pub overrides: Vec<OverrideWire>,
    /// LLVM toolchains: `{major, path, flavor}`.
    pub toolchains: &'a [crate::probe::toolchain::Toolchain],
    /// What could not be read or does not add up.
    pub problems: Vec<String>,
    /// Everything the probes read.
    pub snapshot: &'a Snapshot,
}

/// One GPU.
#[derive(Serialize)]
pub struct Gpu {
    /// The hardware's gfx target, e.g. `gfx1031` (from KFD, else the PCI table, else rocminfo).
    pub gfx_target: Option<String>,
    /// What the runtime will report once overrides apply; equals `gfx_target` without one.
    pub runtime_target: Option<String>,
    /// Marketing name, when known.
    pub marketing_name: Option<String>,
    /// PCI device id, `0x73bf`.
    pub pci_device_id: Option<String>,
    /// Compute units.
    pub compute_units: Option<u32>,
    /// `kfd`, `pci-table` or `rocminfo`.
    pub source: String,
    /// Family (RDNA1, RDNA2, …), when known.
    pub family: Option<String>,
    /// Integrated GPU, when known.
    pub is_apu: Option<bool>,
    /// KFD node, when known.
    pub node: Option<String>,
}

/// One override.
#[derive(Serialize)]
pub struct OverrideWire {
    /// Variable name.
    pub var: String,
    /// The value as written.
    pub value: String,
    /// The target the runtime reports because of it, or null when the value is malformed.
    pub reports: Option<String>,
    /// Why the value is malformed, or null.
    pub error: Option<String>,
}

/// Writes the document.
///
/// Returns an error if writing fails.
pub fn write(out: &mut dyn Write, s: &Snapshot) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(s))?;
    writeln!(out)
}

/// The wire document for `s`.
pub fn document(s: &Snapshot) -> Document<'_> {
    let mut problems = s.gpu.problems.clone();
    problems.extend(s.access.problems.iter().cloned());
    problems.extend(s.rocm.problems.iter().cloned());
    problems.extend(s.python.problems.iter().cloned());
    if let Some(r) = &s.rocminfo {
        problems.extend(r.errors.iter().map(|e| format!("rocminfo: {e}")));
        problems.extend(r.warnings.iter().map(|w| format!("rocminfo: {w}")));
    }
    Document {
        schema_version: s.schema_version,
        tool: super::inspect_json::Tool {
            name: "rocm-doctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        root: &s.root,
        gpus: gpus(s),
        overrides: s
            .env
            .overrides
            .iter()
            .map(|o| OverrideWire {
                var: o.var.clone(),
                value: o.value.clone(),
                reports: o.reports.present().cloned(),
                error: o.reports.reason().map(str::to_owned),
            })
            .collect(),
        toolchains: &s.toolchains,
        problems,
        snapshot: s,
    }
}

fn gpus(s: &Snapshot) -> Vec<Gpu> {
    s.gpus()
        .into_iter()
        .map(|g| Gpu {
            gfx_target: g.gfx_target,
            runtime_target: g.runtime_target,
            marketing_name: g.marketing_name,
            pci_device_id: g.pci_device_id,
            compute_units: g.compute_units,
            source: g.source,
            family: g.family,
            is_apu: g.is_apu,
            node: g.node,
        })
        .collect()
}
