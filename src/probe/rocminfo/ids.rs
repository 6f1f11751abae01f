//! What gfx target a GPU *should* report, from its PCI device id or its marketing name: the
//! evidence for "this name was overridden" (`HSA_OVERRIDE_GFX_VERSION`). Both come from the
//! sourced GPU table (`knowledge::gpus`, data/gpus.toml). A miss, or a name the table gives
//! to GPUs of different targets, means "no opinion", never a guess.

use crate::knowledge::gpus;

/// The gfx target of a PCI device id written `0x73bf` (any case). `None` when unknown.
pub(super) fn gfx_for_pci_id(id: &str) -> Option<&'static str> {
    let hex = id.strip_prefix("0x").or_else(|| id.strip_prefix("0X"))?;
    let row = gpus::lookup(u16::from_str_radix(hex, 16).ok()?, None)?;
    (row.gfx != "unknown").then_some(row.gfx.as_str())
}

/// A marketing name without `AMD`, `Radeon` and `Graphics`, in upper case: `RX 6700 XT`.
fn model(name: &str) -> String {
    name.split_whitespace()
        .filter(|w| !["AMD", "RADEON", "GRAPHICS"].contains(&w.to_ascii_uppercase().as_str()))
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}

/// The gfx target a marketing name belongs to, when every GPU the table gives that exact model
/// name has the same target. `None` for generic names ("AMD Radeon Graphics") and the rest.
pub(super) fn gfx_for_marketing_name(name: &str) -> Option<&'static str> {
    let wanted = model(name);
    if wanted.is_empty() {
        return None;
    }
    let mut targets = gpus::rows()
        .iter()
        .filter(|r| r.gfx != "unknown" && r.marketing.iter().any(|m| model(m) == wanted))
        .map(|r| r.gfx.as_str());
    let first = targets.next()?;
    targets.all(|t| t == first).then_some(first)
}
