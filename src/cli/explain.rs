//! `rocm-doctor explain [FILE|-]`: read a failure log (a file, or stdin) and say what it
//! means, the primary diagnosis first. A machine is read only when asked (`--here`, `--root`,
//! `--snapshot`, `--demo`): a log pasted from elsewhere must not be judged by this machine.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::source::SourceArgs;
use crate::model::Category;
use crate::report::{self, findings_json, findings_text};

/// Logs larger than this are cut: the signatures live in the last errors, and a runaway log
/// must not exhaust memory.
const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// Flags of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The log to read; none or `-` reads standard input.
    #[arg(value_name = "FILE|-")]
    pub file: Option<PathBuf>,

    /// Print one JSON document (`{"schema_version":1,"findings":[...]}`) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Also scan this machine: use only when the log came from it.
    #[arg(long)]
    pub here: bool,

    /// The machine the log came from, when not this one (or `--here` for this one).
    #[command(flatten)]
    pub source: SourceArgs,
}

impl ExplainArgs {
    /// Whether a machine was named; without one, only the log counts.
    fn wants_machine(&self) -> bool {
        self.here
            || self.source.root.is_some()
            || self.source.snapshot.is_some()
            || self.source.demo
    }
}

/// Reads at most [`MAX_INPUT`] bytes from `path` (or stdin for `None`/`-`), lossily as UTF-8.
/// Returns whether the input was cut.
fn read_log(path: Option<&Path>) -> std::io::Result<(String, bool)> {
    let mut bytes = Vec::new();
    match path {
        None => std::io::stdin()
            .lock()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)?,
        Some(p) if p == Path::new("-") => std::io::stdin()
            .lock()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)?,
        Some(p) => std::fs::File::open(p)?
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)?,
    };
    let cut = bytes.len() as u64 > MAX_INPUT;
    bytes.truncate(MAX_INPUT as usize);
    Ok((String::from_utf8_lossy(&bytes).into_owned(), cut))
}

/// Runs `explain`: exit 0 whether or not a signature matched, 2 when the log cannot be read
/// or a machine flag is unusable.
///
/// Returns an error only when writing the output fails.
pub fn run(args: &ExplainArgs, color: bool) -> anyhow::Result<u8> {
    let name = args
        .file
        .as_deref()
        .filter(|p| *p != Path::new("-"))
        .map_or_else(|| "standard input".to_owned(), |p| p.display().to_string());
    let (log, cut) = match read_log(args.file.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("rocm-doctor explain: cannot read {name}: {e}");
            return Ok(super::EXIT_TOOL_FAILED);
        }
    };
    if cut {
        eprintln!(
            "rocm-doctor explain: {name} is larger than 16 MiB; only the first 16 MiB were read"
        );
    }
    if args.source.rocminfo.is_some() && !args.wants_machine() {
        eprintln!("rocm-doctor explain: --rocminfo describes a machine; add --here, --root, --snapshot or --demo");
        return Ok(super::EXIT_TOOL_FAILED);
    }
    let machine = if args.wants_machine() {
        match args.source.load() {
            Ok(m) => Some(m.snapshot),
            Err(e) => {
                eprintln!("rocm-doctor explain: {e:#}");
                return Ok(super::EXIT_TOOL_FAILED);
            }
        }
    } else {
        None
    };
    let findings = crate::explain::explain(&log, machine.as_ref());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            schema_version: u32,
            findings: Vec<findings_json::FindingWire<'a>>,
        }
        let doc = Doc {
            schema_version: findings_json::SCHEMA_VERSION,
            findings: findings_json::wire(&findings),
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else if findings.is_empty() {
        let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        writeln!(out, "No ROCm failure found in {name}.")?;
        writeln!(
            out,
            "explain looks for HSA/HIP/library status codes, amdgpu and KFD kernel messages, loader, packaging and compiler errors ({}).",
            names.join(", ")
        )?;
        writeln!(
            out,
            "If this machine is the one that failed, `rocm-doctor check` reads it directly."
        )?;
    } else {
        let style = report::Style {
            color,
            verbose: false,
        };
        findings_text::write_all(&mut out, &findings, &style)?;
    }
    out.flush()?;
    Ok(super::EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ExplainArgs,
    }

    fn parse(argv: &[&str]) -> ExplainArgs {
        let mut all = vec!["explain"];
        all.extend_from_slice(argv);
        Cli::try_parse_from(all).unwrap().args
    }

    #[test]
    fn a_machine_is_read_only_when_named() {
        assert!(!parse(&["log.txt"]).wants_machine());
        assert!(!parse(&["-", "--json"]).wants_machine());
        assert!(parse(&["log.txt", "--here"]).wants_machine());
        assert!(parse(&["log.txt", "--demo"]).wants_machine());
        assert!(parse(&["--root", "/tmp"]).wants_machine());
        assert!(Cli::try_parse_from(["explain", "--root", "/tmp", "--demo"]).is_err());
    }

    #[test]
    fn input_is_capped_at_16_mib() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.log");
        let line = b"hipErrorNoBinaryForGpu\n";
        let mut data = Vec::with_capacity(MAX_INPUT as usize + 64);
        while data.len() as u64 <= MAX_INPUT {
            data.extend_from_slice(line);
        }
        std::fs::write(&big, &data).unwrap();
        let (text, cut) = read_log(Some(&big)).unwrap();
        assert!(cut);
        assert_eq!(text.len() as u64, MAX_INPUT);
        let small = dir.path().join("small.log");
        std::fs::write(&small, b"ok\xff\n").unwrap();
        let (text, cut) = read_log(Some(&small)).unwrap();
        assert_eq!((text.as_str(), cut), ("ok\u{fffd}\n", false));
        assert!(read_log(Some(&dir.path().join("missing"))).is_err());
    }
}
