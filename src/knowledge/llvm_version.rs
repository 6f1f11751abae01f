//! LLVM version strings as bitcode producers and tools spell them.
//!
//! Bitcode records its producer as `LLVM` + version, e.g. `LLVM15.0.5` (a release),
//! `LLVM20.0.0git` (a development snapshot: ROCm ships these), `LLVM18.1.0rc` (a release
//! candidate). Vendors may add text after the number (`LLVM17.0.6-rust-1.75`). A `git`
//! snapshot of major N can lack features that landed later in N's cycle, so the major alone
//! never decides what a reader can load: the features do (see `inspect::readers`).

/// A parsed producer version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlvmVersion {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch version.
    pub patch: u32,
    /// Whatever follows the numbers: `git`, `rc`, `rc1`, `-rust-1.75`, or empty.
    pub suffix: String,
}

impl LlvmVersion {
    /// Parses `LLVM20.0.0git`, `LLVM 16.0.6`, `20.0.0git` or `15.0.5`.
    ///
    /// Returns `None` when no major version number can be read.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_prefix("LLVM").unwrap_or(s).trim_start();
        let mut numbers = [0u32; 3];
        let mut rest = s;
        for (i, slot) in numbers.iter_mut().enumerate() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits == 0 {
                if i == 0 {
                    return None;
                }
                break;
            }
            *slot = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
            match rest.strip_prefix('.') {
                Some(r) if i < 2 && r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
                _ => break,
            }
        }
        Some(LlvmVersion {
            major: numbers[0],
            minor: numbers[1],
            patch: numbers[2],
            suffix: rest.to_owned(),
        })
    }

    /// A development snapshot (`git` suffix), as ROCm's compilers are.
    pub fn is_snapshot(&self) -> bool {
        self.suffix.starts_with("git")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_producers() {
        let v = LlvmVersion::parse("LLVM20.0.0git").unwrap();
        assert_eq!(
            (v.major, v.minor, v.patch, v.suffix.as_str()),
            (20, 0, 0, "git")
        );
        assert!(v.is_snapshot());
        let v = LlvmVersion::parse("LLVM 16.0.6").unwrap();
        assert_eq!((v.major, v.patch, v.is_snapshot()), (16, 6, false));
        assert_eq!(LlvmVersion::parse("LLVM18.1.0rc").unwrap().suffix, "rc");
        assert_eq!(
            LlvmVersion::parse("LLVM17.0.6-rust-1.75").unwrap().suffix,
            "-rust-1.75"
        );
        assert_eq!(LlvmVersion::parse("LLVM3.8").unwrap().major, 3);
        assert_eq!(LlvmVersion::parse("APPLE_1_1300.0.29.3_0"), None);
        assert_eq!(LlvmVersion::parse(""), None);
    }
}
