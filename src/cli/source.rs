//! Where a command's machine comes from: this machine (`/`), a captured tree (`--root`), a
//! saved snapshot (`--snapshot`) or the embedded demo machine (`--demo`). Defined once and
//! flattened into every command that reads a machine.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::probe::{self, ScanInputs};
use crate::root::Root;
use crate::snapshot::Snapshot;

/// The flags that choose the machine.
#[derive(Debug, Args, Default)]
pub struct SourceArgs {
    /// Read a captured or hand-made tree instead of this machine.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["snapshot", "demo"])]
    pub root: Option<PathBuf>,

    /// Replay a saved snapshot (`scan --json` output, or `capture`'s snapshot.json).
    #[arg(long, value_name = "FILE", conflicts_with = "demo")]
    pub snapshot: Option<PathBuf>,

    /// Use the embedded demo machine: an RX 5600 XT (gfx1010) with ROCm 7.0.2, LLVM 16 and a
    /// PyTorch venv, broken the way real ones are.
    #[arg(long)]
    pub demo: bool,

    /// Also read GPUs from pasted `rocminfo` (or `rocm-smi`, `amd-smi static`) output.
    #[arg(long, value_name = "FILE")]
    pub rocminfo: Option<PathBuf>,
}

/// A machine, read or replayed.
pub struct Machine {
    /// What was scanned.
    pub snapshot: Snapshot,
    /// The root it was read through, when it was read now (`capture` needs its record).
    pub root: Option<Root>,
}

impl SourceArgs {
    /// The flags that name this machine again, for the next commands to suggest
    /// (`" --demo"`, `" --root DIR"`), or empty for this machine.
    pub fn flag(&self) -> String {
        if self.demo {
            " --demo".to_owned()
        } else if let Some(p) = &self.snapshot {
            format!(" --snapshot {}", shell_word(&p.display().to_string()))
        } else if let Some(r) = &self.root {
            format!(" --root {}", shell_word(&r.display().to_string()))
        } else {
            String::new()
        }
    }

    /// What the flags read instead of this machine, in words (`the demo machine`, `the tree
    /// DIR`, `the snapshot FILE`), or `None` when they read this machine live.
    pub fn replayed(&self) -> Option<String> {
        if self.demo {
            Some("the demo machine (--demo)".to_owned())
        } else if let Some(p) = &self.snapshot {
            Some(format!("the saved snapshot {} (--snapshot)", p.display()))
        } else {
            self.root
                .as_ref()
                .map(|r| format!("the tree {} (--root)", r.display()))
        }
    }

    /// Reads or replays the machine.
    ///
    /// Returns an error when `--root` is not a directory, or a file named by a flag cannot be
    /// read or parsed.
    pub fn load(&self) -> anyhow::Result<Machine> {
        let rocminfo = match &self.rocminfo {
            Some(p) => Some(
                String::from_utf8_lossy(
                    &std::fs::read(p).with_context(|| format!("--rocminfo {}", p.display()))?,
                )
                .into_owned(),
            ),
            None => None,
        };
        let mut snapshot = if self.demo {
            crate::demo::snapshot()
        } else if let Some(p) = &self.snapshot {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("--snapshot {}", p.display()))?;
            crate::snapshot::from_json(&text)
                .with_context(|| format!("--snapshot {}", p.display()))?
        } else {
            let base = self.root.clone().unwrap_or_else(|| PathBuf::from("/"));
            if !base.is_dir() {
                anyhow::bail!("--root {}: not a directory", base.display());
            }
            let root = Root::new(&base);
            let snapshot = probe::take(&root, &ScanInputs { rocminfo });
            return Ok(Machine {
                snapshot,
                root: Some(root),
            });
        };
        if let Some(text) = rocminfo {
            snapshot.rocminfo = Some(probe::rocminfo::parse(&text));
        }
        Ok(Machine {
            snapshot,
            root: None,
        })
    }
}

/// `s` as one shell word: unchanged when it is plain, else single-quoted.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:=@".contains(&b));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
