//! `rocm-doctor completions SHELL` and `rocm-doctor man`: shell completions and the man page,
//! generated from the same clap definitions as `--help`, so they cannot drift from the flags.

use std::io::Write;

use clap::{Args, CommandFactory};

/// Flags of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Prints the completion script for `args.shell`.
///
/// Returns an error if writing fails.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<u8> {
    let mut cmd = super::Cli::command();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    clap_complete::generate(args.shell, &mut cmd, "rocm-doctor", &mut out);
    out.flush()?;
    Ok(super::EXIT_OK)
}

/// Prints the man page (roff) for rocm-doctor and its subcommands.
///
/// Returns an error if rendering or writing fails.
pub fn man() -> anyhow::Result<u8> {
    let cmd = super::Cli::command();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    // Each subcommand's own page follows, so its flags are documented too.
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        clap_mangen::Man::new(sub.clone())
            .title(format!("rocm-doctor-{}", sub.get_name()))
            .render(&mut out)?;
    }
    out.flush()?;
    Ok(super::EXIT_OK)
}
