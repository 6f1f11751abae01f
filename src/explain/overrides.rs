//! The override rule: an `HSA_OVERRIDE_GFX_VERSION` that knowledge::gfx_support reports
//! unsafe on the GPU, or that names another family's target, is a likelier cause of a crash
//! than the crash's own message. Judged only when both the override and the GPU's hardware
//! target are known; otherwise nothing is said.

use super::context::{Context, OverrideSeen};
use super::Ranked;
use crate::knowledge::gfx_support::{self, GfxSupport, Override, Verdict};
use crate::model::Solution;
use crate::model::{Category, Evidence, Finding, Layer, Remedy, Severity};

/// Codes this rule emits.
pub(crate) const CODES: &[&str] = &["override-unsafe-for-gpu", "override-cross-family"];

/// Threads where an override for another family crashed the GPU or the kernel.
const CROSS_FAMILY_SOURCES: &[&str] = &[
    "https://github.com/ROCm/legacy-rocm-build/issues/5238",
    "https://github.com/ROCm/rocm-systems/issues/3531",
];

/// Outranks every signature when the log shows a symptom a wrong override causes.
const PRIMARY: u32 = 96;
/// Otherwise the override is worth a mention after the diagnosis.
const SECONDARY: u32 = 25;

/// What the knowledge says about an override on a GPU.
pub(crate) enum Judgement {
    /// The override is the GPU's own target: it changes nothing.
    Same,
    /// The GPU's known stand-in, with the verdict the reports give it.
    StandIn(&'static GfxSupport, &'static Override),
    /// The override names another family's target.
    CrossFamily {
        hw_family: &'static str,
        target_family: &'static str,
    },
    /// Not known either way.
    Unknown,
}

fn family(gfx: &str) -> Option<&'static str> {
    gfx_support::target(gfx)
        .map(|t| t.family.as_str())
        .or_else(|| crate::knowledge::gpus::family_of_gfx(gfx))
}

/// Judges `ov` on a GPU whose hardware target is `hw`.
pub(crate) fn judge(hw: &str, ov: &OverrideSeen) -> Judgement {
    let Some(target) = ov.target.as_deref() else {
        return Judgement::Unknown;
    };
    if target == hw {
        return Judgement::Same;
    }
    if let Some(row) = gfx_support::target(hw) {
        if let Some(o) = row.stand_in.as_ref().filter(|o| o.value == ov.value) {
            return Judgement::StandIn(row, o);
        }
    }
    match (family(hw), family(target)) {
        (Some(h), Some(t)) if h != t => Judgement::CrossFamily {
            hw_family: h,
            target_family: t,
        },
        _ => Judgement::Unknown,
    }
}

fn override_evidence(ctx: &Context<'_>, ov: &OverrideSeen) -> Evidence {
    match ov.line {
        Some(n) => ctx.evidence(n),
        None => Evidence::new(
            "snapshot",
            format!("HSA_OVERRIDE_GFX_VERSION is set to {}", ov.value),
        ),
    }
}

fn unset() -> Remedy {
    Remedy::new(
        "Remove the override from the environment",
        "Also take it out of shell profiles, /etc/environment, service and container definitions, \
         so that the runtime reports the GPU's own target again.",
    )
    .command("unset HSA_OVERRIDE_GFX_VERSION")
    .fix(Solution::Env)
}

/// Remedies pointing at builds that carry `row`'s own target, at most three.
pub(crate) fn native_builds(row: &GfxSupport) -> Vec<Remedy> {
    row.native_builds
        .iter()
        .take(3)
        .map(|b| {
            Remedy::new(
                format!("Use a build that carries {} code: {}", row.gfx, b.name),
                "The GPU then runs code built for its own target, with no override.",
            )
            .fix(Solution::NativeBuild)
            .source(&b.source)
        })
        .collect()
}

/// The override finding, when the override is unsafe or cross-family on the known GPU.
/// `sensitive`: the log shows a symptom a wrong override causes, so it comes first.
pub(crate) fn finding(ctx: &Context<'_>, sensitive: bool) -> Option<Ranked> {
    let ov = ctx.the_override()?;
    let (hw, hw_evidence) = ctx.hardware_gfx()?;
    let target = ov.target.clone()?;
    let mut evidence = vec![override_evidence(ctx, ov), hw_evidence];
    let knowledge = "knowledge: gfx_support.toml";
    let f = match judge(&hw, ov) {
        Judgement::StandIn(row, o) if o.verdict == Verdict::Unsafe => {
            evidence.push(Evidence::new(
                knowledge,
                format!(
                    "{hw}: override {} ({}) reported unsafe: {}",
                    o.value, o.stands_in, o.detail
                ),
            ));
            let mut remedies = vec![unset().source(&o.source)];
            remedies.extend(native_builds(row));
            let mut sources = vec![o.source.clone()];
            sources.extend(o.also.iter().cloned());
            Finding {
                code: "override-unsafe-for-gpu".into(),
                category: Category::ArchOverrideWrong,
                severity: Severity::Error,
                title: format!(
                    "The override {} makes this {hw} ({}) run {target} code, which is reported to fail on it",
                    ov.value, row.family
                ),
                evidence,
                why: format!(
                    "Under the override the runtime loads {target} code on a {hw}. Reports on {hw}: {}.",
                    o.detail
                ),
                layer: Layer::Environment,
                other_layers: "Changing libraries or drivers while the override stays only moves the crash; remove it first".into(),
                remedies,
                sources,
            }
        }
        Judgement::CrossFamily {
            hw_family,
            target_family,
        } => {
            evidence.push(Evidence::new(
                knowledge,
                format!("{hw} is {hw_family}; {target} is {target_family}"),
            ));
            let mut remedies = vec![unset()];
            if let Some(row) = gfx_support::target(&hw) {
                match &row.stand_in {
                    Some(o) if o.verdict == Verdict::Works => remedies.push(
                        Remedy::new(
                            format!(
                                "If {hw} needs a stand-in, use the reported one: {} ({})",
                                o.value, o.stands_in
                            ),
                            o.detail.clone(),
                        )
                        .fix(Solution::Env)
                        .source(&o.source),
                    ),
                    Some(_) => remedies.extend(native_builds(row)),
                    None => {
                        if !row.official.is_empty() {
                            let mut r = Remedy::new(
                                format!("Use a ROCm release that supports {hw} itself: no override is needed"),
                                format!("ROCm lists {hw} officially in: {}.", row.official.join(", ")),
                            )
                            .fix(Solution::Packages);
                            if let Some(s) = row.official_sources.first() {
                                r = r.source(s);
                            }
                            remedies.push(r);
                        }
                        remedies.extend(native_builds(row));
                    }
                }
            }
            Finding {
                code: "override-cross-family".into(),
                category: Category::ArchOverrideWrong,
                severity: Severity::Error,
                title: format!(
                    "The override {} makes this {hw} ({hw_family}) run {target} ({target_family}) code: another GPU family",
                    ov.value
                ),
                evidence,
                why: format!(
                    "An override only helps between targets of one ISA family; {target} code on a {hw_family} GPU \
                     leads to memory faults, hangs and driver crashes, as in the threads cited."
                ),
                layer: Layer::Environment,
                other_layers: "No library or driver change makes another family's code run; remove the override".into(),
                remedies,
                sources: CROSS_FAMILY_SOURCES.iter().map(|s| s.to_string()).collect(),
            }
        }
        _ => return None,
    };
    Some(Ranked {
        first_line: ov.line.unwrap_or(0),
        priority: if sensitive { PRIMARY } else { SECONDARY },
        finding: f,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(v: &str) -> OverrideSeen {
        OverrideSeen {
            value: v.into(),
            target: crate::probe::env::override_target(v).into_present(),
            line: None,
        }
    }

    #[test]
    fn judgements_follow_the_knowledge() {
        assert!(matches!(judge("gfx1030", &seen("10.3.0")), Judgement::Same));
        assert!(matches!(judge("gfx1010", &seen("10.3.0")),
            Judgement::StandIn(_, o) if o.verdict == Verdict::Unsafe));
        assert!(matches!(judge("gfx1031", &seen("10.3.0")),
            Judgement::StandIn(_, o) if o.verdict == Verdict::Works));
        assert!(matches!(
            judge("gfx90a", &seen("10.3.0")),
            Judgement::CrossFamily {
                hw_family: "CDNA2",
                target_family: "RDNA2"
            }
        ));
        assert!(matches!(
            judge("gfx1151", &seen("12.0.1")),
            Judgement::CrossFamily { .. }
        ));
        assert!(matches!(judge("gfx1031", &seen("x")), Judgement::Unknown));
    }
}
