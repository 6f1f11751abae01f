//! Out-of-memory context: an allocation that failed on an integrated GPU next to a discrete
//! one is a visibility problem; on an APU the usable memory is the BIOS carve-out or GTT, not
//! what the system has.

use std::sync::OnceLock;

use regex::Regex;

use super::context::Context;
use super::Ranked;
use crate::model::Solution;
use crate::model::{Category, Layer, Remedy};

/// Codes this rule emits besides the signature's own.
pub(crate) const CODES: &[&str] = &["igpu-selected"];

const IGPU_8618: &str = "https://github.com/ggml-org/llama.cpp/issues/8618";
const AMDGPU_INSTALL_IGPU: &str = "https://rocm.docs.amd.com/projects/install-on-linux/en/docs-6.3.1/install/install-methods/amdgpu-installer/amdgpu-installer-ol.html";
const CARVEOUT_2014: &str = "https://github.com/ROCm/legacy-rocm-build/issues/2014";
const GTT_1054: &str = "https://github.com/ROCm/TheRock/issues/1054";
const TORCH_ALLOC_CONF: &str =
    "https://pytorch.org/docs/stable/notes/cuda.html#environment-variables";

/// Whether a device name printed by an application is an integrated GPU: every gpus.toml row
/// whose marketing name is the name (or the name plus a suffix such as " Graphics") agrees.
fn is_apu(name: &str) -> Option<bool> {
    let want = name.trim().to_ascii_lowercase();
    let mut seen: Option<bool> = None;
    for row in crate::knowledge::gpus::rows() {
        let hit = row.marketing.iter().any(|m| {
            let m = m.to_ascii_lowercase();
            m == want
                || m.strip_prefix(&want)
                    .is_some_and(|rest| rest.starts_with(' '))
        });
        if hit {
            match (seen, row.apu) {
                (_, None) => return None,
                (None, a) => seen = a,
                (Some(s), Some(a)) if s != a => return None,
                _ => {}
            }
        }
    }
    seen
}

fn mib(number: &str, unit: &str) -> Option<f64> {
    let n: f64 = number.parse().ok()?;
    Some(if unit.starts_with('G') { n * 1024.0 } else { n })
}

fn regex(cell: &'static OnceLock<Regex>, p: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(p).expect("memory regex"))
}

/// The total capacity PyTorch reports, in MiB, and its line.
fn capacity(ctx: &Context<'_>) -> Option<(f64, usize)> {
    static CELL: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &CELL,
        r"(?:([\d.]+) (MiB|GiB) total capacity|total capacity of ([\d.]+) (MiB|GiB))",
    );
    ctx.lines.iter().enumerate().find_map(|(i, l)| {
        let c = re.captures(l)?;
        let (n, u) = match (c.get(1), c.get(2)) {
            (Some(n), Some(u)) => (n, u),
            _ => (c.get(3)?, c.get(4)?),
        };
        Some((mib(n.as_str(), u.as_str())?, i + 1))
    })
}

/// The VRAM size amdgpu logged at boot, in MiB, and its line.
fn vram(ctx: &Context<'_>) -> Option<(f64, usize)> {
    static CELL: OnceLock<Regex> = OnceLock::new();
    let re = regex(&CELL, r"amdgpu: VRAM: (\d+)M\b");
    ctx.lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| Some((re.captures(l)?[1].parse().ok()?, i + 1)))
}

/// Rewrites an out-of-memory finding from its context.
pub(crate) fn refine(ctx: &Context<'_>, r: &mut Ranked) {
    let f = &mut r.finding;
    if let Some((cur, n)) = ctx.current_device {
        let igpu = ctx
            .devices
            .iter()
            .find(|d| d.index == cur && is_apu(&d.name) == Some(true));
        let dgpu = ctx.devices.iter().find(|d| is_apu(&d.name) == Some(false));
        if let (Some(i), Some(d)) = (igpu, dgpu) {
            f.code = "igpu-selected".into();
            f.category = Category::DeviceVisibility;
            f.title = format!(
                "The work went to the integrated GPU (device {}: {}) instead of {}",
                i.index, i.name, d.name
            );
            f.why =
                "With an APU and a discrete GPU both visible, applications may place work on the \
                     iGPU, which fails there; AMD's install guide warns that ROCm does not support \
                     integrated graphics next to a discrete GPU."
                    .into();
            f.layer = Layer::Environment;
            f.other_layers = "Rebuilding for the iGPU's target or enabling unified memory did not help in the thread cited".into();
            f.evidence
                .extend([ctx.evidence(i.line), ctx.evidence(d.line), ctx.evidence(n)]);
            f.remedies = vec![Remedy::new(
                format!("Hide the integrated GPU: show only device {}", d.index),
                "Set it for the program (or the service running it).",
            )
            .command(format!("export HIP_VISIBLE_DEVICES={}", d.index))
            .fix(Solution::Env)
            .source(IGPU_8618)];
            f.sources = vec![IGPU_8618.into(), AMDGPU_INSTALL_IGPU.into()];
            return;
        }
    }
    let mut first: Vec<Remedy> = Vec::new();
    match (capacity(ctx), vram(ctx)) {
        (Some((cap, cl)), Some((v, vl))) if v >= 2.0 * cap => {
            f.evidence.extend([ctx.evidence(cl), ctx.evidence(vl)]);
            first.push(
                Remedy::new(
                    "Shrink the BIOS VRAM carve-out so the GPU's share of system memory (GTT) grows",
                    format!(
                        "PyTorch saw {cap:.0} MiB although the carve-out is {v:.0} MiB: its allocations \
                         landed in GTT; with a 512 MB carve-out the reporter of TheRock#1054 could \
                         allocate about 61 GB."
                    ),
                )
                .source(GTT_1054),
            );
        }
        (Some((cap, cl)), _) if cap <= 2048.0 => {
            f.evidence.push(ctx.evidence(cl));
            first.push(
                Remedy::new(
                    "If this is an APU, raise the GPU's memory (UMA frame buffer size) in the BIOS",
                    format!(
                        "Only {cap:.0} MiB are usable by the GPU: on APUs that is the BIOS carve-out, \
                         as in legacy-rocm-build#2014."
                    ),
                )
                .source(CARVEOUT_2014),
            );
        }
        _ => {}
    }
    if ctx
        .lines
        .iter()
        .any(|l| l.contains("PYTORCH_HIP_ALLOC_CONF"))
    {
        first.push(
            Remedy::new(
                "If much memory is reserved but unallocated, let PyTorch's allocator grow segments",
                "The setting the error message itself suggests; it helps fragmentation, not a model \
                 larger than the GPU.",
            )
            .command("export PYTORCH_HIP_ALLOC_CONF=expandable_segments:True")
            .fix(Solution::Env)
            .source(TORCH_ALLOC_CONF),
        );
    }
    f.remedies.splice(0..0, first);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apu_names_from_the_table() {
        assert_eq!(is_apu("AMD Radeon 780M"), Some(true));
        assert_eq!(is_apu("AMD Radeon RX 7700S"), Some(false));
        assert_eq!(is_apu("Some Other GPU"), None);
    }
}
