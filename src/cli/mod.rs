//! Command-line flags, defined once, and the dispatch to each command.
//!
//! Flags are declared with clap's derive API so that `--help`, and later the man page and shell
//! completions, come from the same definitions.

mod capture;
mod check;
mod completions;
mod explain;
mod fix;
mod fleet;
mod inspect;
mod plan;
mod report;
mod scan;
mod source;
mod verify;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit code: the command ran and found nothing wrong.
pub const EXIT_OK: u8 = 0;
/// Exit code: the command ran and found problems (for `inspect`: some files could not be read
/// or parsed).
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: the tool itself failed (bad usage, no input found, I/O error on output).
pub const EXIT_TOOL_FAILED: u8 = 2;

/// Finds out why an AMD GPU compute stack (ROCm, HIP, MIOpen, PyTorch) fails.
#[derive(Debug, Parser)]
#[command(name = "rocm-doctor", version, about, long_about = None)]
pub struct Cli {
    /// When to use colors: auto (only on a terminal, never with NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Show more (sources of findings).
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,

    /// The command to run (default: check).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// When to color the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Color when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

impl ColorChoice {
    /// Whether to color stdout, honouring NO_COLOR (https://no-color.org).
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan and diagnose: a line per area, then findings with evidence and remedies (default).
    Check(check::CheckArgs),
    /// Read LLVM bitcode, offload bundles and AMDGPU code objects in files and directories.
    Inspect(inspect::InspectArgs),
    /// Read this machine (or a captured tree) into a snapshot: GPUs, overrides, toolchains.
    Scan(scan::ScanArgs),
    /// Pack the files a scan reads into an archive for a bug report (shows the list first).
    Capture(capture::CaptureArgs),
    /// Explain a failure log: match known signatures, read context, say what to do.
    Explain(explain::ExplainArgs),
    /// The candidate solutions for this machine, ranked, with the evidence for each.
    Plan(plan::PlanArgs),
    /// Write a solution's scripts into a directory (a dry run); --apply runs them.
    Fix(fix::FixArgs),
    /// Write what `check` finds plus the snapshot as Markdown (GitHub issue), JSON or one HTML page.
    Report(report::ReportArgs),
    /// Merge many nodes' check/report/scan JSON: finding codes × nodes, nodes grouped by stack.
    Fleet(fleet::FleetArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff), generated from the same flag definitions as --help.
    Man,
    /// Run a conv2d smoke matrix on the GPU (one subprocess per case) and classify failures.
    Verify(verify::VerifyArgs),
}

/// Parses the process arguments (exits with usage on error, as clap does).
pub fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().version(version_line()).get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    }
}

/// `0.1.0 (git 1c93769a0b2c, knowledge as of 2026-12-07)`: what `--version` prints, so a
/// report says which build and which knowledge answered.
pub fn version_line() -> &'static str {
    let s = format!(
        "{} (git {}, knowledge as of {})",
        env!("CARGO_PKG_VERSION"),
        env!("ROCM_DOCTOR_GIT_REV"),
        crate::knowledge::as_of()
    );
    Box::leak(s.into_boxed_str())
}

/// Runs the parsed command and returns the exit code.
///
/// Returns an error when the tool itself fails (e.g. writing the output fails).
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let color = cli.color.enabled();
    let command = cli
        .command
        .unwrap_or_else(|| Command::Check(check::CheckArgs::default()));
    match command {
        Command::Check(args) => check::run(&args, color, cli.verbose),
        Command::Inspect(args) => inspect::run(&args, color),
        Command::Scan(args) => scan::run(&args, color),
        Command::Capture(args) => capture::run(&args),
        Command::Explain(args) => explain::run(&args, color),
        Command::Plan(args) => plan::run(&args, color),
        Command::Fix(args) => fix::run(&args, color),
        Command::Report(args) => report::run(&args),
        Command::Fleet(args) => fleet::run(&args, color),
        Command::Completions(args) => completions::completions(&args),
        Command::Man => completions::man(),
        Command::Verify(args) => verify::run(&args, color),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_flag_parses() {
        let cli = Cli::try_parse_from(["rocm-doctor", "--color", "never", "inspect", "x"]).unwrap();
        assert_eq!(cli.color, ColorChoice::Never);
        assert!(!cli.color.enabled());
        assert!(Cli::try_parse_from(["rocm-doctor", "--color", "pink", "inspect", "x"]).is_err());
    }
}
