//! `rocm-doctor capture OUT.tar.gz`: pack the files a scan reads, for a bug report. Shows the
//! list first and writes only with `--yes` (or a "y" typed at the prompt).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::capture;
use crate::probe::{self, ScanInputs};
use crate::root::Root;

/// Flags of `capture`.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// The archive to write (a gzipped tar).
    #[arg(value_name = "OUT.tar.gz")]
    pub out: PathBuf,

    /// Capture a tree instead of this machine (to re-pack or check a captured tree).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,

    /// Write without asking (the list is still printed).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Runs `capture`.
///
/// Returns an error when `--root` is not a directory or the archive cannot be written.
pub fn run(args: &CaptureArgs) -> anyhow::Result<u8> {
    if !args.root.is_dir() {
        anyhow::bail!("--root {}: not a directory", args.root.display());
    }
    let root = Root::new(&args.root);
    let snapshot = probe::take(&root, &ScanInputs::default());
    let plan = capture::plan(&root, &snapshot);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(capture::manifest(&plan).as_bytes())?;
    writeln!(
        out,
        "\n{} entries, {} of file contents, plus snapshot.json. Nothing else is read; no file \
         outside this list goes in.",
        plan.items.len(),
        crate::report::human_size(plan.bytes())
    )?;
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            writeln!(
                out,
                "Dry run: nothing written. Re-run with --yes to write {}.",
                args.out.display()
            )?;
            return Ok(super::EXIT_OK);
        }
        write!(out, "Write {}? [y/N] ", args.out.display())?;
        out.flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            writeln!(out, "Nothing written.")?;
            return Ok(super::EXIT_OK);
        }
    }
    let json = serde_json::to_string_pretty(&snapshot)?;
    capture::write(&plan, &json, &args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    writeln!(
        out,
        "Wrote {}. Replay it with:\n  tar xzf {} && rocm-doctor check --root rocm-doctor-capture/root",
        args.out.display(),
        args.out.display()
    )?;
    Ok(super::EXIT_OK)
}
