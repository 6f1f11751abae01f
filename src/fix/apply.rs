//! `fix … --apply`: runs a generated directory's steps one by one.
//!
//! Before anything runs, the snapshot facts the plan rests on are compared with a fresh scan
//! (a stale plan is refused). Each step's `--check` runs first: a done step is skipped, so a
//! second apply changes nothing. Steps that need root are confirmed one by one unless `--yes`,
//! and refused without a terminal to ask on. Every line the steps print goes to `apply.log`,
//! and the steps back up what they replace under `backup-<UTC time>/` for `rollback.sh`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use anyhow::Context;

use super::{read_plan, shell, Step};
use crate::snapshot::Snapshot;

/// How to treat steps that need root.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Run root steps without asking.
    pub yes: bool,
    /// Whether there is a terminal to ask on (stdin is a TTY).
    pub interactive: bool,
    /// Extra environment for the steps (tests give them a fake HOME).
    pub env: Vec<(String, String)>,
    /// Called with each output line of a running step (the CLI echoes them; nothing here
    /// prints). Every line also goes to `apply.log`.
    pub echo: Option<fn(&str)>,
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Titles of the steps that ran.
    pub ran: Vec<String>,
    /// Titles of the steps that were already done.
    pub already_done: Vec<String>,
    /// The log file.
    pub log: PathBuf,
    /// The backup directory, when a step backed something up.
    pub backup: Option<PathBuf>,
}

impl ApplyReport {
    /// Whether anything was changed.
    pub fn changed(&self) -> bool {
        !self.ran.is_empty()
    }
}

/// Runs the steps of the plan in `dir` against the machine in `fresh`; `confirm` is asked
/// before each root step (unless `opts.yes`).
///
/// Returns an error, after logging it, when there is no plan, the plan does not fit the
/// machine or is stale, a root step cannot be confirmed or is declined, or a step fails.
pub fn apply(
    dir: &Path,
    fresh: &Snapshot,
    opts: &ApplyOptions,
    confirm: &mut dyn FnMut(&Step) -> bool,
) -> anyhow::Result<ApplyReport> {
    let Some(plan) = read_plan(dir)? else {
        anyhow::bail!(
            "{} holds no plan: run `rocm-doctor fix SOLUTION --out DIR` first",
            dir.display()
        );
    };
    let log_path = dir.join("apply.log");
    let log = Arc::new(Mutex::new(
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?,
    ));
    let stamp = utc_stamp(std::time::SystemTime::now());
    let note = |line: &str| {
        if let Ok(mut f) = log.lock() {
            let _ = writeln!(f, "{line}");
        }
    };
    note(&format!(
        "== {stamp} apply {} ({})",
        plan.solution, plan.tool
    ));
    let refuse = |why: String| -> anyhow::Error {
        note(&format!("refused: {why}"));
        anyhow::anyhow!(why)
    };
    if !plan.applicable {
        return Err(refuse(format!(
            "the {} solution does not fit this machine (see README.md): nothing to apply",
            plan.solution
        )));
    }
    let now = basis(fresh);
    if basis_hash(&now) != plan.basis_hash {
        let changed: Vec<String> = match (plan.basis.as_object(), now.as_object()) {
            (Some(a), Some(b)) => b
                .keys()
                .filter(|k| a.get(*k) != b.get(*k))
                .cloned()
                .collect(),
            _ => vec!["everything".into()],
        };
        return Err(refuse(format!(
            "the plan is stale: the machine changed since it was written ({}). Run `rocm-doctor fix {} --out DIR` again, review it, then --apply",
            changed.join(", "),
            plan.solution
        )));
    }
    restore_helpers(dir, &plan)?;
    // A fresh directory per run, so each run's manifest lists only what that run replaced.
    let mut backup = dir.join(format!("backup-{stamp}"));
    for n in 2.. {
        if !backup.exists() {
            break;
        }
        backup = dir.join(format!("backup-{stamp}-{n}"));
    }
    let mut report = ApplyReport {
        log: log_path.clone(),
        ..ApplyReport::default()
    };
    for (n, step) in plan.steps.iter().enumerate() {
        let script = dir.join(&step.script);
        let label = format!(
            "step {}/{} ({}): {}",
            n + 1,
            plan.steps.len(),
            step.script,
            step.title
        );
        if !script.is_file() {
            return Err(refuse(format!("{label}: {} is missing", script.display())));
        }
        let limit = |mode: &str| {
            let secs = if mode == "--apply" {
                step.timeout_secs
            } else {
                CHECK_TIMEOUT_SECS
            };
            std::time::Duration::from_secs(secs)
        };
        let run = |mode: &str| {
            let code = run(
                &script,
                mode,
                &backup,
                dir,
                opts,
                &log,
                limit(mode),
                step.root,
            )?;
            code.ok_or_else(|| {
                refuse(format!(
                    "{label}: {mode} did not finish within {} s and was killed; see {}",
                    limit(mode).as_secs(),
                    log_path.display()
                ))
            })
        };
        let check = run("--check")?;
        match check {
            0 => {
                note(&format!("{label}: already done"));
                report.already_done.push(step.title.clone());
                continue;
            }
            shell::NOT_DONE => {}
            code => {
                return Err(refuse(format!(
                    "{label}: its --check failed (exit {code}); see {}",
                    log_path.display()
                )))
            }
        }
        if step.root && !opts.yes {
            if !opts.interactive {
                return Err(refuse(format!("{label} needs root and there is no terminal to ask on: run it in a terminal, or pass --yes")));
            }
            if !confirm(step) {
                return Err(refuse(format!(
                    "{label}: declined; stopped here (earlier steps stay applied)"
                )));
            }
        }
        note(&format!("{label}: running"));
        let code = run("--apply")?;
        if code != 0 {
            return Err(refuse(format!(
                "{label} failed (exit {code}); see {}. rollback.sh undoes what earlier steps changed",
                log_path.display()
            )));
        }
        if run("--check")? != 0 {
            return Err(refuse(format!("{label} ran, but its --check still fails")));
        }
        report.ran.push(step.title.clone());
    }
    if backup.is_dir() {
        report.backup = Some(backup);
    }
    note(&format!(
        "finished: {} step(s) ran, {} already done",
        report.ran.len(),
        report.already_done.len()
    ));
    Ok(report)
}

/// The snapshot facts the solutions' choices rest on: which machine, its GPUs, its ROCm
/// installs and toolchains, whether the driver is loaded. Environment variables and Python
/// environments are left out: applying a solution changes them.
pub fn basis(s: &Snapshot) -> serde_json::Value {
    let gpus: Vec<_> = s
        .gpus()
        .into_iter()
        .map(|g| serde_json::json!([g.gfx_target, g.pci_device_id, g.node]))
        .collect();
    let rocm: Vec<_> = s
        .rocm
        .installs
        .iter()
        .map(|i| serde_json::json!([i.path, i.version.present()]))
        .collect();
    let tools: Vec<_> = s
        .toolchains
        .iter()
        .map(|t| serde_json::json!([t.major, t.path]))
        .collect();
    serde_json::json!({
        "root": s.root,
        "gpus": gpus,
        "rocm": rocm,
        "toolchains": tools,
        "amdgpu_loaded": s.access.amdgpu_loaded,
    })
}

/// FNV-1a (64 bit) of the basis's JSON text, as `fnv1a64:<hex>`: a change detector, not a
/// security measure.
pub fn basis_hash(basis: &serde_json::Value) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in basis.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

/// Puts `lib.sh` and `rollback.sh` back if they were deleted since generation.
fn restore_helpers(dir: &Path, plan: &super::PlanRecord) -> anyhow::Result<()> {
    let lib = dir.join("lib.sh");
    if !plan.steps.is_empty() && !lib.exists() {
        std::fs::write(&lib, shell::lib_sh())?;
    }
    let rb = dir.join("rollback.sh");
    if plan.rollback && !rb.exists() {
        std::fs::write(&rb, shell::rollback_sh(&plan.undo, &[]))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&rb, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    Ok(())
}

/// How long a step's `--check` may take.
const CHECK_TIMEOUT_SECS: u64 = 120;

/// Runs `bash SCRIPT MODE` in `dir` through the one subprocess runner, copying its output to
/// the log and to `echo`; returns its exit code (-1 when a signal ended it), or `None` when it
/// ran past `timeout` and was killed. A root step keeps the terminal (sudo may ask for a
/// password), so it stays in our process group and only the step itself is killed.
#[allow(clippy::too_many_arguments)]
fn run(
    script: &Path,
    mode: &str,
    backup: &Path,
    dir: &Path,
    opts: &ApplyOptions,
    log: &Arc<Mutex<File>>,
    timeout: std::time::Duration,
    root: bool,
) -> anyhow::Result<Option<i32>> {
    let mut cmd = Command::new("bash");
    cmd.envs(opts.env.iter().map(|(k, v)| (k, v)))
        .arg(script)
        .arg(mode)
        .current_dir(dir)
        .env("ROCM_DOCTOR_BACKUP", backup);
    let quiet = mode == "--check";
    let echo = opts.echo;
    let log = Arc::clone(log);
    let mut o = crate::exec::Options::new(timeout, 64 * 1024);
    o.inherit_stdin = root && opts.interactive;
    o.own_group = !o.inherit_stdin;
    o.on_line = Some(Arc::new(move |line: &str| {
        if let (false, Some(echo)) = (quiet, echo) {
            echo(line);
        }
        if let Ok(mut f) = log.lock() {
            let _ = writeln!(f, "  | {line}");
        }
    }));
    let out = crate::exec::run_with(cmd, &o)
        .with_context(|| format!("running bash {}", script.display()))?;
    Ok(out.status.map(|s| s.code().unwrap_or(-1)))
}

/// `20260822T115004Z` for a time (UTC), as backup directory names use it.
pub fn utc_stamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn the_basis_ignores_what_fixes_change() {
        let a = crate::demo::snapshot();
        let mut b = crate::demo::snapshot();
        b.env.vars.clear();
        b.python.environments.clear();
        assert_eq!(basis_hash(&basis(&a)), basis_hash(&basis(&b)));
        b.rocm.installs.clear();
        assert_ne!(basis_hash(&basis(&a)), basis_hash(&basis(&b)));
    }

    #[test]
    fn stamps_are_utc_calendar_times() {
        assert_eq!(utc_stamp(UNIX_EPOCH), "19700101T000000Z");
        // 2024-02-29 12:34:56 UTC (a leap day).
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096);
        assert_eq!(utc_stamp(t), "20240229T123456Z");
        let t = UNIX_EPOCH + Duration::from_secs(4_102_444_799);
        assert_eq!(utc_stamp(t), "20991231T235959Z");
    }
}
