//! `check`: one screen in the spirit of `flutter doctor`: a line per area of the stack with
//! ✓ / ! / ✗, then each finding with its evidence, why and remedies, then the next command.
//! The same data as JSON for scripts and `fleet`.

use std::io::Write;

use serde::Serialize;

use super::{findings_json, findings_text, Style};
use crate::model::{Category, Finding, Layer, Severity};
use crate::snapshot::Snapshot;

/// Layout version of `check --json`.
pub const SCHEMA_VERSION: u32 = 1;

/// One area of the stack and how it fares.
#[derive(Debug, Serialize)]
pub struct Area {
    /// `gpu`, `environment`, `rocm`, `pytorch` or `toolchain`.
    pub name: &'static str,
    /// `ok`, `info`, `warning` or `error`: the worst finding of the area.
    pub status: &'static str,
    /// What was found there, in one line.
    pub summary: String,
}

/// The area a finding belongs to, from its typed fields: an override finding belongs to the
/// environment that sets the variable (whatever layer its lasting fix touches); every other
/// finding to the layer of the stack its fix must touch.
pub fn area_of(f: &Finding) -> &'static str {
    if matches!(
        f.category,
        Category::ArchOverrideWrong | Category::ArchOverrideNeeded
    ) {
        return "environment";
    }
    match f.layer {
        Layer::Hardware | Layer::Driver => "gpu",
        Layer::Environment => "environment",
        Layer::Runtime | Layer::LibraryBuild => "rocm",
        Layer::FrameworkWheel => "pytorch",
        Layer::CompilerToolchain => "toolchain",
    }
}

/// The areas with their status and summary.
pub fn areas(s: &Snapshot, findings: &[Finding]) -> Vec<Area> {
    let status = |name: &str| {
        findings
            .iter()
            .filter(|f| area_of(f) == name)
            .map(|f| f.severity)
            .max()
            .map_or("ok", Severity::as_str)
    };
    let gpus = s.gpus();
    let gpu = if gpus.is_empty() {
        "no AMD GPU found".to_owned()
    } else {
        gpus.iter()
            .map(|g| {
                format!(
                    "{} ({}{})",
                    g.marketing_name.as_deref().unwrap_or("AMD GPU"),
                    g.gfx_target.as_deref().unwrap_or("gfx?"),
                    g.family
                        .as_deref()
                        .map(|f| format!(", {f}"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let env = if s.env.overrides.is_empty() {
        "no HSA_OVERRIDE_GFX_VERSION".to_owned()
    } else {
        s.env
            .overrides
            .iter()
            .map(|o| format!("{}={} ({})", o.var, o.value, s.env.source))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rocm = if s.rocm.installs.is_empty() {
        "no ROCm install found".to_owned()
    } else {
        s.rocm
            .installs
            .iter()
            .map(|i| {
                format!(
                    "{} {}",
                    i.path,
                    i.version
                        .present()
                        .map_or("(version unknown)", String::as_str)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let torches: Vec<String> = s
        .python
        .environments
        .iter()
        .flat_map(|e| e.site_packages.iter())
        .filter_map(|sp| sp.torch.present())
        .map(|t| {
            format!(
                "torch {} in {}",
                t.version_py.present().map_or("?", |v| v.version.as_str()),
                t.dir.trim_end_matches("/torch")
            )
        })
        .collect();
    let pytorch = if torches.is_empty() {
        format!(
            "no PyTorch found in {} Python environments",
            s.python.environments.len()
        )
    } else {
        torches.join(", ")
    };
    let toolchain = if s.toolchains.is_empty() {
        "no LLVM toolchain found".to_owned()
    } else {
        let majors: Vec<String> = s
            .toolchains
            .iter()
            .map(|t| format!("LLVM {} ({})", t.major, t.path.display()))
            .collect();
        majors.join(", ")
    };
    vec![
        Area {
            name: "gpu",
            status: status("gpu"),
            summary: gpu,
        },
        Area {
            name: "environment",
            status: status("environment"),
            summary: env,
        },
        Area {
            name: "rocm",
            status: status("rocm"),
            summary: rocm,
        },
        Area {
            name: "pytorch",
            status: status("pytorch"),
            summary: pytorch,
        },
        Area {
            name: "toolchain",
            status: status("toolchain"),
            summary: toolchain,
        },
    ]
}

/// The commands to run next, best first.
pub fn next_commands(findings: &[Finding], source_flag: &str) -> Vec<String> {
    let mut v = Vec::new();
    if findings.iter().any(|f| f.severity >= Severity::Warning) {
        v.push(format!("rocm-doctor plan{source_flag}"));
        if let Some(fix) = findings
            .iter()
            .flat_map(|f| &f.remedies)
            .find_map(|r| r.fix)
        {
            v.push(format!(
                "rocm-doctor fix {fix} --out {}{source_flag}",
                crate::plan::default_out(fix)
            ));
        }
    }
    // The smoke test runs on this machine only: after --demo, --root or --snapshot it would
    // test another machine than the one just checked.
    if source_flag.is_empty() {
        v.push("rocm-doctor verify".to_owned());
    }
    v
}

/// The JSON document.
#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: super::inspect_json::Tool,
    root: &'a str,
    areas: Vec<Area>,
    /// What fleet groups nodes by, typed (not read back from `areas`' display text).
    stack: crate::snapshot::Stack,
    findings: Vec<findings_json::FindingWire<'a>>,
    next: Vec<String>,
}

/// Writes `check --json`.
///
/// Returns an error if writing fails.
pub fn write_json(
    out: &mut dyn Write,
    s: &Snapshot,
    findings: &[Finding],
    source_flag: &str,
) -> std::io::Result<()> {
    let d = Document {
        schema_version: SCHEMA_VERSION,
        tool: super::inspect_json::Tool {
            name: "rocm-doctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        root: &s.root,
        areas: areas(s, findings),
        stack: s.stack(),
        findings: findings_json::wire(findings),
        next: next_commands(findings, source_flag),
    };
    serde_json::to_writer_pretty(&mut *out, &d)?;
    writeln!(out)
}

/// Writes the one-screen text report.
///
/// Returns an error if writing fails.
pub fn write_text(
    out: &mut dyn Write,
    s: &Snapshot,
    findings: &[Finding],
    source_flag: &str,
    style: &Style,
) -> std::io::Result<()> {
    let machine = if s.root == "/" {
        "this machine".to_owned()
    } else {
        s.root.clone()
    };
    writeln!(out, "{} {}", style.bold("rocm-doctor check:"), machine)?;
    for a in areas(s, findings) {
        let mark = match a.status {
            "error" => findings_text::mark(style, Severity::Error),
            "warning" => findings_text::mark(style, Severity::Warning),
            "info" => findings_text::mark(style, Severity::Info),
            _ => style.green("✓"),
        };
        writeln!(out, " {mark} {:<12} {}", a.name, a.summary)?;
    }
    writeln!(out)?;
    if findings.is_empty() {
        writeln!(out, "{}", style.green("No problems found."))?;
    } else {
        let count = |sev| findings.iter().filter(|f| f.severity == sev).count();
        writeln!(
            out,
            "{} ({} errors, {} warnings, {} notes), worst first:\n",
            style.bold(&format!("{} findings", findings.len())),
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        )?;
        findings_text::write_all(out, findings, style)?;
    }
    writeln!(out)?;
    writeln!(out, "{}", style.bold("Next:"))?;
    for c in next_commands(findings, source_flag) {
        writeln!(out, "  {c}")?;
    }
    writeln!(
        out,
        "\n{}",
        style.dim(&format!(
            "Knowledge as of {}: releases, targets and wheels newer than that are unknown to it.",
            crate::knowledge::as_of()
        ))
    )?;
    Ok(())
}
