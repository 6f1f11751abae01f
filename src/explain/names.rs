//! GPU names on a log line: gfx targets (and how each is used), rocminfo marketing names and
//! PCI ids, resolved through knowledge::gpus.

use std::sync::OnceLock;

use regex::Regex;

use super::context::{GfxMention, GfxRole};

/// gfx processor names (checked against the known processors afterwards).
fn gfx_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"gfx[0-9]{2,4}[a-z]?").expect("gfx regex"))
}

/// An AMD PCI id, `1002:7340`.
fn pci_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"\b1002:([0-9a-fA-F]{4})\b").expect("pci regex"))
}

/// Whether the text just before a gfx name makes it a build target.
fn is_build_target(before: &str) -> bool {
    let token = before.rsplit(char::is_whitespace).next().unwrap_or("");
    let t = token.to_ascii_uppercase();
    ["ARCH", "TARGET", "MCPU", "OFFLOAD"]
        .iter()
        .any(|k| t.contains(k))
}

pub(crate) fn gfx_mentions(n: usize, line: &str, out: &mut Vec<GfxMention>) {
    for m in gfx_re().find_iter(line) {
        let name = m.as_str();
        if rocm_formats::gfx::processor_to_mach(name).is_none() {
            continue;
        }
        let before = &line[..m.start()];
        let after = &line[m.end()..];
        let glued = |c: Option<char>| c.is_some_and(|c| c == '_' || c.is_ascii_alphanumeric());
        let role = if glued(before.chars().next_back())
            || glued(after.chars().next())
            || after.starts_with(".dat")
            || after.starts_with(".co")
            || after.starts_with(".hsaco")
        {
            GfxRole::File
        } else if is_build_target(before) {
            GfxRole::Build
        } else {
            GfxRole::Device
        };
        out.push(GfxMention {
            gfx: name.to_owned(),
            line: n,
            role,
        });
    }
}

/// The gfx target of a marketing name, when every gpus.toml row with that name agrees.
pub(crate) fn gfx_of_marketing(name: &str) -> Option<String> {
    let mut gfx = crate::knowledge::gpus::rows()
        .iter()
        .filter(|r| r.marketing.iter().any(|m| m.eq_ignore_ascii_case(name)))
        .map(|r| r.gfx.as_str());
    let first = gfx.next()?;
    (first != "unknown" && gfx.all(|g| g == first)).then(|| first.to_owned())
}

/// The gfx target of the first AMD PCI id (`1002:7340`) on a line.
pub(crate) fn gfx_of_pci(line: &str) -> Option<String> {
    let c = pci_re().captures(line)?;
    let row = crate::knowledge::gpus::lookup(u16::from_str_radix(&c[1], 16).ok()?, None)?;
    (row.gfx != "unknown").then(|| row.gfx.clone())
}
