//! `fix`: writes the scripts of one plan candidate into a directory, and applies them on
//! request.
//!
//! `plan` decides (GPU, wheel, image, Python, venv directory, override, visible devices,
//! release); each solution module here renders that [`Setup`] as a `Draft` without choosing
//! again: its files, its steps (scripts following the protocol of [`shell`]), README
//! paragraphs and caveats. A candidate the plan does not offer is written as a README that
//! says why, with the plan's own reason.
//! [`generate`] writes the draft, a README, `lib.sh`, a `rollback.sh` when a step changes
//! anything outside the directory, and `.rocm-doctor-plan.json` (the steps and a hash of the
//! snapshot facts the choice rests on). [`apply::apply`] runs the steps.

pub mod apply;
mod container;
mod cpu_fallback;
mod env;
mod native_build;
mod packages;
mod readme;
pub mod shell;
mod source_build;
mod venv;

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::knowledge::gfx_support::{self, Override, Verdict};
use crate::model::Solution;
use crate::plan::{Candidate, Plan, Setup};
use crate::snapshot::Snapshot;

/// The plan record's file name inside the output directory.
pub const PLAN_FILE: &str = ".rocm-doctor-plan.json";

/// One step `--apply` runs: a script of the output directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The script's file name.
    pub script: String,
    /// What it does, one line.
    pub title: String,
    /// Whether it runs commands as root.
    pub root: bool,
    /// The longest `--apply` may run, in seconds; then the step is killed and apply stops.
    #[serde(default = "default_step_timeout")]
    pub timeout_secs: u64,
}

/// An hour: downloads and package installs; builds give their own.
pub const STEP_TIMEOUT_SECS: u64 = 3600;

fn default_step_timeout() -> u64 {
    STEP_TIMEOUT_SECS
}

/// Choices the snapshot cannot make.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The project directory a container mounts (default: the directory `run.sh` runs in).
    pub project: Option<PathBuf>,
}

/// What [`generate`] wrote.
#[derive(Debug)]
pub struct Generated {
    /// The solution.
    pub solution: Solution,
    /// The output directory, absolute.
    pub dir: PathBuf,
    /// The gfx target the scripts are for.
    pub gfx: Option<String>,
    /// False when the solution cannot serve this machine (the README says why).
    pub applicable: bool,
    /// What the solution does, one line.
    pub summary: String,
    /// The files written, relative to `dir`.
    pub files: Vec<String>,
    /// The steps `--apply` would run.
    pub steps: Vec<Step>,
    /// Caveats, as in the README.
    pub caveats: Vec<String>,
}

/// `.rocm-doctor-plan.json`: what `--apply` needs to run the steps and to notice staleness.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanRecord {
    /// `rocm-doctor <version>`.
    pub tool: String,
    /// The solution.
    pub solution: Solution,
    /// The gfx target.
    pub gfx: Option<String>,
    /// Whether the solution serves the machine.
    pub applicable: bool,
    /// [`apply::basis_hash`] of the snapshot at generate time.
    pub basis_hash: String,
    /// The facts hashed, kept to show what changed.
    pub basis: serde_json::Value,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Whether `rollback.sh` was written.
    pub rollback: bool,
    /// Its solution-specific undo lines, to write it again if it goes missing.
    #[serde(default)]
    pub undo: Vec<String>,
}

/// What a solution module hands back.
pub(crate) struct Draft {
    pub applicable: bool,
    pub summary: String,
    pub files: Vec<FileOut>,
    pub steps: Vec<Step>,
    /// README paragraphs (Markdown), in order.
    pub readme: Vec<String>,
    pub caveats: Vec<String>,
    pub sources: Vec<String>,
    /// Extra rollback lines (quoted shell), for changes outside the directory.
    pub undo: Vec<String>,
    /// Whether any step changes something outside the directory.
    pub outside: bool,
}

impl Draft {
    /// A solution that cannot serve this machine: only the README, saying why.
    pub fn not_applicable(summary: &str, why: Vec<String>, sources: Vec<String>) -> Draft {
        Draft {
            applicable: false,
            summary: summary.to_owned(),
            files: Vec::new(),
            steps: Vec::new(),
            readme: why,
            caveats: Vec::new(),
            sources,
            undo: Vec::new(),
            outside: false,
        }
    }
}

/// One file to write.
pub(crate) struct FileOut {
    pub name: String,
    pub text: String,
    pub exec: bool,
}

/// What the solution modules read.
pub(crate) struct Ctx<'a> {
    pub snapshot: &'a Snapshot,
    /// What the plan decided for this solution.
    pub setup: &'a Setup,
    /// Processor of the chosen GPU (`gfx1031`).
    pub gfx: Option<String>,
    /// Its name for people (`AMD Radeon RX 6700 XT (gfx1031)`).
    pub gpu_name: String,
    /// The output directory, absolute.
    pub dir: PathBuf,
    pub project: Option<PathBuf>,
}

/// [`generate_with`] without options.
pub fn generate(
    solution: Solution,
    snapshot: &Snapshot,
    out_dir: &Path,
) -> anyhow::Result<Generated> {
    generate_with(solution, snapshot, out_dir, &Options::default())
}

/// Plans for `snapshot` (its findings, then the ranked candidates) and renders `solution`'s
/// candidate into `out_dir`.
///
/// Returns an error when `out_dir` already holds another solution's plan, or when a file
/// cannot be written.
pub fn generate_with(
    solution: Solution,
    snapshot: &Snapshot,
    out_dir: &Path,
    opts: &Options,
) -> anyhow::Result<Generated> {
    let a = crate::plan::assess(snapshot, Vec::new());
    render(&a.plan, solution, snapshot, out_dir, opts)
}

/// Writes the files of `plan`'s candidate for `solution` into `out_dir`; `snapshot` is the
/// machine the plan was made for (its paths and settings, read, not decided again).
///
/// Returns an error when `out_dir` already holds another solution's plan, or when a file
/// cannot be written.
pub fn render(
    plan: &Plan,
    solution: Solution,
    snapshot: &Snapshot,
    out_dir: &Path,
    opts: &Options,
) -> anyhow::Result<Generated> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("--out {}", out_dir.display()))?;
    let dir = out_dir.canonicalize()?;
    if let Some(old) = read_plan(&dir)? {
        if old.solution != solution {
            anyhow::bail!(
                "{} holds the {} solution; write {solution} into another --out directory",
                dir.display(),
                old.solution
            );
        }
    }
    let none = Setup::default();
    let cand = plan.candidates.iter().find(|c| c.solution == solution);
    let gfx = plan.gpu.clone();
    let gpu_name = match (&plan.gpu_name, &gfx) {
        (n, Some(g)) => format!("{} ({g})", n.as_deref().unwrap_or("AMD GPU")),
        (Some(n), None) => format!("{n} (unknown target)"),
        (None, None) => "no AMD GPU seen".to_owned(),
    };
    let ctx = Ctx {
        snapshot,
        setup: cand.map_or(&none, |c| &c.setup),
        gfx,
        gpu_name,
        dir: dir.clone(),
        project: opts.project.clone(),
    };
    let draft = match cand {
        Some(c) if c.is_offered() => match solution {
            Solution::Container => container::draft(&ctx)?,
            Solution::Venv => venv::draft(&ctx)?,
            Solution::Packages => packages::draft(&ctx)?,
            Solution::SourceBuild => source_build::draft(&ctx)?,
            Solution::Env => env::draft(&ctx)?,
            Solution::CpuFallback => cpu_fallback::draft(&ctx)?,
            Solution::NativeBuild => native_build::draft(&ctx)?,
            Solution::BinaryPatch => not_offered(c, plan),
        },
        Some(c) => not_offered(c, plan),
        None => Draft::not_applicable(solution.as_str(), vec![plan.summary.clone()], Vec::new()),
    };
    write_all(solution, &ctx, draft)
}

/// The README-only draft of a candidate the plan does not offer, with the plan's reason.
fn not_offered(c: &Candidate, plan: &Plan) -> Draft {
    let reason = c.verdict.reason().unwrap_or("the plan does not offer it");
    let mut why = vec![format!(
        "`rocm-doctor plan` does not offer this solution here: {reason}."
    )];
    if let Some(r) = plan.recommended {
        why.push(format!(
            "The plan recommends `rocm-doctor fix {r}` instead."
        ));
    }
    Draft::not_applicable(
        &c.title,
        why,
        c.evidence.iter().map(|e| e.source.clone()).collect(),
    )
}

fn write_all(solution: Solution, ctx: &Ctx, mut d: Draft) -> anyhow::Result<Generated> {
    let dir = &ctx.dir;
    if !d.steps.is_empty() || d.outside {
        d.files.push(FileOut {
            name: "lib.sh".into(),
            text: shell::lib_sh(),
            exec: false,
        });
    }
    if d.outside {
        d.files.push(FileOut {
            name: "rollback.sh".into(),
            text: shell::rollback_sh(&d.undo, &d.sources),
            exec: true,
        });
    }
    let text = readme::render(solution, ctx, &d);
    d.files.push(FileOut {
        name: "README.md".into(),
        text,
        exec: false,
    });
    let mut names = Vec::new();
    for f in &d.files {
        let path = dir.join(&f.name);
        std::fs::write(&path, &f.text).with_context(|| format!("writing {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if f.exec { 0o755 } else { 0o644 };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        }
        names.push(f.name.clone());
    }
    let b = apply::basis(ctx.snapshot);
    let record = PlanRecord {
        tool: format!("rocm-doctor {}", env!("CARGO_PKG_VERSION")),
        solution,
        gfx: ctx.gfx.clone(),
        applicable: d.applicable,
        basis_hash: apply::basis_hash(&b),
        basis: b,
        steps: d.steps.clone(),
        rollback: d.outside,
        undo: d.undo.clone(),
    };
    std::fs::write(
        dir.join(PLAN_FILE),
        serde_json::to_string_pretty(&record)? + "\n",
    )?;
    names.push(PLAN_FILE.to_owned());
    Ok(Generated {
        solution,
        dir: dir.clone(),
        gfx: ctx.gfx.clone(),
        applicable: d.applicable,
        summary: d.summary,
        files: names,
        steps: d.steps,
        caveats: d.caveats,
    })
}

/// The plan record in `dir`, if there is one.
///
/// Returns an error when the file exists but cannot be read or parsed.
pub fn read_plan(dir: &Path) -> anyhow::Result<Option<PlanRecord>> {
    let p = dir.join(PLAN_FILE);
    match std::fs::read_to_string(&p) {
        Ok(text) => Ok(Some(
            serde_json::from_str(&text).with_context(|| format!("reading {}", p.display()))?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

/// The target's `HSA_OVERRIDE_GFX_VERSION` stand-in when, and only when, the knowledge base
/// says it `works`: never an `unsafe` or `unknown` one.
pub(crate) fn safe_override(gfx: &str) -> Option<&'static Override> {
    gfx_support::target(gfx)?
        .stand_in
        .as_ref()
        .filter(|o| o.verdict == Verdict::Works)
}

/// The stand-in the knowledge base does not vouch for (`unsafe` or `unknown`), to explain why
/// the scripts leave it out.
pub(crate) fn refused_override(gfx: &str) -> Option<&'static Override> {
    gfx_support::target(gfx)?
        .stand_in
        .as_ref()
        .filter(|o| o.verdict != Verdict::Works)
}

/// Shell lines that set the override when `value` is given and clear it otherwise.
pub(crate) fn override_lines(value: Option<&str>) -> String {
    match value {
        Some(v) => format!("export HSA_OVERRIDE_GFX_VERSION={}\n", shell::quote(v)),
        None => "unset HSA_OVERRIDE_GFX_VERSION\n".to_owned(),
    }
}

/// Shell lines for a setup's environment: the override (set or cleared) and, when the plan
/// keeps other GPUs out, `ROCR_VISIBLE_DEVICES`.
pub(crate) fn env_lines(setup: &Setup) -> String {
    let mut s = override_lines(setup.override_value.as_deref());
    if let Some(d) = &setup.visible_devices {
        s.push_str(&format!(
            "export ROCR_VISIBLE_DEVICES={}\n",
            shell::quote(d)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_follow_the_verdict() {
        assert!(
            safe_override("gfx1010").is_none(),
            "10.3.0 is unsafe on RDNA1"
        );
        assert_eq!(refused_override("gfx1010").unwrap().value, "10.3.0");
        assert_eq!(safe_override("gfx1031").unwrap().value, "10.3.0");
        assert!(safe_override("gfx1030").is_none() && refused_override("gfx1030").is_none());
        assert!(
            safe_override("gfx1035").is_none(),
            "unknown verdicts are not emitted"
        );
    }
}
