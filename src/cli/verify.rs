//! `rocm-doctor verify`: run the conv2d smoke matrix on the GPU and say how each case ended.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::verify::{self, Case, CaseResult, Launcher, Outcome, Report};

/// Flags of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The Python interpreter to test (default: the interpreter of the first environment on
    /// this machine whose PyTorch is a ROCm build, else `python3` on PATH).
    #[arg(long, value_name = "PATH", conflicts_with = "image")]
    pub python: Option<PathBuf>,

    /// Test a container image instead (run with the GPU devices passed through).
    #[arg(long, value_name = "TAG")]
    pub image: Option<String>,

    /// Container engine for --image (default: docker, else podman, found on PATH).
    #[arg(long, value_name = "PROGRAM", requires = "image")]
    pub engine: Option<PathBuf>,

    /// Seconds before a case counts as hung and its process group is killed.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub timeout: u64,

    /// Run only this case (repeatable; see --list).
    #[arg(long = "case", value_name = "NAME")]
    pub cases: Vec<String>,

    /// List the cases and exit.
    #[arg(long)]
    pub list: bool,

    /// Print one JSON document (docs/verify.md) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Also save the JSON document to FILE.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs `verify`: exit 0 when every case passed, 1 when any did not, 2 when the tool failed
/// (unknown case, interpreter or engine not found, output not writable).
pub fn run(args: &VerifyArgs, color: bool) -> anyhow::Result<u8> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let all = verify::matrix();
    if args.list {
        for case in &all {
            writeln!(out, "{:<22} {}", case.name, case.describe())?;
        }
        return Ok(super::EXIT_OK);
    }
    let cases = match select(&all, &args.cases) {
        Ok(c) => c,
        Err(msg) => return tool_failed(&msg),
    };
    let launcher = match launcher(args) {
        Ok(l) => l,
        Err(msg) => return tool_failed(&msg),
    };
    if let Err(msg) = launcher.check() {
        return tool_failed(&msg);
    }
    if args.timeout == 0 {
        return tool_failed("--timeout must be at least 1 second");
    }
    let timeout = Duration::from_secs(args.timeout);
    if !args.json {
        writeln!(
            out,
            "verify: {} case(s) in {}, timeout {}s each",
            cases.len(),
            launcher.describe(),
            args.timeout
        )?;
        out.flush()?;
    }
    let mut write_err = None;
    let result = verify::run_all(&launcher, &cases, timeout, |r| {
        if !args.json {
            if let Err(e) = writeln!(out, "{}", case_line(r, color)).and_then(|()| out.flush()) {
                write_err.get_or_insert(e);
            }
        }
    });
    if let Some(e) = write_err {
        return Err(e.into());
    }
    let report = match result {
        Ok(r) => r,
        Err(e) => return tool_failed(&format!("{e:#}")),
    };
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &args.out {
        std::fs::write(path, format!("{json}\n"))
            .with_context(|| format!("--out {}", path.display()))?;
    }
    if args.json {
        writeln!(out, "{json}")?;
    } else {
        writeln!(out, "{}", summary(&report))?;
    }
    out.flush()?;
    let all_pass = report.cases.iter().all(|c| c.outcome == Outcome::Pass);
    Ok(if all_pass && report.stopped_early.is_none() {
        super::EXIT_OK
    } else {
        super::EXIT_FINDINGS
    })
}

fn tool_failed(msg: &str) -> anyhow::Result<u8> {
    eprintln!("rocm-doctor verify: {msg}");
    Ok(super::EXIT_TOOL_FAILED)
}

/// The cases named by `--case`, in matrix order; all of them when none is named.
fn select(all: &[Case], names: &[String]) -> Result<Vec<Case>, String> {
    if let Some(bad) = names.iter().find(|n| !all.iter().any(|c| &c.name == *n)) {
        return Err(format!("unknown case {bad:?} (see --list)"));
    }
    Ok(all
        .iter()
        .filter(|c| names.is_empty() || names.contains(&c.name))
        .cloned()
        .collect())
}

/// The interpreter of the first environment whose torch is a ROCm build, from a scan of this
/// machine; `python3` when there is none.
fn default_python() -> PathBuf {
    let snapshot = crate::probe::take(
        &crate::root::Root::new("/"),
        &crate::probe::ScanInputs::default(),
    );
    default_python_of(&snapshot).unwrap_or_else(|| "python3".into())
}

/// `<prefix>/bin/python` of the first environment with a ROCm torch.
fn default_python_of(s: &crate::snapshot::Snapshot) -> Option<PathBuf> {
    s.python
        .environments
        .iter()
        .filter(|e| e.kind != crate::probe::python::EnvKind::System)
        .find(|e| {
            e.site_packages.iter().any(|sp| {
                sp.torch
                    .present()
                    .is_some_and(|t| t.flavour == Some(crate::probe::python::Flavour::Rocm))
            })
        })
        .map(|e| PathBuf::from(format!("{}/bin/python", e.prefix)))
}

fn launcher(args: &VerifyArgs) -> Result<Launcher, String> {
    let Some(tag) = &args.image else {
        let python = args.python.clone().unwrap_or_else(default_python);
        return Ok(Launcher::Python(python));
    };
    let engine = match &args.engine {
        Some(e) => e.clone(),
        None => ["docker", "podman"]
            .into_iter()
            .map(PathBuf::from)
            .find(|e| Launcher::Fixture(e.clone()).check().is_ok())
            .ok_or("--image needs docker or podman on PATH (or --engine PROGRAM)")?,
    };
    Ok(Launcher::Image {
        engine,
        tag: tag.clone(),
    })
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// `✓ seed-fp32-fwd  pass  3.2s` / `✗ ... hsa-error  0x29 ... (SIGABRT)  5.1s`.
fn case_line(r: &CaseResult, color: bool) -> String {
    let pass = r.outcome == Outcome::Pass;
    let mark = if pass {
        paint("✓", "32", color)
    } else {
        paint("✗", "31", color)
    };
    let mut evidence: Vec<String> = Vec::new();
    evidence.extend(r.hsa_error.clone());
    evidence.extend(r.exception.clone());
    evidence.extend(r.signal.as_ref().map(|s| format!("({s})")));
    if evidence.is_empty() && !pass {
        // A crash without a signal exited on its own: its code is the evidence.
        match (r.outcome, r.exit_code) {
            (Outcome::Crash, Some(code)) => evidence.push(format!("exit {code}")),
            _ => evidence.extend(r.detail.clone()),
        }
    }
    format!(
        "{mark} {:<22} {:<12} {:>7.1}s  {}",
        r.name,
        r.outcome.as_str(),
        r.seconds,
        evidence.join(" ")
    )
    .trim_end()
    .to_string()
}

/// `20 cases: 18 pass, 2 failed (1 hang, 1 hsa-error)`, plus why the run stopped early.
fn summary(report: &Report) -> String {
    let pass = report
        .cases
        .iter()
        .filter(|c| c.outcome == Outcome::Pass)
        .count();
    let mut failed: Vec<(&str, usize)> = Vec::new();
    for c in report.cases.iter().filter(|c| c.outcome != Outcome::Pass) {
        match failed.iter_mut().find(|(o, _)| *o == c.outcome.as_str()) {
            Some((_, n)) => *n += 1,
            None => failed.push((c.outcome.as_str(), 1)),
        }
    }
    let mut line = format!("{} case(s): {pass} pass", report.cases.len());
    if !failed.is_empty() {
        let parts: Vec<String> = failed.iter().map(|(o, n)| format!("{n} {o}")).collect();
        let total: usize = failed.iter().map(|(_, n)| n).sum();
        line.push_str(&format!(", {total} failed ({})", parts.join(", ")));
    }
    if let Some(why) = &report.stopped_early {
        line.push_str(&format!("\nstopped early: {why}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(outcome: Outcome) -> CaseResult {
        CaseResult {
            name: "seed-fp32-fwd".into(),
            outcome,
            signal: Some("SIGABRT".into()),
            hsa_error: Some("0x29 HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION".into()),
            exception: None,
            exit_code: None,
            seconds: 5.06,
            detail: None,
            smoke: None,
            stderr_tail: String::new(),
        }
    }

    #[test]
    fn case_line_shows_mark_outcome_evidence_and_time() {
        let line = case_line(&result(Outcome::HsaError), false);
        assert!(line.starts_with("✗ seed-fp32-fwd"), "{line}");
        assert!(line.contains("hsa-error"));
        assert!(line.contains("0x29 HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION (SIGABRT)"));
        assert!(line.contains("5.1s"));
    }

    #[test]
    fn summary_counts_failures_by_outcome_and_says_why_it_stopped() {
        let report = Report {
            schema_version: 1,
            launcher: "python python3".into(),
            stopped_early: Some("torch cannot be imported".into()),
            cases: vec![
                result(Outcome::Pass),
                result(Outcome::Hang),
                result(Outcome::Hang),
            ],
        };
        let s = summary(&report);
        assert!(s.starts_with("3 case(s): 1 pass, 2 failed (2 hang)"), "{s}");
        assert!(s.contains("stopped early: torch cannot be imported"));
    }

    #[test]
    fn unknown_case_is_rejected() {
        let all = verify::matrix();
        assert!(select(&all, &["nope".into()]).is_err());
        let one = select(&all, &["conv3x3-224-fp16-bwd".into()]).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(select(&all, &[]).unwrap().len(), all.len());
    }

    #[test]
    fn the_default_interpreter_is_the_venv_with_rocm_torch() {
        let demo = crate::demo::snapshot();
        assert_eq!(
            super::default_python_of(&demo),
            Some(PathBuf::from("/home/user/venv/bin/python"))
        );
    }
}
