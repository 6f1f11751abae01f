//! Log signatures (data/log_signatures.toml): the error lines real threads showed for each
//! failure, the finding each stands for, and the remedies the threads showed to work.
//! `explain` matches them line by line; its context rules then refine the verdict.

use std::sync::OnceLock;

use regex::{Regex, RegexSet};
use serde::Deserialize;

use crate::model::{Category, Layer, Remedy, Severity, Solution};

/// The context rule of `explain` that may change a signature's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refine {
    /// Missing code objects: the GPU's target and the override decide between "override
    /// needed" and "missing kernels".
    NoKernels,
    /// GPU memory faults: MIOpen solvers, firmware.
    MemoryFault,
    /// `/dev/kfd` access: containers need another remedy than hosts.
    KfdAccess,
    /// Bitcode reader errors: the Producer/Reader pair decides whether it is version skew.
    Bitcode,
    /// Out of memory: iGPU picked instead of the dGPU, APU carve-out, GTT.
    Oom,
    /// A shared library not found: soname majors against the ROCm seen.
    SharedLib,
    /// PCIe atomics: RDNA cards with newer firmware no longer need them.
    PcieAtomics,
    /// No device: Windows HIP SDK versions.
    NoDevice,
}

/// The `rocm-doctor fix` solution a remedy maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fix {
    /// A container image.
    Container,
    /// A Python environment.
    Venv,
    /// System packages.
    Packages,
    /// Building from source.
    SourceBuild,
    /// Environment variables.
    Env,
    /// Running on the CPU instead.
    CpuFallback,
    /// A build that carries the GPU's own target.
    NativeBuild,
    /// No generated fix.
    None,
}

impl Fix {
    /// The solution, `None` for [`Fix::None`].
    pub fn solution(self) -> Option<Solution> {
        match self {
            Fix::Container => Some(Solution::Container),
            Fix::Venv => Some(Solution::Venv),
            Fix::Packages => Some(Solution::Packages),
            Fix::SourceBuild => Some(Solution::SourceBuild),
            Fix::Env => Some(Solution::Env),
            Fix::CpuFallback => Some(Solution::CpuFallback),
            Fix::NativeBuild => Some(Solution::NativeBuild),
            Fix::None => None,
        }
    }
}

/// One remedy row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemedyRow {
    /// What to do.
    pub title: String,
    /// A command, when there is one.
    #[serde(default)]
    pub command: Option<String>,
    /// Why it works or what it costs.
    pub detail: String,
    /// The fix solution.
    pub fix: Fix,
    /// Threads that show it working.
    pub sources: Vec<String>,
}

impl RemedyRow {
    /// As a finding's remedy.
    pub fn to_remedy(&self) -> Remedy {
        Remedy {
            title: self.title.clone(),
            command: self.command.clone(),
            detail: self.detail.clone(),
            fix: self.fix.solution(),
            sources: self.sources.clone(),
        }
    }
}

/// One signature.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Short unique name.
    pub id: String,
    /// The finding code it emits (unless a context rule changes it).
    pub code: String,
    /// The finding's category.
    pub category: Category,
    /// The finding's severity.
    pub severity: Severity,
    /// Which finding comes first when several match: higher wins.
    pub priority: u32,
    /// The context rule that may refine the verdict.
    #[serde(default)]
    pub refine: Option<Refine>,
    /// A wrong override found in the context is the likelier cause.
    #[serde(default)]
    pub override_sensitive: bool,
    /// Regexes, matched against each line a literal selected. Empty for findings that only
    /// the mapping rows of `error_categories.toml` point at.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Literal strings (ASCII case-insensitive): a line is tried against `patterns` only when
    /// it contains one (the Aho-Corasick prefilter of `explain`). Every match of a pattern
    /// contains one of them.
    #[serde(default)]
    pub literals: Vec<String>,
    /// What would settle the diagnosis when the log alone leaves it open.
    #[serde(default)]
    pub settle: Option<String>,
    /// The next command to run to confirm or refute it.
    #[serde(default)]
    pub next: Option<String>,
    /// One line: what is wrong.
    pub title: String,
    /// Why it matters.
    pub why: String,
    /// The layer a fix must touch.
    pub layer: Layer,
    /// Why other layers cannot fix it.
    pub other_layers: String,
    /// Remedies, best first.
    #[serde(default)]
    pub remedies: Vec<RemedyRow>,
    /// Threads showing the signature and its fix.
    pub sources: Vec<String>,
    #[serde(skip)]
    compiled: Vec<Regex>,
}

impl Signature {
    /// The compiled patterns, in file order.
    pub fn regexes(&self) -> &[Regex] {
        &self.compiled
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    signature: Vec<Signature>,
}

struct Compiled {
    all: Vec<Signature>,
    set: RegexSet,
    /// For each pattern of `set`: (signature index, pattern index).
    owner: Vec<(usize, usize)>,
}

fn compiled() -> &'static Compiled {
    static DATA: OnceLock<Compiled> = OnceLock::new();
    DATA.get_or_init(|| {
        let mut f: File = super::parse_embedded(
            "log_signatures.toml",
            include_str!("data/log_signatures.toml"),
        );
        let mut owner = Vec::new();
        let mut patterns = Vec::new();
        for (i, s) in f.signature.iter_mut().enumerate() {
            for (j, p) in s.patterns.iter().enumerate() {
                let re = Regex::new(p).unwrap_or_else(|e| {
                    panic!("log_signatures.toml {}: bad regex {p:?}: {e}", s.id)
                });
                s.compiled.push(re);
                owner.push((i, j));
                patterns.push(p.clone());
            }
        }
        let set = RegexSet::new(&patterns)
            .unwrap_or_else(|e| panic!("log_signatures.toml: regex set: {e}"));
        Compiled {
            all: f.signature,
            set,
            owner,
        }
    })
}

/// Every signature, in file order.
pub fn all() -> &'static [Signature] {
    &compiled().all
}

/// The signature whose finding code is `code`.
pub fn by_code(code: &str) -> Option<&'static Signature> {
    all().iter().find(|s| s.code == code)
}

/// The signatures matching `line`, each with the index of its first matching pattern, in
/// file order. One pass over the line for all patterns.
pub fn matching(line: &str) -> Vec<(&'static Signature, usize)> {
    let c = compiled();
    let mut out: Vec<(&'static Signature, usize)> = Vec::new();
    for k in c.set.matches(line).iter() {
        let (i, j) = c.owner[k];
        if !out.iter().any(|(s, _)| std::ptr::eq(*s, &c.all[i])) {
            out.push((&c.all[i], j));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kebab(s: &str) -> bool {
        !s.is_empty()
            && s.split('-').all(|w| {
                !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
    }

    #[test]
    fn rows_are_unique_sourced_and_well_formed() {
        let all = all();
        assert!(all.len() >= 25);
        for (i, s) in all.iter().enumerate() {
            assert!(kebab(&s.id) && kebab(&s.code), "{}", s.id);
            assert!(
                all[i + 1..]
                    .iter()
                    .all(|t| t.id != s.id && t.code != s.code),
                "{}",
                s.id
            );
            assert!(!s.sources.is_empty(), "{} has no source", s.id);
            let urls = s
                .sources
                .iter()
                .chain(s.remedies.iter().flat_map(|r| &r.sources));
            for u in urls {
                assert!(u.starts_with("https://"), "{}: {u}", s.id);
            }
            assert!(s.remedies.iter().all(|r| !r.sources.is_empty()), "{}", s.id);
            // A signature without a context rule must bring its own remedies.
            assert!(s.refine.is_some() || !s.remedies.is_empty(), "{}", s.id);
            assert_eq!(s.regexes().len(), s.patterns.len());
            // The prefilter: each pattern names one of the literals, so a line it matches
            // contains that literal.
            assert!(s.patterns.is_empty() || !s.literals.is_empty(), "{}", s.id);
            for p in &s.patterns {
                let mut plain = String::new();
                let mut esc = false;
                for c in p.chars() {
                    if esc && c.is_ascii_punctuation() {
                        plain.push(c);
                    } else if esc {
                        plain.push('\\');
                        plain.push(c);
                    } else if c != '\\' {
                        plain.push(c);
                    }
                    esc = !esc && c == '\\';
                }
                let plain = plain.to_ascii_lowercase();
                assert!(
                    s.literals
                        .iter()
                        .any(|l| plain.contains(&l.to_ascii_lowercase())),
                    "{}: pattern {p:?} contains none of its literals",
                    s.id
                );
            }
        }
    }

    #[test]
    fn matching_finds_real_lines() {
        let ids = |l: &str| {
            matching(l)
                .iter()
                .map(|(s, _)| s.id.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids("\"hipErrorNoBinaryForGpu: Unable to find code object for all current devices!\""),
            ["hip-no-binary"]
        );
        assert_eq!(
            ids("[    2.694307] kfd kfd: amdgpu: skipped device 1002:7340, PCI rejects atomics"),
            ["pcie-atomics"]
        );
        assert_eq!(
            ids("crw-------   1 root    root    234,   0 Mai 21 05:13 kfd"),
            ["kfd-root-only"]
        );
        assert!(ids("crw-rw----  1 root render 234, 0 Mai 21 05:13 kfd").is_empty());
        let (s, j) =
            matching("error: Invalid value (Producer: 'LLVM14.0.0git' Reader: 'LLVM 12.0.1jl')")[0];
        let caps = s.regexes()[j].captures("(Producer: 'LLVM14.0.0git' Reader: 'LLVM 12.0.1jl')");
        assert_eq!(caps.unwrap().get(1).unwrap().as_str(), "LLVM14.0.0git");
        assert!(ids("everything is fine").is_empty());
    }
}
