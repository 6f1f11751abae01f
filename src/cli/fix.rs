//! `rocm-doctor fix SOLUTION --out DIR [--apply]`: write a solution's scripts for this machine
//! into DIR (a dry run: nothing outside DIR changes), and run them only with `--apply`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::source::SourceArgs;
use crate::fix::{self, apply, shell::quote};
use crate::model::Solution;

/// Flags of `fix`.
#[derive(Debug, Args)]
pub struct FixArgs {
    /// The solution to write: container, venv, packages, source-build, env, cpu-fallback or
    /// native-build.
    #[arg(value_enum)]
    pub solution: Solution,

    /// The directory to write the scripts, README and plan into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Run the steps (after checking the plan in DIR is not stale); without it nothing runs.
    #[arg(long)]
    pub apply: bool,

    /// With --apply: run steps that need root without asking.
    #[arg(long, requires = "apply")]
    pub yes: bool,

    /// The project directory the container mounts (default: where run.sh is started).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// Which machine.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `fix`: exit 0 when the files were written (or the steps applied), 1 when the solution
/// does not fit this machine (the README says why).
///
/// Returns an error when the machine cannot be read, a file cannot be written, or `--apply`
/// refuses (stale plan, root step without confirmation) or a step fails.
pub fn run(args: &FixArgs, color: bool) -> anyhow::Result<u8> {
    if args.apply {
        if let Some(other) = args.source.replayed() {
            anyhow::bail!(
                "--apply changes the machine rocm-doctor runs on, so it only acts on a machine read live; {other} is not this machine. Nothing was changed. Write the files without --apply to read them, and run `rocm-doctor fix {} --out DIR` on the machine itself before applying.",
                args.solution
            );
        }
    }
    let machine = args.source.load()?;
    let snapshot = machine.snapshot;
    let bold = |s: &str| {
        if color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let existing = if args.out.is_dir() {
        fix::read_plan(&args.out)?
    } else {
        None
    };
    let reuse = args.apply
        && existing
            .as_ref()
            .is_some_and(|p| p.solution == args.solution);
    if !reuse {
        let opts = fix::Options {
            project: args.project.clone(),
        };
        let g = fix::generate_with(args.solution, &snapshot, &args.out, &opts)?;
        writeln!(
            out,
            "{}",
            bold(&format!("fix {}: {}", g.solution, g.summary))
        )?;
        writeln!(
            out,
            "GPU target: {}",
            g.gfx.as_deref().unwrap_or("none seen")
        )?;
        writeln!(out, "Wrote into {}:", g.dir.display())?;
        for f in &g.files {
            writeln!(out, "  {f}")?;
        }
        if !g.applicable {
            writeln!(
                out,
                "This solution does not fit this machine; README.md says why. Nothing to apply."
            )?;
            return Ok(super::EXIT_FINDINGS);
        }
        for (n, s) in g.steps.iter().enumerate() {
            let root = if s.root { "  [root]" } else { "" };
            writeln!(out, "  step {}: {} ({}){root}", n + 1, s.title, s.script)?;
        }
        for c in &g.caveats {
            writeln!(out, "  caveat: {c}")?;
        }
        if !args.apply {
            writeln!(
                out,
                "Nothing outside the directory was changed. Read README.md, then:"
            )?;
            writeln!(out, "  {}", next_command(args))?;
            out.flush()?;
            return Ok(super::EXIT_OK);
        }
    }
    out.flush()?;
    if let Some(plan) = fix::read_plan(&args.out)? {
        let made_for = plan
            .basis
            .get("root")
            .and_then(|r| r.as_str())
            .unwrap_or("");
        if made_for != snapshot.root {
            anyhow::bail!(
                "{} was written for `{made_for}`, not for this machine; nothing was changed. Run `rocm-doctor fix {} --out DIR` here first, read it, then --apply",
                args.out.display(),
                args.solution
            );
        }
    }
    let opts = apply::ApplyOptions {
        yes: args.yes,
        interactive: std::io::stdin().is_terminal(),
        env: Vec::new(),
        echo: Some(|line| eprintln!("  | {line}")),
    };
    let mut confirm = |step: &fix::Step| {
        eprint!(
            "Step '{}' ({}) runs commands as root. Run it? [y/N] ",
            step.title, step.script
        );
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let ok = std::io::stdin().lock().read_line(&mut line).is_ok();
        ok && matches!(line.trim(), "y" | "Y" | "yes")
    };
    let report = apply::apply(&args.out.canonicalize()?, &snapshot, &opts, &mut confirm)?;
    for t in &report.already_done {
        writeln!(out, "already done: {t}")?;
    }
    for t in &report.ran {
        writeln!(out, "applied: {t}")?;
    }
    if report.changed() {
        if let Some(b) = &report.backup {
            writeln!(out, "Backups: {} (rollback.sh restores them)", b.display())?;
        }
    } else {
        writeln!(out, "Nothing changed: every step was already done.")?;
    }
    writeln!(out, "Log: {}", report.log.display())?;
    out.flush()?;
    Ok(super::EXIT_OK)
}

/// The same command with `--apply`, quoted for a shell.
fn next_command(args: &FixArgs) -> String {
    let q = |p: &std::path::Path| quote(&p.to_string_lossy());
    let mut cmd = format!("rocm-doctor fix {} --out {}", args.solution, q(&args.out));
    if let Some(p) = &args.project {
        cmd.push_str(&format!(" --project {}", q(p)));
    }
    let s = &args.source;
    if s.demo {
        cmd.push_str(" --demo");
    }
    if let Some(r) = &s.root {
        cmd.push_str(&format!(" --root {}", q(r)));
    }
    if let Some(f) = &s.snapshot {
        cmd.push_str(&format!(" --snapshot {}", q(f)));
    }
    if let Some(f) = &s.rocminfo {
        cmd.push_str(&format!(" --rocminfo {}", q(f)));
    }
    cmd + " --apply"
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        fix: FixArgs,
    }

    #[test]
    fn flags_parse_and_the_next_command_round_trips() {
        let t = T::try_parse_from(["t", "venv", "--out", "a b", "--demo"]).unwrap();
        assert_eq!(t.fix.solution, Solution::Venv);
        assert_eq!(
            next_command(&t.fix),
            "rocm-doctor fix venv --out 'a b' --demo --apply"
        );
        assert!(T::try_parse_from(["t", "magic", "--out", "x"]).is_err());
        assert!(
            T::try_parse_from(["t", "env", "--out", "x", "--yes"]).is_err(),
            "--yes needs --apply"
        );
        let t = T::try_parse_from(["t", "env", "--out", "x", "--apply", "--yes"]).unwrap();
        assert!(t.fix.apply && t.fix.yes);
    }
}
