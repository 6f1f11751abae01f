//! Bitcode reader errors: only the `(Producer: … Reader: …)` pair says whether a reader error
//! is version skew. A producer newer than the reader is skew, and the fix is a reader at least
//! as new as the producer; any other pair (or a producer that is not LLVM) is not provable
//! skew, and the file itself is suspect.

use super::context::Context;
use super::{Hit, Ranked};
use crate::knowledge::llvm_version::LlvmVersion;
use crate::knowledge::rocm;
use crate::model::Solution;
use crate::model::{Category, Evidence, Remedy};

/// Codes this rule emits besides the signature's own.
pub(crate) const CODES: &[&str] = &["bitcode-reader-error"];

const JULIA_237: &str = "https://github.com/JuliaGPU/AMDGPU.jl/issues/237";
const JULIA_511: &str = "https://github.com/JuliaGPU/GPUCompiler.jl/issues/511";
const ZIG_176634: &str = "https://github.com/llvm/llvm-project/issues/176634";

/// The oldest ROCm release line whose LLVM reads bitcode of `major`, and that LLVM.
fn first_rocm_reading(major: u32) -> Option<(&'static str, u32, &'static str)> {
    rocm::releases()
        .iter()
        .find(|r| r.llvm >= major)
        .map(|r| (r.rocm.as_str(), r.llvm, r.source.as_str()))
}

/// Rewrites the finding of a Producer/Reader pair.
pub(crate) fn refine(hit: &Hit, ctx: &Context<'_>, r: &mut Ranked) {
    let (Some(producer), Some(reader)) = (hit.captures.first(), hit.captures.get(1)) else {
        return;
    };
    let f = &mut r.finding;
    let (p, rd) = (LlvmVersion::parse(producer), LlvmVersion::parse(reader));
    match (p, rd) {
        (Some(p), Some(rd)) if p.major > rd.major => {
            f.title = format!(
                "Bitcode from LLVM {} cannot be read by LLVM {}: the reader is too old",
                p.major, rd.major
            );
            let mut detail = String::new();
            if let Some((line, llvm, source)) = first_rocm_reading(p.major) {
                detail.push_str(&format!(
                    "ROCm {line} (LLVM {llvm}) and later ship such a reader. "
                ));
                f.evidence.push(Evidence::new(
                    "knowledge: rocm_llvm.toml",
                    format!("ROCm {line} ships LLVM {llvm} ({source})"),
                ));
            }
            let able: Vec<&(u32, String)> = ctx
                .toolchains
                .iter()
                .filter(|(m, _)| *m >= p.major)
                .collect();
            let unable: Vec<&(u32, String)> = ctx
                .toolchains
                .iter()
                .filter(|(m, _)| *m < p.major)
                .collect();
            let list = |v: &[&(u32, String)]| {
                v.iter()
                    .map(|(m, path)| format!("{path} (LLVM {m})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if !ctx.toolchains.is_empty() {
                let (a, u) = (list(&able), list(&unable));
                if !a.is_empty() {
                    detail.push_str(&format!("Installed and able to read it: {a}. "));
                }
                if !u.is_empty() {
                    detail.push_str(&format!("Installed but too old: {u}."));
                }
                if a.is_empty() {
                    detail.push_str(" None installed is new enough.");
                }
            }
            let command = match able.first() {
                Some((_, path)) => format!("{path}/bin/llvm-dis <file.bc> -o /dev/null"),
                None => format!("llvm-dis-{} <file.bc> -o /dev/null", p.major),
            };
            f.remedies = vec![
                Remedy::new(format!("Read it with LLVM {} or newer", p.major), detail.trim())
                    .command(command)
                    .fix(Solution::Packages)
                    .source(JULIA_237),
                Remedy::new(
                    format!("Or produce the bitcode with LLVM {} or older, as old as the reader", rd.major),
                    "E.g. device libraries built with the reader's LLVM, the route discussed in \
                     GPUCompiler.jl#511; in AMDGPU.jl#237 a Julia on a newer LLVM read the same files.",
                )
                .fix(Solution::SourceBuild)
                .source(JULIA_511)
                .source(JULIA_237),
            ];
        }
        (p, rd) => {
            f.code = "bitcode-reader-error".into();
            f.category = Category::Other;
            f.severity = crate::diagnose::Severity::Warning;
            f.title = match (&p, &rd) {
                (Some(p), Some(rd)) => format!(
                    "An LLVM {} reader rejected bitcode from LLVM {}: not a version gap",
                    rd.major, p.major
                ),
                _ => format!(
                    "A bitcode reader ({reader}) rejected a file from '{producer}', which is not an \
                     LLVM version: the file, not the versions, is suspect"
                ),
            };
            f.why =
                "Only an LLVM producer newer than the reader proves version skew. Otherwise the \
                     reader error more likely means IR the producer should not have written, which \
                     an older reader let through (llvm-project#176634, closed as won't fix)."
                    .into();
            f.other_layers = "Upgrading or downgrading the reader only hides invalid IR".into();
            f.remedies = vec![
                Remedy::new(
                    "Check the file with the verifier of the newest LLVM at hand",
                    "A verifier error names the construct the producer got wrong.",
                )
                .command("opt -passes=verify -disable-output <file.bc>")
                .source(ZIG_176634),
                Remedy::new(
                    "Report it to the producer; until fixed, keep the reader version that accepted the file",
                    "LLVM declined to accept the invalid IR again in llvm-project#176634.",
                )
                .source(ZIG_176634),
            ];
            f.sources = vec![ZIG_176634.into()];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producer_newer_than_reader_names_a_rocm_that_reads_it() {
        let f = super::super::explain(
            "error: Unknown attribute kind (86) (Producer: 'LLVM19.1.7' Reader: 'LLVM 15.0.6')",
            None,
        );
        assert_eq!(f[0].code, "bitcode-reader-too-old");
        assert!(f[0].remedies[0].title.contains("LLVM 19 or newer"));
        assert!(
            f[0].remedies[0].detail.contains("ROCm "),
            "{}",
            f[0].remedies[0].detail
        );
        let demo = crate::demo::snapshot();
        let f = super::super::explain(
            "(Producer: 'LLVM19.1.7' Reader: 'LLVM 16.0.6')",
            Some(&demo),
        );
        let d = &f
            .iter()
            .find(|f| f.code == "bitcode-reader-too-old")
            .unwrap()
            .remedies[0];
        assert!(
            d.detail.contains("/opt/rocm/llvm (LLVM 20)"),
            "{}",
            d.detail
        );
        assert!(
            d.detail.contains("too old: /usr/lib/llvm-16"),
            "{}",
            d.detail
        );
        let f = super::super::explain("(Producer: 'LLVM15.0.0' Reader: 'LLVM 16.0.6')", None);
        assert_eq!(f[0].category, Category::Other);
    }
}
