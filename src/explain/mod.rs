//! `explain`: from a failure log to findings. Each line is matched against the log signatures
//! of `knowledge::signatures`; context rules (`refine`, `overrides`) then read the rest of the
//! log, and the machine when one is given, to turn symptoms into a diagnosis: the same
//! aperture violation is an unsafe override on gfx1010 with `10.3.0`, a solver fault on
//! gfx1031. The first finding is the primary diagnosis.

mod alternatives;
mod bitcode;
pub mod context;
mod memory;
mod names;
mod overrides;
mod rank;
mod refine;
mod scan;
mod system;

use crate::diagnose::Finding;
use crate::knowledge::signatures::{self, Signature};
use crate::snapshot::Snapshot;

pub use context::Context;

/// Evidence lines quoted per signature: enough to show it, short enough to read.
const MAX_EVIDENCE_LINES: usize = 3;

/// One finding's evidence in the log: every rule that pointed at its signature.
pub(crate) struct Hit {
    /// The signature (the finding before context rules).
    pub sig: &'static Signature,
    /// 1-based lines that matched, in order, each once.
    pub lines: Vec<usize>,
    /// Capture groups 1 and 2 of the first signature pattern that matched with groups.
    pub captures: Vec<String>,
    /// Evidence score: the strongest rule's weight plus a share of every other distinct rule.
    pub score: f64,
    /// What the knowledge says about the vocabulary entries seen.
    pub notes: Vec<crate::diagnose::Evidence>,
    /// Only red-herring rules pointed here.
    pub red_herring: bool,
    /// Only context rows pointed here.
    pub context_only: bool,
}

/// A finding and the score that orders it.
pub(crate) struct Ranked {
    pub(crate) finding: Finding,
    pub(crate) priority: u32,
    pub(crate) first_line: usize,
}

/// Share of a further distinct rule's weight added to the strongest one's.
const FURTHER_SHARE: f64 = 0.3;
/// At most this much is added to the strongest rule's weight.
const FURTHER_CAP: f64 = 30.0;

fn hits(ctx: &Context<'_>, text: &str) -> Vec<Hit> {
    let matches = scan::scan(text, &ctx.lines);
    let mut out: Vec<Hit> = Vec::new();
    let mut rules: Vec<Vec<(scan::RuleKey, f64)>> = Vec::new();
    for m in matches {
        let i = match out.iter().position(|h| std::ptr::eq(h.sig, m.sig)) {
            Some(i) => i,
            None => {
                out.push(Hit {
                    sig: m.sig,
                    lines: Vec::new(),
                    captures: Vec::new(),
                    score: 0.0,
                    notes: Vec::new(),
                    red_herring: true,
                    context_only: true,
                });
                rules.push(Vec::new());
                out.len() - 1
            }
        };
        let h = &mut out[i];
        if !h.lines.contains(&m.line) {
            h.lines.push(m.line);
        }
        if h.captures.is_empty() && !m.captures.is_empty() {
            h.captures = m.captures;
        }
        if let Some(n) = m.note {
            if !h.notes.contains(&n) && h.notes.len() < MAX_EVIDENCE_LINES {
                h.notes.push(n);
            }
        }
        h.red_herring &= m.red_herring;
        h.context_only &= m.context_only;
        let r = &mut rules[i];
        match r.iter_mut().find(|(k, _)| *k == m.rule) {
            Some((_, w)) => *w = w.max(m.weight),
            None => r.push((m.rule, m.weight)),
        }
    }
    for (h, r) in out.iter_mut().zip(&rules) {
        h.lines.sort_unstable();
        let max = r.iter().map(|(_, w)| *w).fold(0.0, f64::max);
        let rest: f64 = r.iter().map(|(_, w)| *w).sum::<f64>() - max;
        h.score = max + (rest * FURTHER_SHARE).min(FURTHER_CAP);
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
    evidence.extend(hit.notes.iter().cloned());
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

/// Findings for a failure log, the primary diagnosis first, then the best finding of each
/// other category in the order of their evidence, then the rest; red herrings last (and
/// named as such). `machine` is the machine the log came from, when known: its GPUs,
/// override and ROCm count as context. Every finding carries its confidence, the evidence
/// that would settle it and the next command to run (evidence rows `explain: ...`). Empty
/// only when the text shows no ROCm failure at all.
pub fn explain(log: &str, machine: Option<&Snapshot>) -> Vec<Finding> {
    let ctx = Context::new(log, machine);
    let mut hits = hits(&ctx, log);
    if hits.iter().all(|h| h.context_only || h.red_herring) {
        hits.retain(|h| !h.context_only);
    }
    // The floor: a ROCm failure no rule knows is still a finding, with low confidence.
    if hits.iter().all(|h| h.red_herring) {
        let mut herrings: Vec<usize> = hits.iter().flat_map(|h| h.lines.iter().copied()).collect();
        herrings.sort_unstable();
        herrings.dedup();
        if let Some(n) = scan::failure_line(log, &herrings) {
            hits.push(Hit {
                sig: signatures::by_code("rocm-failure-unclassified").expect("signature"),
                lines: vec![n],
                captures: Vec::new(),
                score: 8.0,
                notes: Vec::new(),
                red_herring: false,
                context_only: false,
            });
        }
    }
    let mut ranked: Vec<(Ranked, bool, &'static Signature)> = Vec::new();
    for h in &hits {
        let mut r = Ranked {
            finding: base_finding(h, &ctx),
            priority: h.score.round() as u32,
            first_line: h.lines[0],
        };
        if let Some(kind) = h.sig.refine {
            refine::apply(kind, h, &ctx, &mut r);
        }
        let alts = alternatives::for_finding(h, &r, &ctx);
        ranked.push((r, h.red_herring, h.sig));
        for a in alts {
            ranked.push((a, false, h.sig));
        }
    }
    if hits.iter().any(|h| !h.red_herring) {
        let any = signatures::by_code("rocm-failure-unclassified").expect("signature");
        for r in alternatives::log_wide(&ctx) {
            ranked.push((r, false, any));
        }
    }
    let sensitive = hits
        .iter()
        .any(|h| h.sig.override_sensitive && !h.red_herring);
    if let Some(r) = overrides::finding(&ctx, sensitive) {
        ranked.push((
            r,
            false,
            signatures::by_code("rocm-failure-unclassified").expect("row"),
        ));
    }
    rank::order(ranked)
}

/// Every finding code `explain` can emit: the signatures' and the context rules'.
pub fn codes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = signatures::all().iter().map(|s| s.code.as_str()).collect();
    v.extend_from_slice(refine::CODES);
    v.extend_from_slice(overrides::CODES);
    v.extend_from_slice(bitcode::CODES);
    v.extend_from_slice(memory::CODES);
    v.extend_from_slice(system::CODES);
    v.extend_from_slice(alternatives::CODES);
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
        // Text without a ROCm failure: nothing. The CLI says so.
        assert!(explain("all good\nbye\n", None).is_empty());
        assert!(explain("", None).is_empty());
        assert!(explain("hipSuccess\nHSA_STATUS_SUCCESS", None).is_empty());
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

    fn confidence(f: &Finding) -> &str {
        f.evidence
            .iter()
            .find(|e| e.source == rank::CONFIDENCE)
            .map(|e| e.says.split(':').next().unwrap_or(""))
            .unwrap_or("")
    }

    #[test]
    fn several_weak_hits_outweigh_one_strong_one() {
        // One memory-fault status (60) against three weaker, distinct signs of a hang.
        let log = "HSA_STATUS_ERROR_MEMORY_FAULT\n\
                   the run hangs after a while\n\
                   HSA_STATUS_ERROR_EXCEPTION\n\
                   [ 9.1] amdgpu 0000:03:00.0: amdgpu: GPU reset begin!";
        let f = explain(log, None);
        assert_eq!(f[0].category, Category::HangTimeout, "{:#?}", f[0]);
        assert!(f.iter().any(|f| f.category == Category::GpuMemoryFault));
        // Alone, the memory fault is the diagnosis.
        let f = explain("HSA_STATUS_ERROR_MEMORY_FAULT", None);
        assert_eq!(f[0].category, Category::GpuMemoryFault);
    }

    #[test]
    fn every_finding_says_how_sure_it_is_and_what_to_run() {
        let f = explain(
            "[ 2.6] kfd kfd: amdgpu: skipped device 1002:67df, PCI rejects atomics 730<1024",
            None,
        );
        assert_eq!(confidence(&f[0]), "high");
        let f = explain("HIP error: something nobody has seen before", None);
        assert_eq!(f[0].code, "rocm-failure-unclassified");
        assert_eq!(confidence(&f[0]), "low");
        for f in &f {
            assert!(f.evidence.iter().any(|e| e.source == rank::NEXT));
            assert!(f.evidence.iter().any(|e| e.source == rank::SETTLE));
        }
        // The vocabulary entry is quoted with its upstream file.
        let f = explain("error: HSA_STATUS_ERROR_INVALID_ISA", None);
        assert_eq!(f[0].category, Category::MissingKernelsForArch);
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.source.starts_with("knowledge: ROCm/ROCR-Runtime")
                && e.says.contains("0x100f")));
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
