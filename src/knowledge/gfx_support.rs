//! What each gfx target can run on (data/gfx_support.toml): the first LLVM that accepts it,
//! official ROCm support on Linux by release line, the `HSA_OVERRIDE_GFX_VERSION` stand-in,
//! official PyTorch wheels that carry it and native builds (TheRock, lamikr).

use std::sync::OnceLock;

use serde::Deserialize;

use super::rocm;

/// A three-way answer: what the sources say, or that they do not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// The sources say yes.
    Yes,
    /// The sources say no (or the target is absent from a list that was read).
    No,
    /// No source read here settles it.
    Unknown,
}

/// The first upstream LLVM major that accepts a processor name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum FirstLlvm {
    /// First accepted by this major; the one before rejects it.
    Major(u32),
    /// Rejected before `.0`, accepted by `.1`; the majors in between were not tested.
    Between(u32, u32),
    /// Accepted by this major, the oldest one tried.
    AtMost(u32),
    /// Not established.
    Unknown,
}

impl TryFrom<String> for FirstLlvm {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let num = |t: &str| {
            t.parse::<u32>()
                .map_err(|_| format!("bad first_llvm {s:?}"))
        };
        if s == "unknown" {
            Ok(FirstLlvm::Unknown)
        } else if let Some(m) = s.strip_prefix("<=") {
            Ok(FirstLlvm::AtMost(num(m)?))
        } else if let Some((a, b)) = s.split_once("..") {
            let (a, b) = (num(a)?, num(b)?);
            if a < b {
                Ok(FirstLlvm::Between(a, b))
            } else {
                Err(format!("empty range in first_llvm {s:?}"))
            }
        } else {
            Ok(FirstLlvm::Major(num(&s)?))
        }
    }
}

impl FirstLlvm {
    /// Whether an LLVM (clang, llc) of `major` accepts the processor.
    pub fn accepted_by(self, major: u32) -> Support {
        let yes_if = |b: bool| if b { Support::Yes } else { Support::No };
        match self {
            FirstLlvm::Major(m) => yes_if(major >= m),
            FirstLlvm::Between(lo, hi) if major < lo || major >= hi => yes_if(major >= hi),
            FirstLlvm::AtMost(m) if major >= m => Support::Yes,
            FirstLlvm::Between(..) | FirstLlvm::AtMost(_) | FirstLlvm::Unknown => Support::Unknown,
        }
    }
}

/// How the override stand-in fares on this target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Real workloads were reported running.
    Works,
    /// Reported to crash, or to work only with old builds: do not recommend.
    Unsafe,
    /// No report either way was read.
    Unknown,
}

/// The `HSA_OVERRIDE_GFX_VERSION` value people use for a target without code of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// The value, `major.minor.stepping` (`10.3.0`).
    pub value: String,
    /// The target whose code objects the runtime then loads (`gfx1030`).
    pub stands_in: String,
    /// How it fares.
    pub verdict: Verdict,
    /// What the reports say, in one line.
    pub detail: String,
    /// The main report.
    pub source: String,
    /// Further reports.
    #[serde(default)]
    pub also: Vec<String>,
}

/// A build outside AMD's releases that carries code for the target.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NativeBuild {
    /// Project and family / extra name.
    pub name: String,
    /// Where the target is listed.
    pub source: String,
}

/// One gfx target row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GfxSupport {
    /// Processor name (`gfx1031`).
    pub gfx: String,
    /// Family as in gpus.toml (`RDNA2`).
    pub family: String,
    /// First LLVM that accepts the processor.
    pub first_llvm: FirstLlvm,
    /// AMDGPUUsage.rst of the first release branch known to list it.
    pub llvm_source: String,
    /// ROCm lines (`6.2`) or point releases (`6.4.1`, meaning from there on) with official support.
    pub official: Vec<String>,
    /// ROCm lines whose official status no source read here covers.
    pub official_unknown: Vec<String>,
    /// Which products the lists name, and caveats.
    pub official_note: String,
    /// The support lists read.
    pub official_sources: Vec<String>,
    /// PyTorch wheel indexes (`rocm6.2.4`) whose arch list has the target.
    pub in_torch_wheels: Vec<String>,
    /// Builds outside AMD's releases.
    pub native_builds: Vec<NativeBuild>,
    /// The override stand-in, for targets without official code.
    #[serde(rename = "override", default)]
    pub stand_in: Option<Override>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    target: Vec<GfxSupport>,
}

fn hand_rows() -> Vec<GfxSupport> {
    let f: File = super::parse_embedded("gfx_support.toml", include_str!("data/gfx_support.toml"));
    f.target
}

/// The release lines the generated compatibility matrix covers (`6.0` … `7.2`), each with its
/// point releases as the matrix lists them, oldest first.
pub fn matrix_lines() -> Vec<(&'static str, Vec<&'static rocm::PointRelease>)> {
    let mut out: Vec<(&'static str, Vec<&'static rocm::PointRelease>)> = Vec::new();
    for r in rocm::point_releases()
        .iter()
        .filter(|r| r.stream == rocm::Stream::Classic && r.official_gfx.is_some())
    {
        match out.last_mut() {
            Some((line, v)) if *line == r.line => v.push(r),
            _ => out.push((r.line.as_str(), vec![r])),
        }
    }
    out
}

/// What the matrix says of `gfx` in one line: the line (every release lists it), the first
/// point release that lists it when later ones all do, or nothing.
fn matrix_entry(gfx: &str, releases: &[&rocm::PointRelease]) -> Option<String> {
    let lists = |r: &&rocm::PointRelease| {
        r.official_gfx
            .as_ref()
            .is_some_and(|g| g.iter().any(|x| x == gfx))
    };
    let first = releases.iter().position(lists)?;
    if !releases[first..].iter().all(lists) {
        // Listed and then dropped within a line: neither a line nor a from-release entry says
        // that. Keep the line when its first release lists the target; the test
        // `official_lines_of_the_matrix_come_from_the_matrix` then fails for the dropped
        // releases and asks for a look (no such case in the matrix read).
        return (first == 0).then(|| releases[0].line.clone());
    }
    Some(if first == 0 {
        releases[0].line.clone()
    } else {
        releases[first].rocm.clone()
    })
}

/// Every target row, in file order. `official` and `official_unknown` for the lines the
/// generated compatibility matrix covers come from the matrix, not from the hand file.
pub fn all() -> &'static [GfxSupport] {
    static DATA: OnceLock<Vec<GfxSupport>> = OnceLock::new();
    DATA.get_or_init(|| {
        let lines = matrix_lines();
        let mut rows = hand_rows();
        for t in &mut rows {
            let covered = |e: &String| {
                let l = rocm_line(e).unwrap_or(e.as_str());
                lines.iter().any(|(line, _)| *line == l)
            };
            t.official.retain(|e| !covered(e));
            t.official_unknown.retain(|e| !covered(e));
            for (_, releases) in &lines {
                if let Some(e) = matrix_entry(&t.gfx, releases) {
                    t.official.push(e);
                }
            }
            if let Some((_, releases)) = lines.first() {
                let src = releases[0].source.clone();
                if !t.official_sources.contains(&src) {
                    t.official_sources.push(src);
                }
            }
        }
        rows
    })
}

/// The processor of a target ID, without offload triple or features:
/// `amdgcn-amd-amdhsa--gfx1031:xnack-` → `gfx1031`.
pub fn processor_of(target_id: &str) -> &str {
    let id = target_id.trim();
    let id = id.rfind("--").map_or(id, |at| &id[at + 2..]);
    id.split(':').next().unwrap_or(id)
}

/// The row for a target ID (features and offload triple are ignored).
pub fn target(gfx: &str) -> Option<&'static GfxSupport> {
    let p = processor_of(gfx);
    all().iter().find(|t| t.gfx == p)
}

fn numbers(v: &str) -> Option<Vec<u32>> {
    v.split('.').map(|p| p.parse().ok()).collect()
}

/// The rocm_llvm.toml release line of a ROCm version: `7.0.2`, `rocm7.0.2` or `7.0` → `7.0`.
pub fn rocm_line(version: &str) -> Option<&'static str> {
    let v = version.trim().trim_start_matches("rocm");
    let n = numbers(v)?;
    let line = format!("{}.{}", n.first()?, n.get(1)?);
    rocm::releases()
        .iter()
        .find(|r| r.rocm == line)
        .map(|r| r.rocm.as_str())
}

/// The newest ROCm release (its line, and the point version) whose Linux support names `gfx`
/// officially; point entries such as `6.4.1` count from that release on.
pub fn newest_official(gfx: &str) -> Option<(&'static rocm::Release, &'static str)> {
    let row = target(gfx)?;
    rocm::releases().iter().rev().find_map(|r| {
        r.versions
            .iter()
            .rev()
            .find(|v| row.official_in(v) == Support::Yes)
            .map(|v| (r, v.as_str()))
    })
}

impl GfxSupport {
    /// Official Linux support in a ROCm release (`7.0.2`) or line (`6.2`).
    pub fn official_in(&self, rocm_version: &str) -> Support {
        let v = rocm_version.trim().trim_start_matches("rocm");
        let (Some(line), Some(asked)) = (rocm_line(v), numbers(v)) else {
            return Support::Unknown;
        };
        if self.official.iter().any(|e| e == line) {
            return Support::Yes;
        }
        // A point entry ("6.4.1") covers that release and later ones of its line.
        if let Some(from) = self
            .official
            .iter()
            .filter(|e| rocm_line(e) == Some(line))
            .find_map(|e| numbers(e))
        {
            return match asked.len() {
                2 => Support::Unknown,
                _ if asked >= from => Support::Yes,
                _ => Support::No,
            };
        }
        if self.official_unknown.iter().any(|e| e == line) {
            Support::Unknown
        } else {
            Support::No
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAMILIES: &[&str] = &[
        "GCN5", "CDNA", "CDNA2", "CDNA3", "CDNA4", "RDNA1", "RDNA2", "RDNA3", "RDNA3.5", "RDNA4",
        // gfx1250: TheRock's list calls it an Instinct CDNA part without a generation.
        "unknown",
    ];

    #[test]
    fn rows_are_sourced_unique_and_known() {
        let want = [
            "gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx950", "gfx1010", "gfx1011",
            "gfx1012", "gfx1013", "gfx1030", "gfx1031", "gfx1032", "gfx1033", "gfx1034", "gfx1035",
            "gfx1036", "gfx1100", "gfx1101", "gfx1102", "gfx1103", "gfx1150", "gfx1151", "gfx1152",
            "gfx1153", "gfx1200", "gfx1201", "gfx1250",
        ];
        for g in want {
            assert!(target(g).is_some(), "{g} missing");
        }
        for (i, t) in all().iter().enumerate() {
            assert!(
                all()[i + 1..].iter().all(|u| u.gfx != t.gfx),
                "duplicate {}",
                t.gfx
            );
            assert!(
                rocm_formats::gfx::processor_to_mach(&t.gfx).is_some(),
                "{}",
                t.gfx
            );
            assert!(FAMILIES.contains(&t.family.as_str()), "{}", t.gfx);
            if let Some(f) = super::super::gpus::family_of_gfx(&t.gfx) {
                assert_eq!(f, t.family, "{} family disagrees with gpus.toml", t.gfx);
            }
            let mut urls = vec![&t.llvm_source];
            urls.extend(&t.official_sources);
            urls.extend(t.native_builds.iter().map(|b| &b.source));
            if let Some(o) = &t.stand_in {
                urls.push(&o.source);
                urls.extend(&o.also);
            }
            for u in urls {
                assert!(u.starts_with("https://"), "{}: {u}", t.gfx);
            }
            assert!(!t.official_sources.is_empty(), "{}", t.gfx);
        }
    }

    #[test]
    fn official_lines_exist_and_do_not_overlap() {
        let versions: Vec<&str> = rocm::releases()
            .iter()
            .flat_map(|r| r.versions.iter().map(String::as_str))
            .collect();
        for t in all() {
            for e in &t.official {
                let line = rocm_line(e).unwrap_or_else(|| panic!("{}: no line {e}", t.gfx));
                assert!(
                    e == line || versions.contains(&e.as_str()),
                    "{}: {e}",
                    t.gfx
                );
                assert!(
                    !t.official_unknown.iter().any(|u| u == line),
                    "{}: {e}",
                    t.gfx
                );
            }
            for u in &t.official_unknown {
                assert_eq!(rocm_line(u), Some(u.as_str()), "{}: {u}", t.gfx);
            }
        }
    }

    /// The hand file leaves the lines the matrix covers to the matrix.
    #[test]
    fn official_lines_of_the_matrix_come_from_the_matrix() {
        let lines: Vec<&str> = matrix_lines().iter().map(|(l, _)| *l).collect();
        assert_eq!(lines.first(), Some(&"6.0"));
        assert!(lines.contains(&"6.4") && lines.contains(&"7.2"));
        for t in hand_rows() {
            for e in t.official.iter().chain(&t.official_unknown) {
                let l = rocm_line(e).unwrap_or(e);
                assert!(!lines.contains(&l), "{}: {e} is the matrix's to say", t.gfx);
            }
        }
        // Every target the matrix lists has a row, and the row says so.
        for (line, releases) in matrix_lines() {
            for r in releases {
                let listed = r.official_gfx.as_ref().unwrap();
                for g in listed {
                    let t = target(g).unwrap_or_else(|| panic!("{g} has no row"));
                    assert_eq!(
                        t.official_in(&r.rocm),
                        Support::Yes,
                        "{g} {} ({line})",
                        r.rocm
                    );
                }
                // ... and a target the release does not list is not official in it.
                for t in all().iter().filter(|t| !listed.contains(&t.gfx)) {
                    if rocm_line(&r.rocm).is_some() {
                        assert_eq!(t.official_in(&r.rocm), Support::No, "{} {}", t.gfx, r.rocm);
                    }
                }
            }
        }
    }

    #[test]
    fn overrides_name_their_stand_in() {
        let mut seen = 0;
        for t in all() {
            let Some(o) = &t.stand_in else { continue };
            seen += 1;
            let n = numbers(&o.value).expect("numeric override");
            assert_eq!(n.len(), 3, "{}", t.gfx);
            let name = rocm_formats::gfx::gfx_name_from_version(n[0], n[1], n[2]);
            assert_eq!(name.as_deref(), Some(o.stands_in.as_str()), "{}", t.gfx);
            let host = target(&o.stands_in).expect("stand-in has a row");
            assert!(host.stand_in.is_none() && host.gfx != t.gfx, "{}", t.gfx);
        }
        assert!(seen >= 14);
        // Every RDNA2 target but gfx1030 lacks code of its own and so needs a stand-in row.
        let rdna2 = all()
            .iter()
            .filter(|t| t.family == "RDNA2" && t.gfx != "gfx1030");
        assert!(rdna2.clone().count() == 6 && rdna2.clone().all(|t| t.stand_in.is_some()));
    }

    #[test]
    fn first_llvm_reading() {
        assert_eq!(
            FirstLlvm::try_from("9..10".to_string()),
            Ok(FirstLlvm::Between(9, 10))
        );
        assert!(FirstLlvm::try_from("10..9".to_string()).is_err());
        assert!(FirstLlvm::try_from("x".to_string()).is_err());
        let g = target("gfx1100").unwrap().first_llvm;
        assert_eq!(
            (g.accepted_by(14), g.accepted_by(15)),
            (Support::No, Support::Yes)
        );
        let g = target("gfx1010").unwrap().first_llvm;
        assert_eq!(g.accepted_by(8), Support::No);
        assert_eq!(g.accepted_by(9), Support::Unknown);
        assert_eq!(g.accepted_by(16), Support::Yes);
        let g = target("gfx900").unwrap().first_llvm;
        assert_eq!(
            (g.accepted_by(7), g.accepted_by(8)),
            (Support::Unknown, Support::Yes)
        );
        // Every load-tested row was accepted by the newest LLVM tried (22); gfx1152, gfx1153
        // and gfx1250 were not load-tested.
        assert!(all()
            .iter()
            .all(|t| t.first_llvm == FirstLlvm::Unknown
                || t.first_llvm.accepted_by(22) == Support::Yes));
    }

    #[test]
    fn lookups_on_real_strings() {
        assert_eq!(
            processor_of("amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-"),
            "gfx90a"
        );
        let t = target("gfx1031:xnack-").expect("features are ignored");
        assert_eq!(t.gfx, "gfx1031");
        assert_eq!(t.official_in("7.0.2"), Support::No);
        assert_eq!(t.official_in("6.2.4"), Support::No);
        assert_eq!(t.stand_in.as_ref().unwrap().verdict, Verdict::Works);
        let t = target("gfx1030").unwrap();
        assert_eq!(t.official_in("rocm6.2.4"), Support::Yes);
        assert_eq!(t.official_in("5.7"), Support::Yes);
        assert_eq!(t.official_in("7.0.2"), Support::Yes);
        assert_eq!(t.official_in("7.2.0"), Support::Yes);
        assert_eq!(t.official_in("4.5"), Support::Unknown);
        let t = target("gfx1101").unwrap();
        assert_eq!(t.official_in("6.4.0"), Support::No);
        assert_eq!(t.official_in("6.4.1"), Support::Yes);
        assert_eq!(t.official_in("7.1.1"), Support::Yes);
        let t = target("gfx950").unwrap();
        assert_eq!(t.official_in("6.4.3"), Support::No);
        assert_eq!(t.official_in("7.0.0"), Support::Yes);
        let t = target("gfx1151").unwrap();
        assert_eq!(t.official_in("7.2.0"), Support::No);
        // TheRock-era releases: no official list read.
        assert_eq!(t.official_in("7.14.0"), Support::Unknown);
        assert_eq!(newest_official("gfx1100").unwrap().0.rocm, "7.2");
        // RX 7900 XTX on ROCm 6.4.0 is an officially supported stack.
        assert_eq!(
            target("gfx1100").unwrap().official_in("6.4.0"),
            Support::Yes
        );
        let t = target("gfx1201").unwrap();
        assert_eq!(t.official_in("6.4.0"), Support::No);
        assert_eq!(t.official_in("6.4.1"), Support::Yes);
        assert_eq!(t.official_in("6.4.4"), Support::Yes);
        assert_eq!(t.official_in("6.4"), Support::Unknown);
        assert_eq!(t.official_in("6.2.4"), Support::No);
        let o = target("gfx1010").unwrap().stand_in.as_ref().unwrap();
        assert_eq!(
            (o.verdict, o.stands_in.as_str()),
            (Verdict::Unsafe, "gfx1030")
        );
        assert_eq!(rocm_line("7.0.2"), Some("7.0"));
        assert_eq!(rocm_line("9.9.9"), None);
        assert!(target("gfx9999").is_none());
    }
}
