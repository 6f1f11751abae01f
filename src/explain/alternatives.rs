//! Alternatives: when the log leaves the deciding fact out (which GPU, whether an override is
//! set), the verdict of a context rule cannot be reached, but its other branch is still a
//! likely cause. It is offered behind the primary finding, with a lower score, so that the
//! reader sees both and the check that decides between them.

use super::context::{Context, GfxRole};
use super::{Hit, Ranked};
use crate::diagnose::{Category, Evidence, Finding, Layer, Remedy, Severity};
use crate::model::Solution;

/// Codes only this rule emits (`igpu-selected` is also memory.rs's).
pub(crate) const CODES: &[&str] = &[
    "override-may-help",
    "override-suspected",
    "override-on-windows",
];

/// Share of the parent finding's score an alternative gets.
const OVERRIDE_MAY_HELP: f64 = 0.85;
const OVERRIDE_SUSPECTED: f64 = 0.6;
const IGPU: f64 = 0.9;
/// The log names a discrete GPU too: the iGPU being picked is the likelier cause.
const IGPU_BESIDE: f64 = 1.05;
const MIOPEN_BUILD: f64 = 1.4;
const SONAME: f64 = 0.95;
const SIBLING: f64 = 0.8;

/// The override value and target of `gfx`'s generation sibling ending in 0 (gfx1152 ->
/// 11.5.0, gfx1150), when `gfx` is not that target itself and knowledge::gfx_support records
/// no stand-in for it either way.
fn sibling_override(gfx: &str) -> Option<(String, String)> {
    let digits = gfx.strip_prefix("gfx")?;
    if digits.len() < 3 || digits.ends_with('0') {
        return None;
    }
    if crate::knowledge::gfx_support::target(gfx).is_some_and(|t| t.stand_in.is_some()) {
        return None;
    }
    let (major, rest) = digits.split_at(digits.len() - 2);
    let major: u32 = major.parse().ok()?;
    let minor = u32::from_str_radix(&rest[..1], 16).ok()?;
    let sibling = format!("gfx{major}{}0", &rest[..1]);
    Some((format!("{major}.{minor}.0"), sibling))
}

const OVERRIDE_DOC: &str =
    "https://rocm.docs.amd.com/projects/install-on-linux/en/latest/reference/system-requirements.html";

fn alt(parent: &Ranked, share: f64, finding: Finding) -> Ranked {
    Ranked {
        priority: (f64::from(parent.priority) * share).round() as u32,
        first_line: parent.first_line,
        finding,
    }
}

/// The gfx targets named on the lines of `hit` that only integrated GPUs have.
fn igpu_targets(hit: &Hit, ctx: &Context<'_>) -> Option<(String, usize)> {
    ctx.gfx
        .iter()
        .filter(|m| m.role != GfxRole::Build && hit.lines.contains(&m.line))
        .find(|m| {
            let rows = crate::knowledge::gpus::by_gfx(&m.gfx);
            !rows.is_empty() && rows.iter().all(|r| r.apu == Some(true))
        })
        .map(|m| (m.gfx.clone(), m.line))
}

/// An iGPU-only target and a discrete GPU's target both named as devices in the log.
fn igpu_beside_dgpu(ctx: &Context<'_>) -> Option<(String, usize, String)> {
    let apu = |g: &str| {
        let rows = crate::knowledge::gpus::by_gfx(g);
        (!rows.is_empty()).then(|| rows.iter().all(|r| r.apu == Some(true)))
    };
    let dev = || ctx.gfx.iter().filter(|m| m.role == GfxRole::Device);
    let i = dev().find(|m| apu(&m.gfx) == Some(true))?;
    let d = dev().find(|m| apu(&m.gfx) == Some(false))?;
    Some((i.gfx.clone(), i.line, d.gfx.clone()))
}

/// Score of the log-wide "override on Windows" finding.
const OVERRIDE_ON_WINDOWS: f64 = 50.0;
/// Score of the log-wide "iGPU beside a dGPU" finding when no failure rule put it forward.
const IGPU_LOG_WIDE: f64 = 30.0;

/// Log-wide findings for a failing log: an integrated GPU named beside a discrete one is a
/// cause of its own (the iGPU enumerated first, picked, or breaking the runtime's start).
pub(crate) fn log_wide(ctx: &Context<'_>) -> Vec<Ranked> {
    let mut out = Vec::new();
    if let (Some(n), Some(w)) = (ctx.override_named, ctx.windows) {
        out.push(Ranked {
            priority: OVERRIDE_ON_WINDOWS as u32,
            first_line: n,
            finding: Finding {
                code: "override-on-windows".into(),
                category: Category::ArchOverrideWrong,
                severity: Severity::Error,
                title: "HSA_OVERRIDE_GFX_VERSION is set on Windows, where the HIP runtime ignores it".into(),
                evidence: vec![ctx.evidence(n), ctx.evidence(w)],
                why: "The override is read by ROCr, the Linux runtime; the Windows HIP SDK does not use it, so it cannot make an unsupported GPU work there, while applications that read it themselves (ollama's GPU checks) then judge the GPU by the wrong target and refuse it.".into(),
                layer: Layer::Environment,
                other_layers: "On Windows only builds that carry the GPU's own target help".into(),
                remedies: vec![Remedy::new(
                    "Remove the variable from the user and system environment, then restart the application",
                    "Use a build that carries the GPU's own target instead (for example community rocBLAS/Tensile libraries for it).",
                )
                .command("[Environment]::SetEnvironmentVariable('HSA_OVERRIDE_GFX_VERSION', $null, 'User')")
                .fix(Solution::Env)
                .source("https://github.com/likelovewant/ollama-for-amd/issues/67")],
                sources: vec!["https://github.com/likelovewant/ollama-for-amd/issues/67".into()],
            },
        });
    }
    let Some((igpu, line, dgpu)) = igpu_beside_dgpu(ctx) else {
        return out;
    };
    out.push(Ranked {
        priority: IGPU_LOG_WIDE as u32,
        first_line: line,
        finding: Finding {
            code: "igpu-selected".into(),
            category: Category::DeviceVisibility,
            severity: Severity::Warning,
            title: format!("An integrated GPU ({igpu}) is visible beside the discrete one ({dgpu})"),
            evidence: vec![ctx.evidence(line)],
            why: format!("The runtime enumerates every GPU it supports or half-supports; {igpu} code is rarely built, and a program that picks or initialises the iGPU fails or crashes before it reaches the {dgpu}."),
            layer: Layer::Environment,
            other_layers: "Nothing needs rebuilding when only the discrete GPU is meant to run".into(),
            remedies: vec![Remedy::new(
                "Hide the iGPU from the runtime (or disable it in the BIOS)",
                "List the GPUs with rocminfo; keep only the discrete one visible.",
            )
            .command("export HIP_VISIBLE_DEVICES=<index of the discrete GPU>")
            .fix(Solution::Env)
            .source("https://github.com/ggml-org/llama.cpp/issues/8618")],
            sources: vec!["https://github.com/ggml-org/llama.cpp/issues/8618".into()],
        },
    });
    out
}

/// Alternatives to `r`, the refined finding of `hit`.
pub(crate) fn for_finding(hit: &Hit, r: &Ranked, ctx: &Context<'_>) -> Vec<Ranked> {
    let mut out = Vec::new();
    if hit.red_herring {
        return out;
    }
    let f = &r.finding;
    // A compiler error while MIOpen is at work is MIOpen failing to build its kernels.
    if f.category == Category::CompilerError {
        if let (Some(n), Some(sig)) = (
            ctx.miopen,
            crate::knowledge::signatures::by_code("miopen-kernel-build-failed"),
        ) {
            let mut evidence = f.evidence.clone();
            evidence.push(ctx.evidence(n));
            out.push(alt(
                r,
                MIOPEN_BUILD,
                Finding {
                    code: sig.code.clone(),
                    category: sig.category,
                    severity: sig.severity,
                    title: sig.title.clone(),
                    evidence,
                    why: format!(
                        "{} The compiler error comes from a kernel MIOpen builds at run time.",
                        sig.why
                    ),
                    layer: sig.layer,
                    other_layers: sig.other_layers.clone(),
                    remedies: sig.remedies.iter().map(|r| r.to_remedy()).collect(),
                    sources: sig.sources.clone(),
                },
            ));
        }
    }
    // A library asking for a versioned soname the system lacks was built for another ROCm.
    if f.code == "rocm-library-not-found" {
        if let Some(lib) = hit.captures.first().filter(|l| {
            l.rsplit_once(".so.")
                .is_some_and(|(_, v)| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
        }) {
            out.push(alt(r, SONAME, Finding {
                code: "hip-soname-major-mismatch".into(),
                category: Category::VersionMismatchFrameworkVsRuntime,
                severity: Severity::Error,
                title: format!("The program may be built for another ROCm release than the one installed: it asks for {lib}"),
                evidence: vec![ctx.evidence(hit.lines[0])],
                why: "ROCm libraries carry their release's soname major; a framework or plugin built against another release asks for a soname the installed ROCm does not have, and adding paths cannot help.".into(),
                layer: Layer::FrameworkWheel,
                other_layers: "Only a build for the installed ROCm (or the ROCm it was built for) loads".into(),
                remedies: vec![Remedy::new(
                    "Compare the soname asked for with the installed ROCm's, then install the build made for the installed ROCm",
                    "ls /opt/rocm*/lib shows which sonames the installed releases provide.",
                )
                .command(format!("ls /opt/rocm*/lib | grep -F '{}'", lib.split(".so").next().unwrap_or(lib)))
                .fix(Solution::Venv)
                .source("https://github.com/shisa-ai/hipEngine/issues/1")],
                sources: vec!["https://github.com/shisa-ai/hipEngine/issues/1".into()],
            }));
        }
    }
    let no_gpu = ctx.hardware_gfx().is_none();
    let no_override = ctx.the_override().is_none();
    let pair = igpu_beside_dgpu(ctx);
    let igpu = igpu_targets(hit, ctx).map(|(g, l)| (g, l, pair.is_some()));
    let igpu = igpu.or_else(|| {
        pair.filter(|_| {
            matches!(
                f.category,
                Category::MissingKernelsForArch | Category::GpuMemoryFault | Category::HangTimeout
            )
        })
        .map(|(g, l, _)| (g, l, true))
    });
    if let Some((gfx, line, beside)) = igpu.filter(|_| {
        matches!(
            f.category,
            Category::MissingKernelsForArch | Category::GpuMemoryFault | Category::HangTimeout
        )
    }) {
        let share = if beside { IGPU_BESIDE } else { IGPU };
        {
            out.push(alt(r, share, Finding {
                code: "igpu-selected".into(),
                category: Category::DeviceVisibility,
                severity: Severity::Error,
                title: format!("The failing target {gfx} is an integrated GPU: the program may have picked the iGPU instead of the discrete one"),
                evidence: vec![ctx.evidence(line)],
                why: format!("{gfx} is only found in APUs. When a discrete GPU sits beside it, libraries built for the dGPU have no {gfx} code and fail as soon as the iGPU is enumerated or chosen."),
                layer: Layer::Environment,
                other_layers: "Rebuilding libraries for the iGPU is not needed when the dGPU is the one meant to run".into(),
                remedies: vec![Remedy::new(
                    "Hide the iGPU from the runtime",
                    "List the GPUs with rocminfo; keep only the discrete one visible.",
                )
                .command("export HIP_VISIBLE_DEVICES=0   # the index of the discrete GPU")
                .fix(Solution::Env)
                .source("https://github.com/ggml-org/llama.cpp/issues/8618")],
                sources: vec!["https://github.com/ggml-org/llama.cpp/issues/8618".into()],
            }));
        }
    } else if f.category == Category::MissingKernelsForArch && !ctx.override_unusable() {
        if let (Some((hw, seen)), true, true) = (
            ctx.hardware_gfx(),
            no_override,
            f.code != "override-stand-in-works",
        ) {
            if let Some((value, sibling)) = sibling_override(&hw) {
                out.push(alt(r, SIBLING, Finding {
                    code: "override-may-help".into(),
                    category: Category::ArchOverrideNeeded,
                    severity: Severity::Warning,
                    title: format!("{hw} may run the code of its sibling {sibling}: try the override {value}"),
                    evidence: vec![seen, Evidence::new("knowledge: gfx_support.toml", format!("no stand-in is recorded for {hw}, working or unsafe"))],
                    why: format!("Targets of one generation that differ only in the last digit usually share the ISA; builds that lack {hw} often run with the runtime told to report {sibling}. Not recorded for {hw} either way: test it, and undo it if kernels fault."),
                    layer: Layer::Environment,
                    other_layers: "A native build for the target avoids the override altogether".into(),
                    remedies: vec![Remedy::new(
                        format!("Make the runtime report {sibling} for one test run"),
                        "If it faults or hangs, unset it again: not every sibling pair is compatible.",
                    )
                    .command(format!("HSA_OVERRIDE_GFX_VERSION={value} <the failing command>"))
                    .fix(Solution::Env)
                    .source(OVERRIDE_DOC)],
                    sources: vec![OVERRIDE_DOC.into()],
                }));
            }
        } else if no_gpu && no_override && ctx.machine_gfx.is_empty() {
            out.push(alt(r, OVERRIDE_MAY_HELP, Finding {
                code: "override-may-help".into(),
                category: Category::ArchOverrideNeeded,
                severity: Severity::Warning,
                title: "If the GPU is a close sibling of a supported target, an override makes the runtime load that target's code".into(),
                evidence: vec![Evidence::new("log", "names no GPU target: whether a compatible stand-in exists cannot be told from it")],
                why: "Consumer GPUs such as gfx1031/gfx1032 (stand-in gfx1030) or gfx1101/gfx1102 (gfx1100) run the code of a sibling target; builds that lack their own target work with HSA_OVERRIDE_GFX_VERSION set to the sibling's.".into(),
                layer: Layer::Environment,
                other_layers: "Without the GPU's name neither the override nor a native build can be chosen".into(),
                remedies: vec![Remedy::new(
                    "Name the GPU's target, then run explain again with the machine as context",
                    "rocm-doctor explain --here reads the GPU and says whether a stand-in override is reported to work on it.",
                )
                .command("rocminfo | grep -E 'Name: +gfx|Marketing Name'")
                .source(OVERRIDE_DOC)],
                sources: vec![OVERRIDE_DOC.into()],
            }));
        }
    }
    if hit.sig.override_sensitive
        && no_override
        && ctx.machine_gfx.is_empty()
        && matches!(f.category, Category::GpuMemoryFault | Category::HangTimeout)
    {
        out.push(alt(r, OVERRIDE_SUSPECTED, Finding {
            code: "override-suspected".into(),
            category: Category::ArchOverrideWrong,
            severity: Severity::Warning,
            title: "A leftover or wrong HSA_OVERRIDE_GFX_VERSION would explain this fault".into(),
            evidence: vec![Evidence::new("log", "does not show whether HSA_OVERRIDE_GFX_VERSION is set")],
            why: "Memory faults and hangs are what another target's code does on a GPU; an override left in a profile, service or container definition is a common source.".into(),
            layer: Layer::Environment,
            other_layers: "If an override is set, no library or driver change helps until it is removed".into(),
            remedies: vec![Remedy::new(
                "See whether an override is set where the program runs",
                "Shell profiles, /etc/environment, service units and container definitions included.",
            )
            .command("env | grep HSA_OVERRIDE; grep -rs HSA_OVERRIDE ~/.bashrc ~/.profile /etc/environment")
            .source("https://github.com/ROCm/legacy-rocm-build/issues/5238")],
            sources: vec!["https://github.com/ROCm/legacy-rocm-build/issues/5238".into()],
        }));
    }
    out
}
