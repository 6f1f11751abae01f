//! Context rules: a signature says what failed, the rest of the log (and the machine) says
//! why. Each rule may change a finding's code, category, text and remedies; a code here
//! always maps to one category (docs/findings-explain.md).

use super::context::Context;
use super::overrides::{self, Judgement};
use super::{Hit, Ranked};
use crate::knowledge::gfx_support::{self, Support, Verdict};
use crate::knowledge::signatures::Refine;
use crate::model::Solution;
use crate::model::{Category, Evidence, Layer, Remedy};

/// Codes only these rules emit.
pub(crate) const CODES: &[&str] = &["override-stand-in-works"];

const KNOWLEDGE: &str = "knowledge: gfx_support.toml";
const MIOPEN_ENV: &str =
    "https://rocm.docs.amd.com/projects/MIOpen/en/latest/reference/env_variables.html";
const MIOPEN_3540: &str = "https://github.com/ROCm/MIOpen/issues/3540";

/// Runs the rule `kind` on the finding of `hit`.
pub(crate) fn apply(kind: Refine, hit: &Hit, ctx: &Context<'_>, r: &mut Ranked) {
    match kind {
        Refine::NoKernels => no_kernels(ctx, r),
        Refine::MemoryFault => memory_fault(ctx, r),
        Refine::KfdAccess => super::system::kfd_access(ctx, r),
        Refine::Bitcode => super::bitcode::refine(hit, ctx, r),
        Refine::Oom => super::memory::refine(ctx, r),
        Refine::SharedLib => super::system::shared_lib(hit, ctx, r),
        Refine::PcieAtomics => super::system::pcie_atomics(hit, ctx, r),
        Refine::NoDevice => super::system::no_device(ctx, r),
    }
}

/// "Run the stand-in's code" remedies for an unnamed GPU: one per stand-in value reported to
/// work, naming the targets it works for and those it is unsafe on.
fn stand_in_hints() -> Vec<Remedy> {
    let mut out: Vec<Remedy> = Vec::new();
    let rows = gfx_support::all();
    let mut values: Vec<(&str, &str)> = Vec::new();
    for o in rows.iter().filter_map(|t| t.stand_in.as_ref()) {
        if o.verdict == Verdict::Works && !values.contains(&(&o.value, &o.stands_in)) {
            values.push((&o.value, &o.stands_in));
        }
    }
    for (value, host) in values {
        let with = |v: Verdict| -> Vec<&str> {
            rows.iter()
                .filter(|t| {
                    t.stand_in
                        .as_ref()
                        .is_some_and(|o| o.value == value && o.verdict == v)
                })
                .map(|t| t.gfx.as_str())
                .collect()
        };
        let (works, unsafe_on) = (with(Verdict::Works), with(Verdict::Unsafe));
        let mut detail = format!(
            "Name the GPU first (rocminfo, or rocm-doctor explain --here): this is for {} only.",
            works.join(", ")
        );
        if !unsafe_on.is_empty() {
            detail.push_str(&format!(
                " Not for {}: reported to crash there.",
                unsafe_on.join(", ")
            ));
        }
        let source = rows
            .iter()
            .filter_map(|t| t.stand_in.as_ref())
            .find(|o| o.value == value && o.verdict == Verdict::Works)
            .map(|o| o.source.clone());
        let mut r = Remedy::new(
            format!(
                "If the GPU is one of {}, make the runtime report {host}",
                works.join(", ")
            ),
            detail,
        )
        .command(format!("export HSA_OVERRIDE_GFX_VERSION={value}"))
        .fix(Solution::Env);
        if let Some(s) = source {
            r = r.source(s);
        }
        out.push(r);
    }
    out
}

fn no_kernels(ctx: &Context<'_>, r: &mut Ranked) {
    let f = &mut r.finding;
    let Some((hw, seen)) = ctx.hardware_gfx() else {
        if ctx.the_override().is_none() && !ctx.override_unusable() {
            let at = f.remedies.len().min(1);
            f.remedies.splice(at..at, stand_in_hints());
        }
        return;
    };
    f.evidence.push(seen);
    // Under an override the runtime asks for the stand-in's code, not the hardware's: name
    // what the runtime reports, as `check` does.
    let runtime = ctx
        .the_override()
        .and_then(|o| Some((o.value.clone(), o.target.clone()?)))
        .filter(|(_, t)| *t != hw);
    f.title = match &runtime {
        Some((value, t)) => format!(
            "{}: {t} (the GPU is {hw}; HSA_OVERRIDE_GFX_VERSION={value} makes the runtime report {t})",
            f.title
        ),
        None => format!("{}: {hw}", f.title),
    };
    // The target is known: looking it up is no longer a remedy.
    f.remedies.retain(|r| {
        !r.command
            .as_deref()
            .is_some_and(|c| c.starts_with("rocminfo"))
    });
    if ctx.the_override().is_some() {
        return; // the override rule judges the pair
    }
    let Some(row) = gfx_support::target(&hw) else {
        f.evidence.push(Evidence::new(
            KNOWLEDGE,
            format!("{hw} is not in the table: whether another target's code runs on it is not known here"),
        ));
        return;
    };
    if let Some(n) = ctx.built_for(&hw) {
        f.evidence.push(ctx.evidence(n));
        f.why.push_str(&format!(
            " The framework here is built for {hw}, so an override would make the runtime ask for \
             other code than it carries: the library that lacks {hw} must get it."
        ));
        f.remedies.insert(
            0,
            Remedy::new(
                format!("Build (or install) the failing library for {hw} as well"),
                "rocBLAS/Tensile and the other math libraries need the target in their own build.",
            )
            .fix(Solution::SourceBuild)
            .source("https://github.com/ROCm/rocm-libraries/issues/8539"),
        );
        return;
    }
    match &row.stand_in {
        Some(o) if o.verdict == Verdict::Works => {
            f.code = "override-stand-in-works".into();
            f.category = Category::ArchOverrideNeeded;
            f.title = format!(
                "This build has no {hw} code, but {hw} runs {} code: set the override {}",
                o.stands_in, o.value
            );
            f.why = format!(
                "Few builds carry {hw}; the runtime loads {} code on it when told to report that \
                 target. Reports: {}.",
                o.stands_in, o.detail
            );
            f.layer = Layer::Environment;
            f.other_layers = "Reinstalling the same builds changes nothing: either the runtime reports the stand-in target, or a build for the GPU's own target is used".into();
            f.evidence.push(Evidence::new(
                KNOWLEDGE,
                format!(
                    "{hw}: override {} ({}) reported working",
                    o.value, o.stands_in
                ),
            ));
            let set = Remedy::new(
                format!("Make the runtime report {}", o.stands_in),
                "Set it where the program starts (shell, service file, container definition).",
            )
            .command(format!("export HSA_OVERRIDE_GFX_VERSION={}", o.value))
            .fix(Solution::Env)
            .source(&o.source);
            f.remedies = vec![set];
            f.remedies.extend(overrides::native_builds(row));
            f.sources.push(o.source.clone());
        }
        Some(o) => {
            let what = match o.verdict {
                Verdict::Unsafe => "reported unsafe",
                _ => "reported both working and failing",
            };
            f.evidence.push(Evidence::new(
                KNOWLEDGE,
                format!(
                    "{hw}: the usual stand-in {} is {what}: {}",
                    o.stands_in, o.detail
                ),
            ));
            f.why.push_str(&format!(
                " {hw} has no code of its own in common builds, and running {} code on it is {what}.",
                o.stands_in
            ));
            f.remedies.splice(0..0, overrides::native_builds(row));
            f.sources.push(o.source.clone());
        }
        None if !row.official.is_empty() => {
            f.evidence.push(Evidence::new(
                KNOWLEDGE,
                format!("{hw} is supported by ROCm {}", row.official.join(", ")),
            ));
            // The ROCm the log names says whether the release or the program lacks the target.
            if let Some((v, at)) = ctx.rocm.first() {
                let says = match row.official_in(v) {
                    Support::Yes => {
                        format!("ROCm {v} supports {hw}: the program's own build lacks it")
                    }
                    Support::No => format!("ROCm {v} does not support {hw}"),
                    Support::Unknown => format!("whether ROCm {v} supports {hw} is not known here"),
                };
                // A log line is quoted as it is; what the knowledge makes of it is its own row.
                match at {
                    Some(n) => f.evidence.push(ctx.evidence(*n)),
                    None => f
                        .evidence
                        .push(Evidence::new("snapshot", format!("ROCm {v}"))),
                }
                f.evidence.push(Evidence::new(KNOWLEDGE, says));
            }
            let mut rem = Remedy::new(
                format!("Use libraries from a ROCm release that supports {hw}"),
                format!(
                    "ROCm {} lists {hw}; this build predates or leaves out the target.",
                    row.official.join(", ")
                ),
            )
            .fix(Solution::Packages);
            if let Some(s) = row.official_sources.first() {
                rem = rem.source(s);
            }
            f.remedies.insert(0, rem);
        }
        None => {
            f.remedies.splice(0..0, overrides::native_builds(row));
        }
    }
}

fn memory_fault(ctx: &Context<'_>, r: &mut Ranked) {
    let f = &mut r.finding;
    if ctx.the_override().is_some() {
        // The override is known already: no need to look for one.
        f.remedies
            .retain(|r| r.command.as_deref() != Some("env | grep HSA_OVERRIDE"));
    }
    if let (Some(ov), Some((hw, seen))) = (ctx.the_override(), ctx.hardware_gfx()) {
        if let Judgement::StandIn(_, o) = overrides::judge(&hw, ov) {
            if o.verdict == Verdict::Works {
                f.evidence.push(seen);
                f.evidence.push(Evidence::new(
                    KNOWLEDGE,
                    format!("{hw}: override {} reported working; {}", o.value, o.detail),
                ));
            }
        }
    }
    let Some(n) = ctx.miopen else { return };
    f.evidence.push(ctx.evidence(n));
    f.title = "A GPU memory fault inside MIOpen convolution code".into();
    f.why = "Particular MIOpen solvers fault for some problem shapes on RDNA2 (GemmBwdRest and \
             ConvOclBwdWrW2<n> on gfx1031, expected on gfx1030 too), while other solvers for the \
             same shape run; keeping find away from them avoids the fault."
        .into();
    f.layer = Layer::LibraryBuild;
    f.other_layers = "The GPU and driver run other solvers fine; an override change does not remove the faulting solver".into();
    let exclude = Remedy::new(
        "Disable the MIOpen solvers that fault here",
        "MIOPEN_DEBUG_CONV_GEMM=0 turns off the GEMM solvers (GemmBwdRest among them), \
         MIOPEN_DEBUG_CONV_DIRECT_OCL_WRW2=0 the ConvOclBwdWrW2<n> ones; find then picks other \
         solvers, which may be slower.",
    )
    .command("export MIOPEN_DEBUG_CONV_GEMM=0 MIOPEN_DEBUG_CONV_DIRECT_OCL_WRW2=0")
    .fix(Solution::Env)
    .source(MIOPEN_ENV)
    .source(MIOPEN_3540);
    let isolate = Remedy::new(
        "Find the faulting solver: run find in normal mode with one solver at a time",
        "How the MIOpen maintainers narrowed it down in MIOpen#3540; a solver that faults alone is \
         the one to disable.",
    )
    .command("MIOPEN_FIND_MODE=normal MIOPEN_DEBUG_FIND_ONLY_SOLVER=<solver> MIOpenDriver conv <args>")
    .source(MIOPEN_3540)
    .source(MIOPEN_ENV);
    f.remedies.splice(0..0, [exclude, isolate]);
    f.sources.push(MIOPEN_3540.into());
}
