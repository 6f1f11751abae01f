//! Official PyTorch ROCm wheels (data/torch_wheels.toml): the download.pytorch.org indexes and
//! the gfx targets each one's torch carries, and per PyTorch release its Python range, stable
//! ROCm and the ROCm indexes confirmed to hold it.

use std::sync::OnceLock;

use serde::Deserialize;

use super::gfx_support::Support;

/// One ROCm wheel index on download.pytorch.org.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WheelIndex {
    /// Index name, also the wheels' local version (`rocm6.2.4`).
    pub name: String,
    /// The ROCm version it is named after (`6.2.4`).
    pub rocm: String,
    /// The index URL for `pip --index-url`.
    pub url: String,
    /// gfx targets in its torch's `torch.cuda.get_arch_list()`; `None` where not known.
    #[serde(default)]
    pub arches: Option<Vec<String>>,
    /// Where the index and its arch list come from.
    pub source: String,
}

/// A wheel of a release seen on an index.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexPairing {
    /// Index name (`rocm6.1`).
    pub index: String,
    /// The wheel version seen (`2.5.1+rocm6.1`), or a description where no version was given.
    pub wheel: String,
    /// Where it was seen.
    pub source: String,
}

/// One PyTorch minor release.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TorchRelease {
    /// `major.minor` (`2.5`).
    pub torch: String,
    /// Oldest supported Python (`3.9`).
    pub python_min: String,
    /// Newest supported Python (`3.12`).
    pub python_max: String,
    /// Pythons the matrix calls experimental (`3.13`, `3.13t`).
    pub python_experimental: Vec<String>,
    /// The ROCm of the stable build (`6.2.4`).
    pub stable_rocm: String,
    /// PyTorch's release matrix.
    pub source: String,
    /// ROCm indexes confirmed to hold this release (more may exist).
    pub indexes: Vec<IndexPairing>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    release: Vec<TorchRelease>,
}

fn data() -> &'static File {
    static DATA: OnceLock<File> = OnceLock::new();
    DATA.get_or_init(|| {
        super::parse_embedded("torch_wheels.toml", include_str!("data/torch_wheels.toml"))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenIndex {
    name: String,
    rocm: String,
    url: String,
    #[serde(default)]
    arches: Option<Vec<String>>,
    upstream_file: String,
    #[allow(dead_code)]
    commit: String,
    #[allow(dead_code)]
    read: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenFile {
    index: Vec<GenIndex>,
}

/// Every index, oldest first.
pub fn indexes() -> &'static [WheelIndex] {
    static DATA: OnceLock<Vec<WheelIndex>> = OnceLock::new();
    DATA.get_or_init(|| {
        let f: GenFile = super::generated::parse("torch_indexes.toml");
        f.index
            .into_iter()
            .map(|i| WheelIndex {
                name: i.name,
                rocm: i.rocm,
                url: i.url,
                arches: i.arches,
                source: i.upstream_file,
            })
            .collect()
    })
}

/// Every release row, oldest first.
pub fn releases() -> &'static [TorchRelease] {
    &data().release
}

/// The index named in a wheel version: `2.5.1+rocm6.2` → `rocm6.2`.
pub fn rocm_index_of(wheel: &str) -> Option<&str> {
    let local = wheel.split_once('+')?.1;
    local.starts_with("rocm").then_some(local)
}

/// The release row of a torch version: `2.5.1+rocm6.2`, `2.5.1` or `2.5` → the 2.5 row.
pub fn torch_release(version: &str) -> Option<&'static TorchRelease> {
    let public = version.trim().split('+').next()?;
    let mut parts = public.split('.');
    let key = format!("{}.{}", parts.next()?, parts.next()?);
    releases().iter().find(|r| r.torch == key)
}

/// The index row of `rocm6.2`, `6.2` or a wheel version `2.5.1+rocm6.2`.
pub fn index(name: &str) -> Option<&'static WheelIndex> {
    let name = name.trim();
    let name = rocm_index_of(name).unwrap_or(name);
    let name = name.strip_prefix("rocm").unwrap_or(name);
    indexes().iter().find(|i| i.rocm == name)
}

/// gfx targets compiled into an index's torch; `None` for an unknown index or list.
pub fn index_arches(rocm_index: &str) -> Option<&'static [String]> {
    index(rocm_index)?.arches.as_deref()
}

/// Indexes whose torch carries `gfx` (features such as `:xnack-` are ignored).
pub fn indexes_with(gfx: &str) -> Vec<&'static WheelIndex> {
    let p = super::gfx_support::processor_of(gfx);
    indexes()
        .iter()
        .filter(|i| i.arches.as_ref().is_some_and(|a| a.iter().any(|g| g == p)))
        .collect()
}

fn major_minor(v: &str) -> Option<(u32, u32)> {
    let mut it = v.split('.');
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Whether a torch version (`2.14.0+rocm7.14`, `2.14`) is newer than every release row: answers
/// about it are then beyond what the knowledge covers, and should say so.
pub fn beyond_knowledge(version: &str) -> bool {
    let Some(v) = version.trim().split('+').next().and_then(major_minor) else {
        return false;
    };
    releases()
        .iter()
        .filter_map(|r| major_minor(&r.torch))
        .all(|known| v > known)
}

/// Whether a ROCm wheel index (`rocm7.14`, or a wheel `2.14.0+rocm7.14`) is newer than every
/// index the knowledge lists.
pub fn index_beyond_knowledge(name: &str) -> bool {
    let name = name.trim();
    let name = rocm_index_of(name).unwrap_or(name);
    let key = |v: &str| -> Vec<u32> {
        v.trim_start_matches("rocm")
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    let want = key(name);
    indexes().iter().all(|i| key(&i.rocm) < want)
}

/// Whether a release supports a Python (`3.12`, `3.12.4`, `3.13t` for free-threaded):
/// `Yes` within the matrix range, `Unknown` when the matrix calls it experimental.
pub fn python_ok(release: &TorchRelease, python: &str) -> Support {
    let py = python.trim();
    if release.python_experimental.iter().any(|e| e == py) {
        return Support::Unknown;
    }
    let Some(asked) = major_minor(py.trim_end_matches('t')) else {
        return Support::Unknown;
    };
    if py.ends_with('t') {
        return Support::No;
    }
    if release
        .python_experimental
        .iter()
        .any(|e| major_minor(e) == Some(asked))
    {
        return Support::Unknown;
    }
    match (
        major_minor(&release.python_min),
        major_minor(&release.python_max),
    ) {
        (Some(lo), Some(hi)) if (lo..=hi).contains(&asked) => Support::Yes,
        (Some(_), Some(_)) => Support::No,
        _ => Support::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::super::gfx_support::{self, rocm_line};
    use super::*;

    #[test]
    fn newer_than_the_knowledge_is_said_so() {
        assert!(beyond_knowledge("99.1.0+rocm7.14") && !beyond_knowledge("2.5.1+rocm6.2"));
        assert!(!beyond_knowledge("not a version"));
        assert!(index_beyond_knowledge("rocm99.0") && index_beyond_knowledge("3.0.0+rocm99.1"));
        assert!(!index_beyond_knowledge("rocm7.2") && !index_beyond_knowledge("rocm6.2.4"));
        // The generated index rows keep uv's arch lists.
        assert!(index_arches("rocm7.2")
            .unwrap()
            .iter()
            .any(|g| g == "gfx1151"));
        assert!(indexes().iter().all(|i| i.source.contains("/blob/")));
    }

    #[test]
    fn rows_are_sourced_unique_and_cross_referenced() {
        assert!(indexes().len() >= 15 && releases().len() >= 12);
        for (n, i) in indexes().iter().enumerate() {
            assert!(i.source.starts_with("https://") && i.url.starts_with("https://"));
            assert!(i.url.ends_with(&i.name) && i.name == format!("rocm{}", i.rocm));
            assert!(
                indexes()[n + 1..].iter().all(|j| j.name != i.name),
                "{}",
                i.name
            );
            assert!(rocm_line(&i.rocm).is_some(), "no ROCm line for {}", i.name);
            for g in i.arches.iter().flatten() {
                assert!(gfx_support::target(g).is_some(), "{}: {g}", i.name);
            }
        }
        for (n, r) in releases().iter().enumerate() {
            assert!(r.source.starts_with("https://"), "{}", r.torch);
            assert!(releases()[n + 1..].iter().all(|s| s.torch != r.torch));
            assert!(rocm_line(&r.stable_rocm).is_some(), "{}", r.torch);
            assert!(major_minor(&r.python_min) <= major_minor(&r.python_max));
            for p in &r.indexes {
                assert!(p.source.starts_with("https://"), "{}", r.torch);
                assert!(index(&p.index).is_some(), "{}: {}", r.torch, p.index);
                // A full wheel version must name the same release and index as its row.
                if let Some(ix) = rocm_index_of(&p.wheel) {
                    assert_eq!(ix, p.index, "{}", p.wheel);
                    assert_eq!(torch_release(&p.wheel).map(|t| &t.torch), Some(&r.torch));
                }
            }
        }
        // Releases are listed oldest first: the oldest Python never goes down.
        let mins: Vec<_> = releases()
            .iter()
            .map(|r| major_minor(&r.python_min))
            .collect();
        assert!(mins.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn gfx_support_agrees_with_the_arch_lists() {
        for t in gfx_support::all() {
            let mut from_wheels: Vec<&str> = indexes_with(&t.gfx)
                .iter()
                .map(|i| i.name.as_str())
                .collect();
            let mut from_row: Vec<&str> = t.in_torch_wheels.iter().map(String::as_str).collect();
            from_wheels.sort_unstable();
            from_row.sort_unstable();
            assert_eq!(from_wheels, from_row, "{}", t.gfx);
        }
    }

    #[test]
    fn lookups_on_real_strings() {
        let r = torch_release("2.5.1+rocm6.2").expect("2.5 row");
        assert_eq!((r.torch.as_str(), r.stable_rocm.as_str()), ("2.5", "6.2"));
        assert_eq!(torch_release("2.10.0").unwrap().torch, "2.10");
        assert_eq!(torch_release("1.13.1+rocm5.2").unwrap().python_max, "3.10");
        assert!(torch_release("9.9.0").is_none() && torch_release("garbage").is_none());
        assert_eq!(rocm_index_of("2.5.1+rocm6.2"), Some("rocm6.2"));
        assert_eq!(rocm_index_of("2.5.1+cu121"), None);
        let a = index_arches("rocm6.2").expect("listed");
        assert!(a.iter().any(|g| g == "gfx1030") && !a.iter().any(|g| g == "gfx1031"));
        assert_eq!(index_arches("2.6.0+rocm6.2.4").unwrap().len(), 11);
        assert!(
            index_arches("rocm5.7").is_none(),
            "rocm5.x arch lists are unknown"
        );
        assert!(index_arches("rocm9.9").is_none());
        assert!(indexes_with("gfx1010").is_empty());
        assert_eq!(indexes_with("gfx1151:xnack-").len(), 1);
        assert_eq!(python_ok(r, "3.12"), Support::Yes);
        assert_eq!(python_ok(r, "3.12.4"), Support::Yes);
        assert_eq!(python_ok(r, "3.13"), Support::Unknown);
        assert_eq!(python_ok(r, "3.8"), Support::No);
        assert_eq!(python_ok(r, "3.13t"), Support::No);
        let r = torch_release("2.6.0").unwrap();
        assert_eq!(python_ok(r, "3.13t"), Support::Unknown);
        assert_eq!(
            python_ok(torch_release("1.13").unwrap(), "3.11"),
            Support::No
        );
    }
}
