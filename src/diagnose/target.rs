//! Rules: is the GPU's target supported by the installed ROCm, and is `HSA_OVERRIDE_GFX_VERSION`
//! needed, set right, unsafe, unneeded or hitting GPUs it should not.
//!
//! "Carried" means some GPU code on the machine has code objects for a target: the PyTorch
//! wheels' fat binaries, else the ROCm install's rocBLAS Tensile files. An override makes the
//! runtime report another target, so code for that one loads; whether its ISA runs correctly
//! on this GPU is knowledge (gfx_support.toml's verdict), never assumed.

use super::{Category, Context, Evidence, Finding, Layer, Remedy, Severity};
use crate::knowledge::gfx_support::{self, Support, Verdict};
use crate::model::Solution;
use crate::snapshot::GpuView;

/// Codes these rules emit.
pub const CODES: &[&str] = &[
    "rocm-lacks-gpu-target",
    "override-needed",
    "override-unsafe",
    "override-unverified",
    "override-wrong-target",
    "override-malformed",
    "override-unneeded",
    "override-hits-all-gpus",
];

/// Code carried on the machine: where, and for which targets.
struct Carrier {
    what: String,
    path: String,
    targets: Vec<String>,
}

fn carriers(ctx: &Context) -> Vec<Carrier> {
    let mut v = Vec::new();
    for env in &ctx.snapshot.python.environments {
        for sp in &env.site_packages {
            if let Some(t) = sp.torch.present() {
                if !t.gpu_targets.is_empty() {
                    let version = t
                        .version_py
                        .present()
                        .map_or("?".to_owned(), |v| v.version.clone());
                    v.push(Carrier {
                        what: format!("PyTorch {version}"),
                        path: format!("{}/lib", t.dir),
                        targets: t.gpu_targets.clone(),
                    });
                }
            }
        }
    }
    for i in &ctx.snapshot.rocm.installs {
        if let Some(k) = i.components.rocblas_kernels.present() {
            v.push(Carrier {
                what: format!(
                    "rocBLAS of ROCm {}",
                    i.version.present().map_or("?", String::as_str)
                ),
                path: k.path.clone(),
                targets: k.gfx.clone(),
            });
        }
    }
    v
}

/// Adds this area's findings.
pub(super) fn rules(ctx: &Context, out: &mut Vec<Finding>) {
    let carriers = carriers(ctx);
    let gpus = ctx.compute_gpus();
    for g in &gpus {
        let Some(hw) = g.gfx_target.as_deref() else {
            continue;
        };
        rocm_support(ctx, g, hw, out);
        match g.runtime_target.as_deref() {
            Some(rt) if rt != hw => override_set(ctx, g, hw, rt, &carriers, out),
            _ => override_missing(ctx, g, hw, &carriers, out),
        }
    }
    malformed(ctx, out);
    all_gpus(ctx, out);
}

fn label(g: &GpuView) -> String {
    format!(
        "{} ({})",
        g.marketing_name.as_deref().unwrap_or("AMD GPU"),
        g.gfx_target.as_deref().unwrap_or("?")
    )
}

fn rocm_support(ctx: &Context, g: &GpuView, hw: &str, out: &mut Vec<Finding>) {
    let Some(row) = gfx_support::target(hw) else {
        return;
    };
    let Some(install) = ctx
        .snapshot
        .rocm
        .installs
        .iter()
        .find(|i| i.aliases.iter().any(|a| a == "/opt/rocm"))
        .or_else(|| ctx.snapshot.rocm.installs.first())
    else {
        return;
    };
    let Some(version) = install.version.present() else {
        return;
    };
    let short = version.split('-').next().unwrap_or(version);
    let (severity, says) = match row.official_in(short) {
        Support::Yes => return,
        Support::No => (
            Severity::Warning,
            format!("{hw} is not on ROCm {short}'s support list"),
        ),
        Support::Unknown if row.official.is_empty() => (
            Severity::Info,
            format!("no official ROCm support list read names {hw}"),
        ),
        Support::Unknown => return,
    };
    let mut remedies = Vec::new();
    if let Some(n) = row.native_builds.first() {
        remedies.push(
            Remedy::new(
                format!("Use a build that carries {hw} natively: {}", n.name),
                "community and TheRock builds compile the libraries for this target",
            )
            .fix(Solution::NativeBuild)
            .source(n.source.clone()),
        );
    }
    remedies.push(Remedy::new(
        "See `rocm-doctor plan` for the solutions ranked for this machine",
        "container, pinned stack, source build or CPU fallback, with their costs",
    ));
    out.push(Finding {
        code: "rocm-lacks-gpu-target".into(),
        category: Category::MissingKernelsForArch,
        severity,
        title: format!("ROCm {short} does not officially support {}", label(g)),
        evidence: vec![
            Evidence::new(format!("{}/.info/version", install.path), version.clone()),
            Evidence::new("knowledge: gfx_support.toml", format!("{says}; {}", row.official_note)),
        ],
        why: "AMD builds its libraries' GPU code only for the targets it supports; other targets meet missing kernels (hipErrorNoBinaryForGpu, missing TensileLibrary files) or untested code paths.".into(),
        layer: Layer::LibraryBuild,
        other_layers: "The runtime and driver run any target, but a library can only run GPU code that was compiled for the target; an override borrows another target's code, which is safe only where reports say so".into(),
        remedies,
        sources: row.official_sources.clone(),
    });
}

fn override_var(ctx: &Context, g: &GpuView) -> (String, String) {
    let node: Option<u32> = g.node.as_deref().and_then(|n| n.parse().ok());
    let o = ctx
        .snapshot
        .env
        .overrides
        .iter()
        .find(|o| o.node.is_some() && o.node == node)
        .or_else(|| ctx.snapshot.env.overrides.iter().find(|o| o.node.is_none()));
    o.map_or_else(
        || ("HSA_OVERRIDE_GFX_VERSION".into(), "?".into()),
        |o| (o.var.clone(), o.value.clone()),
    )
}

fn override_set(
    ctx: &Context,
    g: &GpuView,
    hw: &str,
    rt: &str,
    carriers: &[Carrier],
    out: &mut Vec<Finding>,
) {
    let (var, value) = override_var(ctx, g);
    let src = ctx.snapshot.env.source.clone();
    let row = gfx_support::target(hw);
    let stand_in = row
        .and_then(|r| r.stand_in.as_ref())
        .filter(|s| s.stands_in == rt);
    let native = carriers.iter().find(|c| c.targets.iter().any(|t| t == hw));
    let mut evidence = vec![
        Evidence::new(src, format!("{var}={value}: the runtime reports {rt}")),
        Evidence::new("KFD topology", format!("the hardware is {}", label(g))),
    ];
    if let Some(s) = stand_in {
        evidence.push(Evidence::new(
            "knowledge: gfx_support.toml",
            s.detail.clone(),
        ));
        match s.verdict {
            Verdict::Works if native.is_none() => return,
            Verdict::Unsafe => {
                out.push(unsafe_override(ctx, g, hw, rt, &var, &value, evidence, s));
                return;
            }
            Verdict::Unknown if native.is_none() => {
                out.push(Finding {
                    code: "override-unverified".into(),
                    category: Category::ArchOverrideWrong,
                    severity: Severity::Warning,
                    title: format!("{var}={value} makes {} pose as {rt}: no report says that works", label(g)),
                    evidence,
                    why: "The override loads code built for another target; whether its instructions run correctly on this GPU is not established by any report read.".into(),
                    layer: Layer::Environment,
                    other_layers: "Only a build for this exact target avoids the question".into(),
                    remedies: vec![Remedy::new("Verify it with the conv2d smoke test before trusting results", "crashes and wrong results show up there").command("rocm-doctor verify")],
                    sources: vec![s.source.clone()],
                });
                return;
            }
            _ => {}
        }
    }
    let fam = |t: &str| gfx_support::target(t).map(|r| r.family.clone());
    if fam(hw).is_some() && fam(rt).is_some() && fam(hw) != fam(rt) {
        out.push(Finding {
            code: "override-wrong-target".into(),
            category: Category::ArchOverrideWrong,
            severity: Severity::Error,
            title: format!("{var}={value} makes {} pose as {rt}, a different GPU family", label(g)),
            evidence,
            why: "Code built for another family uses another instruction set: it crashes or computes garbage. This is often a leftover from another machine's setup.".into(),
            layer: Layer::Environment,
            other_layers: "No library build fixes a wrong target reported by the runtime".into(),
            remedies: vec![Remedy::new(format!("Remove {var} from the environment"), "the card's own target is what the libraries should see").command(format!("unset {var}  # and remove it from /etc/environment, ~/.profile or the container's env"))],
            sources: vec!["https://github.com/ROCm/legacy-rocm-build/issues/5238".into()],
        });
    } else if let Some(c) = native {
        out.push(Finding {
            code: "override-unneeded".into(),
            category: Category::ArchOverrideWrong,
            severity: Severity::Warning,
            title: format!("{var}={value} is set although {} already has code for {hw}", c.what),
            evidence: {
                let mut e = evidence;
                e.push(Evidence::new(c.path.clone(), format!("carries {hw}")));
                e
            },
            why: "The override makes the runtime load code for another target instead of the code built for this GPU.".into(),
            layer: Layer::Environment,
            other_layers: "Nothing else needs changing: the native code is there".into(),
            remedies: vec![Remedy::new(format!("Remove {var}"), "then run rocm-doctor verify").command(format!("unset {var}"))],
            sources: Vec::new(),
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn unsafe_override(
    ctx: &Context,
    g: &GpuView,
    hw: &str,
    rt: &str,
    var: &str,
    value: &str,
    evidence: Vec<Evidence>,
    s: &gfx_support::Override,
) -> Finding {
    let mut remedies = vec![Remedy::new(
        format!("Remove {var}={value}"),
        format!("it makes {hw} run {rt} code, which reports tie to memory aperture violations and crashes"),
    )
    .command(format!("unset {var}  # and remove it from {}", ctx.snapshot.env.source))];
    if let Some(n) = gfx_support::target(hw).and_then(|r| r.native_builds.first()) {
        remedies.push(
            Remedy::new(
                format!("Use libraries built for {hw}: {}", n.name),
                "the GPU then runs code made for it",
            )
            .fix(Solution::NativeBuild)
            .source(n.source.clone()),
        );
    }
    for st in crate::knowledge::stacks::for_target(hw).into_iter().take(1) {
        if st.verdict == crate::knowledge::stacks::StackVerdict::Good {
            remedies.push(
                Remedy::new(
                    format!(
                        "Or pin the stack reported to work on {hw}: torch {}{}",
                        st.torch,
                        if st.python == "unknown" {
                            String::new()
                        } else {
                            format!(" on Python {}", st.python)
                        }
                    ),
                    st.note.clone(),
                )
                .fix(Solution::Venv)
                .source(st.source.clone()),
            );
        }
    }
    let mut sources = vec![s.source.clone()];
    sources.extend(s.also.iter().cloned());
    Finding {
        code: "override-unsafe".into(),
        category: Category::ArchOverrideWrong,
        severity: Severity::Error,
        title: format!("{var}={value} makes {} run {rt} code: reported to crash on this GPU", label(g)),
        evidence,
        why: format!(
            "{hw} and {rt} are different ISAs; the override only renames the GPU so that {rt} code loads. For {hw} this is reported to work only with old builds and to end in HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION with later ones. (The seed's MTYPE_CC explanation of those faults is unproven: docs/seed-audit.md.)"
        ),
        layer: Layer::LibraryBuild,
        other_layers: "Environment variables, LD_PRELOAD shims and Python patches cannot change the compiled GPU code; only code built for this target (or an old stack reported to work) can".into(),
        remedies,
        sources,
    }
}

fn override_missing(
    ctx: &Context,
    g: &GpuView,
    hw: &str,
    carriers: &[Carrier],
    out: &mut Vec<Finding>,
) {
    if carriers.is_empty() || carriers.iter().any(|c| c.targets.iter().any(|t| t == hw)) {
        return;
    }
    let Some(s) = gfx_support::target(hw).and_then(|r| r.stand_in.as_ref()) else {
        return;
    };
    if s.verdict != Verdict::Works {
        return;
    }
    let Some(c) = carriers.iter().find(|c| c.targets.contains(&s.stands_in)) else {
        return;
    };
    let _ = ctx;
    out.push(Finding {
        code: "override-needed".into(),
        category: Category::ArchOverrideNeeded,
        severity: Severity::Error,
        title: format!("{} has no code of its own here; {} stands in for it", label(g), s.stands_in),
        evidence: vec![
            Evidence::new(c.path.clone(), format!("{} carries {} but not {hw}", c.what, c.targets.join(" "))),
            Evidence::new("knowledge: gfx_support.toml", s.detail.clone()),
        ],
        why: format!("Without an override the runtime finds no code object for {hw} (hipErrorNoBinaryForGpu, missing TensileLibrary files). {} code is reported to run on it.", s.stands_in),
        layer: Layer::Environment,
        other_layers: "The alternative is a build for this exact target (source build or a native build), which takes hours".into(),
        remedies: vec![Remedy::new(format!("Set HSA_OVERRIDE_GFX_VERSION={}", s.value), "in the shell, the service unit or the container that runs the workload")
            .command(format!("export HSA_OVERRIDE_GFX_VERSION={}", s.value))
            .fix(Solution::Env)
            .source(s.source.clone())],
        sources: vec![s.source.clone()],
    });
}

fn malformed(ctx: &Context, out: &mut Vec<Finding>) {
    for o in &ctx.snapshot.env.overrides {
        if let Some(reason) = o.reports.reason() {
            out.push(Finding {
                code: "override-malformed".into(),
                category: Category::ArchOverrideWrong,
                severity: Severity::Error,
                title: format!("{}={} is not a valid override", o.var, o.value),
                evidence: vec![Evidence::new(ctx.snapshot.env.source.clone(), reason.to_owned())],
                why: "The runtime expects major.minor.stepping in decimal (e.g. 10.3.0) and rejects or misreads anything else.".into(),
                layer: Layer::Environment,
                other_layers: "Only the variable's value is wrong".into(),
                remedies: vec![Remedy::new("Write it as major.minor.stepping", "e.g. 10.3.0 for an RDNA2 card without code of its own").fix(Solution::Env)],
                sources: vec!["https://github.com/ROCm/rocminfo/blob/amd-staging/rocm_agent_enumerator".into()],
            });
        }
    }
}

fn all_gpus(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(global) = ctx.snapshot.env.overrides.iter().find(|o| o.node.is_none()) else {
        return;
    };
    let mut targets: Vec<&str> = ctx
        .gpus
        .iter()
        .filter_map(|g| g.gfx_target.as_deref())
        .collect();
    targets.sort_unstable();
    targets.dedup();
    if targets.len() < 2 {
        return;
    }
    out.push(Finding {
        code: "override-hits-all-gpus".into(),
        category: Category::ArchOverrideWrong,
        severity: Severity::Warning,
        title: format!("{}={} applies to every GPU: {}", global.var, global.value, targets.join(", ")),
        evidence: vec![Evidence::new(ctx.snapshot.env.source.clone(), format!("{}={}", global.var, global.value))],
        why: "A global override renames all GPUs, including ones (an iGPU, a second card) that need no override or another one.".into(),
        layer: Layer::Environment,
        other_layers: "Per-node variables exist for exactly this".into(),
        remedies: vec![Remedy::new("Use the per-node form for the GPU that needs it", "HSA_OVERRIDE_GFX_VERSION_<node> applies to one KFD node only").command("export HSA_OVERRIDE_GFX_VERSION_1=10.3.0  # node number from rocminfo / KFD topology").fix(Solution::Env)],
        sources: vec!["https://github.com/ROCm/ROCT-Thunk-Interface/blob/master/src/topology.c".into()],
    });
}
