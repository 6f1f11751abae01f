//! `rocm-doctor inspect PATH...`: flags and glue between the walk, the analysis and the report.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::inspect::{self, Options};
use crate::report;

/// Flags of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Files or directories (walked recursively, in parallel).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Print one JSON document (schema in docs/json.md) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Also parse the code objects (and bitcode) inside each bundle entry.
    #[arg(long)]
    pub deep: bool,

    /// In directories, also list files that are none of the known kinds.
    #[arg(long)]
    pub all: bool,

    /// List every bundle and entry, not only the grouped summary.
    #[arg(short, long)]
    pub verbose: bool,

    /// Worker threads for directory walks (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Never show a progress bar (it shows only on a terminal, for long walks).
    #[arg(long)]
    pub no_progress: bool,

    /// LLVM majors whose bitcode readers to judge each bitcode file against, e.g. 14,15,16,19;
    /// `none` to skip. Default: the majors installed on this machine plus those ROCm ships.
    #[arg(long, value_name = "MAJORS", value_parser = parse_readers)]
    pub readers: Option<Readers>,
}

/// The `--readers` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readers(pub Vec<u32>);

fn parse_readers(s: &str) -> Result<Readers, String> {
    if s == "none" {
        return Ok(Readers(Vec::new()));
    }
    let mut v = s
        .split(',')
        .map(|p| {
            p.trim()
                .parse::<u32>()
                .map_err(|_| format!("not an LLVM major: {p:?}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if v.iter().any(|&m| !(3..=99).contains(&m)) {
        return Err("LLVM majors are between 3 and 99".into());
    }
    v.sort_unstable();
    v.dedup();
    Ok(Readers(v))
}

/// Runs `inspect`; returns [`super::EXIT_FINDINGS`] when some file could not be read or parsed.
///
/// Returns an error when no path exists or the output cannot be written.
pub fn run(args: &InspectArgs, color: bool) -> anyhow::Result<u8> {
    // Probed once: the default readers and the matrix's "installed here" marks.
    let installed = crate::probe::toolchain::installed_majors(&crate::root::Root::new("/"));
    let opts = Options {
        deep: args.deep,
        include_unknown: args.all,
        threads: args.threads,
        readers: match &args.readers {
            Some(r) => r.0.clone(),
            None => crate::inspect::readers::default_majors(&installed),
        },
        ..Options::default()
    };
    let bar = report::progress::Bar::new(!args.no_progress);
    let mut result = inspect::inspect_paths(&args.paths, &opts, &bar);
    bar.finish();
    result.installed_llvm = installed;
    if result.files.is_empty() && result.missing.len() == args.paths.len() {
        anyhow::bail!(
            "no such file or directory: {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        report::inspect_json::write(&mut out, &result)?;
    } else {
        let style = report::Style {
            color,
            verbose: args.verbose,
        };
        report::inspect_text::write(&mut out, &result, &style)?;
    }
    out.flush()?;
    let failed = result.files.iter().any(|f| f.error.is_some()) || !result.missing.is_empty();
    Ok(if failed {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    })
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn inspect_flags_parse() {
        let cli =
            Cli::try_parse_from(["rocm-doctor", "inspect", "--json", "--deep", "-v", "a", "b"])
                .unwrap();
        let Some(Command::Inspect(a)) = cli.command else {
            panic!("not inspect")
        };
        assert!(a.json && a.deep && a.verbose && !a.all);
        assert_eq!(a.paths.len(), 2);
        assert!(
            Cli::try_parse_from(["rocm-doctor", "inspect"]).is_err(),
            "a path is required"
        );
    }
}
