//! `plan`: the candidate solutions for one machine, each with what it changes, what it costs,
//! how sure we are it works on this GPU (with the knowledge rows that say so), ranked.
//!
//! The plan rests on the snapshot and the embedded knowledge first: the GPU's target, what
//! the installed PyTorch and ROCm carry, the override that is set, and per target the official
//! ROCm lines, wheels, images, reported stacks and native builds. Findings only enrich it
//! (each candidate's `fixes` / `does_not_fix`, and a small score bonus), so a plan stays
//! meaningful while few rules exist.
//!
//! # Candidates
//! `env` (an override, only where it is reported to work and the libraries carry its stand-in),
//! `venv` (a pinned wheel from a reported-good stack, else an official wheel that carries the
//! target), `container` (a rocm/pytorch image, native route before override route),
//! `packages` (AMD's packages of the newest release that lists the target), `native-build`
//! (TheRock's per-GPU wheels, or lamikr's builder), `source-build` (rocBLAS and MIOpen for the
//! exact target with the LLVM that wrote the device libraries), `cpu-fallback` (opt-in, never
//! recommended), `binary-patch` (always declined).
//!
//! # Scoring
//! Only `viable` candidates are ranked for the recommendation; the others keep a score of 0
//! and sort last. A viable candidate's score is the sum of:
//!
//! | part | values |
//! |---|---|
//! | stability | official 40, tested 30, reported 30, unverified 10, unknown 5, failing 0 |
//! | GPU speed | native 20, stand-in 10, unknown 5, cpu 0 |
//! | time | in place 20, edit 15, download 10, unknown 5, build 0 |
//! | complexity | low 0, medium -5, high -10 |
//! | risk | low 0, medium -5, high -15 |
//! | root, reboot | -5 each |
//! | findings | +2 per error, +1 per warning among `fixes` |
//! | machine | no PyTorch but a system ROCm: `packages` +10, PyTorch-only candidates -15 |
//!
//! Stability counts most because a fast path that crashes is worth nothing; official
//! support outranks single reports. The highest viable score is `recommended` (ties keep the
//! candidate order below); `cpu-fallback` is opt-in and never recommended. When the machine
//! already carries its GPU's own target, has no blocker, no rocm problem and no error finding,
//! the status is `ready` and nothing is recommended. docs/plan.md has the whole contract.

mod builds;
mod candidates;
mod machine;
mod packages;
mod rank;
mod venv;

use serde::Serialize;

use crate::model::Finding;
use crate::snapshot::Snapshot;

pub use crate::model::Solution;

/// The ranked plan for one machine.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The gfx target planned for (the first discrete GPU), `None` without a known one.
    pub gpu: Option<String>,
    /// Its marketing name, when known.
    pub gpu_name: Option<String>,
    /// What kind of plan this is.
    pub status: Status,
    /// One line saying so.
    pub summary: String,
    /// What must be fixed before any candidate can help (driver, device access).
    pub blockers: Vec<String>,
    /// Other facts worth knowing (other GPUs, the override that is set).
    pub notes: Vec<String>,
    /// Every candidate, best first.
    pub candidates: Vec<Candidate>,
    /// The recommended candidate's solution.
    pub recommended: Option<Solution>,
}

/// The kind of plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// No AMD GPU was seen.
    NoGpu,
    /// A GPU was seen but its gfx target is not known.
    UnknownTarget,
    /// The machine already carries the GPU's own target and nothing is reported wrong.
    Ready,
    /// A candidate is recommended.
    Change,
    /// No GPU path is known; only the opt-in CPU fallback remains.
    NoGpuPath,
}

/// One candidate solution.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// Which solution.
    pub solution: Solution,
    /// What it is, in one line.
    pub title: String,
    /// Everything concrete it decides, which `fix` renders without choosing again.
    pub setup: Setup,
    /// What it changes on the machine.
    pub changes: Vec<String>,
    /// The commands or actions, in order.
    pub steps: Vec<String>,
    /// Environment variables it sets (`NAME=value`).
    pub env: Vec<String>,
    /// How long it takes, and what that rests on.
    pub time: Estimate,
    /// How hard it is to carry out.
    pub complexity: Level,
    /// Which GPU code it runs.
    pub gpu_speed: Speed,
    /// How sure the sources are that it works on this target.
    pub stability: Stability,
    /// Why that stability.
    pub stability_why: String,
    /// What can go wrong on the machine.
    pub risk: Level,
    /// Why that risk.
    pub risk_why: String,
    /// Whether it needs root.
    pub needs_root: bool,
    /// Whether it needs a reboot.
    pub needs_reboot: bool,
    /// Finding codes it addresses.
    pub fixes: Vec<String>,
    /// Finding codes it leaves as they are.
    pub does_not_fix: Vec<String>,
    /// The knowledge rows it rests on, each with its source.
    pub evidence: Vec<Evidence>,
    /// Caveats and alternatives.
    pub notes: Vec<String>,
    /// Whether it is offered, and why not.
    pub verdict: Verdict,
    /// The rank score (see the module doc); 0 unless viable.
    pub score: i32,
}

/// The concrete decisions of a candidate: the GPU, the code it runs, the Python, wheel or image,
/// where the venv goes, and the environment it sets. `fix` writes exactly these.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Setup {
    /// The GPU's own gfx target (`gfx1010`).
    pub gfx: String,
    /// The target the runtime reports under this candidate (the stand-in under an override).
    pub runtime_target: String,
    /// The `HSA_OVERRIDE_GFX_VERSION` it sets; `None` means it clears any that is set.
    pub override_value: Option<String>,
    /// The `ROCR_VISIBLE_DEVICES` value that keeps other GPUs (an iGPU) out of the runtime.
    pub visible_devices: Option<String>,
    /// The Python (`major.minor`) a venv or image uses.
    pub python: Option<String>,
    /// The pip requirements installed, in order (`torch==2.5.1+rocm6.2`, `torch[device-gfx1010]`).
    pub pip: Vec<String>,
    /// The package index they come from.
    pub index_url: Option<String>,
    /// The exact torch version, when it is pinned.
    pub torch: Option<String>,
    /// A numpy bound (`<2`), when a report gives one.
    pub numpy: Option<String>,
    /// The venv directory inside `rocm-doctor fix … --out DIR`.
    pub venv_dir: Option<String>,
    /// The container image (the base image when TheRock's wheels are layered on it).
    pub image: Option<String>,
    /// The ROCm release AMD's packages are pinned to.
    pub rocm_release: Option<String>,
}

impl Setup {
    /// The environment it sets, as `NAME=value` lines (override, visible devices).
    pub fn env(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(o) = &self.override_value {
            v.push(format!("HSA_OVERRIDE_GFX_VERSION={o}"));
        }
        if let Some(d) = &self.visible_devices {
            v.push(format!("ROCR_VISIBLE_DEVICES={d}"));
        }
        v
    }
}

/// The output directory `plan` names in its steps for `rocm-doctor fix SOLUTION --out DIR`.
pub fn default_out(solution: Solution) -> String {
    format!("./rocm-doctor-{solution}")
}

/// A knowledge row a candidate rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Which row (`image rocm/pytorch:…`, `stack 1.13.1+rocm5.2`, `TheRock gfx1010`).
    pub entry: String,
    /// What it says, in a few words.
    pub says: String,
    /// Where it comes from (an https URL).
    pub source: String,
}

/// A time estimate: a value only where a source gives one.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    /// The kind of work, which the score uses.
    pub kind: Effort,
    /// The estimate (`5-10 h`), or `None` for unknown.
    pub value: Option<String>,
    /// What the estimate rests on, or why it is unknown.
    pub basis: String,
    /// The source of `value`, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The kind of work a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effort {
    /// Already in place: nothing to do.
    InPlace,
    /// A setting or a few lines to change.
    Edit,
    /// Download and install prebuilt files.
    Download,
    /// Compile from source.
    Build,
    /// Not known.
    Unknown,
}

/// Low, medium or high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// Which GPU code a candidate runs. Categories, not measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Speed {
    /// Code built for the GPU's own target.
    Native,
    /// Another target's code through `HSA_OVERRIDE_GFX_VERSION`.
    StandIn,
    /// The work runs on the CPU.
    Cpu,
    /// Not known.
    Unknown,
}

/// How sure the sources are that a candidate works on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stability {
    /// AMD's support list for that release names the target.
    Official,
    /// The builder tests the target (TheRock "release ready", lamikr "tested").
    Tested,
    /// Users reported it working.
    Reported,
    /// Built for the target; no test or report was read.
    Unverified,
    /// Reports say it fails.
    Failing,
    /// Nothing read says either way.
    Unknown,
}

/// Whether a candidate is offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "reason", rename_all = "kebab-case")]
pub enum Verdict {
    /// The best viable candidate.
    Recommended,
    /// Offered.
    Viable,
    /// Cannot work here, and why.
    NotViable(String),
    /// Could be done, but we decline to offer it, and why.
    Declined(String),
}

impl Verdict {
    /// The kebab-case name, as in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Recommended => "recommended",
            Verdict::Viable => "viable",
            Verdict::NotViable(_) => "not-viable",
            Verdict::Declined(_) => "declined",
        }
    }

    /// The reason of a not-viable or declined verdict.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Verdict::NotViable(r) | Verdict::Declined(r) => Some(r),
            _ => None,
        }
    }
}

impl Candidate {
    /// A viable candidate with unknown time and speed, to be filled in.
    fn new(solution: Solution, title: impl Into<String>) -> Candidate {
        Candidate {
            solution,
            title: title.into(),
            setup: Setup::default(),
            changes: Vec::new(),
            steps: Vec::new(),
            env: Vec::new(),
            time: Estimate::unknown("not estimated"),
            complexity: Level::Medium,
            gpu_speed: Speed::Unknown,
            stability: Stability::Unknown,
            stability_why: String::new(),
            risk: Level::Medium,
            risk_why: String::new(),
            needs_root: false,
            needs_reboot: false,
            fixes: Vec::new(),
            does_not_fix: Vec::new(),
            evidence: Vec::new(),
            notes: Vec::new(),
            verdict: Verdict::Viable,
            score: 0,
        }
    }

    /// A candidate that cannot work here, with the rows that say why.
    fn not_viable(
        solution: Solution,
        title: impl Into<String>,
        reason: impl Into<String>,
        evidence: Vec<Evidence>,
    ) -> Candidate {
        let mut c = Candidate::new(solution, title);
        c.verdict = Verdict::NotViable(reason.into());
        c.evidence = evidence;
        c
    }

    /// Whether it is offered (recommended or viable).
    pub fn is_offered(&self) -> bool {
        matches!(self.verdict, Verdict::Recommended | Verdict::Viable)
    }
}

impl Evidence {
    fn new(entry: impl Into<String>, says: impl Into<String>, source: impl Into<String>) -> Self {
        Evidence {
            entry: entry.into(),
            says: says.into(),
            source: source.into(),
        }
    }
}

impl Estimate {
    fn unknown(basis: impl Into<String>) -> Estimate {
        Estimate {
            kind: Effort::Unknown,
            value: None,
            basis: basis.into(),
            source: None,
        }
    }

    fn of(kind: Effort, basis: impl Into<String>) -> Estimate {
        Estimate {
            kind,
            value: None,
            basis: basis.into(),
            source: None,
        }
    }
}

/// A machine's findings and its plan, decided once for every command that shows either.
pub struct Assessment {
    /// The findings, worst first; their remedies name only solutions the plan offers.
    pub findings: Vec<Finding>,
    /// The ranked plan.
    pub plan: Plan,
}

/// Diagnoses `snapshot` (adding `extra` findings, such as a saved smoke run's), plans over the
/// findings, and cuts every remedy that names a `rocm-doctor fix` solution the plan does not
/// offer here, so `check`, `report`, `plan` and `fix` never contradict each other.
pub fn assess(snapshot: &Snapshot, extra: Vec<Finding>) -> Assessment {
    let mut findings = crate::diagnose::check(snapshot);
    findings.extend(extra);
    Finding::sort(&mut findings);
    let plan = plan(snapshot, &findings);
    for f in &mut findings {
        let had = !f.remedies.is_empty();
        f.remedies.retain(|r| r.fix.is_none_or(|s| plan.offers(s)));
        // A remedy that names another wheel than the plan's candidate keeps its advice but
        // loses the `rocm-doctor fix` link, which would write the plan's wheel instead.
        for r in &mut f.remedies {
            if let Some(c) = r.fix.and_then(|s| plan.candidate(s)) {
                if !names_only_the_setup(r, &c.setup) {
                    r.fix = None;
                }
            }
        }
        if had && f.remedies.is_empty() {
            f.remedies.push(
                crate::model::Remedy::new(
                    "Pick a solution from the ranked plan",
                    "The remedies known for this finding do not fit this machine; the plan lists what does.",
                )
                .command("rocm-doctor plan"),
            );
        }
    }
    Assessment { findings, plan }
}

/// Whether every ROCm wheel or index a remedy names (`2.5.1+rocm6.2`, `whl/rocm7.0`) is the
/// one the candidate's setup installs.
fn names_only_the_setup(r: &crate::model::Remedy, setup: &Setup) -> bool {
    let mut text = format!("{} {}", r.title, r.detail);
    if let Some(c) = &r.command {
        text.push(' ');
        text.push_str(c);
    }
    let ours = format!(
        "{} {} {}",
        setup.torch.as_deref().unwrap_or(""),
        setup.index_url.as_deref().unwrap_or(""),
        setup.pip.join(" ")
    );
    let mut rest = text.as_str();
    while let Some(at) = rest.find("rocm") {
        let tail = &rest[at + 4..];
        let version: String = tail
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let version = version.trim_end_matches('.');
        if version.contains('.') && !ours.contains(&format!("rocm{version}")) {
            return false;
        }
        rest = tail;
    }
    true
}

impl Plan {
    /// The candidate for `solution`, when offered.
    pub fn candidate(&self, solution: Solution) -> Option<&Candidate> {
        self.candidates
            .iter()
            .find(|c| c.solution == solution && c.is_offered())
    }

    /// Whether the plan offers `solution` (recommended or viable).
    pub fn offers(&self, solution: Solution) -> bool {
        self.candidates
            .iter()
            .any(|c| c.solution == solution && c.is_offered())
    }
}

/// The plan for `snapshot`, given the findings `diagnose::check` made for it.
pub fn plan(snapshot: &Snapshot, findings: &[Finding]) -> Plan {
    let m = match machine::read(snapshot, findings) {
        machine::Subject::Gpu(m) => m,
        machine::Subject::NoGpu => return empty(None, None, Status::NoGpu,
            "No AMD GPU was seen (KFD topology, DRM, PCI, pasted rocminfo): there is nothing to plan for.".into()),
        machine::Subject::UnknownTarget(name) => return empty(None, name, Status::UnknownTarget,
            "An AMD GPU was seen but its gfx target is unknown; pass `--rocminfo` output so the plan knows what it runs.".into()),
    };
    let mut cands = vec![
        candidates::env(&m),
        venv::venv(&m),
        candidates::container(&m),
        packages::packages(&m),
        builds::native_build(&m),
        builds::source_build(&m),
        builds::cpu_fallback(&m),
        builds::binary_patch(),
    ];
    for c in &mut cands {
        m.complete(c);
    }
    rank::score_all(&mut cands, &m, findings);
    let ready = m.ready(findings);
    let recommended = if ready {
        None
    } else {
        rank::recommend(&mut cands)
    };
    let (status, summary) = match (&recommended, ready) {
        (_, true) => (Status::Ready, format!(
            "Nothing to change: the libraries here carry {} code and nothing is reported wrong; the candidates are alternatives.", m.gfx)),
        (Some(s), _) => (Status::Change, format!("Recommended for {}: {s}.", m.gfx)),
        (None, _) => (Status::NoGpuPath, format!(
            "No GPU path for {} is known from the sources read; the CPU fallback is the only opt-in left.", m.gfx)),
    };
    Plan {
        gpu: Some(m.gfx.clone()),
        gpu_name: m.name.clone(),
        status,
        summary,
        blockers: m.blockers.clone(),
        notes: m.notes.clone(),
        candidates: cands,
        recommended,
    }
}

fn empty(gpu: Option<String>, name: Option<String>, status: Status, summary: String) -> Plan {
    Plan {
        gpu,
        gpu_name: name,
        status,
        summary,
        blockers: Vec::new(),
        notes: Vec::new(),
        candidates: Vec::new(),
        recommended: None,
    }
}
