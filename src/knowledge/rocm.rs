//! ROCm releases and the LLVM they ship (data/rocm_llvm.toml).

use std::sync::OnceLock;

use serde::Deserialize;

/// One ROCm release line (e.g. 6.2, covering 6.2.0-6.2.4).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// The release line, e.g. `6.2`.
    pub rocm: String,
    /// Point releases covered by the row.
    pub versions: Vec<String>,
    /// LLVM major of its compiler and device libraries.
    pub llvm: u32,
    /// Version number in its clang ident, e.g. `18.0.0git`.
    pub producer: String,
    /// Where the row comes from.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    release: Vec<Release>,
}

/// Every known ROCm release line, oldest first.
pub fn releases() -> &'static [Release] {
    static DATA: OnceLock<Vec<Release>> = OnceLock::new();
    DATA.get_or_init(|| {
        let f: File = super::parse_embedded("rocm_llvm.toml", include_str!("data/rocm_llvm.toml"));
        f.release
    })
}

/// The LLVM majors ROCm releases ship, sorted, without duplicates.
pub fn llvm_majors() -> Vec<u32> {
    let mut v: Vec<u32> = releases().iter().map(|r| r.llvm).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// ROCm release lines whose compiler is LLVM `major`.
pub fn releases_with_llvm(major: u32) -> Vec<&'static Release> {
    releases().iter().filter(|r| r.llvm == major).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_a_source_and_majors_grow() {
        let r = releases();
        assert!(r.len() >= 15);
        for row in r {
            assert!(row.source.starts_with("https://"), "{}", row.rocm);
            assert!(
                row.producer.starts_with(&row.llvm.to_string()),
                "{}",
                row.rocm
            );
        }
        assert!(
            r.windows(2).all(|w| w[0].llvm <= w[1].llvm),
            "ordered by release"
        );
        assert_eq!(
            releases_with_llvm(20)
                .iter()
                .map(|r| r.rocm.as_str())
                .collect::<Vec<_>>(),
            ["7.0", "7.1"]
        );
        assert!(llvm_majors().contains(&14) && llvm_majors().contains(&22));
    }
}
