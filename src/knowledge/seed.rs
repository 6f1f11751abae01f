//! The audit of the seed document's claims (data/seed_claims.toml; prose in
//! docs/seed-audit.md). The doctor cites these when a user repeats one of the claims.

use std::sync::OnceLock;

use serde::Deserialize;

/// What the sources say about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimVerdict {
    /// Sources confirm it.
    Supported,
    /// Sources show it false.
    Contradicted,
    /// No source settles it; the evidence says what would.
    Unproven,
}

/// One audited claim.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// Kebab-case id (`rocm-6.2-uses-llvm-16`).
    pub id: String,
    /// The claim, in our words.
    pub claim: String,
    /// The verdict.
    pub verdict: ClaimVerdict,
    /// Why, in our words.
    pub evidence: String,
    /// Where the evidence is (empty only for unproven claims).
    pub sources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    claim: Vec<Claim>,
}

/// Every claim, in the seed document's order.
pub fn all() -> &'static [Claim] {
    static DATA: OnceLock<Vec<Claim>> = OnceLock::new();
    DATA.get_or_init(|| {
        let f: File =
            super::parse_embedded("seed_claims.toml", include_str!("data/seed_claims.toml"));
        f.claim
    })
}

/// The claim with this id.
pub fn claim(id: &str) -> Option<&'static Claim> {
    all().iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::super::{images, rocm};
    use super::*;

    fn is_kebab(id: &str) -> bool {
        !id.is_empty()
            && !id.starts_with('-')
            && !id.ends_with('-')
            && !id.contains("--")
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    }

    #[test]
    fn claims_are_well_formed() {
        assert!(all().len() >= 18);
        for (n, c) in all().iter().enumerate() {
            assert!(is_kebab(&c.id), "{}", c.id);
            assert!(
                all()[n + 1..].iter().all(|d| d.id != c.id),
                "duplicate {}",
                c.id
            );
            assert!(!c.claim.is_empty() && !c.evidence.is_empty(), "{}", c.id);
            assert!(
                c.sources.iter().all(|u| u.starts_with("https://")),
                "{}",
                c.id
            );
            if c.verdict != ClaimVerdict::Unproven {
                assert!(!c.sources.is_empty(), "{} needs a source", c.id);
            }
        }
        assert!(!is_kebab("Bad_Id") && !is_kebab("a--b"));
    }

    #[test]
    fn verdicts_agree_with_the_other_tables() {
        let llvm_of = |line: &str| {
            rocm::releases()
                .iter()
                .find(|r| r.rocm == line)
                .map(|r| r.llvm)
        };
        let c = claim("rocm-7.0.2-uses-llvm-20").unwrap();
        assert_eq!(c.verdict, ClaimVerdict::Supported);
        assert_eq!(llvm_of("7.0"), Some(20));
        let c = claim("rocm-6.2-uses-llvm-16").unwrap();
        assert_eq!(c.verdict, ClaimVerdict::Contradicted);
        assert_ne!(llvm_of("6.2"), Some(16));
        let c = claim("docker-tag-rocm5.7-py3.9-torch-2.0.1-exists").unwrap();
        assert_eq!(c.verdict, ClaimVerdict::Supported);
        let tag = "rocm5.7_ubuntu20.04_py3.9_pytorch_2.0.1";
        assert!(images::all().iter().any(|i| i.tag == tag));
    }

    #[test]
    fn the_prose_audit_names_every_claim_with_its_verdict() {
        let doc = include_str!("../../docs/seed-audit.md");
        for c in all() {
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", c.id)))
                .unwrap_or_else(|| panic!("docs/seed-audit.md lacks {}", c.id));
            let verdict = format!("{:?}", c.verdict).to_lowercase();
            assert!(row.contains(&format!("| {verdict} |")), "{}", c.id);
        }
    }

    #[test]
    fn lookups() {
        for id in [
            "miopen-uses-mtype-cc-from-6.2",
            "rdna1-2-cannot-handle-mtype-cc",
            "rocm-5.7-uses-mtype-nc",
            "docker-overhead-5-10-percent",
        ] {
            assert_eq!(
                claim(id).map(|c| c.verdict),
                Some(ClaimVerdict::Unproven),
                "{id}"
            );
        }
        let c = claim("env-vars-cannot-help").unwrap();
        assert_eq!(c.verdict, ClaimVerdict::Contradicted);
        assert!(claim("no-such-claim").is_none());
    }
}
