//! Rules: the PyTorch installs and their Python. Does torch carry code for the GPU's effective
//! target, is it built for another ROCm than the system's (and can that matter), and can this
//! Python run any PyTorch wheel known to work on the GPU.

use super::libraries::{
    finding, gpu_evidence, has_gfx, installs_in_use, native_and_cpu_remedies, remedy,
    stand_in_remedy, wanted, wheel_remedy, Want,
};
use super::{Category, Context, Evidence, Finding, Layer, Severity};
use crate::knowledge::gfx_support::{self, Support, Verdict};
use crate::knowledge::stacks::{self, StackVerdict};
use crate::knowledge::wheels::{self, TorchRelease};
use crate::model::Solution;
use crate::probe::python::{Flavour, PythonEnv, SitePackages, Torch, TorchVersion};
use crate::snapshot::Snapshot;

/// Codes these rules emit.
pub const CODES: &[&str] = &[
    "torch-lacks-gpu-target",
    "framework-rocm-differs-from-system",
    "python-too-new-for-wheels",
];

const NO_CODE_OBJECT: &str = "https://github.com/pytorch/pytorch/issues/132570";
const WHEEL_ARCHES: &str = "https://github.com/astral-sh/uv/blob/26a9dd4b2125bc271b47855e1fa0c49af3365db5/crates/uv-torch/src/backend.rs";
const BUNDLED: &str = "https://github.com/pytorch/pytorch/issues/118457";
const RUNPATH: &str = "https://github.com/pytorch/builder/pull/1468";
const MIXED_LIBS: &str = "https://github.com/ROCm/pytorch/issues/1340";
const UV_PYTHON: &str = "https://docs.astral.sh/uv/pip/environments/";

const KNOWLEDGE: &str = "knowledge: stacks.toml, torch_wheels.toml";
const NO_KERNELS: Category = Category::MissingKernelsForArch;
const WHEEL: Layer = Layer::FrameworkWheel;

/// A torch package and where it sits.
pub(super) struct TorchAt<'a> {
    /// The environment.
    pub env: &'a PythonEnv,
    /// The site-packages holding it.
    pub sp: &'a SitePackages,
    /// The package.
    pub torch: &'a Torch,
}

/// Every torch package of every Python environment.
pub(super) fn torches(s: &Snapshot) -> Vec<TorchAt<'_>> {
    let mut v = Vec::new();
    for env in &s.python.environments {
        for sp in &env.site_packages {
            v.extend(sp.torch.present().map(|torch| TorchAt { env, sp, torch }));
        }
    }
    v
}

/// Adds this area's findings.
pub(super) fn rules(ctx: &Context, out: &mut Vec<Finding>) {
    let list = torches(ctx.snapshot);
    let wants = wanted(ctx);
    for t in &list {
        torch_targets(ctx, &wants, t, out);
        rocm_differs(ctx, &wants, t, out);
    }
    python_too_new(ctx, &wants, &list, out);
}

/// `major.minor` of a version string (`3.12.3`, `6.2.41133-dd7f95766`).
fn major_minor(v: &str) -> Option<(u32, u32)> {
    let mut it = v.split(|c: char| !c.is_ascii_digit());
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

fn torch_targets(ctx: &Context, wants: &[Want], t: &TorchAt, out: &mut Vec<Finding>) {
    let Some(w0) = wants.first() else { return };
    let v = t.torch.version_py.present();
    let version = v.map_or("(version unknown)", |v| v.version.as_str());
    let kind = match t.torch.flavour {
        Some(Flavour::Rocm) => None,
        Some(Flavour::Cuda) => Some("CUDA"),
        Some(Flavour::Cpu) => Some("CPU-only"),
        None => return,
    };
    if let Some(kind) = kind {
        let head = (NO_KERNELS, Severity::Warning, WHEEL);
        let title = format!("torch {version} in {} is a {kind} build", t.env.prefix);
        let mut f = finding("torch-lacks-gpu-target", head, title);
        f.evidence = gpu_evidence(ctx.snapshot, w0);
        let (says, vp) = (
            format!("{version}: hip = None"),
            format!("{}/version.py", t.torch.dir),
        );
        f.evidence.push(Evidence::new(vp, says));
        f.why = "This torch has no AMD GPU code at all: torch.cuda.is_available() is False and \
                 everything runs on the CPU."
            .into();
        f.other_layers = "No driver, ROCm install or override gives a CUDA or CPU wheel AMD \
                          code; only a ROCm build of torch can use the GPU."
            .into();
        f.remedies.extend(wheel_remedy(w0.rt));
        f.sources = vec![WHEEL_ARCHES.into()];
        out.push(f);
        return;
    }
    let targets = &t.torch.gpu_targets;
    if targets.is_empty() {
        return; // the code objects could not be read: unknown, not missing
    }
    let libs = t.torch.libs.present().into_iter().flatten();
    let carriers: Vec<String> = libs
        .filter_map(|l| Some((l, l.targets.present().filter(|v| !v.is_empty())?)))
        .map(|(l, v)| format!("{}: {}", l.name, v.join(", ")))
        .collect();
    for w in wants {
        let rt_present = has_gfx(targets, w.rt);
        let hw = w.hw.filter(|h| !has_gfx(targets, h));
        let title = match (rt_present, hw) {
            (true, None) => continue,
            (true, Some(hw)) => format!("torch {version} has no {hw} code; it runs {} code", w.rt),
            (false, _) => format!("torch {version} has no code for {}", w.rt),
        };
        // Loading the stand-in's code is fine where the knowledge reports the override working.
        let stand_in =
            w.hw.and_then(gfx_support::target)
                .and_then(|g| g.stand_in.as_ref());
        let works = stand_in.is_some_and(|o| o.stands_in == w.rt && o.verdict == Verdict::Works);
        let severity = match (rt_present, works) {
            (false, _) => Severity::Error,
            (true, true) => Severity::Info,
            (true, false) => Severity::Warning,
        };
        let head = (NO_KERNELS, severity, WHEEL);
        let mut f = finding("torch-lacks-gpu-target", head, title);
        f.evidence = gpu_evidence(ctx.snapshot, w);
        let lib = format!("{}/lib", t.torch.dir);
        f.evidence
            .extend(carriers.iter().map(|c| Evidence::new(&lib, c)));
        f.why = if rt_present {
            format!(
                "The wheel's kernels are built for {}, not for the GPU's own {}. It loads only \
                 because the override makes the runtime ask for {}; whether that is safe on \
                 this GPU is the override's verdict (override-unsafe / override-unverified).",
                targets.join(", "),
                w.hw.unwrap_or("target"),
                w.rt
            )
        } else {
            format!(
                "The runtime looks for {} code objects and the wheel has none: the first GPU \
                 operation fails with \"HIP error: invalid device function\" or \
                 \"hipErrorNoBinaryForGpu\".",
                w.rt
            )
        };
        f.other_layers = "The code objects are compiled into the wheel's libraries: a system \
                          ROCm, driver or kernel update does not change what it loads. Only \
                          another wheel, a build for this target, or another target reported \
                          through the override does."
            .into();
        if !rt_present {
            f.remedies.extend(wheel_remedy(w.rt));
            f.remedies.extend(stand_in_remedy(w.hw, w.rt, targets));
        }
        f.remedies.extend(native_and_cpu_remedies(w.hw));
        f.sources = vec![NO_CODE_OBJECT.into(), WHEEL_ARCHES.into()];
        out.push(f);
    }
}

/// The ROCm a torch build was made with: `rocm` (newer builds), else `hip`, else `+rocmX.Y`.
fn torch_rocm(v: &TorchVersion) -> Option<(u32, u32)> {
    let text = v.rocm.as_deref().or(v.hip.as_deref()).or(v.rocm_label());
    text.and_then(major_minor)
}

fn rocm_differs(ctx: &Context, wants: &[Want], t: &TorchAt, out: &mut Vec<Finding>) {
    let s = ctx.snapshot;
    let Some(v) = t.torch.version_py.present() else {
        return;
    };
    let Some(built) = torch_rocm(v) else { return };
    for inst in installs_in_use(s).into_iter().filter(|i| i.layout != "pip") {
        // A distro layout shows only its HIP soname major: compare majors then.
        let raw = inst.version.present();
        let (sys, said, same) = match (raw.and_then(|r| major_minor(r)), inst.hip_soname_major) {
            (Some(mm), _) => (format!("{}.{}", mm.0, mm.1), raw.cloned(), mm == built),
            (None, Some(m)) => (
                format!("{m}.x"),
                Some(format!("libamdhip64.so.{m}")),
                m == built.0,
            ),
            (None, None) => continue,
        };
        if same {
            continue;
        }
        let preload: Vec<_> = (s.rocm.env.iter())
            .filter(|e| e.source == "LD_LIBRARY_PATH" && e.install.as_deref() == Some(&inst.path))
            .collect();
        let (severity, layer) = match preload.is_empty() {
            true => (Severity::Info, WHEEL),
            false => (Severity::Warning, Layer::Environment),
        };
        let head = (Category::VersionMismatchFrameworkVsRuntime, severity, layer);
        let title = format!(
            "torch {} is built for ROCm {}.{}; the system ROCm in {} is {sys}",
            v.version, built.0, built.1, inst.path
        );
        let mut f = finding("framework-rocm-differs-from-system", head, title);
        let hip = v.hip.as_deref().unwrap_or("None");
        let says = format!("__version__ = {}, hip = {hip}", v.version);
        let version_py = format!("{}/version.py", t.torch.dir);
        f.evidence.push(Evidence::new(version_py, says));
        let source = match raw {
            Some(_) => format!("{}/.info/version", inst.path),
            None => inst.path.clone(),
        };
        f.evidence
            .push(Evidence::new(source, said.unwrap_or_default()));
        let env = format!("environment ({})", s.env.source);
        for e in &preload {
            let says = format!("LD_LIBRARY_PATH has {} → {}", e.path, inst.path);
            f.evidence.push(Evidence::new(&env, says));
        }
        f.why = "ROCm wheels of PyTorch bundle their own HIP, rocBLAS, MIOpen and the rest in \
                 torch/lib and load those, so another system ROCm is normally harmless. It \
                 matters when LD_LIBRARY_PATH puts the system's libraries first (a library \
                 found through RUNPATH loses to LD_LIBRARY_PATH), and for extensions compiled \
                 against the system ROCm, which then share one process with the wheel's."
            .into();
        if !preload.is_empty() {
            f.why
                .push_str(" Here LD_LIBRARY_PATH does lead to the system ROCm.");
        }
        f.other_layers = "Neither install is broken by itself: reinstalling the system ROCm does \
                          not change what the wheel bundles. What loads into the process decides."
            .into();
        if !preload.is_empty() {
            let title = "Start Python without the system ROCm in LD_LIBRARY_PATH";
            let detail = "The wheel then loads only the libraries it was built and tested with.";
            let r = remedy(title, detail, Some(Solution::Env), RUNPATH);
            f.remedies
                .push(r.command("env -u LD_LIBRARY_PATH python …"));
        }
        // A torch for the system's ROCm, when its index carries what the runtime asks for.
        let carries = |a: &[String]| wants.iter().all(|w| has_gfx(a, w.rt));
        let index = wheels::index(&sys).filter(|i| i.arches.as_deref().is_some_and(carries));
        if let Some(i) = index {
            let title = format!(
                "For extensions built against ROCm {sys}, use torch from {}",
                i.name
            );
            let detail = "Then the wheel and the extensions share one ROCm release.";
            let cmd = format!("pip install torch --index-url {}", i.url);
            f.remedies
                .push(remedy(title, detail, Some(Solution::Venv), &i.source).command(cmd));
        }
        f.sources = vec![BUNDLED.into(), RUNPATH.into(), MIXED_LIBS.into()];
        out.push(f);
    }
}

/// A PyTorch release known to run on the GPU, and why it is on the list.
struct Candidate {
    label: String,
    release: &'static TorchRelease,
    /// The environment the report ran it with (`HSA_OVERRIDE_GFX_VERSION=10.3.0`).
    env: Vec<String>,
    source: String,
}

/// Releases to offer for `hw`: known-good stacks (wheel versions only), then official wheels
/// carrying the target, or its stand-in where the stand-in is reported to work.
fn candidates(hw: &str) -> Vec<Candidate> {
    let mut v = Vec::new();
    let mut add = |label, release, env, source| {
        v.push(Candidate {
            label,
            release,
            env,
            source,
        })
    };
    for s in stacks::for_target(hw) {
        let wheel = !s.torch.contains(' ') && wheels::rocm_index_of(&s.torch).is_some();
        let release = wheels::torch_release(&s.torch).filter(|_| wheel);
        if let Some(release) = release.filter(|_| s.verdict == StackVerdict::Good) {
            let label = format!("{} (reported working on {hw})", s.torch);
            add(label, release, s.env.clone(), s.source.clone());
        }
    }
    let mut gfx = vec![hw.to_owned()];
    let stand_in = gfx_support::target(hw).and_then(|t| t.stand_in.as_ref());
    gfx.extend(
        stand_in
            .filter(|o| o.verdict == Verdict::Works)
            .map(|o| o.stands_in.clone()),
    );
    let carries =
        |i: &str| wheels::index_arches(i).is_some_and(|a| gfx.iter().any(|g| has_gfx(a, g)));
    for r in wheels::releases() {
        let on = r
            .indexes
            .iter()
            .map(|p| p.index.as_str())
            .find(|i| carries(i));
        if let Some(index) = on.or_else(|| carries(&r.stable_rocm).then_some(&r.stable_rocm)) {
            let label = format!("torch {} (official wheels on {index})", r.torch);
            add(label, r, Vec::new(), r.source.clone());
        }
    }
    v
}

fn python_too_new(ctx: &Context, wants: &[Want], list: &[TorchAt], out: &mut Vec<Finding>) {
    let Some(hw) = wants.iter().find_map(|w| w.hw) else {
        return;
    };
    let cands = candidates(hw);
    let Some(best) = cands.first() else { return };
    // The Pythons that run torch; with no torch anywhere, the system's (a new venv's default).
    let mut pythons: Vec<(&str, &str)> = (list.iter())
        .filter_map(|t| {
            let py =
                t.sp.python_version
                    .as_deref()
                    .or(t.env.python_version.as_deref());
            Some((t.env.prefix.as_str(), py?))
        })
        .collect();
    if pythons.is_empty() {
        let envs = ctx.snapshot.python.environments.iter();
        pythons.extend(
            envs.filter_map(|e| Some((e.prefix.as_str(), e.python_version.as_deref()?)))
                .take(1),
        );
    }
    for (prefix, py) in pythons {
        let Some(asked) = major_minor(py) else {
            continue;
        };
        let verdicts: Vec<Support> = cands
            .iter()
            .map(|c| wheels::python_ok(c.release, py))
            .collect();
        let too_new = |c: &Candidate| major_minor(&c.release.python_max).is_some_and(|m| asked > m);
        let ruled_out = |(c, v): (&Candidate, &Support)| match v {
            Support::Yes => false,
            Support::Unknown => true,
            Support::No => too_new(c),
        };
        if !cands.iter().zip(&verdicts).all(ruled_out) || !verdicts.contains(&Support::No) {
            continue;
        }
        let head = (Category::InstallPackageConflict, Severity::Warning, WHEEL);
        let title =
            format!("Python {py} in {prefix} is newer than any PyTorch known to run on {hw}");
        let mut f = finding("python-too-new-for-wheels", head, title);
        f.evidence
            .push(Evidence::new(prefix, format!("Python {py}")));
        for (c, v) in cands.iter().zip(&verdicts) {
            let (lo, hi) = (&c.release.python_min, &c.release.python_max);
            let state = (*v == Support::Unknown).then_some(", experimental");
            let says = format!("{}: Python {lo}–{hi}{}", c.label, state.unwrap_or_default());
            f.evidence.push(Evidence::new(KNOWLEDGE, says));
        }
        f.why = format!(
            "PyTorch wheels exist only for the Pythons of their release. No stack known to run \
             on {hw} has a wheel for Python {py}: pip finds nothing, or a newer torch that \
             lacks {hw} support."
        );
        f.other_layers = "The Python version is fixed per environment: no ROCm, driver or \
                          override change makes an old wheel install on a newer Python."
            .into();
        let max = &best.release.python_max;
        let wheel = best.label.split(' ').next().unwrap_or_default();
        let mut cmd = format!("uv venv --python {max} venv-{hw}");
        if let Some(i) = wheels::rocm_index_of(wheel).and_then(wheels::index) {
            let install = format!("uv pip install \"torch=={wheel}\" --index-url {}", i.url);
            cmd.push_str(&format!(" && . venv-{hw}/bin/activate && {install}"));
        }
        let detail = match best.env.is_empty() {
            true => "uv fetches that Python if needed; the current venv stays.".to_owned(),
            false => format!(
                "uv fetches that Python if needed; the report used {}.",
                best.env.join(" ")
            ),
        };
        let title = format!("Make a venv with Python {max} for {}", best.label);
        let r = remedy(title, &detail, Some(Solution::Venv), &best.source).source(UV_PYTHON);
        f.remedies.push(r.command(cmd));
        for c in &cands {
            if !f.sources.contains(&c.source) {
                f.sources.push(c.source.clone());
            }
        }
        out.push(f);
    }
}
