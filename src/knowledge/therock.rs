//! TheRock (AMD's open build of ROCm) as `plan` and `fix` use it: where its multi-arch wheel
//! index is, where that is documented, and which Linux targets its support table marks ready.
//! Pinned to the TheRock commit read; one place, so plan and the scripts fix writes agree.
//!
//! The per-target facts (families, sub-projects built without the target, support marks, pip
//! extras, legacy per-family indexes) and the release refs come from the generated
//! `data/generated/therock.toml` (scripts/knowledge/gen_therock.py); the constants below are
//! checked against it by the tests.

use std::sync::OnceLock;

use serde::Deserialize;

/// The multi-arch Python package index (per-target `[device-gfx…]` extras).
pub const INDEX: &str = "https://rocm.nightlies.amd.com/whl-multi-arch/";
/// Where the index, the extras and their install commands are documented.
pub const RELEASES: &str =
    "https://github.com/ROCm/TheRock/blob/89553ce3746eda74ade42557470d25e37c91b6f0/RELEASES.md";
/// Per-target build and test status.
pub const SUPPORTED: &str =
    "https://github.com/ROCm/TheRock/blob/89553ce3746eda74ade42557470d25e37c91b6f0/SUPPORTED_GPUS.md";
/// The Python versions its wheels are built for (3.10 to 3.14).
pub const PYTHONS: &str = "https://github.com/ROCm/TheRock/blob/89553ce3746eda74ade42557470d25e37c91b6f0/docs/packaging/legacy_per_family_releases.md";

/// Linux targets [`SUPPORTED`] marks build passing, sanity tested and release ready (from the
/// generated table).
pub static READY: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    targets()
        .iter()
        .filter(|t| {
            t.build_passing == Some(true)
                && t.sanity_tested == Some(true)
                && t.release_ready == Some(true)
        })
        .map(|t| t.gfx.as_str())
        .collect()
});

/// One gfx target of TheRock's CMake target list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// `gfx1030`.
    pub gfx: String,
    /// Families it builds in (`gfx103X-all`, `dgpu-all`, ...).
    pub families: Vec<String>,
    /// Sub-projects built without this target (`hipBLASLt`, `composable_kernel`, ...): the
    /// libraries a TheRock install lacks for it.
    pub excludes: Vec<String>,
    /// SUPPORTED_GPUS.md Linux marks; `None` = the target is not in that table.
    #[serde(default)]
    pub build_passing: Option<bool>,
    /// See [`Target::build_passing`].
    #[serde(default)]
    pub sanity_tested: Option<bool>,
    /// See [`Target::build_passing`].
    #[serde(default)]
    pub release_ready: Option<bool>,
    /// Whether RELEASES.md lists a `[device-gfx…]` extra for the multi-arch index.
    pub device_extra: bool,
    /// The legacy per-family index family (`gfx110X-all`), superseded by the multi-arch index.
    #[serde(default)]
    pub legacy_family: Option<String>,
    /// The legacy per-family index URL.
    #[serde(default)]
    pub legacy_index: Option<String>,
    /// Upstream files, pinned.
    pub upstream_files: Vec<String>,
    /// TheRock commit read.
    pub commit: String,
    /// Date read.
    pub read: String,
}

/// One TheRock release ref and the layout its packaging uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// The version in its version.json (`7.14.0`).
    pub rocm: String,
    /// The tag or branch (`therock-7.14`, `release/therock-10.0`).
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// `tag` or `branch` (a branch names the version it builds; publication not established).
    pub ref_kind: String,
    /// Commit date of the ref (not a release date).
    pub ref_commit_date: String,
    /// Native package install prefix (`/opt/rocm/core`).
    #[serde(default)]
    pub native_prefix: Option<String>,
    /// Where the native packages install: the prefix plus the `-<major>.<minor>` the packaging
    /// appends (`/opt/rocm/core-7.14`); absent where the packaging does not append one.
    #[serde(default)]
    pub native_install_dir: Option<String>,
    /// Native package name prefix (`amdrocm-`).
    #[serde(default)]
    pub native_package_prefix: Option<String>,
    /// Python packages (`rocm`, `rocm-sdk-core`, `rocm-sdk-device`, ...).
    #[serde(default)]
    pub python_packages: Vec<String>,
    /// Linux targets marked release-ready at that ref.
    #[serde(default)]
    pub release_ready: Option<Vec<String>>,
    /// Upstream files, pinned.
    pub upstream_files: Vec<String>,
    /// Commit read.
    pub commit: String,
    /// Date read.
    pub read: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Index {
    url: String,
    upstream_file: String,
    commit: String,
    #[allow(dead_code)]
    read: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    index: Index,
    target: Vec<Target>,
    release: Vec<Release>,
}

fn data() -> &'static File {
    static DATA: OnceLock<File> = OnceLock::new();
    DATA.get_or_init(|| super::generated::parse("therock.toml"))
}

/// Every target of TheRock's target list.
pub fn targets() -> &'static [Target] {
    &data().target
}

/// The row for a target.
pub fn target(gfx: &str) -> Option<&'static Target> {
    let p = super::gfx_support::processor_of(gfx);
    targets().iter().find(|t| t.gfx == p)
}

/// Sub-projects TheRock builds without `gfx` (e.g. `hipBLASLt` for RDNA1/RDNA2); empty when
/// the target is unknown to TheRock.
pub fn lacks(gfx: &str) -> &'static [String] {
    target(gfx).map_or(&[], |t| t.excludes.as_slice())
}

/// The multi-arch index URL as the generated table read it (equal to [`INDEX`]), and the
/// pinned RELEASES.md it was read from.
pub fn index_read() -> (&'static str, &'static str) {
    let i = &data().index;
    (i.url.as_str(), i.upstream_file.as_str())
}

/// The TheRock commit the per-target facts were read at.
pub fn commit_read() -> &'static str {
    &data().index.commit
}

/// TheRock release refs, oldest first.
pub fn releases() -> &'static [Release] {
    &data().release
}

use super::gfx_support::{self, NativeBuild};

/// The knowledge base's TheRock row for `gfx` and the pip extra it names (`device-gfx1010`).
pub fn extra(gfx: &str) -> Option<(&'static NativeBuild, String)> {
    let t = gfx_support::target(gfx)?;
    t.native_builds.iter().find_map(|b| {
        if !b.name.starts_with("TheRock ") {
            return None;
        }
        let rest = b.name.split("pip extra ").nth(1)?;
        let extra: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        (extra.starts_with("device-gfx")).then_some((b, extra))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extras_come_from_the_knowledge_rows() {
        assert_eq!(extra("gfx1010").unwrap().1, "device-gfx1010");
        assert_eq!(extra("gfx1031:xnack-").unwrap().1, "device-gfx1031");
        assert_eq!(extra("gfx942").unwrap().1, "device-gfx942");
        assert!(extra("gfx1013").is_none(), "no TheRock row");
    }

    #[test]
    fn constants_match_the_generated_table() {
        let d = data();
        assert_eq!(d.index.url, INDEX);
        for url in [RELEASES, SUPPORTED, PYTHONS] {
            assert!(
                url.contains(&d.index.commit),
                "{url} not at the commit read"
            );
        }
        assert!(d.index.upstream_file.ends_with("RELEASES.md"));
        assert!(READY.contains(&"gfx1151") && READY.contains(&"gfx1030"));
        assert!(!READY.contains(&"gfx950") && !READY.contains(&"gfx1153"));
    }

    #[test]
    fn families_lack_what_the_target_list_says() {
        for g in ["gfx1010", "gfx1030", "gfx1031", "gfx1036"] {
            assert!(lacks(g).iter().any(|p| p == "hipBLASLt"), "{g}");
        }
        assert!(!lacks("gfx1100").iter().any(|p| p == "hipBLASLt"));
        assert!(lacks("gfx9999").is_empty());
        for g in ["gfx950", "gfx1152", "gfx1153", "gfx1250"] {
            assert!(target(g).is_some(), "{g}");
        }
        let t = target("gfx1100").unwrap();
        assert!(t.device_extra && t.legacy_family.as_deref() == Some("gfx110X-all"));
        assert!(t.legacy_index.as_deref().unwrap().starts_with("https://"));
        for t in targets() {
            if t.device_extra {
                assert_eq!(
                    extra(&t.gfx).map(|(_, e)| e),
                    Some(format!("device-{}", t.gfx)),
                    "{}",
                    t.gfx
                );
            }
        }
    }

    #[test]
    fn releases_name_version_and_layout() {
        let r = releases();
        assert!(r.iter().any(|x| x.rocm == "7.9.0" && x.ref_kind == "tag"));
        assert!(r.iter().any(|x| x.rocm.starts_with("10.")));
        let r714 = r.iter().find(|x| x.rocm == "7.14.0").unwrap();
        assert_eq!(r714.native_prefix.as_deref(), Some("/opt/rocm/core"));
        assert_eq!(
            r714.native_install_dir.as_deref(),
            Some("/opt/rocm/core-7.14")
        );
    }
}
