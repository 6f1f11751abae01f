//! Findings on the wire (docs/json.md): separate from [`crate::diagnose::Finding`] so the
//! internal type can change without breaking the contract.

use serde::Serialize;

use crate::model::Finding;
use crate::model::Solution;

/// Layout version of `explain --json` and of the `findings` of `check --json`.
pub const SCHEMA_VERSION: u32 = 1;

/// One finding.
#[derive(Debug, Serialize)]
pub struct FindingWire<'a> {
    /// Stable code (docs/findings.md).
    pub code: &'a str,
    /// One of the categories of docs/findings.md.
    pub category: &'static str,
    /// `error`, `warning` or `info`.
    pub severity: &'static str,
    /// What is wrong.
    pub title: &'a str,
    /// `{source, says}` pairs.
    pub evidence: Vec<EvidenceWire<'a>>,
    /// Why it matters.
    pub why: &'a str,
    /// The layer a fix must touch.
    pub layer: &'static str,
    /// Why other layers cannot fix it.
    pub other_layers: &'a str,
    /// Remedies, best first.
    pub remedies: Vec<RemedyWire<'a>>,
    /// Source URLs of the facts used.
    pub sources: &'a [String],
}

/// One piece of evidence.
#[derive(Debug, Serialize)]
pub struct EvidenceWire<'a> {
    /// File, log line or knowledge file.
    pub source: &'a str,
    /// What it says.
    pub says: &'a str,
}

/// One remedy.
#[derive(Debug, Serialize)]
pub struct RemedyWire<'a> {
    /// What to do.
    pub title: &'a str,
    /// A command, or null.
    pub command: Option<&'a str>,
    /// Why, or what it costs.
    pub detail: &'a str,
    /// The `rocm-doctor fix` solution, or null.
    pub fix: Option<&'a str>,
    /// Source URLs.
    pub sources: &'a [String],
}

impl<'a> From<&'a Finding> for FindingWire<'a> {
    fn from(f: &'a Finding) -> Self {
        FindingWire {
            code: &f.code,
            category: f.category.as_str(),
            severity: f.severity.as_str(),
            title: &f.title,
            evidence: f
                .evidence
                .iter()
                .map(|e| EvidenceWire {
                    source: &e.source,
                    says: &e.says,
                })
                .collect(),
            why: &f.why,
            layer: f.layer.as_str(),
            other_layers: &f.other_layers,
            remedies: f
                .remedies
                .iter()
                .map(|r| RemedyWire {
                    title: &r.title,
                    command: r.command.as_deref(),
                    detail: &r.detail,
                    fix: r.fix.map(Solution::as_str),
                    sources: &r.sources,
                })
                .collect(),
            sources: &f.sources,
        }
    }
}

/// The findings of a list, on the wire.
pub fn wire(findings: &[Finding]) -> Vec<FindingWire<'_>> {
    findings.iter().map(FindingWire::from).collect()
}
