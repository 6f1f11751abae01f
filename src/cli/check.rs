//! `rocm-doctor check` (also bare `rocm-doctor`): scan + diagnose, one screen, worst first.

use std::io::Write;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::source::SourceArgs;
use crate::diagnose::{self, Severity};
use crate::report;

/// The severity at which `check` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FailOn {
    /// Never: exit 0 whenever the check ran (the default, as a report).
    #[default]
    Never,
    /// Any finding.
    Info,
    /// Warnings and errors.
    Warning,
    /// Errors only.
    Error,
}

/// Flags of `check`.
#[derive(Debug, Args, Default)]
pub struct CheckArgs {
    /// Which machine.
    #[command(flatten)]
    pub source: SourceArgs,

    /// Print one JSON document (docs/json.md) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Add the findings of a saved `rocm-doctor verify --out FILE` run.
    #[arg(long, value_name = "FILE")]
    pub verify: Option<std::path::PathBuf>,

    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Never)]
    pub fail_on: FailOn,
}

/// Runs `check`.
///
/// Returns an error when the machine cannot be read (bad `--root`, unreadable `--snapshot`).
pub fn run(args: &CheckArgs, color: bool, verbose: bool) -> anyhow::Result<u8> {
    let snapshot = args.source.load()?.snapshot;
    let mut extra = Vec::new();
    if let Some(p) = &args.verify {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("--verify {}", p.display()))?;
        let report: crate::verify::Report =
            serde_json::from_str(&text).with_context(|| format!("--verify {}", p.display()))?;
        extra = diagnose::verify::findings(&report, &p.display().to_string());
    }
    let findings = crate::plan::assess(&snapshot, extra).findings;
    let flag = args.source.flag();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        report::check::write_json(&mut out, &snapshot, &findings, &flag)?;
    } else {
        report::check::write_text(
            &mut out,
            &snapshot,
            &findings,
            &flag,
            &report::Style { color, verbose },
        )?;
    }
    out.flush()?;
    let threshold = match args.fail_on {
        FailOn::Never => None,
        FailOn::Info => Some(Severity::Info),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Error => Some(Severity::Error),
    };
    let fail = threshold.is_some_and(|t| findings.iter().any(|f| f.severity >= t));
    Ok(if fail {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    })
}
