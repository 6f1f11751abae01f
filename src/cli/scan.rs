//! `rocm-doctor scan`: read this machine, or a captured tree (`--root`), into a snapshot.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::probe::{self, ScanInputs};
use crate::report;
use crate::root::Root;

/// Flags of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Scan a captured or hand-made tree instead of this machine.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,

    /// Also read GPUs from pasted `rocminfo` (or `rocm-smi`, `amd-smi static`) output.
    #[arg(long, value_name = "FILE")]
    pub rocminfo: Option<PathBuf>,

    /// Print one JSON document (docs/json.md) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `scan`; always exit 0 when the scan ran (a missing GPU is a finding, not a failure).
///
/// Returns an error when `--root` is not a directory, `--rocminfo` cannot be read, or the
/// output cannot be written.
pub fn run(args: &ScanArgs, color: bool) -> anyhow::Result<u8> {
    if !args.root.is_dir() {
        anyhow::bail!("--root {}: not a directory", args.root.display());
    }
    let rocminfo = match &args.rocminfo {
        Some(p) => Some(
            String::from_utf8_lossy(
                &std::fs::read(p).with_context(|| format!("--rocminfo {}", p.display()))?,
            )
            .into_owned(),
        ),
        None => None,
    };
    let root = Root::new(&args.root);
    let snapshot = probe::take(&root, &ScanInputs { rocminfo });
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
