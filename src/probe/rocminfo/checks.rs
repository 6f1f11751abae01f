//! Checks over a whole report: names rewritten by `HSA_OVERRIDE_GFX_VERSION`, pastes cut
//! short at either end, nothing found.

use super::{ids, target, Agent, Format, RocminfoReport};

/// Whole-report checks: overridden names, cut-short pastes, nothing found.
pub(super) fn check(report: &mut RocminfoReport) {
    let mut warnings = Vec::new();
    for (i, agent) in report.agents.iter().enumerate() {
        if let Some(w) = override_warning(i, agent) {
            warnings.push(w);
        }
    }
    if report.format == Format::Rocminfo && !report.complete {
        warnings.push(
            "no '*** Done ***' line: the output is cut short or filtered, agents may be missing"
                .to_owned(),
        );
    }
    if let Some(first) = report.agents.first().and_then(|a| a.number) {
        if first > 1 {
            warnings.push(format!(
                "the first agent is Agent {first}: the agents before it are missing from the paste"
            ));
        }
    }
    if report.agents.is_empty() && report.errors.is_empty() {
        warnings.push("no HSA agents found".to_owned());
    }
    report.warnings.extend(warnings);
}

fn label(i: usize, agent: &Agent) -> String {
    let n = agent.number.map_or_else(
        || format!("agent #{}", i.saturating_add(1)),
        |n| format!("Agent {n}"),
    );
    match &agent.marketing_name {
        Some(m) => format!("{n} ({m})"),
        None => n,
    }
}

/// A warning when the reported gfx target disagrees with the ISA, the PCI id or the
/// marketing name: the signature of `HSA_OVERRIDE_GFX_VERSION`.
fn override_warning(i: usize, agent: &Agent) -> Option<String> {
    let reported = agent.gfx_target.as_deref()?;
    let hint = "the name may be overridden (HSA_OVERRIDE_GFX_VERSION)";
    let isa = agent
        .isa
        .iter()
        .filter_map(|s| target(s))
        .find(|t| !t.processor.ends_with("-generic"));
    if let Some(isa) = isa {
        if isa.processor != reported {
            return Some(format!(
                "{}: Name says {reported} but the ISA says {}; {hint}",
                label(i, agent),
                isa.processor
            ));
        }
    }
    if let Some(id) = agent.pci_device_id.as_deref() {
        if let Some(real) = ids::gfx_for_pci_id(id) {
            if real != reported {
                return Some(format!(
                    "{}: reports {reported} but PCI id {id} is a {real}; {hint}",
                    label(i, agent)
                ));
            }
            return None;
        }
    }
    let real = ids::gfx_for_marketing_name(agent.marketing_name.as_deref()?)?;
    (real != reported).then(|| {
        format!(
            "{}: reports {reported} but that card is a {real}; {hint}",
            label(i, agent)
        )
    })
}
