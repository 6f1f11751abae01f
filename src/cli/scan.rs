//! `rocm-doctor scan`: read this machine, a captured tree (`--root`), a saved snapshot
//! (`--snapshot`) or the demo machine (`--demo`) into a snapshot, and print it.

use std::io::Write;

use clap::Args;

use super::source::SourceArgs;
use crate::report;

/// Flags of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Which machine.
    #[command(flatten)]
    pub source: SourceArgs,

    /// Print one JSON document (docs/json.md) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `scan`; always exit 0 when the scan ran (a missing GPU is a finding, not a failure).
///
/// Returns an error when `--root` is not a directory, a named file cannot be read, or the
/// output cannot be written.
pub fn run(args: &ScanArgs, color: bool) -> anyhow::Result<u8> {
    let snapshot = args.source.load()?.snapshot;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        report::scan_json::write(&mut out, &snapshot)?;
    } else {
        report::scan_text::write(
            &mut out,
            &snapshot,
            &report::Style {
                color,
                verbose: false,
            },
        )?;
    }
    out.flush()?;
    Ok(super::EXIT_OK)
}
