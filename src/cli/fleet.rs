//! `rocm-doctor fleet FILE...`: merge one JSON output per node (`check --json`,
//! `report --format json` or `scan --json`) into finding codes × nodes and groups of nodes
//! with the same stack. docs/fleet.md shows how to collect the files with Slurm or Ansible.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::report;

/// Flags of `fleet`.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// Node files, or directories holding them (`*.json`, searched recursively). A node is
    /// named by the document's `hostname`, else by the file name without `.json`.
    #[arg(required = true, value_name = "FILE")]
    paths: Vec<PathBuf>,

    /// Print one JSON document (docs/json.md) instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `fleet`: exit 0 when every file was read, 1 when some were skipped (each is listed
/// with the reason).
///
/// Returns an error when no file could be read as a node, or the output cannot be written.
pub fn run(args: &FleetArgs, color: bool) -> anyhow::Result<u8> {
    let fleet = crate::fleet::run(&args.paths);
    if fleet.node_count == 0 {
        for s in &fleet.skipped {
            eprintln!("rocm-doctor: {}: {}", s.file.display(), s.error);
        }
        anyhow::bail!("no node file could be read");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        report::fleet_text::write_json(&mut out, &fleet)?;
    } else {
        let style = report::Style {
            color,
            verbose: false,
        };
        report::fleet_text::write_text(&mut out, &fleet, &style)?;
    }
    out.flush()?;
    Ok(if fleet.skipped.is_empty() {
        super::EXIT_OK
    } else {
        super::EXIT_FINDINGS
    })
}
