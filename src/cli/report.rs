//! `rocm-doctor report`: what `check` finds plus the whole snapshot, in one file to attach to
//! a bug report: Markdown for a GitHub issue, one self-contained HTML page, or JSON for
//! scripts and `fleet`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::source::SourceArgs;
use crate::diagnose;
use crate::report;

/// The layout of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Markdown to paste into a GitHub issue (long parts folded in `<details>`).
    Md,
    /// `check --json` plus the full `scan --json` document under `scan`.
    Json,
    /// One self-contained HTML page (inline CSS, nothing loaded from the network).
    Html,
}

/// Flags of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which machine.
    #[command(flatten)]
    source: SourceArgs,

    /// The layout.
    #[arg(long, value_enum, default_value = "md")]
    format: Format,

    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs `report`; exit 0 whenever the report was written, whatever it found.
///
/// Returns an error when the machine cannot be read or the output cannot be written.
pub fn run(args: &ReportArgs) -> anyhow::Result<u8> {
    let snapshot = args.source.load()?.snapshot;
    let findings = crate::plan::assess(&snapshot, Vec::new()).findings;
    let flag = args.source.flag();
    let mut buf: Vec<u8> = Vec::new();
    match args.format {
        Format::Md => report::markdown::write(&mut buf, &snapshot, &findings, &flag)?,
        Format::Html => report::html::write(&mut buf, &snapshot, &findings, &flag)?,
        Format::Json => {
            let doc = json_document(&snapshot, &findings, &flag, live_hostname(&args.source))?;
            serde_json::to_writer_pretty(&mut buf, &doc)?;
            buf.push(b'\n');
        }
    }
    match &args.out {
        Some(path) => {
            std::fs::write(path, &buf).with_context(|| format!("--out {}", path.display()))?;
            eprintln!(
                "wrote {} ({})",
                path.display(),
                report::human_size(buf.len() as u64)
            );
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    Ok(super::EXIT_OK)
}

/// `check --json` with `scan` (the `scan --json` document) and, for this machine, its
/// `hostname` added: one file per node that `fleet` reads.
///
/// Returns an error if the documents cannot be serialized.
pub fn json_document(
    snapshot: &crate::snapshot::Snapshot,
    findings: &[diagnose::Finding],
    flag: &str,
    hostname: Option<String>,
) -> anyhow::Result<serde_json::Value> {
    let mut check = Vec::new();
    report::check::write_json(&mut check, snapshot, findings, flag)?;
    let mut doc: serde_json::Value = serde_json::from_slice(&check)?;
    let obj = doc
        .as_object_mut()
        .context("check --json is not an object")?;
    if let Some(h) = hostname {
        obj.insert("hostname".into(), h.into());
    }
    obj.insert(
        "scan".into(),
        serde_json::to_value(report::scan_json::document(snapshot))?,
    );
    Ok(doc)
}

/// The kernel's hostname when the report is of this machine (a tree, a replayed snapshot or
/// the demo is not this host).
fn live_hostname(source: &SourceArgs) -> Option<String> {
    if source.demo || source.root.is_some() || source.snapshot.is_some() {
        return None;
    }
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_check_plus_scan() {
        let s = crate::demo::snapshot();
        let f = diagnose::check(&s);
        let d = json_document(&s, &f, " --demo", Some("node-7".into())).unwrap();
        assert_eq!(d["schema_version"], 1);
        assert_eq!(d["hostname"], "node-7");
        assert_eq!(d["findings"][0]["code"], "override-unsafe");
        assert_eq!(d["areas"].as_array().unwrap().len(), 5);
        assert_eq!(d["scan"]["snapshot"]["root"], s.root.as_str());
        // The scan member replays as a snapshot.
        let back = crate::snapshot::from_json(&d["scan"].to_string()).unwrap();
        assert_eq!(diagnose::check(&back), f);
    }

    #[test]
    fn only_this_machine_has_a_hostname() {
        let demo = SourceArgs {
            demo: true,
            ..SourceArgs::default()
        };
        assert_eq!(live_hostname(&demo), None);
    }
}
