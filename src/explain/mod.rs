//! `explain`: from a failure log to findings. Each line is matched against the log signatures
//! of `knowledge::signatures`; context rules (`refine`, `overrides`) then read the rest of the
//! log, and the machine when one is given, to turn symptoms into a diagnosis: the same
//! aperture violation is an unsafe override on gfx1010 with `10.3.0`, a solver fault on
//! gfx1031. The first finding is the primary diagnosis.

mod bitcode;
pub mod context;
mod memory;
mod names;
mod overrides;
mod refine;
mod system;

use crate::diagnose::Finding;
use crate::knowledge::signatures::{self, Signature};
use crate::snapshot::Snapshot;

pub use context::Context;

/// Evidence lines quoted per signature: enough to show it, short enough to read.
const MAX_EVIDENCE_LINES: usize = 3;

/// One signature's matches in the log.
pub(crate) struct Hit {
    /// The signature.
    pub sig: &'static Signature,
    /// 1-based lines that matched, in order.
    pub lines: Vec<usize>,
    /// Capture groups 1 and 2 of the first matching line's pattern.
    pub captures: Vec<String>,
}

/// A finding and the priority that orders it.
pub(crate) struct Ranked {
    pub(crate) finding: Finding,
    pub(crate) priority: u32,
    pub(crate) first_line: usize,
}

fn hits(ctx: &Context<'_>) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::new();
    for (i, line) in ctx.lines.iter().enumerate() {
        for (sig, pattern) in signatures::matching(line) {
            match out.iter_mut().find(|h| std::ptr::eq(h.sig, sig)) {
                Some(h) => h.lines.push(i + 1),
                None => {
                    let captures = sig.regexes()[pattern]
                        .captures(line)
                        .map(|c| {
                            (1..c.len())
                                .filter_map(|k| c.get(k).map(|m| m.as_str().to_owned()))
                                .collect()
                        })
                        .unwrap_or_default();
                    out.push(Hit {
                        sig,
                        lines: vec![i + 1],
                        captures,
                    });
                }
            }
        }
    }
    out
}

/// The finding a signature stands for before any context rule: its text, the matched lines
/// as evidence, its remedies.
fn base_finding(hit: &Hit, ctx: &Context<'_>) -> Finding {
    let s = hit.sig;
    let mut evidence: Vec<_> = hit
        .lines
        .iter()
        .take(MAX_EVIDENCE_LINES)
        .map(|&n| ctx.evidence(n))
        .collect();
    if hit.lines.len() > MAX_EVIDENCE_LINES {
        let more = hit.lines.len() - MAX_EVIDENCE_LINES;
        let n = hit.lines[MAX_EVIDENCE_LINES];
        evidence.push(crate::diagnose::Evidence::new(
            format!("log line {n}"),
            format!("and {more} more matching lines from here on"),
        ));
    }
    Finding {
        code: s.code.clone(),
        category: s.category,
        severity: s.severity,
        title: s.title.clone(),
        evidence,
        why: s.why.clone(),
        layer: s.layer,
        other_layers: s.other_layers.clone(),
        remedies: s.remedies.iter().map(|r| r.to_remedy()).collect(),
        sources: s.sources.clone(),
    }
}

/// Findings for a failure log, the primary diagnosis first. `machine` is the machine the
/// log came from, when known: its GPUs, override and ROCm count as context. Empty when no
/// known signature matched.
pub fn explain(log: &str, machine: Option<&Snapshot>) -> Vec<Finding> {
    let ctx = Context::new(log, machine);
    let hits = hits(&ctx);
    let mut ranked: Vec<Ranked> = hits
        .iter()
        .map(|h| {
            let mut r = Ranked {
                finding: base_finding(h, &ctx),
                priority: h.sig.priority,
                first_line: h.lines[0],
            };
            if let Some(kind) = h.sig.refine {
                refine::apply(kind, h, &ctx, &mut r);
            }
            r
        })
        .collect();
    let sensitive = hits.iter().any(|h| h.sig.override_sensitive);
    if let Some(r) = overrides::finding(&ctx, sensitive) {
        ranked.push(r);
    }
    ranked.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.first_line.cmp(&b.first_line))
    });
    let mut out: Vec<Finding> = Vec::new();
    for r in ranked {
        match out.iter_mut().find(|f| f.code == r.finding.code) {
            Some(f) => f.evidence.extend(r.finding.evidence),
            None => out.push(r.finding),
        }
    }
    for f in &mut out {
        // Rules may quote a line a signature already quoted.
        let mut seen: Vec<(String, String)> = Vec::new();
        f.evidence.retain(|e| {
            let key = (e.source.clone(), e.says.clone());
            let fresh = !seen.contains(&key);
            seen.push(key);
            fresh
        });
    }
    out
}

/// Every finding code `explain` can emit: the signatures' and the context rules'.
pub fn codes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = signatures::all().iter().map(|s| s.code.as_str()).collect();
    v.extend_from_slice(refine::CODES);
    v.extend_from_slice(overrides::CODES);
    v.extend_from_slice(bitcode::CODES);
    v.extend_from_slice(memory::CODES);
    v.extend_from_slice(system::CODES);
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::Category;

    #[test]
    fn nothing_known_gives_nothing() {
        assert!(explain("all good\nbye\n", None).is_empty());
        assert!(explain("", None).is_empty());
    }

    #[test]
    fn the_same_fault_means_different_things_per_gpu() {
        let line = ":0:rocdevice.cpp :2673: Device::callbackQueue aborting with error : \
                    HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION: The agent attempted to access \
                    memory beyond the largest legal address. code: 0x29";
        // RDNA1 with the RDNA2 override: the override is the diagnosis.
        let log = format!("RX 5700 XT [gfx1010]\nexport HSA_OVERRIDE_GFX_VERSION=10.3.0\n{line}");
        let f = explain(&log, None);
        assert_eq!(f[0].category, Category::ArchOverrideWrong, "{:#?}", f[0]);
        assert_eq!(f[0].code, "override-unsafe-for-gpu");
        for r in f.iter().flat_map(|f| &f.remedies) {
            let all = format!("{} {:?} {}", r.title, r.command, r.detail);
            assert!(!all.contains("HSA_OVERRIDE_GFX_VERSION=10.3.0"), "{all}");
        }
        assert!(f.iter().any(|f| f.code == "hsa-aperture-violation"));
        // gfx1031 with the same override inside MIOpen: a memory fault with solver remedies.
        let log = format!("gfx1031 HSA_OVERRIDE_GFX_VERSION=10.3.0 MIOpenDriver conv -n 1\n{line}");
        let f = explain(&log, None);
        assert_eq!(f[0].category, Category::GpuMemoryFault);
        let cmds: String = f[0]
            .remedies
            .iter()
            .filter_map(|r| r.command.clone())
            .collect();
        assert!(cmds.contains("MIOPEN_DEBUG_CONV_GEMM=0"), "{cmds}");
        // The machine can supply the GPU and the override the log lacks.
        let demo = crate::demo::snapshot();
        let f = explain(line, Some(&demo));
        assert_eq!(f[0].category, Category::ArchOverrideWrong);
    }

    #[test]
    fn codes_are_listed_and_unique() {
        let c = codes();
        assert!(c.contains(&"hip-no-binary-for-gpu") && c.contains(&"override-stand-in-works"));
        let f = explain("hipErrorNoBinaryForGpu\nName: gfx1031", None);
        assert_eq!(f[0].code, "override-stand-in-works");
        assert!(f.iter().all(|f| c.contains(&f.code.as_str())));
    }
}
