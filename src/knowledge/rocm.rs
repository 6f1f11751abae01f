//! ROCm releases: per release line the LLVM it ships (data/rocm_llvm.toml, hand-kept from clang
//! ident strings), and per point release its date, official Linux gfx targets, LLVM major and
//! install layout ([`point_releases`], from the generated tables: AMD's compatibility matrix and
//! release history, and TheRock's release refs).

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

/// Which build line a release belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The classic releases (6.x, 7.0-7.2), packaged by AMD's repositories into `/opt/rocm-X.Y.Z`.
    Classic,
    /// The TheRock-built releases (7.9 on, 10.x).
    TheRock,
}

/// One ROCm point release, as the generated tables describe it.
#[derive(Debug, Clone)]
pub struct PointRelease {
    /// `7.0.2`.
    pub rocm: String,
    /// `7.0`.
    pub line: String,
    /// Classic or TheRock.
    pub stream: Stream,
    /// Release date `YYYY-MM-DD`, where the release history gives it.
    pub date: Option<String>,
    /// Official Linux gfx targets (the compatibility matrix's GPU / LLVM target rows); `None`
    /// where no list read covers the release.
    pub official_gfx: Option<Vec<String>>,
    /// LLVM major of its compiler, where a source gives it (the matrix's llvm-project version,
    /// or the clang ident of rocm_llvm.toml); `None` = unknown.
    pub llvm_major: Option<u32>,
    /// Where native packages install it: `/opt/rocm-7.0.2` (classic), `/opt/rocm` (TheRock 7.9,
    /// 7.10), `/opt/rocm/core-7.14` (TheRock 7.11 on); `unknown` where not read.
    pub install_dir: String,
    /// Native package name prefix (`rocm-`, `amdrocm-`) where read.
    pub native_package_prefix: Option<String>,
    /// Python packages of its pip distribution (`rocm`, `rocm-sdk-core`, ...); empty for
    /// classic releases.
    pub python_packages: Vec<String>,
    /// TheRock: the Linux targets its SUPPORTED_GPUS.md marks release-ready at the release ref.
    pub therock_ready: Option<Vec<String>>,
    /// TheRock: `tag` (a release tag names it) or `branch` (only a release branch does).
    pub therock_ref: Option<String>,
    /// The upstream file (pinned to a commit) the row rests on.
    pub source: String,
}

/// Classic packages install into `/opt/rocm-<version>` (the install guide's post-install steps
/// use that directory).
pub const CLASSIC_LAYOUT_SOURCE: &str = "https://github.com/ROCm/rocm-install-on-linux/blob/f297bde3afa98d750d1aa460386491db9a721f30/docs/install/post-install.rst";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatrixRow {
    rocm: String,
    line: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    date_file: Option<String>,
    #[serde(default)]
    gfx: Option<Vec<String>>,
    #[serde(default)]
    architectures: Option<Vec<String>>,
    #[serde(default)]
    llvm_project: Option<String>,
    #[serde(default)]
    llvm_major: Option<u32>,
    upstream_file: String,
    #[allow(dead_code)]
    commit: String,
    #[allow(dead_code)]
    read: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatrixFile {
    release: Vec<MatrixRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Wheel {
    package: String,
    version: String,
    file: String,
    #[serde(default)]
    rocm: Option<String>,
    requires: Vec<String>,
    upstream_file: String,
    commit: String,
    read: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WheelFile {
    wheel: Vec<Wheel>,
}

fn version_key(v: &str) -> Vec<u32> {
    v.trim()
        .trim_start_matches("rocm")
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// Every ROCm point release the knowledge names, oldest first: the release history and the
/// compatibility matrix (classic), then TheRock's release refs.
pub fn point_releases() -> &'static [PointRelease] {
    static DATA: OnceLock<Vec<PointRelease>> = OnceLock::new();
    DATA.get_or_init(|| {
        let m: MatrixFile = super::generated::parse("rocm_matrix.toml");
        let mut out: Vec<PointRelease> = m
            .release
            .into_iter()
            .map(|r| {
                let _ = (&r.date_file, &r.architectures, &r.llvm_project);
                let hand = releases().iter().find(|h| h.versions.contains(&r.rocm));
                PointRelease {
                    install_dir: format!("/opt/rocm-{}", r.rocm),
                    llvm_major: r.llvm_major.or(hand.map(|h| h.llvm)),
                    rocm: r.rocm,
                    line: r.line,
                    stream: Stream::Classic,
                    date: r.date,
                    official_gfx: r.gfx,
                    native_package_prefix: Some("rocm-".into()),
                    python_packages: Vec::new(),
                    therock_ready: None,
                    therock_ref: None,
                    source: r.upstream_file,
                }
            })
            .collect();
        for t in super::therock::releases() {
            let v = version_key(&t.rocm);
            out.push(PointRelease {
                rocm: t.rocm.clone(),
                line: format!("{}.{}", v[0], v.get(1).copied().unwrap_or(0)),
                stream: Stream::TheRock,
                date: None,
                official_gfx: None,
                llvm_major: None,
                install_dir: t
                    .native_install_dir
                    .clone()
                    .or_else(|| t.native_prefix.clone())
                    .unwrap_or_else(|| "unknown".into()),
                native_package_prefix: t.native_package_prefix.clone(),
                python_packages: t.python_packages.clone(),
                therock_ready: t.release_ready.clone(),
                therock_ref: Some(t.ref_kind.clone()),
                source: t.upstream_files.first().cloned().unwrap_or_default(),
            });
        }
        // Releases only a PyPI package built on them names (hip-python 7.2.2 → ROCm 7.2.2).
        let w: WheelFile = super::generated::parse("pypi_rocm.toml");
        for wheel in w.wheel {
            let Some(v) = wheel.rocm else { continue };
            if out.iter().any(|r| version_key(&r.rocm) == version_key(&v)) {
                continue;
            }
            let k = version_key(&v);
            let therock = k >= vec![7, 9];
            out.push(PointRelease {
                line: format!("{}.{}", k[0], k.get(1).copied().unwrap_or(0)),
                stream: if therock {
                    Stream::TheRock
                } else {
                    Stream::Classic
                },
                date: None,
                official_gfx: None,
                llvm_major: if therock {
                    None
                } else {
                    releases()
                        .iter()
                        .find(|h| h.versions.contains(&v))
                        .map(|h| h.llvm)
                },
                install_dir: if therock {
                    "unknown".into()
                } else {
                    format!("/opt/rocm-{v}")
                },
                native_package_prefix: None,
                python_packages: Vec::new(),
                therock_ready: None,
                therock_ref: None,
                source: wheel.upstream_file,
                rocm: v,
            });
        }
        out.sort_by_key(|r| version_key(&r.rocm));
        out
    })
}

/// The point release `7.0.2` (or `rocm7.0.2`), if the knowledge names it.
pub fn point_release(version: &str) -> Option<&'static PointRelease> {
    let want = version_key(version);
    point_releases()
        .iter()
        .find(|r| version_key(&r.rocm) == want)
}

/// The newest release the knowledge names.
pub fn newest() -> &'static PointRelease {
    point_releases()
        .last()
        .expect("the generated tables name releases")
}

/// Whether `version` is newer than every release the knowledge names: answers about it are
/// then beyond what the knowledge covers, and should say so.
pub fn beyond_knowledge(version: &str) -> bool {
    version_key(version) > version_key(&newest().rocm)
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

    #[test]
    fn matrix_llvm_agrees_with_the_clang_idents() {
        let mut checked = 0;
        for r in point_releases()
            .iter()
            .filter(|r| r.stream == Stream::Classic)
        {
            let Some(hand) = releases().iter().find(|h| h.rocm == r.line) else {
                continue;
            };
            if let Some(m) = r.llvm_major {
                assert_eq!(m, hand.llvm, "{}", r.rocm);
                checked += 1;
            }
        }
        assert!(checked >= 20, "{checked}");
    }

    #[test]
    fn point_releases_cover_every_line() {
        let r = point_releases();
        assert!(r
            .windows(2)
            .all(|w| version_key(&w[0].rocm) < version_key(&w[1].rocm)));
        let p = point_release("rocm6.4.1").unwrap();
        assert_eq!(p.date.as_deref(), Some("2025-05-21"));
        assert!(p
            .official_gfx
            .as_ref()
            .unwrap()
            .iter()
            .any(|g| g == "gfx1101"));
        assert_eq!(p.llvm_major, Some(19));
        assert_eq!(p.install_dir, "/opt/rocm-6.4.1");
        let p = point_release("6.4.0").unwrap();
        assert!(!p
            .official_gfx
            .as_ref()
            .unwrap()
            .iter()
            .any(|g| g == "gfx1101"));
        let p = point_release("7.2.0").unwrap();
        assert_eq!(p.llvm_major, Some(22));
        assert!(p
            .official_gfx
            .as_ref()
            .unwrap()
            .iter()
            .any(|g| g == "gfx1030"));
        // 5.x: dated, no list read, LLVM from the clang ident table.
        let p = point_release("5.7.0").unwrap();
        assert!(p.official_gfx.is_none() && p.llvm_major == Some(17));
        // 5.7.1: no clang ident read for it, so its LLVM stays unknown.
        assert_eq!(point_release("5.7.1").unwrap().llvm_major, None);
        // TheRock releases: layout read, LLVM and official list unknown.
        let p = point_release("7.14.0").unwrap();
        assert_eq!(p.stream, Stream::TheRock);
        assert_eq!(p.install_dir, "/opt/rocm/core-7.14");
        assert_eq!(p.native_package_prefix.as_deref(), Some("amdrocm-"));
        assert!(p.python_packages.iter().any(|x| x == "rocm-sdk-device"));
        assert!(p.llvm_major.is_none() && p.official_gfx.is_none());
        assert_eq!(point_release("7.9.0").unwrap().install_dir, "/opt/rocm");
        assert!(version_key(&newest().rocm) >= vec![10, 0, 0]);
        assert!(beyond_knowledge("99.0.0") && !beyond_knowledge("7.2.0"));
        // Named only by a PyPI package built on it: no date or list, LLVM from its line.
        let p = point_release("7.2.2").unwrap();
        assert!(p.source.starts_with("https://pypi.org/project/hip-python/"));
        assert_eq!((p.llvm_major, p.official_gfx.is_none()), (Some(22), true));
        for r in r {
            assert!(
                r.source.starts_with("https://github.com/ROCm/")
                    || r.source.starts_with("https://pypi.org/project/"),
                "{}",
                r.rocm
            );
        }
    }
}
